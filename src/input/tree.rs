//! A revision of the repository as a map of path -> content, read without checkout.

use std::collections::BTreeMap;
use std::sync::Arc;

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
#[derive(Debug)]
pub struct Blob {
    /// The git object id (hex), or `None` for content read from disk or made by a patch.
    pub id: Option<String>,
    pub data: Arc<[u8]>,
}

impl Blob {
    /// A blob with the given id and content.
    pub fn new(id: Option<String>, data: impl Into<Arc<[u8]>>) -> Blob {
        Blob {
            id,
            data: data.into(),
        }
    }

    /// The content as text, or `None` when it is not UTF-8.
    pub fn text(&self) -> Option<&str> {
        std::str::from_utf8(&self.data).ok()
    }

    /// Heuristic like git's: a NUL byte in the first 8000 bytes means binary.
    pub fn is_binary(&self) -> bool {
        self.data.iter().take(8000).any(|&b| b == 0)
    }
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
