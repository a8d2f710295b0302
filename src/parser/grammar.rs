//! Stage 2: a recursive-descent parser with a Pratt loop for operators, over the tokens of
//! [`super::lexer`]. Each function names the production of `grammar/puppet.ebnf` it
//! implements (`// production: NAME`).
//!
//! Error recovery: every parse function returns `Err(Fail)` after recording a
//! [`SyntaxError`]; statement lists resynchronise at the next `}` or at the next token that
//! starts a statement on a new line, so one mistake yields one error and the rest of the
//! file is still parsed.

use super::lexer::{Token, T};
use super::SyntaxError;
use crate::ast::{self, *};

/// Deepest nesting of expressions/blocks accepted before the parser gives up on a file.
pub const MAX_DEPTH: usize = 256;

/// The names Puppet turns into calls when followed by an argument (statement calls).
pub const STATEMENT_CALLS: &[&str] = &[
    "require", "realize", "include", "contain", "tag", "debug", "info", "notice", "warning", "err",
    "fail", "import", "break", "next", "return",
];

/// An error was recorded; the caller should recover.
#[derive(Debug)]
pub struct Fail;

type PResult<X> = Result<X, Fail>;

pub struct Parser<'t> {
    toks: &'t [Token],
    texts: Vec<SmolStr>,
    pos: usize,
    pub errors: Vec<SyntaxError>,
    depth: usize,
    /// Token index to read as a variable (the `${name}` rewrite).
    force_var: usize,
    /// Set when parsing cannot continue meaningfully (nesting limit).
    fatal: bool,
    /// The lexer stopped early: do not pile up "unexpected end of input" errors.
    lex_dead: bool,
    /// Enclosing class names, for nested definition names.
    namestack: Vec<String>,
}

/// A syntactic statement before the statement-call rewrite.
enum Stmt {
    One(Expr),
    List(Vec<Expr>, Span),
}

fn bin_op(t: T) -> Option<(BinaryOp, u8)> {
    Some(match t {
        T::Or => (BinaryOp::Or, 1),
        T::And => (BinaryOp::And, 2),
        // 3 is the selector `?`
        T::Lt => (BinaryOp::Lt, 4),
        T::Le => (BinaryOp::Le, 4),
        T::Gt => (BinaryOp::Gt, 4),
        T::Ge => (BinaryOp::Ge, 4),
        T::EqEq => (BinaryOp::Eq, 5),
        T::NotEq => (BinaryOp::Ne, 5),
        T::Shl => (BinaryOp::Shl, 6),
        T::Shr => (BinaryOp::Shr, 6),
        T::Plus => (BinaryOp::Add, 7),
        T::Minus => (BinaryOp::Sub, 7),
        T::Star => (BinaryOp::Mul, 8),
        T::Div => (BinaryOp::Div, 8),
        T::Mod => (BinaryOp::Mod, 8),
        T::Match => (BinaryOp::Match, 9),
        T::NoMatch => (BinaryOp::NotMatch, 9),
        T::In => (BinaryOp::In, 10),
        _ => return None,
    })
}

const BP_SELECTOR: u8 = 3;
const BP_NEG: u8 = 11;
const BP_SPLAT: u8 = 12;
const BP_NOT: u8 = 13;

fn starts_expression(t: T) -> bool {
    matches!(
        t,
        T::Name
            | T::Word
            | T::ClassRef
            | T::Variable
            | T::Number
            | T::Str
            | T::Regex
            | T::DqStart
            | T::Heredoc
            | T::True
            | T::False
            | T::Undef
            | T::Default
            | T::Private
            | T::Attr
            | T::ListStart
            | T::LBrack
            | T::LBrace
            | T::LParen
            | T::WsLParen
            | T::Not
            | T::Minus
            | T::Star
            | T::At
            | T::AtAt
            | T::If
            | T::Unless
            | T::Case
            | T::Class
            | T::Define
            | T::Node
            | T::Function
            | T::Type
            | T::Plan
            | T::Apply
    )
}

fn is_resource_like(e: &Expr) -> bool {
    matches!(
        e.kind,
        ExprKind::Resource { .. }
            | ExprKind::ResourceDefaults { .. }
            | ExprKind::ResourceOverride { .. }
    )
}

impl<'t> Parser<'t> {
    pub fn new(toks: &'t [Token], texts: Vec<SmolStr>, lex_dead: bool) -> Self {
        Parser {
            toks,
            texts,
            pos: 0,
            errors: Vec::new(),
            depth: 0,
            force_var: usize::MAX,
            fatal: false,
            lex_dead,
            namestack: Vec::new(),
        }
    }

    // ----- token helpers -----

    fn tok(&self) -> Token {
        self.at(self.pos)
    }

    fn at(&self, i: usize) -> Token {
        match self.toks.get(i) {
            Some(t) => *t,
            None => self.toks[self.toks.len() - 1],
        }
    }

    fn kind(&self) -> T {
        self.tok().kind
    }

    fn peek_kind(&self, n: usize) -> T {
        self.at(self.pos + n).kind
    }

    fn bump(&mut self) -> Token {
        let t = self.tok();
        if self.pos < self.toks.len() - 1 {
            self.pos += 1;
        }
        t
    }

    fn prev_end(&self) -> u32 {
        if self.pos == 0 {
            0
        } else {
            self.at(self.pos - 1).span.end
        }
    }

    fn take_text(&mut self, t: Token) -> SmolStr {
        match self.texts.get_mut(t.text as usize) {
            Some(s) => std::mem::take(s),
            None => SmolStr::default(),
        }
    }

    fn text_ref(&self, t: Token) -> &str {
        self.texts.get(t.text as usize).map_or("", |s| s.as_str())
    }

    fn found(&self, t: Token) -> String {
        match t.kind {
            T::Name | T::Word | T::ClassRef => format!("'{}'", self.text_ref(t)),
            T::Variable => format!("'${}'", self.text_ref(t)),
            T::Number => format!("'{}'", self.text_ref(t)),
            k => k.describe().to_string(),
        }
    }

    /// Record an error at the current token: "expected X, found Y".
    fn expected(&mut self, what: &[&str]) -> Fail {
        self.expected_opened(what, None)
    }

    fn expected_opened(&mut self, what: &[&str], opened: Option<(Span, &str)>) -> Fail {
        let t = self.tok();
        let list = match what.len() {
            0 => String::new(),
            1 => what[0].to_string(),
            n => format!("{} or {}", what[..n - 1].join(", "), what[n - 1]),
        };
        let found = self.found(t);
        let message = if t.kind == T::Eof {
            format!("unexpected end of input, expected {list}")
        } else {
            format!("syntax error at {found}: expected {list}")
        };
        let unclosed = t.kind == T::Eof || opened.is_some();
        // at end of input, point just after the last token rather than past the text
        let span = if t.kind == T::Eof {
            Span::new(self.prev_end(), self.prev_end())
        } else {
            t.span
        };
        // The opener's label: "this X is not closed" when the input ended or a different
        // closer came or the error is on a new line; "X opened here" otherwise.
        let closer_found = t.nl || matches!(t.kind, T::Eof | T::RBrace | T::RParen | T::RBrack);
        let opened = opened.map(|(sp, d)| {
            let noun = d.strip_prefix("in this ").or_else(|| {
                d.strip_prefix("this ")
                    .and_then(|r| r.strip_suffix(" is not closed"))
            });
            let label = match noun {
                Some(n) if closer_found => format!("this {n} is not closed"),
                Some(n) => format!("{n} opened here"),
                None => d.to_string(),
            };
            (sp, label)
        });
        let opened = if unclosed { opened } else { None };
        self.push_error(SyntaxError {
            message,
            span,
            expected: what.iter().map(|s| s.to_string()).collect(),
            opened,
        });
        Fail
    }

    fn error_at(&mut self, span: Span, message: impl Into<String>) -> Fail {
        self.push_error(SyntaxError {
            message: message.into(),
            span,
            expected: Vec::new(),
            opened: None,
        });
        Fail
    }

