//! `--patch`: patches made by git and diff(1) are applied in memory onto their base, and
//! the result must be exactly the tree git recorded (content and kind of every file).

mod corpus_env;
mod input_support;

use std::path::Path;

use input_support::{run_git, Repo};
use puppet_preflight::input::{load, Change, EntryKind, FileStatus, InputArgs, InputError, Tree};

fn apply(repo: &Repo, base: &str, patch: &[u8]) -> Result<Change, InputError> {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("change.patch");
    std::fs::write(&file, patch).unwrap();
    let mut v = load(&InputArgs {
        repo: Some(repo.path().to_path_buf()),
        base: Some(base.into()),
        patch: Some(file.display().to_string()),
        ..InputArgs::default()
    })?;
    assert_eq!(v.len(), 1);
    Ok(v.remove(0))
}

/// The tree git has for `rev`, read through the revision mode.
fn tree_at(repo: &Repo, rev: &str) -> Tree {
    let mut v = load(&InputArgs {
        repo: Some(repo.path().to_path_buf()),
        base: Some(rev.into()),
        head: Some(rev.into()),
        ..InputArgs::default()
    })
    .unwrap();
    std::sync::Arc::try_unwrap(v.remove(0).after.tree).unwrap_or_else(|t| (*t).clone())
}

fn assert_same_tree(got: &Tree, want: &Tree) {
    let g: Vec<_> = got.paths().collect();
    let w: Vec<_> = want.paths().collect();
    assert_eq!(g, w, "same paths");
    for (path, e) in &want.files {
        let h = got.get(path).unwrap();
        assert_eq!(h.kind, e.kind, "kind of {path}");
        if e.kind != EntryKind::Submodule {
            assert!(
                h.blob.data() == e.blob.data(),
                "content of {path}:\n--- got\n{}\n--- want\n{}",
                String::from_utf8_lossy(h.blob.data().expect("readable")),
                String::from_utf8_lossy(e.blob.data().expect("readable"))
            );
        }
    }
}

/// A history with most shapes a text patch can carry.
fn history() -> (Repo, String, String, String) {
    let r = Repo::new();
    let mut long = String::new();
    for i in 0..40 {
        long.push_str(&format!(
            "  file {{ '/etc/app/{i}.conf': ensure => file, mode => '0644' }}\n"
        ));
    }
    r.write(
        "modules/app/manifests/init.pp",
        format!("class app {{\n{long}}}\n"),
    );
    r.write(
        "modules/app/manifests/old_name.pp",
        format!("class app::old_name {{\n{long}}}\n"),
    );
    r.write("modules/app/manifests/gone.pp", "class app::gone {}\n");
    let params: String = (0..20).map(|i| format!("  $p{i} = {i}\n")).collect();
    let params = format!("class app::params {{\n{params}}}\n");
    r.write("modules/app/manifests/params.pp", &params);
    r.write("modules/app/files/run.sh", "#!/bin/sh\necho run\n");
    r.write(
        "modules/app/files/kube-scheduler",
        "#!/bin/sh\nexec /opt/scheduler\n",
    );
    r.write("modules/app/templates/no-eol.erb", "<%= @value %>");
    r.write("modules/app/files/latin1.conf", b"caf\xe9\n");
    r.write("modules/app/files/with space.conf", "a\n");
    let c0 = r.commit_all("base");

    // Several hunks in one file, far apart.
    let mut changed = long.replace("'/etc/app/3.conf'", "'/etc/app/three.conf'");
    changed = changed.replace(
        "'/etc/app/37.conf', ensure => file",
        "'/etc/app/37.conf', ensure => absent",
    );
    r.write(
        "modules/app/manifests/init.pp",
        format!("class app {{\n  include app::new_name\n{changed}}}\n"),
    );
    r.git(&[
        "mv",
        "modules/app/manifests/old_name.pp",
        "modules/app/manifests/new_name.pp",
    ]);
    r.write(
        "modules/app/manifests/new_name.pp",
        format!("class app::new_name {{\n{long}  # renamed\n}}\n"),
    );
    r.remove("modules/app/manifests/gone.pp");
    r.write(
        "modules/app/manifests/added.pp",
        "class app::added {\n  notify { 'hi': }\n}\n",
    );
    r.chmod_x("modules/app/files/run.sh");
    r.symlink(
        "modules/app/files/kube-scheduler",
        "/usr/local/bin/kube-scheduler",
    );
    r.write("modules/app/templates/no-eol.erb", "<%= @other %>");
    r.write("modules/app/files/latin1.conf", b"caf\xe9\nna\xefve\n");
    r.write("modules/app/files/with space.conf", "b\n");
    r.write("modules/app/files/caf\u{e9}.conf", "unicode name\n");
    // A copy of params.pp as it was before this change, while params.pp itself is
    // modified: `git diff -C` shows `copy from/to` with hunks against the old content.
    r.write(
        "modules/app/manifests/params.pp",
        params.replace("$p3 = 3", "$p3 = 'three'"),
    );
    r.write(
        "modules/app/manifests/zz_copy.pp",
        format!("{params}# copied\n"),
    );
    let c1 = r.commit_all("first change");

    r.write(
        "modules/app/manifests/added.pp",
        "class app::added {\n  notify { 'hello': }\n}\n",
    );
    r.write("manifests/site.pp", "node default { include app }\n");
    let c2 = r.commit_all("second change");
    (r, c0, c1, c2)
}

