//! Tree checks for the cases where acceptance alone proves nothing: precedence, the
//! whitespace- and context-sensitive tokens, interpolation, heredoc text, statement calls.
//! Trees are printed with `parser::sexpr` (Puppet's dump style).

use puppet_preflight::ast::{AttrOperator, ExprKind, StrPart};
use puppet_preflight::parser::{parse, sexpr};

fn tree(src: &str) -> String {
    let p = parse(src);
    assert!(
        p.errors.is_empty(),
        "unexpected errors for {src:?}: {:?}",
        p.errors
    );
    sexpr::program(&p.program)
}

#[test]
fn precedence_a40_exact_shape() {
    assert_eq!(
        tree("$p = -$a[0] * 2 + 1 < 3 == true and !$b in [true] or $e =~ /x/"),
        "(= $p (|| (&& (< (+ (* (- (slice $a 0)) 2) 1) (== 3 true)) (in (! $b) ([] true))) (=~ $e /x/)))"
    );
}

#[test]
fn equality_binds_tighter_than_less_than() {
    assert_eq!(tree("$x = $a < $b == $c"), "(= $x (< $a (== $b $c)))");
    assert_eq!(tree("$x = $a == $b < $c"), "(= $x (< (== $a $b) $c))");
}

#[test]
fn selector_precedence() {
    assert_eq!(
        tree("$x = $a + $b ? { 1 => 2 }"),
        "(= $x (? (+ $a $b) (1 => 2)))"
    );
    assert_eq!(
        tree("$x = $a and $b ? { 1 => 2 }"),
        "(= $x (&& $a (? $b (1 => 2))))"
    );
    assert_eq!(
        tree("$x = $y ? { 1 => 2 } == 1"),
        "(= $x (== (? $y (1 => 2)) 1))"
    );
}

#[test]
fn hyphenated_bare_word_is_one_word() {
    assert_eq!(tree("$x = a-1"), "(= $x 'a-1')");
    assert!(matches!(
        &parse("a-1").program.statements[0].kind,
        ExprKind::Word(w) if w == "a-1"
    ));
    assert_eq!(tree("$x = a - 1"), "(= $x (- a 1))");
    assert_eq!(tree("$x = $a-1"), "(= $x (- $a 1))");
}

#[test]
fn bracket_after_space_starts_a_new_statement() {
    assert_eq!(tree("$x = $y [1]"), "(block (= $x $y) ([] 1) )");
    assert_eq!(tree("$x = $y[1]"), "(= $x (slice $y 1))");
}

#[test]
fn paren_first_on_line_is_not_a_call() {
    assert_eq!(tree("$x = $y\n(1 + 2)"), "(block (= $x $y) (+ 1 2) )");
    assert_eq!(tree("$x = foo (1)"), "(= $x (call foo 1))");
}

#[test]
fn slash_after_brace_is_a_regex() {
    assert_eq!(
        tree("$y = $h ? { default => 4 } / 2 / 1"),
        "(block (= $y (? $h (:default => 4))) / 2 / 1 )"
    );
    assert_eq!(tree("$y = ($h) / 2 / 1"), "(= $y (/ (/ $h 2) 1))");
}

#[test]
fn dollar_name_interpolates_only_the_name() {
    assert_eq!(tree("$s = \"$x[0]\""), "(= $s (cat (str $x) '[0]'))");
    assert_eq!(tree("$s = \"$x.y\""), "(= $s (cat (str $x) '.y'))");
}

#[test]
fn braced_interpolation_name_rewrite() {
    assert_eq!(tree("$s = \"${x + 1}\""), "(= $s (cat (str (+ x 1))))");
    assert_eq!(tree("$s = \"${x}\""), "(= $s (cat (str $x)))");
    assert_eq!(tree("$s = \"${x[0]}\""), "(= $s (cat (str (slice $x 0))))");
    assert_eq!(
        tree("$s = \"${x.m}\""),
        "(= $s (cat (str (call-method (. $x m)))))"
    );
    assert_eq!(tree("$s = \"${1}\""), "(= $s (cat (str $1)))");
    assert_eq!(tree("$s = \"${foo()}\""), "(= $s (cat (str (call foo))))");
}

