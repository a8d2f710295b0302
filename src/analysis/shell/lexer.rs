//! A shell lexer good enough for heuristics: words with their quoting, variables and
//! command substitutions; operators; redirections; comments; line continuations;
//! here-documents (their bodies are data, never commands).
//!
//! It follows POSIX sh and bash lexing closely where it matters for not being fooled
//! (text in quotes, comments and here-documents is never taken for a command), and gives
//! up gracefully elsewhere: an unterminated quote or substitution runs to the end of the
//! text and is reported, never a panic.

use crate::analysis::template::{self, span};
use crate::ast::Span;

/// One piece of a shell word.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Part {
    /// Unquoted text (globs and `~` kept as written).
    Lit(String),
    /// Text from single or double quotes (no expansion inside).
    Quoted(String),
    /// `$name`, `${name}`, `${name:-default}`, `$1`, `$@`…
    Var {
        name: String,
        /// The literal default of `${name:-default}` / `${name-default}`.
        default: Option<String>,
        /// Other parameter-expansion operators (`${x##*/}`): the value is not `$name`.
        modified: bool,
    },
    /// `$(…)` or `` `…` ``; the span covers the inner text.
    Subst(Span),
    /// `$((…))`, `$'…'` or template output: not known.
    Unknown,
}

/// A word as the shell sees it before expansion.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShWord {
    pub parts: Vec<Part>,
    pub span: Span,
}

impl ShWord {
    /// The word's text when it is made only of literal and quoted text.
    pub fn literal(&self) -> Option<String> {
        let mut s = String::new();
        for p in &self.parts {
            match p {
                Part::Lit(t) | Part::Quoted(t) => s.push_str(t),
                _ => return None,
            }
        }
        Some(s)
    }

    /// True when some of the text was quoted.
    pub fn has_quotes(&self) -> bool {
        self.parts.iter().any(|p| matches!(p, Part::Quoted(_)))
    }
}

/// Operators that separate commands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Semi,
    DoubleSemi,
    Amp,
    AndIf,
    OrIf,
    Pipe,
    PipeAmp,
    LParen,
    RParen,
    Newline,
}

/// A redirection operator with its optional file descriptor number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RedirOp {
    /// `>`, `>>`, `>|`, `<`, `<<`, `<<-`, `<<<`, `>&`, `<&`, `&>`, `&>>`, `<>`.
    pub op: String,
    pub fd: Option<u32>,
}

impl RedirOp {
    /// True for redirections that write a file (`>`, `>>`, `>|`, `&>`, `&>>`).
    pub fn writes(&self) -> bool {
        matches!(self.op.as_str(), ">" | ">>" | ">|" | "&>" | "&>>")
    }

    /// True for redirections that truncate the file before the command runs.
    pub fn truncates(&self) -> bool {
        matches!(self.op.as_str(), ">" | ">|" | "&>")
    }

    /// Here-documents: `<<` and `<<-`.
    pub fn is_heredoc(&self) -> bool {
        self.op == "<<" || self.op == "<<-"
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Token {
    Word(ShWord),
    Op(Op, Span),
    Redir(RedirOp, Span),
}

/// Something the lexer could not close.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LexError {
    pub message: String,
    pub span: Span,
}

/// A here-document body (data, not commands).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Heredoc {
    pub delimiter: String,
    pub body: Span,
}

#[derive(Debug, Default)]
pub struct Lexed {
    pub tokens: Vec<Token>,
    pub errors: Vec<LexError>,
    pub heredocs: Vec<Heredoc>,
}

/// Lexes `text[range]`; spans are offsets into `text`.
pub fn lex(text: &str, range: std::ops::Range<usize>) -> Lexed {
    let mut lx = Lexer {
        text,
        b: text.as_bytes(),
        i: range.start,
        end: range.end.min(text.len()),
        out: Lexed::default(),
        pending_heredocs: Vec::new(),
    };
    lx.run();
    lx.out
}

struct Lexer<'a> {
    text: &'a str,
    b: &'a [u8],
    i: usize,
    end: usize,
    out: Lexed,
    pending_heredocs: Vec<(String, bool)>,
}

