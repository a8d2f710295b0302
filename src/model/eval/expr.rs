//! Expression semantics: what each construct evaluates to, conditions (a known one runs
//! one branch, an unknown one every branch under a guard), access and references, and the
//! relationships and collectors met on the way (resolved later, see [`super::resolve`]).

use std::sync::Arc;

use super::super::functions::call_pure;
use super::super::value::{SymPart, Value};
use super::super::{normalize_key, AttrOrigin, CollectorSite, ConditionKind, EdgeVia, GuardStep};
use super::{collect_refs, src, Collector, Endpoint, Env, Ev, PendingOverride, PendingRel, Query};
use crate::ast::SmolStr;
use crate::ast::{
    AssignOp, AttrOp, BinaryOp, Block, Expr, ExprKind, RelOp, Span, StrPart, UnaryOp,
};

/// Data types that look like resource references when indexed (`Optional[String]`).
const DATA_TYPES: [&str; 30] = [
    "any",
    "array",
    "boolean",
    "callable",
    "catalogentry",
    "collection",
    "data",
    "default",
    "enum",
    "float",
    "hash",
    "integer",
    "iterable",
    "iterator",
    "notundef",
    "numeric",
    "optional",
    "pattern",
    "regexp",
    "runtime",
    "scalar",
    "semver",
    "semverrange",
    "sensitive",
    "string",
    "struct",
    "timespan",
    "timestamp",
    "tuple",
    "variant",
];

/// Built-in resource types of Puppet 7 (and its core modules) that have no `define`.
const BUILTIN_TYPES: [&str; 30] = [
    "file",
    "service",
    "package",
    "exec",
    "user",
    "group",
    "cron",
    "host",
    "mount",
    "notify",
    "schedule",
    "stage",
    "tidy",
    "filebucket",
    "resources",
    "ssh_authorized_key",
    "sshkey",
    "augeas",
    "selboolean",
    "selmodule",
    "yumrepo",
    "zfs",
    "zone",
    "zpool",
    "mailalias",
    "k5login",
    "maillist",
    "router",
    "anchor",
    "concat",
];

/// A `case` option value that is a plain literal, compared as written (see
/// [`literal_key`]).
type LiteralKey = crate::ast::ExprKind;

/// The option value `e` when it is a plain literal (a string without interpolation, a
/// bare word, a number or a boolean): two equal ones always match the same subjects.
fn literal_key(e: &Expr) -> Option<&LiteralKey> {
    match &e.kind {
        k @ (ExprKind::Str(_)
        | ExprKind::Name(_)
        | ExprKind::Word(_)
        | ExprKind::Integer { .. }
        | ExprKind::Bool(_)) => Some(k),
        _ => None,
    }
}

impl<'a> Ev<'a> {
    // ----- statements -----

    /// `if` or `unless`: a known condition runs one branch; an unknown one
    /// runs both, each under its own guard of one new condition.
    pub(super) fn conditional(
        &mut self,
        cond: &'a Expr,
        then_branch: &'a Block,
        else_branch: Option<&'a Block>,
        kind: ConditionKind,
        env: &Env,
    ) -> Value {
        let c = self.eval(cond, env);
        let runs_then = c.truthy().map(|t| t == (kind == ConditionKind::If));
        match runs_then {
            // `if !$x { fail(…) }` taken because `$x` is a placeholder (`undef` or `''`,
            // typically a parameter's default): every real compilation that gets past this
            // line has another value, so the rest of the scope is judged with the tested
            // variables unknown rather than with the placeholder that fails. A variable
            // holding a real value (one a declaration passed) is never forgotten.
            Some(true) if fails(then_branch) && self.forget_placeholders(cond, env) => {
                match else_branch {
                    Some(b) => self.exec_block(b, env),
                    None => Value::Undef,
                }
            }
            Some(true) => self.exec_block(then_branch, env),
            Some(false) => match else_branch {
                Some(b) => self.exec_block(b, env),
                None => Value::Undef,
            },
            None => {
                let subject = src(self.text(&env.file), cond.span);
                let id = self.new_condition(&env.file, cond.span, kind, subject, Some(cond));
                self.note_aliases(id, env);
                let e1 = self.with_guard(env, id, 0);
                self.exec_block(then_branch, &e1);
                if let Some(b) = else_branch {
                    let e2 = self.with_guard(env, id, 1);
                    self.exec_block(b, &e2);
                }
                Value::unknown(kind.as_str())
            }
        }
    }

