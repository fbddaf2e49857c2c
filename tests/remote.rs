//! Quickwit as the remote backend, against the real server in `../shared/tools/quickwit`
//! (skipped, visibly, when it is absent). One server per test binary: it starts in about
//! 5 s, on free loopback ports with a throw-away data folder, and a watchdog stops it and
//! removes the folder when this process ends, however it ends.

#![allow(clippy::unwrap_used, clippy::format_collect)]

#[allow(dead_code)]
mod common;
#[path = "support/quickwit.rs"]
mod quickwit;

use quickwit::{Server, free_port};

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use auditlens::index::LocalStore;
use auditlens::remote::{self, PushOptions, RemoteStore, Target};
use auditlens::session::Session;
use auditlens::store::{PageRequest, Selection, SortOrder, Store};

/// The shared server, or `None` (after saying so) when the binary is absent.
fn server() -> Option<&'static Server> {
    static SERVER: OnceLock<Option<Server>> = OnceLock::new();
    SERVER
        .get_or_init(|| common::shared_path("tools/quickwit").map(|b| Server::start(&b)))
        .as_ref()
}

fn session(dir: &Path) -> Session {
    let load = auditlens::cli::LoadArgs {
        index_dir: Some(dir.join("idx")),
        reindex: false,
        verify_cache: false,
        max_line_bytes: 1 << 20,
        max_document_bytes: 1 << 30,
        writer_mb: 50,
        trust: Some(common::repo_root().join("sample-data/trust.json")),
        unmask: false,
        role: None,
        no_trail: true,
        threads: None,
    };
    Session::new(auditlens::settings::Settings::from_args(&load).unwrap())
}

fn options() -> PushOptions {
    PushOptions {
        retention: None,
        mask: None,
        batch: 1000,
        max_batches: None,
        inputs: Vec::new(),
    }
}

/// Pushes `paths` into `index` and returns the local and the remote store.
fn pushed(srv: &Server, dir: &Path, paths: &[PathBuf], index: &str) -> (LocalStore, RemoteStore) {
    let opened = session(dir).open(paths, &mut |_| {}, &mut |_| {}).unwrap();
    let local = opened.store().unwrap();
    let target = Target::parse(&srv.base, Some(index)).unwrap();
    let client = remote::Client::new(&target.base, Duration::from_secs(30));
    let report = remote::push(
        &client,
        &target,
        &local,
        opened.digest(),
        &options(),
        &mut |_| {},
    )
    .unwrap();
    assert!(report.complete && report.rejected == 0, "{report:?}");
    let store = RemoteStore::open(target, Duration::from_secs(30)).unwrap();
    wait_for(&store, local.len());
    (local, store)
}

/// Waits until the server shows `n` events (it commits within a few seconds).
fn wait_for(store: &RemoteStore, n: u64) {
    let started = Instant::now();
    while store.len() < n && started.elapsed() < Duration::from_secs(30) {
        std::thread::sleep(Duration::from_millis(300));
    }
    assert_eq!(store.len(), n);
}

fn sel(query: &str) -> Selection {
    Selection {
        query: query.to_owned(),
        ..Selection::default()
    }
}

/// Same count, same top 100 both ways, same histogram, local and remote.
fn assert_parity(local: &dyn Store, remote: &dyn Store, s: &Selection) -> u64 {
    let count = local.count(s).unwrap();
    assert_eq!(remote.count(s).unwrap(), count, "count of {s:?}");
    for order in [SortOrder::NewestFirst, SortOrder::OldestFirst] {
        let req = PageRequest {
            offset: 0,
            limit: 100,
            order,
        };
        let (a, b) = (local.page(s, &req).unwrap(), remote.page(s, &req).unwrap());
        assert_eq!(a.total, b.total, "{s:?}");
        let key = |p: &auditlens::store::Page| {
            p.hits
                .iter()
                .map(|h| (h.ord, h.raw.clone(), h.event.integrity.clone()))
                .collect::<Vec<_>>()
        };
        assert_eq!(key(&a), key(&b), "top 100 {order:?} of {s:?}");
        assert_eq!(
            a.hits.first().map(|h| &h.event),
            b.hits.first().map(|h| &h.event),
            "{s:?}"
        );
    }
    assert_eq!(
        local.histogram(s, None, 60).unwrap(),
        remote.histogram(s, None, 60).unwrap(),
        "histogram of {s:?}"
    );
    count
}

