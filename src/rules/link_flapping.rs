//! ## What it does
//!
//! Flags a `file` resource with `ensure => link` (or a `target`) together with
//! `links => follow`, including when `links` comes from resource defaults in scope.
//!
//! ## Why is this bad?
//!
//! With `links => follow` Puppet looks at what the link points to, sees a regular file
//! where it wants a link, deletes the link and creates it again, on every run. Each run
//! reports a change (`ensure changed 'file' to 'link'`), so every service subscribed to
//! the resource is restarted at the run interval.
//!
//! ## Example
//!
//! ```puppet
//! file { '/usr/local/bin/foo':
//!   ensure => link,
//!   target => '/opt/foo/bin/foo',
//!   links  => follow,
//! }
//! ```
//!
//! ## Use instead
//!
//! ```puppet
//! file { '/usr/local/bin/foo':
//!   ensure => link,
//!   target => '/opt/foo/bin/foo',
//! }
//! ```
//!
//! `links` is about how Puppet treats an existing link when it manages a file's content
//! or metadata; a resource that *is* the link needs the default, `manage`.
//!
//! ## Exceptions
//!
//! None known.
//!
//! ## References
//!
//! - Puppet `file` type, `links` attribute (behaviour verified on Puppet 7.23: the link
//!   is re-created on every run).

use crate::diagnostic::{Finding, Severity, Side};
use crate::model::Value;

use super::common::{at_attr, ensure_of, touched, Ensure};
use super::registry::{Kind, Rule};
use super::{finding, Context};

pub const NAME: &str = "link-flapping";

/// This rule's row of the registry (`registry.rs` lists the rows in order).
pub(crate) static RULE: Rule = Rule {
    name: NAME,
    default_severity: Severity::Error,
    summary: "`ensure => link` with `links => follow` (re-created every run)",
    kind: Kind::Check,
    check: Some(check),
    source: include_str!("link_flapping.rs"),
};

pub fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    let rule = &RULE;
    for id in touched(cx) {
        let r = cx.after.get(id);
        if r.ty != "file" || ensure_of(r) != Ensure::Link {
            continue;
        }
        let follows = r.get("links").is_some_and(|v| {
            v.alternatives()
                .iter()
                .all(|v| matches!(v, Value::Str(s) if s == "follow"))
        });
        if !follows {
            continue;
        }
        let res = r.display_ref();
        let mut f = finding(
            rule,
            at_attr(cx.after, Side::After, id, "links"),
            format!(
                "{res} is a link managed with `links => follow`: Puppet deletes and re-creates it \
                 on every run, refreshing everything subscribed to it"
            ),
        );
        f.help = Some(
            "remove `links => follow`; a resource that is the link needs the default, `manage`"
                .into(),
        );
        f.resource = Some(r.into());
        out.push(f);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::*;

    const PASS: &[&str] = &[
        "class demo { file { '/usr/local/bin/foo': ensure => link, target => '/opt/foo/bin/foo' } }",
        "class demo { file { '/usr/local/bin/foo': ensure => link, target => '/opt/foo/bin/foo', links => manage } }",
        // `follow` on a regular file is a different matter (not a flapping link).
        "class demo { file { '/etc/foo.conf': ensure => file, content => 'x', links => follow } }",
        // Unknown `links`: silent.
        "class demo($how) { file { '/usr/local/bin/foo': ensure => link, target => '/opt/foo', links => $how } }",
    ];

    const FAIL: &[(&str, &[u32])] = &[
        (
            "class demo {\n  file { '/usr/local/bin/foo':\n    ensure => link,\n    target => '/opt/foo/bin/foo',\n    links  => follow,\n  }\n}\n",
            &[5],
        ),
        // A target with no ensure is a link too; `links` from a resource default.
        (
            "class demo {\n  File { links => 'follow' }\n  file { '/usr/bin/foo': target => '/opt/foo/bin/foo' }\n}\n",
            &[2],
        ),
    ];

    snippet_tests!(after_only);
}
