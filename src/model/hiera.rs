//! Hiera data that needs no facts: the levels of `hiera.yaml` (version 5) whose paths have
//! no `%{…}` interpolation, for the environment and for each module.

use std::collections::HashMap;
use std::sync::Arc;

use super::cache::ParseCache;
use super::value::{SymPart, Value};
use crate::ast::SmolStr;
use crate::input::Tree;

/// One data file: key -> value.
#[derive(Clone, Debug, Default)]
pub struct Layer {
    pub path: String,
    /// Shared with the other side of a change when the file is the same there
    /// ([`ParseCache`]): a large data file took 50 ms to read as YAML, per side.
    pub data: Arc<HashMap<String, Value>>,
}

/// What a data file holds, whatever its path: the part of reading a layer that depends on
/// the content only, which [`ParseCache`] keeps per distinct file.
#[derive(Debug)]
pub(crate) enum LayerData {
    Data(Arc<HashMap<String, Value>>),
    /// An empty document.
    Empty,
    /// Not YAML, or not a mapping: why.
    Invalid(String),
}

impl LayerData {
    fn parse(text: &str) -> LayerData {
        match serde_yaml::from_str::<serde_yaml::Value>(text) {
            Ok(serde_yaml::Value::Mapping(m)) => LayerData::Data(Arc::new(
                m.into_iter()
                    .filter_map(|(k, v)| {
                        Some((
                            k.as_str()?.trim_start_matches("::").to_string(),
                            from_yaml(&v),
                        ))
                    })
                    .collect(),
            )),
            Ok(serde_yaml::Value::Null) => LayerData::Empty,
            Ok(_) => LayerData::Invalid("not a mapping of keys to values".into()),
            Err(e) => LayerData::Invalid(e.to_string()),
        }
    }
}

/// The environment layers (in lookup order), then each module's own layers.
#[derive(Clone, Debug, Default)]
pub struct Hiera {
    pub layers: Vec<Layer>,
    pub module_layers: HashMap<String, Vec<Layer>>,
    /// Data files that exist but could not be read as YAML mappings.
    pub errors: Vec<(String, String)>,
}

impl Hiera {
    /// Load from `files` when given, else from `hiera.yaml`, else the conventional
    /// `hieradata/common.yaml` and `data/common.yaml`. Data files are read through `cache`,
    /// each distinct one once.
    pub fn load(
        tree: &Tree,
        files: Option<&[String]>,
        modulepath: &[String],
        cache: &ParseCache,
    ) -> Hiera {
        let mut h = Hiera::default();
        let env_files = match files {
            Some(f) => f.to_vec(),
            None => level_paths(tree, "")
                .unwrap_or_else(|| vec!["hieradata/common.yaml".into(), "data/common.yaml".into()]),
        };
        for f in env_files {
            if let Some(l) = h.read_layer(tree, &f, cache) {
                h.layers.push(l);
            }
        }
        for mp in modulepath {
            let prefix = format!("{mp}/");
            let mut modules: Vec<&str> = tree
                .paths()
                .filter_map(|p| p.strip_prefix(&prefix))
                .filter_map(|rest| rest.strip_suffix("/hiera.yaml"))
                .filter(|m| !m.contains('/'))
                .collect();
            modules.dedup();
            for m in modules {
                if h.module_layers.contains_key(m) {
                    continue;
                }
                let base = format!("{prefix}{m}/");
                let layers: Vec<Layer> = level_paths(tree, &base)
                    .unwrap_or_default()
                    .into_iter()
                    .filter_map(|f| h.read_layer(tree, &f, cache))
                    .collect();
                h.module_layers.insert(m.to_string(), layers);
            }
        }
        h
    }

    fn read_layer(&mut self, tree: &Tree, path: &str, cache: &ParseCache) -> Option<Layer> {
        let blob = &tree.get(path)?.blob;
        let text = blob.text()?;
        match &*cache.hiera_data(blob, || LayerData::parse(text)) {
            LayerData::Data(data) => Some(Layer {
                path: path.to_string(),
                data: data.clone(),
            }),
            LayerData::Empty => None,
            LayerData::Invalid(e) => {
                self.errors.push((path.to_string(), e.clone()));
                None
            }
        }
    }

