//! Writing reports: standard output, `--output FILE` and every `--report FORMAT=PATH`.
//!
//! Every report is rendered before anything is written, and each file is written to a
//! temporary file beside it and renamed into place, so a failure never leaves a half
//! report behind. Missing parent directories are created (CI jobs write to `log/…`).
//! A path inside a git directory (`.git/…`, or a bare repository) is refused: the tool
//! never writes into a repository's git data. Two reports to the same path are refused.

use std::io::Write;
use std::path::{Component, Path, PathBuf};

use miette::Diagnostic;
use thiserror::Error;

use super::gerrit::GerritOptions;
use super::human::HumanOptions;
use super::{checkstyle, dot, gerrit, github, html, human, json, junit, sarif};
use super::{Format, OutputArgs, ReportData};

/// Why reports could not be written. Each makes the process exit with status 2.
#[derive(Debug, Error, Diagnostic)]
pub enum ReportError {
    #[error(
        "refusing to write the {format} report to {path}: it is inside the git directory {git_dir}"
    )]
    #[diagnostic(
        code(preflight::report::inside_git_dir),
        help("write reports outside the repository's git data, e.g. to log/ or $TMPDIR")
    )]
    InsideGitDir {
        format: &'static str,
        path: PathBuf,
        git_dir: PathBuf,
    },

    #[error("{path} is named by two outputs ({first} and {second})")]
    #[diagnostic(
        code(preflight::report::duplicate_path),
        help("give each --output/--report its own file")
    )]
    DuplicatePath {
        path: PathBuf,
        first: &'static str,
        second: &'static str,
    },

    #[error("cannot write the {format} report to {path}: {source}")]
    #[diagnostic(
        code(preflight::report::write),
        help("check that the directory is writable and that the path is not a directory")
    )]
    Write {
        format: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("cannot write to standard output: {0}")]
    #[diagnostic(code(preflight::report::stdout))]
    Stdout(#[source] std::io::Error),
}

/// Render one format. `color` only matters for `human`.
pub fn render(format: Format, data: &ReportData, args: &OutputArgs, color: bool) -> String {
    match format {
        Format::Human => human::render(
            data,
            HumanOptions {
                color,
                summary: args.summary,
                quiet: args.quiet,
            },
        ),
        Format::Json => json::render(data),
        Format::Sarif => sarif::render(data),
        Format::Checkstyle => checkstyle::render(data),
        Format::Junit => junit::render(data),
        Format::Gerrit => gerrit::render(data, &GerritOptions::from(args)),
        Format::Github => github::render(data),
        Format::Html => html::render(data),
        Format::Dot => dot::render(data),
    }
}

/// Make `path` absolute and lexically normal (`.` and `..` resolved) without touching the
/// filesystem, then resolve symlinks in the longest prefix that exists.
fn normalise(path: &Path) -> PathBuf {
    let abs = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .unwrap_or_else(|_| PathBuf::from("/"))
            .join(path)
    };
    let mut lexical = PathBuf::new();
    for c in abs.components() {
        match c {
            Component::ParentDir => {
                lexical.pop();
            }
            Component::CurDir => {}
            other => lexical.push(other.as_os_str()),
        }
    }
    // Resolve symlinks in the existing part (a symlink into .git must not get through).
    let mut existing = lexical.clone();
    let mut rest = Vec::new();
    while !existing.exists() {
        match (
            existing.file_name().map(|n| n.to_os_string()),
            existing.parent(),
        ) {
            (Some(name), Some(parent)) => {
                rest.push(name);
                existing = parent.to_path_buf();
            }
            _ => break,
        }
    }
    let mut out = existing.canonicalize().unwrap_or(existing);
    for name in rest.into_iter().rev() {
        out.push(name);
    }
    out
}

/// Is `dir` a git directory (`.git`, a bare repository, a worktree's git dir)?
fn is_git_dir(dir: &Path) -> bool {
    dir.file_name().is_some_and(|n| n == ".git")
        || (dir.join("HEAD").is_file() && dir.join("objects").is_dir() && dir.join("refs").is_dir())
        || (dir.join("HEAD").is_file() && dir.join("commondir").is_file())
}

/// The git directory `path` would be written into, if any.
pub fn git_dir_containing(path: &Path) -> Option<PathBuf> {
    let norm = normalise(path);
    let mut dir = norm.parent();
    while let Some(d) = dir {
        if is_git_dir(d) {
            return Some(d.to_path_buf());
        }
        dir = d.parent();
    }
    None
}

