//! `puppet-preflight check`: read the change(s), analyse both revisions, run the rules,
//! report.
//!
//! The command is glue: [`input::load_iter`] gives one [`Change`] (or one per commit with
//! `--each`, read as they are checked), [`Analysis::build`] parses and evaluates both sides, [`lint::run`] turns
//! that into findings, and [`report::finish`] writes every requested format and decides
//! the exit status.

use crate::config::Config;
use crate::input::{self, Change, InputArgs, PackageContents};
use crate::isolate;
use crate::lint;
use crate::report::{self, ChangeReport, OutputArgs, ReportData};
use crate::rules::{self, Analysis, Selection, SelectionArgs};

use super::summary;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub input: InputArgs,

    #[command(flatten)]
    pub selection: SelectionArgs,

    #[command(flatten)]
    pub output: OutputArgs,

    /// Also list the findings the base revision already had (marked as pre-existing;
    /// they never fail the run). By default they are only counted in the summary.
    #[arg(long)]
    pub show_preexisting: bool,

    /// What packages ship: a Debian `Contents-<arch>` index (plain or .gz) or a `dpkg -L`
    /// list named `<package>.list`; repeatable, added to the configuration's
    /// `package_contents`. A path a declared package ships counts as provided.
    #[arg(long = "package-contents", value_name = "FILE")]
    pub package_contents: Vec<std::path::PathBuf>,
}

pub fn run(args: Args) -> miette::Result<i32> {
    let changes = input::load_iter(&args.input)?;
    // An explicit `--config` is read (and validated) before anything is analysed, so a
    // broken file stops the run with its own error whatever the change holds.
    let explicit = if args.selection.isolated {
        Some(Config::default())
    } else if args.selection.config.is_some() {
        Some(lint::load_config(&args.selection, None)?)
    } else {
        None
    };

    // Changes are checked as they are read and dropped after: a long `--each` series never
    // holds more than a window of trees.
    let mut reports = Vec::new();
    let mut fail_level = None;
    // Opened once for a run (again only if a change's configuration lists other files).
    let mut contents: Option<(Vec<std::path::PathBuf>, PackageContents)> = None;
    for change in changes {
        let change = change?;
        let config = match &explicit {
            Some(c) => c.clone(),
            // The configuration the change itself carries: the after side's file.
            None => config_of(&change)?,
        };
        let selection = Selection::resolve(&args.selection, &config)?;
        fail_level = selection.fail_level.threshold();
        let mut files = args.package_contents.clone();
        files.extend(config.package_contents.iter().map(std::path::PathBuf::from));
        if contents.as_ref().map_or(true, |(f, _)| *f != files) {
            let opened = PackageContents::open(&files)?;
            contents = Some((files, opened));
        }
        let contents = contents.as_ref().map(|(_, c)| c).filter(|c| !c.is_empty());
        reports.push(check_one(
            &change,
            &config,
            &selection,
            args.show_preexisting,
            contents,
        )?);
    }

    let rules: Vec<_> = rules::registry::all().to_vec();
    let mut data = ReportData::new(&rules, reports);
    let code = report::finish(&args.output, &mut data, fail_level)?;
    Ok(code)
}

/// Analyse one change and run the rules on it, then mark what the base revision already
/// had ([`lint::preexisting`]): listed when `show_preexisting`, else only counted.
fn check_one(
    change: &Change,
    config: &Config,
    selection: &Selection,
    show_preexisting: bool,
    contents: Option<&PackageContents>,
) -> Result<ChangeReport, input::InputError> {
    let mut analysis = Analysis::build(change, config);
    // What the declared packages ship, read from this host's contents files.
    if let Some(contents) = contents {
        let mut wanted = analysis.before.debian_packages();
        wanted.extend(analysis.after.debian_packages());
        let shipped = contents.shipped(&wanted)?;
        analysis.before.add_package_contents(&shipped);
        analysis.after.add_package_contents(&shipped);
    }
    let (mut findings, effects) = {
        let cx = analysis.context(change, config, selection);
        let mut findings = lint::run(&cx);
        let effects = isolate::catch(
            || "the summary of effects".into(),
            || summary::effects(&analysis),
        );
        let effects = effects.unwrap_or_else(|failure| {
            findings.extend(lint::internal_errors(change, vec![failure]));
            lint::sort(&mut findings);
            Vec::new()
        });
        (findings, effects)
    };
    let parsed = analysis.manifests.before.len() + analysis.manifests.after.len();
    let puppet = analysis.after.puppet.to_string();
    // Isolated like every other part: a failure here costs the distinction, not the run
    // (the findings are then all shown as the change's).
    let found = isolate::catch(
        || "the comparison with the base revision".into(),
        || lint::preexisting::find(&findings, analysis, change, config, selection),
    );
    let mut hidden = 0;
    match found {
        Ok(old) => {
            for i in old {
                findings[i].preexisting = true;
            }
            if !show_preexisting {
                let before = findings.len();
                findings.retain(|f| !f.preexisting);
                hidden = before - findings.len();
            }
        }
        Err(failure) => {
            findings.extend(lint::internal_errors(change, vec![failure]));
            lint::sort(&mut findings);
        }
    }
    let mut report = ChangeReport::from_change(change, findings, parsed);
    report.preexisting_hidden = hidden;
    report.effects = effects;
    report.puppet = Some(puppet);
    Ok(report)
}

/// The configuration at the root of the change's after side, or the default.
fn config_of(change: &Change) -> Result<Config, crate::error::Error> {
    Config::from_tree(&change.after.tree).map_err(|e| crate::error::Error::Config(Box::new(e)))
}
