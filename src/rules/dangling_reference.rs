//! ## What it does
//!
//! Flags a relationship (`require`, `before`, `notify`, `subscribe`, the chaining arrows)
//! or a `realize`/override reference to a resource that the repository declares nowhere
//! after the change, and one whose target is declared only in some branches: the
//! reference is then reported with the branch choice under which it finds nothing
//! ("when `$manage_service` is false"). Branches are not flipped where the combination
//! is implausible: `defined(…)` tests, `node` bodies, and conditions that test a variable
//! the reference's own conditions test (the same fact checked in two files); a reference
//! chosen by a selector and the ends of a chain matched by a collector are not judged,
//! and only targets of the referencing code's own module are judged this way (another
//! module's branches are usually chosen by the parameters the referencing code passes).
//! A reference satisfied by a defined-type instance,
//! by a resource a define declares, by the resource's `alias`, or by a declaration in the
//! same branch is fine. A reference in a class body is judged together with the
//! conditions under which the class is declared (`if $admin { include demo::admin }`,
//! through the classes that declare it), and a target declared with `ensure_resource` or
//! `ensure_packages` counts as declared wherever that call is evaluated (in every
//! instance of a defined type, not only the first).
//!
//! Only what the change introduces is reported: a new reference (from a place that did not
//! refer to the target before, even when other references to it were already dangling; a
//! new instance of a define whose body holds an old reference is the same place), or an
//! old one whose target the change removed or moved into a branch. When the change removed
//! the only declaration, the message says so and where it was. When the change put the
//! only declaration under a condition, references from other modules are judged too (they
//! found it everywhere before). When the change moved every declaration out of a class
//! the repository declares into a class nothing in the repository declares (`include`,
//! `contain`, `require`, `class { … }`, a node), the reference is reported as breaking
//! the nodes that include the old class (not when the base revision already declared it
//! in that class too, nor when hiera data names the class). References that could be
//! satisfied from outside the repository stay silent: defined types of modules listed in
//! `external_modules`, a `Puppetfile`, a `metadata.json`'s dependencies, a legacy
//! `Modulefile` or a `modules.env` list; built-in types in a module whose code declares a
//! class of such a module, or of a module the tree does not have at all (which
//! `unresolved-class` reports), or an instance of a listed module's defined type; targets
//! named after such a module; `File[$p]` where `concat { $p: }` declares it; titles a
//! symbolic declaration could take; and types created by `create_resources`. A reference
//! under `if defined(…)` and a target declared before in a manifest that no longer parses
//! (`syntax-error` reports the cause) are not reported either. `Class['x']` for a class
//! that exists nowhere is `unresolved-class`.
//!
//! A title chosen among alternatives (`package { $pkg: }` with `$pkg` set per
//! `$::osfamily`) satisfies a reference to any of them. A literal reference to one of
//! them (`Package['nova-compute']`) outside any condition is reported as a warning: it
//! finds nothing where the title is another. A variable assigned in the branches of a
//! condition carries what that condition tests, so `if $pkg` and a reference under
//! `$::operatingsystem == 'Ubuntu'` are correlated.
//!
//! A partly known title (`ceph-mon-${::hostname}`) satisfies the references its pattern
//! matches. A wholly unknown one (`service { $service_name: }` with the name from a fact
//! or a hiera key the repository lacks), and a `create_resources` whose type or titles
//! are not known, satisfy only references that can share a catalog with them because of
//! each other: code of the same module, or of a module that declares (through any chain
//! of `include`, `class { … }` and defined types) a class or defined type of the other.
//! Code outside modules (`manifests/site.pp`) is related to every module.
//!
//! ## Why is this bad?
//!
//! Puppet cannot build the relationship graph and the catalog fails to compile ("Could
//! not find resource … for relationship"), so nothing is applied on any node that
//! evaluates the reference.
//!
//! ## Example
//!
//! ```puppet
//! service { 'kube-scheduler':
//!   ensure  => running,
//!   require => File['/usr/bin/kube-schedular'],   # typo
//! }
//! ```
//!
//! ## Use instead
//!
//! ```puppet
//! service { 'kube-scheduler':
//!   ensure  => running,
//!   require => File['/usr/bin/kube-scheduler'],
//! }
//! ```
//!
//! ## Exceptions
//!
//! Resources declared by modules outside the repository: list the modules in
//! `external_modules` (or in the `Puppetfile`). A branch combination that cannot happen
//! (two flags that are always set together) is reported anyway; suppress it with the
//! reason.
//!
//! ## References
//!
//! - Puppet language: relationships and ordering; resource references.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::rc::Rc;
use std::sync::Arc;

use crate::ast::{Expr, ExprKind, Span};
use crate::diagnostic::{Finding, Location, Related, Severity, Side};
use crate::model::value::capitalize_type;
use crate::model::{normalize_path, CollectorSite, EdgeVia, Model, ResId, Value};

use super::executables::{external_modules, walk};
use super::guards::{describe_steps, module_of, module_of_file, repo_modules, unsatisfied_when};
use super::registry::{Kind, Rule};
use super::{finding, Context};

pub const NAME: &str = "dangling-reference";

/// This rule's row of the registry (`registry.rs` lists the rows in order).
pub(crate) static RULE: Rule = Rule {
    name: NAME,
    default_severity: Severity::Error,
    summary: "a relationship or reference to a resource or class declared nowhere",
    kind: Kind::Check,
    check: Some(check),
    source: include_str!("dangling_reference.rs"),
};

const METAPARAMS: [&str; 4] = ["require", "before", "notify", "subscribe"];

/// One reference that does not always find its target.
struct Problem {
    file: Arc<str>,
    span: Span,
    ty: String,
    title: String,
    /// The relationship (`notify`, `->`, …) or `realize`/override (`None`).
    via: Option<String>,
    /// The resource whose metaparameter holds the reference.
    holder: Option<ResId>,
    /// `None`: declared nowhere. `Some(steps)`: declared, but not under these choices
    /// (empty: only in branches that exclude the reference).
    when: Option<Vec<crate::model::GuardStep>>,
    /// Declared, but the change moved every declaration into a class nothing in the
    /// repository declares: (that class, the class it was in before).
    moved: Option<(String, String)>,
    /// The target's title or name is chosen among alternatives (shown), of which the
    /// reference names one: a warning.
    chosen: Option<String>,
}

/// What makes a reference the same one on both sides: its file, where the resource
/// holding it is declared (file and the text of its title, so an edit above it does not
/// matter and every instance of one define body is one place), how it refers, and the
/// target.
type ProblemKey = (
    String,
    Option<(String, String)>,
    Option<String>,
    String,
    String,
);

impl Problem {
    /// A reference from another place to a target that was already dangling is a new
    /// problem (another place breaks); the reference from the same place is the old one.
    fn key(&self, cx: &Context<'_>, side: Side) -> ProblemKey {
        let holder = self.holder.and_then(|h| {
            let r = cx.model(side).get(h);
            let text = &cx.manifest(side, &r.file)?.text;
            let title = text.get(r.title_span.start as usize..r.title_span.end as usize)?;
            Some((r.file.to_string(), title.to_string()))
        });
        (
            self.file.to_string(),
            holder,
            self.via.clone(),
            self.ty.clone(),
            self.title.clone(),
        )
    }

    fn shown(&self) -> String {
        format!("{}['{}']", capitalize_type(&self.ty), self.title)
    }
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
    let old: BTreeSet<_> = problems(cx, cx.before, &external)
        .iter()
        .map(|p| (p.key(cx, Side::Before), p.when.is_none()))
        .collect();
    let mut seen = BTreeSet::new();
    for p in problems(cx, cx.after, &external) {
        if old.contains(&(p.key(cx, Side::After), p.when.is_none())) {
            continue;
        }
        if !seen.insert((p.file.clone(), p.span, p.ty.clone(), p.title.clone())) {
            continue;
        }
        out.push(report(cx, rule, &p));
    }
}

