//! `auditlens search`.

use crate::model::fields;
use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};

use super::{Outcome, open_index, report_skipped};
use crate::cli::SearchArgs;
use crate::model::{AuditEvent, escape_control, parse_time_str, safe_json};
use crate::session::{Opened, Session};
use crate::store::{Hit, PageRequest, Selection, SortOrder, Store, StoreError};

/// Parses a `--from` / `--to` bound (RFC 3339; zone-less is taken as UTC).
pub(crate) fn parse_bound(flag: &str, s: &str) -> Result<DateTime<Utc>> {
    parse_time_str(s).map(|t| t.ts).with_context(|| {
        format!("{flag} {s:?}: expected an RFC 3339 time such as 2024-05-01T00:00:00Z")
    })
}

/// The inputs and the query of `search` and `export`: the last positional argument is the
/// query, unless `-q` gave it.
pub(super) fn paths_and_query(
    command: &str,
    args: &[String],
    query: Option<&String>,
) -> Result<(Vec<PathBuf>, String)> {
    if let Some(q) = query {
        return Ok((args.iter().map(PathBuf::from).collect(), q.clone()));
    }
    let Some((q, p)) = args.split_last().filter(|(_, p)| !p.is_empty()) else {
        bail!("{command} needs at least one PATH and a QUERY (use '*' to match everything)");
    };
    Ok((p.iter().map(PathBuf::from).collect(), q.clone()))
}

/// An optional time bound.
type Bound = Option<DateTime<Utc>>;

/// `--from` (inclusive) and `--to` (exclusive), parsed.
pub(super) fn time_window(from: Option<&str>, to: Option<&str>) -> Result<(Bound, Bound)> {
    let from = from.map(|s| parse_bound("--from", s)).transpose()?;
    let to = to.map(|s| parse_bound("--to", s)).transpose()?;
    Ok((from, to))
}

