//! The SARIF output validated against the published SARIF 2.1.0 JSON schema
//! (tests/data/sarif-schema-2.1.0.json: `sarif-2.1.0-rtm.5.json`, taken unchanged from
//! the npm package `@microsoft/jest-sarif` 1.0.0-beta.0, `lib/schemas/`; the same file
//! schemastore publishes as sarif-2.1.0-rtm.5.json).
//!
//! A small JSON-Schema draft-04 validator covering the keywords that schema uses: `$ref`
//! (local), `type`, `properties`, `additionalProperties`, `required`, `items`,
//! `minItems`, `uniqueItems`, `minimum`, `maximum`, `enum`, `anyOf`, `oneOf`, and the
//! schema's few `pattern`s (matched by hand; an unknown pattern fails the test loudly).
//! `format`, `default` and `description` are annotations.

#[path = "golden/incident.rs"]
mod incident;

use puppet_preflight::report::{sarif, ReportData};
use serde_json::Value;

fn schema() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/sarif-schema-2.1.0.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn is_type(v: &Value, t: &str) -> bool {
    match t {
        "object" => v.is_object(),
        "array" => v.is_array(),
        "string" => v.is_string(),
        "boolean" => v.is_boolean(),
        "null" => v.is_null(),
        "number" => v.is_number(),
        "integer" => v.is_i64() || v.is_u64() || v.as_f64().is_some_and(|f| f.fract() == 0.0),
        other => panic!("unknown type {other}"),
    }
}

fn is_hex(s: &str, n: usize) -> bool {
    s.len() == n && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The schema's patterns, by hand (no regex engine in the dependencies).
fn matches_pattern(pattern: &str, s: &str) -> bool {
    match pattern {
        // mimeType
        "[^/]+/.+" => s.split_once('/').is_some_and(|(a, b)| !a.is_empty() && !b.is_empty()),
        // GUIDs
        "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[1-5][0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$" => {
            let p: Vec<&str> = s.split('-').collect();
            p.len() == 5
                && is_hex(p[0], 8)
                && is_hex(p[1], 4)
                && is_hex(p[2], 4)
                && ('1'..='5').contains(&p[2].chars().next().unwrap_or('x'))
                && is_hex(p[3], 4)
                && "89abAB".contains(p[3].chars().next().unwrap_or('x'))
                && is_hex(p[4], 12)
        }
        // dottedQuadFileVersion (unanchored)
        "[0-9]+(\\.[0-9]+){3}" => s.split(|c: char| !c.is_ascii_digit() && c != '.').any(|w| {
            w.split('.').filter(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit())).count() >= 4
        }),
        // language: starts with two letters
        "^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$" => s.len() >= 2 && s.bytes().take(2).all(|b| b.is_ascii_alphabetic()),
        other => panic!("the test validator does not know the pattern {other:?}"),
    }
}

fn resolve<'a>(root: &'a Value, schema: &'a Value) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(r) => {
            let pointer = r
                .strip_prefix('#')
                .unwrap_or_else(|| panic!("non-local $ref {r}"));
            resolve(
                root,
                root.pointer(pointer)
                    .unwrap_or_else(|| panic!("dangling $ref {r}")),
            )
        }
        None => schema,
    }
}

