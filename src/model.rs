//! Pure domain types shared by every module: events, their origin, enums of the event model,
//! and the table of the fields the query language names (`fields`).
//!
//! Allowed imports: std, serde, `serde_json`, chrono. Never ratatui or tantivy.

mod enums;
mod event;
pub(crate) mod fields;
pub(crate) mod record_values;
pub(crate) mod safe_json;
mod status;
mod text;
mod time;

pub use enums::{Category, Format, Outcome, Severity, TsQuality};
pub use event::{Actor, ArtifactRef, AuditEvent, ModelRef, Origin, Resource};
pub use status::{PENDING, RecordStatus};
pub(crate) use status::{glob, integrity_labels};
pub(crate) use text::escape_control;
pub use text::escape_control_keep_newlines;
pub use time::{TimeParse, Tz};
pub(crate) use time::{format_ts, parse_time_str, parse_time_value};
