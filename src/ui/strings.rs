//! User-visible strings: the table of bindable actions (names, help text, actions) and pane
//! notices.

use crate::app::{Action, AppState, Pane, Phase};

/// One bindable action: its name in `keymap.json`, what it does (the help overlay) and the
/// `Action` it stands for. The one list of action names: the keymap checks names against it,
/// the help overlay describes them from it.
#[derive(Debug, Clone, PartialEq)]
pub struct ActionInfo {
    /// Name in keymap.json.
    pub name: &'static str,
    /// What it does.
    pub help: &'static str,
    /// The action.
    pub action: Action,
}

const fn info(name: &'static str, action: Action, help: &'static str) -> ActionInfo {
    ActionInfo { name, help, action }
}

/// Every bindable action, in help order.
pub const ACTIONS: &[ActionInfo] = &[
    info("quit", Action::Quit, "quit (the terminal is restored)"),
    info(
        "move_down",
        Action::MoveDown,
        "down one event / scroll down",
    ),
    info("move_up", Action::MoveUp, "up one event / scroll up"),
    info("page_down", Action::PageDown, "page down"),
    info("page_up", Action::PageUp, "page up"),
    info(
        "top",
        Action::Top,
        "first event / top of the detail or help",
    ),
    info(
        "bottom",
        Action::Bottom,
        "last event / end of the detail or help",
    ),
    info(
        "left",
        Action::Left,
        "timeline cursor left (pans at the edge); elsewhere scroll left",
    ),
    info(
        "right",
        Action::Right,
        "timeline cursor right (pans at the edge); elsewhere scroll right",
    ),
    info("search", Action::FocusSearch, "focus the search bar"),
    info(
        "command",
        Action::FocusCommand,
        "command line (:find :context :from :to :last :tz :columns :sort :export :report :compliance :comment :case :goto :errors :messages :clear :q)",
    ),
    info(
        "open",
        Action::OpenDetail,
        "open detail / apply timeline range / jump to a report row",
    ),
    info(
        "back",
        Action::Back,
        "back to the results, close overlays, cancel a range",
    ),
    info(
        "jump_back",
        Action::JumpBack,
        "return to where the last report jump came from",
    ),
    info("next_pane", Action::NextPane, "focus the next pane"),
    info("prev_pane", Action::PrevPane, "focus the previous pane"),
    info(
        "maximise",
        Action::Maximise,
        "maximise / restore the focused pane",
    ),
    info(
        "next_problem",
        Action::NextProblem,
        "next problem down (error, critical, integrity, alert)",
    ),
    info("prev_problem", Action::PrevProblem, "previous problem"),
    info(
        "show_lineage",
        Action::ShowLineage,
        "lineage tree of the selected event's model",
    ),
    info(
        "toggle_collapse",
        Action::ToggleCollapse,
        "lineage: collapse / expand the model tree",
    ),
    info(
        "mark",
        Action::Mark,
        "mark / unmark the selected event (kept in the bundle's case file)",
    ),
    info(
        "annotate",
        Action::Annotate,
        "comment on the selected event (case file; empty removes it)",
    ),
    info(
        "follow",
        Action::Follow,
        "follow growing inputs: new events, timeline and alerts as they are written",
    ),
    info(
        "show_case",
        Action::ShowCase,
        "case file: marked and commented events (Enter shows one)",
    ),
    info("next_mark", Action::NextMark, "next mark further down"),
    info("prev_mark", Action::PrevMark, "previous mark"),
    info(
        "find",
        Action::FindPrompt,
        "find in the view (:find TEXT): matches highlighted, the list unfiltered",
    ),
    info(
        "next_find",
        Action::NextFind,
        "next match of the find, anywhere in the list (wraps)",
    ),
    info(
        "prev_find",
        Action::PrevFind,
        "previous match of the find (wraps)",
    ),
    info(
        "context",
        Action::Context,
        "context: the 5 (or COUNT) events before and after the selection in its input, whatever the filter",
    ),
    info(
        "count",
        Action::Count(0),
        "count prefix: 5j moves 5 rows, 10l 10 timeline buckets, 3G to the 3rd event",
    ),
    info(
        "toggle_log_scale",
        Action::ToggleLogScale,
        "timeline: linear / logarithmic bars",
    ),
    info(
        "zoom_in",
        Action::ZoomIn,
        "timeline: zoom in around the cursor",
    ),
    info("zoom_out", Action::ZoomOut, "timeline: zoom out"),
    info(
        "select_range",
        Action::SelectRange,
        "timeline: start / finish a time range (filters everything)",
    ),
    info(
        "clear_range",
        Action::ClearRange,
        "drop the time filter and the timeline zoom",
    ),
    info(
        "toggle_order",
        Action::ToggleOrder,
        "results: newest first / oldest first (the whole list, by time)",
    ),
    info(
        "toggle_wrap",
        Action::ToggleWrap,
        "detail and report panes: wrap long lines / scroll them with ← →",
    ),
    info(
        "copy",
        Action::Copy,
        "copy the selected original record (OSC 52, works over SSH)",
    ),
    info("help", Action::Help, "this help"),
    info(
        "submit",
        Action::Submit,
        "run the query / command (an invalid query keeps the bar open)",
    ),
    info(
        "leave",
        Action::Leave,
        "leave the input line (the search bar restores the previous query)",
    ),
    info(
        "delete_char",
        Action::Backspace,
        "delete the character before the cursor",
    ),
    info(
        "delete_forward",
        Action::DeleteForward,
        "delete the character under the cursor",
    ),
    info(
        "delete_word",
        Action::DeleteWord,
        "delete the word before the cursor",
    ),
    info(
        "clear_input",
        Action::ClearInput,
        "delete everything before the cursor",
    ),
    info("cursor_left", Action::CursorLeft, "cursor left"),
    info("cursor_right", Action::CursorRight, "cursor right"),
    info(
        "line_start",
        Action::LineStart,
        "cursor to the start of the line",
    ),
    info("line_end", Action::LineEnd, "cursor to the end of the line"),
    info(
        "history_prev",
        Action::HistoryPrev,
        "older query from the history",
    ),
    info(
        "history_next",
        Action::HistoryNext,
        "newer query from the history",
    ),
    info(
        "complete",
        Action::Complete,
        "complete a field name or a known value",
    ),
];

