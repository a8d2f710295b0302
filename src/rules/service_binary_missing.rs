//! ## What it does
//!
//! Flags a service that is running or enabled in the head revision while the binary it
//! runs, the package that provides it, or its unit file is removed (`ensure => absent`
//! or `purged`, or a link on its path pointing at a removed file).
//!
//! ## Why is this bad?
//!
//! The next start or restart of the service fails. If the unit came from the removed
//! package, the unit file disappears too and `ensure => running` errors on every run.
//!
//! ## Example
//!
//! ```puppet
//! package { 'prometheus-node-exporter': ensure => absent }
//! service { 'prometheus-node-exporter':
//!   ensure => running,
//!   enable => true,
//! }
//! ```
//!
//! ## Use instead
//!
//! Stop and disable the service in the same change that removes its binary:
//!
//! ```puppet
//! service { 'prometheus-node-exporter':
//!   ensure => stopped,
//!   enable => false,
//! }
//! -> package { 'prometheus-node-exporter': ensure => absent }
//! ```
//!
//! ## Exceptions
//!
//! The binary is replaced by another provider in the same change (package removed, a
//! managed file added at the same path): the rule checks the resolved chain, not single
//! resources, so this is not reported. Only what the change touches is reported, a
//! drop-in (`foo.service.d/*.conf`) that goes away does not count as the unit, and a
//! removal in another module counts only when a relationship ties it to the service (a
//! linter sees every class at once; a compute role purging a package that a network
//! role's service runs is not one catalog). Services in the other branch of a condition
//! from the removal are never reported.
//!
//! ## References
//!
//! - Puppet `service` and `package` types; `ensure => absent` / `purged`.

use std::fmt;

use crate::diagnostic::{Finding, Location, Severity, Side};
use crate::model::{facts, ResId, Resource, Value};

use super::common::{ensure_of, file_path, related, Ensure};
use super::hazard::Voice;
use super::registry::{Kind, Rule};
use super::services::{at_service, binary, exclusive, is_touched};
use super::{finding, Context};

pub const NAME: &str = "service-binary-missing";

/// This rule's row of the registry (`registry.rs` lists the rows in order).
pub(crate) static RULE: Rule = Rule {
    name: NAME,
    default_severity: Severity::Error,
    summary: "a running service whose binary, package or unit is absent",
    kind: Kind::Check,
    check: Some(check),
    source: include_str!("service_binary_missing.rs"),
};

/// A service declared to run whose binary, package or unit file the change removes.
pub(crate) struct BinaryMissing {
    /// The head-revision service.
    pub service: ResId,
    /// `running` or `enabled`.
    pub state: &'static str,
    /// What is removed, each with the head-revision resource that removes it; never empty.
    pub causes: Vec<(ResId, Cause)>,
    pub location: Location,
}

/// One removal that leaves a service without what it runs.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Cause {
    /// The binary itself is `ensure => absent`.
    Binary { bin: String },
    /// A path the binary leads to (through links) is `ensure => absent`.
    OnChain { bin: String, path: String },
    /// A package that `package_paths` says ships a path of the chain is removed.
    PackageShips { package: String, path: String },
    /// The package named after the service is removed.
    PackageNamed { package: String },
    /// The main unit file is `ensure => absent`.
    Unit,
}

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Cause::Binary { bin } => write!(f, "its binary {bin} is removed"),
            Cause::OnChain { bin, path } => {
                write!(f, "its binary {bin} leads to {path}, which is removed")
            }
            Cause::PackageShips { package, path } => {
                write!(f, "package `{package}`, which ships {path}, is removed")
            }
            Cause::PackageNamed { package } => {
                write!(f, "package `{package}`, which provides it, is removed")
            }
            Cause::Unit => f.write_str("its unit file is removed"),
        }
    }
}

pub fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    let rule = &RULE;
    for h in detect(cx) {
        out.push(render(cx, rule, &h, Voice::Change));
    }
}