fn report(cx: &Context<'_>, rule: &'static super::Rule, p: &Problem) -> Finding {
    let m = cx.after;
    let target = p.shown();
    let who = match p.holder {
        Some(h) => m.get(h).display_ref(),
        None => "this code".to_owned(),
    };
    let verb = match p.via.as_deref() {
        Some("require") => "requires".to_owned(),
        Some("before") => "must come before".to_owned(),
        Some("notify") => "notifies".to_owned(),
        Some("subscribe") => "subscribes to".to_owned(),
        Some(op) => format!("is chained (`{op}`) to"),
        None => "refers to".to_owned(),
    };
    let fails = "the catalog will not compile (\"Could not find resource\")";
    let removed = removed_from(cx, &p.ty, &p.title);
    let (message, help) = match (&p.when, &p.chosen) {
        (_, Some(chosen)) => (
            format!(
                "{who} {verb} {target}, but that resource's title is chosen among several \
                 ({chosen}): where it is another, {fails}"
            ),
            format!(
                "refer to it through the same variable, or put the reference under the \
                 condition that chooses {target}"
            ),
        ),
        (None, None) if p.moved.is_some() => {
            let (to, from) = p.moved.clone().unwrap_or_default();
            (
                format!(
                    "{who} {verb} {target}, which this change moved from class `{from}` (at {}) \
                     into class `{to}`, which nothing in the repository declares: {fails} on the \
                     nodes that include `{from}`",
                    removed.join(", ")
                ),
                format!(
                    "declare class `{to}` where `{from}` is declared (`include {to}` in \
                     `{from}`), or keep {target} in `{from}`"
                ),
            )
        }
        (None, None) if !removed.is_empty() => (
            format!(
                "{who} {verb} {target}, whose only declaration this change removed (it was at \
                 {}): {fails}",
                removed.join(", ")
            ),
            format!(
                "keep {target} declared, drop the reference, or point it at the resource that \
                 replaced it"
            ),
        ),
        (None, None) => (
            format!("{who} {verb} {target}, which is declared nowhere in the repository: {fails}"),
            format!(
                "declare {target}, drop the reference, or point it at the resource that \
                 replaced it; if it comes from a module outside the repository, list that \
                 module in the Puppetfile or in external_modules"
            ),
        ),
        (Some(steps), None) if steps.is_empty() => (
            format!(
                "{who} {verb} {target}, which is declared only in branches that exclude this \
                 reference: {fails} wherever the reference is evaluated"
            ),
            format!(
                "declare {target} under the same condition as the reference, or move the reference"
            ),
        ),
        (Some(steps), None) => (
            format!(
                "{who} {verb} {target}, which is declared only in some branches{}: when {}, \
                 {fails}",
                if made_conditional(cx, m, &p.ty, &p.title) {
                    " (this change put its declaration under a condition)"
                } else {
                    ""
                },
                describe_steps(m, steps)
            ),
            format!(
                "put the reference under the same condition as {target}, or declare it in \
                 every branch"
            ),
        ),
    };
    let mut f = finding(
        rule,
        Location {
            side: Side::After,
            file: p.file.to_string(),
            span: p.span,
        },
        message,
    );
    f.help = Some(help);
    if p.chosen.is_some() {
        // Right on the nodes that choose this title: worth a look, not a certain failure.
        f.severity = Severity::Warning;
    }
    for &t in m.find(&p.ty, &p.title) {
        let g = &m.get(t).guard;
        let cond: Vec<String> = g.iter().map(|s| m.guard_text(s)).collect();
        let message = match (&p.chosen, &p.moved) {
            (Some(chosen), _) => format!("declared here under the title {chosen}"),
            (None, Some((to, _))) => {
                format!("{target} is declared here, in class `{to}`, which nothing declares")
            }
            (None, None) => format!("{target} is declared here, only under {}", cond.join(", ")),
        };
        f.related.push(related(m, Side::After, t, message));
    }
    if p.when.is_none() {
        for &t in cx.before.find(&p.ty, &p.title) {
            f.related.push(related(
                cx.before,
                Side::Before,
                t,
                format!("{target} was declared here before this change"),
            ));
        }
    }
    f.resource = p.holder.map(|h| m.get(h).into());
    f
}

/// Where the base revision declared `ty['title']` (`file:line`), when it did.
fn removed_from(cx: &Context<'_>, ty: &str, title: &str) -> Vec<String> {
    let mut out: Vec<String> = cx
        .before
        .find(ty, title)
        .iter()
        .map(|&t| {
            let r = cx.before.get(t);
            let line = cx.manifest(Side::Before, &r.file).map_or(0, |man| {
                crate::diagnostic::LineIndex::new(&man.text)
                    .line_col(&man.text, r.title_span.start)
                    .line
            });
            format!("{}:{line}", r.file)
        })
        .collect();
    out.dedup();
    out
}

/// The class holding resource `t` (through defined-type instances).
fn own_class(m: &Model, t: ResId) -> Option<ResId> {
    let mut c = m.get(t).container;
    for _ in 0..64 {
        let id = c?;
        if m.get(id).ty == "class" {
            return Some(id);
        }
        c = m.get(id).container;
    }
    None
}

/// Whether class resource `c` is declared by code of the repository (not only evaluated
/// because nothing declares it, or because a qualified variable named it).
fn class_declared(m: &Model, c: ResId) -> bool {
    m.get(c).origin != crate::model::Origin::Undeclared
}

/// `(to, from)` when the change moved every declaration of `ty['title']` out of class
/// `from`, which the repository's code declares on both sides, into class `to`, which
/// nothing in the repository declares after the change (an ENC could still classify
/// it, but the repository then classifies `from` itself, so the move is what breaks).
fn moved_out_of_reach(
    cx: &Context<'_>,
    m: &Model,
    ty: &str,
    title: &str,
) -> Option<(String, String)> {
    if !std::ptr::eq(m, cx.after) {
        return None;
    }
    let mut to = None;
    for &t in m.find(ty, title) {
        let c = own_class(m, t)?;
        if class_declared(m, c) {
            return None;
        }
        to = m.get(c).title_str().map(str::to_owned);
    }
    let to = to?;
    // Not a move when the base revision already declared it in `to` too (the change
    // removed the other declaration: ocf 5164fd3c dropped a temporary `ensure =>
    // absent` copy), nor when hiera data names `to` (a `classes` list classifies it).
    let in_to = |b: ResId| {
        own_class(cx.before, b)
            .and_then(|c| cx.before.get(c).title_str())
            .is_some_and(|c| c == to)
    };
    if cx.before.find(ty, title).iter().any(|&b| in_to(b)) || hiera_names(cx, m, &to) {
        return None;
    }
    cx.before.find(ty, title).iter().find_map(|&b| {
        let c = own_class(cx.before, b)?;
        let from = cx.before.get(c).title_str()?;
        let still = m.find("class", from).iter().any(|&a| class_declared(m, a));
        (from != to && class_declared(cx.before, c) && still).then(|| (to.clone(), from.to_owned()))
    })
}

/// Whether a hiera data file of `m`'s side names class `class` (as a list item or a value:
/// `- ocf_broker`, `'ocf_broker'`), the way `classes` lists classify nodes.
fn hiera_names(cx: &Context<'_>, m: &Model, class: &str) -> bool {
    let tree = &cx.change.side(side_of(cx, m)).tree;
    let bare = class.trim_start_matches("::");
    m.hiera.files().any(|p| {
        tree.text(p).is_some_and(|text| {
            text.lines().any(|l| {
                let v = l.trim().trim_start_matches('-').trim();
                let v = v.split_once(": ").map_or(v, |(_, value)| value);
                let v = v.trim().trim_matches(['\'', '"']).trim_start_matches("::");
                v == bare
            })
        })
    })
}

/// Whether the change put every declaration of `ty['title']` under a condition: the base
/// revision declares it outside any, the head revision only inside some.
fn made_conditional(cx: &Context<'_>, m: &Model, ty: &str, title: &str) -> bool {
    std::ptr::eq(m, cx.after)
        && cx
            .before
            .find(ty, title)
            .iter()
            .any(|&t| cx.before.get(t).guard.is_empty())
        && m.find(ty, title)
            .iter()
            .all(|&t| !m.get(t).guard.is_empty())
}

fn related(m: &Model, side: Side, id: ResId, message: String) -> Related {
    super::common::related(m, side, id, message)
}

