//! The configuration file, `.puppet-preflight.yaml` at the repository root (or the file
//! given with `--config`; `--isolated` ignores both).
//!
//! Every key is optional; an empty file is the default configuration. Unknown keys,
//! unknown rule names and values of the wrong type are errors that point into the YAML
//! text. See [`Config`] for the keys.
//!
//! The configuration sits below the rules (they read it), so it does not import their
//! registry: a [`Reader`] is given the rule names ([`RuleNames`]) to validate `rules:`
//! with. [`crate::lint`] provides the reader that knows the registry, and with it
//! `Config::from_yaml`, `from_file`, `discover` and `from_tree`.

use std::cell::Cell;
use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use miette::{Diagnostic, NamedSource, SourceSpan};
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use thiserror::Error;

use crate::diagnostic::Severity;
use crate::input::Tree;

/// The file name looked for at the repository root.
pub const FILE_NAME: &str = crate::input::CONFIG_FILE;

/// The keys of the configuration file, in documentation order (for error help).
pub const KEYS: &[&str] = &[
    "modulepath",
    "hieradata",
    "executable_dirs",
    "external_prefixes",
    "package_paths",
    "package_contents",
    "service_binaries",
    "external_modules",
    "rules",
    "puppet_version",
    "host_snapshots",
    "host_snapshot_max_age",
];

/// The configuration. Paths in it are repository-relative (modulepath, hieradata) or
/// absolute host paths (prefixes, package paths, service binaries).
///
/// ```yaml
/// modulepath: [modules, vendor_modules]      # or "modules:vendor_modules"
/// hieradata: [hieradata]
/// executable_dirs: [bin, sbin, libexec, /opt/tools]
/// external_prefixes: [/srv/deployment]       # link targets another tool manages
/// package_paths:
///   kubernetes-master: [/usr/bin/kube-apiserver, /usr/bin/kube-scheduler]
/// package_contents: [/var/lib/apt/lists/Contents-amd64.gz]   # or dpkg -L lists
/// service_binaries:
///   kube-scheduler: /usr/bin/kube-scheduler
/// external_modules: [secret, passwords]      # modules that live outside the repository
/// rules:
///   link-target-unmanaged: error
///   binary-without-backup: off
/// puppet_version: 7                         # else inferred from the repository
/// ```
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Module directories, relative to the repository root. `None`: the `modulepath`
    /// of `environment.conf`, else `modules`.
    #[serde(deserialize_with = "path_list_opt")]
    pub modulepath: Option<Vec<String>>,
    /// Hiera data directories. `None`: `hieradata` and `data`, when present.
    #[serde(deserialize_with = "path_list_opt")]
    pub hieradata: Option<Vec<String>>,
    /// What makes a path executable besides an execute bit or a service running it:
    /// a bare name (`bin`) matches any directory of that name on the path; an absolute
    /// path (`/opt/tools`) matches everything below it.
    pub executable_dirs: Vec<String>,
    /// Absolute path prefixes managed by tools other than Puppet (deploy systems,
    /// container runtimes): link targets under them count as managed.
    pub external_prefixes: Vec<String>,
    /// Package name -> absolute paths the package ships.
    pub package_paths: BTreeMap<String, Vec<String>>,
    /// Files on this host listing what packages ship: Debian `Contents-<arch>` indexes
    /// (plain or gzip) or `dpkg -L` lists named `<package>.list`. A relative path is
    /// relative to the current directory.
    pub package_contents: Vec<String>,
    /// Service name -> absolute path of the binary it runs.
    pub service_binaries: BTreeMap<String, String>,
    /// Modules (and their classes) that exist outside the repository: references to
    /// them are not dangling, their files cannot be verified.
    pub external_modules: Vec<String>,
    /// Rule name -> `error`, `warning`, `info` or `off`.
    #[serde(deserialize_with = "rule_levels")]
    pub rules: BTreeMap<&'static str, Level>,
    /// Major version of Puppet on the agents (3 to 8). Decides defaults such as
    /// `backup` (`puppet` before 7, `false` from 7) and what the language accepts. `None`:
    /// inferred from each revision (`model::version`), else 7.
    #[serde(deserialize_with = "puppet_major")]
    pub puppet_version: Option<u32>,
    /// Host snapshot files or directories of them (`check --host-snapshot` replaces the
    /// list); relative paths are read from the directory `check` runs in.
    pub host_snapshots: Vec<String>,
    /// Seconds after which a host snapshot is reported as stale (`24h`, `7d`, …).
    #[serde(deserialize_with = "max_age")]
    pub host_snapshot_max_age: u64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            modulepath: None,
            hieradata: None,
            executable_dirs: vec!["bin".into(), "sbin".into(), "libexec".into()],
            external_prefixes: Vec::new(),
            package_paths: BTreeMap::new(),
            package_contents: Vec::new(),
            service_binaries: BTreeMap::new(),
            external_modules: Vec::new(),
            rules: BTreeMap::new(),
            host_snapshots: Vec::new(),
            host_snapshot_max_age: DEFAULT_SNAPSHOT_MAX_AGE,
            puppet_version: None,
        }
    }
}

