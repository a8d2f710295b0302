//! ## What it does
//!
//! With host snapshots (`check --host-snapshot`), flags a `file` resource this change
//! adds or changes so that it turns a path into a link, replaces or empties its content,
//! or removes it, when on a host that path belongs to a Debian package (its file list in
//! `/var/lib/dpkg/info/*.list` names it). The message names the package and the hosts.
//! A package the repository removes (`ensure => absent` or `purged`) is not reported.
//!
//! ## Why is this bad?
//!
//! Puppet and the package manager then both own the path. The next upgrade of the
//! package puts its own file back over Puppet's link or content, Puppet changes it again
//! on its next run, and in between the hosts run whichever won last. A service restarted
//! in that window runs the package's version, not the one the change meant. The
//! repository cannot show this when the package comes from outside Puppet (the image,
//! another team's role); the hosts can.
//!
//! ## Example
//!
//! ```puppet
//! # kubernetes-master ships /usr/bin/kube-scheduler on the masters
//! file { '/usr/bin/kube-scheduler':
//!   ensure => link,
//!   target => '/usr/local/bin/kube-scheduler',
//! }
//! ```
//!
//! ## Use instead
//!
//! Remove the package in the same change, point the service at another path, or divert
//! the package's file (`dpkg-divert --rename`) so dpkg installs it elsewhere:
//!
//! ```puppet
//! package { 'kubernetes-master': ensure => absent }
//! -> file { '/usr/bin/kube-scheduler':
//!   ensure => link,
//!   target => '/usr/local/bin/kube-scheduler',
//! }
//! ```
//!
//! ## Exceptions
//!
//! A path the package diverts already (`dpkg-divert`) is still listed by dpkg under the
//! package; suppress with the diversion named as the reason.
//!
//! ## References
//!
//! - dpkg(1), dpkg-divert(1): how dpkg owns and replaces files.
//! - `puppet-preflight snapshot` and the README's "Host snapshots" section.

use std::collections::BTreeMap;

use crate::diagnostic::{Finding, Severity, Side};
use crate::hosts::State;
use crate::model::facts::package_removed;

use super::common::at_title;
use super::on_hosts::{describe_groups, touched_files};
use super::registry::{Kind, Rule};
use super::services::TouchKind;
use super::{finding, Context};

pub const NAME: &str = "host-package-owned";

/// This rule's row of the registry (`registry.rs` lists the rows in order).
pub(crate) static RULE: Rule = Rule {
    name: NAME,
    default_severity: Severity::Error,
    summary:
        "the change turns into a link, replaces or removes a path a Debian package owns on a host",
    kind: Kind::Check,
    check: Some(check),
    source: include_str!("host_package_owned.rs"),
};

pub fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    if cx.hosts.is_empty() {
        return;
    }
    for (id, path, touch) in touched_files(cx) {
        let r = cx.after.get(id);
        let verb = match &touch.kind {
            TouchKind::Linked { to } => format!("turns {path} into a link to {to}"),
            TouchKind::Repointed { to, .. } => format!("re-points {path} to {to}"),
            TouchKind::Removed => format!("removes {path}"),
            TouchKind::Emptied => format!("empties {path}"),
            TouchKind::Replaced => format!("replaces the content of {path}"),
            TouchKind::Dropped => continue,
        };
        let mut groups: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for snap in &cx.hosts.snapshots {
            if let State::Present(e) = snap.state(&path) {
                if let Some(pkg) = e.package.as_deref() {
                    let removed = cx.after.index.packages.get(pkg).is_some_and(|ps| {
                        ps.iter()
                            .any(|&p| cx.after.get(p).is_live() && package_removed(cx.after.get(p)))
                    });
                    if !removed {
                        groups.entry(pkg).or_default().push(&snap.host);
                    }
                }
            }
        }
        if groups.is_empty() {
            continue;
        }
        let owners = describe_groups(cx, &groups, |pkg| format!("package {pkg}"));
        let name = r.display_ref();
        let mut f = finding(
            &RULE,
            at_title(cx.after, Side::After, id),
            format!(
                "{name} {verb}, a file dpkg says belongs to {owners}: the next upgrade of the \
                 package puts its file back, and Puppet and dpkg take turns"
            ),
        );
        f.help = Some(
            "remove the package in the same change, use a path no package ships, or divert \
             the package's file (`dpkg-divert --rename`) before managing it"
                .to_string(),
        );
        f.resource = Some(r.into());
        out.push(f);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hosts::Entry;
    use crate::rules::testing::*;

    fn owned(pkg: &str) -> Entry {
        let mut e = file_entry(1000, 0o755);
        e.package = Some(pkg.into());
        e
    }

    const LINK: &str = "class demo {\n  file { '/usr/bin/kube-scheduler': ensure => link, target => '/usr/local/bin/kube-scheduler' }\n}\n";

    /// (manifest, hosts).
    const PASS: &[(&str, &str)] = &[
        (LINK, "a: /usr/bin/kube-scheduler=exe"),
        (LINK, "a: /usr/bin/other=pkg:kubernetes-master"),
        (
            "class demo {\n  file { '/usr/bin/kube-scheduler': mode => '0755' }\n}\n",
            "a: /usr/bin/kube-scheduler=pkg:kubernetes-master",
        ),
    ];

    const FAIL: &[(&str, &str)] = &[
        (LINK, "a: /usr/bin/kube-scheduler=pkg:kubernetes-master"),
        ("class demo {\n  file { '/usr/bin/kube-scheduler': content => 'x', mode => '0755' }\n}\n", "a: /usr/bin/kube-scheduler=pkg:kubernetes-master"),
        ("class demo {\n  file { '/usr/bin/kube-scheduler': ensure => absent }\n}\n", "a: /usr/bin/kube-scheduler=pkg:kubernetes-master"),
    ];

    #[test]
    fn pass_and_fail_tables() {
        assert_host_tables(NAME, PASS, FAIL);
    }

    #[test]
    fn flags_a_link_over_a_package_file() {
        let hosts = hosts_with(&[
            (
                "m1",
                &[("/usr/bin/kube-scheduler", owned("kubernetes-master"))],
            ),
            ("m2", &[("/usr/bin/kube-scheduler", file_entry(10, 0o755))]),
        ]);
        assert!(check_rule(NAME, &after_only(LINK)).is_empty());
        let found = check_rule_on_hosts(NAME, &after_only(LINK), &hosts);
        assert_eq!(found.len(), 1, "{found:#?}");
        let m = &found[0].message;
        assert!(
            m.contains(
                "turns /usr/bin/kube-scheduler into a link to /usr/local/bin/kube-scheduler"
            ),
            "{m}"
        );
        assert!(
            m.contains("package kubernetes-master on 1 of 2 hosts (m1)"),
            "{m}"
        );
    }

    #[test]
    fn silent_when_no_package_owns_it_or_the_package_is_removed() {
        let hosts = hosts_with(&[(
            "m1",
            &[("/usr/bin/kube-scheduler", owned("kubernetes-master"))],
        )]);
        let removed = "class demo {\n  package { 'kubernetes-master': ensure => absent }\n  file { '/usr/bin/kube-scheduler': ensure => link, target => '/usr/local/bin/kube-scheduler' }\n}\n";
        assert!(check_rule_on_hosts(NAME, &after_only(removed), &hosts).is_empty());
        let free = hosts_with(&[("m1", &[("/usr/bin/kube-scheduler", file_entry(10, 0o755))])]);
        assert!(check_rule_on_hosts(NAME, &after_only(LINK), &free).is_empty());
    }
}
