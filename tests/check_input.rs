//! `puppet-preflight check` as a user runs it: exit codes, error messages, hooks, output
//! formats, and proof that no input mode writes to the repository.

mod input_support;

use std::collections::BTreeMap;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Stdio;

use input_support::{check, git_cmd, manifest, preflight, run_git, stderr, stdout, Repo};

fn history() -> Repo {
    let r = Repo::new();
    r.write("manifests/site.pp", "node default { include k8s }\n");
    r.write(
        "modules/k8s/manifests/init.pp",
        manifest("k8s", "  include k8s::scheduler\n"),
    );
    r.write(
        "modules/k8s/manifests/scheduler.pp",
        manifest(
            "k8s::scheduler",
            "  service { 'kube-scheduler': ensure => running }\n",
        ),
    );
    r.write("modules/k8s/files/kube-scheduler", "#!/bin/sh\n");
    r.write("README.md", "x\n");
    r.commit_all("base");
    r.write(
        "modules/k8s/templates/unit.erb",
        "ExecStart=/usr/bin/kube-scheduler\n",
    );
    r.write("hieradata/common.yaml", "k8s::version: 1\n");
    r.write("docs/notes.md", "not puppet\n");
    r.commit_all("templates and data");
    r.symlink(
        "modules/k8s/files/kube-scheduler",
        "/usr/local/bin/kube-scheduler",
    );
    r.write(
        "modules/k8s/manifests/scheduler.pp",
        manifest(
            "k8s::scheduler",
            "  service { 'kube-scheduler': ensure => running, restart => true }\n",
        ),
    );
    r.commit_all("relink the scheduler");
    r
}

/// Path, kind, permissions, mtime and content of everything under `root` (`.git`
/// included): any write, new lock file or touched index changes it.
fn snapshot(root: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for e in walkdir::WalkDir::new(root).sort_by_file_name() {
        let e = e.unwrap();
        let rel = e.path().strip_prefix(root).unwrap().display().to_string();
        let meta = std::fs::symlink_metadata(e.path()).unwrap();
        let content = if meta.file_type().is_symlink() {
            std::fs::read_link(e.path()).unwrap().display().to_string()
        } else if meta.is_file() {
            let data = std::fs::read(e.path()).unwrap();
            format!("{}:{:x}", data.len(), fnv(&data))
        } else {
            "dir".into()
        };
        let mtime = meta
            .modified()
            .unwrap()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap();
        out.insert(
            rel,
            format!(
                "{:o} {} {content}",
                meta.permissions().mode(),
                mtime.as_nanos()
            ),
        );
    }
    out
}

