//! ## What it does
//!
//! Reads the shell scripts the repository ships (`source`, `content => file()`/`template()`)
//! and `exec` commands that install binaries, and flags scripts that run without
//! `set -e` (or `set -o errexit`), and downloads that write straight to an executable
//! path with `wget -O` or with `curl -o` and no `-f`.
//!
//! ## Why is this bad?
//!
//! `wget -O target URL` truncates the target to 0 bytes before a failed download and
//! exits non-zero; without `set -e` the script carries on. `curl -o target URL` without
//! `-f` writes the server's error page into the target and exits 0. In both cases the
//! binary a service runs is destroyed in place, and the failure surfaces only at the next
//! restart.
//!
//! ## Example
//!
//! ```bash
//! #!/bin/bash
//! service kube-apiserver stop
//! wget -O /usr/local/bin/kube-apiserver "$URL/$VERSION/kube-apiserver"
//! service kube-apiserver start
//! ```
//!
//! ## Use instead
//!
//! ```bash
//! #!/bin/bash
//! set -euo pipefail
//! tmp=$(mktemp)
//! curl -fsSL -o "$tmp" "$URL/$VERSION/kube-apiserver"
//! echo "$SHA256  $tmp" | sha256sum -c -
//! install -m 0755 "$tmp" /usr/local/bin/kube-apiserver
//! ```
//!
//! Better still, let Puppet download it: `file { … source => 'https://…',
//! checksum => 'sha256', checksum_value => … }` writes atomically and verifies.
//!
//! ## Exceptions
//!
//! Scripts that download to a temporary file and move it into place, or that verify a
//! checksum before installing; these idioms are recognised, so a finding on them is a
//! bug worth reporting.
//!
//! ## References
//!
//! - `wget(1)` `-O`, `curl(1)` `-f`/`--fail`, `bash(1)` `set -e`.
//! - Puppet `file` type: `checksum_value`.

use crate::analysis::shell::HazardKind;
use crate::ast::Span;
use crate::diagnostic::{Finding, Location, Related, Severity, Side};
use crate::model::ResId;

use super::common::related;
use super::registry::{Kind, Rule};
use super::services::{at_service, is_touched, script_hazards, scripts, service_paths};
use super::{finding, Context};

pub const NAME: &str = "deploy-script-unsafe";

/// This rule's row of the registry (`registry.rs` lists the rows in order).
pub(crate) static RULE: Rule = Rule {
    name: NAME,
    default_severity: Severity::Warning,
    summary: "a shell script used for binaries without `set -e`, or writing an executable with `wget -O`/`curl -o` without `-f`",
    kind: Kind::Check,
    check: Some(check),
    source: include_str!("deploy_script_unsafe.rs"),
};

