//! Configuration files: the user's `config.json` (`theme`, `mouse`, `tz`) and `keymap.json`
//! in `$XDG_CONFIG_HOME/auditlens/`, read into typed values. Merging with the embedded
//! defaults and the command-line flags happens in `settings`.
//!
//! Allowed imports: `model` (Tz), std, serde, `serde_json`. Never `ui` or `app`.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::model::Tz;

/// What is wrong with a keymap (the built-in one or the user's file, named by `origin`).
#[derive(Debug, thiserror::Error)]
pub enum KeymapError {
    /// Not the JSON shape of `assets/keymap.json`.
    #[error("{origin}: {source}")]
    Syntax {
        /// The file (or `built-in keymap`).
        origin: String,
        /// What the parser found.
        source: serde_json::Error,
    },
    /// A mode the explorer does not have.
    #[error("{origin}: unknown mode `{mode}` (normal, search, command, help)")]
    UnknownMode {
        /// The file.
        origin: String,
        /// The mode named.
        mode: String,
    },
    /// An action name the explorer does not know.
    #[error("{origin}: {mode}.{chord}: unknown action `{action}`")]
    UnknownAction {
        /// The file.
        origin: String,
        /// The mode.
        mode: String,
        /// The key.
        chord: String,
        /// The action named.
        action: String,
    },
}

/// What is wrong with a theme.
#[derive(Debug, thiserror::Error)]
pub enum ThemeError {
    /// No theme of that name.
    #[error("unknown theme `{0}` (dark, light)")]
    Unknown(String),
    /// Not the JSON shape of a theme file.
    #[error("theme: {0}")]
    Syntax(#[from] serde_json::Error),
    /// A colour that is not a colour name or 256-colour index.
    #[error("theme style {role}: unknown colour `{colour}`")]
    Colour {
        /// The style.
        role: String,
        /// The colour given.
        colour: String,
    },
}

/// A configuration problem, naming the file or the value.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A file could not be read.
    #[error("reading {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// A file is not the JSON expected.
    #[error("{path}: {source}")]
    Syntax {
        /// The file.
        path: PathBuf,
        /// What the parser found.
        source: serde_json::Error,
    },
    /// A time zone name that is neither `utc` nor `local`.
    #[error("unknown time zone `{0}` (utc or local)")]
    UnknownTz(String),
    /// The keymap (built in or the user's) is wrong.
    #[error(transparent)]
    Keymap(#[from] KeymapError),
    /// The theme is unknown or wrong.
    #[error(transparent)]
    Theme(#[from] ThemeError),
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    theme: Option<String>,
    mouse: Option<bool>,
    tz: Option<String>,
}

/// A user file read whole: its path (for messages) and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserFile {
    /// Where it was read.
    pub path: PathBuf,
    /// Its content.
    pub text: String,
}

/// What the user's configuration folder says; `None` where it says nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserConfig {
    /// Theme name (`dark`, `light`).
    pub theme: Option<String>,
    /// Mouse capture.
    pub mouse: Option<bool>,
    /// Display zone.
    pub tz: Option<Tz>,
    /// `keymap.json`, when present.
    pub keymap: Option<UserFile>,
}

/// `$XDG_CONFIG_HOME/auditlens`, else `~/.config/auditlens`.
pub(crate) fn config_dir() -> Option<PathBuf> {
    let non_empty = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    non_empty("XDG_CONFIG_HOME")
        .map(|x| x.join("auditlens"))
        .or_else(|| non_empty("HOME").map(|h| h.join(".config").join("auditlens")))
}

fn read_optional(path: &Path) -> Result<Option<String>, ConfigError> {
    match std::fs::read_to_string(path) {
        Ok(s) => Ok(Some(s)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(ConfigError::Read {
            path: path.to_owned(),
            source,
        }),
    }
}

/// The generic mapping in effect: the built-in candidate lists, with those of the user file
/// `generic.json` in `dir` (when there is one) tried first.
pub(crate) fn generic_mapping(
    dir: Option<&Path>,
) -> Result<crate::ingest::GenericMapping, ConfigError> {
    let Some(dir) = dir else {
        return Ok(crate::ingest::GenericMapping::builtin());
    };
    let path = dir.join("generic.json");
    match read_optional(&path)? {
        Some(text) => crate::ingest::GenericMapping::with_user(&text)
            .map_err(|source| ConfigError::Syntax { path, source }),
        None => Ok(crate::ingest::GenericMapping::builtin()),
    }
}

/// Parses a zone name.
pub(crate) fn parse_tz(s: &str) -> Result<Tz, ConfigError> {
    Tz::parse(s).ok_or_else(|| ConfigError::UnknownTz(s.to_ascii_lowercase()))
}

impl UserConfig {
    /// Reads the configuration folder `dir` (none: nothing configured). Absent files are
    /// not an error; unreadable or malformed ones are.
    pub fn load(dir: Option<&Path>) -> Result<Self, ConfigError> {
        let Some(dir) = dir else {
            return Ok(Self::default());
        };
        let cfg = dir.join("config.json");
        let file: ConfigFile = match read_optional(&cfg)? {
            Some(text) => serde_json::from_str(&text)
                .map_err(|source| ConfigError::Syntax { path: cfg, source })?,
            None => ConfigFile::default(),
        };
        let km = dir.join("keymap.json");
        let keymap = read_optional(&km)?.map(|text| UserFile { path: km, text });
        Ok(Self {
            theme: file.theme,
            mouse: file.mouse,
            tz: file.tz.as_deref().map(parse_tz).transpose()?,
            keymap,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_files_are_read_into_typed_values() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(
            UserConfig::load(Some(dir.path())).unwrap(),
            UserConfig::default()
        );
        std::fs::write(
            dir.path().join("config.json"),
            r#"{"theme": "light", "mouse": true, "tz": "local"}"#,
        )
        .unwrap();
        std::fs::write(dir.path().join("keymap.json"), "{}").unwrap();
        let c = UserConfig::load(Some(dir.path())).unwrap();
        assert_eq!(c.theme.as_deref(), Some("light"));
        assert_eq!(c.mouse, Some(true));
        assert_eq!(c.tz, Some(Tz::Local));
        assert_eq!(c.keymap.map(|k| k.text), Some("{}".to_owned()));
    }

    #[test]
    fn a_bad_file_is_a_typed_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("config.json"), r#"{"tz": "mars"}"#).unwrap();
        let e = UserConfig::load(Some(dir.path())).unwrap_err();
        assert!(
            matches!(&e, ConfigError::UnknownTz(z) if z == "mars"),
            "{e}"
        );
        std::fs::write(dir.path().join("config.json"), r#"{"colour": 1}"#).unwrap();
        let e = UserConfig::load(Some(dir.path())).unwrap_err();
        assert!(matches!(&e, ConfigError::Syntax { .. }), "{e}");
        assert!(e.to_string().contains("config.json"), "{e}");
    }
}
