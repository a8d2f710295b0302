//! Facts about one revision, each with one definition, derived once from the evaluated
//! resources and the [`Index`](super::Index) and shared by every rule, `--summary` and
//! `resources`:
//!
//! - what a `file` resource leaves at its path ([`file_state`]: a link and its target, a
//!   regular file and whether its content is known, empty or unknown, a directory,
//!   nothing, or only metadata);
//! - the link graph and where a path leads through it ([`Facts::resolve`], cached for
//!   every link and every service's binary);
//! - which services execute a path (as their binary, or through links on the way to it),
//!   and which `exec`s run it (the first word of their `command`);
//! - which packages the configuration says ship a path, or ship files under a directory.
//!
//! A question that has an answer here is not answered again elsewhere: rules, the summary
//! and the resources listing call these.

use std::collections::{BTreeMap, HashMap};

use super::value::Value;
use super::{normalize_path, Model, ModelOptions, ResId, Resource};

/// What the `ensure` of a `file` resource (with its other attributes) asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ensure {
    /// `file`.
    File,
    /// `present` (a file if nothing is there; anything already there is kept).
    Present,
    /// `link`, a path-valued `ensure`, or a `target` with no `ensure`.
    Link,
    Directory,
    Absent,
    /// No `ensure`: Puppet manages only the attributes given (content makes it a file).
    Unset,
    /// Symbolic, or several possibilities that disagree.
    Unknown,
}

/// The keywords of a `file`'s `ensure`; any other text is a link target.
const ENSURE_KEYWORDS: [&str; 7] = [
    "present",
    "absent",
    "file",
    "directory",
    "link",
    "false",
    "true",
];

/// The meaning of one `ensure` value.
pub fn ensure_of_value(v: &Value) -> Ensure {
    match v {
        Value::Str(s) => match s.as_str() {
            "file" => Ensure::File,
            "present" | "true" => Ensure::Present,
            "link" => Ensure::Link,
            "directory" => Ensure::Directory,
            "absent" | "false" => Ensure::Absent,
            s if !ENSURE_KEYWORDS.contains(&s) && !s.is_empty() => Ensure::Link,
            _ => Ensure::Unknown,
        },
        Value::Bool(true) => Ensure::Present,
        Value::Bool(false) => Ensure::Absent,
        Value::OneOf(vs) => {
            let first = vs.first().map_or(Ensure::Unknown, ensure_of_value);
            if vs.iter().all(|v| ensure_of_value(v) == first) {
                first
            } else {
                Ensure::Unknown
            }
        }
        _ => Ensure::Unknown,
    }
}

/// A value that is given and not `undef` (Puppet treats `attr => undef` as not set).
fn given(v: Option<&Value>) -> bool {
    v.is_some_and(|v| !v.is_undef())
}

/// The effective `ensure` of a `file` resource.
pub fn ensure_of(r: &Resource) -> Ensure {
    match r.get("ensure") {
        Some(v) if !v.is_undef() => ensure_of_value(v),
        _ if given(r.get("target")) => Ensure::Link,
        _ if given(r.get("content")) || given(r.get("source")) => Ensure::File,
        _ => Ensure::Unset,
    }
}

/// What a regular file's content is known to be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Content {
    /// Text in the manifest, a template or file of the repository, or a `source`.
    Known,
    /// `content => ''`, or a file asked for with neither `content` nor `source`: an
    /// existing file is truncated (or an empty one created).
    Empty,
    /// Computed from something the repository does not say.
    Unknown,
}

/// What a `file` resource leaves at its path.
#[derive(Clone, Debug, PartialEq)]
pub enum FileState {
    /// A symbolic link. `target` as evaluated (`Undef` when not given); `resolved` is the
    /// target as a normalised absolute path (a relative target taken from the link's
    /// directory), when known.
    Link {
        target: Value,
        resolved: Option<String>,
    },
    Regular {
        content: Content,
    },
    Directory,
    Absent,
    /// No `ensure`, no content: Puppet manages only owner, group and mode of whatever is
    /// there, and creates nothing.
    Metadata,
    /// The `ensure` is symbolic, or its alternatives disagree.
    Unknown,
}

impl FileState {
    pub fn is_link(&self) -> bool {
        matches!(self, FileState::Link { .. })
    }

