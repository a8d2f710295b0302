//! ## What it does
//!
//! Flags attribute values a built-in type rejects, or treats as something the author
//! did not mean: a `file` path (its title, or `path`) that is not absolute, an unknown
//! `ensure` value (`file`, `service`, `package`; `exec` has no
//! `ensure` at all), a `mode` that is neither octal nor symbolic (or a number, which
//! Puppet 7 refuses and Puppet 4 to 6 warn about; Puppet 3 reads numbers as strings and
//! takes it, so it is not reported in a repository written for Puppet 3: see
//! `puppet_version` in the README for how the version is found), a malformed `source` URL (`puppet://modules/…` with two slashes, a
//! relative path, an unsupported scheme), and `${…}` with a Puppet variable inside a
//! single-quoted string (a title, a path, a link target), which Puppet does not
//! interpolate. The checks are those of `src/analysis/values.rs`.
//!
//! Only values the change adds or modifies are judged (every attribute of a new resource,
//! the changed attributes of a changed one). Values not known statically are not judged.
//! Attributes that hold shell or file text (`content`, `command`, `onlyif`, `unless`, …)
//! are not searched for `${`: there it is usually shell syntax. A non-keyword `ensure`
//! (`'symlink'`) next to an explicit `target` is a link to that target (Puppet 7.23 munges
//! it to `link`, checked with `puppet apply`) and is not reported.
//!
//! ## Why is this bad?
//!
//! An invalid value fails the resource, or the whole catalog, at compile or apply time on
//! every node. A single-quoted `'${dir}/bin'` is taken literally and silently manages a
//! path with `${dir}` in its name.
//!
//! ## Example
//!
//! ```puppet
//! file { '/usr/local/bin/tool':
//!   ensure => 'executable',
//!   mode   => '755x',
//!   source => 'puppet://modules/tool/tool',
//! }
//! ```
//!
//! ## Use instead
//!
//! ```puppet
//! file { '/usr/local/bin/tool':
//!   ensure => file,
//!   mode   => '0755',
//!   source => 'puppet:///modules/tool/tool',
//! }
//! ```
//!
//! ## Exceptions
//!
//! None known for built-in types.
//!
//! ## References
//!
//! - Puppet `file` type reference (`ensure`, `mode`, `source`).
//! - Puppet language: strings (single quotes do not interpolate).

use std::collections::{BTreeMap, BTreeSet};

use crate::analysis::values::{
    check_ensure, check_file_path, check_mode, check_source, check_uninterpolated, ModeValue,
    Scalar, ValueProblem,
};
use crate::ast::{Expr, ExprKind, Span, StrPart};
use crate::diagnostic::{Finding, Location, Severity, Side};
use crate::model::{Attr, AttrOrigin, Resource, Value};

use super::common::touched;
use super::executables::string_literals;
use super::registry::{Kind, Rule};
use super::{finding, Context};

pub const NAME: &str = "invalid-attribute-value";

/// This rule's row of the registry (`registry.rs` lists the rows in order).
pub(crate) static RULE: Rule = Rule {
    name: NAME,
    default_severity: Severity::Error,
    summary: "values a built-in type rejects (relative file path, unknown `ensure`, bad `mode`, malformed `source` URL, `${` in single quotes)",
    kind: Kind::Check,
    check: Some(check),
    source: include_str!("invalid_attribute_value.rs"),
};

/// Attributes whose text is shell or file content, where `${x}` is meant literally.
const TEXT_ATTRS: &[&str] = &[
    "content",
    "command",
    "onlyif",
    "unless",
    "environment",
    "validate_cmd",
    "refresh",
    "start",
    "stop",
    "restart",
    "status",
    "message",
];

