//! `update`: the pure heart of the explorer. Applies one `Action` to the `AppState` and
//! returns the `Effect`s to carry out. No I/O, no clock: time comes in through `Tick`.
//!
//! The handlers live beside it: `fetch` (page, timeline and related-events requests),
//! `navigate` (moving the selection, marks, problems), `timeline` (pan, zoom, ranges),
//! `lineage` (collapsing and focusing trees) and `command` (the `:` command line).

mod case;
mod command;
mod explore;
mod fetch;
mod input;
mod lineage;
mod navigate;
mod timeline;

use super::action::Action;
use super::effect::{Effect, LocateTarget};
use super::line::LineInput;
use super::state::{
    AppState, Back, MAX_BACK, Mode, Pane, PaneReport, Phase, Related, ReportRow, RowTarget, Scroll,
    Status, key_of,
};
use crate::model::fields;
use crate::model::{RecordStatus, Severity, escape_control};
use crate::store::{Jump, StoreError};
use command::run_command;
use fetch::{facets_effect, hist_effect, new_search, refresh, related_effect, request};
use input::{edit, save_prefs};
use lineage::{show_lineage, toggle_collapse, visible_lineage};
use navigate::{locate, locate_problem, move_or_scroll, move_to, next_mark};
use timeline::{select_range, timeline_step, zoom};

/// Hits fetched per window.
pub const WINDOW: u64 = 256;
/// Refetch when the selection comes this close to a window edge.
pub const MARGIN: u64 = 48;
/// The query selecting "problems": errors, critical events, records whose integrity is
/// not verified (alerts join this once they exist).
pub(crate) fn problem_query() -> String {
    let mut parts = vec![
        format!("{}:error", fields::SEVERITY),
        format!("{}:critical", fields::SEVERITY),
    ];
    // Every record status but verified is a problem (spec/bundle-format.md, record level).
    parts.extend(
        RecordStatus::ALL
            .into_iter()
            .filter(|s| *s != RecordStatus::Verified)
            .map(|s| format!("{}:{}", fields::INTEGRITY, s.lower())),
    );
    parts.join(" OR ")
}