impl<'a> Lexer<'a> {
    fn peek(&self, k: usize) -> Option<u8> {
        let j = self.i + k;
        (j < self.end).then(|| self.b[j])
    }

    fn run(&mut self) {
        while self.i < self.end {
            let c = self.b[self.i];
            match c {
                b' ' | b'\t' | b'\r' | template::CODE => self.i += 1,
                b'\\' if self.peek(1) == Some(b'\n') => self.i += 2,
                b'#' => {
                    while self.i < self.end && self.b[self.i] != b'\n' {
                        self.i += 1;
                    }
                }
                b'\n' => {
                    self.push_op(Op::Newline, 1);
                    self.read_heredoc_bodies();
                }
                b';' => {
                    if self.peek(1) == Some(b';') {
                        self.push_op(Op::DoubleSemi, 2)
                    } else {
                        self.push_op(Op::Semi, 1)
                    }
                }
                b'&' => match self.peek(1) {
                    Some(b'&') => self.push_op(Op::AndIf, 2),
                    Some(b'>') => {
                        let n = if self.peek(2) == Some(b'>') { 3 } else { 2 };
                        self.push_redir(None, n, self.i);
                    }
                    _ => self.push_op(Op::Amp, 1),
                },
                b'|' => match self.peek(1) {
                    Some(b'|') => self.push_op(Op::OrIf, 2),
                    Some(b'&') => self.push_op(Op::PipeAmp, 2),
                    _ => self.push_op(Op::Pipe, 1),
                },
                b'(' => self.push_op(Op::LParen, 1),
                b')' => self.push_op(Op::RParen, 1),
                b'<' | b'>' => {
                    let n = self.redir_len();
                    self.push_redir(None, n, self.i);
                }
                _ => {
                    // `2>file`: a number directly before a redirection is its fd.
                    let digits = self.b[self.i..self.end]
                        .iter()
                        .take_while(|c| c.is_ascii_digit())
                        .count();
                    if digits > 0 && matches!(self.peek(digits), Some(b'<' | b'>')) {
                        let fd = self.text[self.i..self.i + digits].parse().ok();
                        let start = self.i;
                        self.i += digits;
                        let n = self.redir_len();
                        self.push_redir(fd, n, start);
                    } else {
                        self.word();
                    }
                }
            }
        }
    }

    fn redir_len(&self) -> usize {
        let rest = &self.b[self.i..self.end];
        for op in [
            &b"<<<"[..],
            b"<<-",
            b"&>>",
            b">>",
            b"<<",
            b">&",
            b"<&",
            b">|",
            b"<>",
            b">",
            b"<",
        ] {
            if rest.starts_with(op) {
                return op.len();
            }
        }
        1
    }

    fn push_op(&mut self, op: Op, n: usize) {
        self.out
            .tokens
            .push(Token::Op(op, span(self.i, self.i + n)));
        self.i += n;
    }

    fn push_redir(&mut self, fd: Option<u32>, n: usize, start: usize) {
        let op = self.text[self.i..self.i + n].to_string();
        self.i += n;
        let redir = RedirOp { op, fd };
        if redir.is_heredoc() {
            let strip_tabs = redir.op == "<<-";
            // The delimiter is the next word, quotes removed.
            while self.i < self.end && matches!(self.b[self.i], b' ' | b'\t') {
                self.i += 1;
            }
            let before = self.out.tokens.len();
            self.out
                .tokens
                .push(Token::Redir(redir, span(start, self.i)));
            if self.i < self.end {
                self.word();
            }
            if let Some(Token::Word(w)) = self.out.tokens.get(before + 1) {
                let delim: String = w
                    .parts
                    .iter()
                    .map(|p| match p {
                        Part::Lit(t) | Part::Quoted(t) => t.clone(),
                        _ => String::new(),
                    })
                    .collect();
                self.pending_heredocs.push((delim, strip_tabs));
            }
            return;
        }
        self.out
            .tokens
            .push(Token::Redir(redir, span(start, self.i)));
    }

