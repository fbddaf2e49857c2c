//! User-visible strings: the table of bindable actions (names, help text, actions) and pane
//! notices.

use crate::app::Action;

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
        "command line (:from :to :tz :columns :sort :export :report :compliance :goto :clear :q)",
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
pub fn describe(action: &str) -> &'static str {
    ACTIONS
        .iter()
        .find(|a| a.name == action)
        .map_or("?", |a| a.help)
}

/// The action of a keymap action name.
pub fn action_by_name(name: &str) -> Option<Action> {
    ACTIONS
        .iter()
        .find(|a| a.name == name)
        .map(|a| a.action.clone())
}

/// Integrity pane without the integrity feature.
pub const NO_INTEGRITY: &str = "integrity: not available in this build.\n\nThe verify report \
(findings by file and stream, with jumps to the affected events) appears here once the \
integrity feature lands.\n\nEach event's own status is already shown: in the results, \u{2713} \
verified, ! a problem, \u{b7} no seal; in the detail view, in words.";
/// Lineage pane without the lineage feature.
pub const NO_LINEAGE: &str = "lineage: not available in this build.\n\nThe selected model's \
tree (datasets, features, runs, versions, deployments) appears here once the lineage feature \
lands. Related events by run_id and correlation_id are in the detail view.";
/// Alerts pane without the alerts feature.
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

pub const NO_ALERTS: &str = "alerts: not available in this build.\n\nRule matches with \
jumps to their evidence appear here once the alerts feature lands. Until then e / E move \
between errors, critical events and integrity problems.";
