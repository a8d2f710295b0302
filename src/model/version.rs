//! Which Puppet the repository is written for: the configuration's `puppet_version`, else
//! what the repository itself says, else 7.
//!
//! The evidence, strongest first (the first that decides wins):
//!
//! 1. `puppet_version` in the configuration;
//! 2. the root `Gemfile.lock`: the resolved `puppet (3.8.7)` gem;
//! 3. the root `Gemfile` or `.gemfile`: `gem 'puppet'` with a requirement that has an
//!    upper bound (`'~> 3.7'`, `'3.8.7'`, `'< 4'`, the default of
//!    `ENV['PUPPET_VERSION'] || '3.8.7'`); the newest version it admits is assumed;
//! 4. the root `puppet.conf` setting `templatedir`, which Puppet 4 removed;
//! 5. an `import` statement in a manifest, which Puppet 4 removed;
//! 6. `template('x.erb')` found only in the root `templates/` (Puppet 3's
//!    `templatedir`; recorded by the evaluator, see [`Model::build`](super::Model::build));
//! 7. the `puppet` requirements of the modules' `metadata.json`: only when every one of
//!    them excludes 7, the newest major any of them admits.
//!
//! Gemfiles of modules (vendored or not) describe the module's own test matrix, not the
//! Puppet the repository runs, and are not read. A `puppet:///files/…` source is no
//! evidence: custom mount points of `fileserver.conf` exist in every version.

use std::fmt;

use crate::input::Tree;

/// How a version is shown when the evidence is code Puppet 4 removed: it ran on 3 or on
/// an older release (0.25, 2.7), which read the language the same way for what the rules
/// judge.
pub const OLD: &str = "3 or older";

/// The Puppet version a revision is judged by, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PuppetVersion {
    /// The major version (3 to 8).
    pub major: u32,
    /// The version as the evidence states it (`3.8.7`, `3`).
    pub shown: String,
    pub basis: VersionBasis,
}

/// Why a version was assumed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VersionBasis {
    /// `puppet_version` in the configuration.
    Configured,
    /// The root `Gemfile.lock`.
    GemfileLock,
    /// `gem 'puppet', …` in the root Gemfile (file name, requirement as written).
    Gemfile { file: String, requirement: String },
    /// The root `puppet.conf` sets `templatedir`.
    PuppetConf,
    /// An `import` statement (file).
    Import { file: String },
    /// `template(spec)` found only in the root `templates/`.
    Templatedir { spec: String },
    /// The modules' `metadata.json` (the file admitting the newest, its requirement).
    Metadata { file: String, requirement: String },
    /// Nothing in the repository says.
    Default,
}

impl Default for PuppetVersion {
    fn default() -> Self {
        PuppetVersion {
            major: 7,
            shown: "7".into(),
            basis: VersionBasis::Default,
        }
    }
}

impl PuppetVersion {
    fn new(major: u32, shown: impl Into<String>, basis: VersionBasis) -> Self {
        PuppetVersion {
            major,
            shown: shown.into(),
            basis,
        }
    }

    /// Whether the version was taken from the configuration or the repository (not the
    /// default).
    pub fn is_known(&self) -> bool {
        self.basis != VersionBasis::Default
    }

    /// Why, in a few words: `Gemfile.lock`, `the default: nothing in the repository names
    /// a version`.
    pub fn reason(&self) -> String {
        match &self.basis {
            VersionBasis::Configured => "puppet_version in the configuration".into(),
            VersionBasis::GemfileLock => "Gemfile.lock".into(),
            VersionBasis::Gemfile { file, requirement } => {
                format!("{file}: gem 'puppet', '{requirement}'")
            }
            VersionBasis::PuppetConf => {
                "puppet.conf sets templatedir, which Puppet 4 removed".into()
            }
            VersionBasis::Import { file } => {
                format!("`import` in {file}, which Puppet 4 removed")
            }
            VersionBasis::Templatedir { spec } => {
                format!("template('{spec}') is found only in templates/, Puppet 3's templatedir")
            }
            VersionBasis::Metadata { file, requirement } => format!(
                "no module's metadata.json admits Puppet 7; the newest admitted is {file} \
                 '{requirement}'"
            ),
            VersionBasis::Default => {
                "the default: nothing in the repository names a version; set puppet_version".into()
            }
        }
    }
}