#[test]
fn git_diff_applies_to_exactly_the_next_tree() {
    let (r, c0, c1, _) = history();
    let patch = r.git_bytes(&["diff", "--no-color", &c0, &c1]);
    let c = apply(&r, &c0, &patch).unwrap();
    assert_same_tree(&c.after.tree, &tree_at(&r, &c1));
    assert_eq!(c.after.label, "patch");
    assert_eq!(c.before.label, c0);
    let status = |p: &str| c.files.iter().find(|f| f.path() == p).map(|f| f.status);
    assert_eq!(
        status("modules/app/manifests/new_name.pp"),
        Some(FileStatus::Renamed)
    );
    assert_eq!(
        status("modules/app/manifests/gone.pp"),
        Some(FileStatus::Deleted)
    );
    assert_eq!(
        status("modules/app/files/kube-scheduler"),
        Some(FileStatus::ModeChanged)
    );
    assert_eq!(
        status("modules/app/files/run.sh"),
        Some(FileStatus::ModeChanged)
    );
}

#[test]
fn diff_variants_git_can_produce_all_apply() {
    let (r, c0, c1, _) = history();
    let want = tree_at(&r, &c1);
    for flags in [
        vec!["--no-renames"],
        vec!["--no-prefix"],
        vec!["-U0"],
        vec!["-U10", "-M30%"],
        vec!["--src-prefix=i/", "--dst-prefix=w/"],
        vec!["-c", "core.quotePath=false"],
        vec!["-C", "-C"],
        vec!["-B"],
    ] {
        let mut a: Vec<&str> = Vec::new();
        let mut diff_flags = flags.clone();
        if flags[0] == "-c" {
            a.extend(&flags);
            diff_flags.clear();
        }
        a.push("diff");
        a.push("--no-color");
        a.extend(&diff_flags);
        a.push(&c0);
        a.push(&c1);
        let patch = r.git_bytes(&a);
        let c = apply(&r, &c0, &patch).unwrap_or_else(|e| panic!("{flags:?}: {e}"));
        assert_same_tree(&c.after.tree, &want);
    }
}

#[test]
fn format_patch_mbox_with_two_patches_applies_in_order() {
    let (r, c0, _, c2) = history();
    let mbox = r.git_bytes(&["format-patch", "--stdout", &format!("{c0}..{c2}")]);
    let text = String::from_utf8_lossy(&mbox);
    assert_eq!(text.matches("\nSubject: [PATCH ").count(), 2);
    let c = apply(&r, &c0, &mbox).unwrap();
    assert_same_tree(&c.after.tree, &tree_at(&r, &c2));
    assert!(
        c.notes.iter().any(|n| n.contains("2 patches")
            && n.contains("first change")
            && n.contains("second change")),
        "{:?}",
        c.notes
    );
    assert_eq!(
        c.after.summary.as_deref(),
        Some("first change … second change")
    );
}

