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

use super::cache::{self, Cache};
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

    /// Neither read nor write the result cache (`$XDG_CACHE_HOME/puppet-preflight`), which
    /// makes a repeated check of the same revisions nearly free. Also
    /// `PUPPET_PREFLIGHT_NO_CACHE=1`.
    #[arg(long)]
    pub no_cache: bool,

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
    // Entries are per repository: what could be read decides a result, and a partial
    // clone of the same history may lack objects this one has.
    let where_from = args
        .input
        .repo
        .clone()
        .map_or_else(std::env::current_dir, Ok);
    let cache = match where_from.and_then(std::fs::canonicalize) {
        Ok(repo) => Cache::open(args.no_cache, &repo),
        Err(_) => Cache::open(true, std::path::Path::new("")),
    };
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
            &cache,
            contents,
        )?);
    }

    let rules: Vec<_> = rules::registry::all().to_vec();
    let mut data = ReportData::new(&rules, reports);
    let code = report::finish(&args.output, &mut data, fail_level)?;
    Ok(code)
}

/// Analyse one change and run the rules on it, then mark what the base revision already
/// had ([`lint::preexisting`]): listed when `show_preexisting`, else only counted. A change
/// checked before with the same settings and build is read from `cache` instead.
fn check_one(
    change: &Change,
    config: &Config,
    selection: &Selection,
    show_preexisting: bool,
    cache: &Cache,
    contents: Option<&PackageContents>,
) -> Result<ChangeReport, input::InputError> {
    // The package contents files are part of the settings: which ones, and their state.
    let files = contents.map(PackageContents::identity).unwrap_or_default();
    let key = cache.key(change, &format!("{config:?}\n{selection:?}\n{files}"));
    let entry = match key.as_deref().and_then(|k| cache.get(k)) {
        Some(entry) => entry,
        None => {
            let entry = analyse(change, config, selection, contents)?;
            // A change with content that could not be read (a partial clone) may give
            // another result once the objects are there: not stored.
            let complete = change.unreadable().is_empty();
            let failed = entry
                .findings
                .iter()
                .any(|f| f.rule == report::INTERNAL_ERROR);
            if let (Some(k), true, false) = (&key, complete, failed) {
                cache.put(k, &entry);
            }
            entry
        }
    };
    let cache::Entry {
        mut findings,
        effects,
        manifests_parsed,
        puppet,
    } = entry;
    let mut hidden = 0;
    if !show_preexisting {
        let before = findings.len();
        findings.retain(|f| !f.preexisting);
        hidden = before - findings.len();
    }
    let mut report = ChangeReport::from_change(change, findings, manifests_parsed);
    report.preexisting_hidden = hidden;
    report.effects = effects;
    report.puppet = puppet;
    Ok(report)
}

/// The findings of one change, every pre-existing one marked, and its effects.
fn analyse(
    change: &Change,
    config: &Config,
    selection: &Selection,
    contents: Option<&PackageContents>,
) -> Result<cache::Entry, input::InputError> {
    let trace = Trace::from_env();
    let mut analysis = Analysis::build(change, config);
    // What the declared packages ship, read from this host's contents files.
    if let Some(contents) = contents {
        let mut wanted = analysis.before.debian_packages();
        wanted.extend(analysis.after.debian_packages());
        let shipped = contents.shipped(&wanted)?;
        analysis.before.add_package_contents(&shipped);
        analysis.after.add_package_contents(&shipped);
        trace.phase("package contents");
    }
    trace.phase("parse, evaluate, diff");
    for (side, m) in [("before", &analysis.before), ("after", &analysis.after)] {
        for (phase, d) in &m.stats.timings {
            trace.note(&format!("  {side}: {phase} {:.3}s", d.as_secs_f64()));
        }
    }
    let (mut findings, effects) = {
        let cx = analysis.context(change, config, selection);
        let mut findings = lint::run(&cx);
        trace.phase("rules");
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
    let manifests_parsed = analysis.manifests.before.len() + analysis.manifests.after.len();
    let puppet = Some(analysis.after.puppet.to_string());
    // Isolated like every other part: a failure here costs the distinction, not the run
    // (the findings are then all shown as the change's).
    let found = isolate::catch(
        || "the comparison with the base revision".into(),
        || lint::preexisting::find(&findings, analysis, change, config, selection),
    );
    trace.phase("effects, pre-existing findings");
    match found {
        Ok(old) => {
            for i in old {
                findings[i].preexisting = true;
            }
        }
        Err(failure) => {
            findings.extend(lint::internal_errors(change, vec![failure]));
            lint::sort(&mut findings);
        }
    }
    Ok(cache::Entry {
        findings,
        effects,
        manifests_parsed,
        puppet,
    })
}

/// The configuration at the root of the change's after side, or the default.
fn config_of(change: &Change) -> Result<Config, crate::error::Error> {
    Config::from_tree(&change.after.tree).map_err(|e| crate::error::Error::Config(Box::new(e)))
}

/// `PUPPET_PREFLIGHT_TIMINGS=1`: the wall time of each phase of a check on standard error
/// (for benchmarks and profiling; the output is not a stable interface).
struct Trace {
    start: Option<std::cell::Cell<std::time::Instant>>,
}

impl Trace {
    fn from_env() -> Trace {
        let on = std::env::var_os("PUPPET_PREFLIGHT_TIMINGS").is_some_and(|v| v != "0");
        Trace {
            start: on.then(|| std::cell::Cell::new(std::time::Instant::now())),
        }
    }

    fn phase(&self, name: &str) {
        if let Some(start) = &self.start {
            let now = std::time::Instant::now();
            eprintln!("timing: {name} {:.3}s", (now - start.get()).as_secs_f64());
            start.set(now);
        }
    }

    fn note(&self, text: &str) {
        if self.start.is_some() {
            eprintln!("timing: {text}");
        }
    }
}
