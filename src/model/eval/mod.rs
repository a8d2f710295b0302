//! Static evaluation of parsed manifests into resources (see the policy in `mod.rs`).
//!
//! [`Model::build`](super::Model::build) runs the stages in order, none reaching back:
//! [`parse`] the manifests, [`evaluate`] them into resources, guards, conditions and
//! pending relationships, [`resolve`] those (collectors, overrides, `realize`, edges), then
//! the index. The evaluator is one `Ev` whose methods are split by concern:
//! - this module: the evaluator's state, the driver (top-level code, nodes, undeclared
//!   classes, each unit of code isolated), scopes and variables;
//! - [`expr`]: expression semantics (the big `eval` match, conditions, access,
//!   relationships and collectors as they are met);
//! - [`calls`]: function calls (`include`, `realize`, `ensure_resource`,
//!   `create_resources`, `template`/`file`/`find_file`, `lookup`, iteration, pure functions);
//! - [`catalog`]: building the catalogue (classes, defined types, resources, defaults);
//! - [`resolve`]: what is left after evaluation (collectors, overrides, `realize`, edges).
//!
//! Where the repository keeps its code (modulepath, module files) is [`super::layout`].

mod calls;
mod catalog;
mod expr;
mod resolve;

use std::collections::HashSet;
use std::sync::Arc;

use super::facter::NodeVariables;
use super::hiera::Hiera;
use super::value::{SymPart, Value};
use super::{
    normalize_key, Attr, Condition, ConditionKind, Definition, EdgeVia, EvalNote, FxMap, FxSet,
    GuardStep, Model, ModelOptions, ResId, Scope, TestedVariable, UnboundVar,
};
use crate::ast::SmolStr;
use crate::ast::{AttrOp, Block, Expr, ExprKind, Lambda, Param, Span, StrPart};
use crate::input::Tree;
use crate::parser::Parsed;

use super::ParseCache;

use catalog::symbolic_key;
pub(super) use resolve::resolve;

/// The manifests of a revision (every file Puppet loads as one, symlinks aside), parsed
/// through `cache`; files that cannot be read or parsed are left out.
pub(super) fn parse<'t>(
    tree: &'t Tree,
    modulepath: &[String],
    cache: &ParseCache,
) -> Vec<ParsedFile<'t>> {
    let manifests: Vec<(&str, &Arc<crate::input::Blob>)> = tree
        .files
        .iter()
        .filter(|(p, e)| crate::input::is_manifest(p) && e.kind != crate::input::EntryKind::Symlink)
        .map(|(p, e)| (p.as_str(), &e.blob))
        .collect();
    let blobs: Vec<&Arc<crate::input::Blob>> = manifests.iter().map(|(_, b)| *b).collect();
    let parsed = cache.parse_all_walked(&blobs);
    manifests
        .iter()
        .zip(parsed)
        .filter_map(|((path, blob), p)| {
            let (parsed, walk) = p?;
            Some(ParsedFile {
                path: Arc::from(*path),
                text: blob.text()?,
                parsed,
                walk,
                in_module: super::layout::module_of_path(modulepath, path).is_some(),
            })
        })
        .collect()
}

/// What the evaluation takes from every expression of a whole file before evaluating it:
/// found by one walk of the file when it is parsed ([`ParseCache`]), so a file the two
/// sides share is walked once, in the parallel parse, not once per side.
#[derive(Debug, Default)]
pub(crate) struct FileWalk {
    /// Whether an `import` statement is there ([`first_import`]).
    import: bool,
    /// The classes declared resource-like with a literal title (`class { 'x': }`),
    /// normalised, in order ([`resource_like_class_names`]).
    class_resources: Vec<String>,
}

impl FileWalk {
    pub(crate) fn of(parsed: &Parsed) -> FileWalk {
        let mut out = FileWalk::default();
        for st in &parsed.program.statements {
            for_each_expr(st, &mut |e| match &e.kind {
                ExprKind::Call {
                    func,
                    statement: true,
                    ..
                } => {
                    out.import |= matches!(&func.kind, ExprKind::Name(n) if n == "import");
                }
                ExprKind::Resource {
                    type_expr, bodies, ..
                } => {
                    if matches!(&type_expr.kind, ExprKind::Name(n) if n == "class") {
                        for b in bodies {
                            if let ExprKind::Str(name) = &b.title.kind {
                                out.class_resources.push(normalize_key("class", name));
                            }
                        }
                    }
                }
                _ => {}
            });
        }
        out
    }
}