pub fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    let rule = &RULE;
    let m = cx.after;
    let runs = service_paths(m);
    for script in scripts(m, Side::After, &cx.change.after.tree) {
        if !is_touched(cx, script.res) {
            continue;
        }
        let report = script.analyze();
        let hazards = script_hazards(m, &report);
        // One finding per download command (a loop downloads several paths at once).
        let mut spans: Vec<Span> = hazards.iter().map(|h| h.span).collect();
        spans.sort_by_key(|s| (s.start, s.end));
        spans.dedup();
        for span in spans {
            let group: Vec<_> = hazards.iter().filter(|h| h.span == span).collect();
            let mut paths: Vec<&str> = Vec::new();
            let mut kinds: Vec<HazardKind> = Vec::new();
            let mut stops: Vec<(&str, Span)> = Vec::new();
            for h in &group {
                if !paths.contains(&h.path.as_str()) {
                    paths.push(&h.path);
                }
                if !kinds.contains(&h.kind) {
                    kinds.push(h.kind);
                }
                if let (Some(svc), Some(at)) = (&h.service, h.related) {
                    if !stops.iter().any(|(s, _)| s == svc) {
                        stops.push((svc, at));
                    }
                }
            }
            let tool = report
                .downloads
                .iter()
                .find(|d| d.span == span)
                .map_or("the download", |d| d.tool.name());
            let mut services: Vec<ResId> = Vec::new();
            for (p, s) in &runs {
                if paths.contains(&p.as_str()) && !services.contains(s) {
                    services.push(*s);
                }
            }
            let mut problems: Vec<String> = Vec::new();
            for k in &kinds {
                problems.push(match k {
                    HazardKind::TruncatesTarget => format!(
                        "`{tool}` writes straight onto the file, so a failed download leaves it \
                         truncated (0 bytes)"
                    ),
                    HazardKind::ErrorPageOnTarget => "`curl` without `-f` saves an HTTP error \
                         page as the file and exits 0"
                        .to_string(),
                    HazardKind::MovesFailedDownload => {
                        "a failed download to the temporary file is \
                         still moved into place"
                            .to_string()
                    }
                    HazardKind::NoErrexit => format!(
                        "the script has no `set -e` and does not test `{tool}`, so it carries on \
                         after a failure"
                    ),
                    HazardKind::FailureIgnored => {
                        "the download's failure is explicitly ignored".to_string()
                    }
                    HazardKind::StopsServiceFirst => {
                        let names: Vec<&str> = stops.iter().map(|(s, _)| *s).collect();
                        format!(
                            "it stops {} before downloading, so a failure leaves {} down or \
                             starts {} on a broken file",
                            names.join(", "),
                            if names.len() == 1 { "it" } else { "them" },
                            if names.len() == 1 { "it" } else { "them" },
                        )
                    }
                });
            }
            let run_by = if services.is_empty() {
                String::new()
            } else {
                let names: Vec<String> = services.iter().map(|&s| m.get(s).display_ref()).collect();
                format!(" (run by {})", names.join(", "))
            };
            let mut f = finding(
                rule,
                script.location(Side::After, span),
                format!(
                    "{} writes {}{run_by} unsafely: {}",
                    script.name(m),
                    paths.join(", "),
                    problems.join("; ")
                ),
            );
            f.help = Some(
                "start the script with `set -euo pipefail`, download to a temporary file \
                 (`mktemp`) with `curl -fsSL -o` (or check wget's status), verify it \
                 (`sha256sum -c`), then `install -m 0755` it into place, and stop the service \
                 only after that; better, let Puppet deploy the binary (`file { …: source => \
                 'https://…', checksum => 'sha256', checksum_value => … }`)"
                    .to_string(),
            );
            if script.inline.is_none() {
                f.related.push(related(
                    m,
                    Side::After,
                    script.res,
                    "the script is deployed here".to_string(),
                ));
                for (svc, at) in &stops {
                    f.related.push(Related {
                        location: script.location(Side::After, *at),
                        message: format!("`{svc}` is stopped here, before the download"),
                    });
                }
            }
            for &s in &services {
                let loc: Location = at_service(m, Side::After, s);
                let its: Vec<&str> = runs
                    .iter()
                    .filter(|(p, x)| *x == s && paths.contains(&p.as_str()))
                    .map(|(p, _)| p.as_str())
                    .collect();
                f.related.push(Related {
                    location: loc,
                    message: format!("{} runs {}", m.get(s).display_ref(), its.join(", ")),
                });
            }
            f.resource = Some(m.get(script.res).into());
            out.push(f);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::*;

    const SCRIPT: &str = "modules/demo/files/deploy.sh";
    const MANIFEST: &str = "class demo {\n  file { '/usr/local/sbin/deploy':\n    source => 'puppet:///modules/demo/deploy.sh',\n    mode   => '0555',\n  }\n  service { 'foo': ensure => running, binary => '/usr/local/bin/foo' }\n}\n";

    fn with_script(text: &str) -> Case {
        let mut c = Case::default();
        c.after(SNIPPET_PATH, MANIFEST);
        c.after(SCRIPT, text);
        c
    }

    const PASS: &[&str] = &[
        // Download to a temporary file, verify, move into place.
        "#!/bin/bash\nset -euo pipefail\ntmp=$(mktemp)\ncurl -fsSL -o \"$tmp\" https://example.org/foo\necho \"$SUM  $tmp\" | sha256sum -c -\ninstall -m 0755 \"$tmp\" /usr/local/bin/foo\n",
        // The same with wget under errexit, moved with mv.
        "#!/bin/sh\nset -e\nwget -O /tmp/foo.new https://example.org/foo\nmv /tmp/foo.new /usr/local/bin/foo\n",
        // curl -f under set -e writes in place but fails cleanly.
        "#!/bin/bash\nset -e\ncurl -f -o /usr/local/bin/foo https://example.org/foo\n",
        // Not a shell script.
        "#!/usr/bin/python3\nimport os\nos.system('wget -O /usr/local/bin/foo x')\n",
        // Writes something that is not executable.
        "#!/bin/bash\nwget -O /etc/foo.conf https://example.org/foo.conf\n",
    ];

    /// Scripts and the line of the download each reports.
    const FAIL: &[(&str, &[u32])] = &[
        // wget -O onto the binary, no errexit.
        ("#!/bin/bash\nwget -O /usr/local/bin/foo $URL/foo\n", &[2]),
        // curl without -f onto the binary, even under set -e.
        ("#!/bin/bash\nset -e\ncurl -sS -o /usr/local/bin/foo $URL/foo\n", &[3]),
        // A redirection truncates the binary before curl runs.
        ("#!/bin/sh\nset -e\ncurl -fsS $URL/foo > /usr/local/bin/foo\n", &[3]),
        // A temporary file, but the failure is ignored and the file moved anyway.
        ("#!/bin/bash\nset -e\nwget -O /tmp/foo.new $URL/foo || true\nmv /tmp/foo.new /usr/local/bin/foo\n", &[3]),
    ];

    #[test]
    fn fail_snippets() {
        assert_fail_snippets(NAME, FAIL, with_script);
    }

    #[test]
    fn pass() {
        assert_pass_snippets(NAME, PASS, with_script);
    }

    #[test]
    fn fail() {
        // The 2016 deploy-master pattern.
        let text = "#!/bin/bash\nservice foo stop\nwget -O /usr/local/bin/foo $URL/foo\nservice foo start\n";
        let found = check_rule(NAME, &with_script(text));
        assert_eq!(found.len(), 1, "{found:#?}");
        let f = &found[0];
        assert_eq!(f.location.file, SCRIPT);
        assert_eq!(Case::line_of(text, f), 3);
        assert_eq!(
            f.resource.as_ref().map(ToString::to_string).as_deref(),
            Some("File['/usr/local/sbin/deploy']")
        );
        for part in [
            "writes /usr/local/bin/foo (run by Service['foo']) unsafely",
            "`wget` writes straight onto the file",
            "no `set -e`",
            "it stops foo before downloading",
        ] {
            assert!(f.message.contains(part), "{part:?} not in {}", f.message);
        }
        // Deployed here, stopped here, the service.
        assert_eq!(f.related.len(), 3, "{:#?}", f.related);

        // curl without -f onto an executable path.
        let text = "#!/bin/bash\nset -e\ncurl -o /usr/local/bin/bar https://example.org/bar\n";
        let found = check_rule(NAME, &with_script(text));
        assert_eq!(found.len(), 1, "{found:#?}");
        assert!(found[0].message.contains("`curl` without `-f`"));

        // An exec command.
        let src = "class demo {\n  exec { 'fetch':\n    command  => 'wget -O /usr/local/bin/baz https://example.org/baz',\n    provider => shell,\n    creates  => '/usr/local/bin/baz',\n  }\n}\n";
        let found = check_rule(NAME, &crate::rules::testing::after_only(src));
        assert_eq!(found.len(), 1, "{found:#?}");
        assert_eq!(Case::line_of(src, &found[0]), 3);
    }

    #[test]
    fn templates_and_literal_content() {
        // An ERB template: the finding points into the template, at the download.
        let tpl = "#!/bin/bash\n# <%= @comment %>\nwget -O /usr/local/bin/<%= @name %>-agent <%= @url %>\nwget -O /usr/local/bin/foo <%= @url %>/foo\n";
        let mut c = Case::default();
        c.after(SNIPPET_PATH, "class demo {\n  file { '/usr/local/sbin/fetch': content => template('demo/fetch.sh.erb'), mode => '0555' }\n}\n");
        c.after("modules/demo/templates/fetch.sh.erb", tpl);
        let found = check_rule(NAME, &c);
        let got: Vec<(String, u32)> = found
            .iter()
            .map(|f| (f.location.file.clone(), Case::line_of(tpl, f)))
            .collect();
        assert!(
            got.contains(&("modules/demo/templates/fetch.sh.erb".to_string(), 4)),
            "{found:#?}"
        );
        // Literal content (a heredoc): the finding points at the attribute.
        let src = "class demo {\n  file { '/usr/local/sbin/fetch':\n    mode    => '0555',\n    content => @(END),\n      #!/bin/sh\n      curl -o /usr/local/bin/foo https://example.org/foo\n      | END\n  }\n}\n";
        let found = check_rule(NAME, &crate::rules::testing::after_only(src));
        assert_eq!(found.len(), 1, "{found:#?}");
        assert_eq!(found[0].location.file, SNIPPET_PATH);
        assert!(found[0].message.contains("`curl` without `-f`"));
    }

    #[test]
    fn only_scripts_the_change_touches() {
        let text = "#!/bin/bash\nwget -O /usr/local/bin/foo $URL/foo\n";
        let mut c = with_script(text);
        c.before(SNIPPET_PATH, MANIFEST);
        c.before(SCRIPT, text);
        assert!(check_rule(NAME, &c).is_empty());
        // Editing the script counts.
        c.after(SCRIPT, &format!("{text}echo done\n"));
        assert_eq!(check_rule(NAME, &c).len(), 1);
    }
}
