//! Building the catalogue: classes (declared once, parameters from the declaration, hiera
//! or defaults, nesting bounded by [`super::MAX_CLASS_NESTING`]), defined types (bounded
//! by [`ModelOptions::max_define_depth`](super::super::ModelOptions)), resources with
//! their attributes, resource defaults, `ensure_resource`.

use super::super::value::Value;
use super::super::{
    normalize_key, normalize_key_cow, normalize_key_smol, Attr, AttrOrigin, EdgeVia, GuardStep,
    Origin, ResId, Resource, Scope, UnresolvedRef,
};
use super::{
    collect_refs, ClassHow, ClassState, DeferredClass, DefineDef, Endpoint, Env, Ev, PendingRel,
    MAX_CLASS_NESTING,
};
use crate::ast::SmolStr;
use crate::ast::{AttrOp, AttrOperator, Expr, ExprKind, ResourceBody, ResourceForm, Span};

const METAPARAMS: [&str; 4] = ["require", "before", "notify", "subscribe"];

impl<'a> Ev<'a> {
    // ----- classes -----

    pub(super) fn declare_class(
        &mut self,
        name: &str,
        params: Option<Vec<Attr>>,
        how: ClassHow,
        env: &Env,
        span: Span,
    ) -> Option<ResId> {
        let name = normalize_key("class", name);
        let Some(def) = self.class_defs.get(&name).copied() else {
            if name != "settings" && !name.is_empty() {
                self.model.unresolved_classes.push(UnresolvedRef {
                    ty: "class".into(),
                    title: name.clone(),
                    file: env.file.clone(),
                    span,
                    guard: env.guard.clone(),
                });
            }
            return None;
        };
        if let Some(st) = self.class_state.get(&name).copied() {
            let res = match st {
                ClassState::Done { res, .. } | ClassState::Evaluating { res, .. } => res,
            };
            self.after_class_declared(res, how, env, span);
            return Some(res);
        }
        // Parent class first (its scope is the child's parent scope).
        let parent_scope = match def.parent {
            Some(p) => {
                let p = normalize_key("class", p);
                // A chain of `inherits` nests like a chain of includes.
                self.class_depth += 1;
                self.declare_class(&p, None, ClassHow::Inherit, env, span);
                self.class_depth -= 1;
                match self.class_state.get(&p) {
                    Some(ClassState::Done { scope, .. } | ClassState::Evaluating { scope, .. }) => {
                        *scope
                    }
                    None => 0,
                }
            }
            None => 0,
        };
        let given = params.unwrap_or_default();
        let (file, decl_span) =
            if how == ClassHow::Undeclared || how == ClassHow::Lookup || span == Span::default() {
                let d = &self.model.classes[&name];
                (d.file.clone(), d.span)
            } else {
                (env.file.clone(), span)
            };
        let res = self.push_resource(Resource {
            ty: "class".into(),
            title: Value::Str(SmolStr::new(&name)),
            file,
            span: decl_span,
            title_span: decl_span,
            attrs: given.clone(),
            scope: env.kind.clone(),
            guard: if how == ClassHow::Undeclared {
                Box::default()
            } else {
                env.guard.as_slice().into()
            },
            form: ResourceForm::Regular,
            realized: false,
            container: if how == ClassHow::Contain {
                env.container
            } else {
                None
            },
            define_chain: Box::default(),
            origin: if matches!(how, ClassHow::Undeclared | ClassHow::Lookup) {
                Origin::Undeclared
            } else {
                Origin::Declared
            },
            module: env.module.clone(),
        });
        let scope = self.new_scope(Some(parent_scope));
        self.class_state
            .insert(name.clone(), ClassState::Evaluating { res, scope });
        self.relations_from_attrs(res, &given, env);
        let module = name.split("::").next().map(SmolStr::new);
        let cenv = Env {
            file: def.file.clone(),
            scope,
            frame: self.new_frame(Some(env.frame)),
            guard: Vec::new(),
            container: Some(res),
            define_chain: Vec::new(),
            kind: std::sync::Arc::new(Scope::Class(SmolStr::new(&name))),
            module: module.clone(),
            define_stack: env.define_stack.clone(),
        };
        for (k, v) in [("title", &name), ("name", &name)] {
            self.vars[scope]
                .vars
                .insert(k.into(), Value::Str(SmolStr::new(v)));
        }
        if let Some(m) = &module {
            self.vars[scope]
                .vars
                .insert("module_name".into(), Value::Str(SmolStr::new(m)));
        }
        self.vars[scope].vars.insert(
            "caller_module_name".into(),
            env.module.clone().map(Value::str).unwrap_or(Value::Undef),
        );
        // In order: a default may name the parameters to its left (a scope holding them).
        for p in def.params {
            let v = if let Some(v) = given_value(&given, &p.name) {
                v
            } else if let Some((v, _)) = self.model.hiera.lookup(&format!("{name}::{}", p.name)) {
                v.clone()
            } else if let Some(d) = &p.default {
                match self.eval(d, &cenv) {
                    // A boolean flag left at its default may be set by hiera outside the
                    // repository: keep both values so both branches stay visible.
                    Value::Bool(b) if self.opts.open_flags => {
                        Value::OneOf(vec![Value::Bool(b), Value::Bool(!b)])
                    }
                    v => v,
                }
            } else {
                Value::unknown(format!("{name}::{}", p.name))
            };
            self.vars[scope].vars.insert(p.name.clone(), v);
        }
        if self.class_depth >= MAX_CLASS_NESTING {
            if !self.deferred_noted {
                self.deferred_noted = true;
                self.note(
                    env,
                    span,
                    format!(
                        "classes are declared more than {MAX_CLASS_NESTING} deep here: class \
                         {name} is evaluated after its declarer instead of inside it"
                    ),
                );
            }
            self.deferred.push(DeferredClass {
                name,
                body: def.body,
                env: cenv,
                res,
                scope,
            });
            self.after_class_declared(res, how, env, span);
            return Some(res);
        }
        self.class_depth += 1;
        {
            let _reading = crate::isolate::reading(def.file);
            self.exec_block(def.body, &cenv);
        }
        self.class_depth -= 1;
        self.end_frame(cenv.frame);
        self.class_state
            .insert(name, ClassState::Done { res, scope });
        self.after_class_declared(res, how, env, span);
        Some(res)
    }

