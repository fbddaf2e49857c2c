//! A cold build of one sealed tar reads and verifies it once, and gives exactly the
//! statuses of the ordinary path (a verification, then a load with `VerifiedStatuses`).

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::index::{BuildOptions, open_or_build};
use crate::integrity::{Verification, status_lookup};
use crate::store::{Selection, Store as _};

/// Every record of an index: (display path, line, status), sorted.
type Statuses = Vec<(String, u64, Option<String>)>;

/// Builds an index of `input` in a fresh cache, on the one-read path or (with
/// `one_read: false`) forced onto the ordinary one; returns the records' statuses and the
/// session's verification.
fn build(input: &Path, one_read: bool) -> (Statuses, Arc<Verification>) {
    let home = tempfile::tempdir().unwrap();
    let inputs = [input.to_path_buf()];
    let v = Arc::new(Verification::new(
        &inputs,
        Some(crate::sample::demo_trust_store()),
    ));
    let mut opts = BuildOptions {
        index_dir: Some(home.path().to_path_buf()),
        threads: 2,
        ..BuildOptions::default()
    };
    opts.ingest.status = status_lookup(&v);
    opts.observers = vec![Box::new(crate::session::LineageObserver::default())];
    if one_read {
        opts.provisional = crate::integrity::one_read(&v);
        assert!(
            opts.provisional.is_some(),
            "one sealed tar takes the one-read path"
        );
    }
    let opened = open_or_build(&inputs, &mut opts, &mut |_| {}, &mut |_| {}).unwrap();
    assert!(!opened.reused);
    // What the observers derived is saved whichever path was taken.
    assert!(opened.dir.join(crate::lineage::GRAPH_FILE).exists());
    let store = opened.store().unwrap();
    let mut out = Vec::new();
    let mut after = None;
    loop {
        let page = store.scan_page(&Selection::default(), after, 500).unwrap();
        for h in page.hits {
            let o = &h.event.origin;
            out.push((o.path.clone(), o.line, h.event.integrity.clone()));
        }
        match page.next {
            Some(c) => after = Some(c),
            None => break,
        }
    }
    out.sort();
    assert_eq!(out.len() as u64, opened.summary.events);
    (out, v)
}

fn verified(s: &Statuses) -> usize {
    s.iter()
        .filter(|(_, _, st)| st.as_deref() == Some("verified"))
        .count()
}

fn pristine_tgz(dir: &Path, events: u64) -> PathBuf {
    let bundle = dir.join("b");
    crate::sample::write_sample(&bundle, events, 7, false).unwrap();
    let tgz = dir.join("b.tar.gz");
    crate::sample::pack_tar_gz(&bundle, &tgz).unwrap();
    tgz
}

#[test]
fn a_pristine_sealed_tar_gz_is_read_and_verified_once_with_the_ordinary_statuses() {
    let dir = tempfile::tempdir().unwrap();
    let tgz = pristine_tgz(dir.path(), 3000);
    let (one, v) = build(&tgz, true);
    assert_eq!(v.one_read_outcome(), Some(true), "the labels were proven");
    assert_eq!(v.runs(), 1);
    // The verifier never opened the bundle: it read the load's bytes.
    assert_eq!(crate::integrity::source_opens(&tgz), 0);
    // A report asked for later (the Integrity pane, `stats`) is the one made: no new run.
    let report = v.results()[0].result.as_ref().unwrap().as_ref().unwrap();
    assert_eq!(report.verdict.as_str(), "verified");
    assert_eq!(v.runs(), 1);
    assert_eq!(crate::integrity::source_opens(&tgz), 0);
    let (ordinary, w) = build(&tgz, false);
    assert_eq!(w.one_read_outcome(), None);
    assert_eq!(w.runs(), 1);
    assert_eq!(one, ordinary);
    assert_eq!(verified(&one), one.len());
    assert!(one.len() >= 3000);
}

#[test]
fn every_sample_tampering_gives_the_statuses_of_the_ordinary_path() {
    let tampered = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-data/tampered");
    let mut variants: Vec<PathBuf> = std::fs::read_dir(&tampered)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".tar.gz"))
        .collect();
    variants.sort();
    assert!(variants.len() >= 7);
    for p in variants {
        let (one, v) = build(&p, true);
        let (ordinary, _) = build(&p, false);
        assert_eq!(one, ordinary, "{}", p.display());
        assert_eq!(v.runs(), 1, "{}", p.display());
        assert_eq!(
            v.one_read_outcome(),
            Some(false),
            "{}: a tampered bundle is loaded again",
            p.display()
        );
        assert!(verified(&one) < one.len(), "{}", p.display());
    }
}

/// The members of the bundle folder `dir`, sorted by path, as (path, bytes).
fn members(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for e in crate::ingest::input_files(&[dir.to_path_buf()]).unwrap() {
        let rel =
            e.0.strip_prefix(dir)
                .unwrap()
                .to_string_lossy()
                .into_owned();
        out.push((rel, std::fs::read(&e.0).unwrap()));
    }
    out.sort();
    out
}

