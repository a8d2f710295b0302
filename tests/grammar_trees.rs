//! The expected-tree corpus: `fixtures/grammar/trees/*.txt`, snippets with Puppet's own
//! tree (`>>> …`, produced by `grammar/tools/make-trees.py` with Puppet 7.23 as the oracle)
//! or Puppet's syntax error (`!!! …`). Trees are compared without whitespace, as Puppet's
//! dump lays long strings out over several lines.

use std::path::Path;

use puppet_preflight::parser::{parse, sexpr};

fn squash(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

/// (file, snippet, expectation line)
fn cases() -> Vec<(String, String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/grammar/trees");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("fixtures/grammar/trees exists")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .collect();
    files.sort();
    let mut out = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).expect("readable");
        let name = f.file_name().unwrap().to_string_lossy().to_string();
        for block in text.split("\n----\n") {
            let mut lines: Vec<&str> = block.split_inclusive('\n').collect();
            let idx = lines
                .iter()
                .rposition(|l| l.starts_with(">>> ") || l.starts_with("!!! "))
                .unwrap_or_else(|| panic!("{name}: block without >>> or !!!:\n{block}"));
            let expect = lines[idx].trim_end().to_string();
            lines.truncate(idx);
            out.push((name.clone(), lines.concat(), expect));
        }
    }
    out
}

#[test]
fn trees_match_puppet() {
    let cases = cases();
    assert!(cases.len() > 150, "the tree corpus is unexpectedly small");
    let mut failures = Vec::new();
    for (file, snippet, expect) in &cases {
        let parsed = parse(snippet);
        if let Some(tree) = expect.strip_prefix(">>> ") {
            if !parsed.errors.is_empty() {
                failures.push(format!(
                    "{file}: Puppet parses but we report {:?}\n{snippet}",
                    parsed.errors.iter().map(|e| &e.message).collect::<Vec<_>>()
                ));
                continue;
            }
            let mine = sexpr::program(&parsed.program);
            if squash(&mine) != squash(tree) {
                failures.push(format!(
                    "{file}: tree differs\n{snippet}\n  mine:   {mine}\n  puppet: {tree}"
                ));
            }
        } else if parsed.errors.is_empty() {
            failures.push(format!(
                "{file}: Puppet rejects ({}) but we accept\n{snippet}",
                &expect[4..]
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases fail:\n\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n\n")
    );
}
