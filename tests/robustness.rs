//! Adversarial input through the real binary (issue 9, item 4).
//!
//! Every case runs `puppet-preflight` as a child process under a time limit (the child is
//! killed when it runs over), samples its peak resident memory from `/proc`, and checks
//! the outcome: either a correct result, or exit status 2 with a short, clear message and
//! no panic. Git scenarios also prove the repository is only read: a digest of every file
//! under `.git` (path, size, content, modification time) is the same before and after.
//!
//! Big inputs are generated at test time in temporary directories. `ROBUST_BIG_MB` sets
//! the size of the big manifest (default 10; the figure is 50).

use std::collections::hash_map::DefaultHasher;
use std::ffi::OsStr;
use std::fmt::Write as _;
use std::fs;
use std::hash::{Hash, Hasher};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_puppet-preflight");

/// What one run of the binary did.
#[derive(Debug)]
struct Run {
    /// `None` when the child was killed by the time limit or a signal.
    code: Option<i32>,
    stdout: String,
    stderr: String,
    secs: f64,
    /// Peak resident set size in KiB, as last sampled from `/proc/PID/status` (VmHWM).
    peak_kib: u64,
    timed_out: bool,
}

fn run_in(dir: &Path, args: &[&dyn AsRef<OsStr>], limit: Duration) -> Run {
    let out = tempfile::NamedTempFile::new().expect("temp file");
    let err = tempfile::NamedTempFile::new().expect("temp file");
    let mut cmd = Command::new(BIN);
    cmd.current_dir(dir)
        .stdin(Stdio::null())
        .stdout(out.reopen().expect("reopen"))
        .stderr(err.reopen().expect("reopen"))
        .env_remove("PUPPET_PREFLIGHT_FORMAT")
        .env_remove("RUST_BACKTRACE")
        .env("NO_COLOR", "1");
    for a in args {
        cmd.arg(a.as_ref());
    }
    let start = Instant::now();
    let mut child = cmd.spawn().expect("spawn the binary");
    let status_path = format!("/proc/{}/status", child.id());
    let mut peak = 0;
    let mut timed_out = false;
    let status = loop {
        if let Ok(s) = fs::read_to_string(&status_path) {
            if let Some(kib) = vm_hwm(&s) {
                peak = peak.max(kib);
            }
        }
        match child.try_wait().expect("wait") {
            Some(s) => break s,
            None if start.elapsed() > limit => {
                timed_out = true;
                let _ = child.kill();
                break child.wait().expect("wait after kill");
            }
            None => std::thread::sleep(Duration::from_millis(5)),
        }
    };
    Run {
        code: status.code(),
        stdout: fs::read_to_string(out.path()).unwrap_or_default(),
        stderr: String::from_utf8_lossy(&fs::read(err.path()).unwrap_or_default()).into_owned(),
        secs: start.elapsed().as_secs_f64(),
        peak_kib: peak,
        timed_out,
    }
}

fn vm_hwm(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn run(dir: &Path, args: &[&dyn AsRef<OsStr>]) -> Run {
    run_in(dir, args, Duration::from_secs(60))
}

/// Finished in time, without a panic or a backtrace hint.
fn assert_no_crash(r: &Run, what: &str) {
    assert!(!r.timed_out, "{what}: still running after {:.1}s", r.secs);
    assert!(r.code.is_some(), "{what}: killed by a signal: {r:?}");
    for bad in ["panicked", "RUST_BACKTRACE", "stack overflow"] {
        assert!(
            !r.stderr.contains(bad),
            "{what}: `{bad}` in stderr:\n{}",
            r.stderr
        );
    }
}

/// Exit status 2 and a short message (one paragraph plus help) naming the problem.
fn assert_clean_error(r: &Run, what: &str, needle: &str) {
    assert_no_crash(r, what);
    assert_eq!(r.code, Some(2), "{what}: exit status\n{}", r.stderr);
    let text = r.stderr.trim();
    assert!(!text.is_empty(), "{what}: empty stderr");
    assert!(
        text.lines().count() <= 20 && text.len() <= 2000,
        "{what}: the message is not short:\n{text}"
    );
    assert!(
        text.to_lowercase().contains(&needle.to_lowercase()),
        "{what}: stderr does not mention `{needle}`:\n{text}"
    );
}

fn write(path: &Path, data: impl AsRef<[u8]>) {
    if let Some(p) = path.parent() {
        fs::create_dir_all(p).expect("mkdir");
    }
    fs::write(path, data).expect("write");
}

// ---------------------------------------------------------------------------------------
// git helpers

fn git(dir: &Path, args: &[&str]) -> String {
    // No automatic gc or maintenance: a detached `git gc --auto` after a big commit
    // would write into .git while the read-only digest is taken.
    let out = Command::new("git")
        .current_dir(dir)
        .args(["-c", "gc.auto=0", "-c", "maintenance.auto=false"])
        .args(args)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.org")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.org")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir)
        .output()
        .expect("run git");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// A new repository (branch `main`, no commit) in `root/repo`.
fn empty_repo(root: &Path) -> PathBuf {
    let repo = root.join("repo");
    fs::create_dir_all(&repo).expect("mkdir");
    git(&repo, &["init", "-q", "-b", "main"]);
    repo
}

fn commit_all(dir: &Path, msg: &str) {
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "--no-gpg-sign", "-m", msg]);
}

/// A repository with a module whose file resource changes in each of three commits.
fn small_repo(root: &Path) -> PathBuf {
    let repo = empty_repo(root);
    for (i, p) in ["/etc/a", "/etc/b", "/etc/c"].iter().enumerate() {
        write(
            &repo.join("modules/m/manifests/init.pp"),
            format!("class m {{\n  file {{ '{p}': ensure => file }}\n}}\n"),
        );
        commit_all(&repo, &format!("commit {i}"));
    }
    repo
}

