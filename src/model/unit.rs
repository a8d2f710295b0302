//! Reading systemd unit files (literal content, or templates read as text) for the
//! command a service executes. Templates are never rendered: output tags become unknown
//! parts, control tags are dropped, so every branch of a conditional is kept.

use super::value::{SymPart, Value};
use crate::ast::SmolStr;

const OPEN: char = '\u{1}';
const CLOSE: char = '\u{2}';

/// Remove ERB/EPP tags: `<%= x %>` becomes an unknown marker, `<% … %>` and `<%# … %>`
/// (and the EPP parameter block) disappear, `<%%` is a literal `<%`.
pub fn strip_template_tags(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("<%") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 2..];
        if let Some(lit) = after.strip_prefix('%') {
            out.push_str("<%");
            rest = lit;
            continue;
        }
        let Some(end) = after.find("%>") else {
            rest = "";
            break;
        };
        let inner = &after[..end];
        if let Some(expr) = inner.strip_prefix('=') {
            out.push(OPEN);
            out.push_str(expr.trim().trim_end_matches('-').trim());
            out.push(CLOSE);
        }
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    out
}

/// What a unit file says about the process it runs.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct UnitInfo {
    /// First word of each `ExecStart=` (prefixes `-@:+!` removed), in order.
    pub exec_start: Vec<Value>,
    /// The whole `ExecStart=` values, continuation lines joined, markers shown as `${…}`.
    pub exec_lines: Vec<String>,
    /// `EnvironmentFile=` paths; `true` when optional (leading `-`).
    pub environment_files: Vec<(String, bool)>,
    /// `Type=`.
    pub service_type: Option<String>,
}

/// Parse unit text (already stripped of template tags, or literal).
pub fn parse_unit(text: &str) -> UnitInfo {
    let mut info = UnitInfo::default();
    let mut logical: Vec<String> = Vec::new();
    let mut cur = String::new();
    for line in text.lines() {
        let t = line.trim_end();
        if cur.is_empty() && (t.trim_start().starts_with('#') || t.trim_start().starts_with(';')) {
            continue;
        }
        if let Some(body) = t.strip_suffix('\\') {
            cur.push_str(body);
            cur.push(' ');
            continue;
        }
        cur.push_str(t);
        logical.push(std::mem::take(&mut cur));
    }
    if !cur.is_empty() {
        logical.push(cur);
    }
    for l in logical {
        let Some((k, v)) = l.trim().split_once('=') else {
            continue;
        };
        let v = v.trim();
        match k.trim() {
            "ExecStart" => {
                if v.is_empty() {
                    info.exec_start.clear();
                    info.exec_lines.clear();
                    continue;
                }
                info.exec_lines.push(display(v));
                let cmd = v.trim_start_matches(['-', '@', ':', '+', '!']);
                let first = first_word(cmd);
                info.exec_start.push(to_value(first));
            }
            "EnvironmentFile" => {
                let (path, optional) = match v.strip_prefix('-') {
                    Some(p) => (p, true),
                    None => (v, false),
                };
                info.environment_files.push((display(path), optional));
            }
            "Type" => info.service_type = Some(display(v)),
            _ => {}
        }
    }
    info
}

/// The first word, keeping markers whole (an output tag may contain spaces).
fn first_word(s: &str) -> &str {
    let mut in_marker = false;
    for (i, c) in s.char_indices() {
        match c {
            OPEN => in_marker = true,
            CLOSE => in_marker = false,
            c if c.is_whitespace() && !in_marker => return &s[..i],
            _ => {}
        }
    }
    s
}

fn display(s: &str) -> String {
    s.replace(OPEN, "${").replace(CLOSE, "}")
}

fn to_value(word: &str) -> Value {
    let mut parts = Vec::new();
    let mut rest = word;
    while let Some(i) = rest.find(OPEN) {
        parts.push(SymPart::Lit(SmolStr::new(&rest[..i])));
        let after = &rest[i + OPEN.len_utf8()..];
        match after.find(CLOSE) {
            Some(j) => {
                parts.push(SymPart::Unknown(SmolStr::new(&after[..j])));
                rest = &after[j + CLOSE.len_utf8()..];
            }
            None => {
                parts.push(SymPart::Unknown(SmolStr::new(after)));
                rest = "";
            }
        }
    }
    parts.push(SymPart::Lit(SmolStr::new(rest)));
    Value::from_parts(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exec_start_from_template_with_continuations() {
        let t = "[Service]\n# comment\nType=notify\nEnvironmentFile=-/etc/default/%p\n\
                 ExecStart=/usr/bin/kube-apiserver \\\n    --port=<%= @port %> \\\n    $DAEMON_ARGS\n";
        let u = parse_unit(&strip_template_tags(t));
        assert_eq!(u.exec_start, vec![Value::str("/usr/bin/kube-apiserver")]);
        assert_eq!(
            u.exec_lines[0],
            "/usr/bin/kube-apiserver      --port=${@port}      $DAEMON_ARGS"
        );
        assert_eq!(
            u.environment_files,
            vec![("/etc/default/%p".to_string(), true)]
        );
        assert_eq!(u.service_type.as_deref(), Some("notify"));
    }

    #[test]
    fn prefixes_and_tags_in_the_executable() {
        let u = parse_unit(&strip_template_tags("ExecStart=-!<%= @bin_dir %>/kubelet --x\n<% if @a -%>\nExecStart=@/bin/true x\n<% end -%>\n"));
        let Value::Symbolic(s) = &u.exec_start[0] else {
            panic!("expected symbolic")
        };
        assert_eq!(s.display(), "${@bin_dir}/kubelet");
        assert_eq!(u.exec_start[1], Value::str("/bin/true"));
        // An empty ExecStart= resets the list (drop-ins).
        let u = parse_unit("ExecStart=/a\nExecStart=\nExecStart=/b\n");
        assert_eq!(u.exec_start, vec![Value::str("/b")]);
    }
}
