//! The auditor's case file (`m` marks, `a` comments, the Case pane), `:export` with the
//! CLI's safeguards, `:report NAME [FILE]`, the Compliance pane and live follow (`F`). Every change of the case
//! file is saved (per bundle digest) and recorded in the access trail by the runtime.

use std::fmt::Write as _;

use serde_json::json;

use super::{fetch::request, set_status};
use crate::app::action::LiveAlert;
use crate::app::effect::Effect;
use crate::app::state::{AppState, Mode, Pane, PaneReport, Phase, ReportRow, RowTarget, key_of};
use crate::model::{Severity, escape_control};
use crate::session::case::{CaseEntry, CaseFile};
use crate::store::{Filter, Hit, Jump, SearchRequest, SortOrder};

/// The standard `:report` and `:compliance` use when none is named.
pub const DEFAULT_STANDARD: &str = "eu-ai-act";

/// A case-file entry for a hit, with what the file holds of it now.
fn entry_of(s: &AppState, hit: &Hit) -> CaseEntry {
    let (ts_ms, ord) = key_of(hit);
    if let Some(e) = s.case.file.get((ts_ms, ord)) {
        return e.clone();
    }
    let ev = &hit.event;
    let mut summary = ev.action.clone();
    if let Some(a) = &ev.actor.id {
        summary.push_str(" by ");
        summary.push_str(a);
    }
    if let Some(m) = &ev.model {
        summary.push_str(" (");
        summary.push_str(&m.id);
        if let Some(v) = &m.version {
            summary.push_str(" v");
            summary.push_str(v);
        }
        summary.push(')');
    }
    CaseEntry {
        ord,
        ts_ms,
        path: ev.origin.path.clone(),
        line: ev.origin.line,
        stream: ev.origin.stream.clone(),
        seq: ev.origin.seq,
        summary: escape_control(&summary).into_owned(),
        marked: false,
        comment: None,
    }
}

/// The event `m` and `a` act on: the Case pane's row when it is focused, else the
/// selected event.
fn target(s: &AppState) -> Option<CaseEntry> {
    if s.focus == Pane::Case {
        return s.case.file.entries.get(s.report_cursor).cloned();
    }
    s.selected_hit().map(|h| entry_of(s, h))
}

/// Puts `entry` in the case file, refreshes the marks and the pane, and asks for a save.
fn change(s: &mut AppState, entry: CaseEntry, kind: &str) -> Vec<Effect> {
    let what = json!({"kind": kind, "ord": entry.ord, "path": entry.path,
        "line": entry.line, "seq": entry.seq});
    s.case.file.put(entry);
    refresh_case(s);
    save(s, what)
}

fn save(s: &AppState, change: serde_json::Value) -> Vec<Effect> {
    if s.case.digest.is_some() {
        vec![Effect::SaveCase {
            file: s.case.file.clone(),
            change,
        }]
    } else {
        // Saved with everything else once the bundle's digest is known.
        vec![]
    }
}

/// The marks and the Case pane from the case file.
pub(super) fn refresh_case(s: &mut AppState) {
    s.marks = s
        .case
        .file
        .entries
        .iter()
        .filter(|e| e.marked)
        .map(CaseEntry::key)
        .collect();
    s.case.pane = (!s.case.file.entries.is_empty()).then(|| case_pane(&s.case.file));
    if s.focus == Pane::Case {
        s.report_cursor = s
            .report_cursor
            .min(s.case.file.entries.len().saturating_sub(1));
    }
}

/// A case-file row's time (UTC, as the case file and reports cite it).
fn when(ts_ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ts_ms)
        .filter(|_| ts_ms != i64::MIN)
        .map_or_else(
            || "(no time)".to_owned(),
            |t| t.format("%Y-%m-%d %H:%M:%SZ").to_string(),
        )
}

/// The Case pane: one row per entry, oldest first, Enter shows its event.
pub(crate) fn case_pane(file: &CaseFile) -> PaneReport {
    let marked = file.entries.iter().filter(|e| e.marked).count();
    let commented = file.entries.iter().filter(|e| e.comment.is_some()).count();
    let rows = file
        .entries
        .iter()
        .map(|e| {
            let flag = if e.marked { "\u{25cf}" } else { " " };
            let mut text = format!("{flag} {}  {}", when(e.ts_ms), e.summary);
            if let Some(c) = &e.comment {
                text.push_str("  \u{2014} ");
                text.push_str(c);
            }
            let label = match &e.comment {
                Some(c) => format!("case file: {c}"),
                None => format!("case file: {}", e.summary),
            };
            ReportRow {
                text: escape_control(&text).into_owned(),
                level: if e.comment.is_some() {
                    Severity::Notice
                } else {
                    Severity::Info
                },
                jump: Some(Jump {
                    label: escape_control(&label).into_owned(),
                    filter: Filter::Ords(vec![e.ord]),
                }),
                target: RowTarget::None,
            }
        })
        .collect();
    PaneReport {
        heading: format!(
            "case file: {} event(s), {marked} marked, {commented} commented; Enter shows one, \
             m unmarks, a comments, :export marked FILE, :report NAME FILE",
            file.entries.len()
        ),
        rows,
    }
}

