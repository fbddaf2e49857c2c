//! The generic adapter: JSON objects with event-model field names, or the common names
//! logging libraries use (`time`, `@timestamp`, `user`, `level`, `msg`...). It is also the
//! core of the native adapter, whose records use the event-model names exactly.

use std::sync::{Arc, OnceLock};

use serde::Deserialize;
use serde_json::{Map, Value};

use super::fields::{
    Fields, actor_from, artifacts_from, merge_details, model_from, resource_from, scalar_string,
};
use crate::model::{AuditEvent, Category, Origin, Outcome, Severity, TsQuality, parse_time_value};

/// The built-in candidate lists (`assets/generic.json`).
const BUILTIN: &str = include_str!("../../assets/generic.json");

/// The candidate keys of the generic mapping, per part, in the order they are tried. A
/// dotted name is a path into nested objects (read, not removed from `details`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct GenericMapping {
    /// Event time: ISO 8601 / RFC 3339 text, or epoch numbers (or digit strings) whose unit
    /// is decided by magnitude: below 1e11 seconds, below 1e14 milliseconds, below 1e17
    /// microseconds, else nanoseconds.
    #[serde(default)]
    pub time: Vec<String>,
    /// Action.
    #[serde(default)]
    pub action: Vec<String>,
    /// Actor: a string, or an object with `id`, `alternateId`, `email`, `login`, `name`...
    #[serde(default)]
    pub actor: Vec<String>,
    /// Outcome: words, HTTP codes, `success` booleans; an `error` present is a failure.
    #[serde(default)]
    pub outcome: Vec<String>,
    /// Severity.
    #[serde(default)]
    pub severity: Vec<String>,
    /// Message.
    #[serde(default)]
    pub message: Vec<String>,
    /// Actor IP.
    #[serde(default)]
    pub ip: Vec<String>,
    /// Correlation id.
    #[serde(default)]
    pub correlation: Vec<String>,
}

impl GenericMapping {
    /// The built-in mapping.
    pub fn builtin() -> Self {
        serde_json::from_str(BUILTIN).unwrap_or_default()
    }

    /// The built-in mapping with a user file's candidates tried first (`user` is the text of
    /// a JSON object with any of the same lists).
    pub(crate) fn with_user(user: &str) -> Result<Self, serde_json::Error> {
        let extra: Self = serde_json::from_str(user)?;
        let mut m = Self::builtin();
        let merge = |mine: &mut Vec<String>, theirs: Vec<String>| {
            let mut out = theirs;
            for c in mine.drain(..) {
                if !out.contains(&c) {
                    out.push(c);
                }
            }
            *mine = out;
        };
        merge(&mut m.time, extra.time);
        merge(&mut m.action, extra.action);
        merge(&mut m.actor, extra.actor);
        merge(&mut m.outcome, extra.outcome);
        merge(&mut m.severity, extra.severity);
        merge(&mut m.message, extra.message);
        merge(&mut m.ip, extra.ip);
        merge(&mut m.correlation, extra.correlation);
        Ok(m)
    }

    /// A stable text of the mapping (for the index cache key).
    pub fn key(&self) -> String {
        [
            &self.time,
            &self.action,
            &self.actor,
            &self.outcome,
            &self.severity,
            &self.message,
            &self.ip,
            &self.correlation,
        ]
        .iter()
        .map(|l| l.join("\u{1f}"))
        .collect::<Vec<_>>()
        .join("\u{1e}")
    }
}

impl GenericMapping {
    /// The built-in mapping, parsed once and shared (a cache of a constant: no setting
    /// changes it; a user's mapping travels in the load options instead).
    pub fn shared_builtin() -> Arc<Self> {
        static BUILTIN_MAPPING: OnceLock<Arc<GenericMapping>> = OnceLock::new();
        Arc::clone(BUILTIN_MAPPING.get_or_init(|| Arc::new(GenericMapping::builtin())))
    }
}

/// The native adapter's names: the event model's own, never changed by a user file.
fn native_mapping() -> &'static GenericMapping {
    static NATIVE: OnceLock<GenericMapping> = OnceLock::new();
    NATIVE.get_or_init(GenericMapping::builtin)
}

