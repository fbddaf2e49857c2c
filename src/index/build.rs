//! The one index-build path, for the commands ([`super::open_or_build`]) and the explorer
//! ([`super::build_live`]) alike: fingerprint -> a cached index (by fingerprint, then by
//! content digest) or a build in a temporary folder -> `meta.json` -> renamed into place.
//! A live build differs only in what it reports: frequent commits (the first one early, so
//! the first screen fills at once), cancellation, and the content digest hashed beside the
//! build instead of before it.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use super::IndexError;
use super::cache::{
    BuildOptions, HashTap, Meta, NotReusable, OpenedIndex, PassHashes, Tee, cache_key, cache_root,
    content_digest, content_digest_with, finish_build, index_stamps, io_err, new_index,
    place_built, reopen,
};
use super::live::{LiveEvent, fingerprint, names_key, remember};
use super::schema::SCHEMA_VERSION;
use super::statuses::StatusHome;
use super::writer::CommitPolicy;
use crate::ingest::{EventSink, IngestOptions, IngestProgress, IngestSummary, ingest};
use crate::model::AuditEvent;

/// Documents after which a live build makes its first commit.
const FIRST_COMMIT_DOCS: u64 = 2_000;

/// What makes a build live.
struct Live<'a> {
    /// Raised to stop the build (nothing is cached then).
    cancel: &'a AtomicBool,
    /// Called with the number of visible documents after each commit.
    on_commit: Box<dyn FnMut(u64) + Send>,
    /// True when its records are labelled `pending` and the verdict written at the end:
    /// the writer keeps the hash of each record's bytes.
    verdict: bool,
}

/// Feeds the indexer (and observers); in a live build, stops when cancelled and makes one
/// early commit, so that the first screen fills at once.
struct Sink<'a> {
    tee: Tee<'a>,
    cancel: Option<&'a AtomicBool>,
    first_commit: bool,
}

impl EventSink for Sink<'_> {
    fn event(&mut self, event: AuditEvent, raw: &str) -> bool {
        if self.cancel.is_some_and(|c| c.load(Ordering::Relaxed)) {
            return false;
        }
        let ok = self.tee.event(event, raw);
        if ok && self.first_commit && self.tee.indexer.docs() >= FIRST_COMMIT_DOCS {
            self.first_commit = false;
            if let Err(e) = self.tee.indexer.commit() {
                self.tee.indexer.set_error(e);
                return false;
            }
        }
        ok
    }
}

/// Where the content digest comes from: hashed before the build (inputs whose names were
/// opened before: maybe an entry under another fingerprint, after a `touch`), or from the
/// build's own read of the inputs (every file's bytes hashed as the load reads them).
enum DigestSource {
    Known(String),
    Pass(Arc<PassHashes>),
}

/// The note that says why a `--verify-cache` open does not reuse the remembered entry.
fn changed_note(before: &str, now: &str) -> String {
    format!(
        "the inputs' content changed since their cached index was built (digest {}…, now \
         {}…): not reusing it",
        &before[..12],
        &now[..12]
    )
}

impl DigestSource {
    /// The digest from the build's own read: its load hashes every file it reads.
    fn pass(opts: &mut BuildOptions) -> Self {
        let hashes = Arc::new(PassHashes::default());
        opts.ingest.file_tap = Some(Arc::new(HashTap(Arc::clone(&hashes))));
        Self::Pass(hashes)
    }

    fn get(self, paths: &[PathBuf]) -> Result<String, IndexError> {
        match self {
            Self::Known(d) => Ok(d),
            Self::Pass(hashes) => content_digest_with(paths, &hashes),
        }
    }
}

/// The note that says why the cached entry at `dir` is being rebuilt.
fn rebuild_note(dir: &std::path::Path, why: &NotReusable) -> String {
    format!("rebuilding the cached index at {} ({why})", dir.display())
}

/// Opens the cached index of `paths`, or builds it (calling `on_progress` during the load).
/// `notice` receives human-readable notes (a damaged cache being rebuilt).
pub fn open_or_build(
    paths: &[PathBuf],
    opts: &mut BuildOptions,
    on_progress: &mut dyn FnMut(IngestProgress),
    notice: &mut dyn FnMut(String),
) -> Result<OpenedIndex, IndexError> {
    let mut events = |ev| {
        if let LiveEvent::Progress(p) = ev {
            on_progress(p);
        }
    };
    build_or_reuse(paths, opts, None, &mut events, notice)?
        .ok_or_else(|| IndexError::Corrupt("the build stopped before its end".to_owned()))
}

