//! ## What it does
//!
//! Flags a service whose executable (its `binary`/`start` attribute, the `ExecStart=` of
//! a unit file the repository manages, or `service_binaries` in the configuration) is an
//! absolute path that nothing in the repository provides; also the command of a timer-job
//! define (`systemd::timer::job { … command => … }`) and of an `exec` ordered before a
//! service. The service's other commands count too: `ExecStartPre=`, `ExecStartPost=`,
//! `ExecCondition=`, `ExecReload=`, `ExecStop=`, `ExecStopPost=` of its unit and its
//! `restart`/`stop`/`status` attributes (not one prefixed `-`, whose failure systemd
//! ignores), and the program a shell script it runs as its executable hands over to (a
//! wrapper's `exec /opt/x/bin/xd`, else its last command) by absolute path, unless it runs
//! only on a condition (after `&&`/`||`, as an `if` test, in an `if` or `case` branch) or
//! the script tests for it first
//! (`[ -x … ]`). A path is provided by a `file` with content or source (or a recursive
//! directory source above it), a managed link, an `exec`/`archive` whose `creates` is the
//! path, a package listed for it in `package_paths` or a declared package that ships it
//! according to the package contents files (`--package-contents`), an externally managed
//! prefix, or — outside `/usr/local` and `/opt` — a declared package named like the
//! service or the binary. A path that is itself a managed link is left to
//! `link-target-unmanaged`, which judges where the link leads, so the same mistake is not
//! reported twice.
//!
//! When a managed path differs only by directory (`bin`/`sbin`), by extension (`.py`,
//! `.sh`, …) or has the same file name elsewhere, the message says "did you mean …".
//! Paths in the distribution's directories (`/usr/bin`, `/bin`, `/usr/sbin`, …) usually
//! come from a package the repository never names: they are reported only with such a
//! near name, or when the change removed what provided them.
//!
//! Severity: error when the change introduces the problem (a new service or command, a
//! changed executable, or the removal of the package, file or link that provided it);
//! warning when the change touches a service whose executable was already unprovided, and
//! for reload, stop and status commands, without which the service still starts.
//! Untouched services with an old problem are not reported.
//!
//! ## Why is this bad?
//!
//! The service runs whatever happens to be at that path on each host: a hand-copied
//! build, a leftover from an older deployment, or nothing. A typo in the path looks
//! exactly the same until the next restart fails.
//!
//! ## Example
//!
//! ```puppet
//! file { '/lib/systemd/system/exporter.service':
//!   content => "[Service]\nExecStart=/usr/local/bin/exporterd\n",  # managed: /usr/local/bin/exporter
//!   notify  => Service['exporter'],
//! }
//! service { 'exporter': ensure => running }
//! ```
//!
//! ## Use instead
//!
//! Point the unit at the managed binary, or manage the binary it runs:
//!
//! ```puppet
//! file { '/usr/local/bin/exporterd':
//!   ensure => file,
//!   source => 'puppet:///modules/exporter/exporterd',
//!   mode   => '0755',
//! }
//! ```
//!
//! ## Exceptions
//!
//! Binaries installed by a package the repository does not know about: add the package's
//! paths to `package_paths` (or give its `Contents` index or `dpkg -L` list with
//! `--package-contents`), or the service to `service_binaries`, in the configuration.
//!
//! ## References
//!
//! - systemd.service(5): `ExecStart=`.
//! - Puppet `service` type: `binary`, `start`.

use std::collections::{BTreeSet, HashMap};

use crate::diagnostic::{Finding, Location, Related, Severity, Side};
use crate::model::{normalize_path, BinarySource, Model, ResId, ServiceBinary, ServiceInfo, Value};

use super::common::{at_attr, at_title, package_named_for, provider_of, related, touched};
use super::executables::is_distro_path;
use super::hazard::Voice;
use super::registry::{Kind, Rule};
use super::{finding, Context};

pub const NAME: &str = "service-binary-unmanaged";

/// This rule's row of the registry (`registry.rs` lists the rows in order).
pub(crate) static RULE: Rule = Rule {
    name: NAME,
    default_severity: Severity::Error,
    summary: "a service runs an absolute path nothing in the repository provides",
    kind: Kind::Check,
    check: Some(check),
    source: include_str!("service_binary_unmanaged.rs"),
};

/// Extensions a script is often deployed with while a unit names it without (or the
/// other way round).
const EXTENSIONS: &[&str] = &[".py", ".sh", ".bash", ".pl", ".rb"];

