//! The picture of a change for reviewers, as data: what the change restarts and what the
//! restarted services run, before and after.
//!
//! A [`ChangeGraph`] holds one [`Graph`] per side. Each reads left to right: a changed
//! template → the unit file it renders → (a refresh edge) → the service restarted → the
//! path it runs → the link there → the link's target → what writes that target (a file
//! resource, a package, a script), or nothing. It is built once from the model and the
//! model change ([`build`]) and rendered twice: as Graphviz ([`super::dot`]) and as inline
//! SVG inside the HTML report ([`super::html`]).
//!
//! Which services are drawn: those the change restarts, and those whose binary chain (on
//! either side) passes through a path a resource the change adds, changes or removes
//! manages. The same service is drawn on both sides when it exists on both.

use std::collections::{BTreeSet, HashMap};

use crate::analysis::shell::{ScriptReport, Target};
use crate::diagnostic::Side;
use crate::input::{Change, Tree};
use crate::model::change::display_name;
use crate::model::{file_state, FileState, Model, ModelChange, ResId};
use crate::rules::services::{self, info};
use crate::rules::Analysis;

/// What a node stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum NodeKind {
    /// A file of the repository (a template, a module file).
    RepoFile,
    /// A Puppet resource; the type is in the label.
    Resource,
    /// A path on the hosts.
    Path,
}

impl NodeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            NodeKind::RepoFile => "repo-file",
            NodeKind::Resource => "resource",
            NodeKind::Path => "path",
        }
    }
}

/// What the change does to a node (on the after side; the before side says `Unchanged`
/// or `Removed`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Status {
    Unchanged,
    Changed,
    Added,
    Removed,
    /// A path nothing in the repository writes (no file, package or script).
    Unmanaged,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Unchanged => "unchanged",
            Status::Changed => "changed",
            Status::Added => "added",
            Status::Removed => "removed",
            Status::Unmanaged => "unmanaged",
        }
    }
}

/// One box of the picture.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Node {
    /// Stable across sides: `resource:File['/x']`, `path:/x`, `repo:modules/…`.
    pub id: String,
    pub kind: NodeKind,
    pub label: String,
    pub status: Status,
}

/// What an arrow means.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum EdgeKind {
    /// A repository file a resource deploys or renders.
    Renders,
    /// A refresh relationship (`notify`, `subscribe`, `~>`): the label says which.
    Refresh,
    /// A resource inside the class or defined type an edge lands on.
    Contains,
    /// The unit file that says what a service executes.
    Defines,
    /// A service runs a path.
    Runs,
    /// A path is a link managed by this resource.
    LinkAt,
    /// A link points to a path.
    PointsTo,
    /// A path is written by a resource (file, package, script).
    WrittenBy,
}

impl EdgeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EdgeKind::Renders => "renders",
            EdgeKind::Refresh => "refresh",
            EdgeKind::Contains => "contains",
            EdgeKind::Defines => "defines",
            EdgeKind::Runs => "runs",
            EdgeKind::LinkAt => "link-at",
            EdgeKind::PointsTo => "points-to",
            EdgeKind::WrittenBy => "written-by",
        }
    }
}

/// One arrow: indexes into [`Graph::nodes`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Edge {
    pub from: usize,
    pub to: usize,
    pub kind: EdgeKind,
    /// The words on the arrow: `notify`, `runs`, `is a link`, `points to`, `written by`.
    pub label: String,
}

/// The picture of one side.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Graph {
    pub nodes: Vec<Node>,
    pub edges: Vec<Edge>,
}

impl Graph {
    /// The node `id`, added with `kind`, `label` and `status` when new; a known node keeps
    /// its label and takes the more telling status.
    pub fn node(&mut self, id: String, kind: NodeKind, label: String, status: Status) -> usize {
        if let Some(i) = self.nodes.iter().position(|n| n.id == id) {
            if status > self.nodes[i].status {
                self.nodes[i].status = status;
            }
            return i;
        }
        self.nodes.push(Node {
            id,
            kind,
            label,
            status,
        });
        self.nodes.len() - 1
    }

    /// Add an arrow once (the same two ends and kind are one arrow).
    pub fn edge(&mut self, from: usize, to: usize, kind: EdgeKind, label: impl Into<String>) {
        if from == to
            || self
                .edges
                .iter()
                .any(|e| e.from == from && e.to == to && e.kind == kind)
        {
            return;
        }
        self.edges.push(Edge {
            from,
            to,
            kind,
            label: label.into(),
        });
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// The column of each node: the longest path from a node with no incoming arrow
    /// (arrows that would close a cycle are ignored).
    pub fn layers(&self) -> Vec<usize> {
        let n = self.nodes.len();
        let mut layer = vec![0usize; n];
        // Longest-path layering by relaxation; at most n rounds, so a cycle stops too.
        for _ in 0..n {
            let mut moved = false;
            for e in &self.edges {
                if layer[e.to] < layer[e.from] + 1 && layer[e.from] + 1 < n {
                    layer[e.to] = layer[e.from] + 1;
                    moved = true;
                }
            }
            if !moved {
                break;
            }
        }
        layer
    }
}

/// The picture of the whole change: before and after.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ChangeGraph {
    pub before: Graph,
    pub after: Graph,
}

