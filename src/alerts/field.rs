//! Reading a named field of an event, for grouping keys and numeric comparisons. The
//! names are those of the query language's table (`model::fields`: `actor.id`,
//! `model.version`, ...) and `details.<path>`.

use std::borrow::Cow;

use serde_json::Value;

use crate::model::{AuditEvent, fields};

/// Whether `name` is a field that [`field_value`] can read: a keyword field of the query
/// language (`model::fields`), or `details.<path>`.
pub(crate) fn is_known_field(name: &str) -> bool {
    fields::keyword_def(name).is_some() || details_path(name).is_some_and(|p| !p.is_empty())
}

fn details_path(name: &str) -> Option<&str> {
    name.strip_prefix("details.")
}

/// The value of a field as text (`None` when the event does not have it). Lists
/// (`actor.roles`, `resource.tags`) are joined with commas; `details.a.b` walks nested
/// objects, and numbers and booleans are written as JSON writes them.
pub(crate) fn field_value<'a>(ev: &'a AuditEvent, name: &str) -> Option<Cow<'a, str>> {
    let opt = |v: &'a Option<String>| v.as_deref().map(Cow::Borrowed);
    let v = match name {
        fields::ACTION => Some(Cow::Borrowed(ev.action.as_str())),
        fields::CATEGORY => Some(Cow::Borrowed(ev.category.as_str())),
        fields::SEVERITY => Some(Cow::Borrowed(ev.severity.as_str())),
        fields::OUTCOME => Some(Cow::Borrowed(ev.outcome.as_str())),
        fields::ACTOR_ID => opt(&ev.actor.id),
        fields::ACTOR_TYPE => opt(&ev.actor.kind),
        fields::ACTOR_IP => opt(&ev.actor.ip),
        fields::ACTOR_SESSION => opt(&ev.actor.session),
        fields::ACTOR_ROLES => join_ids(ev.actor.roles.iter().map(String::as_str)),
        fields::RESOURCE_TYPE => opt(&ev.resource.kind),
        fields::RESOURCE_ID => opt(&ev.resource.id),
        fields::RESOURCE_NAME => opt(&ev.resource.name),
        fields::RESOURCE_VERSION => opt(&ev.resource.version),
        fields::RESOURCE_TAGS => join_ids(ev.resource.tags.iter().map(String::as_str)),
        fields::MODEL_ID => ev.model.as_ref().map(|m| Cow::Borrowed(m.id.as_str())),
        fields::MODEL_VERSION => ev.model.as_ref().and_then(|m| opt(&m.version)),
        fields::RUN_ID => opt(&ev.run_id),
        fields::PARENT_RUN_ID => opt(&ev.parent_run_id),
        fields::CORRELATION_ID => opt(&ev.correlation_id),
        fields::ENVIRONMENT => opt(&ev.environment),
        fields::SOURCE => opt(&ev.source),
        fields::STREAM => opt(&ev.origin.stream),
        fields::PATH => Some(Cow::Borrowed(ev.origin.path.as_str())),
        fields::INTEGRITY => opt(&ev.integrity),
        fields::INPUTS_ID => join_ids(ev.inputs.iter().map(|a| a.id.as_str())),
        fields::OUTPUTS_ID => join_ids(ev.outputs.iter().map(|a| a.id.as_str())),
        fields::FORMAT => Some(Cow::Borrowed(ev.origin.format.as_str())),
        fields::TS_QUALITY => Some(Cow::Borrowed(ev.ts_quality.as_str())),
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

fn join_ids<'a>(ids: impl Iterator<Item = &'a str>) -> Option<Cow<'a, str>> {
    let list: Vec<&str> = ids.collect();
    (!list.is_empty()).then(|| Cow::Owned(list.join(",")))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ArtifactRef, ModelRef};

    #[test]
    fn every_keyword_field_of_the_table_can_be_read() {
        let s = |v: &str| Some(v.to_owned());
        let origin = crate::model::Origin {
            path: "p.jsonl".into(),
            line: 1,
            format: crate::model::Format::Native,
            stream: s("registry"),
            seq: Some(1),
            hash: None,
            part: 0,
        };
        let mut ev = AuditEvent::new(origin, "model.deploy");
        ev.actor.id = s("ana");
        ev.actor.kind = s("user");
        ev.actor.ip = s("10.0.0.1");
        ev.actor.session = s("sess");
        ev.actor.roles = vec!["admin".into(), "ops".into()];
        ev.resource.kind = s("model");
        ev.resource.id = s("r1");
        ev.resource.name = s("R");
        ev.resource.version = s("3");
        ev.resource.tags = vec!["pii".into()];
        ev.model = Some(ModelRef {
            id: "m".into(),
            version: s("2"),
        });
        let artifact = |id: &str| ArtifactRef {
            kind: "dataset".into(),
            id: id.into(),
            version: None,
        };
        ev.inputs = vec![artifact("in1"), artifact("in2")];
        ev.outputs = vec![artifact("out")];
        ev.run_id = s("run");
        ev.parent_run_id = s("parent");
        ev.correlation_id = s("corr");
        ev.environment = s("production");
        ev.source = s("mlflow");
        ev.integrity = s("verified");
        for k in fields::KEYWORDS {
            assert!(is_known_field(k.name), "{}", k.name);
            assert!(field_value(&ev, k.name).is_some(), "{} is not read", k.name);
        }
        assert_eq!(
            field_value(&ev, fields::INPUTS_ID).as_deref(),
            Some("in1,in2")
        );
        assert_eq!(
            field_value(&ev, fields::ACTOR_ROLES).as_deref(),
            Some("admin,ops")
        );
        assert!(!is_known_field("message") && !is_known_field("details."));
    }
}
