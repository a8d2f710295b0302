//! ## What it does
//!
//! Flags two declarations of the same resource, the same type and normalised title or
//! path, that can end up in one catalog: not in exclusive branches of the same condition.
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

use std::collections::BTreeSet;

use crate::diagnostic::{Finding, Side};
use crate::model::{Origin, ResId, Resource, Value};

use super::common::{at_title, related, touched};
use super::{finding, lookup, Context};

pub const NAME: &str = "duplicate-declaration";

/// Whether an `ensure_resource` declaration silently reuses the other one: every
/// parameter it gives is present there with the same (known) value.
fn reusable(ensured: &Resource, other: &Resource) -> bool {
    ensured.attrs.iter().all(|a| {
        other
            .get(&a.name)
            .is_some_and(|v| v.known_eq(&a.value) == Some(true))
    })
}

fn key_text(r: &Resource) -> Option<String> {
    match r.name_value() {
        Value::Str(s) => Some(s.clone()),
        _ => r.title_str().map(str::to_owned),
    }
}

pub fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    let Some(rule) = lookup(NAME) else {
        return;
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
        for o in cands {
            let other = cx.after.get(o);
            if o == id || !other.is_live() || cx.after.exclusive(id, o) {
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
            f.resource = Some(res);
            out.push(f);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::{after_only, check_rule, Case, SNIPPET_PATH};

    const PASS: &[&str] = &[
        "class demo {\n  file { '/usr/bin/a': ensure => file, content => 'a' }\n  file { '/usr/bin/b': ensure => file, content => 'b' }\n}",
        // Exclusive branches of one condition.
        "class demo($p) {\n  if $p { package { 'k': ensure => present } file { '/usr/bin/k': ensure => file, content => 'x' } }\n  else { file { '/usr/bin/k': ensure => link, target => '/usr/local/bin/k' } }\n}",
        "class demo($os) {\n  case $os {\n    'debian': { file { '/etc/x': content => 'd' } }\n    default: { file { '/etc/x': content => 'o' } }\n  }\n}",
        // ensure_resource with a subset of the same parameters reuses the declaration.
        "class demo {\n  ensure_resource('file', '/etc/x', { 'ensure' => 'file' })\n  file { '/etc/x': ensure => file, content => 'x' }\n}",
        // Classes are included many times.
        "class other {}\nclass demo {\n  include other\n  include other\n}",
    ];

    const FAIL: &[(&str, &[u32])] = &[
        (
            "class demo::a {\n  file { '/usr/bin/kube-apiserver': ensure => link, target => '/usr/local/bin/kube-apiserver' }\n}\nclass demo::b {\n  package { 'kubernetes-master': ensure => present }\n  file { '/usr/bin/kube-apiserver/': ensure => file }\n}\n",
            &[2],
        ),
        // ensure_resource with different parameters.
        (
            "class demo {\n  ensure_resource('package', 'curl', { 'ensure' => 'latest' })\n  package { 'curl': ensure => '7.88' }\n}\n",
            &[2],
        ),
    ];

    #[test]
    fn pass() {
        for src in PASS {
            let found = check_rule(NAME, &after_only(src));
            assert!(
                found.is_empty(),
                "unexpected findings for {src:?}: {found:#?}"
            );
        }
    }

    #[test]
    fn fail() {
        for &(src, lines) in FAIL {
            let found = check_rule(NAME, &after_only(src));
            let got: Vec<u32> = found.iter().map(|f| Case::line_of(src, f)).collect();
            assert_eq!(got, lines, "{src:?}: {found:#?}");
            assert!(found.iter().all(|f| f.related.len() == 1));
        }
    }

    #[test]
    fn a_duplicate_the_change_does_not_touch_is_not_reported() {
        let src = "class a { file { '/etc/x': content => 'a' } }\nclass b { file { '/etc/x': content => 'b' } }\n";
        let mut case = Case::default();
        case.before(SNIPPET_PATH, src);
        case.after(
            SNIPPET_PATH,
            &format!("{src}class c {{ file {{ '/etc/y': content => 'c' }} }}\n"),
        );
        assert!(check_rule(NAME, &case).is_empty());
    }
}
