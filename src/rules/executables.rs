//! Questions the "will not run" rules (`service-binary-unmanaged`, `unit-exec-invalid`,
//! `dangling-reference`, `unresolved-class`, `binary-not-executable`,
//! `invalid-attribute-value`) share: which modules live outside the repository (Puppetfile,
//! `metadata.json`), which paths are unit files or distribution directories, and walks
//! over the syntax tree. Branch conditions are in `guards.rs`; the texts a unit-file
//! resource deploys are read by `model::unit`.

use std::collections::BTreeSet;

use crate::ast::{Block, Expr, ExprKind, Param, StrPart};
use crate::model::Model;

use super::Context;

// ---------------------------------------------------------------------------------------
// Modules outside the repository

/// Module names listed in a `Puppetfile`: `mod 'author/name'`, `mod 'author-name'`,
/// `mod "name", :git => …`. Comments and other lines are ignored.
pub fn puppetfile_modules(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|line| quoted_module(line.trim_start().strip_prefix("mod")?))
        .collect()
}

/// The module named by the quoted word that starts `rest` (after spaces or a `(`):
/// `'puppetlabs/stdlib'`, `"puppetlabs-stdlib"` -> `stdlib`.
fn quoted_module(rest: &str) -> Option<String> {
    let rest = rest.trim_start_matches(['(', ' ', '\t']);
    let q = rest.chars().next().filter(|c| *c == '\'' || *c == '"')?;
    let body = &rest[1..];
    let full = &body[..body.find(q)?];
    module_name(full)
}

/// `author/name`, `author-name` or a git URL of `puppet-name` -> `name`, when it is a
/// valid module name.
fn module_name(full: &str) -> Option<String> {
    let last = full
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or(full);
    let last = last.strip_suffix(".git").unwrap_or(last);
    let name = last.rsplit('-').next().unwrap_or(last).trim();
    (!name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'))
        .then(|| name.to_ascii_lowercase())
}

/// The dependencies of a legacy `Modulefile` (`dependency 'puppetlabs/stdlib', '>= 4'`).
pub fn modulefile_dependencies(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|line| quoted_module(line.trim_start().strip_prefix("dependency")?))
        .collect()
}

/// The modules of an install script's module list (`modules.env`, as openstack-infra's
/// `install_modules.sh` reads it): `MODULES["puppetlabs-apache"]="0.0.4"`,
/// `SOURCE_MODULES["https://git.example.org/x/puppet-jeepyb"]="origin/master"`.
pub fn modules_env_modules(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|line| {
            let (var, rest) = line.trim_start().split_once("[\"")?;
            if !var.ends_with("MODULES") {
                return None;
            }
            module_name(rest.split_once('"')?.0)
        })
        .collect()
}

/// Modules that exist outside the repository: `external_modules` in the configuration,
/// every module named in a `Puppetfile` of the head revision (at the root or in an
/// environment directory), the `dependencies` of the repository's `metadata.json` files
/// (the root one of a module repository included) and legacy `Modulefile`s, the module
/// list of an install script (`modules.env`), and modules vendored as git
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
        let depth = p.matches('/').count();
        if (p == "Modulefile" || p.ends_with("/Modulefile")) && depth <= 3 {
            if let Some(text) = tree.text(p) {
                out.extend(modulefile_dependencies(text));
            }
        }
        if (p == "modules.env" || p.ends_with("/modules.env")) && depth <= 2 {
            if let Some(text) = tree.text(p) {
                out.extend(modules_env_modules(text));
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
    fn modulefile_and_modules_env_lines() {
        let mf = "name 'mirantis-openstack'\ndependency 'puppetlabs/mysql', '>= 0.9'\n  dependency \"puppetlabs-stdlib\"\n# dependency 'x/commented'\n";
        assert_eq!(modulefile_dependencies(mf), vec!["mysql", "stdlib"]);
        let env = "MODULES[\"puppetlabs-apache\"]=\"0.0.4\"\nSOURCE_MODULES[\"https://git.openstack.org/openstack-infra/puppet-jeepyb\"]=\"origin/master\"\nINTEGRATION_MODULES[\"$OPENSTACK_GIT_ROOT/openstack-infra/puppet-zuul.git\"]=\"origin/master\"\nOTHER[\"x-y\"]=1\n";
        assert_eq!(modules_env_modules(env), vec!["apache", "jeepyb", "zuul"]);
    }
}
