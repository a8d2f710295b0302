//! What the service rules (`service-binary-relinked`, `service-binary-missing`,
//! `restart-before-binary`, `unsafe-revert`, `deploy-script-unsafe`) ask of the models:
//! the binary a service runs and the chain of paths it resolves through, what the change
//! does to each of those paths, the environment files of the unit, where to point a
//! finding about a service, and the shell scripts the repository deploys or runs.

use std::collections::HashMap;

use crate::analysis::shell::{self, Hazard, Interest, ScriptReport};
use crate::analysis::template::TemplateKind;
use crate::ast::Span;
use crate::diagnostic::{Location, Related, Side};
use crate::input::Tree;
use crate::model::{file_state, Content, FileState, Model, ResId, ServiceInfo, Value};

use super::common::{at_attr, at_title, ensure_of, file_path, Chain, Ensure};
use super::Context;

/// The index entry of service resource `id`.
pub fn info(m: &Model, id: ResId) -> Option<&ServiceInfo> {
    m.index.services.values().flatten().find(|s| s.res == id)
}

/// The absolute path service `id` executes, when it is known exactly.
pub fn binary(m: &Model, id: ResId) -> Option<String> {
    m.facts.binary(id).map(str::to_owned)
}

/// The services this change restarts whose binary is known in the head revision, with
/// that binary. A restart that cannot be tied to a binary is never judged by what it
/// runs.
pub fn restarted_binaries<'a>(cx: &'a Context<'_>) -> impl Iterator<Item = (ResId, String)> + 'a {
    cx.diff
        .restarts
        .iter()
        .filter_map(|r| Some((r.service, binary(cx.after, r.service)?)))
}

/// The binary of service `id` followed through the managed links of `m`.
pub fn binary_chain(m: &Model, id: ResId) -> Option<Chain> {
    binary(m, id).map(|b| m.facts.resolve(&b))
}

/// The `EnvironmentFile=` paths of a service's unit with the name specifiers expanded;
/// paths that stay partly unknown are left out.
pub fn environment_files(m: &Model, id: ResId) -> Vec<String> {
    info(m, id)
        .map(|i| i.environment_files.iter().map(|e| e.path.clone()).collect())
        .unwrap_or_default()
}

/// Whether `a` and `b` can never be in one catalog: they, or the classes and defined
/// types that contain them, sit in different branches of one condition (a class declared
/// in the `then` branch, a resource in the `else` branch).
pub fn exclusive(m: &Model, a: ResId, b: ResId) -> bool {
    let mut xs = vec![a];
    xs.extend(m.ancestors(a));
    let mut ys = vec![b];
    ys.extend(m.ancestors(b));
    xs.iter().any(|&x| ys.iter().any(|&y| m.exclusive(x, y)))
}

/// The before-side counterpart of after-side resource `id`.
pub fn before_of(cx: &Context<'_>, id: ResId) -> Option<ResId> {
    cx.diff.matched.get(&id).copied()
}

/// Whether the change adds after-side resource `id` or changes it (attributes or a
/// repository file it reads).
pub fn is_touched(cx: &Context<'_>, id: ResId) -> bool {
    cx.diff.is_added(id) || cx.diff.diff_of(id).is_some()
}

/// What the change does to one path.
#[derive(Clone, Debug, PartialEq)]
pub enum TouchKind {
    /// A link appears where there was none: `to` is its target.
    Linked { to: String },
    /// A managed link now points elsewhere.
    Repointed { from: String, to: String },
    /// `ensure => absent`.
    Removed,
    /// A file with `content => ''`, or `ensure => file` with no content or source.
    Emptied,
    /// A regular file gets new content (or is newly managed with content).
    Replaced,
    /// The path was managed in the base revision and is not any more: Puppet leaves on
    /// the hosts whatever the base revision put there.
    Dropped,
}

/// A change to one path, with the resources that make it.
#[derive(Clone, Debug)]
pub struct Touch {
    pub path: String,
    pub kind: TouchKind,
    /// The after-side resource (none for [`TouchKind::Dropped`]).
    pub res: Option<ResId>,
    /// The before-side resource, when there was one.
    pub before: Option<ResId>,
}