/// The value at a dotted path inside `obj` (each name matched ignoring ASCII case), read in
/// place: this runs for every dotted candidate of every record, so it neither copies the
/// record nor collects the path.
fn nested<'a>(obj: &'a Map<String, Value>, dotted: &str) -> Option<&'a Value> {
    let mut names = dotted.split('.');
    let mut cur = super::adapt::get_ci(obj, names.next()?)?;
    for name in names {
        cur = super::adapt::get_ci(cur.as_object()?, name)?;
    }
    Some(cur)
}

/// Takes the first present, non-null candidate (a dotted name reads a nested value).
fn take_candidate(f: &mut Fields, names: &[String]) -> Option<(String, Value)> {
    for n in names {
        if n.contains('.') && !f.0.contains_key(n.as_str()) {
            if let Some(v) = nested(&f.0, n).filter(|v| !v.is_null()) {
                return Some((n.clone(), v.clone()));
            }
            continue;
        }
        if let Some(v) = f.0.remove(n.as_str())
            && !v.is_null()
        {
            return Some((n.clone(), v));
        }
    }
    None
}

fn take_candidate_str(f: &mut Fields, names: &[String]) -> Option<String> {
    for n in names {
        let found = if n.contains('.') && !f.0.contains_key(n.as_str()) {
            nested(&f.0, n).and_then(super::fields::scalar_string)
        } else {
            super::fields::take_scalar(&mut f.0, n)
        };
        if found.is_some() {
            return found;
        }
    }
    None
}

/// The outcome of a candidate: words, HTTP status codes, `success`-style booleans, and an
/// error field that is present.
fn outcome_from(key: &str, v: &Value) -> Option<Outcome> {
    let last = key.rsplit('.').next().unwrap_or(key).to_ascii_lowercase();
    let error_key = last.starts_with("error") || last == "err";
    if error_key {
        let denied = scalar_string(v).is_some_and(|s| {
            let l = s.to_ascii_lowercase();
            l.contains("denied") || l.contains("forbidden") || l.contains("unauthorized")
        });
        return match v {
            Value::Bool(false) => Some(Outcome::Success),
            Value::String(s) if s.is_empty() => None,
            _ if denied => Some(Outcome::Denied),
            _ => Some(Outcome::Failure),
        };
    }
    match v {
        Value::Bool(b) => Some(if *b {
            Outcome::Success
        } else {
            Outcome::Failure
        }),
        Value::Number(n) => n.as_u64().and_then(http_outcome),
        Value::String(s) => s
            .trim()
            .parse::<u64>()
            .ok()
            .and_then(http_outcome)
            .or_else(|| Outcome::parse(s))
            .or_else(|| match s.trim().to_ascii_lowercase().as_str() {
                "deny" | "blocked" | "block" => Some(Outcome::Denied),
                "skipped" | "challenge" | "unknown" => Some(Outcome::Unknown),
                _ => None,
            }),
        Value::Object(o) => ["result", "status", "outcome", "value"]
            .iter()
            .find_map(|k| o.get(*k))
            .and_then(|inner| outcome_from("result", inner)),
        _ => None,
    }
}

fn http_outcome(n: u64) -> Option<Outcome> {
    Some(match n {
        0 | 200..=399 => Outcome::Success,
        401 | 403 | 407 => Outcome::Denied,
        400..=599 => Outcome::Failure,
        _ => return None,
    })
}

/// Maps a native record (the event model's own names; a user mapping does not apply).
pub(crate) fn map_native(obj: Map<String, Value>, origin: Origin) -> AuditEvent {
    map_object(obj, origin, native_mapping())
}