/// Applies `action` to `s`; returns what must be done.
#[allow(clippy::too_many_lines)]
pub fn update(s: &mut AppState, action: Action) -> Vec<Effect> {
    if let Some(fx) = explore::with_count(s, &action) {
        return fx;
    }
    match action {
        Action::Quit => {
            s.quit = true;
            vec![Effect::Quit]
        }
        Action::MoveUp => move_or_scroll(s, -1),
        Action::MoveDown => move_or_scroll(s, 1),
        Action::PageUp => move_or_scroll(s, -page_rows(s)),
        Action::PageDown => move_or_scroll(s, page_rows(s)),
        Action::Scroll(n) => move_or_scroll(s, i64::from(n)),
        Action::Click(pane, pos) => {
            let mut fx = focus(s, pane);
            // The table reports the clicked row's place on screen.
            if let Some(p) = pos.filter(|p| *p < s.total) {
                let p = s.display_pos(p);
                fx.extend(move_to(s, p));
            }
            fx
        }
        Action::Top => to_end(s, false),
        Action::Bottom => to_end(s, true),
        Action::Left => sideways(s, -1),
        Action::Right => sideways(s, 1),
        Action::FocusSearch => input::focus_search(s),
        Action::FocusCommand => {
            s.mode = Mode::Command;
            s.command.clear();
            vec![]
        }
        Action::Submit => match s.mode {
            Mode::Search => input::submit(s),
            Mode::Command => {
                s.mode = Mode::Normal;
                let line = s.command.text().to_owned();
                s.command.clear();
                run_command(s, &line)
            }
            Mode::Normal | Mode::Help => vec![],
        },
        Action::Leave => match s.mode {
            Mode::Search => input::leave(s),
            Mode::Command | Mode::Help => {
                s.mode = Mode::Normal;
                s.command.clear();
                s.case.annotating = None;
                vec![]
            }
            Mode::Normal => vec![],
        },
        Action::InsertChar(c) => edit(s, |l| {
            l.insert(c);
            true
        }),
        Action::Backspace => edit(s, LineInput::backspace),
        Action::ClearInput => edit(s, LineInput::kill_to_start),
        Action::DeleteForward => edit(s, LineInput::delete),
        Action::DeleteWord => edit(s, LineInput::delete_word),
        Action::CursorLeft => edit(s, |l| {
            l.left();
            false
        }),
        Action::CursorRight => edit(s, |l| {
            l.right();
            false
        }),
        Action::LineStart => edit(s, |l| {
            l.home();
            false
        }),
        Action::LineEnd => edit(s, |l| {
            l.end();
            false
        }),
        Action::HistoryPrev => input::history(s, true),
        Action::HistoryNext => input::history(s, false),
        Action::Complete => input::complete(s),
        Action::ToggleOrder => {
            s.oldest_first = !s.oldest_first;
            set_status(
                s,
                if s.oldest_first {
                    "oldest first (the whole list, by time)"
                } else {
                    "newest first"
                },
                false,
            );
            vec![]
        }
        Action::ToggleWrap => {
            s.nowrap = !s.nowrap;
            s.text_hscroll = 0;
            set_status(
                s,
                if s.nowrap {
                    "long lines are cut with \u{2026}: \u{2190} \u{2192} scroll sideways, w wraps again"
                } else {
                    "long lines wrap"
                },
                false,
            );
            vec![]
        }
        Action::SetQuery(q) => {
            if s.mode == Mode::Search {
                s.input.set(q.clone());
            }
            s.query = q;
            new_search(s)
        }
        Action::OpenDetail => open(s),
        Action::Back => {
            if s.mode == Mode::Help {
                s.mode = Mode::Normal;
            } else if s.timeline.anchor.is_some() {
                timeline::cancel_range(s);
            } else if s.maximised {
                s.maximised = false;
            } else if s.focus == Pane::Results && s.find.is_some() {
                s.find = None;
                set_status(s, "find cleared", false);
            } else {
                s.focus = Pane::Results;
            }
            vec![]
        }
        Action::JumpBack => jump_back(s),
        Action::NextPane => focus(s, s.focus.next()),
        Action::PrevPane => focus(s, s.focus.prev()),
        Action::Maximise => {
            s.maximised = !s.maximised;
            vec![]
        }
        Action::NextProblem => locate_problem(s, !s.oldest_first),
        Action::ShowLineage => show_lineage(s),
        Action::ToggleCollapse => toggle_collapse(s),
        Action::PrevProblem => locate_problem(s, s.oldest_first),
        Action::Mark => case::toggle_mark(s),
        Action::Annotate => case::annotate(s),
        Action::ShowCase => case::show_case(s),
        Action::Follow => case::follow(s),
        Action::FollowUpdate {
            appended,
            alerts,
            notes,
        } => case::follow_update(s, appended, alerts, &notes),
        Action::FollowStopped(why) => case::follow_stopped(s, &why),
        Action::BundleDigest(d) => case::digest_known(s, d),
        Action::CaseLoaded(r) => case::case_loaded(s, r),
        Action::CaseSaveFailed(e) => {
            set_status(s, format!("the case file was not saved: {e}"), true);
            vec![]
        }
        Action::ReportWritten(r) => {
            match r {
                Ok(m) => set_status(s, m, false),
                Err(e) => set_status(s, format!("report failed: {e}"), true),
            }
            vec![]
        }
        Action::ComplianceDone { standard, result } => {
            if standard == s.case.standard {
                s.case.compliance = Some(result.unwrap_or_else(|e| PaneReport {
                    heading: format!("{standard}: the controls could not be checked"),
                    rows: vec![ReportRow {
                        text: escape_control(&e.to_string()).into_owned(),
                        level: Severity::Error,
                        jump: None,
                        target: RowTarget::None,
                    }],
                }));
            }
            vec![]
        }
        Action::NextMark => next_mark(s, !s.oldest_first),
        Action::PrevMark => next_mark(s, s.oldest_first),
        Action::ZoomIn => zoom(s, 0.5),
        Action::ZoomOut => zoom(s, 2.0),
        Action::SelectRange => select_range(s),
        Action::ClearRange => {
            s.from = None;
            s.to = None;
            s.timeline = super::state::TimelineState::default();
            s.kept = s.selected_hit().map(key_of);
            let mut fx = new_search(s);
            fx.extend(explore::keep_selection(s));
            fx
        }
        Action::Copy => match s.selected_hit() {
            Some(h) => {
                let raw = h.raw.clone();
                set_status(s, format!("copied {} bytes (OSC 52)", raw.len()), false);
                vec![Effect::Copy(raw)]
            }
            None => vec![],
        },
        Action::Help => {
            s.mode = if s.mode == Mode::Help {
                Mode::Normal
            } else {
                s.help_scroll = Scroll::Top(0);
                Mode::Help
            };
            vec![]
        }
        Action::Resize(w, h) => {
            let changed = s.size.0 != w;
            s.size = (w, h);
            if changed && s.index_ready {
                vec![hist_effect(s)]
            } else {
                vec![]
            }
        }
        Action::IndexOpened { complete, pending } => {
            s.index_ready = true;
            // Known from the start, so that no answer given before the verdict (a count of
            // `integrity:modified`, an empty page) reads as final.
            s.statuses_pending = pending && !complete;
            s.progress.phase = if complete {
                Phase::Ready
            } else {
                Phase::Indexing
            };
            s.progress.reused = complete;
            let mut fx = new_search(s);
            fx.extend(explore::span_effect(s));
            fx
        }
        Action::IndexProgress(p) => {
            s.progress.events = p.events;
            s.progress.errors = p.errors;
            s.progress.bytes_read = p.bytes_read;
            s.progress.bytes_total = p.bytes_total;
            if s.progress.phase == Phase::Opening {
                s.progress.phase = Phase::Indexing;
            }
            vec![]
        }
        Action::Committed { docs } => {
            s.progress.visible = docs;
            refresh(s)
        }
        Action::IndexDone {
            events,
            errors,
            skipped,
            reused,
            problems,
        } => {
            s.progress.phase = Phase::Ready;
            // The complete index holds the verdict.
            s.statuses_pending = false;
            s.progress.events = events;
            s.progress.visible = events;
            s.progress.errors = errors;
            s.progress.skipped = skipped;
            s.progress.reused = reused;
            s.load_errors = problems;
            s.reports_since = s.now;
            explore::rebuild_log(s);
            let mut fx = if !s.index_ready {
                // The growing index could not be opened (a very short build): start now.
                s.index_ready = true;
                new_search(s)
            } else if reused {
                vec![]
            } else {
                refresh(s)
            };
            fx.extend(explore::span_effect(s));
            fx
        }
        Action::FacetsDone { generation, result } => {
            if generation != s.facets_gen {
                return vec![];
            }
            s.facets = Some(match result {
                Ok(f) => facets_report(&f),
                Err(e) => PaneReport {
                    heading: format!("{}: could not be counted", s.facet_field),
                    rows: vec![ReportRow {
                        text: escape_control(&e.to_string()).into_owned(),
                        level: Severity::Error,
                        jump: None,
                        target: RowTarget::None,
                    }],
                },
            });
            vec![]
        }
        Action::ReportsReady(r) => {
            let r = *r;
            if r.integrity.is_some() {
                s.integrity = r.integrity;
            }
            if r.lineage.is_some() {
                s.lineage_full = r.lineage;
                s.lineage = visible_lineage(s.lineage_full.as_ref(), &s.collapsed);
            }
            if r.alerts.is_some() {
                s.alerts = r.alerts;
                s.alert_marks = r.alert_marks;
                s.alert_evidence = r.alert_evidence;
            }
            vec![]
        }
        Action::PageDone {
            generation,
            offset,
            result,
        } => {
            if generation != s.search_gen {
                return vec![];
            }
            s.want_offset = None;
            match result {
                Ok(page) => {
                    if s.progress.phase != Phase::Ready
                        && page
                            .hits
                            .iter()
                            .any(|h| h.event.integrity.as_deref() == Some(crate::model::PENDING))
                    {
                        s.statuses_pending = true;
                    }
                    s.total = page.total;
                    s.window = super::state::Window {
                        offset,
                        hits: page.hits,
                    };
                    s.shown_query.clone_from(&s.requested_query);
                    s.query_error = None;
                    if s.selected >= s.total {
                        s.selected = s.total.saturating_sub(1);
                    }
                    input::learn(s);
                    let mut fx: Vec<Effect> = related_effect(s).into_iter().collect();
                    fx.extend(explore::window_changed(s));
                    fx.extend(input::answered(s, true));
                    fx
                }
                Err(e) => {
                    // Keep the previous results, and a timeline that matches them.
                    s.error_query = std::mem::take(&mut s.requested_query);
                    s.requested_query.clone_from(&s.shown_query);
                    s.query_error = Some(e);
                    let mut fx = vec![hist_effect(s)];
                    fx.extend(input::answered(s, false));
                    fx
                }
            }
        }
        Action::HistogramDone { generation, result } => {
            if generation == s.hist_gen {
                match result {
                    Ok(h) => {
                        if s.timeline.cursor >= h.counts.len() {
                            s.timeline.cursor = h.counts.len() / 2;
                        }
                        s.histogram = Some(h);
                    }
                    // A refused query is shown in the search bar already.
                    Err(StoreError::Query(_)) => {}
                    Err(e) => set_status(s, format!("timeline: {e}"), true),
                }
            }
            vec![]
        }
        Action::RelatedDone {
            generation,
            ord,
            query,
            total,
            hits,
        } => {
            if generation == s.related_gen {
                s.related = Some(Related {
                    ord,
                    query,
                    total,
                    hits,
                });
            }
            vec![]
        }
        Action::Located {
            generation,
            position,
            what,
        } => {
            if generation != s.locate_gen {
                return vec![];
            }
            if let Some(p) = position {
                // Keeping the selection across a filter change says nothing.
                if !what.is_empty() {
                    set_status(s, what, false);
                }
                s.center_request += 1;
                move_to(s, p)
            } else {
                set_status(s, format!("no {what} in that direction"), false);
                vec![]
            }
        }
        Action::Exported(r) => {
            match r {
                Ok((p, n)) => set_status(
                    s,
                    format!(
                        "exported {n} events to {} (sha256 in {}.sha256; in the access trail)",
                        escape_control(&p.display().to_string()),
                        escape_control(
                            &p.file_name()
                                .map(|f| f.to_string_lossy().into_owned())
                                .unwrap_or_default()
                        )
                    ),
                    false,
                ),
                Err(e) => set_status(s, format!("export failed: {e}"), true),
            }
            vec![]
        }
        Action::Notice(m) => {
            set_status(s, m, false);
            vec![]
        }
        Action::WorkerFailed(m) => {
            if !s.index_ready {
                s.progress.phase = Phase::Failed;
                s.reports_error = Some(escape_control(&m).into_owned());
            }
            set_status(s, m, true);
            vec![]
        }
        Action::Tick(now) => {
            s.now = Some(now);
            explore::expire_status(s, now);
            let due = s.query_dirty && s.debounce.is_none_or(|d| now >= d);
            if due { new_search(s) } else { vec![] }
        }
        Action::FindPrompt => explore::find_prompt(s),
        Action::NextFind => explore::next_find(s, !s.oldest_first),
        Action::PrevFind => explore::next_find(s, s.oldest_first),
        Action::Context => explore::context(s, None),
        Action::Count(d) => explore::count_digit(s, d),
        Action::ToggleLogScale => {
            s.log_scale = !s.log_scale;
            set_status(
                s,
                if s.log_scale {
                    "timeline: logarithmic scale (rare buckets stay visible)"
                } else {
                    "timeline: linear scale"
                },
                false,
            );
            vec![]
        }
        Action::FindDone { generation, result } => explore::find_done(s, generation, result),
        Action::ContextDone {
            generation,
            key,
            result,
        } => explore::context_done(s, generation, key, result),
        Action::SpanDone { generation, span } => {
            if generation == s.span_gen {
                s.data_span = span;
            }
            vec![]
        }
        Action::LoadProblems(p) => explore::load_problems(s, p),
    }
}

