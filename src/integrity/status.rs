//! Integrity statuses for the index: a [`StatusLookup`] filled by verifying every native
//! bundle among the inputs (lazily, on the first lookup, so a reused index costs nothing).
//!
//! A status belongs to bytes (spec section 7): the verifier keeps the SHA-256 of every line
//! it read, and a record being indexed gets that line's status only when its own bytes hash
//! the same. Anything else in a sealed stream (bytes that changed since, a record the loader
//! read differently, a copy the verifier never saw) is `unverified`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use super::digest::{Digest32, sha256};
use super::keys::TrustStore;
use super::report::RecordStatus;
use super::verify::{VerifyOptions, verify_bundle};
use crate::ingest::{StatusLookup, is_bundle_manifest};

/// Environment variable naming the trust store used when indexing (else the default one).
pub const TRUST_ENV: &str = "AUDITLENS_TRUST";

/// One stream file as the verifier read it: each line's status and the hash of its bytes.
struct CheckedLines {
    statuses: Vec<u8>,
    hashes: Vec<Digest32>,
}

/// Record statuses by display path and line, bound to each line's bytes.
pub struct VerifiedStatuses {
    inputs: Vec<PathBuf>,
    trust: Option<TrustStore>,
    map: OnceLock<HashMap<String, Vec<CheckedLines>>>,
}

impl VerifiedStatuses {
    /// Statuses of the native bundles among `inputs`, checked against `trust`.
    pub fn new(inputs: &[PathBuf], trust: Option<TrustStore>) -> Self {
        Self {
            inputs: inputs.to_vec(),
            trust,
            map: OnceLock::new(),
        }
    }

    fn compute(&self) -> HashMap<String, Vec<CheckedLines>> {
        let mut map = HashMap::new();
        let opts = VerifyOptions {
            trust: self.trust.as_ref(),
            ..VerifyOptions::default()
        };
        for p in &self.inputs {
            if !is_native_bundle(p) {
                continue;
            }
            if let Ok(report) = verify_bundle(p, &opts) {
                for s in report.streams {
                    let lines = CheckedLines {
                        statuses: s.statuses,
                        hashes: s.line_hashes,
                    };
                    map.entry(s.display).or_insert_with(Vec::new).push(lines);
                }
            }
        }
        map
    }
}

/// Whether `p` is a sealed bundle: a folder with an auditlens manifest, or a tar / tar.gz
/// archive (by content, whatever its name).
pub fn is_native_bundle(p: &Path) -> bool {
    if p.is_dir() {
        return std::fs::read(p.join("manifest.json")).is_ok_and(|b| is_bundle_manifest(&b));
    }
    crate::ingest::is_tar_archive(p)
}

impl StatusLookup for VerifiedStatuses {
    fn status(&self, path: &str, line: u64, bytes: &[u8]) -> Option<String> {
        let map = self.map.get_or_init(|| self.compute());
        let copies = map.get(path)?;
        let i = usize::try_from(line.checked_sub(1)?).ok()?;
        let hash = sha256(bytes);
        let status = copies
            .iter()
            .find(|c| c.hashes.get(i) == Some(&hash))
            .and_then(|c| c.statuses.get(i))
            .and_then(|&b| RecordStatus::from_u8(b))
            .unwrap_or(RecordStatus::Unverified);
        Some(status.lower().to_owned())
    }
}

/// The status lookup for an index build over `inputs` checked against `trust`, or `None`
/// when no input is a sealed bundle.
pub fn status_lookup_with(
    inputs: &[PathBuf],
    trust: Option<TrustStore>,
) -> Option<Arc<dyn StatusLookup>> {
    if !inputs.iter().any(|p| is_native_bundle(p)) {
        return None;
    }
    Some(Arc::new(VerifiedStatuses::new(inputs, trust)))
}