pub(super) fn run(
    a: &SearchArgs,
    session: &Session,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<Outcome> {
    let settings = session.settings();
    if let Some(url) = &a.select.remote {
        return run_remote(a, url, session, out, err);
    }
    let (paths, query) = paths_and_query("search", &a.select.args, a.select.query.as_ref())?;
    let (from, to) = time_window(a.select.from.as_deref(), a.select.to.as_deref())?;
    let masker = settings.masker.clone();
    let opened = open_index(session, &paths, err)?;
    super::access_log::record(
        settings,
        crate::privacy::TrailEntry {
            command: "search".into(),
            bundle: Some(opened.digest().to_owned()),
            inputs: paths.iter().map(|p| p.display().to_string()).collect(),
            query: Some(query.clone()),
            filters: json!({"from": a.select.from, "to": a.select.to, "limit": a.limit, "offset": a.offset,
                "oldest_first": a.oldest_first, "count": a.count, "json": a.json, "csv": a.csv}),
            ..crate::privacy::TrailEntry::default()
        },
    )?;
    report_skipped(&opened, err)?;
    let sel = Selection {
        query: query.clone(),
        from,
        to,
        filter: None,
    };
    let page = page_request(a);
    let answer = |opened: &Opened| -> Result<(u64, Vec<Hit>), StoreError> {
        let store = opened.store()?;
        let store: &dyn Store = &store;
        if a.count {
            store.count(&sel).map(|total| (total, Vec::new()))
        } else {
            store.page(&sel, &page).map(|p| (p.total, p.hits))
        }
    };
    let mut result = answer(&opened);
    // Damage that shows only while searching (tantivy reads lazily): rebuild, answer again.
    if let Err(StoreError::Damaged(why)) = &result {
        let note = format!("the cached index is damaged ({why}): rebuilding it");
        writeln!(err, "note: {}", escape_control(&note))?;
        result = answer(&super::rebuild_index(session, &paths, err)?);
    }
    print_answer(a, &query, &masker, result, out, err)
}

/// The query of `search --remote` / `export --remote`: `-q`, else the only argument.
pub(super) fn remote_query(
    command: &str,
    args: &[String],
    query: Option<&String>,
) -> Result<String> {
    match (query, args) {
        (Some(q), []) | (None, [q]) => Ok(q.clone()),
        (None, []) => bail!("{command} --remote needs a QUERY (use '*' to match everything)"),
        _ => bail!(
            "{command} --remote takes only a QUERY: the events are in the remote index, not in local PATHs"
        ),
    }
}

fn run_remote(
    a: &SearchArgs,
    url: &str,
    session: &Session,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<Outcome> {
    let settings = session.settings();
    let query = remote_query("search", &a.select.args, a.select.query.as_ref())?;
    let (from, to) = time_window(a.select.from.as_deref(), a.select.to.as_deref())?;
    let store = super::remote_store(url, session.settings())?;
    super::access_log::record(
        settings,
        super::remote_entry(
            "search",
            &store,
            Some(&query),
            json!({"from": a.select.from, "to": a.select.to, "limit": a.limit, "offset": a.offset,
                "oldest_first": a.oldest_first, "count": a.count, "json": a.json, "csv": a.csv}),
        ),
    )?;
    let sel = Selection {
        query: query.clone(),
        from,
        to,
        filter: None,
    };
    let store: &dyn Store = &store;
    let result = if a.count {
        store.count(&sel).map(|total| (total, Vec::new()))
    } else {
        store
            .page(&sel, &page_request(a))
            .map(|p| (p.total, p.hits))
    };
    print_answer(a, &query, &settings.masker, result, out, err)
}

fn page_request(a: &SearchArgs) -> PageRequest {
    PageRequest {
        limit: if a.count { 0 } else { a.limit },
        offset: a.offset,
        order: if a.oldest_first {
            SortOrder::OldestFirst
        } else {
            SortOrder::NewestFirst
        },
    }
}

fn print_answer(
    a: &SearchArgs,
    query: &str,
    masker: &crate::privacy::Masker,
    result: Result<(u64, Vec<Hit>), StoreError>,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<Outcome> {
    let (total, hits) = match result {
        Ok((total, hits)) => (
            total,
            hits.iter().map(|h| mask_hit(masker, h)).collect::<Vec<_>>(),
        ),
        Err(StoreError::Query(qe)) => {
            let mut msg = format!("query error: {qe}");
            if let Some(p) = qe.pointer(query) {
                msg.push('\n');
                msg.push_str(&p);
            }
            bail!(msg);
        }
        Err(e) => return Err(e).context("searching"),
    };
    if a.count {
        writeln!(out, "{total}")?;
    } else if a.json {
        for h in &hits {
            safe_json::write_line(out, &hit_json(h))?;
        }
    } else if a.csv {
        write_csv(out, &hits)?;
    } else {
        for h in &hits {
            writeln!(out, "{}", text_line(&h.event))?;
        }
        let shown = hits.len();
        writeln!(err, "{shown} of {total} matching events shown")?;
    }
    Ok(Outcome::Ok)
}

/// A hit as shown: its event and original record masked.
pub(crate) fn mask_hit(masker: &crate::privacy::Masker, h: &Hit) -> Hit {
    Hit {
        ord: h.ord,
        event: masker.mask_event(&h.event),
        raw: masker.mask_record(&h.event, &h.raw),
    }
}

/// RFC 3339 UTC with milliseconds, or `-` for an event without time.
pub(crate) fn ts_text(ev: &AuditEvent) -> String {
    ev.ts.map_or_else(
        || "-".to_owned(),
        |t| t.to_rfc3339_opts(SecondsFormat::Millis, true),
    )
}

fn or_dash(s: Option<&str>) -> &str {
    s.unwrap_or("-")
}

/// One line per event for terminals: every field escaped.
pub(crate) fn text_line(ev: &AuditEvent) -> String {
    let resource = match (&ev.model, &ev.resource.id) {
        (Some(m), _) => format!(
            "model:{}{}",
            m.id,
            m.version
                .as_ref()
                .map(|v| format!("@{v}"))
                .unwrap_or_default()
        ),
        (None, Some(id)) => format!("{}:{id}", ev.resource.kind.as_deref().unwrap_or("resource")),
        (None, None) => "-".to_owned(),
    };
    let line = format!(
        "{}  {:<8} {:<10} {:<24} {:<26} {:<8} {}  {}",
        ts_text(ev),
        ev.severity.as_str(),
        ev.category.as_str(),
        truncate(or_dash(ev.actor.id.as_deref()), 24),
        truncate(&ev.action, 26),
        ev.outcome.as_str(),
        truncate(&resource, 48),
        truncate(or_dash(ev.message.as_deref()), 120),
    );
    escape_control(&line).into_owned()
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_owned()
    } else {
        let mut t: String = s.chars().take(max.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

/// The JSON object printed for a hit: the event's fields, its origin and its record.
pub(crate) fn hit_json(h: &Hit) -> Value {
    let mut v = serde_json::to_value(&h.event).unwrap_or(Value::Null);
    if let Value::Object(m) = &mut v {
        m.insert("ord".to_owned(), json!(h.ord));
        let record =
            serde_json::from_str::<Value>(&h.raw).unwrap_or_else(|_| Value::String(h.raw.clone()));
        m.insert("record".to_owned(), record);
    }
    v
}

pub(super) const CSV_COLUMNS: &[&str] = &[
    fields::TS,
    fields::SEVERITY,
    fields::CATEGORY,
    fields::ACTION,
    fields::OUTCOME,
    fields::ACTOR_ID,
    fields::ACTOR_IP,
    fields::RESOURCE_TYPE,
    fields::RESOURCE_ID,
    fields::MODEL_ID,
    fields::MODEL_VERSION,
    fields::RUN_ID,
    fields::ENVIRONMENT,
    fields::SOURCE,
    fields::STREAM,
    fields::SEQ,
    fields::PATH,
    fields::LINE,
    fields::MESSAGE,
];

pub(super) fn csv_cell(s: &str) -> String {
    let s = escape_control(s);
    if s.contains([',', '"', '\n']) || s.starts_with(' ') {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.into_owned()
    }
}

fn write_csv(out: &mut dyn Write, hits: &[Hit]) -> Result<()> {
    writeln!(out, "{}", CSV_COLUMNS.join(","))?;
    for h in hits {
        let row: Vec<String> = csv_cells(&h.event)
            .iter()
            .map(|c| csv_cell(&formula_guard(c)))
            .collect();
        writeln!(out, "{}", row.join(","))?;
    }
    Ok(())
}

/// A leading `'` on cells a spreadsheet would run as a formula.
pub(crate) fn formula_guard(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_owned()
    }
}

/// The CSV cells of an event, in [`CSV_COLUMNS`] order, unquoted.
pub(super) fn csv_cells(e: &AuditEvent) -> Vec<String> {
    vec![
        ts_text(e),
        e.severity.to_string(),
        e.category.to_string(),
        e.action.clone(),
        e.outcome.to_string(),
        e.actor.id.clone().unwrap_or_default(),
        e.actor.ip.clone().unwrap_or_default(),
        e.resource.kind.clone().unwrap_or_default(),
        e.resource.id.clone().unwrap_or_default(),
        e.model.as_ref().map(|m| m.id.clone()).unwrap_or_default(),
        e.model
            .as_ref()
            .and_then(|m| m.version.clone())
            .unwrap_or_default(),
        e.run_id.clone().unwrap_or_default(),
        e.environment.clone().unwrap_or_default(),
        e.source.clone().unwrap_or_default(),
        e.origin.stream.clone().unwrap_or_default(),
        e.origin.seq.map(|s| s.to_string()).unwrap_or_default(),
        e.origin.path.clone(),
        e.origin.line.to_string(),
        e.message.clone().unwrap_or_default(),
    ]
}