impl ChangeGraph {
    pub fn is_empty(&self) -> bool {
        self.before.is_empty() && self.after.is_empty()
    }

    pub fn side(&self, side: Side) -> &Graph {
        match side {
            Side::Before => &self.before,
            Side::After => &self.after,
        }
    }
}

/// Build the picture of `change` from its analysis.
pub fn build(analysis: &Analysis, change: &Change) -> ChangeGraph {
    let (before, after, diff) = (&analysis.before, &analysis.after, &analysis.diff);
    let touched = touched_paths(before, after, diff);
    let mut services_after: BTreeSet<ResId> = diff.restarts.iter().map(|r| r.service).collect();
    for p in &touched {
        services_after.extend(after.facts.services_through(p).iter().copied());
    }
    let mut services_before: BTreeSet<ResId> = services_after
        .iter()
        .filter_map(|s| diff.matched.get(s).copied())
        .collect();
    for p in &touched {
        services_before.extend(before.facts.services_through(p).iter().copied());
    }
    // A service seen first on the before side is drawn on the after side too.
    let back: HashMap<ResId, ResId> = diff.matched.iter().map(|(&a, &b)| (b, a)).collect();
    for b in &services_before {
        if let Some(&a) = back.get(b) {
            services_after.insert(a);
        }
    }
    let mut g = ChangeGraph::default();
    let sides = [
        (Side::Before, before, &change.before.tree, &services_before),
        (Side::After, after, &change.after.tree, &services_after),
    ];
    for (side, m, tree, services) in sides {
        let mut b = Builder {
            side,
            m,
            diff,
            g: Graph::default(),
            scripts: None,
            tree,
        };
        for &s in services {
            b.service(s);
        }
        match side {
            Side::Before => g.before = b.g,
            Side::After => g.after = b.g,
        }
    }
    g
}

/// Paths managed by file resources the change adds, changes or removes.
fn touched_paths(before: &Model, after: &Model, diff: &ModelChange) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut add = |m: &Model, id: ResId| {
        let r = m.get(id);
        if r.ty == "file" {
            if let Some(p) = r.name_value().as_str() {
                out.insert(crate::model::normalize_path(p));
            }
        }
    };
    for &id in &diff.added {
        add(after, id);
    }
    for d in &diff.changed {
        add(after, d.after);
    }
    for &id in &diff.removed {
        add(before, id);
    }
    out
}

struct Builder<'a> {
    side: Side,
    m: &'a Model,
    diff: &'a ModelChange,
    g: Graph,
    /// The scripts of this side with what they write, analysed on first need.
    scripts: Option<Vec<(ResId, ScriptReport)>>,
    tree: &'a Tree,
}

