//! The explorer's integrity, lineage and alerts panes, computed from the shipped sample.

use auditlens::app::reports::{alerts_report, integrity_report, lineage_report};
use auditlens::index::{BuildOptions, SearchRequest, open_or_build};
use auditlens::integrity::TrustStore;
use auditlens::model::Severity;
use auditlens::store::{Filter, Jump};

use crate::common::repo_root;

fn trust() -> TrustStore {
    TrustStore::read(&repo_root().join("sample-data/trust.json")).unwrap()
}

/// The integrity pane of `tgz` (the modified-record sample) has a MODIFIED row whose jump
/// query finds exactly that record in an index of the archive.
fn modified_row_jumps_to_its_record(tgz: &std::path::Path) {
    let tgz = tgz.to_path_buf();
    let report = integrity_report(std::slice::from_ref(&tgz), Some(&trust()));
    assert_eq!(report.heading, "integrity: tampered");
    let modified = report
        .rows
        .iter()
        .find(|r| r.text.contains("MODIFIED ") && r.text.contains("seq 936"))
        .expect("a MODIFIED row");
    assert_eq!(modified.level, Severity::Error);
    let jump = modified.jump.clone().unwrap();
    // The jump query finds exactly that record in an index of the tarball.
    let home = tempfile::tempdir().unwrap();
    let mut opts = BuildOptions {
        index_dir: Some(home.path().to_path_buf()),
        ..BuildOptions::default()
    };
    opts.ingest.status =
        auditlens::integrity::status_lookup_with(std::slice::from_ref(&tgz), Some(trust()));
    let opened = open_or_build(
        std::slice::from_ref(&tgz),
        &mut opts,
        &mut |_| {},
        &mut |_| {},
    )
    .unwrap();
    let s = opened.service().unwrap();
    let page = s
        .search(&SearchRequest {
            filter: Some(jump.filter.clone()),
            limit: 10,
            ..SearchRequest::default()
        })
        .unwrap();
    assert_eq!(page.total, 1, "{jump:?}");
    assert_eq!(page.hits[0].event.origin.seq, Some(936));
    assert_eq!(page.hits[0].event.integrity.as_deref(), Some("modified"));
}

#[test]
fn integrity_pane_rows_locate_the_tampering_and_jump_to_it() {
    modified_row_jumps_to_its_record(
        &repo_root().join("sample-data/tampered/modified-record.tar.gz"),
    );
    // The same bundle archived under a top folder (`bundle/manifest.json`, ...): ingest
    // names its members `archive!bundle/streams/...`, and the jump must too.
    let dir = tempfile::tempdir().unwrap();
    let nested = dir.path().join("nested.tar.gz");
    let src = std::fs::File::open(repo_root().join("sample-data/tampered/modified-record.tar.gz"))
        .unwrap();
    let mut input = tar::Archive::new(flate2::read::GzDecoder::new(src));
    let out = flate2::write::GzEncoder::new(
        std::fs::File::create(&nested).unwrap(),
        flate2::Compression::fast(),
    );
    let mut output = tar::Builder::new(out);
    for entry in input.entries().unwrap() {
        let mut entry = entry.unwrap();
        let path = std::path::Path::new("bundle").join(entry.path().unwrap());
        let mut header = entry.header().clone();
        output.append_data(&mut header, path, &mut entry).unwrap();
    }
    output.into_inner().unwrap().finish().unwrap();
    modified_row_jumps_to_its_record(&nested);
    // Without a trust store nothing is verified, and the pane says what to do.
    let pristine = repo_root().join("sample-data/pristine");
    let untrusted = integrity_report(std::slice::from_ref(&pristine), None);
    assert_eq!(untrusted.heading, "integrity: unverified");
    assert!(untrusted.rows.iter().any(|r| r.text.contains("--trust")));
    // A plain file has no seal.
    let plain = integrity_report(&[repo_root().join("Cargo.toml")], None);
    assert!(plain.rows[0].text.contains("no seal"));
    // A folder of exports: each bundle in it, and the heading tallies their verdicts.
    let exports = dir.path().join("exports");
    std::fs::create_dir(&exports).unwrap();
    for name in ["modified-record", "swapped-records"] {
        let from = repo_root().join(format!("sample-data/tampered/{name}.tar.gz"));
        std::fs::copy(from, exports.join(format!("{name}.tar.gz"))).unwrap();
    }
    let folder = integrity_report(std::slice::from_ref(&exports), Some(&trust()));
    assert_eq!(folder.heading, "integrity: 2 bundles: 2 tampered");
    for name in ["modified-record", "swapped-records"] {
        assert!(
            folder
                .rows
                .iter()
                .any(|r| r.text.starts_with("TAMPERED ") && r.text.contains(name)),
            "{name}: {:?}",
            folder.rows
        );
    }
}

