//! Find-in-view (`*` / `:find`, `n` / `N`), the context view (`C` / `:context N`), count
//! prefixes (`5j`, `10l`, `3G`), relative time ranges (`:last 24h`, `:from -7d`) clamped to
//! the data, and the Log pane (load problems and every status message, `:messages`).
//!
//! Allowed imports: `super` (the update helpers), `app` (state, effects, find, messages),
//! `model`, `store` (filters and jumps).

use chrono::DateTime;

use super::navigate::{locate, move_or_scroll, move_to};
use super::{WINDOW, jump_to, new_search, page_rows, request, set_status, sideways};
use crate::app::action::Action;
use crate::app::effect::{Effect, Job, LocateTarget};
use crate::app::find::{Find, within};
use crate::app::messages::LoadProblem;
use crate::app::state::{AppState, Mode, Pane, PaneReport, ReportRow, RowTarget, key_of};
use crate::model::{Severity, Tz, escape_control, format_ts};
use crate::store::{Filter, Jump};

/// Events each side of the selection in the context view, unless a count says otherwise.
pub const CONTEXT: usize = 5;
/// The largest count prefix.
const MAX_COUNT: u32 = 99_999;
/// Lines either side of a load problem that Enter on it shows.
const AROUND_PROBLEM: u64 = 5;

// ---------------------------------------------------------------- find

/// `*`: the command line, ready for `:find `.
pub(super) fn find_prompt(s: &mut AppState) -> Vec<Effect> {
    s.mode = Mode::Command;
    s.command.set("find ");
    vec![]
}

/// `:find TEXT` starts a find in the current view; `:find` alone ends it.
pub(super) fn set_find(s: &mut AppState, text: &str) -> Vec<Effect> {
    let text = text.trim();
    if text.is_empty() || text == "-" {
        s.find = None;
        set_status(s, "find cleared", false);
        return vec![];
    }
    s.find = Some(Find::new(text));
    set_status(
        s,
        format!("find `{text}`: n next, N previous, :find alone clears"),
        false,
    );
    let mut fx: Vec<Effect> = find_lookup(s).into_iter().collect();
    // Go to the first match from here, as a find does.
    fx.extend(next_find(s, !s.oldest_first));
    fx
}

/// Asks which events of the fetched window match the find (when the window changed).
pub(super) fn find_lookup(s: &mut AppState) -> Option<Effect> {
    let find = s.find.as_ref()?;
    let (first, last) = (s.window.hits.first()?, s.window.hits.last()?);
    let here = (s.window.offset, s.window.hits.len());
    if find.looked_up == Some(here) {
        return None;
    }
    let (first, last) = (key_of(first), key_of(last));
    let query = within(&s.requested_query, &find.query);
    let len = s.window.hits.len();
    s.find_gen += 1;
    let req = request(s, &query, 0, WINDOW);
    if let Some(f) = s.find.as_mut() {
        f.looked_up = Some(here);
    }
    Some(Effect::Run(Job::FindMatches {
        generation: s.find_gen,
        request: req,
        first,
        last,
        len,
    }))
}

/// The find's matches arrived.
pub(super) fn find_done(
    s: &mut AppState,
    generation: u64,
    result: Result<(u64, Vec<u64>), String>,
) -> Vec<Effect> {
    if generation != s.find_gen {
        return vec![];
    }
    match result {
        Ok((total, ords)) => {
            if let Some(f) = s.find.as_mut() {
                f.total = Some(total);
                f.ords = ords.into_iter().collect();
            }
        }
        Err(e) => {
            let q = s.find.take().map(|f| f.query).unwrap_or_default();
            set_status(s, format!("find `{q}` refused: {e}"), true);
        }
    }
    vec![]
}

/// `n` / `N`: the next or previous match anywhere in the list (wrapping).
pub(super) fn next_find(s: &mut AppState, down: bool) -> Vec<Effect> {
    next_find_n(s, down, 1)
}

/// `3n`: the third match on.
fn next_find_n(s: &mut AppState, down: bool, step: u64) -> Vec<Effect> {
    let Some(find) = s.find.as_ref().map(|f| f.query.clone()) else {
        set_status(
            s,
            "no find: * or :find TEXT finds in the view (' and \" walk the marks)",
            false,
        );
        return vec![];
    };
    let from = s.selected_hit().map(key_of);
    locate(
        s,
        LocateTarget::Find {
            down,
            from,
            find,
            step,
        },
    )
}

