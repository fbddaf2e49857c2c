//! The native envelope `{"hash":"<hex>","rec":{...}}` of `spec/bundle-format.md`. The exact
//! bytes of `rec` are kept: they are what the record hash covers.

use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;

use super::error::MapError;
use super::generic::map_native;
use super::strict_json::parse_strict;
use crate::model::{AuditEvent, Format, Origin};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Envelope<'a> {
    hash: &'a str,
    #[serde(borrow)]
    rec: &'a RawValue,
}

/// Whether a parsed value is a native envelope.
pub(crate) fn is_envelope(v: &Value) -> bool {
    v.as_object().is_some_and(|m| {
        m.len() == 2 && m.contains_key("hash") && m.get("rec").is_some_and(Value::is_object)
    })
}

/// A decoded native record: the event and the exact bytes of `rec`.
pub struct NativeRecord<'a> {
    /// The mapped event.
    pub event: AuditEvent,
    /// The `rec` bytes as they stand in the line.
    pub rec_raw: &'a str,
}

/// Decodes one envelope line. Errors say what is wrong, without the path.
pub fn decode<'a>(line: &'a str, path: &str, line_no: u64) -> Result<NativeRecord<'a>, MapError> {
    let env: Envelope<'a> =
        serde_json::from_str(line).map_err(|e| MapError::Envelope(e.to_string()))?;
    let rec_raw = env.rec.get();
    Ok(NativeRecord {
        event: decode_rec(rec_raw, Some(env.hash), path, line_no)?,
        rec_raw,
    })
}

/// Maps the `rec` of an envelope whose record hash is `hash`.
pub(crate) fn decode_rec(
    rec_raw: &str,
    hash: Option<&str>,
    path: &str,
    line_no: u64,
) -> Result<AuditEvent, MapError> {
    let rec = parse_strict(rec_raw.as_bytes()).map_err(|e| MapError::Record(e.to_string()))?;
    let Value::Object(mut obj) = rec else {
        return Err(MapError::Envelope("`rec` is not an object".to_owned()));
    };
    let stream = obj
        .remove("stream")
        .and_then(|s| s.as_str().map(str::to_owned));
    let seq = obj.remove("seq").and_then(|s| s.as_u64());
    obj.remove("v");
    obj.remove("prev");
    let origin = Origin {
        path: path.to_owned(),
        line: line_no,
        format: Format::Native,
        stream,
        seq,
        hash: hash.map(str::to_owned),
        part: 0,
    };
    Ok(map_native(obj, origin))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_exact_rec_bytes() {
        let line = r#"{"hash":"ab","rec":{"action":"model.deploy","seq":7,"stream":"registry","ts":"2024-01-01T00:00:00Z",  "v":1}}"#;
        let r = decode(line, "s.jsonl", 3).unwrap();
        assert_eq!(
            r.rec_raw,
            r#"{"action":"model.deploy","seq":7,"stream":"registry","ts":"2024-01-01T00:00:00Z",  "v":1}"#
        );
        assert_eq!(r.event.origin.seq, Some(7));
        assert_eq!(r.event.origin.stream.as_deref(), Some("registry"));
        assert_eq!(r.event.origin.hash.as_deref(), Some("ab"));
        assert_eq!(r.event.action, "model.deploy");
        assert!(r.event.details.is_null());
    }

    #[test]
    fn rejects_duplicates_and_extra_fields() {
        assert!(decode(r#"{"hash":"a","hash":"b","rec":{}}"#, "s", 1).is_err());
        assert!(decode(r#"{"hash":"a","rec":{"seq":1,"seq":2}}"#, "s", 1).is_err());
        assert!(decode(r#"{"hash":"a","rec":{},"extra":1}"#, "s", 1).is_err());
        assert!(decode(r#"{"hash":"a","rec":[]}"#, "s", 1).is_err());
    }
}
