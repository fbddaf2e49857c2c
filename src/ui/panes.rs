//! The panes: borrowing structs built per frame from `&AppState` that impl `Widget` (or
//! `StatefulWidget` over their scroll state in `UiViews`), or small draw functions.

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
use ratatui::widgets::{Block, BorderType, Borders, StatefulWidget};

use super::strings;
use super::theme::Theme;
use super::views::UiViews;
use crate::app::{AppState, Pane};

/// What every pane borrows for one frame: the state, the styles, and whether it has the
/// focus.
#[derive(Clone, Copy)]
pub struct PaneCtx<'a> {
    /// The explorer's state.
    pub state: &'a AppState,
    /// Styles.
    pub theme: &'a Theme,
    /// Whether the pane has the focus.
    pub focused: bool,
}

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
    let ctx = PaneCtx {
        state,
        theme,
        focused,
    };
    match pane {
        Pane::Results => results::ResultsPane(ctx).render(area, buf, views),
        Pane::Detail => detail::DetailPane(ctx).render(area, buf, views),
        Pane::Timeline => timeline::render(state, theme, focused, area, buf),
        p @ (Pane::Integrity
        | Pane::Lineage
        | Pane::Alerts
        | Pane::Facets
        | Pane::Log
        | Pane::Case
        | Pane::Compliance) => {
            let placeholder = match p {
                Pane::Integrity | Pane::Lineage | Pane::Alerts => strings::pending_report(p, state),
                Pane::Case => strings::NO_CASE.to_owned(),
                Pane::Compliance => strings::NO_COMPLIANCE.to_owned(),
                _ => strings::NO_FACETS.to_owned(),
            };
            report::ReportPane {
                name: p.title(),
                report: state.report_of(p),
                missing: &placeholder,
                ctx,
            }
            .render(area, buf, &mut views.report);
        }
    }
}
