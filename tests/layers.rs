//! The layering of ARCHITECTURE.md, enforced: data flows input -> parse -> model -> change
//! -> rules -> filter -> report, and no module imports a module of a layer above its own.
//!
//! Every `crate::<module>` path in the code of `src/` (and `puppet_preflight::<module>` in
//! the binary) is a dependency of the file's top-level module. Comment lines are not code;
//! everything else is, strings included (a serde `deserialize_with = "crate::…"` is a
//! dependency too).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The layers, lowest first. A module may use its own layer and those below it.
const LAYERS: &[&[&str]] = &[
    // The syntax tree and panic isolation: no dependency on anything of the crate.
    &["ast", "isolate"],
    // Findings, locations and line indexes.
    &["diagnostic"],
    &["parser"],
    // Reading the repository (git, disk, patches) into a `Change`.
    &["input"],
    // Pure text analyzers (systemd units, shell scripts, attribute values).
    &["analysis"],
    // The resource model of a revision and the model change.
    &["model"],
    // Host snapshots: taken from a host's files, read for `check` as data the rules judge
    // the change against (the schema, the reader, the walker).
    &["hosts"],
    // The configuration file; below the rules, which read it, and given the rule names.
    &["config"],
    // Operational errors (one of them is a configuration error).
    &["error"],
    &["rules"],
    // The filters that follow the rules.
    &["suppress"],
    // rules -> suppressions -> severities -> internal errors -> order.
    &["lint"],
    &["report"],
    &["cli"],
    &["main"],
];

/// Upward imports that are accepted, each with its reason: (importing module path, the
/// module it imports).
const ALLOWED: &[(&str, &str, &str)] = &[(
    "rules::testing",
    "lint",
    "test-only helper: `run_case` runs a test change through the whole lint pipeline",
)];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&module))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .expect("read src")
        .map(|e| e.expect("entry").path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

/// `src/rules/registry.rs` -> `rules::registry`; `src/model/mod.rs` -> `model`.
fn module_path(src: &Path, file: &Path) -> String {
    let rel = file
        .strip_prefix(src)
        .expect("under src")
        .with_extension("");
    let mut parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    parts.join("::")
}

/// The top-level modules a piece of code names as `prefix<module>` or
/// `prefix{<module>, …}`.
fn referenced(code: &str, prefix: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let ident = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect()
    };
    for (i, _) in code.match_indices(prefix) {
        // `crate::` inside a longer path (`$crate::`, `foo_crate::`) is not ours.
        let before = code[..i].chars().next_back();
        if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$') {
            continue;
        }
        let rest = &code[i + prefix.len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let group = &group[..group.find('}').unwrap_or(group.len())];
            for item in group.split(',') {
                let name = ident(item.trim());
                if !name.is_empty() {
                    out.insert(name);
                }
            }
        } else {
            let name = ident(rest);
            if !name.is_empty() {
                out.insert(name);
            }
        }
    }
    out
}

#[test]
fn no_module_imports_an_upper_layer() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut violations = Vec::new();
    let mut unplaced = BTreeSet::new();
    let mut used_allowances = BTreeSet::new();
    for file in &files {
        let module = module_path(&src, file);
        if module == "lib" {
            continue; // declares the modules; imports none
        }
        let top = module.split("::").next().unwrap_or_default().to_owned();
        let Some(own) = layer_of(&top) else {
            unplaced.insert(top);
            continue;
        };
        let text = std::fs::read_to_string(file).expect("read");
        let code: String = text
            .lines()
            .filter(|l| !l.trim_start().starts_with("//"))
            .collect::<Vec<_>>()
            .join("\n");
        let prefix = if top == "main" {
            "puppet_preflight::"
        } else {
            "crate::"
        };
        for dep in referenced(&code, prefix) {
            let Some(theirs) = layer_of(&dep) else {
                unplaced.insert(dep);
                continue;
            };
            if theirs <= own {
                continue;
            }
            if let Some(a) = ALLOWED.iter().find(|a| a.0 == module && a.1 == dep) {
                used_allowances.insert(a.0.to_owned() + " -> " + a.1);
                continue;
            }
            violations.push(format!(
                "{} ({}) imports `{dep}`, a layer above",
                module,
                file.strip_prefix(&src).unwrap_or(file).display()
            ));
        }
    }
    assert!(
        unplaced.is_empty(),
        "modules missing from LAYERS in tests/layers.rs (place them in the order): {unplaced:?}"
    );
    assert!(
        violations.is_empty(),
        "upward imports (see ARCHITECTURE.md; move the code down or the dependency up):\n{}",
        violations.join("\n")
    );
    let stale: Vec<String> = ALLOWED
        .iter()
        .map(|a| a.0.to_owned() + " -> " + a.1)
        .filter(|a| !used_allowances.contains(a))
        .collect();
    assert!(
        stale.is_empty(),
        "allow-list entries no longer needed: {stale:?}"
    );
}

#[test]
fn references_are_found_in_paths_and_groups() {
    let code = "use crate::rules::{self, Context};\nuse crate::{ast, model::Value};\nlet x = $crate::foo; f(crate::input::load)";
    let got: Vec<String> = referenced(code, "crate::").into_iter().collect();
    assert_eq!(got, vec!["ast", "input", "model", "rules"]);
}
