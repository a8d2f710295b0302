//! `--format checkstyle`: Checkstyle 4.3 XML, as Jenkins warnings-ng reads it.
//!
//! One `<file>` per file with findings, one `<error>` per unsuppressed finding. `source` is
//! `puppet-preflight.<rule>`: warnings-ng takes the text after the last dot as the issue
//! type (the rule) and the segment before it as the category. Suppressed findings are left
//! out (checkstyle has no way to mark them). The message includes the resource and help.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::position::region;
use super::xml::escape;
use super::{message_with_help, ReportData};

pub fn render(data: &ReportData) -> String {
    // file -> lines, in (file, position) order across all commits.
    let mut files: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for ch in &data.changes {
        for f in ch.sorted_findings() {
            if f.suppressed.is_some() {
                continue;
            }
            let r = region(&ch.sources, &f.location);
            let message = message_with_help(f, " Help: ");
            let mut line = format!("    <error line=\"{}\"", r.start.line);
            if r.known {
                let _ = write!(line, " column=\"{}\"", r.start.column);
            }
            let _ = write!(
                line,
                " severity=\"{}\" message=\"{}\" source=\"{}.{}\"/>",
                f.severity.as_str(),
                escape(&message),
                escape(&data.tool.name),
                escape(f.rule)
            );
            files
                .entry(f.location.file.as_str())
                .or_default()
                .push(line);
        }
    }
    let mut out =
        String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<checkstyle version=\"4.3\">\n");
    for (file, errors) in files {
        let _ = writeln!(out, "  <file name=\"{}\">", escape(file));
        for e in errors {
            out.push_str(&e);
            out.push('\n');
        }
        out.push_str("  </file>\n");
    }
    out.push_str("</checkstyle>\n");
    out
}