fn write_file(path: &Path, content: &str) -> std::io::Result<()> {
    // A device or pipe (`--output /dev/stdout`, a FIFO): write straight into it.
    if let Ok(meta) = std::fs::metadata(path) {
        if !meta.is_file() && !meta.is_dir() {
            let mut f = std::fs::OpenOptions::new().write(true).open(path)?;
            return f.write_all(content.as_bytes()).and_then(|()| f.flush());
        }
    }
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    let file_name = path
        .file_name()
        .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidInput, "no file name"))?;
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(file_name);
    tmp_name.push(format!(".tmp-{}", std::process::id()));
    let tmp = path.with_file_name(tmp_name);
    let result = std::fs::write(&tmp, content).and_then(|()| std::fs::rename(&tmp, path));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Write every requested output: the `--format` output to standard output (or
/// `--output`), and each `--report`. Nothing is written when a path is refused.
pub fn write_all(args: &OutputArgs, data: &ReportData) -> Result<(), ReportError> {
    // (format, Some(path) for a file / None for standard output)
    let mut targets: Vec<(Format, Option<PathBuf>)> = Vec::new();
    let main_path = args.output.clone().filter(|p| p.as_os_str() != "-");
    targets.push((args.format, main_path));
    for r in &args.reports {
        targets.push((r.format, Some(r.path.clone())));
    }

    let mut seen: Vec<(PathBuf, &'static str)> = Vec::new();
    for (format, path) in &targets {
        let Some(path) = path else { continue };
        if let Some(git_dir) = git_dir_containing(path) {
            return Err(ReportError::InsideGitDir {
                format: format.name(),
                path: path.clone(),
                git_dir,
            });
        }
        let norm = normalise(path);
        if let Some((_, first)) = seen.iter().find(|(p, _)| *p == norm) {
            return Err(ReportError::DuplicatePath {
                path: path.clone(),
                first,
                second: format.name(),
            });
        }
        seen.push((norm, format.name()));
    }

    let rendered: Vec<(Format, Option<PathBuf>, String)> = targets
        .into_iter()
        .map(|(format, path)| {
            let color = path.is_none() && args.color.for_stdout();
            let text = render(format, data, args, color);
            (format, path, text)
        })
        .collect();

    let mut stdout_text = None;
    let mut main_file = None;
    for (i, (format, path, text)) in rendered.into_iter().enumerate() {
        if i == 0 {
            main_file = path
                .clone()
                .filter(|p| std::fs::metadata(p).map_or(true, |m| m.is_file()));
        }
        match path {
            Some(path) => write_file(&path, &text).map_err(|source| ReportError::Write {
                format: format.name(),
                path,
                source,
            })?,
            None => stdout_text = Some(text),
        }
    }
    if let Some(text) = stdout_text {
        let mut out = std::io::stdout().lock();
        match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
            // `check … | head` closing the pipe early is not a failure of the check.
            Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                return Err(ReportError::Stdout(e))
            }
            _ => {}
        }
    }
    // The main output went to a file: one line on the terminal says where, and the result
    // (standard error, so that nothing mixes with a report piped elsewhere).
    if let Some(path) = main_file.filter(|_| !args.quiet) {
        eprintln!(
            "{}: {}; {} report written to {}",
            data.tool.name,
            data.counts().findings_phrase(),
            args.format.name(),
            path.display()
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_inside_git_dirs_are_found() {
        let tmp = tempfile::tempdir().unwrap();
        let repo = tmp.path().join("repo");
        std::fs::create_dir_all(repo.join(".git/hooks")).unwrap();
        assert!(git_dir_containing(&repo.join(".git/hooks/report.json")).is_some());
        assert!(git_dir_containing(&repo.join(".git/new/dir/report.json")).is_some());
        assert!(git_dir_containing(&repo.join("sub/../.git/x.json")).is_some());
        assert!(git_dir_containing(&repo.join("log/report.json")).is_none());
        // A bare repository.
        let bare = tmp.path().join("bare.git2");
        std::fs::create_dir_all(bare.join("objects")).unwrap();
        std::fs::create_dir_all(bare.join("refs")).unwrap();
        std::fs::write(bare.join("HEAD"), "ref: refs/heads/main\n").unwrap();
        assert!(git_dir_containing(&bare.join("x.json")).is_some());
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_into_git_dir_is_caught() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(tmp.path().join("repo/.git")).unwrap();
        std::os::unix::fs::symlink(tmp.path().join("repo/.git"), tmp.path().join("link")).unwrap();
        assert!(git_dir_containing(&tmp.path().join("link/r.json")).is_some());
    }

    #[cfg(unix)]
    #[test]
    fn write_file_writes_into_devices() {
        write_file(Path::new("/dev/null"), "x").unwrap();
    }

    #[test]
    fn write_file_creates_parents_and_leaves_no_temp() {
        let tmp = tempfile::tempdir().unwrap();
        let p = tmp.path().join("a/b/r.xml");
        write_file(&p, "x").unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "x");
        let names: Vec<_> = std::fs::read_dir(tmp.path().join("a/b")).unwrap().collect();
        assert_eq!(names.len(), 1);
        // A directory in the way is an error, and no temp file stays behind.
        std::fs::create_dir_all(tmp.path().join("d/r.xml")).unwrap();
        assert!(write_file(&tmp.path().join("d/r.xml"), "x").is_err());
        assert_eq!(std::fs::read_dir(tmp.path().join("d")).unwrap().count(), 1);
    }
}
