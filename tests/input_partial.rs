//! Real partial clones (`git clone --filter=blob:limit=1k`): objects above the limit are
//! absent, as in a blob-filtered CI clone or a mirror that left out large files. The
//! check reads only what a stage needs: absent content nobody reads is not an error, absent
//! content a stage needed is one `incomplete-input` finding, and only a manifest the change
//! itself touches is fatal (exit status 2).

mod input_support;

use std::path::{Path, PathBuf};

use input_support::{check, run_git, stderr, stdout, Repo};

/// Content above the clone's 1 KiB blob limit, never fetched by the clone.
fn big_binary(seed: u8) -> Vec<u8> {
    (0..20_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8 ^ seed)
        .collect()
}

/// A manifest above the 1 KiB limit: `body` padded with a comment.
fn big_manifest(body: &str) -> String {
    format!(
        "{}\n{body}",
        "# padding to pass the clone's blob limit\n".repeat(40)
    )
}

/// A bare partial clone of `src` (objects above 1 KiB left out), in a new directory.
fn partial_clone(src: &Repo, bare: bool) -> (tempfile::TempDir, PathBuf) {
    src.git(&["config", "uploadpack.allowFilter", "true"]);
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("file://{}", src.path().display());
    let mut args = vec!["clone", "-q", "--no-local", "--filter=blob:limit=1k"];
    if bare {
        args.push("--bare");
    }
    args.extend([url.as_str(), "clone"]);
    run_git(dir.path(), &args);
    let path = dir.path().join("clone");
    (dir, path)
}

/// The findings of a JSON report as (rule, severity, file, message).
fn findings(out: &std::process::Output) -> Vec<(String, String, String, String)> {
    let v: serde_json::Value = serde_json::from_str(&stdout(out)).unwrap_or_else(|e| {
        panic!("not JSON ({e}): {}\n{}", stdout(out), stderr(out));
    });
    v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            let s = |k: &str| f[k].as_str().unwrap_or_default().to_string();
            (s("rule"), s("severity"), s("file"), s("message"))
        })
        .collect()
}

fn check_json(repo: &Path, args: &[&str]) -> std::process::Output {
    let repo = repo.display().to_string();
    let mut all = vec!["--repo", repo.as_str(), "--format", "json"];
    all.extend(args);
    check(Path::new("/"), &all)
}