/// A rule's configured level.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Error,
    Warning,
    Info,
    Off,
}

impl Level {
    /// The severity, or `None` for `off`.
    pub fn severity(self) -> Option<Severity> {
        match self {
            Level::Error => Some(Severity::Error),
            Level::Warning => Some(Severity::Warning),
            Level::Info => Some(Severity::Info),
            Level::Off => None,
        }
    }
}

/// What the configuration knows of the rules: how to recognise a rule name (giving its
/// registered spelling) and the nearest registered name, for "did you mean".
#[derive(Clone, Copy, Debug)]
pub struct RuleNames {
    pub lookup: fn(&str) -> Option<&'static str>,
    pub suggest: fn(&str) -> Option<&'static str>,
}

thread_local! {
    /// The rule names `rule_levels` validates against while a [`Reader`] deserializes
    /// (serde's derive gives a field's deserializer no other way to receive them).
    static RULE_NAMES: Cell<Option<RuleNames>> = const { Cell::new(None) };
}

/// Reads configuration files, checking the `rules:` keys against the rule names given.
#[derive(Clone, Copy, Debug)]
pub struct Reader {
    pub rules: RuleNames,
}

impl Reader {
    /// Parse configuration text. `name` is how the file is called in errors.
    pub fn from_yaml(&self, name: &str, text: &str) -> Result<Config, ConfigError> {
        if is_blank_yaml(text) {
            return Ok(Config::default());
        }
        if let Some(at) = find_alias(text) {
            let line = text[..at].matches('\n').count() + 1;
            // A snippet with very long lines around it says nothing a line number does not.
            let span = text
                .lines()
                .skip(line.saturating_sub(2))
                .take(3)
                .all(|l| l.len() <= 200)
                .then(|| SourceSpan::from((at, token_len(text, at))));
            return Err(ConfigError::Invalid(Box::new(InvalidConfig {
                path: name.to_owned(),
                message: format!(
                    "YAML aliases (`*name`) are not accepted in the configuration (line {line})"
                ),
                src: NamedSource::new(name, text.to_owned()),
                span,
                label: "alias".into(),
                help: Some(
                    "write the values out: an alias can expand a small file into gigabytes".into(),
                ),
            })));
        }
        let previous = RULE_NAMES.with(|n| n.replace(Some(self.rules)));
        let read = serde_yaml::from_str::<Config>(text);
        RULE_NAMES.with(|n| n.set(previous));
        read.map_err(|e| ConfigError::from_yaml(name, text, &e))
    }

    /// Read and parse a configuration file.
    pub fn from_file(&self, path: &Path) -> Result<Config, ConfigError> {
        let name = path.display().to_string();
        let data = std::fs::read(path).map_err(|source| ConfigError::Read {
            path: name.clone(),
            source,
        })?;
        let text = String::from_utf8(data).map_err(|e| ConfigError::NotUtf8 {
            path: name.clone(),
            offset: e.utf8_error().valid_up_to(),
        })?;
        self.from_yaml(&name, &text)
    }

    /// Find the configuration: `explicit` (`--config FILE`, which must exist), else
    /// [`FILE_NAME`] in `root` when present, else the default. `isolated` ignores both.
    pub fn discover(
        &self,
        root: Option<&Path>,
        explicit: Option<&Path>,
        isolated: bool,
    ) -> Result<Config, ConfigError> {
        if isolated {
            return Ok(Config::default());
        }
        if let Some(p) = explicit {
            return self.from_file(p);
        }
        if let Some(root) = root {
            let p = root.join(FILE_NAME);
            if p.is_file() {
                return self.from_file(&p);
            }
        }
        Ok(Config::default())
    }

