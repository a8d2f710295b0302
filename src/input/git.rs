//! Reading revisions and the index out of a git repository, read-only.
//!
//! Nothing here writes: the repository is opened for reading, the index is read with
//! `Index::open` on its file (never `Repository::index`, which may refresh and write), and
//! blobs come straight from the object database. Blobs are read once per object id, in
//! parallel, so content that is identical on both sides is one shared `Arc<Blob>`.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use std::os::unix::fs::MetadataExt;

use git2::{ErrorCode, Oid, Repository};
use rayon::prelude::*;

use super::category::{categorize, Category};
use super::error::InputError;
use super::tree::{blob_error, Blob, EntryKind, Tree, TreeEntry};
use super::Revision;

/// One entry of a git tree or index before its content is read.
#[derive(Clone, Debug)]
pub(crate) struct Listed {
    pub path: String,
    pub kind: EntryKind,
    pub id: Oid,
}

/// An opened repository plus what the error messages need to say about it.
pub(crate) struct Repo {
    pub repo: Repository,
    /// The work tree (or the git directory of a bare repository), for messages.
    pub display: String,
    /// Commits whose parents a shallow clone does not have.
    shallow: HashSet<Oid>,
}

/// The kind git's mode number stands for; anything else is treated as a plain file.
pub(crate) fn kind_from_mode(mode: u32) -> EntryKind {
    match mode {
        0o100755 => EntryKind::Executable,
        0o120000 => EntryKind::Symlink,
        0o160000 => EntryKind::Submodule,
        _ => EntryKind::File,
    }
}

/// Turns raw path bytes from git into a UTF-8 path, or says which path is not.
pub(crate) fn utf8_path(bytes: &[u8]) -> Result<String, InputError> {
    String::from_utf8(bytes.to_vec()).map_err(|_| InputError::NonUtf8Path {
        path: String::from_utf8_lossy(bytes).into_owned(),
    })
}

fn git_error(what: impl Into<String>, e: git2::Error) -> InputError {
    InputError::Git {
        what: what.into(),
        message: e.message().to_string(),
    }
}

impl Repo {
    /// Opens the repository containing `dir`, or the one git would use from the current
    /// directory and environment (GIT_DIR, GIT_CEILING_DIRECTORIES…) when `dir` is `None`.
    pub fn open(dir: Option<&Path>) -> Result<Repo, InputError> {
        // Re-hashing every object on read (libgit2's default) is a quarter of the time
        // spent reading a tree; git itself does not do it when reading objects either.
        git2::opts::strict_hash_verification(false);
        let (result, asked) = match dir {
            Some(d) => (
                Repository::open_ext(d, git2::RepositoryOpenFlags::empty(), &[] as &[&str]),
                d.to_path_buf(),
            ),
            None => (
                Repository::open_from_env(),
                std::env::current_dir().unwrap_or_else(|_| PathBuf::from(".")),
            ),
        };
        let repo = result.map_err(|e| {
            if e.code() == ErrorCode::NotFound {
                InputError::NotARepository {
                    path: asked.display().to_string(),
                }
            } else {
                InputError::Repository {
                    path: asked.display().to_string(),
                    message: e.message().to_string(),
                }
            }
        })?;
        let display = repo
            .workdir()
            .unwrap_or_else(|| repo.path())
            .display()
            .to_string();
        let shallow = read_shallow(&common_dir(repo.path()));
        Ok(Repo {
            repo,
            display,
            shallow,
        })
    }

