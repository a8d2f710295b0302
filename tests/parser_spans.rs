//! Spans: every node's span lies inside the text, on char boundaries, and inside its
//! parent's span (a heredoc's text is the exception: its body lies on later lines). Literal
//! spans cover their source text. Checked on the checklist, the tree corpus and, when
//! `PREFLIGHT_CORPUS` is set, the Debian corpus.

mod corpus_env;

use puppet_preflight::ast::*;
use puppet_preflight::parser::parse;

struct Checker<'a> {
    src: &'a str,
    problems: Vec<String>,
}

impl Checker<'_> {
    fn span(&mut self, what: &str, s: Span, parent: Option<Span>) {
        let len = self.src.len() as u32;
        if s.start > s.end || s.end > len {
            self.problems
                .push(format!("{what}: span {s} outside 0..{len}"));
            return;
        }
        if !self.src.is_char_boundary(s.start as usize)
            || !self.src.is_char_boundary(s.end as usize)
        {
            self.problems
                .push(format!("{what}: span {s} not on char boundaries"));
        }
        if let Some(p) = parent {
            if s.start < p.start || s.end > p.end {
                self.problems
                    .push(format!("{what}: span {s} outside its parent {p}"));
            }
        }
    }

    fn exprs(&mut self, es: &[Expr], parent: Span) {
        for e in es {
            self.expr(e, Some(parent));
        }
    }

    fn block(&mut self, b: &Block, parent: Span) {
        self.span("block", b.span, Some(parent));
        self.exprs(&b.statements, b.span);
    }

    fn attrs(&mut self, attrs: &[AttrOp], parent: Span) {
        for a in attrs {
            self.span("attribute", a.span, Some(parent));
            self.span("attribute name", a.name_span, Some(a.span));
            self.expr(&a.value, Some(a.span));
        }
    }

    fn definition(&mut self, name_span: Span, params: &[Param], body: &Block, s: Span) {
        self.span("definition name", name_span, Some(s));
        self.params(params, s);
        self.block(body, s);
    }

    fn params(&mut self, ps: &[Param], parent: Span) {
        for p in ps {
            self.span("parameter", p.span, Some(parent));
            if let Some(t) = &p.type_expr {
                self.expr(t, Some(p.span));
            }
            if let Some(d) = &p.default {
                self.expr(d, Some(p.span));
            }
        }
    }

    fn lambda(&mut self, l: &Lambda, parent: Span) {
        self.span("lambda", l.span, Some(parent));
        self.params(&l.params, l.span);
        if let Some(r) = &l.return_type {
            self.expr(r, Some(l.span));
        }
        self.block(&l.body, l.span);
    }

    fn expr(&mut self, e: &Expr, parent: Option<Span>) {
        let s = e.span;
        self.span("expression", s, parent);
        let text = self.src.get(s.range()).unwrap_or("");
        match &e.kind {
            ExprKind::Variable(n) => {
                if !text.starts_with('$') && !text.is_empty() {
                    // `${x}` rewrite: the span is the bare name
                    if !text.ends_with(n.as_str()) {
                        self.problems.push(format!("variable {n} spans {text:?}"));
                    }
                }
            }
            ExprKind::Name(n) | ExprKind::ClassRef(n) | ExprKind::Word(n) => {
                // `class`, `type`, `Object`, `parent`: names Puppet's model adds itself
                let synthetic = ["class", "type", "Object", "parent"].contains(&n.as_str());
                if text != n && !synthetic {
                    self.problems.push(format!("name {n} spans {text:?}"));
                }
            }
            ExprKind::Str(_) => {}
            ExprKind::Interpolated(parts) => {
                for p in parts {
                    match p {
                        StrPart::Text(_, sp) => self.span("string text", *sp, Some(s)),
                        StrPart::Expr(x) => self.expr(x, Some(s)),
                    }
                }
            }
            ExprKind::Heredoc { text, .. } => self.expr(text, None),
            ExprKind::Array(items) => self.exprs(items, s),
            ExprKind::Hash(entries) => {
                for en in entries {
                    self.expr(&en.key, Some(s));
                    self.expr(&en.value, Some(s));
                }
            }
            ExprKind::Paren(x) => self.expr(x, Some(s)),
            ExprKind::Unary { operand, .. } => self.expr(operand, Some(s)),
            ExprKind::Binary { lhs, rhs, .. }
            | ExprKind::Assign { lhs, rhs, .. }
            | ExprKind::Relationship { lhs, rhs, .. } => {
                self.expr(lhs, Some(s));
                self.expr(rhs, Some(s));
            }
            ExprKind::Selector { subject, entries } => {
                self.expr(subject, Some(s));
                for en in entries {
                    self.span("selector entry", en.span, Some(s));
                    self.expr(&en.key, Some(en.span));
                    self.expr(&en.value, Some(en.span));
                }
            }
            ExprKind::Access { target, args } => {
                self.expr(target, Some(s));
                self.exprs(args, s);
            }
            ExprKind::Call {
                func, args, lambda, ..
            } => {
                self.expr(func, Some(s));
                self.exprs(args, s);
                if let Some(l) = lambda {
                    self.lambda(l, s);
                }
            }
            ExprKind::MethodCall(d) => {
                let puppet_preflight::ast::MethodCall {
                    receiver,
                    name_span,
                    args,
                    lambda,
                    ..
                } = &**d;
                self.expr(receiver, Some(s));
                self.span("method name", *name_span, Some(s));
                self.exprs(args, s);
                if let Some(l) = lambda {
                    self.lambda(l, s);
                }
            }
            ExprKind::If(c) | ExprKind::Unless(c) => {
                let (cond, then_branch, else_branch) = (&c.cond, &c.then_branch, &c.else_branch);
                self.expr(cond, Some(s));
                self.block(then_branch, s);
                if let Some(b) = else_branch {
                    self.block(b, s);
                }
            }
            ExprKind::Case { subject, options } => {
                self.expr(subject, Some(s));
                for o in options {
                    self.span("case option", o.span, Some(s));
                    self.exprs(&o.values, o.span);
                    self.block(&o.body, o.span);
                }
            }
            ExprKind::Resource {
                type_expr, bodies, ..
            } => {
                self.expr(type_expr, Some(s));
                for b in bodies {
                    self.span("resource body", b.span, Some(s));
                    self.expr(&b.title, Some(b.span));
                    self.attrs(&b.attrs, b.span);
                }
            }
            ExprKind::ResourceDefaults {
                type_ref, attrs, ..
            } => {
                self.expr(type_ref, Some(s));
                self.attrs(attrs, s);
            }
            ExprKind::ResourceOverride { target, attrs, .. } => {
                self.expr(target, Some(s));
                self.attrs(attrs, s);
            }
            ExprKind::Collector {
                type_ref,
                query,
                overrides,
                ..
            } => {
                self.expr(type_ref, Some(s));
                if let Some(q) = query {
                    self.expr(q, Some(s));
                }
                if let Some(o) = overrides {
                    self.attrs(o, s);
                }
            }
            ExprKind::ClassDef(d) => self.definition(d.name_span, &d.params, &d.body, s),
            ExprKind::DefineDef(d) => self.definition(d.name_span, &d.params, &d.body, s),
            ExprKind::PlanDef(d) => self.definition(d.name_span, &d.params, &d.body, s),
            ExprKind::FunctionDef(d) => {
                let puppet_preflight::ast::FunctionDef {
                    name_span,
                    params,
                    return_type,
                    body,
                    ..
                } = &**d;
                self.span("function name", *name_span, Some(s));
                self.params(params, s);
                if let Some(r) = return_type {
                    self.expr(r, Some(s));
                }
                self.block(body, s);
            }
            ExprKind::NodeDef(d) => {
                let puppet_preflight::ast::NodeDef {
                    names,
                    parent,
                    body,
                } = &**d;
                self.exprs(names, s);
                if let Some(p) = parent {
                    self.expr(p, Some(s));
                }
                self.block(body, s);
            }
            ExprKind::TypeAlias(d) => {
                let puppet_preflight::ast::TypeAlias {
                    name_span,
                    params,
                    value,
                    ..
                } = &**d;
                self.span("type name", *name_span, Some(s));
                self.exprs(params, s);
                self.expr(value, Some(s));
            }
            ExprKind::TypeDef(d) => {
                let puppet_preflight::ast::TypeDef {
                    name_span, body, ..
                } = &**d;
                self.span("type name", *name_span, Some(s));
                self.block(body, s);
            }
            ExprKind::Apply(d) => {
                let puppet_preflight::ast::Apply { args, body } = &**d;
                self.exprs(args, s);
                self.block(body, s);
            }
            ExprKind::Integer { .. }
            | ExprKind::Float(_)
            | ExprKind::Regex(_)
            | ExprKind::Bool(_)
            | ExprKind::Undef
            | ExprKind::Default
            | ExprKind::Reserved(_)
            | ExprKind::Error => {}
        }
    }
}

