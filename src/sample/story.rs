//! The sample story: fourteen days of an ML platform (data, features, training, evaluation,
//! registry, deployment, inference, monitoring, access, system, audit) with six planted
//! incidents. Events come out in time order, one day at a time, so a million-event story
//! needs no more memory than a day of it.

// The story is a script: long, flat lists of events read best as they are.
#![allow(clippy::too_many_lines)]

use chrono::{DateTime, Duration, TimeZone, Utc};
use serde_json::{Map, Value, json};

use super::rng::Rng;

mod cast;
mod incidents;
mod lifecycle;
mod operations;
mod platform;
mod routine;

use cast::{USERS, actor, art};
use incidents::incidents;
use lifecycle::{MODELS, VERSIONS, features_version, lifecycle, prod_version};
use operations::operations;
use platform::{data_and_features, failures};
use routine::{background, routine};

/// Days the story lasts.
pub const DAYS: i64 = 14;

/// One event of the story before sealing: its stream and its event-model fields.
#[derive(Debug, Clone, PartialEq)]
pub struct StoryEvent {
    /// Event time.
    pub ts: DateTime<Utc>,
    /// Stream id (`platform`, `pipeline`, `registry`, `serving`).
    pub stream: &'static str,
    /// Event-model fields, `ts` included.
    pub rec: Map<String, Value>,
}

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 0, 0, 0)
        .single()
        .expect("invariant: valid constant date")
}

fn at(day: i64, h: i64, m: i64, s: i64, ms: i64) -> DateTime<Utc> {
    start()
        + Duration::days(day)
        + Duration::hours(h)
        + Duration::minutes(m)
        + Duration::seconds(s)
        + Duration::milliseconds(ms)
}

fn ts_text(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Builds one event.
struct E {
    ts: DateTime<Utc>,
    stream: &'static str,
    rec: Map<String, Value>,
}

impl E {
    fn new(
        ts: DateTime<Utc>,
        stream: &'static str,
        action: &str,
        who: &str,
        message: impl Into<String>,
    ) -> Self {
        let mut rec = Map::new();
        rec.insert("ts".into(), Value::String(ts_text(ts)));
        rec.insert("action".into(), Value::String(action.into()));
        rec.insert("actor".into(), actor(who));
        rec.insert("outcome".into(), Value::String("success".into()));
        rec.insert("severity".into(), Value::String("info".into()));
        rec.insert("source".into(), Value::String(source_for(stream).into()));
        rec.insert("environment".into(), Value::String("production".into()));
        rec.insert("message".into(), Value::String(message.into()));
        Self { ts, stream, rec }
    }
    fn set(mut self, k: &str, v: Value) -> Self {
        self.rec.insert(k.into(), v);
        self
    }
    fn model(self, id: &str, v: &str) -> Self {
        self.set("model", json!({"id": id, "version": v}))
    }
    fn done(self) -> StoryEvent {
        StoryEvent {
            ts: self.ts,
            stream: self.stream,
            rec: self.rec,
        }
    }
}

fn source_for(stream: &str) -> &'static str {
    match stream {
        "pipeline" => "airflow",
        "registry" => "mlflow",
        "serving" => "kserve",
        _ => "platform-gateway",
    }
}

/// Every scripted and fixed-rate event of the story (a bounded, small set).
fn script(rng: &mut Rng) -> Vec<StoryEvent> {
    let mut out = Vec::new();
    data_and_features(&mut out);
    for v in VERSIONS {
        lifecycle(&mut out, v, rng);
    }
    failures(&mut out);
    operations(&mut out);
    incidents(&mut out);
    routine(&mut out, rng);
    out
}

/// The whole story, in time order, generated a day at a time.
pub struct Story {
    rng: Rng,
    scripted: std::vec::IntoIter<StoryEvent>,
    pending: Option<StoryEvent>,
    per_day: Vec<u64>,
    day: i64,
    buffer: std::vec::IntoIter<StoryEvent>,
    requests: u64,
}

impl Story {
    /// A story of about `events` events (exactly, when `events` exceeds the scripted part).
    pub fn new(events: u64, seed: u64) -> Self {
        let mut rng = Rng::new(seed);
        let mut scripted = script(&mut rng);
        scripted.sort_by_key(|e| e.ts);
        let extra = events.saturating_sub(scripted.len() as u64);
        let days = DAYS as u64;
        let per_day = (0..days)
            .map(|d| extra / days + u64::from(d < extra % days))
            .collect();
        Self {
            rng,
            scripted: scripted.into_iter(),
            pending: None,
            per_day,
            day: 0,
            buffer: Vec::new().into_iter(),
            requests: 0,
        }
    }

    fn fill_day(&mut self) -> bool {
        if self.day >= DAYS {
            return false;
        }
        let end = at(self.day + 1, 0, 0, 0, 0);
        let mut day_events = background(
            self.day,
            self.per_day[self.day as usize],
            &mut self.rng,
            &mut self.requests,
        );
        loop {
            let next = self.pending.take().or_else(|| self.scripted.next());
            match next {
                Some(e) if e.ts < end || self.day == DAYS - 1 => day_events.push(e),
                Some(e) => {
                    self.pending = Some(e);
                    break;
                }
                None => break,
            }
        }
        day_events.sort_by_key(|e| e.ts);
        self.buffer = day_events.into_iter();
        self.day += 1;
        true
    }
}

