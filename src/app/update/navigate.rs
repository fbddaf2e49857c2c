//! Moving the selection: by rows and pages, to a position, to the next problem or mark.

use super::{MARGIN, WINDOW, related_effect, request, set_status, timeline_step};
use crate::app::effect::{Effect, Job, LocateTarget};
use crate::app::state::{AppState, Mode, Pane, Scroll, key_of};

pub(super) fn move_or_scroll(s: &mut AppState, delta: i64) -> Vec<Effect> {
    if s.mode == Mode::Help {
        s.help_scroll = s.help_scroll.by(delta);
        return vec![];
    }
    match s.focus {
        Pane::Detail => {
            s.detail_scroll = s.detail_scroll.by(delta);
            vec![]
        }
        Pane::Timeline => timeline_step(s, delta.signum()),
        Pane::Integrity
        | Pane::Lineage
        | Pane::Alerts
        | Pane::Facets
        | Pane::Log
        | Pane::Case
        | Pane::Compliance => {
            let v = s.report_cursor as i64 + delta;
            s.report_cursor = v.max(0) as usize;
            vec![]
        }
        Pane::Results => {
            // Down the table is up the list when it is shown oldest first.
            let delta = if s.oldest_first { -delta } else { delta };
            let target = (s.selected as i64 + delta).clamp(0, s.total.saturating_sub(1) as i64);
            move_to(s, target as u64)
        }
    }
}

/// Selects position `pos` and makes sure the window around it is fetched.
pub(super) fn move_to(s: &mut AppState, pos: u64) -> Vec<Effect> {
    s.selected = pos.min(s.total.saturating_sub(1));
    s.detail_scroll = Scroll::Top(0);
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

pub(super) fn locate(s: &mut AppState, target: LocateTarget) -> Vec<Effect> {
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

pub(super) fn locate_problem(s: &mut AppState, down: bool) -> Vec<Effect> {
    let from = match s.selected_hit() {
        Some(h) => key_of(h),
        None if down => (i64::MAX, u64::MAX),
        None => return vec![],
    };
    let evidence = s.alert_evidence.clone();
    locate(
        s,
        LocateTarget::Problem {
            down,
            from,
            evidence,
        },
    )
}

pub(super) fn next_mark(s: &mut AppState, down: bool) -> Vec<Effect> {
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
