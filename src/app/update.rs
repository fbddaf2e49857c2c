//! `update`: the pure heart of the explorer. Applies one `Action` to the `AppState` and
//! returns the `Effect`s to carry out. No I/O, no clock: time comes in through `Tick`.
//!
//! The handlers live beside it: `fetch` (page, timeline and related-events requests),
//! `navigate` (moving the selection, marks, problems), `timeline` (pan, zoom, ranges),
//! `lineage` (collapsing and focusing trees) and `command` (the `:` command line).

mod command;
mod fetch;
mod lineage;
mod navigate;
mod timeline;

use std::time::Duration;

use super::action::Action;
use super::effect::{Effect, LocateTarget};
use super::state::{AppState, Back, MAX_BACK, Mode, Pane, Phase, Related, Status, key_of};
use crate::model::{RecordStatus, escape_control};
use crate::store::Jump;
use command::run_command;
use fetch::{hist_effect, new_search, refresh, related_effect, request};
use lineage::{show_lineage, toggle_collapse, visible_lineage};
use navigate::{locate, locate_problem, move_or_scroll, move_to, next_mark};
use timeline::{select_range, timeline_step, zoom};

/// Hits fetched per window.
pub const WINDOW: u64 = 256;
/// Refetch when the selection comes this close to a window edge.
pub const MARGIN: u64 = 48;
/// Quiet time after a keystroke before the query runs.
const DEBOUNCE: Duration = Duration::from_millis(60);
/// The query selecting "problems": errors, critical events, records whose integrity is
/// not verified (alerts join this once they exist).
pub fn problem_query() -> String {
    let mut parts = vec!["severity:error".to_owned(), "severity:critical".to_owned()];
    // Every record status but verified is a problem (spec/bundle-format.md, record level).
    parts.extend(
        RecordStatus::ALL
            .into_iter()
            .filter(|s| *s != RecordStatus::Verified)
            .map(|s| format!("integrity:{}", s.lower())),
    );
    parts.join(" OR ")
}

/// Applies `action` to `s`; returns what must be done.
#[allow(clippy::too_many_lines)]
pub fn update(s: &mut AppState, action: Action) -> Vec<Effect> {
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
            if let Some(p) = pos.filter(|p| *p < s.total) {
                fx.extend(move_to(s, p));
            }
            fx
        }
        Action::Top => match s.focus {
            Pane::Detail => {
                s.detail_scroll = 0;
                vec![]
            }
            _ => move_to(s, 0),
        },
        Action::Bottom => move_to(s, s.total.saturating_sub(1)),
        Action::Left => timeline_step(s, -1),
        Action::Right => timeline_step(s, 1),
        Action::FocusSearch => {
            s.mode = Mode::Search;
            vec![]
        }
        Action::FocusCommand => {
            s.mode = Mode::Command;
            s.command.clear();
            vec![]
        }
        Action::Submit => match s.mode {
            Mode::Search => {
                s.mode = Mode::Normal;
                new_search(s)
            }
            Mode::Command => {
                s.mode = Mode::Normal;
                let line = std::mem::take(&mut s.command);
                run_command(s, &line)
            }
            Mode::Normal | Mode::Help => vec![],
        },
        Action::Leave => match s.mode {
            Mode::Search => {
                s.mode = Mode::Normal;
                if s.query_dirty { new_search(s) } else { vec![] }
            }
            Mode::Command | Mode::Help => {
                s.mode = Mode::Normal;
                s.command.clear();
                vec![]
            }
            Mode::Normal => vec![],
        },
        Action::InsertChar(c) => edit(s, |t| t.push(c)),
        Action::Backspace => edit(s, |t| {
            t.pop();
        }),
        Action::ClearInput => edit(s, String::clear),
        Action::SetQuery(q) => {
            s.query = q;
            new_search(s)
        }
        Action::OpenDetail => open(s),
        Action::Back => {
            if s.mode == Mode::Help {
                s.mode = Mode::Normal;
            } else if s.timeline.anchor.is_some() {
                s.timeline.anchor = None;
            } else if s.maximised {
                s.maximised = false;
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
        Action::NextProblem => locate_problem(s, true),
        Action::ShowLineage => show_lineage(s),
        Action::ToggleCollapse => toggle_collapse(s),
        Action::PrevProblem => locate_problem(s, false),
        Action::Mark => {
            if let Some(k) = s.selected_hit().map(key_of) {
                if !s.marks.remove(&k) {
                    s.marks.insert(k);
                }
                set_status(s, format!("{} mark(s)", s.marks.len()), false);
            }
            vec![]
        }
        Action::NextMark => next_mark(s, true),
        Action::PrevMark => next_mark(s, false),
        Action::ZoomIn => zoom(s, 0.5),
        Action::ZoomOut => zoom(s, 2.0),
        Action::SelectRange => select_range(s),
        Action::ClearRange => {
            s.from = None;
            s.to = None;
            s.timeline = super::state::TimelineState::default();
            new_search(s)
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
                s.help_scroll = 0;
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
        Action::IndexOpened { complete } => {
            s.index_ready = true;
            s.progress.phase = if complete {
                Phase::Ready
            } else {
                Phase::Indexing
            };
            s.progress.reused = complete;
            new_search(s)
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
            s.progress.events = events;
            s.progress.visible = events;
            s.progress.errors = errors;
            s.progress.skipped = skipped;
            s.progress.reused = reused;
            s.load_errors = problems;
            if !s.index_ready {
                // The growing index could not be opened (a very short build): start now.
                s.index_ready = true;
                new_search(s)
            } else if reused {
                vec![]
            } else {
                refresh(s)
            }
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
                    related_effect(s).into_iter().collect()
                }
                Err(e) => {
                    // Keep the previous results, and a timeline that matches them.
                    s.requested_query.clone_from(&s.shown_query);
                    s.query_error = Some(e);
                    vec![hist_effect(s)]
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
                    Err(e) if e.starts_with("query error") => {}
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
                set_status(s, what, false);
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
                        "exported {n} events to {}",
                        escape_control(&p.display().to_string())
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
            }
            set_status(s, m, true);
            vec![]
        }
        Action::Tick(now) => {
            s.now = Some(now);
            let due = s.query_dirty && s.debounce.is_none_or(|d| now >= d);
            if due { new_search(s) } else { vec![] }
        }
    }
}

