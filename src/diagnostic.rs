//! Findings: what rules report, and how byte spans become lines and columns.
//!
//! A [`Finding`] is produced by a rule (or by the parser, as `syntax-error`), filtered by
//! suppressions and configuration, then rendered by a reporter. Operational failures
//! (I/O, git, configuration) are never findings: they are [`crate::error::Error`].

use std::fmt;

use serde::Serialize;

use crate::ast::{SmolStr, Span};

/// How bad a finding is. Ordered: `Info < Warning < Error`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }

    pub fn parse(s: &str) -> Option<Severity> {
        match s {
            "info" => Some(Severity::Info),
            "warning" => Some(Severity::Warning),
            "error" => Some(Severity::Error),
            _ => None,
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which revision of the change a span points into.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    Before,
    After,
}

/// A place in a file of one side of the change.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Location {
    pub side: Side,
    /// Repository-relative path with `/` separators.
    pub file: String,
    pub span: Span,
}

/// A secondary place that explains a finding ("the service that runs it is declared here").
#[derive(Clone, Debug, PartialEq)]
pub struct Related {
    pub location: Location,
    pub message: String,
}

/// The resource a finding is about: its type (lowercase, `file`, `apache::vhost`) and
/// title. Rules compare and group findings by it; only the reporters turn it into text
/// (`File['/usr/bin/kube-scheduler']`, through [`fmt::Display`]).
///
/// A key is made from a model resource with `ResourceKey::from(&resource)` (the `From`
/// impl lives with the rules, which know both the model and findings).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ResourceKey {
    /// Lowercase type name, `::`-separated segments.
    pub ty: SmolStr,
    /// The title as Puppet shows it in a reference (a non-string title as its value's text).
    pub title: String,
}

impl ResourceKey {
    pub fn new(ty: &str, title: impl Into<String>) -> Self {
        ResourceKey {
            ty: ty.to_lowercase().into(),
            title: title.into(),
        }
    }
}

/// `File['/x']`, `Apache::Vhost['a']`: each `::` segment of the type capitalised.
impl fmt::Display for ResourceKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}['{}']", capitalize_type(&self.ty), self.title)
    }
}

/// A type name as Puppet shows it in a reference: `apache::vhost` -> `Apache::Vhost`.
pub fn capitalize_type(ty: &str) -> String {
    ty.split("::")
        .map(|seg| {
            let mut c = seg.chars();
            match c.next() {
                Some(f) => f.to_uppercase().chain(c).collect(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join("::")
}

/// One problem a rule found in the change.
#[derive(Clone, Debug, PartialEq)]
pub struct Finding {
    /// Kebab-case rule name, from the registry.
    pub rule: &'static str,
    pub severity: Severity,
    pub location: Location,
    /// The resource the finding is about (shown as `File['/usr/bin/kube-scheduler']`).
    pub resource: Option<ResourceKey>,
    /// States the problem, naming the resource and the path.
    pub message: String,
    /// Says what to do instead.
    pub help: Option<String>,
    pub related: Vec<Related>,
    /// Set when an inline `# preflight:ignore:` comment covers the finding: its reason.
    pub suppressed: Option<String>,
    /// The base revision already had this finding (same rule, resource or file, and
    /// cause): the change did not introduce it. Hidden unless `--show-preexisting`; never
    /// fails the run (see `lint::preexisting`).
    pub preexisting: bool,
}

/// Line starts of one text, to turn byte offsets into 1-based lines and columns.
#[derive(Clone, Debug)]
pub struct LineIndex {
    line_starts: Vec<u32>,
    len: u32,
}

/// A resolved position. `line` and `column` are 1-based; `column` counts Unicode scalar
/// values; `byte_column` and `utf16_column` are 0-based offsets into the line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LineCol {
    pub line: u32,
    pub column: u32,
    pub byte_column: u32,
    pub utf16_column: u32,
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        let mut line_starts = vec![0];
        for (i, b) in text.bytes().enumerate() {
            if b == b'\n' {
                line_starts.push(i as u32 + 1);
            }
        }
        LineIndex {
            line_starts,
            len: text.len() as u32,
        }
    }

    /// 0-based line number holding byte `offset`.
    pub fn line_of(&self, offset: u32) -> usize {
        let offset = offset.min(self.len);
        match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        }
    }

    pub fn line_start(&self, line0: usize) -> u32 {
        self.line_starts[line0]
    }

    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }

    /// Resolve a byte offset of `text` (the same text this index was built from).
    pub fn line_col(&self, text: &str, offset: u32) -> LineCol {
        let offset = offset.min(self.len);
        let line0 = self.line_of(offset);
        let start = self.line_starts[line0] as usize;
        let mut end = offset as usize;
        while end > start && !text.is_char_boundary(end) {
            end -= 1;
        }
        let prefix = &text[start..end];
        LineCol {
            line: line0 as u32 + 1,
            column: prefix.chars().count() as u32 + 1,
            byte_column: (end - start) as u32,
            utf16_column: prefix.encode_utf16().count() as u32,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_characters_not_bytes() {
        let text = "a\nné $x\n";
        let idx = LineIndex::new(text);
        let off = text.find('$').unwrap() as u32;
        let lc = idx.line_col(text, off);
        assert_eq!(
            (lc.line, lc.column, lc.byte_column, lc.utf16_column),
            (2, 4, 4, 3)
        );
    }

    #[test]
    fn offset_at_end_is_clamped() {
        let text = "abc";
        let idx = LineIndex::new(text);
        assert_eq!(idx.line_col(text, 99).column, 4);
    }

    #[test]
    fn resource_keys_show_as_puppet_references() {
        assert_eq!(ResourceKey::new("file", "/x").to_string(), "File['/x']");
        assert_eq!(
            ResourceKey::new("apache::vhost", "a b").to_string(),
            "Apache::Vhost['a b']"
        );
        assert_eq!(ResourceKey::new("Class", "k8s").to_string(), "Class['k8s']");
    }

    #[test]
    fn astral_characters_take_two_utf16_units() {
        let text = "\u{1F600}x";
        let idx = LineIndex::new(text);
        let lc = idx.line_col(text, 4);
        assert_eq!((lc.column, lc.utf16_column), (2, 2));
    }
}

/// What the reporters and the CLI need to know of a rule (built from the rule registry).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RuleMeta {
    /// Kebab-case, stable: `link-over-binary`.
    pub name: &'static str,
    pub default_severity: Severity,
    /// One line: what the rule catches.
    pub summary: &'static str,
    /// The rule's documentation (markdown: What it does / Why is this bad? / …).
    pub doc: &'static str,
}
