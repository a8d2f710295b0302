//! ## What it does
//!
//! Checks every file the manifests of the change read from the repository, at the head
//! revision:
//!
//! - `source => 'puppet:///modules/M/F'` must exist as `M/files/F` in a modulepath entry;
//! - `template('M/T')` and `epp('M/T')` must exist as `M/templates/T`;
//! - `file('M/F')` must exist as `M/files/F`.
//!
//! Matching is case-sensitive, across every modulepath entry (from the configuration,
//! else `environment.conf`, else `modules` and every other directory holding modules,
//! such as `vendor/modules/<name>/manifests/`). In a module repository (a root
//! `metadata.json` naming the module whose classes the root `manifests/` defines), the
//! module's own `files/` and `templates/` are at the root. A `source` may name a
//! directory (copied with `recurse`). An array of sources, like `file()` with several
//! arguments, takes the first alternative that exists: it is reported once, when none
//! can exist (an alternative in a subdirectory of which the repository has no file at
//! all is taken to be filled on the Puppet server, and may exist).
//!
//! In a repository written for Puppet 3 (see `puppet_version` in the README), a
//! `template()` that no module has is looked up in the root `templates/`, as Puppet 3's
//! `templatedir`; from Puppet 4 it is missing, and the help says the version assumed. A
//! template named without a module (`template('x.conf')`) is found only in that
//! templatedir: it is judged against the root `templates/` when the repository keeps one,
//! and is missing from Puppet 4 on (`epp` always). A reference is a warning, not an
//! error, when the resource already read a missing file through the same attribute at
//! the base revision (one missing name changed into another). A
//! `puppet:///files/…` source is read from the root `files/` when it holds the file (the
//! `files` mount of `fileserver.conf`).
//!
//! Sources on other mount points (`puppet:///private/…`, `puppet:///volatile/…`),
//! modules from outside the repository (`external_modules`, a `Puppetfile`, a
//! `metadata.json` dependency, a git submodule) and paths a `.gitignore` excludes (files
//! placed on the Puppet server out of band, such as certificates) cannot be checked; they
//! are reported as unverifiable (`info`) only with `--strict`, never as missing. The
//! `.gitignore` files are read in a subset: directory and file patterns, anchored or not,
//! with `*`, `?` and `**`; negations are ignored.
//!
//! ## Why is this bad?
//!
//! A missing `template()`, `epp()` or `file()` is a compile error: the whole catalog
//! fails on every node that evaluates it. A missing `source` fails only that resource, at
//! apply time, even under `--noop`; everything that requires or subscribes to it is
//! skipped and unrelated resources still apply, so the change lands half-applied.
//!
//! ## Example
//!
//! ```puppet
//! file { '/usr/local/bin/deploy-master':
//!   source => 'puppet:///modules/role/toollabs/deploy-master.sh',  # the file is .bash
//!   mode   => '0555',
//! }
//! ```
//!
//! ## Use instead
//!
//! ```puppet
//! file { '/usr/local/bin/deploy-master':
//!   source => 'puppet:///modules/role/toollabs/deploy-master.bash',
//!   mode   => '0555',
//! }
//! ```
//!
//! ## Exceptions
//!
//! Files generated on the Puppet server at deploy time, and modules kept in a private
//! repository: list those modules in `external_modules` instead of suppressing.
//!
//! ## References
//!
//! - Puppet file serving: `puppet:///modules/<module>/<file>` maps to
//!   `<modulepath>/<module>/files/<file>`.
//! - Puppet functions `template`, `epp` and `file` (module-relative paths).

use std::collections::BTreeSet;

use crate::diagnostic::{Finding, Location, Severity, Side};
use crate::model::layout::GitIgnore;
use crate::model::{FileUse, ResId, Value};

use super::common::{at_attr, touched};
use super::executables::external_modules;
use super::registry::edit_distance;
use super::registry::{Kind, Rule};
use super::{finding, Context};

pub const NAME: &str = "source-missing";

/// This rule's row of the registry (`registry.rs` lists the rows in order).
pub(crate) static RULE: Rule = Rule {
    name: NAME,
    default_severity: Severity::Error,
    summary: "`puppet:///modules/…`, `template()`, `epp()`, `file()` pointing at a file not in the repository",
    kind: Kind::Check,
    check: Some(check),
    source: include_str!("source_missing.rs"),
};

/// `(module, path inside the module's directory, directory)` of a module-relative
/// reference: `puppet:///modules/m/f` and `file('m/f')` -> files, templates otherwise.
fn module_ref(u: &FileUse, spec: &str) -> Option<(String, String, &'static str)> {
    let (rel, dir) = if u.file_ref.func == "source" {
        let rest = spec.strip_prefix("puppet:///modules/").or_else(|| {
            spec.strip_prefix("puppet://")
                .and_then(|r| r.split_once("/modules/").map(|(_, x)| x))
        })?;
        (rest, "files")
    } else if u.file_ref.func == "file" {
        (spec, "files")
    } else {
        (spec, "templates")
    };
    if rel.starts_with('/') {
        return None;
    }
    let (m, rest) = rel.split_once('/')?;
    Some((m.to_owned(), rest.to_owned(), dir))
}

