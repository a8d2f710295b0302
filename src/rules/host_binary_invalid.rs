//! ## What it does
//!
//! With host snapshots (`check --host-snapshot`), flags a service that this change, or a
//! revert of it, restarts or starts when the file the service will run is unusable on a
//! host: missing, empty (0 bytes), without an execute bit, a directory, or a link that
//! dangles or loops. The path is the service's binary followed through the links the
//! repository manages (Puppet creates them in the same run); the first path the
//! repository does not deploy content to is looked up in each snapshot, following the
//! host's own links. The message says which hosts, and how many of them.
//!
//! ## Why is this bad?
//!
//! The restart is the moment the service goes down: systemd starts nothing, or a unit of
//! `Type=simple` reports success and the service dies right after. Nothing in the
//! repository can show it: a deploy script's failed `wget -O` left a 0-byte file, a
//! package removal took the binary, a manual fix was never made permanent. Only the
//! hosts know, and the snapshot says so before merge.
//!
//! ## Example
//!
//! ```puppet
//! # the revert of a change moves ExecStart back to /usr/local/bin/kube-apiserver,
//! # which a failed download truncated on the master
//! file { '/lib/systemd/system/kube-apiserver.service':
//!   content => template('k8s/kube-apiserver.service.erb'),
//!   notify  => Service['kube-apiserver'],
//! }
//! service { 'kube-apiserver': ensure => running }
//! ```
//!
//! ## Use instead
//!
//! Repair the file on the hosts first, or manage it (`source`, or a package) so that the
//! same Puppet run that restarts the service also deploys what it runs:
//!
//! ```puppet
//! file { '/usr/local/bin/kube-apiserver':
//!   source => 'puppet:///modules/k8s/kube-apiserver',
//!   mode   => '0555',
//!   before => Service['kube-apiserver'],
//! }
//! ```
//!
//! ## Exceptions
//!
//! A snapshot is a picture of the past: when the file was repaired since, take the
//! snapshot again rather than suppress. Paths a snapshot does not cover (outside the
//! directories it walked) are never reported. Stale snapshots are reported by
//! `host-snapshot-stale`.
//!
//! ## References
//!
//! - `puppet-preflight snapshot` and the README's "Host snapshots" section.
//! - systemd.service(5): `ExecStart=`, `Type=`.

use crate::diagnostic::{Finding, Severity, Side};
use crate::hosts::BinaryProblem;
use crate::model::{Model, ResId};

use super::hazard::Voice;
use super::on_hosts::{describe_groups, group, host_decides, Reverse};
use super::registry::{Kind, Rule};
use super::services::{at_service, exec_start_related, restart_reason};
use super::{finding, Context};

pub const NAME: &str = "host-binary-invalid";

/// This rule's row of the registry (`registry.rs` lists the rows in order).
pub(crate) static RULE: Rule = Rule {
    name: NAME,
    default_severity: Severity::Error,
    summary: "a service this change (or its revert) restarts runs a file that is missing, empty, not executable or a dangling link on a host",
    kind: Kind::Check,
    check: Some(check),
    source: include_str!("host_binary_invalid.rs"),
};

pub fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    if cx.hosts.is_empty() {
        return;
    }
    for r in &cx.diff.restarts {
        out.extend(judge(cx, cx, Side::After, r.service, Voice::Change));
    }
    let reverse = Reverse::new(cx);
    let rev = reverse.context(cx);
    for r in &rev.diff.restarts {
        // The revert's head revision is our base revision.
        out.extend(judge(cx, &rev, Side::Before, r.service, Voice::Revert));
    }
}

