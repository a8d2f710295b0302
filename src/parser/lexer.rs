//! Stage 1: the context-aware tokenizer.
//!
//! Puppet's lexer is not context free, and this one reproduces its decisions
//! (grammar reference §1): `[` is LISTSTART after whitespace and LBRACK otherwise, `(` is
//! WSLPAREN when it is the first thing on its line, `{` after `?` is SELBRACE, `/` is a
//! regex or a division depending on the previous token, a bare word is a keyword, a NAME or
//! a WORD depending on its shape, heredoc bodies are taken out of band from the following
//! lines, and `${…}` inside strings re-enters the expression lexer until the balancing `}`.
//!
//! Token values (names, string text after escapes, regex bodies, number text) are kept in
//! a side table so that [`Token`] stays a small `Copy` value.
//!
//! nom is used for the self-contained recognisers: numbers and the heredoc opener. The
//! main loop is a byte-dispatch `match`, which is what keeps the lexer fast.

use nom::branch::alt;
use nom::bytes::complete::{tag, take_while, take_while1};
use nom::character::complete::{char as nchar, digit1, one_of};
use nom::combinator::{opt, recognize};
use nom::sequence::{pair, preceded, tuple};
use nom::IResult;

use super::{Comment, SyntaxError};
use crate::ast::{SmolStr, Span};

/// Maximum nesting of `${…}` / heredoc-in-interpolation before the lexer gives up.
pub const MAX_LEX_DEPTH: usize = 32;

/// The kinds of token. Names follow Puppet's own token names where one exists.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum T {
    // values (text in the side table)
    Name,
    Word,
    ClassRef,
    Variable,
    Number,
    /// A string without interpolation (single-quoted, plain double-quoted, heredoc text).
    Str,
    Regex,
    // keywords
    And,
    Attr,
    Case,
    Class,
    Default,
    Define,
    Else,
    Elsif,
    False,
    Function,
    If,
    In,
    Inherits,
    Node,
    Or,
    Private,
    True,
    Type,
    Undef,
    Unless,
    /// `plan` and `apply`: keywords only in Bolt's tasks mode.
    Plan,
    Apply,
    // interpolated strings: DqStart (DqText | Variable | InterpStart tokens InterpEnd)* DqEnd
    DqStart,
    DqText,
    InterpStart,
    InterpEnd,
    DqEnd,
    /// `@(TAG:syntax/escapes)`; text = syntax (may be empty); followed by Str or DqStart…DqEnd.
    Heredoc,
    // punctuation
    LParen,
    WsLParen,
    RParen,
    ListStart,
    LBrack,
    RBrack,
    LBrace,
    SelBrace,
    RBrace,
    Comma,
    Semi,
    Colon,
    Dot,
    Question,
    Pipe,
    At,
    AtAt,
    Assign,
    PlusAssign,
    MinusAssign,
    EqEq,
    NotEq,
    Match,
    NoMatch,
    Lt,
    Le,
    Gt,
    Ge,
    Shl,
    Shr,
    Plus,
    Minus,
    Star,
    Div,
    Mod,
    Not,
    FatArrow,
    PlusArrow,
    InEdge,
    InEdgeSub,
    OutEdge,
    OutEdgeSub,
    LCollect,
    RCollect,
    LLCollect,
    RRCollect,
    Tilde,
    /// A character that starts no token.
    Other,
    Eof,
}

impl T {
    /// A short human description, for error messages.
    pub fn describe(self) -> &'static str {
        match self {
            T::Name => "a name",
            T::Word => "a bare word",
            T::ClassRef => "a type reference",
            T::Variable => "a variable",
            T::Number => "a number",
            T::Str => "a string",
            T::Regex => "a regex",
            T::And => "'and'",
            T::Attr => "'attr'",
            T::Case => "'case'",
            T::Class => "'class'",
            T::Default => "'default'",
            T::Define => "'define'",
            T::Else => "'else'",
            T::Elsif => "'elsif'",
            T::False => "'false'",
            T::Function => "'function'",
            T::If => "'if'",
            T::In => "'in'",
            T::Inherits => "'inherits'",
            T::Node => "'node'",
            T::Or => "'or'",
            T::Private => "'private'",
            T::True => "'true'",
            T::Type => "'type'",
            T::Undef => "'undef'",
            T::Unless => "'unless'",
            T::Plan => "'plan'",
            T::Apply => "'apply'",
            T::DqStart => "a string",
            T::DqText => "string text",
            T::InterpStart => "'${'",
            T::InterpEnd => "'}' closing the interpolation",
            T::DqEnd => "the end of the string",
            T::Heredoc => "a heredoc",
            T::LParen | T::WsLParen => "'('",
            T::RParen => "')'",
            T::ListStart | T::LBrack => "'['",
            T::RBrack => "']'",
            T::LBrace | T::SelBrace => "'{'",
            T::RBrace => "'}'",
            T::Comma => "','",
            T::Semi => "';'",
            T::Colon => "':'",
            T::Dot => "'.'",
            T::Question => "'?'",
            T::Pipe => "'|'",
            T::At => "'@'",
            T::AtAt => "'@@'",
            T::Assign => "'='",
            T::PlusAssign => "'+='",
            T::MinusAssign => "'-='",
            T::EqEq => "'=='",
            T::NotEq => "'!='",
            T::Match => "'=~'",
            T::NoMatch => "'!~'",
            T::Lt => "'<'",
            T::Le => "'<='",
            T::Gt => "'>'",
            T::Ge => "'>='",
            T::Shl => "'<<'",
            T::Shr => "'>>'",
            T::Plus => "'+'",
            T::Minus => "'-'",
            T::Star => "'*'",
            T::Div => "'/'",
            T::Mod => "'%'",
            T::Not => "'!'",
            T::FatArrow => "'=>'",
            T::PlusArrow => "'+>'",
            T::InEdge => "'->'",
            T::InEdgeSub => "'~>'",
            T::OutEdge => "'<-'",
            T::OutEdgeSub => "'<~'",
            T::LCollect => "'<|'",
            T::RCollect => "'|>'",
            T::LLCollect => "'<<|'",
            T::RRCollect => "'|>>'",
            T::Tilde => "'~'",
            T::Other => "an unexpected character",
            T::Eof => "end of input",
        }
    }

    /// Keywords (reserved bare words), usable as attribute names.
    pub fn is_keyword(self) -> bool {
        matches!(
            self,
            T::And
                | T::Attr
                | T::Case
                | T::Class
                | T::Default
                | T::Define
                | T::Else
                | T::Elsif
                | T::False
                | T::Function
                | T::If
                | T::In
                | T::Inherits
                | T::Node
                | T::Or
                | T::Private
                | T::True
                | T::Type
                | T::Undef
                | T::Unless
                | T::Plan
                | T::Apply
        )
    }

    /// The keyword's text.
    pub fn keyword_text(self) -> Option<&'static str> {
        Some(match self {
            T::And => "and",
            T::Attr => "attr",
            T::Case => "case",
            T::Class => "class",
            T::Default => "default",
            T::Define => "define",
            T::Else => "else",
            T::Elsif => "elsif",
            T::False => "false",
            T::Function => "function",
            T::If => "if",
            T::In => "in",
            T::Inherits => "inherits",
            T::Node => "node",
            T::Or => "or",
            T::Private => "private",
            T::True => "true",
            T::Type => "type",
            T::Undef => "undef",
            T::Unless => "unless",
            T::Plan => "plan",
            T::Apply => "apply",
            _ => return None,
        })
    }
}

