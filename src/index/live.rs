//! Live builds for the explorer: the index is built in the cache's temporary folder with
//! frequent commits, so a `SearchService` opened on it sees the events fill in (reload after
//! each `Committed`), and is renamed into place at the end. A cached index opens at once.

use std::fs;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use tantivy::Index;

use super::IndexError;
use super::cache::{BuildOptions, Meta, OpenedIndex, Tee, cache_root, io_err, try_open};
use super::content_digest;
use super::schema::SCHEMA_VERSION;
use super::writer::CommitPolicy;
use crate::ingest::{EventSink, IngestProgress, IngestSummary, ingest};
use crate::model::AuditEvent;

/// Documents after which the first commit happens, so the first screen fills at once.
const FIRST_COMMIT_DOCS: u64 = 2_000;

/// What a live build reports, in order: `Opened`, then `Progress` / `Committed` any number
/// of times, then `Done` (or an error return).
pub enum LiveEvent {
    /// A readable index: empty and growing (`complete == false`), or a reused cache.
    Opened {
        /// The index to search.
        index: Index,
        /// True when it is already complete (a cached index).
        complete: bool,
    },
    /// Loading progress (at most every 100 ms).
    Progress(IngestProgress),
    /// A commit made `docs` documents visible.
    Committed {
        /// Documents visible.
        docs: u64,
    },
    /// The build is complete; the index now lives at its final place.
    Done(Box<OpenedIndex>),
    /// A note for the user (a damaged cached index being rebuilt).
    Notice(String),
}

impl std::fmt::Debug for LiveEvent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Opened { complete, .. } => write!(f, "Opened {{ complete: {complete} }}"),
            Self::Progress(p) => write!(f, "Progress({p:?})"),
            Self::Committed { docs } => write!(f, "Committed {{ docs: {docs} }}"),
            Self::Done(o) => write!(f, "Done({} events)", o.summary.events),
            Self::Notice(n) => write!(f, "Notice({n:?})"),
        }
    }
}

/// Stops the load when cancelled, and makes one early commit.
struct Live<'a> {
    tee: Tee<'a>,
    cancel: &'a AtomicBool,
    first_done: bool,
    /// Dropped (or used) after the first commit: lets the digest thread start.
    after_first_commit: Option<std::sync::mpsc::Sender<()>>,
}

