//! Evaluating one rule over the events its query matched, oldest first. The evaluator keeps
//! only what its window needs (pending events per key, the last earlier event per key, the
//! trailing bucket counts), so its memory is bounded by the windows, not by the bundle.

use std::collections::{HashMap, HashSet, VecDeque};

use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};
use serde::Serialize;

use super::field::{details_number, field_value};
use super::rule::{Rule, RuleKind, Threshold};
use crate::model::{AuditEvent, Severity};

/// Most evidence events kept per alert; `Alert::count` counts them all.
pub const MAX_EVIDENCE: usize = 1000;

/// How often (in pushed events) state older than the window is dropped.
const PRUNE_EVERY: u64 = 4096;

/// One event behind an alert: enough to find it again (in the bundle, or in the index).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Evidence {
    /// Stream id (native bundles).
    pub stream: Option<String>,
    /// Sequence number in the stream (native bundles).
    pub seq: Option<u64>,
    /// Display path of the file.
    pub path: String,
    /// 1-based line.
    pub line: u64,
    /// Event time.
    pub ts: Option<DateTime<Utc>>,
    /// Ordinal in the index the event came from, when it came from one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ord: Option<u64>,
}

impl Evidence {
    /// The evidence of one event.
    pub fn of(ev: &AuditEvent, ord: Option<u64>) -> Self {
        Self {
            stream: ev.origin.stream.clone(),
            seq: ev.origin.seq,
            path: ev.origin.path.clone(),
            line: ev.origin.line,
            ts: ev.ts,
            ord,
        }
    }
}

/// An alert: a rule that fired, when, for what key, and the events behind it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Alert {
    /// Rule id.
    pub rule: String,
    /// Rule title.
    pub title: String,
    /// Rule severity.
    pub severity: Severity,
    /// Why the rule matters.
    pub why: String,
    /// Time of the first evidence event.
    pub first_ts: Option<DateTime<Utc>>,
    /// Time of the last evidence event.
    pub last_ts: Option<DateTime<Utc>>,
    /// What the events have in common (`actor.id=alice`), or empty.
    pub key: String,
    /// What was found, in one line.
    pub detail: String,
    /// Number of evidence events (the list stops at [`MAX_EVIDENCE`]).
    pub count: u64,
    /// The events behind the alert, oldest first.
    pub evidence: Vec<Evidence>,
}

impl Alert {
    /// Display order for an alerts list: most severe first, then oldest first, then by
    /// rule id (`alerts.sort_by(Alert::by_severity_then_time)`).
    pub fn by_severity_then_time(a: &Self, b: &Self) -> std::cmp::Ordering {
        b.severity
            .cmp(&a.severity)
            .then(a.first_ts.cmp(&b.first_ts))
            .then_with(|| a.rule.cmp(&b.rule))
    }
}

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

fn median(sorted: &[f64]) -> f64 {
    let n = sorted.len();
    if n == 0 {
        return 0.0;
    }
    if n % 2 == 1 {
        sorted[n / 2]
    } else {
        f64::midpoint(sorted[n / 2 - 1], sorted[n / 2])
    }
}

