//! ## What it does
//!
//! Reads the `Exec*=` lines (`ExecStart=`, `ExecStartPre=`, `ExecReload=`, `ExecStop=`, …)
//! of the systemd units the change deploys — a `file` whose path is a `.service` unit or
//! a `.service.d/*.conf` drop-in, or a unit-file resource of a module outside the
//! repository (`systemd::unit_file { 'x.service': content => … }`) — from a literal
//! `content`, a heredoc, a `template()`/`epp()` read as text (lines produced entirely by
//! template code are skipped), or a `source` module file. It also reads the command a
//! timer-job define turns into one (`systemd::timer::job { 'x': command => … }`).
//!
//! It flags commands systemd will not run as written: shell operators (`&&`, `||`, `|`,
//! `>`, `<`, `;`, `$(…)`) without an explicit shell, glob characters in the executable,
//! the whole command quoted as one word, a relative executable path, stray characters
//! before the path, a variable as the executable, and several `ExecStart=` lines in a
//! service that is not `Type=oneshot`. An explicit shell (`/bin/sh -c '… && …'`) is fine.
//!
//! A drop-in (`x.service.d/*.conf`, or a drop-in define such as `systemd::dropin_file`
//! with its `unit`) whose first `ExecStart=` line sets a command, with no empty
//! `ExecStart=` line before it, adds a second command to the unit's and is flagged,
//! unless the drop-in sets `Type=oneshot`, an earlier drop-in of the same directory clears
//! the list, or the main unit the repository manages (`/etc/systemd/system/x.service`,
//! `/lib/systemd/system/x.service`, a unit-file resource titled `x.service`) is
//! `Type=oneshot`, has no `ExecStart=` of its own or cannot be read. A unit the repository
//! does not manage comes from a package and runs a daemon: flagged. Template output that
//! may hold the empty line or the type keeps it silent.
//! A bare program name (`ExecStart=true`) is accepted by systemd 239 and later and is not
//! reported. Only problems the change introduces are reported (a problem already in the
//! base revision's text is not).
//!
//! ## Why is this bad?
//!
//! systemd does not use a shell. A pipe or redirection is passed to the program as
//! literal arguments, a glob is not expanded, a whole-line quote makes the entire line
//! the program name, and (before systemd 239) a relative path is rejected. The unit
//! fails to start (`203/EXEC` or a usage error from the program), and only when the
//! service is next restarted. A drop-in's `ExecStart=` adds to the unit's list rather
//! than replacing it, and systemd refuses to start a service that is not `Type=oneshot`
//! with two ("Service has more than one ExecStart= setting, which is only allowed for
//! Type=oneshot services").
//!
//! ## Example
//!
//! ```ini
//! [Service]
//! ExecStart=/usr/local/bin/exporter --config /etc/exporter.yml > /var/log/exporter.log
//! ```
//!
//! ## Use instead
//!
//! ```ini
//! [Service]
//! ExecStart=/usr/local/bin/exporter --config /etc/exporter.yml
//! StandardOutput=append:/var/log/exporter.log
//! ```
//!
//! or run an explicit shell: `ExecStart=/bin/sh -c '… > /var/log/exporter.log'`. In a
//! drop-in, clear the unit's command before replacing it:
//!
//! ```ini
//! [Service]
//! ExecStart=
//! ExecStart=/usr/local/bin/exporter --config /etc/exporter.yml
//! ```
//!
//! ## Exceptions
//!
//! Arguments that only look like operators (a literal `>` the program expects). Suppress
//! with the reason.
//!
//! ## References
//!
//! - systemd.service(5), "Command lines".

use std::collections::BTreeSet;

use crate::analysis::systemd::{parse_unit, validate_exec, ExecProblem, ExecProblemKind};
use crate::diagnostic::{Finding, Location, ResourceKey, Severity, Side};
use crate::model::unit::{self, verbatim_offset, Literal, UnitText};
use crate::model::{ResId, Resource, Value};

use super::common::{at_attr, file_path, touched};
use super::executables::is_unit_path;
use super::registry::{Kind, Rule};
use super::{finding, Context};

pub const NAME: &str = "unit-exec-invalid";

/// This rule's row of the registry (`registry.rs` lists the rows in order).
pub(crate) static RULE: Rule = Rule {
    name: NAME,
    default_severity: Severity::Error,
    summary: "an `ExecStart=`-style command systemd will not run as written",
    kind: Kind::Check,
    check: Some(check),
    source: include_str!("unit_exec_invalid.rs"),
};

