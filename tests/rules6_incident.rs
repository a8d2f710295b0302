//! The service-restart rules on the 2016 incident series, through the real binary:
//! `check --before DIR --after DIR` for each commit of `fixtures/incident-2016/` and for
//! the revert, comparing the findings of these rules (and `link-target-unmanaged`, which
//! the issue names for the same commits), and a snapshot of the human report of the
//! apiserver commit. Regenerate the snapshot after an intended change with
//! `UPDATE_GOLDEN=1 cargo test --test rules6_incident` and review the diff.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The rules this test pins down.
const RULES: [&str; 6] = [
    "service-binary-relinked",
    "service-binary-missing",
    "restart-before-binary",
    "unsafe-revert",
    "deploy-script-unsafe",
    "link-target-unmanaged",
];

fn incident(tree: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/incident-2016")
        .join(tree)
}

fn run(before: &str, after: &str, extra: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_puppet-preflight"))
        .arg("check")
        .arg("--before")
        .arg(incident(before))
        .arg("--after")
        .arg(incident(after))
        .args(extra)
        .output()
        .expect("binary runs");
    assert!(
        out.stderr.is_empty(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// `(rule, file, line, resource)` of the findings of [`RULES`], sorted.
fn findings(before: &str, after: &str) -> Vec<(String, String, u64, String)> {
    let (code, out) = run(before, after, &["--format", "json"]);
    assert_eq!(code, 1, "errors are expected on every step: {out}");
    let doc: serde_json::Value = serde_json::from_str(&out).expect("JSON report");
    let mut got: Vec<(String, String, u64, String)> = doc["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| RULES.contains(&f["rule"].as_str().unwrap_or_default()))
        .map(|f| {
            (
                f["rule"].as_str().unwrap_or_default().to_string(),
                f["file"].as_str().unwrap_or_default().to_string(),
                f["line"].as_u64().unwrap_or_default(),
                f["resource"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    got.sort();
    got
}

fn f(rule: &str, file: &str, line: u64, resource: &str) -> (String, String, u64, String) {
    (rule.into(), file.into(), line, resource.into())
}

#[test]
fn commit_1_kube_scheduler() {
    let sched = "modules/k8s/manifests/scheduler.pp";
    let svc = "Service['kube-scheduler']";
    let mut want = vec![
        f(
            "link-target-unmanaged",
            sched,
            11,
            "File['/usr/bin/kube-scheduler']",
        ),
        f("restart-before-binary", sched, 23, svc),
        f("service-binary-relinked", sched, 23, svc),
        // A revert moves ExecStart back onto the unmanaged /usr/local/bin copy and
        // restarts it again (puppet-semantics §5.2, row 6).
        f("unsafe-revert", sched, 23, svc),
    ];
    want.sort();
    assert_eq!(findings("00-base", "01-kube-scheduler"), want);
}

#[test]
fn commit_2_kube_apiserver() {
    let api = "modules/k8s/manifests/apiserver.pp";
    let svc = "Service['kube-apiserver']";
    let mut want = vec![
        f(
            "link-target-unmanaged",
            api,
            16,
            "File['/usr/bin/kube-apiserver']",
        ),
        f("restart-before-binary", api, 43, svc),
        f("service-binary-relinked", api, 43, svc),
        f("unsafe-revert", api, 43, svc),
        f(
            "deploy-script-unsafe",
            "modules/role/files/toollabs/deploy-master.bash",
            12,
            "File['/usr/local/bin/deploy-master']",
        ),
    ];
    want.sort();
    assert_eq!(findings("01-kube-scheduler", "02-kube-apiserver"), want);
}

#[test]
fn commit_3_the_revert() {
    let got = findings("02-kube-apiserver", "01-kube-scheduler");
    let api = "modules/k8s/manifests/apiserver.pp";
    let svc = "Service['kube-apiserver']";
    // The revert itself restarts the API server onto the file the deploy script writes
    // with `wget -O`; reverting the revert would redo the apiserver change.
    let mut want = vec![
        f("service-binary-relinked", api, 24, svc),
        f("unsafe-revert", api, 24, svc),
    ];
    want.sort();
    assert_eq!(got, want);
    let (_, out) = run(
        "02-kube-apiserver",
        "01-kube-scheduler",
        &["--format", "json"],
    );
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    let relinked = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "service-binary-relinked")
        .unwrap();
    let msg = relinked["message"].as_str().unwrap();
    for part in [
        "its executable moves from /usr/bin/kube-apiserver to /usr/local/bin/kube-apiserver",
        "Nothing in the repository manages /usr/local/bin/kube-apiserver",
        "File['/usr/local/bin/deploy-master'], which this change stops managing but leaves on the hosts, writes it unsafely",
    ] {
        assert!(msg.contains(part), "{part:?} not in {msg}");
    }
}

#[test]
fn human_report_of_the_apiserver_commit() {
    let select = RULES[..5].join(",");
    let (code, actual) = run(
        "01-kube-scheduler",
        "02-kube-apiserver",
        &["--color", "never", "--select", &select],
    );
    assert_eq!(code, 1);
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/rules6_golden/apiserver.human.txt");
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, &actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (run with UPDATE_GOLDEN=1)", path.display()));
    assert!(
        actual == expected,
        "{} differs.\n--- expected\n{expected}\n--- actual\n{actual}",
        path.display()
    );
}

/// Copy a fixture tree into `to`.
fn copy_tree(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from).min_depth(1) {
        let entry = entry.unwrap();
        let dest = to.join(entry.path().strip_prefix(from).unwrap());
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&dest).unwrap();
        } else {
            std::fs::copy(entry.path(), &dest).unwrap();
        }
    }
}

#[test]
fn the_scheduler_change_with_refresh_false_restarts_nothing() {
    // The same commit, but the unit is declared with `refresh => false` on both sides:
    // the unit change does not restart the service, so none of the restart rules fire
    // (the link itself is still reported by the link rules).
    let tmp = tempfile::tempdir().unwrap();
    let (before, after) = (tmp.path().join("before"), tmp.path().join("after"));
    copy_tree(&incident("00-base"), &before);
    copy_tree(&incident("01-kube-scheduler"), &after);
    for side in [&before, &after] {
        let p = side.join("modules/k8s/manifests/scheduler.pp");
        let text = std::fs::read_to_string(&p).unwrap();
        let edited = text.replace(
            "base::service_unit { 'kube-scheduler':\n        systemd => true,\n",
            "base::service_unit { 'kube-scheduler':\n        systemd => true,\n        refresh => false,\n",
        );
        assert_ne!(text, edited, "the fixture changed shape");
        std::fs::write(&p, edited).unwrap();
    }
    let out = Command::new(env!("CARGO_BIN_EXE_puppet-preflight"))
        .args(["check", "--format", "json", "--before"])
        .arg(&before)
        .arg("--after")
        .arg(&after)
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rules: Vec<&str> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["rule"].as_str())
        .filter(|r| RULES[..5].contains(r))
        .collect();
    assert!(rules.is_empty(), "{rules:?}");
    assert!(doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["rule"] == "link-target-unmanaged"));
}
