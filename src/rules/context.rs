//! What a rule sees: the change, the parsed manifests and the resource models of both
//! sides, what the change does to the resources, the configuration and the rule
//! selection. [`Analysis::build`] computes the heavy parts once per change; rules only
//! read them through a [`Context`].

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use crate::config::Config;
use crate::diagnostic::Side;
pub use crate::input::is_manifest;
use crate::input::{Blob, Change, EntryKind, FileStatus, Tree};
use crate::isolate::{self, Failure};
use crate::model::{Model, ModelChange, ParseCache};
use crate::parser::{self, Parsed};

use super::Selection;

/// The parsed manifests and models of both sides of a change, and the model change.
#[derive(Debug)]
pub struct Analysis {
    pub manifests: Manifests,
    pub before: Model,
    pub after: Model,
    pub diff: ModelChange,
    /// Parts that panicked while building this (reported as `internal-error`).
    pub failures: Vec<Failure>,
}

impl Analysis {
    /// Parse (each distinct blob once) and evaluate both sides, then diff them.
    ///
    /// Each stage is isolated ([`crate::isolate`]): the evaluator also isolates each unit
    /// of code it evaluates, so one failing class costs only that class. When a whole
    /// model cannot be built, both sides get an empty model (so that the diff does not
    /// report everything as added or removed) and only the rules that read the manifests
    /// themselves have something to say.
    pub fn build(change: &Change, config: &Config) -> Analysis {
        let cache = ParseCache::new();
        let opts = config.model_options();
        Model::prefetch(&[&change.before.tree, &change.after.tree], &opts, &cache);
        let gather = || {
            isolate::catch(
                || "the parser".into(),
                || Manifests::from_cache(change, &cache),
            )
        };
        let (before, after, gathered) = build_models(change, &opts, &cache, &gather);
        let mut failures = Vec::new();
        let (mut before, mut after) = match (before, after) {
            (Ok(b), Ok(a)) => (b, a),
            (b, a) => {
                failures.extend(b.err());
                failures.extend(a.err());
                (Model::default(), Model::default())
            }
        };
        for (model, label) in [
            (&mut before, "before the change"),
            (&mut after, "after the change"),
        ] {
            for mut f in std::mem::take(&mut model.failures) {
                f.part = format!("{} ({label})", f.part);
                failures.push(f);
            }
        }
        // The parsed manifests are gathered (one thread, every path of both trees) while
        // the rule inputs are read and the models compared, unless that was done already.
        let (diff, manifests) = rayon::join(
            || {
                rayon::join(
                    || read_rule_inputs(&before, &change.before.tree, &change.after.tree),
                    || read_rule_inputs(&after, &change.after.tree, &change.before.tree),
                );
                isolate::catch(
                    || "the comparison of the two revisions".into(),
                    || ModelChange::compute(&before, &after, change),
                )
            },
            || gathered.unwrap_or_else(gather),
        );
        let diff = diff.unwrap_or_else(|f| {
            failures.push(f);
            ModelChange::default()
        });
        let manifests = manifests.unwrap_or_else(|f| {
            failures.push(f);
            Manifests::default()
        });
        Analysis {
            manifests,
            before,
            after,
            diff,
            failures,
        }
    }

    /// The analysis of [`Change::base_as_new`] (`base`: the empty tree against this
    /// change's before side), built from this one without parsing or evaluating again:
    /// its after side is this analysis's before model and manifests. Consumes `self`.
    /// Parts that fail here are dropped: the real change's analysis reported its own.
    pub fn into_base_as_new(self, base: &Change, config: &Config) -> Analysis {
        let cache = ParseCache::new();
        let opts = config.model_options();
        let empty = isolate::catch(
            || "the evaluator (empty tree)".into(),
            || Model::build(&base.before.tree, &opts, &cache),
        )
        .unwrap_or_default();
        let after = self.before;
        crate::model::drop_off_thread((self.after, self.diff, self.manifests.after));
        let diff = isolate::catch(
            || "the comparison with the empty tree".into(),
            || ModelChange::compute(&empty, &after, base),
        )
        .unwrap_or_default();
        Analysis {
            manifests: Manifests {
                before: Arc::default(),
                after: self.manifests.before,
            },
            before: empty,
            after,
            diff,
            failures: Vec::new(),
        }
    }