fn keyword(word: &str) -> Option<T> {
    Some(match word {
        "and" => T::And,
        "attr" => T::Attr,
        "case" => T::Case,
        "class" => T::Class,
        "default" => T::Default,
        "define" => T::Define,
        "else" => T::Else,
        "elsif" => T::Elsif,
        "false" => T::False,
        "function" => T::Function,
        "if" => T::If,
        "in" => T::In,
        "inherits" => T::Inherits,
        "node" => T::Node,
        "or" => T::Or,
        "private" => T::Private,
        "true" => T::True,
        "type" => T::Type,
        "undef" => T::Undef,
        "unless" => T::Unless,
        _ => return None,
    })
}

/// One token: its kind, its source span, and (for value tokens) an index into the text table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Token {
    pub kind: T,
    pub span: Span,
    /// Index into [`Lexed::texts`], or `u32::MAX`.
    pub text: u32,
    /// A line break separates this token from the previous one (used for error recovery).
    pub nl: bool,
}

/// The output of the lexer.
#[derive(Debug, Default)]
pub struct Lexed {
    pub tokens: Vec<Token>,
    pub texts: Vec<SmolStr>,
    pub errors: Vec<SyntaxError>,
    /// The comments outside strings, heredoc bodies, regexes and interpolation, in order.
    pub comments: Vec<Comment>,
}

/// Lex a whole file. The last token is always [`T::Eof`].
pub fn lex(src: &str) -> Lexed {
    lex_with(src, false)
}

/// Lex a whole file; `tasks` makes `plan` and `apply` keywords (Bolt's tasks mode).
pub fn lex_with(src: &str, tasks: bool) -> Lexed {
    let mut lx = Lexer::new(src, 0);
    lx.tasks = tasks;
    if src.starts_with('\u{feff}') {
        lx.error(
            0,
            3,
            "a byte-order mark is not allowed at the start of a manifest",
        );
        lx.pos = 3;
    }
    lx.run(Mode::Top);
    let end = src.len() as u32;
    lx.out.tokens.push(Token {
        kind: T::Eof,
        span: Span::new(end, end),
        text: u32::MAX,
        nl: true,
    });
    lx.out
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Top,
    /// Inside `${…}`: stop at the `}` that balances the opener.
    Interp,
}

/// Whether the character is Puppet's `[[:blank:]]` (space, tab, Unicode space separators).
fn is_blank_char(c: char) -> bool {
    matches!(
        c,
        ' ' | '\t' | '\u{a0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200a}' | '\u{202f}' | '\u{205f}' | '\u{3000}'
    )
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// An offset map for a sub-lexer over heredoc text: (local start, source start) per line.
type OffsetMap = Vec<(usize, usize)>;

struct Lexer<'a> {
    src: &'a str,
    b: &'a [u8],
    pos: usize,
    out: Lexed,
    /// Kind of the previous significant token (regex decision, SELBRACE).
    after: Option<T>,
    /// Start of the current line as the lexer saw it (for WSLPAREN).
    line_start: usize,
    /// Where to continue after the current line when heredoc bodies were consumed.
    newline_jump: Option<usize>,
    depth: usize,
    /// Added to every offset (for sub-lexers, before `map`).
    map: Option<OffsetMap>,
    /// Set after an unrecoverable lexing error: stop producing tokens.
    dead: bool,
    /// A newline was seen since the last token.
    saw_nl: bool,
    /// Bolt's tasks mode: `plan` and `apply` are keywords.
    tasks: bool,
}

impl<'a> Lexer<'a> {
    fn new(src: &'a str, depth: usize) -> Self {
        Lexer {
            src,
            b: src.as_bytes(),
            pos: 0,
            out: Lexed {
                tokens: Vec::with_capacity(src.len() / 4 + 16),
                texts: Vec::new(),
                errors: Vec::new(),
                comments: Vec::new(),
            },
            after: None,
            line_start: 0,
            newline_jump: None,
            depth,
            map: None,
            dead: false,
            saw_nl: true,
            tasks: false,
        }
    }

    fn span(&self, start: usize, end: usize) -> Span {
        Span::new(start as u32, end as u32)
    }

    fn error(&mut self, start: usize, end: usize, msg: impl Into<String>) {
        let span = self.span(start, end.max(start));
        self.out.errors.push(SyntaxError {
            message: msg.into(),
            span,
            expected: Vec::new(),
            opened: None,
        });
    }

    fn error_opened(&mut self, start: usize, end: usize, msg: &str, open: (usize, usize, &str)) {
        let span = self.span(start, end);
        self.out.errors.push(SyntaxError {
            message: msg.to_string(),
            span,
            expected: Vec::new(),
            opened: Some((self.span(open.0, open.1), open.2.to_string())),
        });
    }

    fn push(&mut self, kind: T, start: usize, end: usize) {
        self.out.tokens.push(Token {
            kind,
            span: self.span(start, end),
            text: u32::MAX,
            nl: std::mem::take(&mut self.saw_nl),
        });
        self.after = Some(kind);
    }

    fn push_text(&mut self, kind: T, start: usize, end: usize, text: impl Into<SmolStr>) {
        let idx = self.out.texts.len() as u32;
        self.out.texts.push(text.into());
        self.out.tokens.push(Token {
            kind,
            span: self.span(start, end),
            text: idx,
            nl: std::mem::take(&mut self.saw_nl),
        });
        self.after = Some(kind);
    }

    /// Record a comment of the top level (one inside `${…}` belongs to the string).
    fn comment(&mut self, mode: Mode, start: usize, end: usize) {
        if mode == Mode::Top {
            self.out.comments.push(Comment {
                span: self.span(start, end),
                trailing: !self.saw_nl,
            });
        }
    }

    fn peek(&self, off: usize) -> u8 {
        self.b.get(self.pos + off).copied().unwrap_or(0)
    }

    fn char_at(&self, pos: usize) -> Option<char> {
        self.src.get(pos..).and_then(|s| s.chars().next())
    }

