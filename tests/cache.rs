//! The result cache of `check`, through the binary: a repeated check of the same
//! revisions reads its result back (same output, same exit status), the key covers the
//! settings, `--no-cache` and `PUPPET_PREFLIGHT_NO_CACHE` disable it, a corrupt entry is
//! ignored, and nothing is ever written into the repository.

use std::path::{Path, PathBuf};
use std::process::Command;

fn git(dir: &Path, args: &[&str]) {
    let st = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.org")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.org")
        .output()
        .unwrap();
    assert!(st.status.success(), "git {args:?}: {st:?}");
}

fn write(root: &Path, path: &str, text: &str) {
    let p = root.join(path);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

/// A repository whose last commit lays a link over a binary a service runs.
fn repo(dir: &Path) -> PathBuf {
    let r = dir.join("repo");
    std::fs::create_dir_all(&r).unwrap();
    git(&r, &["init", "-q", "-b", "main"]);
    write(
        &r,
        "modules/k8s/manifests/init.pp",
        "class k8s {\n  file { '/usr/bin/kube-scheduler':\n    ensure => file,\n    source => 'puppet:///modules/k8s/kube-scheduler',\n    mode   => '0755',\n  }\n  service { 'kube-scheduler':\n    ensure => running,\n    binary => '/usr/bin/kube-scheduler',\n    subscribe => File['/usr/bin/kube-scheduler'],\n  }\n}\n",
    );
    write(
        &r,
        "modules/k8s/files/kube-scheduler",
        "#!/bin/sh\nexit 0\n",
    );
    git(&r, &["add", "-A"]);
    git(&r, &["commit", "-qm", "base"]);
    write(
        &r,
        "modules/k8s/manifests/init.pp",
        "class k8s {\n  file { '/usr/bin/kube-scheduler':\n    ensure => link,\n    target => '/usr/local/bin/kube-scheduler',\n  }\n  service { 'kube-scheduler':\n    ensure => running,\n    binary => '/usr/bin/kube-scheduler',\n    subscribe => File['/usr/bin/kube-scheduler'],\n  }\n}\n",
    );
    git(&r, &["commit", "-qam", "link it"]);
    r
}

/// `check --base HEAD^ --head HEAD --format json` in `repo` with the cache in `cache`.
fn check(repo: &Path, cache: &Path, extra: &[&str], env: &[(&str, &str)]) -> (i32, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_puppet-preflight"));
    cmd.current_dir(repo)
        .args([
            "check", "--base", "HEAD^", "--head", "HEAD", "--format", "json",
        ])
        .args(extra)
        .env("PUPPET_PREFLIGHT_CACHE_DIR", cache)
        .env_remove("PUPPET_PREFLIGHT_NO_CACHE");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
    )
}

fn entries(cache: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(dirs) = std::fs::read_dir(cache) {
        for d in dirs.flatten() {
            for f in std::fs::read_dir(d.path()).into_iter().flatten().flatten() {
                if f.path().extension().is_some_and(|e| e == "json") {
                    out.push(f.path());
                }
            }
        }
    }
    out
}

#[test]
fn a_repeated_check_reads_the_stored_result() {
    let dir = tempfile::tempdir().unwrap();
    let r = repo(dir.path());
    let cache = dir.path().join("cache");
    let (code1, out1) = check(&r, &cache, &[], &[]);
    assert_eq!(code1, 1, "{out1}");
    assert!(out1.contains("link-over-binary"), "{out1}");
    let stored = entries(&cache);
    assert_eq!(stored.len(), 1, "one entry after the first run");
    let (code2, out2) = check(&r, &cache, &[], &[]);
    assert_eq!((code2, &out2), (code1, &out1));
    // The entry is what the second run read: replaced by another result, it is shown.
    let text = std::fs::read_to_string(&stored[0]).unwrap();
    std::fs::write(
        &stored[0],
        text.replace("becomes a symlink", "CACHED becomes a symlink"),
    )
    .unwrap();
    let (_, out3) = check(&r, &cache, &[], &[]);
    assert!(out3.contains("CACHED"), "{out3}");
    // Nothing was written into the repository.
    let status = Command::new("git")
        .arg("-C")
        .arg(&r)
        .args(["status", "--porcelain", "--ignored"])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&status.stdout), "");
}