impl Iterator for Story {
    type Item = StoryEvent;
    fn next(&mut self) -> Option<StoryEvent> {
        loop {
            if let Some(e) = self.buffer.next() {
                return Some(e);
            }
            if !self.fill_day() {
                return None;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_story_and_exact_size() {
        let a: Vec<_> = Story::new(3000, 7).collect();
        let b: Vec<_> = Story::new(3000, 7).collect();
        assert_eq!(a, b);
        assert_eq!(a.len(), 3000);
        assert!(a.windows(2).all(|w| w[0].ts <= w[1].ts), "time order");
        let c: Vec<_> = Story::new(3000, 8).collect();
        assert_ne!(a, c);
    }

    #[test]
    fn planted_incidents_are_present_once() {
        let events: Vec<_> = Story::new(3000, 7).collect();
        let action = |e: &StoryEvent| e.rec["action"].as_str().unwrap().to_owned();
        let burst = events
            .iter()
            .filter(|e| e.rec["actor"]["ip"] == "203.0.113.77")
            .count();
        assert_eq!(burst, 14);
        let unapproved = events
            .iter()
            .filter(|e| {
                action(e) == "model.approve"
                    && e.rec["model"]["id"] == "fraud-detector"
                    && e.rec["model"]["version"] == "4"
            })
            .count();
        assert_eq!(unapproved, 0);
        let prod4 = events
            .iter()
            .filter(|e| {
                action(e) == "model.deploy"
                    && e.rec["environment"] == "production"
                    && e.rec["model"]["id"] == "fraud-detector"
                    && e.rec["model"]["version"] == "4"
            })
            .count();
        assert_eq!(prod4, 1);
        assert_eq!(
            events.iter().filter(|e| action(e) == "data.export").count(),
            1
        );
        assert_eq!(
            events
                .iter()
                .filter(|e| action(e) == "audit.config.change")
                .count(),
            1
        );
        let high_drift = events
            .iter()
            .filter(|e| {
                action(e) == "monitor.drift"
                    && e.rec["details"]["drift_score"].as_f64().unwrap()
                        > e.rec["details"]["threshold"].as_f64().unwrap()
            })
            .count();
        assert_eq!(high_drift, 1);
        // Every other production deployment has an earlier approval of the same version.
        for d in events
            .iter()
            .filter(|e| action(e) == "model.deploy" && e.rec["environment"] == "production")
        {
            let approved = events.iter().any(|a| {
                action(a) == "model.approve" && a.rec["model"] == d.rec["model"] && a.ts < d.ts
            });
            assert_eq!(
                approved,
                d.rec["model"]["version"] != "4" || d.rec["model"]["id"] != "fraud-detector",
                "{:?}",
                d.rec["model"]
            );
        }
        // No human reads secrets.
        assert!(
            events
                .iter()
                .filter(|e| action(e) == "secret.read")
                .all(|e| e.rec["actor"]["type"] == "service")
        );
    }

    #[test]
    fn inference_errors_spike_on_the_new_version_after_a_config_change_and_a_deploy() {
        let events: Vec<_> = Story::new(3000, 7).collect();
        let action = |e: &StoryEvent| e.rec["action"].as_str().unwrap().to_owned();
        let errors: Vec<_> = events
            .iter()
            .filter(|e| action(e).starts_with("inference.") && e.rec["outcome"] != "success")
            .collect();
        assert_eq!(errors.len() as i64, incidents::SPIKE_ERRORS);
        assert!(
            errors
                .iter()
                .all(|e| e.rec["model"] == json!({"id": "churn-predictor", "version": "4"}))
        );
        let first = errors[0].ts;
        let deploy = events
            .iter()
            .find(|e| {
                action(e) == "model.deploy"
                    && e.rec["environment"] == "production"
                    && e.rec["model"] == json!({"id": "churn-predictor", "version": "4"})
            })
            .expect("v4 deployed");
        let change = events
            .iter()
            .rfind(|e| action(e) == "deploy.config.change" && e.ts < deploy.ts)
            .expect("a config change before the deployment");
        assert_eq!(change.rec["details"]["setting"], "request_timeout_ms");
        assert!(change.ts < deploy.ts && deploy.ts < first);
        // Approved before it was deployed: not a second unapproved deployment.
        assert!(events.iter().any(|a| action(a) == "model.approve"
            && a.rec["model"] == deploy.rec["model"]
            && a.ts < deploy.ts));
        // v4 also serves successful predictions, so the errors are a rate, not the only traffic.
        assert!(events.iter().any(|e| action(e) == "inference.predict"
            && e.rec["outcome"] == "success"
            && e.rec["model"]["version"] == "4"
            && e.rec["model"]["id"] == "churn-predictor"));
    }

    #[test]
    fn large_stories_stream_in_order() {
        let mut n = 0u64;
        let mut last = None;
        for e in Story::new(50_000, 1) {
            if let Some(l) = last {
                assert!(e.ts >= l);
            }
            last = Some(e.ts);
            n += 1;
        }
        assert_eq!(n, 50_000);
    }
}
