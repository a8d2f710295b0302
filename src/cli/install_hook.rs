//! `puppet-preflight install-hook`: write a plain git hook that runs the check.
//!
//! The only command that writes into a repository, and only when asked. The pre-commit
//! hook runs `check --staged`, which reads the index git is about to commit (git exports
//! `GIT_INDEX_FILE` for `git commit -a` and `git commit PATH`, and the hook passes it on).
//! The pre-push hook reads git's `<local ref> <local sha> <remote ref> <remote sha>` lines
//! and checks every pushed commit with `check --each BASE..SHA`; for a new remote ref —
//! always the case for Gerrit's `refs/for/<branch>` — BASE is the parent of the oldest
//! commit not yet on any remote-tracking branch of that remote.
//!
//! Where: `core.hooksPath` when set (relative to the work tree root, as git does), else
//! the `hooks` directory of the repository's common git dir (shared by linked worktrees).
//! An existing hook is never replaced without `--force`; with it, the old hook is kept
//! beside the new one as `<hook>.preflight-backup`. A hook this command wrote (it says so
//! in its second line) is simply rewritten: installing again updates it.

use std::path::{Path, PathBuf};

use miette::Diagnostic;
use thiserror::Error;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Install a pre-push hook (checks each pushed commit, understands `refs/for/*`)
    /// instead of the pre-commit hook.
    #[arg(long)]
    pub pre_push: bool,

    /// Replace a hook this command did not write (it is kept as `<hook>.preflight-backup`);
    /// a hook it wrote is updated without it.
    #[arg(long)]
    pub force: bool,

    /// The repository (any directory inside it); default: the current directory.
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub repo: PathBuf,
}

#[derive(Debug, Error, Diagnostic)]
pub enum HookError {
    #[error("{dir} is not inside a git repository: {message}")]
    #[diagnostic(
        code(preflight::hook::not_a_repository),
        help("run install-hook inside the repository, or pass --repo DIR")
    )]
    NotARepository { dir: PathBuf, message: String },

    #[error("a {hook} hook already exists at {path}")]
    #[diagnostic(
        code(preflight::hook::exists),
        help("add `exec puppet-preflight check --staged` to it yourself, or pass --force to replace it (the old one is kept as {hook}.preflight-backup)")
    )]
    Exists { hook: &'static str, path: PathBuf },

    #[error("cannot install the {hook} hook at {path}: {source}")]
    #[diagnostic(code(preflight::hook::write))]
    Write {
        hook: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// The directory git runs hooks from for the repository containing `dir`.
pub fn hooks_dir(dir: &Path) -> Result<PathBuf, HookError> {
    let not_repo = |e: git2::Error| HookError::NotARepository {
        dir: dir.to_path_buf(),
        message: e.message().to_string(),
    };
    let repo = git2::Repository::discover(dir).map_err(not_repo)?;
    let git_dir = repo.path().to_path_buf();
    if let Ok(cfg) = repo.config() {
        if let Ok(p) = cfg.get_path("core.hooksPath") {
            if p.is_absolute() {
                return Ok(p);
            }
            // git resolves a relative hooksPath against the directory hooks run in:
            // the work tree root, or the git dir of a bare repository.
            let base = repo.workdir().map(Path::to_path_buf).unwrap_or(git_dir);
            return Ok(base.join(p));
        }
    }
    // A linked worktree's git dir names the shared one in its `commondir` file.
    let common = match std::fs::read_to_string(git_dir.join("commondir")) {
        Ok(s) if !s.trim().is_empty() => {
            let p = PathBuf::from(s.trim());
            if p.is_absolute() {
                p
            } else {
                git_dir.join(p)
            }
        }
        _ => git_dir,
    };
    Ok(common.join("hooks"))
}

/// Quote `s` for a POSIX shell (single quotes; `'` becomes `'\''`).
fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// The shell lines that find the puppet-preflight binary: `$PUPPET_PREFLIGHT`, else the
/// binary that installed the hook, else `puppet-preflight` on PATH.
fn locate(installer: Option<&Path>, hook: &str) -> String {
    let exe = installer
        .map(|p| sh_quote(&p.to_string_lossy()))
        .unwrap_or_else(|| "''".into());
    format!(
        r#"preflight=${{PUPPET_PREFLIGHT:-}}
if [ -z "$preflight" ]; then
    installed={exe}
    if [ -n "$installed" ] && [ -x "$installed" ]; then
        preflight=$installed
    elif command -v puppet-preflight >/dev/null 2>&1; then
        preflight=puppet-preflight
    else
        echo "{hook}: puppet-preflight not found (not at $installed, not on PATH)." >&2
        echo "{hook}: install it, set PUPPET_PREFLIGHT, or skip once with --no-verify." >&2
        exit 1
    fi
fi
"#
    )
}

/// The pre-commit hook script.
pub fn pre_commit_script(installer: Option<&Path>) -> String {
    format!(
        r#"#!/bin/sh
# puppet-preflight pre-commit hook, written by `puppet-preflight install-hook`.
# Checks what is staged: the index git is about to commit (GIT_INDEX_FILE, which
# `git commit -a` and `git commit PATH` point at a temporary index), not the work tree.
# Skip once with `git commit --no-verify`; delete this file to uninstall.
{}"$preflight" check --staged
status=$?
if [ "$status" -ne 0 ]; then
    echo "pre-commit: commit stopped by puppet-preflight (skip once with git commit --no-verify)" >&2
fi
exit $status
"#,
        locate(installer, "pre-commit")
    )
}

/// The pre-push hook script.
pub fn pre_push_script(installer: Option<&Path>) -> String {
    format!(
        r#"#!/bin/sh
# puppet-preflight pre-push hook, written by `puppet-preflight install-hook --pre-push`.
# git passes the remote name and URL as arguments and one line per pushed ref on stdin:
#   <local ref> <local sha> <remote ref> <remote sha>
# Each pushed commit is checked against its parent (`check --each BASE..SHA`). For a new
# remote ref (always so for Gerrit's refs/for/<branch>), BASE is the parent of the oldest
# commit not yet on any remote-tracking branch of this remote.
# Skip once with `git push --no-verify`; delete this file to uninstall.
{}remote=$1
status=0
is_zero() {{ case $1 in *[!0]*) return 1 ;; *) return 0 ;; esac; }}
run() {{
    "$preflight" "$@" </dev/null                   # keep git's ref list for the loop
    rc=$?
    if [ "$rc" -ne 0 ]; then
        echo "pre-push: puppet-preflight $* exited with $rc" >&2
        [ "$rc" -gt "$status" ] && status=$rc
    fi
}}
while read -r _local_ref local_sha remote_ref remote_sha; do
    [ -n "$local_sha" ] || continue
    is_zero "$local_sha" && continue                 # deleting a remote ref
    if ! is_zero "$remote_sha" && git cat-file -e "$remote_sha^{{commit}}" 2>/dev/null; then
        base=$remote_sha                             # ordinary update of a known ref
    else
        first=$(git rev-list --topo-order --reverse "$local_sha" --not --remotes="$remote" | head -n 1)
        [ -n "$first" ] || continue                  # nothing the remote lacks
        if ! base=$(git rev-parse --verify -q "$first^"); then
            echo "pre-push: checking root commit $first for $remote_ref" >&2
            run check --head "$first"                # a root commit: against the empty tree
            base=$first
        fi
    fi
    [ "$base" = "$local_sha" ] && continue
    echo "pre-push: checking $base..$local_sha for $remote_ref" >&2
    run check --each "$base..$local_sha"
done
if [ "$status" -ne 0 ]; then
    echo "pre-push: push stopped by puppet-preflight (skip once with git push --no-verify)" >&2
fi
exit $status
"#,
        locate(installer, "pre-push")
    )
}