/// Every reference of `m` that is unsatisfied in some compilation.
fn problems(cx: &Context<'_>, m: &Model, external: &BTreeSet<String>) -> Vec<Problem> {
    let mut out = Vec::new();
    // Built on first use: it walks every manifest of the side, and most changes have
    // nothing for it to judge.
    let outside_cell = std::cell::OnceCell::new();
    let outside = || outside_cell.get_or_init(|| Outside::new(cx, m, external));
    let collectors = collectors_by_file(m);
    let mut sites: Option<Sites<'_>> = None;
    for u in &m.unresolved_refs {
        if u.ty == "class" || outside().could_provide(m, &u.file, &u.ty, &u.title) {
            continue;
        }
        // `if defined(Exec['x']) { Exec['x'] -> … }`: only there when the target is.
        if tests_defined(m, &u.guard) {
            continue;
        }
        // Declared before in a manifest that no longer parses: `syntax-error` reports
        // the cause, and what the parser lost there is not missing, only unreadable.
        if lost_to_syntax_error(cx, m, &u.ty, &u.title) {
            continue;
        }
        let (holder, via) = sites
            .get_or_insert_with(|| Sites::new(m))
            .at(m, &u.file, u.span);
        out.push(Problem {
            file: u.file.clone(),
            span: u.span,
            ty: u.ty.clone(),
            title: u.title.clone(),
            via,
            holder,
            when: None,
            moved: None,
            chosen: None,
        });
    }
    out.extend(alternative_refs(cx, m, &mut sites));
    out.extend(undefined_type_refs(m, external));
    for e in &m.edges {
        if e.via == EdgeVia::RequireFunction {
            continue;
        }
        let metaparam = e.via.is_metaparam();
        // A metaparameter's holder is the end that is not referenced.
        let ends: &[ResId] = match e.via {
            EdgeVia::Before | EdgeVia::Notify => &[e.to],
            EdgeVia::Require | EdgeVia::Subscribe => &[e.from],
            _ => &[e.from, e.to],
        };
        // A metaparameter whose value is itself chosen by a condition (`$x ? { … }`): the
        // reference exists only in some alternatives, which guards do not record.
        if metaparam {
            let holder = if matches!(e.via, EdgeVia::Before | EdgeVia::Notify) {
                e.from
            } else {
                e.to
            };
            let alternatives = m.get(holder).attrs.iter().any(|a| {
                a.name == e.via.as_str() && a.value_span == e.span && has_alternatives(&a.value)
            });
            if alternatives {
                continue;
            }
        }
        // `if defined(File[$x]) { … require => File[$x] }`.
        if tests_defined(m, &e.guard) {
            continue;
        }
        for &t in ends {
            let r = m.get(t);
            if r.ty == "class" {
                continue;
            }
            // An end matched by a collector (`Package<| |> -> …`) is not a reference.
            if !metaparam && collected(&collectors, &e.file, e.span, &r.ty) {
                continue;
            }
            let Value::Str(title) = &r.title else {
                continue;
            };
            let targets = m.find(&r.ty, title);
            if let Some(moved) = moved_out_of_reach(cx, m, &r.ty, title) {
                out.push(Problem {
                    file: e.file.clone(),
                    span: e.span,
                    ty: r.ty.to_string(),
                    title: title.to_string(),
                    via: Some(e.via.to_string()),
                    holder: metaparam.then_some(if t == e.to { e.from } else { e.to }),
                    when: None,
                    moved: Some(moved),
                    chosen: None,
                });
                continue;
            }
            // Across modules, which branch the other module takes is usually set by the
            // referencing code's own configuration: only the same module is judged.
            // A change that wraps the declaration in a condition is judged wherever the
            // reference is: the reference found it everywhere before.
            let here = module_of_file(m, &e.file);
            if targets
                .iter()
                .any(|&t| module_of_file(m, &m.get(t).file) != here)
                && !made_conditional(cx, m, &r.ty, title)
            {
                continue;
            }
            let Some(steps) = unsatisfied_when(m, &e.guard, targets) else {
                continue;
            };
            // Where the repository's declaration is missing, an external module named
            // like the target (`Service['neutron-server']`, module `neutron`) may
            // declare it.
            if outside().named_like_external(&r.ty, title) {
                continue;
            }
            // What the edge's own guard does not show: the conditions under which its
            // class is declared, and targets `ensure_resource` declares wherever it runs.
            let guard = effective_guard(cx, m, &e.file, e.span, &e.guard);
            if unsatisfied_when(m, &guard, targets).is_none()
                || targets.iter().any(|&t| ensured_here(cx, m, t, &guard))
            {
                continue;
            }
            let holder = if metaparam {
                Some(if t == e.to { e.from } else { e.to })
            } else {
                None
            };
            out.push(Problem {
                file: e.file.clone(),
                span: e.span,
                ty: r.ty.to_string(),
                title: title.to_string(),
                via: Some(e.via.to_string()),
                holder,
                when: Some(steps),
                moved: None,
                chosen: None,
            });
        }
    }
    out
}

/// Whether the base revision declares `ty[title]` in a manifest that, on the side `m`
/// is of, does not parse.
fn lost_to_syntax_error(cx: &Context<'_>, m: &Model, ty: &str, title: &str) -> bool {
    let side = side_of(cx, m);
    if side == Side::Before {
        return false;
    }
    cx.before.find(ty, title).iter().any(|&t| {
        cx.manifest(side, &cx.before.get(t).file)
            .is_some_and(|man| !man.parsed.errors.is_empty())
    })
}

/// Whether a step of `guard` tests `defined(…)`: code that exists only when what it
/// names is declared.
fn tests_defined(m: &Model, guard: &[crate::model::GuardStep]) -> bool {
    guard.iter().any(|s| {
        m.conditions
            .get(s.cond as usize)
            .is_some_and(|c| c.tests_defined)
    })
}

/// The guard of code at `span` of `file`, with the conditions under which the class
/// whose body holds it is declared (a class body is evaluated once, with a guard of its
/// own: `if $manage { include demo::service }` does not show in `demo::service`'s
/// resources), and those of the class declaring that one, and so on. The model keeps
/// the first declaration of a class; where another declares it under other conditions,
/// this can only hide a finding, never add one (it is used to drop findings).
fn effective_guard(
    cx: &Context<'_>,
    m: &Model,
    file: &str,
    span: Span,
    guard: &[crate::model::GuardStep],
) -> Vec<crate::model::GuardStep> {
    let mut out = guard.to_vec();
    let mut class = cx.manifest(side_of(cx, m), file).and_then(|man| {
        man.parsed
            .program
            .statements
            .iter()
            .find_map(|st| match &st.kind {
                ExprKind::ClassDef(d) if st.span.start <= span.start && span.end <= st.span.end => {
                    Some(d.name.trim_start_matches("::").to_ascii_lowercase())
                }
                _ => None,
            })
    });
    let mut seen = BTreeSet::new();
    while let Some(name) = class.take() {
        if !seen.insert(name.clone()) {
            break;
        }
        let Some(&res) = m.find("class", &name).first() else {
            break;
        };
        let r = m.get(res);
        for s in &r.guard {
            if !out.contains(s) {
                out.push(*s);
            }
        }
        if let crate::model::Scope::Class(outer) = &*r.scope {
            class = Some(outer.to_string());
        }
    }
    out
}

/// Whether target `t` was declared by `ensure_resource`/`ensure_packages` in code that
/// is compiled wherever code under `guard` is: the model keeps one resource for all the
/// calls, with the guard of the first, so the conditions of that first caller (those
/// outside the class or defined type that makes the call, such as the `case` around a
/// defined type's instance) are not the target's; its own conditions must all hold under
/// `guard` (the same condition of the code, and the same branch: each evaluation of a
/// defined type's body records its conditions anew).
fn ensured_here(cx: &Context<'_>, m: &Model, t: ResId, guard: &[crate::model::GuardStep]) -> bool {
    let r = m.get(t);
    if r.origin != crate::model::Origin::EnsureResource {
        return false;
    }
    let body = enclosing_definition(cx, m, &r.file, r.span);
    let at = |s: &crate::model::GuardStep| {
        m.conditions
            .get(s.cond as usize)
            .map(|c| (c.file.clone(), c.span, s.branch))
    };
    let held: Vec<_> = guard.iter().filter_map(at).collect();
    r.guard.iter().all(|s| match at(s) {
        Some(key) => {
            let own = key.0 == r.file
                && body.map_or(true, |b| b.start <= key.1.start && key.1.end <= b.end);
            !own || held.contains(&key)
        }
        None => false,
    })
}

/// The span of the class or defined type definition of `file` that holds `span`.
fn enclosing_definition(cx: &Context<'_>, m: &Model, file: &str, span: Span) -> Option<Span> {
    let man = cx.manifest(side_of(cx, m), file)?;
    man.parsed.program.statements.iter().find_map(|st| {
        (matches!(
            st.kind,
            ExprKind::ClassDef { .. } | ExprKind::DefineDef { .. }
        ) && st.span.start <= span.start
            && span.end <= st.span.end)
            .then_some(st.span)
    })
}

/// `Demo::Unit['x']` in a metaparameter, where `demo` is a module of the repository that
/// defines no type `demo::unit` (the model keeps such a value as a type, not a reference).
fn undefined_type_refs(m: &Model, external: &BTreeSet<String>) -> Vec<Problem> {
    let repo_modules = repo_modules(m);
    let mut out = Vec::new();
    for (id, r) in m.live_resources() {
        for a in r
            .attrs
            .iter()
            .filter(|a| METAPARAMS.contains(&a.name.as_str()))
        {
            let mut vals = Vec::new();
            a.value.flatten_into(&mut vals);
            for v in vals {
                let Value::Type(text) = v else { continue };
                let Some((ty, title)) = parse_type_ref(&text) else {
                    continue;
                };
                let module = module_of(&ty);
                if m.defines.contains_key(&ty)
                    || !repo_modules.contains(&module)
                    || external.contains(&module)
                {
                    continue;
                }
                out.push(Problem {
                    file: a.file.clone(),
                    span: a.value_span,
                    ty,
                    title,
                    via: Some(a.name.to_string()),
                    holder: Some(id),
                    when: None,
                    moved: None,
                    chosen: None,
                });
            }
        }
    }
    out
}

