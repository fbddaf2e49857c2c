//! Pushing a bundle's events into a Quickwit index: in ordinal order, in NDJSON batches,
//! each with its integrity status and origin. Idempotent (a marker in the companion
//! `INDEX.pushes` index records a completed push of a content digest: pushing it again is
//! a no-op) and resumable (markers record progress; an interrupted push resumes after the
//! last event the server holds, so nothing is sent twice). Rejected documents are counted
//! with Quickwit's reasons.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use serde_json::{Value, json};

use super::Target;
use super::client::{Client, Refusal};
use super::mapping::{self, Provenance};
use crate::privacy::Masker;
use crate::store::{Selection, Store, StoreError};

/// Largest NDJSON body sent at once (Quickwit refuses bodies over 10 MB by default).
const MAX_BATCH_BYTES: usize = 8 << 20;

/// How to push.
#[derive(Debug, Clone)]
pub struct PushOptions {
    /// Retention period for a new index (Quickwit's text, `180 days`).
    pub retention: Option<String>,
    /// Mask records before they leave (for stores that must never hold personal data).
    pub mask: Option<Arc<Masker>>,
    /// Events per batch.
    pub batch: usize,
    /// Stop after this many batches (resumed by the next push).
    pub max_batches: Option<usize>,
    /// The inputs as given (recorded in each document when there is one).
    pub inputs: Vec<String>,
    /// What the pushing side attests of the bundle, recorded in its push markers: each
    /// input's digest and the verify verdict with its findings (what `report --remote`
    /// cites). `Null` when nothing is attested.
    pub attested: Value,
}

/// Progress, after each acknowledged batch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PushProgress {
    /// Events acknowledged so far (this run and before).
    pub done: u64,
    /// Events of the bundle.
    pub total: u64,
    /// Documents rejected so far (this run).
    pub rejected: u64,
}

/// What a push did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PushReport {
    /// Content digest of the bundle.
    pub digest: String,
    /// Events of the bundle.
    pub total: u64,
    /// Events accepted by this run.
    pub pushed: u64,
    /// Documents Quickwit rejected in this run.
    pub rejected: u64,
    /// Rejection reasons with their counts (Quickwit's messages).
    pub reasons: BTreeMap<String, u64>,
    /// The bundle was already pushed: nothing sent.
    pub already: bool,
    /// This run continued an interrupted push from this local ordinal.
    pub resumed_from: Option<u64>,
    /// The push is complete (else stopped by `max_batches`).
    pub complete: bool,
    /// The index was created by this run.
    pub created: bool,
    /// Ordinal of the bundle's first event in the remote index.
    pub base: u64,
}

/// The last push marker of `digest`, if any.
fn last_marker(client: &Client, index: &str, digest: &str) -> Result<Option<Value>, StoreError> {
    let body =
        json!({"query": format!("digest:\"{digest}\""), "max_hits": 1, "sort_by": "written_ms"});
    let v = client.post_json(
        &format!("{}/search", mapping::pushes_index(index)),
        &body,
        Refusal::Unavailable,
    )?;
    Ok(v.get("hits")
        .and_then(Value::as_array)
        .and_then(|h| h.first())
        .cloned())
}

fn ensure_index(client: &Client, id: &str, config: &Value) -> Result<bool, StoreError> {
    if client.get(&format!("indexes/{id}"))?.is_some() {
        return Ok(false);
    }
    match client.post_json("indexes", config, Refusal::Unavailable) {
        Ok(_) => Ok(true),
        // Another pusher created it in between.
        Err(StoreError::Unavailable(m)) if m.contains("already exist") => Ok(false),
        Err(e) => Err(e),
    }
}

/// Creates the events index (true when it was missing) and its push-marker index.
fn ensure_indexes(client: &Client, index: &str, opts: &PushOptions) -> Result<bool, StoreError> {
    let created = ensure_index(
        client,
        index,
        &mapping::index_config(index, opts.retention.as_deref()),
    )?;
    ensure_index(
        client,
        &mapping::pushes_index(index),
        &mapping::pushes_config(index),
    )?;
    Ok(created)
}

/// Searches `index` (events) for one aggregate of the ordinals of `query`.
fn ord_stats(client: &Client, index: &str, query: &str) -> Result<(u64, Option<u64>), StoreError> {
    let body = json!({"query": query, "max_hits": 0,
        "aggs": {"o": {"stats": {"field": "ord"}}}});
    let v = client.post_json(&format!("{index}/search"), &body, Refusal::Unavailable)?;
    let count = v["aggregations"]["o"]["count"].as_u64().unwrap_or_default();
    let max = v["aggregations"]["o"]["max"].as_f64().map(|m| m as u64);
    Ok((count, if count == 0 { None } else { max }))
}

