//! ## What it does
//!
//! Follows the links the repository manages (including links to directories that are
//! parents of another link's path) and flags a change that makes them resolve into a
//! cycle.
//!
//! ## Why is this bad?
//!
//! Puppet creates each link of a cycle without complaint. Resolving any path on the
//! cycle then fails with `ELOOP` ("Too many levels of symbolic links"), so a service or
//! script that runs one of those paths cannot start.
//!
//! ## Example
//!
//! ```puppet
//! file { '/usr/bin/tool':          ensure => link, target => '/opt/tool/current/bin/tool' }
//! file { '/opt/tool/current':      ensure => link, target => '/opt/tool/releases/1.2' }
//! file { '/opt/tool/releases/1.2/bin/tool': ensure => link, target => '/usr/bin/tool' }
//! ```
//!
//! ## Use instead
//!
//! End every chain in a managed regular file:
//!
//! ```puppet
//! file { '/opt/tool/releases/1.2/bin/tool':
//!   ensure => file,
//!   source => 'puppet:///modules/tool/tool-1.2',
//!   mode   => '0755',
//! }
//! ```
//!
//! ## Exceptions
//!
//! None known; a cycle never resolves.
//!
//! ## References
//!
//! - Puppet `file` type, `ensure => link` (cycles are created without error, verified
//!   on Puppet 7.23).

use std::collections::BTreeSet;

use crate::diagnostic::{Finding, Severity, Side};

use super::common::{at_first_attr, related, touched_links};
use super::registry::{Kind, Rule};
use super::{finding, Context};

pub const NAME: &str = "link-cycle";

/// This rule's row of the registry (`registry.rs` lists the rows in order).
pub(crate) static RULE: Rule = Rule {
    name: NAME,
    default_severity: Severity::Error,
    summary: "managed links that resolve into a cycle",
    kind: Kind::Check,
    check: Some(check),
    source: include_str!("link_cycle.rs"),
};

pub fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    let rule = &RULE;
    let mut seen: BTreeSet<Vec<String>> = BTreeSet::new();
    for (id, path) in touched_links(cx) {
        let chain = cx.after.facts.resolve(&path);
        if !chain.cycle {
            continue;
        }
        // Links in exclusive branches never exist together.
        let exclusive = chain.links.iter().any(|&x| {
            chain
                .links
                .iter()
                .any(|&y| x != y && cx.after.exclusive(x, y))
        });
        if exclusive {
            continue;
        }
        // The loop itself (from the first repeated path), to report each cycle once.
        let last = chain.last().to_owned();
        let start = chain.paths.iter().position(|p| *p == last).unwrap_or(0);
        let mut key: Vec<String> = chain.paths[start..chain.paths.len() - 1].to_vec();
        key.sort();
        if !seen.insert(key) {
            continue;
        }
        let r = cx.after.get(id);
        let res = r.display_ref();
        let shown = if chain.paths.len() > 40 {
            format!("{} -> …", chain.paths[..6].join(" -> "))
        } else {
            chain.paths.join(" -> ")
        };
        let mut f = finding(
            rule,
            at_first_attr(cx.after, Side::After, id, &["target", "ensure"]),
            format!(
                "{res} resolves into a cycle of links: {shown}; every use of it fails with ELOOP"
            ),
        );
        f.help = Some("end the chain in a managed regular file".into());
        for &l in chain.links.iter().filter(|&&l| l != id) {
            f.related.push(related(
                cx.after,
                Side::After,
                l,
                format!("{} is part of the loop", cx.after.get(l).display_ref()),
            ));
        }
        f.resource = Some(r.into());
        out.push(f);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::*;

    const PASS: &[&str] = &[
        "class demo {\n  file { '/a': ensure => link, target => '/b' }\n  file { '/b': ensure => file, content => 'x' }\n}",
        // current -> release: a normal two-hop chain.
        "class demo {\n  file { '/usr/bin/tool': ensure => link, target => '/opt/tool/current/bin/tool' }\n  file { '/opt/tool/current': ensure => link, target => '/opt/tool/releases/1.2' }\n}",
        // A loop only across exclusive branches.
        "class demo($f) {\n  if $f { file { '/a': ensure => link, target => '/b' } }\n  else { file { '/b': ensure => link, target => '/a' } }\n}",
        "class demo { file { '/a': ensure => link, target => '/a-real' } }",
    ];

    const FAIL: &[(&str, &[u32])] = &[
        (
            "class demo {\n  file { '/usr/local/bin/foo': ensure => link, target => '/usr/bin/foo' }\n  file { '/usr/bin/foo': ensure => link, target => '/usr/local/bin/foo' }\n}\n",
            &[2],
        ),
        // Through a parent-directory link (reported once).
        (
            "class demo {\n  file { '/usr/bin/tool': ensure => link, target => '/opt/tool/current/bin/tool' }\n  file { '/opt/tool/current': ensure => link, target => '/opt/tool/releases/1.2' }\n  file { '/opt/tool/releases/1.2/bin/tool': ensure => link, target => '/usr/bin/tool' }\n}\n",
            &[2],
        ),
        // A link to itself (relative).
        ("class demo {\n  file { '/usr/bin/x': ensure => link, target => 'x' }\n}\n", &[2]),
    ];

    snippet_tests!(after_only);
}
