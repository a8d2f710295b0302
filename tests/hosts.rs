//! Host snapshots through the real binary (issue 17): `snapshot` on a fake root tree
//! (links, empty files, scripts, dpkg lists, unit files), and `check --host-snapshot`
//! with good, stale, malformed and hostile snapshots.

use std::fs;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::Path;
use std::process::{Command, Output};

use sha2::{Digest, Sha256};

const BIN: &str = env!("CARGO_BIN_EXE_puppet-preflight");

fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("PUPPET_PREFLIGHT_FORMAT")
        .output()
        .expect("binary runs")
}

fn write(root: &Path, path: &str, data: &[u8], mode: u32) {
    let p = root.join(path.trim_start_matches('/'));
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::write(&p, data).unwrap();
    fs::set_permissions(&p, fs::Permissions::from_mode(mode)).unwrap();
}

fn link(root: &Path, path: &str, target: &str) {
    let p = root.join(path.trim_start_matches('/'));
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    symlink(target, p).unwrap();
}

const ELF: &[u8] = b"\x7fELF\x02\x01\x01\x00 a binary of sorts";

/// A host tree: binaries, an empty binary, a script, links (relative, dangling, and two
/// that try to leave the root), a unit file, dpkg lists, users.
fn fake_root(root: &Path) {
    write(root, "/usr/bin/kubelet", ELF, 0o755);
    write(root, "/usr/bin/notes.txt", b"plain text, not read", 0o644);
    write(root, "/usr/local/bin/kube-apiserver", b"", 0o755);
    write(
        root,
        "/usr/local/bin/deploy",
        b"#!/bin/bash -e\necho deploy\n",
        0o755,
    );
    link(root, "/usr/local/bin/kubectl", "../../bin/kubelet");
    link(root, "/usr/local/bin/gone", "/usr/local/bin/nowhere");
    link(
        root,
        "/usr/local/bin/up",
        "../../../../../../../etc/hostname",
    );
    link(root, "/usr/local/bin/abs", "/etc/hostname");
    write(
        root,
        "/lib/systemd/system/kubelet.service",
        b"[Unit]\nDescription=k\n[Service]\nExecStart=/usr/bin/kubelet --token=SECRET\n",
        0o644,
    );
    write(
        root,
        "/var/lib/dpkg/info/kubelet:amd64.list",
        b"/.\n/usr\n/usr/bin\n/usr/bin/kubelet\n/lib/systemd/system/kubelet.service\n",
        0o644,
    );
    write(
        root,
        "/etc/passwd",
        b"root:x:0:0:root:/root:/bin/sh\n",
        0o644,
    );
    write(root, "/etc/group", b"root:x:0:\n", 0o644);
    write(root, "/etc/hostname", b"fake-master\n", 0o644);
}

fn snapshot_json(root: &Path, extra: &[&str]) -> serde_json::Value {
    let mut args = vec!["snapshot", "--root", root.to_str().unwrap()];
    args.extend_from_slice(extra);
    let out = run(root, &args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("snapshot is JSON")
}

fn entry<'a>(snap: &'a serde_json::Value, path: &str) -> &'a serde_json::Value {
    snap["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["path"] == path)
        .unwrap_or_else(|| panic!("{path} not in the snapshot"))
}

