//! The command line: one module per subcommand, each with its clap `Args` and `run`.
//!
//! `run` functions return the process exit status (0, 1) or an operational error (exit 2).

mod cache;
pub mod check;
pub mod explain;
pub mod install_hook;
pub mod parse;
pub mod resources;
pub mod rules;
mod summary;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "puppet-preflight",
    version,
    about = "Checks a Puppet change before it is merged: what it does to binaries, links and services",
    propagate_version = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check a change (default: HEAD^ against HEAD) and report findings.
    Check(Box<check::Args>),
    /// Check the syntax of manifests (files or directories, walks *.pp).
    Parse(parse::Args),
    /// Show the resources the tool extracts from a revision, with what the model concludes
    /// (file states, what each service executes).
    Resources(resources::Args),
    /// List the rules with their default severity.
    Rules(rules::Args),
    /// Print a rule's documentation.
    Explain(explain::Args),
    /// Install a git pre-commit (or pre-push) hook that runs `check --staged`.
    InstallHook(install_hook::Args),
}

pub fn run(cli: Cli) -> miette::Result<i32> {
    match cli.command {
        Command::Check(a) => check::run(*a),
        Command::Parse(a) => parse::run(a),
        Command::Resources(a) => resources::run(a),
        Command::Rules(a) => rules::run(a),
        Command::Explain(a) => explain::run(a),
        Command::InstallHook(a) => install_hook::run(a),
    }
}

/// Write `text` to stdout. A closed pipe (`| head`) is not an error.
pub(crate) fn print_stdout(text: &str) -> Result<(), crate::error::Error> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(crate::error::Error::Io {
            path: "standard output".into(),
            err: e,
        }),
        _ => Ok(()),
    }
}
