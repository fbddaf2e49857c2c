//! `RemoteStore`: the [`Store`] trait over one Quickwit index. Pages and counts are
//! searches sorted on `(ts_key, ord)` as locally; a keyset scan pages on the same key with
//! a range on it (Quickwit 0.9's search API has no `search_after`; the range is what the
//! local scan does too, and costs the same at any depth); the timeline is a
//! `date_histogram` with a `terms` sub-aggregation on severity, over the same buckets as
//! the local histogram; facets are `terms` aggregations; a hit is decoded again from the
//! stored record, as locally.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::client::{Client, Refusal};
use super::{Target, convert};
use crate::index::schema;
use crate::ingest::GenericMapping;
use crate::model::{Format, Severity, fields};
use crate::store::{
    Cursor, Facets, Histogram, Hit, LEVELS, Page, PageRequest, QueryError, ScanPage, Selection,
    SortOrder, Store, StoreError,
};

/// Default request timeout.
pub const TIMEOUT: Duration = Duration::from_secs(30);

/// Most hits Quickwit returns for one search.
const MAX_HITS: usize = 10_000;

/// A Quickwit index as a [`Store`]. `Send + Sync`; cheap to clone.
#[derive(Debug, Clone)]
pub struct RemoteStore {
    client: Client,
    target: Target,
    /// The generic mapping hits are decoded again with (the one the push used).
    mapping: Arc<GenericMapping>,
}

/// The store at `URL[/INDEX]`, checked to exist (one request).
pub fn connect(url: &str) -> Result<RemoteStore, StoreError> {
    RemoteStore::open(Target::parse(url, None)?, TIMEOUT)
}

impl RemoteStore {
    /// The store over `target`, checked to exist, with this request timeout.
    pub fn open(target: Target, timeout: Duration) -> Result<Self, StoreError> {
        let client = Client::new(&target.base, timeout);
        match client.get(&format!("indexes/{}", target.index))? {
            Some(_) => Ok(Self {
                client,
                target,
                mapping: GenericMapping::shared_builtin(),
            }),
            None => Err(StoreError::Unavailable(format!(
                "Quickwit at {} has no index {:?} (push a bundle there first: auditlens push PATH --to {})",
                target.base,
                target.index,
                target.display()
            ))),
        }
    }

    /// The store decoding its hits with `mapping` (a user's `generic.json`) instead of the
    /// built-in one.
    #[must_use]
    pub(crate) fn with_mapping(mut self, mapping: Arc<GenericMapping>) -> Self {
        self.mapping = mapping;
        self
    }

    /// Where it is.
    pub fn target(&self) -> &Target {
        &self.target
    }

    /// The client.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// One search request (`body` as the search API takes it).
    fn search(&self, body: &Value) -> Result<Value, StoreError> {
        let v = self.client.post_json(
            &format!("{}/search", self.target.index),
            body,
            Refusal::Query,
        )?;
        if let Some(errors) = v.get("errors").and_then(Value::as_array)
            && let Some(first) = errors.first()
        {
            return Err(StoreError::Unavailable(format!(
                "{} answered with errors: {first}",
                self.target.display()
            )));
        }
        Ok(v)
    }

    /// The search body of `sel` (its query and time window), plus `extra` clauses.
    fn body(sel: &Selection, extra: Option<&str>) -> Result<Value, StoreError> {
        let mut q = convert::to_quickwit(&sel.query).map_err(StoreError::Query)?;
        let mut clauses = Vec::new();
        if q != "*" {
            clauses.push(q.clone());
        }
        let (from, to) = (
            sel.from.map(|t| t.timestamp_millis()),
            sel.to.map(round_up_ms),
        );
        if from.is_some() || to.is_some() {
            let lo = from.map_or_else(|| "*".to_owned(), |v| v.to_string());
            let hi = to.map_or_else(|| "*".to_owned(), |v| v.to_string());
            let close = if to.is_some() { '}' } else { ']' };
            clauses.push(format!("ts_key:[{lo} TO {hi}{close}"));
        }
        match &sel.filter {
            None => {}
            // Matches nothing, whatever the data.
            Some(f) if f.is_empty() => clauses.push("(+ord:[0 TO 0] -ord:[0 TO 0])".to_owned()),
            Some(f) => clauses.push(
                convert::to_quickwit(&crate::index::filter_query(f)).map_err(StoreError::Query)?,
            ),
        }
        if let Some(e) = extra {
            clauses.push(e.to_owned());
        }
        q = match clauses.len() {
            0 => "*".to_owned(),
            1 => clauses.remove(0),
            _ => format!(
                "({})",
                clauses
                    .iter()
                    .map(|c| format!("+({c})"))
                    .collect::<Vec<_>>()
                    .join(" ")
            ),
        };
        let mut body = json!({"query": q});
        // Split pruning on the timestamp field, only when it cannot drop a match: an
        // event without a time is kept under its push time, and matches no window with a
        // lower bound.
        if let Some(from) = from {
            body["start_timestamp"] = json!(from.div_euclid(1000));
            if let Some(to) = to {
                body["end_timestamp"] = json!(to.div_euclid(1000) + 1);
            }
        }
        Ok(body)
    }