    /// Resolves any revision git understands to a commit, with errors that name it.
    pub fn commit(&self, rev: &str) -> Result<git2::Commit<'_>, InputError> {
        match self
            .repo
            .revparse_single(rev)
            .and_then(|o| o.peel_to_commit())
        {
            Ok(c) => Ok(c),
            Err(_) => {
                if rev == "HEAD"
                    && self.repo.head().err().map(|e| e.code()) == Some(ErrorCode::UnbornBranch)
                {
                    return Err(InputError::UnbornHead { rev: rev.into() });
                }
                let ancestry = rev.contains('^') || rev.contains('~');
                if !self.shallow.is_empty() && ancestry {
                    return Err(self.shallow_error(rev));
                }
                Err(InputError::UnknownRevision {
                    rev: rev.into(),
                    repo: self.display.clone(),
                })
            }
        }
    }

    /// HEAD as a commit, or `None` in a repository with no commit yet.
    pub fn head_commit(&self) -> Result<Option<git2::Commit<'_>>, InputError> {
        match self.repo.head() {
            Err(e) if e.code() == ErrorCode::UnbornBranch || e.code() == ErrorCode::NotFound => {
                Ok(None)
            }
            Err(e) => Err(git_error("HEAD", e)),
            Ok(_) => self.commit("HEAD").map(Some),
        }
    }

    fn shallow_error(&self, rev: &str) -> InputError {
        let mut stops: Vec<String> = self.shallow.iter().map(short).collect();
        stops.sort();
        InputError::ShallowBaseMissing {
            rev: rev.into(),
            stop: stops.join(", "),
        }
    }

    /// The first parent of `commit`: `None` for a root commit; an error when a shallow
    /// clone cut the history there (the commit only looks like a root).
    pub fn first_parent<'r>(
        &'r self,
        commit: &git2::Commit<'r>,
        rev: &str,
    ) -> Result<Option<git2::Commit<'r>>, InputError> {
        if self.shallow.contains(&commit.id()) {
            return Err(InputError::ShallowBaseMissing {
                rev: rev.into(),
                stop: short(&commit.id()),
            });
        }
        if commit.parent_count() == 0 {
            return Ok(None);
        }
        commit
            .parent(0)
            .map(Some)
            .map_err(|e| git_error(format!("the parent of commit {}", commit.id()), e))
    }

    /// Lists every file of a commit's tree (recursively), without reading content.
    pub fn list_commit(&self, commit: &git2::Commit<'_>) -> Result<Vec<Listed>, InputError> {
        let tree = commit
            .tree()
            .map_err(|e| git_error(format!("the tree of commit {}", commit.id()), e))?;
        let mut out = Vec::new();
        self.list_tree(&tree, "", &mut out)?;
        Ok(out)
    }

    fn list_tree(
        &self,
        tree: &git2::Tree<'_>,
        prefix: &str,
        out: &mut Vec<Listed>,
    ) -> Result<(), InputError> {
        for entry in tree.iter() {
            let name =
                std::str::from_utf8(entry.name_bytes()).map_err(|_| InputError::NonUtf8Path {
                    path: format!("{prefix}{}", String::from_utf8_lossy(entry.name_bytes())),
                })?;
            let path = format!("{prefix}{name}");
            let mode = entry.filemode() as u32;
            if mode == 0o040000 {
                let sub = self
                    .repo
                    .find_tree(entry.id())
                    .map_err(|e| git_error(format!("the directory {path}"), e))?;
                self.list_tree(&sub, &format!("{path}/"), out)?;
            } else {
                out.push(Listed {
                    path,
                    kind: kind_from_mode(mode),
                    id: entry.id(),
                });
            }
        }
        Ok(())
    }

    /// Where the index lives: `GIT_INDEX_FILE` (relative to the current directory, as git
    /// does) or `<git dir>/index`. The flag says whether it came from the environment.
    pub fn index_path(&self) -> (PathBuf, bool) {
        match std::env::var_os("GIT_INDEX_FILE").filter(|v| !v.is_empty()) {
            Some(p) => (PathBuf::from(p), true),
            None => (self.repo.path().join("index"), false),
        }
    }

    /// Lists the stage-0 entries of the index, read-only. Intent-to-add entries (`git add
    /// -N`) are left out: a commit does not contain them. Skip-worktree entries are
    /// reported back so that the work-tree mode can take their content from the index.
    /// `with_stats`: also keep what git recorded about each file on disk (only the
    /// work-tree mode compares files with it).
    pub fn list_index(&self, with_stats: bool) -> Result<IndexListing, InputError> {
        let (path, from_env) = self.index_path();
        list_index_file(&path, from_env, with_stats)
    }

    /// Lists several commits: the first fully, each next one as the previous listing
    /// plus git's tree diff between them (identical subtrees are skipped without being
    /// read, so a second revision of a large repository costs almost nothing).
    pub fn list_commits(
        &self,
        commits: &[&git2::Commit<'_>],
    ) -> Result<Vec<Vec<Listed>>, InputError> {
        let mut out: Vec<Vec<Listed>> = Vec::with_capacity(commits.len());
        for (i, c) in commits.iter().enumerate() {
            let listing = match i
                .checked_sub(1)
                .and_then(|p| Some((commits[p], out.get(p)?)))
            {
                Some((prev, prev_list)) => self.list_relative(prev, prev_list, c)?,
                None => self.list_commit(c)?,
            };
            out.push(listing);
        }
        Ok(out)
    }

    fn list_relative(
        &self,
        prev: &git2::Commit<'_>,
        prev_list: &[Listed],
        commit: &git2::Commit<'_>,
    ) -> Result<Vec<Listed>, InputError> {
        let what = || {
            format!(
                "the difference between {} and {}",
                short(&prev.id()),
                short(&commit.id())
            )
        };
        let old = prev.tree().map_err(|e| git_error(what(), e))?;
        let new = commit.tree().map_err(|e| git_error(what(), e))?;
        let diff = self
            .repo
            .diff_tree_to_tree(Some(&old), Some(&new), None)
            .map_err(|e| git_error(what(), e))?;
        let mut map: std::collections::BTreeMap<&str, (EntryKind, Oid)> = prev_list
            .iter()
            .map(|l| (l.path.as_str(), (l.kind, l.id)))
            .collect();
        let mut added: Vec<Listed> = Vec::new();
        for delta in diff.deltas() {
            if let Some(p) = delta.old_file().path_bytes() {
                if delta.old_file().id() != Oid::zero() {
                    map.remove(utf8_path(p)?.as_str());
                }
            }
            let nf = delta.new_file();
            if let (Some(p), false) = (nf.path_bytes(), nf.id().is_zero()) {
                added.push(Listed {
                    path: utf8_path(p)?,
                    kind: kind_from_mode(u32::from(nf.mode())),
                    id: nf.id(),
                });
            }
        }
        let mut listing: Vec<Listed> = map
            .into_iter()
            .map(|(path, (kind, id))| Listed {
                path: path.to_string(),
                kind,
                id,
            })
            .collect();
        listing.extend(added);
        Ok(listing)
    }

    /// Builds one tree per listing. Small content every later stage needs (hiera data,
    /// environment and hiera configuration, Puppetfile, symlink targets) is read now, each
    /// distinct object once, in parallel; everything else, manifests included, is read on
    /// first use (from any thread) or by [`Tree::prefetch`]. Identical content is one
    /// shared blob.
    ///
    /// Nothing is checked to exist here: a partial clone or a mirror without large files
    /// lacks objects that no stage may ever read (a tarball under `files/`). A read that
    /// fails, now or later, is kept on the blob and listed by [`Tree::unreadable`]; only
    /// the stages that need the file decide what its absence means.
    pub fn read_trees(&self, listings: &[&[Listed]]) -> Result<Vec<Tree>, InputError> {
        let eager = |e: &Listed| {
            e.kind == EntryKind::Symlink
                || matches!(
                    categorize(&e.path),
                    Some(
                        Category::HieraData
                            | Category::HieraConfig
                            | Category::EnvironmentConf
                            | Category::Puppetfile
                    )
                )
        };
        use rayon::prelude::*;
        // Both sides' listings are mostly the same files: each is looked at on its own
        // thread (on a 20,000-manifest repository, half the time of reading the trees).
        let mut wanted: Vec<Oid> = listings
            .par_iter()
            .flat_map_iter(|l| l.iter())
            .filter(|e| e.kind != EntryKind::Submodule && eager(e))
            .map(|e| e.id)
            .collect();
        wanted.sort_unstable();
        wanted.dedup();
        let gitdir = Arc::new(self.repo.path().to_path_buf());
        let mut blobs = self.read_blobs(&wanted, &gitdir)?;
        // One blob per distinct object, then every tree from them.
        for e in listings.iter().flat_map(|l| l.iter()) {
            blobs.entry(e.id).or_insert_with(|| {
                if e.kind == EntryKind::Submodule {
                    Arc::new(Blob::new(Some(e.id.to_string()), Vec::new()))
                } else {
                    Arc::new(Blob::lazy(gitdir.clone(), e.id))
                }
            });
        }
        let trees = listings
            .par_iter()
            .map(|listing| {
                let mut tree = Tree::default();
                for e in listing.iter() {
                    let blob = blobs[&e.id].clone();
                    tree.files
                        .insert(e.path.clone(), TreeEntry { kind: e.kind, blob });
                }
                tree
            })
            .collect();
        Ok(trees)
    }

    fn read_blobs(
        &self,
        ids: &[Oid],
        gitdir: &Arc<PathBuf>,
    ) -> Result<HashMap<Oid, Arc<Blob>>, InputError> {
        // A git2 Repository is not Sync: each worker opens its own read-only handle on
        // the same git directory. Small sets are read on this thread.
        let threads = rayon::current_num_threads().max(1);
        if ids.len() < 256 || threads == 1 {
            return read_blob_chunk(&self.repo, ids, gitdir);
        }
        let chunk = ids.len().div_ceil(threads * 4);
        let parts: Result<Vec<_>, InputError> = ids
            .par_chunks(chunk)
            .map(|part| {
                let repo =
                    Repository::open(gitdir.as_path()).map_err(|e| InputError::Repository {
                        path: gitdir.display().to_string(),
                        message: e.message().to_string(),
                    })?;
                read_blob_chunk(&repo, part, gitdir)
            })
            .collect();
        let mut all = HashMap::with_capacity(ids.len());
        for p in parts? {
            all.extend(p);
        }
        Ok(all)
    }

    /// A revision for a commit: whole tree, id as label, subject as summary.
    pub fn revision(commit: &git2::Commit<'_>, tree: Tree) -> Revision {
        Revision {
            label: commit.id().to_string(),
            summary: commit
                .summary_bytes()
                .map(|s| String::from_utf8_lossy(s).into_owned()),
            tree: tree.into(),
        }
    }
}