/// `func('spec')` or the source URL, as written.
fn shown(u: &FileUse, spec: &str) -> String {
    if u.file_ref.func == "source" {
        format!("source '{spec}'")
    } else {
        format!("{}('{spec}')", u.file_ref.func)
    }
}

pub fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    let rule = &RULE;
    let touched: BTreeSet<ResId> = touched(cx).into_iter().collect();
    let external = external_modules(cx);
    let ignored = GitIgnore::load(&cx.change.after.tree);
    let uses = &cx.after.index.file_uses;
    for (i, u) in uses.iter().enumerate() {
        let r = cx.after.get(u.res);
        if !r.is_live() || u.file_ref.resolved.is_some() {
            continue;
        }
        // Only a fully known reference can be missing; a symbolic one stays silent.
        let Value::Str(spec) = &*u.file_ref.spec else {
            continue;
        };
        // `source => [a, b]` and `file(a, b)` take the first alternative that exists.
        let alternatives: Vec<(usize, &FileUse)> = uses
            .iter()
            .enumerate()
            .filter(|(_, o)| {
                o.res == u.res
                    && o.attr == u.attr
                    && o.file_ref.func == u.file_ref.func
                    && matches!(u.file_ref.func.as_str(), "source" | "file")
            })
            .collect();
        if !touched.contains(&u.res)
            && !alternatives.iter().any(|(_, o)| lost_by_change(cx, o))
            && !lost_by_change(cx, u)
        {
            continue;
        }
        let res = r.display_ref();
        let what = shown(u, spec);
        let loc = at_attr(cx.after, Side::After, u.res, &u.attr);
        if let Some(why) = unverifiable(cx, &external, &ignored, u) {
            if cx.selection.strict {
                let mut f = finding(
                    rule,
                    loc,
                    format!("{res} reads {what} from {why}; it cannot be verified"),
                );
                f.severity = Severity::Info;
                f.resource = Some(r.into());
                out.push(f);
            }
            continue;
        }
        // Reported once, on the first alternative, when none of them can exist: one that
        // exists, or that cannot be verified, may be the one Puppet uses.
        if alternatives.iter().any(|(j, o)| {
            *j < i
                || o.file_ref.resolved.is_some()
                || !matches!(&*o.file_ref.spec, Value::Str(s) if module_ref(o, s).is_some())
                || unverifiable(cx, &external, &ignored, o).is_some()
                || (alternatives.len() > 1 && absent_directory(cx, o))
        }) {
            continue;
        }
        let Some((m, rest, dir)) = module_ref(u, spec) else {
            if let Some(mut f) = bare_template(cx, u, spec, loc) {
                f.resource = Some(r.into());
                out.push(f);
            }
            continue;
        };
        let expected = expected_path(cx, &m, dir, &rest);
        let others: Vec<String> = alternatives
            .iter()
            .filter(|(j, _)| *j != i)
            .filter_map(|(_, o)| {
                let Value::Str(s) = &*o.file_ref.spec else {
                    return None;
                };
                Some(match module_ref(o, s) {
                    Some((m, rest, dir)) => {
                        format!("{} ({})", shown(o, s), expected_path(cx, &m, dir, &rest))
                    }
                    None => shown(o, s),
                })
            })
            .collect();
        // On disk but not in the tree checked: the fix is `git add`, not a new file.
        let untracked = cx.change.after.tree.untracked.contains(&expected);
        let message = if untracked {
            format!("{res} reads {what}, but {expected} is not tracked: it is on disk, but git does not have it")
        } else if others.is_empty() {
            format!("{res} reads {what}, but {expected} does not exist")
        } else {
            format!(
                "{res} reads {what}, but {expected} does not exist, and neither does any \
                 other alternative: {}",
                others.join(", ")
            )
        };
        let mut f = finding(rule, loc, message);
        // The base revision already read a missing file here: still broken, not broken
        // by this change (datacentred cd861be8 renamed one missing template to another).
        if let Some(old) = missing_before(cx, u) {
            f.severity = Severity::Warning;
            f.message
                .push_str(&format!("; it already read {old}, which was missing too"));
        }
        let compile = u.file_ref.func != "source";
        let effect = if compile {
            "the catalog will not compile on any node that evaluates it"
        } else {
            "the resource fails at apply time and everything that depends on it is skipped"
        };
        f.help = Some(match nearest(cx, &m, dir, &rest) {
            _ if untracked => format!("`git add {expected}`; as committed, {effect}"),
            Some(near) => format!("did you mean {near}? As written, {effect}"),
            None => format!("add the file, or fix the path; as written, {effect}"),
        });
        // Found only where Puppet 3's templatedir looked: say which Puppet was assumed.
        let templatedir = format!("templates/{spec}");
        if u.file_ref.func == "template"
            && crate::model::layout::exists(&cx.change.after.tree, &templatedir, false)
        {
            if let Some(h) = f.help.as_mut() {
                h.push_str(&format!(
                    " ({templatedir} exists, but only Puppet 3 reads its templatedir; \
                     assumed {})",
                    cx.after.puppet
                ));
            }
        }
        f.resource = Some(r.into());
        out.push(f);
    }
}

