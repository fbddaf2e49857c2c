//! Small helpers shared by the format adapters: case-insensitive field access, paths into
//! nested objects, JSON stored inside strings, lineage references and the final touches
//! every adapter applies (severity of failed or denied activities).

use serde_json::{Map, Value};

use super::fields::scalar_string;
use super::strict_json::parse_strict;
use crate::model::{ArtifactRef, AuditEvent, Format, Origin, Outcome, Severity, parse_time_value};

/// JSON kept inside a string is parsed only up to this size (larger strings stay text).
const MAX_EMBEDDED_JSON: usize = 4 << 20;

/// An origin for a record read by `format`.
pub fn origin(path: &str, line: u64, format: Format) -> Origin {
    Origin {
        path: path.to_owned(),
        line,
        format,
        stream: None,
        seq: None,
        hash: None,
        part: 0,
    }
}

/// A field by name, exact spelling first, then ignoring ASCII case (real exports mix
/// `eventName` and `eventname`).
pub(crate) fn get_ci<'a>(m: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    m.get(key).or_else(|| {
        m.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    })
}

/// Removes a field by name (exact spelling first, then ignoring ASCII case).
pub(crate) fn take_ci(m: &mut Map<String, Value>, key: &str) -> Option<Value> {
    if let Some(v) = m.remove(key) {
        return Some(v);
    }
    let k = m.keys().find(|k| k.eq_ignore_ascii_case(key))?.clone();
    m.remove(&k)
}

/// Removes a field and reads it as a non-empty scalar string.
pub(crate) fn take_str_ci(m: &mut Map<String, Value>, key: &str) -> Option<String> {
    take_ci(m, key).as_ref().and_then(scalar_string)
}

/// The value at a path of field names (each matched ignoring ASCII case).
pub(crate) fn path_ci<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Value> {
    let mut cur = v;
    for p in path {
        cur = get_ci(cur.as_object()?, p)?;
    }
    Some(cur)
}

/// The non-empty scalar at a path, as a string.
pub(crate) fn str_at(v: &Value, path: &[&str]) -> Option<String> {
    path_ci(v, path).and_then(scalar_string)
}

/// The elements of an array, or the value itself when it is a single object.
pub fn items(v: Option<&Value>) -> Vec<&Value> {
    match v {
        Some(Value::Array(a)) => a.iter().collect(),
        Some(o @ Value::Object(_)) => vec![o],
        _ => Vec::new(),
    }
}

/// JSON stored inside a string (`"{\"a\":1}"`), parsed; `None` when the value is not such a
/// string. Objects and arrays are returned as they are.
pub(crate) fn embedded_json(v: &Value) -> Option<Value> {
    match v {
        Value::String(s) => {
            let t = s.trim_start();
            if s.len() > MAX_EMBEDDED_JSON || !(t.starts_with('{') || t.starts_with('[')) {
                return None;
            }
            parse_strict(s.as_bytes()).ok()
        }
        Value::Object(_) | Value::Array(_) => Some(v.clone()),
        _ => None,
    }
}

/// Sets the event time from a value; an unreadable time is kept in `details.unparsed_ts`.
/// Returns whether a time was set.
pub(crate) fn set_time(ev: &mut AuditEvent, v: &Value, extra: &mut Map<String, Value>) -> bool {
    if v.is_null() {
        return false;
    }
    if let Some(t) = parse_time_value(v) {
        ev.ts = Some(t.ts);
        ev.ts_quality = t.quality;
        true
    } else {
        ev.ts_quality = crate::model::TsQuality::Invalid;
        extra.insert("unparsed_ts".to_owned(), v.clone());
        false
    }
}

/// Sets the time from the first of several candidate values that parses.
pub(crate) fn set_first_time(ev: &mut AuditEvent, candidates: &[Option<&Value>]) {
    let mut bad = Map::new();
    for v in candidates.iter().flatten() {
        if set_time(ev, v, &mut bad) {
            return;
        }
    }
    if let Some(v) = bad.remove("unparsed_ts") {
        ev.ts_quality = crate::model::TsQuality::Invalid;
        insert_detail(ev, "unparsed_ts", v);
    }
}

