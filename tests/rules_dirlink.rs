//! `link-over-directory` and the no-`mode` case of `binary-not-executable` through the
//! binary, on small git histories: a directory turned into a link, a link over a
//! directory a declared package fills, and a new executable deployed without a mode
//! (with Puppet 3's git-mode exception).

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

mod input_support;
use input_support::run_git as git;

fn write(root: &Path, path: &str, text: &str) {
    let p = root.join(path);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

fn commit(root: &Path, message: &str) {
    git(root, &["add", "-A"]);
    git(root, &["commit", "-q", "-m", message]);
}

fn repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    git(dir.path(), &["init", "-q"]);
    dir
}

/// `check --base HEAD^ --head HEAD --format json` with `extra` arguments: the exit status
/// and (rule, severity, line, message) of every finding.
fn check(dir: &Path, extra: &[&str]) -> (i32, Vec<(String, String, u64, String)>) {
    let out = Command::new(env!("CARGO_BIN_EXE_puppet-preflight"))
        .arg("check")
        .arg("--repo")
        .arg(dir)
        .args(["--base", "HEAD^", "--head", "HEAD", "--format", "json"])
        .args(["--no-cache", "--isolated"])
        .args([
            "--select",
            "link-over-directory,binary-not-executable,link-over-binary",
        ])
        .args(extra)
        .output()
        .expect("run puppet-preflight");
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let findings = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_owned(),
                f["severity"].as_str().unwrap().to_owned(),
                f["line"].as_u64().unwrap(),
                f["message"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    (out.status.code().unwrap(), findings)
}

const DATA: &str = "modules/data/manifests/init.pp";

#[test]
fn a_directory_turned_into_a_link() {
    let dir = repo();
    let root = dir.path();
    write(
        root,
        DATA,
        "class data {\n  file { '/srv/data':\n    ensure => directory,\n    owner  => 'app',\n  }\n  file { '/srv/data/README': content => 'kept here' }\n}\n",
    );
    commit(root, "data directory");
    write(
        root,
        DATA,
        "class data {\n  file { '/srv/data':\n    ensure => link,\n    target => '/mnt/big/data',\n  }\n}\n",
    );
    commit(root, "move data to the big disk");
    let (code, found) = check(root, &[]);
    assert_eq!(code, 1, "{found:#?}");
    assert_eq!(found.len(), 1, "{found:#?}");
    let (rule, severity, line, message) = &found[0];
    assert_eq!(
        (rule.as_str(), severity.as_str(), *line),
        ("link-over-directory", "error", 3)
    );
    assert!(
        message.contains("it was `ensure => directory` in the base revision"),
        "{message}"
    );
    assert!(message.contains("File['/srv/data/README']"), "{message}");
    assert!(
        message.contains("Puppet refuses to replace the directory"),
        "{message}"
    );

    // With force, turned in place: a warning (the tree goes, what Puppet manages comes
    // back through the link); the exit status stays 0 at the default fail level.
    write(
        root,
        DATA,
        "class data {\n  file { '/srv/data':\n    ensure => link,\n    target => '/mnt/big/data',\n    force  => true,\n  }\n}\n",
    );
    git(
        root,
        &["commit", "-q", "--amend", "-a", "-m", "move data, forced"],
    );
    let (code, found) = check(root, &[]);
    assert_eq!(code, 0, "{found:#?}");
    let got: Vec<(&str, &str)> = found.iter().map(|f| (f.0.as_str(), f.1.as_str())).collect();
    assert_eq!(got, vec![("link-over-directory", "warning")]);
}

#[test]
fn a_link_over_a_directory_a_declared_package_fills() {
    let dir = repo();
    let root = dir.path();
    let m = "modules/web/manifests/init.pp";
    write(
        root,
        m,
        "class web {\n  package { 'nginx': ensure => installed }\n}\n",
    );
    commit(root, "nginx");
    let contents = root.join("Contents-amd64");
    std::fs::write(
        &contents,
        "etc/nginx/nginx.conf                  httpd/nginx\nusr/sbin/nginx                        httpd/nginx\n",
    )
    .unwrap();
    write(
        root,
        m,
        "class web {\n  package { 'nginx': ensure => installed }\n  file { '/etc/nginx': ensure => link, target => '/srv/nginx-config' }\n}\n",
    );
    commit(root, "nginx configuration from /srv");
    let (code, found) = check(root, &["--package-contents", contents.to_str().unwrap()]);
    assert_eq!(code, 1, "{found:#?}");
    let got: Vec<(&str, u64)> = found.iter().map(|f| (f.0.as_str(), f.2)).collect();
    assert_eq!(got, vec![("link-over-directory", 3)], "{found:#?}");
    assert!(found[0].3.contains(
        "package `nginx` ships files under it (/etc/nginx/nginx.conf, by Contents-amd64)"
    ));
}

const TOOL: &str = "modules/tool/manifests/init.pp";

/// A history whose head adds `/usr/local/bin/exporter` (from a module file, executable in
/// git when `executable`) and a service that runs it, with no `mode`; `gemfile_lock` at
/// the root when given.
fn exporter(executable: bool, gemfile_lock: Option<&str>) -> tempfile::TempDir {
    let dir = repo();
    let root = dir.path();
    write(root, TOOL, "class tool {\n}\n");
    if let Some(lock) = gemfile_lock {
        write(root, "Gemfile.lock", lock);
    }
    commit(root, "tool");
    write(
        root,
        TOOL,
        "class tool {\n  file { '/usr/local/bin/exporter':\n    source => 'puppet:///modules/tool/exporter',\n  }\n  service { 'exporter':\n    ensure => running,\n    binary => '/usr/local/bin/exporter',\n    require => File['/usr/local/bin/exporter'],\n  }\n}\n",
    );
    let file = root.join("modules/tool/files/exporter");
    write(
        root,
        "modules/tool/files/exporter",
        "#!/bin/sh\nexec sleep infinity\n",
    );
    let mode = if executable { 0o755 } else { 0o644 };
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(mode)).unwrap();
    commit(root, "exporter");
    dir
}

#[test]
fn an_executable_deployed_without_a_mode() {
    // Puppet 7 (nothing says otherwise): created 0644 whatever git records.
    let dir = exporter(true, None);
    let (code, found) = check(dir.path(), &[]);
    assert_eq!(code, 1, "{found:#?}");
    let got: Vec<(&str, &str, u64)> = found
        .iter()
        .map(|f| (f.0.as_str(), f.1.as_str(), f.2))
        .collect();
    assert_eq!(
        got,
        vec![("binary-not-executable", "error", 3)],
        "{found:#?}"
    );
    assert!(
        found[0].3.contains("Service['exporter'] runs it"),
        "{}",
        found[0].3
    );

    // Puppet 3 copies the mode of the file in git: 100755 is fine, 100644 is not.
    let lock = "GEM\n  remote: https://rubygems.org/\n  specs:\n    puppet (3.8.7)\n";
    let (code, found) = check(exporter(true, Some(lock)).path(), &[]);
    assert_eq!((code, found.len()), (0, 0), "{found:#?}");
    let (code, found) = check(exporter(false, Some(lock)).path(), &[]);
    assert_eq!(code, 1, "{found:#?}");
    assert!(
        found[0]
            .3
            .contains("Puppet 3 copies the mode of its source"),
        "{found:#?}"
    );
}
