//! Times the input layer: reading both whole trees of a change and diffing them.
//!
//!     cargo run --release --example bench_input -- REPO [RUNS] [check flags...]
//!
//! Prints the median, minimum and maximum wall time over RUNS loads (default 15, after
//! one warm-up): for the two trees (content read on demand) and for the trees plus the
//! content of every manifest on both sides (what the parser will read), and the CPU time. `scripts/bench-input.sh` builds a corpus repository
//! and runs this.

use std::time::{Duration, Instant};

use clap::Parser;
use puppet_preflight::input::{load, InputArgs};

#[derive(Parser)]
struct Bench {
    /// Number of timed runs.
    #[arg(long, default_value_t = 15)]
    runs: usize,
    #[command(flatten)]
    input: InputArgs,
}

fn main() {
    let bench = Bench::parse();
    let runs = bench.runs.max(1);
    let mut times: Vec<Duration> = Vec::with_capacity(runs);
    let mut with_manifests: Vec<Duration> = Vec::with_capacity(runs);
    let mut cpu_start = 0.0;
    let mut last = Vec::new();
    for i in 0..=runs {
        let t = Instant::now();
        let changes = match load(&bench.input) {
            Ok(c) => c,
            Err(e) => {
                eprintln!("{:?}", miette::Report::new(e));
                std::process::exit(2);
            }
        };
        let dt = t.elapsed();
        for c in &changes {
            for tree in [&c.before.tree, &c.after.tree] {
                // Failed reads are kept on the blobs (a partial clone); say so, go on.
                tree.prefetch(|p, _| p.ends_with(".pp"));
                for (path, why) in tree.unreadable() {
                    eprintln!("warning: {path}: {why}");
                }
            }
        }
        let dt_manifests = t.elapsed();
        if i > 0 {
            times.push(dt);
            with_manifests.push(dt_manifests);
        } else {
            cpu_start = cpu_seconds();
        }
        last = changes;
    }
    let cpu_per_run = (cpu_seconds() - cpu_start) / runs as f64;
    times.sort();
    with_manifests.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    for c in &last {
        let count =
            |t: &puppet_preflight::input::Tree| t.paths().filter(|p| p.ends_with(".pp")).count();
        println!(
            "before {}: {} files ({} manifests); after {}: {} files ({} manifests); {} changed",
            c.before.label,
            c.before.tree.files.len(),
            count(&c.before.tree),
            c.after.label,
            c.after.tree.files.len(),
            count(&c.after.tree),
            c.files.len(),
        );
    }
    println!(
        "read both trees (content on demand): median {:.1} ms, min {:.1} ms, max {:.1} ms over {} runs",
        ms(times[times.len() / 2]),
        ms(times[0]),
        ms(times[times.len() - 1]),
        times.len(),
    );
    println!(
        "... and every manifest's content of both sides: median {:.1} ms, min {:.1} ms, max {:.1} ms ({} threads)",
        ms(with_manifests[with_manifests.len() / 2]),
        ms(with_manifests[0]),
        ms(with_manifests[with_manifests.len() - 1]),
        rayon::current_num_threads()
    );
    println!(
        "cpu time (user+sys) per run, both steps: {:.1} ms; load average {}",
        cpu_per_run * 1000.0,
        std::fs::read_to_string("/proc/loadavg")
            .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
            .unwrap_or_else(|_| "unknown".into())
    );
}

/// User + system CPU time of this process so far (Linux `/proc/self/stat`, 100 Hz ticks).
fn cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    // Fields after the parenthesised command name; utime and stime are the 12th and 13th.
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or_default();
    let f: Vec<&str> = rest.split_whitespace().collect();
    let tick = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (tick(11) + tick(12)) / 100.0
}
