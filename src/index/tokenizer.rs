//! The tokenizer of the original record (`raw`): the words of its values, not of its field
//! names. Field names repeat in every record (they were two tokens in five, and every bare
//! word like `id` or `type` matched every event); leaving them out makes a build markedly
//! faster and a bare-word search more precise. Words are what tantivy's default tokenizer
//! makes (runs of letters and digits, lower-cased, at most 40 bytes), so a query word
//! matches the same way in `message` and in `raw`.
//!
//! Text that is not a JSON object or array (a query, say) is tokenized as plain words.
//! Within a record, each value gets its own positions, one apart from the next value's, so
//! a phrase matches inside one value and never across two.

use tantivy::tokenizer::{Token, TokenStream, Tokenizer};

/// Registered name of the tokenizer.
pub const RECORD_VALUES: &str = "record_values";

/// Longest word kept, as tantivy's default tokenizer does.
const MAX_WORD_BYTES: usize = 40;

/// See the module documentation.
#[derive(Clone, Default)]
pub struct RecordValues;

impl Tokenizer for RecordValues {
    type TokenStream<'a> = ValuesStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> ValuesStream<'a> {
        let json = text.trim_start().starts_with(['{', '[']);
        ValuesStream {
            text,
            at: 0,
            segment: if json {
                None
            } else {
                Some(Segment {
                    end: text.len(),
                    string: false,
                })
            },
            json,
            next_position: 0,
            emitted: false,
            token: Token::default(),
        }
    }
}

/// A span of text whose words are tokens: a string value (between its quotes) or a bare
/// scalar (number, `true`...), or the whole text when it is not JSON.
#[derive(Clone, Copy)]
struct Segment {
    end: usize,
    string: bool,
}

/// Token stream of [`RecordValues`].
pub struct ValuesStream<'a> {
    text: &'a str,
    at: usize,
    segment: Option<Segment>,
    json: bool,
    next_position: usize,
    emitted: bool,
    token: Token,
}

impl ValuesStream<'_> {
    /// Finds the next value segment from `self.at`, skipping structure and field names.
    fn next_segment(&mut self) -> bool {
        let bytes = self.text.as_bytes();
        while self.at < bytes.len() {
            match bytes[self.at] {
                b' ' | b'\t' | b'\n' | b'\r' | b'{' | b'}' | b'[' | b']' | b',' | b':' => {
                    self.at += 1;
                }
                b'"' => {
                    let start = self.at + 1;
                    let end = string_end(bytes, start);
                    let mut after = end + 1;
                    while after < bytes.len() && bytes[after].is_ascii_whitespace() {
                        after += 1;
                    }
                    if bytes.get(after) == Some(&b':') {
                        // A field name.
                        self.at = after + 1;
                        continue;
                    }
                    self.at = start;
                    self.segment = Some(Segment { end, string: true });
                    return true;
                }
                _ => {
                    let mut end = self.at;
                    while end < bytes.len()
                        && !matches!(
                            bytes[end],
                            b' ' | b'\t'
                                | b'\n'
                                | b'\r'
                                | b'{'
                                | b'}'
                                | b'['
                                | b']'
                                | b','
                                | b':'
                                | b'"'
                        )
                    {
                        end += 1;
                    }
                    self.segment = Some(Segment { end, string: false });
                    return true;
                }
            }
        }
        false
    }

    /// The next word of the current segment, into `self.token`.
    fn next_word(&mut self, seg: Segment) -> bool {
        let text = self.text;
        let bytes = text.as_bytes();
        self.token.text.clear();
        let mut start = None;
        while self.at < seg.end {
            let i = self.at;
            let (c, len) = if seg.string && bytes[i] == b'\\' {
                escaped(text, i, seg.end)
            } else if bytes[i].is_ascii() {
                (Some(char::from(bytes[i])), 1)
            } else {
                // `i` can sit inside a character only after a broken escape (`\é`).
                let c = text.get(i..).and_then(|t| t.chars().next());
                (c, c.map_or(1, char::len_utf8))
            };
            match c.filter(|c| c.is_alphanumeric()) {
                Some(c) => {
                    start.get_or_insert(i);
                    if c.is_ascii() {
                        self.token.text.push(c.to_ascii_lowercase());
                    } else {
                        self.token.text.extend(c.to_lowercase());
                    }
                    self.at = i + len;
                }
                None if start.is_some() => break,
                None => self.at = i + len,
            }
        }
        let Some(from) = start else {
            return false;
        };
        self.token.offset_from = from;
        self.token.offset_to = self.at;
        self.token.position = self.next_position;
        self.token.position_length = 1;
        self.next_position += 1;
        true
    }
}

