//! Taking a snapshot of a root directory (`/` on a host, or a mounted image or test tree):
//! the directories that matter, walked without following links, plus the paths asked for
//! and the targets of the links found.
//!
//! Bounds: links are never followed out of the root (an absolute target is read under
//! the root, `..` stops at it), only executables are read (their first bytes and a
//! SHA-256, up to [`MAX_HASH`]) and unit files (for `ExecStart=`), at most [`MAX_ENTRIES`] paths are recorded
//! and walks stop [`MAX_DEPTH`] levels down. No subprocess is run: owners come from the
//! root's `/etc/passwd` and `/etc/group`, packages from `/var/lib/dpkg/info/*.list`.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::ffi::OsString;
use std::fs::Metadata;
use std::io::Read;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use sha2::{Digest, Sha256};

use super::host::normalize;
use super::schema::{
    ContentKind, DirRecord, EntryRecord, EntryType, SnapshotFile, Tool, FORMAT, VERSION,
};

/// The directories walked by default.
pub const DEFAULT_DIRS: &[&str] = &[
    "/usr/bin",
    "/usr/sbin",
    "/usr/local/bin",
    "/usr/local/sbin",
    "/opt",
    "/lib/systemd/system",
    "/etc/systemd/system",
];
/// The most paths one snapshot records; a walk that reaches it is marked incomplete.
pub const MAX_ENTRIES: usize = 2_000_000;
/// How deep a walk goes below each directory.
pub const MAX_DEPTH: usize = 32;
/// Links followed while resolving one path under the root.
const MAX_LINKS: usize = 40;
/// Bytes of an executable read to tell what it is.
const SNIFF: usize = 512;
/// Executables larger than this are not hashed (their kind is still read): one such file
/// would cost more than the rest of a host together.
const MAX_HASH: u64 = 512 * 1024 * 1024;
/// Unit files larger than this are not read.
const MAX_UNIT: u64 = 1024 * 1024;
/// Rounds of following link targets outside the walked directories.
const TARGET_ROUNDS: usize = 8;

/// What to snapshot.
#[derive(Clone, Debug)]
pub struct Options {
    /// The directory that stands for `/`.
    pub root: PathBuf,
    /// Absolute host paths of the directories to walk.
    pub dirs: Vec<String>,
    /// More absolute host paths to record (each on its own, not walked).
    pub extra: Vec<String>,
    pub host: String,
    /// Seconds since the epoch.
    pub now: i64,
}

/// A failure to take the snapshot (the root cannot be read).
#[derive(Debug)]
pub struct WalkError(pub String);

