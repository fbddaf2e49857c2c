//! The generic adapter: JSON objects with event-model field names, or the common names
//! logging libraries use (`time`, `@timestamp`, `user`, `level`, `msg`...). It is also the
//! core of the native adapter, whose records use the event-model names exactly.

use serde_json::{Map, Value};

use super::fields::{Fields, actor_from, artifacts_from, merge_details, model_from, resource_from};
use crate::model::{AuditEvent, Category, Origin, Outcome, Severity, TsQuality, parse_time_value};

const TS: &[&str] = &[
    "ts",
    "time",
    "timestamp",
    "@timestamp",
    "eventTime",
    "event_time",
    "datetime",
    "date",
    "created_at",
    "createdAt",
    "logged_at",
    "when",
];
const ACTION: &[&str] = &[
    "action",
    "event",
    "event_name",
    "eventName",
    "event_type",
    "eventType",
    "operation",
    "verb",
    "activity",
    "type",
];
const ACTOR: &[&str] = &[
    "actor",
    "user",
    "principal",
    "userName",
    "username",
    "user_name",
    "user_id",
    "userId",
    "identity",
    "subject",
];
const SEVERITY: &[&str] = &[
    "severity",
    "level",
    "log_level",
    "loglevel",
    "lvl",
    "priority",
];
const OUTCOME: &[&str] = &["outcome", "result", "status"];
const MESSAGE: &[&str] = &["message", "msg", "description", "summary", "text", "log"];
const IP: &[&str] = &[
    "ip",
    "client_ip",
    "clientIp",
    "source_ip",
    "sourceIp",
    "sourceIPAddress",
    "src_ip",
    "remote_addr",
    "remote_ip",
];
const CORRELATION: &[&str] = &[
    "correlation_id",
    "correlationId",
    "request_id",
    "requestId",
    "trace_id",
    "traceId",
];

/// Maps a JSON object onto the event model. `origin.format` says which adapter called.
pub fn map_object(obj: Map<String, Value>, origin: Origin) -> AuditEvent {
    let mut f = Fields(obj);
    let action = f.take_str(ACTION).map_or_else(
        || "unknown".to_owned(),
        |a| a.trim().to_ascii_lowercase().replace([' ', '_'], "."),
    );
    let mut ev = AuditEvent::new(origin, action);

    match f.take(TS).map(|v| (parse_time_value(&v), v)) {
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
    if let Some(s) = f.take_str(SEVERITY) {
        match Severity::parse(&s) {
            Some(sev) => ev.severity = sev,
            None => {
                f.0.insert("original_severity".to_owned(), Value::String(s));
            }
        }
    }
    if let Some(o) = f.take_str(OUTCOME) {
        match Outcome::parse(&o) {
            Some(out) => ev.outcome = out,
            None => {
                f.0.insert("original_outcome".to_owned(), Value::String(o));
            }
        }
    }
    if let Some(a) = f.take(ACTOR) {
        ev.actor = actor_from(&a);
    }
    if ev.actor.ip.is_none() {
        ev.actor.ip = f.take_str(IP);
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
    ev.correlation_id = f.take_str(CORRELATION);
    ev.environment = f.take_str(&["environment", "env"]);
    ev.source = f.take_str(&["source", "service", "app", "application", "producer"]);
    ev.message = f.take_str(MESSAGE);
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
        map_object(m, origin())
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
