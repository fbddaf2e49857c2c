//! The search index: the ONLY module that imports tantivy. `schema` names the fields,
//! `writer` adds events, `search` answers queries, `cache` keeps built indexes on disk,
//! `stale` removes the build folders of killed processes, `damage` tells a damaged index
//! from a refused query.
//!
//! Allowed imports: `model` (the field table included), `ingest` (the `EventSink` trait,
//! summaries, the generic mapping hits are decoded again with), `store` (the trait it
//! implements and the plain types it exchanges), `querylang` (the query text layer),
//! tantivy.

mod append;
mod build;
mod cache;
mod damage;
mod facets;
mod filter;
mod histogram;
mod live;
mod query;
mod scan;
pub(crate) mod schema;
mod search;
mod stale;
#[cfg(test)]
mod status_column_tests;
mod statuses;
mod store;
mod tokenizer;
mod top;
mod writer;

pub use crate::store::SearchRequest;
pub use crate::store::{Histogram, Hit, LEVELS, Page, QueryError, SortOrder};
pub use append::Appender;
pub use build::{build_live, open_or_build};
pub(crate) use cache::content_digest;
pub use cache::{BuildOptions, DEFAULT_WRITER_MB, OpenedIndex, cache_root};
pub use filter::query_text as filter_query;
pub(crate) use histogram::nice_bucket_ms;
pub use live::LiveEvent;
pub use scan::{MatchScan, match_batch};
pub use search::SearchService;
pub use store::LocalStore;
pub use writer::{CommitPolicy, Indexer};

use tantivy::Index;

use crate::ingest::GenericMapping;

/// Failures of the index layer.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    /// tantivy failed.
    #[error("index error: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
    /// The query was refused.
    #[error("query error: {0}")]
    Query(#[from] QueryError),
    /// The index or its files are not as written.
    #[error("damaged index: {0}")]
    Corrupt(String),
    /// Reading or writing the cache failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The OS error.
        source: std::io::Error,
    },
}

/// An index with the current schema and none of the cache's bookkeeping, in RAM or in a
/// folder (tests, benches): fill it through [`BareIndex::indexer`], search it through
/// [`BareIndex::store`].
pub struct BareIndex {
    index: Index,
    fields: schema::Fields,
    home: statuses::StatusHome,
}

impl Default for BareIndex {
    fn default() -> Self {
        Self::new()
    }
}

impl BareIndex {
    /// An empty index in RAM.
    pub fn new() -> Self {
        let (index, fields) = create_in_ram();
        Self {
            index,
            fields,
            home: statuses::StatusHome::ram(),
        }
    }

    /// An empty index in the empty folder `dir`.
    pub fn create_in_dir(dir: &std::path::Path) -> Result<Self, IndexError> {
        let (schema, fields) = schema::build();
        Ok(Self {
            index: Index::create_in_dir(dir, schema)?,
            fields,
            home: statuses::StatusHome::dir(dir),
        })
    }

    /// The index in `dir` (built with the current schema).
    pub fn open_in_dir(dir: &std::path::Path) -> Result<Self, IndexError> {
        let index = Index::open_in_dir(dir)?;
        let fields = fields_of(&index)?;
        Ok(Self {
            index,
            fields,
            home: statuses::StatusHome::dir(dir),
        })
    }

    /// A writer into it (`budget` bytes of heap over `threads` threads).
    pub fn indexer(
        &self,
        budget: usize,
        threads: usize,
        policy: CommitPolicy,
    ) -> Result<Indexer, IndexError> {
        Indexer::new(
            &self.index,
            self.fields.clone(),
            budget,
            threads,
            policy,
            self.home.clone(),
        )
    }

    /// The index as a store (sees what was committed when it was opened; `refresh` for more).
    pub fn store(&self) -> Result<LocalStore, IndexError> {
        LocalStore::open(
            self.index.clone(),
            None,
            GenericMapping::shared_builtin(),
            self.home.clone(),
        )
    }

    /// A search service over it.
    pub fn service(&self) -> Result<SearchService, IndexError> {
        SearchService::new(
            self.index.clone(),
            GenericMapping::shared_builtin(),
            self.home.clone(),
        )
    }
}

/// A new in-RAM index with the current schema.
pub(crate) fn create_in_ram() -> (Index, schema::Fields) {
    let (schema, fields) = schema::build();
    (Index::create_in_ram(schema), fields)
}

/// An empty in-RAM store with the current schema: checks queries without data.
pub(crate) fn empty_store() -> Result<LocalStore, IndexError> {
    LocalStore::open(
        create_in_ram().0,
        None,
        GenericMapping::shared_builtin(),
        statuses::StatusHome::ram(),
    )
}

/// The field handles of an index built with the current schema.
pub(crate) fn fields_of(index: &Index) -> Result<schema::Fields, IndexError> {
    let (expected, fields) = schema::build();
    if index.schema() != expected {
        return Err(IndexError::Corrupt(
            "the index was built with another schema".to_owned(),
        ));
    }
    Ok(fields)
}
