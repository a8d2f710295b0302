//! Loading snapshot files for `check`: every field is validated, since the files come
//! from other machines and may be damaged, truncated or hostile. A bad file stops the
//! check with one paragraph (exit status 2): a check that silently ignored a host would
//! vouch for it.

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use miette::Diagnostic;
use thiserror::Error;

use super::host::{normalize, Entry, Snapshot};
use super::schema::{EntryRecord, EntryType, SnapshotFile, FORMAT, VERSION};
use super::Hosts;

/// The largest snapshot file read (a host's `/usr` of 100,000 files is about 15 MB).
pub const MAX_FILE_SIZE: u64 = 256 * 1024 * 1024;
/// The most snapshot files one check reads.
pub const MAX_FILES: usize = 10_000;
/// How far in the future a snapshot may be dated (clock skew between hosts).
const FUTURE_SLACK: i64 = 3600;
/// Longest path or link target accepted (Linux's `PATH_MAX`).
const MAX_PATH: usize = 4096;

/// A snapshot that cannot be used.
#[derive(Debug, Error, Diagnostic)]
#[error("cannot use the host snapshot {file}: {reason}")]
#[diagnostic(
    code(preflight::host_snapshot),
    help(
        "a host snapshot is the JSON file `puppet-preflight snapshot` writes on a host \
         (format {FORMAT}, version {VERSION}); take it again on that host, or leave the file \
         out of --host-snapshot and `host_snapshots`"
    )
)]
pub struct SnapshotError {
    pub file: String,
    pub reason: String,
}

impl SnapshotError {
    pub fn new(file: &Path, reason: impl Into<String>) -> SnapshotError {
        SnapshotError {
            file: printable(&file.to_string_lossy()),
            reason: reason.into(),
        }
    }
}

/// Reads every snapshot named by `paths` (files, or directories whose `*.json` files are
/// each a snapshot), as of `now`, judging them stale beyond `max_age` seconds.
pub fn load(paths: &[PathBuf], now: i64, max_age: u64) -> Result<Hosts, SnapshotError> {
    let mut files: Vec<PathBuf> = Vec::new();
    for p in paths {
        let meta = std::fs::metadata(p)
            .map_err(|e| SnapshotError::new(p, format!("it cannot be read ({e})")))?;
        if meta.is_dir() {
            let rd = std::fs::read_dir(p).map_err(|e| {
                SnapshotError::new(p, format!("the directory cannot be read ({e})"))
            })?;
            let mut found: Vec<PathBuf> = Vec::new();
            for entry in rd {
                let entry = entry.map_err(|e| {
                    SnapshotError::new(p, format!("the directory cannot be read ({e})"))
                })?;
                let path = entry.path();
                if path.extension().is_some_and(|e| e == "json") {
                    found.push(path);
                }
                if found.len() > MAX_FILES {
                    return Err(SnapshotError::new(
                        p,
                        format!("it holds more than {MAX_FILES} snapshot files"),
                    ));
                }
            }
            if found.is_empty() {
                return Err(SnapshotError::new(
                    p,
                    "the directory holds no snapshot (no *.json file)",
                ));
            }
            found.sort();
            files.extend(found);
        } else {
            files.push(p.clone());
        }
    }
    files.dedup();
    if files.len() > MAX_FILES {
        return Err(SnapshotError::new(
            &files[0],
            format!("more than {MAX_FILES} snapshot files were given"),
        ));
    }
    // Each file is parsed and indexed on its own: in parallel.
    let mut snapshots: Vec<Snapshot> = {
        use rayon::prelude::*;
        files
            .par_iter()
            .map(|f| read_file(f, now))
            .collect::<Result<_, _>>()?
    };
    let mut seen: HashMap<String, String> = HashMap::new();
    for (f, s) in files.iter().zip(&snapshots) {
        if let Some(other) = seen.insert(s.host.clone(), s.file.clone()) {
            return Err(SnapshotError::new(
                f,
                format!(
                    "host {} has another snapshot, {other}; give one snapshot per host",
                    s.host
                ),
            ));
        }
    }
    snapshots.sort_by(|a, b| a.host.cmp(&b.host));
    Ok(Hosts { snapshots, max_age })
}

/// One snapshot file.
pub fn read_file(path: &Path, now: i64) -> Result<Snapshot, SnapshotError> {
    let err = |reason: String| SnapshotError::new(path, reason);
    let meta = std::fs::metadata(path).map_err(|e| err(format!("it cannot be read ({e})")))?;
    if !meta.is_file() {
        return Err(err("it is not a regular file".into()));
    }
    if meta.len() > MAX_FILE_SIZE {
        return Err(err(format!(
            "it is {} bytes, more than the {MAX_FILE_SIZE} a snapshot may have",
            meta.len()
        )));
    }
    let mut data = Vec::with_capacity(meta.len() as usize);
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_FILE_SIZE + 1).read_to_end(&mut data))
        .map_err(|e| err(format!("it cannot be read ({e})")))?;
    if data.len() as u64 > MAX_FILE_SIZE {
        return Err(err(format!("it is larger than {MAX_FILE_SIZE} bytes")));
    }
    from_bytes(&data, &path.to_string_lossy(), now).map_err(err)
}

