//! Logging continuity, fed every event oldest first: silences per stream longer than the
//! threshold (and than the stream's own rhythm), and periods with audit logging disabled
//! (until it is enabled again, or to the end of the export). Also tracks the period
//! covered and events per day for the timeline. Memory: per stream and per day, plus
//! capped candidate lists.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use chrono::{DateTime, TimeDelta, Utc};

use super::catalog::{CheckKind, Params};
use super::evidence::EvidenceRef;
use super::report::{CheckResult, Finding, Status};
use crate::model::AuditEvent;

/// Events on one UTC day.
pub type DayCount = (DateTime<Utc>, u64);

/// Candidate gaps kept per stream.
const MAX_GAPS: usize = 200;

#[derive(Debug, Default)]
struct StreamState {
    first: Option<DateTime<Utc>>,
    last: Option<(DateTime<Utc>, EvidenceRef)>,
    count: u64,
    gaps: Vec<(EvidenceRef, EvidenceRef, TimeDelta)>,
    more_gaps: u64,
}

/// The continuity check.
#[derive(Debug)]
pub struct ContinuityCheck {
    gap: TimeDelta,
    factor: f64,
    streams: BTreeMap<String, StreamState>,
    /// Audit logging disabled, by what was disabled: the disabling event.
    disabled: BTreeMap<String, EvidenceRef>,
    periods: Vec<Finding>,
    first: Option<EvidenceRef>,
    last: Option<EvidenceRef>,
    days: BTreeMap<i64, u64>,
    untimed: u64,
    events: u64,
}

/// Whether an event switches audit logging off (`Some(false)`) or on (`Some(true)`).
pub(crate) fn audit_switch(ev: &AuditEvent) -> Option<bool> {
    let a = ev.action.as_str();
    if matches!(a, "audit.log.disable" | "audit.disable" | "audit.stop") {
        return Some(false);
    }
    if matches!(a, "audit.log.enable" | "audit.enable" | "audit.start") {
        return Some(true);
    }
    if !a.starts_with("audit.config") || ev.outcome.as_str() == "failure" {
        return None;
    }
    let new = ev
        .details
        .get("new")
        .or_else(|| ev.details.get("enabled"))?;
    let text = match new {
        serde_json::Value::Bool(b) => return Some(*b),
        serde_json::Value::String(s) => s.to_ascii_lowercase(),
        _ => return None,
    };
    match text.as_str() {
        "disabled" | "off" | "false" | "none" | "stopped" => Some(false),
        "enabled" | "on" | "true" | "started" => Some(true),
        _ => None,
    }
}

fn what_of(ev: &AuditEvent) -> String {
    ev.resource
        .id
        .clone()
        .or_else(|| ev.source.clone())
        .unwrap_or_else(|| "audit logging".to_owned())
}

fn stamp(t: Option<DateTime<Utc>>) -> String {
    t.map_or_else(
        || "unknown time".to_owned(),
        |t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    )
}

fn hours(d: TimeDelta) -> String {
    format!("{:.1} h", d.num_milliseconds() as f64 / 3_600_000.0)
}

impl ContinuityCheck {
    /// A check with the catalog's thresholds.
    pub fn new(params: &Params) -> Self {
        Self {
            gap: TimeDelta::milliseconds((params.gap_hours * 3_600_000.0) as i64),
            factor: params.gap_factor.max(1.0),
            streams: BTreeMap::new(),
            disabled: BTreeMap::new(),
            periods: Vec::new(),
            first: None,
            last: None,
            days: BTreeMap::new(),
            untimed: 0,
            events: 0,
        }
    }

