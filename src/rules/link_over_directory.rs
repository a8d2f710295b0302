//! ## What it does
//!
//! Flags a `file` resource that the change makes a symbolic link (`ensure => link`, or a
//! `target` with no `ensure`) at a path that is a directory on the hosts:
//!
//! - the base revision managed it as `ensure => directory` (the change turns a directory
//!   into a link, in place or by replacing the declaration);
//! - another declaration of the head revision manages it as a directory, and the two can
//!   be compiled together (not in exclusive branches of one condition, nor under two
//!   conditions the tool cannot relate);
//! - the base revision manages files under it, so every host that applied the base has it
//!   as a directory;
//! - a declared package ships files under it (`package_paths`, or the package contents
//!   files of `--package-contents`);
//! - it is one of a few directories every Debian-like host has (`/etc`, `/usr`,
//!   `/usr/bin`, `/usr/lib`, `/usr/share`, `/usr/local` and its `bin`, `sbin`, `lib`,
//!   `/var`, `/var/lib`, `/var/log`, `/var/cache`, `/var/spool`, `/opt`, `/srv`, `/home`).
//!   `/bin`, `/sbin`, `/lib` and `/var/run` are left out: they are links already on
//!   merged-`/usr` systems.
//!
//! A path that was already a link in the base revision is not judged (re-pointing a link
//! replaces no directory), nor a path whose name merely looks like a directory, nor a
//! link inside a recursively managed directory.
//!
//! Without `force => true` the finding is an error. With `force => true` (its own or a
//! resource default's):
//!
//! - over a directory a declared package fills, a system directory, or a path another
//!   head declaration manages as a directory: still an error. Puppet deletes the tree,
//!   with the files the package installed; the package is broken until it is reinstalled
//!   and dpkg's record of its files no longer matches the disk;
//! - over a directory the base revision managed, turned into a link in place, or with
//!   managed files under it: a warning. Puppet deletes the tree and everything Puppet
//!   does not manage in it; the managed files come back through the link (they are
//!   ordered after it), the rest is gone. `force` on a resource that was a directory is
//!   often a leftover of its `purge` settings rather than a decision to delete the tree;
//! - a new link declaration with `force => true` replacing a directory declaration the
//!   change removes is not reported: both the removal and the `force` say the tree is
//!   meant to go. Nor is a directory with `recurse` and `purge` turned into a forced link
//!   in place: it held only what Puppet put there.
//!
//! An unknown `force` (a parameter the tool cannot evaluate) keeps the rule silent.
//!
//! ## Why is this bad?
//!
//! Puppet never replaces a directory with a link on its own: without `force => true` the
//! resource fails on every run ("Could not remove existing file"), and every resource
//! that requires it, or is contained in the same class after it, is skipped. With
//! `force => true` it deletes the directory and everything in it, which nothing backs up,
//! and a package whose files were there breaks (its next upgrade or removal fails on
//! missing files, or reinstalls them under the link's target).
//!
//! ## Example
//!
//! ```puppet
//! package { 'nginx': ensure => installed }      # ships /etc/nginx/nginx.conf
//! file { '/etc/nginx':
//!   ensure => link,
//!   target => '/srv/config/nginx',
//! }
//! ```
//!
//! ## Use instead
//!
//! Manage what goes into the directory, or point the software at the other place:
//!
//! ```puppet
//! file { '/etc/nginx/sites-enabled/app':
//!   ensure => link,
//!   target => '/srv/config/nginx/app',
//! }
//! ```
//!
//! ## Exceptions
//!
//! A one-off migration that moves a directory the package does not own to another disk,
//! with `force => true` on purpose, after its content was copied: suppress with that
//! reason, and remove the suppression with the migration.
//!
//! ## References
//!
//! - Puppet `file` type: `ensure => link` and `force` ("Could not remove existing file"
//!   without it; with it, the whole tree is removed).
//! - dpkg keeps a list of the files each package installed (`/var/lib/dpkg/info/*.list`).

use crate::diagnostic::{Finding, Location, Severity, Side};
use crate::model::{file_state, FileState, GuardStep, ResId, Value};

