//! The resource model: what one revision of the repository declares.
//!
//! [`Model::build`] parses every manifest of a [`Tree`] (through a shared [`ParseCache`], so
//! files unchanged between the two sides are parsed once), evaluates them statically into
//! [`Resource`]s with evaluated [`Value`]s, resolves relationships into [`Edge`]s, and
//! builds the [`Index`] the rules query (managed paths, symlinks, packages, services and
//! their binaries, module files and templates). [`ModelChange::compute`] diffs two models.
//!
//! Evaluation policy (a linter sees modules without node classification):
//! - top-level code of the environment's manifests and every `node` body are evaluated
//!   first (each node body in its own branch of one condition, so resources of different
//!   nodes are exclusive);
//! - a class is evaluated the first time something declares it (`include`, `contain`,
//!   `require`, `class { … }`), with its parameters from the declaration, else hiera, else
//!   the default; resource defaults are dynamically scoped through that chain;
//! - afterwards every class nobody declared is evaluated once, with hiera/default
//!   parameters, so the rules see the resources of all classes ([`Origin::Undeclared`]);
//!   classes that some manifest declares with `class { 'x': … }` come last in that pass,
//!   so their declarer (a role or profile) runs first and gives them their parameters;
//! - a boolean class parameter nothing in the repository sets keeps both values
//!   ([`ModelOptions::open_flags`]): hiera outside the repository may flip it, so both
//!   branches of `if $use_package` are evaluated, as exclusive branches;
//! - a class's resources carry only the guards inside the class body: the condition
//!   around an `include` does not travel with the class (it is evaluated once).
//!
//! Nothing from the repository is executed: templates are read as text, custom functions
//! yield symbolic values.

mod cache;
pub mod change;
mod eval;
pub(crate) use eval::node_label;
pub mod facter;
pub mod facts;
mod functions;
mod graph;
mod hiera;
mod index;
pub mod layout;
#[cfg(test)]
pub(crate) mod testing;
pub mod unit;
pub mod value;
pub mod version;

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use crate::ast::{RelOp, ResourceForm, SmolStr, Span};
use crate::input::Tree;

pub use cache::ParseCache;
pub use change::{AttrDiff, ModelChange, ReasonStep, ResourceDiff, Restart};
pub use facts::{ensure_of, file_state, Chain, Content, Ensure, Facts, FileState};
pub use hiera::Hiera;
pub use index::{
    BinarySource, EnvironmentFile, FileUse, Index, LinkInfo, ServiceBinary, ServiceCommand,
    ServiceInfo,
};
pub use unit::{Literal, UnitText};
pub use value::{SymPart, Symbolic, Value};
pub use version::{PuppetVersion, VersionBasis};

/// Index of a resource in [`Model::resources`].
pub type ResId = usize;

/// Settings that change how a revision is evaluated.
#[derive(Clone, Debug)]
pub struct ModelOptions {
    /// Modulepath entries relative to the repository root. `None`: read `environment.conf`,
    /// else `["modules"]`.
    pub modulepath: Option<Vec<String>>,
    /// Hiera data files (repository-relative YAML) in lookup order. `None`: read
    /// `hiera.yaml` (v5 levels that need no facts), else `hieradata/common.yaml` and
    /// `data/common.yaml`.
    pub hiera_files: Option<Vec<String>>,
    /// Service name -> binary, used when nothing in the repository says.
    pub service_binary_hints: BTreeMap<String, String>,
    /// How deep defined types may nest before expansion stops.
    pub max_define_depth: usize,
    /// Puppet major version of the fleet, when the configuration says (`puppet_version`);
    /// else it is inferred from each revision ([`version`]).
    pub puppet_major: Option<u32>,
    /// A boolean class parameter that nothing in the repository sets (no declaration
    /// parameter, no hiera key) keeps its default *and* the opposite value: hiera outside
    /// the repository (per role, per host, per project) may flip it, so both branches of a
    /// condition on it are evaluated, as exclusive branches. Off: the default is final.
    pub open_flags: bool,
    /// Package name -> absolute paths it ships (the configuration's `package_paths`).
    pub package_paths: BTreeMap<String, Vec<String>>,
}

impl Default for ModelOptions {
    fn default() -> Self {
        ModelOptions {
            modulepath: None,
            hiera_files: None,
            service_binary_hints: BTreeMap::new(),
            max_define_depth: 16,
            puppet_major: None,
            open_flags: true,
            package_paths: BTreeMap::new(),
        }
    }
}

/// Where a resource was declared.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope {
    Top,
    Node(SmolStr),
    Class(SmolStr),
    Define { ty: SmolStr, title: SmolStr },
}

