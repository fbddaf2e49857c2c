//! Text helpers for rendering: times with their zone, safe truncation, and the coloured
//! pretty-printing of an original JSON record that keeps its key order.

use ratatui::style::Style;
use ratatui::text::{Line, Span};
use unicode_width::UnicodeWidthChar;

use super::theme::Theme;
use crate::model::{escape_control, escape_control_keep_newlines};

pub(crate) use crate::model::format_ts;

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

/// The display width of `s` in terminal columns.
pub fn width(s: &str) -> usize {
    s.chars().map(|c| c.width().unwrap_or(0)).sum()
}

/// The characters of a line with their styles (the line's own style patched by the span's).
fn styled_chars(line: &Line<'_>) -> Vec<(char, Style)> {
    line.spans
        .iter()
        .flat_map(|sp| {
            let st = line.style.patch(sp.style);
            sp.content.chars().map(move |c| (c, st))
        })
        .collect()
}

/// Groups characters of equal style back into spans.
fn to_line(chars: &[(char, Style)]) -> Line<'static> {
    let mut spans: Vec<Span<'static>> = Vec::new();
    let mut cur = String::new();
    let mut style = None;
    for (c, st) in chars {
        if style != Some(*st) {
            if let Some(s) = style {
                spans.push(Span::styled(std::mem::take(&mut cur), s));
            }
            style = Some(*st);
        }
        cur.push(*c);
    }
    if let Some(s) = style {
        spans.push(Span::styled(cur, s));
    }
    Line::from(spans)
}

/// The columns `skip..skip + cols` of `line`. Text cut off on either side is replaced by
/// a `…` at that edge, so a cut value never passes for a whole one.
pub(crate) fn clip_line(line: &Line<'_>, skip: usize, cols: usize) -> Line<'static> {
    if cols == 0 {
        return Line::default();
    }
    let chars = styled_chars(line);
    let mut out: Vec<(char, Style)> = Vec::new();
    let (mut col, mut used) = (0usize, 0usize);
    let (mut cut_left, mut cut_right) = (false, false);
    for (c, st) in chars {
        let w = c.width().unwrap_or(0);
        if col < skip {
            col += w;
            cut_left |= !c.is_whitespace();
            continue;
        }
        if used + w > cols {
            cut_right = true;
            break;
        }
        out.push((c, st));
        used += w;
        col += w;
    }
    if cut_right {
        // Make room for the mark.
        while used + 1 > cols {
            match out.pop() {
                Some((c, _)) => used -= c.width().unwrap_or(0),
                None => break,
            }
        }
        let st = out.last().map_or(line.style, |x| x.1);
        out.push(('\u{2026}', st));
    }
    if cut_left && let Some(first) = out.first_mut() {
        first.0 = '\u{2026}';
    }
    to_line(&out)
}

/// `line` wrapped into rows of at most `cols` columns, preferring to break after a blank;
/// continuation rows start with `indent` blanks. Nothing is dropped.
pub(crate) fn wrap_line(line: &Line<'_>, cols: usize, indent: usize) -> Vec<Line<'static>> {
    let cols = cols.max(1);
    let indent = if indent * 2 > cols { 0 } else { indent };
    let chars = styled_chars(line);
    let mut rows: Vec<Vec<(char, Style)>> = Vec::new();
    let mut cur: Vec<(char, Style)> = Vec::new();
    let mut used = 0usize;
    let blank = (' ', line.style);
    for (c, st) in chars {
        let w = c.width().unwrap_or(0);
        if used + w > cols && !cur.is_empty() {
            // Break after the last blank in the second half of the row, else here.
            let lead = if rows.is_empty() { 0 } else { indent };
            let brk = cur
                .iter()
                .rposition(|(c, _)| *c == ' ')
                .filter(|i| *i + 1 > lead + (cols - lead) / 2 && *i + 1 < cur.len());
            let tail = match brk {
                Some(i) => cur.split_off(i + 1),
                None => Vec::new(),
            };
            rows.push(std::mem::take(&mut cur));
            cur = vec![blank; indent];
            cur.extend(tail);
            used = cur.iter().map(|(c, _)| c.width().unwrap_or(0)).sum();
        }
        cur.push((c, st));
        used += w;
    }
    rows.push(cur);
    rows.iter().map(|r| to_line(r).style(line.style)).collect()
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
    fn clipping_marks_both_cut_edges_and_keeps_styles() {
        let theme = Theme::builtin("dark", false).unwrap();
        let line = Line::from(vec![
            Span::styled("records: ", theme.muted()),
            Span::styled("3000 verified", theme.ok()),
        ]);
        // A number cut at the edge is never shown as a shorter number.
        let c = clip_line(&line, 0, 12);
        assert_eq!(c.to_string(), "records: 30\u{2026}");
        assert_eq!(c.spans.last().unwrap().style, theme.ok());
        assert_eq!(clip_line(&line, 9, 20).to_string(), "\u{2026}000 verified");
        assert_eq!(
            clip_line(&line, 0, 40).to_string(),
            "records: 3000 verified"
        );
        assert_eq!(
            clip_line(&Line::raw("界界界"), 0, 4).to_string(),
            "界\u{2026}"
        );
    }

    #[test]
    fn wrapping_keeps_every_character_and_indents_continuations() {
        let line = Line::raw("alert: unapproved production deployment NOT APPROVED BEFORE");
        let rows = wrap_line(&line, 20, 2);
        let text: Vec<String> = rows.iter().map(ToString::to_string).collect();
        assert!(text.iter().all(|r| width(r) <= 20), "{text:?}");
        assert!(text[1..].iter().all(|r| r.starts_with("  ")), "{text:?}");
        let joined: String = text.iter().map(|r| r.trim()).collect::<Vec<_>>().join(" ");
        assert_eq!(
            joined,
            "alert: unapproved production deployment NOT APPROVED BEFORE"
        );
        let long = Line::raw("x".repeat(45));
        assert_eq!(wrap_line(&long, 20, 0).len(), 3);
    }

    #[test]
    fn truncation_escapes_and_cuts() {
        assert_eq!(truncate("abc\x1bdef", 5), "abc\\\u{2026}");
        assert_eq!(truncate("short", 10), "short");
    }
}
