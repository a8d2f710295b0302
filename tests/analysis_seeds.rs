//! Mutation fuzzing from real files: with `PREFLIGHT_SEED_REPOS` set to git directories
//! (colon-separated), every script, unit file and template at `HEAD` of each goes through
//! every analyzer whole, then cut after each line (with and without its newline), with
//! random byte ranges deleted, and with lines of another seed spliced in. Nothing may
//! panic, and every span must be a slice of the text. Unset: skipped (it says so).
//!
//! ```sh
//! PREFLIGHT_SEED_REPOS=/path/a/.git:/path/b cargo test --release --test analysis_seeds -- --nocapture
//! ```
//!
//! `PREFLIGHT_SEED_CUTS` bounds the line cuts per file (default 400);
//! `PREFLIGHT_SEED_FILTER` keeps only the files whose path contains it (to reproduce a
//! failure).

mod fuzz_support;

use fuzz_support::exercise;
use fuzz_support::seeds::{self, mutations, Rng, SeedFile};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Instant;

/// The analyzers a seed goes through, by what it is (every seed gets the template and
/// value checks, which are cheap).
fn run(f: &SeedFile, text: &str) {
    if f.script || !f.unit {
        exercise::shell(text);
    }
    if f.unit || f.template {
        exercise::unit(text);
    }
    exercise::template(text);
    exercise::values(text);
}

#[test]
fn seed_files_and_their_mutations() {
    let Some(repos) = seeds::repos("seed_files_and_their_mutations") else {
        return;
    };
    let max_cuts: usize = std::env::var("PREFLIGHT_SEED_CUTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(400);
    let start = Instant::now();
    let mut files: Vec<SeedFile> = Vec::new();
    for r in &repos {
        let mut found = seeds::load(r);
        if let Ok(only) = std::env::var("PREFLIGHT_SEED_FILTER") {
            found.retain(|f| f.path.contains(&only));
        }
        eprintln!(
            "{}: {} files ({} scripts, {} units, {} templates)",
            r.display(),
            found.len(),
            found.iter().filter(|f| f.script).count(),
            found.iter().filter(|f| f.unit).count(),
            found.iter().filter(|f| f.template).count()
        );
        files.extend(found);
    }
    assert!(!files.is_empty(), "no seed files in {repos:?}");
    // Silence the default hook: failures are collected and reported together.
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let mut failures: Vec<String> = Vec::new();
    let mut cases = 0usize;
    for (i, f) in files.iter().enumerate() {
        let donor = &files[(i * 7 + 3) % files.len()].text;
        let mut rng = Rng::new(&f.label());
        // Line cuts cost the file's size each: keep a file's total near 16 MB of text.
        let cuts = max_cuts.min(16_000_000 / f.text.len().max(1)).max(4);
        let mut texts = vec![f.text.clone()];
        texts.extend(mutations(&f.text, donor, &mut rng, cuts, 24, 8));
        let started = Instant::now();
        for t in &texts {
            cases += 1;
            if let Err(e) = catch_unwind(AssertUnwindSafe(|| run(f, t))) {
                let msg = e
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                let short: String = msg.chars().take(300).collect();
                failures.push(format!(
                    "{} (a {}-byte variant): {short}",
                    f.label(),
                    t.len()
                ));
                break; // one failure per seed is enough to find it
            }
        }
        let took = started.elapsed().as_secs_f64();
        if took > 5.0 {
            eprintln!(
                "slow: {} ({} bytes, {} texts): {took:.1}s",
                f.label(),
                f.text.len(),
                texts.len()
            );
        }
    }
    std::panic::set_hook(hook);
    eprintln!(
        "seed fuzzing: {} files, {cases} texts, {:.1}s, {} failures",
        files.len(),
        start.elapsed().as_secs_f64(),
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "{} seeds made an analyzer fail:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
