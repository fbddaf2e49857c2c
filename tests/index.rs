//! The index layer: ordering, paging, counts and lenient query errors on an in-RAM index.

use auditlens::index::{
    BareIndex, CommitPolicy, IndexError, SearchRequest, SearchService, SortOrder,
};
use auditlens::ingest::{IngestOptions, ingest};

use crate::common::{generic_lines, small_index, write};

fn service(n: usize) -> (SearchService, tempfile::TempDir) {
    let (mem, dir) = small_index(n);
    (mem.service().unwrap(), dir)
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

/// Found by the `query` fuzz target: a NUL inside a `details.` path made tantivy panic
/// ("JSON value bytes should be empty"); control characters are now a query error that
/// points at them, and the pointer shows them escaped.
#[test]
fn a_nul_or_control_character_in_a_query_is_a_query_error_not_a_panic() {
    let (s, _d) = service(3);
    for (q, at) in [
        ("details.a\0b:1", 9),
        ("a\0b", 1),
        (" \u{1}", 1),
        ("actor.id:x\u{1b}[2J", 10),
    ] {
        let e = match s.search(&req(q, 10, 0)) {
            Err(IndexError::Query(e)) => e,
            other => panic!("{q:?}: expected a query error, got {other:?}"),
        };
        assert!(
            e.message.contains("control character"),
            "{q:?}: {}",
            e.message
        );
        assert_eq!(e.span, Some((at, 1)), "{q:?}");
        let pointer = e.pointer(q).unwrap();
        assert!(
            !pointer.chars().any(|c| c.is_control() && c != '\n'),
            "{pointer:?}"
        );
        let (shown, caret) = pointer.split_once('\n').unwrap();
        assert_eq!(
            shown.find('\\'),
            caret.find('^'),
            "the caret is under the escape"
        );
    }
    // Tabs and newlines are whitespace, not refused.
    assert!(s.parse("a\tb\nc").is_ok());
}

/// Found by the `query` fuzz target: `resourace.id:*` and `resource.id....:*` passed the
/// parser and failed while searching ("index error: The field does not exist", "... is not a
/// fast field"), errors that are not query errors.
#[test]
fn an_existence_query_on_an_unknown_field_is_a_query_error() {
    let (s, _d) = service(3);
    for q in [
        "resourace.id:*",
        "a OR -(b AND nosuch:*)",
        "x^2 AND (nosuch:*)^3",
        // A path inside a field that is not a JSON object ("is not a fast field").
        "resource.id..............:* N",
        "resource.id.x:*",
    ] {
        let e = match s.search(&req(q, 10, 0)) {
            Err(IndexError::Query(e)) => e,
            other => panic!("{q:?}: expected a query error, got {other:?}"),
        };
        assert!(
            e.message.starts_with("unknown field `"),
            "{q:?}: {}",
            e.message
        );
    }
    let e = s.parse("resourace.id:*").err().unwrap();
    assert_eq!(e.span, Some((0, "resourace.id".len())));
    assert!(s.parse("resource.id:*").is_ok());
    assert!(s.parse("details.anything:*").is_ok());
}

#[test]
fn a_set_on_a_field_that_is_not_indexed_is_a_query_error() {
    // Found by the `query` fuzz target: `ord.: IN [2 1]` (a spelling of `ord` that the
    // ordinal sets do not take) failed while searching with a schema error.
    let (s, _d) = service(3);
    for q in ["ord.: IN [2 1]", "seq.: IN [1]", "a AND (line.: IN [3 4])"] {
        let e = match s.search(&req(q, 10, 0)) {
            Err(IndexError::Query(e)) => e,
            other => panic!("{q:?}: expected a query error, got {other:?}"),
        };
        assert!(e.message.contains("not"), "{q:?}: {}", e.message);
    }
    assert!(s.search(&req("ord: IN [0 1]", 10, 0)).is_ok());
}

#[test]
fn exact_numbers_and_ordinal_sets_are_answered_from_the_columns() {
    // `ts`, `seq`, `line` and `ord` are columns only; exact terms, sets and negations on
    // them must still work, in an index of several segments (the ordinal scan is per
    // segment).
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "e.jsonl", generic_lines(40).as_bytes());
    let mem = BareIndex::new();
    let policy = CommitPolicy {
        every_docs: 7,
        every: std::time::Duration::MAX,
    };
    let mut indexer = mem.indexer(15_000_000, 1, policy).unwrap();
    ingest(&[f], IngestOptions::default(), &mut indexer, |_| {});
    indexer.finish().unwrap();
    let s = mem.service().unwrap();
    let count = |q: &str| s.count(&req(q, 0, 0)).unwrap();
    let ords = |q: &str| {
        let mut o: Vec<u64> = s
            .search(&req(q, 100, 0))
            .unwrap()
            .hits
            .iter()
            .map(|h| h.ord)
            .collect();
        o.sort_unstable();
        o
    };
    assert_eq!(count("*"), 40);
    assert_eq!(count("line:5"), 1);
    assert_eq!(count("line: IN [1 2 3]"), 3);
    assert_eq!(count("NOT line:5"), 39);
    assert_eq!(count("line:[1 TO 10}"), 9);
    // Line 5 holds event 4 (00:04); its exact time finds it.
    assert_eq!(ords("line:5"), [4]);
    assert_eq!(ords("ts:\"2024-01-01T00:04:00Z\""), [4]);
    assert_eq!(count("ts:\"2024-01-01T00:04:00.001Z\""), 0);
    // The evidence queries of the alerts.
    assert_eq!(ords("ord:3 OR ord:17 OR ord:39"), [3, 17, 39]);
    assert_eq!(ords("ord: IN [0 39 1000]"), [0, 39]);
    assert_eq!(count("NOT (ord:3 OR ord:4)"), 38);
    assert_eq!(ords("(ord:3 OR ord:4) AND line:4"), [3]);
    assert_eq!(ords("ord:3 AND ord:4"), Vec::<u64>::new());
    assert_eq!(count("ord:[10 TO 19]"), 10);
    assert_eq!(ords("ord:7 OR severity:error"), [0, 7, 10, 20, 30]);
    assert!(s.get(39).unwrap().is_some());
    assert!(s.parse("ord:x").is_err());
}

