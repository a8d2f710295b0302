//! The first step of the December 2016 Toolforge incident (Wikimedia operations/puppet
//! a7dc91ac, kube-scheduler), reconstructed, through the whole rule pipeline: the link,
//! its unmanaged target, and the service the change restarts onto it.

use std::collections::BTreeMap;
use std::sync::Arc;

use puppet_preflight::config::Config;
use puppet_preflight::diagnostic::{Finding, LineIndex, Severity, Side};
use puppet_preflight::input::{
    Blob, Change, EntryKind, FileChange, FileStatus, Revision, Tree, TreeEntry,
};
use puppet_preflight::lint;
use puppet_preflight::rules::{self, Analysis, Selection};

const MANIFEST: &str = "modules/k8s/manifests/scheduler.pp";
const UNIT: &str = "modules/k8s/templates/kube-scheduler.service.erb";

const BEFORE: &str = r#"class k8s::scheduler {
    include k8s::users

    file { '/lib/systemd/system/kube-scheduler.service':
        content => template('k8s/kube-scheduler.service.erb'),
        notify  => Service['kube-scheduler'],
    }

    service { 'kube-scheduler':
        ensure => running,
        enable => true,
    }
}
"#;

const AFTER: &str = r#"class k8s::scheduler(
    $use_package = false,
) {
    include k8s::users

    if $use_package {
        require_package('kubernetes-master')
    } else {
        file { '/usr/bin/kube-scheduler':
            ensure => link,
            target => '/usr/local/bin/kube-scheduler',
        }
    }

    file { '/etc/default/kube-scheduler':
        content => template('k8s/kube-scheduler.default.erb'),
    }

    file { '/lib/systemd/system/kube-scheduler.service':
        content => template('k8s/kube-scheduler.service.erb'),
        notify  => Service['kube-scheduler'],
    }

    service { 'kube-scheduler':
        ensure => running,
        enable => true,
    }
}
"#;

const UNIT_BEFORE: &str = "[Unit]\nDescription=Kubernetes Scheduler\n\n[Service]\nUser=kubernetes\nExecStart=/usr/local/bin/kube-scheduler --master=http://127.0.0.1:8080 --v=<%= @verbosity %>\nRestart=on-failure\n\n[Install]\nWantedBy=multi-user.target\n";
const UNIT_AFTER: &str = "[Unit]\nDescription=Kubernetes Scheduler\n\n[Service]\nUser=kubernetes\nEnvironmentFile=-/etc/kubernetes/config\nEnvironmentFile=-/etc/default/%p\nExecStart=/usr/bin/kube-scheduler $KUBE_LOGTOSTDERR $KUBE_LOG_LEVEL $KUBE_MASTER $DAEMON_ARGS\nRestart=on-failure\n\n[Install]\nWantedBy=multi-user.target\n";

fn tree(files: &[(&str, &str)]) -> Tree {
    let mut t = Tree::default();
    for (p, text) in files {
        t.files.insert(
            (*p).to_owned(),
            TreeEntry {
                kind: EntryKind::File,
                blob: Arc::new(Blob::new(None, text.as_bytes().to_vec())),
            },
        );
    }
    t
}

fn change() -> Change {
    let users = ("modules/k8s/manifests/users.pp", "class k8s::users {}\n");
    let before = tree(&[(MANIFEST, BEFORE), (UNIT, UNIT_BEFORE), users]);
    let after = tree(&[
        (MANIFEST, AFTER),
        (UNIT, UNIT_AFTER),
        users,
        (
            "modules/k8s/templates/kube-scheduler.default.erb",
            "DAEMON_ARGS=\"--leader-elect=true\"\n",
        ),
    ]);
    let mut files = Vec::new();
    let all: BTreeMap<&String, ()> = before
        .files
        .keys()
        .chain(after.files.keys())
        .map(|k| (k, ()))
        .collect();
    for p in all.keys() {
        let (b, a) = (before.get(p), after.get(p));
        let status = match (b, a) {
            (None, Some(_)) => FileStatus::Added,
            (Some(_), None) => FileStatus::Deleted,
            (Some(x), Some(y)) if x.blob.data() != y.blob.data() => FileStatus::Modified,
            _ => continue,
        };
        files.push(FileChange {
            status,
            old_path: b.map(|_| (*p).clone()),
            new_path: a.map(|_| (*p).clone()),
            old_kind: b.map(|_| EntryKind::File),
            new_kind: a.map(|_| EntryKind::File),
            binary: false,
            similarity: None,
        });
    }
    Change {
        before: Revision {
            label: "a7dc91ac^".into(),
            summary: None,
            tree: before.into(),
        },
        after: Revision {
            label: "a7dc91ac".into(),
            summary: None,
            tree: after.into(),
        },
        files,
        notes: vec![],
    }
}

