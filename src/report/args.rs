//! The output options of `check` (flattened into its clap `Args`).

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::ValueEnum;

/// Output formats.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, ValueEnum)]
pub enum Format {
    /// Findings with source snippets for people, and a summary line.
    #[default]
    Human,
    /// One JSON document: tool, base, head, findings with positions, summary (stable fields).
    Json,
    /// SARIF 2.1.0, e.g. for GitHub code scanning.
    Sarif,
    /// Checkstyle XML, e.g. for Jenkins warnings-ng.
    Checkstyle,
    /// JUnit XML: one test case per rule per file.
    Junit,
    /// A Gerrit ReviewInput body for `gerrit review --json` or the REST review endpoint.
    Gerrit,
    /// GitHub Actions workflow commands (annotations).
    Github,
    /// One self-contained HTML page for reviewers: the summary, the restart and link
    /// chains drawn before and after (inline SVG), and the findings with their snippets.
    Html,
    /// The restart and link chains, before and after, as a Graphviz digraph.
    Dot,
}

impl Format {
    /// Does the format draw the change's graph ([`super::graph`])? Only then is it built.
    pub fn draws_graph(self) -> bool {
        matches!(self, Format::Html | Format::Dot)
    }

    pub fn name(self) -> &'static str {
        match self {
            Format::Human => "human",
            Format::Json => "json",
            Format::Sarif => "sarif",
            Format::Checkstyle => "checkstyle",
            Format::Junit => "junit",
            Format::Gerrit => "gerrit",
            Format::Github => "github",
            Format::Html => "html",
            Format::Dot => "dot",
        }
    }
}

/// When to colour the human format.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// Colour when standard output is a terminal, `NO_COLOR` is unset or empty and
    /// `TERM` is not `dumb`; `FORCE_COLOR`/`CLICOLOR_FORCE` (non-empty, not `0`) force it.
    #[default]
    Auto,
    Always,
    Never,
}

impl ColorChoice {
    /// Decide for standard output of this process.
    pub fn for_stdout(self) -> bool {
        self.decide(std::io::stdout().is_terminal(), |k| std::env::var(k).ok())
    }

    /// The decision, with the terminal test and the environment passed in (for tests).
    pub fn decide(self, is_tty: bool, env: impl Fn(&str) -> Option<String>) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                let set = |k: &str| env(k).is_some_and(|v| !v.is_empty());
                let forced = |k: &str| env(k).is_some_and(|v| !v.is_empty() && v != "0");
                if set("NO_COLOR") {
                    false
                } else if forced("FORCE_COLOR") || forced("CLICOLOR_FORCE") {
                    true
                } else {
                    is_tty && env("TERM").as_deref() != Some("dumb")
                }
            }
        }
    }
}

/// One `--report FORMAT=PATH`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReportSpec {
    pub format: Format,
    pub path: PathBuf,
}

impl std::str::FromStr for ReportSpec {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let (format, path) = s.split_once('=').ok_or_else(|| {
            format!("expected FORMAT=PATH (for example junit=report.xml), got `{s}`")
        })?;
        let format = Format::from_str(format.trim(), true).map_err(|_| {
            let names: Vec<&str> = Format::value_variants().iter().map(|f| f.name()).collect();
            format!("unknown format `{format}`; one of: {}", names.join(", "))
        })?;
        if path.is_empty() {
            return Err(format!("no path after `{}=`", format.name()));
        }
        if path == "-" {
            return Err(
                "a --report goes to a file; use --format to choose what standard output shows"
                    .into(),
            );
        }
        Ok(ReportSpec {
            format,
            path: PathBuf::from(path),
        })
    }
}

/// How and where `check` reports.
#[derive(Clone, Debug, clap::Args)]
pub struct OutputArgs {
    /// Format of the main output (standard output, or --output).
    #[arg(long, short = 'f', value_enum, default_value_t = Format::Human, env = "PUPPET_PREFLIGHT_FORMAT")]
    pub format: Format,

    /// Write the main output to FILE instead of standard output (`-` for standard output).
    /// Missing parent directories are created; paths inside a .git directory are refused.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Also write FORMAT to PATH (repeatable), e.g. `--report junit=log/junit.xml
    /// --report gerrit=review.json`; standard output keeps the --format output.
    #[arg(long = "report", value_name = "FORMAT=PATH")]
    pub reports: Vec<ReportSpec>,

    /// Colour the human output: auto (terminal only; honours NO_COLOR), always, never.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,

