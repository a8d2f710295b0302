//! Test helpers for rules: build a change from in-memory files and run rules on it.

pub use super::on_hosts::testing::*;
use std::collections::BTreeMap;
use std::sync::Arc;

use crate::config::Config;
use crate::diagnostic::{Finding, LineIndex, Side};
use crate::input::{Blob, Change, EntryKind, FileChange, FileStatus, Revision, Tree, TreeEntry};

use super::{lookup, Analysis, Manifests, Selection};

/// The path snippets are placed at by [`after_only`].
pub const SNIPPET_PATH: &str = "modules/demo/manifests/init.pp";

/// A change described by the files of both sides.
#[derive(Clone, Debug, Default)]
pub struct Case {
    pub before: BTreeMap<String, Vec<u8>>,
    pub after: BTreeMap<String, Vec<u8>>,
    /// Git submodules (gitlinks) of both sides, by path.
    pub submodules: Vec<String>,
    /// Files of either side recorded as executable (git mode 100755), by path.
    pub executables: Vec<String>,
}

impl Case {
    pub fn before(&mut self, path: &str, text: &str) -> &mut Self {
        self.before
            .insert(path.to_owned(), text.as_bytes().to_vec());
        self
    }

    pub fn after(&mut self, path: &str, text: &str) -> &mut Self {
        self.after.insert(path.to_owned(), text.as_bytes().to_vec());
        self
    }

    /// A git submodule (gitlink) at `path` on both sides.
    pub fn submodule(&mut self, path: &str) -> &mut Self {
        self.submodules.push(path.to_owned());
        self
    }

    /// Record the file at `path` (on either side) as executable (git mode 100755).
    pub fn with_executable(mut self, path: &str) -> Self {
        self.executables.push(path.to_owned());
        self
    }

    pub fn after_bytes(&mut self, path: &str, data: &[u8]) -> &mut Self {
        self.after.insert(path.to_owned(), data.to_vec());
        self
    }

    pub fn with_before(mut self, path: &str, text: &str) -> Self {
        self.before(path, text);
        self
    }

    pub fn with_after(mut self, path: &str, text: &str) -> Self {
        self.after(path, text);
        self
    }

    /// The after side's files as text, for failure messages.
    pub fn after_text(&self) -> String {
        let mut out = String::new();
        for (path, data) in &self.after {
            out.push_str(&format!(
                "--- {path}\n{}\n",
                String::from_utf8_lossy(data).trim_end()
            ));
        }
        out
    }

    /// The [`Change`] this case describes: every path whose bytes differ is a changed
    /// file (added, deleted or modified).
    pub fn change(&self) -> Change {
        let mut files = Vec::new();
        let paths: std::collections::BTreeSet<&String> =
            self.before.keys().chain(self.after.keys()).collect();
        for p in paths {
            let (b, a) = (self.before.get(p), self.after.get(p));
            let status = match (b, a) {
                (None, Some(_)) => FileStatus::Added,
                (Some(_), None) => FileStatus::Deleted,
                (Some(x), Some(y)) if x != y => FileStatus::Modified,
                _ => continue,
            };
            files.push(FileChange {
                status,
                old_path: b.map(|_| p.clone()),
                new_path: a.map(|_| p.clone()),
                old_kind: b.map(|_| EntryKind::File),
                new_kind: a.map(|_| EntryKind::File),
                binary: false,
                similarity: None,
            });
        }
        Change {
            before: revision("before", &self.before, &self.submodules, &self.executables),
            after: revision("after", &self.after, &self.submodules, &self.executables),
            files,
            notes: Vec::new(),
        }
    }

    /// 1-based line of a finding's start in `src`.
    pub fn line_of(src: &str, f: &Finding) -> u32 {
        LineIndex::new(src)
            .line_col(src, f.location.span.start)
            .line
    }
}