#[test]
fn snapshot_of_a_fake_root() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    fake_root(root);
    let s = snapshot_json(root, &[]);
    assert_eq!(s["format"], "puppet-preflight-host-snapshot");
    assert_eq!(s["version"], 1);
    assert_eq!(s["host"], "fake-master", "the root's /etc/hostname");

    let kubelet = entry(&s, "/usr/bin/kubelet");
    assert_eq!(kubelet["type"], "file");
    assert_eq!(kubelet["content"], "elf");
    assert_eq!(kubelet["mode"], "0755");
    assert_eq!(kubelet["owner"], "root");
    assert_eq!(
        kubelet["package"], "kubelet",
        "from the dpkg list, arch suffix dropped"
    );
    let want: String = Sha256::digest(ELF)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(kubelet["sha256"], want.as_str());

    let empty = entry(&s, "/usr/local/bin/kube-apiserver");
    assert_eq!(
        (empty["size"].as_u64(), &empty["content"]),
        (Some(0), &"empty".into())
    );
    assert!(empty.get("sha256").is_none());
    let deploy = entry(&s, "/usr/local/bin/deploy");
    assert_eq!(deploy["content"], "script");
    assert_eq!(deploy["interpreter"], "/bin/bash -e");
    // A file that is not executable is never read: no content kind, no hash.
    let notes = entry(&s, "/usr/bin/notes.txt");
    assert!(notes.get("content").is_none() && notes.get("sha256").is_none());

    assert_eq!(
        entry(&s, "/usr/local/bin/kubectl")["target"],
        "../../bin/kubelet"
    );
    assert_eq!(
        entry(&s, "/usr/local/bin/gone")["target"],
        "/usr/local/bin/nowhere"
    );
    // Targets outside the walked directories are recorded, read under the root: the
    // `..` that climbs above the root stops at it, and /etc/hostname is the tree's.
    let hostname = entry(&s, "/etc/hostname");
    assert_eq!(
        hostname["size"], 12,
        "the fake root's /etc/hostname, not this machine's"
    );
    assert!(
        hostname.get("content").is_none(),
        "not an executable: not read"
    );

    let unit = entry(&s, "/lib/systemd/system/kubelet.service");
    assert_eq!(unit["exec_start"], serde_json::json!(["/usr/bin/kubelet"]));
    assert!(
        !serde_json::to_string(&s).unwrap().contains("SECRET"),
        "arguments of ExecStart= are not recorded"
    );
    let dirs: Vec<&str> = s["dirs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        dirs,
        [
            "/usr/bin",
            "/usr/sbin",
            "/usr/local/bin",
            "/usr/local/sbin",
            "/opt",
            "/lib/systemd/system",
            "/etc/systemd/system"
        ]
    );
}

#[test]
fn snapshot_options_output_dirs_and_paths_from() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("root");
    fake_root(&root);
    let repo = tmp.path().join("repo");
    write(
        &repo,
        "/modules/app/manifests/init.pp",
        b"class app {\n  file { '/srv/app/bin/tool': ensure => link, target => '/usr/bin/kubelet' }\n}\n",
        0o644,
    );
    let out = tmp.path().join("out/host.json");
    fs::create_dir_all(out.parent().unwrap()).unwrap();
    let o = run(
        tmp.path(),
        &[
            "snapshot",
            "--root",
            root.to_str().unwrap(),
            "--host",
            "other-name",
            "--dir",
            "/usr/bin",
            "--paths-from",
            repo.to_str().unwrap(),
            "--output",
            out.to_str().unwrap(),
        ],
    );
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(o.stdout.is_empty());
    let names: Vec<_> = fs::read_dir(out.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(names, ["host.json"], "no temporary file left behind");
    let s: serde_json::Value = serde_json::from_slice(&fs::read(&out).unwrap()).unwrap();
    assert_eq!(s["host"], "other-name");
    assert_eq!(s["dirs"].as_array().unwrap().len(), 1);
    assert_eq!(entry(&s, "/srv/app/bin/tool")["type"], "missing");
    assert!(s["entries"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| !e["path"].as_str().unwrap().starts_with("/usr/local/")));

    for (args, says) in [
        (vec!["--dir", "usr/bin"], "not an absolute path"),
        (vec!["--host", "bad name\u{1b}[31m"], "not a host name"),
    ] {
        let mut all = vec!["snapshot", "--root", root.to_str().unwrap()];
        all.extend(args);
        let o = run(tmp.path(), &all);
        let err = flat(&String::from_utf8_lossy(&o.stderr));
        assert_eq!(o.status.code(), Some(2), "{err}");
        assert!(err.contains(says), "{err}");
    }
    let o = run(tmp.path(), &["snapshot", "--root", "/nonexistent/root"]);
    assert_eq!(o.status.code(), Some(2));
}

