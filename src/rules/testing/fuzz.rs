//! The whole pipeline ([`run_case`]: model, change, every rule) over fuzzed deploy scripts
//! and unit files that a manifest deploys next to a service, so the rules' own code paths
//! over analyzer output are covered too (the analyzers alone are fuzzed in
//! `tests/analysis_fuzz.rs`). Nothing may panic, and every finding points into the file
//! it names.

use super::{run_case, Case, SNIPPET_PATH, UNIT_TEMPLATE};
use crate::config::Config;
use crate::diagnostic::Side;
use crate::rules::Selection;
use proptest::prelude::*;

const SCRIPT: &str = "modules/demo/files/deploy.sh";
const UNIT: &str = "modules/demo/files/foo.service";

/// Deploys the script (run by an exec that refreshes the service), a unit file from a
/// template and one from a module file, and the service.
const MANIFEST: &str = "class demo {\n  file { '/usr/local/sbin/deploy':\n    source => 'puppet:///modules/demo/deploy.sh',\n    mode   => '0755',\n  }\n  ~> exec { 'deploy': command => '/usr/local/sbin/deploy', refreshonly => true }\n  ~> service { 'foo': ensure => running }\n  file { '/lib/systemd/system/foo.service': content => template('demo/foo.service.erb') }\n  ~> Service['foo']\n  file { '/etc/systemd/system/bar.service': source => 'puppet:///modules/demo/foo.service' }\n  ~> service { 'bar': ensure => running }\n  file { '/usr/local/bin/foo': ensure => link, target => '/opt/foo/bin/foo' }\n}\n";

const BASE_SCRIPT: &str = "#!/bin/sh\nset -e\n";
const BASE_UNIT: &str = "[Service]\nExecStart=/usr/local/bin/foo\n";

const SHELL: &[&str] = &[
    "timeout",
    "timeout -k 5",
    "sudo -u",
    "sudo",
    "env -i X=1",
    "env",
    "command -v",
    "exec",
    "nice -n",
    "nohup",
    "ionice -c",
    "stdbuf -o",
    "wget -O /usr/local/bin/foo",
    "curl -o",
    "curl -fsSL -o /tmp/foo.new",
    "mv /tmp/foo.new /usr/local/bin/foo",
    "https://x/foo",
    "systemctl stop foo",
    "service foo stop",
    "sha256sum -c",
    "set -e",
    "set +e",
    "cd /opt",
    "if",
    "then",
    "fi",
    "for x in a b; do",
    "done",
    "&&",
    "||",
    ";",
    "|",
    "| tee",
    "\n",
    " ",
    "\\\n",
    "<<EOF\n",
    "\nEOF\n",
    "<<-'EOF'\n",
    "$(",
    "`",
    "'",
    "\"",
    "$x",
    "${x:-/tmp}",
    ">",
    "2>&1",
    "é",
    "✓",
    "😀",
    "<%= @x %>",
    "<%",
    "%>",
];

const UNIT_TOKENS: &[&str] = &[
    "[Service]\n",
    "[Unit]\n",
    "ExecStart=",
    "ExecStartPre=",
    "ExecStart=-@/bin/x",
    "+",
    "!",
    "!!",
    "-",
    "@",
    "/usr/local/bin/foo",
    "/opt/foo/bin/foo",
    "bin/foo",
    "%i",
    "%I",
    "%n",
    "%N",
    "%p",
    "%h",
    "%%",
    "%",
    "$FOO",
    "${FOO}",
    "'",
    "\"",
    "\\",
    "\\\n",
    ";",
    "&&",
    ">",
    "/bin/sh -c",
    "Type=oneshot\n",
    "EnvironmentFile=-/etc/default/%p\n",
    "\n",
    " ",
    "é",
    "✓",
    "😀",
    "<%= @x %>",
    "<%- if @a -%>\n",
    "<% end %>",
    "<%# c %>",
    "<%",
    "%>",
    "<%- |$a| -%>",
];

fn text(dict: &'static [&'static str], max: usize) -> impl Strategy<Value = String> {
    proptest::collection::vec(
        (
            proptest::sample::select(dict),
            proptest::sample::select(&["", " ", "\n", "é"][..]),
        ),
        0..max,
    )
    .prop_map(|v| v.into_iter().map(|(a, b)| format!("{a}{b}")).collect())
}

fn case(script: &str, unit: &str) -> Case {
    let mut c = Case::default();
    for (side, s, u) in [(true, BASE_SCRIPT, BASE_UNIT), (false, script, unit)] {
        let files = [
            (SNIPPET_PATH, MANIFEST),
            (SCRIPT, s),
            (UNIT, u),
            (UNIT_TEMPLATE, u),
        ];
        for (p, t) in files {
            if side {
                c.before(p, t);
            } else {
                c.after(p, t);
            }
        }
    }
    c
}

