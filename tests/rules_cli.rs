//! `puppet-preflight rules` and `puppet-preflight explain`, run as a user would.

use std::process::Command;

fn run(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_puppet-preflight"))
        .args(args)
        .output()
        .expect("run puppet-preflight");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn rules_lists_every_rule_with_its_severity() {
    let (code, out, err) = run(&["rules"]);
    assert_eq!(code, 0, "{err}");
    let lines: Vec<&str> = out.lines().filter(|l| !l.trim().is_empty()).collect();
    // 24 contract rules and 4 host rules, a heading and 2 meta rules, a heading and 3
    // tool rules.
    assert_eq!(lines.len(), 35, "{out}");
    assert!(lines[0].starts_with("syntax-error "));
    assert!(lines[0].contains(" error "));
    let unmanaged = lines
        .iter()
        .find(|l| l.starts_with("link-target-unmanaged "))
        .unwrap();
    assert!(unmanaged.contains(" warning "), "{unmanaged}");
    let relinked = lines
        .iter()
        .find(|l| l.starts_with("service-binary-unmanaged "))
        .unwrap();
    assert!(relinked.contains(" error "), "{relinked}");
}

#[test]
fn rules_json_is_a_list_of_objects() {
    let (code, out, _) = run(&["rules", "--format", "json"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).expect("valid JSON");
    let rows = v.as_array().unwrap();
    assert_eq!(rows.len(), 33);
    assert_eq!(rows[0]["name"], "syntax-error");
    assert_eq!(rows[0]["default_severity"], "error");
    assert_eq!(rows[0]["kind"], "check");
    assert_eq!(rows[0]["implemented"], true);
    let checks = rows.iter().filter(|r| r["kind"] == "check").count();
    assert_eq!(checks, 28);
    let tools: Vec<&str> = rows
        .iter()
        .filter(|r| r["kind"] == "tool")
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        tools,
        ["incomplete-input", "host-snapshot-stale", "internal-error"]
    );
    for r in rows {
        assert!(r["summary"].as_str().is_some_and(|s| !s.is_empty()));
    }
}

#[test]
fn explain_prints_the_documentation() {
    let (code, out, _) = run(&["explain", "syntax-error"]);
    assert_eq!(code, 0);
    assert!(out.starts_with("# syntax-error\n"), "{out}");
    assert!(out.contains("Default severity: error."));
    for h in [
        "## What it does",
        "## Why is this bad?",
        "## Example",
        "## Use instead",
        "## Exceptions",
        "## References",
    ] {
        assert!(out.contains(h), "missing {h}");
    }
    assert!(!out.contains("//!"), "doc comment markers leaked");
    // Every rule is implemented: none says otherwise.
    let (code, out, _) = run(&["explain", "unsafe-revert"]);
    assert_eq!(code, 0);
    assert!(!out.contains("Not implemented yet"), "{out}");
}

#[test]
fn explain_unknown_rule_exits_2_with_a_suggestion() {
    let (code, out, err) = run(&["explain", "link_over_binary"]);
    assert_eq!(code, 2);
    assert!(out.is_empty());
    assert!(err.contains("unknown rule `link_over_binary`"), "{err}");
    assert!(err.contains("Did you mean `link-over-binary`?"), "{err}");
    assert!(!err.contains("panicked"));
    let (code, _, err) = run(&["explain", "no-such-thing-at-all"]);
    assert_eq!(code, 2);
    assert!(!err.contains("Did you mean"), "{err}");
}
