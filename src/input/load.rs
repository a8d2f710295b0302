//! One loader per input mode, each producing whole trees for both sides and the files that
//! differ. The repository is only ever read.

use std::collections::{BTreeSet, HashMap};
use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use git2::Oid;

use super::args::{InputArgs, Mode};
use super::changes::diff_trees;
use super::config_file::CONFIG_FILE;
use super::disk::{read_dir_tree, read_entry, relative_utf8, share};
use super::error::InputError;
use super::git::{short, Listed, Repo};
use super::patch;
use super::tree::{Blob, EntryKind, Tree, TreeEntry};
use super::{categorize, Category, Change, FileChange, FileStatus, Revision};

/// Reads the change(s) the flags describe: one [`Change`], or one per commit for `--each`
/// (empty when the range has no commit).
pub fn load(args: &InputArgs) -> Result<Vec<Change>, InputError> {
    load_iter(args)?.collect()
}

/// The same changes as [`load`], produced one at a time. `--each` reads its series window
/// by window as the changes are consumed, so a consumer that drops each change after use
/// holds a bounded number of trees however long the series is. Errors about the range,
/// the revisions and the parents (a shallow clone) come before the first change.
pub fn load_iter(args: &InputArgs) -> Result<Changes, InputError> {
    let repo = || Repo::open(args.repo.as_deref());
    let one = |c: Change| Ok(Changes::One(Some(c)));
    match args.mode() {
        Mode::Directories { before, after } => one(load_directories(&before, &after)?),
        Mode::Revisions { base, head } => {
            one(load_revisions(&repo()?, base.as_deref(), head.as_deref())?)
        }
        Mode::Staged { base } => one(load_staged(&repo()?, base.as_deref())?),
        Mode::Worktree { base } => one(load_worktree(&repo()?, base.as_deref())?),
        Mode::Patch { source, base } => one(load_patch(&repo()?, &source, base.as_deref())?),
        Mode::Each { range } => Ok(Changes::Each(load_each(repo()?, &range)?)),
    }
}

/// The whole tree of one revision (any revision git resolves to a commit) of the
/// repository containing `dir` (`None`: the one git finds from the current directory and
/// environment), for the commands that read a single tree (`resources`). Content is read
/// on first use, as for a change's trees.
pub fn read_revision(dir: Option<&Path>, rev: &str) -> Result<Tree, InputError> {
    let repo = Repo::open(dir)?;
    let commit = repo.commit(rev)?;
    let listing = repo.list_commit(&commit)?;
    let mut trees = repo.read_trees(&[&listing])?;
    Ok(trees.pop().unwrap_or_default())
}

/// The two commits of a `--base`/`--head` check, resolved without reading either tree:
/// what the result cache needs to answer a check it has seen ([`commit_pair`]).
pub struct CommitPair {
    repo: Repo,
    pub base: git2::Oid,
    pub head: git2::Oid,
}

/// The commits `args` compare, when a stored result may stand for the check: `--head` names
/// a commit other than `HEAD` (a check of `HEAD` also lists the work tree's untracked module
/// files), and the base is `--base` or the head's only parent. `None` otherwise, and for
/// anything unusual (an unknown revision, a shallow clone, a root or merge commit): the
/// full read handles and reports those.
pub fn commit_pair(args: &InputArgs) -> Option<CommitPair> {
    let Mode::Revisions { base, head } = args.mode() else {
        return None;
    };
    let head = head.filter(|h| h != "HEAD")?;
    let repo = Repo::open(args.repo.as_deref()).ok()?;
    let head_commit = repo.commit(&head).ok()?;
    let base_id = match base {
        Some(b) => repo.commit(&b).ok()?.id(),
        None if head_commit.parent_count() == 1 => {
            repo.first_parent(&head_commit, &head).ok()??.id()
        }
        None => return None,
    };
    let head_id = head_commit.id();
    drop(head_commit);
    Some(CommitPair {
        repo,
        base: base_id,
        head: head_id,
    })
}

