//! The analyzers never panic, whatever the text: random mixes of the characters that
//! drive their lexers (quotes, escapes, template tags, operators, multi-byte text).

use proptest::prelude::*;
use puppet_preflight::analysis::shell::{analyze, Interest};
use puppet_preflight::analysis::systemd::{parse_unit, validate_exec};
use puppet_preflight::analysis::template::TemplateKind;
use puppet_preflight::analysis::values::{
    check_mode, check_source, check_uninterpolated, check_uninterpolated_heredoc, ModeValue,
};

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

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

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
}