/// Opens the cached index of `paths`, or builds it live, reporting through `report`.
/// Returns when the build is complete, failed, or was cancelled (then nothing is cached).
pub fn build_live<F>(
    paths: &[PathBuf],
    opts: &mut BuildOptions,
    cancel: &Arc<AtomicBool>,
    report: F,
) -> Result<(), IndexError>
where
    F: Fn(LiveEvent) + Send + Sync + Clone + 'static,
{
    let on_commit = report.clone();
    let live = Live {
        cancel,
        on_commit: Box::new(move |docs| on_commit(LiveEvent::Committed { docs })),
        verdict: false,
    };
    let notice = report.clone();
    build_or_reuse(paths, opts, Some(live), &mut |ev| report(ev), &mut |n| {
        notice(LiveEvent::Notice(n));
    })?;
    Ok(())
}

/// Opens the cached index of `paths` or builds it, reporting `Opened`, `Progress`,
/// `Committed` (live builds) and `Done` through `events`. Returns the index, or `None`
/// when a live build was cancelled.
fn build_or_reuse(
    paths: &[PathBuf],
    opts: &mut BuildOptions,
    live: Option<Live<'_>>,
    events: &mut dyn FnMut(LiveEvent),
    notice: &mut dyn FnMut(String),
) -> Result<Option<OpenedIndex>, IndexError> {
    let root = opts.index_dir.clone().unwrap_or_else(cache_root);
    super::stale::sweep_stale_builds(&root);
    let extra = opts.key_extra.clone();
    let key_for = |digest: &str| cache_key(digest, &extra);
    // `--verify-cache`: the inputs are hashed again and the index read whole.
    let check_all = opts.verify_cache;
    let dir_for = |key: &str| root.join(format!("{}-s{SCHEMA_VERSION}", &key[..32]));
    let reuse = |dir: PathBuf, digest: String, events: &mut dyn FnMut(LiveEvent)| {
        let key = key_for(&digest);
        let opened = reopen(dir, digest, &key, &opts.ingest.mapping, check_all)?;
        events(LiveEvent::Opened {
            store: opened.store()?,
            complete: true,
            pending: false,
        });
        events(LiveEvent::Done(Box::new(opened.clone())));
        Ok::<_, NotReusable>(opened)
    };
    // A cached open need not hash the whole bundle: the fingerprint (paths, sizes, times)
    // remembers the content digest of inputs seen before.
    let fp = fingerprint(paths, &opts.key_extra)?;
    let memo = root.join("fingerprints").join(&fp[..32]);
    let mut noted = None;
    let remembered = fs::read_to_string(&memo)
        .ok()
        .filter(|d| d.len() == 64 && !opts.reindex);
    if !check_all && let Some(digest) = remembered.clone() {
        let dir = dir_for(&key_for(&digest));
        match reuse(dir.clone(), digest, events) {
            Ok(opened) => return Ok(Some(opened)),
            // A damaged (or outdated) entry is rebuilt below: say so, once.
            Err(why) if dir.exists() => {
                notice(rebuild_note(&dir, &why));
                noted = Some(dir);
            }
            Err(_) => {}
        }
    }
    // Unknown fingerprint. When these inputs (by name) were opened before, a command hashes
    // their content first: they may be cached under another fingerprint (after a `touch`).
    // Inputs never seen, and the explorer (whose first screen must not wait), take the
    // digest from the build's own read: the inputs are read once.
    let names = root
        .join("inputs")
        .join(&names_key(paths, &opts.key_extra)[..32]);
    let digest = if !check_all && (live.is_some() || !names.exists()) {
        DigestSource::pass(opts)
    } else {
        let digest = content_digest(paths)?;
        if let Some(before) = remembered.filter(|d| *d != digest) {
            notice(changed_note(&before, &digest));
        }
        let dir = dir_for(&key_for(&digest));
        if dir.exists() && !opts.reindex {
            match reuse(dir.clone(), digest.clone(), events) {
                Ok(opened) => {
                    let _ = remember(&memo, &opened.digest);
                    return Ok(Some(opened));
                }
                Err(_) if noted.as_ref() == Some(&dir) => {}
                Err(why) => notice(rebuild_note(&dir, &why)),
            }
        }
        DigestSource::Known(digest)
    };
    let started = Instant::now();
    fs::create_dir_all(&root).map_err(io_err(format!(
        "creating the cache folder {}",
        root.display()
    )))?;
    let tmp = root.join(format!(
        ".build-{}-{}-{}",
        &fp[..16],
        std::process::id(),
        chrono::Utc::now().timestamp_nanos_opt().unwrap_or_default()
    ));
    let cancel = live.as_ref().map(|l| l.cancel);
    let (result, verdict) = load(&tmp, paths, opts, live, events);
    if cancel.is_some_and(|c| c.load(Ordering::Relaxed)) {
        let _ = fs::remove_dir_all(&tmp);
        return Ok(None);
    }
    let finished = result.and_then(|summary| {
        super::verdict::write_verdict(&tmp, verdict.as_deref())?;
        let digest = digest.get(paths)?;
        let key = key_for(&digest);
        write_meta(&tmp, paths, &key, &summary)?;
        Ok((summary, digest, key))
    });
    let (summary, digest, key) = match finished {
        Ok(f) => f,
        Err(e) => {
            let _ = fs::remove_dir_all(&tmp);
            return Err(e);
        }
    };
    let mapping = Arc::clone(&opts.ingest.mapping);
    let opened = place_built(&tmp, dir_for(&key), &key, summary, digest, started, mapping)?;
    let _ = remember(&memo, &opened.digest);
    let _ = remember(&names, &opened.digest);
    events(LiveEvent::Done(Box::new(opened.clone())));
    Ok(Some(opened))
}