impl std::fmt::Display for Scope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Scope::Top => f.write_str("top"),
            Scope::Node(n) => write!(f, "node {n}"),
            Scope::Class(c) => write!(f, "class {c}"),
            Scope::Define { ty, title } => {
                write!(f, "define {}['{}']", value::capitalize_type(ty), title)
            }
        }
    }
}

/// How a resource came to exist.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// A resource expression in a manifest.
    Declared,
    /// `ensure_resource`, `ensure_resources` or `ensure_packages`.
    EnsureResource,
    /// `create_resources`.
    CreateResources,
    /// A class nobody declares, evaluated anyway with its defaults and hiera parameters.
    Undeclared,
}

/// A condition evaluated with an unknown subject: its branches are all kept.
#[derive(Clone, Debug)]
pub struct Condition {
    pub file: Arc<str>,
    pub span: Span,
    pub kind: ConditionKind,
    /// Source text of the tested expression (`$use_package`), on one line and shortened:
    /// for messages only.
    pub subject: String,
    /// The variables the tested expression reads, from its syntax tree, in order, each
    /// once (none for a `node` condition).
    pub variables: Vec<TestedVariable>,
    /// Whether the tested expression calls `defined()` or `defined_with_params()`.
    pub tests_defined: bool,
    /// For a `case` or the `node` bodies: each branch's values as written (`'RedHat'`,
    /// `'web1', 'web2'`), for messages; empty for `if`/`unless`.
    pub options: Vec<String>,
}

impl Condition {
    /// How branch `b` reads in a message: `` `$::osfamily` matches 'RedHat' ``, `the node
    /// is 'web1'`, or `None` when the branch has no label (an `if`, or a `case` option
    /// standing for "any other").
    pub fn option_text(&self, b: u32) -> Option<String> {
        let label = self.options.get(b as usize).filter(|l| !l.is_empty())?;
        Some(match (self.kind, label.as_str()) {
            (ConditionKind::Node, "default") => "the node falls to `node default`".to_owned(),
            (ConditionKind::Node, _) => format!("the node is {label}"),
            (_, "default") => format!("`{}` matches none of the other options", self.subject),
            _ => format!("`{}` matches {label}", self.subject),
        })
    }
}

/// What kind of code a [`Condition`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ConditionKind {
    If,
    Unless,
    Case,
    /// The `node` bodies of the repository: one branch per node definition.
    Node,
}

impl ConditionKind {
    /// `if`, `unless`, `case`, `node`.
    pub fn as_str(self) -> &'static str {
        match self {
            ConditionKind::If => "if",
            ConditionKind::Unless => "unless",
            ConditionKind::Case => "case",
            ConditionKind::Node => "node",
        }
    }
}

impl std::fmt::Display for ConditionKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A variable a condition tests, as written without the `$` (`::osfamily`,
/// `apache::version`, `facts`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TestedVariable {
    pub name: SmolStr,
    /// The first index when the variable is accessed with a literal one: `os` for
    /// `$facts['os']['family']`.
    pub key: Option<SmolStr>,
}

/// One step of a branch guard: condition `cond` took branch `branch`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct GuardStep {
    pub cond: u32,
    pub branch: u32,
}

/// Where an attribute's value came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AttrOrigin {
    Declared,
    /// A resource default (`File { backup => false }`) in scope.
    Default,
    /// A collector override block or a resource override (`File['/x'] { … }`).
    Override,
    /// A parameter of the defined type's instance (for the instance resource itself).
    Param,
}

/// An evaluated attribute with the spans of its name and value.
#[derive(Clone, Debug)]
pub struct Attr {
    pub name: SmolStr,
    pub value: Value,
    /// File holding the attribute text (a default or override may live elsewhere).
    pub file: Arc<str>,
    pub name_span: Span,
    /// The span of the value's expression in [`Self::file`] (for an attribute given by
    /// `ensure_resource`, `ensure_packages` or `create_resources`, the call's), which is
    /// with the file, how a rule finds the value's syntax node.
    pub value_span: Span,
    pub origin: AttrOrigin,
}

