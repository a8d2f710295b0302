//! ## What it does
//!
//! Flags two declarations of the same resource, the same type and normalised title (or,
//! for files, path), that can end up in one catalog: declared by the same class, or by
//! classes that one class (a role, a node, top scope — the environment's main manifests;
//! top-level code inside a module file is a separate `puppet apply` entry point of its
//! own) includes together, and not in
//! exclusive branches of the same condition. Two classes that nothing in the repository
//! includes together are not compared: which roles combine them is not known. Nor are
//! two declarations under two different conditions the tool cannot evaluate (they are
//! often exclusive through facts); one unconditional declaration and one under a
//! condition are reported.
//! Paths are compared after removing a trailing `/` and collapsing `//`. Declarations
//! through `ensure_resource` / `ensure_packages` count, when their parameters differ from
//! the other declaration.
//!
//! ## Why is this bad?
//!
//! A duplicate declaration is a compile error ("Duplicate declaration", or "Cannot alias"
//! for two titles with the same path): every node that includes both classes gets no
//! catalog at all. `ensure_resource` with different parameters fails the same way, and
//! with a subset of parameters it silently takes the attributes of whichever declaration
//! was evaluated first.
//!
//! ## Example
//!
//! ```puppet
//! class k8s::apiserver {
//!   file { '/usr/bin/kube-apiserver': ensure => link, target => '/usr/local/bin/kube-apiserver' }
//! }
//! class profile::k8s {
//!   file { '/usr/bin/kube-apiserver/': ensure => file }   # same path
//! }
//! ```
//!
//! ## Use instead
//!
//! Declare the resource once, in the class that owns it, and have the others depend on
//! that class:
//!
//! ```puppet
//! class profile::k8s {
//!   require k8s::apiserver
//! }
//! ```
//!
//! ## Exceptions
//!
//! Classes that can never be included on the same node (different roles or operating
//! systems) when the tool cannot see it. Suppress with the reason.
//!
//! ## References
//!
//! - Puppet language: resource uniqueness (title and `namevar`/path aliases).
//! - stdlib `ensure_resource`, `ensure_packages`.

use std::collections::{BTreeMap, BTreeSet};

use crate::ast::ResourceForm;
use crate::ast::{Expr, ExprKind};
use crate::diagnostic::{Finding, Severity, Side};
use crate::model::{Model, Origin, ResId, Resource, Scope, Value};

use super::common::{at_title, related, touched};
use super::guards::module_of_file;
use super::registry::{Kind, Rule};
use super::{finding, Context};

pub const NAME: &str = "duplicate-declaration";

/// This rule's row of the registry (`registry.rs` lists the rows in order).
pub(crate) static RULE: Rule = Rule {
    name: NAME,
    default_severity: Severity::Error,
    summary:
        "the same resource (normalised path) declared twice where both can be compiled together",
    kind: Kind::Check,
    check: Some(check),
    source: include_str!("duplicate_declaration.rs"),
};

/// Whether an `ensure_resource` declaration silently reuses the other one: every
/// parameter it gives is present there with the same (known) value.
fn reusable(ensured: &Resource, other: &Resource) -> bool {
    ensured.attrs.iter().all(|a| {
        other
            .get(&a.name)
            .is_some_and(|v| v.known_eq(&a.value) == Some(true))
    })
}

/// The namevar counts for uniqueness only for files (by path); other types (`exec`
/// with the same command, for instance) are told apart by title.
fn key_text(r: &Resource) -> Option<String> {
    match (r.ty.as_str(), r.name_value()) {
        ("file", Value::Str(s)) => Some(s.to_string()),
        _ => r.title_str().map(str::to_owned),
    }
}

/// Which classes, defines, node bodies and top scope declare which classes and defined
/// types unconditionally, read from the manifests (the model evaluates each class once,
/// so it cannot say every place a class is included from). Declarations inside an
/// `if`/`unless`/`case` or a lambda are left out: `if $dpdk { require vswitch::dpdk }
/// else { require vswitch::ovs }` does not put the two classes in one catalog.
#[derive(Default)]
struct Includes {
    /// Declared -> the scopes that declare it (`top`, `node:<n>`, class or define names).
    declared_by: BTreeMap<String, BTreeSet<String>>,
}