/// What runs a path: a service, a timer job or an exec.
struct Runner {
    /// The resource (service, define instance, exec).
    res: ResId,
    /// Its name for matching packages (service name), if any.
    name: Option<String>,
    path: String,
    location: Location,
    /// The resource or its unit changed, or it is restarted.
    touched: bool,
    via: Via,
}

/// How a runner comes to run the path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Via {
    /// It is the executable: `binary`, `start`, `ExecStart=`, `command`.
    Executable,
    /// Another command of the service: `ExecStartPre=`, `ExecReload=`, … or the
    /// `restart`/`stop`/`status` attribute.
    Command(String),
    /// A shell script the service runs as its executable runs it.
    Wrapper(String),
}

impl Via {
    /// Whether the service cannot start when the path is missing.
    fn blocks_start(&self) -> bool {
        match self {
            Via::Executable | Via::Wrapper(_) => true,
            Via::Command(key) => matches!(
                key.as_str(),
                "ExecStartPre" | "ExecStartPost" | "ExecCondition"
            ),
        }
    }
}

/// A service (or timer job, or exec before a service) that runs a path nothing in the
/// repository provides.
pub(crate) struct Unmanaged {
    /// The head-revision runner.
    pub runner: ResId,
    pub path: String,
    /// Where it names the path (`binary`, the `ExecStart=` word, `command`).
    pub location: Location,
    pub origin: Origin,
    /// A managed path with a near name, and the resource that manages it.
    pub near: Option<(String, ResId)>,
    pub via: Via,
}

impl Unmanaged {
    /// Whether it is reported as an error: the change brings it about, and the service
    /// cannot start without the path (a missing reload or stop command is a warning).
    pub(crate) fn is_error(&self) -> bool {
        !matches!(self.origin, Origin::Standing) && self.via.blocks_start()
    }
}

/// How the change brings the problem about.
pub(crate) enum Origin {
    /// A new runner, or a new path.
    Introduced,
    /// The same path, provided in the base revision: the change removed the provider.
    Lost(Provider),
    /// Already unprovided in the base revision; the change touches the runner.
    Standing,
}

pub fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    let rule = &RULE;
    for h in detect(cx) {
        out.push(render(cx, rule, &h, Voice::Change));
    }
}

pub(crate) fn detect(cx: &Context<'_>) -> Vec<Unmanaged> {
    let mut out = Vec::new();
    // "Nothing in the repository manages it" cannot be judged when a manifest of the
    // after side could not be read (a partial clone): it may manage the path.
    // incomplete-input says so.
    if cx.change.manifests_incomplete(Side::After) {
        return out;
    }
    let touched: BTreeSet<ResId> = touched(cx).into_iter().collect();
    let mut seen = BTreeSet::new();
    // The base revision's runners, listed once when first needed.
    let mut before_runners: Option<HashMap<(ResId, String), Runner>> = None;
    let mut by_stem = None;
    for r in runners(cx, cx.after, Side::After, &touched) {
        if !seen.insert((r.res, r.path.clone())) {
            continue;
        }
        if provided(cx, cx.after, &r.path, r.name.as_deref()).is_some() {
            continue;
        }
        // How the base revision ran this path.
        let before = cx
            .diff
            .matched
            .get(&r.res)
            .and_then(|&b| {
                before_runners
                    .get_or_insert_with(|| {
                        let mut by_key = HashMap::new();
                        for x in runners(cx, cx.before, Side::Before, &BTreeSet::new()) {
                            by_key.entry((x.res, x.path.clone())).or_insert(x);
                        }
                        by_key
                    })
                    .get(&(b, r.path.clone()))
            })
            .map(|x| provided(cx, cx.before, &x.path, x.name.as_deref()));
        let origin = match before {
            // The same path, provided before: the change removed the provider.
            Some(Some(p)) => Origin::Lost(p),
            // Already unprovided: only when the change touches the runner.
            Some(None) if r.touched => Origin::Standing,
            Some(None) => continue,
            // New runner or new path.
            None if r.touched || !cx.diff.matched.contains_key(&r.res) => Origin::Introduced,
            None => continue,
        };
        let near = nearest(cx.after, &r.path, &mut by_stem).filter(|(cand, _)| {
            // Not the wrapper script itself (`/usr/local/bin/x` running `/opt/x/bin/x`).
            !matches!(&r.via, Via::Wrapper(script) if script == cand)
        });
        if is_distro_path(&r.path) && near.is_none() && !matches!(origin, Origin::Lost(_)) {
            continue;
        }
        out.push(Unmanaged {
            runner: r.res,
            path: r.path,
            location: r.location,
            origin,
            near,
            via: r.via,
        });
    }
    out
}

