//! The doc mapping of the event model in Quickwit, and the document pushed for an event.
//!
//! The same fields as the local index (`index::schema`), with these differences, each
//! because Quickwit has no custom tokenizer or column-only field:
//! - `raw` is stored only; its values are indexed as `raw_values`, one array entry per JSON
//!   value (what the local `record_values` tokenizer reads), so a bare word matches the
//!   values of a record, never its field names, and a phrase never spans two values.
//! - dotted keyword names (`actor.id`) are fields of object fields (`actor`), so queries
//!   spell them the same way.
//! - `kept` is the timestamp field Quickwit prunes splits and applies retention by: the
//!   event time, or the push time for an event without one (Quickwit requires a timestamp).
//!   Time windows are decided on `ts_key`, exactly as locally.
//! - what only the local side knows is pushed along: `integrity` (verified against the
//!   local trust store), `bundle` (content digest) and `input` (the path given), beside the
//!   origin (`path`, `line`, `stream`, `seq`) and the lineage keys (`run_id`,
//!   `parent_run_id`, `inputs.id`, `outputs.id`, `model.*`).

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value, json};

use crate::index::schema;
use crate::model::AuditEvent;
use crate::model::fields;

/// Bumped when the mapping or the pushed documents change (recorded in each push marker).
pub const MAPPING_VERSION: u32 = 2;

/// Keyword fields whose value a hit is decoded from (with `raw`, `line`, `part`, `hash`),
/// and `integrity`: the local index keeps its statuses in a column beside its documents,
/// the remote index in its own stored field.
const STORED: &[&str] = &[fields::PATH, fields::FORMAT, fields::INTEGRITY];

/// Whether keyword field `name` has several values per event.
fn many(name: &str) -> bool {
    fields::keyword_def(name).is_some_and(|f| f.many)
}

/// Seconds after which Quickwit commits what it acknowledged (searchable by then).
pub const COMMIT_TIMEOUT_SECS: u64 = 5;

/// The companion index holding push markers (which bundles were pushed, how far).
pub(crate) fn pushes_index(index: &str) -> String {
    format!("{index}.pushes")
}

fn keyword_mapping(name: &str) -> Value {
    json!({
        "name": name,
        "type": "array<text>",
        "tokenizer": "raw",
        "fast": true,
        "stored": STORED.contains(&name),
    })
}

