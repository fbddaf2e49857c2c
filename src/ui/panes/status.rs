//! The status line: bundle, counts, filter, zone, index progress gauge, load errors and the
//! last message; the command line replaces it while typing `:`.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

use crate::app::{AppState, Mode, Phase, Tz};
use crate::model::escape_control;
use crate::ui::keymap::Keymap;
use crate::ui::text::{format_ts, truncate};
use crate::ui::theme::Theme;

/// A text gauge such as `▕████░░░░▏ 45%`.
pub(crate) fn gauge(ratio: f64, width: usize) -> String {
    let filled = (ratio.clamp(0.0, 1.0) * width as f64).round() as usize;
    format!(
        "\u{2595}{}{}\u{258f}{:>3.0}%",
        "\u{2588}".repeat(filled),
        "\u{2591}".repeat(width - filled),
        ratio * 100.0
    )
}

/// The view's filter, applied time range (always, as times in the display zone), find and
/// pending count, each after a separator.
fn view_spans<'a>(state: &AppState, theme: &Theme) -> Vec<Span<'a>> {
    let sep = || Span::styled(" \u{2502} ", theme.muted());
    let mut spans = Vec::new();
    if !state.shown_query.is_empty() {
        spans.push(sep());
        spans.push(Span::styled(
            format!("filter {}", truncate(&state.shown_query, 24)),
            theme.text(),
        ));
    }
    // The applied time range, always, as times in the display zone.
    if state.from.is_some() || state.to.is_some() {
        spans.push(sep());
        let at = |t: Option<chrono::DateTime<chrono::Utc>>| {
            t.map_or_else(|| "\u{2026}".to_owned(), |t| format_ts(Some(t), state.tz))
        };
        let (a, b) = (at(state.from), at(state.to));
        // The same day: the end without its date.
        let b = match (a.get(..10), b.get(..10), b.get(11..)) {
            (Some(da), Some(db), Some(rest)) if da == db => rest.to_owned(),
            _ => b,
        };
        spans.push(Span::styled(format!("time {a} \u{2192} {b}"), theme.text()));
    }
    if let Some(f) = &state.find {
        spans.push(sep());
        let n = f
            .total
            .map_or_else(|| "\u{2026}".to_owned(), |n| n.to_string());
        spans.push(Span::styled(
            format!("find {} ({n})", truncate(&f.query, 16)),
            theme.match_highlight(),
        ));
    }
    if let Some(n) = state.count {
        spans.push(sep());
        spans.push(Span::styled(format!("count {n}"), theme.input()));
    }
    spans
}

/// Draws the status line.
pub fn render(state: &AppState, theme: &Theme, keymap: &Keymap, area: Rect, buf: &mut Buffer) {
    if state.mode == Mode::Command {
        Line::from(vec![
            Span::styled(":", theme.input()),
            Span::styled(
                escape_control(state.command.text()).into_owned(),
                theme.input(),
            ),
        ])
        .render(area, buf);
        return;
    }
    let sep = || Span::styled(" \u{2502} ", theme.muted());
    let mut spans = vec![Span::styled(
        format!(" {}", truncate(&state.bundle, 28)),
        theme.title(),
    )];
    spans.push(sep());
    spans.push(Span::styled(
        format!("{} of {} events", state.total, state.progress.visible),
        theme.text(),
    ));
    spans.extend(view_spans(state, theme));
    spans.push(sep());
    spans.push(Span::styled(
        match state.tz {
            Tz::Utc => "UTC",
            Tz::Local => "local",
        },
        theme.muted(),
    ));
    let p = &state.progress;
    match p.phase {
        Phase::Opening => {
            spans.push(sep());
            spans.push(Span::styled("opening\u{2026}", theme.gauge()));
        }
        Phase::Indexing => {
            if state.statuses_pending {
                // Counts of `integrity:` queries are not answers yet: said before the
                // gauge, so that a narrow terminal keeps it.
                spans.push(sep());
                spans.push(Span::styled(
                    crate::ui::strings::STATUSES_PENDING,
                    theme.gauge(),
                ));
            }
            spans.push(sep());
            spans.push(Span::styled(
                format!("indexing {} {}", gauge(p.ratio(), 10), p.events),
                theme.gauge(),
            ));
        }
        Phase::Ready if state.case.following => {
            spans.push(sep());
            spans.push(Span::styled(
                format!("following +{}", state.case.followed),
                theme.gauge(),
            ));
        }
        Phase::Ready => {}
        Phase::Failed => {
            spans.push(sep());
            spans.push(Span::styled("index failed", theme.error()));
        }
    }
    if p.errors > 0 {
        spans.push(sep());
        spans.push(Span::styled(
            format!(
                "{} error{}, {} skipped",
                p.errors,
                if p.errors == 1 { "" } else { "s" },
                p.skipped
            ),
            theme.error(),
        ));
    }
    if let Some(s) = &state.status {
        spans.push(sep());
        spans.push(Span::styled(
            s.text.clone(),
            if s.error { theme.error() } else { theme.text() },
        ));
    }
    Line::from(spans).render(area, buf);
    // Generated hint on the right.
    let hint: Vec<String> = [("help", "help"), ("search", "search"), ("quit", "quit")]
        .iter()
        .filter_map(|(a, label)| keymap.hint(Mode::Normal, a).map(|c| format!("{c} {label}")))
        .collect();
    let hint = format!(" {} ", hint.join("  "));
    let w = hint.chars().count() as u16;
    if area.width > w + 60 {
        let x = area.right() - w;
        // Only over blanks: never over the end of a message.
        if (x.saturating_sub(1)..area.right()).all(|cx| buf[(cx, area.y)].symbol() == " ") {
            Line::styled(hint, theme.muted()).render(Rect::new(x, area.y, w, 1), buf);
        }
    }
}
