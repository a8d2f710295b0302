//! Evaluated values: what a Puppet expression is known to be, or honestly not.
//!
//! A [`Value::Symbolic`] stands for something the static evaluator cannot know (a fact, the
//! result of a custom function, a hiera key that is not in the repository). It keeps a
//! display form (`/usr/bin/${unknown}`) and a pattern of known and unknown parts, and it
//! never equals anything, not even another symbolic value with the same display.

use std::fmt;
use std::sync::Arc;

use smol_str::SmolStr;

/// One piece of a partly known string.
#[derive(Clone, Debug, PartialEq)]
pub enum SymPart {
    Lit(SmolStr),
    /// An unknown run of characters (displayed as the expression it came from).
    Unknown(SmolStr),
}

/// A value that could not be evaluated.
#[derive(Clone, Debug, PartialEq)]
pub struct Symbolic {
    /// Known and unknown pieces, in order. A wholly unknown value is one `Unknown` part.
    pub parts: Vec<SymPart>,
}

impl Symbolic {
    /// A wholly unknown value, displayed as `${what}`.
    pub fn unknown(what: impl Into<String>) -> Self {
        Symbolic {
            parts: vec![SymPart::Unknown(what.into().into())],
        }
    }

    /// The display form: literal parts as written, unknown parts as `${expr}`.
    pub fn display(&self) -> String {
        let mut s = String::new();
        for p in &self.parts {
            match p {
                SymPart::Lit(t) => s.push_str(t),
                SymPart::Unknown(e) => {
                    s.push_str("${");
                    s.push_str(e);
                    s.push('}');
                }
            }
        }
        s
    }

    /// The known text before the first unknown part (`/usr/bin/` for `/usr/bin/${x}`).
    pub fn known_prefix(&self) -> &str {
        match self.parts.first() {
            Some(SymPart::Lit(t)) => t,
            _ => "",
        }
    }

    /// Whether some value of this pattern could be `candidate` (each unknown part matches
    /// any run of characters, including none). A glob match, never an equality.
    pub fn could_be(&self, candidate: &str) -> bool {
        glob_match(&self.parts, candidate)
    }

    /// Whether any part is known text (a pattern worth matching against files).
    pub fn has_literal(&self) -> bool {
        self.parts
            .iter()
            .any(|p| matches!(p, SymPart::Lit(t) if !t.is_empty()))
    }
}

/// `parts` as a glob over `s`: literal parts match themselves, unknown parts any run of
/// characters. Iterative and linear in `s` per literal (a recursive matcher was
/// exponential in the number of unknown parts and recursed once per part, which a
/// manifest controls).
fn glob_match(parts: &[SymPart], s: &str) -> bool {
    // The literal runs between unknown parts: `lit0 * lit1 * … * litN`.
    let mut runs: Vec<String> = vec![String::new()];
    for p in parts {
        match p {
            SymPart::Lit(t) => {
                if let Some(last) = runs.last_mut() {
                    last.push_str(t);
                }
            }
            SymPart::Unknown(_) => runs.push(String::new()),
        }
    }
    let (first, rest) = match runs.split_first() {
        Some(x) => x,
        None => return s.is_empty(),
    };
    let Some((last, middle)) = rest.split_last() else {
        return s == first.as_str(); // no unknown part
    };
    let Some(body) = s.strip_prefix(first.as_str()) else {
        return false;
    };
    let Some(mut body) = body.strip_suffix(last.as_str()) else {
        return false;
    };
    // Leftmost match of each middle run is optimal for `*`-only globs.
    for m in middle {
        match body.find(m.as_str()) {
            Some(at) => body = &body[at + m.len()..],
            None => return false,
        }
    }
    true
}

/// A repository file named by `template('m/t')`, `epp('m/t')`, `file('m/f')` or a
/// `puppet:///modules/m/f` source.
#[derive(Clone, Debug, PartialEq)]
pub struct FileRef {
    /// `template`, `epp`, `file`, `source`.
    pub func: String,
    /// The argument as evaluated (may be partly symbolic).
    pub spec: Box<Value>,
    /// The repository path it resolves to through the modulepath, when it exists.
    pub resolved: Option<String>,
    /// Resolved by matching a partly symbolic spec against the repository's files.
    pub inferred: bool,
}

