//! The result cache of `check`: what one change gave, keyed by everything it depends on.
//!
//! A check is a pure function of both trees (every path, mode and git object id), the
//! configuration, the rule selection and the tool build. When all of these are named by
//! object ids (git revisions, the index; not the work tree, a patch or directories read
//! from disk), the findings and the summary of effects are stored under a key hashed
//! from them, and a repeated check of the same change (a CI re-run, the pre-commit hook
//! after a failed commit, `--each` over a series checked before) reads them back instead
//! of parsing and evaluating the repository again.
//!
//! - Where: `$XDG_CACHE_HOME/puppet-preflight` (else `~/.cache/puppet-preflight`), or
//!   `PUPPET_PREFLIGHT_CACHE_DIR`; never inside the repository.
//! - Versioned: the key includes the format version, the tool version and the identity
//!   of the running executable (its size and modification time), so another build
//!   never reads this one's entries.
//! - Safe under concurrent runs: an entry is written to a temporary file in the same
//!   directory and renamed into place; readers see a whole entry or none.
//! - Bounded: after a write, when the entries exceed [`MAX_BYTES`] (or
//!   `PUPPET_PREFLIGHT_CACHE_MAX_MB`), the least recently used are deleted until they
//!   fill three quarters of it. A hit refreshes its entry's modification time.
//! - Never trusted blindly: an entry that does not parse, names an unknown rule or was
//!   written for another key is ignored (and deleted); any I/O failure of the cache only
//!   costs the time it would have saved.
//! - `--no-cache` (or `PUPPET_PREFLIGHT_NO_CACHE=1`) neither reads nor writes.
//!
//! A change with unreadable content (a partial clone) is never stored: the result could
//! change once the objects are fetched. Keys include the repository's path, so a partial
//! clone never reads what a complete clone of the same history stored.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use crate::ast::Span;
use crate::diagnostic::{Finding, Location, Related, ResourceKey, Severity, Side};
use crate::input::{Change, EntryKind};
use crate::report::{Effect, EffectKind};
use crate::rules::registry;

/// Bump when the stored format or the meaning of an entry changes.
const FORMAT: u32 = 1;

/// Default bound of the cache directory's entries.
pub const MAX_BYTES: u64 = 64 * 1024 * 1024;

/// Environment variables of the cache.
pub const DIR_VAR: &str = "PUPPET_PREFLIGHT_CACHE_DIR";
pub const OFF_VAR: &str = "PUPPET_PREFLIGHT_NO_CACHE";
pub const MAX_VAR: &str = "PUPPET_PREFLIGHT_CACHE_MAX_MB";

/// An open cache directory, or none (disabled, or no place to put it).
pub struct Cache {
    dir: Option<PathBuf>,
    max_bytes: u64,
    /// The repository the checks read (its canonical path), part of every key.
    repo: String,
}

/// What a check of one change produced, as stored.
pub struct Entry {
    pub findings: Vec<Finding>,
    pub effects: Vec<Effect>,
    pub manifests_parsed: usize,
    /// The Puppet the head revision was judged by, and why.
    pub puppet: Option<String>,
}

/// What a `--base`/`--head` check of two commits needs besides its [`Entry`], stored
/// under [`Cache::pair_key`]: with it, a repeated check of the same commits reads neither
/// tree (on a 20,000-manifest repository, listing them was most of a cached check).
#[derive(Serialize, Deserialize)]
pub struct Pointer {
    /// The pair key it is stored under (an entry under another key is not trusted).
    pub key: String,
    /// The key of the [`Entry`] (from both trees' listings and the settings).
    pub entry: String,
    pub base: String,
    pub head: String,
    pub title: Option<String>,
    /// The files the change touches: path, and the old path of a rename.
    pub files: Vec<(String, Option<String>)>,
    /// Which configuration the check used, in words.
    pub configuration: String,
    /// The lowest severity that fails the run (`None`: never).
    pub fail_level: Option<String>,
}