/// What [`install`] did.
#[derive(Debug, PartialEq, Eq)]
enum Installed {
    New,
    /// A hook this command had written, rewritten.
    Updated,
    /// Someone else's hook, moved aside (`--force`).
    Replaced,
}

/// Whether the hook at `path` is one `install-hook` wrote (a regular file whose header
/// says so).
fn is_ours(path: &Path) -> bool {
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return false;
    };
    meta.is_file()
        && meta.len() < 64 * 1024
        && std::fs::read_to_string(path).is_ok_and(|t| {
            t.lines()
                .nth(1)
                .is_some_and(|l| l.contains("written by `puppet-preflight install-hook"))
        })
}

fn install(
    hook: &'static str,
    path: &Path,
    script: &str,
    force: bool,
) -> Result<Installed, HookError> {
    let err = |source| HookError::Write {
        hook,
        path: path.to_path_buf(),
        source,
    };
    // symlink_metadata: a dangling symlink is an existing hook too.
    let exists = std::fs::symlink_metadata(path).is_ok();
    if exists && is_ours(path) {
        std::fs::write(path, script).map_err(err)?;
        return Ok(Installed::Updated);
    }
    if exists && !force {
        return Err(HookError::Exists {
            hook,
            path: path.to_path_buf(),
        });
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(err)?;
    }
    if exists {
        let mut backup = path.as_os_str().to_os_string();
        backup.push(".preflight-backup");
        std::fs::rename(path, &backup).map_err(err)?;
    }
    std::fs::write(path, script).map_err(err)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).map_err(err)?;
    }
    Ok(if exists {
        Installed::Replaced
    } else {
        Installed::New
    })
}

pub fn run(args: Args) -> miette::Result<i32> {
    let (hook, script_of): (&'static str, fn(Option<&Path>) -> String) = if args.pre_push {
        ("pre-push", pre_push_script)
    } else {
        ("pre-commit", pre_commit_script)
    };
    let dir = hooks_dir(&args.repo)?;
    let path = dir.join(hook);
    let installer = std::env::current_exe()
        .ok()
        .and_then(|p| p.canonicalize().ok());
    match install(hook, &path, &script_of(installer.as_deref()), args.force)? {
        Installed::Updated => {
            println!("updated the {hook} hook at {}", path.display());
            return Ok(0);
        }
        Installed::Replaced => eprintln!(
            "replaced the existing {hook} hook (kept as {}.preflight-backup)",
            path.display()
        ),
        Installed::New => {}
    }
    println!("installed the {hook} hook at {}", path.display());
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_quoting_survives_quotes_and_spaces() {
        assert_eq!(sh_quote("/a b/it's"), r"'/a b/it'\''s'");
    }

    #[test]
    fn scripts_run_the_staged_check_and_each_range() {
        let s = pre_commit_script(Some(Path::new("/opt/pp/puppet-preflight")));
        assert!(s.starts_with("#!/bin/sh\n"));
        assert!(s.contains("installed='/opt/pp/puppet-preflight'"));
        assert!(s.contains("\"$preflight\" check --staged\nstatus=$?"));
        assert!(s.contains("skip once with git commit --no-verify"));
        let p = pre_push_script(None);
        assert!(p.contains("--not --remotes=\"$remote\""));
        assert!(p.contains("run check --each \"$base..$local_sha\""));
    }
}