fn set_status(s: &mut AppState, text: impl AsRef<str>, error: bool) {
    let text = escape_control(text.as_ref()).into_owned();
    s.messages.push(s.now, text.clone(), error);
    s.status = Some(Status { text, error });
    explore::rebuild_log(s);
}

/// Rows a page step moves.
fn page_rows(s: &AppState) -> i64 {
    i64::from(s.size.1.saturating_sub(12).max(5))
}

/// `g` / `G`: the top or the end of what is focused (never past the content).
fn to_end(s: &mut AppState, end: bool) -> Vec<Effect> {
    let edge = if end {
        Scroll::Bottom(0)
    } else {
        Scroll::Top(0)
    };
    if s.mode == Mode::Help {
        s.help_scroll = edge;
        return vec![];
    }
    match s.focus {
        Pane::Detail => {
            s.detail_scroll = edge;
            vec![]
        }
        // The timeline's cursor to its first or last bucket; a range being selected stays.
        Pane::Timeline => {
            let n = s.histogram.as_ref().map_or(0, |h| h.counts.len());
            s.timeline.cursor = if end { n.saturating_sub(1) } else { 0 };
            s.one_bucket = false;
            vec![]
        }
        Pane::Integrity
        | Pane::Lineage
        | Pane::Alerts
        | Pane::Facets
        | Pane::Log
        | Pane::Case
        | Pane::Compliance => {
            s.report_cursor = if end {
                report_rows(s).saturating_sub(1)
            } else {
                0
            };
            vec![]
        }
        Pane::Results => {
            let last = s.total.saturating_sub(1);
            let pos = s.display_pos(if end { last } else { 0 });
            move_to(s, pos)
        }
    }
}

