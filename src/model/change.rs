//! What a change does to the model: resource-level diff and the services it restarts.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};

use super::graph::successors;
use super::value::Value;
use rayon::prelude::*;

use super::{normalize_key, normalize_key_cow, Attr, EdgeVia, FxHasher, Model, ResId};
use crate::input::Change;

/// One attribute that differs.
#[derive(Clone, Debug, PartialEq)]
pub struct AttrDiff {
    pub name: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

/// A resource present on both sides with different attributes (or different content
/// through a changed template/module file).
#[derive(Clone, Debug)]
pub struct ResourceDiff {
    pub before: ResId,
    pub after: ResId,
    pub attrs: Vec<AttrDiff>,
    /// Repository files (templates, module files) the resource reads that changed.
    pub changed_files: Vec<String>,
}

/// One step of the explanation of a restart: `prefix`, then the resource it names (as
/// `name`, its reference), then `suffix`. A reader that names a resource differently
/// (the systemd unit among a file's alternative paths) replaces `name` only.
#[derive(Clone, Debug, PartialEq)]
pub struct ReasonStep {
    pub prefix: String,
    /// The after-side resource named in this step, if any.
    pub res: Option<ResId>,
    pub name: String,
    pub suffix: String,
    /// The after-side relationship edge (an index into `Model::edges`) this step crosses,
    /// on the step that names the edge: readers that draw the chain use it rather than
    /// the words.
    pub edge: Option<usize>,
}

impl ReasonStep {
    fn text(prefix: impl Into<String>) -> Self {
        ReasonStep {
            prefix: prefix.into(),
            res: None,
            name: String::new(),
            suffix: String::new(),
            edge: None,
        }
    }

    fn naming(m: &Model, res: ResId, prefix: impl Into<String>, suffix: impl Into<String>) -> Self {
        ReasonStep {
            prefix: prefix.into(),
            res: Some(res),
            name: display_name(m, res),
            suffix: suffix.into(),
            edge: None,
        }
    }
}

/// How a reason names a resource: its reference, except for a unit file whose path is one of
/// several alternatives (`case $initsystem`), named by the alternative that is a systemd
/// unit (`File['/lib/systemd/system/x.service']` rather than `File['one of (…)']`).
pub fn display_name(m: &Model, res: ResId) -> String {
    unit_path(m, res)
        .map(|p| format!("File['{p}']"))
        .unwrap_or_else(|| m.get(res).display_ref())
}

/// The systemd alternative of a unit file declared with several alternative paths (see
/// [`display_name`]), when `res` is one.
pub fn unit_path(m: &Model, res: ResId) -> Option<String> {
    let r = m.get(res);
    if r.ty != "file" || !matches!(r.title, Value::OneOf(_)) {
        return None;
    }
    if !m
        .index
        .services
        .values()
        .flatten()
        .any(|s| s.unit_files.contains(&res))
    {
        return None;
    }
    r.name_value()
        .alternatives()
        .into_iter()
        .filter_map(Value::as_str)
        .find(|p| p.contains("/systemd/"))
        .map(str::to_string)
}

/// A service the change restarts (or starts), with why.
#[derive(Clone, Debug)]
pub struct Restart {
    /// After-side service resource.
    pub service: ResId,
    pub reason: Vec<ReasonStep>,
}

impl Restart {
    /// Why, in words, with Puppet's refresh arrow for every refresh relationship and how it
    /// is declared after the resource it lands on:
    /// `modules/k8s/templates/x.erb changed → File['/lib/systemd/system/x.service'] ~> Service['x']`,
    /// `File['/usr/bin/x'] changed (target) ~> Service['x'] (notify)`.
    pub fn reason_text(&self) -> String {
        self.reason_text_naming(|_| None)
    }

