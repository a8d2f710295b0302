//! Byte spans -> the positions each format wants.
//!
//! One convention inside the reporters: lines are 1-based; `column`s are 1-based and count
//! Unicode scalar values; the end is exclusive (the column just after the last character),
//! as SARIF and the JSON contract want. Gerrit instead wants 0-based characters counted in
//! UTF-16 code units (Java `String` indices), so a [`Pos`] also carries `utf16`.

use crate::diagnostic::{LineIndex, Location};

use super::Sources;

/// One resolved position.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pos {
    /// 1-based line.
    pub line: u32,
    /// 1-based column in Unicode scalar values.
    pub column: u32,
    /// 0-based offset in the line in UTF-16 code units (Gerrit's "character").
    pub utf16: u32,
}

/// Where a location is, resolved against its file's text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Region {
    pub start: Pos,
    /// Exclusive end.
    pub end: Pos,
    /// False when the file's text was not available: the region is then line 1, and
    /// formats that can say "the whole file" (Gerrit) do so.
    pub known: bool,
}

impl Region {
    pub fn unknown() -> Region {
        let p = Pos {
            line: 1,
            column: 1,
            utf16: 0,
        };
        Region {
            start: p,
            end: p,
            known: false,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }
}

/// Resolve `loc` against `sources`.
pub fn region(sources: &Sources, loc: &Location) -> Region {
    match sources.file(loc.side, &loc.file) {
        Some(f) => resolve_with(&f.text, &f.index, loc.span.start, loc.span.end),
        None => Region::unknown(),
    }
}

/// Resolve the byte range `start..end` of `text`. Offsets past the end are clamped. An end
/// that falls at the very start of a later line (a span that swallowed the newline) is
/// moved back to the end of the previous line, so "lines 9–12" never reads "9–13".
pub fn resolve(text: &str, start: u32, end: u32) -> Region {
    resolve_with(text, &LineIndex::new(text), start, end)
}

/// [`resolve`] with the text's line index already built.
pub fn resolve_with(text: &str, idx: &LineIndex, start: u32, end: u32) -> Region {
    let end = end.max(start);
    let s = idx.line_col(text, start);
    let mut e = idx.line_col(text, end);
    if e.line > s.line && e.byte_column == 0 {
        let prev0 = (e.line - 2) as usize;
        let line_start = idx.line_start(prev0) as usize;
        // The previous line's content without its newline (and a CR before it).
        let line_end = (idx.line_start(prev0 + 1) as usize).saturating_sub(1);
        let mut content = &text[line_start..line_end.max(line_start)];
        if let Some(stripped) = content.strip_suffix('\r') {
            content = stripped;
        }
        let chars = content.chars().count() as u32;
        let units = content.encode_utf16().count() as u32;
        e = crate::diagnostic::LineCol {
            line: e.line - 1,
            column: chars + 1,
            byte_column: content.len() as u32,
            utf16_column: units,
        };
    }
    Region {
        start: Pos {
            line: s.line,
            column: s.column,
            utf16: s.utf16_column,
        },
        end: Pos {
            line: e.line,
            column: e.column,
            utf16: e.utf16_column,
        },
        known: true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_count_characters_and_utf16_units() {
        // "é" is 2 bytes / 1 char / 1 unit; "😀" is 4 bytes / 1 char / 2 units.
        let text = "x\n  é😀 => 'a',\n";
        let start = text.find("=>").unwrap() as u32;
        let r = resolve(text, start, start + 2);
        assert_eq!((r.start.line, r.start.column, r.start.utf16), (2, 6, 6));
        assert_eq!((r.end.line, r.end.column, r.end.utf16), (2, 8, 8));
    }

    #[test]
    fn end_after_newline_moves_back_to_line_end() {
        let text = "file { 'a':\n  ensure => link,\n}\nnext\n";
        let end = text.find("next").unwrap() as u32; // just after "}\n"
        let r = resolve(text, 0, end);
        assert_eq!((r.end.line, r.end.column), (3, 2));
    }

    #[test]
    fn crlf_line_end_is_not_counted() {
        let text = "ab\r\ncd\r\n";
        let r = resolve(text, 0, 4);
        assert_eq!((r.end.line, r.end.column), (1, 3));
    }

    #[test]
    fn empty_span_is_a_point() {
        let r = resolve("abc", 1, 1);
        assert!(r.is_empty());
        assert_eq!(r.start.column, 2);
    }

    #[test]
    fn out_of_range_offsets_are_clamped() {
        let r = resolve("abc", 10, 20);
        assert_eq!((r.start.line, r.start.column), (1, 4));
    }
}
