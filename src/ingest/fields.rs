//! Helpers for adapters: taking fields out of a JSON object by alternative names, reading
//! scalars leniently, and building the nested event-model objects.

use serde_json::{Map, Value};

use crate::model::{Actor, ArtifactRef, ModelRef, Resource};

/// A JSON object whose fields are taken out as they are mapped; what remains is kept in
/// `details`.
pub struct Fields(pub Map<String, Value>);

impl Fields {
    /// Removes and returns the first present, non-null field among `names`.
    pub fn take(&mut self, names: &[&str]) -> Option<Value> {
        for n in names {
            if let Some(v) = self.0.remove(*n)
                && !v.is_null()
            {
                return Some(v);
            }
        }
        None
    }

    /// Like [`Fields::take`], read as a string (numbers and booleans are spelled out).
    pub(crate) fn take_str(&mut self, names: &[&str]) -> Option<String> {
        names.iter().find_map(|n| take_scalar(&mut self.0, n))
    }
}

/// Removes `name` from `map` when it holds a scalar and returns it as [`scalar_string`]
/// reads it, moving a string value out instead of copying it (this runs for several
/// fields of every record); anything else stays in `map`.
pub(crate) fn take_scalar(map: &mut Map<String, Value>, name: &str) -> Option<String> {
    let s = match map.get_mut(name)? {
        Value::String(s) if !s.is_empty() => std::mem::take(s),
        v => scalar_string(v)?,
    };
    map.remove(name);
    Some(s)
}

/// A scalar as a string; `None` for null, arrays and objects, and for empty strings.
pub(crate) fn scalar_string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn string_list(v: &Value) -> Vec<String> {
    match v {
        Value::Array(items) => items.iter().filter_map(scalar_string).collect(),
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| match v {
                Value::Bool(true) | Value::Null => k.clone(),
                other => scalar_string(other).map_or_else(|| k.clone(), |s| format!("{k}={s}")),
            })
            .collect(),
        other => scalar_string(other)
            .map(|s| {
                s.split(',')
                    .map(|p| p.trim().to_owned())
                    .filter(|p| !p.is_empty())
                    .collect()
            })
            .unwrap_or_default(),
    }
}

/// Reads an actor from a string (its id) or an object of the event model (with common
/// aliases: `name`, `username`, `arn`, `uid`, `groups`).
pub(crate) fn actor_from(v: &Value) -> Actor {
    match v {
        Value::Object(m) => {
            let get = |names: &[&str]| names.iter().find_map(|n| m.get(*n).and_then(scalar_string));
            Actor {
                id: get(&[
                    "id",
                    "name",
                    "username",
                    "user",
                    "arn",
                    "uid",
                    "email",
                    "alternateId",
                    "login",
                    "userName",
                    "principalEmail",
                    "principalId",
                ]),
                kind: get(&["type", "kind"]).map(|s| s.to_ascii_lowercase()),
                roles: ["roles", "groups", "role"]
                    .iter()
                    .find_map(|n| m.get(*n))
                    .map(string_list)
                    .unwrap_or_default(),
                ip: get(&["ip", "source_ip", "ip_address", "address"]),
                session: get(&["session", "session_id", "sessionId"]),
            }
        }
        other => Actor {
            id: scalar_string(other),
            ..Actor::default()
        },
    }
}

/// Reads a resource from a string (its id) or an object of the event model.
pub(crate) fn resource_from(v: &Value) -> Resource {
    match v {
        Value::Object(m) => {
            let get = |names: &[&str]| names.iter().find_map(|n| m.get(*n).and_then(scalar_string));
            Resource {
                kind: get(&["type", "kind"]),
                id: get(&["id", "uid", "arn", "uri", "name"]),
                name: get(&["name"]),
                version: get(&["version"]),
                tags: m
                    .get("tags")
                    .or_else(|| m.get("labels"))
                    .map(string_list)
                    .unwrap_or_default(),
            }
        }
        other => Resource {
            id: scalar_string(other),
            ..Resource::default()
        },
    }
}

/// Reads a model reference from an object `{id, version}` or a string id.
pub(crate) fn model_from(v: &Value) -> Option<ModelRef> {
    match v {
        Value::Object(m) => Some(ModelRef {
            id: ["id", "name", "model_id"]
                .iter()
                .find_map(|n| m.get(*n).and_then(scalar_string))?,
            version: m.get("version").and_then(scalar_string),
        }),
        other => scalar_string(other).map(|id| ModelRef { id, version: None }),
    }
}

/// Reads lineage references: objects `{type, id, version}` or bare identifiers.
pub(crate) fn artifacts_from(v: &Value) -> Vec<ArtifactRef> {
    let one = |item: &Value| -> Option<ArtifactRef> {
        match item {
            Value::Object(m) => Some(ArtifactRef {
                kind: m
                    .get("type")
                    .and_then(scalar_string)
                    .unwrap_or_else(|| "artifact".to_owned()),
                id: ["id", "name", "uri"]
                    .iter()
                    .find_map(|n| m.get(*n).and_then(scalar_string))?,
                version: m.get("version").and_then(scalar_string),
            }),
            other => scalar_string(other).map(|id| ArtifactRef {
                kind: "artifact".to_owned(),
                id,
                version: None,
            }),
        }
    };
    match v {
        Value::Array(items) => items.iter().filter_map(one).collect(),
        other => one(other).into_iter().collect(),
    }
}

/// Merges a `details` object with the fields no mapping consumed.
pub(crate) fn merge_details(details: Option<Value>, rest: Map<String, Value>) -> Value {
    let mut out = match details {
        Some(Value::Object(m)) => m,
        Some(other) => {
            let mut m = Map::new();
            m.insert("value".to_owned(), other);
            m
        }
        None => Map::new(),
    };
    for (k, v) in rest {
        if !out.contains_key(&k) {
            out.insert(k, v);
        }
    }
    if out.is_empty() {
        Value::Null
    } else {
        Value::Object(out)
    }
}
