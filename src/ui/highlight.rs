//! Find highlighting: the words of a find, wherever they occur in a cell or a line of the
//! detail view (ASCII case ignored), drawn in the theme's match style.

use ratatui::style::Style;
use ratatui::text::{Line, Span};

/// Byte ranges of `text` where any of `needles` (lower case) occurs, merged and sorted.
fn ranges(text: &str, needles: &[String]) -> Vec<(usize, usize)> {
    let lower = text.to_ascii_lowercase();
    let mut out: Vec<(usize, usize)> = Vec::new();
    for n in needles.iter().filter(|n| !n.is_empty()) {
        let mut from = 0;
        while let Some(i) = lower.get(from..).and_then(|rest| rest.find(n.as_str())) {
            let start = from + i;
            out.push((start, start + n.len()));
            from = start + n.len();
        }
    }
    out.sort_unstable();
    let mut merged: Vec<(usize, usize)> = Vec::new();
    for (a, b) in out {
        match merged.last_mut() {
            Some(last) if a <= last.1 => last.1 = last.1.max(b),
            _ => merged.push((a, b)),
        }
    }
    merged
}

/// `text` as spans in `base`, the matches of `needles` patched with `hit`.
pub fn spans(text: &str, needles: &[String], base: Style, hit: Style) -> Vec<Span<'static>> {
    let found = ranges(text, needles);
    if found.is_empty() {
        return vec![Span::styled(text.to_owned(), base)];
    }
    let mut out = Vec::new();
    let mut at = 0;
    for (a, b) in found {
        let (Some(before), Some(m)) = (text.get(at..a), text.get(a..b)) else {
            // Not on character boundaries (cannot happen with ASCII folding): leave as is.
            return vec![Span::styled(text.to_owned(), base)];
        };
        if !before.is_empty() {
            out.push(Span::styled(before.to_owned(), base));
        }
        out.push(Span::styled(m.to_owned(), base.patch(hit)));
        at = b;
    }
    if let Some(rest) = text.get(at..).filter(|r| !r.is_empty()) {
        out.push(Span::styled(rest.to_owned(), base));
    }
    out
}

/// `line` with the matches of `needles` in each span patched with `hit`.
pub fn line(line: &Line<'_>, needles: &[String], hit: Style) -> Line<'static> {
    let spans: Vec<Span<'static>> = line
        .spans
        .iter()
        .flat_map(|s| spans(&s.content, needles, s.style, hit))
        .collect();
    Line::from(spans).style(line.style)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::style::Modifier;

    #[test]
    fn matches_are_found_case_insensitively_and_merged() {
        let hit = Style::default().add_modifier(Modifier::REVERSED);
        let s = spans("Bob met bobby", &["bob".into()], Style::default(), hit);
        let text: Vec<(&str, bool)> = s
            .iter()
            .map(|s| (s.content.as_ref(), s.style == hit))
            .collect();
        assert_eq!(
            text,
            vec![
                ("Bob", true),
                (" met ", false),
                ("bob", true),
                ("by", false)
            ]
        );
        assert_eq!(ranges("abcd", &["abc".into(), "bcd".into()]), vec![(0, 4)]);
        assert_eq!(ranges("é bob", &["bob".into()]), vec![(3, 6)]);
        assert!(ranges("x", &[String::new()]).is_empty());
    }
}