/// The finding for `h`: an error, a warning when the path was already unprovided.
pub(crate) fn render(
    cx: &Context<'_>,
    rule: &'static Rule,
    h: &Unmanaged,
    voice: Voice,
) -> Finding {
    let runner = cx.after.get(h.runner);
    let who = runner.display_ref();
    let path = &h.path;
    let how = match &h.via {
        Via::Executable => String::new(),
        Via::Command(key) if key.starts_with("Exec") => format!(" in `{key}=`"),
        Via::Command(attr) => format!(" as its `{attr}` command"),
        Via::Wrapper(script) => format!(" from its script {script}"),
    };
    let mut message = format!("{who} runs {path}{how}, which nothing in the repository provides");
    if let Origin::Lost(p) = &h.origin {
        message.push_str(&format!(" any more ({} removed {})", voice.actor(), p.what));
    }
    message.push_str(match &h.via {
        Via::Command(key) if !h.via.blocks_start() => consequence(key),
        _ => {
            ": the service fails to start (203/EXEC) where the path is missing, or runs \
             whatever stale file a host has there"
        }
    });
    let help = if let Some((cand, id)) = &h.near {
        message.push_str(&format!("; did you mean {cand}?"));
        format!(
            "point the service at {cand} (managed by {}), or deploy {path}",
            cx.after.get(*id).display_ref()
        )
    } else {
        format!(
            "manage {path} (a `file` with `source`/`content`, or its package with the path \
             in package_paths), or point the service at a managed executable"
        )
    };
    let mut f = finding(rule, h.location.clone(), message);
    if !h.is_error() {
        f.severity = Severity::Warning;
    }
    f.help = Some(help);
    if h.location.file != *runner.file
        || h.location.span != at_title(cx.after, Side::After, h.runner).span
    {
        f.related.push(related(
            cx.after,
            Side::After,
            h.runner,
            format!("{who} is declared here"),
        ));
    }
    if let Some((cand, id)) = &h.near {
        f.related.push(related(
            cx.after,
            Side::After,
            *id,
            format!("{cand} is managed here"),
        ));
    }
    if let Origin::Lost(p) = &h.origin {
        if let Some(rel) = &p.related {
            f.related.push(rel.clone());
        }
    }
    f.resource = Some(runner.into());
    f
}

/// What goes wrong when a command other than the start commands is missing.
fn consequence(key: &str) -> &'static str {
    match key {
        "ExecReload" => {
            ": reloading the service fails where the path is missing (the old configuration \
             stays in force), or runs whatever stale file a host has there"
        }
        "restart" => {
            ": Puppet's restart of the service fails where the path is missing (it keeps \
             running with the old configuration), or runs whatever stale file a host has there"
        }
        "status" => {
            ": Puppet cannot tell whether the service runs where the path is missing, and \
             starts it again on every run"
        }
        _ => {
            ": stopping the service fails where the path is missing (systemd then kills it \
             and marks the unit failed), or runs whatever stale file a host has there"
        }
    }
}

/// Everything of `m` that runs an absolute path: services (their executable, their other
/// commands, and what a shell script they run as executable runs), timer jobs, execs
/// ordered before a service.
fn runners(cx: &Context<'_>, m: &Model, side: Side, touched: &BTreeSet<ResId>) -> Vec<Runner> {
    let mut out = Vec::new();
    for infos in m.index.services.values() {
        for s in infos {
            let r = m.get(s.res);
            if !r.is_live() {
                continue;
            }
            let is_touched = touched.contains(&s.res)
                || s.unit_files.iter().any(|u| touched.contains(u))
                || (side == Side::After && cx.diff.restart_of(s.res).is_some());
            let executable = s
                .binary
                .as_ref()
                .and_then(|bin| Some((bin, absolute(&bin.path)?)));
            if let Some((bin, path)) = &executable {
                out.push(Runner {
                    res: s.res,
                    name: Some(s.name.clone()),
                    location: service_location(m, side, s, bin),
                    path: path.clone(),
                    touched: is_touched,
                    via: Via::Executable,
                });
            }
            for c in &s.commands {
                let location = match &c.at {
                    Some((file, span)) => Location {
                        side,
                        file: file.clone(),
                        span: *span,
                    },
                    None if c.unit.is_none() => at_attr(m, side, s.res, &c.key),
                    None => at_title(m, side, s.res),
                };
                out.push(Runner {
                    res: s.res,
                    name: Some(s.name.clone()),
                    path: c.path.clone(),
                    location,
                    touched: is_touched,
                    via: Via::Command(c.key.clone()),
                });
            }
            let Some((_, path)) = executable else {
                continue;
            };
            for (script, wrapper) in wrapped(cx, m, side, &path) {
                out.push(Runner {
                    res: s.res,
                    name: Some(s.name.clone()),
                    path: wrapper.path,
                    location: wrapper.location,
                    touched: is_touched || touched.contains(&script),
                    via: Via::Wrapper(path.clone()),
                });
            }
        }
    }
    for (id, r) in m.live_resources() {
        let timer = r.ty.contains("::") && (r.ty.contains("timer") || r.ty.contains("systemd"));
        let exec = r.ty == "exec" && before_a_service(m, id);
        if !(timer || exec) {
            continue;
        }
        let attr = "command";
        let Some(Value::Str(cmd)) = r.get(attr) else {
            continue;
        };
        let Some(first) = cmd.split_whitespace().next() else {
            continue;
        };
        let first = first.trim_matches(['\'', '"']);
        if !first.starts_with('/') || first.contains(['$', '%', '*']) {
            continue;
        }
        out.push(Runner {
            res: id,
            name: r.title_str().map(str::to_owned),
            path: normalize_path(first),
            location: at_attr(m, side, id, attr),
            touched: touched.contains(&id),
            via: Via::Executable,
        });
    }
    out
}

