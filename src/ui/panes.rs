//! The panes. Each is a function of `&AppState` drawing into a buffer region.

pub mod detail;
pub mod help;
pub mod report;
pub mod results;
pub mod search_bar;
pub mod status;
pub mod tabs;
pub mod timeline;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders};

use super::strings;
use super::theme::Theme;
use super::views::UiViews;
use crate::app::{AppState, Pane};

/// A pane frame with its title, highlighted when focused.
pub(crate) fn block<'a>(title: impl Into<Line<'a>>, focused: bool, theme: &Theme) -> Block<'a> {
    Block::default()
        .borders(Borders::ALL)
        .border_type(if focused {
            BorderType::Thick
        } else {
            BorderType::Plain
        })
        .border_style(theme.border(focused))
        .title(title.into().style(theme.title()))
}

/// A title with a muted suffix.
pub fn title<'a>(name: &'a str, extra: String, theme: &Theme) -> Line<'a> {
    Line::from(vec![
        Span::styled(format!(" {name} "), theme.title()),
        Span::styled(extra, theme.muted()),
    ])
}

/// Draws `pane` into `area`.
pub fn draw(
    pane: Pane,
    state: &AppState,
    views: &mut UiViews,
    theme: &Theme,
    area: Rect,
    buf: &mut Buffer,
) {
    let focused = state.focus == pane;
    match pane {
        Pane::Results => results::render(state, views, theme, focused, area, buf),
        Pane::Detail => detail::render(state, views, theme, focused, area, buf),
        Pane::Timeline => timeline::render(state, theme, focused, area, buf),
        p @ (Pane::Integrity
        | Pane::Lineage
        | Pane::Alerts
        | Pane::Facets
        | Pane::Case
        | Pane::Compliance) => {
            let placeholder = match p {
                Pane::Integrity => strings::NO_INTEGRITY,
                Pane::Lineage => strings::NO_LINEAGE,
                Pane::Alerts => strings::NO_ALERTS,
                Pane::Case => strings::NO_CASE,
                Pane::Compliance => strings::NO_COMPLIANCE,
                _ => strings::NO_FACETS,
            };
            report::render(
                p.title(),
                state.report_of(p),
                placeholder,
                state,
                views,
                theme,
                focused,
                area,
                buf,
            );
        }
    }
}
