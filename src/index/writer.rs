//! `Indexer`: owns the single `IndexWriter`, turns events into documents, and commits in
//! batches (by count or time) so that readers see the index grow.

use std::time::{Duration, Instant};

use tantivy::{DateTime, Index, IndexWriter, TantivyDocument};

use super::IndexError;
use super::schema::Fields;
use super::statuses::{self, StatusHome};
use crate::ingest::EventSink;
use crate::model::AuditEvent;

/// When to commit during a bulk load (always at the end too).
#[derive(Debug, Clone, Copy)]
pub struct CommitPolicy {
    /// Commit after this many documents.
    pub every_docs: u64,
    /// Commit after this much time.
    pub every: Duration,
}

impl CommitPolicy {
    /// Commit only at the end: the fastest bulk load.
    pub const AT_END: Self = Self {
        every_docs: u64::MAX,
        every: Duration::MAX,
    };
    /// Frequent commits so a live view fills in as it loads.
    pub const LIVE: Self = Self {
        every_docs: 50_000,
        every: Duration::from_secs(2),
    };
}

/// The single writer of an index.
pub struct Indexer {
    writer: IndexWriter,
    fields: Fields,
    next_ord: u64,
    since_commit: u64,
    last_commit: Instant,
    policy: CommitPolicy,
    error: Option<IndexError>,
    commits: u64,
    on_commit: Option<Box<dyn FnMut(u64) + Send>>,
    /// Where the status column goes, and its codes so far (index = ordinal: one byte per
    /// event, the only per-event state the writer keeps).
    home: StatusHome,
    statuses: Vec<u8>,
}

impl Indexer {
    /// Opens the writer with a memory budget in bytes (at least 15 MB per thread).
    pub(crate) fn new(
        index: &Index,
        fields: Fields,
        budget: usize,
        threads: usize,
        policy: CommitPolicy,
        home: StatusHome,
    ) -> Result<Self, IndexError> {
        super::schema::register_tokenizers(index);
        let threads = threads.max(1);
        let budget = budget.max(threads * 15_000_000);
        let writer = index.writer_with_num_threads(threads, budget)?;
        if policy.every_docs == u64::MAX {
            // A bulk build commits once, at the end: its segments are as large as the budget
            // allows, and merging them rewrites every posting and rebuilds every term
            // dictionary again (at 1M events with smaller segments, merging took a quarter
            // more CPU than building; at 10M the budget's segments merge over two levels).
            // Queries over a few dozen budget-sized segments stay in milliseconds, so a bulk
            // build leaves them as built. A live build commits often and keeps merging its
            // small segments.
            writer.set_merge_policy(Box::new(tantivy::indexer::NoMergePolicy));
        }
        Ok(Self {
            writer,
            fields,
            next_ord: 0,
            since_commit: 0,
            last_commit: Instant::now(),
            policy,
            error: None,
            commits: 0,
            on_commit: None,
            home,
            statuses: Vec::new(),
        })
    }

    /// Numbers the next event `ord` (appending to an index that holds events already).
    /// The statuses of the events already there are kept.
    pub(crate) fn start_at(&mut self, ord: u64) -> Result<(), IndexError> {
        self.next_ord = ord;
        let mut codes = self.home.read()?.codes().to_vec();
        codes.resize(usize::try_from(ord).unwrap_or(usize::MAX), statuses::NONE);
        self.statuses = codes;
        Ok(())
    }

    /// Called with the number of documents after each commit.
    pub(crate) fn set_on_commit(&mut self, f: impl FnMut(u64) + Send + 'static) {
        self.on_commit = Some(Box::new(f));
    }

