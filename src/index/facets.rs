//! Facets: the most frequent values of a keyword field among the matches of a search.
//! Each segment marks its matches in a bit set, then walks the field's terms once and
//! counts, per term, the matching documents in its postings: one pass over the field's
//! postings whatever the number of values, and no column needed. `integrity` is counted
//! from the status column instead (its statuses are not in the documents): each match's
//! ordinal, read from the `ord` column, indexes its status code.

use std::collections::HashMap;

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{BitSet, DocId, DocSet, Score, SegmentOrdinal, SegmentReader, TERMINATED};

use super::IndexError;
use super::schema::{self, KEYWORDS};
use super::search::{SearchService, run};
use super::statuses::{self, StatusColumn};
use crate::model::fields::INTEGRITY;
use crate::store::{Facets, QueryError, SearchRequest};

/// Distinct values kept while counting; the rest are counted in `others` (memory stays
/// bounded on a field such as `correlation_id` with a value per event).
const MAX_DISTINCT: usize = 100_000;

struct TermCounts {
    field: Field,
}

struct TermCountsSeg {
    reader: SegmentReader,
    field: Field,
    docs: BitSet,
    matched: u64,
}

/// (value bytes, matches) per value with a match.
type Counts = Vec<(Vec<u8>, u64)>;

/// Per segment: matches, matches with a value, and the counts per value; or why its
/// postings could not be read.
type SegFruit = tantivy::Result<(u64, u64, Counts)>;

impl Collector for TermCounts {
    type Fruit = Vec<SegFruit>;
    type Child = TermCountsSeg;