/// The index config of an events index: the doc mapping above, `message` and `raw` as the
/// default search fields, and a retention policy when `retention` (humantime, `180 days`)
/// is given.
pub fn index_config(index: &str, retention: Option<&str>) -> Value {
    let mut fields = vec![
        json!({"name": "kept", "type": "datetime", "input_formats": ["rfc3339"],
               "output_format": "rfc3339", "fast": true, "fast_precision": "seconds",
               "indexed": false, "stored": false}),
        json!({"name": schema::TS, "type": "datetime", "input_formats": ["rfc3339"],
               "output_format": "unix_timestamp_millis", "fast": true,
               "fast_precision": "milliseconds", "stored": false}),
        json!({"name": schema::TS_KEY, "type": "i64", "fast": true, "stored": true}),
        json!({"name": "ts_ms", "type": "i64", "fast": true, "indexed": false, "stored": false}),
        json!({"name": schema::ORD, "type": "u64", "fast": true, "stored": true}),
        json!({"name": schema::SEQ, "type": "u64", "fast": true, "stored": false}),
        json!({"name": schema::LINE, "type": "u64", "fast": true, "stored": true}),
        json!({"name": schema::PART, "type": "u64", "indexed": false, "stored": true}),
        json!({"name": schema::HASH, "type": "text", "indexed": false, "stored": true}),
        json!({"name": schema::MESSAGE, "type": "text", "tokenizer": "default",
               "record": "position", "stored": false}),
        json!({"name": schema::RAW, "type": "text", "indexed": false, "stored": true}),
        json!({"name": "raw_values", "type": "array<text>", "tokenizer": "default",
               "record": "position", "stored": false}),
        json!({"name": schema::DETAILS, "type": "json", "expand_dots": true, "fast": true,
               "tokenizer": "default", "record": "position", "stored": false}),
        json!({"name": "bundle", "type": "text", "tokenizer": "raw", "fast": true, "stored": false}),
        json!({"name": "input", "type": "text", "tokenizer": "raw", "stored": false}),
    ];
    // Keywords: plain ones as fields, dotted ones inside object fields (`actor.id`).
    let mut objects: Vec<(&str, Vec<Value>)> = Vec::new();
    for name in schema::KEYWORDS.iter().map(|k| &k.name) {
        match name.split_once('.') {
            None => fields.push(keyword_mapping(name)),
            Some((obj, sub)) => {
                let mut m = keyword_mapping(sub);
                m["stored"] = json!(STORED.contains(name));
                match objects.iter_mut().find(|(o, _)| *o == obj) {
                    Some((_, subs)) => subs.push(m),
                    None => objects.push((obj, vec![m])),
                }
            }
        }
    }
    for (obj, subs) in objects {
        fields.push(json!({"name": obj, "type": "object", "field_mappings": subs}));
    }
    let mut config = json!({
        "version": "0.9",
        "index_id": index,
        "doc_mapping": {
            "mode": "strict",
            "timestamp_field": "kept",
            "index_field_presence": true,
            "field_mappings": fields,
        },
        "search_settings": {"default_search_fields": [schema::MESSAGE, "raw_values"]},
        "indexing_settings": {"commit_timeout_secs": COMMIT_TIMEOUT_SECS},
    });
    if let Some(period) = retention {
        config["retention"] = json!({"period": period, "schedule": "daily"});
    }
    config
}

/// The index config of the push-marker index of `index`.
pub(crate) fn pushes_config(index: &str) -> Value {
    json!({
        "version": "0.9",
        "index_id": pushes_index(index),
        "doc_mapping": {
            "mode": "dynamic",
            "timestamp_field": "kept",
            "field_mappings": [
                {"name": "kept", "type": "datetime", "input_formats": ["rfc3339"], "fast": true},
                {"name": "digest", "type": "text", "tokenizer": "raw", "fast": true},
                {"name": "written_ms", "type": "i64", "fast": true},
                {"name": "done", "type": "bool", "fast": true},
            ],
        },
        "indexing_settings": {"commit_timeout_secs": COMMIT_TIMEOUT_SECS},
    })
}

/// What is wrong with a `--retention` value (each message quotes the value given).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RetentionError {
    /// No leading number.
    #[error("--retention {0:?}: expected a number and a unit, e.g. 180d")]
    NoNumber(String),
    /// A unit other than hours, days, weeks or years.
    #[error("--retention {given:?}: unknown unit {unit:?} (use h, d, w or y)")]
    UnknownUnit {
        /// The value given.
        given: String,
        /// Its unit.
        unit: String,
    },
    /// Zero of any unit.
    #[error("--retention {0:?}: must be longer than zero")]
    Zero(String),
}

/// `--retention` (`180d`, `26w`, `1y`, `4320h`, `180 days`) as Quickwit's period text and
/// its length in days.
pub(crate) fn parse_retention(s: &str) -> Result<(String, u64), RetentionError> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: u64 = num
        .parse()
        .map_err(|_| RetentionError::NoNumber(s.to_owned()))?;
    let (word, days) = match unit.trim() {
        "h" | "hour" | "hours" => ("hours", n / 24),
        "d" | "day" | "days" => ("days", n),
        "w" | "week" | "weeks" => ("weeks", n.saturating_mul(7)),
        "y" | "year" | "years" => ("days", n.saturating_mul(365)),
        other => {
            return Err(RetentionError::UnknownUnit {
                given: s.to_owned(),
                unit: other.to_owned(),
            });
        }
    };
    if n == 0 {
        return Err(RetentionError::Zero(s.to_owned()));
    }
    let n = if unit.trim().starts_with('y') {
        n.saturating_mul(365)
    } else {
        n
    };
    Ok((format!("{n} {word}"), days))
}