/// One resource of the catalogue (including class and defined-type instances).
#[derive(Clone, Debug)]
pub struct Resource {
    /// Lowercase type: `file`, `service`, `class`, `systemd::unit_file`.
    pub ty: SmolStr,
    pub title: Value,
    pub file: Arc<str>,
    /// The declaration (resource body) span.
    pub span: Span,
    pub title_span: Span,
    pub attrs: Vec<Attr>,
    /// Shared by the resources of one scope.
    pub scope: Arc<Scope>,
    pub guard: Box<[GuardStep]>,
    pub form: ResourceForm,
    /// Virtual or exported resources realised by a collector or `realize`.
    pub realized: bool,
    /// The innermost class or defined-type instance that contains this resource.
    pub container: Option<ResId>,
    /// Defined-type instances this resource was expanded from, outermost first.
    pub define_chain: Box<[ResId]>,
    pub origin: Origin,
    /// Module of the code that declared it.
    pub module: Option<SmolStr>,
}

impl Resource {
    pub fn attr(&self, name: &str) -> Option<&Attr> {
        self.attrs.iter().find(|a| a.name == name)
    }

    pub fn get(&self, name: &str) -> Option<&Value> {
        self.attr(name).map(|a| &a.value)
    }

    /// The title as text when known.
    pub fn title_str(&self) -> Option<&str> {
        self.title.as_str()
    }

    /// `File['/x']`.
    pub fn display_ref(&self) -> String {
        let t = match &self.title {
            Value::Str(s) => s.clone(),
            v => v.to_string().into(),
        };
        format!("{}['{}']", value::capitalize_type(&self.ty), t)
    }

    /// The namevar's value (file `path`, package/service `name`, exec `command`) or title.
    /// `name` is an alias of every type's namevar: `file { 'x': name => '/etc/x' }`
    /// manages `/etc/x` (puppet apply 7.23).
    pub fn name_value(&self) -> &Value {
        let nv = match self.ty.as_str() {
            "file" => "path",
            "exec" => "command",
            _ => "name",
        };
        self.get(nv)
            .or_else(|| if nv == "name" { None } else { self.get("name") })
            .unwrap_or(&self.title)
    }

    /// Whether the resource is applied: not virtual/exported, or realised.
    pub fn is_live(&self) -> bool {
        self.form == ResourceForm::Regular || self.realized
    }

    /// The effective `backup` of a file: its attribute (own or from a default), else the
    /// default of the Puppet version (`false` from 7, `"puppet"` before).
    pub fn effective_backup(&self, puppet_major: u32) -> Value {
        match self.get("backup") {
            Some(v) => v.clone(),
            None if puppet_major >= 7 => Value::Bool(false),
            None => Value::str("puppet"),
        }
    }
}

/// A relationship edge between two resources (either may be a class or define instance;
/// such edges apply to everything the container holds).
#[derive(Clone, Debug)]
pub struct Edge {
    pub from: ResId,
    pub to: ResId,
    /// `~>`, `notify`, `subscribe`: the target is refreshed when the source changes.
    pub refresh: bool,
    pub file: Arc<str>,
    pub span: Span,
    pub via: EdgeVia,
    /// Branch guard of the code stating the relationship (a resource's metaparameter: the
    /// resource's guard; a chain: the guard of the statement).
    pub guard: Vec<GuardStep>,
}

/// What states a relationship [`Edge`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EdgeVia {
    /// A metaparameter: `require`, `before`, `notify`, `subscribe`.
    Require,
    Before,
    Notify,
    Subscribe,
    /// A chaining arrow: `->`, `~>`, `<-`, `<~`.
    Chain(RelOp),
    /// The `require` function (the declaring class requires the class).
    RequireFunction,
}

impl EdgeVia {
    /// `require`, `before`, `notify`, `subscribe`, `->`, `~>`, `<-`, `<~`, `require()`.
    pub fn as_str(self) -> &'static str {
        match self {
            EdgeVia::Require => "require",
            EdgeVia::Before => "before",
            EdgeVia::Notify => "notify",
            EdgeVia::Subscribe => "subscribe",
            EdgeVia::Chain(op) => op.as_str(),
            EdgeVia::RequireFunction => "require()",
        }
    }

    /// Whether a resource's metaparameter states the edge.
    pub fn is_metaparam(self) -> bool {
        matches!(
            self,
            EdgeVia::Require | EdgeVia::Before | EdgeVia::Notify | EdgeVia::Subscribe
        )
    }
}