/// `Puppet 3.8.7 (Gemfile.lock)`.
impl fmt::Display for PuppetVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Puppet {} ({})", self.shown, self.reason())
    }
}

/// The version from the configuration and the repository's files (evidence 1 to 4 of the
/// module documentation); the evaluator adds 5 and 6, [`from_metadata`] 7.
pub fn from_files(tree: &Tree, configured: Option<u32>) -> Option<PuppetVersion> {
    if let Some(v) = configured {
        return Some(PuppetVersion::new(
            v,
            v.to_string(),
            VersionBasis::Configured,
        ));
    }
    if let Some(text) = tree.text("Gemfile.lock") {
        if let Some(v) = gemfile_lock(text) {
            return Some(v);
        }
    }
    for file in ["Gemfile", ".gemfile"] {
        if let Some(v) = tree.text(file).and_then(|t| gemfile(file, t)) {
            return Some(v);
        }
    }
    if tree.text("puppet.conf").is_some_and(sets_templatedir) {
        return Some(PuppetVersion::new(3, OLD, VersionBasis::PuppetConf));
    }
    None
}

/// Evidence 7: every `puppet` requirement of the modules' `metadata.json` (the root one,
/// and `<entry>/<module>/metadata.json` of every modulepath entry) excludes 7.
pub fn from_metadata(tree: &Tree, modulepath: &[String]) -> Option<PuppetVersion> {
    let mut best: Option<(u32, String, String)> = None;
    for path in tree.paths() {
        let in_module = path == "metadata.json"
            || modulepath.iter().any(|mp| {
                path.strip_prefix(mp.as_str())
                    .and_then(|r| r.strip_prefix('/'))
                    .and_then(|r| r.strip_suffix("/metadata.json"))
                    .is_some_and(|m| !m.is_empty() && !m.contains('/'))
            });
        if !in_module {
            continue;
        }
        let Some(text) = tree.text(path) else {
            continue;
        };
        for req in metadata_requirements(text) {
            let major = max_major(&req)?;
            if major >= 7 {
                return None;
            }
            if best.as_ref().map_or(true, |(b, _, _)| major > *b) {
                best = Some((major, path.to_string(), req));
            }
        }
    }
    let (major, file, requirement) = best?;
    Some(PuppetVersion::new(
        major,
        major.to_string(),
        VersionBasis::Metadata { file, requirement },
    ))
}

/// `    puppet (3.8.7)` among the specs of a `Gemfile.lock`.
fn gemfile_lock(text: &str) -> Option<PuppetVersion> {
    for line in text.lines() {
        // Specs are indented by four spaces; dependencies of a spec by six.
        let Some(rest) = line.strip_prefix("    puppet (") else {
            continue;
        };
        let version = rest.split(')').next()?.split('-').next()?.trim();
        let major = leading_number(version)?;
        return Some(PuppetVersion::new(
            major,
            version,
            VersionBasis::GemfileLock,
        ));
    }
    None
}

/// `gem 'puppet', '~> 3.7'` (or `ENV['PUPPET_VERSION'] || '3.8.7'`): the newest major the
/// requirement admits, when it has an upper bound.
fn gemfile(file: &str, text: &str) -> Option<PuppetVersion> {
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or("").trim();
        let Some(rest) = line.strip_prefix("gem") else {
            continue;
        };
        let rest = rest.trim_start_matches(['(', ' ', '\t']);
        let Some(rest) = rest
            .strip_prefix("'puppet'")
            .or_else(|| rest.strip_prefix("\"puppet\""))
        else {
            continue;
        };
        let reqs: Vec<String> = quoted(rest)
            .into_iter()
            .filter(|q| is_requirement(q))
            .collect();
        if reqs.is_empty() {
            return None;
        }
        let major = reqs.iter().filter_map(|r| max_major(r)).min()?;
        let exact = reqs.iter().find_map(|r| {
            r.trim()
                .trim_start_matches('=')
                .trim()
                .parse::<Exact>()
                .ok()
        });
        let shown = match exact {
            Some(Exact(v)) if leading_number(&v) == Some(major) => v,
            _ => major.to_string(),
        };
        return Some(PuppetVersion::new(
            major,
            shown,
            VersionBasis::Gemfile {
                file: file.into(),
                requirement: reqs.join("', '"),
            },
        ));
    }
    None
}

/// A version number without an operator.
struct Exact(String);

