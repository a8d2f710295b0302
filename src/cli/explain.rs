//! `puppet-preflight explain` (being built).

#[derive(Debug, clap::Args)]
pub struct Args {}

pub fn run(_args: Args) -> miette::Result<i32> {
    Err(miette::miette!("`explain` is not implemented yet"))
}
