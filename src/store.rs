//! The store seam: the queries the product asks of its event store, as a trait, with the
//! plain types they exchange. Today's tantivy index is the local implementation
//! (`index::LocalStore`); a remote one must be possible, so nothing here borrows from an
//! index: requests and answers are owned values, and deep reads page by keyset
//! ([`Cursor`]), never by an offset a server would have to skip again.
//!
//! Allowed imports: `model`, std, chrono. Never tantivy.

use chrono::{DateTime, Utc};

use crate::model::{AuditEvent, escape_control};

/// Result order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortOrder {
    /// Newest first (the default).
    #[default]
    NewestFirst,
    /// Oldest first.
    OldestFirst,
}

/// One hit: the event, its original record and its ordinal.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    /// Identity in this index.
    pub ord: u64,
    /// The normalised event.
    pub event: AuditEvent,
    /// The original record text.
    pub raw: String,
}

/// A page of hits and the total number of matches.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Page {
    /// Total matches.
    pub total: u64,
    /// This page.
    pub hits: Vec<Hit>,
}

/// A query the parser refused, with the byte position of the offending token when known.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct QueryError {
    /// What is wrong.
    pub message: String,
    /// Byte offset and length of the bad token in the query.
    pub span: Option<(usize, usize)>,
}

impl QueryError {
    /// The query with a caret line under the bad token, for plain-text output.
    /// Control characters in the query are shown escaped (`\x1b`), the caret under them.
    pub fn pointer(&self, query: &str) -> Option<String> {
        let (start, len) = self.span?;
        let prefix = query.get(..start)?;
        let token = query
            .get(start..)
            .map_or("", |rest| rest.get(..len).unwrap_or(rest));
        let width = |s: &str| escape_control(s).chars().count();
        Some(format!(
            "  {}\n  {}{}",
            escape_control(query),
            " ".repeat(width(prefix)),
            "^".repeat(width(token).max(1))
        ))
    }
}

/// Number of severity levels (stack height).
pub const LEVELS: usize = 6;

/// Counts per time bucket, stacked by severity (index = position in [`Severity::ALL`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Histogram {
    /// Start of the first bucket (ms since the epoch, UTC).
    pub start_ms: i64,
    /// Width of each bucket in ms.
    pub bucket_ms: i64,
    /// One entry per bucket.
    pub counts: Vec<[u64; LEVELS]>,
    /// Matches without a usable time (not in any bucket).
    pub untimed: u64,
    /// Matches before the first or after the last bucket.
    pub outside: u64,
}

impl Histogram {
    /// Total events in the buckets.
    pub fn total(&self) -> u64 {
        self.counts.iter().flat_map(|c| c.iter()).sum()
    }

    /// End of the last bucket (exclusive).
    pub fn end_ms(&self) -> i64 {
        self.start_ms + self.bucket_ms * self.counts.len() as i64
    }
}

/// A search: query text, optional time window, page.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchRequest {
    /// Query in the query language; empty or `*` matches everything.
    pub query: String,
    /// Inclusive lower bound on `ts`.
    pub from: Option<DateTime<Utc>>,
    /// Exclusive upper bound on `ts`.
    pub to: Option<DateTime<Utc>>,
    /// Page size.
    pub limit: usize,
    /// Hits to skip.
    pub offset: usize,
    /// Order.
    pub order: SortOrder,
    /// Events named by a report jump (and the query), when one is active.
    pub filter: Option<Filter>,
}

impl SearchRequest {
    /// Which events this request selects (its query and time window).
    pub fn selection(&self) -> Selection {
        Selection {
            query: self.query.clone(),
            from: self.from,
            to: self.to,
            filter: self.filter.clone(),
        }
    }

    /// Which page of them.
    pub(crate) fn page_request(&self) -> PageRequest {
        PageRequest {
            offset: self.offset,
            limit: self.limit,
            order: self.order,
        }
    }
}

/// Which events: a query in the query language (empty or `*`: all) and a time window.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    /// Query text.
    pub query: String,
    /// Inclusive lower bound on the event time.
    pub from: Option<DateTime<Utc>>,
    /// Exclusive upper bound on the event time.
    pub to: Option<DateTime<Utc>>,
    /// Events named by a report jump (and the query).
    pub filter: Option<Filter>,
}