impl Cache {
    /// The cache for this run: disabled by `no_cache` or [`OFF_VAR`], else the directory
    /// from [`DIR_VAR`], `$XDG_CACHE_HOME` or `$HOME/.cache`.
    pub fn open(no_cache: bool, repo: &Path) -> Cache {
        let env = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty());
        let off = no_cache
            || env(OFF_VAR).is_some_and(|v| v != "0")
            // Injected failures (tests of the isolation) must really run.
            || env(crate::isolate::INJECT_VAR).is_some();
        let dir = if off {
            None
        } else if let Some(d) = env(DIR_VAR) {
            Some(PathBuf::from(d))
        } else if let Some(d) = env("XDG_CACHE_HOME").filter(|d| Path::new(d).is_absolute()) {
            Some(PathBuf::from(d).join("puppet-preflight"))
        } else {
            env("HOME").map(|h| PathBuf::from(h).join(".cache").join("puppet-preflight"))
        };
        let max_bytes = env(MAX_VAR)
            .and_then(|v| v.to_str().and_then(|s| s.parse::<u64>().ok()))
            .map_or(MAX_BYTES, |mb| mb.saturating_mul(1024 * 1024));
        Cache {
            dir,
            max_bytes,
            repo: repo.to_string_lossy().into_owned(),
        }
    }

    /// A cache in `dir` (tests).
    #[cfg(test)]
    pub fn at(dir: PathBuf, max_bytes: u64) -> Cache {
        Cache {
            dir: Some(dir),
            max_bytes,
            repo: String::new(),
        }
    }

    /// The key of checking `change` with these settings, when the change can be cached:
    /// every file of both sides is named by a git object id.
    pub fn key(&self, change: &Change, settings: &str) -> Option<String> {
        use sha2::{Digest, Sha256};
        self.dir.as_ref()?;
        // Hashed as it is listed: on a 20,000-manifest repository the listing of both
        // sides is 4 MB of text, and building it first doubled the time of a cached check.
        let mut h = Sha256::new();
        h.update(
            format!(
                "puppet-preflight {FORMAT} {}\n{}\n{}\n{settings}\n",
                env!("CARGO_PKG_VERSION"),
                build_identity()?,
                self.repo,
            )
            .as_bytes(),
        );
        for (name, rev) in [("before", &change.before), ("after", &change.after)] {
            h.update(name.as_bytes());
            h.update(b"\n");
            for (path, e) in &rev.tree.files {
                let id = e.blob.id.as_deref()?;
                let kind: &[u8] = match e.kind {
                    EntryKind::File => b"File ",
                    EntryKind::Executable => b"Executable ",
                    EntryKind::Symlink => b"Symlink ",
                    EntryKind::Submodule => b"Submodule ",
                };
                h.update(kind);
                h.update(id.as_bytes());
                h.update(b" ");
                h.update(path.as_bytes());
                h.update(b"\n");
            }
            // What the work tree has untracked is part of the result (source-missing
            // says "not tracked" rather than "does not exist").
            for path in &rev.tree.untracked {
                h.update(b"untracked ");
                h.update(path.as_bytes());
                h.update(b"\n");
            }
        }
        Some(
            h.finalize()
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>(),
        )
    }

    /// The key of a `--base`/`--head` check of the commits `pair` with these settings
    /// (the rule selection flags and an explicit configuration file's content): computed
    /// without reading either tree, it finds a [`Pointer`] to the entry the full check
    /// stored. The commits name both trees and the configuration they carry.
    pub fn pair_key(&self, pair: &crate::input::CommitPair, settings: &str) -> Option<String> {
        self.dir.as_ref()?;
        let text = format!(
            "puppet-preflight pair {FORMAT} {}\n{}\n{}\n{settings}\n{} {}\n",
            env!("CARGO_PKG_VERSION"),
            build_identity()?,
            self.repo,
            pair.base,
            pair.head,
        );
        let oid = git2::Oid::hash_object(git2::ObjectType::Blob, text.as_bytes()).ok()?;
        Some(oid.to_string())
    }

    /// The pointer stored under `key`, if there is a sound one.
    pub fn get_pointer(&self, key: &str) -> Option<Pointer> {
        let path = self.path_of(key)?;
        let bytes = std::fs::read(&path).ok()?;
        match serde_json::from_slice::<Pointer>(&bytes) {
            Ok(p) if p.key == key => Some(p),
            _ => {
                let _ = std::fs::remove_file(&path);
                None
            }
        }
    }

    /// Store `pointer` under its key; failures are ignored.
    pub fn put_pointer(&self, pointer: &Pointer) {
        if let Ok(bytes) = serde_json::to_vec(pointer) {
            self.write(&pointer.key, &bytes);
        }
    }

    fn path_of(&self, key: &str) -> Option<PathBuf> {
        let dir = self.dir.as_ref()?;
        (key.len() > 2).then(|| dir.join(&key[..2]).join(format!("{}.json", &key[2..])))
    }

    /// The stored result for `key`, if there is a sound one.
    pub fn get(&self, key: &str) -> Option<Entry> {
        let path = self.path_of(key)?;
        let bytes = std::fs::read(&path).ok()?;
        match decode(&bytes, key) {
            Some(entry) => {
                // Recently used: eviction goes by modification time.
                if let Ok(f) = std::fs::File::options().write(true).open(&path) {
                    let _ = f.set_modified(SystemTime::now());
                }
                Some(entry)
            }
            None => {
                let _ = std::fs::remove_file(&path);
                None
            }
        }
    }

    /// Store `entry` under `key`; failures are ignored (the cache only saves time).
    pub fn put(&self, key: &str, entry: &Entry) {
        if let Ok(bytes) = serde_json::to_vec(&encode(entry, key)) {
            self.write(key, &bytes);
        }
    }

    /// Write `bytes` as the file of `key`: to a temporary file renamed into place, so
    /// that a concurrent reader sees all of it or nothing. Then evict.
    fn write(&self, key: &str, bytes: &[u8]) {
        let Some(path) = self.path_of(key) else {
            return;
        };
        let Some(parent) = path.parent() else { return };
        if std::fs::create_dir_all(parent).is_err() {
            return;
        }
        let tmp = parent.join(format!(
            ".tmp-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let written = std::fs::File::create(&tmp)
            .and_then(|mut f| f.write_all(bytes))
            .and_then(|()| std::fs::rename(&tmp, &path));
        if written.is_err() {
            let _ = std::fs::remove_file(&tmp);
            return;
        }
        self.evict();
    }

    /// Delete the least recently used entries while they exceed the bound.
    fn evict(&self) {
        let Some(dir) = &self.dir else { return };
        let mut entries: Vec<(SystemTime, u64, PathBuf)> = walkdir::WalkDir::new(dir)
            .min_depth(2)
            .max_depth(2)
            .into_iter()
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_file())
            .filter_map(|e| {
                let md = e.metadata().ok()?;
                Some((md.modified().ok()?, md.len(), e.into_path()))
            })
            .collect();
        let total: u64 = entries.iter().map(|e| e.1).sum();
        if total <= self.max_bytes {
            return;
        }
        entries.sort();
        let mut left = total;
        for (_, len, path) in entries {
            if left <= self.max_bytes / 4 * 3 {
                break;
            }
            if std::fs::remove_file(&path).is_ok() {
                left -= len;
            }
        }
    }
}

