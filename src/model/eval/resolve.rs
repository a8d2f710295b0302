//! Resolution, once every resource is declared: collectors realise virtual and exported
//! resources and apply their override blocks, `realize` and resource overrides find their
//! targets, relationships become [`Edge`]s (collectors and references expanded), and the
//! model's lookup tables are built. References that find nothing are
//! [`Model::unresolved_refs`].

use std::collections::HashMap;

use super::super::value::Value;
use super::super::{
    normalize_key, normalize_key_cow, Attr, AttrOrigin, Edge, Model, ResId, Resource, Scope,
    UnresolvedRef,
};
use super::catalog::{resource_keys, symbolic_key};
use super::{Endpoint, Pending, PendingRel, Query};
use crate::ast::{ResourceForm, SmolStr};
use crate::model::graph::Adjacency;

/// Resolve what evaluation left pending into `m` (see the module comment), then fill the
/// model's containment and edge tables and its counts.
pub(in crate::model) fn resolve(m: &mut Model, p: Pending) {
    // Collectors: realise virtual resources and apply override blocks.
    let collectors = p.collectors;
    let mut coll_matches: Vec<Vec<ResId>> = Vec::with_capacity(collectors.len());
    let mut by_type: HashMap<&str, Vec<ResId>> = HashMap::new();
    if !collectors.is_empty() {
        for (id, r) in m.resources.iter().enumerate() {
            by_type.entry(r.ty.as_str()).or_default().push(id);
        }
    }
    let mut matched: Vec<Vec<ResId>> = Vec::with_capacity(collectors.len());
    // (type, lowercase tag) -> resources, for the common `Type <| tag == 'x' |>`.
    let mut by_tag: HashMap<(&str, String), Vec<ResId>> = HashMap::new();
    // Only the types a collector by tag asks for (a repository collects a few types).
    let tag_types: Vec<&str> = collectors
        .iter()
        .filter(|c| tag_of_query(&c.query).is_some())
        .map(|c| c.ty.as_str())
        .collect();
    if !tag_types.is_empty() {
        for (id, r) in m.resources.iter().enumerate() {
            if !tag_types.contains(&r.ty.as_str()) {
                continue;
            }
            let mut tags: Vec<String> = vec![r.ty.to_ascii_lowercase()];
            if let Scope::Class(c) | Scope::Define { ty: c, .. } = &*r.scope {
                tags.push(c.to_ascii_lowercase());
                tags.extend(c.split("::").map(str::to_ascii_lowercase));
            }
            if let Some(t) = r.get("tag") {
                let mut leaves = Vec::new();
                t.flatten_into(&mut leaves);
                tags.extend(
                    leaves
                        .iter()
                        .filter_map(|l| l.as_str())
                        .map(str::to_ascii_lowercase),
                );
            }
            tags.sort();
            tags.dedup();
            for t in tags {
                by_tag.entry((r.ty.as_str(), t)).or_default().push(id);
            }
        }
    }
    for c in &collectors {
        let cands = match tag_of_query(&c.query) {
            Some(t) => by_tag
                .get(&(c.ty.as_str(), t.to_ascii_lowercase()))
                .map(Vec::as_slice)
                .unwrap_or(&[]),
            None => by_type.get(c.ty.as_str()).map(Vec::as_slice).unwrap_or(&[]),
        };
        matched.push(
            cands
                .iter()
                .copied()
                .filter(|&id| {
                    let r = &m.resources[id];
                    (c.exported || r.form != ResourceForm::Exported) && query_matches(&c.query, r)
                })
                .collect(),
        );
    }
    drop(by_type);
    drop(by_tag);
    for (c, matches) in collectors.iter().zip(matched) {
        for &id in &matches {
            let r = &mut m.resources[id];
            if r.form == ResourceForm::Virtual || (c.exported && r.form == ResourceForm::Exported) {
                r.realized = true;
            }
            apply_overrides(r, &c.overrides);
        }
        coll_matches.push(matches);
    }
    for (ty, title, file, span) in p.realize {
        let ids = lookup(m, &ty, &title);
        if ids.is_empty() {
            m.unresolved_refs.push(UnresolvedRef {
                ty,
                title,
                file,
                span,
                guard: Vec::new(),
            });
        }
        for id in ids {
            m.resources[id].realized = true;
        }
    }
    let overrides = p.overrides;
    for o in &overrides {
        for (ty, title) in &o.refs {
            let ids = lookup(m, ty, title);
            if ids.is_empty() {
                m.unresolved_refs.push(UnresolvedRef {
                    ty: ty.clone(),
                    title: title.clone(),
                    file: o.file.clone(),
                    span: o.span,
                    guard: Vec::new(),
                });
            }
            for id in ids {
                apply_overrides(&mut m.resources[id], &o.attrs);
            }
        }
    }
    // Overrides may have changed namevars (`path`, `name`, `command`): rebuild the
    // key index then (only then: it is a large map).
    let namevar_overridden = collectors
        .iter()
        .flat_map(|c| c.overrides.iter())
        .chain(overrides.iter().flat_map(|o| o.attrs.iter()))
        .any(|(a, _)| matches!(a.name.as_str(), "path" | "name" | "command"));
    if namevar_overridden {
        m.by_key.clear();
        for (id, r) in m.resources.iter().enumerate() {
            for k in resource_keys(r) {
                m.by_key.push(&r.ty, k, id);
            }
        }
    }
    // Relationships.
    for rel in p.rels {
        let from = resolve_endpoints(m, &rel.from, &coll_matches, &rel);
        let to = resolve_endpoints(m, &rel.to, &coll_matches, &rel);
        for &f in &from {
            for &t in &to {
                if f != t {
                    m.edges.push(Edge {
                        from: f,
                        to: t,
                        refresh: rel.refresh,
                        file: rel.file.clone(),
                        span: rel.span,
                        via: rel.via,
                        guard: rel.guard.clone(),
                    });
                }
            }
        }
    }
    let n = m.resources.len();
    m.children = Adjacency::build(
        n,
        m.resources
            .iter()
            .enumerate()
            .filter_map(|(id, r)| r.container.map(|c| (c, id))),
    );
    m.out_edges = Adjacency::build(n, m.edges.iter().enumerate().map(|(i, e)| (e.from, i)));
    m.stats.resources = m.resources.len();
    m.stats.edges = m.edges.len();
    m.stats.symbolic_values = m
        .resources
        .iter()
        .map(|r| {
            r.title.symbolic_count()
                + r.attrs
                    .iter()
                    .map(|a| a.value.symbolic_count())
                    .sum::<usize>()
        })
        .sum();
}

