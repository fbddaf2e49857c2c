//! Turning one record's bytes into events: UTF-8 and JSON checks, then the adapter chosen by
//! the record's content (never by the file name).

use serde_json::Value;

use super::error::{ErrorKind, IngestError};
use super::generic::map_object;
use super::native;
use super::strict_json::parse_strict;
use crate::model::{AuditEvent, Format, Origin};

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
    let value = parse_strict(bytes).map_err(|e| malformed(format!("invalid JSON: {e}")))?;
    if native::is_envelope(&value) {
        let rec = native::decode(text, path, line).map_err(malformed)?;
        return Ok(vec![Decoded {
            event: rec.event,
            raw: rec.rec_raw,
        }]);
    }
    let origin = Origin {
        path: path.to_owned(),
        line,
        format: Format::Generic,
        stream: None,
        seq: None,
        hash: None,
    };
    match value {
        Value::Object(obj) => Ok(vec![Decoded {
            event: map_object(obj, origin),
            raw: text,
        }]),
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
