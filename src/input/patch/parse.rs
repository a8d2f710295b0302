//! Reading unified diffs: `git diff`, `git format-patch` (one or an mbox of several),
//! and `diff -u`/`diff -ruN`, with LF or CRLF line endings.
//!
//! The parser works on bytes (file content in a patch need not be UTF-8) and remembers
//! the 1-based patch line of every file header and hunk for error messages. Anything
//! outside a file section (mail headers, commit messages, diffstats, `Only in` lines,
//! signatures) is skipped.

use super::super::error::InputError;
use super::super::git::utf8_path;

/// A parsed patch: every file section in order, and the subjects of its mails.
#[derive(Debug, Default)]
pub struct PatchSet {
    pub files: Vec<FilePatch>,
    /// `Subject:` lines of format-patch mails, `[PATCH n/m]` stripped.
    pub subjects: Vec<String>,
}

/// One file's part of a patch.
#[derive(Debug, Default, Clone)]
pub struct FilePatch {
    /// 1-based line of the section's first header line.
    pub line: usize,
    /// Which mail of an mbox the section belongs to (0 for a plain diff). The sections of
    /// one patch all describe changes from the same preimage.
    pub patch_no: usize,
    /// Path before, `None` for a creation.
    pub old_path: Option<String>,
    /// Path after, `None` for a deletion.
    pub new_path: Option<String>,
    pub old_mode: Option<u32>,
    pub new_mode: Option<u32>,
    pub created: bool,
    pub deleted: bool,
    pub renamed: bool,
    pub copied: bool,
    /// `Binary files … differ` or a `GIT binary patch`: the content is not in the patch.
    pub binary: bool,
    pub hunks: Vec<Hunk>,
}

impl FilePatch {
    /// The path to name in messages.
    pub fn display_path(&self) -> &str {
        self.new_path
            .as_deref()
            .or(self.old_path.as_deref())
            .unwrap_or("?")
    }
}

