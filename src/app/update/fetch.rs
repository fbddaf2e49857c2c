//! Requests for the worker: the page window, the timeline, the related events.

use super::WINDOW;
use crate::app::effect::{Effect, Job};
use crate::app::state::{AppState, Mode, Pane, Related, Scroll};
use crate::model::fields;
use crate::store::{SearchRequest, SortOrder, quote};

pub(super) fn request(s: &AppState, query: &str, offset: u64, limit: u64) -> SearchRequest {
    SearchRequest {
        query: query.to_owned(),
        from: s.from,
        to: s.to,
        limit: limit as usize,
        offset: offset as usize,
        order: SortOrder::NewestFirst,
        filter: s.jump.as_ref().map(|j| j.filter.clone()),
    }
}

/// A new query or filter: first window, new timeline. In the search bar the bar's text is
/// previewed; elsewhere the applied query runs.
pub(super) fn new_search(s: &mut AppState) -> Vec<Effect> {
    s.query_dirty = false;
    s.debounce = None;
    if !s.index_ready {
        return vec![];
    }
    s.last_search_at = s.now;
    s.selected = 0;
    s.detail_scroll = Scroll::Top(0);
    s.search_gen += 1;
    s.requested_query = if s.mode == Mode::Search {
        s.input.text().to_owned()
    } else {
        s.query.clone()
    };
    s.want_offset = Some(0);
    let page = Job::Page {
        generation: s.search_gen,
        request: request(s, &s.requested_query, 0, WINDOW),
    };
    let mut effects = vec![Effect::Run(page), hist_effect(s)];
    effects.extend(facets_effect(s));
    effects
}

/// Counts the Facets pane's field for the current search, when the pane is shown.
pub(super) fn facets_effect(s: &mut AppState) -> Option<Effect> {
    if s.focus != Pane::Facets || !s.index_ready {
        return None;
    }
    s.facets_gen += 1;
    if s.facet_field.is_empty() {
        DEFAULT_FACET.clone_into(&mut s.facet_field);
    }
    Some(Effect::Run(Job::Facets {
        generation: s.facets_gen,
        request: request(s, &s.requested_query, 0, 0),
        field: s.facet_field.clone(),
    }))
}

/// The field the Facets pane counts first.
pub(super) const DEFAULT_FACET: &str = fields::ACTION;

/// After a commit: reload, refetch the current window and the timeline.
pub(super) fn refresh(s: &mut AppState) -> Vec<Effect> {
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

pub(super) fn hist_effect(s: &mut AppState) -> Effect {
    s.hist_gen += 1;
    Effect::Run(Job::Histogram {
        generation: s.hist_gen,
        request: request(s, &s.requested_query, 0, 0),
        view: s.timeline.view,
        buckets: usize::from(s.size.0.saturating_sub(2).max(10)),
    })
}

/// When the detail view shows an event, fetch its related events once.
pub(super) fn related_effect(s: &mut AppState) -> Option<Effect> {
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
    // Quoted by the store's one rule: a value holding `"` or `\` still finds its events.
    let mut parts = Vec::new();
    if let Some(r) = hit.event.run_id.as_deref().filter(|v| !v.is_empty()) {
        parts.push(format!("{}:{}", fields::RUN_ID, quote(r)));
    }
    if let Some(c) = hit
        .event
        .correlation_id
        .as_deref()
        .filter(|v| !v.is_empty())
    {
        parts.push(format!("{}:{}", fields::CORRELATION_ID, quote(c)));
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