    /// The context rules run in.
    pub fn context<'a>(
        &'a self,
        change: &'a Change,
        config: &'a Config,
        selection: &'a Selection,
    ) -> Context<'a> {
        Context {
            change,
            manifests: &self.manifests,
            before: &self.before,
            after: &self.after,
            diff: &self.diff,
            failures: &self.failures,
            config,
            selection,
            hosts: &crate::hosts::NONE,
        }
    }
}

/// A side's model, or why it could not be built.
type Built = Result<Model, Failure>;

/// The models of both sides of `change`, each built in isolation (a panic is that side's
/// [`Failure`]).
///
/// Side by side, unless the change only modifies files that the evaluation is not expected
/// to read ([`unread_by_evaluation`]: templates and deployed files, which only the index
/// reads): then the before side is evaluated alone, and when it did not use any of the
/// modified files ([`crate::input::Blob::uses`], counted across the evaluation), the after
/// side takes a copy of that evaluation instead of evaluating the same code again; each
/// side builds its own index and facts. When the evaluation did use one, the after side
/// is evaluated after all.
fn build_models<G>(
    change: &Change,
    opts: &crate::model::ModelOptions,
    cache: &ParseCache,
    gather: &G,
) -> (Built, Built, Option<G::Output>)
where
    G: Fn() -> Result<Manifests, Failure> + Sync,
{
    const BEFORE: &str = "the evaluator (before the change)";
    const AFTER: &str = "the evaluator (after the change)";
    let (old, new) = (&change.before.tree, &change.after.tree);
    let side = |tree, part: &'static str| {
        isolate::catch(|| part.to_string(), || Model::build(tree, opts, cache))
    };
    let Some(modified) = modified_unread(change) else {
        let (b, a) = rayon::join(|| side(old, BEFORE), || side(new, AFTER));
        return (b, a, None);
    };
    let uses: Vec<u64> = modified.iter().map(|b| b.uses()).collect();
    // The other thread gathers the parsed manifests meanwhile (a read of a modified blob
    // there only makes the after side evaluate: never a wrong sharing).
    let (evaluated, gathered) = rayon::join(
        || isolate::catch(|| BEFORE.to_string(), || Model::evaluate(old, opts, cache)),
        gather,
    );
    let unused = modified.iter().zip(&uses).all(|(b, &n)| b.uses() == n);
    let (b, a) = match evaluated {
        Ok(ev) if unused => {
            let shared = isolate::catch(|| AFTER.to_string(), || ev.share());
            rayon::join(
                || isolate::catch(|| BEFORE.to_string(), || ev.finish(old, opts)),
                || {
                    shared
                        .and_then(|s| isolate::catch(|| AFTER.to_string(), || s.finish(new, opts)))
                },
            )
        }
        Ok(ev) => rayon::join(
            || isolate::catch(|| BEFORE.to_string(), || ev.finish(old, opts)),
            || side(new, AFTER),
        ),
        Err(f) => (Err(f), side(new, AFTER)),
    };
    (b, a, Some(gathered))
}

/// The before side's blobs of the files `change` modifies, when every file it touches is
/// modified in place (same path, same kind, not a submodule) and none is one that the
/// evaluation is expected to read; else `None`.
fn modified_unread(change: &Change) -> Option<Vec<&Arc<Blob>>> {
    let mut out = Vec::new();
    for f in &change.files {
        let path = f.old_path.as_deref()?;
        let same = f.status == FileStatus::Modified
            && f.new_path.as_deref() == Some(path)
            && f.old_kind == f.new_kind
            && f.old_kind != Some(EntryKind::Submodule);
        if !same || !unread_by_evaluation(path) {
            return None;
        }
        out.push(&change.before.tree.get(path)?.blob);
    }
    Some(out)
}

