//! ## What it does
//!
//! Flags a `file` resource on an executable path (under a `bin`, `sbin` or `libexec`
//! directory — the `executable_dirs` of the configuration — or run by a service) whose
//! effective `mode` leaves no execute bit for anyone: an octal mode without `1`, `3`, `5`
//! or `7` in its last three digits, or a symbolic mode that assigns (`=`) or removes (`-`)
//! `x` for user, group and others alike. The mode may come from a resource default
//! (`File { mode => '0644' }`) in scope; the finding then points at the default.
//!
//! Only what the change does is judged: a new resource, a changed `mode`, `ensure` or
//! path, or a service this change (re)starts on that path. Links, directories and absent
//! files are not judged, nor symbolic modes (`u+w` keeps whatever bits exist), nor files
//! whose name says they are data (`.conf`, `.yaml`, `.txt`, …).
//!
//! It also flags a file the change deploys at a path the base revision did not manage,
//! from `content` or `source`, with no `mode` at all (none of its own, from a resource
//! default or an override, and no `source_permissions` other than `ignore`), when a
//! `service` of the head revision runs it (its `binary`/`start`, the first word of its
//! unit's `ExecStart=`, through managed links) or an `exec`'s `command` starts with it.
//! In a repository written for Puppet 3, a `puppet:///modules/…` source whose file is
//! executable in git (mode 100755) is fine. Not flagged: a path a declared package ships
//! or an `exec` `creates` (the file is there already, and Puppet keeps its mode), a script
//! run through an interpreter (`ExecStart=/bin/sh /usr/local/bin/x.sh` runs `/bin/sh`),
//! and files in a `bin` directory that nothing in the repository runs (a user may run them
//! with `sh`).
//!
//! ## Why is this bad?
//!
//! `execve()` fails with `EACCES`; systemd reports `203/EXEC`. Nothing notices until the
//! service is next started or the script next run.
//!
//! From Puppet 4 on, `source_permissions` defaults to `ignore`: a new file gets no mode
//! from its source, whatever git records, and is created 0644 under the usual umask 022.
//! On every host where the file does not exist yet, the service fails to start. Puppet 3
//! copied the source's mode (`source_permissions => use`), so an executable file in the
//! repository kept working there, and a `content` file was 0644 all the same.
//!
//! ## Example
//!
//! ```puppet
//! file { '/usr/local/bin/tool':
//!   source => 'puppet:///modules/tool/tool',
//!   mode   => '0644',
//! }
//! ```
//!
//! ## Use instead
//!
//! ```puppet
//! file { '/usr/local/bin/tool':
//!   source => 'puppet:///modules/tool/tool',
//!   mode   => '0755',
//! }
//! ```
//!
//! A service's executable deployed without a mode:
//!
//! ```puppet
//! file { '/usr/local/bin/exporter': source => 'puppet:///modules/tool/exporter' }
//! service { 'exporter': ensure => running, binary => '/usr/local/bin/exporter' }
//! ```
//!
//! is fixed the same way, with `mode => '0755'` on the file.
//!
//! ## Exceptions
//!
//! Data files that live in a `bin` directory but are never executed (completion
//! snippets, libraries sourced by a shell). A file a service runs whose mode another tool
//! sets after Puppet created it (a `chmod` in an `exec`): better set `mode` on the file.
//!
//! ## References
//!
//! - Puppet `file` type, `mode` (octal and symbolic forms) and `source_permissions`
//!   (default `use` in Puppet 3, `ignore` from Puppet 4).

use crate::diagnostic::{Finding, Severity, Side};
use crate::input::EntryKind;
use crate::model::{file_state, AttrOrigin, ResId, Value};

use super::common::{at_attr, at_first_attr, ensure_of, file_path, related, touched, Ensure};
use super::registry::{Kind, Rule};
use super::{finding, Context};

pub const NAME: &str = "binary-not-executable";

/// This rule's row of the registry (`registry.rs` lists the rows in order).
pub(crate) static RULE: Rule = Rule {
    name: NAME,
    default_severity: Severity::Error,
    summary: "an executable path deployed with a mode lacking every execute bit, or a new file a service or exec runs deployed with no mode",
    kind: Kind::Check,
    check: Some(check),
    source: include_str!("binary_not_executable.rs"),
};

