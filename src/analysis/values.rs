//! Validators for attribute values that the built-in types reject or silently
//! misinterpret (the checks behind `invalid-attribute-value`).
//!
//! Every fact below was checked with Puppet 7.23 (`puppet apply --noop -e '…'`) or read in
//! its source (`/usr/lib/ruby/vendor_ruby/puppet/type/…`):
//!
//! * `file { ensure }`: `present`, `absent`, `file`, `directory`, `link`, and `false`
//!   (alias of `absent`). **Any other value is taken as a symlink target**
//!   (`type/file/ensure.rb`, `newvalue(/./)` + munge): `'/usr/bin/x'` is a link to that
//!   path, but `'running'`, `'File'`, `'usr/bin/true'` and `true` also become links (noop
//!   shows `should be 'link'`), to relative targets — accepted, almost never meant. When
//!   the resource also has a `target`, that target wins (`ensure => 'symlink', target =>
//!   '/etc/hostname'` created a link to `/etc/hostname`), so the value is harmless there.
//! * `service { ensure }`: `running`, `stopped`, and `true`/`false` (booleans or
//!   strings). `started`, `present`, `absent`, `Running` fail ("Invalid value … Valid
//!   values are stopped, running").
//! * `package { ensure }`: `present`/`installed`, `absent`, `purged`, `latest`, and any
//!   other non-empty string **is a version** (`newvalue(/./)`): `'running'` makes apt
//!   install `pkg=running`. `''` fails. `held` is no longer an ensure value in 7.23 (it is
//!   taken as a version; `mark => hold` replaces it). `disabled` needs a provider with
//!   the `disableable` feature (apt has not: "Provider apt must have features
//!   'disableable'").
//! * `exec` has no `ensure` ("no parameter named 'ensure'").
//! * `file { mode }`: a string matching `0?[0-7]{1,4}` or the symbolic form
//!   `[ugoa]*[-=+][-=+rstwxXugo]*` (comma-separated) (`util/symbolic_file_mode.rb`).
//!   Verified: `'0755'`, `'755'`, `'1777'`, `'04755'`, `'07555'`, `'5'`, `'u+x,go-w'`,
//!   `'a=rX'`, `'+x'`, `'=r'` pass; `'0999'`, `'rwxr-xr-x'`, `'17777'`, `''`, `'o-w,'`,
//!   `'u+x g+x'` fail. A **number** (`mode => 0755`) fails in Puppet 7 ("The file mode
//!   specification must be a string, not 'Integer'"; Puppet 4–6 only warned).
//! * `file { source }`: an absolute path, or a URL with scheme `file`, `puppet`, `http`,
//!   `https` (`type/file/source.rb`). Verified failures: `'foo/bar'` and `''` ("Cannot use
//!   relative URLs"), `'ftp://…'` ("Cannot use URLs of type 'ftp'"), `'puppet:modules/m/f'`
//!   ("Cannot use opaque URLs"). `'puppet://modules/m/f'` compiles but names a **server**
//!   called `modules` and fails at apply time ("Request to https://modules:8140/… failed").
//!   `'file:/etc/x'` and `'file:///etc/x'` both work.
//! * Single-quoted strings (and heredocs whose tag is not in double quotes) never
//!   interpolate: `'/usr/bin/${name}'` is literally `${name}`.

use crate::ast::Span;

/// How bad a value is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Puppet refuses it: the catalog does not compile, or the resource fails.
    Rejected,
    /// Puppet accepts it but does something the author almost certainly did not mean.
    Suspicious,
}

/// What is wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValueProblemKind {
    UnknownEnsure,
    EnsureBecomesLink,
    EnsureBecomesVersion,
    NoEnsureParameter,
    NumericMode,
    InvalidMode,
    RelativeSource,
    OpaqueSource,
    UnsupportedSourceScheme,
    MountAsServer,
    SourceWhitespace,
    UninterpolatedVariable,
    RelativePath,
}

/// A problem with a value; `span` is relative to the text that was checked (`None`: the
/// whole value).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValueProblem {
    pub kind: ValueProblemKind,
    pub verdict: Verdict,
    pub message: String,
    /// What to write instead, when we can tell.
    pub help: Option<String>,
    pub span: Option<Span>,
}

impl ValueProblem {
    fn new(kind: ValueProblemKind, verdict: Verdict, message: String) -> Self {
        ValueProblem {
            kind,
            verdict,
            message,
            help: None,
            span: None,
        }
    }

    fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    fn at(mut self, start: usize, end: usize) -> Self {
        self.span = Some(crate::analysis::template::span(start, end));
        self
    }
}

/// An attribute value as written: a string (quoted or a bare word), or a boolean.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scalar<'a> {
    Str(&'a str),
    Bool(bool),
}

/// `ensure` of the built-in types that have one (`file`, `service`, `package`), and the
/// missing parameter of `exec`. Other types: `None` (not judged).
pub fn check_ensure(resource_type: &str, value: Scalar) -> Option<ValueProblem> {
    match resource_type.to_ascii_lowercase().as_str() {
        "file" => check_file_ensure(value),
        "service" => check_service_ensure(value),
        "package" => check_package_ensure(value),
        "exec" => Some(
            ValueProblem::new(
                ValueProblemKind::NoEnsureParameter,
                Verdict::Rejected,
                "`exec` has no `ensure` parameter: the catalog does not compile".to_string(),
            )
            .help("use `creates`, `onlyif` or `unless` to decide whether it runs"),
        ),
        _ => None,
    }
}

/// Words that are `ensure` values of other types, or of `file` in another case.
const OTHER_ENSURES: &[&str] = &[
    "running",
    "stopped",
    "installed",
    "latest",
    "purged",
    "held",
    "true",
    "enabled",
    "disabled",
    "mask",
    "masked",
    "started",
    "symlink",
    "dir",
];

pub fn check_file_ensure(value: Scalar) -> Option<ValueProblem> {
    let v = match value {
        Scalar::Bool(false) => return None,
        Scalar::Bool(true) => "true",
        Scalar::Str(s) => s,
    };
    if matches!(
        v,
        "present" | "absent" | "file" | "directory" | "link" | "false"
    ) {
        return None;
    }
    if v.starts_with('/') {
        return None; // a link to that absolute path
    }
    let lower = v.trim().to_ascii_lowercase();
    let meant = if matches!(
        lower.as_str(),
        "present" | "absent" | "file" | "directory" | "link"
    ) {
        Some(lower.clone())
    } else if lower == "symlink" {
        Some("link".to_string())
    } else if lower == "dir" {
        Some("directory".to_string())
    } else {
        None
    };
    let mut p = ValueProblem::new(
        ValueProblemKind::EnsureBecomesLink,
        Verdict::Suspicious,
        format!(
            "`ensure => '{v}'` is not a `file` ensure value, so Puppet takes it as a symlink \
             target: the file becomes a link to the relative path `{v}`"
        ),
    );
    p = match meant {
        Some(m) => p.help(format!("write `ensure => {m}`")),
        None if OTHER_ENSURES.contains(&lower.as_str()) => p.help(
            "`file` accepts present, absent, file, directory, link, or an absolute link target",
        ),
        None => p.help(
            "for a link write `ensure => link, target => '/absolute/path'`; relative targets \
             are resolved from the link's directory",
        ),
    };
    Some(p)
}

pub fn check_service_ensure(value: Scalar) -> Option<ValueProblem> {
    let v = match value {
        Scalar::Bool(_) => return None,
        Scalar::Str(s) => s,
    };
    if matches!(v, "running" | "stopped" | "true" | "false") {
        return None;
    }
    let help = match v.trim().to_ascii_lowercase().as_str() {
        "started" | "present" | "up" | "enabled" | "running" | "start" => {
            "write `ensure => running`"
        }
        "absent" | "down" | "disabled" | "stopped" | "stop" | "purged" => {
            "write `ensure => stopped` (and `enable => false` to keep it off at boot)"
        }
        _ => "`service` accepts running, stopped, true or false",
    };
    Some(
        ValueProblem::new(
            ValueProblemKind::UnknownEnsure,
            Verdict::Rejected,
            format!(
                "`service` does not accept `ensure => '{v}'`: Puppet fails with \"Invalid value\""
            ),
        )
        .help(help),
    )
}