fn fnv(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[test]
fn no_mode_writes_to_the_repository() {
    let r = history();
    // Staged, unstaged and untracked work, so that every mode has something to read.
    r.write(
        "manifests/site.pp",
        "node default { include k8s\n include staged }\n",
    );
    r.git(&["add", "manifests/site.pp"]);
    r.write(
        "modules/k8s/manifests/init.pp",
        manifest("k8s", "  # unstaged\n"),
    );
    r.write(
        "modules/k8s/manifests/untracked.pp",
        "class k8s::untracked {}\n",
    );
    // Make the index stat data stale (racy-git refresh territory): a reader that
    // refreshes the index would rewrite it now.
    std::thread::sleep(std::time::Duration::from_millis(20));
    let outside = tempfile::tempdir().unwrap();
    let patch_file = outside.path().join("p.diff");
    std::fs::write(&patch_file, r.git_bytes(&["diff", "HEAD~2", "HEAD~1"])).unwrap();
    let bad_patch = outside.path().join("bad.diff");
    std::fs::write(&bad_patch, "--- a/x\n+++ b/x\n@@ -1 +1 @@\n-nope\n+yes\n").unwrap();
    let patch = patch_file.display().to_string();
    let bad = bad_patch.display().to_string();

    let modes: Vec<Vec<&str>> = vec![
        vec![],
        vec!["--format", "json"],
        vec!["--base", "HEAD~2", "--head", "HEAD~1"],
        vec!["--staged"],
        vec!["--worktree"],
        vec!["--worktree", "--base", "HEAD~1"],
        vec!["--patch", &patch, "--base", "HEAD~2"],
        vec!["--each", "HEAD~2..HEAD"],
        vec!["--base", "no-such-rev"],
        vec!["--patch", &bad],
    ];
    for args in &modes {
        let before = snapshot(r.path());
        let o = check(r.path(), args);
        let code = o.status.code();
        assert!(
            matches!(code, Some(0..=2)),
            "{args:?}: {code:?} {}",
            stderr(&o)
        );
        let after = snapshot(r.path());
        assert_eq!(before, after, "{args:?} changed the repository");
    }
    // Standard input too, and GIT_INDEX_FILE.
    let before = snapshot(r.path());
    let mut child = preflight()
        .current_dir(r.path())
        .args(["check", "--patch", "-", "--base", "HEAD~2"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(&std::fs::read(&patch_file).unwrap())
        .unwrap();
    assert!(matches!(
        child.wait_with_output().unwrap().status.code(),
        Some(0 | 1)
    ));
    let o = preflight()
        .current_dir(r.path())
        .env("GIT_INDEX_FILE", r.path().join(".git/index"))
        .args(["check", "--staged"])
        .output()
        .unwrap();
    assert!(matches!(o.status.code(), Some(0 | 1)));
    assert_eq!(
        before,
        snapshot(r.path()),
        "stdin patch / GIT_INDEX_FILE changed the repository"
    );

    // Control: the snapshot does see a lock file that was created and removed again.
    std::thread::sleep(std::time::Duration::from_millis(20));
    let lock = r.path().join(".git/index.lock");
    std::fs::write(&lock, "").unwrap();
    std::fs::remove_file(&lock).unwrap();
    assert_ne!(
        before,
        snapshot(r.path()),
        "the snapshot must notice a transient lock file"
    );
}

#[test]
fn human_report_names_the_change() {
    let r = history();
    let o = check(r.path(), &[]);
    assert!(
        matches!(o.status.code(), Some(0) | Some(1)),
        "{}",
        stderr(&o)
    );
    let all = format!("{}{}", stdout(&o), stderr(&o));
    assert!(all.contains("2 files changed"), "{all}");
    let o = check(r.path(), &["--base", "HEAD~2", "--head", "HEAD~1"]);
    let all = format!("{}{}", stdout(&o), stderr(&o));
    assert!(all.contains("3 files changed"), "{all}");
}

#[test]
fn json_report_has_the_contract_shape() {
    let r = history();
    let v = report(&check(r.path(), &["--format", "json"]));
    assert_eq!(v["tool"]["name"], "puppet-preflight");
    assert_eq!(v["base"], r.rev("HEAD^"));
    assert_eq!(v["head"], r.rev("HEAD"));
    assert!(v["findings"].is_array());
    assert_eq!(v["summary"]["files_changed"], 2);

    // --each: one entry per commit, in order, each against its parent.
    let v = report(&check(
        r.path(),
        &["--each", "HEAD~2..HEAD", "--format", "json"],
    ));
    let commits = v["commits"].as_array().unwrap();
    assert_eq!(commits.len(), 2);
    assert_eq!(commits[0]["title"], "templates and data");
    assert_eq!(commits[1]["title"], "relink the scheduler");
    assert_eq!(commits[0]["head"], commits[1]["base"]);
    assert_eq!(commits[0]["summary"]["files_changed"], 3);

    let v = report(&check(r.path(), &["--staged", "--format", "json"]));
    assert_eq!(v["head"], "index");
    assert_eq!(v["summary"]["files_changed"], 0);
    let v = report(&check(r.path(), &["--worktree", "--format", "json"]));
    assert_eq!(v["head"], "worktree");
}

#[test]
fn pre_commit_hook_sees_exactly_what_is_committed() {
    let r = history();
    let out = tempfile::tempdir().unwrap();
    let (env_log, json_log) = (out.path().join("env.log"), out.path().join("report.json"));
    let hook = r.path().join(".git/hooks/pre-commit");
    std::fs::write(
        &hook,
        format!(
            "#!/bin/sh\necho \"$GIT_INDEX_FILE\" > '{env}'\n'{bin}' check --staged --format json > '{json}'\nexit 0\n",
            env = env_log.display(),
            json = json_log.display(),
            bin = env!("CARGO_BIN_EXE_puppet-preflight"),
        ),
    )
    .unwrap();
    std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).unwrap();
    let take = || {
        let env = std::fs::read_to_string(&env_log).unwrap_or_default();
        let json: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&json_log).expect("the hook ran")).unwrap();
        let _ = std::fs::remove_file(&json_log);
        (env, json)
    };

    // Stage one change, leave a broken manifest unstaged: a plain commit.
    r.write("manifests/site.pp", "node default { include staged }\n");
    r.git(&["add", "manifests/site.pp"]);
    r.write("modules/k8s/manifests/init.pp", BROKEN);
    r.git(&["commit", "-q", "-m", "plain commit"]);
    let (_, v) = take();
    assert_eq!(v["summary"]["files_changed"], 1, "{v}");
    assert!(
        finding_files(&v).is_empty(),
        "the unstaged edit must not be seen: {v}"
    );

    // `git commit -a`: git stages into a temporary index and points GIT_INDEX_FILE at it.
    run_git(r.path(), &["commit", "-q", "-a", "-m", "commit -a"]);
    let (env, v) = take();
    assert!(env.contains("index.lock"), "temporary index in use: {env}");
    assert_eq!(finding_files(&v), ["modules/k8s/manifests/init.pp"], "{v}");

    // `git commit <path>`: only that path, through another temporary index.
    r.write("manifests/site.pp", "node default { include only_this }\n");
    r.write("modules/k8s/manifests/scheduler.pp", BROKEN);
    run_git(
        r.path(),
        &["commit", "-q", "-m", "commit path", "manifests/site.pp"],
    );
    let (env, v) = take();
    assert!(env.contains("next-index"), "{env}");
    assert_eq!(v["summary"]["files_changed"], 1, "{v}");
    assert!(
        !finding_files(&v).iter().any(|f| f.contains("scheduler")),
        "{v}"
    );
}