#[test]
fn the_key_covers_the_selection_and_the_configuration() {
    let dir = tempfile::tempdir().unwrap();
    let r = repo(dir.path());
    let cache = dir.path().join("cache");
    let (code, all) = check(&r, &cache, &[], &[]);
    assert_eq!(code, 1);
    let (code, some) = check(&r, &cache, &["--select", "syntax-error"], &[]);
    assert_eq!(code, 0, "{some}");
    assert_ne!(all, some);
    // The same settings reached another way share the entry: no configuration file and
    // `--isolated` both mean the defaults.
    let (_, isolated) = check(&r, &cache, &["--isolated"], &[]);
    // (Only the line that says which configuration was used differs.)
    let unnamed = |json: &str| -> Vec<String> {
        json.lines()
            .filter(|l| !l.contains("\"configuration\""))
            .map(|l| l.trim_end_matches(',').to_string())
            .collect()
    };
    assert_eq!(unnamed(&isolated), unnamed(&all));
    assert_eq!(entries(&cache).len(), 2);
    // Another configuration is another key.
    let config = dir.path().join("preflight.yaml");
    std::fs::write(&config, "rules:\n  link-over-binary: off\n").unwrap();
    let (_, configured) = check(&r, &cache, &["--config", config.to_str().unwrap()], &[]);
    assert!(!configured.contains("\"link-over-binary\""), "{configured}");
    assert_eq!(entries(&cache).len(), 3);
}

#[test]
fn no_cache_neither_reads_nor_writes() {
    let dir = tempfile::tempdir().unwrap();
    let r = repo(dir.path());
    let cache = dir.path().join("cache");
    check(&r, &cache, &["--no-cache"], &[]);
    assert!(entries(&cache).is_empty());
    check(&r, &cache, &[], &[("PUPPET_PREFLIGHT_NO_CACHE", "1")]);
    assert!(entries(&cache).is_empty());
    // A stored entry is not read either.
    let (_, out) = check(&r, &cache, &[], &[]);
    let stored = entries(&cache);
    let text = std::fs::read_to_string(&stored[0]).unwrap();
    std::fs::write(&stored[0], text.replace("becomes a symlink", "CACHED")).unwrap();
    let (_, fresh) = check(&r, &cache, &["--no-cache"], &[]);
    assert_eq!(fresh, out);
}

#[test]
fn a_corrupt_entry_is_ignored() {
    let dir = tempfile::tempdir().unwrap();
    let r = repo(dir.path());
    let cache = dir.path().join("cache");
    let (code, out) = check(&r, &cache, &[], &[]);
    for garbage in ["", "{", "[1,2,3]", "\u{0}\u{1}binary"] {
        std::fs::write(&entries(&cache)[0], garbage).unwrap();
        assert_eq!(
            check(&r, &cache, &[], &[]),
            (code, out.clone()),
            "{garbage:?}"
        );
    }
    // A cache directory that cannot be written costs nothing but time.
    let blocked = dir.path().join("blocked");
    std::fs::write(&blocked, "a file, not a directory").unwrap();
    assert_eq!(check(&r, &blocked, &[], &[]), (code, out));
}

