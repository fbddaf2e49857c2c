//! Scanning every match of a query oldest first, in pages (keyset paging on the
//! `(ts_key, ord)` sort key, so memory holds one page, never every match), and matching
//! queries over a small batch of events in a throw-away in-RAM index (for `watch`).

use std::ops::Bound;
use std::sync::Arc;

use tantivy::collector::TopDocs;
use tantivy::collector::sort_key::SortByStaticFastValue;
use tantivy::query::{BooleanQuery, Occur, Query, RangeQuery};
use tantivy::{DocAddress, Order, Searcher, Term};

use super::schema::{self, Fields};
use super::search::run;
use super::writer::{CommitPolicy, Indexer};
use super::{IndexError, SearchRequest, SearchService};
use crate::ingest::GenericMapping;
use crate::model::AuditEvent;
use crate::store::Hit;

/// Matches fetched per page of a scan.
const PAGE: usize = 4096;

/// A page of sorted matches: `((ts_key, ord), address)`.
type SortedPage = std::vec::IntoIter<((Option<i64>, Option<u64>), DocAddress)>;

/// Every event matching a query, oldest first (events without a time come first), as
/// `(ord, event)`. Created by [`SearchService::scan`]; one searcher (one snapshot) for
/// the whole scan.
pub struct MatchScan {
    searcher: Searcher,
    fields: Fields,
    query: Box<dyn Query>,
    page: SortedPage,
    last: Option<(i64, u64)>,
    done: bool,
    mapping: Arc<GenericMapping>,
    statuses: super::statuses::StatusColumn,
}

impl SearchService {
    /// Scans every match of `query` oldest first (ties by ordinal).
    pub fn scan(&self, query: &str) -> Result<MatchScan, IndexError> {
        let req = SearchRequest {
            query: query.to_owned(),
            ..SearchRequest::default()
        };
        self.scan_after(&req, None)
    }

    /// Scans the matches of `req` (query and time window) oldest first, after the key
    /// `(ts_key, ord)` when given (keyset paging).
    pub(crate) fn scan_after(
        &self,
        req: &SearchRequest,
        after: Option<(i64, u64)>,
    ) -> Result<MatchScan, IndexError> {
        let query = self.full_query(req)?;
        Ok(MatchScan {
            searcher: self.reader.searcher(),
            fields: self.fields.clone(),
            mapping: Arc::clone(&self.mapping),
            statuses: self.statuses(),
            query,
            page: Vec::new().into_iter(),
            last: after,
            done: false,
        })
    }
}

impl MatchScan {
    fn next_page(&mut self) -> Result<(), IndexError> {
        let query: Box<dyn Query> = match self.last {
            None => self.query.box_clone(),
            Some((ts, ord)) => {
                let later = RangeQuery::new(
                    Bound::Excluded(Term::from_field_i64(self.fields.ts_key, ts)),
                    Bound::Unbounded,
                );
                let same_ts = RangeQuery::new(
                    Bound::Included(Term::from_field_i64(self.fields.ts_key, ts)),
                    Bound::Included(Term::from_field_i64(self.fields.ts_key, ts)),
                );
                let later_ord = RangeQuery::new(
                    Bound::Excluded(Term::from_field_u64(self.fields.ord, ord)),
                    Bound::Unbounded,
                );
                let tie: Box<dyn Query> = Box::new(BooleanQuery::new(vec![
                    (Occur::Must, Box::new(same_ts) as Box<dyn Query>),
                    (Occur::Must, Box::new(later_ord)),
                ]));
                let after = BooleanQuery::new(vec![
                    (Occur::Should, Box::new(later) as Box<dyn Query>),
                    (Occur::Should, tie),
                ]);
                Box::new(BooleanQuery::new(vec![
                    (Occur::Must, self.query.box_clone()),
                    (Occur::Must, Box::new(after)),
                ]))
            }
        };
        let top = TopDocs::with_limit(PAGE).order_by((
            (
                SortByStaticFastValue::<i64>::for_field(schema::TS_KEY),
                Order::Asc,
            ),
            (
                SortByStaticFastValue::<u64>::for_field(schema::ORD),
                Order::Asc,
            ),
        ));
        let searcher = &self.searcher;
        let hits = run(searcher, &query, &top)?;
        if hits.len() < PAGE {
            self.done = true;
        }
        if let Some(((ts, ord), _)) = hits.last() {
            self.last = Some((ts.unwrap_or(i64::MIN), ord.unwrap_or_default()));
        }
        self.page = hits.into_iter();
        Ok(())
    }

    fn fetch(&self, addr: DocAddress) -> Result<Hit, IndexError> {
        let doc = super::search::stored_doc(&self.searcher, addr)?;
        super::search::stored_hit(&self.fields, &doc, &self.mapping, &self.statuses)
    }

    /// The next match as a whole hit (with its original record).
    pub(super) fn next_hit(&mut self) -> Option<Result<Hit, IndexError>> {
        loop {
            if let Some((_, addr)) = self.page.next() {
                return Some(self.fetch(addr));
            }
            if self.done {
                return None;
            }
            if let Err(e) = self.next_page() {
                self.done = true;
                return Some(Err(e));
            }
        }
    }
}

impl Iterator for MatchScan {
    type Item = Result<(u64, AuditEvent), IndexError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(((_, ord), addr)) = self.page.next() {
                let ord = ord.unwrap_or_default();
                return Some(self.fetch(addr).map(|h| (ord, h.event)));
            }
            if self.done {
                return None;
            }
            if let Err(e) = self.next_page() {
                self.done = true;
                return Some(Err(e));
            }
        }
    }
}

/// Which events of a small batch each query matches, with the exact semantics of the
/// query language: the batch is indexed into a throw-away in-RAM index. Returns, per
/// query, the positions in `events` of its matches, ascending.
pub fn match_batch(
    events: &[(&AuditEvent, &str)],
    queries: &[&str],
) -> Result<Vec<Vec<usize>>, IndexError> {
    let (index, fields) = super::create_in_ram();
    let home = super::statuses::StatusHome::ram();
    let mut indexer = Indexer::new(
        &index,
        fields,
        15_000_000,
        1,
        CommitPolicy::AT_END,
        home.clone(),
    )?;
    for (ev, raw) in events {
        indexer.add(ev, raw)?;
    }
    indexer.finish()?;
    // Only ordinals are read back, never events: the mapping does not matter here.
    let service = SearchService::new(index, GenericMapping::shared_builtin(), home)?;
    let searcher = service.reader.searcher();
    let limit = events.len().max(1);
    let mut out = Vec::with_capacity(queries.len());
    for q in queries {
        let query = service.parse(q)?;
        let top = TopDocs::with_limit(limit).order_by_u64_field(schema::ORD, Order::Asc);
        let hits = run(&searcher, &query, &top)?;
        out.push(
            hits.into_iter()
                .filter_map(|(ord, _)| ord.map(|o| o as usize))
                .collect(),
        );
    }
    Ok(out)
}
