//! ## What it does
//!
//! Flags `include`, `require`, `contain`, resource-like `class { 'x': }` and `Class['x']`
//! references naming a class that no manifest of the modulepath defines, when the change
//! introduces the reference or removes the class. Modules outside the repository are
//! skipped: those named in `external_modules`, every module a `Puppetfile` lists
//! (`mod 'author/name'`, `mod 'name'`), and the `dependencies` of the repository's
//! modules' `metadata.json` (a root `metadata.json` included), and modules vendored as git
//! submodules. In a module repository (a root `metadata.json` naming the module whose
//! classes the root `manifests/` defines), a class of another module that the
//! repository does not contain comes from the site that deploys the module: it is
//! reported only when it is a near miss of a class the repository defines; the module's
//! own namespace is checked as usual. A declaration inside `if defined('x')` is skipped too. A name that cannot be a class (it contains `-`) or
//! that a `package` resource uses gets a hint that a package was meant
//! (`require('kubernetes-master')`); a name close to a defined class gets "did you mean".
//! When the reference sits in a branch (`if $use_package { … }`), the message says on
//! which nodes the catalog breaks.
//!
//! A `Class['x']` reference to a class that exists nowhere is reported here, not as
//! `dangling-reference`. So is the declaration of a resource whose defined type
//! (`x::y { … }`) no manifest defines, when module `x` is neither in the tree nor
//! listed as external ("Unknown resource type": usually a misspelt type name), or whose
//! type is a class (`x::web { 'apache2': }` for `class x::web`).
//!
//! ## Why is this bad?
//!
//! The catalog fails to compile ("Could not find class") on every node that takes that
//! code path. Because the path is often behind a hiera flag, the nodes that break are
//! not the ones the author tested.
//!
//! ## Example
//!
//! ```puppet
//! if $use_package {
//!   require('kubernetes-master')   # a package name, not a class
//! }
//! ```
//!
//! ## Use instead
//!
//! ```puppet
//! if $use_package {
//!   ensure_packages(['kubernetes-master'])
//! }
//! ```
//!
//! ## Exceptions
//!
//! Classes from modules outside the repository that no `Puppetfile` lists (a private
//! repository, modules installed on the server by other means): list them in
//! `external_modules` rather than suppressing each use.
//!
//! ## References
//!
//! - Puppet functions `include`, `require`, `contain`; class autoloading
//!   (`<module>/manifests/<name>.pp`).

use std::collections::BTreeSet;

use crate::diagnostic::{Finding, Location, Related, ResourceKey, Severity, Side};
use crate::model::{Model, UnresolvedRef};

use super::executables::{external_modules, module_repository};
use super::guards::{describe_steps, module_of, repo_modules};
use super::registry::edit_distance;
use super::registry::{Kind, Rule};
use super::{finding, Context};

pub const NAME: &str = "unresolved-class";

/// This rule's row of the registry (`registry.rs` lists the rows in order).
pub(crate) static RULE: Rule = Rule {
    name: NAME,
    default_severity: Severity::Error,
    summary: "`include`/`require`/`contain`/`class {}` of a class, or a resource of a defined type, that exists nowhere in the modulepath",
    kind: Kind::Check,
    check: Some(check),
    source: include_str!("unresolved_class.rs"),
};

/// Class references of a model that resolve to nothing: declarations, then `Class[…]`.
fn unresolved(m: &Model) -> impl Iterator<Item = &UnresolvedRef> {
    m.unresolved_classes
        .iter()
        .chain(m.unresolved_refs.iter().filter(|u| u.ty == "class"))
}

