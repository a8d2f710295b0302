//! Reading files from disk: the work tree of a repository, or a plain directory.
//!
//! Symlinks are not followed: a link is an entry of kind `Symlink` whose content is its
//! target, as git stores it. A file with an execute bit is `Executable`.

use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::error::InputError;
use super::tree::{Blob, EntryKind, Tree, TreeEntry};

fn io_error(path: &Path, e: std::io::Error) -> InputError {
    InputError::Io {
        path: path.display().to_string(),
        message: e.to_string(),
    }
}

/// What is at `path` on disk, read without following a final symlink; `None` when nothing
/// is there (or a directory is, where a file was expected).
pub(crate) fn read_entry(path: &Path) -> Result<Option<(EntryKind, Vec<u8>)>, InputError> {
    let meta = match fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        // A path component that became a file (`a/b` where `a` is now a file).
        Err(e) if e.raw_os_error() == Some(20) => return Ok(None),
        Err(e) => return Err(io_error(path, e)),
    };
    let ft = meta.file_type();
    if ft.is_symlink() {
        let target = fs::read_link(path).map_err(|e| io_error(path, e))?;
        return Ok(Some((
            EntryKind::Symlink,
            target.as_os_str().as_bytes().to_vec(),
        )));
    }
    if !ft.is_file() {
        return Ok(None);
    }
    let data = fs::read(path).map_err(|e| io_error(path, e))?;
    let kind = if meta.permissions().mode() & 0o111 != 0 {
        EntryKind::Executable
    } else {
        EntryKind::File
    };
    Ok(Some((kind, data)))
}

/// A blob for `data`, reusing `previous` (the other side's blob at the same path) when the
/// bytes are the same, so unchanged files are shared between the sides.
pub(crate) fn share(data: Vec<u8>, previous: Option<&Arc<Blob>>) -> Arc<Blob> {
    match previous {
        Some(p) if p.data() == Some(&data[..]) => p.clone(),
        _ => Arc::new(Blob::new(None, data)),
    }
}

/// Every file under `root` (recursively, `.git` directories skipped), as a tree. When
/// `other` is given, blobs identical to its blob at the same path are shared.
pub(crate) fn read_dir_tree(root: &Path, other: Option<&Tree>) -> Result<Tree, InputError> {
    let meta = fs::metadata(root).map_err(|e| io_error(root, e))?;
    if !meta.is_dir() {
        return Err(InputError::Io {
            path: root.display().to_string(),
            message: "not a directory".into(),
        });
    }
    let mut tree = Tree::default();
    let walker = walkdir::WalkDir::new(root)
        .follow_links(false)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || e.file_name() != ".git");
    for entry in walker {
        let entry = entry.map_err(|e| {
            let path = e.path().unwrap_or(root).to_path_buf();
            io_error(&path, e.into())
        })?;
        if entry.file_type().is_dir() {
            continue;
        }
        let rel = entry
            .path()
            .strip_prefix(root)
            .map_err(|_| InputError::Io {
                path: entry.path().display().to_string(),
                message: "outside the directory being read".into(),
            })?;
        let rel = relative_utf8(rel)?;
        let Some((kind, data)) = read_entry(entry.path())? else {
            continue;
        };
        let previous = other.and_then(|t| t.get(&rel)).map(|e| &e.blob);
        tree.files.insert(
            rel,
            TreeEntry {
                kind,
                blob: share(data, previous),
            },
        );
    }
    Ok(tree)
}

/// A relative path as a `/`-separated UTF-8 string.
pub(crate) fn relative_utf8(rel: &Path) -> Result<String, InputError> {
    let s = rel.to_str().ok_or_else(|| InputError::NonUtf8Path {
        path: rel.display().to_string(),
    })?;
    Ok(s.replace(std::path::MAIN_SEPARATOR, "/"))
}

/// The files under `root` as one revision, for the commands that read a single tree
/// (`resources`): paths relative to `root`, entries whose name starts with `.` below it
/// left out (`.git`, editor and CI files), symlinks not followed.
pub fn read_directory(root: &Path) -> Result<Tree, InputError> {
    if !root.is_dir() {
        return Err(InputError::Io {
            path: root.display().to_string(),
            message: "not a directory".into(),
        });
    }
    let mut tree = Tree::default();
    add_visible(&mut tree, root, root)?;
    Ok(tree)
}

/// The files named (each a file, or a directory read like [`read_directory`]) as one
/// revision, keyed by the path as given (`./` removed). A name that is not a regular
/// file, a directory or a symlink (a FIFO, a device) is an error; below a directory such
/// entries are skipped.
pub fn read_paths(paths: &[PathBuf]) -> Result<Tree, InputError> {
    let mut tree = Tree::default();
    for p in paths {
        if !p.exists() {
            return Err(InputError::Io {
                path: p.display().to_string(),
                message: "no such file or directory".into(),
            });
        }
        add_visible(&mut tree, Path::new("."), p)?;
    }
    Ok(tree)
}

/// `path` relative to `base` as a tree key: `/`-separated, `./` removed, lossily decoded.
fn key(base: &Path, path: &Path) -> String {
    let s = path
        .strip_prefix(base)
        .unwrap_or(path)
        .to_string_lossy()
        .replace('\\', "/");
    s.trim_start_matches("./").to_string()
}

/// Every file at or under `path` that is not hidden, keyed relative to `base`.
fn add_visible(tree: &mut Tree, base: &Path, path: &Path) -> Result<(), InputError> {
    let walker = walkdir::WalkDir::new(path)
        .follow_links(false)
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'));
    for entry in walker {
        let entry = entry.map_err(|e| InputError::Io {
            path: e
                .path()
                .map(|p| p.display().to_string())
                .unwrap_or_default(),
            message: e
                .into_io_error()
                .unwrap_or_else(|| std::io::Error::other("directory loop"))
                .to_string(),
        })?;
        let ft = entry.file_type();
        if ft.is_dir() {
            continue;
        }
        if !ft.is_file() && !ft.is_symlink() {
            // FIFOs, sockets, devices: reading one could block forever, and none is a
            // repository file. Named on the command line, it is an error.
            if entry.depth() == 0 {
                return Err(InputError::Io {
                    path: entry.path().display().to_string(),
                    message: "not a regular file".into(),
                });
            }
            continue;
        }
        let Some((kind, data)) = read_entry(entry.path())? else {
            continue;
        };
        tree.files.insert(
            key(base, entry.path()),
            TreeEntry {
                kind,
                blob: Arc::new(Blob::new(None, data)),
            },
        );
    }
    Ok(())
}
