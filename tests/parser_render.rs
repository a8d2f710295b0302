//! Snapshots of rendered syntax errors (miette, no colour, 80 columns): the source
//! snippet, the label on the error, the secondary label on the unclosed opener.
//! `fixtures/grammar/render/NAME.pp` is rendered and compared with `NAME.txt`; set
//! `UPDATE_SNAPSHOTS=1` to rewrite the snapshots after a deliberate change.

use std::path::Path;

use miette::{GraphicalReportHandler, GraphicalTheme};
use puppet_preflight::parser::{parse, SyntaxDiagnostic};

fn render(name: &str, src: &str) -> String {
    let handler =
        GraphicalReportHandler::new_themed(GraphicalTheme::unicode_nocolor()).with_width(80);
    let mut out = String::new();
    for e in parse(src).errors {
        let d = SyntaxDiagnostic::new(name, src, e);
        handler.render_report(&mut out, &d).expect("render");
    }
    out
}

#[test]
fn rendered_errors_match_snapshots() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/grammar/render");
    let mut inputs: Vec<_> = std::fs::read_dir(&dir)
        .expect("render fixtures")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "pp"))
        .collect();
    inputs.sort();
    assert!(!inputs.is_empty());
    let update = std::env::var_os("UPDATE_SNAPSHOTS").is_some();
    let mut failures = Vec::new();
    for input in inputs {
        let src = std::fs::read_to_string(&input).expect("utf-8");
        let name = input.file_name().unwrap().to_string_lossy().to_string();
        let got = render(&name, &src);
        let snap = input.with_extension("txt");
        if update {
            std::fs::write(&snap, &got).expect("write snapshot");
            continue;
        }
        let want = std::fs::read_to_string(&snap).unwrap_or_default();
        if got != want {
            failures.push(format!("{name}:\n--- expected\n{want}\n--- got\n{got}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
