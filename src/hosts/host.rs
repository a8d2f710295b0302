//! One host, as its snapshot describes it: what is at a path, where links lead on the
//! host, and whether a path is a usable binary.

use std::collections::HashMap;

pub use super::schema::{ContentKind, EntryType};

/// At most this many links are followed on one resolution (Linux's limit is 40).
const MAX_LINKS: usize = 40;

/// One recorded path, validated.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Entry {
    pub kind: EntryType,
    pub size: Option<u64>,
    pub mode: Option<u32>,
    pub owner: Option<String>,
    pub target: Option<String>,
    pub content: Option<ContentKind>,
    pub interpreter: Option<String>,
    pub sha256: Option<String>,
    pub package: Option<String>,
    pub exec_start: Vec<String>,
}

impl Entry {
    /// A regular file with an execute bit.
    pub fn is_executable_file(&self) -> bool {
        self.kind == EntryType::File && self.mode.is_some_and(|m| m & 0o111 != 0)
    }
}

/// What a snapshot says about a path.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum State<'a> {
    Present(&'a Entry),
    /// It does not exist on the host.
    Missing,
    /// The snapshot does not cover it.
    Unknown,
}

/// Where a path leads on the host, following links.
#[derive(Clone, Debug, PartialEq)]
pub struct Resolved<'a> {
    /// The path reached.
    pub path: String,
    pub state: State<'a>,
    /// The links followed on the way, in order.
    pub links: Vec<String>,
    /// More than [`MAX_LINKS`] links: a loop.
    pub cycle: bool,
}

/// What makes a path unusable as a service's binary on a host.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum BinaryProblem {
    Missing,
    /// A link (the first of `links`) whose chain ends at a path that does not exist.
    Dangling {
        link: String,
        end: String,
    },
    Empty,
    NotExecutable {
        mode: u32,
    },
    Directory,
    LinkLoop,
}

impl BinaryProblem {
    /// `is empty (0 bytes)`, for "… which {} on 2 of 12 hosts".
    pub fn describe(&self) -> String {
        match self {
            BinaryProblem::Missing => "is missing".into(),
            BinaryProblem::Dangling { end, .. } => {
                format!("is a link whose target {end} does not exist")
            }
            BinaryProblem::Empty => "is empty (0 bytes)".into(),
            BinaryProblem::NotExecutable { mode } => {
                format!("is not executable (mode {mode:04o})")
            }
            BinaryProblem::Directory => "is a directory".into(),
            BinaryProblem::LinkLoop => "is a loop of links".into(),
        }
    }
}

/// A host's snapshot, validated and indexed.
#[derive(Debug, Default)]
pub struct Snapshot {
    pub host: String,
    /// Seconds since the epoch.
    pub taken_at: i64,
    /// The snapshot file, as given (for messages).
    pub file: String,
    /// Seconds between `taken_at` and the start of the check.
    pub age: u64,
    pub entries: HashMap<String, Entry>,
    /// The walked directories and whether their listing is complete.
    pub dirs: Vec<(String, bool)>,
    /// SHA-256 -> paths of the executables with that content.
    pub by_hash: HashMap<String, Vec<String>>,
}