/// A lineage reference.
pub(crate) fn art(kind: &str, id: impl Into<String>, version: Option<String>) -> ArtifactRef {
    ArtifactRef {
        kind: kind.to_owned(),
        id: id.into(),
        version,
    }
}

/// Appends a reference unless it is already there.
pub(crate) fn push_unique(list: &mut Vec<ArtifactRef>, a: ArtifactRef) {
    if !list.contains(&a) {
        list.push(a);
    }
}

/// The environment named by tags (`[{key, value}]`, `[{Key, Value}]` or a map), from the
/// keys `environment`, `env` or `stage`.
pub(crate) fn environment_from_tags(tags: &Value) -> Option<String> {
    const KEYS: [&str; 3] = ["environment", "env", "stage"];
    match tags {
        Value::Array(list) => list.iter().find_map(|t| {
            let k = str_at(t, &["key"])?;
            if KEYS.iter().any(|n| k.eq_ignore_ascii_case(n)) {
                str_at(t, &["value"])
            } else {
                None
            }
        }),
        Value::Object(m) => m.iter().find_map(|(k, v)| {
            if KEYS.iter().any(|n| k.eq_ignore_ascii_case(n)) {
                scalar_string(v)
            } else {
                None
            }
        }),
        _ => None,
    }
}

/// Adds one field to `details` (turning it into an object if needed).
pub(crate) fn insert_detail(ev: &mut AuditEvent, key: &str, value: Value) {
    if value.is_null() {
        return;
    }
    match &mut ev.details {
        Value::Object(m) => {
            m.insert(key.to_owned(), value);
        }
        other => {
            let mut m = Map::new();
            if !other.is_null() {
                m.insert("value".to_owned(), other.take());
            }
            m.insert(key.to_owned(), value);
            *other = Value::Object(m);
        }
    }
}

/// Sets `details` to the remaining fields of a record (null when there are none).
pub(crate) fn set_details(ev: &mut AuditEvent, rest: Map<String, Value>) {
    ev.details = if rest.is_empty() {
        Value::Null
    } else {
        Value::Object(rest)
    };
}

/// Final touches every adapter applies: failed or denied activities are at least warnings.
pub fn finish(ev: &mut AuditEvent) {
    if matches!(ev.outcome, Outcome::Failure | Outcome::Denied) && ev.severity < Severity::Warning {
        ev.severity = Severity::Warning;
    }
}

/// A lower-case dotted action segment from a free-form name (`Model Card` -> `model_card`).
pub(crate) fn action_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.trim().chars() {
        if c.is_alphanumeric() || c == '-' || c == '_' || c == '.' {
            out.extend(c.to_lowercase());
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    let out = out.trim_matches('_').to_owned();
    if out.is_empty() {
        "unknown".to_owned()
    } else {
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn case_insensitive_access_and_paths() {
        let v = json!({"EventName": "X", "a": {"B": {"c": 1}}});
        let m = v.as_object().unwrap();
        assert_eq!(get_ci(m, "eventname"), Some(&json!("X")));
        assert_eq!(str_at(&v, &["a", "b", "C"]).as_deref(), Some("1"));
        assert_eq!(path_ci(&v, &["a", "missing"]), None);
        let mut m = m.clone();
        assert_eq!(take_str_ci(&mut m, "eventNAME").as_deref(), Some("X"));
        assert!(get_ci(&m, "eventname").is_none());
    }

    #[test]
    fn json_inside_strings() {
        assert_eq!(embedded_json(&json!("{\"a\": 1}")), Some(json!({"a": 1})));
        assert_eq!(embedded_json(&json!("not json")), None);
        assert_eq!(embedded_json(&json!("{broken")), None);
        assert_eq!(embedded_json(&json!(3)), None);
    }

    #[test]
    fn tags_name_the_environment() {
        assert_eq!(
            environment_from_tags(&json!([{"Key": "Env", "Value": "prod"}])).as_deref(),
            Some("prod")
        );
        assert_eq!(
            environment_from_tags(&json!({"stage": "dev"})).as_deref(),
            Some("dev")
        );
        assert_eq!(environment_from_tags(&json!([{"key": "team"}])), None);
    }

    #[test]
    fn action_segments() {
        assert_eq!(
            action_segment("Model Card State Change"),
            "model_card_state_change"
        );
        assert_eq!(action_segment("  "), "unknown");
    }
}
