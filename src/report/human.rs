//! `--format human` (the default): miette's graphical reports with source snippets.
//!
//! Each unsuppressed finding is one report: the rule as its code, the severity in words
//! and the message (`× error: …`, `⚠ warning: …`), the
//! primary label on the finding's span (naming the resource), secondary labels for related
//! locations in the same file and side, and related locations elsewhere as nested advice
//! with their own snippet. With `--summary` a plain-words list of what the change does on
//! the hosts comes first. One summary line ends the output. Without colour (not a
//! terminal, `NO_COLOR`, `--color never`) the theme is monochrome unicode; the width is
//! fixed and messages are not wrapped, so the output is the same everywhere.

use std::fmt::{self, Write};
use std::sync::Arc;

use miette::{
    Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError,
    MietteSpanContents, SourceCode, SourceSpan, SpanContents,
};

use super::position::{region, resolve_with};
use super::{ChangeReport, Counts, Effect, ReportData};
use crate::diagnostic::{Finding, Location, Severity, Side};

/// The width the human output wraps at.
pub const WIDTH: usize = 100;

/// How to render.
#[derive(Clone, Copy, Debug, Default)]
pub struct HumanOptions {
    pub color: bool,
    pub summary: bool,
    /// `--quiet`: the findings only (no configuration or summary lines).
    pub quiet: bool,
}

/// One rendered report: a finding, or (as `related`) a note on another file.
#[derive(Debug)]
struct FindingDiagnostic {
    message: String,
    code: Option<String>,
    severity: miette::Severity,
    help: Option<String>,
    source: Option<PositionedSource>,
    labels: Vec<LabeledSpan>,
    related: Vec<FindingDiagnostic>,
}

impl fmt::Display for FindingDiagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}
impl std::error::Error for FindingDiagnostic {}

impl Diagnostic for FindingDiagnostic {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.code
            .as_ref()
            .map(|c| Box::new(c) as Box<dyn fmt::Display>)
    }
    fn severity(&self) -> Option<miette::Severity> {
        Some(self.severity)
    }
    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }
    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.source.as_ref().map(|s| s as &dyn SourceCode)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        if self.source.is_none() || self.labels.is_empty() {
            return None;
        }
        Some(Box::new(self.labels.iter().cloned()))
    }
    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn Diagnostic> + 'a>> {
        if self.related.is_empty() {
            return None;
        }
        Some(Box::new(self.related.iter().map(|d| d as &dyn Diagnostic)))
    }
}

fn source_name(loc: &Location) -> String {
    match loc.side {
        Side::After => escape_controls(&loc.file),
        Side::Before => format!("{} (before the change)", escape_controls(&loc.file)),
    }
}

/// A file's text for miette, whose every snippet is headed with its own position:
/// `path:line:column` of the label the snippet is drawn for (miette asks the source for
/// the name of the span of a snippet's first label), columns in characters as in every
/// other format. miette's own header position is turned off: it counts differently, and
/// it would repeat the finding's position over a snippet of other lines.
#[derive(Debug)]
struct PositionedSource {
    name: String,
    text: Arc<str>,
    index: crate::diagnostic::LineIndex,
}

impl SourceCode for PositionedSource {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let inner = (*self.text).read_span(span, context_lines_before, context_lines_after)?;
        let offset = u32::try_from(span.offset()).unwrap_or(u32::MAX);
        let at = resolve_with(&self.text, &self.index, offset, offset).start;
        Ok(Box::new(MietteSpanContents::new_named(
            format!("{}:{}:{}", self.name, at.line, at.column),
            inner.data(),
            *inner.span(),
            inner.line(),
            inner.column(),
            inner.line_count(),
        )))
    }
}

/// The snippet source of the file `loc` points into, when its text is known.
fn named_source(ch: &ChangeReport, loc: &Location) -> Option<PositionedSource> {
    ch.sources
        .file(loc.side, &loc.file)
        .map(|f| PositionedSource {
            name: source_name(loc),
            text: f.text.clone(),
            index: f.index.clone(),
        })
}

/// A span miette can draw: clamped to the text, at least as long as one character.
fn span_for(ch: &ChangeReport, loc: &Location) -> (usize, usize) {
    let len = ch.sources.get(loc.side, &loc.file).map_or(0, |t| t.len());
    let start = (loc.span.start as usize).min(len);
    let end = (loc.span.end as usize).clamp(start, len);
    (start, end - start)
}

fn miette_severity(s: Severity) -> miette::Severity {
    match s {
        Severity::Error => miette::Severity::Error,
        Severity::Warning => miette::Severity::Warning,
        Severity::Info => miette::Severity::Advice,
    }
}

