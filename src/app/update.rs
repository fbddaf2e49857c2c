//! `update`: the pure heart of the explorer. Applies one `Action` to the `AppState` and
//! returns the `Effect`s to carry out. No I/O, no clock: time comes in through `Tick`.

use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::action::Action;
use super::effect::{Effect, Job, LocateTarget};
use super::state::{AppState, Mode, Pane, PaneReport, Phase, Related, Status, Tz, key_of};
use crate::index::{SearchRequest, SortOrder};
use crate::model::{escape_control, parse_time_str};

/// Hits fetched per window.
pub const WINDOW: u64 = 256;
/// Refetch when the selection comes this close to a window edge.
pub const MARGIN: u64 = 48;
/// Quiet time after a keystroke before the query runs.
const DEBOUNCE: Duration = Duration::from_millis(60);
/// Integrity statuses that are problems (spec/bundle-format.md, record level).
const BAD_INTEGRITY: &[&str] = &[
    "modified",
    "replaced",
    "inserted",
    "duplicate",
    "reordered",
    "appended_unsigned",
    "foreign_stream",
    "malformed",
    "unverified",
];

/// The query selecting "problems": errors, critical events, records whose integrity is
/// not verified (alerts join this once they exist).
pub fn problem_query() -> String {
    let mut parts = vec!["severity:error".to_owned(), "severity:critical".to_owned()];
    parts.extend(BAD_INTEGRITY.iter().map(|s| format!("integrity:{s}")));
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

fn request(s: &AppState, query: &str, offset: u64, limit: u64) -> SearchRequest {
    SearchRequest {
        query: query.to_owned(),
        from: s.from,
        to: s.to,
        limit: limit as usize,
        offset: offset as usize,
        order: SortOrder::NewestFirst,
    }
}

/// A new query or filter: first window, new timeline.
fn new_search(s: &mut AppState) -> Vec<Effect> {
    s.query_dirty = false;
    s.debounce = None;
    if !s.index_ready {
        return vec![];
    }
    s.last_search_at = s.now;
    s.selected = 0;
    s.detail_scroll = 0;
    s.search_gen += 1;
    s.requested_query = s.query.clone();
    s.want_offset = Some(0);
    let page = Job::Page {
        generation: s.search_gen,
        request: request(s, &s.query, 0, WINDOW),
    };
    vec![Effect::Run(page), hist_effect(s)]
}

/// After a commit: reload, refetch the current window and the timeline.
fn refresh(s: &mut AppState) -> Vec<Effect> {
    if !s.index_ready {
        return vec![Effect::ReloadReader];
    }
    s.search_gen += 1;
    let offset = s.window.offset;
    s.want_offset = Some(offset);
    let page = Job::Page {
        generation: s.search_gen,
        request: request(s, &s.requested_query, offset, WINDOW),
    };
    vec![Effect::ReloadReader, Effect::Run(page), hist_effect(s)]
}

fn hist_effect(s: &mut AppState) -> Effect {
    s.hist_gen += 1;
    Effect::Run(Job::Histogram {
        generation: s.hist_gen,
        request: request(s, &s.requested_query, 0, 0),
        view: s.timeline.view,
        buckets: usize::from(s.size.0.saturating_sub(2).max(10)),
    })
}

fn move_or_scroll(s: &mut AppState, delta: i64) -> Vec<Effect> {
    if s.mode == Mode::Help {
        let v = i64::from(s.help_scroll) + delta;
        s.help_scroll = v.clamp(0, i64::from(u16::MAX)) as u16;
        return vec![];
    }
    match s.focus {
        Pane::Detail => {
            let v = i64::from(s.detail_scroll) + delta;
            s.detail_scroll = v.clamp(0, i64::from(u16::MAX)) as u16;
            vec![]
        }
        Pane::Timeline => timeline_step(s, delta.signum()),
        Pane::Integrity | Pane::Lineage | Pane::Alerts => {
            let v = s.report_cursor as i64 + delta;
            s.report_cursor = v.max(0) as usize;
            vec![]
        }
        Pane::Results => {
            let target = (s.selected as i64 + delta).clamp(0, s.total.saturating_sub(1) as i64);
            move_to(s, target as u64)
        }
    }
}

/// Selects position `pos` and makes sure the window around it is fetched.
fn move_to(s: &mut AppState, pos: u64) -> Vec<Effect> {
    s.selected = pos.min(s.total.saturating_sub(1));
    s.detail_scroll = 0;
    let mut fx = Vec::new();
    if s.total > 0 && s.index_ready {
        let lo = s.selected.saturating_sub(MARGIN);
        let hi = (s.selected + MARGIN).min(s.total);
        let have_lo = s.window.offset;
        let have_hi = s.window.offset + s.window.hits.len() as u64;
        if lo < have_lo || hi > have_hi {
            let max_off = s.total.saturating_sub(WINDOW);
            let off = s.selected.saturating_sub(WINDOW / 2).min(max_off);
            if s.want_offset != Some(off) {
                s.search_gen += 1;
                s.want_offset = Some(off);
                fx.push(Effect::Run(Job::Page {
                    generation: s.search_gen,
                    request: request(s, &s.requested_query, off, WINDOW),
                }));
            }
        }
    }
    fx.extend(related_effect(s));
    fx
}

/// When the detail view shows an event, fetch its related events once.
fn related_effect(s: &mut AppState) -> Option<Effect> {
    // The detail view is visible when focused, or beside the results on wide terminals.
    let side_by_side = s.size.0 >= 100 && s.size.1 >= 30 && !s.maximised;
    let visible = s.focus == Pane::Detail
        || side_by_side && matches!(s.focus, Pane::Results | Pane::Timeline);
    if !visible {
        return None;
    }
    let hit = s.selected_hit()?;
    if s.related.as_ref().is_some_and(|r| r.ord == hit.ord) {
        return None;
    }
    let ord = hit.ord;
    let safe = |v: &str| !v.is_empty() && !v.contains(['"', '\\']);
    let mut parts = Vec::new();
    if let Some(r) = hit.event.run_id.as_deref().filter(|v| safe(v)) {
        parts.push(format!("run_id:\"{r}\""));
    }
    if let Some(c) = hit.event.correlation_id.as_deref().filter(|v| safe(v)) {
        parts.push(format!("correlation_id:\"{c}\""));
    }
    if parts.is_empty() {
        s.related = Some(Related {
            ord,
            query: String::new(),
            total: 0,
            hits: Vec::new(),
        });
        return None;
    }
    s.related_gen += 1;
    Some(Effect::Run(Job::Related {
        generation: s.related_gen,
        ord,
        query: parts.join(" OR "),
    }))
}

/// The model a lineage heading row names (`model ID: ...`).
fn heading_model(text: &str) -> Option<&str> {
    text.strip_prefix("model ")?.split(':').next()
}

/// The lineage rows shown: collapsed models keep only their heading.
fn visible_lineage(
    full: Option<&PaneReport>,
    collapsed: &std::collections::BTreeSet<String>,
) -> Option<PaneReport> {
    let full = full?;
    let mut rows = Vec::with_capacity(full.rows.len());
    let mut hiding = false;
    for r in &full.rows {
        if let Some(m) = heading_model(&r.text) {
            hiding = collapsed.contains(m);
            let mut head = r.clone();
            if hiding {
                head.text.push_str("  [collapsed: c expands]");
            }
            rows.push(head);
        } else if !hiding {
            rows.push(r.clone());
        }
    }
    Some(PaneReport {
        heading: full.heading.clone(),
        rows,
    })
}

/// Collapses or expands the model tree under the lineage cursor; the cursor stays on its
/// heading.
fn toggle_collapse(s: &mut AppState) -> Vec<Effect> {
    if s.focus != Pane::Lineage {
        return vec![];
    }
    let Some(shown) = &s.lineage else {
        return vec![];
    };
    let upto = s.report_cursor.min(shown.rows.len().saturating_sub(1));
    let Some(model) = shown.rows[..=upto.min(shown.rows.len().saturating_sub(1))]
        .iter()
        .rev()
        .find_map(|r| heading_model(&r.text))
        .map(str::to_owned)
    else {
        return vec![];
    };
    if !s.collapsed.remove(&model) {
        s.collapsed.insert(model.clone());
    }
    s.lineage = visible_lineage(s.lineage_full.as_ref(), &s.collapsed);
    let head = format!("model {model}:");
    if let Some(i) = s
        .lineage
        .as_ref()
        .and_then(|r| r.rows.iter().position(|x| x.text.starts_with(&head)))
    {
        s.report_cursor = i;
    }
    vec![]
}

/// Focuses the lineage pane on the selected event's model: the row of its version when
/// there is one, else the model's first row.
fn show_lineage(s: &mut AppState) -> Vec<Effect> {
    let Some(model) = s.selected_hit().and_then(|h| h.event.model.clone()) else {
        set_status(s, "this event names no model", false);
        return vec![];
    };
    let fx = focus(s, Pane::Lineage);
    if s.collapsed.remove(&model.id) {
        s.lineage = visible_lineage(s.lineage_full.as_ref(), &s.collapsed);
    }
    let Some(report) = &s.lineage else { return fx };
    let head = format!("model {}:", model.id);
    let Some(start) = report.rows.iter().position(|r| r.text.starts_with(&head)) else {
        set_status(s, format!("no lineage for model {}", model.id), false);
        return fx;
    };
    let version_row = model.version.as_ref().and_then(|v| {
        let line = format!("version {v}");
        report.rows[start + 1..]
            .iter()
            .take_while(|r| !r.text.starts_with("model "))
            .position(|r| r.text.trim_start().split("  ").next() == Some(line.as_str()))
            .map(|i| start + 1 + i)
    });
    s.report_cursor = version_row.unwrap_or(start);
    fx
}

fn focus(s: &mut AppState, pane: Pane) -> Vec<Effect> {
    s.focus = pane;
    s.report_cursor = 0;
    related_effect(s).into_iter().collect()
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
                Some(q) => {
                    s.query = q;
                    s.focus = Pane::Results;
                    new_search(s)
                }
                None => vec![],
            }
        }
    }
}

