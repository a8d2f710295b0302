//! The per-revision index the rules query: managed paths, symlinks, packages, services
//! with their binaries, and the repository files (templates, module files) resources use.

use std::collections::BTreeMap;

use super::layout::resolve_module_path;
use super::unit::{parse_unit, strip_template_tags};
use super::value::{FileRef, Value};
use super::{normalize_path, Model, ModelOptions, ResId};
use crate::input::Tree;

/// A `file` resource that is (or may be) a symlink.
#[derive(Clone, Debug)]
pub struct LinkInfo {
    pub res: ResId,
    /// Normalised link path.
    pub path: String,
    /// The `target` (or path-valued `ensure`) as evaluated.
    pub target: Value,
    /// The target as a normalised absolute path (relative targets resolved against the
    /// link's directory), when known.
    pub resolved: Option<String>,
}

/// Where a service's binary was found.
#[derive(Clone, Debug)]
pub struct ServiceBinary {
    /// The executable (may be symbolic when a template tag sits in the executable position).
    pub path: Value,
    /// `binary`, `start`, `unit`, `hint`.
    pub from: &'static str,
    /// The unit file resource, when from a unit.
    pub unit: Option<ResId>,
    /// The repository file read (template or module file), when from one.
    pub repo_file: Option<String>,
}

/// A service with what is known of the process it runs.
#[derive(Clone, Debug)]
pub struct ServiceInfo {
    pub res: ResId,
    pub name: String,
    pub binary: Option<ServiceBinary>,
    /// Unit files (and drop-ins) the repository manages for this service.
    pub unit_files: Vec<ResId>,
    /// Whole `ExecStart=` values of the unit, for unit-exec-invalid.
    pub exec_lines: Vec<String>,
    /// `EnvironmentFile=` paths (`true`: optional).
    pub environment_files: Vec<(String, bool)>,
    pub service_type: Option<String>,
}

/// A repository file used by a resource attribute.
#[derive(Clone, Debug)]
pub struct FileUse {
    pub res: ResId,
    pub attr: String,
    pub file_ref: FileRef,
    /// A `source` on a mount outside the repository (`puppet:///private/…`, `file://`,
    /// `http://`): cannot be checked.
    pub external: bool,
}

#[derive(Clone, Debug, Default)]
pub struct Index {
    /// Normalised managed path -> `file` resources (live ones) managing it.
    pub paths: BTreeMap<String, Vec<ResId>>,
    /// `file` resources whose path is not known statically.
    pub symbolic_paths: Vec<ResId>,
    /// Link path -> link declarations.
    pub links: BTreeMap<String, Vec<LinkInfo>>,
    /// Package name -> package resources.
    pub packages: BTreeMap<String, Vec<ResId>>,
    /// Service name -> services.
    pub services: BTreeMap<String, Vec<ServiceInfo>>,
    pub execs: Vec<ResId>,
    /// Every template/module-file/source use.
    pub file_uses: Vec<FileUse>,
    /// Repository path -> resources whose attributes read it.
    pub users_of_repo_file: BTreeMap<String, Vec<ResId>>,
}

const ENSURE_KEYWORDS: [&str; 8] = [
    "present",
    "absent",
    "file",
    "directory",
    "link",
    "false",
    "true",
    "role",
];

