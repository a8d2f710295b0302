//! The configuration file: what it accepts, and how it rejects what it does not.

use std::path::{Path, PathBuf};

use puppet_preflight::config::{Config, ConfigError, InvalidConfig, Level};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/config")
        .join(name)
}

fn invalid(text: &str) -> Box<InvalidConfig> {
    match Config::from_yaml("c.yaml", text) {
        Err(ConfigError::Invalid(e)) => e,
        other => panic!("expected an invalid-config error for {text:?}, got {other:?}"),
    }
}

/// The text the error's label points at.
fn labelled<'a>(text: &'a str, e: &InvalidConfig) -> &'a str {
    let span = e.span.expect("error has a span");
    &text[span.offset()..span.offset() + span.len()]
}

/// The error as a user sees it: miette's graphical report, no colour, fixed width.
fn render(e: &dyn miette::Diagnostic) -> String {
    let mut out = String::new();
    miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor())
        .with_width(100)
        .render_report(&mut out, e)
        .unwrap();
    out
}

#[test]
fn empty_and_comment_only_files_are_the_default() {
    for text in ["", "\n\n", "# nothing yet\n", "---\n# c\n...\n"] {
        assert_eq!(
            Config::from_yaml("c.yaml", text).unwrap(),
            Config::default()
        );
    }
    let d = Config::default();
    assert_eq!(d.puppet_version, None);
    assert!(!d.default_backup_enabled());
    assert_eq!(d.executable_dirs, vec!["bin", "sbin", "libexec"]);
}

#[test]
fn every_key_is_read() {
    let c = Config::from_file(&fixture("full.yaml")).unwrap();
    assert_eq!(
        c.modulepath.as_deref(),
        Some(
            &[
                "modules".to_string(),
                "vendor_modules".into(),
                "core_modules".into()
            ][..]
        )
    );
    assert_eq!(c.hieradata.as_deref(), Some(&["hieradata".to_string()][..]));
    assert_eq!(c.package_paths["kubernetes-master"].len(), 3);
    assert_eq!(
        c.service_binaries["kube-scheduler"],
        "/usr/bin/kube-scheduler"
    );
    assert_eq!(c.external_modules, vec!["secret", "passwords"]);
    assert_eq!(c.rules["link-target-unmanaged"], Level::Error);
    assert_eq!(c.rules["binary-without-backup"], Level::Off);
    assert_eq!(c.rules["unused-suppression"], Level::Warning);
    assert_eq!(c.puppet_version, Some(3));
    assert!(c.default_backup_enabled());
    // Helpers that interpret the lists.
    assert!(c.in_executable_dir("/usr/local/bin/tool"));
    assert!(c.in_executable_dir("/opt/tools/x"));
    assert!(!c.in_executable_dir("/opt/toolsets/x"));
    assert!(!c.in_executable_dir("/etc/bin.conf"));
    assert!(!c.in_executable_dir("/bin"));
    assert!(c.externally_managed("/srv/deployment/app/bin/app"));
    assert!(c.externally_managed("/var/lib/docker/x"));
    assert!(!c.externally_managed("/srv/deployment2/x"));
}

#[test]
fn modulepath_as_a_colon_string() {
    let c = Config::from_yaml("c.yaml", "modulepath: \"modules:site\"\n").unwrap();
    assert_eq!(c.modulepath.unwrap(), vec!["modules", "site"]);
}

#[test]
fn unknown_key_points_at_the_key_and_lists_valid_keys() {
    let text = std::fs::read_to_string(fixture("unknown-key.yaml")).unwrap();
    let e = invalid(&text);
    assert_eq!(e.message, "unknown key `external_prefix`");
    assert_eq!(labelled(&text, &e), "external_prefix");
    let help = e.help.clone().unwrap();
    assert!(help.contains("external_prefixes"), "{help}");
    assert!(help.contains("puppet_version"), "{help}");
    let shown = render(&*e);
    assert!(shown.contains("[c.yaml:3:1]"), "{shown}");
    assert!(shown.contains("unknown key"), "{shown}");
}

#[test]
fn non_ascii_text_before_the_error_is_labelled_correctly() {
    let text = "# configuration de l'équipe — ☃\nexternal_prefixes: [/srv/dépôt]\nclé: 1\n";
    let e = invalid(text);
    assert_eq!(e.message, "unknown key `clé`");
    assert_eq!(labelled(text, &e), "clé");
    let _ = render(&*e);
}

#[test]
fn unknown_rule_name_points_at_that_rule() {
    let text = "rules:\n  link-cycle: error\n  'link_cyle': off\n";
    let e = invalid(text);
    assert!(
        e.message
            .contains("unknown rule `link_cyle`; did you mean `link-cycle`?"),
        "{}",
        e.message
    );
    assert_eq!(labelled(text, &e), "'link_cyle'");
}

#[test]
fn wrong_types_and_values_are_errors() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "rules:\n  link-cycle: fatal\n",
            "fatal",
            "unknown variant `fatal`",
        ),
        (
            "puppet_version: seven\n",
            "seven",
            "invalid type: string \"seven\"",
        ),
        (
            "puppet_version: 12\n",
            "puppet_version",
            "not a Puppet major version",
        ),
        ("external_prefixes: /srv\n", "/srv", "expected a sequence"),
        (
            "package_paths:\n  foo: /usr/bin/x\n",
            "/usr/bin/x",
            "package_paths.foo",
        ),
        ("service_binaries: [a]\n", "[a", "service_binaries"),
        ("rules: 3\n", "3", "expected a map of rule name"),
    ];
    for &(text, at, msg) in cases {
        let e = invalid(text);
        assert!(e.message.contains(msg), "{text:?}: {}", e.message);
        assert_eq!(labelled(text, &e), at, "{text:?}");
        assert!(e.help.is_some(), "{text:?} has no help");
    }
}

