//! `source-missing` on a file that is on disk but not tracked: the finding says so and
//! that `git add` is the fix (a newcomer's first commit of a module's files).

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
        .status()
        .unwrap()
        .success();
    assert!(ok, "git {args:?}");
}

fn check_json(dir: &Path, args: &[&str]) -> serde_json::Value {
    let out = Command::new(env!("CARGO_BIN_EXE_puppet-preflight"))
        .current_dir(dir)
        .args(["check", "--format", "json"])
        .args(args)
        .env_remove("GIT_DIR")
        .env_remove("GIT_INDEX_FILE")
        .output()
        .expect("run");
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("{e}: {}", String::from_utf8_lossy(&out.stderr));
    })
}

fn source_missing(doc: &serde_json::Value) -> Vec<(String, String)> {
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "source-missing")
        .map(|f| {
            (
                f["message"].as_str().unwrap().to_string(),
                f["help"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

#[test]
fn an_untracked_module_file_is_named_as_untracked() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir_all(d.join("modules/demo/manifests")).unwrap();
    std::fs::write(d.join("modules/demo/manifests/init.pp"), "class demo {}\n").unwrap();
    git(d, &["init", "-q"]);
    git(d, &["add", "."]);
    git(d, &["commit", "-qm", "one"]);
    std::fs::write(
        d.join("modules/demo/manifests/init.pp"),
        "class demo {\n  file { '/etc/demo.conf': source => 'puppet:///modules/demo/demo.conf' }\n}\n",
    )
    .unwrap();
    git(d, &["add", "modules/demo/manifests/init.pp"]);

    // Not on disk at all: it does not exist.
    let found = source_missing(&check_json(d, &["--staged"]));
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0]
            .0
            .contains("modules/demo/files/demo.conf does not exist"),
        "{found:?}"
    );

    // On disk, not added: `git add` it.
    std::fs::create_dir_all(d.join("modules/demo/files")).unwrap();
    std::fs::write(d.join("modules/demo/files/demo.conf"), "x=1\n").unwrap();
    let found = source_missing(&check_json(d, &["--staged"]));
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].0.contains(
            "modules/demo/files/demo.conf is not tracked: it is on disk, but git does not have it"
        ),
        "{found:?}"
    );
    assert!(
        found[0]
            .1
            .starts_with("`git add modules/demo/files/demo.conf`"),
        "{found:?}"
    );

    // Committed without it: the default range (HEAD) says the same.
    git(d, &["commit", "-qm", "two"]);
    let found = source_missing(&check_json(d, &[]));
    assert!(
        found[0]
            .0
            .contains("is not tracked: it is on disk, but git does not have it"),
        "{found:?}"
    );

    // An ignored file is not offered for `git add`.
    std::fs::write(d.join(".gitignore"), "*.conf\n").unwrap();
    let found = source_missing(&check_json(d, &[]));
    assert!(found[0].0.contains("does not exist"), "{found:?}");

    // Added: nothing to report.
    std::fs::remove_file(d.join(".gitignore")).unwrap();
    git(d, &["add", "modules/demo/files/demo.conf"]);
    assert!(source_missing(&check_json(d, &["--staged"])).is_empty());
}
