//! Deploy scripts: what they download where, and the hazards for given paths.
//! Tables of PASS (no hazard) and FAIL (exact hazards) snippets, plus scripts modelled on
//! the 2016 incident's deploy-master.bash.

use puppet_preflight::analysis::shell::{
    analyze, HazardKind, Interest, OnFailure, ServiceVerb, Target, Tool,
};
use puppet_preflight::analysis::template::TemplateKind;
use std::path::Path;

const BIN: &str = "/usr/local/bin/tool";

fn hazards(script: &str) -> Vec<HazardKind> {
    let paths = [BIN];
    let mut k: Vec<HazardKind> = analyze(script, TemplateKind::Plain)
        .hazards(Interest::Paths(&paths))
        .into_iter()
        .map(|h| h.kind)
        .collect();
    k.sort_by_key(|h| format!("{h:?}"));
    k
}

/// Scripts that write /usr/local/bin/tool safely, or do not write it at all.
const PASS: &[&str] = &[
    // Temporary file, checksum, then install.
    "set -e\ntmp=$(mktemp)\nwget -O \"$tmp\" https://x/tool\nsha256sum -c tool.sha256\ninstall -m 0755 \"$tmp\" /usr/local/bin/tool\n",
    // curl -f straight onto the target: the target is left alone on HTTP errors.
    "#!/bin/bash\nset -euo pipefail\ncurl -fsSL -o /usr/local/bin/tool https://x/tool\n",
    "set -o errexit\ncurl --fail --silent --output /usr/local/bin/tool https://x/tool\n",
    // Download to a temporary name and move it, under errexit.
    "set -eu\ncurl -fsSL -o /usr/local/bin/tool.new https://x/tool\nmv /usr/local/bin/tool.new /usr/local/bin/tool\n",
    // The move only happens when the download succeeded.
    "wget -q -O /tmp/tool https://x/tool && mv /tmp/tool /usr/local/bin/tool\n",
    "if wget -O /tmp/tool https://x/tool; then mv /tmp/tool /usr/local/bin/tool; fi\n",
    "wget -O /tmp/tool https://x/tool || exit 1\nmv -f /tmp/tool /usr/local/bin/tool\n",
    // Downloads to stdout, piped elsewhere.
    "wget -qO - https://x/key.asc | apt-key add -\n",
    "curl -s https://x/install.tar.gz | tar -xz -C /opt\n",
    // Text in comments, strings and here-documents is not a command.
    "# wget -O /usr/local/bin/tool https://x/tool\necho 'wget -O /usr/local/bin/tool'\n",
    "cat > /etc/motd <<'EOF'\nwget -O /usr/local/bin/tool http://x\nEOF\n",
    "echo \"run: curl -o /usr/local/bin/tool http://x\"\n",
    // Other paths.
    "wget -O /usr/local/bin/other https://x/other\n",
    "cd /srv\nwget -O tool https://x/tool\n",
    "cd \"$(dirname \"$0\")\"\nwget -O tool https://x/tool\n",
    "curl -o /srv/data/file.json https://x/data\n",
];

