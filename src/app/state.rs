//! `AppState`: everything the explorer knows, owned by the UI thread and changed only by
//! `update`. Rendering reads it; scroll positions live apart, in `ui::UiViews`.

use std::collections::BTreeSet;
use std::time::Instant;

use chrono::{DateTime, Utc};

use super::line::LineInput;
use super::prefs::Column;
use crate::lineage::TreeLineKind;
use crate::model::Severity;
use crate::store::{Histogram, Hit, Jump, QueryError};

/// What the keyboard is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// Moving around.
    #[default]
    Normal,
    /// Typing in the search bar.
    Search,
    /// Typing a `:` command.
    Command,
    /// The help overlay.
    Help,
}

impl Mode {
    /// Name used in the keymap file.
    pub fn key(self) -> &'static str {
        match self {
            Self::Normal => "normal",
            Self::Search => "search",
            Self::Command => "command",
            Self::Help => "help",
        }
    }
}

/// A pane of the screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Pane {
    /// The results table.
    #[default]
    Results,
    /// The selected event.
    Detail,
    /// Counts over time.
    Timeline,
    /// The verify report.
    Integrity,
    /// The model lineage.
    Lineage,
    /// Alerts.
    Alerts,
    /// The most frequent values of a field among the matches.
    Facets,
    /// Load problems and the message log (`:errors`, `:messages`).
    Log,
    /// The auditor's case file: marked and commented events.
    Case,
    /// The controls of a standard and their status (`:compliance NAME`).
    Compliance,
}

impl Pane {
    /// Cycle order.
    /// The Log pane is not in it: `:errors` / `:messages` open it, `Tab` leaves it.
    pub const ALL: [Pane; 9] = [
        Pane::Results,
        Pane::Detail,
        Pane::Timeline,
        Pane::Integrity,
        Pane::Lineage,
        Pane::Alerts,
        Pane::Facets,
        Pane::Case,
        Pane::Compliance,
    ];

    /// Title shown on the pane and its tab.
    pub fn title(self) -> &'static str {
        match self {
            Self::Results => "Results",
            Self::Detail => "Detail",
            Self::Timeline => "Timeline",
            Self::Integrity => "Integrity",
            Self::Lineage => "Lineage",
            Self::Alerts => "Alerts",
            Self::Facets => "Facets",
            Self::Log => "Log",
            Self::Case => "Case",
            Self::Compliance => "Compliance",
        }
    }

    fn position(self) -> usize {
        Self::ALL.iter().position(|p| *p == self).unwrap_or(0)
    }

    /// The next pane in cycle order.
    #[must_use]
    pub fn next(self) -> Pane {
        // From the Log pane (outside the cycle, at the results' place): the results.
        Self::ALL[(self.position() + usize::from(self != Pane::Log)) % Self::ALL.len()]
    }

    /// The previous pane in cycle order.
    #[must_use]
    pub fn prev(self) -> Pane {
        Self::ALL[(self.position() + Self::ALL.len() - 1) % Self::ALL.len()]
    }
}

pub use crate::model::Tz;

/// Where the index build is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Phase {
    /// Hashing inputs / looking for a cached index.
    #[default]
    Opening,
    /// Building; results fill in.
    Indexing,
    /// Complete.
    Ready,
    /// The build failed (see the status line).
    Failed,
}

/// Index progress, replaced wholesale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Progress {
    /// Phase.
    pub phase: Phase,
    /// Events loaded so far.
    pub events: u64,
    /// Load errors so far.
    pub errors: u64,
    /// Records skipped (known when done).
    pub skipped: u64,
    /// Bytes read.
    pub bytes_read: u64,
    /// Bytes in all inputs.
    pub bytes_total: u64,
    /// Documents searchable now.
    pub visible: u64,
    /// True when a cached index was reused.
    pub reused: bool,
}

