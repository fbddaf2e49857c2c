//! Adding events to an opened index while it is searched (the explorer's live follow):
//! the next ordinals after the highest one in the index, one writer, a commit per batch.
//! An index that grew no longer holds the event count its cache entry records, so the
//! cache never reuses it for its old content: the next open builds the grown inputs anew.

use super::IndexError;
use super::cache::OpenedIndex;
use super::schema;
use super::writer::{CommitPolicy, Indexer};
use crate::model::AuditEvent;

/// Smallest writer budget tantivy accepts for one thread, plus room.
const BUDGET: usize = 20_000_000;

/// Appends events to an opened index.
pub struct Appender {
    indexer: Indexer,
}

impl std::fmt::Debug for Appender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Appender {{ next_ord: {} }}", self.indexer.docs())
    }
}

impl OpenedIndex {
    /// A writer adding events after those the index holds.
    pub fn appender(&self) -> Result<Appender, IndexError> {
        let (_, fields) = schema::build();
        let reader = self.index.reader()?;
        let searcher = reader.searcher();
        let mut next = 0u64;
        for seg in searcher.segment_readers() {
            if seg.num_docs() == 0 {
                continue;
            }
            let col = seg.fast_fields().u64(schema::ORD)?;
            next = next.max(col.max_value().saturating_add(1));
        }
        let mut indexer = Indexer::new(
            &self.index,
            fields,
            BUDGET,
            1,
            CommitPolicy::AT_END,
            self.status_home(),
        )?;
        indexer.start_at(next)?;
        Ok(Appender { indexer })
    }
}

impl Appender {
    /// Adds one event; returns its ordinal (visible after [`Appender::commit`]).
    pub fn add(&mut self, ev: &AuditEvent, raw: &str) -> Result<u64, IndexError> {
        let ord = self.indexer.docs();
        self.indexer.add(ev, raw)?;
        Ok(ord)
    }

    /// Makes what was added searchable (after a reader reload).
    pub fn commit(&mut self) -> Result<(), IndexError> {
        self.indexer.commit()
    }
}