/// A digest of everything under `.git`: paths, sizes, contents and modification times.
fn digest_git(repo: &Path) -> u64 {
    let mut h = DefaultHasher::new();
    let mut paths: Vec<PathBuf> = walk(&repo.join(".git"));
    paths.sort();
    for p in paths {
        p.hash(&mut h);
        if let Ok(m) = fs::symlink_metadata(&p) {
            m.len().hash(&mut h);
            m.modified().ok().hash(&mut h);
            if m.is_file() {
                fs::read(&p).unwrap_or_default().hash(&mut h);
            }
        }
    }
    h.finish()
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = fs::read_dir(&d) else { continue };
        for e in rd.flatten() {
            let p = e.path();
            out.push(p.clone());
            if e.file_type().map(|t| t.is_dir()).unwrap_or(false) {
                stack.push(p);
            }
        }
    }
    out
}

/// Runs `args` in `repo` and asserts `.git` is byte-for-byte unchanged afterwards.
fn run_read_only(repo: &Path, args: &[&dyn AsRef<OsStr>]) -> Run {
    let before = digest_git(repo);
    let r = run(repo, args);
    let shown: Vec<_> = args.iter().map(|a| a.as_ref().to_string_lossy()).collect();
    assert_eq!(before, digest_git(repo), "{shown:?} wrote into .git");
    r
}

// ---------------------------------------------------------------------------------------
// big and deep manifests

fn big_manifest(bytes: usize) -> (String, usize) {
    let mut s = String::with_capacity(bytes + 200);
    let mut i = 0;
    while s.len() < bytes {
        let _ = writeln!(
            s,
            "file {{ '/srv/data/f{i}': ensure => file, mode => '0644', owner => 'root', content => \"x${{y}}z\" }}"
        );
        i += 1;
    }
    (s, i)
}

