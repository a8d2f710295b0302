//! Data-driven patch cases: each `fixtures/patches/<case>/` holds a `before/` tree (or
//! names another case's with `before_from`), a patch file, and `expected.yaml` with either
//! the files the patch changes (`"<status letter> <path>"`) or the pieces of the error
//! message. The harness commits `before/` to a fresh repository, runs the real binary
//! (exit status, error text, report head and file count) and reads the file-level facts
//! (statuses, notes) from `input::load`.

mod input_support;

use std::path::{Path, PathBuf};

use input_support::{check, Repo};
use puppet_preflight::input::{load, InputArgs};

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Expected {
    before_from: Option<String>,
    patch: String,
    #[serde(default)]
    files: Vec<String>,
    #[serde(default)]
    notes: Vec<String>,
    #[serde(default)]
    error: Vec<String>,
}

fn cases() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/patches");
    let mut v: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("expected.yaml").is_file())
        .collect();
    v.sort();
    v
}

fn copy_tree(src: &Path, dst: &Path) {
    for e in walkdir::WalkDir::new(src) {
        let e = e.unwrap();
        let to = dst.join(e.path().strip_prefix(src).unwrap());
        if e.file_type().is_dir() {
            std::fs::create_dir_all(&to).unwrap();
        } else {
            std::fs::copy(e.path(), &to).unwrap();
        }
    }
}

fn run_case(dir: &Path) -> Result<(), String> {
    let name = dir.file_name().unwrap().to_string_lossy().into_owned();
    let text = std::fs::read_to_string(dir.join("expected.yaml")).unwrap();
    let exp: Expected =
        serde_yaml::from_str(&text).map_err(|e| format!("{name}: expected.yaml: {e}"))?;
    let before = match &exp.before_from {
        Some(other) => dir.parent().unwrap().join(other).join("before"),
        None => dir.join("before"),
    };
    let repo = Repo::new();
    copy_tree(&before, repo.path());
    repo.commit_all("before");
    let patch = dir.join(&exp.patch);
    let o = check(
        repo.path(),
        &["--patch", patch.to_str().unwrap(), "--format", "json"],
    );
    let stderr = String::from_utf8_lossy(&o.stderr).into_owned();
    // miette wraps lines (even inside paths): compare without any whitespace.
    let squash = |s: &str| {
        s.chars()
            .filter(|c| !c.is_whitespace() && *c != '│')
            .collect::<String>()
    };
    let flat = squash(&stderr);
    if !exp.error.is_empty() {
        if o.status.code() != Some(2) {
            return Err(format!(
                "{name}: expected exit 2, got {:?}",
                o.status.code()
            ));
        }
        for piece in &exp.error {
            if !flat.contains(&squash(piece)) {
                return Err(format!("{name}: error lacks `{piece}`:\n{stderr}"));
            }
        }
        return Ok(());
    }
    if !matches!(o.status.code(), Some(0 | 1)) {
        return Err(format!("{name}: exit {:?}:\n{stderr}", o.status.code()));
    }
    let v: serde_json::Value =
        serde_json::from_slice(&o.stdout).map_err(|e| format!("{name}: {e}"))?;
    if v["head"] != "patch" || v["summary"]["files_changed"] != exp.files.len() {
        return Err(format!("{name}: report {v}"));
    }
    // The file-level facts come from the input layer itself.
    let changes = load(&InputArgs {
        repo: Some(repo.path().to_path_buf()),
        patch: Some(patch.display().to_string()),
        ..InputArgs::default()
    })
    .map_err(|e| format!("{name}: {e}"))?;
    let change = &changes[0];
    let mut got: Vec<String> = change
        .files
        .iter()
        .map(|f| format!("{} {}", f.status.letter(), f.path()))
        .collect();
    got.sort();
    let mut want = exp.files.clone();
    want.sort();
    if got != want {
        return Err(format!("{name}: files\n  got  {got:?}\n  want {want:?}"));
    }
    for n in &exp.notes {
        if !change.notes.iter().any(|x| x.contains(n.as_str())) {
            return Err(format!(
                "{name}: no note containing `{n}` in {:?}",
                change.notes
            ));
        }
    }
    Ok(())
}

#[test]
fn patch_fixtures() {
    let cases = cases();
    assert!(cases.len() >= 8, "fixtures found: {cases:?}");
    let failures: Vec<String> = cases.iter().filter_map(|c| run_case(c).err()).collect();
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