#[test]
fn bare_words_match_record_values_not_field_names() {
    let (s, _d) = service(40);
    let count = |q: &str| s.count(&req(q, 0, 0)).unwrap();
    // Every record has the fields `user`, `level` and `details`: no word of theirs matches.
    assert_eq!(count("user"), 0);
    assert_eq!(count("level OR details"), 0);
    assert_eq!(count("raw:user"), 0);
    // Values do, in the record and (for the message) in the message field.
    assert_eq!(count("user1"), 13);
    assert_eq!(count("raw:user1"), 13);
    assert_eq!(count("\"call number 7\""), 1);
    assert_eq!(count("raw:\"api call\""), 40);
    // A phrase matches inside one value, never across two neighbouring values
    // (`"level":"info","msg":"call number 1"`).
    assert_eq!(count("raw:\"info call\""), 0);
    assert_eq!(count("raw:\"user1 api\""), 0);
}

#[test]
fn field_existence_works_with_or_without_a_column() {
    // 40 events with a user, plus two without (`tie`, `no time at all`).
    let (s, _d) = service(40);
    let count = |q: &str| s.count(&req(q, 0, 0)).unwrap();
    // Keyword fields without a column, and the text fields: from the inverted index.
    assert_eq!(count("actor.id:*"), 40);
    assert_eq!(count("NOT actor.id:*"), 2);
    assert_eq!(count("actor.id:* AND severity:error"), 4);
    assert_eq!(count("message:*"), 42);
    assert_eq!(count("run_id:*"), 0);
    // Fields with a column (severity, details, ts): from the column.
    assert_eq!(count("severity:*"), 42);
    assert_eq!(count("details.n:*"), 40);
    assert_eq!(count("ts:*"), 41);
}

