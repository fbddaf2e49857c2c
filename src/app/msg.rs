//! The messages of the explorer's one inbound channel (STYLE.md section 4): terminal input
//! and background results. Kept apart so that the loop (`run`) and the workers (`worker`)
//! both depend on it instead of on each other.
//!
//! Allowed imports: `index` (live build events), crossterm (terminal events), `super::action`.

use crossterm::event::Event;

use super::action::Action;
use crate::index::LiveEvent;

/// What background threads send to the UI thread.
pub enum WorkerMsg {
    /// From the indexer.
    Live(LiveEvent),
    /// A ready action (search results...).
    Action(Action),
}

/// Everything the UI thread receives.
pub enum Msg {
    /// Terminal input.
    Input(Event),
    /// Background results.
    Worker(WorkerMsg),
}
