//! The analyzers never panic, whatever the text, and every span they return is a slice of
//! it. Two kinds of input:
//!
//! * a character "soup" of the bytes that drive their lexers (quotes, escapes, template
//!   tags, operators, multi-byte text);
//! * dictionaries of real tokens per analyzer (`tests/fuzz_support`): shell wrappers
//!   complete and cut short (`timeout -k 5`, `sudo -u`, `command -v`), control flow,
//!   here-documents, continuations, substitutions; unit sections, `Exec*=` prefixes and
//!   specifiers; ERB/EPP tags; modes, sources, `ensure` words — glued with nothing, spaces,
//!   newlines, or multi-byte characters right against the delimiters.
//!
//! Mutations of real files are in `analysis_seeds.rs` (`PREFLIGHT_SEED_REPOS`); the bugs
//! these found are pinned in `analysis_regressions.rs`.

mod fuzz_support;

use fuzz_support::{
    ending_with, exercise, text_from, SHELL, TEMPLATE, TRAILING_WRAPPERS, UNIT, VALUE,
};
use proptest::prelude::*;
use puppet_preflight::analysis::shell::{analyze, Interest, Target};
use puppet_preflight::analysis::systemd::{expand_specifiers, parse_unit, validate_exec};
use puppet_preflight::analysis::template::TemplateKind;
use puppet_preflight::analysis::values::{
    check_attributes, check_mode, check_source, check_uninterpolated, check_uninterpolated_heredoc,
    ModeValue,
};
use puppet_preflight::ast::ExprKind;

fn soup() -> impl Strategy<Value = String> {
    let atoms = prop_oneof![
        Just("<%".to_string()),
        Just("<%=".to_string()),
        Just("<%-".to_string()),
        Just("-%>".to_string()),
        Just("%>".to_string()),
        Just("ExecStart=".to_string()),
        Just("[Service]\n".to_string()),
        Just("wget -O ".to_string()),
        Just("curl -fo ".to_string()),
        Just("<<EOF\n".to_string()),
        Just("\nEOF\n".to_string()),
        Just("${".to_string()),
        Just("$(".to_string()),
        Just("/usr/local/bin/tool".to_string()),
        Just("for b in a b; do ".to_string()),
        Just("; done".to_string()),
        Just("é✓".to_string()),
        "[a-z/\\\\'\"$%{}()<>|&;#=@!+:\\- \t\n`*?]{0,4}",
    ];
    proptest::collection::vec(atoms, 0..24).prop_map(|v| v.concat())
}

/// Wrappers that are complete: the next word is the command they run.
const COMPLETE_WRAPPERS: &[&str] = &[
    "timeout 5",
    "timeout -k 5 10",
    "timeout -s KILL 5",
    "timeout --kill-after=5 10",
    "sudo",
    "sudo -u root",
    "sudo -E",
    "env",
    "env -i X=1",
    "env -u HOME",
    "command",
    "exec",
    "nice",
    "nice -n 10",
    "nohup",
    "ionice -c 3",
    "stdbuf -o L",
    "stdbuf -oL",
    "time",
    "/usr/bin/sudo",
];

/// Whole shell lines (nothing left open), some with trailing wrappers.
const COMPLETE_LINES: &[&str] = &[
    "set -e",
    "cd /opt",
    "if command -v timeout >/dev/null; then timeout 5 foo; fi",
    "sudo -u",
    "timeout -k 5",
    "timeout",
    "env -i X=1",
    "command -v curl || exit 1",
    "for x in a b; do echo $x; done",
    "x=1 y=é✓",
    "tmp=$(mktemp)",
    "cat <<EOF\nwget -O /usr/local/bin/foo x\nEOF",
    "cat <<-'EOF'\n\tbody ✓\n\tEOF",
    "a && b || c; d",
    "curl -fsS https://x | tee /tmp/x",
    "echo `date` \\\n  done",
    "# é ✓ 😀",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn units_never_panic(text in soup()) {
        for kind in [TemplateKind::Plain, TemplateKind::Erb, TemplateKind::Epp] {
            let unit = parse_unit(&text, kind);
            let _ = unit.validate(false);
            let _ = unit.environment_files();
            for c in unit.exec_commands() {
                for w in &c.words {
                    // Spans stay inside the text and on character boundaries.
                    prop_assert!(text.get(w.span.range()).is_some(), "{:?} in {:?}", w.span, text);
                }
            }
        }
        let _ = validate_exec(&text);
    }

    #[test]
    fn scripts_never_panic(text in soup()) {
        for kind in [TemplateKind::Plain, TemplateKind::Erb] {
            let r = analyze(&text, kind);
            for d in &r.downloads {
                prop_assert!(text.get(d.span.range()).is_some());
            }
            let _ = r.hazards(Interest::ExecutablePaths);
            let paths = ["/usr/local/bin/tool"];
            let _ = r.hazards(Interest::Paths(&paths));
        }
    }

    #[test]
    fn values_never_panic(text in soup()) {
        let _ = check_mode(ModeValue::Str(&text));
        let _ = check_mode(ModeValue::Number(&text));
        let _ = check_source(&text);
        if let Some(p) = check_uninterpolated(&format!("'{text}'")) {
            prop_assert!(p.span.is_some());
        }
        let _ = check_uninterpolated_heredoc("@(EOT)", &text);
    }

    #[test]
    fn every_analyzer_on_the_soup(text in soup()) {
        exercise::all(&text);
    }

}

