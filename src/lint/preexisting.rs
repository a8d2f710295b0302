//! New versus pre-existing findings.
//!
//! `check` reports what a change introduces or makes worse. A finding the base revision
//! already had is *pre-existing*: [`find`] tells which, `check` sets [`Finding::preexisting`] on it, and the
//! reporters hide it (or, with `--show-preexisting`, list it marked); it never fails the
//! run.
//!
//! What the base revision has is found by running the same rules once more, on the base
//! revision as if everything in it were new ([`Change::base_as_new`]: the empty tree
//! against the base, every file added), reusing the base model of the real analysis. A
//! finding of the real change is pre-existing when that run has one with the same
//! *cause*:
//!
//! - the same rule;
//! - the same resource ([`Finding::resource`]) or, for a finding without one, the same
//!   file (its name before the change, when the change renamed it);
//! - the same message and related messages, with line and column numbers blanked;
//! - for a finding without a resource, also the same text on the line it points at, so a
//!   shifted line still matches and a new error with the same message elsewhere in the
//!   file does not;
//! - a syntax error on another line is still the base's when the base file did not
//!   parse either and has that line word for word: the change did not write it, the
//!   parser reaches it now that an earlier error is fixed (a change that fixes one of two
//!   errors leaves the file as broken as before). A syntax error on a line the change
//!   wrote is new, even in a file that was already broken (a failed fix);
//! - one base finding stands for one real finding: a second identical problem is new.
//!
//! Only after-side findings at warning level or above, not suppressed, of a
//! [`Kind::Check`](crate::rules::registry::Kind::Check) rule that does not judge a
//! transition ([`registry::judges_transition`]) can be pre-existing. The second run only
//! happens when the change has such a finding, and runs only their rules.

use std::collections::{BTreeSet, HashMap};

use crate::config::Config;
use crate::diagnostic::{Finding, LineIndex, Location, ResourceKey, Severity, Side};
use crate::input::Change;
use crate::rules::registry::{self, Kind};
use crate::rules::{Analysis, Selection};

/// Could `f` be pre-existing at all (before looking at the base revision)?
pub fn may_be_preexisting(f: &Finding) -> bool {
    f.suppressed.is_none()
        && f.location.side == Side::After
        && f.severity >= Severity::Warning
        && registry::lookup(f.rule).is_some_and(|r| r.kind == Kind::Check)
        && !registry::judges_transition(f.rule)
}

/// The findings of `change` (indices into `findings`) that its base revision already
/// had, running the rules on the base revision read as new when some finding could be
/// pre-existing. Consumes the change's analysis (its base model is reused).
pub fn find(
    findings: &[Finding],
    analysis: Analysis,
    change: &Change,
    config: &Config,
    selection: &Selection,
) -> Vec<usize> {
    let rules: BTreeSet<&'static str> = findings
        .iter()
        .filter(|f| may_be_preexisting(f))
        .map(|f| f.rule)
        .collect();
    if rules.is_empty() {
        crate::model::drop_off_thread(analysis);
        return Vec::new();
    }
    let base = change.base_as_new();
    let base_analysis = analysis.into_base_as_new(&base, config);
    let selection = selection.only(&rules);
    let cx = base_analysis.context(&base, config, &selection);
    let base_findings: Vec<Finding> = super::run(&cx)
        .into_iter()
        .filter(|f| f.suppressed.is_none() && rules.contains(f.rule))
        .collect();
    crate::model::drop_off_thread(base_analysis);
    match_base(findings, &base_findings, change, &base)
}

/// What makes two findings the same problem: rule, subject, normalised messages.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Key {
    rule: &'static str,
    subject: Subject,
    message: String,
    related: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Subject {
    Resource(ResourceKey),
    File(String),
}

/// The findings of `findings` (indices) that a finding of `base_findings` (from the run
/// on `base`, the base revision read as new) stands for, in order.
fn match_base(
    findings: &[Finding],
    base_findings: &[Finding],
    change: &Change,
    base: &Change,
) -> Vec<usize> {
    let renamed: HashMap<&str, &str> = change
        .files
        .iter()
        .filter_map(|f| Some((f.new_path.as_deref()?, f.old_path.as_deref()?)))
        .collect();
    // Base findings by key, each with the text of the line it points at.
    let mut base_lines = LineTexts::default();
    let mut pool: HashMap<Key, Vec<Option<String>>> = HashMap::new();
    for f in base_findings {
        let line = base_lines.get(base, &f.location);
        pool.entry(key(f, &f.location.file)).or_default().push(line);
    }
    let mut lines = LineTexts::default();
    let mut marked = Vec::new();
    // Same key and same line text first, so that a shifted finding takes its own base
    // finding and an identical new one elsewhere stays new.
    let mut pending = Vec::new();
    for (i, f) in findings.iter().enumerate() {
        if !may_be_preexisting(f) {
            continue;
        }
        let file = renamed
            .get(f.location.file.as_str())
            .copied()
            .unwrap_or(&f.location.file);
        let k = key(f, file);
        let Some(candidates) = pool.get_mut(&k) else {
            continue;
        };
        let line = lines.get(change, &f.location);
        match candidates.iter().position(|l| *l == line) {
            Some(j) => {
                candidates.swap_remove(j);
                pending.push((i, None));
            }
            None => {
                // A syntax error on a line the base file has word for word (a line the
                // change did not write) was there, hidden behind the base's first error.
                let untouched = k.rule == crate::rules::syntax_error::NAME
                    && line
                        .as_deref()
                        .is_some_and(|l| !l.is_empty() && base_lines.has_line(base, file, l));
                pending.push((i, Some((k, untouched))))
            }
        }
    }
    // Then findings about a resource whose line was edited (same resource, same message),
    // and syntax errors on untouched lines of a file that did not parse at the base either.
    for (i, k) in pending {
        let hide = match k {
            None => true,
            Some((k, untouched)) => {
                (matches!(k.subject, Subject::Resource(_)) || untouched)
                    && pool.get_mut(&k).and_then(|c| c.pop()).is_some()
            }
        };
        if hide {
            marked.push(i);
        }
    }
    marked.sort_unstable();
    marked
}

