//! `manifest.json` (spec section 4): written in JCS form, parsed strictly.

use serde::{Deserialize, Serialize};

use super::digest::Digest32;

/// Who wrote the bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Producer {
    /// Program name.
    pub name: String,
    /// Program version.
    pub version: String,
}

/// The export this one continues.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrevExport {
    /// Its bundle id.
    pub bundle_id: String,
    /// Its export number.
    pub export_seq: u64,
    /// SHA-256 of its manifest.json bytes.
    pub manifest_sha256: Digest32,
}

/// A signed checkpoint: the record hash at `seq`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// The seq.
    pub seq: u64,
    /// Its record hash.
    pub hash: Digest32,
}

/// What the manifest says about one stream file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreamInfo {
    /// Stream id.
    pub id: String,
    /// Records in this export.
    pub records: u64,
    /// Seq of the first record.
    pub first_seq: u64,
    /// Seq of the last record (`first_seq - 1` when there is none).
    pub last_seq: i64,
    /// `prev` of the first record.
    pub first_prev: Digest32,
    /// Hash of the last record (`first_prev` when there is none).
    pub head: Digest32,
    /// RFC 6962 root over the record hashes in seq order.
    pub merkle_root: Digest32,
    /// Earliest `ts`.
    pub ts_min: Option<String>,
    /// Latest `ts`.
    pub ts_max: Option<String>,
    /// Record hash at every 1024th seq.
    pub checkpoints: Vec<Checkpoint>,
}

/// One file of the bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEntry {
    /// Bundle-relative path.
    pub path: String,
    /// `records` or `blob`.
    pub kind: String,
    /// Size.
    pub bytes: u64,
    /// SHA-256 of the bytes.
    pub sha256: Digest32,
    /// Stream facts (records files only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream: Option<StreamInfo>,
}

/// The manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// `auditlens-bundle/v1`.
    pub format: String,
    /// Bundle id.
    pub bundle_id: String,
    /// Export number.
    pub export_seq: u64,
    /// Creation time (RFC 3339 Z).
    pub created_at: String,
    /// Producer.
    pub producer: Producer,
    /// The export this continues.
    pub prev_export: Option<PrevExport>,
    /// Files, sorted by path.
    pub files: Vec<FileEntry>,
}

impl Manifest {
    /// `created_at` as a time.
    pub(crate) fn created_at_time(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        chrono::DateTime::parse_from_rfc3339(&self.created_at)
            .ok()
            .map(|t| t.with_timezone(&chrono::Utc))
    }

    /// The stream entries.
    pub fn streams(&self) -> impl Iterator<Item = (&FileEntry, &StreamInfo)> {
        self.files
            .iter()
            .filter_map(|f| f.stream.as_ref().map(|s| (f, s)))
    }
}
