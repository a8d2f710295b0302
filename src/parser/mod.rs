//! The Puppet manifest parser.
//!
//! Contract: [`parse`] never fails and never panics; it returns the tree and every syntax
//! error it found. Two stages: [`lexer`] turns the text into tokens (resolving Puppet's
//! context-sensitive lexing), [`grammar`] builds the tree with recursive descent and a
//! Pratt loop for operators. [`sexpr`] prints trees compactly for tests.
//!
//! Tree shapes worth knowing (they follow Puppet's own model):
//! - A bare WORD (`foo-bar`, `a-1`) is [`ExprKind::Word`](crate::ast::ExprKind::Word); Puppet
//!   evaluates it as the string. A NAME (`present`, `apache::params`) is `Name`.
//! - `include a, b` / `notice 'x'` become `Call { statement: true, .. }`; `foo(1)` is a
//!   `Call` with `statement: false`. `notice { a => 1 }` is a statement call with a hash.
//! - `File { … }` is `ResourceDefaults`; `File['/a'] { … }` (any access) is
//!   `ResourceOverride`; `name { k => v }` with another NAME is `ResourceDefaults` with a
//!   `Name` type (Puppet parses it and rejects it in validation).
//! - `"…"` without interpolation, `'…'`, and a heredoc body without interpolation are
//!   `Str` with the text after escapes; otherwise `Interpolated` parts. A heredoc is
//!   `Heredoc { text }` whose span is the `@(…)` opener and whose text's span is the body.
//! - `type T = { … }` is `Object[{ … }]`; `type T = P { … }` is `Object[{ …, parent => P }]`.
//! - `elsif` is an `If { elsif: true }` alone in the `else_branch` of the previous `If`.
//! - Nested classes, defines and plans get the enclosing class name as prefix (`a::b`).
//! - After a syntax error, the skipped statement is an `Error` node with its span.

pub mod grammar;
pub mod lexer;
pub mod sexpr;

use std::fmt;

use crate::ast::{Program, Span};

/// A syntax error: what was found, what was expected, and where an unclosed bracket opened.
#[derive(Clone, Debug, PartialEq)]
pub struct SyntaxError {
    pub message: String,
    pub span: Span,
    /// Human descriptions of what would have been valid here (`"'}'"`, `"an expression"`).
    pub expected: Vec<String>,
    /// The opening bracket (or heredoc, or string) this error relates to, when unclosed.
    pub opened: Option<(Span, String)>,
}

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// A comment: `# …` to the end of its line (the line break excluded), or `/* … */`.
/// A `#` inside a string, a heredoc body, a regex or an interpolation is not one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Comment {
    pub span: Span,
    /// Whether a token precedes the comment on its line (code, not only whitespace or a
    /// block comment).
    pub trailing: bool,
}

/// The result of parsing one file.
#[derive(Clone, Debug, PartialEq)]
pub struct Parsed {
    pub program: Program,
    pub errors: Vec<SyntaxError>,
    /// Every comment, in source order (the tree has none). A file whose lexing stopped
    /// early (an unterminated string or heredoc) has the comments before that point.
    pub comments: Vec<Comment>,
}

/// Parse a manifest. Never panics, never fails: errors are in [`Parsed::errors`], sorted by
/// position.
///
/// Deeply bracketed input (beyond [`DEEP_INPUT`] levels) is parsed on a helper thread with
/// a large stack, so that the nesting limit ([`grammar::MAX_DEPTH`]) is what stops
/// pathological input, whatever the caller's stack size.
pub fn parse(src: &str) -> Parsed {
    parse_with(src, &Options::default())
}

/// Parser options.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Bolt's tasks mode (`puppet --tasks`): `plan` and `apply` are keywords.
    pub tasks: bool,
}

