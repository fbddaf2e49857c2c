//! Evaluating one rule over the events its query matched, oldest first. The evaluator keeps
//! only what its window needs (pending events per key, the last earlier event per key, the
//! trailing bucket counts), so its memory is bounded by the windows, not by the bundle.
//!
//! One file per rule kind: `matching` (every match is an alert), `numeric`, `role`,
//! `absence`, `threshold` and `rate`; this file holds the evaluator's shared state,
//! the dispatch and the alert bookkeeping.

mod absence;
mod matching;
mod numeric;
mod rate;
mod role;
mod threshold;

use std::collections::{HashMap, HashSet, VecDeque};

use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};

use super::alert::{Alert, Evidence, MAX_EVIDENCE};
use super::field::field_value;
use super::rule::{Rule, RuleKind};
use crate::model::AuditEvent;

/// How often (in pushed events) state older than the window is dropped.
const PRUNE_EVERY: u64 = 4096;

/// Which of a rule's queries an event matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input {
    /// The rule's `query`.
    Primary,
    /// An absence rule's `without` query (the event that must come first).
    Prior,
}

struct Slot {
    alert: Alert,
    ids: HashSet<u64>,
    last_id: u64,
}

#[derive(Clone)]
struct Pending {
    ts: DateTime<Utc>,
    id: u64,
    evidence: Evidence,
}

enum State {
    PerEvent,
    Threshold {
        pending: Vec<HashMap<String, VecDeque<Pending>>>,
        open: HashMap<(usize, String), usize>,
    },
    Absence {
        prior: HashMap<String, Option<DateTime<Utc>>>,
    },
    Rate {
        start: Option<i64>,
        bucket: Option<i64>,
        count: u64,
        history: VecDeque<u64>,
        median: f64,
        mad: f64,
        buffer: Vec<Evidence>,
        open: Option<usize>,
    },
}

/// Evaluates one rule incrementally: feed it the rule's matching events in time order
/// with [`Evaluator::push`]; take the alerts with [`Evaluator::finish`].
pub struct Evaluator {
    rule: Rule,
    state: State,
    slots: Vec<Slot>,
    merge_open: HashMap<String, usize>,
    pushed: u64,
    untimed: u64,
    unkeyed: u64,
}

fn stamp(t: Option<DateTime<Utc>>) -> String {
    t.map_or_else(
        || "unknown time".to_owned(),
        |t| t.to_rfc3339_opts(SecondsFormat::Secs, true),
    )
}

/// `a=x, b=y` for the fields the event has; `None` when it has none of them.
fn key_of(ev: &AuditEvent, fields: &[String]) -> Option<String> {
    let mut parts = Vec::with_capacity(fields.len());
    for f in fields {
        parts.push(format!("{f}={}", field_value(ev, f)?));
    }
    Some(parts.join(", "))
}

fn describe(ev: &AuditEvent, fields: &[&str]) -> String {
    fields
        .iter()
        .filter_map(|f| field_value(ev, f).map(|v| format!("{f}={v}")))
        .collect::<Vec<_>>()
        .join(", ")
}

fn duration_text(d: TimeDelta) -> String {
    let s = d.num_seconds();
    if d.subsec_nanos() != 0 || s == 0 {
        format!("{}ms", d.num_milliseconds())
    } else if s % 86_400 == 0 {
        format!("{}d", s / 86_400)
    } else if s % 3600 == 0 {
        format!("{}h", s / 3600)
    } else if s % 60 == 0 {
        format!("{}m", s / 60)
    } else {
        format!("{s}s")
    }
}

impl Evaluator {
    /// A fresh evaluator of `rule`.
    pub fn new(rule: &Rule) -> Self {
        let state = match &rule.kind {
            RuleKind::Threshold { .. } => State::Threshold {
                pending: vec![HashMap::new(); rule.group_by.len().max(1)],
                open: HashMap::new(),
            },
            RuleKind::Absence { .. } => State::Absence {
                prior: HashMap::new(),
            },
            RuleKind::Rate { baseline, .. } => State::Rate {
                start: None,
                bucket: None,
                count: 0,
                history: VecDeque::with_capacity(*baseline),
                median: 0.0,
                mad: 0.0,
                buffer: Vec::new(),
                open: None,
            },
            RuleKind::Match | RuleKind::Numeric { .. } | RuleKind::RolePolicy { .. } => {
                State::PerEvent
            }
        };
        Self {
            rule: rule.clone(),
            state,
            slots: Vec::new(),
            merge_open: HashMap::new(),
            pushed: 0,
            untimed: 0,
            unkeyed: 0,
        }
    }

    /// Tells a rate rule when the data starts (its first event of any kind), so that
    /// the quiet buckets before the first match count as its baseline. Without it the
    /// baseline starts at the first match.
    pub fn set_start(&mut self, t: DateTime<Utc>) {
        if let (State::Rate { start, .. }, RuleKind::Rate { bucket, .. }) =
            (&mut self.state, &self.rule.kind)
        {
            *start = Some(
                t.timestamp_millis()
                    .div_euclid(bucket.num_milliseconds().max(1)),
            );
        }
    }

    /// The rule.
    pub fn rule(&self) -> &Rule {
        &self.rule
    }

    /// Events a windowed rule could not place in time (they had no timestamp).
    pub fn untimed(&self) -> u64 {
        self.untimed
    }

    /// Events skipped because they lack a grouping or key field.
    pub(crate) fn unkeyed(&self) -> u64 {
        self.unkeyed
    }

