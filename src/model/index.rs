//! The per-revision index the rules query: managed paths, symlinks, packages, services
//! with their binaries, and the repository files (templates, module files) resources use.

use std::collections::BTreeMap;

use super::facts::{link_value, resolve_target};
use super::layout::resolve_module_path;
use super::unit;
use super::value::{FileRef, Value};
use super::{normalize_path, Model, ModelOptions, ResId};
use crate::analysis::systemd::expand_specifiers;
use crate::ast::Span;
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

/// Where the repository says what a service executes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinarySource {
    /// The service's `binary` attribute.
    Binary,
    /// The first word of its `start` attribute.
    Start,
    /// The first `ExecStart=` of a unit file the repository manages.
    Unit,
    /// `service_binaries` in the configuration.
    Hint,
}

impl BinarySource {
    /// The attribute name, or `unit` / `hint`.
    pub fn as_str(self) -> &'static str {
        match self {
            BinarySource::Binary => "binary",
            BinarySource::Start => "start",
            BinarySource::Unit => "unit",
            BinarySource::Hint => "hint",
        }
    }
}

/// Where a service's binary was found.
#[derive(Clone, Debug)]
pub struct ServiceBinary {
    /// The executable (may be symbolic when a template tag sits in the executable position).
    pub path: Value,
    pub from: BinarySource,
    /// The unit file resource, when from a unit.
    pub unit: Option<ResId>,
    /// The repository file read (template or module file), when from one.
    pub repo_file: Option<String>,
    /// The `ExecStart=` executable in the repository (a unit file or template, or the
    /// manifest holding the unit as a literal), when from a unit.
    pub at: Option<(String, Span)>,
}

/// A command a service runs besides its executable: a `ExecStartPre=`, `ExecReload=`,
/// `ExecStop=`, … of a unit the repository manages, or the `restart`, `stop` or `status`
/// attribute. Only fully written absolute executables are kept, and not those whose
/// failure systemd ignores (the `-` prefix).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceCommand {
    /// `ExecStartPre`, `ExecReload`, … or the attribute (`restart`, `stop`, `status`).
    pub key: String,
    /// The normalised executable.
    pub path: String,
    /// The unit file resource, when from a unit.
    pub unit: Option<ResId>,
    /// Where the executable is written in the repository, when from a unit.
    pub at: Option<(String, Span)>,
}

impl ServiceCommand {
    /// Whether the service cannot start when this command cannot run.
    pub fn blocks_start(&self) -> bool {
        matches!(
            self.key.as_str(),
            "ExecStartPre" | "ExecStartPost" | "ExecCondition"
        )
    }
}

/// An `EnvironmentFile=` of a service's unit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnvironmentFile {
    /// Normalised absolute path with the unit-name specifiers (`%p`, `%n`, `%N`, `%i`)
    /// expanded.
    pub path: String,
    /// A leading `-`: a missing file is ignored.
    pub optional: bool,
}

/// A service with what is known of the process it runs.
#[derive(Clone, Debug)]
pub struct ServiceInfo {
    pub res: ResId,
    pub name: String,
    pub binary: Option<ServiceBinary>,
    /// Unit files (and drop-ins) the repository manages for this service.
    pub unit_files: Vec<ResId>,
    /// `EnvironmentFile=` entries of the unit whose path is fully known.
    pub environment_files: Vec<EnvironmentFile>,
    /// The other commands it runs (start and stop hooks, reload, `restart`/`stop`/`status`).
    pub commands: Vec<ServiceCommand>,
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

impl Index {
    /// The resources managing `path` (normalised first).
    pub fn managing(&self, path: &str) -> &[ResId] {
        self.paths
            .get(&normalize_path(path))
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// Managed paths strictly under directory `dir` (normalised), in path order, with
    /// the resources managing each.
    pub fn managed_under<'a>(
        &'a self,
        dir: &str,
    ) -> impl Iterator<Item = (&'a String, &'a Vec<ResId>)> + 'a {
        let prefix = format!("{}/", normalize_path(dir).trim_end_matches('/'));
        self.paths
            .range(prefix.clone()..)
            .take_while(move |(p, _)| p.starts_with(&prefix))
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
                    if let Some(t) = link_value(r) {
                        let resolved = resolve_target(&p, &t);
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
            } else if let Some(path) = files_mount(tree, root, url) {
                fr.resolved = Some(path);
                false
            } else {
                true
            }
        }
        _ => true,
    };
    (fr, external)
}

