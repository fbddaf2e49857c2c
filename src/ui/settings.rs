//! The explorer's display settings: the embedded keymap and theme merged with the user's
//! configuration files (read by `config`), and the command-line flags on top.
//!
//! Allowed imports: `cli` (the flags), `config`, `model` (Tz), `super` (keymap, theme).

use std::path::{Path, PathBuf};

use super::{DEFAULT_KEYMAP, Keymap, Theme, theme_for_colorfgbg};
use crate::app::Prefs;
use crate::cli::UiArgs;
use crate::config::{ConfigError, UserConfig};
use crate::model::Tz;

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
    /// What the explorer remembered last time (query history, columns).
    pub prefs: Prefs,
    /// Where it is remembered (the configuration folder).
    pub prefs_dir: Option<PathBuf>,
}

impl UiSettings {
    /// Loads from `dir` (the user configuration folder, when any) and the flags, honouring
    /// `NO_COLOR`; without a theme named by a flag or the config, the terminal's background
    /// (`COLORFGBG`) picks dark or light.
    pub fn load(dir: Option<&Path>, flags: &UiArgs) -> Result<Self, ConfigError> {
        let background = std::env::var("COLORFGBG").ok();
        Self::load_with(dir, flags, background.as_deref())
    }

    /// [`UiSettings::load`] with the terminal's `COLORFGBG` given.
    pub(crate) fn load_with(
        dir: Option<&Path>,
        flags: &UiArgs,
        colorfgbg: Option<&str>,
    ) -> Result<Self, ConfigError> {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let user = UserConfig::load(dir)?;
        let keymap_name = user.keymap.as_ref().map(|f| f.path.display().to_string());
        let keymap = Keymap::parse(
            DEFAULT_KEYMAP,
            user.keymap
                .as_ref()
                .zip(keymap_name.as_deref())
                .map(|(f, name)| (name, f.text.as_str())),
        )?;
        let theme_name = flags
            .theme
            .clone()
            .or(user.theme)
            .or_else(|| theme_for_colorfgbg(colorfgbg).map(str::to_owned))
            .unwrap_or_else(|| "dark".to_owned());
        let theme = Theme::builtin(&theme_name, no_color)?;
        let tz = match flags.tz.as_deref() {
            Some(t) => crate::config::parse_tz(t)?,
            None => user.tz.unwrap_or_default(),
        };
        Ok(Self {
            keymap,
            theme,
            mouse: flags.mouse || user.mouse.unwrap_or(false),
            tz,
            prefs: dir.map(Prefs::load).unwrap_or_default(),
            prefs_dir: dir.map(Path::to_owned),
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
        // A light background picks the light theme unless a flag or the config names one.
        let empty = tempfile::tempdir().unwrap();
        let none = UiArgs::default();
        let c = UiSettings::load_with(Some(empty.path()), &none, Some("0;15")).unwrap();
        assert_eq!(c.theme.name, "light");
        let c = UiSettings::load_with(Some(empty.path()), &none, Some("15;0")).unwrap();
        assert_eq!(c.theme.name, "dark");
        let c = UiSettings::load_with(Some(empty.path()), &flags, Some("0;15")).unwrap();
        assert_eq!(c.theme.name, "dark", "--theme overrides the background");
        // What the explorer remembered is read back.
        crate::app::Prefs {
            history: vec!["alice".into()],
            columns: None,
        }
        .save(empty.path())
        .unwrap();
        let c = UiSettings::load_with(Some(empty.path()), &none, None).unwrap();
        assert_eq!(c.prefs.history, vec!["alice".to_owned()]);
        assert_eq!(c.prefs_dir.as_deref(), Some(empty.path()));
        std::fs::write(
            dir.path().join("keymap.json"),
            r#"{"normal": {"w": "fly"}}"#,
        )
        .unwrap();
        let e = UiSettings::load(Some(dir.path()), &UiArgs::default()).unwrap_err();
        assert!(matches!(e, ConfigError::Keymap(_)), "{e}");
        assert!(e.to_string().contains("keymap.json"), "{e}");
    }
}