    /// Lex until end of input (Top) or the balancing `}` (Interp, which is consumed).
    /// Returns false if the input ended first in Interp mode.
    // production: comment
    fn run(&mut self, mode: Mode) -> bool {
        let mut braces = 0usize;
        while !self.dead {
            let Some(&c) = self.b.get(self.pos) else {
                return mode == Mode::Top;
            };
            let start = self.pos;
            match c {
                b' ' | b'\t' | b'\r' => self.pos += 1,
                b'\n' => {
                    if let Some(j) = self.newline_jump.take() {
                        self.pos = j;
                    } else {
                        self.pos += 1;
                    }
                    self.line_start = self.pos;
                    self.saw_nl = true;
                }
                b'#' => {
                    self.pos = memchr(b'\n', &self.b[start..]).map_or(self.b.len(), |i| start + i);
                    let end = if self.b[self.pos - 1] == b'\r' {
                        self.pos - 1
                    } else {
                        self.pos
                    };
                    self.comment(mode, start, end);
                }
                b'/' => {
                    if self.peek(1) == b'*' {
                        match self.src[self.pos + 2..].find("*/") {
                            Some(i) => self.pos = self.pos + 2 + i + 2,
                            None => {
                                self.error(start, start + 2, "unterminated /* comment");
                                self.pos = self.b.len();
                            }
                        }
                        self.comment(mode, start, self.pos);
                    } else if self.regex_acceptable() && self.lex_regex() {
                    } else {
                        self.pos += 1;
                        self.push(T::Div, start, self.pos);
                    }
                }
                b'0'..=b'9' => self.lex_number(),
                b'a'..=b'z' | b'_' => self.lex_bare_word(),
                b'A'..=b'Z' => self.lex_classref(),
                b'$' => self.lex_variable(),
                b'"' => self.lex_dq(),
                b'\'' => self.lex_sq(),
                b'@' => match self.peek(1) {
                    b'@' => {
                        self.pos += 2;
                        self.push(T::AtAt, start, self.pos);
                    }
                    b'(' => self.lex_heredoc(),
                    _ => {
                        self.pos += 1;
                        self.push(T::At, start, self.pos);
                    }
                },
                b'{' => {
                    self.pos += 1;
                    braces += 1;
                    let k = if self.after == Some(T::Question) {
                        T::SelBrace
                    } else {
                        T::LBrace
                    };
                    self.push(k, start, self.pos);
                }
                b'}' => {
                    self.pos += 1;
                    if mode == Mode::Interp && braces == 0 {
                        self.push(T::InterpEnd, start, self.pos);
                        return true;
                    }
                    braces = braces.saturating_sub(1);
                    self.push(T::RBrace, start, self.pos);
                }
                b'[' => {
                    self.pos += 1;
                    let ws_before = start == 0
                        || self.src[..start]
                            .chars()
                            .next_back()
                            .is_some_and(|p| p == '\r' || p == '\n' || is_blank_char(p));
                    let k = if ws_before { T::ListStart } else { T::LBrack };
                    self.push(k, start, self.pos);
                }
                b'(' => {
                    self.pos += 1;
                    let ls = self.line_start.min(start);
                    let only_blank = self.src[ls..start]
                        .chars()
                        .all(|p| p == '\r' || is_blank_char(p));
                    let k = if only_blank { T::WsLParen } else { T::LParen };
                    self.push(k, start, self.pos);
                }
                _ => self.lex_punct(c),
            }
        }
        mode == Mode::Top
    }

    // production: punctuation
    fn lex_punct(&mut self, c: u8) {
        let start = self.pos;
        let p1 = self.peek(1);
        let p2 = self.peek(2);
        let (kind, len) = match c {
            b')' => (T::RParen, 1),
            b']' => (T::RBrack, 1),
            b',' => (T::Comma, 1),
            b';' => (T::Semi, 1),
            b'?' => (T::Question, 1),
            b'*' => (T::Star, 1),
            b'%' => (T::Mod, 1),
            b'.' => (T::Dot, 1),
            b'|' => match (p1, p2) {
                (b'>', b'>') => (T::RRCollect, 3),
                (b'>', _) => (T::RCollect, 2),
                _ => (T::Pipe, 1),
            },
            b'=' => match p1 {
                b'=' => (T::EqEq, 2),
                b'>' => (T::FatArrow, 2),
                b'~' => (T::Match, 2),
                _ => (T::Assign, 1),
            },
            b'+' => match p1 {
                b'=' => (T::PlusAssign, 2),
                b'>' => (T::PlusArrow, 2),
                _ => (T::Plus, 1),
            },
            b'-' => match p1 {
                b'>' => (T::InEdge, 2),
                b'=' => (T::MinusAssign, 2),
                _ => (T::Minus, 1),
            },
            b'!' => match p1 {
                b'=' => (T::NotEq, 2),
                b'~' => (T::NoMatch, 2),
                _ => (T::Not, 1),
            },
            b'~' => match p1 {
                b'>' => (T::InEdgeSub, 2),
                _ => (T::Tilde, 1),
            },
            b'<' => match (p1, p2) {
                (b'<', b'|') => (T::LLCollect, 3),
                (b'<', _) => (T::Shl, 2),
                (b'=', _) => (T::Le, 2),
                (b'|', _) => (T::LCollect, 2),
                (b'-', _) => (T::OutEdge, 2),
                (b'~', _) => (T::OutEdgeSub, 2),
                _ => (T::Lt, 1),
            },
            b'>' => match p1 {
                b'>' => (T::Shr, 2),
                b'=' => (T::Ge, 2),
                _ => (T::Gt, 1),
            },
            b':' => {
                if p1 == b':' {
                    if p2.is_ascii_uppercase() {
                        return self.lex_classref();
                    }
                    if p2.is_ascii_lowercase() || p2 == b'_' {
                        return self.lex_bare_word();
                    }
                    self.pos += 2;
                    self.error(start, self.pos, "'::' must be followed by a name");
                    return;
                }
                (T::Colon, 1)
            }
            _ => {
                // Unicode blanks are whitespace; anything else is an unexpected character.
                let ch = self.char_at(start).unwrap_or('\u{fffd}');
                let len = ch.len_utf8().max(1);
                if is_blank_char(ch) {
                    self.pos += len;
                    return;
                }
                self.pos += len;
                self.push(T::Other, start, self.pos);
                return;
            }
        };
        self.pos += len;
        self.push(kind, start, self.pos);
    }

    /// Puppet's `regexp_acceptable?`: a `/` starts a regex unless it follows an operand.
    fn regex_acceptable(&self) -> bool {
        !matches!(
            self.after,
            Some(
                T::RParen
                    | T::RBrack
                    | T::RRCollect
                    | T::RCollect
                    | T::Name
                    | T::ClassRef
                    | T::Number
                    | T::Str
                    | T::True
                    | T::False
                    | T::DqEnd
                    | T::Heredoc
                    | T::Regex
                    | T::Variable
                    | T::Word
            )
        )
    }

    /// `/…/` where the closing slash is not escaped by an odd number of backslashes.
    /// Returns false (and consumes nothing) when there is no closing slash.
    // production: regex
    fn lex_regex(&mut self) -> bool {
        let start = self.pos;
        let mut i = start + 1;
        loop {
            let Some(off) = memchr(b'/', &self.b[i..]) else {
                return false;
            };
            let close = i + off;
            // count backslashes before the slash
            let mut n = 0;
            while close - n > start + 1 && self.b[close - n - 1] == b'\\' {
                n += 1;
            }
            if n % 2 == 1 {
                i = close + 1;
                continue;
            }
            let body = &self.src[start + 1..close];
            let text = if body.contains("\\/") {
                body.replace("\\/", "/")
            } else {
                body.to_string()
            };
            self.pos = close + 1;
            if let Some(why) = check_regex(&text) {
                self.error(
                    start,
                    self.pos,
                    format!("invalid regular expression: {why}"),
                );
            }
            self.push_text(T::Regex, start, self.pos, text);
            return true;
        }
    }

