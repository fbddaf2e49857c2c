//! Pure domain types shared by every module: events, their origin, enums of the event model.
//!
//! Allowed imports: std, serde, `serde_json`, chrono. Never ratatui or tantivy.

mod enums;
mod event;
pub mod record_values;
pub mod safe_json;
mod status;
mod text;
mod time;

pub use enums::{Category, Format, Outcome, Severity, TsQuality};
pub use event::{Actor, ArtifactRef, AuditEvent, ModelRef, Origin, Resource};
pub use status::RecordStatus;
pub use text::{escape_control, escape_control_keep_newlines, is_hidden_or_control};
pub use time::{TimeParse, Tz, parse_time_str, parse_time_value};
