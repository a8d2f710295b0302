//! Runs every rule over Debian's puppet-module corpus, as if one change added all of it
//! (so every resource counts as touched). Ignored by default: it needs the unpacked
//! corpus. Run:
//!
//! ```sh
//! PREFLIGHT_CORPUS=.corpus \
//!   cargo test --release --test rules_corpus -- --ignored --nocapture
//! ```
//!
//! It asserts that nothing panics, and prints every error-level finding for review.

mod corpus_env;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use puppet_preflight::config::Config;
use puppet_preflight::diagnostic::{LineIndex, Severity};
use puppet_preflight::input::{
    Blob, Change, EntryKind, FileChange, FileStatus, Revision, Tree, TreeEntry,
};
use puppet_preflight::lint;
use puppet_preflight::rules::{self, Analysis, Selection};

/// A module directory's Puppet name: `metadata.json`'s `name` without the author
/// (`puppetlabs-stdlib` -> `stdlib`), else the directory name after its first `-`.
fn module_name(root: &Path, dir: &str) -> String {
    let meta = std::fs::read_to_string(root.join(dir).join("metadata.json")).unwrap_or_default();
    let from_meta = serde_json::from_str::<serde_json::Value>(&meta)
        .ok()
        .and_then(|v| v["name"].as_str().map(str::to_owned))
        .and_then(|n| n.rsplit(['-', '/']).next().map(str::to_owned));
    from_meta.unwrap_or_else(|| dir.split_once('-').map_or(dir, |(_, n)| n).to_owned())
}

/// `modules.available/<author>-<name>/…` -> `modules/<name>/…` (Puppet's layout).
fn load(root: &Path) -> Tree {
    let mut names = BTreeMap::new();
    let mut tree = Tree::default();
    for e in walkdir::WalkDir::new(root)
        .into_iter()
        .filter_map(Result::ok)
    {
        if !e.file_type().is_file() {
            continue;
        }
        let Ok(rel) = e.path().strip_prefix(root) else {
            continue;
        };
        let rel = rel.to_string_lossy().replace('\\', "/");
        let (dir, rest) = rel.split_once('/').unwrap_or((&rel, ""));
        let name = names
            .entry(dir.to_owned())
            .or_insert_with(|| module_name(root, dir))
            .clone();
        let Ok(data) = std::fs::read(e.path()) else {
            continue;
        };
        tree.files.insert(
            format!("modules/{name}/{rest}"),
            TreeEntry {
                kind: EntryKind::File,
                blob: Arc::new(Blob::new(None, Arc::<[u8]>::from(data))),
            },
        );
    }
    tree
}

#[test]
#[ignore = "needs the Debian corpus (PREFLIGHT_CORPUS)"]
fn corpus_as_one_added_change() {
    let Some(root) = corpus_env::modules("corpus_as_one_added_change") else {
        return;
    };
    let after = load(Path::new(&root));
    let files: Vec<FileChange> = after
        .files
        .keys()
        .map(|p| FileChange {
            status: FileStatus::Added,
            old_path: None,
            new_path: Some(p.clone()),
            old_kind: None,
            new_kind: Some(EntryKind::File),
            binary: false,
            similarity: None,
        })
        .collect();
    let change = Change {
        before: Revision {
            label: "empty".into(),
            summary: None,
            tree: Tree::default().into(),
        },
        after: Revision {
            label: root.display().to_string(),
            summary: None,
            tree: after.into(),
        },
        files,
        notes: vec![],
    };
    let config = Config::default();
    let selection = Selection::default();
    let start = std::time::Instant::now();
    let analysis = Analysis::build(&change, &config);
    let built = start.elapsed();
    let cx = analysis.context(&change, &config, &selection);
    let findings = lint::run(&cx);
    let total = start.elapsed();
    for r in rules::registry::rules() {
        if let Some(check) = r.check {
            let t = std::time::Instant::now();
            let mut v = Vec::new();
            check(&cx, &mut v);
            println!("{:>10.1?}  {}", t.elapsed(), r.name);
        }
    }
    let mut per_rule: BTreeMap<(&str, Severity), usize> = BTreeMap::new();
    for f in &findings {
        *per_rule.entry((f.rule, f.severity)).or_default() += 1;
    }
    println!(
        "{} manifests, {} resources; model {:?}, total {:?}",
        analysis.manifests.after.len(),
        analysis.after.resources.len(),
        built,
        total
    );
    for ((rule, sev), n) in &per_rule {
        println!("{n:6}  {sev:7}  {rule}");
    }
    let only = std::env::var("PREFLIGHT_SHOW").ok();
    for f in &findings {
        let show = match &only {
            Some(r) => r == f.rule,
            None => f.severity == Severity::Error && f.rule != "syntax-error",
        };
        if !show {
            continue;
        }
        let text = change.after.tree.text(&f.location.file).unwrap_or("");
        let lc = LineIndex::new(text).line_col(text, f.location.span.start);
        println!(
            "{}:{}: {} [{}] {}",
            f.location.file, lc.line, f.severity, f.rule, f.message
        );
        for r in &f.related {
            let t = match r.location.side {
                puppet_preflight::diagnostic::Side::After => {
                    change.after.tree.text(&r.location.file)
                }
                puppet_preflight::diagnostic::Side::Before => {
                    change.before.tree.text(&r.location.file)
                }
            }
            .unwrap_or("");
            let l = LineIndex::new(t).line_col(t, r.location.span.start).line;
            println!("    {}:{}: {}", r.location.file, l, r.message);
        }
    }
}
