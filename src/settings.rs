//! Settings: the command line, the environment and the configuration files, read once at
//! the boundary into typed values (ripgrep's low-level args turned into `HiArgs`). Nothing
//! below reads a flag, an environment variable or a configuration file again, and nothing
//! is global: the masker, the trust store and the limits are passed down explicitly.
//!
//! Allowed imports: `cli` (the raw arguments), `config`, `model`, `ingest` (read limits),
//! `index` (the default writer budget and cache root), `integrity` (trust store), `privacy`
//! (masker), `ui` (keymap and theme, for [`UiSettings`]), std.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::cli::{LoadArgs, UiArgs};
use crate::config::{ConfigError, UserConfig, config_dir};
use crate::ingest::{IngestOptions, ReadLimits};
use crate::integrity::{IntegrityError, TRUST_ENV, TrustStore, default_trust_path};
use crate::model::Tz;
use crate::privacy::Masker;
use crate::ui::{DEFAULT_KEYMAP, Keymap, Theme};

/// Why the settings could not be made.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// A configuration file is wrong.
    #[error(transparent)]
    Config(#[from] ConfigError),
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
    pub fn none() -> Self {
        Self {
            store: None,
            bytes: Vec::new(),
            source: TrustSource::None,
        }
    }

    /// `--trust FILE` (must be readable), else `$AUDITLENS_TRUST`, else the default
    /// location (absent: nothing trusted). The file is read once.
    pub fn resolve(flag: Option<&Path>) -> Result<Self, SettingsError> {
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
}

impl Settings {
    /// Reads the load arguments, the environment and the configuration files.
    pub fn from_args(load: &LoadArgs) -> Result<Self, SettingsError> {
        let config_dir = config_dir();
        let masker =
            crate::privacy::masker_for(config_dir.as_deref(), load.unmask, load.role.as_deref())
                .map_err(SettingsError::Masking)?;
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
            threads: std::thread::available_parallelism()
                .map_or(1, std::num::NonZero::get)
                .min(4),
            trust: Trust::resolve(load.trust.as_deref())?,
            masker: Arc::new(masker),
            unmask: load.unmask,
            role: load.role.clone(),
            untracked: load.no_trail,
            config_dir,
        })
    }

    /// Ingest options with these limits and no integrity statuses.
    pub fn ingest_options(&self) -> IngestOptions {
        IngestOptions {
            limits: self.limits,
            status: None,
        }
    }
}

/// Settings of the interactive explorer: the embedded keymap and theme merged with the
/// user's files, and the flags on top.
#[derive(Debug, Clone)]
pub struct UiSettings {
    /// Key bindings.
    pub keymap: Keymap,
    /// Colours.
    pub theme: Theme,
    /// Mouse capture.
    pub mouse: bool,
    /// Display zone.
    pub tz: Tz,
}

impl UiSettings {
    /// Loads from `dir` (the user configuration folder, when any) and the flags, honouring
    /// `NO_COLOR`.
    pub fn load(dir: Option<&Path>, flags: &UiArgs) -> Result<Self, ConfigError> {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let user = UserConfig::load(dir)?;
        let keymap_name = user.keymap.as_ref().map(|f| f.path.display().to_string());
        let keymap = Keymap::parse(
            DEFAULT_KEYMAP,
            user.keymap
                .as_ref()
                .zip(keymap_name.as_deref())
                .map(|(f, name)| (name, f.text.as_str())),
        )
        .map_err(ConfigError::Keymap)?;
        let theme_name = flags
            .theme
            .clone()
            .or(user.theme)
            .unwrap_or_else(|| "dark".to_owned());
        let theme = Theme::builtin(&theme_name, no_color).map_err(ConfigError::Theme)?;
        let tz = match flags.tz.as_deref() {
            Some(t) => crate::config::parse_tz(t)?,
            None => user.tz.unwrap_or_default(),
        };
        Ok(Self {
            keymap,
            theme,
            mouse: flags.mouse || user.mouse.unwrap_or(false),
            tz,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_files_merge_and_flags_win() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("config.json"),
            r#"{"theme": "light", "mouse": true, "tz": "local"}"#,
        )
        .unwrap();
        std::fs::write(
            dir.path().join("keymap.json"),
            r#"{"normal": {"w": "quit"}}"#,
        )
        .unwrap();
        let c = UiSettings::load(Some(dir.path()), &UiArgs::default()).unwrap();
        assert_eq!(c.theme.name, "light");
        assert!(c.mouse);
        assert_eq!(c.tz, Tz::Local);
        assert_eq!(c.keymap.lookup(crate::app::Mode::Normal, "w"), Some("quit"));
        let flags = UiArgs {
            theme: Some("dark".into()),
            mouse: false,
            tz: Some("utc".into()),
        };
        let c = UiSettings::load(Some(dir.path()), &flags).unwrap();
        assert_eq!(c.theme.name, "dark");
        assert_eq!(c.tz, Tz::Utc);
        std::fs::write(
            dir.path().join("keymap.json"),
            r#"{"normal": {"w": "fly"}}"#,
        )
        .unwrap();
        let e = UiSettings::load(Some(dir.path()), &UiArgs::default()).unwrap_err();
        assert!(matches!(e, ConfigError::Keymap(_)), "{e}");
        assert!(e.to_string().contains("keymap.json"), "{e}");
    }

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