/// The directories a module's `dir` (`files`, `templates`) may be in: the repository root
/// for the root module of a module repository, then every modulepath entry.
fn module_dirs(cx: &Context<'_>, module: &str, dir: &str) -> Vec<String> {
    let mut out = Vec::new();
    if cx.after.root_module.as_deref() == Some(module) {
        out.push(dir.to_owned());
    }
    for mp in &cx.after.modulepath {
        out.push(format!("{mp}/{module}/{dir}"));
    }
    out
}

/// The directories of [`module_dirs`] whose module is in the tree, when there are any
/// (Puppet takes a module from the first modulepath entry that has it: a `.gitignore`d
/// entry such as r10k's `vendor/` does not matter for a module in `modules/`), else all.
fn module_dirs_present(cx: &Context<'_>, module: &str, dir: &str) -> Vec<String> {
    let dirs = module_dirs(cx, module, dir);
    let tree = &cx.change.after.tree;
    let present: Vec<String> = dirs
        .iter()
        .filter(|d| {
            let module_dir = d.strip_suffix(dir).unwrap_or(d).trim_end_matches('/');
            module_dir.is_empty() || crate::model::layout::exists(tree, module_dir, true)
        })
        .cloned()
        .collect();
    if present.is_empty() {
        dirs
    } else {
        present
    }
}

/// Whether a module-relative reference sits in a subdirectory of the module's `files/`
/// (or `templates/`) of which the repository has no file at all, at either revision: in
/// an array of sources, such an alternative names a directory filled on the Puppet
/// server (certificates an ACME client writes), not a typo of a file the repository has.
/// A directory the change empties is not out of band.
fn absent_directory(cx: &Context<'_>, u: &FileUse) -> bool {
    let Value::Str(spec) = &*u.file_ref.spec else {
        return false;
    };
    let Some((m, rest, dir)) = module_ref(u, spec) else {
        return false;
    };
    let Some((parent, _)) = rest.trim_end_matches('/').rsplit_once('/') else {
        return false;
    };
    module_dirs_present(cx, &m, dir).iter().all(|d| {
        let p = format!("{d}/{parent}");
        [&cx.change.before.tree, &cx.change.after.tree]
            .iter()
            .all(|t| !crate::model::layout::exists(t, &p, true))
    })
}

/// Where the reference was looked for, for the message: the first place where the module
/// exists, else the first place it was looked for.
fn expected_path(cx: &Context<'_>, module: &str, dir: &str, rest: &str) -> String {
    let d = module_dirs_present(cx, module, dir)
        .into_iter()
        .next()
        .unwrap_or_else(|| format!("modules/{module}/{dir}"));
    format!("{d}/{rest}")
}

/// Why a reference cannot be checked against the repository, if it cannot: another mount
/// point, a module from outside the repository, or a path `.gitignore` keeps out of it
/// (files placed on the Puppet server out of band, such as keys and certificates).
fn unverifiable(
    cx: &Context<'_>,
    external: &BTreeSet<String>,
    ignored: &GitIgnore,
    u: &FileUse,
) -> Option<String> {
    let Value::Str(spec) = &*u.file_ref.spec else {
        return None;
    };
    match module_ref(u, spec) {
        // Another mount (`puppet:///private/…`) cannot be checked; `file://`, absolute
        // paths and URLs are read on the agent or elsewhere.
        None => (u.external && spec.starts_with("puppet://"))
            .then(|| "a mount point that is not in the repository".to_owned()),
        Some((m, _, _)) if external.contains(&m.to_ascii_lowercase()) => Some(format!(
            "module `{m}`, which comes from outside the repository (external_modules, a \
             Puppetfile, a metadata.json dependency or a git submodule)"
        )),
        Some((m, rest, dir)) => module_dirs_present(cx, &m, dir)
            .iter()
            .map(|d| format!("{d}/{rest}"))
            .find(|p| ignored.is_ignored(p.trim_end_matches('/')))
            .map(|p| {
                format!(
                    "{p}, which .gitignore keeps out of the repository (a file placed on the \
                     Puppet server out of band)"
                )
            }),
    }
}

