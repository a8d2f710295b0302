//! Questions the "will not run" rules (`service-binary-unmanaged`, `unit-exec-invalid`,
//! `dangling-reference`, `unresolved-class`, `binary-not-executable`,
//! `invalid-attribute-value`) share: which modules live outside the repository, in which
//! branch combination a reference finds nothing, the texts a unit-file resource deploys,
//! and where inside a manifest literal a problem sits.

use std::collections::{BTreeMap, BTreeSet};

use crate::ast::{Block, Expr, ExprKind, Param, StrPart};
use crate::model::{GuardStep, Model, ResId};

use super::Context;

// ---------------------------------------------------------------------------------------
// Modules outside the repository

/// Module names listed in a `Puppetfile`: `mod 'author/name'`, `mod 'author-name'`,
/// `mod "name", :git => …`. Comments and other lines are ignored.
pub fn puppetfile_modules(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.trim_start();
        let Some(rest) = line.strip_prefix("mod") else {
            continue;
        };
        let rest = rest.trim_start_matches(['(', ' ', '\t']);
        let Some(q) = rest.chars().next().filter(|c| *c == '\'' || *c == '"') else {
            continue;
        };
        let body = &rest[1..];
        let Some(end) = body.find(q) else {
            continue;
        };
        let full = &body[..end];
        let name = full.rsplit(['/', '-']).next().unwrap_or(full).trim();
        if !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            out.push(name.to_ascii_lowercase());
        }
    }
    out
}

/// Modules that exist outside the repository: `external_modules` in the configuration,
/// every module named in a `Puppetfile` of the head revision (at the root or in an
/// environment directory), the `dependencies` of the repository's `metadata.json` files
/// (the root one of a module repository included), and modules vendored as git
/// submodules (a gitlink directly under a modulepath entry: its content is not in the
/// tree).
pub fn external_modules(cx: &Context<'_>) -> BTreeSet<String> {
    let mut out: BTreeSet<String> = cx
        .config
        .external_modules
        .iter()
        .map(|m| m.to_ascii_lowercase())
        .collect();
    let tree = &cx.change.after.tree;
    for p in tree.paths() {
        if p == "Puppetfile" || p.ends_with("/Puppetfile") {
            if let Some(text) = tree.text(p) {
                out.extend(puppetfile_modules(text));
            }
        }
        // A module's declared dependencies come from wherever modules are installed.
        if is_module_metadata(p) {
            if let Some(text) = tree.text(p) {
                out.extend(metadata_dependencies(text));
            }
        }
    }
    out.extend(crate::model::layout::submodule_modules(
        tree,
        &cx.after.modulepath,
    ));
    out
}

/// Whether `path` is a module's `metadata.json` (`modules/x/metadata.json`, at most three
/// directories deep, or the root's in a module repository), whose dependencies count as
/// external modules.
pub fn is_module_metadata(path: &str) -> bool {
    (path == "metadata.json" || path.ends_with("/metadata.json")) && path.matches('/').count() <= 3
}

/// Whether the repository is a library module (`metadata.json` and `manifests/` at the
/// root, see [`Model::root_module`]) rather than a control repository: its top-level
/// classes of other modules come from the site that deploys it.
pub fn module_repository(m: &Model) -> Option<&str> {
    m.root_module.as_deref()
}

/// The module names of a `metadata.json`'s `dependencies` (`"name": "puppetlabs/stdlib"`).
pub fn metadata_dependencies(text: &str) -> Vec<String> {
    let Ok(v) = serde_json::from_str::<serde_json::Value>(text) else {
        return Vec::new();
    };
    v.get("dependencies")
        .and_then(|d| d.as_array())
        .into_iter()
        .flatten()
        .filter_map(|d| d.get("name")?.as_str())
        .filter_map(|n| n.rsplit(['/', '-']).next())
        .map(str::to_ascii_lowercase)
        .collect()
}

/// The module a class or defined-type name belongs to: `apt::source` -> `apt`.
pub fn module_of(name: &str) -> String {
    let n = name.trim_start_matches("::");
    n.split("::").next().unwrap_or(n).to_ascii_lowercase()
}

