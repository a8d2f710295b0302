//! Real seed files for the fuzz tests: `PREFLIGHT_SEED_REPOS` lists git directories
//! (colon-separated); every script, unit file and template at `HEAD` of each is read from
//! the object database (nothing is checked out, nothing is written). Unset: the test says
//! it is skipped and passes.

use std::io::Write;
use std::path::{Path, PathBuf};

pub const VAR: &str = "PREFLIGHT_SEED_REPOS";

/// Larger files are left out (the analyzers' cost on big input is the robustness tests'
/// business, not the fuzzer's).
const MAX_BYTES: usize = 512 * 1024;

/// One file at `HEAD` of a seed repository, and what it is to the analyzers.
#[derive(Clone, Debug)]
pub struct SeedFile {
    pub repo: String,
    pub path: String,
    pub text: String,
    /// `*.sh`, `*.bash` (also as templates), or a `#!` first line.
    pub script: bool,
    /// `*.service`, `*.socket`, `*.timer`, `*.mount`, `*.path`, drop-in `*.conf` (also
    /// as templates).
    pub unit: bool,
    /// `*.erb` or `*.epp`.
    pub template: bool,
}

impl SeedFile {
    pub fn label(&self) -> String {
        format!("{}:{}", self.repo, self.path)
    }
}

/// The seed repositories, or `None` (with a note on stderr) when the variable is unset.
pub fn repos(test: &str) -> Option<Vec<PathBuf>> {
    match std::env::var(VAR) {
        Ok(list) if !list.trim().is_empty() => Some(
            list.split(':')
                .filter(|s| !s.is_empty())
                .map(PathBuf::from)
                .collect(),
        ),
        _ => {
            let _ = writeln!(
                std::io::stderr(),
                "{test}: skipped (set {VAR} to colon-separated git directories to fuzz with \
                 their scripts, unit files and templates)"
            );
            None
        }
    }
}

/// Every seed file at `HEAD` of the git directory `repo`.
pub fn load(repo: &Path) -> Vec<SeedFile> {
    let git = git2::Repository::open(repo)
        .unwrap_or_else(|e| panic!("{VAR}: cannot open {}: {e}", repo.display()));
    let tree = git
        .head()
        .and_then(|h| h.peel_to_tree())
        .unwrap_or_else(|e| panic!("{VAR}: no HEAD tree in {}: {e}", repo.display()));
    let mut found: Vec<(String, git2::Oid)> = Vec::new();
    tree.walk(git2::TreeWalkMode::PreOrder, |dir, entry| {
        if entry.kind() == Some(git2::ObjectType::Blob) {
            if let Some(name) = entry.name() {
                found.push((format!("{dir}{name}"), entry.id()));
            }
        }
        git2::TreeWalkResult::Ok
    })
    .expect("walk the tree");
    let label = repo.display().to_string();
    let mut out = Vec::new();
    for (path, oid) in found {
        let Ok(blob) = git.find_blob(oid) else {
            continue;
        };
        let data = blob.content();
        if data.len() > MAX_BYTES || data.contains(&0) {
            continue;
        }
        let template = path.ends_with(".erb") || path.ends_with(".epp");
        let stem = path.trim_end_matches(".erb").trim_end_matches(".epp");
        let script = stem.ends_with(".sh") || stem.ends_with(".bash") || data.starts_with(b"#!");
        let unit = [".service", ".socket", ".timer", ".mount", ".path"]
            .iter()
            .any(|s| stem.ends_with(s))
            || (stem.contains(".service.d/") && stem.ends_with(".conf"));
        if !(script || unit || template) {
            continue;
        }
        out.push(SeedFile {
            repo: label.clone(),
            path,
            text: String::from_utf8_lossy(data).into_owned(),
            script,
            unit,
            template,
        });
    }
    out
}

/// Words that run the words after them as a command.
const WRAPPERS: &[&str] = &[
    "sudo", "doas", "env", "timeout", "nice", "ionice", "nohup", "stdbuf", "command", "exec",
    "time",
];

/// A small deterministic generator (xorshift), so a failure names a reproducible case.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: &str) -> Rng {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in seed.bytes() {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        Rng(h | 1)
    }

    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    /// In `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// The mutations of one seed text: every prefix cut at a line end (at most `max_cuts` of
/// them, evenly spread), prefix cuts inside lines at word ends (after the words of lines
/// with a command wrapper, and random ones), `deletions` random byte-range deletions
/// (snapped to character boundaries, and one raw cut through a multi-byte character made
/// valid again), and `splices` of a line range of `donor` inserted at a random line
/// start.
pub fn mutations(
    text: &str,
    donor: &str,
    rng: &mut Rng,
    max_cuts: usize,
    deletions: usize,
    splices: usize,
) -> Vec<String> {
    let mut out = Vec::new();
    let ends: Vec<usize> = text.match_indices('\n').map(|(i, _)| i + 1).collect();
    let step = ends.len().div_ceil(max_cuts.max(1)).max(1);
    for &e in ends.iter().step_by(step) {
        out.push(text[..e].to_string());
        // The same cut without its newline: a command ends at the end of the text.
        out.push(text[..e - 1].to_string());
    }
    // Cuts inside lines, at the end of a word: after each word of a line that uses a
    // command wrapper (`sudo -u`, `timeout -k 5`: the command is cut off), then at random
    // word ends; at most `deletions` of each.
    let word_ends: Vec<usize> = text
        .char_indices()
        .filter(|&(i, c)| c == ' ' && i > 0 && !text[..i].ends_with(' '))
        .map(|(i, _)| i)
        .collect();
    let wrapped: Vec<usize> = word_ends
        .iter()
        .copied()
        .filter(|&i| {
            let line_start = text[..i].rfind('\n').map_or(0, |p| p + 1);
            let line_end = text[i..].find('\n').map_or(text.len(), |p| i + p);
            let line = &text[line_start..line_end];
            WRAPPERS
                .iter()
                .any(|w| line.split_whitespace().any(|x| x == *w))
        })
        .take(deletions)
        .collect();
    for i in wrapped {
        out.push(text[..i].to_string());
    }
    if !word_ends.is_empty() {
        for _ in 0..deletions {
            out.push(text[..word_ends[rng.below(word_ends.len())]].to_string());
        }
    }
    if !text.is_empty() {
        for _ in 0..deletions {
            let a = super::boundary_at_or_before(text, rng.below(text.len()));
            let len = 1 + rng.below(64.min(text.len() - a).max(1));
            let b = super::boundary_at_or_before(text, a + len);
            out.push(format!("{}{}", &text[..a], &text[b..]));
        }
        // A raw byte cut (possibly inside a character), decoded leniently.
        let cut = rng.below(text.len());
        out.push(String::from_utf8_lossy(&text.as_bytes()[..cut]).into_owned());
    }
    let donor_lines: Vec<&str> = donor.split_inclusive('\n').collect();
    let starts: Vec<usize> = std::iter::once(0)
        .chain(ends.iter().copied().filter(|&e| e < text.len()))
        .collect();
    if !donor_lines.is_empty() {
        for _ in 0..splices {
            let from = rng.below(donor_lines.len());
            let to = (from + 1 + rng.below(8)).min(donor_lines.len());
            let chunk: String = donor_lines[from..to].concat();
            let at = starts[rng.below(starts.len())];
            out.push(format!("{}{chunk}{}", &text[..at], &text[at..]));
        }
    }
    out
}
