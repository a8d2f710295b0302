//! Golden (snapshot) tests: every format rendered from the incident scenario, compared
//! byte for byte with the committed files in tests/golden/. After an intended change,
//! regenerate with `UPDATE_GOLDEN=1 cargo test --test report_golden` and review the diff.

#[path = "golden/incident.rs"]
mod incident;

use std::path::PathBuf;

use puppet_preflight::report::output::render;
use puppet_preflight::report::{Format, OutputArgs, ReportData};

fn check(format: Format, file: &str, args: &OutputArgs) {
    compare(format, file, &incident::report_data(), args);
}

/// Render `data` as `format` and compare with tests/golden/`file` (or rewrite it).
fn compare(format: Format, file: &str, data: &ReportData, args: &OutputArgs) {
    let actual = render(format, data, args, false);
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(file);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, &actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (run with UPDATE_GOLDEN=1 to create it)",
            path.display()
        )
    });
    if actual != expected {
        panic!(
            "{} differs from the rendered output.\n--- expected\n{expected}\n--- actual\n{actual}",
            path.display()
        );
    }
}

fn args() -> OutputArgs {
    OutputArgs {
        summary: true,
        gerrit_label: Some("Verified".into()),
        ..OutputArgs::default()
    }
}

#[test]
fn html() {
    check(Format::Html, "incident.html", &args());
}

#[test]
fn dot() {
    check(Format::Dot, "incident.dot", &args());
}

#[test]
fn human() {
    check(Format::Human, "incident.human.txt", &args());
}

#[test]
fn human_without_summary() {
    check(
        Format::Human,
        "incident.human-nosummary.txt",
        &OutputArgs::default(),
    );
}

#[test]
fn json() {
    check(Format::Json, "incident.json", &args());
}

#[test]
fn sarif() {
    check(Format::Sarif, "incident.sarif", &args());
}

#[test]
fn checkstyle() {
    check(Format::Checkstyle, "incident.checkstyle.xml", &args());
}

#[test]
fn junit() {
    check(Format::Junit, "incident.junit.xml", &args());
}

#[test]
fn gerrit() {
    check(Format::Gerrit, "incident.gerrit.json", &args());
}

#[test]
fn github() {
    check(Format::Github, "incident.github.txt", &args());
}

/// `--each`: two commits, the second clean.
fn each_data() -> ReportData<'static> {
    let mut data = incident::report_data();
    let mut second = incident::change_report();
    second.base = second.head.clone();
    second.head = "c4a1e0f7b2d9".into();
    second.title = Some("k8s: add a README".into());
    second.findings.clear();
    second.effects.clear();
    second.files = vec![puppet_preflight::report::ChangedFile {
        path: "modules/k8s/README.md".into(),
        old_path: None,
    }];
    data.changes.push(second);
    data
}

#[test]
fn each_human() {
    compare(
        Format::Human,
        "incident-each.human.txt",
        &each_data(),
        &args(),
    );
}

#[test]
fn each_dot() {
    compare(Format::Dot, "incident-each.dot", &each_data(), &args());
}

#[test]
fn each_json() {
    compare(Format::Json, "incident-each.json", &each_data(), &args());
}

#[test]
fn each_junit() {
    compare(
        Format::Junit,
        "incident-each.junit.xml",
        &each_data(),
        &args(),
    );
}

/// Every snippet of `text` (a human report) is headed with a position inside it: the
/// header's line is one of the numbered lines drawn under it.
fn headers_inside_their_snippets(text: &str) -> usize {
    let lines: Vec<&str> = text.lines().collect();
    let mut checked = 0;
    for (i, l) in lines.iter().enumerate() {
        let Some(header) = l.split("╭─[").nth(1) else {
            continue;
        };
        let header = header.trim_end_matches(']');
        let mut parts = header.rsplitn(3, ':');
        let _column = parts.next();
        let line: u32 = parts
            .next()
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no line in {header}"));
        // The numbered lines of this snippet, up to its closing `╰────`.
        let numbers: Vec<u32> = lines[i + 1..]
            .iter()
            .take_while(|l| !l.contains("╰────"))
            .filter_map(|l| l.split('│').find_map(|part| part.trim().parse().ok()))
            .collect();
        assert!(
            numbers.contains(&line),
            "the snippet headed {header} shows lines {numbers:?}:\n{text}"
        );
        checked += 1;
    }
    checked
}

#[test]
fn every_snippet_is_headed_with_its_own_position() {
    let human = render(Format::Human, &incident::report_data(), &args(), false);
    let apiserver = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/rules6_golden/apiserver.human.txt"),
    )
    .unwrap();
    assert!(headers_inside_their_snippets(&human) >= 3);
    assert!(headers_inside_their_snippets(&apiserver) >= 6);
}
