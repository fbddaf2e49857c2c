//! `absence` rules: a matching event with no earlier event of the `without` query of the
//! same key (within the window, when there is one).

use super::{Evaluator, State, duration_text, key_of};
use crate::alerts::rule::RuleKind;
use crate::model::AuditEvent;

impl Evaluator {
    pub(super) fn push_absence(
        &mut self,
        ev: &AuditEvent,
        ord: Option<u64>,
        id: u64,
    ) -> Vec<usize> {
        let RuleKind::Absence {
            without,
            key,
            window,
        } = &self.rule.kind
        else {
            return Vec::new();
        };
        let Some(k) = key_of(ev, key) else {
            self.unkeyed += 1;
            return Vec::new();
        };
        let State::Absence { prior } = &self.state else {
            return Vec::new();
        };
        let ok = match (prior.get(&k), ev.ts) {
            (None, _) => false,
            (Some(None), _) | (Some(Some(_)), None) => true,
            (Some(Some(p)), Some(t)) => *p <= t && window.is_none_or(|w| t - *p <= w),
        };
        if ok {
            return Vec::new();
        }
        let within = window.map_or_else(String::new, |w| {
            format!(" within {} before", duration_text(w))
        });
        let detail = format!("no earlier `{without}` with {k}{within}");
        self.per_event(ev, ord, id, detail, k)
    }

    pub(super) fn push_prior(&mut self, ev: &AuditEvent) {
        let RuleKind::Absence { key, .. } = &self.rule.kind else {
            return;
        };
        let Some(k) = key_of(ev, key) else {
            return;
        };
        let State::Absence { prior } = &mut self.state else {
            return;
        };
        let slot = prior.entry(k).or_insert(ev.ts);
        if let (Some(old), Some(t)) = (*slot, ev.ts) {
            *slot = Some(old.max(t));
        } else {
            *slot = None;
        }
    }
}