#[derive(Debug, Clone)]
pub struct Hunk {
    /// 1-based patch line of the `@@` header.
    pub line: usize,
    /// The `@@ … @@` part of the header, for messages.
    pub header: String,
    pub old_start: usize,
    pub old_count: usize,
    pub new_start: usize,
    pub new_count: usize,
    pub lines: Vec<HunkLine>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineKind {
    Context,
    Removed,
    Added,
}

/// One line of a hunk: its bytes including the final `\n`, except for a last line marked
/// `\ No newline at end of file`.
#[derive(Debug, Clone)]
pub struct HunkLine {
    pub kind: LineKind,
    pub text: Vec<u8>,
}

/// Parses `data`; `name` is how the patch is named in errors.
pub fn parse(data: &[u8], name: &str) -> Result<PatchSet, InputError> {
    let lines = split_lines(data);
    Parser {
        lines,
        pos: 0,
        name,
        patch_no: 0,
    }
    .run()
}

/// Splits into lines without their terminator. When the patch itself was converted to
/// CRLF (its header lines end in `\r`), exactly one `\r` is removed from every line, so
/// content that genuinely ends in `\r` survives.
fn split_lines(data: &[u8]) -> Vec<&[u8]> {
    let mut lines: Vec<&[u8]> = data.split(|&b| b == b'\n').collect();
    if data.ends_with(b"\n") {
        lines.pop();
    }
    let converted = lines
        .iter()
        .find(|l| {
            l.starts_with(b"diff ")
                || l.starts_with(b"--- ")
                || l.starts_with(b"+++ ")
                || l.starts_with(b"@@ ")
        })
        .is_some_and(|l| l.ends_with(b"\r"));
    if converted {
        for l in &mut lines {
            if let Some(stripped) = l.strip_suffix(b"\r") {
                *l = stripped;
            }
        }
    }
    lines
}

struct Parser<'a> {
    lines: Vec<&'a [u8]>,
    pos: usize,
    name: &'a str,
    patch_no: usize,
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<&'a [u8]> {
        self.lines.get(self.pos).copied()
    }

    fn malformed(&self, line: usize, message: impl Into<String>) -> InputError {
        InputError::MalformedPatch {
            patch: self.name.to_string(),
            line,
            message: message.into(),
        }
    }

    fn run(mut self) -> Result<PatchSet, InputError> {
        let mut set = PatchSet::default();
        let mut in_mail_headers = false;
        while let Some(line) = self.peek() {
            let lineno = self.pos + 1;
            if is_mbox_separator(line) {
                in_mail_headers = true;
                self.patch_no += 1;
                self.pos += 1;
            } else if in_mail_headers && line.is_empty() {
                in_mail_headers = false;
                self.pos += 1;
            } else if in_mail_headers && starts_with_ci(line, b"subject:") {
                let mut subject = String::from_utf8_lossy(&line[8..]).trim().to_string();
                self.pos += 1;
                // RFC 2822 folded header lines continue with whitespace.
                while let Some(next) = self.peek() {
                    if next.starts_with(b" ") || next.starts_with(b"\t") {
                        subject.push(' ');
                        subject.push_str(String::from_utf8_lossy(next).trim());
                        self.pos += 1;
                    } else {
                        break;
                    }
                }
                set.subjects.push(strip_patch_prefix(&subject));
            } else if line.starts_with(b"diff --cc ") || line.starts_with(b"diff --combined ") {
                return Err(InputError::CombinedDiff {
                    patch: self.name.to_string(),
                    line: lineno,
                });
            } else if line.starts_with(b"diff --git ") {
                let fp = self.git_section()?;
                set.files.push(fp);
            } else if line.starts_with(b"--- ")
                && self
                    .lines
                    .get(self.pos + 1)
                    .is_some_and(|n| n.starts_with(b"+++ "))
            {
                let fp = self.plain_section()?;
                set.files.push(fp);
            } else if line.starts_with(b"@@ -") {
                return Err(self.malformed(
                    lineno,
                    "a hunk (`@@`) without the `---`/`+++` file header before it",
                ));
            } else {
                self.pos += 1;
            }
        }
        if set.files.is_empty() {
            return Err(InputError::EmptyPatch {
                patch: self.name.to_string(),
            });
        }
        Ok(set)
    }

    /// A section that starts with `diff --git a/X b/Y`.
    fn git_section(&mut self) -> Result<FilePatch, InputError> {
        let start = self.pos + 1;
        let header = self.lines[self.pos];
        self.pos += 1;
        let (a, b) = self.diff_git_names(&header[b"diff --git ".len()..], start)?;
        let mut fp = FilePatch {
            line: start,
            patch_no: self.patch_no,
            old_path: Some(a),
            new_path: Some(b),
            ..FilePatch::default()
        };
        // Extended headers.
        while let Some(line) = self.peek() {
            let lineno = self.pos + 1;
            let text = String::from_utf8_lossy(line);
            if let Some(m) = text.strip_prefix("old mode ") {
                fp.old_mode = Some(self.mode(m, lineno)?);
            } else if let Some(m) = text.strip_prefix("new mode ") {
                fp.new_mode = Some(self.mode(m, lineno)?);
            } else if let Some(m) = text.strip_prefix("deleted file mode ") {
                fp.deleted = true;
                fp.old_mode = Some(self.mode(m, lineno)?);
            } else if let Some(m) = text.strip_prefix("new file mode ") {
                fp.created = true;
                fp.new_mode = Some(self.mode(m, lineno)?);
            } else if line.starts_with(b"rename from ") {
                fp.renamed = true;
                fp.old_path = Some(self.path_value(&line[12..], lineno)?);
            } else if line.starts_with(b"rename to ") {
                fp.renamed = true;
                fp.new_path = Some(self.path_value(&line[10..], lineno)?);
            } else if line.starts_with(b"copy from ") {
                fp.copied = true;
                fp.old_path = Some(self.path_value(&line[10..], lineno)?);
            } else if line.starts_with(b"copy to ") {
                fp.copied = true;
                fp.new_path = Some(self.path_value(&line[8..], lineno)?);
            } else if let Some(rest) = text.strip_prefix("index ") {
                // `index abc..def 100644`: the mode applies to both sides.
                if let Some(m) = rest.split_whitespace().nth(1) {
                    let mode = self.mode(m, lineno)?;
                    fp.old_mode.get_or_insert(mode);
                    fp.new_mode.get_or_insert(mode);
                }
            } else if text.starts_with("similarity index ")
                || text.starts_with("dissimilarity index ")
            {
                // Informational.
            } else {
                break;
            }
            self.pos += 1;
        }
        if fp.created {
            fp.old_path = None;
        }
        if fp.deleted {
            fp.new_path = None;
        }
        match self.peek() {
            Some(l) if l.starts_with(b"Binary files ") => {
                fp.binary = true;
                self.pos += 1;
            }
            Some(l) if l == b"GIT binary patch" => {
                fp.binary = true;
                self.pos += 1;
                self.skip_binary_data();
            }
            Some(l) if l.starts_with(b"--- ") => {
                self.file_headers(&mut fp, true)?;
                self.hunks(&mut fp)?;
            }
            _ => {}
        }
        Ok(fp)
    }

    /// A `diff -u` section: `--- old` and `+++ new` (with optional tab + timestamp).
    fn plain_section(&mut self) -> Result<FilePatch, InputError> {
        let mut fp = FilePatch {
            line: self.pos + 1,
            patch_no: self.patch_no,
            ..FilePatch::default()
        };
        self.file_headers(&mut fp, false)?;
        self.hunks(&mut fp)?;
        if fp.hunks.is_empty() {
            return Err(self.malformed(
                fp.line + 2,
                "a `---`/`+++` file header with no hunk after it",
            ));
        }
        Ok(fp)
    }

    /// Reads `--- X` / `+++ Y`. In a git section the names only confirm the header's (a
    /// side may be `/dev/null`); in a plain diff they are the names.
    fn file_headers(&mut self, fp: &mut FilePatch, git: bool) -> Result<(), InputError> {
        let old_no = self.pos + 1;
        let old = self.lines[self.pos];
        let new = match self.lines.get(self.pos + 1) {
            Some(n) if n.starts_with(b"+++ ") => *n,
            _ => {
                return Err(self.malformed(old_no + 1, "a `---` line not followed by a `+++` line"))
            }
        };
        self.pos += 2;
        let (old_name, old_epoch) = header_name(&old[4..]);
        let (new_name, new_epoch) = header_name(&new[4..]);
        let old_missing = old_name == b"/dev/null" || old_epoch;
        let new_missing = new_name == b"/dev/null" || new_epoch;
        if git {
            if old_missing {
                fp.created = true;
                fp.old_path = None;
            }
            if new_missing {
                fp.deleted = true;
                fp.new_path = None;
            }
            return Ok(());
        }
        let old_name = if old_missing {
            None
        } else {
            Some(self.path_value(old_name, old_no)?)
        };
        let new_name = if new_missing {
            None
        } else {
            Some(self.path_value(new_name, old_no + 1)?)
        };
        let (old_name, new_name) = strip_plain_prefixes(old_name, new_name);
        fp.created = old_missing;
        fp.deleted = new_missing;
        fp.old_path = old_name;
        fp.new_path = new_name;
        if fp.old_path.is_none() && fp.new_path.is_none() {
            return Err(self.malformed(old_no, "both sides of the file header are /dev/null"));
        }
        Ok(())
    }

    fn hunks(&mut self, fp: &mut FilePatch) -> Result<(), InputError> {
        while let Some(line) = self.peek() {
            if !line.starts_with(b"@@ ") {
                break;
            }
            let lineno = self.pos + 1;
            let mut hunk = self.hunk_header(line, lineno)?;
            self.pos += 1;
            let (mut old_left, mut new_left) = (hunk.old_count, hunk.new_count);
            while old_left > 0 || new_left > 0 {
                let no = self.pos + 1;
                let Some(l) = self.peek() else {
                    return Err(self.malformed(no, format!(
                        "the patch ends inside hunk #{} of {} ({}): {old_left} old and {new_left} new lines are missing",
                        fp.hunks.len() + 1, fp.display_path(), hunk.header
                    )));
                };
                let (kind, body): (LineKind, &[u8]) = match l.first() {
                    Some(b' ') => (LineKind::Context, &l[1..]),
                    // Mailers and editors strip the space of an empty context line.
                    None => (LineKind::Context, l),
                    Some(b'-') => (LineKind::Removed, &l[1..]),
                    Some(b'+') => (LineKind::Added, &l[1..]),
                    Some(b'\\') => {
                        self.no_newline(&mut hunk);
                        self.pos += 1;
                        continue;
                    }
                    Some(_) => {
                        return Err(self.malformed(no, format!(
                            "hunk #{} of {} ({}) ends early: {old_left} old and {new_left} new lines are missing (a line must start with ' ', '-' or '+')",
                            fp.hunks.len() + 1, fp.display_path(), hunk.header
                        )));
                    }
                };
                match kind {
                    LineKind::Context if old_left > 0 && new_left > 0 => {
                        old_left -= 1;
                        new_left -= 1;
                    }
                    LineKind::Removed if old_left > 0 => old_left -= 1,
                    LineKind::Added if new_left > 0 => new_left -= 1,
                    _ => {
                        return Err(self.malformed(
                            no,
                            format!(
                                "hunk #{} of {} ({}) has more lines than its header counts",
                                fp.hunks.len() + 1,
                                fp.display_path(),
                                hunk.header
                            ),
                        ));
                    }
                }
                let mut text = body.to_vec();
                text.push(b'\n');
                hunk.lines.push(HunkLine { kind, text });
                self.pos += 1;
            }
            // A `\ No newline at end of file` after the last counted line.
            if self.peek().is_some_and(|l| l.starts_with(b"\\")) {
                self.no_newline(&mut hunk);
                self.pos += 1;
            }
            fp.hunks.push(hunk);
        }
        Ok(())
    }

    fn no_newline(&self, hunk: &mut Hunk) {
        if let Some(last) = hunk.lines.last_mut() {
            if last.text.last() == Some(&b'\n') {
                last.text.pop();
            }
        }
    }

    /// `@@ -a[,b] +c[,d] @@ optional section heading`
    fn hunk_header(&self, line: &[u8], lineno: usize) -> Result<Hunk, InputError> {
        let text = String::from_utf8_lossy(line);
        let bad = || self.malformed(lineno, format!("bad hunk header `{}`", text.trim_end()));
        let rest = text.strip_prefix("@@ -").ok_or_else(bad)?;
        let end = rest.find(" @@").ok_or_else(bad)?;
        let ranges = &rest[..end];
        let (old, new) = ranges.split_once(" +").ok_or_else(bad)?;
        let range = |s: &str| -> Option<(usize, usize)> {
            match s.split_once(',') {
                Some((a, b)) => Some((a.parse().ok()?, b.parse().ok()?)),
                None => Some((s.parse().ok()?, 1)),
            }
        };
        let (old_start, old_count) = range(old).ok_or_else(bad)?;
        let (new_start, new_count) = range(new).ok_or_else(bad)?;
        Ok(Hunk {
            line: lineno,
            header: format!("@@ -{old} +{new} @@"),
            old_start,
            old_count,
            new_start,
            new_count,
            lines: Vec::new(),
        })
    }

    /// Skips the base85 blocks of a `GIT binary patch`.
    fn skip_binary_data(&mut self) {
        while let Some(l) = self.peek() {
            let block_line = l.is_empty()
                || l.starts_with(b"literal ")
                || l.starts_with(b"delta ")
                || (l[0].is_ascii_alphabetic() && l[1..].iter().all(|&c| is_base85(c)));
            if !block_line {
                break;
            }
            self.pos += 1;
        }
    }

    fn mode(&self, text: &str, lineno: usize) -> Result<u32, InputError> {
        u32::from_str_radix(text.trim(), 8)
            .map_err(|_| self.malformed(lineno, format!("bad file mode `{}`", text.trim())))
    }

    /// A path value from an extended header (`rename from P`), possibly C-quoted.
    fn path_value(&self, raw: &[u8], lineno: usize) -> Result<String, InputError> {
        let bytes = if raw.starts_with(b"\"") {
            unquote(raw).map(|(b, _)| b).ok_or_else(|| {
                self.malformed(
                    lineno,
                    format!("bad quoted path {}", String::from_utf8_lossy(raw)),
                )
            })?
        } else {
            raw.to_vec()
        };
        utf8_path(&bytes)
    }

    /// The two names of `diff --git A B`, prefixes (`a/`, `b/`, mnemonic ones) removed.
    /// Unquoted names with spaces are ambiguous: the split that makes both names equal
    /// is taken (renames also carry `rename from/to` headers, which override).
    fn diff_git_names(&self, rest: &[u8], lineno: usize) -> Result<(String, String), InputError> {
        let bad = || {
            self.malformed(
                lineno,
                format!(
                    "cannot read the file names in `diff --git {}`",
                    String::from_utf8_lossy(rest)
                ),
            )
        };
        let (a, b) = if rest.starts_with(b"\"") {
            let (a, used) = unquote(rest).ok_or_else(bad)?;
            let tail = rest.get(used..).ok_or_else(bad)?;
            let tail = tail.strip_prefix(b" ").ok_or_else(bad)?;
            let b = if tail.starts_with(b"\"") {
                unquote(tail).ok_or_else(bad)?.0
            } else {
                tail.to_vec()
            };
            (a, b)
        } else if let Some(q) = find(rest, b" \"") {
            let b = unquote(&rest[q + 1..]).ok_or_else(bad)?.0;
            (rest[..q].to_vec(), b)
        } else {
            let spaces: Vec<usize> = rest
                .iter()
                .enumerate()
                .filter(|(_, &c)| c == b' ')
                .map(|(i, _)| i)
                .collect();
            let split = spaces
                .iter()
                .find(|&&i| strip_git_prefix(&rest[..i]) == strip_git_prefix(&rest[i + 1..]))
                .or_else(|| spaces.iter().find(|&&i| rest[i + 1..].starts_with(b"b/")))
                .or(spaces.first())
                .copied()
                .ok_or_else(bad)?;
            (rest[..split].to_vec(), rest[split + 1..].to_vec())
        };
        let prefixed = has_git_prefix(&a) && has_git_prefix(&b);
        let (a, b) = if prefixed {
            (a[2..].to_vec(), b[2..].to_vec())
        } else {
            (a, b)
        };
        Ok((utf8_path(&a)?, utf8_path(&b)?))
    }
}