pub fn check_package_ensure(value: Scalar) -> Option<ValueProblem> {
    let v = match value {
        Scalar::Bool(b) => {
            return Some(
                ValueProblem::new(
                    ValueProblemKind::EnsureBecomesVersion,
                    Verdict::Suspicious,
                    format!("`ensure => {b}` is not a package state"),
                )
                .help("write `ensure => installed` or `ensure => absent`"),
            )
        }
        Scalar::Str(s) => s,
    };
    if matches!(v, "present" | "installed" | "absent" | "purged" | "latest") {
        return None;
    }
    if v.is_empty() {
        return Some(
            ValueProblem::new(
                ValueProblemKind::UnknownEnsure,
                Verdict::Rejected,
                "`package` does not accept an empty `ensure`".to_string(),
            )
            .help("write `ensure => installed`, or a version string"),
        );
    }
    if v == "held" {
        return Some(
            ValueProblem::new(
                ValueProblemKind::EnsureBecomesVersion,
                Verdict::Suspicious,
                "`ensure => held` is taken as a version string by Puppet 7: apt is asked to \
                 install version `held`"
                    .to_string(),
            )
            .help("write `ensure => installed, mark => hold`"),
        );
    }
    if v == "disabled" {
        return Some(
            ValueProblem::new(
                ValueProblemKind::UnknownEnsure,
                Verdict::Suspicious,
                "`ensure => disabled` works only with providers that can disable packages \
                 (dnfmodule); apt and dpkg fail"
                    .to_string(),
            )
            .help("use `ensure => absent` or `purged`"),
        );
    }
    if v.bytes().any(|b| b.is_ascii_digit()) {
        return None; // a version
    }
    let help = match v.trim().to_ascii_lowercase().as_str() {
        "running" | "true" | "enabled" | "present" | "installed" | "install" | "file" => {
            "write `ensure => installed`"
        }
        "absent" | "removed" | "false" | "uninstalled" | "stopped" | "purged" => {
            "write `ensure => absent` (or `purged`)"
        }
        "latest" | "newest" | "upgraded" => "write `ensure => latest`",
        _ => "`package` accepts present, installed, absent, purged, latest or a version",
    };
    Some(
        ValueProblem::new(
            ValueProblemKind::EnsureBecomesVersion,
            Verdict::Suspicious,
            format!(
                "`ensure => '{v}'` is not a package state, so Puppet takes it as a version: \
                 the install of version `{v}` fails on every run"
            ),
        )
        .help(help),
    )
}

