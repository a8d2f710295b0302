//! Questions several rules ask of the models: what the change touches, what a `file`
//! resource will be on disk, whether a path is executable, where links lead, and where to
//! point a finding.

use std::collections::BTreeSet;

use crate::ast::Span;
use crate::diagnostic::{Location, Related, Side};
pub use crate::model::facts::{mode_has_exec, package_removed};
pub use crate::model::{ensure_of, Chain, Ensure};
use crate::model::{file_state, normalize_path, FileState, Model, ResId, Resource, Value};

use super::Context;

/// After-side resources the change adds or changes (attributes, or a repository file they
/// read), live ones only, in declaration order.
pub fn touched(cx: &Context<'_>) -> Vec<ResId> {
    let mut ids: BTreeSet<ResId> = cx.diff.added.iter().copied().collect();
    ids.extend(cx.diff.changed.iter().map(|d| d.after));
    ids.into_iter()
        .filter(|&id| cx.after.get(id).is_live())
        .collect()
}

/// Whether the resource puts a regular file with known provenance at its path
/// (`content`/`source` given and not empty; not a link, directory or absent).
pub fn is_regular_file(r: &Resource) -> bool {
    r.ty == "file" && file_state(r).has_content()
}

/// Whether the resource manages its path as a regular file at all (content or not).
pub fn is_file_like(r: &Resource) -> bool {
    r.ty == "file" && matches!(file_state(r), FileState::Regular { .. })
}

/// The normalised path of a `file` resource, when fully known.
pub fn file_path(r: &Resource) -> Option<String> {
    match r.name_value() {
        Value::Str(p) if p.starts_with('/') => Some(normalize_path(p)),
        _ => None,
    }
}

/// A `file` resource's path for rules that judge a path by its directory: the path when
/// known, else the known directory of a partly known path (`/usr/local/bin/${name}`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JudgedPath {
    /// The path, or for a partly known one its known directory plus `/*`.
    pub path: String,
    /// How to show it: the path, or the pattern with its unknown parts.
    pub shown: String,
    /// The path was partly known; messages say so.
    pub inferred: bool,
}

pub fn judged_path(r: &Resource) -> Option<JudgedPath> {
    if let Some(p) = file_path(r) {
        return Some(JudgedPath {
            shown: p.clone(),
            path: p,
            inferred: false,
        });
    }
    let Value::Symbolic(sym) = r.name_value() else {
        return None;
    };
    let prefix = sym.known_prefix();
    let dir = &prefix[..prefix.rfind('/')?];
    if !dir.starts_with('/') || dir.len() < 2 {
        return None;
    }
    Some(JudgedPath {
        path: format!("{}/*", normalize_path(dir)),
        shown: sym.display(),
        inferred: true,
    })
}

/// Why `path` counts as an executable path, if it does: an executable directory from the
/// configuration, an execute bit in the resource's `mode`, or a service that runs it.
pub fn executable_reason(cx: &Context<'_>, path: &str, r: Option<&Resource>) -> Option<String> {
    if cx.config.in_executable_dir(path) {
        return Some("in an executable directory".into());
    }
    if let Some(true) = r.and_then(|r| r.get("mode")).and_then(mode_has_exec) {
        return Some("declared with an execute bit in `mode`".into());
    }
    for m in [cx.after, cx.before] {
        if let Some(s) = m.facts.services_running(path).first() {
            return Some(format!("run by {}", m.get(*s).display_ref()));
        }
    }
    None
}

/// The link target of `file` resource `id` of `m`, resolved to an absolute normalised
/// path.
pub fn link_target(m: &Model, id: ResId) -> Option<String> {
    file_state(m.get(id)).link_target().map(str::to_owned)
}