fn set_status(s: &mut AppState, text: impl AsRef<str>, error: bool) {
    s.status = Some(Status {
        text: escape_control(text.as_ref()).into_owned(),
        error,
    });
}

/// Edits the input line. In the search bar the query runs as you type, debounced on both
/// edges: a keystroke after a quiet spell searches at once; keystrokes closer together than
/// `DEBOUNCE` to the last search are coalesced into one search when the spell ends.
fn edit(s: &mut AppState, f: impl FnOnce(&mut String)) -> Vec<Effect> {
    match s.mode {
        Mode::Search => {
            f(&mut s.query);
            s.query_dirty = true;
            let quiet = match (s.now, s.last_search_at) {
                (Some(now), Some(last)) => now >= last + DEBOUNCE,
                (_, None) => true,
                (None, Some(_)) => false,
            };
            if quiet && s.debounce.is_none() {
                new_search(s)
            } else {
                let base = s.last_search_at.or(s.now);
                s.debounce = base.map(|b| b + DEBOUNCE);
                vec![]
            }
        }
        Mode::Command => {
            f(&mut s.command);
            vec![]
        }
        Mode::Normal | Mode::Help => vec![],
    }
}

/// Rows a page step moves.
fn page_rows(s: &AppState) -> i64 {
    i64::from(s.size.1.saturating_sub(12).max(5))
}

fn focus(s: &mut AppState, pane: Pane) -> Vec<Effect> {
    s.focus = pane;
    s.report_cursor = 0;
    related_effect(s).into_iter().collect()
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
        effects.extend(locate(s, LocateTarget::Event(t, o)));
    }
    effects
}

fn open(s: &mut AppState) -> Vec<Effect> {
    match s.focus {
        Pane::Results | Pane::Detail => {
            s.detail_scroll = 0;
            focus(s, Pane::Detail)
        }
        Pane::Timeline => select_range(s),
        Pane::Integrity | Pane::Lineage | Pane::Alerts => {
            let report = match s.focus {
                Pane::Integrity => s.integrity.as_ref(),
                Pane::Lineage => s.lineage.as_ref(),
                _ => s.alerts.as_ref(),
            };
            let jump = report
                .and_then(|r| r.rows.get(s.report_cursor))
                .and_then(|r| r.jump.clone());
            match jump {
                Some(j) => jump_to(s, j),
                None => vec![],
            }
        }
    }
}
