//! The December 2016 incident as a fixed ReportData, shared by the report tests.
//!
//! The change re-points `/usr/bin/kube-scheduler` (line 9, a one-line resource whose
//! `alias` holds "é" and "😀" before the finding's span) while `Service['kube-scheduler']`
//! (line 22) subscribes to it; a third finding is suppressed by an inline comment.

#![allow(dead_code)]

use puppet_preflight::ast::Span;
use puppet_preflight::diagnostic::{
    Finding, Location, Related, ResourceKey, RuleMeta, Severity, Side,
};
use puppet_preflight::report::graph::{ChangeGraph, EdgeKind, Graph, NodeKind, Status};
use puppet_preflight::report::{
    ChangeReport, ChangedFile, Effect, EffectKind, ReportData, Sources, Tool,
};

pub const SCHEDULER: &str = "modules/k8s/manifests/scheduler.pp";
pub const UNIT: &str = "modules/k8s/templates/kube-scheduler.service.erb";

pub const SCHEDULER_PP: &str = "\
# == Class k8s::scheduler
# Runs the Kubernetes scheduler on the master.
class k8s::scheduler(
    String $master_host,
) {
    require_package('kubernetes-master')

    # The binary now comes from the package; keep the old path working.
    file { '/usr/bin/kube-scheduler': alias => 'planificateur-été 😀', ensure => link, target => '/usr/local/bin/kube-scheduler' }

    file { '/usr/local/bin/deploy-master':
        ensure => file,
        mode   => '0755',
        backup => false, # preflight:ignore:binary-without-backup deployed by scap, which keeps its own copy
        source => 'puppet:///modules/k8s/deploy-master.sh',
    }

    base::service_unit { 'kube-scheduler':
        template_name => 'kube-scheduler',
    }

    service { 'kube-scheduler':
        ensure    => running,
        subscribe => File['/usr/bin/kube-scheduler'],
    }
}
";

pub const UNIT_ERB: &str = "\
[Unit]
Description=Kubernetes Scheduler Plugin
Documentation=https://github.com/kubernetes/kubernetes

[Service]
ExecStart=/usr/bin/kube-scheduler \\
    --master=<%= @master_host %> \\
    --leader-elect=true
Restart=on-failure

[Install]
WantedBy=multi-user.target
";

pub static RULES: &[RuleMeta] = &[
    RuleMeta {
        name: "link-target-unmanaged",
        default_severity: Severity::Warning,
        summary: "a link whose target nothing in the repository manages (dangling or stale)",
        doc: "## What it does\nFlags a symlink whose target no resource manages.\n\n## Why is this bad?\nThe link may dangle, or point at a stale leftover.",
    },
    RuleMeta {
        name: "service-binary-relinked",
        default_severity: Severity::Error,
        summary: "a service this change restarts executes a path the same change re-points",
        doc: "## What it does\nFlags a restarted service whose binary the same change re-points.\n\n## Why is this bad?\nThe restart runs whatever the link now points at.",
    },
    RuleMeta {
        name: "binary-without-backup",
        default_severity: Severity::Warning,
        summary: "a binary replaced while the effective `backup` is false",
        doc: "## What it does\nFlags binaries replaced with `backup => false`.",
    },
];

/// Byte span of the `nth` (0-based) occurrence of `needle` in `text`.
pub fn span_of(text: &str, needle: &str, nth: usize) -> Span {
    let start = text
        .match_indices(needle)
        .nth(nth)
        .unwrap_or_else(|| panic!("{needle:?} not in fixture"))
        .0;
    Span::new(start as u32, (start + needle.len()) as u32)
}

pub fn at(file: &str, text: &str, needle: &str, nth: usize) -> Location {
    Location {
        side: Side::After,
        file: file.to_string(),
        span: span_of(text, needle, nth),
    }
}

pub fn findings() -> Vec<Finding> {
    vec![
        Finding {
            rule: "service-binary-relinked",
            severity: Severity::Error,
            location: at(SCHEDULER, SCHEDULER_PP, "'kube-scheduler'", 2),
            resource: Some(ResourceKey::new("service", "kube-scheduler")),
            message: "Service['kube-scheduler'] is restarted by this change and runs /usr/bin/kube-scheduler, which the same change re-points to /usr/local/bin/kube-scheduler".into(),
            help: Some("deploy the binary in one change and restart the service in a later one, or make the link point at a file this repository manages".into()),
            related: vec![
                Related {
                    location: at(SCHEDULER, SCHEDULER_PP, "target => '/usr/local/bin/kube-scheduler'", 0),
                    message: "the link is re-pointed here".into(),
                },
                Related {
                    location: at(SCHEDULER, SCHEDULER_PP, "subscribe => File['/usr/bin/kube-scheduler']", 0),
                    message: "this makes the link change restart the service".into(),
                },
                Related {
                    location: at(UNIT, UNIT_ERB, "/usr/bin/kube-scheduler", 0),
                    message: "the unit runs /usr/bin/kube-scheduler".into(),
                },
            ],
            suppressed: None,
            preexisting: false,
        },
        Finding {
            rule: "link-target-unmanaged",
            severity: Severity::Warning,
            location: at(SCHEDULER, SCHEDULER_PP, "'/usr/local/bin/kube-scheduler'", 0),
            resource: Some(ResourceKey::new("file", "/usr/bin/kube-scheduler")),
            message: "File['/usr/bin/kube-scheduler'] becomes a symlink to /usr/local/bin/kube-scheduler, which nothing in the repository manages".into(),
            help: Some("manage the target (package or file resource), or list its prefix under `external_prefixes` in .puppet-preflight.yaml".into()),
            related: vec![],
            suppressed: None,
            preexisting: false,
        },
        Finding {
            rule: "binary-without-backup",
            severity: Severity::Warning,
            location: at(SCHEDULER, SCHEDULER_PP, "backup => false", 0),
            resource: Some(ResourceKey::new("file", "/usr/local/bin/deploy-master")),
            message: "File['/usr/local/bin/deploy-master'] replaces an executable with `backup => false`".into(),
            help: Some("drop `backup => false` so the clientbucket keeps the previous binary".into()),
            related: vec![],
            suppressed: Some("deployed by scap, which keeps its own copy".into()),
            preexisting: false,
        },
    ]
}