fn big_mb() -> usize {
    std::env::var("ROBUST_BIG_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10)
}

#[test]
fn big_manifest_parses_in_bounded_time_and_memory() {
    let t = tempfile::tempdir().expect("tempdir");
    let mb = big_mb();
    let (src, n) = big_manifest(mb << 20);
    write(&t.path().join("big.pp"), &src);
    let r = run_in(
        t.path(),
        &[&"parse", &"big.pp"],
        Duration::from_secs(30 * mb as u64),
    );
    assert_no_crash(&r, "parse big.pp");
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let all = format!("{}{}", r.stdout, r.stderr);
    assert!(all.contains("1 file checked"), "{all}");
    // Measured: about 21 bytes of memory per byte of input (1.08 GB for 50 MB, 3.8 s,
    // release build); 35 before the tree's nodes shrank.
    let limit_kib = (mb as u64) * 1024 * 60 + 100_000;
    assert!(
        r.peak_kib < limit_kib,
        "parse of {mb} MB ({n} resources) peaked at {} KiB",
        r.peak_kib
    );
    eprintln!(
        "parse {mb} MB ({n} resources): {:.1}s, peak {} KiB",
        r.secs, r.peak_kib
    );
}

/// Regression guard at a size the current model handles: a 2,000-resource addition.
#[test]
fn many_added_resources_check_before_after() {
    let t = tempfile::tempdir().expect("tempdir");
    let (src, _) = big_manifest(200 << 10);
    write(&t.path().join("before/big.pp"), "file { '/x': }\n");
    write(&t.path().join("after/big.pp"), &src);
    let r = run_in(
        t.path(),
        &[&"check", &"--before", &"before", &"--after", &"after"],
        Duration::from_secs(60),
    );
    assert_no_crash(&r, "check big");
    assert_eq!(r.code, Some(0), "{}\n{}", r.stdout, r.stderr);
    let r = run_in(t.path(), &[&"resources", &"after"], Duration::from_secs(60));
    assert_no_crash(&r, "resources big");
    assert_eq!(r.code, Some(0), "{}", r.stderr);
}

/// `check` must scale about linearly with the number of added resources. Today
/// `model::change::restarts` calls `change_text` for every added or changed resource, and
/// `change_text` does `ch.added.contains(&id)` and `ch.diff_of(id)` (both linear scans of
/// a Vec): quadratic. Measured (debug build, idle machine) with `check --before B --after
/// A` where A adds N `file { '/srv/fN': ensure => file }`: N=5,000 0.27 s, 20,000 4.0 s;
/// the 50 MB manifest (530,000 resources) was still running after 13 minutes at 2.4 GB
/// (`parse` of the same file: 24 s, 1.75 GB).
#[test]
fn check_scales_linearly_with_added_resources() {
    let time = |n: usize| {
        let t = tempfile::tempdir().expect("tempdir");
        let mut src = String::new();
        for i in 0..n {
            let _ = writeln!(src, "file {{ '/srv/f{i}': ensure => file }}");
        }
        write(&t.path().join("before/a.pp"), "file { '/x': }\n");
        write(&t.path().join("after/a.pp"), &src);
        let r = run_in(
            t.path(),
            &[&"check", &"--before", &"before", &"--after", &"after"],
            Duration::from_secs(300),
        );
        assert_no_crash(&r, "check");
        r.secs
    };
    let small = time(10_000);
    let big = time(40_000);
    assert!(
        big < small * 4.0 * 2.0,
        "4x the resources took {:.1}x the time ({small:.1}s -> {big:.1}s)",
        big / small
    );
}

fn deep_inputs() -> Vec<(&'static str, String)> {
    let n = 100_000;
    vec![
        ("brackets", format!("$x = {}", "[".repeat(n))),
        (
            "parens",
            format!("$x = {}1{}", "(".repeat(n), ")".repeat(n)),
        ),
        (
            "hashes",
            format!("$x = {}1{}", "{a => ".repeat(n), "}".repeat(n)),
        ),
        ("if", "if $a { ".repeat(n)),
        ("heredocs", {
            let mut s = String::new();
            for i in 0..n / 10 {
                let _ = write!(s, "$x{i} = @(E{i})\n${{@(F{i})\n");
            }
            s
        }),
    ]
}

#[test]
fn hundred_thousand_deep_nesting_through_every_command() {
    for (name, src) in deep_inputs() {
        let t = tempfile::tempdir().expect("tempdir");
        write(&t.path().join("before/deep.pp"), "file { '/x': }\n");
        write(&t.path().join("after/deep.pp"), &src);
        let r = run(t.path(), &[&"parse", &"after/deep.pp"]);
        assert_no_crash(&r, name);
        assert_eq!(r.code, Some(1), "{name}: parse must report a syntax error");
        let r = run(
            t.path(),
            &[&"parse", &"--format", &"json", &"after/deep.pp"],
        );
        assert_no_crash(&r, name);
        assert_eq!(r.code, Some(1), "{name}: {}", r.stderr);
        let r = run(t.path(), &[&"resources", &"after"]);
        assert_no_crash(&r, name);
        assert_eq!(r.code, Some(0), "{name}: {}", r.stderr);
        let r = run(
            t.path(),
            &[&"check", &"--before", &"before", &"--after", &"after"],
        );
        assert_no_crash(&r, name);
        assert_eq!(r.code, Some(1), "{name}: {}", r.stderr);
        assert!(r.stdout.contains("syntax-error"), "{name}: {}", r.stdout);
    }
}

#[test]
fn deep_interpolation_through_parse_and_resources() {
    let t = tempfile::tempdir().expect("tempdir");
    write(
        &t.path().join("d/deep.pp"),
        format!("$x = \"{}", "${\"".repeat(100_000)),
    );
    let r = run(t.path(), &[&"parse", &"d/deep.pp"]);
    assert_no_crash(&r, "parse");
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    let r = run(t.path(), &[&"resources", &"d"]);
    assert_no_crash(&r, "resources");
    assert_eq!(r.code, Some(0), "{}", r.stderr);
}

/// `check` once aborted with a stack overflow (SIGABRT, exit 134) on 100,000 nested
/// interpolations: the suppression comments' own lexer (since replaced by the parser's
/// comment spans) recursed once per `"${"` with no depth limit. Reproduce:
/// `python3 -c 'print("$x = \"" + "${\"" * 100000)' > a/x.pp; echo 'file{"/x":}' > b/x.pp;
/// puppet-preflight check --before b --after a`. The parser itself stops at 256 levels.
#[test]
fn deep_interpolation_does_not_overflow_check() {
    let t = tempfile::tempdir().expect("tempdir");
    write(&t.path().join("before/deep.pp"), "file { '/x': }\n");
    write(
        &t.path().join("after/deep.pp"),
        format!("$x = \"{}", "${\"".repeat(100_000)),
    );
    let r = run(
        t.path(),
        &[&"check", &"--before", &"before", &"--after", &"after"],
    );
    assert_no_crash(&r, "check");
    assert_eq!(r.code, Some(1), "{}", r.stderr);
}

/// Code that nests evaluation rather than syntax: each class body is shallow, but each
/// declares the next. Before the evaluator had a nesting bound, a chain of about 1,000
/// includes overflowed the stack (SIGABRT, exit 134).
fn deep_evaluations() -> Vec<(&'static str, String)> {
    let n = 100_000;
    let mut include = String::new();
    let mut inherits = String::from("class c0 { file { '/tmp/c0': ensure => file } }\n");
    let mut defines = String::new();
    for i in 0..n {
        let _ = writeln!(
            include,
            "class c{i} {{ include c{} file {{ '/tmp/c{i}': ensure => file }} }}",
            i + 1
        );
    }
    let _ = writeln!(include, "class c{n} {{}}\ninclude c0");
    for i in 1..10_000 {
        let _ = writeln!(inherits, "class c{i} inherits c{} {{ }}", i - 1);
    }
    inherits.push_str("include c9999\n");
    for i in 0..1_000 {
        let _ = writeln!(defines, "define d{i}() {{ d{} {{ $title: }} }}", i + 1);
    }
    defines.push_str("define d1000() { file { \"/tmp/${title}\": } }\nd0 { 'x': }\n");
    vec![
        ("include chain", include),
        ("inherits chain", inherits),
        ("define chain", defines),
        (
            "mutual includes",
            "class a { include b }\nclass b { include a contain a require a }\ninclude a\n"
                .to_string(),
        ),
        (
            "define declaring itself",
            "define d() { d { \"${title}x\": } include c }\nclass c { d { 'y': } }\nd { 'x': }\n"
                .to_string(),
        ),
    ]
}

#[test]
fn deep_evaluation_finishes_without_overflow() {
    for (name, src) in deep_evaluations() {
        let t = tempfile::tempdir().expect("tempdir");
        write(&t.path().join("before/manifests/site.pp"), "");
        write(&t.path().join("after/manifests/site.pp"), &src);
        let r = run(
            t.path(),
            &[&"check", &"--before", &"before", &"--after", &"after"],
        );
        assert_no_crash(&r, name);
        assert!(matches!(r.code, Some(0 | 1)), "{name}: {}", r.stderr);
        let r = run(t.path(), &[&"resources", &"--format", &"json", &"after"]);
        assert_no_crash(&r, name);
        assert_eq!(r.code, Some(0), "{name}: {}", r.stderr);
        if name == "include chain" {
            // Every class of the chain was evaluated: the bound defers, it does not drop.
            let files = r.stdout.matches("\"type\": \"file\"").count();
            assert_eq!(files, 100_000, "{name}");
        }
    }
}

// ---------------------------------------------------------------------------------------
// bytes that are not Puppet

#[test]
fn nul_byte_is_a_syntax_error() {
    let t = tempfile::tempdir().expect("tempdir");
    write(
        &t.path().join("after/nul.pp"),
        b"file { '/a': ensure => present }\n\0\n",
    );
    write(&t.path().join("before/nul.pp"), "file { '/a': }\n");
    let r = run(t.path(), &[&"parse", &"after/nul.pp"]);
    assert_no_crash(&r, "parse");
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    let r = run(t.path(), &[&"resources", &"after"]);
    assert_no_crash(&r, "resources");
    assert!(r.stdout.contains("File['/a']"), "{}", r.stdout);
    let r = run(
        t.path(),
        &[&"check", &"--before", &"before", &"--after", &"after"],
    );
    assert_no_crash(&r, "check");
    assert_eq!(r.code, Some(1), "{}", r.stdout);
    assert!(r.stdout.contains("syntax-error"), "{}", r.stdout);
}

#[test]
fn invalid_utf8_manifest() {
    let t = tempfile::tempdir().expect("tempdir");
    write(&t.path().join("after/bad.pp"), b"file { '/a\xff\xfe': }\n");
    write(&t.path().join("before/bad.pp"), "file { '/a': }\n");
    let r = run(t.path(), &[&"parse", &"after/bad.pp"]);
    assert_clean_error(&r, "parse", "not valid UTF-8");
    let r = run(
        t.path(),
        &[&"check", &"--before", &"before", &"--after", &"after"],
    );
    assert_no_crash(&r, "check");
    assert_eq!(r.code, Some(1), "{}", r.stdout);
    assert!(r.stdout.contains("not valid UTF-8"), "{}", r.stdout);
}

/// `resources` drops a manifest that is not UTF-8 without a word: exit 0, "0 resources
/// shown ... from 0 manifests". Reproduce: `printf 'file { "/a\xff": }' > d/bad.pp;
/// puppet-preflight resources d`. It should say the file was skipped (or exit 2), as
/// it already says when manifests have syntax errors.
#[test]
fn resources_mentions_a_non_utf8_manifest() {
    let t = tempfile::tempdir().expect("tempdir");
    write(&t.path().join("d/bad.pp"), b"file { '/a\xff': }\n");
    let r = run(t.path(), &[&"resources", &"d"]);
    assert_no_crash(&r, "resources");
    let all = format!("{}{}", r.stdout, r.stderr);
    assert!(all.contains("bad.pp"), "bad.pp is not mentioned:\n{all}");
}

#[test]
fn invalid_utf8_in_a_unit_template() {
    let base = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/scenarios/unit-change-without-restart");
    let t = tempfile::tempdir().expect("tempdir");
    for side in ["before", "after"] {
        copy_dir(&base.join(side), &t.path().join(side));
    }
    let tpl = t
        .path()
        .join("after/modules/site/templates/foo.service.erb");
    let mut f = fs::OpenOptions::new()
        .append(true)
        .open(&tpl)
        .expect("open");
    f.write_all(b"ExecStartPre=/usr/bin/foo \xff\xfe --check\n")
        .expect("append");
    for extra in [&[][..], &["--summary"][..], &["--format", "json"][..]] {
        let mut args: Vec<&dyn AsRef<OsStr>> =
            vec![&"check", &"--before", &"before", &"--after", &"after"];
        for e in extra {
            args.push(e);
        }
        let r = run(t.path(), &args);
        assert_no_crash(&r, "check");
        assert!(matches!(r.code, Some(0 | 1)), "{extra:?}: {}", r.stderr);
    }
}

fn copy_dir(from: &Path, to: &Path) {
    for p in walk(from) {
        let rel = p.strip_prefix(from).expect("prefix");
        if p.is_dir() {
            fs::create_dir_all(to.join(rel)).expect("mkdir");
        } else {
            write(&to.join(rel), fs::read(&p).expect("read"));
        }
    }
}

// ---------------------------------------------------------------------------------------
// file system oddities

#[test]
fn symlink_loop_in_a_directory_walk() {
    let t = tempfile::tempdir().expect("tempdir");
    let d = t.path().join("d");
    write(&d.join("ok.pp"), "file { '/a': }\n");
    std::os::unix::fs::symlink("..", d.join("loop")).expect("symlink");
    std::os::unix::fs::symlink("self", d.join("self")).expect("symlink");
    let r = run(t.path(), &[&"parse", &"d"]);
    assert_no_crash(&r, "parse");
    assert!(
        r.code == Some(0) || r.code == Some(2),
        "parse: {:?}\n{}",
        r.code,
        r.stderr
    );
    if r.code == Some(2) {
        assert_clean_error(&r, "parse", "cannot read d/");
    }
    let r = run(t.path(), &[&"resources", &"d"]);
    assert_no_crash(&r, "resources");
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    write(&t.path().join("b/ok.pp"), "file { '/a': }\n");
    let r = run(t.path(), &[&"check", &"--before", &"b", &"--after", &"d"]);
    assert_no_crash(&r, "check");
    assert!(matches!(r.code, Some(0 | 1)), "{}", r.stderr);
}

fn mkfifo(path: &Path) {
    let ok = Command::new("mkfifo")
        .arg(path)
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    assert!(ok, "mkfifo {}", path.display());
}

#[test]
fn fifo_named_pp_in_a_directory_is_skipped_by_parse_and_check() {
    let t = tempfile::tempdir().expect("tempdir");
    write(&t.path().join("d/ok.pp"), "file { '/a': }\n");
    write(&t.path().join("b/ok.pp"), "file { '/a': }\n");
    mkfifo(&t.path().join("d/x.pp"));
    let r = run_in(t.path(), &[&"parse", &"d"], Duration::from_secs(20));
    assert_no_crash(&r, "parse");
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let r = run_in(
        t.path(),
        &[&"check", &"--before", &"b", &"--after", &"d"],
        Duration::from_secs(20),
    );
    assert_no_crash(&r, "check");
    assert_eq!(r.code, Some(0), "{}", r.stderr);
}

/// `resources DIR` reads every file of the walk with `fs::read`, FIFOs included, and
/// blocks forever (src/cli/resources.rs `add_path`). Reproduce: `mkdir d; mkfifo d/x.pp;
/// puppet-preflight resources d`. `input::disk::read_entry` already skips non-files.
#[test]
fn fifo_in_a_directory_does_not_hang_resources() {
    let t = tempfile::tempdir().expect("tempdir");
    write(&t.path().join("d/ok.pp"), "file { '/a': }\n");
    mkfifo(&t.path().join("d/x.pp"));
    let r = run_in(t.path(), &[&"resources", &"d"], Duration::from_secs(20));
    assert_no_crash(&r, "resources");
    assert_eq!(r.code, Some(0), "{}", r.stderr);
}

/// `parse x.pp` where x.pp is a FIFO opens and reads it, and blocks forever
/// (src/cli/parse.rs). Reproduce: `mkfifo x.pp; puppet-preflight parse x.pp`. Expected:
/// exit 2, "x.pp is not a regular file". Same for `resources x.pp`.
#[test]
fn fifo_named_on_the_command_line_is_refused() {
    let t = tempfile::tempdir().expect("tempdir");
    mkfifo(&t.path().join("x.pp"));
    for cmd in ["parse", "resources"] {
        let r = run_in(t.path(), &[&cmd, &"x.pp"], Duration::from_secs(20));
        assert_clean_error(&r, cmd, "x.pp");
    }
}

fn running_as_root() -> bool {
    // chmod 000 does not stop root from reading; detect it by trying.
    let t = tempfile::tempdir().expect("tempdir");
    let p = t.path().join("probe");
    write(&p, "x");
    set_mode(&p, 0o000);
    fs::read(&p).is_ok()
}

fn set_mode(p: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(p, fs::Permissions::from_mode(mode)).expect("chmod");
}

#[test]
fn unreadable_manifest_in_a_directory() {
    if running_as_root() {
        eprintln!("skipped: running as root, chmod 000 does not block reads");
        return;
    }
    let t = tempfile::tempdir().expect("tempdir");
    write(&t.path().join("d/ok.pp"), "file { '/a': }\n");
    let secret = t.path().join("d/secret.pp");
    write(&secret, "file { '/b': }\n");
    set_mode(&secret, 0o000);
    let r = run(t.path(), &[&"parse", &"d"]);
    set_mode(&secret, 0o644);
    assert_clean_error(&r, "parse", "secret.pp");
}

// ---------------------------------------------------------------------------------------
// git scenarios

#[test]
fn shallow_clone_missing_the_base() {
    let t = tempfile::tempdir().expect("tempdir");
    let repo = small_repo(t.path());
    let url = format!("file://{}", repo.display());
    git(t.path(), &["clone", "-q", "--depth", "1", &url, "shallow"]);
    let shallow = t.path().join("shallow");
    let r = run_read_only(&shallow, &[&"check"]);
    assert_clean_error(&r, "check in a shallow clone", "git fetch --deepen=1");
    let r = run_read_only(&shallow, &[&"check", &"--each", &"HEAD~3..HEAD"]);
    assert_no_crash(&r, "check --each in a shallow clone");
    assert_eq!(r.code, Some(2), "{}", r.stderr);
    // What the clone does have still works.
    let r = run_read_only(&shallow, &[&"check", &"--worktree"]);
    assert_no_crash(&r, "check --worktree");
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let r = run_read_only(&shallow, &[&"resources", &"--rev", &"HEAD"]);
    assert_no_crash(&r, "resources --rev HEAD");
    assert!(r.stdout.contains("/etc/c"), "{}", r.stdout);
    let r = run_read_only(&shallow, &[&"resources", &"--rev", &"HEAD~1"]);
    assert_clean_error(&r, "resources --rev HEAD~1", "HEAD~1");
}

#[test]
fn detached_head() {
    let t = tempfile::tempdir().expect("tempdir");
    let repo = small_repo(t.path());
    git(&repo, &["checkout", "-q", "--detach", "HEAD~1"]);
    let r = run_read_only(&repo, &[&"check", &"--format", &"json"]);
    assert_no_crash(&r, "check on a detached HEAD");
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).expect("json");
    assert_eq!(v["summary"]["files_changed"], 1, "{v}");
    let r = run_read_only(&repo, &[&"check", &"--worktree"]);
    assert_no_crash(&r, "check --worktree");
    let r = run_read_only(&repo, &[&"resources", &"--rev", &"HEAD"]);
    assert!(r.stdout.contains("/etc/b"), "{}", r.stdout);
}