/// Median and median absolute deviation of `values`.
fn median_mad(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let mut v: Vec<f64> = values.collect();
    v.sort_by(f64::total_cmp);
    let m = median(&v);
    let mut dev: Vec<f64> = v.iter().map(|x| (x - m).abs()).collect();
    dev.sort_by(f64::total_cmp);
    (m, median(&dev))
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
    pub fn unkeyed(&self) -> u64 {
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
            RuleKind::Match => {
                let detail = match_detail(ev);
                self.per_event(ev, ord, id, detail, String::new())
            }
            RuleKind::Numeric { .. } => self.push_numeric(ev, ord, id),
            RuleKind::RolePolicy { .. } => self.push_role(ev, ord, id),
            RuleKind::Absence {
                without,
                key,
                window,
            } => {
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
            RuleKind::Threshold { count, window } => {
                let (count, window) = (*count, *window);
                self.push_threshold(ev, ord, id, count, window)
            }
            RuleKind::Rate { .. } => self.push_rate(ev, ord),
        }
    }

    fn push_numeric(&mut self, ev: &AuditEvent, ord: Option<u64>, id: u64) -> Vec<usize> {
        let RuleKind::Numeric { field, op, than } = &self.rule.kind else {
            return Vec::new();
        };
        let Some(a) = details_number(ev, field) else {
            return Vec::new();
        };
        let (b, rhs) = match than {
            Threshold::Value(v) => (*v, format!("{v}")),
            Threshold::Field(f) => match details_number(ev, f) {
                Some(b) => (b, format!("{f} = {b}")),
                None => return Vec::new(),
            },
        };
        if !op.holds(a, b) {
            return Vec::new();
        }
        let detail = format!("{field} = {a} {} {rhs}", op.symbol());
        let key = describe(ev, &["model.id", "model.version"]);
        self.per_event(ev, ord, id, detail, key)
    }

    fn push_role(&mut self, ev: &AuditEvent, ord: Option<u64>, id: u64) -> Vec<usize> {
        let RuleKind::RolePolicy {
            tag,
            allow_roles,
            allow_actor_types,
        } = &self.rule.kind
        else {
            return Vec::new();
        };
        let tagged = ev.resource.tags.iter().any(|t| t.eq_ignore_ascii_case(tag));
        let allowed_role = ev
            .actor
            .roles
            .iter()
            .any(|r| allow_roles.iter().any(|a| a.eq_ignore_ascii_case(r)));
        let allowed_type = ev
            .actor
            .kind
            .as_deref()
            .is_some_and(|k| allow_actor_types.iter().any(|a| a.eq_ignore_ascii_case(k)));
        if !tagged || allowed_role || allowed_type {
            return Vec::new();
        }
        let roles = if ev.actor.roles.is_empty() {
            "none".to_owned()
        } else {
            ev.actor.roles.join(", ")
        };
        let detail = format!(
            "{} by {} (roles: {roles}) on {} tagged {tag}; allowed roles: {}",
            ev.action,
            ev.actor.id.as_deref().unwrap_or("an unknown actor"),
            ev.resource.id.as_deref().unwrap_or("a resource"),
            allow_roles.join(", ")
        );
        let key = describe(ev, &["actor.id"]);
        self.per_event(ev, ord, id, detail, key)
    }

    fn push_prior(&mut self, ev: &AuditEvent) {
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

    fn push_threshold(
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

    fn push_rate(&mut self, ev: &AuditEvent, ord: Option<u64>) -> Vec<usize> {
        let RuleKind::Rate {
            bucket: size,
            baseline,
            z: z_min,
            min_count,
        } = self.rule.kind.clone()
        else {
            return Vec::new();
        };
        let Some(t) = ev.ts else {
            self.untimed += 1;
            return Vec::new();
        };
        let size_ms = size.num_milliseconds().max(1);
        let b = t.timestamp_millis().div_euclid(size_ms);
        let State::Rate {
            start,
            bucket,
            count,
            history,
            median,
            mad,
            buffer,
            open,
        } = &mut self.state
        else {
            return Vec::new();
        };
        match *bucket {
            Some(cur) if b <= cur => {}
            prev => {
                // `history` holds the counts of the buckets before `b`, since the start.
                let (last, last_count) = match prev {
                    Some(cur) => (cur, *count),
                    None => (start.unwrap_or(b).min(b) - 1, 0),
                };
                if prev.is_some() {
                    history.push_back(last_count);
                }
                let gaps = (b - last - 1).clamp(0, baseline as i64) as usize;
                history.extend(std::iter::repeat_n(0, gaps));
                while history.len() > baseline {
                    history.pop_front();
                }
                (*median, *mad) = median_mad(history.iter().map(|&c| c as f64));
                *bucket = Some(b);
                *count = 0;
                buffer.clear();
                *open = None;
            }
        }
        *count += 1;
        let evidence = Evidence::of(ev, ord);
        let id = self.pushed;
        if let Some(slot) = *open {
            self.append(slot, id, evidence);
            return Vec::new();
        }
        if buffer.len() < MAX_EVIDENCE {
            buffer.push(evidence);
        }
        let n = *count;
        // Too little history to call anything unusual.
        if history.len() < (baseline / 4).max(1) {
            return Vec::new();
        }
        let scale = (1.482_6 * *mad).max(1.0);
        let z = (n as f64 - *median) / scale;
        if n < min_count || z < z_min {
            return Vec::new();
        }
        let start_ts = DateTime::from_timestamp_millis(b * size_ms);
        let detail = format!(
            "{n} matching events in the {} from {}; trailing {} buckets: median {}, MAD {}; robust z {z:.1} >= {z_min}",
            duration_text(size),
            stamp(start_ts),
            history.len(),
            *median,
            *mad
        );
        let items: Vec<(u64, Evidence)> = buffer
            .drain(..)
            .enumerate()
            .map(|(i, e)| (u64::MAX - i as u64, e))
            .collect();
        let slot = self.new_alert(items, String::new(), detail);
        // The event just pushed is the last of the buffer; later events append by id.
        self.slots[slot].last_id = id;
        if let State::Rate { open, .. } = &mut self.state {
            *open = Some(slot);
        }
        vec![slot]
    }

    /// Drops state that can no longer matter at time `now`.
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
    fn median_and_mad() {
        assert_eq!(
            median_mad([1.0, 2.0, 3.0, 4.0, 100.0].into_iter()),
            (3.0, 1.0)
        );
        assert_eq!(median_mad([0.0; 4].into_iter()), (0.0, 0.0));
        assert_eq!(median_mad(std::iter::empty()), (0.0, 0.0));
    }

    #[test]
    fn durations_read_back() {
        assert_eq!(duration_text(TimeDelta::minutes(10)), "10m");
        assert_eq!(duration_text(TimeDelta::days(90)), "90d");
        assert_eq!(duration_text(TimeDelta::seconds(90)), "90s");
        assert_eq!(duration_text(TimeDelta::milliseconds(1500)), "1500ms");
    }
}