fn line(f: &Finding) -> u32 {
    LineIndex::new(AFTER)
        .line_col(AFTER, f.location.span.start)
        .line
}

#[test]
fn the_link_its_unmanaged_target_and_the_restarted_service() {
    let change = change();
    let config = Config::default();
    let selection = Selection::default();
    let analysis = Analysis::build(&change, &config);
    let cx = analysis.context(&change, &config, &selection);
    let findings = lint::run(&cx);
    let got: Vec<(&str, u32, Severity)> = findings
        .iter()
        .map(|f| (f.rule, line(f), f.severity))
        .collect();
    assert_eq!(
        got,
        vec![
            // `/usr/bin` belongs to packages (the other branch installs one).
            ("link-over-binary", 10, Severity::Error),
            // Nothing manages /usr/local/bin/kube-scheduler.
            ("link-target-unmanaged", 11, Severity::Warning),
            // The unit change restarts the service onto the new link, unordered, and a
            // revert would restart it again onto the unmanaged copy.
            ("restart-before-binary", 24, Severity::Warning),
            ("service-binary-relinked", 24, Severity::Error),
            ("unsafe-revert", 24, Severity::Warning),
        ],
        "{findings:#?}"
    );
    for f in &findings[..2] {
        assert_eq!(f.location.file, MANIFEST);
        assert_eq!(f.location.side, Side::After);
        assert_eq!(
            f.resource.as_ref().map(ToString::to_string).as_deref(),
            Some("File['/usr/bin/kube-scheduler']")
        );
    }
    let unmanaged = &findings[1];
    assert!(
        unmanaged.message.contains("/usr/local/bin/kube-scheduler"),
        "{}",
        unmanaged.message
    );
    // The service that will run it, restarted by this very change (the unit changed).
    assert_eq!(unmanaged.related.len(), 1, "{:#?}", unmanaged.related);
    let rel = &unmanaged.related[0];
    assert!(
        rel.message
            .contains("Service['kube-scheduler'] runs /usr/bin/kube-scheduler")
            && rel.message.contains("this change restarts it"),
        "{}",
        rel.message
    );
    // The restart onto the relinked path fails the default level.
    assert_eq!(rules::FailLevel::Error.exit_status(&findings), 1);
    assert_eq!(rules::FailLevel::Warning.exit_status(&findings), 1);
}

#[test]
fn reverting_it_restarts_onto_the_unmanaged_copy() {
    // The revert drops the link and moves ExecStart back onto /usr/local/bin, which
    // nothing manages, and the unit change restarts the service onto it.
    let mut c = change();
    std::mem::swap(&mut c.before, &mut c.after);
    for f in &mut c.files {
        std::mem::swap(&mut f.old_path, &mut f.new_path);
        std::mem::swap(&mut f.old_kind, &mut f.new_kind);
        f.status = match f.status {
            FileStatus::Added => FileStatus::Deleted,
            FileStatus::Deleted => FileStatus::Added,
            s => s,
        };
    }
    let config = Config::default();
    let selection = Selection::default();
    let analysis = Analysis::build(&c, &config);
    let findings = lint::run(&analysis.context(&c, &config, &selection));
    let mut got: Vec<&str> = findings.iter().map(|f| f.rule).collect();
    got.sort_unstable();
    assert_eq!(
        got,
        [
            "service-binary-relinked",
            "service-binary-unmanaged",
            "unsafe-revert"
        ],
        "{findings:#?}"
    );
}