    /// The configuration carried by a revision's tree ([`FILE_NAME`] at its root), or the
    /// default when the tree has none.
    pub fn from_tree(&self, tree: &Tree) -> Result<Config, ConfigError> {
        let Some(entry) = tree.get(FILE_NAME) else {
            return Ok(Config::default());
        };
        // The file decides what is reported and how: checking without it would silently
        // use other settings, so content that cannot be read (a partial clone) is an error.
        let data = entry
            .blob
            .try_data()
            .map_err(|why| ConfigError::Unreadable {
                path: FILE_NAME.to_owned(),
                reason: why.to_string(),
            })?;
        let text = std::str::from_utf8(data).map_err(|e| ConfigError::NotUtf8 {
            path: FILE_NAME.to_owned(),
            offset: e.valid_up_to(),
        })?;
        self.from_yaml(FILE_NAME, text)
    }
}

impl Config {
    /// The module directories of a revision: the configured ones, else the relative
    /// entries of `environment.conf`'s `modulepath`, else `modules`.
    pub fn modulepath(&self, tree: &Tree) -> Vec<String> {
        if let Some(mp) = &self.modulepath {
            return mp.clone();
        }
        if let Some(mp) = tree
            .text("environment.conf")
            .and_then(environment_modulepath)
        {
            return mp;
        }
        vec!["modules".to_owned()]
    }

    /// The hiera data directories of a revision.
    pub fn hieradata(&self, tree: &Tree) -> Vec<String> {
        if let Some(h) = &self.hieradata {
            return h.clone();
        }
        ["hieradata", "data"]
            .iter()
            .filter(|d| {
                let prefix = format!("{d}/");
                tree.paths().any(|p| p.starts_with(&prefix))
            })
            .map(|d| (*d).to_owned())
            .collect()
    }

    /// Whether `path` (absolute, on the host) lies in an executable directory.
    pub fn in_executable_dir(&self, path: &str) -> bool {
        let dir = match path.rfind('/') {
            Some(i) => &path[..i],
            None => return false,
        };
        self.executable_dirs.iter().any(|d| {
            if d.starts_with('/') {
                let d = d.trim_end_matches('/');
                path.starts_with(d) && path[d.len()..].starts_with('/')
            } else {
                dir.split('/').any(|c| c == d)
            }
        })
    }

    /// Whether `path` lies under an externally managed prefix.
    pub fn externally_managed(&self, path: &str) -> bool {
        self.external_prefixes.iter().any(|p| {
            let p = p.trim_end_matches('/');
            path == p || (path.starts_with(p) && path[p.len()..].starts_with('/'))
        })
    }

    /// The settings the resource model is built with.
    pub fn model_options(&self) -> crate::model::ModelOptions {
        crate::model::ModelOptions {
            modulepath: self.modulepath.clone(),
            hiera_files: self.hieradata.as_ref().map(|dirs| {
                dirs.iter()
                    .map(|d| format!("{}/common.yaml", d.trim_end_matches('/')))
                    .collect()
            }),
            service_binary_hints: self.service_binaries.clone(),
            puppet_major: self.puppet_version,
            package_paths: self.package_paths.clone(),
            ..crate::model::ModelOptions::default()
        }
    }

    /// The effective default of the file type's `backup` attribute by the configured
    /// version: `puppet` (the local clientbucket) before Puppet 7, `false` from 7 on (and
    /// when no version is configured; the rules ask the model, which infers one).
    pub fn default_backup_enabled(&self) -> bool {
        self.puppet_version.is_some_and(|v| v < 7)
    }
}

/// `modulepath = site:modules:$basemodulepath` -> `["site", "modules"]` (absolute entries
/// and `$` variables point outside the repository and are left out).
fn environment_modulepath(text: &str) -> Option<Vec<String>> {
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        let Some((k, v)) = line.split_once('=') else {
            continue;
        };
        if k.trim() != "modulepath" {
            continue;
        }
        let dirs: Vec<String> = v
            .trim()
            .trim_matches('"')
            .split(':')
            .map(|d| d.trim().trim_end_matches('/'))
            .filter(|d| !d.is_empty() && !d.starts_with('/') && !d.starts_with('$'))
            .map(|d| d.trim_start_matches("./").to_owned())
            .collect();
        return Some(dirs);
    }
    None
}

