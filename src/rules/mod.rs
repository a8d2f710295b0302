//! The rules: pure functions from a change (and, once merged, the models of both
//! revisions) to [`Finding`]s, plus the filters that follow them.
//!
//! - [`registry`] is the one table of rules: name, default severity, summary, the
//!   documentation (each rule file's `//!` comment) and the check function.
//! - [`Context`] is everything a rule may look at. Rules never do I/O, never call git and
//!   never print; settings reach them through the context.
//! - [`run`] runs the active rules, applies configured severities and inline
//!   suppressions ([`crate::suppress`]), and returns every finding, suppressed ones
//!   included (marked).
//! - [`selection`] turns `--select`/`--ignore`/`--fail-level` and the config's `rules:`
//!   map into a [`Selection`], and decides the exit status.

pub mod registry;
pub mod selection;

pub(crate) mod common;
mod context;
pub(crate) mod executables;
pub(crate) mod guards;
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
mod incomplete_input;
mod internal_error;
mod invalid_attribute_value;
mod invalid_suppression;
mod link_cycle;
mod link_flapping;
mod link_over_binary;
mod link_reversed;
mod link_target_unmanaged;
mod restart_before_binary;
mod service_binary_missing;
mod service_binary_relinked;
mod service_binary_unmanaged;
mod source_missing;
mod syntax_error;
mod unit_exec_invalid;
mod unresolved_class;
mod unsafe_revert;
mod unused_suppression;

pub use context::{is_manifest, Analysis, Context, Manifest, Manifests};
pub use registry::{lookup, Rule};
pub use selection::{FailLevel, Selection, SelectionArgs};

use rayon::prelude::*;

use crate::diagnostic::{Finding, Location, Severity, Side};
use crate::isolate::{self, Failure};

/// The signature every rule's `check` has: read the context, push findings.
pub type CheckFn = fn(&Context<'_>, &mut Vec<Finding>);

/// A finding of rule `rule` at `location`, with no help, related places or suppression.
/// The severity is the rule's default; [`run`] applies the configured one afterwards.
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
    }
}

/// Run every active, implemented rule over the change, then apply configured severities
/// and inline suppressions. Suppressed findings are kept with
/// [`Finding::suppressed`] set; problems with the suppression comments themselves are
/// reported as `unused-suppression` / `invalid-suppression` findings.
///
/// The result is sorted by side, file, position and rule, so output is stable.
pub fn run(cx: &Context<'_>) -> Vec<Finding> {
    // Rules are pure and independent: run them in parallel, keeping registry order. Each
    // runs isolated: a panic in a rule (or an analyzer it calls) becomes a failure, and
    // the findings it made before failing are kept.
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
    let meta = crate::suppress::apply(cx, &mut findings);
    findings.extend(meta);
    for f in &mut findings {
        if let Some(sev) = cx.selection.severity_override(f.rule) {
            f.severity = sev;
        }
    }
    // After suppressions and configured severities: an internal error is never hidden.
    findings.extend(internal_errors(cx, failures));
    sort(&mut findings);
    findings
}

/// One `internal-error` finding per distinct failure (the same analyzer failing on the
/// same file under several rules is one finding naming them all), at the file that was
/// being read, else at the first file of the change.
pub fn internal_errors(cx: &Context<'_>, failures: Vec<Failure>) -> Vec<Finding> {
    let Some(rule) = lookup(internal_error::NAME) else {
        return Vec::new();
    };
    let mut grouped: Vec<(Failure, Vec<String>)> = Vec::new();
    for f in failures {
        match grouped
            .iter_mut()
            .find(|(g, _)| g.file == f.file && g.message == f.message && g.location == f.location)
        {
            Some((_, parts)) => {
                if !parts.contains(&f.part) {
                    parts.push(f.part);
                }
            }
            None => {
                let part = f.part.clone();
                grouped.push((f, vec![part]));
            }
        }
    }
    grouped
        .into_iter()
        .map(|(mut f, parts)| {
            if parts.len() > 1 {
                f.part = parts.join(", ");
            }
            let (side, file) = match &f.file {
                Some(file) => (side_of(cx, file), file.clone()),
                None => cx
                    .change
                    .files
                    .first()
                    .map(|c| match &c.new_path {
                        Some(p) => (Side::After, p.clone()),
                        None => (Side::Before, c.path().to_string()),
                    })
                    .unwrap_or((Side::After, String::new())),
            };
            let mut finding = finding(
                rule,
                Location {
                    side,
                    file,
                    span: Default::default(),
                },
                format!(
                    "puppet-preflight could not finish this check: {}",
                    f.describe()
                ),
            );
            finding.help = Some(
                "This is a bug in puppet-preflight, not in your change; the other findings \
                 stand, but what this part would have found is missing. Please report it \
                 with this message and, if you can, the file it names."
                    .into(),
            );
            finding
        })
        .collect()
}

/// The side a failing part's file is on: after, unless only the before side has it.
fn side_of(cx: &Context<'_>, file: &str) -> Side {
    if cx.change.after.tree.get(file).is_none() && cx.change.before.tree.get(file).is_some() {
        Side::Before
    } else {
        Side::After
    }
}

/// Stable order: side (after first), file, start offset, rule name.
pub fn sort(findings: &mut [Finding]) {
    findings.sort_by(|a, b| {
        side_rank(&a.location)
            .cmp(&side_rank(&b.location))
            .then_with(|| a.location.file.cmp(&b.location.file))
            .then_with(|| a.location.span.start.cmp(&b.location.span.start))
            .then_with(|| a.rule.cmp(b.rule))
            .then_with(|| a.message.cmp(&b.message))
    });
}

fn side_rank(l: &Location) -> u8 {
    match l.side {
        crate::diagnostic::Side::After => 0,
        crate::diagnostic::Side::Before => 1,
    }
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

#[cfg(test)]
mod tests {
    use super::testing::{run_case, Case};
    use super::*;
    use crate::config::{Config, Level};

    /// A change whose only file is a script with a new, unused suppression comment.
    fn case() -> Case {
        Case::default().with_after(
            "modules/demo/files/run.sh",
            "#!/bin/sh\nexec /usr/bin/x # preflight:ignore:syntax-error nothing to see\n",
        )
    }

    #[test]
    fn run_applies_configured_severity_to_meta_findings() {
        let found = run_case(&case(), &Config::default(), &Selection::default());
        let got: Vec<(&str, Severity)> = found.iter().map(|f| (f.rule, f.severity)).collect();
        assert_eq!(got, vec![("unused-suppression", Severity::Info)]);

        let mut config = Config::default();
        config.rules.insert("unused-suppression", Level::Warning);
        let sel = Selection::resolve(&SelectionArgs::default(), &config).unwrap();
        let found = run_case(&case(), &config, &sel);
        let got: Vec<(&str, Severity)> = found.iter().map(|f| (f.rule, f.severity)).collect();
        assert_eq!(got, vec![("unused-suppression", Severity::Warning)]);
        assert_eq!(FailLevel::Warning.exit_status(&found), 1);
        assert_eq!(FailLevel::Error.exit_status(&found), 0);

        config.rules.insert("unused-suppression", Level::Off);
        let sel = Selection::resolve(&SelectionArgs::default(), &config).unwrap();
        assert!(run_case(&case(), &config, &sel).is_empty());
    }
}