/// The first `import` statement of `files` (Puppet 4 removed it, so the repository is
/// written for Puppet 3: [`super::version`]).
pub(super) fn first_import(files: &[ParsedFile<'_>]) -> Option<super::PuppetVersion> {
    let f = files.iter().find(|f| f.walk.import)?;
    Some(super::PuppetVersion {
        major: 3,
        shown: super::version::OLD.into(),
        basis: super::VersionBasis::Import {
            file: f.path.to_string(),
        },
    })
}

/// Evaluate `files` into a model (resources, guards, conditions, definitions, notes) and
/// what is left to [`resolve`]. Run it on [`on_large_stack`].
pub(super) fn evaluate<'a>(
    tree: &'a Tree,
    opts: &'a ModelOptions,
    modulepath: Vec<String>,
    hiera: Hiera,
    files: &'a [ParsedFile<'a>],
    puppet: Option<super::PuppetVersion>,
) -> (Model, Pending) {
    let mut ev = Ev::new(tree, opts, modulepath, hiera);
    let puppet3 = puppet.as_ref().is_some_and(|p| p.major <= 3);
    ev.model.puppet = puppet.unwrap_or_default();
    ev.assigned = AssignedNames::collect(files, puppet3);
    ev.node_vars = NodeVariables::read(tree);
    ev.model.stats.manifests = files.len();
    ev.model.stats.manifests_with_syntax_errors =
        files.iter().filter(|f| !f.parsed.errors.is_empty()).count();
    ev.model
        .reserve_resources(files.len().saturating_mul(RESOURCES_PER_MANIFEST));
    ev.texts.reserve(files.len());
    for f in files {
        ev.texts.insert(f.path.clone(), f.text);
        ev.collect_defs(&f.path, &f.parsed.program.statements, "");
    }
    ev.model.root_module = super::layout::root_module(
        tree,
        ev.class_defs.iter().map(|(n, d)| (n.as_str(), &**d.file)),
    );
    ev.run(files);
    ev.into_parts()
}

/// Room made for this many resources per manifest before evaluation starts. The list
/// of resources otherwise grows by doubling, and on a large revision every doubling
/// copies megabytes into freshly faulted pages (a tenth of the evaluation of a
/// 20,000-manifest repository). Room never used is never touched, so it costs address
/// space, not memory; a revision with more resources grows as before.
const RESOURCES_PER_MANIFEST: usize = 4;

/// What evaluation leaves to [`resolve`]: relationships, collectors, overrides and
/// `realize` calls, whose targets are known only once every resource is declared.
pub(super) struct Pending {
    rels: Vec<PendingRel>,
    collectors: Vec<Collector>,
    overrides: Vec<PendingOverride>,
    realize: Vec<(String, String, Arc<str>, Span)>,
}

/// Stack of the thread that evaluates a revision. Evaluation recurses along the code
/// (blocks, expressions, lambdas, defines, classes declaring classes); every one of those is
/// bounded (the parser's nesting limit, [`ModelOptions::max_define_depth`],
/// [`MAX_CLASS_NESTING`]), and their product fits comfortably here even in a debug build.
/// Only the pages touched are ever resident.
const EVAL_STACK: usize = 256 * 1024 * 1024;

/// Run `f` on a thread of its own with [`EVAL_STACK`] of stack, passing a panic on to the
/// caller as it was (so `rules::run`'s isolation sees it).
pub(super) fn on_large_stack<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|s| {
        let worker = std::thread::Builder::new()
            .name("evaluate".into())
            .stack_size(EVAL_STACK)
            .spawn_scoped(s, f);
        match worker {
            Ok(handle) => handle
                .join()
                .unwrap_or_else(|payload| std::panic::resume_unwind(payload)),
            // Only under resource exhaustion; reported as an internal error, not a crash.
            Err(e) => panic!("cannot start the evaluation thread: {e}"),
        }
    })
}

pub(super) struct ParsedFile<'a> {
    path: Arc<str>,
    text: &'a str,
    parsed: Arc<Parsed>,
    walk: Arc<FileWalk>,
    in_module: bool,
}

#[derive(Clone, Copy)]
struct ClassDef<'a> {
    file: &'a Arc<str>,
    params: &'a [Param],
    parent: Option<&'a str>,
    body: &'a Block,
}

#[derive(Clone, Copy)]
struct DefineDef<'a> {
    file: &'a Arc<str>,
    params: &'a [Param],
    body: &'a Block,
}

/// Variables of one scope. Scopes are small (a class's parameters and locals), so a
/// vector searched linearly beats hashing.
#[derive(Default)]
struct Vars(Vec<(SmolStr, Value)>);

impl Vars {
    fn get(&self, name: &str) -> Option<&Value> {
        self.0.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }

    fn get_mut(&mut self, name: &str) -> Option<&mut Value> {
        self.0.iter_mut().find(|(n, _)| n == name).map(|(_, v)| v)
    }

    fn insert(&mut self, name: SmolStr, v: Value) {
        match self.get_mut(&name) {
            Some(slot) => *slot = v,
            None => self.0.push((name, v)),
        }
    }
}

#[derive(Default)]
struct VarScope {
    vars: Vars,
    parent: Option<usize>,
}

struct Frame {
    defaults: Vec<(String, Vec<Attr>)>,
    parent: Option<usize>,
    created: Vec<ResId>,
    /// `(version, frame)`: the nearest frame at or above this one with defaults, as of
    /// [`Ev::defaults_version`] `version` (see [`Ev::defaults_frame`]).
    nearest_defaults: (u32, Option<usize>),
}

#[derive(Clone, Copy)]
enum ClassState {
    Evaluating { res: ResId, scope: usize },
    Done { res: ResId, scope: usize },
}

#[derive(Clone)]
struct Env {
    file: Arc<str>,
    scope: usize,
    frame: usize,
    guard: Vec<GuardStep>,
    container: Option<ResId>,
    define_chain: Vec<ResId>,
    kind: Arc<Scope>,
    module: Option<SmolStr>,
    define_stack: Vec<String>,
}

#[derive(Clone, Debug)]
enum Endpoint {
    Res(ResId),
    Ref { ty: String, title: String },
    Collector(usize),
}