pub fn change_report() -> ChangeReport {
    let mut sources = Sources::default();
    sources.insert(Side::After, SCHEDULER, SCHEDULER_PP);
    sources.insert(Side::After, UNIT, UNIT_ERB);
    ChangeReport {
        base: "3f2a9c1d0b7e".into(),
        head: "8d41c6e2a905".into(),
        title: Some("k8s: use the packaged kube-scheduler".into()),
        files: vec![ChangedFile {
            path: SCHEDULER.into(),
            old_path: None,
        }],
        manifests_parsed: 3359,
        findings: findings(),
        preexisting_hidden: 0,
        sources,
        effects: vec![
            Effect {
                kind: EffectKind::LinkRepointed,
                subject:
                    "/usr/bin/kube-scheduler -> /usr/local/bin/kube-scheduler (was a regular file)"
                        .into(),
                detail: None,
                location: Some(at(
                    SCHEDULER,
                    SCHEDULER_PP,
                    "file { '/usr/bin/kube-scheduler'",
                    0,
                )),
            },
            Effect {
                kind: EffectKind::ServiceRestarted,
                subject: "kube-scheduler".into(),
                detail: Some("subscribes to File['/usr/bin/kube-scheduler']".into()),
                location: Some(at(SCHEDULER, SCHEDULER_PP, "service { 'kube-scheduler'", 0)),
            },
        ],
        graph: graph(),
        configuration: Some(".puppet-preflight.yaml of 8d41c6e2a905".into()),
        puppet: None,
    }
}

/// The picture of the change: before, the service runs the unmanaged binary in
/// /usr/local/bin; after, the changed unit restarts it onto a new link to that binary.
pub fn graph() -> ChangeGraph {
    let side = |after: bool| {
        let mut g = Graph::default();
        let changed = if after {
            Status::Changed
        } else {
            Status::Unchanged
        };
        let erb = g.node(
            format!("repo:{UNIT}"),
            NodeKind::RepoFile,
            UNIT.into(),
            changed,
        );
        let unit_ref = "File['/lib/systemd/system/kube-scheduler.service']";
        let unit = g.node(
            format!("resource:{unit_ref}"),
            NodeKind::Resource,
            unit_ref.into(),
            changed,
        );
        let svc = g.node(
            "resource:Service['kube-scheduler']".into(),
            NodeKind::Resource,
            "Service['kube-scheduler']".into(),
            Status::Unchanged,
        );
        g.edge(erb, unit, EdgeKind::Renders, "renders");
        let local = "/usr/local/bin/kube-scheduler";
        if after {
            g.edge(unit, svc, EdgeKind::Refresh, "notify");
            let bin = g.node(
                "path:/usr/bin/kube-scheduler".into(),
                NodeKind::Path,
                "/usr/bin/kube-scheduler".into(),
                Status::Unchanged,
            );
            let link = g.node(
                "resource:File['/usr/bin/kube-scheduler']".into(),
                NodeKind::Resource,
                "File['/usr/bin/kube-scheduler']".into(),
                Status::Added,
            );
            let target = g.node(
                format!("path:{local}"),
                NodeKind::Path,
                local.into(),
                Status::Unmanaged,
            );
            g.edge(svc, bin, EdgeKind::Runs, "runs");
            g.edge(bin, link, EdgeKind::LinkAt, "is a link");
            g.edge(link, target, EdgeKind::PointsTo, "points to <&>");
        } else {
            g.edge(unit, svc, EdgeKind::Defines, "unit of");
            let target = g.node(
                format!("path:{local}"),
                NodeKind::Path,
                local.into(),
                Status::Unmanaged,
            );
            g.edge(svc, target, EdgeKind::Runs, "runs");
        }
        g
    };
    ChangeGraph {
        before: side(false),
        after: side(true),
    }
}

pub fn report_data() -> ReportData<'static> {
    let mut data = ReportData::new(RULES, vec![change_report()]);
    data.tool = Tool {
        name: "puppet-preflight".into(),
        version: "0.1.0-test".into(),
    };
    data
}