    // production: number
    fn lex_number(&mut self) {
        let start = self.pos;
        let rest = &self.src[start..];
        let res: IResult<&str, &str> = number(rest);
        let ok_len = match res {
            Ok((after, matched)) => {
                // must end on a word boundary
                let next = after.as_bytes().first().copied().unwrap_or(0);
                if is_word_byte(next) {
                    None
                } else {
                    Some(matched.len())
                }
            }
            Err(_) => None,
        };
        match ok_len {
            Some(len) => {
                let text = &rest[..len];
                self.pos = start + len;
                if let Some(msg) = check_number(text) {
                    self.error(start, self.pos, format!("{msg}: '{text}'"));
                }
                self.push_text(T::Number, start, self.pos, SmolStr::new(text));
            }
            None => {
                let len = rest
                    .bytes()
                    .take_while(|&b| is_word_byte(b) || b == b'.')
                    .count()
                    .max(1);
                let text = &rest[..len];
                self.pos = start + len;
                let msg = check_number(text).unwrap_or("not a valid number");
                self.error(start, self.pos, format!("{msg}: '{text}'"));
                self.push_text(T::Number, start, self.pos, "0");
            }
        }
    }

    /// `((::)?[a-z_]([\w-]*\w)?)+`, then keyword / NAME / WORD classification.
    // production: bare_word word_segment
    fn lex_bare_word(&mut self) {
        let start = self.pos;
        let end = scan_bare_word(self.b, start);
        if end == start {
            self.pos += 2;
            self.error(start, self.pos, "'::' must be followed by a name");
            return;
        }
        self.pos = end;
        let w = &self.src[start..end];
        if is_name(w) {
            let task_kw = match w {
                "plan" if self.tasks => Some(T::Plan),
                "apply" if self.tasks => Some(T::Apply),
                _ => None,
            };
            if let Some(k) = keyword(w).or(task_kw) {
                self.push(k, start, end);
            } else {
                self.push_text(T::Name, start, end, SmolStr::new(w));
            }
        } else {
            self.push_text(T::Word, start, end, SmolStr::new(w));
        }
    }

    /// `((::)?[A-Z]\w*)+`; followed by `::` is an error (`Foo::bar`).
    // production: classref upper_segment
    fn lex_classref(&mut self) {
        let start = self.pos;
        let mut i = start;
        loop {
            let seg = if self.b.get(i) == Some(&b':') && self.b.get(i + 1) == Some(&b':') {
                i + 2
            } else {
                i
            };
            if seg == i && i != start {
                break;
            }
            if !self.b.get(seg).is_some_and(|b| b.is_ascii_uppercase()) {
                break;
            }
            i = seg + 1;
            while self.b.get(i).is_some_and(|&b| is_word_byte(b)) {
                i += 1;
            }
        }
        if self.b.get(i) == Some(&b':') && self.b.get(i + 1) == Some(&b':') {
            // Puppet: "Illegal class reference"
            let mut j = i + 2;
            while self.b.get(j).is_some_and(|&b| is_word_byte(b) || b == b':') {
                j += 1;
            }
            self.pos = j;
            self.error(
                start,
                j,
                format!(
                    "illegal class reference '{}': every segment of a type reference must start with an uppercase letter",
                    &self.src[start..j]
                ),
            );
            self.push_text(T::ClassRef, start, j, SmolStr::new(&self.src[start..i]));
            return;
        }
        self.pos = i;
        self.push_text(T::ClassRef, start, i, SmolStr::new(&self.src[start..i]));
    }

    // production: variable
    fn lex_variable(&mut self) {
        let start = self.pos;
        let end = scan_var_name(self.b, start + 1);
        self.pos = end;
        self.push_text(
            T::Variable,
            start,
            end,
            self.src[start + 1..end].to_string(),
        );
    }

    // production: sq_string
    fn lex_sq(&mut self) {
        let start = self.pos;
        let mut i = start + 1;
        let mut text = String::new();
        let mut seg = i;
        // Puppet's slurp regex `(?:[^\\]|^)(?:\\\\)*'` prefers consuming one non-backslash
        // character before the quote: `'''` is the string `'`.
        if let Some(ch) = self.char_at(i) {
            if ch != '\\' && self.b.get(i + ch.len_utf8()) == Some(&b'\'') {
                i += ch.len_utf8();
            }
        }
        loop {
            match self.b.get(i) {
                None => {
                    self.error_opened(
                        start,
                        start + 1,
                        "unterminated single-quoted string: no closing ' before the end of the file",
                        (start, start + 1, "the string starts here"),
                    );
                    self.pos = self.b.len();
                    self.dead = true;
                    return;
                }
                Some(b'\\') => {
                    if let Some(&n) = self.b.get(i + 1) {
                        if n == b'\\' || n == b'\'' {
                            text.push_str(&self.src[seg..i]);
                            text.push(n as char);
                            i += 2;
                            seg = i;
                            continue;
                        }
                    }
                    i += 1;
                }
                Some(b'\'') => break,
                Some(_) => i += 1,
            }
        }
        text.push_str(&self.src[seg..i]);
        self.pos = i + 1;
        self.push_text(T::Str, start, self.pos, text);
    }

    /// A double-quoted string: a plain STRING, or DqStart … DqEnd with interpolation.
    // production: dq_text
    fn lex_dq(&mut self) {
        let start = self.pos;
        self.pos += 1;
        let first_tok = self.out.tokens.len();
        let mut interpolated = false;
        let mut seg_start = self.pos;
        // Where Puppet's slurp regex `(?:[^\\]|^)(?:\\\\)*("|\$\{?)` restarts. It prefers
        // consuming one non-backslash character before a terminator, so at a restart point
        // a character followed by '"' or '$' is text even when it is itself '"' or '$':
        // `"${a}""` is `a` + `"`, `"$"` is `$` (as in Puppet 7/8).
        let mut slurp_at = self.pos;
        let mut raw = String::new();
        loop {
            if self.pos == slurp_at {
                slurp_at = usize::MAX;
                if let Some(ch) = self.char_at(self.pos) {
                    let next = self.b.get(self.pos + ch.len_utf8()).copied();
                    if ch != '\\' && matches!(next, Some(b'"' | b'$')) {
                        self.pos += ch.len_utf8();
                        continue;
                    }
                }
            }
            let Some(&c) = self.b.get(self.pos) else {
                self.error_opened(
                    start,
                    start + 1,
                    "unterminated double-quoted string: no closing \" before the end of the file",
                    (start, start + 1, "the string starts here"),
                );
                self.dead = true;
                return;
            };
            match c {
                b'\\' => {
                    self.pos += 1;
                    if self.pos < self.b.len() {
                        self.pos += self.char_at(self.pos).map_or(1, |c| c.len_utf8());
                    }
                }
                b'"' => {
                    raw.push_str(&self.src[seg_start..self.pos]);
                    self.pos += 1;
                    break;
                }
                b'$' => {
                    let dollar = self.pos;
                    if self.peek(1) == b'{' {
                        if !interpolated {
                            interpolated = true;
                            self.push(T::DqStart, start, start);
                        }
                        raw.push_str(&self.src[seg_start..dollar]);
                        self.flush_text(&mut raw, seg_start, dollar, DQ_ESCAPES);
                        self.pos += 2;
                        if !self.interp(dollar) {
                            return;
                        }
                        seg_start = self.pos;
                        slurp_at = self.pos;
                    } else {
                        let end = scan_var_name(self.b, dollar + 1);
                        if end > dollar + 1 {
                            if !interpolated {
                                interpolated = true;
                                self.push(T::DqStart, start, start);
                            }
                            raw.push_str(&self.src[seg_start..dollar]);
                            self.flush_text(&mut raw, seg_start, dollar, DQ_ESCAPES);
                            self.pos = end;
                            self.push_text(
                                T::Variable,
                                dollar,
                                end,
                                self.src[dollar + 1..end].to_string(),
                            );
                            seg_start = end;
                            slurp_at = end;
                        } else {
                            self.pos += 1;
                            slurp_at = self.pos;
                        }
                    }
                }
                _ => self.pos += 1,
            }
        }
        if interpolated {
            self.flush_text(&mut raw, seg_start, self.pos - 1, DQ_ESCAPES);
            self.push(T::DqEnd, self.pos - 1, self.pos);
            self.out.tokens[first_tok].span = self.span(start, self.pos);
        } else {
            let text = unescape(&raw, DQ_ESCAPES);
            self.push_text(T::Str, start, self.pos, text);
        }
    }