/// Whether the evaluation is not expected to read `path`: templates and module files,
/// which only the index and the rules read, and files of no Puppet category, except
/// those the evaluation does read (custom and external facts, version evidence such as
/// `Gemfile.lock` and `metadata.json`, data and configuration files wherever they are).
/// Only a guess, which [`build_models`] checks by the blobs' use counts: a wrong guess
/// costs time, never a different model.
fn unread_by_evaluation(path: &str) -> bool {
    use crate::input::{categorize, Category};
    if path.contains("facts.d/") || path.contains("lib/facter/") {
        return false;
    }
    let name = path.rsplit('/').next().unwrap_or(path);
    let ext = name.rsplit_once('.').map_or("", |(_, e)| e);
    match categorize(path) {
        Some(Category::Template | Category::ModuleFile) => true,
        None => {
            !matches!(
                ext,
                "pp" | "rb" | "json" | "yaml" | "yml" | "eyaml" | "conf" | "lock"
            ) && !name.starts_with("Gemfile")
        }
        Some(_) => false,
    }
}

/// Reads, before any rule runs, the content the rules read beyond what the model did:
/// every repository file a resource's `content` or `source` refers to (the rules look into
/// templates, unit files and deployed scripts), on both sides, and the modules'
/// `metadata.json` files. Rules run in parallel, and `incomplete-input` lists the files
/// whose read failed ([`Change::unreadable`]): with the reads done here, that list is
/// complete when the rules start. Objects larger than [`crate::input::SNIFF_LIMIT`] are
/// not read here (the rules that look for scripts do not read them either); a missing
/// object has no known size and is asked for, which records it.
fn read_rule_inputs(model: &Model, tree: &Tree, other: &Tree) {
    use rayon::prelude::*;
    let mut paths: Vec<&str> = model
        .index
        .file_uses
        .iter()
        .filter_map(|u| u.file_ref.resolved.as_deref())
        .chain(
            tree.paths()
                .filter(|p| super::executables::is_module_metadata(p)),
        )
        .collect();
    paths.sort_unstable();
    paths.dedup();
    // A path a resource uses on one side is compared with the other side's file.
    let mut blobs: Vec<&Arc<Blob>> = paths
        .iter()
        .flat_map(|p| [tree.get(p), other.get(p)])
        .flatten()
        .filter(|e| matches!(e.kind, EntryKind::File | EntryKind::Executable))
        .map(|e| &e.blob)
        .collect();
    blobs.sort_unstable_by_key(|b| Arc::as_ptr(b));
    blobs.dedup_by_key(|b| Arc::as_ptr(b));
    blobs.par_iter().for_each(|b| {
        let _ = b.small_text();
    });
}

/// Everything a rule may look at. Rules are pure: no I/O, no git, no printing.
pub struct Context<'a> {
    pub change: &'a Change,
    pub manifests: &'a Manifests,
    /// The base revision's resources.
    pub before: &'a Model,
    /// The head revision's resources.
    pub after: &'a Model,
    /// What the change does to the resources (added, removed, changed, restarts).
    pub diff: &'a ModelChange,
    /// Parts that panicked while the analysis was built; [`crate::lint::run`] reports
    /// them with the rules' own failures.
    pub failures: &'a [Failure],
    pub config: &'a Config,
    pub selection: &'a Selection,
    /// The host snapshots the change is judged against (none unless `check` was given
    /// some); read by the `host-*` rules.
    pub hosts: &'a crate::hosts::Hosts,
}

impl<'a> Context<'a> {
    /// The model of one side.
    pub fn model(&self, side: Side) -> &'a Model {
        match side {
            Side::Before => self.before,
            Side::After => self.after,
        }
    }

    /// The after-side paths of the manifests (`*.pp`) this change adds, modifies or
    /// renames, in path order. Deleted manifests are not included.
    pub fn changed_manifests(&self) -> Vec<&'a str> {
        let mut out: Vec<&str> = self
            .change
            .files
            .iter()
            .filter(|f| f.status != FileStatus::Deleted)
            .filter_map(|f| f.new_path.as_deref())
            .filter(|p| is_manifest(p))
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    /// The parsed manifest at `path` on `side`, if there is one.
    pub fn manifest(&self, side: Side, path: &str) -> Option<&'a Manifest> {
        self.manifests.side(side).get(path).map(Arc::as_ref)
    }
}

