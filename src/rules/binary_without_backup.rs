//! ## What it does
//!
//! Flags a change that replaces a regular file at an executable path (content change, or
//! an `ensure` change such as file to link) while the effective `backup` of the `file`
//! resource is off, when the old content is not in the repository (a binary a deploy
//! script or a hand installed, with Puppet managing only its mode or owner). The effective value is the explicit attribute, else a
//! `File { backup => … }` default in scope, else the Puppet version default:
//! `puppet` (local clientbucket) before Puppet 7, `false` from Puppet 7. The version is
//! `puppet_version` from the configuration, else inferred from the repository (Gemfile,
//! Gemfile.lock, Puppet-3-only code, modules' `metadata.json`), else 7.
//!
//! ## Why is this bad?
//!
//! Whatever Puppet deletes or overwrites at that path is gone, with no clientbucket copy
//! to restore from. In December 2016 the clientbucket was the only way one of the
//! overwritten Kubernetes binaries was recovered. Links are never backed up in any
//! version, so the previous link target is recorded only in the run report.
//!
//! ## Example
//!
//! ```puppet
//! File { backup => false }
//! file { '/usr/local/bin/kube-apiserver':
//!   ensure => link,
//!   target => '/opt/k8s/bin/kube-apiserver',
//! }
//! ```
//!
//! ## Use instead
//!
//! ```puppet
//! file { '/usr/local/bin/kube-apiserver':
//!   ensure => link,
//!   target => '/opt/k8s/bin/kube-apiserver',
//!   backup => 'puppet',
//! }
//! ```
//!
//! or set `File { backup => 'puppet' }` (or a remote `filebucket`) at top scope.
//!
//! ## Exceptions
//!
//! Not reported when the repository itself holds the old content (a known `content`, a
//! template, or a `puppet:///modules/…` source): reverting the change rebuilds it. Also
//! not reported when the path was a link (links are never backed up) or when the
//! repository did not manage the path before. Suppress when a package can restore the
//! binary (`apt-get install --reinstall`).
//!
//! ## References
//!
//! - Puppet `file` type, `backup` attribute; PUP-9407 (default `false` from Puppet 7).
//! - `puppet filebucket` (restoring from the clientbucket).

use crate::diagnostic::{Finding, Severity, Side};
use crate::model::{Resource, Value};

use super::common::{
    at_attr, at_first_attr, ensure_of, executable_reason, file_path, is_file_like, touched, Ensure,
};
use super::registry::{Kind, Rule};
use super::{finding, Context};

pub const NAME: &str = "binary-without-backup";

/// This rule's row of the registry (`registry.rs` lists the rows in order).
pub(crate) static RULE: Rule = Rule {
    name: NAME,
    default_severity: Severity::Warning,
    summary: "a binary replaced while the effective `backup` is false",
    kind: Kind::Check,
    check: Some(check),
    source: include_str!("binary_without_backup.rs"),
};

/// `Some(true)` when backups are off, `None` when unknown.
pub(crate) fn backup_off(v: &Value) -> Option<bool> {
    let alts = v.alternatives();
    let off = |a: &Value| match a {
        Value::Bool(b) => Some(!b),
        Value::Str(s) => Some(s == "false" || s.is_empty()),
        Value::Undef => Some(false),
        _ => None,
    };
    let first = off(alts.first()?)?;
    alts.iter().all(|a| off(a) == Some(first)).then_some(first)
}

/// Whether the repository holds the resource's content (a known `content`, a template,
/// or a `puppet:///modules/…` source).
fn rebuildable(r: &Resource) -> bool {
    let known = |v: &Value| match v {
        Value::Str(s) => !s.is_empty(),
        Value::Content(refs) => refs.iter().all(|f| f.resolved.is_some()),
        Value::Array(a) => !a.is_empty(),
        _ => false,
    };
    r.get("content").is_some_and(known)
        || r.get("source").is_some_and(|v| {
            let mut leaves = Vec::new();
            v.flatten_into(&mut leaves);
            leaves.iter().any(|l| {
                l.as_str()
                    .is_some_and(|s| s.starts_with("puppet:///modules/"))
            })
        })
}