/// What the pushed document of an event carries beside the event.
pub struct Provenance<'a> {
    /// Content digest of the bundle.
    pub bundle: &'a str,
    /// The input path as given.
    pub input: Option<&'a str>,
    /// The push time (the `kept` of untimed events).
    pub now: DateTime<Utc>,
}

/// The document of event `ev` (ordinal `ord`, original record `raw`).
// One linear mapping, field by field, in `index::writer`'s order: splitting it would only
// scatter the fields.
#[allow(clippy::too_many_lines)]
pub fn document(ord: u64, ev: &AuditEvent, raw: &str, prov: &Provenance<'_>) -> Value {
    let mut doc = Map::new();
    let mut put = |k: &str, v: Value| {
        doc.insert(k.to_owned(), v);
    };
    put(schema::ORD, json!(ord));
    if let Some(ts) = ev.ts {
        let text = ts.to_rfc3339_opts(SecondsFormat::AutoSi, true);
        put(schema::TS, json!(text));
        put("kept", json!(text));
        put(schema::TS_KEY, json!(ts.timestamp_millis()));
        put("ts_ms", json!(ts.timestamp_millis()));
    } else {
        put(
            "kept",
            json!(prov.now.to_rfc3339_opts(SecondsFormat::Secs, true)),
        );
        put(schema::TS_KEY, json!(i64::MIN));
    }
    if let Some(seq) = ev.origin.seq {
        put(schema::SEQ, json!(seq));
    }
    put(schema::LINE, json!(ev.origin.line));
    if ev.origin.part > 0 {
        put(schema::PART, json!(ev.origin.part));
    }
    if let Some(h) = &ev.origin.hash {
        put(schema::HASH, json!(h));
    }
    if let Some(m) = &ev.message {
        put(schema::MESSAGE, json!(m));
    }
    put(schema::RAW, json!(raw));
    put("raw_values", Value::Array(record_values(raw)));
    if let Value::Object(map) = &ev.details
        && !map.is_empty()
    {
        put(schema::DETAILS, ev.details.clone());
    }
    put("bundle", json!(prov.bundle));
    if let Some(i) = prov.input {
        put("input", json!(i));
    }
    let mut keywords: Vec<(&str, Vec<&str>)> = vec![
        (fields::ACTION, vec![ev.action.as_str()]),
        (fields::CATEGORY, vec![ev.category.as_str()]),
        (fields::SEVERITY, vec![ev.severity.as_str()]),
        (fields::OUTCOME, vec![ev.outcome.as_str()]),
        (fields::FORMAT, vec![ev.origin.format.as_str()]),
        (fields::PATH, vec![ev.origin.path.as_str()]),
        (fields::TS_QUALITY, vec![ev.ts_quality.as_str()]),
        (
            fields::ACTOR_ROLES,
            ev.actor.roles.iter().map(String::as_str).collect(),
        ),
        (
            fields::RESOURCE_TAGS,
            ev.resource.tags.iter().map(String::as_str).collect(),
        ),
        (
            fields::INPUTS_ID,
            ev.inputs.iter().map(|i| i.id.as_str()).collect(),
        ),
        (
            fields::OUTPUTS_ID,
            ev.outputs.iter().map(|o| o.id.as_str()).collect(),
        ),
    ];
    let opt = [
        (fields::ACTOR_ID, &ev.actor.id),
        (fields::ACTOR_TYPE, &ev.actor.kind),
        (fields::ACTOR_IP, &ev.actor.ip),
        (fields::ACTOR_SESSION, &ev.actor.session),
        (fields::RESOURCE_TYPE, &ev.resource.kind),
        (fields::RESOURCE_ID, &ev.resource.id),
        (fields::RESOURCE_NAME, &ev.resource.name),
        (fields::RESOURCE_VERSION, &ev.resource.version),
        (fields::RUN_ID, &ev.run_id),
        (fields::PARENT_RUN_ID, &ev.parent_run_id),
        (fields::CORRELATION_ID, &ev.correlation_id),
        (fields::ENVIRONMENT, &ev.environment),
        (fields::SOURCE, &ev.source),
        (fields::STREAM, &ev.origin.stream),
        (fields::INTEGRITY, &ev.integrity),
    ];
    for (name, v) in opt {
        if let Some(v) = v {
            keywords.push((name, vec![v.as_str()]));
        }
    }
    if let Some(m) = &ev.model {
        keywords.push((fields::MODEL_ID, vec![m.id.as_str()]));
        if let Some(v) = &m.version {
            keywords.push((fields::MODEL_VERSION, vec![v.as_str()]));
        }
    }
    for (name, values) in keywords {
        // The local index leaves empty values out: so does the pushed document.
        let values: Vec<Value> = values
            .into_iter()
            .filter(|v| !v.is_empty())
            .map(|v| json!(v))
            .collect();
        if values.is_empty() {
            continue;
        }
        let value = if many(name) || values.len() > 1 {
            Value::Array(values)
        } else {
            values.into_iter().next().unwrap_or(Value::Null)
        };
        match name.split_once('.') {
            None => {
                doc.insert(name.to_owned(), value);
            }
            Some((obj, sub)) => {
                let entry = doc
                    .entry(obj.to_owned())
                    .or_insert_with(|| Value::Object(Map::new()));
                if let Value::Object(m) = entry {
                    m.insert(sub.to_owned(), value);
                }
            }
        }
    }
    Value::Object(doc)
}

