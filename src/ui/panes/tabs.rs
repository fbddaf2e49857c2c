//! Tab bar of the compact layout: every pane, the shown one highlighted.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

use crate::app::{AppState, Pane};
use crate::ui::theme::Theme;

/// Draws the tab bar. When the titles do not fit, the other tabs shorten to three letters
/// (the shown one keeps its title), so that every tab and the shown one stay visible.
pub fn render(state: &AppState, theme: &Theme, area: Rect, buf: &mut Buffer) {
    // The Log pane is outside the Tab cycle: its tab shows while it is open.
    let log = (state.focus == Pane::Log).then_some(Pane::Log);
    let panes: Vec<Pane> = Pane::ALL.iter().copied().chain(log).collect();
    let full: usize = panes.iter().map(|p| p.title().chars().count() + 3).sum();
    let short = full.saturating_sub(1) > usize::from(area.width);
    let mut spans = Vec::new();
    for (i, p) in panes.iter().enumerate() {
        if i > 0 {
            spans.push(Span::styled("\u{2502}", theme.muted()));
        }
        let shown = *p == state.focus;
        let title: String = if short && !shown {
            p.title().chars().take(3).collect()
        } else {
            p.title().to_owned()
        };
        spans.push(Span::styled(format!(" {title} "), theme.tab(shown)));
    }
    Line::from(spans).render(area, buf);
}
