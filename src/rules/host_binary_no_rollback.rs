//! ## What it does
//!
//! With host snapshots (`check --host-snapshot`), flags a `file` resource this change
//! adds or changes so that it replaces an executable (turns it into a link, re-points,
//! replaces, empties or removes it) when, on a host, that executable has no copy: no
//! other path in the snapshot holds the same content (SHA-256), Puppet's `backup` is off
//! for the resource, and the base revision did not deploy that content itself (a revert
//! could not bring it back).
//!
//! ## Why is this bad?
//!
//! When the new binary fails, the way back is the old one. If the old one only existed
//! at the path this change overwrites (downloaded by hand, built on the host, left by a
//! package since removed), a revert restores the Puppet code but not the file, and the
//! rollback plan is a rebuild during an outage.
//!
//! ## Example
//!
//! ```puppet
//! # /usr/local/bin/kube-apiserver on the master was downloaded by hand
//! file { '/usr/local/bin/kube-apiserver':
//!   ensure => link,
//!   target => '/opt/k8s/1.5/bin/kube-apiserver',
//! }
//! ```
//!
//! ## Use instead
//!
//! Keep the old binary under a versioned path before replacing it, or turn on Puppet's
//! file bucket for the resource:
//!
//! ```puppet
//! file { '/usr/local/bin/kube-apiserver':
//!   ensure => link,
//!   target => '/opt/k8s/1.5/bin/kube-apiserver',
//!   backup => 'puppet',
//! }
//! ```
//!
//! ## Exceptions
//!
//! A copy outside the directories the snapshot walked is not seen (add them with
//! `snapshot --dir`). Suppress when the old binary can be fetched again (a package
//! repository, an artifact store).
//!
//! ## References
//!
//! - Puppet `file` type: `backup`, `filebucket`.
//! - `binary-without-backup`, which judges `backup` without the hosts.

use std::collections::BTreeMap;

use crate::diagnostic::{Finding, Severity, Side};
use crate::hosts::State;
use crate::model::file_state;

use super::binary_without_backup::backup_off;
use super::common::at_title;
use super::on_hosts::{describe_groups, touched_files};
use super::registry::{Kind, Rule};
use super::services::TouchKind;
use super::{finding, Context};

pub const NAME: &str = "host-binary-no-rollback";

/// This rule's row of the registry (`registry.rs` lists the rows in order).
pub(crate) static RULE: Rule = Rule {
    name: NAME,
    default_severity: Severity::Warning,
    summary: "a binary this change replaces has no other copy on a host (no way back)",
    kind: Kind::Check,
    check: Some(check),
    source: include_str!("host_binary_no_rollback.rs"),
};

pub fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    if cx.hosts.is_empty() {
        return;
    }
    for (id, path, touch) in touched_files(cx) {
        let r = cx.after.get(id);
        if matches!(touch.kind, TouchKind::Dropped) {
            continue;
        }
        if backup_off(&r.effective_backup(cx.after.puppet.major)) != Some(true) {
            continue;
        }
        // The base revision deployed the content: a revert brings it back.
        if touch
            .before
            .is_some_and(|b| file_state(cx.before.get(b)).has_content())
        {
            continue;
        }
        let mut groups: BTreeMap<(), Vec<&str>> = BTreeMap::new();
        for snap in &cx.hosts.snapshots {
            let State::Present(e) = snap.state(&path) else {
                continue;
            };
            if e.is_executable_file() && e.sha256.is_some() && snap.copies_of(&path).is_empty() {
                groups.entry(()).or_default().push(&snap.host);
            }
        }
        if groups.is_empty() {
            continue;
        }
        let hosts = describe_groups(cx, &groups, |()| String::from("exists only there"));
        let name = r.display_ref();
        let mut f = finding(
            &RULE,
            at_title(cx.after, Side::After, id),
            format!(
                "{name} replaces the executable at {path}, whose content {hosts}: no other \
                 path in the snapshot holds the same file, `backup` is off and the base \
                 revision did not deploy it, so nothing can bring it back"
            ),
        );
        f.help = Some(format!(
            "keep a copy of the current {path} under a versioned path first, or set \
             `backup => 'puppet'` on {name}"
        ));
        f.resource = Some(r.into());
        out.push(f);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hosts::Entry;
    use crate::rules::testing::*;

    fn exe(sha: char) -> Entry {
        let mut e = file_entry(1000, 0o755);
        e.sha256 = Some(sha.to_string().repeat(64));
        e
    }

    const LINK: &str = "class demo {\n  file { '/usr/local/bin/foo': ensure => link, target => '/opt/foo/2/foo' }\n}\n";

    /// (manifest, hosts).
    const PASS: &[(&str, &str)] = &[
        (LINK, "a: /usr/local/bin/foo=exe:a; /opt/foo/1/foo=exe:a"),
        (LINK, "a: /usr/local/bin/foo=plain"),
        (LINK, "a:"),
        ("class demo {\n  file { '/usr/local/bin/foo': ensure => link, target => '/opt/foo/2/foo', backup => 'puppet' }\n}\n", "a: /usr/local/bin/foo=exe:a"),
    ];

    const FAIL: &[(&str, &str)] = &[
        (LINK, "a: /usr/local/bin/foo=exe:a"),
        ("class demo {\n  file { '/usr/local/bin/foo': source => 'puppet:///modules/demo/foo', mode => '0755' }\n}\n", "a: /usr/local/bin/foo=exe:a; /usr/bin/bar=exe:b"),
    ];

    #[test]
    fn pass_and_fail_tables() {
        assert_host_tables(NAME, PASS, FAIL);
    }

    #[test]
    fn flags_a_binary_with_no_copy() {
        let hosts = hosts_with(&[
            ("a", &[("/usr/local/bin/foo", exe('a'))]),
            (
                "b",
                &[
                    ("/usr/local/bin/foo", exe('b')),
                    ("/opt/foo/1/foo", exe('b')),
                ],
            ),
        ]);
        assert!(check_rule(NAME, &after_only(LINK)).is_empty());
        let found = check_rule_on_hosts(NAME, &after_only(LINK), &hosts);
        assert_eq!(found.len(), 1, "{found:#?}");
        assert!(
            found[0]
                .message
                .contains("exists only there on 1 of 2 hosts (a)"),
            "{}",
            found[0].message
        );
    }

    #[test]
    fn silent_with_backup_or_a_copy() {
        let hosts = hosts_with(&[("a", &[("/usr/local/bin/foo", exe('a'))])]);
        let backed = "class demo {\n  file { '/usr/local/bin/foo': ensure => link, target => '/opt/foo/2/foo', backup => 'puppet' }\n}\n";
        assert!(check_rule_on_hosts(NAME, &after_only(backed), &hosts).is_empty());
        let copied = hosts_with(&[(
            "a",
            &[
                ("/usr/local/bin/foo", exe('a')),
                ("/usr/local/bin/foo.old", exe('a')),
            ],
        )]);
        assert!(check_rule_on_hosts(NAME, &after_only(LINK), &copied).is_empty());
    }
}