/// `From <40 hex> Mon Sep 17 00:00:00 2001`, the envelope line of `git format-patch`,
/// or any mbox `From ` line.
fn is_mbox_separator(line: &[u8]) -> bool {
    let Some(rest) = line.strip_prefix(b"From ") else {
        return false;
    };
    let word = rest.split(|&c| c == b' ').next().unwrap_or_default();
    (word.len() == 40 || word.len() == 64) && word.iter().all(u8::is_ascii_hexdigit)
        || rest.ends_with(b" 2001") && rest.contains(&b':')
}

fn starts_with_ci(line: &[u8], prefix: &[u8]) -> bool {
    line.len() >= prefix.len() && line[..prefix.len()].eq_ignore_ascii_case(prefix)
}

/// `[PATCH 2/3] Fix it` -> `Fix it`.
fn strip_patch_prefix(subject: &str) -> String {
    let s = subject.trim();
    if s.starts_with('[') {
        if let Some(end) = s.find(']') {
            return s[end + 1..].trim().to_string();
        }
    }
    s.to_string()
}

/// The name of a `---`/`+++` line without its tab-separated timestamp, and whether that
/// timestamp is the epoch (how `diff -N` marks a missing file).
fn header_name(raw: &[u8]) -> (&[u8], bool) {
    match raw.iter().position(|&c| c == b'\t') {
        Some(t) => {
            let stamp = &raw[t + 1..];
            let epoch = stamp.starts_with(b"1970-01-01 ") || stamp.starts_with(b"1969-12-31 ");
            (&raw[..t], epoch)
        }
        None => (raw, false),
    }
}

