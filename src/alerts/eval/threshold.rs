//! `threshold` rules: at least `count` matching events of one key within `window`; a key
//! may be several groupings, and groupings alerting on the same events share one alert.

use chrono::TimeDelta;

use super::{Evaluator, Pending, State, duration_text, key_of};
use crate::alerts::alert::Evidence;
use crate::model::AuditEvent;

impl Evaluator {
    pub(super) fn push_threshold(
        &mut self,
        ev: &AuditEvent,
        ord: Option<u64>,
        id: u64,
        count: usize,
        window: TimeDelta,
    ) -> Vec<usize> {
        let Some(t) = ev.ts else {
            self.untimed += 1;
            return Vec::new();
        };
        let groupings: Vec<Vec<String>> = if self.rule.group_by.is_empty() {
            vec![Vec::new()]
        } else {
            self.rule.group_by.clone()
        };
        let evidence = Evidence::of(ev, ord);
        let mut fired = Vec::new();
        let mut touched: Option<usize> = None;
        let mut keyed = false;
        for (g, fields) in groupings.iter().enumerate() {
            let Some(key) = key_of(ev, fields) else {
                continue;
            };
            keyed = true;
            let State::Threshold { pending, open } = &mut self.state else {
                return fired;
            };
            if let Some(&slot) = open.get(&(g, key.clone())) {
                if self.slots[slot]
                    .alert
                    .last_ts
                    .is_some_and(|l| t - l <= window)
                {
                    self.append(slot, id, evidence.clone());
                    touched = Some(slot);
                    continue;
                }
                open.remove(&(g, key.clone()));
            }
            let queue = pending[g].entry(key.clone()).or_default();
            queue.push_back(Pending {
                ts: t,
                id,
                evidence: evidence.clone(),
            });
            while queue.front().is_some_and(|p| t - p.ts > window) {
                queue.pop_front();
            }
            if queue.len() < count {
                continue;
            }
            let batch: Vec<Pending> = queue.drain(..).collect();
            // Another grouping already alerting on these same events: one alert, not two.
            let target = touched.or_else(|| {
                open.values().copied().find(|&s| {
                    let ids = &self.slots[s].ids;
                    batch.iter().any(|p| ids.contains(&p.id))
                })
            });
            let slot = if let Some(slot) = target {
                for p in batch {
                    self.append(slot, p.id, p.evidence);
                }
                let a = &mut self.slots[slot].alert;
                if !a.key.split(", ").any(|k| k == key) {
                    a.key = if a.key.is_empty() {
                        key.clone()
                    } else {
                        format!("{}, {key}", a.key)
                    };
                }
                slot
            } else {
                let detail = format!(
                    "{count} or more matching events within {} for {}",
                    duration_text(window),
                    if key.is_empty() { "all events" } else { &key }
                );
                let slot = self.new_alert(
                    batch.into_iter().map(|p| (p.id, p.evidence)).collect(),
                    key.clone(),
                    detail,
                );
                fired.push(slot);
                slot
            };
            if let State::Threshold { open, .. } = &mut self.state {
                open.insert((g, key), slot);
            }
            touched = Some(slot);
        }
        if !keyed {
            self.unkeyed += 1;
        }
        fired
    }
}