/// Literal references (`Package['nova-compute']`) that find their target only as one
/// of the titles it may take (`package { $pkg: }` with `$pkg` chosen by `case
/// $::osfamily`), in code that no condition guards: on the nodes where the title is
/// another, nothing matches. A reference through the same variable (`Package[$pkg]`)
/// or under a condition (usually the same fact) is left alone.
fn alternative_refs<'m>(
    cx: &Context<'_>,
    m: &'m Model,
    sites: &mut Option<Sites<'m>>,
) -> Vec<Problem> {
    let side = side_of(cx, m);
    let mut out = Vec::new();
    for u in &m.alternative_refs {
        if !u.guard.is_empty() {
            continue;
        }
        let Some(text) = cx
            .manifest(side, &u.file)
            .and_then(|man| man.text.get(u.span.start as usize..u.span.end as usize))
        else {
            continue;
        };
        if !text.contains(&format!("'{}'", u.title)) && !text.contains(&format!("\"{}\"", u.title))
        {
            continue;
        }
        let Some(&t) = m.find(&u.ty, &u.title).first() else {
            continue;
        };
        let r = m.get(t);
        let chosen = if r.title.as_str().is_none() {
            r.title.to_string()
        } else {
            r.name_value().to_string()
        };
        let (holder, via) = sites
            .get_or_insert_with(|| Sites::new(m))
            .at(m, &u.file, u.span);
        out.push(Problem {
            file: u.file.clone(),
            span: u.span,
            ty: u.ty.clone(),
            title: u.title.clone(),
            via,
            holder,
            when: None,
            chosen: Some(chosen),
            moved: None,
        });
    }
    out
}

/// `Demo::Unit['x']` -> (`demo::unit`, `x`), for a literal title.
fn parse_type_ref(text: &str) -> Option<(String, String)> {
    let (ty, rest) = text.split_once('[')?;
    if !ty.contains("::") || !ty.starts_with(|c: char| c.is_ascii_uppercase()) {
        return None;
    }
    let inner = rest.strip_suffix(']')?.trim();
    let q = inner.chars().next().filter(|c| *c == '\'' || *c == '"')?;
    let title = inner.strip_prefix(q)?.strip_suffix(q)?;
    if title.contains(['$', '\'', '"']) {
        return None;
    }
    Some((
        ty.trim_start_matches("::").to_ascii_lowercase(),
        title.to_owned(),
    ))
}

fn side_of(cx: &Context<'_>, m: &Model) -> Side {
    if std::ptr::eq(m, cx.before) {
        Side::Before
    } else {
        Side::After
    }
}

fn has_alternatives(v: &Value) -> bool {
    match v {
        Value::OneOf(_) => true,
        Value::Array(xs) => xs.iter().any(has_alternatives),
        _ => false,
    }
}

/// The model's collectors by file, so that a chain asks only about its own file.
fn collectors_by_file(m: &Model) -> HashMap<&str, Vec<&CollectorSite>> {
    let mut by_file: HashMap<&str, Vec<&CollectorSite>> = HashMap::new();
    for c in &m.collectors {
        by_file.entry(&*c.file).or_default().push(c);
    }
    by_file
}

/// Whether the chain at `span` of `file` holds a collector of type `ty` (`Ty <| … |>`).
fn collected(
    by_file: &HashMap<&str, Vec<&CollectorSite>>,
    file: &str,
    span: Span,
    ty: &str,
) -> bool {
    by_file.get(file).is_some_and(|cs| {
        cs.iter()
            .any(|c| span.start <= c.span.start && c.span.end <= span.end && c.ty == ty)
    })
}

/// Where a reference written at (file, span) sits: the first resource whose
/// metaparameter value it is, and the first relationship edge written there.
struct Sites<'m> {
    holders: HashMap<(&'m str, Span), ResId>,
    edges: HashMap<(&'m str, Span), usize>,
}

impl<'m> Sites<'m> {
    fn new(m: &'m Model) -> Self {
        let mut holders = HashMap::new();
        for (id, r) in m.resources.iter().enumerate() {
            for a in &r.attrs {
                if METAPARAMS.contains(&a.name.as_str()) {
                    holders.entry((&*a.file, a.value_span)).or_insert(id);
                }
            }
        }
        let mut edges = HashMap::new();
        for (i, e) in m.edges.iter().enumerate() {
            edges.entry((&*e.file, e.span)).or_insert(i);
        }
        Sites { holders, edges }
    }

    /// The resource whose metaparameter holds the reference at `file`/`span`, and how it
    /// refers (the metaparameter, or the chaining arrow).
    fn at(&self, m: &Model, file: &str, span: Span) -> (Option<ResId>, Option<String>) {
        let holder = self.holders.get(&(file, span)).copied();
        let via = holder
            .and_then(|h| {
                m.get(h)
                    .attrs
                    .iter()
                    .find(|a| a.value_span == span && METAPARAMS.contains(&a.name.as_str()))
                    .map(|a| a.name.to_string())
            })
            .or_else(|| {
                self.edges
                    .get(&(file, span))
                    .map(|&e| m.edges[e].via.to_string())
            });
        (holder, via)
    }
}

/// What could declare a resource without the repository showing it.
struct Outside<'a> {
    external: &'a BTreeSet<String>,
    /// The external modules the tree does not have a directory of.
    named_external: BTreeSet<String>,
    /// Repository modules that declare a class of an external module.
    using_external: BTreeSet<String>,
    /// Types passed to `create_resources` (`None`: a type not known), with the module of
    /// the call.
    created: BTreeSet<(Option<String>, Option<String>)>,
    /// Module -> the modules whose classes or defined types its code declares.
    uses: BTreeMap<String, BTreeSet<String>>,
    /// Module -> every module reachable from it through `uses`, computed on first use.
    reach: RefCell<HashMap<String, Rc<BTreeSet<String>>>>,
    /// Resource type -> every resource of that type (live or not), in model order.
    by_type: HashMap<&'a str, Vec<ResId>>,
}

impl<'a> Outside<'a> {
    fn new(cx: &Context<'_>, m: &'a Model, external: &'a BTreeSet<String>) -> Self {
        // A module of the repository "uses" an outside module when its code declares a
        // class of a module listed as external, or of a module the tree does not have at
        // all (`unresolved-class` reports that one), or an instance of a defined type of
        // such a module: what they declare is not visible here.
        let repo_modules = repo_modules(m);
        let outside_module = |md: &str| external.contains(md) || !repo_modules.contains(md);
        let mut using_external: BTreeSet<String> = m
            .unresolved_classes
            .iter()
            .filter(|u| outside_module(&module_of(&u.title)))
            .filter_map(|u| module_of_file(m, &u.file))
            .collect();
        // An instance of a defined type of a listed module. (Of a module the tree does not
        // have and nothing lists, the type is more likely misspelt: `ova::service`.)
        using_external.extend(
            m.live_resources()
                .filter(|(_, r)| {
                    r.ty.contains("::")
                        && !m.defines.contains_key(r.ty.as_str())
                        && external.contains(&module_of(&r.ty))
                })
                .filter_map(|(_, r)| module_of_file(m, &r.file)),
        );
        let side = side_of(cx, m);
        let created = m
            .create_resources
            .iter()
            .map(|c| {
                let ty = c.ty.as_deref().filter(|t| !t.is_empty()).map(str::to_owned);
                (ty, module_of_file(m, &c.file))
            })
            .collect();
        let mut uses: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        // From the code: `include`/`contain`/`require` and `class { 'x': }` of a class,
        // declarations of a defined type (the model records a class's declaration once).
        for (path, man) in cx.manifests.side(side) {
            let Some(md) = module_of_file(m, path) else {
                continue;
            };
            for st in &man.parsed.program.statements {
                walk(st, &mut |e| {
                    for used in declared_names(e) {
                        let used = module_of(&used);
                        if used != md {
                            uses.entry(md.clone()).or_default().insert(used);
                        }
                    }
                });
            }
        }
        // From the model: what it evaluated (`create_resources`, hiera classes, …).
        for (_, r) in m.live_resources() {
            let used = match (r.ty.as_str(), &r.title) {
                ("class", Value::Str(t)) => module_of(t),
                (ty, _) if ty.contains("::") => module_of(ty),
                _ => continue,
            };
            if let Some(md) = module_of_file(m, &r.file) {
                if md != used {
                    uses.entry(md).or_default().insert(used);
                }
            }
        }
        let mut by_type: HashMap<&str, Vec<ResId>> = HashMap::new();
        for (id, r) in m.resources.iter().enumerate() {
            by_type.entry(r.ty.as_str()).or_default().push(id);
        }
        // Not a module whose directory the tree has; a stub `class neutron {}` in a task
        // manifest (fuel-library) does not make the module the repository's.
        let tree = match side {
            Side::Before => &cx.change.before.tree,
            Side::After => &cx.change.after.tree,
        };
        let named_external = external
            .iter()
            .filter(|x| {
                !m.modulepath
                    .iter()
                    .any(|mp| crate::model::layout::exists(tree, &format!("{mp}/{x}"), true))
                    && (m.root_module.as_deref() != Some(x.as_str()))
            })
            .cloned()
            .collect();
        Outside {
            external,
            named_external,
            using_external,
            created,
            uses,
            reach: RefCell::default(),
            by_type,
        }
    }

