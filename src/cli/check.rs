//! `puppet-preflight check`: read the change(s), then report.
//!
//! Until the parser, model and rules are wired in, the report is file-level: the
//! Puppet-relevant files each change touches, with status and kind changes.

use std::io::Write;

use serde::Serialize;

use crate::input::{self, Change, FileChange, InputArgs};

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Human,
    Json,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub input: InputArgs,

    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}

pub fn run(args: Args) -> miette::Result<i32> {
    let changes = input::load(&args.input)?;
    // Later: parse -> model -> change -> rules -> filter, per change.
    let text = match args.format {
        Format::Human => human(&changes, args.input.each.as_deref()),
        Format::Json => json_report(&changes, args.input.each.is_some()),
    };
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        // A closed pipe (`| head`) is the reader's choice, not a failure.
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            return Err(crate::error::Error::Io {
                path: "<stdout>".into(),
                source: e,
            }
            .into());
        }
    }
    Ok(0)
}

/// The Puppet-relevant files of a change, in report order.
fn relevant(change: &Change) -> Vec<&FileChange> {
    change
        .files
        .iter()
        .filter(|f| f.category().is_some())
        .collect()
}

fn side(label: &str, summary: Option<&str>) -> String {
    let short = if label.len() == 40 && label.bytes().all(|b| b.is_ascii_hexdigit()) {
        &label[..12]
    } else {
        label
    };
    match summary {
        Some(s) => format!("{short} ({s})"),
        None => short.to_string(),
    }
}

fn human(changes: &[Change], each: Option<&str>) -> String {
    let mut s = String::new();
    if changes.is_empty() {
        s.push_str(&format!("no commits in {}\n", each.unwrap_or("the range")));
    }
    for (i, c) in changes.iter().enumerate() {
        if i > 0 {
            s.push('\n');
        }
        s.push_str(&format!(
            "{} -> {}\n",
            side(&c.before.label, c.before.summary.as_deref()),
            side(&c.after.label, c.after.summary.as_deref())
        ));
        let files = relevant(c);
        for f in &files {
            let name = match (&f.old_path, &f.new_path) {
                (Some(old), Some(new)) if old != new => format!("{old} -> {new}"),
                _ => f.path().to_string(),
            };
            s.push_str(&format!("  {}  {name}", f.status.letter()));
            let mut extra = Vec::new();
            if let Some(sim) = f.similarity {
                extra.push(format!("{sim}% similar"));
            }
            if let Some(cat) = f.category() {
                extra.push(cat.as_str().to_string());
            }
            match (f.old_kind, f.new_kind) {
                (Some(o), Some(n)) if o != n => {
                    extra.push(format!("{} -> {}", o.as_str(), n.as_str()))
                }
                (None, Some(k)) | (Some(k), None) if k != input::EntryKind::File => {
                    extra.push(k.as_str().to_string())
                }
                _ => {}
            }
            if f.binary {
                extra.push("binary".into());
            }
            s.push_str(&format!("  [{}]\n", extra.join(", ")));
        }
        for note in &c.notes {
            s.push_str(&format!("  note: {note}\n"));
        }
        let other = c.files.len() - files.len();
        s.push_str(&format!(
            "{} Puppet-relevant file{} changed{}\n",
            files.len(),
            if files.len() == 1 { "" } else { "s" },
            if other > 0 {
                format!(
                    " ({other} other file{} not listed)",
                    if other == 1 { "" } else { "s" }
                )
            } else {
                String::new()
            }
        ));
    }
    s
}

/// The JSON report of one change (DESIGN.md's top-level shape, plus `files` and `notes`).
#[derive(Serialize)]
struct JsonReport<'a> {
    tool: JsonTool,
    base: &'a str,
    head: &'a str,
    base_summary: Option<&'a str>,
    head_summary: Option<&'a str>,
    findings: [(); 0],
    summary: JsonSummary,
    files: Vec<JsonFile<'a>>,
    notes: &'a [String],
}

#[derive(Serialize)]
struct JsonTool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct JsonSummary {
    /// Puppet-relevant files changed (the ones listed in `files`).
    files_changed: usize,
    other_files_changed: usize,
    errors: usize,
    warnings: usize,
    infos: usize,
}

#[derive(Serialize)]
struct JsonFile<'a> {
    path: &'a str,
    old_path: Option<&'a str>,
    status: &'static str,
    category: Option<&'static str>,
    old_kind: Option<&'static str>,
    new_kind: Option<&'static str>,
    binary: bool,
    similarity: Option<u8>,
}

fn json_change(c: &Change) -> JsonReport<'_> {
    let files: Vec<JsonFile<'_>> = relevant(c)
        .into_iter()
        .map(|f| JsonFile {
            path: f.path(),
            old_path: f.old_path.as_deref(),
            status: f.status.as_str(),
            category: f.category().map(|c| c.as_str()),
            old_kind: f.old_kind.map(|k| k.as_str()),
            new_kind: f.new_kind.map(|k| k.as_str()),
            binary: f.binary,
            similarity: f.similarity,
        })
        .collect();
    JsonReport {
        tool: JsonTool {
            name: "puppet-preflight",
            version: env!("CARGO_PKG_VERSION"),
        },
        base: &c.before.label,
        head: &c.after.label,
        base_summary: c.before.summary.as_deref(),
        head_summary: c.after.summary.as_deref(),
        findings: [],
        summary: JsonSummary {
            files_changed: files.len(),
            other_files_changed: c.files.len() - files.len(),
            errors: 0,
            warnings: 0,
            infos: 0,
        },
        files,
        notes: &c.notes,
    }
}

/// One object per change; `--each` prints an array of them (possibly empty).
fn json_report(changes: &[Change], each: bool) -> String {
    let reports: Vec<JsonReport<'_>> = changes.iter().map(json_change).collect();
    let text = if each {
        serde_json::to_string_pretty(&reports)
    } else {
        serde_json::to_string_pretty(&reports.first())
    };
    let mut s = text.unwrap_or_else(|_| "null".into());
    s.push('\n');
    s
}
