//! Function calls: class declaration functions, `realize`, `ensure_resource(s)`,
//! `ensure_packages`, `create_resources`, module files (`template`, `epp`, `file`,
//! `find_file`), hiera lookups, iteration with lambdas, and the pure functions of
//! [`super::super::functions`].

use super::super::functions::call_pure;
use super::super::layout::{self, resolve_module_path};
use super::super::value::{FileRef, Value};
use super::super::{Attr, AttrOrigin, CreateResourcesCall, Origin};
use super::{collect_refs, src, ClassHow, Env, Ev};
use crate::ast::{Expr, Lambda, ResourceForm, SmolStr};

/// Upper bound on iterations of `each`/`map` over one collection.
const MAX_ITER: usize = 10_000;

impl<'a> Ev<'a> {
    // ----- functions -----

    pub(super) fn call(
        &mut self,
        e: &'a Expr,
        name: &str,
        args: &'a [Expr],
        receiver: Option<&'a Expr>,
        lambda: Option<&'a Lambda>,
        env: &Env,
    ) -> Value {
        let mut vals: Vec<Value> = Vec::with_capacity(args.len() + 1);
        if let Some(r) = receiver {
            vals.push(self.eval(r, env));
        }
        for a in args {
            vals.push(self.eval(a, env));
        }
        let name = name.trim_start_matches("::");
        match name {
            "include" | "contain" | "require" | "require_package" => {
                let how = match name {
                    "contain" => ClassHow::Contain,
                    "require" => ClassHow::Require,
                    _ => ClassHow::Include,
                };
                if name == "require_package" {
                    // WMF: a hidden class holding `package { p: ensure => present }`.
                    for v in &vals {
                        for n in names_of(v) {
                            self.ensure_resource(
                                "package",
                                Value::Str(n.into()),
                                vec![("ensure", Value::str("present"))],
                                e.span,
                                env,
                            );
                        }
                    }
                    return Value::Undef;
                }
                for v in &vals {
                    for n in names_of(v) {
                        self.declare_class(&n, None, how, env, e.span);
                    }
                }
                Value::Undef
            }
            "realize" => {
                let mut refs = Vec::new();
                for v in &vals {
                    collect_refs(v, &mut refs);
                }
                for (ty, title) in refs {
                    self.realize.push((ty, title, env.file.clone(), e.span));
                }
                Value::Undef
            }
            "ensure_resource" | "ensure_resources" => {
                let ty = match vals.first() {
                    Some(Value::Str(s) | Value::Type(s)) => {
                        s.trim_start_matches("::").to_ascii_lowercase()
                    }
                    _ => return Value::Undef,
                };
                let params: Vec<(String, Value)> = match vals.get(2) {
                    Some(Value::Hash(h)) => h
                        .iter()
                        .filter_map(|(k, v)| Some((k.as_str()?.to_string(), v.clone())))
                        .collect(),
                    _ => Vec::new(),
                };
                if name == "ensure_resources" {
                    if let Some(Value::Hash(h)) = vals.get(1) {
                        for (t, attrs) in h.iter().cloned() {
                            let mut ps = params.clone();
                            if let Value::Hash(a) = attrs {
                                for (k, v) in a.iter().cloned() {
                                    if let Some(k) = k.as_str() {
                                        ps.retain(|(n, _)| n != k);
                                        ps.push((k.to_string(), v));
                                    }
                                }
                            }
                            let ps: Vec<(&str, Value)> =
                                ps.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
                            self.ensure_resource(&ty, t, ps, e.span, env);
                        }
                    }
                    return Value::Undef;
                }
                let mut titles = Vec::new();
                if let Some(t) = vals.get(1) {
                    t.flatten_into(&mut titles);
                }
                for t in titles {
                    let ps: Vec<(&str, Value)> = params
                        .iter()
                        .map(|(k, v)| (k.as_str(), v.clone()))
                        .collect();
                    self.ensure_resource(&ty, t, ps, e.span, env);
                }
                Value::Undef
            }
            "ensure_packages" => {
                let defaults: Vec<(String, Value)> = match vals.get(1) {
                    Some(Value::Hash(h)) => h
                        .iter()
                        .filter_map(|(k, v)| Some((k.as_str()?.to_string(), v.clone())))
                        .collect(),
                    _ => Vec::new(),
                };
                let mut items: Vec<(Value, Vec<(String, Value)>)> = Vec::new();
                match vals.first() {
                    Some(Value::Hash(h)) => {
                        for (t, a) in h.iter() {
                            let mut ps = defaults.clone();
                            if let Value::Hash(a) = a {
                                for (k, v) in a.iter() {
                                    if let Some(k) = k.as_str() {
                                        ps.retain(|(n, _)| n != k);
                                        ps.push((k.to_string(), v.clone()));
                                    }
                                }
                            }
                            items.push((t.clone(), ps));
                        }
                    }
                    Some(v) => {
                        let mut ts = Vec::new();
                        v.flatten_into(&mut ts);
                        for t in ts {
                            items.push((t, defaults.clone()));
                        }
                    }
                    None => {}
                }
                for (t, mut ps) in items {
                    if !ps.iter().any(|(k, _)| k == "ensure") {
                        ps.insert(0, ("ensure".into(), Value::str("installed")));
                    }
                    let ps: Vec<(&str, Value)> =
                        ps.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
                    self.ensure_resource("package", t, ps, e.span, env);
                }
                Value::Undef
            }
            "create_resources" => {
                let ty = match vals.first() {
                    Some(Value::Str(s) | Value::Type(s)) => {
                        Some(s.trim_start_matches("::").to_ascii_lowercase())
                    }
                    _ => None,
                };
                self.model.create_resources.push(CreateResourcesCall {
                    ty: ty.as_deref().map(SmolStr::new),
                    file: env.file.clone(),
                    span: e.span,
                    guard: env.guard.clone(),
                });
                let Some(ty) = ty else {
                    return Value::Undef;
                };
                let defaults: Vec<(Value, Value)> = match vals.get(2) {
                    Some(Value::Hash(h)) => h.to_vec(),
                    _ => Vec::new(),
                };
                match vals.get(1) {
                    Some(Value::Hash(h)) => {
                        for (title, attrs) in h.iter().cloned() {
                            let mut merged = defaults.clone();
                            if let Value::Hash(a) = attrs {
                                for (k, v) in a.iter().cloned() {
                                    merged.retain(|(k2, _)| *k2 != k);
                                    merged.push((k, v));
                                }
                            }
                            let attrs: Vec<Attr> = merged
                                .into_iter()
                                .filter(|(_, v)| !v.is_undef())
                                .filter_map(|(k, v)| {
                                    Some(Attr {
                                        name: (k.as_str()?.to_string()).into(),
                                        value: v,
                                        file: env.file.clone(),
                                        name_span: e.span,
                                        value_span: e.span,
                                        origin: AttrOrigin::Declared,
                                    })
                                })
                                .collect();
                            self.declare_one(
                                &ty,
                                title,
                                e.span,
                                e.span,
                                attrs,
                                ResourceForm::Regular,
                                Origin::CreateResources,
                                env,
                            );
                        }
                    }
                    Some(v) if !v.is_known() => {
                        self.note(env, e.span, format!("create_resources('{ty}', …) over data that is not known statically"));
                    }
                    _ => {}
                }
                Value::Undef
            }
            "find_file" => self.find_file(&vals),
            "template" | "epp" | "file" => {
                let refs: Vec<FileRef> = vals
                    .iter()
                    .take(if name == "epp" { 1 } else { vals.len() })
                    .map(|spec| self.resolve_file_ref(name, spec))
                    .collect();
                Value::Content(refs)
            }
            "lookup" | "hiera" | "hiera_array" | "hiera_hash" | "hiera_include" => {
                let key = vals.first().and_then(|v| v.as_str()).map(str::to_string);
                let found = key
                    .as_deref()
                    .and_then(|k| self.model.hiera.lookup(k))
                    .map(|(v, _)| v.clone());
                match found {
                    Some(v) => v,
                    None => {
                        // lookup(key, type, merge, default) / hiera(key, default)
                        let default = if name == "lookup" {
                            vals.get(3)
                        } else {
                            vals.get(1)
                        };
                        match default {
                            Some(d) => d.clone(),
                            None => {
                                Value::unknown(format!("lookup('{}')", key.unwrap_or_default()))
                            }
                        }
                    }
                }
            }
            "defined" => Value::unknown(src(self.text(&env.file), e.span)),
            "fail" | "warning" | "notice" | "info" | "debug" | "err" | "alert" | "crit"
            | "emerg" | "assert_type" | "validate_legacy" | "deprecation" => Value::Undef,
            n if n.starts_with("validate_") => Value::Undef,
            "String" => match vals.first() {
                Some(v) => v
                    .to_text()
                    .map(Value::str)
                    .unwrap_or_else(|| self.unknown_expr(e, env)),
                None => Value::Undef,
            },
            "Integer" => match vals.first() {
                Some(Value::Int(i)) => Value::Int(*i),
                Some(Value::Str(s)) => s
                    .trim()
                    .parse()
                    .map(Value::Int)
                    .unwrap_or_else(|_| self.unknown_expr(e, env)),
                _ => self.unknown_expr(e, env),
            },
            "each" | "map" | "filter" | "with" | "then" | "reduce" | "lest" | "slice"
            | "each_with_index" => match lambda {
                Some(l) => self.iterate(e, name, &vals, l, env),
                None => self.unknown_expr(e, env),
            },
            _ => {
                if let Some(v) = call_pure(name, &vals) {
                    return v;
                }
                // A custom function: unknown. Still walk its lambda once so resources
                // declared inside are seen (with unknown parameters).
                if let Some(l) = lambda {
                    self.call_lambda_unknown(l, env);
                }
                self.unknown_expr(e, env)
            }
        }
    }

