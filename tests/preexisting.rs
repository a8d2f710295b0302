//! New versus pre-existing findings, through the binary: a finding the base revision
//! already had is hidden (counted in the summary), listed marked with
//! `--show-preexisting`, and never fails the run; what the change adds or makes worse is
//! reported.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_puppet-preflight"))
}

fn write(root: &Path, path: &str, text: &str) {
    let p = root.join(path);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

/// `check --before a --after b` with `extra` arguments: exit status and standard output.
fn check(dir: &Path, extra: &[&str]) -> (i32, String) {
    let out = bin()
        .arg("check")
        .arg("--isolated")
        .arg("--before")
        .arg(dir.join("a"))
        .arg("--after")
        .arg(dir.join("b"))
        .args(extra)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.is_empty() || out.status.code() != Some(2),
        "{stderr}"
    );
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
    )
}

fn json(dir: &Path, extra: &[&str]) -> (i32, Value) {
    let mut args = vec!["--format", "json"];
    args.extend_from_slice(extra);
    let (code, out) = check(dir, &args);
    (code, serde_json::from_str(&out).unwrap())
}

/// (rule, line, preexisting) of every finding.
fn findings(doc: &Value) -> Vec<(String, u64, bool)> {
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
                f["preexisting"].as_bool().unwrap_or(false),
            )
        })
        .collect()
}

const SITE_BROKEN: &str = "node default {\n  include base\n  file { '/a': ensure => , }\n}\n";

fn base_module(root: &Path) {
    write(
        root,
        "modules/base/manifests/init.pp",
        "class base {\n  file { '/etc/motd': content => 'hi' }\n}\n",
    );
}

#[test]
fn a_syntax_error_the_base_had_is_hidden_counted_and_listed_on_request() {
    let t = tempfile::tempdir().unwrap();
    let (a, b) = (t.path().join("a"), t.path().join("b"));
    base_module(&a);
    base_module(&b);
    write(&a, "manifests/site.pp", SITE_BROKEN);
    // A one-line change elsewhere in the file, which shifts the error by a line.
    write(
        &b,
        "manifests/site.pp",
        &format!("# the default node\n{SITE_BROKEN}"),
    );

    let (code, doc) = json(t.path(), &[]);
    assert_eq!(code, 0, "{doc}");
    assert!(findings(&doc).is_empty(), "{doc}");
    assert_eq!(doc["summary"]["preexisting"], 1);
    assert_eq!(doc["summary"]["errors"], 0);

    let (code, doc) = json(t.path(), &["--show-preexisting"]);
    assert_eq!(code, 0, "{doc}");
    assert_eq!(findings(&doc), vec![("syntax-error".into(), 4, true)]);
    assert_eq!(doc["summary"]["preexisting"], 1);
    assert_eq!(doc["summary"]["errors"], 0);

    let (code, human) = check(t.path(), &[]);
    assert_eq!(code, 0);
    assert!(human.contains("no findings (1 pre-existing)"), "{human}");
    let (_, human) = check(t.path(), &["--show-preexisting"]);
    assert!(
        human.contains("(pre-existing: the base revision already had it)"),
        "{human}"
    );

    let (_, sarif) = check(t.path(), &["--format", "sarif", "--show-preexisting"]);
    let sarif: Value = serde_json::from_str(&sarif).unwrap();
    assert_eq!(
        sarif["runs"][0]["results"][0]["baselineState"], "unchanged",
        "{sarif}"
    );
    let (_, github) = check(t.path(), &["--format", "github", "--show-preexisting"]);
    assert!(
        github.starts_with("::notice file=manifests/site.pp"),
        "{github}"
    );
    assert!(github.contains("pre-existing"), "{github}");
    let (code, gerrit) = check(
        t.path(),
        &[
            "--format",
            "gerrit",
            "--show-preexisting",
            "--gerrit-label",
            "Verified",
            "--gerrit-vote-fail",
            "-1",
        ],
    );
    assert_eq!(code, 0);
    let gerrit: Value = serde_json::from_str(&gerrit).unwrap();
    // The hidden-from-the-vote finding does not fail it (the failing vote is -1).
    assert_eq!(gerrit["labels"]["Verified"], 0, "{gerrit}");
    let (_, junit) = check(t.path(), &["--format", "junit", "--show-preexisting"]);
    assert!(junit.contains("<skipped message=\"pre-existing"), "{junit}");
    assert!(!junit.contains("<failure"), "{junit}");
}

