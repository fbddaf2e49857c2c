//! What a build reports as it goes ([`LiveEvent`]: the explorer's live build fills a
//! growing index, reloaded after each `Committed`), and the input fingerprints that let a
//! cached index open at once. The build itself is in `build`.

use std::fs;
use std::path::PathBuf;

use super::IndexError;
use super::cache::{OpenedIndex, change_stamp, io_err};
use super::schema::SCHEMA_VERSION;
use crate::ingest::IngestProgress;

/// What a live build reports, in order: `Opened`, then `Progress` / `Committed` any number
/// of times, then `Done` (or an error return).
pub enum LiveEvent {
    /// A readable index: empty and growing (`complete == false`), or a reused cache.
    Opened {
        /// The index to search.
        store: super::LocalStore,
        /// True when it is already complete (a cached index).
        complete: bool,
        /// True when its records are labelled `pending` until the verdict is written at
        /// the end of the build.
        pending: bool,
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

/// SHA-256 over each input's absolute path, and each file's name, size and modification
/// time: cheap to compute, and changed by any ordinary edit of the inputs.
pub(super) fn fingerprint(paths: &[PathBuf], extra: &[u8]) -> Result<String, IndexError> {
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

/// A key for the inputs' names alone (absolute paths, and `extra`): remembered after an
/// open, so that a later open of the same names with an unknown fingerprint (a `touch`, an
/// edit) first looks for their content in the cache, while never-seen inputs are read once.
pub(super) fn names_key(paths: &[PathBuf], extra: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(format!("auditlens-input-names/v1 s{SCHEMA_VERSION}\n").as_bytes());
    h.update(extra);
    for p in paths {
        let abs = fs::canonicalize(p).unwrap_or_else(|_| p.clone());
        h.update(abs.to_string_lossy().as_bytes());
        h.update([0]);
    }
    super::cache::hex(&h.finalize())
}

/// Records that the inputs with this fingerprint have this content digest.
pub(super) fn remember(memo: &std::path::Path, digest: &str) -> std::io::Result<()> {
    if let Some(parent) = memo.parent() {
        fs::create_dir_all(parent)?;
    }
    let tmp = memo.with_extension(format!("tmp{}", std::process::id()));
    fs::write(&tmp, digest)?;
    fs::rename(tmp, memo)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

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
