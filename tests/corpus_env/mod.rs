//! Where the Debian puppet-module corpus is, for the tests that use it.
//!
//! One variable, `PREFLIGHT_CORPUS`: the directory `scripts/fetch-corpus.sh` fills (the
//! unpacked packages' root, with `usr/share/puppet/modules.available` and the examples
//! under `usr/share/doc`). Giving the `modules.available` directory itself also works for
//! the tests that only need the modules. Unset: the test says it is skipped and passes.
#![allow(dead_code)] // each test binary uses part of it

use std::io::Write;
use std::path::PathBuf;

const VAR: &str = "PREFLIGHT_CORPUS";

/// The unpacked packages' root, or `None` (with a note on stderr) when the variable is
/// unset.
pub fn root(test: &str) -> Option<PathBuf> {
    match std::env::var_os(VAR) {
        Some(dir) if !dir.is_empty() => {
            let dir = PathBuf::from(dir);
            assert!(dir.is_dir(), "{VAR}={} is not a directory", dir.display());
            Some(dir)
        }
        _ => {
            // the stderr handle directly, so that the note shows despite output capture
            let _ = writeln!(
                std::io::stderr(),
                "{test}: skipped (set {VAR} to a directory filled by scripts/fetch-corpus.sh)"
            );
            None
        }
    }
}

/// The corpus's `modules.available` directory (one module per subdirectory).
pub fn modules(test: &str) -> Option<PathBuf> {
    let root = root(test)?;
    let nested = root.join("usr/share/puppet/modules.available");
    Some(if nested.is_dir() { nested } else { root })
}