/// Rows of the focused report pane.
fn report_rows(s: &AppState) -> usize {
    s.report_of(s.focus).map_or(0, |r| r.rows.len())
}

/// ← / →: the timeline's cursor; the result columns; the text of the detail and report
/// panes when long lines are cut.
fn sideways(s: &mut AppState, delta: i64) -> Vec<Effect> {
    match s.focus {
        Pane::Timeline => timeline_step(s, delta),
        Pane::Results => {
            s.hscroll = (i64::from(s.hscroll) + delta).clamp(0, 64) as u16;
            vec![]
        }
        Pane::Detail
        | Pane::Integrity
        | Pane::Lineage
        | Pane::Alerts
        | Pane::Facets
        | Pane::Log
        | Pane::Case
        | Pane::Compliance => {
            if s.nowrap {
                s.text_hscroll =
                    (i64::from(s.text_hscroll) + delta * 8).clamp(0, i64::from(u16::MAX)) as u16;
            } else {
                set_status(
                    s,
                    "long lines wrap here; w cuts them instead, then \u{2190} \u{2192} scroll",
                    false,
                );
            }
            vec![]
        }
    }
}

fn focus(s: &mut AppState, pane: Pane) -> Vec<Effect> {
    s.focus = pane;
    s.report_cursor = 0;
    let mut effects: Vec<Effect> = related_effect(s).into_iter().collect();
    effects.extend(facets_effect(s));
    if pane == Pane::Compliance && s.case.standard.is_empty() && s.progress.phase == Phase::Ready {
        effects.extend(case::compliance(s, ""));
    }
    effects
}