#[test]
fn each_over_a_range_with_a_merge() {
    let t = tempfile::tempdir().expect("tempdir");
    let repo = small_repo(t.path());
    git(&repo, &["checkout", "-q", "-b", "side", "HEAD~1"]);
    write(
        &repo.join("modules/n/manifests/init.pp"),
        "class n { file { '/etc/n': } }\n",
    );
    commit_all(&repo, "side");
    git(&repo, &["checkout", "-q", "main"]);
    git(
        &repo,
        &["merge", "-q", "--no-edit", "--no-gpg-sign", "side"],
    );
    write(
        &repo.join("modules/n/manifests/init.pp"),
        "class n { file { '/etc/n2': } }\n",
    );
    commit_all(&repo, "after merge");
    let r = run_read_only(
        &repo,
        &[&"check", &"--each", &"HEAD~4..HEAD", &"--format", &"json"],
    );
    assert_no_crash(&r, "check --each over a merge");
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    serde_json::from_str::<serde_json::Value>(&r.stdout).expect("json");
    let r = run_read_only(&repo, &[&"check", &"--head", &"HEAD~1"]);
    assert_no_crash(&r, "check of the merge commit itself");
    assert_eq!(r.code, Some(0), "{}", r.stderr);
}

#[test]
fn unknown_revision_not_a_repository_and_repo_at_a_file() {
    let t = tempfile::tempdir().expect("tempdir");
    let repo = small_repo(t.path());
    let r = run_read_only(&repo, &[&"check", &"--base", &"no-such-rev"]);
    assert_clean_error(&r, "unknown --base", "no-such-rev");
    let r = run_read_only(&repo, &[&"check", &"--head", &"deadbeef"]);
    assert_clean_error(&r, "unknown --head", "deadbeef");
    let r = run_read_only(&repo, &[&"check", &"--each", &"nope..HEAD"]);
    assert_clean_error(&r, "unknown --each", "nope");
    let r = run_read_only(&repo, &[&"resources", &"--rev", &"no-such-rev"]);
    assert_clean_error(&r, "resources --rev", "no-such-rev");

    let plain = t.path().join("plain");
    write(&plain.join("a.pp"), "file { '/a': }\n");
    let r = run(&plain, &[&"check", &"--repo", &"."]);
    assert_clean_error(&r, "not a repository", "not inside a git repository");
    let r = run(&plain, &[&"check", &"--repo", &"a.pp"]);
    assert_clean_error(&r, "--repo at a file", "a.pp");
    let r = run(&plain, &[&"check", &"--repo", &"missing"]);
    assert_clean_error(&r, "--repo missing", "missing");
    let r = run(&plain, &[&"resources", &"--rev", &"HEAD"]);
    assert_no_crash(&r, "resources --rev outside a repository");
    assert_eq!(r.code, Some(2), "{}", r.stderr);
}

