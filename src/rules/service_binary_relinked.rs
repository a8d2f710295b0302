//! ## What it does
//!
//! Flags a service that this change restarts or starts (a `notify`/`subscribe`/`~>` edge
//! from something the change modifies, such as a unit file whose template changed, or a
//! new or changed `service`) when the change also touches what the service executes: the
//! path from `binary`/`start` or from the `ExecStart=` of its managed unit file, in the
//! base or the head revision, followed through managed links. A path is touched when it
//! becomes a link, is re-pointed, removed (`ensure => absent`), emptied, given new
//! content, or dropped from the catalog (Puppet then leaves whatever is on the hosts).
//! The message gives the restart chain (`…systemd.erb changed → File['…'] ~>
//! Service['…']`), what happens to each path, and who writes the file the service will
//! run when nothing manages it (a deploy script doing `wget -O` onto it, say).
//!
//! ## Why is this bad?
//!
//! Two moving parts are activated by one restart. If the new link is missing, reversed
//! or points at a stale file, the service goes down the moment Puppet restarts it, and
//! the order in which Puppet applies the link and the restart is not guaranteed without
//! an explicit edge. A revert of the change restarts the service once more onto the old
//! path.
//!
//! ## Example
//!
//! ```puppet
//! # the unit template changes ExecStart=/usr/local/bin/foo -> ExecStart=/usr/bin/foo
//! file { '/usr/bin/foo': ensure => link, target => '/usr/local/bin/foo' }
//! file { '/lib/systemd/system/foo.service':
//!   content => template('foo/foo.service.erb'),
//!   notify  => Service['foo'],
//! }
//! service { 'foo': ensure => running }
//! ```
//!
//! ## Use instead
//!
//! Change the binary first and the service definition in a later change, or order the
//! binary before the service and validate it:
//!
//! ```puppet
//! file { '/usr/bin/foo': ensure => link, target => '/usr/local/bin/foo' }
//! -> exec { 'foo-version-check': command => '/usr/bin/foo --version', refreshonly => true }
//! ~> service { 'foo': ensure => running }
//! ```
//!
//! ## Exceptions
//!
//! A deliberate, ordered upgrade is not reported: the file the service will finally run
//! is managed with content (or by a package hint, or — outside `/usr/local` and `/opt` —
//! presumably comes from a declared package named like the service or the file, as
//! `service-binary-unmanaged` counts it), nothing on the way is removed, emptied or
//! dropped, and every touched resource is ordered before the service. A service whose
//! binary is not known statically (a template tag in `ExecStart=`) is never reported.
//! Suppress when a validation step outside Puppet guards the restart.
//!
//! ## References
//!
//! - Puppet relationships and refresh events (`notify`, `subscribe`, `~>`).
//! - systemd: `Type=simple` reports a successful restart even when the binary cannot run.

use crate::diagnostic::{Finding, Location, ResourceKey, Severity, Side};
use crate::model::ResId;

use super::common::{package_named_for, provider_of, related, Chain};
use super::hazard::{named, Voice};
use super::registry::{Kind, Rule};
use super::services::{
    at_service, before_of, binary, exclusive, exec_start_related, info, restart_reason,
    restarted_binaries, touch_at, unsafe_writers, Touch,
};
use super::{finding, Context};

pub const NAME: &str = "service-binary-relinked";

/// This rule's row of the registry (`registry.rs` lists the rows in order).
pub(crate) static RULE: Rule = Rule {
    name: NAME,
    default_severity: Severity::Error,
    summary: "a service this change restarts executes a path the same change re-points, removes or replaces",
    kind: Kind::Check,
    check: Some(check),
    source: include_str!("service_binary_relinked.rs"),
};

/// A service the change restarts while it also touches what the service runs.
pub(crate) struct Relinked {
    /// The head-revision service.
    pub service: ResId,
    /// The path it runs in the head revision.
    pub bin: String,
    /// The path it ran in the base revision, when known.
    pub old_bin: Option<String>,
    /// The restart chain (`…systemd.erb changed → File['…'] ~> Service['…']`).
    pub reason: String,
    /// The head-revision binary followed through managed links.
    pub chain: Chain,
    /// What the change does to each path of both chains (the head chain first).
    pub touches: Vec<Touch>,
    /// What the service will finally run.
    pub runs: Runs,
    pub location: Location,
}