impl CommitPair {
    /// The content of `path` in the commit of `side`, read as a change's trees read it.
    pub fn file(&self, side: crate::diagnostic::Side, path: &str) -> Option<Blob> {
        let id = match side {
            crate::diagnostic::Side::Before => self.base,
            crate::diagnostic::Side::After => self.head,
        };
        let tree = self.repo.repo.find_commit(id).ok()?.tree().ok()?;
        let entry = tree.get_path(Path::new(path)).ok()?;
        let blob = self.repo.repo.find_blob(entry.id()).ok()?;
        Some(Blob::new(
            Some(entry.id().to_string()),
            blob.content().to_vec(),
        ))
    }
}

/// What [`load_iter`] yields: the changes of one input mode.
pub enum Changes {
    One(Option<Change>),
    Each(EachChanges),
}

impl Changes {
    /// How many changes there are in all (the commits of an `--each` series).
    pub fn total(&self) -> usize {
        match self {
            Changes::One(c) => usize::from(c.is_some()),
            Changes::Each(e) => e.pairs.len(),
        }
    }
}

impl Iterator for Changes {
    type Item = Result<Change, InputError>;

    fn next(&mut self) -> Option<Self::Item> {
        match self {
            Changes::One(c) => c.take().map(Ok),
            Changes::Each(e) => e.next(),
        }
    }
}

fn empty_revision() -> Revision {
    Revision {
        label: "empty".into(),
        summary: None,
        tree: Tree::default().into(),
    }
}

fn change(before: Revision, after: Revision, notes: Vec<String>) -> Result<Change, InputError> {
    let files = diff_trees(&before.tree, &after.tree);
    require_changed_manifests(&before, &after, &files)?;
    Ok(Change {
        before,
        after,
        files,
        notes,
    })
}

/// The manifests the change itself touches must be readable, on each side where they
/// exist (the before side of a deleted one too): without them nothing can be said about
/// the change. They are read now, in parallel; every other file may be missing, and a
/// stage that needs one records it as unreadable ([`Tree::unreadable`]).
fn require_changed_manifests(
    before: &Revision,
    after: &Revision,
    files: &[FileChange],
) -> Result<(), InputError> {
    use rayon::prelude::*;
    let mut wanted: Vec<(&str, &Revision, &TreeEntry)> = Vec::new();
    for fc in files {
        for (path, rev) in [(&fc.old_path, before), (&fc.new_path, after)] {
            let Some(path) = path
                .as_deref()
                .filter(|p| categorize(p) == Some(Category::Manifest))
            else {
                continue;
            };
            if let Some(e) = rev.tree.get(path) {
                if matches!(e.kind, EntryKind::File | EntryKind::Executable) {
                    wanted.push((path, rev, e));
                }
            }
        }
    }
    let failed = wanted.par_iter().find_map_first(|(path, rev, e)| {
        let why = e.blob.try_data().err()?;
        Some(InputError::ContentMissing {
            path: path.to_string(),
            revision: rev.label.clone(),
            id: e.blob.id.clone().unwrap_or_default(),
            reason: why.to_string(),
        })
    });
    match failed {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// The base commit: `--base REV`, else HEAD (`None` in a repository with no commit yet).
fn base_or_head<'r>(
    repo: &'r Repo,
    base: Option<&str>,
) -> Result<Option<git2::Commit<'r>>, InputError> {
    match base {
        Some(rev) => repo.commit(rev).map(Some),
        None => repo.head_commit(),
    }
}

/// `--base`/`--head`, default `HEAD^..HEAD`; a root commit is compared with the empty
/// tree, a merge with its first parent.
fn load_revisions(
    repo: &Repo,
    base: Option<&str>,
    head: Option<&str>,
) -> Result<Change, InputError> {
    let head_rev = head.unwrap_or("HEAD");
    let head_commit = repo.commit(head_rev)?;
    let mut notes = Vec::new();
    let base_commit = match base {
        Some(rev) => Some(repo.commit(rev)?),
        None => {
            let parent = repo.first_parent(&head_commit, &format!("{head_rev}^"))?;
            match &parent {
                None => notes.push(format!(
                    "{} is a root commit: compared with the empty tree",
                    short(&head_commit.id())
                )),
                Some(p) if head_commit.parent_count() > 1 => notes.push(format!(
                    "{} is a merge commit: compared with its first parent {}",
                    short(&head_commit.id()),
                    short(&p.id())
                )),
                Some(_) => {}
            }
            parent
        }
    };
    let (before, after) = match &base_commit {
        Some(b) => {
            let lists = repo.list_commits(&[b, &head_commit])?;
            let mut trees = repo.read_trees(&[&lists[0], &lists[1]])?;
            let after = trees.pop().unwrap_or_default();
            let before = trees.pop().unwrap_or_default();
            (
                Repo::revision(b, before),
                Repo::revision(&head_commit, after),
            )
        }
        None => {
            let head_list = repo.list_commit(&head_commit)?;
            let mut trees = repo.read_trees(&[&head_list])?;
            let after = trees.pop().unwrap_or_default();
            (empty_revision(), Repo::revision(&head_commit, after))
        }
    };
    let mut after = after;
    if head_rev == "HEAD" {
        let untracked = untracked_module_files(repo, &after.tree);
        std::sync::Arc::make_mut(&mut after.tree).untracked = untracked;
    }
    change(before, after, notes)
}