pub fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    let rule = &RULE;
    // A manifest of the after side that could not be read (a partial clone) may declare
    // any name: "declared nowhere" cannot be judged (incomplete-input says so). An
    // unreadable manifest before the change only adds to what was already unresolved,
    // which hides findings but never makes one.
    if cx.change.manifests_incomplete(Side::After) {
        return;
    }
    let external = external_modules(cx);
    let before: BTreeSet<(&str, &str)> = unresolved(cx.before)
        .map(|u| (&*u.file, u.title.as_str()))
        .collect();
    let mut seen = BTreeSet::new();
    for u in unresolved(cx.after) {
        let name = u.title.as_str();
        if name.is_empty()
            || name.split("::").any(str::is_empty)
            || !name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b':' | b'-' | b'.'))
            || external.contains(&module_of(name))
        {
            continue;
        }
        // A library module (the repository root is a module) runs inside a site that
        // supplies the other modules it uses: a class of another module that the
        // repository does not contain is reported only when it is a near miss of a class
        // the repository defines (a typo), never on a guess about the site.
        if let Some(root) = module_repository(cx.after) {
            let module = module_of(name);
            let local = repo_modules(cx.after).contains(&module);
            if module != root && !local && nearest(cx, name).is_none() {
                continue;
            }
        }
        // `if defined('x') { include x }`: only declared where it exists.
        let soft = u.guard.iter().any(|s| {
            cx.after
                .conditions
                .get(s.cond as usize)
                .is_some_and(|c| c.tests_defined)
        });
        if soft {
            continue;
        }
        // The class's own manifest does not parse: `syntax-error` reports the cause, and
        // the class it would define is not missing, only unreadable.
        if autoload_paths(cx, name).iter().any(|p| {
            cx.manifest(Side::After, p)
                .is_some_and(|m| !m.parsed.errors.is_empty())
        }) {
            continue;
        }
        // Pre-existing: the base revision already failed to resolve it here.
        if before.contains(&(&*u.file, name)) {
            continue;
        }
        if !seen.insert((u.file.clone(), u.span, name.to_owned())) {
            continue;
        }
        let text = cx
            .manifest(Side::After, &u.file)
            .and_then(|m| m.text.get(u.span.range()))
            .map(|t| t.lines().next().unwrap_or(t).trim().to_owned())
            .filter(|t| !t.is_empty() && t.len() <= 80);
        let shown = match &text {
            Some(t) => format!("`{t}` names class `{name}`"),
            None => format!("class `{name}` is declared here, but it"),
        };
        let when = if u.guard.is_empty() {
            "every node that evaluates it".to_owned()
        } else {
            format!("nodes where {}", describe_steps(cx.after, &u.guard))
        };
        let mut f = finding(
            rule,
            Location {
                side: Side::After,
                file: u.file.to_string(),
                span: u.span,
            },
            if text.is_some() {
                format!(
                    "{shown}, which no manifest of the modulepath defines: the catalog fails to \
                     compile (\"Could not find class\") on {when}"
                )
            } else {
                format!(
                    "{shown} is defined by no manifest of the modulepath: the catalog fails to \
                     compile (\"Could not find class\") on {when}"
                )
            },
        );
        f.help = Some(help(cx, name));
        if let Some(def) = cx.before.classes.get(name) {
            f.related.push(Related {
                location: Location {
                    side: Side::Before,
                    file: def.file.to_string(),
                    span: def.span,
                },
                message: format!("class `{name}` was defined here before this change"),
            });
        }
        f.resource = Some(ResourceKey::new("class", name.to_string()));
        out.push(f);
    }
    undefined_types(cx, &external, out);
}

