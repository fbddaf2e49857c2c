//! `IngestError`: one problem with the input, naming the file and (when known) the line.

use serde::{Deserialize, Serialize};

/// The kind of an input problem.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// Not valid JSON, duplicate keys, trailing commas...
    Malformed,
    /// Bytes that are not UTF-8.
    InvalidUtf8,
    /// A line over the configured limit.
    LineTooLong,
    /// A document over the configured limit.
    TooLarge,
    /// A gzip or tar stream that ends early or is corrupt.
    Truncated,
    /// A file with no records at all.
    Empty,
    /// Binary content that is not JSON text.
    Binary,
    /// A symlink, device, absolute path or `..` member: never followed.
    Unsafe,
    /// Valid JSON that no adapter can turn into an event.
    Unsupported,
    /// An operating-system error while reading.
    Io,
}

/// A problem with one input, one line or one record. The rest of the input still loads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{path}{}: {reason}", line.map(|l| format!(":{l}")).unwrap_or_default())]
pub struct IngestError {
    /// Display path (input path, `!member` inside an archive).
    pub path: String,
    /// 1-based line, when the problem has one.
    pub line: Option<u64>,
    /// What kind of problem.
    pub kind: ErrorKind,
    /// Human-readable reason.
    pub reason: String,
    /// Whether a record (or line) was skipped because of it.
    #[serde(skip)]
    pub skipped_record: bool,
}

impl IngestError {
    /// A problem that cost a record: counted as skipped.
    pub fn record(path: &str, line: u64, kind: ErrorKind, reason: impl Into<String>) -> Self {
        Self {
            path: path.to_owned(),
            line: Some(line),
            kind,
            reason: reason.into(),
            skipped_record: true,
        }
    }

    /// A problem with a whole file or stream (no record is counted as skipped).
    pub fn file(path: &str, line: Option<u64>, kind: ErrorKind, reason: impl Into<String>) -> Self {
        Self {
            path: path.to_owned(),
            line,
            kind,
            reason: reason.into(),
            skipped_record: false,
        }
    }
}
