//! Monitoring follow-up: drift above its threshold, or an error rate above the maximum,
//! and whether a retraining, rollback, new training run or incident concerning the same
//! model followed within the set time. Fed the monitoring events first, then the
//! follow-up events (each oldest first). Memory: the breaches (capped).

use crate::model::fields;
use chrono::{DateTime, TimeDelta, Utc};

use super::catalog::{CheckKind, Params};
use super::evidence::EvidenceRef;
use super::report::{CheckResult, Finding, Status};
use crate::model::AuditEvent;

/// Breaches kept; more are counted.
const MAX_BREACHES: usize = 1000;

/// Actions that follow a breach up.
pub const FOLLOW_UPS: &[&str] = &[
    "model.retrain.trigger",
    "model.rollback",
    "model.train.start",
    "model.decommission",
    "security.alert",
    "incident.open",
    "incident.create",
];

#[derive(Debug)]
struct Breach {
    ts: DateTime<Utc>,
    model: Option<String>,
    what: String,
    evidence: EvidenceRef,
    follow: Option<(EvidenceRef, String)>,
}

/// The monitoring check.
#[derive(Debug)]
pub struct MonitoringCheck {
    window: TimeDelta,
    error_max: f64,
    breaches: Vec<Breach>,
    more: u64,
    observations: u64,
}

