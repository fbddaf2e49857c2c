//! Settings: the command line, the environment and the configuration files, read once at
//! the boundary into typed values (ripgrep's low-level args turned into `HiArgs`). Nothing
//! below reads a flag, an environment variable or a configuration file again, and nothing
//! is global: the masker, the trust store and the limits are passed down explicitly.
//!
//! Allowed imports: `cli` (the raw arguments), `config`, `ingest` (read limits), `index`
//! (the default cache root), `integrity` (trust store), `privacy` (masker), std. The
//! explorer's keymap, theme and zone are read by `ui::UiSettings`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::cli::LoadArgs;
use crate::config::config_dir;
use crate::ingest::{GenericMapping, IngestOptions, ReadLimits};
use crate::integrity::{IntegrityError, TRUST_ENV, TrustStore, default_trust_path};
use crate::privacy::Masker;

/// Why the settings could not be made.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// A configuration file is wrong.
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    /// The trust store could not be read.
    #[error("reading the trust store {path}: {source}")]
    Trust {
        /// The trust store file.
        path: PathBuf,
        /// What went wrong.
        source: IntegrityError,
    },
    /// The masking policy or the role is wrong.
    #[error(transparent)]
    Masking(#[from] crate::privacy::PrivacyError),
}

/// Where the trust store came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrustSource {
    /// `--trust FILE`.
    Flag(PathBuf),
    /// `$AUDITLENS_TRUST`.
    Env(PathBuf),
    /// The default location in the configuration folder.
    Default(PathBuf),
    /// None given and none at the default location: nothing is trusted.
    None,
}

/// The trust store behind signature checks and integrity statuses, read once.
#[derive(Debug, Clone)]
pub struct Trust {
    /// The keys; `None` when there is no trust store.
    pub store: Option<TrustStore>,
    /// The file's bytes (empty without one): they key the index cache, since a different
    /// store gives different statuses.
    pub bytes: Vec<u8>,
    /// Where it came from.
    pub source: TrustSource,
}

impl Trust {
    /// No trust store.
    pub(crate) fn none() -> Self {
        Self {
            store: None,
            bytes: Vec::new(),
            source: TrustSource::None,
        }
    }

    /// `--trust FILE` (must be readable), else `$AUDITLENS_TRUST`, else the default
    /// location (absent: nothing trusted). The file is read once.
    pub(crate) fn resolve(flag: Option<&Path>) -> Result<Self, SettingsError> {
        let source = if let Some(p) = flag {
            TrustSource::Flag(p.to_owned())
        } else if let Some(p) = std::env::var_os(TRUST_ENV).filter(|v| !v.is_empty()) {
            TrustSource::Env(PathBuf::from(p))
        } else {
            match default_trust_path() {
                Some(p) => TrustSource::Default(p),
                None => TrustSource::None,
            }
        };
        let path = match &source {
            TrustSource::Flag(p) => p,
            TrustSource::Env(p) | TrustSource::Default(p) if p.exists() => p,
            _ => return Ok(Self::none()),
        };
        let read = || -> Result<(TrustStore, Vec<u8>), IntegrityError> {
            let bytes = std::fs::read(path).map_err(|e| IntegrityError::io(path, e))?;
            Ok((TrustStore::parse(path, &bytes)?, bytes))
        };
        let (store, bytes) = read().map_err(|source| SettingsError::Trust {
            path: path.clone(),
            source,
        })?;
        Ok(Self {
            store: Some(store),
            bytes,
            source,
        })
    }
}

/// Everything a command that reads logs needs to know, parsed once.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The user's configuration folder, when there is one.
    pub config_dir: Option<PathBuf>,
    /// Where cached indexes live (`--index-dir`, else the default cache folder).
    pub cache_root: PathBuf,
    /// Ignore any cached index.
    pub reindex: bool,
    /// Input size limits.
    pub limits: ReadLimits,
    /// Index writer memory budget, in bytes.
    pub writer_budget: usize,
    /// Indexing threads.
    pub threads: usize,
    /// The trust store.
    pub trust: Trust,
    /// What is masked in everything shown, copied and exported (`--unmask`, `--role`).
    pub masker: Arc<Masker>,
    /// `--unmask` (recorded in the access trail).
    pub unmask: bool,
    /// `--role` (recorded in the access trail).
    pub role: Option<String>,
    /// `--no-trail`: the trail records only that the command ran.
    pub untracked: bool,
    /// The generic mapping (built-in candidates, with the user's `generic.json` tried
    /// first): every load and every re-decode of a stored record uses it, and since it
    /// decides what an index holds, its key keys the cache.
    pub mapping: Arc<GenericMapping>,
}

impl Settings {
    /// Reads the load arguments, the environment and the configuration files.
    pub fn from_args(load: &LoadArgs) -> Result<Self, SettingsError> {
        let config_dir = config_dir();
        let masker =
            crate::privacy::masker_for(config_dir.as_deref(), load.unmask, load.role.as_deref())
                .map_err(SettingsError::Masking)?;
        let mapping = Arc::new(crate::config::generic_mapping(config_dir.as_deref())?);
        Ok(Self {
            cache_root: load
                .index_dir
                .clone()
                .unwrap_or_else(crate::index::cache_root),
            reindex: load.reindex,
            limits: ReadLimits {
                max_line_bytes: load.max_line_bytes,
                max_document_bytes: load.max_document_bytes,
            },
            writer_budget: load.writer_mb.saturating_mul(1_000_000),
            threads: load.threads.map_or_else(default_threads, usize::from),
            trust: Trust::resolve(load.trust.as_deref())?,
            masker: Arc::new(masker),
            unmask: load.unmask,
            role: load.role.clone(),
            untracked: load.no_trail,
            mapping,
            config_dir,
        })
    }

    /// What besides the content keys an index: the trust store's bytes (a different store
    /// gives different statuses) and the generic mapping in effect.
    pub(crate) fn cache_key_extra(&self) -> Vec<u8> {
        let mut extra = self.trust.bytes.clone();
        extra.extend_from_slice(b"\0generic-mapping\0");
        extra.extend_from_slice(self.mapping.key().as_bytes());
        extra
    }

    /// Ingest options with these limits and no integrity statuses.
    pub(crate) fn ingest_options(&self) -> IngestOptions {
        IngestOptions {
            limits: self.limits,
            status: None,
            threads: self.threads,
            mapping: Arc::clone(&self.mapping),
        }
    }
}

/// Build threads when `--threads` is not given: every core, up to 8 (beyond that a build
/// waits on reading and on the final merge more than on decoding and indexing).
pub(crate) fn default_threads() -> usize {
    std::thread::available_parallelism()
        .map_or(1, std::num::NonZero::get)
        .min(8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_explicit_trust_store_must_be_readable_and_is_read_once() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.json");
        let e = Trust::resolve(Some(&missing)).unwrap_err();
        assert!(matches!(e, SettingsError::Trust { .. }), "{e}");
        let p = dir.path().join("trust.json");
        std::fs::write(&p, "{\"keys\": []}").unwrap();
        let t = Trust::resolve(Some(&p)).unwrap();
        assert_eq!(t.source, TrustSource::Flag(p));
        assert_eq!(t.bytes, b"{\"keys\": []}");
        assert_eq!(t.store, Some(TrustStore::default()));
    }
}
