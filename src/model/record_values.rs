//! The values of an original record as search reads them: in a JSON object or array, each
//! string (between its quotes) and each bare scalar (a number, `true`, `null`) exactly as
//! written, skipping structure and field names. The local index's `record_values`
//! tokenizer and the documents pushed to a remote store both read records through this
//! one scanner, so a number is the same text on both sides (never re-printed: `1E+21`,
//! `0.10` or a 30-digit integer stay as written).

/// A value of a record: the byte range of a string's contents or of a bare scalar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ValueSpan {
    /// First byte.
    pub start: usize,
    /// One past the last byte (a string's closing quote, or the end of text).
    pub end: usize,
    /// A string (escapes inside), else a bare scalar.
    pub string: bool,
}

impl ValueSpan {
    /// Where scanning continues after this value.
    pub fn next(self) -> usize {
        self.end + usize::from(self.string)
    }
}

/// Whether `text` is read as JSON (an object or an array), else as plain words.
pub(crate) fn is_json_record(text: &str) -> bool {
    text.trim_start().starts_with(['{', '['])
}

const STRUCTURE: &[u8] = b" \t\n\r{}[],:";

/// The next value at or after byte `at` of a JSON record, skipping structure and field
/// names.
pub(crate) fn next_value(bytes: &[u8], mut at: usize) -> Option<ValueSpan> {
    while at < bytes.len() {
        match bytes[at] {
            b if STRUCTURE.contains(&b) => at += 1,
            b'"' => {
                let start = at + 1;
                let end = string_end(bytes, start);
                let mut after = end + 1;
                while after < bytes.len() && bytes[after].is_ascii_whitespace() {
                    after += 1;
                }
                if bytes.get(after) == Some(&b':') {
                    // A field name.
                    at = after + 1;
                    continue;
                }
                return Some(ValueSpan {
                    start,
                    end,
                    string: true,
                });
            }
            _ => {
                let mut end = at;
                while end < bytes.len() && !STRUCTURE.contains(&bytes[end]) && bytes[end] != b'"' {
                    end += 1;
                }
                return Some(ValueSpan {
                    start: at,
                    end,
                    string: false,
                });
            }
        }
    }
    None
}

/// The index of the closing quote of the string starting at `start` (or the end of text).
pub(crate) fn string_end(bytes: &[u8], start: usize) -> usize {
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

/// The character a JSON escape at `i` stands for (`None` for a broken one, and for `\n`,
/// `\"`, `\\` and the rest, which separate words) and its length.
pub fn escaped(text: &str, i: usize, end: usize) -> (Option<char>, usize) {
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
        Some(_) => (None, 2),
        None => (None, 1),
    }
}

/// The character at byte `i` of value `span` and its length: escapes decoded (`None` for
/// one that separates words), `None` inside a character (after a broken escape).
pub(crate) fn char_at(text: &str, span: ValueSpan, i: usize) -> (Option<char>, usize) {
    let bytes = text.as_bytes();
    if span.string && bytes[i] == b'\\' {
        escaped(text, i, span.end)
    } else if bytes[i].is_ascii() {
        (Some(char::from(bytes[i])), 1)
    } else {
        let c = text.get(i..).and_then(|t| t.chars().next());
        (c, c.map_or(1, char::len_utf8))
    }
}

/// The values of a record, one text each, as the tokenizer reads them (escapes decoded, a
/// separating escape as a space); empty strings are left out. Text that is not a JSON
/// object or array is one value.
pub(crate) fn value_texts(text: &str) -> Vec<String> {
    if !is_json_record(text) {
        return vec![text.to_owned()];
    }
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(span) = next_value(bytes, at) {
        let mut value = String::with_capacity(span.end - span.start);
        let mut i = span.start;
        while i < span.end {
            let (c, len) = char_at(text, span, i);
            value.push(c.unwrap_or(' '));
            i += len;
        }
        if !value.is_empty() {
            out.push(value);
        }
        at = span.next();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_kept_as_written() {
        let v = value_texts(
            r#"{"big": 123456789012345678901234567890, "f": 1E+21, "g": 0.10, "z": -0.0, "t": [true, null]}"#,
        );
        assert_eq!(
            v,
            [
                "123456789012345678901234567890",
                "1E+21",
                "0.10",
                "-0.0",
                "true",
                "null"
            ]
        );
    }

    #[test]
    fn strings_are_decoded_and_field_names_left_out() {
        let v = value_texts(
            r#"{"a": "x\u00e9y", "b": "", "c": "p\nq", "a": "dup", "d": "\ud83d\ude00"}"#,
        );
        assert_eq!(v, ["xéy", "p q", "dup", "\u{1f600}"]);
        assert_eq!(value_texts("plain text"), ["plain text"]);
        // Broken JSON is scanned the same way, never refused.
        assert_eq!(value_texts(r#"{"a": "x\"#), ["x "]);
        assert_eq!(value_texts(r#"["\ud800", "é\é"]"#), [" ", "é  "]);
    }
}