#[test]
fn repository_with_twenty_thousand_manifests() {
    let t = tempfile::tempdir().expect("tempdir");
    let repo = empty_repo(t.path());
    for m in 0..200 {
        for c in 0..100 {
            write(
                &repo.join(format!("modules/m{m}/manifests/c{c}.pp")),
                format!("class m{m}::c{c} {{\n  file {{ '/etc/m{m}/c{c}': ensure => file }}\n}}\n"),
            );
        }
    }
    commit_all(&repo, "20,000 manifests");
    write(
        &repo.join("modules/m7/manifests/c7.pp"),
        "class m7::c7 {\n  file { '/etc/m7/c7': ensure => file, mode => '0600' }\n}\n",
    );
    commit_all(&repo, "one file");
    let r = run_read_only(&repo, &[&"check", &"--format", &"json"]);
    assert_no_crash(&r, "check of a one-file change");
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    eprintln!(
        "20,000 manifests, one-file change: {:.2}s, peak {} KiB",
        r.secs, r.peak_kib
    );
    assert!(r.peak_kib < 1_000_000, "peak {} KiB", r.peak_kib);
    write(
        &repo.join("modules/m8/manifests/c8.pp"),
        "class m8::c8 {\n  file { '/etc/m8/c8': ensure => absent }\n}\n",
    );
    let r = run_read_only(&repo, &[&"check", &"--worktree"]);
    assert_no_crash(&r, "check --worktree");
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    eprintln!(
        "20,000 manifests, --worktree: {:.2}s, peak {} KiB",
        r.secs, r.peak_kib
    );
}

