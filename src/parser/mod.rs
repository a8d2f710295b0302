//! The Puppet manifest parser (being built).
//!
//! Contract: [`parse`] never fails; it returns the tree and every syntax error it found.

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

/// The result of parsing one file.
#[derive(Clone, Debug, PartialEq)]
pub struct Parsed {
    pub program: Program,
    pub errors: Vec<SyntaxError>,
}

/// Parse a manifest. Never panics, never fails: errors are in [`Parsed::errors`].
pub fn parse(src: &str) -> Parsed {
    let _ = src;
    unimplemented!("parser being built")
}
