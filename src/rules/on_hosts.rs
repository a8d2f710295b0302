//! What the `host-*` rules share: the reverse of the change (what `git revert` would do,
//! also used by `unsafe-revert`), what Puppet will leave at a path whatever the hosts
//! hold, and the wording of "on 2 of 12 hosts".

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

use crate::hosts::Snapshot;
use crate::input::{Change, FileChange, FileStatus};
use crate::model::{file_state, Model, ModelChange, ResId, Value};

use super::{Context, Manifests};

/// The change `git revert` would make (head back to base), with its model change: a
/// [`Context`] whose base revision is this change's head.
pub(crate) struct Reverse {
    change: Change,
    diff: ModelChange,
    manifests: Manifests,
}

impl Reverse {
    pub fn new(cx: &Context<'_>) -> Reverse {
        let change = reversed(cx.change);
        let diff = cx.diff.reversed(cx.before, cx.after, &change);
        let manifests = Manifests {
            before: cx.manifests.after.clone(),
            after: cx.manifests.before.clone(),
        };
        Reverse {
            change,
            diff,
            manifests,
        }
    }

    /// The context of the reverse change; its `after` is `cx.before`.
    pub fn context<'a>(&'a self, cx: &Context<'a>) -> Context<'a> {
        Context {
            change: &self.change,
            manifests: &self.manifests,
            before: cx.after,
            after: cx.before,
            diff: &self.diff,
            failures: &[],
            config: cx.config,
            selection: cx.selection,
            hosts: cx.hosts,
        }
    }
}

/// `change` with its sides swapped.
fn reversed(change: &Change) -> Change {
    let files = change
        .files
        .iter()
        .map(|f| FileChange {
            status: match f.status {
                FileStatus::Added => FileStatus::Deleted,
                FileStatus::Deleted => FileStatus::Added,
                s => s,
            },
            old_path: f.new_path.clone(),
            new_path: f.old_path.clone(),
            old_kind: f.new_kind,
            new_kind: f.old_kind,
            binary: f.binary,
            similarity: f.similarity,
        })
        .collect();
    Change {
        before: change.after.clone(),
        after: change.before.clone(),
        files,
        notes: Vec::new(),
    }
}

/// A live `file` resource of `m` that deploys content at `path` (`content`, `source`, a
/// template): Puppet writes the file whatever the host holds, so the host's copy is not
/// what will run.
pub(crate) fn deployer(m: &Model, path: &str) -> Option<ResId> {
    m.index.managing(path).iter().copied().find(|&id| {
        let r = m.get(id);
        r.is_live() && r.ty == "file" && file_state(r).has_content()
    })
}

/// Whether what is at `path` after the run is the host's business: no live `file`
/// resource of `m` deploys content there, makes it a link, a directory or absent, or
/// manages it with an `ensure` the model cannot tell. (`ensure => file` without content
/// keeps what the host has.)
pub(crate) fn host_decides(m: &Model, path: &str) -> bool {
    use crate::model::{Content, FileState};
    !m.index.managing(path).iter().any(|&id| {
        let r = m.get(id);
        r.is_live()
            && r.ty == "file"
            && !matches!(
                file_state(r),
                FileState::Metadata
                    | FileState::Regular {
                        content: Content::Empty
                    }
            )
    })
}

/// The SHA-256 of what file resource `id` deploys, when the repository holds it and it
/// was read: a literal `content`, or a single `source` in the repository (files the
/// analysis read, at most [`crate::input::SNIFF_LIMIT`]; larger ones are not compared).
pub(crate) fn deployed_sha256(cx: &Context<'_>, m: &Model, id: ResId) -> Option<String> {
    let r = m.get(id);
    let bytes: Vec<u8> = if let Some(Value::Str(s)) = r.get("content") {
        s.as_bytes().to_vec()
    } else {
        let mut uses = m
            .index
            .file_uses
            .iter()
            .filter(|u| u.res == id && u.attr == "source" && !u.external);
        let u = uses.next()?;
        if uses.next().is_some() || u.file_ref.inferred {
            return None;
        }
        let tree = if std::ptr::eq(m, cx.after) {
            &cx.change.after.tree
        } else {
            &cx.change.before.tree
        };
        let blob = &tree.get(u.file_ref.resolved.as_deref()?)?.blob;
        if !blob.is_loaded() {
            return None;
        }
        blob.data()?.to_vec()
    };
    Some(
        Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect(),
    )
}

