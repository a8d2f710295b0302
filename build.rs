//! Build script: only tells the tests whether the Debian corpus is there.
//!
//! With `PREFLIGHT_CORPUS` set (to the directory `scripts/fetch-corpus.sh` fills), the
//! corpus tests are compiled as ordinary tests; without it they are compiled as ignored,
//! so `cargo test` lists them as ignored instead of counting a skip as a pass.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=PREFLIGHT_CORPUS");
    println!("cargo:rustc-check-cfg=cfg(preflight_corpus)");
    if std::env::var_os("PREFLIGHT_CORPUS").is_some_and(|v| !v.is_empty()) {
        println!("cargo:rustc-cfg=preflight_corpus");
    }
}
