//! `match` rules: every matching event is an alert (merged per key with `merge_within`).

use super::Evaluator;
use crate::model::AuditEvent;

/// `action by actor on resource: message` (message cut at 160 characters).
fn match_detail(ev: &AuditEvent) -> String {
    let mut d = ev.action.clone();
    if let Some(a) = &ev.actor.id {
        d.push_str(" by ");
        d.push_str(a);
    }
    if let Some(r) = ev.resource.id.as_ref().or(ev.model.as_ref().map(|m| &m.id)) {
        d.push_str(" on ");
        d.push_str(r);
    }
    if let Some(m) = ev.message.as_deref().filter(|m| !m.is_empty()) {
        d.push_str(": ");
        d.extend(m.chars().take(160));
    }
    d
}

impl Evaluator {
    pub(super) fn push_match(&mut self, ev: &AuditEvent, ord: Option<u64>, id: u64) -> Vec<usize> {
        let detail = match_detail(ev);
        self.per_event(ev, ord, id, detail, String::new())
    }
}
