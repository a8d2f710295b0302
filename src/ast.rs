//! The syntax tree of a Puppet manifest.
//!
//! Every node carries a [`Span`]: byte offsets into the file text. Line and column are
//! computed only when something is rendered (see [`crate::diagnostic::LineIndex`]).
//!
//! The tree follows Puppet's own model closely (`lib/puppet/pops/model`), but keeps what
//! later stages need within easy reach: resource bodies with attribute names and values,
//! the text of string literals after escapes, interpolation parts, relationship operators.
//! The tree knows nothing of rules, git or output formats.

use std::fmt;

pub use smol_str::SmolStr;

/// A half-open byte range `[start, end)` into the source text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Span {
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub const fn new(start: u32, end: u32) -> Self {
        Span { start, end }
    }

    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        Span {
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }

    pub fn len(self) -> u32 {
        self.end.saturating_sub(self.start)
    }

    pub fn is_empty(self) -> bool {
        self.len() == 0
    }

    pub fn range(self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}..{}", self.start, self.end)
    }
}

/// A parsed file: its top-level statements.
#[derive(Clone, Debug, PartialEq)]
pub struct Program {
    pub statements: Vec<Expr>,
    pub span: Span,
}

/// A `{ … }` list of statements (class body, `if` branch, lambda body, …).
#[derive(Clone, Debug, PartialEq)]
pub struct Block {
    pub statements: Vec<Expr>,
    pub span: Span,
}

/// Every construct of the language is an expression (Puppet makes no distinction).
#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