/// Events named by what they are, never by query text built by hand: where a report row
/// leads (alert evidence, an integrity finding's lines, a lineage node). Each store spells
/// it in its own query language, with one quoting rule (`index` for the local index).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Filter {
    /// The events with these ordinals.
    Ords(Vec<u64>),
    /// The events of a model, or of one of its versions.
    Model {
        /// `model.id`.
        id: String,
        /// `model.version`, when one version.
        version: Option<String>,
    },
    /// A run's events: its own, its child runs', and those that take it as an input.
    Run(String),
    /// A dataset's, feature set's or other resource's events: those that read, write or
    /// name it.
    Resource(String),
    /// Lines `from..=to` of the input shown as `path`.
    Lines {
        /// The input as events name it (`path`).
        path: String,
        /// First line.
        from: u64,
        /// Last line.
        to: u64,
    },
    /// The events every one of these filters selects.
    All(Vec<Filter>),
    /// Records `from..=to` by sequence number in the stream file shown as `path`.
    Seqs {
        /// The stream file as events name it (`path`).
        path: String,
        /// First sequence number.
        from: u64,
        /// Last sequence number.
        to: u64,
    },
}

impl Filter {
    /// True when it selects nothing whatever the data (an empty ordinal set).
    pub fn is_empty(&self) -> bool {
        match self {
            Self::Ords(o) => o.is_empty(),
            Self::All(parts) => parts.iter().any(Self::is_empty),
            _ => false,
        }
    }

    /// This filter and `other`.
    #[must_use]
    pub fn and(self, other: Filter) -> Filter {
        match self {
            Self::All(mut parts) => {
                parts.push(other);
                Self::All(parts)
            }
            first => Self::All(vec![first, other]),
        }
    }
}

/// Quotes a value as a phrase of the query language (the one quoting rule of every
/// query the product writes): backslashes and double quotes are
/// escaped, so no value can end the phrase early or be dropped.
pub(crate) fn quote(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// Where Enter on a report row goes, and what the explorer calls it while it is shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Jump {
    /// A readable name ("evidence of: production deployment without approval").
    pub label: String,
    /// The events.
    pub filter: Filter,
}

/// Which page of a sorted selection.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PageRequest {
    /// Matches to skip.
    pub offset: usize,
    /// Page size.
    pub limit: usize,
    /// Order.
    pub order: SortOrder,
}

/// Where a keyset scan stopped: the (time, ordinal) key of the last record returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    /// Event time in ms (`i64::MIN` for events without one, which sort first).
    pub ts_ms: i64,
    /// Ordinal of the record.
    pub ord: u64,
}

/// One page of a keyset scan, oldest first, and where the next one starts.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ScanPage {
    /// The records, oldest first (ties by ordinal).
    pub hits: Vec<Hit>,
    /// The cursor for the next page; `None` when the scan is over.
    pub next: Option<Cursor>,
}

/// The most frequent values of one keyword field among the matches of a selection.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facets {
    /// The field counted.
    pub field: String,
    /// Matches of the selection.
    pub matches: u64,
    /// The top values with their number of matches, most frequent first (ties by value).
    pub values: Vec<(String, u64)>,
    /// Distinct values counted (the top ones and the rest).
    pub distinct: u64,
    /// Matches that have the field, summed over the values not in `values`.
    pub others: u64,
    /// Matches without any value in the field.
    pub missing: u64,
}

/// What a store can fail with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// The query was refused (the message points at the bad token).
    #[error("query error: {0}")]
    Query(QueryError),
    /// The store's data is not as written.
    #[error("damaged store: {0}")]
    Damaged(String),
    /// The store cannot answer now (I/O, a remote that is down).
    #[error("store unavailable: {0}")]
    Unavailable(String),
}

