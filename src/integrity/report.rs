//! The verification report (spec section 8): statuses, findings, verdict.

use std::collections::BTreeMap;

use serde::Serialize;

use super::digest::Digest32;
use super::manifest::Manifest;
pub use crate::model::RecordStatus;
use crate::model::Severity;

/// What verify concludes of a bundle (spec section 8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Every record authenticated from a trusted signature, nothing wrong.
    Verified,
    /// Something is wrong: an error finding, or a bad signature.
    Tampered,
    /// Consistent, but no trusted signature authenticates it.
    Unverified,
    /// Could not be verified at all (no usable manifest).
    Error,
}

impl Verdict {
    /// Lower case, as in the JSON report.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Verified => "verified",
            Self::Tampered => "tampered",
            Self::Unverified => "unverified",
            Self::Error => "error",
        }
    }
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Codes that make a bundle `tampered`.
pub(crate) fn is_error_code(code: &str) -> bool {
    matches!(
        code,
        "SIGNATURE_INVALID"
            | "SIGNATURE_MALFORMED"
            | "FILE_MODIFIED"
            | "FILE_MISSING"
            | "FILE_UNLISTED"
            | "FILE_UNSAFE"
            | "FILE_DUPLICATE"
            | "SIGNED_ANCHOR_NOT_FOUND"
            | "TRUNCATED"
            | "LAST_LINE_UNTERMINATED"
            | "DELETED"
            | "MODIFIED"
            | "REPLACED"
            | "INSERTED"
            | "DUPLICATE"
            | "REORDERED"
            | "APPENDED_UNSIGNED"
            | "FOREIGN_STREAM"
            | "MALFORMED"
            | "EXPORT_GAP"
            | "EXPORT_MISSING"
            | "PREV_EXPORT_MISMATCH"
    )
}

/// One finding, as in the JSON report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The code.
    pub code: &'static str,
    /// Bundle-relative file, when it concerns one.
    pub path: Option<String>,
    /// First 1-based line.
    pub line: Option<u64>,
    /// Last line of a run.
    pub line_end: Option<u64>,
    /// First seq.
    pub seq: Option<u64>,
    /// Last seq of a run.
    pub seq_end: Option<u64>,
    /// Explanation.
    pub detail: String,
}

impl Finding {
    /// A finding with only a code, an optional path and a detail.
    pub fn new(code: &'static str, path: Option<&str>, detail: impl Into<String>) -> Self {
        Self {
            code,
            path: path.map(str::to_owned),
            line: None,
            line_end: None,
            seq: None,
            seq_end: None,
            detail: detail.into(),
        }
    }

    /// How serious it is: a code that makes the bundle `tampered` is an error; doubts about
    /// time order, the chain or the signing key are warnings; anything else is a notice.
    pub fn severity(&self) -> Severity {
        if is_error_code(self.code) {
            Severity::Error
        } else if matches!(
            self.code,
            "TIME_REGRESSION"
                | "SIGNED_CHAIN_ANOMALY"
                | "UNVERIFIED"
                | "SIGNATURE_ABSENT"
                | "KEY_UNKNOWN"
                | "KEY_NOT_VALID"
        ) {
            Severity::Warning
        } else {
            Severity::Notice
        }
    }

    /// With a line range.
    #[must_use]
    pub fn lines(mut self, first: u64, last: u64) -> Self {
        self.line = Some(first);
        self.line_end = Some(last);
        self
    }

    /// With a seq range.
    #[must_use]
    pub fn seqs(mut self, first: u64, last: u64) -> Self {
        self.seq = Some(first);
        self.seq_end = Some(last);
        self
    }
}

/// The signature part of the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SignatureReport {
    /// `SIGNATURE_OK`, `SIGNATURE_ABSENT`, ...
    pub status: &'static str,
    /// The key id named by manifest.sig.
    pub key_id: Option<String>,
    /// The trusted signer's name.
    pub signer: Option<String>,
}

/// One file's result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileResult {
    /// Bundle-relative path.
    pub path: String,
    /// `FILE_OK`, `FILE_MODIFIED`, ...
    pub code: &'static str,
}

/// One stream's result (for the text report and the index).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamResult {
    /// Bundle-relative file.
    pub path: String,
    /// Which copy of `path` in the archive (1 unless it holds the path more than once).
    pub copy: u32,
    /// How ingest names the file (input path joined with it, or `archive!member`, with
    /// ` (copy N)` for a later copy).
    pub display: String,
    /// Stream id.
    pub id: String,
    /// Verified seq ranges (inclusive).
    pub verified: Vec<(u64, u64)>,
    /// Record lines.
    pub lines: u64,
    /// Status of each line (index = line - 1), as `RecordStatus as u8`.
    pub statuses: Vec<u8>,
    /// SHA-256 of each line's bytes as the verifier read them (without the LF; zero for a
    /// line over the limit): a status belongs to these bytes only.
    pub line_hashes: Vec<Digest32>,
}

/// The report of one bundle.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The bundle as named on the command line.
    pub bundle: String,
    /// The verdict.
    pub verdict: Verdict,
    /// Signature.
    pub signature: SignatureReport,
    /// Records per status.
    pub counts: BTreeMap<&'static str, u64>,
    /// Every problem.
    pub findings: Vec<Finding>,
    /// Per-file results.
    #[serde(skip)]
    pub files: Vec<FileResult>,
    /// Per-stream results.
    #[serde(skip)]
    pub streams: Vec<StreamResult>,
    /// The parsed manifest (for the export chain).
    #[serde(skip)]
    pub manifest: Option<Manifest>,
    /// SHA-256 of manifest.json.
    #[serde(skip)]
    pub manifest_sha256: Option<Digest32>,
}

impl Report {
    /// An empty report for `bundle`.
    pub fn new(bundle: &str) -> Self {
        Self {
            bundle: bundle.to_owned(),
            verdict: Verdict::Error,
            signature: SignatureReport {
                status: "SIGNATURE_ABSENT",
                key_id: None,
                signer: None,
            },
            counts: RecordStatus::ALL.iter().map(|s| (s.code(), 0)).collect(),
            findings: Vec::new(),
            files: Vec::new(),
            streams: Vec::new(),
            manifest: None,
            manifest_sha256: None,
        }
    }

    /// Recomputes the verdict from the findings (after the export chain is checked too).
    pub fn settle(&mut self) {
        if self.verdict == Verdict::Error && self.manifest.is_none() {
            return;
        }
        let tampered = is_error_code(self.signature.status)
            || self.findings.iter().any(|f| is_error_code(f.code))
            || (self.signature.status == "SIGNATURE_OK"
                && self.counts.get("UNVERIFIED").is_some_and(|n| *n > 0));
        self.verdict = if tampered {
            Verdict::Tampered
        } else if self.signature.status == "SIGNATURE_OK" {
            Verdict::Verified
        } else {
            Verdict::Unverified
        };
    }

    /// Total record lines.
    pub fn lines(&self) -> u64 {
        self.counts.values().sum()
    }

    /// The report as the JSON object of spec section 8.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}
