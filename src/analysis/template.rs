//! Reading ERB and EPP templates as text, without evaluating them.
//!
//! A template is never executed. Instead [`mask`] returns a copy of the text **of exactly
//! the same length**, in which every template tag is overwritten with marker bytes. Because
//! the length and every untouched byte stay where they were, a byte offset into the masked
//! text is also a byte offset into the original file: the analyzers that read the masked
//! text (unit files, shell scripts) return spans that point straight into the template.
//!
//! * An output tag (`<%= expr %>`, also `<%- = %>` forms) becomes [`UNKNOWN`] bytes: text
//!   that will be there at run time but that we cannot know. Newlines inside it are masked
//!   too, so the produced value stays one piece.
//! * A code tag (`<% … %>`, `<%- … -%>`), a comment (`<%# … %>`) and an EPP parameter block
//!   (`<%- | $x | -%>`) become [`CODE`] bytes, except newlines, which are kept so that line
//!   structure survives. When the tag closes with `-%>` and a newline follows, that newline
//!   is masked too, exactly as Puppet's trim mode (`-`) removes it. A line made only of
//!   code tags therefore disappears into the next line; readers treat [`CODE`] bytes at the
//!   edge of a line as whitespace.
//! * `<%%` and `%%>` are the escaped, literal forms; they are left as text (a sub-byte
//!   inaccuracy that no reader here cares about).
//!
//! ERB and EPP share this tag syntax; EPP differs in the expression language inside the
//! tags (`$x` instead of `@x`) and in the parameter block, neither of which matters when
//! the tags are only masked.

use crate::ast::Span;

/// Marker byte for text produced by an output tag: unknown at analysis time.
pub const UNKNOWN: u8 = 0x01;
/// Marker byte for template control flow or comments: produces no text itself.
pub const CODE: u8 = 0x02;

/// The dialect of a template file, decided from its name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TemplateKind {
    /// Not a template: the text is used as is.
    Plain,
    /// Ruby ERB (`.erb`), as rendered by Puppet's `template()`.
    Erb,
    /// Embedded Puppet (`.epp`), as rendered by `epp()`.
    Epp,
}

impl TemplateKind {
    /// The dialect implied by a file name: `.erb` and `.epp` are templates.
    pub fn from_path(path: &str) -> TemplateKind {
        if path.ends_with(".erb") {
            TemplateKind::Erb
        } else if path.ends_with(".epp") {
            TemplateKind::Epp
        } else {
            TemplateKind::Plain
        }
    }
}

/// What a tag does when the template is rendered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TagKind {
    /// `<%= … %>`: inserts a value.
    Output,
    /// `<% … %>`: control flow or other code; produces no text.
    Code,
    /// `<%# … %>`: a template comment.
    Comment,
    /// `<%- | … | -%>` at the start of an EPP file: the parameter declarations.
    Parameters,
}

/// One template tag found in the text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tag {
    pub kind: TagKind,
    /// From `<%` to `%>` inclusive.
    pub span: Span,
}

/// A tag that is opened and never closed: everything after it is masked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnclosedTag {
    pub span: Span,
}

/// The template text with its tags masked (same length as the input).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Masked {
    /// The masked text. Tags start with `<` and end with `>` (or at the end of the
    /// text), so overwriting them with ASCII markers keeps the text valid UTF-8.
    pub text: String,
    pub tags: Vec<Tag>,
    pub unclosed: Option<UnclosedTag>,
}

impl Masked {
    /// True when the byte at `i` is a template marker.
    pub fn is_marker(&self, i: usize) -> bool {
        self.text.as_bytes().get(i).is_some_and(|b| is_marker(*b))
    }
}

/// True for the two marker bytes.
pub fn is_marker(b: u8) -> bool {
    b == UNKNOWN || b == CODE
}

