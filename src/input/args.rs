//! The command-line flags that say which change to read, and the mode they select.

use std::path::PathBuf;

/// Where the change comes from. Flattened into `check`'s arguments.
///
/// Conflicting combinations are rejected by clap (usage error, exit status 2).
#[derive(Clone, Debug, Default, clap::Args)]
pub struct InputArgs {
    /// The git repository (default: discovered from the current directory, like git;
    /// honours GIT_DIR).
    #[arg(long, value_name = "DIR", conflicts_with_all = ["before", "after"])]
    pub repo: Option<PathBuf>,

    /// The revision to compare against (default: the first parent of --head, or HEAD for
    /// --staged, --worktree and --patch).
    #[arg(long, value_name = "REV", conflicts_with_all = ["each", "before", "after"])]
    pub base: Option<String>,

    /// The revision to check (default: HEAD).
    #[arg(
        long,
        value_name = "REV",
        conflicts_with_all = ["staged", "worktree", "patch", "each", "before", "after"]
    )]
    pub head: Option<String>,

    /// Check what is staged: HEAD against the index (honours GIT_INDEX_FILE, as set by
    /// `git commit -a` for its hooks).
    #[arg(long, conflicts_with_all = ["worktree", "patch", "each", "before", "after"])]
    pub staged: bool,

    /// Check the files on disk against HEAD (tracked files, plus untracked .pp files).
    #[arg(long, conflicts_with_all = ["patch", "each", "before", "after"])]
    pub worktree: bool,

    /// Apply a patch (git diff, format-patch, an mbox of several patches, or diff -u) in
    /// memory onto --base (default HEAD) and check the result; `-` reads standard input.
    #[arg(long, value_name = "FILE|-", conflicts_with_all = ["each", "before", "after"])]
    pub patch: Option<String>,

    /// Check every commit of the range A..B against its parent, oldest first.
    #[arg(long, value_name = "A..B", conflicts_with_all = ["before", "after"])]
    pub each: Option<String>,

    /// A plain directory holding the before side (no git needed); needs --after.
    #[arg(long, value_name = "DIR", requires = "after")]
    pub before: Option<PathBuf>,

    /// A plain directory holding the after side; needs --before.
    #[arg(long, value_name = "DIR", requires = "before")]
    pub after: Option<PathBuf>,
}

/// The input mode the flags select, after validation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mode {
    /// `--base`/`--head` or the default `HEAD^..HEAD`.
    Revisions {
        base: Option<String>,
        head: Option<String>,
    },
    Staged {
        base: Option<String>,
    },
    Worktree {
        base: Option<String>,
    },
    Patch {
        source: String,
        base: Option<String>,
    },
    Each {
        range: String,
    },
    Directories {
        before: PathBuf,
        after: PathBuf,
    },
}

impl InputArgs {
    /// The mode these flags select. Clap has already rejected conflicting flags; this is
    /// the single place that decides precedence for callers that build `InputArgs` by hand.
    pub fn mode(&self) -> Mode {
        if let (Some(before), Some(after)) = (&self.before, &self.after) {
            return Mode::Directories {
                before: before.clone(),
                after: after.clone(),
            };
        }
        let base = self.base.clone();
        if let Some(range) = &self.each {
            Mode::Each {
                range: range.clone(),
            }
        } else if let Some(source) = &self.patch {
            Mode::Patch {
                source: source.clone(),
                base,
            }
        } else if self.staged {
            Mode::Staged { base }
        } else if self.worktree {
            Mode::Worktree { base }
        } else {
            Mode::Revisions {
                base,
                head: self.head.clone(),
            }
        }
    }
}