/// The values of a record, one text each (what the local `record_values` tokenizer
/// indexes: values, not field names, numbers as written; the same scanner); a record that
/// is not a JSON object or array is one text.
pub(crate) fn record_values(raw: &str) -> Vec<Value> {
    crate::model::record_values::value_texts(raw)
        .into_iter()
        .map(Value::String)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remote_documents_store_what_local_ones_store_and_the_statuses() {
        for k in schema::STORED_KEYWORDS {
            assert!(STORED.contains(k), "{k}");
        }
        assert!(STORED.contains(&fields::INTEGRITY));
    }

    #[test]
    fn record_values_leave_field_names_out() {
        let mut v =
            record_values(r#"{"user": "alice", "n": 3, "tags": ["a b", true], "x": {"y": null}}"#);
        v.sort_by_key(ToString::to_string);
        let want: Vec<Value> = ["3", "a b", "alice", "null", "true"]
            .map(|s| json!(s))
            .to_vec();
        assert_eq!(v, want);
        assert_eq!(
            record_values("plain text line"),
            vec![json!("plain text line")]
        );
    }

    #[test]
    fn retention_periods() {
        assert_eq!(
            parse_retention("180d").unwrap(),
            ("180 days".to_owned(), 180)
        );
        assert_eq!(
            parse_retention("26w").unwrap(),
            ("26 weeks".to_owned(), 182)
        );
        assert_eq!(parse_retention("1y").unwrap(), ("365 days".to_owned(), 365));
        assert_eq!(
            parse_retention("soon"),
            Err(RetentionError::NoNumber("soon".to_owned()))
        );
        assert_eq!(
            parse_retention("0d"),
            Err(RetentionError::Zero("0d".to_owned()))
        );
        let e = parse_retention("5 parsecs").unwrap_err();
        assert_eq!(
            e.to_string(),
            r#"--retention "5 parsecs": unknown unit "parsecs" (use h, d, w or y)"#
        );
    }

    #[test]
    fn every_query_field_is_mapped() {
        let config = index_config("ix1", Some("180 days"));
        let text = config.to_string();
        for name in schema::KEYWORDS.iter().map(|k| k.name) {
            let leaf = name.rsplit('.').next().unwrap();
            assert!(text.contains(&format!("\"name\":\"{leaf}\"")), "{name}");
        }
        assert_eq!(config["retention"]["period"], "180 days");
    }
}
