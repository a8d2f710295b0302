//! ## What it does
//!
//! Flags a `file` resource that the change makes a symbolic link (`ensure => link`, or a
//! `target` with no `ensure`) at a path that holds, or is expected to hold, a real
//! executable: a path that
//!
//! - is managed elsewhere in the repository as a regular file (`ensure => file`,
//!   `content`, `source`), in a declaration that can be compiled with the link;
//! - was a managed regular file in the base revision;
//! - is the binary a `service` ran in the base revision (its `binary`/`start`, the
//!   `ExecStart=` of a unit file the repository manages, or `service_binaries` in the
//!   configuration);
//! - is shipped by a package the repository declares, according to `package_paths` or
//!   the package contents files (`--package-contents`, `package_contents`);
//! - or, when nothing above says so, lies in a package-managed system directory
//!   (`/usr/bin`, `/usr/sbin`, `/bin`, `/sbin`).
//!
//! The message gives the evidence. A finding has the rule's severity (its default, or
//! the configured one), except that the directory alone makes it at most a warning unless
//! the other branch of a condition installs packages or a service or exec runs the path
//! (a vendor tool exposed in `/usr/bin` that nothing runs there). A path that was already a link in the base revision is not
//! reported (re-pointing a link clobbers no binary).
//!
//! ## Why is this bad?
//!
//! With the default `links => manage`, Puppet deletes whatever regular file is at the
//! path and puts the link in its place. From Puppet 7 the default `backup` is `false`, so
//! the binary is simply gone; before 7 it went to the local clientbucket. If a package
//! ships the path, the next package upgrade makes dpkg replace the link with its file
//! again, Puppet puts the link back on the following run, and every flip is a change
//! event that restarts the subscribed services. A conditional such as
//! `if $use_package { package } else { link }` hides the conflict until the flag flips
//! on some host.
//!
//! ## Example
//!
//! ```puppet
//! package { 'kubernetes-master': ensure => present }   # ships /usr/bin/kube-apiserver
//! file { '/usr/bin/kube-apiserver':
//!   ensure => link,
//!   target => '/usr/local/bin/kube-apiserver',
//! }
//! ```
//!
//! ## Use instead
//!
//! Let exactly one thing own the path. Either install the package and drop the link, or
//! put the locally built binary where the service expects it and manage it as a file:
//!
//! ```puppet
//! file { '/usr/local/bin/kube-apiserver':
//!   ensure => file,
//!   source => 'puppet:///modules/k8s/kube-apiserver',
//!   mode   => '0755',
//! }
//! ```
//!
//! A link in `/usr/local/bin` pointing at a binary the repository manages (for example
//! `/opt/tool/bin/tool`) is the normal way to expose a tool and is not flagged.
//!
//! ## Exceptions
//!
//! A deliberate conversion is not reported: when the link leads to a regular file the
//! repository manages with content (the binary moved there), the base-revision file and
//! service evidence do not count. `dpkg-divert` or `update-alternatives` setups built to
//! coexist with a package, where the link is the intended owner of the path, are worth
//! a suppression with the reason.
//!
//! ## References
//!
//! - Puppet `file` type: `ensure`, `links`, `backup` (PUP-9407: `backup` defaults to
//!   `false` from Puppet 7).
//! - dpkg replaces a symlink with the regular file it ships.
//! - The Toolforge Kubernetes outage of December 2016 started with such links.

use crate::diagnostic::{Finding, Location, Severity, Side};
use crate::model::ResId;

use super::common::{
    at_first_attr, is_file_like, is_regular_file, link_target, related, touched_links, was_link,
};
use super::hazard::Voice;
use super::link_over_directory::directory_evidence;
use super::registry::{Kind, Rule};
use super::{finding, Context};

pub const NAME: &str = "link-over-binary";