fn check(case: &Case) -> Result<(), TestCaseError> {
    let found = run_case(case, &Config::default(), &Selection::default());
    for f in &found {
        prop_assert!(f.rule != "internal-error", "{f:#?}");
        for loc in std::iter::once(&f.location).chain(f.related.iter().map(|r| &r.location)) {
            let files = match loc.side {
                Side::Before => &case.before,
                Side::After => &case.after,
            };
            if let Some(data) = files.get(&loc.file) {
                let text = String::from_utf8_lossy(data);
                prop_assert!(
                    text.get(loc.span.range()).is_some(),
                    "{}: span {:?} of {} is not a slice of it:\n{}",
                    f.rule,
                    loc.span,
                    loc.file,
                    case.after_text()
                );
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Half the cases keep a unit's and a script's skeleton, so the rules get past "no
    /// `ExecStart=`" and "no download" and judge what the fuzzed words do.
    #[test]
    fn pipeline_over_fuzzed_scripts_and_units(
        script in text(SHELL, 24),
        unit in text(UNIT_TOKENS, 24),
        skeleton in any::<bool>(),
    ) {
        let (script, unit) = if skeleton {
            (
                format!("#!/bin/bash\nservice foo stop\n{script} wget -O /usr/local/bin/foo x\n"),
                format!("[Service]\nExecStart={unit}\n"),
            )
        } else {
            (format!("#!/bin/bash\n{script}"), unit)
        };
        check(&case(&script, &unit))?;
    }
}

#[test]
fn pipeline_over_the_incident_script() {
    let script = "#!/bin/bash\nif command -v timeout >/dev/null; then timeout 5 foo; fi\nsudo -u\ntimeout -k 5\n";
    check(&case(script, BASE_UNIT)).expect("findings point into their files");
}

/// Every script and unit file at `HEAD` of the git directories in `PREFLIGHT_SEED_REPOS`
/// (colon-separated), whole and cut at seven lines (after the line, and after its first
/// word), deployed by [`MANIFEST`] through the whole pipeline. Unset: skipped (it says
/// so). `cargo test --lib pipeline_over_seed_files -- --nocapture` shows the counts.
#[test]
fn pipeline_over_seed_files() {
    let Ok(list) = std::env::var("PREFLIGHT_SEED_REPOS") else {
        eprintln!("pipeline_over_seed_files: skipped (set PREFLIGHT_SEED_REPOS)");
        return;
    };
    let mut texts: Vec<(String, String, bool)> = Vec::new();
    for dir in list.split(':').filter(|d| !d.is_empty()) {
        let repo = git2::Repository::open(dir).expect("a git directory");
        let tree = repo
            .head()
            .and_then(|h| h.peel_to_tree())
            .expect("a HEAD tree");
        let mut blobs = Vec::new();
        tree.walk(git2::TreeWalkMode::PreOrder, |root, e| {
            if e.kind() == Some(git2::ObjectType::Blob) {
                blobs.push((format!("{root}{}", e.name().unwrap_or("")), e.id()));
            }
            git2::TreeWalkResult::Ok
        })
        .expect("walk");
        for (path, id) in blobs {
            let Ok(blob) = repo.find_blob(id) else {
                continue;
            };
            let data = blob.content();
            if data.len() > 256 * 1024 || data.contains(&0) {
                continue;
            }
            let stem = path.trim_end_matches(".erb").trim_end_matches(".epp");
            let script = stem.ends_with(".sh") || data.starts_with(b"#!");
            let unit = [".service", ".socket", ".timer"]
                .iter()
                .any(|s| stem.ends_with(s));
            if script || unit {
                let text = String::from_utf8_lossy(data).into_owned();
                texts.push((format!("{dir}:{path}"), text, unit));
            }
        }
    }
    let start = std::time::Instant::now();
    let mut cases = 0;
    for (label, text, unit) in &texts {
        let lines: Vec<usize> = text.match_indices('\n').map(|(i, _)| i).collect();
        let mut variants = vec![text.as_str()];
        for k in 1..8 {
            if let Some(&cut) = lines.get(lines.len() * k / 8) {
                variants.push(&text[..cut]);
                // The same line cut after its first word.
                let line_start = text[..cut].rfind('\n').map_or(0, |p| p + 1);
                if let Some(sp) = text[line_start..cut].trim_start().find(' ') {
                    let indent =
                        text[line_start..cut].len() - text[line_start..cut].trim_start().len();
                    variants.push(&text[..line_start + indent + sp]);
                }
            }
        }
        for v in variants {
            cases += 1;
            let c = if *unit {
                case(BASE_SCRIPT, v)
            } else {
                case(v, BASE_UNIT)
            };
            if let Err(e) = check(&c) {
                panic!("{label} ({} bytes): {e}", v.len());
            }
        }
    }
    eprintln!(
        "pipeline over seeds: {} files, {cases} cases, {:.1}s",
        texts.len(),
        start.elapsed().as_secs_f64()
    );
}
