//! The input layer on real temporary git repositories: every mode, and the shapes of
//! change git can record (root, merge, rename, symlink, deletion, binary, submodule…).

mod input_support;

use std::sync::Arc;

use input_support::{manifest, Repo};
use puppet_preflight::input::{load, Change, EntryKind, FileStatus, InputArgs, InputError};

fn args(repo: &Repo) -> InputArgs {
    InputArgs {
        repo: Some(repo.path().to_path_buf()),
        ..InputArgs::default()
    }
}

fn one(a: InputArgs) -> Change {
    let mut v = load(&a).expect("loads");
    assert_eq!(v.len(), 1);
    v.remove(0)
}

/// `(status letter, reported path)` of every changed file.
fn summary(c: &Change) -> Vec<(char, String)> {
    c.files
        .iter()
        .map(|f| (f.status.letter(), f.path().to_string()))
        .collect()
}

fn base_repo() -> Repo {
    let r = Repo::new();
    r.write("manifests/site.pp", "node default { include k8s }\n");
    r.write(
        "modules/k8s/manifests/init.pp",
        manifest("k8s", "  include k8s::scheduler\n"),
    );
    r.write(
        "modules/k8s/manifests/scheduler.pp",
        manifest(
            "k8s::scheduler",
            "  service { 'kube-scheduler': ensure => running }\n",
        ),
    );
    r.write(
        "modules/k8s/files/kube-scheduler",
        "#!/bin/sh\nexec /opt/k8s/scheduler\n",
    );
    r.write("README.md", "readme\n");
    r.commit_all("base");
    r
}

#[test]
fn default_compares_head_with_its_parent_and_keeps_whole_trees() {
    let r = base_repo();
    r.write(
        "modules/k8s/manifests/scheduler.pp",
        manifest(
            "k8s::scheduler",
            "  service { 'kube-scheduler': ensure => stopped }\n",
        ),
    );
    r.commit_all("stop it");
    let c = one(args(&r));
    assert_eq!(
        summary(&c),
        vec![('M', "modules/k8s/manifests/scheduler.pp".into())]
    );
    assert_eq!(c.before.label, r.rev("HEAD^"));
    assert_eq!(c.after.label, r.rev("HEAD"));
    assert_eq!(c.after.summary.as_deref(), Some("stop it"));
    // Whole trees on both sides, unchanged blobs shared.
    assert_eq!(c.before.tree.files.len(), 5);
    assert_eq!(c.after.tree.files.len(), 5);
    let b = c.before.tree.get("manifests/site.pp").unwrap();
    let a = c.after.tree.get("manifests/site.pp").unwrap();
    assert!(
        Arc::ptr_eq(&a.blob, &b.blob),
        "unchanged blob read once and shared"
    );
    assert!(c
        .after
        .tree
        .text("modules/k8s/manifests/scheduler.pp")
        .unwrap()
        .contains("stopped"));
    assert!(c
        .before
        .tree
        .text("modules/k8s/manifests/scheduler.pp")
        .unwrap()
        .contains("running"));
}

#[test]
fn root_commit_is_compared_with_the_empty_tree() {
    let r = base_repo();
    let c = one(args(&r));
    assert_eq!(c.before.label, "empty");
    assert!(c.before.tree.files.is_empty());
    assert_eq!(c.files.len(), 5);
    assert!(c.files.iter().all(|f| f.status == FileStatus::Added));
    assert!(
        c.notes.iter().any(|n| n.contains("root commit")),
        "{:?}",
        c.notes
    );
}