#[test]
fn a_modified_work_tree_is_not_cached() {
    let dir = tempfile::tempdir().unwrap();
    let r = repo(dir.path());
    let cache = dir.path().join("cache");
    // Content read from disk has no object id to key it by.
    write(
        &r,
        "modules/k8s/files/kube-scheduler",
        "#!/bin/sh\nexit 1\n",
    );
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_puppet-preflight"));
    let out = cmd
        .current_dir(&r)
        .args(["check", "--worktree", "--format", "json"])
        .env("PUPPET_PREFLIGHT_CACHE_DIR", &cache)
        .env_remove("PUPPET_PREFLIGHT_NO_CACHE")
        .output()
        .unwrap();
    assert!(matches!(out.status.code(), Some(0 | 1)), "{out:?}");
    assert!(entries(&cache).is_empty());
}

/// The commit ids of `HEAD^` and `HEAD` in `repo`.
fn commit_ids(repo: &Path) -> (String, String) {
    let id = |rev: &str| {
        let out = Command::new("git")
            .arg("-C")
            .arg(repo)
            .args(["rev-parse", rev])
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    };
    (id("HEAD^"), id("HEAD"))
}

/// `check --base BASE --head HEAD_ID` (commits named by id), with the cache in `cache`:
/// exit status, standard output, standard error.
fn check_ids(repo: &Path, cache: &Path, extra: &[&str]) -> (i32, String, String) {
    let (base, head) = commit_ids(repo);
    let out = Command::new(env!("CARGO_BIN_EXE_puppet-preflight"))
        .current_dir(repo)
        .args(["check", "--base", &base, "--head", &head])
        .args(extra)
        .env("PUPPET_PREFLIGHT_CACHE_DIR", cache)
        .env_remove("PUPPET_PREFLIGHT_NO_CACHE")
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// The stored pointers of two commits (files with an `entry` field), as opposed to the
/// entries themselves.
fn pointers(cache: &Path) -> Vec<PathBuf> {
    entries(cache)
        .into_iter()
        .filter(|p| std::fs::read_to_string(p).is_ok_and(|t| t.contains("\"entry\":")))
        .collect()
}

#[test]
fn two_commits_checked_again_are_answered_without_reading_their_trees() {
    let dir = tempfile::tempdir().unwrap();
    let r = repo(dir.path());
    let cache = dir.path().join("cache");
    for format in ["json", "human", "sarif", "gerrit", "junit"] {
        let first = check_ids(&r, &cache, &["--format", format]);
        assert_eq!(first.0, 1, "{first:?}");
        let again = check_ids(&r, &cache, &["--format", format]);
        // Byte for byte, source snippets and line numbers included.
        assert_eq!(again, first, "{format}");
    }
    assert_eq!(
        pointers(&cache).len(),
        1,
        "one pointer for the pair and settings"
    );
    assert_eq!(
        entries(&cache).len(),
        2,
        "the pointer and the entry it names"
    );
    let (_, _, said) = check_ids(&r, &cache, &["--verbose"]);
    assert!(said.contains("(from the result cache)"), "{said}");
    // `--show-preexisting` is applied to what is read, not part of the key (a repository
    // with pre-existing findings: a_pointer_answers_with_and_without_…).
    let shown = check_ids(&r, &cache, &["--show-preexisting", "--format", "json"]);
    let fresh = check_ids(
        &r,
        &cache,
        &["--show-preexisting", "--format", "json", "--no-cache"],
    );
    assert_eq!(shown, fresh);
}

#[test]
fn a_corrupt_pointer_is_ignored_and_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let r = repo(dir.path());
    let cache = dir.path().join("cache");
    let first = check_ids(&r, &cache, &["--format", "json"]);
    let pointer = pointers(&cache).pop().unwrap();
    let good = std::fs::read_to_string(&pointer).unwrap();
    for garbage in [
        "".to_string(),
        "{".to_string(),
        good.replace("\"key\":\"", "\"key\":\"0"),
        good.replace("\"entry\":\"", "\"entry\":\"0"),
        good.replace("\"fail_level\":\"error\"", "\"fail_level\":\"fatal\""),
    ] {
        std::fs::write(&pointer, &garbage).unwrap();
        assert_eq!(
            check_ids(&r, &cache, &["--format", "json"]),
            first,
            "{garbage:?}"
        );
        assert_eq!(pointers(&cache).len(), 1, "{garbage:?}");
    }
}

