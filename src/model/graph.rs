//! Containment-aware graph queries over relationship edges.
//!
//! An edge whose end is a class or a defined-type instance applies to everything that
//! container holds (Puppet's containment), so a path may leave from any container of a
//! resource and land on anything inside the target.

use std::collections::{HashSet, VecDeque};

use super::{Model, ResId};

/// A list of numbers per resource (its children, its edges), all in one buffer: a
/// `Vec` per resource cost 24 bytes each plus an allocation for each non-empty one.
#[derive(Clone, Debug, Default)]
pub(crate) struct Adjacency {
    /// Row `i` is `items[start[i]..start[i + 1]]`.
    start: Vec<u32>,
    items: Vec<usize>,
}

impl Adjacency {
    /// `rows` rows from (row, item) pairs; a row keeps its items in the pairs' order.
    pub(crate) fn build(rows: usize, pairs: impl Iterator<Item = (usize, usize)> + Clone) -> Self {
        let mut start = vec![0u32; rows + 1];
        for (r, _) in pairs.clone() {
            start[r + 1] += 1;
        }
        for i in 1..=rows {
            start[i] += start[i - 1];
        }
        let mut next = start.clone();
        let mut items = vec![0; start[rows] as usize];
        for (r, x) in pairs {
            items[next[r] as usize] = x;
            next[r] += 1;
        }
        Adjacency { start, items }
    }

    /// Row `row`, empty when out of range.
    pub(crate) fn get(&self, row: usize) -> &[usize] {
        match (self.start.get(row), self.start.get(row + 1)) {
            (Some(&a), Some(&b)) => &self.items[a as usize..b as usize],
            _ => &[],
        }
    }
}

pub(super) fn descendants_or_self(children: &Adjacency, id: ResId) -> Vec<ResId> {
    let mut out = vec![id];
    let mut i = 0;
    while i < out.len() {
        out.extend_from_slice(children.get(out[i]));
        i += 1;
    }
    out
}

/// Targets reachable in one step from `x` (edges of `x` and of its containers).
pub(super) fn successors(m: &Model, x: ResId, refresh_only: bool) -> Vec<(ResId, usize)> {
    let mut out = Vec::new();
    for src in std::iter::once(x).chain(m.ancestors(x)) {
        for &ei in m.out_edges.get(src) {
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

#[cfg(test)]
mod tests {
    use super::Adjacency;

    #[test]
    fn adjacency_rows_keep_their_order_and_out_of_range_is_empty() {
        let a = Adjacency::build(4, [(2, 7), (0, 1), (2, 5), (3, 9)].into_iter());
        assert_eq!(a.get(0), &[1]);
        assert_eq!(a.get(1), &[] as &[usize]);
        assert_eq!(a.get(2), &[7, 5]);
        assert_eq!(a.get(3), &[9]);
        assert_eq!(a.get(4), &[] as &[usize]);
        assert_eq!(Adjacency::default().get(0), &[] as &[usize]);
    }
}