/// Enter on a facet value: the query narrowed to it (written as the user would type it,
/// so it stays in the bar, editable).
fn narrow_to(s: &mut AppState, field: &str, value: &str) -> Vec<Effect> {
    let term = format!("{field}:{}", crate::store::quote(value));
    let current = s.query.trim();
    s.query = if current.is_empty() || current == "*" {
        term
    } else {
        format!("({current}) AND {term}")
    };
    s.focus = Pane::Results;
    set_status(
        s,
        format!("narrowed to {}", escape_control(&s.query)),
        false,
    );
    new_search(s)
}

/// The Facets pane of the counts of one field.
fn facets_report(f: &crate::store::Facets) -> PaneReport {
    let pct = |n: u64| {
        if f.matches == 0 {
            0.0
        } else {
            n as f64 * 100.0 / f.matches as f64
        }
    };
    let row = |text: String, target: RowTarget| ReportRow {
        text: escape_control(&text).into_owned(),
        level: Severity::Info,
        jump: None,
        target,
    };
    let mut rows: Vec<ReportRow> = f
        .values
        .iter()
        .map(|(value, n)| {
            // A masked value cannot be searched for: it names no event.
            let target = if value.contains(crate::privacy::MASK) {
                RowTarget::None
            } else {
                RowTarget::Facet {
                    field: f.field.clone(),
                    value: value.clone(),
                }
            };
            row(format!("{n:>9}  {:>5.1}%  {value}", pct(*n)), target)
        })
        .collect();
    if f.others > 0 {
        rows.push(row(
            format!(
                "{:>9}  {:>5.1}%  ({} other values)",
                f.others,
                pct(f.others),
                f.distinct.saturating_sub(f.values.len() as u64)
            ),
            RowTarget::None,
        ));
    }
    if f.missing > 0 {
        rows.push(row(
            format!(
                "{:>9}  {:>5.1}%  (no {})",
                f.missing,
                pct(f.missing),
                f.field
            ),
            RowTarget::None,
        ));
    }
    PaneReport {
        heading: format!(
            "{}: {} distinct value(s) in {} matching event(s); Enter narrows the query, :facets FIELD counts another",
            f.field, f.distinct, f.matches
        ),
        rows,
    }
}