fn lookup(m: &Model, ty: &str, title: &str) -> Vec<ResId> {
    m.by_key.get(ty, &normalize_key_cow(ty, title)).to_vec()
}

fn resolve_endpoints(
    m: &mut Model,
    eps: &[Endpoint],
    coll: &[Vec<ResId>],
    rel: &PendingRel,
) -> Vec<ResId> {
    let mut out = Vec::new();
    for ep in eps {
        match ep {
            Endpoint::Res(id) => out.push(*id),
            Endpoint::Collector(c) => out.extend(coll.get(*c).into_iter().flatten().copied()),
            Endpoint::Ref { ty, title } => {
                let ids = lookup(m, ty, title);
                let key = normalize_key(ty, title);
                // Found by its title or name as such, or by a string every alternative
                // of the title holds (`['a', 'ccache']` or `['b', 'ccache']`).
                let exact = |r: &Resource| {
                    [&r.title, r.name_value()].into_iter().any(|v| {
                        let holds = |alt: &Value| {
                            let mut leaves = Vec::new();
                            alt.flatten_into(&mut leaves);
                            leaves
                                .iter()
                                .any(|l| l.as_str().is_some_and(|t| normalize_key(ty, t) == key))
                        };
                        v.as_str()
                            .map(str::to_owned)
                            .or_else(|| symbolic_key(v))
                            .is_some_and(|t| normalize_key(ty, &t) == key)
                            || (matches!(v, Value::OneOf(_))
                                && v.alternatives().into_iter().all(holds))
                    })
                };
                if !ids.is_empty() && !ids.iter().any(|&id| exact(&m.resources[id])) {
                    m.alternative_refs.push(UnresolvedRef {
                        ty: ty.clone(),
                        title: title.clone(),
                        file: rel.file.clone(),
                        span: rel.span,
                        guard: rel.guard.clone(),
                    });
                }
                if ids.is_empty() {
                    m.unresolved_refs.push(UnresolvedRef {
                        ty: ty.clone(),
                        title: title.clone(),
                        file: rel.file.clone(),
                        span: rel.span,
                        guard: rel.guard.clone(),
                    });
                }
                out.extend(ids);
            }
        }
    }
    out
}