/// The module directory a repository file lives in (`modules/k8s/manifests/x.pp` ->
/// `k8s`), through the model's modulepath. The root `manifests/` of a module repository
/// are not given the root module's name: code outside modules is related to everything
/// (`dangling-reference`), and one module holding the whole repository would make every
/// reference in it as lenient as its loosest use of an external module.
pub fn module_of_file(m: &Model, path: &str) -> Option<String> {
    for mp in &m.modulepath {
        let prefix = format!("{}/", mp.trim_end_matches('/'));
        if let Some(rest) = path.strip_prefix(&prefix) {
            return rest.split('/').next().map(str::to_owned);
        }
    }
    None
}

// ---------------------------------------------------------------------------------------
// Branches

/// A branch value standing for "another option of this `case`/selector".
pub const OTHER_BRANCH: u32 = u32::MAX;

/// The branch choices (one per condition) under which code guarded by `at` is compiled
/// while none of `targets` is declared: `None` when every compilation that contains the
/// reference also contains a target. An empty result means the targets sit only in
/// branches that exclude the reference. `node` bodies are not flipped (which node includes
/// which class is not known), nor `defined(…)` tests (the other branch is where the
/// resource already exists elsewhere), nor conditions that test a variable the
/// reference's own conditions test (they are correlated: `if $::osfamily == 'RedHat'` in
/// two files). Gives up (`None`) beyond 12 conditions.
pub fn unsatisfied_when(m: &Model, at: &[GuardStep], targets: &[ResId]) -> Option<Vec<GuardStep>> {
    let at_vars: BTreeSet<String> = at
        .iter()
        .filter_map(|s| m.conditions.get(s.cond as usize))
        .flat_map(|c| variables(&c.subject))
        .collect();
    let node = |c: u32| {
        m.conditions.get(c as usize).map_or(true, |c| {
            c.kind == "node"
                || c.subject.contains("defined(")
                || variables(&c.subject).iter().any(|v| at_vars.contains(v))
        })
    };
    let mut free: Vec<Vec<GuardStep>> = Vec::new();
    for &t in targets {
        let g = &m.get(t).guard;
        let conflicts = g
            .iter()
            .any(|s| at.iter().any(|a| a.cond == s.cond && a.branch != s.branch));
        if conflicts {
            continue;
        }
        let steps: Vec<GuardStep> = g
            .iter()
            .filter(|s| !at.contains(s) && !node(s.cond))
            .copied()
            .collect();
        if steps.is_empty() {
            return None;
        }
        free.push(steps);
    }
    if free.is_empty() {
        return Some(Vec::new());
    }
    let mut used: BTreeMap<u32, BTreeSet<u32>> = BTreeMap::new();
    for s in free.iter().flatten() {
        used.entry(s.cond).or_default().insert(s.branch);
    }
    if used.len() > 12 {
        return None;
    }
    let choices: Vec<(u32, Vec<u32>)> = used
        .iter()
        .map(|(&c, bs)| {
            let kind = m.conditions.get(c as usize).map_or("if", |x| x.kind);
            let vals = match kind {
                "if" | "unless" => vec![0, 1],
                _ if bs.len() == 1 => bs.iter().copied().chain([OTHER_BRANCH]).collect(),
                _ => bs.iter().copied().collect(),
            };
            (c, vals)
        })
        .collect();
    let mut pick = vec![0usize; choices.len()];
    loop {
        let value = |cond: u32| {
            choices
                .iter()
                .position(|(c, _)| *c == cond)
                .map(|i| choices[i].1[pick[i]])
        };
        let all_absent = free
            .iter()
            .all(|steps| steps.iter().any(|s| value(s.cond) != Some(s.branch)));
        if all_absent {
            return Some(
                choices
                    .iter()
                    .zip(&pick)
                    .map(|((c, vals), &i)| GuardStep {
                        cond: *c,
                        branch: vals[i],
                    })
                    .collect(),
            );
        }
        // Next combination.
        let mut i = 0;
        loop {
            if i == pick.len() {
                return None;
            }
            pick[i] += 1;
            if pick[i] < choices[i].1.len() {
                break;
            }
            pick[i] = 0;
            i += 1;
        }
    }
}