impl Progress {
    /// Fraction done in 0..=1.
    pub(crate) fn ratio(&self) -> f64 {
        match self.phase {
            Phase::Ready => 1.0,
            _ if self.bytes_total == 0 => 0.0,
            _ => (self.bytes_read as f64 / self.bytes_total as f64).clamp(0.0, 1.0),
        }
    }
}

/// The fetched slice of the result list (only the visible page plus a margin).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Window {
    /// Position of the first hit in the full result list.
    pub offset: u64,
    /// The hits.
    pub hits: Vec<Hit>,
}

impl Window {
    /// The hit at absolute position `pos`, when fetched.
    pub fn get(&self, pos: u64) -> Option<&Hit> {
        let i = pos.checked_sub(self.offset)?;
        self.hits.get(usize::try_from(i).ok()?)
    }
}

/// Timeline zoom, pan and range selection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TimelineState {
    /// Visible span (start, end ms); `None` fits the matches.
    pub view: Option<(i64, i64)>,
    /// Bucket under the cursor.
    pub cursor: usize,
    /// Start bucket of a range being selected.
    pub anchor: Option<usize>,
}

/// A message on the status line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    /// Text (already safe to print).
    pub text: String,
    /// Shown as an error.
    pub error: bool,
}

/// Events related to the selected one (same run or correlation id).
#[derive(Debug, Clone, PartialEq)]
pub struct Related {
    /// The event they relate to.
    pub ord: u64,
    /// The query that found them.
    pub query: String,
    /// Total matches.
    pub total: u64,
    /// The first few.
    pub hits: Vec<Hit>,
}

/// One row of a report pane (integrity, lineage, alerts).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportRow {
    /// Text, with any indentation (lineage trees).
    pub text: String,
    /// How serious it is (colour).
    pub level: Severity,
    /// The affected events (Enter jumps there).
    pub jump: Option<Jump>,
    /// What the row stands for: the explorer finds rows by this, never by their text.
    pub target: RowTarget,
}

/// What a report row stands for.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum RowTarget {
    /// Nothing to find it by (a statement, a finding, an alert, a blank line).
    #[default]
    None,
    /// A value of a field in the Facets pane: Enter narrows the query to it.
    Facet {
        /// The field.
        field: String,
        /// The value.
        value: String,
    },
    /// A line of a model's lineage tree.
    Lineage {
        /// The model whose tree it is.
        model: String,
        /// The version section the line is in.
        version: Option<String>,
        /// What the line shows (the model heading, a version heading, a node...).
        line: TreeLineKind,
    },
}

impl ReportRow {
    /// The model whose lineage tree this row heads, when it is a model heading.
    pub(crate) fn lineage_heading(&self) -> Option<&str> {
        match &self.target {
            RowTarget::Lineage {
                model,
                line: TreeLineKind::Model,
                ..
            } => Some(model),
            _ => None,
        }
    }

    /// The version whose heading this row is, when it is a version heading.
    pub(crate) fn lineage_version(&self) -> Option<&str> {
        match &self.target {
            RowTarget::Lineage {
                version: Some(v),
                line: TreeLineKind::Version,
                ..
            } => Some(v),
            _ => None,
        }
    }
}

/// What a jump left: the view Backspace / Ctrl-O returns to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Back {
    /// The query.
    pub query: String,
    /// The jump shown then, if any.
    pub jump: Option<Jump>,
    /// The time filter.
    pub from: Option<DateTime<Utc>>,
    /// The time filter's end.
    pub to: Option<DateTime<Utc>>,
    /// The selected event (time key, ordinal).
    pub selected: Option<(i64, u64)>,
    /// The focused pane.
    pub focus: Pane,
    /// The cursor in the report panes.
    pub report_cursor: usize,
}

/// Jumps remembered for Backspace / Ctrl-O.
pub const MAX_BACK: usize = 50;

/// The content of a report pane (integrity, lineage, alerts, facets, log).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PaneReport {
    /// Heading line (verdict, model, ...).
    pub heading: String,
    /// Rows.
    pub rows: Vec<ReportRow>,
}

