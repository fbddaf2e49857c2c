//! `Action`: everything that can happen to the explorer, key intents (from the keymap),
//! worker results and the clock.

use std::path::PathBuf;
use std::time::Instant;

use crate::ingest::IngestProgress;
use crate::store::{Facets, Histogram, Hit, Page, QueryError, StoreError};

/// An alert raised while following, masked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveAlert {
    /// Rule title.
    pub title: String,
    /// What was found.
    pub detail: String,
    /// Rule severity.
    pub severity: crate::model::Severity,
    /// When (ms), for the timeline marker.
    pub at_ms: Option<i64>,
    /// The evidence events' ordinals.
    pub evidence: Vec<u64>,
}

/// One thing that happened.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Leave the explorer.
    Quit,
    /// Selection (or pane content) up one.
    MoveUp,
    /// Selection down one.
    MoveDown,
    /// A page up.
    PageUp,
    /// A page down.
    PageDown,
    /// To the first (newest) event.
    Top,
    /// To the last (oldest) event.
    Bottom,
    /// Left (timeline cursor).
    Left,
    /// Right (timeline cursor).
    Right,
    /// Mouse wheel: positive is down.
    Scroll(i32),
    /// Mouse click on a pane; on the results, the clicked position.
    Click(crate::app::Pane, Option<u64>),
    /// Focus the search bar.
    FocusSearch,
    /// Open the command line.
    FocusCommand,
    /// Enter in the search bar or command line.
    Submit,
    /// Esc in the search bar or command line.
    Leave,
    /// A typed character.
    InsertChar(char),
    /// Delete the character before the cursor.
    Backspace,
    /// Delete everything before the cursor.
    ClearInput,
    /// Delete the character under the cursor.
    DeleteForward,
    /// Delete the word before the cursor.
    DeleteWord,
    /// Input line: cursor left.
    CursorLeft,
    /// Input line: cursor right.
    CursorRight,
    /// Input line: cursor to the start.
    LineStart,
    /// Input line: cursor to the end.
    LineEnd,
    /// Search bar: an older query from the history.
    HistoryPrev,
    /// Search bar: a newer query from the history.
    HistoryNext,
    /// Search bar: complete a field name or a known value.
    Complete,
    /// Results newest first / oldest first.
    ToggleOrder,
    /// Detail and report panes: wrap long lines, or cut them with `…` and scroll sideways.
    ToggleWrap,
    /// Replace the query and search now.
    SetQuery(String),
    /// Show the selected event (or act on the focused row).
    OpenDetail,
    /// Esc in normal mode: back to the results, close overlays.
    Back,
    /// Return to where the last report jump came from (query, time range, selection,
    /// pane); with none left, drop the jump shown.
    JumpBack,
    /// Focus the next pane.
    NextPane,
    /// Focus the previous pane.
    PrevPane,
    /// Maximise / restore the focused pane.
    Maximise,
    /// Next problem (alert, integrity problem, error), further down.
    NextProblem,
    /// Show the lineage tree of the selected event's model (version).
    ShowLineage,
    /// Lineage pane: collapse or expand the model tree under the cursor.
    ToggleCollapse,
    /// Previous problem.
    PrevProblem,
    /// Mark / unmark the selected event.
    Mark,
    /// Next mark, further down.
    NextMark,
    /// Previous mark.
    PrevMark,
    /// Zoom the timeline in.
    ZoomIn,
    /// Zoom the timeline out.
    ZoomOut,
    /// Start or finish a timeline range selection.
    SelectRange,
    /// Drop the time filter and the timeline zoom.
    ClearRange,
    /// Copy the selected record (OSC 52).
    Copy,
    /// Show or hide the help overlay.
    Help,
    /// The terminal is now (columns, rows).
    Resize(u16, u16),
    /// An index can be searched (`complete`: already fully built).
    IndexOpened {
        /// Already complete.
        complete: bool,
        /// Its records are shown `pending` until the verification's verdict is written.
        pending: bool,
    },
    /// Load progress.
    IndexProgress(IngestProgress),
    /// A commit made more documents visible.
    Committed {
        /// Documents visible.
        docs: u64,
    },
    /// The build ended.
    IndexDone {
        /// Events indexed.
        events: u64,
        /// Load errors.
        errors: u64,
        /// Records skipped.
        skipped: u64,
        /// A cached index was reused.
        reused: bool,
        /// The first few problems, `file:line: reason`.
        problems: Vec<String>,
    },
    /// The integrity, lineage and alerts panes were computed (after the build).
    ReportsReady(Box<super::reports::Reports>),
    /// A page of results.
    PageDone {
        /// Request generation.
        generation: u64,
        /// Position of the first hit.
        offset: u64,
        /// The page, or why the query was refused.
        result: Result<Page, QueryError>,
    },
    /// Timeline buckets.
    HistogramDone {
        /// Request generation.
        generation: u64,
        /// Buckets, or why the store could not count them.
        result: Result<Histogram, StoreError>,
    },
    /// Facet counts arrived.
    FacetsDone {
        /// Request generation.
        generation: u64,
        /// The counts, or why the store could not count them.
        result: Result<Facets, StoreError>,
    },
    /// Related events.
    RelatedDone {
        /// Request generation.
        generation: u64,
        /// The event they relate to.
        ord: u64,
        /// Query used.
        query: String,
        /// Total matches.
        total: u64,
        /// First hits.
        hits: Vec<Hit>,
    },
    /// A goto / mark / problem search found a position (or nothing).
    Located {
        /// Request generation.
        generation: u64,
        /// Position in the result list.
        position: Option<u64>,
        /// What was looked for (for the status line).
        what: String,
    },
    /// An export finished: the file and how many events it holds.
    Exported(Result<(PathBuf, u64), super::desk_error::DeskError>),
    /// Comment on the selected event (or the Case pane's row): opens the command line
    /// with `:comment ` and the comment there is now.
    Annotate,
    /// Show the Case pane (marked and commented events).
    ShowCase,
    /// Start or stop following the growing inputs.
    Follow,
    /// Following indexed new events (`appended`) and alerts fired on them.
    FollowUpdate {
        /// Events added to the index.
        appended: u64,
        /// Alerts the new events raised.
        alerts: Vec<LiveAlert>,
        /// What happened to the files (rotation, truncation, bad lines).
        notes: Vec<String>,
    },
    /// Following stopped or could not start (why).
    FollowStopped(String),
    /// The content digest of the open inputs is known (the case file is keyed by it).
    BundleDigest(String),
    /// The saved case file of the bundle was read (or why not).
    CaseLoaded(Result<crate::session::case::CaseFile, super::desk_error::DeskError>),
    /// Saving the case file failed.
    CaseSaveFailed(String),
    /// A `:report` was written (a status line), or why not.
    ReportWritten(Result<String, super::desk_error::DeskError>),
    /// The compliance pane of a standard was computed.
    ComplianceDone {
        /// The standard.
        standard: String,
        /// The pane, or why not.
        result: Result<super::state::PaneReport, super::desk_error::DeskError>,
    },
    /// A worker failed (message for the status line).
    WorkerFailed(String),
    /// A note for the status line that is not an error (a damaged cache being rebuilt).
    Notice(String),
    /// The clock (debounce, timeouts).
    Tick(Instant),
    // ---- find, context, counts, time ranges, the log (issue 16 items 4, 7, 11)
    /// Open the command line at `:find ` (find-in-view).
    FindPrompt,
    /// The next match of the find, further down (wraps).
    NextFind,
    /// The previous match of the find (wraps).
    PrevFind,
    /// Show the events just before and after the selected one in its input, whatever the
    /// filter (like `grep -C`).
    Context,
    /// A digit of a count prefix (`5j`, `10l`, `3G`).
    Count(u8),
    /// Timeline bars on a linear / logarithmic scale.
    ToggleLogScale,
    /// The find's matches among the fetched window, and in the whole view.
    FindDone {
        /// Request generation.
        generation: u64,
        /// Matches in the view, or why the find query was refused.
        result: Result<(u64, Vec<u64>), String>,
    },
    /// The context of an event: the ordinals around it in its input.
    ContextDone {
        /// Request generation.
        generation: u64,
        /// The event (time key, ordinal).
        key: (i64, u64),
        /// Its neighbours' ordinals and a label, or why not.
        result: Result<(Vec<u64>, String), String>,
    },
    /// The time span of all the data (ms).
    SpanDone {
        /// Request generation.
        generation: u64,
        /// Earliest and latest event time, `None` without timed events.
        span: Option<(i64, i64)>,
    },
    /// Every kept load problem of the build (the Log pane lists them).
    LoadProblems(Vec<super::LoadProblem>),
}
