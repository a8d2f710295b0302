//! A revision of the repository as a map of path -> content, read without checkout.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use super::error::InputError;

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

/// One file's content, shared between the two sides when unchanged.
///
/// Content that no Puppet stage reads (Ruby code, specs, docs…) stays in the object
/// database until asked for: [`Blob::data`] reads it on first use and keeps it.
pub struct Blob {
    /// The git object id (hex), or `None` for content read from disk or made by a patch.
    pub id: Option<String>,
    data: OnceLock<Arc<[u8]>>,
    /// Where to read the content from when it was not read up front.
    lazy: Option<LazySource>,
}

struct LazySource {
    gitdir: Arc<PathBuf>,
    oid: git2::Oid,
}

impl std::fmt::Debug for Blob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Blob")
            .field("id", &self.id)
            .field("len", &self.data.get().map(|d| d.len()))
            .finish()
    }
}

impl Blob {
    /// A blob whose content is known.
    pub fn new(id: Option<String>, data: impl Into<Arc<[u8]>>) -> Blob {
        Blob {
            id,
            data: OnceLock::from(data.into()),
            lazy: None,
        }
    }

    /// A blob read from `gitdir`'s object database on first use.
    pub(crate) fn lazy(gitdir: Arc<PathBuf>, oid: git2::Oid) -> Blob {
        Blob {
            id: Some(oid.to_string()),
            data: OnceLock::new(),
            lazy: Some(LazySource { gitdir, oid }),
        }
    }

    /// The content. A deferred read that fails (the object vanished since the tree was
    /// listed) yields empty content; [`Blob::try_data`] reports the error instead.
    pub fn data(&self) -> &[u8] {
        self.try_data().unwrap_or_default()
    }

    /// The content, or why a deferred read failed.
    pub fn try_data(&self) -> Result<&[u8], InputError> {
        if let Some(d) = self.data.get() {
            return Ok(d);
        }
        let Some(src) = &self.lazy else {
            return Ok(&[]);
        };
        let bytes = read_object(&src.gitdir, src.oid)?;
        Ok(self.data.get_or_init(|| bytes))
    }

    /// The content as text, or `None` when it is not UTF-8.
    pub fn text(&self) -> Option<&str> {
        std::str::from_utf8(self.data()).ok()
    }

    /// Heuristic like git's: a NUL byte in the first 8000 bytes means binary.
    pub fn is_binary(&self) -> bool {
        self.data().iter().take(8000).any(|&b| b == 0)
    }
}

thread_local! {
    /// One read-only repository handle per thread and git directory, for deferred reads
    /// (a `git2::Repository` cannot be shared between threads).
    static REPOSITORIES: RefCell<HashMap<PathBuf, git2::Repository>> = RefCell::new(HashMap::new());
}

fn read_object(gitdir: &Path, oid: git2::Oid) -> Result<Arc<[u8]>, InputError> {
    let fail = |e: git2::Error| InputError::Git {
        what: format!("object {oid}"),
        message: e.message().to_string(),
    };
    REPOSITORIES.with(|cell| {
        let mut repos = cell.borrow_mut();
        if !repos.contains_key(gitdir) {
            let repo = git2::Repository::open(gitdir).map_err(fail)?;
            repos.insert(gitdir.to_path_buf(), repo);
        }
        let repo = &repos[gitdir];
        let odb = repo.odb().map_err(fail)?;
        let obj = odb.read(oid).map_err(fail)?;
        Ok(Arc::from(obj.data()))
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
}

impl Tree {
    pub fn get(&self, path: &str) -> Option<&TreeEntry> {
        self.files.get(path)
    }

    pub fn text(&self, path: &str) -> Option<&str> {
        self.files.get(path).and_then(|e| e.blob.text())
    }

    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.files.keys().map(String::as_str)
    }

    /// Reads, in parallel, the deferred content of every entry `wanted` selects (e.g.
    /// every manifest before parsing them), so that later `data()` calls do not wait.
    pub fn prefetch<F>(&self, wanted: F) -> Result<(), InputError>
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
        blobs.par_iter().try_for_each(|b| b.try_data().map(|_| ()))
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
