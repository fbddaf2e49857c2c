//! Loading bundles: sources (folders, tar, gzip, single files), record extraction and the
//! format adapters that map every record onto the event model.
//!
//! Allowed imports: `model`, std, serde, `serde_json`, chrono, flate2, tar. Never tantivy or
//! ratatui. Bad input never stops a load: each problem becomes an [`IngestError`] naming the
//! file and line, counted in the [`IngestSummary`], and the rest still loads.

mod adapt;
mod aws;
mod azure;
mod azureml;
mod bedrock;
mod cloudtrail;
mod databricks;
mod decode;
mod error;
mod fields;
pub mod follow;
mod gcp;
mod generic;
mod kubernetes;
mod mlflow;
mod native;
mod ocsf;
mod openlineage;
mod parallel;
mod reader;
mod sagemaker;
mod scan;
mod source;
mod strict_json;
mod vertex;

use std::collections::BTreeMap;
use std::io::BufRead;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use decode::{Decoded, decode_record, redecode};
pub use error::{ErrorKind, IngestError};
pub use generic::GenericMapping;
pub(crate) use reader::read_records;
pub use reader::{ReadLimits, RecordSink};
pub(crate) use scan::{Found, Span, scan_document};
pub use source::{
    BothTaps, ByteCounter, FileReadObserver, FileTap, InputEntry, InputKind, MemberVisitor,
};
pub(crate) use source::{
    copy_display, input_files, input_kind, input_listing, is_bundle_archive, is_bundle_manifest,
    is_tar_archive, is_tar_structure, safe_member_path, visit_inputs,
};
pub(crate) use strict_json::parse_strict;

use crate::model::{AuditEvent, TsQuality};

/// How many errors are kept with their details; beyond that they are only counted.
pub const MAX_KEPT_ERRORS: usize = 10_000;

/// How many errors of one file are kept with their details; beyond that they are only
/// counted (per file), so one broken file cannot crowd out the problems of the others.
pub const MAX_KEPT_ERRORS_PER_FILE: u64 = 100;

/// A kept error, as shown by `stats` and the UI.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorRecord {
    /// Display path.
    pub path: String,
    /// 1-based line, when known.
    pub line: Option<u64>,
    /// What kind of problem (absent in summaries cached before it was kept).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<ErrorKind>,
    /// What went wrong.
    pub reason: String,
}

/// The loading problems of one file: how many there were and the first ones kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileProblems<'a> {
    /// Display path.
    pub path: &'a str,
    /// Every problem of the file, kept or not.
    pub total: u64,
    /// The kept ones, in the order they were found.
    pub kept: Vec<&'a ErrorRecord>,
}

/// Everything a load found out, kept beside the index (`stats` reads it back).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct IngestSummary {
    /// Events loaded.
    pub events: u64,
    /// Records (or lines) that could not be loaded.
    pub skipped: u64,
    /// Every error, including those beyond [`MAX_KEPT_ERRORS`].
    pub errors_total: u64,
    /// The first [`MAX_KEPT_ERRORS`] errors.
    pub errors: Vec<ErrorRecord>,
    /// Events per input format.
    pub formats: BTreeMap<String, u64>,
    /// Events per category.
    pub categories: BTreeMap<String, u64>,
    /// Events per severity.
    pub severities: BTreeMap<String, u64>,
    /// Events per outcome.
    pub outcomes: BTreeMap<String, u64>,
    /// Events per stream (native bundles).
    pub streams: BTreeMap<String, u64>,
    /// Events per member file.
    pub files: BTreeMap<String, u64>,
    /// Earliest event time.
    pub first_ts: Option<DateTime<Utc>>,
    /// Latest event time.
    pub last_ts: Option<DateTime<Utc>>,
    /// Events whose time had no zone (taken as UTC).
    pub zoneless_times: u64,
    /// Events with no usable time.
    pub missing_times: u64,
    /// Raw input bytes read.
    pub bytes: u64,
    /// Per format, how many events got each part of the event model.
    #[serde(default)]
    pub parts: BTreeMap<String, PartCounts>,
    /// Problems per file, kept or not.
    #[serde(default)]
    pub errors_per_file: BTreeMap<String, u64>,
}

