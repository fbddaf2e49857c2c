//! `auditlens export`: matching events to a file for a SIEM (JSON lines, CSV, OCSF), masked
//! unless `--unmask`, streamed page by page, with a `sha256sum` sidecar.
//!
//! The file is written under a temporary name next to the target and renamed when complete,
//! so a reader never sees half an export.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::search::{CSV_COLUMNS, csv_cell, csv_cells, formula_guard, ts_text};
use super::{Outcome, open_index, report_skipped};
use crate::cli::{ExportArgs, ExportFormat};
use crate::model::{AuditEvent, Category, Outcome as EvOutcome, Severity, safe_json};
use crate::privacy::{Masker, TrailEntry};
use crate::session::Session;
use crate::store::{Scan, Selection, Store, StoreError};

/// Events fetched per page.
const PAGE: usize = 2000;

/// Hashes everything written through it.
struct HashingWriter<W: Write> {
    inner: W,
    sha: Sha256,
    bytes: u64,
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.sha.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

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
        if a.out.exists() && !a.force {
            bail!("{} exists (use --force to replace it)", a.out.display());
        }
        let store = super::remote_store(url, session.settings())?;
        let mut entry = super::remote_entry(
            "export",
            &store,
            Some(&query),
            json!({"from": a.select.from, "to": a.select.to, "format": format}),
        );
        entry.export = Some(absolute(&a.out).display().to_string());
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
    if a.out.exists() && !a.force {
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
            export: Some(absolute(&a.out).display().to_string()),
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
/// sidecar.
fn write_file(
    a: &ExportArgs,
    store: &dyn Store,
    sel: &Selection,
    format: &str,
    masker: &Masker,
    out: &mut dyn Write,
) -> Result<Outcome> {
    let tmp = tmp_path(&a.out);
    let file = File::create(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
    let mut w = HashingWriter {
        inner: BufWriter::new(file),
        sha: Sha256::new(),
        bytes: 0,
    };
    let written = write_all(store, sel, a.format, masker, &mut w);
    let written = match written.and_then(|n| w.flush().map(|()| n).map_err(Into::into)) {
        Ok(n) => n,
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
    };
    let HashingWriter { inner, sha, bytes } = w;
    let file = inner
        .into_inner()
        .map_err(std::io::IntoInnerError::into_error)
        .with_context(|| format!("writing {}", tmp.display()))?;
    file.sync_all()
        .with_context(|| format!("writing {}", tmp.display()))?;
    drop(file);
    std::fs::rename(&tmp, &a.out)
        .with_context(|| format!("renaming {} to {}", tmp.display(), a.out.display()))?;
    let hex = crate::integrity::Digest32(sha.finalize().into()).to_hex();
    let name = a
        .out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let side = sidecar(&a.out);
    std::fs::write(&side, format!("{hex}  {name}\n"))
        .with_context(|| format!("writing {}", side.display()))?;
    writeln!(
        out,
        "exported {written} event(s), {bytes} bytes, to {} ({}){}; sha256 {hex} in {}",
        a.out.display(),
        format,
        if masker.is_enabled() {
            ", masked"
        } else {
            ", UNMASKED"
        },
        side.display()
    )?;
    Ok(Outcome::Ok)
}

fn absolute(p: &Path) -> PathBuf {
    std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf())
}

fn tmp_path(out: &Path) -> PathBuf {
    let mut name = out
        .file_name()
        .map(std::ffi::OsStr::to_os_string)
        .unwrap_or_default();
    name.push(format!(".partial-{}", std::process::id()));
    out.with_file_name(name)
}

/// `FILE.sha256`.
pub(crate) fn sidecar(out: &Path) -> PathBuf {
    let mut name = out
        .file_name()
        .map(std::ffi::OsStr::to_os_string)
        .unwrap_or_default();
    name.push(".sha256");
    out.with_file_name(name)
}

fn write_all(
    store: &dyn Store,
    sel: &Selection,
    format: ExportFormat,
    masker: &Masker,
    w: &mut dyn Write,
) -> Result<u64> {
    if format == ExportFormat::Csv {
        writeln!(w, "{}", CSV_COLUMNS.join(","))?;
    }
    let mut written = 0u64;
    // Oldest first, one keyset page at a time: the same cost at any depth.
    for page in Scan::new(store, sel.clone(), PAGE) {
        let hits = match page {
            Ok(p) => p,
            Err(StoreError::Query(qe)) => {
                let mut msg = format!("query error: {qe}");
                if let Some(p) = qe.pointer(&sel.query) {
                    msg.push('\n');
                    msg.push_str(&p);
                }
                bail!(msg);
            }
            Err(e) => return Err(e).context("searching"),
        };
        for h in &hits {
            let ev = masker.mask_event(&h.event);
            match format {
                ExportFormat::Jsonl => safe_json::write_line(w, &event_record(&ev))?,
                ExportFormat::Csv => {
                    let row: Vec<String> = csv_cells(&ev)
                        .iter()
                        .map(|c| csv_cell(&formula_guard(c)))
                        .collect();
                    writeln!(w, "{}", row.join(","))?;
                }
                ExportFormat::Ocsf => safe_json::write_line(w, &ocsf(&ev))?,
            }
            written += 1;
        }
    }
    Ok(written)
}

/// The event as an event-model record (`event-model.md`), which auditlens reads back as the
/// same event. Its source location and integrity status are not part of the event model and
/// are left out (the OCSF export keeps them under `unmapped`).
pub(crate) fn event_record(ev: &AuditEvent) -> Value {
    let mut v = serde_json::to_value(ev).unwrap_or(Value::Null);
    if let Value::Object(m) = &mut v {
        m.remove("ts_quality");
        m.remove("integrity");
        m.remove("origin");
        if m.get("details").is_some_and(Value::is_null) {
            m.remove("details");
        }
    }
    v
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