fn write_tar_gz(path: &Path, members: &[(String, Vec<u8>)]) {
    let gz = flate2::write::GzEncoder::new(
        std::fs::File::create(path).unwrap(),
        flate2::Compression::fast(),
    );
    let mut b = tar::Builder::new(gz);
    for (name, body) in members {
        let mut h = tar::Header::new_ustar();
        h.set_size(body.len() as u64);
        h.set_mode(0o644);
        h.set_entry_type(tar::EntryType::Regular);
        b.append_data(&mut h, name, body.as_slice()).unwrap();
    }
    b.into_inner().unwrap().finish().unwrap().flush().unwrap();
}

#[test]
fn a_record_changed_in_a_tar_gz_copy_of_pristine_gives_the_ordinary_statuses() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("b");
    crate::sample::write_sample(&bundle, 500, 3, false).unwrap();
    let mut m = members(&bundle);
    let (_, body) = m
        .iter_mut()
        .find(|(n, _)| n.starts_with("streams/"))
        .unwrap();
    let text = String::from_utf8(body.clone()).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    lines[10] = lines[10].replacen("\"actor\"", "\"actor\" ", 1);
    *body = (lines.join("\n") + "\n").into_bytes();
    let p = dir.path().join("changed.tar.gz");
    write_tar_gz(&p, &m);
    let (one, v) = build(&p, true);
    let (ordinary, _) = build(&p, false);
    assert_eq!(one, ordinary);
    assert_eq!(v.one_read_outcome(), Some(false));
    assert_eq!(v.runs(), 1);
    assert!(verified(&one) < one.len());
    assert!(one.iter().any(|(_, _, s)| s.as_deref() == Some("modified")));
}

#[test]
fn a_bundle_whose_manifest_is_not_the_first_member_still_gets_the_ordinary_statuses() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("b");
    crate::sample::write_sample(&bundle, 400, 5, false).unwrap();
    let mut m = members(&bundle);
    // Streams first, the manifest and signature last.
    m.sort_by_key(|(n, _)| (n.starts_with("manifest"), n.clone()));
    let p = dir.path().join("late-manifest.tar.gz");
    write_tar_gz(&p, &m);
    // The members before the manifest fit in the verifier's memory: verified from one
    // read (the records read before the verifier met the manifest were labelled without a
    // status, so the build may load again, with the report already made).
    let (one, v) = build(&p, true);
    let (ordinary, _) = build(&p, false);
    assert_eq!(one, ordinary);
    assert_eq!(v.runs(), 1);
    assert!(v.one_read_outcome().is_some());
    assert_eq!(
        crate::integrity::source_opens(&p),
        1,
        "the ordinary build's only"
    );
    assert_eq!(verified(&one), one.len());
    // They do not: the one read is not enough, the build loads again and the bundle is
    // verified from its file, once.
    let q = dir.path().join("late-manifest-big.tar.gz");
    write_tar_gz(&q, &m);
    crate::integrity::set_early_budget(&q, 0);
    let (one, v) = build(&q, true);
    assert_eq!(
        one,
        ordinary
            .iter()
            .map(|(p, l, s)| (
                p.replace("late-manifest", "late-manifest-big"),
                *l,
                s.clone()
            ))
            .collect::<Vec<_>>()
    );
    assert_eq!(v.runs(), 1);
    assert_eq!(v.one_read_outcome(), Some(false));
    assert_eq!(crate::integrity::source_opens(&q), 1);
    assert_eq!(verified(&one), one.len());
}

#[test]
fn an_unsigned_or_untrusted_bundle_is_never_labelled_verified() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("u");
    crate::sample::write_sample(&bundle, 300, 9, true).unwrap();
    let tgz = dir.path().join("u.tar.gz");
    crate::sample::pack_tar_gz(&bundle, &tgz).unwrap();
    let (one, v) = build(&tgz, true);
    let (ordinary, _) = build(&tgz, false);
    assert_eq!(one, ordinary);
    assert_eq!(verified(&one), 0);
    assert_eq!(v.one_read_outcome(), Some(false));
    assert_eq!(v.runs(), 1);
}

#[test]
fn a_tar_gz_that_is_not_a_bundle_is_read_once_and_gets_no_status() {
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("b");
    crate::sample::write_sample(&bundle, 300, 4, false).unwrap();
    let m: Vec<(String, Vec<u8>)> = members(&bundle)
        .into_iter()
        .filter(|(n, _)| n.starts_with("streams/"))
        .collect();
    let p = dir.path().join("plain.tar.gz");
    write_tar_gz(&p, &m);
    let (one, v) = build(&p, true);
    let (ordinary, _) = build(&p, false);
    assert_eq!(one, ordinary);
    assert!(one.iter().all(|(_, _, s)| s.is_none()));
    assert_eq!(v.one_read_outcome(), Some(true), "no status to prove: kept");
    assert_eq!(v.runs(), 1);
}