/// Takes the snapshot.
pub fn take(opts: &Options) -> Result<SnapshotFile, WalkError> {
    let root = &opts.root;
    if !root.is_dir() {
        return Err(WalkError(format!("{} is not a directory", root.display())));
    }
    let packages = read_dpkg_lists(root);
    let users = read_names(root, "/etc/passwd");
    let groups = read_names(root, "/etc/group");

    // Collect (host path, file system path, metadata), walking each directory.
    let mut found: BTreeMap<String, Found> = BTreeMap::new();
    let mut dirs: Vec<DirRecord> = Vec::new();
    let mut full = false;
    for dir in &opts.dirs {
        let dir = normalize(dir);
        let mut complete = true;
        match resolve_in_root(root, &dir).map(|real| (std::fs::symlink_metadata(&real), real)) {
            // A loop of links, or a directory that cannot be read: nothing can be said
            // about what is (not) below it.
            None => complete = false,
            Some((Err(e), _)) => complete = e.kind() == std::io::ErrorKind::NotFound,
            Some((Ok(meta), real)) => {
                if meta.is_dir() {
                    let walker = walkdir::WalkDir::new(&real)
                        .follow_links(false)
                        .max_depth(MAX_DEPTH)
                        .min_depth(1);
                    for entry in walker {
                        let Ok(entry) = entry else {
                            complete = false;
                            continue;
                        };
                        if found.len() >= MAX_ENTRIES {
                            complete = false;
                            full = true;
                            break;
                        }
                        if entry.depth() == MAX_DEPTH && entry.file_type().is_dir() {
                            complete = false;
                        }
                        let Ok(rel) = entry.path().strip_prefix(&real) else {
                            continue;
                        };
                        let Some(rel) = rel.to_str() else {
                            // A name that is not UTF-8 cannot be written in JSON as is.
                            complete = false;
                            continue;
                        };
                        let Ok(meta) = entry.metadata() else {
                            complete = false;
                            continue;
                        };
                        let host_path = if dir == "/" {
                            format!("/{rel}")
                        } else {
                            format!("{dir}/{rel}")
                        };
                        found.insert(
                            host_path,
                            Found {
                                fs: entry.path().to_path_buf(),
                                meta: Some(meta),
                            },
                        );
                    }
                } else {
                    // Not a directory: recorded on its own.
                    found.insert(
                        dir.clone(),
                        Found {
                            fs: real,
                            meta: Some(meta),
                        },
                    );
                }
            }
        }
        dirs.push(DirRecord {
            path: dir,
            complete,
        });
    }

    // Paths asked for, then the targets of links that lie outside what was walked.
    let mut wanted: BTreeSet<String> = opts.extra.iter().map(|p| normalize(p)).collect();
    for _ in 0..TARGET_ROUNDS {
        for p in std::mem::take(&mut wanted) {
            if found.contains_key(&p) || full {
                continue;
            }
            // A loop of links on the way, or an unreadable directory: not recorded (the
            // check then knows nothing about the path), never recorded as missing.
            let Some(parent) = resolve_in_root(root, parent_of(&p)) else {
                continue;
            };
            let fs = parent.join(name_of(&p));
            let meta = match std::fs::symlink_metadata(&fs) {
                Ok(m) => Some(m),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
                Err(_) => continue,
            };
            found.insert(p, Found { fs, meta });
            full = found.len() >= MAX_ENTRIES;
        }
        for (p, f) in &found {
            let Some(meta) = &f.meta else { continue };
            if !meta.file_type().is_symlink() {
                continue;
            }
            let Some(target) = read_link(&f.fs) else {
                continue;
            };
            let abs = if target.starts_with('/') {
                normalize(&target)
            } else {
                normalize(&format!("{}/{target}", parent_of(p)))
            };
            let walked = dirs
                .iter()
                .any(|d| abs.starts_with(&format!("{}/", d.path)) || abs == d.path);
            if !walked && !found.contains_key(&abs) {
                wanted.insert(abs);
            }
        }
        if wanted.is_empty() {
            break;
        }
    }

    let mut entries: Vec<EntryRecord> = found
        .into_par_iter()
        .map(|(path, f)| record(path, &f, &packages, &users, &groups))
        .collect();
    entries.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(SnapshotFile {
        format: FORMAT.into(),
        version: VERSION,
        host: opts.host.clone(),
        taken_at: super::time::format(opts.now),
        tool: Some(Tool {
            name: env!("CARGO_PKG_NAME").into(),
            version: env!("CARGO_PKG_VERSION").into(),
        }),
        dirs,
        entries,
    })
}

/// One found path: where it is on the file system and its `lstat`, if it exists.
struct Found {
    fs: PathBuf,
    meta: Option<Metadata>,
}

fn record(
    path: String,
    f: &Found,
    packages: &HashMap<String, String>,
    users: &HashMap<u32, String>,
    groups: &HashMap<u32, String>,
) -> EntryRecord {
    let Some(meta) = &f.meta else {
        return EntryRecord {
            path,
            kind: EntryType::Missing,
            ..EntryRecord::default()
        };
    };
    let ft = meta.file_type();
    let kind = if ft.is_symlink() {
        EntryType::Link
    } else if ft.is_dir() {
        EntryType::Dir
    } else if ft.is_file() {
        EntryType::File
    } else {
        EntryType::Other
    };
    let mode = meta.permissions().mode() & 0o7777;
    let mut e = EntryRecord {
        kind,
        mode: (kind != EntryType::Link).then(|| format!("{mode:04o}")),
        uid: Some(meta.uid()),
        gid: Some(meta.gid()),
        owner: users.get(&meta.uid()).cloned(),
        group: groups.get(&meta.gid()).cloned(),
        package: package_of(packages, &path),
        ..EntryRecord::default()
    };
    match kind {
        EntryType::Link => e.target = read_link(&f.fs),
        EntryType::File => {
            e.size = Some(meta.len());
            if meta.len() == 0 {
                e.content = Some(ContentKind::Empty);
            } else if mode & 0o111 != 0 {
                let hash = meta.len() <= MAX_HASH;
                if let Some((content, interpreter, sha)) = sniff_and_hash(&f.fs, hash) {
                    e.content = Some(content);
                    e.interpreter = interpreter;
                    e.sha256 = sha;
                }
            }
            if is_unit_file(&path) && meta.len() <= MAX_UNIT {
                e.exec_start = unit_exec_start(&f.fs, &path);
            }
        }
        _ => {}
    }
    e.path = path;
    e
}

/// Whether `path` is a service unit in a systemd unit directory.
fn is_unit_file(path: &str) -> bool {
    path.contains("/systemd/") && path.ends_with(".service")
}

