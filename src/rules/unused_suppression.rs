//! ## What it does
//!
//! Reports a `# preflight:ignore:<rule>` comment that the change adds and that suppresses
//! no finding in this run. It is not one of the hazard rules: it keeps suppression
//! comments honest. A rule that is turned off, not selected or not implemented yet never
//! makes a comment unused. Suppression comments that were already in the base version of
//! the file are not reported: findings are computed only for what the change touches, so
//! an older comment may be legitimately idle.
//!
//! ## Why is this bad?
//!
//! A suppression that matches nothing is either misplaced (on a line other than the one
//! the finding is reported on) or stale (the hazard was fixed). Misplaced ones give a
//! false sense of review; stale ones hide the next real finding on that line.
//!
//! ## Example
//!
//! ```puppet
//! # preflight:ignore:link-cycle one-off migration
//! file { '/usr/local/bin/tool': ensure => file, source => 'puppet:///modules/tool/tool' }
//! # preflight:endignore
//! ```
//!
//! ## Use instead
//!
//! Remove the comment, or move it onto the line the finding is reported on (the line
//! `puppet-preflight check` prints).
//!
//! ## Exceptions
//!
//! Turn it off in the configuration (`rules: {unused-suppression: off}`) if you keep
//! suppressions for hazards that only some changes trigger.
//!
//! ## References
//!
//! - ruff's RUF100 and ESLint's `--report-unused-disable-directives`, the same idea.

use super::registry::{Kind, Rule};
use crate::diagnostic::Severity;

// Produced by the suppression filter (`crate::suppress::apply`), not by a check function.

/// The rule's name, as registered.
pub const NAME: &str = "unused-suppression";

/// This rule's row of the registry (`registry.rs` lists the rows in order).
pub(crate) static RULE: Rule = Rule {
    name: NAME,
    default_severity: Severity::Info,
    summary: "a `# preflight:ignore:` comment added by the change that suppresses nothing",
    kind: Kind::Meta,
    check: None,
    source: include_str!("unused_suppression.rs"),
};
