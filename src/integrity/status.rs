//! The verification of a session's inputs, run at most once and shared ([`Verification`]),
//! and the integrity statuses the index takes from it: a [`StatusLookup`] filled by
//! verifying every native bundle among the inputs (lazily, on the first lookup, so a reused
//! index costs nothing).
//!
//! A status belongs to bytes (spec section 7): the verifier keeps the SHA-256 of every line
//! it read, and a record being indexed gets that line's status only when its own bytes hash
//! the same. Anything else in a sealed stream (bytes that changed since, a record the loader
//! read differently, a copy the verifier never saw) is `unverified`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use super::IntegrityError;
use super::digest::sha256;
use super::keys::TrustStore;
use super::report::{RecordStatus, Report};
use super::verify::{VerifyOptions, verify_bundle};
use crate::ingest::{StatusLookup, is_bundle_manifest};

/// Environment variable naming the trust store used when indexing (else the default one).
pub const TRUST_ENV: &str = "AUDITLENS_TRUST";

/// The verification of a session's inputs, done at most once and shared: the index build
/// takes its record statuses from it, the integrity report shows it. Nothing is verified
/// until the first call to [`Verification::results`].
pub struct Verification {
    inputs: Vec<PathBuf>,
    /// What is verified (the inputs, with folders of bundles opened up) and which of those
    /// are sealed bundles: looked at once.
    units: OnceLock<(Vec<PathBuf>, Vec<bool>)>,
    trust: Option<TrustStore>,
    results: OnceLock<Vec<InputCheck>>,
    runs: AtomicUsize,
    /// How a one-read build went: 0 not tried, 1 its labels were proven, 2 refused.
    one_read: AtomicU8,
}

/// What verifying one input gave.
pub struct InputCheck {
    /// The input as given.
    pub input: PathBuf,
    /// `None` when the input is not a sealed bundle (nothing to verify), else the report or
    /// why it could not be made.
    pub result: Option<Result<Report, IntegrityError>>,
}

impl Verification {
    /// The verification of `inputs` against `trust`, not yet run. A folder that is not a
    /// bundle but holds sealed bundles (a folder of exports) is verified bundle by bundle.
    pub fn new(inputs: &[PathBuf], trust: Option<TrustStore>) -> Self {
        Self {
            inputs: inputs.to_vec(),
            units: OnceLock::new(),
            trust,
            results: OnceLock::new(),
            runs: AtomicUsize::new(0),
            one_read: AtomicU8::new(0),
        }
    }

    /// The input a cold, non-live build may verify from its own read
    /// ([`super::onepass::one_read`]): a single input that is a sealed tar (or tar.gz),
    /// not verified yet; `None` otherwise. Several inputs, or a folder, take the ordinary
    /// path (a folder's files are read one by one anyway).
    pub(crate) fn one_read_input(&self) -> Option<&PathBuf> {
        let ([input], [unit], [true]) = (self.inputs.as_slice(), self.units(), self.sealed())
        else {
            return None;
        };
        if input != unit || input.is_dir() || self.results.get().is_some() {
            return None;
        }
        Some(input)
    }

    /// Takes the results a verification from the load's own read made (one per unit):
    /// counted as this verification's run. False when the inputs were verified already.
    pub(crate) fn provide(&self, results: Vec<InputCheck>) -> bool {
        if results.len() != self.units().len() {
            return false;
        }
        let mut taken = false;
        self.results.get_or_init(|| {
            taken = true;
            self.runs.fetch_add(1, Ordering::Relaxed);
            results
        });
        taken
    }

    /// Notes how a one-read build ended.
    pub(crate) fn note_one_read(&self, proven: bool) {
        self.one_read
            .store(if proven { 1 } else { 2 }, Ordering::Relaxed);
    }

    /// How the build's one-read verification ended: `None` when not tried (a cached index,
    /// a folder, several inputs, a live build), `Some(true)` when its provisional labels
    /// were proven (the bundle was read once), `Some(false)` when the build loaded again.
    pub fn one_read_outcome(&self) -> Option<bool> {
        match self.one_read.load(Ordering::Relaxed) {
            1 => Some(true),
            2 => Some(false),
            _ => None,
        }
    }

    fn units(&self) -> &[PathBuf] {
        &self.units.get_or_init(|| sealed_units(&self.inputs)).0
    }

    fn sealed(&self) -> &[bool] {
        &self.units.get_or_init(|| sealed_units(&self.inputs)).1
    }

    /// The trust store it checks against.
    pub fn trust(&self) -> Option<&TrustStore> {
        self.trust.as_ref()
    }

    /// True when some input is a sealed bundle.
    pub(crate) fn has_sealed_input(&self) -> bool {
        self.sealed().iter().any(|&b| b)
    }

    /// Each input's result, verifying every sealed input on the first call only.
    pub fn results(&self) -> &[InputCheck] {
        self.results.get_or_init(|| {
            self.runs.fetch_add(1, Ordering::Relaxed);
            let opts = VerifyOptions {
                trust: self.trust.as_ref(),
                ..VerifyOptions::default()
            };
            self.units()
                .iter()
                .zip(self.sealed())
                .map(|(p, &sealed)| InputCheck {
                    input: p.clone(),
                    result: sealed.then(|| verify_bundle(p, &opts)),
                })
                .collect()
        })
    }