/// Parses and validates snapshot JSON; `file` names it in the result.
pub fn from_bytes(data: &[u8], file: &str, now: i64) -> Result<Snapshot, String> {
    // One parse of the whole file. When it fails, or names another format or version,
    // the header alone says which (another format or version is named as such rather
    // than as a missing field).
    let parsed: Result<SnapshotFile, _> = serde_json::from_slice(data);
    let header_ok = matches!(&parsed, Ok(raw) if raw.format == FORMAT && raw.version == VERSION);
    if !header_ok {
        check_header(data)?;
    }
    let raw = parsed.map_err(|e| format!("it is not valid snapshot JSON ({e})"))?;
    validate_host(&raw.host)?;
    let taken_at = super::time::parse(&raw.taken_at).ok_or_else(|| {
        format!(
            "`taken_at` is {:?}, not a UTC time such as 2024-05-01T12:00:00Z",
            printable(&raw.taken_at)
        )
    })?;
    if taken_at > now + FUTURE_SLACK {
        return Err(format!(
            "it is dated {}, in the future (is the host's or this machine's clock wrong?)",
            raw.taken_at
        ));
    }
    let mut snap = Snapshot {
        host: raw.host,
        taken_at,
        file: printable(file),
        age: u64::try_from(now - taken_at).unwrap_or(0),
        ..Snapshot::default()
    };
    for d in raw.dirs {
        validate_path(&d.path, "a directory")?;
        snap.dirs.push((d.path, d.complete));
    }
    snap.entries.reserve(raw.entries.len());
    for (i, e) in raw.entries.into_iter().enumerate() {
        let path = e.path.clone();
        let entry = validate_entry(e)
            .map_err(|why| format!("entry {} ({}): {why}", i + 1, printable(&path)))?;
        if let Some(h) = &entry.sha256 {
            if entry.kind == EntryType::File {
                snap.by_hash
                    .entry(h.clone())
                    .or_default()
                    .push(path.clone());
            }
        }
        if snap.entries.insert(path.clone(), entry).is_some() {
            return Err(format!("the path {} is listed twice", printable(&path)));
        }
    }
    Ok(snap)
}

/// The reason a document is not a snapshot this build reads, from its `format` and
/// `version` alone; `Ok` when those are right (the error is then elsewhere).
fn check_header(data: &[u8]) -> Result<(), String> {
    #[derive(serde::Deserialize)]
    struct Header {
        format: Option<serde_json::Value>,
        version: Option<serde_json::Value>,
    }
    let header: Header =
        serde_json::from_slice(data).map_err(|e| format!("it is not valid snapshot JSON ({e})"))?;
    if header.format.as_ref().and_then(|v| v.as_str()) != Some(FORMAT) {
        return Err(format!(
            "it is not a puppet-preflight host snapshot (`format` is not \"{FORMAT}\")"
        ));
    }
    match header.version.as_ref().and_then(serde_json::Value::as_u64) {
        Some(v) if v == u64::from(VERSION) => Ok(()),
        Some(v) => Err(format!(
            "it has format version {v}, and this build of puppet-preflight reads version \
             {VERSION}"
        )),
        None => Err("its `version` is missing or not a number".into()),
    }
}

pub fn validate_host(host: &str) -> Result<(), String> {
    let ok = !host.is_empty()
        && host.len() <= 253
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "its host name {:?} is not a host name (letters, digits, '.', '-', '_'; at most 253)",
            printable(host)
        ))
    }
}

/// An absolute, normalised path without control characters.
fn validate_path(path: &str, what: &str) -> Result<(), String> {
    if !path.starts_with('/') {
        return Err(format!("{what} path {:?} is not absolute", printable(path)));
    }
    if path.len() > MAX_PATH {
        return Err(format!("{what} path is longer than {MAX_PATH} bytes"));
    }
    if path.chars().any(char::is_control) {
        return Err(format!(
            "{what} path {:?} holds control characters",
            printable(path)
        ));
    }
    if normalize(path) != path {
        return Err(format!(
            "{what} path {:?} is not normalised (`.`, `..`, `//` or a trailing `/`)",
            printable(path)
        ));
    }
    Ok(())
}