    /// Evaluate the class bodies [`MAX_CLASS_NESTING`] put off, in the order they were
    /// declared (each may put off more; the loop runs until none is left).
    pub(super) fn run_deferred(&mut self) {
        if self.class_depth > 0 {
            return;
        }
        let mut next = 0;
        while next < self.deferred.len() {
            let (name, body, env, res, scope) = {
                let d = &self.deferred[next];
                (d.name.clone(), d.body, d.env.clone(), d.res, d.scope)
            };
            next += 1;
            self.class_depth += 1;
            self.exec_block(body, &env);
            self.class_depth -= 1;
            self.end_frame(env.frame);
            self.class_state
                .insert(name, ClassState::Done { res, scope });
        }
        self.deferred.clear();
    }

    pub(super) fn after_class_declared(
        &mut self,
        res: ResId,
        how: ClassHow,
        env: &Env,
        span: Span,
    ) {
        match how {
            ClassHow::Contain => {
                if let Some(c) = env.container {
                    if c != res
                        && self.model.resources[res].container.is_none()
                        && !self.contains(res, c)
                    {
                        self.model.resources[res].container = Some(c);
                    }
                }
            }
            ClassHow::Require => {
                if let Some(c) = env.container {
                    self.rels.push(PendingRel {
                        from: vec![Endpoint::Res(res)],
                        to: vec![Endpoint::Res(c)],
                        refresh: false,
                        file: env.file.clone(),
                        span,
                        via: EdgeVia::RequireFunction,
                        guard: env.guard.clone(),
                    });
                }
            }
            _ => {}
        }
    }

    /// Whether `outer` is (transitively) contained in `inner` (to avoid containment cycles).
    pub(super) fn contains(&self, outer: ResId, inner: ResId) -> bool {
        let mut c = Some(inner);
        while let Some(x) = c {
            if x == outer {
                return true;
            }
            c = self.model.resources[x].container;
        }
        false
    }

    // ----- resources -----

