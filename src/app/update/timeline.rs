//! The timeline: moving its cursor (panning past an edge), zooming, selecting a range.

use chrono::DateTime;

use super::{hist_effect, new_search, set_status};
use crate::app::effect::Effect;
use crate::app::state::{AppState, Pane};

pub(super) fn timeline_step(s: &mut AppState, delta: i64) -> Vec<Effect> {
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
    vec![hist_effect(s)]
}

pub(super) fn select_range(s: &mut AppState) -> Vec<Effect> {
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
