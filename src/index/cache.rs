//! The on-disk index cache: `<root>/<key>/` holds `index/`, `summary.json` and `meta.json`.
//! The key is the SHA-256 of the inputs' names and contents plus the schema version, so an
//! unchanged bundle reopens at once. Builds happen in a temporary folder renamed into place
//! only when complete (the one build path is in `build`); a damaged or outdated entry is
//! rebuilt.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tantivy::Index;

use super::IndexError;
use super::schema::{self, SCHEMA_VERSION};
use super::writer::{CommitPolicy, Indexer};
use crate::ingest::{
    EventObserver, EventSink, GenericMapping, IngestOptions, IngestSummary, input_listing,
};
use crate::model::AuditEvent;

/// Default index writer memory budget, in MB. A budget that holds a million events keeps
/// a build from flushing and merging segments midway (1M events: 10.2 s at 100 MB, 8.6 s at
/// 300 MB); memory grows with the bundle only up to it.
pub const DEFAULT_WRITER_MB: usize = 300;

/// How to open or build.
pub struct BuildOptions {
    /// Cache root (`--index-dir`); default [`cache_root`].
    pub index_dir: Option<PathBuf>,
    /// Ignore any cached index and build anew.
    pub reindex: bool,
    /// Ingest limits.
    pub ingest: IngestOptions,
    /// Writer memory budget in bytes.
    pub writer_budget: usize,
    /// Indexing threads.
    pub threads: usize,
    /// Extra bytes mixed into the cache key: anything besides the inputs that changes what
    /// the index holds (the trust store behind the integrity statuses).
    pub key_extra: Vec<u8>,
    /// Observers that see every event during a build and persist what they derive into
    /// the cache folder (they are not called when a cached index is reused).
    pub observers: Vec<Box<dyn EventObserver>>,
}

impl Default for BuildOptions {
    fn default() -> Self {
        Self {
            index_dir: None,
            reindex: false,
            ingest: IngestOptions::default(),
            writer_budget: DEFAULT_WRITER_MB * 1_000_000,
            threads: std::thread::available_parallelism()
                .map_or(1, std::num::NonZero::get)
                .min(4),
            key_extra: Vec::new(),
            observers: Vec::new(),
        }
    }
}

/// An index ready to search.
#[derive(Clone)]
pub struct OpenedIndex {
    /// The index.
    pub(crate) index: Index,
    /// What the load found.
    pub summary: IngestSummary,
    /// Where it lives.
    pub dir: PathBuf,
    /// Content digest of the inputs (hex SHA-256).
    pub digest: String,
    /// True when a cached index was reused.
    pub reused: bool,
    /// Time spent building (zero when reused).
    pub build_time: Duration,
    /// The generic mapping it was built with (hits are decoded again with it).
    pub(crate) mapping: Arc<GenericMapping>,
}

impl OpenedIndex {
    /// The index as a [`Store`](crate::store::Store): what front ends query.
    pub fn store(&self) -> Result<super::LocalStore, IndexError> {
        super::LocalStore::open(
            self.index.clone(),
            Some(self.dir.clone()),
            Arc::clone(&self.mapping),
        )
    }

    /// A search service over the index.
    pub fn service(&self) -> Result<super::SearchService, IndexError> {
        super::SearchService::new(self.index.clone(), Arc::clone(&self.mapping))
    }
}

#[derive(Debug, Serialize, Deserialize)]
pub(super) struct Meta {
    pub(super) schema_version: u32,
    pub(super) digest: String,
    pub(super) inputs: Vec<String>,
    pub(super) events: u64,
    pub(super) built_at: chrono::DateTime<chrono::Utc>,
}

/// `$XDG_CACHE_HOME/auditlens`, else `~/.cache/auditlens`, else a folder in the temp dir.
pub fn cache_root() -> PathBuf {
    let non_empty = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    if let Some(x) = non_empty("XDG_CACHE_HOME") {
        return x.join("auditlens");
    }
    if let Some(h) = non_empty("HOME") {
        return h.join(".cache").join("auditlens");
    }
    std::env::temp_dir().join("auditlens-cache")
}