impl TokenStream for ValuesStream<'_> {
    fn advance(&mut self) -> bool {
        loop {
            if let Some(seg) = self.segment {
                while self.next_word(seg) {
                    if self.token.text.len() <= MAX_WORD_BYTES {
                        self.emitted = true;
                        return true;
                    }
                }
                // End of the value: step over its closing quote, and leave a position free
                // so that no phrase spans two values.
                self.at = seg.end + usize::from(seg.string);
                self.segment = None;
                if self.emitted {
                    self.next_position += 1;
                    self.emitted = false;
                }
            }
            if !self.json || !self.next_segment() {
                return false;
            }
        }
    }

    fn token(&self) -> &Token {
        &self.token
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.token
    }
}

/// The index of the closing quote of the string starting at `start` (or the end of text).
fn string_end(bytes: &[u8], start: usize) -> usize {
    let mut i = start;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => return i,
            b'\\' => i += 2,
            _ => i += 1,
        }
    }
    bytes.len()
}

/// The character a JSON escape at `i` stands for (`None` for a broken one) and its length.
fn escaped(text: &str, i: usize, end: usize) -> (Option<char>, usize) {
    let bytes = text.as_bytes();
    let hex = |at: usize| {
        text.get(at..at + 4)
            .filter(|_| at + 4 <= end)
            .and_then(|h| u32::from_str_radix(h, 16).ok())
    };
    match bytes.get(i + 1) {
        Some(b'u') => match hex(i + 2) {
            Some(hi @ 0xD800..=0xDBFF) => {
                if bytes.get(i + 6) == Some(&b'\\')
                    && bytes.get(i + 7) == Some(&b'u')
                    && let Some(lo @ 0xDC00..=0xDFFF) = hex(i + 8)
                {
                    let c = char::from_u32(0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00));
                    (c, 12)
                } else {
                    (None, 6)
                }
            }
            Some(code) => (char::from_u32(code), 6),
            None => (None, 2),
        },
        // `\n`, `\"`, `\\` and the rest separate words.
        Some(_) => (None, 2),
        None => (None, 1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<(String, usize)> {
        let mut t = RecordValues;
        let mut s = t.token_stream(text);
        let mut out = Vec::new();
        while s.advance() {
            let tok = s.token();
            assert!(text.get(tok.offset_from..tok.offset_to).is_some());
            out.push((tok.text.clone(), tok.position));
        }
        out
    }

    fn texts(text: &str) -> Vec<String> {
        words(text).into_iter().map(|(w, _)| w).collect()
    }

    #[test]
    fn values_are_words_and_field_names_are_not() {
        assert_eq!(
            texts(
                r#"{"actor": {"id": "Alice", "ip":"10.0.1.5"}, "ok": true, "n": -4.5e3, "tags": ["PII", null]}"#
            ),
            [
                "alice", "10", "0", "1", "5", "true", "4", "5e3", "pii", "null"
            ]
        );
    }

    #[test]
    fn each_value_has_its_own_positions() {
        let w = words(r#"{"a":"bad password","b":"login failed"}"#);
        assert_eq!(
            w,
            [
                ("bad".to_owned(), 0),
                ("password".to_owned(), 1),
                ("login".to_owned(), 3),
                ("failed".to_owned(), 4)
            ]
        );
    }

    #[test]
    fn plain_text_is_words_like_the_default_tokenizer() {
        assert_eq!(
            words("Bad, password: s3://acme-raw/x"),
            [
                ("bad".to_owned(), 0),
                ("password".to_owned(), 1),
                ("s3".to_owned(), 2),
                ("acme".to_owned(), 3),
                ("raw".to_owned(), 4),
                ("x".to_owned(), 5)
            ]
        );
        assert_eq!(texts("Ünïcode ÉTÉ"), ["ünïcode", "été"]);
    }

    #[test]
    fn escapes_are_decoded_or_separate_words() {
        assert_eq!(
            texts(r#"{"m":"line1\nline2 \"quoted\" caf\u00e9 \ud83d\ude00x \u12"}"#),
            ["line1", "line2", "quoted", "café", "x", "12"]
        );
        // A key with an escaped quote is still a key.
        assert_eq!(texts(r#"{"a\"b": "v"}"#), ["v"]);
    }

    #[test]
    fn long_words_are_dropped_and_broken_json_does_not_panic() {
        let hash = "a".repeat(64);
        assert_eq!(texts(&format!(r#"{{"h":"{hash} short"}}"#)), ["short"]);
        for broken in [
            "{",
            "{\"",
            "{\"a",
            "{\"a\":",
            "{\"a\":\"\\",
            "{\"a\":\"\\u12",
            "[\"\\ud83d\"",
            "{\"é\":\"ü\"}",
            "[1,,2]",
            "{\"a\":\"\\é x\"}",
        ] {
            let _ = words(broken);
        }
    }

    proptest::proptest! {
        #[test]
        fn any_text_tokenizes_without_panicking(text in "[{}\\[\\]\",:\\\\u0-9a-fA-Zé😀 \n]{0,40}") {
            let _ = words(&text);
        }

        #[test]
        fn any_string_tokenizes_without_panicking(text in proptest::prelude::any::<String>()) {
            let _ = words(&text);
        }
    }
}