/// Nothing but whitespace, comments and document markers.
fn is_blank_yaml(text: &str) -> bool {
    text.lines().all(|l| {
        let l = l.trim();
        l.is_empty() || l.starts_with('#') || l == "---" || l == "..."
    })
}

// ----- deserializers with precise errors -----

/// A list of paths, or one string with `:`-separated entries (environment.conf style).
fn path_list_opt<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<String>>, D::Error> {
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = Option<Vec<String>>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a list of directories, or one string of `:`-separated directories")
        }
        fn visit_str<E: de::Error>(self, s: &str) -> Result<Self::Value, E> {
            Ok(Some(
                s.split(':')
                    .map(str::trim)
                    .filter(|x| !x.is_empty())
                    .map(str::to_owned)
                    .collect(),
            ))
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let mut out = Vec::new();
            while let Some(s) = seq.next_element::<String>()? {
                out.push(s);
            }
            Ok(Some(out))
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
    }
    d.deserialize_any(V)
}

/// `rules:` — keys must be registered rule names (those the [`Reader`] was given).
fn rule_levels<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<&'static str, Level>, D::Error> {
    let Some(names) = RULE_NAMES.with(Cell::get) else {
        return Err(de::Error::custom(
            "`rules:` can only be read by a configuration Reader, which knows the rule names",
        ));
    };
    struct V(RuleNames);
    impl<'de> Visitor<'de> for V {
        type Value = BTreeMap<&'static str, Level>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a map of rule name to error, warning, info or off")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut out = BTreeMap::new();
            while let Some(key) = map.next_key::<String>()? {
                let Some(rule) = (self.0.lookup)(&key) else {
                    let hint = (self.0.suggest)(&key)
                        .map(|s| format!("; did you mean `{s}`?"))
                        .unwrap_or_default();
                    return Err(de::Error::custom(format!("unknown rule `{key}`{hint}")));
                };
                let level: Level = map.next_value()?;
                out.insert(rule, level);
            }
            Ok(out)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(BTreeMap::new())
        }
    }
    d.deserialize_any(V(names))
}

fn puppet_major<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
    let v = u32::deserialize(d)?;
    if (3..=8).contains(&v) {
        Ok(Some(v))
    } else {
        Err(de::Error::custom(format!(
            "puppet_version {v} is not a Puppet major version this tool knows (3 to 8)"
        )))
    }
}

/// Host snapshots older than a day are reported as stale by default.
pub const DEFAULT_SNAPSHOT_MAX_AGE: u64 = 86_400;

/// A duration: `90s`, `30m`, `24h`, `7d`, `2w`, or a number of seconds.
fn max_age<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Secs(u64),
        Text(String),
    }
    let text = match Raw::deserialize(d)? {
        Raw::Secs(n) => return Ok(n),
        Raw::Text(t) => t,
    };
    crate::hosts::time::parse_duration(&text).ok_or_else(|| {
        de::Error::custom(format!(
            "host_snapshot_max_age {text:?} is not a duration such as 24h or 7d"
        ))
    })
}

// ----- errors -----

/// A configuration file that cannot be used. Exit status 2.
#[derive(Debug, Error, Diagnostic)]
pub enum ConfigError {
    #[error("cannot read the configuration file {path}: {source}")]
    #[diagnostic(
        code(preflight::config::read),
        help(
            "check the path given to --config, or pass --isolated to run without a configuration"
        )
    )]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },

    #[error("the configuration file {path} of the change cannot be read: {reason}")]
    #[diagnostic(
        code(preflight::config::unreadable),
        help("fetch the object (a partial clone lacks it), or pass --config FILE or --isolated")
    )]
    Unreadable { path: String, reason: String },

    #[error("the configuration file {path} is not valid UTF-8 (byte {offset})")]
    #[diagnostic(code(preflight::config::encoding), help("save the file as UTF-8"))]
    NotUtf8 { path: String, offset: usize },

    #[error(transparent)]
    #[diagnostic(transparent)]
    Invalid(Box<InvalidConfig>),
}

