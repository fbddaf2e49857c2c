//! `LocalStore`: the [`Store`] trait over today's tantivy index (a [`SearchService`]).
//! What the front ends ask goes through the trait, so a remote store can take its place.

use std::path::PathBuf;
use std::sync::Arc;

use super::{IndexError, SearchRequest, SearchService};
use crate::ingest::GenericMapping;
use crate::store::{
    Cursor, Facets, Histogram, Hit, Page, PageRequest, QueryError, ScanPage, Selection, Store,
    StoreError,
};

/// The local index as a [`Store`]. Cheap to clone (one reader, shared).
#[derive(Clone)]
pub struct LocalStore {
    svc: Arc<SearchService>,
    dir: Option<PathBuf>,
}

impl std::fmt::Debug for LocalStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalStore")
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

impl LocalStore {
    /// The store over `svc`, whose index lives in `dir` (when on disk).
    pub fn new(svc: SearchService, dir: Option<PathBuf>) -> Self {
        Self {
            svc: Arc::new(svc),
            dir,
        }
    }

    /// The store over a readable `index` (in `dir` when on disk) built with `mapping`.
    /// Its status column is kept in `home`.
    pub(crate) fn open(
        index: tantivy::Index,
        dir: Option<PathBuf>,
        mapping: Arc<GenericMapping>,
        home: super::statuses::StatusHome,
    ) -> Result<Self, IndexError> {
        Ok(Self::new(SearchService::new(index, mapping, home)?, dir))
    }

    /// The search service underneath.
    pub fn service(&self) -> &SearchService {
        &self.svc
    }
}

impl From<IndexError> for StoreError {
    fn from(e: IndexError) -> Self {
        match e {
            IndexError::Query(q) => Self::Query(q),
            IndexError::Corrupt(m) => Self::Damaged(m),
            other => Self::Unavailable(other.to_string()),
        }
    }
}

fn request(sel: &Selection, page: &PageRequest) -> SearchRequest {
    SearchRequest {
        query: sel.query.clone(),
        from: sel.from,
        to: sel.to,
        limit: page.limit,
        offset: page.offset,
        order: page.order,
        filter: sel.filter.clone(),
    }
}

fn all(sel: &Selection) -> SearchRequest {
    request(sel, &PageRequest::default())
}

impl Store for LocalStore {
    fn page(&self, sel: &Selection, req: &PageRequest) -> Result<Page, StoreError> {
        Ok(self.svc.search(&request(sel, req))?)
    }

    fn count(&self, sel: &Selection) -> Result<u64, StoreError> {
        Ok(self.svc.count(&all(sel))?)
    }

    fn histogram(
        &self,
        sel: &Selection,
        view: Option<(i64, i64)>,
        buckets: usize,
    ) -> Result<Histogram, StoreError> {
        Ok(self.svc.histogram(&all(sel), view, buckets)?)
    }

    fn scan_page(
        &self,
        sel: &Selection,
        after: Option<Cursor>,
        limit: usize,
    ) -> Result<ScanPage, StoreError> {
        let limit = limit.max(1);
        let mut scan = self
            .svc
            .scan_after(&all(sel), after.map(|c| (c.ts_ms, c.ord)))?;
        let mut hits = Vec::with_capacity(limit.min(4096));
        let mut more = false;
        while let Some(hit) = scan.next_hit() {
            if hits.len() == limit {
                more = true;
                break;
            }
            hits.push(hit?);
        }
        let next = if more {
            hits.last().map(|h: &Hit| Cursor {
                ts_ms: h.event.ts.map_or(i64::MIN, |t| t.timestamp_millis()),
                ord: h.ord,
            })
        } else {
            None
        };
        Ok(ScanPage { hits, next })
    }

    fn terms(&self, sel: &Selection, field: &str, limit: usize) -> Result<Facets, StoreError> {
        Ok(self.svc.terms(&all(sel), field, limit)?)
    }

    fn time_span(&self, sel: &Selection) -> Result<Option<(i64, i64)>, StoreError> {
        Ok(self.svc.time_span(&all(sel))?)
    }

    fn fetch(&self, ord: u64) -> Result<Option<Hit>, StoreError> {
        Ok(self.svc.get(ord)?)
    }

    fn check_query(&self, query: &str) -> Result<(), QueryError> {
        self.svc.parse(query).map(|_| ())
    }

    fn refresh(&self) -> Result<(), StoreError> {
        // A live build's index moves from its temporary folder into the cache when it is
        // complete; a reload racing that move keeps the current searcher (its files stay
        // mapped) until the store at the final place replaces this one.
        if let Some(d) = &self.dir
            && !d.exists()
        {
            return Ok(());
        }
        Ok(self.svc.reload()?)
    }

    fn len(&self) -> u64 {
        self.svc.num_docs()
    }

    fn describe(&self) -> String {
        match &self.dir {
            Some(d) => format!("local index at {}", d.display()),
            None => "local index in memory".to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reload_racing_the_move_into_the_cache_keeps_the_current_searcher() {
        let root = tempfile::tempdir().unwrap();
        let tmp = root.path().join("build");
        std::fs::create_dir(&tmp).unwrap();
        let index = tantivy::Index::create_in_dir(&tmp, super::super::schema::build().0).unwrap();
        let mapping = crate::ingest::GenericMapping::shared_builtin();
        let home = super::super::statuses::StatusHome::dir(&tmp);
        let store = LocalStore::open(index, Some(tmp.clone()), mapping, home).unwrap();
        assert!(store.refresh().is_ok());
        std::fs::rename(&tmp, root.path().join("final")).unwrap();
        assert!(
            store.refresh().is_ok(),
            "the moved build's reader fails to reload"
        );
    }
}
