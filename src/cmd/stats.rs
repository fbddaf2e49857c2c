//! `auditlens stats`.

use crate::model::fields;
use std::collections::BTreeMap;
use std::io::Write;

use anyhow::Result;
use chrono::SecondsFormat;
use serde_json::json;

use super::{Outcome, open_index};
use crate::cli::StatsArgs;
use crate::model::{escape_control, safe_json};
use crate::session::Session;

// One linear report, plain or JSON: splitting it would only scatter the fields.
#[allow(clippy::too_many_lines)]
pub(super) fn run(
    a: &StatsArgs,
    session: &Session,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<Outcome> {
    if let Some(url) = &a.remote {
        return run_remote(a, url, session, out);
    }
    let masker = session.settings().masker.clone();
    let opened = open_index(session, &a.paths, err)?;
    super::access_log::record(
        session.settings(),
        crate::privacy::TrailEntry {
            command: "stats".into(),
            bundle: Some(opened.digest().to_owned()),
            inputs: a.paths.iter().map(|p| p.display().to_string()).collect(),
            filters: json!({"json": a.json, "problems": a.problems}),
            ..crate::privacy::TrailEntry::default()
        },
    )?;
    let s = opened.summary();
    if a.problems {
        return problems(s, a.json, &masker, out);
    }
    let ts = |t: Option<chrono::DateTime<chrono::Utc>>| {
        t.map(|t| t.to_rfc3339_opts(SecondsFormat::Millis, true))
    };
    // Integrity statuses as the index holds them (none for inputs that are not sealed).
    let integrity: BTreeMap<String, u64> = {
        use crate::store::{Selection, Store};
        let store = opened.store()?;
        store
            .terms(&Selection::default(), fields::INTEGRITY, 64)
            .map_err(|e| anyhow::anyhow!("{e}"))?
            .values
            .into_iter()
            .collect()
    };
    if a.json {
        let v = json!({
            "inputs": a.paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
            "events": s.events,
            "skipped": s.skipped,
            "errors_total": s.errors_total,
            "formats": s.formats,
            "parts": s.parts,
            "time_range": [ts(s.first_ts), ts(s.last_ts)],
            "categories": s.categories,
            "severities": s.severities,
            "outcomes": s.outcomes,
            "streams": s.streams,
            "integrity": integrity,
            "files": s.files,
            "zoneless_times": s.zoneless_times,
            "missing_times": s.missing_times,
            "bytes": s.bytes,
            "errors": s.errors,
            "index": {"dir": opened.dir().display().to_string(), "digest": opened.digest(), "reused": opened.reused()},
        });
        writeln!(out, "{}", safe_json::to_string_pretty(&v)?)?;
        return Ok(Outcome::Ok);
    }
    let mut w = |line: String| writeln!(out, "{}", escape_control(&line));
    w(format!("events:      {}", s.events))?;
    w(format!(
        "skipped:     {} record(s), {} problem(s) in all",
        s.skipped, s.errors_total
    ))?;
    w(format!(
        "time range:  {} .. {}",
        ts(s.first_ts).unwrap_or_else(|| "-".into()),
        ts(s.last_ts).unwrap_or_else(|| "-".into())
    ))?;
    if s.zoneless_times + s.missing_times > 0 {
        w(format!(
            "times:       {} zone-less (taken as UTC), {} missing or unreadable",
            s.zoneless_times, s.missing_times
        ))?;
    }
    let row = |name: &str, m: &BTreeMap<String, u64>| {
        let mut items: Vec<_> = m.iter().collect();
        items.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        let body = items
            .iter()
            .map(|(k, n)| format!("{k} {n}"))
            .collect::<Vec<_>>()
            .join(", ");
        format!(
            "{name:<12} {}",
            if body.is_empty() {
                "-".to_owned()
            } else {
                body
            }
        )
    };
    w(row("formats:", &s.formats))?;
    for line in parts_lines(&s.parts) {
        w(line)?;
    }
    w(row("categories:", &s.categories))?;
    w(row("severities:", &s.severities))?;
    w(row("outcomes:", &s.outcomes))?;
    w(row("streams:", &s.streams))?;
    if !integrity.is_empty() {
        w(row("integrity:", &integrity))?;
    }
    w(format!(
        "index:       {} ({})",
        opened.dir().display(),
        cache_state(opened.reused())
    ))?;
    if !s.errors.is_empty() {
        w("problems:".to_owned())?;
        for e in s.errors.iter().take(50) {
            let line = e.line.map(|l| format!(":{l}")).unwrap_or_default();
            w(format!(
                "  {}{line}: {}",
                e.path,
                masker.mask_text(&e.reason)
            ))?;
        }
        if s.errors_total > 50 {
            w(format!(
                "  ... and {} more (--problems lists them by file)",
                s.errors_total - 50
            ))?;
        }
    }
    Ok(Outcome::Ok)
}

/// `stats --problems`: every loading problem by file, plain or JSON; exit 1 when any.
fn problems(
    s: &crate::ingest::IngestSummary,
    json: bool,
    masker: &crate::privacy::Masker,
    out: &mut dyn Write,
) -> Result<Outcome> {
    let files = s.problems_by_file();
    let kind = |k: Option<crate::ingest::ErrorKind>| {
        k.and_then(|k| serde_json::to_value(k).ok())
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_else(|| "unknown".to_owned())
    };
    if json {
        let v = json!({
            "problems_total": s.errors_total,
            "skipped": s.skipped,
            "files": files.iter().map(|f| json!({
                "path": f.path,
                "total": f.total,
                "kept": f.kept.iter().map(|e| json!({
                    "line": e.line,
                    "kind": kind(e.kind),
                    "reason": masker.mask_text(&e.reason),
                })).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
        });
        writeln!(out, "{}", safe_json::to_string_pretty(&v)?)?;
    } else {
        let mut w = |line: String| writeln!(out, "{}", escape_control(&line));
        w(format!(
            "{} problem(s) in {} file(s), {} record(s) skipped",
            s.errors_total,
            files.len(),
            s.skipped
        ))?;
        for f in &files {
            w(format!("{}: {} problem(s)", f.path, f.total))?;
            for e in &f.kept {
                let line = e.line.map(|l| format!(":{l}")).unwrap_or_default();
                w(format!(
                    "  {}{line}: {}: {}",
                    f.path,
                    kind(e.kind),
                    masker.mask_text(&e.reason)
                ))?;
            }
            let rest = f.total.saturating_sub(f.kept.len() as u64);
            if rest > 0 {
                w(format!("  ... and {rest} more in this file (only counted)"))?;
            }
        }
    }
    Ok(if s.errors_total > 0 {
        Outcome::Problems
    } else {
        Outcome::Ok
    })
}

fn cache_state(reused: bool) -> &'static str {
    if reused { "cached" } else { "built now" }
}

/// One line per format: how many of its events got each part.
fn parts_lines(parts: &BTreeMap<String, crate::ingest::PartCounts>) -> Vec<String> {
    parts
        .iter()
        .map(|(format, p)| {
            format!(
                "{:<12} {format} {}: time {}, actor {}, action {}, outcome {}, resource {}, model {}",
                "parts:", p.events, p.time, p.actor, p.action, p.outcome, p.resource, p.model
            )
        })
        .collect()
}

/// `stats --remote`: what a Quickwit index holds, from counts and `terms` aggregations
/// (loading problems stay with the bundle: `push` reported them).
fn run_remote(a: &StatsArgs, url: &str, session: &Session, out: &mut dyn Write) -> Result<Outcome> {
    use crate::store::{PageRequest, Selection, SortOrder, Store};
    let store = super::remote_store(url, session.settings())?;
    super::access_log::record(
        session.settings(),
        super::remote_entry("stats", &store, None, json!({"json": a.json})),
    )?;
    let all = Selection::default();
    let fail = |e: crate::store::StoreError| anyhow::anyhow!("{e}");
    let events = store.count(&all).map_err(fail)?;
    let end = |order| -> Result<Option<String>> {
        let p = store
            .page(
                &all,
                &PageRequest {
                    offset: 0,
                    limit: 1,
                    order,
                },
            )
            .map_err(fail)?;
        Ok(p.hits
            .first()
            .and_then(|h| h.event.ts)
            .map(|t| t.to_rfc3339_opts(SecondsFormat::Millis, true)))
    };
    let (first, last) = (end(SortOrder::OldestFirst)?, end(SortOrder::NewestFirst)?);
    let mut facets = serde_json::Map::new();
    for field in [
        fields::FORMAT,
        fields::CATEGORY,
        fields::SEVERITY,
        fields::OUTCOME,
        fields::STREAM,
        fields::INTEGRITY,
    ] {
        let terms = store.terms(&all, field, 1000).map_err(fail)?;
        let m: BTreeMap<String, u64> = terms.values.into_iter().collect();
        facets.insert(field.to_owned(), json!(m));
    }
    if a.json {
        let v = json!({
            "remote": store.target().display(),
            "events": events,
            "time_range": [first, last],
            "counts": facets,
        });
        writeln!(out, "{}", safe_json::to_string_pretty(&v)?)?;
        return Ok(Outcome::Ok);
    }
    let mut w = |line: String| writeln!(out, "{}", escape_control(&line));
    w(format!("index:       {}", store.describe()))?;
    w(format!("events:      {events}"))?;
    w(format!(
        "time range:  {} .. {}",
        first.unwrap_or_else(|| "-".into()),
        last.unwrap_or_else(|| "-".into())
    ))?;
    for (field, m) in &facets {
        let mut items: Vec<(&String, u64)> = m
            .as_object()
            .map(|o| {
                o.iter()
                    .map(|(k, v)| (k, v.as_u64().unwrap_or_default()))
                    .collect()
            })
            .unwrap_or_default();
        items.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        let body: Vec<String> = items.iter().map(|(k, n)| format!("{k} {n}")).collect();
        let body = if body.is_empty() {
            "-".to_owned()
        } else {
            body.join(", ")
        };
        w(format!("{:<12} {body}", format!("{field}:")))?;
    }
    Ok(Outcome::Ok)
}