#[test]
fn merge_commit_is_compared_with_its_first_parent() {
    let r = base_repo();
    r.git(&["checkout", "-q", "-b", "side"]);
    r.write("modules/k8s/manifests/side.pp", manifest("k8s::side", ""));
    r.commit_all("side work");
    r.git(&["checkout", "-q", "main"]);
    r.write(
        "manifests/site.pp",
        "node default { include k8s\n include base }\n",
    );
    r.commit_all("main work");
    r.git(&["merge", "-q", "--no-ff", "-m", "merge side", "side"]);
    let c = one(args(&r));
    // Only what the merge brought into main: the side branch's file.
    assert_eq!(
        summary(&c),
        vec![('A', "modules/k8s/manifests/side.pp".into())]
    );
    assert_eq!(c.before.label, r.rev("HEAD^1"));
    assert!(
        c.notes.iter().any(|n| n.contains("merge commit")),
        "{:?}",
        c.notes
    );
}

#[test]
fn rename_with_changes_is_one_renamed_entry_like_git() {
    let r = base_repo();
    let mut body = String::new();
    for i in 0..20 {
        body.push_str(&format!("  file {{ '/etc/k8s/{i}': ensure => file }}\n"));
    }
    r.write(
        "modules/k8s/manifests/config.pp",
        manifest("k8s::config", &body),
    );
    r.commit_all("config");
    r.git(&[
        "mv",
        "modules/k8s/manifests/config.pp",
        "modules/k8s/manifests/settings.pp",
    ]);
    r.write(
        "modules/k8s/manifests/settings.pp",
        manifest(
            "k8s::settings",
            &body.replace("'/etc/k8s/3'", "'/etc/k8s/three'"),
        ),
    );
    r.commit_all("rename");
    let c = one(args(&r));
    assert_eq!(c.files.len(), 1, "{:?}", c.files);
    let f = &c.files[0];
    assert_eq!(f.status, FileStatus::Renamed);
    assert_eq!(
        f.old_path.as_deref(),
        Some("modules/k8s/manifests/config.pp")
    );
    assert_eq!(
        f.new_path.as_deref(),
        Some("modules/k8s/manifests/settings.pp")
    );
    let sim = f.similarity.unwrap();
    assert!((50..100).contains(&sim), "similarity {sim}");
    // git agrees that this is a rename.
    let git = r.git(&["diff", "--name-status", "-M", "HEAD^", "HEAD"]);
    assert!(git.starts_with('R'), "{git}");
}

#[test]
fn unrelated_delete_and_add_are_not_a_rename() {
    let r = base_repo();
    r.remove("modules/k8s/files/kube-scheduler");
    r.write(
        "modules/k8s/files/other",
        "completely different\ncontent here\n",
    );
    r.commit_all("swap");
    let c = one(args(&r));
    assert_eq!(
        summary(&c),
        vec![
            ('D', "modules/k8s/files/kube-scheduler".into()),
            ('A', "modules/k8s/files/other".into()),
        ]
    );
}

#[test]
fn file_turned_into_symlink_is_a_kind_change() {
    let r = base_repo();
    r.symlink(
        "modules/k8s/files/kube-scheduler",
        "/usr/local/bin/kube-scheduler",
    );
    r.commit_all("link it");
    let c = one(args(&r));
    assert_eq!(c.files.len(), 1);
    let f = &c.files[0];
    assert_eq!(f.status, FileStatus::ModeChanged);
    assert_eq!(f.old_kind, Some(EntryKind::File));
    assert_eq!(f.new_kind, Some(EntryKind::Symlink));
    let e = c
        .after
        .tree
        .get("modules/k8s/files/kube-scheduler")
        .unwrap();
    assert_eq!(e.kind, EntryKind::Symlink);
    assert_eq!(e.blob.data(), Some(&b"/usr/local/bin/kube-scheduler"[..]));
}

#[test]
fn deleted_manifest_is_reported_on_the_before_side() {
    let r = base_repo();
    r.remove("modules/k8s/manifests/scheduler.pp");
    r.commit_all("drop scheduler");
    let c = one(args(&r));
    assert_eq!(
        summary(&c),
        vec![('D', "modules/k8s/manifests/scheduler.pp".into())]
    );
    let f = &c.files[0];
    assert_eq!(f.new_path, None);
    assert!(c
        .before
        .tree
        .get("modules/k8s/manifests/scheduler.pp")
        .is_some());
    assert!(c
        .after
        .tree
        .get("modules/k8s/manifests/scheduler.pp")
        .is_none());
}

