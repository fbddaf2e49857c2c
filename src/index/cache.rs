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
use super::statuses::StatusHome;
use super::writer::{CommitPolicy, Indexer};
use crate::ingest::{
    EventObserver, EventSink, FileReadObserver, FileTap, GenericMapping, IngestOptions,
    IngestSummary, input_listing,
};
use crate::model::AuditEvent;

/// Default index writer memory budget, in MB. A bulk build merges no segments (see
/// `Indexer::new`), so the budget sets only how many documents each indexing thread holds
/// before it writes a segment: a smaller one keeps each thread's term hash table and arena
/// smaller (1M generic events, 2 threads, one run each on a loaded machine: 300 MB 50.3 s of
/// CPU, 8 segments, 430 MB RSS; 150 MB 44.1 s, 16 segments, 247 MB; 100 MB 46.0 s, 26
/// segments, 206 MB), and segments are written while the load goes on instead of all at its
/// end. 150 MB keeps the segments few enough for cached queries in tens of milliseconds;
/// memory grows with the bundle only up to it.
pub const DEFAULT_WRITER_MB: usize = 150;

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
    /// `--verify-cache`: hash the inputs again instead of trusting their fingerprint, and
    /// read a cached index whole (every checksum) before reusing it.
    pub verify_cache: bool,
    /// Record statuses given provisionally during a cold build and proven at its end, so
    /// that a sealed tar is verified from the load's own read (`None`: `ingest.status`
    /// alone). Not used by live builds: they show records before the verdict.
    pub provisional: Option<Arc<dyn crate::ingest::ProvisionalStatuses>>,
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
            verify_cache: false,
            provisional: None,
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
            self.status_home(),
        )
    }

    /// Where its status column lives: in its index folder.
    pub(super) fn status_home(&self) -> StatusHome {
        StatusHome::dir(&self.dir.join("index"))
    }

    /// A search service over the index.
    pub fn service(&self) -> Result<super::SearchService, IndexError> {
        super::SearchService::new(
            self.index.clone(),
            Arc::clone(&self.mapping),
            self.status_home(),
        )
    }
}

#[derive(Debug, Serialize, Deserialize)]
pub(super) struct Meta {
    pub(super) schema_version: u32,
    pub(super) digest: String,
    pub(super) inputs: Vec<String>,
    pub(super) events: u64,
    pub(super) built_at: chrono::DateTime<chrono::Utc>,
    /// The stamp of every file of the index as the build left it (absent in entries built
    /// before stamps were kept: those are checked whole at each open).
    #[serde(default)]
    pub(super) files: Vec<FileStamp>,
}

/// What identifies one file of a built index without reading it: its name, size,
/// modification time, and what only the system sets (device, inode, change time). Any
/// write to the file, a copy over it or a restored modification time changes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct FileStamp {
    name: String,
    len: u64,
    mtime_ns: u128,
    change: String,
}

impl FileStamp {
    fn of(path: &Path) -> Option<Self> {
        let meta = fs::symlink_metadata(path).ok()?;
        if !meta.is_file() {
            return None;
        }
        let mtime_ns = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos());
        Some(Self {
            name: path.file_name()?.to_string_lossy().into_owned(),
            len: meta.len(),
            mtime_ns,
            change: hex(&change_stamp(&meta)),
        })
    }
}

/// What only the system sets: the file's identity (device, inode) and its status-change
/// time. Anyone can edit a file and put back its size and modification time (`touch -d`);
/// the change time then moves on regardless, so an edited bundle is never taken for the one
/// its cached index (and the integrity statuses in it) was built from.
#[cfg(unix)]
pub(super) fn change_stamp(meta: &fs::Metadata) -> [u8; 32] {
    use std::os::unix::fs::MetadataExt;
    let mut out = [0u8; 32];
    out[..8].copy_from_slice(&meta.dev().to_le_bytes());
    out[8..16].copy_from_slice(&meta.ino().to_le_bytes());
    out[16..24].copy_from_slice(&meta.ctime().to_le_bytes());
    out[24..].copy_from_slice(&meta.ctime_nsec().to_le_bytes());
    out
}

#[cfg(not(unix))]
pub(super) fn change_stamp(_: &fs::Metadata) -> [u8; 32] {
    [0; 32]
}

