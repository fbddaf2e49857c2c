//! What an evaluation produces: an [`Alert`] with the [`Evidence`] events behind it.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::model::{AuditEvent, ModelRef, Severity};

/// Most evidence events kept per alert; `Alert::count` counts them all.
pub const MAX_EVIDENCE: usize = 1000;

/// One event behind an alert: enough to find it again (in the bundle, or in the index).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Evidence {
    /// Stream id (native bundles).
    pub stream: Option<String>,
    /// Sequence number in the stream (native bundles).
    pub seq: Option<u64>,
    /// Display path of the file.
    pub path: String,
    /// 1-based line.
    pub line: u64,
    /// Event time.
    pub ts: Option<DateTime<Utc>>,
    /// Ordinal in the index the event came from, when it came from one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ord: Option<u64>,
    /// The model (and version) the event concerns: which model versions the alert cites.
    #[serde(skip)]
    pub model: Option<ModelRef>,
}

impl Evidence {
    /// The evidence of one event.
    pub fn of(ev: &AuditEvent, ord: Option<u64>) -> Self {
        Self {
            stream: ev.origin.stream.clone(),
            seq: ev.origin.seq,
            path: ev.origin.path.clone(),
            line: ev.origin.line,
            ts: ev.ts,
            ord,
            model: ev.model.clone(),
        }
    }
}

/// An alert: a rule that fired, when, for what key, and the events behind it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Alert {
    /// Rule id.
    pub rule: String,
    /// Rule title.
    pub title: String,
    /// Rule severity.
    pub severity: Severity,
    /// Why the rule matters.
    pub why: String,
    /// Time of the first evidence event.
    pub first_ts: Option<DateTime<Utc>>,
    /// Time of the last evidence event.
    pub last_ts: Option<DateTime<Utc>>,
    /// What the events have in common (`actor.id=alice`), or empty.
    pub key: String,
    /// What was found, in one line.
    pub detail: String,
    /// Number of evidence events (the list stops at [`MAX_EVIDENCE`]).
    pub count: u64,
    /// The events behind the alert, oldest first.
    pub evidence: Vec<Evidence>,
}

impl Alert {
    /// Display order for an alerts list: most severe first, then oldest first, then by
    /// rule id (`alerts.sort_by(Alert::by_severity_then_time)`).
    pub fn by_severity_then_time(a: &Self, b: &Self) -> std::cmp::Ordering {
        b.severity
            .cmp(&a.severity)
            .then(a.first_ts.cmp(&b.first_ts))
            .then_with(|| a.rule.cmp(&b.rule))
    }
}
