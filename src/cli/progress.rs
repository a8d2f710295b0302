//! A progress line on standard error for the long runs (`check --each` over many commits,
//! `parse` of a large tree), drawn only when standard error is a terminal and `--quiet`
//! is not given: logs and pipes never see it. It is redrawn in place at most ten times a
//! second and erased when the run ends, so the report that follows starts on a clean line.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How wide the bar is, in characters.
const BAR: usize = 24;
/// The longest label shown after the counts.
const LABEL: usize = 48;

pub struct Progress {
    what: &'static str,
    total: usize,
    done: AtomicUsize,
    enabled: bool,
    last_draw: Mutex<Option<Instant>>,
}

/// Whether to draw: only on a terminal, never with `--quiet`, and only for runs long
/// enough to want it.
pub fn wanted(stderr_is_terminal: bool, quiet: bool, total: usize, at_least: usize) -> bool {
    stderr_is_terminal && !quiet && total >= at_least
}

/// The line drawn: `what [#####·······] 12/300 label`.
pub fn line(what: &str, done: usize, total: usize, label: &str) -> String {
    let filled = (done * BAR).checked_div(total).unwrap_or(BAR).min(BAR);
    let mut shown: String = label.chars().take(LABEL).collect();
    if label.chars().count() > LABEL {
        shown.push('…');
    }
    format!(
        "{what} [{}{}] {done}/{total} {shown}",
        "#".repeat(filled),
        "·".repeat(BAR - filled)
    )
}

impl Progress {
    /// A progress line for `total` steps of `what` (`checking`, `parsing`), drawn when
    /// [`wanted`] for this process's standard error and at least `at_least` steps.
    pub fn new(what: &'static str, total: usize, quiet: bool, at_least: usize) -> Progress {
        Progress {
            what,
            total,
            done: AtomicUsize::new(0),
            enabled: wanted(std::io::stderr().is_terminal(), quiet, total, at_least),
            last_draw: Mutex::new(None),
        }
    }

    /// One step done; `label` says which (a commit, a file).
    pub fn step(&self, label: &str) {
        let done = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        if !self.enabled {
            return;
        }
        let Ok(mut last) = self.last_draw.lock() else {
            return;
        };
        let due = last.map_or(true, |t| t.elapsed() >= Duration::from_millis(100));
        if !due && done < self.total {
            return;
        }
        *last = Some(Instant::now());
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "\r{}\x1b[K", line(self.what, done, self.total, label));
        let _ = err.flush();
    }

    /// Erase the line (before the report is printed).
    pub fn finish(&self) {
        if self.enabled {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r\x1b[K");
            let _ = err.flush();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_on_a_terminal_without_quiet_for_long_runs() {
        assert!(wanted(true, false, 300, 2));
        assert!(
            !wanted(false, false, 300, 2),
            "a pipe or a log never sees it"
        );
        assert!(!wanted(true, true, 300, 2), "--quiet");
        assert!(!wanted(true, false, 1, 2), "one commit is not a long run");
    }

    #[test]
    fn the_line() {
        assert_eq!(
            line("checking", 6, 24, "3f2a9c1 k8s: scheduler"),
            "checking [######··················] 6/24 3f2a9c1 k8s: scheduler"
        );
        let long = "x".repeat(100);
        let drawn = line("parsing", 24, 24, &long);
        assert!(drawn.contains(&"#".repeat(BAR)));
        assert!(
            drawn.ends_with(&format!("{}…", "x".repeat(LABEL))),
            "{drawn}"
        );
    }
}