/// The variables a condition's text tests: `$::osfamily` and `$facts['os']` both give
/// the fact's name; a class parameter gives its last segment.
pub fn variables(subject: &str) -> Vec<String> {
    let mut out = Vec::new();
    let b = subject.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'$' {
            i += 1;
            continue;
        }
        let start = i + 1;
        let mut j = start;
        while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_' || b[j] == b':') {
            j += 1;
        }
        let name = subject[start..j].trim_start_matches("::");
        let last = name.rsplit("::").next().unwrap_or(name);
        let var = if last == "facts" {
            // `$facts['os']['family']` -> `os`
            subject[j..]
                .trim_start_matches(['[', '\'', '"'])
                .split(['\'', '"', ']'])
                .next()
                .unwrap_or("facts")
                .to_owned()
        } else {
            last.to_owned()
        };
        let var = match var.as_str() {
            "osfamily"
            | "operatingsystem"
            | "operatingsystemrelease"
            | "operatingsystemmajrelease"
            | "lsbdistcodename"
            | "lsbdistid" => "os".to_owned(),
            _ => var,
        };
        if !var.is_empty() {
            out.push(var);
        }
        i = j.max(i + 1);
    }
    out
}

/// `` `if $use_package` takes the else branch``, for messages.
pub fn describe_steps(m: &Model, steps: &[GuardStep]) -> String {
    let parts: Vec<String> = steps
        .iter()
        .map(|s| match m.conditions.get(s.cond as usize) {
            Some(c) => {
                let branch = match (c.kind, s.branch) {
                    ("if", 0) | ("unless", 1) => "is true".to_owned(),
                    ("if", _) | ("unless", _) => "is false".to_owned(),
                    (_, OTHER_BRANCH) => "matches another option".to_owned(),
                    (_, b) => format!("takes option {}", b + 1),
                };
                format!("`{}` {branch}", c.subject)
            }
            None => format!("condition {} takes branch {}", s.cond, s.branch),
        })
        .collect();
    parts.join(" and ")
}

// ---------------------------------------------------------------------------------------
// Unit texts

/// Whether a managed path is a systemd unit (or drop-in) whose `Exec*=` lines matter.
pub fn is_unit_path(path: &str) -> bool {
    path.ends_with(".service") || (path.contains(".service.d/") && path.ends_with(".conf"))
}

// ---------------------------------------------------------------------------------------
// Paths

/// Directories a distribution's packages fill: a binary there usually comes from a
/// package the repository never mentions.
pub fn is_distro_path(path: &str) -> bool {
    [
        "/bin/",
        "/sbin/",
        "/usr/bin/",
        "/usr/sbin/",
        "/lib/",
        "/usr/lib/",
        "/usr/libexec/",
        "/usr/share/",
        "/etc/init.d/",
    ]
    .iter()
    .any(|d| path.starts_with(d))
}

// ---------------------------------------------------------------------------------------
// AST

/// The string literals (`Str` nodes, with their source spans) inside a value
/// expression: directly, in arrays, hashes, parentheses, selectors, calls and operators.
pub fn string_literals<'e>(e: &'e Expr, out: &mut Vec<&'e Expr>) {
    match &e.kind {
        ExprKind::Str(_) => out.push(e),
        ExprKind::Array(xs) => xs.iter().for_each(|x| string_literals(x, out)),
        ExprKind::Hash(es) => es.iter().for_each(|h| {
            string_literals(&h.key, out);
            string_literals(&h.value, out);
        }),
        ExprKind::Paren(x) | ExprKind::Unary { operand: x, .. } => string_literals(x, out),
        ExprKind::Binary { lhs, rhs, .. } => {
            string_literals(lhs, out);
            string_literals(rhs, out);
        }
        ExprKind::Selector { entries, .. } => {
            entries.iter().for_each(|s| string_literals(&s.value, out))
        }
        ExprKind::Call { args, .. } => args.iter().for_each(|x| string_literals(x, out)),
        ExprKind::Interpolated(parts) => parts.iter().for_each(|p| {
            if let StrPart::Expr(x) = p {
                string_literals(x, out);
            }
        }),
        _ => {}
    }
}

