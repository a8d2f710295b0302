//! ## What it does
//!
//! Flags a path built from a variable that nothing defines: a `file` resource's title,
//! `path`, `target` or `source`, a `service`'s `binary` or `start`, or an `exec`'s
//! `command` or `creates` that is, or interpolates, `$x`, `$::x` or `$a::b::x` when the
//! evaluation finds no definition of it: not a parameter or variable of the enclosing
//! class or defined type (or of the classes it inherits), not set earlier in that scope,
//! not assigned at top scope or in any `node` body, not a built-in variable (`$title`,
//! `$name`, `$module_name`, `$environment`, `$trusted`, `$facts`, …), not a Facter core fact
//! (legacy or modern), a fact of the common Forge modules (`$concat_basedir`,
//! `$root_home`, …) or a custom or external fact of the repository (`Facter.add` in
//! `lib/facter/`, files under `facts.d/`); for `$a::b::x`, class `a::b` of the repository
//! does not set `x`.
//!
//! Only what the change introduces is reported: a new use, or an old use whose definition
//! the change removed (a parameter dropped from a class, a variable renamed in one place).
//! Not judged: qualified variables of classes the repository does not hold (a module
//! from elsewhere), classes that inherit one, a resource inside a condition that tests
//! the same variable (`if $::foo { … }`), a value the variable only feeds through a
//! function or a selector (`pick($x, '/opt')`), lambda and block parameters, define
//! parameters (with or without defaults), `$facts['x']`, templates.
//!
//! ## Why is this bad?
//!
//! Without `strict_variables`, Puppet only warns about an unknown variable and makes it
//! `undef`, the empty string inside a string: `"${prefix}/agent"` becomes `/agent`,
//! `"${base}/etc"` becomes `/etc`. The agent then links, replaces or removes a path near
//! the root of the filesystem, or runs a command that is not there.
//!
//! ## Example
//!
//! ```puppet
//! class agent($install_dir = '/opt/agent') {
//!   file { "${install_dir}/bin/agent":
//!     ensure => link,
//!     target => "${prefix}/agent",   # $prefix was renamed $install_dir
//!   }
//! }
//! ```
//!
//! ## Use instead
//!
//! ```puppet
//! class agent($install_dir = '/opt/agent') {
//!   file { "${install_dir}/bin/agent":
//!     ensure => link,
//!     target => "${install_dir}/libexec/agent",
//!   }
//! }
//! ```
//!
//! ## Exceptions
//!
//! A top-scope variable that an external node classifier (ENC) sets, or a fact that a
//! module outside the repository defines, is invisible to the repository: suppress the
//! finding with the reason, or qualify the variable as a fact (`$facts['x']`).
//!
//! ## References
//!
//! - Puppet language: variables (scope, order of evaluation, unknown variables are
//!   `undef`); `strict_variables`.
//! - Facter: core facts, custom facts, external facts.

use std::collections::BTreeSet;

use crate::ast::Span;
use crate::diagnostic::{Finding, Location, Severity, Side};
use crate::model::{Model, Origin, ResId, Resource, SymPart, UnboundVar, Value};

use super::registry::{Kind, Rule};
use super::{finding, Context};

pub const NAME: &str = "undefined-variable-path";

/// This rule's row of the registry (`registry.rs` lists the rows in order).
pub(crate) static RULE: Rule = Rule {
    name: NAME,
    default_severity: Severity::Warning,
    summary: "a file, service or exec path built from a variable nothing defines (it becomes the empty string)",
    kind: Kind::Check,
    check: Some(check),
    source: include_str!("undefined_variable_path.rs"),
};

/// The attributes that are paths or commands, per type (`""`: the title, when the type's
/// namevar is not given).
fn path_attrs(ty: &str) -> &'static [&'static str] {
    match ty {
        "file" => &["", "path", "target", "source"],
        "service" => &["binary", "start"],
        "exec" => &["command", "creates"],
        _ => &[],
    }
}

/// One undefined variable in one attribute of a resource.
struct Use<'m> {
    attr: &'static str,
    var: &'m UnboundVar,
    /// The value as written, and what it becomes with the variable empty.
    written: String,
    becomes: String,
}