#[test]
fn crlf_converted_patch_applies() {
    let (r, c0, c1, _) = history();
    let patch = r.git_bytes(&["diff", "--no-color", &c0, &c1]);
    let mut crlf = Vec::new();
    for &b in &patch {
        if b == b'\n' {
            crlf.push(b'\r');
        }
        crlf.push(b);
    }
    let c = apply(&r, &c0, &crlf).unwrap();
    assert_same_tree(&c.after.tree, &tree_at(&r, &c1));
}

#[test]
fn crlf_files_in_the_repository_keep_their_line_ends() {
    let r = Repo::new();
    r.write("m.pp", "class m {\r\n  include a\r\n}\r\n");
    let c0 = r.commit_all("crlf");
    r.write("m.pp", "class m {\r\n  include b\r\n}\r\n");
    let c1 = r.commit_all("crlf change");
    let patch = r.git(&["diff", &c0, &c1]);
    let c = apply(&r, &c0, patch.as_bytes()).unwrap();
    assert_same_tree(&c.after.tree, &tree_at(&r, &c1));
}

#[test]
fn diff_u_between_two_directories_applies() {
    let r = Repo::new();
    r.write(
        "modules/m/manifests/init.pp",
        "class m {\n  include m::a\n}\n",
    );
    r.write("modules/m/manifests/a.pp", "class m::a {}\n");
    r.write("modules/m/manifests/drop.pp", "class m::drop {}\n");
    let c0 = r.commit_all("base");
    let work = tempfile::tempdir().unwrap();
    let (a, b) = (work.path().join("a"), work.path().join("b"));
    for d in [&a, &b] {
        std::fs::create_dir_all(d.join("modules/m/manifests")).unwrap();
    }
    std::fs::write(
        a.join("modules/m/manifests/init.pp"),
        "class m {\n  include m::a\n}\n",
    )
    .unwrap();
    std::fs::write(a.join("modules/m/manifests/a.pp"), "class m::a {}\n").unwrap();
    std::fs::write(a.join("modules/m/manifests/drop.pp"), "class m::drop {}\n").unwrap();
    std::fs::write(
        b.join("modules/m/manifests/init.pp"),
        "class m {\n  include m::a\n  include m::b\n}\n",
    )
    .unwrap();
    std::fs::write(b.join("modules/m/manifests/a.pp"), "class m::a {}\n").unwrap();
    std::fs::write(b.join("modules/m/manifests/b.pp"), "class m::b {}\n").unwrap();
    let out = std::process::Command::new("diff")
        .current_dir(work.path())
        .args(["-ruN", "a", "b"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "diff found differences");
    let c = apply(&r, &c0, &out.stdout).unwrap();
    let t = &c.after.tree;
    assert_eq!(
        t.text("modules/m/manifests/init.pp"),
        Some("class m {\n  include m::a\n  include m::b\n}\n")
    );
    assert_eq!(t.text("modules/m/manifests/b.pp"), Some("class m::b {}\n"));
    assert!(t.get("modules/m/manifests/drop.pp").is_none());
    let letters: Vec<_> = c
        .files
        .iter()
        .map(|f| (f.status.letter(), f.path().to_string()))
        .collect();
    assert_eq!(
        letters,
        vec![
            ('A', "modules/m/manifests/b.pp".to_string()),
            ('D', "modules/m/manifests/drop.pp".to_string()),
            ('M', "modules/m/manifests/init.pp".to_string()),
        ]
    );
}

#[test]
fn binary_changes_are_flagged_without_content() {
    let r = Repo::new();
    r.write("modules/m/files/tool", b"\x7fELF\x00old");
    let c0 = r.commit_all("bin");
    r.write("modules/m/files/tool", b"\x7fELF\x00new");
    r.write("modules/m/files/new-tool", b"\x7fELF\x00\x01");
    let c1 = r.commit_all("bin change");
    for flags in [&[][..], &["--binary"][..]] {
        let mut a = vec!["diff"];
        a.extend(flags);
        a.push(&c0);
        a.push(&c1);
        let patch = r.git(&a);
        let c = apply(&r, &c0, patch.as_bytes()).unwrap();
        let tool = c
            .files
            .iter()
            .find(|f| f.path() == "modules/m/files/tool")
            .expect("tool listed");
        assert!(
            tool.binary && tool.status == FileStatus::Modified,
            "{flags:?} {tool:?}"
        );
        let new = c
            .files
            .iter()
            .find(|f| f.path() == "modules/m/files/new-tool")
            .expect("new listed");
        assert_eq!(new.status, FileStatus::Added);
        assert!(
            c.notes.iter().any(|n| n.contains("not in the patch")),
            "{:?}",
            c.notes
        );
    }
}

#[test]
fn patch_that_does_not_apply_names_file_and_hunk() {
    let (r, c0, c1, c2) = history();
    // A patch made on c1 applied to c0.
    let patch = r.git(&["diff", &c1, &c2]);
    match apply(&r, &c0, patch.as_bytes()) {
        Err(InputError::PatchDoesNotApply {
            file, hunk, detail, ..
        }) => {
            assert_eq!(file, "modules/app/manifests/added.pp");
            assert_eq!(hunk, 1);
            assert!(detail.contains("@@ -1,3 +1,3 @@"), "{detail}");
        }
        Err(InputError::PatchFileMismatch { file, message, .. }) => {
            assert_eq!(file, "modules/app/manifests/added.pp");
            assert!(message.contains("does not exist"), "{message}");
        }
        other => panic!("unexpected {other:?}"),
    }
    // Changed context.
    let patch = r.git(&["diff", &c0, &c1, "--", "modules/app/manifests/init.pp"]);
    let broken = patch.replace(" class app {\n", " class application {\n");
    match apply(&r, &c0, broken.as_bytes()) {
        Err(InputError::PatchDoesNotApply {
            file,
            hunk,
            line,
            detail,
            ..
        }) => {
            assert_eq!((file.as_str(), hunk), ("modules/app/manifests/init.pp", 1));
            assert!(line > 4, "patch line of the hunk header: {line}");
            assert!(detail.contains("class app {"), "{detail}");
        }
        other => panic!("unexpected {other:?}"),
    }
}

/// Real manifests nobody here wrote: edit a Debian module in several ways, then check
/// that the git diff of the edit applies back to exactly git's tree.
#[test]
#[cfg_attr(
    not(preflight_corpus),
    ignore = "needs the Debian corpus: set PREFLIGHT_CORPUS"
)]
fn corpus_module_edits_round_trip() {
    let Some(corpus) = corpus_env::modules("corpus_module_edits_round_trip") else {
        return;
    };
    let r = Repo::new();
    let mut copied = 0;
    for module in ["nova", "keystone", "camptocamp-systemd"] {
        let src = corpus.join(module);
        if !src.is_dir() {
            continue;
        }
        copy_dir(&src, &r.path().join("modules").join(module));
        copied += 1;
    }
    assert!(copied > 0);
    let c0 = r.commit_all("corpus");
    let files = run_git(r.path(), &["ls-files", "*.pp"]);
    let mut edited = 0;
    for (i, rel) in files.lines().enumerate() {
        let p = r.path().join(rel);
        let Ok(text) = std::fs::read_to_string(&p) else {
            continue;
        };
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        match i % 5 {
            0 if lines.len() > 12 => {
                lines.remove(4);
                lines.insert(10, "  # inserted by the test".into());
                lines[1] = format!("{} # edited", lines[1]);
            }
            1 if lines.len() > 30 => {
                let n = lines.len();
                lines.truncate(n - 3);
                lines.push("}".into());
            }
            2 => {
                std::fs::remove_file(&p).unwrap();
                edited += 1;
                continue;
            }
            3 if i % 15 == 3 => {
                let to = p.with_extension("moved.pp");
                std::fs::rename(&p, &to).unwrap();
                edited += 1;
                continue;
            }
            _ => continue,
        }
        std::fs::write(&p, lines.join("\n") + "\n").unwrap();
        edited += 1;
    }
    assert!(edited > 20, "edited {edited}");
    let c1 = r.commit_all("edits");
    let patch = r.git_bytes(&["diff", &c0, &c1]);
    let c = apply(&r, &c0, &patch).unwrap();
    assert_same_tree(&c.after.tree, &tree_at(&r, &c1));
    let git_count = r
        .git(&["diff", "--name-only", "-M", &c0, &c1])
        .lines()
        .count();
    assert_eq!(c.files.len(), git_count);
}