/// Define parameters that end up as an `ExecStart=` command.
const COMMAND_PARAMS: &[&str] = &["command", "exec_start", "execstart"];

pub fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    let rule = &RULE;
    let mut seen = BTreeSet::new();
    let mut push = |loc: Location, res: ResourceKey, p: &ExecProblem, out: &mut Vec<Finding>| {
        if !seen.insert((loc.file.clone(), loc.span, p.message.clone())) {
            return;
        }
        let mut f = finding(rule, loc, format!("{res}: {}", p.message));
        f.help = Some(help(&p.kind).to_owned());
        f.resource = Some(res);
        out.push(f);
    };
    for id in touched(cx) {
        let r = cx.after.get(id);
        if let Some(dropin) = unit_kind(cx, r) {
            let base_starts = std::cell::OnceCell::new();
            let old = cx
                .diff
                .matched
                .get(&id)
                .map(|&b| old_problems(cx, b, dropin))
                .unwrap_or_default();
            for ut in texts(cx, Side::After, id) {
                let ut = at_instance(cx, id, ut);
                let old_file = ut
                    .repo_file
                    .as_deref()
                    .and_then(|p| cx.change.before.tree.text(p))
                    .map(|t| {
                        let mut m = messages(&problems(t, &ut, dropin));
                        m.extend(messages(&uncleared(t, &ut)));
                        m
                    })
                    .unwrap_or_default();
                let mut found = problems(&ut.text, &ut, dropin);
                if dropin && base_starts.get_or_init(|| adds_to_running(cx, r)).is_some() {
                    found.extend(uncleared(&ut.text, &ut));
                }
                for p in found {
                    if old.contains(&p.message) || old_file.contains(&p.message) {
                        continue;
                    }
                    let loc = locate(cx, &ut, p.span)
                        .unwrap_or_else(|| at_attr(cx.after, Side::After, id, "content"));
                    push(loc, r.into(), &p, out);
                }
            }
        }
        if is_timer_like(&r.ty) {
            for name in COMMAND_PARAMS {
                let Some(a) = r.attr(name) else { continue };
                let Value::Str(cmd) = &a.value else { continue };
                let old: BTreeSet<String> = cx
                    .diff
                    .matched
                    .get(&id)
                    .and_then(|&b| cx.before.get(b).get(name))
                    .and_then(Value::as_str)
                    .map(|c| messages(&command_problems(c)))
                    .unwrap_or_default();
                let base = cx
                    .manifest(Side::After, &a.file)
                    .and_then(|m| verbatim_offset(&m.text, a.value_span, cmd));
                for p in command_problems(cmd) {
                    if old.contains(&p.message) {
                        continue;
                    }
                    let span = match base {
                        Some(b) => crate::ast::Span::new(p.span.start + b, p.span.end + b),
                        None => a.value_span,
                    };
                    let loc = Location {
                        side: Side::After,
                        file: a.file.to_string(),
                        span,
                    };
                    push(loc, r.into(), &p, out);
                }
            }
        }
    }
}

/// Where a span of a unit text is: in its template, at its verbatim literal, or on the
/// same line of a heredoc or escaped string.
fn locate(cx: &Context<'_>, ut: &UnitText, span: crate::ast::Span) -> Option<Location> {
    let (file, span) = ut.locate(&cx.change.after.tree, span)?;
    Some(Location {
        side: Side::After,
        file,
        span,
    })
}

/// The texts a resource of side `side` deploys, as written in the repository (texts
/// rebuilt from partly known content are left out).
fn texts(cx: &Context<'_>, side: Side, id: ResId) -> impl Iterator<Item = UnitText> {
    let (m, tree) = match side {
        Side::Before => (cx.before, &cx.change.before.tree),
        Side::After => (cx.after, &cx.change.after.tree),
    };
    unit::texts(m, &m.index, tree, id)
        .into_iter()
        .filter(|t| !t.partial)
}

/// `Some(dropin)` when the resource deploys a systemd service unit (or a drop-in).
fn unit_kind(cx: &Context<'_>, r: &Resource) -> Option<bool> {
    if r.ty == "file" {
        let p = file_path(r)?;
        return is_unit_path(&p).then(|| p.contains(".service.d/"));
    }
    // A unit-file type the repository does not define (a module from outside).
    if cx.after.defines.contains_key(r.ty.as_str()) || r.get("content").is_none() {
        return None;
    }
    let title = r.title_str().unwrap_or("");
    let unitish = r.ty.contains("systemd") || r.ty.contains("unit");
    let dropin = r.ty.contains("dropin") || title.ends_with(".conf");
    (unitish && (title.ends_with(".service") || dropin)).then_some(dropin)
}