/// The window changed: the find's matches there are not known yet.
pub(super) fn window_changed(s: &mut AppState) -> Option<Effect> {
    if let Some(f) = s.find.as_mut() {
        f.looked_up = None;
        f.ords.clear();
    }
    find_lookup(s)
}

/// After a filter was applied, restored or dropped: the event selected before stays
/// selected (or the nearest one), mid-view with its neighbours.
pub(super) fn keep_selection(s: &mut AppState) -> Vec<Effect> {
    match s.kept.take() {
        Some((t, o)) => locate(s, LocateTarget::Keep(t, o)),
        None => vec![],
    }
}

// ---------------------------------------------------------------- context

/// `C` / `:context N`: the events just before and after the selection in its input.
pub(super) fn context(s: &mut AppState, n: Option<usize>) -> Vec<Effect> {
    let Some(hit) = s.selected_hit() else {
        set_status(s, "context: select an event first", false);
        return vec![];
    };
    if !s.index_ready {
        return vec![];
    }
    let key = key_of(hit);
    let path = hit.event.origin.path.clone();
    let what = format!("{} at {}", hit.event.action, format_ts(hit.event.ts, s.tz));
    s.locate_gen += 1;
    vec![Effect::Run(Job::Context {
        generation: s.locate_gen,
        key,
        path,
        what,
        n: n.unwrap_or(CONTEXT).clamp(1, 500),
    })]
}

/// The context arrived: shown as a jump (Backspace goes back), the event still selected.
pub(super) fn context_done(
    s: &mut AppState,
    generation: u64,
    key: (i64, u64),
    result: Result<(Vec<u64>, String), String>,
) -> Vec<Effect> {
    if generation != s.locate_gen {
        return vec![];
    }
    match result {
        Ok((ords, label)) => {
            let mut fx = jump_to(
                s,
                Jump {
                    label,
                    filter: Filter::Ords(ords),
                },
            );
            fx.extend(locate(s, LocateTarget::Return(key.0, key.1)));
            fx
        }
        Err(e) => {
            set_status(s, format!("context: {e}"), true);
            vec![]
        }
    }
}

// ---------------------------------------------------------------- counts

/// What an action does with a pending count.
enum Counted {
    /// Takes it.
    Use,
    /// Leaves it pending (not a key, or the count itself).
    Keep,
    /// Drops it (another key).
    Drop,
}

#[allow(clippy::match_same_arms)]
fn counted(a: &Action) -> Counted {
    match a {
        Action::MoveUp
        | Action::MoveDown
        | Action::PageUp
        | Action::PageDown
        | Action::Left
        | Action::Right
        | Action::Top
        | Action::Bottom
        | Action::Context
        | Action::NextFind
        | Action::PrevFind => Counted::Use,
        Action::Count(_)
        | Action::Tick(_)
        | Action::Resize(..)
        | Action::IndexOpened { .. }
        | Action::IndexProgress(_)
        | Action::Committed { .. }
        | Action::IndexDone { .. }
        | Action::ReportsReady(_)
        | Action::PageDone { .. }
        | Action::HistogramDone { .. }
        | Action::FacetsDone { .. }
        | Action::RelatedDone { .. }
        | Action::Located { .. }
        | Action::Exported(_)
        | Action::WorkerFailed(_)
        | Action::Notice(_)
        | Action::FindDone { .. }
        | Action::ContextDone { .. }
        | Action::SpanDone { .. }
        | Action::LoadProblems(_)
        | Action::FollowUpdate { .. }
        | Action::FollowStopped(_)
        | Action::BundleDigest(_)
        | Action::CaseLoaded(_)
        | Action::CaseSaveFailed(_)
        | Action::ReportWritten(_)
        | Action::ComplianceDone { .. } => Counted::Keep,
        Action::Annotate
        | Action::ShowCase
        | Action::Follow
        | Action::Quit
        | Action::Scroll(_)
        | Action::Click(..)
        | Action::FocusSearch
        | Action::FocusCommand
        | Action::Submit
        | Action::Leave
        | Action::InsertChar(_)
        | Action::Backspace
        | Action::ClearInput
        | Action::DeleteForward
        | Action::DeleteWord
        | Action::CursorLeft
        | Action::CursorRight
        | Action::LineStart
        | Action::LineEnd
        | Action::HistoryPrev
        | Action::HistoryNext
        | Action::Complete
        | Action::ToggleOrder
        | Action::ToggleWrap
        | Action::SetQuery(_)
        | Action::OpenDetail
        | Action::Back
        | Action::JumpBack
        | Action::NextPane
        | Action::PrevPane
        | Action::Maximise
        | Action::NextProblem
        | Action::ShowLineage
        | Action::ToggleCollapse
        | Action::PrevProblem
        | Action::Mark
        | Action::NextMark
        | Action::PrevMark
        | Action::ZoomIn
        | Action::ZoomOut
        | Action::SelectRange
        | Action::ClearRange
        | Action::Copy
        | Action::Help
        | Action::FindPrompt
        | Action::ToggleLogScale => Counted::Drop,
    }
}