// ----- dictionaries of real tokens -----

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn shell_tokens(text in text_from(SHELL, 40)) {
        exercise::shell(&text);
    }

    /// The class of the `wrapper_len` bug: a wrapper with nothing (or only its options)
    /// after it, at the end of the text or of a command.
    #[test]
    fn shell_trailing_wrappers(text in ending_with(SHELL, TRAILING_WRAPPERS, 12)) {
        exercise::shell(&text);
    }

    /// Wrappers in front of a download are seen through, in any number and order.
    #[test]
    fn wrapped_download_is_found(
        wrappers in proptest::collection::vec(proptest::sample::select(COMPLETE_WRAPPERS), 0..4),
        before in proptest::collection::vec(proptest::sample::select(COMPLETE_LINES), 0..6),
    ) {
        let script = format!(
            "{}\n{} wget -O /usr/local/bin/foo https://example.org/foo\n",
            before.join("\n"),
            wrappers.join(" ")
        );
        let r = analyze(&script, TemplateKind::Plain);
        let last = r.downloads.last();
        prop_assert!(
            last.is_some_and(|d| matches!(&d.target, Target::File(p) if p.text == "/usr/local/bin/foo")),
            "{script:?}: {:#?}", r.downloads
        );
    }

    #[test]
    fn unit_tokens(text in text_from(UNIT, 40)) {
        exercise::unit(&text);
    }

    #[test]
    fn exec_lines(line in text_from(UNIT, 16)) {
        exercise::unit(&format!("[Service]\nExecStart={line}\n"));
        let _ = validate_exec(&line);
    }

    /// Specifiers: text without `%` comes back unchanged; `%%` is one `%`.
    #[test]
    fn specifier_expansion(text in text_from(UNIT, 16), name in text_from(UNIT, 3)) {
        let out = expand_specifiers(&text, &name);
        if !text.contains('%') {
            prop_assert_eq!(&out, &text);
        }
        prop_assert_eq!(expand_specifiers(&format!("{text}%%"), &name), format!("{out}%"));
    }

    #[test]
    fn template_tokens(text in text_from(TEMPLATE, 40)) {
        exercise::template(&text);
        exercise::unit(&text);
        exercise::shell(&text);
    }

    #[test]
    fn value_tokens(text in text_from(VALUE, 12)) {
        exercise::values(&text);
    }

    /// The same words as attribute values of a manifest, through the parser: every span
    /// the checks return is a slice of the manifest.
    #[test]
    fn attribute_values_in_a_manifest(
        values in proptest::collection::vec(text_from(VALUE, 5), 1..4),
        quote in proptest::sample::select(&["'", "\"", ""][..]),
    ) {
        let mut attrs = String::new();
        for (name, v) in ["mode", "source", "ensure"].iter().zip(&values) {
            let v = if quote.is_empty() { v.clone() } else { v.replace(quote, "") };
            attrs.push_str(&format!("  {name} => {quote}{v}{quote},\n"));
        }
        for ty in ["file", "service", "package", "exec"] {
            let src = format!("{ty} {{ '/x':\n{attrs}}}\n");
            let parsed = puppet_preflight::parser::parse(&src);
            for st in &parsed.program.statements {
                if let ExprKind::Resource { bodies, .. } = &st.kind {
                    for b in bodies {
                        for p in check_attributes(ty, &b.attrs, &src) {
                            let s = p.span.expect("spans from a manifest are always set");
                            prop_assert!(src.get(s.range()).is_some(), "{s:?} in {src:?}");
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn empty_and_blank_input() {
    for text in ["", " ", "\n", "\r\n", "\\", "\\\n", "é", "\u{1}", "<%", "%"] {
        exercise::all(text);
        for w in TRAILING_WRAPPERS {
            exercise::shell(w);
            exercise::shell(&format!("{w}\n"));
            exercise::shell(&format!("{text}{w}{text}"));
        }
    }
}