/// This rule's row of the registry (`registry.rs` lists the rows in order).
pub(crate) static RULE: Rule = Rule {
    name: NAME,
    default_severity: Severity::Error,
    summary: "a symlink placed at an executable path, a path another resource manages as a file, or a path a declared package ships",
    kind: Kind::Check,
    check: Some(check),
    source: include_str!("link_over_binary.rs"),
};

/// Directories whose files belong to packages.
const SYSTEM_DIRS: [&str; 4] = ["/usr/bin", "/usr/sbin", "/bin", "/sbin"];

/// A link the change lays over a path that holds, or is expected to hold, an executable.
pub(crate) struct LinkOverBinary {
    /// The head-revision `file` resource that makes the link.
    pub link: ResId,
    pub path: String,
    /// Why the path holds an executable, in the order the message gives them; never empty.
    pub evidence: Vec<Evidence>,
    /// Its `ensure` or `target`.
    pub location: Location,
}

/// One reason to think a link's path holds an executable.
pub(crate) enum Evidence {
    /// Another head-revision declaration of the path as a regular file, compiled together.
    AlsoRegularFile(ResId),
    /// Head-revision package `name`, which `package_paths` says ships the path.
    PackageShips { name: String, package: ResId },
    /// A base-revision `file` that managed the path as a regular file.
    WasRegularFile(ResId),
    /// A base-revision service that ran the path.
    ServiceRan(ResId),
    /// Only the directory: a package-managed system directory, with the head-revision
    /// packages declared in the other branch of a condition from the link.
    PackageDir {
        dir: String,
        exclusive_packages: Vec<(String, ResId)>,
    },
}

impl LinkOverBinary {
    /// Whether something other than the directory says an executable is there.
    pub fn has_direct_evidence(&self) -> bool {
        self.evidence
            .iter()
            .any(|e| !matches!(e, Evidence::PackageDir { .. }))
    }

    /// Whether the directory alone is reason enough for an error: the other branch of a
    /// condition installs packages (the `if $use_package { package } else { link }`
    /// pattern), or a service or exec runs the link's path, so what really lies there
    /// decides what runs. A new link in `/usr/bin` to a vendor tool that nothing runs by
    /// that path is a warning: nothing says a package ships the path.
    fn directory_is_enough(&self, cx: &Context<'_>) -> bool {
        self.evidence.iter().any(|e| {
            matches!(e, Evidence::PackageDir { exclusive_packages, .. } if !exclusive_packages.is_empty())
        }) || !cx.after.facts.services_running(&self.path).is_empty()
            || !cx.after.facts.execs_running(&self.path).is_empty()
    }
}

pub fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    let rule = &RULE;
    for h in detect(cx) {
        out.push(render(cx, rule, &h, Voice::Change));
    }
}

