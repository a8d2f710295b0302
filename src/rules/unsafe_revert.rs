//! ## What it does
//!
//! Checks the change in reverse: the change that `git revert` would make (head back to
//! base) is computed from the two models and run through the error-level rules about
//! what services execute (`service-binary-relinked`, `service-binary-missing`,
//! `service-binary-unmanaged`, `link-over-binary`, `empty-binary`). What they would
//! report is reported on the forward change, one finding per resource, worded for the
//! revert; left out are a path that was already unprovided before the revert (a
//! `service-binary-unmanaged` warning) and a link whose only evidence of a binary is its
//! package-managed directory. It also names what the revert would leave behind: scripts this change adds
//! that write, unsafely, the binary a service restarted by the revert would run (Puppet
//! does not remove what leaves the catalog).
//!
//! A revert of a fix is not reported: when the base revision already had the hazard as
//! a standing condition (its service already ran a path nothing provides, or the binary
//! of a package it removed; its file was already a link, or already declared without
//! content), the head revision no longer has it, and the change leaves nothing on the
//! hosts that the base revision relied on without managing it, a revert only returns to
//! a state that was judged when it was introduced. This is what fixes and reverts of
//! hazards look like; reporting them on every fix is noise.
//!
//! ## Why is this bad?
//!
//! A revert is not an undo. It is a new change that triggers the same restarts again,
//! points services back at the previous binary path, and leaves behind on the hosts
//! whatever the forward change created. If the previous binary path is unmanaged, empty
//! or truncated by the time of the revert, the revert itself causes the outage. This is
//! how the December 2016 Toolforge incident escalated: a rollback restarted the API server
//! onto a file a deploy script had truncated.
//!
//! ## Example
//!
//! ```puppet
//! # this change: ExecStart moves from /usr/local/bin/kube-apiserver to /usr/bin/kube-apiserver
//! # reverting it restarts the service onto /usr/local/bin/kube-apiserver, which nothing manages
//! file { '/usr/bin/kube-apiserver':
//!   ensure => link,
//!   target => '/usr/local/bin/kube-apiserver',
//! }
//! ```
//!
//! ## Use instead
//!
//! Make the old path safe before relying on a revert: manage it (content and mode), or
//! keep the old resources with `ensure => absent` for a transition period so a revert
//! has a defined state to return to.
//!
//! ## Exceptions
//!
//! Many reverts are harmless; this rule only reports what an error-level rule would say
//! about the reverse diff. Suppress when a roll-back plan other than `git revert` exists.
//!
//! A change between two broken states is still reported (the 2016 revert moved the API
//! server from a link onto an unmanaged binary back to that binary: reverting it is the
//! first remedy someone reaches for, and it fails too), and so is a fix that leaves
//! something behind: a path the base revision ran but did not manage that the change
//! removes, re-points or links (the revert then creates an empty file, or runs nothing),
//! a package it removes, a script it adds that writes the old binary unsafely.
//!
//! ## References
//!
//! - `git revert`; Puppet ignores resources that leave the catalog (they stay on disk).

use crate::diagnostic::{Finding, Location, Related, ResourceKey, Severity, Side};
use crate::model::facts::package_removed;
use crate::model::{file_state, Model, ModelChange, ResId, Resource};

use super::common::{
    ensure_of, file_path, is_file_like, is_regular_file, provider_of, related, Ensure,
};
use super::hazard::{is_key, named, Hazard, Voice};
use super::on_hosts::Reverse;
use super::registry::{Kind, Rule};
use super::services::{at_service, binary, info, script_hazards, scripts};
use super::{finding, Context};

pub const NAME: &str = "unsafe-revert";

/// This rule's row of the registry (`registry.rs` lists the rows in order).
pub(crate) static RULE: Rule = Rule {
    name: NAME,
    default_severity: Severity::Warning,
    summary: "reverting this change would trip an error-level rule",
    kind: Kind::Check,
    check: Some(check),
    source: include_str!("unsafe_revert.rs"),
};
/// A script this change adds that writes, unsafely, a path on the chain of a service the
/// revert restarts: a revert drops it from the catalog, and it stays on the hosts.
struct LeftoverScript {
    /// The head-revision resource that deploys it.
    res: ResId,
    /// `File['/usr/local/sbin/deploy'], a script this change adds that writes …`.
    text: String,
    related: Related,
}