#[test]
fn alerts_and_lineage_panes_show_the_sample_story() {
    let pristine = repo_root().join("sample-data/pristine");
    let home = tempfile::tempdir().unwrap();
    let mut opts = BuildOptions {
        index_dir: Some(home.path().to_path_buf()),
        ..BuildOptions::default()
    };
    opts.observers
        .push(Box::new(auditlens::session::LineageObserver::default()));
    let opened = open_or_build(
        std::slice::from_ref(&pristine),
        &mut opts,
        &mut |_| {},
        &mut |_| {},
    )
    .unwrap();
    let alerts = alerts_report(&opened.store().unwrap(), None);
    assert_eq!(alerts.heading, "alerts: 6 (Enter shows the evidence)");
    // Most severe first; each alert row jumps to its evidence events.
    let first = &alerts.rows[0];
    assert!(first.text.starts_with("[error]"), "{}", first.text);
    let s = opened.service().unwrap();
    let burst = alerts
        .rows
        .iter()
        .find(|r| r.text.contains("failed logins"))
        .unwrap();
    let n = s
        .count(&SearchRequest {
            filter: Some(burst.jump.clone().unwrap().filter),
            ..SearchRequest::default()
        })
        .unwrap();
    assert_eq!(n, 14);
    // The explorer's timeline markers and `e` / `E`: one mark per alert, and one query that
    // selects exactly the evidence (14 failed logins + 4 single-event alerts + 40 failed predictions).
    let verification =
        auditlens::integrity::Verification::new(std::slice::from_ref(&pristine), None);
    let all =
        auditlens::app::reports::compute(&verification, &opened.store().unwrap(), &opened.dir);
    assert_eq!(all.alert_marks.len(), 6);
    let evidence = s
        .count(&SearchRequest {
            filter: Some(Filter::Ords(all.alert_evidence.clone())),
            ..SearchRequest::default()
        })
        .unwrap();
    assert_eq!(evidence, 58);
    let lineage = lineage_report(&opened.dir);
    assert!(
        !lineage.rows.iter().any(|r| r.text.contains("alerts:")),
        "before the alerts are computed the pane lists none"
    );
    assert_eq!(
        lineage.heading,
        "lineage: 3 model(s) (Enter shows a version's events)"
    );
    let v4: Vec<Jump> = lineage
        .rows
        .iter()
        .filter(|r| r.text.trim_start().starts_with("version 4"))
        .map(|r| r.jump.clone().unwrap())
        .collect();
    let want = |id: &str| Filter::Model {
        id: id.into(),
        version: Some("4".into()),
    };
    assert_eq!(
        v4.iter().map(|j| j.filter.clone()).collect::<Vec<_>>(),
        [want("churn-predictor"), want("fraud-detector")]
    );
    assert_eq!(v4[1].label, "events of model fraud-detector version 4");
    assert!(
        lineage
            .rows
            .iter()
            .any(|r| r.text.contains("s3://acme-raw/transactions"))
    );
}

