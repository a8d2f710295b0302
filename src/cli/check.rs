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
use super::progress::Progress;
use super::{snapshot, summary};
use crate::hosts::Hosts;

/// The configured snapshot list and maximum age the loaded snapshots are for.
type HostsKey = (Vec<String>, u64);

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

    /// Judge the change against what the hosts hold: a snapshot written by
    /// `puppet-preflight snapshot`, or a directory of them, one per host (repeatable;
    /// replaces `host_snapshots` of the configuration).
    #[arg(long = "host-snapshot", value_name = "PATH")]
    pub host_snapshots: Vec<std::path::PathBuf>,

    /// What packages ship: a Debian `Contents-<arch>` index (plain or .gz) or a `dpkg -L`
    /// list named `<package>.list`; repeatable, added to the configuration's
    /// `package_contents`. A path a declared package ships counts as provided.
    #[arg(long = "package-contents", value_name = "FILE")]
    pub package_contents: Vec<std::path::PathBuf>,
}

pub fn run(args: Args) -> miette::Result<i32> {
    // A change's time includes reading it: the iterator reads a change when asked for it
    // (both trees of the first one already in `load_iter`), before the loop body starts.
    let mut started = std::time::Instant::now();
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
    // Two commits checked before with the same settings: answered from the cache without
    // reading either tree.
    let pair = pair_of(&args, &cache);
    if let Some((pair, key)) = &pair {
        if let Some((report, fail)) = from_pointer(&args, &cache, pair, key, started) {
            let rules: Vec<_> = rules::registry::all().to_vec();
            let mut data = ReportData::new(&rules, vec![report]);
            return Ok(report::finish(&args.output, &mut data, fail)?);
        }
    }
    let changes = input::load_iter(&args.input)?;
    // An explicit `--config` is read (and validated) before anything is analysed, so a
    // broken file stops the run with its own error whatever the change holds.
    let explicit = if args.selection.isolated {
        Some((
            Config::default(),
            "none: the defaults (--isolated)".to_string(),
        ))
    } else if let Some(path) = &args.selection.config {
        Some((
            lint::load_config(&args.selection, None)?,
            format!("{} (--config)", path.display()),
        ))
    } else {
        None
    };

    // Changes are checked as they are read and dropped after: a long `--each` series never
    // holds more than a window of trees.
    let mut reports = Vec::new();
    let mut fail_level = None;
    // Snapshots are read once per distinct configured list (a series usually has one).
    let mut hosts: Option<(HostsKey, Hosts)> = None;
    let mut first = true;
    // `--each` over a long series: a progress line on a terminal.
    let progress = Progress::new("checking", changes.total(), args.output.quiet, 2);
    // Opened once for a run (again only if a change's configuration lists other files).
    let mut contents: Option<(Vec<std::path::PathBuf>, PackageContents)> = None;
    for change in changes {
        let read = started.elapsed();
        let change = change?;
        progress.step(&format!(
            "{} {}",
            change.after.label.get(..12).unwrap_or(&change.after.label),
            change.after.summary.as_deref().unwrap_or("")
        ));
        if args.output.verbose {
            eprintln!(
                "puppet-preflight: {}..{}: {} file{} changed (read in {} ms)",
                change.before.label,
                change.after.label,
                change.files.len(),
                if change.files.len() == 1 { "" } else { "s" },
                read.as_millis()
            );
            for note in &change.notes {
                eprintln!("  {note}");
            }
        }
        let (config, source) = match &explicit {
            Some(c) => c.clone(),
            // The configuration the change itself carries: the after side's file.
            None => {
                if std::mem::take(&mut first) {
                    let used = change
                        .after
                        .tree
                        .get(input::CONFIG_FILE)
                        .and_then(|e| e.blob.data());
                    warn_if_worktree_config_differs(&args.input, &change.after.label, used);
                }
                (config_of(&change)?, config_source(&args.input, &change))
            }
        };
        let selection = Selection::resolve(&args.selection, &config)?;
        fail_level = selection.fail_level.threshold();
        let key = (config.host_snapshots.clone(), config.host_snapshot_max_age);
        if hosts.as_ref().map(|(k, _)| k) != Some(&key) {
            hosts = Some((key, snapshot::load_hosts(&args.host_snapshots, &config)?));
        }
        let Some(hosts) = &hosts else { continue };
        let mut files = args.package_contents.clone();
        files.extend(config.package_contents.iter().map(std::path::PathBuf::from));
        if contents.as_ref().map_or(true, |(f, _)| *f != files) {
            let opened = PackageContents::open(&files)?;
            contents = Some((files, opened));
        }
        let contents = contents.as_ref().map(|(_, c)| c).filter(|c| !c.is_empty());
        let outside = Outside {
            cache: &cache,
            hosts: &hosts.1,
            contents,
            verbose: args.output.verbose,
        };
        let (report, stored) = check_one(
            &change,
            &config,
            &selection,
            args.show_preexisting,
            args.output.draws_graph(),
            &outside,
        )?;
        // What a later check of the same two commits needs to skip reading them. Not
        // with package contents files, whose state the pair key does not cover.
        if let (Some((_, pair_key)), Some(entry), None) = (&pair, stored, contents) {
            cache.put_pointer(&cache::Pointer {
                key: pair_key.clone(),
                entry,
                base: report.base.clone(),
                head: report.head.clone(),
                title: report.title.clone(),
                files: report
                    .files
                    .iter()
                    .map(|f| (f.path.clone(), f.old_path.clone()))
                    .collect(),
                configuration: source.clone(),
                fail_level: fail_level.map(|s| s.as_str().to_string()),
            });
        }
        reports.push(report);
        if let Some(report) = reports.last_mut() {
            if args.output.verbose {
                eprintln!(
                    "  configuration: {source}\n  checked in {} ms: {}",
                    started.elapsed().as_millis(),
                    report.counts().findings_phrase()
                );
            }
            report.configuration = Some(source);
        }
        started = std::time::Instant::now();
    }

    progress.finish();
    let rules: Vec<_> = rules::registry::all().to_vec();
    let mut data = ReportData::new(&rules, reports);
    let code = report::finish(&args.output, &mut data, fail_level)?;
    Ok(code)
}