impl FileRef {
    pub fn spec_display(&self) -> String {
        match &*self.spec {
            Value::Str(s) => s.to_string(),
            Value::Symbolic(s) => s.display(),
            v => v.to_string(),
        }
    }
}

/// At most this many alternatives in a [`Value::OneOf`]; more become unknown.
pub const MAX_ALTERNATIVES: usize = 16;
/// At most this many value nodes across the alternatives of a [`Value::OneOf`].
pub const MAX_WEIGHT: usize = 512;

/// An evaluated Puppet value.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Undef,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(SmolStr),
    /// Arrays and hashes are shared, not copied, when a value is passed on: a node's
    /// list of hosts handed to a define declared per check is one allocation, not one per
    /// resource. [`Arc::make_mut`] copies on write.
    Array(Arc<Vec<Value>>),
    /// Insertion-ordered, as in Puppet.
    Hash(Arc<Vec<(Value, Value)>>),
    /// `File['/x']`, `Class['k8s']`: type lowercase, class titles lowercase without `::`.
    Ref {
        ty: SmolStr,
        title: Box<Value>,
    },
    /// A bare type: `File`, `String`, `Optional[String]` (display form).
    Type(SmolStr),
    Regex(SmolStr),
    Default,
    Symbolic(Symbolic),
    /// The content of repository files rendered by `template()`, `epp()` or `file()`: not
    /// evaluated (nothing is executed), but which files it comes from is known.
    Content(Vec<FileRef>),
    /// One of several values, chosen by something unknown (a selector or `case` over a
    /// symbolic value, a variable assigned in both branches of an unknown `if`).
    OneOf(Vec<Value>),
}

/// Containers (arrays, hashes, references, alternatives) nest at most this deep in a
/// value; a deeper one becomes unknown ([`Value::capped`]). Real data nests a few levels,
/// but a manifest can build any depth through variables (`$a1 = [$a0]`, `$a2 = [$a1]`,
/// …), and cloning, comparing or dropping a value recurses once per level: 5,000 levels
/// overflowed the stack of the thread evaluating the manifest.
pub const MAX_DEPTH: usize = 64;

/// At most this many nodes in one value ([`Value::capped`]): `$a1 = $a0 + $a0` forty
/// times over asked for 2^40 elements.
pub const MAX_NODES: usize = 100_000;

/// Interpolated text longer than this becomes unknown (`"${s}${s}"` doubles, too).
pub const MAX_TEXT: usize = 1 << 20;

/// The elements of a shared array or hash, taken without copying when nothing else
/// holds them.
pub fn owned<T: Clone>(a: Arc<Vec<T>>) -> Vec<T> {
    Arc::try_unwrap(a).unwrap_or_else(|a| (*a).clone())
}

impl Value {
    /// An array value.
    pub fn array(items: Vec<Value>) -> Value {
        Value::Array(Arc::new(items))
    }

    /// A hash value (insertion-ordered).
    pub fn hash(entries: Vec<(Value, Value)>) -> Value {
        Value::Hash(Arc::new(entries))
    }

    /// `self`, or an unknown value when its containers nest deeper than [`MAX_DEPTH`] or
    /// it holds more than [`MAX_NODES`] values. Applied where the evaluator builds a
    /// container from other values.
    pub fn capped(self) -> Value {
        let mut budget = MAX_NODES;
        if self.too_big(MAX_DEPTH, &mut budget) {
            Value::unknown("a value too deep or too large to follow")
        } else {
            self
        }
    }

