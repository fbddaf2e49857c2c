//! User-visible strings: action descriptions (for the help overlay) and pane notices.

/// Every bindable action: (name in keymap.json, description).
pub const ACTIONS: &[(&str, &str)] = &[
    ("quit", "quit (the terminal is restored)"),
    ("move_down", "down one event / scroll down"),
    ("move_up", "up one event / scroll up"),
    ("page_down", "page down"),
    ("page_up", "page up"),
    ("top", "first (newest) event"),
    ("bottom", "last (oldest) event"),
    ("left", "timeline: cursor left (pans at the edge)"),
    ("right", "timeline: cursor right (pans at the edge)"),
    ("search", "focus the search bar"),
    (
        "command",
        "command line (:from :to :tz :export :goto :clear :q)",
    ),
    (
        "open",
        "open detail / apply timeline range / jump to a report row",
    ),
    (
        "back",
        "back to the results, close overlays, cancel a range",
    ),
    (
        "jump_back",
        "return to where the last report jump came from",
    ),
    ("next_pane", "focus the next pane"),
    ("prev_pane", "focus the previous pane"),
    ("maximise", "maximise / restore the focused pane"),
    (
        "next_problem",
        "next problem down (error, critical, integrity, alert)",
    ),
    ("prev_problem", "previous problem"),
    ("show_lineage", "lineage tree of the selected event's model"),
    (
        "toggle_collapse",
        "lineage: collapse / expand the model tree",
    ),
    ("mark", "mark / unmark the selected event"),
    ("next_mark", "next mark further down"),
    ("prev_mark", "previous mark"),
    ("zoom_in", "timeline: zoom in around the cursor"),
    ("zoom_out", "timeline: zoom out"),
    (
        "select_range",
        "timeline: start / finish a time range (filters everything)",
    ),
    ("clear_range", "drop the time filter and the timeline zoom"),
    (
        "copy",
        "copy the selected original record (OSC 52, works over SSH)",
    ),
    ("help", "this help"),
    ("submit", "run the query / command"),
    ("leave", "leave the input line or overlay"),
    ("delete_char", "delete the character before the cursor"),
    ("clear_input", "clear the input line"),
];

/// The description of an action name.
pub fn describe(action: &str) -> &'static str {
    ACTIONS
        .iter()
        .find(|(n, _)| *n == action)
        .map_or("?", |(_, d)| d)
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
pub const NO_ALERTS: &str = "alerts: not available in this build.\n\nRule matches with \
jumps to their evidence appear here once the alerts feature lands. Until then e / E move \
between errors, critical events and integrity problems.";
