//! Every rule file is registered and documented with every heading.

use std::path::Path;

use puppet_preflight::rules::registry;

/// Files of `src/rules/` that are framework, not rules.
const NOT_RULES: &[&str] = &[
    "mod",
    "registry",
    "context",
    "selection",
    "testing",
    "common",
    "services",
    "executables",
    "guards",
    "hazard",
    "on_hosts",
];

#[test]
fn every_rule_file_is_registered_and_fully_documented() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/rules");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let Some(stem) = path.file_stem().and_then(|s| s.to_str()) else {
            continue;
        };
        if path.extension().and_then(|e| e.to_str()) != Some("rs") || NOT_RULES.contains(&stem) {
            continue;
        }
        seen += 1;
        let name = stem.replace('_', "-");
        let rule = registry::lookup(&name)
            .unwrap_or_else(|| panic!("{} is not in the registry as `{name}`", path.display()));
        let source = std::fs::read_to_string(&path).unwrap();
        let doc = registry::extract_doc(&source);
        assert_eq!(
            doc,
            rule.doc(),
            "{name}: registry doc differs from the file"
        );
        let missing = registry::missing_headings(&doc);
        assert!(missing.is_empty(), "{} lacks {missing:?}", path.display());
        // An example in Puppet (or the file format the rule reads) under "## Example".
        let example = doc.split("## Example").nth(1).unwrap_or("");
        assert!(
            example.contains("```"),
            "{name}: the Example section has no code block"
        );
    }
    assert_eq!(
        seen,
        registry::rules().len(),
        "a registered rule has no file"
    );
}

/// Tool rules (`incomplete-input`) report on the run itself, not on Puppet code: their
/// input is a repository that lacks objects, which a PASS/FAIL snippet (two in-memory
/// trees) cannot express. Their tests make real partial clones (tests/input_partial.rs).
#[test]
fn every_implemented_check_rule_has_pass_and_fail_snippets() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/rules");
    for rule in registry::rules()
        .iter()
        .filter(|r| r.check.is_some() && r.kind != registry::Kind::Tool)
    {
        let file = dir.join(format!("{}.rs", rule.name.replace('-', "_")));
        let source = std::fs::read_to_string(&file).unwrap();
        assert!(
            source.contains("const PASS") && source.contains("const FAIL"),
            "{} has no PASS/FAIL snippets",
            file.display()
        );
    }
}