/// Declarations of a defined type (`x::y { 'title': }`) that no manifest defines, of a
/// module that is neither in the tree nor listed as external: Puppet stops with "Invalid
/// resource type". Usually a misspelt type name; `dangling-reference` then reports what
/// it was to declare, this says why.
fn undefined_types(cx: &Context<'_>, external: &BTreeSet<String>, out: &mut Vec<Finding>) {
    // A library module's site supplies the other modules it uses; a class is a class
    // wherever the module is used.
    let library = module_repository(cx.after).is_some();
    let undefined = |m: &'_ Model| -> Vec<(crate::model::ResId, String)> {
        let modules = repo_modules(m);
        m.live_resources()
            .filter(|(_, r)| r.ty.contains("::") && !m.defines.contains_key(r.ty.as_str()))
            .map(|(id, r)| (id, r.ty.trim_start_matches("::").to_ascii_lowercase()))
            .filter(|(_, ty)| {
                let md = module_of(ty);
                !ty.split("::").any(str::is_empty)
                    && ((!library && !modules.contains(&md) && !external.contains(&md))
                        || m.classes.contains_key(ty.as_str()))
            })
            .collect()
    };
    let before: BTreeSet<(String, String)> = undefined(cx.before)
        .into_iter()
        .map(|(id, ty)| (cx.before.get(id).file.to_string(), ty))
        .collect();
    let mut seen = BTreeSet::new();
    for (id, ty) in undefined(cx.after) {
        let r = cx.after.get(id);
        if before.contains(&(r.file.to_string(), ty.clone()))
            || !seen.insert((r.file.clone(), r.title_span, ty.clone()))
            || r.title_span == crate::ast::Span::default()
        {
            continue;
        }
        let when = if r.guard.is_empty() {
            "every node that evaluates it".to_owned()
        } else {
            format!("nodes where {}", describe_steps(cx.after, &r.guard))
        };
        let class = cx.after.classes.get(ty.as_str());
        let what = match class {
            Some(_) => "which is a class, not a defined type",
            None => "which no manifest of the modulepath defines",
        };
        let mut f = finding(
            &RULE,
            Location {
                side: Side::After,
                file: r.file.to_string(),
                span: r.title_span,
            },
            format!(
                "{} is declared with type `{ty}`, {what}: the catalog fails to compile \
                 (\"Unknown resource type\") on {when}",
                r.display_ref()
            ),
        );
        if class.is_some() {
            f.help = Some(format!(
                "declare the class with `class {{ '{ty}': … }}` (once per node), or make it a \
                 `define` if it is meant to be declared several times"
            ));
            f.resource = Some(r.into());
            out.push(f);
            continue;
        }
        let limit = (ty.len() / 4).clamp(1, 3);
        let near = cx
            .after
            .defines
            .keys()
            .map(|k| (edit_distance(k, &ty), k))
            .filter(|(d, _)| *d <= limit)
            .min()
            .map(|(_, k)| k.clone());
        f.help = Some(match near {
            Some(k) => format!("did you mean `{k}`?"),
            None => format!(
                "fix the type name, add the defined type, or list module `{}` in the \
                 Puppetfile or in external_modules if it comes from outside the repository",
                module_of(&ty)
            ),
        });
        f.resource = Some(r.into());
        out.push(f);
    }
}

/// What to write instead: a package function, the nearest class, or the module to add.
fn help(cx: &Context<'_>, name: &str) -> String {
    let package = cx.after.index.packages.contains_key(name)
        || cx.before.index.packages.contains_key(name)
        || cx.config.package_paths.contains_key(name);
    if name.contains('-') || package {
        let why = if name.contains('-') {
            "a class name cannot contain `-`"
        } else {
            "a package of that name is declared"
        };
        return format!(
            "`{name}` looks like a package, not a class ({why}): install it with \
             `ensure_packages(['{name}'])` or a `package` resource, and order against \
             `Package['{name}']`"
        );
    }
    if let Some(near) = nearest(cx, name) {
        return format!("did you mean `{near}`?");
    }
    format!(
        "add the class (`{}/manifests/…`), fix the name, or list module `{}` in the Puppetfile \
         or in external_modules if it comes from outside the repository",
        module_of(name),
        module_of(name)
    )
}

/// The defined class closest to `name` by edit distance, when close enough to be a typo.
fn nearest(cx: &Context<'_>, name: &str) -> Option<String> {
    let limit = (name.len() / 4).clamp(1, 3);
    cx.after
        .classes
        .keys()
        .map(|k| (edit_distance(k, name), k))
        .filter(|(d, _)| *d <= limit)
        .min()
        .map(|(_, k)| k.clone())
}

