//! Integrity statuses for the index: a [`StatusLookup`] filled by verifying every native
//! bundle among the inputs (lazily, on the first lookup, so a reused index costs nothing).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use super::keys::TrustStore;
use super::report::RecordStatus;
use super::verify::{VerifyOptions, verify_bundle};
use crate::ingest::{StatusLookup, is_bundle_manifest};

/// Environment variable naming the trust store used when indexing (else the default one).
pub const TRUST_ENV: &str = "AUDITLENS_TRUST";

/// Record statuses by display path and line.
pub struct VerifiedStatuses {
    inputs: Vec<PathBuf>,
    trust: Option<TrustStore>,
    map: OnceLock<HashMap<String, Vec<u8>>>,
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

    fn compute(&self) -> HashMap<String, Vec<u8>> {
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
                    map.insert(s.display, s.statuses);
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
    fn status(&self, path: &str, line: u64) -> Option<String> {
        let map = self.map.get_or_init(|| self.compute());
        let statuses = map.get(path)?;
        let b = *statuses.get(usize::try_from(line.checked_sub(1)?).ok()?)?;
        RecordStatus::from_u8(b).map(|s| s.lower().to_owned())
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
