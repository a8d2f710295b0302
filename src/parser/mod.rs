//! The Puppet manifest parser.
//!
//! Contract: [`parse`] never fails and never panics; it returns the tree and every syntax
//! error it found. Two stages: [`lexer`] turns the text into tokens (resolving Puppet's
//! context-sensitive lexing), [`grammar`] builds the tree with recursive descent and a
//! Pratt loop for operators. [`sexpr`] prints trees compactly for tests.

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

/// The result of parsing one file.
#[derive(Clone, Debug, PartialEq)]
pub struct Parsed {
    pub program: Program,
    pub errors: Vec<SyntaxError>,
}

/// Parse a manifest. Never panics, never fails: errors are in [`Parsed::errors`], sorted by
/// position.
pub fn parse(src: &str) -> Parsed {
    let lexed = lexer::lex(src);
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
    Parsed { program, errors }
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
        let here = if e.expected.is_empty() {
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