/// What is at the end of a restarted service's chain of links.
pub(crate) enum Runs {
    /// The links form a cycle.
    Cycle,
    /// A resource provides the file.
    Provided,
    /// Nothing manages it; a package named like the service or the file presumably
    /// provides it.
    Package(ResId),
    /// Nothing in the repository manages it. The scripts that write it unsafely: in the
    /// head revision (`Side::After`), or dropped from the catalog by the change
    /// (`Side::Before`: they stay on the hosts), with the hazard's wording.
    Unmanaged { writers: Vec<(Side, ResId, String)> },
}

impl Relinked {
    /// The scripts the finding names as writers of the file, with their side.
    pub fn writers(&self) -> impl Iterator<Item = (Side, ResId)> + '_ {
        let ws: &[(Side, ResId, String)] = match &self.runs {
            Runs::Unmanaged { writers } => writers,
            _ => &[],
        };
        ws.iter().map(|(side, r, _)| (*side, *r))
    }
}

pub fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    let rule = &RULE;
    for h in detect(cx) {
        out.push(render(cx, rule, &h, Voice::Change));
    }
}

pub(crate) fn detect(cx: &Context<'_>) -> Vec<Relinked> {
    let mut out = Vec::new();
    // A restart that cannot be tied to a binary is never an error.
    for (s, bin) in restarted_binaries(cx) {
        let after_chain = cx.after.facts.resolve(&bin);
        let old_bin = before_of(cx, s).and_then(|b| binary(cx.before, b));
        let before_chain = old_bin.as_deref().map(|b| cx.before.facts.resolve(b));
        let mut touches = touches(cx, &after_chain, before_chain.as_ref());
        // A resource in another branch of a condition from the service never meets it.
        touches.retain(|t| t.res.map_or(true, |r| !exclusive(cx.after, r, s)));
        if touches.is_empty() || is_safe(cx, s, &after_chain, &touches) {
            continue;
        }
        let last = after_chain.last();
        let runs = if after_chain.cycle {
            Runs::Cycle
        } else if provider_of(cx, cx.after, last).is_some() {
            Runs::Provided
        } else if let Some(p) = package_named_for(cx.after, last, service_name(cx, s)) {
            Runs::Package(p)
        } else {
            // A script that writes the file unsafely, in the head revision or dropped from
            // the catalog by this change (it stays on the hosts).
            let mut writers: Vec<(Side, ResId, String)> =
                unsafe_writers(cx.after, Side::After, &cx.change.after.tree, last)
                    .into_iter()
                    .map(|(r, t)| (Side::After, r, t))
                    .collect();
            for (r, t) in unsafe_writers(cx.before, Side::Before, &cx.change.before.tree, last) {
                let key = ResourceKey::from(cx.before.get(r));
                if named(cx.after, &key).is_empty() {
                    writers.push((Side::Before, r, t));
                }
            }
            Runs::Unmanaged { writers }
        };
        out.push(Relinked {
            service: s,
            reason: restart_reason(cx, s).unwrap_or_default(),
            location: at_service(cx.after, Side::After, s),
            bin,
            old_bin,
            chain: after_chain,
            touches,
            runs,
        });
    }
    out
}

