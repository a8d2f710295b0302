//! The configuration file as the work tree has it, next to the copy a check reads from a
//! revision: `check` reads `.puppet-preflight.yaml` from the after side of the change (a
//! commit, the index), and a newcomer editing the file on disk would otherwise never learn
//! that the edit was not read.

use std::path::Path;

use super::git::Repo;
use super::{InputArgs, Mode};

/// The configuration file's name at the root of a repository.
pub const CONFIG_FILE: &str = ".puppet-preflight.yaml";

/// How the work tree's copy differs from the one the check read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WorktreeState {
    /// On disk, not in the index.
    Untracked,
    /// Changed on disk, not staged.
    Unstaged,
    /// Staged (the index has it as on disk) but not committed.
    Uncommitted,
    /// In the revision read, deleted on disk.
    Deleted,
}

impl WorktreeState {
    /// What it is and what to do, in words.
    pub fn advice(self, staged: bool) -> &'static str {
        match (self, staged) {
            (WorktreeState::Untracked, _) => {
                "it is untracked: `git add` it, or check the work tree with --worktree"
            }
            (WorktreeState::Unstaged, _) => {
                "it has changes that are not staged: `git add` it, or check the work tree with --worktree"
            }
            (WorktreeState::Uncommitted, _) => {
                "it is staged but not committed: commit it, or check the index with --staged"
            }
            (WorktreeState::Deleted, true) => {
                "it is deleted on disk but not in the index: `git rm` it, or check with --worktree"
            }
            (WorktreeState::Deleted, false) => {
                "it is deleted on disk: commit the deletion, or check with --worktree"
            }
        }
    }
}

/// When the check reads the configuration from HEAD (the default `HEAD^..HEAD`, or
/// `--head HEAD`) or from the index (`--staged`), whether the work tree's
/// [`CONFIG_FILE`] differs from `used` (the content read; `None`: the revision has none),
/// and how. Other modes read no file a user is editing (`--worktree` reads the disk
/// itself), and a repository without a work tree has nothing to compare: `None`.
pub fn worktree_config_state(args: &InputArgs, used: Option<&[u8]>) -> Option<WorktreeState> {
    let staged = match args.mode() {
        Mode::Revisions { head: None, .. } => false,
        Mode::Revisions { head: Some(h), .. } if h == "HEAD" => false,
        Mode::Staged { .. } => true,
        _ => return None,
    };
    let repo = Repo::open(args.repo.as_deref()).ok()?;
    let workdir = repo.repo.workdir()?;
    let on_disk = std::fs::read(workdir.join(CONFIG_FILE)).ok();
    if on_disk.as_deref() == used {
        return None;
    }
    let Some(disk) = on_disk else {
        return Some(WorktreeState::Deleted);
    };
    let index = repo.repo.index().ok()?;
    let in_index = index
        .get_path(Path::new(CONFIG_FILE), 0)
        .and_then(|e| repo.repo.find_blob(e.id).ok())
        .map(|b| b.content().to_vec());
    Some(match in_index {
        None => WorktreeState::Untracked,
        Some(i) if i == disk && !staged => WorktreeState::Uncommitted,
        Some(_) => WorktreeState::Unstaged,
    })
}