/// The scripts left behind that write what one base-revision service runs.
struct Leftover {
    /// The base-revision service the revert restarts.
    service: ResId,
    key: ResourceKey,
    scripts: Vec<LeftoverScript>,
}

pub fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    let rule = &RULE;
    let reverse = Reverse::new(cx);
    let rev = reverse.context(cx);
    let diff = rev.diff;
    // What the rules about what services execute detect on the reverse change. Its head
    // revision (`rev.after`) is our base revision: the subjects are base-revision ids.
    let hazards = Hazard::detect_all(&rev);
    // Services the revert restarts, with the scripts this change adds that a revert would
    // leave on the hosts and that write what those services would run.
    let mut leftovers: Vec<Leftover> = Vec::new();
    for r in &diff.restarts {
        let scripts = leftover_writers(cx, r.service);
        if !scripts.is_empty() {
            leftovers.push(Leftover {
                service: r.service,
                key: cx.before.get(r.service).into(),
                scripts,
            });
        }
    }
    // What the revert restarts (reverse after side = our before side).
    let restarted: Vec<ResourceKey> = diff
        .restarts
        .iter()
        .map(|r| cx.before.get(r.service).into())
        .collect();
    // The hazards an error-level finding reports, one group per resource. A service that
    // the revert does not restart is only reported when its binary goes missing (its next
    // start fails): a latent ExecStart is not what the revert does.
    let mut groups: Vec<(ResourceKey, Vec<Hazard>)> = Vec::new();
    for h in hazards {
        if !counts_for_revert(&h) {
            continue;
        }
        let key = ResourceKey::from(rev.after.get(h.subject()));
        if key.ty == "service" && !matches!(h, Hazard::Missing(_)) && !restarted.contains(&key) {
            continue;
        }
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, g)) => g.push(h),
            None => groups.push((key, vec![h])),
        }
    }
    let mut covered: Vec<ResId> = Vec::new();
    for (key, group) in groups {
        if revert_of_fix(cx, &key, &group) {
            continue;
        }
        // Each hazard worded for the revert, on the reverse change.
        let found: Vec<Finding> = group
            .iter()
            .map(|h| h.render(&rev, h.rule(), Voice::Revert))
            .collect();
        let Some(first) = found.first() else { continue };
        let mut names: Vec<String> = found.iter().map(|g| format!("`{}`", g.rule)).collect();
        names.dedup();
        let texts: Vec<&str> = found.iter().map(|g| g.message.as_str()).collect();
        let mut f = finding(
            rule,
            forward_location(cx, &key, &first.location),
            format!(
                "a `git revert` of this change would trip {}: {}",
                names.join(" and "),
                texts.join(" Also: ")
            ),
        );
        f.related = found
            .iter()
            .flat_map(|g| g.related.iter().map(flip))
            .collect();
        if let Some(l) = leftovers.iter().find(|l| l.key == key) {
            covered.push(l.service);
            // Scripts a hazard already names as writers of the file are not repeated.
            // (Its base revision is our head revision.)
            let named_writers: Vec<ResId> = group
                .iter()
                .flat_map(Hazard::writers)
                .filter(|(side, _)| *side == Side::Before)
                .map(|(_, r)| r)
                .collect();
            let new: Vec<&LeftoverScript> = l
                .scripts
                .iter()
                .filter(|s| !named_writers.contains(&s.res))
                .collect();
            if !new.is_empty() {
                let t: Vec<&str> = new.iter().map(|s| s.text.as_str()).collect();
                f.message
                    .push_str(&format!(" A revert also leaves behind: {}.", t.join("; ")));
                f.related.extend(new.iter().map(|s| s.related.clone()));
            }
        }
        f.help = Some(help());
        f.resource = Some(key);
        out.push(f);
    }
    for l in leftovers {
        if covered.contains(&l.service) {
            continue;
        }
        let s = l.service;
        let reason = diff
            .restart_of(s)
            .map(|r| r.reason_text())
            .unwrap_or_default();
        let bin = binary(cx.before, s).unwrap_or_default();
        let texts: Vec<&str> = l.scripts.iter().map(|s| s.text.as_str()).collect();
        let mut f = finding(
            rule,
            service_location(cx, diff, s),
            format!(
                "a `git revert` of this change would restart {} ({reason}) onto {bin}, and \
                 leave behind {}",
                l.key,
                texts.join("; ")
            ),
        );
        f.related = l.scripts.into_iter().map(|s| s.related).collect();
        f.help = Some(help());
        f.resource = Some(l.key);
        out.push(f);
    }
}