#[test]
fn git_index_file_selects_another_index() {
    let r = history();
    let alt = r.path().join(".git/alt-index");
    let mut git = git_cmd(r.path());
    git.env("GIT_INDEX_FILE", &alt).args(["read-tree", "HEAD"]);
    assert!(git.status().unwrap().success());
    r.write("modules/k8s/manifests/alt.pp", BROKEN);
    let mut git = git_cmd(r.path());
    git.env("GIT_INDEX_FILE", &alt)
        .args(["add", "modules/k8s/manifests/alt.pp"]);
    assert!(git.status().unwrap().success());

    let staged_with = |index: Option<&str>| {
        let mut c = preflight();
        c.current_dir(r.path())
            .args(["check", "--staged", "--format", "json"]);
        if let Some(i) = index {
            c.env("GIT_INDEX_FILE", i);
        }
        c.output().unwrap()
    };
    let v = report(&staged_with(Some(alt.to_str().unwrap())));
    assert_eq!(v["summary"]["files_changed"], 1);
    assert_eq!(finding_files(&v), ["modules/k8s/manifests/alt.pp"]);
    // The regular index does not have it.
    let v = report(&staged_with(None));
    assert_eq!(v["summary"]["files_changed"], 0);
    // A relative GIT_INDEX_FILE is relative to the current directory, as in git's hooks.
    let v = report(&staged_with(Some(".git/alt-index")));
    assert_eq!(finding_files(&v), ["modules/k8s/manifests/alt.pp"]);
    // A missing one is an error, not an empty index.
    let o = staged_with(Some("/nonexistent/index"));
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("/nonexistent/index"), "{}", stderr(&o));
}

