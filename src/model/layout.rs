//! Where a repository keeps its Puppet code: which `.pp` files are manifests, the module
//! the repository itself is (a library module with `manifests/`, `templates/`, `files/` and
//! `metadata.json` at its root), module directories outside the default modulepath
//! (vendored modules), modules vendored as git submodules, and the paths `.gitignore`
//! keeps out of the repository (files placed on the Puppet server out of band); the
//! modulepath, the module a path belongs to, and where a `m/t` spec of `template()`,
//! `file()` or `source` is in the tree. Shared by the evaluator, the index and the rules.

use super::ModelOptions;
use crate::input::{EntryKind, Tree};

use crate::input::category::NOT_LOADED;
pub use crate::input::is_manifest;

/// The short name of a module from its full name: `puppetlabs-stdlib`, `puppetlabs/stdlib`
/// -> `stdlib`.
pub fn short_module_name(full: &str) -> Option<String> {
    let n = full.rsplit(['/', '-']).next()?.trim().to_ascii_lowercase();
    (!n.is_empty() && n.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')).then_some(n)
}

/// The module the repository root is, if it is one: the short name of the root
/// `metadata.json`'s `name`, else the class `manifests/init.pp` defines (`class foo` ->
/// `foo`); and only when a manifest under the root `manifests/` defines that class or one
/// of its namespace (a control repository that carries a `metadata.json` is not a module).
/// `classes` are the parsed class definitions, `(name, file)`, names normalised.
pub fn root_module<'a>(
    tree: &Tree,
    classes: impl Iterator<Item = (&'a str, &'a str)> + Clone,
) -> Option<String> {
    let name = root_module_name(tree).or_else(|| {
        classes
            .clone()
            .find(|(n, f)| *f == "manifests/init.pp" && !n.contains("::"))
            .map(|(n, _)| n.to_string())
    })?;
    let ours = |n: &str| {
        n.strip_prefix(name.as_str())
            .is_some_and(|r| r.is_empty() || r.starts_with("::"))
    };
    classes
        .into_iter()
        .any(|(n, f)| f.starts_with("manifests/") && ours(n))
        .then_some(name)
}

/// The short name in the root `metadata.json`, if there is one.
fn root_module_name(tree: &Tree) -> Option<String> {
    let text = tree.text("metadata.json")?;
    let v = serde_json::from_str::<serde_json::Value>(text).ok()?;
    short_module_name(v.get("name")?.as_str()?)
}

/// Directories that hold modules outside `modules/` (`vendor/modules`, `3rdparty/modules`,
/// `site`): every `D` of a manifest `D/<name>/manifests/….pp`, where `D` is not inside a
/// module's own directories. Sorted; `modules` is not included.
pub fn inferred_module_dirs(tree: &Tree) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for p in tree.paths() {
        if !is_manifest(p) {
            continue;
        }
        let segs: Vec<&str> = p.split('/').collect();
        let Some(i) = segs.iter().position(|s| *s == "manifests") else {
            continue;
        };
        // `D/<name>/manifests/…`: at least one segment for D.
        if i < 2 {
            continue;
        }
        let dir = &segs[..i - 1];
        let name = segs[i - 1];
        if dir
            .iter()
            .any(|s| NOT_LOADED.contains(s) || matches!(*s, "functions" | "types" | "data"))
            || !name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
        {
            continue;
        }
        let d = dir.join("/");
        if d != "modules" && !out.contains(&d) {
            out.push(d);
        }
    }
    out.sort();
    out
}

/// Modules vendored as git submodules: a gitlink directly under a modulepath entry
/// (`modules/apache`). Their content is not in the tree.
pub fn submodule_modules(tree: &Tree, modulepath: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for (p, e) in &tree.files {
        if e.kind != EntryKind::Submodule {
            continue;
        }
        for mp in modulepath {
            let rest = if mp == "." || mp.is_empty() {
                Some(p.as_str())
            } else {
                p.strip_prefix(mp.as_str())
                    .and_then(|r| r.strip_prefix('/'))
            };
            if let Some(name) = rest.filter(|r| !r.contains('/')) {
                if let Some(n) = short_module_name(name) {
                    out.push(n);
                }
            }
        }
    }
    out
}

