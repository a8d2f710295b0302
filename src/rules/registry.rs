//! The one table of rules. The CLI (`rules`, `explain`, `--select`), the configuration,
//! the suppression comments, the reporters' rule metadata and the README table all read
//! it. Adding a rule = one file in `src/rules/` (its `//!` comment is its documentation,
//! its `RULE` static its row) plus one line in `RULES` below.

use std::sync::OnceLock;

use crate::diagnostic::{RuleMeta, Severity};

use super::CheckFn;

/// Whether a rule is one of the contract rules (the README's rules table) or a finding
/// about the tool's own inputs or run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// One of the stable, documented hazards (the first section of the README's table).
    Check,
    /// About the suppression comments themselves; selectable and configurable like any
    /// rule, but produced by the suppression filter, not by a check function.
    Meta,
    /// About the run itself: an input the tool could not read, or a bug of its own. Not
    /// a hazard of the change; `internal-error` is always reported and makes the exit
    /// status 2.
    Tool,
}

/// One row of the registry, defined by the rule's own file as `pub(crate) static RULE`.
#[derive(Clone, Copy)]
pub struct Rule {
    /// Kebab-case and stable: `link-over-binary`.
    pub name: &'static str,
    pub default_severity: Severity,
    /// One line: what the rule catches.
    pub summary: &'static str,
    pub kind: Kind,
    /// The check, or `None` for a [`Kind::Check`] rule that is not implemented yet
    /// (its data, the resource model, has not landed).
    pub check: Option<CheckFn>,
    /// The whole text of the rule's source file (`include_str!` of itself); its leading
    /// `//!` lines are the doc.
    pub(crate) source: &'static str,
}

impl std::fmt::Debug for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rule")
            .field("name", &self.name)
            .field("default_severity", &self.default_severity)
            .field("kind", &self.kind)
            .field("implemented", &self.implemented())
            .finish()
    }
}

impl Rule {
    /// Whether the rule reports anything yet.
    pub fn implemented(&self) -> bool {
        self.check.is_some() || self.kind != Kind::Check
    }

    /// The rule's documentation: its source file's leading `//!` comment, as markdown.
    pub fn doc(&self) -> &'static str {
        let i = rules()
            .iter()
            .position(|r| r.name == self.name)
            .unwrap_or(0);
        docs()[i].as_str()
    }

    /// The view of the rule that reporters use.
    pub fn meta(&self) -> RuleMeta {
        RuleMeta {
            name: self.name,
            default_severity: self.default_severity,
            summary: self.summary,
            doc: self.doc(),
        }
    }
}

/// The rows, in the order of the README's table: contract rules first. Each rule's file
/// defines its row (`RULE`: name, default severity, summary, kind, check function, and its
/// own source, whose `//!` comment is the documentation), so a rule uses its own row and
/// never looks itself up by name.
static RULES: &[&Rule] = &[
    &super::syntax_error::RULE,
    &super::link_over_binary::RULE,
    &super::link_over_directory::RULE,
    &super::link_target_unmanaged::RULE,
    &super::link_reversed::RULE,
    &super::link_cycle::RULE,
    &super::link_flapping::RULE,
    &super::empty_binary::RULE,
    &super::source_missing::RULE,
    &super::service_binary_relinked::RULE,
    &super::service_binary_missing::RULE,
    &super::restart_before_binary::RULE,
    &super::binary_without_backup::RULE,
    &super::binary_never_repaired::RULE,
    &super::unsafe_revert::RULE,
    &super::duplicate_declaration::RULE,
    &super::deploy_script_unsafe::RULE,
    &super::service_binary_unmanaged::RULE,
    &super::unit_exec_invalid::RULE,
    &super::dangling_reference::RULE,
    &super::unresolved_class::RULE,
    &super::binary_not_executable::RULE,
    &super::invalid_attribute_value::RULE,
    &super::undefined_variable_path::RULE,
    &super::host_binary_invalid::RULE,
    &super::host_link_target_invalid::RULE,
    &super::host_package_owned::RULE,
    &super::host_binary_no_rollback::RULE,
    &super::unused_suppression::RULE,
    &super::invalid_suppression::RULE,
    &super::incomplete_input::RULE,
    &super::host_snapshot_stale::RULE,
    &super::internal_error::RULE,
];

/// Every rule, contract rules first, in the order of the README's table.
pub fn rules() -> &'static [&'static Rule] {
    RULES
}

/// Every rule's metadata, in registry order.
pub fn all() -> &'static [RuleMeta] {
    static ALL: OnceLock<Vec<RuleMeta>> = OnceLock::new();
    ALL.get_or_init(|| RULES.iter().map(|r| r.meta()).collect())
}

