//! Scenario fixtures: realistic changes with the exact findings they must produce.
//!
//! - `fixtures/scenarios/<name>/` holds `before/` and `after/` trees (or `before/` plus
//!   `change.diff`) and `expected.yaml`.
//! - `fixtures/incident-2016/series.yaml` lists a patch series: one tree per commit.
//!
//! Each is turned into a real temporary git repository and checked with the real binary,
//! so the whole pipeline (git input, parser, model, rules, JSON report) is exercised.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde::Deserialize;

#[derive(Debug, Deserialize, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct ExpectedFinding {
    rule: String,
    file: String,
    line: u64,
    resource: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Expected {
    findings: Vec<ExpectedFinding>,
}

#[derive(Debug, Deserialize)]
struct Series {
    commits: Vec<SeriesCommit>,
}

#[derive(Debug, Deserialize)]
struct SeriesCommit {
    tree: String,
    message: String,
    expected: Vec<ExpectedFinding>,
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn git(repo: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args([
            "-c",
            "user.name=Preflight Test",
            "-c",
            "user.email=test@example.org",
        ])
        .args([
            "-c",
            "commit.gpgsign=false",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(args)
        .current_dir(repo)
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Replace the work tree's content (all but `.git`) with a copy of `tree`.
fn replace_tree(repo: &Path, tree: &Path) {
    for entry in fs::read_dir(repo).unwrap() {
        let p = entry.unwrap().path();
        if p.file_name().is_some_and(|n| n == ".git") {
            continue;
        }
        if p.is_dir() {
            fs::remove_dir_all(&p).unwrap();
        } else {
            fs::remove_file(&p).unwrap();
        }
    }
    copy_dir(tree, repo);
}

fn copy_dir(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from).min_depth(1) {
        let entry = entry.unwrap();
        let rel = entry.path().strip_prefix(from).unwrap();
        let dest = to.join(rel);
        if entry.file_type().is_dir() {
            fs::create_dir_all(&dest).unwrap();
        } else {
            fs::copy(entry.path(), &dest).unwrap();
        }
    }
}

fn commit_tree(repo: &Path, tree: &Path, message: &str) -> String {
    replace_tree(repo, tree);
    git(repo, &["add", "-A"]);
    git(repo, &["commit", "-q", "--allow-empty", "-m", message]);
    git(repo, &["rev-parse", "HEAD"])
}

fn check_json(repo: &Path, extra: &[&str]) -> serde_json::Value {
    let out = Command::new(env!("CARGO_BIN_EXE_puppet-preflight"))
        .args(["check", "--format", "json", "--fail-level", "never"])
        .args(extra)
        .current_dir(repo)
        .output()
        .expect("binary runs");
    assert!(
        out.status.success(),
        "check {extra:?} exited {:?}: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "check printed invalid JSON ({e}):\n{}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

/// The unsuppressed findings of a JSON report, in the fixture's terms.
fn findings_of(report: &serde_json::Value) -> BTreeSet<ExpectedFinding> {
    report["findings"]
        .as_array()
        .expect("findings is an array")
        .iter()
        .filter(|f| {
            f.get("suppressed")
                .map_or(true, |s| s.is_null() || s == false)
        })
        .map(|f| ExpectedFinding {
            rule: f["rule"].as_str().unwrap().to_string(),
            file: f["file"].as_str().unwrap().to_string(),
            line: f["line"].as_u64().unwrap(),
            resource: f["resource"].as_str().map(str::to_string),
        })
        .collect()
}

fn describe(set: &BTreeSet<ExpectedFinding>) -> String {
    set.iter()
        .map(|f| {
            format!(
                "  - {} {}:{} {}",
                f.rule,
                f.file,
                f.line,
                f.resource.as_deref().unwrap_or("-")
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn assert_same(context: &str, expected: Vec<ExpectedFinding>, actual: BTreeSet<ExpectedFinding>) {
    let expected: BTreeSet<_> = expected.into_iter().collect();
    let missing: BTreeSet<_> = expected.difference(&actual).cloned().collect();
    let extra: BTreeSet<_> = actual.difference(&expected).cloned().collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "{context}: findings differ\nmissing:\n{}\nunexpected:\n{}",
        describe(&missing),
        describe(&extra)
    );
}

#[test]
fn scenarios_report_exactly_the_expected_findings() {
    let dir = root().join("fixtures/scenarios");
    let mut names: Vec<_> = fs::read_dir(&dir)
        .map(|rd| rd.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default();
    names.sort();
    let mut ran = 0;
    for scenario in names.into_iter().filter(|p| p.is_dir()) {
        let name = scenario.file_name().unwrap().to_string_lossy().to_string();
        let expected: Expected =
            serde_yaml::from_str(&fs::read_to_string(scenario.join("expected.yaml")).unwrap())
                .unwrap_or_else(|e| panic!("{name}/expected.yaml: {e}"));
        let tmp = tempfile::tempdir().unwrap();
        let repo = tmp.path();
        git(repo, &["init", "-q"]);
        commit_tree(repo, &scenario.join("before"), "before");
        if scenario.join("after").is_dir() {
            commit_tree(repo, &scenario.join("after"), "after");
        } else {
            let diff = scenario.join("change.diff");
            git(repo, &["apply", diff.to_str().unwrap()]);
            git(repo, &["add", "-A"]);
            git(repo, &["commit", "-q", "-m", "after"]);
        }
        let report = check_json(repo, &[]);
        assert_same(&name, expected.findings, findings_of(&report));
        ran += 1;
    }
    assert!(ran > 0, "no scenario under fixtures/scenarios");
}

#[test]
fn incident_2016_series_commit_by_commit() {
    let dir = root().join("fixtures/incident-2016");
    let series: Series =
        serde_yaml::from_str(&fs::read_to_string(dir.join("series.yaml")).unwrap()).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path();
    git(repo, &["init", "-q"]);
    let mut ids = Vec::new();
    for c in &series.commits {
        ids.push(commit_tree(repo, &dir.join(&c.tree), &c.message));
    }
    for (i, c) in series.commits.iter().enumerate().skip(1) {
        let report = check_json(repo, &["--base", &ids[i - 1], "--head", &ids[i]]);
        assert_same(
            &format!("commit {i} ({})", c.message),
            c.expected.clone(),
            findings_of(&report),
        );
    }
}

/// The rollback of the 2016 series (the third commit reverts the second) checked against
/// the master's snapshots (`fixtures/incident-2016/hosts/`): after the failed deploy,
/// `/usr/local/bin/kube-apiserver` is 0 bytes and the restart onto it is an error;
/// before it, and without snapshots, there is no host finding.
#[test]
fn incident_2016_rollback_against_host_snapshots() {
    let dir = root().join("fixtures/incident-2016");
    let series: Series =
        serde_yaml::from_str(&fs::read_to_string(dir.join("series.yaml")).unwrap()).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path();
    git(repo, &["init", "-q"]);
    let mut ids = Vec::new();
    for c in &series.commits {
        ids.push(commit_tree(repo, &dir.join(&c.tree), &c.message));
    }
    let host_findings = |extra: &[&str]| -> BTreeSet<ExpectedFinding> {
        let mut args = vec!["--base", ids[2].as_str(), "--head", ids[3].as_str()];
        args.extend_from_slice(extra);
        findings_of(&check_json(repo, &args))
            .into_iter()
            .filter(|f| f.rule.starts_with("host-"))
            .collect()
    };
    let snapshot = |name: &str| {
        dir.join("hosts")
            .join(name)
            .join("tools-k8s-master-01.json")
            .to_string_lossy()
            .into_owned()
    };
    let stale = |name: &str| ExpectedFinding {
        rule: "host-snapshot-stale".into(),
        file: snapshot(name),
        line: 1,
        resource: None,
    };
    let invalid = |file: &str, line: u64| ExpectedFinding {
        rule: "host-binary-invalid".into(),
        file: file.into(),
        line,
        resource: Some("Service['kube-apiserver']".into()),
    };

    assert_same("without snapshots", Vec::new(), host_findings(&[]));
    let before = snapshot("before-deploy");
    assert_same(
        "the master before the failed deploy",
        vec![stale("before-deploy")],
        host_findings(&["--host-snapshot", &before]),
    );
    // The rollback restarts the API server onto the empty file; so would a revert of the
    // rollback (the link it re-creates leads there).
    let after_dir = dir.join("hosts/after-deploy");
    assert_same(
        "the master after the failed deploy",
        vec![
            stale("after-deploy"),
            invalid("modules/k8s/manifests/apiserver.pp", 24),
            invalid("modules/k8s/manifests/apiserver.pp", 43),
        ],
        host_findings(&["--host-snapshot", after_dir.to_str().unwrap()]),
    );
}
