//! `puppet-preflight completions SHELL` and `puppet-preflight man`: shell completions and a
//! man page, generated from the same clap definitions that parse the command line, so
//! they can never disagree with it (`clap_complete`, `clap_mangen`: the generators clap's
//! authors maintain). Generated at run time rather than in build.rs, so an installed
//! binary is all a packager needs:
//!
//! ```sh
//! puppet-preflight completions bash > /usr/share/bash-completion/completions/puppet-preflight
//! puppet-preflight man > /usr/share/man/man1/puppet-preflight.1
//! ```

use clap::CommandFactory;

use super::{print_stdout, Cli};

#[derive(Debug, clap::Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, clap::Args)]
pub struct ManArgs {
    /// The page of one subcommand (`check`, `resources`, …) instead of the main page.
    pub subcommand: Option<String>,
}

pub fn completions(args: CompletionsArgs) -> miette::Result<i32> {
    let mut cmd = Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "puppet-preflight", &mut out);
    print_stdout(&String::from_utf8_lossy(&out))?;
    Ok(0)
}

pub fn man(args: ManArgs) -> miette::Result<i32> {
    let mut cmd = Cli::command();
    cmd.build();
    let (page, title) = match &args.subcommand {
        None => (cmd, "puppet-preflight".to_string()),
        Some(name) => {
            let names: Vec<String> = cmd
                .get_subcommands()
                .map(|c| c.get_name().to_string())
                .collect();
            let Some(sub) = cmd.find_subcommand(name).cloned() else {
                return Err(crate::error::Error::Usage(format!(
                    "no subcommand `{name}`; one of: {}",
                    names.join(", ")
                ))
                .into());
            };
            (sub, format!("puppet-preflight-{name}"))
        }
    };
    let mut out = Vec::new();
    clap_mangen::Man::new(page)
        .title(title)
        .render(&mut out)
        .map_err(|e| crate::error::Error::Io {
            path: "standard output".into(),
            err: e,
        })?;
    print_stdout(&String::from_utf8_lossy(&out))?;
    Ok(0)
}
