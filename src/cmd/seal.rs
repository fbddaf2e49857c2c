//! `auditlens seal`: wraps any exports auditlens reads into a sealed native bundle.

use std::io::Write;

use anyhow::{Context, Result};
use chrono::{DateTime, SecondsFormat, SubsecRound, Utc};
use serde_json::{Map, Value, json};

use super::Outcome;
use crate::cli::SealArgs;
use crate::ingest::{EventSink, ingest};
use crate::integrity::{BundleWriter, IntegrityError, Manifest, SigningKey, jcs};
use crate::model::{AuditEvent, escape_control};
use crate::session::Session;

/// The event-model record of an event, keeping the original record under
/// `details.original` and where it came from under `details.origin`.
pub(crate) fn event_to_rec(
    ev: &AuditEvent,
    raw: &str,
    fallback_ts: DateTime<Utc>,
) -> Map<String, Value> {
    let mut rec = Map::new();
    let mut details = match &ev.details {
        Value::Object(m) => m.clone(),
        Value::Null => Map::new(),
        other => {
            let mut m = Map::new();
            m.insert("value".to_owned(), other.clone());
            m
        }
    };
    let ts = ev.ts.unwrap_or_else(|| {
        details.insert("ts_missing".to_owned(), json!(true));
        fallback_ts
    });
    rec.insert(
        "ts".to_owned(),
        json!(ts.to_rfc3339_opts(SecondsFormat::AutoSi, true)),
    );
    let action = if ev.action.is_empty() {
        "unknown"
    } else {
        ev.action.as_str()
    };
    rec.insert("action".to_owned(), json!(action));
    rec.insert("category".to_owned(), json!(ev.category.as_str()));
    rec.insert("severity".to_owned(), json!(ev.severity.as_str()));
    rec.insert("outcome".to_owned(), json!(ev.outcome.as_str()));
    for (k, v) in [
        ("actor", serde_json::to_value(&ev.actor).ok()),
        ("resource", serde_json::to_value(&ev.resource).ok()),
        (
            "model",
            ev.model.as_ref().and_then(|m| serde_json::to_value(m).ok()),
        ),
    ] {
        if let Some(v) = v.filter(|v| v.as_object().is_none_or(|o| !o.is_empty())) {
            rec.insert(k.to_owned(), v);
        }
    }
    if !ev.inputs.is_empty() {
        rec.insert("inputs".to_owned(), json!(ev.inputs));
    }
    if !ev.outputs.is_empty() {
        rec.insert("outputs".to_owned(), json!(ev.outputs));
    }
    for (k, v) in [
        ("run_id", &ev.run_id),
        ("parent_run_id", &ev.parent_run_id),
        ("correlation_id", &ev.correlation_id),
        ("environment", &ev.environment),
        ("source", &ev.source),
        ("message", &ev.message),
    ] {
        if let Some(v) = v {
            rec.insert(k.to_owned(), json!(v));
        }
    }
    let original = crate::ingest::parse_strict(raw.as_bytes())
        .unwrap_or_else(|_| Value::String(raw.to_owned()));
    details.insert("original".to_owned(), original);
    details.insert(
        "origin".to_owned(),
        json!({"path": ev.origin.path, "line": ev.origin.line, "format": ev.origin.format.as_str()}),
    );
    rec.insert("details".to_owned(), Value::Object(details));
    let mut v = Value::Object(rec);
    safe_numbers(&mut v);
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// Integers JCS cannot hold exactly (2^53 and beyond) become strings, losing nothing.
fn safe_numbers(v: &mut Value) {
    match v {
        Value::Number(n) => {
            let big = n.as_u64().is_some_and(|u| u > jcs::MAX_SAFE_INTEGER)
                || n.as_i64()
                    .is_some_and(|i| i.unsigned_abs() > jcs::MAX_SAFE_INTEGER);
            if big {
                *v = Value::String(n.to_string());
            }
        }
        Value::Array(a) => a.iter_mut().for_each(safe_numbers),
        Value::Object(m) => m.values_mut().for_each(safe_numbers),
        _ => {}
    }
}

struct SealSink<'a> {
    writer: &'a mut BundleWriter,
    stream: Option<&'a str>,
    created_at: DateTime<Utc>,
    error: Option<IntegrityError>,
    records: u64,
}

impl EventSink for SealSink<'_> {
    fn event(&mut self, event: AuditEvent, raw: &str) -> bool {
        let stream = self
            .stream
            .or(event.origin.stream.as_deref())
            .unwrap_or("sealed")
            .to_owned();
        let rec = event_to_rec(&event, raw, self.created_at);
        match self.writer.append(&stream, rec) {
            Ok(()) => {
                self.records += 1;
                true
            }
            Err(e) => {
                self.error = Some(e);
                false
            }
        }
    }
}

/// Runs `seal`.
pub fn run(
    a: &SealArgs,
    session: &Session,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<Outcome> {
    let settings = session.settings();
    crate::session::check_inputs(&a.inputs)?;
    if let Some(s) = &a.stream
        && !crate::integrity::valid_stream_id(s)
    {
        anyhow::bail!("{}", IntegrityError::BadStreamId(s.clone()));
    }
    let key = a
        .key
        .as_ref()
        .map(|p| SigningKey::read_file(p))
        .transpose()
        .context("reading the signing key")?;
    let prev: Option<Manifest> = a
        .prev
        .as_ref()
        .map(|p| -> Result<Manifest> {
            let mp = p.join("manifest.json");
            let bytes = std::fs::read(&mp).with_context(|| format!("reading {}", mp.display()))?;
            serde_json::from_slice(&bytes).with_context(|| format!("parsing {}", mp.display()))
        })
        .transpose()?;
    let created_at = Utc::now().trunc_subsecs(0);
    let bundle_id = a.bundle_id.clone().unwrap_or_else(|| {
        prev.as_ref().map_or_else(
            || {
                a.out
                    .file_name()
                    .map_or_else(|| "bundle".to_owned(), |n| n.to_string_lossy().into_owned())
            },
            |m| m.bundle_id.clone(),
        )
    });
    let export_seq = prev.as_ref().map_or(0, |m| m.export_seq + 1);
    let mut writer = BundleWriter::create(
        &a.out,
        &bundle_id,
        export_seq,
        created_at,
        "auditlens",
        env!("CARGO_PKG_VERSION"),
    )?;
    if let Some(p) = &a.prev {
        writer.continue_from(p)?;
    }
    let mut sink = SealSink {
        writer: &mut writer,
        stream: a.stream.as_deref(),
        created_at,
        error: None,
        records: 0,
    };
    let opts = settings.ingest_options();
    let summary = ingest(&a.inputs, opts, &mut sink, |_| {});
    if let Some(e) = sink.error.take() {
        return Err(e).context("sealing");
    }
    let done = writer.finish(key.as_ref())?;
    writeln!(out, "{}", escape_control(&done.to_string()))?;
    let header = format!(
        "warning: {} input problem(s), {} record(s) could not be read and are not sealed:",
        summary.errors_total, summary.skipped
    );
    super::write_problems(&summary, &header, 10, err)?;
    if key.is_none() {
        writeln!(
            err,
            "note: no --key: the bundle is unsigned and will verify as `unverified`"
        )?;
    }
    Ok(Outcome::Ok)
}
