//! The parser never panics, never overflows its stack, and always returns, whatever the
//! input; after an error it recovers and reports the later errors too.
//!
//! These tests run on the test harness's ordinary threads (2 MiB stacks), which is the
//! smallest stack the parser is expected to run on.

use puppet_preflight::parser::{parse, sexpr};

fn errors(src: &str) -> Vec<String> {
    parse(src).errors.into_iter().map(|e| e.message).collect()
}

fn assert_nesting_error(src: &str) {
    let p = parse(src);
    assert!(
        p.errors
            .iter()
            .any(|e| e.message.contains("nesting too deep")),
        "no nesting error: {:?}",
        p.errors.iter().take(3).collect::<Vec<_>>()
    );
    // walking and dropping the partial tree must not overflow either
    let _ = sexpr::program(&p.program);
}

#[test]
fn hundred_thousand_nested_brackets() {
    let n = 100_000;
    assert_nesting_error(&format!("$x = {}", "[".repeat(n)));
    assert_nesting_error(&format!("$x = {}1{}", "(".repeat(n), ")".repeat(n)));
    assert_nesting_error(&"{".repeat(n));
    assert_nesting_error(&"if $a { ".repeat(n));
    assert_nesting_error(&format!("$x = {}1", "-".repeat(n)));
    assert_nesting_error(&format!("$x = {}1", "!".repeat(n)));
    assert_nesting_error(&format!("$x = $a{}", " = $a".repeat(n)));
    assert_nesting_error(&format!("{}file {{ 'a': }}", "@".repeat(n)));
    assert_nesting_error(&format!("$x = {}1{}", "{a => ".repeat(n), "}".repeat(n)));
    assert_nesting_error(&format!("$x = 1{}", " + 1".repeat(n)));
    assert_nesting_error(&format!("$x = $a{}", ".foo".repeat(n)));
    assert_nesting_error(&format!("$x = $a{}", "[0]".repeat(n)));
    assert_nesting_error(&format!("$a{}", " -> $b".repeat(n)));
}

#[test]
fn deep_interpolation_is_an_error_not_a_crash() {
    let src = format!("$x = \"{}", "${\"".repeat(100_000));
    assert!(!errors(&src).is_empty());
}

#[test]
fn reasonable_nesting_is_fine() {
    let src = format!("$x = {}1{}", "[".repeat(100), "]".repeat(100));
    assert!(errors(&src).is_empty());
    let src = format!("$x = 1{}", " + 1".repeat(200));
    assert!(errors(&src).is_empty());
}

#[test]
fn odd_input_never_panics() {
    for src in [
        "",
        "$",
        "$x = $",
        "\0",
        "$x = \0 1",
        "é",
        "$x = 'é' ünïcödé",
        "\u{feff}$x = 1",
        "\"",
        "'",
        "\"${",
        "\"${x",
        "\"${x}",
        "@(",
        "@(EOT",
        "@(EOT)",
        "$x = @(EOT)\n",
        "$x = @(\"EOT\")\n${\n",
        "/*",
        "/* x",
        "/",
        "//",
        "::",
        "Foo::",
        "0x",
        "1e",
        "1.",
        "{",
        "}",
        "]",
        ")",
        "|",
        "||",
        "<|",
        "<<|",
        "@",
        "@@",
        "class",
        "class {",
        "define",
        "node",
        "function",
        "type",
        "type Foo",
        "type Foo =",
        "case $x {",
        "if",
        "if $x",
        "if $x {",
        "unless $x { } else",
        "$x ? {",
        "$x ?",
        "foo(",
        "$x.",
        "$x[",
        "file {",
        "file { 'a'",
        "file { 'a':",
        "file { 'a': b",
        "file { 'a': b =>",
        "include",
        "include a,",
        "\u{a0}$x\u{3000}=\u{2003}1",
        "$x = \"\\u{110000}\"",
        "$x = \"\\u{D800}\"",
        "$x = \"\\",
        "~ ^ ` ?",
    ] {
        let p = parse(src);
        let _ = sexpr::program(&p.program);
        for e in &p.errors {
            assert!(e.span.start as usize <= src.len() && e.span.end as usize <= src.len());
            assert!(
                src.is_char_boundary(e.span.start as usize),
                "{src:?}: {e:?}"
            );
        }
    }
}

#[test]
fn truncation_at_every_byte_never_panics() {
    let src = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/grammar/trees/tricky.txt"
    ))
    .expect("fixture");
    for (i, _) in src.char_indices().step_by(7) {
        let _ = parse(&src[..i]);
    }
}

#[test]
fn recovery_reports_every_error() {
    let src = "class a {\n  $x = [1 2]\n  file { 'a': true => 1 }\n  $ok = 1\n}\n$y = )\nnotice('fine')\n";
    let p = parse(src);
    let lines: Vec<usize> = p
        .errors
        .iter()
        .map(|e| src[..e.span.start as usize].matches('\n').count() + 1)
        .collect();
    assert_eq!(lines, vec![2, 3, 6], "{:?}", p.errors);
    // the statements after the errors are still in the tree
    let tree = sexpr::program(&p.program);
    assert!(tree.contains("(= $ok 1)"), "{tree}");
    assert!(tree.contains("(invoke notice 'fine')"), "{tree}");
}

#[test]
fn errors_say_what_was_expected_and_where_the_opener_is() {
    let src = "file { 'a':\n  ensure => present,\n";
    let p = parse(src);
    let e = &p.errors[0];
    assert!(e.message.contains("end of input"), "{e:?}");
    assert!(e.expected.iter().any(|x| x.contains('}')), "{e:?}");
    let (open, _) = e.opened.as_ref().expect("points at the opener");
    assert_eq!(&src[open.range()], "{");

    let e = &parse("$x = [1 2]").errors[0];
    assert_eq!(e.message, "syntax error at '2': expected ',' or ']'");

    let e = &parse("$x = foo(1").errors[0];
    assert_eq!(
        &"$x = foo(1"[e.opened.as_ref().expect("opener").0.range()],
        "("
    );
}

#[test]
fn semicolon_rules() {
    assert!(!errors("$a = 1;").is_empty());
    assert!(!errors("class a { $x = 1; }").is_empty());
    assert!(!errors(";;").is_empty());
    assert!(!errors("; $a = 1").is_empty());
    assert!(errors("$a = 1; $b = 2").is_empty());
    assert!(errors("file { 'a': ; 'b': ; }").is_empty());
}

#[test]
fn trailing_comma_rules() {
    assert!(
        errors("$x = [1,]\n$y = {a => 1,}\nfoo(1,)\n$z = $h[1,]\nclass a($x,) {}\nnode a, {}")
            .is_empty()
    );
    assert!(!errors("$y.foo(1,)").is_empty());
    assert!(!errors("case $x { 'a', : {} }").is_empty());
    assert!(!errors("include a,").is_empty());
}

#[test]
fn skipped_statements_leave_an_error_node() {
    use puppet_preflight::ast::ExprKind;
    let src = "$a = 1\n$b = [1 2]\n$c = 3\n";
    let p = parse(src);
    let kinds: Vec<bool> = p
        .program
        .statements
        .iter()
        .map(|s| matches!(s.kind, ExprKind::Error))
        .collect();
    assert_eq!(kinds, vec![false, true, false]);
    assert_eq!(&src[p.program.statements[1].span.range()], "$b = [1 2]");
}