/// Whether a reverse hazard is one the forward rules call an error about what the revert
/// does: not a service whose path was already unprovided before the revert
/// (`service-binary-unmanaged` warns about those), nor a link whose only evidence of a
/// binary is a package-managed directory (a weak hint about a state the base revision
/// already judged).
fn counts_for_revert(h: &Hazard) -> bool {
    match h {
        // The executable itself: what a wrapper script or a start hook runs is a weaker
        // inference about a state the base revision already had.
        Hazard::Unmanaged(u) => {
            u.is_error() && u.via == super::service_binary_unmanaged::Via::Executable
        }
        Hazard::LinkOverBinary(l) => l.has_direct_evidence(),
        // A placeholder default is a warning forward, and no more on a revert.
        Hazard::EmptyBinary(e) => e.placeholder.is_none(),
        Hazard::Relinked(_) | Hazard::Missing(_) => true,
    }
}

/// What a reverse finding says about the base revision, as a standing condition of one
/// revision: the rules it comes from judge a transition, this judges a state.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Standing {
    /// `link-over-binary`: the file is a link.
    Link,
    /// `empty-binary`: the file is declared with no data (or `content => ''`).
    Empty,
    /// The service rules: the service runs a path nothing vouches for, a removed file, or
    /// the binary of a removed package.
    Runs,
}

impl Standing {
    fn of(h: &Hazard) -> Standing {
        match h {
            Hazard::LinkOverBinary(_) => Standing::Link,
            Hazard::EmptyBinary(_) => Standing::Empty,
            Hazard::Relinked(_) | Hazard::Missing(_) | Hazard::Unmanaged(_) => Standing::Runs,
        }
    }
}

/// Whether a group of reverse hazards about one resource only brings back a hazard the
/// base revision already had as a standing condition, which this change repairs: a fix,
/// or the revert of the change that introduced the hazard. Reverting it returns to a
/// state that was judged when it was introduced (and that hosts ran until this change),
/// so saying it again on every fix is noise.
///
/// All three must hold; anything unknown keeps the finding:
/// - the base revision has the condition (every finding of the group);
/// - the head revision does not: a change that moves between two broken states (the 2016
///   revert, from a link to a truncated binary back to the unmanaged binary) is not a
///   fix, and reverting it is the remedy someone will reach for;
/// - the change leaves nothing on the hosts that the base revision relied on without
///   managing it: a path on the base revision's chain it removes, re-points or writes, a
///   package it removes, a script it adds that writes the binary (Puppet does not undo
///   what leaves the catalog, so then the revert does not return to the base state).
fn revert_of_fix(cx: &Context<'_>, key: &ResourceKey, group: &[Hazard]) -> bool {
    group.iter().all(|h| {
        let k = Standing::of(h);
        standing(cx, cx.before, k, key) == Some(true)
            && standing(cx, cx.after, k, key) == Some(false)
    }) && !left_behind(cx, key)
}

/// Whether resource `key` has condition `k` in `m`: `Some(false)` when it is not
/// declared there at all, `None` when it cannot be told.
fn standing(cx: &Context<'_>, m: &Model, k: Standing, key: &ResourceKey) -> Option<bool> {
    let ids = named(m, key);
    let mut all_false = true;
    for id in ids {
        let r = m.get(id);
        let this = match k {
            Standing::Link => Some(r.ty == "file" && ensure_of(r) == Ensure::Link),
            Standing::Empty => Some(r.ty == "file" && file_state(r).is_empty_file()),
            Standing::Runs if r.ty == "service" => runs_unvouched(cx, m, id),
            Standing::Runs => Some(false),
        };
        match this {
            Some(true) => return Some(true),
            Some(false) => {}
            None => all_false = false,
        }
    }
    all_false.then_some(false)
}

fn package_state(m: &Model, pkg: &str) -> (bool, bool) {
    let removed = package_removed;
    let ids = m.index.packages.get(pkg).map(Vec::as_slice).unwrap_or(&[]);
    let live: Vec<&Resource> = ids
        .iter()
        .map(|&i| m.get(i))
        .filter(|r| r.is_live())
        .collect();
    (
        live.iter().any(|r| !removed(r)),
        live.iter().any(|r| removed(r)),
    )
}