/// Names that are data even in a `bin` directory.
const DATA_EXTENSIONS: &[&str] = &[
    ".conf", ".cfg", ".ini", ".yaml", ".yml", ".json", ".txt", ".md", ".pem", ".crt", ".key",
    ".csv", ".xml", ".toml", ".env", ".gz", ".tar", ".zip",
];

pub fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    mode_without_execute_bit(cx, out);
    no_mode(cx, out);
}

/// A file the change deploys at a new path with no mode, that a service or an `exec`
/// runs (see the module documentation).
fn no_mode(cx: &Context<'_>, out: &mut Vec<Finding>) {
    let rule = &RULE;
    let m = cx.after;
    for id in touched(cx) {
        let r = m.get(id);
        if r.ty != "file" || !file_state(r).has_content() {
            continue;
        }
        let Some(path) = file_path(r) else { continue };
        // Managed in the base revision: the file is there, with the mode it has.
        if !cx.before.index.managing(&path).is_empty() {
            continue;
        }
        // Any mode (a value, a variable, a default), on this or another declaration.
        if m.index
            .managing(&path)
            .iter()
            .any(|&o| m.get(o).attr("mode").is_some())
        {
            continue;
        }
        // `mode => $x` with `$x` undef here: hiera or the declaring code may set it.
        if writes_mode(cx, r) {
            continue;
        }
        match r.get("source_permissions") {
            None | Some(Value::Undef) => {}
            Some(v) if v.as_str() == Some("ignore") => {}
            Some(_) => continue,
        }
        // Already on the hosts from a package or a command: Puppet keeps its mode.
        if !m.facts.shipped_by(&path).is_empty() || !m.facts.created_by(&path).is_empty() {
            continue;
        }
        let runner = m
            .facts
            .services_through(&path)
            .iter()
            .chain(m.facts.execs_running(&path))
            .copied()
            .find(|&s| !m.exclusive(id, s));
        let Some(runner) = runner else { continue };
        let puppet3 = m.puppet.major < 4;
        if puppet3 {
            // Puppet 3 copies the source's mode: only sources all known to be
            // non-executable in git leave the file without an execute bit.
            if r.get("source").is_some() {
                let sources: Vec<Option<EntryKind>> = m
                    .index
                    .file_uses
                    .iter()
                    .filter(|u| u.res == id && u.attr == "source")
                    .map(|u| {
                        (!u.external)
                            .then_some(u.file_ref.resolved.as_deref())
                            .flatten()
                            .and_then(|p| cx.change.after.tree.get(p))
                            .map(|e| e.kind)
                    })
                    .collect();
                if sources.is_empty() || sources.iter().any(|k| *k != Some(EntryKind::File)) {
                    continue;
                }
            }
        }
        let res = r.display_ref();
        let (runs, fails) = if m.get(runner).ty == "exec" {
            (
                format!("{} runs it as its command", m.get(runner).display_ref()),
                "the command fails with EACCES (Permission denied)",
            )
        } else {
            (
                format!("{} runs it", m.get(runner).display_ref()),
                "running it fails with EACCES (systemd: 203/EXEC)",
            )
        };
        let why = if puppet3 {
            if r.get("source").is_some() {
                "Puppet 3 copies the mode of its source, which git records as 100644"
            } else {
                "a new file from `content` is created 0644 (umask 022)"
            }
        } else {
            "from Puppet 4, `source_permissions` is `ignore` and a new file is created 0644 \
             (umask 022) whatever the mode of its source in git"
        };
        let mut f = finding(
            rule,
            at_first_attr(m, Side::After, id, &["source", "content"]),
            format!(
                "{res} is deployed to a new path with no `mode`: {why}, but {runs}: on every \
                 host where it does not exist yet, {fails}"
            ),
        );
        f.help = Some("set `mode => '0755'` on the file".to_owned());
        f.related = vec![related(m, Side::After, runner, "runs it".into())];
        f.resource = Some(r.into());
        out.push(f);
    }
}