/// The problem of a drop-in text that sets `ExecStart=` without clearing it first.
fn uncleared(text: &str, ut: &UnitText) -> Vec<ExecProblem> {
    let _reading = crate::isolate::reading(ut.file());
    parse_unit(text, ut.kind)
        .uncleared_exec_start()
        .into_iter()
        .collect()
}

/// For drop-in resource `r`: `Some(unit)` when the service it extends (`unit`, e.g.
/// `x.service`) has an `ExecStart=` command when the drop-in is read and is not known to be
/// `Type=oneshot`, so an `ExecStart=` the drop-in adds is a second one. The main unit the
/// repository manages (`/etc/systemd/system/x.service`, `/lib/systemd/system/x.service`,
/// a unit-file resource titled `x.service`) decides; a unit the repository does not
/// manage comes from a package, which runs a daemon. `None` when the main unit is
/// `Type=oneshot`, has no `ExecStart=`, cannot be read, or when an earlier drop-in of the
/// same directory clears `ExecStart=`; also when the unit's name is not known.
fn adds_to_running(cx: &Context<'_>, r: &Resource) -> Option<String> {
    let (unit, this) = if r.ty == "file" {
        let p = file_path(r)?;
        let (dir, name) = p.rsplit_once('/')?;
        let unit = dir.rsplit('/').next()?.strip_suffix(".d")?.to_owned();
        (unit, Some((dir.to_owned(), name.to_owned())))
    } else {
        let unit = r.get("unit").and_then(Value::as_str)?.to_owned();
        (unit, None)
    };
    if !unit.ends_with(".service") {
        return None;
    }
    let m = cx.after;
    let readable = |id: ResId| -> Vec<crate::analysis::systemd::UnitFile> {
        texts(cx, Side::After, id)
            .map(|ut| {
                let _reading = crate::isolate::reading(ut.file());
                parse_unit(&ut.text, ut.kind)
            })
            .collect()
    };
    // An earlier drop-in (by file name) that clears the list.
    if let Some((dir, name)) = &this {
        let prefix = format!("{dir}/");
        for (p, ids) in m.index.paths.range(prefix.clone()..) {
            if !p.starts_with(&prefix) {
                break;
            }
            let earlier = &p[prefix.len()..];
            if earlier >= name.as_str() || !earlier.ends_with(".conf") {
                continue;
            }
            if ids
                .iter()
                .any(|&id| readable(id).iter().any(|u| u.clears_exec_start()))
            {
                return None;
            }
        }
    }
    let mut mains: Vec<ResId> = [
        "/etc/systemd/system",
        "/lib/systemd/system",
        "/usr/lib/systemd/system",
    ]
    .iter()
    .flat_map(|d| m.index.managing(&format!("{d}/{unit}")).iter().copied())
    .collect();
    mains.extend(
        m.resources
            .iter()
            .enumerate()
            .filter(|(_, x)| x.ty != "file" && x.title_str() == Some(unit.as_str()))
            .filter(|(_, x)| unit_kind(cx, x) == Some(false))
            .map(|(id, _)| id),
    );
    for id in mains {
        if !m.get(id).is_live() {
            continue;
        }
        let units = readable(id);
        if units.is_empty()
            || units
                .iter()
                .any(|u| u.refuses_second_exec_start() != Some(true))
        {
            return None;
        }
    }
    Some(unit)
}

/// Defined types whose `command` becomes an `ExecStart=` line.
fn is_timer_like(ty: &str) -> bool {
    ty.contains("::") && (ty.contains("timer") || ty.contains("systemd"))
}

/// The problems of a unit text that matter here (bare names are accepted by systemd 239+).
fn problems(text: &str, ut: &UnitText, dropin: bool) -> Vec<ExecProblem> {
    let _reading = crate::isolate::reading(ut.file());
    parse_unit(text, ut.kind)
        .validate(dropin)
        .into_iter()
        .filter(|p| p.kind != ExecProblemKind::BareName)
        .collect()
}

fn command_problems(cmd: &str) -> Vec<ExecProblem> {
    validate_exec(cmd)
        .into_iter()
        .filter(|p| p.kind != ExecProblemKind::BareName)
        .collect()
}

fn messages(ps: &[ExecProblem]) -> BTreeSet<String> {
    ps.iter().map(|p| p.message.clone()).collect()
}

