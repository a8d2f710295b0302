//! ## What it does
//!
//! Flags a link the change adds or re-points whose target nothing in the repository
//! manages: no `file` resource with content, source or checksum, no package hint from the
//! configuration's `package_paths` or the package contents files, no `exec` whose `creates` is that path, and no
//! externally managed prefix (`external_prefixes`). Chains are resolved first (a link to
//! a directory that is itself a link), and the last hop is judged; a target managed
//! under the name the link gives (or a path on the way) counts as managed, and a
//! directory every host has (`/var`, `/usr/local/bin`, `/tmp`) needs no resource. A target that is not
//! fully known (`/opt/${app}/bin/x`) is not judged: any verdict would be a guess. Only
//! links the change adds or re-points are checked.
//!
//! ## Why is this bad?
//!
//! Puppet creates a link to a missing path without any warning. When the target does
//! exist on a host, nothing says what it holds: a stale leftover, a truncated download, a
//! hand-copied build. Everything that runs through the link (a service's `ExecStart`, a
//! cron job) inherits that uncertainty, and a later restart runs it.
//!
//! ## Example
//!
//! ```puppet
//! file { '/usr/bin/kube-scheduler':
//!   ensure => link,
//!   target => '/usr/local/bin/kube-scheduler',   # nothing manages this path
//! }
//! ```
//!
//! ## Use instead
//!
//! Manage the target in the same change, or point the link at something that is
//! managed:
//!
//! ```puppet
//! file { '/usr/local/bin/kube-scheduler':
//!   ensure => file,
//!   source => 'puppet:///modules/k8s/kube-scheduler',
//!   mode   => '0755',
//! }
//! file { '/usr/bin/kube-scheduler':
//!   ensure => link,
//!   target => '/usr/local/bin/kube-scheduler',
//! }
//! ```
//!
//! ## Exceptions
//!
//! A target outside `/usr/local` and `/opt` named like a package the repository declares
//! (`/usr/bin/etcd` with `package { 'etcd': }`) counts as provided by that package, as in
//! `service-binary-unmanaged`. Targets another tool deploys on purpose (scap or git-deploy trees under
//! `/srv/deployment`, container runtimes). Add their prefix to `external_prefixes` in the
//! configuration rather than suppressing each link.
//!
//! ## References
//!
//! - Puppet `file` type, `ensure => link` and `target`: dangling links are created
//!   silently.
//! - The `file` type autorequires its `target` only when the target is in the catalog.

use crate::diagnostic::{Finding, Severity, Side};

use super::common::{
    at_first_attr, link_target, package_named_for, provider_of, related, touched_links,
};
use super::registry::{Kind, Rule};
use super::{finding, Context};

pub const NAME: &str = "link-target-unmanaged";

/// This rule's row of the registry (`registry.rs` lists the rows in order).
pub(crate) static RULE: Rule = Rule {
    name: NAME,
    default_severity: Severity::Warning,
    summary: "a link whose target nothing in the repository manages (dangling or stale)",
    kind: Kind::Check,
    check: Some(check),
    source: include_str!("link_target_unmanaged.rs"),
};

