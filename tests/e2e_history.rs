//! End to end on a realistic history: `scripts/build-history.py` builds a control
//! repository from Debian's puppet-module corpus and replays the edits of
//! `fixtures/history/recipes.py` (hazardous ones, their reverts, and harmless ones), one
//! commit each; `check --each` runs over the whole history; the script's `--table` mode
//! compares the findings with what each recipe expects.
//!
//! The test fails when an expected finding is missing or a finding nobody expected is at
//! error level (the harmless edits must stay silent at that level).
//!
//! Needs `PREFLIGHT_CORPUS` (the unpacked packages' root, as `scripts/fetch-corpus.sh`
//! leaves it, or its `usr/share/puppet/modules.available`), python3 and git; without the
//! variable it says so and passes. By default it
//! keeps only the modules the recipes touch and their dependencies (about 340 manifests),
//! which a debug build checks in a few minutes; `PREFLIGHT_E2E_FULL=1` uses every module
//! (meant for release builds: `cargo test --release --test e2e_history`).

mod corpus_env;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The modules the recipes edit (dependencies are added by the script).
const MODULES: &str = "etcd,quagga,galera,memcached,apache,ntp,rsyslog,zookeeper,archvsync";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn run(cmd: &mut Command, what: &str) -> Output {
    match cmd.output() {
        Ok(out) => out,
        Err(e) => {
            panic!("cannot run {what}: {e} (python3 and git are needed with PREFLIGHT_CORPUS)")
        }
    }
}

fn build_history(corpus: &Path, out: &Path, full: bool) -> serde_json::Value {
    let mut cmd = Command::new("python3");
    cmd.arg(root().join("scripts/build-history.py"))
        .arg(corpus)
        .arg(out);
    if !full {
        cmd.args(["--modules", MODULES]);
    }
    let built = run(&mut cmd, "scripts/build-history.py");
    assert!(
        built.status.success(),
        "build-history.py failed:\n{}",
        String::from_utf8_lossy(&built.stderr)
    );
    let expected = std::fs::read_to_string(out.with_extension("expected.json"))
        .expect("build-history.py writes OUT_DIR.expected.json");
    serde_json::from_str(&expected).expect("expected.json is JSON")
}

#[test]
#[cfg_attr(
    not(preflight_corpus),
    ignore = "needs the Debian corpus: set PREFLIGHT_CORPUS"
)]
fn history_findings_match_the_recipes() {
    let Some(corpus) = corpus_env::root("history_findings_match_the_recipes") else {
        return;
    };
    let full = std::env::var_os("PREFLIGHT_E2E_FULL").is_some_and(|v| v == "1");
    let tmp = tempfile::tempdir().expect("temporary directory");
    let repo = tmp.path().join("history");
    let expected = build_history(Path::new(&corpus), &repo, full);
    let first = expected["root"].as_str().expect("root commit id");
    let commits = expected["commits"].as_array().expect("commits");
    assert!(
        commits.len() >= 50,
        "the history has {} commits",
        commits.len()
    );
    let hazards = commits.iter().filter(|c| c["kind"] == "hazard").count();
    let harmless = commits.iter().filter(|c| c["kind"] == "harmless").count();
    assert!(
        harmless >= hazards,
        "{harmless} harmless edits for {hazards} hazardous ones"
    );

    let checked = run(
        Command::new(env!("CARGO_BIN_EXE_puppet-preflight")).args([
            "check",
            "--repo",
            repo.to_str().expect("UTF-8 temporary path"),
            "--isolated",
            "--each",
            &format!("{first}..HEAD"),
            "--format",
            "json",
            "--fail-level",
            "never",
        ]),
        "puppet-preflight",
    );
    assert_eq!(
        checked.status.code(),
        Some(0),
        "check --each failed:\n{}",
        String::from_utf8_lossy(&checked.stderr)
    );
    let each = tmp.path().join("each.json");
    std::fs::write(&each, &checked.stdout).expect("write each.json");
    let doc: serde_json::Value =
        serde_json::from_slice(&checked.stdout).expect("check --format json prints JSON");
    assert_eq!(
        doc["commits"].as_array().map(Vec::len),
        Some(commits.len()),
        "check --each reports one entry per commit of the history"
    );

    let table = run(
        Command::new("python3")
            .arg(root().join("scripts/build-history.py"))
            .arg("--table")
            .arg(repo.with_extension("expected.json"))
            .arg(&each),
        "build-history.py --table",
    );
    let text = String::from_utf8_lossy(&table.stdout);
    eprintln!("{text}");
    assert!(
        table.status.success(),
        "expected findings missing or unexpected error-level findings (table above):\n{}",
        text.lines()
            .filter(|l| l.contains("FAIL") || l.contains("MISSING") || l.contains("UNEXPECTED"))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// The table itself must fail on a missing expectation and on an unexpected error, or the
/// test above could not fail.
#[test]
fn table_fails_on_missing_and_unexpected_errors() {
    if Command::new("python3").arg("--version").output().is_err() {
        eprintln!("e2e_history: table test skipped (no python3)");
        return;
    }
    let tmp = tempfile::tempdir().expect("temporary directory");
    let expected = tmp.path().join("h.expected.json");
    std::fs::write(
        &expected,
        r#"{"root": "r", "head": "b", "commits": [
            {"id": "hazard", "sha": "a", "subject": "s", "kind": "hazard", "note": "",
             "expect": [{"rule": "link-over-binary", "resource": "File['/usr/bin/x']"}], "allow": []},
            {"id": "harmless", "sha": "b", "subject": "s", "kind": "harmless", "note": "",
             "expect": [], "allow": [{"rule": "binary-without-backup"}]}]}"#,
    )
    .unwrap();
    let each = |findings: &str| {
        let p = tmp.path().join("each.json");
        std::fs::write(
            &p,
            format!(
                r#"{{"head": "b", "commits": [{{"head": "a"}}, {{"head": "b"}}], "findings": [{findings}]}}"#
            ),
        )
        .unwrap();
        let out = run(
            Command::new("python3")
                .arg(root().join("scripts/build-history.py"))
                .arg("--table")
                .arg(&expected)
                .arg(&p),
            "build-history.py --table",
        );
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let hit = r#"{"rule": "link-over-binary", "severity": "error", "file": "m.pp", "line": 1,
                  "resource": "File['/usr/bin/x']", "message": "m", "commit": "a"}"#;
    let allowed = r#"{"rule": "binary-without-backup", "severity": "warning", "file": "m.pp",
                      "line": 2, "resource": null, "message": "m", "commit": "b"}"#;
    let stray_error = r#"{"rule": "empty-binary", "severity": "error", "file": "m.pp",
                          "line": 3, "resource": null, "message": "m", "commit": "b"}"#;
    let stray_warning = r#"{"rule": "link-target-unmanaged", "severity": "warning",
                            "file": "m.pp", "line": 4, "resource": null, "message": "m", "commit": "b"}"#;

    let (code, text) = each(&format!("{hit}, {allowed}"));
    assert_eq!(code, Some(0), "{text}");
    let (code, text) = each(&format!("{hit}, {stray_warning}"));
    assert_eq!(
        code,
        Some(0),
        "a stray warning is listed, not failed: {text}"
    );
    assert!(text.contains("UNEXPECTED link-target-unmanaged"), "{text}");
    let (code, text) = each(allowed);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("MISSING    link-over-binary"), "{text}");
    let (code, text) = each(&format!("{hit}, {stray_error}"));
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("UNEXPECTED empty-binary (error)"), "{text}");
}
