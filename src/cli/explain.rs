//! `puppet-preflight explain RULE`: print a rule's documentation.

use crate::error::Error;
use crate::rules::registry;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The rule's name, as `puppet-preflight rules` lists it (`link-over-binary`).
    pub rule: String,
}

pub fn run(args: Args) -> miette::Result<i32> {
    let text = render(&args.rule)?;
    super::print_stdout(&text)?;
    Ok(0)
}

/// The text `explain` prints for `name`, or a usage error with a suggestion.
pub fn render(name: &str) -> Result<String, Error> {
    let Some(rule) = registry::lookup(name) else {
        let hint = registry::suggest(name)
            .map(|s| format!(" Did you mean `{s}`?"))
            .unwrap_or_default();
        return Err(Error::Usage(format!(
            "unknown rule `{name}`.{hint} Run `puppet-preflight rules` to list every rule."
        )));
    };
    let mut s = format!(
        "# {}\n\nDefault severity: {}. {}\n",
        rule.name,
        rule.default_severity,
        capitalise(rule.summary)
    );
    if !rule.implemented() {
        s.push_str(
            "\nNot implemented yet: this version of puppet-preflight documents the rule but \
             does not report it.\n",
        );
    }
    s.push('\n');
    s.push_str(rule.doc());
    Ok(s)
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect::<String>() + ".",
        None => String::new(),
    }
}