pub(crate) fn detect(cx: &Context<'_>) -> Vec<BinaryMissing> {
    let mut out = Vec::new();
    let m = cx.after;
    for svc in m.index.services.values().flatten() {
        let s = svc.res;
        let r = m.get(s);
        let Some(state) = wants_running(r) else {
            continue;
        };
        let mut causes: Vec<(ResId, Cause)> = Vec::new();
        if let Some(bin) = binary(m, s) {
            let chain = m.facts.resolve(&bin);
            for p in &chain.paths {
                for &x in m.index.managing(p) {
                    let xr = m.get(x);
                    if xr.is_live() && xr.ty == "file" && ensure_of(xr) == Ensure::Absent {
                        let what = if *p == bin {
                            Cause::Binary { bin: bin.clone() }
                        } else {
                            Cause::OnChain {
                                bin: bin.clone(),
                                path: p.clone(),
                            }
                        };
                        causes.push((x, what));
                    }
                }
            }
            let shipped: Vec<(&String, &String)> = chain
                .paths
                .iter()
                .flat_map(|p| m.facts.shipped_by(p).iter().map(move |pkg| (pkg, p)))
                .collect();
            for (pkg, p) in shipped {
                for &x in m.index.packages.get(pkg).into_iter().flatten() {
                    // One cause per package: the first path of the chain it ships.
                    if package_removed(m.get(x)) && !causes.iter().any(|(y, _)| *y == x) {
                        causes.push((
                            x,
                            Cause::PackageShips {
                                package: pkg.clone(),
                                path: p.clone(),
                            },
                        ));
                    }
                }
            }
        }
        // The package named after the service (the usual Debian convention).
        for &x in m.index.packages.get(&svc.name).into_iter().flatten() {
            if package_removed(m.get(x)) && !causes.iter().any(|(y, _)| *y == x) {
                causes.push((
                    x,
                    Cause::PackageNamed {
                        package: svc.name.clone(),
                    },
                ));
            }
        }
        // The main unit file (a drop-in that goes away only removes an override).
        for &u in &svc.unit_files {
            let ur = m.get(u);
            let main = file_path(ur).is_some_and(|p| !p.contains(".d/"));
            if main && ur.is_live() && ensure_of(ur) == Ensure::Absent {
                causes.push((u, Cause::Unit));
            }
        }
        // Only what this change does, only what compiles together with the service, and
        // (a linter sees every class at once) only what belongs with it: the same module,
        // or a relationship between the two.
        causes.retain(|(x, _)| {
            !exclusive(m, *x, s)
                && !displaced(m, *x, s)
                && (is_touched(cx, *x) || is_touched(cx, s))
                && (m.get(*x).module == r.module
                    || m.ordering_path(*x, s)
                    || m.ordering_path(s, *x))
        });
        // A class that retires a unit and a class that runs a service of that name are
        // alternatives when the code declares both, but never together. Asked last: it
        // reads every manifest's includes.
        causes.retain(|(x, _)| {
            m.ordering_path(*x, s)
                || m.ordering_path(s, *x)
                || !super::duplicate_declaration::never_declared_together(cx, *x, s)
        });
        causes.dedup_by(|a, b| a.1 == b.1);
        if causes.is_empty() {
            continue;
        }
        out.push(BinaryMissing {
            service: s,
            state,
            causes,
            location: at_service(m, Side::After, s),
        });
    }
    out
}

pub(crate) fn render(
    cx: &Context<'_>,
    rule: &'static Rule,
    h: &BinaryMissing,
    voice: Voice,
) -> Finding {
    let m = cx.after;
    let r = m.get(h.service);
    let text: Vec<String> = h.causes.iter().map(|(_, c)| c.to_string()).collect();
    let mut f = finding(
        rule,
        h.location.clone(),
        format!(
            "{} stays {} after {}, but {}: its next start or restart fails",
            r.display_ref(),
            h.state,
            voice.actor(),
            text.join(", and ")
        ),
    );
    f.help = Some(format!(
        "stop and disable the service in the same change (`ensure => stopped, enable => \
         false`, ordered before the removal), or keep what provides {}",
        binary(m, h.service).unwrap_or_else(|| "its binary".into())
    ));
    for (x, c) in &h.causes {
        f.related.push(related(m, Side::After, *x, c.to_string()));
    }
    f.resource = Some(r.into());
    f
}

/// `Some("running")`/`Some("enabled")` when the service is declared to run (or to start
/// at boot) with known values.
fn wants_running(r: &Resource) -> Option<&'static str> {
    let is = |v: Option<&Value>, words: &[&str]| match v {
        Some(Value::Bool(b)) => *b && words.contains(&"true"),
        Some(Value::Str(s)) => words.contains(&s.as_str()),
        _ => false,
    };
    if is(r.get("ensure"), &["running", "true"]) {
        Some("running")
    } else if is(r.get("enable"), &["true"]) && !is(r.get("ensure"), &["stopped", "false"]) {
        Some("enabled")
    } else {
        None
    }
}