/// The executables of the `ExecStart=` lines that take effect, through
/// [`crate::analysis::systemd`].
fn unit_exec_start(fs: &Path, path: &str) -> Option<Vec<String>> {
    use crate::analysis::systemd;
    use crate::analysis::template::TemplateKind;
    let mut text = String::new();
    std::fs::File::open(fs)
        .ok()?
        .take(MAX_UNIT)
        .read_to_string(&mut text)
        .ok()?;
    let unit = systemd::parse_unit(&text, TemplateKind::from_path(path));
    let paths: Vec<String> = unit
        .exec_start()
        .iter()
        .filter_map(|c| c.path.known())
        .filter(|p| p.starts_with('/') && !p.chars().any(char::is_control))
        .map(normalize)
        .collect();
    Some(paths)
}

/// What an executable is, and its SHA-256: the first bytes tell the kind, the whole
/// content is hashed in one pass.
fn sniff_and_hash(fs: &Path, hash: bool) -> Option<(ContentKind, Option<String>, Option<String>)> {
    let mut file = std::fs::File::open(fs).ok()?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut head: Vec<u8> = Vec::with_capacity(SNIFF);
    loop {
        let n = match file.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => return None,
        };
        if head.len() < SNIFF {
            let take = (SNIFF - head.len()).min(n);
            head.extend_from_slice(&buf[..take]);
        }
        if !hash {
            break;
        }
        hasher.update(&buf[..n]);
    }
    let sha = hash.then(|| {
        hasher
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    });
    let (kind, interpreter) = content_kind(&head);
    Some((kind, interpreter, sha))
}

/// The kind of content from its first bytes, and a script's `#!` line.
pub fn content_kind(head: &[u8]) -> (ContentKind, Option<String>) {
    if head.is_empty() {
        return (ContentKind::Empty, None);
    }
    if head.starts_with(b"\x7fELF") {
        return (ContentKind::Elf, None);
    }
    if let Some(rest) = head.strip_prefix(b"#!") {
        let line = rest.split(|&b| b == b'\n').next().unwrap_or(rest);
        let line = String::from_utf8_lossy(&line[..line.len().min(200)]);
        let line: String = line.trim().chars().filter(|c| !c.is_control()).collect();
        return (ContentKind::Script, Some(line));
    }
    let text = match std::str::from_utf8(head) {
        Ok(_) => true,
        // A multi-byte character cut by the end of what was read is still text.
        Err(e) => e.error_len().is_none(),
    };
    if text && !head.contains(&0) {
        (ContentKind::Text, None)
    } else {
        (ContentKind::Data, None)
    }
}

fn read_link(fs: &Path) -> Option<String> {
    std::fs::read_link(fs)
        .ok()?
        .to_str()
        .filter(|t| !t.is_empty() && !t.chars().any(char::is_control))
        .map(str::to_owned)
}

fn parent_of(path: &str) -> &str {
    match path.rfind('/') {
        Some(0) | None => "/",
        Some(i) => &path[..i],
    }
}

fn name_of(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or("")
}

/// The file-system path of host path `path` under `root`, following links on the way as
/// the host would, but never out of the root: an absolute target starts again at the
/// root, `..` stops at it. The last component is resolved too when it is a link. `None`
/// for a loop of links.
pub fn resolve_in_root(root: &Path, path: &str) -> Option<PathBuf> {
    let mut todo: VecDeque<OsString> = path
        .split('/')
        .filter(|c| !c.is_empty())
        .map(OsString::from)
        .collect();
    let mut done: Vec<OsString> = Vec::new();
    let mut links = 0;
    while let Some(c) = todo.pop_front() {
        if c == "." {
            continue;
        }
        if c == ".." {
            done.pop();
            continue;
        }
        let mut fs = root.to_path_buf();
        fs.extend(&done);
        fs.push(&c);
        match std::fs::symlink_metadata(&fs) {
            Ok(m) if m.file_type().is_symlink() => {
                links += 1;
                if links > MAX_LINKS {
                    return None;
                }
                let target = std::fs::read_link(&fs).ok()?;
                if target.is_absolute() {
                    done.clear();
                }
                for part in target.components().rev() {
                    use std::path::Component;
                    match part {
                        Component::Normal(n) => todo.push_front(n.to_os_string()),
                        Component::ParentDir => todo.push_front("..".into()),
                        _ => {}
                    }
                }
            }
            _ => done.push(c),
        }
    }
    let mut fs = root.to_path_buf();
    fs.extend(&done);
    Some(fs)
}