/// A digit of a count prefix.
pub(super) fn count_digit(s: &mut AppState, d: u8) -> Vec<Effect> {
    if s.mode != Mode::Normal {
        return vec![];
    }
    let n = s
        .count
        .unwrap_or(0)
        .saturating_mul(10)
        .saturating_add(u32::from(d))
        .min(MAX_COUNT);
    s.count = (n > 0).then_some(n);
    if let Some(n) = s.count {
        set_status(
            s,
            format!(
                "count {n}: j k h l n N move that far, G goes to the {n}th, C shows {n} either side"
            ),
            false,
        );
    }
    vec![]
}

/// Applies a pending count to `a` when it takes one: `Some(effects)` when handled here.
pub(super) fn with_count(s: &mut AppState, a: &Action) -> Option<Vec<Effect>> {
    match counted(a) {
        Counted::Keep => return None,
        Counted::Drop => {
            s.count = None;
            return None;
        }
        Counted::Use => {}
    }
    let n = i64::from(s.count.take()?);
    if s.mode != Mode::Normal {
        return None;
    }
    Some(match a {
        Action::MoveDown => counted_step(s, n),
        Action::MoveUp => counted_step(s, -n),
        Action::PageDown => move_or_scroll(s, n * page_rows(s)),
        Action::PageUp => move_or_scroll(s, -n * page_rows(s)),
        Action::Right => sideways(s, n),
        Action::Left => sideways(s, -n),
        Action::Top | Action::Bottom => go_to_nth(s, n),
        Action::Context => context(s, usize::try_from(n).ok()),
        Action::NextFind => next_find_n(s, !s.oldest_first, n.unsigned_abs()),
        Action::PrevFind => next_find_n(s, s.oldest_first, n.unsigned_abs()),
        _ => return None,
    })
}

/// `5j`: the timeline's cursor moves that many buckets; elsewhere that many rows.
fn counted_step(s: &mut AppState, n: i64) -> Vec<Effect> {
    if s.focus == Pane::Timeline {
        super::timeline_step(s, n)
    } else {
        move_or_scroll(s, n)
    }
}

/// `3G`: the 3rd event of the table (or the 3rd bucket of the timeline).
fn go_to_nth(s: &mut AppState, n: i64) -> Vec<Effect> {
    let i = u64::try_from(n.max(1) - 1).unwrap_or(0);
    if s.focus == Pane::Timeline {
        let buckets = s.histogram.as_ref().map_or(0, |h| h.counts.len());
        s.timeline.cursor = usize::try_from(i)
            .unwrap_or(usize::MAX)
            .min(buckets.saturating_sub(1));
        s.one_bucket = false;
        return vec![];
    }
    let i = i.min(s.total.saturating_sub(1));
    let pos = s.display_pos(i);
    s.center_request += 1;
    move_to(s, pos)
}

/// The `:` commands of this module: `:find`, `:context`, `:last`, `:errors`, `:messages`,
/// `:logscale`; `None` for the others.
pub(super) fn run(s: &mut AppState, cmd: &str, arg: &str) -> Option<Vec<Effect>> {
    Some(match cmd {
        "last" => last(s, arg),
        "find" => set_find(s, arg),
        "context" => {
            let n = if arg.is_empty() {
                None
            } else if let Ok(n) = arg.parse::<usize>() {
                Some(n)
            } else {
                set_status(s, ":context takes a number of events (each side)", true);
                return Some(vec![]);
            };
            context(s, n)
        }
        "errors" => show_log(s, false),
        "messages" | "log" => show_log(s, true),
        "logscale" => {
            s.log_scale = !s.log_scale;
            vec![]
        }
        _ => return None,
    })
}