/// The stamps of the files of the index in `index_dir` (lock files aside), sorted by name.
pub(super) fn index_stamps(index_dir: &Path) -> Vec<FileStamp> {
    let mut out: Vec<FileStamp> = fs::read_dir(index_dir)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .filter(|e| !e.file_name().to_string_lossy().starts_with(".tantivy-"))
                .filter_map(|e| FileStamp::of(&e.path()))
                .collect()
        })
        .unwrap_or_default();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

/// True when every file the build stamped is still the one it wrote: then the index need
/// not be read whole to prove it undamaged at open (damage by other means shows while
/// searching, and `--verify-cache` checks every byte).
fn unchanged_since_build(index_dir: &Path, stamps: &[FileStamp]) -> bool {
    !stamps.is_empty()
        && stamps
            .iter()
            .all(|s| FileStamp::of(&index_dir.join(&s.name)).as_ref() == Some(s))
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
/// length and the SHA-256 of its bytes. Any change to a byte, a name or the set of files
/// changes it. Reads every file (`--verify-cache`, and a command's open of inputs whose
/// fingerprint is unknown but whose names were seen before, e.g. after a `touch`).
pub(crate) fn content_digest(paths: &[PathBuf]) -> Result<String, IndexError> {
    content_digest_with(paths, &PassHashes::default())
}

/// The SHA-256 of each input file read whole by a load, by path: what a build hashed from
/// the read that loaded the records, so that [`content_digest_with`] need not read the
/// inputs again.
#[derive(Default)]
pub(crate) struct PassHashes {
    files: std::sync::Mutex<std::collections::HashMap<PathBuf, (u64, [u8; 32])>>,
    /// How many files were read again because the load did not read them whole.
    reread: std::sync::atomic::AtomicUsize,
}

impl PassHashes {
    /// The length and SHA-256 of `path` as the load read it, if it read all of it.
    fn get(&self, path: &Path) -> Option<(u64, [u8; 32])> {
        self.files.lock().ok()?.get(path).copied()
    }

    /// How many files [`content_digest_with`] had to read itself.
    #[cfg(test)]
    pub(crate) fn rereads(&self) -> usize {
        self.reread.load(std::sync::atomic::Ordering::Relaxed)
    }
}

/// Hashes one file as the load reads it.
struct FileHasher {
    owner: std::sync::Arc<PassHashes>,
    path: PathBuf,
    len: u64,
    sha: Sha256,
}

impl FileReadObserver for FileHasher {
    fn bytes(&mut self, bytes: &[u8]) {
        self.len += bytes.len() as u64;
        self.sha.update(bytes);
    }

    fn end(self: Box<Self>) {
        let this = *self;
        if let Ok(mut files) = this.owner.files.lock() {
            files.insert(this.path, (this.len, this.sha.finalize().into()));
        }
    }
}

/// The tap that fills a [`PassHashes`] during a load.
pub(crate) struct HashTap(pub(crate) std::sync::Arc<PassHashes>);

impl FileTap for HashTap {
    fn open(&self, path: &Path) -> Option<Box<dyn FileReadObserver>> {
        Some(Box::new(FileHasher {
            owner: std::sync::Arc::clone(&self.0),
            path: path.to_path_buf(),
            len: 0,
            sha: Sha256::new(),
        }))
    }
}

/// [`content_digest`], taking each file's hash from `known` when the load read that file
/// whole with the length it has now, and reading only the others (the bundle metadata a
/// load skips, a file it could not finish).
pub(crate) fn content_digest_with(
    paths: &[PathBuf],
    known: &PassHashes,
) -> Result<String, IndexError> {
    let mut h = Sha256::new();
    h.update(b"auditlens-inputs/v2\n");
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
            if let Some((n, sha)) = known.get(&file)
                && n == len
            {
                h.update(sha);
                continue;
            }
            // A file that cannot be read is not loaded (the load reports it): its name and
            // size still key the cache, and it keys it differently once it can be read.
            let Ok(mut f) = fs::File::open(&file) else {
                h.update(b"\0unreadable\0");
                continue;
            };
            known
                .reread
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let mut fh = Sha256::new();
            loop {
                let n = f
                    .read(&mut buf)
                    .map_err(io_err(format!("reading {}", file.display())))?;
                if n == 0 {
                    break;
                }
                fh.update(&buf[..n]);
            }
            h.update(fh.finalize());
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
        if try_open(dir, key, true).is_err() {
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

/// Opens the complete cache entry in `dir` for the key `digest`. Its index is read whole
/// to prove it undamaged only when `check_all`, or when a file is not the one the build
/// wrote (by its stamp).
pub(super) fn try_open(
    dir: &Path,
    digest: &str,
    check_all: bool,
) -> Result<(Index, IngestSummary), NotReusable> {
    let meta: Meta = read_json(dir, "meta.json")?;
    if meta.schema_version != SCHEMA_VERSION || meta.digest != digest {
        return Err(NotReusable::OtherVersion);
    }
    let summary: IngestSummary = read_json(dir, "summary.json")?;
    let index_dir = dir.join("index");
    let unchanged = !check_all && unchanged_since_build(&index_dir, &meta.files);
    let (index, docs) = super::damage::open_whole(&index_dir, unchanged)?;
    if docs != summary.events || docs != meta.events {
        return Err(NotReusable::Count {
            found: docs,
            expected: summary.events,
        });
    }
    Ok((index, summary))
}

/// The cache entry `dir` of the inputs with content `digest` and cache key `key`, opened
/// again (proven current, and whole when `check_all` or a file changed) as it was built,
/// with `mapping`.
pub(super) fn reopen(
    dir: PathBuf,
    digest: String,
    key: &str,
    mapping: &Arc<GenericMapping>,
    check_all: bool,
) -> Result<OpenedIndex, NotReusable> {
    let (index, summary) = try_open(&dir, key, check_all)?;
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
    let home = StatusHome::dir(&index_dir);
    let indexer = Indexer::new(
        &index,
        fields,
        opts.writer_budget,
        opts.threads,
        policy,
        home,
    )?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    struct Drop0;
    impl EventSink for Drop0 {
        fn event(&mut self, _: AuditEvent, _: &str) -> bool {
            true
        }
    }

    /// Loads `paths` with the hashing tap and returns the digest from that read, and how many
    /// files the digest had to read again.
    fn digest_from_load(paths: &[PathBuf]) -> (String, usize) {
        let hashes = Arc::new(PassHashes::default());
        let opts = IngestOptions {
            file_tap: Some(Arc::new(HashTap(Arc::clone(&hashes)))),
            ..IngestOptions::default()
        };
        crate::ingest::ingest(paths, opts, &mut Drop0, |_| {});
        let d = content_digest_with(paths, &hashes).unwrap();
        (d, hashes.rereads())
    }

    #[test]
    fn the_digest_hashed_during_the_load_equals_a_separate_read_and_rereads_nothing_loaded() {
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join("logs");
        fs::create_dir_all(folder.join("sub")).unwrap();
        fs::write(
            folder.join("a.jsonl"),
            "{\"msg\":\"one\"}\n{\"msg\":\"two\"}\n",
        )
        .unwrap();
        fs::write(folder.join("sub/b.jsonl"), "{\"msg\":\"three\"}\n").unwrap();
        let single = dir.path().join("c.jsonl");
        fs::write(&single, "{\"msg\":\"four\"}").unwrap();
        let paths = vec![folder.clone(), single.clone()];
        let (from_load, rereads) = digest_from_load(&paths);
        assert_eq!(from_load, content_digest(&paths).unwrap());
        assert_eq!(
            rereads, 0,
            "every loaded file is hashed from the load's own read"
        );
        // A changed byte changes it.
        fs::write(folder.join("sub/b.jsonl"), "{\"msg\":\"threE\"}\n").unwrap();
        assert_ne!(digest_from_load(&paths).0, from_load);
    }

    #[test]
    fn a_sealed_tar_gz_is_hashed_from_the_load_including_the_tail_after_its_end_marker() {
        let dir = tempfile::tempdir().unwrap();
        let bundle = dir.path().join("b");
        crate::sample::write_sample(&bundle, 40, 7, false).unwrap();
        let tgz = dir.path().join("b.tar.gz");
        crate::sample::pack_tar_gz(&bundle, &tgz).unwrap();
        let paths = vec![tgz];
        let (from_load, rereads) = digest_from_load(&paths);
        assert_eq!(from_load, content_digest(&paths).unwrap());
        assert_eq!(rereads, 0);
        // A folder bundle: only the metadata the load skips (manifest, signature and the
        // `files/` artefacts) is read again, never a stream.
        let paths = vec![bundle.clone()];
        let (from_load, rereads) = digest_from_load(&paths);
        assert_eq!(from_load, content_digest(&paths).unwrap());
        let skipped = input_listing(&paths)
            .unwrap()
            .iter()
            .filter(|e| !e.path.starts_with(bundle.join("streams")))
            .count();
        assert_eq!(rereads, skipped);
    }
}
