//! `--format github`: GitHub Actions workflow commands, one annotation per finding:
//! `::error file=F,line=L,col=C,endLine=L2,endColumn=C2,title=T::MESSAGE`.
//!
//! Escaping as GitHub's runner decodes it: in the message `%`, CR and LF become `%25`,
//! `%0D`, `%0A`; property values additionally escape `:` and `,` (`%3A`, `%2C`).
//! Columns count characters, end exclusive; `endColumn` is sent only for one-line spans.
//! Info findings are `::notice`; suppressed findings are not annotated. A last `::notice`
//! line without a file carries the summary.

use std::fmt::Write;

use super::position::region;
use super::{message_with_help, ReportData};
use crate::diagnostic::Severity;

/// Escape workflow-command data (the part after `::`).
pub fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escape a workflow-command property value.
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

fn command(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "notice",
    }
}

pub fn render(data: &ReportData) -> String {
    let mut out = String::new();
    for ch in &data.changes {
        for f in ch.sorted_findings() {
            if f.suppressed.is_some() {
                continue;
            }
            let r = region(&ch.sources, &f.location);
            let mut props = format!("file={}", escape_property(&f.location.file));
            if r.known {
                let _ = write!(
                    props,
                    ",line={},col={},endLine={}",
                    r.start.line, r.start.column, r.end.line
                );
                if r.start.line == r.end.line {
                    let _ = write!(props, ",endColumn={}", r.end.column);
                }
            }
            let _ = write!(
                props,
                ",title={}",
                escape_property(&format!("{} {}", data.tool.name, f.rule))
            );
            let message = message_with_help(f, "\n");
            let _ = writeln!(
                out,
                "::{} {props}::{}",
                // Pre-existing findings are listed only as notices: they do not fail.
                if f.preexisting {
                    command(Severity::Info)
                } else {
                    command(f.severity)
                },
                escape_data(&message)
            );
        }
    }
    let _ = writeln!(
        out,
        "::notice title={}::{}",
        escape_property(&data.tool.name),
        escape_data(&data.counts().findings_phrase())
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_follows_the_runner() {
        assert_eq!(escape_data("100% a\r\nb: c, d"), "100%25 a%0D%0Ab: c, d");
        assert_eq!(escape_property("a:b,c%\n"), "a%3Ab%2Cc%25%0A");
    }
}
