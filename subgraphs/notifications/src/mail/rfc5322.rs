//! Writing an [`EmailMessage`] as an Internet message (RFC 5322 with MIME, RFC 2045–2047): CRLF line
//! ends; `Date`, `From`, `To`, `Subject`, `Message-ID` and `MIME-Version` headers, folded to 78
//! characters; non-ASCII header text as `=?UTF-8?B?…?=` encoded words; bodies in UTF-8,
//! quoted-printable (so every line stays 7-bit and at most 76 characters, as plain SMTP requires); and,
//! with an HTML alternative, a `multipart/alternative` body with the plain text first.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::{EmailMessage, Mailbox};

/// Longest header line we write (RFC 5322 recommends 78).
const MAX_HEADER_LINE: usize = 78;
/// Bytes of text per encoded word: 39 bytes are 52 base64 characters, so `=?UTF-8?B?…?=` stays within a
/// folded line even after `Subject: `.
const ENCODED_WORD_BYTES: usize = 39;
/// Longest encoded body line, without the soft-break `=` (RFC 2045 allows 76 with it).
const MAX_QP_LINE: usize = 75;

impl EmailMessage {
    /// The message as the text of an `.eml` file or the payload of SMTP `DATA` (before dot-stuffing).
    pub fn to_rfc5322(&self) -> String {
        let mut out = String::with_capacity(self.text.len() * 2 + 1024);
        header(&mut out, "Date", &self.date.to_rfc2822());
        header(&mut out, "From", &mailbox(&self.from));
        header(&mut out, "To", &mailbox(&self.to));
        header(&mut out, "Subject", &unstructured(&self.subject));
        header(&mut out, "Message-ID", &self.message_id());
        header(&mut out, "MIME-Version", "1.0");
        match &self.html {
            None => {
                text_part_headers(&mut out, "text/plain");
                out.push_str("\r\n");
                out.push_str(&quoted_printable(&self.text));
            }
            Some(html) => {
                let boundary = format!("=_shopgraph_{}", self.id.simple());
                header(
                    &mut out,
                    "Content-Type",
                    &format!("multipart/alternative; boundary=\"{boundary}\""),
                );
                out.push_str("\r\nThis is a multi-part message in MIME format.\r\n");
                for (content_type, body) in [("text/plain", &self.text), ("text/html", html)] {
                    out.push_str(&format!("\r\n--{boundary}\r\n"));
                    text_part_headers(&mut out, content_type);
                    out.push_str("\r\n");
                    out.push_str(&quoted_printable(body));
                }
                out.push_str(&format!("\r\n--{boundary}--\r\n"));
            }
        }
        out
    }
}

fn text_part_headers(out: &mut String, content_type: &str) {
    header(
        out,
        "Content-Type",
        &format!("{content_type}; charset=utf-8"),
    );
    header(out, "Content-Transfer-Encoding", "quoted-printable");
}

/// Appends `name: value` folded at spaces so lines stay within 78 characters where the words allow.
fn header(out: &mut String, name: &str, value: &str) {
    out.push_str(name);
    out.push(':');
    let mut line_len = name.len() + 1;
    for word in value.split(' ').filter(|word| !word.is_empty()) {
        if line_len > name.len() + 1 && line_len + 1 + word.len() > MAX_HEADER_LINE {
            out.push_str("\r\n");
            line_len = 0;
        }
        out.push(' ');
        out.push_str(word);
        line_len += 1 + word.len();
    }
    out.push_str("\r\n");
}

/// Header text: as it is when it is printable ASCII, otherwise as encoded words. Control characters
/// become spaces either way, so the value cannot start a new header.
fn unstructured(text: &str) -> String {
    let text: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if text.is_ascii() {
        text
    } else {
        encoded_words(&text)
    }
}

/// `text` as space-separated `=?UTF-8?B?…?=` words, each at most [`ENCODED_WORD_BYTES`] of whole
/// characters.
fn encoded_words(text: &str) -> String {
    let mut words = Vec::new();
    let mut start = 0;
    let mut end = 0;
    for (index, c) in text.char_indices() {
        if index + c.len_utf8() - start > ENCODED_WORD_BYTES {
            words.push(&text[start..end]);
            start = index;
        }
        end = index + c.len_utf8();
    }
    if start < text.len() {
        words.push(&text[start..]);
    }
    words
        .iter()
        .map(|word| format!("=?UTF-8?B?{}?=", STANDARD.encode(word)))
        .collect::<Vec<_>>()
        .join(" ")
}

/// `"Display Name" <address>`, the name quoted (ASCII) or as encoded words.
fn mailbox(mailbox: &Mailbox) -> String {
    match &mailbox.name {
        None => mailbox.address.clone(),
        Some(name) if name.is_ascii() => {
            let quoted = name.replace('\\', "\\\\").replace('"', "\\\"");
            format!("\"{quoted}\" <{}>", mailbox.address)
        }
        Some(name) => format!("{} <{}>", encoded_words(name), mailbox.address),
    }
}