const GIT_PREFIXES: [&[u8]; 6] = [b"a/", b"b/", b"i/", b"w/", b"c/", b"o/"];

fn has_git_prefix(name: &[u8]) -> bool {
    GIT_PREFIXES.iter().any(|p| name.starts_with(p)) && name.len() > 2
}

fn strip_git_prefix(name: &[u8]) -> &[u8] {
    if has_git_prefix(name) {
        &name[2..]
    } else {
        name
    }
}

/// `diff -u` names are as typed: `a/x b/x`, `orig/x new/x` or `x x`. The first component
/// is dropped when it differs between the sides (or is `a`/`b` with one side missing).
fn strip_plain_prefixes(
    old: Option<String>,
    new: Option<String>,
) -> (Option<String>, Option<String>) {
    fn split(p: &str) -> Option<(&str, &str)> {
        p.split_once('/')
            .filter(|(head, tail)| !head.is_empty() && !tail.is_empty())
    }
    match (old.as_deref(), new.as_deref()) {
        (Some(o), Some(n)) => match (split(o), split(n)) {
            (Some((oh, ot)), Some((nh, nt))) if oh != nh => {
                (Some(ot.to_string()), Some(nt.to_string()))
            }
            _ => (old, new),
        },
        (Some(o), None) => match split(o) {
            Some(("a", t)) => (Some(t.to_string()), None),
            _ => (old, new),
        },
        (None, Some(n)) => match split(n) {
            Some(("b", t)) => (None, Some(t.to_string())),
            _ => (old, new),
        },
        (None, None) => (None, None),
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn is_base85(c: u8) -> bool {
    c.is_ascii_alphanumeric() || b"!#$%&()*+-;<=>?@^_`{|}~".contains(&c)
}

/// Decodes a C-quoted name (`"a/tab\there \303\251.pp"`); returns the bytes and how many
/// input bytes the quoted string used.
fn unquote(raw: &[u8]) -> Option<(Vec<u8>, usize)> {
    let mut out = Vec::new();
    let mut i = 1;
    while i < raw.len() {
        match raw[i] {
            b'"' => return Some((out, i + 1)),
            b'\\' => {
                let c = *raw.get(i + 1)?;
                i += 2;
                match c {
                    b'n' => out.push(b'\n'),
                    b't' => out.push(b'\t'),
                    b'r' => out.push(b'\r'),
                    b'a' => out.push(7),
                    b'b' => out.push(8),
                    b'f' => out.push(12),
                    b'v' => out.push(11),
                    b'"' | b'\\' => out.push(c),
                    b'0'..=b'3' => {
                        let d1 = *raw.get(i)?;
                        let d2 = *raw.get(i + 1)?;
                        if !(b'0'..=b'7').contains(&d1) || !(b'0'..=b'7').contains(&d2) {
                            return None;
                        }
                        out.push((c - b'0') * 64 + (d1 - b'0') * 8 + (d2 - b'0'));
                        i += 2;
                    }
                    _ => return None,
                }
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unquotes_octal_and_escapes() {
        let (b, used) = unquote(br#""a/caf\303\251 \"x\".pp" tail"#).unwrap();
        assert_eq!(String::from_utf8(b).unwrap(), "a/café \"x\".pp");
        assert_eq!(used, 24);
        assert!(unquote(br#""unterminated"#).is_none());
    }

    #[test]
    fn diff_git_names_with_spaces_split_where_names_match() {
        let p = b"diff --git a/my file.pp b/my file.pp\n";
        let set = parse(p, "t");
        // No hunks and no headers: a section with only names is still a file patch.
        let set = set.unwrap();
        assert_eq!(set.files[0].old_path.as_deref(), Some("my file.pp"));
        assert_eq!(set.files[0].new_path.as_deref(), Some("my file.pp"));
    }

    #[test]
    fn plain_prefixes() {
        let s = |x: &str| Some(x.to_string());
        assert_eq!(
            strip_plain_prefixes(s("a/m/x.pp"), s("b/m/x.pp")),
            (s("m/x.pp"), s("m/x.pp"))
        );
        assert_eq!(
            strip_plain_prefixes(s("m/x.pp"), s("m/x.pp")),
            (s("m/x.pp"), s("m/x.pp"))
        );
        assert_eq!(strip_plain_prefixes(None, s("b/x.pp")), (None, s("x.pp")));
        assert_eq!(
            strip_plain_prefixes(s("x.pp"), s("x.pp")),
            (s("x.pp"), s("x.pp"))
        );
    }

    #[test]
    fn hunk_counts_default_to_one_and_zero_means_empty() {
        let p = b"--- a/x\n+++ b/x\n@@ -3 +2,0 @@\n-gone\n";
        let set = parse(p, "t").unwrap();
        let h = &set.files[0].hunks[0];
        assert_eq!(
            (h.old_start, h.old_count, h.new_start, h.new_count),
            (3, 1, 2, 0)
        );
    }

    #[test]
    fn no_newline_marker_drops_the_line_end() {
        let p = b"--- a/x\n+++ b/x\n@@ -1 +1 @@\n-old\n\\ No newline at end of file\n+new\n\\ No newline at end of file\n";
        let set = parse(p, "t").unwrap();
        let h = &set.files[0].hunks[0];
        assert_eq!(h.lines[0].text, b"old");
        assert_eq!(h.lines[1].text, b"new");
    }

    #[test]
    fn truncated_hunk_names_the_line() {
        let p = b"--- a/x\n+++ b/x\n@@ -1,3 +1,3 @@\n a\n-b\n";
        match parse(p, "t") {
            Err(InputError::MalformedPatch { line, .. }) => assert_eq!(line, 6),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn garbage_inside_a_hunk_is_malformed() {
        let p = b"--- a/x\n+++ b/x\n@@ -1,2 +1,2 @@\n a\n*b\n";
        match parse(p, "t") {
            Err(InputError::MalformedPatch { line, .. }) => assert_eq!(line, 5),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn text_without_headers_is_empty() {
        assert!(matches!(
            parse(b"hello\nworld\n", "t"),
            Err(InputError::EmptyPatch { .. })
        ));
        assert!(matches!(
            parse(b"", "t"),
            Err(InputError::EmptyPatch { .. })
        ));
    }

    #[test]
    fn crlf_patch_is_read_like_lf() {
        let p = b"--- a/x\r\n+++ b/x\r\n@@ -1 +1 @@\r\n-old\r\n+new\r\n";
        let set = parse(p, "t").unwrap();
        assert_eq!(set.files[0].hunks[0].lines[1].text, b"new\n");
    }

    #[test]
    fn combined_diff_is_refused() {
        let p = b"diff --cc x.pp\nindex 1,2..3\n";
        assert!(matches!(
            parse(p, "t"),
            Err(InputError::CombinedDiff { line: 1, .. })
        ));
    }
}
