//! A bug in one rule or analyzer must not take the run down (issue 13, item 1).
//!
//! Debug builds (what `cargo test` builds) let `PUPPET_PREFLIGHT_INJECT_PANIC` make one
//! part panic on purpose; the binary must then report an `internal-error` finding naming
//! that part, still report every other rule's findings, and exit with status 2, in every
//! output format. Release builds have no such hook, so the file is empty there.
#![cfg(debug_assertions)]

use std::path::Path;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_puppet-preflight");
const INJECT: &str = "PUPPET_PREFLIGHT_INJECT_PANIC";

/// A change with an error (`link-over-binary`) and warnings from several other rules.
fn change(root: &Path) {
    let write = |p: &str, text: &str| {
        let p = root.join(p);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    write("before/a.pp", "file { '/usr/bin/x': ensure => file }\n");
    write(
        "after/a.pp",
        "file { '/usr/bin/x': ensure => link, target => '/opt/x' } # preflight:ignore:internal-error hide it\n",
    );
}

fn check(root: &Path, inject: Option<&str>, extra: &[&str]) -> (i32, String, String) {
    let mut cmd = Command::new(BIN);
    cmd.current_dir(root)
        .args(["check", "--before", "before", "--after", "after"])
        .args(extra)
        .env("NO_COLOR", "1")
        .env_remove("RUST_BACKTRACE")
        .env_remove("PUPPET_PREFLIGHT_FORMAT");
    match inject {
        Some(part) => cmd.env(INJECT, part),
        None => cmd.env_remove(INJECT),
    };
    let out = cmd.output().expect("run the binary");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn rules_in_json(stdout: &str) -> Vec<String> {
    let v: serde_json::Value = serde_json::from_str(stdout).expect("JSON output");
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_panicking_rule_becomes_an_internal_error_and_the_others_still_report() {
    let t = tempfile::tempdir().unwrap();
    change(t.path());
    let (code, out, err) = check(t.path(), None, &["--format", "json"]);
    assert_eq!(code, 1, "{err}");
    let normal = rules_in_json(&out);
    assert!(
        normal.contains(&"link-over-binary".to_string()),
        "{normal:?}"
    );
    assert!(normal.contains(&"link-target-unmanaged".to_string()));

    let (code, out, err) = check(
        t.path(),
        Some("rule:link-over-binary"),
        &["--format", "json"],
    );
    assert_eq!(code, 2, "{err}");
    assert!(!err.contains("panicked"), "Rust's panic text leaked: {err}");
    let found = rules_in_json(&out);
    assert!(found.contains(&"internal-error".to_string()), "{found:?}");
    assert!(!found.contains(&"link-over-binary".to_string()));
    // Every other rule's findings are still there.
    for r in normal.iter().filter(|r| *r != "link-over-binary") {
        assert!(found.contains(r), "{r} missing from {found:?}");
    }
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let ie = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "internal-error")
        .unwrap();
    let message = ie["message"].as_str().unwrap();
    assert!(
        message.contains("rule link-over-binary failed"),
        "{message}"
    );
    assert!(message.contains("injected failure"), "{message}");
    assert!(ie["help"].as_str().unwrap().contains("report"));
    // Neither an inline suppression nor the fail level hides it.
    assert!(ie["suppressed"].is_null(), "{ie}");
    let (code, _, _) = check(
        t.path(),
        Some("rule:link-over-binary"),
        &["--fail-level", "never"],
    );
    assert_eq!(code, 2);
}

#[test]
fn every_output_format_carries_the_internal_error() {
    let t = tempfile::tempdir().unwrap();
    change(t.path());
    for format in [
        "human",
        "json",
        "sarif",
        "checkstyle",
        "junit",
        "gerrit",
        "github",
    ] {
        let (code, out, err) = check(
            t.path(),
            Some("rule:link-over-binary"),
            &["--format", format],
        );
        assert_eq!(code, 2, "{format}: {err}");
        assert!(out.contains("internal-error"), "{format}: {out}");
        assert!(
            out.contains("link-target-unmanaged"),
            "{format}: other findings missing: {out}"
        );
        assert!(!err.contains("panicked"), "{format}: {err}");
    }
    // The Gerrit review votes against an incomplete check.
    let (_, out, _) = check(
        t.path(),
        Some("rule:link-over-binary"),
        &[
            "--format",
            "gerrit",
            "--gerrit-label",
            "Verified",
            "--fail-level",
            "never",
        ],
    );
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["labels"]["Verified"], -1, "{out}");
}

#[test]
fn a_panicking_evaluator_is_reported_with_the_file_it_read() {
    let t = tempfile::tempdir().unwrap();
    change(t.path());
    let (code, out, err) = check(t.path(), Some("evaluator"), &["--format", "json"]);
    assert_eq!(code, 2, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let ie: Vec<&serde_json::Value> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "internal-error")
        .collect();
    assert_eq!(
        ie.len(),
        1,
        "one finding for the same failure on both sides: {out}"
    );
    let message = ie[0]["message"].as_str().unwrap();
    assert!(message.contains("the evaluator"), "{message}");
    assert!(message.contains("while reading a.pp"), "{message}");
    assert_eq!(ie[0]["file"], "a.pp");
}
