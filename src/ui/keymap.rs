//! `Keymap`: mode -> chord -> action name, from `assets/keymap.json`, with single entries
//! overridden by the user's file. Key events become `Action`s only here.

use std::collections::BTreeMap;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::strings::{ACTIONS, action_by_name};
use crate::app::{Action, Mode};
use crate::config::KeymapError;

/// The built-in bindings.
pub const DEFAULT: &str = include_str!("../../assets/keymap.json");

/// One binding for the help overlay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    /// Chord as written in the keymap (`ctrl-c`, `G`, `pagedown`).
    pub chord: String,
    /// Action name.
    pub action: String,
    /// Set by the user's file.
    pub user: bool,
}

/// Key bindings per mode.
#[derive(Debug, Clone, Default)]
pub struct Keymap {
    modes: BTreeMap<String, BTreeMap<String, (String, bool)>>,
}

type File = BTreeMap<String, BTreeMap<String, String>>;

impl Keymap {
    /// The defaults, overridden entry by entry by `user` (a file of the same shape; an
    /// empty action name or `"none"` removes a binding). `user_name` names it in errors.
    pub fn parse(default: &str, user: Option<(&str, &str)>) -> Result<Self, KeymapError> {
        let base: File = serde_json::from_str(default).map_err(|source| KeymapError::Syntax {
            origin: "built-in keymap".to_owned(),
            source,
        })?;
        let mut modes: BTreeMap<String, BTreeMap<String, (String, bool)>> = base
            .into_iter()
            .map(|(m, b)| (m, b.into_iter().map(|(k, a)| (k, (a, false))).collect()))
            .collect();
        if let Some((name, text)) = user {
            let over: File = serde_json::from_str(text).map_err(|source| KeymapError::Syntax {
                origin: name.to_owned(),
                source,
            })?;
            for (mode, binds) in over {
                if !["normal", "search", "command", "help"].contains(&mode.as_str()) {
                    return Err(KeymapError::UnknownMode {
                        origin: name.to_owned(),
                        mode,
                    });
                }
                let m = modes.entry(mode.clone()).or_default();
                for (chord, action) in binds {
                    if action.is_empty() || action == "none" {
                        m.remove(&chord);
                        continue;
                    }
                    if !ACTIONS.iter().any(|a| a.name == action) {
                        return Err(KeymapError::UnknownAction {
                            origin: name.to_owned(),
                            mode,
                            chord,
                            action,
                        });
                    }
                    m.insert(chord, (action, true));
                }
            }
        }
        for (mode, binds) in &modes {
            for (chord, (action, _)) in binds {
                if !ACTIONS.iter().any(|a| a.name == action) {
                    return Err(KeymapError::UnknownAction {
                        origin: "keymap".to_owned(),
                        mode: mode.clone(),
                        chord: chord.clone(),
                        action: action.clone(),
                    });
                }
            }
        }
        Ok(Self { modes })
    }

    /// The built-in bindings only.
    pub fn builtin() -> Self {
        Self::parse(DEFAULT, None).expect("invariant: the built-in keymap is valid")
    }

    /// The chord spelling of a key event.
    pub(crate) fn chord(key: &KeyEvent) -> Option<String> {
        let base = match key.code {
            KeyCode::Char(' ') => "space".to_owned(),
            KeyCode::Char(c) => c.to_string(),
            KeyCode::Enter => "enter".to_owned(),
            KeyCode::Esc => "esc".to_owned(),
            KeyCode::Tab => "tab".to_owned(),
            KeyCode::BackTab => "backtab".to_owned(),
            KeyCode::Backspace => "backspace".to_owned(),
            KeyCode::Delete => "delete".to_owned(),
            KeyCode::Up => "up".to_owned(),
            KeyCode::Down => "down".to_owned(),
            KeyCode::Left => "left".to_owned(),
            KeyCode::Right => "right".to_owned(),
            KeyCode::Home => "home".to_owned(),
            KeyCode::End => "end".to_owned(),
            KeyCode::PageUp => "pageup".to_owned(),
            KeyCode::PageDown => "pagedown".to_owned(),
            KeyCode::F(n) => format!("f{n}"),
            _ => return None,
        };
        let mut chord = String::new();
        if key.modifiers.contains(KeyModifiers::CONTROL) {
            chord.push_str("ctrl-");
        }
        if key.modifiers.contains(KeyModifiers::ALT) {
            chord.push_str("alt-");
        }
        chord.push_str(&base);
        Some(chord)
    }

    /// The action name bound to `chord` in `mode`.
    pub fn lookup(&self, mode: Mode, chord: &str) -> Option<&str> {
        self.modes
            .get(mode.key())
            .and_then(|m| m.get(chord))
            .map(|(a, _)| a.as_str())
    }

