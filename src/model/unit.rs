//! The one reader of what a `file` resource deploys as text (a unit file, a drop-in, a
//! script): a literal `content`, the templates or module files it renders, its `source`.
//! Templates are never rendered; the systemd analyzer ([`crate::analysis::systemd`]) reads
//! them with their tags masked, so every branch of a conditional is kept.
//!
//! The service index reads a service's executable through here, and the rules that look
//! into unit files (`unit-exec-invalid`, `service-binary-unmanaged`) read the same texts,
//! so a unit is understood one way.

use std::sync::Arc;

use super::value::{SymPart, Value};
use super::{Index, Model, ResId};
use crate::analysis::systemd::{self, ExecPath, UnitFile};
use crate::analysis::template::TemplateKind;
use crate::ast::Span;
use crate::input::Tree;

/// A literal text in a manifest.
#[derive(Clone, Debug)]
pub struct Literal {
    /// The manifest.
    pub file: Arc<str>,
    /// The attribute value's span.
    pub span: Span,
    /// Where the text itself starts in the manifest when it is written verbatim
    /// (single-quoted without escapes, a heredoc without margin stripping).
    pub base: Option<u32>,
}

/// One text a resource deploys, with where it comes from.
#[derive(Clone, Debug)]
pub struct UnitText {
    pub text: String,
    pub kind: TemplateKind,
    /// The repository file it is read from (template, module file), if any.
    pub repo_file: Option<String>,
    /// The literal in a manifest it is, if it is one.
    pub literal: Option<Literal>,
    /// Rebuilt from a partly known value: the unknown parts are output tags.
    pub partial: bool,
}

impl UnitText {
    /// The repository file the text comes from (a unit file or template, or the manifest
    /// holding it as a literal), for failure reports; empty when unknown.
    pub fn file(&self) -> &str {
        self.repo_file
            .as_deref()
            .or(self.literal.as_ref().map(|l| &*l.file))
            .unwrap_or("")
    }

    /// Where `span` of [`Self::text`] is in the repository: in the repository file, at
    /// the same place in a verbatim literal, by its line in a literal that is not
    /// verbatim (`tree` holds the manifest), else at the literal as a whole.
    pub fn locate(&self, tree: &Tree, span: Span) -> Option<(String, Span)> {
        if let Some(f) = &self.repo_file {
            return Some((f.clone(), span));
        }
        let lit = self.literal.as_ref()?;
        let at = match lit.base {
            Some(b) => Span::new(span.start + b, span.end + b),
            None => tree
                .text(&lit.file)
                .and_then(|man| map_by_line(man, lit.span.start, &self.text, span))
                .unwrap_or(lit.span),
        };
        Some((lit.file.to_string(), at))
    }

    pub fn parse(&self) -> UnitFile {
        let _reading = crate::isolate::reading(self.file());
        systemd::parse_unit(&self.text, self.kind)
    }
}

/// The texts resource `id` of `m` deploys as its file content: each alternative of a
/// literal `content`, the templates or module files it renders, or else its `source`
/// module file (the first one that exists). `ix` is the index of `m` (passed apart
/// because the index itself reads units while it is built).
pub fn texts(m: &Model, ix: &Index, tree: &Tree, id: ResId) -> Vec<UnitText> {
    texts_with(m, ix, tree, id, false)
}

/// [`texts`] for looking into files that matter only if they are small text (a deployed
/// file that may be a shell script): a `source` larger than the sniffing limit (a
/// binary) is not read at all.
pub fn small_texts(m: &Model, ix: &Index, tree: &Tree, id: ResId) -> Vec<UnitText> {
    texts_with(m, ix, tree, id, true)
}

fn texts_with(m: &Model, ix: &Index, tree: &Tree, id: ResId, small: bool) -> Vec<UnitText> {
    let r = m.get(id);
    let mut out = Vec::new();
    if let Some(a) = r.attr("content") {
        for alt in a.value.alternatives() {
            match alt {
                Value::Str(s) => {
                    let base = tree
                        .text(&a.file)
                        .and_then(|man| verbatim_offset(man, a.value_span, s));
                    out.push(UnitText {
                        text: s.to_string(),
                        kind: TemplateKind::Plain,
                        repo_file: None,
                        literal: Some(Literal {
                            file: a.file.clone(),
                            span: a.value_span,
                            base,
                        }),
                        partial: false,
                    });
                }
                Value::Content(refs) => {
                    for fr in refs {
                        let Some(p) = &fr.resolved else { continue };
                        if let Some(t) = tree.text(p) {
                            let kind = if fr.func == "file" {
                                TemplateKind::Plain
                            } else {
                                TemplateKind::from_path(p)
                            };
                            out.push(UnitText {
                                text: t.to_owned(),
                                kind,
                                repo_file: Some(p.clone()),
                                literal: None,
                                partial: false,
                            });
                        }
                    }
                }
                Value::Symbolic(s) => {
                    // The known text of partly known content, the rest as output tags.
                    let mut t = String::new();
                    for p in &s.parts {
                        match p {
                            SymPart::Lit(l) => t.push_str(l),
                            SymPart::Unknown(x) => {
                                t.push_str("<%= ");
                                t.push_str(x);
                                t.push_str(" %>");
                            }
                        }
                    }
                    out.push(UnitText {
                        text: t,
                        kind: TemplateKind::Erb,
                        repo_file: None,
                        literal: Some(Literal {
                            file: a.file.clone(),
                            span: a.value_span,
                            base: None,
                        }),
                        partial: true,
                    });
                }
                _ => {}
            }
        }
        return out;
    }
    for fu in ix
        .file_uses
        .iter()
        .filter(|f| f.res == id && f.attr == "source")
    {
        if let Some(p) = &fu.file_ref.resolved {
            let text = if small {
                tree.small_text(p)
            } else {
                tree.text(p)
            };
            if let Some(t) = text {
                out.push(UnitText {
                    text: t.to_owned(),
                    kind: TemplateKind::Plain,
                    repo_file: Some(p.clone()),
                    literal: None,
                    partial: false,
                });
                break;
            }
        }
    }
    out
}