    /// The fail-guard case of [`Self::conditional`]: when every local variable `cond` tests
    /// holds a placeholder, make them unknown in `env`'s scope and say so (`true`).
    fn forget_placeholders(&mut self, cond: &'a Expr, env: &Env) -> bool {
        let names = guarded_variables(cond);
        if names.is_empty()
            || !names
                .iter()
                .all(|n| self.lookup_var(n, env).is_placeholder())
        {
            return false;
        }
        for name in &names {
            self.forget_var(env.scope, name);
        }
        true
    }

    pub(super) fn exec_block(&mut self, b: &'a Block, env: &Env) -> Value {
        let mut last = Value::Undef;
        for s in &b.statements {
            last = self.eval(s, env);
        }
        last
    }

    pub(super) fn with_guard(&mut self, env: &Env, cond: u32, branch: u32) -> Env {
        let mut e = env.clone();
        e.guard.push(GuardStep { cond, branch });
        e
    }

    // ----- expressions -----

    pub(super) fn eval(&mut self, e: &'a Expr, env: &Env) -> Value {
        match &e.kind {
            ExprKind::Variable(n) => self.read_var(n, e.span, env),
            ExprKind::Name(n) | ExprKind::Word(n) => Value::Str(n.clone()),
            ExprKind::ClassRef(n) => Value::Type(n.clone()),
            ExprKind::Integer { value, .. } => Value::Int(*value),
            ExprKind::Float(f) => Value::Float(*f),
            ExprKind::Str(s) => Value::Str(s.clone()),
            ExprKind::Interpolated(parts) => {
                // Alternatives multiply (a selector inside a string gives one string per
                // branch), up to a small bound; beyond it the part is unknown.
                let mut acc: Vec<Vec<SymPart>> = vec![Vec::new()];
                for p in parts {
                    let alts: Vec<Vec<SymPart>> = match p {
                        StrPart::Text(t, _) => vec![vec![SymPart::Lit(t.clone())]],
                        StrPart::Expr(x) => {
                            let v = self.eval(x, env);
                            let shown = || {
                                src(self.text(&env.file), x.span)
                                    .trim_start_matches('$')
                                    .to_string()
                            };
                            let one = |v: &Value| match v {
                                Value::Symbolic(s) => s.parts.clone(),
                                v => match v.to_text() {
                                    Some(t) => vec![SymPart::Lit(t.into())],
                                    None => vec![SymPart::Unknown(shown().into())],
                                },
                            };
                            match &v {
                                Value::OneOf(vs) if acc.len() * vs.len() <= 16 => {
                                    vs.iter().map(one).collect()
                                }
                                Value::OneOf(_) => vec![vec![SymPart::Unknown(shown().into())]],
                                v => vec![one(v)],
                            }
                        }
                    };
                    if alts.len() == 1 {
                        for a in &mut acc {
                            a.extend(alts[0].iter().cloned());
                        }
                    } else {
                        acc = acc
                            .iter()
                            .flat_map(|a| {
                                alts.iter().map(move |b| {
                                    let mut c = a.clone();
                                    c.extend(b.iter().cloned());
                                    c
                                })
                            })
                            .collect();
                    }
                }
                Value::one_of(acc.into_iter().map(Value::from_parts).collect())
            }
            ExprKind::Heredoc { text, .. } => self.eval(text, env),
            ExprKind::Regex(r) => Value::Regex(r.clone()),
            ExprKind::Bool(b) => Value::Bool(*b),
            ExprKind::Undef => Value::Undef,
            ExprKind::Default => Value::Default,
            ExprKind::Reserved(r) => Value::Str(r.clone()),
            ExprKind::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                for i in items {
                    if let ExprKind::Unary {
                        op: UnaryOp::Splat,
                        operand,
                    } = &i.kind
                    {
                        match self.eval(operand, env) {
                            Value::Array(a) => out.extend(a.iter().cloned()),
                            v => out.push(v),
                        }
                    } else {
                        out.push(self.eval(i, env));
                    }
                }
                Value::array(out).capped()
            }
            ExprKind::Hash(entries) => Value::hash(
                entries
                    .iter()
                    .map(|h| (self.eval(&h.key, env), self.eval(&h.value, env)))
                    .collect(),
            )
            .capped(),
            ExprKind::Paren(x) => self.eval(x, env),
            ExprKind::Unary { op, operand } => {
                let v = self.eval(operand, env);
                match op {
                    UnaryOp::Not => match v.truthy() {
                        Some(b) => Value::Bool(!b),
                        None => self.unknown_expr(e, env),
                    },
                    UnaryOp::Neg => match v {
                        Value::Int(i) => Value::Int(i.wrapping_neg()),
                        Value::Float(f) => Value::Float(-f),
                        _ => self.unknown_expr(e, env),
                    },
                    UnaryOp::Splat => v,
                }
            }
            ExprKind::Binary { op, lhs, rhs } => self.eval_binary(e, *op, lhs, rhs, env),
            ExprKind::Assign { op, lhs, rhs } => {
                let v = self.eval(rhs, env);
                match (&lhs.kind, op) {
                    (ExprKind::Variable(n), AssignOp::Assign) => {
                        self.note_assignment(n, env);
                        self.set_var(env.scope, n, v.clone())
                    }
                    (ExprKind::Array(targets), AssignOp::Assign) => {
                        for (i, t) in targets.iter().enumerate() {
                            if let ExprKind::Variable(n) = &t.kind {
                                let item = match &v {
                                    Value::Array(a) => a.get(i).cloned().unwrap_or(Value::Undef),
                                    Value::Hash(_) => {
                                        v.hash_get(n).cloned().unwrap_or(Value::Undef)
                                    }
                                    _ => Value::unknown(n.clone()),
                                };
                                self.set_var(env.scope, n, item);
                            }
                        }
                    }
                    (ExprKind::Variable(n), _) => {
                        let old = self.lookup_var(n, env);
                        let new = match (old, v.clone()) {
                            (Value::Array(mut a), Value::Array(b))
                                if *op == AssignOp::AddAssign =>
                            {
                                Arc::make_mut(&mut a).extend(b.iter().cloned());
                                Value::Array(a)
                            }
                            _ => Value::unknown(n.clone()),
                        };
                        self.vars[env.scope].vars.insert(n.clone(), new);
                    }
                    _ => {}
                }
                v
            }
            ExprKind::Relationship { .. } => {
                let eps = self.eval_endpoints(e, env);
                endpoints_value(&eps)
            }
            ExprKind::Selector { subject, entries } => {
                let subj = self.eval(subject, env);
                let mut possible: Vec<(usize, bool)> = Vec::new();
                for (i, en) in entries.iter().enumerate() {
                    match self.case_match(&subj, &en.key, env) {
                        Some(true) => {
                            possible.push((i, true));
                            break;
                        }
                        Some(false) => {}
                        None => possible.push((i, false)),
                    }
                }
                match possible.as_slice() {
                    [] => Value::unknown(format!("no selector match for {subj}")),
                    [(i, true)] => self.eval(&entries[*i].value, env),
                    _ => {
                        let vals: Vec<Value> = possible
                            .iter()
                            .map(|(i, _)| self.eval(&entries[*i].value, env))
                            .collect();
                        Value::one_of(vals)
                    }
                }
            }
            ExprKind::Access { target, args } => self.eval_access(e, target, args, env),
            ExprKind::Call {
                func, args, lambda, ..
            } => {
                let name = match &func.kind {
                    ExprKind::Name(n) => n.clone(),
                    ExprKind::ClassRef(n) => n.clone(),
                    _ => return self.unknown_expr(e, env),
                };
                self.call(e, &name, args, None, lambda.as_deref(), env)
            }
            ExprKind::MethodCall(m) => self.call(
                e,
                &m.name,
                &m.args,
                Some(&m.receiver),
                m.lambda.as_deref(),
                env,
            ),
            ExprKind::If(c) => self.conditional(
                &c.cond,
                &c.then_branch,
                c.else_branch.as_ref(),
                ConditionKind::If,
                env,
            ),
            ExprKind::Unless(c) => self.conditional(
                &c.cond,
                &c.then_branch,
                c.else_branch.as_ref(),
                ConditionKind::Unless,
                env,
            ),
            ExprKind::Case { subject, options } => {
                let subj = self.eval(subject, env);
                let mut possible: Vec<(usize, bool)> = Vec::new();
                // Literal option values already listed: Puppet takes the first option that
                // matches, so an option whose every value an earlier one has never runs.
                let mut listed: Vec<&LiteralKey> = Vec::new();
                'opts: for (i, o) in options.iter().enumerate() {
                    let keys: Option<Vec<&LiteralKey>> = o.values.iter().map(literal_key).collect();
                    if let Some(keys) = keys {
                        if !keys.is_empty() && keys.iter().all(|k| listed.contains(k)) {
                            continue 'opts;
                        }
                        listed.extend(keys);
                    }
                    let mut any_unknown = false;
                    for v in &o.values {
                        match self.case_match(&subj, v, env) {
                            Some(true) => {
                                possible.push((i, !any_unknown));
                                if !any_unknown {
                                    break 'opts;
                                }
                                continue 'opts;
                            }
                            Some(false) => {}
                            None => any_unknown = true,
                        }
                    }
                    if any_unknown {
                        possible.push((i, false));
                    }
                }
                match possible.as_slice() {
                    [] => Value::Undef,
                    [(i, true)] => self.exec_block(&options[*i].body, env),
                    _ => {
                        let subject_text = src(self.text(&env.file), subject.span);
                        let id = self.new_condition(
                            &env.file,
                            subject.span,
                            ConditionKind::Case,
                            subject_text,
                            Some(subject),
                        );
                        self.note_aliases(id, env);
                        let text = self.text(&env.file);
                        self.model.conditions[id as usize].options = options
                            .iter()
                            .map(|o| {
                                let vals: Vec<String> =
                                    o.values.iter().map(|v| src(text, v.span)).collect();
                                super::shorten(&vals.join(", "))
                            })
                            .collect();
                        for (i, _) in possible {
                            let e1 = self.with_guard(env, id, i as u32);
                            self.exec_block(&options[i].body, &e1);
                        }
                        Value::unknown("case")
                    }
                }
            }
            ExprKind::Resource {
                form,
                type_expr,
                bodies,
            } => {
                let ids = self.eval_resource(*form, type_expr, bodies, env);
                endpoints_value(&ids.into_iter().map(Endpoint::Res).collect::<Vec<_>>())
            }
            ExprKind::ResourceDefaults {
                type_ref, attrs, ..
            } => {
                let ty = type_name(type_ref);
                let attrs = self.eval_attrs(attrs, env, AttrOrigin::Default, true);
                let attrs = attrs.into_iter().map(|(a, _)| a).collect();
                if self.frames[env.frame].defaults.is_empty() {
                    self.defaults_version += 1;
                }
                self.frames[env.frame].defaults.push((ty, attrs));
                Value::Undef
            }
            ExprKind::ResourceOverride { target, attrs, .. } => {
                let t = self.eval(target, env);
                let mut refs = Vec::new();
                collect_refs(&t, &mut refs);
                let attrs = self.eval_attrs(attrs, env, AttrOrigin::Override, true);
                self.overrides.push(PendingOverride {
                    refs,
                    attrs,
                    file: env.file.clone(),
                    span: e.span,
                });
                Value::Undef
            }
            ExprKind::Collector {
                type_ref,
                query,
                exported,
                overrides,
            } => {
                let idx = self.eval_collector(
                    e.span,
                    type_ref,
                    query.as_deref(),
                    *exported,
                    overrides.as_deref(),
                    env,
                );
                let _ = idx;
                Value::unknown("collector")
            }
            ExprKind::ClassDef(_)
            | ExprKind::DefineDef(_)
            | ExprKind::NodeDef(_)
            | ExprKind::FunctionDef(_)
            | ExprKind::TypeAlias(_)
            | ExprKind::TypeDef(_)
            | ExprKind::PlanDef(_) => Value::Undef,
            ExprKind::Apply(_) | ExprKind::Error => Value::unknown("error"),
        }
    }

    pub(super) fn unknown_expr(&self, e: &Expr, env: &Env) -> Value {
        let t = src(self.text(&env.file), e.span);
        Value::unknown(t.trim_start_matches('$').to_string())
    }

    pub(super) fn eval_binary(
        &mut self,
        e: &'a Expr,
        op: BinaryOp,
        lhs: &'a Expr,
        rhs: &'a Expr,
        env: &Env,
    ) -> Value {
        // Short-circuit logic first.
        if matches!(op, BinaryOp::And | BinaryOp::Or) {
            let l = self.eval(lhs, env).truthy();
            if op == BinaryOp::And && l == Some(false) {
                return Value::Bool(false);
            }
            if op == BinaryOp::Or && l == Some(true) {
                return Value::Bool(true);
            }
            let r = self.eval(rhs, env).truthy();
            return match (l, r) {
                (Some(a), Some(b)) => {
                    Value::Bool(if op == BinaryOp::And { a && b } else { a || b })
                }
                (_, Some(false)) if op == BinaryOp::And => Value::Bool(false),
                (_, Some(true)) if op == BinaryOp::Or => Value::Bool(true),
                _ => self.unknown_expr(e, env),
            };
        }
        let l = self.eval(lhs, env);
        let r = self.eval(rhs, env);
        let unknown = |s: &Self| s.unknown_expr(e, env);
        match op {
            BinaryOp::Eq | BinaryOp::Ne => match l.known_eq(&r) {
                Some(b) => Value::Bool(if op == BinaryOp::Eq { b } else { !b }),
                None => unknown(self),
            },
            BinaryOp::In => match (&l, &r) {
                (Value::Str(a), Value::Str(b)) => {
                    Value::Bool(b.to_lowercase().contains(&a.to_lowercase()))
                }
                (_, Value::Array(items)) if l.is_known() && r.is_known() => {
                    Value::Bool(items.iter().any(|x| l.known_eq(x) == Some(true)))
                }
                (_, Value::Hash(h)) if l.is_known() && r.is_known() => {
                    Value::Bool(h.iter().any(|(k, _)| l.known_eq(k) == Some(true)))
                }
                _ => unknown(self),
            },
            BinaryOp::Add => match (l, r) {
                (Value::Int(a), Value::Int(b)) => Value::Int(a.wrapping_add(b)),
                (Value::Float(a), Value::Float(b)) => Value::Float(a + b),
                (Value::Array(mut a), Value::Array(b)) => {
                    Arc::make_mut(&mut a).extend(b.iter().cloned());
                    Value::Array(a).capped()
                }
                (Value::Array(mut a), v) if v.is_known() => {
                    Arc::make_mut(&mut a).push(v);
                    Value::Array(a).capped()
                }
                (Value::Hash(a), Value::Hash(b)) => {
                    call_pure("merge", &[Value::Hash(a), Value::Hash(b)])
                        .unwrap_or_else(|| unknown(self))
                }
                _ => unknown(self),
            },
            BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div | BinaryOp::Mod => match (l, r) {
                (Value::Int(a), Value::Int(b)) => match op {
                    BinaryOp::Sub => Value::Int(a.wrapping_sub(b)),
                    BinaryOp::Mul => Value::Int(a.wrapping_mul(b)),
                    BinaryOp::Div if b != 0 => Value::Int(a.wrapping_div(b)),
                    BinaryOp::Mod if b != 0 => Value::Int(a.wrapping_rem(b)),
                    _ => unknown(self),
                },
                (Value::Array(a), Value::Array(b)) if op == BinaryOp::Sub => {
                    Value::array(a.iter().filter(|x| !b.contains(x)).cloned().collect())
                }
                _ => unknown(self),
            },
            BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge => {
                let ord = match (&l, &r) {
                    (Value::Int(a), Value::Int(b)) => a.partial_cmp(b),
                    (Value::Float(a), Value::Float(b)) => a.partial_cmp(b),
                    (Value::Int(a), Value::Float(b)) => (*a as f64).partial_cmp(b),
                    (Value::Float(a), Value::Int(b)) => a.partial_cmp(&(*b as f64)),
                    _ => None,
                };
                match ord {
                    Some(o) => Value::Bool(match op {
                        BinaryOp::Lt => o.is_lt(),
                        BinaryOp::Le => o.is_le(),
                        BinaryOp::Gt => o.is_gt(),
                        _ => o.is_ge(),
                    }),
                    None => unknown(self),
                }
            }
            // No regex engine: matches stay unknown (never a guessed answer).
            _ => unknown(self),
        }
    }

    /// Does a case/selector option match the subject? `None`: cannot tell.
    pub(super) fn case_match(&mut self, subj: &Value, opt: &'a Expr, env: &Env) -> Option<bool> {
        let v = self.eval(opt, env);
        match &v {
            Value::Default => Some(true),
            // No regex engine and no type system: never guessed.
            Value::Regex(_) | Value::Type(_) => None,
            Value::Array(items) if !matches!(subj, Value::Array(_)) => {
                let mut res = Some(false);
                for i in items.iter() {
                    match subj.known_eq(i) {
                        Some(true) => return Some(true),
                        None => res = None,
                        Some(false) => {}
                    }
                }
                res
            }
            _ => subj.known_eq(&v),
        }
    }

    pub(super) fn eval_access(
        &mut self,
        e: &'a Expr,
        target: &'a Expr,
        args: &'a [Expr],
        env: &Env,
    ) -> Value {
        if let ExprKind::ClassRef(tn) = &target.kind {
            let lower = tn.trim_start_matches("::").to_ascii_lowercase();
            let is_ref = lower == "class"
                || lower == "resource"
                || BUILTIN_TYPES.contains(&lower.as_str())
                || self.is_define(&lower)
                || (!DATA_TYPES.contains(&lower.as_str()) && !lower.contains("::"));
            if !is_ref {
                return Value::Type((src(self.text(&env.file), e.span)).into());
            }
            let mut vals: Vec<Value> = args.iter().map(|a| self.eval(a, env)).collect();
            let ty = if lower == "resource" && !vals.is_empty() {
                match vals.remove(0) {
                    Value::Str(s) | Value::Type(s) => {
                        s.trim_start_matches("::").to_ascii_lowercase()
                    }
                    _ => return self.unknown_expr(e, env),
                }
            } else {
                lower
            };
            // `Service[$names]` where `$names` is a list set in branches (`['x']` or `[]`):
            // one reference per alternative, not one titled "one of (…)". Alternative
            // titles (`File[$path]`, `$path` set by a `case`) stay one reference, which the
            // relationships resolve.
            if let [Value::OneOf(alts)] = vals.as_slice() {
                if alts.iter().any(|a| matches!(a, Value::Array(_))) {
                    let alts = alts
                        .iter()
                        .map(|a| resource_refs(&ty, vec![a.clone()]))
                        .collect();
                    return Value::OneOf(alts).capped();
                }
            }
            return resource_refs(&ty, vals);
        }
        let t = self.eval(target, env);
        let idx: Vec<Value> = args.iter().map(|a| self.eval(a, env)).collect();
        match (&t, idx.as_slice()) {
            (Value::Hash(_), [k]) if k.is_known() => match &t {
                Value::Hash(h) => h
                    .iter()
                    .find(|(k2, _)| k2.known_eq(k) == Some(true))
                    .map(|(_, v)| v.clone())
                    .unwrap_or(if t.is_known() {
                        Value::Undef
                    } else {
                        self.unknown_expr(e, env)
                    }),
                _ => Value::Undef,
            },
            (Value::Array(a), [Value::Int(i)]) => {
                let i = if *i < 0 { a.len() as i64 + i } else { *i };
                a.get(i as usize).cloned().unwrap_or(Value::Undef)
            }
            (Value::Str(s), [Value::Int(i)]) if *i >= 0 => s
                .chars()
                .nth(*i as usize)
                .map(|c| Value::str(c.to_string()))
                .unwrap_or(Value::Undef),
            _ => self.unknown_expr(e, env),
        }
    }

    // ----- relationships and collectors -----

    /// Evaluate one side of a chain: declarations, references, collectors, chains.
    pub(super) fn eval_endpoints(&mut self, e: &'a Expr, env: &Env) -> Vec<Endpoint> {
        match &e.kind {
            ExprKind::Relationship { op, lhs, rhs } => {
                let l = self.eval_endpoints(lhs, env);
                let r = self.eval_endpoints(rhs, env);
                let (from, to) = match op {
                    RelOp::Before | RelOp::Notify => (l, r.clone()),
                    RelOp::Require | RelOp::Subscribe => (r.clone(), l),
                };
                self.rels.push(PendingRel {
                    from,
                    to,
                    refresh: op.refreshes(),
                    file: env.file.clone(),
                    span: e.span,
                    via: EdgeVia::Chain(*op),
                    guard: env.guard.clone(),
                });
                r
            }
            ExprKind::Resource {
                form,
                type_expr,
                bodies,
            } => self
                .eval_resource(*form, type_expr, bodies, env)
                .into_iter()
                .map(Endpoint::Res)
                .collect(),
            ExprKind::Collector {
                type_ref,
                query,
                exported,
                overrides,
            } => {
                vec![Endpoint::Collector(self.eval_collector(
                    e.span,
                    type_ref,
                    query.as_deref(),
                    *exported,
                    overrides.as_deref(),
                    env,
                ))]
            }
            ExprKind::Paren(x) => self.eval_endpoints(x, env),
            _ => {
                let v = self.eval(e, env);
                let mut refs = Vec::new();
                collect_refs(&v, &mut refs);
                refs.into_iter()
                    .map(|(ty, title)| Endpoint::Ref { ty, title })
                    .collect()
            }
        }
    }

    /// Record the collector at `span` (in [`Model::collectors`](super::super::Model), once
    /// per place) and keep it for resolution; its index in the pending collectors.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn eval_collector(
        &mut self,
        span: Span,
        type_ref: &'a Expr,
        query: Option<&'a Expr>,
        exported: bool,
        overrides: Option<&'a [AttrOp]>,
        env: &Env,
    ) -> usize {
        let ty = type_name(type_ref);
        if self.collector_sites.insert((env.file.clone(), span)) {
            self.model.collectors.push(CollectorSite {
                ty: SmolStr::new(&ty),
                exported,
                file: env.file.clone(),
                span,
            });
        }
        let q = match query {
            Some(q) => self.eval_query(q, env),
            None => Query::All,
        };
        let overrides = match overrides {
            Some(o) => self.eval_attrs(o, env, AttrOrigin::Override, true),
            None => Vec::new(),
        };
        self.collectors.push(Collector {
            ty,
            query: q,
            exported,
            overrides,
        });
        self.collectors.len() - 1
    }

    pub(super) fn eval_query(&mut self, q: &'a Expr, env: &Env) -> Query {
        match &q.kind {
            ExprKind::Paren(x) => self.eval_query(x, env),
            ExprKind::Binary { op, lhs, rhs } => match op {
                BinaryOp::And => Query::And(
                    Box::new(self.eval_query(lhs, env)),
                    Box::new(self.eval_query(rhs, env)),
                ),
                BinaryOp::Or => Query::Or(
                    Box::new(self.eval_query(lhs, env)),
                    Box::new(self.eval_query(rhs, env)),
                ),
                BinaryOp::Eq | BinaryOp::Ne => {
                    let attr = match &lhs.kind {
                        ExprKind::Name(n) | ExprKind::Word(n) => n.clone(),
                        _ => return Query::Unknown,
                    };
                    let v = self.eval(rhs, env);
                    if *op == BinaryOp::Eq {
                        Query::Eq(attr.to_string(), v)
                    } else {
                        Query::Ne(attr.to_string(), v)
                    }
                }
                _ => Query::Unknown,
            },
            _ => Query::Unknown,
        }
    }
}

