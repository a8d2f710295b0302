//! The lint step: from the analysis of a change to the findings reported.
//!
//! [`run`] is the pipeline, in this order: the rules ([`rules::check_all`]), the inline
//! suppressions ([`suppress::apply`], which also reports problems with the comments), the
//! configured severities, one `internal-error` finding per part that failed (after the
//! suppressions, so nothing hides one), and a stable order. It sits above `rules` and
//! `suppress`: rules know nothing of the filters that follow them.
//!
//! [`preexisting`] then marks the findings the base revision already had.
//!
//! It also reads the configuration with the rule names of the registry ([`CONFIG`]): the
//! configuration itself sits below the rules and is given the names.

pub mod preexisting;

use std::path::Path;

use crate::config::{self, Config, ConfigError, RuleNames};
use crate::diagnostic::{Finding, Location, Side};
use crate::error::Error;
use crate::input::{Change, Tree};
use crate::isolate::Failure;
use crate::rules::{self, internal_error, registry, Context, SelectionArgs};
use crate::suppress;

/// The configuration reader that validates `rules:` against the registry.
pub const CONFIG: config::Reader = config::Reader {
    rules: RuleNames {
        lookup: rule_name,
        suggest: registry::suggest,
    },
};

fn rule_name(name: &str) -> Option<&'static str> {
    registry::lookup(name).map(|r| r.name)
}

/// Reading the configuration with the registered rule names ([`CONFIG`]).
impl Config {
    /// Parse configuration text. `name` is how the file is called in errors.
    pub fn from_yaml(name: &str, text: &str) -> Result<Config, ConfigError> {
        CONFIG.from_yaml(name, text)
    }

    /// Read and parse a configuration file.
    pub fn from_file(path: &Path) -> Result<Config, ConfigError> {
        CONFIG.from_file(path)
    }

    /// Find the configuration: `explicit` (`--config FILE`, which must exist), else
    /// [`config::FILE_NAME`] in `root` when present, else the default. `isolated` ignores
    /// both.
    pub fn discover(
        root: Option<&Path>,
        explicit: Option<&Path>,
        isolated: bool,
    ) -> Result<Config, ConfigError> {
        CONFIG.discover(root, explicit, isolated)
    }

    /// The configuration carried by a revision's tree ([`config::FILE_NAME`] at its
    /// root), or the default when the tree has none.
    pub fn from_tree(tree: &Tree) -> Result<Config, ConfigError> {
        CONFIG.from_tree(tree)
    }
}

/// Load the configuration the selection flags ask for: `--isolated`, `--config FILE`, or
/// the file at `root`.
pub fn load_config(args: &SelectionArgs, root: Option<&Path>) -> Result<Config, Error> {
    Config::discover(root, args.config.as_deref(), args.isolated)
        .map_err(|e| Error::Config(Box::new(e)))
}

/// Run every active rule over the change, then the filters. Suppressed findings are kept
/// with [`Finding::suppressed`] set; problems with the suppression comments themselves are
/// `unused-suppression` / `invalid-suppression` findings.
///
/// The result is sorted by side, file, position and rule, so output is stable.
pub fn run(cx: &Context<'_>) -> Vec<Finding> {
    let (mut findings, failures) = rules::check_all(cx);
    let meta = suppress::apply(cx, &mut findings);
    findings.extend(meta);
    for f in &mut findings {
        if let Some(sev) = cx.selection.severity_override(f.rule) {
            f.severity = sev;
        }
    }
    // After suppressions and configured severities: an internal error is never hidden.
    findings.extend(internal_errors(cx.change, failures));
    sort(&mut findings);
    // One problem reached twice (a collector override over three declarations of one
    // resource) is one finding.
    findings.dedup_by(|a, b| {
        a.rule == b.rule
            && a.location == b.location
            && a.message == b.message
            && a.severity == b.severity
            && a.resource == b.resource
    });
    findings
}

