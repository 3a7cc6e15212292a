//! JSON output primitives: strings escaped with a table instead of per-character formatting, and tree
//! texts written straight from the subgraph bodies they came from.

use crate::execute::tree::{Text, Tree};

/// What each byte below 0x80 becomes inside a JSON string: 0 = itself, otherwise the escape letter
/// (`u` for `\u00XX`).
const ESCAPES: [u8; 128] = {
    let mut table = [0u8; 128];
    let mut i = 0;
    while i < 0x20 {
        table[i] = b'u';
        i += 1;
    }
    table[0x08] = b'b';
    table[0x09] = b't';
    table[0x0a] = b'n';
    table[0x0c] = b'f';
    table[0x0d] = b'r';
    table[b'"' as usize] = b'"';
    table[b'\\' as usize] = b'\\';
    table
};

/// Writes `s` as a JSON string.
pub fn write_string(out: &mut Vec<u8>, s: &str) {
    out.reserve(s.len() + 2);
    out.push(b'"');
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &byte) in bytes.iter().enumerate() {
        let escape = if byte < 0x80 {
            ESCAPES[byte as usize]
        } else {
            0
        };
        if escape == 0 {
            continue;
        }
        out.extend_from_slice(&bytes[start..i]);
        out.push(b'\\');
        out.push(escape);
        if escape == b'u' {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.extend_from_slice(b"00");
            out.push(HEX[(byte >> 4) as usize]);
            out.push(HEX[(byte & 0xf) as usize]);
        }
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

/// Writes a number without going through `fmt`.
pub fn write_number(out: &mut Vec<u8>, number: &serde_json::Number) {
    if let Some(i) = number.as_i64() {
        out.extend_from_slice(itoa::Buffer::new().format(i).as_bytes());
    } else if let Some(u) = number.as_u64() {
        out.extend_from_slice(itoa::Buffer::new().format(u).as_bytes());
    } else if let Some(f) = number.as_f64() {
        out.extend_from_slice(ryu::Buffer::new().format_finite(f).as_bytes());
    }
}

/// `"key":` for a response key, computed once per plan.
pub fn json_key(key: &str) -> String {
    let mut out = Vec::with_capacity(key.len() + 3);
    write_string(&mut out, key);
    out.push(b':');
    String::from_utf8(out).unwrap_or_default()
}

/// Writes a tree text as a JSON string: raw texts came unescaped from a JSON body and need no escaping.
pub fn write_text(out: &mut Vec<u8>, tree: &Tree, text: &Text) {
    match text {
        Text::Raw { .. } => {
            let bytes = tree.bytes(text);
            out.reserve(bytes.len() + 2);
            out.push(b'"');
            out.extend_from_slice(bytes);
            out.push(b'"');
        }
        Text::Owned(s) => write_string(out, s),
    }
}

#[cfg(test)]
mod tests {
    use super::write_string;

    #[test]
    fn escapes_like_serde_json() {
        for s in [
            "plain",
            "quote \" and \\ backslash",
            "tab\tnewline\ncontrol\u{1}\u{1f}",
            "ünïcödé ✓",
            "",
        ] {
            let mut out = Vec::new();
            write_string(&mut out, s);
            assert_eq!(
                String::from_utf8(out).unwrap(),
                serde_json::to_string(s).unwrap()
            );
        }
    }
}