/// Shows the events of a report row: the view it leaves is remembered for `jump_back`.
fn jump_to(s: &mut AppState, jump: Jump) -> Vec<Effect> {
    if s.back.len() == MAX_BACK {
        s.back.remove(0);
    }
    s.back.push(Back {
        query: std::mem::take(&mut s.query),
        jump: s.jump.take(),
        from: s.from,
        to: s.to,
        selected: s.selected_hit().map(key_of),
        focus: s.focus,
        report_cursor: s.report_cursor,
    });
    set_status(
        s,
        format!("showing {} (Backspace: back)", escape_control(&jump.label)),
        false,
    );
    s.jump = Some(jump);
    s.from = None;
    s.to = None;
    s.focus = Pane::Results;
    new_search(s)
}

/// Returns to the view the last jump left, its selected event back in view.
fn jump_back(s: &mut AppState) -> Vec<Effect> {
    let Some(b) = s.back.pop() else {
        if s.jump.take().is_some() {
            set_status(s, "jump cleared", false);
            return new_search(s);
        }
        set_status(s, "no jump to go back from", false);
        return vec![];
    };
    s.query = b.query;
    s.jump = b.jump;
    s.from = b.from;
    s.to = b.to;
    s.focus = b.focus;
    s.report_cursor = b.report_cursor;
    set_status(s, "back", false);
    let mut effects = new_search(s);
    if let Some((t, o)) = b.selected {
        effects.extend(locate(s, LocateTarget::Return(t, o)));
    }
    effects
}

fn open(s: &mut AppState) -> Vec<Effect> {
    match s.focus {
        Pane::Results | Pane::Detail => {
            s.detail_scroll = Scroll::Top(0);
            focus(s, Pane::Detail)
        }
        Pane::Timeline => select_range(s),
        Pane::Integrity
        | Pane::Lineage
        | Pane::Alerts
        | Pane::Facets
        | Pane::Log
        | Pane::Case
        | Pane::Compliance => {
            let row = s
                .report_of(s.focus)
                .and_then(|r| r.rows.get(s.report_cursor));
            if let Some(RowTarget::Facet { field, value }) = row.map(|r| r.target.clone()) {
                return narrow_to(s, &field, &value);
            }
            let jump = row.and_then(|r| r.jump.clone());
            match jump {
                Some(j) => jump_to(s, j),
                None => vec![],
            }
        }
    }
}