/// `Type[t1, t2]`: one reference per title (arrays flattened); one reference alone.
fn resource_refs(ty: &str, vals: Vec<Value>) -> Value {
    let mut titles = Vec::new();
    for v in vals {
        v.flatten_into(&mut titles);
    }
    let refs: Vec<Value> = titles
        .into_iter()
        .map(|t| {
            let t = match (ty, t) {
                ("class", Value::Str(s) | Value::Type(s)) => {
                    Value::Str((normalize_key("class", &s)).into())
                }
                (_, t) => t,
            };
            Value::Ref {
                ty: SmolStr::new(ty),
                title: Box::new(t),
            }
        })
        .collect();
    if refs.len() == 1 {
        refs.into_iter().next().unwrap_or(Value::Undef).capped()
    } else {
        Value::array(refs).capped()
    }
}

pub(super) fn type_name(e: &Expr) -> String {
    match &e.kind {
        ExprKind::ClassRef(n) | ExprKind::Name(n) => {
            n.trim_start_matches("::").to_ascii_lowercase()
        }
        _ => String::new(),
    }
}

fn endpoints_value(eps: &[Endpoint]) -> Value {
    let _ = eps;
    Value::unknown("resource expression")
}

/// Whether a block stops the compilation: a `fail(…)` among its statements.
fn fails(b: &Block) -> bool {
    b.statements.iter().any(|st| match &st.kind {
        ExprKind::Call { func, .. } => {
            matches!(&func.kind, ExprKind::Name(n) if n.as_str() == "fail")
        }
        _ => false,
    })
}