/// Whether service `s` of `m` runs something nothing vouches for: a path on its chain
/// removed, a cycle, a final path no resource gives content to (and no package named
/// like the service or the binary, outside `/usr/local` and `/opt`), or the binary of a
/// package removed. `None`: its binary is not known and no package tells.
fn runs_unvouched(cx: &Context<'_>, m: &Model, s: ResId) -> Option<bool> {
    let svc = info(m, s).map(|i| i.name.clone());
    let Some(bin) = binary(m, s) else {
        let (present, removed) = package_state(m, svc.as_deref()?);
        return if removed {
            Some(true)
        } else if present {
            Some(false)
        } else {
            None
        };
    };
    let chain = m.facts.resolve(&bin);
    if chain.cycle {
        return Some(true);
    }
    let removed_on_chain = chain.paths.iter().any(|p| {
        m.index.managing(p).iter().any(|&x| {
            let r = m.get(x);
            r.is_live() && r.ty == "file" && ensure_of(r) == Ensure::Absent
        })
    });
    if removed_on_chain {
        return Some(true);
    }
    let last = chain.last();
    let base = last.rsplit('/').next().unwrap_or(last);
    let mut by_package = false;
    for pkg in [svc.as_deref(), Some(base)].into_iter().flatten() {
        let (present, removed) = package_state(m, pkg);
        if removed {
            return Some(true);
        }
        by_package |= present;
    }
    let packaged_dir = !(last.starts_with("/usr/local/") || last.starts_with("/opt/"));
    let empty = m.index.managing(last).iter().any(|&x| {
        let r = m.get(x);
        r.is_live() && r.ty == "file" && file_state(r).is_empty_file()
    });
    let vouched = (provider_of(cx, m, last).is_some() && !empty) || (packaged_dir && by_package);
    Some(!vouched)
}

/// Whether this change leaves something on the hosts, after a revert, that the base
/// revision's state of `key` relies on without setting it itself: a path of its chain
/// that the base revision leaves alone (or declares without content) and the head
/// revision manages, a package named like the service or its binary that the head
/// revision removes, a script this change adds that writes the binary.
///
/// One case is not a leftover: the base revision declares the path as a file without
/// content and the head revision gives it content; the revert keeps that content (a
/// `file` without content leaves an existing file alone). The other way round (the head
/// revision makes it a link or removes it), the revert creates an empty file there.
fn left_behind(cx: &Context<'_>, key: &ResourceKey) -> bool {
    for id in named(cx.before, key) {
        let r = cx.before.get(id);
        let (paths, packages): (Vec<String>, Vec<String>) = if r.ty == "service" {
            if !leftover_writers(cx, id).is_empty() {
                return true;
            }
            let Some(chain) = binary(cx.before, id).map(|b| cx.before.facts.resolve(&b)) else {
                continue;
            };
            let base = chain
                .last()
                .rsplit('/')
                .next()
                .unwrap_or_default()
                .to_owned();
            let mut pkgs = vec![base];
            pkgs.extend(info(cx.before, id).map(|i| i.name.clone()));
            (chain.paths, pkgs)
        } else if let Some(p) = file_path(r) {
            (cx.before.facts.resolve(&p).paths, Vec::new())
        } else {
            continue;
        };
        if paths.iter().any(|p| changed_under(cx, p)) {
            return true;
        }
        if packages.iter().any(|p| {
            let (present, removed) = package_state(cx.before, p);
            !present && !removed && package_state(cx.after, p).1
        }) {
            return true;
        }
    }
    false
}

