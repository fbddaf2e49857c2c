//! The status column answers everything about integrity: `integrity:` terms in any boolean
//! composition, the counts of `terms(.., "integrity", ..)`, each hit's status; a cached
//! reopen reads the same statuses, and a damaged or cut status file makes the cached index
//! be rebuilt, never read wrong.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::{BuildOptions, OpenedIndex, open_or_build};
use crate::integrity::{Verification, status_lookup};
use crate::store::{Selection, Store as _};

fn sample(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("sample-data")
        .join(rel)
}

/// Builds (or reopens) the index of `inputs` in the cache `home` with the ordinary
/// statuses; returns it and the notes the build gave.
fn open(home: &Path, inputs: &[PathBuf]) -> (OpenedIndex, Vec<String>) {
    let v = Arc::new(Verification::new(
        inputs,
        Some(crate::sample::demo_trust_store()),
    ));
    let mut opts = BuildOptions {
        index_dir: Some(home.to_path_buf()),
        threads: 2,
        ..BuildOptions::default()
    };
    opts.ingest.status = status_lookup(&v);
    let mut notes = Vec::new();
    let opened = open_or_build(inputs, &mut opts, &mut |_| {}, &mut |n| notes.push(n)).unwrap();
    (opened, notes)
}

/// Every match of `query`: ordinal -> status.
fn matches(store: &super::LocalStore, query: &str) -> BTreeMap<u64, Option<String>> {
    let sel = Selection {
        query: query.to_owned(),
        ..Selection::default()
    };
    let mut out = BTreeMap::new();
    let mut after = None;
    loop {
        let page = store.scan_page(&sel, after, 700).unwrap();
        for h in page.hits {
            out.insert(h.ord, h.event.integrity.clone());
        }
        match page.next {
            Some(c) => after = Some(c),
            None => break,
        }
    }
    assert_eq!(out.len() as u64, store.count(&sel).unwrap(), "{query}");
    out
}

fn ords(m: &BTreeMap<u64, Option<String>>) -> BTreeSet<u64> {
    m.keys().copied().collect()
}

/// Pristine, two tampered bundles and a plain file (records without any status).
fn mixed_inputs(dir: &Path) -> Vec<PathBuf> {
    let plain = dir.join("plain.jsonl");
    let mut text = String::new();
    for i in 0..40 {
        writeln!(
            text,
            "{{\"ts\":\"2026-01-01T00:00:{i:02}Z\",\"level\":\"error\",\"actor\":\"u{i}\",\"action\":\"model.deploy\"}}"
        )
        .unwrap();
    }
    std::fs::write(&plain, text).unwrap();
    vec![
        sample("pristine"),
        sample("tampered/modified-record.tar.gz"),
        sample("tampered/swapped-records.tar.gz"),
        plain,
    ]
}