/// `m`: marks or unmarks the selected event (a comment stays).
pub(super) fn toggle_mark(s: &mut AppState) -> Vec<Effect> {
    let Some(mut e) = target(s) else {
        set_status(s, "no event to mark", false);
        return vec![];
    };
    e.marked = !e.marked;
    let kind = if e.marked { "mark" } else { "unmark" };
    let fx = change(s, e, kind);
    let n = s.marks.len();
    set_status(
        s,
        format!("{kind}ed; {n} mark(s) in the case file (M lists them)"),
        false,
    );
    fx
}

/// `a`: the command line, ready for the comment on the selected event.
pub(super) fn annotate(s: &mut AppState) -> Vec<Effect> {
    let Some(e) = target(s) else {
        set_status(s, "no event to comment on", false);
        return vec![];
    };
    s.mode = Mode::Command;
    s.command
        .set(format!("comment {}", e.comment.clone().unwrap_or_default()));
    s.case.annotating = Some(e);
    vec![]
}

/// `:comment TEXT` sets the comment of the event `a` was pressed on (else the selected
/// one); `:comment` alone removes it.
pub(super) fn comment(s: &mut AppState, text: &str) -> Vec<Effect> {
    let Some(mut e) = s.case.annotating.take().or_else(|| target(s)) else {
        set_status(s, ":comment: no event selected", true);
        return vec![];
    };
    // Typed text is shown later: kept free of control characters.
    let text: String = text.chars().filter(|c| !c.is_control()).collect();
    let text = text.trim();
    let kind = if text.is_empty() {
        e.comment = None;
        "uncomment"
    } else {
        e.comment = Some(text.to_owned());
        "comment"
    };
    let fx = change(s, e, kind);
    set_status(
        s,
        if kind == "comment" {
            "comment saved in the case file (M lists it)"
        } else {
            "comment removed"
        },
        false,
    );
    fx
}

/// `M`: the Case pane.
pub(super) fn show_case(s: &mut AppState) -> Vec<Effect> {
    s.focus = Pane::Case;
    s.report_cursor = 0;
    if s.case.digest.is_none() && s.case.file.entries.is_empty() {
        set_status(
            s,
            "the case file opens once the bundle's digest is known (after loading)",
            false,
        );
    }
    vec![]
}

/// The request of every marked event, oldest first, whatever the query.
fn marked_request(s: &AppState) -> SearchRequest {
    SearchRequest {
        query: "*".to_owned(),
        from: None,
        to: None,
        limit: 0,
        offset: 0,
        order: SortOrder::OldestFirst,
        filter: Some(Filter::Ords(s.case.file.marked_ords())),
    }
}

/// `:export [marked] FILE` / `:export! ...`: the current matches (or the marked events)
/// as JSON lines, never over an existing file unless forced.
pub(super) fn export(s: &mut AppState, arg: &str, force: bool) -> Vec<Effect> {
    let (marked, file) = match arg.split_once(' ') {
        Some(("marked", f)) => (true, f.trim()),
        _ if arg == "marked" => (true, ""),
        _ => (false, arg),
    };
    if file.is_empty() {
        set_status(
            s,
            ":export needs a file name (:export FILE, :export marked FILE, :export! FILE replaces)",
            true,
        );
        return vec![];
    }
    if marked && s.marks.is_empty() {
        set_status(
            s,
            ":export marked: nothing is marked (m marks an event)",
            true,
        );
        return vec![];
    }
    let path = crate::session::output::expand_home(file);
    set_status(
        s,
        format!(
            "exporting {} to {}...",
            if marked {
                "the marked events"
            } else {
                "the matches"
            },
            path.display()
        ),
        false,
    );
    let request = if marked {
        marked_request(s)
    } else {
        request(s, &s.requested_query, 0, 0)
    };
    vec![Effect::Export {
        path,
        request,
        force,
        what: if marked { "marked" } else { "query" },
        digest: s.case.digest.clone(),
    }]
}

/// `:report NAME [FILE]` / `:report! ...`: the governance report of the open inputs, with
/// the case file, to FILE (format by extension); without FILE, `NAME-report.md` here.
pub(super) fn report(s: &mut AppState, arg: &str, force: bool) -> Vec<Effect> {
    let (standard, file) = match arg.split_once(' ') {
        Some((n, f)) => (n.trim(), f.trim()),
        None if arg.is_empty() => (DEFAULT_STANDARD, ""),
        None => (arg, ""),
    };
    if s.progress.phase != Phase::Ready {
        set_status(s, ":report: wait until the inputs are loaded", true);
        return vec![];
    }
    let file = if file.is_empty() {
        format!("{standard}-report.md")
    } else {
        file.to_owned()
    };
    let path = crate::session::output::expand_home(&file);
    set_status(
        s,
        format!("writing the {standard} report to {}...", path.display()),
        false,
    );
    vec![Effect::Report {
        standard: standard.to_owned(),
        path,
        force,
        case: s.case.file.clone(),
        digest: s.case.digest.clone(),
    }]
}

