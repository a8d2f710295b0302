//! A revision of the repository as a map of path -> content, read without checkout.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

/// What kind of entry a path is in git terms.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EntryKind {
    /// Mode 100644.
    File,
    /// Mode 100755.
    Executable,
    /// Mode 120000: the content is the link target.
    Symlink,
    /// Mode 160000: a gitlink; no content is available.
    Submodule,
}

/// Content at most this large is read to tell text from binary, to score renames, or to
/// look into a deployed file for a shell script. Larger objects are judged by their size
/// (from the object header) and never read for those purposes: git, too, skips inexact
/// rename detection for large files, and nothing those checks look for (a script, a
/// renamed manifest) is megabytes long.
pub const SNIFF_LIMIT: u64 = 1 << 20;

/// Why a blob's content could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BlobError {
    /// The object is not in the object database: a partial clone (`--filter`), a mirror
    /// that left out large files, or objects removed by hand.
    Missing,
    /// The object database has it but cannot produce it (a corrupt pack, an unreadable
    /// file, a repository that cannot be opened): the message says what libgit2 said.
    Damaged(String),
}

impl std::fmt::Display for BlobError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BlobError::Missing => f.write_str("missing from the object database"),
            BlobError::Damaged(m) => write!(f, "unreadable in the object database: {m}"),
        }
    }
}

/// One file's content, shared between the two sides when unchanged.
///
/// Content stays in the object database until a stage asks for it: [`Blob::data`] reads
/// it on first use and keeps the outcome, content or failure. A failed read is remembered
/// (never retried, never turned into empty content), so that the files a stage needed
/// and could not read can be listed afterwards ([`Tree::unreadable`]); the size can be
/// asked without reading the content ([`Blob::size`]).
pub struct Blob {
    /// The git object id (hex), or `None` for content read from disk or made by a patch.
    pub id: Option<String>,
    data: OnceLock<Result<Content, BlobError>>,
    /// The size from the object header, when asked before the content was read (`None`
    /// inside: the header could not be read either).
    size: OnceLock<Option<u64>>,
    /// Where to read the content from when it was not read up front.
    lazy: Option<LazySource>,
    /// How many times anything asked about the content (content, size, failure, whether
    /// it is loaded, or a cache key): [`Blob::uses`].
    uses: AtomicU64,
}

struct LazySource {
    gitdir: Arc<PathBuf>,
    oid: git2::Oid,
}

impl std::fmt::Debug for Blob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Blob")
            .field("id", &self.id)
            .field(
                "len",
                &self.data.get().map(|d| {
                    d.as_ref()
                        .map(|d| d.bytes().len())
                        .map_err(ToString::to_string)
                }),
            )
            .finish()
    }
}

impl Blob {
    /// A blob whose content is known.
    pub fn new(id: Option<String>, data: impl Into<Arc<[u8]>>) -> Blob {
        Blob {
            id,
            data: OnceLock::from(Ok(Content::from_shared(data.into()))),
            size: OnceLock::new(),
            lazy: None,
            uses: AtomicU64::new(0),
        }
    }

    /// A blob read from `gitdir`'s object database on first use.
    pub(crate) fn lazy(gitdir: Arc<PathBuf>, oid: git2::Oid) -> Blob {
        Blob {
            id: Some(oid.to_string()),
            data: OnceLock::new(),
            size: OnceLock::new(),
            lazy: Some(LazySource { gitdir, oid }),
            uses: AtomicU64::new(0),
        }
    }

    /// How many times the content was asked about so far, from any thread: the content,
    /// the size, a failure, whether it is loaded, or a cache key made of it
    /// ([`Blob::note_use`]). Two readings that differ tell that something used the blob
    /// in between: the analysis shares one evaluation between the two sides of a change
    /// when the evaluation did not use what the change modifies.
    pub fn uses(&self) -> u64 {
        self.uses.load(Ordering::Relaxed)
    }