impl Includes {
    fn read(cx: &Context<'_>) -> Includes {
        let mut inc = Includes::default();
        for (path, m) in cx.manifests.after.iter() {
            let top = top_scope(cx.after, path);
            for st in &m.parsed.program.statements {
                match &st.kind {
                    ExprKind::ClassDef(d) => inc.block(&norm(&d.name), &d.body.statements),
                    ExprKind::DefineDef(d) => inc.block(&norm(&d.name), &d.body.statements),
                    ExprKind::NodeDef(d) => {
                        // Keyed like the scope of the resources a node body declares
                        // ([`scope_of`]), so that they meet the classes it includes.
                        let crate::ast::NodeDef { names, body, .. } = &**d;
                        let label = crate::model::node_label(&m.text, names);
                        inc.block(&format!("node {label}"), &body.statements)
                    }
                    _ => inc.expr(&top, st),
                }
            }
        }
        inc
    }

    fn block(&mut self, scope: &str, statements: &[Expr]) {
        for st in statements {
            self.expr(scope, st);
        }
    }

    fn add(&mut self, scope: &str, declared: &Expr) {
        let name = match &declared.kind {
            ExprKind::Str(s) | ExprKind::Name(s) => norm(s),
            ExprKind::Array(items) => {
                for it in items {
                    self.add(scope, it);
                }
                return;
            }
            _ => return,
        };
        self.declared_by
            .entry(name)
            .or_default()
            .insert(scope.to_owned());
    }

    fn expr(&mut self, scope: &str, e: &Expr) {
        match &e.kind {
            ExprKind::Call { func, args, .. } => {
                if let ExprKind::Name(f) = &func.kind {
                    if matches!(f.as_str(), "include" | "contain" | "require") {
                        for a in args {
                            self.add(scope, a);
                        }
                    }
                }
            }
            ExprKind::MethodCall(d) => {
                let crate::ast::MethodCall { receiver, .. } = &**d;
                self.expr(scope, receiver)
            }
            ExprKind::Resource {
                type_expr, bodies, ..
            } => {
                if let ExprKind::Name(t) = &type_expr.kind {
                    if t == "class" {
                        for b in bodies {
                            self.add(scope, &b.title);
                        }
                    } else {
                        let t = norm(t);
                        self.declared_by
                            .entry(t)
                            .or_default()
                            .insert(scope.to_owned());
                    }
                }
            }
            ExprKind::Relationship { lhs, rhs, .. } => {
                self.expr(scope, lhs);
                self.expr(scope, rhs);
            }
            ExprKind::Paren(inner) => self.expr(scope, inner),
            _ => {}
        }
    }

    /// Every scope from which `name` is (transitively) declared, `name` included.
    fn declarers(&self, name: &str) -> BTreeSet<String> {
        let mut out = BTreeSet::from([name.to_owned()]);
        let mut todo = vec![name.to_owned()];
        while let Some(n) = todo.pop() {
            for d in self.declared_by.get(&n).into_iter().flatten() {
                if out.insert(d.clone()) {
                    todo.push(d.clone());
                }
            }
        }
        out
    }
}

/// The scope of code outside any class, define or node in `file`: `top` for the
/// environment's main manifests, which Puppet compiles together; a file of its own for
/// top-level code inside a module, which the autoloader never loads and which only runs
/// as a separate `puppet apply` entry point (fuel-library's task manifests).
fn top_scope(m: &Model, file: &str) -> String {
    match module_of_file(m, file) {
        Some(_) => format!("top:{file}"),
        None => "top".into(),
    }
}

/// `::Foo::Bar` -> `foo::bar`.
fn norm(name: &str) -> String {
    name.trim_start_matches("::").to_ascii_lowercase()
}

