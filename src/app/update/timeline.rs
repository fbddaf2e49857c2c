//! The timeline: moving its cursor (panning past an edge, never past the data), zooming,
//! selecting a range (a one-bucket range only when asked for twice).

use chrono::DateTime;

use super::{hist_effect, set_status};
use crate::app::effect::Effect;
use crate::app::state::{AppState, Pane};
use crate::model::format_ts;

/// Moves the cursor `delta` buckets; past an edge the view pans (by at least a quarter of
/// it), stopping at the ends of the data.
pub(super) fn timeline_step(s: &mut AppState, delta: i64) -> Vec<Effect> {
    if s.focus != Pane::Timeline {
        return vec![];
    }
    let Some((n, start, end, bucket)) = s
        .histogram
        .as_ref()
        .map(|h| (h.counts.len(), h.start_ms, h.end_ms(), h.bucket_ms))
    else {
        return vec![];
    };
    if n == 0 {
        return vec![];
    }
    s.one_bucket = false;
    let c = s.timeline.cursor.min(n - 1) as i64 + delta;
    if c >= 0 && (c as usize) < n {
        s.timeline.cursor = c as usize;
        return vec![];
    }
    // Past an edge: pan by the overshoot, at least a quarter of the view.
    let over = if c < 0 { c } else { c - (n as i64 - 1) };
    let quarter = ((end - start) / 4).max(bucket);
    let mut shift = over.saturating_mul(bucket);
    if shift.abs() < quarter {
        shift = quarter * delta.signum();
    }
    if let Some((lo, hi)) = s.data_span {
        // The view may reach the data's ends, not go beyond them.
        let max_shift = (hi + 1 - end).max(0);
        let min_shift = (lo - start).min(0);
        shift = shift.clamp(min_shift, max_shift);
    }
    s.timeline.cursor = if delta < 0 { 0 } else { n - 1 };
    if shift == 0 {
        set_status(
            s,
            if delta < 0 {
                "timeline: the data starts here"
            } else {
                "timeline: the data ends here"
            },
            false,
        );
        return vec![];
    }
    s.timeline.view = Some((start + shift, end + shift));
    // The anchor bucket of a range being selected would move with the view: say it goes.
    if s.timeline.anchor.take().is_some() {
        set_status(
            s,
            "timeline: the view moved, so the range being selected was dropped (zoom out with Z to select a longer one)",
            false,
        );
    }
    vec![hist_effect(s)]
}

pub(super) fn zoom(s: &mut AppState, factor: f64) -> Vec<Effect> {
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
    s.one_bucket = false;
    vec![hist_effect(s)]
}

pub(super) fn select_range(s: &mut AppState) -> Vec<Effect> {
    let Some((n, start, bucket)) = s
        .histogram
        .as_ref()
        .map(|h| (h.counts.len(), h.start_ms, h.bucket_ms))
    else {
        return vec![];
    };
    if n == 0 {
        return vec![];
    }
    let tz = s.tz;
    let at = move |ms: i64| format_ts(DateTime::from_timestamp_millis(ms), tz);
    let cursor = s.timeline.cursor.min(n - 1);
    let Some(anchor) = s.timeline.anchor else {
        s.timeline.anchor = Some(cursor);
        s.one_bucket = false;
        let msg = format!(
            "range from {}: move to the other end (5l moves 5 buckets), then v or Enter; Esc cancels",
            at(start + cursor as i64 * bucket)
        );
        set_status(s, msg, false);
        return vec![];
    };
    let (a, b) = (anchor.min(cursor) as i64, anchor.max(cursor) as i64);
    let from = start + a * bucket;
    let to = start + (b + 1) * bucket;
    if a == b && !s.one_bucket {
        // A single v then Enter: say what that would be instead of filtering silently.
        let msg = format!(
            "that range is one bucket ({} \u{2192} {}): move the cursor to widen it, or press v / Enter again to apply it",
            at(from),
            at(to)
        );
        s.one_bucket = true;
        set_status(s, msg, false);
        return vec![];
    }
    s.timeline.anchor = None;
    s.timeline.cursor = usize::MAX;
    super::explore::apply_range(s, Some(from), Some(to))
}

/// Esc while selecting a range: cancel it, and say so.
pub(super) fn cancel_range(s: &mut AppState) {
    s.timeline.anchor = None;
    s.one_bucket = false;
    set_status(s, "range selection cancelled", false);
}
