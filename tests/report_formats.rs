//! Format checks that need no network: SARIF against the 2.1.0 required fields (and what
//! GitHub code scanning needs), checkstyle and JUnit as well-formed XML with the expected
//! counts, Gerrit positions on a line with multi-byte and astral characters, GitHub
//! escaping, the JSON contract, exit codes.

#[path = "golden/incident.rs"]
mod incident;

use puppet_preflight::ast::Span;
use puppet_preflight::diagnostic::{Finding, Location, Severity, Side};
use puppet_preflight::report::gerrit::{self, GerritOptions};
use puppet_preflight::report::{
    checkstyle, exit_code, github, json, junit, sarif, ChangeReport, ChangedFile, ReportData,
    Sources,
};
use serde_json::Value;

// ---------------------------------------------------------------- a tiny XML checker

/// An element: name, attributes (unescaped), text content (unescaped).
type Element = (String, Vec<(String, String)>, String);

/// Checks well-formedness of the XML our reporters write (declaration, elements,
/// attributes in quotes, entity references, comments not used) and returns every element
/// as (name, attributes, text content).
fn parse_xml(s: &str) -> Vec<Element> {
    fn unescape(v: &str) -> String {
        let mut out = String::new();
        let mut rest = v;
        while let Some(i) = rest.find('&') {
            out.push_str(&rest[..i]);
            let end = rest[i..].find(';').expect("unterminated entity") + i;
            let ent = &rest[i + 1..end];
            out.push(match ent {
                "amp" => '&',
                "lt" => '<',
                "gt" => '>',
                "quot" => '"',
                "apos" => '\'',
                e if e.starts_with("#x") => {
                    char::from_u32(u32::from_str_radix(&e[2..], 16).unwrap()).unwrap()
                }
                e if e.starts_with('#') => char::from_u32(e[1..].parse().unwrap()).unwrap(),
                e => panic!("unknown entity &{e};"),
            });
            rest = &rest[end + 1..];
        }
        out.push_str(rest);
        assert!(
            !out.chars()
                .any(|c| (c as u32) < 0x20 && !"\t\n\r".contains(c)),
            "control char"
        );
        out
    }
    let s = s
        .strip_prefix("<?xml version=\"1.0\" encoding=\"UTF-8\"?>")
        .expect("XML declaration");
    let mut stack: Vec<usize> = Vec::new();
    let mut elements: Vec<Element> = Vec::new();
    let mut roots = 0;
    let mut rest = s;
    while !rest.is_empty() {
        let lt = rest.find('<').unwrap_or(rest.len());
        let text = &rest[..lt];
        assert!(!text.contains('>'), "stray > in text {text:?}");
        if let Some(&top) = stack.last() {
            elements[top].2.push_str(&unescape(text));
        } else {
            assert!(text.trim().is_empty(), "text outside the root: {text:?}");
        }
        rest = &rest[lt..];
        if rest.is_empty() {
            break;
        }
        let gt = rest.find('>').expect("unclosed tag");
        let tag = &rest[1..gt];
        rest = &rest[gt + 1..];
        if let Some(name) = tag.strip_prefix('/') {
            let open = stack.pop().expect("close without open");
            assert_eq!(elements[open].0, name, "mismatched close tag");
            continue;
        }
        let self_closing = tag.ends_with('/');
        let tag = tag.trim_end_matches('/');
        let mut parts = tag.splitn(2, char::is_whitespace);
        let name = parts.next().unwrap().to_string();
        assert!(
            !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_alphanumeric() || "-_:.".contains(c)),
            "bad name {name:?}"
        );
        let mut attrs = Vec::new();
        let mut a = parts.next().unwrap_or("").trim();
        while !a.is_empty() {
            let eq = a.find('=').expect("attribute without =");
            let key = a[..eq].trim().to_string();
            let after = &a[eq + 1..];
            assert!(after.starts_with('"'), "unquoted attribute {key}");
            let close = after[1..].find('"').expect("unterminated attribute") + 1;
            let raw = &after[1..close];
            assert!(!raw.contains('<'), "< in attribute");
            assert!(
                !attrs.iter().any(|(k, _)| *k == key),
                "duplicate attribute {key}"
            );
            attrs.push((key, unescape(raw)));
            a = after[close + 1..].trim_start();
        }
        if stack.is_empty() {
            roots += 1;
        }
        elements.push((name, attrs, String::new()));
        if !self_closing {
            stack.push(elements.len() - 1);
        }
    }
    assert!(stack.is_empty(), "unclosed elements");
    assert_eq!(roots, 1, "exactly one root element");
    elements
}