/// How many events of one format got each part set.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartCounts {
    /// Events of the format.
    pub events: u64,
    /// With a usable time.
    pub time: u64,
    /// With an actor id.
    pub actor: u64,
    /// With an action other than `unknown` (or `<source>.unknown`).
    pub action: u64,
    /// With an outcome other than `unknown`.
    pub outcome: u64,
    /// With a resource id.
    pub resource: u64,
    /// With a model.
    pub model: u64,
}

impl PartCounts {
    fn add(&mut self, ev: &AuditEvent) {
        let n = |b: bool| u64::from(b);
        self.events += 1;
        self.time += n(ev.ts.is_some());
        self.actor += n(ev.actor.id.is_some());
        self.action += n(ev.action != "unknown" && !ev.action.ends_with(".unknown"));
        self.outcome += n(ev.outcome != crate::model::Outcome::Unknown);
        self.resource += n(ev.resource.id.is_some());
        self.model += n(ev.model.is_some());
    }
}

/// Adds one to the count of `key`.
fn bump(counts: &mut BTreeMap<String, u64>, key: &str) {
    if let Some(n) = counts.get_mut(key) {
        *n += 1;
    } else {
        counts.insert(key.to_owned(), 1);
    }
}

impl IngestSummary {
    /// Records an error (kept in detail up to [`MAX_KEPT_ERRORS`]).
    pub(crate) fn add_error(&mut self, e: &IngestError) {
        self.errors_total += 1;
        if e.skipped_record {
            self.skipped += 1;
        }
        bump(&mut self.errors_per_file, &e.path);
        let of_file = self.errors_per_file.get(&e.path).copied().unwrap_or(0);
        if self.errors.len() < MAX_KEPT_ERRORS && of_file <= MAX_KEPT_ERRORS_PER_FILE {
            self.errors.push(ErrorRecord {
                path: e.path.clone(),
                line: e.line,
                kind: Some(e.kind),
                reason: e.reason.clone(),
            });
        }
    }

    /// Every loading problem, by file (files in the order their first problem was found):
    /// each file's total and the problems kept of it. Kept problems are bounded
    /// ([`MAX_KEPT_ERRORS_PER_FILE`] per file, [`MAX_KEPT_ERRORS`] in all); the totals count
    /// every one.
    pub(crate) fn problems_by_file(&self) -> Vec<FileProblems<'_>> {
        let mut out: Vec<FileProblems<'_>> = Vec::new();
        let mut at: BTreeMap<&str, usize> = BTreeMap::new();
        for e in &self.errors {
            if let Some(&i) = at.get(e.path.as_str()) {
                out[i].kept.push(e);
            } else {
                at.insert(&e.path, out.len());
                out.push(FileProblems {
                    path: &e.path,
                    total: 0,
                    kept: vec![e],
                });
            }
        }
        for (path, n) in &self.errors_per_file {
            if !at.contains_key(path.as_str()) {
                out.push(FileProblems {
                    path,
                    total: *n,
                    kept: Vec::new(),
                });
            }
        }
        for f in &mut out {
            // Summaries cached before per-file counts were kept: the kept ones are all known.
            f.total = self
                .errors_per_file
                .get(f.path)
                .copied()
                .unwrap_or(f.kept.len() as u64)
                .max(f.kept.len() as u64);
        }
        out
    }

    /// Counts one loaded event (once per event of a load: no allocation once a key is known).
    pub(crate) fn add_event(&mut self, ev: &AuditEvent) {
        self.events += 1;
        bump(&mut self.formats, ev.origin.format.as_str());
        if let Some(p) = self.parts.get_mut(ev.origin.format.as_str()) {
            p.add(ev);
        } else {
            let mut p = PartCounts::default();
            p.add(ev);
            self.parts.insert(ev.origin.format.as_str().to_owned(), p);
        }
        bump(&mut self.categories, ev.category.as_str());
        bump(&mut self.severities, ev.severity.as_str());
        bump(&mut self.outcomes, ev.outcome.as_str());
        if let Some(s) = &ev.origin.stream {
            bump(&mut self.streams, s);
        }
        bump(&mut self.files, &ev.origin.path);
        match ev.ts_quality {
            TsQuality::Zoneless => self.zoneless_times += 1,
            TsQuality::Missing | TsQuality::Invalid => self.missing_times += 1,
            TsQuality::Exact => {}
        }
        if let Some(ts) = ev.ts {
            self.first_ts = Some(self.first_ts.map_or(ts, |f| f.min(ts)));
            self.last_ts = Some(self.last_ts.map_or(ts, |l| l.max(ts)));
        }
    }
}

