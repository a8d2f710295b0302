//! ## What it does
//!
//! For each service the change restarts, follows the chain of resources that provide its
//! binary (the file or link at the path, the link's target, the package) and its
//! environment files, and flags the restart when one of them has no ordering edge
//! (`require`, `before`, `->`, `~>`, containment) to the service.
//!
//! ## Why is this bad?
//!
//! Services have no autorequire on their binary. Without an edge the restart may run
//! before the link, file or package is in place: on Puppet 3 resources without
//! relationships ran in title-hash order; from Puppet 4 they run in manifest order, which
//! changes with unrelated edits. An edge also protects the service: when the binary's
//! resource fails, Puppet skips the restart instead of restarting onto a broken file.
//!
//! ## Example
//!
//! ```puppet
//! file { '/usr/bin/kube-scheduler': ensure => link, target => '/usr/local/bin/kube-scheduler' }
//! file { '/lib/systemd/system/kube-scheduler.service':
//!   content => template('k8s/kube-scheduler.service.erb'),
//!   notify  => Service['kube-scheduler'],
//! }
//! service { 'kube-scheduler': ensure => running }
//! ```
//!
//! ## Use instead
//!
//! ```puppet
//! file { '/usr/bin/kube-scheduler':
//!   ensure => link,
//!   target => '/usr/local/bin/kube-scheduler',
//!   before => Service['kube-scheduler'],
//! }
//! ```
//!
//! ## Exceptions
//!
//! Puppet 4 or later with the binary declared before the service in the same class works
//! by manifest order; suppress with that reason if you rely on it.
//!
//! ## References
//!
//! - Puppet relationships and ordering (`ordering` setting history: title-hash in 3.x,
//!   manifest order from 4.0).
//! - Puppet `service` type: no autorequire.

use crate::diagnostic::{Finding, Severity, Side};
use crate::model::ResId;

use super::common::related;
use super::registry::{Kind, Rule};
use super::services::{
    at_service, environment_files, exclusive, is_touched, restart_reason, restarted_binaries,
};
use super::{finding, Context};

pub const NAME: &str = "restart-before-binary";

/// This rule's row of the registry (`registry.rs` lists the rows in order).
pub(crate) static RULE: Rule = Rule {
    name: NAME,
    default_severity: Severity::Warning,
    summary: "a restart with no ordering edge from the binary's resource to the service",
    kind: Kind::Check,
    check: Some(check),
    source: include_str!("restart_before_binary.rs"),
};

pub fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    let rule = &RULE;
    for (s, bin) in restarted_binaries(cx) {
        let mut unordered: Vec<(ResId, String)> = Vec::new();
        for (x, role) in providers(cx, s, &bin) {
            if unordered.iter().any(|(y, _)| *y == x)
                || !is_touched(cx, x)
                || exclusive(cx.after, x, s)
                || cx.after.ordering_path(x, s)
            {
                continue;
            }
            unordered.push((x, role));
        }
        if unordered.is_empty() {
            continue;
        }
        let name = cx.after.get(s).display_ref();
        let reason = restart_reason(cx, s).unwrap_or_default();
        let list: Vec<String> = unordered
            .iter()
            .map(|(x, role)| format!("{} ({role})", cx.after.get(*x).display_ref()))
            .collect();
        let mut f =
            finding(
                rule,
                at_service(cx.after, Side::After, s),
                format!(
                "{name} is restarted by this change ({reason}), but nothing orders {} before it: \
                 the restart may run before {} in place, and a failure there will not stop it",
                list.join(", "),
                if unordered.len() == 1 { "it is" } else { "they are" }
            ),
            );
        f.help =
            Some(format!(
            "add `before => {name}` to {} (or `require` them from the service), so that Puppet \
             applies them first and skips the restart when one of them fails",
            if unordered.len() == 1 { "it" } else { "each of them" }
        ));
        for (x, role) in &unordered {
            f.related.push(related(
                cx.after,
                Side::After,
                *x,
                format!("{role}, changed by this change, with no ordering edge to {name}"),
            ));
        }
        f.resource = Some(cx.after.get(s).into());
        out.push(f);
    }
}