#[test]
fn text_that_is_not_a_yaml_mapping_is_a_clear_error() {
    let e = invalid("just a sentence, not yaml\n");
    assert!(
        e.message.contains("expected struct Config"),
        "{}",
        e.message
    );
    assert!(e.help.as_deref().unwrap().contains("YAML mapping"));
    let e = invalid("- a\n- b\n");
    assert!(e.message.contains("invalid type: sequence"));
    // Broken YAML syntax.
    let text = "modulepath: [modules\nhieradata: x\n";
    let e = invalid(text);
    assert!(e.span.is_some());
    assert!(
        e.help.as_deref().unwrap().contains("not valid YAML"),
        "{:?}",
        e.help
    );
    // Tabs for indentation are a YAML error too.
    invalid("rules:\n\tlink-cycle: off\n");
}

#[test]
fn yaml_bombs_are_refused_quickly() {
    // Aliases are refused before serde_yaml expands anything: a clear error, at once.
    let start = std::time::Instant::now();
    let err = Config::from_file(&fixture("billion-laughs.yaml")).unwrap_err();
    assert!(start.elapsed().as_secs() < 2, "took {:?}", start.elapsed());
    let ConfigError::Invalid(e) = err else {
        panic!("{err:?}")
    };
    assert!(e.message.contains("aliases"), "{}", e.message);
    assert!(e.span.is_some() && e.help.is_some());
    // Deep nesting is refused without exhausting the stack.
    let deep = format!("modulepath: {}{}\n", "[".repeat(5_000), "]".repeat(5_000));
    let e = invalid(&deep);
    assert!(
        e.message.contains("recursion limit") || e.message.contains("invalid type"),
        "{}",
        e.message
    );
    assert!(e.help.is_some());
}

#[test]
fn aliases_are_refused_with_a_pointer_to_the_alias() {
    let text = "package_paths:\n  a: &bins [/usr/bin/x, /usr/bin/y]\n  b: *bins\n";
    let ConfigError::Invalid(e) = Config::from_yaml("c.yaml", text).unwrap_err() else {
        panic!("not an invalid-config error")
    };
    assert!(e.message.contains("aliases"), "{}", e.message);
    let span = e.span.expect("points at the alias");
    assert_eq!(&text[span.offset()..span.offset() + span.len()], "*bins");
    // An anchor alone, and `*` inside values, are fine.
    assert!(Config::from_yaml("c.yaml", "package_paths:\n  a: &bins [/usr/bin/x]\n").is_ok());
    assert!(Config::from_yaml("c.yaml", "external_prefixes: ['/srv/*']\n").is_ok());
}

#[test]
fn discovery() {
    let dir = tempfile::tempdir().unwrap();
    // No file: defaults.
    assert_eq!(
        Config::discover(Some(dir.path()), None, false).unwrap(),
        Config::default()
    );
    std::fs::write(
        dir.path().join(".puppet-preflight.yaml"),
        "puppet_version: 6\n",
    )
    .unwrap();
    assert_eq!(
        Config::discover(Some(dir.path()), None, false)
            .unwrap()
            .puppet_version,
        Some(6)
    );
    // --isolated ignores it.
    assert_eq!(
        Config::discover(Some(dir.path()), None, true).unwrap(),
        Config::default()
    );
    // --config wins over the root file.
    let other = dir.path().join("other.yaml");
    std::fs::write(&other, "puppet_version: 5\n").unwrap();
    assert_eq!(
        Config::discover(Some(dir.path()), Some(&other), false)
            .unwrap()
            .puppet_version,
        Some(5)
    );
    // --config naming a missing file is an error, not a silent default.
    let missing = dir.path().join("nope.yaml");
    let err = Config::discover(Some(dir.path()), Some(&missing), false).unwrap_err();
    assert!(matches!(err, ConfigError::Read { .. }), "{err:?}");
    assert!(err.to_string().contains("nope.yaml"));
    // Not UTF-8.
    std::fs::write(&other, b"puppet_version: \xff\n").unwrap();
    let err = Config::from_file(&other).unwrap_err();
    assert!(
        matches!(err, ConfigError::NotUtf8 { offset: 16, .. }),
        "{err:?}"
    );
    // A broken root file is an error too (never silently ignored).
    std::fs::write(dir.path().join(".puppet-preflight.yaml"), "bogus: 1\n").unwrap();
    assert!(Config::discover(Some(dir.path()), None, false).is_err());
}

#[test]
fn modulepath_from_environment_conf() {
    use puppet_preflight::input::{Blob, EntryKind, Tree, TreeEntry};
    use std::sync::Arc;
    let mut tree = Tree::default();
    let c = Config::default();
    assert_eq!(c.modulepath(&tree), vec!["modules"]);
    tree.files.insert(
        "environment.conf".into(),
        TreeEntry {
            kind: EntryKind::File,
            blob: Arc::new(Blob::new(None, Arc::<[u8]>::from(
                    &b"# WMF style\nmodulepath = modules:vendor_modules:core_modules:/etc/puppet/private/modules:$basemodulepath\n"[..],
                ))),
        },
    );
    assert_eq!(
        c.modulepath(&tree),
        vec!["modules", "vendor_modules", "core_modules"]
    );
    // The configuration wins over environment.conf.
    let c = Config::from_yaml("c.yaml", "modulepath: [site]\n").unwrap();
    assert_eq!(c.modulepath(&tree), vec!["site"]);
}