    /// The first value for `key`: environment layers, then the data of the key's module.
    pub fn lookup(&self, key: &str) -> Option<(&Value, &str)> {
        let key = key.trim_start_matches("::");
        for l in &self.layers {
            if let Some(v) = l.data.get(key) {
                return Some((v, &l.path));
            }
        }
        let module = key.split("::").next()?;
        for l in self.module_layers.get(module)? {
            if let Some(v) = l.data.get(key) {
                return Some((v, &l.path));
            }
        }
        None
    }

    /// Every data file read (for mapping changed files to affected resources).
    pub fn files(&self) -> impl Iterator<Item = &str> {
        self.layers
            .iter()
            .chain(self.module_layers.values().flatten())
            .map(|l| l.path.as_str())
    }
}

/// The fact-free data files of the `hiera.yaml` under `base` (`""` for the root), or
/// `None` when there is no readable version-5 `hiera.yaml`.
fn level_paths(tree: &Tree, base: &str) -> Option<Vec<String>> {
    let text = tree.text(&format!("{base}hiera.yaml"))?;
    let doc: serde_yaml::Value = serde_yaml::from_str(text).ok()?;
    if doc.get("version").and_then(|v| v.as_i64()) != Some(5) {
        return None;
    }
    let default_dir = doc
        .get("defaults")
        .and_then(|d| d.get("datadir"))
        .and_then(|d| d.as_str())
        .unwrap_or("data")
        .to_string();
    let mut out = Vec::new();
    for level in doc.get("hierarchy")?.as_sequence()? {
        let dir = level
            .get("datadir")
            .and_then(|d| d.as_str())
            .unwrap_or(&default_dir);
        let mut paths: Vec<&str> = Vec::new();
        if let Some(p) = level.get("path").and_then(|p| p.as_str()) {
            paths.push(p);
        }
        if let Some(ps) = level.get("paths").and_then(|p| p.as_sequence()) {
            paths.extend(ps.iter().filter_map(|p| p.as_str()));
        }
        for p in paths {
            if !p.contains("%{") {
                out.push(format!("{base}{}/{}", dir.trim_end_matches('/'), p));
            }
        }
    }
    Some(out)
}

/// Convert YAML data to a value; strings with hiera interpolation stay partly symbolic.
pub fn from_yaml(v: &serde_yaml::Value) -> Value {
    use serde_yaml::Value as Y;
    match v {
        Y::Null => Value::Undef,
        Y::Bool(b) => Value::Bool(*b),
        Y::Number(n) => match n.as_i64() {
            Some(i) => Value::Int(i),
            None => Value::Float(n.as_f64().unwrap_or(0.0)),
        },
        Y::String(s) => interpolated(s),
        Y::Sequence(a) => Value::array(a.iter().map(from_yaml).collect()),
        Y::Mapping(m) => Value::hash(
            m.iter()
                .map(|(k, v)| (from_yaml(k), from_yaml(v)))
                .collect(),
        ),
        Y::Tagged(t) => from_yaml(&t.value),
    }
}

fn interpolated(s: &str) -> Value {
    if !s.contains("%{") {
        return Value::str(s);
    }
    let mut parts = Vec::new();
    let mut rest = s;
    while let Some(i) = rest.find("%{") {
        parts.push(SymPart::Lit(SmolStr::new(&rest[..i])));
        match rest[i..].find('}') {
            Some(j) => {
                parts.push(SymPart::Unknown(
                    format!("hiera:{}", &rest[i + 2..i + j]).into(),
                ));
                rest = &rest[i + j + 1..];
            }
            None => {
                parts.push(SymPart::Lit(SmolStr::new(&rest[i..])));
                rest = "";
            }
        }
    }
    parts.push(SymPart::Lit(SmolStr::new(rest)));
    Value::from_parts(parts)
}
