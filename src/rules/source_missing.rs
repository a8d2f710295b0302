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
//! else `environment.conf`, else `modules`). Sources on other mount points
//! (`puppet:///private/…`, `puppet:///volatile/…`) and modules listed in
//! `external_modules` cannot be checked; they are reported as unverifiable (`info`) only
//! with `--strict`, never as missing.
//!
//! ## Why is this bad?
//!
//! A missing `template()`, `epp()` or `file()` is a compile error: the whole catalog
//! fails on every node that evaluates it. A missing `source` fails only that resource, at
//! apply time, even under `--noop`; everything that requires or subscribes to it is
//! skipped and unrelated resources still apply, so the change lands half-applied. In an
//! array of sources the first one that exists wins, so a typo in the first entry silently
//! falls back to the next.
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

use crate::diagnostic::{Finding, Severity, Side};
use crate::model::{FileUse, ResId, Value};

use super::common::{at_attr, touched};
use super::registry::edit_distance;
use super::{finding, lookup, Context};

pub const NAME: &str = "source-missing";

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
    let Some(rule) = lookup(NAME) else {
        return;
    };
    let touched: BTreeSet<ResId> = touched(cx).into_iter().collect();
    let uses = &cx.after.index.file_uses;
    for u in uses {
        let r = cx.after.get(u.res);
        if !r.is_live() || u.file_ref.resolved.is_some() {
            continue;
        }
        // Only a fully known reference can be missing; a symbolic one stays silent.
        let Value::Str(spec) = &*u.file_ref.spec else {
            continue;
        };
        if !touched.contains(&u.res) && !lost_by_change(cx, u) {
            continue;
        }
        // `file()` returns the first of its arguments that exists.
        if u.file_ref.func == "file"
            && uses.iter().any(|o| {
                o.res == u.res
                    && o.attr == u.attr
                    && o.file_ref.func == "file"
                    && o.file_ref.resolved.is_some()
            })
        {
            continue;
        }
        let res = r.display_ref();
        let what = shown(u, spec);
        let loc = at_attr(cx.after, Side::After, u.res, &u.attr);
        let module = module_ref(u, spec);
        let unverifiable = match &module {
            None => {
                // Another mount (`puppet:///private/…`) cannot be checked; `file://`,
                // absolute paths and URLs are read on the agent or elsewhere.
                (u.external && spec.starts_with("puppet://"))
                    .then(|| "a mount point that is not in the repository".to_owned())
            }
            Some((m, _, _)) if cx.config.external_modules.iter().any(|x| x == m) => {
                Some(format!("module `{m}`, listed in external_modules"))
            }
            Some(_) => None,
        };
        if let Some(why) = unverifiable {
            if cx.selection.strict {
                let mut f = finding(
                    rule,
                    loc,
                    format!("{res} reads {what} from {why}; it cannot be verified"),
                );
                f.severity = Severity::Info;
                f.resource = Some(res);
                out.push(f);
            }
            continue;
        }
        let Some((m, rest, dir)) = module else {
            continue;
        };
        let mp = cx
            .after
            .modulepath
            .first()
            .map_or("modules", String::as_str);
        let expected = format!("{mp}/{m}/{dir}/{rest}");
        let mut f = finding(
            rule,
            loc,
            format!("{res} reads {what}, but {expected} does not exist"),
        );
        let compile = u.file_ref.func != "source";
        let effect = if compile {
            "the catalog will not compile on any node that evaluates it"
        } else {
            "the resource fails at apply time and everything that depends on it is skipped"
        };
        f.help = Some(match nearest(cx, &m, dir, &rest) {
            Some(near) => format!("did you mean {near}? As written, {effect}"),
            None => format!("add the file, or fix the path; as written, {effect}"),
        });
        f.resource = Some(res);
        out.push(f);
    }
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

/// The closest existing file of the module's directory, by name.
fn nearest(cx: &Context<'_>, module: &str, dir: &str, rest: &str) -> Option<String> {
    let mut best: Option<(usize, String)> = None;
    for mp in &cx.after.modulepath {
        let prefix = format!("{mp}/{module}/{dir}/");
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
        c
    }

    const PASS: &[&str] = &[
        "class demo { file { '/usr/local/bin/tool': source => 'puppet:///modules/demo/tool' } }",
        "class demo { file { '/etc/x.service': content => template('demo/unit.erb') } }",
        "class demo { file { '/etc/y': content => file('demo/tool') } }",
        // file() takes the first that exists.
        "class demo { file { '/etc/y': content => file('demo/nope', 'demo/tool') } }",
        // Sources read on the agent, or on another mount: not checked without --strict.
        "class demo { file { '/etc/z': source => 'file:///srv/z' } }",
        "class demo { file { '/etc/z': source => '/srv/z' } }",
        "class demo { file { '/etc/z': source => 'puppet:///private/ssl/key.pem' } }",
        // Symbolic: silent.
        "class demo($name) { file { '/etc/z': source => \"puppet:///modules/${name}/z\" } }",
    ];

    const FAIL: &[(&str, &[u32])] = &[
        (
            "class demo {\n  file { '/usr/local/bin/deploy':\n    source => 'puppet:///modules/demo/deploy.sh',\n    mode   => '0555',\n  }\n}\n",
            &[3],
        ),
        ("class demo {\n  file { '/etc/x.service': content => template('demo/unit.erb.bak') }\n}\n", &[2]),
        ("class demo {\n  file { '/etc/x': content => epp('other/x.epp') }\n}\n", &[2]),
        // An array of sources: a missing first entry silently falls back.
        (
            "class demo {\n  file { '/usr/local/bin/tool':\n    source => ['puppet:///modules/demo/tool.new', 'puppet:///modules/demo/tool'],\n  }\n}\n",
            &[3],
        ),
    ];

    snippet_tests!(with_files);

    #[test]
    fn suggests_the_nearest_file() {
        let found = check_rule(
            NAME,
            &with_files("class demo { file { '/usr/local/bin/tool': source => 'puppet:///modules/demo/tol' } }"),
        );
        assert_eq!(found.len(), 1);
        assert!(
            found[0]
                .message
                .contains("modules/demo/files/tol does not exist"),
            "{}",
            found[0].message
        );
        assert!(found[0]
            .help
            .as_deref()
            .unwrap()
            .contains("did you mean modules/demo/files/tool?"));
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
            "class demo {\n  file { '/etc/k': source => 'puppet:///private/ssl/key.pem' }\n  file { '/etc/s': content => template('secret/s.erb') }\n}\n",
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
        assert_eq!(found.len(), 2, "{found:#?}");
        assert!(found.iter().all(|f| f.severity == Severity::Info));
        assert!(found
            .iter()
            .all(|f| f.message.contains("cannot be verified")));
    }
}
