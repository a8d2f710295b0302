//! The picture of a change (`--format dot`, and the graph of `--format html`) built from
//! the incident series by the real binary: the nodes and arrows a reviewer reads.

use std::path::PathBuf;
use std::process::Command;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/incident-2016")
        .join(name)
}

/// `check --format dot` from `before` to `after` (directories of the series); the
/// incident's changes have error-level findings (status 1), an empty change none.
fn dot(before: &str, after: &str) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_puppet-preflight"))
        .args(["check", "--format", "dot", "--before"])
        .arg(fixture(before))
        .arg("--after")
        .arg(fixture(after))
        .output()
        .expect("run puppet-preflight");
    let expected = if before == after { 0 } else { 1 };
    assert_eq!(
        out.status.code(),
        Some(expected),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8")
}

/// The arrows of one side, as `from -> to [label]` with the side prefix removed.
fn arrows(dot: &str, side: &str) -> Vec<String> {
    let prefix = format!("\"{side}:");
    dot.lines()
        .map(str::trim)
        .filter(|l| l.starts_with(&prefix) && l.contains(" -> "))
        .map(|l| {
            let l = l.replace(&prefix, "\"");
            let label = l
                .split("[label=\"")
                .nth(1)
                .and_then(|r| r.split('"').next());
            let ends = l.split(" [").next().unwrap_or_default().replace('"', "");
            format!("{ends} [{}]", label.unwrap_or_default())
        })
        .collect()
}

const ERB: &str = "modules/k8s/templates/initscripts/kube-scheduler.systemd.erb";

#[test]
fn the_scheduler_restarted_onto_a_link_to_an_unmanaged_binary() {
    let dot = dot("00-base", "01-kube-scheduler");
    let unit = "File['/lib/systemd/system/kube-scheduler.service']";
    assert_eq!(
        arrows(&dot, "after"),
        vec![
            format!("repo:{ERB} -> resource:{unit} [renders]"),
            format!("resource:{unit} -> resource:Service['kube-scheduler'] [~>]"),
            "resource:Service['kube-scheduler'] -> path:/usr/bin/kube-scheduler [runs]".to_string(),
            "path:/usr/bin/kube-scheduler -> resource:File['/usr/bin/kube-scheduler'] [is a link]"
                .to_string(),
            "resource:File['/usr/bin/kube-scheduler'] -> path:/usr/local/bin/kube-scheduler [points to]"
                .to_string(),
        ],
        "{dot}"
    );
    assert_eq!(
        arrows(&dot, "before"),
        vec![
            format!("repo:{ERB} -> resource:{unit} [renders]"),
            format!("resource:{unit} -> resource:Service['kube-scheduler'] [unit of]"),
            "resource:Service['kube-scheduler'] -> path:/usr/local/bin/kube-scheduler [runs]"
                .to_string(),
        ],
        "{dot}"
    );
    // What the change does to each node: the template and the unit change, the link is
    // new, and nothing writes the binary the link leads to.
    for node in [
        format!("\"after:repo:{ERB}\" [label=\"{ERB}\\n(changed)\""),
        "\"after:resource:File['/usr/bin/kube-scheduler']\" [label=\"File['/usr/bin/kube-scheduler']\\n(added)\"".to_string(),
        "\"after:path:/usr/local/bin/kube-scheduler\" [label=\"/usr/local/bin/kube-scheduler\\n(unmanaged)\"".to_string(),
        "\"before:path:/usr/local/bin/kube-scheduler\" [label=\"/usr/local/bin/kube-scheduler\\n(unmanaged)\"".to_string(),
    ] {
        assert!(dot.contains(&node), "no {node} in\n{dot}");
    }
}

#[test]
fn a_deploy_script_is_what_writes_the_apiserver_binary() {
    let dot = dot("01-kube-scheduler", "02-kube-apiserver");
    let after = arrows(&dot, "after");
    assert!(
        after.contains(
            &"path:/usr/local/bin/kube-apiserver -> resource:File['/usr/local/bin/deploy-master'] [written by script]"
                .to_string()
        ),
        "{dot}"
    );
    // Written by a script: not unmanaged after; before the script existed, it was.
    assert!(dot.contains("\"after:path:/usr/local/bin/kube-apiserver\" [label=\"/usr/local/bin/kube-apiserver\", shape=ellipse]"), "{dot}");
    assert!(dot.contains("\"before:path:/usr/local/bin/kube-apiserver\" [label=\"/usr/local/bin/kube-apiserver\\n(unmanaged)\""), "{dot}");
}

#[test]
fn a_change_that_restarts_nothing_draws_nothing() {
    let dot = dot("00-base", "00-base");
    assert!(!dot.contains(" -> "), "{dot}");
    assert!(dot.contains("nothing to draw"), "{dot}");
}