    pub(super) fn iterate(
        &mut self,
        e: &'a Expr,
        name: &str,
        vals: &[Value],
        l: &'a Lambda,
        env: &Env,
    ) -> Value {
        let coll = vals.first().cloned().unwrap_or(Value::Undef);
        let nparams = l.params.len();
        let items: Option<Vec<Vec<Value>>> = match (&coll, name) {
            (_, "with") => Some(vec![vals.to_vec()]),
            (_, "then") if !coll.is_undef() && coll.is_known() => Some(vec![vec![coll.clone()]]),
            (Value::Array(a), _) if name != "reduce" => Some(
                a.iter()
                    .take(MAX_ITER)
                    .enumerate()
                    .map(|(i, v)| {
                        if nparams >= 2 {
                            vec![Value::Int(i as i64), v.clone()]
                        } else {
                            vec![v.clone()]
                        }
                    })
                    .collect(),
            ),
            (Value::Hash(h), _) if name != "reduce" => Some(
                h.iter()
                    .take(MAX_ITER)
                    .map(|(k, v)| {
                        if nparams >= 2 {
                            vec![k.clone(), v.clone()]
                        } else {
                            vec![Value::array(vec![k.clone(), v.clone()])]
                        }
                    })
                    .collect(),
            ),
            _ => None,
        };
        match items {
            Some(items) => {
                let mut results = Vec::new();
                let mut kept = Vec::new();
                for args in items {
                    let r = self.call_lambda(l, args.clone(), env);
                    if name == "filter" {
                        match r.truthy() {
                            Some(true) => kept.push(args.last().cloned().unwrap_or(Value::Undef)),
                            Some(false) => {}
                            None => return self.unknown_expr(e, env),
                        }
                    }
                    results.push(r);
                }
                match name {
                    "map" => Value::array(results),
                    "filter" => Value::array(kept),
                    "each" | "each_with_index" => coll,
                    _ => results.pop().unwrap_or(Value::Undef),
                }
            }
            None => {
                self.call_lambda_unknown(l, env);
                self.unknown_expr(e, env)
            }
        }
    }