pub(crate) fn render(cx: &Context<'_>, rule: &'static Rule, h: &Relinked, voice: Voice) -> Finding {
    let s = h.service;
    let bin = &h.bin;
    let svc = cx.after.get(s);
    let name = svc.display_ref();
    let switch = match &h.old_bin {
        Some(old) if old != bin => {
            format!("; its executable moves from {old} to {bin}")
        }
        _ => String::new(),
    };
    let last = h.chain.last();
    let mut writers: &[(Side, ResId, String)] = &[];
    let end = match &h.runs {
        Runs::Cycle => " The links form a cycle.".to_string(),
        Runs::Provided => String::new(),
        Runs::Package(p) => format!(
            " No resource manages {last}, the file it will run; {} presumably provides it \
             (a package named like the service or the file).",
            cx.after.get(*p).display_ref()
        ),
        Runs::Unmanaged { writers: ws } => {
            writers = ws;
            let mut s = format!(" Nothing in the repository manages {last}, the file it will run");
            for (side, r, t) in ws {
                let m = cx.model(*side);
                let left = if *side == Side::Before {
                    format!(
                        ", which {} stops managing but leaves on the hosts,",
                        voice.actor()
                    )
                } else {
                    String::new()
                };
                s.push_str(&format!(
                    "; {}{left} writes it unsafely: {t}",
                    m.get(*r).display_ref()
                ));
            }
            s.push('.');
            s
        }
    };
    let what: Vec<String> = h.touches.iter().map(|t| t.describe(cx)).collect();
    let mut f = finding(
        rule,
        h.location.clone(),
        format!(
            "{name} is restarted by {} ({}){switch}, and {} touches what it runs: {}.{end}",
            voice.actor(),
            h.reason,
            voice.same(),
            what.join("; ")
        ),
    );
    f.help = Some(
        "change the binary and the service definition in separate changes, or order every \
         resource of the binary's chain before the service (`before => Service[…]`) and \
         manage the file it finally runs (`source`/`content`, or a package), ideally with a \
         version check between them"
            .to_string(),
    );
    for t in &h.touches {
        if let Some(r) = t.res {
            f.related
                .push(related(cx.after, Side::After, r, t.describe(cx)));
        } else if let Some(b) = t.before {
            f.related
                .push(related(cx.before, Side::Before, b, t.describe(cx)));
        }
    }
    for (side, r, _) in writers {
        f.related.push(related(
            cx.model(*side),
            *side,
            *r,
            format!("the script deployed here writes {last} unsafely"),
        ));
    }
    if let Some(r) = exec_start_related(cx.after, Side::After, s, format!("{name} runs {bin}")) {
        f.related.push(r);
    }
    f.resource = Some(svc.into());
    f
}

/// The touched paths of both chains (the after chain first), each once.
fn touches(cx: &Context<'_>, after: &Chain, before: Option<&Chain>) -> Vec<Touch> {
    let mut out: Vec<Touch> = Vec::new();
    let paths = after
        .paths
        .iter()
        .chain(before.into_iter().flat_map(|c| c.paths.iter()));
    for p in paths {
        if out.iter().any(|t| t.path == *p) {
            continue;
        }
        if let Some(t) = touch_at(cx, p) {
            out.push(t);
        }
    }
    out
}

/// The name of head-revision service `s`, for matching packages.
fn service_name<'a>(cx: &Context<'a>, s: usize) -> Option<&'a str> {
    info(cx.after, s).map(|i| i.name.as_str())
}