/// Whether `path` exists in the tree as a file, or (with `dir`) as a directory: a prefix of
/// the tree's paths (a `source` with `recurse` copies a directory).
pub fn exists(tree: &Tree, path: &str, dir: bool) -> bool {
    let path = if dir {
        path.trim_end_matches('/')
    } else {
        path
    };
    if path.is_empty() {
        return false;
    }
    if tree.get(path).is_some() {
        return true;
    }
    if !dir {
        return false;
    }
    let prefix = format!("{path}/");
    tree.files
        .range(prefix.clone()..)
        .next()
        .is_some_and(|(p, _)| p.starts_with(&prefix))
}

/// `modulepath = a:b:$basemodulepath` in `environment.conf`, relative entries only. Without
/// a configured modulepath or an `environment.conf`: `modules`, then every other directory
/// that holds modules (`vendor/modules/<name>/manifests/…`), see [`inferred_module_dirs`].
pub fn read_modulepath(tree: &Tree, opts: &ModelOptions) -> Vec<String> {
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
    mp.extend(inferred_module_dirs(tree));
    mp
}

/// The module directory a repository path belongs to, through `modulepath`
/// (`modules/k8s/manifests/x.pp` -> `k8s`; an entry `.` holds modules at the root; a
/// trailing `/` of an entry does not matter); `None` for a path outside every module
/// directory, and for a file directly in a modulepath entry (`modules/README`). The root
/// `manifests/` of a module repository are not given the root module's name: their
/// top-level code is evaluated as the environment's, and code outside modules is related
/// to everything (`dangling-reference`).
pub fn module_of_path<'p>(modulepath: &[String], path: &'p str) -> Option<&'p str> {
    for mp in modulepath {
        let mp = mp.trim_end_matches('/');
        let rest = if mp == "." || mp.is_empty() {
            Some(path)
        } else {
            path.strip_prefix(mp).and_then(|r| r.strip_prefix('/'))
        };
        if let Some(rest) = rest {
            if let Some((m, _)) = rest.split_once('/') {
                return Some(m);
            }
        }
    }
    None
}

/// `m/t` -> `<modulepath entry>/m/<dir>/t`, the first that exists; for the root module
/// (`root`), `<dir>/t` at the repository root first. With `allow_dir` (a `source`, which
/// may copy a directory, with or without `recurse`), a directory of the tree exists too.
pub fn resolve_module_path(
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
        .find(|p| exists(tree, p, allow_dir))
        .map(|p| p.trim_end_matches('/').to_owned())
}

/// The `m/t` spec of every file under a module's `dir` (`templates`, `files`), with its
/// repository path: the root module's `<dir>/t` first, then each modulepath entry's
/// `<entry>/m/<dir>/t`.
pub fn module_file_specs(
    tree: &Tree,
    modulepath: &[String],
    root: Option<&str>,
    dir: &str,
) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if let Some(root) = root {
        let prefix = format!("{dir}/");
        for p in tree.paths() {
            if let Some(t) = p.strip_prefix(&prefix) {
                out.push((format!("{root}/{t}"), p.to_string()));
            }
        }
    }
    for mp in modulepath {
        let prefix = format!("{mp}/");
        for p in tree.paths() {
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
}

/// The patterns of every `.gitignore` of a tree, in the subset this tool understands:
/// blank lines and `#` comments are skipped, negations (`!`) are ignored (a re-included
/// file is in the tree anyway); a pattern with a `/` before its end is anchored at its
/// `.gitignore`'s directory, one without matches a name at any depth below it; a trailing
/// `/` is dropped (a directory's contents are ignored with it); `*` and `?` match within
/// one path segment, a `**` segment any number of segments.
#[derive(Clone, Debug, Default)]
pub struct GitIgnore {
    /// (directory of the `.gitignore`, `""` at the root; anchored; pattern segments)
    rules: Vec<(String, bool, Vec<String>)>,
}

impl GitIgnore {
    pub fn load(tree: &Tree) -> GitIgnore {
        let mut g = GitIgnore::default();
        for p in tree.paths() {
            let base = if p == ".gitignore" {
                ""
            } else if let Some(d) = p.strip_suffix("/.gitignore") {
                d
            } else {
                continue;
            };
            if let Some(text) = tree.text(p) {
                g.add(base, text);
            }
        }
        g
    }

    /// Add the patterns of a `.gitignore` in directory `base` (`""`: the root).
    pub fn add(&mut self, base: &str, text: &str) {
        for line in text.lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') || line.starts_with('!') {
                continue;
            }
            let pat = line.trim_end_matches('/');
            let anchored = pat.contains('/');
            let pat = pat.trim_start_matches('/');
            if pat.is_empty() {
                continue;
            }
            let segs = pat.split('/').map(str::to_owned).collect();
            self.rules.push((base.to_owned(), anchored, segs));
        }
    }

    /// Whether `path` (repository-relative), or a directory above it, is ignored.
    pub fn is_ignored(&self, path: &str) -> bool {
        self.rules.iter().any(|(base, anchored, pat)| {
            let rel = if base.is_empty() {
                Some(path)
            } else {
                path.strip_prefix(base.as_str())
                    .and_then(|r| r.strip_prefix('/'))
            };
            let Some(rel) = rel else {
                return false;
            };
            let segs: Vec<&str> = rel.split('/').filter(|s| !s.is_empty()).collect();
            if *anchored {
                // The pattern matches the path or one of its leading directories.
                (1..=segs.len()).any(|n| match_segs(pat, &segs[..n]))
            } else {
                segs.iter().any(|s| glob(&pat[0], s))
            }
        })
    }
}