#[test]
fn patch_touching_five_hundred_files() {
    let t = tempfile::tempdir().expect("tempdir");
    let repo = empty_repo(t.path());
    for i in 0..500 {
        write(
            &repo.join(format!("modules/m/manifests/c{i}.pp")),
            format!("class m::c{i} {{\n  file {{ '/etc/c{i}': ensure => file }}\n}}\n"),
        );
    }
    commit_all(&repo, "base");
    for i in 0..500 {
        write(
            &repo.join(format!("modules/m/manifests/c{i}.pp")),
            format!(
                "class m::c{i} {{\n  file {{ '/etc/c{i}': ensure => file, mode => '0640' }}\n}}\n"
            ),
        );
    }
    let diff = git(&repo, &["diff"]);
    git(&repo, &["checkout", "-q", "--", "."]);
    write(&t.path().join("big.patch"), format!("{diff}\n"));
    let patch = t.path().join("big.patch");
    let r = run_read_only(&repo, &[&"check", &"--patch", &patch, &"--format", &"json"]);
    assert_no_crash(&r, "check --patch");
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).expect("json");
    assert_eq!(v["summary"]["files_changed"], 500, "{v}");
    eprintln!("500-file patch: {:.2}s, peak {} KiB", r.secs, r.peak_kib);
}

