//! The store contract: what every `Store` (the local index today, a remote one tomorrow)
//! must answer alike. `contract` checks one store against answers it derives from the
//! store's own pages and counts, so a remote implementation can run it over the same data.

use auditlens::index::LocalStore;
use auditlens::store::{PageRequest, Scan, Selection, SortOrder, Store, StoreError};

use crate::common::small_index;

fn sel(query: &str) -> Selection {
    Selection {
        query: query.into(),
        ..Selection::default()
    }
}

fn all_newest_first(store: &dyn Store, s: &Selection) -> Vec<(i64, u64)> {
    let total = usize::try_from(store.count(s).unwrap()).unwrap();
    let req = PageRequest {
        offset: 0,
        limit: total.max(1),
        order: SortOrder::NewestFirst,
    };
    store
        .page(s, &req)
        .unwrap()
        .hits
        .iter()
        .map(|h| (h.event.ts.map_or(i64::MIN, |t| t.timestamp_millis()), h.ord))
        .collect()
}

/// Checks facets, time spans, positions and keyset scans of `store` against its own counts
/// and pages. `field` is a keyword field with several values in the data.
pub fn contract(store: &dyn Store, field: &str) {
    for q in ["*", "severity:error", "call"] {
        let s = sel(q);
        let total = store.count(&s).unwrap();
        // Facets: each value's count is the count of the query narrowed to that value.
        let f = store.terms(&s, field, 3).unwrap();
        assert_eq!(f.matches, total, "{q}");
        assert!(f.values.len() <= 3);
        assert!(f.values.windows(2).all(|w| w[0].1 >= w[1].1), "{q}: sorted");
        for (value, n) in &f.values {
            let narrowed = sel(&format!("({q}) AND {field}:\"{value}\""));
            assert_eq!(store.count(&narrowed).unwrap(), *n, "{q}: {field}={value}");
        }
        let valued: u64 = f.values.iter().map(|(_, n)| n).sum::<u64>() + f.others;
        let missing = store
            .count(&sel(&format!("({q}) AND NOT {field}:*")))
            .unwrap();
        assert_eq!(f.missing, missing, "{q}: missing");
        assert_eq!(valued + missing, total, "{q}: single-valued field adds up");
        // Time span: the newest and oldest timed matches.
        let list = all_newest_first(store, &s);
        let timed: Vec<i64> = list
            .iter()
            .map(|k| k.0)
            .filter(|t| *t != i64::MIN)
            .collect();
        let span = store.time_span(&s).unwrap();
        assert_eq!(
            span,
            timed.last().copied().zip(timed.first().copied()),
            "{q}"
        );
        // Positions: every match is found where the newest-first list has it.
        for (i, (ts, ord)) in list.iter().enumerate() {
            assert_eq!(store.position(&s, *ts, *ord).unwrap(), i as u64, "{q}");
        }
        // A keyset scan returns every match once, oldest first.
        let mut scanned = Vec::new();
        for page in Scan::new(store, s.clone(), 7) {
            scanned.extend(page.unwrap().into_iter().map(|h| h.ord));
        }
        let mut expected: Vec<u64> = list.iter().rev().map(|k| k.1).collect();
        // Untimed events sort first in a scan, last in the newest-first list reversed.
        let untimed: Vec<u64> = list
            .iter()
            .filter(|k| k.0 == i64::MIN)
            .map(|k| k.1)
            .collect();
        expected.retain(|o| !untimed.contains(o));
        let mut untimed_first: Vec<u64> = untimed.into_iter().rev().collect();
        untimed_first.extend(expected);
        assert_eq!(scanned, untimed_first, "{q}: scan order");
    }
    // A field that is not a keyword field is refused, not answered wrongly.
    match store.terms(&sel("*"), "message", 3) {
        Err(StoreError::Query(e)) => assert!(e.message.contains("keyword"), "{}", e.message),
        other => panic!("facets on a text field: {other:?}"),
    }
}

fn local(n: usize) -> (LocalStore, tempfile::TempDir) {
    let (mem, dir) = small_index(n);
    (mem.store().unwrap(), dir)
}

#[test]
fn the_local_index_keeps_the_store_contract() {
    let (store, _dir) = local(95);
    contract(&store, "actor.id");
}

#[test]
fn facets_count_every_value_of_the_matches() {
    let (store, _dir) = local(30);
    let f = store.terms(&sel("*"), "actor.id", 10).unwrap();
    // users user0..user2, ten events each; the two extra events have no actor.
    assert_eq!(
        f.values,
        vec![
            ("user0".to_owned(), 10),
            ("user1".to_owned(), 10),
            ("user2".to_owned(), 10)
        ]
    );
    assert_eq!((f.matches, f.distinct, f.others, f.missing), (32, 3, 0, 2));
    let top = store.terms(&sel("severity:error"), "actor.id", 1).unwrap();
    // Errors are events 0, 10, 20: users 0, 1 and 2 once each; the tie goes by value.
    assert_eq!(top.values, vec![("user0".to_owned(), 1)]);
    assert_eq!((top.matches, top.distinct, top.others), (3, 3, 2));
}