/// A small progress report, replaced wholesale (sent at most every 100 ms).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IngestProgress {
    /// Member files finished.
    pub files_done: u64,
    /// Events so far.
    pub events: u64,
    /// Errors so far.
    pub errors: u64,
    /// Raw bytes read so far.
    pub bytes_read: u64,
    /// Raw bytes in all inputs.
    pub bytes_total: u64,
}

/// Where loaded events go (the indexer, a counter in tests...).
pub trait EventSink {
    /// One event and its original record text. Returning `false` stops the load.
    fn event(&mut self, event: AuditEvent, raw: &str) -> bool;
}

/// Sees every event as it is loaded (lineage building, ...). Observers run on the loading
/// thread and must keep their memory bounded by what they derive, not by the events.
pub trait EventObserver: Send {
    /// One loaded event.
    fn observe(&mut self, event: &AuditEvent);
    /// Called once at the end of a build, with the cache folder the index is written to:
    /// persist what was derived there (it is reused with the cached index).
    fn finish(&mut self, dir: &std::path::Path) -> std::io::Result<()>;
}

/// Gives the integrity status of the record at a display path and line (filled in by the
/// integrity verifier before a load; `None` when the file is not part of a sealed bundle).
pub trait StatusLookup: Send + Sync {
    /// Lower-case status (`verified`, `modified`, ...) of the record at `path:line` whose
    /// exact bytes are `bytes`: a status belongs to the bytes the verifier read, so bytes
    /// that differ from them are never `verified`.
    fn status(&self, path: &str, line: u64, bytes: &[u8]) -> Option<String>;

    /// The status of the record at `path:line` whose bytes have the SHA-256 `hash` (the
    /// explorer hashes its records while it loads them and asks once the verdict is known).
    /// Without a verification behind it: no status.
    fn status_of_hash(&self, path: &str, line: u64, hash: &[u8; 32]) -> Option<String> {
        let _ = (path, line, hash);
        None
    }
}

/// Integrity statuses given during a load before the verification behind them is done,
/// then confirmed or refused once the load has ended: the verifier reads the bytes the load
/// reads (through a [`FileTap`]), so a sealed archive is read once. A label is kept only
/// when it is proven to be the one the ordinary [`StatusLookup`] gives the same record;
/// anything else makes the build load again with that lookup.
pub trait ProvisionalStatuses: Send + Sync {
    /// Starts the verification: the tap that must see the input bytes as the load reads
    /// them, and the lookup the load labels its records with. `None` when it cannot start.
    fn begin(
        &self,
    ) -> Option<(
        std::sync::Arc<dyn FileTap>,
        std::sync::Arc<dyn StatusLookup>,
    )>;
    /// Called once the load has ended (also after a failed one): true only when every label
    /// the lookup gave is the status the ordinary lookup gives the same record and bytes.
    fn confirm(&self) -> bool;
}

/// Options for a load.
#[derive(Clone)]
pub struct IngestOptions {
    /// Size limits.
    pub limits: ReadLimits,
    /// Integrity statuses to attach to events.
    pub status: Option<std::sync::Arc<dyn StatusLookup>>,
    /// Threads that decode records (0 or 1: the reading thread decodes). Whatever the
    /// number, events reach the sink in input order.
    pub threads: usize,
    /// The generic adapter's candidate names (the settings' mapping: built in, or with the
    /// user's `generic.json` tried first).
    pub mapping: std::sync::Arc<GenericMapping>,
    /// Sees the raw bytes of every input file as the load reads them (the index build
    /// hashes the content digest from them, so the inputs are read once).
    pub file_tap: Option<std::sync::Arc<dyn FileTap>>,
}