/// Whether the head revision changes `path` on the hosts in a way the base revision's
/// declarations do not undo (see [`left_behind`]).
fn changed_under(cx: &Context<'_>, path: &str) -> bool {
    let live = |m: &Model| -> Vec<ResId> {
        let mut ids: Vec<ResId> = m
            .index
            .managing(path)
            .iter()
            .copied()
            .filter(|&x| m.get(x).is_live())
            .collect();
        for l in m.index.links.get(path).into_iter().flatten() {
            if m.get(l.res).is_live() && !ids.contains(&l.res) {
                ids.push(l.res);
            }
        }
        ids
    };
    let before = live(cx.before);
    let after = live(cx.after);
    let sets = before.iter().any(|&x| {
        let r = cx.before.get(x);
        is_regular_file(r)
            || matches!(
                ensure_of(r),
                Ensure::Link | Ensure::Directory | Ensure::Absent
            )
    });
    if sets || after.is_empty() {
        return false;
    }
    let declared_file = before.iter().any(|&x| is_file_like(cx.before.get(x)));
    let content_after = after.iter().all(|&x| is_regular_file(cx.after.get(x)));
    !(declared_file && content_after)
}

fn help() -> String {
    "make the previous state safe before relying on a revert: manage the binary the old \
     configuration runs (content, mode, a checksum), make deploy scripts atomic, or keep the \
     resources this change adds with `ensure => absent` for a transition period so that \
     rolling back has a defined state"
        .to_string()
}

/// A location of the reverse change, seen from the forward change: its after side is
/// our before side.
fn flip(r: &Related) -> Related {
    Related {
        location: Location {
            side: match r.location.side {
                Side::After => Side::Before,
                Side::Before => Side::After,
            },
            ..r.location.clone()
        },
        message: r.message.clone(),
    }
}

/// Point a reverse finding about `key` at the same resource on the forward change's
/// after side when it exists there, else where the reverse finding points (`at`, in the
/// base revision).
fn forward_location(cx: &Context<'_>, key: &ResourceKey, at: &Location) -> Location {
    if let Some((id, r)) = cx.after.live_resources().find(|(_, r)| is_key(r, key)) {
        return if r.ty == "service" {
            at_service(cx.after, Side::After, id)
        } else {
            super::common::at_title(cx.after, Side::After, id)
        };
    }
    flip(&Related {
        location: at.clone(),
        message: String::new(),
    })
    .location
}

/// The forward after-side service matching base-revision service `s`, else `s` itself.
fn service_location(cx: &Context<'_>, rev_diff: &ModelChange, s: ResId) -> Location {
    match rev_diff.matched.get(&s) {
        Some(&a) => at_service(cx.after, Side::After, a),
        None => at_service(cx.before, Side::Before, s),
    }
}