/// A command a wrapper script runs.
struct Wrapped {
    path: String,
    location: Location,
}

/// The program the shell script deployed at `path` hands over to (`exec /opt/x/bin/xd`,
/// else its last command), when it runs it unconditionally by absolute path, with the
/// `file` resource deploying it. Paths the script tests first (`[ -x … ]`) and the script
/// itself are left out.
fn wrapped(cx: &Context<'_>, m: &Model, side: Side, path: &str) -> Vec<(ResId, Wrapped)> {
    let tree = match side {
        Side::Before => &cx.change.before.tree,
        Side::After => &cx.change.after.tree,
    };
    let mut out = Vec::new();
    for &id in m.index.managing(path) {
        let r = m.get(id);
        if !r.is_live() || r.ty != "file" {
            continue;
        }
        for text in crate::model::unit::small_texts(m, &m.index, tree, id) {
            if text.partial || !is_shell_script(&text.text) {
                continue;
            }
            let report = {
                let _reading = crate::isolate::reading(text.file());
                crate::analysis::shell::analyze(&text.text, text.kind)
            };
            // The program the wrapper becomes (`exec …`), else its last command: the
            // steps before it (preparing directories, waiting for a port) are not the
            // service's executable.
            let runs: Vec<&crate::analysis::shell::Run> = if report.runs.iter().any(|r| r.exec) {
                report.runs.iter().filter(|r| r.exec).collect()
            } else {
                report.runs.last().into_iter().collect()
            };
            for run in runs {
                if run.conditional
                    || run.path == path
                    || report.tested.contains(&run.path)
                    || out
                        .iter()
                        .any(|(_, w): &(ResId, Wrapped)| w.path == run.path)
                {
                    continue;
                }
                let Some((file, span)) = text.locate(tree, run.span) else {
                    continue;
                };
                out.push((
                    id,
                    Wrapped {
                        path: normalize_path(&run.path),
                        location: Location { side, file, span },
                    },
                ));
            }
        }
    }
    out
}

/// Whether a text starts with a shell's `#!` line (`sh`, `bash`, `dash`, `ksh`, `zsh`,
/// directly or through `env`).
fn is_shell_script(text: &str) -> bool {
    let Some(line) = text.lines().next().and_then(|l| l.strip_prefix("#!")) else {
        return false;
    };
    let mut words = line.split_whitespace();
    let Some(mut interp) = words.next() else {
        return false;
    };
    if interp.rsplit('/').next() == Some("env") {
        match words.find(|w| !w.starts_with('-')) {
            Some(w) => interp = w,
            None => return false,
        }
    }
    matches!(
        interp.rsplit('/').next(),
        Some("sh" | "bash" | "dash" | "ksh" | "zsh")
    )
}

/// Whether an exec is ordered before (or notifies) a service.
fn before_a_service(m: &Model, id: ResId) -> bool {
    m.edges_from(id).any(|e| m.get(e.to).ty == "service")
}

fn absolute(v: &Value) -> Option<String> {
    let p = v.as_str()?;
    (p.starts_with('/') && !p.contains(['%', '$', '*'])).then(|| normalize_path(p))
}

