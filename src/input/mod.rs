//! The input layer: the only code that touches git and the filesystem of the repository.
//!
//! It turns "what the user asked to check" (two revisions, the index, a patch, the work
//! tree, two directories) into a [`Change`]: the whole tree of both sides plus the list of
//! files that differ. It never writes to the repository.
//!
//! - `args`: [`InputArgs`], the `check` flags, and the [`Mode`] they select.
//! - `load`: [`load`], one loader per mode; [`read_revision`], one commit's tree.
//! - `git`: opening the repository (honouring `GIT_DIR`, `GIT_INDEX_FILE`), resolving
//!   revisions (shallow clones said), listing commits and the index, reading blobs.
//! - `disk`: the work tree and plain directories (symlinks not followed); also
//!   [`read_directory`] and [`read_paths`], one tree for `resources`.
//! - `patch`: the unified-diff parser and the in-memory applier for `--patch`.
//! - `changes`: [`diff_trees`], the one file-level diff with rename detection, for every mode.
//! - `category`: which paths Puppet reads ([`categorize`]).
//! - `contents`: [`PackageContents`], what packages ship, from Debian `Contents-<arch>`
//!   indexes or `dpkg -L` lists on this host (not the repository; read only for the
//!   packages a revision declares).
//! - `tree`: [`Tree`] and [`Blob`]; content not needed up front is read on first use, and
//!   a read that fails (an object missing from a partial clone) is kept, not fatal:
//!   [`Change::unreadable`] lists the files a stage asked for and could not read.
//! - `error`: [`InputError`], every way reading a change can fail (exit status 2).

mod args;
pub(crate) mod category;
mod changes;
mod config_file;
pub mod contents;
mod disk;
mod error;
mod git;
mod load;
pub mod patch;
pub mod tree;

pub use args::{InputArgs, Mode};
pub use category::{categorize, is_manifest, Category};
pub use changes::{diff_trees, RENAME_THRESHOLD};
pub use config_file::{worktree_config_state, WorktreeState, CONFIG_FILE};
pub use contents::{PackageContents, Shipped};
pub use disk::{read_directory, read_paths};
pub use error::InputError;
pub use load::{commit_pair, load, load_iter, read_revision, Changes, CommitPair, EachChanges};
pub use tree::{Blob, BlobError, EntryKind, Tree, TreeEntry, SNIFF_LIMIT};

use crate::diagnostic::Side;

/// How a file differs between the two sides.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileStatus {
    Added,
    Deleted,
    Modified,
    Renamed,
    /// Only the mode changed (e.g. file -> executable, file -> symlink).
    ModeChanged,
}

#[derive(Clone, Debug)]
pub struct FileChange {
    pub status: FileStatus,
    /// Path on the before side (`None` when added).
    pub old_path: Option<String>,
    /// Path on the after side (`None` when deleted).
    pub new_path: Option<String>,
    pub old_kind: Option<EntryKind>,
    pub new_kind: Option<EntryKind>,
    /// Binary by git's NUL-byte heuristic; also true for content that was not read to
    /// tell (above [`SNIFF_LIMIT`] bytes) or cannot be read (missing from a partial
    /// clone): "not to be read as text".
    pub binary: bool,
    /// For renames: how similar the two contents are, in percent (100 = identical).
    pub similarity: Option<u8>,
}

impl FileChange {
    /// The path to report the change under: the after side when it exists.
    pub fn path(&self) -> &str {
        self.new_path
            .as_deref()
            .or(self.old_path.as_deref())
            .unwrap_or_default()
    }

    /// The Puppet category of the change: the after path's, else the before path's (a
    /// manifest renamed to `.bak` still matters).
    pub fn category(&self) -> Option<Category> {
        self.new_path
            .as_deref()
            .and_then(categorize)
            .or_else(|| self.old_path.as_deref().and_then(categorize))
    }
}

impl FileStatus {
    /// git's status letter.
    pub fn letter(self) -> char {
        match self {
            FileStatus::Added => 'A',
            FileStatus::Deleted => 'D',
            FileStatus::Modified => 'M',
            FileStatus::Renamed => 'R',
            FileStatus::ModeChanged => 'T',
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            FileStatus::Added => "added",
            FileStatus::Deleted => "deleted",
            FileStatus::Modified => "modified",
            FileStatus::Renamed => "renamed",
            FileStatus::ModeChanged => "mode-changed",
        }
    }
}

/// One side of a change: a label for reports and the whole tree.
#[derive(Clone, Debug)]
pub struct Revision {
    /// A commit id, or `index`, `worktree`, `patch`, `empty`, a directory path.
    pub label: String,
    /// One-line summary (commit subject), when there is one.
    pub summary: Option<String>,
    /// Shared: the reverse change `unsafe-revert` judges holds the same two trees.
    pub tree: std::sync::Arc<Tree>,
}

/// What the tool judges: both sides and the files that differ.
#[derive(Clone, Debug)]
pub struct Change {
    pub before: Revision,
    pub after: Revision,
    pub files: Vec<FileChange>,
    /// Facts worth telling the user about the input (untracked files included, …).
    pub notes: Vec<String>,
}

/// A file whose content a stage of the check asked for and could not read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnreadableFile {
    pub side: Side,
    pub path: String,
    pub reason: BlobError,
}

impl Change {
    /// The revision of one side.
    pub fn side(&self, side: Side) -> &Revision {
        match side {
            Side::Before => &self.before,
            Side::After => &self.after,
        }
    }

    /// The files whose content some stage (model, rules) asked for and could not read so
    /// far, after side first, each in path order. Reads are lazy, so this is complete
    /// only once the stages that read have run: `rules::Analysis::build` reads what
    /// the rules will ask for before any rule runs. A file unchanged between the sides
    /// is one blob: it is listed on both sides.
    pub fn unreadable(&self) -> Vec<UnreadableFile> {
        let mut out = Vec::new();
        for side in [Side::After, Side::Before] {
            for (path, why) in self.side(side).tree.unreadable() {
                out.push(UnreadableFile {
                    side,
                    path: path.to_string(),
                    reason: why.clone(),
                });
            }
        }
        out
    }

    /// The base revision as if everything in it were new: the empty tree against this
    /// change's before side, every file added. Running the rules on it tells which
    /// findings the base revision already had (`lint::preexisting`). No blob is read
    /// here: a file whose content was not read yet counts as binary ("not to be read as
    /// text"), so that nothing reads the whole repository for comments or scripts.
    pub fn base_as_new(&self) -> Change {
        let files = self
            .before
            .tree
            .files
            .iter()
            .map(|(path, e)| FileChange {
                status: FileStatus::Added,
                old_path: None,
                new_path: Some(path.clone()),
                old_kind: None,
                new_kind: Some(e.kind),
                binary: !(e.blob.is_loaded() && e.blob.is_binary() == Some(false)),
                similarity: None,
            })
            .collect();
        Change {
            before: Revision {
                label: "empty".into(),
                summary: None,
                tree: Tree::default().into(),
            },
            after: self.before.clone(),
            files,
            notes: Vec::new(),
        }
    }

    /// Whether some manifest (`*.pp`) of `side` was asked for and could not be read: the
    /// model of that side then lacks whatever it declares, so "declared nowhere" cannot
    /// be judged on that side.
    pub fn manifests_incomplete(&self, side: Side) -> bool {
        self.side(side)
            .tree
            .files
            .iter()
            // The failed read first: it is a flag, and five rules ask on 20,000 files.
            .any(|(p, e)| e.blob.failure().is_some() && categorize(p) == Some(Category::Manifest))
    }
}