impl Touch {
    /// `/usr/bin/x becomes a link to /usr/local/bin/x (File['/usr/bin/x'])`.
    pub fn describe(&self, cx: &Context<'_>) -> String {
        let who = match (self.res, self.before) {
            (Some(a), _) => cx.after.get(a).display_ref(),
            (None, Some(b)) => cx.before.get(b).display_ref(),
            _ => String::new(),
        };
        let what = match &self.kind {
            TouchKind::Linked { to } => format!("becomes a link to {to}"),
            TouchKind::Repointed { from, to } => {
                format!("is re-pointed from {from} to {to}")
            }
            TouchKind::Removed => "is removed (`ensure => absent`)".to_string(),
            TouchKind::Emptied => "is emptied (no content, no source)".to_string(),
            TouchKind::Replaced => "gets new content".to_string(),
            TouchKind::Dropped => {
                let gone = self
                    .before
                    .is_some_and(|b| ensure_of(cx.before.get(b)) == Ensure::Absent);
                if gone {
                    "is no longer managed after `ensure => absent` removed it: it stays missing"
                        .into()
                } else {
                    "is no longer managed (hosts keep whatever is there)".into()
                }
            }
        };
        format!("{} {what} ({who})", self.path)
    }

    /// Whether the path is left unusable or unknown, whatever the ordering.
    pub fn breaks(&self) -> bool {
        matches!(
            self.kind,
            TouchKind::Removed | TouchKind::Emptied | TouchKind::Dropped
        )
    }
}

fn live_files(m: &Model, path: &str) -> Vec<ResId> {
    m.index
        .managing(path)
        .iter()
        .copied()
        .filter(|&id| m.get(id).is_live() && m.get(id).ty == "file")
        .collect()
}

/// What the change does to `path`, if anything.
pub fn touch_at(cx: &Context<'_>, path: &str) -> Option<Touch> {
    let a = live_files(cx.after, path).into_iter().next();
    let b = live_files(cx.before, path).into_iter().next();
    let Some(a) = a else {
        return b.map(|b| Touch {
            path: path.to_string(),
            kind: TouchKind::Dropped,
            res: None,
            before: Some(b),
        });
    };
    if !is_touched(cx, a) {
        return None;
    }
    let ra = cx.after.get(a);
    let b = before_of(cx, a).or(b);
    let rb = b.map(|b| cx.before.get(b));
    let before_state = rb.map(file_state);
    let kind = match file_state(ra) {
        FileState::Link { resolved, .. } => {
            let to = resolved.unwrap_or_else(|| "an unknown target".into());
            match before_state {
                Some(FileState::Link {
                    resolved: Some(from),
                    ..
                }) if from == to => return None,
                Some(FileState::Link {
                    resolved: Some(from),
                    ..
                }) => TouchKind::Repointed { from, to },
                Some(FileState::Link { resolved: None, .. }) => return None,
                _ => TouchKind::Linked { to },
            }
        }
        FileState::Absent => {
            if before_state == Some(FileState::Absent) {
                return None;
            }
            TouchKind::Removed
        }
        FileState::Regular {
            content: Content::Empty,
        } => {
            if before_state.is_some_and(|s| s.is_empty_file()) {
                return None;
            }
            TouchKind::Emptied
        }
        FileState::Regular { .. } => {
            let changed = match cx.diff.diff_of(a) {
                None => true, // added
                Some(d) => {
                    !d.changed_files.is_empty()
                        || d.attrs
                            .iter()
                            .any(|x| matches!(x.name.as_str(), "content" | "source" | "ensure"))
                }
            };
            if !changed {
                return None;
            }
            TouchKind::Replaced
        }
        FileState::Directory | FileState::Metadata | FileState::Unknown => return None,
    };
    Some(Touch {
        path: path.to_string(),
        kind,
        res: Some(a),
        before: b,
    })
}