#[test]
fn bad_patches() {
    let t = tempfile::tempdir().expect("tempdir");
    let repo = small_repo(t.path());
    let empty = t.path().join("empty.patch");
    write(&empty, "");
    let r = run_read_only(&repo, &[&"check", &"--patch", &empty]);
    assert_clean_error(&r, "empty patch", "no file changes");

    let garbage = t.path().join("garbage.patch");
    let bytes: Vec<u8> = (0..8192u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    write(&garbage, &bytes);
    let r = run_read_only(&repo, &[&"check", &"--patch", &garbage]);
    assert_clean_error(&r, "binary garbage", "garbage.patch");

    let escape = t.path().join("escape.patch");
    write(
        &escape,
        "diff --git a/../../etc/evil.pp b/../../etc/evil.pp\nnew file mode 100644\n--- /dev/null\n+++ b/../../etc/evil.pp\n@@ -0,0 +1 @@\n+file { '/x': }\n",
    );
    let r = run_read_only(&repo, &[&"check", &"--patch", &escape]);
    assert_clean_error(&r, "../ patch", "leaves the repository");
    assert!(!t.path().join("etc").exists());

    let git_path = t.path().join("gitdir.patch");
    write(
        &git_path,
        "diff --git a/.git/hooks/pre-commit b/.git/hooks/pre-commit\nnew file mode 100755\n--- /dev/null\n+++ b/.git/hooks/pre-commit\n@@ -0,0 +1 @@\n+rm -rf /\n",
    );
    let r = run_read_only(&repo, &[&"check", &"--patch", &git_path]);
    assert_clean_error(&r, ".git patch", ".git");

    let r = run_read_only(&repo, &[&"check", &"--patch", &"does-not-exist.patch"]);
    assert_clean_error(&r, "missing patch", "does-not-exist.patch");
    let r = run_read_only(&repo, &[&"check", &"--patch", &t.path()]);
    assert_no_crash(&r, "patch is a directory");
    assert_eq!(r.code, Some(2), "{}", r.stderr);

    // A hunk that does not apply to the base.
    let stale = t.path().join("stale.patch");
    write(
        &stale,
        "--- a/modules/m/manifests/init.pp\n+++ b/modules/m/manifests/init.pp\n@@ -1,3 +1,3 @@\n class m {\n-  file { '/etc/zzz': ensure => file }\n+  file { '/etc/yyy': ensure => file }\n }\n",
    );
    let r = run_read_only(&repo, &[&"check", &"--patch", &stale]);
    assert_clean_error(&r, "stale patch", "init.pp");
}

// ---------------------------------------------------------------------------------------
// configuration

const BILLION_LAUGHS: &str = "\
a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
";

/// A bomb whose shape is valid: every key of `package_paths` aliases one big list.
fn well_shaped_bomb() -> String {
    let mut s = String::from("x: &x [");
    for i in 0..2000 {
        let _ = write!(s, "\"/usr/bin/p{i}\",");
    }
    s.push_str("]\n");
    // `x` is not a key of the configuration, so nest the anchor inside the first entry.
    let mut s = s.replacen("x: &x", "package_paths:\n  p0: &x", 1);
    for i in 1..5000 {
        let _ = writeln!(s, "  p{i}: *x");
    }
    s
}

#[test]
fn broken_configuration_files() {
    let t = tempfile::tempdir().expect("tempdir");
    let repo = small_repo(t.path());
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("bomb.yaml", BILLION_LAUGHS.into(), "bomb.yaml"),
        (
            "notyaml.yaml",
            b"{{{ not yaml ]]] :\n\t- :".to_vec(),
            "notyaml.yaml",
        ),
        ("shape.yaml", b"- 1\n- 2\n".to_vec(), "mapping"),
        ("scalar.yaml", b"just a string\n".to_vec(), "scalar.yaml"),
        (
            "latin1.yaml",
            b"modulepath: [\"m\xe9\"]\n".to_vec(),
            "UTF-8",
        ),
        ("binary.yaml", (0u8..=255).collect(), "binary.yaml"),
    ];
    for (name, data, needle) in cases {
        let path = t.path().join(name);
        write(&path, &data);
        let r = run_read_only(&repo, &[&"check", &"--config", &path]);
        assert_clean_error(&r, name, needle);
        assert!(r.peak_kib < 500_000, "{name}: peak {} KiB", r.peak_kib);

        // The same file found at the repository root by default.
        // (--worktree reads tracked files: stage it.)
        write(&repo.join(".puppet-preflight.yaml"), &data);
        git(&repo, &["add", ".puppet-preflight.yaml"]);
        let r = run_read_only(&repo, &[&"check", &"--worktree"]);
        git(&repo, &["rm", "-q", "-f", ".puppet-preflight.yaml"]);
        assert_clean_error(&r, &format!("{name} at the root"), ".puppet-preflight.yaml");
    }
    let r = run_read_only(&repo, &[&"check", &"--config", &t.path()]);
    assert_clean_error(&r, "--config DIR", "directory");
    let r = run_read_only(&repo, &[&"check", &"--config", &"/nonexistent/x.yaml"]);
    assert_clean_error(&r, "--config missing", "/nonexistent/x.yaml");
}

/// A 90 KB configuration whose shape is valid (5,000 `package_paths` keys aliasing one
/// 2,000-entry list) expands to 10 million strings: `check --config` takes 1.1 GB and 4 s
/// (debug build); ten times the keys would exhaust memory. serde_yaml's own repetition
/// limit only catches the classic nested bomb. Fix idea (src/config.rs): refuse aliases,
/// or count the expanded entries and refuse past a limit, with a pointed error.
/// Reproduce: see `well_shaped_bomb`; `puppet-preflight check --config bomb.yaml`.
#[test]
fn well_shaped_yaml_bomb_is_refused_or_cheap() {
    let t = tempfile::tempdir().expect("tempdir");
    let repo = small_repo(t.path());
    let path = t.path().join("shaped-bomb.yaml");
    write(&path, well_shaped_bomb());
    let r = run_read_only(&repo, &[&"check", &"--config", &path]);
    assert_no_crash(&r, "shaped bomb");
    assert!(r.peak_kib < 300_000, "peak {} KiB", r.peak_kib);
    if r.code == Some(2) {
        assert_clean_error(&r, "shaped bomb", "shaped-bomb.yaml");
    }
}

// ---------------------------------------------------------------------------------------
// output

#[test]
fn unwritable_output() {
    let t = tempfile::tempdir().expect("tempdir");
    let repo = small_repo(t.path());
    let file = t.path().join("a-file");
    write(&file, "x");
    let under_file = file.join("out.txt");
    let r = run_read_only(&repo, &[&"check", &"--output", &under_file]);
    assert_clean_error(&r, "--output under a file", "out.txt");
    let r = run_read_only(&repo, &[&"check", &"--output", &t.path()]);
    assert_clean_error(&r, "--output a directory", "cannot write");
    let r = run_read_only(&repo, &[&"check", &"--output", &"/dev/full"]);
    assert_clean_error(&r, "--output /dev/full", "/dev/full");
    let r = run_read_only(&repo, &[&"check", &"--output", &".git/report.txt"]);
    assert_clean_error(&r, "--output inside .git", ".git");
    let r = run_read_only(
        &repo,
        &[
            &"check",
            &"--report",
            &format!("junit={}", under_file.display()),
        ],
    );
    assert_clean_error(&r, "--report under a file", "out.txt");
}