fn write_marker(
    client: &Client,
    index: &str,
    marker: &Value,
    force: bool,
) -> Result<(), StoreError> {
    let mut body = marker.to_string().into_bytes();
    body.push(b'\n');
    let commit = if force { "force" } else { "auto" };
    client.post_ndjson(
        &format!("{}/ingest?commit={commit}", mapping::pushes_index(index)),
        body,
    )?;
    Ok(())
}

/// How long a pusher waits for another one's reservation lock.
const LOCK_WAIT: Duration = Duration::from_secs(120);

/// A lock older than this was left by a pusher that died while holding it (it is held for
/// a few requests, seconds at most).
const LOCK_STALE_SECS: i64 = 60;

/// A push whose last marker is younger than this (and neither done nor stopped) is taken
/// as still running: markers are written after every batch.
const LIVE_SECS: i64 = 60;

/// The lock under which a pusher reads the ordinal reservations of an index and adds its
/// own: the companion index `INDEX.lock`, which Quickwit's metastore creates at most once
/// (a second creation is refused), so it is a mutex every pusher of the cluster sees.
/// Released (deleted) on drop; one left by a killed pusher is taken over once older than
/// [`LOCK_STALE_SECS`].
struct ReservationLock<'a> {
    client: &'a Client,
    id: String,
}

impl<'a> ReservationLock<'a> {
    fn acquire(client: &'a Client, index: &str) -> Result<Self, StoreError> {
        let id = format!("{index}.lock");
        let config = json!({"version": "0.9", "index_id": id,
            "doc_mapping": {"mode": "dynamic"}});
        let started = Instant::now();
        let mut delay = Duration::from_millis(100);
        loop {
            match client.post_json("indexes", &config, Refusal::Unavailable) {
                Ok(_) => return Ok(Self { client, id }),
                Err(StoreError::Unavailable(m)) if m.contains("already exist") => {}
                Err(e) => return Err(e),
            }
            if let Some(meta) = client.get(&format!("indexes/{id}"))? {
                let created = meta["create_timestamp"].as_i64().unwrap_or(i64::MAX);
                if Utc::now().timestamp().saturating_sub(created) > LOCK_STALE_SECS {
                    client.delete(&format!("indexes/{id}"))?;
                    continue;
                }
            }
            if started.elapsed() > LOCK_WAIT {
                return Err(StoreError::Unavailable(format!(
                    "another push to {index} has held its reservation lock (the index {id} on {}) for over {} s",
                    client.base(),
                    LOCK_WAIT.as_secs()
                )));
            }
            std::thread::sleep(delay);
            delay = (delay * 2).min(Duration::from_secs(1));
        }
    }
}

impl Drop for ReservationLock<'_> {
    fn drop(&mut self) {
        // Best effort: a lock left behind goes stale and is taken over.
        let _ = self.client.delete(&format!("indexes/{}", self.id));
    }
}

/// The first ordinal no push holds or has reserved: after the events the index holds and
/// after every range a push marker reserved (`end`), so pushes running at the same time
/// get disjoint ranges.
fn next_base(client: &Client, index: &str) -> Result<u64, StoreError> {
    let (_, max) = ord_stats(client, index, "*")?;
    let body = json!({"query": "*", "max_hits": 0, "aggs": {"e": {"max": {"field": "end"}}}});
    let v = client.post_json(
        &format!("{}/search", mapping::pushes_index(index)),
        &body,
        Refusal::Unavailable,
    )?;
    let reserved = v["aggregations"]["e"]["value"]
        .as_f64()
        .map_or(0, |e| e as u64);
    Ok(max.map_or(0, |m| m + 1).max(reserved))
}

/// Whether `marker` is the progress of a push running now (neither done nor stopped, and
/// recent).
fn running(marker: &Value, now_ms: i64) -> Option<i64> {
    let live = marker["done"].as_bool() != Some(true) && marker["stopped"].as_bool() != Some(true);
    let age = now_ms.saturating_sub(marker["written_ms"].as_i64().unwrap_or_default()) / 1000;
    (live && age < LIVE_SECS).then_some(age)
}