    fn read_heredoc_bodies(&mut self) {
        for (delim, strip_tabs) in std::mem::take(&mut self.pending_heredocs) {
            let body_start = self.i;
            let mut found = false;
            while self.i < self.end {
                let line_end = self.b[self.i..self.end]
                    .iter()
                    .position(|c| *c == b'\n')
                    .map_or(self.end, |p| self.i + p);
                let mut line = &self.text[self.i..line_end];
                line = line.trim_end_matches('\r');
                if strip_tabs {
                    line = line.trim_start_matches('\t');
                }
                let next = (line_end + 1).min(self.end);
                if line == delim {
                    self.out.heredocs.push(Heredoc {
                        delimiter: delim.clone(),
                        body: span(body_start, self.i),
                    });
                    self.i = next;
                    found = true;
                    break;
                }
                self.i = next;
                if line_end >= self.end {
                    break;
                }
            }
            if !found {
                self.out.errors.push(LexError {
                    message: format!("the here-document `{delim}` never ends"),
                    span: span(body_start, self.end),
                });
                self.out.heredocs.push(Heredoc {
                    delimiter: delim,
                    body: span(body_start, self.end),
                });
            }
        }
    }

    fn word(&mut self) {
        let start = self.i;
        let mut parts: Vec<Part> = Vec::new();
        let mut lit = String::new();
        while self.i < self.end {
            let c = self.b[self.i];
            match c {
                b' ' | b'\t' | b'\r' | b'\n' | b';' | b'&' | b'|' | b'(' | b')' | b'<' | b'>' => {
                    break
                }
                b'\\' => {
                    if self.peek(1) == Some(b'\n') {
                        self.i += 2;
                        continue;
                    }
                    self.i += 1;
                    if self.i < self.end {
                        let ch = self.char_at(self.i);
                        flush(&mut lit, &mut parts, false);
                        parts.push(Part::Quoted(ch.to_string()));
                        self.i += ch.len_utf8();
                    }
                }
                b'\'' => {
                    flush(&mut lit, &mut parts, false);
                    let open = self.i;
                    self.i += 1;
                    let s = self.i;
                    while self.i < self.end && self.b[self.i] != b'\'' {
                        self.i += 1;
                    }
                    if self.i >= self.end {
                        self.error("a single quote never closes", open);
                    }
                    parts.push(Part::Quoted(self.text[s..self.i].to_string()));
                    self.i = (self.i + 1).min(self.end);
                }
                b'"' => {
                    flush(&mut lit, &mut parts, false);
                    self.double_quoted(&mut parts);
                }
                b'`' => {
                    flush(&mut lit, &mut parts, false);
                    self.backtick(&mut parts);
                }
                b'$' => {
                    flush(&mut lit, &mut parts, false);
                    self.dollar(&mut parts, false);
                }
                c if template::is_marker(c) => {
                    flush(&mut lit, &mut parts, false);
                    self.markers(&mut parts);
                }
                _ => {
                    let ch = self.char_at(self.i);
                    lit.push(ch);
                    self.i += ch.len_utf8();
                }
            }
        }
        flush(&mut lit, &mut parts, false);
        if self.i == start {
            // Defensive: never loop without progress.
            self.i += 1;
            return;
        }
        self.out.tokens.push(Token::Word(ShWord {
            parts,
            span: span(start, self.i),
        }));
    }

    /// `` `…` `` at `self.i`: a command substitution.
    fn backtick(&mut self, parts: &mut Vec<Part>) {
        let open = self.i;
        self.i += 1;
        let s = self.i;
        while self.i < self.end && self.b[self.i] != b'`' {
            if self.b[self.i] == b'\\' {
                self.i += 1;
            }
            self.i += 1;
        }
        if self.i >= self.end {
            self.error("a backtick substitution never closes", open);
        }
        parts.push(Part::Subst(span(s, self.i.min(self.end))));
        self.i = (self.i + 1).min(self.end);
    }

    /// A run of template marker bytes: text we cannot know.
    fn markers(&mut self, parts: &mut Vec<Part>) {
        while self.i < self.end && template::is_marker(self.b[self.i]) {
            self.i += 1;
        }
        parts.push(Part::Unknown);
    }

    fn char_at(&self, i: usize) -> char {
        self.text[i..].chars().next().unwrap_or(' ')
    }