/// The load of a build into `tmp`, and the lookup of the verdict still to be written (a
/// live build of sealed inputs). A live build shows records as it indexes them, before the
/// verification's verdict: it never shows a provisional `verified`. Its rows appear at
/// once, labelled `pending`, while the verification runs beside the load; the verdict is
/// written into the status column when both have ended.
fn load(
    tmp: &Path,
    paths: &[PathBuf],
    opts: &mut BuildOptions,
    mut live: Option<Live<'_>>,
    events: &mut dyn FnMut(LiveEvent),
) -> (
    Result<IngestSummary, IndexError>,
    Option<Arc<dyn crate::ingest::StatusLookup>>,
) {
    let provisional = opts.provisional.clone().filter(|_| live.is_none());
    let verdict = pending_labels(opts, live.as_mut());
    let result = match provisional {
        Some(p) => build_one_read(tmp, paths, opts, &*p, events),
        None => build(tmp, paths, opts, live, events, None)
            .and_then(|s| s.ok_or_else(unconfirmed_without_labels)),
    };
    opts.ingest.file_tap = None;
    opts.ingest.status = verdict.clone().or(opts.ingest.status.take());
    (result, verdict)
}

/// A live build of sealed inputs shows its rows before the verdict: its load labels each
/// record `pending` (with the hash of its bytes) while the verification runs beside it.
/// Returns the lookup of the verdict, to be written when both have ended.
fn pending_labels(
    opts: &mut BuildOptions,
    live: Option<&mut Live<'_>>,
) -> Option<Arc<dyn crate::ingest::StatusLookup>> {
    let (Some(real), Some(live)) = (opts.ingest.status.clone(), live) else {
        return None;
    };
    live.verdict = true;
    super::verdict::start(&real);
    opts.ingest.status = Some(Arc::new(super::verdict::Pending));
    Some(real)
}

fn unconfirmed_without_labels() -> IndexError {
    IndexError::Corrupt("invariant: a build without provisional labels is kept".to_owned())
}