impl EventSink for Live<'_> {
    fn event(&mut self, event: AuditEvent, raw: &str) -> bool {
        if self.cancel.load(Ordering::Relaxed) {
            return false;
        }
        let ok = self.tee.event(event, raw);
        if ok && !self.first_done && self.tee.indexer.docs() >= FIRST_COMMIT_DOCS {
            self.first_done = true;
            if let Err(e) = self.tee.indexer.commit() {
                self.tee.indexer.set_error(e);
                return false;
            }
            if let Some(go) = self.after_first_commit.take() {
                let _ = go.send(());
            }
        }
        ok
    }
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
    let root = opts.index_dir.clone().unwrap_or_else(cache_root);
    // The cache key: the content digest plus what else changes the index (the trust store).
    let extra = opts.key_extra.clone();
    let key_for = |digest: &str| super::cache::cache_key(digest, &extra);
    let dir_for = |digest: &str| root.join(format!("{}-s{SCHEMA_VERSION}", &key_for(digest)[..32]));
    // A cached open must not hash the whole bundle: the fingerprint (paths, sizes, mtimes)
    // remembers the content digest of inputs seen before.
    let fp = fingerprint(paths, &opts.key_extra)?;
    let memo = root.join("fingerprints").join(&fp[..32]);
    if !opts.reindex
        && let Ok(digest) = fs::read_to_string(&memo)
        && digest.len() == 64
    {
        let dir = dir_for(&digest);
        match try_open(&dir, &key_for(&digest)) {
            Ok((index, summary)) => {
                report(LiveEvent::Opened {
                    index: index.clone(),
                    complete: true,
                });
                report(LiveEvent::Done(Box::new(OpenedIndex {
                    index,
                    summary,
                    dir,
                    digest,
                    reused: true,
                    build_time: Duration::ZERO,
                })));
                return Ok(());
            }
            // A damaged (or outdated) entry is rebuilt below: say so.
            Err(why) if dir.exists() => {
                report(LiveEvent::Notice(format!(
                    "rebuilding the cached index ({why})"
                )));
            }
            Err(_) => {}
        }
    }
    // Unknown fingerprint: hash the content beside the build (the content may still be
    // cached under another name, e.g. after a `touch`).
    // It starts after the first commit, so that the first screen does not wait for it.
    let (go, wait) = std::sync::mpsc::channel::<()>();
    let hashing = {
        let paths = paths.to_vec();
        std::thread::Builder::new()
            .name("auditlens-digest".to_owned())
            .spawn(move || {
                let _ = wait.recv();
                content_digest(&paths)
            })
            .map_err(io_err("starting the digest thread"))?
    };
    let started = Instant::now();
    fs::create_dir_all(&root).map_err(io_err(format!(
        "creating the cache folder {}",
        root.display()
    )))?;
    super::stale::sweep_stale_builds(&root);
    let tmp = root.join(format!(
        ".live-{}-{}-{}",
        &fp[..16],
        std::process::id(),
        chrono::Utc::now().timestamp_nanos_opt().unwrap_or_default()
    ));
    let result = build(&tmp, paths, opts, cancel, &report, go);
    if cancel.load(Ordering::Relaxed) {
        // Leave at once: the digest thread ends with the process.
        let _ = fs::remove_dir_all(&tmp);
        return Ok(());
    }
    let digest = hashing
        .join()
        .map_err(|_| IndexError::Corrupt("the digest thread panicked".to_owned()))
        .and_then(|d| d);
    let (result, digest) = match (result, digest) {
        (Ok(s), Ok(d)) => match write_meta(&tmp, paths, &key_for(&d), &s) {
            Ok(()) => (Ok(s), d),
            Err(e) => (Err(e), d),
        },
        (Err(e), _) | (_, Err(e)) => {
            let _ = fs::remove_dir_all(&tmp);
            return Err(e);
        }
    };
    let dir = dir_for(&digest);
    let summary = match result {
        Ok(s) => s,
        Err(e) => {
            let _ = fs::remove_dir_all(&tmp);
            return Err(e);
        }
    };
    let key = key_for(&digest);
    let opened = super::cache::place_built(&tmp, dir, &key, summary, digest, started)?;
    let _ = remember(&memo, &opened.digest);
    report(LiveEvent::Done(Box::new(opened)));
    Ok(())
}

/// SHA-256 over each input's absolute path, and each file's name, size and modification
/// time: cheap to compute, and changed by any ordinary edit of the inputs.
fn fingerprint(paths: &[PathBuf], extra: &[u8]) -> Result<String, IndexError> {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(format!("auditlens-fingerprint/v1 s{SCHEMA_VERSION}\n").as_bytes());
    h.update(extra);
    for p in paths {
        let abs = fs::canonicalize(p).map_err(io_err(format!("resolving {}", p.display())))?;
        h.update(abs.to_string_lossy().as_bytes());
        h.update([0]);
        let entries = crate::ingest::input_listing(std::slice::from_ref(p))
            .map_err(io_err("listing inputs"))?;
        for entry in entries {
            let file = entry.path;
            // What is not loaded is reported by the load: its name keys the cache too.
            let Some(len) = entry.len else {
                h.update(file.to_string_lossy().as_bytes());
                h.update(b"\0not loaded\0");
                continue;
            };
            let meta =
                fs::metadata(&file).map_err(io_err(format!("reading {}", file.display())))?;
            let mtime = meta
                .modified()
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map_or(0, |d| d.as_nanos());
            h.update(file.to_string_lossy().as_bytes());
            h.update([0]);
            h.update(len.to_le_bytes());
            h.update(mtime.to_le_bytes());
            h.update(change_stamp(&meta));
        }
    }
    Ok(super::cache::hex(&h.finalize()))
}