/// Identifies the running executable, so that entries of another build are not read.
fn build_identity() -> Option<String> {
    let exe = std::env::current_exe().ok()?;
    let md = std::fs::metadata(exe).ok()?;
    let mtime = md
        .modified()
        .ok()?
        .duration_since(SystemTime::UNIX_EPOCH)
        .ok()?;
    Some(format!("{} {}", md.len(), mtime.as_nanos()))
}

// ----- the stored form -----

#[derive(Serialize, Deserialize)]
struct Stored {
    key: String,
    manifests_parsed: usize,
    #[serde(default)]
    puppet: Option<String>,
    findings: Vec<StoredFinding>,
    effects: Vec<StoredEffect>,
}

#[derive(Serialize, Deserialize)]
struct StoredLocation {
    after: bool,
    file: String,
    start: u32,
    end: u32,
}

#[derive(Serialize, Deserialize)]
struct StoredFinding {
    rule: String,
    severity: String,
    location: StoredLocation,
    resource: Option<(String, String)>,
    message: String,
    help: Option<String>,
    related: Vec<(StoredLocation, String)>,
    suppressed: Option<String>,
    preexisting: bool,
}

#[derive(Serialize, Deserialize)]
struct StoredEffect {
    kind: String,
    subject: String,
    detail: Option<String>,
    location: Option<StoredLocation>,
}

fn store_location(l: &Location) -> StoredLocation {
    StoredLocation {
        after: l.side == Side::After,
        file: l.file.clone(),
        start: l.span.start,
        end: l.span.end,
    }
}

fn load_location(l: StoredLocation) -> Location {
    Location {
        side: if l.after { Side::After } else { Side::Before },
        file: l.file,
        span: Span {
            start: l.start,
            end: l.end,
        },
    }
}

const EFFECT_KINDS: [EffectKind; 8] = [
    EffectKind::LinkCreated,
    EffectKind::LinkRepointed,
    EffectKind::LinkRemoved,
    EffectKind::BinaryReplaced,
    EffectKind::FileRemoved,
    EffectKind::ServiceRestarted,
    EffectKind::PackageChanged,
    EffectKind::Other,
];

fn encode(e: &Entry, key: &str) -> Stored {
    Stored {
        key: key.to_string(),
        manifests_parsed: e.manifests_parsed,
        puppet: e.puppet.clone(),
        findings: e
            .findings
            .iter()
            .map(|f| {
                let Finding {
                    rule,
                    severity,
                    location,
                    resource,
                    message,
                    help,
                    related,
                    suppressed,
                    preexisting,
                } = f;
                StoredFinding {
                    rule: rule.to_string(),
                    severity: severity.as_str().to_string(),
                    location: store_location(location),
                    resource: resource
                        .as_ref()
                        .map(|r| (r.ty.to_string(), r.title.clone())),
                    message: message.clone(),
                    help: help.clone(),
                    related: related
                        .iter()
                        .map(|r| (store_location(&r.location), r.message.clone()))
                        .collect(),
                    suppressed: suppressed.clone(),
                    preexisting: *preexisting,
                }
            })
            .collect(),
        effects: e
            .effects
            .iter()
            .map(|x| StoredEffect {
                kind: x.kind.label().to_string(),
                subject: x.subject.clone(),
                detail: x.detail.clone(),
                location: x.location.as_ref().map(store_location),
            })
            .collect(),
    }
}

