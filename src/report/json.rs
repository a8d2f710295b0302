//! `--format json`: the document the README describes (fields may be added, never renamed).
//!
//! Additions to the contract: each finding has `side` (`after`, or `before` for what a
//! change removes) and, when an inline comment silences it, `suppressed` (the reason);
//! related locations have `side` and `column`; `summary` has `suppressed` and `preexisting`
//! (findings the base revision already had: not listed, unless `--show-preexisting`
//! lists them with `"preexisting": true`) and `puppet` (the Puppet version the head
//! revision was judged by, and why). With `--each`
//! (several commits) each finding also names its `commit`, and a `commits` list gives each
//! commit's base, head, title, summary and configuration. `effects` lists what the change
//! does on the hosts when the model provided it; `configuration` says which configuration
//! was used (the file and the revision it was read from, `--config`, or the defaults).

use serde::Serialize;

use super::position::region;
use super::{ChangeReport, Counts, Effect, ReportData};
use crate::diagnostic::{Finding, Side};

#[derive(Serialize)]
struct Doc<'a> {
    tool: ToolJson<'a>,
    base: &'a str,
    head: &'a str,
    findings: Vec<FindingJson<'a>>,
    summary: SummaryJson,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    commits: Vec<CommitJson<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    effects: Vec<EffectJson<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    configuration: Option<&'a str>,
}

#[derive(Serialize)]
struct ToolJson<'a> {
    name: &'a str,
    version: &'a str,
}

#[derive(Serialize)]
struct FindingJson<'a> {
    rule: &'a str,
    severity: &'a str,
    file: &'a str,
    side: Side,
    line: u32,
    column: u32,
    end_line: u32,
    end_column: u32,
    resource: Option<String>,
    message: &'a str,
    help: Option<&'a str>,
    related: Vec<RelatedJson<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    suppressed: Option<&'a str>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    preexisting: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    commit: Option<&'a str>,
}

#[derive(Serialize)]
struct RelatedJson<'a> {
    file: &'a str,
    side: Side,
    line: u32,
    column: u32,
    message: &'a str,
}

#[derive(Serialize)]
struct SummaryJson {
    files_changed: usize,
    manifests_parsed: usize,
    errors: usize,
    warnings: usize,
    infos: usize,
    suppressed: usize,
    preexisting: usize,
    /// The Puppet the (last) head revision was judged by, and why.
    #[serde(skip_serializing_if = "Option::is_none")]
    puppet: Option<String>,
}

impl SummaryJson {
    fn with_puppet(mut self, ch: Option<&ChangeReport>) -> Self {
        self.puppet = ch.and_then(|c| c.puppet.clone());
        self
    }
}

impl From<Counts> for SummaryJson {
    fn from(c: Counts) -> Self {
        SummaryJson {
            files_changed: c.files_changed,
            manifests_parsed: c.manifests_parsed,
            errors: c.errors,
            warnings: c.warnings,
            infos: c.infos,
            suppressed: c.suppressed,
            preexisting: c.preexisting,
            puppet: None,
        }
    }
}

#[derive(Serialize)]
struct CommitJson<'a> {
    base: &'a str,
    head: &'a str,
    title: Option<&'a str>,
    summary: SummaryJson,
    #[serde(skip_serializing_if = "Option::is_none")]
    configuration: Option<&'a str>,
}

#[derive(Serialize)]
struct EffectJson<'a> {
    kind: &'a str,
    subject: &'a str,
    detail: Option<&'a str>,
    file: Option<&'a str>,
    line: Option<u32>,
}

fn finding<'a>(ch: &'a ChangeReport, f: &'a Finding, commit: Option<&'a str>) -> FindingJson<'a> {
    let r = region(&ch.sources, &f.location);
    FindingJson {
        rule: f.rule,
        severity: f.severity.as_str(),
        file: &f.location.file,
        side: f.location.side,
        line: r.start.line,
        column: r.start.column,
        end_line: r.end.line,
        end_column: r.end.column,
        resource: f.resource.as_ref().map(ToString::to_string),
        message: &f.message,
        help: f.help.as_deref(),
        related: f
            .related
            .iter()
            .map(|rel| {
                let rr = region(&ch.sources, &rel.location);
                RelatedJson {
                    file: &rel.location.file,
                    side: rel.location.side,
                    line: rr.start.line,
                    column: rr.start.column,
                    message: &rel.message,
                }
            })
            .collect(),
        suppressed: f.suppressed.as_deref(),
        preexisting: f.preexisting,
        commit,
    }
}

fn effect<'a>(ch: &'a ChangeReport, e: &'a Effect) -> EffectJson<'a> {
    EffectJson {
        kind: e.kind.as_str(),
        subject: &e.subject,
        detail: e.detail.as_deref(),
        file: e.location.as_ref().map(|l| l.file.as_str()),
        line: e
            .location
            .as_ref()
            .map(|l| region(&ch.sources, l).start.line),
    }
}

/// Render the JSON document (pretty-printed, ending with a newline).
pub fn render(data: &ReportData) -> String {
    let several = data.changes.len() > 1;
    let doc = Doc {
        tool: ToolJson {
            name: &data.tool.name,
            version: &data.tool.version,
        },
        base: data.base(),
        head: data.head(),
        findings: data
            .changes
            .iter()
            .flat_map(|ch| {
                let commit = several.then_some(ch.head.as_str());
                ch.sorted_findings()
                    .into_iter()
                    .map(move |f| finding(ch, f, commit))
            })
            .collect(),
        summary: SummaryJson::from(data.counts()).with_puppet(data.changes.last()),
        commits: if several {
            data.changes
                .iter()
                .map(|ch| CommitJson {
                    base: &ch.base,
                    head: &ch.head,
                    title: ch.title.as_deref(),
                    summary: SummaryJson::from(ch.counts()).with_puppet(Some(ch)),
                    configuration: ch.configuration.as_deref(),
                })
                .collect()
        } else {
            Vec::new()
        },
        effects: data
            .changes
            .iter()
            .flat_map(|ch| ch.effects.iter().map(move |e| effect(ch, e)))
            .collect(),
        // The last change's: with `--each`, each commit's is in `commits`.
        configuration: data
            .changes
            .last()
            .and_then(|ch| ch.configuration.as_deref()),
    };
    // Serialising plain structs of strings and numbers cannot fail.
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_default();
    s.push('\n');
    s
}