/// How `path` is provided on the hosts, if the repository (or the configuration) says.
pub fn provider_of(cx: &Context<'_>, m: &Model, path: &str) -> Option<String> {
    for &id in m.index.managing(path) {
        let r = m.get(id);
        if !r.is_live() {
            continue;
        }
        match file_state(r) {
            FileState::Directory => return Some(format!("{} (directory)", r.display_ref())),
            // A file declared with no content only ensures something exists; it still
            // counts as managed (empty-binary judges its content).
            FileState::Regular { .. } => return Some(r.display_ref()),
            _ => {}
        }
    }
    // A managed directory that deploys its whole tree.
    let mut dir = path;
    while let Some(cut) = dir.rfind('/') {
        if cut == 0 {
            break;
        }
        dir = &dir[..cut];
        for &id in m.index.managing(dir) {
            let r = m.get(id);
            let recurse = r.get("recurse").is_some_and(|v| {
                matches!(v, Value::Bool(true))
                    || v.as_str() == Some("remote")
                    || v.as_str() == Some("true")
            });
            if r.is_live() && recurse && r.get("source").is_some() {
                return Some(format!("{} (recursive source)", r.display_ref()));
            }
        }
    }
    if let Some(pkg) = m
        .facts
        .shipped_by(path)
        .iter()
        .find(|pkg| m.index.packages.contains_key(*pkg))
    {
        return Some(format!(
            "Package['{pkg}'] ({})",
            m.facts.shipped_basis(path, pkg)
        ));
    }
    if let Some(&id) = m
        .facts
        .created_by(path)
        .iter()
        .find(|&&id| m.get(id).ty == "exec")
    {
        return Some(format!("{} (creates)", m.get(id).display_ref()));
    }
    if cx.config.externally_managed(path) {
        return Some("an externally managed prefix (external_prefixes)".into());
    }
    None
}

/// A package of `m` that presumably provides `path` although nothing lists its files: a
/// live package, not removed (`absent`/`purged`), named like the service that runs the
/// path (`service`) or like the path's file name, for a path outside `/usr/local` and
/// `/opt` (which distribution packages do not fill). The service's name is tried first.
pub fn package_named_for(m: &Model, path: &str, service: Option<&str>) -> Option<ResId> {
    if path.starts_with("/usr/local/") || path.starts_with("/opt/") {
        return None;
    }
    let base = path.rsplit('/').next().unwrap_or(path);
    for pkg in [service, Some(base)].into_iter().flatten() {
        let Some(&id) = m
            .index
            .packages
            .get(pkg)
            .and_then(|ids| ids.iter().find(|&&i| m.get(i).is_live()))
        else {
            continue;
        };
        let removed = package_removed(m.get(id));
        if !removed {
            return Some(id);
        }
    }
    None
}

/// Where to point a finding about attribute `attr` of after-side resource `id`: the
/// attribute's value, else the title.
pub fn at_attr(m: &Model, side: Side, id: ResId, attr: &str) -> Location {
    let r = m.get(id);
    match r.attr(attr) {
        Some(a) if !a.value_span.is_empty() => Location {
            side,
            file: a.file.to_string(),
            span: a.value_span,
        },
        _ => at_title(m, side, id),
    }
}

/// The first of `attrs` the resource has, else its title.
pub fn at_first_attr(m: &Model, side: Side, id: ResId, attrs: &[&str]) -> Location {
    for a in attrs {
        if m.get(id).attr(a).is_some() {
            return at_attr(m, side, id, a);
        }
    }
    at_title(m, side, id)
}

/// The resource's title.
pub fn at_title(m: &Model, side: Side, id: ResId) -> Location {
    let r = m.get(id);
    let span = if r.title_span.is_empty() {
        Span::new(r.span.start, r.span.start)
    } else {
        r.title_span
    };
    Location {
        side,
        file: r.file.to_string(),
        span,
    }
}

/// A secondary label on another resource's title.
pub fn related(m: &Model, side: Side, id: ResId, message: String) -> Related {
    Related {
        location: at_title(m, side, id),
        message,
    }
}

/// Whether the base revision has a live link at `path` (normalised): a link the change
/// only re-points replaces nothing else at its path.
pub fn was_link(cx: &Context<'_>, path: &str) -> bool {
    cx.before
        .index
        .links
        .get(path)
        .is_some_and(|ls| ls.iter().any(|l| cx.before.get(l.res).is_live()))
}

/// Links the change adds or re-points (a new resource, or a change of `ensure` or
/// `target`), with their normalised paths. Links whose path is not known are skipped.
pub fn touched_links(cx: &Context<'_>) -> Vec<(ResId, String)> {
    touched(cx)
        .into_iter()
        .filter(|&id| {
            let r = cx.after.get(id);
            r.ty == "file" && ensure_of(r) == Ensure::Link
        })
        .filter(|&id| match cx.diff.diff_of(id) {
            None => true,
            Some(d) => d
                .attrs
                .iter()
                .any(|a| a.name == "ensure" || a.name == "target"),
        })
        .filter_map(|id| file_path(cx.after.get(id)).map(|p| (id, p)))
        .collect()
}
