//! Which files differ between two trees, with rename detection.
//!
//! One algorithm for every input mode (two commits, the index, the work tree, a patch, two
//! directories), so that a change is described the same way whatever it was read from.
//! Renames follow git's defaults: an exact content match first, then pairs of a deleted
//! and an added file that are at least 50% similar (git's `-M50%`).
//!
//! Content is read only where it must be: equality and exact renames compare object ids
//! (content in memory, from disk or a patch, is hashed to its git id), sizes come from the
//! object headers, and only text files of at most [`SNIFF_LIMIT`] bytes whose sizes allow
//! a 50% match are read to score inexact renames. Large binaries and objects missing from
//! a partial clone are never read here.

use std::collections::HashMap;
use std::sync::Arc;

use git2::{ObjectType, Oid};

use super::tree::{Blob, EntryKind, Tree, TreeEntry, SNIFF_LIMIT};
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

/// Whether two entries hold the same content, decided by object id: no git object is
/// read, so a large or missing object costs nothing. Content in memory on both sides is
/// compared directly.
fn same_content(old: &TreeEntry, new: &TreeEntry) -> bool {
    if Arc::ptr_eq(&old.blob, &new.blob) {
        return true;
    }
    if old.kind == EntryKind::Submodule && (old.blob.id.is_none() || new.blob.id.is_none()) {
        return false;
    }
    match (&old.blob.id, &new.blob.id) {
        (None, None) => old.blob.data().is_some() && old.blob.data() == new.blob.data(),
        _ => content_id(&old.blob).is_some_and(|a| Some(a) == content_id(&new.blob)),
    }
}

/// The git object id of a blob's content: its own id, or the hash of content held in
/// memory (from disk or a patch), which is always readable.
fn content_id(b: &Blob) -> Option<Oid> {
    match &b.id {
        Some(id) => Oid::from_str(id).ok(),
        None => Oid::hash_object(ObjectType::Blob, b.data()?).ok(),
    }
}