    /// A regular file whose content the repository gives (known or computed).
    pub fn has_content(&self) -> bool {
        matches!(
            self,
            FileState::Regular {
                content: Content::Known | Content::Unknown
            }
        )
    }

    pub fn is_empty_file(&self) -> bool {
        matches!(
            self,
            FileState::Regular {
                content: Content::Empty
            }
        )
    }

    /// The resolved target of a link.
    pub fn link_target(&self) -> Option<&str> {
        match self {
            FileState::Link { resolved, .. } => resolved.as_deref(),
            _ => None,
        }
    }
}

/// The content of a resource that puts a regular file at its path.
fn content_of(r: &Resource) -> Content {
    if let Some(c) = r.get("content").filter(|c| !c.is_undef()) {
        let alts = c.alternatives();
        return if alts
            .iter()
            .all(|v| matches!(v, Value::Str(s) if s.is_empty()))
        {
            Content::Empty
        } else if alts.iter().any(|v| matches!(v, Value::Symbolic(_))) {
            Content::Unknown
        } else {
            Content::Known
        };
    }
    if given(r.get("source")) {
        Content::Known
    } else {
        Content::Empty
    }
}

/// What `file` resource `r` leaves at its path.
pub fn file_state(r: &Resource) -> FileState {
    match ensure_of(r) {
        Ensure::Link => {
            let target = link_value(r).unwrap_or(Value::Undef);
            let resolved = match r.name_value() {
                Value::Str(p) => resolve_target(&normalize_path(p), &target),
                _ => None,
            };
            FileState::Link { target, resolved }
        }
        Ensure::Directory => FileState::Directory,
        Ensure::Absent => FileState::Absent,
        Ensure::File | Ensure::Present => FileState::Regular {
            content: content_of(r),
        },
        Ensure::Unset if given(r.get("content")) || given(r.get("source")) => FileState::Regular {
            content: content_of(r),
        },
        Ensure::Unset => FileState::Metadata,
        Ensure::Unknown => FileState::Unknown,
    }
}

/// The target of a `file` resource that is, or in one branch may be, a link (an `ensure`
/// whose alternatives include `link` or a path): its `target`, else the path-valued
/// `ensure`, else `Undef`. `None` when no alternative makes it a link.
pub fn link_value(r: &Resource) -> Option<Value> {
    let target = r.get("target").filter(|t| !t.is_undef()).cloned();
    match r.get("ensure").filter(|e| !e.is_undef()) {
        Some(e) => {
            let mut is_link = false;
            let mut path_target = None;
            for alt in e.alternatives() {
                if ensure_of_value(alt) == Ensure::Link {
                    is_link = true;
                    if let Some(s) = alt.as_str().filter(|s| *s != "link") {
                        path_target = Some(Value::str(s));
                    }
                }
            }
            is_link.then(|| target.or(path_target).unwrap_or(Value::Undef))
        }
        None => target,
    }
}

/// A link target as a normalised absolute path: absolute targets cleaned, relative ones
/// taken from the link's directory. `None` for unknown or empty targets.
pub fn resolve_target(link_path: &str, target: &Value) -> Option<String> {
    match target {
        Value::Str(s) if s.starts_with('/') => Some(clean_path(s)),
        Value::Str(s) if !s.is_empty() => {
            let dir = link_path.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
            Some(clean_path(&format!("{dir}/{s}")))
        }
        _ => None,
    }
}

/// Resolve `..` and `.` in an absolute path.
pub fn clean_path(p: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    for seg in p.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                out.pop();
            }
            s => out.push(s),
        }
    }
    format!("/{}", out.join("/"))
}

/// Whether a `package` resource removes its package (`ensure => absent` or `purged`).
pub fn package_removed(r: &Resource) -> bool {
    r.get("ensure")
        .and_then(Value::as_str)
        .is_some_and(|e| matches!(e, "absent" | "purged"))
}