/// What a unit's first effective `ExecStart=` executes, as a value: the path when fully
/// written, else a symbolic value whose unknown parts are the template's output tags
/// (`${@bin_dir}/kubelet`), with the executable word's span in `text`.
pub fn exec_start(unit: &UnitFile, text: &str) -> Option<(Value, Span)> {
    let cmd = unit.exec_start().into_iter().next()?;
    let word = cmd.executable.as_ref()?;
    let value = match &cmd.path {
        ExecPath::Known(p) => Value::str(p.as_str()),
        _ => tagged_value(text.get(word.span.range()).unwrap_or(&word.raw)),
    };
    Some((value, word.span))
}

/// A word of template text as a value: output tags (`<%= @x %>`) become unknown parts
/// named by their expression, other tags are dropped.
fn tagged_value(raw: &str) -> Value {
    let mut parts = Vec::new();
    let mut rest = raw;
    while let Some(i) = rest.find("<%") {
        parts.push(SymPart::Lit(rest[..i].into()));
        let after = &rest[i + 2..];
        let (inner, next) = match after.find("%>") {
            Some(j) => (&after[..j], &after[j + 2..]),
            None => (after, ""),
        };
        if let Some(expr) = inner.strip_prefix('=') {
            parts.push(SymPart::Unknown(
                expr.trim().trim_end_matches('-').trim().into(),
            ));
        }
        rest = next;
    }
    parts.push(SymPart::Lit(rest.into()));
    if !parts.iter().any(|p| matches!(p, SymPart::Unknown(_))) {
        parts.push(SymPart::Unknown("…".into()));
    }
    Value::from_parts(parts)
}

/// The offset in `text` where the literal `value` is written verbatim, inside (or right
/// after the opener of) the expression at `span`: true for single-quoted strings without
/// escapes and for heredocs without margin stripping.
pub fn verbatim_offset(text: &str, span: Span, value: &str) -> Option<u32> {
    if value.is_empty() {
        return None;
    }
    let start = span.start as usize;
    let end = (span.end as usize).max(start).min(text.len());
    // A heredoc's body follows its opener, outside the opener's span.
    let window_end = text.len().min(end.max(start + value.len() + 4096));
    let hay = text.get(start..window_end)?;
    let i = hay.find(value)?;
    u32::try_from(start + i).ok()
}

/// Where `span` of `text` (a literal whose source is not verbatim: an indented heredoc,
/// a string with escapes) appears in `source` at or after `from`: its line is searched
/// as written, then the offset inside the line is kept.
pub fn map_by_line(source: &str, from: u32, text: &str, span: Span) -> Option<Span> {
    let start = span.start as usize;
    let line_start = text.get(..start)?.rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[start..].find('\n').map_or(text.len(), |i| start + i);
    let line = &text[line_start..line_end];
    let trimmed = line.trim_start();
    let lead = line.len() - trimmed.len();
    let trimmed = trimmed.trim_end();
    if trimmed.len() < 4 {
        return None;
    }
    let hay = source.get(from as usize..)?;
    let at = from as usize + hay.find(trimmed)?;
    let delta = start.checked_sub(line_start + lead)?;
    let s = u32::try_from(at + delta).ok()?;
    Some(Span::new(s, s + span.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exec(text: &str, kind: TemplateKind) -> Option<Value> {
        exec_start(&systemd::parse_unit(text, kind), text).map(|(v, _)| v)
    }

    #[test]
    fn exec_start_from_template_with_continuations() {
        let t = "[Service]\n# comment\nType=notify\nEnvironmentFile=-/etc/default/%p\n\
                 ExecStart=/usr/bin/kube-apiserver \\\n    --port=<%= @port %> \\\n    $DAEMON_ARGS\n";
        assert_eq!(
            exec(t, TemplateKind::Erb),
            Some(Value::str("/usr/bin/kube-apiserver"))
        );
    }

    #[test]
    fn prefixes_and_tags_in_the_executable() {
        let t = "[Service]\nExecStart=-!<%= @bin_dir %>/kubelet --x\n<% if @a -%>\nExecStart=@/bin/true x\n<% end -%>\n";
        let Some(Value::Symbolic(v)) = exec(t, TemplateKind::Erb) else {
            panic!("expected symbolic")
        };
        assert_eq!(v.display(), "${@bin_dir}/kubelet");
        assert_eq!(
            exec(
                "[Service]\nExecStart=-/usr/bin/x --y\n",
                TemplateKind::Plain
            ),
            Some(Value::str("/usr/bin/x"))
        );
        // An empty ExecStart= resets the list (drop-ins).
        assert_eq!(
            exec(
                "[Service]\nExecStart=/a\nExecStart=\nExecStart=/b\n",
                TemplateKind::Plain
            ),
            Some(Value::str("/b"))
        );
    }

    #[test]
    fn verbatim_offsets() {
        let text = "content => 'ExecStart=/x',";
        assert_eq!(
            verbatim_offset(text, Span::new(11, 26), "ExecStart=/x"),
            Some(12)
        );
        assert_eq!(verbatim_offset(text, Span::new(11, 26), "missing"), None);
    }
}
