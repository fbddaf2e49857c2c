//! Tab bar of the compact layout: every pane, the shown one highlighted.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

use crate::app::{AppState, Pane};
use crate::ui::theme::Theme;

/// Draws the tab bar.
pub fn render(state: &AppState, theme: &Theme, area: Rect, buf: &mut Buffer) {
    let mut spans = Vec::new();
    // The Log pane is outside the Tab cycle: its tab shows while it is open.
    let log = (state.focus == Pane::Log).then_some(Pane::Log);
    for (i, p) in Pane::ALL.iter().chain(log.iter()).enumerate() {
        if i > 0 {
            spans.push(Span::styled("\u{2502}", theme.muted()));
        }
        spans.push(Span::styled(
            format!(" {} ", p.title()),
            theme.tab(*p == state.focus),
        ));
    }
    Line::from(spans).render(area, buf);
}
