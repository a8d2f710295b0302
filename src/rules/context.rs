//! What a rule sees: the change, the parsed manifests of both sides, the configuration
//! and the rule selection. Built once per change; rules only read it.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use rayon::prelude::*;

use crate::config::Config;
use crate::diagnostic::Side;
use crate::input::{Change, EntryKind, FileStatus, Tree};
use crate::parser::{self, Parsed};

use super::Selection;

/// Everything a rule may look at. Rules are pure: no I/O, no git, no printing.
pub struct Context<'a> {
    pub change: &'a Change,
    pub manifests: &'a Manifests,
    pub config: &'a Config,
    pub selection: &'a Selection,
}

impl<'a> Context<'a> {
    pub fn new(
        change: &'a Change,
        manifests: &'a Manifests,
        config: &'a Config,
        selection: &'a Selection,
    ) -> Self {
        Context {
            change,
            manifests,
            config,
            selection,
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

/// Whether a repository path names a Puppet manifest.
pub fn is_manifest(path: &str) -> bool {
    path.ends_with(".pp")
}

/// One parsed manifest: its text (lossily decoded when not UTF-8) and the parse result.
#[derive(Debug)]
pub struct Manifest {
    pub text: Arc<str>,
    pub parsed: Parsed,
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
        let parsed = parser::parse(&text);
        Manifest {
            text,
            parsed,
            utf8_error,
        }
    }
}

/// Where one blob appears: (side, path) pairs.
type Places<'a> = Vec<(Side, &'a str)>;

/// The parsed manifests of both sides, keyed by repository path. A blob present on both
/// sides (the same git object, or the same bytes) is parsed once and shared.
#[derive(Debug, Default)]
pub struct Manifests {
    pub before: BTreeMap<String, Arc<Manifest>>,
    pub after: BTreeMap<String, Arc<Manifest>>,
}

impl Manifests {
    /// Parse every `*.pp` file of both trees, in parallel.
    pub fn parse(change: &Change) -> Manifests {
        let mut work: Vec<(&[u8], Places<'_>)> = Vec::new();
        let mut seen: HashMap<&[u8], usize> = HashMap::new();
        for (side, tree) in [
            (Side::Before, &change.before.tree),
            (Side::After, &change.after.tree),
        ] {
            for (path, data) in manifest_blobs(tree) {
                match seen.get(data) {
                    Some(&i) => work[i].1.push((side, path)),
                    None => {
                        seen.insert(data, work.len());
                        work.push((data, vec![(side, path)]));
                    }
                }
            }
        }
        let parsed: Vec<Arc<Manifest>> = work
            .par_iter()
            .map(|(data, _)| Arc::new(Manifest::parse(data)))
            .collect();
        let mut out = Manifests::default();
        for ((_, places), m) in work.iter().zip(parsed) {
            for &(side, path) in places {
                out.side_mut(side).insert(path.to_owned(), Arc::clone(&m));
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

    fn side_mut(&mut self, side: Side) -> &mut BTreeMap<String, Arc<Manifest>> {
        match side {
            Side::Before => &mut self.before,
            Side::After => &mut self.after,
        }
    }

    /// How many distinct manifests were parsed (shared blobs count once).
    pub fn distinct(&self) -> usize {
        let mut ptrs: Vec<*const Manifest> = self
            .before
            .values()
            .chain(self.after.values())
            .map(Arc::as_ptr)
            .collect();
        ptrs.sort_unstable();
        ptrs.dedup();
        ptrs.len()
    }
}

fn manifest_blobs(tree: &Tree) -> impl Iterator<Item = (&str, &[u8])> {
    tree.files
        .iter()
        .filter(|(p, e)| {
            is_manifest(p) && matches!(e.kind, EntryKind::File | EntryKind::Executable)
        })
        .map(|(p, e)| (p.as_str(), &e.blob.data[..]))
}