    /// Whether containers nest more than `n` levels, or the nodes exceed `budget`
    /// (never recurses past `n`, never visits more than `budget` nodes).
    fn too_big(&self, n: usize, budget: &mut usize) -> bool {
        let Some(left) = budget.checked_sub(1) else {
            return true;
        };
        *budget = left;
        let Some(m) = n.checked_sub(1) else {
            return self.is_container();
        };
        match self {
            Value::Array(a) => a.iter().any(|v| v.too_big(m, budget)),
            Value::OneOf(a) => a.iter().any(|v| v.too_big(m, budget)),
            Value::Hash(h) => h
                .iter()
                .any(|(k, v)| k.too_big(m, budget) || v.too_big(m, budget)),
            Value::Ref { title, .. } => title.too_big(m, budget),
            Value::Content(refs) => refs.iter().any(|r| r.spec.too_big(m, budget)),
            _ => false,
        }
    }

    fn is_container(&self) -> bool {
        matches!(
            self,
            Value::Array(_)
                | Value::OneOf(_)
                | Value::Hash(_)
                | Value::Ref { .. }
                | Value::Content(_)
        )
    }

    pub fn str(s: impl Into<SmolStr>) -> Value {
        Value::Str(s.into())
    }

    pub fn unknown(what: impl Into<String>) -> Value {
        Value::Symbolic(Symbolic::unknown(what))
    }

