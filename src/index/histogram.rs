//! Timeline histogram: a custom collector counting the matches of a search per time bucket,
//! stacked by severity, over the `ts_key` and `severity` fast fields. Uses the same query
//! and time filter as [`SearchService::search`].

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::{Column, StrColumn};
use tantivy::{DocId, Score, SegmentOrdinal, SegmentReader};

use super::IndexError;
use super::schema;
use super::search::{SearchService, run};
use crate::model::Severity;
use crate::store::SearchRequest;
use crate::store::{Histogram, LEVELS};

/// Bucket widths the timeline snaps to, in milliseconds.
const NICE_MS: &[i64] = &[
    1_000,
    2_000,
    5_000,
    10_000,
    15_000,
    30_000,
    60_000,
    2 * 60_000,
    5 * 60_000,
    10 * 60_000,
    15 * 60_000,
    30 * 60_000,
    3_600_000,
    2 * 3_600_000,
    3 * 3_600_000,
    6 * 3_600_000,
    12 * 3_600_000,
    86_400_000,
];

/// Picks a "nice" bucket width so that `span_ms` fits in about `buckets` buckets.
pub(crate) fn nice_bucket_ms(span_ms: i64, buckets: usize) -> i64 {
    let want = span_ms.max(1) / buckets.max(1) as i64;
    NICE_MS
        .iter()
        .copied()
        .find(|w| *w >= want)
        .unwrap_or_else(|| {
            let day = 86_400_000;
            (want + day - 1) / day * day
        })
}

/// Collects the smallest and largest known `ts_key` of the matches.
struct Bounds;

struct BoundsSeg {
    col: Column<i64>,
    min: i64,
    max: i64,
}

impl Collector for Bounds {
    type Fruit = Option<(i64, i64)>;
    type Child = BoundsSeg;