/// The local variables a condition tests (`$x` in `!$x`, `$x == undef`, `empty($x)`);
/// qualified names, facts and `$trusted` belong to other scopes and are left alone.
fn guarded_variables(cond: &Expr) -> Vec<SmolStr> {
    let mut out: Vec<SmolStr> = Vec::new();
    super::for_each_expr(cond, &mut |e| {
        if let ExprKind::Variable(n) = &e.kind {
            let local = !n.contains("::") && !matches!(n.as_str(), "facts" | "trusted");
            if local && !out.contains(n) {
                out.push(n.clone());
            }
        }
    });
    out
}

#[cfg(test)]
pub(super) mod tests {
    pub(in crate::model::eval) fn file_titles(pp: &str) -> Vec<String> {
        let m = crate::model::testing::model_of(pp);
        m.resources
            .iter()
            .filter(|r| r.ty == "file")
            .map(|r| match r.title.as_str() {
                Some(t) => t.to_string(),
                None => r.title.to_string(),
            })
            .collect()
    }

    #[test]
    fn a_fail_guard_makes_its_placeholder_unknown() {
        // Judged with `undef`, the path would be `/etc/.conf` (and `/opt/bin/m`); no real
        // compilation gets past the `fail` with that value.
        for guard in [
            "if !$x { fail('x is required') }",
            "unless $x { fail('x is required') }",
            "if $x == undef { fail('x is required') }",
            "if empty($x) { fail('x is required') }",
        ] {
            let pp = format!(
                "class c($x = undef) {{\n  {guard}\n  file {{ \"/etc/${{x}}.conf\": ensure => file }}\n}}\n"
            );
            let titles = file_titles(&pp);
            assert_eq!(titles.len(), 1, "{guard}");
            assert!(!titles[0].contains("/etc/.conf"), "{guard}: {titles:?}");
        }
        // A value the declaration passed is kept, even where the guard fires (Puppet 4+
        // takes '' as true: this compilation really fails, and the tool does not guess).
        let titles = file_titles(
            "define d($a = '', $b = '') {\n  if ($a and $b) { fail('not both') }\n  file { \"/etc/${a}.conf\": ensure => file }\n}\nd { 'x': a => 'one' }\n",
        );
        assert_eq!(titles, vec!["/etc/one.conf".to_string()]);
        // No fail: the default stays.
        let titles = file_titles(
            "class c($x = 'main') {\n  if !$x { notice('none') }\n  file { \"/etc/${x}.conf\": ensure => file }\n}\n",
        );
        assert_eq!(titles, vec!["/etc/main.conf".to_string()]);
    }
}