/// The untracked, not ignored files under the `files/` and `templates/` directories of
/// the modules `tree` has (a directory holding `manifests/`, or the repository root):
/// [`Tree::untracked`]. Only those directories are walked, not the whole work tree.
fn untracked_module_files(repo: &Repo, tree: &Tree) -> BTreeSet<String> {
    use rayon::prelude::*;
    let Some(workdir) = repo.repo.workdir() else {
        return BTreeSet::new();
    };
    let roots: BTreeSet<&str> = tree
        .files
        .keys()
        .filter_map(|p| match p.find("/manifests/") {
            Some(i) => Some(&p[..i]),
            None => p.starts_with("manifests/").then_some(""),
        })
        .collect();
    let dirs: Vec<String> = roots
        .iter()
        .flat_map(|root| {
            ["files", "templates"].map(|dir| {
                if root.is_empty() {
                    dir.to_string()
                } else {
                    format!("{root}/{dir}")
                }
            })
        })
        .collect();
    // The directories are walked in parallel (a large repository has thousands); the
    // files git does not track are then asked about ignore rules here, as a repository
    // handle serves one thread.
    let candidates: Vec<String> = dirs
        .par_iter()
        .flat_map_iter(|rel_dir| {
            walkdir::WalkDir::new(workdir.join(rel_dir))
                .follow_links(false)
                .into_iter()
                .filter_entry(|e| e.file_name() != ".git")
                .flatten()
                .filter(|entry| !entry.file_type().is_dir())
                .filter_map(|entry| {
                    let rel = entry.path().strip_prefix(workdir).unwrap_or(entry.path());
                    relative_utf8(rel).ok()
                })
                .filter(|rel| !tree.files.contains_key(rel))
                .collect::<Vec<String>>()
        })
        .collect();
    candidates
        .into_iter()
        .filter(|rel| !repo.repo.is_path_ignored(rel).unwrap_or(true))
        .collect()
}

/// The base listing for the staged and work-tree modes, and its revision shell.
fn base_listing(repo: &Repo, base: Option<&str>) -> Result<(Vec<Listed>, Revision), InputError> {
    match base_or_head(repo, base)? {
        Some(c) => Ok((repo.list_commit(&c)?, Repo::revision(&c, Tree::default()))),
        None => Ok((Vec::new(), empty_revision())),
    }
}

fn require_work_tree(repo: &Repo, what: &'static str) -> Result<(), InputError> {
    if repo.repo.is_bare() {
        return Err(InputError::BareRepository {
            path: repo.display.clone(),
            what,
        });
    }
    Ok(())
}

