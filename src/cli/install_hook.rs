//! `puppet-preflight install-hook` (being built).

#[derive(Debug, clap::Args)]
pub struct Args {}

pub fn run(_args: Args) -> miette::Result<i32> {
    Err(miette::miette!("`install-hook` is not implemented yet"))
}
