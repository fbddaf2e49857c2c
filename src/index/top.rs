//! One page of hits in time order, with the total count: the newest (or oldest) `keep`
//! matches by (time, ordinal), a total order, so the page is the same whatever the segments.
//!
//! The count of each segment comes from the query's own count (for a term, the posting
//! list's length), not from visiting every match. Segments are visited best first by their
//! time column's bound, and a segment whose best possible time cannot enter a full page is
//! skipped: a log written in time order (most exports) has its newest events in its last
//! segments, so a top-100 at 10M events reads a few segments' columns instead of all of them.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use tantivy::query::{EnableScoring, Query};
use tantivy::{DocAddress, Searcher};

use super::schema;

/// A match's place in the page: larger is better (earlier in the page).
type Rank = (i128, i128);

/// The total number of matches of `query`, and the addresses of the best `keep` of them,
/// best first: newest first when `newest`, else oldest first (ties by ordinal, the same way).
pub(super) fn page(
    searcher: &Searcher,
    query: &dyn Query,
    newest: bool,
    keep: usize,
) -> tantivy::Result<(u64, Vec<DocAddress>)> {
    let weight = query.weight(EnableScoring::disabled_from_searcher(searcher))?;
    let rank = |ts: i64, ord: u64| -> Rank {
        if newest {
            (i128::from(ts), i128::from(ord))
        } else {
            (-i128::from(ts), -i128::from(ord))
        }
    };
    let mut segments = Vec::new();
    for (i, reader) in searcher.segment_readers().iter().enumerate() {
        let ts = reader.fast_fields().i64(schema::TS_KEY)?;
        // The best time any document of this segment can have (the column's bound).
        let best = if newest {
            i128::from(ts.max_value())
        } else {
            -i128::from(ts.min_value())
        };
        segments.push((best, i, ts));
    }
    segments.sort_by_key(|(best, i, _)| (Reverse(*best), *i));
    let mut total = 0u64;
    // The kept matches; the worst of them on top.
    let mut kept: BinaryHeap<Reverse<(Rank, u32, u32)>> = BinaryHeap::with_capacity(keep + 1);
    for (best, i, ts) in segments {
        let reader = searcher.segment_reader(i as u32);
        total += u64::from(weight.count(reader)?);
        if keep == 0 {
            continue;
        }
        if kept.len() == keep
            && let Some(Reverse(((worst_ts, _), _, _))) = kept.peek()
            && best < *worst_ts
        {
            continue;
        }
        let ord = reader.fast_fields().u64(schema::ORD)?;
        let segment = i as u32;
        weight.for_each_no_score(reader, &mut |docs| {
            for &doc in docs {
                let r = rank(
                    ts.first(doc).unwrap_or(i64::MIN),
                    ord.first(doc).unwrap_or_default(),
                );
                if kept.len() < keep {
                    kept.push(Reverse((r, segment, doc)));
                } else if kept.peek().is_some_and(|Reverse((w, _, _))| r > *w) {
                    kept.pop();
                    kept.push(Reverse((r, segment, doc)));
                }
            }
        })?;
    }
    let mut best: Vec<(Rank, u32, u32)> = kept.into_iter().map(|Reverse(k)| k).collect();
    best.sort_by(|a, b| b.cmp(a));
    Ok((
        total,
        best.into_iter()
            .map(|(_, segment, doc)| DocAddress::new(segment, doc))
            .collect(),
    ))
}
