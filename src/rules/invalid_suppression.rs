//! ## What it does
//!
//! Reports a `# preflight:` comment the change adds that cannot work as written: a rule
//! name that does not exist (with a "did you mean"), `preflight:ignore` with no rule, no
//! reason after the rule names, an unknown directive (`preflight:disable`), a
//! `preflight:endignore` with no open block, or a block never closed (it then covers the
//! rest of the file).
//!
//! Syntax: `# preflight:ignore:<rule>[,<rule>…] <reason>`; after code it covers that
//! line, on a line of its own it opens a block closed by `# preflight:endignore`.
//!
//! ## Why is this bad?
//!
//! A misspelt rule name suppresses nothing, so the finding it was meant for still fails
//! the build, or worse, the author believes the hazard was reviewed when the comment
//! does nothing. A block left open silently suppresses everything below it.
//!
//! ## Example
//!
//! ```puppet
//! file { '/usr/bin/tool': ensure => link, target => '/opt/tool/bin/tool' } # preflight:ignore:link_over_binary
//! ```
//!
//! ## Use instead
//!
//! ```puppet
//! file { '/usr/bin/tool': ensure => link, target => '/opt/tool/bin/tool' } # preflight:ignore:link-over-binary tool is not packaged, T4321
//! ```
//!
//! ## Exceptions
//!
//! None; fix the comment.
//!
//! ## References
//!
//! - puppet-lint control comments (`# lint:ignore:<check>`), which this syntax mirrors.

use super::registry::{Kind, Rule};
use crate::diagnostic::Severity;

// Produced by the suppression filter (`crate::suppress::apply`), not by a check function.

/// The rule's name, as registered.
pub const NAME: &str = "invalid-suppression";

/// This rule's row of the registry (`registry.rs` lists the rows in order).
pub(crate) static RULE: Rule = Rule {
    name: NAME,
    default_severity: Severity::Info,
    summary: "a malformed `# preflight:` comment: unknown rule, no reason, or an unmatched block",
    kind: Kind::Meta,
    check: None,
    source: include_str!("invalid_suppression.rs"),
};