fn locate(s: &mut AppState, target: LocateTarget) -> Vec<Effect> {
    if !s.index_ready {
        return vec![];
    }
    s.locate_gen += 1;
    vec![Effect::Run(Job::Locate {
        generation: s.locate_gen,
        request: request(s, &s.requested_query, 0, 1),
        target,
    })]
}

fn locate_problem(s: &mut AppState, down: bool) -> Vec<Effect> {
    let from = match s.selected_hit() {
        Some(h) => key_of(h),
        None if down => (i64::MAX, u64::MAX),
        None => return vec![],
    };
    let extra = s.alert_evidence.clone();
    locate(s, LocateTarget::Problem { down, from, extra })
}

fn next_mark(s: &mut AppState, down: bool) -> Vec<Effect> {
    let Some(cur) = s.selected_hit().map(key_of) else {
        return vec![];
    };
    // The list is newest first: "down" means an older key.
    let found = if down {
        s.marks.range(..cur).next_back().copied()
    } else {
        s.marks
            .range((std::ops::Bound::Excluded(cur), std::ops::Bound::Unbounded))
            .next()
            .copied()
    };
    if let Some((t, o)) = found {
        locate(s, LocateTarget::Event(t, o))
    } else {
        set_status(s, "no more marks in that direction", false);
        vec![]
    }
}