    /// The action for a key press in `mode`; in the input modes unbound characters type.
    pub(crate) fn action_for(&self, mode: Mode, key: &KeyEvent) -> Option<Action> {
        let chord = Self::chord(key)?;
        if let Some(name) = self.lookup(mode, &chord) {
            // One name for every digit of a count prefix: the action carries the digit.
            if let (Some(Action::Count(_)), KeyCode::Char(c)) = (action_by_name(name), key.code)
                && let Some(d) = c.to_digit(10).and_then(|d| u8::try_from(d).ok())
            {
                return Some(Action::Count(d));
            }
            return action_by_name(name);
        }
        match (mode, key.code) {
            (Mode::Search | Mode::Command, KeyCode::Char(c))
                if !key
                    .modifiers
                    .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) =>
            {
                Some(Action::InsertChar(c))
            }
            _ => None,
        }
    }

    /// Bindings of `mode`, grouped by action in [`ACTIONS`] order.
    pub(crate) fn bindings(&self, mode: Mode) -> Vec<(String, Vec<Binding>)> {
        let Some(m) = self.modes.get(mode.key()) else {
            return Vec::new();
        };
        ACTIONS
            .iter()
            .filter_map(|info| {
                let name = info.name;
                let b: Vec<Binding> = m
                    .iter()
                    .filter(|(_, (a, _))| a == name)
                    .map(|(chord, (a, user))| Binding {
                        chord: chord.clone(),
                        action: a.clone(),
                        user: *user,
                    })
                    .collect();
                (!b.is_empty()).then(|| (name.to_owned(), b))
            })
            .collect()
    }

    /// The first chord bound to `action` in `mode` (footer hints).
    pub fn hint(&self, mode: Mode, action: &str) -> Option<&str> {
        self.modes
            .get(mode.key())?
            .iter()
            .filter(|(_, (a, _))| a == action)
            .map(|(c, _)| c.as_str())
            .min_by_key(|c| c.chars().count())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(c: KeyCode, m: KeyModifiers) -> KeyEvent {
        KeyEvent::new(c, m)
    }

    #[test]
    fn every_action_name_maps_and_defaults_resolve() {
        for a in ACTIONS {
            assert_eq!(action_by_name(a.name), Some(a.action.clone()), "{}", a.name);
        }
        // One name per action, so the help overlay cannot describe one twice.
        for (i, a) in ACTIONS.iter().enumerate() {
            assert!(
                ACTIONS[i + 1..].iter().all(|b| b.name != a.name),
                "{}",
                a.name
            );
        }
        assert_eq!(action_by_name("explode"), None);
        let k = Keymap::builtin();
        assert_eq!(
            k.action_for(Mode::Normal, &key(KeyCode::Char('G'), KeyModifiers::SHIFT)),
            Some(Action::Bottom)
        );
        assert_eq!(
            k.action_for(
                Mode::Normal,
                &key(KeyCode::Char('c'), KeyModifiers::CONTROL)
            ),
            Some(Action::Quit)
        );
        assert_eq!(
            k.action_for(Mode::Search, &key(KeyCode::Char('q'), KeyModifiers::NONE)),
            Some(Action::InsertChar('q'))
        );
    }

    #[test]
    fn user_entries_override_single_bindings_and_bad_names_are_reported() {
        let k = Keymap::parse(
            DEFAULT,
            Some(("user.json", r#"{"normal": {"x": "quit", "q": "none"}}"#)),
        )
        .unwrap();
        assert_eq!(k.lookup(Mode::Normal, "x"), Some("quit"));
        assert_eq!(k.lookup(Mode::Normal, "q"), None);
        assert_eq!(k.lookup(Mode::Normal, "j"), Some("move_down"));
        let quit = k
            .bindings(Mode::Normal)
            .into_iter()
            .find(|(a, _)| a == "quit")
            .unwrap();
        assert!(quit.1.iter().any(|b| b.chord == "x" && b.user));
        let e = Keymap::parse(
            DEFAULT,
            Some(("user.json", r#"{"normal": {"x": "explode"}}"#)),
        )
        .unwrap_err();
        assert!(
            matches!(&e, KeymapError::UnknownAction { origin, action, .. }
                if origin == "user.json" && action == "explode"),
            "{e}"
        );
        assert_eq!(
            e.to_string(),
            "user.json: normal.x: unknown action `explode`"
        );
        let e = Keymap::parse(DEFAULT, Some(("user.json", r#"{"visual": {}}"#))).unwrap_err();
        assert!(matches!(e, KeymapError::UnknownMode { .. }), "{e}");
    }
}