/// Whether a `mode` value grants execute permission to anyone: `Some(true/false)` when
/// known, `None` for symbolic values.
pub fn mode_has_exec(v: &Value) -> Option<bool> {
    let s = match v {
        Value::Str(s) => s.clone(),
        Value::Int(i) => i.to_string().into(),
        _ => return None,
    };
    let s = s.trim();
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        let digits: Vec<u32> = s.bytes().map(|b| u32::from(b - b'0')).collect();
        if digits.iter().any(|&d| d > 7) {
            return None;
        }
        let perms = &digits[digits.len().saturating_sub(3)..];
        return Some(perms.iter().any(|d| d & 1 == 1));
    }
    // Symbolic: `u=rwx,go=rx`, `a+x`; an `x`/`X` granted (`=` or `+`) by any clause.
    Some(s.split(',').any(|clause| {
        clause
            .find(['=', '+'])
            .is_some_and(|i| clause[i + 1..].contains(['x', 'X']))
    }))
}

/// A path followed through managed links, including links on its parent directories.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Chain {
    /// Every path visited, the start first.
    pub paths: Vec<String>,
    /// The link resources followed, in order.
    pub links: Vec<ResId>,
    pub cycle: bool,
}

impl Chain {
    pub fn last(&self) -> &str {
        self.paths.last().map_or("", String::as_str)
    }
}

/// How many links the kernel follows before giving up (`ELOOP`).
const MAX_HOPS: usize = 40;

/// The derived facts of one revision (see the module documentation).
#[derive(Clone, Debug, Default)]
pub struct Facts {
    /// Link path -> live links there with a known target (resource, resolved target).
    links: BTreeMap<String, Vec<(ResId, String)>>,
    /// [`Facts::resolve`] of every link path and every service binary.
    chains: HashMap<String, Chain>,
    /// Service -> the absolute path it executes, when known exactly.
    binaries: HashMap<ResId, String>,
    /// Path -> services whose binary it is.
    runs: BTreeMap<String, Vec<ResId>>,
    /// Path -> services whose binary, followed through links, passes through it.
    executed_by: BTreeMap<String, Vec<ResId>>,
    /// Path -> packages the configuration (`package_paths`) or the package contents
    /// files say ship it.
    shipped_by: BTreeMap<String, Vec<String>>,
    /// (path, package) -> what says the package ships the path, when it is not the
    /// configuration's `package_paths` (the name of a package contents file).
    shipped_basis: BTreeMap<(String, String), String>,
    /// Path (normalised) -> live resources of any type whose `creates` names it (an
    /// `exec`, an `archive`, …), in resource order.
    created_by: HashMap<String, Vec<ResId>>,
    /// Path (normalised) -> live `exec`s whose `command` starts with it (its first word).
    exec_runs: HashMap<String, Vec<ResId>>,
}

impl Facts {
    pub(super) fn build(m: &Model, opts: &ModelOptions) -> Facts {
        let mut f = Facts::default();
        for (path, infos) in &m.index.links {
            let live: Vec<(ResId, String)> = infos
                .iter()
                .filter(|l| m.get(l.res).is_live())
                .filter_map(|l| Some((l.res, l.resolved.clone()?)))
                .collect();
            if !live.is_empty() {
                f.links.insert(path.clone(), live);
            }
        }
        for s in m.index.services.values().flatten() {
            let Some(bin) = s.binary.as_ref().and_then(|b| b.path.as_str()) else {
                continue;
            };
            if !bin.starts_with('/') {
                continue;
            }
            let bin = normalize_path(bin);
            f.runs.entry(bin.clone()).or_default().push(s.res);
            let chain = f.compute_chain(&bin);
            for p in &chain.paths {
                let v = f.executed_by.entry(p.clone()).or_default();
                if !v.contains(&s.res) {
                    v.push(s.res);
                }
            }
            f.chains.insert(bin.clone(), chain);
            f.binaries.insert(s.res, bin);
        }
        let link_paths: Vec<String> = f.links.keys().cloned().collect();
        for p in link_paths {
            if !f.chains.contains_key(&p) {
                let chain = f.compute_chain(&p);
                f.chains.insert(p, chain);
            }
        }
        let mut leaves = Vec::new();
        for (id, r) in m.live_resources() {
            let Some(c) = r.get("creates") else { continue };
            leaves.clear();
            c.flatten_into(&mut leaves);
            for v in &leaves {
                if let Some(p) = v.as_str() {
                    let ids = f.created_by.entry(normalize_path(p)).or_default();
                    if !ids.contains(&id) {
                        ids.push(id);
                    }
                }
            }
        }
        for &id in &m.index.execs {
            if let Some(p) = m.get(id).get("command").and_then(command_program) {
                f.exec_runs.entry(p).or_default().push(id);
            }
        }
        for (pkg, paths) in &opts.package_paths {
            f.add_shipped(pkg, paths, None);
        }
        f
    }