/// [`Repo::list_index`] of the index file at `path` (`from_env`: named by
/// `GIT_INDEX_FILE`). Needs no repository handle, so it can run beside a tree listing.
pub(crate) fn list_index_file(
    path: &Path,
    from_env: bool,
    with_stats: bool,
) -> Result<IndexListing, InputError> {
    let shown = path.display().to_string();
    if !path.exists() {
        if from_env {
            return Err(InputError::Index {
                path: shown,
                message: "GIT_INDEX_FILE names a file that does not exist".into(),
            });
        }
        // A repository where nothing was ever staged has no index file yet.
        return Ok(IndexListing::default());
    }
    let index = git2::Index::open(path).map_err(|e| InputError::Index {
        path: shown.clone(),
        message: e.message().to_string(),
    })?;
    let mut listing = IndexListing {
        written: std::fs::metadata(path)
            .ok()
            .map(|m| (m.mtime(), m.mtime_nsec())),
        ..IndexListing::default()
    };
    for entry in index.iter() {
        let p = utf8_path(&entry.path)?;
        let stage = (entry.flags >> 12) & 0x3;
        if stage != 0 {
            return Err(InputError::UnmergedIndex {
                path: shown,
                first: p,
            });
        }
        let ext = git2::IndexEntryExtendedFlag::from_bits_truncate(entry.flags_extended);
        if ext.contains(git2::IndexEntryExtendedFlag::INTENT_TO_ADD) {
            listing.intent_to_add.push(p);
            continue;
        }
        if ext.contains(git2::IndexEntryExtendedFlag::SKIP_WORKTREE) {
            listing.skip_worktree.insert(p.clone());
        }
        if with_stats {
            listing.stats.insert(
                p.clone(),
                IndexStat {
                    mtime: (i64::from(entry.mtime.seconds()), entry.mtime.nanoseconds()),
                    size: entry.file_size,
                    ino: entry.ino,
                },
            );
        }
        listing.entries.push(Listed {
            path: p,
            kind: kind_from_mode(entry.mode),
            id: entry.id,
        });
    }
    Ok(listing)
}

