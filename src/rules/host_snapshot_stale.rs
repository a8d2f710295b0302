//! ## What it does
//!
//! Reports each host snapshot given to `check` that is older than
//! `host_snapshot_max_age` (default 24 hours): its host, when it was taken and how old it
//! is. The `host-*` rules still judge the change against it; this finding says their
//! verdict rests on old facts.
//!
//! ## Why is this bad?
//!
//! A snapshot is what the host held when it was taken. A file repaired since is still
//! reported empty, a file broken since is still vouched for. A timer that stopped
//! writing snapshots would otherwise go unnoticed, and the check would keep trusting a
//! picture of the past.
//!
//! ## Example
//!
//! ```puppet
//! # any change, checked with a snapshot taken three days ago:
//! # puppet-preflight check --host-snapshot /srv/preflight/hosts
//! ```
//!
//! ## Use instead
//!
//! Take snapshots regularly (`contrib/puppet-preflight-snapshot.timer`) and sync them to
//! where CI reads them; raise `host_snapshot_max_age` if your hosts are snapshotted less
//! often on purpose.
//!
//! ## Exceptions
//!
//! Archived snapshots read on purpose (an incident reconstruction) are stale by design.
//!
//! ## References
//!
//! - `puppet-preflight snapshot` and the README's "Host snapshots" section.

use crate::ast::Span;
use crate::diagnostic::{Finding, Location, Severity, Side};
use crate::hosts::time;

use super::registry::{Kind, Rule};
use super::{finding, Context};

pub const NAME: &str = "host-snapshot-stale";

/// This rule's row of the registry (`registry.rs` lists the rows in order).
pub(crate) static RULE: Rule = Rule {
    name: NAME,
    default_severity: Severity::Info,
    summary: "a host snapshot older than `host_snapshot_max_age`: the host rules judged the change against old facts",
    kind: Kind::Tool,
    check: Some(check),
    source: include_str!("host_snapshot_stale.rs"),
};

pub fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for s in &cx.hosts.snapshots {
        if s.age <= cx.hosts.max_age {
            continue;
        }
        let mut f = finding(
            &RULE,
            Location {
                side: Side::After,
                file: s.file.clone(),
                span: Span::new(0, 0),
            },
            format!(
                "the snapshot of {} was taken {} ago ({}), more than the {} \
                 `host_snapshot_max_age` allows; the host findings rest on what the host \
                 held then",
                s.host,
                time::describe_age(s.age),
                time::format(s.taken_at),
                time::describe_age(cx.hosts.max_age)
            ),
        );
        f.help = Some(
            "take the snapshot again on that host (`puppet-preflight snapshot`), or raise \
             `host_snapshot_max_age` in .puppet-preflight.yaml"
                .to_string(),
        );
        out.push(f);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::*;

    #[test]
    fn reports_only_old_snapshots() {
        let mut hosts = hosts_with(&[("old", &[]), ("new", &[])]);
        hosts.max_age = 3600;
        hosts.snapshots[0].age = 3 * 86_400;
        hosts.snapshots[1].age = 60;
        let found = check_rule_on_hosts(NAME, &after_only("class demo {}\n"), &hosts);
        assert_eq!(found.len(), 1, "{found:#?}");
        assert!(found[0]
            .message
            .contains("snapshot of old was taken 3 days ago"));
        assert_eq!(found[0].location.file, "old.json");
    }
}