    /// [`Self::reason_text`], with the resources `rename` gives a name to named that way.
    pub fn reason_text_naming(&self, rename: impl Fn(ResId) -> Option<String>) -> String {
        self.reason
            .iter()
            .map(|s| {
                let name = s.res.and_then(&rename).unwrap_or_else(|| s.name.clone());
                format!("{}{name}{}", s.prefix, s.suffix)
            })
            .collect::<Vec<_>>()
            .join(" ")
    }
}

#[derive(Clone, Debug, Default)]
pub struct ModelChange {
    /// After-side resources with no before-side counterpart.
    pub added: Vec<ResId>,
    /// Before-side resources with no after-side counterpart.
    pub removed: Vec<ResId>,
    pub changed: Vec<ResourceDiff>,
    pub restarts: Vec<Restart>,
    /// After id -> before id for every matched pair (changed or not).
    pub matched: HashMap<ResId, ResId>,
    /// Hiera data files read by either side that the change touches (their effect shows
    /// up as attribute differences of the resources whose parameters they feed).
    pub changed_data_files: Vec<String>,
    /// Lookup indexes over `added` and `changed`, built by [`ModelChange::compute`]: the
    /// rules ask "was this added / how did it change" once per resource.
    added_set: HashSet<ResId>,
    changed_at: HashMap<ResId, usize>,
}

/// The pairing key of a resource: its type and normalised title, borrowed from the model
/// when the title is a normal string (a check keys every resource of both sides).
fn key_of(m: &Model, id: ResId) -> (&str, Cow<'_, str>) {
    let r = &m.resources[id];
    let title = match &r.title {
        Value::Str(s) => normalize_key_cow(&r.ty, s),
        v => Cow::Owned(normalize_key(&r.ty, &v.to_string())),
    };
    (r.ty.as_str(), title)
}

/// Each resource of a side as (hash of its pairing key, id), sorted: resources with the
/// same key sit together in id order. A sorted list of 16-byte entries, not a map of
/// keys: on a 77,000-resource revision the maps held about 25 MB at the check's peak.
fn hashed_keys(m: &Model) -> Vec<(u64, ResId)> {
    use std::hash::{Hash, Hasher};
    let mut v: Vec<(u64, ResId)> = (0..m.resources.len())
        .map(|id| {
            let (ty, title) = key_of(m, id);
            let mut h = FxHasher::default();
            (ty, &*title).hash(&mut h);
            (h.finish(), id)
        })
        .collect();
    v.sort_unstable();
    v
}

/// Pairs the resources of the two sides by key: the i-th after-side resource with a key
/// is the i-th before-side one with it. `ka`, `kb` are [`hashed_keys`] of `after`,
/// `before`. Returns the (after, before) pairs and the unpaired after-side ids, both in
/// the order of the keys' first appearance on the after side, then by id.
fn pair_by_key(
    before: &Model,
    after: &Model,
    ka: &[(u64, ResId)],
    kb: &[(u64, ResId)],
) -> (Vec<(ResId, ResId)>, Vec<ResId>) {
    // (first after id with the key, after id, before id)
    let mut recs: Vec<(ResId, ResId, Option<ResId>)> = Vec::with_capacity(ka.len());
    let (mut i, mut j) = (0, 0);
    while i < ka.len() {
        let h = ka[i].0;
        let i_end = i + ka[i..].partition_point(|e| e.0 == h);
        j += kb[j..].partition_point(|e| e.0 < h);
        let j_end = j + kb[j..].partition_point(|e| e.0 == h);
        pair_group(before, after, &ka[i..i_end], &kb[j..j_end], &mut recs);
        (i, j) = (i_end, j_end);
    }
    recs.sort_unstable_by_key(|r| (r.0, r.1));
    let mut pairs = Vec::with_capacity(recs.len());
    let mut added = Vec::new();
    for (_, a, b) in recs {
        match b {
            Some(b) => pairs.push((a, b)),
            None => added.push(a),
        }
    }
    (pairs, added)
}

/// Pairs one hash's resources (`ga` after, `gb` before, each in id order). Nearly always
/// they share one key; the keys are compared all the same, so that two keys with the same
/// hash are never paired.
fn pair_group(
    before: &Model,
    after: &Model,
    ga: &[(u64, ResId)],
    gb: &[(u64, ResId)],
    recs: &mut Vec<(ResId, ResId, Option<ResId>)>,
) {
    // Equal types and titles make equal keys; only titles that differ are normalised.
    let same_key = |mx: &Model, x: ResId, my: &Model, y: ResId| {
        let (rx, ry) = (&mx.resources[x], &my.resources[y]);
        (rx.ty == ry.ty && rx.title == ry.title) || key_of(mx, x) == key_of(my, y)
    };
    let a0 = ga[0].1;
    let one_key = ga[1..].iter().all(|e| same_key(after, e.1, after, a0))
        && gb.iter().all(|e| same_key(before, e.1, after, a0));
    if one_key {
        let first = ga[0].1;
        for (r, e) in ga.iter().enumerate() {
            recs.push((first, e.1, gb.get(r).map(|b| b.1)));
        }
        return;
    }
    // A collision: group by the keys themselves, in the order they first appear.
    let mut groups: Vec<(ResId, Vec<ResId>)> = Vec::new();
    let mut keys = Vec::new();
    for e in ga {
        let k = key_of(after, e.1);
        match keys.iter().position(|x| *x == k) {
            Some(g) => groups[g].1.push(e.1),
            None => {
                keys.push(k);
                groups.push((e.1, vec![e.1]));
            }
        }
    }
    let mut rank = vec![0usize; groups.len()];
    let mut paired: Vec<Vec<Option<ResId>>> =
        groups.iter().map(|g| vec![None; g.1.len()]).collect();
    for e in gb {
        let k = key_of(before, e.1);
        if let Some(g) = keys.iter().position(|x| *x == k) {
            if rank[g] < paired[g].len() {
                paired[g][rank[g]] = Some(e.1);
            }
            rank[g] += 1;
        }
    }
    for ((first, ids), bs) in groups.into_iter().zip(paired) {
        for (a, b) in ids.into_iter().zip(bs) {
            recs.push((first, a, b));
        }
    }
}

fn attr_map(attrs: &[Attr]) -> BTreeMap<&str, &Value> {
    attrs.iter().map(|a| (a.name.as_str(), &a.value)).collect()
}

/// The attributes that differ between a resource's after (`ra`) and before (`rb`) sides,
/// in name order: those the after side has, then those only the before side has.
fn attr_diffs(ra: &[Attr], rb: &[Attr]) -> Vec<AttrDiff> {
    let mut diffs = Vec::new();
    // Fast path: the same attributes in the same order (most resources).
    let same = ra.len() == rb.len()
        && ra
            .iter()
            .zip(rb)
            .all(|(x, y)| x.name == y.name && x.value == y.value);
    if same {
        return diffs;
    }
    let (ma, mb) = (attr_map(ra), attr_map(rb));
    for (name, va) in &ma {
        match mb.get(name) {
            Some(vb) if vb == va => {}
            vb => diffs.push(AttrDiff {
                name: name.to_string(),
                before: vb.map(|v| (*v).clone()),
                after: Some((*va).clone()),
            }),
        }
    }
    for (name, vb) in &mb {
        if !ma.contains_key(name) {
            diffs.push(AttrDiff {
                name: name.to_string(),
                before: Some((*vb).clone()),
                after: None,
            });
        }
    }
    diffs
}

impl ModelChange {
    pub fn compute(before: &Model, after: &Model, change: &Change) -> ModelChange {
        // The two sides are keyed at the same time.
        let (kb, ka) = rayon::join(|| hashed_keys(before), || hashed_keys(after));
        let (pairs, added) = pair_by_key(before, after, &ka, &kb);
        drop((ka, kb));
        Self::from_pairs(before, after, change, added, &pairs, |_, _| true)
    }