/// `--staged`: HEAD (or `--base`) against the index, exactly what `git commit` would
/// record. `GIT_INDEX_FILE` is honoured.
fn load_staged(repo: &Repo, base: Option<&str>) -> Result<Change, InputError> {
    require_work_tree(repo, "index (staging area)")?;
    // The index is read on another thread while the base commit is listed.
    let (index_path, from_env) = repo.index_path();
    let (base_listed, index) = std::thread::scope(|s| {
        let index = s.spawn(|| super::git::list_index_file(&index_path, from_env, false));
        let base_listed = base_listing(repo, base);
        (base_listed, index.join())
    });
    let (base_list, mut before) = base_listed?;
    let index = match index {
        Ok(listing) => listing?,
        Err(panic) => std::panic::resume_unwind(panic),
    };
    let mut trees = repo.read_trees(&[&base_list, &index.entries])?;
    let after_tree = trees.pop().unwrap_or_default();
    before.tree = trees.pop().unwrap_or_default().into();
    let mut notes = Vec::new();
    if from_env {
        notes.push(format!(
            "index read from GIT_INDEX_FILE={}",
            index_path.display()
        ));
    }
    for p in &index.intent_to_add {
        notes.push(format!(
            "{p}: marked intent-to-add (git add -N), not staged: left out"
        ));
    }
    let mut after_tree = after_tree;
    after_tree.untracked = untracked_module_files(repo, &after_tree);
    let after = Revision {
        label: "index".into(),
        summary: None,
        tree: after_tree.into(),
    };
    change(before, after, notes)
}

/// `--worktree`: HEAD (or `--base`) against the files on disk: every tracked file as it
/// is now (missing ones count as deleted), plus untracked `.pp` files that are not ignored.
fn load_worktree(repo: &Repo, base: Option<&str>) -> Result<Change, InputError> {
    require_work_tree(repo, "work tree")?;
    let workdir = repo
        .repo
        .workdir()
        .ok_or_else(|| InputError::BareRepository {
            path: repo.display.clone(),
            what: "work tree",
        })?
        .to_path_buf();
    let (base_list, mut before) = base_listing(repo, base)?;
    let index = repo.list_index(true)?;
    let mut trees = repo.read_trees(&[&base_list, &index.entries])?;
    let index_tree = trees.pop().unwrap_or_default();
    before.tree = trees.pop().unwrap_or_default().into();

    let config = repo.repo.config().ok();
    let flag = |name: &str| {
        config
            .as_ref()
            .and_then(|c| c.get_bool(name).ok())
            .unwrap_or(true)
    };
    let (filemode, symlinks) = (flag("core.filemode"), flag("core.symlinks"));

    let mut after = Tree::default();
    let tracked = index
        .entries
        .iter()
        .map(|e| (e.path.as_str(), Some(e)))
        .chain(index.intent_to_add.iter().map(|p| (p.as_str(), None)));
    for (path, entry) in tracked {
        let in_index = index_tree.get(path);
        let keep_index = entry.is_some_and(|e| {
            e.kind == EntryKind::Submodule || index.skip_worktree.contains(&e.path)
        });
        if keep_index {
            if let Some(e) = in_index {
                after.files.insert(path.to_string(), e.clone());
            }
            continue;
        }
        let on_disk = workdir.join(path);
        if let (Some(e), Ok(meta)) = (in_index, std::fs::symlink_metadata(&on_disk)) {
            let same_type = match e.kind {
                EntryKind::Symlink => meta.file_type().is_symlink() || !symlinks,
                EntryKind::Executable => {
                    meta.is_file() && (!filemode || meta.permissions().mode() & 0o111 != 0)
                }
                EntryKind::File => {
                    meta.is_file() && (!filemode || meta.permissions().mode() & 0o111 == 0)
                }
                EntryKind::Submodule => false,
            };
            if same_type && index.unchanged_on_disk(path, &meta) {
                after.files.insert(path.to_string(), e.clone());
                continue;
            }
        }
        let Some((mut kind, data)) = read_entry(&on_disk)? else {
            continue; // deleted on disk
        };
        if let Some(e) = in_index {
            // Where the filesystem cannot say, git keeps the index's mode.
            let exec_pair = matches!(kind, EntryKind::File | EntryKind::Executable)
                && matches!(e.kind, EntryKind::File | EntryKind::Executable);
            if (!filemode && exec_pair)
                || (!symlinks && e.kind == EntryKind::Symlink && kind == EntryKind::File)
            {
                kind = e.kind;
            }
        }
        let blob = match in_index {
            // Sizes first (object headers): a file of another size is not read.
            Some(e)
                if e.blob.size() == Some(data.len() as u64) && e.blob.data() == Some(&data[..]) =>
            {
                e.blob.clone()
            }
            _ => share(data, before.tree.get(path).map(|e| &e.blob)),
        };
        after
            .files
            .insert(path.to_string(), TreeEntry { kind, blob });
    }

    let mut notes = Vec::new();
    let known: BTreeSet<&str> = index
        .entries
        .iter()
        .map(|e| e.path.as_str())
        .chain(index.intent_to_add.iter().map(String::as_str))
        .collect();
    for path in untracked_manifests(repo, &workdir, &known)? {
        if let Some((kind, data)) = read_entry(&workdir.join(&path))? {
            notes.push(format!("{path}: untracked manifest, included"));
            after.files.insert(
                path,
                TreeEntry {
                    kind,
                    blob: share(data, None),
                },
            );
        }
    }
    // An untracked configuration is what the user is editing: read it like the disk's
    // tracked files (an ignored one stays out, as git leaves it out).
    if !known.contains(CONFIG_FILE) && !repo.repo.is_path_ignored(CONFIG_FILE).unwrap_or(false) {
        if let Some((kind, data)) = read_entry(&workdir.join(CONFIG_FILE))? {
            notes.push(format!("{CONFIG_FILE}: untracked configuration, read"));
            after.files.insert(
                CONFIG_FILE.to_string(),
                TreeEntry {
                    kind,
                    blob: share(data, None),
                },
            );
        }
    }
    after.untracked = untracked_module_files(repo, &after);
    let after = Revision {
        label: "worktree".into(),
        summary: None,
        tree: after.into(),
    };
    change(before, after, notes)
}