    /// How many times the inputs were verified (0 or 1).
    pub fn runs(&self) -> usize {
        self.runs.load(Ordering::Relaxed)
    }
}

impl std::fmt::Debug for Verification {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verification")
            .field("inputs", &self.inputs)
            .field("done", &self.results.get().is_some())
            .finish_non_exhaustive()
    }
}

/// Record statuses by display path and line, bound to each line's bytes, taken from a
/// shared [`Verification`].
pub struct VerifiedStatuses {
    verification: Arc<Verification>,
    /// Display path -> (input, stream) positions of its copies in the results.
    map: OnceLock<HashMap<String, Vec<(usize, usize)>>>,
}

impl VerifiedStatuses {
    /// Statuses from `verification` (verified on the first lookup, unless done already).
    pub fn new(verification: Arc<Verification>) -> Self {
        Self {
            verification,
            map: OnceLock::new(),
        }
    }

    fn compute(&self) -> HashMap<String, Vec<(usize, usize)>> {
        let mut map: HashMap<String, Vec<(usize, usize)>> = HashMap::new();
        for (i, check) in self.verification.results().iter().enumerate() {
            if let Some(Ok(report)) = &check.result {
                for (j, s) in report.streams.iter().enumerate() {
                    map.entry(s.display.clone()).or_default().push((i, j));
                }
            }
        }
        map
    }
}

/// Deepest folder looked into for sealed bundles.
const MAX_UNIT_DEPTH: usize = 32;

/// What is verified for `inputs`: each input as it is, except a folder that is not itself a
/// bundle, which stands for the sealed bundles inside it (tar / tar.gz archives and bundle
/// folders, in the order the load visits them; links are not followed, as the load does not
/// follow them). A folder holding none stays as it is, to be reported as not sealed.
pub(crate) fn verification_units(inputs: &[PathBuf]) -> Vec<PathBuf> {
    sealed_units(inputs).0
}

/// The units of [`verification_units`] and whether each is a sealed bundle, decided once,
/// where it is found (a unit found inside a folder is sealed by construction).
fn sealed_units(inputs: &[PathBuf]) -> (Vec<PathBuf>, Vec<bool>) {
    let mut out = Vec::new();
    for p in inputs {
        let sealed = is_native_bundle(p);
        let before = out.len();
        if p.is_dir() && !sealed {
            sealed_inside(p, 0, &mut out);
        }
        if out.len() == before {
            out.push((p.clone(), sealed));
        }
    }
    out.into_iter().unzip()
}

fn sealed_inside(dir: &Path, depth: usize, out: &mut Vec<(PathBuf, bool)>) {
    if depth >= MAX_UNIT_DEPTH {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.filter_map(Result::ok).collect();
    entries.sort_by_key(std::fs::DirEntry::file_name);
    for e in entries {
        let Ok(ft) = e.file_type() else { continue };
        let path = e.path();
        if ft.is_dir() {
            if is_native_bundle(&path) {
                out.push((path, true));
            } else {
                sealed_inside(&path, depth + 1, out);
            }
        } else if ft.is_file() && crate::ingest::is_bundle_archive(&path) {
            out.push((path, true));
        }
    }
}

/// Whether `p` is a sealed bundle: a folder with an auditlens manifest, or a tar / tar.gz
/// archive (by content, whatever its name).
pub(crate) fn is_native_bundle(p: &Path) -> bool {
    if p.is_dir() {
        return std::fs::read(p.join("manifest.json")).is_ok_and(|b| is_bundle_manifest(&b));
    }
    crate::ingest::is_tar_archive(p)
}

impl StatusLookup for VerifiedStatuses {
    fn status(&self, path: &str, line: u64, bytes: &[u8]) -> Option<String> {
        self.status_of_hash(path, line, &sha256(bytes).0)
    }

    fn status_of_hash(&self, path: &str, line: u64, hash: &[u8; 32]) -> Option<String> {
        let map = self.map.get_or_init(|| self.compute());
        let copies = map.get(path)?;
        let results = self.verification.results();
        let i = usize::try_from(line.checked_sub(1)?).ok()?;
        let hash = super::digest::Digest32(*hash);
        let status = copies
            .iter()
            .filter_map(|&(input, stream)| match &results.get(input)?.result {
                Some(Ok(report)) => report.streams.get(stream),
                _ => None,
            })
            .find(|s| s.line_hashes.get(i) == Some(&hash))
            .and_then(|s| s.statuses.get(i))
            .and_then(|&b| RecordStatus::from_u8(b))
            .unwrap_or(RecordStatus::Unverified);
        Some(status.lower().to_owned())
    }
}

/// The status lookup for an index build, from the shared verification of its inputs, or
/// `None` when no input is a sealed bundle.
pub(crate) fn status_lookup(verification: &Arc<Verification>) -> Option<Arc<dyn StatusLookup>> {
    if !verification.has_sealed_input() {
        return None;
    }
    Some(Arc::new(VerifiedStatuses::new(Arc::clone(verification))))
}

/// The status lookup for an index build over `inputs` checked against `trust`, or `None`
/// when no input is a sealed bundle.
pub fn status_lookup_with(
    inputs: &[PathBuf],
    trust: Option<TrustStore>,
) -> Option<Arc<dyn StatusLookup>> {
    status_lookup(&Arc::new(Verification::new(inputs, trust)))
}
