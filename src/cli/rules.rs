//! `puppet-preflight rules`: every rule with its default severity and one line.

use std::io::Write;

use serde::Serialize;

use crate::rules::registry::{self, Kind};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
}

#[derive(Serialize)]
struct Row {
    name: &'static str,
    default_severity: &'static str,
    summary: &'static str,
    /// `check` for the hazard rules, `meta` for findings about suppression comments.
    kind: &'static str,
    implemented: bool,
}

pub fn run(args: Args) -> miette::Result<i32> {
    let text = match args.format {
        Format::Text => render_text(),
        Format::Json => render_json(),
    };
    super::print_stdout(&text)?;
    Ok(0)
}

/// The table printed by `rules`.
pub fn render_text() -> String {
    let width = registry::rules()
        .iter()
        .map(|r| r.name.len())
        .max()
        .unwrap_or(0);
    let mut out = Vec::new();
    let mut last_kind = Kind::Check;
    for r in registry::rules() {
        if r.kind != last_kind {
            let heading = match r.kind {
                Kind::Check => "",
                Kind::Meta => "findings about suppression comments:",
                Kind::Tool => "findings about the run itself:",
            };
            let _ = writeln!(out, "\n{heading}");
            last_kind = r.kind;
        }
        let note = if r.implemented() {
            ""
        } else {
            " (not implemented yet)"
        };
        let _ = writeln!(
            out,
            "{:<width$}  {:<7}  {}{}",
            r.name,
            r.default_severity.as_str(),
            r.summary,
            note
        );
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The JSON list printed by `rules --format json`.
pub fn render_json() -> String {
    let rows: Vec<Row> = registry::rules()
        .iter()
        .map(|r| Row {
            name: r.name,
            default_severity: r.default_severity.as_str(),
            summary: r.summary,
            kind: match r.kind {
                Kind::Check => "check",
                Kind::Meta => "meta",
                Kind::Tool => "tool",
            },
            implemented: r.implemented(),
        })
        .collect();
    serde_json::to_string_pretty(&rows).unwrap_or_else(|_| "[]".into()) + "\n"
}
