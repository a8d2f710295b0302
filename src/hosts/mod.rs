//! Host snapshots: what is really on the hosts at the paths a change relies on.
//!
//! A snapshot is a small JSON file written on a host by `puppet-preflight snapshot`
//! ([`walk::take`]): per path under a few directories, its type, size, mode, owner, link
//! target, what its content is, a SHA-256 for executables, the Debian package that owns
//! it and, for unit files, what `ExecStart=` runs. `check --host-snapshot` reads them
//! ([`read::load`], validating everything: the files come from other machines) into
//! [`Hosts`], which the rules read as data through their context. Rules never read a
//! snapshot file themselves.
//!
//! - [`schema`] is the file format (versioned; the README documents it).
//! - [`host`] answers questions about one host: what is at a path, where a chain of links
//!   on the host leads, whether a path is a usable binary.
//! - [`read`] loads and validates snapshot files and directories of them.
//! - [`walk`] takes a snapshot of a root directory (`/`, or a mounted image).
//! - [`time`] formats and parses the UTC timestamps of the header.
//!
//! This module reads host trees and snapshot files, never the repository: the
//! repository is the input layer's.

pub mod host;
pub mod read;
pub mod schema;
pub mod time;
pub mod walk;

pub use host::{BinaryProblem, Entry, EntryType, Resolved, Snapshot, State};
pub use read::{load, SnapshotError};

/// The snapshots a check judges the change against, one per host, ordered by host name.
#[derive(Debug, Default)]
pub struct Hosts {
    pub snapshots: Vec<Snapshot>,
    /// The configured maximum age, in seconds; older snapshots are reported as stale.
    pub max_age: u64,
}

/// No snapshots: what rules see when none were given.
pub static NONE: Hosts = Hosts {
    snapshots: Vec::new(),
    max_age: 0,
};

impl Hosts {
    pub fn is_empty(&self) -> bool {
        self.snapshots.is_empty()
    }

    /// `on 2 of 12 hosts (a, b)`: the hosts of `hit` among all snapshots, at most five
    /// named.
    pub fn on_hosts(&self, hit: &[&str]) -> String {
        const NAMED: usize = 5;
        let total = self.snapshots.len();
        let noun = if total == 1 { "host" } else { "hosts" };
        let mut names: Vec<&str> = hit.iter().take(NAMED).copied().collect();
        names.sort_unstable();
        let more = match hit.len().saturating_sub(NAMED) {
            0 => String::new(),
            n => format!(" and {n} more"),
        };
        format!(
            "on {} of {total} {noun} ({}{more})",
            hit.len(),
            names.join(", ")
        )
    }
}
