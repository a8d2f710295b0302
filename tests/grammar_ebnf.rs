//! `grammar/puppet.ebnf` and the parser agree: every production is named by a parser or
//! lexer function (`// production: NAME`), and every name in such a comment is a
//! production of the grammar.

use std::collections::BTreeSet;

fn productions() -> BTreeSet<String> {
    let text = include_str!("../grammar/puppet.ebnf");
    // drop comments, then take `name =` at the start of a line
    let mut clean = String::new();
    let mut depth = 0;
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i..].starts_with(b"(*") {
            depth += 1;
            i += 2;
        } else if b[i..].starts_with(b"*)") && depth > 0 {
            depth -= 1;
            i += 2;
        } else {
            if depth == 0 {
                clean.push(b[i] as char);
            }
            i += 1;
        }
    }
    clean
        .lines()
        .filter_map(|l| {
            let (name, rest) = l.split_once('=')?;
            let name = name.trim();
            let ok = !l.starts_with(' ')
                && !name.is_empty()
                && name.chars().all(|c| c.is_ascii_lowercase() || c == '_')
                && !rest.starts_with('=');
            ok.then(|| name.to_string())
        })
        .collect()
}

fn named_in_code() -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for src in [
        include_str!("../src/parser/grammar.rs"),
        include_str!("../src/parser/lexer.rs"),
    ] {
        for line in src.lines() {
            if let Some(rest) = line.trim_start().strip_prefix("// production: ") {
                for w in rest.split_whitespace() {
                    if w.starts_with('(') {
                        break;
                    }
                    out.insert(w.to_string());
                }
            }
        }
    }
    out
}

#[test]
fn every_production_has_a_function_and_back() {
    let g = productions();
    let c = named_in_code();
    assert!(g.len() > 50, "too few productions parsed: {g:?}");
    let missing_fn: Vec<_> = g.difference(&c).collect();
    let missing_prod: Vec<_> = c.difference(&g).collect();
    assert!(
        missing_fn.is_empty() && missing_prod.is_empty(),
        "productions without a function: {missing_fn:?}\nnames without a production: {missing_prod:?}"
    );
}