    /// Takes the next event (oldest first).
    pub fn push(&mut self, ord: Option<u64>, ev: &AuditEvent) {
        self.events += 1;
        let Some(ts) = ev.ts else {
            self.untimed += 1;
            return;
        };
        let here = EvidenceRef::of(ev, ord);
        if self.first.is_none() {
            self.first = Some(here.clone());
        }
        self.last = Some(here.clone());
        *self
            .days
            .entry(ts.timestamp().div_euclid(86_400))
            .or_default() += 1;
        let key = ev
            .origin
            .stream
            .clone()
            .unwrap_or_else(|| ev.origin.path.clone());
        let s = self.streams.entry(key).or_default();
        s.count += 1;
        s.first.get_or_insert(ts);
        if let Some((prev, prev_ev)) = &s.last {
            let d = ts - *prev;
            if d > self.gap {
                if s.gaps.len() < MAX_GAPS {
                    s.gaps.push((prev_ev.clone(), here.clone(), d));
                } else {
                    s.more_gaps += 1;
                }
            }
        }
        s.last = Some((ts, here.clone()));
        match audit_switch(ev) {
            Some(false) => {
                self.disabled.entry(what_of(ev)).or_insert(here);
            }
            Some(true) => {
                let what = what_of(ev);
                if let Some(off) = self.disabled.remove(&what) {
                    let d = off.ts.map(|t| ts - t).unwrap_or_default();
                    self.periods.push(Finding::new(
                        "logging_disabled",
                        Status::Gap,
                        format!(
                            "audit logging of {what} was disabled from {} until {} ({})",
                            stamp(off.ts),
                            stamp(Some(ts)),
                            hours(d)
                        ),
                        vec![off, here],
                    ));
                }
            }
            None => {}
        }
    }

    /// The first and last timed events.
    pub fn span(&self) -> (Option<&EvidenceRef>, Option<&EvidenceRef>) {
        (self.first.as_ref(), self.last.as_ref())
    }

    /// Events per UTC day, oldest first.
    pub fn days(&self) -> Vec<DayCount> {
        self.days
            .iter()
            .filter_map(|(d, n)| DateTime::from_timestamp(d * 86_400, 0).map(|t| (t, *n)))
            .collect()
    }

