//! The inputs that made an analyzer panic or hang, as minimal reproductions written for
//! these tests (never text copied from the repositories the fuzzers read). Each test is
//! named after the bug.

use puppet_preflight::analysis::shell::{analyze, Interest, Target};
use puppet_preflight::analysis::template::TemplateKind;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_puppet-preflight");

/// The deploy script of issue 13: a wrapper tested with `command -v`, and wrappers whose
/// options end the command.
const INCIDENT_SCRIPT: &str = "#!/bin/bash\nset -e\n\
if command -v timeout >/dev/null; then timeout 5 foo; fi\n\
sudo -u\n\
timeout -k 5\n\
wget -O /usr/local/bin/foo https://example.org/foo\n";

// ---------------------------------------------------------------------------------------
// wrapper_len: more words than the command had (exit 101 on a real repository)

#[test]
fn wrapper_len_past_the_end_timeout_alone() {
    for text in [
        "timeout",
        "timeout\n",
        "timeout 5",
        "timeout -k 5",
        "timeout -s",
        "sudo -u",
        "sudo -u root timeout -k 5",
        "env -u",
        "nice -n",
        "ionice -c",
        "stdbuf -o",
        "doas -u",
        "x | timeout -k 5; y",
        // What the seed fuzzer cut real files into: a configuration template's
        // `timeout …` line, a script's `sudo -u USER CMD` line, cut after a word.
        "defaults\n  timeout",
        "<% if @x -%>\n  timeout",
        "#!/bin/sh\nset -e\nsudo -u",
        "#!/bin/sh\ncd /srv && sudo -u",
        "if command -v timeout >/dev/null; then timeout 5 foo; fi",
    ] {
        for kind in [TemplateKind::Plain, TemplateKind::Erb] {
            let r = analyze(text, kind);
            assert!(r.downloads.is_empty(), "{text:?}: {:#?}", r.downloads);
        }
    }
}

#[test]
fn wrapper_len_incident_script_still_reports_the_download() {
    let r = analyze(INCIDENT_SCRIPT, TemplateKind::Plain);
    assert_eq!(r.downloads.len(), 1, "{:#?}", r.downloads);
    assert!(
        matches!(&r.downloads[0].target, Target::File(p) if p.text == "/usr/local/bin/foo"),
        "{:#?}",
        r.downloads
    );
    assert!(!r.hazards(Interest::ExecutablePaths).is_empty());
}

#[test]
fn wrapper_len_command_v_runs_nothing() {
    // `command -v wget` looks wget up; it downloads nothing.
    for text in [
        "command -v wget -O /usr/local/bin/foo x",
        "command -V curl -o /usr/local/bin/foo x",
        "command -pv wget -O /usr/local/bin/foo x",
    ] {
        let r = analyze(text, TemplateKind::Plain);
        assert!(r.downloads.is_empty(), "{text:?}: {:#?}", r.downloads);
    }
    // `command wget` runs it.
    let r = analyze("command wget -O /usr/local/bin/foo x", TemplateKind::Plain);
    assert_eq!(r.downloads.len(), 1);
}

// ---------------------------------------------------------------------------------------
// The same input through `check`: exit 0 or 1, never 101

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, text).expect("write");
}

/// `check` of an empty `manifests/site.pp` against `site` (JSON output); asserts it ended
/// with status 0 or 1 and no panic, and returns standard output.
fn check_site(site: &str) -> Vec<u8> {
    let dir = tempfile::tempdir().expect("temp dir");
    let before = dir.path().join("before");
    let after = dir.path().join("after");
    write(&before.join("manifests/site.pp"), "\n");
    write(&after.join("manifests/site.pp"), site);
    check_dirs(&before, &after)
}

/// `check --format json --before BEFORE --after AFTER`, asserting status 0 or 1 and no
/// panic or stack overflow; returns standard output.
fn check_dirs(before: &Path, after: &Path) -> Vec<u8> {
    let out = Command::new(BIN)
        .args(["check", "--format", "json", "--before"])
        .arg(before)
        .arg("--after")
        .arg(after)
        .env("NO_COLOR", "1")
        .output()
        .expect("run the binary");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "exit {:?}\n{stderr}",
        out.status.code()
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(!stderr.contains("overflow"), "{stderr}");
    out.stdout
}

#[test]
fn wrapper_len_incident_through_check() {
    let dir = tempfile::tempdir().expect("temp dir");
    let before = dir.path().join("before");
    let after = dir.path().join("after");
    write(
        &before.join("modules/demo/manifests/init.pp"),
        "class demo {\n}\n",
    );
    write(
        &after.join("modules/demo/manifests/init.pp"),
        "class demo {\n  file { '/usr/local/sbin/deploy':\n    source => 'puppet:///modules/demo/deploy.sh',\n    mode   => '0755',\n  }\n  ~> exec { 'deploy': command => '/usr/local/sbin/deploy', refreshonly => true }\n  exec { 'inline':\n    command  => 'if command -v timeout >/dev/null; then timeout 5 foo; fi; sudo -u',\n    provider => shell,\n  }\n  service { 'foo': ensure => running, binary => '/usr/local/bin/foo' }\n}\n",
    );
    write(&after.join("modules/demo/files/deploy.sh"), INCIDENT_SCRIPT);
    let stdout = check_dirs(&before, &after);
    let report: serde_json::Value =
        serde_json::from_slice(&stdout).expect("a JSON report on stdout");
    let rules: Vec<&str> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["rule"].as_str())
        .collect();
    // The download onto the service's binary is still judged.
    assert!(rules.contains(&"deploy-script-unsafe"), "{report:#}");
    assert!(!rules.contains(&"internal-error"), "{report:#}");
}

// ---------------------------------------------------------------------------------------
// Matching script paths against service binaries: exponential backtracking