/// The after-side resources that provide what service `s` runs: the links on its
/// binary's chain, the file at the end of it, the packages that ship a path on it
/// (`package_paths`), and its environment files. Each with a few words on its role.
fn providers(cx: &Context<'_>, s: ResId, bin: &str) -> Vec<(ResId, String)> {
    let m = cx.after;
    let chain = m.facts.resolve(bin);
    let mut out = Vec::new();
    for (&l, path) in chain.links.iter().zip(&chain.paths) {
        out.push((l, format!("the link at {path}")));
    }
    let last = chain.last().to_string();
    for &x in m.index.managing(&last) {
        if m.get(x).is_live() && m.get(x).ty == "file" && !chain.links.contains(&x) {
            out.push((x, format!("the binary {last}")));
        }
    }
    let mut shipping: Vec<&str> = Vec::new();
    for p in &chain.paths {
        for pkg in m.facts.shipped_by(p) {
            if !shipping.contains(&pkg.as_str()) {
                shipping.push(pkg);
            }
        }
    }
    shipping.sort_unstable();
    for pkg in shipping {
        for &p in m.index.packages.get(pkg).into_iter().flatten() {
            out.push((p, format!("the package that ships {last}")));
        }
    }
    for env in environment_files(m, s) {
        for &x in m.index.managing(&env) {
            if m.get(x).is_live() {
                out.push((x, format!("its EnvironmentFile {env}")));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::*;

    const UNIT_TEXT: &str =
        "[Service]\nEnvironmentFile=-/etc/default/%p\nExecStart=/usr/bin/foo $DAEMON_ARGS\n";

    /// The unit template changes (so the service restarts); the manifest goes from
    /// `before` to `after`.
    fn case(before: &str, after: &str) -> Case {
        unit_edit(
            before,
            after,
            "[Service]\nExecStart=/usr/bin/foo\n",
            UNIT_TEXT,
        )
    }

    const LINK: &str = "  file { '/usr/bin/foo': ensure => link, target => '/opt/foo/foo'";
    const TARGET: &str =
        "  file { '/opt/foo/foo': source => 'puppet:///modules/demo/foo', mode => '0755', before => Service['foo'] }\n";

    /// Class bodies added by a change that also edits the unit template (so the service
    /// restarts); the link targets a binary managed with a source.
    const PASS: &[&str] = &[
        // Ordered with `before`.
        "  file { '/usr/bin/foo': ensure => link, target => '/opt/foo/foo', before => Service['foo'] }\n  file { '/opt/foo/foo': source => 'puppet:///modules/demo/foo', before => Service['foo'] }\n",
        // Ordered with chain arrows.
        "  file { '/usr/bin/foo': ensure => link, target => '/opt/foo/foo' }\n  -> file { '/opt/foo/foo': source => 'puppet:///modules/demo/foo' }\n  -> Service['foo']\n",
        // Ordered with left-pointing arrows from the service side.
        "  file { '/usr/bin/foo': ensure => link, target => '/opt/foo/foo' }\n  file { '/opt/foo/foo': source => 'puppet:///modules/demo/foo' }\n  Service['foo'] <- File['/usr/bin/foo']\n  Service['foo'] <~ File['/opt/foo/foo']\n",
    ];

    /// The service is reported on line 3 of the class.
    const FAIL: &[(&str, &[u32])] = &[
        // Nothing orders the new link.
        ("  file { '/usr/bin/foo': ensure => link, target => '/opt/foo/foo' }\n", &[3]),
        // The binary is ordered, the link is not.
        ("  file { '/usr/bin/foo': ensure => link, target => '/opt/foo/foo' }\n  file { '/opt/foo/foo': source => 'puppet:///modules/demo/foo', before => Service['foo'] }\n", &[3]),
        // Only the environment file is new, and it is not ordered.
        ("  file { '/etc/default/foo': content => 'DAEMON_ARGS=-v' }\n", &[3]),
    ];

    #[test]
    fn pass() {
        let cases = [
            (
                "ordered through containment: the service requires the class that holds it",
                {
                    let mut c = case(
                        &service_class("  include demo::bin\n"),
                        &service_class("  include demo::bin\n  Class['demo::bin'] -> Service['foo']\n"),
                    );
                    let bin = "class demo::bin {\n  file { '/usr/bin/foo': ensure => link, target => '/opt/foo/foo' }\n  file { '/opt/foo/foo': source => 'puppet:///modules/demo/foo' }\n}\n";
                    c.before("modules/demo/manifests/bin.pp", "class demo::bin {}\n");
                    c.after("modules/demo/manifests/bin.pp", bin);
                    c
                },
            ),
            (
                "the link is unchanged: nothing new to order",
                case(
                    &service_class(&format!("{LINK} }}\n")),
                    &service_class(&format!("{LINK} }}\n")),
                ),
            ),
            (
                "a package version bump with no refresh edge: no restart at all",
                edit(
                    "class demo {\n  package { 'foo': ensure => '1.0' }\n  service { 'foo': ensure => running, binary => '/usr/bin/foo' }\n}\n",
                    "class demo {\n  package { 'foo': ensure => '1.1' }\n  service { 'foo': ensure => running, binary => '/usr/bin/foo' }\n}\n",
                ),
            ),
            (
                "the service is in the other branch of the `if` from its link",
                case(
                    "class demo($pkg = true) {\n  if $pkg { file { '/lib/systemd/system/foo.service': content => template('demo/foo.service.erb') } ~> service { 'foo': ensure => running } }\n}\n",
                    "class demo($pkg = true) {\n  if $pkg { file { '/lib/systemd/system/foo.service': content => template('demo/foo.service.erb') } ~> service { 'foo': ensure => running } }\n  else { file { '/usr/bin/foo': ensure => link, target => '/opt/foo/foo' } }\n}\n",
                ),
            ),
        ];
        for (label, c) in cases {
            assert_silent(NAME, label, &c);
        }
        for (i, body) in PASS.iter().enumerate() {
            assert_silent(
                NAME,
                &format!("PASS[{i}]"),
                &case(&service_class(""), &service_class(body)),
            );
        }
    }

    #[test]
    fn fail_snippets() {
        for (i, &(body, lines)) in FAIL.iter().enumerate() {
            let after = service_class(body);
            let c = case(&service_class(""), &after);
            assert_lines(NAME, &format!("FAIL[{i}]"), &c, &after, lines);
        }
    }

    #[test]
    fn fail() {
        // The link and the environment file are new and unordered.
        let after = service_class(&format!(
            "{LINK} }}\n{TARGET}  file {{ '/etc/default/foo': content => 'DAEMON_ARGS=-v' }}\n"
        ));
        let found = check_rule(NAME, &case(&service_class(""), &after));
        assert_eq!(found.len(), 1, "{found:#?}");
        let f = &found[0];
        assert_eq!(Case::line_of(&after, f), 3);
        assert!(f
            .message
            .contains("File['/usr/bin/foo'] (the link at /usr/bin/foo)"));
        assert!(f
            .message
            .contains("File['/etc/default/foo'] (its EnvironmentFile /etc/default/foo)"));
        assert!(!f.message.contains("File['/opt/foo/foo']"), "{}", f.message);
        assert_eq!(f.related.len(), 2);

        // The target's content changes with no edge, while a config file restarts it.
        let c = edit(
            "class demo {\n  file { '/usr/local/bin/foo': source => 'puppet:///modules/demo/foo-1' }\n  file { '/etc/foo.conf': content => 'a', notify => Service['foo'] }\n  service { 'foo': ensure => running, binary => '/usr/local/bin/foo' }\n}\n",
            "class demo {\n  file { '/usr/local/bin/foo': source => 'puppet:///modules/demo/foo-2' }\n  file { '/etc/foo.conf': content => 'b', notify => Service['foo'] }\n  service { 'foo': ensure => running, binary => '/usr/local/bin/foo' }\n}\n",
        );
        let found = check_rule(NAME, &c);
        assert_eq!(found.len(), 1, "{found:#?}");
        assert!(found[0].message.contains("the binary /usr/local/bin/foo"));
    }

    /// The change drops the ordering between the binary and the service that runs it.
    #[test]
    fn dropping_the_ordering_of_the_binary() {
        let bin = |edge: &str| {
            service_class(&format!(
                "  file {{ '/usr/bin/foo': source => 'puppet:///modules/demo/foo', mode => '0755'{edge} }}\n"
            ))
        };
        let (ordered, unordered) = (bin(", before => Service['foo']"), bin(""));
        // The same change restarts the service (its unit template changes): reported.
        let found = check_rule(NAME, &case(&ordered, &unordered));
        assert_eq!(found.len(), 1, "{found:#?}");
        assert!(found[0]
            .message
            .contains("File['/usr/bin/foo'] (the binary /usr/bin/foo)"));
        // Dropping the edge alone restarts nothing: nothing to report.
        assert!(check_rule(NAME, &edit(&ordered, &unordered)).is_empty());
        // A new binary with no mode and no edge, the service restarted by the same change:
        // both rules speak, each of its own problem.
        let no_mode =
            service_class("  file { '/usr/bin/foo': source => 'puppet:///modules/demo/foo' }\n");
        let c = case(&service_class(""), &no_mode);
        assert_eq!(check_rule(NAME, &c).len(), 1);
        assert_eq!(
            check_rule(crate::rules::binary_not_executable::NAME, &c).len(),
            1
        );
    }
}