    /// The result.
    pub fn finish(mut self) -> CheckResult {
        let end = self.last.as_ref().and_then(|e| e.ts);
        let mut findings = Vec::new();
        for (name, s) in &self.streams {
            let span = match (s.first, s.last.as_ref().map(|l| l.0)) {
                (Some(a), Some(b)) => b - a,
                _ => TimeDelta::zero(),
            };
            let avg = if s.count > 1 {
                span / i32::try_from(s.count - 1).unwrap_or(i32::MAX)
            } else {
                span
            };
            let rhythm =
                TimeDelta::milliseconds((avg.num_milliseconds() as f64 * self.factor) as i64);
            for (a, b, d) in &s.gaps {
                if *d <= rhythm {
                    continue;
                }
                findings.push(Finding::new(
                    "stream_gap",
                    Status::Gap,
                    format!(
                        "stream {name}: no event for {} ({} .. {}; the stream averages one event every {})",
                        hours(*d),
                        stamp(a.ts),
                        stamp(b.ts),
                        hours(avg)
                    ),
                    vec![a.clone(), b.clone()],
                ));
            }
            if s.more_gaps > 0 {
                findings.push(Finding::new(
                    "stream_gap",
                    Status::Gap,
                    format!("stream {name}: {} more silences not listed", s.more_gaps),
                    Vec::new(),
                ));
            }
        }
        findings.append(&mut self.periods);
        for (what, off) in std::mem::take(&mut self.disabled) {
            let d = match (off.ts, end) {
                (Some(a), Some(b)) => b - a,
                _ => TimeDelta::zero(),
            };
            findings.push(Finding::new(
                "logging_disabled",
                Status::Gap,
                format!(
                    "audit logging of {what} was disabled at {} and never enabled again before the end of the export ({}, {} later)",
                    stamp(off.ts),
                    stamp(end),
                    hours(d)
                ),
                vec![off],
            ));
        }
        let mut summary = format!(
            "{} event(s) in {} stream(s); a silence counts when longer than {} and than {}x the stream's average interval",
            self.events,
            self.streams.len(),
            hours(self.gap),
            self.factor
        );
        if self.untimed > 0 {
            let _ = write!(
                summary,
                "; {} event(s) without a time were not placed",
                self.untimed
            );
        }
        let mut r = CheckResult::from_findings(CheckKind::Continuity, summary, findings);
        if self.events == 0 {
            r.status = Status::NotEvidenced;
        }
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::governance::testutil::ev;

    /// One event every 10 minutes from hour `from_h` to hour `to_h`.
    fn busy(check: &mut ContinuityCheck, stream: &str, from_h: i64, to_h: i64) {
        let t0: DateTime<Utc> = "2026-03-02T00:00:00Z".parse().unwrap();
        for m in (from_h * 6)..(to_h * 6) {
            let t = t0 + TimeDelta::minutes(m * 10);
            let e = ev(&t.to_rfc3339(), stream, "api.call", m as u64 + 1);
            check.push(None, &e);
        }
    }

    #[test]
    fn a_long_silence_in_a_busy_stream_is_a_gap_but_a_batch_rhythm_is_not() {
        let p = Params::default();
        let mut c = ContinuityCheck::new(&p);
        busy(&mut c, "busy", 0, 100);
        busy(&mut c, "busy", 112, 200);
        let r = c.finish();
        assert_eq!(r.status, Status::Gap);
        assert_eq!(r.findings.len(), 1);
        assert!(r.findings[0].summary.contains("12.2 h"), "{:?}", r.findings);
        assert_eq!(r.findings[0].evidence[0].line, 600);

        // A stream with one event every 2 days has no gaps by its own rhythm.
        let mut c = ContinuityCheck::new(&p);
        for d in 0..5 {
            let t = format!("2026-03-{:02}T00:00:00Z", 2 + 2 * d);
            c.push(None, &ev(&t, "batch", "data.ingest", d + 1));
        }
        assert_eq!(c.finish().status, Status::Met);
    }

    #[test]
    fn audit_logging_disabled_runs_until_enabled_or_the_end() {
        let p = Params::default();
        let mut off = ev("2026-03-02T10:00:00Z", "platform", "audit.config.change", 1);
        off.details = serde_json::json!({"setting": "audit_logging", "new": "disabled"});
        let mut on = ev("2026-03-02T12:00:00Z", "platform", "audit.config.change", 2);
        on.details = serde_json::json!({"new": "enabled"});
        let last = ev("2026-03-03T10:00:00Z", "platform", "api.call", 3);

        let mut c = ContinuityCheck::new(&p);
        c.push(Some(1), &off);
        c.push(Some(2), &on);
        c.push(Some(3), &last);
        let r = c.finish();
        assert_eq!(r.findings.len(), 1);
        assert!(r.findings[0].summary.contains("until"), "{:?}", r.findings);
        assert_eq!(r.findings[0].evidence.len(), 2);

        let mut c = ContinuityCheck::new(&p);
        c.push(Some(1), &off);
        c.push(Some(3), &last);
        let r = c.finish();
        assert_eq!(r.status, Status::Gap);
        assert!(r.findings[0].summary.contains("never enabled again"));
        assert!(
            r.findings[0].summary.contains("24.0 h"),
            "{}",
            r.findings[0].summary
        );
        assert_eq!(c_days_after(&off, &last), 2);
    }

    fn c_days_after(a: &AuditEvent, b: &AuditEvent) -> usize {
        let mut c = ContinuityCheck::new(&Params::default());
        c.push(None, a);
        c.push(None, b);
        c.days().len()
    }

    #[test]
    fn a_change_that_is_not_a_switch_is_ignored() {
        let mut e = ev("2026-03-02T10:00:00Z", "p", "audit.config.change", 1);
        e.details = serde_json::json!({"setting": "retention", "new": "90d"});
        assert_eq!(audit_switch(&e), None);
        assert_eq!(
            audit_switch(&ev("2026-03-02T10:00:00Z", "p", "audit.log.disable", 1)),
            Some(false)
        );
    }
}