    /// The change back from `after` to `before` (what `git revert` of `change` does;
    /// `reverse` is that change), derived from this one: the same pairs of resources,
    /// and only the pairs that differ here are compared again (equality is symmetric).
    /// Equal to [`ModelChange::compute`]`(after, before, reverse)` but for the order of
    /// `added` and `changed`.
    pub fn reversed(&self, before: &Model, after: &Model, reverse: &Change) -> ModelChange {
        let differ: HashSet<(ResId, ResId)> =
            self.changed.iter().map(|d| (d.before, d.after)).collect();
        let mut pairs: Vec<(ResId, ResId)> = self.matched.iter().map(|(&a, &b)| (b, a)).collect();
        pairs.sort_unstable();
        Self::from_pairs(
            after,
            before,
            reverse,
            self.removed.clone(),
            &pairs,
            |a, b| differ.contains(&(a, b)),
        )
    }

    /// The diff of paired resources: `pairs` are (after id, before id); `compare(a, b)`
    /// says whether the pair's attributes can differ at all.
    fn from_pairs(
        before: &Model,
        after: &Model,
        change: &Change,
        added: Vec<ResId>,
        pairs: &[(ResId, ResId)],
        compare: impl Fn(ResId, ResId) -> bool + Sync,
    ) -> ModelChange {
        let changed_paths: HashSet<&str> = change
            .files
            .iter()
            .flat_map(|f| [f.old_path.as_deref(), f.new_path.as_deref()])
            .flatten()
            .collect();
        // Resource -> repository files it reads (templates, module files, sources).
        let mut uses_of: HashMap<ResId, Vec<&str>> = HashMap::new();
        for u in &after.index.file_uses {
            if let Some(p) = &u.file_ref.resolved {
                uses_of.entry(u.res).or_default().push(p.as_str());
            }
        }
        let mut out = ModelChange {
            added,
            ..ModelChange::default()
        };
        let mut seen_b = vec![false; before.resources.len()];
        out.matched.reserve(pairs.len());
        for &(a, b) in pairs {
            seen_b[b] = true;
            out.matched.insert(a, b);
        }
        // Each pair is compared on its own: in parallel, kept in the order of `pairs`.
        out.changed = pairs
            .par_iter()
            .with_min_len(1024)
            .filter_map(|&(a, b)| {
                let attrs = if compare(a, b) {
                    attr_diffs(&after.resources[a].attrs, &before.resources[b].attrs)
                } else {
                    Vec::new()
                };
                let mut files: Vec<String> = uses_of
                    .get(&a)
                    .into_iter()
                    .flatten()
                    .filter(|p| changed_paths.contains(*p))
                    .map(|p| p.to_string())
                    .collect();
                files.dedup();
                (!attrs.is_empty() || !files.is_empty()).then_some(ResourceDiff {
                    before: b,
                    after: a,
                    attrs,
                    changed_files: files,
                })
            })
            .collect();
        let mut data: Vec<String> = before
            .hiera
            .files()
            .chain(after.hiera.files())
            .filter(|p| changed_paths.contains(p))
            .map(str::to_string)
            .collect();
        data.sort();
        data.dedup();
        out.changed_data_files = data;
        out.removed = (0..before.resources.len())
            .filter(|&b| !seen_b[b])
            .collect();
        out.added_set = out.added.iter().copied().collect();
        out.changed_at = out
            .changed
            .iter()
            .enumerate()
            .map(|(i, d)| (d.after, i))
            .collect();
        out.restarts = restarts(after, &out);
        out
    }

