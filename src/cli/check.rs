//! `puppet-preflight check`: read the change(s), then report.
//!
//! Until the parser, model and rules are wired in, the report is file-level: the
//! Puppet-relevant files each change touches, with status and kind changes.

use std::io::Write;

use serde_json::{json, Value};

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

fn json_change(c: &Change) -> Value {
    let files = relevant(c);
    let list: Vec<Value> = files
        .iter()
        .map(|f| {
            json!({
                "path": f.path(),
                "old_path": f.old_path,
                "status": f.status.as_str(),
                "category": f.category().map(|c| c.as_str()),
                "old_kind": f.old_kind.map(|k| k.as_str()),
                "new_kind": f.new_kind.map(|k| k.as_str()),
                "binary": f.binary,
                "similarity": f.similarity,
            })
        })
        .collect();
    json!({
        "tool": {"name": "puppet-preflight", "version": env!("CARGO_PKG_VERSION")},
        "base": c.before.label,
        "head": c.after.label,
        "base_summary": c.before.summary,
        "head_summary": c.after.summary,
        "findings": [],
        "files": list,
        "notes": c.notes,
        "summary": {
            "files_changed": files.len(),
            "other_files_changed": c.files.len() - files.len(),
            "errors": 0,
            "warnings": 0,
            "infos": 0,
        },
    })
}

/// One object per change; `--each` prints an array of them (possibly empty).
fn json_report(changes: &[Change], each: bool) -> String {
    let value = if each {
        Value::Array(changes.iter().map(json_change).collect())
    } else {
        changes.first().map(json_change).unwrap_or(Value::Null)
    };
    let mut s = serde_json::to_string_pretty(&value).unwrap_or_else(|_| "null".into());
    s.push('\n');
    s
}