/// `text` (any line ends) in quoted-printable with CRLF line ends and a final CRLF.
pub fn quoted_printable(text: &str) -> String {
    let text = text.replace("\r\n", "\n");
    let mut out = String::with_capacity(text.len() + text.len() / 4);
    for line in text.trim_end_matches('\n').split('\n') {
        let bytes = line.as_bytes();
        let mut line_len = 0;
        for (index, &byte) in bytes.iter().enumerate() {
            let last = index + 1 == bytes.len();
            let literal = (byte == b' ' || byte == b'\t') && !last
                || (byte.is_ascii_graphic() && byte != b'=');
            let width = if literal { 1 } else { 3 };
            if line_len + width > MAX_QP_LINE {
                out.push_str("=\r\n");
                line_len = 0;
            }
            if literal {
                out.push(char::from(byte));
            } else {
                out.push_str(&format!("={byte:02X}"));
            }
            line_len += width;
        }
        out.push_str("\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use uuid::Uuid;

    use super::*;

    fn message(html: Option<&str>) -> EmailMessage {
        EmailMessage {
            id: Uuid::parse_str("0190f0e4-7b7a-7c3e-8d2a-1f2e3d4c5b6a").unwrap(),
            from: Mailbox::parse("shopgraph <no-reply@shopgraph.local>").unwrap(),
            to: Mailbox::new(Some("Zoë \"Z\" Ünal"), "zoe@example.com").unwrap(),
            subject: "Grüße aus dem Laden — ein sehr langer Betreff, der umbrochen werden muss"
                .into(),
            date: Utc.with_ymd_and_hms(2025, 7, 1, 12, 30, 0).unwrap(),
            text: "Hi Zoë,\n\n2 × Mug = $25.00\n.leading dot\n".into(),
            html: html.map(str::to_owned),
        }
    }

    #[test]
    fn plain_messages_have_the_headers_and_a_quoted_printable_body() {
        let eml = message(None).to_rfc5322();
        let (head, body) = eml.split_once("\r\n\r\n").unwrap();
        assert!(
            head.starts_with("Date: Tue, 1 Jul 2025 12:30:00 +0000\r\n"),
            "{head}"
        );
        assert!(head.contains("\r\nFrom: \"shopgraph\" <no-reply@shopgraph.local>\r\n"));
        assert!(head.contains("\r\nTo: =?UTF-8?B?"), "{head}");
        assert!(head.contains(" <zoe@example.com>\r\n"), "{head}");
        assert!(head.contains("\r\nSubject: =?UTF-8?B?"), "{head}");
        assert!(head.contains(
            "\r\nMessage-ID: <0190f0e4-7b7a-7c3e-8d2a-1f2e3d4c5b6a@shopgraph.local>\r\n"
        ));
        assert!(head.contains("\r\nMIME-Version: 1.0\r\n"));
        assert!(head.contains("\r\nContent-Type: text/plain; charset=utf-8\r\n"));
        assert!(head.ends_with("Content-Transfer-Encoding: quoted-printable"));
        for line in eml.split("\r\n") {
            assert!(line.len() <= 78, "too long: {line:?}");
            assert!(line.is_ascii(), "not ASCII: {line:?}");
        }
        assert_eq!(
            body,
            "Hi Zo=C3=AB,\r\n\r\n2 =C3=97 Mug =3D $25.00\r\n.leading dot\r\n"
        );
    }

    #[test]
    fn encoded_words_carry_the_whole_subject() {
        let words = encoded_words(&message(None).subject);
        let decoded: String = words
            .split(' ')
            .map(|word| {
                let b64 = word
                    .strip_prefix("=?UTF-8?B?")
                    .and_then(|w| w.strip_suffix("?="))
                    .unwrap();
                String::from_utf8(STANDARD.decode(b64).unwrap()).unwrap()
            })
            .collect();
        assert_eq!(decoded, message(None).subject);
        assert!(words.split(' ').all(|w| w.len() <= 75));
    }

    #[test]
    fn html_makes_a_multipart_alternative() {
        let eml = message(Some("<p>Hi Zoë</p>")).to_rfc5322();
        let boundary = "=_shopgraph_0190f0e47b7a7c3e8d2a1f2e3d4c5b6a";
        assert!(
            eml.contains(&format!(
                "Content-Type: multipart/alternative;\r\n boundary=\"{boundary}\"\r\n"
            )) || eml.contains(&format!(
                "Content-Type: multipart/alternative; boundary=\"{boundary}\"\r\n"
            )),
            "{eml}"
        );
        let plain = eml.find("Content-Type: text/plain").unwrap();
        let html = eml.find("Content-Type: text/html").unwrap();
        assert!(plain < html);
        assert!(eml.contains("<p>Hi Zo=C3=AB</p>\r\n"));
        assert!(eml.ends_with(&format!("\r\n--{boundary}--\r\n")));
        assert_eq!(eml.matches(&format!("--{boundary}\r\n")).count(), 2);
    }

    #[test]
    fn long_lines_get_soft_breaks_and_trailing_spaces_are_encoded() {
        let long = "x".repeat(200);
        let encoded = quoted_printable(&format!("{long}\nend \n"));
        let lines: Vec<&str> = encoded.split("\r\n").collect();
        assert!(lines.iter().all(|line| line.len() <= 76));
        assert_eq!(lines[0], format!("{}=", "x".repeat(75)));
        assert!(encoded.contains("\r\nend=20\r\n"));
    }
}