/// Is `set` the change `base_rev` itself made (`git format-patch -1 --stdout` of the
/// commit checked out)? It is when it applies to the first parent of `base_rev` and gives
/// every file it touches the content `base` already has.
fn already_applied(repo: &Repo, base_rev: &str, set: &patch::PatchSet, base: &Tree) -> bool {
    let Ok(parent) = repo.commit(&format!("{base_rev}^")) else {
        return false;
    };
    let Ok(listing) = repo.list_commit(&parent) else {
        return false;
    };
    let Ok(mut trees) = repo.read_trees(&[&listing]) else {
        return false;
    };
    let parent_tree = trees.pop().unwrap_or_default();
    let Ok(applied) = patch::apply(set, &parent_tree, "", "") else {
        return false;
    };
    let same = |path: &str| match (applied.tree.get(path), base.get(path)) {
        (None, None) => true,
        (Some(a), Some(b)) => a.kind == b.kind && a.blob.data() == b.blob.data(),
        _ => false,
    };
    set.files
        .iter()
        .flat_map(|f| [f.old_path.as_deref(), f.new_path.as_deref()])
        .flatten()
        .all(same)
}

/// Untracked, not ignored `*.pp` files of the work tree (nested repositories skipped).
fn untracked_manifests(
    repo: &Repo,
    workdir: &Path,
    known: &BTreeSet<&str>,
) -> Result<Vec<String>, InputError> {
    let mut found = Vec::new();
    let walker = walkdir::WalkDir::new(workdir)
        .follow_links(false)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| {
            e.depth() == 0
                || !(e.file_name() == ".git"
                    || (e.file_type().is_dir() && e.path().join(".git").exists()))
        });
    for entry in walker {
        // Unreadable directories cannot hold anything git tracks for us: skip them.
        let Ok(entry) = entry else { continue };
        if !entry.file_type().is_file() && !entry.file_type().is_symlink() {
            continue;
        }
        if !entry.file_name().as_encoded_bytes().ends_with(b".pp") {
            continue;
        }
        let rel = entry.path().strip_prefix(workdir).unwrap_or(entry.path());
        let rel = relative_utf8(rel)?;
        if known.contains(rel.as_str()) {
            continue;
        }
        if repo.repo.is_path_ignored(&rel).unwrap_or(false) {
            continue;
        }
        found.push(rel);
    }
    Ok(found)
}