#[test]
fn a_second_syntax_error_in_the_same_file_is_reported() {
    let t = tempfile::tempdir().unwrap();
    let (a, b) = (t.path().join("a"), t.path().join("b"));
    base_module(&a);
    base_module(&b);
    write(&a, "manifests/site.pp", SITE_BROKEN);
    // The same mistake (the same message) on a new line.
    write(
        &b,
        "manifests/site.pp",
        "node default {\n  include base\n  file { '/a': ensure => , }\n  file { '/b': mode => , }\n}\n",
    );
    let (code, doc) = json(t.path(), &[]);
    assert_eq!(code, 1, "{doc}");
    assert_eq!(findings(&doc), vec![("syntax-error".into(), 4, false)]);
    assert_eq!(doc["summary"]["preexisting"], 1);
    let (_, doc) = json(t.path(), &["--show-preexisting"]);
    assert_eq!(
        findings(&doc),
        vec![
            ("syntax-error".into(), 3, true),
            ("syntax-error".into(), 4, false)
        ]
    );
}

#[test]
fn a_file_that_did_not_parse_and_still_does_not_is_not_new() {
    // Syntax errors compare per file: the change fixes the file's error but leaves
    // another, on a line it did not touch (dsa-puppet e51ac653, "syntax").
    let t = tempfile::tempdir().unwrap();
    let (a, b) = (t.path().join("a"), t.path().join("b"));
    base_module(&a);
    base_module(&b);
    write(
        &a,
        "manifests/site.pp",
        "node default {\n  include base\n  file { '/a': content => 'x }\n  file { '/b': mode => '0644' owner => 'root' }\n}\n",
    );
    write(
        &b,
        "manifests/site.pp",
        "node default {\n  include base\n  file { '/a': ensure => file }\n  file { '/b': mode => '0644' owner => 'root' }\n}\n",
    );
    let (code, doc) = json(t.path(), &[]);
    assert_eq!(code, 0, "{doc}");
    assert_eq!(doc["summary"]["preexisting"], 1, "{doc}");
    // The same file, and a new error before the old one: the old line is matched first.
    write(
        &b,
        "manifests/site.pp",
        "node default {\n  include base,\n  file { '/a': ensure => , }\n}\n",
    );
    write(&a, "manifests/site.pp", SITE_BROKEN);
    let (_, doc) = json(t.path(), &["--show-preexisting"]);
    let found = findings(&doc);
    assert!(found.contains(&("syntax-error".into(), 3, true)), "{doc}");
    assert!(found.iter().all(|f| f.1 == 3 || !f.2), "{doc}");
    // A failed fix: the change rewrites the broken line into another error (SUNET
    // faab0aa1, `-> }`). The file was broken before, but this error is the change's.
    write(
        &b,
        "manifests/site.pp",
        "node default {\n  include base\n  file { '/a': ensure => file } -> }\n}\n",
    );
    let (code, doc) = json(t.path(), &[]);
    assert_eq!(code, 1, "{doc}");
    assert_eq!(findings(&doc), vec![("syntax-error".into(), 3, false)]);
}

