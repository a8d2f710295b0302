//! Applying a parsed patch to a tree, in memory, like `git apply` without fuzz: every
//! hunk's context and removed lines must be found exactly (at its line number or shifted),
//! otherwise the error names the file, the hunk and what differs.

use std::collections::BTreeSet;
use std::sync::Arc;

use super::super::disk::share;
use super::super::error::InputError;
use super::super::git::kind_from_mode;
use super::super::tree::{Blob, EntryKind, Tree, TreeEntry};
use super::parse::{FilePatch, LineKind, PatchSet};

/// The tree after the patch, and what the patch could not say.
#[derive(Debug)]
pub struct Applied {
    pub tree: Tree,
    /// Paths whose binary content changed but is not in the patch.
    pub binary_changed: BTreeSet<String>,
    pub notes: Vec<String>,
}

struct Ctx<'a> {
    patch: &'a str,
    base: &'a str,
    /// (patch number, path) of every rename source, per patch of the set.
    renamed_away: BTreeSet<(usize, String)>,
}

impl Ctx<'_> {
    fn mismatch(&self, fp: &FilePatch, file: &str, message: impl Into<String>) -> InputError {
        InputError::PatchFileMismatch {
            patch: self.patch.into(),
            base: self.base.into(),
            file: file.into(),
            line: fp.line,
            message: message.into(),
        }
    }

    /// The base content of a file the patch edits: a hunk cannot be applied to content
    /// the repository does not have (a partial clone), so that is an error.
    fn content<'e>(&self, file: &str, entry: &'e TreeEntry) -> Result<&'e [u8], InputError> {
        entry
            .blob
            .try_data()
            .map_err(|why| InputError::ContentMissing {
                path: file.into(),
                revision: self.base.into(),
                id: entry.blob.id.clone().unwrap_or_default(),
                reason: why.to_string(),
            })
    }
}

/// Applies every file section of `set`, in order, to a copy of `base`. `patch` and
/// `base_label` name the two for error messages.
pub fn apply(
    set: &PatchSet,
    base: &Tree,
    patch: &str,
    base_label: &str,
) -> Result<Applied, InputError> {
    let ctx = Ctx {
        patch,
        base: base_label,
        renamed_away: set
            .files
            .iter()
            .filter(|f| f.renamed)
            .filter_map(|f| Some((f.patch_no, f.old_path.clone()?)))
            .collect(),
    };
    let mut out = Applied {
        tree: base.clone(),
        binary_changed: BTreeSet::new(),
        notes: Vec::new(),
    };
    // Every section of one patch is relative to the tree before that patch: a copy or
    // rename reads its source from there even when an earlier section modified it.
    let mut preimage = base.clone();
    let mut current_patch = 0;
    for fp in &set.files {
        for p in [&fp.old_path, &fp.new_path].into_iter().flatten() {
            check_path(p, fp.line, patch)?;
        }
        if fp.patch_no != current_patch {
            preimage = out.tree.clone();
            current_patch = fp.patch_no;
        }
        apply_file(&ctx, fp, base, &preimage, &mut out)?;
    }
    Ok(out)
}

/// Rejects paths that would leave the repository or reach into `.git`.
fn check_path(path: &str, line: usize, patch: &str) -> Result<(), InputError> {
    let escapes = path.is_empty()
        || path.starts_with('/')
        || path.contains('\0')
        || path.contains('\\')
        || path
            .split('/')
            .any(|c| c.is_empty() || c == "." || c == ".." || c.eq_ignore_ascii_case(".git"));
    if escapes {
        return Err(InputError::PathEscapes {
            patch: patch.into(),
            line,
            path: path.into(),
        });
    }
    Ok(())
}

