//! Keeping one part's bug from taking the run down.
//!
//! Every rule, and every analyzer the rules and the evaluator run over repository content
//! (shell scripts, unit files, templates, attribute values, hiera data, the evaluator
//! itself), runs inside [`catch`]. A panic there is caught and becomes a [`Failure`]: which
//! part failed, the repository file it was reading (from the innermost [`reading`] guard
//! on the panicking thread), the panic message and where in the tool it happened.
//! `lint::run` turns failures into `internal-error` findings, every other finding is
//! still reported, and the exit status is 2.
//!
//! The process-wide panic hook ([`install`]) records the panic instead of printing Rust's
//! "thread panicked" text; the catching side collects the record. A panic that nothing
//! catches reaches `main`, which prints one paragraph and exits with status 2. Set
//! `RUST_BACKTRACE=1` to also get Rust's own report with a backtrace, for debugging.

use std::any::Any;
use std::cell::RefCell;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, Once};

/// A part of the tool that panicked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// The rule or analyzer that was running: `rule service-binary-unmanaged`,
    /// `the evaluator (after)`.
    pub part: String,
    /// The repository file being read when it failed, when known.
    pub file: Option<String>,
    /// The panic message.
    pub message: String,
    /// Where in the tool's source: `src/analysis/shell/mod.rs:616:21`.
    pub location: Option<String>,
}

impl Failure {
    /// The analyzer the failing code belongs to, named from its source file, when it is
    /// one (`src/analysis/shell/…` → `the shell analyzer`).
    pub fn analyzer(&self) -> Option<&'static str> {
        let loc = self.location.as_deref()?;
        const ANALYZERS: [(&str, &str); 9] = [
            ("src/analysis/shell/", "the shell analyzer"),
            ("src/analysis/systemd", "the unit-file analyzer"),
            ("src/analysis/template", "the template analyzer"),
            ("src/analysis/values", "the attribute-value analyzer"),
            ("src/model/hiera", "the hiera reader"),
            ("src/model/unit", "the unit-file reader"),
            ("src/model/functions", "the function evaluator"),
            ("src/model/", "the evaluator"),
            ("src/parser/", "the parser"),
        ];
        ANALYZERS
            .iter()
            .find(|(prefix, _)| loc.contains(prefix))
            .map(|&(_, name)| name)
    }

    /// One sentence: what failed, on what, and why.
    pub fn describe(&self) -> String {
        let mut s = self.part.clone();
        if let Some(a) = self.analyzer() {
            if !self.part.contains(a) {
                s.push_str(&format!(", in {a},"));
            }
        }
        s.push_str(" failed");
        if let Some(f) = &self.file {
            s.push_str(&format!(" while reading {f}"));
        }
        s.push_str(&format!(": {}", self.message));
        if let Some(l) = &self.location {
            s.push_str(&format!(" (at {l})"));
        }
        s
    }
}

/// What the hook saw of one panic.
struct Record {
    message: String,
    location: Option<String>,
    file: Option<String>,
}

/// Panics recorded by the hook and not collected yet. Bounded: a part that panics in a
/// loop must not grow it without end.
static RECORDS: Mutex<Vec<Record>> = Mutex::new(Vec::new());
const MAX_RECORDS: usize = 256;

thread_local! {
    /// The repository files being read on this thread, innermost last.
    static READING: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
    /// How many [`catch`] calls are running on this thread.
    static CATCHING: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// How many [`catch`] calls are running on any thread.
static ACTIVE: AtomicUsize = AtomicUsize::new(0);

/// Whether a panic on this thread is on its way to a [`catch`]: one runs on this thread,
/// or one runs somewhere and this is a worker of a part it isolates (a rayon worker, the
/// evaluation or deep-parse thread), whose panic is passed on to it.
fn inside_catch() -> bool {
    if CATCHING.with(|c| c.get()) > 0 {
        return true;
    }
    ACTIVE.load(Ordering::Relaxed) > 0
        && (rayon::current_thread_index().is_some()
            || matches!(
                std::thread::current().name(),
                Some("evaluate" | "puppet-parse-deep")
            ))
}

/// Counts a running [`catch`] until dropped (also when unwinding).
struct Catching;

impl Catching {
    fn enter() -> Catching {
        CATCHING.with(|c| c.set(c.get() + 1));
        ACTIVE.fetch_add(1, Ordering::Relaxed);
        Catching
    }
}

impl Drop for Catching {
    fn drop(&mut self) {
        CATCHING.with(|c| c.set(c.get().saturating_sub(1)));
        ACTIVE.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Install the recording panic hook (once per process; later calls do nothing).
pub fn install() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let default = panic::take_hook();
        let verbose = std::env::var_os("RUST_BACKTRACE").is_some_and(|v| v != "0");
        panic::set_hook(Box::new(move |info| {
            let record = Record {
                message: payload_message(info.payload()),
                location: info
                    .location()
                    .map(|l| format!("{}:{}:{}", l.file(), l.line(), l.column())),
                file: READING.with(|r| r.borrow().iter().rev().find(|f| !f.is_empty()).cloned()),
            };
            if let Ok(mut records) = RECORDS.lock() {
                // Oldest first out when full: a part that panics in a loop must not keep
                // the record of the panic being caught now from being kept.
                if records.len() >= MAX_RECORDS {
                    records.remove(0);
                }
                records.push(record);
            }
            // Rust's own report for panics nothing here catches (a failing assertion in a
            // test, a bug `main` reports), and for every panic when asked to.
            if verbose || !inside_catch() {
                default(info);
            }
        }));
    });
}

