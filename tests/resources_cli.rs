//! `puppet-preflight resources`: JSON contract, git revisions, and clean failures.

use std::path::Path;
use std::process::Command;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_puppet-preflight"))
}

fn fixture(case: &str) -> String {
    format!("{}/fixtures/model/{case}/repo", env!("CARGO_MANIFEST_DIR"))
}

fn json_of(out: &std::process::Output) -> Vec<serde_json::Value> {
    assert!(
        out.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice::<Vec<serde_json::Value>>(&out.stdout).expect("a JSON list")
}

fn find<'a>(list: &'a [serde_json::Value], ty: &str, title: &str) -> &'a serde_json::Value {
    list.iter()
        .find(|r| r["type"] == ty && r["title"] == title)
        .unwrap_or_else(|| panic!("no {ty} {title} in {list:?}"))
}

#[test]
fn json_has_the_contract_fields() {
    let out = bin()
        .args([
            "resources",
            "--format",
            "json",
            &fixture("guards-use-package"),
        ])
        .output()
        .expect("run");
    let list = json_of(&out);
    let link = find(&list, "file", "/usr/bin/kube-scheduler");
    assert_eq!(link["file"], "modules/k8s/manifests/scheduler.pp");
    assert_eq!(link["line"], 11);
    assert_eq!(link["attributes"]["ensure"], "link");
    assert_eq!(
        link["attributes"]["target"],
        "/usr/local/bin/kube-scheduler"
    );
    assert_eq!(link["scope"], "class k8s::scheduler");
    assert_eq!(link["guard"], serde_json::json!(["if $use_package (else)"]));
    let pkg = find(&list, "package", "kubernetes-master");
    assert_eq!(pkg["guard"], serde_json::json!(["if $use_package (then)"]));
    // The model's facts: what the file is on disk, what the service executes.
    assert_eq!(link["state"], "link");
    assert_eq!(link["link_target"], "/usr/local/bin/kube-scheduler");
    let conf = find(&list, "file", "/etc/default/kube-scheduler");
    assert_eq!(
        (&conf["state"], &conf["content"]),
        (&"file".into(), &"known".into())
    );
    let out = bin()
        .args([
            "resources",
            "--format",
            "json",
            &fixture("define-service-unit"),
        ])
        .output()
        .expect("run");
    let list = json_of(&out);
    let svc = find(&list, "service", "kube-scheduler");
    // Read from the ExecStart= of the unit template the define deploys, and it says so.
    assert_eq!(svc["executes"], "/usr/bin/kube-scheduler", "{svc}");
    assert_eq!(svc["executes_because"]["source"], "unit", "{svc}");
    assert!(
        svc["executes_because"]["file"]
            .as_str()
            .is_some_and(|f| f.ends_with(".erb")),
        "{svc}"
    );
    assert!(svc["executes_because"]["line"].as_u64().is_some(), "{svc}");
}

#[test]
fn human_output_says_what_each_service_executes_and_why() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(dir.path().join("manifests")).unwrap();
    std::fs::write(
        dir.path().join("manifests/site.pp"),
        "service { 'kubelet': binary => '/usr/bin/kubelet' }\n\
         service { 'mystery': ensure => running }\n",
    )
    .unwrap();
    let out = bin()
        .arg("resources")
        .arg(dir.path())
        .output()
        .expect("run");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("executes /usr/bin/kubelet, from its `binary` attribute"),
        "{text}"
    );
    assert!(
        text.contains("executes a path the model does not know: no `binary` or `start`"),
        "{text}"
    );
}

#[test]
fn services_are_followed_through_links() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(dir.path().join("manifests")).unwrap();
    std::fs::write(
        dir.path().join("manifests/site.pp"),
        "file { '/usr/bin': ensure => link, target => '/opt/k8s/bin' }\n\
         service { 'kubelet': binary => '/usr/bin/kubelet' }\n",
    )
    .unwrap();
    let out = bin()
        .args(["resources", "--format", "json"])
        .arg(dir.path())
        .output()
        .expect("run");
    let list = json_of(&out);
    let svc = find(&list, "service", "kubelet");
    assert_eq!(
        svc["executes_through"],
        serde_json::json!(["/usr/bin/kubelet", "/opt/k8s/bin/kubelet"])
    );
    let human = bin()
        .arg("resources")
        .arg(dir.path())
        .output()
        .expect("run");
    let text = String::from_utf8_lossy(&human.stdout);
    assert!(
        text.contains("executes /usr/bin/kubelet -> /opt/k8s/bin/kubelet"),
        "{text}"
    );
    assert!(text.contains("is a link to /opt/k8s/bin"), "{text}");
}