    fn push_error(&mut self, e: SyntaxError) {
        if self.fatal {
            return;
        }
        if self.lex_dead && self.kind() == T::Eof {
            return;
        }
        // one error per position is enough
        if self
            .errors
            .last()
            .is_some_and(|l| l.span.start == e.span.start)
        {
            return;
        }
        self.errors.push(e);
    }

    fn expect(&mut self, k: T, what: &str) -> PResult<Token> {
        if self.kind() == k {
            Ok(self.bump())
        } else {
            Err(self.expected(&[what]))
        }
    }

    /// Expect a closing token, mentioning where its opener was.
    fn expect_close(&mut self, k: T, what: &str, open: Span, open_desc: &str) -> PResult<Token> {
        if self.kind() == k {
            Ok(self.bump())
        } else {
            Err(self.expected_opened(&[what], Some((open, open_desc))))
        }
    }

    fn enter(&mut self) -> PResult<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            let span = self.tok().span;
            if !self.fatal {
                self.push_error(SyntaxError {
                    message: format!(
                        "nesting too deep: more than {MAX_DEPTH} levels of brackets, blocks or operators; the parser stops here"
                    ),
                    span,
                    expected: Vec::new(),
                    opened: None,
                });
            }
            self.fatal = true;
            return Err(Fail);
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth -= 1;
    }

    /// A loop that builds a left-deep tree (`a + b + c`, `$x.a.b`, `A -> B -> C`) makes the
    /// tree deeper without recursing; count it against the same limit, so that walking or
    /// dropping the tree cannot overflow the stack either.
    fn grow(&mut self, chain: &mut usize) -> PResult<()> {
        *chain += 1;
        if self.depth + *chain > MAX_DEPTH {
            self.depth += *chain;
            let r = self.enter();
            self.depth -= *chain + 1;
            return r;
        }
        Ok(())
    }

    // ----- statements -----

    // production: program
    pub fn program(&mut self) -> Program {
        let statements = self.statements(T::Eof);
        while self.kind() != T::Eof && !self.fatal {
            // a stray '}' at top level
            let t = self.bump();
            self.error_at(
                t.span,
                format!("unexpected {}: nothing to close here", self.found(t)),
            );
            let more = self.statements(T::Eof);
            let _ = more;
        }
        let end = self.toks.last().map_or(0, |t| t.span.end);
        Program {
            statements,
            span: Span::new(0, end),
        }
    }

    // production: statements
    fn statements(&mut self, end: T) -> Vec<Expr> {
        let mut raw: Vec<Stmt> = Vec::new();
        if self.enter().is_err() {
            self.leave();
            return Vec::new();
        }
        loop {
            if self.fatal {
                break;
            }
            let k = self.kind();
            if k == end || k == T::Eof || k == T::RBrace {
                break;
            }
            if k == T::Semi {
                let t = self.bump();
                self.error_at(
                    t.span,
                    "a ';' must separate two statements: nothing precedes it",
                );
                continue;
            }
            let before = self.pos;
            match self.syn_stmt() {
                Ok(s) => raw.push(s),
                Err(Fail) => {
                    if self.fatal {
                        break;
                    }
                    self.resync(before);
                    // keep a marker where the unparsable statement was
                    let start = self.at(before).span.start;
                    let end = self.prev_end().max(start);
                    raw.push(Stmt::One(Expr::new(ExprKind::Error, Span::new(start, end))));
                    continue;
                }
            }
            if self.kind() == T::Semi {
                let semi = self.bump();
                let k = self.kind();
                if k == end || k == T::Eof || k == T::RBrace {
                    self.error_at(
                        semi.span,
                        "a ';' must be followed by another statement (Puppet does not allow a trailing ';' here)",
                    );
                }
            } else if !starts_expression(self.kind())
                && !matches!(self.kind(), T::Eof | T::RBrace)
                && self.kind() != end
            {
                let _ = self.expected(&["a new statement", "an operator", "'}'"]);
                self.resync(self.pos);
            }
        }
        self.leave();
        self.transform_calls(raw)
    }

    /// Skip tokens after an error. Brackets the failed statement opened (between `start`
    /// and the error) are closed first; then skipping stops at a `}` that closes the
    /// enclosing block (not consumed), at end of input, or at a token on a new line that
    /// starts a statement.
    fn resync(&mut self, start: usize) {
        fn closer(k: T) -> Option<T> {
            match k {
                T::LBrace | T::SelBrace => Some(T::RBrace),
                T::LParen | T::WsLParen => Some(T::RParen),
                T::ListStart | T::LBrack => Some(T::RBrack),
                _ => None,
            }
        }
        // brackets the failed statement opened and left open
        let mut stack: Vec<T> = Vec::new();
        for t in &self.toks[start.min(self.pos)..self.pos] {
            if let Some(c) = closer(t.kind) {
                stack.push(c);
            } else if matches!(t.kind, T::RBrace | T::RParen | T::RBrack) {
                if let Some(i) = stack.iter().rposition(|&c| c == t.kind) {
                    stack.truncate(i);
                }
            }
        }
        let progress_from = self.pos;
        loop {
            let t = self.tok();
            let moved = self.pos > progress_from || self.pos > start;
            match t.kind {
                T::Eof => return,
                T::RBrace | T::RParen | T::RBrack => {
                    match stack.iter().rposition(|&c| c == t.kind) {
                        Some(i) => stack.truncate(i),
                        // a '}' nobody here opened closes the enclosing block
                        None if t.kind == T::RBrace => return,
                        None => {}
                    }
                    self.bump();
                }
                k => {
                    if stack.is_empty() && moved && t.nl && starts_expression(k) {
                        return;
                    }
                    if let Some(c) = closer(k) {
                        stack.push(c);
                    }
                    self.bump();
                }
            }
        }
    }

    // production: syn_stmt
    fn syn_stmt(&mut self) -> PResult<Stmt> {
        let e = self.assignment()?;
        if self.kind() != T::Comma {
            return Ok(Stmt::One(e));
        }
        let start = e.span;
        let mut list = vec![e];
        while self.kind() == T::Comma {
            self.bump();
            list.push(self.assignment()?);
        }
        let span = start.to(list[list.len() - 1].span);
        Ok(Stmt::List(list, span))
    }

    /// Puppet's `transform_calls`: a bare statement-call NAME takes the next statement (or
    /// comma list) as its arguments.
    fn transform_calls(&mut self, raw: Vec<Stmt>) -> Vec<Expr> {
        let mut memo: Vec<Expr> = Vec::with_capacity(raw.len());
        for s in raw {
            let is_call_name = matches!(
                memo.last(),
                Some(Expr { kind: ExprKind::Name(n), .. }) if STATEMENT_CALLS.contains(&n.as_str())
            );
            if is_call_name {
                let (args, last) = match s {
                    Stmt::One(e) => {
                        let sp = e.span;
                        (vec![e], sp)
                    }
                    Stmt::List(v, sp) => (v, sp),
                };
                if let Some(name) = memo.pop() {
                    let span = name.span.to(last);
                    memo.push(Expr::new(
                        ExprKind::Call {
                            func: Box::new(name),
                            args,
                            lambda: None,
                            statement: true,
                        },
                        span,
                    ));
                }
                continue;
            }
            match s {
                Stmt::One(e) => memo.push(e),
                Stmt::List(v, sp) => {
                    self.error_at(
                        sp,
                        "illegal comma-separated argument list: only statement functions (include, require, contain, notice, …) take arguments without parentheses",
                    );
                    memo.extend(v);
                }
            }
        }
        exact(memo)
    }

    // production: block
    fn block(&mut self, what: &str) -> PResult<Block> {
        let open = match self.kind() {
            T::LBrace | T::SelBrace => self.bump(),
            _ => return Err(self.expected(&[what])),
        };
        let statements = self.statements(T::RBrace);
        if self.fatal {
            return Err(Fail);
        }
        let close = self.expect_close(T::RBrace, "'}'", open.span, "this '{' is not closed")?;
        Ok(Block {
            statements,
            span: open.span.to(close.span),
        })
    }

    // ----- assignment / relationship / resource levels -----

    // production: assignment
    fn assignment(&mut self) -> PResult<Expr> {
        let lhs = self.relationship()?;
        let op = match self.kind() {
            T::Assign => AssignOp::Assign,
            T::PlusAssign => AssignOp::AddAssign,
            T::MinusAssign => AssignOp::SubAssign,
            _ => return Ok(lhs),
        };
        self.bump();
        self.enter()?;
        let rhs = self.assignment();
        self.leave();
        let rhs = rhs?;
        let span = lhs.span.to(rhs.span);
        Ok(Expr::new(
            ExprKind::Assign {
                op,
                lhs: Box::new(lhs),
                rhs: Box::new(rhs),
            },
            span,
        ))
    }

    // production: relationship
    fn relationship(&mut self) -> PResult<Expr> {
        let mut lhs = self.resource()?;
        let mut chain = 0;
        loop {
            let op = match self.kind() {
                T::InEdge => RelOp::Before,
                T::InEdgeSub => RelOp::Notify,
                T::OutEdge => RelOp::Require,
                T::OutEdgeSub => RelOp::Subscribe,
                _ => return Ok(lhs),
            };
            self.bump();
            self.grow(&mut chain)?;
            let rhs = self.resource()?;
            let span = lhs.span.to(rhs.span);
            lhs = Expr::new(
                ExprKind::Relationship {
                    op,
                    lhs: Box::new(lhs),
                    rhs: Box::new(rhs),
                },
                span,
            );
        }
    }

    // production: resource
    fn resource(&mut self) -> PResult<Expr> {
        match self.kind() {
            T::At | T::AtAt => {
                let at = self.bump();
                let form = if at.kind == T::At {
                    ResourceForm::Virtual
                } else {
                    ResourceForm::Exported
                };
                self.enter()?;
                let inner = self.resource();
                self.leave();
                let mut inner = inner?;
                if !is_resource_like(&inner) {
                    let which = if form == ResourceForm::Virtual {
                        "virtual (@)"
                    } else {
                        "exported (@@)"
                    };
                    return Err(self.error_at(
                        at.span.to(inner.span),
                        format!("{which} can only be applied to a resource expression"),
                    ));
                }
                match &mut inner.kind {
                    ExprKind::Resource { form: f, .. }
                    | ExprKind::ResourceDefaults { form: f, .. }
                    | ExprKind::ResourceOverride { form: f, .. } => *f = form,
                    _ => {}
                }
                inner.span = at.span.to(inner.span);
                Ok(inner)
            }
            T::Class if matches!(self.peek_kind(1), T::LBrace) => {
                let kw = self.bump();
                let open = self.bump();
                let bodies = self.resource_bodies(open.span)?;
                let close = self.expect_close(
                    T::RBrace,
                    "'}'",
                    open.span,
                    "this resource body is not closed",
                )?;
                let mut e = Expr::new(
                    ExprKind::Resource {
                        form: ResourceForm::Regular,
                        type_expr: Box::new(Expr::new(ExprKind::Name("class".into()), kw.span)),
                        bodies,
                    },
                    kw.span.to(close.span),
                );
                let mut chain = 0;
                while self.kind() == T::LBrace {
                    self.grow(&mut chain)?;
                    e = self.resource_tail(e)?;
                }
                Ok(e)
            }
            _ => {
                let mut e = self.expression()?;
                let mut chain = 0;
                while self.kind() == T::LBrace {
                    self.grow(&mut chain)?;
                    e = self.resource_tail(e)?;
                }
                Ok(e)
            }
        }
    }

    /// Whether the tokens after a `{` start an attribute operation (`name =>`, `* =>`).
    fn at_attr_op(&self, off: usize) -> bool {
        let k = self.peek_kind(off);
        let n = self.peek_kind(off + 1);
        let named = k == T::Name || (k.is_keyword() && k != T::True && k != T::False);
        (named && matches!(n, T::FatArrow | T::PlusArrow)) || (k == T::Star && n == T::FatArrow)
    }

    // production: resource_tail
    fn resource_tail(&mut self, left: Expr) -> PResult<Expr> {
        let open = self.bump(); // '{'
                                // Puppet's attribute_operations may start empty, so `{ , a => 1 }` and `{ , }` are
                                // untitled bodies too
        let untitled = self.peek_kind(0) == T::RBrace
            || self.at_attr_op(0)
            || (self.peek_kind(0) == T::Comma
                && (self.at_attr_op(1) || self.peek_kind(1) == T::RBrace));
        if !untitled {
            let bodies = self.resource_bodies(open.span)?;
            let close = self.expect_close(
                T::RBrace,
                "'}'",
                open.span,
                "this resource body is not closed",
            )?;
            let span = left.span.to(close.span);
            return Ok(Expr::new(
                ExprKind::Resource {
                    form: ResourceForm::Regular,
                    type_expr: Box::new(left),
                    bodies,
                },
                span,
            ));
        }
        let attrs = self.attribute_operations()?;
        let close = self.expect_close(
            T::RBrace,
            "'}'",
            open.span,
            "this resource body is not closed",
        )?;
        let span = left.span.to(close.span);
        match &left.kind {
            ExprKind::Name(n) => {
                if attrs.iter().any(|a| a.op == AttrOperator::Append) {
                    return Err(self.error_at(
                        open.span.to(close.span),
                        "a resource body without a title cannot use '+>'",
                    ));
                }
                if STATEMENT_CALLS.contains(&n.as_str()) {
                    let entries = attrs
                        .into_iter()
                        .map(|a| HashEntry {
                            key: Expr::new(ExprKind::Str(a.name), a.name_span),
                            value: a.value,
                            span: a.span,
                        })
                        .collect();
                    let hash = Expr::new(ExprKind::Hash(entries), open.span.to(close.span));
                    return Ok(Expr::new(
                        ExprKind::Call {
                            func: Box::new(left),
                            args: vec![hash],
                            lambda: None,
                            statement: true,
                        },
                        span,
                    ));
                }
                // Puppet parses this and rejects it in validation ("resource without a title?").
                Ok(Expr::new(
                    ExprKind::ResourceDefaults {
                        form: ResourceForm::Regular,
                        type_ref: Box::new(left),
                        attrs,
                    },
                    span,
                ))
            }
            ExprKind::ClassRef(_) => Ok(Expr::new(
                ExprKind::ResourceDefaults {
                    form: ResourceForm::Regular,
                    type_ref: Box::new(left),
                    attrs,
                },
                span,
            )),
            ExprKind::Access { .. } => Ok(Expr::new(
                ExprKind::ResourceOverride {
                    form: ResourceForm::Regular,
                    target: Box::new(left),
                    attrs,
                },
                span,
            )),
            _ => Err(self.error_at(
                left.span,
                "this expression is not valid as a resource type, resource default or resource override",
            )),
        }
    }

    // production: resource_bodies
    fn resource_bodies(&mut self, open: Span) -> PResult<Vec<ResourceBody>> {
        let mut bodies = Vec::new();
        loop {
            let title = self.expression()?;
            if self.kind() != T::Colon {
                return Err(self.expected_opened(
                    &["':' after the resource title"],
                    Some((open, "in this resource body")),
                ));
            }
            self.bump();
            let attrs = self.attribute_operations()?;
            let span = title.span.to(Span::new(self.prev_end(), self.prev_end()));
            bodies.push(ResourceBody { title, attrs, span });
            if self.kind() == T::Semi {
                self.bump();
                if self.kind() == T::RBrace {
                    break;
                }
                continue;
            }
            if self.kind() == T::RBrace {
                break;
            }
            return Err(self.expected_opened(
                &["','", "';'", "'}'"],
                Some((open, "in this resource body")),
            ));
        }
        Ok(exact(bodies))
    }

    // production: attribute_operations
    fn attribute_operations(&mut self) -> PResult<Vec<AttrOp>> {
        let mut attrs = Vec::new();
        // the list may begin empty: `{ , a => 1 }` (as in Puppet's grammar)
        if self.kind() == T::Comma && self.at_attr_op(1) {
            self.bump();
        }
        loop {
            if !self.at_attr_op(0) {
                break;
            }
            attrs.push(self.attribute_operation()?);
            if self.kind() == T::Comma && self.at_attr_op(1) {
                self.bump();
                continue;
            }
            break;
        }
        if self.kind() == T::Comma {
            self.bump();
        }
        match self.kind() {
            T::RBrace | T::Semi => {}
            T::Name | T::Word | T::ClassRef | T::Str | T::Variable | T::True | T::False
                if matches!(self.peek_kind(1), T::FatArrow | T::PlusArrow) =>
            {
                let t = self.tok();
                let msg = if attrs.is_empty() || self.at(self.pos - 1).kind == T::Comma {
                    format!(
                        "{} cannot be an attribute name: attribute names are lowercase names or keywords other than true/false",
                        self.found(t)
                    )
                } else {
                    return Err(self.expected(&["',' between attributes"]));
                };
                return Err(self.error_at(t.span, msg));
            }
            k if (k.is_keyword() || k == T::Name) && self.peek_kind(1) == T::Assign => {
                self.bump();
                return Err(
                    self.expected(&["'=>' after the attribute name ('=' assigns variables)"])
                );
            }
            k if k.is_keyword() || k == T::Name => {
                return Err(self.expected(&["',' between attributes", "'}'"]));
            }
            _ => {}
        }
        Ok(exact(attrs))
    }

    // production: attribute_operation
    fn attribute_operation(&mut self) -> PResult<AttrOp> {
        let t = self.bump();
        let name = match t.kind {
            T::Name => self.take_text(t),
            T::Star => SmolStr::new_static("*"),
            k => SmolStr::new_static(k.keyword_text().unwrap_or("")),
        };
        let op = match self.bump().kind {
            T::PlusArrow => AttrOperator::Append,
            _ => AttrOperator::Set,
        };
        let value = self.expression()?;
        let span = t.span.to(value.span);
        Ok(AttrOp {
            name,
            name_span: t.span,
            op,
            value,
            span,
        })
    }

    // ----- operator expressions -----

    // production: expression
    fn expression(&mut self) -> PResult<Expr> {
        self.expr_bp(0)
    }

    /// The Pratt loop: binding powers 1 (`or`) to 10 (`in`), the selector at 3.
    // production: or_expr and_expr select_expr cmp_expr eq_expr shift_expr add_expr mul_expr match_expr in_expr
    fn expr_bp(&mut self, min: u8) -> PResult<Expr> {
        self.enter()?;
        let r = self.expr_bp_inner(min);
        self.leave();
        r
    }

    fn expr_bp_inner(&mut self, min: u8) -> PResult<Expr> {
        let mut lhs = self.unary()?;
        let mut chain = 0;
        loop {
            let k = self.kind();
            if k == T::Question {
                if BP_SELECTOR < min {
                    break;
                }
                self.bump();
                self.grow(&mut chain)?;
                lhs = self.selector(lhs)?;
                lhs = self.postfix(lhs)?;
                continue;
            }
            let Some((op, bp)) = bin_op(k) else { break };
            if bp < min {
                break;
            }
            self.bump();
            self.grow(&mut chain)?;
            let rhs = self.expr_bp(bp + 1)?;
            let span = lhs.span.to(rhs.span);
            lhs = Expr::new(
                ExprKind::Binary {
                    op,
                    lhs: Box::new(lhs),
                    rhs: Box::new(rhs),
                },
                span,
            );
        }
        Ok(lhs)
    }

    // production: unary
    fn unary(&mut self) -> PResult<Expr> {
        let (op, bp) = match self.kind() {
            T::Not => (UnaryOp::Not, BP_NOT),
            T::Minus => (UnaryOp::Neg, BP_NEG),
            T::Star => (UnaryOp::Splat, BP_SPLAT),
            _ => {
                let p = self.primary()?;
                return self.postfix(p);
            }
        };
        let t = self.bump();
        let operand = self.expr_bp(bp)?;
        let span = t.span.to(operand.span);
        Ok(Expr::new(
            ExprKind::Unary {
                op,
                operand: Box::new(operand),
            },
            span,
        ))
    }

    // production: selector
    fn selector(&mut self, subject: Expr) -> PResult<Expr> {
        let mut entries = Vec::new();
        let end;
        if self.kind() == T::SelBrace {
            let open = self.bump();
            loop {
                if self.kind() == T::RBrace && !entries.is_empty() {
                    break;
                }
                entries.push(self.selector_entry()?);
                if self.kind() == T::Comma {
                    self.bump();
                    continue;
                }
                break;
            }
            let close =
                self.expect_close(T::RBrace, "'}'", open.span, "this selector is not closed")?;
            end = close.span;
        } else {
            let e = self.selector_entry()?;
            end = e.span;
            entries.push(e);
        }
        let span = subject.span.to(end);
        Ok(Expr::new(
            ExprKind::Selector {
                subject: Box::new(subject),
                entries,
            },
            span,
        ))
    }

    // production: selector_entry
    fn selector_entry(&mut self) -> PResult<SelectorEntry> {
        let key = self.expression()?;
        self.expect(T::FatArrow, "'=>' in the selector entry")?;
        let value = self.expression()?;
        let span = key.span.to(value.span);
        Ok(SelectorEntry { key, value, span })
    }

    // production: postfix
    fn postfix(&mut self, mut e: Expr) -> PResult<Expr> {
        let mut chain = 0;
        loop {
            if matches!(
                self.kind(),
                T::LParen | T::LBrack | T::Dot | T::LCollect | T::LLCollect
            ) {
                self.grow(&mut chain)?;
            }
            match self.kind() {
                T::LParen => e = self.call(e)?,
                T::LBrack => e = self.access(e)?,
                T::Dot => e = self.method_call(e)?,
                T::LCollect | T::LLCollect => e = self.collector(e)?,
                _ => return Ok(e),
            }
        }
    }

    // production: call
    fn call(&mut self, func: Expr) -> PResult<Expr> {
        let open = self.bump();
        let args = self.arguments(T::RParen, true, open.span)?;
        let close = self.expect_close(T::RParen, "')'", open.span, "this '(' is not closed")?;
        let mut span = func.span.to(close.span);
        let lambda = if self.kind() == T::Pipe {
            let l = self.lambda()?;
            span = span.to(l.span);
            Some(Box::new(l))
        } else {
            None
        };
        Ok(Expr::new(
            ExprKind::Call {
                func: Box::new(func),
                args,
                lambda,
                statement: false,
            },
            span,
        ))
    }

    // production: method_call
    fn method_call(&mut self, receiver: Expr) -> PResult<Expr> {
        self.bump(); // '.'
        let t = self.tok();
        let name = match t.kind {
            T::Name => {
                self.bump();
                self.take_text(t)
            }
            T::Type => {
                self.bump();
                SmolStr::new_static("type")
            }
            _ => return Err(self.expected(&["a method name after '.'"])),
        };
        let mut span = receiver.span.to(t.span);
        let mut args = Vec::new();
        let mut parens = false;
        if self.kind() == T::LParen {
            let open = self.bump();
            parens = true;
            args = self.arguments(T::RParen, false, open.span)?;
            let close = self.expect_close(T::RParen, "')'", open.span, "this '(' is not closed")?;
            span = span.to(close.span);
        }
        let lambda = if self.kind() == T::Pipe {
            let l = self.lambda()?;
            span = span.to(l.span);
            Some(Box::new(l))
        } else {
            None
        };
        Ok(Expr::new(
            ExprKind::MethodCall(Box::new(ast::MethodCall {
                receiver,
                name,
                name_span: t.span,
                args,
                lambda,
                parens,
            })),
            span,
        ))
    }

    // production: access
    fn access(&mut self, target: Expr) -> PResult<Expr> {
        let open = self.bump();
        if self.kind() == T::RBrack {
            return Err(self.expected(&["an index or type parameter"]));
        }
        let args = self.access_args(open.span, true)?;
        let close = self.expect_close(T::RBrack, "']'", open.span, "this '[' is not closed")?;
        let span = target.span.to(close.span);
        Ok(Expr::new(
            ExprKind::Access {
                target: Box::new(target),
                args,
            },
            span,
        ))
    }

    // production: access_args access_arg
    fn access_args(&mut self, open: Span, trailing_comma: bool) -> PResult<Vec<Expr>> {
        let mut args: Vec<Expr> = Vec::new();
        let mut pairs = false;
        loop {
            let e = self.expression()?;
            if self.kind() == T::FatArrow {
                self.bump();
                let v = self.hash_entry()?;
                push_pair(&mut args, e, v, &mut pairs);
            } else {
                pairs = false;
                args.push(e);
            }
            if self.kind() == T::Comma {
                if !trailing_comma && self.peek_kind(1) == T::RBrack {
                    self.bump();
                    return Err(self.expected(&["a type parameter"]));
                }
                self.bump();
                if self.kind() == T::RBrack && trailing_comma {
                    break;
                }
                continue;
            }
            if self.kind() != T::RBrack {
                return Err(
                    self.expected_opened(&["','", "']'"], Some((open, "this '[' is not closed")))
                );
            }
            break;
        }
        Ok(exact(args))
    }

    // production: arguments argument
    fn arguments(&mut self, close: T, trailing_comma: bool, open: Span) -> PResult<Vec<Expr>> {
        let mut args: Vec<Expr> = Vec::new();
        let mut pairs = false;
        if self.kind() == close {
            return Ok(args);
        }
        loop {
            let e = self.assignment()?;
            if self.kind() == T::FatArrow {
                self.bump();
                let v = self.hash_entry()?;
                push_pair(&mut args, e, v, &mut pairs);
            } else {
                pairs = false;
                args.push(e);
            }
            if self.kind() == T::Comma {
                self.bump();
                if self.kind() == close {
                    if !trailing_comma {
                        return Err(
                            self.expected(&["an argument (no trailing comma in method calls)"])
                        );
                    }
                    break;
                }
                continue;
            }
            if self.kind() != close {
                return Err(
                    self.expected_opened(&["','", "')'"], Some((open, "this '(' is not closed")))
                );
            }
            break;
        }
        Ok(exact(args))
    }

    // production: hash_entry
    fn hash_entry(&mut self) -> PResult<Expr> {
        if let Some(e) = self.entry_keyword() {
            return Ok(e);
        }
        self.assignment()
    }

    /// `type` / `function` as a string in array elements and hash keys/values.
    // production: keyword (the two keywords usable as values)
    fn entry_keyword(&mut self) -> Option<Expr> {
        let k = self.kind();
        if (k == T::Type || k == T::Function)
            && matches!(
                self.peek_kind(1),
                T::Comma | T::RBrack | T::RBrace | T::FatArrow | T::RParen
            )
        {
            let t = self.bump();
            let s = if k == T::Type { "type" } else { "function" };
            return Some(Expr::new(ExprKind::Str(s.into()), t.span));
        }
        None
    }

    // production: collector
    fn collector(&mut self, type_ref: Expr) -> PResult<Expr> {
        let open = self.bump();
        let exported = open.kind == T::LLCollect;
        let close_kind = if exported { T::RRCollect } else { T::RCollect };
        let close_desc = if exported { "'|>>'" } else { "'|>'" };
        let query = if self.kind() == close_kind {
            None
        } else {
            Some(Box::new(self.expression()?))
        };
        let close = self.expect_close(
            close_kind,
            close_desc,
            open.span,
            "this collector is not closed",
        )?;
        let mut span = type_ref.span.to(close.span);
        let overrides = if self.kind() == T::LBrace {
            let ob = self.bump();
            let attrs = self.attribute_operations()?;
            let c = self.expect_close(
                T::RBrace,
                "'}'",
                ob.span,
                "this override block is not closed",
            )?;
            span = span.to(c.span);
            Some(attrs)
        } else {
            None
        };
        Ok(Expr::new(
            ExprKind::Collector {
                type_ref: Box::new(type_ref),
                query,
                exported,
                overrides,
            },
            span,
        ))
    }

    // production: lambda
    fn lambda(&mut self) -> PResult<Lambda> {
        let open = self.bump(); // '|'
        let mut params = Vec::new();
        if self.kind() == T::Pipe {
            self.bump();
        } else {
            params = self.parameters(T::Pipe)?;
            self.expect_close(
                T::Pipe,
                "'|'",
                open.span,
                "these lambda parameters are not closed",
            )?;
        }
        let return_type = if self.kind() == T::Shr {
            self.bump();
            Some(self.type_ref(false)?)
        } else {
            None
        };
        let body = self.block("'{' starting the lambda body")?;
        let span = open.span.to(body.span);
        Ok(Lambda {
            params,
            return_type,
            body,
            span,
        })
    }

    // production: parameters
    fn parameters(&mut self, close: T) -> PResult<Vec<Param>> {
        let mut params = Vec::new();
        loop {
            if self.kind() == close {
                break;
            }
            params.push(self.parameter()?);
            if self.kind() == T::Comma {
                self.bump();
                continue;
            }
            break;
        }
        Ok(exact(params))
    }

    // production: parameter
    fn parameter(&mut self) -> PResult<Param> {
        let start = self.tok().span;
        let type_expr = if self.kind() == T::ClassRef {
            Some(self.type_ref(false)?)
        } else {
            None
        };
        let captures_rest = if self.kind() == T::Star {
            self.bump();
            true
        } else {
            false
        };
        let v = self.tok();
        if v.kind != T::Variable {
            let what: &[&str] = if type_expr.is_some() {
                &["a parameter variable after the type (a type takes one [...] only)"]
            } else {
                &["a parameter ($name, or a type followed by $name)"]
            };
            return Err(self.expected(what));
        }
        self.bump();
        let name = self.take_text(v);
        let default = if self.kind() == T::Assign {
            self.bump();
            Some(self.expression()?)
        } else {
            None
        };
        let end = Span::new(self.prev_end(), self.prev_end());
        Ok(Param {
            name,
            type_expr,
            default,
            captures_rest,
            span: start.to(end),
        })
    }

    // production: type_ref
    fn type_ref(&mut self, trailing_comma: bool) -> PResult<Expr> {
        let t = self.tok();
        if t.kind != T::ClassRef {
            return Err(self.expected(&["a type (a capitalised name such as String)"]));
        }
        self.bump();
        let name = self.take_text(t);
        let e = Expr::new(ExprKind::ClassRef(name), t.span);
        if self.kind() == T::LBrack {
            let open = self.bump();
            let args = self.access_args(open.span, trailing_comma)?;
            let close = self.expect_close(T::RBrack, "']'", open.span, "this '[' is not closed")?;
            let span = t.span.to(close.span);
            return Ok(Expr::new(
                ExprKind::Access {
                    target: Box::new(e),
                    args,
                },
                span,
            ));
        }
        Ok(e)
    }

    // ----- primaries -----

    // production: primary
    fn primary(&mut self) -> PResult<Expr> {
        let t = self.tok();
        if self.pos == self.force_var {
            self.force_var = usize::MAX;
            self.bump();
            let name = match t.kind.keyword_text() {
                Some(k) => SmolStr::new_static(k),
                None => self.take_text(t),
            };
            return Ok(Expr::new(ExprKind::Variable(name), t.span));
        }
        let kind = match t.kind {
            T::Variable => {
                self.bump();
                ExprKind::Variable(self.take_text(t))
            }
            T::Name => {
                self.bump();
                ExprKind::Name(self.take_text(t))
            }
            T::Word => {
                self.bump();
                ExprKind::Word(self.take_text(t))
            }
            T::ClassRef => {
                self.bump();
                ExprKind::ClassRef(self.take_text(t))
            }
            T::Number => {
                self.bump();
                number_kind(self.text_ref(t))
            }
            T::Str => {
                self.bump();
                ExprKind::Str(self.take_text(t))
            }
            T::Regex => {
                self.bump();
                ExprKind::Regex(self.take_text(t))
            }
            T::True => {
                self.bump();
                ExprKind::Bool(true)
            }
            T::False => {
                self.bump();
                ExprKind::Bool(false)
            }
            T::Undef => {
                self.bump();
                ExprKind::Undef
            }
            T::Default => {
                self.bump();
                ExprKind::Default
            }
            T::Private | T::Attr => {
                self.bump();
                ExprKind::Reserved(SmolStr::new_static(t.kind.keyword_text().unwrap_or("")))
            }
            T::DqStart => return self.dq_string(),
            T::Heredoc => return self.heredoc(),
            T::ListStart | T::LBrack => return self.array(),
            T::LBrace => return self.hash(),
            T::LParen | T::WsLParen => {
                self.bump();
                let inner = self.assignment()?;
                if self.kind() == T::Comma {
                    return Err(self.error_at(
                        self.tok().span,
                        "syntax error at ',': parentheses hold one expression (Puppet has no tuples)",
                    ));
                }
                let close =
                    self.expect_close(T::RParen, "')'", t.span, "this '(' is not closed")?;
                return Ok(Expr::new(
                    ExprKind::Paren(Box::new(inner)),
                    t.span.to(close.span),
                ));
            }
            T::If => return self.if_expr(),
            T::Unless => return self.unless_expr(),
            T::Case => return self.case_expr(),
            T::Class => {
                if self.peek_kind(1) == T::LBrace {
                    return Err(self.error_at(
                        t.span,
                        "a class resource ('class { … }') is not allowed here: only where a statement or value may appear",
                    ));
                }
                return self.class_def();
            }
            T::Define => return self.define_def(),
            T::Node => return self.node_def(),
            T::Function => return self.function_def(),
            T::Plan => return self.plan_def(),
            T::Apply => return self.apply_expr(),
            T::Type => return self.type_expr(),
            T::At | T::AtAt => {
                return Err(self.error_at(
                    t.span,
                    "virtual/exported resources ('@'/'@@') are not allowed here",
                ))
            }
            _ => return Err(self.expected(&["an expression"])),
        };
        Ok(Expr::new(kind, t.span))
    }

    // production: dq_string
    fn dq_string(&mut self) -> PResult<Expr> {
        let start = self.bump(); // DqStart, spans the whole string
        let mut parts = Vec::new();
        loop {
            let t = self.tok();
            match t.kind {
                T::DqText => {
                    self.bump();
                    let s = self.take_text(t);
                    parts.push(StrPart::Text(s, t.span));
                }
                T::Variable => {
                    self.bump();
                    let name = self.take_text(t);
                    parts.push(StrPart::Expr(Expr::new(ExprKind::Variable(name), t.span)));
                }
                T::InterpStart => {
                    self.bump();
                    match self.interpolation(t.span) {
                        Ok(e) => parts.push(StrPart::Expr(e)),
                        Err(Fail) => {
                            if self.fatal {
                                return Err(Fail);
                            }
                            self.skip_interpolation();
                            parts.push(StrPart::Expr(Expr::new(ExprKind::Error, t.span)));
                        }
                    }
                }
                T::DqEnd => {
                    self.bump();
                    break;
                }
                _ => {
                    // only reachable when the lexer stopped inside the string
                    return Err(self.expected(&["the end of the string"]));
                }
            }
        }
        Ok(Expr::new(ExprKind::Interpolated(exact(parts)), start.span))
    }

    // production: interpolation
    fn interpolation(&mut self, open: Span) -> PResult<Expr> {
        if self.kind() == T::InterpEnd {
            let t = self.bump();
            return Err(self.error_at(
                open.to(t.span),
                "empty interpolation '${}': put an expression inside",
            ));
        }
        let k0 = self.kind();
        let k1 = self.peek_kind(1);
        let rewritable = matches!(k0, T::Name | T::Word | T::Number) || k0.is_keyword();
        if rewritable && matches!(k1, T::InterpEnd | T::Dot | T::LBrack) {
            self.force_var = self.pos;
        }
        let e = self.assignment()?;
        self.force_var = usize::MAX;
        self.expect_close(
            T::InterpEnd,
            "'}' closing the interpolation",
            open,
            "the interpolation starts here",
        )?;
        Ok(e)
    }

    /// After an error inside `${…}`: skip to its InterpEnd.
    fn skip_interpolation(&mut self) {
        let mut depth = 0usize;
        loop {
            match self.kind() {
                T::Eof => return,
                T::InterpStart => depth += 1,
                T::InterpEnd => {
                    if depth == 0 {
                        self.bump();
                        return;
                    }
                    depth -= 1;
                }
                T::DqEnd if depth == 0 => return,
                _ => {}
            }
            self.bump();
        }
    }

    // production: heredoc
    fn heredoc(&mut self) -> PResult<Expr> {
        let h = self.bump();
        let syntax = self.take_text(h);
        let text = match self.kind() {
            T::Str => {
                let t = self.bump();
                Expr::new(ExprKind::Str(self.take_text(t)), t.span)
            }
            T::DqStart => self.dq_string()?,
            _ => return Err(self.expected(&["heredoc text"])),
        };
        Ok(Expr::new(
            ExprKind::Heredoc {
                syntax: if syntax.is_empty() {
                    None
                } else {
                    Some(syntax)
                },
                text: Box::new(text),
            },
            h.span,
        ))
    }

    // production: array
    fn array(&mut self) -> PResult<Expr> {
        let open = self.bump();
        let mut items: Vec<Expr> = Vec::new();
        let mut pairs = false;
        loop {
            if self.kind() == T::RBrack {
                break;
            }
            let key = match self.entry_keyword() {
                Some(e) if self.kind() != T::FatArrow => {
                    pairs = false;
                    items.push(e);
                    None
                }
                Some(e) => Some(e),
                None => Some(self.assignment()?),
            };
            if let Some(e) = key {
                if self.kind() == T::FatArrow {
                    self.bump();
                    let v = self.hash_entry()?;
                    push_pair(&mut items, e, v, &mut pairs);
                } else {
                    pairs = false;
                    items.push(e);
                }
            }
            if self.kind() == T::Comma {
                self.bump();
                continue;
            }
            if self.kind() != T::RBrack {
                return Err(self.expected_opened(
                    &["','", "']'"],
                    Some((open.span, "this '[' is not closed")),
                ));
            }
            break;
        }
        let close = self.bump();
        Ok(Expr::new(
            ExprKind::Array(exact(items)),
            open.span.to(close.span),
        ))
    }

    // production: hash
    fn hash(&mut self) -> PResult<Expr> {
        let open = self.bump();
        let mut entries = Vec::new();
        loop {
            if self.kind() == T::RBrace {
                break;
            }
            let key = self.hash_entry()?;
            if self.kind() != T::FatArrow {
                return Err(self.expected_opened(
                    &["'=>' after the hash key"],
                    Some((open.span, "in this hash")),
                ));
            }
            self.bump();
            let value = self.hash_entry()?;
            let span = key.span.to(value.span);
            entries.push(HashEntry { key, value, span });
            if self.kind() == T::Comma {
                self.bump();
                continue;
            }
            if self.kind() != T::RBrace {
                return Err(self.expected_opened(
                    &["','", "'}'"],
                    Some((open.span, "this '{' is not closed")),
                ));
            }
            break;
        }
        let close = self.bump();
        Ok(Expr::new(
            ExprKind::Hash(exact(entries)),
            open.span.to(close.span),
        ))
    }

    // ----- control flow -----

    // production: if_expr
    fn if_expr(&mut self) -> PResult<Expr> {
        let kw = self.bump();
        self.if_rest(kw.span, false)
    }

    // production: if_rest
    fn if_rest(&mut self, start: Span, elsif: bool) -> PResult<Expr> {
        let cond = self.expression()?;
        let then_branch = self.block("'{' after the condition")?;
        let mut end = then_branch.span;
        let else_branch = match self.kind() {
            T::Elsif => {
                let kw = self.bump();
                self.enter()?;
                let nested = self.if_rest(kw.span, true);
                self.leave();
                let nested = nested?;
                end = nested.span;
                Some(Block {
                    span: nested.span,
                    statements: vec![nested],
                })
            }
            T::Else => {
                self.bump();
                if self.kind() == T::If {
                    return Err(
                        self.expected(&["'{' after 'else' (Puppet spells 'else if' as 'elsif')"])
                    );
                }
                let b = self.block("'{' after 'else'")?;
                end = b.span;
                Some(b)
            }
            _ => None,
        };
        Ok(Expr::new(
            ExprKind::If(Box::new(ast::IfExpr {
                cond,
                then_branch,
                else_branch,
                elsif,
            })),
            start.to(end),
        ))
    }

    // production: unless_expr
    fn unless_expr(&mut self) -> PResult<Expr> {
        let kw = self.bump();
        let cond = self.expression()?;
        let then_branch = self.block("'{' after the condition")?;
        let mut end = then_branch.span;
        let else_branch = if self.kind() == T::Else {
            self.bump();
            let b = self.block("'{' after 'else'")?;
            end = b.span;
            Some(b)
        } else {
            None
        };
        if self.kind() == T::Elsif {
            return Err(self.error_at(self.tok().span, "'unless' cannot have an 'elsif' branch"));
        }
        Ok(Expr::new(
            ExprKind::Unless(Box::new(ast::IfExpr {
                cond,
                then_branch,
                else_branch,
                elsif: false,
            })),
            kw.span.to(end),
        ))
    }

    // production: case_expr
    fn case_expr(&mut self) -> PResult<Expr> {
        let kw = self.bump();
        let subject = self.expression()?;
        let open = self.expect(T::LBrace, "'{' after the case subject")?;
        let mut options = Vec::new();
        loop {
            if self.kind() == T::RBrace && !options.is_empty() {
                break;
            }
            if self.kind() == T::RBrace || self.kind() == T::Eof {
                return Err(self.expected_opened(
                    &["a case option (values followed by ':')"],
                    Some((open.span, "this case is not closed")),
                ));
            }
            options.push(self.case_option()?);
        }
        let close = self.bump();
        Ok(Expr::new(
            ExprKind::Case {
                subject: Box::new(subject),
                options,
            },
            kw.span.to(close.span),
        ))
    }

    // production: case_option
    fn case_option(&mut self) -> PResult<CaseOption> {
        let mut values = vec![self.expression()?];
        while self.kind() == T::Comma {
            self.bump();
            values.push(self.expression()?);
        }
        self.expect(T::Colon, "':' after the case values")?;
        let body = self.block("'{' starting the case option body")?;
        let span = values[0].span.to(body.span);
        Ok(CaseOption { values, body, span })
    }

    // ----- definitions -----

    // production: classname
    fn classname(&mut self) -> PResult<(SmolStr, Span)> {
        let t = self.tok();
        match t.kind {
            T::Name | T::Word | T::ClassRef => {
                self.bump();
                Ok((self.take_text(t), t.span))
            }
            T::Class => {
                Err(self.error_at(t.span, "'class' keyword not allowed here: expected a name"))
            }
            T::Str => Err(self.error_at(t.span, "a quoted string is not valid as a name here")),
            _ => Err(self.expected(&["a name"])),
        }
    }

    fn qualify(&self, name: SmolStr) -> SmolStr {
        if self.namestack.is_empty() {
            return name;
        }
        let full = format!("{}::{}", self.namestack.join("::"), name);
        match full.strip_prefix("::") {
            Some(s) => s.into(),
            None => full.into(),
        }
    }

    /// A class or plan body: definitions inside it get `name::` as prefix.
    fn scoped_block(&mut self, name: &str, what: &str) -> PResult<Block> {
        self.namestack.push(name.to_string());
        let body = self.block(what);
        self.namestack.pop();
        body
    }

    // production: parameter_list
    fn parameter_list(&mut self) -> PResult<Vec<Param>> {
        if !matches!(self.kind(), T::LParen | T::WsLParen) {
            return Ok(Vec::new());
        }
        let open = self.bump();
        let params = self.parameters(T::RParen)?;
        self.expect_close(
            T::RParen,
            "')'",
            open.span,
            "this parameter list is not closed",
        )?;
        Ok(exact(params))
    }

    // production: class_def
    fn class_def(&mut self) -> PResult<Expr> {
        let kw = self.bump();
        let (name, name_span) = self.classname()?;
        let params = self.parameter_list()?;
        let parent = if self.kind() == T::Inherits {
            self.bump();
            if self.kind() == T::Default {
                self.bump();
                Some(SmolStr::new_static("default"))
            } else {
                Some(self.classname()?.0)
            }
        } else {
            None
        };
        let name = self.qualify(name);
        let body = self.scoped_block(&name, "'{' starting the class body")?;
        let span = kw.span.to(body.span);
        Ok(Expr::new(
            ExprKind::ClassDef(Box::new(ast::ClassDef {
                name,
                name_span,
                params,
                parent,
                body,
            })),
            span,
        ))
    }

    // production: plan_def
    fn plan_def(&mut self) -> PResult<Expr> {
        let kw = self.bump();
        let (name, name_span) = self.classname()?;
        let name = self.qualify(name);
        let params = self.parameter_list()?;
        let body = self.scoped_block(&name, "'{' starting the plan body")?;
        let span = kw.span.to(body.span);
        Ok(Expr::new(
            ExprKind::PlanDef(Box::new(ast::PlanDef {
                name,
                name_span,
                params,
                body,
            })),
            span,
        ))
    }

    // production: apply_expr
    fn apply_expr(&mut self) -> PResult<Expr> {
        let kw = self.bump();
        let open = self.expect(T::LParen, "'(' after 'apply'")?;
        let args = self.arguments(T::RParen, true, open.span)?;
        self.expect_close(T::RParen, "')'", open.span, "this '(' is not closed")?;
        let body = self.block("'{' starting the apply body")?;
        let span = kw.span.to(body.span);
        Ok(Expr::new(
            ExprKind::Apply(Box::new(ast::Apply { args, body })),
            span,
        ))
    }

    // production: define_def
    fn define_def(&mut self) -> PResult<Expr> {
        let kw = self.bump();
        let (name, name_span) = self.classname()?;
        let params = self.parameter_list()?;
        let body = self.block("'{' starting the define body")?;
        let span = kw.span.to(body.span);
        Ok(Expr::new(
            ExprKind::DefineDef(Box::new(ast::DefineDef {
                name: self.qualify(name),
                name_span,
                params,
                body,
            })),
            span,
        ))
    }

    // production: function_def
    fn function_def(&mut self) -> PResult<Expr> {
        let kw = self.bump();
        let (name, name_span) = self.classname()?;
        let params = self.parameter_list()?;
        let return_type = if self.kind() == T::Shr {
            self.bump();
            Some(Box::new(self.type_ref(false)?))
        } else {
            None
        };
        let body = self.block("'{' starting the function body")?;
        let span = kw.span.to(body.span);
        Ok(Expr::new(
            ExprKind::FunctionDef(Box::new(ast::FunctionDef {
                name,
                name_span,
                params,
                return_type,
                body,
            })),
            span,
        ))
    }

    // production: node_def
    fn node_def(&mut self) -> PResult<Expr> {
        let kw = self.bump();
        let mut names = vec![self.hostname()?];
        while self.kind() == T::Comma {
            self.bump();
            if matches!(self.kind(), T::LBrace | T::Inherits) {
                break;
            }
            names.push(self.hostname()?);
        }
        let parent = if self.kind() == T::Inherits {
            self.bump();
            Some(Box::new(self.hostname()?))
        } else {
            None
        };
        let body = self.block("'{' starting the node body")?;
        let span = kw.span.to(body.span);
        Ok(Expr::new(
            ExprKind::NodeDef(Box::new(ast::NodeDef {
                names,
                parent,
                body,
            })),
            span,
        ))
    }

    // production: hostname
    fn hostname(&mut self) -> PResult<Expr> {
        let t = self.tok();
        match t.kind {
            T::Name | T::Number => {
                let mut text = String::new();
                let mut end = t.span;
                loop {
                    let p = self.bump();
                    text.push_str(self.text_ref(p));
                    end = end.to(p.span);
                    if self.kind() == T::Dot && matches!(self.peek_kind(1), T::Name | T::Number) {
                        self.bump();
                        text.push('.');
                        continue;
                    }
                    break;
                }
                Ok(Expr::new(ExprKind::Str(text.into()), t.span.to(end)))
            }
            T::Str | T::Word => {
                self.bump();
                Ok(Expr::new(ExprKind::Str(self.take_text(t)), t.span))
            }
            T::DqStart => self.dq_string(),
            T::Heredoc => self.heredoc(),
            T::Default => {
                self.bump();
                Ok(Expr::new(ExprKind::Default, t.span))
            }
            T::Regex => {
                self.bump();
                Ok(Expr::new(ExprKind::Regex(self.take_text(t)), t.span))
            }
            _ => Err(self.expected(&["a node name (a host name, string, regex or 'default')"])),
        }
    }

    // production: type_expr
    fn type_expr(&mut self) -> PResult<Expr> {
        let kw = self.tok();
        if self.peek_kind(1) == T::LParen {
            // `type(...)` is an ordinary call
            self.bump();
            let f = Expr::new(ExprKind::Name("type".into()), kw.span);
            return self.call(f);
        }
        self.bump();
        let t = self.tok();
        if t.kind != T::ClassRef {
            return Err(self.expected(&["a type name (capitalised) after 'type'"]));
        }
        self.bump();
        let name = self.take_text(t);
        let mut params = Vec::new();
        if self.kind() == T::LBrack {
            let open = self.bump();
            params = self.access_args(open.span, false)?;
            self.expect_close(T::RBrack, "']'", open.span, "this '[' is not closed")?;
        }
        match self.kind() {
            T::Assign => {
                self.bump();
                let value = match self.kind() {
                    T::ClassRef => {
                        let r = self.type_ref(true)?;
                        if self.kind() == T::LBrace && matches!(r.kind, ExprKind::ClassRef(_)) {
                            // `type T = P { … }` is `Object[{ …, parent => P }]` in Puppet's
                            // model (`Object { … }` is plain `Object[{ … }]`)
                            let mut h = self.hash()?;
                            let span = r.span.to(h.span);
                            let object = Expr::new(ExprKind::ClassRef("Object".into()), r.span);
                            if !matches!(&r.kind, ExprKind::ClassRef(n) if n == "Object") {
                                h.span = span;
                                if let ExprKind::Hash(entries) = &mut h.kind {
                                    let key = Expr::new(ExprKind::Name("parent".into()), r.span);
                                    entries.push(HashEntry {
                                        key,
                                        span: r.span,
                                        value: r,
                                    });
                                }
                            }
                            Expr::new(
                                ExprKind::Access {
                                    target: Box::new(object),
                                    args: vec![h],
                                },
                                span,
                            )
                        } else {
                            r
                        }
                    }
                    T::LBrace => {
                        // `type T = { … }` is sugar for `Object[{ … }]` (as in Puppet's model)
                        let h = self.hash()?;
                        let span = h.span;
                        let object = Expr::new(ExprKind::ClassRef("Object".into()), span);
                        Expr::new(
                            ExprKind::Access {
                                target: Box::new(object),
                                args: vec![h],
                            },
                            span,
                        )
                    }
                    T::ListStart | T::LBrack => self.array()?,
                    _ => return Err(self.expected(&["a type, hash or array after '='"])),
                };
                let span = kw.span.to(value.span);
                Ok(Expr::new(
                    ExprKind::TypeAlias(Box::new(ast::TypeAlias {
                        name,
                        name_span: t.span,
                        params,
                        value: Box::new(value),
                    })),
                    span,
                ))
            }
            T::Inherits | T::LBrace if params.is_empty() => {
                let parent = if self.kind() == T::Inherits {
                    self.bump();
                    let p = self.tok();
                    if p.kind != T::ClassRef {
                        return Err(self.expected(&["a type name after 'inherits'"]));
                    }
                    self.bump();
                    Some(self.take_text(p))
                } else {
                    None
                };
                let body = self.block("'{'")?;
                let span = kw.span.to(body.span);
                Ok(Expr::new(
                    ExprKind::TypeDef(Box::new(ast::TypeDef {
                        name,
                        name_span: t.span,
                        parent,
                        body,
                    })),
                    span,
                ))
            }
            _ => Err(self.expected(&["'=' in the type alias"])),
        }
    }
}

