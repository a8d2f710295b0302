//! Build script: only tells the tests what the machine has.
//!
//! With `PREFLIGHT_CORPUS` set (to the directory `scripts/fetch-corpus.sh` fills), the
//! corpus tests are compiled as ordinary tests; without it they are compiled as ignored,
//! so `cargo test` lists them as ignored instead of counting a skip as a pass. The same
//! for the browser test of the HTML report: it runs when `PREFLIGHT_CHROMIUM` names a
//! browser or `chromium`/`chromium-browser` is on PATH.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=PREFLIGHT_CORPUS");
    println!("cargo:rustc-check-cfg=cfg(preflight_corpus)");
    if std::env::var_os("PREFLIGHT_CORPUS").is_some_and(|v| !v.is_empty()) {
        println!("cargo:rustc-cfg=preflight_corpus");
    }

    println!("cargo:rerun-if-env-changed=PREFLIGHT_CHROMIUM");
    println!("cargo:rerun-if-env-changed=PATH");
    println!("cargo:rustc-check-cfg=cfg(preflight_chromium)");
    let named = std::env::var("PREFLIGHT_CHROMIUM")
        .ok()
        .filter(|v| !v.is_empty());
    let found = named.or_else(|| {
        let path = std::env::var_os("PATH")?;
        std::env::split_paths(&path).find_map(|dir| {
            ["chromium", "chromium-browser"]
                .iter()
                .map(|name| dir.join(name))
                .find(|p| p.is_file())
                .map(|p| p.display().to_string())
        })
    });
    if let Some(browser) = found {
        println!("cargo:rustc-cfg=preflight_chromium");
        println!("cargo:rustc-env=PREFLIGHT_CHROMIUM_FOUND={browser}");
    }
}