pub(crate) fn detect(cx: &Context<'_>) -> Vec<LinkOverBinary> {
    let mut out = Vec::new();
    for (id, path) in touched_links(cx) {
        // Already a link in the base revision: there is no binary left to clobber.
        if was_link(cx, &path) {
            continue;
        }
        // A deliberate conversion keeps the binary: the link leads to a managed file.
        let keeps_binary = link_target(cx.after, id).is_some_and(|t| {
            let chain = cx.after.facts.resolve(&t);
            !chain.cycle
                && cx
                    .after
                    .index
                    .managing(chain.last())
                    .iter()
                    .any(|&x| is_regular_file(cx.after.get(x)))
        });
        let mut evidence: Vec<Evidence> = Vec::new();
        // Another declaration of the same path as a regular file, compiled together.
        for &o in cx.after.index.managing(&path) {
            let other = cx.after.get(o);
            if o != id && other.is_live() && is_file_like(other) && !cx.after.exclusive(id, o) {
                evidence.push(Evidence::AlsoRegularFile(o));
            }
        }
        // A path that is a directory on the hosts is `link-over-directory`'s: a package
        // listed as shipping it, or the directory it lies in, says nothing of a binary.
        let directory = directory_evidence(cx, id, &path).is_some_and(|e| !e.is_empty());
        // A declared package ships the path (package_paths, package contents).
        for pkg in cx.after.facts.shipped_by(&path) {
            if directory {
                break;
            }
            if let Some(&p) = cx.after.index.packages.get(pkg).and_then(|v| v.first()) {
                evidence.push(Evidence::PackageShips {
                    name: pkg.clone(),
                    package: p,
                });
            }
        }
        if !keeps_binary {
            for &o in cx.before.index.managing(&path) {
                let old = cx.before.get(o);
                if old.is_live() && is_file_like(old) {
                    evidence.push(Evidence::WasRegularFile(o));
                    break;
                }
            }
            if let Some(&s) = cx.before.facts.services_running(&path).first() {
                evidence.push(Evidence::ServiceRan(s));
            }
        }
        let dir = path.rsplit_once('/').map_or("", |(d, _)| d);
        if evidence.is_empty() {
            if directory || !SYSTEM_DIRS.contains(&dir) {
                continue;
            }
            // A package in the other branch of the same condition is the usual flip.
            let mut exclusive_packages = Vec::new();
            for (name, ids) in &cx.after.index.packages {
                for &p in ids {
                    if cx.after.exclusive(id, p) {
                        exclusive_packages.push((name.clone(), p));
                    }
                }
            }
            evidence.push(Evidence::PackageDir {
                dir: dir.to_owned(),
                exclusive_packages,
            });
        }
        out.push(LinkOverBinary {
            link: id,
            location: at_first_attr(cx.after, Side::After, id, &["ensure", "target"]),
            path,
            evidence,
        });
    }
    out
}