/// [`parse`] with options.
pub fn parse_with(src: &str, options: &Options) -> Parsed {
    let lexed = lexer::lex_with(src, options.tasks);
    if bracket_depth(&lexed.tokens) <= DEEP_INPUT {
        return parse_tokens(lexed);
    }
    let spawned = std::thread::scope(|scope| {
        std::thread::Builder::new()
            .name("puppet-parse-deep".into())
            .stack_size(DEEP_STACK)
            .spawn_scoped(scope, || parse_tokens(lexed))
            .map(|h| h.join())
    });
    match spawned {
        Ok(Ok(parsed)) => parsed,
        // A bug in the parser: passed on as it was, for the caller's isolation to report
        // (`internal-error`), not disguised as deep input.
        Ok(Err(payload)) => std::panic::resume_unwind(payload),
        Err(_) => Parsed {
            program: Program {
                statements: Vec::new(),
                span: Span::new(0, src.len() as u32),
            },
            errors: vec![SyntaxError {
                message: "input nested too deeply to parse (could not start a parser thread)"
                    .into(),
                span: Span::new(0, 0),
                expected: Vec::new(),
                opened: None,
            }],
            comments: Vec::new(),
        },
    }
}

/// Bracket nesting above which [`parse`] uses a helper thread.
pub const DEEP_INPUT: usize = 24;
const DEEP_STACK: usize = 256 * 1024 * 1024;

/// The deepest bracket nesting, or the longest run of prefix operators / assignments
/// (`- - - 1`, `$a = $b = …`), whichever is larger: what makes the parser recurse.
fn bracket_depth(tokens: &[lexer::Token]) -> usize {
    use lexer::T;
    let mut depth = 0usize;
    let mut max = 0usize;
    let mut run = 0usize;
    for t in tokens {
        match t.kind {
            T::Not | T::Minus | T::Star | T::At | T::AtAt | T::Assign => {
                run += 1;
                max = max.max(run);
            }
            T::Variable => {}
            _ => run = 0,
        }
        match t.kind {
            T::LParen
            | T::WsLParen
            | T::ListStart
            | T::LBrack
            | T::LBrace
            | T::SelBrace
            | T::InterpStart => {
                depth += 1;
                max = max.max(depth);
            }
            T::RParen | T::RBrack | T::RBrace | T::InterpEnd => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

fn parse_tokens(lexed: lexer::Lexed) -> Parsed {
    let lex_dead = lexed
        .errors
        .iter()
        .any(|e| e.opened.is_some() || e.message.starts_with("unterminated"));
    let mut p = grammar::Parser::new(&lexed.tokens, lexed.texts, lex_dead);
    let program = p.program();
    let mut errors = lexed.errors;
    errors.extend(p.errors);
    errors.sort_by_key(|e| (e.span.start, e.span.end));
    errors.dedup_by(|a, b| a.span.start == b.span.start);
    // Kept as long as the parse (the whole run): no spare capacity.
    let mut comments = lexed.comments;
    comments.shrink_to_fit();
    Parsed {
        program,
        errors,
        comments,
    }
}

/// A syntax error together with its file, renderable by miette (source snippet, a label
/// on the error, a secondary label on the unclosed opener).
#[derive(Debug)]
pub struct SyntaxDiagnostic {
    pub error: SyntaxError,
    pub src: miette::NamedSource<String>,
}

impl SyntaxDiagnostic {
    pub fn new(file: &str, text: &str, error: SyntaxError) -> Self {
        SyntaxDiagnostic {
            error,
            src: miette::NamedSource::new(file, text.to_string()),
        }
    }
}

impl fmt::Display for SyntaxDiagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.error.message)
    }
}

impl std::error::Error for SyntaxDiagnostic {}

impl miette::Diagnostic for SyntaxDiagnostic {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new("syntax-error"))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(miette::Severity::Error)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        Some(&self.src)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
        let mut labels = Vec::new();
        let e = &self.error;
        let here =
            if let Some((_, what)) = e.opened.as_ref().filter(|(sp, _)| sp.start == e.span.start) {
                what.clone()
            } else if e.expected.is_empty() {
                "here".to_string()
            } else {
                format!("expected {}", e.expected.join(" or "))
            };
        labels.push(miette::LabeledSpan::new_primary_with_span(
            Some(here),
            (e.span.start as usize, e.span.len() as usize),
        ));
        if let Some((sp, what)) = &e.opened {
            if sp.start != e.span.start {
                labels.push(miette::LabeledSpan::new_with_span(
                    Some(what.clone()),
                    (sp.start as usize, sp.len() as usize),
                ));
            }
        }
        Some(Box::new(labels.into_iter()))
    }
}