    /// Whether module `to` is reachable from module `from` through declarations.
    fn reaches(&self, from: &str, to: &str) -> bool {
        let cached = self.reach.borrow().get(from).cloned();
        let reach = match cached {
            Some(r) => r,
            None => {
                let mut seen = BTreeSet::new();
                let mut todo = vec![from];
                while let Some(md) = todo.pop() {
                    for next in self.uses.get(md).into_iter().flatten() {
                        if seen.insert(next.clone()) {
                            todo.push(next.as_str());
                        }
                    }
                }
                let r = Rc::new(seen);
                self.reach.borrow_mut().insert(from.to_owned(), r.clone());
                r
            }
        };
        reach.contains(to)
    }

    /// Whether code of modules `a` and `b` can be in one catalog because of each other:
    /// the same module, or one declares (through any chain of classes and defined types)
    /// a class or defined type of the other. Code outside modules (`manifests/site.pp`)
    /// is related to everything.
    fn related(&self, a: Option<&str>, b: Option<&str>) -> bool {
        match (a, b) {
            (Some(a), Some(b)) => a == b || self.reaches(a, b) || self.reaches(b, a),
            _ => true,
        }
    }

    /// A target named like a module outside the tree: `Service['neutron-server']` and
    /// module `neutron`.
    fn named_like_external(&self, ty: &str, title: &str) -> bool {
        if ty.contains("::") {
            return self.named_external.contains(&module_of(ty));
        }
        let t = title.to_ascii_lowercase();
        self.named_external
            .iter()
            .any(|x| t == *x || t.starts_with(&format!("{x}-")))
    }

    fn could_provide(&self, m: &Model, file: &str, ty: &str, title: &str) -> bool {
        if ty.contains("::") && self.external.contains(&module_of(ty)) {
            return true;
        }
        if !ty.contains("::") {
            if module_of_file(m, file).is_some_and(|md| self.using_external.contains(&md)) {
                return true;
            }
            let t = title.to_ascii_lowercase();
            if self
                .external
                .iter()
                .any(|x| t == *x || t.starts_with(&format!("{x}-")))
            {
                return true;
            }
        }
        // `create_resources` of this type, or of a type not known, in related code.
        let here = module_of_file(m, file);
        if self.created.iter().any(|(t, md)| {
            t.as_deref().map_or(true, |t| t == ty) && self.related(here.as_deref(), md.as_deref())
        }) {
            return true;
        }
        // `alias`, or a declaration whose title or name is not known statically. A
        // partly known one (`ceph-mon-${::hostname}`) by its pattern; a wholly unknown
        // one (`$service_name` from a fact or an unknown hiera key) only for references
        // that can share its catalog: in its own module, or in a module related to it by
        // declarations (see `related`). A `Service['quagga']` in module quagga is not
        // satisfied by zookeeper's `service { $_params['service_name']: }`.
        // `concat { '/etc/x': }` (puppetlabs-concat) declares `file { '/etc/x': }`.
        if ty == "file" {
            let path = normalize_path(title);
            let concat = self.by_type.get("concat").map(Vec::as_slice).unwrap_or(&[]);
            if concat.iter().map(|&id| m.get(id)).any(|r| {
                let named = [Some(&r.title), r.get("path")];
                named.into_iter().flatten().any(|v| {
                    v.alternatives()
                        .iter()
                        .any(|v| v.as_str().is_some_and(|p| normalize_path(p) == path))
                })
            }) {
                return true;
            }
        }
        let of_type = self.by_type.get(ty).map(Vec::as_slice).unwrap_or(&[]);
        of_type.iter().map(|&id| m.get(id)).any(|r| {
            let alias = r.get("alias").is_some_and(|a| {
                a.alternatives().iter().any(|v| v.as_str() == Some(title))
                    || matches!(a, Value::Array(xs) if xs.iter().any(|v| v.as_str() == Some(title)))
            });
            let anything = || self.related(here.as_deref(), module_of_file(m, &r.file).as_deref());
            alias
                || could_be(&r.title, title, &anything)
                || could_be(r.name_value(), title, &anything)
        })
    }
}