// ---------------------------------------------------------------- time ranges

/// Reads `7d`, `-24h`, `30m`, `90s`, `2w` as milliseconds.
pub(crate) fn parse_span(text: &str) -> Option<i64> {
    let t = text.trim().trim_start_matches(['-', '+']);
    let unit_at = t.find(|c: char| !c.is_ascii_digit())?;
    let (num, unit) = t.split_at(unit_at);
    let n: i64 = num.parse().ok()?;
    let ms = match unit.trim() {
        "s" | "sec" | "secs" => 1_000,
        "m" | "min" | "mins" => 60_000,
        "h" | "hour" | "hours" => 3_600_000,
        "d" | "day" | "days" => 86_400_000,
        "w" | "week" | "weeks" => 7 * 86_400_000,
        _ => return None,
    };
    n.checked_mul(ms).filter(|v| *v > 0)
}

/// Why a relative `:from` / `:to` value cannot be placed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub(super) enum RelativeTimeError {
    /// No event with a time has been seen: there is no latest event to count back from.
    #[error("the data's time span is not known yet (no timed events?)")]
    SpanUnknown,
}

/// A `:from` / `:to` value relative to the data's latest event (`-7d`), when it is one.
pub(super) fn relative_time(s: &AppState, arg: &str) -> Option<Result<i64, RelativeTimeError>> {
    if !arg.trim_start().starts_with('-') {
        return None;
    }
    let span = parse_span(arg)?;
    Some(match s.data_span {
        Some((_, end)) => Ok(end.saturating_sub(span)),
        None => Err(RelativeTimeError::SpanUnknown),
    })
}

/// `:last 24h`: from that long before the data's latest event to just after it.
pub(super) fn last(s: &mut AppState, arg: &str) -> Vec<Effect> {
    let Some(span) = parse_span(arg) else {
        set_status(
            s,
            format!(
                ":last takes a length such as 30m, 24h, 7d or 2w, counted back from the data's latest event (not `{}`)",
                escape_control(arg)
            ),
            true,
        );
        return vec![];
    };
    let Some((_, end)) = s.data_span else {
        set_status(
            s,
            ":last: the data's time span is not known yet (no timed events?)",
            true,
        );
        return vec![];
    };
    apply_range(
        s,
        Some(end.saturating_sub(span)),
        Some(end.saturating_add(1)),
    )
}

/// Sets the time filter to `from..to` (ms), clamped to the data; says what it is.
pub(super) fn apply_range(s: &mut AppState, from: Option<i64>, to: Option<i64>) -> Vec<Effect> {
    let (mut from, mut to) = (from, to);
    let mut clamped = false;
    if let Some((start, end)) = s.data_span {
        if from.is_some_and(|f| f < start) {
            clamped = true;
            from = Some(start);
        }
        if to.is_some_and(|t| t > end + 1) {
            clamped = true;
            to = Some(end + 1);
        }
        let (f, t) = (from.unwrap_or(start), to.unwrap_or(end + 1));
        if f >= t {
            set_status(
                s,
                format!(
                    "that range holds no data: the events run from {} to {}",
                    show(Some(start), s.tz),
                    show(Some(end), s.tz)
                ),
                true,
            );
            return vec![];
        }
    }
    s.from = from.and_then(DateTime::from_timestamp_millis);
    s.to = to.and_then(DateTime::from_timestamp_millis);
    s.timeline.view = None;
    s.timeline.anchor = None;
    s.one_bucket = false;
    set_status(
        s,
        format!(
            "time range {}{} (x clears)",
            range_text(s),
            if clamped { ", clamped to the data" } else { "" }
        ),
        false,
    );
    s.kept = s.selected_hit().map(key_of);
    let mut fx = new_search(s);
    fx.extend(keep_selection(s));
    fx
}

fn show(ms: Option<i64>, tz: Tz) -> String {
    ms.and_then(DateTime::from_timestamp_millis)
        .map_or_else(|| "\u{2026}".to_owned(), |t| format_ts(Some(t), tz))
}