impl std::fmt::Display for EdgeVia {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A `create_resources(type, hash, …)` call the evaluator ran (once per evaluation: a
/// call in a defined type is recorded for every instance).
#[derive(Clone, Debug)]
pub struct CreateResourcesCall {
    /// The type, lowercase without a leading `::`; `None` when it is not known statically.
    pub ty: Option<SmolStr>,
    pub file: Arc<str>,
    /// The call.
    pub span: Span,
    /// Branch guard of the call.
    pub guard: Vec<GuardStep>,
}

/// A collector (`Type <| … |>`, or `<<| … |>>` for exported resources) the evaluator met,
/// once per place in the code.
#[derive(Clone, Debug)]
pub struct CollectorSite {
    /// The collected type, lowercase without a leading `::`.
    pub ty: SmolStr,
    pub exported: bool,
    pub file: Arc<str>,
    /// The collector expression (query and override block included).
    pub span: Span,
}

/// A class or define defined in the repository.
#[derive(Clone, Debug)]
pub struct Definition {
    pub file: Arc<str>,
    pub span: Span,
}

/// A reference (relationship, `realize`, override) to a resource declared nowhere.
#[derive(Clone, Debug)]
pub struct UnresolvedRef {
    pub ty: String,
    pub title: String,
    pub file: Arc<str>,
    pub span: Span,
    /// Branch guard of the referencing code (empty when not known: `realize`, overrides).
    pub guard: Vec<GuardStep>,
}

/// Something the evaluator could not do (depth bound, cycle, …), for `--verbose` output.
#[derive(Clone, Debug)]
pub struct EvalNote {
    pub file: Arc<str>,
    pub span: Span,
    pub message: String,
}

/// A variable read where nothing defines it: not bound in its scope or the scopes above
/// (a class's parents, top scope), not a built-in variable or fact
/// ([`facter::NodeVariables`]), not assigned at top or node scope anywhere, and for a
/// qualified name, not set by the class of the repository it names. Puppet (without
/// `strict_variables`) makes it `undef`, the empty string in a string.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct UnboundVar {
    /// The file and span of the `$name` expression (inside a string: the interpolated
    /// expression).
    pub file: Arc<str>,
    pub span: Span,
    /// As written, without `$`: `prefix`, `::prefix`, `app::params::port`.
    pub name: SmolStr,
    /// The name of the unknown the value carries ([`SymPart::Unknown`]).
    pub unknown: SmolStr,
}

/// Counts for benchmarks and regression checks.
#[derive(Clone, Debug, Default)]
pub struct Stats {
    pub manifests: usize,
    pub manifests_with_syntax_errors: usize,
    pub resources: usize,
    pub symbolic_values: usize,
    pub edges: usize,
    /// Wall time of each phase of [`Model::build`].
    pub timings: Vec<(&'static str, std::time::Duration)>,
}

/// One revision of the repository, evaluated.
#[derive(Debug, Default)]
pub struct Model {
    pub resources: Vec<Resource>,
    pub edges: Vec<Edge>,
    pub conditions: Vec<Condition>,
    pub classes: BTreeMap<String, Definition>,
    pub defines: BTreeMap<String, Definition>,
    /// `include`/`contain`/`require`/`class {}` of a class that exists nowhere.
    pub unresolved_classes: Vec<UnresolvedRef>,
    /// Relationship targets and `realize`/override references that match nothing.
    pub unresolved_refs: Vec<UnresolvedRef>,
    /// Relationship targets found only through one alternative of a title or name chosen
    /// among several (`package { $pkg: }`, `$pkg` one of `'nova-compute'` or
    /// `'openstack-nova-compute'`): where the other is chosen, they match nothing.
    pub alternative_refs: Vec<UnresolvedRef>,
    /// Every `create_resources` call evaluated.
    pub create_resources: Vec<CreateResourcesCall>,
    /// Every collector evaluated.
    pub collectors: Vec<CollectorSite>,
    pub notes: Vec<EvalNote>,
    /// Variables read where nothing defines them, ordered by file and position.
    pub unbound_vars: Vec<UnboundVar>,
    /// Units of code whose evaluation panicked (a bug of the evaluator); their resources
    /// are missing. Reported as `internal-error`.
    pub failures: Vec<crate::isolate::Failure>,
    pub modulepath: Vec<String>,
    /// The module the repository root is (`metadata.json`'s name, or the class of
    /// `manifests/init.pp`): its `files/` and `templates/` are at the root.
    pub root_module: Option<String>,
    /// The Puppet this revision is judged by, and why ([`version`]).
    pub puppet: PuppetVersion,
    pub hiera: Hiera,
    pub index: Index,
    /// What the resources amount to: file states, links, what services execute.
    pub facts: Facts,
    pub stats: Stats,
    /// (type, key) -> resources; key is the normalised title and namevar.
    by_key: KeyIndex,
    /// container -> directly contained resources.
    children: graph::Adjacency,
    /// from -> edge indices.
    out_edges: graph::Adjacency,
}

/// Normalise a resource key: file paths lose `//` and a trailing `/`; class names lose a
/// leading `::` and are lowercased.
pub fn normalize_key(ty: &str, title: &str) -> String {
    normalize_key_cow(ty, title).into_owned()
}

/// [`normalize_key`] without a copy when the title is already normal (most are): the
/// model change and the key index keep one entry per resource of each side.
pub fn normalize_key_cow<'a>(ty: &str, title: &'a str) -> Cow<'a, str> {
    match ty {
        "file" => {
            let b = title.as_bytes();
            let doubled = b.windows(2).any(|w| w == b"//");
            let trailing = b.len() > 1 && b.ends_with(b"/");
            if doubled || trailing {
                Cow::Owned(normalize_path(title))
            } else {
                Cow::Borrowed(title)
            }
        }
        "class" => {
            let t = title.trim_start_matches("::");
            if t.bytes().any(|c| c.is_ascii_uppercase()) {
                Cow::Owned(t.to_ascii_lowercase())
            } else {
                Cow::Borrowed(t)
            }
        }
        _ => Cow::Borrowed(title),
    }
}

