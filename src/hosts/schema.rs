//! The snapshot file format, version 1. More fields may be added within a version; none
//! is renamed or changes meaning without a new version number. A reader refuses a version
//! it does not know.
//!
//! ```json
//! {"format": "puppet-preflight-host-snapshot", "version": 1,
//!  "host": "k8s-master-01", "taken_at": "2016-12-21T10:12:00Z",
//!  "tool": {"name": "puppet-preflight", "version": "0.1.0"},
//!  "dirs": [{"path": "/usr/local/bin", "complete": true}],
//!  "entries": [
//!   {"path": "/usr/local/bin/kube-apiserver", "type": "file", "size": 0, "mode": "0555",
//!    "uid": 0, "gid": 0, "owner": "root", "group": "root", "content": "empty"}
//!  ]}
//! ```

use serde::{Deserialize, Serialize};

/// The value of `format`.
pub const FORMAT: &str = "puppet-preflight-host-snapshot";
/// The version this build writes and reads.
pub const VERSION: u32 = 1;

/// A snapshot file.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SnapshotFile {
    pub format: String,
    pub version: u32,
    /// The host's name (letters, digits, `.`, `-`, `_`).
    pub host: String,
    /// When it was taken, UTC, `YYYY-MM-DDTHH:MM:SSZ`.
    pub taken_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool: Option<Tool>,
    /// The directories walked. Under a complete one, a path with no entry does not exist.
    #[serde(default)]
    pub dirs: Vec<DirRecord>,
    pub entries: Vec<EntryRecord>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Tool {
    pub name: String,
    pub version: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct DirRecord {
    pub path: String,
    /// Every entry below it is listed (no read error, no limit reached).
    pub complete: bool,
}

/// What is at a path.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EntryType {
    #[default]
    File,
    Dir,
    Link,
    /// A device, socket or FIFO.
    Other,
    /// Nothing: a path asked for (`--paths-from`, a link's target) that does not exist.
    Missing,
}

/// What a regular file's content is. Only executables are read (their first bytes);
/// other files are only told apart as empty or not.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ContentKind {
    /// Size 0.
    Empty,
    /// An ELF object (`\x7fELF`).
    Elf,
    /// `#!`: a script, with its interpreter line in `interpreter`.
    Script,
    /// UTF-8 text without NUL bytes (in the bytes read).
    Text,
    /// Anything else.
    Data,
}

/// One path. Optional fields are left out when unknown or not applicable.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct EntryRecord {
    /// The absolute path on the host.
    pub path: String,
    #[serde(rename = "type")]
    pub kind: EntryType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    /// Permission bits in octal, `0755` (set-id and sticky bits included).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uid: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gid: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// A link's target, as stored in the link.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<ContentKind>,
    /// The `#!` line of a script, without `#!` (at most 200 bytes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interpreter: Option<String>,
    /// SHA-256 of an executable's content, lowercase hex.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// The Debian package whose file list names the path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package: Option<String>,
    /// For a unit file: the executable of each `ExecStart=` that takes effect (paths
    /// only; arguments are left out, they may hold secrets).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exec_start: Option<Vec<String>>,
}
