//! A compact s-expression printer for the tree, in the style of Puppet's own
//! `ModelTreeDumper` (what `tools/puppet-oracle.rb` prints), so that tree tests are readable
//! and can be compared with Puppet's output: `(= $x (+ 1 2))`, `(resource file ('a'
//! (ensure => present)))`, `(invoke include foo)`.
//!
//! Differences from Puppet's dump are deliberate and few: parentheses are not shown (as in
//! Puppet), a bare WORD prints as a string (as in Puppet), and calls that are statements
//! print as `invoke`, calls inside expressions as `call` (as in Puppet).

use std::fmt::Write;

use crate::ast::*;

/// Print a whole program: one statement as itself, several as `(block … )`.
pub fn program(p: &Program) -> String {
    let mut out = String::new();
    statements_top(&mut out, &p.statements);
    out
}

/// Print one expression (as a value, not as a statement).
pub fn expr(e: &Expr) -> String {
    let mut out = String::new();
    Printer { out: &mut out }.expr(e, false);
    out
}

fn statements_top(out: &mut String, stmts: &[Expr]) {
    let mut p = Printer { out };
    match stmts.len() {
        0 => p.s(":nop"),
        1 => p.expr(&stmts[0], true),
        _ => p.block(stmts),
    }
}

struct Printer<'a> {
    out: &'a mut String,
}