/// Whether the declaration of head-revision resource `r` writes a `mode` (or splats a
/// hash of attributes) that the model dropped because it evaluated to `undef`: a class
/// parameter left to its default, which hiera or the declaring code may set. Read from
/// the syntax tree of the declaration, found by its title's position.
fn writes_mode(cx: &Context<'_>, r: &crate::model::Resource) -> bool {
    use crate::ast::ExprKind;
    if r.title_span.is_empty() {
        return false;
    }
    let Some(man) = cx.manifest(Side::After, &r.file) else {
        return false;
    };
    let at = r.title_span;
    let mut found = false;
    for stmt in &man.parsed.program.statements {
        super::executables::walk(stmt, &mut |e| {
            if let ExprKind::Resource { bodies, .. } = &e.kind {
                for b in bodies {
                    if b.span.start <= at.start && at.end <= b.span.end {
                        found |= b.attrs.iter().any(|a| a.name == "mode" || a.is_splat());
                    }
                }
            }
        });
        if found {
            break;
        }
    }
    found
}

/// A mode with no execute bit on an executable path (see the module documentation).
fn mode_without_execute_bit(cx: &Context<'_>, out: &mut Vec<Finding>) {
    let rule = &RULE;
    let mut ids: Vec<ResId> = touched(cx);
    // Files run by a service this change (re)starts.
    for rs in &cx.diff.restarts {
        let Some(info) = cx
            .after
            .index
            .services
            .values()
            .flatten()
            .find(|s| s.res == rs.service)
        else {
            continue;
        };
        if let Some(p) = info.binary.as_ref().and_then(|b| b.path.as_str()) {
            ids.extend(cx.after.index.managing(p).iter().copied());
        }
    }
    ids.sort_unstable();
    ids.dedup();
    for id in ids {
        let r = cx.after.get(id);
        if r.ty != "file" || !r.is_live() {
            continue;
        }
        if matches!(
            ensure_of(r),
            Ensure::Link | Ensure::Directory | Ensure::Absent | Ensure::Unknown
        ) {
            continue;
        }
        let Some(path) = file_path(r) else { continue };
        if DATA_EXTENSIONS.iter().any(|e| path.ends_with(e)) {
            continue;
        }
        let Some(mode) = r.attr("mode") else { continue };
        if no_execute_bit(&mode.value) != Some(true) {
            continue;
        }
        let runners = cx.after.facts.services_running(&path);
        let why = if let Some(&s) = runners.first() {
            format!("{} runs it", cx.after.get(s).display_ref())
        } else if cx.config.in_executable_dir(&path) {
            "it is in an executable directory".to_owned()
        } else {
            continue;
        };
        let restarted = runners.iter().any(|&s| cx.diff.restart_of(s).is_some());
        let relevant = match cx.diff.diff_of(id) {
            None => !cx.diff.matched.contains_key(&id) || restarted,
            Some(d) => {
                restarted
                    || d.attrs
                        .iter()
                        .any(|a| matches!(a.name.as_str(), "mode" | "ensure" | "path"))
            }
        };
        if !relevant {
            continue;
        }
        let res = r.display_ref();
        let shown = match &mode.value {
            Value::Str(s) => s.clone(),
            v => v.to_string().into(),
        };
        let from_default = if mode.origin == AttrOrigin::Default {
            " (from a resource default)"
        } else {
            ""
        };
        let mut f = finding(
            rule,
            at_attr(cx.after, Side::After, id, "mode"),
            format!(
                "{res} is deployed with `mode => '{shown}'`{from_default}, which has no execute \
                 bit, but {why}: running it fails with EACCES (systemd: 203/EXEC)"
            ),
        );
        f.help = Some(if from_default.is_empty() {
            "give it an execute bit, e.g. `mode => '0755'`".to_owned()
        } else {
            "set `mode => '0755'` on this resource: its own value overrides the default".to_owned()
        });
        f.resource = Some(r.into());
        out.push(f);
    }
}

