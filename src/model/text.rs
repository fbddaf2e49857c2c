//! Making untrusted log text safe for a terminal: control characters, escape sequences and
//! bidirectional overrides are shown escaped, never emitted.

use std::borrow::Cow;
use std::fmt::Write as _;

/// Characters untrusted text must never carry raw to a terminal, beyond C0 controls: DEL and
/// the C1 controls (U+0080..U+009F, U+009B is a CSI), the bidi controls (U+061C, U+200E,
/// U+200F, embeddings and overrides U+202A..U+202E, isolates U+2066..U+2069), the line and
/// paragraph separators U+2028 and U+2029, and invisible format characters that hide or
/// disguise text: the soft hyphen U+00AD, U+180E, zero-width U+200B..U+200D, U+2060..U+2064,
/// the deprecated U+206A..U+206F, the BOM U+FEFF, the interlinear annotation marks
/// U+FFF9..U+FFFB and the tag characters U+E0000..U+E007F (invisible ASCII).
pub(crate) fn is_hidden_or_control(c: char) -> bool {
    matches!(c,
        '\u{7f}'..='\u{9f}'
        | '\u{ad}'
        | '\u{61c}'
        | '\u{180e}'
        | '\u{200b}'..='\u{200f}'
        | '\u{2028}'..='\u{202e}'
        | '\u{2060}'..='\u{2064}'
        | '\u{2066}'..='\u{206f}'
        | '\u{feff}'
        | '\u{fff9}'..='\u{fffb}'
        | '\u{e0000}'..='\u{e007f}')
}

fn is_unsafe(c: char) -> bool {
    c.is_control() || is_hidden_or_control(c)
}

/// Returns `s` with every control character (C0, DEL, C1), and every bidirectional
/// override, replaced by a visible escape such as `\x1b` or `\u{202e}`. Tabs become `\t`
/// and newlines `\n` so that one field stays on one line.
pub(crate) fn escape_control(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_unsafe) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if is_unsafe(c) && (c as u32) < 0x100 => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if is_unsafe(c) => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Like [`escape_control`], but keeps newlines (for multi-line views such as a
/// pretty-printed record); every other control character is escaped.
pub fn escape_control_keep_newlines(s: &str) -> String {
    s.split('\n')
        .map(escape_control)
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_terminal_controls() {
        assert_eq!(escape_control("plain text"), "plain text");
        assert_eq!(escape_control("a\x1b[2Jb"), "a\\x1b[2Jb");
        assert_eq!(escape_control("bell\x07 del\x7f"), "bell\\x07 del\\x7f");
        assert_eq!(escape_control("c1\u{9b}31m"), "c1\\x9b31m");
        assert_eq!(escape_control("rtl\u{202e}txt"), "rtl\\u{202e}txt");
        assert_eq!(escape_control("two\nlines\ttab"), "two\\nlines\\ttab");
        assert_eq!(escape_control_keep_newlines("a\nb\x1b"), "a\nb\\x1b");
        assert_eq!(
            escape_control("ad\u{200b}min\u{2028}"),
            "ad\\u{200b}min\\u{2028}"
        );
    }
}