/// Masks the template tags of `text` (see the module documentation).
///
/// With [`TemplateKind::Plain`] the text is returned unchanged.
pub fn mask(text: &str, kind: TemplateKind) -> Masked {
    let mut bytes = text.as_bytes().to_vec();
    let mut tags = Vec::new();
    let mut unclosed = None;
    if kind == TemplateKind::Plain {
        return Masked {
            text: text.to_string(),
            tags,
            unclosed,
        };
    }
    let src = text.as_bytes();
    let mut i = 0;
    while i + 1 < src.len() {
        if !(src[i] == b'<' && src[i + 1] == b'%') {
            i += 1;
            continue;
        }
        // `<%%` is the literal `<%`.
        if src.get(i + 2) == Some(&b'%') {
            i += 3;
            continue;
        }
        let start = i;
        let mut j = i + 2;
        if src.get(j) == Some(&b'-') {
            j += 1;
        }
        let tag_kind = match src.get(j) {
            Some(b'=') => TagKind::Output,
            Some(b'#') => TagKind::Comment,
            _ => {
                let rest = &src[j..];
                let first = rest.iter().position(|b| !b.is_ascii_whitespace());
                if kind == TemplateKind::Epp && first.map(|p| rest[p]) == Some(b'|') {
                    TagKind::Parameters
                } else {
                    TagKind::Code
                }
            }
        };
        // The tag ends at the first `%>`; ERB does not look inside Ruby strings either.
        let close = find(src, j, b"%>");
        let (end, trims_newline) = match close {
            Some(c) => {
                let trims = c > 0 && src[c - 1] == b'-';
                (c + 2, trims)
            }
            None => (src.len(), false),
        };
        if close.is_none() {
            unclosed = Some(UnclosedTag {
                span: span(start, end),
            });
        }
        let marker = if tag_kind == TagKind::Output {
            UNKNOWN
        } else {
            CODE
        };
        for b in &mut bytes[start..end] {
            if marker == UNKNOWN || *b != b'\n' {
                *b = marker;
            }
        }
        let mut next = end;
        if trims_newline {
            if src.get(end) == Some(&b'\n') {
                bytes[end] = CODE;
                next = end + 1;
            } else if src.get(end) == Some(&b'\r') && src.get(end + 1) == Some(&b'\n') {
                bytes[end] = CODE;
                bytes[end + 1] = CODE;
                next = end + 2;
            }
        }
        tags.push(Tag {
            kind: tag_kind,
            span: span(start, end),
        });
        i = next;
    }
    // Only whole tags (ASCII `<` … `>`) and ASCII newlines were overwritten with ASCII, so
    // this cannot fail; fall back to the original text rather than panic.
    let text = String::from_utf8(bytes).unwrap_or_else(|_| text.to_string());
    Masked {
        text,
        tags,
        unclosed,
    }
}

fn find(hay: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    if from >= hay.len() {
        return None;
    }
    hay[from..]
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

pub(crate) fn span(start: usize, end: usize) -> Span {
    Span::new(clamp(start), clamp(end))
}

fn clamp(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn show(m: &Masked) -> String {
        m.text
            .bytes()
            .map(|b| match b {
                UNKNOWN => '?',
                CODE => '_',
                b => b as char,
            })
            .collect()
    }

    #[test]
    fn masks_keep_length_and_offsets() {
        let text = "ExecStart=<%= @bin %> -x <%= @y %>\n";
        let m = mask(text, TemplateKind::Erb);
        assert_eq!(m.text.len(), text.len());
        assert_eq!(
            show(&m),
            format!("ExecStart={} -x {}\n", "?".repeat(11), "?".repeat(9))
        );
        assert_eq!(m.tags.len(), 2);
        assert_eq!(m.tags[0].kind, TagKind::Output);
    }

    #[test]
    fn code_lines_keep_newlines_unless_trimmed() {
        let m = mask("<% if @a %>\nA=1\n<% end -%>\nB=2\n", TemplateKind::Erb);
        assert_eq!(show(&m), "___________\nA=1\n___________B=2\n");
    }

    #[test]
    fn comments_parameters_and_literal_tags() {
        let m = mask(
            "<%- | String $x | -%>\n<%# note %>a <%% b\n",
            TemplateKind::Epp,
        );
        assert_eq!(m.tags[0].kind, TagKind::Parameters);
        assert_eq!(m.tags[1].kind, TagKind::Comment);
        assert!(show(&m).ends_with("a <%% b\n"));
    }

    #[test]
    fn unclosed_tag_is_reported_and_masked_to_the_end() {
        let m = mask("A=1\n<%= @x\nB=2\n", TemplateKind::Erb);
        assert!(m.unclosed.is_some());
        assert_eq!(show(&m), format!("A=1\n{}", "?".repeat(11)));
    }

    #[test]
    fn plain_text_is_untouched() {
        let m = mask("A=<%= x %>", TemplateKind::Plain);
        assert_eq!(m.text, "A=<%= x %>");
        assert!(m.tags.is_empty());
    }
}