/// `--patch FILE|-`: the patch applied in memory onto `--base` (default HEAD).
fn load_patch(repo: &Repo, source: &str, base: Option<&str>) -> Result<Change, InputError> {
    let (name, data) = if source == "-" {
        let mut buf = Vec::new();
        std::io::stdin()
            .read_to_end(&mut buf)
            .map_err(|e| InputError::Io {
                path: "<stdin>".into(),
                message: e.to_string(),
            })?;
        ("<stdin>".to_string(), buf)
    } else {
        let data = std::fs::read(source).map_err(|e| InputError::Io {
            path: source.into(),
            message: e.to_string(),
        })?;
        (source.to_string(), data)
    };
    // Gerrit's REST endpoint `/revisions/…/patch` serves the format-patch text base64-encoded.
    let (set, decoded) = match patch::parse(&data, &name) {
        Err(InputError::EmptyPatch { .. }) => match patch::decode_base64(&data) {
            Some(text) => (patch::parse(&text, &name)?, true),
            None => return Err(InputError::EmptyPatch { patch: name }),
        },
        other => (other?, false),
    };
    let (base_list, mut before) = base_listing(repo, base)?;
    let mut trees = repo.read_trees(&[&base_list])?;
    before.tree = trees.pop().unwrap_or_default().into();
    let base_name = match base {
        Some(rev) => format!("{rev} ({})", short_label(&before.label)),
        None => format!("HEAD ({})", short_label(&before.label)),
    };
    let applied = match patch::apply(&set, &before.tree, &name, &base_name) {
        Err(e @ (InputError::PatchFileMismatch { .. } | InputError::PatchDoesNotApply { .. })) => {
            let base_rev = base.unwrap_or("HEAD");
            if already_applied(repo, base_rev, &set, &before.tree) {
                return Err(InputError::PatchAlreadyApplied {
                    patch: name,
                    base: base_name,
                    base_rev: base_rev.to_string(),
                });
            }
            return Err(e);
        }
        other => other?,
    };
    let mut notes = Vec::new();
    match set.subjects.len() {
        0 => {}
        1 => notes.push(format!("applied 1 patch: {}", set.subjects[0])),
        n => notes.push(format!("applied {n} patches: {}", set.subjects.join(" | "))),
    }
    if decoded {
        notes.push(format!(
            "{name} was base64-encoded (as Gerrit's REST /patch serves it): decoded"
        ));
    }
    notes.extend(applied.notes);
    let after = Revision {
        label: "patch".into(),
        summary: match set.subjects.as_slice() {
            [] => None,
            [one] => Some(one.clone()),
            [first, .., last] => Some(format!("{first} … {last}")),
        },
        tree: applied.tree.into(),
    };
    let mut change = change(before, after, notes)?;
    // Binary content the patch does not carry still counts as changed.
    for path in applied.binary_changed {
        if let Some(fc) = change.files.iter_mut().find(|f| f.path() == path) {
            fc.binary = true;
        } else if let Some(e) = change.after.tree.get(&path) {
            let old = change.before.tree.get(&path).map(|o| o.kind);
            change.files.push(FileChange {
                status: if old.is_some() {
                    FileStatus::Modified
                } else {
                    FileStatus::Added
                },
                old_path: old.map(|_| path.clone()),
                new_path: Some(path.clone()),
                old_kind: old,
                new_kind: Some(e.kind),
                binary: true,
                similarity: None,
            });
        }
    }
    change.files.sort_by(|a, b| a.path().cmp(b.path()));
    Ok(change)
}

fn short_label(label: &str) -> &str {
    label.get(..12).unwrap_or(label)
}

/// How many commits of an `--each` series are listed and read together. Within a window,
/// trees share their listing work and blob objects; between windows nothing is kept, so
/// memory stays bounded whatever the length of the series.
const EACH_WINDOW: usize = 16;

/// The changes of `--each A..B`, produced one at a time as the series is read.
pub struct EachChanges {
    repo: Repo,
    range: String,
    /// (commit, first parent) of every commit of the series, oldest first.
    pairs: Vec<(Oid, Option<Oid>)>,
    next: usize,
    ready: std::collections::VecDeque<Change>,
}