/// What a check reads besides the change and its configuration (the result cache, the
/// host snapshots and the package contents files, opened once per run), and whether to
/// say how long its phases took.
struct Outside<'a> {
    cache: &'a Cache,
    hosts: &'a Hosts,
    contents: Option<&'a PackageContents>,
    /// `--verbose`: the time of each phase of an analysis, on standard error.
    verbose: bool,
}

/// Analyse one change and run the rules on it, then mark what the base revision already
/// had ([`lint::preexisting`]): listed when `show_preexisting`, else only counted. A change
/// checked before with the same settings and build is read from `cache` instead.
fn check_one(
    change: &Change,
    config: &Config,
    selection: &Selection,
    show_preexisting: bool,
    draw_graph: bool,
    outside: &Outside<'_>,
) -> Result<(ChangeReport, Option<String>), input::InputError> {
    let Outside {
        cache,
        hosts,
        contents,
        verbose,
    } = *outside;
    // What the hosts hold is not in the key (nor is the clock their age depends on): a
    // check against host snapshots neither reads nor writes the cache. The package
    // contents files are part of the settings: which ones, and their state.
    let files = contents.map(PackageContents::identity).unwrap_or_default();
    let key = if hosts.is_empty() {
        cache.key(change, &format!("{config:?}\n{selection:?}\n{files}"))
    } else {
        None
    };
    // The graph (`--format html|dot`) is drawn from the analysis, which the cache does not
    // keep: such a run analyses the change again (and refreshes the entry).
    let cached = if draw_graph {
        None
    } else {
        key.as_deref().and_then(|k| cache.get(k))
    };
    let mut graph = report::graph::ChangeGraph::default();
    // The key of the entry the cache holds for this change after this check, if any.
    let mut stored = None;
    let entry = match cached {
        Some(entry) => {
            stored = key;
            entry
        }
        None => {
            let (entry, drawn) = analyse(
                change, config, selection, hosts, draw_graph, contents, verbose,
            )?;
            graph = drawn;
            // A change with content that could not be read (a partial clone) may give
            // another result once the objects are there: not stored.
            let complete = change.unreadable().is_empty();
            let failed = entry
                .findings
                .iter()
                .any(|f| f.rule == report::INTERNAL_ERROR);
            if let (Some(k), true, false) = (key, complete, failed) {
                cache.put(&k, &entry);
                stored = Some(k);
            }
            entry
        }
    };
    let mut report = ChangeReport::from_change(change, Vec::new(), 0);
    fill_report(&mut report, entry, show_preexisting);
    report.sources = report::Sources::for_findings(change, &report.findings);
    report.graph = graph;
    Ok((report, stored))
}