impl Default for IngestOptions {
    /// Default limits, no statuses, one thread, the built-in mapping.
    fn default() -> Self {
        Self {
            limits: ReadLimits::default(),
            status: None,
            threads: 0,
            mapping: GenericMapping::shared_builtin(),
            file_tap: None,
        }
    }
}

struct Pipeline<'a, F: FnMut(IngestProgress)> {
    sink: &'a mut dyn EventSink,
    summary: IngestSummary,
    counter: ByteCounter,
    bytes_total: u64,
    files_done: u64,
    last_progress: Instant,
    on_progress: F,
    limits: ReadLimits,
    status: Option<std::sync::Arc<dyn StatusLookup>>,
    mapping: std::sync::Arc<GenericMapping>,
    stopped: bool,
    /// Decoding threads, when there are several.
    pool: Option<parallel::Pool>,
}

impl<F: FnMut(IngestProgress)> Pipeline<'_, F> {
    fn progress(&self) -> IngestProgress {
        IngestProgress {
            files_done: self.files_done,
            events: self.summary.events,
            errors: self.summary.errors_total,
            bytes_read: self.counter.get(),
            bytes_total: self.bytes_total,
        }
    }

    fn maybe_report(&mut self) {
        if self.last_progress.elapsed() >= Duration::from_millis(100) {
            self.last_progress = Instant::now();
            let p = self.progress();
            (self.on_progress)(p);
        }
    }

    /// Takes one decoded result, in input order; `false` once the sink stopped the load.
    fn apply(&mut self, applied: parallel::Applied<'_>) -> bool {
        if self.stopped {
            return false;
        }
        match applied {
            parallel::Applied::Event(event, raw) => {
                self.summary.add_event(&event);
                if !self.sink.event(event, raw) {
                    self.stopped = true;
                    return false;
                }
            }
            parallel::Applied::Error(e) => self.summary.add_error(&e),
            parallel::Applied::RecordEnd => {
                if self.summary.events.is_multiple_of(1024) {
                    self.maybe_report();
                }
            }
        }
        true
    }

    /// Runs `f` on the pool (taken out for the call, so that it can apply into `self`).
    fn with_pool(
        &mut self,
        f: impl FnOnce(&mut parallel::Pool, &mut dyn FnMut(parallel::Applied<'_>) -> bool),
    ) {
        if let Some(mut pool) = self.pool.take() {
            f(&mut pool, &mut |a| self.apply(a));
            self.pool = Some(pool);
        }
    }

    /// A reading problem: counted now, or queued in its place when decoding in parallel.
    fn add_problem(&mut self, error: IngestError) {
        match &mut self.pool {
            Some(pool) => pool.problem(error),
            None => self.summary.add_error(&error),
        }
    }
}

impl<F: FnMut(IngestProgress)> RecordSink for Pipeline<'_, F> {
    fn record(&mut self, path: &str, line: u64, bytes: &[u8]) {
        if self.stopped {
            return;
        }
        if self.pool.is_some() {
            self.with_pool(|pool, apply| pool.record(path, line, bytes, apply));
            return;
        }
        match decode_record(path, line, bytes, &self.mapping) {
            Ok(events) => {
                let status = self
                    .status
                    .as_ref()
                    .and_then(|lookup| lookup.status(path, line, bytes));
                for mut d in events {
                    d.event.integrity.clone_from(&status);
                    self.summary.add_event(&d.event);
                    if !self.sink.event(d.event, d.raw) {
                        self.stopped = true;
                        return;
                    }
                }
            }
            Err(e) => self.summary.add_error(&e),
        }
        if self.summary.events.is_multiple_of(1024) {
            self.maybe_report();
        }
    }

    fn problem(&mut self, error: IngestError) {
        self.add_problem(error);
    }
}

