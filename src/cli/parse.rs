//! `puppet-preflight parse` (being built).

#[derive(Debug, clap::Args)]
pub struct Args {}

pub fn run(_args: Args) -> miette::Result<i32> {
    Err(miette::miette!("`parse` is not implemented yet"))
}