struct PendingRel {
    from: Vec<Endpoint>,
    to: Vec<Endpoint>,
    refresh: bool,
    file: Arc<str>,
    span: Span,
    via: EdgeVia,
    /// Guard of the code that states the relationship.
    guard: Vec<GuardStep>,
}

#[derive(Clone, Debug)]
enum Query {
    All,
    Eq(String, Value),
    Ne(String, Value),
    And(Box<Query>, Box<Query>),
    Or(Box<Query>, Box<Query>),
    Unknown,
}

struct Collector {
    ty: String,
    query: Query,
    exported: bool,
    overrides: Vec<(Attr, bool)>,
}

struct PendingOverride {
    refs: Vec<(String, String)>,
    attrs: Vec<(Attr, bool)>,
    file: Arc<str>,
    span: Span,
}

/// How a class got declared.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ClassHow {
    Include,
    Contain,
    Require,
    Resource,
    Inherit,
    Lookup,
    Undeclared,
}

struct Ev<'a> {
    tree: &'a Tree,
    opts: &'a ModelOptions,
    model: Model,
    texts: FxMap<Arc<str>, &'a str>,
    class_defs: FxMap<String, ClassDef<'a>>,
    define_defs: FxMap<String, DefineDef<'a>>,
    nodes: Vec<(&'a Arc<str>, &'a [Expr], &'a Block, String)>,
    vars: Vec<VarScope>,
    frames: Vec<Frame>,
    class_state: FxMap<String, ClassState>,
    rels: Vec<PendingRel>,
    collectors: Vec<Collector>,
    overrides: Vec<PendingOverride>,
    realize: Vec<(String, String, Arc<str>, Span)>,
    /// Collectors already in [`Model::collectors`] (file, span): one in a defined type is
    /// evaluated once per instance.
    collector_sites: FxSet<(Arc<str>, Span)>,
    template_specs: std::cell::OnceCell<Vec<(String, String)>>,
    file_specs: std::cell::OnceCell<Vec<(String, String)>>,
    /// Class bodies being evaluated inside one another right now (see
    /// [`MAX_CLASS_NESTING`]).
    class_depth: usize,
    /// Class bodies put off because their declarer was nested too deep; evaluated from the
    /// top once the current unit of code is done.
    deferred: Vec<DeferredClass<'a>>,
    /// Whether the note about deferred classes was made (once per model is enough).
    deferred_noted: bool,
    /// Bumped whenever a frame gets its first resource default, which invalidates every
    /// [`Frame::nearest_defaults`].
    defaults_version: u32,
    /// Variable (its scope, its name) -> the conditions whose branches assign it
    /// (`case $::osfamily { 'Debian': { $pkg = … } }`): a later `if $pkg` tests what they
    /// test too (see [`Ev::note_aliases`]).
    assigned_under: FxMap<(usize, SmolStr), Vec<u32>>,
    /// Variables assigned at top or node scope anywhere (see [`AssignedNames`]).
    assigned: AssignedNames,
    /// Built-in variables and facts, the repository's custom facts included.
    node_vars: NodeVariables,
}

/// Variable names assigned outside every class and define (top-level code of any
/// manifest, node bodies): the evaluator runs a class once, from one place, so a variable
/// some node sets before including it may not be in the scope it ran in. For a Puppet 3
/// repository, whose code may come from the days of dynamic scoping, every name assigned
/// anywhere.
#[derive(Default)]
struct AssignedNames {
    names: HashSet<SmolStr>,
}

impl AssignedNames {
    fn collect(files: &[ParsedFile<'_>], anywhere: bool) -> AssignedNames {
        let mut names = HashSet::new();
        let mut add = |e: &Expr| {
            if let ExprKind::Assign { lhs, .. } = &e.kind {
                for_each_expr(lhs, &mut |t| {
                    if let ExprKind::Variable(n) = &t.kind {
                        names.insert(SmolStr::new(n.trim_start_matches("::")));
                    }
                });
            }
        };
        for f in files {
            for st in &f.parsed.program.statements {
                if anywhere || !is_definition(st) || matches!(st.kind, ExprKind::NodeDef(_)) {
                    for_each_expr(st, &mut add);
                }
            }
        }
        AssignedNames { names }
    }
}

/// How many class bodies may be evaluated inside one another (`include a` in a class that
/// `include`s it, and so on) before the next one is put off and evaluated from the top
/// instead. Real code nests a few levels (role, profile, module, its parts); a chain of
/// thousands of generated classes must not exhaust the stack. A deferred class keeps its
/// parameters, scope and resource-default frames, so its resources come out the same; only
/// the order of evaluation changes (a reader of `$deep::var` before it runs sees an unknown).
const MAX_CLASS_NESTING: usize = 64;

/// A class body put off by [`MAX_CLASS_NESTING`].
struct DeferredClass<'a> {
    name: String,
    body: &'a Block,
    env: Env,
    res: ResId,
    scope: usize,
}