    /// Alerts so far.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// True when no alert has fired.
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// Alert `i` as it stands now (its evidence may still grow).
    pub fn alert(&self, i: usize) -> &Alert {
        &self.slots[i].alert
    }

    /// Every alert, in the order they fired.
    pub fn finish(self) -> Vec<Alert> {
        self.slots.into_iter().map(|s| s.alert).collect()
    }

    /// Feeds one event (`ord`: its index ordinal, when known). Returns the indices of the
    /// alerts that fired on it (alerts that merely grew are not returned).
    pub fn push(&mut self, input: Input, ev: &AuditEvent, ord: Option<u64>) -> Vec<usize> {
        self.pushed += 1;
        let id = self.pushed;
        if self.pushed.is_multiple_of(PRUNE_EVERY)
            && let Some(t) = ev.ts
        {
            self.prune(t);
        }
        if input == Input::Prior {
            self.push_prior(ev);
            return Vec::new();
        }
        match &self.rule.kind {
            RuleKind::Match => self.push_match(ev, ord, id),
            RuleKind::Numeric { .. } => self.push_numeric(ev, ord, id),
            RuleKind::RolePolicy { .. } => self.push_role(ev, ord, id),
            RuleKind::Absence { .. } => self.push_absence(ev, ord, id),
            RuleKind::Threshold { count, window } => {
                let (count, window) = (*count, *window);
                self.push_threshold(ev, ord, id, count, window)
            }
            RuleKind::Rate { .. } => self.push_rate(ev, ord),
        }
    }

    fn new_alert(&mut self, evidence: Vec<(u64, Evidence)>, key: String, detail: String) -> usize {
        let mut alert = Alert {
            rule: self.rule.id.clone(),
            title: self.rule.title.clone(),
            severity: self.rule.severity,
            why: self.rule.why.clone(),
            first_ts: None,
            last_ts: None,
            key,
            detail,
            count: 0,
            evidence: Vec::new(),
        };
        let mut ids = HashSet::new();
        let mut last_id = 0;
        for (id, e) in evidence {
            add_evidence(&mut alert, &mut ids, id, e);
            last_id = id;
        }
        self.slots.push(Slot {
            alert,
            ids,
            last_id,
        });
        self.slots.len() - 1
    }

    fn append(&mut self, slot: usize, id: u64, e: Evidence) {
        let s = &mut self.slots[slot];
        if s.last_id == id || s.ids.contains(&id) {
            return;
        }
        s.last_id = id;
        add_evidence(&mut s.alert, &mut s.ids, id, e);
    }

    /// An event that is an alert by itself, merged into an open alert of the same key
    /// when the rule says `merge_within`.
    fn per_event(
        &mut self,
        ev: &AuditEvent,
        ord: Option<u64>,
        id: u64,
        detail: String,
        default_key: String,
    ) -> Vec<usize> {
        let key = match self.rule.group_by.first() {
            Some(fields) => key_of(ev, fields).unwrap_or_default(),
            None => default_key,
        };
        let evidence = Evidence::of(ev, ord);
        if let (Some(merge), Some(t)) = (self.rule.merge, ev.ts) {
            if let Some(&slot) = self.merge_open.get(&key)
                && self.slots[slot]
                    .alert
                    .last_ts
                    .is_some_and(|l| t - l <= merge)
            {
                self.append(slot, id, evidence);
                return Vec::new();
            }
            let slot = self.new_alert(vec![(id, evidence)], key.clone(), detail);
            self.merge_open.insert(key, slot);
            return vec![slot];
        }
        vec![self.new_alert(vec![(id, evidence)], key, detail)]
    }

    fn prune(&mut self, now: DateTime<Utc>) {
        let slots = &self.slots;
        let alive =
            |slot: usize, w: TimeDelta| slots[slot].alert.last_ts.is_some_and(|l| now - l <= w);
        if let Some(merge) = self.rule.merge {
            self.merge_open.retain(|_, s| alive(*s, merge));
        }
        match (&mut self.state, &self.rule.kind) {
            (State::Threshold { pending, open }, RuleKind::Threshold { window, .. }) => {
                for map in pending {
                    map.retain(|_, q| q.back().is_some_and(|p| now - p.ts <= *window));
                }
                open.retain(|_, s| alive(*s, *window));
            }
            (
                State::Absence { prior },
                RuleKind::Absence {
                    window: Some(window),
                    ..
                },
            ) => prior.retain(|_, p| p.is_none_or(|p| now - p <= *window)),
            _ => {}
        }
    }
}

fn add_evidence(alert: &mut Alert, ids: &mut HashSet<u64>, id: u64, e: Evidence) {
    alert.count += 1;
    if let Some(t) = e.ts {
        alert.first_ts = Some(alert.first_ts.map_or(t, |f| f.min(t)));
        alert.last_ts = Some(alert.last_ts.map_or(t, |l| l.max(t)));
    }
    if alert.evidence.len() < MAX_EVIDENCE {
        ids.insert(id);
        alert.evidence.push(e);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_back() {
        assert_eq!(duration_text(TimeDelta::minutes(10)), "10m");
        assert_eq!(duration_text(TimeDelta::days(90)), "90d");
        assert_eq!(duration_text(TimeDelta::seconds(90)), "90s");
        assert_eq!(duration_text(TimeDelta::milliseconds(1500)), "1500ms");
    }
}
