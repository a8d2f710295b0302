//! ## What it does
//!
//! Reports a bug of puppet-preflight itself: a rule or an analyzer (shell scripts, unit
//! files, templates, attribute values, hiera data, the evaluator) failed on this input.
//! The finding names the rule or analyzer, the file it was reading and the failure; every
//! other rule's findings are still reported, and the exit status is 2 whatever else was
//! found, because the check is incomplete.
//!
//! ## Why is this bad?
//!
//! One failing part must not hide everything else the tool knows about the change, nor
//! let a change pass unchecked as if nothing were wrong.
//!
//! ## Example
//!
//! Any input that trips a bug in one analyzer, such as a script line the shell analyzer
//! mis-counts:
//!
//! ```text
//! error[internal-error]: the shell analyzer failed on modules/app/files/deploy.sh: …
//! ```
//!
//! ## Use instead
//!
//! Please report it, with the message and, if you can, the file named in the finding.
//!
//! ## Exceptions
//!
//! None: it cannot be suppressed or ignored.
//!
//! ## References
//!
//! - The issue tracker of puppet-preflight.

use super::registry::{Kind, Rule};
use crate::diagnostic::Severity;

// Produced by `lint::run` when a rule or analyzer panics, not by a check function.

/// The rule's name, as registered.
pub(crate) const NAME: &str = "internal-error";

/// This rule's row of the registry (`registry.rs` lists the rows in order).
pub(crate) static RULE: Rule = Rule {
    name: NAME,
    default_severity: Severity::Error,
    summary: "a rule or analyzer of puppet-preflight itself failed; the run is incomplete (exit status 2)",
    kind: Kind::Tool,
    check: None,
    source: include_str!("internal_error.rs"),
};
