//! Which files differ between two trees, with rename detection.
//!
//! One algorithm for every input mode (two commits, the index, the work tree, a patch, two
//! directories), so that a change is described the same way whatever it was read from.
//! Renames follow git's defaults: an exact content match first, then pairs of a deleted
//! and an added file that are at least 50% similar (git's `-M50%`).

use std::collections::HashMap;
use std::sync::Arc;

use super::tree::{EntryKind, Tree, TreeEntry};
use super::{FileChange, FileStatus};

/// Minimum similarity (percent) for a deleted and an added file to be a rename.
pub const RENAME_THRESHOLD: u8 = 50;

/// Above this many deleted x added candidates, only exact renames are looked for (git
/// has the same kind of limit, `diff.renameLimit`).
const INEXACT_RENAME_LIMIT: usize = 500 * 500;

/// The files that differ between `before` and `after`, sorted by the reported path.
pub fn diff_trees(before: &Tree, after: &Tree) -> Vec<FileChange> {
    let mut out = Vec::new();
    let mut deleted: Vec<(&str, &TreeEntry)> = Vec::new();
    let mut added: Vec<(&str, &TreeEntry)> = Vec::new();
    for (path, old) in &before.files {
        match after.files.get(path) {
            None => deleted.push((path, old)),
            Some(new) => {
                if let Some(status) = compare(old, new) {
                    out.push(FileChange {
                        status,
                        old_path: Some(path.clone()),
                        new_path: Some(path.clone()),
                        old_kind: Some(old.kind),
                        new_kind: Some(new.kind),
                        binary: is_binary(old) || is_binary(new),
                        similarity: None,
                    });
                }
            }
        }
    }
    for (path, new) in &after.files {
        if !before.files.contains_key(path) {
            added.push((path, new));
        }
    }

    let pairs = find_renames(&deleted, &added);
    let mut paired_old = vec![false; deleted.len()];
    let mut paired_new = vec![false; added.len()];
    for (d, a, similarity) in pairs {
        paired_old[d] = true;
        paired_new[a] = true;
        let (old_path, old) = deleted[d];
        let (new_path, new) = added[a];
        out.push(FileChange {
            status: FileStatus::Renamed,
            old_path: Some(old_path.to_string()),
            new_path: Some(new_path.to_string()),
            old_kind: Some(old.kind),
            new_kind: Some(new.kind),
            binary: is_binary(old) || is_binary(new),
            similarity: Some(similarity),
        });
    }
    for (i, (path, old)) in deleted.iter().enumerate() {
        if !paired_old[i] {
            out.push(FileChange {
                status: FileStatus::Deleted,
                old_path: Some(path.to_string()),
                new_path: None,
                old_kind: Some(old.kind),
                new_kind: None,
                binary: is_binary(old),
                similarity: None,
            });
        }
    }
    for (i, (path, new)) in added.iter().enumerate() {
        if !paired_new[i] {
            out.push(FileChange {
                status: FileStatus::Added,
                old_path: None,
                new_path: Some(path.to_string()),
                old_kind: None,
                new_kind: Some(new.kind),
                binary: is_binary(new),
                similarity: None,
            });
        }
    }
    out.sort_by(|a, b| a.path().cmp(b.path()).then(a.old_path.cmp(&b.old_path)));
    out
}

/// How one path differs, or `None` when it does not. A change of kind (file -> symlink,
/// file -> executable) is a mode change, like git's type-change `T`.
fn compare(old: &TreeEntry, new: &TreeEntry) -> Option<FileStatus> {
    if old.kind != new.kind {
        return Some(FileStatus::ModeChanged);
    }
    if same_content(old, new) {
        None
    } else {
        Some(FileStatus::Modified)
    }
}

fn same_content(old: &TreeEntry, new: &TreeEntry) -> bool {
    if Arc::ptr_eq(&old.blob, &new.blob) {
        return true;
    }
    match (&old.blob.id, &new.blob.id) {
        (Some(a), Some(b)) => a == b,
        _ => old.kind != EntryKind::Submodule && old.blob.data() == new.blob.data(),
    }
}

fn is_binary(e: &TreeEntry) -> bool {
    matches!(e.kind, EntryKind::File | EntryKind::Executable) && e.blob.is_binary()
}

