//! What an index says of the bundles pushed into it: their completed push markers (with
//! what the pushing side attested: input digests, the verify verdict and its findings) and
//! the integrity statuses their events were pushed with.

use serde_json::{Value, json};

use super::client::Refusal;
use super::mapping;
use super::store::RemoteStore;
use crate::model::fields;
use crate::store::StoreError;

/// Most bundles read back from one index.
const MAX_BUNDLES: usize = 10_000;

/// A bundle whose push completed, as its marker records it.
#[derive(Debug, Clone, PartialEq)]
pub struct PushedBundle {
    /// Content digest of the bundle.
    pub digest: String,
    /// The inputs as given to `push`.
    pub inputs: Vec<String>,
    /// Events pushed.
    pub total: u64,
    /// Ordinal of its first event in the index.
    pub base: u64,
    /// Pushed masked (`--mask`).
    pub masked: bool,
    /// What the pushing side attested (`Null` for a push that attested nothing).
    pub attested: Value,
}

/// The bundles whose push completed, the first pushed first (one per digest).
pub(crate) fn pushed_bundles(store: &RemoteStore) -> Result<Vec<PushedBundle>, StoreError> {
    let index = mapping::pushes_index(&store.target().index);
    let body = json!({"query": "done:true", "max_hits": MAX_BUNDLES, "sort_by": "-written_ms"});
    let v = store
        .client()
        .post_json(&format!("{index}/search"), &body, Refusal::Unavailable)?;
    let mut out: Vec<PushedBundle> = Vec::new();
    for m in v["hits"].as_array().map_or(&[][..], Vec::as_slice) {
        let Some(digest) = m["digest"].as_str() else {
            continue;
        };
        if out.iter().any(|b| b.digest == digest) {
            continue;
        }
        out.push(PushedBundle {
            digest: digest.to_owned(),
            inputs: m["inputs"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default(),
            total: m["total"].as_u64().unwrap_or_default(),
            base: m["base"].as_u64().unwrap_or_default(),
            masked: m["masked"].as_bool().unwrap_or_default(),
            attested: m["attested"].clone(),
        });
    }
    out.sort_by_key(|b| b.base);
    Ok(out)
}

/// The integrity statuses the events of bundle `digest` were pushed with, and how many
/// events have each (events pushed without one count under `""`), most frequent first.
pub(crate) fn pushed_statuses(
    store: &RemoteStore,
    digest: &str,
) -> Result<Vec<(String, u64)>, StoreError> {
    let body = json!({
        "query": format!("bundle:\"{}\"", digest.replace(['"', '\\'], "")),
        "max_hits": 0,
        "aggs": {"s": {"terms": {"field": fields::INTEGRITY, "size": 100, "missing": ""}}},
    });
    let v = store.client().post_json(
        &format!("{}/search", store.target().index),
        &body,
        Refusal::Unavailable,
    )?;
    Ok(v["aggregations"]["s"]["buckets"]
        .as_array()
        .map_or(&[][..], Vec::as_slice)
        .iter()
        .filter_map(|b| Some((b["key"].as_str()?.to_owned(), b["doc_count"].as_u64()?)))
        .collect())
}