const SAMPLE_QUERIES: &[&str] = &[
    "*",
    "severity:error",
    "severity:warning OR severity:error",
    "NOT outcome:success",
    "outcome:denied",
    "category:deployment",
    "category:training AND outcome:failure",
    "actor.type:service",
    "actor.id:*",
    "model.id:*",
    "resource.tags:pii",
    "raw:denied",
    "deploy",
    "model deploy",
    "\"model version\"",
    "message:approved",
    "details.score:[0.5 TO 1]",
    "details.score:>0.9",
    "seq:[10 TO 20]",
    "seq:42",
    "line:{1 TO 5]",
    "ord:[100 TO 199]",
    "ord: IN [1 5 9 2999]",
    "ts:[2024-01-01T00:00:00Z TO 2030-01-01T00:00:00Z]",
    "stream:*",
    "environment:production -severity:info",
    "run_id:* AND NOT category:training",
    "inputs.id:*",
    "actor.roles:*",
    "action:model.deploy OR action:model.approve",
    "format:native",
    "integrity:verified",
    "ts_quality:exact",
    "(deploy OR rollback) AND -environment:dev",
];

#[test]
fn parity_over_the_sample_bundle() {
    let Some(srv) = server() else { return };
    let dir = tempfile::tempdir().unwrap();
    let sample = common::repo_root().join("sample-data/pristine");
    let (local, remote) = pushed(srv, dir.path(), &[sample], "parity-sample");
    let mut nonzero = 0;
    for q in SAMPLE_QUERIES {
        if assert_parity(&local, &remote, &sel(q)) > 0 {
            nonzero += 1;
        }
    }
    assert!(nonzero >= 25, "only {nonzero} queries matched anything");
    // What the local index refuses, the remote one refuses too.
    for q in ["actor.id:/svc.*/", "nosuch:x", "hash:abc", "message:(a"] {
        assert!(
            local.count(&sel(q)).is_err() && remote.count(&sel(q)).is_err(),
            "{q}"
        );
    }
    assert!(local.count(&sel("integrity:verified")).unwrap() > 0);
    // Time windows (inclusive from, exclusive to), alone and with a query.
    let h = local.histogram(&sel("*"), None, 10).unwrap();
    let t = |ms: i64| chrono::DateTime::from_timestamp_millis(ms).unwrap();
    let mid = h.start_ms + (h.end_ms() - h.start_ms) / 2;
    for (q, from, to) in [
        ("*", Some(t(mid)), None),
        ("*", None, Some(t(mid))),
        ("severity:warning", Some(t(h.start_ms)), Some(t(mid))),
    ] {
        let s = Selection {
            query: q.to_owned(),
            from,
            to,
            filter: None,
        };
        let n = assert_parity(&local, &remote, &s);
        assert!(n > 0 || q != "*", "{s:?}");
    }
    // The timeline over a given view, and keyset scans page by page.
    let view = Some((h.start_ms, mid));
    assert_eq!(
        local.histogram(&sel("*"), view, 30).unwrap(),
        remote.histogram(&sel("*"), view, 30).unwrap()
    );
    let scan = |s: &dyn Store| {
        auditlens::store::Scan::new(s, sel("NOT severity:info"), 7)
            .flat_map(Result::unwrap)
            .map(|h| h.ord)
            .collect::<Vec<_>>()
    };
    assert_eq!(scan(&local), scan(&remote));
    assert_eq!(local.fetch(1234).unwrap(), remote.fetch(1234).unwrap());
    assert_eq!(remote.fetch(99_999).unwrap(), None);
    // Facets: each top value's count is the local count of that value.
    let terms = remote.top_values(&sel("*"), "category", 20).unwrap();
    assert!(terms.len() > 3);
    for (value, n) in terms {
        assert_eq!(local.count(&sel(&format!("category:{value}"))).unwrap(), n);
    }
    // The rank of a record in a sorted selection.
    let top = local
        .page(
            &sel("deploy"),
            &PageRequest {
                offset: 0,
                limit: 10,
                order: SortOrder::NewestFirst,
            },
        )
        .unwrap();
    for (i, h) in top.hits.iter().enumerate() {
        assert_eq!(
            remote
                .rank(&sel("deploy"), SortOrder::NewestFirst, h.ord)
                .unwrap(),
            Some(i as u64)
        );
    }
}

#[test]
fn parity_over_a_real_export_mix() {
    let Some(srv) = server() else { return };
    let Some(real) = common::shared_path("realdata") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let paths: Vec<PathBuf> = [
        "panther",
        "kubernetes-audit",
        "gcp-audit",
        "openlineage",
        "azure",
    ]
    .iter()
    .map(|p| real.join(p))
    .collect();
    let (local, remote) = pushed(srv, dir.path(), &paths, "parity-real");
    let mut nonzero = 0;
    for q in [
        "*",
        "format:cloudtrail",
        "format:kubernetes",
        "severity:error",
        "NOT outcome:success",
        "outcome:denied OR outcome:failure",
        "actor.id:*",
        "actor.ip:*",
        "sagemaker",
        "bedrock OR sagemaker",
        "raw:AccessDenied",
        "\"access denied\"",
        "resource.type:*",
        "run_id:*",
        "parent_run_id:*",
        "outputs.id:* AND inputs.id:*",
        "ts_quality:missing",
        "category:access -severity:info",
        "ts:[2020-01-01T00:00:00Z TO *]",
        "details.eventVersion:*",
    ] {
        if assert_parity(&local, &remote, &sel(q)) > 0 {
            nonzero += 1;
        }
    }
    assert!(nonzero >= 14, "only {nonzero} queries matched anything");
}