    fn for_segment(&self, _: SegmentOrdinal, seg: &SegmentReader) -> tantivy::Result<BoundsSeg> {
        Ok(BoundsSeg {
            col: seg.fast_fields().i64(schema::TS_KEY)?,
            min: i64::MAX,
            max: i64::MIN,
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<Option<(i64, i64)>>) -> tantivy::Result<Self::Fruit> {
        Ok(fruits
            .into_iter()
            .flatten()
            .reduce(|a, b| (a.0.min(b.0), a.1.max(b.1))))
    }
}

impl SegmentCollector for BoundsSeg {
    type Fruit = Option<(i64, i64)>;

    fn collect(&mut self, doc: DocId, _: Score) {
        if let Some(t) = self.col.first(doc)
            && t != i64::MIN
        {
            self.min = self.min.min(t);
            self.max = self.max.max(t);
        }
    }

    fn harvest(self) -> Self::Fruit {
        (self.min <= self.max).then_some((self.min, self.max))
    }
}

/// The bucket-counting collector.
struct Buckets {
    start_ms: i64,
    bucket_ms: i64,
    n: usize,
}

struct BucketsSeg {
    ts: Column<i64>,
    severity: Option<StrColumn>,
    /// Severity level per term ordinal of this segment's dictionary.
    level_of_ord: Vec<usize>,
    hist: Histogram,
}

fn level_of(name: &str) -> usize {
    Severity::ALL
        .iter()
        .position(|s| s.as_str() == name)
        .unwrap_or(1)
}

impl Collector for Buckets {
    type Fruit = Histogram;
    type Child = BucketsSeg;

    fn for_segment(&self, _: SegmentOrdinal, seg: &SegmentReader) -> tantivy::Result<BucketsSeg> {
        let ts = seg.fast_fields().i64(schema::TS_KEY)?;
        let severity = seg.fast_fields().str("severity")?;
        let mut level_of_ord = Vec::new();
        if let Some(col) = &severity {
            let mut s = String::new();
            for ord in 0..col.num_terms() as u64 {
                s.clear();
                col.ord_to_str(ord, &mut s)?;
                level_of_ord.push(level_of(&s));
            }
        }
        Ok(BucketsSeg {
            ts,
            severity,
            level_of_ord,
            hist: Histogram {
                start_ms: self.start_ms,
                bucket_ms: self.bucket_ms,
                counts: vec![[0; LEVELS]; self.n],
                untimed: 0,
                outside: 0,
            },
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<Histogram>) -> tantivy::Result<Histogram> {
        let mut out = Histogram {
            start_ms: self.start_ms,
            bucket_ms: self.bucket_ms,
            counts: vec![[0; LEVELS]; self.n],
            untimed: 0,
            outside: 0,
        };
        for f in fruits {
            out.untimed += f.untimed;
            out.outside += f.outside;
            for (o, c) in out.counts.iter_mut().zip(f.counts) {
                for (a, b) in o.iter_mut().zip(c) {
                    *a += b;
                }
            }
        }
        Ok(out)
    }
}

impl SegmentCollector for BucketsSeg {
    type Fruit = Histogram;

    fn collect(&mut self, doc: DocId, _: Score) {
        let t = self.ts.first(doc).unwrap_or(i64::MIN);
        if t == i64::MIN {
            self.hist.untimed += 1;
            return;
        }
        let off = t.saturating_sub(self.hist.start_ms);
        if off < 0 {
            self.hist.outside += 1;
            return;
        }
        let b = (off / self.hist.bucket_ms.max(1)) as usize;
        let level = self
            .severity
            .as_ref()
            .and_then(|c| c.ords().first(doc))
            .and_then(|o| self.level_of_ord.get(o as usize).copied())
            .unwrap_or(1);
        match self.hist.counts.get_mut(b) {
            Some(slot) => slot[level] += 1,
            None => self.hist.outside += 1,
        }
    }

    fn harvest(self) -> Histogram {
        self.hist
    }
}

impl SearchService {
    /// The earliest and latest known event time (ms) among the matches of `req`.
    pub fn time_span(&self, req: &SearchRequest) -> Result<Option<(i64, i64)>, IndexError> {
        let query = self.full_query(req)?;
        run(&self.searcher(), &query, &Bounds)
    }

    /// The time histogram of the matches of `req` (its query and time filter; paging is
    /// ignored) over `view` (start, end ms) or, when `None`, over the span of the matches,
    /// in about `buckets` buckets of a nice width.
    pub fn histogram(
        &self,
        req: &SearchRequest,
        view: Option<(i64, i64)>,
        buckets: usize,
    ) -> Result<Histogram, IndexError> {
        let query = self.full_query(req)?;
        let searcher = self.searcher();
        let (lo, hi) = if let Some(v) = view {
            v
        } else {
            let Some((lo, hi)) = run(&searcher, &query, &Bounds)? else {
                let untimed = run(&searcher, &query, &tantivy::collector::Count)? as u64;
                return Ok(Histogram {
                    untimed,
                    ..Histogram::default()
                });
            };
            (lo, hi + 1)
        };
        let span = (hi - lo).max(1);
        let bucket_ms = nice_bucket_ms(span, buckets);
        let start_ms = lo.div_euclid(bucket_ms) * bucket_ms;
        let n = ((hi - start_ms + bucket_ms - 1) / bucket_ms).max(1) as usize;
        run(
            &searcher,
            &query,
            &Buckets {
                start_ms,
                bucket_ms,
                n: n.min(10_000),
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nice_widths_cover_the_span() {
        assert_eq!(nice_bucket_ms(60_000, 60), 1_000);
        assert_eq!(nice_bucket_ms(86_400_000, 24), 3_600_000);
        assert_eq!(nice_bucket_ms(400 * 86_400_000, 10), 40 * 86_400_000);
        assert_eq!(nice_bucket_ms(112 * 86_400_000, 78), 2 * 86_400_000);
    }
}
