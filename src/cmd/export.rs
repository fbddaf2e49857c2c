//! `auditlens export`: matching events to a file for a SIEM (JSON lines, CSV, OCSF), masked
//! unless `--unmask`, streamed page by page, with a `sha256sum` sidecar.
//!
//! The file is written under a temporary name next to the target and renamed when complete,
//! so a reader never sees half an export (`session::output`, shared with the explorer).

use std::io::Write;

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};

use super::search::{CSV_COLUMNS, csv_cell, csv_cells, formula_guard, ts_text};
use super::{Outcome, open_index, report_skipped};
use crate::cli::{ExportArgs, ExportFormat};
use crate::model::{AuditEvent, Category, Outcome as EvOutcome, Severity, safe_json};
use crate::privacy::{Masker, TrailEntry};
use crate::session::{Session, output};
use crate::store::{Selection, Store};

pub(super) fn run(
    a: &ExportArgs,
    session: &Session,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<Outcome> {
    let settings = session.settings();
    let format = match a.format {
        ExportFormat::Jsonl => "jsonl",
        ExportFormat::Csv => "csv",
        ExportFormat::Ocsf => "ocsf",
    };
    if let Some(url) = &a.select.remote {
        let query = super::search::remote_query("export", &a.select.args, a.select.query.as_ref())?;
        let (from, to) =
            super::search::time_window(a.select.from.as_deref(), a.select.to.as_deref())?;
        if output::refuses(&a.out, a.force) {
            bail!("{} exists (use --force to replace it)", a.out.display());
        }
        let store = super::remote_store(url, session.settings())?;
        let mut entry = super::remote_entry(
            "export",
            &store,
            Some(&query),
            json!({"from": a.select.from, "to": a.select.to, "format": format}),
        );
        entry.export = Some(output::absolute(&a.out).display().to_string());
        super::access_log::record(settings, entry)?;
        let sel = Selection {
            query,
            from,
            to,
            filter: None,
        };
        return write_file(a, &store, &sel, format, &settings.masker, out);
    }
    let (paths, query) =
        super::search::paths_and_query("export", &a.select.args, a.select.query.as_ref())?;
    let (from, to) = super::search::time_window(a.select.from.as_deref(), a.select.to.as_deref())?;
    if output::refuses(&a.out, a.force) {
        bail!("{} exists (use --force to replace it)", a.out.display());
    }
    let masker = settings.masker.clone();
    let opened = open_index(session, &paths, err)?;
    super::access_log::record(
        settings,
        TrailEntry {
            command: "export".into(),
            bundle: Some(opened.digest().to_owned()),
            inputs: paths.iter().map(|p| p.display().to_string()).collect(),
            query: Some(query.clone()),
            filters: json!({"from": a.select.from, "to": a.select.to, "format": format}),
            export: Some(output::absolute(&a.out).display().to_string()),
            ..TrailEntry::default()
        },
    )?;
    report_skipped(&opened, err)?;
    let store = opened.store().context("opening the index reader")?;
    let sel = Selection {
        query: query.clone(),
        from,
        to,
        filter: None,
    };
    write_file(a, &store, &sel, format, &masker, out)
}

/// Writes the matches of `sel` to `--out` (through a temporary file) and its checksum
/// sidecar, with the safeguards every export has (`session::output`).
fn write_file(
    a: &ExportArgs,
    store: &dyn Store,
    sel: &Selection,
    format: &str,
    masker: &Masker,
    out: &mut dyn Write,
) -> Result<Outcome> {
    let kind = a.format;
    let (written, w) = output::write_file(&a.out, a.force, |w| {
        if kind == ExportFormat::Csv {
            writeln!(w, "{}", CSV_COLUMNS.join(","))?;
        }
        let mut encode = |ev: &AuditEvent, w: &mut dyn Write| -> Result<()> {
            match kind {
                ExportFormat::Jsonl => output::jsonl_line(ev, w)?,
                ExportFormat::Csv => {
                    let row: Vec<String> = csv_cells(ev)
                        .iter()
                        .map(|c| csv_cell(&formula_guard(c)))
                        .collect();
                    writeln!(w, "{}", row.join(","))?;
                }
                ExportFormat::Ocsf => safe_json::write_line(w, &ocsf(ev))?,
            }
            Ok(())
        };
        output::write_events(store, sel, masker, w, &mut encode)
    })?;
    writeln!(
        out,
        "exported {written} event(s), {} bytes, to {} ({}){}; sha256 {} in {}",
        w.bytes,
        a.out.display(),
        format,
        if masker.is_enabled() {
            ", masked"
        } else {
            ", UNMASKED"
        },
        w.sha256,
        w.sidecar.display()
    )?;
    Ok(Outcome::Ok)
}

fn contains_any(s: &str, words: &[&str]) -> bool {
    words.iter().any(|w| s.contains(w))
}

/// OCSF class of an event: (`class_uid`, `category_uid`, `activity_id`).
fn ocsf_class(ev: &AuditEvent) -> (u32, u32, u32) {
    let a = ev.action.to_ascii_lowercase();
    if contains_any(
        &a,
        &[
            "login",
            "logon",
            "signin",
            "sign_in",
            "authenticat",
            "auth.",
        ],
    ) {
        let act = if contains_any(&a, &["logout", "logoff", "signout"]) {
            2
        } else {
            1
        };
        return (3002, 3, act);
    }
    if contains_any(&a, &["logout", "logoff", "signout"]) {
        return (3002, 3, 2);
    }
    if ev.actor.id.is_none() && matches!(ev.category, Category::System | Category::Monitoring) {
        return (0, 0, 0);
    }
    let act = if contains_any(&a, &["delete", "remove", "archive", "destroy"]) {
        4
    } else if contains_any(
        &a,
        &[
            "create", "put", "register", "deploy", "start", "upload", "add", "insert", "run",
        ],
    ) {
        1
    } else if contains_any(
        &a,
        &[
            "update",
            "modify",
            "patch",
            "set",
            "promote",
            "approve",
            "transition",
            "tag",
        ],
    ) {
        3
    } else if contains_any(
        &a,
        &[
            "get", "list", "describe", "read", "download", "search", "view", "predict", "access",
            "watch",
        ],
    ) {
        2
    } else {
        99
    };
    (6003, 6, act)
}

/// The event as an OCSF 1.x event: API Activity (6003) for operations on the platform,
/// Authentication (3002) for log-ins and log-outs, else Base Event (0) for system records
/// without an actor. Fields OCSF has no place for go under `unmapped`.
pub fn ocsf(ev: &AuditEvent) -> Value {
    let (class_uid, category_uid, activity_id) = ocsf_class(ev);
    let severity_id = match ev.severity {
        Severity::Debug | Severity::Info => 1,
        Severity::Notice => 2,
        Severity::Warning => 3,
        Severity::Error => 4,
        Severity::Critical => 5,
    };
    let (status_id, status) = match ev.outcome {
        EvOutcome::Success => (1, "Success"),
        EvOutcome::Failure | EvOutcome::Denied => (2, "Failure"),
        EvOutcome::Unknown => (0, "Unknown"),
    };
    let mut v = json!({
        "class_uid": class_uid,
        "category_uid": category_uid,
        "activity_id": activity_id,
        "type_uid": u64::from(class_uid) * 100 + u64::from(activity_id),
        "severity_id": severity_id,
        "status_id": status_id,
        "status": status,
        "metadata": {
            "version": "1.1.0",
            "product": {"name": "auditlens", "vendor_name": "auditlens"},
            "log_name": ev.origin.stream,
            "original_time": ts_text(ev),
            "correlation_uid": ev.correlation_id,
        },
    });
    let m = v.as_object_mut().expect("invariant: built as an object");
    if let Some(t) = ev.ts {
        m.insert("time".into(), json!(t.timestamp_millis()));
    }
    if let Some(msg) = &ev.message {
        m.insert("message".into(), json!(msg));
    }
    let user = json!({"name": ev.actor.id, "type": ev.actor.kind, "groups": ev.actor.roles.iter().map(|r| json!({"name": r})).collect::<Vec<_>>()});
    if class_uid == 3002 {
        m.insert("user".into(), user.clone());
    }
    if ev.actor.id.is_some() {
        m.insert(
            "actor".into(),
            json!({"user": user, "session": {"uid": ev.actor.session}}),
        );
    }
    if let Some(ip) = &ev.actor.ip {
        m.insert("src_endpoint".into(), json!({"ip": ip}));
    }
    if class_uid == 6003 {
        m.insert(
            "api".into(),
            json!({"operation": ev.action, "service": {"name": ev.source}}),
        );
    }
    let mut resources = Vec::new();
    if ev.resource.id.is_some() || ev.resource.name.is_some() {
        resources.push(json!({"uid": ev.resource.id, "type": ev.resource.kind, "name": ev.resource.name, "version": ev.resource.version}));
    }
    if let Some(model) = &ev.model {
        resources.push(json!({"uid": model.id, "type": "model", "version": model.version}));
    }
    if !resources.is_empty() {
        m.insert("resources".into(), Value::Array(resources));
    }
    m.insert(
        "unmapped".into(),
        json!({
            "action": ev.action,
            "category": ev.category.as_str(),
            "run_id": ev.run_id,
            "parent_run_id": ev.parent_run_id,
            "environment": ev.environment,
            "inputs": ev.inputs,
            "outputs": ev.outputs,
            "details": ev.details,
            "origin": {"path": ev.origin.path, "line": ev.origin.line, "format": ev.origin.format.as_str(), "seq": ev.origin.seq},
            "integrity": ev.integrity,
        }),
    );
    v
}
