//! Screen layout and the top-level `render`. Wide terminals (at least 100x30) show the
//! timeline above the results and a side pane (detail, integrity, lineage or alerts);
//! smaller ones show one pane at a time under a tab bar. `f` maximises the focused pane.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};

use super::keymap::Keymap;
use super::panes;
use super::theme::Theme;
use super::views::UiViews;
use crate::app::{AppState, Mode, Pane};
use crate::model::escape_control;

/// Where everything goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Areas {
    /// Search bar row.
    pub search: Rect,
    /// Tab bar row (compact layout).
    pub tabs: Option<Rect>,
    /// Visible panes.
    pub panes: Vec<(Pane, Rect)>,
    /// Status line row.
    pub status: Rect,
}

/// True when the terminal is too small for side-by-side panes.
pub fn compact(area: Rect) -> bool {
    area.width < 100 || area.height < 30
}

/// Computes the layout for `area`.
pub(crate) fn areas(area: Rect, state: &AppState) -> Areas {
    let small = compact(area);
    let [search, body, status] = area.layout(&Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(1),
    ]));
    if small || state.maximised {
        let (tabs, body) = if small {
            let [t, b] = body.layout(&Layout::vertical([
                Constraint::Length(1),
                Constraint::Min(1),
            ]));
            (Some(t), b)
        } else {
            (None, body)
        };
        return Areas {
            search,
            tabs,
            panes: vec![(state.focus, body)],
            status,
        };
    }
    let [timeline, rest] = body.layout(&Layout::vertical([
        Constraint::Length(8),
        Constraint::Min(5),
    ]));
    let [results, side] = rest.layout(&Layout::horizontal([
        Constraint::Percentage(58),
        Constraint::Percentage(42),
    ]));
    let side_pane = match state.focus {
        Pane::Results | Pane::Timeline | Pane::Detail => Pane::Detail,
        p @ (Pane::Integrity
        | Pane::Lineage
        | Pane::Alerts
        | Pane::Facets
        | Pane::Log
        | Pane::Case
        | Pane::Compliance) => p,
    };
    Areas {
        search,
        tabs: None,
        panes: vec![
            (Pane::Timeline, timeline),
            (Pane::Results, results),
            (side_pane, side),
        ],
        status,
    }
}

/// Draws the whole screen.
pub fn render(
    frame: &mut Frame<'_>,
    state: &AppState,
    views: &mut UiViews,
    theme: &Theme,
    keymap: &Keymap,
) {
    let full = frame.area();
    let a = areas(full, state);
    let buf = frame.buffer_mut();
    panes::search_bar::render(state, theme, a.search, buf);
    if let Some(t) = a.tabs {
        panes::tabs::render(state, theme, t, buf);
    }
    for (pane, area) in &a.panes {
        panes::draw(*pane, state, views, theme, *area, buf);
    }
    panes::status::render(state, theme, keymap, a.status, buf);
    if state.mode == Mode::Help {
        panes::help::render(state, theme, keymap, full, buf);
    }
    if state.mode == Mode::Search {
        let before = &state.input.text()[..state.input.cursor()];
        // After the jump's label, when one is shown (`[evidence of: ...] `).
        let label = state
            .jump
            .as_ref()
            .map_or(0, |j| crate::ui::text::width(&escape_control(&j.label)) + 3);
        let x = a.search.x + 3 + (label + crate::ui::text::width(&escape_control(before))) as u16;
        frame.set_cursor_position((x.min(a.search.right().saturating_sub(1)), a.search.y));
    } else if state.mode == Mode::Command {
        let before = &state.command.text()[..state.command.cursor()];
        let x = a.status.x + 1 + crate::ui::text::width(&escape_control(before)) as u16;
        frame.set_cursor_position((x.min(a.status.right().saturating_sub(1)), a.status.y));
    }
}