/// `/a//b/` -> `/a/b`; `/` stays `/`.
pub fn normalize_path(p: &str) -> String {
    let mut out = String::with_capacity(p.len());
    let mut prev_slash = false;
    for c in p.chars() {
        if c == '/' {
            if prev_slash {
                continue;
            }
            prev_slash = true;
        } else {
            prev_slash = false;
        }
        out.push(c);
    }
    while out.len() > 1 && out.ends_with('/') {
        out.pop();
    }
    out
}

/// FxHash (as in rustc): a multiply-rotate hash, several times faster than the standard
/// SipHash on the short strings the evaluator keys its maps by (class names, resource
/// titles), where hashing took about 4% of a check. Not resistant to chosen collisions,
/// which costs at worst time, never a different result.
#[derive(Clone, Copy, Default)]
pub(crate) struct FxHasher {
    hash: u64,
}

impl FxHasher {
    const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

    #[inline]
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(Self::SEED);
    }
}

impl std::hash::Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(w) ^ ((rest.len() as u64) << 59));
        }
    }

    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }

    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }

    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    /// Mixed once more (SplitMix64's finaliser): the table picks a bucket by the low bits,
    /// which a multiplication mixes only from the low bits of its input, so without it
    /// keys differing at the end of their last 8 bytes (`'/srv/f10'`, `'/srv/f11'`, …)
    /// would crowd into a few buckets.
    fn finish(&self) -> u64 {
        let mut z = self.hash;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

/// A map or set hashed with [`FxHasher`].
pub(crate) type FxMap<K, V> = HashMap<K, V, std::hash::BuildHasherDefault<FxHasher>>;
pub(crate) type FxSet<K> = std::collections::HashSet<K, std::hash::BuildHasherDefault<FxHasher>>;

/// The resources of a type by key (normalised title or namevar). Keys are the resources'
/// own strings where they are already normal (shared, not copied), and a key with one
/// resource, as most have, needs no list. Types are numbered, and an entry is 40 bytes
/// (80 with the type's name and a list in each): on a 77,000-resource revision the map
/// was about 10 MB per side.
#[derive(Clone, Debug, Default)]
pub(crate) struct KeyIndex {
    types: FxMap<SmolStr, u32>,
    /// (type number, key) -> a resource id, or [`Self::MANY`] | an index into `many`.
    map: FxMap<(u32, SmolStr), usize>,
    many: Vec<Vec<ResId>>,
}

impl KeyIndex {
    const MANY: usize = 1 << (usize::BITS - 1);

    /// The resources of type `ty` (lowercase) with the normalised key `key`.
    pub(crate) fn get(&self, ty: &str, key: &str) -> &[ResId] {
        let Some(&t) = self.types.get(ty) else {
            return &[];
        };
        match self.map.get(&(t, SmolStr::new(key))) {
            Some(&v) if v & Self::MANY != 0 => &self.many[v & !Self::MANY],
            Some(id) => std::slice::from_ref(id),
            None => &[],
        }
    }

    pub(crate) fn push(&mut self, ty: &SmolStr, key: SmolStr, id: ResId) {
        use std::collections::hash_map::Entry;
        let next = self.types.len() as u32;
        let t = *self.types.entry(ty.clone()).or_insert(next);
        match self.map.entry((t, key)) {
            Entry::Vacant(e) => {
                e.insert(id);
            }
            Entry::Occupied(mut e) => {
                let v = e.get_mut();
                if *v & Self::MANY != 0 {
                    self.many[*v & !Self::MANY].push(id);
                } else {
                    self.many.push(vec![*v, id]);
                    *v = (self.many.len() - 1) | Self::MANY;
                }
            }
        }
    }

    pub(crate) fn clear(&mut self) {
        self.map.clear();
        self.many.clear();
    }

    fn reserve(&mut self, n: usize) {
        self.map.reserve(n);
    }
}

/// [`normalize_key`] of a title held as a [`SmolStr`]: the same string, shared, when it is
/// already normal.
pub(crate) fn normalize_key_smol(ty: &str, title: &SmolStr) -> SmolStr {
    match normalize_key_cow(ty, title) {
        Cow::Borrowed(k) if k.len() == title.len() => title.clone(),
        Cow::Borrowed(k) => SmolStr::new(k),
        Cow::Owned(k) => SmolStr::from(k),
    }
}

/// Gives the resource list exactly the room it uses when a quarter or more of it is
/// unused: a revision with more resources than evaluation reserved for grew the list by
/// doubling, and a model lives as long as the check (on a 77,000-resource revision the
/// unused room was about 15 MB per side). A shrinking reallocation may stay in place, so
/// the resources are moved to a new list.
fn compact(m: &mut Model) {
    // Room reserved in advance and left unused was never touched: not worth a copy.
    if m.resources.capacity() > m.resources.len() + m.resources.len() / 4 {
        let mut exact = Vec::with_capacity(m.resources.len());
        exact.append(&mut m.resources);
        m.resources = exact;
    }
}

/// Drop `x` on another thread. Freeing a whole model (hundreds of thousands of values)
/// takes a noticeable share of a check on a large repository; nothing waits for it, and
/// at the end of the process it is simply not finished.
pub fn drop_off_thread<T: Send + 'static>(x: T) {
    // Without a thread to be had, `spawn` drops the closure, and `x` with it, here.
    let _ = std::thread::Builder::new().spawn(move || drop(x));
}