fn diagnostic(ch: &ChangeReport, f: &Finding) -> FindingDiagnostic {
    let source = named_source(ch, &f.location);
    let mut labels = vec![LabeledSpan::new_primary_with_span(
        Some(
            f.resource
                .as_ref()
                .map_or_else(|| "here".to_string(), ToString::to_string),
        ),
        span_for(ch, &f.location),
    )];
    let mut related = Vec::new();
    for rel in &f.related {
        let same = rel.location.file == f.location.file && rel.location.side == f.location.side;
        if same && source.is_some() {
            labels.push(LabeledSpan::new_with_span(
                Some(rel.message.clone()),
                span_for(ch, &rel.location),
            ));
        } else {
            // Without the file's text there is no snippet: name the file in the note.
            let message = if ch
                .sources
                .get(rel.location.side, &rel.location.file)
                .is_some()
            {
                rel.message.clone()
            } else {
                format!("{}: {}", source_name(&rel.location), rel.message)
            };
            related.push(FindingDiagnostic {
                message,
                code: None,
                severity: miette::Severity::Advice,
                help: None,
                related: Vec::new(),
                source: named_source(ch, &rel.location),
                labels: vec![LabeledSpan::new_primary_with_span(
                    None,
                    span_for(ch, &rel.location),
                )],
            });
        }
    }
    let mut message = if source.is_some() {
        f.message.clone()
    } else {
        // No snippet to show: name the file in the message itself.
        format!("{}: {}", source_name(&f.location), f.message)
    };
    if f.preexisting {
        message.push_str(super::PREEXISTING_NOTE);
    }
    // The severity in words, not only as miette's sign (`×`, `⚠`, `☞`).
    let message = format!("{}: {message}", f.severity.as_str());
    FindingDiagnostic {
        message: escape_controls(&message),
        code: Some(f.rule.to_string()),
        severity: miette_severity(f.severity),
        help: f.help.as_deref().map(escape_controls),
        source,
        labels,
        related,
    }
}

fn handler(color: bool) -> GraphicalReportHandler {
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    GraphicalReportHandler::new_themed(theme)
        .with_width(WIDTH)
        .with_links(false)
        .with_context_lines(1)
        .without_primary_span_start()
        // No wrapping of messages: miette's Unicode line breaking splits paths after `/`,
        // which makes a path in a message or help wrong when copied. Terminals wrap.
        .with_wrap_lines(false)
        .with_show_related_as_nested(true)
}

pub(super) fn summary_line(name: &str, c: &Counts) -> String {
    format!(
        "{name}: {}; {} file{} changed, {} manifest{} parsed",
        c.findings_phrase(),
        c.files_changed,
        if c.files_changed == 1 { "" } else { "s" },
        c.manifests_parsed,
        if c.manifests_parsed == 1 { "" } else { "s" },
    )
}

fn effects(out: &mut String, ch: &ChangeReport) {
    if let Some(p) = &ch.puppet {
        let _ = writeln!(out, "Judged as {p}.");
    }
    out.push_str("What this change does on the hosts:\n");
    if ch.effects.is_empty() {
        out.push_str("  ");
        out.push_str(NO_EFFECTS);
        out.push('\n');
    }
    for e in &ch.effects {
        let _ = writeln!(out, "  - {}", effect_line(ch, e));
    }
    out.push('\n');
}

/// What `--summary` says when the model recognises no effect.
pub const NO_EFFECTS: &str =
    "nothing the model recognises (no links, binaries, services or packages change)";

/// One effect of `--summary` in words: `link created: /x (/x -> /y) [file.pp:9]`.
pub fn effect_line(ch: &ChangeReport, e: &Effect) -> String {
    let mut out = format!("{}: {}", e.kind.label(), e.subject);
    if let Some(d) = &e.detail {
        let _ = write!(out, " ({d})");
    }
    if let Some(loc) = &e.location {
        let r = region(&ch.sources, loc);
        if r.known {
            let _ = write!(out, " [{}:{}]", source_name(loc), r.start.line);
        } else {
            let _ = write!(out, " [{}]", source_name(loc));
        }
    }
    out
}

/// One finding as the colourless human output draws it: message, snippets, help.
pub fn render_finding(ch: &ChangeReport, f: &Finding) -> String {
    let mut out = String::new();
    if handler(false)
        .render_report(&mut out, &diagnostic(ch, f))
        .is_err()
    {
        out = format!("{}: {}\n", f.rule, f.message);
    }
    escape_controls(&out)
}

/// Render the whole human report.
pub fn render(data: &ReportData, opts: HumanOptions) -> String {
    let out = render_raw(data, opts);
    if opts.color {
        out
    } else {
        escape_controls(&out)
    }
}

/// Control characters other than newline and tab, shown escaped (`\u{1b}`): file names,
/// titles and file content come from the change under review and must not drive the
/// reader's terminal (an OSC sequence can set its title, a CSI sequence hide text).
pub fn escape_controls(s: &str) -> String {
    if !s.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if c.is_control() && c != '\n' && c != '\t' {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

fn render_raw(data: &ReportData, opts: HumanOptions) -> String {
    let h = handler(opts.color);
    let several = data.changes.len() > 1;
    let mut out = String::new();
    for ch in &data.changes {
        if several {
            let _ = writeln!(
                out,
                "== {}..{}{}",
                ch.base,
                ch.head,
                ch.title
                    .as_ref()
                    .map(|t| format!(" {t}"))
                    .unwrap_or_default()
            );
        }
        if opts.summary {
            effects(&mut out, ch);
        }
        for f in ch.sorted_findings() {
            if f.suppressed.is_some() {
                continue;
            }
            let d = diagnostic(ch, f);
            if h.render_report(&mut out, &d).is_err() {
                let _ = writeln!(out, "{}: {}", f.rule, f.message);
            }
            out.push('\n');
        }
        if several && !opts.quiet {
            if let Some(c) = &ch.configuration {
                let _ = writeln!(out, "configuration: {}", escape_controls(c));
            }
            let _ = writeln!(out, "{}\n", summary_line(&data.tool.name, &ch.counts()));
        }
    }
    if opts.quiet {
        return out;
    }
    if !several {
        if let Some(c) = data
            .changes
            .first()
            .and_then(|ch| ch.configuration.as_ref())
        {
            let _ = writeln!(out, "configuration: {}", escape_controls(c));
        }
    }
    let mut last = summary_line(&data.tool.name, &data.counts());
    if several {
        last.push_str(&format!(" in {} commits", data.changes.len()));
    }
    out.push_str(&last);
    out.push('\n');
    out
}