/// A repository whose one commit creates a link to /usr/local/bin/kube-apiserver, and
/// its base.
fn link_repo(dir: &Path) {
    let git = |args: &[&str]| {
        let o = Command::new("git")
            .args([
                "-c",
                "user.name=t",
                "-c",
                "user.email=t@e",
                "-c",
                "commit.gpgsign=false",
            ])
            .args(args)
            .current_dir(dir)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    };
    git(&["init", "-q"]);
    write(
        dir,
        "/modules/k8s/manifests/init.pp",
        b"class k8s {\n}\n",
        0o644,
    );
    git(&["add", "-A"]);
    git(&["commit", "-qm", "base"]);
    write(
        dir,
        "/modules/k8s/manifests/init.pp",
        b"class k8s {\n  file { '/usr/bin/kube-apiserver': ensure => link, target => '/usr/local/bin/kube-apiserver' }\n}\n",
        0o644,
    );
    git(&["add", "-A"]);
    git(&["commit", "-qm", "link"]);
}

fn check(dir: &Path, extra: &[&str]) -> (Option<i32>, serde_json::Value, String) {
    let mut args = vec!["check", "--format", "json", "--fail-level", "never"];
    args.extend_from_slice(extra);
    let o = run(dir, &args);
    let json = serde_json::from_slice(&o.stdout).unwrap_or(serde_json::Value::Null);
    (
        o.status.code(),
        json,
        flat(&String::from_utf8_lossy(&o.stderr)),
    )
}

/// An error message with miette's line wrapping and margins undone.
fn flat(text: &str) -> String {
    text.split_whitespace()
        .filter(|w| *w != "│")
        .collect::<Vec<_>>()
        .join(" ")
}