fn num(v: &serde_json::Value, key: &str) -> Option<f64> {
    match v.get(key)? {
        serde_json::Value::Number(n) => n.as_f64(),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn model_of(ev: &AuditEvent) -> Option<String> {
    ev.model.as_ref().map(|m| match &m.version {
        Some(v) => format!("{} v{v}", m.id),
        None => m.id.clone(),
    })
}

impl MonitoringCheck {
    /// A check with the catalog's window and error-rate maximum.
    pub fn new(params: &Params) -> Self {
        Self {
            window: TimeDelta::milliseconds((params.followup_hours * 3_600_000.0) as i64),
            error_max: params.error_rate_max,
            breaches: Vec::new(),
            more: 0,
            observations: 0,
        }
    }

    /// The query selecting monitoring observations.
    pub(crate) fn observation_query() -> String {
        ["monitor.drift", "monitor.metric", "monitor.anomaly"]
            .iter()
            .map(|a| format!("{}:{a}", fields::ACTION))
            .collect::<Vec<_>>()
            .join(" OR ")
    }

    /// The query selecting follow-ups.
    pub(crate) fn follow_up_query() -> String {
        FOLLOW_UPS
            .iter()
            .map(|a| format!("{}:{a}", fields::ACTION))
            .collect::<Vec<_>>()
            .join(" OR ")
    }

    /// Takes one monitoring observation.
    pub(crate) fn push_observation(&mut self, ord: Option<u64>, ev: &AuditEvent) {
        if !ev.action.starts_with("monitor.") {
            return;
        }
        self.observations += 1;
        let Some(ts) = ev.ts else { return };
        let what = if let (Some(score), Some(th)) = (
            num(&ev.details, "drift_score"),
            num(&ev.details, "threshold"),
        ) && score > th
        {
            format!("drift {score} above its threshold {th}")
        } else if let Some(rate) = num(&ev.details, "error_rate")
            && rate > self.error_max
        {
            format!("error rate {rate} above {}", self.error_max)
        } else if ev.action == "monitor.anomaly" {
            "anomaly detected".to_owned()
        } else {
            return;
        };
        if self.breaches.len() >= MAX_BREACHES {
            self.more += 1;
            return;
        }
        self.breaches.push(Breach {
            ts,
            model: ev.model.as_ref().map(|m| m.id.clone()),
            what: match model_of(ev) {
                Some(m) => format!("{m}: {what}"),
                None => what,
            },
            evidence: EvidenceRef::of(ev, ord),
            follow: None,
        });
    }

    /// Takes one follow-up event (after every observation).
    pub(crate) fn push_follow_up(&mut self, ord: Option<u64>, ev: &AuditEvent) {
        if !FOLLOW_UPS.contains(&ev.action.as_str()) {
            return;
        }
        let Some(ts) = ev.ts else { return };
        let model = ev.model.as_ref().map(|m| m.id.clone());
        for b in &mut self.breaches {
            let same = b.model.is_none() || model.is_none() || b.model == model;
            if b.follow.is_none() && same && ts >= b.ts && ts - b.ts <= self.window {
                let after = ts - b.ts;
                b.follow = Some((
                    EvidenceRef::of(ev, ord),
                    format!("{} {} min later", ev.action, after.num_minutes()),
                ));
            }
        }
    }

    /// The result.
    pub fn finish(self) -> CheckResult {
        let hours = self.window.num_minutes() as f64 / 60.0;
        let mut findings = Vec::new();
        for b in self.breaches {
            let at = b.ts.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
            findings.push(match b.follow {
                Some((f, how)) => Finding::new(
                    "monitoring_breach_followed",
                    Status::Met,
                    format!("{} at {at}; followed by {how}", b.what),
                    vec![b.evidence, f],
                ),
                None => Finding::new(
                    "monitoring_breach_unanswered",
                    Status::Gap,
                    format!(
                        "{} at {at}; nothing followed within {hours} h (no retraining, rollback or incident)",
                        b.what
                    ),
                    vec![b.evidence],
                ),
            });
        }
        if self.more > 0 {
            findings.push(Finding::new(
                "monitoring_breach_unanswered",
                Status::NotEvidenced,
                format!("{} more breaches not evaluated", self.more),
                Vec::new(),
            ));
        }
        let summary = format!(
            "{} monitoring observation(s); a breach must be followed by {} within {hours} h",
            self.observations,
            FOLLOW_UPS.join(", ")
        );
        let mut r = CheckResult::from_findings(CheckKind::Monitoring, summary, findings);
        if self.observations == 0 {
            r.status = Status::NotEvidenced;
        }
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::governance::testutil::ev;
    use crate::model::ModelRef;

    fn drift(ts: &str, score: f64) -> AuditEvent {
        let mut e = ev(ts, "serving", "monitor.drift", 3);
        e.model = Some(ModelRef {
            id: "churn".into(),
            version: Some("3".into()),
        });
        e.details = serde_json::json!({"drift_score": score, "threshold": 0.1});
        e
    }

    fn retrain(ts: &str, model: &str) -> AuditEvent {
        let mut e = ev(ts, "serving", "model.retrain.trigger", 9);
        e.model = Some(ModelRef {
            id: model.into(),
            version: None,
        });
        e
    }

    #[test]
    fn a_breach_followed_in_time_is_met_and_one_left_alone_is_a_gap() {
        let p = Params::default();
        let mut c = MonitoringCheck::new(&p);
        c.push_observation(Some(1), &drift("2026-03-13T16:00:00Z", 0.47));
        c.push_observation(Some(2), &drift("2026-03-13T17:00:00Z", 0.05));
        c.push_follow_up(Some(3), &retrain("2026-03-13T16:30:00Z", "churn"));
        let r = c.finish();
        assert_eq!(r.status, Status::Met);
        assert_eq!(r.findings.len(), 1);
        assert_eq!(r.findings[0].kind, "monitoring_breach_followed");
        assert!(
            r.findings[0].summary.contains("30 min later"),
            "{}",
            r.findings[0].summary
        );
        assert_eq!(r.findings[0].evidence.len(), 2);

        // Too late, or another model: a gap.
        let mut c = MonitoringCheck::new(&p);
        c.push_observation(Some(1), &drift("2026-03-13T16:00:00Z", 0.47));
        c.push_follow_up(Some(3), &retrain("2026-03-15T16:30:00Z", "churn"));
        c.push_follow_up(Some(4), &retrain("2026-03-13T16:30:00Z", "fraud"));
        let r = c.finish();
        assert_eq!(r.status, Status::Gap);
        assert_eq!(r.findings[0].kind, "monitoring_breach_unanswered");
    }
}