fn apply_file(
    ctx: &Ctx<'_>,
    fp: &FilePatch,
    base: &Tree,
    preimage: &Tree,
    out: &mut Applied,
) -> Result<(), InputError> {
    let files = &mut out.tree.files;
    let binary_changed = &mut out.binary_changed;
    let notes = &mut out.notes;
    // A `diff -u` without -N has no /dev/null: a lone `-0,0` hunk on a missing file
    // creates it.
    let implicit_create = !fp.created
        && fp.old_path.as_ref().is_some_and(|p| !files.contains_key(p))
        && fp.hunks.len() == 1
        && fp.hunks[0].old_count == 0;

    if fp.created || implicit_create {
        let path = fp.new_path.as_deref().unwrap_or_default();
        // A path the same patch renames away may be created anew (`git diff -B -M`).
        let vacated = preimage.get(path).is_some_and(|pre| {
            files
                .get(path)
                .is_some_and(|cur| Arc::ptr_eq(&cur.blob, &pre.blob))
        }) && ctx.renamed_away.contains(&(fp.patch_no, path.to_string()));
        if files.contains_key(path) && !vacated {
            return Err(ctx.mismatch(fp, path, "the patch creates it, but it already exists"));
        }
        let kind = fp.new_mode.map(kind_from_mode).unwrap_or(EntryKind::File);
        let blob = if kind == EntryKind::Submodule {
            gitlink(fp)
        } else {
            if fp.binary {
                binary_changed.insert(path.to_string());
                notes.push(format!(
                    "{path}: a binary file added by the patch; its content is not in the patch"
                ));
            }
            let data = apply_hunks(ctx, fp, path, &[])?;
            share(data, base.get(path).map(|e| &e.blob))
        };
        files.insert(path.to_string(), TreeEntry { kind, blob });
        return Ok(());
    }

    let source = fp
        .old_path
        .as_deref()
        .or(fp.new_path.as_deref())
        .unwrap_or_default()
        .to_string();
    let from_preimage = (fp.renamed || fp.copied)
        .then(|| preimage.get(&source))
        .flatten();
    let Some(entry) = from_preimage.or_else(|| files.get(&source)).cloned() else {
        return Err(ctx.mismatch(fp, &source, "the patch changes it, but it does not exist"));
    };

    if fp.deleted {
        if fp.binary {
            notes.push(format!("{source}: a binary file deleted by the patch"));
        } else if entry.kind != EntryKind::Submodule {
            let rest = apply_hunks(ctx, fp, &source, ctx.content(&source, &entry)?)?;
            if !rest.is_empty() {
                return Err(ctx.mismatch(
                    fp,
                    &source,
                    format!(
                        "the patch deletes it but removes only part of it ({} bytes would remain)",
                        rest.len()
                    ),
                ));
            }
        }
        files.remove(&source);
        return Ok(());
    }

    let dest = fp.new_path.clone().unwrap_or_else(|| source.clone());
    let kind = fp.new_mode.map(kind_from_mode).unwrap_or(entry.kind);
    let blob = if kind == EntryKind::Submodule || entry.kind == EntryKind::Submodule {
        if fp.hunks.is_empty() {
            entry.blob.clone()
        } else {
            gitlink(fp)
        }
    } else if fp.binary {
        binary_changed.insert(dest.clone());
        notes.push(format!(
            "{dest}: binary content changed by the patch is not in it; the old content is kept"
        ));
        entry.blob.clone()
    } else if fp.hunks.is_empty() {
        entry.blob.clone()
    } else {
        let old = ctx.content(&source, &entry)?;
        let data = apply_hunks(ctx, fp, &source, old)?;
        if *data == *old {
            entry.blob.clone()
        } else {
            share(data, base.get(&dest).map(|e| &e.blob))
        }
    };
    if dest != source {
        if files.contains_key(&dest) {
            return Err(ctx.mismatch(
                fp,
                &dest,
                format!("the patch renames or copies {source} onto it, but it already exists"),
            ));
        }
        // Unless a section of this patch already created a new file at the source path.
        let untouched = match (files.get(&source), preimage.get(&source)) {
            (Some(cur), Some(pre)) => Arc::ptr_eq(&cur.blob, &pre.blob) && cur.kind == pre.kind,
            _ => true,
        };
        if (fp.renamed || !fp.copied) && untouched {
            files.remove(&source);
        }
    }
    files.insert(dest, TreeEntry { kind, blob });
    Ok(())
}

/// A submodule entry from `+Subproject commit <id>` (content is never available).
fn gitlink(fp: &FilePatch) -> Arc<Blob> {
    let id = fp
        .hunks
        .iter()
        .flat_map(|h| &h.lines)
        .filter(|l| l.kind == LineKind::Added)
        .find_map(|l| {
            std::str::from_utf8(&l.text)
                .ok()?
                .strip_prefix("Subproject commit ")
                .map(|s| s.trim().to_string())
        });
    Arc::new(Blob::new(id, Vec::new()))
}