    /// Add to the human output a plain-words summary of what the change does on the hosts
    /// (links created or re-pointed, binaries replaced, services restarted and why).
    #[arg(long)]
    pub summary: bool,

    /// Say less: the human output lists the findings only (no configuration or summary
    /// line), and nothing informational goes to standard error. Warnings and errors stay.
    #[arg(long, short = 'q', conflicts_with = "verbose")]
    pub quiet: bool,

    /// Say more on standard error: what was read (untracked files included, patches
    /// applied, the index used), the configuration, and how long each change and each
    /// phase of its analysis took (nothing to time when the result cache answered).
    #[arg(long, short = 'v')]
    pub verbose: bool,

    /// Gerrit format: vote on this label (e.g. Verified). No vote without it.
    #[arg(long, value_name = "NAME")]
    pub gerrit_label: Option<String>,

    /// Gerrit format: the vote when the check fails at --fail-level.
    #[arg(long, value_name = "N", default_value_t = -1, allow_negative_numbers = true)]
    pub gerrit_vote_fail: i32,

    /// Gerrit format: the vote when it passes (0 clears an earlier negative vote).
    #[arg(
        long,
        value_name = "N",
        default_value_t = 0,
        allow_negative_numbers = true
    )]
    pub gerrit_vote_pass: i32,

    /// Gerrit format: at most N inline comments; the rest are listed in the message.
    #[arg(long, value_name = "N", default_value_t = 50)]
    pub gerrit_max_comments: usize,

    /// Gerrit format: link the full report at URL from the review message (e.g. where
    /// CI publishes `--report html=…`).
    #[arg(long, value_name = "URL")]
    pub gerrit_report_url: Option<String>,
}

impl OutputArgs {
    /// Does any requested output draw the change's graph (so that it must be built)?
    pub fn draws_graph(&self) -> bool {
        self.format.draws_graph() || self.reports.iter().any(|r| r.format.draws_graph())
    }
}

/// The same defaults as the command line (for callers that build one in code).
impl Default for OutputArgs {
    fn default() -> Self {
        OutputArgs {
            format: Format::Human,
            output: None,
            reports: Vec::new(),
            color: ColorChoice::Auto,
            summary: false,
            gerrit_label: None,
            gerrit_vote_fail: -1,
            gerrit_vote_pass: 0,
            gerrit_max_comments: 50,
            gerrit_report_url: None,
            quiet: false,
            verbose: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn auto_colour_needs_a_terminal() {
        assert!(ColorChoice::Auto.decide(true, env(&[])));
        assert!(!ColorChoice::Auto.decide(false, env(&[])));
    }

    #[test]
    fn no_color_wins_over_terminal_and_force() {
        let e = [("NO_COLOR", "1"), ("FORCE_COLOR", "1")];
        assert!(!ColorChoice::Auto.decide(true, env(&e)));
        // An empty NO_COLOR does not count (no-color.org).
        assert!(ColorChoice::Auto.decide(true, env(&[("NO_COLOR", "")])));
    }

    #[test]
    fn force_color_and_dumb_terminal() {
        assert!(ColorChoice::Auto.decide(false, env(&[("FORCE_COLOR", "1")])));
        assert!(!ColorChoice::Auto.decide(false, env(&[("FORCE_COLOR", "0")])));
        assert!(!ColorChoice::Auto.decide(true, env(&[("TERM", "dumb")])));
        assert!(ColorChoice::Always.decide(false, env(&[("NO_COLOR", "1")])));
        assert!(!ColorChoice::Never.decide(true, env(&[])));
    }

    #[test]
    fn report_spec_parses_and_rejects() {
        let r: ReportSpec = "junit=log/junit.xml".parse().unwrap();
        assert_eq!(
            (r.format, r.path),
            (Format::Junit, PathBuf::from("log/junit.xml"))
        );
        // Only the first `=` splits: paths may contain `=`.
        let r: ReportSpec = "JSON=a=b.json".parse().unwrap();
        assert_eq!(
            (r.format, r.path),
            (Format::Json, PathBuf::from("a=b.json"))
        );
        assert!("junit"
            .parse::<ReportSpec>()
            .unwrap_err()
            .contains("FORMAT=PATH"));
        assert!("xml=a"
            .parse::<ReportSpec>()
            .unwrap_err()
            .contains("unknown format `xml`"));
        assert!("json=".parse::<ReportSpec>().is_err());
        assert!("json=-".parse::<ReportSpec>().is_err());
    }
}