fn attr<'a>(e: &'a Element, k: &str) -> Option<&'a str> {
    e.1.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str())
}

fn count(els: &[Element], name: &str) -> usize {
    els.iter().filter(|e| e.0 == name).count()
}

#[test]
fn xml_checker_rejects_bad_xml() {
    for bad in [
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><a><b></a>",
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><a x=1/>",
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><a x=\"&nope;\"/>",
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><a/><b/>",
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><a>x > y</a>",
    ] {
        assert!(
            std::panic::catch_unwind(|| parse_xml(bad)).is_err(),
            "accepted {bad}"
        );
    }
}

// ---------------------------------------------------------------- checkstyle / JUnit

#[test]
fn checkstyle_is_well_formed_with_one_error_per_unsuppressed_finding() {
    let data = incident::report_data();
    let els = parse_xml(&checkstyle::render(&data));
    assert_eq!(els[0].0, "checkstyle");
    assert_eq!(count(&els, "file"), 1);
    assert_eq!(
        count(&els, "error"),
        2,
        "the suppressed finding is left out"
    );
    let errors: Vec<_> = els.iter().filter(|e| e.0 == "error").collect();
    assert_eq!(attr(errors[0], "line"), Some("9"));
    assert_eq!(attr(errors[0], "column"), Some("97"));
    assert_eq!(attr(errors[1], "severity"), Some("error"));
    assert_eq!(
        attr(errors[1], "source"),
        Some("puppet-preflight.service-binary-relinked")
    );
    assert!(attr(errors[1], "message")
        .unwrap()
        .starts_with("Service['kube-scheduler']"));
}

#[test]
fn junit_counts_match_cases_and_fail_level() {
    let mut data = incident::report_data();
    let els = parse_xml(&junit::render(&data));
    assert_eq!(count(&els, "testsuites"), 1);
    assert_eq!(count(&els, "testcase"), 3, "one per rule per file");
    assert_eq!(
        count(&els, "failure"),
        1,
        "only the error fails at --fail-level error"
    );
    assert_eq!(count(&els, "skipped"), 1, "the suppressed one is skipped");
    let root = &els[0];
    assert_eq!(attr(root, "tests"), Some("3"));
    assert_eq!(attr(root, "failures"), Some("1"));
    assert_eq!(attr(root, "skipped"), Some("1"));
    let failure = els.iter().find(|e| e.0 == "failure").unwrap();
    assert!(failure
        .2
        .contains("scheduler.pp:22:15: error: [service-binary-relinked]"));
    assert!(failure
        .2
        .contains("note: modules/k8s/templates/kube-scheduler.service.erb:6:"));

    data.fail_level = Some(Severity::Warning);
    let els = parse_xml(&junit::render(&data));
    assert_eq!(
        count(&els, "failure"),
        2,
        "at --fail-level warning the warning fails too"
    );
    data.fail_level = None;
    let els = parse_xml(&junit::render(&data));
    assert_eq!(count(&els, "failure"), 0, "--fail-level never");
}