    /// Count a use of the content made without asking for it (a cache keyed by the
    /// object id): see [`Blob::uses`].
    pub fn note_use(&self) {
        self.uses.fetch_add(1, Ordering::Relaxed);
    }

    /// A blob whose read already failed (an object read up front that is missing): it is
    /// listed by [`Tree::unreadable`] like a deferred read that failed.
    pub(crate) fn failed(gitdir: Arc<PathBuf>, oid: git2::Oid, error: BlobError) -> Blob {
        Blob {
            id: Some(oid.to_string()),
            data: OnceLock::from(Err(error)),
            size: OnceLock::new(),
            lazy: Some(LazySource { gitdir, oid }),
            uses: AtomicU64::new(0),
        }
    }

    /// The content, or `None` when it cannot be read (see [`Blob::try_data`] for why).
    /// Never empty content in place of unreadable content: a caller that gets `None`
    /// knows nothing about the file and must say nothing about it.
    pub fn data(&self) -> Option<&[u8]> {
        self.try_data().ok()
    }

    /// The content, or why it cannot be read. The first call reads a deferred object;
    /// its outcome, failure included, is kept.
    pub fn try_data(&self) -> Result<&[u8], &BlobError> {
        self.content().map(Content::bytes)
    }

    /// The content as read (the first call reads a deferred object), or why it cannot be.
    fn content(&self) -> Result<&Content, &BlobError> {
        self.note_use();
        self.data
            .get_or_init(|| match &self.lazy {
                Some(src) => read_object(&src.gitdir, src.oid),
                None => Ok(Content::new(&[])),
            })
            .as_ref()
    }

    /// Why an earlier read of the content failed, without reading anything: `None` when
    /// the content was read, or was never asked for.
    pub fn failure(&self) -> Option<&BlobError> {
        self.note_use();
        self.data.get().and_then(|d| d.as_ref().err())
    }

    /// Whether the content is in memory already.
    pub fn is_loaded(&self) -> bool {
        self.note_use();
        matches!(self.data.get(), Some(Ok(_)))
    }

    /// The size in bytes, from the content when it was read, else from the object header
    /// (libgit2 reads it without inflating the content). `None` when neither can be read:
    /// a missing object has no known size. Asking the size never counts as asking for the
    /// content: a missing object is not listed by [`Tree::unreadable`] for it.
    pub fn size(&self) -> Option<u64> {
        self.note_use();
        if let Some(Ok(d)) = self.data.get() {
            return Some(d.bytes().len() as u64);
        }
        let src = self.lazy.as_ref()?;
        *self
            .size
            .get_or_init(|| read_header(&src.gitdir, src.oid).ok())
    }

    /// The content as text, or `None` when it is not UTF-8 or cannot be read
    /// ([`Blob::failure`] tells the two apart).
    pub fn text(&self) -> Option<&str> {
        match self.content().ok()? {
            Content::Text(t) => Some(t),
            Content::Bytes(_) => None,
        }
    }

    /// [`Blob::text`], shared: the parsed manifests keep the text of every manifest of
    /// both sides, and a copy of each was 8 MB on a 20,000-manifest repository.
    pub fn shared_text(&self) -> Option<Arc<str>> {
        match self.content().ok()? {
            Content::Text(t) => Some(t.clone()),
            Content::Bytes(_) => None,
        }
    }

    /// The content as text when the object is at most [`SNIFF_LIMIT`] bytes: for looking
    /// into files that are read only in case they are text of interest (a deployed file
    /// that may be a shell script). A larger object is not read.
    pub fn small_text(&self) -> Option<&str> {
        match self.size() {
            Some(n) if n > SNIFF_LIMIT => None,
            // Unknown size (missing object): asking is what records it as unreadable.
            _ => self.text(),
        }
    }

    /// Heuristic like git's: a NUL byte in the first 8000 bytes means binary. `None` when
    /// the content cannot be read.
    pub fn is_binary(&self) -> Option<bool> {
        Some(self.data()?.iter().take(8000).any(|&b| b == 0))
    }
}

