//! The README's rules table is generated from the registry; this test fails when it is
//! stale. `UPDATE_README=1 cargo test --test rules_readme` rewrites it.

use std::path::Path;

use puppet_preflight::rules::registry;

const START: &str = "<!-- rules-table:start -->";
const END: &str = "<!-- rules-table:end -->";

#[test]
fn readme_rules_table_is_current() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md");
    let update = std::env::var_os("UPDATE_README").is_some_and(|v| v == "1");
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    let want = format!("{START}\n{}{END}", registry::markdown_table());
    let current = match (text.find(START), text.find(END)) {
        (Some(s), Some(e)) if s < e => Some((s, e + END.len())),
        _ => None,
    };
    let new_text = match current {
        Some((s, e)) if text[s..e] == want => return,
        Some((s, e)) => format!("{}{want}{}", &text[..s], &text[e..]),
        None => {
            let sep = if text.is_empty() || text.ends_with("\n\n") {
                ""
            } else if text.ends_with('\n') {
                "\n"
            } else {
                "\n\n"
            };
            format!("{text}{sep}## Rules\n\n{want}\n")
        }
    };
    if update {
        std::fs::write(&path, new_text).expect("write README.md");
        return;
    }
    panic!(
        "README.md's rules table is missing or stale (it must sit between {START} and {END}).\n\
         Run `UPDATE_README=1 cargo test --test rules_readme` and commit README.md."
    );
}