    /// Whether an after-side resource has no before-side counterpart.
    pub fn is_added(&self, after: ResId) -> bool {
        if self.added_set.is_empty() {
            return self.added.contains(&after);
        }
        self.added_set.contains(&after)
    }

    /// The diff of an after-side resource, if it changed.
    pub fn diff_of(&self, after: ResId) -> Option<&ResourceDiff> {
        if self.changed_at.is_empty() {
            return self.changed.iter().find(|d| d.after == after);
        }
        self.changed_at.get(&after).map(|&i| &self.changed[i])
    }

    pub fn restart_of(&self, service: ResId) -> Option<&Restart> {
        self.restarts.iter().find(|r| r.service == service)
    }
}

/// Why an after-side resource counts as changed on the hosts (first step of a reason
/// chain). A resource whose only differences are relationships (`require`, `before`,
/// `notify`, `subscribe`) changes nothing on a host and sends no refresh event.
fn change_text(after: &Model, ch: &ModelChange, id: ResId) -> Option<ReasonStep> {
    if ch.is_added(id) {
        return Some(ReasonStep::naming(after, id, "", " added"));
    }
    let d = ch.diff_of(id)?;
    if let Some(f) = d.changed_files.first() {
        return Some(ReasonStep::naming(after, id, format!("{f} changed → "), ""));
    }
    let names: Vec<&str> = d
        .attrs
        .iter()
        .map(|a| a.name.as_str())
        .filter(|n| !RELATIONSHIPS.contains(n))
        .collect();
    if names.is_empty() {
        return None;
    }
    Some(ReasonStep::naming(
        after,
        id,
        "",
        format!(" changed ({})", names.join(", ")),
    ))
}

/// The metaparameters that state relationships: changing them changes no state.
const RELATIONSHIPS: [&str; 4] = ["require", "before", "notify", "subscribe"];

/// Resources that handle a refresh and emit a further event.
fn relays(ty: &str) -> bool {
    matches!(ty, "service" | "exec" | "anchor")
}

fn restarts(after: &Model, ch: &ModelChange) -> Vec<Restart> {
    let mut found: BTreeMap<ResId, Vec<ReasonStep>> = BTreeMap::new();
    let mut sources: Vec<ResId> = ch.added.clone();
    sources.extend(ch.changed.iter().map(|d| d.after));
    sources.sort_unstable();
    sources.dedup();
    // A service whose own attributes changed (or that is new) is (re)started itself.
    for &s in &sources {
        let r = after.get(s);
        if r.ty == "service" && r.is_live() {
            if let Some(t) = change_text(after, ch, s) {
                found.entry(s).or_insert_with(|| vec![t]);
            }
        }
    }
    // Refresh events travel along ~> edges from every changed resource (not from class
    // or define instances themselves: their contents change, they do not).
    let mut visited: HashSet<ResId> = HashSet::new();
    let mut queue: VecDeque<(ResId, Vec<ReasonStep>)> = VecDeque::new();
    for &s in &sources {
        let r = after.get(s);
        if r.ty == "class" || after.defines.contains_key(r.ty.as_str()) || !r.is_live() {
            continue;
        }
        if let Some(t) = change_text(after, ch, s) {
            visited.insert(s);
            queue.push_back((s, vec![t]));
        }
    }
    while let Some((x, chain)) = queue.pop_front() {
        for (t, ei) in successors(after, x, true) {
            let tr = after.get(t);
            if !tr.is_live() || !relays(&tr.ty) {
                continue;
            }
            let e = &after.edges[ei];
            let mut c = chain.clone();
            let mut step = ReasonStep::text("~>");
            step.edge = Some(ei);
            c.push(step);
            if e.to != t {
                // The edge lands on a class or define instance that contains the target.
                c.push(ReasonStep::naming(after, e.to, "", ", which contains"));
            }
            // How the relationship is declared: nothing to add for a `~>` between the two
            // resources themselves; the metaparameter, or the container it is stated on.
            let declared = match (e.from == x, e.via) {
                (true, EdgeVia::Chain(_)) => String::new(),
                (true, via) => format!(" ({via})"),
                (false, via) => format!(" ({via} on {})", display_name(after, e.from)),
            };
            c.push(ReasonStep::naming(after, t, "", declared));
            if tr.ty == "service" {
                found.entry(t).or_insert_with(|| c.clone());
            }
            if visited.insert(t) {
                queue.push_back((t, c));
            }
        }
    }
    found
        .into_iter()
        .map(|(service, reason)| Restart { service, reason })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::testing::model_of;

    fn id(m: &Model, title: &str) -> ResId {
        m.find("file", title)[0]
    }

    /// Keys that share a hash (forced here) are still told apart: only equal keys pair,
    /// the i-th with the i-th, and the unpaired after-side ones come out as added.
    #[test]
    fn colliding_hashes_pair_only_equal_keys() {
        let before = model_of("file { '/x': }\nfile { '/y': }\n");
        let after = model_of("file { '/z': }\nfile { '/y': }\nfile { '/x': }\n");
        let h = 7;
        let mut ka: Vec<(u64, ResId)> = ["/z", "/y", "/x"].map(|t| (h, id(&after, t))).into();
        ka.sort_unstable();
        let mut kb: Vec<(u64, ResId)> = ["/x", "/y"].map(|t| (h, id(&before, t))).into();
        kb.sort_unstable();
        let (mut pairs, added) = pair_by_key(&before, &after, &ka, &kb);
        pairs.sort_unstable();
        let mut want = vec![
            (id(&after, "/x"), id(&before, "/x")),
            (id(&after, "/y"), id(&before, "/y")),
        ];
        want.sort_unstable();
        assert_eq!(pairs, want);
        assert_eq!(added, vec![id(&after, "/z")]);
    }

    /// The pairs and added resources come in the order their keys first appear on the
    /// after side, then by id (the order reports list them in).
    #[test]
    fn pairing_order_follows_first_appearance() {
        let before = model_of("file { '/a': }\nfile { '/b': }\n");
        let after = model_of(
            "file { '/b': mode => '0644' }\nfile { '/new': }\nfile { '/a': mode => '0600' }\n",
        );
        let ka = hashed_keys(&after);
        let kb = hashed_keys(&before);
        let (pairs, added) = pair_by_key(&before, &after, &ka, &kb);
        let order: Vec<ResId> = pairs.iter().map(|p| p.0).collect();
        let mut sorted = order.clone();
        sorted.sort_unstable();
        assert_eq!(
            order, sorted,
            "pairs by first appearance, that is by id here"
        );
        assert_eq!(added, vec![id(&after, "/new")]);
        assert_eq!(
            pairs.len(),
            after.resources.len() - 1,
            "all but '/new' pair"
        );
    }
}