/// Put the findings, effects and facts of `entry` into `report`, the pre-existing
/// findings counted only unless `show_preexisting`. The texts the findings point into
/// are left to the caller.
fn fill_report(report: &mut ChangeReport, entry: cache::Entry, show_preexisting: bool) {
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
    report.manifests_parsed = manifests_parsed;
    report.findings = findings;
    report.preexisting_hidden = hidden;
    report.effects = effects;
    report.puppet = puppet;
}

/// The commits of a `--base`/`--head` check and their key in the result cache, when a
/// stored result may answer it: the cache is on, no graph is drawn, and neither host
/// snapshots nor package contents files are given (their state is not in the key).
fn pair_of(args: &Args, cache: &Cache) -> Option<(input::CommitPair, String)> {
    if args.output.draws_graph()
        || !args.host_snapshots.is_empty()
        || !args.package_contents.is_empty()
    {
        return None;
    }
    // The selection flags, and the content of an explicit configuration file.
    let mut settings = format!("{:?}\n", args.selection);
    if let Some(path) = &args.selection.config {
        let bytes = std::fs::read(path).ok()?;
        settings.push_str(&String::from_utf8_lossy(&bytes));
    }
    let pair = input::commit_pair(&args.input)?;
    let key = cache.pair_key(&pair, &settings)?;
    Some((pair, key))
}

/// The report of the check of `pair`, from the entry a full check of the same commits
/// stored (and its fail level), or `None` when the cache does not have both.
fn from_pointer(
    args: &Args,
    cache: &Cache,
    pair: &input::CommitPair,
    key: &str,
    started: std::time::Instant,
) -> Option<(ChangeReport, Option<crate::diagnostic::Severity>)> {
    let pointer = cache.get_pointer(key)?;
    let fail = match &pointer.fail_level {
        Some(s) => Some(crate::diagnostic::Severity::parse(s)?),
        None => None,
    };
    let entry = cache.get(&pointer.entry)?;
    let mut report = ChangeReport {
        base: pointer.base,
        head: pointer.head,
        title: pointer.title,
        files: pointer
            .files
            .into_iter()
            .map(|(path, old_path)| report::ChangedFile { path, old_path })
            .collect(),
        ..ChangeReport::default()
    };
    fill_report(&mut report, entry, args.show_preexisting);
    // The source lines shown with the findings, read from the commits.
    let mut sources = report::Sources::default();
    sources.add_with(report::locations_of(&report.findings), |side, path| {
        pair.file(side, path)?.shared_text()
    });
    report.sources = sources;
    if args.selection.config.is_none() && !args.selection.isolated {
        let used = pair.file(crate::diagnostic::Side::After, input::CONFIG_FILE);
        warn_if_worktree_config_differs(
            &args.input,
            &report.head,
            used.as_ref().and_then(input::Blob::data),
        );
    }
    if args.output.verbose {
        eprintln!(
            "puppet-preflight: {}..{}: {} file{} changed (from the result cache)\n  \
             configuration: {}\n  checked in {} ms: {}",
            report.base,
            report.head,
            report.files.len(),
            if report.files.len() == 1 { "" } else { "s" },
            pointer.configuration,
            started.elapsed().as_millis(),
            report.counts().findings_phrase()
        );
    }
    report.configuration = Some(pointer.configuration);
    Some((report, fail))
}