impl Printer<'_> {
    fn s(&mut self, s: &str) {
        self.out.push_str(s);
    }

    /// `(block s1 s2 )`
    fn block(&mut self, stmts: &[Expr]) {
        self.s("(block");
        for st in stmts {
            self.s(" ");
            self.expr(st, true);
        }
        self.s(" )");
    }

    /// A body that Puppet prints as `()` when empty and `(block …)` otherwise.
    fn body(&mut self, b: &Block) {
        if b.statements.is_empty() {
            self.s("()");
        } else {
            self.block(&b.statements);
        }
    }

    /// A body that Puppet prints with `block_or_expression`.
    fn branch(&mut self, b: &Block) {
        match b.statements.len() {
            0 => self.s("()"),
            1 => self.expr(&b.statements[0], true),
            _ => self.block(&b.statements),
        }
    }

    fn list(&mut self, items: &[Expr]) {
        for i in items {
            self.s(" ");
            self.expr(i, false);
        }
    }

    /// `(if cond (then …) (else …))`; Puppet drops an empty else branch.
    fn conditional(&mut self, head: &str, cond: &Expr, then: &Block, other: Option<&Block>) {
        self.s(head);
        self.expr(cond, false);
        self.s(" (then ");
        self.branch(then);
        self.s(")");
        if let Some(b) = other.filter(|b| !b.statements.is_empty()) {
            self.s(" (else ");
            self.branch(b);
            self.s(")");
        }
        self.s(")");
    }

    /// `(a b c)`
    fn parenthesised(&mut self, items: &[Expr]) {
        self.s("(");
        for (i, a) in items.iter().enumerate() {
            if i > 0 {
                self.s(" ");
            }
            self.expr(a, false);
        }
        self.s(")");
    }

    /// Access arguments as Puppet dumps them: ` a` for one, ` (a b)` for several.
    fn slice_args(&mut self, args: &[Expr]) {
        self.s(" ");
        if args.len() == 1 {
            self.expr(&args[0], false);
        } else {
            self.parenthesised(args);
        }
    }

    fn string(&mut self, s: &str) {
        self.s("'");
        self.s(s);
        self.s("'");
    }

    fn expr(&mut self, e: &Expr, stmt: bool) {
        match &e.kind {
            ExprKind::Variable(n) => {
                self.s("$");
                self.s(n);
            }
            ExprKind::Name(n) => self.s(n),
            ExprKind::Word(w) => self.string(w),
            ExprKind::ClassRef(n) => self.s(n),
            ExprKind::Integer { value, radix } => {
                let _ = match radix {
                    Radix::Decimal => write!(self.out, "{value}"),
                    Radix::Hex => write!(self.out, "0x{value:X}"),
                    Radix::Octal => write!(self.out, "0{value:o}"),
                };
            }
            ExprKind::Float(f) => {
                let _ = write!(self.out, "{f:?}");
            }
            ExprKind::Str(s) => self.string(s),
            ExprKind::Interpolated(parts) => {
                self.s("(cat");
                for p in parts {
                    self.s(" ");
                    match p {
                        StrPart::Text(t, _) => self.string(t),
                        StrPart::Expr(x) => {
                            self.s("(str ");
                            self.expr(x, false);
                            self.s(")");
                        }
                    }
                }
                self.s(")");
            }
            ExprKind::Heredoc { syntax, text } => {
                self.s("(@(");
                self.s(syntax.as_deref().unwrap_or(""));
                self.s(") ");
                self.expr(text, false);
                self.s(" )");
            }
            ExprKind::Regex(r) => {
                // as Ruby's Regexp#inspect: unescaped '/' is shown as '\/'
                self.s("/");
                let mut escaped = false;
                for c in r.chars() {
                    if c == '/' && !escaped {
                        self.out.push('\\');
                    }
                    escaped = c == '\\' && !escaped;
                    self.out.push(c);
                }
                self.s("/");
            }
            ExprKind::Bool(b) => self.s(if *b { "true" } else { "false" }),
            ExprKind::Undef => self.s(":undef"),
            ExprKind::Default => self.s(":default"),
            ExprKind::Reserved(w) => {
                self.s("(reserved ");
                self.s(w);
                self.s(")");
            }
            ExprKind::Array(items) => {
                self.s("([]");
                self.list(items);
                self.s(")");
            }
            ExprKind::Hash(entries) => {
                self.s("({}");
                for en in entries {
                    self.s(" (");
                    self.expr(&en.key, false);
                    self.s(" ");
                    self.expr(&en.value, false);
                    self.s(")");
                }
                self.s(")");
            }
            ExprKind::Paren(inner) => self.expr(inner, stmt),
            ExprKind::Unary { op, operand } => {
                self.s(match op {
                    UnaryOp::Not => "(! ",
                    UnaryOp::Neg => "(- ",
                    UnaryOp::Splat => "(unfold ",
                });
                self.expr(operand, false);
                self.s(")");
            }
            ExprKind::Binary { op, lhs, rhs } => {
                self.s("(");
                self.s(match op {
                    BinaryOp::And => "&&",
                    BinaryOp::Or => "||",
                    o => o.as_str(),
                });
                self.s(" ");
                self.expr(lhs, false);
                self.s(" ");
                self.expr(rhs, false);
                self.s(")");
            }
            ExprKind::Assign { op, lhs, rhs } => {
                self.s(match op {
                    AssignOp::Assign => "(= ",
                    AssignOp::AddAssign => "(+= ",
                    AssignOp::SubAssign => "(-= ",
                });
                self.expr(lhs, false);
                self.s(" ");
                self.expr(rhs, false);
                self.s(")");
            }
            ExprKind::Relationship { op, lhs, rhs } => {
                self.s("(");
                self.s(op.as_str());
                self.s(" ");
                self.expr(lhs, false);
                self.s(" ");
                self.expr(rhs, false);
                self.s(")");
            }
            ExprKind::Selector { subject, entries } => {
                self.s("(? ");
                self.expr(subject, false);
                for en in entries {
                    self.s(" (");
                    self.expr(&en.key, false);
                    self.s(" => ");
                    self.expr(&en.value, false);
                    self.s(")");
                }
                self.s(")");
            }
            ExprKind::Access { target, args } => {
                self.s("(slice ");
                self.expr(target, false);
                self.slice_args(args);
                self.s(")");
            }
            ExprKind::Call {
                func, args, lambda, ..
            } => {
                self.s(if stmt { "(invoke " } else { "(call " });
                self.expr(func, false);
                self.list(args);
                if let Some(l) = lambda {
                    self.s(" ");
                    self.lambda(l);
                }
                self.s(")");
            }
            ExprKind::MethodCall(d) => {
                let crate::ast::MethodCall {
                    receiver,
                    name,
                    args,
                    lambda,
                    ..
                } = &**d;
                self.s("(call-method (. ");
                self.expr(receiver, false);
                self.s(" ");
                self.s(name);
                self.s(")");
                self.list(args);
                if let Some(l) = lambda {
                    self.s(" ");
                    self.lambda(l);
                }
                self.s(")");
            }
            ExprKind::If(c) => {
                self.conditional("(if ", &c.cond, &c.then_branch, c.else_branch.as_ref())
            }
            ExprKind::Unless(c) => {
                self.conditional("(unless ", &c.cond, &c.then_branch, c.else_branch.as_ref())
            }
            ExprKind::Case { subject, options } => {
                self.s("(case ");
                self.expr(subject, false);
                for o in options {
                    self.s(" (when ");
                    self.parenthesised(&o.values);
                    self.s(" (then ");
                    self.body(&o.body);
                    self.s("))");
                }
                self.s(")");
            }
            ExprKind::Resource {
                form,
                type_expr,
                bodies,
            } => {
                self.s(match form {
                    ResourceForm::Regular => "(resource ",
                    ResourceForm::Virtual => "(virtual-resource ",
                    ResourceForm::Exported => "(exported-resource ",
                });
                self.expr(type_expr, false);
                for b in bodies {
                    self.s(" (");
                    self.expr(&b.title, false);
                    self.attrs(&b.attrs);
                    self.s(")");
                }
                self.s(")");
            }
            ExprKind::ResourceDefaults {
                type_ref, attrs, ..
            } if matches!(type_ref.kind, ExprKind::Name(_)) => {
                // `name { k => v }` (no title, not a statement call): Puppet keeps a name
                // followed by a hash, and rejects it in validation
                self.s("(block ");
                self.expr(type_ref, false);
                self.s(" ({}");
                for a in attrs {
                    self.s(" ('");
                    self.s(&a.name);
                    self.s("' ");
                    self.expr(&a.value, false);
                    self.s(")");
                }
                self.s("))");
            }
            ExprKind::ResourceDefaults {
                form,
                type_ref,
                attrs,
            } => {
                self.s(match form {
                    ResourceForm::Regular => "(resource-defaults ",
                    ResourceForm::Virtual => "(virtual-resource-defaults ",
                    ResourceForm::Exported => "(exported-resource-defaults ",
                });
                self.expr(type_ref, false);
                self.attrs(attrs);
                self.s(")");
            }
            ExprKind::ResourceOverride {
                form,
                target,
                attrs,
            } => {
                self.s(match form {
                    ResourceForm::Regular => "(override ",
                    ResourceForm::Virtual => "(virtual-override ",
                    ResourceForm::Exported => "(exported-override ",
                });
                self.expr(target, false);
                self.attrs(attrs);
                self.s(")");
            }
            ExprKind::Collector {
                type_ref,
                query,
                exported,
                overrides,
            } => {
                self.s("(collect ");
                self.expr(type_ref, false);
                self.s(if *exported { " (<<| |>>" } else { " (<| |>" });
                if let Some(q) = query {
                    self.s(" ");
                    self.expr(q, false);
                }
                // Puppet's dump does not show the override block; neither do we.
                let _ = overrides;
                self.s("))");
            }
            ExprKind::ClassDef(d) => {
                let crate::ast::ClassDef {
                    name,
                    params,
                    parent,
                    body,
                    ..
                } = &**d;
                self.s("(class ");
                self.s(name);
                if let Some(p) = parent {
                    self.s(" (inherits ");
                    self.s(p);
                    self.s(")");
                }
                self.params(params);
                self.s(" ");
                self.body(body);
                self.s(")");
            }
            ExprKind::DefineDef(d) => {
                let crate::ast::DefineDef {
                    name, params, body, ..
                } = &**d;
                self.s("(define ");
                self.s(name);
                self.params(params);
                self.s(" ");
                self.body(body);
                self.s(")");
            }
            ExprKind::NodeDef(d) => {
                let crate::ast::NodeDef {
                    names,
                    parent,
                    body,
                } = &**d;
                self.s("(node (matches");
                self.list(names);
                self.s(")");
                if let Some(p) = parent {
                    self.s(" (parent ");
                    self.expr(p, false);
                    self.s(")");
                }
                self.s(" ");
                self.body(body);
                self.s(")");
            }
            ExprKind::FunctionDef(d) => {
                let crate::ast::FunctionDef {
                    name,
                    params,
                    return_type,
                    body,
                    ..
                } = &**d;
                self.s("(function ");
                self.s(name);
                self.params(params);
                if let Some(r) = return_type {
                    self.s(" (return_type ");
                    self.expr(r, false);
                    self.s(")");
                }
                self.s(" ");
                self.body(body);
                self.s(")");
            }
            ExprKind::TypeAlias(d) => {
                let crate::ast::TypeAlias {
                    name,
                    params,
                    value,
                    ..
                } = &**d;
                if params.is_empty() {
                    self.s("(type-alias ");
                    self.s(name);
                } else {
                    // `type Foo[1] = …` is a type mapping in Puppet's model
                    self.s("(type-mapping (slice ");
                    self.s(name);
                    self.slice_args(params);
                    self.s(")");
                }
                self.s(" ");
                self.expr(value, false);
                self.s(")");
            }
            ExprKind::TypeDef(d) => {
                let crate::ast::TypeDef {
                    name, parent, body, ..
                } = &**d;
                self.s("(type-definition ");
                self.s(name);
                if let Some(p) = parent {
                    self.s(" ");
                    self.s(p);
                }
                self.s(" ");
                self.body(body);
                self.s(")");
            }
            ExprKind::PlanDef(d) => {
                let crate::ast::PlanDef {
                    name, params, body, ..
                } = &**d;
                self.s("(plan ");
                self.s(name);
                self.params(params);
                self.s(" ");
                self.body(body);
                self.s(")");
            }
            ExprKind::Apply(d) => {
                let crate::ast::Apply { args, body } = &**d;
                self.s("(apply");
                self.list(args);
                self.s(" ");
                self.body(body);
                self.s(")");
            }
            ExprKind::Error => self.s("(error)"),
        }
    }

    fn attrs(&mut self, attrs: &[AttrOp]) {
        for a in attrs {
            self.s(" (");
            self.s(&a.name);
            self.s(match a.op {
                AttrOperator::Set => " => ",
                AttrOperator::Append => " +> ",
            });
            self.expr(&a.value, false);
            self.s(")");
        }
    }

    fn params(&mut self, params: &[Param]) {
        if params.is_empty() {
            return;
        }
        self.s(" (parameters");
        for p in params {
            self.s(" ");
            self.param(p);
        }
        self.s(")");
    }

    fn param(&mut self, p: &Param) {
        let name = if p.captures_rest {
            format!("*{}", p.name)
        } else {
            p.name.to_string()
        };
        match (&p.type_expr, &p.default) {
            (None, None) => self.s(&name),
            (Some(t), None) => {
                self.s("(t ");
                self.expr(t, false);
                self.s(" ");
                self.s(&name);
                self.s(")");
            }
            (None, Some(d)) => {
                self.s("(= ");
                self.s(&name);
                self.s(" ");
                self.expr(d, false);
                self.s(")");
            }
            (Some(t), Some(d)) => {
                self.s("(=t ");
                self.expr(t, false);
                self.s(" ");
                self.s(&name);
                self.s(" ");
                self.expr(d, false);
                self.s(")");
            }
        }
    }

    fn lambda(&mut self, l: &Lambda) {
        self.s("(lambda");
        self.params(&l.params);
        if let Some(r) = &l.return_type {
            self.s(" (return_type ");
            self.expr(r, false);
            self.s(")");
        }
        self.s(" ");
        self.body(&l.body);
        self.s(")");
    }
}