/// Pushes every event of `local` (the bundle's index, content digest `digest`) into
/// `target`, creating the index when missing. Pushes to one index may run at the same
/// time: each reserves its range of ordinals under a [`ReservationLock`]; a second push of
/// a bundle being pushed now is refused.
// One sequence: reserve, send in batches, mark done.
#[allow(clippy::too_many_lines)]
pub fn push(
    client: &Client,
    target: &Target,
    local: &dyn Store,
    digest: &str,
    opts: &PushOptions,
    progress: &mut dyn FnMut(PushProgress),
) -> Result<PushReport, StoreError> {
    let index = target.index.as_str();
    let total = local.len();
    let mut report = PushReport {
        digest: digest.to_owned(),
        total,
        ..PushReport::default()
    };
    report.created = ensure_indexes(client, index, opts)?;
    let lock = ReservationLock::acquire(client, index)?;
    let marker = last_marker(client, index, digest)?;
    if let Some(m) = marker
        .as_ref()
        .filter(|m| m["done"].as_bool() == Some(true))
    {
        report.already = true;
        report.complete = true;
        report.base = m["base"].as_u64().unwrap_or_default();
        return Ok(report);
    }
    if let Some(age) = marker
        .as_ref()
        .and_then(|m| running(m, Utc::now().timestamp_millis()))
    {
        return Err(StoreError::Unavailable(format!(
            "bundle {digest} is being pushed to {} by another push now (its last progress {age} s ago): \
             nothing pushed; if that push was killed, run this one again in {} s to resume it",
            target.display(),
            LIVE_SECS - age
        )));
    }
    let base = match &marker {
        Some(m) => m["base"].as_u64().unwrap_or_default(),
        None => next_base(client, index)?,
    };
    report.base = base;
    let now = Utc::now();
    let input = (opts.inputs.len() == 1).then(|| opts.inputs[0].as_str());
    let prov = Provenance {
        bundle: digest,
        input,
        now,
    };
    let marker_doc = |next: u64, done: bool, stopped: bool, report: &PushReport| {
        let now = Utc::now();
        json!({
            "kept": now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "written_ms": now.timestamp_millis(),
            "digest": digest,
            "base": base,
            "end": base + total,
            "next": next,
            "total": total,
            "done": done,
            "stopped": stopped,
            "rejected": report.rejected,
            "masked": opts.mask.is_some(),
            "inputs": opts.inputs,
            "attested": opts.attested,
            "mapping_version": mapping::MAPPING_VERSION,
        })
    };
    // Forced (committed now): the reservation is seen by the next pusher to take the
    // lock, and a push interrupted from here on is seen as one.
    let resumed = marker
        .as_ref()
        .map(|m| m["next"].as_u64().unwrap_or_default());
    write_marker(
        client,
        index,
        &marker_doc(resumed.unwrap_or_default(), false, false, &report),
        true,
    )?;
    drop(lock);
    let mut next = match &marker {
        Some(m) => resume_point(client, index, digest, m)?,
        None => 0,
    };
    if marker.is_some() {
        report.resumed_from = Some(next);
    }
    let batch = opts.batch.clamp(1, 50_000) as u64;
    let mut batches = 0usize;
    while next < total {
        if opts.max_batches.is_some_and(|m| batches >= m) {
            write_marker(client, index, &marker_doc(next, false, true, &report), true)?;
            return Ok(report);
        }
        let end = (next + batch).min(total);
        let sent = send_batch(client, index, local, (base, next, end), opts, &prov);
        let sent_to = match sent {
            Ok((answer, sent_to)) => {
                count_answer(&answer, &mut report);
                sent_to
            }
            Err(e) => {
                // Stopped, so that the push can be resumed at once (best effort: the
                // server may be what failed).
                let _ = write_marker(client, index, &marker_doc(next, false, true, &report), true);
                return Err(e);
            }
        };
        next = sent_to;
        batches += 1;
        write_marker(
            client,
            index,
            &marker_doc(next, false, false, &report),
            false,
        )?;
        progress(PushProgress {
            done: next,
            total,
            rejected: report.rejected,
        });
    }
    write_marker(client, index, &marker_doc(next, true, false, &report), true)?;
    report.complete = true;
    Ok(report)
}