/// Rename pairs as (index in `deleted`, index in `added`, similarity percent).
fn find_renames(
    deleted: &[(&str, &TreeEntry)],
    added: &[(&str, &TreeEntry)],
) -> Vec<(usize, usize, u8)> {
    let mut pairs = Vec::new();
    if deleted.is_empty() || added.is_empty() {
        return pairs;
    }
    let renamable = |e: &TreeEntry| e.kind != EntryKind::Submodule;
    let mut used_old = vec![false; deleted.len()];
    let mut used_new = vec![false; added.len()];

    // Exact renames: identical content and kind class (a link only pairs with a link).
    let mut by_content: HashMap<(&[u8], bool), Vec<usize>> = HashMap::new();
    for (i, (_, e)) in deleted.iter().enumerate() {
        if renamable(e) && !e.blob.data().is_empty() {
            by_content
                .entry((e.blob.data(), e.kind == EntryKind::Symlink))
                .or_default()
                .push(i);
        }
    }
    for (j, (_, e)) in added.iter().enumerate() {
        if !renamable(e) || e.blob.data().is_empty() {
            continue;
        }
        let key = (e.blob.data(), e.kind == EntryKind::Symlink);
        if let Some(cands) = by_content.get_mut(&key) {
            // Prefer the candidate with the same file name, like git.
            let pick = cands
                .iter()
                .position(|&i| basename(deleted[i].0) == basename(added[j].0))
                .unwrap_or(0);
            let i = cands.remove(pick);
            if cands.is_empty() {
                by_content.remove(&key);
            }
            used_old[i] = true;
            used_new[j] = true;
            pairs.push((i, j, 100));
        }
    }

    // Inexact renames between regular files, by shared lines.
    let olds: Vec<usize> = (0..deleted.len())
        .filter(|&i| !used_old[i] && is_text_file(deleted[i].1))
        .collect();
    let news: Vec<usize> = (0..added.len())
        .filter(|&j| !used_new[j] && is_text_file(added[j].1))
        .collect();
    if olds.is_empty() || news.is_empty() || olds.len() * news.len() > INEXACT_RENAME_LIMIT {
        return pairs;
    }
    let old_sigs: Vec<Signature> = olds
        .iter()
        .map(|&i| Signature::of(deleted[i].1.blob.data()))
        .collect();
    let new_sigs: Vec<Signature> = news
        .iter()
        .map(|&j| Signature::of(added[j].1.blob.data()))
        .collect();
    let mut scored = Vec::new();
    for (a, os) in old_sigs.iter().enumerate() {
        for (b, ns) in new_sigs.iter().enumerate() {
            let s = os.similarity(ns);
            if s >= RENAME_THRESHOLD {
                // 100 is kept for identical content (same lines in another order is not).
                scored.push((s.min(99), olds[a], news[b]));
            }
        }
    }
    // Best scores first; ties broken by path order for a stable answer.
    scored.sort_by(|x, y| y.0.cmp(&x.0).then(x.1.cmp(&y.1)).then(x.2.cmp(&y.2)));
    for (s, i, j) in scored {
        if !used_old[i] && !used_new[j] {
            used_old[i] = true;
            used_new[j] = true;
            pairs.push((i, j, s));
        }
    }
    pairs
}

fn is_text_file(e: &TreeEntry) -> bool {
    matches!(e.kind, EntryKind::File | EntryKind::Executable)
        && !e.blob.data().is_empty()
        && !e.blob.is_binary()
}

fn basename(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// A file's lines as sorted (hash, length) pairs, for a multiset intersection.
struct Signature {
    lines: Vec<(u64, usize)>,
    size: usize,
}

impl Signature {
    fn of(data: &[u8]) -> Signature {
        let mut lines: Vec<(u64, usize)> = data
            .split_inclusive(|&b| b == b'\n')
            .map(|l| (fnv1a(l), l.len()))
            .collect();
        lines.sort_unstable();
        Signature {
            lines,
            size: data.len(),
        }
    }

    /// Bytes of shared lines over the larger size, in percent (git scores a rename by the
    /// share of content that was copied).
    fn similarity(&self, other: &Signature) -> u8 {
        let max = self.size.max(other.size);
        if max == 0 {
            return 0;
        }
        let (mut i, mut j, mut common) = (0, 0, 0usize);
        while i < self.lines.len() && j < other.lines.len() {
            match self.lines[i].cmp(&other.lines[j]) {
                std::cmp::Ordering::Less => i += 1,
                std::cmp::Ordering::Greater => j += 1,
                std::cmp::Ordering::Equal => {
                    common += self.lines[i].1;
                    i += 1;
                    j += 1;
                }
            }
        }
        (common * 100 / max).min(100) as u8
    }
}

fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}