/// Applies the hunks of `fp` to `data`, returning the new content.
fn apply_hunks(
    ctx: &Ctx<'_>,
    fp: &FilePatch,
    file: &str,
    data: &[u8],
) -> Result<Vec<u8>, InputError> {
    let lines: Vec<&[u8]> = data.split_inclusive(|&b| b == b'\n').collect();
    let mut out = Vec::with_capacity(data.len() + 256);
    let mut pos = 0usize;
    let mut offset: isize = 0;
    for (k, hunk) in fp.hunks.iter().enumerate() {
        let old: Vec<&[u8]> = hunk
            .lines
            .iter()
            .filter(|l| l.kind != LineKind::Added)
            .map(|l| &l.text[..])
            .collect();
        // A count of 0 means the hunk goes after line `old_start`.
        let nominal = if hunk.old_count == 0 {
            hunk.old_start
        } else {
            hunk.old_start.saturating_sub(1)
        };
        let expected =
            (nominal as isize + offset).clamp(pos as isize, lines.len() as isize) as usize;
        let Some(at) = locate(&lines, &old, expected, pos) else {
            return Err(InputError::PatchDoesNotApply {
                patch: ctx.patch.into(),
                base: ctx.base.into(),
                file: file.into(),
                hunk: k + 1,
                line: hunk.line,
                detail: format!(
                    "{}: {}",
                    hunk.header,
                    describe_mismatch(&lines, &old, expected)
                ),
            });
        };
        for l in &lines[pos..at] {
            out.extend_from_slice(l);
        }
        let mut idx = at;
        for l in &hunk.lines {
            match l.kind {
                LineKind::Context => {
                    out.extend_from_slice(lines[idx]);
                    idx += 1;
                }
                LineKind::Removed => idx += 1,
                LineKind::Added => out.extend_from_slice(&l.text),
            }
        }
        offset = at as isize - nominal as isize;
        pos = idx;
    }
    for l in &lines[pos..] {
        out.extend_from_slice(l);
    }
    Ok(out)
}

/// Where `old` occurs in `lines` at or after `min`, nearest to `expected` first; exact
/// bytes first, then ignoring a `\r` before the line end (a CRLF file with an LF patch).
fn locate(lines: &[&[u8]], old: &[&[u8]], expected: usize, min: usize) -> Option<usize> {
    if old.is_empty() {
        return Some(expected);
    }
    if lines.len() < old.len() || lines.len() - old.len() < min {
        return None;
    }
    let last = lines.len() - old.len();
    let candidates = || {
        let e = expected.clamp(min, last);
        (0..=last.saturating_sub(min)).flat_map(move |d| {
            let below = e.checked_sub(d).filter(|&p| p >= min && d > 0);
            let above = Some(e + d).filter(|&p| p <= last);
            above.into_iter().chain(below)
        })
    };
    let matches = |at: usize, eq: fn(&[u8], &[u8]) -> bool| {
        old.iter().enumerate().all(|(i, o)| eq(lines[at + i], o))
    };
    candidates()
        .find(|&at| matches(at, |a, b| a == b))
        .or_else(|| candidates().find(|&at| matches(at, same_ignoring_cr)))
}

fn same_ignoring_cr(a: &[u8], b: &[u8]) -> bool {
    fn trim(x: &[u8]) -> &[u8] {
        let x = x.strip_suffix(b"\n").unwrap_or(x);
        x.strip_suffix(b"\r").unwrap_or(x)
    }
    a.ends_with(b"\n") == b.ends_with(b"\n") && trim(a) == trim(b)
}

/// The first line, from where the hunk was expected, that differs from what the hunk says.
fn describe_mismatch(lines: &[&[u8]], old: &[&[u8]], at: usize) -> String {
    for (i, want) in old.iter().enumerate() {
        let n = at + i;
        match lines.get(n) {
            None => {
                return format!(
                    "the file has {} lines, the hunk expects `{}` at line {}",
                    lines.len(),
                    show(want),
                    n + 1
                )
            }
            Some(have) if have != want => {
                return format!(
                    "line {} is `{}`, the patch expects `{}`",
                    n + 1,
                    show(have),
                    show(want)
                );
            }
            _ => {}
        }
    }
    "its lines were not found in the file".into()
}