impl<'a> Ev<'a> {
    fn new(tree: &'a Tree, opts: &'a ModelOptions, modulepath: Vec<String>, hiera: Hiera) -> Self {
        let model = Model {
            modulepath,
            hiera,
            ..Model::default()
        };
        Ev {
            tree,
            opts,
            model,
            texts: FxMap::default(),
            class_defs: FxMap::default(),
            define_defs: FxMap::default(),
            nodes: Vec::new(),
            vars: vec![VarScope::default()],
            frames: vec![Frame {
                defaults: Vec::new(),
                parent: None,
                created: Vec::new(),
                nearest_defaults: (0, None),
            }],
            defaults_version: 1,
            class_state: FxMap::default(),
            rels: Vec::new(),
            collectors: Vec::new(),
            overrides: Vec::new(),
            realize: Vec::new(),
            collector_sites: FxSet::default(),
            template_specs: std::cell::OnceCell::new(),
            file_specs: std::cell::OnceCell::new(),
            class_depth: 0,
            deferred: Vec::new(),
            deferred_noted: false,
            assigned: AssignedNames::default(),
            node_vars: NodeVariables::default(),
            assigned_under: FxMap::default(),
        }
    }

    // ----- definitions -----

    fn collect_defs(&mut self, file: &'a Arc<str>, stmts: &'a [Expr], prefix: &str) {
        for s in stmts {
            match &s.kind {
                ExprKind::ClassDef(d) => {
                    let crate::ast::ClassDef {
                        name,
                        name_span,
                        params,
                        parent,
                        body,
                    } = &**d;
                    let full = qualify(prefix, name);
                    self.model
                        .classes
                        .entry(full.clone())
                        .or_insert(Definition {
                            file: file.clone(),
                            span: *name_span,
                        });
                    self.class_defs.entry(full.clone()).or_insert(ClassDef {
                        file,
                        params,
                        parent: parent.as_deref(),
                        body,
                    });
                    self.collect_defs(file, &body.statements, &full);
                }
                ExprKind::DefineDef(d) => {
                    let crate::ast::DefineDef {
                        name,
                        name_span,
                        params,
                        body,
                    } = &**d;
                    let full = qualify(prefix, name);
                    self.model
                        .defines
                        .entry(full.clone())
                        .or_insert(Definition {
                            file: file.clone(),
                            span: *name_span,
                        });
                    self.define_defs
                        .entry(full)
                        .or_insert(DefineDef { file, params, body });
                }
                ExprKind::NodeDef(d) if prefix.is_empty() => {
                    let crate::ast::NodeDef { names, body, .. } = &**d;
                    let text = self.texts.get(file).copied().unwrap_or("");
                    let label = node_label(text, names);
                    self.nodes.push((file, names, body, label));
                }
                _ => {}
            }
        }
    }

    fn is_define(&self, ty: &str) -> bool {
        self.define_defs.contains_key(ty)
    }

    // ----- driver -----