/// A revision evaluated by [`Model::evaluate`]: resources and relationships, without the
/// index and the facts.
pub struct Evaluated {
    model: Model,
    /// Of parse and evaluate.
    timings: Vec<(&'static str, std::time::Duration)>,
    /// Of resolving the relationships (reported with the index).
    resolve: std::time::Duration,
}

impl Evaluated {
    /// The remaining stages of [`Model::build`] for `tree`: index, version from the
    /// modules' metadata, facts.
    pub fn finish(self, tree: &Tree, opts: &ModelOptions) -> Model {
        let mut m = self.model;
        let start = std::time::Instant::now();
        m.index = eval::on_large_stack(|| index::build(&m, tree, opts));
        if !m.puppet.is_known() {
            if let Some(v) = version::from_metadata(tree, &m.modulepath) {
                m.puppet = v;
            }
        }
        m.stats.timings = self.timings;
        m.stats
            .timings
            .push(("relations+index", self.resolve + start.elapsed()));
        let start = std::time::Instant::now();
        m.facts = Facts::build(&m, opts);
        m.stats.timings.push(("facts", start.elapsed()));
        m
    }

    /// The same evaluation for another tree: only where [`Model::evaluate`] on that tree
    /// would make the same, which holds when the trees differ only in the content of
    /// files it did not read (see [`crate::input::Blob::uses`]). Cheaper than evaluating
    /// again: the copy of a 77,000-resource model takes a few hundredths of a second.
    pub fn share(&self) -> Evaluated {
        let start = std::time::Instant::now();
        let model = self.model.clone_evaluated();
        Evaluated {
            model,
            timings: vec![("evaluation shared with the other side", start.elapsed())],
            resolve: std::time::Duration::ZERO,
        }
    }
}

impl Model {
    /// Room for `n` resources, in the list and in the index by key.
    pub(crate) fn reserve_resources(&mut self, n: usize) {
        self.resources.reserve(n);
        self.by_key.reserve(n);
    }

    /// Fill `cache` before the models of `trees` are built side by side: every manifest
    /// parsed in one parallel pass ([`ParseCache::prefetch`]) and, meanwhile, the hiera
    /// data each tree's model reads (each distinct file once). Without it both sides miss
    /// the cache at the same moment and each reads every shared file.
    pub fn prefetch(trees: &[&Tree], opts: &ModelOptions, cache: &ParseCache) {
        rayon::join(
            || cache.prefetch(trees),
            || {
                for tree in trees {
                    let modulepath = layout::read_modulepath(tree, opts);
                    Hiera::load(tree, opts.hiera_files.as_deref(), &modulepath, cache);
                }
            },
        );
    }