impl std::str::FromStr for Exact {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        let ok = !s.is_empty()
            && s.split('.')
                .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
        ok.then(|| Exact(s.to_string())).ok_or(())
    }
}

/// The string literals of a line of Ruby, in order.
fn quoted(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\'' || c == '"' {
            let lit: String = chars.by_ref().take_while(|&x| x != c).collect();
            out.push(lit);
        }
    }
    out
}

/// `~> 3.7`, `>= 3.0, < 4`, `3.8.7`: a Gem requirement, not an option or a variable name.
fn is_requirement(s: &str) -> bool {
    s.split(',').all(|c| {
        let c = c
            .trim()
            .trim_start_matches(['~', '>', '<', '=', '!'])
            .trim();
        !c.is_empty()
            && c.split('.')
                .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit() || b == b'x'))
    })
}

/// The newest major version a requirement admits: Gem style (`~> 3.7`, `< 4`, `3.8.7`,
/// comma-separated) or metadata.json style (`>= 4.7.0 < 7.0.0`, `3.x`, `||`
/// alternatives). `None`: no upper bound, or not understood.
pub fn max_major(req: &str) -> Option<u32> {
    let mut best = None;
    for alt in req.split("||") {
        let m = max_major_of_range(alt)?;
        best = Some(best.map_or(m, |b: u32| b.max(m)));
    }
    best
}

fn max_major_of_range(range: &str) -> Option<u32> {
    // Tokens: an operator may be glued to its version (`>=4.0.0`) or separate.
    let mut constraints: Vec<(String, String)> = Vec::new();
    let mut pending_op: Option<String> = None;
    for tok in range.split([' ', ',', '\t']).filter(|t| !t.is_empty()) {
        let split = tok.find(|c: char| c.is_ascii_digit()).unwrap_or(tok.len());
        let (op, ver) = tok.split_at(split);
        if ver.is_empty() {
            pending_op = Some(op.to_string());
            continue;
        }
        let op = if op.is_empty() {
            pending_op.take().unwrap_or_default()
        } else {
            op.to_string()
        };
        constraints.push((op, ver.to_string()));
    }
    let mut upper: Option<u32> = None;
    for (op, ver) in &constraints {
        let parts: Vec<&str> = ver.split('.').collect();
        let nums: Vec<Option<u32>> = parts.iter().map(|p| p.parse().ok()).collect();
        let major = nums.first().copied().flatten()?;
        let rest_zero = nums[1..].iter().all(|n| *n == Some(0));
        let bound = match op.as_str() {
            ">=" | ">" | "!=" => continue,
            "<" if rest_zero => major.checked_sub(1)?,
            "<" | "<=" | "=" | "" | "~>" | "~" | "^" => major,
            _ => return None,
        };
        upper = Some(upper.map_or(bound, |u| u.min(bound)));
    }
    upper
}

/// The major of `3.8.7`.
fn leading_number(v: &str) -> Option<u32> {
    v.split('.').next()?.trim().parse().ok()
}

/// A `templatedir = …` line in `puppet.conf`.
fn sets_templatedir(text: &str) -> bool {
    text.lines().any(|l| {
        let l = l.trim_start();
        l.strip_prefix("templatedir")
            .is_some_and(|r| r.trim_start().starts_with('='))
    })
}

