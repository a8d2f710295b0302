//! The Debian corpus check: every `.pp` file under `$PREFLIGHT_CORPUS` (fetched by
//! `scripts/fetch-corpus.sh`) parses with zero errors, except exactly the files listed in
//! `corpus/expected-rejections.txt` (those `puppet parser validate` rejects), which must
//! fail at the line Puppet names. Skipped, with a message, when the variable is not set.

mod corpus_env;

use std::collections::BTreeMap;
use std::path::Path;

use puppet_preflight::diagnostic::LineIndex;
use puppet_preflight::parser::parse;
use rayon::prelude::*;

#[test]
#[cfg_attr(
    not(preflight_corpus),
    ignore = "needs the Debian corpus: set PREFLIGHT_CORPUS"
)]
fn debian_corpus_matches_puppet() {
    let Some(dir) = corpus_env::root("debian_corpus_matches_puppet") else {
        return;
    };
    let dir = Path::new(&dir);
    let expected_text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/corpus/expected-rejections.txt"
    ))
    .expect("corpus/expected-rejections.txt");
    let mut expected: BTreeMap<String, u32> = BTreeMap::new();
    for line in expected_text.lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let mut f = line.split('\t');
        let path = f.next().expect("path").to_string();
        let lineno: u32 = f.next().and_then(|x| x.parse().ok()).expect("line number");
        expected.insert(path, lineno);
    }

    let mut files: Vec<_> = walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_file() && e.path().extension().is_some_and(|x| x == "pp"))
        .map(|e| e.into_path())
        .collect();
    files.sort();
    assert!(
        !files.is_empty(),
        "no .pp files under {}: run scripts/fetch-corpus.sh first",
        dir.display()
    );

    let failed: BTreeMap<String, (u32, String)> = files
        .par_iter()
        .filter_map(|f| {
            let rel = f
                .strip_prefix(dir)
                .unwrap_or(f)
                .to_string_lossy()
                .replace('\\', "/");
            let text = match std::fs::read_to_string(f) {
                Ok(t) => t,
                Err(e) => return Some((rel, (0, format!("unreadable: {e}")))),
            };
            let p = parse(&text);
            let e = p.errors.first()?;
            let line = LineIndex::new(&text).line_col(&text, e.span.start).line;
            Some((rel, (line, e.message.clone())))
        })
        .collect();

    let mut problems = Vec::new();
    for (path, (line, msg)) in &failed {
        match expected.get(path) {
            None => problems.push(format!("unexpected error: {path}:{line}: {msg}")),
            Some(l) if l != line => problems.push(format!(
                "{path}: Puppet rejects line {l}, our first error is on line {line}: {msg}"
            )),
            Some(_) => {}
        }
    }
    for path in expected.keys() {
        if !failed.contains_key(path) {
            problems.push(format!(
                "Puppet rejects {path}, but it parsed without error"
            ));
        }
    }
    println!(
        "corpus: {} files, {} rejected (expected {})",
        files.len(),
        failed.len(),
        expected.len()
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