    /// Parse (through `cache`) and evaluate every manifest of `tree`.
    /// Stages, in order: layout and hiera, parse, evaluate, resolve, index, facts.
    pub fn build(tree: &Tree, opts: &ModelOptions, cache: &ParseCache) -> Model {
        Model::evaluate(tree, opts, cache).finish(tree, opts)
    }

    /// The first stages of [`Model::build`]: layout and hiera, parse, evaluate, resolve.
    /// The index and the facts, which also read templates and deployed files, are left
    /// to [`Evaluated::finish`].
    pub fn evaluate(tree: &Tree, opts: &ModelOptions, cache: &ParseCache) -> Evaluated {
        let t0 = std::time::Instant::now();
        let modulepath = layout::read_modulepath(tree, opts);
        let hiera = Hiera::load(tree, opts.hiera_files.as_deref(), &modulepath, cache);
        let files = eval::parse(tree, &modulepath, cache);
        let t_parse = t0.elapsed();
        // The evaluator may still find Puppet 3's templatedir in use (evidence 6).
        let puppet =
            version::from_files(tree, opts.puppet_major).or_else(|| eval::first_import(&files));
        let (model, t_eval) = eval::on_large_stack(|| {
            let (mut m, pending) = eval::evaluate(tree, opts, modulepath, hiera, &files, puppet);
            let t_eval = t0.elapsed();
            eval::resolve(&mut m, pending);
            compact(&mut m);
            (m, t_eval)
        });
        Evaluated {
            model,
            timings: vec![("parse", t_parse), ("evaluate", t_eval - t_parse)],
            resolve: t0.elapsed() - t_eval,
        }
    }

    /// A copy of what [`Model::evaluate`] made: everything but the index and the facts
    /// (still empty then). [`Model::clone_evaluated_but_resources`] names every field, so
    /// that a new one cannot be left out unnoticed.
    fn clone_evaluated(&self) -> Model {
        use rayon::prelude::*;
        // The resources are most of it: copied on both threads, the rest meanwhile.
        let (resources, mut m) = rayon::join(
            || self.resources.par_iter().cloned().collect(),
            || self.clone_evaluated_but_resources(),
        );
        m.resources = resources;
        m
    }

    /// [`Model::clone_evaluated`] without the resources, left empty.
    fn clone_evaluated_but_resources(&self) -> Model {
        Model {
            resources: Vec::new(),
            edges: self.edges.clone(),
            conditions: self.conditions.clone(),
            classes: self.classes.clone(),
            defines: self.defines.clone(),
            unresolved_classes: self.unresolved_classes.clone(),
            unresolved_refs: self.unresolved_refs.clone(),
            alternative_refs: self.alternative_refs.clone(),
            create_resources: self.create_resources.clone(),
            collectors: self.collectors.clone(),
            notes: self.notes.clone(),
            unbound_vars: self.unbound_vars.clone(),
            failures: self.failures.clone(),
            modulepath: self.modulepath.clone(),
            root_module: self.root_module.clone(),
            puppet: self.puppet.clone(),
            hiera: self.hiera.clone(),
            index: Index::default(),
            facts: Facts::default(),
            stats: self.stats.clone(),
            by_key: self.by_key.clone(),
            children: self.children.clone(),
            out_edges: self.out_edges.clone(),
        }
    }

    /// The Debian packages the revision declares (live `package` resources without a
    /// provider, or with a Debian one), whose contents [`Model::add_package_contents`]
    /// takes.
    pub fn debian_packages(&self) -> std::collections::BTreeSet<String> {
        const DEBIAN: &[&str] = &["apt", "aptitude", "dpkg"];
        self.index
            .packages
            .iter()
            .filter(|(_, ids)| {
                ids.iter().any(|&id| {
                    let r = self.get(id);
                    r.is_live()
                        && r.get("provider")
                            .map_or(true, |p| p.as_str().is_some_and(|p| DEBIAN.contains(&p)))
                })
            })
            .map(|(name, _)| name.clone())
            .collect()
    }

    /// Add what the package contents files say the declared packages ship to
    /// [`Facts::shipped_by`] (read on this host by the command, after the model is built:
    /// only the packages [`Model::debian_packages`] names are read).
    pub fn add_package_contents(&mut self, shipped: &crate::input::Shipped) {
        self.facts.add_contents(shipped);
    }

    /// Resources whose title or namevar is `title` (normalised) for type `ty`.
    pub fn find(&self, ty: &str, title: &str) -> &[ResId] {
        self.by_key
            .get(&ty.to_ascii_lowercase(), &normalize_key_cow(ty, title))
    }

    pub fn get(&self, id: ResId) -> &Resource {
        &self.resources[id]
    }