/// Path -> package, from the root's `/var/lib/dpkg/info/*.list` files.
fn read_dpkg_lists(root: &Path) -> HashMap<String, String> {
    let mut out = HashMap::new();
    let Some(dir) = resolve_in_root(root, "/var/lib/dpkg/info") else {
        return out;
    };
    let Ok(rd) = std::fs::read_dir(&dir) else {
        return out;
    };
    let mut lists: Vec<(String, PathBuf)> = rd
        .filter_map(Result::ok)
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            let pkg = name.strip_suffix(".list")?;
            let pkg = pkg.split(':').next().unwrap_or(pkg).to_string();
            e.file_type().ok()?.is_file().then(|| (pkg, e.path()))
        })
        .collect();
    lists.sort();
    for (pkg, path) in lists {
        let mut text = String::new();
        let read = std::fs::File::open(&path)
            .and_then(|f| f.take(64 * 1024 * 1024).read_to_string(&mut text));
        if read.is_err() {
            continue;
        }
        for line in text.lines() {
            if line.starts_with('/') && line != "/." {
                out.entry(line.to_string()).or_insert_with(|| pkg.clone());
            }
        }
    }
    out
}

/// The package owning `path`; on a merged-`/usr` host dpkg may list `/bin/x` for
/// `/usr/bin/x` and the other way round.
fn package_of(packages: &HashMap<String, String>, path: &str) -> Option<String> {
    if packages.is_empty() {
        return None;
    }
    if let Some(p) = packages.get(path) {
        return Some(p.clone());
    }
    let alias = if let Some(rest) = path.strip_prefix("/usr") {
        ["/bin/", "/sbin/", "/lib/"]
            .iter()
            .any(|d| rest.starts_with(d))
            .then(|| rest.to_string())
    } else {
        ["/bin/", "/sbin/", "/lib/"]
            .iter()
            .any(|d| path.starts_with(d))
            .then(|| format!("/usr{path}"))
    };
    alias.and_then(|a| packages.get(&a).cloned())
}

/// Id -> name from a `passwd`- or `group`-style file under the root.
fn read_names(root: &Path, file: &str) -> HashMap<u32, String> {
    let mut out = HashMap::new();
    let Some(path) = resolve_in_root(root, file) else {
        return out;
    };
    let mut text = String::new();
    if std::fs::File::open(path)
        .and_then(|f| f.take(16 * 1024 * 1024).read_to_string(&mut text))
        .is_err()
    {
        return out;
    }
    for line in text.lines() {
        let mut parts = line.split(':');
        let (Some(name), _, Some(id)) = (parts.next(), parts.next(), parts.next()) else {
            continue;
        };
        if let Ok(id) = id.parse() {
            if !name.is_empty() && !name.chars().any(char::is_control) && name.len() <= 64 {
                out.entry(id).or_insert_with(|| name.to_string());
            }
        }
    }
    out
}

/// The snapshot as JSON: the header on the first line, then one entry per line (small
/// diffs between two snapshots of a host, and `grep` works).
pub fn to_json(s: &SnapshotFile) -> String {
    let mut head = s.clone();
    let entries = std::mem::take(&mut head.entries);
    let header = serde_json::to_string(&head).unwrap_or_default();
    // `..."entries":[]}` -> open the array and write one entry per line.
    let open = header
        .strip_suffix("[]}")
        .map(str::to_owned)
        .unwrap_or_else(|| header.clone());
    let mut out = String::with_capacity(entries.len() * 160 + open.len() + 8);
    out.push_str(&open);
    out.push_str("[\n");
    for (i, e) in entries.iter().enumerate() {
        if i > 0 {
            out.push_str(",\n");
        }
        out.push_str(&serde_json::to_string(e).unwrap_or_default());
    }
    out.push_str("\n]}\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_kinds() {
        assert_eq!(content_kind(b"\x7fELF\x02\x01").0, ContentKind::Elf);
        assert_eq!(
            content_kind(b"#!/usr/bin/env python3\nprint()\n"),
            (ContentKind::Script, Some("/usr/bin/env python3".into()))
        );
        assert_eq!(content_kind(b"hello\n").0, ContentKind::Text);
        assert_eq!(content_kind(b"\x00\x01\x02").0, ContentKind::Data);
        assert_eq!(
            content_kind("é".as_bytes()[..1].as_ref()).0,
            ContentKind::Text
        );
    }

    #[test]
    fn merged_usr_package_names() {
        let mut p = HashMap::new();
        p.insert("/bin/ls".to_string(), "coreutils".to_string());
        assert_eq!(package_of(&p, "/usr/bin/ls").as_deref(), Some("coreutils"));
        assert_eq!(package_of(&p, "/usr/local/bin/ls"), None);
    }
}