impl Snapshot {
    /// What is at `path` itself (links not followed).
    pub fn state(&self, path: &str) -> State<'_> {
        match self.entries.get(path) {
            Some(e) if e.kind == EntryType::Missing => State::Missing,
            Some(e) => State::Present(e),
            None if self.covered(path) => State::Missing,
            None => State::Unknown,
        }
    }

    /// Whether `path` lies under a completely listed directory.
    fn covered(&self, path: &str) -> bool {
        self.dirs.iter().any(|(d, complete)| {
            *complete
                && path
                    .strip_prefix(d.as_str())
                    .is_some_and(|rest| rest.starts_with('/') || d == "/")
        })
    }

    /// Where `path` leads, following the links of every component on the host.
    pub fn resolve(&self, path: &str) -> Resolved<'_> {
        let mut current = normalize(path);
        let mut links: Vec<String> = Vec::new();
        'restart: loop {
            if links.len() > MAX_LINKS {
                return Resolved {
                    path: current,
                    state: State::Unknown,
                    links,
                    cycle: true,
                };
            }
            let comps: Vec<&str> = current.split('/').filter(|c| !c.is_empty()).collect();
            let mut prefix = String::new();
            for (i, c) in comps.iter().enumerate() {
                prefix.push('/');
                prefix.push_str(c);
                let last = i + 1 == comps.len();
                match self.state(&prefix) {
                    State::Present(e) if e.kind == EntryType::Link => {
                        let Some(target) = e.target.as_deref() else {
                            break;
                        };
                        let base = parent(&prefix);
                        let mut next = if target.starts_with('/') {
                            target.to_string()
                        } else {
                            format!("{base}/{target}")
                        };
                        for rest in &comps[i + 1..] {
                            next.push('/');
                            next.push_str(rest);
                        }
                        links.push(prefix.clone());
                        current = normalize(&next);
                        continue 'restart;
                    }
                    State::Present(e) if !last && e.kind != EntryType::Dir => {
                        // A file used as a directory: nothing below it.
                        return Resolved {
                            path: current,
                            state: State::Missing,
                            links,
                            cycle: false,
                        };
                    }
                    State::Missing if !last => {
                        return Resolved {
                            path: current,
                            state: State::Missing,
                            links,
                            cycle: false,
                        };
                    }
                    _ => {}
                }
            }
            let state = self.state(&current);
            return Resolved {
                path: current,
                state,
                links,
                cycle: false,
            };
        }
    }

    /// Why `path` cannot run as a binary on this host, if it cannot; `None` when it can
    /// or when the snapshot does not say.
    pub fn binary_problem(&self, path: &str) -> Option<BinaryProblem> {
        let r = self.resolve(path);
        if r.cycle {
            return Some(BinaryProblem::LinkLoop);
        }
        match r.state {
            State::Unknown => None,
            State::Missing => Some(match r.links.first() {
                Some(link) => BinaryProblem::Dangling {
                    link: link.clone(),
                    end: r.path,
                },
                None => BinaryProblem::Missing,
            }),
            State::Present(e) => match e.kind {
                EntryType::Dir => Some(BinaryProblem::Directory),
                EntryType::File if e.size == Some(0) => Some(BinaryProblem::Empty),
                EntryType::File => match e.mode {
                    Some(m) if m & 0o111 == 0 => Some(BinaryProblem::NotExecutable { mode: m }),
                    _ => None,
                },
                _ => None,
            },
        }
    }

    /// Why `path` is no usable link target on this host: missing, a dangling link, or an
    /// empty file. `None` when it is usable or unknown.
    pub fn target_problem(&self, path: &str) -> Option<BinaryProblem> {
        match self.binary_problem(path)? {
            BinaryProblem::NotExecutable { .. } | BinaryProblem::Directory => None,
            p => Some(p),
        }
    }

    /// Other paths on the host holding an executable with the same content as `path`.
    pub fn copies_of(&self, path: &str) -> Vec<&str> {
        let Some(hash) = self.entries.get(path).and_then(|e| e.sha256.as_deref()) else {
            return Vec::new();
        };
        self.by_hash
            .get(hash)
            .map(|ps| {
                ps.iter()
                    .map(String::as_str)
                    .filter(|p| *p != path)
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// The directory part of an absolute path (`/` for a top-level name).
fn parent(path: &str) -> &str {
    match path.rfind('/') {
        Some(0) | None => "",
        Some(i) => &path[..i],
    }
}

/// `/a/./b/../c` -> `/a/c`; `..` above the root stays at the root.
pub fn normalize(path: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    for c in path.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                out.pop();
            }
            c => out.push(c),
        }
    }
    format!("/{}", out.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snap(entries: &[(&str, Entry)]) -> Snapshot {
        Snapshot {
            host: "h".into(),
            entries: entries
                .iter()
                .map(|(p, e)| (p.to_string(), e.clone()))
                .collect(),
            dirs: vec![("/usr/local/bin".into(), true), ("/opt".into(), false)],
            ..Snapshot::default()
        }
    }

    fn file(size: u64, mode: u32) -> Entry {
        Entry {
            kind: EntryType::File,
            size: Some(size),
            mode: Some(mode),
            ..Entry::default()
        }
    }

    fn link(to: &str) -> Entry {
        Entry {
            kind: EntryType::Link,
            target: Some(to.into()),
            ..Entry::default()
        }
    }

    #[test]
    fn binary_problems() {
        let s = snap(&[
            ("/usr/local/bin/empty", file(0, 0o755)),
            ("/usr/local/bin/ok", file(10, 0o755)),
            ("/usr/local/bin/plain", file(10, 0o644)),
            ("/usr/local/bin/rel", link("ok")),
            ("/usr/local/bin/dangling", link("../bin/gone")),
            ("/usr/local/bin/loop1", link("loop2")),
            ("/usr/local/bin/loop2", link("/usr/local/bin/loop1")),
            ("/usr/local/lib", link("/opt/lib")),
        ]);
        assert_eq!(s.binary_problem("/usr/local/bin/ok"), None);
        assert_eq!(s.binary_problem("/usr/local/bin/rel"), None);
        assert_eq!(
            s.binary_problem("/usr/local/bin/empty"),
            Some(BinaryProblem::Empty)
        );
        assert_eq!(
            s.binary_problem("/usr/local/bin/plain"),
            Some(BinaryProblem::NotExecutable { mode: 0o644 })
        );
        assert_eq!(
            s.binary_problem("/usr/local/bin/nothing"),
            Some(BinaryProblem::Missing)
        );
        assert_eq!(
            s.binary_problem("/usr/local/bin/dangling"),
            Some(BinaryProblem::Dangling {
                link: "/usr/local/bin/dangling".into(),
                end: "/usr/local/bin/gone".into()
            })
        );
        assert_eq!(
            s.binary_problem("/usr/local/bin/loop1"),
            Some(BinaryProblem::LinkLoop)
        );
        // Not covered: /opt is listed incompletely, /srv not at all.
        assert_eq!(s.binary_problem("/opt/x"), None);
        assert_eq!(s.binary_problem("/srv/x"), None);
        assert_eq!(s.binary_problem("/usr/local/lib/x"), None);
        // A file used as a directory.
        assert_eq!(
            s.binary_problem("/usr/local/bin/ok/x"),
            Some(BinaryProblem::Missing)
        );
    }

    #[test]
    fn normalizes() {
        assert_eq!(normalize("/a/./b/../c"), "/a/c");
        assert_eq!(normalize("/../x"), "/x");
        assert_eq!(normalize("/"), "/");
    }
}
