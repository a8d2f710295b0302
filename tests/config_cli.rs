//! Configuration and rule-selection errors as a user meets them on `check`: exit status 2
//! and one clear message, never a panic.

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

/// A change that adds an empty binary (an error-level finding).
fn setup() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let m = "modules/demo/manifests/init.pp";
    std::fs::create_dir_all(dir.path().join("before/modules/demo/manifests")).unwrap();
    std::fs::create_dir_all(dir.path().join("after/modules/demo/manifests")).unwrap();
    std::fs::write(dir.path().join("before").join(m), "class demo {}\n").unwrap();
    std::fs::write(
        dir.path().join("after").join(m),
        "class demo {\n  file { '/usr/local/bin/tool': ensure => file }\n}\n",
    )
    .unwrap();
    dir
}

#[test]
fn unknown_key_in_the_config_file_exits_2_pointing_at_it() {
    let dir = setup();
    let cfg = dir.path().join("bad.yaml");
    std::fs::write(&cfg, "puppet_version: 7\nexecutable_dir: [bin]\n").unwrap();
    let (code, out, err) = check(dir.path(), &["--config", cfg.to_str().unwrap()]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(
        err.contains("unknown key") && err.contains("`executable_dir`"),
        "{err}"
    );
    assert!(err.contains("bad.yaml:2:1"), "{err}");
    assert!(err.contains("executable_dirs"), "{err}");
    assert!(!err.contains("panicked"));
}

#[test]
fn missing_config_file_exits_2() {
    let dir = setup();
    let (code, _, err) = check(dir.path(), &["--config", "/nonexistent/preflight.yaml"]);
    assert_eq!(code, 2);
    assert!(err.contains("/nonexistent/preflight.yaml"), "{err}");
}

#[test]
fn unknown_rule_on_the_command_line_exits_2() {
    let dir = setup();
    let (code, _, err) = check(dir.path(), &["--select", "empty_binary"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("unknown rule `empty_binary` in --select"),
        "{err}"
    );
    assert!(err.contains("Did you mean `empty-binary`?"), "{err}");
}

#[test]
fn config_and_isolated_conflict() {
    let dir = setup();
    let (code, _, err) = check(dir.path(), &["--config", "x.yaml", "--isolated"]);
    assert_eq!(code, 2, "{err}");
}

#[test]
fn severities_selection_and_fail_level_decide_the_exit_status() {
    let dir = setup();
    // The default: an error-level finding fails.
    let (code, out, err) = check(dir.path(), &[]);
    assert_eq!(code, 1, "{out}{err}");
    // Turned off, or ignored: nothing fails.
    let cfg = dir.path().join("c.yaml");
    std::fs::write(&cfg, "rules:\n  empty-binary: off\n").unwrap();
    assert_eq!(check(dir.path(), &["--config", cfg.to_str().unwrap()]).0, 0);
    assert_eq!(check(dir.path(), &["--ignore", "empty-binary"]).0, 0);
    // Lowered to a warning: fails only from --fail-level warning.
    std::fs::write(&cfg, "rules:\n  empty-binary: warning\n").unwrap();
    let c = cfg.to_str().unwrap();
    assert_eq!(check(dir.path(), &["--config", c]).0, 0);
    assert_eq!(
        check(dir.path(), &["--config", c, "--fail-level", "warning"]).0,
        1
    );
    assert_eq!(check(dir.path(), &["--fail-level", "never"]).0, 0);
    // --isolated ignores a broken file at the root of the after side.
    std::fs::write(
        dir.path().join("after/.puppet-preflight.yaml"),
        "bogus: 1\n",
    )
    .unwrap();
    let (code, _, err) = check(dir.path(), &[]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("unknown key `bogus`"), "{err}");
    assert_eq!(check(dir.path(), &["--isolated"]).0, 1);
}