/// Every expression of a program, depth first (statements, blocks, values).
pub fn walk<'e>(e: &'e Expr, f: &mut dyn FnMut(&'e Expr)) {
    f(e);
    let each = |xs: &'e [Expr], f: &mut dyn FnMut(&'e Expr)| {
        for x in xs {
            walk(x, f);
        }
    };
    match &e.kind {
        ExprKind::Array(xs) => each(xs, f),
        ExprKind::Hash(es) => {
            for h in es {
                walk(&h.key, f);
                walk(&h.value, f);
            }
        }
        ExprKind::Paren(x) | ExprKind::Unary { operand: x, .. } => walk(x, f),
        ExprKind::Heredoc { text, .. } => walk(text, f),
        ExprKind::Binary { lhs, rhs, .. }
        | ExprKind::Assign { lhs, rhs, .. }
        | ExprKind::Relationship { lhs, rhs, .. } => {
            walk(lhs, f);
            walk(rhs, f);
        }
        ExprKind::Selector { subject, entries } => {
            walk(subject, f);
            for s in entries {
                walk(&s.key, f);
                walk(&s.value, f);
            }
        }
        ExprKind::Access { target, args } => {
            walk(target, f);
            each(args, f);
        }
        ExprKind::Call {
            func, args, lambda, ..
        } => {
            walk(func, f);
            each(args, f);
            if let Some(l) = lambda {
                each(&l.body.statements, f);
            }
        }
        ExprKind::MethodCall(d) => {
            let crate::ast::MethodCall {
                receiver,
                args,
                lambda,
                ..
            } = &**d;
            walk(receiver, f);
            each(args, f);
            if let Some(l) = lambda {
                each(&l.body.statements, f);
            }
        }
        ExprKind::If(c) | ExprKind::Unless(c) => {
            let crate::ast::IfExpr {
                cond,
                then_branch,
                else_branch,
                ..
            } = &**c;
            walk(cond, f);
            each(&then_branch.statements, f);
            if let Some(b) = else_branch {
                each(&b.statements, f);
            }
        }
        ExprKind::Case { subject, options } => {
            walk(subject, f);
            for o in options {
                each(&o.values, f);
                each(&o.body.statements, f);
            }
        }
        ExprKind::Resource {
            type_expr, bodies, ..
        } => {
            walk(type_expr, f);
            for b in bodies {
                walk(&b.title, f);
                for a in &b.attrs {
                    walk(&a.value, f);
                }
            }
        }
        ExprKind::ResourceDefaults { attrs, .. } | ExprKind::ResourceOverride { attrs, .. } => {
            for a in attrs {
                walk(&a.value, f);
            }
        }
        ExprKind::ClassDef(d) => {
            walk_definition(&d.params, &d.body, f);
        }
        ExprKind::DefineDef(d) => {
            walk_definition(&d.params, &d.body, f);
        }
        ExprKind::NodeDef(d) => {
            let crate::ast::NodeDef { body, .. } = &**d;
            each(&body.statements, f)
        }
        ExprKind::Interpolated(parts) => {
            for p in parts {
                if let StrPart::Expr(x) = p {
                    walk(x, f);
                }
            }
        }
        _ => {}
    }
}

/// Parameter defaults and body of a class or define, for [`walk`].
fn walk_definition<'e>(params: &'e [Param], body: &'e Block, f: &mut dyn FnMut(&'e Expr)) {
    for p in params {
        if let Some(d) = &p.default {
            walk(d, f);
        }
    }
    for x in &body.statements {
        walk(x, f);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn puppetfile_lines() {
        let pf = "forge 'https://forge.puppet.com'\n# mod 'commented/out'\nmod 'puppetlabs/stdlib', '9.0.0'\nmod 'puppetlabs-apache'\nmod \"nginx\",\n  :git => 'https://example.org/nginx.git'\nmod('voxpupuli/systemd')\nmodule_thing 'x'\n";
        assert_eq!(
            puppetfile_modules(pf),
            vec!["stdlib", "apache", "nginx", "systemd"]
        );
    }

    #[test]
    fn modules_of_names_and_files() {
        assert_eq!(module_of("::Apt::Source"), "apt");
        assert_eq!(module_of("ntp"), "ntp");
        let mut m = Model::default();
        m.modulepath = vec!["modules".into(), "vendor/".into()];
        assert_eq!(
            module_of_file(&m, "vendor/apt/manifests/init.pp").as_deref(),
            Some("apt")
        );
        assert_eq!(module_of_file(&m, "manifests/site.pp"), None);
    }

    #[test]
    fn condition_variables() {
        assert_eq!(
            variables("$::osfamily == 'RedHat' and $facts['os']['release']"),
            vec!["os", "os"]
        );
        assert_eq!(
            variables("$service_name == $::neutron::params::server_service"),
            vec!["service_name", "server_service"]
        );
    }
}
