//! ## What it does
//!
//! Flags `replace => false`, or `checksum => mtime` / `ctime`, on a `file` resource at an
//! executable path.
//!
//! ## Why is this bad?
//!
//! With `replace => false` Puppet considers the file in sync whenever anything exists at
//! the path, even a 0-byte file or a link. With `checksum => mtime` or `ctime` a local
//! file that is *newer* than the source counts as in sync, which is exactly what a binary
//! clobbered by a failed download looks like. Either way Puppet never repairs the broken
//! binary, and the service keeps failing until someone notices.
//!
//! ## Example
//!
//! ```puppet
//! file { '/usr/local/bin/agent':
//!   source  => 'puppet:///modules/agent/agent',
//!   mode    => '0755',
//!   replace => false,
//! }
//! ```
//!
//! ## Use instead
//!
//! ```puppet
//! file { '/usr/local/bin/agent':
//!   source => 'puppet:///modules/agent/agent',
//!   mode   => '0755',
//! }
//! ```
//!
//! The default checksum (sha256 on Puppet 7) compares content and repairs any change.
//!
//! ## Exceptions
//!
//! Seed files meant to be edited locally after the first run; those rarely live on an
//! executable path.
//!
//! ## References
//!
//! - Puppet `file` type: `replace`, `checksum`.

use crate::diagnostic::{Finding, Severity, Side};
use crate::model::Value;

use super::common::{at_attr, ensure_of, executable_reason, judged_path, touched, Ensure};
use super::registry::{Kind, Rule};
use super::{finding, Context};

pub const NAME: &str = "binary-never-repaired";

/// This rule's row of the registry (`registry.rs` lists the rows in order).
pub(crate) static RULE: Rule = Rule {
    name: NAME,
    default_severity: Severity::Warning,
    summary: "`replace => false` or `checksum => mtime/ctime` on an executable path",
    kind: Kind::Check,
    check: Some(check),
    source: include_str!("binary_never_repaired.rs"),
};

/// Every alternative of `v` satisfies `pred` (symbolic values never do).
fn all(v: Option<&Value>, pred: impl Fn(&Value) -> bool) -> bool {
    v.is_some_and(|v| v.alternatives().iter().all(|a| pred(a)))
}

pub fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    let rule = &RULE;
    for id in touched(cx) {
        let r = cx.after.get(id);
        if r.ty != "file"
            || matches!(
                ensure_of(r),
                Ensure::Absent | Ensure::Directory | Ensure::Link | Ensure::Unknown
            )
        {
            continue;
        }
        let Some(jp) = judged_path(r) else {
            continue;
        };
        let path = jp.path.clone();
        let no_replace = all(r.get("replace"), |v| {
            matches!(v, Value::Bool(false)) || matches!(v.as_str(), Some("false" | "no"))
        });
        let time_checksum = all(r.get("checksum"), |v| {
            matches!(v.as_str(), Some("mtime" | "ctime"))
        });
        if !no_replace && !time_checksum {
            continue;
        }
        let Some(why) = executable_reason(cx, &path, Some(r)) else {
            continue;
        };
        let res = if jp.inferred {
            format!("File['{}'] (path partly known)", jp.shown)
        } else {
            r.display_ref()
        };
        let (attr, what) = if no_replace {
            (
                "replace",
                "`replace => false` treats whatever exists there (even an empty or truncated \
                 file) as in sync",
            )
        } else {
            (
                "checksum",
                "a time-based `checksum` treats a newer local file (such as one clobbered by a \
                 failed download) as in sync",
            )
        };
        let mut f = finding(
            rule,
            at_attr(cx.after, Side::After, id, attr),
            format!("{res} is an executable path ({why}) Puppet will never repair: {what}"),
        );
        f.help = Some(format!(
            "remove `{attr}` so Puppet compares content (sha256) and restores the binary"
        ));
        f.resource = Some(r.into());
        out.push(f);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::*;

    const PASS: &[&str] = &[
        "class demo { file { '/usr/local/bin/agent': source => 'puppet:///modules/demo/agent', mode => '0755' } }",
        // A seed configuration file, not a binary.
        "class demo { file { '/etc/agent.conf': content => 'x', replace => false } }",
        "class demo { file { '/usr/local/bin/agent': source => 'puppet:///modules/demo/agent', replace => true } }",
        "class demo { file { '/usr/local/bin/agent': source => 'puppet:///modules/demo/agent', checksum => 'sha256' } }",
        // Unknown value: silent.
        "class demo($r) { file { '/usr/local/bin/agent': source => 'puppet:///modules/demo/agent', replace => $r } }",
        // A link is not repaired by content anyway.
        "class demo { file { '/usr/local/bin/agent': ensure => link, target => '/opt/a', replace => false } }",
    ];

    const FAIL: &[(&str, &[u32])] = &[
        (
            "class demo {\n  file { '/usr/local/bin/agent':\n    source  => 'puppet:///modules/demo/agent',\n    mode    => '0755',\n    replace => false,\n  }\n}\n",
            &[5],
        ),
        (
            "class demo {\n  file { '/srv/tool/run.sh':\n    source   => 'puppet:///modules/demo/run.sh',\n    mode     => '0755',\n    checksum => mtime,\n  }\n}\n",
            &[5],
        ),
        ("class demo {\n  file { '/usr/sbin/d': ensure => file, source => 'puppet:///modules/demo/d', replace => 'no' }\n}\n", &[2]),
    ];

    snippet_tests!(after_only);
}