fn show(line: &[u8]) -> String {
    let text = String::from_utf8_lossy(line);
    let text = text.trim_end_matches(['\n', '\r']);
    if text.chars().count() > 60 {
        format!("{}…", text.chars().take(60).collect::<String>())
    } else {
        text.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::super::parse::parse;
    use super::*;

    fn tree(files: &[(&str, &str)]) -> Tree {
        let mut t = Tree::default();
        for (p, c) in files {
            t.files.insert(
                p.to_string(),
                TreeEntry {
                    kind: EntryKind::File,
                    blob: Arc::new(Blob::new(None, c.as_bytes())),
                },
            );
        }
        t
    }

    fn run(base: &Tree, patch: &str) -> Result<Applied, InputError> {
        let set = parse(patch.as_bytes(), "p")?;
        apply(&set, base, "p", "base")
    }

    #[test]
    fn applies_with_an_offset() {
        let base = tree(&[("x", "0\n1\n2\n3\n4\n5\n")]);
        // Header says line 2, content is at line 4.
        let a = run(&base, "--- a/x\n+++ b/x\n@@ -2,2 +2,2 @@\n 3\n-4\n+four\n").unwrap();
        assert_eq!(a.tree.text("x"), Some("0\n1\n2\n3\nfour\n5\n"));
    }

    #[test]
    fn pure_insertion_after_line() {
        let base = tree(&[("x", "a\nb\n")]);
        let a = run(&base, "--- a/x\n+++ b/x\n@@ -1,0 +2 @@\n+new\n").unwrap();
        assert_eq!(a.tree.text("x"), Some("a\nnew\nb\n"));
    }

    #[test]
    fn mismatch_names_hunk_and_line() {
        let base = tree(&[("x", "a\nb\nc\n")]);
        let err = run(&base, "--- a/x\n+++ b/x\n@@ -1,2 +1,2 @@\n a\n-B\n+b2\n").unwrap_err();
        match err {
            InputError::PatchDoesNotApply {
                file,
                hunk,
                line,
                detail,
                ..
            } => {
                assert_eq!((file.as_str(), hunk, line), ("x", 1, 3));
                assert!(detail.contains("line 2 is `b`"), "{detail}");
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn rejects_escaping_paths() {
        let base = tree(&[]);
        for p in [
            "../etc/passwd",
            "/etc/passwd",
            "a/../../x",
            ".git/hooks/pre-commit",
        ] {
            let patch = format!("diff --git a/{p} b/{p}\nnew file mode 100644\n--- /dev/null\n+++ b/{p}\n@@ -0,0 +1 @@\n+x\n");
            assert!(
                matches!(run(&base, &patch), Err(InputError::PathEscapes { .. })),
                "{p}"
            );
        }
    }

    #[test]
    fn crlf_file_accepts_lf_patch() {
        let base = tree(&[("x", "a\r\nb\r\n")]);
        let a = run(&base, "--- a/x\n+++ b/x\n@@ -1,2 +1,2 @@\n a\n-b\n+c\r\n").unwrap();
        assert_eq!(a.tree.text("x"), Some("a\r\nc\r\n"));
    }

    #[test]
    fn new_file_at_a_path_renamed_away_in_the_same_patch() {
        let base = tree(&[("a.pp", "one\ntwo\n")]);
        let patch = "diff --git a/a.pp b/a.pp\nnew file mode 100644\n--- /dev/null\n+++ b/a.pp\n@@ -0,0 +1 @@\n+fresh\n\
                     diff --git a/a.pp b/z.pp\nsimilarity index 100%\nrename from a.pp\nrename to z.pp\n";
        let a = run(&base, patch).unwrap();
        assert_eq!(a.tree.text("a.pp"), Some("fresh\n"));
        assert_eq!(a.tree.text("z.pp"), Some("one\ntwo\n"));
        // Without the rename, creating an existing file is still an error.
        let only_new = &patch[..patch.find("diff --git a/a.pp b/z.pp").unwrap()];
        assert!(matches!(
            run(&base, only_new),
            Err(InputError::PatchFileMismatch { .. })
        ));
    }

    #[test]
    fn creating_an_existing_file_fails() {
        let base = tree(&[("x", "a\n")]);
        let err = run(&base, "--- /dev/null\n+++ b/x\n@@ -0,0 +1 @@\n+a\n").unwrap_err();
        assert!(
            matches!(err, InputError::PatchFileMismatch { .. }),
            "{err:?}"
        );
    }

    #[test]
    fn partial_deletion_fails() {
        let base = tree(&[("x", "a\nb\n")]);
        let err = run(&base, "--- a/x\n+++ /dev/null\n@@ -1 +0,0 @@\n-a\n").unwrap_err();
        assert!(
            matches!(err, InputError::PatchFileMismatch { .. }),
            "{err:?}"
        );
    }
}