fn query_matches(q: &Query, r: &Resource) -> bool {
    match q {
        Query::All => true,
        Query::Unknown => false,
        Query::And(a, b) => query_matches(a, r) && query_matches(b, r),
        Query::Or(a, b) => query_matches(a, r) || query_matches(b, r),
        Query::Eq(attr, Value::Str(want)) if attr == "tag" => has_tag(r, want),
        Query::Ne(attr, Value::Str(want)) if attr == "tag" => !has_tag(r, want),
        Query::Eq(attr, v) => {
            let mut any = false;
            for_attr_values(r, attr, &mut |x| any |= x.known_eq(v) == Some(true));
            any
        }
        Query::Ne(attr, v) => {
            let mut all = true;
            for_attr_values(r, attr, &mut |x| all &= x.known_eq(v) == Some(false));
            all
        }
    }
}

/// The tag a query requires (`tag == 'x'`, possibly `and`-ed with more conditions).
fn tag_of_query(q: &Query) -> Option<&str> {
    match q {
        Query::Eq(attr, Value::Str(t)) if attr == "tag" => Some(t),
        Query::And(a, b) => tag_of_query(a).or_else(|| tag_of_query(b)),
        _ => None,
    }
}

/// Tags are case-insensitive: the type, the class (and its segments), `tag` values.
fn has_tag(r: &Resource, want: &str) -> bool {
    let eq = |s: &str| s.eq_ignore_ascii_case(want);
    if eq(&r.ty) {
        return true;
    }
    if let Scope::Class(c) | Scope::Define { ty: c, .. } = &*r.scope {
        if eq(c) || c.split("::").any(eq) {
            return true;
        }
    }
    let mut found = false;
    if let Some(t) = r.get("tag") {
        let mut leaves = Vec::new();
        t.flatten_into(&mut leaves);
        found = leaves.iter().any(|l| l.as_str().is_some_and(eq));
    }
    found
}

/// Call `f` on each value a collector query sees for `attr` (arrays flattened; `tag`
/// includes the automatic tags: type, class name and its segments).
fn for_attr_values(r: &Resource, attr: &str, f: &mut dyn FnMut(&Value)) {
    fn leaves(v: &Value, f: &mut dyn FnMut(&Value)) {
        match v {
            Value::Array(a) => a.iter().for_each(|x| leaves(x, f)),
            v => f(v),
        }
    }
    match attr {
        "title" => f(&r.title),
        "tag" => {
            f(&Value::Str(SmolStr::new(&r.ty)));
            if let Scope::Class(c) | Scope::Define { ty: c, .. } = &*r.scope {
                f(&Value::Str(SmolStr::new(c)));
                for seg in c.split("::") {
                    f(&Value::Str(SmolStr::new(seg)));
                }
            }
            if let Some(t) = r.get("tag") {
                leaves(t, f);
            }
        }
        _ => match r.get(attr) {
            Some(v) => leaves(v, f),
            None if attr == "name" => f(&r.title),
            None => {}
        },
    }
}

fn apply_overrides(r: &mut Resource, attrs: &[(Attr, bool)]) {
    for (a, append) in attrs {
        let pos = r.attrs.iter().position(|x| x.name == a.name);
        match (pos, append) {
            (Some(i), true) => {
                let mut items = Vec::new();
                r.attrs[i].value.flatten_into(&mut items);
                a.value.flatten_into(&mut items);
                r.attrs[i].value = Value::array(items);
                r.attrs[i].origin = AttrOrigin::Override;
            }
            (Some(i), false) if a.value.is_undef() => {
                r.attrs.remove(i);
            }
            (Some(i), false) => r.attrs[i] = a.clone(),
            (None, _) if a.value.is_undef() => {}
            (None, _) => r.attrs.push(a.clone()),
        }
    }
}
