//! A realistic history: Debian's puppet-module corpus imported into a git repository,
//! then a few dozen synthetic commits that exercise every implemented rule (and plain
//! edits that should stay quiet). `check --each` runs over all of them and must never
//! panic or fail operationally. Ignored by default (needs the corpus and git):
//!
//! ```sh
//! PREFLIGHT_CORPUS=.corpus cargo test --test rules_history -- --ignored --nocapture
//! ```

mod corpus_env;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args([
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@example.org",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .output()
        .expect("git");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn module_name(dir: &Path) -> String {
    let meta = std::fs::read_to_string(dir.join("metadata.json")).unwrap_or_default();
    serde_json::from_str::<serde_json::Value>(&meta)
        .ok()
        .and_then(|v| v["name"].as_str().map(str::to_owned))
        .and_then(|n| n.rsplit(['-', '/']).next().map(str::to_owned))
        .unwrap_or_else(|| {
            let d = dir.file_name().unwrap().to_string_lossy().into_owned();
            d.split_once('-').map_or(d.clone(), |(_, n)| n.to_owned())
        })
}

fn import(src: &Path, repo: &Path) {
    for m in std::fs::read_dir(src).unwrap().filter_map(Result::ok) {
        let name = module_name(&m.path());
        for e in walkdir::WalkDir::new(m.path())
            .into_iter()
            .filter_map(Result::ok)
        {
            if !e.file_type().is_file() {
                continue;
            }
            let rel = e.path().strip_prefix(m.path()).unwrap();
            let dest = repo.join("modules").join(&name).join(rel);
            std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
            std::fs::copy(e.path(), &dest).unwrap();
        }
    }
}

fn write(repo: &Path, path: &str, text: &str) {
    let p = repo.join(path);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

fn edit(repo: &Path, path: &str, from: &str, to: &str) {
    let p = repo.join(path);
    let text = std::fs::read_to_string(&p).unwrap();
    assert!(text.contains(from), "{path} lacks {from:?}");
    std::fs::write(p, text.replacen(from, to, 1)).unwrap();
}

/// One synthetic commit: a message and what it does to the work tree.
type Step = (&'static str, Box<dyn Fn(&Path)>);

fn steps() -> Vec<Step> {
    let k8s = "modules/k8s/manifests/scheduler.pp";
    let unit = "modules/k8s/templates/kube-scheduler.service.erb";
    vec![
        (
            "k8s: scheduler class and unit",
            Box::new(move |r: &Path| {
                write(r, unit, "[Service]\nExecStart=/usr/local/bin/kube-scheduler --master=http://127.0.0.1:8080\n");
                write(r, k8s, "class k8s::scheduler {\n  file { '/lib/systemd/system/kube-scheduler.service':\n    content => template('k8s/kube-scheduler.service.erb'),\n    notify  => Service['kube-scheduler'],\n  }\n  service { 'kube-scheduler': ensure => running }\n}\n");
            }),
        ),
        (
            "k8s: allow packages, link otherwise (the 2016 change)",
            Box::new(move |r: &Path| {
                write(
                    r,
                    unit,
                    "[Service]\nExecStart=/usr/bin/kube-scheduler $DAEMON_ARGS\n",
                );
                edit(r, k8s, "class k8s::scheduler {\n", "class k8s::scheduler($use_package = false) {\n  if $use_package { require_package('kubernetes-master') }\n  else { file { '/usr/bin/kube-scheduler': ensure => link, target => '/usr/local/bin/kube-scheduler' } }\n");
            }),
        ),
        (
            "k8s: revert",
            Box::new(move |r: &Path| {
                write(r, unit, "[Service]\nExecStart=/usr/local/bin/kube-scheduler --master=http://127.0.0.1:8080\n");
                write(r, k8s, "class k8s::scheduler {\n  file { '/lib/systemd/system/kube-scheduler.service':\n    content => template('k8s/kube-scheduler.service.erb'),\n    notify  => Service['kube-scheduler'],\n  }\n  service { 'kube-scheduler': ensure => running }\n}\n");
            }),
        ),
        (
            "tools: an empty binary",
            Box::new(|r: &Path| {
                write(r, "modules/tools/manifests/init.pp", "class tools {\n  file { '/usr/local/bin/deploy': ensure => file, mode => '0755' }\n}\n");
            }),
        ),
        (
            "tools: give it content",
            Box::new(|r: &Path| {
                write(r, "modules/tools/files/deploy", "#!/bin/sh\nset -e\n");
                edit(
                    r,
                    "modules/tools/manifests/init.pp",
                    "ensure => file, mode",
                    "ensure => file, source => 'puppet:///modules/tools/deploy', mode",
                );
            }),
        ),
        (
            "tools: typo in the source",
            Box::new(|r: &Path| {
                edit(
                    r,
                    "modules/tools/manifests/init.pp",
                    "tools/deploy'",
                    "tools/deploy.sh'",
                );
            }),
        ),
        (
            "tools: fix the typo, never repair",
            Box::new(|r: &Path| {
                edit(
                    r,
                    "modules/tools/manifests/init.pp",
                    "tools/deploy.sh'",
                    "tools/deploy', replace => false",
                );
            }),
        ),
        (
            "tools: flapping link",
            Box::new(|r: &Path| {
                edit(r, "modules/tools/manifests/init.pp", "}\n", "}\nclass tools::links {\n  file { '/usr/local/bin/dep': ensure => link, target => '/usr/local/bin/deploy', links => follow }\n}\n");
            }),
        ),
        (
            "tools: a link cycle",
            Box::new(|r: &Path| {
                write(r, "modules/tools/manifests/cycle.pp", "class tools::cycle {\n  file { '/opt/a': ensure => link, target => '/opt/b' }\n  file { '/opt/b': ensure => link, target => '/opt/a' }\n}\n");
            }),
        ),
        (
            "tools: break the cycle",
            Box::new(|r: &Path| {
                edit(
                    r,
                    "modules/tools/manifests/cycle.pp",
                    "file { '/opt/b': ensure => link, target => '/opt/a' }",
                    "file { '/opt/b': ensure => file, content => 'b' }",
                );
            }),
        ),
        (
            "foo: link direction",
            Box::new(|r: &Path| {
                write(r, "modules/foo/manifests/init.pp", "class foo {\n  file { '/usr/local/bin/foo': ensure => link, target => '/usr/bin/foo' }\n}\n");
            }),
        ),
        (
            "foo: reverse it",
            Box::new(|r: &Path| {
                write(r, "modules/foo/manifests/init.pp", "class foo {\n  file { '/usr/bin/foo': ensure => link, target => '/usr/local/bin/foo' }\n}\n");
            }),
        ),
        (
            "dup: one path twice",
            Box::new(|r: &Path| {
                write(r, "modules/dup/manifests/init.pp", "class dup {\n  file { '/etc/dup.conf': content => 'a' }\n  file { '/etc/dup.conf/': content => 'b' }\n}\nclass dup::two {\n  file { '/etc/dup2.conf': content => 'a' } # preflight:ignore:duplicate-declaration T1 cleanup later\n  file { '/etc/dup2.conf/': content => 'b' }\n}\n");
            }),
        ),
        (
            "dup: a misspelt suppression",
            Box::new(|r: &Path| {
                edit(
                    r,
                    "modules/dup/manifests/init.pp",
                    "content => 'b' }",
                    "content => 'b' } # preflight:ignore:link_cycle nonsense",
                );
            }),
        ),
        (
            "backup: binary replaced on Puppet 7",
            Box::new(|r: &Path| {
                write(r, "modules/bk/files/agent", "v1\n");
                write(r, "modules/bk/manifests/init.pp", "class bk {\n  file { '/usr/local/sbin/agent': ensure => file, source => 'puppet:///modules/bk/agent' }\n}\n");
            }),
        ),
        (
            "backup: now a link",
            Box::new(|r: &Path| {
                edit(
                    r,
                    "modules/bk/manifests/init.pp",
                    "ensure => file, source => 'puppet:///modules/bk/agent'",
                    "ensure => link, target => '/opt/agent/bin/agent'",
                );
            }),
        ),
        (
            "syntax error",
            Box::new(|r: &Path| {
                edit(
                    r,
                    "modules/foo/manifests/init.pp",
                    "target => '/usr/local/bin/foo' }",
                    "target => '/usr/local/bin/foo'",
                );
            }),
        ),
        (
            "syntax fixed",
            Box::new(|r: &Path| {
                edit(
                    r,
                    "modules/foo/manifests/init.pp",
                    "target => '/usr/local/bin/foo'\n",
                    "target => '/usr/local/bin/foo' }\n",
                );
            }),
        ),
        (
            "not UTF-8",
            Box::new(|r: &Path| {
                std::fs::write(
                    r.join("modules/foo/manifests/latin1.pp"),
                    b"# caf\xe9\nclass foo::latin1 {}\n",
                )
                .unwrap();
            }),
        ),
        (
            "remove it",
            Box::new(|r: &Path| {
                std::fs::remove_file(r.join("modules/foo/manifests/latin1.pp")).unwrap();
            }),
        ),
        (
            "delete a template an unchanged class reads",
            Box::new(move |r: &Path| {
                std::fs::remove_file(r.join(unit)).unwrap();
            }),
        ),
        (
            "restore it",
            Box::new(move |r: &Path| {
                write(
                    r,
                    unit,
                    "[Service]\nExecStart=/usr/local/bin/kube-scheduler\n",
                );
            }),
        ),
        (
            "rename a module file",
            Box::new(|r: &Path| {
                std::fs::rename(
                    r.join("modules/tools/files/deploy"),
                    r.join("modules/tools/files/deploy2"),
                )
                .unwrap();
            }),
        ),
        (
            "a whole manifest removed",
            Box::new(|r: &Path| {
                std::fs::remove_file(r.join("modules/dup/manifests/init.pp")).unwrap();
            }),
        ),
        (
            "corpus edit: comment only",
            Box::new(|r: &Path| {
                let p = "modules/ntp/manifests/init.pp";
                if r.join(p).exists() {
                    let t = std::fs::read_to_string(r.join(p)).unwrap();
                    std::fs::write(r.join(p), format!("# edited\n{t}")).unwrap();
                } else {
                    write(r, "modules/zz/manifests/init.pp", "class zz {}\n");
                }
            }),
        ),
        (
            "corpus edit: a template changes",
            Box::new(|r: &Path| {
                let dir = r.join("modules/apache/templates");
                let first = walkdir::WalkDir::new(&dir)
                    .into_iter()
                    .filter_map(Result::ok)
                    .find(|e| e.file_type().is_file())
                    .map(|e| e.path().to_path_buf());
                match first {
                    Some(p) => {
                        let t = std::fs::read_to_string(&p).unwrap_or_default();
                        std::fs::write(p, format!("{t}\n# edited\n")).unwrap();
                    }
                    None => write(r, "modules/zz/templates/x.erb", "x\n"),
                }
            }),
        ),
        (
            "config: executable dirs and a prefix",
            Box::new(|r: &Path| {
                write(r, ".puppet-preflight.yaml", "executable_dirs: [bin, sbin, libexec]\nexternal_prefixes: [/srv/deployment]\nrules:\n  binary-without-backup: info\n");
            }),
        ),
        (
            "deploy link to an external prefix",
            Box::new(|r: &Path| {
                write(r, "modules/app/manifests/init.pp", "class app {\n  file { '/usr/local/bin/app': ensure => link, target => '/srv/deployment/app/bin/app' }\n}\n");
            }),
        ),
        (
            "heredoc and regex edge cases",
            Box::new(|r: &Path| {
                write(r, "modules/edge/manifests/init.pp", "class edge {\n  $x = @(\"EOT\")\n    # preflight:ignore:empty-binary not a comment\n    | EOT\n  if $facts['os'] =~ /#/ { notice('x') } # preflight:ignore:empty-binary unused\n}\n");
            }),
        ),
    ]
}

#[test]
#[ignore = "needs the Debian corpus and git"]
fn check_each_commit_of_a_realistic_history() {
    let Some(corpus) = corpus_env::modules("check_each_commit_of_a_realistic_history") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let repo: PathBuf = tmp.path().join("repo");
    std::fs::create_dir_all(&repo).unwrap();
    git(&repo, &["init", "-q"]);
    import(Path::new(&corpus), &repo);
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "-qm", "import the Debian corpus"]);
    git(&repo, &["tag", "import"]);
    let steps = steps();
    for (msg, f) in &steps {
        f(&repo);
        git(&repo, &["add", "-A"]);
        git(&repo, &["commit", "-qm", msg]);
    }
    let start = std::time::Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_puppet-preflight"))
        .args([
            "check",
            "--each",
            "import..HEAD",
            "--format",
            "json",
            "--fail-level",
            "never",
        ])
        .current_dir(&repo)
        .output()
        .unwrap();
    let elapsed = start.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    // One JSON document per commit (or one array): count findings per rule.
    let mut per_rule: BTreeMap<String, usize> = BTreeMap::new();
    let mut docs = 0;
    for doc in serde_json::Deserializer::from_str(&stdout).into_iter::<serde_json::Value>() {
        let doc = doc.expect("valid JSON");
        let list = match doc.as_array() {
            Some(a) => a.clone(),
            None => vec![doc],
        };
        for d in list {
            docs += 1;
            for f in d["findings"].as_array().into_iter().flatten() {
                let key = format!(
                    "{}{}",
                    f["rule"].as_str().unwrap_or("?"),
                    if f["suppressed"].is_null() {
                        ""
                    } else {
                        " (suppressed)"
                    }
                );
                *per_rule.entry(key).or_default() += 1;
            }
        }
    }
    println!(
        "{} commits checked in {elapsed:?} ({docs} reports)",
        steps.len()
    );
    for (r, n) in &per_rule {
        println!("{n:4}  {r}");
    }
    for rule in [
        "link-target-unmanaged",
        "link-over-binary",
        "empty-binary",
        "source-missing",
        "binary-never-repaired",
        "link-flapping",
        "link-cycle",
        "link-reversed",
        "duplicate-declaration (suppressed)",
        "invalid-suppression",
        "binary-without-backup",
        "syntax-error",
    ] {
        assert!(
            per_rule.contains_key(rule),
            "no {rule} in the history: {per_rule:?}"
        );
    }
}