/// A live package resource that removes its package.
/// Whether the code that declares `x` also declares, whenever it declares `x`, another
/// resource with the service's type and title: then no catalog compiles with both `x` and
/// `s` (the two namesakes would be a duplicate declaration), and a relationship written
/// to `Service['name']` next to `x` means that namesake, not `s`. The usual case is a
/// class that retires a service (`ensure => stopped` and its unit `absent`) while a new
/// class runs one of the same name.
fn displaced(m: &crate::model::Model, x: ResId, s: ResId) -> bool {
    let (rx, rs) = (m.get(x), m.get(s));
    let Some(title) = rs.title_str() else {
        return false;
    };
    m.find(&rs.ty, title).iter().any(|&o| {
        let ro = m.get(o);
        o != s && ro.is_live() && ro.container == rx.container && rx.guard.starts_with(&ro.guard)
    })
}

fn package_removed(r: &Resource) -> bool {
    r.is_live() && facts::package_removed(r)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::*;

    const PASS: &[&str] = &[
        // Stopped and disabled in the same change that removes the package.
        "class demo {\n  service { 'node-exporter': ensure => stopped, enable => false }\n  -> package { 'node-exporter': ensure => absent }\n}\n",
        // The package is removed in the other branch of the `if` from the service.
        "class demo($legacy) {\n  if $legacy { package { 'node-exporter': ensure => absent } }\n  else { service { 'node-exporter': ensure => running } }\n}\n",
        // The binary is present.
        "class demo {\n  file { '/usr/local/bin/foo': source => 'puppet:///modules/demo/foo' }\n  service { 'foo': ensure => running, binary => '/usr/local/bin/foo' }\n}\n",
        // Another path is removed.
        "class demo {\n  file { '/usr/local/bin/old-foo': ensure => absent }\n  service { 'foo': ensure => running, binary => '/usr/local/bin/foo' }\n}\n",
        // A drop-in of the unit goes away, the unit stays.
        "class demo {\n  file { '/etc/systemd/system/foo.service.d/limits.conf': ensure => absent }\n  service { 'foo': ensure => running }\n}\n",
        // The service's state is not managed (no ensure, no enable).
        "class demo {\n  package { 'foo': ensure => purged }\n  service { 'foo': }\n}\n",
    ];

    const FAIL: &[(&str, &[u32])] = &[
        // P11: the package that provides the service is removed.
        (
            "class demo {\n  package { 'node-exporter': ensure => absent }\n  service { 'node-exporter':\n    ensure => running,\n    enable => true,\n  }\n}\n",
            &[3],
        ),
        // The binary itself is removed.
        (
            "class demo {\n  file { '/usr/local/bin/foo': ensure => absent }\n  service { 'foo': ensure => running, binary => '/usr/local/bin/foo' }\n}\n",
            &[3],
        ),
        // The binary is a link to a removed file.
        (
            "class demo {\n  file { '/usr/bin/foo': ensure => link, target => '/opt/foo/foo' }\n  file { '/opt/foo/foo': ensure => absent }\n  service { 'foo': enable => true, binary => '/usr/bin/foo' }\n}\n",
            &[4],
        ),
        // The unit file is removed while the service stays.
        (
            "class demo {\n  file { '/etc/systemd/system/foo.service': ensure => absent }\n  service { 'foo': ensure => running }\n}\n",
            &[3],
        ),
    ];

    #[test]
    fn pass() {
        assert_pass_snippets(NAME, PASS, after_only);
    }

    #[test]
    fn fail() {
        let found = assert_fail_snippets(NAME, FAIL, after_only);
        assert!(found[0][0].message.contains(
            "Service['node-exporter'] stays running after this change, but package \
             `node-exporter`, which provides it, is removed"
        ));
    }

    #[test]
    fn two_classes_nothing_declares_together_are_alternatives() {
        // The old class retires the unit, a new class of the same module runs a service
        // of that name.
        let mut c = Case::default();
        c.after(
            "modules/demo/manifests/registry.pp",
            "class demo::registry {\n  file { '/etc/systemd/system/registry.service': ensure => absent }\n}\n",
        );
        c.after(
            "modules/demo/manifests/registry2.pp",
            "class demo::registry2 {\n  service { 'registry': ensure => running }\n}\n",
        );
        // Classified outside the code (hiera, a node classifier): they may meet.
        assert_eq!(check_rule(NAME, &c).len(), 1);
        // Nodes that declare one or the other, never both.
        c.after(
            "manifests/site.pp",
            "node 'r1' {\n  include demo::registry\n}\nnode 'r2' {\n  include demo::registry2\n}\n",
        );
        assert!(check_rule(NAME, &c).is_empty());
        // A node that declares both.
        c.after(
            "manifests/site.pp",
            "node 'r1' {\n  include demo::registry\n  include demo::registry2\n}\n",
        );
        assert_eq!(check_rule(NAME, &c).len(), 1);
    }

    #[test]
    fn a_class_retiring_its_own_namesake_leaves_the_new_service_alone() {
        // SUNET 54a7ce67: the old class stops its service and removes the unit; a new
        // class of the module runs a service of the same title (through a define). Both
        // relate to `Service['registry']`, but a catalog with both classes would declare
        // the service twice.
        let mut c = Case::default();
        c.after(
            "modules/demo/manifests/registry.pp",
            "class demo::registry {\n  service { 'registry': ensure => stopped, enable => false }\n  file { '/etc/systemd/system/registry.service': ensure => absent, notify => Service['registry'] }\n}\n",
        );
        c.after(
            "modules/demo/manifests/registry2.pp",
            "class demo::registry2 {\n  service { 'registry': ensure => running, require => Exec['x'] }\n  exec { 'x': command => '/bin/true' }\n}\n",
        );
        assert!(
            check_rule(NAME, &c).is_empty(),
            "{:#?}",
            check_rule(NAME, &c)
        );
        // The namesake only in a branch of the old class: a node may get the removal
        // without it, together with the new service.
        c.after(
            "modules/demo/manifests/registry.pp",
            "class demo::registry($stop = true) {\n  if $stop { service { 'registry': ensure => stopped } }\n  file { '/etc/systemd/system/registry.service': ensure => absent, notify => Service['registry'] }\n}\n",
        );
        assert_eq!(check_rule(NAME, &c).len(), 1);
    }

    #[test]
    fn another_module_purging_the_package_is_another_role() {
        let mut c = Case::default();
        c.after(
            "modules/compute/manifests/init.pp",
            "class compute {\n  package { 'foo-agent': ensure => purged }\n}\n",
        );
        c.after(
            "modules/network/manifests/init.pp",
            "class network {\n  service { 'foo-agent': ensure => running }\n}\n",
        );
        assert!(check_rule(NAME, &c).is_empty());
        // Related by an edge: they are meant to be in one catalog.
        c.after("modules/network/manifests/init.pp", "class network {\n  service { 'foo-agent': ensure => running, require => Package['foo-agent'] }\n}\n");
        assert_eq!(check_rule(NAME, &c).len(), 1);
    }

    #[test]
    fn the_class_that_runs_it_is_declared_in_the_other_branch() {
        // The Debian corpus's oci::compute: `if $dvr { class { 'haproxy': } } else {
        // package { 'remove-haproxy': name => 'haproxy', ensure => purged } }`.
        let mut c = Case::default();
        c.after(
            "manifests/site.pp",
            "node default {\n  include oci::compute\n}\n",
        );
        c.after("modules/haproxy/manifests/init.pp", "class haproxy {\n  package { 'haproxy': ensure => present }\n  service { 'haproxy': ensure => running, require => Package['haproxy'] }\n}\n");
        c.after("modules/oci/manifests/compute.pp", "class oci::compute($dvr) {\n  if $dvr { class { 'haproxy': } }\n  else { package { 'remove-haproxy': name => 'haproxy', ensure => purged } }\n}\n");
        assert!(
            check_rule(NAME, &c).is_empty(),
            "{:#?}",
            check_rule(NAME, &c)
        );
        // Declared unconditionally, the purge does break it.
        c.after("modules/oci/manifests/compute.pp", "class oci::compute {\n  class { 'haproxy': }\n  package { 'remove-haproxy': name => 'haproxy', ensure => purged }\n}\n");
        assert_eq!(check_rule(NAME, &c).len(), 1);
    }

    #[test]
    fn only_what_the_change_does() {
        // Both unchanged: the problem predates the change.
        let src = FAIL[1].0;
        let c = edit(src, &format!("{src}# a comment\n"));
        assert!(check_rule(NAME, &c).is_empty());
        // The removal is new.
        let c = edit(
            &src.replace("ensure => absent", "source => 'puppet:///modules/demo/foo'"),
            src,
        );
        assert_eq!(check_rule(NAME, &c).len(), 1);
    }
}
