//! `Theme`: semantic styles loaded from `assets/theme-*.json` (256-colour indexes by
//! default) and resolved once into a struct of `Style`s, so that drawing a cell is a field
//! read (no key built, no map looked up). Panes ask for a role (`selection()`,
//! `severity(level)`...), never a colour. With `NO_COLOR` every colour is dropped and only
//! bold / reverse / underline / dim remain.

use std::collections::HashMap;

use crate::config::ThemeError;
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

/// Every role, resolved.
#[derive(Debug, Clone, Default)]
struct Styles {
    text: Style,
    muted: Style,
    border: Style,
    border_focused: Style,
    title: Style,
    header: Style,
    selection: Style,
    mark: Style,
    matched: Style,
    error: Style,
    ok: Style,
    gauge: Style,
    input: Style,
    tab: Style,
    tab_active: Style,
    /// key, string, number, literal, punct.
    json: [Style; 5],
    /// In `Severity::ALL` order.
    severity: [Style; 6],
    /// In `Severity::ALL` order.
    bar: [Style; 6],
    cursor: Style,
    range: Style,
}

/// Semantic styles.
#[derive(Debug, Clone, Default)]
pub struct Theme {
    /// Theme name.
    pub name: String,
    s: Styles,
    no_color: bool,
}

fn level_index(level: Severity) -> usize {
    Severity::ALL
        .iter()
        .position(|l| *l == level)
        .unwrap_or_default()
}

