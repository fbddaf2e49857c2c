//! Configuration: the keymap and themes embedded from `assets/`, merged with optional user
//! files in `$XDG_CONFIG_HOME/auditlens/` (`keymap.json` overrides single bindings;
//! `config.json` may set `theme`, `mouse` and `tz`). Command-line flags win.
//!
//! Allowed imports: `ui` (keymap and theme types), `app` (Tz), serde.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::app::Tz;
use crate::ui::{DEFAULT_KEYMAP, Keymap, Theme};

/// A configuration problem, naming the file.
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
    /// A file's content is wrong.
    #[error("{0}")]
    Invalid(String),
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct UserConfig {
    theme: Option<String>,
    mouse: Option<bool>,
    tz: Option<String>,
}

/// Settings of the explorer after merging defaults, user files and flags.
#[derive(Debug, Clone)]
pub struct Config {
    /// Key bindings.
    pub keymap: Keymap,
    /// Colours.
    pub theme: Theme,
    /// Mouse capture.
    pub mouse: bool,
    /// Display zone.
    pub tz: Tz,
}

/// Flags that override the configuration files.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    /// `--theme`.
    pub theme: Option<String>,
    /// `--mouse`.
    pub mouse: bool,
    /// `--tz`.
    pub tz: Option<String>,
}

/// `$XDG_CONFIG_HOME/auditlens`, else `~/.config/auditlens`.
pub fn config_dir() -> Option<PathBuf> {
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
pub fn generic_mapping(dir: Option<&Path>) -> Result<crate::ingest::GenericMapping, ConfigError> {
    let Some(dir) = dir else {
        return Ok(crate::ingest::GenericMapping::builtin());
    };
    let path = dir.join("generic.json");
    match read_optional(&path)? {
        Some(text) => crate::ingest::GenericMapping::with_user(&text)
            .map_err(|e| ConfigError::Invalid(format!("{}: {e}", path.display()))),
        None => Ok(crate::ingest::GenericMapping::builtin()),
    }
}

/// Parses a zone name.
pub fn parse_tz(s: &str) -> Result<Tz, ConfigError> {
    match s.to_ascii_lowercase().as_str() {
        "utc" | "z" => Ok(Tz::Utc),
        "local" => Ok(Tz::Local),
        other => Err(ConfigError::Invalid(format!(
            "unknown time zone `{other}` (utc or local)"
        ))),
    }
}

impl Config {
    /// Loads from `dir` (the user config folder, when any), honouring `NO_COLOR`.
    pub fn load(dir: Option<&Path>, flags: &Overrides) -> Result<Self, ConfigError> {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let mut user = UserConfig::default();
        let mut keymap_text = None;
        if let Some(dir) = dir {
            let cfg = dir.join("config.json");
            if let Some(text) = read_optional(&cfg)? {
                user = serde_json::from_str(&text)
                    .map_err(|e| ConfigError::Invalid(format!("{}: {e}", cfg.display())))?;
            }
            let km = dir.join("keymap.json");
            keymap_text = read_optional(&km)?.map(|t| (km.display().to_string(), t));
        }
        let keymap = Keymap::parse(
            DEFAULT_KEYMAP,
            keymap_text.as_ref().map(|(n, t)| (n.as_str(), t.as_str())),
        )
        .map_err(ConfigError::Invalid)?;
        let theme_name = flags
            .theme
            .clone()
            .or(user.theme)
            .unwrap_or_else(|| "dark".to_owned());
        let theme = Theme::builtin(&theme_name, no_color).map_err(ConfigError::Invalid)?;
        let tz = match flags.tz.as_deref().or(user.tz.as_deref()) {
            Some(t) => parse_tz(t)?,
            None => Tz::Utc,
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
        let c = Config::load(Some(dir.path()), &Overrides::default()).unwrap();
        assert_eq!(c.theme.name, "light");
        assert!(c.mouse);
        assert_eq!(c.tz, Tz::Local);
        assert_eq!(c.keymap.lookup(crate::app::Mode::Normal, "w"), Some("quit"));
        let flags = Overrides {
            theme: Some("dark".into()),
            mouse: false,
            tz: Some("utc".into()),
        };
        let c = Config::load(Some(dir.path()), &flags).unwrap();
        assert_eq!(c.theme.name, "dark");
        assert_eq!(c.tz, Tz::Utc);
        std::fs::write(
            dir.path().join("keymap.json"),
            r#"{"normal": {"w": "fly"}}"#,
        )
        .unwrap();
        let e = Config::load(Some(dir.path()), &Overrides::default()).unwrap_err();
        assert!(e.to_string().contains("keymap.json"), "{e}");
    }
}