fn key(f: &Finding, file: &str) -> Key {
    let mut related: Vec<String> = f.related.iter().map(|r| normalize(&r.message)).collect();
    related.sort();
    // A syntax error is a property of its file (see the module's documentation).
    if f.rule == crate::rules::syntax_error::NAME {
        return Key {
            rule: f.rule,
            subject: Subject::File(file.to_string()),
            message: String::new(),
            related: Vec::new(),
        };
    }
    Key {
        rule: f.rule,
        subject: match &f.resource {
            Some(r) => Subject::Resource(r.clone()),
            None => Subject::File(file.to_string()),
        },
        message: normalize(&f.message),
        related,
    }
}

/// The message with line and column numbers blanked: digits after `:` (`site.pp:12:3`)
/// or after `line ` / `column ` / `byte `.
pub(crate) fn normalize(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut blank = false;
    for c in message.chars() {
        if c.is_ascii_digit() {
            if blank {
                continue;
            }
            if out.ends_with(':')
                || out.ends_with("line ")
                || out.ends_with("column ")
                || out.ends_with("byte ")
            {
                out.push('#');
                blank = true;
                continue;
            }
        } else {
            blank = false;
        }
        out.push(c);
    }
    out
}

/// The trimmed text of the line a location points at, per side and file of one change
/// (line indexes built once per file).
#[derive(Default)]
struct LineTexts {
    files: HashMap<(Side, String), Option<Text>>,
}

/// A file's text and its line index.
type Text = (std::sync::Arc<str>, LineIndex);

impl LineTexts {
    fn file(&mut self, change: &Change, side: Side, file: &str) -> Option<&Text> {
        self.files
            .entry((side, file.to_owned()))
            .or_insert_with(|| {
                let text: std::sync::Arc<str> = change.side(side).tree.text(file)?.into();
                let index = LineIndex::new(&text);
                Some((text, index))
            })
            .as_ref()
    }

    /// Whether `file` of the head side of `change` has a line whose trimmed text is `line`.
    fn has_line(&mut self, change: &Change, file: &str, line: &str) -> bool {
        self.file(change, Side::After, file)
            .is_some_and(|(text, _)| text.lines().any(|l| l.trim() == line))
    }

    fn get(&mut self, change: &Change, loc: &Location) -> Option<String> {
        let (text, index) = self.file(change, loc.side, &loc.file)?;
        let line0 = index.line_of(loc.span.start);
        let start = index.line_start(line0) as usize;
        let end = if line0 + 1 < index.line_count() {
            index.line_start(line0 + 1) as usize
        } else {
            text.len()
        };
        text.get(start..end).map(|l| l.trim().to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::{may_be_preexisting, normalize};
    use crate::diagnostic::{Finding, Location, Severity, Side};

    fn f(rule: &'static str, severity: Severity, side: Side) -> Finding {
        Finding {
            rule,
            severity,
            location: Location {
                side,
                file: "manifests/site.pp".into(),
                span: Default::default(),
            },
            resource: None,
            message: "m".into(),
            help: None,
            related: Vec::new(),
            suppressed: None,
            preexisting: false,
        }
    }

    #[test]
    fn only_state_findings_of_the_after_side_can_be_preexisting() {
        use Severity::*;
        assert!(may_be_preexisting(&f("syntax-error", Error, Side::After)));
        assert!(may_be_preexisting(&f(
            "link-target-unmanaged",
            Warning,
            Side::After
        )));
        assert!(!may_be_preexisting(&f("syntax-error", Error, Side::Before)));
        assert!(!may_be_preexisting(&f("syntax-error", Info, Side::After)));
        for rule in [
            "internal-error",
            "incomplete-input",
            "unused-suppression",
            "invalid-suppression",
            "unsafe-revert",
            "link-reversed",
            "service-binary-relinked",
            "service-binary-missing",
            "restart-before-binary",
            "binary-without-backup",
        ] {
            assert!(!may_be_preexisting(&f(rule, Error, Side::After)), "{rule}");
        }
        let mut suppressed = f("syntax-error", Error, Side::After);
        suppressed.suppressed = Some("known".into());
        assert!(!may_be_preexisting(&suppressed));
    }

    #[test]
    fn normalize_blanks_positions_only() {
        assert_eq!(
            normalize("declared at manifests/site.pp:12:3 with mode 0644"),
            "declared at manifests/site.pp:#:# with mode 0644"
        );
        assert_eq!(normalize("on line 7, column 12"), "on line #, column #");
    }
}