/// What `list_index` found.
#[derive(Default)]
pub(crate) struct IndexListing {
    pub entries: Vec<Listed>,
    pub intent_to_add: Vec<String>,
    pub skip_worktree: HashSet<String>,
    /// What git recorded about each file on disk when it was last staged.
    pub stats: HashMap<String, IndexStat>,
    /// When the index file was written (seconds, nanoseconds).
    pub written: Option<(i64, i64)>,
}

/// The stat data git keeps per index entry (truncated to 32 bits, as git stores it).
pub(crate) struct IndexStat {
    pub mtime: (i64, u32),
    pub size: u32,
    pub ino: u32,
}

impl IndexListing {
    /// Whether `meta` shows the file unchanged since it was staged, judged like git:
    /// same mtime, size and inode, and modified before the index was written (a file
    /// changed in the same instant as the index is "racily clean" and must be read).
    pub fn unchanged_on_disk(&self, path: &str, meta: &std::fs::Metadata) -> bool {
        let (Some(st), Some(written)) = (self.stats.get(path), self.written) else {
            return false;
        };
        let mtime = (meta.mtime(), meta.mtime_nsec());
        st.mtime == (mtime.0, mtime.1 as u32)
            && st.size == meta.len() as u32
            && st.ino == meta.ino() as u32
            && mtime < written
    }
}