    fn hits(&self, v: &Value) -> Result<Vec<Hit>, StoreError> {
        v.get("hits").and_then(Value::as_array).map_or_else(
            || Ok(Vec::new()),
            |hits| hits.iter().map(|h| self.hit(h)).collect(),
        )
    }

    /// The hit of a returned document: decoded again from its record, as locally.
    fn hit(&self, doc: &Value) -> Result<Hit, StoreError> {
        let u64_of = |k: &str| doc.get(k).and_then(Value::as_u64);
        let str_of = |k: &str| doc.get(k).and_then(first_str);
        let ord = u64_of(schema::ORD).unwrap_or_default();
        let damaged = |what: String| {
            StoreError::Damaged(format!("{} event {ord}: {what}", self.target.display()))
        };
        let raw = str_of(schema::RAW).unwrap_or_default();
        let format = str_of(fields::FORMAT)
            .and_then(|f| Format::ALL.iter().copied().find(|k| k.as_str() == f))
            .ok_or_else(|| damaged("no input format".to_owned()))?;
        let mut event = crate::ingest::redecode(
            format,
            str_of(fields::PATH).unwrap_or_default(),
            u64_of(schema::LINE).unwrap_or_default(),
            u32::try_from(u64_of(schema::PART).unwrap_or_default()).unwrap_or(u32::MAX),
            str_of(schema::HASH),
            raw,
            &self.mapping,
        )
        .map_err(|e| damaged(e.to_string()))?;
        event.integrity = str_of(fields::INTEGRITY).map(str::to_owned);
        Ok(Hit {
            ord,
            event,
            raw: raw.to_owned(),
        })
    }

    fn num_hits(v: &Value) -> u64 {
        v.get("num_hits")
            .and_then(Value::as_u64)
            .unwrap_or_default()
    }

    /// The most frequent values of keyword `field` among the matches of `sel`, most
    /// frequent first (ties by value).
    pub fn top_values(
        &self,
        sel: &Selection,
        field: &str,
        limit: usize,
    ) -> Result<Vec<(String, u64)>, StoreError> {
        if !schema::KEYWORDS.iter().any(|k| k.name == field) {
            return Err(StoreError::Query(QueryError {
                message: format!("`{field}` is not a keyword field: facets count keyword values"),
                span: None,
            }));
        }
        let limit = limit.clamp(1, 65_000);
        let mut body = Self::body(sel, None)?;
        body["max_hits"] = json!(0);
        body["aggs"] = json!({"t": {"terms": {"field": field, "size": limit,
            "shard_size": (limit * 10).max(1000), "order": {"_count": "desc"}}}});
        let v = self.search(&body)?;
        let mut out: Vec<(String, u64)> = buckets(&v["aggregations"]["t"])
            .iter()
            .filter_map(|b| {
                Some((
                    key_text(b.get("key")?)?,
                    b.get("doc_count").and_then(Value::as_u64)?,
                ))
            })
            .collect();
        out.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        out.truncate(limit);
        Ok(out)
    }

    /// The rank (0-based) of the record `ord` in `sel` sorted by `order`; `None` when it
    /// does not match.
    pub fn rank(
        &self,
        sel: &Selection,
        order: SortOrder,
        ord: u64,
    ) -> Result<Option<u64>, StoreError> {
        let mut body = Self::body(sel, Some(&format!("ord:[{ord} TO {ord}]")))?;
        body["max_hits"] = json!(1);
        let v = self.search(&body)?;
        let Some(doc) = v
            .get("hits")
            .and_then(Value::as_array)
            .and_then(|h| h.first())
        else {
            return Ok(None);
        };
        let ts = doc
            .get(schema::TS_KEY)
            .and_then(Value::as_i64)
            .unwrap_or(i64::MIN);
        let before = match order {
            SortOrder::NewestFirst => {
                format!("(ts_key:{{{ts} TO *] OR (+ts_key:[{ts} TO {ts}] +ord:{{{ord} TO *]))")
            }
            SortOrder::OldestFirst => {
                format!("(ts_key:[* TO {ts}}} OR (+ts_key:[{ts} TO {ts}] +ord:[* TO {ord}}}))")
            }
        };
        let mut body = Self::body(sel, Some(&before))?;
        body["max_hits"] = json!(0);
        Ok(Some(Self::num_hits(&self.search(&body)?)))
    }
}

