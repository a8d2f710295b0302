//! Which configuration `check` used, and the work tree's copy when it is not that one:
//! the run says which file it read (human output and JSON), `--worktree` reads an
//! untracked `.puppet-preflight.yaml`, and the default range or `--staged` warn when the
//! file on disk is untracked, unstaged, uncommitted or deleted.

use std::path::Path;
use std::process::Command;

fn git(dir: &Path, args: &[&str]) {
    let ok = Command::new("git")
        .current_dir(dir)
        .args(["-c", "user.name=t", "-c", "user.email=t@example.org"])
        .args(args)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir)
        .env_remove("GIT_DIR")
        .env_remove("GIT_INDEX_FILE")
        .env_remove("GIT_WORK_TREE")
        .status()
        .unwrap()
        .success();
    assert!(ok, "git {args:?}");
}

fn check(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_puppet-preflight"))
        .current_dir(dir)
        .arg("check")
        .args(args)
        .env("NO_COLOR", "1")
        .env_remove("GIT_DIR")
        .env_remove("GIT_INDEX_FILE")
        .env_remove("PUPPET_PREFLIGHT_FORMAT")
        .output()
        .expect("run puppet-preflight");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

const CONFIG: &str = ".puppet-preflight.yaml";

/// Two commits; the second adds an empty binary (an error by default, `info` with the
/// configuration written by the tests).
fn repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir_all(d.join("manifests")).unwrap();
    std::fs::write(d.join("manifests/site.pp"), "class demo {}\n").unwrap();
    git(d, &["init", "-q"]);
    git(d, &["add", "."]);
    git(d, &["commit", "-qm", "one"]);
    std::fs::write(
        d.join("manifests/site.pp"),
        "class demo {\n  file { '/usr/local/bin/tool': ensure => file }\n}\n",
    )
    .unwrap();
    git(d, &["commit", "-qam", "two"]);
    dir
}

const LOWER: &str = "rules:\n  empty-binary: info\n";

#[test]
fn the_run_says_which_configuration_it_used() {
    let dir = repo();
    let d = dir.path();
    let (code, out, err) = check(d, &[]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        out.contains("configuration: none: the defaults (no .puppet-preflight.yaml in "),
        "{out}"
    );
    std::fs::write(d.join(CONFIG), LOWER).unwrap();
    git(d, &["add", CONFIG]);
    git(d, &["commit", "-qm", "config"]);
    let (code, out, err) = check(d, &["--base", "HEAD~2", "--format", "json"]);
    assert_eq!(code, 0, "{out}{err}");
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    let used = doc["configuration"].as_str().unwrap();
    assert!(used.starts_with(".puppet-preflight.yaml of "), "{used}");
    assert!(err.is_empty(), "no warning when disk and HEAD agree: {err}");
    let (_, out, _) = check(d, &["--isolated"]);
    assert!(
        out.contains("configuration: none: the defaults (--isolated)"),
        "{out}"
    );
}

#[test]
fn an_untracked_configuration_is_read_with_worktree_and_named_otherwise() {
    let dir = repo();
    let d = dir.path();
    std::fs::write(d.join(CONFIG), LOWER).unwrap();
    // The default range reads HEAD, which has no configuration: said on stderr.
    let (code, out, err) = check(d, &[]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        err.contains("warning: this check uses the defaults, not the work tree's .puppet-preflight.yaml: it is untracked"),
        "{err}"
    );
    // --worktree reads it: the finding is now an info, and the run passes.
    let (code, out, err) = check(d, &["--worktree", "--base", "HEAD^"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("configuration: .puppet-preflight.yaml of the work tree"),
        "{out}"
    );
    assert!(!err.contains("warning"), "{err}");
    // A typo in it is an error, not silence.
    std::fs::write(d.join(CONFIG), "rulez:\n  empty-binary: info\n").unwrap();
    let (code, _, err) = check(d, &["--worktree"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("unknown key `rulez`"), "{err}");
}

#[test]
fn staged_unstaged_and_deleted_copies_are_named() {
    let dir = repo();
    let d = dir.path();
    std::fs::write(d.join(CONFIG), LOWER).unwrap();
    git(d, &["add", CONFIG]);
    let (_, _, err) = check(d, &[]);
    assert!(err.contains("it is staged but not committed"), "{err}");
    // --staged reads the index: nothing to say.
    let (code, out, err) = check(d, &["--staged", "--base", "HEAD^"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(err.is_empty(), "{err}");
    std::fs::write(d.join(CONFIG), "rules:\n  empty-binary: warning\n").unwrap();
    let (_, _, err) = check(d, &["--staged"]);
    assert!(err.contains("it has changes that are not staged"), "{err}");
    git(d, &["commit", "-qam", "config"]);
    std::fs::remove_file(d.join(CONFIG)).unwrap();
    let (_, _, err) = check(d, &[]);
    assert!(
        err.contains("this check uses the one in ") && err.contains("it is deleted on disk"),
        "{err}"
    );
}

#[test]
fn quiet_and_verbose() {
    let dir = repo();
    let d = dir.path();
    std::fs::create_dir_all(d.join("modules/x/manifests")).unwrap();
    std::fs::write(d.join("modules/x/manifests/init.pp"), "class x {}\n").unwrap();
    // --verbose: what was read, the configuration and the timing, on standard error.
    let (code, out, err) = check(d, &["--worktree", "--verbose"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        err.contains("modules/x/manifests/init.pp: untracked manifest, included"),
        "{err}"
    );
    assert!(err.contains("  configuration: none: the defaults"), "{err}");
    assert!(err.contains("  checked in "), "{err}");
    let (_, _, err) = check(d, &["--worktree"]);
    assert!(err.is_empty(), "{err}");
    // --quiet: the findings and nothing else.
    let (code, out, err) = check(d, &["--quiet"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("empty-binary"), "{out}");
    assert!(
        !out.contains("configuration:") && !out.contains("puppet-preflight: 1 error"),
        "{out}"
    );
    let (code, _, err) = check(d, &["--quiet", "--verbose"]);
    assert_eq!(code, 2, "{err}");
}
