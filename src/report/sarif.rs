//! `--format sarif`: SARIF 2.1.0, shaped for GitHub code scanning.
//!
//! One run. `tool.driver.rules` lists every rule of the registry (not only those that
//! fired) with its summary and documentation as help, so viewers can explain a result.
//! Results carry `ruleId`/`ruleIndex`, `level`, `message.text` (the message, then the
//! help), one physical location with a 1-based region whose columns count Unicode code
//! points (`columnKind: unicodeCodePoints`, end column exclusive), the resource as a
//! logical location, related locations, a stable `partialFingerprints` entry, and
//! `suppressions` (kind `inSource`) for findings an inline comment silences.

use serde_json::{json, Map, Value};

use super::position::{region, Region};
use super::{message_with_help, ChangeReport, ReportData};
use crate::diagnostic::{Finding, Location, Severity, Side};

pub const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// SARIF's word for a severity.
pub fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

fn region_json(r: &Region) -> Value {
    if !r.known {
        return json!({ "startLine": 1 });
    }
    json!({
        "startLine": r.start.line,
        "startColumn": r.start.column,
        "endLine": r.end.line,
        "endColumn": r.end.column,
    })
}

fn physical(ch: &ChangeReport, loc: &Location) -> Value {
    json!({
        "artifactLocation": { "uri": uri(&loc.file) },
        "region": region_json(&region(&ch.sources, loc)),
    })
}

/// A repository-relative path as a relative URI reference (RFC 3986: percent-encode what
/// may not appear in a path; keep `/` and UTF-8 letters' bytes encoded).
fn uri(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        let keep = b.is_ascii_alphanumeric() || b"-._~/!$&'()*+,;=:@".contains(&b);
        if keep {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// FNV-1a, 64 bits: a stable hash (std's hasher is seeded per process).
fn fnv1a(parts: &[&str]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for p in parts {
        for b in p.bytes().chain(std::iter::once(0u8)) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    format!("{h:016x}")
}

/// What identifies a finding across runs even when lines move: rule, file, resource, and
/// the text of the first line of the span (whitespace-trimmed).
fn fingerprint(ch: &ChangeReport, f: &Finding) -> String {
    let line_text = ch
        .sources
        .get(f.location.side, &f.location.file)
        .and_then(|t| {
            let start = (f.location.span.start as usize).min(t.len());
            let begin = t[..start].rfind('\n').map_or(0, |i| i + 1);
            t[begin..].lines().next().map(str::trim)
        })
        .unwrap_or("");
    let resource = f
        .resource
        .as_ref()
        .map(ToString::to_string)
        .unwrap_or_default();
    fnv1a(&[f.rule, &f.location.file, &resource, line_text])
}

fn rule_descriptor(name: &str, data: &ReportData) -> Value {
    match data.rule(name) {
        Some(meta) => json!({
            "id": meta.name,
            "name": meta.name,
            "shortDescription": { "text": meta.summary },
            "fullDescription": { "text": meta.summary },
            "help": { "text": meta.doc, "markdown": meta.doc },
            "defaultConfiguration": { "level": level(meta.default_severity) },
            "properties": { "tags": ["puppet"] },
        }),
        // A finding from a rule the registry passed in does not list (should not happen):
        // describe it minimally so `ruleIndex` stays valid.
        None => json!({
            "id": name,
            "name": name,
            "shortDescription": { "text": name },
            "help": { "text": format!("Run `puppet-preflight explain {name}`.") },
        }),
    }
}

fn result(ch: &ChangeReport, f: &Finding, rule_index: usize, several: bool) -> Value {
    let text = message_with_help(f, "\n");
    let mut location = Map::new();
    location.insert("physicalLocation".into(), physical(ch, &f.location));
    if let Some(res) = &f.resource {
        location.insert(
            "logicalLocations".into(),
            json!([{ "name": res.to_string(), "kind": "resource" }]),
        );
    }
    let mut r = Map::new();
    r.insert("ruleId".into(), json!(f.rule));
    r.insert("ruleIndex".into(), json!(rule_index));
    r.insert("level".into(), json!(level(f.severity)));
    r.insert("message".into(), json!({ "text": text }));
    r.insert("locations".into(), json!([Value::Object(location)]));
    if !f.related.is_empty() {
        let related: Vec<Value> = f
            .related
            .iter()
            .enumerate()
            .map(|(i, rel)| {
                json!({
                    "id": i + 1,
                    "physicalLocation": physical(ch, &rel.location),
                    "message": { "text": rel.message },
                })
            })
            .collect();
        r.insert("relatedLocations".into(), Value::Array(related));
    }
    r.insert(
        "partialFingerprints".into(),
        json!({ "puppetPreflight/v1": fingerprint(ch, f) }),
    );
    if let Some(reason) = &f.suppressed {
        let mut s = json!({ "kind": "inSource", "status": "accepted" });
        if !reason.is_empty() {
            s["justification"] = json!(reason);
        }
        r.insert("suppressions".into(), json!([s]));
    }
    // SARIF's own word for a result the baseline (the base revision) already had.
    if f.preexisting {
        r.insert("baselineState".into(), json!("unchanged"));
    }
    let mut props = Map::new();
    if f.location.side == Side::Before {
        props.insert("side".into(), json!("before"));
    }
    if several {
        props.insert("commit".into(), json!(ch.head));
    }
    if !props.is_empty() {
        r.insert("properties".into(), Value::Object(props));
    }
    Value::Object(r)
}

/// The SARIF document as a value (tests inspect it).
pub fn to_value(data: &ReportData) -> Value {
    let mut rule_names: Vec<&str> = data.rules.iter().map(|r| r.name).collect();
    for ch in &data.changes {
        for f in &ch.findings {
            if !rule_names.contains(&f.rule) {
                rule_names.push(f.rule);
            }
        }
    }
    let rules: Vec<Value> = rule_names
        .iter()
        .map(|n| rule_descriptor(n, data))
        .collect();
    let several = data.changes.len() > 1;
    let results: Vec<Value> = data
        .changes
        .iter()
        .flat_map(|ch| {
            let names = &rule_names;
            ch.sorted_findings().into_iter().map(move |f| {
                let idx = names.iter().position(|n| *n == f.rule).unwrap_or(0);
                result(ch, f, idx, several)
            })
        })
        .collect();
    json!({
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": data.tool.name,
                "version": data.tool.version,
                "semanticVersion": data.tool.version,
                "rules": rules,
            }},
            "columnKind": "unicodeCodePoints",
            "automationDetails": { "id": format!("{}/", data.tool.name) },
            "properties": { "base": data.base(), "head": data.head() },
            "results": results,
        }],
    })
}

/// Render the SARIF log (pretty-printed, ending with a newline).
pub fn render(data: &ReportData) -> String {
    let mut s = serde_json::to_string_pretty(&to_value(data)).unwrap_or_default();
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uri_encodes_spaces_and_non_ascii() {
        assert_eq!(uri("modules/a b/é.pp"), "modules/a%20b/%C3%A9.pp");
        assert_eq!(
            uri("modules/k8s/manifests/init.pp"),
            "modules/k8s/manifests/init.pp"
        );
    }

    #[test]
    fn fingerprints_are_stable_and_distinguish_parts() {
        assert_eq!(fnv1a(&["a", "b"]), fnv1a(&["a", "b"]));
        assert_ne!(fnv1a(&["ab", ""]), fnv1a(&["a", "b"]));
        assert_eq!(fnv1a(&[]), "cbf29ce484222325");
    }
}