/// Where Puppet's autoloader looks for class `name` of the after revision:
/// `<modulepath entry>/<module>/manifests/<rest>.pp` (`init.pp` for the module's own
/// class), and the repository's `manifests/` when it is itself that module.
fn autoload_paths(cx: &Context<'_>, name: &str) -> Vec<String> {
    let name = name.trim_start_matches("::").to_ascii_lowercase();
    let mut segs = name.split("::");
    let Some(module) = segs.next() else {
        return Vec::new();
    };
    let rest: Vec<&str> = segs.collect();
    let file = if rest.is_empty() {
        "init.pp".to_owned()
    } else {
        format!("{}.pp", rest.join("/"))
    };
    let mut out: Vec<String> = cx
        .after
        .modulepath
        .iter()
        .map(|mp| format!("{mp}/{module}/manifests/{file}"))
        .collect();
    if cx.after.root_module.as_deref() == Some(module) {
        out.push(format!("manifests/{file}"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::rules::testing::*;
    use crate::rules::Selection;

    /// A syntax error in the class's own manifest: `syntax-error` says so, and the class is
    /// not reported as missing as well. A class whose manifest parses but does not define
    /// it still is.
    #[test]
    fn no_cascade_from_a_syntax_error() {
        let site = "class site {\n  include demo::broken\n}\n";
        let mut case = Case::default();
        case.after("manifests/site.pp", site);
        case.after(
            "modules/demo/manifests/broken.pp",
            "class demo::broken {\n  file { '/x': content => 'unterminated }\n}\n",
        );
        assert_silent(NAME, "syntax error in the class's manifest", &case);
        let mut case = Case::default();
        case.after("manifests/site.pp", site);
        case.after("modules/demo/manifests/broken.pp", "class demo::other {}\n");
        assert_eq!(check_rule(NAME, &case).len(), 1);
    }

    const PASS: &[&str] = &[
        // A `case` option whose every value an earlier option lists never runs: Puppet
        // takes the first match.
        "class demo {\n  case $facts['x'] {\n    true: { include demo }\n    true: { include nosuch }\n    'a', 'b': { }\n    'b', 'a': { include nosuch2 }\n  }\n}\n",
        // Defined in the repository, by include, require, contain, class {} and Class[].
        "class demo { include demo::inner\n require demo::inner\n contain demo::inner }\nclass demo::inner {}",
        "class demo { class { 'demo::inner': } }\nclass demo::inner {}",
        "class demo { file { '/x': require => Class['demo::inner'] } }\nclass demo::inner {}",
        // `Class['x']` for a class defined in the repo, even when nobody includes it.
        "class demo { notify { 'x': before => Class['demo::other'] } }\nclass demo::other { }",
        // A package function, not a class.
        "class demo { ensure_packages(['kubernetes-master']) }",
        // Names not known statically.
        "class demo($role) { include \"role::${role}\" }",
        // Built-in pseudo-class.
        "class demo { include settings }",
        // Included only where it is defined.
        "class demo($m) { if defined(\"demo::${m}\") { include \"demo::${m}\" } }\nclass demo::a {}",
    ];

    const FAIL: &[(&str, &[u32])] = &[
        // The 2016 mistake: a package name where a class is expected.
        (
            "class demo($use_package) {\n  if $use_package {\n    require('kubernetes-master')\n  }\n}\n",
            &[3],
        ),
        ("class demo {\n  include demo::missing\n}\n", &[2]),
        // A later option that adds a value of its own can run.
        (
            "class demo {\n  case $facts['x'] {\n    'a', 'b': { }\n    'b', 'c': { include nosuch }\n  }\n}\n",
            &[4],
        ),
        ("class demo {\n  contain ::nowhere\n  class { 'nothing': }\n}\n", &[2, 3]),
        (
            "class demo {\n  file { '/x': require => Class['demo::gone'] }\n}\n",
            &[2],
        ),
    ];

    snippet_tests!(after_only);

    #[test]
    fn package_names_get_a_package_hint_and_the_branch() {
        let src = "class demo($use_package) {\n  if $use_package {\n    require('kubernetes-master')\n  }\n}\n";
        let found = check_rule(NAME, &after_only(src));
        assert_eq!(found.len(), 1);
        let f = &found[0];
        assert!(
            f.message
                .contains("`require('kubernetes-master')` names class `kubernetes-master`"),
            "{}",
            f.message
        );
        assert!(
            f.message.contains("`$use_package` is true"),
            "{}",
            f.message
        );
        assert!(f
            .help
            .as_deref()
            .unwrap()
            .contains("ensure_packages(['kubernetes-master'])"));
        assert_eq!(
            f.resource.as_ref().map(ToString::to_string).as_deref(),
            Some("Class['kubernetes-master']")
        );
    }

    #[test]
    fn typos_get_did_you_mean() {
        let src = "class demo { include demo::servce }\nclass demo::service {}\n";
        let found = check_rule(NAME, &after_only(src));
        assert_eq!(found.len(), 1);
        assert_eq!(
            found[0].help.as_deref(),
            Some("did you mean `demo::service`?")
        );
    }

    #[test]
    fn puppetfile_and_external_modules_are_silent() {
        let src =
            "class demo {\n  include apt\n  include stdlib::stages\n  include secret::keys\n}\n";
        let mut case = after_only(src);
        case.after(
            "Puppetfile",
            "mod 'puppetlabs/apt', '9.0.0'\nmod 'puppetlabs-stdlib'\n",
        );
        let found = check_rule(NAME, &case);
        assert_eq!(found.len(), 1, "{found:#?}");
        assert!(found[0].message.contains("secret::keys"));
        let mut config = Config::default();
        config.external_modules.push("secret".into());
        let found: Vec<_> = run_case(&case, &config, &Selection::default())
            .into_iter()
            .filter(|f| f.rule == NAME)
            .collect();
        assert!(found.is_empty(), "{found:#?}");
    }

    /// A library module at the repository root (`metadata.json`, `manifests/`).
    fn module_repository(init: &str) -> Case {
        let mut c = Case::default();
        c.after(
            "metadata.json",
            r#"{"name": "acme-site", "dependencies": [{"name": "puppetlabs/stdlib"}]}"#,
        );
        c.after("manifests/init.pp", init);
        c.after("manifests/app.pp", "class site::app {}\n");
        c
    }

    #[test]
    fn a_module_repository_takes_other_modules_from_its_site() {
        // A declared dependency, and a module the deploying site installs.
        let found = check_rule(
            NAME,
            &module_repository("class site {\n  include stdlib\n  include ufw\n  class { 'nagioscfg': }\n  include site::app\n}\n"),
        );
        assert!(found.is_empty(), "{found:#?}");
        // Its own namespace is the repository's: still checked.
        let found = check_rule(
            NAME,
            &module_repository("class site {\n  include site::missing\n}\n"),
        );
        assert_eq!(found.len(), 1, "{found:#?}");
        // A near miss of a class the repository defines is a typo, not another module.
        let found = check_rule(
            NAME,
            &module_repository("class site {\n  include sitte::app\n}\n"),
        );
        assert_eq!(found.len(), 1, "{found:#?}");
        assert_eq!(found[0].help.as_deref(), Some("did you mean `site::app`?"));
    }

    #[test]
    fn a_control_repository_with_a_metadata_json_is_not_a_module() {
        let mut case = Case::default();
        case.after("metadata.json", r#"{"name": "acme-control"}"#);
        case.after("manifests/site.pp", "node default {\n  include ufw\n}\n");
        let found = check_rule(NAME, &case);
        assert_eq!(found.len(), 1, "{found:#?}");
    }

    #[test]
    fn modules_vendored_as_git_submodules_are_external() {
        let mut case = after_only("class demo {\n  include apache\n  include nginx\n}\n");
        case.submodule("modules/apache");
        let found = check_rule(NAME, &case);
        assert_eq!(found.len(), 1, "{found:#?}");
        assert!(found[0].message.contains("nginx"));
    }

    #[test]
    fn removing_a_class_reports_its_users_and_old_problems_stay_quiet() {
        let user = "class demo {\n  include demo::gone\n}\n";
        let def = "class demo::gone {}\n";
        let mut case = Case::default();
        case.before(SNIPPET_PATH, user);
        case.before("modules/demo/manifests/gone.pp", def);
        case.after(SNIPPET_PATH, user);
        let found = check_rule(NAME, &case);
        assert_eq!(found.len(), 1, "{found:#?}");
        assert_eq!(found[0].related.len(), 1);
        assert_eq!(found[0].related[0].location.side, Side::Before);
        // Unresolved on both sides: not this change's doing.
        let case = edit(user, &format!("{user}# edited\n"));
        assert!(check_rule(NAME, &case).is_empty());
    }

    #[test]
    fn a_defined_type_no_manifest_defines() {
        // fuel-library adadfc97fb: `nova::generic_service` misspelt.
        let define = "define nova::generic_service($enabled = true) { service { $title: } }\n";
        let src =
            format!("{define}class demo {{\n  ova::generic_service {{ 'nova-volume': }}\n}}\n");
        let found = check_rule(NAME, &after_only(&src));
        assert_eq!(found.len(), 1, "{found:#?}");
        assert!(
            found[0].message.contains("`ova::generic_service`"),
            "{}",
            found[0].message
        );
        assert_eq!(
            found[0].help.as_deref(),
            Some("did you mean `nova::generic_service`?")
        );
        assert_eq!(Case::line_of(&src, &found[0]), 3);
        // Defined, and of a module the tree has (a type it lacks is dangling-reference's).
        let src =
            format!("{define}class demo {{\n  nova::generic_service {{ 'nova-volume': }}\n}}\n");
        assert!(check_rule(NAME, &after_only(&src)).is_empty(), "{src}");
        // Listed as external.
        let mut case = after_only("class demo {\n  apache::vhost { 'x': }\n}\n");
        case.after("Puppetfile", "mod 'puppetlabs/apache'\n");
        assert!(check_rule(NAME, &case).is_empty());
        // Pre-existing: not the change's.
        let src = "class demo {\n  ova::generic_service { 'nova-volume': }\n}\n";
        let case = edit(src, &format!("{src}class other {{ }}\n"));
        assert!(check_rule(NAME, &case).is_empty());
    }

    #[test]
    fn a_class_declared_as_a_resource() {
        // SUNET c8ae40bc: `sunet::cgit::webserver { 'apache2': }` for a class (puppet
        // apply 7.23: "Unknown resource type").
        let class = "class demo::web(String $service = $name) {\n  service { $service: }\n}\n";
        let src = format!("{class}class demo {{\n  demo::web {{ 'apache2': }}\n}}\n");
        let found = check_rule(NAME, &after_only(&src));
        assert_eq!(found.len(), 1, "{found:#?}");
        assert!(
            found[0]
                .message
                .contains("`demo::web`, which is a class, not a defined type"),
            "{}",
            found[0].message
        );
        assert_eq!(Case::line_of(&src, &found[0]), 5);
        // Declared as a class: fine.
        let src = format!("{class}class demo {{\n  class {{ 'demo::web': }}\n}}\n");
        assert!(check_rule(NAME, &after_only(&src)).is_empty());
    }

    #[test]
    fn a_class_declared_as_a_resource_in_a_module_repository() {
        // SUNET is one module at the root of its repository: a type from another module
        // is the site's business, but the module's own class is not a defined type.
        let mut c = Case::default();
        c.after("metadata.json", "{\"name\": \"sunet-demo\"}\n");
        c.after(
            "manifests/init.pp",
            "class demo {\n  demo::web { 'apache2': }\n  apache::vhost { 'x': }\n}\n",
        );
        c.after(
            "manifests/web.pp",
            "class demo::web(String $service = 'apache2') {\n  service { $service: }\n}\n",
        );
        let found = check_rule(NAME, &c);
        assert_eq!(found.len(), 1, "{found:#?}");
        assert!(found[0].message.contains("`demo::web`, which is a class"));
    }
}