/// `puppet:///files/x` served from the repository's root `files/`: the `files` mount of
/// `fileserver.conf` (a custom mount point, in every Puppet version; Puppet 3 era
/// repositories keep its directory at the root), when `files/x` exists there. Not in a
/// module repository, whose root `files/` is the module's. Otherwise the mount stays
/// outside the repository (unverifiable).
fn files_mount(tree: &Tree, root: Option<&str>, url: &str) -> Option<String> {
    if root.is_some() {
        return None;
    }
    let rest = url.strip_prefix("puppet://")?;
    let (_server, path) = rest.split_once('/')?;
    let rel = path.strip_prefix("files/")?;
    let p = format!("files/{}", rel.trim_end_matches('/'));
    super::layout::exists(tree, &p, true).then_some(p)
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
        environment_files: Vec::new(),
        commands: Vec::new(),
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
    for (attr, from) in [
        ("binary", BinarySource::Binary),
        ("start", BinarySource::Start),
    ] {
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
                from,
                unit: None,
                repo_file: None,
                at: None,
            });
        }
    }
    // The commands Puppet runs to restart, stop or query it.
    for attr in ["restart", "stop", "status"] {
        if let Some(Value::Str(cmd)) = r.get(attr) {
            if let Some(path) = command_path(cmd.split_whitespace().next().unwrap_or("")) {
                push_command(&mut info.commands, attr, path, None, None);
            }
        }
    }
    // 2. The ExecStart of a unit file the repository manages.
    for &u in &unit_res {
        for text in unit::texts(m, ix, tree, u) {
            let parsed = text.parse();
            for c in parsed.exec_commands() {
                if c.key == "ExecStart" || c.prefixes.ignore_failure {
                    continue;
                }
                let (Some(word), Some(p)) = (&c.executable, c.path.known()) else {
                    continue;
                };
                if let Some(path) = command_path(p) {
                    let at = text.locate(tree, word.span);
                    push_command(&mut info.commands, &c.key, path, Some(u), at);
                }
            }
            for e in parsed.environment_files() {
                let Some(p) = e.path.known() else { continue };
                let p = expand_specifiers(&p, &unit);
                if p.starts_with('/') && !p.contains(['%', '$']) {
                    let env = EnvironmentFile {
                        path: normalize_path(&p),
                        optional: e.optional,
                    };
                    if !info.environment_files.contains(&env) {
                        info.environment_files.push(env);
                    }
                }
            }
            if info.binary.is_none() {
                if let Some((path, span)) = unit::exec_start(&parsed, &text.text) {
                    info.binary = Some(ServiceBinary {
                        path,
                        from: BinarySource::Unit,
                        unit: Some(u),
                        at: text.locate(tree, span),
                        repo_file: text.repo_file,
                    });
                }
            }
        }
    }
    // 3. The configured hint.
    if info.binary.is_none() {
        if let Some(h) = opts.service_binary_hints.get(name) {
            info.binary = Some(ServiceBinary {
                path: Value::str(h.clone()),
                from: BinarySource::Hint,
                unit: None,
                repo_file: None,
                at: None,
            });
        }
    }
    info
}

/// An executable as a normalised absolute path, when it is written out in full (no
/// specifier, variable, glob or template output).
fn command_path(word: &str) -> Option<String> {
    let p = word.trim_matches(['\'', '"']);
    (p.starts_with('/') && p.len() > 1 && !p.contains(['%', '$', '*', '?', '[', '…', '<']))
        .then(|| normalize_path(p))
}

fn push_command(
    out: &mut Vec<ServiceCommand>,
    key: &str,
    path: String,
    unit: Option<ResId>,
    at: Option<(String, Span)>,
) {
    if !out.iter().any(|c| c.key == key && c.path == path) {
        out.push(ServiceCommand {
            key: key.to_string(),
            path,
            unit,
            at,
        });
    }
}

#[cfg(test)]
mod tests {
    use crate::model::testing::model_of;

    #[test]
    fn links_are_indexed_by_normalised_path() {
        let m = model_of(
            "file { '/b/': ensure => link, target => 'c' }\n\
             file { '/c': ensure => file, target => '/d' }\n",
        );
        assert_eq!(m.index.managing("/b").len(), 1, "trailing slash normalised");
        assert_eq!(m.index.links["/b"][0].resolved.as_deref(), Some("/c"));
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