    pub(super) fn push_resource(&mut self, r: Resource) -> ResId {
        let id = self.model.resources.len();
        for k in resource_keys(&r) {
            self.model.by_key.push(&r.ty, k, id);
        }
        self.model.resources.push(r);
        id
    }

    pub(super) fn eval_attrs(
        &mut self,
        attrs: &'a [AttrOp],
        env: &Env,
        origin: AttrOrigin,
        keep_undef: bool,
    ) -> Vec<(Attr, bool)> {
        let mut out = Vec::with_capacity(attrs.len());
        for a in attrs {
            let v = self.eval(&a.value, env);
            if a.is_splat() {
                if let Value::Hash(h) = v {
                    for (k, v) in crate::model::value::owned(h) {
                        if let Some(k) = k.as_str() {
                            if keep_undef || !v.is_undef() {
                                out.push((
                                    Attr {
                                        name: SmolStr::new(k),
                                        value: v,
                                        file: env.file.clone(),
                                        name_span: a.name_span,
                                        value_span: a.value.span,
                                        origin,
                                    },
                                    false,
                                ));
                            }
                        }
                    }
                } else if !v.is_undef() {
                    self.note(
                        env,
                        a.span,
                        format!("attributes splat over a value not known statically: {v}"),
                    );
                }
                continue;
            }
            if !keep_undef && v.is_undef() {
                continue;
            }
            out.push((
                Attr {
                    name: a.name.clone(),
                    value: v,
                    file: env.file.clone(),
                    name_span: a.name_span,
                    value_span: a.value.span,
                    origin,
                },
                a.op == AttrOperator::Append,
            ));
        }
        out
    }