/// What else the base revision's resource read through the same attribute and function
/// that was missing then too (a fully known module reference that did not resolve), as
/// shown. The same reference is left to the comparison with the base revision, which
/// hides it as pre-existing.
fn missing_before(cx: &Context<'_>, u: &FileUse) -> Option<String> {
    let &b = cx.diff.matched.get(&u.res)?;
    cx.before.index.file_uses.iter().find_map(|o| {
        let Value::Str(spec) = &*o.file_ref.spec else {
            return None;
        };
        (o.res == b
            && o.attr == u.attr
            && o.file_ref.func == u.file_ref.func
            && o.file_ref.spec != u.file_ref.spec
            && o.file_ref.resolved.is_none()
            && !o.external
            && module_ref(o, spec).is_some())
        .then(|| shown(o, spec))
    })
}

/// Whether the base revision resolved this reference (the change deleted or moved the
/// file the resource reads, without touching the resource).
fn lost_by_change(cx: &Context<'_>, u: &FileUse) -> bool {
    let Some(&b) = cx.diff.matched.get(&u.res) else {
        return false;
    };
    cx.before.index.file_uses.iter().any(|o| {
        o.res == b
            && o.attr == u.attr
            && o.file_ref.resolved.is_some()
            && o.file_ref.spec == u.file_ref.spec
    })
}

/// `template('x')` or `epp('x')` with no module part. Puppet 3 looks a template up in its
/// `templatedir` only (kept as the root `templates/`); Puppet 4 and later take the first
/// word as the module and find nothing. Judged when the repository keeps a root
/// `templates/` or is known to be Puppet 4 or later (`epp` always is); otherwise the
/// templatedir is somewhere the repository does not show.
fn bare_template(cx: &Context<'_>, u: &FileUse, spec: &str, loc: Location) -> Option<Finding> {
    let func = u.file_ref.func.as_str();
    if !matches!(func, "template" | "epp") || spec.is_empty() || spec.contains('/') {
        return None;
    }
    let tree = &cx.change.after.tree;
    let puppet = &cx.after.puppet;
    let modern = func == "epp" || (puppet.is_known() && puppet.major > 3);
    let templatedir = !modern
        && cx.after.root_module.is_none()
        && crate::model::layout::exists(tree, "templates", true);
    let res = cx.after.get(u.res).display_ref();
    let what = shown(u, spec);
    let effect = "the catalog will not compile on any node that evaluates it";
    let f = if templatedir {
        let expected = format!("templates/{spec}");
        let mut f = finding(
            &RULE,
            loc,
            format!("{res} reads {what}, but {expected} does not exist"),
        );
        f.help = Some(match nearest_in(cx, &["templates".to_owned()], spec) {
            Some(near) => format!("did you mean {near}? As written, {effect}"),
            None => format!("add the file, or fix the name; as written, {effect}"),
        });
        f
    } else if modern {
        let mut f = finding(
            &RULE,
            loc,
            format!(
                "{res} reads {what}, which names no module: Puppet looks for `MODULE/FILE` in \
                 the module's templates/ and finds nothing"
            ),
        );
        f.help = Some(format!(
            "write {func}('MODULE/{spec}'); as written, {effect} (assumed {puppet})"
        ));
        f
    } else {
        return None;
    };
    Some(f)
}

/// The closest existing file of the module's directory, by name.
fn nearest(cx: &Context<'_>, module: &str, dir: &str, rest: &str) -> Option<String> {
    nearest_in(cx, &module_dirs(cx, module, dir), rest)
}