/// A vertical scroll position that cannot run past the content: counted from the top, or
/// from the end (`G`), and resolved against the content height only when drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scroll {
    /// Rows hidden above the view.
    Top(u16),
    /// Rows between the view's bottom and the end of the content.
    Bottom(u16),
}

impl Default for Scroll {
    fn default() -> Self {
        Self::Top(0)
    }
}

impl Scroll {
    /// Moved by `delta` rows (positive: down).
    #[must_use]
    pub fn by(self, delta: i64) -> Self {
        let clamp = |v: i64| v.clamp(0, i64::from(u16::MAX)) as u16;
        match self {
            Self::Top(n) => Self::Top(clamp(i64::from(n) + delta)),
            Self::Bottom(n) => Self::Bottom(clamp(i64::from(n) - delta)),
        }
    }

    /// The first row shown when the content is `max` rows taller than the view.
    pub(crate) fn resolve(self, max: usize) -> usize {
        match self {
            Self::Top(n) => usize::from(n).min(max),
            Self::Bottom(n) => max.saturating_sub(usize::from(n)),
        }
    }
}

/// A Tab completion being cycled: Tab again puts the next candidate in place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completion {
    /// Byte offset where the completed word starts.
    pub start: usize,
    /// The candidates, in order.
    pub candidates: Vec<String>,
    /// The candidate in place now.
    pub index: usize,
}

