//! `puppet-preflight rules` (being built).

#[derive(Debug, clap::Args)]
pub struct Args {}

pub fn run(_args: Args) -> miette::Result<i32> {
    Err(miette::miette!("`rules` is not implemented yet"))
}
