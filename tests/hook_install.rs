//! `install-hook` in temporary git repositories: where the hook goes (core.hooksPath,
//! linked worktrees), refusing to overwrite, --force, and the hooks running for real under
//! `git commit` and `git push` (with a stub standing in for the checker, so these tests
//! do not depend on `check`; the end-to-end test with the real checker is at the end).

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_puppet-preflight");

/// A command with git's per-invocation variables removed (tests may run inside a hook)
/// and a clean, fixed identity and configuration.
fn clean<'a>(cmd: &'a mut Command, home: &Path) -> &'a mut Command {
    for v in [
        "GIT_DIR",
        "GIT_INDEX_FILE",
        "GIT_WORK_TREE",
        "GIT_PREFIX",
        "GIT_COMMON_DIR",
    ] {
        cmd.env_remove(v);
    }
    cmd.env("HOME", home)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", home.join("gitconfig"))
        .env("GIT_AUTHOR_NAME", "Test")
        .env("GIT_AUTHOR_EMAIL", "test@example.org")
        .env("GIT_COMMITTER_NAME", "Test")
        .env("GIT_COMMITTER_EMAIL", "test@example.org")
}

struct Sandbox {
    tmp: tempfile::TempDir,
}

impl Sandbox {
    fn new() -> Sandbox {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(
            tmp.path().join("gitconfig"),
            "[init]\n\tdefaultBranch = master\n",
        )
        .unwrap();
        Sandbox { tmp }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.tmp.path().join(rel)
    }

    fn git(&self, dir: &Path, args: &[&str]) -> Output {
        let out = clean(&mut Command::new("git"), self.tmp.path())
            .current_dir(dir)
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        out
    }

    fn git_ok(&self, dir: &Path, args: &[&str]) -> String {
        let out = self.git(dir, args);
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    fn repo(&self, name: &str) -> PathBuf {
        let dir = self.path(name);
        std::fs::create_dir_all(&dir).unwrap();
        self.git_ok(&dir, &["init", "-q"]);
        std::fs::create_dir_all(dir.join("modules/k8s/manifests")).unwrap();
        std::fs::write(dir.join("modules/k8s/manifests/init.pp"), "class k8s {}\n").unwrap();
        self.git_ok(&dir, &["add", "."]);
        self.git_ok(&dir, &["commit", "-qm", "initial"]);
        dir
    }

    fn preflight(&self, dir: &Path, args: &[&str]) -> Output {
        clean(&mut Command::new(BIN), self.tmp.path())
            .current_dir(dir)
            .args(args)
            .output()
            .unwrap()
    }

    /// A stand-in checker: logs `GIT_INDEX_FILE|args` and exits with the number in `exit`.
    fn stub(&self) -> PathBuf {
        let stub = self.path("stub-preflight");
        let log = self.path("stub.log");
        let exit = self.path("stub.exit");
        std::fs::write(&exit, "0").unwrap();
        std::fs::write(
            &stub,
            format!(
                "#!/bin/sh\necho \"${{GIT_INDEX_FILE:-}}|$*\" >> '{}'\nexit $(cat '{}')\n",
                log.display(),
                exit.display()
            ),
        )
        .unwrap();
        make_executable(&stub);
        stub
    }

    fn stub_log(&self) -> Vec<String> {
        std::fs::read_to_string(self.path("stub.log"))
            .unwrap_or_default()
            .lines()
            .map(String::from)
            .collect()
    }

    fn stub_exit(&self, code: i32) {
        std::fs::write(self.path("stub.exit"), code.to_string()).unwrap();
    }

    /// Run git with PUPPET_PREFLIGHT pointing at the stub.
    fn git_with_stub(&self, dir: &Path, args: &[&str]) -> Output {
        clean(&mut Command::new("git"), self.tmp.path())
            .current_dir(dir)
            .env("PUPPET_PREFLIGHT", self.path("stub-preflight"))
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap()
    }
}

fn make_executable(p: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o755)).unwrap();
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn installs_an_executable_pre_commit_hook() {
    let sb = Sandbox::new();
    let repo = sb.repo("r");
    let out = sb.preflight(&repo, &["install-hook"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let hook = repo.join(".git/hooks/pre-commit");
    let script = std::fs::read_to_string(&hook).unwrap();
    assert!(script.starts_with("#!/bin/sh"));
    assert!(script.contains("check --staged"));
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&hook).unwrap().permissions().mode() & 0o111,
        0o111
    );
    assert!(text(&out).contains("installed the pre-commit hook at"));
    // `sh -n`: the script is valid shell.
    assert!(Command::new("sh")
        .arg("-n")
        .arg(&hook)
        .status()
        .unwrap()
        .success());
}