    /// `undef` or the empty string: what a parameter holds before anyone sets it.
    pub fn is_placeholder(&self) -> bool {
        match self {
            Value::Undef => true,
            Value::Str(s) => s.is_empty(),
            _ => false,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn is_undef(&self) -> bool {
        matches!(self, Value::Undef)
    }

    /// Whether the value is fully known (no symbolic part and no alternatives inside).
    pub fn is_known(&self) -> bool {
        match self {
            Value::Symbolic(_) | Value::OneOf(_) | Value::Content(_) => false,
            Value::Array(a) => a.iter().all(Value::is_known),
            Value::Hash(h) => h.iter().all(|(k, v)| k.is_known() && v.is_known()),
            Value::Ref { title, .. } => title.is_known(),
            _ => true,
        }
    }

    /// Number of symbolic leaves (for statistics).
    pub fn symbolic_count(&self) -> usize {
        match self {
            Value::Symbolic(_) => 1,
            Value::OneOf(v) => v.iter().map(Value::symbolic_count).sum(),
            Value::Array(v) => v.iter().map(Value::symbolic_count).sum(),
            Value::Hash(h) => h
                .iter()
                .map(|(k, v)| k.symbolic_count() + v.symbolic_count())
                .sum(),
            Value::Ref { title, .. } => title.symbolic_count(),
            _ => 0,
        }
    }

    /// Puppet truthiness: `undef` and `false` are false, everything else true.
    /// `None` when unknown.
    pub fn truthy(&self) -> Option<bool> {
        match self {
            Value::Undef => Some(false),
            Value::Bool(b) => Some(*b),
            Value::Symbolic(_) => None,
            Value::OneOf(vs) => {
                let first = vs.first()?.truthy()?;
                vs.iter()
                    .all(|v| v.truthy() == Some(first))
                    .then_some(first)
            }
            _ => Some(true),
        }
    }

    /// Puppet `==`: strings compare case-insensitively; `None` when either side is unknown.
    pub fn known_eq(&self, other: &Value) -> Option<bool> {
        match (self, other) {
            (Value::Symbolic(_), _) | (_, Value::Symbolic(_)) => None,
            (Value::Content(_), _) | (_, Value::Content(_)) => None,
            (Value::OneOf(a), b) | (b, Value::OneOf(a)) => {
                let r: Vec<Option<bool>> = a.iter().map(|x| x.known_eq(b)).collect();
                if r.iter().all(|x| *x == Some(true)) {
                    Some(true)
                } else if r.iter().all(|x| *x == Some(false)) {
                    Some(false)
                } else {
                    None
                }
            }
            (Value::Str(a), Value::Str(b)) => Some(a.eq_ignore_ascii_case(b)),
            (Value::Int(a), Value::Int(b)) => Some(a == b),
            (Value::Float(a), Value::Float(b)) => Some(a == b),
            (Value::Int(a), Value::Float(b)) | (Value::Float(b), Value::Int(a)) => {
                Some(*a as f64 == *b)
            }
            (Value::Array(a), Value::Array(b)) => {
                if a.len() != b.len() {
                    return Some(false);
                }
                let mut all = Some(true);
                for (x, y) in a.iter().zip(b.iter()) {
                    match x.known_eq(y) {
                        Some(false) => return Some(false),
                        None => all = None,
                        Some(true) => {}
                    }
                }
                all
            }
            (Value::Hash(a), Value::Hash(b)) => {
                if a.len() != b.len() {
                    return Some(false);
                }
                let mut all = Some(true);
                for (k, v) in a.iter() {
                    match b.iter().find(|(k2, _)| k.known_eq(k2) == Some(true)) {
                        None => {
                            if !k.is_known() {
                                all = None
                            } else {
                                return Some(false);
                            }
                        }
                        Some((_, v2)) => match v.known_eq(v2) {
                            Some(false) => return Some(false),
                            None => all = None,
                            Some(true) => {}
                        },
                    }
                }
                all
            }
            (Value::Ref { ty: t1, title: a }, Value::Ref { ty: t2, title: b }) => {
                if t1 != t2 {
                    Some(false)
                } else {
                    a.known_eq(b)
                }
            }
            (Value::Type(a), Value::Type(b)) => Some(a.eq_ignore_ascii_case(b)),
            (Value::Regex(a), Value::Regex(b)) => Some(a == b),
            (Value::Default, Value::Default) | (Value::Undef, Value::Undef) => Some(true),
            (Value::Bool(a), Value::Bool(b)) => Some(a == b),
            _ => Some(false),
        }
    }

    /// The text of a string, number or boolean as interpolation would render it.
    pub fn to_text(&self) -> Option<String> {
        match self {
            Value::Str(s) => Some(s.to_string()),
            Value::Int(i) => Some(i.to_string()),
            Value::Float(f) => Some(f.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            Value::Undef => Some(String::new()),
            Value::Type(t) => Some(t.to_string()),
            Value::Ref { .. } | Value::Array(_) | Value::Hash(_) if self.is_known() => {
                Some(self.to_string())
            }
            _ => None,
        }
    }

    /// Interpolation pieces for building strings: literal text or unknown parts.
    pub fn to_parts(&self) -> Vec<SymPart> {
        match self {
            Value::Symbolic(s) => s.parts.clone(),
            v => match v.to_text() {
                Some(t) => vec![SymPart::Lit(t.into())],
                None => vec![SymPart::Unknown(v.to_string().into())],
            },
        }
    }

    /// Build a string from parts: a plain `Str` when all parts are known.
    pub fn from_parts(parts: Vec<SymPart>) -> Value {
        // Adjacent literal pieces are joined in one buffer, then stored once.
        let mut merged: Vec<SymPart> = Vec::with_capacity(parts.len());
        let mut lit = String::new();
        for p in parts {
            match p {
                SymPart::Lit(t) => lit.push_str(&t),
                unknown => {
                    if !lit.is_empty() {
                        merged.push(SymPart::Lit(std::mem::take(&mut lit).into()));
                    }
                    merged.push(unknown);
                }
            }
        }
        let text_len = merged.iter().fold(lit.len(), |n, p| match p {
            SymPart::Lit(t) | SymPart::Unknown(t) => n.saturating_add(t.len()),
        });
        if text_len > MAX_TEXT || merged.len() > MAX_NODES {
            return Value::unknown("a text too long to follow");
        }
        if merged.is_empty() {
            return Value::Str(lit.into());
        }
        if !lit.is_empty() {
            merged.push(SymPart::Lit(lit.into()));
        }
        Value::Symbolic(Symbolic { parts: merged })
    }

    /// Flatten nested arrays (and alternatives) into a list of leaves.
    pub fn flatten_into(&self, out: &mut Vec<Value>) {
        match self {
            Value::Array(a) => a.iter().for_each(|v| v.flatten_into(out)),
            v => out.push(v.clone()),
        }
    }

    /// Every concrete possibility: the alternatives of a `OneOf`, else the value itself.
    pub fn alternatives(&self) -> Vec<&Value> {
        match self {
            Value::OneOf(v) => v.iter().flat_map(Value::alternatives).collect(),
            v => vec![v],
        }
    }

    /// A set of alternatives, deduplicated; one value collapses to itself.
    pub fn one_of(values: Vec<Value>) -> Value {
        let mut out: Vec<Value> = Vec::new();
        for v in values {
            let leaves = match v {
                Value::OneOf(inner) => inner,
                v => vec![v],
            };
            for l in leaves {
                if !out.contains(&l) {
                    out.push(l);
                }
            }
        }
        if out.len() == 1 {
            out.pop().unwrap_or(Value::Undef)
        } else if out.len() > MAX_ALTERNATIVES
            || out.iter().map(Value::weight).sum::<usize>() > MAX_WEIGHT
        {
            // Too many possibilities to be useful: say so instead of growing without bound.
            Value::unknown(format!("one of {} values", out.len()))
        } else {
            Value::OneOf(out)
        }
    }

    /// Number of nodes in the value (saturating), to bound the size of alternatives.
    pub fn weight(&self) -> usize {
        match self {
            Value::Array(a) => a.iter().fold(1usize, |n, v| n.saturating_add(v.weight())),
            Value::OneOf(a) => a.iter().fold(1usize, |n, v| n.saturating_add(v.weight())),
            Value::Hash(h) => h.iter().fold(1usize, |n, (k, v)| {
                n.saturating_add(k.weight()).saturating_add(v.weight())
            }),
            Value::Ref { title, .. } => 1 + title.weight(),
            _ => 1,
        }
    }

    pub fn hash_get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Hash(h) => h
                .iter()
                .find(|(k, _)| k.as_str() == Some(key))
                .map(|(_, v)| v),
            _ => None,
        }
    }

    /// JSON form used by `resources --format json` and by tests.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::{json, Value as J};
        match self {
            Value::Undef => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Int(i) => json!(i),
            Value::Float(f) => json!(f),
            Value::Str(s) => J::String(s.to_string()),
            Value::Array(a) => J::Array(a.iter().map(Value::to_json).collect()),
            Value::Hash(h) => {
                let mut m = serde_json::Map::new();
                for (k, v) in h.iter() {
                    let key = k.to_text().unwrap_or_else(|| k.to_string());
                    m.insert(key, v.to_json());
                }
                J::Object(m)
            }
            Value::Ref { .. } | Value::Type(_) => J::String(self.to_string()),
            Value::Regex(r) => json!({ "regex": r }),
            Value::Default => J::String("default".into()),
            Value::Symbolic(s) => json!({ "unknown": s.display() }),
            Value::Content(refs) => J::Array(
                refs.iter()
                    .map(|r| {
                        json!({
                            r.func.clone(): r.spec_display(),
                            "resolved": r.resolved,
                            "inferred": r.inferred,
                        })
                    })
                    .collect(),
            ),
            Value::OneOf(v) => {
                json!({ "one_of": v.iter().map(Value::to_json).collect::<Vec<_>>() })
            }
        }
    }
}