    /// Record that `pkg` ships `paths`, according to `basis` (`None`: the configuration).
    fn add_shipped(&mut self, pkg: &str, paths: &[String], basis: Option<&str>) {
        for p in paths {
            let p = normalize_path(p);
            let v = self.shipped_by.entry(p.clone()).or_default();
            if v.iter().any(|x| x == pkg) {
                continue; // the configuration came first
            }
            v.push(pkg.to_string());
            if let Some(b) = basis {
                self.shipped_basis
                    .insert((p, pkg.to_string()), b.to_string());
            }
        }
    }

    /// Add what the package contents files say the declared packages ship
    /// ([`Model::add_package_contents`]); `package_paths` entries stay first.
    pub(super) fn add_contents(&mut self, shipped: &crate::input::Shipped) {
        for (pkg, paths) in &shipped.paths {
            let basis = shipped
                .source
                .get(pkg)
                .map_or("the package contents", String::as_str);
            self.add_shipped(pkg, paths, Some(basis));
        }
    }

    /// What says package `pkg` ships `path` (normalised), of what [`Facts::shipped_by`]
    /// answers: `package_paths in the configuration`, or the name of a package contents
    /// file (`Contents-amd64.gz`).
    pub fn shipped_basis(&self, path: &str, pkg: &str) -> &str {
        self.shipped_basis
            .get(&(path.to_string(), pkg.to_string()))
            .map_or("package_paths in the configuration", String::as_str)
    }

    /// Follow managed links from `path` (at most 40 hops, like the kernel): the path
    /// itself, or one of its parent directories, may be a link.
    pub fn resolve(&self, path: &str) -> Chain {
        let path = normalize_path(path);
        match self.chains.get(&path) {
            Some(c) => c.clone(),
            None => self.compute_chain(&path),
        }
    }

    fn compute_chain(&self, path: &str) -> Chain {
        let mut chain = Chain {
            paths: vec![normalize_path(path)],
            ..Chain::default()
        };
        for _ in 0..MAX_HOPS {
            let Some((link, next)) = self.step(chain.last()) else {
                return chain;
            };
            chain.links.push(link);
            if chain.paths.contains(&next) {
                chain.paths.push(next);
                chain.cycle = true;
                return chain;
            }
            chain.paths.push(next);
        }
        chain.cycle = true;
        chain
    }

    /// One hop: the path itself is a link, or one of its parent directories is.
    fn step(&self, path: &str) -> Option<(ResId, String)> {
        let mut prefix = path;
        loop {
            if let Some((link, target)) = self.links.get(prefix).and_then(|ls| ls.first()) {
                let rest = &path[prefix.len()..];
                return Some((*link, normalize_path(&format!("{target}{rest}"))));
            }
            let cut = prefix.rfind('/')?;
            if cut == 0 {
                return None;
            }
            prefix = &prefix[..cut];
        }
    }

    /// The absolute path service `id` executes, when it is known exactly.
    pub fn binary(&self, service: ResId) -> Option<&str> {
        self.binaries.get(&service).map(String::as_str)
    }

    /// Services whose binary is exactly `path` (normalised).
    pub fn services_running(&self, path: &str) -> &[ResId] {
        self.runs.get(path).map(Vec::as_slice).unwrap_or(&[])
    }

    /// Services whose binary, followed through managed links, passes through `path`
    /// (normalised): the binary itself, a link on the way, or the final file.
    pub fn services_through(&self, path: &str) -> &[ResId] {
        self.executed_by.get(path).map(Vec::as_slice).unwrap_or(&[])
    }

    /// Live resources whose `creates` names `path` (normalised): an `exec` that makes the
    /// file, an `archive` that unpacks it.
    pub fn created_by(&self, path: &str) -> &[ResId] {
        self.created_by.get(path).map(Vec::as_slice).unwrap_or(&[])
    }