#[test]
fn integrity_terms_in_any_composition_match_the_statuses_of_the_hits() {
    let dir = tempfile::tempdir().unwrap();
    let (opened, _) = open(&dir.path().join("cache"), &mixed_inputs(dir.path()));
    let store = opened.store().unwrap();
    let all = matches(&store, "*");
    let with = |pred: &dyn Fn(Option<&str>) -> bool| -> BTreeSet<u64> {
        all.iter()
            .filter(|(_, s)| pred(s.as_deref()))
            .map(|(o, _)| *o)
            .collect()
    };
    // The inputs give every kind: verified, tampered, and no status.
    let verified = with(&|s| s == Some("verified"));
    let none = with(&|s| s.is_none());
    let tampered = with(&|s| s.is_some_and(|s| s != "verified"));
    assert!(!verified.is_empty() && !none.is_empty() && !tampered.is_empty());
    assert_eq!(none.len(), 40);

    // Each hit's status equals the status its own term selects.
    for (_, label) in super::statuses::labels() {
        let m = matches(&store, &format!("integrity:{label}"));
        assert_eq!(ords(&m), with(&|s| s == Some(label)), "{label}");
        assert!(m.values().all(|s| s.as_deref() == Some(label)));
    }
    let error = ords(&matches(&store, "severity:error"));
    let deploy = ords(&matches(&store, "action:model.deploy"));
    let cases: Vec<(&str, BTreeSet<u64>)> = vec![
        ("integrity:*", with(&|s| s.is_some())),
        ("NOT integrity:*", none.clone()),
        ("NOT integrity:verified", with(&|s| s != Some("verified"))),
        (
            "integrity: IN [modified replaced reordered]",
            with(&|s| matches!(s, Some("modified" | "replaced" | "reordered"))),
        ),
        ("integrity:mod*", with(&|s| s == Some("modified"))),
        ("integrity:\"mod\"*", with(&|s| s == Some("modified"))),
        (
            "integrity:*ed",
            with(&|s| s.is_some_and(|s| s.ends_with("ed"))),
        ),
        (
            "integrity:[m TO s]",
            with(&|s| s.is_some_and(|s| ("m"..="s").contains(&s))),
        ),
        (
            "integrity:verified AND severity:error",
            verified.intersection(&error).copied().collect(),
        ),
        (
            "severity:error AND NOT integrity:verified",
            error.difference(&verified).copied().collect(),
        ),
        (
            "action:model.deploy OR (integrity:* AND NOT integrity:verified)",
            deploy.union(&tampered).copied().collect(),
        ),
        (
            "(integrity:modified OR integrity:reordered) AND NOT severity:error",
            with(&|s| matches!(s, Some("modified" | "reordered")))
                .difference(&error)
                .copied()
                .collect(),
        ),
    ];
    for (query, expected) in cases {
        assert_eq!(ords(&matches(&store, query)), expected, "{query}");
    }

    // Counts by status, for all events and within a query.
    for query in ["*", "severity:error", "NOT integrity:verified"] {
        let sel = Selection {
            query: query.to_owned(),
            ..Selection::default()
        };
        let facets = store.terms(&sel, "integrity", 32).unwrap();
        let m = matches(&store, query);
        let mut expected: BTreeMap<String, u64> = BTreeMap::new();
        for s in m.values().flatten() {
            *expected.entry(s.clone()).or_default() += 1;
        }
        let got: BTreeMap<String, u64> = facets.values.iter().cloned().collect();
        assert_eq!(got, expected, "{query}");
        assert_eq!(facets.matches, m.len() as u64);
        assert_eq!(
            facets.missing,
            m.values().filter(|s| s.is_none()).count() as u64
        );
        assert_eq!(facets.distinct, expected.len() as u64);
        let top1 = store.terms(&sel, "integrity", 1).unwrap();
        assert_eq!(
            top1.others + top1.values.iter().map(|v| v.1).sum::<u64>(),
            m.values().flatten().count() as u64
        );
    }
}

#[test]
fn a_cached_reopen_reads_the_same_statuses_and_a_damaged_status_file_is_rebuilt() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let inputs = [sample("tampered/modified-record.tar.gz")];
    let (first, _) = open(&cache, &inputs);
    assert!(!first.reused);
    let before = matches(&first.store().unwrap(), "*");
    assert!(before.values().any(|s| s.as_deref() == Some("modified")));
    let file = first.dir.join("index").join(super::statuses::FILE);
    assert!(file.exists());
    let good = std::fs::read(&file).unwrap();

    let (again, notes) = open(&cache, &inputs);
    assert!(again.reused, "{notes:?}");
    assert_eq!(matches(&again.store().unwrap(), "*"), before);

    // A flipped status byte (turning `modified` into something else), a cut file, none.
    let modified = before
        .iter()
        .find(|(_, s)| s.as_deref() == Some("modified"))
        .map(|(o, _)| usize::try_from(*o).unwrap())
        .unwrap();
    let mut flipped = good.clone();
    let at = good.len() - before.len() + modified;
    flipped[at] = super::statuses::code(crate::model::RecordStatus::Verified);
    let cut = good[..good.len() - 3].to_vec();
    for (what, bytes) in [
        ("flipped", Some(flipped)),
        ("cut", Some(cut)),
        ("gone", None),
    ] {
        match bytes {
            Some(b) => std::fs::write(&file, b).unwrap(),
            None => std::fs::remove_file(&file).unwrap(),
        }
        let (rebuilt, notes) = open(&cache, &inputs);
        assert!(!rebuilt.reused, "{what}: the damaged statuses were reused");
        assert!(
            notes.iter().any(|n| n.contains("rebuilding")),
            "{what}: {notes:?}"
        );
        assert_eq!(matches(&rebuilt.store().unwrap(), "*"), before, "{what}");
        assert_eq!(std::fs::read(&file).unwrap(), good, "{what}");
    }
}
