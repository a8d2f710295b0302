//! ## What it does
//!
//! With host snapshots (`check --host-snapshot`), flags a link this change creates or
//! re-points when, on a host, what it will lead to is missing, empty (0 bytes) or a
//! dangling link, or is a leftover that differs from what the repository deploys there.
//! The target is followed through the links the repository manages; the first path it
//! does not manage as a link is looked up in each snapshot, following the host's own
//! links. A leftover is reported when the repository deploys the target (a `source` in
//! the repository of at most 1 MiB, or literal `content`), the host's executable there
//! has another SHA-256, and the link is not ordered after the file (`require`), so the
//! link can lead to the old file until Puppet gets to it.
//!
//! ## Why is this bad?
//!
//! A link is only as good as what it points at. The repository cannot tell that the file
//! a new link leads to is absent on half the fleet, or a 0-byte leftover of a failed
//! download, or an older binary someone copied by hand; the hosts can. Whatever runs
//! through the link (a service, a cron job, a user) fails or runs the wrong version.
//!
//! ## Example
//!
//! ```puppet
//! # /usr/local/bin/kube-scheduler is empty on two masters
//! file { '/usr/bin/kube-scheduler':
//!   ensure => link,
//!   target => '/usr/local/bin/kube-scheduler',
//! }
//! ```
//!
//! ## Use instead
//!
//! Deploy the target in the same change and order the link after it:
//!
//! ```puppet
//! file { '/usr/local/bin/kube-scheduler':
//!   source => 'puppet:///modules/k8s/kube-scheduler',
//!   mode   => '0555',
//! }
//! -> file { '/usr/bin/kube-scheduler':
//!   ensure => link,
//!   target => '/usr/local/bin/kube-scheduler',
//! }
//! ```
//!
//! ## Exceptions
//!
//! Targets outside what a snapshot covers are never reported. When the hosts were
//! repaired after the snapshot, take it again rather than suppress.
//!
//! ## References
//!
//! - Puppet `file` type: `ensure => link`, `target`.
//! - `puppet-preflight snapshot` and the README's "Host snapshots" section.

use crate::diagnostic::{Finding, Severity, Side};
use crate::hosts::{BinaryProblem, EntryType, State};

use super::common::{at_attr, touched_links};
use super::on_hosts::{deployed_sha256, deployer, describe_groups, group, host_decides};
use super::registry::{Kind, Rule};
use super::{finding, Context};

pub const NAME: &str = "host-link-target-invalid";

/// This rule's row of the registry (`registry.rs` lists the rows in order).
pub(crate) static RULE: Rule = Rule {
    name: NAME,
    default_severity: Severity::Error,
    summary: "a link this change creates leads, on a host, to a missing or empty file, or to a leftover that differs from what the repository deploys",
    kind: Kind::Check,
    check: Some(check),
    source: include_str!("host_link_target_invalid.rs"),
};

/// What is wrong at the end of a link on one host.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Problem {
    Unusable(BinaryProblem),
    Leftover,
}

