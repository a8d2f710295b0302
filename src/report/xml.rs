//! The little XML the checkstyle and JUnit formats need: escaping, nothing more.

/// Escape text for an XML attribute value or element content (`& < > " '`). Characters
/// XML 1.0 cannot carry at all (most C0 controls) become U+FFFD, so a stray control byte
/// in a message never makes the whole report unreadable.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Keep newlines and tabs readable inside attributes too.
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push_str("&#9;"),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// Escape element content where newlines should stay literal (failure bodies).
pub fn escape_text(s: &str) -> String {
    escape(s).replace("&#10;", "\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_quotes_and_controls() {
        assert_eq!(
            escape(r#"a<b>&"c"'d'"#),
            "a&lt;b&gt;&amp;&quot;c&quot;&apos;d&apos;"
        );
        assert_eq!(escape("x\u{1}y\nz"), "x\u{FFFD}y&#10;z");
        assert_eq!(escape("né 😀"), "né 😀");
        assert_eq!(escape_text("a\nb<"), "a\nb&lt;");
    }
}