#[test]
fn junit_clean_run_still_has_a_passing_test() {
    let mut ch = incident::change_report();
    ch.findings.clear();
    let data = ReportData::new(incident::RULES, vec![ch.clone()]);
    let els = parse_xml(&junit::render(&data));
    assert_eq!(count(&els, "testcase"), 1);
    assert_eq!(count(&els, "failure"), 0);
    let case = els.iter().find(|e| e.0 == "testcase").unwrap();
    assert_eq!(attr(case, "file"), Some(incident::SCHEDULER));
    // No changed files either: one generic passing case.
    ch.files.clear();
    let data = ReportData::new(incident::RULES, vec![ch]);
    let els = parse_xml(&junit::render(&data));
    assert_eq!(count(&els, "testcase"), 1);
    assert_eq!(attr(&els[0], "tests"), Some("1"));
}

#[test]
fn xml_escapes_hostile_messages() {
    let mut ch = incident::change_report();
    ch.findings[0].message = "a <b> & \"c\" 'd' \u{1} ]]> é😀".into();
    ch.findings[0].location.file = "modules/x&y/<z>.pp".into();
    let data = ReportData::new(incident::RULES, vec![ch]);
    for xml in [checkstyle::render(&data), junit::render(&data)] {
        let els = parse_xml(&xml);
        assert!(els.iter().any(|e| e
            .1
            .iter()
            .any(|(_, v)| v.contains("a <b> & \"c\" 'd' \u{FFFD} ]]> é😀"))));
    }
}

// ---------------------------------------------------------------- SARIF

fn require<'a>(v: &'a Value, path: &str, key: &str) -> &'a Value {
    v.get(key)
        .unwrap_or_else(|| panic!("{path}: required `{key}` missing"))
}