pub fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    if cx.hosts.is_empty() {
        return;
    }
    for (id, path) in touched_links(cx) {
        let chain = cx.after.facts.resolve(&path);
        if chain.cycle || chain.paths.len() < 2 {
            continue;
        }
        let last = chain.last();
        let (groups, deployed) = match deployer(cx.after, last) {
            Some(file) => {
                // Puppet replaces the file in the same run; until then, if the link comes
                // first, it leads to whatever the host has.
                if cx.after.ordering_path(file, id) {
                    continue;
                }
                let Some(sha) = deployed_sha256(cx, cx.after, file) else {
                    continue;
                };
                let groups = group(&cx.hosts.snapshots, |snap| {
                    let r = snap.resolve(last);
                    match r.state {
                        State::Present(e) if e.kind == EntryType::File => e
                            .sha256
                            .as_deref()
                            .is_some_and(|h| h != sha)
                            .then_some(Problem::Leftover),
                        _ => None,
                    }
                });
                (groups, Some(file))
            }
            None if !host_decides(cx.after, last) => continue,
            None => (
                group(&cx.hosts.snapshots, |snap| {
                    snap.target_problem(last).map(Problem::Unusable)
                }),
                None,
            ),
        };
        if groups.is_empty() {
            continue;
        }
        let link = cx.after.get(id);
        let name = link.display_ref();
        let via = if chain.paths.len() > 2 {
            format!(
                " (through {})",
                chain.paths[1..chain.paths.len() - 1].join(", ")
            )
        } else {
            String::new()
        };
        let what = describe_groups(cx, &groups, |p| match p {
            Problem::Unusable(b) => b.describe(),
            Problem::Leftover => format!(
                "holds another file than the one {} deploys",
                deployed.map_or_else(String::new, |f| cx.after.get(f).display_ref())
            ),
        });
        let mut f = finding(
            &RULE,
            at_attr(cx.after, Side::After, id, "target"),
            format!("{name} will lead to {last}{via}, which {what}"),
        );
        f.help = Some(match deployed {
            Some(file) => format!(
                "order the link after the file it leads to (`require => {}`), so that Puppet \
                 replaces the leftover before the link can lead to it",
                cx.after.get(file).display_ref()
            ),
            None => format!(
                "deploy {last} in the same change (`source` or a package) and order the link \
                 after it, or repair it on those hosts before merging"
            ),
        });
        f.resource = Some(link.into());
        out.push(f);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::*;

    const LINK: &str = "class demo {\n  file { '/usr/bin/foo': ensure => link, target => '/usr/local/bin/foo' }\n}\n";

    /// (manifest, hosts).
    const PASS: &[(&str, &str)] = &[
        (LINK, "a: /usr/local/bin/foo=exe"),
        (LINK, "a: /usr/local/bin/foo=link:/opt/foo; /opt/foo=exe"),
        ("class demo {\n  file { '/usr/bin/foo': ensure => link, target => '/srv/foo' }\n}\n", "a: /usr/bin/x=exe"),
        ("class demo {\n  file { '/usr/local/bin/foo': content => 'x', mode => '0755' }\n  -> file { '/usr/bin/foo': ensure => link, target => '/usr/local/bin/foo' }\n}\n", "a: /usr/local/bin/foo=exe:0"),
    ];

    const FAIL: &[(&str, &str)] = &[
        (LINK, "a: /usr/local/bin/foo=empty"),
        (LINK, "a:"),
        (LINK, "a: /usr/local/bin/foo=link:/opt/gone"),
        ("class demo {\n  file { '/usr/local/bin/foo': content => 'x', mode => '0755' }\n  file { '/usr/bin/foo': ensure => link, target => '/usr/local/bin/foo' }\n}\n", "a: /usr/local/bin/foo=exe:0"),
    ];

    #[test]
    fn pass_and_fail_tables() {
        assert_host_tables(NAME, PASS, FAIL);
    }

    #[test]
    fn flags_a_link_to_a_missing_or_empty_file() {
        let case = after_only(LINK);
        assert!(check_rule(NAME, &case).is_empty());
        let hosts = hosts_with(&[
            ("a", &[("/usr/local/bin/foo", file_entry(0, 0o755))]),
            ("b", &[]),
            ("c", &[("/usr/local/bin/foo", file_entry(100, 0o755))]),
        ]);
        let found = check_rule_on_hosts(NAME, &case, &hosts);
        assert_eq!(found.len(), 1, "{found:#?}");
        let m = &found[0].message;
        assert!(m.contains("will lead to /usr/local/bin/foo"), "{m}");
        assert!(m.contains("is missing on 1 of 3 hosts (b)"), "{m}");
        assert!(m.contains("is empty (0 bytes) on 1 of 3 hosts (a)"), "{m}");
        assert_eq!(Case::line_of(LINK, &found[0]), 2);
    }

    #[test]
    fn flags_a_leftover_unless_the_link_is_ordered_after_the_file() {
        let body = |order: &str| {
            format!(
                "class demo {{\n  file {{ '/usr/local/bin/foo': content => \"#!/bin/sh\\necho new\\n\", mode => '0755' }}\n  file {{ '/usr/bin/foo': ensure => link, target => '/usr/local/bin/foo'{order} }}\n}}\n"
            )
        };
        let mut old = file_entry(20, 0o755);
        old.sha256 = Some("0".repeat(64));
        let hosts = hosts_with(&[("a", &[("/usr/local/bin/foo", old)])]);
        let found = check_rule_on_hosts(NAME, &after_only(&body("")), &hosts);
        assert_eq!(found.len(), 1, "{found:#?}");
        assert!(
            found[0]
                .message
                .contains("holds another file than the one File['/usr/local/bin/foo'] deploys on 1 of 1 host (a)"),
            "{}",
            found[0].message
        );
        let ordered = body(", require => File['/usr/local/bin/foo']");
        assert!(check_rule_on_hosts(NAME, &after_only(&ordered), &hosts).is_empty());
    }

    #[test]
    fn silent_when_the_target_is_fine_or_unknown() {
        let hosts = hosts_with(&[("a", &[("/usr/local/bin/foo", file_entry(100, 0o755))])]);
        assert!(check_rule_on_hosts(NAME, &after_only(LINK), &hosts).is_empty());
        let outside = after_only(
            "class demo {\n  file { '/usr/bin/foo': ensure => link, target => '/srv/foo' }\n}\n",
        );
        assert!(check_rule_on_hosts(NAME, &outside, &hosts).is_empty());
    }
}