    fn error(&mut self, message: &str, at: usize) {
        self.out.errors.push(LexError {
            message: message.to_string(),
            span: span(at, self.end),
        });
    }

    fn double_quoted(&mut self, parts: &mut Vec<Part>) {
        let open = self.i;
        self.i += 1;
        let mut lit = String::new();
        while self.i < self.end && self.b[self.i] != b'"' {
            match self.b[self.i] {
                b'\\' => {
                    let next = self.peek(1);
                    match next {
                        Some(b'\n') => self.i += 2,
                        Some(c @ (b'"' | b'\\' | b'$' | b'`')) => {
                            lit.push(c as char);
                            self.i += 2;
                        }
                        _ => {
                            lit.push('\\');
                            self.i += 1;
                        }
                    }
                }
                b'$' => {
                    flush(&mut lit, parts, true);
                    self.dollar(parts, true);
                }
                b'`' => {
                    flush(&mut lit, parts, true);
                    self.backtick(parts);
                }
                c if template::is_marker(c) => {
                    flush(&mut lit, parts, true);
                    self.markers(parts);
                }
                _ => {
                    let ch = self.char_at(self.i);
                    lit.push(ch);
                    self.i += ch.len_utf8();
                }
            }
        }
        if self.i >= self.end {
            self.error("a double quote never closes", open);
        }
        flush(&mut lit, parts, true);
        // Keep `""` visible as an (empty) quoted part.
        if parts.is_empty() {
            parts.push(Part::Quoted(String::new()));
        }
        self.i = (self.i + 1).min(self.end);
    }

    /// `$…` at `self.i`.
    fn dollar(&mut self, parts: &mut Vec<Part>, in_dquote: bool) {
        let start = self.i;
        match self.peek(1) {
            Some(b'(') if self.peek(2) == Some(b'(') => {
                (self.i, _) = self.matching(start + 1, b'(', b')');
                parts.push(Part::Unknown);
            }
            Some(b'(') => {
                let inner = start + 2;
                let (after, closed) = self.matching(start + 1, b'(', b')');
                self.i = after;
                let inner_end = if closed { after - 1 } else { self.end };
                parts.push(Part::Subst(span(inner, inner_end)));
            }
            Some(b'{') => {
                let inner = start + 2;
                let (after, closed) = self.matching(start + 1, b'{', b'}');
                self.i = after;
                let inner_end = if closed { after - 1 } else { self.end };
                parts.push(parameter(&self.text[inner..inner_end]));
            }
            Some(b'\'') if !in_dquote => {
                // ANSI-C quoting: escapes we do not interpret.
                self.i += 2;
                while self.i < self.end && self.b[self.i] != b'\'' {
                    if self.b[self.i] == b'\\' {
                        self.i += 1;
                    }
                    self.i += 1;
                }
                self.i = (self.i + 1).min(self.end);
                parts.push(Part::Unknown);
            }
            Some(c) if c.is_ascii_alphabetic() || c == b'_' => {
                let s = start + 1;
                let mut e = s;
                while e < self.end && (self.b[e].is_ascii_alphanumeric() || self.b[e] == b'_') {
                    e += 1;
                }
                parts.push(Part::Var {
                    name: self.text[s..e].to_string(),
                    default: None,
                    modified: false,
                });
                self.i = e;
            }
            Some(c) if c.is_ascii_digit() || b"@*#?$!-".contains(&c) => {
                parts.push(Part::Var {
                    name: (c as char).to_string(),
                    default: None,
                    modified: false,
                });
                self.i += 2;
            }
            _ => {
                let lit = Part::Lit("$".to_string());
                parts.push(if in_dquote {
                    Part::Quoted("$".to_string())
                } else {
                    lit
                });
                self.i += 1;
            }
        }
    }

