//! What stops an integrity operation (as opposed to findings, which are data).

use std::path::PathBuf;

/// An error that stops writing, sealing or verifying.
#[derive(Debug, thiserror::Error)]
pub enum IntegrityError {
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The output folder exists and is not empty.
    #[error("{0}: exists and is not empty")]
    NotEmpty(PathBuf),
    /// A stream id outside `[A-Za-z0-9._/-]{{1,256}}`.
    #[error("invalid stream id {0:?} (allowed: A-Z a-z 0-9 . _ / -, 1 to 256 characters)")]
    BadStreamId(String),
    /// A record the writer cannot seal.
    #[error("stream {stream}, seq {seq}: {reason}")]
    BadRecord {
        /// Stream id.
        stream: String,
        /// The seq it would have had.
        seq: u64,
        /// What is wrong.
        reason: String,
    },
    /// A file that should hold JSON does not, or not the expected shape.
    #[error("{path}{}: {reason}", line.map(|l| format!(":{l}")).unwrap_or_default())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// 1-based line, when known.
        line: Option<u64>,
        /// What is wrong.
        reason: String,
    },
    /// A value JCS cannot represent (an integer of 2^53 or more).
    #[error("cannot write canonical JSON: {0}")]
    Canonical(String),
    /// A bad argument (artefact path, key...).
    #[error("{0}")]
    Argument(String),
}

impl IntegrityError {
    /// An I/O error on `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            path: path.into(),
            source,
        }
    }

    /// Invalid content in `path`.
    pub fn invalid(path: impl Into<PathBuf>, line: Option<u64>, reason: impl Into<String>) -> Self {
        Self::Invalid {
            path: path.into(),
            line,
            reason: reason.into(),
        }
    }
}
