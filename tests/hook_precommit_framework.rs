//! The pre-commit framework (https://pre-commit.com) against this repository's
//! `.pre-commit-hooks.yaml`: the manifest validates, and `pre-commit try-repo` runs the
//! `language: system` hook with `check --staged`, failing the run when the check fails.
//! A stub on PATH stands in for puppet-preflight so only the framework wiring is tested.
//!
//! Needs `pre-commit` on PATH (`pip install pre-commit`). Without it these tests say so
//! and pass, unless PREFLIGHT_REQUIRE_PRE_COMMIT is set (CI sets it), when they fail.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn have_pre_commit() -> bool {
    let ok = Command::new("pre-commit")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var_os("PREFLIGHT_REQUIRE_PRE_COMMIT").is_none(),
            "pre-commit is required (PREFLIGHT_REQUIRE_PRE_COMMIT is set) but not on PATH"
        );
        eprintln!("pre-commit not on PATH: skipping (pip install pre-commit)");
    }
    ok
}

fn run(dir: &Path, home: &Path, path_prefix: Option<&Path>, prog: &str, args: &[&str]) -> Output {
    let mut cmd = Command::new(prog);
    for v in ["GIT_DIR", "GIT_INDEX_FILE", "GIT_WORK_TREE"] {
        cmd.env_remove(v);
    }
    if let Some(p) = path_prefix {
        let path = std::env::var("PATH").unwrap_or_default();
        cmd.env("PATH", format!("{}:{path}", p.display()));
    }
    cmd.current_dir(dir)
        .args(args)
        .env("HOME", home)
        .env("PRE_COMMIT_HOME", home.join("pre-commit-cache"))
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", home.join("gitconfig"))
        .env("GIT_AUTHOR_NAME", "Test")
        .env("GIT_AUTHOR_EMAIL", "test@example.org")
        .env("GIT_COMMITTER_NAME", "Test")
        .env("GIT_COMMITTER_EMAIL", "test@example.org")
        .output()
        .unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn manifest_validates() {
    if !have_pre_commit() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let out = run(
        &root(),
        tmp.path(),
        None,
        "pre-commit",
        &["validate-manifest", ".pre-commit-hooks.yaml"],
    );
    assert!(out.status.success(), "{}", text(&out));
}

#[test]
fn try_repo_runs_the_staged_check() {
    if !have_pre_commit() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path();
    std::fs::write(home.join("gitconfig"), "[init]\n\tdefaultBranch = master\n").unwrap();
    // The stub checker.
    let bin = home.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let log = home.join("stub.log");
    let stub = bin.join("puppet-preflight");
    std::fs::write(
        &stub,
        format!(
            "#!/bin/sh\necho \"$*\" >> '{}'\necho 'stub: finding service-binary-relinked'\nexit $(cat '{}' 2>/dev/null || echo 0)\n",
            log.display(),
            home.join("stub.exit").display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&stub, std::fs::Permissions::from_mode(0o755)).unwrap();

    // A Puppet repository with a staged change.
    let repo = home.join("puppet");
    std::fs::create_dir_all(repo.join("modules/k8s/manifests")).unwrap();
    assert!(run(&repo, home, None, "git", &["init", "-q"])
        .status
        .success());
    std::fs::write(repo.join("modules/k8s/manifests/init.pp"), "class k8s {}\n").unwrap();
    assert!(run(&repo, home, None, "git", &["add", "."])
        .status
        .success());

    let project = root();
    let project = project.to_str().unwrap();
    let out = run(
        &repo,
        home,
        Some(&bin),
        "pre-commit",
        &["try-repo", project, "puppet-preflight-system", "--verbose"],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        std::fs::read_to_string(&log).unwrap(),
        "check --staged\n",
        "no file names passed"
    );

    // A failing check fails the hook and shows its output.
    std::fs::write(home.join("stub.exit"), "1").unwrap();
    let out = run(
        &repo,
        home,
        Some(&bin),
        "pre-commit",
        &["try-repo", project, "puppet-preflight-system", "--verbose"],
    );
    assert!(!out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("stub: finding service-binary-relinked"),
        "{}",
        text(&out)
    );
}