/// Runs `f` and fails when it takes more than `limit` (in a debug build).
fn within(limit: Duration, what: &str, f: impl FnOnce()) {
    let start = Instant::now();
    f();
    let took = start.elapsed();
    assert!(took < limit, "{what} took {took:?}");
}

#[test]
fn loose_match_exponential_in_unresolved_variables() {
    // An unresolved variable matches any run without `/`, template output anything: a
    // backtracking matcher tried every split for every `$v`, in the number of them.
    let script = format!(
        "wget -O /usr/local/bin/{}.x https://example.org/\n",
        "$v".repeat(40)
    );
    let r = analyze(&script, TemplateKind::Plain);
    let long = format!("/usr/local/bin/{}", "a".repeat(60));
    let paths = [long.as_str()];
    within(
        Duration::from_secs(2),
        "40 variables against a path",
        || {
            assert!(r.hazards(Interest::Paths(&paths)).is_empty());
        },
    );
    let tpl = format!(
        "wget -O /usr/local/bin/{}x https://example.org/\n",
        "<%= @a %>/".repeat(40)
    );
    let r = analyze(&tpl, TemplateKind::Erb);
    within(
        Duration::from_secs(2),
        "40 template outputs against a path",
        || {
            assert!(r.hazards(Interest::Paths(&paths)).is_empty());
        },
    );
}

#[test]
fn glob_match_exponential_in_unknown_parts() {
    use puppet_preflight::model::{SymPart, Value};
    // `"${a}a${b}a…"`: every unknown part could split the candidate anywhere.
    let mut parts = Vec::new();
    for i in 0..40 {
        parts.push(SymPart::Unknown(format!("v{i}").into()));
        parts.push(SymPart::Lit("a".into()));
    }
    parts.push(SymPart::Lit("x".into()));
    let Value::Symbolic(sym) = Value::from_parts(parts) else {
        panic!("a symbolic value")
    };
    let candidate = "a".repeat(200);
    within(
        Duration::from_secs(2),
        "40 unknown parts against a path",
        || {
            assert!(!sym.could_be(&candidate));
            assert!(sym.could_be(&format!("{candidate}x")));
        },
    );
}

// ---------------------------------------------------------------------------------------
// Integer arithmetic of the evaluator on values the manifest chooses

#[test]
fn int_overflow_in_negation_and_division() {
    check_site(
        "$min = -9223372036854775807 - 1\n$a = -$min\n$b = $min / -1\n$c = $min % -1\n\
         file { \"/tmp/${a}-${b}-${c}\": ensure => file }\n",
    );
}

// ---------------------------------------------------------------------------------------
// Values nested through variables: every clone, comparison and drop recursed per level

#[test]
fn value_nesting_overflowed_the_stack() {
    let mut site = String::from("$a0 = []\n$h0 = {}\n$r0 = 'x'\n");
    for i in 1..=3000 {
        site.push_str(&format!(
            "$a{i} = [$a{}]\n$h{i} = {{ 'k' => $h{} }}\n$r{i} = File[$r{}]\n",
            i - 1,
            i - 1,
            i - 1
        ));
    }
    site.push_str("file { '/tmp/x': content => \"${a3000} ${h3000}\", require => $r3000 }\n");
    check_site(&site);
}

// ---------------------------------------------------------------------------------------
// Open `for` loops: every later command copied every loop's word list

#[test]
fn open_for_loops_quadratic() {
    // Not a shell script a person writes, but text the analyzer may be given (a template
    // whose `done` lines are in tags, a file that only looks like a script).
    let mut script = String::from("#!/bin/sh\n");
    for i in 0..3000 {
        script.push_str(&format!("for x{i} in a b c d e f g h; do\n"));
    }
    for i in 0..3000 {
        script.push_str(&format!("echo $x{i} > /tmp/f{i}\n"));
    }
    within(Duration::from_secs(10), "3,000 open loops", || {
        let r = analyze(&script, TemplateKind::Plain);
        // One write per value of the loop variable a command uses (for the innermost 16
        // loops tracked), one write for the others.
        assert_eq!(r.writes.len(), 16 * 8 + (3000 - 16));
    });
}

// ---------------------------------------------------------------------------------------
// Values that double at each line: 2^40 elements or bytes from 41 lines

#[test]
fn value_doubling_exhausted_memory() {
    for (name, first, step) in [
        ("array +", "[1]", "$v{p} + $v{p}"),
        ("splat", "[1]", "[*$v{p}, *$v{p}]"),
        ("concat", "[1]", "concat($v{p}, $v{p})"),
        ("interpolation", "'ab'", "\"${v{p}}${v{p}}\""),
    ] {
        let dir = tempfile::tempdir().expect("temp dir");
        let before = dir.path().join("before");
        let after = dir.path().join("after");
        write(&before.join("manifests/site.pp"), "\n");
        let mut site = format!("$v0 = {first}\n");
        for i in 1..=40 {
            let p = (i - 1).to_string();
            site.push_str(&format!("$v{i} = {}\n", step.replace("{p}", &p)));
        }
        site.push_str("file { \"/tmp/${v40}\": ensure => file }\n");
        write(&after.join("manifests/site.pp"), &site);
        let start = Instant::now();
        let out = Command::new("sh")
            .arg("-c")
            .arg("ulimit -v 4000000; exec \"$0\" check --before \"$1\" --after \"$2\"")
            .arg(BIN)
            .arg(&before)
            .arg(&after)
            .env("NO_COLOR", "1")
            .output()
            .expect("run the binary");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            matches!(out.status.code(), Some(0 | 1)),
            "{name}: exit {:?}\n{stderr}",
            out.status.code()
        );
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "{name}: {:?}",
            start.elapsed()
        );
    }
}
