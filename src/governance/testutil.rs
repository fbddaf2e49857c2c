//! Test events.

use crate::model::{AuditEvent, Format, Origin};

/// An event of `stream` at `ts` with `action`, at line `line` (seq `line - 1`).
pub(crate) fn ev(ts: &str, stream: &str, action: &str, line: u64) -> AuditEvent {
    let mut e = AuditEvent::new(
        Origin {
            path: format!("b/{stream}.jsonl"),
            line,
            format: Format::Native,
            stream: Some(stream.to_owned()),
            seq: Some(line.saturating_sub(1)),
            hash: None,
            part: 0,
        },
        action,
    );
    e.ts = ts.parse().ok();
    e
}
