//! The grammar checklist (`fixtures/grammar/{accept,reject}`, copied from the shared
//! checklist verified against Puppet 7.23): every accept file parses without error, every
//! reject file yields at least one syntax error.

use std::path::{Path, PathBuf};

use puppet_preflight::parser::parse;

fn files(sub: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/grammar")
        .join(sub);
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .expect("fixture dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "pp"))
        .collect();
    v.sort();
    v
}

#[test]
fn all_accept_files_parse() {
    let files = files("accept");
    assert_eq!(files.len(), 52);
    let mut bad = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).expect("utf-8");
        let p = parse(&text);
        if !p.errors.is_empty() {
            bad.push(format!("{}: {:?}", f.display(), p.errors));
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

#[test]
fn all_reject_files_fail() {
    let files = files("reject");
    assert_eq!(files.len(), 23);
    let mut bad = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).expect("utf-8");
        if parse(&text).errors.is_empty() {
            bad.push(f.display().to_string());
        }
    }
    assert!(bad.is_empty(), "accepted: {}", bad.join("\n"));
}
