//! Fixture-driven tests of the resource model: `fixtures/model/<case>/` holds either a
//! `repo/` (one revision) or `before/` + `after/` (a change), and `expected.yaml`.
//!
//! expected.yaml keys (all optional, unknown keys are an error):
//! - `resources`: each must exist (matched by `type` and `title`; titles compare as JSON,
//!   so `{unknown: …}`/`{one_of: […]}` work); optional `attributes` (subset, compared as
//!   JSON), `absent_attributes`, `guarded`, `scope`, `line`, `file`, `form`, `realized`,
//!   `define_chain`, `origin`, `count` (how many such resources).
//! - `absent`: `{type, title}` that must not exist.
//! - `exclusive` / `not_exclusive`: pairs of references.
//! - `edges` / `no_edges`: `{from, to, refresh}` (direct edges).
//! - `ordering_paths` / `no_ordering_paths`: pairs `[from, to]` (containment applied).
//! - `links`: link path -> resolved target.
//! - `services`: `{name, binary, from, environment_files}`.
//! - `file_uses`: `{res, attr, resolved, inferred}`.
//! - `unresolved_classes`, `unresolved_refs`: lists of names / references.
//! - `notes_contain`: fragments of evaluator notes (cycles, depth bound, unknowns).
//! - `change` (before/after cases): `added`, `removed`, `changed` (`{ref, attrs}`),
//!   `changed_data_files`, `restarts` (exactly these services; each
//!   `{service, reason_contains: […]}`).

use std::collections::BTreeSet;
use std::path::Path;

use puppet_preflight::cli::resources::tree_from_dir;
use puppet_preflight::input::{Change, FileChange, FileStatus, Revision, Tree};
use puppet_preflight::model::{Model, ModelChange, ModelOptions, ParseCache, ResId};
use serde_json::Value as J;
use serde_yaml::Value as Y;

fn to_json(y: &Y) -> J {
    serde_json::to_value(y).expect("yaml to json")
}

fn line_of(tree: &Tree, file: &str, offset: u32) -> usize {
    let text = tree.text(file).unwrap_or("");
    text[..(offset as usize).min(text.len())]
        .matches('\n')
        .count()
        + 1
}

fn by_ref(m: &Model, r: &str) -> Vec<ResId> {
    (0..m.resources.len())
        .filter(|&i| m.get(i).display_ref() == r)
        .collect()
}

fn one(m: &Model, r: &str, case: &str) -> ResId {
    let ids = by_ref(m, r);
    assert!(
        !ids.is_empty(),
        "{case}: no resource {r}; have: {:?}",
        m.resources
            .iter()
            .map(|x| x.display_ref())
            .collect::<Vec<_>>()
    );
    ids[0]
}

fn pair(v: &Y) -> (String, String) {
    let s = v.as_sequence().expect("pair");
    (
        s[0].as_str().expect("ref").to_string(),
        s[1].as_str().expect("ref").to_string(),
    )
}

const KNOWN_KEYS: [&str; 16] = [
    "notes_contain",
    "resources",
    "absent",
    "exclusive",
    "not_exclusive",
    "edges",
    "no_edges",
    "ordering_paths",
    "no_ordering_paths",
    "links",
    "services",
    "file_uses",
    "unresolved_classes",
    "unresolved_refs",
    "change",
    "options",
];