/// The JSON report of a `check --format json` run (exit 0 or 1: findings are not errors).
fn report(o: &std::process::Output) -> serde_json::Value {
    assert!(
        matches!(o.status.code(), Some(0) | Some(1)),
        "exit {:?}: {}",
        o.status.code(),
        stderr(o)
    );
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", stdout(o)))
}

/// The files the `syntax-error` findings of a report point at.
fn finding_files(v: &serde_json::Value) -> Vec<String> {
    let mut files: Vec<String> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "syntax-error")
        .map(|f| f["file"].as_str().unwrap().to_string())
        .collect();
    files.dedup();
    files
}

/// A manifest the parser rejects: a `syntax-error` finding names the file, which shows
/// which content a mode read.
const BROKEN: &str = "class broken {\n  file { '/x': ensure =>\n";

fn assert_error(o: &std::process::Output, needles: &[&str]) {
    assert_eq!(
        o.status.code(),
        Some(2),
        "stdout: {}\nstderr: {}",
        stdout(o),
        stderr(o)
    );
    let err = stderr(o);
    // miette wraps long lines; compare with whitespace collapsed.
    // miette wraps lines (even inside paths): compare without any whitespace.
    let squash = |s: &str| {
        s.chars()
            .filter(|c| !c.is_whitespace() && *c != '│')
            .collect::<String>()
    };
    let flat = squash(&err);
    for n in needles {
        assert!(flat.contains(&squash(n)), "missing `{n}` in:\n{err}");
    }
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn not_a_repository() {
    let d = tempfile::tempdir().unwrap();
    let o = preflight()
        .current_dir(d.path())
        .env("GIT_CEILING_DIRECTORIES", d.path().parent().unwrap())
        .arg("check")
        .output()
        .unwrap();
    assert_error(
        &o,
        &["is not inside a git repository", "--before DIR --after DIR"],
    );
    let o = check(d.path(), &["--repo", d.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn unknown_revision_is_named() {
    let r = history();
    assert_error(
        &check(r.path(), &["--base", "v9.9-nope"]),
        &["unknown revision `v9.9-nope`"],
    );
    assert_error(
        &check(r.path(), &["--head", "HEAD~17"]),
        &["unknown revision `HEAD~17`"],
    );
    assert_error(
        &check(r.path(), &["--each", "nope..HEAD"]),
        &["unknown revision `nope`"],
    );
    assert_error(
        &check(r.path(), &["--each", "HEAD"]),
        &["not a commit range"],
    );
}

#[test]
fn conflicting_flags_are_usage_errors() {
    let r = history();
    for args in [
        &["--staged", "--worktree"][..],
        &["--staged", "--head", "HEAD"],
        &["--patch", "x", "--worktree"],
        &["--each", "a..b", "--base", "HEAD"],
        &["--before", "/tmp"],
        &["--before", "/tmp", "--after", "/tmp", "--repo", "."],
        &["--format", "yaml"],
    ] {
        let o = check(r.path(), args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(
            stderr(&o).contains("Usage") || stderr(&o).contains("error:"),
            "{args:?}"
        );
    }
}

#[test]
fn shallow_clone_missing_the_base() {
    let r = history();
    let d = tempfile::tempdir().unwrap();
    let url = format!("file://{}", r.path().display());
    run_git(d.path(), &["clone", "-q", "--depth", "1", &url, "shallow"]);
    let s = d.path().join("shallow");
    assert_error(&check(&s, &[]), &["shallow clone", "git fetch --deepen=1"]);
    assert_error(
        &check(&s, &["--base", "HEAD~1"]),
        &["shallow clone", "`HEAD~1`"],
    );
    assert_error(&check(&s, &["--each", "HEAD~2..HEAD"]), &["shallow clone"]);
    // What the clone has still works.
    let o = check(&s, &["--staged"]);
    assert!(matches!(o.status.code(), Some(0 | 1)), "{}", stderr(&o));
    // Deepening by one makes the default mode work.
    run_git(&s, &["fetch", "-q", "--deepen=1"]);
    assert!(matches!(check(&s, &[]).status.code(), Some(0 | 1)));
}

#[test]
fn bare_repository_has_no_index_or_work_tree() {
    let r = history();
    let d = tempfile::tempdir().unwrap();
    run_git(
        d.path(),
        &[
            "clone",
            "-q",
            "--bare",
            r.path().to_str().unwrap(),
            "bare.git",
        ],
    );
    let b = d.path().join("bare.git");
    assert_error(
        &check(&b, &["--staged"]),
        &["is bare", "--staged and --worktree need a work tree"],
    );
    assert_error(&check(&b, &["--worktree"]), &["is bare"]);
    // Revisions and patches work in a bare repository.
    assert!(matches!(check(&b, &[]).status.code(), Some(0 | 1)));
}

#[test]
fn patch_errors_say_where() {
    let r = history();
    let d = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| {
        let p = d.path().join(name);
        std::fs::write(&p, text).unwrap();
        p.display().to_string()
    };
    let empty = write("empty.diff", "");
    assert_error(
        &check(r.path(), &["--patch", &empty]),
        &["contains no file changes"],
    );
    let prose = write("prose.txt", "Hi,\nplease apply my change.\n");
    assert_error(
        &check(r.path(), &["--patch", &prose]),
        &["contains no file changes"],
    );
    let truncated = write(
        "trunc.diff",
        "diff --git a/manifests/site.pp b/manifests/site.pp\n--- a/manifests/site.pp\n+++ b/manifests/site.pp\n@@ -1,3 +1,3 @@\n node\n",
    );
    assert_error(
        &check(r.path(), &["--patch", &truncated]),
        &["malformed patch", "line 6"],
    );
    let stale = write(
        "stale.diff",
        "--- a/modules/k8s/manifests/init.pp\n+++ b/modules/k8s/manifests/init.pp\n@@ -1,2 +1,2 @@\n class k8s {\n-  include k8s::old\n+  include k8s::new\n",
    );
    assert_error(
        &check(r.path(), &["--patch", &stale]),
        &[
            "does not apply",
            "modules/k8s/manifests/init.pp, hunk #1",
            "patch line 3",
            "--base REV",
        ],
    );
    let missing = write(
        "missing.diff",
        "--- a/nope.pp\n+++ b/nope.pp\n@@ -1 +1 @@\n-a\n+b\n",
    );
    assert_error(
        &check(r.path(), &["--patch", &missing]),
        &["nope.pp", "does not exist"],
    );
    let escape = write(
        "escape.diff",
        "diff --git a/../../etc/cron.d/x b/../../etc/cron.d/x\nnew file mode 100644\n--- /dev/null\n+++ b/../../etc/cron.d/x\n@@ -0,0 +1 @@\n+* * * * * root true\n",
    );
    assert_error(
        &check(r.path(), &["--patch", &escape]),
        &["`../../etc/cron.d/x`", "leaves the repository"],
    );
    let absolute = write(
        "abs.diff",
        "--- /dev/null\n+++ /etc/passwd\n@@ -0,0 +1 @@\n+x\n",
    );
    assert_error(
        &check(r.path(), &["--patch", &absolute]),
        &["leaves the repository"],
    );
    assert_error(
        &check(r.path(), &["--patch", "/nonexistent.diff"]),
        &["cannot read /nonexistent.diff"],
    );
}

#[test]
fn non_utf8_path_in_a_commit_is_an_error() {
    use std::os::unix::ffi::OsStrExt;
    let r = history();
    let name = std::ffi::OsStr::from_bytes(b"modules/k8s/manifests/caf\xe9.pp");
    std::fs::write(r.path().join(name), "class x {}\n").unwrap();
    r.commit_all("latin-1 name");
    assert_error(&check(r.path(), &[]), &["is not valid UTF-8", "caf"]);
}

#[test]
fn directories_mode_and_its_errors() {
    let d = tempfile::tempdir().unwrap();
    let (a, b) = (d.path().join("before"), d.path().join("after"));
    std::fs::create_dir_all(a.join("manifests")).unwrap();
    std::fs::create_dir_all(b.join("manifests")).unwrap();
    std::fs::write(a.join("manifests/site.pp"), "node default {}\n").unwrap();
    std::fs::write(b.join("manifests/site.pp"), "node default { include x }\n").unwrap();
    let (sa, sb) = (a.display().to_string(), b.display().to_string());
    let o = preflight()
        .current_dir(d.path())
        .args(["check", "--before", &sa, "--after", &sb, "--format", "json"])
        .output()
        .unwrap();
    let v = report(&o);
    assert_eq!(v["base"], sa.as_str());
    assert_eq!(v["head"], sb.as_str());
    assert_eq!(v["summary"]["files_changed"], 1);
    let o = preflight()
        .args(["check", "--before", &sa, "--after", "/nonexistent/after"])
        .output()
        .unwrap();
    assert_error(&o, &["/nonexistent/after"]);
    // An unreadable file (meaningless as root, who reads everything).
    let secret = b.join("manifests/secret.pp");
    std::fs::write(&secret, "class secret {}\n").unwrap();
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o000)).unwrap();
    if std::fs::read(&secret).is_err() {
        let o = preflight()
            .args(["check", "--before", &sa, "--after", &sb])
            .output()
            .unwrap();
        assert_error(&o, &["secret.pp"]);
    }
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o644)).unwrap();
}

/// Removes the loose object of `path` at HEAD, as a partial clone or a damaged
/// repository lacks it.
fn remove_object(r: &Repo, path: &str) {
    let blob = r.git(&["rev-parse", &format!("HEAD:{path}")]);
    let blob = blob.trim();
    let loose = r
        .path()
        .join(".git/objects")
        .join(&blob[..2])
        .join(&blob[2..]);
    std::fs::remove_file(&loose).expect("the blob is a loose object");
}

#[test]
fn a_missing_manifest_outside_the_change_is_reported_not_fatal() {
    let r = history();
    remove_object(&r, "modules/k8s/manifests/init.pp");
    let o = check(r.path(), &[]);
    assert!(matches!(o.status.code(), Some(0 | 1)), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains("incomplete-input")
            && out.contains("modules/k8s/manifests/init.pp")
            && out.contains("missing from the object database"),
        "{out}"
    );
}

#[test]
fn a_missing_manifest_the_change_touches_fails_at_load_time() {
    let r = history();
    remove_object(&r, "modules/k8s/manifests/scheduler.pp");
    assert_error(
        &check(r.path(), &[]),
        &[
            "modules/k8s/manifests/scheduler.pp is part of the change",
            "missing from the object database",
            "git fsck",
        ],
    );
}

#[test]
fn patch_from_standard_input() {
    let r = history();
    let patch = r.git_bytes(&["diff", "HEAD~1", "HEAD"]);
    let mut child = preflight()
        .current_dir(r.path())
        .args([
            "check", "--patch", "-", "--base", "HEAD~1", "--format", "json",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&patch).unwrap();
    let o = child.wait_with_output().unwrap();
    let v = report(&o);
    assert_eq!(v["base"], r.rev("HEAD~1"));
    assert_eq!(v["head"], "patch");
    assert_eq!(v["summary"]["files_changed"], 2);
    // An empty standard input is an empty patch.
    let o = preflight()
        .current_dir(r.path())
        .args(["check", "--patch", "-"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_error(&o, &["<stdin>", "contains no file changes"]);
}

#[test]
fn patch_onto_a_repository_without_commits() {
    let r = Repo::new();
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("new.diff");
    std::fs::write(
        &p,
        "diff --git a/manifests/site.pp b/manifests/site.pp\nnew file mode 100644\n--- /dev/null\n+++ b/manifests/site.pp\n@@ -0,0 +1 @@\n+node default {}\n",
    )
    .unwrap();
    let o = check(
        r.path(),
        &["--patch", p.to_str().unwrap(), "--format", "json"],
    );
    let v = report(&o);
    assert_eq!(v["base"], "empty");
    assert_eq!(v["head"], "patch");
    assert_eq!(v["summary"]["files_changed"], 1);
}