/// A configuration text that is not valid: the message, and a label pointing into it.
#[derive(Debug, Error, Diagnostic)]
#[error("invalid configuration in {path}: {message}")]
#[diagnostic(code(preflight::config::invalid))]
pub struct InvalidConfig {
    pub path: String,
    pub message: String,
    #[source_code]
    src: NamedSource<String>,
    /// Byte range of the offending text, when serde_yaml knows it.
    #[label("{label}")]
    pub span: Option<SourceSpan>,
    label: String,
    #[help]
    pub help: Option<String>,
}

impl ConfigError {
    fn from_yaml(name: &str, text: &str, e: &serde_yaml::Error) -> ConfigError {
        let full = e.to_string();
        let loc = e.location();
        // serde_yaml appends " at line L column C"; the label shows the place instead.
        let message = match &loc {
            Some(l) => {
                let suffix = format!(" at line {} column {}", l.line(), l.column());
                full.strip_suffix(&suffix).unwrap_or(&full).to_owned()
            }
            None => full.clone(),
        };
        let mut message = message;
        let (label, help) = explain_yaml_error(&mut message);
        let mut start = loc.map(|l| l.index().min(text.len()));
        if let Some(key) = message
            .split("unknown rule `")
            .nth(1)
            .and_then(|r| r.split('`').next())
        {
            start = find_rule_key(text, key).or(start);
        }
        let span = start.map(|mut s| {
            while s > 0 && !text.is_char_boundary(s) {
                s -= 1;
            }
            SourceSpan::from((s, token_len(text, s)))
        });
        ConfigError::Invalid(Box::new(InvalidConfig {
            path: name.to_owned(),
            message,
            src: NamedSource::new(name, text.to_owned()),
            span,
            label,
            help,
        }))
    }
}

/// Byte offset of the first YAML alias (`*name` where a value may start), outside quotes
/// and comments. A configuration has no need for aliases, and a well-shaped alias bomb
/// (thousands of keys all aliasing one big list) passes serde_yaml's own limits.
fn find_alias(text: &str) -> Option<usize> {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let b = line.as_bytes();
        let mut quote: Option<u8> = None;
        let mut prev = b' ';
        let mut prev_sig: Option<u8> = None;
        for (i, &c) in b.iter().enumerate() {
            match quote {
                Some(q) if c == q => quote = None,
                Some(_) => {}
                None => match c {
                    b'\'' | b'"' => quote = Some(c),
                    b'#' if prev == b' ' || prev == b'\t' || i == 0 => break,
                    b'*' if matches!(prev_sig, None | Some(b':' | b'-' | b'[' | b',' | b'{'))
                        && b.get(i + 1)
                            .is_some_and(|n| n.is_ascii_alphanumeric() || *n == b'_') =>
                    {
                        return Some(offset + i);
                    }
                    _ => {}
                },
            }
            if !c.is_ascii_whitespace() {
                prev_sig = Some(c);
            }
            prev = c;
        }
        offset += line.len();
    }
    None
}

/// Length of the word at `start` (at least 1 unless at the end), for a tight label.
fn token_len(text: &str, start: usize) -> usize {
    let rest = &text[start..];
    let n = rest
        .char_indices()
        .find(|&(_, c)| c.is_whitespace() || c == ':' || c == ',' || c == ']' || c == '}')
        .map_or(rest.len(), |(i, _)| i);
    if n == 0 {
        rest.chars().next().map_or(0, char::len_utf8)
    } else {
        n
    }
}

/// What each key holds, for "wrong type" help.
const KEY_HELP: &[(&str, &str)] = &[
    ("modulepath", "a list of directories relative to the repository root, e.g. [modules, vendor_modules], or one string \"modules:vendor_modules\""),
    ("hieradata", "a list of directories relative to the repository root, e.g. [hieradata]"),
    ("executable_dirs", "a list of directory names (bin) or absolute prefixes (/opt/tools)"),
    ("external_prefixes", "a list of absolute path prefixes, e.g. [/srv/deployment]"),
    ("package_paths", "a map of package name to a list of absolute paths, e.g. {kubernetes-master: [/usr/bin/kube-apiserver]}"),
    ("package_contents", "a list of files: Debian Contents-<arch> indexes (plain or .gz) or dpkg -L lists named <package>.list"),
    ("service_binaries", "a map of service name to one absolute path, e.g. {kube-scheduler: /usr/bin/kube-scheduler}"),
    ("external_modules", "a list of module names, e.g. [secret]"),
    ("rules", "a map of rule name to error, warning, info or off"),
    ("host_snapshots", "a list of host snapshot files or directories, e.g. [/srv/preflight/hosts]"),
    ("host_snapshot_max_age", "a duration such as 24h or 7d (default 24h)"),
    ("puppet_version", "a Puppet major version number, 3 to 8 (default: inferred from the repository, else 7)"),
];