/// A deliberate, well-ordered upgrade: the file the service will run is managed with
/// content (or presumably comes from a package named like the service or the file, the
/// criterion of `service-binary-unmanaged`), nothing on its chain is removed, emptied or dropped, and every resource the
/// change touches on it is applied before the service.
fn is_safe(cx: &Context<'_>, s: usize, after: &Chain, touches: &[Touch]) -> bool {
    let last = after.last();
    let vouched = provider_of(cx, cx.after, last).is_some()
        || package_named_for(cx.after, last, service_name(cx, s)).is_some();
    if after.cycle || !vouched {
        return false;
    }
    touches
        .iter()
        .filter(|t| after.paths.contains(&t.path))
        .all(|t| !t.breaks() && t.res.is_some_and(|r| cx.after.ordering_path(r, s)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::*;

    /// A change of the unit template (ExecStart moves) and of the manifest.
    fn unit_change(before_exec: &str, after_exec: &str, before: &str, after: &str) -> Case {
        unit_edit(
            before,
            after,
            &format!("[Service]\nExecStart={before_exec} --flag\n"),
            &format!("[Service]\nExecStart={after_exec} --flag\n"),
        )
    }

    /// Unit template changes (`ExecStart` before, after) with the class body added by the
    /// change; the unit file notifies the service, so each restarts it.
    const PASS: &[(&str, &str, &str)] = &[
        // The link changes, but it is ordered before the service and its target is
        // managed with a source.
        ("/usr/local/bin/foo", "/usr/bin/foo", "  file { '/opt/foo/foo': ensure => file, source => 'puppet:///modules/demo/foo', mode => '0755', before => Service['foo'] }\n  file { '/usr/bin/foo': ensure => link, target => '/opt/foo/foo', before => Service['foo'] }\n"),
        // The binary is symbolic (a template tag): never an error.
        ("<%= @bin %>", "<%= @bin %>", "  file { '/usr/bin/foo': ensure => link, target => '/usr/local/bin/foo' }\n"),
        // A link elsewhere changes; the service's own binary is untouched.
        ("/usr/sbin/foo", "/usr/sbin/foo --x", "  file { '/usr/bin/bar': ensure => link, target => '/usr/local/bin/bar' }\n"),
        // The service moves to a path a package named like the file presumably provides,
        // ordered; the old binary is removed, but nothing runs it any more.
        ("/usr/local/bin/foo", "/usr/sbin/food", "  package { 'food': ensure => installed, before => Service['foo'] }\n  file { '/usr/local/bin/foo': ensure => absent }\n"),
    ];

    /// Each reports the service (line 6 of the class).
    const FAIL: &[(&str, &str, &str)] = &[
        // The 2016 scheduler change in miniature.
        ("/usr/local/bin/foo", "/usr/bin/foo", "  file { '/usr/bin/foo': ensure => link, target => '/usr/local/bin/foo' }\n"),
        // Ordered, but the target is managed by nothing.
        ("/usr/local/bin/foo", "/usr/bin/foo", "  file { '/usr/bin/foo': ensure => link, target => '/usr/local/bin/foo', before => Service['foo'] }\n"),
        // The target is managed, but the link is not ordered before the service.
        ("/usr/local/bin/foo", "/usr/bin/foo", "  file { '/opt/foo/foo': ensure => file, source => 'puppet:///modules/demo/foo' }\n  file { '/usr/bin/foo': ensure => link, target => '/opt/foo/foo' }\n"),
        // The unchanged ExecStart path is emptied by the change.
        ("/usr/local/bin/foo", "/usr/local/bin/foo --v", "  file { '/usr/local/bin/foo': ensure => file, mode => '0755', before => Service['foo'] }\n"),
        // A package named like the service does not provide a path under /usr/local.
        ("/usr/bin/foo", "/usr/local/bin/foo", "  package { 'foo': ensure => installed }\n  file { '/usr/local/bin/foo': ensure => link, target => '/opt/foo/foo', before => Service['foo'] }\n"),
    ];

    const UNIT_RES: &str = "  file { '/lib/systemd/system/foo.service':\n    content => template('demo/foo.service.erb'),\n    notify  => Service['foo'],\n  }\n  service { 'foo': ensure => running }\n";

    fn class(body: &str) -> String {
        format!("class demo {{\n{UNIT_RES}{body}}}\n")
    }

    #[test]
    fn pass() {
        let cases = [
            (
                "a binary upgrade that notifies the service: the usual, ordered pattern",
                edit(
                    "class demo {\n  file { '/usr/local/bin/foo': source => 'puppet:///modules/demo/foo-1', mode => '0755' }\n  ~> service { 'foo': ensure => running, binary => '/usr/local/bin/foo' }\n}\n",
                    "class demo {\n  file { '/usr/local/bin/foo': source => 'puppet:///modules/demo/foo-2', mode => '0755' }\n  ~> service { 'foo': ensure => running, binary => '/usr/local/bin/foo' }\n}\n",
                ),
            ),
            (
                "the link changes but nothing restarts the service (no refresh edge)",
                edit(
                    "class demo {\n  service { 'foo': ensure => running, binary => '/usr/bin/foo' }\n}\n",
                    "class demo {\n  file { '/usr/bin/foo': ensure => link, target => '/usr/local/bin/foo' }\n  service { 'foo': ensure => running, binary => '/usr/bin/foo' }\n}\n",
                ),
            ),
            (
                "the service (and its unit) in one branch of an `if`, the link in the other",
                unit_change(
                    "/usr/local/bin/foo",
                    "/usr/bin/foo",
                    "class demo {\n  if $facts['pkg'] {\n    file { '/lib/systemd/system/foo.service': content => template('demo/foo.service.erb') }\n    ~> service { 'foo': ensure => running }\n  }\n}\n",
                    "class demo {\n  if $facts['pkg'] {\n    file { '/lib/systemd/system/foo.service': content => template('demo/foo.service.erb') }\n    ~> service { 'foo': ensure => running }\n  } else {\n    file { '/usr/bin/foo': ensure => link, target => '/usr/local/bin/foo' }\n  }\n}\n",
                ),
            ),
            (
                "a unit template change through a define with `restart => false`: no restart",
                {
                    let define = "define demo::unit($restart = true) {\n  file { \"/lib/systemd/system/${title}.service\": content => template(\"demo/${title}.service.erb\") }\n  if $restart { File[\"/lib/systemd/system/${title}.service\"] ~> Service[$title] }\n  service { $title: ensure => running }\n}\n";
                    let mut c = unit_change(
                        "/usr/local/bin/foo",
                        "/usr/bin/foo",
                        "class demo { demo::unit { 'foo': restart => false } }\n",
                        "class demo {\n  file { '/usr/bin/foo': ensure => link, target => '/usr/local/bin/foo' }\n  demo::unit { 'foo': restart => false }\n}\n",
                    );
                    c.before("modules/demo/manifests/unit.pp", define);
                    c.after("modules/demo/manifests/unit.pp", define);
                    c
                },
            ),
            (
                "the executable moves back to /usr/bin/foo, which Package['foo'] (named like \
                 the service) presumably provides; the link it ran is dropped (etcd-relink-revert)",
                unit_change(
                    "/usr/local/bin/foo",
                    "/usr/bin/foo",
                    &class("  package { 'foo': ensure => installed }\n  file { '/usr/local/bin/foo': ensure => link, target => '/opt/foo/foo' }\n"),
                    &class("  package { 'foo': ensure => installed }\n"),
                ),
            ),
        ];
        for (label, case) in cases {
            assert_silent(NAME, label, &case);
        }
        for (i, (b, a, body)) in PASS.iter().enumerate() {
            let case = unit_change(b, a, &class(""), &class(body));
            assert_silent(NAME, &format!("PASS[{i}]"), &case);
        }
    }

    #[test]
    fn fail_snippets() {
        for (i, (b, a, body)) in FAIL.iter().enumerate() {
            let after = class(body);
            let case = unit_change(b, a, &class(""), &after);
            assert_lines(NAME, &format!("FAIL[{i}]"), &case, &after, &[6]);
        }
    }

    #[test]
    fn fail() {
        // The 2016 scheduler change in miniature: ExecStart moves onto a new link to an
        // unmanaged file, and the unit change restarts the service.
        let after =
            class("  file { '/usr/bin/foo': ensure => link, target => '/usr/local/bin/foo' }\n");
        let case = unit_change("/usr/local/bin/foo", "/usr/bin/foo", &class(""), &after);
        let found = check_rule(NAME, &case);
        assert_eq!(found.len(), 1, "{found:#?}");
        let f = &found[0];
        assert_eq!(Case::line_of(&after, f), 6);
        assert_eq!(f.resource, Some(ResourceKey::new("service", "foo")));
        for part in [
            "modules/demo/templates/foo.service.erb changed → File['/lib/systemd/system/foo.service'] ~> Service['foo'] (notify)",
            "moves from /usr/local/bin/foo to /usr/bin/foo",
            "/usr/bin/foo becomes a link to /usr/local/bin/foo",
            "Nothing in the repository manages /usr/local/bin/foo, the file it will run.",
        ] {
            assert!(f.message.contains(part), "{part:?} not in {}", f.message);
        }
        // Related: the link, and the ExecStart in the template.
        assert_eq!(f.related.len(), 2, "{:#?}", f.related);
        assert_eq!(f.related[1].location.file, UNIT_TEMPLATE);

        // The link is ordered before the service, but its target is not managed.
        let after = class("  file { '/usr/bin/foo': ensure => link, target => '/usr/local/bin/foo', before => Service['foo'] }\n");
        let case = unit_change("/usr/local/bin/foo", "/usr/bin/foo", &class(""), &after);
        assert_eq!(check_rule(NAME, &case).len(), 1);

        // The target is managed, but the link is not ordered before the service.
        let after = class("  file { '/opt/foo/foo': ensure => file, source => 'puppet:///modules/demo/foo' }\n  file { '/usr/bin/foo': ensure => link, target => '/opt/foo/foo' }\n");
        let case = unit_change("/usr/local/bin/foo", "/usr/bin/foo", &class(""), &after);
        assert_eq!(check_rule(NAME, &case).len(), 1);

        // A re-pointed link under an unchanged ExecStart, restarted by a config file.
        let case = edit(
            "class demo {\n  file { '/usr/bin/foo': ensure => link, target => '/opt/foo-1/foo' }\n  file { '/etc/foo.conf': content => 'a', notify => Service['foo'] }\n  service { 'foo': ensure => running, binary => '/usr/bin/foo' }\n}\n",
            "class demo {\n  file { '/usr/bin/foo': ensure => link, target => '/opt/foo-2/foo' }\n  file { '/etc/foo.conf': content => 'b', notify => Service['foo'] }\n  service { 'foo': ensure => running, binary => '/usr/bin/foo' }\n}\n",
        );
        let found = check_rule(NAME, &case);
        assert_eq!(found.len(), 1, "{found:#?}");
        assert!(found[0]
            .message
            .contains("re-pointed from /opt/foo-1/foo to /opt/foo-2/foo"));

        // A new service started onto a binary the change empties.
        let found = check_rule(
            NAME,
            &after_only("class demo {\n  file { '/usr/local/bin/foo': ensure => file, mode => '0755' }\n  service { 'foo': ensure => running, binary => '/usr/local/bin/foo', require => File['/usr/local/bin/foo'] }\n}\n"),
        );
        assert_eq!(found.len(), 1, "{found:#?}");
        assert!(found[0].message.contains("is emptied"));
    }

    /// The sentence about the file the service will run names what provides it, with the
    /// criterion of `service-binary-unmanaged` for packages.
    #[test]
    fn says_which_package_presumably_provides_the_file() {
        // A new link on the way is not ordered before the service; the file it leads to
        // presumably comes from the package named like the service.
        let link = "  file { '/usr/bin/foo': ensure => link, target => '/usr/sbin/foo' }\n";
        for (label, pkg) in [
            ("named like the service", "foo"),
            ("named like the file", "foo-daemon"),
        ] {
            let target = if pkg == "foo" {
                "/usr/sbin/foo"
            } else {
                "/usr/sbin/foo-daemon"
            };
            let after = class(&format!(
                "  package {{ '{pkg}': ensure => installed }}\n{}",
                link.replace("/usr/sbin/foo", target)
            ));
            let case = unit_change("/usr/local/bin/foo", "/usr/bin/foo", &class(""), &after);
            let found = assert_lines(NAME, label, &case, &after, &[6]);
            let m = &found[0].message;
            assert!(
                m.contains(&format!(
                    "No resource manages {target}, the file it will run; Package['{pkg}'] \
                     presumably provides it"
                )),
                "{label}: {m}"
            );
            assert!(
                !m.contains("Nothing in the repository manages"),
                "{label}: {m}"
            );
        }
        // A package the change removes, or one whose name matches neither, provides
        // nothing: the sentence says so.
        for (label, pkg) in [
            ("removed", "  package { 'foo': ensure => absent }\n"),
            ("another name", "  package { 'bar': ensure => installed }\n"),
        ] {
            let after = class(&format!("{pkg}{link}"));
            let case = unit_change("/usr/local/bin/foo", "/usr/bin/foo", &class(""), &after);
            let found = assert_lines(NAME, label, &case, &after, &[6]);
            assert!(
                found[0].message.contains(
                    "Nothing in the repository manages /usr/sbin/foo, the file it will run."
                ),
                "{label}: {}",
                found[0].message
            );
        }
    }
}