/// What only the system sets: the file's identity (device, inode) and its status-change
/// time. Anyone can edit a file and put back its size and modification time (`touch -d`);
/// the change time then moves on regardless, so an edited bundle is never taken for the one
/// its cached index (and the integrity statuses in it) was built from.
#[cfg(unix)]
fn change_stamp(meta: &fs::Metadata) -> [u8; 32] {
    use std::os::unix::fs::MetadataExt;
    let mut out = [0u8; 32];
    out[..8].copy_from_slice(&meta.dev().to_le_bytes());
    out[8..16].copy_from_slice(&meta.ino().to_le_bytes());
    out[16..24].copy_from_slice(&meta.ctime().to_le_bytes());
    out[24..].copy_from_slice(&meta.ctime_nsec().to_le_bytes());
    out
}

#[cfg(not(unix))]
fn change_stamp(_: &fs::Metadata) -> [u8; 32] {
    [0; 32]
}

/// Records that the inputs with this fingerprint have this content digest.
fn remember(memo: &std::path::Path, digest: &str) -> std::io::Result<()> {
    if let Some(parent) = memo.parent() {
        fs::create_dir_all(parent)?;
    }
    let tmp = memo.with_extension(format!("tmp{}", std::process::id()));
    fs::write(&tmp, digest)?;
    fs::rename(tmp, memo)
}

fn build<F>(
    tmp: &std::path::Path,
    paths: &[PathBuf],
    opts: &mut BuildOptions,
    cancel: &AtomicBool,
    report: &F,
    after_first_commit: std::sync::mpsc::Sender<()>,
) -> Result<IngestSummary, IndexError>
where
    F: Fn(LiveEvent) + Send + Sync + Clone + 'static,
{
    let (index, mut indexer) = super::cache::new_index(tmp, opts, CommitPolicy::LIVE)?;
    let on_commit = report.clone();
    indexer.set_on_commit(move |docs| on_commit(LiveEvent::Committed { docs }));
    report(LiveEvent::Opened {
        index,
        complete: false,
    });
    let mut live = Live {
        tee: Tee {
            indexer: &mut indexer,
            observers: &mut opts.observers,
        },
        cancel,
        first_done: false,
        after_first_commit: Some(after_first_commit),
    };
    let mut progress = |p: IngestProgress| report(LiveEvent::Progress(p));
    let summary = ingest(paths, opts.ingest.clone(), &mut live, &mut progress);
    drop(live);
    if let Some(e) = indexer.take_error() {
        return Err(e);
    }
    if cancel.load(Ordering::Relaxed) {
        return Ok(summary);
    }
    super::cache::finish_build(tmp, indexer, opts, &summary)?;
    Ok(summary)
}

/// Writes `meta.json`, the mark of a complete build.
fn write_meta(
    tmp: &std::path::Path,
    paths: &[PathBuf],
    digest: &str,
    summary: &IngestSummary,
) -> Result<(), IndexError> {
    let meta = Meta {
        schema_version: SCHEMA_VERSION,
        digest: digest.to_owned(),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn an_edit_that_restores_size_and_mtime_changes_the_fingerprint() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("s.jsonl");
        fs::write(&f, "{\"msg\":\"genuine\"}\n").unwrap();
        let mtime = fs::metadata(&f).unwrap().modified().unwrap();
        let before = fingerprint(std::slice::from_ref(&f), b"").unwrap();
        assert_eq!(before, fingerprint(std::slice::from_ref(&f), b"").unwrap());
        // The change time is kept in clock ticks of a few milliseconds.
        std::thread::sleep(Duration::from_millis(30));
        fs::write(&f, "{\"msg\":\"forged!\"}\n").unwrap();
        fs::File::options()
            .write(true)
            .open(&f)
            .unwrap()
            .set_modified(mtime)
            .unwrap();
        let meta = fs::metadata(&f).unwrap();
        assert_eq!((meta.len(), meta.modified().unwrap()), (18, mtime));
        assert_ne!(before, fingerprint(std::slice::from_ref(&f), b"").unwrap());
    }
}