fn rules_of(report: &serde_json::Value) -> Vec<String> {
    report["findings"]
        .as_array()
        .map(|fs| {
            fs.iter()
                .map(|f| f["rule"].as_str().unwrap().to_string())
                .filter(|r| r.starts_with("host-"))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn check_against_a_snapshot_taken_by_the_tool() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("root");
    fake_root(&root);
    let snaps = tmp.path().join("hosts");
    fs::create_dir_all(&snaps).unwrap();
    let o = run(
        tmp.path(),
        &[
            "snapshot",
            "--root",
            root.to_str().unwrap(),
            "--output",
            snaps.join("fake-master.json").to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(0));
    let repo = tmp.path().join("repo");
    fs::create_dir_all(&repo).unwrap();
    link_repo(&repo);

    let (code, report, err) = check(&repo, &[]);
    assert_eq!(code, Some(0), "{err}");
    assert!(rules_of(&report).is_empty(), "no snapshot, no host finding");

    let (code, report, err) = check(&repo, &["--host-snapshot", snaps.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(
        rules_of(&report),
        ["host-link-target-invalid"],
        "{report:#}"
    );
    let msg = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "host-link-target-invalid")
        .unwrap()["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        msg.contains(
            "/usr/local/bin/kube-apiserver, which is empty (0 bytes) on 1 of 1 host (fake-master)"
        ),
        "{msg}"
    );

    // --summary says what the hosts hold where the change leads.
    let o = run(
        &repo,
        &[
            "check",
            "--summary",
            "--color",
            "never",
            "--fail-level",
            "never",
            "--host-snapshot",
            snaps.to_str().unwrap(),
        ],
    );
    let out = String::from_utf8_lossy(&o.stdout);
    for line in [
        "on the hosts: 1 snapshot read",
        "on the hosts: File['/usr/bin/kube-apiserver'] leads to /usr/local/bin/kube-apiserver (empty (0 bytes) on 1 of 1 host (fake-master))",
    ] {
        assert!(out.contains(line), "{line:?} not in {out}");
    }

    // The same list from the configuration; an age limit the snapshot exceeds.
    let json = fs::read_to_string(snaps.join("fake-master.json")).unwrap();
    let taken = json.split("\"taken_at\":\"").nth(1).unwrap()[..20].to_string();
    let old = json.replace(&taken, "2020-01-01T00:00:00Z");
    let old_dir = tmp.path().join("old");
    fs::create_dir_all(&old_dir).unwrap();
    fs::write(old_dir.join("h.json"), old).unwrap();
    let config = tmp.path().join("preflight.yaml");
    for (age, stale) in [("24h", true), ("5000d", false)] {
        fs::write(
            &config,
            format!(
                "host_snapshots: [{}]\nhost_snapshot_max_age: {age}\n",
                old_dir.display()
            ),
        )
        .unwrap();
        let (code, report, err) = check(&repo, &["--config", config.to_str().unwrap()]);
        assert_eq!(code, Some(0), "{err}");
        let rules = rules_of(&report);
        assert_eq!(
            rules.contains(&"host-snapshot-stale".to_string()),
            stale,
            "{age}: {rules:?}"
        );
        assert!(rules.contains(&"host-link-target-invalid".to_string()));
    }
    fs::write(&config, "host_snapshot_max_age: soon\n").unwrap();
    let (code, _, err) = check(&repo, &["--config", config.to_str().unwrap()]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("host_snapshot_max_age"), "{err}");
}

#[test]
fn malformed_and_hostile_snapshots_stop_the_check() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    fs::create_dir_all(&repo).unwrap();
    link_repo(&repo);
    let good = r#"{"format":"puppet-preflight-host-snapshot","version":1,"host":"h","taken_at":"2024-01-01T00:00:00Z","dirs":[],"entries":[]}"#;
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("empty", Vec::new(), "not valid snapshot JSON"),
        (
            "truncated",
            good[..good.len() / 2].into(),
            "not valid snapshot JSON",
        ),
        (
            "another file",
            b"{\"findings\": []}".to_vec(),
            "host snapshot (`format` is not",
        ),
        (
            "version 2",
            good.replace("\"version\":1", "\"version\":2").into(),
            "version 2",
        ),
        (
            "not UTF-8",
            b"\xff\xfe{}".to_vec(),
            "not valid snapshot JSON",
        ),
        (
            "nested",
            "[".repeat(200_000).into(),
            "not valid snapshot JSON",
        ),
        (
            "terminal escape in the host name",
            good.replace("\"h\"", "\"h\\u001b]2;owned\\u0007\"").into(),
            "not a host name",
        ),
        (
            "path climbing out",
            good.replace(
                "\"entries\":[]",
                "\"entries\":[{\"path\":\"/usr/../etc/shadow\",\"type\":\"file\"}]",
            )
            .into(),
            "not normalised",
        ),
        (
            "dated in the future",
            good.replace("2024-01-01", "2999-01-01").into(),
            "in the future",
        ),
        (
            "wrong type",
            good.replace("\"entries\":[]", "\"entries\":{}").into(),
            "not valid snapshot JSON",
        ),
    ];
    for (label, data, says) in cases {
        let f = tmp.path().join("bad.json");
        fs::write(&f, &data).unwrap();
        let (code, _, err) = check(&repo, &["--host-snapshot", f.to_str().unwrap()]);
        assert_eq!(code, Some(2), "{label}: {err}");
        assert!(
            err.contains("cannot use the host snapshot"),
            "{label}: {err}"
        );
        assert!(err.contains(says), "{label}: {says:?} not in {err}");
        assert!(
            !err.contains("panicked") && !err.contains('\u{1b}'),
            "{label}: {err}"
        );
        assert!(err.len() < 1200, "{label}: one paragraph: {err}");
    }
    // Two snapshots of one host, a directory without snapshots, a missing file, a FIFO.
    let two = tmp.path().join("two");
    fs::create_dir_all(&two).unwrap();
    fs::write(two.join("a.json"), good).unwrap();
    fs::write(two.join("b.json"), good).unwrap();
    let none = tmp.path().join("none");
    fs::create_dir_all(&none).unwrap();
    let fifo = tmp.path().join("fifo.json");
    let made = Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .map(|s| s.success());
    let mut dirs = vec![
        (two, "another snapshot"),
        (none, "no snapshot"),
        (tmp.path().join("missing.json"), "cannot be read"),
    ];
    if made.is_ok_and(|ok| ok) {
        dirs.push((fifo, "not a regular file"));
    }
    for (p, says) in dirs {
        let (code, _, err) = check(&repo, &["--host-snapshot", p.to_str().unwrap()]);
        assert_eq!(code, Some(2), "{}: {err}", p.display());
        assert!(err.contains(says), "{says:?} not in {err}");
    }
}

/// A change that links over a binary a package owns on the host, with no other copy of
/// it there: `host-package-owned` and `host-binary-no-rollback`, from a snapshot the
/// tool took of the fake root.
#[test]
fn linking_over_a_package_binary_on_the_host() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("root");
    fake_root(&root);
    let snap = tmp.path().join("fake-master.json");
    let o = run(
        tmp.path(),
        &[
            "snapshot",
            "--root",
            root.to_str().unwrap(),
            "--output",
            snap.to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(0));
    let repo = tmp.path().join("repo");
    write(
        &repo,
        "/modules/k8s/manifests/init.pp",
        b"class k8s {\n  file { '/usr/bin/kubelet': ensure => link, target => '/opt/k8s/kubelet' }\n}\n",
        0o644,
    );
    let before = tmp.path().join("before");
    write(
        &before,
        "/modules/k8s/manifests/init.pp",
        b"class k8s {\n}\n",
        0o644,
    );
    let (code, report, err) = check(
        tmp.path(),
        &[
            "--before",
            before.to_str().unwrap(),
            "--after",
            repo.to_str().unwrap(),
            "--host-snapshot",
            snap.to_str().unwrap(),
        ],
    );
    assert_eq!(code, Some(0), "{err}");
    let mut rules = rules_of(&report);
    rules.sort();
    assert_eq!(
        rules,
        [
            "host-binary-no-rollback",
            "host-link-target-invalid",
            "host-package-owned"
        ],
        "{report:#}"
    );
    let messages: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["message"].as_str())
        .collect();
    assert!(
        messages
            .iter()
            .any(|m| m.contains("belongs to package kubelet on 1 of 1 host (fake-master)")),
        "{messages:#?}"
    );
    assert!(
        messages
            .iter()
            .any(|m| m.contains("/opt/k8s/kubelet, which is missing on 1 of 1 host")),
        "{messages:#?}"
    );
}

