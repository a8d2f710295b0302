//! `puppet-preflight parse PATH...`: the syntax check of manifests.
//!
//! Files and directories (walked for `*.pp`, sorted), parsed in parallel. Exit status 0
//! when every file parses, 1 when any has a syntax error, 2 on usage or I/O errors (a
//! missing path, an unreadable file, a file that is not UTF-8).

use std::io::Write;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::Serialize;

use crate::diagnostic::LineIndex;
use crate::error::Error;
use crate::parser::{self, SyntaxDiagnostic, SyntaxError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Source snippets with the error marked (miette).
    Human,
    /// `{"files": N, "failed": [{"file", "line", "column", "message"}]}`.
    Json,
    /// The syntax tree of each file as an s-expression (for debugging the parser).
    Tree,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Manifest files or directories (directories are searched for *.pp files).
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,

    /// Bolt's tasks mode (as `puppet --tasks`): `plan` and `apply` are keywords.
    #[arg(long)]
    pub tasks: bool,

    /// Print timing to stderr: bytes parsed, time spent inside the parser, throughput.
    #[arg(long)]
    pub stats: bool,

    /// Number of parallel jobs (default: one per core).
    #[arg(long, short = 'j', value_name = "N")]
    pub jobs: Option<usize>,
}

/// One file's outcome.
struct FileResult {
    path: String,
    text: String,
    errors: Vec<SyntaxError>,
    tree: Option<String>,
    /// Time spent in the parser (lexing and parsing, not reading).
    parse_time: std::time::Duration,
}

#[derive(Serialize)]
struct JsonFailure {
    file: String,
    line: u32,
    column: u32,
    message: String,
}

#[derive(Serialize)]
struct JsonReport {
    files: usize,
    failed: Vec<JsonFailure>,
}

pub fn run(args: Args) -> miette::Result<i32> {
    let started = std::time::Instant::now();
    let files = collect_files(&args.paths)?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.jobs.unwrap_or(0))
        .stack_size(16 * 1024 * 1024)
        .build()
        .map_err(|e| Error::Usage(format!("cannot start worker threads: {e}")))?;
    let want_tree = args.format == Format::Tree;
    let options = parser::Options { tasks: args.tasks };
    // A large tree: a progress line on a terminal (never in a pipe or a log).
    let progress = super::progress::Progress::new("parsing", files.len(), false, 500);
    let results: Vec<Result<FileResult, Error>> = pool.install(|| {
        files
            .par_iter()
            .map(|p| {
                let r = check_file(p, want_tree, &options);
                progress.step(&p.display().to_string());
                r
            })
            .collect()
    });
    progress.finish();
    let mut ok = Vec::with_capacity(results.len());
    for r in results {
        ok.push(r?);
    }
    let failed = ok.iter().any(|r| !r.errors.is_empty());
    if args.stats {
        print_stats(&ok, started.elapsed());
    }
    match args.format {
        Format::Json => print_json(&ok)?,
        Format::Human => print_human(&ok),
        Format::Tree => {
            let stdout = std::io::stdout();
            let mut out = stdout.lock();
            for r in &ok {
                let _ = writeln!(out, "{}: {}", r.path, r.tree.as_deref().unwrap_or(""));
            }
            print_human(&ok);
        }
    }
    Ok(if failed { 1 } else { 0 })
}

/// Expand the arguments to a sorted list of files. A missing path is an error; a
/// directory without manifests is fine.
fn collect_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, Error> {
    let mut files = Vec::new();
    for p in paths {
        let meta = std::fs::metadata(p).map_err(|err| Error::Io {
            path: p.display().to_string(),
            err,
        })?;
        if meta.is_dir() {
            let mut found = Vec::new();
            // Symlinked directories are not descended (no loops, no file seen twice, as
            // `find` and git); a symlink to a file counts as that file.
            for entry in walkdir::WalkDir::new(p) {
                let entry = entry.map_err(|e| {
                    let path = e
                        .path()
                        .map_or_else(|| p.display().to_string(), |x| x.display().to_string());
                    Error::Io {
                        path,
                        err: e
                            .into_io_error()
                            .unwrap_or_else(|| std::io::Error::other("file system loop")),
                    }
                })?;
                let is_file = entry.file_type().is_file()
                    || (entry.path_is_symlink()
                        && std::fs::metadata(entry.path()).is_ok_and(|m| m.is_file()));
                if is_file && entry.path().extension().is_some_and(|x| x == "pp") {
                    found.push(entry.into_path());
                }
            }
            found.sort();
            files.extend(found);
        } else {
            files.push(p.clone());
        }
    }
    Ok(files)
}

