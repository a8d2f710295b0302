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
//! ## Why is this bad?
//!
//! `execve()` fails with `EACCES`; systemd reports `203/EXEC`. Nothing notices until the
//! service is next started or the script next run.
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
//! ## Exceptions
//!
//! Data files that live in a `bin` directory but are never executed (completion
//! snippets, libraries sourced by a shell).
//!
//! ## References
//!
//! - Puppet `file` type, `mode` (octal and symbolic forms).

use crate::diagnostic::{Finding, Severity, Side};
use crate::model::{AttrOrigin, ResId, Value};

use super::common::{at_attr, ensure_of, file_path, touched, Ensure};
use super::registry::{Kind, Rule};
use super::{finding, Context};

pub const NAME: &str = "binary-not-executable";

/// This rule's row of the registry (`registry.rs` lists the rows in order).
pub(crate) static RULE: Rule = Rule {
    name: NAME,
    default_severity: Severity::Error,
    summary: "an executable path deployed with a mode lacking every execute bit",
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