/// Maps a JSON object onto the event model with mapping `m` (the built-in candidates, or
/// the user's tried first). `origin.format` says which adapter called.
pub(crate) fn map_object(
    obj: Map<String, Value>,
    origin: Origin,
    m: &GenericMapping,
) -> AuditEvent {
    let mut f = Fields(obj);
    let action = take_candidate_str(&mut f, &m.action).map_or_else(
        || "unknown".to_owned(),
        |a| a.trim().to_ascii_lowercase().replace([' ', '_'], "."),
    );
    let mut ev = AuditEvent::new(origin, action);

    match take_candidate(&mut f, &m.time).map(|(_, v)| (parse_time_value(&v), v)) {
        Some((Some(t), _)) => {
            ev.ts = Some(t.ts);
            ev.ts_quality = t.quality;
        }
        Some((None, v)) => {
            ev.ts_quality = TsQuality::Invalid;
            f.0.insert("unparsed_ts".to_owned(), v);
        }
        None => {}
    }
    if let Some(c) = f.take_str(&["category"]) {
        match Category::parse(&c) {
            Some(cat) => ev.category = cat,
            None => {
                f.0.insert("original_category".to_owned(), Value::String(c));
            }
        }
    }
    if let Some(s) = take_candidate_str(&mut f, &m.severity) {
        match Severity::parse(&s) {
            Some(sev) => ev.severity = sev,
            None => {
                f.0.insert("original_severity".to_owned(), Value::String(s));
            }
        }
    }
    if let Some((k, o)) = take_candidate(&mut f, &m.outcome) {
        match outcome_from(&k, &o) {
            Some(out) => ev.outcome = out,
            None => {
                f.0.insert("original_outcome".to_owned(), o);
            }
        }
    }
    if let Some((_, a)) = take_candidate(&mut f, &m.actor) {
        ev.actor = actor_from(&a);
    }
    if ev.actor.ip.is_none() {
        ev.actor.ip = take_candidate_str(&mut f, &m.ip);
    }
    if let Some(r) = f.take(&["resource", "object", "target"]) {
        ev.resource = resource_from(&r);
    }
    ev.model = f.take(&["model"]).and_then(|m| model_from(&m));
    if ev.model.is_none()
        && let Some(id) = f.take_str(&["model_id", "modelId", "model_name"])
    {
        let version = f.take_str(&["model_version", "modelVersion"]);
        ev.model = Some(crate::model::ModelRef { id, version });
    }
    ev.inputs = f
        .take(&["inputs"])
        .map(|v| artifacts_from(&v))
        .unwrap_or_default();
    ev.outputs = f
        .take(&["outputs"])
        .map(|v| artifacts_from(&v))
        .unwrap_or_default();
    ev.run_id = f.take_str(&["run_id", "runId"]);
    ev.parent_run_id = f.take_str(&["parent_run_id", "parentRunId"]);
    ev.correlation_id = take_candidate_str(&mut f, &m.correlation);
    ev.environment = f.take_str(&["environment", "env"]);
    ev.source = f.take_str(&["source", "service", "app", "application", "producer"]);
    ev.message = take_candidate_str(&mut f, &m.message);
    let details = f.take(&["details"]);
    ev.details = merge_details(details, f.0);
    ev
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Format;
    use serde_json::json;

    fn origin() -> Origin {
        Origin {
            path: "x.jsonl".into(),
            line: 1,
            format: Format::Generic,
            stream: None,
            seq: None,
            hash: None,
            part: 0,
        }
    }

    fn map(v: Value) -> AuditEvent {
        let Value::Object(m) = v else { panic!() };
        map_object(m, origin(), &GenericMapping::shared_builtin())
    }

    #[test]
    fn common_logging_names_are_mapped() {
        let ev = map(
            json!({"@timestamp": "2024-01-02T03:04:05.678+01:00", "user": "bob", "level": "WARN",
            "msg": "disk almost full", "event": "System Patch", "request_id": "r-1", "latency_ms": 12}),
        );
        assert_eq!(ev.ts.unwrap().to_rfc3339(), "2024-01-02T02:04:05.678+00:00");
        assert_eq!(ev.actor.id.as_deref(), Some("bob"));
        assert_eq!(ev.severity, Severity::Warning);
        assert_eq!(ev.message.as_deref(), Some("disk almost full"));
        assert_eq!(ev.action, "system.patch");
        assert_eq!(ev.category, Category::System);
        assert_eq!(ev.correlation_id.as_deref(), Some("r-1"));
        assert_eq!(ev.details["latency_ms"], 12);
    }

    #[test]
    fn event_model_objects_are_read() {
        let ev = map(
            json!({"ts": 1_700_000_000_000_u64, "action": "model.deploy", "outcome": "success",
            "actor": {"id": "alice", "type": "user", "roles": ["ml-engineer"], "ip": "10.0.0.1"},
            "resource": {"type": "deployment", "id": "dep-1", "tags": ["pii"]},
            "model": {"id": "churn", "version": 3}, "environment": "production",
            "inputs": [{"type": "model_version", "id": "churn", "version": "3"}],
            "details": {"replicas": 2}}),
        );
        assert_eq!(ev.actor.roles, vec!["ml-engineer"]);
        assert_eq!(ev.actor.ip.as_deref(), Some("10.0.0.1"));
        assert_eq!(ev.resource.tags, vec!["pii"]);
        assert_eq!(ev.model.as_ref().unwrap().version.as_deref(), Some("3"));
        assert_eq!(ev.inputs.len(), 1);
        assert_eq!(ev.category, Category::Deployment);
        assert_eq!(ev.details, json!({"replicas": 2}));
    }

    #[test]
    fn okta_github_and_openai_style_records() {
        let ev = map(
            json!({"published": "2024-02-01T10:00:00.000Z", "eventType": "user.session.start",
            "actor": {"id": "00u1", "type": "User", "alternateId": "ana@example.com"},
            "client": {"ipAddress": "198.51.100.4"}, "outcome": {"result": "FAILURE"},
            "severity": "WARN", "displayMessage": "User login to Okta"}),
        );
        assert_eq!(ev.action, "user.session.start");
        assert!(ev.ts.is_some());
        assert_eq!(ev.actor.id.as_deref(), Some("00u1"));
        assert_eq!(ev.actor.ip.as_deref(), Some("198.51.100.4"));
        assert_eq!(ev.outcome, Outcome::Failure);
        assert_eq!(ev.message.as_deref(), Some("User login to Okta"));
        let ev = map(
            json!({"@timestamp": 1_706_781_600_000_u64, "action": "repo.create",
            "actor": "octocat", "created_at": 1_706_781_600_000_u64}),
        );
        assert_eq!(ev.ts.unwrap().timestamp(), 1_706_781_600);
        assert_eq!(ev.actor.id.as_deref(), Some("octocat"));
        let ev = map(
            json!({"effective_at": 1_706_781_600, "type": "api_key.created",
            "actor": {"type": "session", "session": {"user": {"email": "a@b.c"}}}}),
        );
        assert_eq!(ev.ts.unwrap().timestamp(), 1_706_781_600);
        assert_eq!(ev.action, "api.key.created");
        for (v, want) in [
            (json!({"statusCode": 403}), Outcome::Denied),
            (json!({"status": "404"}), Outcome::Failure),
            (json!({"success": true}), Outcome::Success),
            (json!({"error": "boom"}), Outcome::Failure),
            (json!({"errorCode": "AccessDenied"}), Outcome::Denied),
            (json!({"result": "DENY"}), Outcome::Denied),
        ] {
            assert_eq!(map(v.clone()).outcome, want, "{v}");
        }
        // Epoch numbers as strings, in every unit.
        for t in [
            "1706781600",
            "1706781600000",
            "1706781600000000",
            "1706781600000000000",
        ] {
            assert_eq!(
                map(json!({"time": t})).ts.unwrap().timestamp(),
                1_706_781_600,
                "{t}"
            );
        }
    }

    #[test]
    fn a_user_file_adds_candidates_tried_first() {
        let m =
            GenericMapping::with_user(r#"{"actor": ["who.name"], "action": ["what"]}"#).unwrap();
        assert_eq!(m.actor[0], "who.name");
        assert!(m.actor.contains(&"actor".to_owned()));
        assert_ne!(m.key(), GenericMapping::builtin().key());
        let Value::Object(o) =
            json!({"who": {"name": "ana"}, "what": "Model Deploy", "actor": "x"})
        else {
            panic!()
        };
        let ev = map_object(o, origin(), &m);
        assert_eq!(ev.actor.id.as_deref(), Some("ana"));
        assert_eq!(ev.action, "model.deploy");
        assert!(GenericMapping::with_user("[1]").is_err());
        assert!(!GenericMapping::builtin().time.is_empty());
    }

    #[test]
    fn bad_types_do_not_panic_and_are_kept() {
        let ev = map(
            json!({"ts": {"nested": true}, "severity": "loud", "actor": [1, 2], "resource": null,
            "inputs": "not-a-list", "category": "weird"}),
        );
        assert_eq!(ev.ts, None);
        assert_eq!(ev.ts_quality, TsQuality::Invalid);
        assert_eq!(ev.details["original_severity"], "loud");
        assert_eq!(ev.details["original_category"], "weird");
        assert_eq!(ev.inputs.len(), 1);
        assert_eq!(ev.action, "unknown");
    }
}