pub fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    let rule = &RULE;
    let mut seen = BTreeSet::new();
    let mut base_defaults = None;
    for id in touched(cx) {
        let r = cx.after.get(id);
        let changed: Option<BTreeSet<&str>> = cx
            .diff
            .diff_of(id)
            .map(|d| d.attrs.iter().map(|a| a.name.as_str()).collect());
        let is_new = !cx.diff.matched.contains_key(&id);
        if !is_new && changed.is_none() {
            continue; // only a template it reads changed
        }
        for a in &r.attrs {
            if !is_new
                && !changed
                    .as_ref()
                    .is_some_and(|c| c.contains(a.name.as_str()))
            {
                continue;
            }
            if a.origin == AttrOrigin::Param {
                continue;
            }
            // A value from a resource default is the default's problem: judged when the
            // base revision had no such default (one file default of `mode => 0644` would
            // otherwise be reported for every new file under it).
            if a.origin == AttrOrigin::Default
                && base_defaults
                    .get_or_insert_with(|| defaults_of(cx.before))
                    .get(&(&*a.file, a.name.as_str()))
                    .is_some_and(|values| values.contains(&&a.value))
            {
                continue;
            }
            let mut problems: Vec<(ValueProblem, Option<Span>)> = Vec::new();
            for p in value_problems(cx, r, a) {
                problems.push((p, None));
            }
            if !TEXT_ATTRS.contains(&a.name.as_str()) && r.ty != "exec" {
                for (lit, p) in quoted_problems(cx, &a.file, a.value_span) {
                    problems.push((p, Some(lit)));
                }
            }
            for (p, lit) in problems {
                let span = locate(cx, &a.file, a.value_span, lit, &p);
                if !seen.insert((a.file.to_string(), span, p.message.clone())) {
                    continue;
                }
                let mut f = finding(
                    rule,
                    Location {
                        side: Side::After,
                        file: a.file.to_string(),
                        span,
                    },
                    format!("{}: {}", r.display_ref(), p.message),
                );
                f.help = p.help.clone();
                f.resource = Some(r.into());
                out.push(f);
            }
        }
        // The title of a new file is its path unless `path` is given.
        if is_new
            && r.ty == "file"
            && r.get("path").is_none()
            && r.get("name").is_none()
            && !r.title_span.is_empty()
            && literal_text(cx, &r.file, r.title_span)
        {
            if let Value::Str(t) = &r.title {
                if let Some(p) = check_file_path(t) {
                    if seen.insert((r.file.to_string(), r.title_span, p.message.clone())) {
                        let mut f = finding(
                            rule,
                            Location {
                                side: Side::After,
                                file: r.file.to_string(),
                                span: r.title_span,
                            },
                            format!("the title of {}: {}", r.display_ref(), p.message),
                        );
                        f.help = p.help.clone();
                        f.resource = Some(r.into());
                        out.push(f);
                    }
                }
            }
        }
        // The title of a new resource.
        if is_new && !r.title_span.is_empty() {
            for (lit, p) in quoted_problems(cx, &r.file, r.title_span) {
                let span = locate(cx, &r.file, r.title_span, Some(lit), &p);
                if !seen.insert((r.file.to_string(), span, p.message.clone())) {
                    continue;
                }
                let mut f = finding(
                    rule,
                    Location {
                        side: Side::After,
                        file: r.file.to_string(),
                        span,
                    },
                    format!("the title of {}: {}", r.display_ref(), p.message),
                );
                f.help = p.help.clone();
                f.resource = Some(r.into());
                out.push(f);
            }
        }
    }
}

/// Whether the expression at `span` of `file` is written without variables: a path built
/// from a class parameter with no value here (`"${home}.ssh"`) is not judged, nor a
/// single-quoted `${…}` (reported as not interpolated).
fn literal_text(cx: &Context<'_>, file: &str, span: Span) -> bool {
    cx.manifest(Side::After, file)
        .and_then(|m| m.text.get(span.range()))
        .is_some_and(|t| !t.contains('$'))
}

/// [`literal_text`] of an attribute's value.
fn written_out(cx: &Context<'_>, a: &Attr) -> bool {
    literal_text(cx, &a.file, a.value_span)
}