/// Sends the local events `next..end` (ordinals from `base` on in the remote index) and
/// returns the ingest answer and the local ordinal after the last one sent.
fn send_batch(
    client: &Client,
    index: &str,
    local: &dyn Store,
    (base, next, end): (u64, u64, u64),
    opts: &PushOptions,
    prov: &Provenance<'_>,
) -> Result<(Value, u64), StoreError> {
    let total = local.len();
    let sel = Selection {
        query: format!("ord:[{next} TO {}]", end - 1),
        ..Selection::default()
    };
    let mut hits = Vec::with_capacity((end - next) as usize);
    for page in crate::store::Scan::new(local, sel, (end - next) as usize) {
        hits.extend(page?);
    }
    hits.sort_by_key(|h| h.ord);
    let (body, sent_to) = batch_body(&hits, base, next, end, opts, prov);
    let commit = if sent_to >= total { "force" } else { "auto" };
    let answer = ingest(
        client,
        &format!("{index}/ingest?commit={commit}&detailed_response=true"),
        &body,
    )?;
    Ok((answer, sent_to))
}

/// Where an interrupted push (its last `marker`, not done) resumes: after the last event
/// of the bundle the server holds. A push stopped on purpose recorded where it stopped
/// (committed); one cut short may have had batches acknowledged after its last visible
/// marker, so first wait until the server committed them (within its commit timeout).
fn resume_point(client: &Client, index: &str, digest: &str, m: &Value) -> Result<u64, StoreError> {
    if m["stopped"].as_bool() != Some(true) {
        let settle = mapping::COMMIT_TIMEOUT_SECS + 3;
        std::thread::sleep(Duration::from_secs(settle));
    }
    let base = m["base"].as_u64().unwrap_or_default();
    let (_, max) = ord_stats(client, index, &format!("bundle:\"{digest}\""))?;
    let held = max.map_or(0, |m| (m + 1).saturating_sub(base));
    Ok(held.max(m["next"].as_u64().unwrap_or_default()))
}

/// The NDJSON body of the events `hits` (local ordinals `next..end`, sorted), at most
/// [`MAX_BATCH_BYTES`], and the local ordinal after the last one in it.
fn batch_body(
    hits: &[crate::store::Hit],
    base: u64,
    next: u64,
    end: u64,
    opts: &PushOptions,
    prov: &Provenance<'_>,
) -> (Vec<u8>, u64) {
    let mut body = Vec::new();
    let mut sent_to = next;
    for h in hits {
        let (event, raw) = match &opts.mask {
            Some(m) => {
                let raw = m.mask_record(&h.event, &h.raw);
                let mut ev = m.mask_event(&h.event);
                ev.integrity.clone_from(&h.event.integrity);
                (ev, raw)
            }
            None => (h.event.clone(), h.raw.clone()),
        };
        let doc = mapping::document(base + h.ord, &event, &raw, prov);
        body.extend_from_slice(doc.to_string().as_bytes());
        body.push(b'\n');
        sent_to = h.ord + 1;
        if body.len() >= MAX_BATCH_BYTES {
            return (body, sent_to);
        }
    }
    (
        body,
        if hits.is_empty() {
            end
        } else {
            sent_to.max(end)
        },
    )
}

/// Adds an ingest answer's accepted and rejected counts, with the rejection reasons.
fn count_answer(answer: &Value, report: &mut PushReport) {
    let ingested = answer["num_ingested_docs"].as_u64().unwrap_or_default();
    let rejected = answer["num_rejected_docs"].as_u64().unwrap_or_default();
    report.pushed += ingested;
    report.rejected += rejected;
    let failures = answer["parse_failures"]
        .as_array()
        .map_or(&[][..], Vec::as_slice);
    for f in failures {
        let reason = f["message"]
            .as_str()
            .or_else(|| f["reason"].as_str())
            .unwrap_or("rejected")
            .to_owned();
        *report.reasons.entry(reason).or_default() += 1;
    }
    let unexplained = rejected.saturating_sub(failures.len() as u64);
    if unexplained > 0 {
        *report
            .reasons
            .entry("rejected (no reason given by the server)".to_owned())
            .or_default() += unexplained;
    }
}

/// One ingest request, sent again (up to a minute, backing off) while the server says it
/// is busy (429, or 503 while it opens shards): nothing of a refused request was kept.
fn ingest(client: &Client, path: &str, body: &[u8]) -> Result<Value, StoreError> {
    let mut delay = std::time::Duration::from_millis(250);
    let started = std::time::Instant::now();
    loop {
        match client.post_ndjson(path, body.to_vec()) {
            Err(StoreError::Unavailable(m))
                if (m.contains("answered 503") || m.contains("answered 429"))
                    && started.elapsed() < std::time::Duration::from_secs(60) =>
            {
                std::thread::sleep(delay);
                delay = (delay * 2).min(std::time::Duration::from_secs(4));
            }
            other => return other,
        }
    }
}