#[test]
fn a_new_unresolved_class_is_reported_beside_an_old_one() {
    let t = tempfile::tempdir().unwrap();
    let (a, b) = (t.path().join("a"), t.path().join("b"));
    write(
        &a,
        "modules/base/manifests/init.pp",
        "class base {\n  include nosuch::one\n  file { '/etc/motd': content => 'hi' }\n}\n",
    );
    // The old include moves to another class (the rule reports it again there), and a
    // new one comes with it.
    write(
        &b,
        "modules/base/manifests/init.pp",
        "class base {\n  include base::extra\n  file { '/etc/motd': content => 'hi' }\n}\n",
    );
    write(
        &b,
        "modules/base/manifests/extra.pp",
        "class base::extra {\n  include nosuch::one\n  include nosuch::two\n}\n",
    );
    let (code, doc) = json(t.path(), &[]);
    assert_eq!(code, 1, "{doc}");
    let found = doc["findings"].as_array().unwrap();
    assert_eq!(found.len(), 1, "{doc}");
    assert_eq!(found[0]["rule"], "unresolved-class");
    assert_eq!(found[0]["resource"], "Class['nosuch::two']");
    assert_eq!(doc["summary"]["preexisting"], 1);
}

#[test]
fn a_change_without_old_findings_reports_as_before() {
    let t = tempfile::tempdir().unwrap();
    let (a, b) = (t.path().join("a"), t.path().join("b"));
    base_module(&a);
    write(&b, "manifests/site.pp", SITE_BROKEN);
    base_module(&b);
    let (code, doc) = json(t.path(), &[]);
    assert_eq!(code, 1);
    assert_eq!(findings(&doc), vec![("syntax-error".into(), 3, false)]);
    assert_eq!(doc["summary"]["preexisting"], 0);
}

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args([
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@example.org",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .output()
        .expect("git");
    assert!(out.status.success(), "git {args:?}");
}

#[test]
fn each_commit_of_a_series_is_compared_with_its_parent() {
    let t = tempfile::tempdir().unwrap();
    let repo = t.path();
    git(repo, &["init", "-q"]);
    base_module(repo);
    write(
        repo,
        "manifests/site.pp",
        "node default {\n  include base\n}\n",
    );
    git(repo, &["add", "-A"]);
    git(repo, &["commit", "-qm", "base"]);
    // The first commit of the series breaks site.pp; the second edits another line.
    write(repo, "manifests/site.pp", SITE_BROKEN);
    git(repo, &["commit", "-qam", "break"]);
    write(repo, "manifests/site.pp", &format!("# node\n{SITE_BROKEN}"));
    git(repo, &["commit", "-qam", "comment"]);
    let out = bin()
        .args([
            "check",
            "--isolated",
            "--format",
            "json",
            "--each",
            "HEAD~2..HEAD",
        ])
        .current_dir(repo)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(findings(&doc), vec![("syntax-error".into(), 3, false)]);
    let commits = doc["commits"].as_array().unwrap();
    assert_eq!(commits[0]["summary"]["preexisting"], 0);
    assert_eq!(commits[1]["summary"]["preexisting"], 1);
    assert_eq!(doc["summary"]["preexisting"], 1);
}

#[test]
fn a_new_reference_to_a_target_that_was_already_dangling_is_reported() {
    let t = tempfile::tempdir().unwrap();
    let (a, b) = (t.path().join("a"), t.path().join("b"));
    write(
        &a,
        "modules/demo/manifests/init.pp",
        "class demo {\n  file { '/etc/x':\n    notify => Service['x'],\n  }\n}\n",
    );
    write(
        &b,
        "modules/demo/manifests/init.pp",
        "class demo {\n  file { '/etc/x':\n    notify => Service['x'],\n  }\n  file { '/etc/y':\n    notify => Service['x'],\n  }\n}\n",
    );
    let (code, doc) = json(t.path(), &[]);
    assert_eq!(code, 1, "{doc}");
    let found = doc["findings"].as_array().unwrap();
    assert_eq!(found.len(), 1, "{doc}");
    assert_eq!(found[0]["rule"], "dangling-reference");
    assert_eq!(found[0]["resource"], "File['/etc/y']");
}