/// Standard error as one line: miette wraps and frames the paragraph.
fn flat(err: &str) -> String {
    err.replace('│', " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn incomplete(f: &[(String, String, String, String)]) -> Vec<&(String, String, String, String)> {
    f.iter().filter(|f| f.0 == "incomplete-input").collect()
}

/// Whether the clone really lacks the object of `path` at `rev` (asked without fetching:
/// `--missing=print` lists absent objects instead of fetching them).
fn is_missing(clone: &Path, rev: &str, path: &str) -> bool {
    let id = run_git(clone, &["rev-parse", &format!("{rev}:{path}")]);
    let all = run_git(
        clone,
        &["rev-list", "--objects", "--missing=print", "--all"],
    );
    all.lines().any(|l| l.strip_prefix('?') == Some(id.trim()))
}

#[test]
fn a_missing_tarball_no_rule_reads_is_neither_an_error_nor_reported() {
    let src = Repo::new();
    src.write(
        "modules/x/manifests/init.pp",
        "class x {\n  file { '/etc/x.conf': ensure => file, content => 'a' }\n}\n",
    );
    src.write("modules/x/files/bundle.tar.gz", big_binary(1));
    src.commit_all("one");
    src.write(
        "modules/x/manifests/init.pp",
        "class x {\n  file { '/etc/x.conf': ensure => file, content => 'b' }\n}\n",
    );
    src.write("modules/x/files/bundle.tar.gz", big_binary(2));
    src.write("modules/x/files/renamed.tar.gz", big_binary(1));
    src.commit_all("two");

    let (_dir, clone) = partial_clone(&src, true);
    assert!(is_missing(
        &clone,
        "HEAD~1",
        "modules/x/files/bundle.tar.gz"
    ));
    for args in [
        &[][..],
        &["--base", "HEAD~1", "--head", "HEAD"],
        &["--each", "HEAD~1..HEAD"],
    ] {
        let out = check_json(&clone, args);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
        let f = findings(&out);
        assert!(incomplete(&f).is_empty(), "{args:?}: {f:?}");
    }
}

#[test]
fn a_missing_file_a_resource_deploys_is_one_incomplete_input_finding() {
    let src = Repo::new();
    let pp = |mode: &str| {
        format!(
            "class x {{\n  file {{ '/usr/local/bin/tool': ensure => file, mode => '{mode}', \
             source => 'puppet:///modules/x/tool' }}\n}}\n"
        )
    };
    src.write("modules/x/manifests/init.pp", pp("0755"));
    src.write("modules/x/files/tool", big_binary(3));
    src.commit_all("one");
    src.write("modules/x/manifests/init.pp", pp("0555"));
    src.commit_all("two");

    let (_dir, clone) = partial_clone(&src, true);
    assert!(is_missing(&clone, "HEAD", "modules/x/files/tool"));
    let out = check_json(&clone, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let f = findings(&out);
    let inc = incomplete(&f);
    assert_eq!(inc.len(), 1, "{f:?}");
    let (_, severity, file, message) = inc[0];
    assert_eq!(severity, "info");
    assert_eq!(file, "modules/x/files/tool");
    assert!(
        message.starts_with("1 file the checks needed could not be read: modules/x/files/tool")
            && message.contains("missing from the object database"),
        "{message}"
    );

    // The same repository, complete: nothing to report about the input.
    let out = check_json(src.path(), &[]);
    assert!(incomplete(&findings(&out)).is_empty());
    // --ignore works on it like on any rule.
    let out = check_json(&clone, &["--ignore", "incomplete-input"]);
    assert!(incomplete(&findings(&out)).is_empty());
}

#[test]
fn a_missing_manifest_the_change_touches_is_an_error() {
    let src = Repo::new();
    src.write(
        "modules/x/manifests/init.pp",
        big_manifest("class x {\n  file { '/etc/x': ensure => file }\n}\n"),
    );
    src.commit_all("one");
    src.write(
        "modules/x/manifests/init.pp",
        big_manifest("class x {\n  file { '/etc/y': ensure => file }\n}\n"),
    );
    src.commit_all("two");

    let (_dir, clone) = partial_clone(&src, true);
    let out = check_json(&clone, &[]);
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    let err = flat(&stderr(&out));
    assert!(
        err.contains("modules/x/manifests/init.pp is part of the change")
            && err.contains("missing from the object database")
            && err.contains("partial clone"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn an_unreadable_manifest_silences_the_declared_nowhere_rules() {
    let src = Repo::new();
    src.write(
        "modules/big/manifests/init.pp",
        big_manifest(
            "class big {\n  file { '/etc/big': ensure => file }\n  file { '/opt/big/bin/tool': ensure => file, source => 'puppet:///modules/big/tool', mode => '0755' }\n}\n",
        ),
    );
    src.write("modules/big/files/tool", "#!/bin/sh\nexit 0\n");
    src.write("manifests/site.pp", "node default {\n}\n");
    src.commit_all("one");
    src.write(
        "manifests/site.pp",
        "node default {\n  include big\n  file { '/etc/z': ensure => file, require => File['/etc/big'] }\n  \
         file { '/usr/local/bin/tool': ensure => link, target => '/opt/big/bin/tool' }\n  \
         service { 'tool': ensure => running, binary => '/opt/big/bin/tool' }\n}\n",
    );
    src.commit_all("two");

    // The rules that judge what is declared or managed nowhere.
    let nowhere = |f: &(String, String, String, String)| {
        matches!(
            f.0.as_str(),
            "unresolved-class"
                | "dangling-reference"
                | "link-target-unmanaged"
                | "service-binary-unmanaged"
        )
    };
    // Complete: `big`, File['/etc/big'] and /opt/big/bin/tool are declared; nothing to say.
    let out = check_json(src.path(), &[]);
    let f = findings(&out);
    assert!(!f.iter().any(nowhere), "{f:?}");

    let (_dir, clone) = partial_clone(&src, true);
    assert!(is_missing(&clone, "HEAD", "modules/big/manifests/init.pp"));
    let out = check_json(&clone, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let f = findings(&out);
    assert!(!f.iter().any(nowhere), "{f:?}");
    let inc = incomplete(&f);
    assert_eq!(inc.len(), 1, "{f:?}");
    assert!(
        inc[0].3.contains("modules/big/manifests/init.pp")
            && inc[0]
                .3
                .contains("service-binary-unmanaged) are silent on the after and before side"),
        "{}",
        inc[0].3
    );
}

#[test]
fn patch_staged_and_worktree_modes_in_a_partial_clone() {
    let src = Repo::new();
    src.write(
        "modules/x/manifests/init.pp",
        "class x {\n  file { '/etc/x.conf': ensure => file, content => 'a' }\n}\n",
    );
    src.write("modules/x/files/bundle.tar.gz", big_binary(4));
    src.write("modules/x/files/notes.txt", big_manifest("old notes\n"));
    src.commit_all("one");
    src.write("modules/x/files/bundle.tar.gz", big_binary(5));
    src.commit_all("two");

    // A bare clone: a patch onto HEAD that edits a small manifest applies.
    let (_dir, clone) = partial_clone(&src, true);
    let patch = tempfile::NamedTempFile::new().expect("tempfile");
    std::fs::write(
        patch.path(),
        "--- a/modules/x/manifests/init.pp\n+++ b/modules/x/manifests/init.pp\n@@ -1,3 +1,3 @@\n class x {\n-  file { '/etc/x.conf': ensure => file, content => 'a' }\n+  file { '/etc/x.conf': ensure => file, content => 'c' }\n }\n",
    )
    .expect("write patch");
    let p = patch.path().display().to_string();
    let out = check_json(&clone, &["--patch", &p]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(incomplete(&findings(&out)).is_empty());

    // A patch that edits content the clone lacks cannot be applied: a clear error.
    std::fs::write(
        patch.path(),
        "--- a/modules/x/files/notes.txt\n+++ b/modules/x/files/notes.txt\n@@ -41,1 +41,1 @@\n-old notes\n+new notes\n",
    )
    .expect("write patch");
    assert!(is_missing(&clone, "HEAD", "modules/x/files/notes.txt"));
    let out = check_json(&clone, &["--patch", &p]);
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    let err = flat(&stderr(&out));
    assert!(
        err.contains("modules/x/files/notes.txt is part of the change")
            && err.contains("missing from the object database"),
        "{err}"
    );

    // A work-tree clone fetched HEAD's content at checkout; HEAD~1's tarball is absent.
    let (_dir2, wt) = partial_clone(&src, false);
    assert!(is_missing(&wt, "HEAD~1", "modules/x/files/bundle.tar.gz"));
    std::fs::write(
        wt.join("modules/x/manifests/init.pp"),
        "class x {\n  file { '/etc/x.conf': ensure => file, content => 'd' }\n}\n",
    )
    .expect("edit");
    run_git(&wt, &["add", "-A"]);
    for args in [&["--staged"][..], &["--worktree"], &[]] {
        let out = check_json(&wt, args);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
        assert!(incomplete(&findings(&out)).is_empty(), "{args:?}");
    }
}

/// Rules run in parallel with `incomplete-input`, which lists the reads that failed: every
/// read a rule makes must have been made before the rules start (by the model or by
/// `Analysis::build`), or a file a rule needed could go unlisted. After all the rules ran,
/// nothing more is unreadable than what the finding listed.
#[test]
fn every_read_a_rule_makes_is_made_before_the_rules_run() {
    use puppet_preflight::config::Config;
    use puppet_preflight::input::{load, InputArgs};
    use puppet_preflight::lint;
    use puppet_preflight::rules::{Analysis, Selection};

    let pad = "# padding to pass the clone's blob limit\n".repeat(40);
    let src = Repo::new();
    let site = |extra: &str| {
        format!(
            "class app {{\n\
             \x20 package {{ 'app': ensure => installed }}\n\
             \x20 file {{ '/etc/systemd/system/app.service': ensure => file, \
             source => 'puppet:///modules/app/app.service', notify => Service['app'] }}\n\
             \x20 file {{ '/etc/systemd/system/web.service': ensure => file, \
             content => template('app/web.service.erb'), notify => Service['web'] }}\n\
             \x20 file {{ '/usr/local/bin/deploy': ensure => file, mode => '0755', \
             source => 'puppet:///modules/app/deploy' }}\n\
             \x20 file {{ '/usr/local/bin/app': ensure => link, target => '/opt/app/bin/app' }}\n\
             \x20 service {{ 'app': ensure => running }}\n\
             \x20 service {{ 'web': ensure => running }}\n{extra}}}\n"
        )
    };
    src.write("modules/app/manifests/init.pp", site(""));
    src.write(
        "modules/app/files/app.service",
        format!("{pad}[Service]\nExecStart=/usr/local/bin/app --serve\n"),
    );
    src.write(
        "modules/app/templates/web.service.erb",
        format!("{pad}[Service]\nExecStart=/usr/local/bin/app --web <%= @port %>\n"),
    );
    src.write(
        "modules/app/files/deploy",
        format!("#!/bin/sh\n{pad}curl -o /usr/local/bin/app https://example.org/app\n"),
    );
    src.write(
        "modules/app/metadata.json",
        format!(
            "{{\"name\": \"x-app\", \"summary\": \"{}\", \"dependencies\": []}}\n",
            "x".repeat(1200)
        ),
    );
    src.write("data/common.yaml", format!("{pad}app::port: 8080\n"));
    src.commit_all("one");
    src.write(
        "modules/app/manifests/init.pp",
        site("  exec { 'reload': command => '/bin/true', refreshonly => true }\n"),
    );
    src.commit_all("two");

    let (_dir, clone) = partial_clone(&src, true);
    let mut changes = load(&InputArgs {
        repo: Some(clone.clone()),
        ..InputArgs::default()
    })
    .expect("loads");
    let change = changes.remove(0);
    let config = Config::default();
    let selection = Selection::default();
    let analysis = Analysis::build(&change, &config);
    let listed = change.unreadable();
    let cx = analysis.context(&change, &config, &selection);
    let found = lint::run(&cx);
    assert_eq!(
        change.unreadable(),
        listed,
        "a rule read more after the list was made"
    );
    // Unchanged files are one object on both sides: listed on each.
    let mut paths: Vec<&str> = listed.iter().map(|u| u.path.as_str()).collect();
    paths.sort_unstable();
    paths.dedup();
    assert_eq!(
        paths,
        vec![
            "data/common.yaml",
            "modules/app/files/app.service",
            "modules/app/files/deploy",
            "modules/app/metadata.json",
            "modules/app/templates/web.service.erb",
        ]
    );
    let inc: Vec<_> = found
        .iter()
        .filter(|f| f.rule == "incomplete-input")
        .collect();
    assert_eq!(inc.len(), 1, "{found:?}");
    assert!(
        inc[0].message.starts_with("5 files the checks needed"),
        "{}",
        inc[0].message
    );
}
