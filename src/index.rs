//! The search index: the ONLY module that imports tantivy. `schema` names the fields,
//! `writer` adds events, `search` answers queries, `cache` keeps built indexes on disk,
//! `stale` removes the build folders of killed processes, `damage` tells a damaged index
//! from a refused query.
//!
//! Allowed imports: `model`, `ingest` (for the `EventSink` trait and summaries), tantivy.

mod build;
mod cache;
mod damage;
mod histogram;
mod live;
mod query;
mod scan;
pub mod schema;
mod search;
mod stale;
mod store;
mod tokenizer;
mod writer;

pub use crate::store::{Histogram, Hit, LEVELS, Page, QueryError, SortOrder};
pub use build::{build_live, open_or_build};
pub use cache::{BuildOptions, DEFAULT_WRITER_MB, OpenedIndex, cache_root, content_digest};
pub use histogram::nice_bucket_ms;
pub use live::LiveEvent;
pub use scan::{MatchScan, match_batch};
pub use search::{SearchRequest, SearchService};
pub use store::LocalStore;
pub use writer::{CommitPolicy, Indexer};

pub use tantivy::Index;

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

/// A new in-RAM index with the current schema (tests, small loads).
pub fn create_in_ram() -> (Index, schema::Fields) {
    let (schema, fields) = schema::build();
    (Index::create_in_ram(schema), fields)
}

/// The field handles of an index built with the current schema.
pub fn fields_of(index: &Index) -> Result<schema::Fields, IndexError> {
    let (expected, fields) = schema::build();
    if index.schema() != expected {
        return Err(IndexError::Corrupt(
            "the index was built with another schema".to_owned(),
        ));
    }
    Ok(fields)
}