/// Hosts grouped by what a snapshot says: `(what, hosts)` in the order of `what`.
pub(crate) fn group<'h, K: Ord>(
    snapshots: &'h [Snapshot],
    mut judge: impl FnMut(&'h Snapshot) -> Option<K>,
) -> BTreeMap<K, Vec<&'h str>> {
    let mut out: BTreeMap<K, Vec<&str>> = BTreeMap::new();
    for s in snapshots {
        if let Some(k) = judge(s) {
            out.entry(k).or_default().push(&s.host);
        }
    }
    out
}

/// `is empty (0 bytes) on 1 of 3 hosts (a); is missing on 2 of 3 hosts (b, c)`.
pub(crate) fn describe_groups<K>(
    cx: &Context<'_>,
    groups: &BTreeMap<K, Vec<&str>>,
    describe: impl Fn(&K) -> String,
) -> String {
    groups
        .iter()
        .map(|(k, hosts)| format!("{} {}", describe(k), cx.hosts.on_hosts(hosts)))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Host snapshots made in memory, for the rules' tests.
/// The file resources this change touches, with their path and what the change does
/// there (the rules that judge a change by what a host holds at a path start here).
pub(crate) fn touched_files(cx: &Context<'_>) -> Vec<(ResId, String, super::services::Touch)> {
    let mut out = Vec::new();
    for id in super::common::touched(cx) {
        let r = cx.after.get(id);
        if r.ty != "file" {
            continue;
        }
        let Some(path) = super::common::file_path(r) else {
            continue;
        };
        if let Some(touch) = super::services::touch_at(cx, &path) {
            out.push((id, path, touch));
        }
    }
    out
}

#[cfg(test)]
pub(crate) mod testing {
    use crate::config::Config;
    use crate::diagnostic::Finding;
    use crate::hosts::{Entry, EntryType, Hosts, Snapshot};
    use crate::rules::testing::Case;
    use crate::rules::{lookup, Analysis, Selection};

    /// A regular file of `size` bytes with permission bits `mode`.
    pub fn file_entry(size: u64, mode: u32) -> Entry {
        Entry {
            kind: EntryType::File,
            size: Some(size),
            mode: Some(mode),
            ..Entry::default()
        }
    }

    /// A link to `target`.
    pub fn link_entry(target: &str) -> Entry {
        Entry {
            kind: EntryType::Link,
            target: Some(target.into()),
            ..Entry::default()
        }
    }

    /// One snapshot per `(host, entries)`, each listing `/usr/bin`, `/usr/sbin`,
    /// `/usr/local/bin` and `/opt` completely.
    pub fn hosts_with(hosts: &[(&str, &[(&str, Entry)])]) -> Hosts {
        let snapshots = hosts
            .iter()
            .map(|(name, entries)| {
                let mut s = Snapshot {
                    host: (*name).into(),
                    file: format!("{name}.json"),
                    dirs: ["/usr/bin", "/usr/sbin", "/usr/local/bin", "/opt"]
                        .iter()
                        .map(|d| ((*d).to_string(), true))
                        .collect(),
                    ..Snapshot::default()
                };
                for (p, e) in *entries {
                    // The directories on the way, as a walk records them.
                    let mut dir = *p;
                    while let Some(cut) = dir.rfind('/').filter(|&c| c > 0) {
                        dir = &dir[..cut];
                        s.entries.entry(dir.to_string()).or_insert_with(|| Entry {
                            kind: EntryType::Dir,
                            mode: Some(0o755),
                            ..Entry::default()
                        });
                    }
                    if let Some(h) = &e.sha256 {
                        s.by_hash.entry(h.clone()).or_default().push((*p).into());
                    }
                    s.entries.insert((*p).into(), e.clone());
                }
                s
            })
            .collect();
        Hosts {
            snapshots,
            max_age: crate::config::DEFAULT_SNAPSHOT_MAX_AGE,
        }
    }

    /// Hosts written as text, for PASS/FAIL tables: hosts separated by ` | `, each
    /// `name: path=kind; path=kind`, where kind is `empty` (0 bytes, 0755), `exe` (an
    /// executable), `exe:C` (with SHA-256 C×64), `plain` (mode 0644), `link:TARGET` or
    /// `pkg:NAME` (an executable a package owns).
    pub fn hosts_spec(spec: &str) -> Hosts {
        let parsed: Vec<(String, Vec<(String, Entry)>)> = spec
            .split(" | ")
            .map(|h| {
                let (name, rest) = h.split_once(':').unwrap_or((h, ""));
                let entries = rest
                    .split(';')
                    .map(str::trim)
                    .filter(|e| !e.is_empty())
                    .map(|e| {
                        let (path, kind) = e.split_once('=').expect("path=kind");
                        let entry = match kind.split_once(':') {
                            Some(("link", t)) => link_entry(t),
                            Some(("exe", c)) => {
                                let mut x = file_entry(100, 0o755);
                                x.sha256 = Some(c.repeat(64));
                                x
                            }
                            Some(("pkg", p)) => {
                                let mut x = file_entry(100, 0o755);
                                x.package = Some(p.into());
                                x
                            }
                            _ => match kind {
                                "empty" => file_entry(0, 0o755),
                                "plain" => file_entry(100, 0o644),
                                _ => file_entry(100, 0o755),
                            },
                        };
                        (path.to_string(), entry)
                    })
                    .collect();
                (name.trim().to_string(), entries)
            })
            .collect();
        let borrowed: Vec<(&str, Vec<(&str, Entry)>)> = parsed
            .iter()
            .map(|(n, es)| {
                (
                    n.as_str(),
                    es.iter().map(|(p, e)| (p.as_str(), e.clone())).collect(),
                )
            })
            .collect();
        let refs: Vec<(&str, &[(&str, Entry)])> =
            borrowed.iter().map(|(n, es)| (*n, es.as_slice())).collect();
        hosts_with(&refs)
    }

    /// Run one rule's check against `hosts`, with the default configuration.
    pub fn check_rule_on_hosts(name: &str, case: &Case, hosts: &Hosts) -> Vec<Finding> {
        let rule = lookup(name).expect("rule is registered");
        let check = rule.check.expect("rule is implemented");
        let change = case.change();
        let config = Config::default();
        let selection = Selection::default();
        let analysis = Analysis::build(&change, &config);
        let mut cx = analysis.context(&change, &config, &selection);
        cx.hosts = hosts;
        let mut out = Vec::new();
        check(&cx, &mut out);
        out
    }

    /// A rule's PASS and FAIL tables of (manifest, hosts written as [`hosts_spec`]): each
    /// PASS case gives no finding; each FAIL case gives exactly one, and none without the
    /// hosts (a host rule judges nothing the repository alone shows).
    pub fn assert_host_tables(name: &str, pass: &[(&str, &str)], fail: &[(&str, &str)]) {
        use crate::rules::testing::{after_only, check_rule};
        for (i, (src, hosts)) in pass.iter().enumerate() {
            let found = check_rule_on_hosts(name, &after_only(src), &hosts_spec(hosts));
            assert!(found.is_empty(), "{name} PASS[{i}]: {found:#?}");
        }
        for (i, (src, hosts)) in fail.iter().enumerate() {
            let found = check_rule_on_hosts(name, &after_only(src), &hosts_spec(hosts));
            assert_eq!(found.len(), 1, "{name} FAIL[{i}]: {found:#?}");
            assert!(
                check_rule(name, &after_only(src)).is_empty(),
                "{name} FAIL[{i}] without hosts"
            );
        }
    }
}
