//! The one table of rules. The CLI (`rules`, `explain`, `--select`), the configuration,
//! the suppression comments, the reporters' rule metadata and the README table all read
//! it. Adding a rule = one file in `src/rules/` (its `//!` comment is its documentation)
//! plus one row below.

use std::sync::OnceLock;

use crate::diagnostic::{RuleMeta, Severity};

use super::CheckFn;

/// Whether a rule is one of the contract rules of DESIGN.md or a finding about the
/// tool's own inputs (suppression comments).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// One of the stable, documented hazards (DESIGN.md's table).
    Check,
    /// About the suppression comments themselves; selectable and configurable like any
    /// rule, but produced by the suppression filter, not by a check function.
    Meta,
    /// About the run itself: an input the tool could not read, or a bug of its own. Not
    /// a hazard of the change; `internal-error` is always reported and makes the exit
    /// status 2.
    Tool,
}

/// One row of the registry.
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
    /// The whole text of the rule's source file; its leading `//!` lines are the doc.
    source: &'static str,
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

/// Pick the check function of a row: `check` for implemented rules, `pending` for rules
/// whose data is not available yet, `meta` for suppression findings.
macro_rules! check_fn {
    (check, $module:ident) => {
        Some(super::$module::check as CheckFn)
    };
    (pending, $module:ident) => {
        None
    };
    (meta, $module:ident) => {
        None
    };
    (tool, $module:ident) => {
        None
    };
    (toolcheck, $module:ident) => {
        Some(super::$module::check as CheckFn)
    };
}

macro_rules! kind_of {
    (meta) => {
        Kind::Meta
    };
    (tool) => {
        Kind::Tool
    };
    (toolcheck) => {
        Kind::Tool
    };
    ($other:ident) => {
        Kind::Check
    };
}

macro_rules! registry {
    ($( $module:ident $name:literal $sev:ident $state:ident $summary:literal; )*) => {
        static RULES: &[Rule] = &[
            $(
                Rule {
                    name: $name,
                    default_severity: Severity::$sev,
                    summary: $summary,
                    kind: kind_of!($state),
                    check: check_fn!($state, $module),
                    source: include_str!(concat!(stringify!($module), ".rs")),
                },
            )*
        ];
    };
}

// module                  name                        default  state    summary
registry! {
    syntax_error             "syntax-error"              Error    check    "a changed manifest does not parse";
    link_over_binary         "link-over-binary"          Error    check    "a symlink placed at an executable path, a path another resource manages as a file, or a path a declared package ships";
    link_target_unmanaged    "link-target-unmanaged"     Warning  check    "a link whose target nothing in the repository manages (dangling or stale)";
    link_reversed            "link-reversed"             Error    check    "the change flips a link's direction relative to the base revision";
    link_cycle               "link-cycle"                Error    check    "managed links that resolve into a cycle";
    link_flapping            "link-flapping"             Error    check    "`ensure => link` with `links => follow` (re-created every run)";
    empty_binary             "empty-binary"              Error    check    "executable path as `ensure => file/present` with no content/source, or `content => ''`";
    source_missing           "source-missing"            Error    check    "`puppet:///modules/…`, `template()`, `epp()`, `file()` pointing at a file not in the repository";
    service_binary_relinked  "service-binary-relinked"   Error    check    "a service this change restarts executes a path the same change re-points, removes or replaces";
    service_binary_missing   "service-binary-missing"    Error    check    "a running service whose binary, package or unit is absent";
    restart_before_binary    "restart-before-binary"     Warning  check    "a restart with no ordering edge from the binary's resource to the service";
    binary_without_backup    "binary-without-backup"     Warning  check    "a binary replaced while the effective `backup` is false";
    binary_never_repaired    "binary-never-repaired"     Warning  check    "`replace => false` or `checksum => mtime/ctime` on an executable path";
    unsafe_revert            "unsafe-revert"             Warning  check    "reverting this change would trip an error-level rule";
    duplicate_declaration    "duplicate-declaration"     Error    check    "the same resource (normalised path) declared twice where both can be compiled together";
    deploy_script_unsafe     "deploy-script-unsafe"      Warning  check    "a shell script used for binaries without `set -e`, or writing an executable with `wget -O`/`curl -o` without `-f`";
    service_binary_unmanaged "service-binary-unmanaged"  Error    check    "a service runs an absolute path nothing in the repository provides";
    unit_exec_invalid        "unit-exec-invalid"         Error    check    "an `ExecStart=`-style command systemd will not run as written";
    dangling_reference       "dangling-reference"        Error    check    "a relationship or reference to a resource or class declared nowhere";
    unresolved_class         "unresolved-class"          Error    check    "`include`/`require`/`contain`/`class {}` of a class that exists nowhere in the modulepath";
    binary_not_executable    "binary-not-executable"     Error    check    "an executable path deployed with a mode lacking every execute bit";
    invalid_attribute_value  "invalid-attribute-value"   Error    check    "values a built-in type rejects (unknown `ensure`, bad `mode`, malformed `source` URL, `${` in single quotes)";
    unused_suppression       "unused-suppression"        Info     meta     "a `# preflight:ignore:` comment added by the change that suppresses nothing";
    invalid_suppression      "invalid-suppression"       Info     meta     "a malformed `# preflight:` comment: unknown rule, no reason, or an unmatched block";
    incomplete_input         "incomplete-input"          Info     toolcheck "content the checks needed could not be read (a partial or damaged clone); those files were not judged";
    internal_error           "internal-error"            Error    tool     "a rule or analyzer of puppet-preflight itself failed; the run is incomplete (exit status 2)";
}

/// Every rule, contract rules first, in the order of DESIGN.md's table.
pub fn rules() -> &'static [Rule] {
    RULES
}

/// Every rule's metadata, in registry order.
pub fn all() -> &'static [RuleMeta] {
    static ALL: OnceLock<Vec<RuleMeta>> = OnceLock::new();
    ALL.get_or_init(|| RULES.iter().map(Rule::meta).collect())
}

/// The rule named `name` (exact, kebab-case).
pub fn lookup(name: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.name == name)
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The contract: DESIGN.md's 22 names and default severities, exactly.
    const CONTRACT: [(&str, Severity); 22] = [
        ("syntax-error", Severity::Error),
        ("link-over-binary", Severity::Error),
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