pub(super) fn io_err(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> IndexError {
    let context = context.into();
    move |source| IndexError::Io { context, source }
}

/// SHA-256 over the inputs as given: each path, then each file's path relative to it, its
/// length and its bytes. Any change to a byte, a name or the set of files changes it.
pub fn content_digest(paths: &[PathBuf]) -> Result<String, IndexError> {
    let mut h = Sha256::new();
    h.update(b"auditlens-inputs/v1\n");
    let mut buf = vec![0u8; 1 << 20];
    for p in paths {
        h.update(p.to_string_lossy().as_bytes());
        h.update([0]);
        let entries = input_listing(std::slice::from_ref(p)).map_err(io_err("listing inputs"))?;
        for entry in entries {
            let file = entry.path;
            let rel = file.strip_prefix(p).unwrap_or(&file);
            h.update(rel.to_string_lossy().as_bytes());
            h.update([0]);
            // What is not loaded (a link, a special file, a folder that cannot be listed) is
            // reported by the load: its name keys the cache too, so the report stays true.
            let Some(len) = entry.len else {
                h.update(b"\0not loaded\0");
                continue;
            };
            h.update(len.to_le_bytes());
            // A file that cannot be read is not loaded (the load reports it): its name and
            // size still key the cache, and it keys it differently once it can be read.
            let Ok(mut f) = fs::File::open(&file) else {
                h.update(b"\0unreadable\0");
                continue;
            };
            loop {
                let n = f
                    .read(&mut buf)
                    .map_err(io_err(format!("reading {}", file.display())))?;
                if n == 0 {
                    break;
                }
                h.update(&buf[..n]);
            }
        }
    }
    Ok(hex(&h.finalize()))
}

/// Renames a complete build from `tmp` to `dir`, replacing an outdated entry. When the
/// rename fails because another process finished the same build first, its entry is used.
pub(super) fn move_into_place(tmp: &Path, dir: &Path, key: &str) -> Result<(), IndexError> {
    if dir.exists() {
        let _ = fs::remove_dir_all(dir);
    }
    if let Err(e) = fs::rename(tmp, dir) {
        let _ = fs::remove_dir_all(tmp);
        if try_open(dir, key).is_err() {
            return Err(io_err(format!(
                "moving the built index into {}",
                dir.display()
            ))(e));
        }
    }
    Ok(())
}

/// The cache key: the content digest, plus whatever else changes the index's contents.
pub(super) fn cache_key(digest: &str, extra: &[u8]) -> String {
    if extra.is_empty() {
        return digest.to_owned();
    }
    let mut h = Sha256::new();
    h.update(digest.as_bytes());
    h.update(extra);
    hex(&h.finalize())
}

/// Lower-case hex of bytes.
pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// Why a cache entry is not reused (it is built again, and the note says why).
#[derive(Debug, thiserror::Error)]
pub(super) enum NotReusable {
    /// Written by another version of auditlens (another schema), or for other content.
    #[error("built by another version")]
    OtherVersion,
    /// The index does not hold the events its bookkeeping counts.
    #[error("holds {found} events, expected {expected}")]
    Count {
        /// Documents in the index.
        found: u64,
        /// Events the summary counts.
        expected: u64,
    },
    /// Its files cannot be read, or are damaged.
    #[error(transparent)]
    Index(#[from] IndexError),
}

/// Reads `file` of the cache entry `dir` as JSON.
fn read_json<T: serde::de::DeserializeOwned>(dir: &Path, file: &str) -> Result<T, IndexError> {
    let bytes = fs::read(dir.join(file)).map_err(io_err(format!("reading {file}")))?;
    serde_json::from_slice(&bytes).map_err(|e| IndexError::Corrupt(format!("{file}: {e}")))
}

/// Opens the cache entry `dir` of content key `digest`, proving it whole and current.
pub(super) fn try_open(dir: &Path, digest: &str) -> Result<(Index, IngestSummary), NotReusable> {
    let meta: Meta = read_json(dir, "meta.json")?;
    if meta.schema_version != SCHEMA_VERSION || meta.digest != digest {
        return Err(NotReusable::OtherVersion);
    }
    let summary: IngestSummary = read_json(dir, "summary.json")?;
    let (index, docs) = super::damage::open_whole(&dir.join("index"))?;
    if docs != summary.events || docs != meta.events {
        return Err(NotReusable::Count {
            found: docs,
            expected: summary.events,
        });
    }
    Ok((index, summary))
}

/// The cache entry `dir` of the inputs with content `digest` and cache key `key`, opened
/// again (proven whole and current) as it was built, with `mapping`.
pub(super) fn reopen(
    dir: PathBuf,
    digest: String,
    key: &str,
    mapping: &Arc<GenericMapping>,
) -> Result<OpenedIndex, NotReusable> {
    let (index, summary) = try_open(&dir, key)?;
    Ok(OpenedIndex {
        index,
        summary,
        dir,
        digest,
        reused: true,
        build_time: Duration::ZERO,
        mapping: Arc::clone(mapping),
    })
}

/// Moves a complete build from `tmp` into its cache folder `dir` and opens it there.
pub(super) fn place_built(
    tmp: &Path,
    dir: PathBuf,
    key: &str,
    summary: IngestSummary,
    digest: String,
    started: Instant,
    mapping: Arc<GenericMapping>,
) -> Result<OpenedIndex, IndexError> {
    move_into_place(tmp, &dir, key)?;
    let index = Index::open_in_dir(dir.join("index"))?;
    Ok(OpenedIndex {
        index,
        summary,
        dir,
        digest,
        reused: false,
        build_time: started.elapsed(),
        mapping,
    })
}

/// A new index in `tmp/index` with the current schema, and its single writer.
pub(super) fn new_index(
    tmp: &Path,
    opts: &BuildOptions,
    policy: CommitPolicy,
) -> Result<(Index, Indexer), IndexError> {
    let index_dir = tmp.join("index");
    fs::create_dir_all(&index_dir).map_err(io_err(format!("creating {}", index_dir.display())))?;
    let (schema, fields) = schema::build();
    let index = Index::create_in_dir(&index_dir, schema)?;
    let indexer = Indexer::new(&index, fields, opts.writer_budget, opts.threads, policy)?;
    Ok((index, indexer))
}

/// Ends a complete build in `tmp`: the final commit, what the observers derived, and
/// `summary.json`.
pub(super) fn finish_build(
    tmp: &Path,
    indexer: Indexer,
    opts: &mut BuildOptions,
    summary: &IngestSummary,
) -> Result<(), IndexError> {
    indexer.finish()?;
    for o in &mut opts.observers {
        o.finish(tmp)
            .map_err(io_err("saving derived data beside the index"))?;
    }
    fs::write(
        tmp.join("summary.json"),
        serde_json::to_vec(summary).unwrap_or_default(),
    )
    .map_err(io_err("writing summary.json"))
}

/// Feeds each event to the observers, then to the indexer.
pub(super) struct Tee<'a> {
    pub(super) indexer: &'a mut Indexer,
    pub(super) observers: &'a mut Vec<Box<dyn EventObserver>>,
}

impl EventSink for Tee<'_> {
    fn event(&mut self, event: AuditEvent, raw: &str) -> bool {
        for o in self.observers.iter_mut() {
            o.observe(&event);
        }
        self.indexer.event(event, raw)
    }
}
