//! Turning one record's bytes into events: UTF-8 and JSON checks, then the adapter chosen by
//! the record's content (never by the file name).

use serde_json::Value;

use serde_json::Map;

use super::adapt::{insert_detail, origin};
use super::error::{ErrorKind, IngestError};
use super::generic::map_object;
use super::strict_json::parse_strict;
use super::{cloudtrail, kubernetes, mlflow, native, ocsf, openlineage, sagemaker};
use crate::model::{AuditEvent, Format};

/// One decoded event with the original record text it came from.
pub struct Decoded<'a> {
    /// The event.
    pub event: AuditEvent,
    /// The original record (for a native envelope, the exact `rec` bytes).
    pub raw: &'a str,
}

/// Decodes the record at `path:line`.
pub fn decode_record<'a>(
    path: &str,
    line: u64,
    bytes: &'a [u8],
) -> Result<Vec<Decoded<'a>>, IngestError> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        IngestError::record(
            path,
            line,
            ErrorKind::InvalidUtf8,
            format!("invalid UTF-8 at byte {} of the record", e.valid_up_to()),
        )
    })?;
    let malformed = |reason: String| IngestError::record(path, line, ErrorKind::Malformed, reason);
    if text.starts_with("{\"hash\"") {
        let rec = native::decode(text, path, line).map_err(malformed)?;
        return Ok(vec![Decoded {
            event: rec.event,
            raw: rec.rec_raw,
        }]);
    }
    let value = parse_strict(bytes).map_err(|e| json_error(path, line, &e))?;
    if native::is_envelope(&value) {
        let rec = native::decode(text, path, line).map_err(malformed)?;
        return Ok(vec![Decoded {
            event: rec.event,
            raw: rec.rec_raw,
        }]);
    }
    match value {
        Value::Object(obj) => {
            let events = map_by_content(obj, path, line).map_err(|reason| {
                IngestError::record(path, line, ErrorKind::Unsupported, reason)
            })?;
            Ok(events
                .into_iter()
                .map(|event| Decoded { event, raw: text })
                .collect())
        }
        other => Err(IngestError::record(
            path,
            line,
            ErrorKind::Unsupported,
            format!(
                "a JSON {} is not an event (expected an object)",
                kind_name(&other)
            ),
        )),
    }
}

/// A JSON syntax error, placed at its own line in the file (a pretty-printed record spans
/// several lines) and naming the line where the record starts.
fn json_error(path: &str, line: u64, e: &serde_json::Error) -> IngestError {
    let text = e.to_string();
    let reason = text
        .rsplit_once(" at line ")
        .map_or(text.as_str(), |(r, _)| r);
    if e.line() <= 1 {
        return IngestError::record(
            path,
            line,
            ErrorKind::Malformed,
            format!("invalid JSON: {reason} at column {}", e.column()),
        );
    }
    let at = line.saturating_add(e.line() as u64 - 1);
    IngestError::record(
        path,
        at,
        ErrorKind::Malformed,
        format!(
            "invalid JSON: {reason} at column {} (in the record starting at line {line})",
            e.column()
        ),
    )
}

/// Picks the adapter from the record's content (never the file name) and maps it; the
/// generic adapter is the fallback.
fn map_by_content(
    mut obj: Map<String, Value>,
    path: &str,
    line: u64,
) -> Result<Vec<AuditEvent>, String> {
    let o = |format| origin(path, line, format);
    if cloudtrail::is_lookup(&obj) {
        return cloudtrail::map_lookup(obj, o(Format::Cloudtrail)).map(|e| vec![e]);
    }
    if sagemaker::detect(&obj) {
        return Ok(vec![sagemaker::map(obj, o(Format::Sagemaker))]);
    }
    if obj.get("detail-type").and_then(Value::as_str) == Some("AWS API Call via CloudTrail")
        && obj.get("detail").is_some_and(Value::is_object)
        && let Some(Value::Object(detail)) = obj.remove("detail")
    {
        let mut ev = cloudtrail::map(detail, o(Format::Cloudtrail));
        insert_detail(&mut ev, "eventbridge", Value::Object(obj));
        return Ok(vec![ev]);
    }
    if openlineage::detect(&obj) {
        return Ok(vec![openlineage::map(obj, o(Format::Openlineage))]);
    }
    if ocsf::detect(&obj) {
        return Ok(vec![ocsf::map(obj, o(Format::Ocsf))]);
    }
    if mlflow::detect(&obj) {
        return Ok(mlflow::map(obj, &o(Format::Mlflow)));
    }
    if kubernetes::detect(&obj) {
        return kubernetes::map(obj, o(Format::Kubernetes)).map(|e| vec![e]);
    }
    if cloudtrail::detect(&obj) {
        return Ok(vec![cloudtrail::map(obj, o(Format::Cloudtrail))]);
    }
    Ok(vec![map_object(obj, o(Format::Generic))])
}

fn kind_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}