/// The queries the product asks of its store.
pub trait Store: Send + Sync {
    /// One page of `sel` plus its total number of matches.
    fn page(&self, sel: &Selection, req: &PageRequest) -> Result<Page, StoreError>;
    /// The number of matches of `sel`.
    fn count(&self, sel: &Selection) -> Result<u64, StoreError>;
    /// Matches of `sel` per time bucket and severity, over `view` (ms range; `None`: the
    /// span of the matches) in about `buckets` buckets.
    fn histogram(
        &self,
        sel: &Selection,
        view: Option<(i64, i64)>,
        buckets: usize,
    ) -> Result<Histogram, StoreError>;
    /// Up to `limit` matches of `sel` after `after` (from the start when `None`), oldest
    /// first: a scan that costs the same at any depth.
    fn scan_page(
        &self,
        sel: &Selection,
        after: Option<Cursor>,
        limit: usize,
    ) -> Result<ScanPage, StoreError>;
    /// The `limit` most frequent values of keyword `field` among the matches of `sel`.
    fn terms(&self, sel: &Selection, field: &str, limit: usize) -> Result<Facets, StoreError>;
    /// The earliest and latest event time (ms) among the matches of `sel` that have one.
    fn time_span(&self, sel: &Selection) -> Result<Option<(i64, i64)>, StoreError>;
    /// The position of the event keyed (`ts_ms`, `ord`) in the newest-first list of `sel`:
    /// matches in later milliseconds come first, then ties by ordinal (`i64::MAX`: the
    /// start; `i64::MIN`: the untimed events, which sort last). A record not in the list
    /// gets the position where it would be.
    fn position(&self, sel: &Selection, ts_ms: i64, ord: u64) -> Result<u64, StoreError> {
        let newer = if ts_ms == i64::MAX {
            0
        } else if ts_ms == i64::MIN {
            let mut timed = sel.clone();
            timed.from = Some(sel.from.unwrap_or(DateTime::<Utc>::MIN_UTC));
            self.count(&timed)?
        } else {
            let after = DateTime::from_timestamp_millis(ts_ms.saturating_add(1))
                .ok_or_else(|| StoreError::Unavailable(format!("time {ts_ms} out of range")))?;
            let mut later = sel.clone();
            later.from = Some(sel.from.map_or(after, |f| f.max(after)));
            if later.to.is_some_and(|t| t <= after) {
                0
            } else {
                self.count(&later)?
            }
        };
        // Ties in the same millisecond: look through them for the ordinal.
        let req = PageRequest {
            offset: usize::try_from(newer).unwrap_or(usize::MAX),
            limit: 512,
            order: SortOrder::NewestFirst,
        };
        let page = self.page(sel, &req)?;
        let i = page
            .hits
            .iter()
            .position(|h| {
                h.event.ts.map_or(i64::MIN, |t| t.timestamp_millis()) < ts_ms || h.ord <= ord
            })
            .unwrap_or(page.hits.len());
        Ok(newer + i as u64)
    }
    /// The record with ordinal `ord`.
    fn fetch(&self, ord: u64) -> Result<Option<Hit>, StoreError>;
    /// Checks a query against the query language without running it.
    fn check_query(&self, query: &str) -> Result<(), QueryError>;
    /// Sees the latest committed data.
    fn refresh(&self) -> Result<(), StoreError>;
    /// Records visible now.
    fn len(&self) -> u64;
    /// True when no record is visible.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// What this store is, for messages.
    fn describe(&self) -> String;
}

/// Every match of a selection, oldest first, fetched one keyset page at a time (export).
pub struct Scan<'a> {
    store: &'a dyn Store,
    sel: Selection,
    page: usize,
    next: Option<Cursor>,
    started: bool,
}

impl<'a> Scan<'a> {
    /// A scan of `sel` over `store` in pages of `page` records.
    pub fn new(store: &'a dyn Store, sel: Selection, page: usize) -> Self {
        Self {
            store,
            sel,
            page: page.max(1),
            next: None,
            started: false,
        }
    }
}

impl Iterator for Scan<'_> {
    type Item = Result<Vec<Hit>, StoreError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.started && self.next.is_none() {
            return None;
        }
        self.started = true;
        match self.store.scan_page(&self.sel, self.next, self.page) {
            Ok(p) => {
                self.next = p.next;
                (!p.hits.is_empty()).then_some(Ok(p.hits))
            }
            Err(e) => {
                self.next = None;
                Some(Err(e))
            }
        }
    }
}