#[test]
fn heredoc_text_after_margin_trim_and_escapes() {
    let p = parse("$t = @(\"EOT\"/L$)\n    ${x} \\$y a long \\\n    line\n    |- EOT\n");
    assert!(p.errors.is_empty(), "{:?}", p.errors);
    let ExprKind::Assign { rhs, .. } = &p.program.statements[0].kind else {
        panic!("not an assignment")
    };
    let ExprKind::Heredoc { text, .. } = &rhs.kind else {
        panic!("not a heredoc")
    };
    let ExprKind::Interpolated(parts) = &text.kind else {
        panic!("not interpolated")
    };
    assert!(
        matches!(&parts[0], StrPart::Expr(e) if matches!(&e.kind, ExprKind::Variable(v) if v == "x"))
    );
    assert!(matches!(&parts[1], StrPart::Text(t, _) if t == " $y a long line"));

    // margin: only the exact blank prefix is removed, less-indented lines stay
    assert_eq!(
        tree("$t = @(EOT)\n    a\n      b\n  c\n    | EOT\n"),
        "(= $t (@() 'a\n  b\n  c\n' ))"
    );
    // trim: the last line break goes
    assert_eq!(tree("$t = @(EOT)\n  a\n  |- EOT\n"), "(= $t (@() 'a' ))");
    // no escapes: text is verbatim
    assert_eq!(
        tree("$t = @(EOT)\n  a\\tb\n  | EOT\n"),
        "(= $t (@() 'a\\tb\n' ))"
    );
    // all escapes
    assert_eq!(
        tree("$t = @(EOT/)\n  a\\tb\\\\\n  | EOT\n"),
        "(= $t (@() 'a\tb\\\n' ))"
    );
}

#[test]
fn several_heredocs_on_one_line() {
    assert_eq!(
        tree("notice(@(A), @(B))\n  first\n  | A\n  second\n  |- B\n$z = 1\n"),
        "(block (invoke notice (@() 'first\n' ) (@() 'second' )) (= $z 1) )"
    );
}

#[test]
fn statement_calls() {
    assert_eq!(tree("include foo, ::bar"), "(invoke include foo ::bar)");
    assert_eq!(tree("notice 'x'"), "(invoke notice 'x')");
    assert_eq!(tree("notice\n('x')"), "(invoke notice 'x')");
    assert_eq!(tree("notice -1"), "(- notice 1)");
    assert_eq!(tree("notice [1]"), "(invoke notice ([] 1))");
    assert_eq!(
        tree("notice hello world"),
        "(block (invoke notice hello) world )"
    );
    // not a statement-call name: two statements
    assert_eq!(tree("foo 'x'"), "(block foo 'x' )");
}

#[test]
fn resource_forms_keep_attributes() {
    let p = parse("File['/a'] { mode +> '0600' }\nUser <| groups == 'x' |> { shell => 'zsh' }");
    assert!(p.errors.is_empty());
    let ExprKind::ResourceOverride { attrs, .. } = &p.program.statements[0].kind else {
        panic!("not an override")
    };
    assert_eq!(attrs[0].name, "mode");
    assert_eq!(attrs[0].op, AttrOperator::Append);
    let ExprKind::Collector { overrides, .. } = &p.program.statements[1].kind else {
        panic!("not a collector")
    };
    assert_eq!(
        overrides.as_ref().map(|o| o[0].name.as_str()),
        Some("shell")
    );
}

#[test]
fn spans_point_into_the_source() {
    let src = "file { '/etc/x': ensure => link, target => '/y' }";
    let p = parse(src);
    let ExprKind::Resource { bodies, .. } = &p.program.statements[0].kind else {
        panic!("not a resource")
    };
    let a = &bodies[0].attrs[1];
    assert_eq!(&src[a.name_span.range()], "target");
    assert_eq!(&src[a.value.span.range()], "'/y'");
    assert_eq!(&src[bodies[0].title.span.range()], "'/etc/x'");
    assert_eq!(&src[p.program.statements[0].span.range()], src);
}

#[test]
fn plan_and_apply_only_in_tasks_mode() {
    use puppet_preflight::parser::{parse_with, Options};
    let src = "plan p::q(String $x) { apply($t) { file { 'a': } } }";
    let tasks = parse_with(src, &Options { tasks: true });
    assert!(tasks.errors.is_empty(), "{:?}", tasks.errors);
    assert_eq!(
        sexpr::program(&tasks.program),
        "(plan p::q (parameters (t String x)) (block (apply $t (block (resource file ('a')) )) ))"
    );
    assert!(!parse(src).errors.is_empty());
    // outside tasks mode they are ordinary names
    assert_eq!(
        tree("foo { 'x': plan => 1 }"),
        "(resource foo ('x' (plan => 1)))"
    );
}