/// The findings of one change, every pre-existing one marked, and its effects; with
/// `draw_graph`, the graph of its restarts and links too.
fn analyse(
    change: &Change,
    config: &Config,
    selection: &Selection,
    hosts: &Hosts,
    draw_graph: bool,
    contents: Option<&PackageContents>,
    verbose: bool,
) -> Result<(cache::Entry, report::graph::ChangeGraph), input::InputError> {
    let trace = Trace::new(verbose);
    let mut analysis = Analysis::build(change, config);
    trace.phase("parse, evaluate, diff");
    // What the declared packages ship, read from this host's contents files.
    if let Some(contents) = contents {
        let mut wanted = analysis.before.debian_packages();
        wanted.extend(analysis.after.debian_packages());
        let shipped = contents.shipped(&wanted)?;
        analysis.before.add_package_contents(&shipped);
        analysis.after.add_package_contents(&shipped);
        trace.phase("package contents");
    }
    // Built only for the formats that draw it; isolated like the summary.
    let graph = if draw_graph {
        isolate::catch(
            || "the graph of restarts and links".into(),
            || report::graph::build(&analysis, change),
        )
    } else {
        Ok(report::graph::ChangeGraph::default())
    };
    for (side, m) in [("before", &analysis.before), ("after", &analysis.after)] {
        for (phase, d) in &m.stats.timings {
            trace.note(&format!("  {side}: {phase} {:.3}s", d.as_secs_f64()));
        }
    }
    let (mut findings, effects) = {
        let mut cx = analysis.context(change, config, selection);
        cx.hosts = hosts;
        let mut findings = lint::run(&cx);
        trace.phase("rules");
        let effects = isolate::catch(
            || "the summary of effects".into(),
            || {
                let mut e = summary::effects(&analysis);
                e.extend(snapshot::host_effects(&cx));
                e
            },
        );
        let effects = effects.unwrap_or_else(|failure| {
            findings.extend(lint::internal_errors(change, vec![failure]));
            lint::sort(&mut findings);
            Vec::new()
        });
        if let Err(failure) = &graph {
            findings.extend(lint::internal_errors(change, vec![failure.clone()]));
            lint::sort(&mut findings);
        }
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
    Ok((
        cache::Entry {
            findings,
            effects,
            manifests_parsed,
            puppet,
        },
        graph.unwrap_or_default(),
    ))
}

/// The configuration at the root of the change's after side, or the default.
fn config_of(change: &Change) -> Result<Config, crate::error::Error> {
    Config::from_tree(&change.after.tree).map_err(|e| crate::error::Error::Config(Box::new(e)))
}

/// `--verbose` (or `PUPPET_PREFLIGHT_TIMINGS=1`, for benchmark scripts that parse the
/// report): the wall time of each phase of an analysis on standard error. Not a stable
/// interface. A change read from the result cache has no phases to show.
struct Trace {
    start: Option<std::cell::Cell<std::time::Instant>>,
}

impl Trace {
    fn new(verbose: bool) -> Trace {
        let on = verbose || std::env::var_os("PUPPET_PREFLIGHT_TIMINGS").is_some_and(|v| v != "0");
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

/// Which configuration a change is checked with, in words: the after side's file, or the
/// defaults when it has none.
fn config_source(input: &InputArgs, change: &Change) -> String {
    let side = match change.after.label.as_str() {
        _ if input.after.is_some() => "the --after directory".to_string(),
        "worktree" => "the work tree".to_string(),
        "index" => "the index".to_string(),
        // A commit id: as short as git shows it.
        label if label.len() == 40 && label.bytes().all(|b| b.is_ascii_hexdigit()) => {
            label[..12].to_string()
        }
        label => label.to_string(),
    };
    if change.after.tree.get(input::CONFIG_FILE).is_some() {
        format!("{} of {side}", input::CONFIG_FILE)
    } else {
        format!("none: the defaults (no {} in {side})", input::CONFIG_FILE)
    }
}

/// Say so on standard error when the work tree's configuration is not the one read (an
/// untracked or edited file the user expects to apply).
fn warn_if_worktree_config_differs(args: &InputArgs, label: &str, used: Option<&[u8]>) {
    if let Some(state) = input::worktree_config_state(args, used) {
        let read = if used.is_some() {
            format!("the one in {label}")
        } else {
            "the defaults".to_string()
        };
        eprintln!(
            "warning: this check uses {read}, not the work tree's {}: {}",
            input::CONFIG_FILE,
            state.advice(args.staged)
        );
    }
}
