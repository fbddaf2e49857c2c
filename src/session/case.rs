//! The auditor's case file: marked and commented events of one bundle, kept across
//! sessions in `$XDG_DATA_HOME/auditlens/cases/<content digest>.json` (the digest the
//! session computes for its cache), and the [`Recorder`] that saves it and writes every
//! change, export and report of the explorer to the access trail.
//!
//! The file holds what the explorer showed (masked text), never an original record.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::privacy::trail::{self, TrailEntry, TrailError};
use crate::settings::Settings;

/// Format tag of a saved case file.
pub const CASE_FORMAT: &str = "auditlens-case/v1";

/// One event in the case file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseEntry {
    /// The event's ordinal in the bundle's index (stable for a content digest).
    pub ord: u64,
    /// Its time in ms (`i64::MIN` when it has none): with `ord`, its place in the lists.
    pub ts_ms: i64,
    /// The input it came from (display path).
    pub path: String,
    /// Its line there.
    pub line: u64,
    /// Its stream (native bundles).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream: Option<String>,
    /// Its sequence number in the stream.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seq: Option<u64>,
    /// A short description (action, actor), as shown (masked).
    pub summary: String,
    /// Marked (`m`).
    pub marked: bool,
    /// The auditor's comment (`a`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

impl CaseEntry {
    /// The sort key, as the explorer's marks use it.
    pub fn key(&self) -> (i64, u64) {
        (self.ts_ms, self.ord)
    }
}

/// The case file of one bundle.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CaseFile {
    /// [`CASE_FORMAT`].
    pub format: String,
    /// Content digest of the bundle (hex SHA-256).
    pub bundle: String,
    /// Entries, oldest first.
    pub entries: Vec<CaseEntry>,
}

impl CaseFile {
    /// An empty case file for `bundle`.
    pub fn new(bundle: impl Into<String>) -> Self {
        Self {
            format: CASE_FORMAT.to_owned(),
            bundle: bundle.into(),
            entries: Vec::new(),
        }
    }

    /// The entry of the event keyed `key`.
    pub fn get(&self, key: (i64, u64)) -> Option<&CaseEntry> {
        self.entries.iter().find(|e| e.key() == key)
    }

    /// Puts `entry` in its place (replacing the one of the same event); an entry neither
    /// marked nor commented is removed.
    pub fn put(&mut self, entry: CaseEntry) {
        self.entries.retain(|e| e.key() != entry.key());
        if entry.marked || entry.comment.is_some() {
            let at = self.entries.partition_point(|e| e.key() < entry.key());
            self.entries.insert(at, entry);
        }
    }

    /// Adds what `other` has that this file lacks (marks made before the bundle's digest
    /// was known); this file's entries win.
    pub(crate) fn merge(&mut self, other: &CaseFile) {
        for e in &other.entries {
            if self.get(e.key()).is_none() {
                self.put(e.clone());
            }
        }
    }

    /// The ordinals of the marked events.
    pub(crate) fn marked_ords(&self) -> Vec<u64> {
        self.entries
            .iter()
            .filter(|e| e.marked)
            .map(|e| e.ord)
            .collect()
    }
}