#[test]
fn non_utf8_content_is_loaded_as_bytes() {
    let r = base_repo();
    r.write(
        "modules/k8s/manifests/latin1.pp",
        b"# caf\xe9\nclass k8s::latin1 {}\n",
    );
    r.commit_all("latin-1");
    let c = one(args(&r));
    assert_eq!(
        summary(&c),
        vec![('A', "modules/k8s/manifests/latin1.pp".into())]
    );
    let e = c.after.tree.get("modules/k8s/manifests/latin1.pp").unwrap();
    assert_eq!(e.blob.text(), None);
    assert_eq!(e.blob.data().expect("readable")[5], 0xe9);
    assert!(!c.files[0].binary);
}

#[test]
fn executable_binary_and_submodule_entries_are_said() {
    let r = base_repo();
    r.chmod_x("modules/k8s/files/kube-scheduler");
    r.write("modules/k8s/files/blob.bin", b"\x7fELF\x00\x01\x02");
    r.commit_all("exec and binary");
    let head = r.rev("HEAD");
    r.git(&[
        "update-index",
        "--add",
        "--cacheinfo",
        &format!("160000,{head},vendor/lib"),
    ]);
    r.git(&["commit", "-q", "-m", "submodule"]);

    let mut a = args(&r);
    a.base = Some("HEAD~2".into());
    let c = one(a);
    let by = |p: &str| {
        c.files
            .iter()
            .find(|f| f.path() == p)
            .unwrap_or_else(|| panic!("{p} in {:?}", c.files))
    };
    let x = by("modules/k8s/files/kube-scheduler");
    assert_eq!(
        (x.status, x.old_kind, x.new_kind),
        (
            FileStatus::ModeChanged,
            Some(EntryKind::File),
            Some(EntryKind::Executable)
        )
    );
    assert!(by("modules/k8s/files/blob.bin").binary);
    let s = by("vendor/lib");
    assert_eq!(
        (s.status, s.new_kind),
        (FileStatus::Added, Some(EntryKind::Submodule))
    );
    let e = c.after.tree.get("vendor/lib").unwrap();
    assert_eq!(e.blob.data(), Some(&b""[..]));
    assert_eq!(e.blob.id.as_deref(), Some(head.as_str()));
}

#[test]
fn base_and_head_accept_any_revision_git_understands() {
    let r = base_repo();
    r.git(&["tag", "v1"]);
    r.write("manifests/site.pp", "node default {}\n");
    let second = r.commit_all("two");
    r.write("modules/k8s/manifests/init.pp", manifest("k8s", ""));
    r.commit_all("three");
    for (base, head, expect) in [
        ("v1", "HEAD", 2usize),
        ("HEAD~2", "HEAD~1", 1),
        (&second[..7], "main", 1),
        ("main~1", "v1", 1),
    ] {
        let mut a = args(&r);
        a.base = Some(base.into());
        a.head = Some(head.into());
        let c = one(a);
        assert_eq!(c.files.len(), expect, "{base}..{head}: {:?}", summary(&c));
    }
}