    /// Emit accumulated raw text (if any) as DqText after escape processing.
    fn flush_text(&mut self, raw: &mut String, start: usize, end: usize, esc: &str) {
        if raw.is_empty() {
            return;
        }
        let text = unescape(raw, esc);
        raw.clear();
        if text.is_empty() {
            // `\⏎` joined away: Puppet keeps no empty segment either
            return;
        }
        let idx = self.out.texts.len() as u32;
        self.out.texts.push(text.into());
        self.out.tokens.push(Token {
            kind: T::DqText,
            span: self.span(start, end),
            text: idx,
            nl: false,
        });
    }

    /// After `${`: lex expression tokens up to the balancing `}`.
    fn interp(&mut self, dollar: usize) -> bool {
        if self.depth >= MAX_LEX_DEPTH {
            self.error(
                dollar,
                dollar + 2,
                format!("interpolation nested more than {MAX_LEX_DEPTH} levels deep"),
            );
            self.dead = true;
            return false;
        }
        self.push(T::InterpStart, dollar, dollar + 2);
        self.depth += 1;
        let saved_after = self.after;
        self.after = Some(T::InterpStart);
        let closed = self.run(Mode::Interp);
        self.depth -= 1;
        let _ = saved_after;
        if !closed {
            if !self.dead {
                self.error_opened(
                    dollar,
                    self.b.len(),
                    "unterminated interpolation: no '}' closes this '${'",
                    (dollar, dollar + 2, "the interpolation starts here"),
                );
            }
            self.dead = true;
            return false;
        }
        true
    }

    /// `@(TAG:syntax/escapes)` and its body from the following lines.
    // production: heredoc_opener tag syntax escape_flag
    fn lex_heredoc(&mut self) {
        let start = self.pos;
        let rest = &self.src[start..];
        let Some(close) = rest.find(')') else {
            self.error(
                start,
                start + 2,
                "unclosed heredoc opener: no ')' after '@('",
            );
            self.pos = self.b.len();
            self.dead = true;
            return;
        };
        let opener = &rest[..=close];
        let after_opener = start + close + 1;
        // Puppet matches its opener pattern anywhere up to the first ')', so in
        // `@(EOT/ @(EOT/)` the second, valid opener is the one that counts
        let parsed =
            opener
                .match_indices("@(")
                .find_map(|(k, _)| match heredoc_opener(&opener[k..]) {
                    Ok(("", spec)) => Some(spec),
                    _ => None,
                });
        let spec = match parsed {
            Some(spec) => spec,
            None => {
                self.error(
                    start,
                    after_opener,
                    "invalid heredoc opener: expected @(TAG), @(TAG:syntax) or @(TAG/escapes)",
                );
                self.pos = after_opener;
                self.push_text(T::Heredoc, start, after_opener, "");
                self.push_text(T::Str, start, after_opener, "");
                return;
            }
        };
        let mut tag = spec.tag.trim_matches(is_blank_char).trim();
        let mut interpolate = false;
        if tag.len() >= 2 && tag.starts_with('"') && tag.ends_with('"') {
            interpolate = true;
            tag = tag[1..tag.len() - 1].trim_matches(is_blank_char).trim();
        }
        let syntax = spec.syntax.unwrap_or("").to_string();
        let mut escapes = String::new();
        if let Some(e) = spec.escapes {
            let letters = if e.is_empty() { "trnsuL$" } else { e };
            escapes.push('\\');
            let mut seen = String::new();
            for ch in letters.chars() {
                if seen.contains(ch) {
                    self.error(
                        start,
                        after_opener,
                        format!("heredoc escape '{ch}' given more than once"),
                    );
                }
                seen.push(ch);
                match ch {
                    't' | 'r' | 'n' | 's' | 'u' | '$' => escapes.push(ch),
                    'L' => escapes.push('\n'),
                    _ => self.error(
                        start,
                        after_opener,
                        format!(
                            "invalid heredoc escape '{ch}': allowed are t, r, n, s, u, L and $"
                        ),
                    ),
                }
            }
        }
        if tag.is_empty() {
            self.error(start, after_opener, "heredoc end tag is empty");
        }
        self.push_text(T::Heredoc, start, after_opener, syntax);

        // the body starts after the current line (or after the previous heredoc's body)
        let body_start = match self.newline_jump {
            Some(j) => j,
            None => match memchr(b'\n', &self.b[after_opener..]) {
                Some(i) => after_opener + i + 1,
                None => {
                    self.error(
                        start,
                        after_opener,
                        "heredoc without text: the opener is on the last line",
                    );
                    self.push_text(T::Str, start, after_opener, "");
                    self.pos = after_opener;
                    return;
                }
            },
        };
        // find the end line
        let mut lines: Vec<(usize, usize)> = Vec::new(); // (start, end incl. newline)
        let mut i = body_start;
        let mut found = None;
        while i < self.b.len() {
            let e = memchr(b'\n', &self.b[i..]).map_or(self.b.len(), |k| i + k + 1);
            let line = &self.src[i..e];
            if let Some(m) = match_end_line(line, tag) {
                found = Some((m, e));
                break;
            }
            lines.push((i, e));
            i = e;
        }
        let Some((m, after_end)) = found else {
            self.error_opened(
                start,
                after_opener,
                &format!("heredoc without end-tagged line: no line ends with '{tag}'"),
                (start, after_opener, "the heredoc starts here"),
            );
            self.push_text(T::Str, start, after_opener, "");
            self.pos = self.b.len();
            self.dead = true;
            return;
        };
        self.newline_jump = Some(after_end);

        // margin removal and offset map
        let mut text = String::new();
        let mut map: OffsetMap = Vec::with_capacity(lines.len());
        for &(ls, le) in &lines {
            let line = &self.src[ls..le];
            let cut = if m.margin && !m.leading.is_empty() && line.starts_with(m.leading) {
                m.leading.len()
            } else {
                0
            };
            map.push((text.len(), ls + cut));
            text.push_str(&line[cut..]);
        }
        if m.trim {
            if text.ends_with("\r\n") {
                text.truncate(text.len() - 2);
            } else if text.ends_with('\n') {
                text.truncate(text.len() - 1);
            }
        }
        let body_span_end = lines.last().map_or(body_start, |l| l.1);
        if escapes.contains('u') && has_bad_unicode_escape(&text) {
            // Puppet 7/8 crashes on this ("undefined method `+' for nil") and fails the file
            self.error(
                start,
                after_opener,
                "invalid \\u escape in the heredoc text (expected \\uXXXX or \\u{X…}); Puppet cannot parse it",
            );
        }
        if !interpolate {
            let value = unescape(&text, &escapes);
            self.push_text(T::Str, body_start, body_span_end, value);
        } else {
            self.sublex_heredoc(&text, map, &escapes, body_start, body_span_end);
        }
        self.pos = after_opener;
        self.after = Some(T::Heredoc);
    }