    /// Walk a lambda once with every parameter unknown, so that the resources it declares
    /// are seen.
    fn call_lambda_unknown(&mut self, l: &'a Lambda, env: &Env) -> Value {
        let args = l
            .params
            .iter()
            .map(|p| Value::unknown(p.name.clone()))
            .collect();
        self.call_lambda(l, args, env)
    }

    pub(super) fn call_lambda(&mut self, l: &'a Lambda, args: Vec<Value>, env: &Env) -> Value {
        let scope = self.new_scope(Some(env.scope));
        for (i, p) in l.params.iter().enumerate() {
            let v = args.get(i).cloned().unwrap_or(Value::Undef);
            self.vars[scope].vars.insert(p.name.clone(), v);
        }
        let mut e = env.clone();
        e.scope = scope;
        let v = self.exec_block(&l.body, &e);
        self.end_scope(scope);
        v
    }

    /// `m/t` spec forms of every module template (or file) with its repository path,
    /// computed once per model (see [`layout::module_file_specs`]).
    pub(super) fn module_file_specs(&self, dir: &str) -> &[(String, String)] {
        let cell = if dir == "files" {
            &self.file_specs
        } else {
            &self.template_specs
        };
        cell.get_or_init(|| {
            layout::module_file_specs(
                self.tree,
                &self.model.modulepath,
                self.model.root_module.as_deref(),
                dir,
            )
        })
    }