/// The values resource defaults give at a revision, by (manifest, attribute).
fn defaults_of(m: &crate::model::Model) -> BTreeMap<(&str, &str), Vec<&Value>> {
    let mut out: BTreeMap<(&str, &str), Vec<&Value>> = BTreeMap::new();
    for (_, r) in m.live_resources() {
        for a in r.attrs.iter().filter(|a| a.origin == AttrOrigin::Default) {
            let values = out.entry((&*a.file, a.name.as_str())).or_default();
            if !values.contains(&&a.value) {
                values.push(&a.value);
            }
        }
    }
    out
}

/// Problems of the evaluated value of `ensure`, `mode` and `source`.
fn value_problems(cx: &Context<'_>, r: &Resource, a: &Attr) -> Vec<ValueProblem> {
    let ty = r.ty.as_str();
    let mut out = Vec::new();
    match (ty, a.name.as_str()) {
        ("exec", "ensure") => out.extend(check_ensure("exec", Scalar::Str(""))),
        // With an explicit `target`, any non-keyword `ensure` is a link to that target
        // (Puppet 7.23 munges it to `link`; checked with `puppet apply`).
        ("file", "ensure") if r.get("target").is_some() => {}
        ("file" | "service" | "package", "ensure") => match &a.value {
            Value::Str(s) => out.extend(check_ensure(ty, Scalar::Str(s))),
            Value::Bool(b) => out.extend(check_ensure(ty, Scalar::Bool(*b))),
            _ => {}
        },
        ("file", "mode") => match &a.value {
            Value::Str(s) => out.extend(check_mode(ModeValue::Str(s))),
            // Puppet 3 reads every number as a string: `mode => 0644` is `'0644'` there.
            Value::Int(_) if cx.after.puppet.major <= 3 => {}
            Value::Int(_) => {
                let raw = cx
                    .manifest(Side::After, &a.file)
                    .and_then(|m| m.text.get(a.value_span.range()))
                    .map(str::trim)
                    .filter(|t| t.bytes().all(|b| b.is_ascii_digit()) && !t.is_empty());
                if let Some(raw) = raw {
                    out.extend(check_mode(ModeValue::Number(raw)).map(|mut p| {
                        let assumed = format!("assumed {}", cx.after.puppet);
                        p.help = Some(match p.help.take() {
                            Some(h) => format!("{h} ({assumed})"),
                            None => assumed,
                        });
                        p
                    }));
                }
            }
            _ => {}
        },
        ("file", "path" | "name") if written_out(cx, a) => {
            if let Value::Str(s) = &a.value {
                out.extend(check_file_path(s));
            }
        }
        ("file", "source") => {
            let mut vals = Vec::new();
            a.value.flatten_into(&mut vals);
            for v in vals {
                if let Value::Str(s) = v {
                    out.extend(check_source(&s));
                }
            }
        }
        _ => {}
    }
    out
}

/// Single-quoted literals inside the expression at `span` that hold `${…}`, with the
/// span of each literal.
fn quoted_problems(cx: &Context<'_>, file: &str, span: Span) -> Vec<(Span, ValueProblem)> {
    let Some(man) = cx.manifest(Side::After, file) else {
        return Vec::new();
    };
    let Some(e) = expr_at(&man.parsed.program.statements, span) else {
        return Vec::new();
    };
    let mut lits = Vec::new();
    string_literals(e, &mut lits);
    lits.into_iter()
        .filter_map(|l| {
            let raw = man.text.get(l.span.range())?;
            check_uninterpolated(raw).map(|p| (l.span, p))
        })
        .collect()
}

/// Where to point: inside the literal when the problem has a span, else the value.
fn locate(cx: &Context<'_>, file: &str, value: Span, lit: Option<Span>, p: &ValueProblem) -> Span {
    let base = match lit {
        Some(l) => l,
        None => {
            // A string literal written verbatim: problem offsets are relative to its text.
            let quoted = cx
                .manifest(Side::After, file)
                .and_then(|m| m.text.get(value.range()))
                .is_some_and(|t| t.starts_with('\'') && !t.contains('\\'));
            if !quoted {
                return value;
            }
            Span::new(value.start + 1, value.end.saturating_sub(1))
        }
    };
    match p.span {
        Some(s) if lit.is_some() => Span::new(base.start + s.start, base.start + s.end),
        Some(s) => Span::new(base.start + s.start, base.start + s.end),
        None => value,
    }
}