#[test]
fn each_checks_every_commit_of_the_range_oldest_first() {
    let r = base_repo();
    let start = r.rev("HEAD");
    r.write("a.pp", "class a {}\n");
    r.commit_all("one");
    r.git(&["checkout", "-q", "-b", "side"]);
    r.write("side.pp", "class side {}\n");
    r.commit_all("side commit");
    r.git(&["checkout", "-q", "main"]);
    r.write("b.pp", "class b {}\n");
    r.commit_all("two");
    r.git(&["merge", "-q", "--no-ff", "-m", "merge", "side"]);
    r.write("c.pp", "class c {}\n");
    r.commit_all("three");

    let mut a = args(&r);
    a.each = Some(format!("{start}..HEAD"));
    let changes = load(&a).unwrap();
    let subjects: Vec<_> = changes
        .iter()
        .map(|c| c.after.summary.clone().unwrap())
        .collect();
    // First-parent order: the side branch's own commit is part of the merge.
    assert_eq!(subjects, ["one", "two", "merge", "three"]);
    let files: Vec<_> = changes.iter().map(summary).collect();
    assert_eq!(files[0], vec![('A', "a.pp".into())]);
    assert_eq!(files[1], vec![('A', "b.pp".into())]);
    assert_eq!(files[2], vec![('A', "side.pp".into())]);
    assert_eq!(files[3], vec![('A', "c.pp".into())]);
    for w in changes.windows(2) {
        assert_eq!(
            w[0].after.label, w[1].before.label,
            "each against its parent"
        );
    }
    // `A..` means A..HEAD; an empty range is no change at all.
    let mut a = args(&r);
    a.each = Some("HEAD..".into());
    assert!(load(&a).unwrap().is_empty());
    let mut a = args(&r);
    a.each = Some("HEAD...main".into());
    assert!(matches!(load(&a), Err(InputError::BadRange { .. })));
}

#[test]
fn staged_sees_only_what_is_staged() {
    let r = base_repo();
    r.write("manifests/site.pp", "node default { include staged }\n");
    r.git(&["add", "manifests/site.pp"]);
    r.write("manifests/site.pp", "node default { include unstaged }\n");
    r.write(
        "modules/k8s/manifests/init.pp",
        manifest("k8s", "  # unstaged only\n"),
    );
    r.write("modules/k8s/manifests/new.pp", "class k8s::new {}\n");
    let mut a = args(&r);
    a.staged = true;
    let c = one(a);
    assert_eq!(summary(&c), vec![('M', "manifests/site.pp".into())]);
    assert_eq!(c.after.label, "index");
    assert_eq!(
        c.after.tree.text("manifests/site.pp"),
        Some("node default { include staged }\n")
    );
}

#[test]
fn staged_in_a_repository_without_commits_compares_with_the_empty_tree() {
    let r = Repo::new();
    r.write("manifests/site.pp", "node default {}\n");
    r.git(&["add", "."]);
    let mut a = args(&r);
    a.staged = true;
    let c = one(a);
    assert_eq!(c.before.label, "empty");
    assert_eq!(summary(&c), vec![('A', "manifests/site.pp".into())]);
    // The default mode has nothing to compare.
    assert!(matches!(
        load(&args(&r)),
        Err(InputError::UnbornHead { .. })
    ));
}

#[test]
fn worktree_reads_disk_including_untracked_manifests() {
    let r = base_repo();
    r.write(".gitignore", "ignored/\n");
    r.commit_all("ignore");
    r.write("manifests/site.pp", "node default { include changed }\n");
    r.remove("modules/k8s/manifests/scheduler.pp");
    r.write(
        "modules/k8s/manifests/untracked.pp",
        "class k8s::untracked {}\n",
    );
    r.write("ignored/skip.pp", "class skip {}\n");
    r.write("notes.txt", "untracked, not a manifest\n");
    r.symlink("modules/k8s/files/kube-scheduler", "/bin/true");
    let mut a = args(&r);
    a.worktree = true;
    let c = one(a);
    assert_eq!(
        summary(&c),
        vec![
            ('M', "manifests/site.pp".into()),
            ('T', "modules/k8s/files/kube-scheduler".into()),
            ('D', "modules/k8s/manifests/scheduler.pp".into()),
            ('A', "modules/k8s/manifests/untracked.pp".into()),
        ]
    );
    assert!(
        c.notes
            .iter()
            .any(|n| n.contains("untracked.pp") && n.contains("untracked")),
        "{:?}",
        c.notes
    );
    assert_eq!(c.after.label, "worktree");
    // Unchanged files on disk share the blob read from HEAD.
    let b = c.before.tree.get("README.md").unwrap();
    let w = c.after.tree.get("README.md").unwrap();
    assert!(Arc::ptr_eq(&b.blob, &w.blob));
}