pub use crate::diagnostic::capitalize_type;

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Undef => f.write_str("undef"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Int(i) => write!(f, "{i}"),
            Value::Float(x) => write!(f, "{x}"),
            Value::Str(s) => write!(
                f,
                "'{}'",
                s.replace('\\', "\\\\")
                    .replace('\n', "\\n")
                    .replace('\'', "\\'")
            ),
            Value::Array(a) => {
                f.write_str("[")?;
                for (i, v) in a.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{v}")?;
                }
                f.write_str("]")
            }
            Value::Hash(h) => {
                f.write_str("{")?;
                for (i, (k, v)) in h.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{k} => {v}")?;
                }
                f.write_str("}")
            }
            Value::Ref { ty, title } => write!(f, "{}[{}]", capitalize_type(ty), title),
            Value::Type(t) => f.write_str(t),
            Value::Regex(r) => write!(f, "/{r}/"),
            Value::Default => f.write_str("default"),
            Value::Symbolic(s) => write!(f, "\"{}\"", s.display()),
            Value::Content(refs) => {
                for (i, r) in refs.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" + ")?;
                    }
                    write!(f, "{}('{}')", r.func, r.spec_display())?;
                }
                Ok(())
            }
            Value::OneOf(v) => {
                f.write_str("one of (")?;
                for (i, x) in v.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" | ")?;
                    }
                    write!(f, "{x}")?;
                }
                f.write_str(")")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The backtracking matcher `glob_match` replaced (exponential in the unknown parts),
    /// as the reference on small inputs.
    fn glob_reference(parts: &[SymPart], s: &str) -> bool {
        match parts.split_first() {
            None => s.is_empty(),
            Some((SymPart::Lit(t), rest)) => s
                .strip_prefix(t.as_str())
                .is_some_and(|r| glob_reference(rest, r)),
            Some((SymPart::Unknown(_), rest)) => s
                .char_indices()
                .map(|(i, _)| i)
                .chain(std::iter::once(s.len()))
                .any(|i| glob_reference(rest, &s[i..])),
        }
    }

    fn sym_part() -> impl Strategy<Value = SymPart> {
        prop_oneof![
            "[ab/é]{0,3}".prop_map(|t: String| SymPart::Lit(t.into())),
            Just(SymPart::Unknown("x".into())),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn glob_match_agrees_with_backtracking(
            parts in proptest::collection::vec(sym_part(), 0..6),
            s in "[ab/é]{0,8}",
        ) {
            prop_assert_eq!(glob_match(&parts, &s), glob_reference(&parts, &s));
        }
    }

    #[test]
    fn from_parts_joins_adjacent_literals() {
        let lit = |t: &str| SymPart::Lit(t.into());
        let unk = |t: &str| SymPart::Unknown(t.into());
        assert_eq!(
            Value::from_parts(vec![lit("/usr/"), lit("bin")]),
            Value::str("/usr/bin")
        );
        assert_eq!(Value::from_parts(vec![]), Value::str(""));
        let v = Value::from_parts(vec![lit("/a/"), lit(""), unk("x"), lit("/"), lit("b")]);
        assert_eq!(
            v,
            Value::Symbolic(Symbolic {
                parts: vec![lit("/a/"), unk("x"), lit("/b")]
            })
        );
        assert_eq!(v.to_string(), "\"/a/${x}/b\"");
    }

    #[test]
    fn symbolic_never_equals() {
        let a = Value::unknown("x");
        assert_eq!(a.known_eq(&a.clone()), None);
        assert_eq!(a.known_eq(&Value::str("x")), None);
        assert_eq!(Value::str("A").known_eq(&Value::str("a")), Some(true));
        assert_eq!(Value::str("a").known_eq(&Value::str("b")), Some(false));
    }

    #[test]
    fn pattern_matches_like_a_glob() {
        let v = Value::from_parts(vec![
            SymPart::Lit("k8s/initscripts/".into()),
            SymPart::Unknown("kind".into()),
            SymPart::Lit(".erb".into()),
        ]);
        let Value::Symbolic(s) = v else {
            panic!("expected symbolic")
        };
        assert!(s.could_be("k8s/initscripts/systemd.erb"));
        assert!(!s.could_be("k8s/initscripts/systemd.epp"));
        assert_eq!(s.display(), "k8s/initscripts/${kind}.erb");
        assert_eq!(s.known_prefix(), "k8s/initscripts/");
    }

    #[test]
    fn known_parts_collapse_to_string() {
        let v = Value::from_parts(vec![SymPart::Lit("/a".into()), SymPart::Lit("/b".into())]);
        assert_eq!(v, Value::str("/a/b"));
    }

    #[test]
    fn one_of_dedups_and_truthiness() {
        let v = Value::one_of(vec![Value::str("a"), Value::str("a")]);
        assert_eq!(v, Value::str("a"));
        let w = Value::one_of(vec![Value::Bool(true), Value::str("x")]);
        assert_eq!(w.truthy(), Some(true));
        let u = Value::one_of(vec![Value::Bool(false), Value::str("x")]);
        assert_eq!(u.truthy(), None);
    }
}