pub fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    let rule = &RULE;
    // "Nothing in the repository manages it" cannot be judged when a manifest of the
    // after side could not be read (a partial clone): it may manage the path.
    // incomplete-input says so.
    if cx.change.manifests_incomplete(Side::After) {
        return;
    }
    for (id, path) in touched_links(cx) {
        // A target that is not known statically stays unjudged.
        let Some(target) = link_target(cx.after, id) else {
            continue;
        };
        let chain = cx.after.facts.resolve(&target);
        if chain.cycle {
            continue; // link-cycle reports it
        }
        let last = chain.last().to_owned();
        // The target as written, or a path on the way, managed as a file or directory:
        // the repository manages it under that name (an unrelated `/x1 -> /var` link on
        // a parent directory does not make `/x1/app` unmanaged).
        if chain
            .paths
            .iter()
            .any(|p| provider_of(cx, cx.after, p).is_some())
            || holds_managed_paths(cx, &target)
        {
            continue;
        }
        if always_there(&last)
            || provider_of(cx, cx.after, &last).is_some()
            || holds_managed_paths(cx, &last)
            || package_named_for(cx.after, &last, None).is_some()
        {
            continue;
        }
        let r = cx.after.get(id);
        let res = r.display_ref();
        let via = if chain.paths.len() > 1 {
            format!(" (through {})", chain.paths.join(" -> "))
        } else {
            String::new()
        };
        let mut f = finding(
            rule,
            at_first_attr(cx.after, Side::After, id, &["target", "ensure"]),
            format!(
                "{res} links to {last}{via}, which nothing in the repository manages: the link \
                 dangles, or points at whatever stale file a host has there"
            ),
        );
        f.help = Some(format!(
            "manage {last} (a `file` with `source`/`content`, a package listed in package_paths, \
             or an `exec` with `creates`), point the link at a managed path, or list the \
             deploying tool's prefix in external_prefixes"
        ));
        for &s in cx.after.facts.services_through(&path) {
            let restarted = if cx.diff.restart_of(s).is_some() {
                ", and this change restarts it"
            } else {
                ""
            };
            f.related.push(related(
                cx.after,
                Side::After,
                s,
                format!(
                    "{} runs {path} through this link{restarted}",
                    cx.after.get(s).display_ref()
                ),
            ));
        }
        f.resource = Some(r.into());
        out.push(f);
    }
}

/// A directory that managed paths live under (a link to a release directory).
/// A directory every host has (`/var`, `/usr/local/bin`, `/tmp`, …): a link to it does
/// not dangle.
fn always_there(path: &str) -> bool {
    const MORE: &[&str] = &[
        "/bin", "/boot", "/dev", "/lib", "/mnt", "/proc", "/root", "/run", "/sbin", "/sys", "/tmp",
        "/var/run", "/var/tmp",
    ];
    super::link_over_directory::SYSTEM_DIRS.contains(&path) || MORE.contains(&path)
}