/// A `mode` as written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ModeValue<'a> {
    /// A quoted string or bare word.
    Str(&'a str),
    /// A number literal, with its source text (`0755`, `755`).
    Number(&'a str),
}

fn is_octal_mode(s: &str) -> bool {
    let digits = s.strip_prefix('0').unwrap_or(s);
    let digits = if digits.is_empty() && !s.is_empty() {
        s
    } else {
        digits
    };
    (1..=4).contains(&digits.len()) && digits.bytes().all(|b| (b'0'..=b'7').contains(&b))
}

fn is_symbolic_clause(c: &str) -> bool {
    let who = c.bytes().take_while(|b| b"ugoa".contains(b)).count();
    let rest = &c.as_bytes()[who..];
    !rest.is_empty()
        && b"-=+".contains(&rest[0])
        && rest[1..].iter().all(|b| b"-=+rstwxXugo".contains(b))
}

/// Puppet's own test: `0?[0-7]{1,4}` or comma-separated symbolic clauses.
pub fn is_valid_mode(s: &str) -> bool {
    is_octal_mode(s) || (!s.is_empty() && s.split(',').all(is_symbolic_clause))
}

/// `rwxr-xr-x` → `0755` (with s/S/t/T), for the help text.
fn ls_style_to_octal(s: &str) -> Option<String> {
    let s = s.strip_prefix('-').unwrap_or(s);
    let b = s.as_bytes();
    if b.len() != 9 {
        return None;
    }
    let mut special = 0;
    let mut out = 0;
    for (i, chunk) in b.chunks(3).enumerate() {
        let mut v = 0;
        match chunk[0] {
            b'r' => v |= 4,
            b'-' => {}
            _ => return None,
        }
        match chunk[1] {
            b'w' => v |= 2,
            b'-' => {}
            _ => return None,
        }
        let (x, sp) = match (i, chunk[2]) {
            (_, b'x') => (1, false),
            (_, b'-') => (0, false),
            (0 | 1, b's') | (2, b't') => (1, true),
            (0 | 1, b'S') | (2, b'T') => (0, true),
            _ => return None,
        };
        v |= x;
        if sp {
            special |= 4 >> i;
        }
        out = out * 8 + v;
    }
    Some(format!("{special}{out:03o}"))
}

pub fn check_mode(value: ModeValue) -> Option<ValueProblem> {
    match value {
        ModeValue::Number(raw) => {
            let digits = raw.trim_start_matches('0');
            let as_string = if digits.len() <= 3 {
                format!("0{digits:0>3}")
            } else {
                digits.to_string()
            };
            let help = if is_octal_mode(raw) {
                format!("quote it: `mode => '{as_string}'`")
            } else {
                "write the mode as a quoted octal string, e.g. `mode => '0755'`".to_string()
            };
            Some(
                ValueProblem::new(
                    ValueProblemKind::NumericMode,
                    Verdict::Rejected,
                    format!(
                        "`mode => {raw}` is a number: Puppet 7 refuses it (\"The file mode \
                         specification must be a string\"); Puppet 4–6 only warned"
                    ),
                )
                .help(help),
            )
        }
        ModeValue::Str(s) if is_valid_mode(s) => None,
        ModeValue::Str(s) => {
            let mut p = ValueProblem::new(
                ValueProblemKind::InvalidMode,
                Verdict::Rejected,
                format!(
                    "`mode => '{s}'` is neither an octal mode (up to 4 digits 0–7, with an \
                     optional leading 0) nor a symbolic mode such as `u+x,go-w`"
                ),
            );
            if let Some(o) = ls_style_to_octal(s) {
                p = p.help(format!("`{s}` in octal is `'{o}'`"));
            } else if s.bytes().all(|b| b.is_ascii_digit()) && !s.is_empty() {
                let bad = s.bytes().position(|b| b > b'7');
                p = match bad {
                    Some(i) => p.help("octal digits go from 0 to 7").at(i, i + 1),
                    None => p.help("at most four octal digits after an optional leading 0"),
                };
            } else if s.contains(' ') {
                p = p.help("separate symbolic clauses with commas, without spaces");
            }
            Some(p)
        }
    }
}

/// The path of a `file` (its `path`, else its title): Puppet requires an absolute one and
/// fails the catalog otherwise ("File paths must be fully qualified", checked with
/// `puppet apply` 7.23). Windows paths (`C:/…`, `C:\\…`, `\\\\server\\…`) are left alone: a
/// repository may manage Windows nodes. The empty string is left to the checks of
/// undefined variables.
pub fn check_file_path(s: &str) -> Option<ValueProblem> {
    let b = s.as_bytes();
    let windows =
        (b.len() >= 3 && b[0].is_ascii_alphabetic() && b[1] == b':') || s.starts_with("\\\\");
    if s.is_empty() || s.starts_with('/') || windows {
        return None;
    }
    Some(
        ValueProblem::new(
            ValueProblemKind::RelativePath,
            Verdict::Rejected,
            format!(
                "the path `{s}` is not absolute: Puppet fails the whole run with \"File paths \
                 must be fully qualified\""
            ),
        )
        .help(format!("write `/{}`", s.trim_start_matches("./"))),
    )
}

/// `source` of a `file` (one entry; check every entry of an array).
pub fn check_source(s: &str) -> Option<ValueProblem> {
    if s != s.trim() {
        return Some(
            ValueProblem::new(
                ValueProblemKind::SourceWhitespace,
                Verdict::Suspicious,
                format!("the source `{s}` has leading or trailing whitespace, which is part of the name"),
            )
            .help("remove the whitespace"),
        );
    }
    if s.starts_with('/') {
        return None;
    }
    let scheme_len = s
        .bytes()
        .take_while(|b| b.is_ascii_alphanumeric() || b"+.-".contains(b))
        .count();
    let has_scheme = scheme_len > 0
        && s.as_bytes()[0].is_ascii_alphabetic()
        && s.as_bytes().get(scheme_len) == Some(&b':');
    if !has_scheme {
        return Some(
            ValueProblem::new(
                ValueProblemKind::RelativeSource,
                Verdict::Rejected,
                format!(
                    "the source `{s}` is neither an absolute path nor a URL: Puppet fails with \
                     \"Cannot use relative URLs\""
                ),
            )
            .help("write `puppet:///modules/MODULE/FILE` for a module file, or an absolute path"),
        );
    }
    let scheme = &s[..scheme_len];
    let rest = &s[scheme_len + 1..];
    if !rest.starts_with('/') {
        return Some(
            ValueProblem::new(
                ValueProblemKind::OpaqueSource,
                Verdict::Rejected,
                format!("`{s}` has no `/` after `{scheme}:`: Puppet fails with \"Cannot use opaque URLs\""),
            )
            .help(format!("write `{scheme}:///{}`", rest.trim_start_matches('/'))),
        );
    }
    if !matches!(scheme, "file" | "puppet" | "http" | "https") {
        return Some(
            ValueProblem::new(
                ValueProblemKind::UnsupportedSourceScheme,
                Verdict::Rejected,
                format!(
                    "Puppet cannot fetch `{scheme}:` sources (only puppet, file, http and https)"
                ),
            )
            .help("download it with an `archive` resource or serve it over https")
            .at(0, scheme_len),
        );
    }
    if scheme == "puppet" {
        if let Some(after) = rest.strip_prefix("//") {
            let host_len = after.find('/').unwrap_or(after.len());
            let host = &after[..host_len];
            const MOUNTS: &[&str] = &[
                "modules",
                "files",
                "private",
                "volatile",
                "facts",
                "plugins",
                "pluginfacts",
                "tasks",
            ];
            if MOUNTS.contains(&host) {
                let start = scheme_len + 3;
                return Some(
                    ValueProblem::new(
                        ValueProblemKind::MountAsServer,
                        Verdict::Rejected,
                        format!(
                            "`{s}` has two slashes after `puppet:`, so `{host}` is taken as the \
                             server name and the file cannot be fetched"
                        ),
                    )
                    .help(format!("write `puppet:///{}`", &after))
                    .at(start, start + host_len),
                );
            }
        }
    }
    None
}

/// A string literal given with its **source text**, quotes included (the parser's span of
/// a string covers its quotes, so `&source[expr.span.range()]` is the right input). A
/// single-quoted string containing `${name}` or `${::fact}` does not interpolate.
/// `${UPPER_CASE}` is left alone: that is usually shell syntax meant literally. The span
/// is relative to `raw`. Double-quoted strings and bare words: `None`.
pub fn check_uninterpolated(raw: &str) -> Option<ValueProblem> {
    if !raw.starts_with('\'') {
        return None;
    }
    let (start, end) = puppet_interpolation(raw)?;
    Some(
        uninterpolated(
            &raw[start..end],
            "single-quoted string",
            "use double quotes to interpolate",
        )
        .at(start, end),
    )
}

/// The same check for a heredoc: `opener` is its `@(TAG…)` text, `body` its text. Only a
/// tag in double quotes (`@("EOT")`) interpolates. The span is relative to `body`.
pub fn check_uninterpolated_heredoc(opener: &str, body: &str) -> Option<ValueProblem> {
    let tag = opener.strip_prefix("@(")?;
    if tag.trim_start().starts_with('"') {
        return None;
    }
    let (start, end) = puppet_interpolation(body)?;
    Some(
        uninterpolated(
            &body[start..end],
            "heredoc whose tag is not in double quotes",
            "write the tag in double quotes, `@(\"EOT\")`, to interpolate",
        )
        .at(start, end),
    )
}

fn uninterpolated(expr: &str, container: &str, help: &str) -> ValueProblem {
    ValueProblem::new(
        ValueProblemKind::UninterpolatedVariable,
        Verdict::Suspicious,
        format!(
            "`{expr}` is in a {container}: Puppet does not interpolate it, the value contains \
             these characters literally"
        ),
    )
    .help(help)
}

/// The first `${…}` that looks like a Puppet variable (lower case, `::`, `[`).
fn puppet_interpolation(text: &str) -> Option<(usize, usize)> {
    let mut from = 0;
    while let Some(p) = text[from..].find("${") {
        let start = from + p;
        let inner_start = start + 2;
        let close = text[inner_start..].find('}').map(|e| inner_start + e);
        let inner = &text[inner_start..close.unwrap_or(text.len())];
        let end = close.map_or(text.len(), |c| c + 1);
        let first = inner.bytes().next().unwrap_or(b'A');
        let puppet_like = inner.contains("::")
            || inner.contains('[')
            || first.is_ascii_lowercase()
            || first == b'_' && inner.bytes().any(|b| b.is_ascii_lowercase());
        if puppet_like {
            return Some((start, end));
        }
        from = inner_start;
    }
    None
}

// ---------------------------------------------------------------------------------------
// From the syntax tree

/// Checks one attribute of a built-in resource as written in a manifest: `ensure` of
/// `file`/`service`/`package`/`exec`, `mode` and `source` of `file`, and, for any
/// attribute, single-quoted strings and non-interpolating heredocs containing `${…}`.
/// Arrays are checked element by element (`source => [ … ]`). Values that are not
/// literals (variables, calls, interpolated strings) are not judged.
///
/// `source` is the text of the file the expression was parsed from: every returned span
/// is a byte range in that file (always `Some`).
pub fn check_attribute(
    type_name: &str,
    attr: &str,
    value: &crate::ast::Expr,
    source: &str,
) -> Vec<ValueProblem> {
    check_attribute_in(type_name, attr, value, source, false)
}

/// [`check_attribute`] for every attribute of one resource body; knows the siblings (a
/// `file` with a `target` is a link to that target whatever its `ensure` word says).
pub fn check_attributes(
    type_name: &str,
    attrs: &[crate::ast::AttrOp],
    source: &str,
) -> Vec<ValueProblem> {
    let has_target = attrs.iter().any(|a| a.name == "target");
    attrs
        .iter()
        .flat_map(|a| check_attribute_in(type_name, &a.name, &a.value, source, has_target))
        .collect()
}

fn check_attribute_in(
    type_name: &str,
    attr: &str,
    value: &crate::ast::Expr,
    source: &str,
    has_target: bool,
) -> Vec<ValueProblem> {
    use crate::ast::ExprKind;
    let mut out = Vec::new();
    let ty = type_name.to_ascii_lowercase();
    match &value.kind {
        ExprKind::Array(items) => {
            for item in items {
                out.extend(check_attribute_in(
                    type_name, attr, item, source, has_target,
                ));
            }
            return out;
        }
        ExprKind::Paren(inner) => {
            return check_attribute_in(type_name, attr, inner, source, has_target)
        }
        _ => {}
    }
    let raw = source.get(value.span.range()).unwrap_or("");
    let text: Option<&str> = match &value.kind {
        ExprKind::Str(s) | ExprKind::Name(s) | ExprKind::Word(s) => Some(s),
        _ => None,
    };
    // Where the unescaped text sits in the file, when it can be told: a bare word, or a
    // quoted string without escapes.
    let text_offset = text.and_then(|t| {
        if raw == t {
            Some(value.span.start)
        } else if raw.len() == t.len() + 2 && raw.get(1..raw.len() - 1) == Some(t) {
            Some(value.span.start + 1)
        } else {
            None
        }
    });
    let place = |mut p: ValueProblem| {
        p.span = Some(match (p.span, text_offset) {
            (Some(rel), Some(base)) => Span::new(base + rel.start, base + rel.end),
            _ => value.span,
        });
        p
    };
    match (attr, ty.as_str()) {
        ("ensure", "file" | "service" | "package" | "exec") => {
            let scalar = match (&value.kind, text) {
                (ExprKind::Bool(b), _) => Some(Scalar::Bool(*b)),
                (_, Some(t)) => Some(Scalar::Str(t)),
                _ => None,
            };
            let problem = match scalar {
                Some(_) if ty == "file" && has_target => None,
                Some(s) => check_ensure(&ty, s),
                // `exec` has no ensure whatever its value.
                None if ty == "exec" => check_ensure("exec", Scalar::Str("")),
                None => None,
            };
            out.extend(problem.map(place));
        }
        ("mode", "file") => {
            let mode = match (&value.kind, text) {
                (ExprKind::Integer { .. } | ExprKind::Float(_), _) => Some(ModeValue::Number(raw)),
                (_, Some(t)) => Some(ModeValue::Str(t)),
                _ => None,
            };
            out.extend(mode.and_then(check_mode).map(place));
        }
        ("source", "file") => {
            if let Some(t) = text {
                out.extend(check_source(t).map(place));
            }
        }
        _ => {}
    }
    match &value.kind {
        ExprKind::Str(_) => {
            if let Some(mut p) = check_uninterpolated(raw) {
                p.span = p
                    .span
                    .map(|s| Span::new(value.span.start + s.start, value.span.start + s.end));
                out.push(p);
            }
        }
        ExprKind::Heredoc { text, .. } => {
            let opener_end = raw.find(')').map_or(raw.len(), |p| p + 1);
            let opener = &raw[..opener_end];
            let body = source.get(text.span.range()).unwrap_or("");
            if let Some(mut p) = check_uninterpolated_heredoc(opener, body) {
                p.span = p
                    .span
                    .map(|s| Span::new(text.span.start + s.start, text.span.start + s.end));
                out.push(p);
            }
        }
        _ => {}
    }
    out
}
