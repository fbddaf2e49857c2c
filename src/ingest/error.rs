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

/// Why an adapter could not turn one JSON record into an event. It names no file: the
/// decoder places it, as an [`IngestError`] with the path and line, through
/// [`IngestError::mapping`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MapError {
    /// A native envelope that is not exactly `{"hash": "<hex>", "rec": {...}}`.
    #[error("malformed native envelope: {0}")]
    Envelope(String),
    /// The `rec` of a native envelope is not strict JSON (duplicate keys...).
    #[error("malformed record: {0}")]
    Record(String),
    /// A field that should hold a JSON text (the `CloudTrailEvent` of a `lookup-events` result,
    /// the `properties.log` of an Azure kube-audit record) holds something else.
    #[error("{field} {problem}")]
    Nested {
        /// The field, as the user knows it.
        field: &'static str,
        /// What is wrong with its content.
        problem: Nested,
    },
}

/// What is wrong with the content of a field that should hold a JSON object as text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Nested {
    /// Not a string.
    #[error("is not a string")]
    String,
    /// A string that is not valid JSON.
    #[error("is not valid JSON: {0}")]
    Json(String),
    /// Valid JSON, but not an object.
    #[error("does not hold a JSON object")]
    Object,
}

impl MapError {
    /// The kind of input problem it is: a native envelope or record that breaks the format
    /// is malformed; a wrapper no adapter can open is unsupported.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::Envelope(_) | Self::Record(_) => ErrorKind::Malformed,
            Self::Nested { .. } => ErrorKind::Unsupported,
        }
    }
}

impl IngestError {
    /// The record at `path:line` that an adapter could not map (counted as skipped).
    pub fn mapping(path: &str, line: u64, e: &MapError) -> Self {
        Self::record(path, line, e.kind(), e.to_string())
    }
}