use super::common::{
    at_first_attr, ensure_of, package_removed, related, touched_links, was_link, Ensure,
};
use super::duplicate_declaration::declared_together;
use super::registry::{Kind, Rule};
use super::{finding, Context};

pub const NAME: &str = "link-over-directory";

/// This rule's row of the registry (`registry.rs` lists the rows in order).
pub(crate) static RULE: Rule = Rule {
    name: NAME,
    default_severity: Severity::Error,
    summary: "a symlink placed at a path that is a directory on the hosts (managed as one, with managed files or a package's files under it)",
    kind: Kind::Check,
    check: Some(check),
    source: include_str!("link_over_directory.rs"),
};

/// Directories every Debian-like host has, which no link should replace. Not `/bin`,
/// `/sbin`, `/lib` or `/var/run`: on merged-`/usr` systems they are links already.
pub(crate) const SYSTEM_DIRS: &[&str] = &[
    "/etc",
    "/home",
    "/opt",
    "/srv",
    "/usr",
    "/usr/bin",
    "/usr/lib",
    "/usr/local",
    "/usr/local/bin",
    "/usr/local/lib",
    "/usr/local/sbin",
    "/usr/sbin",
    "/usr/share",
    "/var",
    "/var/cache",
    "/var/lib",
    "/var/log",
    "/var/spool",
];

/// A link the change lays over a path that is a directory on the hosts.
pub(crate) struct LinkOverDirectory {
    /// The head-revision `file` resource that makes the link.
    pub link: ResId,
    pub path: String,
    /// Whether the link has `force => true`.
    pub force: bool,
    /// Why the path is a directory; never empty.
    pub evidence: Vec<DirEvidence>,
    /// Its `ensure` or `target`.
    pub location: Location,
}

/// One reason to think a link's path is a directory on the hosts.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum DirEvidence {
    /// The base-revision resource managing the path as a directory; `in_place` when it
    /// is the link's own resource (the change flipped its `ensure`).
    WasDirectory { base: ResId, in_place: bool },
    /// Another head-revision declaration of the path as a directory, compiled together.
    AlsoDirectory(ResId),
    /// Base-revision files under the path: the first, and how many paths in all.
    ManagedUnder { base: ResId, count: usize },
    /// A declared package ships files under the path (`example` is one of them).
    PackageUnder {
        name: String,
        package: ResId,
        example: String,
    },
    /// A directory every host has.
    SystemDir,
}

impl DirEvidence {
    /// Whether `force => true` replacing the directory still deletes something nobody
    /// meant to delete (a package's files, a system directory) or cannot compile.
    fn grave_with_force(&self) -> bool {
        matches!(
            self,
            DirEvidence::AlsoDirectory(_)
                | DirEvidence::PackageUnder { .. }
                | DirEvidence::SystemDir
        )
    }
}

impl LinkOverDirectory {
    /// The finding's severity: an error without `force` or when the forced deletion
    /// takes a package's files or a system directory; else a warning.
    pub fn severity(&self, rule: &Rule) -> Severity {
        if !self.force || self.evidence.iter().any(DirEvidence::grave_with_force) {
            rule.default_severity
        } else {
            Severity::Warning
        }
    }
}

pub fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    let rule = &RULE;
    for h in detect(cx) {
        out.push(render(cx, rule, &h));
    }
}

/// A boolean parameter of a resource (`force`, `purge`): `Some(true/false)` when known
/// (unset is `false`), `None` for a value the tool cannot evaluate.
fn bool_param(v: Option<&Value>) -> Option<bool> {
    match v {
        None | Some(Value::Undef) => Some(false),
        Some(Value::Bool(b)) => Some(*b),
        Some(Value::Str(s)) => match s.as_str() {
            "true" | "yes" => Some(true),
            "false" | "no" => Some(false),
            _ => None,
        },
        Some(_) => None,
    }
}