fn timeline_step(s: &mut AppState, delta: i64) -> Vec<Effect> {
    if s.focus != Pane::Timeline {
        return vec![];
    }
    let Some(h) = &s.histogram else {
        return vec![];
    };
    let n = h.counts.len();
    let c = s.timeline.cursor as i64 + delta;
    if c >= 0 && (c as usize) < n {
        s.timeline.cursor = c as usize;
        return vec![];
    }
    // Past an edge: pan by a quarter of the view.
    let (start, end) = (h.start_ms, h.end_ms());
    let shift = ((end - start) / 4).max(h.bucket_ms) * delta.signum();
    s.timeline.view = Some((start + shift, end + shift));
    s.timeline.anchor = None;
    vec![hist_effect(s)]
}

fn zoom(s: &mut AppState, factor: f64) -> Vec<Effect> {
    let Some(h) = &s.histogram else {
        return vec![];
    };
    if h.counts.is_empty() {
        return vec![];
    }
    let span = (h.end_ms() - h.start_ms) as f64;
    let cursor = s.timeline.cursor.min(h.counts.len() - 1) as i64;
    let center = h.start_ms + cursor * h.bucket_ms + h.bucket_ms / 2;
    let new_span = (span * factor).max(10_000.0) as i64;
    if factor > 1.0 && s.timeline.view.is_none() {
        set_status(s, "timeline: showing everything", false);
        return vec![];
    }
    s.timeline.view = Some((center - new_span / 2, center + new_span / 2));
    s.timeline.cursor = usize::MAX;
    s.timeline.anchor = None;
    vec![hist_effect(s)]
}