fn copy_dir(src: &Path, dst: &Path) {
    for e in walkdir::WalkDir::new(src) {
        let e = e.unwrap();
        let rel = e.path().strip_prefix(src).unwrap();
        let to = dst.join(rel);
        if e.file_type().is_dir() {
            std::fs::create_dir_all(&to).unwrap();
        } else if e.file_type().is_file() {
            std::fs::copy(e.path(), &to).unwrap();
        }
    }
}

mod never_panics {
    use proptest::prelude::*;
    use puppet_preflight::input::patch::{apply, parse};
    use puppet_preflight::input::{Blob, EntryKind, Tree, TreeEntry};
    use std::sync::Arc;

    /// Lines that look like parts of patches, in any order and number.
    fn patch_line() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("diff --git a/x.pp b/x.pp".to_string()),
            Just("diff --git \"a/q\\303\\251.pp\" \"b/q\\303\\251.pp\"".to_string()),
            Just("--- a/x.pp".to_string()),
            Just("+++ b/x.pp".to_string()),
            Just("--- /dev/null".to_string()),
            Just("+++ /dev/null".to_string()),
            Just("new file mode 100644".to_string()),
            Just("deleted file mode 120000".to_string()),
            Just("old mode 100644".to_string()),
            Just("new mode 99999999999".to_string()),
            Just("rename from x.pp".to_string()),
            Just("rename to ../y.pp".to_string()),
            Just("Binary files a/x.pp and b/x.pp differ".to_string()),
            Just("GIT binary patch".to_string()),
            Just("\\ No newline at end of file".to_string()),
            Just(
                "From 0123456789012345678901234567890123456789 Mon Sep 17 00:00:00 2001"
                    .to_string()
            ),
            Just("Subject: [PATCH] x".to_string()),
            Just(String::new()),
            (0usize..5, 0usize..4, 0usize..5, 0usize..4)
                .prop_map(|(a, b, c, d)| format!("@@ -{a},{b} +{c},{d} @@")),
            "[ +-][a-c]{0,3}",
            "[ -~]{0,12}",
        ]
    }

    fn base() -> Tree {
        let mut t = Tree::default();
        t.files.insert(
            "x.pp".into(),
            TreeEntry {
                kind: EntryKind::File,
                blob: Arc::new(Blob::new(None, &b"a\nb\nc\n"[..])),
            },
        );
        t
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        #[test]
        fn parse_and_apply_return_instead_of_panicking(
            lines in proptest::collection::vec(patch_line(), 0..24),
            crlf in any::<bool>(),
        ) {
            let sep = if crlf { "\r\n" } else { "\n" };
            let text = lines.join(sep);
            if let Ok(set) = parse(text.as_bytes(), "p") {
                let _ = apply(&set, &base(), "p", "base");
            }
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            if let Ok(set) = parse(&bytes, "p") {
                let _ = apply(&set, &base(), "p", "base");
            }
        }
    }
}