impl Theme {
    /// Parses a theme file; `no_color` drops every colour.
    pub fn from_json(text: &str, no_color: bool) -> Result<Self, ThemeError> {
        let file: ThemeFile = serde_json::from_str(text)?;
        let mut styles = HashMap::new();
        for (role, spec) in file.styles {
            let color = |c: &Option<String>| -> Result<Option<Color>, ThemeError> {
                match c {
                    None => Ok(None),
                    Some(c) => c
                        .parse::<Color>()
                        .map(Some)
                        .map_err(|_| ThemeError::Colour {
                            role: role.clone(),
                            colour: c.clone(),
                        }),
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
        // Resolved once, here: drawing never builds a key or looks a role up.
        let get = |role: &str| styles.get(role).copied().unwrap_or_default();
        let with = |role: &str, m: Modifier| {
            let s = get(role);
            if no_color { s.add_modifier(m) } else { s }
        };
        let levels = |prefix: &str| -> [Style; 6] {
            std::array::from_fn(|i| {
                Severity::ALL
                    .get(i)
                    .map(|l| get(&format!("{prefix}{}", l.as_str())))
                    .unwrap_or_default()
            })
        };
        let s = Styles {
            text: get("text"),
            muted: with("muted", Modifier::DIM),
            border: get("border"),
            border_focused: get("border_focused"),
            title: get("title"),
            header: get("header"),
            selection: with("selection", Modifier::REVERSED),
            mark: get("mark"),
            matched: get("match"),
            error: get("error"),
            ok: get("ok"),
            gauge: get("gauge"),
            input: get("input"),
            tab: get("tab"),
            tab_active: with("tab_active", Modifier::REVERSED),
            json: ["key", "string", "number", "literal", "punct"]
                .map(|r| get(&format!("json_{r}"))),
            severity: levels("severity_"),
            bar: levels("bar_"),
            cursor: with("cursor", Modifier::REVERSED),
            range: with("range", Modifier::UNDERLINED),
        };
        Ok(Self {
            name: file.name,
            s,
            no_color,
        })
    }

    /// A built-in theme by name (`dark`, `light`).
    pub fn builtin(name: &str, no_color: bool) -> Result<Self, ThemeError> {
        let text = match name {
            "dark" => DARK,
            "light" => LIGHT,
            other => return Err(ThemeError::Unknown(other.to_owned())),
        };
        Self::from_json(text, no_color)
    }

    /// True when colours are off (`NO_COLOR`).
    pub(crate) fn no_color(&self) -> bool {
        self.no_color
    }

    /// Plain text.
    pub fn text(&self) -> Style {
        self.s.text
    }
    /// Secondary text.
    pub(crate) fn muted(&self) -> Style {
        self.s.muted
    }
    /// Pane border.
    pub(crate) fn border(&self, focused: bool) -> Style {
        if focused {
            self.s.border_focused
        } else {
            self.s.border
        }
    }
    /// Pane title.
    pub fn title(&self) -> Style {
        self.s.title
    }
    /// Table header.
    pub fn header(&self) -> Style {
        self.s.header
    }
    /// Selected row.
    pub fn selection(&self) -> Style {
        self.s.selection
    }
    /// Marked events.
    pub fn mark(&self) -> Style {
        self.s.mark
    }
    /// Highlighted matches.
    pub fn match_highlight(&self) -> Style {
        self.s.matched
    }
    /// Errors.
    pub fn error(&self) -> Style {
        self.s.error
    }
    /// Good news (verified).
    pub fn ok(&self) -> Style {
        self.s.ok
    }
    /// Progress gauge.
    pub(crate) fn gauge(&self) -> Style {
        self.s.gauge
    }
    /// Text being typed.
    pub fn input(&self) -> Style {
        self.s.input
    }
    /// A tab; `active` for the shown one.
    pub(crate) fn tab(&self, active: bool) -> Style {
        if active {
            self.s.tab_active
        } else {
            self.s.tab
        }
    }
    /// JSON syntax roles: key, string, number, literal, punct.
    pub fn json(&self, role: &str) -> Style {
        let i = match role {
            "key" => 0,
            "string" => 1,
            "number" => 2,
            "literal" => 3,
            _ => 4,
        };
        self.s.json[i]
    }
    /// Severity text.
    pub fn severity(&self, level: Severity) -> Style {
        self.s.severity[level_index(level)]
    }
    /// Severity bars in the timeline.
    pub fn bar(&self, level: Severity) -> Style {
        self.s.bar[level_index(level)]
    }
    /// Timeline cursor column.
    pub fn cursor(&self) -> Style {
        self.s.cursor
    }
    /// Timeline selected range.
    pub fn range(&self) -> Style {
        self.s.range
    }
}

/// The theme a terminal's background calls for, from `COLORFGBG` (`fg;bg` or
/// `fg;default;bg`, set by rxvt, Konsole, iTerm2 and others): backgrounds 7 and 9-15 of the
/// 16-colour palette are light, the others dark. `None` when unset or unreadable.
pub(crate) fn theme_for_colorfgbg(value: Option<&str>) -> Option<&'static str> {
    let bg: u8 = value?.rsplit(';').next()?.trim().parse().ok()?;
    Some(if bg == 7 || (9..=15).contains(&bg) {
        "light"
    } else {
        "dark"
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_themes_parse_and_no_color_drops_colours() {
        let dark = Theme::builtin("dark", false).unwrap();
        assert_eq!(dark.severity(Severity::Error).fg, Some(Color::Indexed(203)));
        assert_eq!(dark.bar(Severity::Critical).fg, Some(Color::Indexed(196)));
        assert_eq!(dark.json("number").fg, Some(Color::Indexed(215)));
        assert_eq!(dark.muted().fg, Some(Color::Indexed(244)));
        let light = Theme::builtin("light", false).unwrap();
        assert_eq!(light.text().fg, Some(Color::Indexed(235)));
        let plain = Theme::builtin("dark", true).unwrap();
        assert_eq!(plain.severity(Severity::Error).fg, None);
        assert!(plain.selection().add_modifier.contains(Modifier::REVERSED));
        assert!(Theme::builtin("neon", false).is_err());
    }

    #[test]
    fn every_severity_has_its_own_resolved_style() {
        let dark = Theme::builtin("dark", false).unwrap();
        let all: Vec<Style> = Severity::ALL.iter().map(|l| dark.severity(*l)).collect();
        for (i, a) in all.iter().enumerate() {
            for b in &all[i + 1..] {
                assert_ne!(a, b);
            }
        }
    }

    #[test]
    fn colorfgbg_picks_light_on_a_light_background() {
        assert_eq!(theme_for_colorfgbg(Some("0;15")), Some("light"));
        assert_eq!(theme_for_colorfgbg(Some("0;default;7")), Some("light"));
        assert_eq!(theme_for_colorfgbg(Some("15;0")), Some("dark"));
        assert_eq!(theme_for_colorfgbg(Some("7;8")), Some("dark"));
        assert_eq!(theme_for_colorfgbg(Some("garbage")), None);
        assert_eq!(theme_for_colorfgbg(None), None);
    }
}