/// Adjacent `k => v` pairs in argument and array lists form one hash (Puppet's
/// `Factory.ARGUMENTS`). `pairs` tells whether the last element is such a hash.
fn push_pair(args: &mut Vec<Expr>, key: Expr, value: Expr, pairs: &mut bool) {
    let span = key.span.to(value.span);
    let entry = HashEntry { key, value, span };
    if *pairs {
        if let Some(Expr {
            kind: ExprKind::Hash(entries),
            span: hs,
        }) = args.last_mut()
        {
            entries.push(entry);
            *hs = hs.to(span);
            return;
        }
    }
    *pairs = true;
    args.push(Expr::new(ExprKind::Hash(vec![entry]), span));
}

fn number_kind(text: &str) -> ExprKind {
    let b = text.as_bytes();
    if text.starts_with("0x") || text.starts_with("0X") {
        return match i64::from_str_radix(&text[2..], 16) {
            Ok(v) => ExprKind::Integer {
                value: v,
                radix: Radix::Hex,
            },
            Err(_) => ExprKind::Float(
                u128::from_str_radix(&text[2..], 16).map_or(f64::INFINITY, |v| v as f64),
            ),
        };
    }
    if text.contains(['.', 'e', 'E']) {
        return ExprKind::Float(text.parse().unwrap_or(0.0));
    }
    if b.len() > 1 && b[0] == b'0' {
        return match i64::from_str_radix(&text[1..], 8) {
            Ok(v) => ExprKind::Integer {
                value: v,
                radix: Radix::Octal,
            },
            Err(_) => ExprKind::Integer {
                value: 0,
                radix: Radix::Octal,
            },
        };
    }
    match text.parse::<i64>() {
        Ok(v) => ExprKind::Integer {
            value: v,
            radix: Radix::Decimal,
        },
        Err(_) => ExprKind::Float(text.parse().unwrap_or(f64::INFINITY)),
    }
}

/// `v` with exactly the room it uses. Syntax trees live for a whole check (both sides'
/// models are built from them and the rules read them), and a list grown by pushing keeps
/// up to half of its room unused: four places for a resource's one body or attribute. A
/// shrinking reallocation may stay in place, so the elements move to a new list.
fn exact<T>(v: Vec<T>) -> Vec<T> {
    if v.capacity() == v.len() {
        return v;
    }
    let mut out = Vec::with_capacity(v.len());
    out.extend(v);
    out
}