mod round_trip_random_edits {
    use proptest::prelude::*;
    use puppet_preflight::input::patch::{apply, parse};
    use puppet_preflight::input::{Blob, EntryKind, Tree, TreeEntry};
    use std::sync::Arc;

    fn text() -> impl Strategy<Value = Vec<u8>> {
        (
            proptest::collection::vec(
                prop_oneof!["  include a", "}", "", "\tb => 1,", "  include a\r"],
                0..30,
            ),
            any::<bool>(),
        )
            .prop_map(|(lines, final_newline)| {
                let mut s = lines.join("\n");
                if final_newline && !s.is_empty() {
                    s.push('\n');
                }
                s.into_bytes()
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        /// GNU diff's output for two random versions applies back to exactly the second.
        #[test]
        fn gnu_diff_output_applies_exactly(old in text(), new in text(), context in 0usize..4) {
            let dir = tempfile::tempdir().unwrap();
            for (side, data) in [("a", &old), ("b", &new)] {
                std::fs::create_dir_all(dir.path().join(side)).unwrap();
                std::fs::write(dir.path().join(side).join("x.pp"), data).unwrap();
            }
            let out = std::process::Command::new("diff")
                .current_dir(dir.path())
                .args([format!("-U{context}").as_str(), "a/x.pp", "b/x.pp"])
                .output()
                .unwrap();
            prop_assume!(out.status.code() == Some(1));
            let mut base = Tree::default();
            base.files.insert(
                "x.pp".into(),
                TreeEntry { kind: EntryKind::File, blob: Arc::new(Blob::new(None, old.clone())) },
            );
            let set = parse(&out.stdout, "p").unwrap();
            let applied = apply(&set, &base, "p", "base").unwrap();
            let got = applied.tree.get("x.pp").unwrap().blob.data().expect("readable").to_vec();
            prop_assert_eq!(
                String::from_utf8_lossy(&got),
                String::from_utf8_lossy(&new),
                "patch:\n{}",
                String::from_utf8_lossy(&out.stdout)
            );
        }
    }
}

#[test]
fn rename_away_and_new_file_at_the_old_name() {
    let r = Repo::new();
    let body: String = (0..30).map(|i| format!("  $v{i} = {i}\n")).collect();
    r.write("m/a.pp", format!("class a {{\n{body}}}\n"));
    let c0 = r.commit_all("base");
    r.git(&["mv", "m/a.pp", "m/z.pp"]);
    r.write("m/a.pp", "class a { include z }\n");
    let c1 = r.commit_all("split");
    let want = tree_at(&r, &c1);
    for flags in [
        &["-M"][..],
        &["-B", "-M"][..],
        &["-B", "-M", "--no-prefix"][..],
    ] {
        let mut a = vec!["diff"];
        a.extend(flags);
        a.push(&c0);
        a.push(&c1);
        let patch = r.git_bytes(&a);
        let c = apply(&r, &c0, &patch).unwrap_or_else(|e| panic!("{flags:?}: {e}"));
        assert_same_tree(&c.after.tree, &want);
    }
}

#[test]
fn a_patch_already_in_the_base_says_to_check_from_its_parent() {
    let (r, _, _, c2) = history();
    // `git format-patch -1 --stdout | puppet-preflight check --patch -` on the commit that
    // is checked out: the patch is HEAD's own change.
    let patch = r.git_bytes(&["format-patch", "-1", "--stdout", &c2]);
    match apply(&r, "HEAD", &patch) {
        Err(e @ InputError::PatchAlreadyApplied { .. }) => {
            let text = e.to_string();
            assert!(text.contains("is already in HEAD ("), "{text}");
            let help = miette::Diagnostic::help(&e).unwrap().to_string();
            assert!(help.contains("--base HEAD^ --head HEAD"), "{help}");
        }
        other => panic!("unexpected {other:?}"),
    }
    // Onto its parent it applies, as before.
    let c = apply(&r, "HEAD^", &patch).unwrap();
    assert_same_tree(&c.after.tree, &tree_at(&r, &c2));
}
