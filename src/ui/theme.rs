//! `Theme`: semantic styles loaded from `assets/theme-*.json` (256-colour indexes by
//! default). Panes ask for a role (`selection()`, `severity(level)`...), never a colour.
//! With `NO_COLOR` every colour is dropped and only bold / reverse / underline remain.

use std::collections::HashMap;

use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;

use crate::model::Severity;

/// The built-in dark theme.
pub const DARK: &str = include_str!("../../assets/theme-dark.json");
/// The built-in light theme.
pub const LIGHT: &str = include_str!("../../assets/theme-light.json");

#[derive(Debug, Deserialize)]
struct StyleSpec {
    fg: Option<String>,
    bg: Option<String>,
    #[serde(default)]
    bold: bool,
    #[serde(default)]
    underlined: bool,
    #[serde(default)]
    reversed: bool,
}

#[derive(Debug, Deserialize)]
struct ThemeFile {
    name: String,
    styles: HashMap<String, StyleSpec>,
}

/// Semantic styles.
#[derive(Debug, Clone, Default)]
pub struct Theme {
    /// Theme name.
    pub name: String,
    styles: HashMap<String, Style>,
    no_color: bool,
}

impl Theme {
    /// Parses a theme file; `no_color` drops every colour.
    pub fn from_json(text: &str, no_color: bool) -> Result<Self, String> {
        let file: ThemeFile = serde_json::from_str(text).map_err(|e| e.to_string())?;
        let mut styles = HashMap::new();
        for (role, spec) in file.styles {
            let color = |c: &Option<String>| -> Result<Option<Color>, String> {
                match c {
                    None => Ok(None),
                    Some(c) => c
                        .parse::<Color>()
                        .map(Some)
                        .map_err(|_| format!("style {role}: unknown colour `{c}`")),
                }
            };
            let mut st = Style::default();
            if !no_color {
                if let Some(fg) = color(&spec.fg)? {
                    st = st.fg(fg);
                }
                if let Some(bg) = color(&spec.bg)? {
                    st = st.bg(bg);
                }
            }
            if spec.bold {
                st = st.add_modifier(Modifier::BOLD);
            }
            if spec.underlined {
                st = st.add_modifier(Modifier::UNDERLINED);
            }
            if spec.reversed {
                st = st.add_modifier(Modifier::REVERSED);
            }
            styles.insert(role, st);
        }
        Ok(Self {
            name: file.name,
            styles,
            no_color,
        })
    }

    /// A built-in theme by name (`dark`, `light`).
    pub fn builtin(name: &str, no_color: bool) -> Result<Self, String> {
        let text = match name {
            "dark" => DARK,
            "light" => LIGHT,
            other => return Err(format!("unknown theme `{other}` (dark, light)")),
        };
        Self::from_json(text, no_color)
    }

    /// True when colours are off (`NO_COLOR`).
    pub fn no_color(&self) -> bool {
        self.no_color
    }

    fn get(&self, role: &str) -> Style {
        self.styles.get(role).copied().unwrap_or_default()
    }

    /// Plain text.
    pub fn text(&self) -> Style {
        self.get("text")
    }
    /// Secondary text.
    pub fn muted(&self) -> Style {
        let s = self.get("muted");
        if self.no_color {
            s.add_modifier(Modifier::DIM)
        } else {
            s
        }
    }
    /// Pane border.
    pub fn border(&self, focused: bool) -> Style {
        if focused {
            self.get("border_focused")
        } else {
            self.get("border")
        }
    }
    /// Pane title.
    pub fn title(&self) -> Style {
        self.get("title")
    }
    /// Table header.
    pub fn header(&self) -> Style {
        self.get("header")
    }
    /// Selected row.
    pub fn selection(&self) -> Style {
        let s = self.get("selection");
        if self.no_color {
            s.add_modifier(Modifier::REVERSED)
        } else {
            s
        }
    }
    /// Marked events.
    pub fn mark(&self) -> Style {
        self.get("mark")
    }
    /// Highlighted matches.
    pub fn match_highlight(&self) -> Style {
        self.get("match")
    }
    /// Errors.
    pub fn error(&self) -> Style {
        self.get("error")
    }
    /// Good news (verified).
    pub fn ok(&self) -> Style {
        self.get("ok")
    }
    /// Progress gauge.
    pub fn gauge(&self) -> Style {
        self.get("gauge")
    }
    /// Text being typed.
    pub fn input(&self) -> Style {
        self.get("input")
    }
    /// A tab; `active` for the shown one.
    pub fn tab(&self, active: bool) -> Style {
        if active {
            let s = self.get("tab_active");
            if self.no_color {
                s.add_modifier(Modifier::REVERSED)
            } else {
                s
            }
        } else {
            self.get("tab")
        }
    }
    /// JSON syntax roles: key, string, number, literal, punct.
    pub fn json(&self, role: &str) -> Style {
        self.get(&format!("json_{role}"))
    }
    /// Severity text.
    pub fn severity(&self, level: Severity) -> Style {
        self.get(&format!("severity_{}", level.as_str()))
    }
    /// Severity bars in the timeline.
    pub fn bar(&self, level: Severity) -> Style {
        self.get(&format!("bar_{}", level.as_str()))
    }
    /// Timeline cursor column.
    pub fn cursor(&self) -> Style {
        let s = self.get("cursor");
        if self.no_color {
            s.add_modifier(Modifier::REVERSED)
        } else {
            s
        }
    }
    /// Timeline selected range.
    pub fn range(&self) -> Style {
        let s = self.get("range");
        if self.no_color {
            s.add_modifier(Modifier::UNDERLINED)
        } else {
            s
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_themes_parse_and_no_color_drops_colours() {
        let dark = Theme::builtin("dark", false).unwrap();
        assert_eq!(dark.severity(Severity::Error).fg, Some(Color::Indexed(203)));
        Theme::builtin("light", false).unwrap();
        let plain = Theme::builtin("dark", true).unwrap();
        assert_eq!(plain.severity(Severity::Error).fg, None);
        assert!(plain.selection().add_modifier.contains(Modifier::REVERSED));
        assert!(Theme::builtin("neon", false).is_err());
    }
}