fn check(name: &str, src: &str) -> Vec<String> {
    let p = parse(src);
    if !p.errors.is_empty() {
        return Vec::new();
    }
    let mut c = Checker {
        src,
        problems: Vec::new(),
    };
    c.span("program", p.program.span, None);
    c.exprs(&p.program.statements, p.program.span);
    c.problems
        .into_iter()
        .map(|x| format!("{name}: {x}"))
        .collect()
}

fn fixture_sources() -> Vec<(String, String)> {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/grammar");
    let mut out = Vec::new();
    for sub in ["accept", "trees"] {
        let mut paths: Vec<_> = std::fs::read_dir(format!("{root}/{sub}"))
            .expect("fixture dir")
            .map(|e| e.expect("entry").path())
            .collect();
        paths.sort();
        for p in paths {
            let text = std::fs::read_to_string(&p).expect("utf-8");
            let name = p.display().to_string();
            if sub == "trees" {
                for (i, block) in text.split("\n----\n").enumerate() {
                    let snippet: String = block
                        .split_inclusive('\n')
                        .filter(|l| !l.starts_with(">>> ") && !l.starts_with("!!! "))
                        .collect();
                    out.push((format!("{name}#{i}"), snippet));
                }
            } else {
                out.push((name, text));
            }
        }
    }
    out
}

#[test]
fn spans_nest_and_stay_inside_the_text() {
    let mut problems = Vec::new();
    for (name, src) in fixture_sources() {
        problems.extend(check(&name, &src));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
#[cfg_attr(
    not(preflight_corpus),
    ignore = "needs the Debian corpus: set PREFLIGHT_CORPUS"
)]
fn spans_on_the_debian_corpus() {
    let Some(dir) = corpus_env::root("spans_on_the_debian_corpus") else {
        return;
    };
    let mut problems = Vec::new();
    for e in walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(|e| e.ok())
    {
        if e.path().extension().is_some_and(|x| x == "pp") && e.file_type().is_file() {
            if let Ok(src) = std::fs::read_to_string(e.path()) {
                problems.extend(check(&e.path().display().to_string(), &src));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