thread_local! {
    /// One read-only repository handle per thread and git directory, for deferred reads
    /// (a `git2::Repository` cannot be shared between threads).
    static REPOSITORIES: RefCell<HashMap<PathBuf, git2::Repository>> = RefCell::new(HashMap::new());
}

/// What a failed libgit2 object read means for the file.
pub(crate) fn blob_error(e: &git2::Error) -> BlobError {
    if e.code() == git2::ErrorCode::NotFound {
        BlobError::Missing
    } else {
        BlobError::Damaged(e.message().to_string())
    }
}

fn with_odb<T>(
    gitdir: &Path,
    f: impl FnOnce(&git2::Odb<'_>) -> Result<T, git2::Error>,
) -> Result<T, BlobError> {
    REPOSITORIES.with(|cell| {
        let mut repos = cell.borrow_mut();
        if !repos.contains_key(gitdir) {
            let repo = git2::Repository::open(gitdir)
                .map_err(|e| BlobError::Damaged(e.message().to_string()))?;
            repos.insert(gitdir.to_path_buf(), repo);
        }
        let repo = &repos[gitdir];
        let odb = repo
            .odb()
            .map_err(|e| BlobError::Damaged(e.message().to_string()))?;
        f(&odb).map_err(|e| blob_error(&e))
    })
}

fn read_object(gitdir: &Path, oid: git2::Oid) -> Result<Content, BlobError> {
    with_odb(gitdir, |odb| odb.read(oid).map(|o| Content::new(o.data())))
}

/// A blob's content, checked once for UTF-8 when read: text is asked for many times (each
/// side's parse, the parsed manifests, the rules), and kept as `str` it is checked once
/// and can be shared.
enum Content {
    Text(Arc<str>),
    Bytes(Arc<[u8]>),
}

impl Content {
    fn new(bytes: &[u8]) -> Content {
        match std::str::from_utf8(bytes) {
            Ok(t) => Content::Text(Arc::from(t)),
            Err(_) => Content::Bytes(Arc::from(bytes)),
        }
    }

    fn from_shared(bytes: Arc<[u8]>) -> Content {
        match std::str::from_utf8(&bytes) {
            Ok(t) => Content::Text(Arc::from(t)),
            Err(_) => Content::Bytes(bytes),
        }
    }

    fn bytes(&self) -> &[u8] {
        match self {
            Content::Text(t) => t.as_bytes(),
            Content::Bytes(b) => b,
        }
    }
}

fn read_header(gitdir: &Path, oid: git2::Oid) -> Result<u64, BlobError> {
    with_odb(gitdir, |odb| {
        odb.read_header(oid).map(|(size, _)| size as u64)
    })
}

#[derive(Clone, Debug)]
pub struct TreeEntry {
    pub kind: EntryKind,
    pub blob: Arc<Blob>,
}

/// Every file of one side of the change. Paths are repository-relative, `/`-separated.
#[derive(Clone, Debug, Default)]
pub struct Tree {
    pub files: BTreeMap<String, TreeEntry>,
    /// Files on disk, in the work tree this tree was read next to, that git does not track
    /// (and does not ignore), under the `files/` and `templates/` directories of the
    /// tree's modules: what a manifest may read that the tree lacks. Filled for the after
    /// side of `check` (default range at HEAD, `--staged`, `--worktree`), else empty.
    pub untracked: BTreeSet<String>,
}

impl Tree {
    pub fn get(&self, path: &str) -> Option<&TreeEntry> {
        self.files.get(path)
    }

    /// The text of `path`: `None` when there is no such file, or it is not UTF-8, or
    /// its content cannot be read.
    pub fn text(&self, path: &str) -> Option<&str> {
        self.files.get(path).and_then(|e| e.blob.text())
    }

    /// [`Blob::small_text`] of `path`.
    pub fn small_text(&self, path: &str) -> Option<&str> {
        self.files.get(path).and_then(|e| e.blob.small_text())
    }

    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.files.keys().map(String::as_str)
    }

    /// Reads, in parallel, the deferred content of every entry `wanted` selects (e.g.
    /// every manifest before parsing them), so that later `data()` calls do not wait.
    /// Failures are kept on the blobs, as any read's are.
    pub fn prefetch<F>(&self, wanted: F)
    where
        F: Fn(&str, &TreeEntry) -> bool + Sync,
    {
        use rayon::prelude::*;
        let blobs: Vec<&Arc<Blob>> = self
            .files
            .iter()
            .filter(|(p, e)| e.blob.data.get().is_none() && wanted(p, e))
            .map(|(_, e)| &e.blob)
            .collect();
        blobs.par_iter().for_each(|b| {
            let _ = b.try_data();
        });
    }

    /// The files whose content some stage asked for and could not read, in path order.
    /// Content nobody asked for is not listed, whether or not it could be read.
    ///
    /// The outcome is kept on the (shared) blob, so with `--each` a file found unreadable
    /// in an earlier commit of the same window is listed again while it is unchanged.
    pub fn unreadable(&self) -> Vec<(&str, &BlobError)> {
        self.files
            .iter()
            .filter_map(|(p, e)| e.blob.failure().map(|why| (p.as_str(), why)))
            .collect()
    }
}