/// The classes and defined types expression `e` declares by name: `include a, b`
/// (`contain`, `require`), `class { 'a': }`, `a::b { … }`.
fn declared_names(e: &Expr) -> Vec<String> {
    fn names(e: &Expr, out: &mut Vec<String>) {
        match &e.kind {
            ExprKind::Str(s) | ExprKind::Name(s) => out.push(s.to_string()),
            ExprKind::Array(xs) => xs.iter().for_each(|x| names(x, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    match &e.kind {
        ExprKind::Call { func, args, .. } => {
            if matches!(&func.kind, ExprKind::Name(n)
                if matches!(n.trim_start_matches("::"), "include" | "contain" | "require"))
            {
                args.iter().for_each(|a| names(a, &mut out));
            }
        }
        ExprKind::Resource {
            type_expr, bodies, ..
        } => match &type_expr.kind {
            ExprKind::Name(t) if t == "class" => {
                bodies.iter().for_each(|b| names(&b.title, &mut out))
            }
            ExprKind::Name(t) if t.contains("::") => out.push(t.to_string()),
            _ => {}
        },
        _ => {}
    }
    out
}

/// Whether `v` could be `title`: a symbolic value by its pattern; a wholly unknown one
/// (no known text at all) only when `anything` says it may be anything here.
fn could_be(v: &Value, title: &str, anything: &dyn Fn() -> bool) -> bool {
    match v {
        Value::Symbolic(s) if !s.has_literal() => anything(),
        Value::Symbolic(s) => s.could_be(title),
        Value::OneOf(vs) => vs.iter().any(|x| could_be(x, title, anything)),
        Value::Array(vs) => vs.iter().any(|x| could_be(x, title, anything)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::rules::testing::*;
    use crate::rules::Selection;

    const PASS: &[&str] = &[
        // Declared, referenced from a metaparameter and from a chain.
        "class demo {\n  service { 'x': }\n  file { '/etc/x': notify => Service['x'] }\n  Package['p'] -> Service['x']\n  package { 'p': }\n}",
        // A reference satisfied only in one branch of an `if` whose other branch has none:
        // the reference sits in the same branch.
        "class demo($flag) {\n  if $flag {\n    service { 'x': }\n    file { '/etc/x': notify => Service['x'] }\n  } else {\n    file { '/etc/y': ensure => absent }\n  }\n}",
        // Declared in both branches.
        "class demo($flag) {\n  if $flag { service { 'x': enable => true } } else { service { 'x': enable => false } }\n  file { '/etc/x': notify => Service['x'] }\n}",
        // A define instance, and a resource a define declares.
        "define demo::unit($bin) { file { \"/etc/systemd/system/${title}.service\": content => $bin } }\nclass demo {\n  demo::unit { 'x': bin => '/usr/bin/x' }\n  service { 'x': require => [Demo::Unit['x'], File['/etc/systemd/system/x.service']] }\n}",
        // The resource's name (namevar) and alias.
        "class demo {\n  service { 'web': name => 'nginx' }\n  package { 'p': alias => 'pkg' }\n  file { '/x': notify => Service['nginx'], require => Package['pkg'] }\n}",
        // A declaration whose title is not known statically could be the target.
        "class demo($svc) {\n  service { $svc: }\n  file { '/x': notify => Service['nginx'] }\n}",
        // Collectors match what exists; a chain through them references nothing.
        "class demo($flag) {\n  if $flag { package { 'p': tag => 'x' } }\n  Package<| tag == 'x' |> -> Service['s']\n  service { 's': }\n}",
        // The other branch of `defined()` is where the resource already exists.
        "define demo::key($path) {\n  if !defined(File[$path]) { file { $path: ensure => file } }\n  exec { \"k-${title}\": command => '/bin/true', require => File[$path] }\n}\nclass demo { demo::key { 'a': path => '/etc/k' } }",
        // Correlated conditions on the same fact in two places.
        "class demo {\n  if $::osfamily == 'RedHat' { file { '/etc/sysconfig/x': ensure => file } }\n}\nclass demo::entry {\n  if $facts['os']['family'] != 'Debian' { exec { 'x': command => '/bin/true', require => File['/etc/sysconfig/x'] } }\n}",
        // The reference itself is chosen by a selector.
        "class demo($manage) {\n  if $manage { package { 'p': } }\n  $req = $manage ? { true => Package['p'], default => undef }\n  file { '/x': require => $req }\n}",
        // create_resources may declare it.
        "class demo($h) {\n  create_resources('service', $h)\n  file { '/x': notify => Service['nginx'] }\n}",
        // A class declared only under the condition that also declares the target
        // (rabbitmq's rabbitmqadmin): its body has no guard of its own.
        "class demo($admin) {\n  if $admin {\n    include demo::admin\n    demo_plugin { 'm': }\n  }\n}\nclass demo::admin {\n  archive { 'a': require => Demo_plugin['m'] }\n}",
        // The same through a correlated condition, the parameter spelled two ways
        // (zookeeper: `$service_provider` and `$::demo::service_provider`).
        "class demo($provider) {\n  include demo::config\n  if $provider != 'exhibitor' { include demo::service }\n}\nclass demo::config {\n  if $::demo::provider != 'exhibitor' { file { '/etc/zoo.cfg': content => 'x' } }\n}\nclass demo::service {\n  service { 'zk': require => File['/etc/zoo.cfg'] }\n}",
        // `ensure_packages` right before the reference, in a defined type whose first
        // instance sits in a `case` (apt::source): declared wherever the body runs.
        "define demo::source($https) {\n  if $https {\n    ensure_packages('apt-transport-https')\n    Package['apt-transport-https'] -> Exec['update']\n  }\n}\nclass demo {\n  exec { 'update': command => '/bin/true' }\n  case $::osfamily {\n    'Debian': { demo::source { 'a': https => $::x } }\n    default: {}\n  }\n  demo::source { 'b': https => $::y }\n}",
        // Both ends test the same condition: declared whenever the reference is.
        "class demo($manage) {\n  if $manage { service { 'x': } }\n  if $manage { file { '/etc/x': notify => Service['x'] } }\n}\n",
        "class demo($manage) {\n  unless $manage { service { 'x': } }\n  if !$manage { file { '/etc/x': notify => Service['x'] } }\n}\n",
        "class demo($x) {\n  if $x == 'a' { service { 'x': } }\n  if $x == 'a' { file { '/etc/x': notify => Service['x'] } }\n}\n",
        "class demo($x) {\n  case $x { 'a': { service { 'x': } } default: {} }\n  case $x { 'a': { file { '/etc/x': notify => Service['x'] } } default: {} }\n}\n",
        "class demo($manage) {\n  if $manage { service { 'x': } }\n  include demo::config\n}\nclass demo::config {\n  if $demo::manage { file { '/etc/x': notify => Service['x'] } }\n}\n",
        // The target's condition tests a variable set per operating system; the reference
        // sits under another test of the operating system (fuel-library 7a809040).
        "class demo::params {\n  case $::osfamily {\n    'Debian': { $agent = 'q-agent' }\n    'RedHat': { $agent = false }\n  }\n}\nclass demo {\n  include demo::params\n  if $::operatingsystem == 'Ubuntu' {\n    file { '/etc/init/q.override': content => 'manual', before => Package['q-agent'] }\n  }\n  if $::demo::params::agent {\n    package { 'q-agent': name => $::demo::params::agent }\n  }\n}\n",
        // ... through a local copy of the parameter.
        "class demo($manage) {\n  $m = $manage\n  if $m { service { 'x': } }\n  if $manage { file { '/etc/x': notify => Service['x'] } }\n}\n",
        // A title list chosen by the same condition (`['x']` or `[]`).
        "class demo($manage) {\n  if $manage { service { 'x': } }\n  if $manage { $n = ['x'] } else { $n = [] }\n  file { '/etc/x': notify => Service[$n] }\n}\n",
    ];

    const FAIL: &[(&str, &[u32])] = &[
        // A variable of the same name set per operating system in another class says
        // nothing about this class's parameter.
        (
            "class other {\n  case $::osfamily { 'Debian': { $manage = true } default: { $manage = false } }\n}\nclass demo($manage) {\n  include other\n  if $manage { service { 'x': } }\n  if $::operatingsystem == 'Ubuntu' { file { '/etc/x': notify => Service['x'] } }\n}\n",
            &[7],
        ),
        // Two different conditions.
        (
            "class demo($a, $b) {\n  if $a { service { 'x': } }\n  if $b { file { '/etc/x': notify => Service['x'] } }\n}\n",
            &[3],
        ),
        ("class demo {\n  file { '/etc/x':\n    notify => Service['x'],\n  }\n}\n", &[3]),
        ("class demo {\n  package { 'p': }\n  Package['p'] -> Service['x']\n}\n", &[3]),
        // Satisfied only when `$flag` is true; the reference is unconditional.
        (
            "class demo($flag) {\n  if $flag {\n    service { 'x': }\n  }\n  file { '/etc/x': notify => Service['x'] }\n}\n",
            &[5],
        ),
        // Declared only in the branch that excludes the reference.
        (
            "class demo($flag) {\n  if $flag {\n    service { 'x': }\n  } else {\n    file { '/etc/x': notify => Service['x'] }\n  }\n}\n",
            &[5],
        ),
        // The class holding the reference is declared under another condition than the
        // target.
        (
            "class demo($admin, $flag) {\n  if $admin { include demo::admin }\n  if $flag { demo_plugin { 'm': } }\n}\nclass demo::admin {\n  archive { 'a': require => Demo_plugin['m'] }\n}\n",
            &[6],
        ),
        // `ensure_packages` in another branch of the defined type than the reference.
        (
            "define demo::source($https) {\n  if $https { ensure_packages('apt-transport-https') }\n  Package['apt-transport-https'] -> Exec['update']\n}\nclass demo {\n  exec { 'update': command => '/bin/true' }\n  demo::source { 'b': https => $::y }\n}\n",
            &[3],
        ),
    ];

    snippet_tests!(after_only);

    #[test]
    fn says_which_branch_breaks() {
        let src = "class demo($manage) {\n  if $manage {\n    service { 'x': }\n  }\n  file { '/etc/x': notify => Service['x'] }\n}\n";
        let found = check_rule(NAME, &after_only(src));
        assert_eq!(found.len(), 1);
        assert!(
            found[0].message.contains("when `$manage` is false"),
            "{}",
            found[0].message
        );
        assert_eq!(
            found[0]
                .resource
                .as_ref()
                .map(ToString::to_string)
                .as_deref(),
            Some("File['/etc/x']")
        );
        assert_eq!(found[0].related.len(), 1);
    }

    #[test]
    fn a_deleted_service_is_reported_where_it_is_still_notified() {
        let svc = "class demo {\n  service { 'x': ensure => running }\n}\n";
        let user = "class other {\n  file { '/etc/x.conf':\n    content => 'x',\n    notify  => Service['x'],\n  }\n}\n";
        let mut case = Case::default();
        case.before(SNIPPET_PATH, svc);
        case.before("modules/other/manifests/init.pp", user);
        case.after(SNIPPET_PATH, "class demo {\n}\n");
        case.after("modules/other/manifests/init.pp", user);
        let found = check_rule(NAME, &case);
        assert_eq!(found.len(), 1, "{found:#?}");
        assert_eq!(found[0].location.file, "modules/other/manifests/init.pp");
        assert!(found[0]
            .message
            .contains("notifies Service['x'], whose only declaration this change removed"));
        assert_eq!(found[0].related[0].location.side, Side::Before);
        // Dangling on both sides: not this change's doing.
        let mut case = Case::default();
        case.before("modules/other/manifests/init.pp", user);
        case.after(
            "modules/other/manifests/init.pp",
            &format!("{user}# edited\n"),
        );
        assert!(check_rule(NAME, &case).is_empty());
    }

    /// Already dangling at the base: a new instance of the define whose body holds the
    /// reference is the same place (not reported); a new resource referring to the same
    /// target is a new problem (reported).
    #[test]
    fn old_dangling_targets_new_instances_and_new_referrers() {
        let define = "define demo::unit {\n  file { \"/etc/${title}\":\n    notify => Service['gone'],\n  }\n}\n";
        let site = |body: &str| format!("class site {{\n{body}}}\n");
        let mut case = Case::default();
        case.before("modules/demo/manifests/unit.pp", define);
        case.after("modules/demo/manifests/unit.pp", define);
        case.before(SNIPPET_PATH, &site("  demo::unit { 'a': }\n"));
        case.after(
            SNIPPET_PATH,
            &site("  demo::unit { 'a': }\n  demo::unit { 'b': }\n"),
        );
        assert!(
            check_rule(NAME, &case).is_empty(),
            "{:#?}",
            check_rule(NAME, &case)
        );
        let mut case = Case::default();
        case.before("modules/demo/manifests/unit.pp", define);
        case.after("modules/demo/manifests/unit.pp", define);
        case.before(SNIPPET_PATH, &site("  demo::unit { 'a': }\n"));
        case.after(
            SNIPPET_PATH,
            &site("  demo::unit { 'a': }\n  exec { 'reload': command => '/bin/true', notify => Service['gone'] }\n"),
        );
        let found = check_rule(NAME, &case);
        assert_eq!(found.len(), 1, "{found:#?}");
        assert_eq!(found[0].location.file, SNIPPET_PATH);
    }

    /// Two modules: `zk` declares `zk_src`, `demo` declares `demo_src`.
    fn two_modules(zk_src: &str, demo_src: &str) -> Case {
        Case::default()
            .with_after("modules/zk/manifests/init.pp", zk_src)
            .with_after(SNIPPET_PATH, demo_src)
    }

    const ZK_UNKNOWN: &str = "class zk($params) {\n  service { $params['service_name']: }\n}\n";
    const DEMO_NOTIFIES: &str =
        "class demo {\n  file { '/etc/x':\n    notify => Service['quagga'],\n  }\n}\n";

    #[test]
    fn a_wholly_unknown_title_satisfies_only_related_code() {
        // Module zk's `service { $unknown: }` is not module demo's Service['quagga']: the
        // two modules have nothing to do with each other.
        let found = check_rule(NAME, &two_modules(ZK_UNKNOWN, DEMO_NOTIFIES));
        let got: Vec<u32> = found
            .iter()
            .map(|f| Case::line_of(DEMO_NOTIFIES, f))
            .collect();
        assert_eq!(got, [3], "{found:#?}");
        // Nor `create_resources` of a type not known, elsewhere.
        let zk = "class zk($type, $h) {\n  create_resources($type, $h)\n}\n";
        assert_eq!(check_rule(NAME, &two_modules(zk, DEMO_NOTIFIES)).len(), 1);
        // A partly known title is matched by its pattern, wherever it is.
        let zk = "class zk {\n  service { \"zk-${::hostname}\": }\n}\n";
        assert_eq!(check_rule(NAME, &two_modules(zk, DEMO_NOTIFIES)).len(), 1);
        let zk = "class zk {\n  service { \"qua${::x}\": }\n}\n";
        assert!(check_rule(NAME, &two_modules(zk, DEMO_NOTIFIES)).is_empty());

        // Related code: module demo declares class zk (directly, or through another
        // module), so the configurable name may be the one demo refers to.
        for demo in [
            "class demo {\n  include zk\n  file { '/etc/x': notify => Service['quagga'] }\n}\n",
            "class demo($h) {\n  class { 'zk': params => $h }\n  file { '/etc/x': notify => Service['quagga'] }\n}\n",
        ] {
            let found = check_rule(NAME, &two_modules(ZK_UNKNOWN, demo));
            assert!(found.is_empty(), "{demo}: {found:#?}");
        }
        let mut c = two_modules(
            ZK_UNKNOWN,
            "class demo {\n  include mid\n  file { '/etc/x': notify => Service['quagga'] }\n}\n",
        );
        c.after(
            "modules/mid/manifests/init.pp",
            "class mid { include zk }\n",
        );
        assert!(check_rule(NAME, &c).is_empty());
        // The other direction: zk's code declares a class of demo, whose code refers to
        // the service zk names.
        let zk = "class zk($params) {\n  include demo\n  service { $params['service_name']: }\n}\n";
        let found = check_rule(NAME, &two_modules(zk, DEMO_NOTIFIES));
        assert!(
            found.is_empty(),
            "{:?}",
            found.iter().map(|f| &f.message).collect::<Vec<_>>()
        );
        // A defined type of zk declaring `service { $title: }`, instantiated by demo under
        // a title not known statically.
        let zk = "define zk::instance {\n  service { $title: }\n}\n";
        let demo = "class demo($names) {\n  zk::instance { $names: }\n  file { '/etc/x': notify => Service['quagga'] }\n}\n";
        assert!(check_rule(NAME, &two_modules(zk, demo)).is_empty());
        // `create_resources` of an unknown type in the same module, and of a type named
        // without quotes.
        for demo in [
            "class demo($type, $h) {\n  create_resources($type, $h)\n  file { '/etc/x': notify => Service['quagga'] }\n}\n",
            "class demo($h) {\n  create_resources(service, $h)\n  file { '/etc/x': notify => Service['quagga'] }\n}\n",
        ] {
            let found = check_rule(NAME, &after_only(demo));
            assert!(found.is_empty(), "{demo}: {found:#?}");
        }
        // A bare type name is a type: `create_resources(demo::peer, $h)` declares no
        // service.
        let demo = "define demo::peer {}\nclass demo($h) {\n  create_resources(demo::peer, $h)\n  file { '/etc/x': notify => Service['quagga'] }\n}\n";
        assert_eq!(check_rule(NAME, &after_only(demo)).len(), 1);
    }

    #[test]
    fn external_modules_can_provide_targets() {
        let src = "class demo {\n  include nginx\n  file { '/etc/x': notify => Service['nginx'], require => Apt::Source['x'] }\n}\n";
        // Neither `nginx` nor `apt` is in the repository at all: they come from outside,
        // and what their classes declare is not visible.
        assert!(check_rule(NAME, &after_only(src)).is_empty());
        // Without the class that could declare it, the service is reported.
        let src = &src.replace("  include nginx\n", "");
        assert_eq!(check_rule(NAME, &after_only(src)).len(), 1);
        let mut case = after_only(src);
        case.after("Puppetfile", "mod 'puppet/nginx'\n");
        assert!(check_rule(NAME, &case).is_empty());
        // A missing type of a module the repository holds is reported.
        let src = "class demo {\n  file { '/etc/x': require => Demo::Unit['x'] }\n}\n";
        let found = check_rule(NAME, &after_only(src));
        assert_eq!(found.len(), 1, "{found:#?}");
        assert!(
            found[0].message.contains("requires Demo::Unit['x']"),
            "{}",
            found[0].message
        );
        let mut config = Config::default();
        config.external_modules.push("demo".into());
        let case = after_only(src);
        let found: Vec<_> = run_case(&case, &config, &Selection::default())
            .into_iter()
            .filter(|f| f.rule == NAME)
            .collect();
        assert!(found.is_empty(), "{found:#?}");
    }

    #[test]
    fn a_stub_class_does_not_make_an_external_module_the_repositorys() {
        // fuel-library b4f804ea: task manifests stub `class neutron {}`, the Puppetfile
        // lists neutron, whose classes may declare Service['neutron-server'].
        let src = "class demo($server) {\n  if $server { service { 'neutron-server': ensure => running } }\n  notify { 'x': } ~> Service['neutron-server']\n}\n";
        let mut case = after_only(src);
        case.after("modules/demo/manifests/stub.pp", "class neutron {}\n");
        assert_eq!(check_rule(NAME, &case).len(), 1);
        case.after("Puppetfile", "mod 'openstack/neutron'\n");
        assert!(check_rule(NAME, &case).is_empty());
        // A module the tree really has is the repository's: judged.
        case.after("modules/neutron/manifests/init.pp", "class neutron {}\n");
        assert_eq!(check_rule(NAME, &case).len(), 1);
    }

    #[test]
    fn a_declaration_moved_into_a_class_nothing_declares() {
        let mut case = Case::default();
        let before = "class demo {\n  file { '/etc/x.conf': content => 'x', notify => Service['x'] }\n  service { 'x': ensure => running }\n}\n";
        let after =
            "class demo {\n  file { '/etc/x.conf': content => 'x', notify => Service['x'] }\n}\n";
        let service = "class demo::service {\n  service { 'x': ensure => running }\n}\n";
        let site = "node default { include demo }\n";
        case.before(SNIPPET_PATH, before)
            .before("manifests/site.pp", site)
            .after(SNIPPET_PATH, after)
            .after("manifests/site.pp", site)
            .after("modules/demo/manifests/service.pp", service);
        let found = check_rule(NAME, &case);
        assert_eq!(found.len(), 1, "{found:#?}");
        assert!(
            found[0]
                .message
                .contains("moved from class `demo` (at modules/demo/manifests/init.pp:3) into class `demo::service`"),
            "{}",
            found[0].message
        );
        // Included by the class it came from: fine.
        case.after(
            SNIPPET_PATH,
            &after.replace("class demo {\n", "class demo {\n  include demo::service\n"),
        );
        assert!(check_rule(NAME, &case).is_empty());
        // Classified by a hiera `classes` list: declared.
        let mut listed = case.clone();
        listed
            .after(SNIPPET_PATH, after)
            .after(
                "hiera.yaml",
                "---\nversion: 5\nhierarchy:\n  - name: common\n    path: common.yaml\n",
            )
            .after("data/common.yaml", "classes:\n  - demo::service\n");
        assert!(
            check_rule(NAME, &listed).is_empty(),
            "{:#?}",
            check_rule(NAME, &listed)
        );
        // Not a move: the base revision declared it in both classes (ocf 5164fd3c removed a
        // temporary `ensure => absent` copy); the class that keeps it refers to its own.
        let mut copy = Case::default();
        let service_ref = "class demo::service {\n  package { 'x': }\n  service { 'x': require => Package['x'] }\n}\n";
        copy.before(
            SNIPPET_PATH,
            "class demo {\n  package { 'x': ensure => absent }\n}\n",
        )
        .before("manifests/site.pp", site)
        .before("modules/demo/manifests/service.pp", service_ref)
        .after(SNIPPET_PATH, "class demo {\n}\n")
        .after("manifests/site.pp", site)
        .after("modules/demo/manifests/service.pp", service_ref);
        assert!(
            check_rule(NAME, &copy).is_empty(),
            "{:#?}",
            check_rule(NAME, &copy)
        );
        // A class the repository never declared itself (an ENC classifies it): not judged.
        let mut enc = case.clone();
        enc.before.remove("manifests/site.pp");
        enc.after.remove("manifests/site.pp");
        enc.after(SNIPPET_PATH, after);
        assert!(check_rule(NAME, &enc).is_empty());
    }

    #[test]
    fn the_message_says_the_change_removed_the_declaration() {
        let before = "class demo {\n  service { 'x': ensure => running }\n}\nclass other {\n  file { '/etc/x.conf': content => 'x', notify => Service['x'] }\n}\n";
        let after = "class demo {\n}\nclass other {\n  file { '/etc/x.conf': content => 'x', notify => Service['x'] }\n}\n";
        let found = check_rule(NAME, &edit(before, after));
        assert_eq!(found.len(), 1, "{found:#?}");
        assert!(
            found[0]
                .message
                .contains("whose only declaration this change removed (it was at modules/demo/manifests/init.pp:2)"),
            "{}",
            found[0].message
        );
        // Still there, in a manifest the change broke: syntax-error's (not reported here).
        let svc = "class demo {\n  service { 'x': ensure => running }\n}\n";
        let user =
            "class other {\n  file { '/etc/x.conf': content => 'x', notify => Service['x'] }\n}\n";
        let mut case = Case::default();
        case.before(SNIPPET_PATH, svc)
            .before("modules/other/manifests/init.pp", user)
            .after(SNIPPET_PATH, &svc.replace("running", "running,,"))
            .after("modules/other/manifests/init.pp", user);
        let found = check_rule(NAME, &case);
        assert!(found.is_empty(), "{found:#?}");
    }

    /// Found on real history (fuel-library): what the repository cannot show.
    #[test]
    fn what_code_outside_the_repository_or_a_defined_check_may_declare() {
        for src in [
            // A class of a module the tree does not have (old `unresolved-class`).
            "class demo {\n  class { 'keepalived': }\n  exec { 'vip': command => '/bin/true', before => Service['keepalived'] }\n}\n",

            // `concat { $path: }` declares `file { $path: }`.
            "class demo {\n  concat { '/etc/ssh/sshd_config': ensure => present }\n  service { 'ssh': ensure => running }\n  File['/etc/ssh/sshd_config'] ~> Service['ssh']\n}\n",
            "class demo {\n  concat { 'sshd': path => '/etc/ssh/sshd_config' }\n  service { 'ssh': subscribe => File['/etc/ssh/sshd_config'] }\n}\n",
            // Only there when the target is declared.
            "class q($patch = false) {\n  if $patch { exec { 'patch-q': command => '/bin/true' } }\n}\nclass q::agent {\n  if defined(Exec['patch-q']) { Exec['patch-q'] -> Package['q-agent'] }\n  package { 'q-agent': }\n}\nclass demo { class { 'q': patch => false } include q::agent }\n",
        ] {
            let found = check_rule(NAME, &after_only(src));
            assert!(found.is_empty(), "{src}\n{found:#?}");
        }
        // Declared in some branches by the repository, and by an outside class the
        // referencing code declares.
        let mut case = after_only("class demo::ml2 {\n  if $node_name in ['a', 'b'] { service { 'neutron-server': } }\n}\nclass demo::server {\n  class { '::neutron::server': sync_db => true }\n  notify { 'changed': } ~> Service['neutron-server']\n}\n");
        case.after("Puppetfile", "mod 'openstack/neutron'\n");
        let found = check_rule(NAME, &case);
        assert!(found.is_empty(), "{found:#?}");
        // An instance of a defined type of a listed module.
        let mut case = after_only("class demo {\n  keepalived::instance { 'a': }\n  exec { 'vip': command => '/bin/true', before => Service['vrrp'] }\n}\n");
        case.after("Puppetfile", "mod 'arioch/keepalived'\n");
        assert!(check_rule(NAME, &case).is_empty());
        // Of a module nothing has or lists: more likely a misspelt type (fuel-library's
        // `ova::generic_service`), and the service it was to declare is missing.
        let src = "class demo {\n  ova::generic_service { 'nova-volume': }\n  exec { 'volumes': command => '/bin/true', before => Service['nova-volume'] }\n}\n";
        assert_eq!(check_rule(NAME, &after_only(src)).len(), 1);
        // A module the repository has: a missing service there is still reported.
        let src = "class keepalived { }\nclass demo {\n  class { 'keepalived': }\n  exec { 'vip': command => '/bin/true', before => Service['keepalived'] }\n}\n";
        assert_eq!(check_rule(NAME, &after_only(src)).len(), 1);
        // A file no concat declares.
        let src = "class demo {\n  concat { '/etc/a': }\n  service { 'ssh': subscribe => File['/etc/b'] }\n}\n";
        assert_eq!(check_rule(NAME, &after_only(src)).len(), 1);
    }

    #[test]
    fn a_literal_reference_to_one_of_the_titles_a_resource_may_take() {
        let pick = "  case $::osfamily {\n    'RedHat': { $pkg = 'openstack-nova-compute' }\n    default:  { $pkg = 'nova-compute' }\n  }\n  package { $pkg: ensure => present }\n";
        // Unguarded, by literal: breaks where the other title is chosen; a warning.
        let src = format!("class demo {{\n{pick}  package {{ 'qemu-kvm': before => Package['nova-compute'] }}\n}}\n");
        let found = check_rule(NAME, &after_only(&src));
        assert_eq!(found.len(), 1, "{found:#?}");
        assert_eq!(found[0].severity, Severity::Warning);
        assert!(
            found[0].message.contains("chosen among several"),
            "{}",
            found[0].message
        );
        for src in [
            // Through the same variable.
            format!("class demo {{\n{pick}  package {{ 'qemu-kvm': before => Package[$pkg] }}\n}}\n"),
            // Under a condition (the fact that chooses it).
            format!("class demo {{\n{pick}  if $::osfamily == 'Debian' {{ package {{ 'qemu-kvm': before => Package['nova-compute'] }} }}\n}}\n"),
            // A package every alternative list holds.
            "class demo {\n  case $::osfamily {\n    'RedHat': { $pkgs = ['jdk', 'ccache'] }\n    default:  { $pkgs = ['default-jdk', 'ccache'] }\n  }\n  package { $pkgs: }\n  file { '/usr/bin/cc': require => Package['ccache'] }\n}\n".to_owned(),
            // A list chosen by a fact, referred to by the list.
            "class demo {\n  case $::osfamily {\n    'RedHat': { $pkgs = ['novnc', 'openstack-novncproxy'] }\n    default:  { $pkgs = ['novnc', 'novncproxy'] }\n  }\n  package { $pkgs: }\n  service { 'novncproxy': require => Package[$pkgs] }\n}\n".to_owned(),
        ] {
            let found = check_rule(NAME, &after_only(&src));
            assert!(found.is_empty(), "{src}\n{found:#?}");
        }
    }

    #[test]
    fn what_a_syntax_error_hides_is_not_declared_nowhere() {
        // fuel-library 810d38ef: a stray `}` dropped the rest of the class.
        let lib = "class nova {\n  package { 'nova-common': }\n}\n";
        let user = "class nova::cert {\n  include nova\n  service { 'nova-cert': require => Package['nova-common'] }\n}\n";
        let mut case = Case::default();
        case.before("modules/nova/manifests/init.pp", lib)
            .before("modules/nova/manifests/cert.pp", user)
            .after(
                "modules/nova/manifests/init.pp",
                &lib.replace("class nova {", "class nova {\n  }"),
            )
            .after("modules/nova/manifests/cert.pp", user);
        let found = check_rule(NAME, &case);
        assert!(found.is_empty(), "{found:#?}");
        // Removed from a manifest that parses: reported.
        let mut case = Case::default();
        case.before("modules/nova/manifests/init.pp", lib)
            .before("modules/nova/manifests/cert.pp", user)
            .after("modules/nova/manifests/init.pp", "class nova { }\n")
            .after("modules/nova/manifests/cert.pp", user);
        assert_eq!(check_rule(NAME, &case).len(), 1);
    }
}
