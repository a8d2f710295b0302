//! The labelled history in `corpus/labelled/` (see the README, "Real history").
//!
//! Always: every data file parses (header, four tab-separated columns, a full commit id
//! once per file, a known kind, an expected rule for a hazard and only for a hazard, a
//! reason) and names rules that exist (the README's rules table, rendered from the
//! registry). With `PREFLIGHT_MIRRORS` set to the directory holding the mirrors (for
//! example `/work/.mirror`) and `--ignored`: `scripts/score-labelled.py` runs over them
//! with this build and no commit may end with a status other than 0 or 1. The scores
//! themselves are reported, not gated.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn data_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join("corpus/labelled"))
        .expect("corpus/labelled exists")
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "tsv"))
        .collect();
    files.sort();
    files
}

fn known_rules() -> HashSet<String> {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README.md");
    let start = readme
        .find("<!-- rules-table:start -->")
        .expect("rules table start");
    let end = readme
        .find("<!-- rules-table:end -->")
        .expect("rules table end");
    readme[start..end]
        .lines()
        .filter_map(|l| l.strip_prefix("| `"))
        .filter_map(|l| l.split('`').next())
        .map(str::to_owned)
        .collect()
}

fn check_file(path: &Path, rules: &HashSet<String>) -> (usize, usize) {
    let text = std::fs::read_to_string(path).expect("data file readable");
    let name = path.display();
    let mut header = false;
    let mut seen = HashSet::new();
    let (mut hazards, mut ordinary) = (0, 0);
    for (n, line) in text.lines().enumerate().map(|(i, l)| (i + 1, l)) {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let cols: Vec<&str> = line.split('\t').collect();
        if !header {
            assert_eq!(
                cols,
                ["commit", "kind", "expected_rule", "why"],
                "{name}:{n}: header"
            );
            header = true;
            continue;
        }
        assert_eq!(cols.len(), 4, "{name}:{n}: four tab-separated columns");
        let (commit, kind, expected, why) = (cols[0], cols[1], cols[2], cols[3]);
        assert!(
            commit.len() == 40
                && commit
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)),
            "{name}:{n}: {commit:?} is not a full commit id"
        );
        assert!(seen.insert(commit), "{name}:{n}: {commit} labelled twice");
        assert!(!why.trim().is_empty(), "{name}:{n}: no reason");
        match kind {
            "hazard" => {
                hazards += 1;
                for rule in expected.split('|') {
                    assert!(rules.contains(rule), "{name}:{n}: unknown rule {rule:?}");
                }
            }
            "ordinary" | "out-of-scope" => {
                ordinary += usize::from(kind == "ordinary");
                assert_eq!(
                    expected, "-",
                    "{name}:{n}: only a hazard names an expected rule"
                );
            }
            other => panic!("{name}:{n}: unknown kind {other:?}"),
        }
    }
    assert!(header, "{name}: no header line");
    (hazards, ordinary)
}

#[test]
fn labelled_data_files_parse() {
    let rules = known_rules();
    assert!(
        rules.contains("syntax-error"),
        "the README rules table was read"
    );
    let files = data_files();
    assert!(!files.is_empty(), "corpus/labelled holds data files");
    for f in &files {
        let (hazards, ordinary) = check_file(f, &rules);
        assert!(
            hazards > 0 && ordinary > 0,
            "{}: hazards and ordinary commits",
            f.display()
        );
    }
}

#[test]
#[ignore = "needs the development mirrors: set PREFLIGHT_MIRRORS and run with --ignored"]
fn labelled_history_scores_without_failures() {
    let Some(mirrors) = std::env::var_os("PREFLIGHT_MIRRORS").filter(|v| !v.is_empty()) else {
        eprintln!("labelled_history_scores_without_failures: skipped (PREFLIGHT_MIRRORS unset)");
        return;
    };
    let out = Command::new("python3")
        .arg(root().join("scripts/score-labelled.py"))
        .arg(&mirrors)
        .args(["--bin", env!("CARGO_BIN_EXE_puppet-preflight")])
        .output()
        .expect("python3 runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    eprintln!("{stdout}");
    assert_eq!(
        out.status.code(),
        Some(0),
        "score-labelled.py failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