fn select_range(s: &mut AppState) -> Vec<Effect> {
    let Some(h) = &s.histogram else {
        return vec![];
    };
    if h.counts.is_empty() {
        return vec![];
    }
    let cursor = s.timeline.cursor.min(h.counts.len() - 1);
    let Some(anchor) = s.timeline.anchor else {
        s.timeline.anchor = Some(cursor);
        set_status(
            s,
            "timeline: move to the other end of the range, then v or Enter",
            false,
        );
        return vec![];
    };
    let (a, b) = (anchor.min(cursor) as i64, anchor.max(cursor) as i64);
    let from = h.start_ms + a * h.bucket_ms;
    let to = h.start_ms + (b + 1) * h.bucket_ms;
    s.from = DateTime::from_timestamp_millis(from);
    s.to = DateTime::from_timestamp_millis(to);
    s.timeline.anchor = None;
    s.timeline.view = None;
    s.timeline.cursor = usize::MAX;
    new_search(s)
}

fn parse_ts(arg: &str) -> Option<DateTime<Utc>> {
    parse_time_str(arg.trim()).map(|t| t.ts)
}

/// `:from`, `:to`, `:tz`, `:export`, `:goto`, `:clear`, `:q`.
fn run_command(s: &mut AppState, line: &str) -> Vec<Effect> {
    let line = line.trim();
    let (cmd, arg) = line.split_once(' ').unwrap_or((line, ""));
    let arg = arg.trim();
    let clear = matches!(arg, "" | "-" | "none" | "any");
    match cmd {
        "from" | "to" => {
            let value = if clear {
                None
            } else if let Some(t) = parse_ts(arg) {
                Some(t)
            } else {
                set_status(
                    s,
                    format!(":{cmd}: cannot read `{arg}` as a time (RFC 3339)"),
                    true,
                );
                return vec![];
            };
            if cmd == "from" {
                s.from = value;
            } else {
                s.to = value;
            }
            s.timeline.view = None;
            new_search(s)
        }
        "tz" => {
            match arg {
                "utc" | "UTC" => s.tz = Tz::Utc,
                "local" => s.tz = Tz::Local,
                _ => set_status(s, ":tz takes utc or local", true),
            }
            vec![]
        }
        "goto" => {
            if let Some(t) = parse_ts(arg) {
                locate(s, LocateTarget::Time(t.timestamp_millis()))
            } else {
                set_status(
                    s,
                    format!(":goto: cannot read `{arg}` as a time (RFC 3339)"),
                    true,
                );
                vec![]
            }
        }
        "export" => {
            if arg.is_empty() {
                set_status(s, ":export needs a file name", true);
                return vec![];
            }
            set_status(s, format!("exporting to {arg}..."), false);
            vec![Effect::Export {
                path: PathBuf::from(arg),
                request: request(s, &s.requested_query, 0, 0),
            }]
        }
        "clear" => {
            s.from = None;
            s.to = None;
            s.query.clear();
            s.timeline = super::state::TimelineState::default();
            new_search(s)
        }
        "q" | "quit" => {
            s.quit = true;
            vec![Effect::Quit]
        }
        "" => vec![],
        other => {
            set_status(
                s,
                format!(
                    "unknown command :{other} (try :from, :to, :tz, :export, :goto, :clear, :q)"
                ),
                true,
            );
            vec![]
        }
    }
}