/// Problems of the literal unit texts of a base-revision resource.
fn old_problems(cx: &Context<'_>, before: ResId, dropin: bool) -> BTreeSet<String> {
    texts(cx, Side::Before, before)
        .filter(|ut| ut.repo_file.is_none())
        .flat_map(|ut| {
            let mut m = messages(&problems(&ut.text, &ut, dropin));
            if dropin {
                m.extend(messages(&uncleared(&ut.text, &ut)));
            }
            m
        })
        .collect()
}

/// A literal that reached the unit through a define parameter is shown where the
/// instance passes it.
fn at_instance(cx: &Context<'_>, id: ResId, mut ut: UnitText) -> UnitText {
    if ut.repo_file.is_some() {
        return ut;
    }
    let r = cx.after.get(id);
    for &inst in r.define_chain.iter().rev() {
        let ir = cx.after.get(inst);
        if let Some(a) = ir
            .attrs
            .iter()
            .find(|a| a.value.as_str() == Some(ut.text.as_str()))
        {
            let base = cx
                .manifest(Side::After, &a.file)
                .and_then(|m| verbatim_offset(&m.text, a.value_span, &ut.text));
            ut.literal = Some(Literal {
                file: a.file.clone(),
                span: a.value_span,
                base,
            });
            break;
        }
    }
    ut
}