    /// Packages that ship `path` (normalised), by the configuration's `package_paths` or
    /// the package contents files (for the packages the revision declares).
    pub fn shipped_by(&self, path: &str) -> &[String] {
        self.shipped_by.get(path).map(Vec::as_slice).unwrap_or(&[])
    }

    /// Packages that ship files under directory `dir` (normalised), each with the first
    /// such path, by the same sources as [`Facts::shipped_by`]. A package contents index
    /// lists files, not directories: a directory a package installs is a prefix of them.
    pub fn shipped_under(&self, dir: &str) -> Vec<(&str, &str)> {
        let prefix = format!("{}/", dir.trim_end_matches('/'));
        let mut out: Vec<(&str, &str)> = Vec::new();
        for (path, pkgs) in self
            .shipped_by
            .range(prefix.clone()..)
            .take_while(|(p, _)| p.starts_with(&prefix))
        {
            for pkg in pkgs {
                if !out.iter().any(|(p, _)| p == pkg) {
                    out.push((pkg.as_str(), path.as_str()));
                }
            }
        }
        out
    }

    /// Live `exec`s whose `command` runs `path` (normalised): its first word. A script
    /// run through an interpreter (`/bin/sh /usr/local/bin/x.sh`) is run by the
    /// interpreter, not by the script's own mode, and is not listed under the script.
    pub fn execs_running(&self, path: &str) -> &[ResId] {
        self.exec_runs.get(path).map(Vec::as_slice).unwrap_or(&[])
    }
}