/// The expression of the attribute value or title the model recorded at `span` (the
/// outermost one with exactly that span), found by descending from the file's statements
/// into the expressions that hold the span; the expressions are those
/// [`walk`](super::executables::walk) visits. Statement lists and arrays are searched by
/// position, so a file of thousands of resources costs a few steps per lookup.
fn expr_at(stmts: &[Expr], span: Span) -> Option<&Expr> {
    fn find(e: &Expr, span: Span) -> Option<&Expr> {
        if e.span == span {
            return Some(e);
        }
        parts(e).into_iter().find_map(|p| match p {
            Part::One(c) => holds(c, span).then(|| find(c, span)).flatten(),
            Part::Many(xs) => within(xs, span),
        })
    }
    /// `xs` are in source order: the one holding `span` is among the last starting at or
    /// before it.
    fn within(xs: &[Expr], span: Span) -> Option<&Expr> {
        let end = xs.partition_point(|c| c.span.start <= span.start);
        for c in xs[..end].iter().rev() {
            if holds(c, span) {
                if let Some(found) = find(c, span) {
                    return Some(found);
                }
            } else if c.span.end <= span.start {
                break;
            }
        }
        None
    }
    within(stmts, span)
}

/// Whether `e` may hold an expression at `span`: a heredoc's text lies outside the
/// heredoc's own span (the body follows the line that opens it).
fn holds(e: &Expr, span: Span) -> bool {
    (e.span.start <= span.start && span.end <= e.span.end)
        || matches!(e.kind, ExprKind::Heredoc { .. })
}

