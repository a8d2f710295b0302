//! Which rules run, at which severity, and when the process fails.
//!
//! Precedence, lowest to highest: the registry's defaults; the configuration's `rules:`
//! map (a level, or `off`); `--select` (only these rules run; a rule listed there runs
//! even when the configuration turns it off); `--ignore` (never runs).

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use crate::config::Config;
use crate::diagnostic::{Finding, Severity};
use crate::error::Error;

use super::registry::{self, Rule};

/// The rule-selection flags, shared by every command that runs rules (`check` flattens
/// it).
#[derive(Clone, Debug, Default, clap::Args)]
pub struct SelectionArgs {
    /// Run only these rules (comma-separated; repeatable).
    #[arg(long, value_name = "RULES", value_delimiter = ',')]
    pub select: Vec<String>,

    /// Never run these rules (comma-separated; repeatable).
    #[arg(long, value_name = "RULES", value_delimiter = ',')]
    pub ignore: Vec<String>,

    /// Read the configuration from FILE instead of the `.puppet-preflight.yaml` that the
    /// checked change carries at its root (the head commit, the index, the work tree or
    /// the --after directory).
    #[arg(long, value_name = "FILE", conflicts_with = "isolated")]
    pub config: Option<PathBuf>,

    /// Ignore every configuration file; use the defaults.
    #[arg(long)]
    pub isolated: bool,

    /// Exit with status 1 when a finding that is not suppressed is at or above this
    /// severity (`never`: 0 unless the check itself failed, which is always status 2).
    #[arg(long, value_enum, value_name = "LEVEL", default_value_t = FailLevel::Error)]
    pub fail_level: FailLevel,

    /// Also report what cannot be verified (sources on mounts or modules outside the
    /// repository), as `info`.
    #[arg(long)]
    pub strict: bool,
}

/// The threshold for a failing exit status. Inclusive: `warning` fails on warnings and
/// errors.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum FailLevel {
    #[default]
    Error,
    Warning,
    Info,
    Never,
}

impl FailLevel {
    /// The lowest severity that fails the run; `None` for `never`.
    pub fn threshold(self) -> Option<Severity> {
        match self {
            FailLevel::Error => Some(Severity::Error),
            FailLevel::Warning => Some(Severity::Warning),
            FailLevel::Info => Some(Severity::Info),
            FailLevel::Never => None,
        }
    }

    /// Whether `findings` make the run fail: a finding that is not suppressed, at or
    /// above the threshold.
    pub fn fails(self, findings: &[Finding]) -> bool {
        let Some(t) = self.threshold() else {
            return false;
        };
        findings
            .iter()
            .any(|f| f.suppressed.is_none() && f.severity >= t)
    }

    /// The process exit status for `findings`: 1 when [`FailLevel::fails`], else 0.
    pub fn exit_status(self, findings: &[Finding]) -> i32 {
        i32::from(self.fails(findings))
    }
}

/// The resolved selection: which rules are off, which severities are overridden, and
/// the settings rules read.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Selection {
    disabled: BTreeSet<&'static str>,
    severity: BTreeMap<&'static str, Severity>,
    /// Report unverifiable sources (`--strict`).
    pub strict: bool,
    pub fail_level: FailLevel,
}

impl Selection {
    /// Combine the configuration and the command line. Unknown rule names on the command
    /// line are a usage error (exit 2).
    pub fn resolve(args: &SelectionArgs, config: &Config) -> Result<Selection, Error> {
        let select = names(&args.select, "--select")?;
        let ignore = names(&args.ignore, "--ignore")?;
        // A failure of the tool is never hidden (see `rules::internal_errors`): saying
        // otherwise would be a setting that silently does nothing.
        let internal = super::internal_error::NAME;
        if ignore.contains(internal) || config.rules.contains_key(internal) {
            return Err(Error::Usage(format!(
                "`{internal}` cannot be ignored or given another severity: it reports that \
                 puppet-preflight itself failed on part of the change, and always makes the \
                 exit status 2."
            )));
        }
        let mut sel = Selection {
            strict: args.strict,
            fail_level: args.fail_level,
            ..Selection::default()
        };
        for (&name, level) in &config.rules {
            match level.severity() {
                Some(s) => {
                    sel.severity.insert(name, s);
                }
                None => {
                    sel.disabled.insert(name);
                }
            }
        }
        if !select.is_empty() {
            for r in registry::rules() {
                if select.contains(r.name) {
                    sel.disabled.remove(r.name);
                } else {
                    sel.disabled.insert(r.name);
                }
            }
        }
        sel.disabled.extend(ignore);
        Ok(sel)
    }

    /// Whether `rule` is selected (it may still be unimplemented).
    pub fn is_active(&self, rule: &Rule) -> bool {
        !self.disabled.contains(rule.name)
    }

    /// Whether the rule named `name` is selected; unknown names are not.
    pub fn is_active_name(&self, name: &str) -> bool {
        registry::lookup(name).is_some_and(|r| self.is_active(r))
    }

    /// This selection with every rule not named in `names` turned off (same severities
    /// and settings).
    pub fn only(&self, names: &BTreeSet<&'static str>) -> Selection {
        let mut sel = self.clone();
        for r in registry::rules() {
            if !names.contains(r.name) {
                sel.disabled.insert(r.name);
            }
        }
        sel
    }

    /// The configured severity of a rule, when the configuration sets one.
    pub fn severity_override(&self, name: &str) -> Option<Severity> {
        self.severity.get(name).copied()
    }
}