/// The finding for service `s` of `acting.after`, restarted by `voice`; `side` is where
/// that model is in the forward change.
fn judge(
    cx: &Context<'_>,
    acting: &Context<'_>,
    side: Side,
    s: ResId,
    voice: Voice,
) -> Option<Finding> {
    let m: &Model = acting.after;
    let bin = m.facts.binary(s)?;
    let chain = m.facts.resolve(bin);
    if chain.cycle {
        return None;
    }
    let last = chain.last();
    if !host_decides(m, last) {
        return None;
    }
    let groups = group(&cx.hosts.snapshots, |snap| snap.binary_problem(last));
    if groups.is_empty() {
        return None;
    }
    let svc = m.get(s);
    let name = svc.display_ref();
    let through = if chain.paths.len() > 1 {
        format!(
            " (it runs {}, through the managed links)",
            chain.paths.join(" -> ")
        )
    } else {
        String::new()
    };
    let reason = restart_reason(acting, s)
        .map(|r| format!(" ({r})"))
        .unwrap_or_default();
    let what = describe_groups(cx, &groups, BinaryProblem::describe);
    let mut f = finding(
        &RULE,
        at_service(m, side, s),
        format!(
            "{name} is restarted by {}{reason} onto {last}{through}, which {what}",
            voice.actor()
        ),
    );
    f.help = Some(format!(
        "repair {last} on those hosts before merging (and take the snapshots again), or \
         manage it with `source` or a package ordered before {name}, so that the run that \
         restarts the service also deploys what it runs"
    ));
    if let Some(r) = exec_start_related(m, side, s, format!("{name} runs {bin}")) {
        f.related.push(r);
    }
    f.resource = Some(svc.into());
    Some(f)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::*;

    /// A unit template change restarts `foo`, whose ExecStart is `/usr/local/bin/foo`.
    fn restart_case(body: &str) -> Case {
        unit_edit(
            &format!("class demo {{\n{UNIT}{body}}}\n"),
            &format!("class demo {{\n{UNIT}{body}}}\n"),
            "[Service]\nExecStart=/usr/local/bin/foo --a\n",
            "[Service]\nExecStart=/usr/local/bin/foo --b\n",
        )
    }

    const UNIT: &str = "  file { '/lib/systemd/system/foo.service':\n    content => template('demo/foo.service.erb'),\n    notify  => Service['foo'],\n  }\n  service { 'foo': ensure => running }\n";

    /// (class body after the unit and the service, hosts): a unit change restarts
    /// `foo`, which runs /usr/local/bin/foo.
    const PASS: &[(&str, &str)] = &[
        ("", "a: /usr/local/bin/foo=exe | b: /usr/local/bin/foo=link:/opt/foo/foo; /opt/foo/foo=exe"),
        ("  file { '/usr/local/bin/foo': source => 'puppet:///modules/demo/foo', mode => '0755' }\n", "a: /usr/local/bin/foo=empty"),
        ("", "a: /usr/local/bin/foo=link:../../bin/foo; /usr/bin/foo=exe"),
        // Puppet removes it in the same run: `service-binary-missing` says so, the host's
        // copy does not matter.
        ("  file { '/usr/local/bin/foo': ensure => absent }\n", "a: /usr/local/bin/foo=empty"),
    ];

    const FAIL: &[(&str, &str)] = &[
        ("", "a: /usr/local/bin/foo=empty"),
        (
            "",
            "a: /usr/local/bin/foo=plain | b: /usr/local/bin/foo=exe",
        ),
        ("", "a: /usr/local/bin/foo=link:/opt/foo/missing"),
        ("", "a: /usr/bin/x=exe"),
        (
            "  file { '/usr/local/bin/foo': ensure => file, mode => '0755' }\n",
            "a: /usr/local/bin/foo=empty",
        ),
    ];

    #[test]
    fn pass_and_fail_tables() {
        for (i, (body, hosts)) in PASS.iter().enumerate() {
            let found = check_rule_on_hosts(NAME, &restart_case(body), &hosts_spec(hosts));
            assert!(found.is_empty(), "PASS[{i}]: {found:#?}");
        }
        for (i, (body, hosts)) in FAIL.iter().enumerate() {
            let found = check_rule_on_hosts(NAME, &restart_case(body), &hosts_spec(hosts));
            assert!(!found.is_empty(), "FAIL[{i}] found nothing");
            assert!(
                check_rule(NAME, &restart_case(body)).is_empty(),
                "FAIL[{i}] without hosts"
            );
        }
    }

    #[test]
    fn flags_an_empty_binary_on_a_host_and_only_with_snapshots() {
        let case = restart_case("");
        assert!(
            check_rule(NAME, &case).is_empty(),
            "no snapshots, no finding"
        );
        let hosts = hosts_with(&[
            ("a", &[("/usr/local/bin/foo", file_entry(0, 0o755))]),
            ("b", &[("/usr/local/bin/foo", file_entry(10, 0o755))]),
        ]);
        // The change restarts the service, and so would its revert (the unit changes
        // back): one finding each, in its own voice.
        let found = check_rule_on_hosts(NAME, &case, &hosts);
        assert_eq!(found.len(), 2, "{found:#?}");
        for (f, actor) in found.iter().zip(["this change", "the revert"]) {
            let m = &f.message;
            assert!(m.contains(&format!("restarted by {actor}")), "{m}");
            assert!(m.contains("onto /usr/local/bin/foo"), "{m}");
            assert!(m.contains("is empty (0 bytes) on 1 of 2 hosts (a)"), "{m}");
        }
        assert_eq!(found[0].location.side, Side::After);
        assert_eq!(found[1].location.side, Side::Before);
    }

    #[test]
    fn silent_when_the_binary_is_fine_deployed_or_not_covered() {
        let ok = hosts_with(&[("a", &[("/usr/local/bin/foo", file_entry(10, 0o755))])]);
        assert!(check_rule_on_hosts(NAME, &restart_case(""), &ok).is_empty());
        // Puppet deploys the file in the same run: the host's copy is replaced.
        let empty = hosts_with(&[("a", &[("/usr/local/bin/foo", file_entry(0, 0o755))])]);
        let deployed = restart_case("  file { '/usr/local/bin/foo': source => 'puppet:///modules/demo/foo', mode => '0755' }\n");
        assert!(check_rule_on_hosts(NAME, &deployed, &empty).is_empty());
        // The snapshot does not cover /usr/local/bin.
        let elsewhere = hosts_with(&[("a", &[("/usr/bin/x", file_entry(10, 0o755))])]);
        let mut h = elsewhere;
        h.snapshots[0].dirs = vec![("/usr/bin".into(), true)];
        assert!(check_rule_on_hosts(NAME, &restart_case(""), &h).is_empty());
    }

    #[test]
    fn follows_host_links_and_names_each_problem() {
        let hosts = hosts_with(&[
            (
                "a",
                &[("/usr/local/bin/foo", link_entry("/usr/local/bin/gone"))],
            ),
            ("b", &[("/usr/local/bin/foo", file_entry(10, 0o644))]),
            ("c", &[]),
        ]);
        let found = check_rule_on_hosts(NAME, &restart_case(""), &hosts);
        assert_eq!(found.len(), 2, "the change and its revert: {found:#?}");
        let m = &found[0].message;
        for part in [
            "is missing on 1 of 3 hosts (c)",
            "is a link whose target /usr/local/bin/gone does not exist on 1 of 3 hosts (a)",
            "is not executable (mode 0644) on 1 of 3 hosts (b)",
        ] {
            assert!(m.contains(part), "{part:?} not in {m}");
        }
    }
}
