//! Containment-aware graph queries over relationship edges.
//!
//! An edge whose end is a class or a defined-type instance applies to everything that
//! container holds (Puppet's containment), so a path may leave from any container of a
//! resource and land on anything inside the target.

use std::collections::{HashSet, VecDeque};

use super::{Model, ResId};

pub(super) fn descendants_or_self(children: &[Vec<ResId>], id: ResId) -> Vec<ResId> {
    let mut out = vec![id];
    let mut i = 0;
    while i < out.len() {
        if let Some(c) = children.get(out[i]) {
            out.extend(c.iter().copied());
        }
        i += 1;
    }
    out
}

/// Targets reachable in one step from `x` (edges of `x` and of its containers).
pub(super) fn successors(m: &Model, x: ResId, refresh_only: bool) -> Vec<(ResId, usize)> {
    let mut out = Vec::new();
    for src in std::iter::once(x).chain(m.ancestors(x)) {
        for &ei in m.out_edges.get(src).into_iter().flatten() {
            let e = &m.edges[ei];
            if refresh_only && !e.refresh {
                continue;
            }
            for d in descendants_or_self(&m.children, e.to) {
                out.push((d, ei));
            }
        }
    }
    out
}

pub(super) fn path_exists(m: &Model, a: ResId, b: ResId, refresh_only: bool) -> bool {
    if a >= m.resources.len() || b >= m.resources.len() {
        return false;
    }
    let mut seen: HashSet<ResId> = HashSet::new();
    let mut queue: VecDeque<ResId> = VecDeque::new();
    seen.insert(a);
    queue.push_back(a);
    while let Some(x) = queue.pop_front() {
        for (t, _) in successors(m, x, refresh_only) {
            if t == b {
                return true;
            }
            if seen.insert(t) {
                queue.push_back(t);
            }
        }
    }
    false
}