/// One `internal-error` finding per failing part of the check of `change` (failures with
/// the same file, message and location grouped).
pub fn internal_errors(change: &Change, failures: Vec<Failure>) -> Vec<Finding> {
    let rule = &internal_error::RULE;
    let mut grouped: Vec<(Failure, Vec<String>)> = Vec::new();
    for f in failures {
        match grouped
            .iter_mut()
            .find(|(g, _)| g.file == f.file && g.message == f.message && g.location == f.location)
        {
            Some((_, parts)) => {
                if !parts.contains(&f.part) {
                    parts.push(f.part);
                }
            }
            None => {
                let part = f.part.clone();
                grouped.push((f, vec![part]));
            }
        }
    }
    grouped
        .into_iter()
        .map(|(mut f, parts)| {
            if parts.len() > 1 {
                f.part = parts.join(", ");
            }
            let (side, file) = match &f.file {
                Some(file) => (side_of(change, file), file.clone()),
                None => change
                    .files
                    .first()
                    .map(|c| match &c.new_path {
                        Some(p) => (Side::After, p.clone()),
                        None => (Side::Before, c.path().to_string()),
                    })
                    .unwrap_or((Side::After, String::new())),
            };
            let mut finding = rules::finding(
                rule,
                Location {
                    side,
                    file,
                    span: Default::default(),
                },
                format!(
                    "puppet-preflight could not finish this check: {}",
                    f.describe()
                ),
            );
            finding.help = Some(
                "This is a bug in puppet-preflight, not in your change; the other findings \
                 stand, but what this part would have found is missing. Please report it \
                 with this message and, if you can, the file it names."
                    .into(),
            );
            finding
        })
        .collect()
}

/// The side a failing part's file is on: after, unless only the before side has it.
fn side_of(change: &Change, file: &str) -> Side {
    if change.after.tree.get(file).is_none() && change.before.tree.get(file).is_some() {
        Side::Before
    } else {
        Side::After
    }
}

/// Stable order: side (after first), file, start offset, rule name.
pub fn sort(findings: &mut [Finding]) {
    findings.sort_by(|a, b| {
        side_rank(&a.location)
            .cmp(&side_rank(&b.location))
            .then_with(|| a.location.file.cmp(&b.location.file))
            .then_with(|| a.location.span.start.cmp(&b.location.span.start))
            .then_with(|| a.rule.cmp(b.rule))
            .then_with(|| a.message.cmp(&b.message))
    });
}

fn side_rank(l: &Location) -> u8 {
    match l.side {
        Side::After => 0,
        Side::Before => 1,
    }
}

#[cfg(test)]
mod tests {
    use crate::config::{Config, Level};
    use crate::diagnostic::Severity;
    use crate::rules::testing::{run_case, Case};
    use crate::rules::{FailLevel, Selection, SelectionArgs};

    /// A change whose only file is a script with a new, unused suppression comment.
    fn case() -> Case {
        Case::default().with_after(
            "modules/demo/files/run.sh",
            "#!/bin/sh\nexec /usr/bin/x # preflight:ignore:syntax-error nothing to see\n",
        )
    }

    #[test]
    fn run_applies_configured_severity_to_meta_findings() {
        let found = run_case(&case(), &Config::default(), &Selection::default());
        let got: Vec<(&str, Severity)> = found.iter().map(|f| (f.rule, f.severity)).collect();
        assert_eq!(got, vec![("unused-suppression", Severity::Info)]);

        let mut config = Config::default();
        config.rules.insert("unused-suppression", Level::Warning);
        let sel = Selection::resolve(&SelectionArgs::default(), &config).unwrap();
        let found = run_case(&case(), &config, &sel);
        let got: Vec<(&str, Severity)> = found.iter().map(|f| (f.rule, f.severity)).collect();
        assert_eq!(got, vec![("unused-suppression", Severity::Warning)]);
        assert_eq!(FailLevel::Warning.exit_status(&found), 1);
        assert_eq!(FailLevel::Error.exit_status(&found), 0);

        config.rules.insert("unused-suppression", Level::Off);
        let sel = Selection::resolve(&SelectionArgs::default(), &config).unwrap();
        assert!(run_case(&case(), &config, &sel).is_empty());
    }

    #[test]
    fn one_problem_reached_through_several_declarations_is_one_finding() {
        // fuel-library 74c28c17: a collector override over three declarations of a file.
        let mut case = Case::default();
        case.after(
            "modules/neutron/manifests/ml2.pp",
            "class neutron::ml2 {\n  if $::osfamily == 'Debian' {\n    file { '/etc/neutron/plugin.ini': ensure => link, target => '/etc/neutron/ml2.ini' }\n  } else {\n    file { '/etc/neutron/plugin.ini': ensure => link, target => '/etc/neutron/ml2.ini' }\n  }\n}\n",
        )
        .after(
            "modules/nsx/manifests/init.pp",
            "class nsx {\n  File <| title == '/etc/neutron/plugin.ini' |> {\n    ensure => link,\n    target => '/etc/neutron/nsx.ini',\n  }\n}\n",
        );
        let found: Vec<_> = run_case(&case, &Config::default(), &Selection::default())
            .into_iter()
            .filter(|f| f.rule == "link-target-unmanaged")
            .collect();
        assert_eq!(found.len(), 1, "{found:#?}");
    }
}