/// Reads `ids` now. An object that cannot be read becomes a blob that says so (listed by
/// [`Tree::unreadable`]): these are the files every stage reads, so their absence is
/// reported, not fatal.
fn read_blob_chunk(
    repo: &Repository,
    ids: &[Oid],
    gitdir: &Arc<PathBuf>,
) -> Result<HashMap<Oid, Arc<Blob>>, InputError> {
    let odb = repo
        .odb()
        .map_err(|e| git_error("the object database", e))?;
    let mut out = HashMap::with_capacity(ids.len());
    for &id in ids {
        let blob = match odb.read(id) {
            Ok(obj) => Blob::new(Some(id.to_string()), obj.data()),
            Err(e) => Blob::failed(gitdir.clone(), id, blob_error(&e)),
        };
        out.insert(id, Arc::new(blob));
    }
    Ok(out)
}

/// The git directory shared by all work trees: a linked work tree's git directory names
/// it in its `commondir` file.
fn common_dir(gitdir: &Path) -> PathBuf {
    match std::fs::read_to_string(gitdir.join("commondir")) {
        Ok(rel) => gitdir.join(rel.trim()),
        Err(_) => gitdir.to_path_buf(),
    }
}

/// The commits a shallow clone has without their parents (`.git/shallow`).
fn read_shallow(gitdir: &Path) -> HashSet<Oid> {
    std::fs::read_to_string(gitdir.join("shallow"))
        .map(|s| {
            s.lines()
                .filter_map(|l| Oid::from_str(l.trim()).ok())
                .collect()
        })
        .unwrap_or_default()
}

pub(crate) fn short(id: &Oid) -> String {
    id.to_string().chars().take(12).collect()
}