#[test]
fn two_directories_without_git() {
    let before = tempfile::tempdir().unwrap();
    let after = tempfile::tempdir().unwrap();
    let w = |d: &tempfile::TempDir, p: &str, c: &str| {
        let p = d.path().join(p);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, c).unwrap();
    };
    w(&before, "modules/m/manifests/init.pp", "class m {}\n");
    w(&before, "modules/m/files/bin", "#!/bin/sh\n");
    w(
        &after,
        "modules/m/manifests/init.pp",
        "class m { include m::x }\n",
    );
    w(&after, "modules/m/manifests/x.pp", "class m::x {}\n");
    std::fs::create_dir_all(after.path().join("modules/m/files")).unwrap();
    std::os::unix::fs::symlink("/usr/bin/true", after.path().join("modules/m/files/bin")).unwrap();
    std::fs::create_dir_all(after.path().join(".git")).unwrap();
    std::fs::write(after.path().join(".git/HEAD"), "ignored\n").unwrap();
    let c = one(InputArgs {
        before: Some(before.path().to_path_buf()),
        after: Some(after.path().to_path_buf()),
        ..InputArgs::default()
    });
    assert_eq!(
        summary(&c),
        vec![
            ('T', "modules/m/files/bin".into()),
            ('M', "modules/m/manifests/init.pp".into()),
            ('A', "modules/m/manifests/x.pp".into()),
        ]
    );
    assert_eq!(c.before.label, before.path().display().to_string());
}

#[test]
fn missing_directory_is_an_error() {
    let a = InputArgs {
        before: Some("/nonexistent/before".into()),
        after: Some("/nonexistent/after".into()),
        ..InputArgs::default()
    };
    assert!(matches!(load(&a), Err(InputError::Io { .. })));
}

#[test]
fn worktree_sees_a_same_size_edit_made_right_after_staging() {
    let r = base_repo();
    for round in 0..5 {
        let before = format!("class k8s::same{round} {{}}\n");
        let after = format!("class k8s::SAME{round} {{}}\n");
        r.write("modules/k8s/manifests/same.pp", &before);
        r.git(&["add", "modules/k8s/manifests/same.pp"]);
        r.git(&["commit", "-q", "-m", "same"]);
        // Same size, written immediately: the index's stat data cannot tell them apart.
        r.write("modules/k8s/manifests/same.pp", &after);
        let mut a = args(&r);
        a.worktree = true;
        let c = one(a);
        assert_eq!(
            summary(&c),
            vec![('M', "modules/k8s/manifests/same.pp".into())],
            "round {round}"
        );
        assert_eq!(
            c.after.tree.text("modules/k8s/manifests/same.pp"),
            Some(after.as_str())
        );
    }
}

#[test]
fn linked_worktree_reads_its_own_index_and_the_shared_objects() {
    let r = base_repo();
    let wt = tempfile::tempdir().unwrap();
    let path = wt.path().join("linked");
    r.git(&[
        "worktree",
        "add",
        "-q",
        "-b",
        "linked",
        path.to_str().unwrap(),
    ]);
    std::fs::write(
        path.join("manifests/site.pp"),
        "node default { include linked }\n",
    )
    .unwrap();
    input_support::run_git(&path, &["add", "manifests/site.pp"]);
    let c = one(InputArgs {
        repo: Some(path.clone()),
        staged: true,
        ..InputArgs::default()
    });
    assert_eq!(summary(&c), vec![('M', "manifests/site.pp".into())]);
    // Deferred content comes from the shared object database.
    assert_eq!(
        c.after
            .tree
            .get("README.md")
            .unwrap()
            .blob
            .try_data()
            .unwrap(),
        b"readme\n"
    );
    // The main work tree's index is untouched by the linked one.
    let mut a = args(&r);
    a.staged = true;
    assert!(one(a).files.is_empty());
}