fn help(kind: &ExecProblemKind) -> &'static str {
    match kind {
        ExecProblemKind::ShellOperator(_) | ExecProblemKind::CommandSubstitution => {
            "run the line through a shell, `ExecStart=/bin/sh -c '…'`, or move the logic into \
             a script; for output redirection use `StandardOutput=append:/path`"
        }
        ExecProblemKind::SeveralExecStart => {
            "use `Type=oneshot`, or move the extra commands to `ExecStartPre=`/`ExecStartPost=`"
        }
        ExecProblemKind::UnclearedExecStart => {
            "put an empty `ExecStart=` line before it, which clears the unit's command so this \
             one replaces it"
        }
        ExecProblemKind::QuotedWholeCommand => "quote only the arguments that need it",
        ExecProblemKind::VariableExecutable => {
            "write the executable's absolute path; variables work in arguments"
        }
        _ => "write the absolute path of the executable first, then its arguments",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::*;

    const PASS: &[&str] = &[
        "class demo {\n  file { '/etc/systemd/system/x.service': content => \"[Service]\\nExecStart=/usr/bin/x --flag\\n\" }\n}",
        // An explicit shell may use shell syntax.
        "class demo {\n  file { '/etc/systemd/system/x.service': content => \"[Service]\\nExecStart=/bin/sh -c 'a && b > /tmp/log'\\n\" }\n}",
        // Several ExecStart in a oneshot service; a drop-in resetting ExecStart.
        "class demo {\n  file { '/etc/systemd/system/x.service': content => \"[Service]\\nType=oneshot\\nExecStart=/bin/a\\nExecStart=/bin/b\\n\" }\n  file { '/etc/systemd/system/y.service.d/override.conf': content => \"[Service]\\nExecStart=\\nExecStart=/usr/bin/y\\n\" }\n}",
        // Not a service unit.
        "class demo {\n  file { '/etc/cron.d/x': content => \"* * * * * root a && b\\n\" }\n}",
        // A drop-in that sets Type=oneshot itself; one for a managed oneshot unit; one
        // for a managed unit without ExecStart; an earlier drop-in clears the list;
        // the reset may be in template output.
        "class demo {\n  file { '/etc/systemd/system/a.service.d/x.conf': content => \"[Service]\\nType=oneshot\\nExecStart=/usr/bin/a\\n\" }\n}",
        "class demo {\n  file { '/etc/systemd/system/b.service': content => \"[Service]\\nType=oneshot\\nExecStart=/bin/b\\n\" }\n  file { '/etc/systemd/system/b.service.d/x.conf': content => \"[Service]\\nExecStart=/usr/bin/b2\\n\" }\n}",
        "class demo {\n  file { '/lib/systemd/system/c.service': content => \"[Unit]\\nDescription=c\\n\" }\n  file { '/etc/systemd/system/c.service.d/x.conf': content => \"[Service]\\nExecStart=/usr/bin/c\\n\" }\n}",
        "class demo {\n  file { '/etc/systemd/system/d.service.d/10-reset.conf': content => \"[Service]\\nExecStart=\\n\" }\n  file { '/etc/systemd/system/d.service.d/20-cmd.conf': content => \"[Service]\\nExecStart=/usr/bin/d\\n\" }\n}",
        "class demo($extra) {\n  file { '/etc/systemd/system/e.service.d/x.conf': content => \"[Service]\\n${extra}\\nExecStart=/usr/bin/e\\n\" }\n}",
        // A timer job with a plain command; a bare program name.
        "class demo {\n  systemd::timer::job { 'x': command => '/usr/local/bin/x --all' }\n  file { '/etc/systemd/system/t.service': content => \"[Service]\\nExecStart=true\\n\" }\n}",
    ];

    const FAIL: &[(&str, &[u32])] = &[
        (
            "class demo {\n  file { '/etc/systemd/system/x.service':\n    content => @(EOT),\n      [Service]\n      ExecStart=/usr/bin/x --config /etc/x.yml > /var/log/x.log\n      | EOT\n  }\n}\n",
            &[5],
        ),
        // A timer job's command with `&&` and `>`.
        (
            "class demo {\n  systemd::timer::job { 'cleanup':\n    command => '/usr/bin/find /tmp -delete && /usr/bin/touch /tmp/x > /dev/null',\n  }\n}\n",
            &[3, 3],
        ),
        // A drop-in adding a second ExecStart to a packaged daemon, to a unit the
        // repository manages with one, and through a drop-in define.
        (
            "class demo {\n  file { '/etc/systemd/system/nginx.service.d/override.conf':\n    content => \"[Service]\\nExecStart=/usr/sbin/nginx -g 'daemon off;'\\n\",\n  }\n}\n",
            &[3],
        ),
        (
            "class demo {\n  file { '/etc/systemd/system/app.service': content => \"[Service]\\nExecStart=/opt/app/run\\n\" }\n  file { '/etc/systemd/system/app.service.d/debug.conf': content => \"[Service]\\nExecStart=/opt/app/run --debug\\n\" }\n}\n",
            &[3],
        ),
        (
            "class demo {\n  systemd::dropin_file { 'limits.conf':\n    unit    => 'redis.service',\n    content => \"[Service]\\nLimitNOFILE=65536\\nExecStart=/usr/bin/redis-server /etc/redis.conf\\n\",\n  }\n}\n",
            &[4],
        ),
        // Two ExecStart in a simple service; relative path.
        (
            "class demo {\n  file { '/lib/systemd/system/x.service': content => \"[Service]\\nExecStart=/bin/a\\nExecStart=bin/b\\n\" }\n}\n",
            &[2, 2],
        ),
    ];

    snippet_tests!(after_only);

    #[test]
    fn templates_are_read_as_text_and_point_into_the_template() {
        let tpl = "[Service]\n<% if @debug -%>\nExecStartPre=/usr/bin/check <%= @conf %> | logger\n<% end -%>\nExecStart=<%= @bin %> --serve\n<%= @extra %>\n";
        let mut case = after_only(
            "class demo($debug, $conf, $bin, $extra) {\n  file { '/etc/systemd/system/x.service': content => template('demo/x.service.erb') }\n}\n",
        );
        case.after("modules/demo/templates/x.service.erb", tpl);
        let found = check_rule(NAME, &case);
        assert_eq!(found.len(), 1, "{found:#?}");
        assert_eq!(
            found[0].location.file,
            "modules/demo/templates/x.service.erb"
        );
        assert_eq!(&tpl[found[0].location.span.range()], "|");
        // The same problem in the base revision's template: not reported again.
        let mut old = Case::default();
        old.before(SNIPPET_PATH, "class demo { }\n");
        for (p, d) in &case.after {
            old.after.insert(p.clone(), d.clone());
            old.before.insert(p.clone(), d.clone());
        }
        old.after.insert(
            SNIPPET_PATH.into(),
            String::from_utf8(case.after[SNIPPET_PATH].clone())
                .unwrap()
                .replace("$extra)", "$extra, $more = 1)")
                .into_bytes(),
        );
        assert!(check_rule(NAME, &old).is_empty());
    }

    #[test]
    fn a_literal_passed_to_a_define_is_shown_at_the_instance() {
        let src = "define demo::unit($content) {\n  file { \"/etc/systemd/system/${title}.service\": content => $content }\n}\nclass demo {\n  demo::unit { 'x': content => '[Service]\nExecStart=/usr/bin/x; /usr/bin/y\n' }\n}\n";
        let found = check_rule(NAME, &after_only(src));
        assert_eq!(found.len(), 1, "{found:#?}");
        assert_eq!(Case::line_of(src, &found[0]), 6);
        assert!(found[0]
            .message
            .contains("File['/etc/systemd/system/x.service']"));
    }
}