fn validate_entry(e: EntryRecord) -> Result<Entry, String> {
    validate_path(&e.path, "the")?;
    let mode = match &e.mode {
        None => None,
        Some(m) => Some(
            u32::from_str_radix(m, 8)
                .ok()
                .filter(|&v| v <= 0o7777 && !m.is_empty() && m.len() <= 6)
                .ok_or_else(|| format!("mode {:?} is not octal permission bits", printable(m)))?,
        ),
    };
    if let Some(t) = &e.target {
        if t.is_empty() || t.len() > MAX_PATH || t.chars().any(char::is_control) {
            return Err(format!("link target {:?} is not a path", printable(t)));
        }
    }
    if e.kind == EntryType::Link && e.target.is_none() {
        return Err("a link without a target".into());
    }
    if let Some(h) = &e.sha256 {
        if h.len() != 64
            || !h
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            return Err("sha256 is not 64 lowercase hexadecimal digits".into());
        }
    }
    if let Some(p) = &e.package {
        let ok = !p.is_empty()
            && p.len() <= 128
            && p.bytes().all(|b| {
                b.is_ascii_lowercase()
                    || b.is_ascii_digit()
                    || matches!(b, b'+' | b'-' | b'.' | b':')
            });
        if !ok {
            return Err(format!(
                "package {:?} is not a Debian package name",
                printable(p)
            ));
        }
    }
    for text in [&e.owner, &e.interpreter].into_iter().flatten() {
        if text.len() > 256 || text.chars().any(char::is_control) {
            return Err(format!(
                "{:?} holds control characters or is too long",
                printable(text)
            ));
        }
    }
    let exec_start = e.exec_start.unwrap_or_default();
    for x in &exec_start {
        validate_path(x, "an ExecStart")?;
    }
    Ok(Entry {
        kind: e.kind,
        size: e.size,
        mode,
        owner: e.owner,
        target: e.target,
        content: e.content,
        interpreter: e.interpreter,
        sha256: e.sha256,
        package: e.package,
        exec_start,
    })
}

/// `text` with control characters escaped, cut at 200 characters: file names and values
/// from a snapshot are shown in messages and must not drive the terminal.
pub fn printable(text: &str) -> String {
    let mut out = String::new();
    for (i, c) in text.chars().enumerate() {
        if i == 200 {
            out.push('…');
            break;
        }
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_700_000_000;

    fn doc(entries: &str) -> String {
        format!(
            r#"{{"format":"{FORMAT}","version":1,"host":"h1","taken_at":"2023-11-14T22:00:00Z","dirs":[{{"path":"/usr/bin","complete":true}}],"entries":[{entries}]}}"#
        )
    }

    #[test]
    fn reads_a_valid_snapshot() {
        let s = from_bytes(
            doc(r#"{"path":"/usr/bin/a","type":"file","size":0,"mode":"0755"}"#).as_bytes(),
            "a.json",
            NOW,
        )
        .unwrap();
        assert_eq!(s.host, "h1");
        assert_eq!(s.entries["/usr/bin/a"].mode, Some(0o755));
        assert_eq!(s.age, NOW as u64 - 1_699_999_200);
    }

    #[test]
    fn refuses_hostile_or_broken_snapshots() {
        let cases: &[(&str, String)] = &[
            ("not JSON", "{\"format\":".into()),
            ("another format", r#"{"format":"x","version":1}"#.into()),
            (
                "another version",
                format!(r#"{{"format":"{FORMAT}","version":9}}"#),
            ),
            (
                "relative path",
                doc(r#"{"path":"usr/bin/a","type":"file"}"#),
            ),
            ("dot-dot", doc(r#"{"path":"/usr/bin/../a","type":"file"}"#)),
            (
                "escape in path",
                doc(r#"{"path":"/usr/bin/\u001b[31m","type":"file"}"#),
            ),
            (
                "bad mode",
                doc(r#"{"path":"/usr/bin/a","type":"file","mode":"rwx"}"#),
            ),
            ("bad type", doc(r#"{"path":"/usr/bin/a","type":"socket"}"#)),
            (
                "duplicate",
                doc(r#"{"path":"/a","type":"file"},{"path":"/a","type":"dir"}"#),
            ),
            ("link without target", doc(r#"{"path":"/a","type":"link"}"#)),
            (
                "bad hash",
                doc(r#"{"path":"/a","type":"file","sha256":"xyz"}"#),
            ),
            (
                "bad package",
                doc(r#"{"path":"/a","type":"file","package":"Foo Bar"}"#),
            ),
            ("deep nesting", "[".repeat(100_000)),
        ];
        for (label, text) in cases {
            let e = from_bytes(text.as_bytes(), "a.json", NOW).unwrap_err();
            assert!(!e.is_empty(), "{label}");
            assert!(!e.contains('\u{1b}'), "{label}: {e}");
        }
        let host = doc("").replace("\"h1\"", "\"evil\\u001b]0;x\"");
        assert!(from_bytes(host.as_bytes(), "a.json", NOW)
            .unwrap_err()
            .contains("not a host name"));
        let future = doc("").replace("2023-11-14", "2030-01-01");
        assert!(from_bytes(future.as_bytes(), "a.json", NOW)
            .unwrap_err()
            .contains("in the future"));
    }
}