/// Where to point a finding about a service of `m`: the outermost defined-type instance
/// it was expanded from (the line the repository's author wrote, e.g.
/// `base::service_unit { 'kube-apiserver': }`), else the service's own title.
pub fn at_service(m: &Model, side: Side, id: ResId) -> Location {
    match m.get(id).define_chain.first() {
        Some(&inst) => at_title(m, side, inst),
        None => at_title(m, side, id),
    }
}

/// A secondary label on the `ExecStart=` executable of the unit template (or module file)
/// that says what service `id` runs, when the binary comes from one.
pub fn exec_start_related(m: &Model, side: Side, id: ResId, message: String) -> Option<Related> {
    let b = info(m, id)?.binary.as_ref()?;
    b.repo_file.as_ref()?;
    let (file, span) = b.at.clone()?;
    Some(Related {
        location: Location { side, file, span },
        message,
    })
}

/// The model's reason chain of the restart of after-side service `id`, if the change
/// restarts (or starts) it.
///
/// A unit file whose path is one of several alternatives (`case $initsystem`) is named by
/// the alternative that is this service's systemd unit: `File['/lib/systemd/system/x.service']`
/// rather than the list.
pub fn restart_reason(cx: &Context<'_>, id: ResId) -> Option<String> {
    let restart = cx.diff.restart_of(id)?;
    let units = info(cx.after, id).map_or(&[][..], |i| i.unit_files.as_slice());
    Some(restart.reason_text_naming(|res| {
        if !units.contains(&res) {
            return None;
        }
        let r = cx.after.get(res);
        if !matches!(r.title, Value::OneOf(_)) {
            return None;
        }
        r.name_value()
            .alternatives()
            .into_iter()
            .filter_map(Value::as_str)
            .find(|p| p.contains("/systemd/"))
            .map(|unit| format!("File['{unit}']"))
    }))
}

/// Scripts of `m` that write `path` unsafely, with the first hazard's wording.
pub fn unsafe_writers(m: &Model, side: Side, tree: &Tree, path: &str) -> Vec<(ResId, String)> {
    let mut out = Vec::new();
    for script in scripts(m, side, tree) {
        let report = script.analyze();
        if let Some(h) = script_hazards(m, &report)
            .into_iter()
            .find(|h| h.exact && h.path == path)
        {
            out.push((script.res, h.message));
        }
    }
    out
}

/// A shell script that the repository deploys (a `file` with `source`/`content`) or runs
/// (an `exec` command), with where its text comes from.
#[derive(Clone, Debug)]
pub struct Script {
    /// The `file` or `exec` resource.
    pub res: ResId,
    /// The repository file holding the text (module file or template), if any.
    pub repo_file: Option<String>,
    pub text: String,
    pub kind: TemplateKind,
    /// Where spans of the analysis point: the repository file, or (for literal content
    /// and exec commands) the attribute value in the manifest.
    pub inline: Option<Location>,
}

impl Script {
    /// The location of `span` (relative to the script text).
    pub fn location(&self, side: Side, span: Span) -> Location {
        match (&self.inline, &self.repo_file) {
            (Some(l), _) => l.clone(),
            (None, Some(f)) => Location {
                side,
                file: f.clone(),
                span,
            },
            (None, None) => Location {
                side,
                file: String::new(),
                span,
            },
        }
    }

    pub fn analyze(&self) -> ScriptReport {
        let file = self
            .repo_file
            .as_deref()
            .or(self.inline.as_ref().map(|l| l.file.as_str()))
            .unwrap_or("");
        let _reading = crate::isolate::reading(file);
        shell::analyze(&self.text, self.kind)
    }

    /// Where the script lives, for messages: `modules/x/files/deploy.sh`, or the
    /// resource.
    pub fn name(&self, m: &Model) -> String {
        match &self.repo_file {
            Some(f) => format!("`{f}` (deployed by {})", m.get(self.res).display_ref()),
            None => m.get(self.res).display_ref(),
        }
    }
}