/// The `version_requirement` of each `{"name": "puppet"}` requirement of a metadata.json.
fn metadata_requirements(text: &str) -> Vec<String> {
    let Ok(json) = serde_json::from_str::<serde_json::Value>(text) else {
        return Vec::new();
    };
    json.get("requirements")
        .and_then(|r| r.as_array())
        .into_iter()
        .flatten()
        .filter(|r| {
            r.get("name")
                .and_then(|n| n.as_str())
                .is_some_and(|n| n.eq_ignore_ascii_case("puppet"))
        })
        .filter_map(|r| r.get("version_requirement")?.as_str().map(String::from))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(files: &[(&str, &str)]) -> Tree {
        use crate::input::{Blob, EntryKind, TreeEntry};
        let mut tree = Tree::default();
        for (p, t) in files {
            let blob = std::sync::Arc::new(Blob::new(None, t.as_bytes().to_vec()));
            let entry = TreeEntry {
                kind: EntryKind::File,
                blob,
            };
            tree.files.insert(p.to_string(), entry);
        }
        tree
    }

    #[test]
    fn gem_requirements() {
        assert_eq!(max_major("~> 3.7"), Some(3));
        assert_eq!(max_major("~> 3"), Some(3));
        assert_eq!(max_major("3.8.7"), Some(3));
        assert_eq!(max_major(">= 3.0, < 4"), Some(3));
        assert_eq!(max_major("< 4.0.0"), Some(3));
        assert_eq!(max_major("< 4.1"), Some(4));
        assert_eq!(max_major(">= 3.3"), None);
        assert_eq!(max_major(">= 4.7.0 < 7.0.0"), Some(6));
        assert_eq!(max_major(">=4.0.0 <6.0.0"), Some(5));
        assert_eq!(max_major("3.x"), Some(3));
        assert_eq!(max_major(">= 3.0.0 < 5.0.0 || 6.x"), Some(6));
        assert_eq!(max_major("banana"), None);
    }

    #[test]
    fn gemfiles() {
        let v = |t: &str| gemfile("Gemfile", t).map(|v| (v.major, v.shown));
        assert_eq!(v("gem 'puppet', '~> 3.7'\n"), Some((3, "3".into())));
        assert_eq!(
            v("gem \"puppet\", ENV['PUPPET_VERSION'] || '3.8.7'\n"),
            Some((3, "3.8.7".into()))
        );
        assert_eq!(v("gem 'puppet', '>= 3.3'\n"), None);
        assert_eq!(v("gem 'puppet'\n"), None);
        assert_eq!(v("gem 'puppet-lint', '~> 1.1'\n"), None);
        assert_eq!(v("# gem 'puppet', '~> 3.7'\n"), None);
        assert_eq!(
            v("gem 'puppet', '~> 6.0', require: false\n"),
            Some((6, "6".into()))
        );
        let lock =
            "GEM\n  specs:\n    facter (2.4.6)\n    puppet (3.8.7)\n      facter (> 1.6, < 3)\n";
        let l = gemfile_lock(lock).unwrap();
        assert_eq!(
            (l.major, l.to_string()),
            (3, "Puppet 3.8.7 (Gemfile.lock)".into())
        );
    }

    #[test]
    fn evidence_in_order() {
        let t = tree(&[
            ("Gemfile", "gem 'puppet', '~> 4.10'\n"),
            ("Gemfile.lock", "GEM\n  specs:\n    puppet (3.8.7)\n"),
        ]);
        assert_eq!(
            from_files(&t, None).unwrap().basis,
            VersionBasis::GemfileLock
        );
        assert_eq!(from_files(&t, Some(8)).unwrap().major, 8);
        let t = tree(&[("puppet.conf", "[master]\ntemplatedir=$confdir/templates\n")]);
        assert_eq!(from_files(&t, None).unwrap().major, 3);
        // A module's own Gemfile is its test matrix, not the repository's Puppet.
        let t = tree(&[("modules/apache/Gemfile", "gem 'puppet', '~> 3.7'\n")]);
        assert_eq!(from_files(&t, None), None);
    }

    #[test]
    fn metadata_ranges_must_all_exclude_7() {
        let md = |r: &str| {
            format!(
                r#"{{"name":"x-y","requirements":[{{"name":"puppet","version_requirement":"{r}"}}]}}"#
            )
        };
        let mp = vec!["modules".to_string()];
        let t = tree(&[
            ("modules/a/metadata.json", &md(">= 3.0.0 < 4.0.0")),
            ("modules/b/metadata.json", &md(">= 4.7.0 < 7.0.0")),
        ]);
        let v = from_metadata(&t, &mp).unwrap();
        assert_eq!(v.major, 6);
        assert!(v.to_string().contains("modules/b/metadata.json"), "{v}");
        let t = tree(&[
            ("modules/a/metadata.json", &md(">= 3.0.0 < 4.0.0")),
            ("modules/b/metadata.json", &md(">= 4.7.0 < 8.0.0")),
        ]);
        assert_eq!(from_metadata(&t, &mp), None);
        let t = tree(&[("modules/a/metadata.json", &md(">= 3.0.0"))]);
        assert_eq!(from_metadata(&t, &mp), None);
        // Not a module's metadata: a fixture deep inside one.
        let t = tree(&[("modules/a/spec/fixtures/metadata.json", &md("< 4.0.0"))]);
        assert_eq!(from_metadata(&t, &mp), None);
    }
}