fn check_model(case: &str, m: &Model, tree: &Tree, exp: &Y) {
    let map = exp.as_mapping().expect("expected.yaml is a mapping");
    for k in map.keys() {
        let k = k.as_str().unwrap_or("");
        assert!(
            KNOWN_KEYS.contains(&k),
            "{case}: unknown key {k} in expected.yaml"
        );
    }
    for e in exp
        .get("resources")
        .and_then(Y::as_sequence)
        .into_iter()
        .flatten()
    {
        let ty = e["type"].as_str().expect("type");
        let title = to_json(&e["title"]);
        let found: Vec<ResId> = (0..m.resources.len())
            .filter(|&i| m.get(i).ty == ty && m.get(i).title.to_json() == title)
            .collect();
        assert!(
            !found.is_empty(),
            "{case}: missing {ty} {title}; have {:?}",
            m.resources
                .iter()
                .map(|r| (r.ty.clone(), r.title.to_json()))
                .collect::<Vec<_>>()
        );
        if let Some(n) = e.get("count") {
            assert_eq!(
                found.len() as u64,
                n.as_u64().expect("count"),
                "{case}: count of {ty} {title}"
            );
        }
        let r = m.get(found[0]);
        let what = format!("{case}: {}", r.display_ref());
        if let Some(attrs) = e.get("attributes").and_then(Y::as_mapping) {
            for (k, v) in attrs {
                let k = k.as_str().expect("attr name");
                let got = r.get(k).map(|v| v.to_json());
                assert_eq!(got, Some(to_json(v)), "{what}: attribute {k}");
            }
        }
        for k in e
            .get("absent_attributes")
            .and_then(Y::as_sequence)
            .into_iter()
            .flatten()
        {
            let k = k.as_str().expect("attr");
            assert!(
                r.get(k).is_none(),
                "{what}: attribute {k} should be absent, is {:?}",
                r.get(k)
            );
        }
        if let Some(g) = e.get("guarded").and_then(Y::as_bool) {
            assert_eq!(!r.guard.is_empty(), g, "{what}: guarded");
        }
        if let Some(s) = e.get("scope").and_then(Y::as_str) {
            assert_eq!(r.scope.to_string(), s, "{what}: scope");
        }
        if let Some(f) = e.get("file").and_then(Y::as_str) {
            assert_eq!(&*r.file, f, "{what}: file");
        }
        if let Some(l) = e.get("line").and_then(Y::as_u64) {
            assert_eq!(
                line_of(tree, &r.file, r.span.start) as u64,
                l,
                "{what}: line"
            );
        }
        if let Some(f) = e.get("form").and_then(Y::as_str) {
            assert_eq!(format!("{:?}", r.form).to_lowercase(), f, "{what}: form");
        }
        if let Some(b) = e.get("realized").and_then(Y::as_bool) {
            assert_eq!(r.realized, b, "{what}: realized");
        }
        if let Some(o) = e.get("origin").and_then(Y::as_str) {
            assert_eq!(
                format!("{:?}", r.origin).to_lowercase(),
                o,
                "{what}: origin"
            );
        }
        if let Some(chain) = e.get("define_chain").and_then(Y::as_sequence) {
            let got: Vec<String> = r
                .define_chain
                .iter()
                .map(|&d| m.get(d).display_ref())
                .collect();
            let want: Vec<String> = chain
                .iter()
                .map(|c| c.as_str().expect("ref").to_string())
                .collect();
            assert_eq!(got, want, "{what}: define chain");
        }
    }
    for e in exp
        .get("absent")
        .and_then(Y::as_sequence)
        .into_iter()
        .flatten()
    {
        let ty = e["type"].as_str().expect("type");
        let title = to_json(&e["title"]);
        assert!(
            !m.resources
                .iter()
                .any(|r| r.ty == ty && r.title.to_json() == title),
            "{case}: {ty} {title} should not exist"
        );
    }
    for p in exp
        .get("exclusive")
        .and_then(Y::as_sequence)
        .into_iter()
        .flatten()
    {
        let (a, b) = pair(p);
        assert!(
            m.exclusive(one(m, &a, case), one(m, &b, case)),
            "{case}: {a} and {b} should be exclusive"
        );
    }
    for p in exp
        .get("not_exclusive")
        .and_then(Y::as_sequence)
        .into_iter()
        .flatten()
    {
        let (a, b) = pair(p);
        assert!(
            !m.exclusive(one(m, &a, case), one(m, &b, case)),
            "{case}: {a} and {b} should not be exclusive"
        );
    }
    let has_edge = |e: &Y| {
        let (f, t) = (
            e["from"].as_str().expect("from"),
            e["to"].as_str().expect("to"),
        );
        let refresh = e.get("refresh").and_then(Y::as_bool);
        m.edges.iter().any(|x| {
            m.get(x.from).display_ref() == f
                && m.get(x.to).display_ref() == t
                && refresh.map_or(true, |r| r == x.refresh)
        })
    };
    for e in exp
        .get("edges")
        .and_then(Y::as_sequence)
        .into_iter()
        .flatten()
    {
        assert!(
            has_edge(e),
            "{case}: missing edge {e:?}; edges: {:?}",
            m.edges
                .iter()
                .map(|x| format!(
                    "{} {} {}",
                    m.get(x.from).display_ref(),
                    if x.refresh { "~>" } else { "->" },
                    m.get(x.to).display_ref()
                ))
                .collect::<Vec<_>>()
        );
    }
    for e in exp
        .get("no_edges")
        .and_then(Y::as_sequence)
        .into_iter()
        .flatten()
    {
        assert!(!has_edge(e), "{case}: unexpected edge {e:?}");
    }
    for p in exp
        .get("ordering_paths")
        .and_then(Y::as_sequence)
        .into_iter()
        .flatten()
    {
        let (a, b) = pair(p);
        assert!(
            m.ordering_path(one(m, &a, case), one(m, &b, case)),
            "{case}: no ordering path {a} -> {b}"
        );
    }
    for p in exp
        .get("no_ordering_paths")
        .and_then(Y::as_sequence)
        .into_iter()
        .flatten()
    {
        let (a, b) = pair(p);
        assert!(
            !m.ordering_path(one(m, &a, case), one(m, &b, case)),
            "{case}: unexpected ordering path {a} -> {b}"
        );
    }
    if let Some(links) = exp.get("links").and_then(Y::as_mapping) {
        for (p, t) in links {
            let p = p.as_str().expect("path");
            let got = m.index.links.get(p).and_then(|l| l[0].resolved.clone());
            assert_eq!(got.as_deref(), t.as_str(), "{case}: link {p}");
        }
    }
    for s in exp
        .get("services")
        .and_then(Y::as_sequence)
        .into_iter()
        .flatten()
    {
        let name = s["name"].as_str().expect("name");
        let info = &m.index.services.get(name).unwrap_or_else(|| {
            panic!(
                "{case}: no service {name}; have {:?}",
                m.index.services.keys().collect::<Vec<_>>()
            )
        })[0];
        if let Some(b) = s.get("binary") {
            let got = info.binary.as_ref().map(|b| b.path.to_json());
            let want = if b.is_null() { None } else { Some(to_json(b)) };
            assert_eq!(got, want, "{case}: binary of {name}");
        }
        if let Some(f) = s.get("from").and_then(Y::as_str) {
            assert_eq!(
                info.binary.as_ref().map(|b| b.from.as_str()),
                Some(f),
                "{case}: binary source of {name}"
            );
        }
        if let Some(envs) = s.get("environment_files").and_then(Y::as_sequence) {
            let got: Vec<String> = info
                .environment_files
                .iter()
                .map(|e| e.path.clone())
                .collect();
            let want: Vec<String> = envs
                .iter()
                .map(|e| e.as_str().expect("path").to_string())
                .collect();
            assert_eq!(got, want, "{case}: environment files of {name}");
        }
    }
    for u in exp
        .get("file_uses")
        .and_then(Y::as_sequence)
        .into_iter()
        .flatten()
    {
        let res = u["res"].as_str().expect("res");
        let want_resolved = u.get("resolved").and_then(Y::as_str);
        let found = m.index.file_uses.iter().find(|f| {
            m.get(f.res).display_ref() == res
                && u.get("attr")
                    .and_then(Y::as_str)
                    .map_or(true, |a| a == f.attr)
                && f.file_ref.resolved.as_deref() == want_resolved
        });
        let f = found.unwrap_or_else(|| {
            panic!(
                "{case}: no file use {u:?}; have {:?}",
                m.index
                    .file_uses
                    .iter()
                    .map(|f| (
                        m.get(f.res).display_ref(),
                        f.file_ref.spec_display(),
                        f.file_ref.resolved.clone()
                    ))
                    .collect::<Vec<_>>()
            )
        });
        if let Some(i) = u.get("inferred").and_then(Y::as_bool) {
            assert_eq!(f.file_ref.inferred, i, "{case}: inferred flag of {res}");
        }
    }
    for n in exp
        .get("notes_contain")
        .and_then(Y::as_sequence)
        .into_iter()
        .flatten()
    {
        let n = n.as_str().expect("note");
        assert!(
            m.notes.iter().any(|x| x.message.contains(n)),
            "{case}: no note containing `{n}`; notes: {:?}",
            m.notes.iter().map(|x| &x.message).collect::<Vec<_>>()
        );
    }
    if let Some(names) = exp.get("unresolved_classes").and_then(Y::as_sequence) {
        let got: BTreeSet<String> = m
            .unresolved_classes
            .iter()
            .map(|u| u.title.clone())
            .collect();
        let want: BTreeSet<String> = names
            .iter()
            .map(|n| n.as_str().expect("name").to_string())
            .collect();
        assert_eq!(got, want, "{case}: unresolved classes");
    }
    if let Some(refs) = exp.get("unresolved_refs").and_then(Y::as_sequence) {
        let got: BTreeSet<String> = m
            .unresolved_refs
            .iter()
            .map(|u| format!("{}['{}']", u.ty, u.title))
            .collect();
        let want: BTreeSet<String> = refs
            .iter()
            .map(|n| n.as_str().expect("ref").to_string())
            .collect();
        assert_eq!(got, want, "{case}: unresolved references");
    }
}