    fn run(&mut self, files: &'a [ParsedFile<'a>]) {
        let top_env = |file: &Arc<str>| Env {
            file: file.clone(),
            scope: 0,
            frame: 0,
            guard: Vec::new(),
            container: None,
            define_chain: Vec::new(),
            kind: Arc::new(Scope::Top),
            module: None,
            define_stack: Vec::new(),
        };
        // Top-level code of the environment's manifests (site.pp and friends).
        for f in files.iter().filter(|f| !f.in_module) {
            let env = top_env(&f.path);
            for s in &f.parsed.program.statements {
                if !is_definition(s) {
                    self.isolated(&f.path, |ev| {
                        ev.eval(s, &env);
                    });
                }
            }
        }
        // Node bodies: one branch each of a single condition.
        let nodes = std::mem::take(&mut self.nodes);
        let cond = (nodes.len() > 1).then(|| {
            let (file, _, body, _) = nodes[0];
            self.new_condition(
                file,
                body.span,
                ConditionKind::Node,
                "the agent's certname".into(),
                None,
            )
        });
        if let Some(c) = cond {
            self.model.conditions[c as usize].options =
                nodes.iter().map(|n| shorten(&n.3)).collect();
        }
        for (i, (file, _, body, label)) in nodes.iter().enumerate() {
            let mut env = top_env(file);
            env.scope = self.new_scope(Some(0));
            env.frame = self.new_frame(Some(0));
            env.kind = Arc::new(Scope::Node(SmolStr::new(label)));
            if let Some(c) = cond {
                env.guard.push(GuardStep {
                    cond: c,
                    branch: i as u32,
                });
            }
            self.isolated(file, |ev| {
                ev.exec_block(body, &env);
            });
            self.end_frame(env.frame);
        }
        // Every class nobody declared, once, with hiera/default parameters.
        // Classes that some manifest declares resource-like (`class { 'x': p => v }`) go
        // last, so that their declarer runs first and their parameters are the declared
        // ones (the role/profile pattern), not the defaults.
        let with_params = resource_like_class_names(files);
        let mut names: Vec<String> = self.class_defs.keys().cloned().collect();
        names.sort_by(|a, b| {
            (with_params.contains(a.as_str()), a).cmp(&(with_params.contains(b.as_str()), b))
        });
        for n in names {
            if !self.class_state.contains_key(&n) {
                let def = self.class_defs[&n];
                let env = top_env(def.file);
                self.isolated(def.file, |ev| {
                    ev.declare_class(&n, None, ClassHow::Undeclared, &env, Span::default());
                });
            }
        }
        self.end_frame(0);
    }

    /// Evaluate one unit of code (a top-level statement, a node body, a class nobody
    /// declared), then the classes it put off. A panic in it is recorded in
    /// [`Model::failures`] and evaluation goes on with the next unit: what the unit
    /// declared before failing stays, the rest of it is missing.
    fn isolated(&mut self, file: &Arc<str>, unit: impl FnOnce(&mut Self)) {
        let outcome = crate::isolate::catch(
            || "the evaluator".to_string(),
            || {
                let _reading = crate::isolate::reading(file);
                crate::isolate::inject("evaluator");
                unit(self);
                self.run_deferred();
            },
        );
        if let Err(failure) = outcome {
            // Unwound from any depth: the nesting count restarts, and classes put off
            // by the failed unit are dropped rather than evaluated half-way.
            self.class_depth = 0;
            self.deferred.clear();
            self.model.failures.push(failure);
        }
    }

    // ----- scopes -----

    fn new_scope(&mut self, parent: Option<usize>) -> usize {
        self.vars.push(VarScope {
            vars: Vars::default(),
            parent,
        });
        self.vars.len() - 1
    }

    /// Frees the variables of a scope no one can read any more: a defined-type instance's
    /// or a lambda's once its body has run (only the environment of the body names it;
    /// class scopes, which `$class::var` reads later, and node scopes are never ended).
    /// On a 20,000-manifest revision the finished instances' variables were about 10 MB
    /// per side at the peak of a check.
    fn end_scope(&mut self, scope: usize) {
        if scope + 1 == self.vars.len() {
            self.vars.pop();
        } else {
            self.vars[scope].vars = Vars::default();
        }
    }

    fn new_frame(&mut self, parent: Option<usize>) -> usize {
        self.frames.push(Frame {
            defaults: Vec::new(),
            parent,
            created: Vec::new(),
            nearest_defaults: (0, None),
        });
        self.frames.len() - 1
    }

    /// A new condition over `tested` (the `if` condition, the `case` subject; `None` for
    /// the node bodies) whose branches are all evaluated.
    fn new_condition(
        &mut self,
        file: &Arc<str>,
        span: Span,
        kind: ConditionKind,
        subject: String,
        tested: Option<&Expr>,
    ) -> u32 {
        let mut variables = Vec::new();
        let mut tests_defined = false;
        if let Some(e) = tested {
            tested_facts(e, &mut variables, &mut tests_defined);
        }
        self.model.conditions.push(Condition {
            file: file.clone(),
            span,
            kind,
            subject,
            variables,
            tests_defined,
            options: Vec::new(),
        });
        (self.model.conditions.len() - 1) as u32
    }

    /// Add to condition `id` the variables its local variables copy: after
    /// `$m = $manage`, `if $m` tests `$manage` too (a class parameter's unknown value names
    /// it), so a condition on `$manage` elsewhere is seen to be the same.
    pub(super) fn note_aliases(&mut self, id: u32, env: &Env) {
        let Some(c) = self.model.conditions.get(id as usize) else {
            return;
        };
        let names: Vec<SmolStr> = c
            .variables
            .iter()
            .filter(|v| v.key.is_none())
            .map(|v| v.name.clone())
            .collect();
        let mut extra = Vec::new();
        // A variable assigned in branches of other conditions: `$pkg` set per
        // `$::osfamily` tests the operating system.
        for n in &names {
            let Some(key) = self.var_scope(n, env) else {
                continue;
            };
            for &cond in self.assigned_under.get(&key).into_iter().flatten() {
                if cond != id {
                    if let Some(c) = self.model.conditions.get(cond as usize) {
                        extra.extend(c.variables.iter().cloned());
                    }
                }
            }
        }
        for n in names {
            if let Value::Symbolic(sym) = self.lookup_var(&n, env) {
                if let [SymPart::Unknown(what)] = sym.parts.as_slice() {
                    let name_like = what.trim_start_matches("::").split("::").all(|seg| {
                        !seg.is_empty()
                            && seg.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
                    });
                    let last = |x: &str| x.rsplit("::").next().unwrap_or(x).to_owned();
                    if name_like && last(what) != last(&n) {
                        extra.push(TestedVariable {
                            name: what.clone(),
                            key: None,
                        });
                    }
                }
            }
        }
        let c = &mut self.model.conditions[id as usize];
        for v in extra {
            if !c.variables.contains(&v) {
                c.variables.push(v);
            }
        }
    }

    /// Record that `name` is assigned in `env`'s scope under the branches of its guard.
    pub(super) fn note_assignment(&mut self, name: &str, env: &Env) {
        if env.guard.is_empty() {
            return;
        }
        let conds = self
            .assigned_under
            .entry((env.scope, SmolStr::new(name)))
            .or_default();
        for g in &env.guard {
            if !conds.contains(&g.cond) && conds.len() < 8 {
                conds.push(g.cond);
            }
        }
    }

    /// Make `name` unknown in `scope` from here on (whatever it was bound to).
    fn forget_var(&mut self, scope: usize, name: &str) {
        self.vars[scope]
            .vars
            .insert(SmolStr::new(name), Value::unknown(name));
    }

    fn set_var(&mut self, scope: usize, name: &str, v: Value) {
        let vars = &mut self.vars[scope].vars;
        match vars.get_mut(name) {
            // Puppet variables are immutable: a second assignment in the same scope can only
            // come from another branch of an unknown condition.
            Some(old) if *old != v => {
                let prev = std::mem::replace(old, Value::Undef);
                *old = Value::one_of(vec![prev, v]);
            }
            Some(_) => {}
            None => {
                vars.insert(SmolStr::new(name), v);
            }
        }
    }

    fn lookup_var(&mut self, name: &str, env: &Env) -> Value {
        self.resolve_var(name, env)
            .unwrap_or_else(|unknown| unknown)
    }

    /// `$name` read at `span`: its value, and when nothing defines it, a record in
    /// [`Model::unbound_vars`] (see [`Self::defined_elsewhere`]).
    pub(super) fn read_var(&mut self, name: &str, span: Span, env: &Env) -> Value {
        match self.resolve_var(name, env) {
            Ok(v) => v,
            Err(v) => {
                if !self.defined_elsewhere(name, env) {
                    let unknown = match &v {
                        Value::Symbolic(s) => match s.parts.as_slice() {
                            [SymPart::Unknown(u)] => u.clone(),
                            _ => SmolStr::new(name),
                        },
                        _ => SmolStr::new(name),
                    };
                    self.model.unbound_vars.push(UnboundVar {
                        file: env.file.clone(),
                        span,
                        name: SmolStr::new(name),
                        unknown,
                    });
                }
                v
            }
        }
    }

    /// The value of `$name` in `env`, or `Err` with the unknown standing for it when no
    /// scope the evaluation can see binds it: an unqualified name not in the scope chain,
    /// `$::x` not at top scope, `$a::b::x` where the repository's class `a::b` has been
    /// evaluated and does not set `x`. A qualified name of a class the repository does
    /// not hold (a module from elsewhere), or of one still being evaluated, is an unknown
    /// value, not an unbound one.
    fn resolve_var(&mut self, name: &str, env: &Env) -> Result<Value, Value> {
        if let Some(rest) = name.strip_prefix("::") {
            if !rest.contains("::") {
                return self.vars[0]
                    .vars
                    .get(rest)
                    .cloned()
                    .ok_or_else(|| Value::unknown(format!("::{rest}")));
            }
            return self.lookup_qualified(rest, env);
        }
        if name.contains("::") {
            return self.lookup_qualified(name, env);
        }
        match name {
            "facts" | "trusted" | "server_facts" => return Ok(Value::unknown(name)),
            _ => {}
        }
        let mut s = Some(env.scope);
        while let Some(i) = s {
            if let Some(v) = self.vars[i].vars.get(name) {
                return Ok(v.clone());
            }
            s = self.vars[i].parent;
        }
        Err(Value::unknown(name))
    }

    /// The scope that binds variable `name` where `env` reads it, with the name as bound
    /// there: the search of [`Ev::resolve_var`], without declaring any class.
    fn var_scope(&self, name: &str, env: &Env) -> Option<(usize, SmolStr)> {
        let found = |mut s: Option<usize>, var: &str, skip_top: bool| {
            while let Some(i) = s {
                if self.vars[i].vars.get(var).is_some() {
                    return Some((i, SmolStr::new(var)));
                }
                s = self.vars[i].parent.filter(|&p| !skip_top || p != 0);
            }
            None
        };
        match name.strip_prefix("::") {
            Some(rest) if !rest.contains("::") => found(Some(0), rest, false),
            _ => match name.trim_start_matches("::").rsplit_once("::") {
                Some((class, var)) => match self.class_state.get(&class.to_ascii_lowercase()) {
                    Some(ClassState::Done { scope, .. } | ClassState::Evaluating { scope, .. }) => {
                        found(Some(*scope), var, true)
                    }
                    None => None,
                },
                None => found(Some(env.scope), name, false),
            },
        }
    }

    fn lookup_qualified(&mut self, name: &str, env: &Env) -> Result<Value, Value> {
        let Some((class, var)) = name.rsplit_once("::") else {
            return Ok(Value::unknown(name));
        };
        let class = class.to_ascii_lowercase();
        if !self.class_state.contains_key(&class) && self.class_defs.contains_key(&class) {
            self.declare_class(&class, None, ClassHow::Lookup, env, Span::default());
        }
        match self.class_state.get(&class) {
            Some(ClassState::Done { scope, .. } | ClassState::Evaluating { scope, .. }) => {
                let done = matches!(self.class_state.get(&class), Some(ClassState::Done { .. }));
                let mut s = Some(*scope);
                while let Some(i) = s {
                    if let Some(v) = self.vars[i].vars.get(var) {
                        return Ok(v.clone());
                    }
                    // Inherited classes' variables are visible through the child.
                    s = self.vars[i].parent.filter(|&p| p != 0);
                }
                if done && !self.inherits_unknown(&class) {
                    Err(Value::unknown(name))
                } else {
                    Ok(Value::unknown(name))
                }
            }
            None => Ok(Value::unknown(name)),
        }
    }

    /// Whether `class` or one of its ancestors inherits a class the repository does not
    /// hold (whose variables the evaluation cannot see).
    fn inherits_unknown(&self, class: &str) -> bool {
        let mut c = class.to_owned();
        for _ in 0..MAX_CLASS_NESTING {
            let Some(parent) = self.class_defs.get(&c).and_then(|d| d.parent) else {
                return false;
            };
            c = normalize_key("class", parent);
            if !self.class_defs.contains_key(&c) {
                return true;
            }
        }
        false
    }

    /// Whether a name no scope of `env` binds may still be defined where the evaluation
    /// cannot see it: a built-in variable or a fact, a variable some node or top-level code
    /// assigns, a class whose parent comes from elsewhere.
    fn defined_elsewhere(&self, name: &str, env: &Env) -> bool {
        let bare = name.trim_start_matches("::");
        if bare.contains("::") {
            return false;
        }
        if self.node_vars.provides(bare) || self.assigned.names.contains(bare) {
            return true;
        }
        match &*env.kind {
            Scope::Class(c) => !name.starts_with("::") && self.inherits_unknown(c),
            _ => false,
        }
    }

    fn text(&self, file: &Arc<str>) -> &'a str {
        self.texts.get(file).copied().unwrap_or("")
    }

    fn note(&mut self, env: &Env, span: Span, message: String) {
        self.model.notes.push(EvalNote {
            file: env.file.clone(),
            span,
            message,
        });
    }

    /// The model and what is left to [`resolve`]. The evaluator's scopes hold many values:
    /// they are freed off the critical path.
    fn into_parts(mut self) -> (Model, Pending) {
        let scratch = (
            std::mem::take(&mut self.vars),
            std::mem::take(&mut self.frames),
        );
        std::thread::spawn(move || drop(scratch));
        self.model.unbound_vars.sort();
        self.model.unbound_vars.dedup();
        let pending = Pending {
            rels: self.rels,
            collectors: self.collectors,
            overrides: self.overrides,
            realize: self.realize,
        };
        (self.model, pending)
    }
}