/// Whether two head-revision declarations can be compiled together, as
/// `duplicate-declaration` judges it: not in exclusive branches of one condition, one's
/// conditions include the other's (two declarations under two different conditions the
/// tool cannot evaluate are often exclusive through facts), and some scope declares both
/// (two alternative classes nothing includes together never meet).
fn compiled_together(cx: &Context<'_>, a: ResId, b: ResId) -> bool {
    let m = cx.after;
    if m.exclusive(a, b) {
        return false;
    }
    let (ga, gb): (&[GuardStep], &[GuardStep]) = (&m.get(a).guard, &m.get(b).guard);
    (ga.iter().all(|g| gb.contains(g)) || gb.iter().all(|g| ga.contains(g)))
        && declared_together(cx, a, b)
}

/// Why the path of link `id` (head revision, normalised `path`) is a directory on the
/// hosts, whatever its `force`; `None` when a directory declaration of the head revision
/// may or may not be compiled with the link (the other branch of a condition), which
/// settles nothing. Empty when nothing says so.
pub(crate) fn directory_evidence(
    cx: &Context<'_>,
    id: ResId,
    path: &str,
) -> Option<Vec<DirEvidence>> {
    let mut evidence = Vec::new();
    let mut head_dir = false;
    for &o in cx.after.index.managing(path) {
        if o == id || file_state(cx.after.get(o)) != FileState::Directory {
            continue;
        }
        head_dir = true;
        if !compiled_together(cx, id, o) {
            return None;
        }
        evidence.push(DirEvidence::AlsoDirectory(o));
    }
    if !head_dir {
        let own_base = cx.diff.matched.get(&id).copied();
        for &o in cx.before.index.managing(path) {
            if file_state(cx.before.get(o)) == FileState::Directory {
                evidence.push(DirEvidence::WasDirectory {
                    base: o,
                    in_place: own_base == Some(o),
                });
                break;
            }
        }
    }
    // Files managed under the path in the base revision: it is a directory wherever the
    // base was applied (Puppet creates no parent directories).
    let mut under = cx.before.index.managed_under(path).filter(|(_, ids)| {
        ids.iter().any(|&o| {
            !matches!(
                ensure_of(cx.before.get(o)),
                Ensure::Absent | Ensure::Unknown
            )
        })
    });
    if let Some((_, ids)) = under.next() {
        evidence.push(DirEvidence::ManagedUnder {
            base: ids[0],
            count: 1 + under.count(),
        });
    }
    for (pkg, example) in cx.after.facts.shipped_under(path) {
        let declared = cx.after.index.packages.get(pkg).and_then(|ids| {
            ids.iter().copied().find(|&p| {
                let r = cx.after.get(p);
                r.is_live() && !package_removed(r) && !cx.after.exclusive(id, p)
            })
        });
        if let Some(package) = declared {
            evidence.push(DirEvidence::PackageUnder {
                name: pkg.to_owned(),
                package,
                example: example.to_owned(),
            });
        }
    }
    if SYSTEM_DIRS.contains(&path) {
        evidence.push(DirEvidence::SystemDir);
    }
    Some(evidence)
}

pub(crate) fn detect(cx: &Context<'_>) -> Vec<LinkOverDirectory> {
    let mut out = Vec::new();
    for (id, path) in touched_links(cx) {
        // Already a link in the base revision: re-pointing it replaces no directory.
        if was_link(cx, &path) {
            continue;
        }
        let Some(force) = bool_param(cx.after.get(id).get("force")) else {
            continue;
        };
        let Some(mut evidence) = directory_evidence(cx, id, &path) else {
            continue;
        };
        if force {
            // A directory declaration the change removes, replaced by a new, forced
            // link: the tree is meant to go, and with it what was managed in it.
            let replaced = evidence.iter().any(|e| {
                matches!(
                    e,
                    DirEvidence::WasDirectory {
                        in_place: false,
                        ..
                    }
                )
            });
            // Turned in place from a directory that purged everything Puppet did not
            // put there (`recurse` and `purge`): the tree held nothing else to lose.
            let purged = evidence.iter().any(|e| match e {
                DirEvidence::WasDirectory {
                    base,
                    in_place: true,
                } => {
                    let b = cx.before.get(*base);
                    [b.get("recurse"), b.get("purge")]
                        .iter()
                        .all(|v| bool_param(*v) == Some(true))
                }
                _ => false,
            });
            if replaced || purged {
                evidence.retain(|e| {
                    !matches!(
                        e,
                        DirEvidence::WasDirectory { .. } | DirEvidence::ManagedUnder { .. }
                    )
                });
            }
        }
        if evidence.is_empty() {
            continue;
        }
        out.push(LinkOverDirectory {
            link: id,
            location: at_first_attr(cx.after, Side::After, id, &["ensure", "target"]),
            path,
            force,
            evidence,
        });
    }
    out
}