/// Whether a changed file counts as binary, judged without reading what should not be
/// read: content at most [`SNIFF_LIMIT`] bytes (or already in memory) by git's NUL-byte
/// heuristic; a larger object, and one that cannot be read (missing from a partial
/// clone), counts as binary. "Binary" here means "not to be read as text": later stages
/// (suppression comments) then leave the file alone instead of asking for content that is
/// huge or absent.
fn is_binary(e: &TreeEntry) -> bool {
    if !matches!(e.kind, EntryKind::File | EntryKind::Executable) {
        return false;
    }
    match e.blob.size() {
        Some(n) if n <= SNIFF_LIMIT || e.blob.is_loaded() => e.blob.is_binary().unwrap_or(true),
        _ => true,
    }
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

    // Exact renames: identical content and kind class (a link only pairs with a link),
    // by object id. Empty files are not renames of each other (git agrees).
    let empty = Oid::hash_object(ObjectType::Blob, b"").ok();
    let key_of = |e: &TreeEntry| {
        content_id(&e.blob)
            .filter(|id| Some(*id) != empty)
            .map(|id| (id, e.kind == EntryKind::Symlink))
    };
    let mut by_content: HashMap<(Oid, bool), Vec<usize>> = HashMap::new();
    for (i, (_, e)) in deleted.iter().enumerate() {
        if let Some(key) = key_of(e).filter(|_| renamable(e)) {
            by_content.entry(key).or_default().push(i);
        }
    }
    for (j, (_, e)) in added.iter().enumerate() {
        let Some(key) = key_of(e).filter(|_| renamable(e)) else {
            continue;
        };
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

    // Inexact renames between regular text files, by shared lines. Sizes first (object
    // headers): a pair whose smaller file is under half the larger cannot share 50% of
    // it, so only files with a partner of compatible size are read.
    let sized = |e: &TreeEntry| {
        matches!(e.kind, EntryKind::File | EntryKind::Executable)
            .then(|| e.blob.size())
            .flatten()
            .filter(|&n| n > 0 && n <= SNIFF_LIMIT)
    };
    let olds: Vec<(usize, u64)> = (0..deleted.len())
        .filter(|&i| !used_old[i])
        .filter_map(|i| sized(deleted[i].1).map(|n| (i, n)))
        .collect();
    let news: Vec<(usize, u64)> = (0..added.len())
        .filter(|&j| !used_new[j])
        .filter_map(|j| sized(added[j].1).map(|n| (j, n)))
        .collect();
    if olds.is_empty() || news.is_empty() || olds.len() * news.len() > INEXACT_RENAME_LIMIT {
        return pairs;
    }
    let olds = with_partner(&olds, &news);
    let news = with_partner(&news, &olds);
    let old_sigs: Vec<(usize, Signature)> = olds
        .iter()
        .filter_map(|&(i, _)| text_signature(deleted[i].1).map(|s| (i, s)))
        .collect();
    let new_sigs: Vec<(usize, Signature)> = news
        .iter()
        .filter_map(|&(j, _)| text_signature(added[j].1).map(|s| (j, s)))
        .collect();
    let mut scored = Vec::new();
    for (i, os) in &old_sigs {
        for (j, ns) in &new_sigs {
            let s = os.similarity(ns);
            if s >= RENAME_THRESHOLD {
                // 100 is kept for identical content (same lines in another order is not).
                scored.push((s.min(99), *i, *j));
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

// `with_partner`'s factor of two is the 50% threshold.
const _: () = assert!(RENAME_THRESHOLD == 50);

/// The entries of `these` (index, size) with a partner in `others` whose size is within
/// a factor of two: the others can reach the 50% threshold with nothing else.
fn with_partner(these: &[(usize, u64)], others: &[(usize, u64)]) -> Vec<(usize, u64)> {
    let mut sizes: Vec<u64> = others.iter().map(|&(_, n)| n).collect();
    sizes.sort_unstable();
    these
        .iter()
        .copied()
        .filter(|&(_, n)| {
            let lo = n.div_ceil(2);
            let at = sizes.partition_point(|&m| m < lo);
            sizes.get(at).is_some_and(|&m| m <= n.saturating_mul(2))
        })
        .collect()
}

/// The line signature of a text file's content, or `None` when it is binary or cannot be
/// read.
fn text_signature(e: &TreeEntry) -> Option<Signature> {
    if e.blob.is_binary()? {
        return None;
    }
    Some(Signature::of(e.blob.data()?))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::tree::tests::odb_with;
    use std::path::PathBuf;

    fn lazy(gitdir: &Arc<PathBuf>, id: Oid) -> TreeEntry {
        TreeEntry {
            kind: EntryKind::File,
            blob: Arc::new(Blob::lazy(gitdir.clone(), id)),
        }
    }

    fn tree(entries: Vec<(&str, TreeEntry)>) -> Tree {
        let mut t = Tree::default();
        for (p, e) in entries {
            t.files.insert(p.into(), e);
        }
        t
    }

    fn untouched(t: &Tree) -> bool {
        t.files
            .values()
            .all(|e| !e.blob.is_loaded() && e.blob.failure().is_none())
    }

    /// Equality and exact renames by object id: a missing object and a large one are
    /// neither read nor asked for, yet paired and compared.
    #[test]
    fn equality_and_exact_renames_read_no_content() {
        let big = vec![0u8; SNIFF_LIMIT as usize + 10];
        let (_dir, gitdir, ids) = odb_with(&[b"missing tarball".as_slice(), &big], &[0]);
        // Distinct blob objects with the same ids, as two separately read trees have.
        let before = tree(vec![
            ("files/a.tar.gz", lazy(&gitdir, ids[0])),
            ("files/big.bin", lazy(&gitdir, ids[1])),
        ]);
        let after = tree(vec![
            ("files/b.tar.gz", lazy(&gitdir, ids[0])),
            ("files/big.bin", lazy(&gitdir, ids[1])),
        ]);
        let files = diff_trees(&before, &after);
        assert_eq!(files.len(), 1, "{files:?}");
        assert_eq!(files[0].status, FileStatus::Renamed);
        assert_eq!(files[0].similarity, Some(100));
        assert_eq!(files[0].old_path.as_deref(), Some("files/a.tar.gz"));
        assert!(untouched(&before) && untouched(&after));
    }

    /// A changed file that is missing or above SNIFF_LIMIT counts as binary, unread.
    #[test]
    fn missing_and_large_changes_are_binary_and_unread() {
        let big1 = vec![b'a'; SNIFF_LIMIT as usize + 10];
        let big2 = vec![b'b'; SNIFF_LIMIT as usize + 10];
        let (_dir, gitdir, ids) = odb_with(&[b"old\n".as_slice(), b"new\n", &big1, &big2], &[0, 1]);
        let before = tree(vec![
            ("gone.bin", lazy(&gitdir, ids[0])),
            ("huge.txt", lazy(&gitdir, ids[2])),
        ]);
        let after = tree(vec![
            ("gone.bin", lazy(&gitdir, ids[1])),
            ("huge.txt", lazy(&gitdir, ids[3])),
        ]);
        let files = diff_trees(&before, &after);
        let got: Vec<(&str, FileStatus, bool)> = files
            .iter()
            .map(|f| (f.path(), f.status, f.binary))
            .collect();
        assert_eq!(
            got,
            vec![
                ("gone.bin", FileStatus::Modified, true),
                ("huge.txt", FileStatus::Modified, true)
            ]
        );
        assert!(untouched(&before) && untouched(&after));
    }

    /// Inexact rename candidates whose sizes cannot reach 50% are not paired; large and
    /// missing ones are never read.
    #[test]
    fn inexact_renames_read_only_size_compatible_text() {
        let small = b"one line\n".repeat(10);
        let other = b"another line\n".repeat(100);
        let big = b"same line\n".repeat(SNIFF_LIMIT as usize / 10 + 10);
        let (_dir, gitdir, ids) =
            odb_with(&[&small, &other, &big, &big[1..], b"x".as_slice()], &[4]);
        let before = tree(vec![
            ("a.txt", lazy(&gitdir, ids[0])),
            ("big.txt", lazy(&gitdir, ids[2])),
            ("m.txt", lazy(&gitdir, ids[4])),
        ]);
        let after = tree(vec![
            ("b.txt", lazy(&gitdir, ids[1])),
            ("big2.txt", lazy(&gitdir, ids[3])),
        ]);
        let files = diff_trees(&before, &after);
        assert!(files.iter().all(|f| f.status != FileStatus::Renamed));
        // Small files are read to tell binary from text (FileChange::binary); the large
        // and the missing ones are not read, nor asked for.
        for (t, p) in [
            (&before, "big.txt"),
            (&before, "m.txt"),
            (&after, "big2.txt"),
        ] {
            let b = &t.files[p].blob;
            assert!(!b.is_loaded() && b.failure().is_none(), "{p} was read");
        }

        // Sizes within a factor of two are read and scored as git would.
        let (_dir, gitdir, ids) = odb_with(&[b"a\nb\nc\nd\n".as_slice(), b"a\nb\nc\nX\n"], &[]);
        let before = tree(vec![("old.txt", lazy(&gitdir, ids[0]))]);
        let after = tree(vec![("new.txt", lazy(&gitdir, ids[1]))]);
        let files = diff_trees(&before, &after);
        assert_eq!(files.len(), 1);
        assert_eq!(
            (files[0].status, files[0].similarity),
            (FileStatus::Renamed, Some(75))
        );
    }

    /// Content in memory (the work tree) equals the git object of the same bytes without
    /// reading that object: it is hashed to its id.
    #[test]
    fn in_memory_content_is_compared_by_its_object_id() {
        let (_dir, gitdir, ids) = odb_with(&[b"same\n".as_slice()], &[0]);
        let before = tree(vec![("f", lazy(&gitdir, ids[0]))]);
        let after = tree(vec![(
            "f",
            TreeEntry {
                kind: EntryKind::File,
                blob: Arc::new(Blob::new(None, b"same\n".to_vec())),
            },
        )]);
        assert!(diff_trees(&before, &after).is_empty());
        assert!(untouched(&before));
    }
}