fn decode(bytes: &[u8], key: &str) -> Option<Entry> {
    let s: Stored = serde_json::from_slice(bytes).ok()?;
    if s.key != key {
        return None;
    }
    let mut findings = Vec::with_capacity(s.findings.len());
    for f in s.findings {
        findings.push(Finding {
            rule: registry::lookup(&f.rule)?.name,
            severity: Severity::parse(&f.severity)?,
            location: load_location(f.location),
            resource: f.resource.map(|(ty, title)| ResourceKey {
                ty: ty.into(),
                title,
            }),
            message: f.message,
            help: f.help,
            related: f
                .related
                .into_iter()
                .map(|(l, message)| Related {
                    location: load_location(l),
                    message,
                })
                .collect(),
            suppressed: f.suppressed,
            preexisting: f.preexisting,
        });
    }
    let mut effects = Vec::with_capacity(s.effects.len());
    for x in s.effects {
        effects.push(Effect {
            kind: *EFFECT_KINDS.iter().find(|k| k.label() == x.kind)?,
            subject: x.subject,
            detail: x.detail,
            location: x.location.map(load_location),
        });
    }
    Some(Entry {
        findings,
        effects,
        manifests_parsed: s.manifests_parsed,
        puppet: s.puppet,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry() -> Entry {
        let rule = registry::rules()[0];
        Entry {
            findings: vec![Finding {
                rule: rule.name,
                severity: Severity::Warning,
                location: Location {
                    side: Side::After,
                    file: "manifests/site.pp".into(),
                    span: Span { start: 3, end: 9 },
                },
                resource: Some(ResourceKey::new("file", "/usr/bin/x")),
                message: "m".into(),
                help: Some("h".into()),
                related: vec![Related {
                    location: Location {
                        side: Side::Before,
                        file: "a.pp".into(),
                        span: Span { start: 0, end: 1 },
                    },
                    message: "r".into(),
                }],
                suppressed: None,
                preexisting: true,
            }],
            effects: vec![Effect {
                kind: EffectKind::ServiceRestarted,
                subject: "Service['x']".into(),
                detail: None,
                location: None,
            }],
            manifests_parsed: 7,
            puppet: Some("Puppet 3.8.7 (Gemfile.lock)".into()),
        }
    }

    #[test]
    fn an_entry_reads_back_as_written() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::at(dir.path().to_path_buf(), MAX_BYTES);
        cache.put("abcdef", &entry());
        let got = cache.get("abcdef").expect("stored");
        let want = entry();
        assert_eq!(got.findings, want.findings);
        assert_eq!(got.effects, want.effects);
        assert_eq!(got.manifests_parsed, 7);
        assert!(cache.get("abcdee").is_none());
    }

    #[test]
    fn a_corrupt_or_foreign_entry_is_ignored_and_deleted() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::at(dir.path().to_path_buf(), MAX_BYTES);
        cache.put("abcdef", &entry());
        let path = cache.path_of("abcdef").unwrap();
        std::fs::write(&path, b"{not json").unwrap();
        assert!(cache.get("abcdef").is_none());
        assert!(!path.exists());
        // Another key's entry copied in place is not this key's.
        cache.put("abzzzz", &entry());
        std::fs::copy(cache.path_of("abzzzz").unwrap(), &path).unwrap();
        assert!(cache.get("abcdef").is_none());
        // An unknown rule name.
        let text = std::fs::read_to_string(cache.path_of("abzzzz").unwrap()).unwrap();
        let name = registry::rules()[0].name;
        std::fs::write(
            cache.path_of("abzzzz").unwrap(),
            text.replace(name, "no-such-rule"),
        )
        .unwrap();
        assert!(cache.get("abzzzz").is_none());
    }

    #[test]
    fn eviction_keeps_the_directory_bounded() {
        let dir = tempfile::tempdir().unwrap();
        let size = serde_json::to_vec(&encode(&entry(), "k0000"))
            .unwrap()
            .len() as u64;
        let cache = Cache::at(dir.path().to_path_buf(), size * 4);
        for i in 0..20 {
            cache.put(&format!("k{i:04}"), &entry());
        }
        let total: u64 = walkdir::WalkDir::new(dir.path())
            .into_iter()
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_file())
            .map(|e| e.metadata().unwrap().len())
            .sum();
        assert!(total <= size * 4, "{total} > {}", size * 4);
        // The newest entry survives.
        assert!(cache.get("k0019").is_some());
    }
}