/// Scripts with the hazards they must report for /usr/local/bin/tool (sorted by name).
const FAIL: &[(&str, &[HazardKind])] = &[
    (
        "set -e\nwget -O /usr/local/bin/tool https://x/tool\n",
        &[HazardKind::TruncatesTarget],
    ),
    (
        "wget -O /usr/local/bin/tool https://x/tool\n",
        &[HazardKind::NoErrexit, HazardKind::TruncatesTarget],
    ),
    (
        "set -e\nwget --output-document=/usr/local/bin/tool https://x/tool\n",
        &[HazardKind::TruncatesTarget],
    ),
    (
        "set -e\nwget -qO/usr/local/bin/tool https://x/tool\n",
        &[HazardKind::TruncatesTarget],
    ),
    (
        "set -e\ncurl -sSL -o /usr/local/bin/tool https://x/tool\n",
        &[HazardKind::ErrorPageOnTarget],
    ),
    (
        "set -e\ncurl -fsSL https://x/tool > /usr/local/bin/tool\n",
        &[HazardKind::TruncatesTarget],
    ),
    // In a pipeline the download's status is lost unless pipefail is on.
    (
        "set -e\ncurl -fsSL https://x/tool | sudo tee /usr/local/bin/tool >/dev/null\n",
        &[HazardKind::NoErrexit, HazardKind::TruncatesTarget],
    ),
    (
        "set -eo pipefail\ncurl -fsSL https://x/tool | sudo tee /usr/local/bin/tool >/dev/null\n",
        &[HazardKind::TruncatesTarget],
    ),
    (
        "set -e\ncurl -sL -o /tmp/tool https://x/tool\nmv /tmp/tool /usr/local/bin/tool\n",
        &[HazardKind::ErrorPageOnTarget],
    ),
    (
        "wget -O /tmp/tool https://x/tool\nmv /tmp/tool /usr/local/bin/tool\n",
        &[HazardKind::MovesFailedDownload, HazardKind::NoErrexit],
    ),
    (
        "set -e\nwget -O /usr/local/bin/tool https://x/tool || true\n",
        &[HazardKind::FailureIgnored, HazardKind::TruncatesTarget],
    ),
    (
        "set -e\nsystemctl stop tool.service\ncurl -f -o /usr/local/bin/tool https://x/tool\nsystemctl start tool\n",
        &[HazardKind::StopsServiceFirst],
    ),
    (
        "set -e\nset +e\nwget -O /usr/local/bin/tool https://x/tool\n",
        &[HazardKind::NoErrexit, HazardKind::TruncatesTarget],
    ),
    (
        "DEST=/usr/local/bin\nset -e\nwget -O ${DEST}/tool https://x/tool\n",
        &[HazardKind::TruncatesTarget],
    ),
    // Wrappers run the real command.
    (
        "set -e\nsudo -u root wget -O /usr/local/bin/tool https://x/tool\n",
        &[HazardKind::TruncatesTarget],
    ),
    (
        "set -e\nenv HTTPS_PROXY=http://p:3128 timeout 60 curl -s -o /usr/local/bin/tool https://x/tool\n",
        &[HazardKind::ErrorPageOnTarget],
    ),
    (
        "set -e\nsudo systemctl stop tool\nsudo curl -f -o /usr/local/bin/tool https://x/tool\n",
        &[HazardKind::StopsServiceFirst],
    ),
    // A signature checked after an in-place download: the old file is already gone.
    (
        "set -eux\nwget -O /usr/local/bin/tool \"https://x/tool-$(dpkg --print-architecture)\"\n\
         wget -O /usr/local/bin/tool.asc https://x/tool.asc\n\
         gpg --batch --verify /usr/local/bin/tool.asc /usr/local/bin/tool\n",
        &[HazardKind::TruncatesTarget],
    ),
    // Installed only when missing, without errexit.
    (
        "#!/bin/sh\nif [ ! -f /usr/local/bin/tool ]; then\n  wget -O /usr/local/bin/tool https://x/t\n  chmod +x /usr/local/bin/tool\nfi\n",
        &[HazardKind::NoErrexit, HazardKind::TruncatesTarget],
    ),
    (
        "set -e\ncd /usr/local/bin\nwget -O tool https://x/tool\n",
        &[HazardKind::TruncatesTarget],
    ),
    (
        "set -e\ncurl -sS -o /tmp/tool https://x/tool\nmv /tmp/tool /usr/local/bin/\n",
        &[HazardKind::ErrorPageOnTarget],
    ),
    (
        "#!/bin/bash -e\nfor b in other tool; do\n  wget -O \"/usr/local/bin/$b\" \"https://x/$b\"\ndone\n",
        &[HazardKind::TruncatesTarget],
    ),
];

#[test]
fn pass_scripts_have_no_hazards() {
    for s in PASS {
        assert_eq!(hazards(s), [], "{s}");
    }
}

#[test]
fn fail_scripts_report_exactly_their_hazards() {
    for (s, expected) in FAIL {
        assert_eq!(&hazards(s), expected, "{s}");
    }
}

#[test]
fn errexit_forms() {
    for (s, on) in [
        ("set -e\n", true),
        ("set -eu\n", true),
        ("set -euo pipefail\n", true),
        ("set -Eeuxo pipefail\n", true),
        ("set -o errexit\n", true),
        ("#!/bin/bash -e\necho\n", true),
        ("#!/bin/sh -ex\n", true),
        ("set -u\n", false),
        ("#!/bin/bash\n# set -e\n", false),
        ("echo 'set -e'\n", false),
        ("set -e\nset +e\n", false),
        ("set -o nounset\n", false),
    ] {
        assert_eq!(analyze(s, TemplateKind::Plain).errexit, on, "{s:?}");
    }
    assert!(analyze("set -euo pipefail\n", TemplateKind::Plain).pipefail);
    assert!(!analyze("set -eu\n", TemplateKind::Plain).pipefail);
}

fn fixture(name: &str) -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/analysis/scripts")
        .join(name);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[test]