fn revision(
    label: &str,
    files: &BTreeMap<String, Vec<u8>>,
    submodules: &[String],
    executables: &[String],
) -> Revision {
    let mut tree = Tree::default();
    for p in submodules {
        tree.files.insert(
            p.clone(),
            TreeEntry {
                kind: EntryKind::Submodule,
                blob: Arc::new(Blob::new(None, Vec::new())),
            },
        );
    }
    for (p, data) in files {
        tree.files.insert(
            p.clone(),
            TreeEntry {
                kind: if executables.contains(p) {
                    EntryKind::Executable
                } else {
                    EntryKind::File
                },
                blob: Arc::new(Blob::new(None, data.clone())),
            },
        );
    }
    Revision {
        label: label.to_owned(),
        summary: None,
        tree: tree.into(),
    }
}

/// A change that adds one manifest, `src`, at [`SNIPPET_PATH`].
pub fn after_only(src: &str) -> Case {
    Case::default().with_after(SNIPPET_PATH, src)
}

/// A change of the one manifest at [`SNIPPET_PATH`] from `before` to `after`.
pub fn edit(before: &str, after: &str) -> Case {
    Case::default()
        .with_before(SNIPPET_PATH, before)
        .with_after(SNIPPET_PATH, after)
}

/// The unit template of Service['foo'] in [`service_class`]: its `ExecStart=` is what the
/// service runs.
pub const UNIT_TEMPLATE: &str = "modules/demo/templates/foo.service.erb";

/// Class `demo`: a unit file rendered from [`UNIT_TEMPLATE`] refreshes (`~>`)
/// Service['foo'] (declared on line 3), followed by `body`.
pub fn service_class(body: &str) -> String {
    format!(
        "class demo {{\n  file {{ '/lib/systemd/system/foo.service': content => template('demo/foo.service.erb') }}\n  ~> service {{ 'foo': ensure => running }}\n{body}}}\n"
    )
}

/// [`edit`] of the manifest, and of [`UNIT_TEMPLATE`] from `before_unit` to `after_unit`
/// (so a unit file rendered from it changes and restarts its service).
pub fn unit_edit(before: &str, after: &str, before_unit: &str, after_unit: &str) -> Case {
    edit(before, after)
        .with_before(UNIT_TEMPLATE, before_unit)
        .with_after(UNIT_TEMPLATE, after_unit)
}

/// Run one rule's check (no suppression, no severity overrides) with the default
/// configuration.
pub fn check_rule(name: &str, case: &Case) -> Vec<Finding> {
    let rule = lookup(name).expect("rule is registered");
    let check = rule.check.expect("rule is implemented");
    let change = case.change();
    let config = Config::default();
    let selection = Selection::default();
    let analysis = Analysis::build(&change, &config);
    let cx = analysis.context(&change, &config, &selection);
    let mut out = Vec::new();
    check(&cx, &mut out);
    out
}

/// The head revision's model of a change, with the default configuration.
pub fn model_of_case(case: &Case) -> crate::model::Model {
    Analysis::build(&case.change(), &Config::default()).after
}

/// Run the whole pipeline ([`super::run`]) with a given configuration and selection.
pub fn run_case(case: &Case, config: &Config, selection: &Selection) -> Vec<Finding> {
    let change = case.change();
    let analysis = Analysis::build(&change, config);
    let cx = analysis.context(&change, config, selection);
    crate::lint::run(&cx)
}

/// The manifests of a change with their text and comments only (an empty program, no
/// errors), for tests of the filters that need no parser.
pub fn unparsed(change: &Change) -> Manifests {
    use crate::ast::{Program, Span};
    use crate::parser::Parsed;
    use crate::rules::Manifest;
    let mut m = Manifests::default();
    for (side, tree) in [
        (Side::Before, &change.before.tree),
        (Side::After, &change.after.tree),
    ] {
        for (path, e) in &tree.files {
            if !super::is_manifest(path) {
                continue;
            }
            // Test trees are made in memory: their content is always readable.
            let Some(data) = e.blob.data() else { continue };
            let text: Arc<str> = Arc::from(String::from_utf8_lossy(data).as_ref());
            let parsed = Arc::new(Parsed {
                program: Program {
                    statements: Vec::new(),
                    span: Span::new(0, text.len() as u32),
                },
                errors: Vec::new(),
                comments: crate::parser::lexer::lex(&text).comments,
            });
            let entry = Arc::new(Manifest {
                text,
                parsed,
                utf8_error: None,
            });
            match side {
                Side::Before => m.side_mut(Side::Before).insert(path.clone(), entry),
                Side::After => m.side_mut(Side::After).insert(path.clone(), entry),
            };
        }
    }
    m
}