/// One parsed manifest: its text (lossily decoded when not UTF-8) and the parse result.
#[derive(Debug)]
pub struct Manifest {
    pub text: Arc<str>,
    pub parsed: Arc<Parsed>,
    /// Byte offset of the first invalid UTF-8 sequence, when the file is not UTF-8
    /// (Puppet rejects such a file; the text was decoded lossily to parse the rest).
    pub utf8_error: Option<usize>,
}

impl Manifest {
    /// Parse `data`. Never fails: syntax and encoding errors are recorded.
    pub fn parse(data: &[u8]) -> Manifest {
        let (text, utf8_error): (Arc<str>, _) = match std::str::from_utf8(data) {
            Ok(t) => (Arc::from(t), None),
            Err(e) => (
                Arc::from(String::from_utf8_lossy(data).as_ref()),
                Some(e.valid_up_to()),
            ),
        };
        let parsed = Arc::new(parser::parse(&text));
        Manifest {
            text,
            parsed,
            utf8_error,
        }
    }
}

/// The parsed manifests of both sides, keyed by repository path. A blob present on both
/// sides (the same git object, or the same bytes) is parsed once and shared.
#[derive(Debug, Default)]
pub struct Manifests {
    /// Shared: the reverse change `unsafe-revert` judges holds the same two maps.
    pub before: Arc<BTreeMap<String, Arc<Manifest>>>,
    pub after: Arc<BTreeMap<String, Arc<Manifest>>>,
}

impl Manifests {
    /// The manifests of both trees, taking parse results from `cache` (which the models
    /// filled); files missing from it (not UTF-8) are parsed here, lossily decoded. A
    /// manifest whose content cannot be read is left out.
    pub fn from_cache(change: &Change, cache: &ParseCache) -> Manifests {
        let mut out = Manifests::default();
        let mut shared: HashMap<*const u8, Arc<Manifest>> = HashMap::new();
        for (side, tree) in [
            (Side::Before, &change.before.tree),
            (Side::After, &change.after.tree),
        ] {
            let entries: Vec<(&String, &Arc<crate::input::Blob>)> = tree
                .files
                .iter()
                .filter(|(p, e)| {
                    is_manifest(p) && matches!(e.kind, EntryKind::File | EntryKind::Executable)
                })
                .map(|(p, e)| (p, &e.blob))
                .collect();
            let blobs: Vec<&Arc<crate::input::Blob>> = entries.iter().map(|(_, b)| *b).collect();
            let parsed = cache.parse_all(&blobs);
            for ((path, blob), p) in entries.into_iter().zip(parsed) {
                // A manifest whose content cannot be read has no parse: it is listed as
                // unreadable (`Change::unreadable`), never parsed as empty.
                let Some(data) = blob.data() else { continue };
                let m = shared
                    .entry(data.as_ptr())
                    .or_insert_with(|| match (p, blob.shared_text()) {
                        (Some(parsed), Some(text)) => Arc::new(Manifest {
                            text,
                            parsed,
                            utf8_error: None,
                        }),
                        _ => Arc::new(Manifest::parse(data)),
                    })
                    .clone();
                out.side_mut(side).insert(path.clone(), m);
            }
        }
        out
    }

    pub fn side(&self, side: Side) -> &BTreeMap<String, Arc<Manifest>> {
        match side {
            Side::Before => &self.before,
            Side::After => &self.after,
        }
    }