/// The scope a resource enters the catalogue from: the class (or `top`, or node) that
/// declared it, or that declared the outermost defined-type instance it was expanded
/// from (the define's name would merge every instance of it).
/// Whether some scope (a node, top scope, a class or define) declares both head-revision
/// resources `a` and `b`, directly or through the classes it includes: the test this rule
/// applies before comparing two declarations, for a rule that asks it of one pair. Reads
/// every manifest's includes; call it only when such a pair is found.
pub(crate) fn declared_together(cx: &Context<'_>, a: ResId, b: ResId) -> bool {
    let includes = Includes::read(cx);
    let [sa, sb] = [a, b].map(|x| scope_of(cx.after, cx.after.get(x)));
    !includes
        .declarers(&sa)
        .is_disjoint(&includes.declarers(&sb))
}

/// Whether the resource, or a defined-type instance it was expanded from, is virtual or
/// exported (`@…`, `@@…`).
fn virtual_here(m: &Model, id: ResId) -> bool {
    let r = m.get(id);
    std::iter::once(r)
        .chain(r.define_chain.iter().map(|&d| m.get(d)))
        .any(|x| x.form != ResourceForm::Regular)
}

/// Whether the code shows both head-revision resources `a` and `b` declared (each scope
/// is declared by some node, class or top scope) and never by one scope together. When
/// one is declared nowhere in the code (classified by hiera or a node classifier), this
/// says nothing and is false. Reads every manifest's includes.
pub(crate) fn never_declared_together(cx: &Context<'_>, a: ResId, b: ResId) -> bool {
    let includes = Includes::read(cx);
    let [da, db] = [a, b].map(|x| includes.declarers(&scope_of(cx.after, cx.after.get(x))));
    da.len() > 1 && db.len() > 1 && da.is_disjoint(&db)
}

fn scope_of(m: &Model, r: &Resource) -> String {
    if let Some(&outer) = r.define_chain.first() {
        let o = m.get(outer);
        if o.define_chain.is_empty() {
            return scope_of(m, o);
        }
    }
    match &*r.scope {
        Scope::Class(c) => norm(c),
        Scope::Define { ty, .. } => norm(ty),
        Scope::Top => top_scope(m, &r.file),
        Scope::Node(n) => format!("node {n}"),
    }
}

