//! What the explorer remembers between sessions, per user: the query history and the
//! chosen result columns, kept in `explorer.json` in the configuration folder. Reading a
//! missing or damaged file gives defaults (it is a convenience, never a reason not to
//! start); writing replaces the file atomically.

use crate::model::fields;
use std::path::Path;

use serde::{Deserialize, Serialize};

/// The result table's columns (the mark and integrity column is always shown first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Column {
    /// Event time.
    Time,
    /// Severity.
    Sev,
    /// Category.
    Category,
    /// Actor id.
    Actor,
    /// Action.
    Action,
    /// Outcome.
    Outcome,
    /// Model id.
    Model,
    /// Model version.
    Version,
    /// Environment.
    Env,
    /// Resource id (or type).
    Resource,
    /// Producing system (`source`).
    Source,
    /// The input file the event was read from.
    Input,
}

impl Column {
    /// Every column, in the automatic order.
    pub const ALL: [Column; 12] = [
        Column::Time,
        Column::Sev,
        Column::Actor,
        Column::Action,
        Column::Outcome,
        Column::Model,
        Column::Version,
        Column::Env,
        Column::Resource,
        Column::Category,
        Column::Source,
        Column::Input,
    ];

    /// Name in `:columns` and the header.
    pub fn name(self) -> &'static str {
        match self {
            Self::Time => "time",
            Self::Sev => "sev",
            Self::Category => "category",
            Self::Actor => "actor",
            Self::Action => "action",
            Self::Outcome => "outcome",
            Self::Model => "model",
            Self::Version => "version",
            Self::Env => "env",
            Self::Resource => "resource",
            Self::Source => "source",
            Self::Input => "input",
        }
    }

    /// A column by name (or a longer spelling: severity, environment, file).
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim().to_ascii_lowercase();
        let alias = match s.as_str() {
            fields::SEVERITY => "sev",
            fields::ENVIRONMENT => "env",
            "file" | fields::PATH => "input",
            fields::MODEL_VERSION => "version",
            fields::MODEL_ID => "model",
            fields::ACTOR_ID => "actor",
            other => other,
        };
        Self::ALL.into_iter().find(|c| c.name() == alias)
    }

    /// Parses `a,b,c` (commas or blanks); an unknown name is an error naming it.
    pub(crate) fn parse_list(s: &str) -> Result<Vec<Self>, ColumnError> {
        let mut out = Vec::new();
        for part in s.split([',', ' ']).filter(|p| !p.trim().is_empty()) {
            let c =
                Self::parse(part).ok_or_else(|| ColumnError::Unknown(part.trim().to_owned()))?;
            if !out.contains(&c) {
                out.push(c);
            }
        }
        if out.is_empty() {
            return Err(ColumnError::NoneNamed);
        }
        Ok(out)
    }
}

/// What is wrong with a `:columns` list.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ColumnError {
    /// A name that is no column (shown escaped, with the list of columns).
    #[error(
        "unknown column `{}` (columns: {})",
        crate::model::escape_control(.0),
        Column::ALL.map(Column::name).join(", ")
    )]
    Unknown(String),
    /// Only separators.
    #[error("no column named")]
    NoneNamed,
}

/// Queries kept in the history at most.
pub const HISTORY_MAX: usize = 200;

/// The remembered settings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Prefs {
    /// Applied queries, oldest first, without repeats.
    #[serde(default)]
    pub history: Vec<String>,
    /// Chosen result columns; `None`: automatic.
    #[serde(default)]
    pub columns: Option<Vec<Column>>,
}

/// The file name in the configuration folder.
pub const PREFS_FILE: &str = "explorer.json";

impl Prefs {
    /// Reads `dir/explorer.json`; defaults when absent, unreadable or damaged.
    pub fn load(dir: &Path) -> Self {
        std::fs::read_to_string(dir.join(PREFS_FILE))
            .ok()
            .and_then(|t| serde_json::from_str::<Prefs>(&t).ok())
            .map(|mut p| {
                let skip = p.history.len().saturating_sub(HISTORY_MAX);
                p.history.drain(..skip);
                p
            })
            .unwrap_or_default()
    }

    /// Writes `dir/explorer.json` (creating `dir`), through a temporary file and a rename.
    pub fn save(&self, dir: &Path) -> std::io::Result<()> {
        std::fs::create_dir_all(dir)?;
        let text = serde_json::to_string_pretty(self).map_err(std::io::Error::other)?;
        let tmp = dir.join(format!(".{PREFS_FILE}.{}", std::process::id()));
        std::fs::write(&tmp, text)?;
        std::fs::rename(&tmp, dir.join(PREFS_FILE))
    }

    /// Adds an applied query to the history (moved to the end when already there).
    pub(crate) fn remember(history: &mut Vec<String>, query: &str) {
        let q = query.trim();
        if q.is_empty() {
            return;
        }
        history.retain(|h| h != q);
        history.push(q.to_owned());
        let skip = history.len().saturating_sub(HISTORY_MAX);
        history.drain(..skip);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefs_round_trip_and_a_damaged_file_gives_defaults() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(Prefs::load(dir.path()), Prefs::default());
        let p = Prefs {
            history: vec!["alice".into(), "severity:error".into()],
            columns: Some(vec![Column::Time, Column::Model, Column::Version]),
        };
        p.save(&dir.path().join("sub")).unwrap();
        assert_eq!(Prefs::load(&dir.path().join("sub")), p);
        std::fs::write(dir.path().join(PREFS_FILE), "{not json").unwrap();
        assert_eq!(Prefs::load(dir.path()), Prefs::default());
    }

    #[test]
    fn history_moves_repeats_to_the_end_and_is_bounded() {
        let mut h = Vec::new();
        for q in ["a", "b", " a ", ""] {
            Prefs::remember(&mut h, q);
        }
        assert_eq!(h, vec!["b", "a"]);
        for i in 0..HISTORY_MAX + 5 {
            Prefs::remember(&mut h, &format!("q{i}"));
        }
        assert_eq!(h.len(), HISTORY_MAX);
        assert_eq!(h.last().map(String::as_str), Some("q204"));
    }

    #[test]
    fn column_lists_parse_with_aliases_and_name_the_unknown_one() {
        assert_eq!(
            Column::parse_list("time, severity,model.version env").unwrap(),
            vec![Column::Time, Column::Sev, Column::Version, Column::Env]
        );
        let e = Column::parse_list("time,colour").unwrap_err();
        assert_eq!(e, ColumnError::Unknown("colour".to_owned()));
        let shown = e.to_string();
        assert!(
            shown.contains("`colour`") && shown.contains("actor"),
            "{shown}"
        );
        assert_eq!(Column::parse_list(" , "), Err(ColumnError::NoneNamed));
    }
}
