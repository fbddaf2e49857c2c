//! `UiViews`: viewport state only (scroll offsets, and caches of what was drawn), kept
//! apart from `AppState` so that rendering can move the viewport but never change what the
//! user selected.

use ratatui::text::Line;
use ratatui::widgets::{ListState, TableState};

use crate::model::Tz;

/// What the detail view's lines depend on: the event, the zone and the related events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DetailKey {
    /// The event.
    pub ord: u64,
    /// Its integrity status (`pending` becomes the verdict while it is shown).
    pub integrity: Option<String>,
    /// Display zone.
    pub tz: Tz,
    /// The related events' answer: (event, total, hits shown, query length).
    pub related: Option<(u64, u64, usize, usize)>,
    /// The words of the find highlighted in it.
    pub find: Vec<String>,
}

/// The detail view's lines, built once per selection (not per frame), and wrapped once per
/// width.
#[derive(Debug, Clone)]
pub struct DetailCache {
    /// What they were built from.
    pub key: DetailKey,
    /// The lines.
    pub lines: Vec<Line<'static>>,
    /// The lines wrapped at `wrapped_at` columns.
    pub wrapped: Vec<Line<'static>>,
    /// The width `wrapped` was made for (0: not yet).
    pub wrapped_at: usize,
}

/// Per-pane viewport state.
#[derive(Debug, Default)]
pub struct UiViews {
    /// Results table: the selected row relative to the rows drawn (offset always 0).
    pub table: TableState,
    /// Display position of the table's first row on screen.
    pub table_base: u64,
    /// The last `AppState::center_request` the table honoured.
    pub centered: u64,
    /// Report panes (integrity, lineage, alerts).
    pub report: ListState,
    /// The detail view's lines.
    pub detail: Option<DetailCache>,
}