impl Index {
    /// The resources managing `path` (normalised first).
    pub fn managing(&self, path: &str) -> &[ResId] {
        self.paths
            .get(&normalize_path(path))
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// Follow managed links from `path` (at most 40 hops, like the kernel); returns the
    /// chain of paths visited, and whether a cycle was hit.
    pub fn resolve_links(&self, path: &str) -> (Vec<String>, bool) {
        let mut chain = vec![normalize_path(path)];
        for _ in 0..40 {
            let last = chain.last().cloned().unwrap_or_default();
            let Some(next) = self
                .links
                .get(&last)
                .and_then(|ls| ls.iter().find_map(|l| l.resolved.clone()))
            else {
                return (chain, false);
            };
            if chain.contains(&next) {
                chain.push(next);
                return (chain, true);
            }
            chain.push(next);
        }
        (chain, true)
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

fn link_target(r: &super::Resource) -> Option<Value> {
    let target = r.get("target").cloned();
    match r.get("ensure") {
        Some(e) => {
            let mut is_link = false;
            let mut path_target = None;
            for alt in e.alternatives() {
                match alt.as_str() {
                    Some("link") => is_link = true,
                    Some(s) if !ENSURE_KEYWORDS.contains(&s) => {
                        is_link = true;
                        path_target = Some(Value::str(s));
                    }
                    _ => {}
                }
            }
            if !is_link {
                return None;
            }
            target.or(path_target).or(Some(Value::Undef))
        }
        None => target,
    }
}

pub(super) fn build(m: &Model, tree: &Tree, opts: &ModelOptions) -> Index {
    let mut ix = Index::default();
    for (id, r) in m.resources.iter().enumerate() {
        if !r.is_live() {
            continue;
        }
        // Template/module-file/source uses.
        for a in &r.attrs {
            if let Value::Content(refs) = &a.value {
                for fr in refs {
                    ix.file_uses.push(FileUse {
                        res: id,
                        attr: a.name.to_string(),
                        file_ref: fr.clone(),
                        external: false,
                    });
                }
            }
            if a.name == "source" && r.ty == "file" {
                let mut srcs = Vec::new();
                a.value.flatten_into(&mut srcs);
                for s in srcs {
                    let (fr, external) =
                        resolve_source(tree, &m.modulepath, m.root_module.as_deref(), &s);
                    ix.file_uses.push(FileUse {
                        res: id,
                        attr: a.name.to_string(),
                        file_ref: fr,
                        external,
                    });
                }
            }
        }
        match r.ty.as_str() {
            "file" => match r.name_value() {
                Value::Str(p) => {
                    let p = normalize_path(p);
                    if let Some(t) = link_target(r) {
                        let resolved = match &t {
                            Value::Str(s) if s.starts_with('/') => Some(clean_path(s)),
                            Value::Str(s) if !s.is_empty() => {
                                let dir = p.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
                                Some(clean_path(&format!("{dir}/{s}")))
                            }
                            _ => None,
                        };
                        ix.links.entry(p.clone()).or_default().push(LinkInfo {
                            res: id,
                            path: p.clone(),
                            target: t,
                            resolved,
                        });
                    }
                    ix.paths.entry(p).or_default().push(id);
                }
                _ => ix.symbolic_paths.push(id),
            },
            "package" => {
                let name = r
                    .name_value()
                    .as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| r.name_value().to_string());
                ix.packages.entry(name).or_default().push(id);
            }
            "exec" => ix.execs.push(id),
            _ => {}
        }
    }
    for u in &ix.file_uses {
        if let Some(p) = &u.file_ref.resolved {
            let v = ix.users_of_repo_file.entry(p.clone()).or_default();
            if !v.contains(&u.res) {
                v.push(u.res);
            }
        }
    }
    // Paths that are one of several alternatives of a file's path -> those files.
    let mut alt_paths: BTreeMap<String, Vec<ResId>> = BTreeMap::new();
    for &f in &ix.symbolic_paths {
        for a in m.resources[f].name_value().alternatives() {
            if let Some(p) = a.as_str() {
                let ids = alt_paths.entry(normalize_path(p)).or_default();
                if !ids.contains(&f) {
                    ids.push(f);
                }
            }
        }
    }
    // Services, after paths are known (their units are looked up by path).
    let mut services: BTreeMap<String, Vec<ServiceInfo>> = BTreeMap::new();
    for (id, r) in m.resources.iter().enumerate() {
        if r.ty != "service" || !r.is_live() {
            continue;
        }
        let name = match r.name_value() {
            Value::Str(s) => s.to_string(),
            v => v.to_string(),
        };
        let info = service_info(m, &ix, &alt_paths, tree, opts, id, &name);
        services.entry(name).or_default().push(info);
    }
    ix.services = services;
    ix
}

fn resolve_source(
    tree: &Tree,
    modulepath: &[String],
    root: Option<&str>,
    s: &Value,
) -> (FileRef, bool) {
    let mut fr = FileRef {
        func: "source".into(),
        spec: Box::new(s.clone()),
        resolved: None,
        inferred: false,
    };
    let external = match s {
        Value::Str(url) => {
            if let Some(rest) = url.strip_prefix("puppet:///modules/").or_else(|| {
                url.strip_prefix("puppet://")
                    .and_then(|r| r.split_once("/modules/").map(|(_, x)| x))
            }) {
                fr.resolved = resolve_module_path(tree, modulepath, root, rest, "files", true);
                false
            } else {
                true
            }
        }
        _ => true,
    };
    (fr, external)
}

fn service_info(
    m: &Model,
    ix: &Index,
    alt_paths: &BTreeMap<String, Vec<ResId>>,
    tree: &Tree,
    opts: &ModelOptions,
    id: ResId,
    name: &str,
) -> ServiceInfo {
    let r = &m.resources[id];
    let mut info = ServiceInfo {
        res: id,
        name: name.to_string(),
        binary: None,
        unit_files: Vec::new(),
        exec_lines: Vec::new(),
        environment_files: Vec::new(),
        service_type: None,
    };
    let unit = if name.contains('.') {
        name.to_string()
    } else {
        format!("{name}.service")
    };
    let mains = [
        format!("/lib/systemd/system/{unit}"),
        format!("/usr/lib/systemd/system/{unit}"),
        format!("/etc/systemd/system/{unit}"),
    ];
    let dropin_prefix = format!("/etc/systemd/system/{unit}.d/");
    let mut unit_res: Vec<ResId> = mains
        .iter()
        .flat_map(|p| ix.managing(p).iter().copied())
        .collect();
    // A unit whose path is one of several alternatives (`case $initsystem`) counts when
    // one alternative is this unit's path.
    for u in &mains {
        if let Some(ids) = alt_paths.get(u.as_str()) {
            unit_res.extend(ids.iter().copied());
        }
    }
    unit_res.extend(
        ix.paths
            .range(dropin_prefix.clone()..)
            .take_while(|(p, _)| p.starts_with(&dropin_prefix))
            .filter(|(p, _)| p.ends_with(".conf"))
            .flat_map(|(_, ids)| ids.iter().copied()),
    );
    info.unit_files = unit_res.clone();

    // 1. `binary`, then `start`.
    for attr in ["binary", "start"] {
        if info.binary.is_some() {
            break;
        }
        if let Some(v) = r.get(attr) {
            let path = match v {
                Value::Str(s) => Value::str(s.split_whitespace().next().unwrap_or("")),
                v => v.clone(),
            };
            info.binary = Some(ServiceBinary {
                path,
                from: if attr == "binary" { "binary" } else { "start" },
                unit: None,
                repo_file: None,
            });
        }
    }
    // 2. The ExecStart of a unit file the repository manages.
    for &u in &unit_res {
        let ur = &m.resources[u];
        for (text, repo_file) in unit_texts(m, ix, tree, u) {
            let _reading = crate::isolate::reading(repo_file.as_deref().unwrap_or(""));
            let parsed = parse_unit(&strip_template_tags(&text));
            info.exec_lines.extend(parsed.exec_lines.iter().cloned());
            info.environment_files
                .extend(parsed.environment_files.iter().cloned());
            if parsed.service_type.is_some() {
                info.service_type = parsed.service_type.clone();
            }
            if info.binary.is_none() {
                if let Some(first) = parsed.exec_start.into_iter().next() {
                    info.binary = Some(ServiceBinary {
                        path: first,
                        from: "unit",
                        unit: Some(u),
                        repo_file,
                    });
                }
            }
        }
        let _ = ur;
    }
    // 3. The configured hint.
    if info.binary.is_none() {
        if let Some(h) = opts.service_binary_hints.get(name) {
            info.binary = Some(ServiceBinary {
                path: Value::str(h.clone()),
                from: "hint",
                unit: None,
                repo_file: None,
            });
        }
    }
    info
}

/// The texts a unit file resource deploys: literal content, the template/file read as
/// text, or the `source` module file. Each with the repository file it came from.
fn unit_texts(m: &Model, ix: &Index, tree: &Tree, u: ResId) -> Vec<(String, Option<String>)> {
    let r = &m.resources[u];
    let mut out = Vec::new();
    if let Some(c) = r.get("content") {
        for alt in c.alternatives() {
            match alt {
                Value::Str(s) => out.push((s.to_string(), None)),
                Value::Content(refs) => {
                    let mut text = String::new();
                    let mut file = None;
                    for fr in refs {
                        if let Some(p) = &fr.resolved {
                            if let Some(t) = tree.text(p) {
                                text.push_str(t);
                                file.get_or_insert_with(|| p.clone());
                            }
                        }
                    }
                    if file.is_some() {
                        out.push((text, file));
                    }
                }
                Value::Symbolic(s) => {
                    // Keep the known text of partly known content (markers for the rest).
                    let mut t = String::new();
                    for p in &s.parts {
                        match p {
                            super::SymPart::Lit(l) => t.push_str(l),
                            super::SymPart::Unknown(x) => {
                                t.push_str("<%= ");
                                t.push_str(x);
                                t.push_str(" %>");
                            }
                        }
                    }
                    out.push((t, None));
                }
                _ => {}
            }
        }
    } else {
        for fu in ix
            .file_uses
            .iter()
            .filter(|f| f.res == u && f.attr == "source")
        {
            if let Some(p) = &fu.file_ref.resolved {
                if let Some(t) = tree.text(p) {
                    out.push((t.to_string(), Some(p.clone())));
                    break;
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::{Blob, EntryKind, TreeEntry};
    use crate::model::ParseCache;
    use std::sync::Arc;

    fn model_of(pp: &str) -> Model {
        let mut tree = Tree::default();
        tree.files.insert(
            "manifests/site.pp".into(),
            TreeEntry {
                kind: EntryKind::File,
                blob: Arc::new(Blob::new(None, pp.as_bytes().to_vec())),
            },
        );
        Model::build(&tree, &ModelOptions::default(), &ParseCache::new())
    }

    #[test]
    fn dot_segments_are_resolved() {
        assert_eq!(clean_path("/usr/local/bin/../lib/./x"), "/usr/local/lib/x");
        assert_eq!(clean_path("/../x"), "/x");
    }

    #[test]
    fn link_chains_and_cycles() {
        let m = model_of(
            "file { '/a': ensure => link, target => '/b' }\n\
             file { '/b/': ensure => link, target => 'c' }\n\
             file { '/c': ensure => file }\n\
             file { '/x': ensure => link, target => '/y' }\n\
             file { '/y': ensure => link, target => '/x' }\n",
        );
        assert_eq!(
            m.index.resolve_links("/a"),
            (vec!["/a".to_string(), "/b".into(), "/c".into()], false)
        );
        let (chain, cycle) = m.index.resolve_links("/x");
        assert!(cycle, "{chain:?}");
        assert_eq!(m.index.managing("/b").len(), 1, "trailing slash normalised");
        // ensure => file with a target is not a link
        assert!(!m.index.links.contains_key("/c"));
    }

    #[test]
    fn packages_and_symbolic_paths() {
        let m = model_of(
            "package { 'kubernetes-master': ensure => '1.4' }\n\
             package { 'p': name => 'real-name' }\n\
             file { \"/opt/${facts['x']}/bin\": ensure => directory }\n",
        );
        assert!(m.index.packages.contains_key("kubernetes-master"));
        assert!(m.index.packages.contains_key("real-name"));
        assert_eq!(m.index.symbolic_paths.len(), 1);
    }
}