/// Scripts this change adds (a revert drops them from the catalog; they stay on the
/// hosts) that write, unsafely, a path on the binary chain base-revision service `s` runs.
fn leftover_writers(cx: &Context<'_>, s: ResId) -> Vec<LeftoverScript> {
    let mut out = Vec::new();
    let Some(bin) = binary(cx.before, s) else {
        return out;
    };
    let chain = cx.before.facts.resolve(&bin);
    for script in scripts(cx.after, Side::After, &cx.change.after.tree) {
        if !cx.diff.is_added(script.res) {
            continue;
        }
        let report = script.analyze();
        let hit: Vec<String> = script_hazards(cx.after, &report)
            .into_iter()
            .filter(|h| chain.paths.contains(&h.path))
            .map(|h| h.path)
            .collect();
        let Some(path) = hit.first() else { continue };
        let res = cx.after.get(script.res).display_ref();
        out.push(LeftoverScript {
            res: script.res,
            text: format!(
                "{res}, a script this change adds that writes {path} unsafely (Puppet does not \
                 remove what leaves the catalog)"
            ),
            related: related(
                cx.after,
                Side::After,
                script.res,
                format!("stays on the hosts after a revert and writes {path}"),
            ),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::diagnostic::Severity;
    use crate::rules::testing::*;
    use crate::rules::Selection;

    /// A change of the unit template (`ExecStart=` before, after) and of the manifest.
    fn case(before_exec: &str, after_exec: &str, before: &str, after: &str) -> Case {
        unit_edit(
            before,
            after,
            &format!("[Service]\nExecStart={before_exec}\n"),
            &format!("[Service]\nExecStart={after_exec}\n"),
        )
    }

    /// The deploy script of `File['/usr/local/sbin/deploy']`: it writes
    /// /usr/local/bin/foo in place with `wget -O` (no `set -e`).
    const DEPLOY: &str = "  file { '/usr/local/sbin/deploy': source => 'puppet:///modules/demo/deploy.sh', mode => '0555' }\n";

    /// [`case`], with the change adding the unsafe script [`DEPLOY`] deploys.
    fn with_deploy_script(mut c: Case) -> Case {
        c.after(
            "modules/demo/files/deploy.sh",
            "#!/bin/bash\nwget -O /usr/local/bin/foo $URL/foo\n",
        );
        c
    }

    const MANAGED_OLD: &str =
        "  file { '/usr/local/bin/foo': source => 'puppet:///modules/demo/foo', mode => '0755', before => Service['foo'] }\n";

    /// Forward changes of the unit template (`ExecStart` before, after) and of the class
    /// body (before, after) whose revert is safe.
    const PASS: &[(&str, &str, &str, &str)] = &[
        // The ExecStart moves back and forth between two managed, ordered binaries.
        (
            "/usr/local/bin/foo",
            "/usr/bin/foo",
            "  file { '/usr/local/bin/foo': source => 'puppet:///modules/demo/foo', before => Service['foo'] }\n",
            "  file { '/usr/local/bin/foo': source => 'puppet:///modules/demo/foo', before => Service['foo'] }\n  file { '/usr/bin/foo': source => 'puppet:///modules/demo/foo', before => Service['foo'] }\n",
        ),
        // Only flags change: the revert restarts the same managed binary.
        (
            "/usr/local/bin/foo --a",
            "/usr/local/bin/foo --b",
            "  file { '/usr/local/bin/foo': source => 'puppet:///modules/demo/foo', before => Service['foo'] }\n",
            "  file { '/usr/local/bin/foo': source => 'puppet:///modules/demo/foo', before => Service['foo'] }\n",
        ),
    ];

    /// Forward changes whose revert restarts the service (line 3) onto a bad binary.
    const FAIL: &[(&str, &str, &str, &str)] = &[
        // The revert points ExecStart back at a file the forward change deleted.
        (
            "/usr/local/bin/foo",
            "/usr/bin/foo",
            "",
            "  file { '/usr/local/bin/foo': ensure => absent }\n  file { '/usr/bin/foo': source => 'puppet:///modules/demo/foo', before => Service['foo'] }\n",
        ),
        // The revert points ExecStart back at a path that the forward change made a link
        // to a file nothing manages.
        (
            "/usr/local/bin/foo",
            "/usr/bin/foo",
            "",
            "  file { '/usr/local/bin/foo': ensure => link, target => '/opt/foo/foo' }\n  file { '/usr/bin/foo': source => 'puppet:///modules/demo/foo', before => Service['foo'] }\n",
        ),
    ];

    const SRC: &str = "source => 'puppet:///modules/demo/foo', mode => '0755'";

    /// Forward changes that repair a hazard of the base revision (fixes, and reverts of
    /// the change that introduced it), as (`ExecStart` before, after, class body before,
    /// after). A `git revert` brings back the base revision's own standing hazard, which
    /// was judged when it was introduced: silent.
    fn fixes() -> Vec<(&'static str, &'static str, String, String)> {
        vec![
            // The unit ran a path nothing provides; the fix points it at the managed one
            // (etcd-wrapper-fix).
            (
                "/usr/local/sbin/foo",
                "/usr/local/bin/foo",
                format!("  file {{ '/usr/local/bin/foo': {SRC} }}\n"),
                format!("  file {{ '/usr/local/bin/foo': {SRC} }}\n"),
            ),
            // The revert of a relink onto an unmanaged target: back to the package's
            // binary; the link is left on disk, and nothing runs it (etcd-relink-revert).
            (
                "/usr/local/bin/foo",
                "/usr/bin/foo",
                "  file { '/usr/local/bin/foo': ensure => link, target => '/opt/foo/foo' }\n"
                    .to_owned(),
                "  package { 'foo': ensure => installed }\n".to_owned(),
            ),
            // The revert of an empty binary: content again (quagga-status-empty-revert).
            // Reverting keeps the content on the hosts: `ensure => file` alone does not
            // empty an existing file.
            (
                "/usr/local/bin/foo",
                "/usr/local/bin/foo",
                "  file { '/usr/local/bin/foo': ensure => file, mode => '0755' }\n".to_owned(),
                format!("  file {{ '/usr/local/bin/foo': ensure => file, {SRC} }}\n"),
            ),
            // The revert of a link laid over a managed binary (galera-clustercheck-link).
            (
                "/usr/local/bin/foo",
                "/usr/local/bin/foo",
                "  file { '/usr/local/bin/foo': ensure => link, target => '/opt/foo/foo' }\n"
                    .to_owned(),
                format!("  file {{ '/usr/local/bin/foo': ensure => file, {SRC} }}\n"),
            ),
            // The revert of a package removal under a running service
            // (memcached-binary-from-file-revert).
            (
                "/usr/bin/foo",
                "/usr/bin/foo",
                "  package { 'foo': ensure => absent }\n".to_owned(),
                "  package { 'foo': ensure => installed }\n".to_owned(),
            ),
        ]
    }

    #[test]
    fn reverting_a_fix_is_silent() {
        for (i, (b, a, before, after)) in fixes().into_iter().enumerate() {
            let c = case(b, a, &service_class(&before), &service_class(&after));
            assert_silent(NAME, &format!("fixes()[{i}]"), &c);
            // The base revision's hazard is real: the change that introduced it (the
            // reverse of this one) has an error.
            let c = case(a, b, &service_class(&after), &service_class(&before));
            let all = run_case(&c, &Config::default(), &Selection::default());
            assert!(
                all.iter().any(|f| f.severity == Severity::Error),
                "{after} -> {before} is not a hazard: {all:#?}"
            );
        }
    }

    #[test]
    fn reverting_what_the_base_revision_did_not_have_is_reported() {
        // The base revision already ran an unmanaged path, but the change does not repair
        // it: it moves the service between two broken states (the 2016 revert, from a
        // link onto the unmanaged binary back to the binary). Reverting it is what someone
        // reaches for when the head fails, so the finding stays.
        let c = case(
            "/usr/bin/foo",
            "/usr/local/bin/foo",
            &service_class(
                "  file { '/usr/bin/foo': ensure => link, target => '/usr/local/bin/foo' }\n",
            ),
            &service_class(""),
        );
        assert_eq!(check_rule(NAME, &c).len(), 1);
        // A fix that leaves behind a script writing the old binary unsafely: the revert
        // restarts the service onto a path the script (kept on the hosts) truncates.
        let c = with_deploy_script(case(
            "/usr/local/bin/foo",
            "/usr/bin/foo",
            &service_class(""),
            &service_class(&format!("  file {{ '/usr/bin/foo': {SRC} }}\n{DEPLOY}")),
        ));
        assert_eq!(check_rule(NAME, &c).len(), 1, "{:#?}", check_rule(NAME, &c));
        // The base revision declared the binary without content (the hosts had it); the
        // change makes the path a link, so Puppet deletes the binary, and the revert
        // creates an empty file there.
        let c = case(
            "/usr/local/bin/foo",
            "/usr/local/bin/foo",
            &service_class("  file { '/usr/local/bin/foo': ensure => file, mode => '0755' }\n"),
            &service_class(&format!("  file {{ '/opt/foo/foo': {SRC} }}\n  file {{ '/usr/local/bin/foo': ensure => link, target => '/opt/foo/foo' }}\n")),
        );
        let found = check_rule(NAME, &c);
        assert_eq!(found.len(), 1, "{found:#?}");
        assert!(
            found[0].message.contains("`empty-binary`"),
            "{}",
            found[0].message
        );
    }

    #[test]
    fn pass() {
        let cases = [
            (
                "a managed binary moves; the old one stays managed on both sides, so a revert \
                 restarts onto a file Puppet vouches for",
                case(
                    "/usr/local/bin/foo",
                    "/opt/foo/foo",
                    &service_class(MANAGED_OLD),
                    &service_class(&format!("{MANAGED_OLD}  file {{ '/opt/foo/foo': source => 'puppet:///modules/demo/foo', before => Service['foo'] }}\n")),
                ),
            ),
            (
                "the revert moves the service back to /usr/bin/foo, which Package['foo'] \
                 (named like the service) presumably provides (etcd-relink)",
                case(
                    "/usr/bin/foo",
                    "/usr/local/bin/foo",
                    &service_class("  package { 'foo': ensure => installed }\n"),
                    &service_class("  package { 'foo': ensure => installed }\n  file { '/usr/local/bin/foo': ensure => link, target => '/opt/foo/foo' }\n"),
                ),
            ),
            (
                "nothing about services",
                edit(
                    "class demo { file { '/etc/motd': content => 'a' } }\n",
                    "class demo { file { '/etc/motd': content => 'b' } }\n",
                ),
            ),
        ];
        for (label, c) in cases {
            assert_silent(NAME, label, &c);
        }
        for (i, (b, a, before, after)) in PASS.iter().enumerate() {
            let c = case(b, a, &service_class(before), &service_class(after));
            assert_silent(NAME, &format!("PASS[{i}]"), &c);
        }
    }

    #[test]
    fn fail_snippets() {
        for (i, (b, a, before, after)) in FAIL.iter().enumerate() {
            let after = service_class(after);
            let c = case(b, a, &service_class(before), &after);
            assert_lines(NAME, &format!("FAIL[{i}]"), &c, &after, &[3]);
        }
    }

    #[test]
    fn fail() {
        // Forward: ExecStart moves from an unmanaged binary to a managed one, and the old
        // one is cleaned up. A revert points the service back at the old path, which the
        // forward change deleted and the revert no longer manages.
        let before = service_class("");
        let after = service_class("  file { '/usr/local/bin/foo': ensure => absent }\n  file { '/usr/bin/foo': source => 'puppet:///modules/demo/foo', mode => '0755', before => Service['foo'] }\n");
        let found = check_rule(
            NAME,
            &case("/usr/local/bin/foo", "/usr/bin/foo", &before, &after),
        );
        assert_eq!(found.len(), 1, "{found:#?}");
        let f = &found[0];
        assert_eq!(f.resource, Some(ResourceKey::new("service", "foo")));
        assert_eq!(f.location.side, Side::After);
        assert_eq!(Case::line_of(&after, f), 3);
        assert!(
            f.message
                .starts_with("a `git revert` of this change would trip `service-binary-relinked`"),
            "{}",
            f.message
        );
        assert!(
            f.message.contains(
                "/usr/local/bin/foo is no longer managed after `ensure => absent` removed it"
            ),
            "{}",
            f.message
        );
        // The same with the old binary kept managed is a safe revert.
        let after = service_class(&format!("{MANAGED_OLD}  file {{ '/usr/bin/foo': source => 'puppet:///modules/demo/foo', mode => '0755', before => Service['foo'] }}\n"));
        let c = case(
            "/usr/local/bin/foo",
            "/usr/bin/foo",
            &service_class(MANAGED_OLD),
            &after,
        );
        assert!(check_rule(NAME, &c).is_empty());

        // The 2016 apiserver pattern: a deploy script added by the change writes the old
        // binary in place; a revert restarts the service onto it and leaves the script.
        let c = with_deploy_script(case(
            "/usr/local/bin/foo",
            "/usr/bin/foo",
            &service_class(""),
            &service_class(&format!(
                "  file {{ '/usr/bin/foo': ensure => link, target => '/usr/local/bin/foo' }}\n{DEPLOY}"
            )),
        ));
        let found = check_rule(NAME, &c);
        assert_eq!(found.len(), 1, "{found:#?}");
        assert!(
            found[0].message.contains(
                "File['/usr/local/sbin/deploy'], which the revert stops managing but leaves on \
                 the hosts, writes it unsafely"
            ),
            "{}",
            found[0].message
        );
        // The reverse hazard names the script as a writer: it is not listed again as
        // something the revert leaves behind.
        assert!(
            !found[0].message.contains("A revert also leaves behind"),
            "{}",
            found[0].message
        );

        // Only the flags change, and the change adds such a script: the revert restarts
        // the service onto the same path, which the script (left behind) writes in place.
        let c = with_deploy_script(case(
            "/usr/local/bin/foo",
            "/usr/local/bin/foo --verbose",
            &service_class(""),
            &service_class(DEPLOY),
        ));
        let found = check_rule(NAME, &c);
        assert_eq!(found.len(), 1, "{found:#?}");
        assert!(
            found[0].message.starts_with(
                "a `git revert` of this change would restart Service['foo'] (modules/demo/\
                 templates/foo.service.erb changed → File['/lib/systemd/system/foo.service'] \
                 ~> Service['foo']) onto /usr/local/bin/foo, and leave behind \
                 File['/usr/local/sbin/deploy'], a script this change adds"
            ),
            "{}",
            found[0].message
        );
        assert_eq!(found[0].related.len(), 1);
    }
}