impl Expr {
    pub fn new(kind: ExprKind, span: Span) -> Self {
        Expr { kind, span }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Radix {
    Decimal,
    Octal,
    Hex,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    // ----- primaries -----
    /// `$name`, `$::fqdn`, `$a::b` — the name without the `$`.
    Variable(SmolStr),
    /// A bare lowercase name: `present`, `apache::params`, `::ntp`.
    Name(SmolStr),
    /// A bare word that is not a NAME: `foo-bar`, `a-1`, `_x`.
    Word(SmolStr),
    /// A capitalised reference: `File`, `Stdlib::Absolutepath`.
    ClassRef(SmolStr),
    Integer {
        value: i64,
        radix: Radix,
    },
    Float(f64),
    /// A string with no interpolation: single-quoted, or double-quoted without `$`.
    /// `value` is the text after escapes.
    Str(SmolStr),
    /// A double-quoted string (or `"TAG"` heredoc body) with interpolation.
    Interpolated(Vec<StrPart>),
    /// `@(TAG:syntax/escapes)`; `text` is a `Str` or `Interpolated` expression.
    Heredoc {
        syntax: Option<SmolStr>,
        text: Box<Expr>,
    },
    /// `/…/`, the pattern without the slashes, `\/` unescaped to `/`.
    Regex(SmolStr),
    Bool(bool),
    Undef,
    Default,
    /// `private` and `attr`: reserved words that parse but fail validation as values.
    Reserved(SmolStr),
    Array(Vec<Expr>),
    Hash(Vec<HashEntry>),
    /// `( expr )`. Kept so that spans and `(1)` vs `1` stay visible; evaluates as `expr`.
    Paren(Box<Expr>),

    // ----- operators -----
    Unary {
        op: UnaryOp,
        operand: Box<Expr>,
    },
    Binary {
        op: BinaryOp,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    /// `=`, `+=`, `-=` (right associative).
    Assign {
        op: AssignOp,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    /// `->`, `~>`, `<-`, `<~` (left associative).
    Relationship {
        op: RelOp,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    /// `subject ? { k => v, … }` (or the single-entry `subject ? k => v`).
    Selector {
        subject: Box<Expr>,
        entries: Vec<SelectorEntry>,
    },
    /// `target[args]`: indexing, slicing, and type parameters (`Optional[String]`).
    Access {
        target: Box<Expr>,
        args: Vec<Expr>,
    },
    /// `foo(1, 2)`, `Integer($x)`, or a statement call `include foo, bar` / `notice 'x'`.
    Call {
        func: Box<Expr>,
        args: Vec<Expr>,
        lambda: Option<Box<Lambda>>,
        /// `true` for the statement form without parentheses (`include foo`).
        statement: bool,
    },
    /// `receiver.name(args) |params| { … }`.
    MethodCall(Box<MethodCall>),

    // ----- control flow (all are expressions) -----
    /// `if`; an `elsif` chain is an `If` nested as the sole statement of `else_branch`
    /// with `elsif: true`.
    If(Box<IfExpr>),
    Unless(Box<IfExpr>),
    Case {
        subject: Box<Expr>,
        options: Vec<CaseOption>,
    },

    // ----- catalog constructs -----
    /// `type { title: attrs; title: attrs }`, including `class { 'x': }`.
    Resource {
        form: ResourceForm,
        /// Usually `Name("file")`; any expression parses (`$type { … }`).
        type_expr: Box<Expr>,
        bodies: Vec<ResourceBody>,
    },
    /// `File { mode => '0644' }`.
    ResourceDefaults {
        form: ResourceForm,
        type_ref: Box<Expr>,
        attrs: Vec<AttrOp>,
    },
    /// `File['/a'] { mode +> '0600' }`.
    ResourceOverride {
        form: ResourceForm,
        target: Box<Expr>,
        attrs: Vec<AttrOp>,
    },
    /// `Type <| query |> { overrides }` and `Type <<| query |>>`.
    Collector {
        type_ref: Box<Expr>,
        query: Option<Box<Expr>>,
        exported: bool,
        overrides: Option<Vec<AttrOp>>,
    },

    // ----- definitions -----
    ClassDef(Box<ClassDef>),
    DefineDef(Box<DefineDef>),
    NodeDef(Box<NodeDef>),
    FunctionDef(Box<FunctionDef>),
    /// `type My::Port = Integer[1, 65535]`.
    TypeAlias(Box<TypeAlias>),
    /// `type Foo inherits Bar { … }` (parses, unsupported by Puppet).
    TypeDef(Box<TypeDef>),
    /// `plan name(params) { … }` (Bolt `--tasks` mode only).
    PlanDef(Box<PlanDef>),
    /// `apply(targets) { … }` (Bolt `--tasks` mode only).
    Apply(Box<Apply>),

    /// A place where the parser found a syntax error and recovered.
    Error,
}

#[derive(Clone, Debug, PartialEq)]
pub struct MethodCall {
    pub receiver: Expr,
    pub name: SmolStr,
    pub name_span: Span,
    pub args: Vec<Expr>,
    pub lambda: Option<Box<Lambda>>,
    pub parens: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct IfExpr {
    pub cond: Expr,
    pub then_branch: Block,
    pub else_branch: Option<Block>,
    pub elsif: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ClassDef {
    pub name: SmolStr,
    pub name_span: Span,
    pub params: Vec<Param>,
    pub parent: Option<SmolStr>,
    pub body: Block,
}

#[derive(Clone, Debug, PartialEq)]
pub struct DefineDef {
    pub name: SmolStr,
    pub name_span: Span,
    pub params: Vec<Param>,
    pub body: Block,
}

#[derive(Clone, Debug, PartialEq)]
pub struct NodeDef {
    pub names: Vec<Expr>,
    pub parent: Option<Box<Expr>>,
    pub body: Block,
}

#[derive(Clone, Debug, PartialEq)]
pub struct FunctionDef {
    pub name: SmolStr,
    pub name_span: Span,
    pub params: Vec<Param>,
    pub return_type: Option<Box<Expr>>,
    pub body: Block,
}

#[derive(Clone, Debug, PartialEq)]
pub struct TypeAlias {
    pub name: SmolStr,
    pub name_span: Span,
    /// `type Foo[1] = …` parses (unsupported by Puppet).
    pub params: Vec<Expr>,
    pub value: Box<Expr>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct TypeDef {
    pub name: SmolStr,
    pub name_span: Span,
    pub parent: Option<SmolStr>,
    pub body: Block,
}

#[derive(Clone, Debug, PartialEq)]
pub struct PlanDef {
    pub name: SmolStr,
    pub name_span: Span,
    pub params: Vec<Param>,
    pub body: Block,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Apply {
    pub args: Vec<Expr>,
    pub body: Block,
}

/// One segment of an interpolated string.
#[derive(Clone, Debug, PartialEq)]
pub enum StrPart {
    /// Literal text after escapes, with the span of its source text.
    Text(SmolStr, Span),
    /// `$x` or `${ expr }` (after the name-to-variable rewrite, `${x}` is `Variable("x")`).
    Expr(Expr),
}

#[derive(Clone, Debug, PartialEq)]
pub struct HashEntry {
    pub key: Expr,
    pub value: Expr,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct SelectorEntry {
    pub key: Expr,
    pub value: Expr,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct CaseOption {
    pub values: Vec<Expr>,
    pub body: Block,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ResourceForm {
    Regular,
    /// `@type { … }`
    Virtual,
    /// `@@type { … }`
    Exported,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ResourceBody {
    /// Any expression: a string, an array of titles, `default`, a variable, a call…
    pub title: Expr,
    pub attrs: Vec<AttrOp>,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AttrOperator {
    /// `=>`
    Set,
    /// `+>` (append; overrides, defaults, collector blocks)
    Append,
}

/// `name => value`, `name +> value`, or the splat `* => $hash` (name `"*"`).
#[derive(Clone, Debug, PartialEq)]
pub struct AttrOp {
    pub name: SmolStr,
    pub name_span: Span,
    pub op: AttrOperator,
    pub value: Expr,
    pub span: Span,
}

impl AttrOp {
    pub fn is_splat(&self) -> bool {
        self.name == "*"
    }
}

/// A class/define/function/lambda parameter: `Optional[String] $x = undef`, `*$rest`.
#[derive(Clone, Debug, PartialEq)]
pub struct Param {
    pub name: SmolStr,
    pub type_expr: Option<Expr>,
    pub default: Option<Expr>,
    pub captures_rest: bool,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Lambda {
    pub params: Vec<Param>,
    pub return_type: Option<Expr>,
    pub body: Block,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UnaryOp {
    /// `!`
    Not,
    /// `-`
    Neg,
    /// `*` (splat / unfold)
    Splat,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinaryOp {
    In,
    Match,
    NotMatch,
    Mul,
    Div,
    Mod,
    Add,
    Sub,
    Shl,
    Shr,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    And,
    Or,
}

impl BinaryOp {
    pub fn as_str(self) -> &'static str {
        match self {
            BinaryOp::In => "in",
            BinaryOp::Match => "=~",
            BinaryOp::NotMatch => "!~",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
            BinaryOp::Mod => "%",
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Shl => "<<",
            BinaryOp::Shr => ">>",
            BinaryOp::Eq => "==",
            BinaryOp::Ne => "!=",
            BinaryOp::Lt => "<",
            BinaryOp::Le => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::Ge => ">=",
            BinaryOp::And => "and",
            BinaryOp::Or => "or",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AssignOp {
    Assign,
    AddAssign,
    SubAssign,
}

/// Relationship arrows. `->`/`<-` order; `~>`/`<~` order and refresh.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RelOp {
    /// `->`: left before right.
    Before,
    /// `~>`: left before right, and right is refreshed when left changes.
    Notify,
    /// `<-`: right before left.
    Require,
    /// `<~`: right before left, left refreshed when right changes.
    Subscribe,
}

impl RelOp {
    pub fn as_str(self) -> &'static str {
        match self {
            RelOp::Before => "->",
            RelOp::Notify => "~>",
            RelOp::Require => "<-",
            RelOp::Subscribe => "<~",
        }
    }

    /// Whether the arrow carries refresh events.
    pub fn refreshes(self) -> bool {
        matches!(self, RelOp::Notify | RelOp::Subscribe)
    }
}

// Manifests of a large repository become millions of nodes; keep the node small. Rare,
// large constructs (definitions, conditionals, method calls) are boxed for this.
#[cfg(target_pointer_width = "64")]
const _: () = assert!(std::mem::size_of::<Expr>() <= 56);