pub(crate) fn render(cx: &Context<'_>, rule: &'static Rule, h: &LinkOverDirectory) -> Finding {
    let res = cx.after.get(h.link);
    let mut reasons: Vec<String> = Vec::new();
    let mut rel = Vec::new();
    let mut packages: Vec<&str> = Vec::new();
    for e in &h.evidence {
        match e {
            DirEvidence::WasDirectory { base, in_place } => {
                reasons.push(if *in_place {
                    "it was `ensure => directory` in the base revision".to_owned()
                } else {
                    format!(
                        "{} managed it as a directory in the base revision",
                        cx.before.get(*base).display_ref()
                    )
                });
                rel.push(related(
                    cx.before,
                    Side::Before,
                    *base,
                    "the directory it replaces".into(),
                ));
            }
            DirEvidence::AlsoDirectory(o) => {
                reasons.push(format!(
                    "{} manages it as a directory",
                    cx.after.get(*o).display_ref()
                ));
                rel.push(related(
                    cx.after,
                    Side::After,
                    *o,
                    "declared as a directory here".into(),
                ));
            }
            DirEvidence::ManagedUnder { base, count } => {
                let more = match count - 1 {
                    0 => String::new(),
                    1 => " and 1 other path".to_owned(),
                    n => format!(" and {n} other paths"),
                };
                reasons.push(format!(
                    "the base revision manages {}{more} under it",
                    cx.before.get(*base).display_ref()
                ));
                rel.push(related(
                    cx.before,
                    Side::Before,
                    *base,
                    "managed inside the directory".into(),
                ));
            }
            DirEvidence::PackageUnder {
                name,
                package,
                example,
            } => {
                reasons.push(format!(
                    "package `{name}` ships files under it ({example}, by {})",
                    cx.after.facts.shipped_basis(example, name)
                ));
                packages.push(name);
                rel.push(related(
                    cx.after,
                    Side::After,
                    *package,
                    format!("`{name}` is installed here"),
                ));
            }
            DirEvidence::SystemDir => {
                reasons.push(format!("{} is a directory on every host", h.path));
            }
        }
    }
    let effect = if h.force {
        let pkgs = match packages.as_slice() {
            [] => String::new(),
            [p] => format!(", with the files package `{p}` installed there"),
            ps => format!(
                ", with the files packages {} installed there",
                ps.iter()
                    .map(|p| format!("`{p}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        format!(
            "`force => true` makes Puppet delete the directory and everything in it{pkgs}, \
             with no backup"
        )
    } else {
        "Puppet refuses to replace the directory without `force => true`: the resource \
         fails on every run and everything that requires it is skipped"
            .to_owned()
    };
    let mut f = finding(
        rule,
        h.location.clone(),
        format!(
            "{} becomes a symlink over a directory ({}): {effect}",
            res.display_ref(),
            reasons.join("; ")
        ),
    );
    f.severity = h.severity(rule);
    f.help = Some(if h.force {
        "manage the files inside the directory instead of replacing it, or move the \
         directory's content and owner (the package) first and keep `force` for that \
         one migration"
            .into()
    } else {
        "manage the files inside the directory instead (a link per file), or point the \
         software at the other location; replacing the directory needs `force => true`, \
         which deletes everything in it"
            .into()
    });
    f.related = rel;
    f.resource = Some(res.into());
    f
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::rules::testing::*;
    use crate::rules::Selection;

    /// Head-revision snippets (everything new): only head evidence counts.
    const PASS: &[&str] = &[
        // A link whose name looks like a directory.
        "class demo { file { '/opt/app/current': ensure => link, target => '/opt/app/releases/2' } }",
        "class demo { file { '/etc/foo.d': ensure => link, target => '/srv/foo.d' } }",
        // Inside a system directory, not over it.
        "class demo { file { '/etc/localtime': ensure => link, target => '/usr/share/zoneinfo/UTC' } }",
        "class demo { file { '/var/lib/mysql': ensure => link, target => '/srv/mysql' } }",
        // /bin and /var/run are links already on current systems.
        "class demo { file { '/var/run': ensure => link, target => '/run' } }",
        // The directory declaration is in the other branch of the same condition.
        "class demo($x) {\n  if $x { file { '/srv/data': ensure => directory } }\n  else { file { '/srv/data': ensure => link, target => '/mnt/data' } }\n}",
        // Two classes nothing includes together.
        "class demo::a { file { '/srv/data': ensure => directory } }\nclass demo::b { file { '/srv/data/': ensure => link, target => '/mnt/data' } }",
        // Two different conditions the tool cannot relate.
        "class demo($x, $y) {\n  if $x { file { '/srv/data': ensure => directory } }\n  if $y { file { '/srv/data/': ensure => link, target => '/mnt/data' } }\n}",
        // Absent, and a link inside a recursively managed directory.
        "class demo { file { '/etc': ensure => absent } }",
        "class demo {\n  file { '/srv/app': ensure => directory, recurse => true, source => 'puppet:///modules/demo/app' }\n  file { '/srv/app/current': ensure => link, target => '/srv/app/releases/3' }\n}",
        // New files under a new link: written through it.
        "class demo {\n  file { '/srv/www': ensure => link, target => '/data/www' }\n  file { '/srv/www/index.html': content => 'hi' }\n}",
        // An unknown force.
        "class demo($f) { file { '/etc': ensure => link, target => '/srv/etc', force => $f } }",
    ];

    const FAIL: &[(&str, &[u32])] = &[
        // A system directory.
        (
            "class demo {\n  file { '/usr/local/bin':\n    ensure => link,\n    target => '/opt/bin',\n  }\n}\n",
            &[3],
        ),
        // Declared as a directory elsewhere, compiled together (also a duplicate
        // declaration).
        (
            "class demo {\n  file { '/srv/data': ensure => directory }\n  file { '/srv/data/': ensure => link, target => '/mnt/data' }\n}\n",
            &[3],
        ),
        // A target with no ensure makes a link.
        ("class demo {\n  file { '/var/lib': target => '/srv/lib' }\n}\n", &[2]),
    ];

    snippet_tests!(after_only);

    fn severities(case: &Case) -> Vec<Severity> {
        check_rule(NAME, case).iter().map(|f| f.severity).collect()
    }

    #[test]
    fn a_directory_turned_into_a_link() {
        let before =
            "class demo {\n  file { '/srv/data': ensure => directory, owner => 'app' }\n}\n";
        let after = "class demo {\n  file { '/srv/data': ensure => link, target => '/mnt/data', owner => 'app' }\n}\n";
        let found = check_rule(NAME, &edit(before, after));
        assert_eq!(found.len(), 1, "{found:#?}");
        assert_eq!(found[0].severity, Severity::Error);
        assert_eq!(
            found[0].message,
            "File['/srv/data'] becomes a symlink over a directory (it was `ensure => \
             directory` in the base revision): Puppet refuses to replace the directory \
             without `force => true`: the resource fails on every run and everything that \
             requires it is skipped"
        );
        assert_eq!(found[0].related[0].location.side, Side::Before);
        // In place with force: the tree and what Puppet does not manage in it go.
        let forced = after.replace("owner =>", "force => true, owner =>");
        assert_eq!(severities(&edit(before, &forced)), vec![Severity::Warning]);
        // A directory that purged everything Puppet did not put there: nothing to lose.
        let purging = before.replace("owner =>", "recurse => true, purge => true, owner =>");
        assert!(check_rule(NAME, &edit(&purging, &forced)).is_empty());
        assert_eq!(severities(&edit(&purging, after)), vec![Severity::Error]);
        // A `File` default's force counts as the resource's own.
        let by_default =
            after.replace("class demo {\n", "class demo {\n  File { force => true }\n");
        assert_eq!(
            severities(&edit(before, &by_default)),
            vec![Severity::Warning]
        );
    }

    #[test]
    fn a_directory_declaration_replaced_by_a_forced_link() {
        let before = "class demo {\n  file { 'data': path => '/srv/data', ensure => directory }\n  file { '/srv/data/x': content => 'x' }\n}\n";
        let after = "class demo {\n  file { '/srv/data': ensure => link, target => '/mnt/data', force => true }\n}\n";
        assert!(check_rule(NAME, &edit(before, after)).is_empty());
        // Without force: refused.
        let unforced = after.replace(", force => true", "");
        assert_eq!(severities(&edit(before, &unforced)), vec![Severity::Error]);
    }

    #[test]
    fn files_managed_under_it_in_the_base_revision() {
        let before = "class demo {\n  file { '/etc/app/app.conf': content => 'a' }\n  file { '/etc/app/other.conf': content => 'b' }\n  file { '/etc/app/gone': ensure => absent }\n}\n";
        let after = "class demo {\n  file { '/etc/app': ensure => link, target => '/srv/app/etc' }\n  file { '/etc/app/app.conf': content => 'a' }\n  file { '/etc/app/other.conf': content => 'b' }\n}\n";
        let found = check_rule(NAME, &edit(before, after));
        assert_eq!(found.len(), 1, "{found:#?}");
        assert!(
            found[0].message.contains(
                "the base revision manages File['/etc/app/app.conf'] and 1 other path under it"
            ),
            "{}",
            found[0].message
        );
        let forced = after.replace("'/srv/app/etc' }", "'/srv/app/etc', force => true }");
        assert_eq!(severities(&edit(before, &forced)), vec![Severity::Warning]);
        // Re-pointing a link that was there: no directory to replace.
        let was_link = after.replace("'/srv/app/etc'", "'/srv/old/etc'");
        assert!(check_rule(NAME, &edit(&was_link, after)).is_empty());
    }

    #[test]
    fn a_directory_a_declared_package_fills() {
        let src = "class demo {\n  package { 'nginx': ensure => installed }\n  file { '/etc/nginx': ensure => link, target => '/srv/nginx' }\n}\n";
        let mut config = Config::default();
        config.package_paths.insert(
            "nginx".into(),
            vec!["/etc/nginx/nginx.conf".into(), "/usr/sbin/nginx".into()],
        );
        let run = |src: &str| -> Vec<crate::diagnostic::Finding> {
            run_case(&after_only(src), &config, &Selection::default())
                .into_iter()
                .filter(|f| f.rule == NAME)
                .collect()
        };
        let found = run(src);
        assert_eq!(found.len(), 1, "{found:#?}");
        assert!(found[0].message.contains(
            "package `nginx` ships files under it (/etc/nginx/nginx.conf, by package_paths in the configuration)"
        ));
        assert_eq!(found[0].severity, Severity::Error);
        // With force: the package's files are deleted; still an error.
        let forced = src.replace("'/srv/nginx' }", "'/srv/nginx', force => true }");
        let found = run(&forced);
        assert_eq!(found[0].severity, Severity::Error);
        assert!(found[0]
            .message
            .contains("with the files package `nginx` installed there"));
        // The package removed, or in the other branch: nothing says it is there.
        assert!(run(&src.replace("installed", "absent")).is_empty());
        let branches = "class demo($pkg) {\n  if $pkg { package { 'nginx': ensure => installed } }\n  else { file { '/etc/nginx': ensure => link, target => '/srv/nginx' } }\n}\n";
        assert!(run(branches).is_empty());
        // link-over-binary does not report the same link as a package's binary.
        config
            .package_paths
            .get_mut("nginx")
            .unwrap()
            .push("/etc/nginx".into());
        let all = run_case(&after_only(src), &config, &Selection::default());
        let rules: Vec<&str> = all.iter().map(|f| f.rule).collect();
        assert_eq!(rules, vec![NAME], "{all:#?}");
    }

    #[test]
    fn a_forced_link_over_a_system_directory_is_an_error() {
        let src = "class demo {\n  file { '/opt': ensure => link, target => '/srv/opt', force => true }\n}\n";
        assert_eq!(severities(&after_only(src)), vec![Severity::Error]);
    }
}
