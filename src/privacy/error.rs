//! Why a masker could not be built: a policy or roles file that cannot be read or used.

use std::path::PathBuf;

/// A masking policy, roles file or role that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum PrivacyError {
    /// An embedded default file does not parse (a build defect).
    #[error("embedded {file}: {source}")]
    Embedded {
        /// `masking.json` or `roles.json`.
        file: &'static str,
        /// The parse error.
        source: serde_json::Error,
    },
    /// A user file exists but cannot be read.
    #[error("reading {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A user file is not valid JSON of the expected shape.
    #[error("{}: {source}", path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// The parse error.
        source: serde_json::Error,
    },
    /// A detector or extra pattern does not compile.
    #[error("pattern {name}: {source}")]
    Pattern {
        /// The pattern's name.
        name: String,
        /// The regex error.
        source: regex::Error,
    },
    /// The policy names a detector that does not exist.
    #[error("masking policy: unknown pattern {name:?} (known: {known})")]
    UnknownPattern {
        /// The name given.
        name: String,
        /// The detectors there are, comma-separated.
        known: String,
    },
    /// `--role` names a role the roles files do not define.
    #[error("unknown role {name:?} (known: {known})")]
    UnknownRole {
        /// The name given.
        name: String,
        /// The roles there are, comma-separated.
        known: String,
    },
}