#[test]
fn pushing_twice_is_a_no_op_and_the_trail_names_the_destination() {
    let Some(srv) = server() else { return };
    let home = tempfile::tempdir().unwrap();
    let sample = common::repo_root().join("sample-data/pristine");
    let to = format!("{}/twice", srv.base);
    // Not 180d: the sample's events are from early 2026, and Quickwit's retention would
    // (rightly) delete events older than six months while the test runs.
    let first = common::auditlens(home.path())
        .args([
            "push",
            sample.to_str().unwrap(),
            "--to",
            &to,
            "--retention",
            "3y",
        ])
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&first.stdout);
    assert!(
        first.status.success(),
        "{out} {}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert!(out.contains("pushed 3000 of 3000 events"), "{out}");
    let second = common::auditlens(home.path())
        .args(["push", sample.to_str().unwrap(), "--to", &to])
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&second.stdout);
    assert!(second.status.success());
    assert!(
        out.contains("already in") && out.contains("nothing pushed"),
        "{out}"
    );
    let store = remote::connect(&to).unwrap();
    wait_for(&store, 3000);
    // The CLI against the remote index, and the access trail of both looks.
    let count = common::auditlens(home.path())
        .args(["search", "--remote", &to, "severity:error", "--count"])
        .output()
        .unwrap();
    let local = common::auditlens(home.path())
        .args([
            "search",
            sample.to_str().unwrap(),
            "severity:error",
            "--count",
        ])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&count.stdout),
        String::from_utf8_lossy(&local.stdout)
    );
    let trail = common::auditlens(home.path())
        .args(["access-log", "--json"])
        .output()
        .unwrap();
    let trail = String::from_utf8_lossy(&trail.stdout);
    assert!(
        trail.contains("access.push") && trail.contains(&format!("quickwit {to}")),
        "{trail}"
    );
    assert!(
        trail.contains(&srv.base) && trail.contains("\"twice\""),
        "{trail}"
    );
}

#[test]
fn an_interrupted_push_resumes_without_duplicates() {
    let Some(srv) = server() else { return };
    let home = tempfile::tempdir().unwrap();
    let sample = common::repo_root().join("sample-data/pristine");
    let to = format!("{}/resumed", srv.base);
    let push = |extra: &[&str]| {
        let mut cmd = common::auditlens(home.path());
        cmd.args([
            "push",
            sample.to_str().unwrap(),
            "--to",
            &to,
            "--batch",
            "400",
        ]);
        cmd.args(extra);
        let o = cmd.output().unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    let out = push(&["--max-batches", "2"]);
    assert!(
        out.contains("pushed 800 of 3000") && out.contains("stopped"),
        "{out}"
    );
    let out = push(&[]);
    assert!(
        out.contains("resumed an interrupted push at event 800"),
        "{out}"
    );
    assert!(out.contains("pushed 2200 of 3000"), "{out}");
    let store = remote::connect(&to).unwrap();
    wait_for(&store, 3000);
    // No ordinal twice: 3000 distinct ordinals 0..3000.
    let ords: std::collections::BTreeSet<u64> = auditlens::store::Scan::new(&store, sel("*"), 1000)
        .flat_map(Result::unwrap)
        .map(|h| h.ord)
        .collect();
    assert_eq!(ords.len(), 3000);
    assert_eq!(ords.last(), Some(&2999));
}

#[test]
fn rejected_documents_are_counted_with_their_reason() {
    let Some(srv) = server() else { return };
    let home = tempfile::tempdir().unwrap();
    let f = common::write(
        home.path(),
        "e.jsonl",
        b"{\"time\":\"2024-01-01T00:00:00Z\",\"action\":\"a.b\",\"msg\":\"has a message\"}\n\
          {\"time\":\"2024-01-01T00:00:01Z\",\"action\":\"a.c\"}\n",
    );
    // An index someone made with `message` as a number: a document with a message is refused.
    let mut config = remote::index_config("rejects", None);
    for m in config["doc_mapping"]["field_mappings"]
        .as_array_mut()
        .unwrap()
    {
        if m["name"] == "message" {
            *m = serde_json::json!({"name": "message", "type": "u64"});
        }
    }
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let r = agent
        .post(format!("{}/api/v1/indexes", srv.base))
        .header("content-type", "application/json")
        .send(config.to_string())
        .unwrap();
    assert_eq!(r.status(), 200);
    let o = common::auditlens(home.path())
        .args([
            "push",
            f.to_str().unwrap(),
            "--to",
            &format!("{}/rejects", srv.base),
        ])
        .output()
        .unwrap();
    let (out, err) = (
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr),
    );
    assert_eq!(o.status.code(), Some(1), "{out} {err}");
    assert!(
        out.contains("pushed 1 of 2 events") && out.contains("(1 rejected)"),
        "{out}"
    );
    assert!(
        err.contains("rejected documents, by reason") && err.contains("message"),
        "{err}"
    );
}