impl<F: FnMut(IngestProgress)> MemberVisitor for Pipeline<'_, F> {
    fn member(&mut self, display: &str, reader: &mut dyn BufRead) {
        if self.stopped {
            return;
        }
        let limits = self.limits;
        read_records(display, reader, limits, self);
        self.files_done += 1;
        self.maybe_report();
    }

    fn problem(&mut self, error: IngestError) {
        self.add_problem(error);
    }
}

/// Loads every input into `sink`, calling `on_progress` at most every 100 ms. Inputs must
/// exist (check with [`input_files`] first); problems inside them are in the summary.
pub fn ingest(
    paths: &[PathBuf],
    options: IngestOptions,
    sink: &mut dyn EventSink,
    on_progress: impl FnMut(IngestProgress),
) -> IngestSummary {
    let bytes_total = input_files(paths).map_or(0, |f| f.iter().map(|(_, n)| n).sum());
    let counter = ByteCounter::with_tap(options.file_tap.clone());
    let mut p = Pipeline {
        sink,
        summary: IngestSummary::default(),
        counter: counter.clone(),
        bytes_total,
        files_done: 0,
        last_progress: Instant::now(),
        on_progress,
        limits: options.limits,
        pool: if options.threads > 1 {
            parallel::Pool::start(options.threads, options.status.as_ref(), &options.mapping)
        } else {
            None
        },
        status: options.status,
        mapping: options.mapping,
        stopped: false,
    };
    visit_inputs(paths, &counter, &mut p);
    p.with_pool(parallel::Pool::finish);
    p.pool = None;
    p.summary.bytes = counter.get();
    let last = p.progress();
    (p.on_progress)(last);
    p.summary
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problems_are_kept_per_file_up_to_a_bound_and_all_counted() {
        let mut s = IngestSummary::default();
        let n = MAX_KEPT_ERRORS_PER_FILE + 50;
        for line in 1..=n {
            s.add_error(&IngestError::record(
                "big.jsonl",
                line,
                ErrorKind::Malformed,
                "bad",
            ));
        }
        s.add_error(&IngestError::file(
            "small.gz",
            None,
            ErrorKind::Truncated,
            "ends early",
        ));
        s.add_error(&IngestError::record(
            "big.jsonl",
            n + 1,
            ErrorKind::InvalidUtf8,
            "late",
        ));
        assert_eq!(s.errors_total, n + 2);
        assert_eq!(s.skipped, n + 1);
        let files = s.problems_by_file();
        assert_eq!(files.len(), 2);
        assert_eq!(
            (files[0].path, files[0].total, files[0].kept.len() as u64),
            ("big.jsonl", n + 1, MAX_KEPT_ERRORS_PER_FILE)
        );
        assert_eq!(files[0].kept[0].line, Some(1));
        assert_eq!(files[0].kept[0].kind, Some(ErrorKind::Malformed));
        // The other file's problem is kept although the first file's came before it.
        assert_eq!((files[1].path, files[1].total), ("small.gz", 1));
        assert_eq!(files[1].kept[0].kind, Some(ErrorKind::Truncated));
        assert_eq!(files[1].kept[0].line, None);
    }

    #[test]
    fn summaries_cached_without_kinds_or_per_file_counts_still_list_their_problems() {
        let old = r#"{"events":1,"skipped":1,"errors_total":1,"errors":[{"path":"a.jsonl","line":2,"reason":"bad"}],
            "formats":{},"categories":{},"severities":{},"outcomes":{},"streams":{},"files":{},
            "first_ts":null,"last_ts":null,"zoneless_times":0,"missing_times":0,"bytes":10}"#;
        let s: IngestSummary = serde_json::from_str(old).unwrap();
        let files = s.problems_by_file();
        assert_eq!(files.len(), 1);
        assert_eq!((files[0].path, files[0].total), ("a.jsonl", 1));
        assert_eq!(files[0].kept[0].kind, None);
    }
}