/// The applied time range as text, in the display zone (`A → B`).
pub(crate) fn range_text(s: &AppState) -> String {
    format!(
        "{} \u{2192} {}",
        s.from
            .map_or_else(|| "\u{2026}".to_owned(), |t| format_ts(Some(t), s.tz)),
        s.to.map_or_else(|| "\u{2026}".to_owned(), |t| format_ts(Some(t), s.tz))
    )
}

/// Asks for the data's time span (after the index opens or grows).
pub(super) fn span_effect(s: &mut AppState) -> Option<Effect> {
    if !s.index_ready {
        return None;
    }
    s.span_gen += 1;
    Some(Effect::Run(Job::Span {
        generation: s.span_gen,
    }))
}

// ---------------------------------------------------------------- the log

/// The build's load problems arrived.
pub(super) fn load_problems(s: &mut AppState, problems: Vec<LoadProblem>) -> Vec<Effect> {
    s.load_problems = problems
        .into_iter()
        .map(|p| LoadProblem {
            path: escape_control(&p.path).into_owned(),
            line: p.line,
            reason: escape_control(&p.reason).into_owned(),
        })
        .collect();
    rebuild_log(s);
    vec![]
}

/// `:errors` / `:messages`: the Log pane, at the load problems or at the newest message.
pub(super) fn show_log(s: &mut AppState, messages: bool) -> Vec<Effect> {
    rebuild_log(s);
    s.focus = Pane::Log;
    s.report_cursor = if messages {
        s.log.rows.len().saturating_sub(1)
    } else {
        usize::from(!s.load_problems.is_empty())
    };
    vec![]
}

/// Rebuilds the Log pane from the load problems and the message log.
pub(super) fn rebuild_log(s: &mut AppState) {
    let row = |text: String, level: Severity, jump: Option<Jump>| ReportRow {
        text,
        level,
        jump,
        target: RowTarget::None,
    };
    let p = &s.progress;
    let mut rows = Vec::new();
    let kept = s.load_problems.len() as u64;
    rows.push(row(
        if p.errors == 0 && kept == 0 {
            "load problems: none".to_owned()
        } else if kept == 0 {
            format!(
                "load problems: {} ({} records skipped); auditlens stats lists them all",
                p.errors, p.skipped
            )
        } else if kept < p.errors {
            format!(
                "load problems: {} ({} records skipped); the first {kept} (auditlens stats lists them all)",
                p.errors, p.skipped
            )
        } else {
            format!(
                "load problems: {} ({} records skipped)",
                p.errors.max(kept),
                p.skipped
            )
        },
        Severity::Notice,
        None,
    ));
    for lp in &s.load_problems {
        let at = lp.line.map(|l| format!(":{l}")).unwrap_or_default();
        let jump = lp.line.map(|l| Jump {
            label: format!("events around line {l} of {} (load problem)", lp.path),
            filter: Filter::Lines {
                path: lp.path.clone(),
                from: l.saturating_sub(AROUND_PROBLEM).max(1),
                to: l.saturating_add(AROUND_PROBLEM),
            },
        });
        rows.push(row(
            format!("  {}{at}: {}", lp.path, lp.reason),
            Severity::Error,
            jump,
        ));
    }
    if s.load_problems.is_empty() {
        // Only their text is known (first few): listed, with nothing to jump to.
        for text in &s.load_errors {
            rows.push(row(
                format!("  {}", escape_control(text)),
                Severity::Error,
                None,
            ));
        }
    }
    rows.push(row(String::new(), Severity::Info, None));
    let n = s.messages.entries().len();
    rows.push(row(
        if s.messages.dropped() > 0 {
            format!(
                "messages: {n}, newest last ({} older ones dropped)",
                s.messages.dropped()
            )
        } else {
            format!("messages: {n}, newest last")
        },
        Severity::Notice,
        None,
    ));
    for e in s.messages.entries() {
        rows.push(row(
            format!("  {}  {}", s.messages.when(e, s.tz), e.text),
            if e.error {
                Severity::Error
            } else {
                Severity::Info
            },
            None,
        ));
    }
    s.log = PaneReport {
        heading:
            "log: load problems (Enter shows the events around a line) and every status message"
                .to_owned(),
        rows,
    };
}

/// The clock: the status message goes once it has been shown long enough.
pub(super) fn expire_status(s: &mut AppState, now: std::time::Instant) {
    if s.status.is_none() {
        return;
    }
    s.messages.stamp_last(now);
    if s.messages.last_expired(now) {
        s.status = None;
    }
}