/// Where to point for a service's executable: the `binary`/`start` attribute, the
/// `ExecStart=` executable in the unit (template or literal), else the service title.
fn service_location(m: &Model, side: Side, s: &ServiceInfo, bin: &ServiceBinary) -> Location {
    match (bin.from, &bin.at) {
        (BinarySource::Binary | BinarySource::Start, _) => {
            at_attr(m, side, s.res, bin.from.as_str())
        }
        (BinarySource::Unit, Some((file, span))) => Location {
            side,
            file: file.clone(),
            span: *span,
        },
        _ => at_title(m, side, s.res),
    }
}

/// What provides a path, for messages about its removal.
pub(crate) struct Provider {
    what: String,
    related: Option<Related>,
}

/// How `path` is provided in `m`, if it is. A managed link counts as provided here:
/// `link-target-unmanaged` judges its target.
fn provided(cx: &Context<'_>, m: &Model, path: &str, name: Option<&str>) -> Option<Provider> {
    let side = if std::ptr::eq(m, cx.before) {
        Side::Before
    } else {
        Side::After
    };
    let chain = m.facts.resolve(path);
    if let Some(&link) = chain.links.first() {
        return Some(Provider {
            what: m.get(link).display_ref(),
            related: Some(related(
                m,
                side,
                link,
                format!("{} provided {path}", m.get(link).display_ref()),
            )),
        });
    }
    if let Some(what) = provider_of(cx, m, path) {
        let id = m
            .index
            .managing(path)
            .iter()
            .copied()
            .find(|&i| m.get(i).is_live());
        return Some(Provider {
            related: id.map(|i| related(m, side, i, format!("{what} provided {path}"))),
            what,
        });
    }
    // `creates` of any resource type (archive, staging, …).
    if let Some(&id) = m.facts.created_by(path).first() {
        let r = m.get(id);
        return Some(Provider {
            what: format!("{} (creates)", r.display_ref()),
            related: Some(related(
                m,
                side,
                id,
                format!("{} created {path}", r.display_ref()),
            )),
        });
    }
    let id = package_named_for(m, path, name)?;
    let what = m.get(id).display_ref();
    Some(Provider {
        related: Some(related(m, side, id, format!("{what} provided {path}"))),
        what,
    })
}

/// Managed paths by file name without extension (`strip_ext`), in path order.
type ByStem<'m> = HashMap<&'m str, Vec<(&'m String, &'m Vec<ResId>)>>;

/// A managed path that differs from `path` only by `bin`/`sbin`, by extension, or by
/// directory (same file name), best first. `by_stem` is filled on first use.
fn nearest<'m>(
    m: &'m Model,
    path: &str,
    by_stem: &mut Option<ByStem<'m>>,
) -> Option<(String, ResId)> {
    let (dir, base) = path.rsplit_once('/')?;
    let stem = strip_ext(base);
    let managed = |p: &str| -> Option<ResId> {
        m.index
            .managing(p)
            .iter()
            .copied()
            .find(|&i| m.get(i).is_live() && m.get(i).ty == "file")
    };
    let mut candidates: Vec<String> = Vec::new();
    for (a, b) in [("/sbin", "/bin"), ("/bin", "/sbin")] {
        if let Some(parent) = dir.strip_suffix(a) {
            candidates.push(format!("{parent}{b}/{base}"));
        }
    }
    for e in EXTENSIONS {
        candidates.push(format!("{dir}/{base}{e}"));
    }
    if stem != base {
        candidates.push(format!("{dir}/{stem}"));
    }
    for c in candidates {
        if let Some(id) = managed(&c) {
            return Some((c, id));
        }
    }
    // The same file name (or the same name without extension) in another directory:
    // the same name implies the same stem, so one lookup by stem finds both.
    let by_stem = by_stem.get_or_insert_with(|| {
        let mut map: ByStem<'m> = HashMap::new();
        for (p, ids) in &m.index.paths {
            if let Some((_, pb)) = p.rsplit_once('/') {
                map.entry(strip_ext(pb)).or_default().push((p, ids));
            }
        }
        map
    });
    for &(p, ids) in by_stem.get(stem).map(Vec::as_slice).unwrap_or(&[]) {
        let Some((pd, _)) = p.rsplit_once('/') else {
            continue;
        };
        if pd == dir {
            continue;
        }
        if let Some(&id) = ids
            .iter()
            .find(|&&i| m.get(i).is_live() && m.get(i).ty == "file")
        {
            if matches!(
                super::common::ensure_of(m.get(id)),
                super::common::Ensure::Directory | super::common::Ensure::Absent
            ) {
                continue;
            }
            return Some((p.clone(), id));
        }
    }
    None
}

