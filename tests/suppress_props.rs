//! Properties of the comment scanner and the configuration reader on arbitrary input:
//! no panic, and spans that lie inside the text on character boundaries.

use proptest::prelude::*;

use puppet_preflight::config::Config;
use puppet_preflight::suppress::{hash_comments, parse_directive, puppet_comments};

/// Text made mostly of the characters that change the scanner's state.
fn puppetish() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            Just("'".to_string()),
            Just("\"".to_string()),
            Just("#".to_string()),
            Just("\n".to_string()),
            Just("${".to_string()),
            Just("}".to_string()),
            Just("{".to_string()),
            Just("/".to_string()),
            Just("/*".to_string()),
            Just("*/".to_string()),
            Just("\\".to_string()),
            Just("@(EOT)".to_string()),
            Just("@(\"X\"/L)".to_string()),
            Just("EOT".to_string()),
            Just("|-".to_string()),
            Just(" preflight:ignore:link-cycle r ".to_string()),
            Just("é☃".to_string()),
            "[a-z$ =>]{0,6}",
        ],
        0..40,
    )
    .prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn comment_spans_are_in_bounds(src in puppetish()) {
        for c in puppet_comments(&src).into_iter().chain(hash_comments(&src)) {
            let (s, e) = (c.span.start as usize, c.span.end as usize);
            prop_assert!(s <= e && e <= src.len());
            prop_assert!(src.is_char_boundary(s) && src.is_char_boundary(e));
            prop_assert!(src[s..].starts_with('#'));
            prop_assert!(!src[s..e].contains('\n'));
            let _ = parse_directive(&src[s..e]);
        }
    }

    #[test]
    fn config_reader_never_panics(src in "(?s).{0,200}") {
        let _ = Config::from_yaml("c.yaml", &src);
    }

    #[test]
    fn config_reader_never_panics_on_yamlish(src in proptest::collection::vec(
        prop_oneof![
            Just("rules:\n".to_string()), Just("  link-cycle: off\n".to_string()),
            Just("modulepath: ".to_string()), Just("[".to_string()), Just("]".to_string()),
            Just("&a ".to_string()), Just("*a".to_string()), Just("\n".to_string()),
            Just("puppet_version: 9\n".to_string()), Just("- x\n".to_string()),
            Just("é: ☃\n".to_string()), Just("\t".to_string()), "[a-z_:]{0,8}",
        ], 0..20).prop_map(|v| v.concat())) {
        let _ = Config::from_yaml("c.yaml", &src);
    }
}