    /// The variables read inside `span` of `file` that nothing defines
    /// ([`Model::unbound_vars`]), found by binary search.
    pub fn unbound_in(&self, file: &str, span: Span) -> &[UnboundVar] {
        let v = &self.unbound_vars;
        let from = v.partition_point(|u| (&*u.file, u.span.start) < (file, span.start));
        let to = v.partition_point(|u| (&*u.file, u.span.start) < (file, span.end));
        // Expressions nest: a read that starts inside the span ends inside it.
        &v[from..to.max(from)]
    }

    /// Whether two resources sit in different branches of the same condition, so that no
    /// compilation contains both.
    pub fn exclusive(&self, a: ResId, b: ResId) -> bool {
        let (ga, gb) = (&self.resources[a].guard, &self.resources[b].guard);
        ga.iter()
            .any(|x| gb.iter().any(|y| x.cond == y.cond && x.branch != y.branch))
    }

    /// Human text of a guard: `if $use_package (then)`.
    pub fn guard_text(&self, g: &GuardStep) -> String {
        match self.conditions.get(g.cond as usize) {
            Some(c) => {
                let branch = match (c.kind, g.branch) {
                    (ConditionKind::If, 0) => "then".to_string(),
                    (ConditionKind::If, _) => "else".to_string(),
                    (ConditionKind::Unless, 0) => "unless-body".to_string(),
                    (ConditionKind::Unless, _) => "else".to_string(),
                    (_, b) => match c.options.get(b as usize).filter(|l| !l.is_empty()) {
                        Some(label) => label.clone(),
                        None => format!("option {}", b + 1),
                    },
                };
                format!("{} {} ({branch})", c.kind, c.subject)
            }
            None => format!("condition {} branch {}", g.cond, g.branch),
        }
    }

    /// Containers of `id`, innermost first.
    pub fn ancestors(&self, id: ResId) -> impl Iterator<Item = ResId> + '_ {
        std::iter::successors(self.resources[id].container, move |&c| {
            self.resources[c].container
        })
    }

    /// `id` and everything it contains, transitively.
    pub fn descendants_or_self(&self, id: ResId) -> Vec<ResId> {
        graph::descendants_or_self(&self.children, id)
    }

    /// Edges leaving `id` itself (not its containers).
    pub fn edges_from(&self, id: ResId) -> impl Iterator<Item = &Edge> + '_ {
        self.out_edges.get(id).iter().map(move |&e| &self.edges[e])
    }

    /// Is there an ordering path (any edge kind, containment applied) from `a` to `b`?
    /// Used by restart-before-binary: "is the binary's resource applied before the service".
    pub fn ordering_path(&self, a: ResId, b: ResId) -> bool {
        graph::path_exists(self, a, b, false)
    }

    /// Is there a path of refresh edges from `a` to `b`?
    pub fn refresh_path(&self, a: ResId, b: ResId) -> bool {
        graph::path_exists(self, a, b, true)
    }

    /// Lines of a resource for display, given the file text.
    pub fn live_resources(&self) -> impl Iterator<Item = (ResId, &Resource)> {
        self.resources
            .iter()
            .enumerate()
            .filter(|(_, r)| r.is_live())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fx_hash_spreads_keys_that_differ_at_the_end() {
        use std::hash::BuildHasher;
        let build = std::hash::BuildHasherDefault::<FxHasher>::default();
        // 1,000 eight-byte keys that differ only in their last bytes: the low 10 bits (a
        // table of 1,024 buckets) must take many values, not a handful.
        let buckets: std::collections::HashSet<u64> = (0..1000)
            .map(|i| build.hash_one(format!("/srv/{i:03}")) & 1023)
            .collect();
        assert!(buckets.len() > 500, "{} buckets", buckets.len());
    }

    #[test]
    fn path_normalisation() {
        assert_eq!(normalize_path("/usr//bin/"), "/usr/bin");
        assert_eq!(normalize_path("/"), "/");
        assert_eq!(normalize_key("class", "::K8s::Master"), "k8s::master");
        for (ty, t) in [
            ("file", "/usr//bin/"),
            ("file", "//"),
            ("file", ""),
            ("file", "/"),
            ("file", "a/"),
            ("file", "/a/b"),
            ("class", "::k8s"),
            ("class", "K8s"),
            ("class", "k8s::master"),
            ("package", "/x//"),
        ] {
            let expected = match ty {
                "file" => normalize_path(t),
                "class" => t.trim_start_matches("::").to_ascii_lowercase(),
                _ => t.to_string(),
            };
            assert_eq!(normalize_key_cow(ty, t), expected, "{ty} {t}");
        }
    }
}
