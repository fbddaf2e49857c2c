//! The search bar: the query (live while typing) and, inline, the last query error; the
//! previous results stay on screen.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

use crate::app::{AppState, Mode};
use crate::model::escape_control;
use crate::ui::theme::Theme;

/// Draws the search bar.
pub fn render(state: &AppState, theme: &Theme, area: Rect, buf: &mut Buffer) {
    let editing = state.mode == Mode::Search;
    let mut spans = vec![Span::styled(
        " / ",
        if editing {
            theme.input()
        } else {
            theme.muted()
        },
    )];
    if let Some(j) = &state.jump {
        spans.push(Span::styled(
            format!("[{}] ", escape_control(&j.label)),
            theme.mark(),
        ));
    }
    if state.query.is_empty() && !editing && state.jump.is_none() {
        spans.push(Span::styled(
            "all events (press / to search: words, field:value, AND OR NOT, ts:[.. TO ..])",
            theme.muted(),
        ));
    } else {
        spans.push(Span::styled(
            escape_control(state.bar_text()).into_owned(),
            if editing { theme.input() } else { theme.text() },
        ));
    }
    if let Some(e) = state
        .query_error
        .as_ref()
        .filter(|_| state.error_query == state.bar_text())
    {
        spans.push(Span::raw("   "));
        spans.push(Span::styled(
            format!("\u{2717} {}", escape_control(&e.message)),
            theme.error(),
        ));
        if editing {
            let shown = if state.shown_query.is_empty() {
                "all events".to_owned()
            } else {
                escape_control(&state.shown_query).into_owned()
            };
            spans.push(Span::styled(
                format!("  (results: {shown}; Esc restores)"),
                theme.muted(),
            ));
        }
    } else if state.submit_pending {
        spans.push(Span::styled("  checking\u{2026}", theme.muted()));
    } else if state.query_dirty {
        spans.push(Span::styled("  \u{2026}", theme.muted()));
    }
    Line::from(spans).render(area, buf);
}
