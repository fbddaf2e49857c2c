//! The index schema: the only place field names appear. Keyword fields match exactly as
//! written; `message`, `raw` and `details` are full text.
//!
//! What each field costs and why it is kept (issue 14; `perf` of a 200k-event generic build,
//! about 10 s of CPU, 70 % of it in tantivy's indexing threads; figures in README.md):
//! - `raw`: stored (the detail view and re-hashing decode the event again from it) and
//!   indexed by its values with positions (about 1.6 s): bare words and phrases search it
//!   (`mdl-0042` is a phrase of two words). Positions cost no measurable time; without them
//!   those queries would fail.
//! - `message`: indexed with positions, not stored (about 1.6 s, though its words are also in
//!   `raw`): `message:` queries and phrases must keep matching only the summary.
//! - `details`: a JSON object field, indexed with positions and a fast column (about 2.5 s,
//!   1.3 s of it the column). Ranges (`details.x:[0.2 TO 1]`) and existence (`details.n:*`)
//!   on JSON paths are answered only from the column in tantivy 0.27, and `details.policy:
//!   eu-ai-act` is a phrase, so neither the column nor the positions can go without losing
//!   queries that work today.
//! - Keywords: indexed raw terms (doc ids only: exact matches and `field:*`), stored only
//!   for `path` and `format` (what the event is decoded again from), a column only for
//!   `severity` (the one read by column). `integrity` is in none of them: the status
//!   column beside the index (`statuses.rs`, one byte per ordinal) answers it.
//! - No field keeps field norms (nothing is ranked by score).
//! - `ts`, `ts_key`, `seq`, `line`, `ord`: columns only (exact terms become one-value ranges).
//!
//! So everything indexed here is something a query reads; cutting the CPU per event further
//! means indexing less (for instance no `details` column, answering ranges from the records),
//! which changes what queries find and is a decision for the issue, not a silent change.
//!
//! Re-measured 2026-12-07 (`perf record --call-graph dwarf` of `auditlens stats` on the 200k
//! generic file, 2 threads; CPU of interleaved builds, two each, on a loaded machine): the
//! tantivy indexing threads take 70 % of the CPU, half of it adding documents (hashing ~72
//! tokens per event into the postings arena) and half writing the segment (sorting about
//! 1.2 million distinct terms per 200k events, the term dictionary FST, the postings). The
//! distinct terms are what a generated event makes unique: its `seq`, `rows` and `run=`
//! id, in `raw` (3 per event), `message` (1) and the `details` numbers (2). Leaving out
//! the `details` inverted index saves 8 to 10 % of the build CPU, leaving out its column 7
//! to 9 %; neither is the bulk of it, and both answer queries that work today (phrases
//! and terms on JSON paths; ranges and existence), so both stay. Numbers could leave the
//! `details` inverted index only if their exact-match queries were answered from the
//! column instead, which tantivy's query parser cannot do for JSON paths (it makes a typed
//! term), and whose int/float coercion differs from the terms' in corner cases.
//!
//! Profiled again later that day (issue 14, `perf record -F 499 -g` and `--call-graph
//! dwarf` of a first open of the 100k and 200k generic files, 2 threads, 44 µs of CPU per
//! event): tantivy's indexing threads 69 % (adding documents 41 %: the per-token hash into
//! the postings table alone 13 %, the `details` column 7 %; writing segments 28 %: postings
//! 17 %, the term dictionary FST 7 %, the columns 6 %, a third of that the `details`
//! string dictionary with its 64-character `hash` and `prev_hash`, 2 million distinct
//! strings per million events, each sstable block creating a zstd context), decoding 17 %
//! (the JSON parse 8 %, the generic mapping 5 %), the reading thread 10 % (building the
//! tantivy document from the decoded `details` 3 %), the document store's compression 3 %.
//! What went since: field norms (only scores read them, and nothing is ranked by score;
//! about 1.5 %) and a third of the per-thread writer budget's table (see
//! `DEFAULT_WRITER_MB`). What stays, per field, is listed above: each is read by a query
//! family that works today, so leaving it out would change what those queries find.

use tantivy::schema::{
    DateOptions, DateTimePrecision, FAST, Field, IndexRecordOption, JsonObjectOptions, STORED,
    Schema, TextFieldIndexing, TextOptions,
};

use crate::model::fields;

/// Bump on any change to the schema, or to how inputs are loaded and mapped (what ends up
/// in the index): cached indexes of another version are rebuilt.
pub const SCHEMA_VERSION: u32 = 17;

// The query language's fields (names, kinds, help) are the one table of
// `model::fields`; this schema indexes each of them, plus the bookkeeping fields below.
pub use crate::model::fields::{DETAILS, KEYWORDS, LINE, MESSAGE, RAW, SEQ, TS, keyword_index};

/// Always-present sort key: event time in ms, or `i64::MIN` when unknown.
pub const TS_KEY: &str = "ts_key";
/// Global ingest ordinal: the event's identity in this index.
pub const ORD: &str = "ord";
/// Which event of its record (stored; absent for the first).
pub const PART: &str = "part";
/// The record hash of a native envelope (stored only).
pub const HASH: &str = "hash";