pub fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    let rule = &RULE;
    // Read (every manifest) only when a declaration has a namesake to compare with.
    let includes_cell = std::cell::OnceCell::new();
    let includes = || includes_cell.get_or_init(|| Includes::read(cx));
    let mut memo: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut declarers = |scope: String| -> BTreeSet<String> {
        memo.entry(scope)
            .or_insert_with_key(|s| includes().declarers(s))
            .clone()
    };
    let mut seen: BTreeSet<(ResId, ResId)> = BTreeSet::new();
    for id in touched(cx) {
        let r = cx.after.get(id);
        // Classes may be included any number of times.
        if r.ty == "class" {
            continue;
        }
        let mut cands: Vec<ResId> = Vec::new();
        for k in [r.title_str().map(str::to_owned), key_text(r)]
            .into_iter()
            .flatten()
        {
            cands.extend(cx.after.find(&r.ty, &k).iter().copied());
        }
        cands.sort_unstable();
        cands.dedup();
        cands.retain(|&o| {
            let other = cx.after.get(o);
            other.ty == r.ty && (r.ty == "file" || other.title_str() == r.title_str())
        });
        if cands.iter().all(|&o| o == id) {
            continue;
        }
        let mine = declarers(scope_of(cx.after, r));
        for o in cands {
            let other = cx.after.get(o);
            if o == id || !other.is_live() || cx.after.exclusive(id, o) {
                continue;
            }
            // A virtual resource enters a catalogue where it is realised, which the scopes
            // here do not follow: `@user::virtual::localuser { 'jenkins': }` realised only
            // on template hosts never meets the slaves' own `authorized_keys`
            // (system-config 00059f5b).
            if [id, o].into_iter().any(|x| virtual_here(cx.after, x)) {
                continue;
            }
            // Inside two declarations of the same define instance: that pair is judged
            // (and reported) on its own.
            let same_instance = r.define_chain.iter().any(|&x| {
                other.define_chain.iter().any(|&y| {
                    let (dx, dy) = (cx.after.get(x), cx.after.get(y));
                    x != y && dx.ty == dy.ty && dx.title == dy.title
                })
            }) || (matches!(*r.scope, Scope::Define { .. })
                && r.scope == other.scope);
            if same_instance {
                continue;
            }
            // The same declaration of the same class, met twice by the evaluator (a class
            // reached both as declared and through another path): Puppet evaluates a class
            // body once, so this is one resource, not two.
            if matches!(*r.scope, Scope::Class(_))
                && r.scope == other.scope
                && r.file == other.file
                && r.span == other.span
            {
                continue;
            }
            // `if !defined(File[$x]) { file { $x: } }` is the idiom that avoids duplicates.
            let guarded_by_defined = |res: &Resource| {
                res.guard.iter().any(|g| {
                    cx.after
                        .conditions
                        .get(g.cond as usize)
                        .is_some_and(|c| c.subject.contains("defined"))
                })
            };
            if guarded_by_defined(r) || guarded_by_defined(other) {
                continue;
            }
            // Under two different conditions whose values are unknown: compiling both needs
            // both to hold, which the tool cannot tell (they are often exclusive in ways
            // only facts decide). Stay silent unless one's conditions include the other's.
            let (ga, gb) = (&r.guard, &other.guard);
            if !ga.iter().all(|g| gb.contains(g)) && !gb.iter().all(|g| ga.contains(g)) {
                continue;
            }
            // Compiled together only if some scope declares both (or they share one).
            if includes()
                .declarers(&scope_of(cx.after, other))
                .is_disjoint(&mine)
            {
                continue;
            }
            let via_ensure = match (&r.origin, &other.origin) {
                (Origin::EnsureResource, _) => Some((r, other)),
                (_, Origin::EnsureResource) => Some((other, r)),
                _ => None,
            };
            if via_ensure.is_some_and(|(e, o)| reusable(e, o)) {
                continue;
            }
            if !seen.insert((id.min(o), id.max(o))) {
                continue;
            }
            let res = r.display_ref();
            let same = if r.title != other.title {
                format!(
                    " ({} normalises to the same {})",
                    other.display_ref(),
                    if r.ty == "file" { "path" } else { "name" }
                )
            } else {
                String::new()
            };
            let how = if via_ensure.is_some() {
                " through `ensure_resource` with different parameters"
            } else {
                ""
            };
            let mut f = finding(
                rule,
                at_title(cx.after, Side::After, id),
                format!(
                    "{res} is declared twice{how}{same}; a node that gets both declarations fails \
                     to compile its catalog"
                ),
            );
            f.help = Some(
                "declare the resource once, in the class that owns it, and make the other class \
                 depend on that class (or put the two in exclusive branches)"
                    .into(),
            );
            f.related.push(related(
                cx.after,
                Side::After,
                o,
                format!("the other declaration ({})", other.scope),
            ));
            f.resource = Some(r.into());
            out.push(f);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::*;

    const PASS: &[&str] = &[
        "class demo {\n  file { '/usr/bin/a': ensure => file, content => 'a' }\n  file { '/usr/bin/b': ensure => file, content => 'b' }\n}",
        // Exclusive branches of one condition.
        "class demo($p) {\n  if $p { package { 'k': ensure => present } file { '/usr/bin/k': ensure => file, content => 'x' } }\n  else { file { '/usr/bin/k': ensure => link, target => '/usr/local/bin/k' } }\n}",
        "class demo($os) {\n  case $os {\n    'debian': { file { '/etc/x': content => 'd' } }\n    default: { file { '/etc/x': content => 'o' } }\n  }\n}",
        // ensure_resource with a subset of the same parameters reuses the declaration.
        "class demo {\n  ensure_resource('file', '/etc/x', { 'ensure' => 'file' })\n  file { '/etc/x': ensure => file, content => 'x' }\n}",
        // Classes are included many times.
        "class other {}\nclass demo {\n  include other\n  include other\n}",
        // A class that inherits the class containing it is evaluated once by Puppet: one
        // declaration, not two. (The evaluator met collectd's version of this twice in the
        // corpus history; this small form does not reproduce that, it guards the shape.)
        "class demo {\n  contain demo::config\n}\nclass demo::config inherits demo {\n  file { '/etc/demo.conf': ensure => file, content => 'x' }\n}\ninclude demo",
        // Two classes nothing in the repository includes together: no role, no finding.
        "class demo::a { file { '/etc/x': content => 'a' } }\nclass demo::b { file { '/etc/x': content => 'b' } }",
        // Alternatives chosen by a condition in the class that includes them.
        "class demo::ovs { service { 'openvswitch': ensure => running } }\nclass demo::dpdk { service { 'openvswitch': ensure => running } }\nclass demo($dpdk) {\n  if $dpdk { require demo::dpdk } else { require demo::ovs }\n}",
        // Two different unknown conditions (often exclusive through facts).
        "class demo($a, $b) {\n  if $a { file { '/etc/x': content => 'a' } }\n  if $b { file { '/etc/x': content => 'b' } }\n}",
        // The defined() idiom.
        "class demo {\n  file { '/srv/www': ensure => directory }\n  if ! defined(File['/srv/www']) { file { '/srv/www': ensure => directory } }\n}",
        // Two execs with the same command are not a conflict (titles differ).
        "class demo {\n  exec { 'reload-a': command => '/bin/systemctl daemon-reload', refreshonly => true }\n  exec { 'reload-b': command => '/bin/systemctl daemon-reload', refreshonly => true }\n}",
    ];

    const FAIL: &[(&str, &[u32])] = &[
        // Two classes a role includes together; the paths differ only by a trailing slash.
        (
            "class demo::a {\n  file { '/usr/bin/kube-apiserver': ensure => link, target => '/usr/local/bin/kube-apiserver' }\n}\nclass demo::b {\n  package { 'kubernetes-master': ensure => present }\n  file { '/usr/bin/kube-apiserver/': ensure => file }\n}\nclass demo::role {\n  include demo::a\n  include demo::b\n}\n",
            &[2],
        ),
        // One unconditional, one under a condition: both compile when it holds.
        (
            "class demo($a) {\n  file { '/etc/x': content => 'a' }\n  if $a { file { '/etc/x': content => 'b' } }\n}\n",
            &[2],
        ),
        // The same define instance declared twice in one class.
        (
            "define demo::unit() { file { \"/etc/${title}\": content => 'x' } }\nclass demo {\n  demo::unit { 'a': }\n  demo::unit { 'a': }\n}\n",
            &[3],
        ),
        // ensure_resource with different parameters.
        (
            "class demo {\n  ensure_resource('package', 'curl', { 'ensure' => 'latest' })\n  package { 'curl': ensure => '7.88' }\n}\n",
            &[2],
        ),
    ];

    #[test]
    fn pass() {
        assert_pass_snippets(NAME, PASS, after_only);
    }

    #[test]
    fn fail() {
        for found in assert_fail_snippets(NAME, FAIL, after_only) {
            assert!(found.iter().all(|f| f.related.len() == 1));
        }
    }

    #[test]
    fn a_duplicate_the_change_does_not_touch_is_not_reported() {
        let src = "class a { file { '/etc/x': content => 'a' } }\nclass b { file { '/etc/x': content => 'b' } }\n";
        let case = edit(
            src,
            &format!("{src}class c {{ file {{ '/etc/y': content => 'c' }} }}\n"),
        );
        assert!(check_rule(NAME, &case).is_empty());
    }

    #[test]
    fn a_virtual_resource_meets_others_only_where_it_is_realised() {
        // system-config 00059f5b: a virtual user's `authorized_keys`, realised only on
        // template hosts, and the slaves' own, both at one path through `name`.
        let mut case = Case::default();
        case.after(
            "modules/user/manifests/virtual.pp",
            "class user::virtual {\n  define localuser() {\n    file { \"${title}_keys\": name => \"/home/${title}/.ssh/authorized_keys\", content => 'k' }\n  }\n}\n",
        )
        .after(
            "modules/slave/manifests/init.pp",
            "class slave {\n  file { 'jenkinskeys': name => '/home/jenkins/.ssh/authorized_keys', content => 'j' }\n}\n",
        )
        .after(
            "manifests/site.pp",
            "include user::virtual\n@user::virtual::localuser { 'jenkins': }\nnode /template/ { realize(User::Virtual::Localuser['jenkins']) }\nnode /slave/ { include slave }\n",
        );
        assert!(check_rule(NAME, &case).is_empty());
        let m = model_of_case(&case);
        let keys: Vec<_> = m
            .resources
            .iter()
            .filter(|r| r.ty == "file")
            .map(|r| r.name_value().clone())
            .collect();
        assert_eq!(
            keys,
            vec![Value::str("/home/jenkins/.ssh/authorized_keys"); 2],
            "`name` is the path"
        );
    }

    #[test]
    fn top_level_code_of_module_files_is_one_entry_point_each() {
        // fuel-library's tasks: each `modular/*/*.pp` is its own `puppet apply`.
        let mut case = Case::default();
        case.after(
            "modules/tasks/manifests/a.pp",
            "class tasks::a { package { 'cirros': ensure => installed } }\n",
        )
        .after(
            "modules/tasks/manifests/b.pp",
            "class tasks::b { package { 'cirros': ensure => installed } }\n",
        )
        .after("modules/tasks/modular/a/a.pp", "class { 'tasks::a': }\n")
        .after("modules/tasks/modular/b/b.pp", "class { 'tasks::b': }\n");
        assert!(check_rule(NAME, &case).is_empty());
        // The environment's main manifests are compiled together.
        case.after("manifests/site.pp", "include tasks::a\n")
            .after("manifests/other.pp", "include tasks::b\n");
        assert_eq!(check_rule(NAME, &case).len(), 1);
        // So is one module file's top-level code.
        let mut case = Case::default();
        case.after(
            "modules/tasks/manifests/a.pp",
            "class tasks::a { package { 'cirros': ensure => installed } }\n",
        )
        .after(
            "modules/tasks/manifests/b.pp",
            "class tasks::b { package { 'cirros': ensure => installed } }\n",
        )
        .after(
            "modules/tasks/modular/ab.pp",
            "class { 'tasks::a': }\nclass { 'tasks::b': }\n",
        );
        assert_eq!(check_rule(NAME, &case).len(), 1);
    }

    #[test]
    fn a_node_body_meets_the_classes_it_includes() {
        let class = "class app {\n  file { '/etc/app.conf': content => 'x' }\n}\n";
        let define = "define app::conf($path) {\n  file { $path: content => 'y' }\n}\n";
        let case = |site: &str| {
            let mut c = Case::default();
            c.after("modules/app/manifests/init.pp", class)
                .after("modules/app/manifests/conf.pp", define)
                .after("manifests/site.pp", site);
            c
        };
        // Declared in the node body, and by a class the node includes.
        let both = "node 'a' {\n  include app\n  file { '/etc/app.conf': content => 'z' }\n}\n";
        assert_eq!(check_rule(NAME, &case(both)).len(), 1);
        // Through a define instance in the node body.
        let both = "node 'a' {\n  include app\n  app::conf { 'c': path => '/etc/app.conf' }\n}\n";
        assert_eq!(check_rule(NAME, &case(both)).len(), 1);
        // Two nodes, one each: never in one catalog.
        let apart = "node 'a' {\n  include app\n}\nnode 'b' {\n  file { '/etc/app.conf': content => 'z' }\n}\n";
        assert!(check_rule(NAME, &case(apart)).is_empty());
        // The class included only in a branch of the node.
        let branch = "node 'a' {\n  if $facts['x'] { include app }\n  file { '/etc/app.conf': content => 'z' }\n}\n";
        assert!(check_rule(NAME, &case(branch)).is_empty());
    }
}
