//! ## What it does
//!
//! Reports, once per change, the files whose content the checks needed but could not
//! read: objects missing from the object database of a partial clone
//! (`git clone --filter=blob:none` or `--filter=blob:limit=…`), of a mirror that left out
//! large files, or of a damaged repository. Each listed file was left unjudged: the rules
//! that would have read it stay silent about it rather than guess.
//!
//! Content no rule reads (tarballs, images, firmware under `files/` that no resource
//! deploys) is never asked for, so its absence is not reported. A file a resource deploys
//! is looked into for a shell script unless its size shows it is above 1 MiB; a missing
//! one has no known size, so it is listed. A missing manifest among the files the change itself
//! touches, a missing commit or a missing tree is not a finding but an error (exit
//! status 2): nothing useful can be said without them.
//!
//! When a manifest the change does not touch cannot be read, the model of that side
//! lacks whatever it declares: `unresolved-class`, `dangling-reference`,
//! `link-target-unmanaged` and `service-binary-unmanaged`, which judge that a name or a
//! path is declared or managed nowhere, stay silent, and this finding says so.
//!
//! ## Why is this bad?
//!
//! It is not a hazard of the change; it says the check was partial, so that "no findings"
//! is not read as "nothing to worry about" for those files.
//!
//! ## Example
//!
//! A blob-less clone where the unit file a service runs from was never fetched:
//!
//! ```text
//! $ git clone --filter=blob:limit=1k https://git.example.org/puppet.git && cd puppet
//! $ puppet-preflight check
//! info[incomplete-input]: 1 file the checks needed could not be read: modules/app/files/app.service
//! ```
//!
//! ## Use instead
//!
//! Fetch the missing objects (`git fetch --refetch`, or `git cat-file -p <id>` in a
//! partial clone with a promisor remote), or run the check in a full clone.
//!
//! ## Exceptions
//!
//! Ignore it (`--ignore incomplete-input`) in CI jobs that clone with a blob filter on
//! purpose.
//!
//! ## References
//!
//! - git partial clone: `git help clone` (`--filter`), `gitrepository-layout(5)`.

// Produced from the input layer's list of unreadable files (`Change::unreadable`).
// `Analysis::build` reads what the rules will read before any rule runs, so the list is
// complete when this check (running in parallel with the others) reads it.

use std::collections::BTreeMap;

use crate::diagnostic::{Finding, Location, Severity, Side};
use crate::input::BlobError;

use super::registry::{Kind, Rule};
use super::{finding, Context};

pub const NAME: &str = "incomplete-input";

/// This rule's row of the registry (`registry.rs` lists the rows in order).
pub(crate) static RULE: Rule = Rule {
    name: NAME,
    default_severity: Severity::Info,
    summary: "content the checks needed could not be read (a partial or damaged clone); those files were not judged",
    kind: Kind::Tool,
    check: Some(check),
    source: include_str!("incomplete_input.rs"),
};

/// How many paths the message names before "and N more".
const SHOWN: usize = 10;

pub fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    let rule = &RULE;
    let files = cx.change.unreadable();
    let Some(first) = files.first() else {
        return;
    };
    // One line per path: a file unchanged between the sides is one object, listed once.
    let mut paths: BTreeMap<&str, (Vec<Side>, &BlobError)> = BTreeMap::new();
    for f in &files {
        paths
            .entry(&f.path)
            .or_insert((Vec::new(), &f.reason))
            .0
            .push(f.side);
    }
    let shown: Vec<String> = paths
        .iter()
        .take(SHOWN)
        .map(|(p, (sides, _))| match sides.as_slice() {
            [Side::Before] => format!("{p} (before the change)"),
            [Side::After] if cx.change.before.tree.get(p).is_some() => {
                format!("{p} (after the change)")
            }
            _ => (*p).to_string(),
        })
        .collect();
    let more = match paths.len().saturating_sub(SHOWN) {
        0 => String::new(),
        n => format!(" and {n} more"),
    };
    let n = paths.len();
    let mut message = format!(
        "{n} file{} the checks needed could not be read: {}{more}",
        if n == 1 { "" } else { "s" },
        shown.join(", ")
    );
    let mut reasons: Vec<String> = Vec::new();
    for (_, why) in paths.values() {
        let why = why.to_string();
        if !reasons.contains(&why) {
            reasons.push(why);
        }
    }
    message.push_str(&format!(
        " ({}); those files were not judged",
        reasons.join("; ")
    ));
    let silent: Vec<&str> = [(Side::After, "after"), (Side::Before, "before")]
        .into_iter()
        .filter(|(side, _)| cx.change.manifests_incomplete(*side))
        .map(|(_, name)| name)
        .collect();
    if !silent.is_empty() {
        message.push_str(&format!(
            "; a manifest is among them, so the rules that judge what is declared or \
             managed nowhere (unresolved-class, dangling-reference, link-target-unmanaged, \
             service-binary-unmanaged) are silent on the {} side (it may declare the class, \
             the resource or the path)",
            silent.join(" and ")
        ));
    }
    let mut f = finding(
        rule,
        Location {
            side: first.side,
            file: first.path.clone(),
            span: crate::ast::Span::new(0, 0),
        },
        message,
    );
    f.help = Some(
        "the repository lacks these objects (a partial clone made with --filter, a mirror \
         without large files, or damage): fetch them (`git fetch --refetch`) or check in a \
         full clone"
            .to_owned(),
    );
    out.push(f);
}