/// The closest existing file under one of `dirs`, by its name there.
fn nearest_in(cx: &Context<'_>, dirs: &[String], rest: &str) -> Option<String> {
    let mut best: Option<(usize, String)> = None;
    for d in dirs {
        let prefix = format!("{d}/");
        for p in cx.change.after.tree.paths() {
            let Some(cand) = p.strip_prefix(&prefix) else {
                continue;
            };
            let d = edit_distance(cand, rest);
            if best.as_ref().map_or(true, |(bd, _)| d < *bd) {
                best = Some((d, p.to_owned()));
            }
        }
    }
    let (d, p) = best?;
    (d <= (rest.len() / 3).max(2)).then_some(p)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::rules::testing::*;
    use crate::rules::{Selection, SelectionArgs};

    const TOOL: &str = "modules/demo/files/tool";
    const TEMPLATE: &str = "modules/demo/templates/unit.erb";

    fn with_files(src: &str) -> Case {
        let mut c = after_only(src);
        c.after(TOOL, "#!/bin/sh\n");
        c.after(TEMPLATE, "[Service]\n");
        c.after("modules/demo/files/conf.d/a.conf", "a\n");
        c.after(
            ".gitignore",
            "# placed on the server\nmodules/demo/files/from-acme/\n*.key\n",
        );
        c
    }

    const PASS: &[&str] = &[
        "class demo { file { '/usr/local/bin/tool': source => 'puppet:///modules/demo/tool' } }",
        "class demo { file { '/etc/x.service': content => template('demo/unit.erb') } }",
        "class demo { file { '/etc/y': content => file('demo/tool') } }",
        // An absolute path as the fallback of file() is read on the server: not judged.
        "class demo { file { '/etc/y': content => file('demo/optional', '/dev/null') } }",
        // An optional file, guarded by find_file(): the branch never runs without it.
        "class demo {\n  if find_file('demo/optional.conf') {\n    file { '/etc/o': source => 'puppet:///modules/demo/optional.conf' }\n  }\n}\n",
        // A module not in the repository: find_file() is unknown, the source external.
        "class demo {\n  if find_file('stdlib/x') { file { '/etc/o': content => file('demo/tool') } }\n}\n",
        // Both branches of an `if` read files that exist.
        "class demo($a = true) {\n  if $a { file { '/etc/t': source => 'puppet:///modules/demo/tool' } }\n  else { file { '/etc/t': content => template('demo/unit.erb') } }\n}\n",
        // file() takes the first that exists.
        "class demo { file { '/etc/y': content => file('demo/nope', 'demo/tool') } }",
        // Sources read on the agent, or on another mount: not checked without --strict.
        "class demo { file { '/etc/z': source => 'file:///srv/z' } }",
        "class demo { file { '/etc/z': source => '/srv/z' } }",
        "class demo { file { '/etc/z': source => 'puppet:///private/ssl/key.pem' } }",
        // Symbolic: silent.
        "class demo($name) { file { '/etc/z': source => \"puppet:///modules/${name}/z\" } }",
        // An array of sources: the first that exists wins.
        "class demo { file { '/usr/local/bin/tool': source => ['puppet:///modules/demo/tool.new', 'puppet:///modules/demo/tool'] } }",
        // A directory, copied with recurse (or not), with or without a trailing slash.
        "class demo { file { '/etc/conf.d': source => 'puppet:///modules/demo/conf.d', recurse => true } }",
        "class demo { file { '/etc/conf.d': source => 'puppet:///modules/demo/conf.d/', recurse => true } }",
        "class demo { file { '/etc/conf.d': ensure => directory, source => 'puppet:///modules/demo/conf.d' } }",
        // Kept out of the repository by .gitignore: placed on the Puppet server.
        "class demo { file { '/etc/ssl/www.crt': source => 'puppet:///modules/demo/from-acme/www.crt' } }",
        "class demo { file { '/etc/ssl/www.key': source => 'puppet:///modules/demo/www.key' } }",
        // An array whose other alternative is out of band: it may be the one that exists.
        "class demo { file { '/etc/ssl/www.crt': source => ['puppet:///modules/demo/servicecerts/www.crt', 'puppet:///modules/demo/from-acme/www.crt'] } }",
        // ... or in a directory the repository has nothing of (filled on the server).
        "class demo { file { '/etc/ssl/www.crt': source => ['puppet:///modules/demo/servicecerts/www.crt', 'puppet:///modules/demo/from-letsencrypt/www.crt'] } }",
    ];

    const FAIL: &[(&str, &[u32])] = &[
        (
            "class demo {\n  file { '/usr/local/bin/deploy':\n    source => 'puppet:///modules/demo/deploy.sh',\n    mode   => '0555',\n  }\n}\n",
            &[3],
        ),
        ("class demo {\n  file { '/etc/x.service': content => template('demo/unit.erb.bak') }\n}\n", &[2]),
        ("class demo {\n  file { '/etc/x': content => epp('other/x.epp') }\n}\n", &[2]),
        // An array of sources none of which exists: one finding.
        (
            "class demo {\n  file { '/usr/local/bin/tool':\n    source => ['puppet:///modules/demo/tool.new', 'puppet:///modules/demo/tool.old'],\n  }\n}\n",
            &[3],
        ),
        // find_file() finds the file, so the branch runs: a typo inside it is reported.
        (
            "class demo {\n  if find_file('demo/tool') {\n    file { '/etc/t': source => 'puppet:///modules/demo/tol' }\n  }\n}\n",
            &[3],
        ),
        // The other branch of an `if` is compiled on other nodes: its missing source is
        // still reported, whatever the condition.
        (
            "class demo($use_a = true) {\n  if $use_a {\n    file { '/etc/a': source => 'puppet:///modules/demo/tool' }\n  } else {\n    file { '/etc/a': source => 'puppet:///modules/demo/toool' }\n  }\n}\n",
            &[5],
        ),
        // Every alternative in a directory the repository has: a typo, reported.
        (
            "class demo {\n  file { '/etc/c': source => ['puppet:///modules/demo/conf.d/b.conf', 'puppet:///modules/demo/conf.d/c.conf'] }\n}\n",
            &[2],
        ),
        // A single source in an absent directory: reported (no alternative to fall to).
        ("class demo {\n  file { '/etc/c': source => 'puppet:///modules/demo/from-letsencrypt/c' }\n}\n", &[2]),
        // file() reads a file, not a directory; a prefix of a name is not a directory.
        ("class demo {\n  file { '/etc/y': content => file('demo/conf.d') }\n}\n", &[2]),
        ("class demo {\n  file { '/etc/y': source => 'puppet:///modules/demo/conf', recurse => true }\n}\n", &[2]),
        // .gitignore covers only what it names.
        ("class demo {\n  file { '/etc/ssl/www.crt': source => 'puppet:///modules/demo/servicecerts/www.crt' }\n}\n", &[2]),
    ];

    snippet_tests!(with_files);

    #[test]
    fn puppet_3_templatedir_and_the_files_mount() {
        // Puppet 3 finds `template('foo/bar.erb')` in its templatedir (the root
        // `templates/`) when no module `foo` has it; the repository is then Puppet 3.
        let src = "class demo {\n  file { '/etc/motd': content => template('motd/motd.erb') }\n}\n";
        let mut case = after_only(src);
        case.after("templates/motd/motd.erb", "hello\n");
        assert!(check_rule(NAME, &case).is_empty());
        let m = model_of_case(&case);
        assert_eq!(m.puppet.major, 3);
        assert!(m.puppet.to_string().contains("templatedir"), "{}", m.puppet);
        // A Gemfile.lock pinning Puppet 4: no templatedir, the template is missing.
        case.after("Gemfile.lock", "GEM\n  specs:\n    puppet (4.10.12)\n");
        let found = check_rule(NAME, &case);
        assert_eq!(found.len(), 1, "{found:#?}");
        let help = found[0].help.as_deref().unwrap_or("");
        assert!(
            help.contains(
                "only Puppet 3 reads its templatedir; assumed Puppet 4.10.12 (Gemfile.lock)"
            ),
            "{help}"
        );
        // `puppet:///files/x` reads the `files` mount, kept at the root.
        let src = "class demo {\n  file { '/usr/local/bin/x': source => 'puppet:///files/bin/x', mode => '0755' }\n}\n";
        let mut case = after_only(src);
        case.after("files/bin/x", "#!/bin/sh\n");
        let m = model_of_case(&case);
        assert_eq!(
            m.index.file_uses[0].file_ref.resolved.as_deref(),
            Some("files/bin/x")
        );
        assert!(check_rule(NAME, &case).is_empty());
    }

    #[test]
    fn a_reference_that_was_missing_before_is_a_warning() {
        let before = "class demo {\n  file { '/etc/x': content => template('demo/old.erb') }\n}\n";
        let after = before.replace("old.erb", "new.erb");
        let found = check_rule(NAME, &edit(before, &after));
        assert_eq!(found.len(), 1, "{found:#?}");
        assert_eq!(found[0].severity, Severity::Warning);
        assert!(
            found[0]
                .message
                .contains("it already read template('demo/old.erb'), which was missing too"),
            "{}",
            found[0].message
        );
        // The same missing reference: the same finding as at the base revision, left to
        // the comparison that hides it as pre-existing.
        let touched = before.replace("'/etc/x':", "'/etc/x': mode => '0644',");
        let found = check_rule(NAME, &edit(before, &touched));
        assert_eq!(found.len(), 1, "{found:#?}");
        assert_eq!(found[0].severity, Severity::Error);
        assert!(!found[0].message.contains("already read"));
        // Missing only now: an error.
        let mut case = edit(before, &after);
        case.before("modules/demo/templates/old.erb", "x\n");
        let found = check_rule(NAME, &case);
        assert_eq!(found.len(), 1, "{found:#?}");
        assert_eq!(found[0].severity, Severity::Error);
    }

    #[test]
    fn a_template_without_a_module() {
        // dsa-puppet a2755641: Puppet 3 reads `template('syslog-ng.conf')` from its
        // templatedir only, where the file is `syslog-ng.conf.erb`.
        let src = "class demo {\n  file { '/etc/syslog-ng/syslog-ng.conf': content => template('syslog-ng.conf') }\n}\n";
        let mut case = after_only(src);
        case.after("templates/syslog-ng.conf.erb", "@version: 3.0\n");
        let found = check_rule(NAME, &case);
        assert_eq!(found.len(), 1, "{found:#?}");
        assert!(found[0].message.contains(
            "reads template('syslog-ng.conf'), but templates/syslog-ng.conf does not exist"
        ));
        let help = found[0].help.as_deref().unwrap_or("");
        assert!(
            help.contains("did you mean templates/syslog-ng.conf.erb?"),
            "{help}"
        );
        // Found there: Puppet 3's templatedir.
        case.after("templates/syslog-ng.conf", "@version: 3.0\n");
        assert!(check_rule(NAME, &case).is_empty());
        // No root templates/ and no known Puppet: the templatedir is elsewhere.
        assert!(check_rule(NAME, &after_only(src)).is_empty());
        // Puppet 4 and later take the name as a module and find nothing.
        let mut case = after_only(src);
        case.after("Gemfile.lock", "GEM\n  specs:\n    puppet (6.28.0)\n");
        let found = check_rule(NAME, &case);
        assert_eq!(found.len(), 1, "{found:#?}");
        assert!(found[0].message.contains("which names no module"));
        let src = "class demo {\n  file { '/etc/x': content => epp('x.epp') }\n}\n";
        assert_eq!(check_rule(NAME, &after_only(src)).len(), 1);
    }

    #[test]
    fn suggests_the_nearest_file() {
        let found = check_rule(
            NAME,
            &with_files("class demo { file { '/usr/local/bin/tool': source => 'puppet:///modules/demo/tol' } }"),
        );
        assert_one_missing(&found, "modules/demo/files/tol", "modules/demo/files/tool");
    }

    /// One finding, saying `missing` does not exist and suggesting `nearest`.
    fn assert_one_missing(found: &[Finding], missing: &str, nearest: &str) {
        assert_eq!(found.len(), 1, "{found:#?}");
        assert!(
            found[0]
                .message
                .contains(&format!("{missing} does not exist")),
            "{}",
            found[0].message
        );
        let help = found[0].help.as_deref().unwrap_or_default();
        assert!(help.contains(&format!("did you mean {nearest}?")), "{help}");
    }

    #[test]
    fn an_array_where_every_alternative_is_missing_names_them_all() {
        let found = check_rule(
            NAME,
            &with_files("class demo { file { '/t': source => ['puppet:///modules/demo/a', 'puppet:///modules/demo/b'] } }"),
        );
        assert_eq!(found.len(), 1, "{found:#?}");
        assert!(
            found[0]
                .message
                .contains("modules/demo/files/a does not exist")
                && found[0].message.contains("modules/demo/files/b"),
            "{}",
            found[0].message
        );
    }

    #[test]
    fn deleting_one_alternative_of_a_source_array_with_an_out_of_band_one() {
        // The certificate moves out of the repository into a directory the Puppet server
        // fills: .gitignore'd, or of which the repository never had a file.
        let src = "class ssl {\n  file { '/etc/ssl/www.crt':\n    source => ['puppet:///modules/ssl/servicecerts/www.crt', 'puppet:///modules/ssl/from-acme/www.crt'],\n  }\n}\n";
        let mut case = Case::default();
        case.before("modules/ssl/manifests/init.pp", src);
        case.before("modules/ssl/files/servicecerts/www.crt", "CERT\n");
        case.before(
            "modules/ssl/files/from-acme/README",
            "filled by the ACME client\n",
        );
        case.after("modules/ssl/manifests/init.pp", src);
        // The change also empties from-acme/ (it was in git): the certificate is gone.
        let found = check_rule(NAME, &case.clone());
        assert_eq!(found.len(), 1, "{found:#?}");
        // .gitignore'd: it may be on the server.
        let mut ignored = case.clone();
        ignored.before(".gitignore", "modules/ssl/files/from-acme\n");
        ignored.after(".gitignore", "modules/ssl/files/from-acme\n");
        assert!(check_rule(NAME, &ignored).is_empty());
        // A directory the repository never had: it may be on the server.
        case.before.remove("modules/ssl/files/from-acme/README");
        assert!(check_rule(NAME, &case).is_empty());
        // The directory the change empties is not out of band: both in servicecerts/.
        let src2 = src.replace("from-acme/", "servicecerts/old-");
        let mut case = Case::default();
        case.before("modules/ssl/manifests/init.pp", &src2);
        case.before("modules/ssl/files/servicecerts/www.crt", "CERT\n");
        case.after("modules/ssl/manifests/init.pp", &src2);
        assert_eq!(check_rule(NAME, &case).len(), 1);
    }

    #[test]
    fn an_ignored_modulepath_entry_does_not_cover_a_module_of_another_entry() {
        // r10k installs Puppetfile modules into the ignored vendor/; demo is in modules/.
        let mut case = with_files(
            "class demo {\n  file { '/x': source => 'puppet:///modules/demo/files/tool' }\n}\n",
        );
        case.after(
            "environment.conf",
            "modulepath = modules:vendor:$basemodulepath\n",
        );
        case.after(".gitignore", "/vendor/\n");
        let found = check_rule(NAME, &case);
        assert_eq!(found.len(), 1, "{found:#?}");
        assert!(found[0]
            .message
            .contains("modules/demo/files/files/tool does not exist"));
    }

    /// A library module at the repository root: `metadata.json`, `manifests/`,
    /// `templates/`, `files/`.
    fn module_repository(src: &str) -> Case {
        let mut c = Case::default();
        c.after(
            "metadata.json",
            r#"{"name": "acme-site", "dependencies": []}"#,
        );
        c.after("manifests/app.pp", src);
        c.after("templates/app/app.conf.erb", "port=<%= @port %>\n");
        c.after("files/app/motd", "hello\n");
        c
    }

    #[test]
    fn a_module_repository_reads_its_templates_and_files_from_the_root() {
        let ok = "class site::app {\n  file { '/etc/app.conf': content => template('site/app/app.conf.erb') }\n  file { '/etc/motd': source => 'puppet:///modules/site/app/motd' }\n}\n";
        let found = check_rule(NAME, &module_repository(ok));
        assert!(found.is_empty(), "{found:#?}");
        // Still checked: a template that is not there.
        let bad = "class site::app {\n  file { '/etc/app.conf': content => template('site/app/app.cnf.erb') }\n}\n";
        let found = check_rule(NAME, &module_repository(bad));
        assert_one_missing(
            &found,
            "templates/app/app.cnf.erb",
            "templates/app/app.conf.erb",
        );
    }

    #[test]
    fn vendored_modules_outside_modules_resolve_where_they_are() {
        let src =
            "class web {\n  file { '/etc/web.conf': content => template('web/web.conf.erb') }\n}\n";
        let mut case = Case::default();
        case.after("vendor/modules/web/manifests/init.pp", src);
        case.after("vendor/modules/web/templates/web.conf.erb", "x\n");
        case.after(
            "modules/site/manifests/init.pp",
            "class site { include web }\n",
        );
        assert!(check_rule(NAME, &case).is_empty());
        // Missing there too: reported.
        let mut case = Case::default();
        case.after("vendor/modules/web/manifests/init.pp", src);
        case.after("vendor/modules/web/templates/other.erb", "x\n");
        let found = check_rule(NAME, &case);
        assert_eq!(found.len(), 1, "{found:#?}");
        assert!(found[0]
            .message
            .contains("vendor/modules/web/templates/web.conf.erb does not exist"));
        // An environment.conf modulepath is taken as written: nothing is inferred.
        let mut case = Case::default();
        case.after("environment.conf", "modulepath = modules:$basemodulepath\n");
        case.after("vendor/modules/web/manifests/init.pp", src);
        case.after("vendor/modules/web/templates/web.conf.erb", "x\n");
        assert_eq!(check_rule(NAME, &case).len(), 1);
    }

    #[test]
    fn modules_from_outside_the_repository_are_unverifiable() {
        let src = "class demo {\n  file { '/a': content => template('apache/a.erb') }\n  file { '/b': source => 'puppet:///modules/stdlib/b' }\n  file { '/c': source => 'puppet:///modules/ntp/c' }\n}\n";
        let mut case = after_only(src);
        case.submodule("modules/apache");
        case.after("Puppetfile", "mod 'puppetlabs/stdlib'\n");
        let found = check_rule(NAME, &case);
        assert_eq!(found.len(), 1, "{found:#?}");
        assert!(found[0].message.contains("modules/ntp/files/c"));
    }

    #[test]
    fn deleting_the_file_is_reported_on_the_unchanged_resource() {
        let src = "class demo {\n  file { '/usr/local/bin/tool': source => 'puppet:///modules/demo/tool' }\n}\n";
        let mut case = Case::default();
        case.before(SNIPPET_PATH, src);
        case.before(TOOL, "#!/bin/sh\n");
        case.after(SNIPPET_PATH, src);
        let found = check_rule(NAME, &case);
        assert_eq!(found.len(), 1, "{found:#?}");
        // Untouched and still present: silent.
        let mut case = edit(src, src);
        case.before(TOOL, "#!/bin/sh\n");
        case.after(TOOL, "#!/bin/sh\necho new\n");
        assert!(check_rule(NAME, &case).is_empty());
    }

    #[test]
    fn strict_reports_unverifiable_as_info_never_as_missing() {
        let case = with_files(
            "class demo {\n  file { '/etc/k': source => 'puppet:///private/ssl/key.pem' }\n  file { '/etc/s': content => template('secret/s.erb') }\n  file { '/etc/c': source => 'puppet:///modules/demo/from-acme/c' }\n}\n",
        );
        let mut config = Config::default();
        config.external_modules.push("secret".into());
        // Without --strict: nothing.
        let sel = Selection::resolve(&SelectionArgs::default(), &config).unwrap();
        assert!(run_case(&case, &config, &sel)
            .iter()
            .all(|f| f.rule != NAME));
        let args = SelectionArgs {
            strict: true,
            ..SelectionArgs::default()
        };
        let sel = Selection::resolve(&args, &config).unwrap();
        let found: Vec<_> = run_case(&case, &config, &sel)
            .into_iter()
            .filter(|f| f.rule == NAME)
            .collect();
        assert_eq!(found.len(), 3, "{found:#?}");
        assert!(found.iter().all(|f| f.severity == Severity::Info));
        assert!(found.iter().any(|f| f.message.contains(".gitignore")));
        assert!(found
            .iter()
            .all(|f| f.message.contains("cannot be verified")));
    }
}