fn round_up_ms(t: DateTime<Utc>) -> i64 {
    // An exclusive upper bound on a sub-millisecond instant still includes that
    // millisecond's earlier events (as locally).
    let ms = t.timestamp_millis();
    if t.timestamp_subsec_nanos().is_multiple_of(1_000_000) {
        ms
    } else {
        ms + 1
    }
}

fn first_str(v: &Value) -> Option<&str> {
    match v {
        Value::String(s) => Some(s),
        Value::Array(a) => a.first().and_then(Value::as_str),
        _ => None,
    }
}

fn buckets(agg: &Value) -> Vec<Value> {
    agg.get("buckets")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}

fn key_text(k: &Value) -> Option<String> {
    match k {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn level_of(name: &str) -> usize {
    Severity::ALL
        .iter()
        .position(|s| s.as_str() == name)
        .unwrap_or(1)
}

impl Store for RemoteStore {
    fn page(&self, sel: &Selection, req: &PageRequest) -> Result<Page, StoreError> {
        let mut body = Self::body(sel, None)?;
        let limit = req.limit.min(MAX_HITS);
        body["max_hits"] = json!(limit);
        body["start_offset"] = json!(req.offset);
        body["sort_by"] = json!(match req.order {
            // Quickwit sorts a bare field descending, `-field` ascending.
            SortOrder::NewestFirst => "ts_key,ord",
            SortOrder::OldestFirst => "-ts_key,-ord",
        });
        let v = self.search(&body)?;
        Ok(Page {
            total: Self::num_hits(&v),
            hits: if limit == 0 {
                Vec::new()
            } else {
                self.hits(&v)?
            },
        })
    }

    fn count(&self, sel: &Selection) -> Result<u64, StoreError> {
        let mut body = Self::body(sel, None)?;
        body["max_hits"] = json!(0);
        Ok(Self::num_hits(&self.search(&body)?))
    }

    fn histogram(
        &self,
        sel: &Selection,
        view: Option<(i64, i64)>,
        buckets_wanted: usize,
    ) -> Result<Histogram, StoreError> {
        let mut body = Self::body(sel, None)?;
        body["max_hits"] = json!(0);
        let stats = json!({"stats": {"field": "ts_ms"}});
        let (lo, hi) = if let Some(v) = view {
            v
        } else {
            body["aggs"] = json!({"timed": stats});
            let v = self.search(&body)?;
            let st = &v["aggregations"]["timed"];
            let timed = st.get("count").and_then(Value::as_u64).unwrap_or_default();
            let (Some(min), Some(max)) = (
                st.get("min").and_then(Value::as_f64),
                st.get("max").and_then(Value::as_f64),
            ) else {
                return Ok(Histogram {
                    untimed: Self::num_hits(&v).saturating_sub(timed),
                    ..Histogram::default()
                });
            };
            if timed == 0 {
                return Ok(Histogram {
                    untimed: Self::num_hits(&v),
                    ..Histogram::default()
                });
            }
            (min as i64, max as i64 + 1)
        };
        let span = (hi - lo).max(1);
        let bucket_ms = crate::index::nice_bucket_ms(span, buckets_wanted);
        let start_ms = lo.div_euclid(bucket_ms) * bucket_ms;
        let n = (((hi - start_ms + bucket_ms - 1) / bucket_ms).max(1) as usize).min(10_000);
        let end_ms = start_ms.saturating_add(bucket_ms.saturating_mul(n as i64));
        body["aggs"] = json!({
            "timed": stats,
            "h": {
                "date_histogram": {
                    "field": schema::TS,
                    "fixed_interval": format!("{bucket_ms}ms"),
                    "hard_bounds": {"min": start_ms, "max": end_ms},
                },
                "aggs": {"s": {"terms": {"field": fields::SEVERITY, "size": 16}}},
            },
        });
        let v = self.search(&body)?;
        let timed = v["aggregations"]["timed"]
            .get("count")
            .and_then(Value::as_u64)
            .unwrap_or_default();
        let mut hist = Histogram {
            start_ms,
            bucket_ms,
            counts: vec![[0; LEVELS]; n],
            untimed: Self::num_hits(&v).saturating_sub(timed),
            outside: 0,
        };
        let mut inside = 0;
        for b in buckets(&v["aggregations"]["h"]) {
            let Some(key) = b.get("key").and_then(Value::as_f64) else {
                continue;
            };
            let off = key as i64 - start_ms;
            if off < 0 || off >= end_ms - start_ms {
                continue;
            }
            let Some(slot) = hist.counts.get_mut((off / bucket_ms) as usize) else {
                continue;
            };
            for s in buckets(&b["s"]) {
                let (Some(name), Some(c)) = (
                    s.get("key").and_then(Value::as_str),
                    s.get("doc_count").and_then(Value::as_u64),
                ) else {
                    continue;
                };
                slot[level_of(name)] += c;
                inside += c;
            }
        }
        hist.outside = timed.saturating_sub(inside);
        Ok(hist)
    }

    fn scan_page(
        &self,
        sel: &Selection,
        after: Option<Cursor>,
        limit: usize,
    ) -> Result<ScanPage, StoreError> {
        let limit = limit.clamp(1, MAX_HITS - 1);
        let extra = after.map(|c| {
            format!(
                "(ts_key:{{{ts} TO *] OR (+ts_key:[{ts} TO {ts}] +ord:{{{ord} TO *]))",
                ts = c.ts_ms,
                ord = c.ord
            )
        });
        let mut body = Self::body(sel, extra.as_deref())?;
        body["max_hits"] = json!(limit + 1);
        body["sort_by"] = json!("-ts_key,-ord");
        let v = self.search(&body)?;
        let docs = v
            .get("hits")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let more = docs.len() > limit;
        let mut hits = Vec::with_capacity(docs.len().min(limit));
        let mut last = None;
        for d in docs.iter().take(limit) {
            let hit = self.hit(d)?;
            last = Some(Cursor {
                ts_ms: d
                    .get(schema::TS_KEY)
                    .and_then(Value::as_i64)
                    .unwrap_or(i64::MIN),
                ord: hit.ord,
            });
            hits.push(hit);
        }
        Ok(ScanPage {
            hits,
            next: if more { last } else { None },
        })
    }

    fn terms(&self, sel: &Selection, field: &str, limit: usize) -> Result<Facets, StoreError> {
        // Exact totals: the top values from a terms aggregation, the distinct count and
        // the sum over every value from one more with every value (Quickwit caps a terms
        // aggregation at 65,000 buckets: beyond, the rest is counted in `others`).
        let matches = self.count(sel)?;
        let all = self.top_values(sel, field, 65_000)?;
        let mut with_value = sel.clone();
        let exists = Selection {
            query: format!("{field}:*"),
            ..Selection::default()
        };
        with_value.query = if sel.query.trim().is_empty() || sel.query.trim() == "*" {
            exists.query
        } else {
            format!("({}) AND {}", sel.query, exists.query)
        };
        let valued = self.count(&with_value)?;
        let listed: u64 = all.iter().take(limit).map(|(_, n)| n).sum();
        let counted: u64 = all.iter().map(|(_, n)| n).sum();
        Ok(Facets {
            field: field.to_owned(),
            matches,
            distinct: all.len() as u64,
            values: all.into_iter().take(limit).collect(),
            others: counted.saturating_sub(listed) + valued.saturating_sub(counted.min(valued)),
            missing: matches.saturating_sub(valued),
        })
    }

    fn time_span(&self, sel: &Selection) -> Result<Option<(i64, i64)>, StoreError> {
        // Untimed events carry `ts_key` i64::MIN: a range above it leaves them out.
        let timed = format!("ts_key:{{{} TO *]", i64::MIN);
        let edge = |sort: &str| -> Result<Option<i64>, StoreError> {
            let mut body = Self::body(sel, Some(&timed))?;
            body["max_hits"] = json!(1);
            body["sort_by"] = json!(sort);
            let v = self.search(&body)?;
            Ok(v.get("hits")
                .and_then(Value::as_array)
                .and_then(|h| h.first())
                .and_then(|d| d.get(schema::TS_KEY))
                .and_then(Value::as_i64))
        };
        // Quickwit sorts a bare field descending, `-field` ascending.
        Ok(edge("-ts_key")?.zip(edge("ts_key")?))
    }

    fn fetch(&self, ord: u64) -> Result<Option<Hit>, StoreError> {
        let body = json!({"query": format!("ord:[{ord} TO {ord}]"), "max_hits": 1});
        let v = self.search(&body)?;
        Ok(self.hits(&v)?.into_iter().next())
    }

    fn check_query(&self, query: &str) -> Result<(), QueryError> {
        convert::to_quickwit(query).map(|_| ())
    }

    fn refresh(&self) -> Result<(), StoreError> {
        // Quickwit serves what it committed; nothing to reload on this side.
        Ok(())
    }

    fn len(&self) -> u64 {
        self.count(&Selection::default()).unwrap_or_default()
    }

    fn describe(&self) -> String {
        format!("Quickwit index {}", self.target.display())
    }
}