impl Builder<'_> {
    /// What the change does to resource `id` of this side.
    fn status(&self, id: ResId) -> Status {
        match self.side {
            Side::After if self.diff.is_added(id) => Status::Added,
            Side::After if self.diff.diff_of(id).is_some() => Status::Changed,
            Side::Before if self.diff.removed.contains(&id) => Status::Removed,
            _ => Status::Unchanged,
        }
    }

    /// The node of resource `id`, named as the restart reasons name it.
    fn resource(&mut self, id: ResId) -> usize {
        let label = display_name(self.m, id);
        let status = self.status(id);
        self.g.node(
            format!("resource:{label}"),
            NodeKind::Resource,
            label,
            status,
        )
    }

    fn path(&mut self, p: &str) -> usize {
        self.g.node(
            format!("path:{p}"),
            NodeKind::Path,
            p.to_string(),
            Status::Unchanged,
        )
    }

    fn repo_file(&mut self, p: &str, changed: bool) -> usize {
        let status = if changed {
            Status::Changed
        } else {
            Status::Unchanged
        };
        self.g.node(
            format!("repo:{p}"),
            NodeKind::RepoFile,
            p.to_string(),
            status,
        )
    }

    fn service(&mut self, s: ResId) {
        let node = self.resource(s);
        // The unit file that says what the service runs, and the template it renders.
        if let Some(bin) = info(self.m, s).and_then(|i| i.binary.as_ref()) {
            if let Some(unit) = bin.unit {
                let u = self.resource(unit);
                if let Some(repo) = &bin.repo_file {
                    let changed = self.side == Side::After
                        && self
                            .diff
                            .diff_of(unit)
                            .is_some_and(|d| d.changed_files.contains(repo));
                    let f = self.repo_file(repo, changed);
                    self.g.edge(f, u, EdgeKind::Renders, "renders");
                }
                self.g.edge(u, node, EdgeKind::Defines, "unit of");
            }
        }
        if self.side == Side::After {
            self.restart_chain(s, node);
        }
        // A unit file that also restarts the service is drawn with the restart arrow only.
        let edges = &self.g.edges;
        let keep: Vec<bool> = edges
            .iter()
            .map(|e| {
                e.kind != EdgeKind::Defines
                    || !edges
                        .iter()
                        .any(|o| o.kind == EdgeKind::Refresh && o.from == e.from && o.to == e.to)
            })
            .collect();
        let mut keep = keep.into_iter();
        self.g.edges.retain(|_| keep.next().unwrap_or(true));
        // The path it runs, the links on the way, and what writes the last path.
        let Some(chain) = services::binary_chain(self.m, s) else {
            return;
        };
        let mut prev = self.path(&chain.paths[0]);
        self.g.edge(node, prev, EdgeKind::Runs, "runs");
        for (i, &link) in chain.links.iter().enumerate() {
            let l = self.resource(link);
            self.g.edge(prev, l, EdgeKind::LinkAt, "is a link");
            let Some(next) = chain.paths.get(i + 1) else {
                break;
            };
            let n = self.path(next);
            self.g.edge(l, n, EdgeKind::PointsTo, "points to");
            prev = n;
        }
        if !chain.cycle {
            self.writers(chain.last(), prev);
        }
    }

    /// The reason chain of the restart of `s`, as arrows: each step's resource, with the
    /// edge it crosses named on the arrow.
    fn restart_chain(&mut self, s: ResId, service_node: usize) {
        let Some(restart) = self.diff.restart_of(s) else {
            return;
        };
        let mut prev: Option<usize> = None;
        let mut via: Option<String> = None;
        for (i, step) in restart.reason.iter().enumerate() {
            if let Some(ei) = step.edge {
                via = Some(self.m.edges[ei].via.to_string());
                continue;
            }
            let Some(res) = step.res else { continue };
            let node = if res == s {
                service_node
            } else {
                self.resource(res)
            };
            if i == 0 {
                if let Some(d) = self.diff.diff_of(res) {
                    for f in &d.changed_files {
                        let f = self.repo_file(f, true);
                        self.g.edge(f, node, EdgeKind::Renders, "renders");
                    }
                }
            }
            if let Some(p) = prev {
                match via.take() {
                    Some(v) => self.g.edge(p, node, EdgeKind::Refresh, v),
                    None => self.g.edge(p, node, EdgeKind::Contains, "contains"),
                }
            }
            prev = Some(node);
        }
    }

    /// What writes `path` (the end of a chain, node `at`): file resources with content,
    /// packages that ship it, scripts that write it. Nothing: the path is unmanaged.
    fn writers(&mut self, path: &str, at: usize) {
        let mut found = false;
        let managing: Vec<ResId> = self.m.index.managing(path).to_vec();
        for id in managing {
            let r = self.m.get(id);
            if !r.is_live() || matches!(file_state(r), FileState::Link { .. }) {
                continue;
            }
            let w = self.resource(id);
            self.g.edge(at, w, EdgeKind::WrittenBy, "written by");
            found = true;
        }
        let packages: Vec<String> = self.m.facts.shipped_by(path).to_vec();
        for p in packages {
            let ids: Vec<ResId> = self.m.index.packages.get(&p).cloned().unwrap_or_default();
            let w = match ids.first() {
                Some(&id) => self.resource(id),
                None => self.g.node(
                    format!("resource:Package['{p}']"),
                    NodeKind::Resource,
                    format!("Package['{p}']"),
                    Status::Unchanged,
                ),
            };
            self.g.edge(at, w, EdgeKind::WrittenBy, "shipped by");
            found = true;
        }
        let writers: Vec<ResId> = self
            .scripts()
            .iter()
            .filter(|(_, report)| writes(report, path))
            .map(|(id, _)| *id)
            .collect();
        for id in writers {
            let w = self.resource(id);
            self.g.edge(at, w, EdgeKind::WrittenBy, "written by script");
            found = true;
        }
        if !found {
            self.g.nodes[at].status = Status::Unmanaged;
        }
    }

    fn scripts(&mut self) -> &[(ResId, ScriptReport)] {
        let (m, side, tree) = (self.m, self.side, self.tree);
        self.scripts.get_or_insert_with(|| {
            services::scripts(m, side, tree)
                .into_iter()
                .map(|s| (s.res, s.analyze()))
                .collect()
        })
    }
}

/// Does the script write `path` itself: a redirection or `tee`, a download's final
/// path, the destination of a move?
fn writes(report: &ScriptReport, path: &str) -> bool {
    let is = |p: &crate::analysis::shell::ShPath| p.exact && p.text == path;
    report.writes.iter().any(|w| is(&w.path))
        || report.moves.iter().any(|m| is(&m.to))
        || report
            .downloads
            .iter()
            .any(|d| d.final_paths.iter().any(is) || matches!(&d.target, Target::File(p) if is(p)))
}