/// Everything the explorer knows.
#[derive(Debug, Clone, Default)]
pub struct AppState {
    /// What was opened (display form).
    pub bundle: String,
    /// Keyboard mode.
    pub mode: Mode,
    /// Focused pane.
    pub focus: Pane,
    /// Focused pane takes the whole screen.
    pub maximised: bool,
    /// The applied query (the one the results are for, once they arrive).
    pub query: String,
    /// The search bar's line while typing (`/`); applied only when valid.
    pub input: LineInput,
    /// The query applied before the bar was opened (Esc restores it).
    pub query_before: String,
    /// Enter was pressed on a query not yet checked: apply it when its answer is good.
    pub submit_pending: bool,
    /// The text the shown query error is about.
    pub error_query: String,
    /// Applied queries, oldest first (saved in the configuration folder).
    pub history: Vec<String>,
    /// Position in `history` while walking it with ↑ / ↓.
    pub history_pos: Option<usize>,
    /// What was typed before walking the history.
    pub history_draft: String,
    /// A Tab completion being cycled.
    pub completion: Option<Completion>,
    /// Values seen in results, per learned keyword field (Tab completes them).
    pub known_values: Vec<BTreeSet<String>>,
    /// Where remembered settings are saved (history, columns); `None`: not saved.
    pub prefs_dir: Option<std::path::PathBuf>,
    /// Columns chosen with `:columns`; `None`: sized and picked from the content.
    pub columns: Option<Vec<Column>>,
    /// Results oldest first (the whole list, by time; positions stay newest-first).
    pub oldest_first: bool,
    /// Result table: scrollable columns hidden on the left.
    pub hscroll: u16,
    /// Detail and report panes cut long lines at the edge (with `…`) instead of wrapping.
    pub nowrap: bool,
    /// Detail and report panes: characters hidden on the left when not wrapping.
    pub text_hscroll: u16,
    /// The report jump shown (and the query): its label stands in the search bar.
    pub jump: Option<Jump>,
    /// Where jumps came from, newest last: Backspace / Ctrl-O walks back.
    pub back: Vec<Back>,
    /// The Facets pane: the counted values of `facet_field` for the current search.
    pub facets: Option<PaneReport>,
    /// The field the Facets pane counts (`:facets FIELD`).
    pub facet_field: String,
    /// Generation of the newest facets request.
    pub facets_gen: u64,
    /// Bumped when a jump (goto, marks, problems, back) moves the selection: the table then
    /// puts the target mid-view, with what came just before and after it.
    pub center_request: u64,
    /// The query the shown results belong to.
    pub shown_query: String,
    /// Command line text (without the `:`).
    pub command: LineInput,
    /// The last query error (previous results stay).
    pub query_error: Option<QueryError>,
    /// Time filter: inclusive start.
    pub from: Option<DateTime<Utc>>,
    /// Time filter: exclusive end.
    pub to: Option<DateTime<Utc>>,
    /// Matches of the current search.
    pub total: u64,
    /// Fetched hits.
    pub window: Window,
    /// Selected position in the result list.
    pub selected: u64,
    /// Timeline buckets of the current search.
    pub histogram: Option<Histogram>,
    /// Timeline view.
    pub timeline: TimelineState,
    /// Index build progress.
    pub progress: Progress,
    /// Status line message.
    pub status: Option<Status>,
    /// Generation of the newest page request; older answers are dropped.
    pub search_gen: u64,
    /// Generation of the newest histogram request.
    pub hist_gen: u64,
    /// Generation of the newest related-events request.
    pub related_gen: u64,
    /// Generation of the newest locate request (goto, marks, problems).
    pub locate_gen: u64,
    /// Related events of the selected one.
    pub related: Option<Related>,
    /// When typed text becomes a query.
    pub debounce: Option<Instant>,
    /// Typed text not yet searched.
    pub query_dirty: bool,
    /// When the last new search started (debounce).
    pub last_search_at: Option<Instant>,
    /// The query of the newest page request.
    pub requested_query: String,
    /// Offset of the page request in flight.
    pub want_offset: Option<u64>,
    /// Latest `Tick` time.
    pub now: Option<Instant>,
    /// Display zone.
    pub tz: Tz,
    /// Marked events as (time key, ordinal).
    pub marks: BTreeSet<(i64, u64)>,
    /// Detail view scroll.
    pub detail_scroll: Scroll,
    /// Help overlay scroll.
    pub help_scroll: Scroll,
    /// Cursor in the report panes.
    pub report_cursor: usize,
    /// Terminal size (columns, rows).
    pub size: (u16, u16),
    /// A searchable index exists.
    pub index_ready: bool,
    /// Records shown `pending` were seen while indexing: the integrity statuses (and any
    /// answer about them) are not final until the index is complete.
    pub statuses_pending: bool,
    /// Integrity report (`None`: still being computed, see `reports_since`).
    pub integrity: Option<PaneReport>,
    /// Lineage of the selected model (`None`: still being computed).
    pub lineage: Option<PaneReport>,
    /// Alerts (`None`: still being computed).
    pub alerts: Option<PaneReport>,
    /// Every model's lineage rows; `lineage` shows them minus the collapsed models.
    pub lineage_full: Option<PaneReport>,
    /// Models whose lineage tree is collapsed to its heading.
    pub collapsed: std::collections::BTreeSet<String>,
    /// When alerts fired (ms) and how severe, for the timeline markers.
    pub alert_marks: Vec<(i64, Severity)>,
    /// The ordinals of the alerts' evidence events (`e` / `E` visit them).
    pub alert_evidence: Vec<u64>,
    /// Load problems to show (`file:line: reason`), first few.
    pub load_errors: Vec<String>,
    /// The case file, the compliance pane and live follow.
    pub case: CaseState,
    /// Set when the explorer should exit.
    pub quit: bool,
    // ---- find, context, time ranges, message log (issue 16 items 1, 4, 7, 11)
    /// When the index build ended and the report panes began to be computed (their
    /// placeholders say how long it has taken).
    pub reports_since: Option<Instant>,
    /// Why the report panes cannot be computed (the build failed).
    pub reports_error: Option<String>,
    /// Find-in-view (`*` / `:find`, `n` / `N`).
    pub find: Option<super::find::Find>,
    /// The event selected when the search bar opened: it stays selected when the filter
    /// is applied or restored (with its neighbours in view).
    pub kept: Option<(i64, u64)>,
    /// Generation of the newest find-matches request.
    pub find_gen: u64,
    /// A count typed before a movement (`5j`, `10l`, `3G`).
    pub count: Option<u32>,
    /// Timeline bars on a logarithmic scale.
    pub log_scale: bool,
    /// The earliest and latest event time of all the data (ms), for `:last` and clamping.
    pub data_span: Option<(i64, i64)>,
    /// Generation of the newest data-span request.
    pub span_gen: u64,
    /// A one-bucket range was asked for once: asking again applies it.
    pub one_bucket: bool,
    /// Every status message, oldest first, with when it was shown (`:messages`).
    pub messages: super::messages::MessageLog,
    /// The Log pane: load problems and the message log, rebuilt when they change.
    pub log: PaneReport,
    /// Every kept load problem (the Log pane lists them; Enter shows the events around).
    pub load_problems: Vec<super::messages::LoadProblem>,
}