#[test]
fn refuses_to_overwrite_unless_forced() {
    let sb = Sandbox::new();
    let repo = sb.repo("r");
    let hook = repo.join(".git/hooks/pre-commit");
    std::fs::write(&hook, "#!/bin/sh\necho mine\n").unwrap();
    let out = sb.preflight(&repo, &["install-hook"]);
    assert_eq!(out.status.code(), Some(2));
    let msg = text(&out);
    assert!(
        msg.contains("already exists") && msg.contains("--force"),
        "{msg}"
    );
    assert!(!msg.contains("panicked"));
    assert_eq!(
        std::fs::read_to_string(&hook).unwrap(),
        "#!/bin/sh\necho mine\n"
    );

    let out = sb.preflight(&repo, &["install-hook", "--force"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(std::fs::read_to_string(&hook)
        .unwrap()
        .contains("check --staged"));
    let backup = repo.join(".git/hooks/pre-commit.preflight-backup");
    assert_eq!(
        std::fs::read_to_string(backup).unwrap(),
        "#!/bin/sh\necho mine\n"
    );
}

#[test]
fn installing_again_updates_its_own_hook() {
    let sb = Sandbox::new();
    let repo = sb.repo("r");
    let hook = repo.join(".git/hooks/pre-commit");
    assert_eq!(
        sb.preflight(&repo, &["install-hook"]).status.code(),
        Some(0)
    );
    // An older version of the hook (same header, other body) is rewritten, no backup.
    let old = std::fs::read_to_string(&hook)
        .unwrap()
        .replace("check --staged", "check --staged --old-flag");
    std::fs::write(&hook, old).unwrap();
    let out = sb.preflight(&repo, &["install-hook"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        text(&out).contains("updated the pre-commit hook"),
        "{}",
        text(&out)
    );
    assert!(!std::fs::read_to_string(&hook)
        .unwrap()
        .contains("--old-flag"));
    assert!(!repo.join(".git/hooks/pre-commit.preflight-backup").exists());
    // The pre-push hook likewise.
    assert_eq!(
        sb.preflight(&repo, &["install-hook", "--pre-push"])
            .status
            .code(),
        Some(0)
    );
    assert_eq!(
        sb.preflight(&repo, &["install-hook", "--pre-push"])
            .status
            .code(),
        Some(0)
    );
}

#[test]
fn a_dangling_symlink_counts_as_an_existing_hook() {
    let sb = Sandbox::new();
    let repo = sb.repo("r");
    std::os::unix::fs::symlink("/nonexistent/hook", repo.join(".git/hooks/pre-commit")).unwrap();
    assert_eq!(
        sb.preflight(&repo, &["install-hook"]).status.code(),
        Some(2)
    );
}

#[test]
fn respects_core_hooks_path() {
    let sb = Sandbox::new();
    let repo = sb.repo("r");
    sb.git_ok(&repo, &["config", "core.hooksPath", "ci/githooks"]);
    let sub = repo.join("modules");
    // Run from a subdirectory: the relative hooksPath is still the work tree root's.
    let out = sb.preflight(&sub, &["install-hook", "--pre-push"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(repo.join("ci/githooks/pre-push").is_file());
    assert!(!repo.join(".git/hooks/pre-push").exists());
    let git_says = sb.git_ok(&repo, &["rev-parse", "--git-path", "hooks"]);
    assert_eq!(
        repo.join(git_says).join("pre-push"),
        repo.join("ci/githooks/pre-push")
    );
}

#[test]
fn a_linked_worktree_shares_the_main_hooks() {
    let sb = Sandbox::new();
    let repo = sb.repo("r");
    let wt = sb.path("wt");
    sb.git_ok(&repo, &["worktree", "add", "-q", wt.to_str().unwrap()]);
    let out = sb.preflight(&wt, &["install-hook"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let git_says = PathBuf::from(sb.git_ok(&wt, &["rev-parse", "--git-path", "hooks"]));
    assert!(
        git_says.join("pre-commit").is_file(),
        "{}",
        git_says.display()
    );
    assert!(repo.join(".git/hooks/pre-commit").is_file());
}

#[test]
fn outside_a_repository_is_a_clear_error() {
    let sb = Sandbox::new();
    let dir = sb.path("plain");
    std::fs::create_dir_all(&dir).unwrap();
    let out = sb.preflight(&dir, &["install-hook", "--repo", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let msg = text(&out);
    assert!(msg.contains("is not inside a git repository"), "{msg}");
    assert!(!msg.contains("panicked"));
}

#[test]
fn pre_commit_hook_blocks_and_allows_commits_and_sees_the_temporary_index() {
    let sb = Sandbox::new();
    let repo = sb.repo("r");
    sb.stub();
    assert_eq!(
        sb.preflight(&repo, &["install-hook"]).status.code(),
        Some(0)
    );
    let before = sb.git_ok(&repo, &["rev-parse", "HEAD"]);

    std::fs::write(
        repo.join("modules/k8s/manifests/init.pp"),
        "class k8s { }\n",
    )
    .unwrap();
    sb.git_ok(&repo, &["add", "."]);
    sb.stub_exit(1);
    let out = sb.git_with_stub(&repo, &["commit", "-qm", "bad"]);
    assert!(!out.status.success(), "the commit must fail");
    assert!(
        text(&out).contains("skip once with git commit --no-verify"),
        "{}",
        text(&out)
    );
    assert_eq!(sb.git_ok(&repo, &["rev-parse", "HEAD"]), before);
    let last = sb.stub_log().last().unwrap().clone();
    assert!(last.ends_with("|check --staged"), "{last}");
    // A plain commit: git names the real index (or nothing, on older versions).
    let index = last.split_once('|').unwrap().0;
    assert!(index.is_empty() || index.ends_with("index"), "{index}");

    sb.stub_exit(0);
    let out = sb.git_with_stub(&repo, &["commit", "-qm", "good"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_ne!(sb.git_ok(&repo, &["rev-parse", "HEAD"]), before);

    // `git commit -a` builds a temporary index and says so in GIT_INDEX_FILE.
    std::fs::write(
        repo.join("modules/k8s/manifests/init.pp"),
        "class k8s { $a = 1 }\n",
    )
    .unwrap();
    let out = sb.git_with_stub(&repo, &["commit", "-qam", "all"]);
    assert!(out.status.success(), "{}", text(&out));
    let last = sb.stub_log().last().unwrap().clone();
    let (index, args) = last.split_once('|').unwrap();
    assert_eq!(args, "check --staged");
    assert!(index.ends_with("index.lock"), "GIT_INDEX_FILE={index}");
}

#[test]
fn pre_push_checks_the_commits_of_a_gerrit_refs_for_push() {
    let sb = Sandbox::new();
    let origin = sb.repo("origin");
    let remote = sb.path("remote.git");
    sb.git_ok(
        sb.tmp.path(),
        &[
            "clone",
            "-q",
            "--bare",
            origin.to_str().unwrap(),
            remote.to_str().unwrap(),
        ],
    );
    let work = sb.path("work");
    sb.git_ok(
        sb.tmp.path(),
        &[
            "clone",
            "-q",
            remote.to_str().unwrap(),
            work.to_str().unwrap(),
        ],
    );
    sb.stub();
    let out = sb.preflight(&work, &["install-hook", "--pre-push"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));

    let upstream = sb.git_ok(&work, &["rev-parse", "origin/master"]);
    for i in 0..2 {
        std::fs::write(
            work.join(format!("modules/k8s/manifests/c{i}.pp")),
            "class c {}\n",
        )
        .unwrap();
        sb.git_ok(&work, &["add", "."]);
        sb.git_ok(&work, &["commit", "-qm", &format!("change {i}")]);
    }
    let head = sb.git_ok(&work, &["rev-parse", "HEAD"]);

    let out = sb.git_with_stub(&work, &["push", "-q", "origin", "HEAD:refs/for/master"]);
    assert!(out.status.success(), "{}", text(&out));
    let log = sb.stub_log();
    assert_eq!(log.len(), 1, "{log:?}");
    assert_eq!(log[0], format!("|check --each {upstream}..{head}"));

    // A failing check stops the push.
    std::fs::write(work.join("modules/k8s/manifests/c9.pp"), "class c9 {}\n").unwrap();
    sb.git_ok(&work, &["add", "."]);
    sb.git_ok(&work, &["commit", "-qm", "change 9"]);
    sb.stub_exit(1);
    let out = sb.git_with_stub(&work, &["push", "-q", "origin", "HEAD:refs/for/master"]);
    assert!(!out.status.success());
    assert!(
        text(&out).contains("push stopped by puppet-preflight"),
        "{}",
        text(&out)
    );
}

#[test]
fn pre_push_skips_deletions_and_uses_the_remote_sha_for_updates() {
    let sb = Sandbox::new();
    let repo = sb.repo("r");
    sb.stub();
    assert_eq!(
        sb.preflight(&repo, &["install-hook", "--pre-push"])
            .status
            .code(),
        Some(0)
    );
    let old = sb.git_ok(&repo, &["rev-parse", "HEAD"]);
    std::fs::write(repo.join("modules/k8s/manifests/x.pp"), "class x {}\n").unwrap();
    sb.git_ok(&repo, &["add", "."]);
    sb.git_ok(&repo, &["commit", "-qm", "x"]);
    let new = sb.git_ok(&repo, &["rev-parse", "HEAD"]);
    let zero = "0".repeat(40);
    let stdin = format!(
        "(delete) {zero} refs/heads/gone {old}\nrefs/heads/master {new} refs/heads/master {old}\n"
    );
    let mut child = clean(
        &mut Command::new(repo.join(".git/hooks/pre-push")),
        sb.tmp.path(),
    )
    .current_dir(&repo)
    .env("PUPPET_PREFLIGHT", sb.path("stub-preflight"))
    .args(["origin", "https://example.invalid/repo.git"])
    .stdin(Stdio::piped())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(sb.stub_log(), vec![format!("|check --each {old}..{new}")]);
}

/// The whole thing with the real checker: a dangerous staged change (a manifest that no
/// longer parses, so the catalog will not compile) fails the commit with the finding; a
/// safe staged change commits even while the work tree is still broken; `git commit -a`
/// checks its temporary index. Needs `check` wired to the input layer and the rules.
#[test]
fn end_to_end_pre_commit_with_the_real_checker() {
    let sb = Sandbox::new();
    let repo = sb.repo("r");
    assert_eq!(
        sb.preflight(&repo, &["install-hook"]).status.code(),
        Some(0)
    );
    let pp = repo.join("modules/k8s/manifests/init.pp");
    let broken = "class k8s {\n  file { '/usr/bin/kube-scheduler': ensure => link target => '/usr/local/bin/kube-scheduler' }\n}\n";
    let fine = "class k8s {\n  file { '/etc/k8s.conf': ensure => file, content => 'x' }\n}\n";
    let before = sb.git_ok(&repo, &["rev-parse", "HEAD"]);

    std::fs::write(&pp, broken).unwrap();
    sb.git_ok(&repo, &["add", "."]);
    let out = sb.git(&repo, &["commit", "-qm", "dangerous"]);
    assert!(!out.status.success(), "the dangerous commit must fail");
    assert!(text(&out).contains("syntax-error"), "{}", text(&out));
    assert_eq!(sb.git_ok(&repo, &["rev-parse", "HEAD"]), before);

    // Stage the fine version, leave the broken one in the work tree: only the index counts.
    std::fs::write(&pp, fine).unwrap();
    sb.git_ok(&repo, &["add", "."]);
    std::fs::write(&pp, broken).unwrap();
    let out = sb.git(&repo, &["commit", "-qm", "safe"]);
    assert!(out.status.success(), "{}", text(&out));

    // `git commit -a` stages the broken work tree into a temporary index: must fail.
    let out = sb.git(&repo, &["commit", "-qam", "dangerous via -a"]);
    assert!(
        !out.status.success(),
        "commit -a must check the temporary index"
    );
    assert!(text(&out).contains("syntax-error"), "{}", text(&out));
}

/// `shellcheck` on both hook scripts, when it is installed (CI installs it and sets
/// PREFLIGHT_REQUIRE_SHELLCHECK so a missing shellcheck fails instead of skipping).
#[test]
fn hook_scripts_pass_shellcheck() {
    if Command::new("shellcheck")
        .arg("--version")
        .output()
        .is_err()
    {
        assert!(
            std::env::var_os("PREFLIGHT_REQUIRE_SHELLCHECK").is_none(),
            "shellcheck missing"
        );
        eprintln!("shellcheck not installed: skipping");
        return;
    }
    let sb = Sandbox::new();
    let repo = sb.repo("r");
    assert_eq!(
        sb.preflight(&repo, &["install-hook"]).status.code(),
        Some(0)
    );
    assert_eq!(
        sb.preflight(&repo, &["install-hook", "--pre-push"])
            .status
            .code(),
        Some(0)
    );
    let out = Command::new("shellcheck")
        .arg(repo.join(".git/hooks/pre-commit"))
        .arg(repo.join(".git/hooks/pre-push"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
}

#[test]
fn pre_push_to_an_empty_remote_checks_the_root_commit_too() {
    let sb = Sandbox::new();
    let repo = sb.repo("r"); // one commit: the root
    std::fs::write(repo.join("modules/k8s/manifests/y.pp"), "class y {}\n").unwrap();
    sb.git_ok(&repo, &["add", "."]);
    sb.git_ok(&repo, &["commit", "-qm", "second"]);
    let root = sb.git_ok(&repo, &["rev-list", "--max-parents=0", "HEAD"]);
    let head = sb.git_ok(&repo, &["rev-parse", "HEAD"]);
    let remote = sb.path("empty.git");
    sb.git_ok(
        sb.tmp.path(),
        &["init", "-q", "--bare", remote.to_str().unwrap()],
    );
    sb.git_ok(
        &repo,
        &["remote", "add", "origin", remote.to_str().unwrap()],
    );
    sb.stub();
    assert_eq!(
        sb.preflight(&repo, &["install-hook", "--pre-push"])
            .status
            .code(),
        Some(0)
    );
    let out = sb.git_with_stub(&repo, &["push", "-q", "origin", "master"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        sb.stub_log(),
        vec![
            format!("|check --head {root}"),
            format!("|check --each {root}..{head}")
        ]
    );
}