/// Keyword fields stored with the document: with `raw`, `line`, `part` and `hash` they are
/// what the event is decoded again from for display (`ingest::redecode`), which costs far
/// less than storing the normalised event beside its record.
/// (`integrity` is no document field at all: each event's status is in the status column
/// beside the index, `statuses.rs`, written when the verification's verdict is known; its
/// keyword field stays in the schema, empty, so the query parser knows the name.)
pub const STORED_KEYWORDS: &[&str] = &[fields::PATH, fields::FORMAT];

/// Keyword fields that also get a fast (columnar) copy: only those something reads by
/// column (the timeline colours its bars by severity). Each fast keyword costs indexing time
/// (about 4% of a build each, measured), so none is added "in case".
pub const FAST_KEYWORDS: &[&str] = &[fields::SEVERITY];

/// Numeric query fields kept as columns only (not in the inverted index): the query
/// layer turns exact terms on them into one-value ranges.
pub const COLUMN_ONLY: &[&str] = &[TS, SEQ, LINE];

/// Handles to every field.
#[derive(Debug, Clone)]
pub struct Fields {
    /// Event time.
    pub ts: Field,
    /// Sort key.
    pub ts_key: Field,
    /// Ordinal.
    pub ord: Field,
    /// Sequence number.
    pub seq: Field,
    /// Line.
    pub line: Field,
    /// Message text.
    pub message: Field,
    /// Original record.
    pub raw: Field,
    /// Details object.
    pub details: Field,
    /// Event number within its record.
    pub part: Field,
    /// Native record hash.
    pub hash: Field,
    /// Keyword fields, in [`KEYWORDS`] order.
    pub keywords: Vec<Field>,
}

impl Fields {
    /// The handle of a keyword field by its query name.
    pub fn keyword(&self, name: &str) -> Field {
        self.keywords[keyword_index(name)]
    }
}

/// Builds the schema and its field handles.
pub fn build() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let date = DateOptions::default()
        .set_fast()
        .set_precision(DateTimePrecision::Milliseconds);
    // No field keeps field norms: they serve only BM25 scores, and no query here is ranked
    // by score (pages sort by time and sequence, counts and aggregations do not score). A
    // scorer on a field without norms uses a constant norm, so what matches is unchanged;
    // the build no longer records a norm per field and document nor computes block-max
    // scores for every posting block.
    let text = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer("default")
            .set_fieldnorms(false)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    // Fast as well as indexed: tantivy answers range queries on JSON paths from fast fields.
    let json = JsonObjectOptions::default()
        .set_expand_dots_enabled()
        .set_fast("raw")
        .set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer("default")
                .set_fieldnorms(false)
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        );
    // `STRING` without field norms: untokenized, doc ids only.
    let keyword = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer("raw")
            .set_fieldnorms(false)
            .set_index_option(IndexRecordOption::Basic),
    );
    let fields = Fields {
        // Time and ordinal are columns only: ranges, sorting and the ordinal lookups read the
        // column, and an inverted index of a million distinct values would cost a tenth of
        // the build. So are `seq` and `line`. An exact term on any of them (`seq:42`) is
        // rewritten as a one-value range (search.rs).
        ts: b.add_date_field(TS, date),
        ts_key: b.add_i64_field(TS_KEY, FAST),
        ord: b.add_u64_field(ORD, FAST | STORED),
        seq: b.add_u64_field(SEQ, FAST),
        line: b.add_u64_field(LINE, FAST | STORED),
        message: b.add_text_field(MESSAGE, text.clone()),
        raw: b.add_text_field(
            RAW,
            TextOptions::default()
                .set_indexing_options(
                    TextFieldIndexing::default()
                        .set_tokenizer(super::tokenizer::RECORD_VALUES)
                        .set_fieldnorms(false)
                        .set_index_option(IndexRecordOption::WithFreqsAndPositions),
                )
                .set_stored(),
        ),
        details: b.add_json_field(DETAILS, json),
        part: b.add_u64_field(PART, STORED),
        hash: b.add_text_field(HASH, STORED),
        keywords: KEYWORDS
            .iter()
            .map(|f| {
                let name = f.name;
                // Columnar (fast) storage only where aggregations and grouping need it:
                // each fast keyword costs indexing time and space.
                let mut options = keyword.clone();
                if FAST_KEYWORDS.contains(&name) {
                    options = options | FAST;
                }
                if STORED_KEYWORDS.contains(&name) {
                    options = options | STORED;
                }
                b.add_text_field(name, options)
            })
            .collect(),
    };
    (b.build(), fields)
}

/// Registers auditlens's own tokenizers with `index` (needed to index and to parse queries).
pub(crate) fn register_tokenizers(index: &tantivy::Index) {
    index.tokenizers().register(
        super::tokenizer::RECORD_VALUES,
        super::tokenizer::RecordValues,
    );
}

/// Every field name a query may use, for help texts and error messages.
pub(crate) fn query_field_names() -> Vec<&'static str> {
    fields::query_field_names()
}