/// The result cache never answers for the hosts: the same change checked against a
/// snapshot that changed gives the new verdict.
#[test]
fn a_changed_snapshot_is_judged_again() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    fs::create_dir_all(&repo).unwrap();
    link_repo(&repo);
    let snap = tmp.path().join("h.json");
    let doc = |size: u32| {
        format!(
            r#"{{"format":"puppet-preflight-host-snapshot","version":1,"host":"h","taken_at":"{}","dirs":[{{"path":"/usr/local/bin","complete":true}}],"entries":[{{"path":"/usr/local/bin/kube-apiserver","type":"file","size":{size},"mode":"0755"}}]}}"#,
            now_utc()
        )
    };
    let cache = tmp.path().join("cache");
    let check_cached = || {
        let o = Command::new(BIN)
            .args([
                "check",
                "--format",
                "json",
                "--fail-level",
                "never",
                "--host-snapshot",
            ])
            .arg(&snap)
            .current_dir(&repo)
            .env("XDG_CACHE_HOME", &cache)
            .env_remove("PUPPET_PREFLIGHT_NO_CACHE")
            .output()
            .unwrap();
        assert_eq!(
            o.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
        rules_of(&serde_json::from_slice(&o.stdout).unwrap())
    };
    fs::write(&snap, doc(0)).unwrap();
    assert_eq!(check_cached(), ["host-link-target-invalid"]);
    fs::write(&snap, doc(1000)).unwrap();
    assert!(
        check_cached().is_empty(),
        "the repaired host is judged again"
    );
}

/// Now, as `taken_at` writes it.
fn now_utc() -> String {
    let out = Command::new("date")
        .args(["-u", "+%Y-%m-%dT%H:%M:%SZ"])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}