    /// Lex an interpolating heredoc body with a sub-lexer and splice its tokens in.
    fn sublex_heredoc(&mut self, text: &str, map: OffsetMap, escapes: &str, s: usize, e: usize) {
        if self.depth >= MAX_LEX_DEPTH {
            self.error(s, e, "heredocs nested too deeply");
            return;
        }
        let dollar_escape = escapes.contains('$');
        let trailing_backslashes = text.bytes().rev().take_while(|&c| c == b'\\').count();
        if dollar_escape && trailing_backslashes % 2 == 1 {
            // Puppet's slurp pattern cannot end on an unpaired backslash: it fails the file
            self.error(
                s,
                e,
                "this interpolating heredoc (with the $ escape) ends in a lone backslash, which Puppet cannot parse",
            );
        }
        if !has_interpolation(text, dollar_escape) {
            // like Puppet: a "TAG" heredoc without interpolation is a plain string
            self.push_text(T::Str, s, e, unescape(text, escapes));
            return;
        }
        let mut sub = Lexer::new(text, self.depth + 1);
        sub.map = Some(map);
        sub.tasks = self.tasks;
        let first = sub.out.tokens.len();
        sub.push(T::DqStart, 0, 0);
        let mut raw = String::new();
        let mut seg = 0usize;
        let b = text.as_bytes();
        while sub.pos < b.len() && !sub.dead {
            let c = b[sub.pos];
            if c == b'\\' && dollar_escape {
                sub.pos += 1;
                if sub.pos < b.len() {
                    sub.pos += sub.char_at(sub.pos).map_or(1, |c| c.len_utf8());
                }
                continue;
            }
            if c == b'$' {
                let dollar = sub.pos;
                if sub.peek(1) == b'{' {
                    raw.push_str(&text[seg..dollar]);
                    sub.flush_text(&mut raw, seg, dollar, escapes);
                    sub.pos += 2;
                    if !sub.interp(dollar) {
                        break;
                    }
                    seg = sub.pos;
                    continue;
                }
                let end = scan_var_name(b, dollar + 1);
                if end > dollar + 1 {
                    raw.push_str(&text[seg..dollar]);
                    sub.flush_text(&mut raw, seg, dollar, escapes);
                    sub.pos = end;
                    sub.push_text(
                        T::Variable,
                        dollar,
                        end,
                        SmolStr::new(&text[dollar + 1..end]),
                    );
                    seg = end;
                    continue;
                }
            }
            sub.pos += 1;
        }
        if !sub.dead {
            raw.push_str(&text[seg.min(text.len())..]);
            sub.flush_text(&mut raw, seg, text.len(), escapes);
        }
        sub.push(T::DqEnd, text.len(), text.len());
        let map = sub.map.take().unwrap_or_default();
        let remap = |off: u32| -> u32 {
            let off = off as usize;
            let k = map.partition_point(|&(l, _)| l <= off);
            if k == 0 {
                return s as u32;
            }
            let (l, g) = map[k - 1];
            (g + (off - l)) as u32
        };
        let base = self.out.texts.len() as u32;
        let n = sub.out.tokens.len();
        for (k, mut t) in sub.out.tokens.into_iter().enumerate() {
            t.span = if k == first || k + 1 == n {
                if k == first {
                    Span::new(s as u32, e as u32)
                } else {
                    Span::new(e as u32, e as u32)
                }
            } else {
                Span::new(remap(t.span.start), remap(t.span.end))
            };
            if t.text != u32::MAX {
                t.text += base;
            }
            self.out.tokens.push(t);
        }
        self.out.texts.extend(sub.out.texts);
        for mut err in sub.out.errors {
            err.span = Span::new(remap(err.span.start), remap(err.span.end));
            if let Some((sp, _)) = err.opened.as_mut() {
                *sp = Span::new(remap(sp.start), remap(sp.end));
            }
            self.out.errors.push(err);
        }
    }
}

/// The structural errors Ruby's regex compiler reports (Puppet compiles regex literals
/// while lexing, so an invalid one is a syntax error): unbalanced parentheses, an unclosed
/// character class, a trailing backslash, a repeat operator with nothing to repeat. Other
/// regex errors (unknown properties, empty ranges) are not detected.
fn check_regex(re: &str) -> Option<&'static str> {
    let b = re.as_bytes();
    let mut i = 0;
    let mut groups = 0usize;
    // whether a repeat operator here would have a target
    let mut has_target = false;
    while i < b.len() {
        match b[i] {
            b'\\' => {
                if i + 1 >= b.len() {
                    return Some("too short escape sequence (trailing backslash)");
                }
                i += 2;
                has_target = true;
                continue;
            }
            b'(' => {
                if b.get(i + 1) == Some(&b'?') && b.get(i + 2) == Some(&b'#') {
                    // (?# comment )
                    match b[i..].iter().position(|&c| c == b')') {
                        Some(k) => i += k + 1,
                        None => return Some("end pattern in group"),
                    }
                    continue;
                }
                groups += 1;
                has_target = false;
                i += 1;
                if b.get(i) == Some(&b'?') {
                    i += 1; // group options / lookaround header
                }
                continue;
            }
            b')' => {
                if groups == 0 {
                    return Some("unmatched close parenthesis");
                }
                groups -= 1;
                has_target = true;
            }
            b'|' => has_target = false,
            b'*' | b'+' | b'?' => {
                if !has_target {
                    return Some("target of repeat operator is not specified");
                }
            }
            b'[' => {
                match skip_char_class(b, i) {
                    Ok(next) => i = next,
                    Err(why) => return Some(why),
                }
                has_target = true;
                continue;
            }
            _ => has_target = true,
        }
        i += 1;
    }
    if groups > 0 {
        return Some("end pattern with unmatched parenthesis");
    }
    None
}

/// The index after the character class that starts at `start` (a `[`).
fn skip_char_class(b: &[u8], start: usize) -> Result<usize, &'static str> {
    let mut i = start + 1;
    if b.get(i) == Some(&b'^') {
        i += 1;
    }
    if b.get(i) == Some(&b']') {
        i += 1; // a leading ']' is literal
    }
    let mut depth = 1usize;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'[' => {
                depth += 1;
                i += 1;
            }
            b']' => {
                depth -= 1;
                i += 1;
                if depth == 0 {
                    return Ok(i);
                }
            }
            _ => i += 1,
        }
    }
    Err("premature end of char-class")
}