/// Whether `text` (from a file named `name`, if any) is a shell script.
fn is_shell(text: &str, name: Option<&str>) -> bool {
    if let Some(first) = text.lines().next() {
        if let Some(interp) = first.strip_prefix("#!") {
            let mut words = interp.split_whitespace();
            let prog = words.next().unwrap_or_default();
            let prog = if prog.ends_with("/env") {
                words.next().unwrap_or_default()
            } else {
                prog
            };
            let base = prog.rsplit('/').next().unwrap_or(prog);
            return matches!(base, "sh" | "bash" | "dash" | "ksh" | "zsh" | "ash");
        }
    }
    name.is_some_and(|n| {
        let n = n
            .trim_end_matches(".erb")
            .trim_end_matches(".epp")
            .to_ascii_lowercase();
        n.ends_with(".sh") || n.ends_with(".bash")
    })
}

/// Every shell script of `m`: `file` resources whose content or source is a shell script
/// in the repository (or literal), and `exec` commands.
pub fn scripts(m: &Model, side: Side, tree: &Tree) -> Vec<Script> {
    let mut out = Vec::new();
    // Resource -> the repository files its `content`/`source` deploy, in index order.
    let mut deployed: HashMap<ResId, Vec<&str>> = HashMap::new();
    for u in &m.index.file_uses {
        if let ("content" | "source", Some(p)) = (u.attr.as_str(), &u.file_ref.resolved) {
            deployed.entry(u.res).or_default().push(p.as_str());
        }
    }
    for (id, r) in m.live_resources() {
        match r.ty.as_str() {
            "file" => {
                if let Some(Value::Str(s)) = r.get("content") {
                    if is_shell(s, file_path(r).as_deref()) {
                        out.push(Script {
                            res: id,
                            repo_file: None,
                            text: s.to_string(),
                            kind: TemplateKind::Plain,
                            inline: Some(at_attr(m, side, id, "content")),
                        });
                    }
                    continue;
                }
                for &p in deployed.get(&id).map(Vec::as_slice).unwrap_or(&[]) {
                    // Every deployed file is looked into for a shebang; an object above
                    // SNIFF_LIMIT (a tarball, a package) is not read, and is no script.
                    let Some(text) = tree.small_text(p) else {
                        continue;
                    };
                    if is_shell(text, Some(p)) {
                        out.push(Script {
                            res: id,
                            repo_file: Some(p.to_string()),
                            text: text.to_string(),
                            kind: TemplateKind::from_path(p),
                            inline: None,
                        });
                        break;
                    }
                }
            }
            "exec" => {
                if let Some(Value::Str(cmd)) = r.get("command") {
                    out.push(Script {
                        res: id,
                        repo_file: None,
                        text: cmd.to_string(),
                        kind: TemplateKind::Plain,
                        inline: Some(at_attr(m, side, id, "command")),
                    });
                }
            }
            _ => {}
        }
    }
    out
}

/// The paths on the binary chains of every service of `m`, with the services.
pub fn service_paths(m: &Model) -> Vec<(String, ResId)> {
    let mut out = Vec::new();
    for s in m.index.services.values().flatten() {
        if let Some(chain) = binary_chain(m, s.res) {
            for p in chain.paths {
                out.push((p, s.res));
            }
        }
    }
    out
}

/// The hazards of a script for the executables of `m`: service binaries (and the paths
/// their links lead to) and any path that looks executable.
pub fn script_hazards(m: &Model, report: &ScriptReport) -> Vec<Hazard> {
    let paths = service_paths(m);
    let owned: Vec<&str> = paths.iter().map(|(p, _)| p.as_str()).collect();
    let mut out = report.hazards(Interest::Paths(&owned));
    for h in report.hazards(Interest::ExecutablePaths) {
        if !out.contains(&h) {
            out.push(h);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_detection() {
        assert!(is_shell("#!/bin/bash\nx\n", None));
        assert!(is_shell("#!/usr/bin/env bash\n", None));
        assert!(is_shell("#!/bin/sh -e\n", Some("x.py")));
        assert!(!is_shell("#!/usr/bin/python3\n", Some("x.sh")));
        assert!(is_shell("echo hi\n", Some("modules/a/files/run.sh")));
        assert!(is_shell(
            "echo hi\n",
            Some("modules/a/templates/run.sh.erb")
        ));
        assert!(!is_shell(
            "[Unit]\n",
            Some("modules/a/templates/x.service.erb")
        ));
    }
}