#[test]
fn bad_directories_and_ranges() {
    let t = tempfile::tempdir().expect("tempdir");
    write(&t.path().join("after/a.pp"), "file { '/a': }\n");
    write(&t.path().join("a-file.pp"), "file { '/a': }\n");
    let r = run(
        t.path(),
        &[&"check", &"--before", &"missing", &"--after", &"after"],
    );
    assert_clean_error(&r, "--before missing", "missing");
    let r = run(
        t.path(),
        &[&"check", &"--before", &"a-file.pp", &"--after", &"after"],
    );
    assert_clean_error(&r, "--before a file", "a-file.pp");
    let r = run(t.path(), &[&"parse", &"missing.pp"]);
    assert_clean_error(&r, "parse missing", "missing.pp");
    let r = run(t.path(), &[&"resources", &"missing.pp", &"a-file.pp"]);
    assert_clean_error(&r, "resources missing", "missing.pp");

    let repo = small_repo(t.path());
    let r = run_read_only(&repo, &[&"check", &"--each", &"HEAD"]);
    assert_clean_error(&r, "--each without ..", "A..B");
    let r = run_read_only(&repo, &[&"check", &"--each", &"HEAD..HEAD~2"]);
    assert_no_crash(&r, "--each over an empty range");
    assert_eq!(r.code, Some(0), "{}", r.stderr);
}

/// A file name with a newline cannot forge extra workflow commands or break the
/// machine-readable formats.
#[test]
fn newline_in_a_file_name() {
    let t = tempfile::tempdir().expect("tempdir");
    let repo = empty_repo(t.path());
    write(&repo.join("ok.pp"), "file { '/a': }\n");
    commit_all(&repo, "base");
    write(
        &repo.join("new\n::error file=x::forged.pp"),
        "file { '/c': ensure => bogus }\n",
    );
    commit_all(&repo, "odd name");
    let r = run_read_only(&repo, &[&"check", &"--format", &"github"]);
    assert_no_crash(&r, "github");
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    for line in r.stdout.lines() {
        assert!(
            line.starts_with("::"),
            "a line that is not a command: {line:?}"
        );
        assert!(!line.contains("x::forged"), "forged command: {line:?}");
    }
    let r = run_read_only(&repo, &[&"check", &"--format", &"json"]);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).expect("json");
    assert!(
        v["findings"][0]["file"]
            .as_str()
            .unwrap_or("")
            .contains('\n'),
        "{v}"
    );
    for f in ["sarif", "checkstyle", "junit", "gerrit"] {
        let r = run_read_only(&repo, &[&"check", &"--format", &f]);
        assert_no_crash(&r, f);
        assert_eq!(r.code, Some(1), "{f}: {}", r.stderr);
    }
}

/// A file name holding terminal control characters (here OSC 0, which sets the window
/// title) reaches the terminal raw in the human output, even with `--color never`: a
/// change under review can drive the reviewer's terminal. Reproduce: commit a manifest
/// named `$'esc\e]0;pwned\a.pp'` with `ensure => bogus`, run `check --color never | cat
/// -v`. Expected: control characters shown escaped (e.g. `\u{1b}`), as the GitHub format
/// already escapes newlines. (src/report, human format.)
#[test]
fn control_characters_in_a_file_name_are_escaped_in_human_output() {
    let t = tempfile::tempdir().expect("tempdir");
    let repo = empty_repo(t.path());
    write(&repo.join("ok.pp"), "file { '/a': }\n");
    commit_all(&repo, "base");
    write(
        &repo.join("esc\u{1b}]0;pwned\u{7}.pp"),
        "file { '/c': ensure => bogus }\n",
    );
    commit_all(&repo, "odd name");
    let r = run_read_only(&repo, &[&"check", &"--color", &"never"]);
    assert_no_crash(&r, "human");
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    let all = format!("{}{}", r.stdout, r.stderr);
    assert!(!all.contains('\u{1b}') && !all.contains('\u{7}'), "{all:?}");
}

/// `check --each` over a long series holds a bounded number of trees: each commit's trees
/// are read window by window and dropped once checked. Reading every commit's trees up
/// front (as it once did) grew the peak by about a megabyte per commit on the corpus
/// history (245 MB for 62 commits against 148 MB for 5).
#[test]
fn each_over_a_long_series_keeps_memory_bounded() {
    let t = tempfile::tempdir().expect("tempdir");
    let repo = empty_repo(t.path());
    for i in 0..2000 {
        write(
            &repo.join(format!("modules/m{}/manifests/c{i}.pp", i % 40)),
            format!(
                "class m{}::c{i} {{\n  file {{ '/etc/c{i}': ensure => file }}\n}}\n",
                i % 40
            ),
        );
    }
    commit_all(&repo, "base");
    let root = git(&repo, &["rev-parse", "HEAD"]).trim().to_string();
    for n in 0..64 {
        let i = n * 31 % 2000;
        write(
            &repo.join(format!("modules/m{}/manifests/c{i}.pp", i % 40)),
            format!(
                "class m{}::c{i} {{\n  file {{ '/etc/c{i}': ensure => file, mode => '{}' }}\n}}\n",
                i % 40,
                ["0600", "0640", "0644", "0660"][n % 4]
            ),
        );
        commit_all(&repo, &format!("edit {n}"));
    }
    let peak = |commits: usize| {
        let end = git(&repo, &["rev-parse", &format!("HEAD~{}", 64 - commits)]);
        let range = format!("{root}..{}", end.trim());
        let r = run_read_only(&repo, &[&"check", &"--each", &range, &"--format", &"json"]);
        assert_no_crash(&r, "check --each");
        assert_eq!(r.code, Some(0), "{}", r.stderr);
        let v: serde_json::Value = serde_json::from_str(&r.stdout).expect("json");
        eprintln!(
            "--each over {commits} commits: {:.2}s, peak {} KiB",
            r.secs, r.peak_kib
        );
        (v, r.peak_kib)
    };
    let (_, short) = peak(4);
    let (v, long) = peak(64);
    assert_eq!(v["commits"].as_array().map(Vec::len), Some(64), "{v}");
    assert!(
        long < short + 12_000,
        "--each peak grew from {short} KiB (4 commits) to {long} KiB (64 commits)"
    );
}