/// The description of an action name.
pub(crate) fn describe(action: &str) -> &'static str {
    ACTIONS
        .iter()
        .find(|a| a.name == action)
        .map_or("?", |a| a.help)
}

/// The action of a keymap action name.
pub(crate) fn action_by_name(name: &str) -> Option<Action> {
    ACTIONS
        .iter()
        .find(|a| a.name == name)
        .map(|a| a.action.clone())
}

/// The status line while records are shown `pending`: their statuses, and the counts of
/// `integrity:` queries, are not final until the verification ends.
pub const STATUSES_PENDING: &str = "integrity pending";

/// The Facets pane before its first answer.
pub const NO_FACETS: &str = "facets: counting the values of the field for the current search...\n\n\
:facets FIELD counts another keyword field (action, actor.id, model.id, model.version, \
outcome, severity, environment, source, resource.id, ...). Enter on a value narrows the query.";
/// The Case pane before anything is marked or commented.
pub const NO_CASE: &str = "case file: nothing marked or commented yet.\n\n\
m marks the selected event, a comments on it; both are kept for this bundle across \
sessions. Enter here shows an event; :export marked FILE and :report NAME FILE take them along.";
/// The Compliance pane before a report is computed.
pub const NO_COMPLIANCE: &str = "compliance: checking the controls of the standard...\n\n\
:compliance NAME chooses the standard (eu-ai-act, iso42001, soc2, gdpr, nist-ai-rmf). \
Enter on a finding shows its evidence; :report NAME FILE writes the whole report.";

/// What a report pane (Integrity, Lineage, Alerts) says before its report arrives: what
/// is being computed and how far it is, or why it cannot be.
pub(crate) fn pending_report(pane: Pane, state: &AppState) -> String {
    let (name, what, after) = match pane {
        Pane::Integrity => (
            "integrity",
            "checking the seals and hash chains of the inputs",
            "\n\nEach event's own status is shown as it loads: in the results, \u{2713} \
verified, ! a problem, \u{b7} no seal; in the detail view, in words.",
        ),
        Pane::Lineage => (
            "lineage",
            "building the model lineage graph (datasets, runs, versions, deployments)",
            "\n\nRelated events by run_id and correlation_id are in the detail view already.",
        ),
        _ => (
            "alerts",
            "evaluating the alert rules",
            "\n\nMeanwhile e / E move between errors, critical events and integrity problems.",
        ),
    };
    let p = &state.progress;
    let status = match p.phase {
        Phase::Failed => {
            return format!(
                "{name}: not computed: the index could not be built ({}).\n\n:messages lists what happened.",
                state
                    .reports_error
                    .as_deref()
                    .unwrap_or("see the status line")
            );
        }
        Phase::Opening => format!(
            "{name}: computing: {what}; the report is ready once the index is built (now \
opening the inputs: hashing them, looking for a cached index)"
        ),
        Phase::Indexing => format!(
            "{name}: computing: {what}; the report is ready once the index is built (now \
indexing: {} events read, {:.0}% of {})",
            p.events,
            p.ratio() * 100.0,
            bytes(p.bytes_total)
        ),
        Phase::Ready => {
            let elapsed = state
                .reports_since
                .zip(state.now)
                .map(|(since, now)| now.saturating_duration_since(since).as_secs_f64());
            match elapsed {
                Some(secs) => format!(
                    "{name}: computing: {what} over {} events, {secs:.1} s so far",
                    p.events
                ),
                None => format!("{name}: computing: {what} over {} events", p.events),
            }
        }
    };
    status + after
}

/// `1.2 MB`.
fn bytes(n: u64) -> String {
    match n {
        n if n >= 1 << 30 => format!("{:.1} GB", n as f64 / f64::from(1u32 << 30)),
        n if n >= 1 << 20 => format!("{:.1} MB", n as f64 / f64::from(1u32 << 20)),
        n if n >= 1 << 10 => format!("{:.1} KB", n as f64 / 1024.0),
        n => format!("{n} bytes"),
    }
}