fn diff_files(before: &Tree, after: &Tree) -> Vec<FileChange> {
    let mut out = Vec::new();
    let paths: BTreeSet<&str> = before.paths().chain(after.paths()).collect();
    for p in paths {
        let (b, a) = (before.get(p), after.get(p));
        let status = match (b, a) {
            (None, Some(_)) => FileStatus::Added,
            (Some(_), None) => FileStatus::Deleted,
            (Some(x), Some(y)) if x.blob.data() != y.blob.data() => FileStatus::Modified,
            _ => continue,
        };
        out.push(FileChange {
            status,
            old_path: b.map(|_| p.to_string()),
            new_path: a.map(|_| p.to_string()),
            old_kind: b.map(|e| e.kind),
            new_kind: a.map(|e| e.kind),
            binary: false,
            similarity: None,
        });
    }
    out
}

fn check_change(case: &str, before: &Model, after: &Model, mc: &ModelChange, exp: &Y) {
    let refs = |m: &Model, ids: &[ResId]| -> BTreeSet<String> {
        ids.iter().map(|&i| m.get(i).display_ref()).collect()
    };
    let list = |k: &str| -> Option<BTreeSet<String>> {
        exp.get(k).and_then(Y::as_sequence).map(|s| {
            s.iter()
                .map(|x| x.as_str().expect("ref").to_string())
                .collect()
        })
    };
    if let Some(want) = list("added") {
        assert_eq!(refs(after, &mc.added), want, "{case}: added");
    }
    if let Some(want) = list("removed") {
        assert_eq!(refs(before, &mc.removed), want, "{case}: removed");
    }
    if let Some(ch) = exp.get("changed").and_then(Y::as_sequence) {
        let got: BTreeSet<String> = mc
            .changed
            .iter()
            .map(|d| after.get(d.after).display_ref())
            .collect();
        let want: BTreeSet<String> = ch
            .iter()
            .map(|c| c["ref"].as_str().expect("ref").to_string())
            .collect();
        assert_eq!(got, want, "{case}: changed resources");
        for c in ch {
            let r = c["ref"].as_str().expect("ref");
            let d = mc
                .changed
                .iter()
                .find(|d| after.get(d.after).display_ref() == r)
                .expect("diff");
            if let Some(attrs) = c.get("attrs").and_then(Y::as_sequence) {
                let got: BTreeSet<&str> = d.attrs.iter().map(|a| a.name.as_str()).collect();
                let want: BTreeSet<&str> =
                    attrs.iter().map(|a| a.as_str().expect("attr")).collect();
                assert_eq!(got, want, "{case}: changed attributes of {r}");
            }
            if let Some(files) = c.get("files").and_then(Y::as_sequence) {
                let want: Vec<&str> = files.iter().map(|a| a.as_str().expect("path")).collect();
                assert_eq!(d.changed_files, want, "{case}: changed files of {r}");
            }
        }
    }
    if let Some(want) = list("changed_data_files") {
        let got: BTreeSet<String> = mc.changed_data_files.iter().cloned().collect();
        assert_eq!(got, want, "{case}: changed hiera data files");
    }
    if let Some(rs) = exp.get("restarts").and_then(Y::as_sequence) {
        let got: BTreeSet<String> = mc
            .restarts
            .iter()
            .map(|r| after.get(r.service).display_ref())
            .collect();
        let want: BTreeSet<String> = rs
            .iter()
            .map(|r| r["service"].as_str().expect("service").to_string())
            .collect();
        assert_eq!(
            got,
            want,
            "{case}: restarted services; reasons: {:?}",
            mc.restarts
                .iter()
                .map(|r| r.reason_text())
                .collect::<Vec<_>>()
        );
        for r in rs {
            let s = r["service"].as_str().expect("service");
            let rst = mc
                .restarts
                .iter()
                .find(|x| after.get(x.service).display_ref() == s)
                .expect("restart");
            let text = rst.reason_text();
            for frag in r
                .get("reason_contains")
                .and_then(Y::as_sequence)
                .into_iter()
                .flatten()
            {
                let frag = frag.as_str().expect("fragment");
                assert!(
                    text.contains(frag),
                    "{case}: reason for {s} is `{text}`, lacks `{frag}`"
                );
            }
        }
    }
}

