//! Static evaluation of parsed manifests into resources (see the policy in `mod.rs`).

use std::collections::HashMap;
use std::sync::Arc;

use super::functions::call_pure;
use super::hiera::Hiera;
use super::value::{FileRef, SymPart, Value};
use super::{
    normalize_key, Attr, AttrOrigin, Condition, Definition, Edge, EvalNote, GuardStep, Model,
    ModelOptions, Origin, ResId, Resource, Scope, UnresolvedRef,
};
use crate::ast::SmolStr;
use crate::ast::{
    AssignOp, AttrOp, AttrOperator, BinaryOp, Block, Expr, ExprKind, Lambda, Param, RelOp,
    ResourceBody, ResourceForm, Span, StrPart, UnaryOp,
};
use crate::input::Tree;
use crate::parser::Parsed;

use super::ParseCache;

/// Upper bound on iterations of `each`/`map` over one collection.
const MAX_ITER: usize = 10_000;

const METAPARAMS: [&str; 4] = ["require", "before", "notify", "subscribe"];

/// Data types that look like resource references when indexed (`Optional[String]`).
const DATA_TYPES: [&str; 30] = [
    "any",
    "array",
    "boolean",
    "callable",
    "catalogentry",
    "collection",
    "data",
    "default",
    "enum",
    "float",
    "hash",
    "integer",
    "iterable",
    "iterator",
    "notundef",
    "numeric",
    "optional",
    "pattern",
    "regexp",
    "runtime",
    "scalar",
    "semver",
    "semverrange",
    "sensitive",
    "string",
    "struct",
    "timespan",
    "timestamp",
    "tuple",
    "variant",
];

/// Built-in resource types of Puppet 7 (and its core modules) that have no `define`.
const BUILTIN_TYPES: [&str; 30] = [
    "file",
    "service",
    "package",
    "exec",
    "user",
    "group",
    "cron",
    "host",
    "mount",
    "notify",
    "schedule",
    "stage",
    "tidy",
    "filebucket",
    "resources",
    "ssh_authorized_key",
    "sshkey",
    "augeas",
    "selboolean",
    "selmodule",
    "yumrepo",
    "zfs",
    "zone",
    "zpool",
    "mailalias",
    "k5login",
    "maillist",
    "router",
    "anchor",
    "concat",
];

pub(super) fn build(tree: &Tree, opts: &ModelOptions, cache: &ParseCache) -> Model {
    let t0 = std::time::Instant::now();
    let modulepath = read_modulepath(tree, opts);
    let hiera = Hiera::load(tree, opts.hiera_files.as_deref(), &modulepath);

    let manifests: Vec<(&str, &Arc<crate::input::Blob>)> = tree
        .files
        .iter()
        .filter(|(p, e)| crate::input::is_manifest(p) && e.kind != crate::input::EntryKind::Symlink)
        .map(|(p, e)| (p.as_str(), &e.blob))
        .collect();
    let blobs: Vec<&Arc<crate::input::Blob>> = manifests.iter().map(|(_, b)| *b).collect();
    let parsed = cache.parse_all(&blobs);
    let t_parse = t0.elapsed();
    let files: Vec<ParsedFile> = manifests
        .iter()
        .zip(parsed)
        .filter_map(|((path, blob), p)| {
            Some(ParsedFile {
                path: Arc::from(*path),
                text: blob.text()?,
                parsed: p?,
                in_module: module_of_path(&modulepath, path).is_some(),
            })
        })
        .collect();

    let mut ev = Ev::new(tree, opts, modulepath, hiera);
    ev.model.stats.manifests = files.len();
    ev.model.stats.manifests_with_syntax_errors =
        files.iter().filter(|f| !f.parsed.errors.is_empty()).count();
    for f in &files {
        ev.texts.insert(f.path.clone(), f.text);
        ev.collect_defs(&f.path, &f.parsed.program.statements, "");
    }
    ev.model.root_module = super::layout::root_module(
        tree,
        ev.class_defs.iter().map(|(n, d)| (n.as_str(), &**d.file)),
    );
    let (mut m, t_eval) = on_large_stack(|| {
        ev.run(&files);
        let t_eval = t0.elapsed();
        (ev.finish(), t_eval)
    });
    m.stats.timings = vec![
        ("parse", t_parse),
        ("evaluate", t_eval - t_parse),
        ("relations+index", t0.elapsed() - t_eval),
    ];
    m
}

/// Stack of the thread that evaluates a revision. Evaluation recurses along the code
/// (blocks, expressions, lambdas, defines, classes declaring classes); every one of those is
/// bounded (the parser's nesting limit, [`ModelOptions::max_define_depth`],
/// [`MAX_CLASS_NESTING`]), and their product fits comfortably here even in a debug build.
/// Only the pages touched are ever resident.
const EVAL_STACK: usize = 256 * 1024 * 1024;

/// Run `f` on a thread of its own with [`EVAL_STACK`] of stack, passing a panic on to the
/// caller as it was (so `rules::run`'s isolation sees it).
fn on_large_stack<T: Send>(f: impl FnOnce() -> T + Send) -> T {
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

/// A `case` option value that is a plain literal, compared as written (see
/// [`literal_key`]).
type LiteralKey = crate::ast::ExprKind;

/// The option value `e` when it is a plain literal (a string without interpolation, a
/// bare word, a number or a boolean): two equal ones always match the same subjects.
fn literal_key(e: &Expr) -> Option<&LiteralKey> {
    match &e.kind {
        k @ (ExprKind::Str(_)
        | ExprKind::Name(_)
        | ExprKind::Word(_)
        | ExprKind::Integer { .. }
        | ExprKind::Bool(_)) => Some(k),
        _ => None,
    }
}

struct ParsedFile<'a> {
    path: Arc<str>,
    text: &'a str,
    parsed: Arc<Parsed>,
    in_module: bool,
}

/// `modulepath = a:b:$basemodulepath` in `environment.conf`, relative entries only. Without
/// a configured modulepath or an `environment.conf`: `modules`, then every other directory
/// that holds modules (`vendor/modules/<name>/manifests/…`), see
/// [`super::layout::inferred_module_dirs`].
fn read_modulepath(tree: &Tree, opts: &ModelOptions) -> Vec<String> {
    if let Some(mp) = &opts.modulepath {
        return mp.clone();
    }
    if let Some(text) = tree.text("environment.conf") {
        for line in text.lines() {
            let line = line.trim();
            if let Some(rest) = line.strip_prefix("modulepath") {
                if let Some(v) = rest.trim_start().strip_prefix('=') {
                    let entries: Vec<String> = v
                        .trim()
                        .trim_matches('"')
                        .split(':')
                        .map(|e| e.trim().trim_start_matches("./").trim_end_matches('/'))
                        .filter(|e| !e.is_empty() && !e.starts_with('$') && !e.starts_with('/'))
                        .map(String::from)
                        .collect();
                    if !entries.is_empty() {
                        return entries;
                    }
                }
            }
        }
    }
    let mut mp = vec!["modules".to_string()];
    mp.extend(super::layout::inferred_module_dirs(tree));
    mp
}

/// The module a repository path belongs to (`modules/k8s/manifests/x.pp` -> `k8s`). The
/// root `manifests/` of a module repository stay environment manifests here: their
/// top-level code is evaluated, as before the root module was recognised.
pub(super) fn module_of_path<'p>(modulepath: &[String], path: &'p str) -> Option<&'p str> {
    for mp in modulepath {
        let rest = if mp == "." || mp.is_empty() {
            Some(path)
        } else {
            path.strip_prefix(mp.as_str())
                .and_then(|r| r.strip_prefix('/'))
        };
        if let Some(rest) = rest {
            if let Some((m, _)) = rest.split_once('/') {
                return Some(m);
            }
        }
    }
    None
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
    kind: Scope,
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
    via: &'static str,
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
    texts: HashMap<Arc<str>, &'a str>,
    class_defs: HashMap<String, ClassDef<'a>>,
    define_defs: HashMap<String, DefineDef<'a>>,
    nodes: Vec<(&'a Arc<str>, &'a [Expr], &'a Block, String)>,
    vars: Vec<VarScope>,
    frames: Vec<Frame>,
    class_state: HashMap<String, ClassState>,
    keys: HashMap<(String, String), Vec<ResId>>,
    rels: Vec<PendingRel>,
    collectors: Vec<Collector>,
    overrides: Vec<PendingOverride>,
    realize: Vec<(String, String, Arc<str>, Span)>,
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
}

