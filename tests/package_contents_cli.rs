//! `--package-contents` and `package_contents:` as a user meets them on `check`: a path a
//! declared package ships is provided, a malformed file is exit status 2 with one clear
//! message. And the repository's Puppet version as the findings state it.

use std::io::Write;
use std::path::Path;
use std::process::Command;

fn check(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_puppet-preflight"))
        .arg("check")
        .arg("--before")
        .arg(dir.join("before"))
        .arg("--after")
        .arg(dir.join("after"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("run puppet-preflight");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn write(dir: &Path, path: &str, text: &str) {
    let p = dir.join(path);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

/// A change that stops deploying git-daemon from the repository: package `git`, which is
/// declared, ships it.
fn git_daemon() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let m = "modules/git/manifests/init.pp";
    let after = "class git {\n  package { 'git': ensure => installed }\n  service { 'git-daemon':\n    ensure => running,\n    binary => '/usr/lib/git-core/git-daemon',\n  }\n}\n";
    let before = after.replace(
        "  service {",
        "  file { '/usr/lib/git-core/git-daemon': source => 'puppet:///modules/git/git-daemon', mode => '0755' }\n  service {",
    );
    write(dir.path(), &format!("before/{m}"), &before);
    write(
        dir.path(),
        "before/modules/git/files/git-daemon",
        "#!/bin/sh\n",
    );
    write(dir.path(), &format!("after/{m}"), after);
    dir
}

/// miette's text with its wrapping and margins taken out.
fn flat(s: &str) -> String {
    s.replace('│', " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

const INDEX: &str = "usr/bin/git                              vcs/git\n\
                     usr/lib/git-core/git-daemon              vcs/git\n\
                     usr/sbin/nginx                           httpd/nginx-core\n";

#[test]
fn a_path_a_declared_package_ships_is_provided() {
    let dir = git_daemon();
    let (code, out, err) = check(dir.path(), &["--format", "json"]);
    assert!(
        out.contains("service-binary-unmanaged") && out.contains("git-daemon"),
        "without the index the binary is provided by nothing: {code} {out}{err}"
    );
    // Gzip, as apt keeps it.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(INDEX.as_bytes()).unwrap();
    let contents = dir.path().join("Contents-amd64.gz");
    std::fs::write(&contents, gz.finish().unwrap()).unwrap();
    let (code, out, err) = check(
        dir.path(),
        &[
            "--format",
            "json",
            "--package-contents",
            contents.to_str().unwrap(),
        ],
    );
    assert!(
        !out.contains("service-binary-unmanaged"),
        "{code} {out}{err}"
    );
    // The same from the configuration, as a dpkg -L list.
    let list = dir.path().join("git.list");
    std::fs::write(&list, "/.\n/usr/lib/git-core/git-daemon\n").unwrap();
    let cfg = dir.path().join("c.yaml");
    std::fs::write(&cfg, format!("package_contents: [{}]\n", list.display())).unwrap();
    let (code, out, err) = check(
        dir.path(),
        &["--format", "json", "--config", cfg.to_str().unwrap()],
    );
    assert!(
        !out.contains("service-binary-unmanaged"),
        "{code} {out}{err}"
    );
}

#[test]
fn a_malformed_or_missing_contents_file_exits_2() {
    let dir = git_daemon();
    let bad = dir.path().join("Contents-amd64");
    std::fs::write(&bad, "usr/bin/git vcs/git\nthis is not an entry\n").unwrap();
    let (code, out, err) = check(dir.path(), &["--package-contents", bad.to_str().unwrap()]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(
        flat(&err).contains("Contents-amd64: line 2: expected"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
    let (code, _, err) = check(
        dir.path(),
        &["--package-contents", "/nonexistent/Contents-amd64.gz"],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("/nonexistent/Contents-amd64.gz"), "{err}");
}

#[test]
fn numeric_modes_in_a_puppet_3_repository() {
    let dir = tempfile::tempdir().unwrap();
    let m = "manifests/site.pp";
    write(dir.path(), &format!("before/{m}"), "import 'nodes/*.pp'\n");
    write(
        dir.path(),
        &format!("after/{m}"),
        "import 'nodes/*.pp'\nfile { '/etc/motd': mode => 0644, content => 'hi' }\n",
    );
    let (code, out, err) = check(dir.path(), &[]);
    assert_eq!(code, 0, "Puppet 3 reads 0644 as a string: {out}{err}");
    // The summaries say which Puppet was assumed, and why.
    let (_, out, _) = check(dir.path(), &["--summary"]);
    assert!(
        out.contains(
            "Judged as Puppet 3 or older (`import` in manifests/site.pp, which Puppet 4 removed)."
        ),
        "{out}"
    );
    let (_, out, _) = check(dir.path(), &["--format", "json"]);
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        json["summary"]["puppet"],
        "Puppet 3 or older (`import` in manifests/site.pp, which Puppet 4 removed)"
    );
    // With a Gemfile.lock of Puppet 7 the number is an error, and the help says why.
    for side in ["before", "after"] {
        write(
            dir.path(),
            &format!("{side}/Gemfile.lock"),
            "GEM\n  specs:\n    puppet (7.24.0)\n",
        );
    }
    let (code, out, err) = check(dir.path(), &[]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        out.contains("assumed Puppet 7.24.0 (Gemfile.lock)"),
        "{out}"
    );
}

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .args(["-c", "user.name=t", "-c", "user.email=t@example.org"])
        .args(args)
        .current_dir(dir)
        .output()
        .expect("git");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A cached result depends on the contents files: a changed file is read again.
#[test]
fn the_result_cache_knows_the_contents_files() {
    let dir = git_daemon();
    let repo = dir.path().join("repo");
    std::fs::create_dir_all(&repo).unwrap();
    git(&repo, &["init", "-q"]);
    for side in ["before", "after"] {
        let _ = std::fs::remove_dir_all(repo.join("modules"));
        let copy = Command::new("cp")
            .arg("-r")
            .arg(dir.path().join(side).join("modules"))
            .arg(&repo)
            .status()
            .unwrap();
        assert!(copy.success());
        git(&repo, &["add", "-A"]);
        git(&repo, &["commit", "-qm", side]);
    }
    let list = dir.path().join("git.list");
    let cache = dir.path().join("cache");
    let run = || {
        let out = Command::new(env!("CARGO_BIN_EXE_puppet-preflight"))
            .args(["check", "--format", "json", "--package-contents"])
            .arg(&list)
            .arg("--repo")
            .arg(&repo)
            .env("PUPPET_PREFLIGHT_CACHE_DIR", &cache)
            .env_remove("PUPPET_PREFLIGHT_NO_CACHE")
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    std::fs::write(&list, "/usr/lib/git-core/git-daemon\n").unwrap();
    assert!(!run().contains("service-binary-unmanaged"));
    let stored = std::fs::read_dir(&cache).map(|d| d.count()).unwrap_or(0);
    assert!(stored > 0, "the result was cached");
    assert!(
        !run().contains("service-binary-unmanaged"),
        "from the cache"
    );
    // The list no longer has the binary (another size): not the cached answer.
    std::fs::write(&list, "/usr/bin/git\n").unwrap();
    assert!(run().contains("service-binary-unmanaged"));
}