    /// Builds the document of one event.
    pub fn document(fields: &Fields, ord: u64, ev: &AuditEvent, raw: &str) -> TantivyDocument {
        let mut doc = TantivyDocument::default();
        doc.add_u64(fields.ord, ord);
        match ev.ts {
            Some(ts) => {
                let ms = ts.timestamp_millis();
                doc.add_date(
                    fields.ts,
                    DateTime::from_timestamp_nanos(
                        ts.timestamp_nanos_opt()
                            .unwrap_or(ms.saturating_mul(1_000_000)),
                    ),
                );
                doc.add_i64(fields.ts_key, ms);
            }
            None => doc.add_i64(fields.ts_key, i64::MIN),
        }
        if let Some(seq) = ev.origin.seq {
            doc.add_u64(fields.seq, seq);
        }
        doc.add_u64(fields.line, ev.origin.line);
        if ev.origin.part > 0 {
            doc.add_u64(fields.part, u64::from(ev.origin.part));
        }
        if let Some(h) = &ev.origin.hash {
            doc.add_text(fields.hash, h);
        }
        if let Some(m) = &ev.message {
            doc.add_text(fields.message, m);
        }
        doc.add_text(fields.raw, raw);
        if ev.details.is_object() {
            // Straight from the decoded JSON: tantivy reads `serde_json::Value` as it reads
            // its own values (same leaf types, same date detection), so converting to a
            // `BTreeMap<String, OwnedValue>` first only copied every key and value once more.
            doc.add_field_value(fields.details, &ev.details);
        }
        // Keyword positions are resolved at compile time (`at!`): this runs once per event.
        macro_rules! at {
            ($name:literal) => {
                const { super::schema::keyword_index($name) }
            };
        }
        let mut kw = |at: usize, value: &str| {
            if !value.is_empty() {
                doc.add_text(fields.keywords[at], value);
            }
        };
        kw(at!("action"), &ev.action);
        kw(at!("category"), ev.category.as_str());
        kw(at!("severity"), ev.severity.as_str());
        kw(at!("outcome"), ev.outcome.as_str());
        kw(at!("format"), ev.origin.format.as_str());
        kw(at!("path"), &ev.origin.path);
        kw(at!("ts_quality"), ev.ts_quality.as_str());
        let opt = [
            (at!("actor.id"), &ev.actor.id),
            (at!("actor.type"), &ev.actor.kind),
            (at!("actor.ip"), &ev.actor.ip),
            (at!("actor.session"), &ev.actor.session),
            (at!("resource.type"), &ev.resource.kind),
            (at!("resource.id"), &ev.resource.id),
            (at!("resource.name"), &ev.resource.name),
            (at!("resource.version"), &ev.resource.version),
            (at!("run_id"), &ev.run_id),
            (at!("parent_run_id"), &ev.parent_run_id),
            (at!("correlation_id"), &ev.correlation_id),
            (at!("environment"), &ev.environment),
            (at!("source"), &ev.source),
            (at!("stream"), &ev.origin.stream),
        ];
        for (at, value) in opt {
            if let Some(v) = value {
                kw(at, v);
            }
        }
        for r in &ev.actor.roles {
            kw(at!("actor.roles"), r);
        }
        for t in &ev.resource.tags {
            kw(at!("resource.tags"), t);
        }
        if let Some(m) = &ev.model {
            kw(at!("model.id"), &m.id);
            if let Some(v) = &m.version {
                kw(at!("model.version"), v);
            }
        }
        for i in &ev.inputs {
            kw(at!("inputs.id"), &i.id);
        }
        for o in &ev.outputs {
            kw(at!("outputs.id"), &o.id);
        }
        doc
    }

    /// Adds one event; commits when the policy says so.
    /// Its integrity label goes to the status column, not the document.
    pub fn add(&mut self, ev: &AuditEvent, raw: &str) -> Result<(), IndexError> {
        let doc = Self::document(&self.fields, self.next_ord, ev, raw);
        let at = usize::try_from(self.next_ord).unwrap_or(usize::MAX);
        if self.statuses.len() < at {
            self.statuses.resize(at, statuses::NONE);
        }
        self.statuses.truncate(at);
        self.statuses
            .push(statuses::code_of_label(ev.integrity.as_deref()));
        self.push(doc)
    }

    fn push(&mut self, doc: TantivyDocument) -> Result<(), IndexError> {
        self.writer.add_document(doc)?;
        self.next_ord += 1;
        self.since_commit += 1;
        if self.since_commit >= self.policy.every_docs
            || (self.since_commit.is_multiple_of(1024)
                && self.last_commit.elapsed() >= self.policy.every)
        {
            self.commit()?;
        }
        Ok(())
    }

    /// Commits what was added so far.
    /// The status column is written first: a reader that sees the new documents finds
    /// their statuses.
    pub fn commit(&mut self) -> Result<(), IndexError> {
        self.home.write(&self.statuses)?;
        self.writer.commit()?;
        self.since_commit = 0;
        self.commits += 1;
        self.last_commit = Instant::now();
        let docs = self.next_ord;
        if let Some(f) = &mut self.on_commit {
            f(docs);
        }
        Ok(())
    }

    /// Documents added so far.
    pub fn docs(&self) -> u64 {
        self.next_ord
    }

    /// Records an error met outside `add` (reported by `take_error`).
    pub(crate) fn set_error(&mut self, e: IndexError) {
        self.error.get_or_insert(e);
    }

    /// The first error met while used as an [`EventSink`].
    pub(crate) fn take_error(&mut self) -> Option<IndexError> {
        self.error.take()
    }

    /// Final commit, then waits for background merges.
    pub fn finish(mut self) -> Result<u64, IndexError> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        // The final commit is not announced: a live build moves the index into its cache
        // folder right after it, and a reader reloaded from the old folder would fail. The
        // build's `Done` hands over the index at its final place instead.
        self.on_commit = None;
        self.commit()?;
        let docs = self.next_ord;
        self.writer.wait_merging_threads()?;
        Ok(docs)
    }
}

impl EventSink for Indexer {
    fn event(&mut self, event: AuditEvent, raw: &str) -> bool {
        match self.add(&event, raw) {
            Ok(()) => true,
            Err(e) => {
                self.error = Some(e);
                false
            }
        }
    }
}