impl EachChanges {
    /// Read the next window of commits into `ready`.
    fn fill(&mut self) -> Result<(), InputError> {
        let end = (self.next + EACH_WINDOW).min(self.pairs.len());
        let window = &self.pairs[self.next..end];
        let git = |e: git2::Error| InputError::Git {
            what: format!("the commits of {}", self.range),
            message: e.message().to_string(),
        };
        let find = |id: Oid| self.repo.repo.find_commit(id).map_err(git);
        let commits: Vec<(git2::Commit<'_>, Option<git2::Commit<'_>>)> = window
            .iter()
            .map(|(c, p)| Ok((find(*c)?, p.map(find).transpose()?)))
            .collect::<Result<_, InputError>>()?;
        // Every commit and its parent, listed once and read in one pass so that content
        // shared along the window is read and stored once.
        let mut slot: HashMap<Oid, usize> = HashMap::new();
        let mut order: Vec<&git2::Commit<'_>> = Vec::new();
        for (c, p) in &commits {
            for commit in p.iter().chain(std::iter::once(c)) {
                if let std::collections::hash_map::Entry::Vacant(v) = slot.entry(commit.id()) {
                    v.insert(order.len());
                    order.push(commit);
                }
            }
        }
        let listings = self.repo.list_commits(&order)?;
        let refs: Vec<&[Listed]> = listings.iter().map(Vec::as_slice).collect();
        let trees = self.repo.read_trees(&refs)?;
        drop(listings);
        let total = self.pairs.len();
        for (k, (c, p)) in commits.iter().enumerate() {
            let before = match p {
                Some(p) => Repo::revision(p, trees[slot[&p.id()]].clone()),
                None => empty_revision(),
            };
            let after = Repo::revision(c, trees[slot[&c.id()]].clone());
            let mut notes = vec![format!(
                "commit {} of {total} in {}",
                self.next + k + 1,
                self.range
            )];
            if p.is_none() {
                notes.push(format!(
                    "{} is a root commit: compared with the empty tree",
                    short(&c.id())
                ));
            } else if c.parent_count() > 1 {
                notes.push(format!(
                    "{} is a merge commit: compared with its first parent",
                    short(&c.id())
                ));
            }
            self.ready.push_back(change(before, after, notes)?);
        }
        self.next = end;
        Ok(())
    }
}

impl Iterator for EachChanges {
    type Item = Result<Change, InputError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.ready.is_empty() && self.next < self.pairs.len() {
            if let Err(e) = self.fill() {
                // One error ends the series.
                self.next = self.pairs.len();
                return Some(Err(e));
            }
        }
        self.ready.pop_front().map(Ok)
    }
}

/// `--each A..B`: every commit reachable from B and not from A, following first parents,
/// oldest first, each against its first parent. The range and every commit's parent are
/// resolved here (so a bad range or a shallow clone fails before anything is checked);
/// trees are read window by window as the changes are consumed.
fn load_each(repo: Repo, range: &str) -> Result<EachChanges, InputError> {
    let bad = || InputError::BadRange {
        range: range.into(),
    };
    if range.contains("...") {
        return Err(bad());
    }
    let (a, b) = range.split_once("..").ok_or_else(bad)?;
    let a = if a.is_empty() { "HEAD" } else { a };
    let b = if b.is_empty() { "HEAD" } else { b };
    let git = |e: git2::Error| InputError::Git {
        what: format!("the commits of {range}"),
        message: e.message().to_string(),
    };
    let mut pairs = Vec::new();
    {
        let from = repo.commit(a)?;
        let to = repo.commit(b)?;
        let mut walk = repo.repo.revwalk().map_err(git)?;
        walk.push(to.id()).map_err(git)?;
        walk.hide(from.id()).map_err(git)?;
        walk.simplify_first_parent().map_err(git)?;
        let mut ids: Vec<Oid> = walk.collect::<Result<_, _>>().map_err(git)?;
        ids.reverse();
        for id in ids {
            let c = repo.repo.find_commit(id).map_err(git)?;
            let parent = repo.first_parent(&c, &format!("{}^", short(&id)))?;
            pairs.push((id, parent.map(|p| p.id())));
        }
    }
    Ok(EachChanges {
        repo,
        range: range.to_string(),
        pairs,
        next: 0,
        ready: std::collections::VecDeque::new(),
    })
}

/// `--before DIR --after DIR`: two plain directory trees, no git.
fn load_directories(before: &Path, after: &Path) -> Result<Change, InputError> {
    let before_tree = read_dir_tree(before, None)?;
    let after_tree = read_dir_tree(after, Some(&before_tree))?;
    change(
        Revision {
            label: before.display().to_string(),
            summary: None,
            tree: before_tree.into(),
        },
        Revision {
            label: after.display().to_string(),
            summary: None,
            tree: after_tree.into(),
        },
        Vec::new(),
    )
}