/// A cold build of a sealed tar read once: the load labels its records provisionally while
/// the verifier reads the same bytes; the labels are kept only when proven at the end, else
/// the index is thrown away and built again with the ordinary statuses (taken from the
/// report already made: the bundle is read a second time, never verified twice).
fn build_one_read(
    tmp: &Path,
    paths: &[PathBuf],
    opts: &mut BuildOptions,
    provisional: &dyn crate::ingest::ProvisionalStatuses,
    events: &mut dyn FnMut(LiveEvent),
) -> Result<IngestSummary, IndexError> {
    let Some((tap, lookup)) = provisional.begin() else {
        return build(tmp, paths, opts, None, events, None)
            .and_then(|s| s.ok_or_else(unconfirmed_without_labels));
    };
    let saved_tap = opts.ingest.file_tap.clone();
    let saved_status = opts.ingest.status.replace(lookup);
    opts.ingest.file_tap = Some(match &saved_tap {
        Some(digest) => Arc::new(crate::ingest::BothTaps(Arc::clone(digest), tap)),
        None => tap,
    });
    let first = build(tmp, paths, opts, None, events, Some(provisional));
    // Joins the verifier whatever happened (idempotent after the build's own call).
    let _ = provisional.confirm();
    opts.ingest.file_tap = saved_tap;
    opts.ingest.status = saved_status;
    if let Some(summary) = first? {
        return Ok(summary);
    }
    let _ = fs::remove_dir_all(tmp);
    // The observers saw every event of the first load, whose events differ from these only
    // in their integrity label (which no observer reads): they are not fed twice.
    let mut observers = std::mem::take(&mut opts.observers);
    let second = build(tmp, paths, opts, None, events, None);
    std::mem::swap(&mut opts.observers, &mut observers);
    let Some(summary) = second? else {
        return Err(unconfirmed_without_labels());
    };
    for o in &mut opts.observers {
        o.finish(tmp)
            .map_err(io_err("saving derived data beside the index"))?;
    }
    Ok(summary)
}

/// Loads `paths` into a new index in `tmp`; a live build reports `Opened` on the empty
/// index and commits as it goes. With `provisional`, the labels are confirmed before the
/// build is finished: `None` when they are refused (nothing finished, `tmp` to be removed).
fn build(
    tmp: &Path,
    paths: &[PathBuf],
    opts: &mut BuildOptions,
    live: Option<Live<'_>>,
    events: &mut dyn FnMut(LiveEvent),
    provisional: Option<&dyn crate::ingest::ProvisionalStatuses>,
) -> Result<Option<IngestSummary>, IndexError> {
    let policy = if live.is_some() {
        CommitPolicy::LIVE
    } else {
        CommitPolicy::AT_END
    };
    let (index, mut indexer) = new_index(tmp, opts, policy)?;
    let cancel = match live {
        Some(l) => {
            if l.verdict {
                indexer.set_ledger(&tmp.join(super::verdict::LEDGER))?;
            }
            indexer.set_on_commit(l.on_commit);
            events(LiveEvent::Opened {
                store: super::LocalStore::open(
                    index,
                    Some(tmp.to_owned()),
                    Arc::clone(&opts.ingest.mapping),
                    StatusHome::dir(&tmp.join("index")),
                )?,
                complete: false,
                pending: l.verdict,
            });
            Some(l.cancel)
        }
        None => None,
    };
    let mut sink = Sink {
        tee: Tee {
            indexer: &mut indexer,
            observers: &mut opts.observers,
        },
        cancel,
        // A build without a reader to fill commits once, at the end.
        first_commit: cancel.is_some(),
    };
    let mut progress = |p| events(LiveEvent::Progress(p));
    // The same threads decode the records and build the segments: decoding feeds the
    // writer, so neither waits for the other for long.
    let ingest_options = IngestOptions {
        threads: opts.threads,
        ..opts.ingest.clone()
    };
    let summary = ingest(paths, ingest_options, &mut sink, &mut progress);
    if let Some(e) = indexer.take_error() {
        return Err(e);
    }
    if cancel.is_some_and(|c| c.load(Ordering::Relaxed)) {
        return Ok(Some(summary));
    }
    if provisional.is_some_and(|p| !p.confirm()) {
        return Ok(None);
    }
    finish_build(tmp, indexer, opts, &summary)?;
    Ok(Some(summary))
}

/// Writes `meta.json`, the mark of a complete build.
fn write_meta(
    tmp: &Path,
    paths: &[PathBuf],
    key: &str,
    summary: &IngestSummary,
) -> Result<(), IndexError> {
    let meta = Meta {
        schema_version: SCHEMA_VERSION,
        digest: key.to_owned(),
        inputs: paths.iter().map(|p| p.display().to_string()).collect(),
        events: summary.events,
        built_at: chrono::Utc::now(),
        // The writer is done: these are the files as it left them.
        files: index_stamps(&tmp.join("index")),
    };
    fs::write(
        tmp.join("meta.json"),
        serde_json::to_vec_pretty(&meta).unwrap_or_default(),
    )
    .map_err(io_err("writing meta.json"))
}