#[test]
fn a_server_that_is_down_gives_a_clear_error_naming_the_url() {
    let home = tempfile::tempdir().unwrap();
    let url = format!("http://127.0.0.1:{}/events", free_port());
    let o = common::auditlens(home.path())
        .args(["search", "--remote", &url, "*"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        err.contains(&url) && err.contains("did not answer"),
        "{err}"
    );
    assert!(err.contains("is the server running?"), "{err}");
}

#[test]
fn a_missing_index_and_a_refused_query_say_so() {
    let Some(srv) = server() else { return };
    let e = remote::connect(&format!("{}/no-such-index", srv.base)).unwrap_err();
    assert!(e.to_string().contains("no index \"no-such-index\""), "{e}");
    let dir = tempfile::tempdir().unwrap();
    let (_, store) = pushed(
        srv,
        dir.path(),
        &[common::repo_root().join("sample-data/pristine")],
        "refusals",
    );
    let e = store.count(&sel("nosuch:x")).unwrap_err();
    assert!(e.to_string().contains("unknown field `nosuch`"), "{e}");
}

#[test]
fn facets_spans_positions_filters_and_alerts_agree_with_the_local_index() {
    use auditlens::store::Filter;
    let Some(srv) = server() else { return };
    let dir = tempfile::tempdir().unwrap();
    let sample = common::repo_root().join("sample-data/pristine");
    let (local, remote) = pushed(srv, dir.path(), &[sample], "contract-sample");
    for q in ["*", "severity:error", "deploy"] {
        let s = sel(q);
        for field in ["action", "actor.id", "model.version", "integrity"] {
            assert_eq!(
                local.terms(&s, field, 5).unwrap(),
                remote.terms(&s, field, 5).unwrap(),
                "facets of {field} in {q}"
            );
        }
        assert_eq!(local.time_span(&s).unwrap(), remote.time_span(&s).unwrap());
        let first = local
            .page(
                &s,
                &PageRequest {
                    offset: 0,
                    limit: 5,
                    order: SortOrder::NewestFirst,
                },
            )
            .unwrap();
        for h in &first.hits {
            let ts = h.event.ts.map_or(i64::MIN, |t| t.timestamp_millis());
            assert_eq!(
                local.position(&s, ts, h.ord).unwrap(),
                remote.position(&s, ts, h.ord).unwrap()
            );
        }
    }
    // Typed report filters mean the same on both sides.
    for filter in [
        Filter::Ords(vec![3, 500, 2999]),
        Filter::Ords(vec![]),
        Filter::Model {
            id: "fraud-detector".into(),
            version: Some("4".into()),
        },
        Filter::Run("run-fraud-detector-4".into()),
        Filter::Resource("customers-pii".into()),
        Filter::Model {
            id: "no \"such\" model".into(),
            version: None,
        }
        .and(Filter::Ords(vec![1])),
    ] {
        let s = Selection {
            filter: Some(filter.clone()),
            ..sel("*")
        };
        assert_parity(&local, &remote, &s);
    }
    // The lineage graph built from either store is the same graph.
    let here = auditlens::session::graph_from_store(&local).unwrap();
    let there = auditlens::session::graph_from_store(&remote).unwrap();
    assert_eq!(here.models().len(), 3);
    assert_eq!(
        serde_json::to_value(here.models()).unwrap(),
        serde_json::to_value(there.models()).unwrap()
    );
    assert_eq!(
        here.model_tree("fraud-detector")
            .map(|t| auditlens::lineage::model_text(&t)),
        there
            .model_tree("fraud-detector")
            .map(|t| auditlens::lineage::model_text(&t))
    );
    // The alerts of the default rules, from the remote store, are the local ones.
    let rules = auditlens::alerts::RuleSet::defaults().unwrap();
    let here = auditlens::session::alerts::evaluate(&local, &rules).unwrap();
    let there = auditlens::session::alerts::evaluate(&remote, &rules).unwrap();
    assert!(!here.alerts.is_empty());
    assert_eq!(
        serde_json::to_value(&here.alerts).unwrap(),
        serde_json::to_value(&there.alerts).unwrap()
    );
}