/// A finding of `rule` at the first non-blank character of 1-based `line` of `path`.
pub fn finding_at(case: &Case, side: Side, path: &str, line: u32, rule: &str) -> Finding {
    let files = match side {
        Side::Before => &case.before,
        Side::After => &case.after,
    };
    let text = String::from_utf8_lossy(&files[path]).into_owned();
    let idx = LineIndex::new(&text);
    let start = idx.line_start(line as usize - 1) as usize;
    let indent = text[start..].len() - text[start..].trim_start_matches([' ', '\t']).len();
    let at = (start + indent) as u32;
    let mut f = super::finding(
        lookup(rule).expect("registered"),
        crate::diagnostic::Location {
            side,
            file: path.to_owned(),
            span: crate::ast::Span::new(at, at + 1),
        },
        format!("{rule} on line {line}"),
    );
    f.suppressed = None;
    f
}

/// Assert that rule `rule` reports nothing on `case`; `label` names the case in the
/// failure message, which also shows the after side's files.
pub fn assert_silent(rule: &str, label: &str, case: &Case) {
    let found = check_rule(rule, case);
    assert!(
        found.is_empty(),
        "{rule}: PASS case {label} got {} finding(s), expected none:\n{found:#?}\n{}",
        found.len(),
        case.after_text()
    );
}

/// Assert that rule `rule` reports on `case` exactly one finding at each of the 1-based
/// `lines` of `src` (in order; a line listed twice is two findings there), and return the
/// findings for further checks. `label` names the case in the failure message.
pub fn assert_lines(
    rule: &str,
    label: &str,
    case: &Case,
    src: &str,
    lines: &[u32],
) -> Vec<Finding> {
    let found = check_rule(rule, case);
    let got: Vec<u32> = found.iter().map(|f| Case::line_of(src, f)).collect();
    assert_eq!(
        got, lines,
        "{rule}: FAIL case {label} reported on lines {got:?}, expected {lines:?}, in\n{src}\n{found:#?}"
    );
    found
}

/// [`assert_silent`] for a table of snippets: each is put in a change by `build` (usually
/// [`after_only`]) and named `PASS[i]` after its index.
pub fn assert_pass_snippets(rule: &str, snippets: &[&str], build: impl Fn(&str) -> Case) {
    for (i, src) in snippets.iter().enumerate() {
        assert_silent(rule, &format!("PASS[{i}]"), &build(src));
    }
}

/// [`assert_lines`] for a table of `(snippet, lines)` rows: each snippet is put in a change
/// by `build` (usually [`after_only`]), the lines are the snippet's, and the row is named
/// `FAIL[i]` after its index. Returns each row's findings.
pub fn assert_fail_snippets(
    rule: &str,
    rows: &[(&str, &[u32])],
    build: impl Fn(&str) -> Case,
) -> Vec<Vec<Finding>> {
    rows.iter()
        .enumerate()
        .map(|(i, &(src, lines))| {
            assert_lines(rule, &format!("FAIL[{i}]"), &build(src), src, lines)
        })
        .collect()
}

/// The `pass` and `fail` tests of a rule file whose `PASS` snippets must draw no finding
/// and whose `FAIL` rows of `(snippet, lines)` must draw one on each line: each snippet is
/// put in a change by `$build` (usually [`after_only`]) and checked with the file's `NAME`
/// rule by [`assert_pass_snippets`] and [`assert_fail_snippets`].
macro_rules! snippet_tests {
    ($build:expr) => {
        #[test]
        fn pass() {
            $crate::rules::testing::assert_pass_snippets(NAME, PASS, $build);
        }

        #[test]
        fn fail() {
            $crate::rules::testing::assert_fail_snippets(NAME, FAIL, $build);
        }
    };
}
pub(crate) use snippet_tests;

#[cfg(test)]
mod fuzz;
