//! The lineage pane: per-model trees collapsed to their heading, and focusing the selected
//! event's model.

use super::{focus, set_status};
use crate::app::effect::Effect;
use crate::app::state::{AppState, Pane, PaneReport, ReportRow};

/// The lineage rows shown: collapsed models keep only their heading.
pub(super) fn visible_lineage(
    full: Option<&PaneReport>,
    collapsed: &std::collections::BTreeSet<String>,
) -> Option<PaneReport> {
    let full = full?;
    let mut rows = Vec::with_capacity(full.rows.len());
    let mut hiding = false;
    for r in &full.rows {
        if let Some(m) = r.lineage_heading() {
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
pub(super) fn toggle_collapse(s: &mut AppState) -> Vec<Effect> {
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
        .find_map(ReportRow::lineage_heading)
        .map(str::to_owned)
    else {
        return vec![];
    };
    if !s.collapsed.remove(&model) {
        s.collapsed.insert(model.clone());
    }
    s.lineage = visible_lineage(s.lineage_full.as_ref(), &s.collapsed);
    if let Some(i) = s.lineage.as_ref().and_then(|r| {
        r.rows
            .iter()
            .position(|x| x.lineage_heading() == Some(model.as_str()))
    }) {
        s.report_cursor = i;
    }
    vec![]
}

/// Focuses the lineage pane on the selected event's model: the row of its version when
/// there is one, else the model's first row.
pub(super) fn show_lineage(s: &mut AppState) -> Vec<Effect> {
    let Some(model) = s.selected_hit().and_then(|h| h.event.model.clone()) else {
        set_status(s, "this event names no model", false);
        return vec![];
    };
    let fx = focus(s, Pane::Lineage);
    if s.collapsed.remove(&model.id) {
        s.lineage = visible_lineage(s.lineage_full.as_ref(), &s.collapsed);
    }
    let Some(report) = &s.lineage else { return fx };
    let Some(start) = report
        .rows
        .iter()
        .position(|r| r.lineage_heading() == Some(model.id.as_str()))
    else {
        set_status(s, format!("no lineage for model {}", model.id), false);
        return fx;
    };
    let version_row = model.version.as_deref().and_then(|v| {
        report.rows[start + 1..]
            .iter()
            .take_while(|r| r.lineage_heading().is_none())
            .position(|r| r.lineage_version() == Some(v))
            .map(|i| start + 1 + i)
    });
    s.report_cursor = version_row.unwrap_or(start);
    fx
}
