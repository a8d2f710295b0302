//! ## What it does
//!
//! Flags a link the change declares from A to B when the base revision had the opposite
//! arrangement: a link from B to A, or a real file at A that B pointed to.
//!
//! ## Why is this bad?
//!
//! The path that held the real binary becomes a pointer to the path that used to be the
//! pointer. On hosts where the old link still exists the two links form a loop and every
//! exec through them fails with `ELOOP`. Elsewhere the real binary is deleted (no backup
//! by default from Puppet 7) and replaced by a link to whatever leftover sits at the other
//! path. A service restarted afterwards runs the wrong file or nothing.
//!
//! ## Example
//!
//! ```puppet
//! # base revision
//! file { '/usr/local/bin/foo': ensure => link, target => '/usr/bin/foo' }
//!
//! # this change
//! file { '/usr/bin/foo': ensure => link, target => '/usr/local/bin/foo' }
//! ```
//!
//! ## Use instead
//!
//! Migrate in two steps: first remove the old link explicitly and install the real file
//! at its new place, then add the new link once every host has converged.
//!
//! ```puppet
//! file { '/usr/local/bin/foo':
//!   ensure => file,
//!   source => 'puppet:///modules/foo/foo',
//!   mode   => '0755',
//! }
//! file { '/usr/bin/foo': ensure => link, target => '/usr/local/bin/foo' }
//! ```
//!
//! ## Exceptions
//!
//! A deliberate migration in which the old link resource is made `absent` in the same
//! change and ordered before the new link.
//!
//! ## References
//!
//! - Puppet `file` type: `ensure => link` replaces a regular file; links are never
//!   backed up.

use crate::diagnostic::{Finding, Severity, Side};

use super::common::{at_first_attr, ensure_of, link_target, related, touched_links, Ensure};
use super::registry::{Kind, Rule};
use super::{finding, Context};

pub const NAME: &str = "link-reversed";

/// This rule's row of the registry (`registry.rs` lists the rows in order).
pub(crate) static RULE: Rule = Rule {
    name: NAME,
    default_severity: Severity::Error,
    summary: "the change flips a link's direction relative to the base revision",
    kind: Kind::Check,
    check: Some(check),
    source: include_str!("link_reversed.rs"),
};

pub fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    let rule = &RULE;
    for (id, a) in touched_links(cx) {
        let Some(b) = link_target(cx.after, id) else {
            continue;
        };
        // In the base revision, did `b` lead to `a`?
        let old = cx.before.facts.resolve(&b);
        if old.links.is_empty() || !old.paths[1..].contains(&a) {
            continue;
        }
        // A two-step migration: the old link is made absent first, and ordered before.
        let retired = cx.after.index.managing(&b).iter().any(|&o| {
            ensure_of(cx.after.get(o)) == Ensure::Absent && cx.after.ordering_path(o, id)
        });
        if retired {
            continue;
        }
        let r = cx.after.get(id);
        let res = r.display_ref();
        let mut f = finding(
            rule,
            at_first_attr(cx.after, Side::After, id, &["target", "ensure"]),
            format!(
                "{res} now links {a} -> {b}, but in the base revision {b} led to {a}: the link \
                 direction is reversed, so hosts get a loop (ELOOP) or lose the real binary at {a}"
            ),
        );
        f.help = Some(format!(
            "migrate in two steps: first make the old link at {b} `ensure => absent` (ordered \
             before the new link) and install the real file, then add the new link"
        ));
        f.related.push(related(
            cx.before,
            Side::Before,
            old.links[0],
            format!("in the base revision {b} was a link here"),
        ));
        f.resource = Some(r.into());
        out.push(f);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::*;

    /// An [`edit`] from `before` to `after`, or the addition of `after` when `before` is
    /// empty.
    fn case(before: &str, after: &str) -> Case {
        if before.is_empty() {
            after_only(after)
        } else {
            edit(before, after)
        }
    }

    /// `(before, after)` pairs with no finding.
    const PASS: &[(&str, &str)] = &[
        // Same direction, new target.
        (
            "class demo { file { '/usr/local/bin/foo': ensure => link, target => '/usr/bin/foo' } }",
            "class demo { file { '/usr/local/bin/foo': ensure => link, target => '/opt/foo/bin/foo' } }",
        ),
        // Unrelated links.
        (
            "class demo { file { '/usr/local/bin/foo': ensure => link, target => '/usr/bin/foo' } }",
            "class demo {\n  file { '/usr/local/bin/foo': ensure => link, target => '/usr/bin/foo' }\n  file { '/usr/local/bin/bar': ensure => link, target => '/usr/bin/bar' }\n}",
        ),
        // Two-step migration: the old link is removed first.
        (
            "class demo { file { '/usr/local/bin/foo': ensure => link, target => '/usr/bin/foo' } }",
            "class demo {\n  file { '/usr/local/bin/foo': ensure => absent }\n  -> file { '/usr/bin/foo': ensure => link, target => '/usr/local/bin/foo' }\n}",
        ),
        // No base revision.
        ("", "class demo { file { '/usr/bin/foo': ensure => link, target => '/usr/local/bin/foo' } }"),
    ];

    /// `(before, after, lines)`.
    const FAIL: &[(&str, &str, &[u32])] = &[
        (
            "class demo {\n  file { '/usr/local/bin/foo': ensure => link, target => '/usr/bin/foo' }\n}\n",
            "class demo {\n  file { '/usr/bin/foo':\n    ensure => link,\n    target => '/usr/local/bin/foo',\n  }\n}\n",
            &[4],
        ),
        // The old link went through a managed directory link.
        (
            "class demo {\n  file { '/opt/foo/current': ensure => link, target => '/opt/foo/1.0' }\n  file { '/usr/bin/foo': ensure => link, target => '/opt/foo/current/bin/foo' }\n}\n",
            "class demo {\n  file { '/opt/foo/current': ensure => link, target => '/opt/foo/1.0' }\n  file { '/opt/foo/1.0/bin/foo': ensure => link, target => '/usr/bin/foo' }\n}\n",
            &[3],
        ),
    ];

    #[test]
    fn pass() {
        for (i, &(b, a)) in PASS.iter().enumerate() {
            assert_silent(NAME, &format!("PASS[{i}]"), &case(b, a));
        }
    }

    #[test]
    fn fail() {
        for (i, &(b, a, lines)) in FAIL.iter().enumerate() {
            let found = assert_lines(NAME, &format!("FAIL[{i}]"), &case(b, a), a, lines);
            assert!(found
                .iter()
                .all(|f| f.related[0].location.side == Side::Before));
        }
    }
}
