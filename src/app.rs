//! The interactive explorer's runtime: state, actions, the pure `update`, effects and the
//! threads that carry them out. The only module with threads and channels.
//!
//! Allowed imports: `model`, `store` (the store trait, hits, pages, filters), `index` (live
//! build events), `session`
//! (opening inputs, alerts), `settings` (UI settings, masker), `integrity` (the shared
//! verification, for the Integrity pane), `lineage`, `alerts` (report panes), `privacy`
//! (masker, the access trail), `governance` (the Compliance pane), `ingest` (summaries), `ui` (rendering only, from `run`), ratatui, crossterm
//! (input thread and terminal lifecycle in `run`), base64 (OSC 52). Never `cmd`.

mod action;
mod desk;
mod desk_error;
mod effect;
pub mod find;
mod follow;
mod line;
pub mod messages;
mod msg;
pub mod prefs;
pub mod reports;
mod run;
mod state;
mod update;
mod worker;

pub use action::{Action, LiveAlert};
pub use desk::{Desk, ExportJob, ReportJob};
pub use desk_error::DeskError;
pub use effect::{Effect, Job, LocateTarget};
pub use line::LineInput;
pub use messages::{LoadProblem, MessageLog};
pub use msg::{Msg, WorkerMsg};
pub use prefs::{Column, Prefs};
pub use run::{RunOptions, run, run_loop};
pub use state::{
    AppState, CaseState, Completion, Mode, Pane, PaneReport, Phase, Progress, Related, ReportRow,
    RowTarget, Scroll, Status, TimelineState, Tz, Window,
};
pub use update::{MARGIN, WINDOW, update};
pub use worker::{EffectRunner, SyncRunner, ThreadRunner, execute};