/// Validate a list of rule names from the command line.
fn names(list: &[String], flag: &str) -> Result<BTreeSet<&'static str>, Error> {
    let mut out = BTreeSet::new();
    for raw in list {
        let n = raw.trim();
        if n.is_empty() {
            continue;
        }
        match registry::lookup(n) {
            Some(r) => {
                out.insert(r.name);
            }
            None => {
                let hint = registry::suggest(n)
                    .map(|s| format!(" Did you mean `{s}`?"))
                    .unwrap_or_default();
                return Err(Error::Usage(format!(
                    "unknown rule `{n}` in {flag}.{hint} Run `puppet-preflight rules` to list \
                     every rule."
                )));
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Level;
    use crate::diagnostic::{Location, Side};

    #[test]
    fn internal_error_cannot_be_ignored_or_relevelled() {
        let err = Selection::resolve(&args(&[], &["internal-error"]), &Config::default());
        assert!(matches!(err, Err(Error::Usage(m)) if m.contains("cannot be ignored")));
        let mut config = Config::default();
        config.rules.insert("internal-error", Level::Warning);
        assert!(Selection::resolve(&SelectionArgs::default(), &config).is_err());
        // Selecting other rules leaves it alone.
        assert!(Selection::resolve(&args(&["link-cycle"], &[]), &Config::default()).is_ok());
    }

    fn args(select: &[&str], ignore: &[&str]) -> SelectionArgs {
        SelectionArgs {
            select: select.iter().map(|s| s.to_string()).collect(),
            ignore: ignore.iter().map(|s| s.to_string()).collect(),
            ..SelectionArgs::default()
        }
    }

    fn active(sel: &Selection) -> Vec<&'static str> {
        registry::rules()
            .iter()
            .filter(|r| sel.is_active(r))
            .map(|r| r.name)
            .collect()
    }

    #[test]
    fn default_runs_everything() {
        let sel = Selection::resolve(&args(&[], &[]), &Config::default()).unwrap();
        assert_eq!(active(&sel).len(), registry::rules().len());
        assert_eq!(sel.severity_override("link-cycle"), None);
    }

    #[test]
    fn select_keeps_only_the_named_rules() {
        let sel = Selection::resolve(
            &args(&["link-cycle", "syntax-error"], &[]),
            &Config::default(),
        )
        .unwrap();
        assert_eq!(active(&sel), vec!["syntax-error", "link-cycle"]);
    }

    #[test]
    fn ignore_wins_over_select() {
        let sel = Selection::resolve(
            &args(&["link-cycle", "syntax-error"], &["syntax-error"]),
            &Config::default(),
        )
        .unwrap();
        assert_eq!(active(&sel), vec!["link-cycle"]);
    }

    #[test]
    fn config_off_and_levels() {
        let mut config = Config::default();
        config.rules.insert("binary-without-backup", Level::Off);
        config.rules.insert("link-target-unmanaged", Level::Error);
        let sel = Selection::resolve(&args(&[], &[]), &config).unwrap();
        assert!(!sel.is_active_name("binary-without-backup"));
        assert_eq!(
            sel.severity_override("link-target-unmanaged"),
            Some(Severity::Error)
        );
        // The command line turns an `off` rule back on.
        let sel = Selection::resolve(&args(&["binary-without-backup"], &[]), &config).unwrap();
        assert!(sel.is_active_name("binary-without-backup"));
        assert!(!sel.is_active_name("link-target-unmanaged"));
    }

    #[test]
    fn unknown_names_are_usage_errors_with_a_suggestion() {
        let err = Selection::resolve(&args(&["link_cycle"], &[]), &Config::default())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("unknown rule `link_cycle` in --select"),
            "{err}"
        );
        assert!(err.contains("Did you mean `link-cycle`?"), "{err}");
        let err = Selection::resolve(&args(&[], &["nonsense-rule-name"]), &Config::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains("in --ignore"), "{err}");
        assert!(!err.contains("Did you mean"), "{err}");
    }

    fn f(sev: Severity, suppressed: bool) -> Finding {
        Finding {
            rule: "link-cycle",
            severity: sev,
            location: Location {
                side: Side::After,
                file: "a.pp".into(),
                span: Default::default(),
            },
            resource: None,
            message: String::new(),
            help: None,
            related: vec![],
            suppressed: suppressed.then(|| "reason".to_owned()),
            preexisting: false,
        }
    }

    #[test]
    fn fail_level_is_inclusive_and_ignores_suppressed() {
        let warn = [f(Severity::Warning, false)];
        assert_eq!(FailLevel::Error.exit_status(&warn), 0);
        assert_eq!(FailLevel::Warning.exit_status(&warn), 1);
        assert_eq!(FailLevel::Info.exit_status(&warn), 1);
        assert_eq!(FailLevel::Never.exit_status(&warn), 0);
        let err_suppressed = [f(Severity::Error, true)];
        assert_eq!(FailLevel::Error.exit_status(&err_suppressed), 0);
        assert_eq!(FailLevel::Info.exit_status(&err_suppressed), 0);
        let info = [f(Severity::Info, false)];
        assert_eq!(FailLevel::Warning.exit_status(&info), 0);
        assert_eq!(FailLevel::Info.exit_status(&info), 1);
        assert_eq!(FailLevel::Error.exit_status(&[]), 0);
    }
}