/// `Some(true)` when the mode certainly leaves no execute bit for anyone, `Some(false)`
/// when it grants one, `None` when unknown (symbolic, or a relative change such as `u+w`).
pub fn no_execute_bit(v: &Value) -> Option<bool> {
    let s = match v {
        Value::Str(s) => s.trim().to_owned(),
        _ => return None,
    };
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        if s.bytes().any(|b| b > b'7') || s.len() > 5 {
            return None;
        }
        let digits: Vec<u8> = s.bytes().map(|b| b - b'0').collect();
        let perms = &digits[digits.len().saturating_sub(3)..];
        return Some(perms.iter().all(|d| d & 1 == 0));
    }
    // Symbolic: track x per class (user, group, other); None = unchanged (unknown).
    let mut x: [Option<bool>; 3] = [None; 3];
    for clause in s.split(',') {
        let who_len = clause.bytes().take_while(|b| b"ugoa".contains(b)).count();
        let who = &clause[..who_len];
        let classes: Vec<usize> = if who.is_empty() || who.contains('a') {
            vec![0, 1, 2]
        } else {
            who.bytes()
                .map(|b| match b {
                    b'u' => 0,
                    b'g' => 1,
                    _ => 2,
                })
                .collect()
        };
        let ops = &clause[who_len..];
        let mut rest = ops;
        while let Some(op) = rest.chars().next() {
            if !matches!(op, '=' | '+' | '-') {
                return None;
            }
            let perms_len = rest[1..]
                .find(['=', '+', '-'])
                .map_or(rest.len() - 1, |i| i);
            let perms = &rest[1..1 + perms_len];
            if perms.contains('X') || perms.contains(['u', 'g', 'o']) {
                return None;
            }
            let has_x = perms.contains('x');
            for &c in &classes {
                match op {
                    '=' => x[c] = Some(has_x),
                    '+' if has_x => x[c] = Some(true),
                    '-' if has_x => x[c] = Some(false),
                    _ => {}
                }
            }
            rest = &rest[1 + perms_len..];
        }
    }
    if x.contains(&Some(true)) {
        Some(false)
    } else if x.iter().all(|v| *v == Some(false)) {
        Some(true)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::*;

    const PASS: &[&str] = &[
        "class demo { file { '/usr/local/bin/tool': source => 'puppet:///modules/demo/tool', mode => '0755' } }",
        "class demo { file { '/usr/local/bin/tool': source => 'puppet:///modules/demo/tool', mode => '0750' } }",
        "class demo { file { '/usr/local/bin/tool': source => 'puppet:///modules/demo/tool', mode => 'u=rwx,go=r' } }",
        // Not an executable path, and nothing runs it.
        "class demo { file { '/etc/tool.conf': content => 'x', mode => '0644' } }",
        // A data file in a bin directory.
        "class demo { file { '/usr/local/bin/tool.yaml': content => 'x', mode => '0644' } }",
        // A relative symbolic mode keeps existing bits; symbolic values stay silent.
        "class demo { file { '/usr/local/bin/tool': source => 'puppet:///modules/demo/tool', mode => 'go-w' } }",
        "class demo($mode) { file { '/usr/local/bin/tool': source => 'puppet:///modules/demo/tool', mode => $mode } }",
        // Directories and links.
        "class demo { file { '/usr/local/bin': ensure => directory, mode => '0644' } }",
        "class demo { file { '/usr/local/bin/t': ensure => link, target => '/opt/t', mode => '0644' } }",
        // No mode, but nothing runs it: a user may run it with `sh`.
        "class demo { file { '/usr/local/bin/tool': source => 'puppet:///modules/demo/tool' } }",
        // A mode from anywhere: a parameter, a resource default, `source_permissions`.
        "class demo($m) {\n  file { '/usr/local/bin/tool': source => 'puppet:///modules/demo/tool', mode => $m }\n  service { 'tool': binary => '/usr/local/bin/tool' }\n}",
        "class demo {\n  File { mode => '0755' }\n  file { '/usr/local/bin/tool': source => 'puppet:///modules/demo/tool' }\n  service { 'tool': binary => '/usr/local/bin/tool' }\n}",
        "class demo {\n  file { '/usr/local/bin/tool': source => 'puppet:///modules/demo/tool', source_permissions => use }\n  service { 'tool': binary => '/usr/local/bin/tool' }\n}",
        // A mode parameter left undef: hiera or the declaring code may set it.
        "class demo($mode = undef) {\n  file { '/usr/local/bin/tool': source => 'puppet:///modules/demo/tool', mode => $mode }\n  service { 'tool': binary => '/usr/local/bin/tool' }\n}",
        "define demo::tool($mode = undef) {\n  file { \"/usr/local/bin/${title}\": source => \"puppet:///modules/demo/${title}\", mode => $mode }\n}\nclass demo {\n  demo::tool { 'x': }\n  service { 'x': binary => '/usr/local/bin/x' }\n}",
        // Run through an interpreter: the interpreter is what is executed.
        "class demo {\n  file { '/usr/local/bin/x.sh': content => 'echo' }\n  service { 'x': binary => '/bin/sh /usr/local/bin/x.sh' }\n}",
        "class demo {\n  file { '/usr/local/bin/x.sh': content => 'echo' }\n  exec { 'x': command => '/bin/bash /usr/local/bin/x.sh', refreshonly => true }\n}",
        // The runner is in the other branch of the condition.
        "class demo($pkg) {\n  if $pkg { service { 'tool': binary => '/usr/local/bin/tool' } }\n  else { file { '/usr/local/bin/tool': source => 'puppet:///modules/demo/tool' } }\n}",
        // Nothing deployed (an empty file is empty-binary's), absent, a link.
        "class demo {\n  file { '/usr/local/bin/tool': ensure => absent }\n  service { 'tool': binary => '/usr/local/bin/tool' }\n}",
        "class demo {\n  file { '/usr/local/bin/tool': ensure => link, target => '/opt/tool/tool' }\n  service { 'tool': binary => '/usr/local/bin/tool' }\n}",
        // Created by a command first (the file is there; Puppet keeps its mode).
        "class demo {\n  exec { 'build': command => '/usr/bin/make install', creates => '/usr/local/bin/tool' }\n  file { '/usr/local/bin/tool': source => 'puppet:///modules/demo/tool' }\n  service { 'tool': binary => '/usr/local/bin/tool' }\n}",
    ];

    const FAIL: &[(&str, &[u32])] = &[
        (
            "class demo {\n  file { '/usr/local/bin/tool':\n    source => 'puppet:///modules/demo/tool',\n    mode   => '0644',\n  }\n}\n",
            &[4],
        ),
        // From a resource default: reported at the default.
        (
            "class demo {\n  File { mode => '0640' }\n  file { '/usr/local/sbin/tool': source => 'puppet:///modules/demo/tool' }\n}\n",
            &[2],
        ),
        // Symbolic mode that removes every x bit; a file a service runs.
        (
            "class demo {\n  file { '/srv/app/run': content => 'x', mode => 'a-x' }\n  service { 'app': binary => '/srv/app/run' }\n}\n",
            &[2],
        ),
        // No ensure: only the mode is managed, on the binary already there.
        ("class demo {\n  file { '/usr/bin/tool': mode => 'u=rw,go=r' }\n}\n", &[2]),
        // A new file with no mode that a service runs: created 0644.
        (
            "class demo {\n  file { '/usr/local/bin/exporter':\n    source => 'puppet:///modules/demo/exporter',\n  }\n  service { 'exporter': ensure => running, binary => '/usr/local/bin/exporter --port 9100' }\n}\n",
            &[3],
        ),
        // An exec's command starts with it; `source_permissions => ignore` is the default.
        (
            "class demo {\n  file { '/opt/app/migrate': content => template('demo/migrate.erb'), source_permissions => ignore }\n  exec { 'migrate': command => '/opt/app/migrate --all', refreshonly => true }\n}\n",
            &[2],
        ),
        // Inside a defined type, reported at the define's `source`.
        (
            "define demo::tool() {\n  file { \"/usr/local/bin/${title}\": source => \"puppet:///modules/demo/${title}\" }\n}\nclass demo {\n  demo::tool { 'x': }\n  service { 'x': binary => '/usr/local/bin/x' }\n}\n",
            &[2],
        ),
        // Through a link the repository manages.
        (
            "class demo {\n  file { '/opt/agent/1.2/agent': source => 'puppet:///modules/demo/agent' }\n  file { '/usr/local/bin/agent': ensure => link, target => '/opt/agent/1.2/agent' }\n  service { 'agent': binary => '/usr/local/bin/agent' }\n}\n",
            &[2],
        ),
    ];

    snippet_tests!(after_only);

    #[test]
    fn only_what_the_change_does() {
        let src = "class demo {\n  file { '/usr/local/bin/tool': source => 'puppet:///modules/demo/tool', mode => '0644', owner => 'root' }\n}\n";
        let case = edit(src, &src.replace("'root'", "'bin'"));
        assert!(check_rule(NAME, &case).is_empty());
        let case = edit(&src.replace("0644", "0755"), src);
        assert_eq!(check_rule(NAME, &case).len(), 1);
    }

    /// A service whose unit's `ExecStart=` runs a file this change deploys with no mode.
    #[test]
    fn a_unit_runs_a_new_file_without_mode() {
        let unit = "[Service]\nExecStart=/usr/local/bin/foo --serve\n";
        let body = "  file { '/usr/local/bin/foo': source => 'puppet:///modules/demo/foo' }\n";
        let case = unit_edit(&service_class(""), &service_class(body), unit, unit)
            .with_after("modules/demo/files/foo", "#!/bin/sh\n");
        let found = check_rule(NAME, &case);
        assert_eq!(found.len(), 1, "{found:#?}");
        assert_eq!(
            found[0].message,
            "File['/usr/local/bin/foo'] is deployed to a new path with no `mode`: from Puppet \
             4, `source_permissions` is `ignore` and a new file is created 0644 (umask 022) \
             whatever the mode of its source in git, but Service['foo'] runs it: on every \
             host where it does not exist yet, running it fails with EACCES (systemd: \
             203/EXEC)"
        );
        assert_eq!(found[0].severity, Severity::Error);
        // A path the base revision managed already: the file is there with its mode.
        let before = service_class(
            "  file { '/usr/local/bin/foo': ensure => file, mode => '0755', source => 'puppet:///modules/demo/foo' }\n",
        );
        let case = unit_edit(&before, &service_class(body), unit, unit)
            .with_before("modules/demo/files/foo", "#!/bin/sh\n")
            .with_after("modules/demo/files/foo", "#!/bin/sh\n");
        assert!(check_rule(NAME, &case).is_empty());
    }

    /// Puppet 3 copied the source's mode (`source_permissions => use`): an executable file
    /// in git is deployed executable.
    #[test]
    fn puppet_3_copies_the_mode_of_the_source_in_git() {
        let src = "class demo {\n  file { '/usr/local/bin/tool': source => 'puppet:///modules/demo/tool' }\n  service { 'tool': binary => '/usr/local/bin/tool' }\n}\n";
        let puppet3 = |executable: bool| {
            let mut case = after_only(src)
                .with_after("Gemfile.lock", "GEM\n  specs:\n    puppet (3.8.7)\n")
                .with_after("modules/demo/files/tool", "#!/bin/sh\n");
            if executable {
                case = case.with_executable("modules/demo/files/tool");
            }
            check_rule(NAME, &case)
        };
        assert!(puppet3(true).is_empty());
        let found = puppet3(false);
        assert_eq!(found.len(), 1, "{found:#?}");
        assert!(found[0]
            .message
            .contains("Puppet 3 copies the mode of its source, which git records as 100644"));
        // Puppet 4 and later ignore the mode in git.
        let case = after_only(src)
            .with_after("modules/demo/files/tool", "#!/bin/sh\n")
            .with_executable("modules/demo/files/tool");
        assert_eq!(check_rule(NAME, &case).len(), 1);
    }

    #[test]
    fn a_path_a_declared_package_ships_is_there_already() {
        let src = "class demo {\n  package { 'tool': }\n  file { '/usr/bin/tool': source => 'puppet:///modules/demo/tool' }\n  service { 'tool': binary => '/usr/bin/tool' }\n}\n";
        let mut config = crate::config::Config::default();
        config
            .package_paths
            .insert("tool".into(), vec!["/usr/bin/tool".into()]);
        let found: Vec<_> = run_case(
            &after_only(src),
            &config,
            &crate::rules::Selection::default(),
        )
        .into_iter()
        .filter(|f| f.rule == NAME)
        .collect();
        assert!(found.is_empty(), "{found:#?}");
    }

    #[test]
    fn modes() {
        for (m, want) in [
            ("0644", Some(true)),
            ("644", Some(true)),
            ("4644", Some(true)),
            ("0755", Some(false)),
            ("0601", Some(false)),
            ("u=rw,go=r", Some(true)),
            ("a-x", Some(true)),
            ("ugo=rw", Some(true)),
            ("u=rw", None),
            ("go-w", None),
            ("a=rX", None),
            ("u+x", Some(false)),
        ] {
            assert_eq!(no_execute_bit(&Value::str(m)), want, "{m}");
        }
        assert_eq!(no_execute_bit(&Value::unknown("$m")), None);
    }
}