#[test]
fn the_lineage_pane_lists_the_alerts_citing_each_version() {
    let pristine = repo_root().join("sample-data/pristine");
    let home = tempfile::tempdir().unwrap();
    let mut opts = BuildOptions {
        index_dir: Some(home.path().to_path_buf()),
        ..BuildOptions::default()
    };
    opts.observers
        .push(Box::new(auditlens::session::LineageObserver::default()));
    let opened = open_or_build(
        std::slice::from_ref(&pristine),
        &mut opts,
        &mut |_| {},
        &mut |_| {},
    )
    .unwrap();
    let s = opened.service().unwrap();
    let verification =
        auditlens::integrity::Verification::new(std::slice::from_ref(&pristine), None);
    let all =
        auditlens::app::reports::compute(&verification, &opened.store().unwrap(), &opened.dir);
    // Regression: the lineage pane never showed which alerts cite a version. Once the alerts
    // are computed it does, and the alert's rows jump to its evidence events of that version.
    let cited = all.lineage.as_ref().unwrap();
    let at = cited
        .rows
        .iter()
        .position(|r| r.text.contains("prod-deploy-unapproved#1"))
        .unwrap_or_else(|| panic!("{:#?}", cited.rows));
    let (alert, evidence_row) = (&cited.rows[at], &cited.rows[at + 1]);
    assert!(
        alert.text.contains("[error]")
            && alert
                .text
                .contains("Production deployment without approval"),
        "{}",
        alert.text
    );
    assert!(
        evidence_row
            .text
            .contains("evidence: 1 event(s) of this version")
            && evidence_row.text.contains("registry.jsonl:"),
        "{}",
        evidence_row.text
    );
    let jump = alert.jump.clone().unwrap();
    assert_eq!(evidence_row.jump.as_ref(), Some(&jump));
    assert_eq!(
        jump.label,
        "evidence of alert prod-deploy-unapproved#1 for model fraud-detector version 4"
    );
    let Filter::Ords(ords) = &jump.filter else {
        panic!("{jump:?}")
    };
    assert_eq!(ords.len(), 1);
    let of_v4 = Filter::Model {
        id: "fraud-detector".into(),
        version: Some("4".into()),
    };
    let n = s
        .count(&SearchRequest {
            filter: Some(jump.filter.clone().and(of_v4)),
            ..SearchRequest::default()
        })
        .unwrap();
    assert_eq!(n, 1, "the evidence event is one of version 4's");
    // Every cited alert is listed under its version: the three that name a model version.
    let alert_rows: Vec<&str> = cited
        .rows
        .iter()
        .filter(|r| r.text.contains("#1: "))
        .map(|r| r.text.trim())
        .collect();
    assert_eq!(alert_rows.len(), 3, "{alert_rows:#?}");
}

#[test]
fn a_fresh_open_of_a_sealed_bundle_verifies_it_once() {
    // Regression: the explorer verified a sealed bundle for the index statuses, then again
    // for the Integrity pane. The session shares one verification between the two.
    let pristine = repo_root().join("sample-data/pristine");
    let home = tempfile::tempdir().unwrap();
    let load = super::common::load_args(
        home.path().join("idx"),
        Some(repo_root().join("sample-data/trust.json")),
    );
    let session =
        auditlens::session::Session::new(auditlens::settings::Settings::from_args(&load).unwrap());
    let fresh = session
        .open(std::slice::from_ref(&pristine), &mut |_| {}, &mut |_| {})
        .unwrap();
    assert!(!fresh.reused());
    assert_eq!(fresh.integrity().runs(), 1, "the build verified the bundle");
    let reports =
        auditlens::app::reports::compute(fresh.integrity(), &fresh.store().unwrap(), fresh.dir());
    assert_eq!(
        fresh.integrity().runs(),
        1,
        "the pane reused that verification"
    );
    assert_eq!(reports.integrity.unwrap().heading, "integrity: verified");
    // A cached open verifies nothing until the pane asks, then once.
    let cached = session
        .open(std::slice::from_ref(&pristine), &mut |_| {}, &mut |_| {})
        .unwrap();
    assert!(cached.reused());
    assert_eq!(cached.integrity().runs(), 0);
    auditlens::app::reports::compute(cached.integrity(), &cached.store().unwrap(), cached.dir());
    assert_eq!(cached.integrity().runs(), 1);
}