/// Whether `\u` appears (not itself escaped) without four hex digits or `{1–6 hex}`.
fn has_bad_unicode_escape(text: &str) -> bool {
    let b = text.as_bytes();
    let mut i = 0;
    while i + 1 < b.len() {
        if b[i] == b'\\' {
            if b[i + 1] == b'u' && unicode_escape(&text[i + 2..]).is_none() {
                return true;
            }
            i += 2;
        } else {
            i += 1;
        }
    }
    false
}

/// Whether heredoc text contains a `$name` or `${` that interpolates (`\$` does not when
/// the `$` escape is on).
fn has_interpolation(text: &str, dollar_escape: bool) -> bool {
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\\' if dollar_escape => i += 2,
            b'$' => {
                if b.get(i + 1) == Some(&b'{') || scan_var_name(b, i + 1) > i + 1 {
                    return true;
                }
                i += 1;
            }
            _ => i += 1,
        }
    }
    false
}

/// Escapes recognised in double-quoted strings (besides `\u`). `\n` (newline char) means
/// backslash-newline is a line continuation.
const DQ_ESCAPES: &str = "\\$'\"rntsu\n";

/// Apply Puppet's escape processing: `\X` for X in `escapes` is replaced; any other
/// backslash stays. `u` enables `\uXXXX` and `\u{X…}`.
// production: escape
fn unescape(raw: &str, escapes: &str) -> String {
    if !raw.contains('\\') || escapes.is_empty() {
        return raw.to_string();
    }
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let Some(&(_, n)) = chars.peek() else {
            out.push('\\');
            break;
        };
        if n == 'u' && escapes.contains('u') {
            if let Some((ch, len)) = unicode_escape(&raw[i + 2..]) {
                out.push(ch);
                // skip 'u' and the digits
                let skip_to = i + 2 + len;
                while chars.peek().is_some_and(|&(j, _)| j < skip_to) {
                    chars.next();
                }
                continue;
            }
        }
        if n == '\r' && escapes.contains('\n') && raw[i + 1..].starts_with("\r\n") {
            chars.next();
            chars.next();
            continue;
        }
        if escapes.contains(n) {
            chars.next();
            match n {
                'r' => out.push('\r'),
                'n' => out.push('\n'),
                't' => out.push('\t'),
                's' => out.push(' '),
                '\n' => {}
                'u' => out.push_str("\\u"),
                other => out.push(other),
            }
        } else {
            out.push('\\');
            out.push(n);
            chars.next();
        }
    }
    out
}

/// `XXXX` or `{X…}` (1–6 hex digits) after `\u`: the char and the bytes consumed.
fn unicode_escape(s: &str) -> Option<(char, usize)> {
    let b = s.as_bytes();
    if b.first() == Some(&b'{') {
        let n = b[1..]
            .iter()
            .take(7)
            .take_while(|c| c.is_ascii_hexdigit())
            .count();
        if (1..=6).contains(&n) && b.get(1 + n) == Some(&b'}') {
            let v = u32::from_str_radix(&s[1..1 + n], 16).ok()?;
            return char::from_u32(v).map(|c| (c, n + 2));
        }
        return None;
    }
    if b.len() >= 4 && b[..4].iter().all(|c| c.is_ascii_hexdigit()) {
        let v = u32::from_str_radix(&s[..4], 16).ok()?;
        return char::from_u32(v).map(|c| (c, 4));
    }
    None
}

fn memchr(needle: u8, hay: &[u8]) -> Option<usize> {
    hay.iter().position(|&b| b == needle)
}

/// End of a bare word starting at `start`: `((::)?[a-z_]([\w-]*\w)?)+`.
pub(crate) fn scan_bare_word(b: &[u8], start: usize) -> usize {
    let mut i = start;
    let mut end = start;
    loop {
        let seg = if b.get(i) == Some(&b':') && b.get(i + 1) == Some(&b':') {
            i + 2
        } else if i == start {
            i
        } else {
            break;
        };
        match b.get(seg) {
            Some(&c) if c.is_ascii_lowercase() || c == b'_' => {}
            _ => break,
        }
        let mut j = seg + 1;
        let mut last_word = j;
        while let Some(&c) = b.get(j) {
            if is_word_byte(c) {
                j += 1;
                last_word = j;
            } else if c == b'-' {
                j += 1;
            } else {
                break;
            }
        }
        end = last_word;
        i = last_word;
        if j != last_word {
            // trailing hyphens are not part of the word
            break;
        }
    }
    end
}

/// Whether a bare word is a NAME: `(::)?[a-z]\w*(::[a-z]\w*)*`.
fn is_name(w: &str) -> bool {
    let b = w.as_bytes();
    let mut i = if b.starts_with(b"::") { 2 } else { 0 };
    loop {
        // a segment: [a-z]\w*
        if !b.get(i).is_some_and(|c| c.is_ascii_lowercase()) {
            return false;
        }
        i += 1;
        while b.get(i).is_some_and(|&c| is_word_byte(c)) {
            i += 1;
        }
        if i == b.len() {
            return true;
        }
        if b[i] == b':' && b.get(i + 1) == Some(&b':') {
            i += 2;
        } else {
            return false;
        }
    }
}

/// End of a variable name starting at `start` (after `$`): `(::)?(\w+::)*\w+`.
/// Returns `start` when there is no name.
pub(crate) fn scan_var_name(b: &[u8], start: usize) -> usize {
    let mut i = start;
    if b.get(i) == Some(&b':') && b.get(i + 1) == Some(&b':') {
        i += 2;
    }
    let mut end = start;
    loop {
        let s = i;
        while b.get(i).is_some_and(|&c| is_word_byte(c)) {
            i += 1;
        }
        if i == s {
            break;
        }
        end = i;
        if b.get(i) == Some(&b':')
            && b.get(i + 1) == Some(&b':')
            && b.get(i + 2).is_some_and(|&c| is_word_byte(c))
        {
            i += 2;
        } else {
            break;
        }
    }
    end
}

/// nom: `0[xX]hex+ | \d+(\.\d+)?([eE]-?\d+)?` (the word-boundary check is the caller's).
fn number(i: &str) -> IResult<&str, &str> {
    alt((
        recognize(pair(
            alt((tag("0x"), tag("0X"))),
            take_while1(|c: char| c.is_ascii_hexdigit()),
        )),
        recognize(tuple((
            digit1,
            opt(preceded(nchar('.'), digit1)),
            opt(tuple((one_of("eE"), opt(nchar('-')), digit1))),
        ))),
    ))(i)
}

/// Puppet's `assert_numeric`: the message for an invalid number text, if invalid.
fn check_number(t: &str) -> Option<&'static str> {
    let b = t.as_bytes();
    if t.starts_with("0x") || t.starts_with("0X") {
        if b.len() > 2 && b[2..].iter().all(|c| c.is_ascii_hexdigit()) {
            return None;
        }
        return Some("not a valid hex number");
    }
    if b.len() > 1 && b[0] == b'0' && b[1] != b'.' {
        if b[1..].iter().all(|c| (b'0'..=b'7').contains(c)) {
            return None;
        }
        return Some("not a valid octal number");
    }
    let digits = b.iter().take_while(|c| c.is_ascii_digit()).count();
    if digits > 0 && matches!(b.get(digits), Some(b'e' | b'E' | b'.')) {
        let ok: IResult<&str, &str> = recognize(tuple((
            digit1,
            opt(preceded(nchar('.'), digit1)),
            opt(tuple((one_of("eE"), opt(nchar('-')), digit1))),
        )))(t);
        return match ok {
            Ok(("", _)) => None,
            _ => Some("not a valid decimal number"),
        };
    }
    if digits == b.len() && digits > 0 {
        None
    } else {
        Some("not a valid number")
    }
}