    /// Index just after the bracket matching the one at `open`, skipping quotes, and
    /// whether it was found (otherwise the end of the text).
    fn matching(&mut self, open: usize, o: u8, c: u8) -> (usize, bool) {
        let mut depth = 0usize;
        let mut j = open;
        let mut quote: Option<u8> = None;
        while j < self.end {
            let b = self.b[j];
            match quote {
                Some(q) => {
                    if b == b'\\' && q == b'"' {
                        j += 1;
                    } else if b == q {
                        quote = None;
                    }
                }
                None => {
                    if b == b'\\' {
                        j += 1;
                    } else if b == b'\'' || b == b'"' {
                        quote = Some(b);
                    } else if b == o {
                        depth += 1;
                    } else if b == c {
                        depth = depth.saturating_sub(1);
                        if depth == 0 {
                            return (j + 1, true);
                        }
                    }
                }
            }
            j += 1;
        }
        self.error("a `$(`/`${` expansion never closes", open);
        (self.end, false)
    }
}

fn flush(lit: &mut String, parts: &mut Vec<Part>, quoted: bool) {
    if !lit.is_empty() {
        let t = std::mem::take(lit);
        parts.push(if quoted {
            Part::Quoted(t)
        } else {
            Part::Lit(t)
        });
    }
}

/// `${…}` contents.
fn parameter(inner: &str) -> Part {
    let name_len = inner
        .bytes()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == b'_')
        .count();
    // `${#x}`, `${@}`, …: a one-character special name.
    let name_len = match inner.chars().next() {
        Some(c) if name_len == 0 => c.len_utf8(),
        _ => name_len,
    };
    let name = inner[..name_len.min(inner.len())].to_string();
    let rest = &inner[name_len.min(inner.len())..];
    if rest.is_empty() {
        return Part::Var {
            name,
            default: None,
            modified: false,
        };
    }
    for op in [":-", "-", ":=", "="] {
        if let Some(d) = rest.strip_prefix(op) {
            let default = (!d.contains(['$', '`'])).then(|| d.to_string());
            let modified = default.is_none();
            return Part::Var {
                name,
                default,
                modified,
            };
        }
    }
    Part::Var {
        name,
        default: None,
        modified: true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(src: &str) -> Vec<String> {
        lex(src, 0..src.len())
            .tokens
            .iter()
            .map(|t| match t {
                Token::Word(w) => w.literal().unwrap_or_else(|| "<expr>".into()),
                Token::Op(op, _) => format!("{op:?}"),
                Token::Redir(r, _) => r.op.clone(),
            })
            .collect()
    }

    #[test]
    fn quotes_comments_and_operators() {
        assert_eq!(
            words("echo 'a # b' \"c;d\" # wget -O x\nls&&pwd"),
            ["echo", "a # b", "c;d", "Newline", "ls", "AndIf", "pwd"]
        );
        assert_eq!(
            words("a 2>&1 >/dev/null"),
            ["a", ">&", "1", ">", "/dev/null"]
        );
        assert_eq!(words("a \\\n b"), ["a", "b"]);
    }

    #[test]
    fn heredoc_bodies_are_not_tokens() {
        let src = "cat > /x <<'EOF'\nwget -O /usr/bin/y http://z\nEOF\necho done\n";
        let l = lex(src, 0..src.len());
        assert_eq!(l.heredocs.len(), 1);
        assert_eq!(
            words(src),
            ["cat", ">", "/x", "<<", "EOF", "Newline", "echo", "done", "Newline"]
        );
    }

    #[test]
    fn substitutions_and_parameters() {
        let src = "t=$(mktemp -d) x=${TMP:-/tmp} y=`date`";
        let l = lex(src, 0..src.len());
        let Token::Word(w) = &l.tokens[0] else {
            panic!("word expected")
        };
        match &w.parts[1] {
            Part::Subst(s) => assert_eq!(&src[s.range()], "mktemp -d"),
            other => panic!("{other:?}"),
        }
        let Token::Word(w) = &l.tokens[1] else {
            panic!("word expected")
        };
        assert!(
            matches!(&w.parts[1], Part::Var { name, default: Some(d), .. } if name == "TMP" && d == "/tmp")
        );
    }

    #[test]
    fn unterminated_constructs_are_errors_not_panics() {
        for src in [
            "echo 'abc",
            "echo \"abc",
            "x=$(foo",
            "cat <<EOF\nbody",
            "echo `x",
        ] {
            let l = lex(src, 0..src.len());
            assert!(!l.errors.is_empty(), "{src:?}");
        }
    }
}
