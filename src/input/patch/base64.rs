//! Standard base64 (RFC 4648, `+/`, `=` padding, line breaks allowed), enough to read
//! what Gerrit's REST API serves for a revision's patch.

/// The decoded bytes, or `None` when `data` is not entirely base64 (whitespace aside).
pub fn decode_base64(data: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(data.len() / 4 * 3);
    let mut acc: u32 = 0;
    let mut bits = 0;
    let mut padding = 0;
    let mut symbols = 0usize;
    for &c in data {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' => {
                padding += 1;
                symbols += 1;
                continue;
            }
            b'\n' | b'\r' | b' ' | b'\t' => continue,
            _ => return None,
        };
        if padding > 0 {
            return None; // data after padding
        }
        symbols += 1;
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    if symbols == 0 || symbols % 4 != 0 || padding > 2 {
        return None;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::decode_base64;

    #[test]
    fn decodes_with_padding_and_line_breaks() {
        assert_eq!(
            decode_base64(b"ZGlmZiAt\nLWdpdA==\n").unwrap(),
            b"diff --git"
        );
        assert_eq!(decode_base64(b"YQ==").unwrap(), b"a");
        assert_eq!(decode_base64(b"YWI=").unwrap(), b"ab");
        assert_eq!(decode_base64(b"YWJj").unwrap(), b"abc");
    }

    #[test]
    fn rejects_what_is_not_base64() {
        for bad in [
            &b""[..],
            b"diff --git a/x b/x",
            b"YWJ",
            b"YQ==YQ==",
            b"Y===",
            b"hello!",
        ] {
            assert!(
                decode_base64(bad).is_none(),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }
}