/// The finding for `h`, at the rule's configured severity whatever the evidence.
pub(crate) fn render(
    cx: &Context<'_>,
    rule: &'static Rule,
    h: &LinkOverBinary,
    voice: Voice,
) -> Finding {
    let res = cx.after.get(h.link);
    let mut reasons: Vec<String> = Vec::new();
    let mut rel = Vec::new();
    for e in &h.evidence {
        match e {
            Evidence::AlsoRegularFile(o) => {
                reasons.push(format!(
                    "{} also manages it as a regular file",
                    cx.after.get(*o).display_ref()
                ));
                rel.push(related(
                    cx.after,
                    Side::After,
                    *o,
                    "declared as a regular file here".into(),
                ));
            }
            Evidence::PackageShips { name, package } => {
                reasons.push(format!(
                    "package `{name}` ships it ({})",
                    cx.after.facts.shipped_basis(&h.path, name)
                ));
                rel.push(related(
                    cx.after,
                    Side::After,
                    *package,
                    format!("`{name}` is installed here"),
                ));
            }
            Evidence::WasRegularFile(o) => {
                reasons.push(format!("it was a managed regular file {}", voice.before()));
                rel.push(related(
                    cx.before,
                    Side::Before,
                    *o,
                    "the regular file it replaces".into(),
                ));
            }
            Evidence::ServiceRan(s) => {
                reasons.push(format!(
                    "{} ran it {}",
                    cx.before.get(*s).display_ref(),
                    voice.before()
                ));
                rel.push(related(
                    cx.before,
                    Side::Before,
                    *s,
                    "the service that ran it".into(),
                ));
            }
            Evidence::PackageDir {
                dir,
                exclusive_packages,
            } => {
                reasons.push(format!("{dir} holds files that packages install"));
                for (name, p) in exclusive_packages {
                    rel.push(related(
                        cx.after,
                        Side::After,
                        *p,
                        format!(
                            "the other branch installs package `{name}`; if it ships {}, each \
                             flip of the condition clobbers one with the other",
                            h.path
                        ),
                    ));
                }
            }
        }
    }
    let mut f = finding(
        rule,
        h.location.clone(),
        format!(
            "{} becomes a symlink over an executable path: {}",
            res.display_ref(),
            reasons.join("; ")
        ),
    );
    f.help = Some(
        "let one thing own the path: install the binary where the service expects it and \
         manage it as a file, or use the package and drop the link; a link to a managed \
         binary belongs in /usr/local/bin"
            .into(),
    );
    f.related = rel;
    f.resource = Some(res.into());
    if !h.has_direct_evidence() && !h.directory_is_enough(cx) && f.severity == Severity::Error {
        f.severity = Severity::Warning;
    }
    f
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::diagnostic::Severity;
    use crate::rules::testing::*;
    use crate::rules::Selection;

    const PASS: &[&str] = &[
        // /usr/local/bin link to a managed binary.
        "class demo {\n  file { '/opt/tool/bin/tool': source => 'puppet:///modules/demo/tool', mode => '0755' }\n  file { '/usr/local/bin/tool': ensure => link, target => '/opt/tool/bin/tool' }\n}",
        // A link outside system directories with no other owner.
        "class demo { file { '/etc/alternatives-ish/tool': ensure => link, target => '/opt/tool' } }",
        "class demo { file { '/usr/local/bin/tool': ensure => link, target => '/opt/unmanaged/tool' } }",
        // Exclusive branches: never in one catalog.
        "class demo($flag) {\n  if $flag { file { '/usr/local/bin/t': ensure => file, source => 'puppet:///modules/demo/t' } }\n  else { file { '/usr/local/bin/t': ensure => link, target => '/opt/t' } }\n}",
    ];

    const FAIL: &[(&str, &[(u32, Severity)])] = &[
        // The incident's link: /usr/bin is package territory, and the service runs the
        // path (or the other branch installs the package): an error.
        (
            "class demo {\n  file { '/usr/bin/kube-scheduler':\n    ensure => link,\n    target => '/usr/local/bin/kube-scheduler',\n  }\n  service { 'kube-scheduler': binary => '/usr/bin/kube-scheduler' }\n}\n",
            &[(3, Severity::Error)],
        ),
        (
            "class demo($use_package) {\n  if $use_package {\n    package { 'kubernetes-master': }\n  } else {\n    file { '/usr/bin/kube-scheduler': ensure => link, target => '/usr/local/bin/kube-scheduler' }\n  }\n}\n",
            &[(5, Severity::Error)],
        ),
        // Only the directory says so, and nothing runs the path (datacentred 14a0ed32:
        // `/usr/bin/racadm -> /opt/dell/srvadmin/sbin/racadm`): a warning.
        (
            "class demo {\n  file { '/usr/bin/racadm':\n    ensure => link,\n    target => '/opt/dell/srvadmin/sbin/racadm',\n  }\n}\n",
            &[(3, Severity::Warning)],
        ),
        // The same path managed as a regular file elsewhere: error.
        (
            "class a {\n  file { '/usr/local/bin/t': ensure => link, target => '/opt/t' }\n}\nclass b {\n  file { '/usr/local/bin/t/': ensure => file, source => 'puppet:///modules/demo/t' }\n}\n",
            &[(2, Severity::Error)],
        ),
    ];

    #[test]
    fn pass() {
        assert_pass_snippets(NAME, PASS, after_only);
    }

    #[test]
    fn fail() {
        for &(src, want) in FAIL {
            let found = check_rule(NAME, &after_only(src));
            let got: Vec<(u32, Severity)> = found
                .iter()
                .map(|f| (Case::line_of(src, f), f.severity))
                .collect();
            assert_eq!(got, want, "{src:?}: {found:#?}");
        }
    }

    #[test]
    fn a_regular_file_of_the_base_revision_replaced_by_a_link() {
        let before = "class demo {\n  file { '/opt/x/bin/tool': ensure => file, source => 'puppet:///modules/demo/tool' }\n}\n";
        let after = "class demo {\n  file { '/opt/x/bin/tool': ensure => link, target => '/opt/y/tool' }\n}\n";
        let case = edit(before, after);
        let found = check_rule(NAME, &case);
        assert_eq!(found.len(), 1, "{found:#?}");
        assert_eq!(found[0].severity, Severity::Error);
        assert!(found[0]
            .message
            .contains("managed regular file in the base revision"));
        assert_eq!(found[0].related[0].location.side, Side::Before);
    }

    #[test]
    fn the_revert_voice_names_the_state_before_the_revert() {
        let before = "class demo {\n  service { 'agent': ensure => running, binary => '/opt/agent/agent' }\n  file { '/opt/agent/agent': ensure => file, source => 'puppet:///modules/demo/agent' }\n}\n";
        let after = "class demo {\n  service { 'agent': ensure => running, binary => '/opt/agent/agent' }\n  file { '/opt/agent/agent': ensure => link, target => '/srv/agent' }\n}\n";
        let change = edit(before, after).change();
        let config = Config::default();
        let selection = Selection::default();
        let analysis = crate::rules::Analysis::build(&change, &config);
        let cx = analysis.context(&change, &config, &selection);
        let rule = &RULE;
        let found = detect(&cx);
        assert_eq!(found.len(), 1);
        let text = |voice| render(&cx, rule, &found[0], voice).message;
        assert_eq!(
            text(Voice::Change),
            "File['/opt/agent/agent'] becomes a symlink over an executable path: it was a \
             managed regular file in the base revision; Service['agent'] ran it in the base \
             revision"
        );
        assert_eq!(
            text(Voice::Revert),
            "File['/opt/agent/agent'] becomes a symlink over an executable path: it was a \
             managed regular file before the revert; Service['agent'] ran it before the revert"
        );
        assert_eq!(
            render(&cx, rule, &found[0], Voice::Change).resource,
            Some(crate::diagnostic::ResourceKey::new(
                "file",
                "/opt/agent/agent"
            ))
        );
    }

    #[test]
    fn deliberate_conversion_keeps_the_binary_at_the_managed_target() {
        let before = "class demo {\n  file { '/opt/x/bin/tool': ensure => file, source => 'puppet:///modules/demo/tool' }\n}\n";
        let after = "class demo {\n  file { '/opt/x/libexec/tool-1.2': ensure => file, source => 'puppet:///modules/demo/tool' }\n  file { '/opt/x/bin/tool': ensure => link, target => '/opt/x/libexec/tool-1.2' }\n}\n";
        let case = edit(before, after);
        assert!(check_rule(NAME, &case).is_empty());
    }

    #[test]
    fn a_service_ran_it_in_the_base_revision() {
        let before = "class demo {\n  service { 'agent': ensure => running, binary => '/opt/agent/agent' }\n}\n";
        let after = "class demo {\n  service { 'agent': ensure => running, binary => '/opt/agent/agent' }\n  file { '/opt/agent/agent': ensure => link, target => '/srv/agent' }\n}\n";
        let case = edit(before, after);
        let found = check_rule(NAME, &case);
        assert_eq!(found.len(), 1, "{found:#?}");
        assert!(found[0].message.contains("Service['agent'] ran it"));
    }

    #[test]
    fn package_hints_make_it_an_error() {
        let src = "class demo {\n  package { 'kubernetes-master': ensure => present }\n  file { '/usr/bin/kube-apiserver': ensure => link, target => '/usr/local/bin/kube-apiserver' }\n}\n";
        let mut config = Config::default();
        config.package_paths.insert(
            "kubernetes-master".into(),
            vec!["/usr/bin/kube-apiserver".into()],
        );
        let found: Vec<_> = run_case(&after_only(src), &config, &Selection::default())
            .into_iter()
            .filter(|f| f.rule == NAME)
            .collect();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].severity, Severity::Error);
        assert!(found[0]
            .message
            .contains("package `kubernetes-master` ships it"));
    }

    #[test]
    fn re_pointing_an_existing_link_is_not_this_rule() {
        let before = "class demo { file { '/usr/bin/t': ensure => link, target => '/opt/a/t' } }";
        let after = "class demo { file { '/usr/bin/t': ensure => link, target => '/opt/b/t' } }";
        let case = edit(before, after);
        assert!(check_rule(NAME, &case).is_empty());
    }
}
