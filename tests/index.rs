//! The index layer: ordering, paging, counts and lenient query errors on an in-RAM index.

use auditlens::index::{
    CommitPolicy, Indexer, SearchRequest, SearchService, SortOrder, create_in_ram,
};
use auditlens::ingest::{IngestOptions, ingest};

use crate::common::{generic_lines, write};

fn service(n: usize) -> (SearchService, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let mut lines = generic_lines(n);
    // Two events with the same timestamp and one without any: ties and gaps.
    lines.push_str(
        "{\"time\":\"2024-01-01T00:00:00Z\",\"msg\":\"tie\"}\n{\"msg\":\"no time at all\"}\n",
    );
    let f = write(dir.path(), "e.jsonl", lines.as_bytes());
    let (index, fields) = create_in_ram();
    let mut indexer = Indexer::new(&index, fields, 15_000_000, 1, CommitPolicy::AT_END).unwrap();
    let summary = ingest(&[f], IngestOptions::default(), &mut indexer, |_| {});
    assert_eq!(summary.events, n as u64 + 2);
    indexer.finish().unwrap();
    (SearchService::new(index).unwrap(), dir)
}

fn req(query: &str, limit: usize, offset: usize) -> SearchRequest {
    SearchRequest {
        query: query.into(),
        limit,
        offset,
        ..SearchRequest::default()
    }
}

#[test]
fn newest_first_with_stable_ties_and_timeless_events_last() {
    let (s, _d) = service(30);
    let page = s.search(&req("*", 100, 0)).unwrap();
    assert_eq!(page.total, 32);
    let ts: Vec<_> = page.hits.iter().map(|h| h.event.ts).collect();
    assert!(ts.windows(2).all(|w| w[0] >= w[1]), "newest first");
    assert_eq!(
        page.hits.last().unwrap().event.message.as_deref(),
        Some("no time at all")
    );
    // Same timestamp: the later-loaded event first (ordinal tiebreak), deterministic.
    let ties: Vec<_> = page
        .hits
        .iter()
        .filter(|h| h.event.ts == page.hits[page.hits.len() - 2].event.ts)
        .map(|h| h.ord)
        .collect();
    assert!(ties.windows(2).all(|w| w[0] > w[1]));
    let oldest = s
        .search(&SearchRequest {
            order: SortOrder::OldestFirst,
            ..req("*", 1, 0)
        })
        .unwrap();
    assert_eq!(
        oldest.hits[0].event.message.as_deref(),
        Some("no time at all")
    );
}

#[test]
fn concatenated_pages_equal_the_full_list() {
    let (s, _d) = service(57);
    let full: Vec<u64> = s
        .search(&req("*", 1000, 0))
        .unwrap()
        .hits
        .iter()
        .map(|h| h.ord)
        .collect();
    let mut paged = Vec::new();
    for page in 0..10 {
        let p = s.search(&req("*", 7, page * 7)).unwrap();
        paged.extend(p.hits.iter().map(|h| h.ord));
    }
    assert_eq!(paged, full);
    assert_eq!(s.count(&req("severity:error", 0, 0)).unwrap(), 6);
    let got = s.get(full[3]).unwrap().unwrap();
    assert_eq!(got.ord, full[3]);
    assert!(s.get(999_999).unwrap().is_none());
}

#[test]
fn malformed_queries_are_errors_not_panics() {
    let (s, _d) = service(3);
    for q in [
        "(",
        "a AND",
        "nosuchfield:x",
        "ts:[bad TO worse]",
        "seq:abc",
        "\"unclosed",
        "details.:x",
        ":",
        "[",
        "}{",
    ] {
        let r = s.search(&req(q, 10, 0));
        if let Err(e) = r {
            assert!(!e.to_string().is_empty(), "{q}");
        }
    }
    assert!(s.parse("nosuchfield:x").is_err());
    assert!(s.parse("(").is_err());
}