fn options(exp: &Y) -> ModelOptions {
    let mut o = ModelOptions::default();
    if let Some(opts) = exp.get("options") {
        if let Some(b) = opts.get("open_flags").and_then(Y::as_bool) {
            o.open_flags = b;
        }
        if let Some(h) = opts.get("service_binary_hints").and_then(Y::as_mapping) {
            for (k, v) in h {
                o.service_binary_hints.insert(
                    k.as_str().expect("name").into(),
                    v.as_str().expect("path").into(),
                );
            }
        }
    }
    o
}

fn run_case(dir: &Path) {
    let case = dir
        .file_name()
        .expect("name")
        .to_string_lossy()
        .into_owned();
    let exp: Y = serde_yaml::from_str(
        &std::fs::read_to_string(dir.join("expected.yaml")).expect("expected.yaml"),
    )
    .expect("yaml");
    let opts = options(&exp);
    let cache = ParseCache::new();
    if dir.join("repo").is_dir() {
        let tree = tree_from_dir(&dir.join("repo")).expect("tree");
        let m = Model::build(&tree, &opts, &cache);
        check_model(&case, &m, &tree, &exp);
    } else {
        let bt = tree_from_dir(&dir.join("before")).expect("before");
        let at = tree_from_dir(&dir.join("after")).expect("after");
        let files = diff_files(&bt, &at);
        let change = Change {
            before: Revision {
                label: "before".into(),
                summary: None,
                tree: bt.into(),
            },
            after: Revision {
                label: "after".into(),
                summary: None,
                tree: at.into(),
            },
            files,
            notes: vec![],
        };
        let before = Model::build(&change.before.tree, &opts, &cache);
        let after = Model::build(&change.after.tree, &opts, &cache);
        check_model(&case, &after, &change.after.tree, &exp);
        let mc = ModelChange::compute(&before, &after, &change);
        if let Some(c) = exp.get("change") {
            check_change(&case, &before, &after, &mc, c);
        }
        // The revert's diff derived from this one is the one computed from scratch.
        let reverse = Change {
            files: diff_files(&change.after.tree, &change.before.tree),
            before: change.after.clone(),
            after: change.before.clone(),
            notes: vec![],
        };
        assert_eq!(
            comparable(&mc.reversed(&before, &after, &reverse)),
            comparable(&ModelChange::compute(&after, &before, &reverse)),
            "{case}: ModelChange::reversed differs from compute on the reverse change"
        );
    }
}

