//! Which files matter to Puppet, by path alone.

use serde::Serialize;

/// The Puppet-relevant kinds of file a change can touch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Category {
    /// `*.pp` anywhere.
    Manifest,
    /// `*.erb` / `*.epp` under a `templates/` directory.
    Template,
    /// Anything under a module's `files/` directory (served as `puppet:///modules/…`).
    ModuleFile,
    /// `*.yaml`/`*.yml`/`*.json`/`*.eyaml` under `hieradata/` or `data/`.
    HieraData,
    /// `Puppetfile` (r10k / librarian module list).
    Puppetfile,
    /// `environment.conf` (modulepath, manifest).
    EnvironmentConf,
    /// `hiera.yaml` (hierarchy).
    HieraConfig,
}

impl Category {
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Manifest => "manifest",
            Category::Template => "template",
            Category::ModuleFile => "module-file",
            Category::HieraData => "hiera-data",
            Category::Puppetfile => "puppetfile",
            Category::EnvironmentConf => "environment-conf",
            Category::HieraConfig => "hiera-config",
        }
    }
}

/// The category of a repository-relative, `/`-separated path, or `None` when Puppet does
/// not read it.
pub fn categorize(path: &str) -> Option<Category> {
    let parts: Vec<&str> = path.split('/').collect();
    let (name, dirs) = parts.split_last()?;
    let ext = name.rsplit_once('.').map(|(_, e)| e);
    match *name {
        "Puppetfile" => return Some(Category::Puppetfile),
        "environment.conf" => return Some(Category::EnvironmentConf),
        "hiera.yaml" => return Some(Category::HieraConfig),
        _ => {}
    }
    if ext == Some("pp") && is_manifest(path) {
        return Some(Category::Manifest);
    }
    if matches!(ext, Some("erb" | "epp")) && dirs.contains(&"templates") {
        return Some(Category::Template);
    }
    if dirs.contains(&"files") {
        return Some(Category::ModuleFile);
    }
    if matches!(ext, Some("yaml" | "yml" | "json" | "eyaml"))
        && dirs.iter().any(|d| *d == "hieradata" || *d == "data")
    {
        return Some(Category::HieraData);
    }
    None
}

/// Directories of a module (or of the repository) whose `.pp` files Puppet never loads as
/// manifests: ERB/EPP templates and served files named `*.pp`, Ruby code, tests and
/// examples.
pub(crate) const NOT_LOADED: &[&str] = &[
    "templates",
    "files",
    "lib",
    "examples",
    "tests",
    "spec",
    "fixtures",
    "acceptance",
];

/// Whether a repository path is a Puppet manifest: a `*.pp` file that is not in a hidden
/// directory and not in a `templates/`, `files/`, `lib/`, `examples/`, `tests/`, `spec/`,
/// `fixtures/` or `acceptance/` directory above the `manifests/` directory it sits in (a
/// class directory `manifests/files/` is still code: `m::files::x`).
pub fn is_manifest(path: &str) -> bool {
    if !path.ends_with(".pp") {
        return false;
    }
    let segs: Vec<&str> = path.split('/').collect();
    if segs.iter().any(|s| s.starts_with('.')) {
        return false;
    }
    let dirs = &segs[..segs.len() - 1];
    let above = dirs
        .iter()
        .position(|s| *s == "manifests")
        .map_or(dirs, |i| &dirs[..i]);
    !above.iter().any(|s| NOT_LOADED.contains(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn categories() {
        let cases = [
            ("manifests/site.pp", Some(Category::Manifest)),
            ("modules/k8s/manifests/init.pp", Some(Category::Manifest)),
            // Not loaded by Puppet: an ERB template or a served file named `*.pp`.
            ("modules/t/templates/conf.pp", None),
            ("modules/t/files/site.pp", Some(Category::ModuleFile)),
            ("modules/t/manifests/files/x.pp", Some(Category::Manifest)),
            ("modules/k8s/templates/unit.erb", Some(Category::Template)),
            ("modules/k8s/templates/unit.epp", Some(Category::Template)),
            (
                "modules/k8s/files/kube-scheduler",
                Some(Category::ModuleFile),
            ),
            ("modules/k8s/files/sub/dir/x.sh", Some(Category::ModuleFile)),
            ("hieradata/common.yaml", Some(Category::HieraData)),
            ("modules/k8s/data/common.yaml", Some(Category::HieraData)),
            ("Puppetfile", Some(Category::Puppetfile)),
            ("environment.conf", Some(Category::EnvironmentConf)),
            ("hiera.yaml", Some(Category::HieraConfig)),
            ("modules/k8s/hiera.yaml", Some(Category::HieraConfig)),
        ];
        for (p, want) in cases {
            assert_eq!(categorize(p), want, "{p}");
        }
        for p in [
            "README.md",
            "modules/k8s/templates/notes.txt",
            "docs/unit.erb",
            "modules/k8s/files",
            "hieradata/README.md",
            "modules/k8s/metadata.json",
            "spec/fixtures/x.yaml",
        ] {
            assert_eq!(categorize(p), None, "{p}");
        }
    }
}