fn incident_deploy_master_resolves_the_loop_and_orders_stops_first() {
    let text = fixture("deploy-master.bash");
    let r = analyze(&text, TemplateKind::Plain);
    assert!(r.errexit);
    let stops: Vec<&str> = r
        .stops_services()
        .iter()
        .map(|a| a.service.as_str())
        .collect();
    assert_eq!(
        stops,
        ["kube-apiserver", "controller-manager", "kube-scheduler"]
    );
    let starts = r
        .service_actions
        .iter()
        .filter(|a| a.verb == ServiceVerb::Start)
        .count();
    assert_eq!(starts, 3);
    let targets: Vec<String> = r
        .downloads
        .iter()
        .map(|d| match &d.target {
            Target::File(p) => p.text.clone(),
            other => format!("{other:?}"),
        })
        .collect();
    assert_eq!(
        targets,
        [
            "/usr/local/bin/kube-apiserver",
            "/usr/local/bin/kube-controller-manager",
            "/usr/local/bin/kube-scheduler",
            "/usr/local/bin/kubectl"
        ]
    );
    let d = &r.downloads[0];
    assert_eq!(d.tool, Tool::Wget);
    assert!(d.fails_on_http_error && d.damages_target_on_failure && d.direct_to_target);
    assert_eq!(d.on_failure, OnFailure::Stops);
    assert!(text[d.span.range()].starts_with("wget -O /usr/local/bin/$bin"));

    let paths = ["/usr/local/bin/kube-apiserver"];
    let h = r.hazards(Interest::Paths(&paths));
    let kinds: Vec<HazardKind> = h.iter().map(|h| h.kind).collect();
    assert_eq!(
        kinds,
        [
            HazardKind::TruncatesTarget,
            HazardKind::StopsServiceFirst,
            HazardKind::StopsServiceFirst,
            HazardKind::StopsServiceFirst
        ]
    );
    let related = h[1].related.map(|s| &text[s.range()]);
    assert_eq!(related, Some("service kube-apiserver stop"));
    // kubectl is not run by a service, but it is an executable path.
    let all = r.hazards(Interest::ExecutablePaths);
    assert!(all.iter().any(|h| h.path == "/usr/local/bin/kubectl"));
}

#[test]
fn incident_deploy_master_without_errexit_also_carries_on() {
    let text = fixture("deploy-master.bash").replace("\nset -e\n", "\n");
    let r = analyze(&text, TemplateKind::Plain);
    assert!(!r.errexit);
    let paths = ["/usr/local/bin/kube-apiserver"];
    let kinds: Vec<HazardKind> = r
        .hazards(Interest::Paths(&paths))
        .iter()
        .map(|h| h.kind)
        .collect();
    assert!(kinds.contains(&HazardKind::NoErrexit));
    assert!(kinds.contains(&HazardKind::TruncatesTarget));
}

#[test]
fn verified_fetch_is_the_safe_idiom() {
    let text = fixture("fetch-verified.sh");
    let r = analyze(&text, TemplateKind::Plain);
    assert!(r.errexit && r.pipefail);
    assert_eq!(
        r.downloads.len(),
        1,
        "the comment mentioning wget is not a download"
    );
    let d = &r.downloads[0];
    assert!(!d.direct_to_target && d.checksum_verified && d.fails_on_http_error);
    assert_eq!(d.final_paths[0].text, "/usr/local/bin/kube-apiserver");
    assert_eq!(r.moves[0].tool, "install");
    let paths = ["/usr/local/bin/kube-apiserver"];
    assert_eq!(r.hazards(Interest::Paths(&paths)), []);
}

#[test]
fn fetch_worker_with_or_true_and_braced_loop_variable() {
    let r = analyze(&fixture("fetch-worker.bash"), TemplateKind::Plain);
    let paths = ["/usr/local/bin/kubelet"];
    let kinds: Vec<HazardKind> = r
        .hazards(Interest::Paths(&paths))
        .iter()
        .map(|h| h.kind)
        .collect();
    assert_eq!(
        kinds,
        [HazardKind::ErrorPageOnTarget, HazardKind::FailureIgnored]
    );
}

#[test]
fn unresolved_variables_match_loosely_and_say_so() {
    let r = analyze(
        "set -e\nwget -O /usr/local/bin/$NAME \"$URL\"\n",
        TemplateKind::Plain,
    );
    let paths = [BIN];
    let h = r.hazards(Interest::Paths(&paths));
    assert_eq!(h.len(), 1);
    assert!(!h[0].exact);
    assert_eq!(h[0].path, "/usr/local/bin/$NAME");
    // A variable does not cross a `/`.
    let r = analyze("set -e\nwget -O /usr/$X/tool u\n", TemplateKind::Plain);
    assert_eq!(r.hazards(Interest::Paths(&paths)), []);
}

