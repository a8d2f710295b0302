//! `puppet-preflight parse`: exit status 0 / 1 / 2, the JSON shape, directory walking and
//! the operational errors (missing path, not UTF-8).

use std::path::Path;
use std::process::Command;

fn run(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_puppet-preflight"))
        .arg("parse")
        .args(args)
        .output()
        .expect("run puppet-preflight");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn write(dir: &Path, name: &str, text: &[u8]) -> String {
    let p = dir.join(name);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent).expect("mkdir");
    }
    std::fs::write(&p, text).expect("write");
    p.to_string_lossy().into_owned()
}

#[test]
fn all_good_exits_zero() {
    let d = tempfile::tempdir().expect("tempdir");
    let f = write(
        d.path(),
        "a.pp",
        b"class a { file { '/x': ensure => file } }\n",
    );
    let (code, _, err) = run(&[&f]);
    assert_eq!(code, 0, "{err}");
}

#[test]
fn syntax_error_exits_one_with_json_location() {
    let d = tempfile::tempdir().expect("tempdir");
    write(d.path(), "m/b.pp", b"$x = 1\n$y = [1 2]\n");
    write(d.path(), "m/a.pp", b"$ok = 1\n");
    write(d.path(), "m/c.pp", b"notice(\n");
    write(d.path(), "m/readme.txt", b"not a manifest [[[");
    let dir = d.path().join("m");
    let (code, out, err) = run(&["--format", "json", dir.to_str().expect("utf-8 path")]);
    assert_eq!(code, 1, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("JSON on stdout");
    assert_eq!(v["files"], 3);
    let failed = v["failed"].as_array().expect("failed array");
    assert_eq!(failed.len(), 2, "{out}");
    // sorted by file name
    assert!(failed[0]["file"].as_str().expect("file").ends_with("b.pp"));
    assert_eq!(failed[0]["line"], 2);
    assert_eq!(failed[0]["column"], 9);
    assert!(failed[0]["message"]
        .as_str()
        .expect("msg")
        .contains("expected ',' or ']'"));
    assert!(failed[1]["file"].as_str().expect("file").ends_with("c.pp"));
}

#[test]
fn human_output_shows_snippet_and_opener() {
    let d = tempfile::tempdir().expect("tempdir");
    let f = write(d.path(), "x.pp", b"file { '/a':\n  ensure => file,\n");
    let (code, _, err) = run(&[&f]);
    assert_eq!(code, 1);
    assert!(err.contains("end of input"), "{err}");
    assert!(err.contains("this resource body is not closed"), "{err}");
    assert!(err.contains("file { '/a':"), "{err}");
    // Drawn as `check` draws: Unicode box lines, no colour in a pipe.
    assert!(err.contains("╭─[") && err.contains("│"), "{err}");
    assert!(!err.contains(",-[") && !err.contains('\u{1b}'), "{err}");
}

#[test]
fn empty_directory_is_fine() {
    let d = tempfile::tempdir().expect("tempdir");
    let (code, out, _) = run(&["--format", "json", d.path().to_str().expect("utf-8")]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    assert_eq!(v["files"], 0);
    assert_eq!(v["failed"].as_array().map(|a| a.len()), Some(0));
}

#[test]
fn missing_path_exits_two_with_message() {
    let (code, out, err) = run(&["/nonexistent/dir/x.pp"]);
    assert_eq!(code, 2);
    assert!(out.is_empty());
    assert!(err.contains("cannot read /nonexistent/dir/x.pp"), "{err}");
    // The OS error is said once, not again as a cause.
    assert_eq!(err.matches("No such file or directory").count(), 1, "{err}");
}

#[test]
fn not_utf8_exits_two_with_message() {
    let d = tempfile::tempdir().expect("tempdir");
    let f = write(d.path(), "latin1.pp", b"$x = 'caf\xe9'\n");
    let (code, _, err) = run(&[&f]);
    assert_eq!(code, 2);
    assert!(err.contains("not valid UTF-8 (byte 9)"), "{err}");
}

#[test]
fn no_arguments_is_a_usage_error() {
    let (code, _, err) = run(&[]);
    assert_eq!(code, 2);
    assert!(err.contains("PATH"), "{err}");
}

#[test]
fn single_threaded_gives_the_same_result() {
    let d = tempfile::tempdir().expect("tempdir");
    for i in 0..20 {
        let bad = if i % 7 == 3 { "$x = " } else { "$x = 1" };
        write(d.path(), &format!("f{i:02}.pp"), bad.as_bytes());
    }
    let p = d.path().to_str().expect("utf-8");
    let (c1, o1, _) = run(&["--format", "json", "--jobs", "1", p]);
    let (c2, o2, _) = run(&["--format", "json", p]);
    assert_eq!((c1, &o1), (c2, &o2));
    assert_eq!(c1, 1);
}

#[cfg(unix)]
#[test]
fn symlinked_directories_are_not_followed() {
    let d = tempfile::tempdir().expect("tempdir");
    write(d.path(), "m/a.pp", b"$x = 1\n");
    std::os::unix::fs::symlink("..", d.path().join("m/up")).expect("symlink loop");
    std::os::unix::fs::symlink("a.pp", d.path().join("m/b.pp")).expect("file symlink");
    let (code, out, err) = run(&["--format", "json", d.path().to_str().expect("utf-8")]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    // a.pp and the file symlink b.pp; nothing through the directory loop
    assert_eq!(v["files"], 2, "{out}");
}