/// The rule named `name` (exact, kebab-case).
pub fn lookup(name: &str) -> Option<&'static Rule> {
    RULES.iter().copied().find(|r| r.name == name)
}

/// The registered name closest to `name`, for "did you mean" messages: an exact match
/// after normalising `_` to `-` and case, else the nearest name by edit distance when it
/// is close enough to be a typo.
pub fn suggest(name: &str) -> Option<&'static str> {
    let norm = name.trim().to_ascii_lowercase().replace('_', "-");
    if let Some(r) = lookup(&norm) {
        return Some(r.name);
    }
    let (best, dist) = RULES
        .iter()
        .map(|r| (r.name, edit_distance(&norm, r.name)))
        .min_by_key(|&(_, d)| d)?;
    let limit = (norm.len() / 3).clamp(1, 4);
    if dist <= limit {
        return Some(best);
    }
    // A unique rule containing the word(s) given: `backup` -> `binary-without-backup`.
    if norm.len() >= 4 {
        let mut hits = RULES.iter().filter(|r| r.name.contains(norm.as_str()));
        if let (Some(only), None) = (hits.next(), hits.next()) {
            return Some(only.name);
        }
    }
    None
}

/// Levenshtein distance on bytes (rule names are ASCII).
pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, &ca) in a.iter().enumerate() {
        cur[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// The documentation of every rule, extracted once from the rule files.
fn docs() -> &'static [String] {
    static DOCS: OnceLock<Vec<String>> = OnceLock::new();
    DOCS.get_or_init(|| RULES.iter().map(|r| extract_doc(r.source)).collect())
}

/// The leading `//!` lines of a Rust source file, with the marker (and one following
/// space) removed.
pub fn extract_doc(source: &str) -> String {
    let mut out = String::new();
    for line in source.lines() {
        let Some(rest) = line.strip_prefix("//!") else {
            break;
        };
        out.push_str(rest.strip_prefix(' ').unwrap_or(rest));
        out.push('\n');
    }
    out.trim_end().to_owned() + "\n"
}

/// The headings every rule's documentation has, in order.
pub const DOC_HEADINGS: [&str; 6] = [
    "## What it does",
    "## Why is this bad?",
    "## Example",
    "## Use instead",
    "## Exceptions",
    "## References",
];

/// The headings of [`DOC_HEADINGS`] that `doc` lacks or has out of order.
pub fn missing_headings(doc: &str) -> Vec<&'static str> {
    let lines: Vec<&str> = doc.lines().map(str::trim_end).collect();
    let mut missing = Vec::new();
    let mut from = 0;
    for h in DOC_HEADINGS {
        match lines[from..].iter().position(|l| *l == h) {
            Some(i) => from += i + 1,
            None => missing.push(h),
        }
    }
    missing
}

/// The README's rules table (markdown), generated from the registry. The README holds
/// it between `<!-- rules-table:start -->` and `<!-- rules-table:end -->`; a test keeps
/// it current.
pub fn markdown_table() -> String {
    const HEADER: &str = "| rule | default | what it catches |\n|---|---|---|\n";
    let rows = |kind: Kind| -> String {
        RULES
            .iter()
            .filter(|r| r.kind == kind)
            .map(|r| {
                let note = if r.implemented() {
                    ""
                } else {
                    " *(not implemented yet)*"
                };
                format!(
                    "| `{}` | {} | {}{} |\n",
                    r.name,
                    r.default_severity,
                    escape_cell(r.summary),
                    note
                )
            })
            .collect()
    };
    format!(
        "{HEADER}{}\nFindings about the suppression comments themselves (selectable and \
         configurable like any rule):\n\n{HEADER}{}\nFindings about the run itself (an input \
         that could not be read, a bug in the tool):\n\n{HEADER}{}",
        rows(Kind::Check),
        rows(Kind::Meta),
        rows(Kind::Tool)
    )
}

fn escape_cell(s: &str) -> String {
    s.replace('|', "\\|")
}