/// A model change with its lists in one order, as text.
fn comparable(mc: &ModelChange) -> String {
    let mut added = mc.added.clone();
    added.sort_unstable();
    let mut removed = mc.removed.clone();
    removed.sort_unstable();
    let mut matched: Vec<_> = mc.matched.iter().collect();
    matched.sort_unstable();
    let mut changed: Vec<String> = mc
        .changed
        .iter()
        .map(|d| {
            let mut attrs: Vec<String> = d.attrs.iter().map(|a| format!("{a:?}")).collect();
            attrs.sort();
            format!("{}<-{} {attrs:?} {:?}", d.after, d.before, d.changed_files)
        })
        .collect();
    changed.sort();
    let mut restarts: Vec<String> = mc
        .restarts
        .iter()
        .map(|r| format!("{} {}", r.service, r.reason_text()))
        .collect();
    restarts.sort();
    format!(
        "added {added:?}\nremoved {removed:?}\nmatched {matched:?}\nchanged {changed:#?}\nrestarts {restarts:#?}\ndata {:?}",
        mc.changed_data_files
    )
}

#[test]
fn model_fixtures() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/model");
    let mut dirs: Vec<_> = std::fs::read_dir(&root)
        .expect("fixtures/model")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    let only = std::env::var("MODEL_CASE").ok();
    assert!(
        only.is_some() || dirs.len() >= 10,
        "expected at least 10 model fixtures, found {}",
        dirs.len()
    );
    let mut failures = Vec::new();
    for d in dirs {
        let name = d.file_name().expect("name").to_string_lossy().into_owned();
        if only.as_deref().is_some_and(|o| o != name) {
            continue;
        }
        if let Err(e) = std::panic::catch_unwind(|| run_case(&d)) {
            let msg = e
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            failures.push(format!("{name}: {msg}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} fixture(s) failed:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}