/// Collect every violation of `schema` by `v` into `errors`, with JSON-pointer paths.
fn validate(root: &Value, schema: &Value, v: &Value, path: &str, errors: &mut Vec<String>) {
    let schema = resolve(root, schema);
    let mut err = |m: String| errors.push(format!("{path}: {m}"));
    if let Some(t) = schema.get("type") {
        let ok = match t {
            Value::String(t) => is_type(v, t),
            Value::Array(ts) => ts.iter().any(|t| is_type(v, t.as_str().unwrap())),
            _ => true,
        };
        if !ok {
            err(format!("expected type {t}, got {v}"));
            return;
        }
    }
    if let Some(e) = schema.get("enum").and_then(Value::as_array) {
        if !e.contains(v) {
            err(format!("{v} not in {e:?}"));
        }
    }
    if let (Some(min), Some(n)) = (schema.get("minimum").and_then(Value::as_f64), v.as_f64()) {
        if n < min {
            err(format!("{n} < minimum {min}"));
        }
    }
    if let (Some(max), Some(n)) = (schema.get("maximum").and_then(Value::as_f64), v.as_f64()) {
        if n > max {
            err(format!("{n} > maximum {max}"));
        }
    }
    if let (Some(p), Some(s)) = (schema.get("pattern").and_then(Value::as_str), v.as_str()) {
        if !matches_pattern(p, s) {
            err(format!("{s:?} does not match {p}"));
        }
    }
    if let Some(obj) = v.as_object() {
        for r in schema
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let r = r.as_str().unwrap();
            if !obj.contains_key(r) {
                err(format!("required property `{r}` missing"));
            }
        }
        let props = schema.get("properties").and_then(Value::as_object);
        for (k, child) in obj {
            let child_path = format!("{path}/{k}");
            match props.and_then(|p| p.get(k)) {
                Some(s) => validate(root, s, child, &child_path, errors),
                None => match schema.get("additionalProperties") {
                    Some(Value::Bool(false)) => {
                        errors.push(format!("{child_path}: property not allowed"))
                    }
                    Some(s @ Value::Object(_)) => validate(root, s, child, &child_path, errors),
                    _ => {}
                },
            }
        }
    }
    if let Some(arr) = v.as_array() {
        if let Some(min) = schema.get("minItems").and_then(Value::as_u64) {
            if (arr.len() as u64) < min {
                errors.push(format!("{path}: fewer than {min} items"));
            }
        }
        if schema.get("uniqueItems") == Some(&Value::Bool(true)) {
            for (i, a) in arr.iter().enumerate() {
                if arr[..i].contains(a) {
                    errors.push(format!("{path}/{i}: duplicate item"));
                }
            }
        }
        if let Some(items) = schema.get("items") {
            for (i, item) in arr.iter().enumerate() {
                validate(root, items, item, &format!("{path}/{i}"), errors);
            }
        }
    }
    for (key, need_one) in [("anyOf", false), ("oneOf", true)] {
        if let Some(alts) = schema.get(key).and_then(Value::as_array) {
            let passing = alts
                .iter()
                .filter(|alt| {
                    let mut e = Vec::new();
                    validate(root, alt, v, path, &mut e);
                    e.is_empty()
                })
                .count();
            if passing == 0 || (need_one && passing != 1) {
                errors.push(format!("{path}: {passing} of the {key} alternatives match"));
            }
        }
    }
}

fn violations(v: &Value) -> Vec<String> {
    let root = schema();
    let mut errors = Vec::new();
    validate(&root, &root, v, "", &mut errors);
    errors
}

#[test]
fn incident_sarif_is_valid_against_the_schema() {
    let v = sarif::to_value(&incident::report_data());
    assert_eq!(violations(&v), Vec::<String>::new());
}

#[test]
fn each_and_clean_runs_are_valid_too() {
    let mut second = incident::change_report();
    second.head = "c0ffee".into();
    second.findings[0].location.side = puppet_preflight::diagnostic::Side::Before;
    let data = ReportData::new(incident::RULES, vec![incident::change_report(), second]);
    assert_eq!(violations(&sarif::to_value(&data)), Vec::<String>::new());
    let empty = ReportData::new(incident::RULES, vec![]);
    assert_eq!(violations(&sarif::to_value(&empty)), Vec::<String>::new());
}

/// A way to break a valid log.
type Breakage = fn(&mut Value);

#[test]
fn the_validator_rejects_invalid_logs() {
    let good = sarif::to_value(&incident::report_data());
    let breakages: Vec<(&str, Breakage)> = vec![
        (
            "no version",
            (|v: &mut Value| {
                v.as_object_mut().unwrap().remove("version");
            }),
        ),
        ("bad version", |v: &mut Value| v["version"] = "2.0.0".into()),
        (
            "no driver name",
            (|v: &mut Value| {
                v["runs"][0]["tool"]["driver"]
                    .as_object_mut()
                    .unwrap()
                    .remove("name");
            }),
        ),
        ("level", |v: &mut Value| {
            v["runs"][0]["results"][0]["level"] = "fatal".into()
        }),
        (
            "startLine 0",
            (|v: &mut Value| {
                v["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]
                    ["startLine"] = 0.into()
            }),
        ),
        ("unknown property", |v: &mut Value| {
            v["runs"][0]["results"][0]["colour"] = "red".into()
        }),
        (
            "suppression kind",
            (|v: &mut Value| {
                v["runs"][0]["results"][1]["suppressions"][0]["kind"] = "inline".into()
            }),
        ),
        ("message without text", |v: &mut Value| {
            v["runs"][0]["results"][0]["message"] = serde_json::json!({})
        }),
    ];
    for (name, breakage) in breakages {
        let mut bad = good.clone();
        breakage(&mut bad);
        assert!(!violations(&bad).is_empty(), "{name} was accepted");
    }
}
