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

use crate::model::record_values::{ValueSpan, char_at, is_json_record, next_value};

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
        let json = is_json_record(text);
        ValuesStream {
            text,
            at: 0,
            segment: if json {
                None
            } else {
                Some(ValueSpan {
                    start: 0,
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

/// Token stream of [`RecordValues`].
pub struct ValuesStream<'a> {
    text: &'a str,
    at: usize,
    segment: Option<ValueSpan>,
    json: bool,
    next_position: usize,
    emitted: bool,
    token: Token,
}

impl ValuesStream<'_> {
    /// Finds the next value segment from `self.at`, skipping structure and field names.
    fn next_segment(&mut self) -> bool {
        if let Some(span) = next_value(self.text.as_bytes(), self.at) {
            self.at = span.start;
            self.segment = Some(span);
            true
        } else {
            self.at = self.text.len();
            false
        }
    }

    /// The next word of the current segment, into `self.token`.
    fn next_word(&mut self, seg: ValueSpan) -> bool {
        self.token.text.clear();
        let mut start = None;
        while self.at < seg.end {
            let i = self.at;
            let (c, len) = char_at(self.text, seg, i);
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
                self.at = seg.next();
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
