//! `EvidenceRef`: one record behind a finding, enough to find it again with `auditlens
//! search` (`path:"P" AND line:N`, or `stream:S AND seq:N`) and to check its bytes.

use crate::model::fields;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::model::AuditEvent;

/// Most evidence records listed per finding; [`super::Finding::count`] counts them all.
pub const MAX_EVIDENCE: usize = 20;

/// One record cited by a finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvidenceRef {
    /// Display path of the file (`bundle.tar.gz!streams/x.jsonl` inside an archive).
    pub path: String,
    /// 1-based line where the record starts.
    pub line: u64,
    /// Stream id (native bundles).
    pub stream: Option<String>,
    /// Sequence number in the stream (native bundles).
    pub seq: Option<u64>,
    /// Lower-case hex SHA-256 of the original record text as loaded (filled in by the
    /// caller from the index; `None` for a record that is not in the inputs, e.g. deleted).
    pub record_sha256: Option<String>,
    /// Event time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ts: Option<DateTime<Utc>>,
    /// Ordinal in the index the event came from (not part of the report).
    #[serde(skip)]
    pub ord: Option<u64>,
    /// The record, masked, for the HTML report (not part of the JSON report).
    #[serde(skip)]
    pub record: Option<String>,
}

impl EvidenceRef {
    /// The evidence of one event.
    pub fn of(ev: &AuditEvent, ord: Option<u64>) -> Self {
        Self {
            path: ev.origin.path.clone(),
            line: ev.origin.line,
            stream: ev.origin.stream.clone(),
            seq: ev.origin.seq,
            record_sha256: None,
            ts: ev.ts,
            ord,
            record: None,
        }
    }

    /// A query that finds this record again with `auditlens search`.
    pub(crate) fn search_query(&self) -> String {
        format!(
            "{}:{} AND {}:{}",
            fields::PATH,
            quote(&self.path),
            fields::LINE,
            self.line
        )
    }
}

pub(crate) use crate::store::quote;
