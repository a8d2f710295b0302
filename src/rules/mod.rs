//! The rules: pure functions from a change and the models of both revisions to
//! [`Finding`]s.
//!
//! - [`registry`] is the one table of rules: name, default severity, summary, the
//!   documentation (each rule file's `//!` comment) and the check function.
//! - [`Context`] is everything a rule may look at. Rules never do I/O, never call git and
//!   never print; settings reach them through the context.
//! - [`check_all`] runs the active rules (in parallel, each isolated); the filters that
//!   follow (suppressions, configured severities, internal errors, order) are the
//!   [`crate::lint`] step above this module.
//! - [`selection`] turns `--select`/`--ignore`/`--fail-level` and the config's `rules:`
//!   map into a [`Selection`], and decides the exit status.

pub mod registry;
pub mod selection;

pub(crate) mod common;
mod context;
pub(crate) mod executables;
pub(crate) mod guards;
pub(crate) mod hazard;
pub(crate) mod on_hosts;
pub(crate) mod services;
#[cfg(test)]
pub(crate) mod testing;

// One module per rule, named after the rule (see `registry.rs` for the table).
mod binary_never_repaired;
mod binary_not_executable;
mod binary_without_backup;
mod dangling_reference;
mod deploy_script_unsafe;
mod duplicate_declaration;
mod empty_binary;
mod host_binary_invalid;
mod host_binary_no_rollback;
mod host_link_target_invalid;
mod host_package_owned;
mod host_snapshot_stale;
mod incomplete_input;
pub(crate) mod internal_error;
mod invalid_attribute_value;
pub(crate) mod invalid_suppression;
mod link_cycle;
mod link_flapping;
mod link_over_binary;
mod link_over_directory;
mod link_reversed;
mod link_target_unmanaged;
mod restart_before_binary;
mod service_binary_missing;
mod service_binary_relinked;
mod service_binary_unmanaged;
mod source_missing;
pub(crate) mod syntax_error;
mod undefined_variable_path;
mod unit_exec_invalid;
mod unresolved_class;
mod unsafe_revert;
pub(crate) mod unused_suppression;

pub use context::{is_manifest, Analysis, Context, Manifest, Manifests};
pub use registry::{lookup, Rule};
pub use selection::{FailLevel, Selection, SelectionArgs};

use rayon::prelude::*;

use crate::diagnostic::{Finding, Location, Severity};
use crate::isolate::{self, Failure};

/// The signature every rule's `check` has: read the context, push findings.
pub type CheckFn = fn(&Context<'_>, &mut Vec<Finding>);

/// A finding of rule `rule` at `location`, with no help, related places or suppression.
/// The severity is the rule's default; [`crate::lint::run`] applies the configured one
/// afterwards.
pub(crate) fn finding(rule: &'static Rule, location: Location, message: String) -> Finding {
    Finding {
        rule: rule.name,
        severity: rule.default_severity,
        location,
        resource: None,
        message,
        help: None,
        related: Vec::new(),
        suppressed: None,
        preexisting: false,
    }
}

/// Run every active, implemented rule over the change, in parallel, each isolated: the
/// findings in registry order, and the failures (the analysis's, then the rules' own),
/// which [`crate::lint::run`] turns into `internal-error` findings once suppressions are
/// applied. A rule that panics keeps the findings it made before failing.
pub fn check_all(cx: &Context<'_>) -> (Vec<Finding>, Vec<Failure>) {
    let per_rule: Vec<(Vec<Finding>, Option<Failure>)> = registry::rules()
        .par_iter()
        .filter(|rule| cx.selection.is_active(rule))
        .filter_map(|rule| rule.check.map(|check| (rule, check)))
        .map(|(rule, check)| {
            let mut found = Vec::new();
            let failure = isolate::catch(
                || format!("rule {}", rule.name),
                || {
                    isolate::inject(&format!("rule:{}", rule.name));
                    check(cx, &mut found);
                },
            )
            .err();
            debug_assert!(
                found.iter().all(|f| f.rule == rule.name),
                "rule {} reported a finding under another name",
                rule.name
            );
            (found, failure)
        })
        .collect();
    let mut failures: Vec<Failure> = cx.failures.to_vec();
    let mut findings: Vec<Finding> = Vec::new();
    for (found, failure) in per_rule {
        findings.extend(found);
        failures.extend(failure);
    }
    (findings, failures)
}

/// Counts of non-suppressed findings per severity: `(errors, warnings, infos)`.
pub fn counts(findings: &[Finding]) -> (usize, usize, usize) {
    let mut c = (0, 0, 0);
    for f in findings.iter().filter(|f| f.suppressed.is_none()) {
        match f.severity {
            Severity::Error => c.0 += 1,
            Severity::Warning => c.1 += 1,
            Severity::Info => c.2 += 1,
        }
    }
    c
}
