//! The interactive explorer's runtime: state, actions, the pure `update`, effects and the
//! threads that carry them out. The only module with threads and channels.
//!
//! Allowed imports: `model`, `index` (search service, hits, live build events), `session`
//! (opening inputs, alerts), `settings` (UI settings, masker), `integrity` (the shared
//! verification, for the Integrity pane), `lineage`, `alerts` (report panes), `privacy`
//! (masker), `ingest` (summaries), `ui` (rendering only, from `run`), ratatui, crossterm
//! (input thread and terminal lifecycle in `run`), base64 (OSC 52). Never `cmd`.

mod action;
mod effect;
mod msg;
pub mod reports;
mod run;
mod state;
mod update;
mod worker;

pub use action::Action;
pub use effect::{Effect, Job, LocateTarget};
pub use msg::{Msg, WorkerMsg};
pub use run::{RunOptions, run, run_loop};
pub use state::{
    AppState, Mode, Pane, PaneReport, Phase, Progress, Related, ReportRow, RowTarget, Status,
    TimelineState, Tz, Window,
};
pub use update::{MARGIN, WINDOW, problem_query, update};
pub use worker::{EffectRunner, SyncRunner, ThreadRunner, execute};
