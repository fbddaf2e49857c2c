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
    BuildOptions, Meta, NotReusable, OpenedIndex, Tee, cache_key, cache_root, content_digest,
    finish_build, io_err, new_index, place_built, reopen,
};
use super::live::{LiveEvent, fingerprint, remember};
use super::schema::SCHEMA_VERSION;
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
}

/// Feeds the indexer (and observers); in a live build, stops when cancelled and makes one
/// early commit, after which the digest thread may start.
struct Sink<'a> {
    tee: Tee<'a>,
    cancel: Option<&'a AtomicBool>,
    first_commit: Option<std::sync::mpsc::Sender<()>>,
}

impl EventSink for Sink<'_> {
    fn event(&mut self, event: AuditEvent, raw: &str) -> bool {
        if self.cancel.is_some_and(|c| c.load(Ordering::Relaxed)) {
            return false;
        }
        let ok = self.tee.event(event, raw);
        if ok && self.first_commit.is_some() && self.tee.indexer.docs() >= FIRST_COMMIT_DOCS {
            if let Err(e) = self.tee.indexer.commit() {
                self.tee.indexer.set_error(e);
                return false;
            }
            if let Some(go) = self.first_commit.take() {
                let _ = go.send(());
            }
        }
        ok
    }
}

/// Where the content digest comes from: known before the build, or hashed beside it.
enum DigestSource {
    Known(String),
    Beside(std::thread::JoinHandle<Result<String, IndexError>>),
}

impl DigestSource {
    fn get(self) -> Result<String, IndexError> {
        match self {
            Self::Known(d) => Ok(d),
            Self::Beside(h) => h
                .join()
                .map_err(|_| IndexError::Corrupt("the digest thread panicked".to_owned()))?,
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
    let dir_for = |key: &str| root.join(format!("{}-s{SCHEMA_VERSION}", &key[..32]));
    let reuse = |dir: PathBuf, digest: String, events: &mut dyn FnMut(LiveEvent)| {
        let key = key_for(&digest);
        let opened = reopen(dir, digest, &key, &opts.ingest.mapping)?;
        events(LiveEvent::Opened {
            store: opened.store()?,
            complete: true,
        });
        events(LiveEvent::Done(Box::new(opened.clone())));
        Ok::<_, NotReusable>(opened)
    };
    // A cached open need not hash the whole bundle: the fingerprint (paths, sizes, times)
    // remembers the content digest of inputs seen before.
    let fp = fingerprint(paths, &opts.key_extra)?;
    let memo = root.join("fingerprints").join(&fp[..32]);
    let mut noted = None;
    if !opts.reindex
        && let Ok(digest) = fs::read_to_string(&memo)
        && digest.len() == 64
    {
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
    // Unknown fingerprint. A command hashes the content first (it may be cached under
    // another name, e.g. after a `touch`); the explorer hashes it beside the build, after
    // the first commit, so that the first screen does not wait for it.
    let (go, wait) = std::sync::mpsc::channel::<()>();
    let digest = if live.is_some() {
        let paths = paths.to_vec();
        DigestSource::Beside(
            std::thread::Builder::new()
                .name("auditlens-digest".to_owned())
                .spawn(move || {
                    let _ = wait.recv();
                    content_digest(&paths)
                })
                .map_err(io_err("starting the digest thread"))?,
        )
    } else {
        let digest = content_digest(paths)?;
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
    let result = build(&tmp, paths, opts, live, go, events);
    if cancel.is_some_and(|c| c.load(Ordering::Relaxed)) {
        // Leave at once: the digest thread ends with the process.
        let _ = fs::remove_dir_all(&tmp);
        return Ok(None);
    }
    let finished = result.and_then(|summary| {
        let digest = digest.get()?;
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
    events(LiveEvent::Done(Box::new(opened.clone())));
    Ok(Some(opened))
}

/// Loads `paths` into a new index in `tmp`; a live build reports `Opened` on the empty
/// index and commits as it goes.
fn build(
    tmp: &Path,
    paths: &[PathBuf],
    opts: &mut BuildOptions,
    live: Option<Live<'_>>,
    first_commit: std::sync::mpsc::Sender<()>,
    events: &mut dyn FnMut(LiveEvent),
) -> Result<IngestSummary, IndexError> {
    let policy = if live.is_some() {
        CommitPolicy::LIVE
    } else {
        CommitPolicy::AT_END
    };
    let (index, mut indexer) = new_index(tmp, opts, policy)?;
    let cancel = match live {
        Some(l) => {
            indexer.set_on_commit(l.on_commit);
            events(LiveEvent::Opened {
                store: super::LocalStore::open(
                    index,
                    Some(tmp.to_owned()),
                    Arc::clone(&opts.ingest.mapping),
                )?,
                complete: false,
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
        // A build without a reader to fill commits once, at the end; the digest it already
        // knows needs no signal.
        first_commit: cancel.map(|_| first_commit),
    };
    let mut progress = |p| events(LiveEvent::Progress(p));
    // The same threads decode the records and build the segments: decoding feeds the
    // writer, so neither waits for the other for long.
    let ingest_options = IngestOptions {
        threads: opts.threads,
        ..opts.ingest.clone()
    };
    let summary = ingest(paths, ingest_options, &mut sink, &mut progress);
    drop(sink);
    if let Some(e) = indexer.take_error() {
        return Err(e);
    }
    if cancel.is_some_and(|c| c.load(Ordering::Relaxed)) {
        return Ok(summary);
    }
    finish_build(tmp, indexer, opts, &summary)?;
    Ok(summary)
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
    };
    fs::write(
        tmp.join("meta.json"),
        serde_json::to_vec_pretty(&meta).unwrap_or_default(),
    )
    .map_err(io_err("writing meta.json"))
}