    /// One side's map to fill (a map still shared is copied first).
    pub(crate) fn side_mut(&mut self, side: Side) -> &mut BTreeMap<String, Arc<Manifest>> {
        match side {
            Side::Before => Arc::make_mut(&mut self.before),
            Side::After => Arc::make_mut(&mut self.after),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::Case;

    /// The models of `case` built as a check builds them, and each side on its own.
    fn built_both_ways(case: &Case) -> (Analysis, Model, Model) {
        let change = case.change();
        let config = Config::default();
        let analysis = Analysis::build(&change, &config);
        let opts = config.model_options();
        let alone = |tree| Model::build(tree, &opts, &ParseCache::new());
        let before = alone(&change.before.tree);
        let after = alone(&change.after.tree);
        (analysis, before, after)
    }

    fn same_model(a: &Model, b: &Model) {
        assert_eq!(format!("{:?}", a.resources), format!("{:?}", b.resources));
        assert_eq!(format!("{:?}", a.edges), format!("{:?}", b.edges));
        assert_eq!(format!("{:?}", a.index), format!("{:?}", b.index));
        assert_eq!(format!("{:?}", a.facts), format!("{:?}", b.facts));
        assert_eq!(a.puppet, b.puppet);
    }

    #[test]
    fn files_the_evaluation_reads_are_not_guessed_unread() {
        for p in [
            "modules/app/templates/unit.service.erb",
            "modules/app/files/run.sh",
            "modules/app/files/app.conf",
            "README.md",
            "scripts/deploy.sh",
        ] {
            assert!(unread_by_evaluation(p), "{p}");
        }
        for p in [
            "manifests/site.pp",
            "modules/app/manifests/init.pp",
            "hieradata/common.yaml",
            "hiera.yaml",
            "environment.conf",
            "modules/app/metadata.json",
            "Gemfile.lock",
            "Puppetfile",
            "modules/app/lib/facter/role.rb",
            "modules/app/files/facts.d/role.txt",
            "facts.d/site.yaml",
        ] {
            assert!(!unread_by_evaluation(p), "{p}");
        }
    }

    #[test]
    fn a_template_change_shares_the_evaluation_and_indexes_each_side() {
        let manifest = "class app {\n  file { '/etc/systemd/system/app.service':\n    content => template('app/app.service.erb'),\n  }\n  service { 'app': ensure => running }\n}\ninclude app\n";
        let case = Case::default()
            .with_before("manifests/site.pp", manifest)
            .with_after("manifests/site.pp", manifest)
            .with_before(
                "modules/app/templates/app.service.erb",
                "[Service]\nExecStart=/usr/bin/app\n",
            )
            .with_after(
                "modules/app/templates/app.service.erb",
                "[Service]\nExecStart=/usr/local/bin/app2\n",
            );
        assert!(modified_unread(&case.change()).is_some());
        let (analysis, before, after) = built_both_ways(&case);
        same_model(&analysis.before, &before);
        same_model(&analysis.after, &after);
        // The index read each side's template.
        assert_ne!(
            format!("{:?}", analysis.before.index),
            format!("{:?}", analysis.after.index)
        );
    }

    #[test]
    fn a_modified_file_the_evaluation_reads_after_all_is_evaluated_on_each_side() {
        // Hiera data kept under `files/`: guessed unread, read by the evaluation.
        let hiera = "version: 5\ndefaults:\n  datadir: files\nhierarchy:\n  - name: common\n    path: common.yaml\n";
        let manifest = "class app ($pkg = 'none') {\n  package { $pkg: ensure => installed }\n}\ninclude app\n";
        let case = Case::default()
            .with_before("hiera.yaml", hiera)
            .with_after("hiera.yaml", hiera)
            .with_before("manifests/site.pp", manifest)
            .with_after("manifests/site.pp", manifest)
            .with_before("files/common.yaml", "app::pkg: old-name\n")
            .with_after("files/common.yaml", "app::pkg: new-name\n");
        assert!(modified_unread(&case.change()).is_some());
        let (analysis, before, after) = built_both_ways(&case);
        same_model(&analysis.before, &before);
        same_model(&analysis.after, &after);
        assert_eq!(analysis.after.find("package", "new-name").len(), 1);
        assert!(analysis.after.find("package", "old-name").is_empty());
    }
}