    pub(super) fn eval_resource(
        &mut self,
        form: ResourceForm,
        type_expr: &'a Expr,
        bodies: &'a [ResourceBody],
        env: &Env,
    ) -> Vec<ResId> {
        let ty = match &type_expr.kind {
            ExprKind::Name(n) | ExprKind::ClassRef(n) => {
                n.trim_start_matches("::").to_ascii_lowercase()
            }
            _ => match self.eval(type_expr, env) {
                Value::Str(s) | Value::Type(s) => s.trim_start_matches("::").to_ascii_lowercase(),
                v => {
                    self.note(
                        env,
                        type_expr.span,
                        format!("resource type not known statically: {v}"),
                    );
                    return Vec::new();
                }
            },
        };
        // A `default:` body gives attributes to the other bodies.
        let mut body_defaults: Vec<Attr> = Vec::new();
        for b in bodies {
            if matches!(b.title.kind, ExprKind::Default) {
                body_defaults = self
                    .eval_attrs(&b.attrs, env, AttrOrigin::Default, false)
                    .into_iter()
                    .map(|(a, _)| a)
                    .collect();
            }
        }
        let mut ids = Vec::new();
        for b in bodies {
            if matches!(b.title.kind, ExprKind::Default) {
                continue;
            }
            let title = self.eval(&b.title, env);
            let mut attrs: Vec<Attr> = self
                .eval_attrs(&b.attrs, env, AttrOrigin::Declared, false)
                .into_iter()
                .map(|(a, _)| a)
                .collect();
            for d in &body_defaults {
                if !attrs.iter().any(|a| a.name == d.name) {
                    attrs.push(d.clone());
                }
            }
            let mut titles = Vec::new();
            title.flatten_into(&mut titles);
            let last = titles.len().saturating_sub(1);
            for (i, t) in titles.into_iter().enumerate() {
                // The last title takes the attributes; the others (an array title) copies.
                let attrs = if i == last {
                    std::mem::take(&mut attrs)
                } else {
                    attrs.clone()
                };
                if let Some(id) = self.declare_one(
                    &ty,
                    t,
                    b.span,
                    b.title.span,
                    attrs,
                    form,
                    Origin::Declared,
                    env,
                ) {
                    ids.push(id);
                }
            }
        }
        ids
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn declare_one(
        &mut self,
        ty: &str,
        title: Value,
        span: Span,
        title_span: Span,
        attrs: Vec<Attr>,
        form: ResourceForm,
        origin: Origin,
        env: &Env,
    ) -> Option<ResId> {
        if ty == "class" {
            let name = match &title {
                Value::Str(s) | Value::Type(s) => s.clone(),
                v => {
                    self.note(env, span, format!("class name not known statically: {v}"));
                    return None;
                }
            };
            return self.declare_class(&name, Some(attrs), ClassHow::Resource, env, span);
        }
        if let Some(def) = self.define_defs.get(ty).copied() {
            return self
                .instantiate_define(ty, def, title, span, title_span, attrs, form, origin, env);
        }
        let id = self.declared_resource(ty, title, span, title_span, attrs, form, origin, env);
        Some(id)
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn instantiate_define(
        &mut self,
        ty: &str,
        def: DefineDef<'a>,
        title: Value,
        span: Span,
        title_span: Span,
        attrs: Vec<Attr>,
        form: ResourceForm,
        origin: Origin,
        env: &Env,
    ) -> Option<ResId> {
        if env.define_stack.iter().any(|d| d == ty) {
            self.note(
                env,
                span,
                format!("defined type {ty} instantiates itself (cycle); not expanded again"),
            );
            return None;
        }
        if env.define_stack.len() >= self.opts.max_define_depth {
            self.note(
                env,
                span,
                format!(
                    "defined types nested deeper than {}; {ty} not expanded",
                    self.opts.max_define_depth
                ),
            );
            return None;
        }
        let attrs: Vec<Attr> = attrs
            .into_iter()
            .map(|mut a| {
                if a.origin == AttrOrigin::Declared {
                    a.origin = AttrOrigin::Param;
                }
                a
            })
            .collect();
        // The instance keeps the attributes; the parameters are read back from it (the
        // declaring frame's defaults are added only when that frame ends).
        let id = self.declared_resource(
            ty,
            title.clone(),
            span,
            title_span,
            attrs,
            form,
            origin,
            env,
        );
        let scope = self.new_scope(Some(0));
        let module = ty.split("::").next().map(SmolStr::new);
        let title_text = match &title {
            Value::Str(s) => s.clone(),
            v => v.to_string().into(),
        };
        let mut chain = env.define_chain.clone();
        chain.push(id);
        let mut stack = env.define_stack.clone();
        stack.push(ty.to_string());
        let denv = Env {
            file: def.file.clone(),
            scope,
            frame: self.new_frame(Some(env.frame)),
            guard: env.guard.clone(),
            container: Some(id),
            define_chain: chain,
            kind: std::sync::Arc::new(Scope::Define {
                ty: SmolStr::new(ty),
                title: SmolStr::new(&title_text),
            }),
            module: module.clone(),
            define_stack: stack,
        };
        {
            let vars = &mut self.vars[scope].vars;
            vars.insert("title".into(), title.clone());
            vars.insert("name".into(), title.clone());
            if let Some(m) = &module {
                vars.insert("module_name".into(), Value::Str(SmolStr::new(m)));
            }
            vars.insert(
                "caller_module_name".into(),
                env.module.clone().map(Value::str).unwrap_or(Value::Undef),
            );
        }
        // Resource defaults (`X::App { app => 'a' }`) set the parameters an instance
        // leaves out, as they set a resource's attributes.
        let defaults = self.visible_defaults(env.frame, ty);
        // In order: a default may name the parameters to its left (a scope holding them).
        for p in def.params {
            let v = if let Some(v) = given_value(&self.model.resources[id].attrs, &p.name) {
                v
            } else if let Some(v) = given_value(&defaults, &p.name) {
                v
            } else if let Some(d) = &p.default {
                self.eval(d, &denv)
            } else {
                Value::Undef
            };
            self.vars[scope].vars.insert(p.name.clone(), v);
        }
        self.exec_block(def.body, &denv);
        self.end_frame(denv.frame);
        self.end_scope(scope);
        Some(id)
    }

    pub(super) fn ensure_resource(
        &mut self,
        ty: &str,
        title: Value,
        params: Vec<(&str, Value)>,
        span: Span,
        env: &Env,
    ) {
        if let Some(t) = title.as_str() {
            if !self
                .model
                .by_key
                .get(ty, &normalize_key_cow(ty, t))
                .is_empty()
            {
                return;
            }
        }
        let attrs = params
            .into_iter()
            .filter(|(_, v)| !v.is_undef())
            .map(|(k, v)| Attr {
                name: SmolStr::new(k),
                value: v,
                file: env.file.clone(),
                name_span: span,
                value_span: span,
                origin: AttrOrigin::Declared,
            })
            .collect();
        self.declare_one(
            ty,
            title,
            span,
            span,
            attrs,
            ResourceForm::Regular,
            Origin::EnsureResource,
            env,
        );
    }

    /// A resource (or defined-type instance) declared at `env`: pushed with the scope,
    /// guard, container and module of `env`, recorded in its frame for resource defaults,
    /// and with the relationships its metaparameters state.
    #[allow(clippy::too_many_arguments)]
    fn declared_resource(
        &mut self,
        ty: &str,
        title: Value,
        span: Span,
        title_span: Span,
        attrs: Vec<Attr>,
        form: ResourceForm,
        origin: Origin,
        env: &Env,
    ) -> ResId {
        // The id `push_resource` gives (attributes move into the resource).
        let id = self.model.resources.len();
        let rels = rels_from_attrs(id, &attrs, &env.guard);
        let pushed = self.push_resource(Resource {
            ty: SmolStr::new(ty),
            title,
            file: env.file.clone(),
            span,
            title_span,
            attrs,
            scope: env.kind.clone(),
            guard: env.guard.as_slice().into(),
            form,
            realized: false,
            container: env.container,
            define_chain: env.define_chain.as_slice().into(),
            origin,
            module: env.module.clone(),
        });
        debug_assert_eq!(pushed, id);
        self.frames[env.frame].created.push(id);
        self.rels.extend(rels);
        id
    }

    pub(super) fn relations_from_attrs(&mut self, id: ResId, attrs: &[Attr], env: &Env) {
        let rels = rels_from_attrs(id, attrs, &env.guard);
        self.rels.extend(rels);
    }

    /// Apply the defaults visible from `frame` to the resources created directly in it.
    pub(super) fn end_frame(&mut self, frame: usize) {
        let created = std::mem::take(&mut self.frames[frame].created);
        if created.is_empty() {
            return;
        }
        // The frames whose defaults apply, innermost first. Only frames with defaults are
        // visited: evaluation can nest frames thousands deep (a generated chain of classes),
        // and walking every ancestor for every resource was quadratic.
        let mut with_defaults = Vec::new();
        let mut f = self.defaults_frame(Some(frame));
        while let Some(i) = f {
            with_defaults.push(i);
            f = self.defaults_frame(self.frames[i].parent);
        }
        if with_defaults.is_empty() {
            return;
        }
        let mut add: Vec<Attr> = Vec::new();
        for id in created {
            let ty = self.model.resources[id].ty.clone();
            let r = &self.model.resources[id];
            for &i in &with_defaults {
                for (dty, attrs) in &self.frames[i].defaults {
                    if *dty != ty {
                        continue;
                    }
                    for a in attrs {
                        let known = r.attrs.iter().chain(&add).any(|x| x.name == a.name);
                        if !known && !a.value.is_undef() {
                            add.push(a.clone());
                        }
                    }
                }
            }
            if !add.is_empty() {
                // Exactly the room needed: the model keeps every resource's attributes.
                let attrs = &mut self.model.resources[id].attrs;
                attrs.reserve_exact(add.len());
                attrs.append(&mut add);
            }
        }
    }

    /// The resource defaults for `ty` visible from `frame`, the innermost first for each
    /// attribute.
    fn visible_defaults(&mut self, frame: usize, ty: &str) -> Vec<Attr> {
        let mut out: Vec<Attr> = Vec::new();
        let mut f = self.defaults_frame(Some(frame));
        while let Some(i) = f {
            for (dty, attrs) in &self.frames[i].defaults {
                if dty != ty {
                    continue;
                }
                for a in attrs {
                    if !out.iter().any(|x| x.name == a.name) {
                        out.push(a.clone());
                    }
                }
            }
            f = self.defaults_frame(self.frames[i].parent);
        }
        out
    }

    /// The nearest frame at or above `frame` that has resource defaults. Answers are
    /// remembered per frame until a frame gets its first default, and every frame of a
    /// walk learns the answer, so a deep chain is walked once, not once per resource.
    pub(super) fn defaults_frame(&mut self, frame: Option<usize>) -> Option<usize> {
        let version = self.defaults_version;
        let mut walked = Vec::new();
        let mut f = frame;
        let found = loop {
            let Some(i) = f else { break None };
            let fr = &self.frames[i];
            if !fr.defaults.is_empty() {
                break Some(i);
            }
            if fr.nearest_defaults.0 == version {
                break fr.nearest_defaults.1;
            }
            walked.push(i);
            f = fr.parent;
        };
        for i in walked {
            self.frames[i].nearest_defaults = (version, found);
        }
        found
    }
}

/// The value a declaration gives parameter `name`. Passing `undef` is not giving one: the
/// parameter takes its default, as if it were left out.
fn given_value(attrs: &[Attr], name: &str) -> Option<Value> {
    attrs
        .iter()
        .find(|a| a.name == name)
        .filter(|a| !a.value.is_undef())
        .map(|a| a.value.clone())
}

/// Relationships declared by metaparameters (`require`, `before`, `notify`, `subscribe`).
pub(super) fn rels_from_attrs(id: ResId, attrs: &[Attr], guard: &[GuardStep]) -> Vec<PendingRel> {
    let mut out = Vec::new();
    for a in attrs {
        if !METAPARAMS.contains(&a.name.as_str()) {
            continue;
        }
        let mut refs = Vec::new();
        collect_refs(&a.value, &mut refs);
        let targets: Vec<Endpoint> = refs
            .into_iter()
            .map(|(ty, title)| Endpoint::Ref { ty, title })
            .collect();
        if targets.is_empty() {
            continue;
        }
        let me = vec![Endpoint::Res(id)];
        let (from, to) = match a.name.as_str() {
            "before" | "notify" => (me, targets),
            _ => (targets, me),
        };
        out.push(PendingRel {
            from,
            to,
            refresh: matches!(a.name.as_str(), "notify" | "subscribe"),
            file: a.file.clone(),
            span: a.value_span,
            via: match a.name.as_str() {
                "before" => EdgeVia::Before,
                "notify" => EdgeVia::Notify,
                "subscribe" => EdgeVia::Subscribe,
                _ => EdgeVia::Require,
            },
            guard: guard.to_vec(),
        });
    }
    out
}

/// The key of a title that is not known statically (alternatives, or partly symbolic):
/// its display form, so that `File[$path]` finds the `file { $path: }` declared with the
/// same value.
pub(super) fn symbolic_key(title: &Value) -> Option<String> {
    match title {
        Value::OneOf(_) | Value::Symbolic(_) => Some(title.to_string()),
        _ => None,
    }
}

/// Keys a resource can be referenced by: its title and its namevar. A title chosen among
/// alternatives (`case $::osfamily { 'RedHat': { $pkgs = [a, b] } default: { $pkgs = [a, c] } }`
/// then `package { $pkgs: }`) is also found by each string it may be, so that
/// `Package['c']` finds the resource declared under the alternatives.
pub(super) fn resource_keys(r: &Resource) -> Vec<SmolStr> {
    let mut keys: Vec<SmolStr> = Vec::with_capacity(2);
    let mut add = |k: SmolStr| {
        if !keys.contains(&k) {
            keys.push(k);
        }
    };
    for v in [&r.title, r.name_value()] {
        if let Value::Str(t) = v {
            add(normalize_key_smol(&r.ty, t));
        } else if let Some(k) = symbolic_key(v) {
            add(normalize_key(&r.ty, &k).into());
            if let Value::OneOf(_) = v {
                let mut leaves = Vec::new();
                for alt in v.alternatives() {
                    alt.flatten_into(&mut leaves);
                }
                for leaf in leaves.iter().flat_map(Value::alternatives) {
                    if let Value::Str(t) = leaf {
                        add(normalize_key_smol(&r.ty, t));
                    }
                }
            }
        }
    }
    keys
}

#[cfg(test)]
mod tests {
    use super::super::expr::tests::file_titles;

    fn sorted(mut v: Vec<String>) -> Vec<String> {
        v.sort();
        v
    }

    #[test]
    fn a_parameter_default_sees_the_parameters_to_its_left() {
        // Each instance gets its own directory, never `/etc/x//env.d` for all of them.
        let titles = file_titles(
            "define x::app($app, $envdir = \"/etc/x/${app}/env.d\", $n = \"/n/${title}\") {\n  file { [$envdir, $n]: ensure => directory }\n}\nx::app { 'one': app => 'a' }\nx::app { 'two': app => 'b' }\n",
        );
        assert_eq!(
            sorted(titles),
            vec!["/etc/x/a/env.d", "/etc/x/b/env.d", "/n/one", "/n/two"]
        );
        // Classes too, and a default naming a default.
        let titles = file_titles(
            "class c($base = '/opt/c', $conf = \"${base}/conf\", $d = \"${conf}.d\") {\n  file { [$conf, $d]: ensure => directory }\n}\ninclude c\n",
        );
        assert_eq!(sorted(titles), vec!["/opt/c/conf", "/opt/c/conf.d"]);
    }

    #[test]
    fn resource_defaults_and_undef_set_a_defined_types_parameters() {
        // `X::App { app => ... }` gives the instances that leave `app` out their value;
        // passing `undef` takes the parameter's default.
        let titles = file_titles(
            "define x::app($app = 'dflt', $envdir = \"/etc/x/${app}/env.d\") {\n  file { $envdir: ensure => directory }\n}\nclass c {\n  X::App { app => 'fromdefault' }\n  x::app { 'one': }\n  x::app { 'two': app => 'given' }\n}\ninclude c\nx::app { 'three': app => undef }\n",
        );
        assert_eq!(
            sorted(titles),
            vec![
                "/etc/x/dflt/env.d",
                "/etc/x/fromdefault/env.d",
                "/etc/x/given/env.d"
            ]
        );
    }

    #[test]
    fn an_array_title_declares_one_resource_per_element() {
        let titles = file_titles(
            "class c {\n  file { ['/a', '/b']: ensure => directory }\n  $dirs = ['/c', ['/d']]\n  file { $dirs: ensure => directory }\n  ensure_resource('file', ['/e', '/f'], { ensure => directory })\n}\ninclude c\n",
        );
        assert_eq!(sorted(titles), vec!["/a", "/b", "/c", "/d", "/e", "/f"]);
    }

    /// A defined-type instance's and a lambda's variables are freed once the body has run
    /// (`Ev::end_scope`): each instance still sees its own parameters, the next instance
    /// none of the previous one's, and a class declared from inside an instance keeps its
    /// scope for `$class::var`.
    #[test]
    fn finished_instances_and_lambdas_leave_other_scopes_intact() {
        let titles = file_titles(
            "define d($p = 'dflt') {\n\
             \x20 ['a', 'b'].each |$x| { file { \"/${title}/${p}/${x}\": } }\n\
             \x20 include c\n\
             }\n\
             class c { $v = 'cv' file { \"/c/${v}\": } }\n\
             d { 'one': p => 'given' }\n\
             d { 'two': }\n\
             file { \"/top/${c::v}\": }\n",
        );
        assert_eq!(
            sorted(titles),
            vec![
                "/c/cv",
                "/one/given/a",
                "/one/given/b",
                "/top/cv",
                "/two/dflt/a",
                "/two/dflt/b"
            ]
        );
    }

    #[test]
    fn a_title_chosen_among_alternatives_is_found_by_each_of_them() {
        let pp = "class demo {\n  case $::osfamily {\n    'RedHat': { $pkgs = ['novnc', 'openstack-nova-novncproxy'] $one = 'openstack-nova-compute' }\n    default:  { $pkgs = ['novnc', 'nova-novncproxy'] $one = 'nova-compute' }\n  }\n  package { $pkgs: ensure => present }\n  package { $one: ensure => present }\n}\ninclude demo\n";
        let m = crate::model::testing::model_of(pp);
        for name in [
            "novnc",
            "nova-novncproxy",
            "openstack-nova-novncproxy",
            "nova-compute",
            "openstack-nova-compute",
        ] {
            assert!(!m.find("package", name).is_empty(), "Package['{name}']");
        }
        assert!(m.find("package", "nova").is_empty());
        assert!(m.unresolved_refs.is_empty());
    }
}