#[test]
fn human_output_names_resources_guards_and_relationships() {
    let out = bin()
        .args(["resources", &fixture("define-service-unit")])
        .output()
        .expect("run");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("File['/lib/systemd/system/kube-scheduler.service']"),
        "{text}"
    );
    assert!(text.contains("~> Service['kube-scheduler']"), "{text}");
    assert!(text.contains("resources shown"), "{text}");
}

#[test]
fn reads_a_git_revision_without_checkout() {
    let dir = tempfile::tempdir().expect("tempdir");
    let repo = git2::Repository::init(dir.path()).expect("init");
    let write = |rel: &str, text: &str| {
        let p = dir.path().join(rel);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, text).expect("write");
    };
    let commit = |msg: &str| {
        let mut idx = repo.index().expect("index");
        idx.add_all(["*"], git2::IndexAddOption::DEFAULT, None)
            .expect("add");
        idx.write().expect("write index");
        let tree = repo
            .find_tree(idx.write_tree().expect("tree"))
            .expect("find tree");
        let sig = git2::Signature::now("t", "t@example.org").expect("sig");
        let parents: Vec<git2::Commit> = repo
            .head()
            .ok()
            .and_then(|h| h.peel_to_commit().ok())
            .into_iter()
            .collect();
        let refs: Vec<&git2::Commit> = parents.iter().collect();
        repo.commit(Some("HEAD"), &sig, &sig, msg, &tree, &refs)
            .expect("commit");
    };
    write(
        "modules/m/manifests/init.pp",
        "class m { file { '/usr/bin/a': ensure => file } }\n",
    );
    commit("one");
    write(
        "modules/m/manifests/init.pp",
        "class m { file { '/usr/bin/b': ensure => link, target => 'a' } }\n",
    );
    commit("two");
    // The work tree has a third version that --rev must not see.
    write(
        "modules/m/manifests/init.pp",
        "class m { file { '/usr/bin/c': } }\n",
    );

    let run = |rev: &str| {
        bin()
            .args(["resources", "--format", "json", "--rev", rev, "--repo"])
            .arg(dir.path())
            .output()
            .expect("run")
    };
    let head = json_of(&run("HEAD"));
    let b = find(&head, "file", "/usr/bin/b");
    assert_eq!(b["attributes"]["target"], "a");
    assert!(!head.iter().any(|r| r["title"] == "/usr/bin/c"));
    let prev = json_of(&run("HEAD~1"));
    find(&prev, "file", "/usr/bin/a");

    let bad = run("no-such-branch");
    assert_eq!(bad.status.code(), Some(2));
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(err.contains("no-such-branch"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn missing_paths_and_non_repositories_exit_2() {
    let out = bin()
        .args([
            "resources",
            "/nonexistent/preflight/x.pp",
            "/nonexistent/y.pp",
        ])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("/nonexistent/preflight/x.pp"), "{err}");

    let dir = tempfile::tempdir().expect("tempdir");
    let out = bin()
        .args(["resources", "--rev", "HEAD", "--repo"])
        .arg(dir.path())
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("git"));
    assert!(Path::new(dir.path()).exists());
}

#[test]
fn a_file_that_does_not_parse_still_yields_the_rest() {
    let dir = tempfile::tempdir().expect("tempdir");
    let m = dir.path().join("manifests");
    std::fs::create_dir_all(&m).expect("mkdir");
    std::fs::write(m.join("ok.pp"), "file { '/etc/ok': ensure => file }\n").expect("write");
    std::fs::write(m.join("broken.pp"), "file { '/etc/broken': ensure => \n").expect("write");
    let out = bin()
        .args(["resources", "--format", "json"])
        .arg(dir.path())
        .output()
        .expect("run");
    let list = json_of(&out);
    find(&list, "file", "/etc/ok");
}

#[test]
fn an_unknown_revision_is_one_clean_message_with_the_path_unbroken() {
    let tmp = tempfile::tempdir().expect("tempdir");
    // A long path: error messages are not wrapped, so it can be copied whole.
    let dir = tmp
        .path()
        .join("a-control-repository-with-a-rather-long-name-that-would-wrap")
        .join("in-a-terminal-of-a-hundred-columns");
    std::fs::create_dir_all(&dir).unwrap();
    let ok = Command::new("git")
        .args(["init", "-q"])
        .current_dir(&dir)
        .status()
        .unwrap()
        .success();
    assert!(ok);
    let out = bin()
        .args(["resources", "--rev", "nosuch", "--repo"])
        .arg(&dir)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("unknown revision `nosuch`"), "{err}");
    let shown = dir.display().to_string();
    assert!(
        err.lines().any(|l| l.contains(&shown)),
        "the path is broken across lines:\n{err}"
    );
    assert!(!err.contains("libgit2") && !err.contains("class="), "{err}");
}