/// `:compliance [NAME]`: the Compliance pane of a standard.
pub(super) fn compliance(s: &mut AppState, arg: &str) -> Vec<Effect> {
    let standard = if arg.is_empty() {
        if s.case.standard.is_empty() {
            DEFAULT_STANDARD.to_owned()
        } else {
            s.case.standard.clone()
        }
    } else {
        arg.to_owned()
    };
    s.focus = Pane::Compliance;
    s.report_cursor = 0;
    if s.progress.phase != Phase::Ready {
        set_status(s, ":compliance: wait until the inputs are loaded", true);
        return vec![];
    }
    s.case.standard.clone_from(&standard);
    s.case.compliance = None;
    vec![Effect::Compliance(standard)]
}

/// The digest of the inputs is known: read the bundle's case file.
pub(super) fn digest_known(s: &mut AppState, digest: String) -> Vec<Effect> {
    if s.case.digest.as_deref() == Some(digest.as_str()) {
        return vec![];
    }
    s.case.digest = Some(digest.clone());
    vec![Effect::LoadCase(digest)]
}

/// The saved case file arrived: joined with what was marked before it came.
pub(super) fn case_loaded(
    s: &mut AppState,
    r: Result<CaseFile, crate::app::DeskError>,
) -> Vec<Effect> {
    match r {
        Ok(mut file) => {
            let early = !s.case.file.entries.is_empty();
            file.merge(&s.case.file);
            let n = file.entries.len();
            s.case.file = file;
            refresh_case(s);
            if n > 0 && !early {
                set_status(
                    s,
                    format!("case file: {n} event(s) from earlier sessions (M lists them)"),
                    false,
                );
            }
            if early {
                save(s, json!({"kind": "merge"}))
            } else {
                vec![]
            }
        }
        Err(e) => {
            set_status(s, format!("case file: {e}"), true);
            vec![]
        }
    }
}

/// `F`: follow the growing inputs, or stop.
pub(super) fn follow(s: &mut AppState) -> Vec<Effect> {
    if s.progress.phase != Phase::Ready {
        set_status(s, "follow: wait until the inputs are loaded", true);
        return vec![];
    }
    s.case.following = !s.case.following;
    if !s.case.following {
        set_status(
            s,
            format!(
                "stopped following ({} new event(s) indexed)",
                s.case.followed
            ),
            false,
        );
    }
    vec![Effect::Follow(s.case.following)]
}

/// New events were indexed while following: the results and the timeline are fetched
/// again, and each alert they raised joins the Alerts pane and the timeline, announced.
pub(super) fn follow_update(
    s: &mut AppState,
    appended: u64,
    alerts: Vec<LiveAlert>,
    notes: &[String],
) -> Vec<Effect> {
    s.case.followed += appended;
    s.progress.events += appended;
    s.progress.visible += appended;
    let mut msg = if appended > 0 {
        format!("following: {appended} new event(s)")
    } else {
        "following".to_owned()
    };
    if let Some(first) = alerts.first() {
        let _ = write!(msg, "; ALERT {}: {}", first.severity.as_str(), first.title);
        if alerts.len() > 1 {
            let _ = write!(msg, " (+{} more in Alerts)", alerts.len() - 1);
        }
    }
    for n in notes {
        msg.push_str("; ");
        msg.push_str(n);
    }
    let announce = !alerts.is_empty();
    for a in alerts {
        let row = ReportRow {
            text: escape_control(&format!(
                "LIVE {} {}: {}",
                a.severity.as_str(),
                a.title,
                a.detail
            ))
            .into_owned(),
            level: a.severity,
            jump: (!a.evidence.is_empty()).then(|| Jump {
                label: escape_control(&format!("evidence of: {}", a.title)).into_owned(),
                filter: Filter::Ords(a.evidence.clone()),
            }),
            target: RowTarget::None,
        };
        let pane = s.alerts.get_or_insert_with(|| PaneReport {
            heading: "alerts raised while following".to_owned(),
            rows: Vec::new(),
        });
        pane.rows.insert(0, row);
        if let Some(t) = a.at_ms {
            s.alert_marks.push((t, a.severity));
        }
        s.alert_evidence.extend(a.evidence);
    }
    set_status(s, msg, announce);
    if appended > 0 {
        super::fetch::refresh(s)
    } else {
        vec![]
    }
}

/// Following stopped (or never started): why.
pub(super) fn follow_stopped(s: &mut AppState, why: &str) -> Vec<Effect> {
    s.case.following = false;
    set_status(s, why, true);
    vec![]
}