/// The auditor's side of the explorer: the case file of the open bundle (marks and
/// comments, saved per content digest), the compliance pane and live follow.
#[derive(Debug, Clone, Default)]
pub struct CaseState {
    /// Content digest of the open inputs, once known (the case file is keyed by it).
    pub digest: Option<String>,
    /// Marked and commented events.
    pub file: crate::session::case::CaseFile,
    /// The Case pane's rows (rebuilt on each change).
    pub pane: Option<PaneReport>,
    /// The compliance pane of `standard`.
    pub compliance: Option<PaneReport>,
    /// The standard the compliance pane shows.
    pub standard: String,
    /// Growing inputs are followed (`F`).
    pub following: bool,
    /// Events added while following.
    pub followed: u64,
    /// The event `a` was pressed on, until its `:comment` is entered.
    pub annotating: Option<crate::session::case::CaseEntry>,
}

impl AppState {
    /// A fresh state for `bundle` on a terminal of `size`.
    pub fn new(bundle: impl Into<String>, size: (u16, u16)) -> Self {
        Self {
            bundle: bundle.into(),
            size,
            ..Self::default()
        }
    }

    /// The selected hit, when fetched.
    pub fn selected_hit(&self) -> Option<&Hit> {
        self.window.get(self.selected)
    }

    /// The text the search bar shows: the line being typed, else the applied query.
    pub(crate) fn bar_text(&self) -> &str {
        if self.mode == Mode::Search {
            self.input.text()
        } else {
            &self.query
        }
    }

    /// Where list position `pos` (newest first) is shown in the table, and back: the table
    /// shows the list reversed when sorted oldest first.
    pub(crate) fn display_pos(&self, pos: u64) -> u64 {
        if self.oldest_first {
            self.total.saturating_sub(1).saturating_sub(pos)
        } else {
            pos
        }
    }

    /// The report a report pane shows (Integrity, Lineage, Alerts, Facets, Log); `None` for the
    /// other panes and before it is computed.
    pub fn report_of(&self, pane: Pane) -> Option<&PaneReport> {
        match pane {
            Pane::Integrity => self.integrity.as_ref(),
            Pane::Lineage => self.lineage.as_ref(),
            Pane::Alerts => self.alerts.as_ref(),
            Pane::Facets => self.facets.as_ref(),
            Pane::Log => Some(&self.log),
            Pane::Case => self.case.pane.as_ref(),
            Pane::Compliance => self.case.compliance.as_ref(),
            Pane::Results | Pane::Detail | Pane::Timeline => None,
        }
    }

    /// Whether an event is marked.
    pub(crate) fn is_marked(&self, hit: &Hit) -> bool {
        self.marks.contains(&key_of(hit))
    }
}

/// The sort key of a hit: (time in ms or `i64::MIN`, ordinal).
pub(crate) fn key_of(hit: &Hit) -> (i64, u64) {
    (
        hit.event.ts.map_or(i64::MIN, |t| t.timestamp_millis()),
        hit.ord,
    )
}