/// The required properties of SARIF 2.1.0 (sarif-schema-2.1.0.json) for every object we
/// emit, their types and enums, plus what GitHub code scanning documents as needed.
fn validate_sarif(log: &Value) {
    assert_eq!(require(log, "sarifLog", "version"), "2.1.0");
    let runs = require(log, "sarifLog", "runs")
        .as_array()
        .expect("runs is an array");
    assert!(!runs.is_empty());
    for run in runs {
        let driver = require(require(run, "run", "tool"), "tool", "driver");
        assert!(require(driver, "toolComponent", "name").is_string());
        let rules = driver["rules"]
            .as_array()
            .expect("GitHub needs driver.rules");
        let mut ids = std::collections::HashSet::new();
        for rule in rules {
            let id = require(rule, "reportingDescriptor", "id").as_str().unwrap();
            assert!(ids.insert(id), "duplicate rule id {id}");
            for msg in ["shortDescription", "fullDescription", "help"] {
                if let Some(m) = rule.get(msg) {
                    assert!(require(m, msg, "text").is_string(), "{msg}.text");
                }
            }
            assert!(
                rule["help"]["text"].is_string(),
                "GitHub needs help.text for {id}"
            );
            assert!(rule["shortDescription"]["text"].is_string());
            if let Some(level) = rule.pointer("/defaultConfiguration/level") {
                assert!(["none", "note", "warning", "error"].contains(&level.as_str().unwrap()));
            }
        }
        if let Some(kind) = run.get("columnKind") {
            assert!(["utf16CodeUnits", "unicodeCodePoints"].contains(&kind.as_str().unwrap()));
        }
        for result in run["results"].as_array().expect("results") {
            let message = require(result, "result", "message");
            assert!(message.get("text").is_some() || message.get("id").is_some());
            let rule_id = result["ruleId"].as_str().expect("GitHub needs ruleId");
            if let Some(i) = result.get("ruleIndex") {
                assert_eq!(
                    rules[i.as_u64().unwrap() as usize]["id"],
                    rule_id,
                    "ruleIndex"
                );
            }
            assert!(
                ["none", "note", "warning", "error"].contains(&result["level"].as_str().unwrap())
            );
            let locations = result["locations"]
                .as_array()
                .expect("GitHub needs locations");
            assert!(!locations.is_empty() && locations.len() <= 10);
            let mut all = locations.clone();
            all.extend(
                result["relatedLocations"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default(),
            );
            for loc in &all {
                let phys = &loc["physicalLocation"];
                let uri = phys["artifactLocation"]["uri"]
                    .as_str()
                    .expect("artifactLocation.uri");
                assert!(
                    !uri.starts_with('/') && !uri.contains(' '),
                    "relative URI: {uri}"
                );
                let region = &phys["region"];
                let start_line = region["startLine"].as_u64().expect("startLine");
                assert!(start_line >= 1);
                for k in ["startColumn", "endLine", "endColumn"] {
                    if let Some(v) = region.get(k) {
                        assert!(v.as_u64().unwrap() >= 1, "{k} is 1-based");
                    }
                }
                if let (Some(el), Some(sc), Some(ec)) = (
                    region["endLine"].as_u64(),
                    region["startColumn"].as_u64(),
                    region["endColumn"].as_u64(),
                ) {
                    assert!(el >= start_line);
                    if el == start_line {
                        assert!(ec >= sc);
                    }
                }
            }
            if let Some(sups) = result.get("suppressions") {
                for s in sups.as_array().unwrap() {
                    assert!(["inSource", "external"].contains(&s["kind"].as_str().expect("kind")));
                }
            }
            if let Some(fp) = result.get("partialFingerprints") {
                assert!(fp.as_object().unwrap().values().all(Value::is_string));
            }
        }
    }
}

#[test]
fn sarif_has_the_required_fields() {
    let data = incident::report_data();
    let text = sarif::render(&data);
    let log: Value = serde_json::from_str(&text).unwrap();
    validate_sarif(&log);
    let results = log["runs"][0]["results"].as_array().unwrap();
    assert_eq!(
        results.len(),
        3,
        "suppressed findings are kept, with suppressions"
    );
    let suppressed: Vec<_> = results
        .iter()
        .filter(|r| r.get("suppressions").is_some())
        .collect();
    assert_eq!(suppressed.len(), 1);
    assert_eq!(suppressed[0]["ruleId"], "binary-without-backup");
    let rules = log["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    assert_eq!(
        rules.len(),
        incident::RULES.len(),
        "every enabled rule is described"
    );
    let link = &results[0]["locations"][0]["physicalLocation"]["region"];
    assert_eq!(
        (link["startLine"].as_u64(), link["startColumn"].as_u64()),
        (Some(9), Some(97))
    );
    assert_eq!(log["runs"][0]["columnKind"], "unicodeCodePoints");
}

#[test]
fn sarif_validator_catches_missing_fields() {
    let data = incident::report_data();
    let good = sarif::to_value(&data);
    for pointer in [
        "/version",
        "/runs/0/tool/driver/name",
        "/runs/0/results/0/message",
    ] {
        let mut bad = good.clone();
        let (parent, key) = pointer.rsplit_once('/').unwrap();
        bad.pointer_mut(parent)
            .unwrap()
            .as_object_mut()
            .unwrap()
            .remove(key);
        assert!(
            std::panic::catch_unwind(|| validate_sarif(&bad)).is_err(),
            "{pointer}"
        );
    }
}

#[test]
fn sarif_describes_rules_missing_from_the_registry() {
    let mut ch = incident::change_report();
    ch.findings[0].rule = "syntax-error";
    let data = ReportData::new(incident::RULES, vec![ch]);
    let log = sarif::to_value(&data);
    validate_sarif(&log);
}

// ---------------------------------------------------------------- Gerrit

/// Java's `String.substring(begin, end)` on a line: UTF-16 code unit indices.
fn java_substring(line: &str, begin: usize, end: usize) -> String {
    let units: Vec<u16> = line.encode_utf16().collect();
    String::from_utf16(&units[begin..end]).unwrap()
}

#[test]
fn gerrit_ranges_count_utf16_units_on_a_multibyte_line() {
    let data = incident::report_data();
    let review = gerrit::to_value(&data, &GerritOptions::default());
    let comments = review["comments"][incident::SCHEDULER].as_array().unwrap();
    let c = comments
        .iter()
        .find(|c| c["line"] == 9)
        .expect("comment on line 9");
    let line9 = incident::SCHEDULER_PP.lines().nth(8).unwrap();
    assert!(
        line9.contains('é') && line9.contains('😀'),
        "the fixture line is multi-byte"
    );
    let r = &c["range"];
    assert_eq!(r["start_line"], 9);
    assert_eq!(r["end_line"], 9);
    let (s, e) = (
        r["start_character"].as_u64().unwrap() as usize,
        r["end_character"].as_u64().unwrap() as usize,
    );
    assert_eq!(
        java_substring(line9, s, e),
        "'/usr/local/bin/kube-scheduler'"
    );
    // Characters (97 in the JSON's 1-based column) and UTF-16 units (97 0-based) differ
    // by the astral 😀 (two units): counting bytes or chars here would be off.
    assert_eq!(s, 97);
    assert_eq!(c["line"], r["end_line"], "line is the range's end line");
    assert_eq!(c["unresolved"], false, "a warning is a resolved comment");
}

#[test]
fn gerrit_body_has_tag_labels_and_notify() {
    let data = incident::report_data();
    let opts = GerritOptions {
        label: Some("Verified".into()),
        ..GerritOptions::default()
    };
    let review = gerrit::to_value(&data, &opts);
    assert_eq!(review["tag"], "autogenerated:puppet-preflight");
    assert_eq!(review["labels"]["Verified"], -1);
    assert_eq!(review["notify"], "OWNER");
    assert!(review.get("robot_comments").is_none());
    let error = &review["comments"][incident::SCHEDULER][0];
    assert_eq!(error["unresolved"], true);

    // Passing run: the pass vote, nobody notified, no label without --gerrit-label.
    let mut data = incident::report_data();
    data.fail_level = None;
    let review = gerrit::to_value(
        &data,
        &GerritOptions {
            vote_pass: 1,
            ..opts.clone()
        },
    );
    assert_eq!(review["labels"]["Verified"], 1);
    assert_eq!(review["notify"], "NONE");
    let review = gerrit::to_value(&data, &GerritOptions::default());
    assert!(review.get("labels").is_none());
}

#[test]
fn gerrit_message_links_the_full_report() {
    let data = incident::report_data();
    let url = "https://ci.example.org/job/puppet/42/artifact/log/puppet-preflight.html";
    let review = gerrit::to_value(
        &data,
        &GerritOptions {
            report_url: Some(url.into()),
            ..GerritOptions::default()
        },
    );
    let msg = review["message"].as_str().unwrap();
    assert!(
        msg.ends_with(&format!("drawn before and after: {url}")),
        "{msg}"
    );
    let review = gerrit::to_value(&data, &GerritOptions::default());
    assert!(!review["message"].as_str().unwrap().contains("full report"));
}

#[test]
fn gerrit_never_comments_on_files_outside_the_change() {
    let mut ch = incident::change_report();
    ch.files = vec![ChangedFile {
        path: "modules/other/manifests/init.pp".into(),
        old_path: None,
    }];
    let data = ReportData::new(incident::RULES, vec![ch]);
    let review = gerrit::to_value(&data, &GerritOptions::default());
    assert!(review["comments"].as_object().unwrap().is_empty());
    let msg = review["message"].as_str().unwrap();
    assert!(msg.contains("Not shown inline:"));
    assert!(msg.contains("modules/k8s/manifests/scheduler.pp:22: [error] service-binary-relinked"));
    assert!(msg.contains("modules/k8s/manifests/scheduler.pp:9: [warning] link-target-unmanaged"));
}

#[test]
fn gerrit_caps_comments_and_truncates_long_texts() {
    let mut ch = incident::change_report();
    ch.findings[1].message = "x".repeat(40_000);
    let data = ReportData::new(incident::RULES, vec![ch]);
    let review = gerrit::to_value(
        &data,
        &GerritOptions {
            max_comments: 1,
            ..GerritOptions::default()
        },
    );
    let comments = review["comments"][incident::SCHEDULER].as_array().unwrap();
    assert_eq!(comments.len(), 1, "capped");
    assert_eq!(comments[0]["line"], 22, "the error is kept inline first");
    let msg = review["message"].as_str().unwrap();
    assert!(msg.len() <= gerrit::COMMENT_SIZE_LIMIT && msg.ends_with("(truncated)"));

    let review = gerrit::to_value(&data, &GerritOptions::default());
    for c in review["comments"][incident::SCHEDULER].as_array().unwrap() {
        assert!(c["message"].as_str().unwrap().len() <= gerrit::COMMENT_SIZE_LIMIT);
    }
}

#[test]
fn gerrit_before_side_is_parent_and_renames_use_the_new_path() {
    let old = "modules/k8s/manifests/old_scheduler.pp";
    let text = "file { '/usr/bin/x':\n  ensure => absent,\n}\n";
    let mut sources = Sources::default();
    sources.insert(Side::Before, old, text);
    let ch = ChangeReport {
        base: "a".into(),
        head: "b".into(),
        files: vec![ChangedFile {
            path: incident::SCHEDULER.into(),
            old_path: Some(old.into()),
        }],
        findings: vec![Finding {
            rule: "service-binary-missing",
            severity: Severity::Error,
            location: Location {
                side: Side::Before,
                file: old.into(),
                span: Span::new(7, 18),
            },
            resource: None,
            message: "removed".into(),
            help: None,
            related: vec![],
            suppressed: None,
            preexisting: false,
        }],
        sources,
        ..ChangeReport::default()
    };
    let data = ReportData::new(&[], vec![ch]);
    let review = gerrit::to_value(&data, &GerritOptions::default());
    let c = &review["comments"][incident::SCHEDULER][0];
    assert_eq!(c["side"], "PARENT");
    assert_eq!(c["range"]["start_character"], 7);
    assert_eq!(c["range"]["end_character"], 18);
}

#[test]
fn gerrit_each_gives_one_review_per_commit() {
    let mut second = incident::change_report();
    second.base = second.head.clone();
    second.head = "c0ffee".into();
    second.findings.clear();
    let data = ReportData::new(incident::RULES, vec![incident::change_report(), second]);
    let v = gerrit::to_value(&data, &GerritOptions::default());
    let list = v.as_array().expect("an array with --each");
    assert_eq!(list.len(), 2);
    assert_eq!(list[1]["revision"], "c0ffee");
    assert_eq!(list[1]["review"]["notify"], "NONE");
}

// ---------------------------------------------------------------- GitHub

#[test]
fn github_annotations_escape_data_and_properties() {
    let mut ch = incident::change_report();
    ch.findings[0].message = "50% done\nnext: line, more".into();
    ch.findings[0].location.file = "modules/a,b/c:d.pp".into();
    ch.sources
        .insert(Side::After, "modules/a,b/c:d.pp", incident::SCHEDULER_PP);
    let data = ReportData::new(incident::RULES, vec![ch]);
    let out = github::render(&data);
    let line = out.lines().find(|l| l.starts_with("::error")).unwrap();
    assert!(line.starts_with("::error file=modules/a%2Cb/c%3Ad.pp,line=22,col=15,endLine=22,endColumn=31,title=puppet-preflight service-binary-relinked::"), "{line}");
    assert!(
        line.contains("::50%25 done%0Anext: line, more%0A"),
        "{line}"
    );
    assert_eq!(
        out.lines().count(),
        3,
        "two annotations and the summary notice"
    );
}

// ---------------------------------------------------------------- JSON contract

#[test]
fn json_follows_the_contract() {
    let data = incident::report_data();
    let v: Value = serde_json::from_str(&json::render(&data)).unwrap();
    assert_eq!(v["tool"]["name"], "puppet-preflight");
    assert_eq!(v["base"], "3f2a9c1d0b7e");
    assert_eq!(v["head"], "8d41c6e2a905");
    let findings = v["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 3);
    for f in findings {
        for k in [
            "rule",
            "severity",
            "file",
            "line",
            "column",
            "end_line",
            "end_column",
            "resource",
            "message",
            "help",
            "related",
        ] {
            assert!(f.get(k).is_some(), "finding lacks {k}");
        }
        for r in f["related"].as_array().unwrap() {
            for k in ["file", "line", "message"] {
                assert!(r.get(k).is_some(), "related lacks {k}");
            }
        }
    }
    let service = findings
        .iter()
        .find(|f| f["rule"] == "service-binary-relinked")
        .unwrap();
    assert_eq!(
        (service["line"].as_u64(), service["column"].as_u64()),
        (Some(22), Some(15))
    );
    assert_eq!(
        (service["end_line"].as_u64(), service["end_column"].as_u64()),
        (Some(22), Some(31))
    );
    assert_eq!(service["resource"], "Service['kube-scheduler']");
    assert!(service.get("suppressed").is_none());
    let sup = findings
        .iter()
        .find(|f| f["rule"] == "binary-without-backup")
        .unwrap();
    assert_eq!(
        sup["suppressed"],
        "deployed by scap, which keeps its own copy"
    );
    let s = &v["summary"];
    assert_eq!(
        (
            s["files_changed"].as_u64(),
            s["manifests_parsed"].as_u64(),
            s["errors"].as_u64(),
            s["warnings"].as_u64(),
            s["infos"].as_u64(),
            s["suppressed"].as_u64()
        ),
        (Some(1), Some(3359), Some(1), Some(1), Some(0), Some(1))
    );
}

#[test]
fn json_each_names_commits() {
    let mut second = incident::change_report();
    second.base = "8d41c6e2a905".into();
    second.head = "c0ffee".into();
    let data = ReportData::new(incident::RULES, vec![incident::change_report(), second]);
    let v: Value = serde_json::from_str(&json::render(&data)).unwrap();
    assert_eq!(v["base"], "3f2a9c1d0b7e");
    assert_eq!(v["head"], "c0ffee");
    assert_eq!(v["commits"].as_array().unwrap().len(), 2);
    assert_eq!(v["findings"].as_array().unwrap().len(), 6);
    assert_eq!(v["findings"][5]["commit"], "c0ffee");
    assert_eq!(v["summary"]["errors"], 2);
    assert_eq!(
        v["summary"]["files_changed"], 1,
        "the same file in two commits counts once"
    );
}

// ---------------------------------------------------------------- exit codes

#[test]
fn exit_codes_follow_the_fail_level() {
    let data = incident::report_data();
    assert_eq!(exit_code(&data, Some(Severity::Error)), 1);
    assert_eq!(exit_code(&data, Some(Severity::Warning)), 1);
    assert_eq!(exit_code(&data, None), 0, "never");

    // Only the warning and the suppressed warning left: passes at error, fails at warning.
    let mut ch = incident::change_report();
    ch.findings.retain(|f| f.severity == Severity::Warning);
    let data = ReportData::new(incident::RULES, vec![ch.clone()]);
    assert_eq!(exit_code(&data, Some(Severity::Error)), 0);
    assert_eq!(exit_code(&data, Some(Severity::Warning)), 1);
    assert_eq!(exit_code(&data, Some(Severity::Info)), 1);

    // A suppressed error never fails.
    ch.findings.retain(|f| f.suppressed.is_some());
    ch.findings[0].severity = Severity::Error;
    let data = ReportData::new(incident::RULES, vec![ch]);
    assert_eq!(exit_code(&data, Some(Severity::Info)), 0);
}

#[test]
fn junit_with_no_change_at_all_has_one_passing_test() {
    let data = ReportData::new(incident::RULES, vec![]);
    let els = parse_xml(&junit::render(&data));
    assert_eq!(count(&els, "testsuite"), 1);
    assert_eq!(count(&els, "testcase"), 1);
    assert_eq!(attr(&els[0], "tests"), Some("1"));
}

#[test]
fn human_colour_only_when_asked() {
    use puppet_preflight::report::human::{render, HumanOptions};
    let data = incident::report_data();
    let plain = render(
        &data,
        HumanOptions {
            color: false,
            summary: false,
            ..HumanOptions::default()
        },
    );
    assert!(!plain.contains('\u{1b}'));
    let coloured = render(
        &data,
        HumanOptions {
            color: true,
            summary: false,
            ..HumanOptions::default()
        },
    );
    assert!(coloured.contains('\u{1b}'));
    // The summary section appears only with --summary.
    assert!(!plain.contains("What this change does on the hosts"));
    let with = render(
        &data,
        HumanOptions {
            color: false,
            summary: true,
            ..HumanOptions::default()
        },
    );
    assert!(with
        .contains("  - link re-pointed: /usr/bin/kube-scheduler -> /usr/local/bin/kube-scheduler"));
    // --quiet: the findings only, no configuration or summary line.
    let quiet = render(
        &data,
        HumanOptions {
            quiet: true,
            ..HumanOptions::default()
        },
    );
    assert!(plain.contains("puppet-preflight: 1 error") && plain.contains("configuration: "));
    assert!(!quiet.contains("puppet-preflight: 1 error") && !quiet.contains("configuration: "));
    assert!(quiet.contains("service-binary-relinked"));
    assert!(with.ends_with("puppet-preflight: 1 error, 1 warning (1 suppressed); 1 file changed, 3359 manifests parsed\n"));
    // Suppressed findings are not shown, only counted.
    assert!(!plain.contains("binary-without-backup"));
    // Messages and help are never wrapped, so paths in them stay whole.
    for f in &incident::findings()[..2] {
        assert!(plain.contains(&f.message), "{}", f.message);
        assert!(plain.contains(f.help.as_deref().unwrap()));
    }
}

#[test]
fn human_lists_related_places_in_other_files_and_missing_sources() {
    use puppet_preflight::report::human::{render, HumanOptions};
    let mut ch = incident::change_report();
    // Drop the unit file's text: its related note must still say where it is.
    let mut sources = Sources::default();
    sources.insert(Side::After, incident::SCHEDULER, incident::SCHEDULER_PP);
    ch.sources = sources;
    let data = ReportData::new(incident::RULES, vec![ch]);
    let out = render(&data, HumanOptions::default());
    assert!(out.contains("modules/k8s/templates/kube-scheduler.service.erb: the unit runs /usr/bin/kube-scheduler"), "{out}");
}

#[test]
fn one_line_formats_say_when_a_line_is_of_the_before_revision() {
    let old = "modules/k8s/manifests/old_scheduler.pp";
    let text = "file { '/usr/bin/x':\n  ensure => absent,\n}\n";
    let mut sources = Sources::default();
    sources.insert(Side::Before, old, text);
    let ch = ChangeReport {
        base: "a".into(),
        head: "b".into(),
        files: vec![ChangedFile {
            path: old.into(),
            old_path: None,
        }],
        findings: vec![Finding {
            rule: "service-binary-missing",
            severity: Severity::Error,
            location: Location {
                side: Side::Before,
                file: old.into(),
                span: Span::new(7, 18),
            },
            resource: None,
            message: "removed".into(),
            help: None,
            related: vec![],
            suppressed: None,
            preexisting: false,
        }],
        sources,
        ..ChangeReport::default()
    };
    let data = ReportData::new(&[], vec![ch]);
    let args = puppet_preflight::report::OutputArgs::default();
    use puppet_preflight::report::Format;
    for format in [Format::Junit, Format::Checkstyle, Format::Github] {
        let out = puppet_preflight::report::output::render(format, &data, &args, false);
        assert!(
            out.contains("removed (before the change)"),
            "{format:?} does not say the line is of the before revision:\n{out}"
        );
    }
}
