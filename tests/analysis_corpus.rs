//! The analyzers against text nobody here wrote: the Debian puppet-module corpus
//! (`PREFLIGHT_CORPUS`) and the unit files and shell scripts installed on this machine.
//! Each part skips (with a note on stderr) when its directory is absent. Run with
//! `cargo test --test analysis_corpus -- --nocapture` to see the counts.

mod corpus_env;

use puppet_preflight::analysis::shell::{analyze, Interest};
use puppet_preflight::analysis::systemd::{parse_unit, ExecPath, ExecProblemKind};
use puppet_preflight::analysis::template::TemplateKind;
use std::path::Path;

#[derive(Default, Debug)]
struct UnitStats {
    files: usize,
    known: usize,
    partial: usize,
    unknown: usize,
    problems: usize,
    bare_names: usize,
}

fn unit_stats(root: &str, accept: impl Fn(&str) -> bool) -> Option<UnitStats> {
    let root = Path::new(root);
    if !root.is_dir() {
        eprintln!("skipping {}: not present", root.display());
        return None;
    }
    let mut st = UnitStats::default();
    for entry in walkdir::WalkDir::new(root).into_iter().flatten() {
        let name = entry.path().to_string_lossy().to_string();
        if !entry.file_type().is_file() || !accept(&name) {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(entry.path()) else {
            continue;
        };
        if !text.contains("ExecStart") {
            continue;
        }
        st.files += 1;
        let unit = parse_unit(&text, TemplateKind::from_path(&name));
        for c in unit.exec_commands() {
            match c.path {
                ExecPath::Known(_) => st.known += 1,
                ExecPath::Partial { .. } => st.partial += 1,
                ExecPath::Unknown => st.unknown += 1,
            }
        }
        for p in unit.validate(name.contains(".d/")) {
            if p.kind == ExecProblemKind::BareName {
                st.bare_names += 1;
            } else {
                eprintln!("{name}: {:?}: {}", p.kind, p.message);
                st.problems += 1;
            }
        }
    }
    Some(st)
}

#[test]
#[cfg_attr(
    not(preflight_corpus),
    ignore = "needs the Debian corpus: set PREFLIGHT_CORPUS"
)]
fn corpus_unit_templates() {
    let Some(corpus) = corpus_env::root("corpus_unit_templates") else {
        return;
    };
    let Some(st) = unit_stats(&corpus.to_string_lossy(), |n| {
        n.ends_with(".erb") || n.ends_with(".epp")
    }) else {
        return;
    };
    eprintln!("corpus unit templates: {st:?}");
    // The corpus has a handful of unit templates (4 with ExecStart when this was
    // written): every one must yield its commands, and none is invalid.
    assert!(st.files >= 1);
    assert!(st.known + st.partial + st.unknown >= st.files);
    assert_eq!(st.problems, 0);
}

#[test]
fn installed_unit_files() {
    for root in [
        "/lib/systemd/system",
        "/usr/lib/systemd/system",
        "/etc/systemd/system",
    ] {
        let Some(st) = unit_stats(root, |n| n.ends_with(".service") || n.ends_with(".conf")) else {
            continue;
        };
        eprintln!("{root}: {st:?}");
        // Units shipped by Debian load fine: apart from bare names (valid since systemd
        // 239, and used by systemd's own units) nothing may be reported.
        assert_eq!(st.problems, 0, "{root}");
    }
}

fn is_shell_script(text: &str) -> bool {
    let first = text.lines().next().unwrap_or("");
    first.starts_with("#!")
        && ["/sh", "/bash", "/dash", "env sh", "env bash"]
            .iter()
            .any(|s| first.contains(s))
}

#[test]
fn real_shell_scripts_do_not_fool_the_analyzer() {
    let mut files = 0;
    let mut downloads = 0;
    let mut hazards = 0;
    let mut lex_errors = 0;
    let corpus = corpus_env::root("real_shell_scripts_do_not_fool_the_analyzer (corpus part)");
    let corpus = corpus.map(|c| c.to_string_lossy().into_owned());
    let system = [
        "/usr/bin",
        "/usr/sbin",
        "/etc/init.d",
        "/usr/share",
        "/usr/lib",
    ];
    for root in corpus.iter().map(String::as_str).chain(system) {
        if !Path::new(root).is_dir() {
            eprintln!("skipping {root}: not present");
            continue;
        }
        for entry in walkdir::WalkDir::new(root).into_iter().flatten() {
            if !entry.file_type().is_file() {
                continue;
            }
            if entry.metadata().map(|m| m.len() > 1 << 20).unwrap_or(true) {
                continue;
            }
            let name = entry.path().to_string_lossy().to_string();
            let Ok(text) = std::fs::read_to_string(entry.path()) else {
                continue;
            };
            let kind = TemplateKind::from_path(&name);
            if !is_shell_script(&text) && !name.ends_with(".sh") {
                continue;
            }
            files += 1;
            let r = analyze(&text, kind);
            downloads += r.downloads.len();
            lex_errors += usize::from(!r.lex_errors.is_empty());
            for h in r.hazards(Interest::ExecutablePaths) {
                eprintln!("{name}: {:?} {}", h.kind, h.message);
                hazards += 1;
            }
        }
    }
    eprintln!(
        "shell scripts: {files}; downloads {downloads}; hazards on executable paths \
         {hazards}; files with lex errors {lex_errors}"
    );
}