/// The absolute program an `exec`'s `command` starts: its first word (unquoted), or the
/// first element of an array command; `None` when not a known absolute path.
fn command_program(v: &Value) -> Option<String> {
    let first = match v {
        Value::Str(s) => s
            .split_whitespace()
            .next()?
            .trim_matches(['"', '\''])
            .to_owned(),
        Value::Array(items) => items.first()?.as_str()?.to_owned(),
        _ => return None,
    };
    (first.starts_with('/') && !first.contains(['$', '`'])).then(|| normalize_path(&first))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model_of(pp: &str, opts: &ModelOptions) -> Model {
        crate::model::testing::model_at("manifests/site.pp", pp, opts)
    }

    fn state_of(pp: &str) -> FileState {
        let m = model_of(pp, &ModelOptions::default());
        let r = m.resources.iter().find(|r| r.ty == "file").expect("a file");
        file_state(r)
    }

    #[test]
    fn dot_segments_are_resolved() {
        assert_eq!(clean_path("/usr/local/bin/../lib/./x"), "/usr/local/lib/x");
        assert_eq!(clean_path("/../x"), "/x");
    }

    #[test]
    fn modes() {
        for (m, x) in [
            ("0755", true),
            ("755", true),
            ("0644", false),
            ("4750", true),
            ("0640", false),
            ("0601", true),
            ("u=rwx,go=r", true),
            ("a+X", true),
            ("u=rw,go=r", false),
            ("a-x", false),
        ] {
            assert_eq!(mode_has_exec(&Value::str(m)), Some(x), "{m}");
        }
        assert_eq!(mode_has_exec(&Value::Int(755)), Some(true));
        assert_eq!(mode_has_exec(&Value::unknown("$mode")), None);
        assert_eq!(mode_has_exec(&Value::str("0789")), None);
    }

    #[test]
    fn states_of_file_resources() {
        let link = |t: &str, r: &str| FileState::Link {
            target: Value::str(t),
            resolved: Some(r.into()),
        };
        for (pp, want) in [
            (
                "file { '/usr/bin/k': ensure => link, target => '/opt/k' }",
                link("/opt/k", "/opt/k"),
            ),
            // A path-valued ensure is a link, like `ensure => link` with a target.
            (
                "file { '/usr/bin/k': ensure => '/usr/local/bin/k' }",
                link("/usr/local/bin/k", "/usr/local/bin/k"),
            ),
            // A relative target is taken from the link's directory.
            (
                "file { '/usr/bin/k': ensure => link, target => '../lib/k' }",
                link("../lib/k", "/usr/lib/k"),
            ),
            // A target with no ensure makes a link.
            ("file { '/a': target => '/b' }", link("/b", "/b")),
            (
                "file { '/a': ensure => file, content => 'x' }",
                FileState::Regular {
                    content: Content::Known,
                },
            ),
            (
                "file { '/a': content => '' }",
                FileState::Regular {
                    content: Content::Empty,
                },
            ),
            (
                "file { '/a': ensure => present }",
                FileState::Regular {
                    content: Content::Empty,
                },
            ),
            (
                "class c($s) { file { '/a': ensure => file, content => $s } } include c",
                FileState::Regular {
                    content: Content::Unknown,
                },
            ),
            // `undef` is not set: no content, no target.
            (
                "file { '/a': content => undef, mode => '0755' }",
                FileState::Metadata,
            ),
            (
                "file { '/a': ensure => file, target => undef }",
                FileState::Regular {
                    content: Content::Empty,
                },
            ),
            ("file { '/a': mode => '0755' }", FileState::Metadata),
            ("file { '/a': ensure => directory }", FileState::Directory),
            ("file { '/a': ensure => absent }", FileState::Absent),
            ("file { '/a': ensure => false }", FileState::Absent),
            (
                "class c($e) { file { '/a': ensure => $e } } include c",
                FileState::Unknown,
            ),
        ] {
            assert_eq!(state_of(pp), want, "{pp}");
        }
    }

    #[test]
    fn link_chains_cycles_and_services() {
        let mut opts = ModelOptions::default();
        opts.package_paths
            .insert("kube".into(), vec!["/opt//k8s/kubelet".into()]);
        let m = model_of(
            "file { '/a': ensure => link, target => '/b' }\n\
             file { '/b/': ensure => link, target => 'c' }\n\
             file { '/c': ensure => file }\n\
             file { '/x': ensure => link, target => '/y' }\n\
             file { '/y': ensure => link, target => '/x' }\n\
             file { '/usr/bin': ensure => link, target => '/opt/k8s' }\n\
             service { 'kubelet': binary => '/usr/bin/kubelet --v=2' }\n",
            &opts,
        );
        let chain = m.facts.resolve("/a");
        assert_eq!(chain.paths, vec!["/a", "/b", "/c"]);
        assert!(!chain.cycle);
        assert!(m.facts.resolve("/x").cycle);
        // A link on a parent directory is followed.
        let k = m.facts.resolve("/usr/bin/kubelet");
        assert_eq!(k.paths, vec!["/usr/bin/kubelet", "/opt/k8s/kubelet"]);
        let svc = m.resources.iter().position(|r| r.ty == "service").unwrap();
        assert_eq!(m.facts.binary(svc), Some("/usr/bin/kubelet"));
        assert_eq!(m.facts.services_running("/usr/bin/kubelet"), &[svc]);
        assert_eq!(m.facts.services_through("/opt/k8s/kubelet"), &[svc]);
        assert!(m.facts.services_running("/opt/k8s/kubelet").is_empty());
        assert_eq!(
            m.facts.shipped_by("/opt/k8s/kubelet"),
            &["kube".to_string()]
        );
    }

    #[test]
    fn package_contents_of_declared_debian_packages() {
        let mut opts = ModelOptions::default();
        opts.package_paths
            .insert("git".into(), vec!["/usr/local/bin/git-shell".into()]);
        let mut m = model_of(
            "package { 'git': }\n\
             package { 'flask': provider => pip }\n\
             package { 'nginx-light': provider => apt }\n",
            &opts,
        );
        let wanted: Vec<String> = m.debian_packages().into_iter().collect();
        assert_eq!(wanted, ["git", "nginx-light"]);
        let mut shipped = crate::input::Shipped::default();
        shipped.paths.insert(
            "git".into(),
            vec!["/usr/lib/git-core/git-daemon".into(), "/usr/bin/git".into()],
        );
        shipped
            .source
            .insert("git".into(), "Contents-amd64.gz".into());
        m.add_package_contents(&shipped);
        assert_eq!(
            m.facts.shipped_by("/usr/lib/git-core/git-daemon"),
            &["git".to_string()]
        );
        assert_eq!(
            m.facts.shipped_by("/usr/local/bin/git-shell"),
            &["git".to_string()]
        );
        assert_eq!(
            m.facts.shipped_basis("/usr/lib/git-core/git-daemon", "git"),
            "Contents-amd64.gz"
        );
        assert_eq!(
            m.facts.shipped_basis("/usr/local/bin/git-shell", "git"),
            "package_paths in the configuration"
        );
    }
}