/// How many class bodies may be evaluated inside one another (`include a` in a class that
/// `include`s it, and so on) before the next one is put off and evaluated from the top
/// instead. Real code nests a few levels (role, profile, module, its parts); a chain of
/// thousands of generated classes must not exhaust the stack. A deferred class keeps its
/// parameters, scope and resource-default frames, so its resources come out the same; only
/// the order of evaluation changes (a reader of `$deep::var` before it runs sees an unknown).
pub(super) const MAX_CLASS_NESTING: usize = 64;

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
            texts: HashMap::new(),
            class_defs: HashMap::new(),
            define_defs: HashMap::new(),
            nodes: Vec::new(),
            vars: vec![VarScope::default()],
            frames: vec![Frame {
                defaults: Vec::new(),
                parent: None,
                created: Vec::new(),
                nearest_defaults: (0, None),
            }],
            defaults_version: 1,
            class_state: HashMap::new(),
            keys: HashMap::new(),
            rels: Vec::new(),
            collectors: Vec::new(),
            overrides: Vec::new(),
            realize: Vec::new(),
            template_specs: std::cell::OnceCell::new(),
            file_specs: std::cell::OnceCell::new(),
            class_depth: 0,
            deferred: Vec::new(),
            deferred_noted: false,
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
                    let label = names
                        .iter()
                        .map(|n| src(text, n.span))
                        .collect::<Vec<_>>()
                        .join(", ");
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
            kind: Scope::Top,
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
            self.new_condition(file, body.span, "node", "the agent's certname".into())
        });
        for (i, (file, _, body, label)) in nodes.iter().enumerate() {
            let mut env = top_env(file);
            env.scope = self.new_scope(Some(0));
            env.frame = self.new_frame(Some(0));
            env.kind = Scope::Node(SmolStr::new(label));
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

    fn new_frame(&mut self, parent: Option<usize>) -> usize {
        self.frames.push(Frame {
            defaults: Vec::new(),
            parent,
            created: Vec::new(),
            nearest_defaults: (0, None),
        });
        self.frames.len() - 1
    }

    fn new_condition(
        &mut self,
        file: &Arc<str>,
        span: Span,
        kind: &'static str,
        subject: String,
    ) -> u32 {
        self.model.conditions.push(Condition {
            file: file.clone(),
            span,
            kind,
            subject,
        });
        (self.model.conditions.len() - 1) as u32
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
        if let Some(rest) = name.strip_prefix("::") {
            if !rest.contains("::") {
                return self.vars[0]
                    .vars
                    .get(rest)
                    .cloned()
                    .unwrap_or_else(|| Value::unknown(format!("::{rest}")));
            }
            return self.lookup_qualified(rest, env);
        }
        if name.contains("::") {
            return self.lookup_qualified(name, env);
        }
        match name {
            "facts" | "trusted" | "server_facts" => return Value::unknown(name),
            _ => {}
        }
        let mut s = Some(env.scope);
        while let Some(i) = s {
            if let Some(v) = self.vars[i].vars.get(name) {
                return v.clone();
            }
            s = self.vars[i].parent;
        }
        Value::unknown(name)
    }

    fn lookup_qualified(&mut self, name: &str, env: &Env) -> Value {
        let Some((class, var)) = name.rsplit_once("::") else {
            return Value::unknown(name);
        };
        let class = class.to_ascii_lowercase();
        if !self.class_state.contains_key(&class) && self.class_defs.contains_key(&class) {
            self.declare_class(&class, None, ClassHow::Lookup, env, Span::default());
        }
        match self.class_state.get(&class) {
            Some(ClassState::Done { scope, .. } | ClassState::Evaluating { scope, .. }) => {
                let mut s = Some(*scope);
                while let Some(i) = s {
                    if let Some(v) = self.vars[i].vars.get(var) {
                        return v.clone();
                    }
                    // Inherited classes' variables are visible through the child.
                    s = self.vars[i].parent.filter(|&p| p != 0);
                }
                Value::unknown(name)
            }
            None => Value::unknown(name),
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

    // ----- statements -----

    /// `if` (`kind == "if"`) or `unless`: a known condition runs one branch; an unknown one
    /// runs both, each under its own guard of one new condition.
    fn conditional(
        &mut self,
        cond: &'a Expr,
        then_branch: &'a Block,
        else_branch: Option<&'a Block>,
        kind: &'static str,
        env: &Env,
    ) -> Value {
        let c = self.eval(cond, env);
        let runs_then = c.truthy().map(|t| t == (kind == "if"));
        match runs_then {
            Some(true) => self.exec_block(then_branch, env),
            Some(false) => match else_branch {
                Some(b) => self.exec_block(b, env),
                None => Value::Undef,
            },
            None => {
                let subject = src(self.text(&env.file), cond.span);
                let id = self.new_condition(&env.file, cond.span, kind, subject);
                let e1 = self.with_guard(env, id, 0);
                self.exec_block(then_branch, &e1);
                if let Some(b) = else_branch {
                    let e2 = self.with_guard(env, id, 1);
                    self.exec_block(b, &e2);
                }
                Value::unknown(kind)
            }
        }
    }

    fn exec_block(&mut self, b: &'a Block, env: &Env) -> Value {
        let mut last = Value::Undef;
        for s in &b.statements {
            last = self.eval(s, env);
        }
        last
    }

    fn with_guard(&mut self, env: &Env, cond: u32, branch: u32) -> Env {
        let mut e = env.clone();
        e.guard.push(GuardStep { cond, branch });
        e
    }

    // ----- expressions -----

    fn eval(&mut self, e: &'a Expr, env: &Env) -> Value {
        match &e.kind {
            ExprKind::Variable(n) => self.lookup_var(n, env),
            ExprKind::Name(n) | ExprKind::Word(n) => Value::Str(n.clone()),
            ExprKind::ClassRef(n) => Value::Type(n.clone()),
            ExprKind::Integer { value, .. } => Value::Int(*value),
            ExprKind::Float(f) => Value::Float(*f),
            ExprKind::Str(s) => Value::Str(s.clone()),
            ExprKind::Interpolated(parts) => {
                // Alternatives multiply (a selector inside a string gives one string per
                // branch), up to a small bound; beyond it the part is unknown.
                let mut acc: Vec<Vec<SymPart>> = vec![Vec::new()];
                for p in parts {
                    let alts: Vec<Vec<SymPart>> = match p {
                        StrPart::Text(t, _) => vec![vec![SymPart::Lit(t.clone())]],
                        StrPart::Expr(x) => {
                            let v = self.eval(x, env);
                            let shown = || {
                                src(self.text(&env.file), x.span)
                                    .trim_start_matches('$')
                                    .to_string()
                            };
                            let one = |v: &Value| match v {
                                Value::Symbolic(s) => s.parts.clone(),
                                v => match v.to_text() {
                                    Some(t) => vec![SymPart::Lit(t.into())],
                                    None => vec![SymPart::Unknown(shown().into())],
                                },
                            };
                            match &v {
                                Value::OneOf(vs) if acc.len() * vs.len() <= 16 => {
                                    vs.iter().map(one).collect()
                                }
                                Value::OneOf(_) => vec![vec![SymPart::Unknown(shown().into())]],
                                v => vec![one(v)],
                            }
                        }
                    };
                    if alts.len() == 1 {
                        for a in &mut acc {
                            a.extend(alts[0].iter().cloned());
                        }
                    } else {
                        acc = acc
                            .iter()
                            .flat_map(|a| {
                                alts.iter().map(move |b| {
                                    let mut c = a.clone();
                                    c.extend(b.iter().cloned());
                                    c
                                })
                            })
                            .collect();
                    }
                }
                Value::one_of(acc.into_iter().map(Value::from_parts).collect())
            }
            ExprKind::Heredoc { text, .. } => self.eval(text, env),
            ExprKind::Regex(r) => Value::Regex(r.clone()),
            ExprKind::Bool(b) => Value::Bool(*b),
            ExprKind::Undef => Value::Undef,
            ExprKind::Default => Value::Default,
            ExprKind::Reserved(r) => Value::Str(r.clone()),
            ExprKind::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                for i in items {
                    if let ExprKind::Unary {
                        op: UnaryOp::Splat,
                        operand,
                    } = &i.kind
                    {
                        match self.eval(operand, env) {
                            Value::Array(a) => out.extend(a),
                            v => out.push(v),
                        }
                    } else {
                        out.push(self.eval(i, env));
                    }
                }
                Value::Array(out).capped()
            }
            ExprKind::Hash(entries) => Value::Hash(
                entries
                    .iter()
                    .map(|h| (self.eval(&h.key, env), self.eval(&h.value, env)))
                    .collect(),
            )
            .capped(),
            ExprKind::Paren(x) => self.eval(x, env),
            ExprKind::Unary { op, operand } => {
                let v = self.eval(operand, env);
                match op {
                    UnaryOp::Not => match v.truthy() {
                        Some(b) => Value::Bool(!b),
                        None => self.unknown_expr(e, env),
                    },
                    UnaryOp::Neg => match v {
                        Value::Int(i) => Value::Int(i.wrapping_neg()),
                        Value::Float(f) => Value::Float(-f),
                        _ => self.unknown_expr(e, env),
                    },
                    UnaryOp::Splat => v,
                }
            }
            ExprKind::Binary { op, lhs, rhs } => self.eval_binary(e, *op, lhs, rhs, env),
            ExprKind::Assign { op, lhs, rhs } => {
                let v = self.eval(rhs, env);
                match (&lhs.kind, op) {
                    (ExprKind::Variable(n), AssignOp::Assign) => {
                        self.set_var(env.scope, n, v.clone())
                    }
                    (ExprKind::Array(targets), AssignOp::Assign) => {
                        for (i, t) in targets.iter().enumerate() {
                            if let ExprKind::Variable(n) = &t.kind {
                                let item = match &v {
                                    Value::Array(a) => a.get(i).cloned().unwrap_or(Value::Undef),
                                    Value::Hash(_) => {
                                        v.hash_get(n).cloned().unwrap_or(Value::Undef)
                                    }
                                    _ => Value::unknown(n.clone()),
                                };
                                self.set_var(env.scope, n, item);
                            }
                        }
                    }
                    (ExprKind::Variable(n), _) => {
                        let old = self.lookup_var(n, env);
                        let new = match (old, v.clone()) {
                            (Value::Array(mut a), Value::Array(b))
                                if *op == AssignOp::AddAssign =>
                            {
                                a.extend(b);
                                Value::Array(a)
                            }
                            _ => Value::unknown(n.clone()),
                        };
                        self.vars[env.scope].vars.insert(n.clone(), new);
                    }
                    _ => {}
                }
                v
            }
            ExprKind::Relationship { .. } => {
                let eps = self.eval_endpoints(e, env);
                endpoints_value(&eps)
            }
            ExprKind::Selector { subject, entries } => {
                let subj = self.eval(subject, env);
                let mut possible: Vec<(usize, bool)> = Vec::new();
                for (i, en) in entries.iter().enumerate() {
                    match self.case_match(&subj, &en.key, env) {
                        Some(true) => {
                            possible.push((i, true));
                            break;
                        }
                        Some(false) => {}
                        None => possible.push((i, false)),
                    }
                }
                match possible.as_slice() {
                    [] => Value::unknown(format!("no selector match for {subj}")),
                    [(i, true)] => self.eval(&entries[*i].value, env),
                    _ => {
                        let vals: Vec<Value> = possible
                            .iter()
                            .map(|(i, _)| self.eval(&entries[*i].value, env))
                            .collect();
                        Value::one_of(vals)
                    }
                }
            }
            ExprKind::Access { target, args } => self.eval_access(e, target, args, env),
            ExprKind::Call {
                func, args, lambda, ..
            } => {
                let name = match &func.kind {
                    ExprKind::Name(n) => n.clone(),
                    ExprKind::ClassRef(n) => n.clone(),
                    _ => return self.unknown_expr(e, env),
                };
                self.call(e, &name, args, None, lambda.as_deref(), env)
            }
            ExprKind::MethodCall(m) => self.call(
                e,
                &m.name,
                &m.args,
                Some(&m.receiver),
                m.lambda.as_deref(),
                env,
            ),
            ExprKind::If(c) => {
                self.conditional(&c.cond, &c.then_branch, c.else_branch.as_ref(), "if", env)
            }
            ExprKind::Unless(c) => self.conditional(
                &c.cond,
                &c.then_branch,
                c.else_branch.as_ref(),
                "unless",
                env,
            ),
            ExprKind::Case { subject, options } => {
                let subj = self.eval(subject, env);
                let mut possible: Vec<(usize, bool)> = Vec::new();
                // Literal option values already listed: Puppet takes the first option that
                // matches, so an option whose every value an earlier one has never runs.
                let mut listed: Vec<&LiteralKey> = Vec::new();
                'opts: for (i, o) in options.iter().enumerate() {
                    let keys: Option<Vec<&LiteralKey>> = o.values.iter().map(literal_key).collect();
                    if let Some(keys) = keys {
                        if !keys.is_empty() && keys.iter().all(|k| listed.contains(k)) {
                            continue 'opts;
                        }
                        listed.extend(keys);
                    }
                    let mut any_unknown = false;
                    for v in &o.values {
                        match self.case_match(&subj, v, env) {
                            Some(true) => {
                                possible.push((i, !any_unknown));
                                if !any_unknown {
                                    break 'opts;
                                }
                                continue 'opts;
                            }
                            Some(false) => {}
                            None => any_unknown = true,
                        }
                    }
                    if any_unknown {
                        possible.push((i, false));
                    }
                }
                match possible.as_slice() {
                    [] => Value::Undef,
                    [(i, true)] => self.exec_block(&options[*i].body, env),
                    _ => {
                        let subject_text = src(self.text(&env.file), subject.span);
                        let id = self.new_condition(&env.file, subject.span, "case", subject_text);
                        for (i, _) in possible {
                            let e1 = self.with_guard(env, id, i as u32);
                            self.exec_block(&options[i].body, &e1);
                        }
                        Value::unknown("case")
                    }
                }
            }
            ExprKind::Resource {
                form,
                type_expr,
                bodies,
            } => {
                let ids = self.eval_resource(*form, type_expr, bodies, env);
                endpoints_value(&ids.into_iter().map(Endpoint::Res).collect::<Vec<_>>())
            }
            ExprKind::ResourceDefaults {
                type_ref, attrs, ..
            } => {
                let ty = type_name(type_ref);
                let attrs = self.eval_attrs(attrs, env, AttrOrigin::Default, true);
                let attrs = attrs.into_iter().map(|(a, _)| a).collect();
                if self.frames[env.frame].defaults.is_empty() {
                    self.defaults_version += 1;
                }
                self.frames[env.frame].defaults.push((ty, attrs));
                Value::Undef
            }
            ExprKind::ResourceOverride { target, attrs, .. } => {
                let t = self.eval(target, env);
                let mut refs = Vec::new();
                collect_refs(&t, &mut refs);
                let attrs = self.eval_attrs(attrs, env, AttrOrigin::Override, true);
                self.overrides.push(PendingOverride {
                    refs,
                    attrs,
                    file: env.file.clone(),
                    span: e.span,
                });
                Value::Undef
            }
            ExprKind::Collector {
                type_ref,
                query,
                exported,
                overrides,
            } => {
                let idx = self.eval_collector(
                    type_ref,
                    query.as_deref(),
                    *exported,
                    overrides.as_deref(),
                    env,
                );
                let _ = idx;
                Value::unknown("collector")
            }
            ExprKind::ClassDef(_)
            | ExprKind::DefineDef(_)
            | ExprKind::NodeDef(_)
            | ExprKind::FunctionDef(_)
            | ExprKind::TypeAlias(_)
            | ExprKind::TypeDef(_)
            | ExprKind::PlanDef(_) => Value::Undef,
            ExprKind::Apply(_) | ExprKind::Error => Value::unknown("error"),
        }
    }

    fn unknown_expr(&self, e: &Expr, env: &Env) -> Value {
        let t = src(self.text(&env.file), e.span);
        Value::unknown(t.trim_start_matches('$').to_string())
    }

    fn eval_binary(
        &mut self,
        e: &'a Expr,
        op: BinaryOp,
        lhs: &'a Expr,
        rhs: &'a Expr,
        env: &Env,
    ) -> Value {
        // Short-circuit logic first.
        if matches!(op, BinaryOp::And | BinaryOp::Or) {
            let l = self.eval(lhs, env).truthy();
            if op == BinaryOp::And && l == Some(false) {
                return Value::Bool(false);
            }
            if op == BinaryOp::Or && l == Some(true) {
                return Value::Bool(true);
            }
            let r = self.eval(rhs, env).truthy();
            return match (l, r) {
                (Some(a), Some(b)) => {
                    Value::Bool(if op == BinaryOp::And { a && b } else { a || b })
                }
                (_, Some(false)) if op == BinaryOp::And => Value::Bool(false),
                (_, Some(true)) if op == BinaryOp::Or => Value::Bool(true),
                _ => self.unknown_expr(e, env),
            };
        }
        let l = self.eval(lhs, env);
        let r = self.eval(rhs, env);
        let unknown = |s: &Self| s.unknown_expr(e, env);
        match op {
            BinaryOp::Eq | BinaryOp::Ne => match l.known_eq(&r) {
                Some(b) => Value::Bool(if op == BinaryOp::Eq { b } else { !b }),
                None => unknown(self),
            },
            BinaryOp::In => match (&l, &r) {
                (Value::Str(a), Value::Str(b)) => {
                    Value::Bool(b.to_lowercase().contains(&a.to_lowercase()))
                }
                (_, Value::Array(items)) if l.is_known() && r.is_known() => {
                    Value::Bool(items.iter().any(|x| l.known_eq(x) == Some(true)))
                }
                (_, Value::Hash(h)) if l.is_known() && r.is_known() => {
                    Value::Bool(h.iter().any(|(k, _)| l.known_eq(k) == Some(true)))
                }
                _ => unknown(self),
            },
            BinaryOp::Add => match (l, r) {
                (Value::Int(a), Value::Int(b)) => Value::Int(a.wrapping_add(b)),
                (Value::Float(a), Value::Float(b)) => Value::Float(a + b),
                (Value::Array(mut a), Value::Array(b)) => {
                    a.extend(b);
                    Value::Array(a).capped()
                }
                (Value::Array(mut a), v) if v.is_known() => {
                    a.push(v);
                    Value::Array(a).capped()
                }
                (Value::Hash(a), Value::Hash(b)) => {
                    call_pure("merge", &[Value::Hash(a), Value::Hash(b)])
                        .unwrap_or_else(|| unknown(self))
                }
                _ => unknown(self),
            },
            BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div | BinaryOp::Mod => match (l, r) {
                (Value::Int(a), Value::Int(b)) => match op {
                    BinaryOp::Sub => Value::Int(a.wrapping_sub(b)),
                    BinaryOp::Mul => Value::Int(a.wrapping_mul(b)),
                    BinaryOp::Div if b != 0 => Value::Int(a.wrapping_div(b)),
                    BinaryOp::Mod if b != 0 => Value::Int(a.wrapping_rem(b)),
                    _ => unknown(self),
                },
                (Value::Array(a), Value::Array(b)) if op == BinaryOp::Sub => {
                    Value::Array(a.into_iter().filter(|x| !b.contains(x)).collect())
                }
                _ => unknown(self),
            },
            BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge => {
                let ord = match (&l, &r) {
                    (Value::Int(a), Value::Int(b)) => a.partial_cmp(b),
                    (Value::Float(a), Value::Float(b)) => a.partial_cmp(b),
                    (Value::Int(a), Value::Float(b)) => (*a as f64).partial_cmp(b),
                    (Value::Float(a), Value::Int(b)) => a.partial_cmp(&(*b as f64)),
                    _ => None,
                };
                match ord {
                    Some(o) => Value::Bool(match op {
                        BinaryOp::Lt => o.is_lt(),
                        BinaryOp::Le => o.is_le(),
                        BinaryOp::Gt => o.is_gt(),
                        _ => o.is_ge(),
                    }),
                    None => unknown(self),
                }
            }
            // No regex engine: matches stay unknown (never a guessed answer).
            _ => unknown(self),
        }
    }

    /// Does a case/selector option match the subject? `None`: cannot tell.
    fn case_match(&mut self, subj: &Value, opt: &'a Expr, env: &Env) -> Option<bool> {
        let v = self.eval(opt, env);
        match &v {
            Value::Default => Some(true),
            // No regex engine and no type system: never guessed.
            Value::Regex(_) | Value::Type(_) => None,
            Value::Array(items) if !matches!(subj, Value::Array(_)) => {
                let mut res = Some(false);
                for i in items {
                    match subj.known_eq(i) {
                        Some(true) => return Some(true),
                        None => res = None,
                        Some(false) => {}
                    }
                }
                res
            }
            _ => subj.known_eq(&v),
        }
    }

    fn eval_access(&mut self, e: &'a Expr, target: &'a Expr, args: &'a [Expr], env: &Env) -> Value {
        if let ExprKind::ClassRef(tn) = &target.kind {
            let lower = tn.trim_start_matches("::").to_ascii_lowercase();
            let is_ref = lower == "class"
                || lower == "resource"
                || BUILTIN_TYPES.contains(&lower.as_str())
                || self.is_define(&lower)
                || (!DATA_TYPES.contains(&lower.as_str()) && !lower.contains("::"));
            if !is_ref {
                return Value::Type((src(self.text(&env.file), e.span)).into());
            }
            let mut vals: Vec<Value> = args.iter().map(|a| self.eval(a, env)).collect();
            let ty = if lower == "resource" && !vals.is_empty() {
                match vals.remove(0) {
                    Value::Str(s) | Value::Type(s) => {
                        s.trim_start_matches("::").to_ascii_lowercase()
                    }
                    _ => return self.unknown_expr(e, env),
                }
            } else {
                lower
            };
            let mut titles = Vec::new();
            for v in vals {
                v.flatten_into(&mut titles);
            }
            let refs: Vec<Value> = titles
                .into_iter()
                .map(|t| {
                    let t = match (ty.as_str(), t) {
                        ("class", Value::Str(s)) => Value::Str((normalize_key("class", &s)).into()),
                        ("class", Value::Type(s)) => {
                            Value::Str((normalize_key("class", &s)).into())
                        }
                        (_, t) => t,
                    };
                    Value::Ref {
                        ty: SmolStr::new(&ty),
                        title: Box::new(t),
                    }
                })
                .collect();
            return if refs.len() == 1 {
                refs.into_iter().next().unwrap_or(Value::Undef).capped()
            } else {
                Value::Array(refs).capped()
            };
        }
        let t = self.eval(target, env);
        let idx: Vec<Value> = args.iter().map(|a| self.eval(a, env)).collect();
        match (&t, idx.as_slice()) {
            (Value::Hash(_), [k]) if k.is_known() => match &t {
                Value::Hash(h) => h
                    .iter()
                    .find(|(k2, _)| k2.known_eq(k) == Some(true))
                    .map(|(_, v)| v.clone())
                    .unwrap_or(if t.is_known() {
                        Value::Undef
                    } else {
                        self.unknown_expr(e, env)
                    }),
                _ => Value::Undef,
            },
            (Value::Array(a), [Value::Int(i)]) => {
                let i = if *i < 0 { a.len() as i64 + i } else { *i };
                a.get(i as usize).cloned().unwrap_or(Value::Undef)
            }
            (Value::Str(s), [Value::Int(i)]) if *i >= 0 => s
                .chars()
                .nth(*i as usize)
                .map(|c| Value::str(c.to_string()))
                .unwrap_or(Value::Undef),
            _ => self.unknown_expr(e, env),
        }
    }

    // ----- functions -----

    fn call(
        &mut self,
        e: &'a Expr,
        name: &str,
        args: &'a [Expr],
        receiver: Option<&'a Expr>,
        lambda: Option<&'a Lambda>,
        env: &Env,
    ) -> Value {
        let mut vals: Vec<Value> = Vec::with_capacity(args.len() + 1);
        if let Some(r) = receiver {
            vals.push(self.eval(r, env));
        }
        for a in args {
            vals.push(self.eval(a, env));
        }
        let name = name.trim_start_matches("::");
        match name {
            "include" | "contain" | "require" | "require_package" => {
                let how = match name {
                    "contain" => ClassHow::Contain,
                    "require" => ClassHow::Require,
                    _ => ClassHow::Include,
                };
                if name == "require_package" {
                    // WMF: a hidden class holding `package { p: ensure => present }`.
                    for v in &vals {
                        for n in names_of(v) {
                            self.ensure_resource(
                                "package",
                                Value::Str(n.into()),
                                vec![("ensure", Value::str("present"))],
                                e.span,
                                env,
                            );
                        }
                    }
                    return Value::Undef;
                }
                for v in &vals {
                    for n in names_of(v) {
                        self.declare_class(&n, None, how, env, e.span);
                    }
                }
                Value::Undef
            }
            "realize" => {
                let mut refs = Vec::new();
                for v in &vals {
                    collect_refs(v, &mut refs);
                }
                for (ty, title) in refs {
                    self.realize.push((ty, title, env.file.clone(), e.span));
                }
                Value::Undef
            }
            "ensure_resource" | "ensure_resources" => {
                let ty = match vals.first() {
                    Some(Value::Str(s) | Value::Type(s)) => {
                        s.trim_start_matches("::").to_ascii_lowercase()
                    }
                    _ => return Value::Undef,
                };
                let params: Vec<(String, Value)> = match vals.get(2) {
                    Some(Value::Hash(h)) => h
                        .iter()
                        .filter_map(|(k, v)| Some((k.as_str()?.to_string(), v.clone())))
                        .collect(),
                    _ => Vec::new(),
                };
                if name == "ensure_resources" {
                    if let Some(Value::Hash(h)) = vals.get(1) {
                        for (t, attrs) in h.clone() {
                            let mut ps = params.clone();
                            if let Value::Hash(a) = attrs {
                                for (k, v) in a {
                                    if let Some(k) = k.as_str() {
                                        ps.retain(|(n, _)| n != k);
                                        ps.push((k.to_string(), v));
                                    }
                                }
                            }
                            let ps: Vec<(&str, Value)> =
                                ps.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
                            self.ensure_resource(&ty, t, ps, e.span, env);
                        }
                    }
                    return Value::Undef;
                }
                let mut titles = Vec::new();
                if let Some(t) = vals.get(1) {
                    t.flatten_into(&mut titles);
                }
                for t in titles {
                    let ps: Vec<(&str, Value)> = params
                        .iter()
                        .map(|(k, v)| (k.as_str(), v.clone()))
                        .collect();
                    self.ensure_resource(&ty, t, ps, e.span, env);
                }
                Value::Undef
            }
            "ensure_packages" => {
                let defaults: Vec<(String, Value)> = match vals.get(1) {
                    Some(Value::Hash(h)) => h
                        .iter()
                        .filter_map(|(k, v)| Some((k.as_str()?.to_string(), v.clone())))
                        .collect(),
                    _ => Vec::new(),
                };
                let mut items: Vec<(Value, Vec<(String, Value)>)> = Vec::new();
                match vals.first() {
                    Some(Value::Hash(h)) => {
                        for (t, a) in h {
                            let mut ps = defaults.clone();
                            if let Value::Hash(a) = a {
                                for (k, v) in a {
                                    if let Some(k) = k.as_str() {
                                        ps.retain(|(n, _)| n != k);
                                        ps.push((k.to_string(), v.clone()));
                                    }
                                }
                            }
                            items.push((t.clone(), ps));
                        }
                    }
                    Some(v) => {
                        let mut ts = Vec::new();
                        v.flatten_into(&mut ts);
                        for t in ts {
                            items.push((t, defaults.clone()));
                        }
                    }
                    None => {}
                }
                for (t, mut ps) in items {
                    if !ps.iter().any(|(k, _)| k == "ensure") {
                        ps.insert(0, ("ensure".into(), Value::str("installed")));
                    }
                    let ps: Vec<(&str, Value)> =
                        ps.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
                    self.ensure_resource("package", t, ps, e.span, env);
                }
                Value::Undef
            }
            "create_resources" => {
                let ty = match vals.first() {
                    Some(Value::Str(s) | Value::Type(s)) => {
                        s.trim_start_matches("::").to_ascii_lowercase()
                    }
                    _ => return Value::Undef,
                };
                let defaults: Vec<(Value, Value)> = match vals.get(2) {
                    Some(Value::Hash(h)) => h.clone(),
                    _ => Vec::new(),
                };
                match vals.get(1) {
                    Some(Value::Hash(h)) => {
                        for (title, attrs) in h.clone() {
                            let mut merged = defaults.clone();
                            if let Value::Hash(a) = attrs {
                                for (k, v) in a {
                                    merged.retain(|(k2, _)| *k2 != k);
                                    merged.push((k, v));
                                }
                            }
                            let attrs: Vec<Attr> = merged
                                .into_iter()
                                .filter(|(_, v)| !v.is_undef())
                                .filter_map(|(k, v)| {
                                    Some(Attr {
                                        name: (k.as_str()?.to_string()).into(),
                                        value: v,
                                        file: env.file.clone(),
                                        name_span: e.span,
                                        value_span: e.span,
                                        origin: AttrOrigin::Declared,
                                    })
                                })
                                .collect();
                            self.declare_one(
                                &ty,
                                title,
                                e.span,
                                e.span,
                                attrs,
                                ResourceForm::Regular,
                                Origin::CreateResources,
                                env,
                            );
                        }
                    }
                    Some(v) if !v.is_known() => {
                        self.note(env, e.span, format!("create_resources('{ty}', …) over data that is not known statically"));
                    }
                    _ => {}
                }
                Value::Undef
            }
            "find_file" => self.find_file(&vals),
            "template" | "epp" | "file" => {
                let refs: Vec<FileRef> = vals
                    .iter()
                    .take(if name == "epp" { 1 } else { vals.len() })
                    .map(|spec| self.resolve_file_ref(name, spec))
                    .collect();
                Value::Content(refs)
            }
            "lookup" | "hiera" | "hiera_array" | "hiera_hash" | "hiera_include" => {
                let key = vals.first().and_then(|v| v.as_str()).map(str::to_string);
                let found = key
                    .as_deref()
                    .and_then(|k| self.model.hiera.lookup(k))
                    .map(|(v, _)| v.clone());
                match found {
                    Some(v) => v,
                    None => {
                        // lookup(key, type, merge, default) / hiera(key, default)
                        let default = if name == "lookup" {
                            vals.get(3)
                        } else {
                            vals.get(1)
                        };
                        match default {
                            Some(d) => d.clone(),
                            None => {
                                Value::unknown(format!("lookup('{}')", key.unwrap_or_default()))
                            }
                        }
                    }
                }
            }
            "defined" => Value::unknown(src(self.text(&env.file), e.span)),
            "fail" | "warning" | "notice" | "info" | "debug" | "err" | "alert" | "crit"
            | "emerg" | "assert_type" | "validate_legacy" | "deprecation" => Value::Undef,
            n if n.starts_with("validate_") => Value::Undef,
            "String" => match vals.first() {
                Some(v) => v
                    .to_text()
                    .map(Value::str)
                    .unwrap_or_else(|| self.unknown_expr(e, env)),
                None => Value::Undef,
            },
            "Integer" => match vals.first() {
                Some(Value::Int(i)) => Value::Int(*i),
                Some(Value::Str(s)) => s
                    .trim()
                    .parse()
                    .map(Value::Int)
                    .unwrap_or_else(|_| self.unknown_expr(e, env)),
                _ => self.unknown_expr(e, env),
            },
            "each" | "map" | "filter" | "with" | "then" | "reduce" | "lest" | "slice"
            | "each_with_index" => match lambda {
                Some(l) => self.iterate(e, name, &vals, l, env),
                None => self.unknown_expr(e, env),
            },
            _ => {
                if let Some(v) = call_pure(name, &vals) {
                    return v;
                }
                // A custom function: unknown. Still walk its lambda once so resources
                // declared inside are seen (with unknown parameters).
                if let Some(l) = lambda {
                    let args: Vec<Value> = l
                        .params
                        .iter()
                        .map(|p| Value::unknown(p.name.clone()))
                        .collect();
                    self.call_lambda(l, args, env);
                }
                self.unknown_expr(e, env)
            }
        }
    }

    fn iterate(
        &mut self,
        e: &'a Expr,
        name: &str,
        vals: &[Value],
        l: &'a Lambda,
        env: &Env,
    ) -> Value {
        let coll = vals.first().cloned().unwrap_or(Value::Undef);
        let nparams = l.params.len();
        let items: Option<Vec<Vec<Value>>> = match (&coll, name) {
            (_, "with") => Some(vec![vals.to_vec()]),
            (_, "then") if !coll.is_undef() && coll.is_known() => Some(vec![vec![coll.clone()]]),
            (Value::Array(a), _) if name != "reduce" => Some(
                a.iter()
                    .take(MAX_ITER)
                    .enumerate()
                    .map(|(i, v)| {
                        if nparams >= 2 {
                            vec![Value::Int(i as i64), v.clone()]
                        } else {
                            vec![v.clone()]
                        }
                    })
                    .collect(),
            ),
            (Value::Hash(h), _) if name != "reduce" => Some(
                h.iter()
                    .take(MAX_ITER)
                    .map(|(k, v)| {
                        if nparams >= 2 {
                            vec![k.clone(), v.clone()]
                        } else {
                            vec![Value::Array(vec![k.clone(), v.clone()])]
                        }
                    })
                    .collect(),
            ),
            _ => None,
        };
        match items {
            Some(items) => {
                let mut results = Vec::new();
                let mut kept = Vec::new();
                for args in items {
                    let r = self.call_lambda(l, args.clone(), env);
                    if name == "filter" {
                        match r.truthy() {
                            Some(true) => kept.push(args.last().cloned().unwrap_or(Value::Undef)),
                            Some(false) => {}
                            None => return self.unknown_expr(e, env),
                        }
                    }
                    results.push(r);
                }
                match name {
                    "map" => Value::Array(results),
                    "filter" => Value::Array(kept),
                    "each" | "each_with_index" => coll,
                    _ => results.pop().unwrap_or(Value::Undef),
                }
            }
            None => {
                let args: Vec<Value> = l
                    .params
                    .iter()
                    .map(|p| Value::unknown(p.name.clone()))
                    .collect();
                self.call_lambda(l, args, env);
                self.unknown_expr(e, env)
            }
        }
    }

    fn call_lambda(&mut self, l: &'a Lambda, args: Vec<Value>, env: &Env) -> Value {
        let scope = self.new_scope(Some(env.scope));
        for (i, p) in l.params.iter().enumerate() {
            let v = args.get(i).cloned().unwrap_or(Value::Undef);
            self.vars[scope].vars.insert(p.name.clone(), v);
        }
        let mut e = env.clone();
        e.scope = scope;
        self.exec_block(&l.body, &e)
    }

    /// Resolve `template('m/t')`, `epp('m/t')`, `file('m/f')`: a known spec through the
    /// modulepath; a partly symbolic one by matching the repository's files (unique match).
    /// `m/t` spec forms of every module template (or file) with its repository path,
    /// computed once per model.
    fn module_file_specs(&self, dir: &str) -> &[(String, String)] {
        let cell = if dir == "files" {
            &self.file_specs
        } else {
            &self.template_specs
        };
        cell.get_or_init(|| {
            let mut out = Vec::new();
            if let Some(root) = &self.model.root_module {
                let prefix = format!("{dir}/");
                for p in self.tree.paths() {
                    if let Some(t) = p.strip_prefix(&prefix) {
                        out.push((format!("{root}/{t}"), p.to_string()));
                    }
                }
            }
            for mp in &self.model.modulepath {
                let prefix = format!("{mp}/");
                for p in self.tree.paths() {
                    let Some(rest) = p.strip_prefix(&prefix) else {
                        continue;
                    };
                    let Some((m, tail)) = rest.split_once('/') else {
                        continue;
                    };
                    let Some(t) = tail.strip_prefix(dir).and_then(|t| t.strip_prefix('/')) else {
                        continue;
                    };
                    out.push((format!("{m}/{t}"), p.to_string()));
                }
            }
            out
        })
    }

    /// `find_file('m/f', …)`: the first module file that exists, else `undef`; the
    /// guard of optional files (`if find_file('m/x') { file { …: source => … } }`). Known
    /// only as far as the repository can tell: an absolute path (the server's file system),
    /// a symbolic argument or a module that is not in the repository makes it unknown.
    fn find_file(&self, vals: &[Value]) -> Value {
        let mut specs = Vec::new();
        for v in vals {
            match v {
                Value::Array(items) => specs.extend(items.iter()),
                v => specs.push(v),
            }
        }
        let root = self.model.root_module.as_deref();
        for v in specs {
            let Some(spec) = v.as_str() else {
                return Value::unknown("find_file()");
            };
            let Some((m, _)) = spec.split_once('/').filter(|_| !spec.starts_with('/')) else {
                return Value::unknown("find_file()");
            };
            let in_repo = root == Some(m)
                || self
                    .model
                    .modulepath
                    .iter()
                    .any(|mp| super::layout::exists(self.tree, &format!("{mp}/{m}"), true));
            if !in_repo {
                return Value::unknown("find_file()");
            }
            let found =
                resolve_module_path(self.tree, &self.model.modulepath, root, spec, "files", true);
            if let Some(path) = found {
                return Value::str(path);
            }
        }
        Value::Undef
    }

    pub(super) fn resolve_file_ref(&self, func: &str, spec: &Value) -> FileRef {
        let dir = if func == "file" { "files" } else { "templates" };
        let (resolved, inferred) = match spec {
            Value::Str(s) => (
                resolve_module_path(
                    self.tree,
                    &self.model.modulepath,
                    self.model.root_module.as_deref(),
                    s,
                    dir,
                    false,
                ),
                false,
            ),
            Value::Symbolic(sym) => {
                let cands = self.module_file_specs(dir);
                let prefix = sym.known_prefix();
                let mut hits = cands
                    .iter()
                    .filter(|(spec, _)| spec.starts_with(prefix) && sym.could_be(spec));
                match (hits.next(), hits.next()) {
                    (Some((_, path)), None) => (Some(path.clone()), true),
                    _ => (None, false),
                }
            }
            _ => (None, false),
        };
        FileRef {
            func: func.to_string(),
            spec: Box::new(spec.clone()),
            resolved,
            inferred,
        }
    }

    // ----- classes -----

    fn declare_class(
        &mut self,
        name: &str,
        params: Option<Vec<Attr>>,
        how: ClassHow,
        env: &Env,
        span: Span,
    ) -> Option<ResId> {
        let name = normalize_key("class", name);
        let Some(def) = self.class_defs.get(&name).copied() else {
            if name != "settings" && !name.is_empty() {
                self.model.unresolved_classes.push(UnresolvedRef {
                    ty: "class".into(),
                    title: name.clone(),
                    file: env.file.clone(),
                    span,
                    guard: env.guard.clone(),
                });
            }
            return None;
        };
        if let Some(st) = self.class_state.get(&name).copied() {
            let res = match st {
                ClassState::Done { res, .. } | ClassState::Evaluating { res, .. } => res,
            };
            self.after_class_declared(res, how, env, span);
            return Some(res);
        }
        // Parent class first (its scope is the child's parent scope).
        let parent_scope = match def.parent {
            Some(p) => {
                let p = normalize_key("class", p);
                // A chain of `inherits` nests like a chain of includes.
                self.class_depth += 1;
                self.declare_class(&p, None, ClassHow::Inherit, env, span);
                self.class_depth -= 1;
                match self.class_state.get(&p) {
                    Some(ClassState::Done { scope, .. } | ClassState::Evaluating { scope, .. }) => {
                        *scope
                    }
                    None => 0,
                }
            }
            None => 0,
        };
        let given = params.unwrap_or_default();
        let (file, decl_span) =
            if how == ClassHow::Undeclared || how == ClassHow::Lookup || span == Span::default() {
                let d = &self.model.classes[&name];
                (d.file.clone(), d.span)
            } else {
                (env.file.clone(), span)
            };
        let res = self.push_resource(Resource {
            ty: "class".into(),
            title: Value::Str(SmolStr::new(&name)),
            file,
            span: decl_span,
            title_span: decl_span,
            attrs: given.clone(),
            scope: env.kind.clone(),
            guard: if how == ClassHow::Undeclared {
                Vec::new()
            } else {
                env.guard.clone()
            },
            form: ResourceForm::Regular,
            realized: false,
            container: if how == ClassHow::Contain {
                env.container
            } else {
                None
            },
            define_chain: Vec::new(),
            origin: if matches!(how, ClassHow::Undeclared | ClassHow::Lookup) {
                Origin::Undeclared
            } else {
                Origin::Declared
            },
            module: env.module.clone(),
        });
        let scope = self.new_scope(Some(parent_scope));
        self.class_state
            .insert(name.clone(), ClassState::Evaluating { res, scope });
        self.relations_from_attrs(res, &given, env);
        let module = name.split("::").next().map(SmolStr::new);
        let cenv = Env {
            file: def.file.clone(),
            scope,
            frame: self.new_frame(Some(env.frame)),
            guard: Vec::new(),
            container: Some(res),
            define_chain: Vec::new(),
            kind: Scope::Class(SmolStr::new(&name)),
            module: module.clone(),
            define_stack: env.define_stack.clone(),
        };
        for (k, v) in [("title", &name), ("name", &name)] {
            self.vars[scope]
                .vars
                .insert(k.into(), Value::Str(SmolStr::new(v)));
        }
        if let Some(m) = &module {
            self.vars[scope]
                .vars
                .insert("module_name".into(), Value::Str(SmolStr::new(m)));
        }
        self.vars[scope].vars.insert(
            "caller_module_name".into(),
            env.module.clone().map(Value::str).unwrap_or(Value::Undef),
        );
        for p in def.params {
            let v = if let Some(a) = given.iter().find(|a| a.name == p.name) {
                a.value.clone()
            } else if let Some((v, _)) = self.model.hiera.lookup(&format!("{name}::{}", p.name)) {
                v.clone()
            } else if let Some(d) = &p.default {
                match self.eval(d, &cenv) {
                    // A boolean flag left at its default may be set by hiera outside the
                    // repository: keep both values so both branches stay visible.
                    Value::Bool(b) if self.opts.open_flags => {
                        Value::OneOf(vec![Value::Bool(b), Value::Bool(!b)])
                    }
                    v => v,
                }
            } else {
                Value::unknown(format!("{name}::{}", p.name))
            };
            self.vars[scope].vars.insert(p.name.clone(), v);
        }
        if self.class_depth >= MAX_CLASS_NESTING {
            if !self.deferred_noted {
                self.deferred_noted = true;
                self.note(
                    env,
                    span,
                    format!(
                        "classes are declared more than {MAX_CLASS_NESTING} deep here: class \
                         {name} is evaluated after its declarer instead of inside it"
                    ),
                );
            }
            self.deferred.push(DeferredClass {
                name,
                body: def.body,
                env: cenv,
                res,
                scope,
            });
            self.after_class_declared(res, how, env, span);
            return Some(res);
        }
        self.class_depth += 1;
        {
            let _reading = crate::isolate::reading(def.file);
            self.exec_block(def.body, &cenv);
        }
        self.class_depth -= 1;
        self.end_frame(cenv.frame);
        self.class_state
            .insert(name, ClassState::Done { res, scope });
        self.after_class_declared(res, how, env, span);
        Some(res)
    }

    /// Evaluate the class bodies [`MAX_CLASS_NESTING`] put off, in the order they were
    /// declared (each may put off more; the loop runs until none is left).
    fn run_deferred(&mut self) {
        if self.class_depth > 0 {
            return;
        }
        let mut next = 0;
        while next < self.deferred.len() {
            let (name, body, env, res, scope) = {
                let d = &self.deferred[next];
                (d.name.clone(), d.body, d.env.clone(), d.res, d.scope)
            };
            next += 1;
            self.class_depth += 1;
            self.exec_block(body, &env);
            self.class_depth -= 1;
            self.end_frame(env.frame);
            self.class_state
                .insert(name, ClassState::Done { res, scope });
        }
        self.deferred.clear();
    }

    fn after_class_declared(&mut self, res: ResId, how: ClassHow, env: &Env, span: Span) {
        match how {
            ClassHow::Contain => {
                if let Some(c) = env.container {
                    if c != res
                        && self.model.resources[res].container.is_none()
                        && !self.contains(res, c)
                    {
                        self.model.resources[res].container = Some(c);
                    }
                }
            }
            ClassHow::Require => {
                if let Some(c) = env.container {
                    self.rels.push(PendingRel {
                        from: vec![Endpoint::Res(res)],
                        to: vec![Endpoint::Res(c)],
                        refresh: false,
                        file: env.file.clone(),
                        span,
                        via: "require()",
                        guard: env.guard.clone(),
                    });
                }
            }
            _ => {}
        }
    }

    /// Whether `outer` is (transitively) contained in `inner` (to avoid containment cycles).
    fn contains(&self, outer: ResId, inner: ResId) -> bool {
        let mut c = Some(inner);
        while let Some(x) = c {
            if x == outer {
                return true;
            }
            c = self.model.resources[x].container;
        }
        false
    }

    // ----- resources -----

    fn push_resource(&mut self, r: Resource) -> ResId {
        let id = self.model.resources.len();
        for k in resource_keys(&r) {
            self.keys.entry((r.ty.to_string(), k)).or_default().push(id);
        }
        self.model.resources.push(r);
        id
    }

    fn eval_attrs(
        &mut self,
        attrs: &'a [AttrOp],
        env: &Env,
        origin: AttrOrigin,
        keep_undef: bool,
    ) -> Vec<(Attr, bool)> {
        let mut out = Vec::with_capacity(attrs.len());
        for a in attrs {
            let v = self.eval(&a.value, env);
            if a.is_splat() {
                if let Value::Hash(h) = v {
                    for (k, v) in h {
                        if let Some(k) = k.as_str() {
                            if keep_undef || !v.is_undef() {
                                out.push((
                                    Attr {
                                        name: SmolStr::new(k),
                                        value: v,
                                        file: env.file.clone(),
                                        name_span: a.name_span,
                                        value_span: a.value.span,
                                        origin,
                                    },
                                    false,
                                ));
                            }
                        }
                    }
                } else if !v.is_undef() {
                    self.note(
                        env,
                        a.span,
                        format!("attributes splat over a value not known statically: {v}"),
                    );
                }
                continue;
            }
            if !keep_undef && v.is_undef() {
                continue;
            }
            out.push((
                Attr {
                    name: a.name.clone(),
                    value: v,
                    file: env.file.clone(),
                    name_span: a.name_span,
                    value_span: a.value.span,
                    origin,
                },
                a.op == AttrOperator::Append,
            ));
        }
        out
    }

    fn eval_resource(
        &mut self,
        form: ResourceForm,
        type_expr: &'a Expr,
        bodies: &'a [ResourceBody],
        env: &Env,
    ) -> Vec<ResId> {
        let ty = match &type_expr.kind {
            ExprKind::Name(n) | ExprKind::ClassRef(n) => {
                n.trim_start_matches("::").to_ascii_lowercase()
            }
            _ => match self.eval(type_expr, env) {
                Value::Str(s) | Value::Type(s) => s.trim_start_matches("::").to_ascii_lowercase(),
                v => {
                    self.note(
                        env,
                        type_expr.span,
                        format!("resource type not known statically: {v}"),
                    );
                    return Vec::new();
                }
            },
        };
        // A `default:` body gives attributes to the other bodies.
        let mut body_defaults: Vec<Attr> = Vec::new();
        for b in bodies {
            if matches!(b.title.kind, ExprKind::Default) {
                body_defaults = self
                    .eval_attrs(&b.attrs, env, AttrOrigin::Default, false)
                    .into_iter()
                    .map(|(a, _)| a)
                    .collect();
            }
        }
        let mut ids = Vec::new();
        for b in bodies {
            if matches!(b.title.kind, ExprKind::Default) {
                continue;
            }
            let title = self.eval(&b.title, env);
            let mut attrs: Vec<Attr> = self
                .eval_attrs(&b.attrs, env, AttrOrigin::Declared, false)
                .into_iter()
                .map(|(a, _)| a)
                .collect();
            for d in &body_defaults {
                if !attrs.iter().any(|a| a.name == d.name) {
                    attrs.push(d.clone());
                }
            }
            let mut titles = Vec::new();
            title.flatten_into(&mut titles);
            for t in titles {
                if let Some(id) = self.declare_one(
                    &ty,
                    t,
                    b.span,
                    b.title.span,
                    attrs.clone(),
                    form,
                    Origin::Declared,
                    env,
                ) {
                    ids.push(id);
                }
            }
        }
        ids
    }

    #[allow(clippy::too_many_arguments)]
    fn declare_one(
        &mut self,
        ty: &str,
        title: Value,
        span: Span,
        title_span: Span,
        attrs: Vec<Attr>,
        form: ResourceForm,
        origin: Origin,
        env: &Env,
    ) -> Option<ResId> {
        if ty == "class" {
            let name = match &title {
                Value::Str(s) | Value::Type(s) => s.clone(),
                v => {
                    self.note(env, span, format!("class name not known statically: {v}"));
                    return None;
                }
            };
            return self.declare_class(&name, Some(attrs), ClassHow::Resource, env, span);
        }
        if let Some(def) = self.define_defs.get(ty).copied() {
            return self
                .instantiate_define(ty, def, title, span, title_span, attrs, form, origin, env);
        }
        let id = self.push_resource(Resource {
            ty: SmolStr::new(ty),
            title,
            file: env.file.clone(),
            span,
            title_span,
            attrs,
            scope: env.kind.clone(),
            guard: env.guard.clone(),
            form,
            realized: false,
            container: env.container,
            define_chain: env.define_chain.clone(),
            origin,
            module: env.module.clone(),
        });
        self.frames[env.frame].created.push(id);
        let rels = rels_from_attrs(
            id,
            &self.model.resources[id].attrs,
            &self.model.resources[id].guard,
        );
        self.rels.extend(rels);
        Some(id)
    }

    #[allow(clippy::too_many_arguments)]
    fn instantiate_define(
        &mut self,
        ty: &str,
        def: DefineDef<'a>,
        title: Value,
        span: Span,
        title_span: Span,
        attrs: Vec<Attr>,
        form: ResourceForm,
        origin: Origin,
        env: &Env,
    ) -> Option<ResId> {
        if env.define_stack.iter().any(|d| d == ty) {
            self.note(
                env,
                span,
                format!("defined type {ty} instantiates itself (cycle); not expanded again"),
            );
            return None;
        }
        if env.define_stack.len() >= self.opts.max_define_depth {
            self.note(
                env,
                span,
                format!(
                    "defined types nested deeper than {}; {ty} not expanded",
                    self.opts.max_define_depth
                ),
            );
            return None;
        }
        let attrs: Vec<Attr> = attrs
            .into_iter()
            .map(|mut a| {
                if a.origin == AttrOrigin::Declared {
                    a.origin = AttrOrigin::Param;
                }
                a
            })
            .collect();
        let id = self.push_resource(Resource {
            ty: SmolStr::new(ty),
            title: title.clone(),
            file: env.file.clone(),
            span,
            title_span,
            attrs: attrs.clone(),
            scope: env.kind.clone(),
            guard: env.guard.clone(),
            form,
            realized: false,
            container: env.container,
            define_chain: env.define_chain.clone(),
            origin,
            module: env.module.clone(),
        });
        self.frames[env.frame].created.push(id);
        self.relations_from_attrs(id, &attrs, env);
        let scope = self.new_scope(Some(0));
        let module = ty.split("::").next().map(SmolStr::new);
        let title_text = match &title {
            Value::Str(s) => s.clone(),
            v => v.to_string().into(),
        };
        let mut chain = env.define_chain.clone();
        chain.push(id);
        let mut stack = env.define_stack.clone();
        stack.push(ty.to_string());
        let denv = Env {
            file: def.file.clone(),
            scope,
            frame: self.new_frame(Some(env.frame)),
            guard: env.guard.clone(),
            container: Some(id),
            define_chain: chain,
            kind: Scope::Define {
                ty: SmolStr::new(ty),
                title: SmolStr::new(&title_text),
            },
            module: module.clone(),
            define_stack: stack,
        };
        {
            let vars = &mut self.vars[scope].vars;
            vars.insert("title".into(), title.clone());
            vars.insert("name".into(), title.clone());
            if let Some(m) = &module {
                vars.insert("module_name".into(), Value::Str(SmolStr::new(m)));
            }
            vars.insert(
                "caller_module_name".into(),
                env.module.clone().map(Value::str).unwrap_or(Value::Undef),
            );
        }
        for p in def.params {
            let v = if let Some(a) = attrs.iter().find(|a| a.name == p.name) {
                a.value.clone()
            } else if let Some(d) = &p.default {
                self.eval(d, &denv)
            } else {
                Value::Undef
            };
            self.vars[scope].vars.insert(p.name.clone(), v);
        }
        self.exec_block(def.body, &denv);
        self.end_frame(denv.frame);
        Some(id)
    }

    fn ensure_resource(
        &mut self,
        ty: &str,
        title: Value,
        params: Vec<(&str, Value)>,
        span: Span,
        env: &Env,
    ) {
        if let Some(t) = title.as_str() {
            let key = (ty.to_string(), normalize_key(ty, t));
            if self.keys.get(&key).is_some_and(|v| !v.is_empty()) {
                return;
            }
        }
        let attrs = params
            .into_iter()
            .filter(|(_, v)| !v.is_undef())
            .map(|(k, v)| Attr {
                name: SmolStr::new(k),
                value: v,
                file: env.file.clone(),
                name_span: span,
                value_span: span,
                origin: AttrOrigin::Declared,
            })
            .collect();
        self.declare_one(
            ty,
            title,
            span,
            span,
            attrs,
            ResourceForm::Regular,
            Origin::EnsureResource,
            env,
        );
    }

    fn relations_from_attrs(&mut self, id: ResId, attrs: &[Attr], env: &Env) {
        let rels = rels_from_attrs(id, attrs, &env.guard);
        self.rels.extend(rels);
    }

    /// Apply the defaults visible from `frame` to the resources created directly in it.
    fn end_frame(&mut self, frame: usize) {
        let created = std::mem::take(&mut self.frames[frame].created);
        if created.is_empty() {
            return;
        }
        // The frames whose defaults apply, innermost first. Only frames with defaults are
        // visited: evaluation can nest frames thousands deep (a generated chain of classes),
        // and walking every ancestor for every resource was quadratic.
        let mut with_defaults = Vec::new();
        let mut f = self.defaults_frame(Some(frame));
        while let Some(i) = f {
            with_defaults.push(i);
            f = self.defaults_frame(self.frames[i].parent);
        }
        if with_defaults.is_empty() {
            return;
        }
        for id in created {
            let ty = self.model.resources[id].ty.clone();
            for &i in &with_defaults {
                for (dty, attrs) in &self.frames[i].defaults {
                    if *dty != ty {
                        continue;
                    }
                    for a in attrs {
                        let r = &mut self.model.resources[id];
                        if !r.attrs.iter().any(|x| x.name == a.name) && !a.value.is_undef() {
                            r.attrs.push(a.clone());
                        }
                    }
                }
            }
        }
    }

    /// The nearest frame at or above `frame` that has resource defaults. Answers are
    /// remembered per frame until a frame gets its first default, and every frame of a
    /// walk learns the answer, so a deep chain is walked once, not once per resource.
    fn defaults_frame(&mut self, frame: Option<usize>) -> Option<usize> {
        let version = self.defaults_version;
        let mut walked = Vec::new();
        let mut f = frame;
        let found = loop {
            let Some(i) = f else { break None };
            let fr = &self.frames[i];
            if !fr.defaults.is_empty() {
                break Some(i);
            }
            if fr.nearest_defaults.0 == version {
                break fr.nearest_defaults.1;
            }
            walked.push(i);
            f = fr.parent;
        };
        for i in walked {
            self.frames[i].nearest_defaults = (version, found);
        }
        found
    }

    // ----- relationships and collectors -----

    /// Evaluate one side of a chain: declarations, references, collectors, chains.
    fn eval_endpoints(&mut self, e: &'a Expr, env: &Env) -> Vec<Endpoint> {
        match &e.kind {
            ExprKind::Relationship { op, lhs, rhs } => {
                let l = self.eval_endpoints(lhs, env);
                let r = self.eval_endpoints(rhs, env);
                let (from, to) = match op {
                    RelOp::Before | RelOp::Notify => (l, r.clone()),
                    RelOp::Require | RelOp::Subscribe => (r.clone(), l),
                };
                self.rels.push(PendingRel {
                    from,
                    to,
                    refresh: op.refreshes(),
                    file: env.file.clone(),
                    span: e.span,
                    via: op.as_str(),
                    guard: env.guard.clone(),
                });
                r
            }
            ExprKind::Resource {
                form,
                type_expr,
                bodies,
            } => self
                .eval_resource(*form, type_expr, bodies, env)
                .into_iter()
                .map(Endpoint::Res)
                .collect(),
            ExprKind::Collector {
                type_ref,
                query,
                exported,
                overrides,
            } => {
                vec![Endpoint::Collector(self.eval_collector(
                    type_ref,
                    query.as_deref(),
                    *exported,
                    overrides.as_deref(),
                    env,
                ))]
            }
            ExprKind::Paren(x) => self.eval_endpoints(x, env),
            _ => {
                let v = self.eval(e, env);
                let mut refs = Vec::new();
                collect_refs(&v, &mut refs);
                refs.into_iter()
                    .map(|(ty, title)| Endpoint::Ref { ty, title })
                    .collect()
            }
        }
    }

    fn eval_collector(
        &mut self,
        type_ref: &'a Expr,
        query: Option<&'a Expr>,
        exported: bool,
        overrides: Option<&'a [AttrOp]>,
        env: &Env,
    ) -> usize {
        let ty = type_name(type_ref);
        let q = match query {
            Some(q) => self.eval_query(q, env),
            None => Query::All,
        };
        let overrides = match overrides {
            Some(o) => self.eval_attrs(o, env, AttrOrigin::Override, true),
            None => Vec::new(),
        };
        self.collectors.push(Collector {
            ty,
            query: q,
            exported,
            overrides,
        });
        self.collectors.len() - 1
    }

    fn eval_query(&mut self, q: &'a Expr, env: &Env) -> Query {
        match &q.kind {
            ExprKind::Paren(x) => self.eval_query(x, env),
            ExprKind::Binary { op, lhs, rhs } => match op {
                BinaryOp::And => Query::And(
                    Box::new(self.eval_query(lhs, env)),
                    Box::new(self.eval_query(rhs, env)),
                ),
                BinaryOp::Or => Query::Or(
                    Box::new(self.eval_query(lhs, env)),
                    Box::new(self.eval_query(rhs, env)),
                ),
                BinaryOp::Eq | BinaryOp::Ne => {
                    let attr = match &lhs.kind {
                        ExprKind::Name(n) | ExprKind::Word(n) => n.clone(),
                        _ => return Query::Unknown,
                    };
                    let v = self.eval(rhs, env);
                    if *op == BinaryOp::Eq {
                        Query::Eq(attr.to_string(), v)
                    } else {
                        Query::Ne(attr.to_string(), v)
                    }
                }
                _ => Query::Unknown,
            },
            _ => Query::Unknown,
        }
    }

    // ----- after evaluation -----

    fn finish(mut self) -> Model {
        // Collectors: realise virtual resources and apply override blocks.
        let collectors = std::mem::take(&mut self.collectors);
        let mut coll_matches: Vec<Vec<ResId>> = Vec::with_capacity(collectors.len());
        let mut by_type: HashMap<&str, Vec<ResId>> = HashMap::new();
        if !collectors.is_empty() {
            for (id, r) in self.model.resources.iter().enumerate() {
                by_type.entry(r.ty.as_str()).or_default().push(id);
            }
        }
        let mut matched: Vec<Vec<ResId>> = Vec::with_capacity(collectors.len());
        // (type, lowercase tag) -> resources, for the common `Type <| tag == 'x' |>`.
        let mut by_tag: HashMap<(&str, String), Vec<ResId>> = HashMap::new();
        if collectors.iter().any(|c| tag_of_query(&c.query).is_some()) {
            for (id, r) in self.model.resources.iter().enumerate() {
                let mut tags: Vec<String> = vec![r.ty.to_ascii_lowercase()];
                if let Scope::Class(c) | Scope::Define { ty: c, .. } = &r.scope {
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
                        let r = &self.model.resources[id];
                        (c.exported || r.form != ResourceForm::Exported)
                            && query_matches(&c.query, r)
                    })
                    .collect(),
            );
        }
        drop(by_type);
        drop(by_tag);
        for (c, matches) in collectors.iter().zip(matched) {
            for &id in &matches {
                let r = &mut self.model.resources[id];
                if r.form == ResourceForm::Virtual
                    || (c.exported && r.form == ResourceForm::Exported)
                {
                    r.realized = true;
                }
                apply_overrides(r, &c.overrides);
            }
            coll_matches.push(matches);
        }
        for (ty, title, file, span) in std::mem::take(&mut self.realize) {
            let ids = self.lookup(&ty, &title);
            if ids.is_empty() {
                self.model.unresolved_refs.push(UnresolvedRef {
                    ty,
                    title,
                    file,
                    span,
                    guard: Vec::new(),
                });
            }
            for id in ids {
                self.model.resources[id].realized = true;
            }
        }
        let overrides = std::mem::take(&mut self.overrides);
        for o in &overrides {
            for (ty, title) in &o.refs {
                let ids = self.lookup(ty, title);
                if ids.is_empty() {
                    self.model.unresolved_refs.push(UnresolvedRef {
                        ty: ty.clone(),
                        title: title.clone(),
                        file: o.file.clone(),
                        span: o.span,
                        guard: Vec::new(),
                    });
                }
                for id in ids {
                    apply_overrides(&mut self.model.resources[id], &o.attrs);
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
            self.keys.clear();
            for (id, r) in self.model.resources.iter().enumerate() {
                for k in resource_keys(r) {
                    self.keys.entry((r.ty.to_string(), k)).or_default().push(id);
                }
            }
        }
        // Relationships.
        for rel in std::mem::take(&mut self.rels) {
            let from = self.resolve_endpoints(&rel.from, &coll_matches, &rel);
            let to = self.resolve_endpoints(&rel.to, &coll_matches, &rel);
            for &f in &from {
                for &t in &to {
                    if f != t {
                        self.model.edges.push(Edge {
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
        // The evaluator's scopes hold many values; free them off the critical path.
        let scratch = (
            std::mem::take(&mut self.vars),
            std::mem::take(&mut self.frames),
        );
        std::thread::spawn(move || drop(scratch));
        let mut m = self.model;
        m.by_key = std::mem::take(&mut self.keys);
        m.children = vec![Vec::new(); m.resources.len()];
        for (id, r) in m.resources.iter().enumerate() {
            if let Some(c) = r.container {
                m.children[c].push(id);
            }
        }
        m.out_edges = vec![Vec::new(); m.resources.len()];
        for (i, e) in m.edges.iter().enumerate() {
            m.out_edges[e.from].push(i);
        }
        m.index = super::index::build(&m, self.tree, self.opts);
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
        m
    }

    fn lookup(&self, ty: &str, title: &str) -> Vec<ResId> {
        self.keys
            .get(&(ty.to_string(), normalize_key(ty, title)))
            .cloned()
            .unwrap_or_default()
    }

    fn resolve_endpoints(
        &mut self,
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
                    let ids = self.lookup(ty, title);
                    if ids.is_empty() {
                        self.model.unresolved_refs.push(UnresolvedRef {
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
}

/// Names in `class { 'name': … }` declarations, found in the text (a cheap scan; quoted
/// literal names only).
fn resource_like_class_names(files: &[ParsedFile<'_>]) -> std::collections::HashSet<String> {
    let mut out = std::collections::HashSet::new();
    for f in files {
        let t = f.text;
        let mut from = 0;
        while let Some(i) = t[from..].find("class") {
            let at = from + i;
            from = at + 5;
            let before_ok = at == 0
                || !t.as_bytes()[at - 1].is_ascii_alphanumeric()
                    && t.as_bytes()[at - 1] != b':'
                    && t.as_bytes()[at - 1] != b'_';
            let rest = t[at + 5..].trim_start();
            let Some(rest) = rest.strip_prefix('{') else {
                continue;
            };
            let rest = rest.trim_start();
            let Some(q) = rest.chars().next().filter(|c| *c == '\'' || *c == '"') else {
                continue;
            };
            let Some(end) = rest[1..].find(q) else {
                continue;
            };
            if before_ok {
                out.insert(normalize_key("class", &rest[1..1 + end]));
            }
        }
    }
    out
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

fn type_name(e: &Expr) -> String {
    match &e.kind {
        ExprKind::ClassRef(n) | ExprKind::Name(n) => {
            n.trim_start_matches("::").to_ascii_lowercase()
        }
        _ => String::new(),
    }
}

/// Class names given to include/contain/require: strings, arrays, `Class['x']`.
fn names_of(v: &Value) -> Vec<String> {
    let mut leaves = Vec::new();
    v.flatten_into(&mut leaves);
    leaves
        .into_iter()
        .filter_map(|l| match l {
            Value::Str(s) | Value::Type(s) => Some(s.to_string()),
            Value::Ref { ty, title } if ty == "class" => title.as_str().map(str::to_string),
            _ => None,
        })
        .collect()
}

/// Known references in a value (arrays flattened; symbolic titles skipped).
fn collect_refs(v: &Value, out: &mut Vec<(String, String)>) {
    match v {
        Value::Ref { ty, title } => {
            if let Value::Str(t) = &**title {
                out.push((ty.to_string(), t.to_string()));
            } else if let Some(k) = symbolic_key(title) {
                out.push((ty.to_string(), k));
            } else if let Value::Array(ts) = &**title {
                for t in ts {
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

/// Relationships declared by metaparameters (`require`, `before`, `notify`, `subscribe`).
fn rels_from_attrs(id: ResId, attrs: &[Attr], guard: &[GuardStep]) -> Vec<PendingRel> {
    let mut out = Vec::new();
    for a in attrs {
        if !METAPARAMS.contains(&a.name.as_str()) {
            continue;
        }
        let mut refs = Vec::new();
        collect_refs(&a.value, &mut refs);
        let targets: Vec<Endpoint> = refs
            .into_iter()
            .map(|(ty, title)| Endpoint::Ref { ty, title })
            .collect();
        if targets.is_empty() {
            continue;
        }
        let me = vec![Endpoint::Res(id)];
        let (from, to) = match a.name.as_str() {
            "before" | "notify" => (me, targets),
            _ => (targets, me),
        };
        out.push(PendingRel {
            from,
            to,
            refresh: matches!(a.name.as_str(), "notify" | "subscribe"),
            file: a.file.clone(),
            span: a.value_span,
            via: match a.name.as_str() {
                "before" => "before",
                "notify" => "notify",
                "subscribe" => "subscribe",
                _ => "require",
            },
            guard: guard.to_vec(),
        });
    }
    out
}

fn endpoints_value(eps: &[Endpoint]) -> Value {
    let _ = eps;
    Value::unknown("resource expression")
}

/// The key of a title that is not known statically (alternatives, or partly symbolic):
/// its display form, so that `File[$path]` finds the `file { $path: }` declared with the
/// same value.
fn symbolic_key(title: &Value) -> Option<String> {
    match title {
        Value::OneOf(_) | Value::Symbolic(_) => Some(title.to_string()),
        _ => None,
    }
}

/// Keys a resource can be referenced by: its title and its namevar.
fn resource_keys(r: &Resource) -> Vec<String> {
    let mut keys = Vec::with_capacity(2);
    if let Some(t) = r.title.as_str() {
        keys.push(normalize_key(&r.ty, t));
    } else if let Some(k) = symbolic_key(&r.title) {
        keys.push(normalize_key(&r.ty, &k));
    }
    if let Some(n) = r.name_value().as_str() {
        let k = normalize_key(&r.ty, n);
        if !keys.contains(&k) {
            keys.push(k);
        }
    }
    keys
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
    if let Scope::Class(c) | Scope::Define { ty: c, .. } = &r.scope {
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
            if let Scope::Class(c) | Scope::Define { ty: c, .. } = &r.scope {
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
                r.attrs[i].value = Value::Array(items);
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

/// `m/t` -> `<modulepath entry>/m/<dir>/t`, the first that exists; for the root module
/// (`root`), `<dir>/t` at the repository root first. With `allow_dir` (a `source`, which
/// may copy a directory, with or without `recurse`), a directory of the tree exists too.
pub(super) fn resolve_module_path(
    tree: &Tree,
    modulepath: &[String],
    root: Option<&str>,
    spec: &str,
    dir: &str,
    allow_dir: bool,
) -> Option<String> {
    let (m, rest) = spec.split_once('/')?;
    let at_root = (root == Some(m)).then(|| format!("{dir}/{rest}"));
    at_root
        .into_iter()
        .chain(modulepath.iter().map(|mp| format!("{mp}/{m}/{dir}/{rest}")))
        .find(|p| super::layout::exists(tree, p, allow_dir))
        .map(|p| p.trim_end_matches('/').to_owned())
}
