//! Why the input layer could not produce a change. Every variant is one short paragraph with
//! a help line; the CLI turns them into exit status 2.

use miette::Diagnostic;
use thiserror::Error;

#[derive(Debug, Error, Diagnostic)]
pub enum InputError {
    #[error("{path} is not inside a git repository")]
    #[diagnostic(
        code(preflight::input::not_a_repository),
        help("run the command inside a git work tree, pass --repo DIR, or compare two plain directories with --before DIR --after DIR")
    )]
    NotARepository { path: String },

    #[error("cannot open the git repository at {path}: {message}")]
    #[diagnostic(
        code(preflight::input::repository),
        help("check that the directory is a readable git repository; one owned by another user is refused (as git does) until it is listed with `git config --global --add safe.directory DIR`")
    )]
    Repository { path: String, message: String },

    #[error("unknown revision `{rev}`: git cannot resolve it to a commit in {repo}")]
    #[diagnostic(
        code(preflight::input::unknown_revision),
        help("use a branch, tag, commit id or an expression like HEAD~2; `git log --oneline` lists candidates")
    )]
    UnknownRevision { rev: String, repo: String },

    #[error("`{rev}` needs history that this shallow clone does not have: it stops at commit {stop}, whose parents were never fetched")]
    #[diagnostic(
        code(preflight::input::shallow),
        help("fetch the missing history with `git fetch --deepen=1` (or more), or pass an existing --base")
    )]
    ShallowBaseMissing { rev: String, stop: String },

    #[error("the repository has no commit yet, so there is no `{rev}` to compare")]
    #[diagnostic(
        code(preflight::input::unborn),
        help("commit something first, or check the staged files with --staged")
    )]
    UnbornHead { rev: String },

    #[error("`{range}` is not a commit range of the form A..B")]
    #[diagnostic(
        code(preflight::input::range),
        help("--each takes A..B (every commit reachable from B but not from A), e.g. --each origin/main..HEAD")
    )]
    BadRange { range: String },

    #[error("the repository at {path} is bare: it has no {what}")]
    #[diagnostic(
        code(preflight::input::bare),
        help("--staged and --worktree need a work tree; in a bare repository compare revisions with --base/--head or apply a --patch")
    )]
    BareRepository { path: String, what: &'static str },

    #[error("the index {path} has unresolved conflicts (first: {first}); nothing can be committed until they are resolved")]
    #[diagnostic(
        code(preflight::input::conflicts),
        help("resolve the conflicts and `git add` the files, then run the check again")
    )]
    UnmergedIndex { path: String, first: String },

    #[error("cannot read the index {path}: {message}")]
    #[diagnostic(
        code(preflight::input::index),
        help("check GIT_INDEX_FILE, or run `git status` to see whether git itself can read the index")
    )]
    Index { path: String, message: String },

    #[error("cannot read {what} from the repository: {message}")]
    #[diagnostic(
        code(preflight::input::git),
        help("the object database may be damaged or incomplete; `git fsck` tells")
    )]
    Git { what: String, message: String },

    #[error("{path} is part of the change, but its content at {revision} (object {id}) cannot be read: {reason}")]
    #[diagnostic(
        code(preflight::input::content_missing),
        help("a partial clone (`--filter`) or a mirror without large files lacks the object (or the repository is damaged: `git fsck` tells), and puppet-preflight reads the object database without fetching: fetch it (`git cat-file -p {id}` in a partial clone, or `git fetch --refetch`), or check in a full clone; files the change does not touch may be missing, and are reported as incomplete-input instead")
    )]
    ContentMissing {
        path: String,
        /// The commit id (or `index`) the content belongs to.
        revision: String,
        id: String,
        reason: String,
    },

    #[error("cannot read {path}: {message}")]
    #[diagnostic(
        code(preflight::input::io),
        help("check that the path exists and is readable by this user")
    )]
    Io { path: String, message: String },

    #[error("the path {path} is not valid UTF-8")]
    #[diagnostic(
        code(preflight::input::path_encoding),
        help("puppet-preflight reports repository paths as UTF-8; rename the file (git mv) to a UTF-8 name")
    )]
    NonUtf8Path { path: String },

    #[error("the patch {patch} contains no file changes")]
    #[diagnostic(
        code(preflight::input::empty_patch),
        help("give the output of `git diff`, `git format-patch` or `diff -u`; an empty file or a patch without `diff`/`---`/`+++` headers has nothing to check")
    )]
    EmptyPatch { patch: String },

    #[error("malformed patch {patch}, line {line}: {message}")]
    #[diagnostic(
        code(preflight::input::malformed_patch),
        help("the patch may have been truncated or re-wrapped (e.g. by a mail client); download it again as a raw file")
    )]
    MalformedPatch {
        patch: String,
        line: usize,
        message: String,
    },

    #[error("the patch {patch} does not apply to {base}: {file}, hunk #{hunk} (patch line {line}) {detail}")]
    #[diagnostic(
        code(preflight::input::patch_does_not_apply),
        help("the patch was made against a different version; pass the revision it was made on with --base REV")
    )]
    PatchDoesNotApply {
        patch: String,
        base: String,
        file: String,
        hunk: usize,
        line: usize,
        /// The hunk header and what differs.
        detail: String,
    },

    #[error("the patch {patch} does not apply to {base}: {file} (patch line {line}): {message}")]
    #[diagnostic(
        code(preflight::input::patch_does_not_apply),
        help("the patch was made against a different version; pass the revision it was made on with --base REV")
    )]
    PatchFileMismatch {
        patch: String,
        base: String,
        file: String,
        line: usize,
        message: String,
    },

    #[error("the patch {patch} is already in {base}: it is that commit's own change, so it cannot be applied onto it")]
    #[diagnostic(
        code(preflight::input::patch_already_applied),
        help("check the commit itself: `puppet-preflight check --base {base_rev}^ --head {base_rev}` (or apply the patch onto its parent: `--patch … --base {base_rev}^`)")
    )]
    PatchAlreadyApplied {
        patch: String,
        base: String,
        /// The revision as the user named it (`HEAD` by default).
        base_rev: String,
    },

    #[error(
        "the patch {patch}, line {line}, names the path `{path}`, which leaves the repository"
    )]
    #[diagnostic(
        code(preflight::input::path_escape),
        help("paths in a patch must be relative and stay inside the repository (no `..`, no leading `/`, nothing under .git); this patch is rejected as a whole")
    )]
    PathEscapes {
        patch: String,
        line: usize,
        path: String,
    },

    #[error("the patch {patch}, line {line}, is a combined diff of a merge (`diff --cc`), which cannot be applied")]
    #[diagnostic(
        code(preflight::input::combined_diff),
        help("export the merge against its first parent: `git diff M^1 M` or `git format-patch --first-parent`")
    )]
    CombinedDiff { patch: String, line: usize },

    #[error("cannot use the package contents file {path}: {message}")]
    #[diagnostic(
        code(preflight::input::package_contents),
        help("--package-contents and package_contents take Debian Contents-<arch> indexes (plain or .gz, as in /var/lib/apt/lists or dists/<suite>/main/ of a mirror) or dpkg -L lists named <package>.list")
    )]
    PackageContents { path: String, message: String },
}