fn holds_managed_paths(cx: &Context<'_>, dir: &str) -> bool {
    let prefix = format!("{dir}/");
    cx.after
        .index
        .paths
        .range(prefix.clone()..)
        .next()
        .is_some_and(|(p, _)| p.starts_with(&prefix))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::rules::testing::*;
    use crate::rules::Selection;

    const PASS: &[&str] = &[
        // The target is managed as written; an unrelated link on a parent directory
        // (apache infrastructure-puppet's `/x1 -> /var`) does not hide it.
        "class compat { file { '/x1': ensure => link, target => '/var' } }\nclass cwiki {\n  file { '/x1/cwiki': ensure => directory }\n  file { '/x1/cwiki/confluence-5.0.3': ensure => directory }\n  file { '/x1/cwiki/current': ensure => link, target => '/x1/cwiki/confluence-5.0.3' }\n}\n",
        // A link in /usr/local/bin to a managed binary.
        "class demo {\n  file { '/opt/tool/bin/tool': source => 'puppet:///modules/demo/tool', mode => '0755' }\n  file { '/usr/local/bin/tool': ensure => link, target => '/opt/tool/bin/tool' }\n}",
        // Package/link if-else where the target is managed.
        "class demo($use_package) {\n  if $use_package { package { 'tool': ensure => present } }\n  else {\n    file { '/usr/bin/tool': ensure => link, target => '/usr/local/bin/tool' }\n    file { '/usr/local/bin/tool': ensure => file, source => 'puppet:///modules/demo/tool' }\n  }\n}",
        // Through a managed link to a directory that holds managed files.
        "class demo {\n  file { '/opt/tool/current': ensure => link, target => '/opt/tool/releases/1.2' }\n  file { '/opt/tool/releases/1.2/bin/tool': ensure => file, source => 'puppet:///modules/demo/tool' }\n  file { '/usr/bin/tool': ensure => link, target => '/opt/tool/current/bin/tool' }\n}",
        // Created by an exec.
        "class demo {\n  exec { 'fetch': command => '/usr/bin/fetch-tool', creates => '/opt/tool/tool' }\n  file { '/usr/local/bin/tool': ensure => link, target => '/opt/tool/tool' }\n}",
        // A relative target resolved against the link's directory.
        "class demo {\n  file { '/usr/lib/tool/tool': ensure => file, source => 'puppet:///modules/demo/tool' }\n  file { '/usr/lib/tool/current': ensure => link, target => 'tool' }\n}",
        // Symbolic target: silent.
        "class demo($v) { file { '/usr/local/bin/tool': ensure => link, target => \"/opt/tool-${v}/bin/tool\" } }",
        // Not a link.
        "class demo { file { '/usr/local/bin/tool': ensure => file, content => 'x' } }",
        // The target is the binary of a declared package named like it.
        "class demo {\n  package { 'tool': ensure => present }\n  file { '/usr/local/bin/tool': ensure => link, target => '/usr/bin/tool' }\n}",
    ];

    const FAIL: &[(&str, &[u32])] = &[
        // The 2016 incident: the link's target is managed by nothing.
        (
            "class demo {\n  file { '/usr/bin/kube-scheduler':\n    ensure => link,\n    target => '/usr/local/bin/kube-scheduler',\n  }\n}\n",
            &[4],
        ),
        // Path-valued ensure.
        ("class demo {\n  file { '/usr/bin/tool': ensure => '/opt/missing/tool' }\n}\n", &[2]),
        // A chain whose last hop is unmanaged.
        (
            "class demo {\n  file { '/opt/tool/current': ensure => link, target => '/opt/tool/releases/1.3' }\n  file { '/usr/bin/tool': ensure => link, target => '/opt/tool/current/bin/tool' }\n}\n",
            &[2, 3],
        ),
        // A package named like the target, but removed: nothing provides it.
        (
            "class demo {\n  package { 'tool': ensure => absent }\n  file { '/usr/local/bin/tool': ensure => link, target => '/usr/bin/tool' }\n}\n",
            &[3],
        ),
        // A package under /usr/local is not presumed: packages do not install there.
        (
            "class demo {\n  package { 'tool': ensure => present }\n  file { '/usr/bin/tool': ensure => link, target => '/usr/local/lib/tool' }\n}\n",
            &[3],
        ),
    ];

    snippet_tests!(after_only);

    #[test]
    fn external_prefixes_count_as_managed() {
        let src = "class demo { file { '/usr/bin/app': ensure => link, target => '/srv/deployment/app/bin/app' } }";
        let mut config = Config::default();
        let found = run_case(&after_only(src), &config, &Selection::default());
        assert!(found.iter().any(|f| f.rule == NAME));
        config.external_prefixes.push("/srv/deployment".into());
        let found = run_case(&after_only(src), &config, &Selection::default());
        assert!(found.iter().all(|f| f.rule != NAME), "{found:#?}");
    }

    #[test]
    fn names_the_service_that_runs_it() {
        let src = "class demo {\n  file { '/usr/bin/kube-scheduler': ensure => link, target => '/usr/local/bin/kube-scheduler' }\n  service { 'kube-scheduler': ensure => running, binary => '/usr/bin/kube-scheduler' }\n}\n";
        let found = check_rule(NAME, &after_only(src));
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].related.len(), 1, "{found:#?}");
        assert!(found[0].related[0]
            .message
            .contains("Service['kube-scheduler'] runs /usr/bin/kube-scheduler"));
    }

    #[test]
    fn an_unchanged_link_is_not_reported() {
        let src = "class demo {\n  file { '/usr/bin/x': ensure => link, target => '/opt/x', mode => '0755' }\n}\n";
        let case = edit(src, &src.replace("0755", "0775"));
        assert!(check_rule(NAME, &case).is_empty());
    }
}