/// The text of a panic payload (`panic!("…")` gives a `&str` or a `String`).
pub fn payload_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic without a message".to_string()
    }
}

/// Run `f`; a panic in it becomes a [`Failure`] of `part`.
///
/// The state `f` touched may be half-updated after a panic; callers only use what `f`
/// returns, or state that stays consistent at every step (values pushed onto a `Vec`).
pub fn catch<T>(part: impl FnOnce() -> String, f: impl FnOnce() -> T) -> Result<T, Failure> {
    install();
    let depth = READING.with(|r| r.borrow().len());
    let outcome = {
        let _catching = Catching::enter();
        panic::catch_unwind(AssertUnwindSafe(f))
    };
    match outcome {
        Ok(v) => Ok(v),
        Err(payload) => {
            // Guards of the unwound frames are dropped by now; this restores the stack in
            // case one was leaked.
            READING.with(|r| r.borrow_mut().truncate(depth));
            let message = payload_message(payload.as_ref());
            let record = take_record(&message);
            Err(Failure {
                part: part(),
                file: record.as_ref().and_then(|r| r.file.clone()),
                message,
                location: record.and_then(|r| r.location),
            })
        }
    }
}

/// The hook's record of the panic whose message is `message` (the latest such), removed.
/// Panics of parallel parts are told apart by their message; two identical messages at
/// once may swap their file and location, which names the same code either way.
fn take_record(message: &str) -> Option<Record> {
    let mut records = RECORDS.lock().ok()?;
    let i = records.iter().rposition(|r| r.message == message)?;
    Some(records.remove(i))
}

/// Marks the repository file this thread is reading until the guard is dropped, so that a
/// panic meanwhile names it.
#[must_use = "the file is marked only while the guard lives"]
pub struct Reading(());

/// Mark `file` as the one being read (see [`Reading`]); an empty name marks nothing new
/// (the enclosing file stays the one named).
pub fn reading(file: &str) -> Reading {
    READING.with(|r| r.borrow_mut().push(file.to_string()));
    Reading(())
}

impl Drop for Reading {
    fn drop(&mut self) {
        READING.with(|r| {
            r.borrow_mut().pop();
        });
    }
}

/// The environment variable that makes a part panic on purpose, in debug builds only
/// (the builds `cargo test` runs): `rule:<name>` for a rule, `evaluator` for the
/// evaluator. It exists to test the isolation end to end through the binary.
pub const INJECT_VAR: &str = "PUPPET_PREFLIGHT_INJECT_PANIC";

/// Panic if [`INJECT_VAR`] names `part` (debug builds only; a no-op in release builds).
#[cfg(debug_assertions)]
pub fn inject(part: &str) {
    if std::env::var(INJECT_VAR).is_ok_and(|v| v == part) {
        panic!("injected failure of {part} ({INJECT_VAR})");
    }
}

/// Panic if [`INJECT_VAR`] names `part` (debug builds only; a no-op in release builds).
#[cfg(not(debug_assertions))]
#[inline(always)]
pub fn inject(_part: &str) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_a_failure_naming_the_file_and_place() {
        let got = catch(
            || "rule demo".to_string(),
            || {
                let _g = reading("modules/app/files/run.sh");
                let words: Vec<&str> = Vec::new();
                words[3]
            },
        );
        let f = got.unwrap_err();
        assert_eq!(f.part, "rule demo");
        assert_eq!(f.file.as_deref(), Some("modules/app/files/run.sh"));
        assert!(f.message.contains("index out of bounds"), "{}", f.message);
        assert!(
            f.location
                .as_deref()
                .unwrap()
                .starts_with("src/isolate.rs:"),
            "{f:?}"
        );
        assert!(f.describe().starts_with(
            "rule demo failed while reading modules/app/files/run.sh: index out of bounds"
        ));
        // The guard was unwound with the panic.
        assert!(READING.with(|r| r.borrow().is_empty()));
    }

    #[test]
    fn only_panics_on_their_way_to_a_catch_are_kept_quiet() {
        // A test thread outside `catch`: a failing assertion here must print as usual.
        assert!(!inside_catch());
        let inside = catch(|| "x".into(), inside_catch).unwrap();
        assert!(inside);
        assert!(!inside_catch());
    }

    #[test]
    fn no_panic_no_failure_and_the_file_mark_is_scoped() {
        let v = catch(|| "x".into(), || 7).unwrap();
        assert_eq!(v, 7);
        {
            let _g = reading("a.pp");
            assert_eq!(READING.with(|r| r.borrow().clone()), ["a.pp"]);
        }
        assert!(READING.with(|r| r.borrow().is_empty()));
    }

    #[test]
    fn the_analyzer_is_named_from_the_source_file() {
        let f = Failure {
            part: "rule deploy-script-unsafe".into(),
            file: None,
            message: "m".into(),
            location: Some("src/analysis/shell/mod.rs:616:21".into()),
        };
        assert_eq!(f.analyzer(), Some("the shell analyzer"));
        assert_eq!(
            f.describe(),
            "rule deploy-script-unsafe, in the shell analyzer, failed: m (at src/analysis/shell/mod.rs:616:21)"
        );
    }
}
