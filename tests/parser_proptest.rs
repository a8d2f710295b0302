//! Property test: on generated token soup and on mutated real manifests the parser never
//! panics, always returns, and keeps its spans inside the text on char boundaries.

use proptest::prelude::*;
use puppet_preflight::parser::{parse, sexpr};

const VOCAB: &[&str] = &[
    "$x",
    "$::y",
    "foo",
    "a-b",
    "Foo::Bar",
    "1",
    "0x1F",
    "07",
    "1.5e3",
    "'s'",
    "\"d\"",
    "\"a${x}b\"",
    "\"$y\"",
    "/re/",
    "@(EOT)\nx\n| EOT\n",
    "@(\"E\"/L)\n${z}\n|- E\n",
    "(",
    ")",
    "[",
    "]",
    " [",
    "{",
    "}",
    ",",
    ";",
    ":",
    ".",
    "?",
    "|",
    "||",
    "=>",
    "+>",
    "=",
    "==",
    "!=",
    "=~",
    "!~",
    "<",
    ">",
    "<=",
    ">=",
    "<<",
    ">>",
    "+",
    "-",
    "*",
    "/",
    "%",
    "!",
    "->",
    "~>",
    "<-",
    "<~",
    "<|",
    "|>",
    "<<|",
    "|>>",
    "@",
    "@@",
    "and",
    "or",
    "in",
    "if",
    "elsif",
    "else",
    "unless",
    "case",
    "default",
    "undef",
    "true",
    "false",
    "class",
    "define",
    "node",
    "function",
    "type",
    "inherits",
    "private",
    "attr",
    "include",
    "notice",
    "\n",
    " ",
    "\n(",
    "# c\n",
    "/* c */",
    "${",
    "é",
    "\0",
    "\\",
    "`",
    "~",
];

fn soup() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(VOCAB), 0..60).prop_map(|v| v.join(" "))
}

fn seeds() -> Vec<String> {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/grammar/trees/tricky.txt"
    ))
    .expect("fixture");
    text.split("\n----\n")
        .map(|b| {
            b.lines()
                .filter(|l| !l.starts_with(">>> ") && !l.starts_with("!!! "))
                .collect::<Vec<_>>()
                .join("\n")
        })
        .collect()
}

#[derive(Debug, Clone)]
enum Mutation {
    Delete(usize, usize),
    Insert(usize, &'static str),
    Duplicate(usize, usize),
    Truncate(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 0usize..8).prop_map(|(a, n)| Mutation::Delete(a, n)),
        (any::<usize>(), prop::sample::select(VOCAB)).prop_map(|(a, s)| Mutation::Insert(a, s)),
        (any::<usize>(), 0usize..20).prop_map(|(a, n)| Mutation::Duplicate(a, n)),
        any::<usize>().prop_map(Mutation::Truncate),
    ]
}

fn floor_boundary(s: &str, mut i: usize) -> usize {
    i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn apply(mut s: String, muts: &[Mutation]) -> String {
    for m in muts {
        let len = s.len().max(1);
        match *m {
            Mutation::Delete(a, n) => {
                let a = floor_boundary(&s, a % len);
                let b = floor_boundary(&s, a + n);
                s.replace_range(a..b, "");
            }
            Mutation::Insert(a, t) => {
                let a = floor_boundary(&s, a % len);
                s.insert_str(a, t);
            }
            Mutation::Duplicate(a, n) => {
                let a = floor_boundary(&s, a % len);
                let b = floor_boundary(&s, a + n);
                let piece = s[a..b].to_string();
                s.insert_str(b, &piece);
            }
            Mutation::Truncate(a) => {
                let a = floor_boundary(&s, a % len);
                s.truncate(a);
            }
        }
    }
    s
}

fn check(src: &str) {
    let p = parse(src);
    let _ = sexpr::program(&p.program);
    for e in &p.errors {
        assert!(e.span.start <= e.span.end, "{src:?}: {e:?}");
        assert!((e.span.end as usize) <= src.len(), "{src:?}: {e:?}");
        assert!(
            src.is_char_boundary(e.span.start as usize),
            "{src:?}: {e:?}"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 4000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn token_soup_never_panics(src in soup()) {
        check(&src);
    }

    #[test]
    fn mutated_manifests_never_panic(
        seed in 0usize..1000,
        muts in prop::collection::vec(mutation(), 1..6),
    ) {
        let seeds = seeds();
        let s = apply(seeds[seed % seeds.len()].clone(), &muts);
        check(&s);
    }
}