#[test]
fn templates_and_exec_command_strings() {
    let erb = "#!/bin/bash\n<% if @strict -%>\nset -e\n<% end -%>\nwget -O <%= @dest %>/tool <%= @url %>\n";
    let r = analyze(erb, TemplateKind::Erb);
    assert_eq!(r.downloads.len(), 1);
    match &r.downloads[0].target {
        Target::File(p) => assert!(!p.exact && p.text.starts_with('…')),
        other => panic!("{other:?}"),
    }
    let paths = ["/usr/local/bin/tool"];
    let h = r.hazards(Interest::Paths(&paths));
    assert_eq!(h.len(), 1, "`<%= @dest %>/tool` may be the path: {h:?}");
    assert!(!h[0].exact);
    let other = ["/usr/local/bin/other"];
    assert_eq!(r.hazards(Interest::Paths(&other)), []);
    // An exec command string is a one-line script.
    let cmd =
        "/usr/bin/wget -q -O /usr/local/bin/tool http://x/tool && chmod +x /usr/local/bin/tool";
    let r = analyze(cmd, TemplateKind::Plain);
    assert_eq!(r.downloads.len(), 1);
    assert_eq!(r.downloads[0].on_failure, OnFailure::Handled);
    assert_eq!(
        hazards(cmd),
        [HazardKind::TruncatesTarget],
        "in place, even though the status is tested"
    );
}

#[test]
fn broken_scripts_do_not_panic() {
    for s in [
        "wget -O '/usr/local/bin/tool",
        "for x in; do done",
        "$(",
        "curl -o",
        "wget -O",
        "mv",
        "systemctl stop",
        ")))",
        "case $x in a) wget -O /usr/local/bin/tool u;; esac",
        "f() { wget -O /usr/local/bin/tool u; }",
        "<<",
        "\\",
        "${",
        "x=`",
    ] {
        let r = analyze(s, TemplateKind::Plain);
        let _ = r.hazards(Interest::ExecutablePaths);
    }
    let r = analyze(
        "case $x in a) wget -O /usr/local/bin/tool u;; esac",
        TemplateKind::Plain,
    );
    assert_eq!(r.downloads.len(), 1);
}

#[test]
fn first_run_fetch_with_errexit_still_truncates_in_place() {
    let r = analyze(&fixture("fetch-first-run.bash"), TemplateKind::Plain);
    assert!(r.errexit, "`set -o nounset` after `set -e` keeps errexit");
    let paths = ["/usr/local/bin/kubelet", "/usr/local/bin/kube-proxy"];
    let h = r.hazards(Interest::Paths(&paths));
    let got: Vec<(HazardKind, &str)> = h.iter().map(|h| (h.kind, h.path.as_str())).collect();
    assert_eq!(
        got,
        [
            (HazardKind::TruncatesTarget, "/usr/local/bin/kubelet"),
            (HazardKind::TruncatesTarget, "/usr/local/bin/kube-proxy")
        ]
    );
    // The URL is built from unresolved positional parameters; the target is still exact.
    assert!(h.iter().all(|h| h.exact));
}

/// What a script runs by absolute path, with whether it runs it only on a condition.
fn runs(script: &str) -> Vec<(String, bool)> {
    analyze(script, TemplateKind::Plain)
        .runs
        .into_iter()
        .map(|r| (r.path, r.conditional))
        .collect()
}

#[test]
fn commands_in_if_and_case_branches_run_on_a_condition() {
    let s = |p: &str, c: bool| (p.to_owned(), c);
    // Top level, before and after the statements: unconditional.
    assert_eq!(
        runs("#!/bin/sh\n/usr/bin/a\nif [ -f /etc/x ]; then\n  /usr/bin/b\nelse\n  /usr/bin/c\nfi\nexec /usr/bin/d\n"),
        [s("/usr/bin/a", false), s("/usr/bin/b", true), s("/usr/bin/c", true), s("/usr/bin/d", false)]
    );
    // A case over the script's argument, on several lines and on one.
    assert_eq!(
        runs("case \"$1\" in\n  start)\n    exec /usr/bin/a\n    ;;\n  *)\n    /usr/bin/b\n    ;;\nesac\n/usr/bin/c\n"),
        [s("/usr/bin/a", true), s("/usr/bin/b", true), s("/usr/bin/c", false)]
    );
    assert_eq!(
        runs("case $1 in start) /usr/bin/a ;; esac\n/usr/bin/b\n"),
        [s("/usr/bin/a", true), s("/usr/bin/b", false)]
    );
    // Nested: the outer statement's end, not the inner one's, ends the branch.
    assert_eq!(
        runs("if true; then\n  if false; then /usr/bin/a; fi\n  /usr/bin/b\nfi\n/usr/bin/c\n"),
        [
            s("/usr/bin/a", true),
            s("/usr/bin/b", true),
            s("/usr/bin/c", false)
        ]
    );
}
