//! Pure stdlib functions evaluated when their arguments are known. Anything else is
//! symbolic: a custom function's result is unknown.

use super::value::{SymPart, Value};

/// Evaluate `name(args)` if it is a known pure function. `None`: not one of ours.
/// `Some(Symbolic)`: ours, but an argument is unknown.
pub fn call_pure(name: &str, args: &[Value]) -> Option<Value> {
    let unknown = || Value::unknown(format!("{name}(…)"));
    let known = args.iter().all(Value::is_known);
    let v = match name {
        "merge" => {
            // Only the hashes' structure must be known: a value that is symbolic (a fact)
            // stays symbolic under its key.
            let mut out: Vec<(Value, Value)> = Vec::new();
            for a in args {
                match a {
                    Value::Hash(h) if h.iter().all(|(k, _)| k.is_known()) => {
                        for (k, v) in h.iter() {
                            match out.iter_mut().find(|(k2, _)| k2 == k) {
                                Some(slot) => slot.1 = v.clone(),
                                None => out.push((k.clone(), v.clone())),
                            }
                        }
                    }
                    Value::Undef => {}
                    Value::Str(s) if s.is_empty() => {}
                    _ => return Some(unknown()),
                }
            }
            Value::hash(out)
        }
        "pick" | "pick_default" => {
            let (cands, fallback) = if name == "pick_default" && !args.is_empty() {
                (&args[..args.len() - 1], args.last().cloned())
            } else {
                (args, None)
            };
            for a in cands {
                match a {
                    Value::Undef => continue,
                    Value::Str(s) if s.is_empty() => continue,
                    v if !v.is_known() && !matches!(v, Value::Content(_)) => {
                        return Some(Value::unknown(format!("{name}(…)")))
                    }
                    v => return Some(v.clone()),
                }
            }
            fallback.unwrap_or_else(unknown)
        }
        "concat" => {
            let mut out = Vec::new();
            for a in args {
                match a {
                    Value::Array(x) => out.extend(x.iter().cloned()),
                    v => out.push(v.clone()),
                }
            }
            Value::array(out)
        }
        "join" => match (args.first(), args.get(1)) {
            (Some(Value::Array(a)), sep) => {
                let sep = match sep {
                    Some(Value::Str(s)) => s.clone(),
                    None => String::new().into(),
                    Some(_) => return Some(unknown()),
                };
                let mut parts = Vec::new();
                for (i, v) in a.iter().enumerate() {
                    if i > 0 {
                        parts.push(SymPart::Lit(sep.clone()));
                    }
                    parts.extend(v.to_parts());
                }
                Value::from_parts(parts)
            }
            _ => unknown(),
        },
        "split" => match (args.first(), args.get(1)) {
            (Some(Value::Str(s)), Some(Value::Str(sep) | Value::Regex(sep)))
                if !sep.is_empty() && sep.chars().all(|c| !"\\.^$*+?()[]{}|".contains(c)) =>
            {
                Value::array(s.split(sep.as_str()).map(Value::str).collect())
            }
            (Some(Value::Str(s)), Some(Value::Regex(sep))) if sep == "\\s+" || sep == "\\s" => {
                Value::array(s.split_whitespace().map(Value::str).collect())
            }
            _ => unknown(),
        },
        "sprintf" => match args.split_first() {
            Some((Value::Str(fmt), rest)) => sprintf(fmt, rest).unwrap_or_else(unknown),
            _ => unknown(),
        },
        "downcase" | "upcase" | "capitalize" | "strip" | "chomp" => {
            map_strings(&args[..args.len().min(1)], name).unwrap_or_else(unknown)
        }
        "basename" => match (args.first(), args.get(1)) {
            (Some(Value::Str(p)), ext) => {
                let base = p.trim_end_matches('/').rsplit('/').next().unwrap_or("");
                let base = match ext {
                    Some(Value::Str(e)) => base.strip_suffix(e.as_str()).unwrap_or(base),
                    _ => base,
                };
                Value::str(base)
            }
            _ => unknown(),
        },
        "dirname" => match args.first() {
            Some(Value::Str(p)) => {
                let t = p.trim_end_matches('/');
                Value::str(match t.rfind('/') {
                    Some(0) => "/",
                    Some(i) => &t[..i],
                    None => ".",
                })
            }
            _ => unknown(),
        },
        "flatten" => {
            let mut out = Vec::new();
            for a in args {
                a.flatten_into(&mut out);
            }
            Value::array(out)
        }
        "unique" => match args.first() {
            Some(Value::Array(a)) if known => {
                let mut out: Vec<Value> = Vec::new();
                for v in a.iter() {
                    if !out.contains(v) {
                        out.push(v.clone());
                    }
                }
                Value::array(out)
            }
            _ => unknown(),
        },
        "keys" | "values" => match args.first() {
            Some(Value::Hash(h)) => Value::array(
                h.iter()
                    .map(|(k, v)| if name == "keys" { k.clone() } else { v.clone() })
                    .collect(),
            ),
            _ => unknown(),
        },
        "any2array" => match args {
            [Value::Array(a)] => Value::Array(a.clone()),
            [Value::Undef] | [] => Value::array(vec![]),
            [v] => Value::array(vec![v.clone()]),
            vs => Value::array(vs.to_vec()),
        },
        "size" | "length" | "count" => match args.first() {
            Some(Value::Array(a)) => Value::Int(a.len() as i64),
            Some(Value::Hash(h)) => Value::Int(h.len() as i64),
            Some(Value::Str(s)) => Value::Int(s.chars().count() as i64),
            _ => unknown(),
        },
        "empty" => match args.first() {
            Some(Value::Array(a)) => Value::Bool(a.is_empty()),
            Some(Value::Hash(h)) => Value::Bool(h.is_empty()),
            Some(Value::Str(s)) => Value::Bool(s.is_empty()),
            Some(Value::Undef) => Value::Bool(true),
            _ => unknown(),
        },
        "member" => match (args.first(), args.get(1)) {
            (Some(Value::Array(a)), Some(x)) if known => {
                Value::Bool(a.iter().any(|v| v.known_eq(x) == Some(true)))
            }
            _ => unknown(),
        },
        "has_key" => match (args.first(), args.get(1)) {
            (Some(Value::Hash(h)), Some(k)) if known => {
                Value::Bool(h.iter().any(|(k2, _)| k2.known_eq(k) == Some(true)))
            }
            _ => unknown(),
        },
        "prefix" | "suffix" => match (args.first(), args.get(1)) {
            (Some(Value::Array(a)), Some(Value::Str(p))) => Value::array(
                a.iter()
                    .map(|v| {
                        let mut parts = v.to_parts();
                        if name == "prefix" {
                            parts.insert(0, SymPart::Lit(p.clone()));
                        } else {
                            parts.push(SymPart::Lit(p.clone()));
                        }
                        Value::from_parts(parts)
                    })
                    .collect(),
            ),
            _ => unknown(),
        },
        "bool2str" => match args.first() {
            Some(Value::Bool(b)) => Value::str(b.to_string()),
            _ => unknown(),
        },
        "str2bool" => match args.first() {
            Some(Value::Str(s)) => Value::Bool(matches!(s.as_str(), "true" | "yes" | "y" | "1")),
            Some(Value::Bool(b)) => Value::Bool(*b),
            _ => unknown(),
        },
        _ => return None,
    };
    // `any2array($a, $b)`, `concat([], $h)`: results may nest one level deeper.
    Some(v.capped())
}

