//! The Debian puppet-module corpus, assembled as one repository (modules side by side
//! under `modules/<name>/`), evaluates without panics; prints counts and timings.
//!
//! Skips unless `PREFLIGHT_CORPUS` names the directory `scripts/fetch-corpus.sh` filled
//! (or its `usr/share/puppet/modules.available`).
//! `scripts/bench-model.sh` runs it in release mode.

mod corpus_env;

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use puppet_preflight::input::{
    Blob, Change, EntryKind, FileChange, FileStatus, Revision, Tree, TreeEntry,
};
use puppet_preflight::model::{Model, ModelChange, ModelOptions, ParseCache};

/// The module name: metadata.json's `name` after its author prefix, else the directory
/// name after its last `-`.
fn module_name(dir: &Path) -> String {
    let from_meta = std::fs::read_to_string(dir.join("metadata.json"))
        .ok()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        .and_then(|v| v.get("name").and_then(|n| n.as_str()).map(str::to_string))
        .and_then(|n| n.rsplit(['-', '/']).next().map(str::to_string));
    from_meta.unwrap_or_else(|| {
        let d = dir
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default();
        d.rsplit('-').next().unwrap_or(&d).to_string()
    })
}

fn corpus_tree(root: &Path) -> Tree {
    let mut tree = Tree::default();
    let mut dirs: Vec<_> = std::fs::read_dir(root)
        .expect("corpus dir")
        .flatten()
        .map(|e| e.path())
        .collect();
    dirs.sort();
    for d in dirs.into_iter().filter(|d| d.is_dir()) {
        let name = module_name(&d);
        for e in walkdir::WalkDir::new(&d).into_iter().flatten() {
            if !e.file_type().is_file() {
                continue;
            }
            let rel = e
                .path()
                .strip_prefix(&d)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            let data = std::fs::read(e.path()).unwrap();
            tree.files.insert(
                format!("modules/{name}/{rel}"),
                TreeEntry {
                    kind: EntryKind::File,
                    blob: Arc::new(Blob::new(None, data)),
                },
            );
        }
    }
    tree
}

/// CPU time (user + system) of this process so far, from /proc (Linux; zero elsewhere).
/// On a shared machine CPU time is steadier than wall time.
fn cpu_time() -> std::time::Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    // Fields after the command: state ppid pgrp session tty tpgid flags minflt cminflt
    // majflt cmajflt utime stime (clock ticks, 100 per second on Linux).
    let f: Vec<&str> = after.split_whitespace().collect();
    let tick = |i: usize| f.get(i).and_then(|x| x.parse::<u64>().ok()).unwrap_or(0);
    std::time::Duration::from_millis((tick(11) + tick(12)) * 10)
}

#[test]
#[cfg_attr(
    not(preflight_corpus),
    ignore = "needs the Debian corpus: set PREFLIGHT_CORPUS"
)]
fn corpus_evaluates_without_panics() {
    let Some(dir) = corpus_env::modules("corpus_evaluates_without_panics") else {
        return;
    };
    let t0 = Instant::now();
    let tree = corpus_tree(Path::new(&dir));
    let read = t0.elapsed();
    let opts = ModelOptions::default();

    let cache = ParseCache::new();
    let (t1, c1) = (Instant::now(), cpu_time());
    let model = Model::build(&tree, &opts, &cache);
    let build = t1.elapsed();
    let build_cpu = cpu_time() - c1;
    let s = &model.stats;
    println!(
        "corpus: {} files read in {:?}; model built in {:?} (cpu {:?}): {} manifests ({} with syntax errors), {} resources, {} symbolic values, {} edges, {} services, {} with a binary, {} classes, {} defines",
        tree.files.len(), read, build, build_cpu, s.manifests, s.manifests_with_syntax_errors, s.resources,
        s.symbolic_values, s.edges, model.index.services.len(),
        model.index.services.values().flatten().filter(|i| i.binary.is_some()).count(),
        model.classes.len(), model.defines.len()
    );
    println!("phases: {:?}", s.timings);
    assert!(
        s.manifests > 1500,
        "expected the whole corpus, got {} manifests",
        s.manifests
    );
    assert!(s.resources > 1000, "too few resources: {}", s.resources);

    // A one-file change: the ntp config template. Both sides share one cache, so only
    // manifests are parsed once; the template change restarts Service['ntp'] through
    // Class['ntp::config'] ~> Class['ntp::service'].
    let path = "modules/ntp/templates/ntp.conf.epp";
    let mut after_tree = tree.clone();
    let mut new = tree.text(path).expect("ntp template").to_string();
    new.push_str("# changed\n");
    after_tree.files.insert(
        path.into(),
        TreeEntry {
            kind: EntryKind::File,
            blob: Arc::new(Blob::new(None, new.into_bytes())),
        },
    );
    let change = Change {
        before: Revision {
            label: "before".into(),
            summary: None,
            tree: tree.into(),
        },
        after: Revision {
            label: "after".into(),
            summary: None,
            tree: after_tree.into(),
        },
        files: vec![FileChange {
            status: FileStatus::Modified,
            old_path: Some(path.into()),
            new_path: Some(path.into()),
            old_kind: Some(EntryKind::File),
            new_kind: Some(EntryKind::File),
            binary: false,
            similarity: None,
        }],
        notes: vec![],
    };
    let cache = ParseCache::new();
    let (t2, c2) = (Instant::now(), cpu_time());
    let before = Model::build(&change.before.tree, &opts, &cache);
    let parsed_before = cache.parse_count();
    let after = Model::build(&change.after.tree, &opts, &cache);
    let mc = ModelChange::compute(&before, &after, &change);
    let full = t2.elapsed();
    let full_cpu = cpu_time() - c2;
    println!(
        "phases before: {:?}\nphases after: {:?}",
        before.stats.timings, after.stats.timings
    );
    println!(
        "one-file change: before+after+change in {:?} (cpu {:?}) ({} parses for {} manifests per side); {} added, {} removed, {} changed, {} restarts",
        full, full_cpu, cache.parse_count(), before.stats.manifests, mc.added.len(), mc.removed.len(), mc.changed.len(), mc.restarts.len()
    );
    assert_eq!(
        cache.parse_count(),
        parsed_before,
        "unchanged manifests must not be parsed again for the after side"
    );
}

#[test]
fn corpus_biggest_values() {
    let Ok(dir) = std::env::var("PREFLIGHT_CORPUS_DEBUG") else {
        return;
    };
    let tree = corpus_tree(Path::new(&dir));
    let model = Model::build(&tree, &ModelOptions::default(), &ParseCache::new());
    let mut v: Vec<(usize, String)> = model
        .resources
        .iter()
        .map(|r| {
            let n: usize = r.attrs.iter().map(|a| a.value.symbolic_count()).sum();
            let big = r
                .attrs
                .iter()
                .max_by_key(|a| a.value.symbolic_count())
                .map(|a| a.name.clone())
                .unwrap_or_default();
            (n, format!("{} {} {}", r.display_ref(), r.file, big))
        })
        .collect();
    v.sort();
    for x in v.iter().rev().take(15) {
        println!("{x:?}");
    }
}