/// A short label and a help line for a serde_yaml message; also rewrites the message
/// where serde's wording is long-winded.
fn explain_yaml_error(message: &mut String) -> (String, Option<String>) {
    let keys = KEYS.join(", ");
    if let Some(rest) = message.strip_prefix("unknown field `") {
        let key = rest.split('`').next().unwrap_or("").to_owned();
        *message = format!("unknown key `{key}`");
        return (
            "unknown key".into(),
            Some(format!("valid keys are: {keys}")),
        );
    }
    if message.contains("unknown rule") {
        return (
            "unknown rule".into(),
            Some("`puppet-preflight rules` lists every rule name".into()),
        );
    }
    if message.contains("unknown variant") {
        return (
            "not a level".into(),
            Some("a rule's level is one of: error, warning, info, off".into()),
        );
    }
    if message.contains("repetition limit exceeded") || message.contains("recursion limit") {
        return (
            "too much expansion".into(),
            Some(
                "the file expands YAML anchors/aliases or nesting beyond a safe size; \
                 write the values out plainly"
                    .into(),
            ),
        );
    }
    if message.contains("invalid type") {
        if message.contains("expected struct Config") {
            return (
                "not a mapping".into(),
                Some(format!(
                    "the file must be a YAML mapping with some of these keys: {keys}"
                )),
            );
        }
        let key = message.split([':', '.', '[']).next().unwrap_or("");
        let help = KEY_HELP
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(k, h)| format!("`{k}` is {h}"));
        return ("wrong type".into(), help);
    }
    if message.contains("puppet_version") {
        return (
            "unsupported version".into(),
            Some("`puppet_version` is a Puppet major version number, 3 to 8 (default: inferred from the repository, else 7)".into()),
        );
    }
    (
        "here".into(),
        Some(format!(
            "this is not valid YAML; the file must be a YAML mapping with some of these keys: {keys}"
        )),
    )
}

/// Where the key `key` of the `rules:` map is written (serde_yaml reports errors raised
/// while reading a map at the previous event, not at the key).
fn find_rule_key(text: &str, key: &str) -> Option<usize> {
    let rules_at = text
        .match_indices("rules")
        .find(|&(i, _)| i == 0 || text.as_bytes()[i - 1] == b'\n')
        .map_or(0, |(i, _)| i);
    let after = &text[rules_at..];
    for quoted in [format!("\"{key}\""), format!("'{key}'"), key.to_owned()] {
        for (i, _) in after.match_indices(quoted.as_str()) {
            let rest = after[i + quoted.len()..].trim_start_matches([' ', '\t']);
            let before = after[..i].chars().next_back();
            let starts_word = matches!(before, None | Some(' ' | '\t' | '\n' | '{' | ','));
            if starts_word && rest.starts_with(':') {
                return Some(rules_at + i);
            }
        }
    }
    None
}

#[cfg(test)]
mod alias_tests {
    use super::find_alias;

    #[test]
    fn aliases_are_found_where_a_value_starts() {
        assert_eq!(find_alias("a: &x [1]\nb: *x\n"), Some(13));
        assert_eq!(find_alias("a:\n  - *x\n"), Some(7));
        assert_eq!(find_alias("a: [*x, *y]\n"), Some(4));
    }

    #[test]
    fn stars_in_values_quotes_and_comments_are_not_aliases() {
        assert_eq!(find_alias("external_prefixes: ['/srv/*']\n"), None);
        assert_eq!(find_alias("a: \"*x\"\n# b: *x\n"), None);
        assert_eq!(find_alias("a: /usr/lib/*x\n"), None);
        assert_eq!(find_alias("rules: {link-cycle: off}\n"), None);
    }
}