#[test]
fn the_pair_key_covers_the_selection_flags_and_the_configuration_file() {
    let dir = tempfile::tempdir().unwrap();
    let r = repo(dir.path());
    let cache = dir.path().join("cache");
    let json = ["--format", "json"];
    let (code, all, _) = check_ids(&r, &cache, &json);
    assert_eq!(code, 1);
    let (code, some, _) = check_ids(
        &r,
        &cache,
        &["--format", "json", "--select", "syntax-error"],
    );
    assert_eq!(code, 0, "{some}");
    assert_ne!(all, some);
    // The fail level is the one the settings give, not the stored run's.
    let (code, _, _) = check_ids(&r, &cache, &["--format", "json", "--fail-level", "never"]);
    assert_eq!(code, 0);
    assert_eq!(check_ids(&r, &cache, &json).0, 1);
    // The same path to a configuration file with other content is another key.
    let config = dir.path().join("preflight.yaml");
    std::fs::write(&config, "rules:\n  link-over-binary: off\n").unwrap();
    let with = ["--format", "json", "--config", config.to_str().unwrap()];
    let (_, off, _) = check_ids(&r, &cache, &with);
    assert!(!off.contains("\"link-over-binary\""), "{off}");
    std::fs::write(&config, "rules:\n  link-over-binary: error\n").unwrap();
    let (_, on, _) = check_ids(&r, &cache, &with);
    assert!(on.contains("\"link-over-binary\""), "{on}");
}

#[test]
fn a_check_of_head_by_name_does_not_use_a_pointer() {
    // `--head HEAD` also reads the work tree's untracked module files, which no commit
    // names: such a check always reads the trees.
    let dir = tempfile::tempdir().unwrap();
    let r = repo(dir.path());
    let cache = dir.path().join("cache");
    check(&r, &cache, &[], &[]);
    check(&r, &cache, &[], &[]);
    assert!(pointers(&cache).is_empty());
}

#[test]
fn a_pointer_answers_with_and_without_the_preexisting_findings() {
    // The base already has a syntax error that the change moves down a line: a finding
    // the report hides (counted) or lists with --show-preexisting, from the same entry.
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path().join("repo");
    std::fs::create_dir_all(&r).unwrap();
    git(&r, &["init", "-q", "-b", "main"]);
    let broken = "node default {\n  file { '/a': ensure => , }\n}\n";
    write(&r, "manifests/site.pp", broken);
    git(&r, &["add", "-A"]);
    git(&r, &["commit", "-qm", "base"]);
    write(
        &r,
        "manifests/site.pp",
        &format!("# the default node\n{broken}"),
    );
    git(&r, &["commit", "-qam", "a comment"]);
    let cache = dir.path().join("cache");
    let hidden = check_ids(&r, &cache, &["--format", "json"]);
    assert_eq!(pointers(&cache).len(), 1);
    let shown = check_ids(&r, &cache, &["--format", "json", "--show-preexisting"]);
    assert!(hidden.1.contains("\"preexisting\": 1"), "{}", hidden.1);
    assert!(!hidden.1.contains("\"syntax-error\""), "{}", hidden.1);
    assert!(shown.1.contains("\"syntax-error\""), "{}", shown.1);
    // Both read from the pointer give what a fresh check gives.
    for extra in [&[][..], &["--show-preexisting"][..]] {
        let mut args = vec!["--format", "json"];
        args.extend_from_slice(extra);
        let cached = check_ids(&r, &cache, &args);
        args.push("--no-cache");
        assert_eq!(cached, check_ids(&r, &cache, &args), "{extra:?}");
    }
    let (_, _, said) = check_ids(&r, &cache, &["--show-preexisting", "--verbose"]);
    assert!(said.contains("(from the result cache)"), "{said}");
}