pub fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    let rule = &RULE;
    for id in touched(cx) {
        let r = cx.after.get(id);
        if r.ty != "file" {
            continue;
        }
        let Some(path) = file_path(r) else {
            continue;
        };
        let now = ensure_of(r);
        if !matches!(
            now,
            Ensure::File | Ensure::Present | Ensure::Unset | Ensure::Link
        ) {
            continue;
        }
        // What was at the path in the base revision, as far as the repository says: only a
        // regular file can be bucketed (links never are), so only that loses something.
        let olds: Vec<&Resource> = cx
            .before
            .index
            .managing(&path)
            .iter()
            .map(|&b| cx.before.get(b))
            .filter(|b| b.is_live() && is_file_like(b))
            .collect();
        if olds.is_empty() {
            continue;
        }
        // Content the repository itself provides can be rebuilt by reverting the change;
        // what is lost without a backup is a binary something else put there.
        if olds.iter().all(|b| rebuildable(b)) {
            continue;
        }
        // Does the change replace it?
        let replaces = match cx.diff.diff_of(id) {
            None => true, // a new declaration of a path the base managed
            Some(d) => {
                !d.changed_files.is_empty()
                    || d.attrs.iter().any(|a| {
                        matches!(a.name.as_str(), "ensure" | "target" | "content" | "source")
                    })
            }
        };
        if !replaces {
            continue;
        }
        let Some(why) = executable_reason(cx, &path, Some(r)) else {
            continue;
        };
        let backup = r.effective_backup(cx.after.puppet.major);
        if backup_off(&backup) != Some(true) {
            continue;
        }
        let res = r.display_ref();
        let explicit = r.attr("backup").is_some();
        let whence = if explicit {
            "`backup` is false".to_owned()
        } else {
            format!(
                "`backup` is false, the default from Puppet 7; assumed {}",
                cx.after.puppet
            )
        };
        let loc = if explicit {
            at_attr(cx.after, Side::After, id, "backup")
        } else {
            at_first_attr(
                cx.after,
                Side::After,
                id,
                &["ensure", "target", "content", "source"],
            )
        };
        let mut f = finding(
            rule,
            loc,
            format!(
                "{res} replaces the binary at an executable path ({why}) while {whence}: the old \
                 file cannot be restored from a filebucket"
            ),
        );
        f.help = Some(
            "set `backup => 'puppet'` on the resource, or `File { backup => 'puppet' }` (or a \
             remote filebucket) at top scope"
                .into(),
        );
        f.resource = Some(r.into());
        out.push(f);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::rules::testing::*;
    use crate::rules::Selection;

    /// The binary is put there by a deploy script; Puppet manages only its mode.
    const BEFORE: &str = "class demo {\n  file { '/usr/local/bin/kube-apiserver': ensure => file, mode => '0755' }\n}\n";

    fn case(after: &str) -> Case {
        edit(BEFORE, after)
    }

    const PASS: &[&str] = &[
        // Backups on.
        "class demo {\n  file { '/usr/local/bin/kube-apiserver': ensure => link, target => '/opt/k8s/bin/kube-apiserver', backup => 'puppet' }\n}\n",
        "class demo {\n  File { backup => 'main' }\n  file { '/usr/local/bin/kube-apiserver': ensure => file, source => 'puppet:///modules/demo/v2' }\n}\n",
        // Nothing replaced: only the owner changes.
        "class demo {\n  file { '/usr/local/bin/kube-apiserver': ensure => file, mode => '0755', owner => 'kube' }\n}\n",
        // Unknown backup: silent.
        "class demo($b) {\n  file { '/usr/local/bin/kube-apiserver': ensure => file, source => 'puppet:///modules/demo/v2', backup => $b }\n}\n",
    ];

    const FAIL: &[(&str, &[u32])] = &[
        // Puppet 7 default.
        (
            "class demo {\n  file { '/usr/local/bin/kube-apiserver':\n    ensure => link,\n    target => '/opt/k8s/bin/kube-apiserver',\n  }\n}\n",
            &[3],
        ),
        // Explicit default in scope.
        (
            "class demo {\n  File { backup => false }\n  file { '/usr/local/bin/kube-apiserver': ensure => file, source => 'puppet:///modules/demo/v2' }\n}\n",
            &[2],
        ),
    ];

    snippet_tests!(case);

    #[test]
    fn puppet_6_backs_up_by_default() {
        let mut config = Config::default();
        let found = run_case(&case(FAIL[0].0), &config, &Selection::default());
        assert!(found.iter().any(|f| f.rule == NAME));
        config.puppet_version = Some(6);
        let found = run_case(&case(FAIL[0].0), &config, &Selection::default());
        assert!(found.iter().all(|f| f.rule != NAME), "{found:#?}");
    }

    #[test]
    fn puppet_6_from_the_gemfile_lock_backs_up_by_default() {
        let mut c = case(FAIL[0].0);
        let lock = "GEM\n  specs:\n    puppet (6.28.0)\n";
        c.before("Gemfile.lock", lock);
        c.after("Gemfile.lock", lock);
        let found = run_case(&c, &Config::default(), &Selection::default());
        assert!(found.iter().all(|f| f.rule != NAME), "{found:#?}");
        let found = run_case(&case(FAIL[0].0), &Config::default(), &Selection::default());
        let f = found
            .iter()
            .find(|f| f.rule == NAME)
            .expect("reported on Puppet 7");
        assert!(
            f.message.contains("assumed Puppet 7 (the default")
                || f.help
                    .as_deref()
                    .unwrap_or("")
                    .contains("assumed Puppet 7 (the default"),
            "{f:#?}"
        );
    }

    #[test]
    fn content_the_repository_holds_can_be_rebuilt() {
        let mut c = Case::default();
        c.before(SNIPPET_PATH, "class demo { file { '/usr/local/bin/x': ensure => file, source => 'puppet:///modules/demo/x' } }");
        c.before("modules/demo/files/x", "#!/bin/sh\n");
        c.after("modules/demo/files/x", "#!/bin/sh\n");
        c.after(SNIPPET_PATH, "class demo {\n  file { '/opt/x/x': ensure => file, source => 'puppet:///modules/demo/x' }\n  file { '/usr/local/bin/x': ensure => link, target => '/opt/x/x' }\n}");
        assert!(check_rule(NAME, &c).is_empty());
    }

    #[test]
    fn a_link_re_pointed_loses_nothing_bucketable() {
        let c = edit(
            "class demo { file { '/usr/local/bin/x': ensure => link, target => '/opt/a' } }",
            "class demo { file { '/usr/local/bin/x': ensure => link, target => '/opt/b' } }",
        );
        assert!(check_rule(NAME, &c).is_empty());
    }
}
