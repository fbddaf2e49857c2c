//! `Effect`: what `update` asks the runtime to do. `run` hands them to an `EffectRunner`.

use std::path::PathBuf;

use crate::store::SearchRequest;

/// A position to find in the current result list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LocateTarget {
    /// The first event at or before this time (ms).
    Time(i64),
    /// This event (time key, ordinal).
    Event(i64, u64),
    /// The event selected before the filter changed (time key, ordinal), or the nearest.
    Keep(i64, u64),
    /// The event selected before a jump (time key, ordinal): back where the user was.
    Return(i64, u64),
    /// The next problem after (`down`) or before the event (time key, ordinal).
    Problem {
        /// Further down the list (older).
        down: bool,
        /// Current event key.
        from: (i64, u64),
        /// More events that count as problems: the alerts' evidence, by ordinal.
        evidence: Vec<u64>,
    },
    /// The next match of a find after (`down`) or before the event (time key, ordinal),
    /// wrapping at the ends of the list.
    Find {
        /// Further down the list (older).
        down: bool,
        /// Current event key (`None`: nothing selected).
        from: Option<(i64, u64)>,
        /// The find query (the view's query is the request's).
        find: String,
        /// How many matches on (`3n`: the third); at least 1.
        step: u64,
    },
}

/// Background work (latest request of each kind wins).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Job {
    /// A page of hits.
    Page {
        /// Generation.
        generation: u64,
        /// Request (query, filter, offset, limit).
        request: SearchRequest,
    },
    /// Timeline buckets.
    Histogram {
        /// Generation.
        generation: u64,
        /// Query and filter.
        request: SearchRequest,
        /// Visible span, `None` to fit.
        view: Option<(i64, i64)>,
        /// Wanted bucket count.
        buckets: usize,
    },
    /// Events sharing run or correlation id.
    Related {
        /// Generation.
        generation: u64,
        /// The event.
        ord: u64,
        /// Query.
        query: String,
    },
    /// The most frequent values of a field.
    Facets {
        /// Generation.
        generation: u64,
        /// Query and filter.
        request: SearchRequest,
        /// The keyword field.
        field: String,
    },
    /// The matches of a find among the fetched window (newest-first keys `first` down to
    /// `last`), and their number in the whole view.
    FindMatches {
        /// Generation.
        generation: u64,
        /// The view's search with the find query joined to it.
        request: SearchRequest,
        /// Key of the window's first (newest) event.
        first: (i64, u64),
        /// Key of the window's last (oldest) event.
        last: (i64, u64),
        /// Events in the window.
        len: usize,
    },
    /// The `n` events just before and after an event in its input, whatever the filter.
    Context {
        /// Generation.
        generation: u64,
        /// The event (time key, ordinal).
        key: (i64, u64),
        /// Its input (`path`).
        path: String,
        /// What it is (for the label).
        what: String,
        /// Events on each side.
        n: usize,
    },
    /// The earliest and latest event time of all the data.
    Span {
        /// Generation.
        generation: u64,
    },
    /// Find a position.
    Locate {
        /// Generation.
        generation: u64,
        /// The current search.
        request: SearchRequest,
        /// What to find.
        target: LocateTarget,
    },
}

/// A request from `update`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Run a background job.
    Run(Job),
    /// Reload the reader (after a commit), before any later job.
    ReloadReader,
    /// Write every match of `request` as JSON lines to `path` (refused when it exists,
    /// unless `force`), with its `.sha256` sidecar, recorded in the access trail.
    Export {
        /// Output file (`~` already expanded).
        path: PathBuf,
        /// The search.
        request: SearchRequest,
        /// Replace an existing file (`:export!`).
        force: bool,
        /// What is exported, for the trail (`query`, `marked`).
        what: &'static str,
        /// Content digest of the inputs, when known.
        digest: Option<String>,
    },
    /// Read the saved case file of the bundle with this digest.
    LoadCase(String),
    /// Save the case file and record `change` in the access trail.
    SaveCase {
        /// The whole case file.
        file: crate::session::case::CaseFile,
        /// What changed (kind, event).
        change: serde_json::Value,
    },
    /// Write the governance report of `standard` over the open inputs to `path`, with the
    /// case file as its own section (refused when `path` exists, unless `force`).
    Report {
        /// The standard (`eu-ai-act`, ...).
        standard: String,
        /// Output file; the format follows its extension.
        path: PathBuf,
        /// Replace an existing file (`:report!`).
        force: bool,
        /// The case file.
        case: crate::session::case::CaseFile,
        /// Content digest of the inputs, when known.
        digest: Option<String>,
    },
    /// Compute the compliance pane of `standard`.
    Compliance(String),
    /// Start (`true`) or stop following the growing inputs.
    Follow(bool),
    /// Put text on the clipboard (OSC 52).
    Copy(String),
    /// Remember the query history and the chosen columns in `dir`.
    SavePrefs {
        /// The configuration folder.
        dir: PathBuf,
        /// What to remember.
        prefs: super::prefs::Prefs,
    },
    /// Stop the build and leave.
    Quit,
}