#[test]
fn keyset_scan_pages_of_the_store_concatenate_to_the_oldest_first_list() {
    // The store seam pages deep reads by keyset (time, ordinal): across ties and events
    // without a time, the pages must give every match once, in order, with its record.
    use auditlens::store::{Scan, Selection};
    let (s, _d) = service(40);
    let mut all = req("*", 100, 0);
    all.order = SortOrder::OldestFirst;
    let expected = s.search(&all).unwrap().hits;
    assert_eq!(expected.len(), 42);
    let store = auditlens::index::LocalStore::new(s, None);
    for size in [1, 7, 42, 100] {
        let pages: Vec<_> = Scan::new(&store, Selection::default(), size)
            .collect::<Result<_, _>>()
            .unwrap();
        assert!(pages.iter().all(|p: &Vec<_>| p.len() <= size));
        let got: Vec<_> = pages.into_iter().flatten().collect();
        assert_eq!(got, expected, "page size {size}");
    }
}

#[test]
fn pages_in_time_order_hold_over_segments_of_unordered_times() {
    // Times out of order, ties, and events without a time, over several segments: a page
    // (newest or oldest first, any offset) equals the sorted list of the matches by (time,
    // ordinal), whatever segments the pruned search skips. Once shuffled (120 events over 50
    // minutes), once in time order with ties across segment ends (where segments are skipped).
    pages_in_time_order(|i| (i * 37 + 11) % 50);
    pages_in_time_order(|i| i / 3);
}

fn pages_in_time_order(minute: fn(u64) -> u64) {
    let dir = tempfile::tempdir().unwrap();
    let n = 120u64;
    let lines: String = (0..n)
        .map(|i| {
            let level = if i % 4 == 0 { "error" } else { "info" };
            if i % 17 == 5 {
                format!("{{\"level\":\"{level}\",\"msg\":\"timeless {i}\"}}\n")
            } else {
                let m = minute(i);
                format!(
                    "{{\"time\":\"2024-01-01T{:02}:{:02}:00Z\",\"level\":\"{level}\",\"msg\":\"m {i}\"}}\n",
                    m / 60,
                    m % 60
                )
            }
        })
        .collect();
    let f = write(dir.path(), "e.jsonl", lines.as_bytes());
    let mem = BareIndex::new();
    let policy = CommitPolicy {
        every_docs: 7,
        every: std::time::Duration::MAX,
    };
    let mut indexer = mem.indexer(15_000_000, 1, policy).unwrap();
    ingest(&[f], IngestOptions::default(), &mut indexer, |_| {});
    indexer.finish().unwrap();
    let s = mem.service().unwrap();
    assert!(s.segments() > 1, "{} segments", s.segments());
    // The expected order, from the input alone (the ordinal is the line's index).
    let key = |i: u64| {
        let ts = if i % 17 == 5 {
            i64::MIN
        } else {
            minute(i) as i64
        };
        (ts, i)
    };
    for (query, matches) in [
        ("*", (0..n).collect::<Vec<_>>()),
        ("severity:error", (0..n).filter(|i| i % 4 == 0).collect()),
    ] {
        for order in [SortOrder::NewestFirst, SortOrder::OldestFirst] {
            let mut expected = matches.clone();
            expected.sort_by_key(|&i| key(i));
            if order == SortOrder::NewestFirst {
                expected.reverse();
            }
            for (limit, offset) in [
                (1, 0),
                (5, 0),
                (5, 3),
                (13, 20),
                (100, 0),
                (1000, 0),
                (7, 115),
            ] {
                let page = s
                    .search(&SearchRequest {
                        order,
                        ..req(query, limit, offset)
                    })
                    .unwrap();
                assert_eq!(page.total, matches.len() as u64, "{query}");
                let got: Vec<u64> = page.hits.iter().map(|h| h.ord).collect();
                let want: Vec<u64> = expected.iter().copied().skip(offset).take(limit).collect();
                assert_eq!(got, want, "{query} {order:?} limit {limit} offset {offset}");
            }
        }
    }
}