/// Names in `class { 'name': … }` declarations (quoted literal names), anywhere in the
/// code.
fn resource_like_class_names(files: &[ParsedFile<'_>]) -> HashSet<String> {
    files
        .iter()
        .flat_map(|f| f.walk.class_resources.iter().cloned())
        .collect()
}

/// The variables `e` (a condition's tested expression) reads, each once, and whether it
/// calls `defined()` or `defined_with_params()`.
fn tested_facts(e: &Expr, vars: &mut Vec<TestedVariable>, tests_defined: &mut bool) {
    let mut push = |name: &SmolStr, key: Option<SmolStr>| {
        let v = TestedVariable {
            name: name.clone(),
            key,
        };
        if !vars.contains(&v) {
            vars.push(v);
        }
    };
    let is_defined = |n: &str| {
        matches!(
            n.trim_start_matches("::"),
            "defined" | "defined_with_params"
        )
    };
    // Variables read through a literal index (`$facts['os']`), seen from the access.
    let mut keyed: Vec<Span> = Vec::new();
    for_each_expr(e, &mut |x| match &x.kind {
        ExprKind::Access { target, args } => {
            if let ExprKind::Variable(n) = &target.kind {
                let key = match args.first().map(|a| &a.kind) {
                    Some(ExprKind::Str(k) | ExprKind::Name(k) | ExprKind::Word(k)) => Some(k),
                    _ => None,
                };
                if let Some(k) = key {
                    keyed.push(target.span);
                    push(n, Some(k.clone()));
                }
            }
        }
        ExprKind::Variable(n) if !keyed.contains(&x.span) => push(n, None),
        ExprKind::Call { func, .. } => {
            if matches!(&func.kind, ExprKind::Name(n) if is_defined(n)) {
                *tests_defined = true;
            }
        }
        ExprKind::MethodCall(m) if is_defined(&m.name) => *tests_defined = true,
        _ => {}
    });
}

/// Call `f` on `e` and on every expression inside it, parents first: operands, values,
/// blocks, lambda bodies, parameter defaults and definitions' bodies.
pub(super) fn for_each_expr<'e>(e: &'e Expr, f: &mut dyn FnMut(&'e Expr)) {
    fn all<'e>(xs: &'e [Expr], f: &mut dyn FnMut(&'e Expr)) {
        for x in xs {
            for_each_expr(x, f);
        }
    }
    fn params<'e>(ps: &'e [Param], f: &mut dyn FnMut(&'e Expr)) {
        for p in ps {
            if let Some(t) = &p.type_expr {
                for_each_expr(t, f);
            }
            if let Some(d) = &p.default {
                for_each_expr(d, f);
            }
        }
    }
    fn attrs<'e>(xs: &'e [AttrOp], f: &mut dyn FnMut(&'e Expr)) {
        for a in xs {
            for_each_expr(&a.value, f);
        }
    }
    fn lambda<'e>(l: &'e Option<Box<Lambda>>, f: &mut dyn FnMut(&'e Expr)) {
        if let Some(l) = l {
            params(&l.params, f);
            all(&l.body.statements, f);
        }
    }
    f(e);
    match &e.kind {
        ExprKind::Interpolated(parts) => {
            for p in parts {
                if let StrPart::Expr(x) = p {
                    for_each_expr(x, f);
                }
            }
        }
        ExprKind::Heredoc { text: x, .. }
        | ExprKind::Paren(x)
        | ExprKind::Unary { operand: x, .. } => for_each_expr(x, f),
        ExprKind::Array(xs) => all(xs, f),
        ExprKind::Hash(es) => {
            for h in es {
                for_each_expr(&h.key, f);
                for_each_expr(&h.value, f);
            }
        }
        ExprKind::Binary { lhs, rhs, .. }
        | ExprKind::Assign { lhs, rhs, .. }
        | ExprKind::Relationship { lhs, rhs, .. } => {
            for_each_expr(lhs, f);
            for_each_expr(rhs, f);
        }
        ExprKind::Selector { subject, entries } => {
            for_each_expr(subject, f);
            for s in entries {
                for_each_expr(&s.key, f);
                for_each_expr(&s.value, f);
            }
        }
        ExprKind::Access { target, args } => {
            for_each_expr(target, f);
            all(args, f);
        }
        ExprKind::Call {
            func,
            args,
            lambda: l,
            ..
        } => {
            for_each_expr(func, f);
            all(args, f);
            lambda(l, f);
        }
        ExprKind::MethodCall(m) => {
            for_each_expr(&m.receiver, f);
            all(&m.args, f);
            lambda(&m.lambda, f);
        }
        ExprKind::If(c) | ExprKind::Unless(c) => {
            for_each_expr(&c.cond, f);
            all(&c.then_branch.statements, f);
            if let Some(b) = &c.else_branch {
                all(&b.statements, f);
            }
        }
        ExprKind::Case { subject, options } => {
            for_each_expr(subject, f);
            for o in options {
                all(&o.values, f);
                all(&o.body.statements, f);
            }
        }
        ExprKind::Resource {
            type_expr, bodies, ..
        } => {
            for_each_expr(type_expr, f);
            for b in bodies {
                for_each_expr(&b.title, f);
                attrs(&b.attrs, f);
            }
        }
        ExprKind::ResourceDefaults {
            type_ref: x,
            attrs: a,
            ..
        }
        | ExprKind::ResourceOverride {
            target: x,
            attrs: a,
            ..
        } => {
            for_each_expr(x, f);
            attrs(a, f);
        }
        ExprKind::Collector {
            type_ref,
            query,
            overrides,
            ..
        } => {
            for_each_expr(type_ref, f);
            if let Some(q) = query {
                for_each_expr(q, f);
            }
            if let Some(o) = overrides {
                attrs(o, f);
            }
        }
        ExprKind::ClassDef(d) => {
            params(&d.params, f);
            all(&d.body.statements, f);
        }
        ExprKind::DefineDef(d) => {
            params(&d.params, f);
            all(&d.body.statements, f);
        }
        ExprKind::NodeDef(d) => {
            all(&d.names, f);
            if let Some(p) = &d.parent {
                for_each_expr(p, f);
            }
            all(&d.body.statements, f);
        }
        ExprKind::FunctionDef(d) => {
            params(&d.params, f);
            if let Some(t) = &d.return_type {
                for_each_expr(t, f);
            }
            all(&d.body.statements, f);
        }
        ExprKind::TypeAlias(d) => {
            all(&d.params, f);
            for_each_expr(&d.value, f);
        }
        ExprKind::TypeDef(d) => all(&d.body.statements, f),
        ExprKind::PlanDef(d) => {
            params(&d.params, f);
            all(&d.body.statements, f);
        }
        ExprKind::Apply(d) => {
            all(&d.args, f);
            all(&d.body.statements, f);
        }
        ExprKind::Variable(_)
        | ExprKind::Name(_)
        | ExprKind::Word(_)
        | ExprKind::ClassRef(_)
        | ExprKind::Integer { .. }
        | ExprKind::Float(_)
        | ExprKind::Str(_)
        | ExprKind::Regex(_)
        | ExprKind::Bool(_)
        | ExprKind::Undef
        | ExprKind::Default
        | ExprKind::Reserved(_)
        | ExprKind::Error => {}
    }
}

fn qualify(prefix: &str, name: &str) -> String {
    let name = name.trim_start_matches("::").to_ascii_lowercase();
    if prefix.is_empty() || name.contains("::") {
        name
    } else {
        format!("{prefix}::{name}")
    }
}

fn is_definition(e: &Expr) -> bool {
    matches!(
        e.kind,
        ExprKind::ClassDef(_)
            | ExprKind::DefineDef(_)
            | ExprKind::NodeDef(_)
            | ExprKind::FunctionDef(_)
            | ExprKind::TypeAlias(_)
            | ExprKind::TypeDef(_)
            | ExprKind::PlanDef(_)
    )
}

/// Source text of a span, on one line, shortened.
/// `text` on one line, at most 60 characters, for an option label in a message.
pub(super) fn shorten(text: &str) -> String {
    let one: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match one.char_indices().nth(60) {
        Some((i, _)) => format!("{}…", &one[..i]),
        None => one,
    }
}

/// The label of a node block in [`super::Scope::Node`]: its names as written.
pub(crate) fn node_label(text: &str, names: &[Expr]) -> String {
    names
        .iter()
        .map(|n| src(text, n.span))
        .collect::<Vec<_>>()
        .join(", ")
}

pub(super) fn src(text: &str, span: Span) -> String {
    let s = text.get(span.range()).unwrap_or("");
    if s.len() <= 80 && !s.contains(['\n', '\t', '\r']) && !s.contains("  ") {
        return s.to_string();
    }
    let one: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if one.chars().count() > 80 {
        let mut t: String = one.chars().take(77).collect();
        t.push('…');
        t
    } else {
        one
    }
}

/// Known references in a value (arrays flattened; symbolic titles skipped).
pub(super) fn collect_refs(v: &Value, out: &mut Vec<(String, String)>) {
    match v {
        Value::Ref { ty, title } => {
            if let Value::Str(t) = &**title {
                out.push((ty.to_string(), t.to_string()));
            } else if let Some(k) = symbolic_key(title) {
                out.push((ty.to_string(), k));
            } else if let Value::Array(ts) = &**title {
                for t in ts.iter() {
                    if let Value::Str(t) = t {
                        out.push((ty.to_string(), t.to_string()));
                    }
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|x| collect_refs(x, out)),
        Value::OneOf(a) => a.iter().for_each(|x| collect_refs(x, out)),
        _ => {}
    }
}