fn check_file(
    path: &Path,
    want_tree: bool,
    options: &parser::Options,
) -> Result<FileResult, Error> {
    let shown = path.display().to_string();
    // A FIFO, socket or device named on the command line would block or never end.
    if let Ok(meta) = std::fs::metadata(path) {
        if !meta.is_file() {
            return Err(Error::Io {
                path: shown,
                err: std::io::Error::other("not a regular file"),
            });
        }
    }
    let bytes = std::fs::read(path).map_err(|err| Error::Io {
        path: shown.clone(),
        err,
    })?;
    let text = String::from_utf8(bytes).map_err(|e| Error::NotUtf8 {
        path: shown.clone(),
        offset: e.utf8_error().valid_up_to(),
    })?;
    let t0 = std::time::Instant::now();
    let parsed = parser::parse_with(&text, options);
    let parse_time = t0.elapsed();
    let tree = want_tree.then(|| parser::sexpr::program(&parsed.program));
    Ok(FileResult {
        path: shown,
        text,
        errors: parsed.errors,
        tree,
        parse_time,
    })
}

fn print_human(results: &[FileResult]) {
    // The same drawing as `check`: Unicode, colour only on a terminal without NO_COLOR,
    // messages never wrapped (a path must stay whole).
    use std::io::IsTerminal;
    let colour = std::io::stderr().is_terminal()
        && std::env::var_os("NO_COLOR").map_or(true, |v| v.is_empty());
    let theme = if colour {
        miette::GraphicalTheme::unicode()
    } else {
        miette::GraphicalTheme::unicode_nocolor()
    };
    let handler = miette::GraphicalReportHandler::new_themed(theme).with_wrap_lines(false);
    let stderr = std::io::stderr();
    let mut err = stderr.lock();
    let mut nfail = 0;
    let mut nerr = 0;
    for r in results {
        if r.errors.is_empty() {
            continue;
        }
        nfail += 1;
        for e in &r.errors {
            nerr += 1;
            let d = SyntaxDiagnostic::new(&r.path, &r.text, e.clone());
            let mut s = String::new();
            if handler.render_report(&mut s, &d).is_err() {
                s = format!("{}: {}\n", r.path, e.message);
            }
            let _ = writeln!(err, "{s}");
        }
    }
    let _ = writeln!(
        err,
        "{} file{} checked, {} with syntax errors ({} error{})",
        results.len(),
        if results.len() == 1 { "" } else { "s" },
        nfail,
        nerr,
        if nerr == 1 { "" } else { "s" }
    );
}

fn print_stats(results: &[FileResult], wall: std::time::Duration) {
    let bytes: usize = results.iter().map(|r| r.text.len()).sum();
    let parse: f64 = results.iter().map(|r| r.parse_time.as_secs_f64()).sum();
    let mb = bytes as f64 / 1e6;
    eprintln!(
        "stats: {} files, {:.2} MB; parser time {:.3} s ({:.1} MB/s per thread); wall {:.3} s",
        results.len(),
        mb,
        parse,
        if parse > 0.0 { mb / parse } else { 0.0 },
        wall.as_secs_f64()
    );
}

fn print_json(results: &[FileResult]) -> Result<(), Error> {
    let mut failed = Vec::new();
    for r in results {
        if r.errors.is_empty() {
            continue;
        }
        let idx = LineIndex::new(&r.text);
        for e in &r.errors {
            let lc = idx.line_col(&r.text, e.span.start);
            failed.push(JsonFailure {
                file: r.path.clone(),
                line: lc.line,
                column: lc.column,
                message: e.message.clone(),
            });
        }
    }
    let report = JsonReport {
        files: results.len(),
        failed,
    };
    let s = serde_json::to_string_pretty(&report)
        .map_err(|e| Error::Usage(format!("cannot encode JSON: {e}")))?;
    println!("{s}");
    Ok(())
}