    fn for_segment(&self, _: SegmentOrdinal, seg: &SegmentReader) -> tantivy::Result<Self::Child> {
        Ok(TermCountsSeg {
            reader: seg.clone(),
            field: self.field,
            docs: BitSet::with_max_value(seg.max_doc()),
            matched: 0,
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<SegFruit>) -> tantivy::Result<Self::Fruit> {
        Ok(fruits)
    }
}

impl TermCountsSeg {
    fn count_terms(&self) -> tantivy::Result<(u64, Counts)> {
        let inverted = self.reader.inverted_index(self.field)?;
        let mut stream = inverted.terms().stream()?;
        let mut out = Vec::new();
        let mut valued = BitSet::with_max_value(self.reader.max_doc());
        while stream.advance() {
            let mut postings =
                inverted.read_postings_from_terminfo(stream.value(), IndexRecordOption::Basic)?;
            let mut n = 0u64;
            let mut doc = postings.doc();
            while doc != TERMINATED {
                if self.docs.contains(doc) {
                    n += 1;
                    valued.insert(doc);
                }
                doc = postings.advance();
            }
            if n > 0 {
                out.push((stream.key().to_vec(), n));
            }
        }
        Ok((valued.len() as u64, out))
    }
}

impl SegmentCollector for TermCountsSeg {
    type Fruit = SegFruit;

    fn collect(&mut self, doc: DocId, _: Score) {
        self.docs.insert(doc);
        self.matched += 1;
    }

    fn harvest(self) -> Self::Fruit {
        if self.matched == 0 {
            return Ok((0, 0, Vec::new()));
        }
        self.count_terms()
            .map(|(valued, v)| (self.matched, valued, v))
    }
}

/// Counts the status codes of the matches.
struct StatusCounts {
    column: StatusColumn,
}

struct StatusCountsSeg {
    ords: Option<tantivy::columnar::Column<u64>>,
    column: StatusColumn,
    counts: [u64; statuses::CODES],
}

impl Collector for StatusCounts {
    type Fruit = [u64; statuses::CODES];
    type Child = StatusCountsSeg;

    fn for_segment(&self, _: SegmentOrdinal, seg: &SegmentReader) -> tantivy::Result<Self::Child> {
        Ok(StatusCountsSeg {
            ords: Some(seg.fast_fields().u64(schema::ORD)?),
            column: self.column.clone(),
            counts: [0; statuses::CODES],
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<Self::Fruit>) -> tantivy::Result<Self::Fruit> {
        let mut out = [0; statuses::CODES];
        for f in fruits {
            for (o, n) in out.iter_mut().zip(f) {
                *o += n;
            }
        }
        Ok(out)
    }
}

impl SegmentCollector for StatusCountsSeg {
    type Fruit = [u64; statuses::CODES];

    fn collect(&mut self, doc: DocId, _: Score) {
        let code = self
            .ords
            .as_ref()
            .and_then(|c| c.first(doc))
            .map_or(statuses::NONE, |ord| self.column.get(ord));
        self.counts[usize::from(code)] += 1;
    }

    fn harvest(self) -> Self::Fruit {
        self.counts
    }
}

impl SearchService {
    /// The statuses of the matches of `req`, counted from the status column.
    fn status_terms(&self, req: &SearchRequest, limit: usize) -> Result<Facets, IndexError> {
        let query = self.full_query(req)?;
        let searcher = self.searcher();
        let counts = run(
            &searcher,
            &query,
            &StatusCounts {
                column: self.statuses(),
            },
        )?;
        let mut all: Vec<(String, u64)> = statuses::labels()
            .map(|(code, label)| (label.to_owned(), counts[usize::from(code)]))
            .filter(|(_, n)| *n > 0)
            .collect();
        all.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let mut facets = Facets {
            field: INTEGRITY.to_owned(),
            matches: counts.iter().sum(),
            missing: counts[usize::from(statuses::NONE)],
            distinct: all.len() as u64,
            ..Facets::default()
        };
        facets.others = all.iter().skip(limit).map(|(_, n)| n).sum::<u64>();
        all.truncate(limit);
        facets.values = all;
        Ok(facets)
    }

    /// The `limit` most frequent values of keyword `field` among the matches of `req`
    /// (its query and time window).
    pub fn terms(
        &self,
        req: &SearchRequest,
        field: &str,
        limit: usize,
    ) -> Result<Facets, IndexError> {
        if !KEYWORDS.iter().any(|k| k.name == field) {
            let names: Vec<&str> = KEYWORDS.iter().map(|k| k.name).collect();
            return Err(IndexError::Query(QueryError {
                message: format!(
                    "values are counted on keyword fields only ({}), not on `{}`",
                    names.join(", "),
                    crate::model::escape_control(field)
                ),
                span: None,
            }));
        }
        if field == INTEGRITY {
            return self.status_terms(req, limit);
        }
        let query = self.full_query(req)?;
        let searcher = self.searcher();
        let collector = TermCounts {
            field: self.fields.keyword(field),
        };
        let mut counts: HashMap<Vec<u8>, u64> = HashMap::new();
        let mut facets = Facets {
            field: field.to_owned(),
            ..Facets::default()
        };
        let mut with_value = 0u64;
        for fruit in run(&searcher, &query, &collector)? {
            // Postings that cannot be read back are damage, as a failed search is.
            let (matched, with_values, values) =
                fruit.map_err(|e| IndexError::Corrupt(e.to_string()))?;
            facets.matches += matched;
            with_value += with_values;
            for (value, n) in values {
                let known = counts.len() < MAX_DISTINCT || counts.contains_key(&value);
                if known {
                    *counts.entry(value).or_default() += n;
                } else {
                    facets.others += n;
                    facets.distinct += 1;
                }
            }
        }
        facets.distinct += counts.len() as u64;
        let mut all: Vec<(String, u64)> = counts
            .into_iter()
            .map(|(k, n)| (String::from_utf8_lossy(&k).into_owned(), n))
            .collect();
        all.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        facets.others += all.iter().skip(limit).map(|(_, n)| n).sum::<u64>();
        all.truncate(limit);
        facets.values = all;
        facets.missing = facets.matches.saturating_sub(with_value);
        Ok(facets)
    }
}