impl EntryKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EntryKind::File => "file",
            EntryKind::Executable => "executable",
            EntryKind::Symlink => "symlink",
            EntryKind::Submodule => "submodule",
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A bare repository holding `contents` as loose objects, those of `missing` deleted
    /// again (what a partial clone or a mirror without large files looks like).
    pub(crate) fn odb_with(
        contents: &[&[u8]],
        missing: &[usize],
    ) -> (tempfile::TempDir, Arc<PathBuf>, Vec<git2::Oid>) {
        let dir = tempfile::tempdir().expect("tempdir");
        let repo = git2::Repository::init_bare(dir.path()).expect("init");
        let ids: Vec<git2::Oid> = contents
            .iter()
            .map(|c| repo.blob(c).expect("blob"))
            .collect();
        for &i in missing {
            let hex = ids[i].to_string();
            let file = dir.path().join("objects").join(&hex[..2]).join(&hex[2..]);
            std::fs::remove_file(file).expect("remove object");
        }
        let gitdir = Arc::new(dir.path().to_path_buf());
        (dir, gitdir, ids)
    }

    #[test]
    fn a_failed_read_is_kept_and_never_empty_content() {
        let (_dir, gitdir, ids) = odb_with(&[b"present\n", b"gone\n"], &[1]);
        let present = Blob::lazy(gitdir.clone(), ids[0]);
        let gone = Blob::lazy(gitdir, ids[1]);
        // The size of a missing object is unknown, and asking it does not count as a read.
        assert_eq!(gone.size(), None);
        assert_eq!(gone.failure(), None);
        assert_eq!(present.size(), Some(8));
        assert!(!present.is_loaded());

        assert_eq!(gone.data(), None);
        assert_eq!(gone.text(), None);
        assert_eq!(gone.is_binary(), None);
        assert_eq!(gone.failure(), Some(&BlobError::Missing));
        assert_eq!(present.text(), Some("present\n"));

        let mut tree = Tree::default();
        for (p, b) in [("a", present), ("b", gone)] {
            let blob = Arc::new(b);
            tree.files.insert(
                p.into(),
                TreeEntry {
                    kind: EntryKind::File,
                    blob,
                },
            );
        }
        assert_eq!(tree.unreadable(), vec![("b", &BlobError::Missing)]);
    }

    #[test]
    fn small_text_does_not_read_large_objects() {
        let big = vec![b'x'; SNIFF_LIMIT as usize + 1];
        let (_dir, gitdir, ids) = odb_with(&[&big], &[]);
        let blob = Blob::lazy(gitdir, ids[0]);
        assert_eq!(blob.small_text(), None);
        assert!(!blob.is_loaded());
        assert_eq!(blob.size(), Some(SNIFF_LIMIT + 1));
    }
}
