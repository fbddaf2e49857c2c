//! `UiViews`: ratatui scroll state only, kept apart from `AppState` so that rendering can
//! move the viewport but never change what the user selected.

use ratatui::widgets::{ListState, TableState};

/// Per-pane viewport state.
#[derive(Debug, Default)]
pub struct UiViews {
    /// Results table (positions relative to the fetched window).
    pub table: TableState,
    /// Absolute position of the window the table state refers to.
    pub table_base: u64,
    /// Report panes (integrity, lineage, alerts).
    pub report: ListState,
}