pub fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    if cx.after.unbound_vars.is_empty() {
        return;
    }
    // The files holding unbound reads: only their resources can have one.
    let files: BTreeSet<&str> = cx.after.unbound_vars.iter().map(|u| &*u.file).collect();
    // One finding per read of the variable: a define's body is evaluated once per
    // instance, and its instances are counted in the message of the first.
    let mut sites: Vec<(&Resource, Use<'_>, usize)> = Vec::new();
    for (id, r) in cx.after.resources.iter().enumerate() {
        if path_attrs(&r.ty).is_empty()
            || !r.is_live()
            || r.origin != Origin::Declared
            || (!files.contains(&*r.file) && !r.attrs.iter().any(|a| files.contains(&*a.file)))
        {
            continue;
        }
        let uses = uses(cx.after, r);
        if uses.is_empty() {
            continue;
        }
        let before: BTreeSet<(&str, String)> = match cx.diff.matched.get(&id) {
            Some(&b) => uses_of(cx.before, b),
            None => BTreeSet::new(),
        };
        for u in uses {
            if before.contains(&(u.attr, u.var.name.trim_start_matches("::").to_owned())) {
                continue;
            }
            match sites
                .iter_mut()
                .find(|(_, s, _)| s.attr == u.attr && std::ptr::eq(s.var, u.var))
            {
                Some((_, _, more)) => *more += 1,
                None => sites.push((r, u, 0)),
            }
        }
    }
    for (r, u, more) in sites {
        out.push(render(r, &u, more));
    }
}

/// The (attribute, variable) pairs of before-side resource `id`.
fn uses_of(m: &Model, id: ResId) -> BTreeSet<(&'static str, String)> {
    uses(m, m.get(id))
        .into_iter()
        .map(|u| (u.attr, u.var.name.trim_start_matches("::").to_owned()))
        .collect()
}

/// The undefined variables the resource's path attributes interpolate, each whose
/// unknown survives into the value (a function or selector in between keeps it silent),
/// outside conditions that test the variable.
fn uses<'m>(m: &'m Model, r: &Resource) -> Vec<Use<'m>> {
    let mut out = Vec::new();
    for &attr in path_attrs(&r.ty) {
        let (value, file, span): (&Value, &str, Span) = if attr.is_empty() {
            if r.ty != "file" || r.attr("path").is_some() {
                continue;
            }
            (&r.title, &r.file, r.title_span)
        } else {
            match r.attr(attr) {
                Some(a) => (&a.value, &a.file, a.value_span),
                None => continue,
            }
        };
        if span.is_empty() {
            continue;
        }
        for var in m.unbound_in(file, span) {
            if tested_by_guard(m, r, &var.name) {
                continue;
            }
            let Some((written, becomes)) = emptied(value, &var.unknown) else {
                continue;
            };
            if !out
                .iter()
                .any(|u: &Use<'_>| u.attr == attr && u.var.name == var.name)
            {
                out.push(Use {
                    attr,
                    var,
                    written,
                    becomes,
                });
            }
        }
    }
    out
}

/// Whether a condition leading to the resource tests `$name` (`if $::foo { file {
/// "${::foo}/x": } }`: the branch does not run when it is undefined).
fn tested_by_guard(m: &Model, r: &Resource, name: &str) -> bool {
    let bare = name.trim_start_matches("::");
    r.guard.iter().any(|g| {
        m.conditions.get(g.cond as usize).is_some_and(|c| {
            c.tests_defined
                || c.variables
                    .iter()
                    .any(|v| v.name.trim_start_matches("::") == bare)
        })
    })
}

/// The value as written (unknown parts as `${x}`) and as Puppet makes it with `unknown`
/// empty, when the value carries that unknown.
fn emptied(v: &Value, unknown: &str) -> Option<(String, String)> {
    match v {
        Value::Symbolic(s) => {
            if !s
                .parts
                .iter()
                .any(|p| matches!(p, SymPart::Unknown(u) if u == unknown))
            {
                return None;
            }
            let (mut written, mut becomes) = (String::new(), String::new());
            for p in &s.parts {
                match p {
                    SymPart::Lit(t) => {
                        written.push_str(t);
                        becomes.push_str(t);
                    }
                    SymPart::Unknown(u) => {
                        let shown = format!("${{{u}}}");
                        written.push_str(&shown);
                        if u != unknown {
                            becomes.push_str(&shown);
                        }
                    }
                }
            }
            Some((written, becomes))
        }
        Value::OneOf(vs) => vs.iter().find_map(|v| emptied(v, unknown)),
        _ => None,
    }
}

