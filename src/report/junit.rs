//! `--format junit`: JUnit XML for Jenkins' JUnit/xunit publishers and GitLab.
//!
//! One `<testsuite>` per checked change (one per commit with `--each`). Inside it, one
//! `<testcase>` per rule per file (`name` = rule, `classname` = the path in dotted form,
//! `file` = the path). A case holds one `<failure>` listing all its findings when any of
//! them is at or above `--fail-level` — so JUnit fails exactly when the exit status does.
//! A case whose findings are all below the level passes and lists them in `<system-out>`;
//! one whose findings are all suppressed is `<skipped>`. Every changed file without a
//! finding gets a passing case, and a run with nothing at all gets one passing case, so
//! Jenkins always shows a test.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::position::region;
use super::xml::{escape, escape_text};
use super::{fails_at, ChangeReport, ReportData};
use crate::diagnostic::{Finding, Side};

enum Outcome {
    Pass,
    Fail { kind: String, message: String },
    Skipped(String),
}

struct Case {
    name: String,
    classname: String,
    file: Option<String>,
    outcome: Outcome,
    body: String,
}

/// `modules/k8s/manifests/init.pp` -> `puppet-preflight.modules.k8s.manifests.init_pp`
/// (JUnit viewers split class names on dots into packages).
fn classname(tool: &str, path: &str) -> String {
    let dotted: Vec<String> = path.split('/').map(|seg| seg.replace('.', "_")).collect();
    format!("{tool}.{}", dotted.join("."))
}

fn finding_line(ch: &ChangeReport, f: &Finding) -> String {
    let r = region(&ch.sources, &f.location);
    let mut s = format!(
        "{}:{}:{}: {}: [{}] {}",
        f.location.file, r.start.line, r.start.column, f.severity, f.rule, f.message
    );
    if f.location.side == Side::Before {
        s.push_str(" (before the change)");
    }
    if f.preexisting {
        s.push_str(super::PREEXISTING_NOTE);
    }
    if let Some(help) = &f.help {
        let _ = write!(s, "\n  help: {help}");
    }
    for rel in &f.related {
        let rr = region(&ch.sources, &rel.location);
        let _ = write!(
            s,
            "\n  note: {}:{}: {}",
            rel.location.file, rr.start.line, rel.message
        );
    }
    if let Some(reason) = &f.suppressed {
        let _ = write!(s, "\n  suppressed: {reason}");
    }
    s
}

fn cases(data: &ReportData, ch: &ChangeReport) -> Vec<Case> {
    let tool = &data.tool.name;
    let mut groups: BTreeMap<(&str, &str), Vec<&Finding>> = BTreeMap::new();
    for f in ch.sorted_findings() {
        groups
            .entry((f.location.file.as_str(), f.rule))
            .or_default()
            .push(f);
    }
    let mut out = Vec::new();
    for ((file, rule), findings) in &groups {
        let body: Vec<String> = findings.iter().map(|f| finding_line(ch, f)).collect();
        let failing: Vec<&&Finding> = findings
            .iter()
            .filter(|f| fails_at(f, data.fail_level))
            .collect();
        let outcome = if let Some(first) = failing.first() {
            Outcome::Fail {
                kind: first.severity.to_string(),
                message: first.message.clone(),
            }
        } else if findings.iter().all(|f| f.preexisting) {
            Outcome::Skipped("pre-existing: the base revision already had it".to_string())
        } else if findings.iter().all(|f| f.suppressed.is_some()) {
            let reason = findings[0].suppressed.clone().unwrap_or_default();
            Outcome::Skipped(if reason.is_empty() {
                "suppressed".to_string()
            } else {
                format!("suppressed: {reason}")
            })
        } else {
            Outcome::Pass
        };
        out.push(Case {
            name: rule.to_string(),
            classname: classname(tool, file),
            file: Some(file.to_string()),
            outcome,
            body: body.join("\n"),
        });
    }
    for cf in &ch.files {
        if !groups.keys().any(|(file, _)| *file == cf.path) {
            out.push(Case {
                name: "no findings".into(),
                classname: classname(tool, &cf.path),
                file: Some(cf.path.clone()),
                outcome: Outcome::Pass,
                body: String::new(),
            });
        }
    }
    if out.is_empty() {
        out.push(Case {
            name: "no findings".into(),
            classname: tool.to_string(),
            file: None,
            outcome: Outcome::Pass,
            body: String::new(),
        });
    }
    out
}

fn suite_name(data: &ReportData, ch: &ChangeReport) -> String {
    if data.changes.len() <= 1 {
        return data.tool.name.clone();
    }
    let short: String = ch.head.chars().take(12).collect();
    match &ch.title {
        Some(t) => format!("{} {short} {t}", data.tool.name),
        None => format!("{} {short}", data.tool.name),
    }
}

fn counts(cases: &[Case]) -> (usize, usize, usize) {
    let failures = cases
        .iter()
        .filter(|c| matches!(c.outcome, Outcome::Fail { .. }))
        .count();
    let skipped = cases
        .iter()
        .filter(|c| matches!(c.outcome, Outcome::Skipped(_)))
        .count();
    (cases.len(), failures, skipped)
}

pub fn render(data: &ReportData) -> String {
    let mut suites: Vec<(String, Vec<Case>)> = data
        .changes
        .iter()
        .map(|ch| (suite_name(data, ch), cases(data, ch)))
        .collect();
    if suites.is_empty() {
        // Nothing was checked (an empty `--each` range): still one passing test.
        suites.push((
            data.tool.name.clone(),
            cases(data, &ChangeReport::default()),
        ));
    }
    let (mut tests, mut failures, mut skipped) = (0, 0, 0);
    for (_, cs) in &suites {
        let (t, f, s) = counts(cs);
        tests += t;
        failures += f;
        skipped += s;
    }
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"{}\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" skipped=\"{skipped}\">",
        escape(&data.tool.name)
    );
    for (name, cs) in &suites {
        let (t, f, s) = counts(cs);
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{t}\" failures=\"{f}\" errors=\"0\" skipped=\"{s}\">",
            escape(name)
        );
        for c in cs {
            let _ = write!(
                out,
                "    <testcase name=\"{}\" classname=\"{}\"",
                escape(&c.name),
                escape(&c.classname)
            );
            if let Some(file) = &c.file {
                let _ = write!(out, " file=\"{}\"", escape(file));
            }
            let body = escape_text(&c.body);
            match &c.outcome {
                Outcome::Pass if c.body.is_empty() => out.push_str("/>\n"),
                Outcome::Pass => {
                    let _ = writeln!(
                        out,
                        ">\n      <system-out>{body}</system-out>\n    </testcase>"
                    );
                }
                Outcome::Fail { kind, message } => {
                    let _ = writeln!(
                        out,
                        ">\n      <failure type=\"{}\" message=\"{}\">{body}</failure>\n    </testcase>",
                        escape(kind),
                        escape(message)
                    );
                }
                Outcome::Skipped(msg) => {
                    let _ = writeln!(
                        out,
                        ">\n      <skipped message=\"{}\"/>\n      <system-out>{body}</system-out>\n    </testcase>",
                        escape(msg)
                    );
                }
            }
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}