/// Pattern segments against path segments; `**` spans any number of segments. Dynamic
/// programming over (pattern, path) positions: patterns come from the repository's
/// `.gitignore`, and a backtracking matcher is exponential in the number of `**`.
fn match_segs(pat: &[String], segs: &[&str]) -> bool {
    // reach[j]: the first i pattern segments can match the first j path segments.
    let mut reach = vec![false; segs.len() + 1];
    reach[0] = true;
    for p in pat {
        if p == "**" {
            // Any number of segments: once reachable, every later position is.
            let mut seen = false;
            for r in reach.iter_mut() {
                seen |= *r;
                *r = seen;
            }
        } else {
            for j in (1..=segs.len()).rev() {
                reach[j] = reach[j - 1] && glob(p, segs[j - 1]);
            }
            reach[0] = false;
        }
    }
    reach[segs.len()]
}

/// `*` and `?` within one segment; other characters literally. The iterative wildcard
/// match with one backtrack point (the last `*`): at most pattern × text steps, never
/// exponential.
fn glob(pat: &str, s: &str) -> bool {
    let (p, s) = (pat.as_bytes(), s.as_bytes());
    let (mut pi, mut si) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while si < s.len() {
        match p.get(pi) {
            Some(b'*') => {
                star = Some((pi, si));
                pi += 1;
            }
            Some(&c) if c == b'?' || c == s[si] => {
                pi += 1;
                si += 1;
            }
            _ => match star {
                // Let the last `*` take one more byte and retry after it.
                Some((sp, ss)) => {
                    pi = sp + 1;
                    si = ss + 1;
                    star = Some((sp, ss + 1));
                }
                None => return false,
            },
        }
    }
    p[pi..].iter().all(|&c| c == b'*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_like_gitignore_and_stay_fast_on_many_stars() {
        assert!(glob("*.pem", "www.pem"));
        assert!(glob("a?c", "abc"));
        assert!(!glob("a?c", "ac"));
        assert!(glob("*a*b*", "xxaxxbxx"));
        assert!(!glob("*a*b*", "xxbxxaxx"));
        assert!(glob("", ""));
        assert!(!glob("", "a"));
        let segs = |p: &str| p.split('/').map(String::from).collect::<Vec<_>>();
        assert!(match_segs(&segs("a/**/b"), &["a", "b"]));
        assert!(match_segs(&segs("a/**/b"), &["a", "x", "y", "b"]));
        assert!(!match_segs(&segs("a/**/b"), &["a", "x", "c"]));
        assert!(match_segs(&segs("**/b"), &["b"]));
        // A backtracking matcher takes exponential time on these.
        let many = "*a".repeat(40) + "*b";
        assert!(!glob(&many, &"a".repeat(200)));
        let deep = segs("**/x/".repeat(30).trim_end_matches('/'));
        let path: Vec<&str> = std::iter::repeat("x").take(29).chain(["y"]).collect();
        assert!(!match_segs(&deep, &path));
    }

    use crate::input::{Blob, TreeEntry};
    use std::sync::Arc;

    fn tree(files: &[(&str, &str)]) -> Tree {
        let mut t = Tree::default();
        for (p, c) in files {
            t.files.insert(
                (*p).to_owned(),
                TreeEntry {
                    kind: EntryKind::File,
                    blob: Arc::new(Blob::new(None, c.as_bytes().to_vec())),
                },
            );
        }
        t
    }

    #[test]
    fn manifests() {
        for p in [
            "manifests/site.pp",
            "modules/a/manifests/init.pp",
            "modules/a/manifests/files/x.pp",
            "modules/a/manifests/templates.pp",
            "site.pp",
        ] {
            assert!(is_manifest(p), "{p}");
        }
        for p in [
            "templates/telegraf/plugin.pp",
            "modules/a/templates/x.pp",
            "modules/a/files/x.pp",
            "modules/a/lib/puppet/x.pp",
            "modules/a/examples/init.pp",
            "spec/fixtures/modules/a/manifests/init.pp",
            ".git/x.pp",
            "modules/a/manifests/init.erb",
        ] {
            assert!(!is_manifest(p), "{p}");
        }
    }

    /// The root module as the model finds it (from the parsed class definitions).
    fn root_of(t: &Tree) -> Option<String> {
        use crate::model::{Model, ModelOptions, ParseCache};
        Model::build(t, &ModelOptions::default(), &ParseCache::new()).root_module
    }

    #[test]
    fn root_modules() {
        let t = tree(&[
            ("metadata.json", r#"{"name": "acme-site"}"#),
            ("manifests/app.pp", "class site::app {}\n"),
        ]);
        assert_eq!(root_of(&t).as_deref(), Some("site"));
        // A control repository with a metadata.json: not a module.
        let t = tree(&[
            ("metadata.json", r#"{"name": "acme-control"}"#),
            ("manifests/site.pp", "node default { include role::base }\n"),
        ]);
        assert_eq!(root_of(&t), None);
        let t = tree(&[("manifests/init.pp", "# doc\nclass web (\n) {}\n")]);
        assert_eq!(root_of(&t).as_deref(), Some("web"));
        let t = tree(&[("manifests/site.pp", "node default {}\n")]);
        assert_eq!(root_of(&t), None);
        let t = tree(&[("metadata.json", "{}")]);
        assert_eq!(root_of(&t), None);
    }

    #[test]
    fn vendored_dirs() {
        let t = tree(&[
            ("modules/a/manifests/init.pp", ""),
            ("vendor/modules/web/manifests/init.pp", ""),
            ("site/profile/manifests/base.pp", ""),
            ("spec/fixtures/modules/x/manifests/init.pp", ""),
            ("modules/a/files/b/manifests/x.pp", ""),
            ("manifests/site.pp", ""),
        ]);
        assert_eq!(inferred_module_dirs(&t), vec!["site", "vendor/modules"]);
    }

    #[test]
    fn directories_exist() {
        let t = tree(&[
            ("modules/m/files/project/x/a", ""),
            ("modules/m/files/pa", ""),
        ]);
        assert!(exists(&t, "modules/m/files/project/x", true));
        assert!(exists(&t, "modules/m/files/project/x/", true));
        assert!(!exists(&t, "modules/m/files/project/x", false));
        assert!(!exists(&t, "modules/m/files/p", true));
        assert!(exists(&t, "modules/m/files/pa", false));
    }

    #[test]
    fn gitignore_subset() {
        let mut g = GitIgnore::default();
        g.add(
            "",
            "# secrets\nmodules/ssl/files/from-acme\n*.key\n/build/\n!keep.key\n",
        );
        g.add("modules/x", "files/secret-*\n");
        assert!(g.is_ignored("modules/ssl/files/from-acme/www.crt"));
        assert!(g.is_ignored("modules/ssl/files/from-acme"));
        assert!(!g.is_ignored("modules/ssl/files/servicecerts/www.crt"));
        assert!(g.is_ignored("modules/ssl/files/a/b.key"));
        assert!(g.is_ignored("build/x"));
        assert!(!g.is_ignored("src/build/x"));
        assert!(g.is_ignored("modules/x/files/secret-db"));
        assert!(!g.is_ignored("modules/y/files/secret-db"));
        let mut g = GitIgnore::default();
        g.add("", "modules/**/private\n");
        assert!(g.is_ignored("modules/a/files/private/k"));
        assert!(g.is_ignored("modules/private/k"));
    }
}
