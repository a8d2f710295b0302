//! Operational failures: usage, I/O, git, configuration. Each renders as one clear paragraph
//! through miette and makes the process exit with status 2. Findings are never errors.

use miette::Diagnostic;
use thiserror::Error;

#[derive(Debug, Error, Diagnostic)]
pub enum Error {
    /// The OS error is part of the message (not a `source`), so it is printed once.
    #[error("cannot read {path}: {err}")]
    #[diagnostic(code(preflight::io))]
    Io { path: String, err: std::io::Error },

    #[error("{path} is not valid UTF-8 (byte {offset}); Puppet manifests must be UTF-8")]
    #[diagnostic(code(preflight::encoding), help("re-encode the file as UTF-8"))]
    NotUtf8 { path: String, offset: usize },

    #[error("{0}")]
    #[diagnostic(code(preflight::usage))]
    Usage(String),

    #[error(transparent)]
    #[diagnostic(transparent)]
    Config(Box<crate::config::ConfigError>),

    #[error(transparent)]
    #[diagnostic(transparent)]
    HostSnapshot(Box<crate::hosts::SnapshotError>),

    #[error("git: {message}")]
    #[diagnostic(
        code(preflight::git),
        help("check that --repo points into a git repository and that the revision exists")
    )]
    Git { message: String },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
