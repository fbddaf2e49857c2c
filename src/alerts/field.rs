//! Reading a named field of an event, for grouping keys and numeric comparisons. The
//! names are those of the query language (`actor.id`, `model.version`, `details.<path>`).

use std::borrow::Cow;

use serde_json::Value;

use crate::model::AuditEvent;

const NAMES: &[&str] = &[
    "action",
    "category",
    "severity",
    "outcome",
    "actor.id",
    "actor.type",
    "actor.ip",
    "actor.session",
    "actor.roles",
    "resource.type",
    "resource.id",
    "resource.name",
    "resource.version",
    "resource.tags",
    "model.id",
    "model.version",
    "run_id",
    "parent_run_id",
    "correlation_id",
    "environment",
    "source",
    "stream",
    "path",
    "integrity",
];

/// Whether `name` is a field that [`field_value`] can read.
pub fn is_known_field(name: &str) -> bool {
    NAMES.contains(&name) || details_path(name).is_some_and(|p| !p.is_empty())
}

fn details_path(name: &str) -> Option<&str> {
    name.strip_prefix("details.")
}

/// The value of a field as text (`None` when the event does not have it). Lists
/// (`actor.roles`, `resource.tags`) are joined with commas; `details.a.b` walks nested
/// objects, and numbers and booleans are written as JSON writes them.
pub fn field_value<'a>(ev: &'a AuditEvent, name: &str) -> Option<Cow<'a, str>> {
    let opt = |v: &'a Option<String>| v.as_deref().map(Cow::Borrowed);
    let v = match name {
        "action" => Some(Cow::Borrowed(ev.action.as_str())),
        "category" => Some(Cow::Borrowed(ev.category.as_str())),
        "severity" => Some(Cow::Borrowed(ev.severity.as_str())),
        "outcome" => Some(Cow::Borrowed(ev.outcome.as_str())),
        "actor.id" => opt(&ev.actor.id),
        "actor.type" => opt(&ev.actor.kind),
        "actor.ip" => opt(&ev.actor.ip),
        "actor.session" => opt(&ev.actor.session),
        "actor.roles" => join(&ev.actor.roles),
        "resource.type" => opt(&ev.resource.kind),
        "resource.id" => opt(&ev.resource.id),
        "resource.name" => opt(&ev.resource.name),
        "resource.version" => opt(&ev.resource.version),
        "resource.tags" => join(&ev.resource.tags),
        "model.id" => ev.model.as_ref().map(|m| Cow::Borrowed(m.id.as_str())),
        "model.version" => ev.model.as_ref().and_then(|m| opt(&m.version)),
        "run_id" => opt(&ev.run_id),
        "parent_run_id" => opt(&ev.parent_run_id),
        "correlation_id" => opt(&ev.correlation_id),
        "environment" => opt(&ev.environment),
        "source" => opt(&ev.source),
        "stream" => opt(&ev.origin.stream),
        "path" => Some(Cow::Borrowed(ev.origin.path.as_str())),
        "integrity" => opt(&ev.integrity),
        other => {
            let v = details_value(ev, details_path(other)?)?;
            match v {
                Value::String(s) => Some(Cow::Borrowed(s.as_str())),
                Value::Null => None,
                other => Some(Cow::Owned(other.to_string())),
            }
        }
    };
    v.filter(|s| !s.is_empty())
}

fn join(list: &[String]) -> Option<Cow<'_, str>> {
    if list.is_empty() {
        None
    } else {
        Some(Cow::Owned(list.join(",")))
    }
}

/// The JSON value at a dotted path inside `details` (the path without `details.`).
/// A key that itself contains dots is found too (`{"a.b": 1}` for path `a.b`).
pub(super) fn details_value<'a>(ev: &'a AuditEvent, path: &str) -> Option<&'a Value> {
    if let Some(v) = ev.details.get(path) {
        return Some(v);
    }
    let mut cur = &ev.details;
    for part in path.split('.') {
        cur = cur.get(part)?;
    }
    Some(cur)
}

/// A number at `details.<path>`: a JSON number, or a string holding one.
pub(super) fn details_number(ev: &AuditEvent, name: &str) -> Option<f64> {
    let v = details_value(ev, details_path(name)?)?;
    let n = match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    }?;
    n.is_finite().then_some(n)
}