struct HeredocSpec<'a> {
    tag: &'a str,
    syntax: Option<&'a str>,
    escapes: Option<&'a str>,
}

/// nom: `@(` tag (`:` blank* syntax blank*)? (`/` escapes blank*)? `)`.
fn heredoc_opener(i: &str) -> IResult<&str, HeredocSpec<'_>> {
    let blanks = |i| take_while(is_blank_char)(i);
    let (i, _) = tag("@(")(i)?;
    let (i, tagtext) = take_while1(|c: char| !matches!(c, ':' | '/' | ')' | '\r' | '\n'))(i)?;
    let (i, syntax) = opt(|i| {
        let (i, _) = nchar(':')(i)?;
        let (i, _) = blanks(i)?;
        let (i, s) = recognize(pair(
            one_of("abcdefghijklmnopqrstuvwxyz"),
            take_while1(|c: char| c.is_ascii_alphanumeric() || c == '_' || c == '+'),
        ))(i)?;
        let (i, _) = blanks(i)?;
        Ok((i, s))
    })(i)?;
    let (i, escapes) = opt(|i| {
        let (i, _) = nchar('/')(i)?;
        let (i, e) = take_while(|c: char| c.is_ascii_alphanumeric() || c == '_' || c == '$')(i)?;
        let (i, _) = blanks(i)?;
        Ok((i, e))
    })(i)?;
    let (i, _) = nchar(')')(i)?;
    Ok((
        i,
        HeredocSpec {
            tag: tagtext,
            syntax,
            escapes,
        },
    ))
}

struct EndLine<'a> {
    leading: &'a str,
    margin: bool,
    trim: bool,
}

/// Puppet's end-line pattern, unanchored at the start (as Puppet's is):
/// `blank* ('|' blank*)? ('-' blank*)? TAG blank* \r? (\n|EOF)`.
// production: heredoc_end
fn match_end_line<'a>(line: &'a str, tag: &str) -> Option<EndLine<'a>> {
    if tag.is_empty() || !line.contains(tag) {
        return None;
    }
    let body = line.strip_suffix('\n').unwrap_or(line);
    let body = body.strip_suffix('\r').unwrap_or(body);
    let body = body.trim_end_matches(is_blank_char);
    if !body.ends_with(tag) {
        return None;
    }
    let before_tag = &body[..body.len() - tag.len()];
    // leftmost start: try each char boundary
    for (s, _) in line.char_indices() {
        if s > before_tag.len() {
            break;
        }
        let cand = &before_tag[s..];
        let lead_len = cand.len() - cand.trim_start_matches(is_blank_char).len();
        let mut rest = &cand[lead_len..];
        let mut margin = false;
        let mut trim = false;
        if let Some(r) = rest.strip_prefix('|') {
            margin = true;
            rest = r.trim_start_matches(is_blank_char);
        }
        if let Some(r) = rest.strip_prefix('-') {
            trim = true;
            rest = r.trim_start_matches(is_blank_char);
        }
        if rest.is_empty() {
            return Some(EndLine {
                leading: &line[s..s + lead_len],
                margin,
                trim,
            });
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> Vec<T> {
        lex(src).tokens.iter().map(|t| t.kind).collect()
    }

    #[test]
    fn words_names_keywords() {
        assert_eq!(
            kinds("a-1 foo- if"),
            vec![T::Word, T::Name, T::Minus, T::If, T::Eof]
        );
        assert_eq!(kinds("foo::Bar"), vec![T::Name, T::ClassRef, T::Eof]);
        assert_eq!(kinds("_x ::ntp"), vec![T::Word, T::Name, T::Eof]);
    }

    #[test]
    fn bracket_and_paren_context() {
        assert_eq!(kinds("$x[1] $x [1]")[1], T::LBrack);
        assert_eq!(kinds("$x[1] $x [1]")[5], T::ListStart);
        assert_eq!(kinds("foo\n  (1)")[1], T::WsLParen);
        assert_eq!(kinds("foo (1)")[1], T::LParen);
    }

    #[test]
    fn regex_versus_division() {
        assert_eq!(kinds("$a / 2 / 1")[1], T::Div);
        assert_eq!(kinds("} / 2 / 1")[1], T::Regex);
        assert_eq!(kinds("=~ /a\\/b/")[1], T::Regex);
    }

    #[test]
    fn numbers() {
        assert!(lex("0x1F 0777 1.5e-3 0").errors.is_empty());
        assert!(!lex("08").errors.is_empty());
        assert!(!lex("1E+3").errors.is_empty());
        assert!(!lex("5k").errors.is_empty());
        assert_eq!(kinds("1.foo"), vec![T::Number, T::Dot, T::Name, T::Eof]);
    }

    /// The comments' text and whether code precedes each on its line.
    fn comments(src: &str) -> Vec<(&str, bool)> {
        lex(src)
            .comments
            .iter()
            .map(|c| (&src[c.span.start as usize..c.span.end as usize], c.trailing))
            .collect()
    }

    #[test]
    fn comments_are_kept_with_their_place() {
        assert_eq!(
            comments("# top\r\n$a = 1 # after\n  /* block\n */ # own\n$b = 2 /* x */\n"),
            vec![
                ("# top", false),
                ("# after", true),
                ("/* block\n */", false),
                ("# own", false),
                ("/* x */", true)
            ]
        );
        // Unterminated block comment: to the end, with its error.
        let lexed = lex("$a = 1 /* open");
        assert_eq!(lexed.comments.len(), 1);
        assert_eq!(lexed.errors.len(), 1);
    }

    #[test]
    fn a_hash_in_a_string_heredoc_regex_or_interpolation_is_no_comment() {
        assert_eq!(
            comments("$a = 'x # no' # yes\n$b = \"q\\\"# no ${f('#')} # no\" #end\n"),
            vec![("# yes", true), ("#end", true)]
        );
        assert_eq!(
            comments("$x = @(\"EOT\"/L) # opener\n  # body\n  ${y} # no\n  |- EOT\n# real\n"),
            vec![("# opener", true), ("# real", false)]
        );
        assert_eq!(
            comments("if $x =~ /a#b/ { } # c1\n$y = 4 / 2 # c2\ncase $z { /#/: {} } # c3\n"),
            vec![("# c1", true), ("# c2", true), ("# c3", true)]
        );
        assert_eq!(
            comments("$s = \"${ $a # no\n}\" # yes\n"),
            vec![("# yes", true)]
        );
    }

    #[test]
    fn end_line_is_unanchored() {
        assert!(match_end_line("  hello EOT\n", "EOT").is_some());
        assert!(match_end_line("  EOTX\n", "EOT").is_none());
        assert!(match_end_line("  | EOT # c\n", "EOT").is_none());
        let m = match_end_line("    |- EOT", "EOT").unwrap();
        assert_eq!((m.leading, m.margin, m.trim), ("    ", true, true));
    }
}