fn map_strings(args: &[Value], name: &str) -> Option<Value> {
    let f = |s: &str| -> String {
        match name {
            "downcase" => s.to_lowercase(),
            "upcase" => s.to_uppercase(),
            "strip" => s.trim().to_string(),
            "chomp" => s.trim_end_matches(['\n', '\r']).to_string(),
            _ => {
                let mut c = s.chars();
                match c.next() {
                    Some(first) => first.to_uppercase().chain(c).collect(),
                    None => String::new(),
                }
            }
        }
    };
    match args.first()? {
        Value::Str(s) => Some(Value::Str(f(s).into())),
        Value::Array(a) => a
            .iter()
            .map(|v| v.as_str().map(|s| Value::Str(f(s).into())))
            .collect::<Option<Vec<_>>>()
            .map(Value::array),
        _ => None,
    }
}

/// `%s`, `%d`, `%i`, `%%` only; anything else (widths, floats) is left unknown.
fn sprintf(fmt: &str, args: &[Value]) -> Option<Value> {
    let mut parts = Vec::new();
    let mut lit = String::new();
    let mut it = fmt.chars();
    let mut next_arg = args.iter();
    while let Some(c) = it.next() {
        if c != '%' {
            lit.push(c);
            continue;
        }
        match it.next()? {
            '%' => lit.push('%'),
            's' | 'd' | 'i' => {
                parts.push(SymPart::Lit(std::mem::take(&mut lit).into()));
                parts.extend(next_arg.next()?.to_parts());
            }
            _ => return None,
        }
    }
    parts.push(SymPart::Lit(lit.into()));
    Some(Value::from_parts(parts))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(x: &str) -> Value {
        Value::str(x)
    }

    #[test]
    fn known_arguments_evaluate() {
        assert_eq!(
            call_pure("join", &[Value::array(vec![s("a"), s("b")]), s(",")]),
            Some(s("a,b"))
        );
        assert_eq!(
            call_pure("basename", &[s("/usr/bin/kubelet")]),
            Some(s("kubelet"))
        );
        assert_eq!(
            call_pure("dirname", &[s("/usr/bin/kubelet")]),
            Some(s("/usr/bin"))
        );
        assert_eq!(
            call_pure("sprintf", &[s("/etc/%s.conf"), s("x")]),
            Some(s("/etc/x.conf"))
        );
        assert_eq!(
            call_pure("pick", &[Value::Undef, s(""), s("x")]),
            Some(s("x"))
        );
        assert_eq!(
            call_pure(
                "merge",
                &[
                    Value::hash(vec![(s("a"), s("1"))]),
                    Value::hash(vec![(s("a"), s("2")), (s("b"), s("3"))])
                ]
            ),
            Some(Value::hash(vec![(s("a"), s("2")), (s("b"), s("3"))]))
        );
        assert_eq!(call_pure("upcase", &[s("ab")]), Some(s("AB")));
    }

    #[test]
    fn unknown_arguments_stay_unknown() {
        let u = Value::unknown("x");
        assert!(matches!(
            call_pure("pick", &[u.clone(), s("x")]),
            Some(Value::Symbolic(_))
        ));
        assert!(matches!(
            call_pure("merge", std::slice::from_ref(&u)),
            Some(Value::Symbolic(_))
        ));
        assert_eq!(call_pure("my_custom_function", &[s("x")]), None);
        // join keeps the known parts as a pattern
        let Some(Value::Symbolic(j)) =
            call_pure("join", &[Value::array(vec![s("/usr/bin"), u]), s("/")])
        else {
            panic!("expected symbolic")
        };
        assert!(j.could_be("/usr/bin/kubelet"));
    }
}
