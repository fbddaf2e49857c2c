//! The deterministic sample generator (`auditlens sample`): a realistic ML-platform story
//! with planted incidents, written as a sealed native bundle signed by a demo key.
//!
//! Allowed imports: `model`, `integrity` (the bundle writer and keys), std, `serde_json`,
//! chrono.

mod rng;
mod story;

pub use rng::Rng;
pub use story::{DAYS, Story, StoryEvent};

use std::path::Path;

use chrono::{TimeZone, Utc};
use serde_json::json;

use crate::integrity::{
    BundleSummary, BundleWriter, IntegrityError, SigningKey, TrustEntry, TrustStore,
};

/// The seed of the demo signing key. It is public: the demo key proves nothing and must
/// never sign real exports.
pub const DEMO_KEY_SEED: [u8; 32] = *b"auditlens demo key - not secret!";

/// The demo signing key (public seed: for the shipped sample only).
pub(crate) fn demo_key() -> SigningKey {
    SigningKey::from_seed(DEMO_KEY_SEED)
}

/// A trust store holding the demo key, valid from 2026-01-01.
pub(crate) fn demo_trust_store() -> TrustStore {
    let not_before = Utc
        .with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
        .single()
        .expect("invariant: valid constant date");
    TrustStore {
        keys: vec![TrustEntry::new(
            &demo_key().verifying_key(),
            "auditlens demo key (sample data only)",
            not_before,
        )],
    }
}

/// Writes the sample bundle into `out` (absent or empty), signed by the demo key unless
/// `unsigned`; returns what was written.
pub(crate) fn write_sample(
    out: &Path,
    events: u64,
    seed: u64,
    unsigned: bool,
) -> Result<BundleSummary, IntegrityError> {
    let created = Utc
        .with_ymd_and_hms(2026, 3, 16, 6, 0, 0)
        .single()
        .expect("invariant: valid constant date");
    let mut w = BundleWriter::create(
        out,
        &format!("acme-ml-platform-{seed}"),
        1,
        created,
        "auditlens-sample",
        "1",
    )?;
    for e in Story::new(events, seed) {
        w.append(e.stream, e.rec)?;
    }
    let card = json!({
        "model": "fraud-detector",
        "owner": "carol",
        "intended_use": "score card transactions for fraud review",
        "training_data": ["transactions-clean", "customers-clean"],
        "limitations": "not validated for corporate cards",
    });
    w.add_file(
        "files/model-card-fraud-detector.json",
        pretty(&card).as_bytes(),
    )?;
    let eval = json!({
        "model": "churn-predictor",
        "version": "3",
        "metrics": {"auc": 0.9, "precision": 0.81, "recall": 0.77},
        "threshold": {"auc": 0.85},
    });
    w.add_file(
        "files/eval-report-churn-predictor-3.json",
        pretty(&eval).as_bytes(),
    )?;
    let key = demo_key();
    w.finish(if unsigned { None } else { Some(&key) })
}

/// Packs the bundle folder `dir` into a `.tar.gz` at `out`, byte for byte reproducible:
/// members sorted, owner, mode and times fixed, and no time in the gzip header.
pub(crate) fn pack_tar_gz(dir: &Path, out: &Path) -> std::io::Result<()> {
    let mut files = Vec::new();
    collect_files(dir, dir, &mut files)?;
    files.sort();
    let file = std::fs::File::create(out)?;
    let gz = flate2::GzBuilder::new()
        .mtime(0)
        .write(file, flate2::Compression::best());
    let mut tar = tar::Builder::new(gz);
    for rel in files {
        let bytes = std::fs::read(dir.join(&rel))?;
        let mut h = tar::Header::new_ustar();
        h.set_size(bytes.len() as u64);
        h.set_mode(0o644);
        h.set_mtime(1_773_640_800);
        h.set_uid(0);
        h.set_gid(0);
        h.set_entry_type(tar::EntryType::Regular);
        tar.append_data(&mut h, &rel, bytes.as_slice())?;
    }
    tar.into_inner()?.finish()?;
    Ok(())
}

fn collect_files(root: &Path, dir: &Path, out: &mut Vec<String>) -> std::io::Result<()> {
    for e in std::fs::read_dir(dir)? {
        let e = e?;
        let p = e.path();
        if e.file_type()?.is_dir() {
            collect_files(root, &p, out)?;
        } else {
            let rel = p.strip_prefix(root).map_err(std::io::Error::other)?;
            out.push(rel.to_string_lossy().replace('\\', "/"));
        }
    }
    Ok(())
}

fn pretty(v: &serde_json::Value) -> String {
    let mut s = serde_json::to_string_pretty(v).unwrap_or_default();
    s.push('\n');
    s
}
