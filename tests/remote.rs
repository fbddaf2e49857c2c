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
        attested: serde_json::Value::Null,
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
    // The local index reads the statuses from its status column and matches wildcards and
    // prefixes against their names: the remote one must give the same answers.
    "integrity:ver*",
    "integrity:*ed",
    "integrity:\"veri\"*",
    "integrity:mod* OR severity:error",
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

/// A push process with its own cache (as two users on two machines would run it).
fn push_process(home: &Path, input: &Path, to: &str) -> std::process::Child {
    std::process::Command::new(env!("CARGO_BIN_EXE_auditlens"))
        .env("XDG_CACHE_HOME", home.join("cache"))
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_DATA_HOME", home.join("data"))
        .env("NO_COLOR", "1")
        .args([
            "push",
            input.to_str().unwrap(),
            "--to",
            to,
            "--batch",
            "500",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap()
}

#[test]
fn concurrent_pushes_to_one_index_get_disjoint_ordinals() {
    let Some(srv) = server() else { return };
    let homes: Vec<tempfile::TempDir> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
    let sample = common::repo_root().join("sample-data/pristine");
    let other = common::write(
        homes[1].path(),
        "other/e.jsonl",
        common::generic_lines(700).as_bytes(),
    );
    let to = format!("{}/concurrent", srv.base);
    // Two bundles, and the first one twice, all started at once into a new index.
    let inputs = [&sample, &other, &sample];
    let children: Vec<_> = homes
        .iter()
        .zip(inputs)
        .map(|(h, i)| push_process(h.path(), i, &to))
        .collect();
    let outs: Vec<(Option<i32>, String)> = children
        .into_iter()
        .map(|c| {
            let o = c.wait_with_output().unwrap();
            let text = format!(
                "{}{}",
                String::from_utf8_lossy(&o.stdout),
                String::from_utf8_lossy(&o.stderr)
            );
            (o.status.code(), text)
        })
        .collect();
    assert_eq!(outs[1].0, Some(0), "{}", outs[1].1);
    assert!(outs[1].1.contains("pushed 700 of 700"), "{}", outs[1].1);
    // Of the two pushes of the sample, one pushed it; the other found it pushed, or was
    // refused while the first was running (exit 2, saying so): never both.
    let sample_outs = [&outs[0], &outs[2]];
    let pushed = sample_outs
        .iter()
        .filter(|(c, t)| *c == Some(0) && t.contains("pushed 3000 of 3000"))
        .count();
    assert_eq!(pushed, 1, "{outs:?}");
    assert!(
        sample_outs
            .iter()
            .any(|(c, t)| (*c == Some(0) && t.contains("nothing pushed"))
                || (*c == Some(2) && t.contains("by another push now"))),
        "{outs:?}"
    );
    let store = remote::connect(&to).unwrap();
    wait_for(&store, 3700);
    // Every ordinal once, and each bundle's ordinals one contiguous range.
    let hits: Vec<(u64, String)> = auditlens::store::Scan::new(&store, sel("*"), 2000)
        .flat_map(Result::unwrap)
        .map(|h| (h.ord, h.event.origin.format.as_str().to_owned()))
        .collect();
    let ords: std::collections::BTreeSet<u64> = hits.iter().map(|(o, _)| *o).collect();
    assert_eq!(ords.len(), 3700);
    assert_eq!(ords.last(), Some(&3699));
    for format in ["native", "generic"] {
        let mine: Vec<u64> = hits
            .iter()
            .filter(|(_, f)| f == format)
            .map(|(o, _)| *o)
            .collect();
        let (lo, hi) = (mine.iter().min().unwrap(), mine.iter().max().unwrap());
        assert_eq!(hi - lo + 1, mine.len() as u64, "{format}: one range");
    }
    // The lock is released.
    let client = remote::Client::new(&srv.base, Duration::from_secs(10));
    assert!(client.get("indexes/concurrent.lock").unwrap().is_none());
}

#[test]
fn numbers_in_records_are_searched_shown_and_hashed_as_written() {
    let Some(srv) = server() else { return };
    let dir = tempfile::tempdir().unwrap();
    let lines = [
        r#"{"time":"2024-05-01T00:00:00Z","action":"num.int","msg":"big ints","big":123456789012345678901234567890,"u":18446744073709551616,"neg":-9223372036854775809,"exact":9007199254740993}"#,
        r#"{"time":"2024-05-01T00:01:00Z","action":"num.float","msg":"floats","f":1e21,"F":1E+21,"g":0.1,"g2":0.10,"z":-0.0,"x":100e-2,"tiny":5e-324,"huge":1.7976931348623157e308}"#,
        r#"{"time":"2024-05-01T00:02:00Z","action":"num.nested","msg":"nested","details":{"score":0.30000000000000004,"k":[1.0, 2.50, 3e0]},"pair":[7,8]}"#,
        r#"{"time":"2024-05-01T00:03:00Z","action":"num.plain","msg":"plain 42","n":42}"#,
    ];
    let text = lines.join("\n") + "\n";
    let f = common::write(dir.path(), "in/numbers.jsonl", text.as_bytes());
    let (local, remote) = pushed(srv, dir.path(), &[f], "numbers");
    // Shown and hashed: the very bytes of each line, both ways.
    let all = |s: &dyn Store| {
        auditlens::store::Scan::new(s, sel("*"), 10)
            .flat_map(Result::unwrap)
            .collect::<Vec<_>>()
    };
    let (here, there) = (all(&local), all(&remote));
    assert_eq!(here.len(), lines.len());
    for (a, b) in here.iter().zip(&there) {
        assert_eq!(a.ord, b.ord);
        assert_eq!(a.raw.as_bytes(), b.raw.as_bytes());
        assert_eq!(a.raw, lines[a.ord as usize], "the record as in the file");
        assert_eq!(
            auditlens::integrity::sha256(a.raw.as_bytes()).to_hex(),
            auditlens::integrity::sha256(b.raw.as_bytes()).to_hex()
        );
        assert_eq!(a.event, b.event);
    }
    // Searched: each number as written finds its record on both sides.
    for q in [
        "123456789012345678901234567890",
        "18446744073709551616",
        "9223372036854775809",
        "9007199254740993",
        "1e21",
        "1E",
        "0.10",
        "10",
        "100e",
        "324",
        "1.7976931348623157e308",
        "30000000000000004",
        "2.50",
        "3e0",
        "7 AND 8",
        "raw:8",
        "42",
    ] {
        let s = sel(q);
        assert!(local.count(&s).unwrap() > 0, "{q} matches locally");
        assert_parity(&local, &remote, &s);
    }
}

/// `report --format json` of `args`, with the exit code; `generated_at` is left out (the
/// time each report was made).
fn report_of(home: &Path, args: &[&str]) -> (Option<i32>, serde_json::Value) {
    let o = common::auditlens(home)
        .arg("report")
        .args(args)
        .args(["--format", "json"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&o.stdout);
    let mut v: serde_json::Value = serde_json::from_str(&text).unwrap_or_else(|e| {
        panic!("{e}: {text} {}", String::from_utf8_lossy(&o.stderr));
    });
    v.as_object_mut().unwrap().remove("generated_at").unwrap();
    (o.status.code(), v)
}

#[test]
fn a_report_over_the_remote_index_is_the_local_report() {
    let Some(srv) = server() else { return };
    let home = tempfile::tempdir().unwrap();
    // A tampered copy: the integrity section has findings with evidence to cite.
    let bundle = common::repo_root().join("sample-data/tampered/modified-record.tar.gz");
    let trust = common::repo_root().join("sample-data/trust.json");
    let (bundle, trust) = (bundle.to_str().unwrap(), trust.to_str().unwrap());
    let to = format!("{}/report-parity", srv.base);
    let o = common::auditlens(home.path())
        .args(["push", bundle, "--to", &to, "--trust", trust])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    wait_for(&remote::connect(&to).unwrap(), 3000);
    for standard in ["eu-ai-act", "iso42001", "soc2", "gdpr", "nist-ai-rmf"] {
        let (lcode, local) = report_of(
            home.path(),
            &[bundle, "--standard", standard, "--trust", trust],
        );
        // No --trust: the statuses were verified by the pushing side.
        let (rcode, mut remote) =
            report_of(home.path(), &["--remote", &to, "--standard", standard]);
        assert_eq!(lcode, rcode, "{standard}");
        // The one field that differs: where the input's events were read from.
        let input = remote["inputs"][0].as_object_mut().unwrap();
        assert_eq!(input.remove("remote").unwrap(), to.as_str());
        assert_eq!(local, remote, "{standard}");
        assert_eq!(local["integrity"]["verdict"], "tampered");
        let cited = local["integrity"]["findings"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|f| f["evidence"].as_array().unwrap())
            .filter(|e| e["record_sha256"].is_string())
            .count();
        assert!(cited > 0, "{standard}: {}", local["integrity"]);
    }
    // Text output names the index.
    let o = common::auditlens(home.path())
        .args(["report", "--remote", &to, "--standard", "gdpr"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains(&format!("(pushed to {to})")), "{text}");
}

/// One explorer in its own tmux server (`-L`), driven by keys and read by `capture-pane`.
struct Explorer {
    socket: String,
}

impl Explorer {
    fn tmux(&self, args: &[&str]) -> String {
        let out = std::process::Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Starts `auditlens ARGS` at 120x40 with its own cache; `done` gets its exit code.
    fn start(name: &str, home: &Path, args: &str) -> Explorer {
        let e = Explorer {
            socket: format!("auditlens-remote-{name}-{}", std::process::id()),
        };
        e.tmux(&["kill-server"]);
        let cmd = format!(
            "XDG_CACHE_HOME={h}/cache XDG_CONFIG_HOME={h}/config XDG_DATA_HOME={h}/data NO_COLOR=1 {bin} {args}; echo $? > {h}/done; sleep 30",
            h = home.display(),
            bin = env!("CARGO_BIN_EXE_auditlens"),
        );
        e.tmux(&[
            "new-session",
            "-d",
            "-s",
            "x",
            "-x",
            "120",
            "-y",
            "40",
            &cmd,
        ]);
        e
    }

    fn keys(&self, keys: &[&str]) {
        for k in keys {
            self.tmux(&["send-keys", "-t", "x", k]);
            if *k == "Escape" {
                // Else the next key arrives with it as one Alt chord.
                std::thread::sleep(Duration::from_millis(300));
            }
        }
    }

    fn type_text(&self, text: &str) {
        self.tmux(&["send-keys", "-t", "x", "-l", text]);
    }

    /// The screen, its status line's first field (the input's name: a path, or the
    /// index) masked.
    fn screen(&self) -> String {
        let text = self.tmux(&["capture-pane", "-p", "-t", "x"]);
        let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
        if let Some(last) = lines.iter_mut().rev().find(|l| l.contains(" │ "))
            && let Some((_, rest)) = last.split_once(" │ ")
        {
            *last = format!("<input> │ {rest}");
        }
        lines.join("\n")
    }
}

impl Drop for Explorer {
    fn drop(&mut self) {
        self.tmux(&["kill-server"]);
    }
}

/// Waits (up to 30 s: a loaded CI machine draws slowly; this bounds a hang) until both
/// screens show `needle` and are the same, and returns the screen.
fn same_screens(local: &Explorer, remote: &Explorer, needle: &str) -> String {
    let started = Instant::now();
    loop {
        let (a, b) = (local.screen(), remote.screen());
        if a.contains(needle) && a == b {
            return a;
        }
        if started.elapsed() > Duration::from_secs(30) {
            assert!(
                a.contains(needle),
                "`{needle}` never appeared locally:\n{a}"
            );
            assert_eq!(a, b, "local (left) and remote (right) screens differ");
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Both explorers, sent the same keys.
fn both(local: &Explorer, remote: &Explorer, f: impl Fn(&Explorer)) {
    f(local);
    f(remote);
}

/// A pane's text as words (wrapping and borders removed).
fn words(screen: &str) -> String {
    screen
        .split(|c: char| c.is_whitespace() || "│┃┌┐└┘┏┓┗┛─━".contains(c))
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn the_explorer_on_the_remote_index_shows_what_it_shows_on_the_local_one() {
    if std::process::Command::new("tmux")
        .arg("-V")
        .output()
        .is_err()
    {
        crate::common::skip_note("tmux is not installed");
        return;
    }
    let Some(srv) = server() else { return };
    let home = tempfile::tempdir().unwrap();
    // A tampered copy, so that the statuses differ from record to record.
    let bundle = "sample-data/tampered/modified-record.tar.gz";
    let trust = "sample-data/trust.json";
    let to = format!("{}/explorer", srv.base);
    // Relative paths, as a user types them: the pushed records name the same files.
    let o = common::auditlens(home.path())
        .current_dir(common::repo_root())
        .args(["push", bundle, "--to", &to, "--trust", trust])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    wait_for(&remote::connect(&to).unwrap(), 3000);
    let (lh, rh) = (home.path().join("local"), home.path().join("remote"));
    let local = Explorer::start("local", &lh, &format!("--trust {trust} {bundle}"));
    let remote = Explorer::start("remote", &rh, &format!("--remote {to}"));
    // Results, timeline and the newest event's detail.
    let first = same_screens(&local, &remote, "of 3000 events");
    assert!(
        first.contains("Timeline") && first.contains("Original record"),
        "{first}"
    );
    // The one record whose status is not verified, its mark and its detail.
    both(&local, &remote, |e| {
        e.keys(&["/"]);
        e.type_text("NOT integrity:verified");
        e.keys(&["Enter"]);
    });
    let bad = same_screens(&local, &remote, "1 of 3000 events");
    assert!(bad.contains("MODIFIED"), "{bad}");
    // The Integrity pane: the statuses counted the same (the local pane adds the verify
    // report of the files, which the remote side cites from the push instead).
    both(&local, &remote, |e| e.keys(&["Tab", "Tab", "Tab"]));
    let started = Instant::now();
    let (mut l, mut r) = (String::new(), String::new());
    while started.elapsed() < Duration::from_secs(60) {
        (l, r) = (words(&local.screen()), words(&remote.screen()));
        if l.contains("1 MODIFIED, 2999 VERIFIED")
            && r.contains("verified 2999 record(s)")
            && r.contains("modified 1 record(s)")
        {
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(l.contains("1 MODIFIED, 2999 VERIFIED"), "{l}");
    assert!(
        r.contains("verified 2999 record(s)") && r.contains("modified 1 record(s)"),
        "{r}"
    );
    // Lineage of a model from its deployments.
    both(&local, &remote, |e| {
        e.keys(&["Escape", "/", "C-u"]);
        e.type_text("action:model.deploy AND model.id:fraud-detector");
        e.keys(&["Enter"]);
    });
    same_screens(&local, &remote, "8 of 3000 events");
    both(&local, &remote, |e| e.keys(&["L"]));
    let lineage = same_screens(&local, &remote, "lineage: 3 model(s)");
    assert!(lineage.contains("fraud-detector-production"), "{lineage}");
    // Both quit cleanly.
    both(&local, &remote, |e| e.keys(&["q"]));
    for (h, e) in [(&lh, &local), (&rh, &remote)] {
        let done = h.join("done");
        let started = Instant::now();
        while !done.exists() && started.elapsed() < Duration::from_secs(60) {
            std::thread::sleep(Duration::from_millis(100));
        }
        assert_eq!(
            std::fs::read_to_string(&done).unwrap_or_default().trim(),
            "0",
            "exit code in {}, after {:?}; the screen:\n{}",
            h.display(),
            started.elapsed(),
            e.screen()
        );
    }
}
