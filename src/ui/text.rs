//! Text helpers for rendering: times with their zone, safe truncation, and the coloured
//! pretty-printing of an original JSON record that keeps its key order.

use chrono::{DateTime, Local, Utc};
use ratatui::text::{Line, Span};

use super::theme::Theme;
use crate::model::Tz;
use crate::model::{escape_control, escape_control_keep_newlines};

/// A time with its zone: `2026-03-09 02:10:33Z` or `2026-03-09 03:10:33+0100`.
pub fn format_ts(ts: Option<DateTime<Utc>>, tz: Tz) -> String {
    match (ts, tz) {
        (None, _) => "(no time)".to_owned(),
        (Some(t), Tz::Utc) => t.format("%Y-%m-%d %H:%M:%SZ").to_string(),
        (Some(t), Tz::Local) => t
            .with_timezone(&Local)
            .format("%Y-%m-%d %H:%M:%S%z")
            .to_string(),
    }
}

/// Escapes control characters and cuts to `max` characters with an ellipsis.
pub fn truncate(s: &str, max: usize) -> String {
    let safe = escape_control(s);
    if safe.chars().count() <= max {
        return safe.into_owned();
    }
    let mut out: String = safe.chars().take(max.saturating_sub(1)).collect();
    out.push('\u{2026}');
    out
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Tok {
    Key,
    Str,
    Num,
    Lit,
    Punct,
}

/// The original record as coloured, indented lines (JSON keeps its own key order; other
/// text is shown as is, escaped).
pub fn json_lines(raw: &str, theme: &Theme) -> Vec<Line<'static>> {
    let t = raw.trim();
    if !(t.starts_with('{') || t.starts_with('[')) {
        return escape_control_keep_newlines(raw)
            .lines()
            .map(|l| Line::styled(l.to_owned(), theme.text()))
            .collect();
    }
    let chars: Vec<char> = t.chars().collect();
    let mut lines: Vec<Line<'static>> = Vec::new();
    let mut cur: Vec<Span<'static>> = Vec::new();
    let mut indent = 0usize;
    let style = |k: Tok| match k {
        Tok::Key => theme.json("key"),
        Tok::Str => theme.json("string"),
        Tok::Num => theme.json("number"),
        Tok::Lit => theme.json("literal"),
        Tok::Punct => theme.json("punct"),
    };
    let next_non_ws = |from: usize| chars[from..].iter().find(|c| !c.is_whitespace()).copied();
    let mut newline = |cur: &mut Vec<Span<'static>>, indent: usize| {
        lines.push(Line::from(std::mem::take(cur)));
        cur.push(Span::raw("  ".repeat(indent)));
    };
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '"' => {
                let start = i;
                i += 1;
                while i < chars.len() && chars[i] != '"' {
                    if chars[i] == '\\' {
                        i += 1;
                    }
                    i += 1;
                }
                let end = (i + 1).min(chars.len());
                let s: String = chars[start..end].iter().collect();
                let kind = if next_non_ws(end) == Some(':') {
                    Tok::Key
                } else {
                    Tok::Str
                };
                cur.push(Span::styled(escape_control(&s).into_owned(), style(kind)));
                i = end;
                continue;
            }
            '{' | '[' => {
                let close = if c == '{' { '}' } else { ']' };
                if next_non_ws(i + 1) == Some(close) {
                    cur.push(Span::styled(format!("{c}{close}"), style(Tok::Punct)));
                    let skip = chars[i + 1..].iter().position(|x| *x == close).unwrap_or(0);
                    i += skip + 2;
                    continue;
                }
                cur.push(Span::styled(c.to_string(), style(Tok::Punct)));
                indent += 1;
                newline(&mut cur, indent);
            }
            '}' | ']' => {
                indent = indent.saturating_sub(1);
                newline(&mut cur, indent);
                cur.push(Span::styled(c.to_string(), style(Tok::Punct)));
            }
            ',' => {
                cur.push(Span::styled(",", style(Tok::Punct)));
                newline(&mut cur, indent);
            }
            ':' => cur.push(Span::styled(": ", style(Tok::Punct))),
            c if c.is_whitespace() => {}
            _ => {
                let start = i;
                while i < chars.len()
                    && !matches!(chars[i], ',' | '}' | ']' | ':' | '"')
                    && !chars[i].is_whitespace()
                {
                    i += 1;
                }
                let s: String = chars[start..i].iter().collect();
                let kind = if s.starts_with(|c: char| c == '-' || c.is_ascii_digit()) {
                    Tok::Num
                } else {
                    Tok::Lit
                };
                cur.push(Span::styled(escape_control(&s).into_owned(), style(kind)));
                continue;
            }
        }
        i += 1;
    }
    if !cur.is_empty() {
        lines.push(Line::from(cur));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(lines: &[Line<'_>]) -> Vec<String> {
        lines.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn json_is_indented_in_its_own_key_order_and_escaped() {
        let theme = Theme::builtin("dark", false).unwrap();
        let l = json_lines(
            r#"{"z":1,"a":{"b":[true,null]},"e":{},"s":"x\u001b"}"#,
            &theme,
        );
        assert_eq!(
            plain(&l),
            vec![
                "{",
                "  \"z\": 1,",
                "  \"a\": {",
                "    \"b\": [",
                "      true,",
                "      null",
                "    ]",
                "  },",
                "  \"e\": {},",
                "  \"s\": \"x\\u001b\"",
                "}"
            ]
        );
        assert_eq!(l[1].spans[1].style, theme.json("key"));
        assert_eq!(l[1].spans[3].style, theme.json("number"));
        let raw = json_lines("not json \x1b[31m", &theme);
        assert_eq!(plain(&raw), vec!["not json \\x1b[31m"]);
    }

    #[test]
    fn truncation_escapes_and_cuts() {
        assert_eq!(truncate("abc\x1bdef", 5), "abc\\\u{2026}");
        assert_eq!(truncate("short", 10), "short");
    }
}
