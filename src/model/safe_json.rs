//! JSON for people's terminals: the one writer behind every JSON auditlens prints or exports.
//!
//! `serde_json` escapes `"`, `\` and C0 controls, but writes every other character as it is,
//! so a log line could put DEL, C1 controls (U+009B is a CSI on many terminals), bidi
//! overrides or invisible characters into `search --json` and have `cat` act on them. The
//! [`SafeFormatter`] here also writes as `\uXXXX` (a surrogate pair above U+FFFF) every
//! character [`is_hidden_or_control`] names. The output is still valid JSON that parses to
//! the same values.

use std::io;

use serde::Serialize;
use serde_json::ser::{CharEscape, CompactFormatter, Formatter, PrettyFormatter, Serializer};

use super::text::is_hidden_or_control;

/// A `serde_json` formatter (compact or pretty) that also escapes DEL, C1 controls, bidi
/// controls, line and paragraph separators and invisible format characters as `\uXXXX`.
#[derive(Debug, Default)]
pub struct SafeFormatter<F> {
    inner: F,
}

impl<F> SafeFormatter<F> {
    /// Wraps `inner`, which keeps deciding the layout.
    pub fn new(inner: F) -> Self {
        Self { inner }
    }
}

/// Writes `s`, escaping what [`is_hidden_or_control`] names. Also used for raw fragments:
/// such characters may only stand inside strings there, where an escape means the same.
fn write_escaped<W: ?Sized + io::Write>(w: &mut W, s: &str) -> io::Result<()> {
    let mut start = 0;
    for (i, c) in s.char_indices() {
        if !is_hidden_or_control(c) {
            continue;
        }
        w.write_all(&s.as_bytes()[start..i])?;
        let mut units = [0u16; 2];
        for u in c.encode_utf16(&mut units) {
            write!(w, "\\u{u:04x}")?;
        }
        start = i + c.len_utf8();
    }
    w.write_all(&s.as_bytes()[start..])
}

impl<F: Formatter> Formatter for SafeFormatter<F> {
    fn write_string_fragment<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        write_escaped(writer, fragment)
    }

    fn write_raw_fragment<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        write_escaped(writer, fragment)
    }

    fn write_char_escape<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        char_escape: CharEscape,
    ) -> io::Result<()> {
        self.inner.write_char_escape(writer, char_escape)
    }

    fn begin_array<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.inner.begin_array(writer)
    }

    fn end_array<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.inner.end_array(writer)
    }

    fn begin_array_value<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.inner.begin_array_value(writer, first)
    }

    fn end_array_value<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.inner.end_array_value(writer)
    }

    fn begin_object<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.inner.begin_object(writer)
    }

    fn end_object<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.inner.end_object(writer)
    }

    fn begin_object_key<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.inner.begin_object_key(writer, first)
    }

    fn end_object_key<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.inner.end_object_key(writer)
    }

    fn begin_object_value<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.inner.begin_object_value(writer)
    }

    fn end_object_value<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.inner.end_object_value(writer)
    }
}

/// Writes `value` as compact JSON with [`SafeFormatter`].
pub(crate) fn to_writer<W: io::Write, T: ?Sized + Serialize>(
    writer: W,
    value: &T,
) -> serde_json::Result<()> {
    let mut ser = Serializer::with_formatter(writer, SafeFormatter::new(CompactFormatter));
    value.serialize(&mut ser)
}

/// Writes `value` as indented JSON with [`SafeFormatter`].
pub(crate) fn to_writer_pretty<W: io::Write, T: ?Sized + Serialize>(
    writer: W,
    value: &T,
) -> serde_json::Result<()> {
    let mut ser = Serializer::with_formatter(writer, SafeFormatter::new(PrettyFormatter::new()));
    value.serialize(&mut ser)
}

fn into_string(bytes: Vec<u8>) -> String {
    // serde_json writes UTF-8, and the escapes are ASCII.
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// `value` as compact JSON with [`SafeFormatter`].
pub fn to_string<T: ?Sized + Serialize>(value: &T) -> serde_json::Result<String> {
    let mut out = Vec::with_capacity(256);
    to_writer(&mut out, value)?;
    Ok(into_string(out))
}

/// `value` as indented JSON with [`SafeFormatter`].
pub fn to_string_pretty<T: ?Sized + Serialize>(value: &T) -> serde_json::Result<String> {
    let mut out = Vec::with_capacity(256);
    to_writer_pretty(&mut out, value)?;
    Ok(into_string(out))
}

/// Writes `value` as one line of compact JSON followed by a newline (JSON lines).
pub(crate) fn write_line<W: io::Write + ?Sized, T: ?Sized + Serialize>(
    writer: &mut W,
    value: &T,
) -> io::Result<()> {
    to_writer(&mut *writer, value).map_err(io::Error::other)?;
    writer.write_all(b"\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    const HOSTILE: &str = "a\u{7f}b\u{85}c\u{9b}31m\u{202e}d\u{2066}e\u{2069}f\u{2028}g\u{200b}h\u{feff}i\u{e0041}j\u{1b}k\tl\"m\\n é ✓";

    #[test]
    fn json_output_escapes_del_c1_bidi_and_invisible_characters() {
        let v = json!({ HOSTILE: [HOSTILE, {"k": HOSTILE}], "n": 1.5 });
        for text in [to_string(&v).unwrap(), to_string_pretty(&v).unwrap()] {
            assert!(!text.chars().any(is_hidden_or_control_or_c0), "{text:?}");
            assert!(text.contains("\\u007f") && text.contains("\\u0085"));
            assert!(text.contains("\\u009b") && text.contains("\\u202e"));
            assert!(text.contains("\\u2028") && text.contains("\\udb40\\udc41"));
            assert!(text.contains("é ✓"), "ordinary text stays as it is: {text}");
            let back: Value = serde_json::from_str(&text).unwrap();
            assert_eq!(back, v);
        }
        // The layout is the inner formatter's.
        let plain = json!({"x": [1, {"y": "z"}], "e": []});
        assert_eq!(
            to_string(&plain).unwrap(),
            serde_json::to_string(&plain).unwrap()
        );
        assert_eq!(
            to_string_pretty(&plain).unwrap(),
            serde_json::to_string_pretty(&plain).unwrap()
        );
        let mut line = Vec::new();
        write_line(&mut line, &json!("\u{9b}")).unwrap();
        assert_eq!(line, b"\"\\u009b\"\n");
    }

    fn is_hidden_or_control_or_c0(c: char) -> bool {
        is_hidden_or_control(c) || ((c as u32) < 0x20 && c != '\n')
    }
}
