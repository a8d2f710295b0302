//! Test helpers for rules: build a change from in-memory files and run rules on it.

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

    pub fn after_bytes(&mut self, path: &str, data: &[u8]) -> &mut Self {
        self.after.insert(path.to_owned(), data.to_vec());
        self
    }

    pub fn with_after(mut self, path: &str, text: &str) -> Self {
        self.after(path, text);
        self
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
            before: revision("before", &self.before),
            after: revision("after", &self.after),
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

fn revision(label: &str, files: &BTreeMap<String, Vec<u8>>) -> Revision {
    let mut tree = Tree::default();
    for (p, data) in files {
        tree.files.insert(
            p.clone(),
            TreeEntry {
                kind: EntryKind::File,
                blob: Arc::new(Blob::new(None, data.clone())),
            },
        );
    }
    Revision {
        label: label.to_owned(),
        summary: None,
        tree,
    }
}

/// A change that adds one manifest, `src`, at [`SNIPPET_PATH`].
pub fn after_only(src: &str) -> Case {
    Case::default().with_after(SNIPPET_PATH, src)
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

/// Run the whole pipeline ([`super::run`]) with a given configuration and selection.
pub fn run_case(case: &Case, config: &Config, selection: &Selection) -> Vec<Finding> {
    let change = case.change();
    let analysis = Analysis::build(&change, config);
    let cx = analysis.context(&change, config, selection);
    super::run(&cx)
}

/// The manifests of a change with their text only (an empty program, no errors), for
/// tests of the filters that need no parser.
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
            let text: Arc<str> = Arc::from(String::from_utf8_lossy(e.blob.data()).as_ref());
            let parsed = Arc::new(Parsed {
                program: Program {
                    statements: Vec::new(),
                    span: Span::new(0, text.len() as u32),
                },
                errors: Vec::new(),
            });
            let entry = Arc::new(Manifest {
                text,
                parsed,
                utf8_error: None,
            });
            match side {
                Side::Before => m.before.insert(path.clone(), entry),
                Side::After => m.after.insert(path.clone(), entry),
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