#[test]
fn intent_to_add_is_left_out_of_staged_but_in_the_worktree() {
    let r = base_repo();
    r.write("modules/k8s/manifests/later.pp", "class k8s::later {}\n");
    r.git(&["add", "-N", "modules/k8s/manifests/later.pp"]);
    let mut a = args(&r);
    a.staged = true;
    let c = one(a);
    assert!(c.files.is_empty(), "{:?}", summary(&c));
    assert!(
        c.notes
            .iter()
            .any(|n| n.contains("later.pp") && n.contains("intent-to-add")),
        "{:?}",
        c.notes
    );
    let mut a = args(&r);
    a.worktree = true;
    let c = one(a);
    assert_eq!(
        summary(&c),
        vec![('A', "modules/k8s/manifests/later.pp".into())]
    );
    assert!(
        c.notes.is_empty(),
        "tracked (intent-to-add), not untracked: {:?}",
        c.notes
    );
}

#[test]
fn worktree_keeps_submodules_and_respects_core_filemode() {
    let r = base_repo();
    let head = r.rev("HEAD");
    r.git(&[
        "update-index",
        "--add",
        "--cacheinfo",
        &format!("160000,{head},vendor/lib"),
    ]);
    r.git(&["commit", "-q", "-m", "submodule"]);
    // The gitlink has no checkout here; the work tree mode keeps the index's entry.
    let mut a = args(&r);
    a.worktree = true;
    let c = one(a.clone());
    assert!(c.files.is_empty(), "{:?}", summary(&c));
    assert_eq!(
        c.after.tree.get("vendor/lib").unwrap().kind,
        EntryKind::Submodule
    );
    // An execute bit git is told to ignore is not a change.
    r.chmod_x("modules/k8s/manifests/init.pp");
    r.git(&["config", "core.filemode", "false"]);
    assert!(one(a.clone()).files.is_empty());
    r.git(&["config", "core.filemode", "true"]);
    let c = one(a);
    assert_eq!(
        summary(&c),
        vec![('T', "modules/k8s/manifests/init.pp".into())]
    );
}

/// Renames of decreasing similarity: the pairs, their scores and the 50% cut must be
/// git's own (`git diff --name-status -M`).
#[test]
fn rename_scores_and_threshold_match_git() {
    let r = Repo::new();
    let file = |k: usize, changed: usize| {
        let mut s = format!("class f{k} {{\n");
        for i in 0..20 {
            if i < changed {
                s.push_str(&format!("  $w{i} = 'changed {i} in {k}'\n"));
            } else {
                s.push_str(&format!("  $v{i} = 'value number {i} of file {k}'\n"));
            }
        }
        s + "}\n"
    };
    for k in 0..16 {
        r.write(&format!("m/f{k}.pp"), file(k, 0));
    }
    r.commit_all("files");
    for k in 0..16 {
        r.remove(&format!("m/f{k}.pp"));
        r.write(&format!("m/g{k}.pp"), file(k, k));
    }
    r.commit_all("renames with edits");
    let c = one(args(&r));
    let mut ours: Vec<String> = c
        .files
        .iter()
        .map(|f| match f.status {
            FileStatus::Renamed => format!(
                "R{:03}\t{}\t{}",
                f.similarity.unwrap(),
                f.old_path.as_deref().unwrap(),
                f.new_path.as_deref().unwrap()
            ),
            _ => format!("{}\t{}", f.status.letter(), f.path()),
        })
        .collect();
    let mut git: Vec<String> = r
        .git(&["diff", "--name-status", "-M", "HEAD^", "HEAD"])
        .lines()
        .map(str::to_string)
        .collect();
    ours.sort();
    git.sort();
    assert_eq!(ours, git);
    assert!(
        git.iter().any(|l| l.starts_with("R052")),
        "the series crosses 50%: {git:?}"
    );
    assert!(
        git.iter().any(|l| l.starts_with('D')),
        "and goes below it: {git:?}"
    );
}