/// Why a case file could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum CaseError {
    /// File-system trouble.
    #[error("case file {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// Not a case file.
    #[error("case file {path}: {reason}")]
    Invalid {
        /// The file.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// The digest is not a hex SHA-256.
    #[error("not a bundle digest: {0:?}")]
    BadDigest(String),
    /// The access trail could not be written.
    #[error(transparent)]
    Trail(#[from] TrailError),
}

fn valid_digest(d: &str) -> bool {
    d.len() == 64 && d.bytes().all(|b| b.is_ascii_hexdigit())
}

/// `$XDG_DATA_HOME/auditlens`, else `~/.local/share/auditlens`.
pub(crate) fn data_root() -> Result<PathBuf, TrailError> {
    let access = trail::trail_dir()?;
    Ok(access.parent().map_or(access.clone(), Path::to_path_buf))
}

/// Saves case files and writes the explorer's looks at the logs to the access trail.
#[derive(Debug, Clone)]
pub struct Recorder {
    /// `…/auditlens`: case files in `cases/`, the trail in `access/`.
    pub root: PathBuf,
    /// The inputs, as given.
    pub inputs: Vec<String>,
    /// Originals shown (`--unmask`).
    pub unmask: bool,
    /// The role view (`--role`).
    pub role: Option<String>,
    /// `--no-trail`: entries say only which command ran.
    pub untracked: bool,
}

impl Recorder {
    /// The recorder of a session over `inputs`, in the user's data folder.
    pub(crate) fn for_session(settings: &Settings, inputs: &[PathBuf]) -> Result<Self, TrailError> {
        Ok(Self {
            root: data_root()?,
            inputs: inputs.iter().map(|p| p.display().to_string()).collect(),
            unmask: settings.unmask,
            role: settings.role.clone(),
            untracked: settings.untracked,
        })
    }

    /// A recorder writing under `root` (tests).
    pub fn in_dir(root: impl Into<PathBuf>) -> Self {
        Self {
            root: root.into(),
            inputs: Vec::new(),
            unmask: false,
            role: None,
            untracked: false,
        }
    }

    /// Where the case file of `digest` lives.
    pub(crate) fn case_path(&self, digest: &str) -> Result<PathBuf, CaseError> {
        if !valid_digest(digest) {
            return Err(CaseError::BadDigest(digest.to_owned()));
        }
        Ok(self.root.join("cases").join(format!("{digest}.json")))
    }

    /// The access trail folder.
    pub(crate) fn trail_dir(&self) -> PathBuf {
        self.root.join("access")
    }

    /// The saved case file of `digest` (an empty one when none was saved).
    pub fn load(&self, digest: &str) -> Result<CaseFile, CaseError> {
        let path = self.case_path(digest)?;
        let shown = path.display().to_string();
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(CaseFile::new(digest));
            }
            Err(source) => {
                return Err(CaseError::Io {
                    path: shown,
                    source,
                });
            }
        };
        let case: CaseFile = serde_json::from_str(&text).map_err(|e| CaseError::Invalid {
            path: shown.clone(),
            reason: e.to_string(),
        })?;
        if case.format != CASE_FORMAT || case.bundle != digest {
            return Err(CaseError::Invalid {
                path: shown,
                reason: format!("not the {CASE_FORMAT} case file of bundle {digest}"),
            });
        }
        let mut sorted = CaseFile::new(digest);
        for e in case.entries {
            sorted.put(e);
        }
        Ok(sorted)
    }

    /// Saves `case` (through a temporary file, renamed into place) and records `change`
    /// in the access trail.
    pub fn save(&self, case: &CaseFile, change: &Value) -> Result<PathBuf, CaseError> {
        let path = self.case_path(&case.bundle)?;
        let io = |source| CaseError::Io {
            path: path.display().to_string(),
            source,
        };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let tmp = path.with_extension(format!("json.partial-{}", std::process::id()));
        let text = serde_json::to_string_pretty(case).map_err(|e| CaseError::Invalid {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
        std::fs::write(&tmp, text + "\n").map_err(io)?;
        std::fs::rename(&tmp, &path).map_err(io)?;
        self.record(TrailEntry {
            command: "case".into(),
            bundle: Some(case.bundle.clone()),
            filters: json!({"change": change, "case_file": path.display().to_string(),
                "entries": case.entries.len()}),
            ..TrailEntry::default()
        })?;
        Ok(path)
    }

    /// Writes `entry` to the access trail (with this session's inputs, `--unmask`,
    /// `--role` and `--no-trail`).
    pub fn record(&self, mut entry: TrailEntry) -> Result<(), TrailError> {
        if entry.inputs.is_empty() {
            entry.inputs.clone_from(&self.inputs);
        }
        entry.unmask = self.unmask;
        entry.role.clone_from(&self.role);
        if self.untracked {
            entry = trail::untracked(&entry);
        }
        trail::append(&self.trail_dir(), &entry).map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(ts: i64, ord: u64, marked: bool, comment: Option<&str>) -> CaseEntry {
        CaseEntry {
            ord,
            ts_ms: ts,
            path: "a.jsonl".into(),
            line: ord + 1,
            stream: None,
            seq: None,
            summary: "x".into(),
            marked,
            comment: comment.map(str::to_owned),
        }
    }

    #[test]
    fn entries_stay_sorted_and_empty_ones_go() {
        let mut c = CaseFile::new("d");
        c.put(entry(5, 1, true, None));
        c.put(entry(1, 2, false, Some("why")));
        c.put(entry(9, 3, true, None));
        assert_eq!(
            c.entries.iter().map(CaseEntry::key).collect::<Vec<_>>(),
            [(1, 2), (5, 1), (9, 3)]
        );
        assert_eq!(c.marked_ords(), [1, 3]);
        c.put(entry(5, 1, false, None));
        assert_eq!(c.entries.len(), 2);
    }

    #[test]
    fn a_case_file_is_saved_per_digest_reloaded_and_every_change_is_in_the_trail() {
        let dir = tempfile::tempdir().unwrap();
        let r = Recorder::in_dir(dir.path());
        let d = "ab".repeat(32);
        assert_eq!(r.load(&d).unwrap(), CaseFile::new(&d));
        let mut c = CaseFile::new(&d);
        c.put(entry(5, 1, true, Some("approval missing")));
        let p = r.save(&c, &json!({"kind": "comment", "ord": 1})).unwrap();
        assert!(p.ends_with(format!("cases/{d}.json")));
        assert_eq!(r.load(&d).unwrap(), c);
        let other = "cd".repeat(32);
        assert!(r.load(&other).unwrap().entries.is_empty());
        let trail = std::fs::read_dir(r.trail_dir()).unwrap().count();
        assert!(trail >= 1);
        let text: String = std::fs::read_dir(r.trail_dir())
            .unwrap()
            .filter_map(|e| std::fs::read_to_string(e.unwrap().path()).ok())
            .collect();
        assert!(text.contains("\"action\":\"access.case\""), "{text}");
        assert!(text.contains(&d), "{text}");
        // A file of another bundle, or no case file at all, is refused, not trusted.
        std::fs::write(r.case_path(&other).unwrap(), "{\"format\":\"x\"}").unwrap();
        assert!(r.load(&other).is_err());
        assert!(matches!(r.load("../x"), Err(CaseError::BadDigest(_))));
    }
}