    /// `find_file('m/f', …)`: the first module file that exists, else `undef`; the
    /// guard of optional files (`if find_file('m/x') { file { …: source => … } }`). Known
    /// only as far as the repository can tell: an absolute path (the server's file system),
    /// a symbolic argument or a module that is not in the repository makes it unknown.
    pub(super) fn find_file(&self, vals: &[Value]) -> Value {
        let mut specs = Vec::new();
        for v in vals {
            match v {
                Value::Array(items) => specs.extend(items.iter()),
                v => specs.push(v),
            }
        }
        let root = self.model.root_module.as_deref();
        for v in specs {
            let Some(spec) = v.as_str() else {
                return Value::unknown("find_file()");
            };
            let Some((m, _)) = spec.split_once('/').filter(|_| !spec.starts_with('/')) else {
                return Value::unknown("find_file()");
            };
            let in_repo = root == Some(m)
                || self
                    .model
                    .modulepath
                    .iter()
                    .any(|mp| layout::exists(self.tree, &format!("{mp}/{m}"), true));
            if !in_repo {
                return Value::unknown("find_file()");
            }
            let found =
                resolve_module_path(self.tree, &self.model.modulepath, root, spec, "files", true);
            if let Some(path) = found {
                return Value::str(path);
            }
        }
        Value::Undef
    }

    /// Resolve `template('m/t')`, `epp('m/t')`, `file('m/f')`: a known spec through the
    /// modulepath; a partly symbolic one by matching the repository's files (unique match).
    pub(super) fn resolve_file_ref(&mut self, func: &str, spec: &Value) -> FileRef {
        let dir = if func == "file" { "files" } else { "templates" };
        let (resolved, inferred) = match spec {
            Value::Str(s) => (
                resolve_module_path(
                    self.tree,
                    &self.model.modulepath,
                    self.model.root_module.as_deref(),
                    s,
                    dir,
                    false,
                )
                .or_else(|| self.templatedir(func, s)),
                false,
            ),
            Value::Symbolic(sym) => {
                let cands = self.module_file_specs(dir);
                let prefix = sym.known_prefix();
                let mut hits = cands
                    .iter()
                    .filter(|(spec, _)| spec.starts_with(prefix) && sym.could_be(spec));
                match (hits.next(), hits.next()) {
                    (Some((_, path)), None) => (Some(path.clone()), true),
                    _ => (None, false),
                }
            }
            _ => (None, false),
        };
        FileRef {
            func: func.to_string(),
            spec: Box::new(spec.clone()),
            resolved,
            inferred,
        }
    }
}

impl<'a> Ev<'a> {
    /// Puppet 3 looks a `template()` up in its `templatedir` too, kept in the repository
    /// as the root `templates/` (not in a module repository, whose root `templates/` is
    /// the module's). Taken when the repository is Puppet 3, or when nothing says which
    /// Puppet it is: then the template found there is the evidence (Puppet 4 removed
    /// `templatedir`, so the code works only on 3).
    fn templatedir(&mut self, func: &str, spec: &str) -> Option<String> {
        if func != "template" || self.model.root_module.is_some() || spec.starts_with('/') {
            return None;
        }
        let puppet = &self.model.puppet;
        if puppet.is_known() && puppet.major > 3 {
            return None;
        }
        let path = format!("templates/{spec}");
        if !layout::exists(self.tree, &path, false) {
            return None;
        }
        if !puppet.is_known() {
            self.model.puppet = super::super::PuppetVersion {
                major: 3,
                shown: super::super::version::OLD.into(),
                basis: super::super::VersionBasis::Templatedir {
                    spec: spec.to_string(),
                },
            };
        }
        Some(path)
    }
}

/// Class names given to include/contain/require: strings, arrays, `Class['x']`.
fn names_of(v: &Value) -> Vec<String> {
    let mut leaves = Vec::new();
    v.flatten_into(&mut leaves);
    leaves
        .into_iter()
        .filter_map(|l| match l {
            Value::Str(s) | Value::Type(s) => Some(s.to_string()),
            Value::Ref { ty, title } if ty == "class" => title.as_str().map(str::to_string),
            _ => None,
        })
        .collect()
}