fn strip_ext(base: &str) -> &str {
    EXTENSIONS
        .iter()
        .find_map(|e| base.strip_suffix(e))
        .unwrap_or(base)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::rules::testing::*;
    use crate::rules::Selection;

    const PASS: &[&str] = &[
        // A unit running a binary from a declared package named like the service.
        "class demo {\n  package { 'nginx': ensure => installed }\n  file { '/lib/systemd/system/nginx.service': content => \"[Service]\\nExecStart=/usr/sbin/nginx -g 'daemon off;'\\n\" }\n  service { 'nginx': ensure => running }\n}",
        // A managed script.
        "class demo {\n  file { '/usr/local/bin/exporter': source => 'puppet:///modules/demo/exporter', mode => '0755' }\n  file { '/etc/systemd/system/exporter.service': content => \"[Service]\\nExecStart=/usr/local/bin/exporter\\n\" }\n  service { 'exporter': ensure => running }\n}",
        // An explicit shell from the distribution.
        "class demo {\n  file { '/etc/systemd/system/x.service': content => \"[Service]\\nExecStart=/bin/sh -c 'a && b'\\n\" }\n  service { 'x': ensure => running }\n}",
        // A link to a managed path; an exec that creates it.
        "class demo {\n  file { '/opt/x/bin/x': source => 'puppet:///modules/demo/x' }\n  file { '/usr/local/bin/x': ensure => link, target => '/opt/x/bin/x' }\n  service { 'x': binary => '/usr/local/bin/x' }\n  exec { 'fetch-y': command => '/usr/bin/curl -fo /opt/y/y https://example.org/y', creates => '/opt/y/y' }\n  service { 'y': binary => '/opt/y/y' }\n}",
        // A path in a distribution directory with no near name: from an unnamed package.
        "class demo {\n  service { 'ssh': binary => '/usr/sbin/sshd' }\n}",
        "class demo {\n  exec { 'bootstrap': command => '/etc/init.d/mysql bootstrap-pxc', before => Service['mysql'] }\n  service { 'mysql': }\n}",
        // Symbolic executable.
        "class demo($bin) {\n  service { 'x': binary => \"${bin}/x\" }\n}",
        // A start hook whose failure systemd ignores (`-`), a reload through a distribution
        // tool, a stop command from the package named like the service.
        "class demo {\n  package { 'x': }\n  file { '/etc/systemd/system/x.service': content => \"[Service]\\nExecStartPre=-/usr/local/bin/x-prepare\\nExecStart=/usr/bin/x\\nExecReload=/bin/kill -HUP $MAINPID\\nExecStop=/usr/bin/x-stop\\n\" }\n  service { 'x': ensure => running }\n}",
        // A wrapper that runs what it first checks for, or only on a condition.
        "class demo {\n  file { '/usr/local/bin/run-x': mode => '0755', content => \"#!/bin/sh\\nset -e\\n[ -x /opt/x/bin/xd ] || exit 0\\nexec /opt/x/bin/xd --serve\\n\" }\n  file { '/usr/local/bin/run-y': mode => '0755', content => \"#!/bin/bash\\nif /opt/y/bin/check; then echo ok; fi\\n/opt/y/bin/migrate || true\\nexec /usr/local/bin/yd\\n\" }\n  file { '/usr/local/bin/yd': source => 'puppet:///modules/demo/yd', mode => '0755' }\n  service { 'x': binary => '/usr/local/bin/run-x' }\n  service { 'y': binary => '/usr/local/bin/run-y' }\n}",
        // The reload helper deployed in one branch, the package named like the service in
        // the other: provided either way.
        "class demo($from_package) {\n  if $from_package { package { 'x': } }\n  else { file { '/usr/local/bin/x-reload': source => 'puppet:///modules/demo/x-reload', mode => '0755' } }\n  file { '/etc/systemd/system/x.service': content => \"[Service]\\nExecStart=/usr/bin/x\\nExecReload=/usr/local/bin/x-reload\\n\" }\n  service { 'x': ensure => running }\n}",
        // An init-style wrapper: what it runs depends on its argument.
        "class demo {\n  file { '/usr/local/bin/run-v': mode => '0755', content => \"#!/bin/sh\\ncase \\$1 in\\n  start) exec /opt/v/bin/vd ;;\\n  *) echo usage ;;\\nesac\\n\" }\n  service { 'v': binary => '/usr/local/bin/run-v' }\n}",
        // Steps before the `exec` are not the service's executable.
        "class demo {\n  file { '/usr/local/bin/run-w': mode => '0755', content => \"#!/bin/sh\\n/opt/w/bin/prepare --dirs\\nexec /usr/local/bin/wd\\n\" }\n  file { '/usr/local/bin/wd': source => 'puppet:///modules/demo/wd', mode => '0755' }\n  service { 'w': binary => '/usr/local/bin/run-w' }\n}",
        // A script that is not a shell script is not read as one.
        "class demo {\n  file { '/usr/local/bin/run-z': mode => '0755', content => \"#!/usr/bin/python3\\nimport os\\nos.execv('/opt/z/bin/zd', ['zd'])\\n\" }\n  service { 'z': binary => '/usr/local/bin/run-z' }\n}",
    ];

    const FAIL: &[(&str, &[u32])] = &[
        // The unit runs sbin, the script is deployed to bin.
        (
            "class demo {\n  file { '/usr/local/bin/exporter': source => 'puppet:///modules/demo/exporter', mode => '0755' }\n  file { '/etc/systemd/system/exporter.service':\n    content => \"[Service]\\nExecStart=/usr/local/sbin/exporter --port 9100\\n\",\n  }\n  service { 'exporter': ensure => running }\n}\n",
            &[4],
        ),
        // Nothing provides it at all.
        ("class demo {\n  service { 'x':\n    binary => '/opt/x/bin/x',\n  }\n}\n", &[3]),
        // A package of the service's name does not ship files under /usr/local.
        ("class demo {\n  package { 'x': }\n  service { 'x': binary => '/usr/local/bin/x' }\n}\n", &[3]),
        // A timer job running an unmanaged script.
        ("class demo {\n  systemd::timer::job { 'cleanup': command => '/usr/local/bin/cleanup --all' }\n}\n", &[2]),
        // A start hook nothing provides (the unit's ExecStart is managed).
        (
            "class demo {\n  file { '/usr/local/bin/x': source => 'puppet:///modules/demo/x', mode => '0755' }\n  file { '/etc/systemd/system/x.service':\n    content => \"[Service]\\nExecStartPre=/usr/local/bin/x-prepare\\nExecStart=/usr/local/bin/x\\n\",\n  }\n  service { 'x': ensure => running }\n}\n",
            &[4],
        ),
        // The restart command of a service.
        ("class demo {\n  service { 'x':\n    restart => '/usr/local/bin/x-restart graceful',\n  }\n}\n", &[3]),
        // A wrapper script that runs a daemon nothing deploys.
        (
            "class demo {\n  file { '/usr/local/bin/run-x':\n    mode    => '0755',\n    content => \"#!/bin/sh\\nexport HOME=/var/lib/x\\nexec /opt/x/bin/xd --serve\\n\",\n  }\n  service { 'x': binary => '/usr/local/bin/run-x' }\n}\n",
            &[4],
        ),
    ];

    snippet_tests!(after_only);

    #[test]
    fn did_you_mean() {
        for (unit_path, managed, want) in [
            (
                "/usr/local/sbin/exporter",
                "/usr/local/bin/exporter",
                "did you mean /usr/local/bin/exporter?",
            ),
            (
                "/usr/local/bin/exporter",
                "/usr/local/bin/exporter.py",
                "did you mean /usr/local/bin/exporter.py?",
            ),
            (
                "/usr/bin/exporter",
                "/opt/exporter/exporter",
                "did you mean /opt/exporter/exporter?",
            ),
        ] {
            let src = format!(
                "class demo {{\n  file {{ '{managed}': source => 'puppet:///modules/demo/e' }}\n  service {{ 'exporter': binary => '{unit_path}' }}\n}}\n"
            );
            let found = check_rule(NAME, &after_only(&src));
            assert_eq!(found.len(), 1, "{src}: {found:#?}");
            assert!(found[0].message.contains(want), "{}", found[0].message);
            assert_eq!(found[0].severity, Severity::Error);
        }
    }

    #[test]
    fn removing_the_package_reports_the_service_that_stays() {
        let svc = "class demo {\n  file { '/lib/systemd/system/foo.service': content => \"[Service]\\nExecStart=/usr/bin/foo\\n\" }\n  service { 'foo': ensure => running }\n}\n";
        let mut case = Case::default();
        case.before(SNIPPET_PATH, svc);
        case.before(
            "modules/demo/manifests/pkg.pp",
            "class demo::pkg {\n  package { 'foo': ensure => installed }\n}\n",
        );
        case.after(SNIPPET_PATH, svc);
        case.after("modules/demo/manifests/pkg.pp", "class demo::pkg {\n  file { '/usr/local/bin/foo': source => 'puppet:///modules/demo/foo', mode => '0755' }\n}\n");
        let found = check_rule(NAME, &case);
        assert_eq!(found.len(), 1, "{found:#?}");
        let f = &found[0];
        assert_eq!(f.severity, Severity::Error);
        assert!(
            f.message.contains("this change removed Package['foo']"),
            "{}",
            f.message
        );
        assert!(
            f.message.contains("did you mean /usr/local/bin/foo?"),
            "{}",
            f.message
        );
        assert!(f.related.iter().any(|r| r.location.side == Side::Before));
        // The ExecStart word in the literal unit.
        assert_eq!(&svc[f.location.span.range()], "/usr/bin/foo");
    }

    #[test]
    fn an_old_problem_is_a_warning_when_touched_and_silent_otherwise() {
        let src = "class demo {\n  service { 'x': binary => '/opt/x/x', enable => true }\n}\n";
        let case = edit(src, &src.replace("true", "false"));
        let found = check_rule(NAME, &case);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].severity, Severity::Warning);
        let case = edit(src, &format!("{src}# edited\n"));
        assert!(check_rule(NAME, &case).is_empty());
    }

    #[test]
    fn reload_and_stop_commands_are_warnings_start_hooks_and_wrappers_errors() {
        let unit = |key: &str| {
            format!(
                "class demo {{\n  file {{ '/usr/local/bin/x': source => 'puppet:///modules/demo/x', mode => '0755' }}\n  file {{ '/usr/local/bin/x-ctl': source => 'puppet:///modules/demo/x-ctl', mode => '0755' }}\n  file {{ '/etc/systemd/system/x.service': content => \"[Service]\\nExecStart=/usr/local/bin/x\\n{key}=/usr/local/sbin/x-ctl now\\n\" }}\n  service {{ 'x': ensure => running }}\n}}\n"
            )
        };
        for (key, severity, says) in [
            ("ExecStartPre", Severity::Error, "fails to start"),
            (
                "ExecReload",
                Severity::Warning,
                "reloading the service fails",
            ),
            ("ExecStop", Severity::Warning, "stopping the service fails"),
        ] {
            let src = unit(key);
            let found = check_rule(NAME, &after_only(&src));
            assert_eq!(found.len(), 1, "{key}: {found:#?}");
            let f = &found[0];
            assert_eq!(f.severity, severity, "{key}");
            assert!(f.message.contains(&format!("in `{key}=`")), "{}", f.message);
            assert!(f.message.contains(says), "{}", f.message);
            assert!(
                f.message.contains("did you mean /usr/local/bin/x-ctl?"),
                "{}",
                f.message
            );
            assert_eq!(&src[f.location.span.range()], "/usr/local/sbin/x-ctl");
        }
        let src = "class demo {\n  file { '/usr/local/bin/run-x': mode => '0755', content => \"#!/usr/bin/env bash\\nexec /opt/x/bin/xd\\n\" }\n  service { 'x': binary => '/usr/local/bin/run-x' }\n}\n";
        let found = check_rule(NAME, &after_only(src));
        assert_eq!(found.len(), 1, "{found:#?}");
        assert_eq!(found[0].severity, Severity::Error);
        assert!(
            found[0]
                .message
                .contains("runs /opt/x/bin/xd from its script /usr/local/bin/run-x"),
            "{}",
            found[0].message
        );
        assert_eq!(&src[found[0].location.span.range()], "/opt/x/bin/xd");
    }

    #[test]
    fn a_wrapper_running_a_path_it_already_ran_is_not_new() {
        let before = "class demo {\n  file { '/usr/local/bin/run-x': mode => '0755', content => \"#!/bin/sh\\nexec /opt/x/bin/xd\\n\" }\n  service { 'x': binary => '/usr/local/bin/run-x' }\n}\n";
        let after = before.replace("xd\\n", "xd --verbose\\n");
        let found = check_rule(NAME, &edit(before, &after));
        assert_eq!(found.len(), 1, "{found:#?}");
        assert_eq!(found[0].severity, Severity::Warning);
        let found = check_rule(NAME, &edit(before, &format!("{before}# edited\n")));
        assert!(found.is_empty(), "{found:#?}");
    }

    #[test]
    fn package_paths_hints_provide() {
        let src = "class demo {\n  package { 'kubernetes-master': }\n  service { 'kube-apiserver': binary => '/usr/local/bin/kube-apiserver' }\n}\n";
        let mut config = Config::default();
        let found = run_case(&after_only(src), &config, &Selection::default());
        assert!(found.iter().any(|f| f.rule == NAME));
        config.package_paths.insert(
            "kubernetes-master".into(),
            vec!["/usr/local/bin/kube-apiserver".into()],
        );
        let found = run_case(&after_only(src), &config, &Selection::default());
        assert!(found.iter().all(|f| f.rule != NAME), "{found:#?}");
    }
}