/// The rules that judge what the change *does* (a transition between the two revisions:
/// a restart onto a re-pointed path, a link flipped, a replaced file without backup, what
/// a revert would do), not a state of the revision the change merely touches. Their
/// findings are never pre-existing: a base revision read as new has no transition to
/// compare with (see `lint::preexisting`).
pub fn judges_transition(name: &str) -> bool {
    [
        super::unsafe_revert::NAME,
        super::link_reversed::NAME,
        super::service_binary_relinked::NAME,
        super::service_binary_missing::NAME,
        super::restart_before_binary::NAME,
        super::binary_without_backup::NAME,
        // Judged against the hosts, which the base revision read as new is not.
        super::host_binary_invalid::NAME,
        super::host_link_target_invalid::NAME,
        super::host_package_owned::NAME,
        super::host_binary_no_rollback::NAME,
    ]
    .contains(&name)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The contract: the README's 23 names and default severities, exactly, then the
    /// host rules of issue 17.
    const CONTRACT: [(&str, Severity); 28] = [
        ("syntax-error", Severity::Error),
        ("link-over-binary", Severity::Error),
        ("link-over-directory", Severity::Error),
        ("link-target-unmanaged", Severity::Warning),
        ("link-reversed", Severity::Error),
        ("link-cycle", Severity::Error),
        ("link-flapping", Severity::Error),
        ("empty-binary", Severity::Error),
        ("source-missing", Severity::Error),
        ("service-binary-relinked", Severity::Error),
        ("service-binary-missing", Severity::Error),
        ("restart-before-binary", Severity::Warning),
        ("binary-without-backup", Severity::Warning),
        ("binary-never-repaired", Severity::Warning),
        ("unsafe-revert", Severity::Warning),
        ("duplicate-declaration", Severity::Error),
        ("deploy-script-unsafe", Severity::Warning),
        ("service-binary-unmanaged", Severity::Error),
        ("unit-exec-invalid", Severity::Error),
        ("dangling-reference", Severity::Error),
        ("unresolved-class", Severity::Error),
        ("binary-not-executable", Severity::Error),
        ("invalid-attribute-value", Severity::Error),
        ("undefined-variable-path", Severity::Warning),
        ("host-binary-invalid", Severity::Error),
        ("host-link-target-invalid", Severity::Error),
        ("host-package-owned", Severity::Error),
        ("host-binary-no-rollback", Severity::Warning),
    ];

    #[test]
    fn contract_rules_are_exactly_the_designed_ones() {
        let checks: Vec<(&str, Severity)> = rules()
            .iter()
            .filter(|r| r.kind == Kind::Check)
            .map(|r| (r.name, r.default_severity))
            .collect();
        assert_eq!(checks, CONTRACT.to_vec());
    }

    #[test]
    fn every_row_is_defined_in_its_own_file() {
        for r in rules() {
            let decl = format!("const NAME: &str = \"{}\";", r.name);
            assert!(
                r.source.contains(&decl),
                "{}: its source is another file",
                r.name
            );
            assert!(r.source.contains("static RULE: Rule"), "{}", r.name);
        }
    }

    #[test]
    fn names_are_unique_kebab_case() {
        let mut names: Vec<&str> = rules().iter().map(|r| r.name).collect();
        for n in &names {
            assert!(
                n.bytes().all(|b| b.is_ascii_lowercase() || b == b'-'),
                "{n} is not kebab-case"
            );
        }
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), rules().len());
    }

    #[test]
    fn every_doc_has_every_heading_in_order() {
        for r in rules() {
            let missing = missing_headings(r.doc());
            assert!(missing.is_empty(), "{} lacks {:?}", r.name, missing);
        }
    }

    #[test]
    fn missing_headings_notices_gaps_and_disorder() {
        let ok = DOC_HEADINGS.join("\ntext\n");
        assert!(missing_headings(&ok).is_empty());
        let without = ok.replace("## Exceptions", "## Exception");
        assert_eq!(missing_headings(&without), vec!["## Exceptions"]);
        let swapped = "## Why is this bad?\n## What it does\n## Example\n## Use instead\n## Exceptions\n## References\n";
        assert_eq!(missing_headings(swapped), vec!["## Why is this bad?"]);
    }

    #[test]
    fn doc_is_the_leading_comment_only() {
        let src = "//! ## What it does\n//!\n//! Text.\nuse x;\n//! not doc\n";
        assert_eq!(extract_doc(src), "## What it does\n\nText.\n");
    }

    #[test]
    fn lookup_and_suggestions() {
        assert_eq!(lookup("link-cycle").map(|r| r.name), Some("link-cycle"));
        assert!(lookup("link_cycle").is_none());
        assert_eq!(suggest("link_cycle"), Some("link-cycle"));
        assert_eq!(suggest("Link-Cycle"), Some("link-cycle"));
        assert_eq!(suggest("link-over-binry"), Some("link-over-binary"));
        assert_eq!(suggest("backup"), Some("binary-without-backup"));
        assert_eq!(suggest("zzzz"), None);
        // Ambiguous substring: several rules mention `link`.
        assert_eq!(suggest("link"), None);
    }

    #[test]
    fn all_matches_rules() {
        assert_eq!(all().len(), rules().len());
        assert_eq!(all()[0].name, "syntax-error");
        assert!(all()[0].doc.contains("## What it does"));
    }

    #[test]
    fn table_lists_every_rule_once() {
        let t = markdown_table();
        for r in rules() {
            assert_eq!(
                t.matches(&format!("| `{}` |", r.name)).count(),
                1,
                "{}",
                r.name
            );
        }
        assert!(t.contains("| `link-cycle` | error |"));
    }
}