/// Expressions directly inside another: one, or a list in source order.
enum Part<'e> {
    One(&'e Expr),
    Many(&'e [Expr]),
}

/// The expressions directly inside `e` that [`walk`](super::executables::walk) visits, in
/// its order.
fn parts(e: &Expr) -> Vec<Part<'_>> {
    use Part::{Many, One};
    let mut out = Vec::new();
    match &e.kind {
        ExprKind::Array(xs) => out.push(Many(xs)),
        ExprKind::Hash(es) => es
            .iter()
            .for_each(|h| out.extend([One(&h.key), One(&h.value)])),
        ExprKind::Paren(x) | ExprKind::Unary { operand: x, .. } => out.push(One(x)),
        ExprKind::Heredoc { text, .. } => out.push(One(text)),
        ExprKind::Binary { lhs, rhs, .. }
        | ExprKind::Assign { lhs, rhs, .. }
        | ExprKind::Relationship { lhs, rhs, .. } => out.extend([One(lhs), One(rhs)]),
        ExprKind::Selector { subject, entries } => {
            out.push(One(subject));
            entries
                .iter()
                .for_each(|s| out.extend([One(&s.key), One(&s.value)]));
        }
        ExprKind::Access { target, args } => out.extend([One(target), Many(args)]),
        ExprKind::Call {
            func, args, lambda, ..
        } => {
            out.extend([One(func), Many(args)]);
            if let Some(l) = lambda {
                out.push(Many(&l.body.statements));
            }
        }
        ExprKind::MethodCall(m) => {
            out.extend([One(&m.receiver), Many(&m.args)]);
            if let Some(l) = &m.lambda {
                out.push(Many(&l.body.statements));
            }
        }
        ExprKind::If(c) | ExprKind::Unless(c) => {
            out.extend([One(&c.cond), Many(&c.then_branch.statements)]);
            if let Some(b) = &c.else_branch {
                out.push(Many(&b.statements));
            }
        }
        ExprKind::Case { subject, options } => {
            out.push(One(subject));
            for o in options {
                out.extend([Many(&o.values), Many(&o.body.statements)]);
            }
        }
        ExprKind::Resource {
            type_expr, bodies, ..
        } => {
            out.push(One(type_expr));
            for b in bodies {
                out.push(One(&b.title));
                out.extend(b.attrs.iter().map(|a| One(&a.value)));
            }
        }
        ExprKind::ResourceDefaults { attrs, .. } | ExprKind::ResourceOverride { attrs, .. } => {
            out.extend(attrs.iter().map(|a| One(&a.value)))
        }
        ExprKind::ClassDef(d) => {
            out.extend(d.params.iter().filter_map(|p| p.default.as_ref()).map(One));
            out.push(Many(&d.body.statements));
        }
        ExprKind::DefineDef(d) => {
            out.extend(d.params.iter().filter_map(|p| p.default.as_ref()).map(One));
            out.push(Many(&d.body.statements));
        }
        ExprKind::NodeDef(d) => out.push(Many(&d.body.statements)),
        ExprKind::Interpolated(parts) => out.extend(parts.iter().filter_map(|p| match p {
            StrPart::Expr(x) => Some(One(x)),
            StrPart::Text(..) => None,
        })),
        _ => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::testing::*;

    const PASS: &[&str] = &[
        "class demo {\n  file { '/usr/local/bin/tool': ensure => file, mode => '0755', source => 'puppet:///modules/demo/tool' }\n}",
        "class demo {\n  file { '/usr/bin/tool': ensure => '/opt/tool/bin/tool' }\n  file { '/etc/x': ensure => absent, mode => 'u+x,go-w', source => ['file:///srv/x', '/srv/y'] }\n}",
        "class demo {\n  service { 'x': ensure => running }\n  service { 'y': ensure => false }\n  package { 'p': ensure => '1.2-3' }\n  package { 'q': ensure => latest }\n}",
        // Double quotes interpolate; shell text in single quotes is left alone.
        "class demo($dir) {\n  file { \"${dir}/bin\": ensure => directory }\n  exec { 'x': command => '/bin/sh -c \"echo ${foo}\"', path => '/bin' }\n  file { '/etc/x': content => 'PATH=${path}' }\n}",
        // `ensure => symlink` with a target is a link to the target.
        "class demo {\n  file { '/etc/resolv.conf': ensure => 'symlink', target => '/run/systemd/resolve/stub-resolv.conf' }\n}",
        // Upper-case ${…} in single quotes is usually meant for a shell.
        "class demo {\n  file { '/etc/default/x': ensure => file, source => 'puppet:///modules/demo/${HOME}' }\n}",
        // Symbolic values are not judged.
        "class demo($e, $m) {\n  file { '/x': ensure => $e, mode => $m }\n}",
        // A title that is only a name when `path` is given; Windows paths; a path from a
        // parameter the model cannot know.
        "class demo($dir, $home = undef) {\n  file { 'collectd-python': ensure => directory, path => '/usr/lib/collectd/python' }\n  file { 'rabbitmq-env.conf': name => '/etc/rabbitmq/rabbitmq-env.conf' }\n  file { 'C:/ProgramData/x': ensure => directory }\n  file { $dir: ensure => directory }\n  file { \"${home}.ssh\": ensure => directory }\n}",
    ];

    const FAIL: &[(&str, &[u32])] = &[
        (
            "class demo {\n  file { '/usr/local/bin/tool':\n    ensure => 'executable',\n    mode   => '755x',\n    source => 'puppet://modules/demo/tool',\n  }\n}\n",
            &[3, 4, 5],
        ),
        ("class demo {\n  service { 'x':\n    ensure => started,\n  }\n}\n", &[3]),
        ("class demo {\n  exec { 'x':\n    command => '/bin/true',\n    ensure  => present,\n  }\n}\n", &[4]),
        // A link target in single quotes: the link points at a literal `${app}`.
        (
            "class demo($app) {\n  file { '/usr/local/bin/app':\n    ensure => link,\n    target => '/opt/${app}/bin/app',\n  }\n}\n",
            &[4],
        ),
        ("class demo {\n  file { '/etc/x':\n    mode => 0644,\n  }\n}\n", &[3]),
        ("class demo($v) {\n  file { '/opt/${v}/x': ensure => file }\n}\n", &[2]),
        // A relative path (datacentred 320a9d95, and `name`, an alias of `path`): the
        // whole run fails.
        (
            "class demo {\n  file { 'usr/lib/collectd/python':\n    ensure => directory,\n  }\n  file { 'x': path => 'etc/x' }\n  file { 'y': name => 'etc/y' }\n}\n",
            &[2, 5, 6],
        ),
    ];

    snippet_tests!(after_only);

    #[test]
    fn a_default_is_judged_once_when_it_is_new() {
        // ocf 8a706c03: a new file under an old `File { mode => 0644 }` default.
        let before =
            "class demo {\n  File { mode => 0644 }\n  file { '/etc/a': ensure => file }\n}\n";
        let after = before.replace("}\n}", "}\n  file { '/etc/b': ensure => file }\n}");
        assert!(check_rule(NAME, &edit(before, &after)).is_empty());
        // The default itself is new.
        let before = "class demo {\n  file { '/etc/a': ensure => file }\n}\n";
        let after = before.replace("{\n  file", "{\n  File { mode => 0644 }\n  file");
        let found = check_rule(NAME, &edit(before, &after));
        assert_eq!(found.len(), 1, "{found:#?}");
        assert_eq!(&after[found[0].location.span.range()], "0644");
    }

    #[test]
    fn points_inside_the_value() {
        let src = "class demo {\n  file { '/x': source => 'puppet://modules/demo/x' }\n}\n";
        let found = check_rule(NAME, &after_only(src));
        assert_eq!(found.len(), 1);
        let s = found[0].location.span;
        assert_eq!(&src[s.range()], "modules", "{found:#?}");
        let src = "class demo($a) {\n  file { '/x': ensure => link, target => '/opt/${a}/x' }\n}\n";
        let found = check_rule(NAME, &after_only(src));
        let s = found[0].location.span;
        assert_eq!(&src[s.range()], "${a}");
    }

    #[test]
    fn numeric_modes_follow_the_repository_puppet() {
        let src = "class demo {\n  file { '/etc/x': mode => 0644 }\n}\n";
        // Nothing says which Puppet: 7, which refuses the number, and the help says so.
        let found = check_rule(NAME, &after_only(src));
        assert_eq!(found.len(), 1, "{found:#?}");
        let help = found[0].help.as_deref().unwrap_or("");
        assert!(help.contains("assumed Puppet 7 (the default"), "{help}");
        // Puppet 3 (its Gemfile.lock, or an `import`) reads the number as a string.
        let mut c = after_only(src);
        c.after("Gemfile.lock", "GEM\n  specs:\n    puppet (3.8.7)\n");
        assert!(check_rule(NAME, &c).is_empty());
        let mut c = after_only(src);
        c.after("manifests/site.pp", "import 'nodes/*.pp'\n");
        assert!(check_rule(NAME, &c).is_empty());
        // Puppet 6 warns, Puppet 7 refuses: still reported, naming the evidence.
        let mut c = after_only(src);
        c.after("Gemfile", "gem 'puppet', '~> 6.0'\n");
        let found = check_rule(NAME, &c);
        let help = found[0].help.as_deref().unwrap_or("");
        assert!(
            help.contains("assumed Puppet 6 (Gemfile: gem 'puppet', '~> 6.0')"),
            "{help}"
        );
    }

    #[test]
    fn only_values_the_change_touches() {
        let src = "class demo {\n  file { '/x': mode => '0999', owner => 'root' }\n}\n";
        let case = edit(src, &src.replace("'root'", "'bin'"));
        assert!(check_rule(NAME, &case).is_empty());
        let case = edit(&src.replace("0999", "0644"), src);
        assert_eq!(check_rule(NAME, &case).len(), 1);
    }
}