fn render(r: &Resource, u: &Use<'_>, more: usize) -> Finding {
    let var = &u.var.name;
    let why = match var.trim_start_matches("::").rsplit_once("::") {
        Some((class, x)) => format!("class `{class}` does not set `${x}`"),
        None => format!(
            "no parameter or variable of {} sets it before this point, no top-scope or node \
             variable, no fact the repository knows of",
            r.scope
        ),
    };
    let what = if u.attr.is_empty() {
        "its title".to_owned()
    } else {
        format!("`{}`", u.attr)
    };
    let becomes = if u.becomes.is_empty() {
        "is empty (undef)".to_owned()
    } else {
        format!("becomes `{}`", u.becomes)
    };
    let others = match more {
        0 => String::new(),
        1 => " (and in 1 other instance of the same code)".to_owned(),
        n => format!(" (and in {n} other instances of the same code)"),
    };
    let mut f = finding(
        &RULE,
        Location {
            side: Side::After,
            file: u.var.file.to_string(),
            span: u.var.span,
        },
        format!(
            "{} uses `${var}` in {what}{others}, which is defined nowhere ({why}): Puppet \
             makes it the empty string, so `{}` {becomes}",
            r.display_ref(),
            u.written
        ),
    );
    f.help = Some(
        "define the variable (a class parameter, a local assignment before this line), or \
         qualify it with the class that sets it (`$module::params::x`)"
            .to_owned(),
    );
    f.resource = Some(r.into());
    f
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::*;

    const PASS: &[&str] = &[
        // A class parameter, a local variable, an inherited one.
        "class demo($prefix = '/opt/agent') { file { '/usr/local/bin/agent': ensure => link, target => \"${prefix}/agent\" } }",
        "class demo { $prefix = '/opt/agent' file { '/usr/local/bin/agent': ensure => link, target => \"${prefix}/agent\" } }",
        "class demo::params { $prefix = '/opt' }\nclass demo inherits demo::params { file { '/usr/local/bin/agent': ensure => link, target => \"${prefix}/agent\" } }",
        // Set in either branch of a condition.
        "class demo($big = false) { if $big { $prefix = '/srv' } else { $prefix = '/opt' } file { '/usr/local/bin/agent': ensure => link, target => \"${prefix}/agent\" } }",
        // Facts, legacy and modern, top scope or not; built-ins; $facts.
        "class demo { file { \"/srv/${::fqdn}/data\": ensure => directory } file { \"/srv/${hostname}\": ensure => directory } }",
        "class demo { file { \"/srv/${facts['networking']['fqdn']}\": ensure => directory } file { \"/etc/${module_name}.conf\": content => 'x' } }",
        // Lambda and block parameters; define parameters (with and without defaults).
        "class demo { ['a', 'b'].each |$d| { file { \"/srv/${d}\": ensure => directory } } }",
        "define demo::site($root = '/srv', $user) { file { \"${root}/${title}\": ensure => directory } }\nclass demo { demo::site { 'x': user => 'u' } }",
        // A qualified variable of a module the repository does not hold.
        "class demo { file { \"${apache::params::confdir}/x.conf\": content => 'x' } }",
        // A qualified variable the class sets.
        "class demo::params { $dir = '/opt/x' }\nclass demo { include demo::params file { \"${demo::params::dir}/bin/x\": ensure => file, content => 'x' } }",
        // Under a condition that tests it; through a function.
        "class demo { if $::agent_home { file { \"${::agent_home}/bin\": ensure => directory } } }",
        "class demo { file { pick($home, '/opt/x'): ensure => directory } }",
        // Not a path attribute.
        "class demo { file { '/etc/x.conf': content => \"port=${port}\" } }",
        // A class inheriting a class from elsewhere.
        "class demo inherits apache::params { file { \"${confdir}/demo.conf\": content => 'x' } }",
    ];

    const FAIL: &[(&str, &[u32])] = &[
        (
            "class demo($install_dir = '/opt/agent') {\n  file { \"${install_dir}/bin/agent\":\n    ensure => link,\n    target => \"${prefix}/agent\",\n  }\n}\n",
            &[4],
        ),
        // The title, a top-scope variable nothing sets.
        (
            "class demo {\n  file { \"${::base}/etc\":\n    ensure => directory,\n  }\n}\n",
            &[2],
        ),
        // Another class's variable used without qualifying it.
        (
            "class demo::params { $port_dir = '/srv/port' }\nclass demo {\n  include demo::params\n  exec { 'mk': command => \"/bin/mkdir -p ${port_dir}/data\", creates => \"${port_dir}/data\" }\n}\n",
            &[4, 4],
        ),
        // A qualified variable the class does not set.
        (
            "class demo::params { $dir = '/opt/x' }\nclass demo {\n  include demo::params\n  service { 'x': binary => \"${demo::params::bindir}/x\" }\n}\n",
            &[4],
        ),
        // Used before its assignment in the same scope.
        (
            "class demo {\n  file { \"${root}/data\": ensure => directory }\n  $root = '/srv'\n}\n",
            &[2],
        ),
    ];

    snippet_tests!(after_only);

    #[test]
    fn message_says_what_the_path_becomes() {
        let f = check_rule(NAME, &after_only(FAIL[0].0));
        assert_eq!(f.len(), 1);
        assert!(
            f[0].message.contains("`${prefix}/agent` becomes `/agent`"),
            "{}",
            f[0].message
        );
        assert_eq!(f[0].severity, Severity::Warning);
    }

    #[test]
    fn only_what_the_change_introduces() {
        let old = "class demo {\n  file { '/usr/local/bin/agent': ensure => link, target => \"${prefix}/agent\" }\n}\n";
        // Untouched old use: silent.
        let case = edit(old, &old.replace("agent'", "agent', owner => 'root'"));
        assert!(check_rule(NAME, &case).is_empty());
        // A parameter removed from the class while its body still uses it.
        let with = "class demo($prefix = '/opt/agent') {\n  file { '/usr/local/bin/agent': ensure => link, target => \"${prefix}/agent\" }\n}\n";
        let case = edit(with, &with.replace("($prefix = '/opt/agent')", ""));
        assert_eq!(check_rule(NAME, &case).len(), 1);
        // A variable renamed in one place only.
        let local = "class demo {\n  $prefix = '/opt/agent'\n  file { '/usr/local/bin/agent': ensure => link, target => \"${prefix}/agent\" }\n}\n";
        let case = edit(local, &local.replace("$prefix =", "$install_dir ="));
        assert_eq!(check_rule(NAME, &case).len(), 1);
    }

    #[test]
    fn one_finding_per_read_in_a_define() {
        let src = "define demo::conf($ensure = present) {\n  file { \"/etc/apache2/conf-enabled/${name}\": ensure => link, target => \"/etc/apache2/conf-available/${base}.conf\" }\n}\nclass demo {\n  demo::conf { ['a', 'b', 'c']: }\n}\n";
        let f = check_rule(NAME, &after_only(src));
        assert_eq!(f.len(), 1, "{f:#?}");
        assert!(
            f[0].message.contains("2 other instances"),
            "{}",
            f[0].message
        );
        assert!(f[0]
            .message
            .contains("becomes `/etc/apache2/conf-available/.conf`"));
    }

    #[test]
    fn puppet_3_may_rely_on_dynamic_scope() {
        let src = "class demo::base { $data_root = '/srv' include demo }\nclass demo {\n  file { \"${data_root}/x\": ensure => directory }\n}\n";
        // Puppet 4+: a variable of another class is not visible unqualified.
        assert_eq!(check_rule(NAME, &after_only(src)).len(), 1);
        // Puppet 3 (`import`): the code may come from the days of dynamic scoping.
        let mut case = after_only(src);
        case.after("manifests/site.pp", "import 'nodes/*.pp'\n");
        assert!(check_rule(NAME, &case).is_empty());
    }

    #[test]
    fn top_and_node_scope_and_custom_facts() {
        let body = "class demo {\n  file { \"${data_root}/x\": ensure => directory }\n}\n";
        let mut case = after_only(body);
        case.after("manifests/site.pp", "$data_root = '/srv'\n");
        assert!(check_rule(NAME, &case).is_empty());
        let mut case = after_only(body);
        case.after(
            "manifests/site.pp",
            "node 'a' { $data_root = '/srv' include demo }\n",
        );
        assert!(check_rule(NAME, &case).is_empty());
        let mut case = after_only(body);
        case.after(
            "modules/site/lib/facter/data_root.rb",
            "Facter.add(:data_root) do\n  setcode { '/srv' }\nend\n",
        );
        assert!(check_rule(NAME, &case).is_empty());
        let mut case = after_only(body);
        case.after("modules/site/facts.d/site.txt", "data_root=/srv\n");
        assert!(check_rule(NAME, &case).is_empty());
    }
}
