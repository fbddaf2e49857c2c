//! Lineage: the graph, per-model trees, impact, and the `lineage` / `impact` commands, on a
//! fixture story that follows the sample data's lineage conventions.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use auditlens::index::filter_query;
use auditlens::ingest::{GenericMapping, decode_record};
use auditlens::lineage::{Graph, GraphBuilder, NodeKey, RunStatus, kind};
use serde_json::{Value, json};

const SRC_TX: &str = "s3://acme-raw/transactions";
const SRC_CU: &str = "s3://acme-raw/customers";

fn r(kind: &str, id: &str, version: Option<&str>) -> Value {
    match version {
        Some(v) => json!({"type": kind, "id": id, "version": v}),
        None => json!({"type": kind, "id": id}),
    }
}

fn key(kind: &str, id: &str, version: Option<&str>) -> NodeKey {
    NodeKey::new(kind, id, version)
}

/// A small story with the sample's conventions: two ingested sources, cleaned datasets, a
/// PII dataset, feature sets, two trained and deployed fraud-detector versions (the second
/// deployed to production without approval), a failed run, predictions, a credit-scorer
/// registered from a run that was never exported and trained on a dataset produced
/// elsewhere, and a cycle between two datasets feeding a `loopy` model.
#[allow(clippy::too_many_lines)]
fn story() -> Vec<Value> {
    let mut ev = Vec::new();
    let mut t = 0u32;
    let mut push = |mut v: Value| {
        t += 1;
        let obj = v.as_object_mut().expect("object");
        obj.insert(
            "ts".into(),
            json!(format!(
                "2026-03-{:02}T{:02}:{:02}:00Z",
                2 + t / 100,
                (t / 60) % 24,
                t % 60
            )),
        );
        obj.entry("outcome").or_insert(json!("success"));
        obj.entry("actor")
            .or_insert(json!({"id": "svc-pipeline", "type": "service"}));
        ev.push(v);
    };
    push(
        json!({"action": "data.ingest", "inputs": [r("source", SRC_CU, None)],
        "outputs": [r("dataset", "customers-pii", Some("1"))],
        "resource": {"type": "dataset", "id": "customers-pii", "tags": ["pii"]}}),
    );
    push(
        json!({"action": "data.transform", "inputs": [r("dataset", "customers-pii", Some("1"))],
        "outputs": [r("dataset", "customers-clean", Some("1"))]}),
    );
    for n in ["1", "2"] {
        push(
            json!({"action": "data.ingest", "inputs": [r("source", SRC_TX, None)],
            "outputs": [r("dataset", "transactions-raw", Some(n))]}),
        );
        push(json!({"action": "data.transform",
            "inputs": [r("dataset", "transactions-raw", Some(n))],
            "outputs": [r("dataset", "transactions-clean", Some(n))]}));
        push(json!({"action": "feature.create",
            "inputs": [r("dataset", "transactions-clean", Some(n)),
                       r("dataset", "customers-clean", Some("1"))],
            "outputs": [r("feature_set", "fraud-features", Some(n))]}));
        let run = format!("run-fraud-detector-{n}");
        push(json!({"action": "model.train.start", "run_id": run,
            "model": {"id": "fraud-detector"},
            "inputs": [r("feature_set", "fraud-features", Some(n))]}));
        push(json!({"action": "model.train.complete", "run_id": run,
            "model": {"id": "fraud-detector", "version": n},
            "inputs": [r("feature_set", "fraud-features", Some(n))],
            "outputs": [r("model_version", "fraud-detector", Some(n))]}));
        push(json!({"action": "model.register", "run_id": run,
            "model": {"id": "fraud-detector", "version": n},
            "inputs": [r("run", &run, None)],
            "outputs": [r("model_version", "fraud-detector", Some(n))]}));
        push(json!({"action": "model.evaluate", "run_id": run,
            "model": {"id": "fraud-detector", "version": n},
            "details": {"metrics": {"auc": 0.9, "precision": 0.8, "recall": 0.7}, "threshold": 0.85}}));
    }
    // Version 1: approved by carol, deployed to staging and production, serves predictions.
    push(
        json!({"action": "model.approve", "actor": {"id": "carol", "type": "user"},
        "model": {"id": "fraud-detector", "version": "1"}}),
    );
    for env in ["staging", "production"] {
        let dep = format!("fraud-detector-{env}");
        push(
            json!({"action": "model.deploy", "actor": {"id": "alice", "type": "user"},
            "environment": env, "model": {"id": "fraud-detector", "version": "1"},
            "outputs": [r("deployment", &dep, None)],
            "resource": {"type": "deployment", "id": dep}}),
        );
    }
    for i in 0..5 {
        push(
            json!({"action": "inference.predict", "actor": {"id": "svc-serving", "type": "service"},
            "environment": "production", "correlation_id": format!("req-{i}"),
            "model": {"id": "fraud-detector", "version": "1"},
            "resource": {"type": "endpoint", "id": "fraud-detector-prod-endpoint"},
            "details": {"prediction": 0.1}}),
        );
    }
    // Version 2: deployed to production by bob with no approval (incident 2).
    push(
        json!({"action": "model.deploy", "actor": {"id": "bob", "type": "user"},
        "environment": "production", "model": {"id": "fraud-detector", "version": "2"},
        "outputs": [r("deployment", "fraud-detector-production", None)],
        "resource": {"type": "deployment", "id": "fraud-detector-production"}}),
    );
    // A failed run: no version produced.
    push(
        json!({"action": "model.train.start", "run_id": "run-fraud-detector-3",
        "model": {"id": "fraud-detector"},
        "inputs": [r("feature_set", "fraud-features", Some("2"))]}),
    );
    push(
        json!({"action": "model.train.fail", "run_id": "run-fraud-detector-3",
        "outcome": "failure", "severity": "error", "message": "out of memory",
        "model": {"id": "fraud-detector"}}),
    );
    // credit-scorer 1: registered from a run never exported (dangling), trained on a
    // dataset produced elsewhere (dangling).
    push(
        json!({"action": "model.register", "run_id": "run-credit-scorer-legacy",
        "model": {"id": "credit-scorer", "version": "1"},
        "inputs": [r("run", "run-credit-scorer-legacy", None),
                   r("dataset", "bureau-scores", Some("7"))],
        "outputs": [r("model_version", "credit-scorer", Some("1"))]}),
    );
    push(
        json!({"action": "model.reject", "actor": {"id": "carol", "type": "user"},
        "model": {"id": "credit-scorer", "version": "1"}}),
    );
    // Bad input: a cycle between two datasets, feeding the loopy model.
    push(
        json!({"action": "data.transform", "inputs": [r("dataset", "loop-a", Some("1"))],
        "outputs": [r("dataset", "loop-b", Some("1"))]}),
    );
    push(
        json!({"action": "data.transform", "inputs": [r("dataset", "loop-b", Some("1"))],
        "outputs": [r("dataset", "loop-a", Some("1"))]}),
    );
    push(
        json!({"action": "model.train.complete", "run_id": "run-loopy-1",
        "model": {"id": "loopy", "version": "1"},
        "inputs": [r("dataset", "loop-b", Some("1"))],
        "outputs": [r("model_version", "loopy", Some("1"))]}),
    );
    // Untrusted text: an escape sequence in a dataset id.
    push(json!({"action": "feature.create",
        "inputs": [r("dataset", "evil\u{1b}[31mred", Some("1"))],
        "outputs": [r("feature_set", "loopy-features", Some("1"))]}));
    push(
        json!({"action": "model.train.complete", "run_id": "run-loopy-2",
        "model": {"id": "loopy", "version": "2"},
        "inputs": [r("feature_set", "loopy-features", Some("1"))],
        "outputs": [r("model_version", "loopy", Some("2"))]}),
    );
    ev
}

fn lines() -> String {
    story()
        .iter()
        .map(|v| serde_json::to_string(v).expect("json") + "\n")
        .collect()
}

fn graph() -> Graph {
    let text = lines();
    let mut b = GraphBuilder::new();
    for (i, l) in text.lines().enumerate() {
        for d in decode_record(
            "story.jsonl",
            i as u64 + 1,
            l.as_bytes(),
            &GenericMapping::shared_builtin(),
        )
        .expect("decodes")
        {
            b.observe(&d.event);
        }
    }
    b.finish()
}

fn keys(v: &[NodeKey]) -> BTreeSet<String> {
    v.iter().map(ToString::to_string).collect()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

#[test]
fn every_version_has_exact_upstream_and_downstream() {
    let g = graph();
    let t = g.model_tree("fraud-detector").expect("known model");
    assert_eq!(
        t.versions
            .iter()
            .map(|v| v.version.as_str())
            .collect::<Vec<_>>(),
        ["1", "2"]
    );
    for v in &t.versions {
        let n = v.version.as_str();
        assert_eq!(
            v.run_id.as_deref(),
            Some(format!("run-fraud-detector-{n}").as_str())
        );
        assert!(v.trained_at.is_some());
        assert_eq!(v.run_status, Some(RunStatus::Completed));
        assert_eq!(
            keys(&v.upstream),
            set(&[
                &format!("run run-fraud-detector-{n}"),
                &format!("feature_set fraud-features@{n}"),
                &format!("dataset transactions-clean@{n}"),
                &format!("dataset transactions-raw@{n}"),
                "dataset customers-clean@1",
                "dataset customers-pii@1",
                &format!("source {SRC_TX}"),
                &format!("source {SRC_CU}"),
            ]),
            "upstream of version {n}"
        );
        assert_eq!(v.evaluations.len(), 1);
        assert_eq!(v.evaluations[0].metrics["auc"], json!(0.9));
        assert_eq!(v.evaluations[0].threshold, Some(json!(0.85)));
    }
    let v1 = &t.versions[0];
    assert!(v1.approved);
    assert_eq!(v1.approvals[0].by.as_deref(), Some("carol"));
    let down: BTreeSet<String> = v1
        .downstream
        .iter()
        .map(|d| format!("{} {}", d.key, d.environment.as_deref().unwrap_or("-")))
        .collect();
    assert_eq!(
        down,
        set(&[
            "deployment fraud-detector-staging staging",
            "deployment fraud-detector-production production",
            "endpoint fraud-detector-prod-endpoint production",
        ])
    );
    assert_eq!(v1.predictions.len(), 1);
    assert_eq!(v1.predictions[0].count, 5);
    assert!(v1.deployments.iter().all(|d| d.approved_before));
    let v2 = &t.versions[1];
    assert!(!v2.approved);
    assert_eq!(v2.deployments.len(), 1);
    assert_eq!(v2.deployments[0].by.as_deref(), Some("bob"));
    assert!(!v2.deployments[0].approved_before);
    assert_eq!(
        keys(
            &v2.downstream
                .iter()
                .map(|d| d.key.clone())
                .collect::<Vec<_>>()
        ),
        set(&["deployment fraud-detector-production"])
    );
    // The upstream tree nests the run's inputs under the run.
    let tree = &v1.upstream_tree;
    assert_eq!(tree[0].key, key(kind::RUN, "run-fraud-detector-1", None));
    assert_eq!(tree[0].depth, 1);
    assert_eq!(
        tree[1].key,
        key(kind::FEATURE_SET, "fraud-features", Some("1"))
    );
    assert_eq!(tree[1].depth, 2);
    assert!(t.cycles.is_empty());
    assert!(t.dangling.is_empty());
}

#[test]
fn failed_run_produces_no_version_and_is_listed() {
    let g = graph();
    let t = g.model_tree("fraud-detector").expect("known model");
    assert_eq!(t.runs_without_version.len(), 1);
    let run = &t.runs_without_version[0];
    assert_eq!(run.id, "run-fraud-detector-3");
    assert_eq!(run.status, RunStatus::Failed);
    assert_eq!(run.failure.as_deref(), Some("out of memory"));
    assert!(run.produced.is_empty());
    // Its inputs are part of the tree's nodes.
    assert!(
        t.nodes
            .iter()
            .any(|n| n.key == key(kind::RUN, "run-fraud-detector-3", None))
    );
    let listed = g.models();
    let fd = listed
        .iter()
        .find(|m| m.id == "fraud-detector")
        .expect("listed");
    assert_eq!(fd.versions, ["1", "2"]);
    assert_eq!(fd.runs_without_version, ["run-fraud-detector-3"]);
}

#[test]
fn dangling_references_are_listed_not_dropped() {
    let g = graph();
    let t = g.model_tree("credit-scorer").expect("known model");
    let v = &t.versions[0];
    assert_eq!(v.run_id.as_deref(), Some("run-credit-scorer-legacy"));
    assert_eq!(v.run_status, Some(RunStatus::Unknown));
    assert_eq!(v.trained_at, None, "only registered: no training time");
    assert!(!v.approved, "rejected");
    assert_eq!(
        keys(&v.upstream),
        set(&["run run-credit-scorer-legacy", "dataset bureau-scores@7"])
    );
    assert_eq!(
        keys(&t.dangling.iter().map(|d| d.key.clone()).collect::<Vec<_>>()),
        set(&["run run-credit-scorer-legacy", "dataset bureau-scores@7"])
    );
    let site = t.dangling[0].first_seen.as_ref().expect("site");
    assert_eq!(site.path, "story.jsonl");
    assert!(site.line > 0);
    // Sources are roots, never dangling; produced datasets are not dangling.
    let all: BTreeSet<String> = g
        .dangling()
        .iter()
        .map(|&i| g.node(i).expect("node").key.to_string())
        .collect();
    assert!(all.contains("run run-credit-scorer-legacy"));
    assert!(!all.iter().any(|k| k.starts_with("source ")));
    assert!(!all.contains("dataset customers-pii@1"));
    assert!(!all.contains("run run-fraud-detector-1"));
}

#[test]
fn cycles_are_reported_and_traversal_ends() {
    let g = graph();
    assert_eq!(g.cycles().len(), 1);
    let t = g.model_tree("loopy").expect("known model");
    assert_eq!(t.cycles.len(), 1);
    assert_eq!(
        keys(&t.cycles[0]),
        set(&["dataset loop-a@1", "dataset loop-b@1"])
    );
    let v1 = &t.versions[0];
    assert_eq!(
        keys(&v1.upstream),
        set(&["run run-loopy-1", "dataset loop-a@1", "dataset loop-b@1"])
    );
    // The impact of a dataset in the cycle ends too, and includes its partner.
    let i = g.impact("loop-a", Some("1")).expect("dataset");
    assert!(
        i.downstream
            .iter()
            .any(|e| e.key == key(kind::DATASET, "loop-b", Some("1")))
    );
    assert!(
        i.downstream
            .iter()
            .any(|e| e.key == key(kind::MODEL_VERSION, "loopy", Some("1")))
    );
    assert_eq!(i.cycles.len(), 1);
}

#[test]
fn a_long_cycle_does_not_hang_or_overflow() {
    let mut b = GraphBuilder::new();
    let n = 50_000;
    for i in 0..n {
        let line = json!({"action": "data.transform", "ts": "2026-03-02T00:00:00Z",
            "inputs": [r("dataset", &format!("d{i}"), None)],
            "outputs": [r("dataset", &format!("d{}", (i + 1) % n), None)]})
        .to_string();
        for d in decode_record(
            "c.jsonl",
            i + 1,
            line.as_bytes(),
            &GenericMapping::shared_builtin(),
        )
        .expect("decodes")
        {
            b.observe(&d.event);
        }
    }
    let g = b.finish();
    assert_eq!(g.cycles().len(), 1);
    assert_eq!(g.cycles()[0].nodes.len(), n as usize);
    let i = g.impact("d0", None).expect("dataset");
    assert_eq!(i.downstream.len(), n as usize - 1);
}

#[test]
fn impact_lists_everything_downstream_of_a_dataset() {
    let g = graph();
    let i = g.impact("customers-pii", None).expect("dataset");
    let got = keys(
        &i.downstream
            .iter()
            .map(|e| e.key.clone())
            .collect::<Vec<_>>(),
    );
    assert_eq!(
        got,
        set(&[
            "dataset customers-clean@1",
            "feature_set fraud-features@1",
            "feature_set fraud-features@2",
            "run run-fraud-detector-1",
            "run run-fraud-detector-2",
            "run run-fraud-detector-3",
            "model_version fraud-detector@1",
            "model_version fraud-detector@2",
            "deployment fraud-detector-staging",
            "deployment fraud-detector-production",
            "endpoint fraud-detector-prod-endpoint",
        ])
    );
    let v2 = i
        .downstream
        .iter()
        .find(|e| e.key == key(kind::MODEL_VERSION, "fraud-detector", Some("2")))
        .expect("v2");
    assert_eq!(v2.approved, Some(false));
    // One version only: transactions-raw@1 reaches version 1, not version 2.
    let one = g.impact("transactions-raw", Some("1")).expect("dataset");
    let got = keys(
        &one.downstream
            .iter()
            .map(|e| e.key.clone())
            .collect::<Vec<_>>(),
    );
    assert!(got.contains("model_version fraud-detector@1"));
    assert!(!got.contains("model_version fraud-detector@2"));
    assert!(g.impact("nope", None).is_none());
}

#[test]
fn events_filter_selects_a_node() {
    let g = graph();
    assert_eq!(
        filter_query(&g.events_filter_for(&key(kind::MODEL_VERSION, "fraud-detector", Some("3")))),
        r#"model.id:"fraud-detector" AND model.version:"3""#
    );
    assert_eq!(
        filter_query(&g.events_filter_for(&key(kind::RUN, "run-\"x\"", None))),
        r#"run_id:"run-\"x\"" OR parent_run_id:"run-\"x\"" OR inputs.id:"run-\"x\"""#
    );
    assert_eq!(
        filter_query(&g.events_filter_for(&key(kind::DATASET, "a\\b", Some("1")))),
        r#"inputs.id:"a\\b" OR outputs.id:"a\\b" OR resource.id:"a\\b""#
    );
}

#[test]
fn graph_survives_a_round_trip_and_rejects_damage() {
    let g = graph();
    let back = Graph::from_bytes(&g.to_bytes()).expect("reads back");
    assert_eq!(back.nodes(), g.nodes());
    assert_eq!(back.edges(), g.edges());
    assert_eq!(
        back.model_tree("fraud-detector"),
        g.model_tree("fraud-detector")
    );
    assert!(Graph::from_bytes(b"{\"format\": 1").is_err());
    assert!(Graph::from_bytes(b"[]").is_err());
}

// ---- commands ----

struct Fixture {
    _tmp: tempfile::TempDir,
    bundle: PathBuf,
    cache: PathBuf,
}

fn fixture() -> Fixture {
    let tmp = tempfile::tempdir().expect("tempdir");
    let bundle = tmp.path().join("story.jsonl");
    std::fs::write(&bundle, lines()).expect("write");
    let cache = tmp.path().join("cache");
    Fixture {
        _tmp: tmp,
        bundle,
        cache,
    }
}

fn cmd(f: &Fixture, args: &[&str]) -> Command {
    let mut c = Command::cargo_bin("auditlens").expect("binary");
    c.arg(args[0])
        .arg(&f.bundle)
        .args(&args[1..])
        .arg("--index-dir")
        .arg(&f.cache)
        .env("NO_COLOR", "1");
    c
}

fn stdout(f: &Fixture, args: &[&str]) -> String {
    let out = cmd(f, args).output().expect("runs");
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

fn cache_graph_files(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .expect("cache")
        .filter_map(Result::ok)
        .map(|e| e.path().join("lineage.json"))
        .filter(|p| p.exists())
        .collect()
}

#[test]
fn lineage_json_has_the_documented_shape() {
    let f = fixture();
    let text = stdout(&f, &["lineage", "--model", "fraud-detector", "--json"]);
    // Keys in the documented order.
    let pos = |k: &str| text.find(&format!("\n  \"{k}\": ")).expect(k);
    assert!(pos("model") < pos("versions"));
    assert!(pos("versions") < pos("nodes") && pos("nodes") < pos("edges"));
    assert!(pos("edges") < pos("dangling"));
    let v: Value = serde_json::from_str(&text).expect("json");
    assert_eq!(v["model"], "fraud-detector");
    for k in ["versions", "nodes", "edges", "dangling"] {
        assert!(v[k].is_array(), "{k}");
    }
    let v1 = &v["versions"][0];
    assert_eq!(v1["version"], "1");
    assert_eq!(v1["run_id"], "run-fraud-detector-1");
    assert!(
        v1["trained_at"]
            .as_str()
            .is_some_and(|s| s.starts_with("2026-03-"))
    );
    assert_eq!(v1["approved"], true);
    assert_eq!(v["versions"][1]["approved"], false);
    let up = v1["upstream"].as_array().expect("upstream");
    assert!(up.contains(&json!({"type": "source", "id": SRC_TX, "version": null})));
    assert!(up.contains(&json!({"type": "dataset", "id": "customers-pii", "version": "1"})));
    let down = v1["downstream"].as_array().expect("downstream");
    assert!(down.contains(
        &json!({"type": "deployment", "id": "fraud-detector-production",
        "version": null, "environment": "production"})
    ));
    let edge = v["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .find(|e| e["action"] == "model.deploy" && e["to"]["id"] == "fraud-detector-staging")
        .expect("deploy edge");
    assert_eq!(
        edge["from"],
        json!({"type": "model_version", "id": "fraud-detector", "version": "1"})
    );
    assert!(edge["ts"].is_string());
    assert!(edge.get("run_id").is_some());
    assert_eq!(v1["predictions"][0]["count"], 5);
    // One registration gives one edge from its run, counted once.
    let reg: Vec<&Value> = v["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .filter(|e| e["action"] == "model.register" && e["to"]["version"] == "1")
        .collect();
    assert_eq!(reg.len(), 1, "{reg:?}");
    assert_eq!(reg[0]["count"], 1);
    assert_eq!(reg[0]["from"]["id"], "run-fraud-detector-1");
    assert_eq!(v["runs_without_version"][0]["id"], "run-fraud-detector-3");
    // The graph was saved beside the index.
    assert_eq!(cache_graph_files(&f.cache).len(), 1);
}

#[test]
fn lineage_version_filter_and_list() {
    let f = fixture();
    let v: Value = serde_json::from_str(&stdout(
        &f,
        &[
            "lineage",
            "--model",
            "fraud-detector",
            "--version",
            "2",
            "--json",
        ],
    ))
    .expect("json");
    assert_eq!(v["versions"].as_array().expect("versions").len(), 1);
    assert_eq!(v["versions"][0]["version"], "2");
    let list = stdout(&f, &["lineage", "--list"]);
    assert!(
        list.contains(
            "fraud-detector: versions 1, 2; runs without a version: run-fraud-detector-3"
        )
    );
    assert!(list.contains("credit-scorer: versions 1"));
    let j: Value =
        serde_json::from_str(&stdout(&f, &["lineage", "--list", "--json"])).expect("json");
    assert_eq!(j["models"][1]["id"], "fraud-detector");
    let out = cmd(
        &f,
        &["lineage", "--model", "fraud-detector", "--version", "9"],
    )
    .output()
    .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("its versions: 1, 2"));
}

#[test]
fn unknown_model_exits_2_listing_known_models() {
    let f = fixture();
    let out = cmd(&f, &["lineage", "--model", "nope"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("unknown model \"nope\""), "{err}");
    assert!(
        err.contains("credit-scorer, fraud-detector, loopy"),
        "{err}"
    );
}

#[test]
fn lineage_text_is_an_indented_tree_with_escaped_text() {
    let f = fixture();
    let text = stdout(&f, &["lineage", "--model", "fraud-detector"]);
    assert!(
        text.starts_with("model fraud-detector: 2 version(s)\n"),
        "{text}"
    );
    assert!(
        text.contains("\n  version 1\n    run: run-fraud-detector-1 (completed), trained 2026-03-")
    );
    assert!(
        text.contains("\n      <- run run-fraud-detector-1  [model.train.complete]\n"),
        "{text}"
    );
    assert!(
        text.contains("\n        <- feature_set fraud-features@1  ["),
        "{text}"
    );
    assert!(text.contains(&format!("<- source {SRC_TX}")));
    assert!(text.contains("-> deployment fraud-detector-production (production)  [model.deploy]"));
    assert!(text.contains("fraud-detector-prod-endpoint (production): 5 ("));
    assert!(text.contains("approved by carol"));
    assert!(text.contains("NOT APPROVED BEFORE"));
    assert!(text.contains("run run-fraud-detector-3 (failed)"));
    let loopy = stdout(&f, &["lineage", "--model", "loopy"]);
    assert!(!loopy.contains('\u{1b}'), "raw escape in output");
    assert!(loopy.contains("evil\\x1b[31mred"));
    assert!(loopy.contains("CYCLES"));
    let credit = stdout(&f, &["lineage", "--model", "credit-scorer"]);
    assert!(
        credit.contains("dangling references (not in the export):\n    dataset bureau-scores@7  first referenced at "),
        "{credit}"
    );
    assert!(credit.contains("\n    run run-credit-scorer-legacy  first referenced at "));
    assert!(credit.contains("run: run-credit-scorer-legacy (unknown), trained unknown time\n"));
}

#[test]
fn lineage_dot_is_graphviz_with_escaped_labels() {
    let f = fixture();
    let dot = stdout(&f, &["lineage", "--model", "loopy", "--dot"]);
    assert!(dot.starts_with("digraph lineage {\n"));
    assert!(dot.trim_end().ends_with('}'));
    assert!(!dot.contains('\u{1b}'));
    assert!(dot.contains("evil\\\\x1b[31mred"), "{dot}");
    assert!(dot.contains("color=red"));
    assert!(dot.contains("-> n"));
    let fd = stdout(&f, &["lineage", "--model", "credit-scorer", "--dot"]);
    assert!(fd.contains("style=dashed"));
    // Every edge names declared nodes.
    let declared: BTreeSet<&str> = fd
        .lines()
        .filter(|l| l.contains("[label=") && !l.contains("->"))
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    for l in fd.lines().filter(|l| l.contains(" -> ")) {
        let mut parts = l.split_whitespace();
        let a = parts.next().expect("from");
        parts.next();
        let b = parts.next().expect("to");
        assert!(declared.contains(a) && declared.contains(b), "{l}");
    }
}

#[test]
fn impact_command_text_json_and_unknown() {
    let f = fixture();
    let text = stdout(&f, &["impact", "--dataset", "transactions-raw@2"]);
    assert!(text.starts_with("dataset transactions-raw@2:"), "{text}");
    assert!(
        text.contains("  model versions (1):\n    model_version fraud-detector@2  NOT approved")
    );
    assert!(text.contains("deployment fraud-detector-production (production)"));
    let j: Value = serde_json::from_str(&stdout(
        &f,
        &["impact", "--dataset", "customers-pii", "--json"],
    ))
    .expect("json");
    assert_eq!(j["dataset"], "customers-pii");
    let down = j["downstream"].as_array().expect("downstream");
    assert!(
        down.iter()
            .any(|e| e["type"] == "deployment" && e["environment"] == "staging")
    );
    let out = cmd(&f, &["impact", "--dataset", "nope"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("known datasets: bureau-scores (7)"));
}

#[test]
fn cached_index_reuses_the_saved_graph_and_rebuilds_a_missing_one() {
    let f = fixture();
    let first = stdout(&f, &["lineage", "--model", "fraud-detector", "--json"]);
    let files = cache_graph_files(&f.cache);
    assert_eq!(files.len(), 1);
    // A second run reuses the cache (no note) and reads the saved graph.
    let out = cmd(&f, &["lineage", "--model", "fraud-detector", "--json"])
        .output()
        .expect("runs");
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout), first);
    assert!(!String::from_utf8_lossy(&out.stderr).contains("building the lineage graph"));
    // A cache without the graph (built before lineage existed) gets it rebuilt and saved.
    std::fs::remove_file(&files[0]).expect("remove");
    let out = cmd(&f, &["lineage", "--model", "fraud-detector", "--json"])
        .output()
        .expect("runs");
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout), first);
    assert!(String::from_utf8_lossy(&out.stderr).contains("building the lineage graph"));
    assert!(files[0].exists());
}

#[test]
fn node_filters_select_the_nodes_events_in_search() {
    let f = fixture();
    let g = graph();
    let count = |q: &str| -> u64 {
        stdout(&f, &["search", "--query", q, "--count"])
            .trim()
            .parse()
            .expect("a count")
    };
    let q =
        filter_query(&g.events_filter_for(&key(kind::MODEL_VERSION, "fraud-detector", Some("1"))));
    // train.complete, register, evaluate, approve, 2 deploys, 5 predictions.
    assert_eq!(count(&q), 11);
    let q = filter_query(&g.events_filter_for(&key(kind::RUN, "run-fraud-detector-3", None)));
    assert_eq!(count(&q), 2);
    let q = filter_query(&g.events_filter_for(&key(kind::DATASET, "customers-pii", Some("1"))));
    assert_eq!(count(&q), 2);
}

// ---- the sample story (sample-data/pristine) ----

/// A version of the sample story: model, version, training day, approved, in production.
struct StoryVersion {
    model: &'static str,
    version: &'static str,
    train_day: u32,
    approved: bool,
    production: bool,
}

const STORY: &[StoryVersion] = &[
    StoryVersion {
        model: "fraud-detector",
        version: "1",
        train_day: 0,
        approved: true,
        production: true,
    },
    StoryVersion {
        model: "fraud-detector",
        version: "2",
        train_day: 3,
        approved: true,
        production: true,
    },
    StoryVersion {
        model: "fraud-detector",
        version: "3",
        train_day: 6,
        approved: true,
        production: true,
    },
    StoryVersion {
        model: "fraud-detector",
        version: "4",
        train_day: 8,
        approved: false,
        production: true,
    },
    StoryVersion {
        model: "churn-predictor",
        version: "1",
        train_day: 1,
        approved: true,
        production: true,
    },
    StoryVersion {
        model: "churn-predictor",
        version: "2",
        train_day: 5,
        approved: true,
        production: true,
    },
    StoryVersion {
        model: "churn-predictor",
        version: "3",
        train_day: 8,
        approved: true,
        production: true,
    },
    StoryVersion {
        model: "credit-scorer",
        version: "1",
        train_day: 2,
        approved: true,
        production: false,
    },
    StoryVersion {
        model: "credit-scorer",
        version: "2",
        train_day: 9,
        approved: false,
        production: false,
    },
];

fn sample_graph() -> Graph {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("sample-data/pristine/streams");
    let mut b = GraphBuilder::new();
    let mut files: Vec<_> = std::fs::read_dir(&root)
        .expect("sample-data/pristine/streams")
        .map(|e| e.expect("entry").path())
        .collect();
    files.sort();
    for f in files {
        let text = std::fs::read_to_string(&f).expect("read");
        for (i, l) in text.lines().enumerate() {
            let path = f.display().to_string();
            for d in decode_record(
                &path,
                i as u64 + 1,
                l.as_bytes(),
                &GenericMapping::shared_builtin(),
            )
            .expect("decodes")
            {
                b.observe(&d.event);
            }
        }
    }
    b.finish()
}

/// Everything upstream of a version trained on `features` at data version `fv`, by the
/// story's conventions (source -> ingest run -> raw dataset -> cleaning run -> clean
/// dataset -> feature run -> feature set -> training run).
fn story_upstream(model: &str, version: &str, fv: &str) -> BTreeSet<String> {
    let features = match model {
        "fraud-detector" => "fraud-features",
        "churn-predictor" => "churn-features",
        _ => "credit-features",
    };
    let mut s = set(&[
        &format!("run run-{model}-{version}"),
        &format!("feature_set {features}@{fv}"),
        &format!("run features-{features}-{fv}"),
        &format!("dataset customers-clean@{fv}"),
        &format!("run pseudonymise-customers-{fv}"),
        &format!("dataset customers-pii@{fv}"),
        &format!("run ingest-customers-{fv}"),
        &format!("source {SRC_CU}"),
    ]);
    if features != "churn-features" {
        s.extend(set(&[
            &format!("dataset transactions-clean@{fv}"),
            &format!("run clean-transactions-{fv}"),
            &format!("dataset transactions-raw@{fv}"),
            &format!("run ingest-transactions-{fv}"),
            &format!("source {SRC_TX}"),
        ]));
    }
    s
}

#[test]
fn sample_story_models_and_versions_are_listed() {
    let g = sample_graph();
    let models = g.models();
    let got: Vec<(String, Vec<String>, Vec<String>)> = models
        .into_iter()
        .map(|m| (m.id, m.versions, m.runs_without_version))
        .collect();
    let s = |v: &[&str]| v.iter().map(|x| (*x).to_owned()).collect::<Vec<_>>();
    assert_eq!(
        got,
        vec![
            (
                "churn-predictor".into(),
                s(&["1", "2", "3", "4"]),
                s(&["run-churn-predictor-2a"])
            ),
            (
                "credit-scorer".into(),
                s(&["1", "2"]),
                s(&["run-credit-scorer-3"])
            ),
            ("fraud-detector".into(), s(&["1", "2", "3", "4"]), s(&[])),
        ]
    );
    assert!(g.cycles().is_empty(), "the story has no cycle");
    let dangling: Vec<String> = g
        .dangling()
        .iter()
        .map(|&i| g.node(i).expect("node").key.to_string())
        .collect();
    assert_eq!(dangling, ["run run-credit-scorer-legacy"]);
}

#[test]
fn sample_story_every_model_gives_a_complete_and_exact_tree() {
    let g = sample_graph();
    for sv in STORY {
        let t = g.model_tree(sv.model).expect("model");
        let v = t
            .versions
            .iter()
            .find(|v| v.version == sv.version)
            .unwrap_or_else(|| panic!("{} {}", sv.model, sv.version));
        let what = format!("{} v{}", sv.model, sv.version);
        assert_eq!(v.approved, sv.approved, "{what} approved");
        if sv.model == "credit-scorer" && sv.version == "1" {
            // Registered from a run that was never exported.
            assert_eq!(v.run_id.as_deref(), Some("run-credit-scorer-legacy"));
            assert_eq!(v.run_status, Some(RunStatus::Unknown));
            assert_eq!(keys(&v.upstream), set(&["run run-credit-scorer-legacy"]));
            assert!(
                t.dangling
                    .iter()
                    .any(|d| d.key.id == "run-credit-scorer-legacy")
            );
        } else {
            let run = format!("run-{}-{}", sv.model, sv.version);
            assert_eq!(v.run_id.as_deref(), Some(run.as_str()), "{what} run");
            assert_eq!(v.run_status, Some(RunStatus::Completed), "{what}");
            let trained = v.trained_at.expect("trained_at");
            assert_eq!(
                trained.format("%d").to_string(),
                format!("{:02}", 2 + sv.train_day),
                "{what} trained on its day"
            );
            let fv = (sv.train_day.min(8) / 4 + 1).to_string();
            assert_eq!(
                keys(&v.upstream),
                story_upstream(sv.model, sv.version, &fv),
                "{what} upstream"
            );
            assert!(!v.evaluations.is_empty(), "{what} evaluated");
            assert!(v.evaluations.iter().any(|e| e.metrics.contains_key("auc")));
        }
        // Downstream: deployments by environment with their endpoints.
        let down: BTreeSet<String> = v
            .downstream
            .iter()
            .filter(|d| d.key.kind != kind::RUN)
            .map(|d| format!("{} {}", d.key, d.environment.as_deref().unwrap_or("-")))
            .collect();
        let m = sv.model;
        let mut want = BTreeSet::new();
        if sv.model != "credit-scorer" || sv.version == "1" {
            want.insert(format!("deployment {m}-staging staging"));
            want.insert(format!("endpoint {m}-staging-endpoint staging"));
        }
        if sv.production {
            want.insert(format!("deployment {m}-production production"));
            want.insert(format!("endpoint {m}-prod-endpoint production"));
        }
        assert_eq!(down, want, "{what} downstream");
        let prod: Vec<_> = v
            .deployments
            .iter()
            .filter(|d| {
                d.action == "model.deploy" && d.environment.as_deref() == Some("production")
            })
            .collect();
        assert_eq!(
            prod.len(),
            usize::from(sv.production),
            "{what} production deploys"
        );
        if let Some(d) = prod.first() {
            // Planted incident 2: fraud-detector 4 reaches production unapproved, by bob.
            let incident = sv.model == "fraud-detector" && sv.version == "4";
            assert_eq!(d.approved_before, !incident, "{what}");
            assert_eq!(d.by.as_deref() == Some("bob"), incident, "{what}");
            assert!(
                v.predictions.iter().any(|p| p.count > 0
                    && p.endpoint.as_deref() == Some(format!("{m}-prod-endpoint").as_str())),
                "{what} predictions"
            );
        }
        if sv.approved {
            assert!(
                v.approvals
                    .iter()
                    .any(|a| a.approved && a.by.as_deref() == Some("carol"))
            );
        }
    }
}

#[test]
fn sample_story_failed_runs_trials_and_impact() {
    let g = sample_graph();
    let churn = g.model_tree("churn-predictor").expect("model");
    assert_eq!(churn.runs_without_version.len(), 1);
    let failed = &churn.runs_without_version[0];
    assert_eq!(failed.id, "run-churn-predictor-2a");
    assert_eq!(failed.status, RunStatus::Failed);
    assert!(
        failed
            .failure
            .as_deref()
            .is_some_and(|f| f.contains("CUDA out of memory"))
    );
    let credit = g.model_tree("credit-scorer").expect("model");
    assert_eq!(credit.runs_without_version[0].id, "run-credit-scorer-3");
    // Tuning trials are child runs of the run that produced credit-scorer 2.
    let v2 = &credit.versions[1];
    assert!(!v2.child_runs.is_empty());
    assert!(
        v2.child_runs
            .iter()
            .all(|r| r.parent.as_deref() == Some("run-credit-scorer-2"))
    );
    // The PII dataset of the second data drop reaches fraud-detector 3 and churn-predictor 2,
    // and their production deployments.
    let i = g.impact("customers-pii", Some("2")).expect("dataset");
    let mvs: BTreeSet<String> = i
        .of_kind(kind::MODEL_VERSION)
        .map(|e| e.key.to_string())
        .collect();
    assert_eq!(
        mvs,
        set(&[
            "model_version fraud-detector@3",
            "model_version churn-predictor@2"
        ])
    );
    assert!(
        i.of_kind(kind::DEPLOYMENT)
            .any(|e| e.key.id == "fraud-detector-production")
    );
}

#[test]
fn sample_story_commands_give_text_json_and_dot_for_every_model() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let sample = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("sample-data/pristine");
    let run = |args: &[&str]| -> String {
        let out = Command::cargo_bin("auditlens")
            .expect("binary")
            .args(args)
            .arg(&sample)
            .arg("--index-dir")
            .arg(tmp.path())
            .output()
            .expect("runs");
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf-8")
    };
    for (model, versions) in [
        ("fraud-detector", 4),
        ("churn-predictor", 4),
        ("credit-scorer", 2),
    ] {
        let text = run(&["lineage", "--model", model]);
        assert!(text.starts_with(&format!("model {model}: {versions} version(s)\n")));
        let j: Value =
            serde_json::from_str(&run(&["lineage", "--json", "--model", model])).expect("json");
        assert_eq!(j["versions"].as_array().expect("versions").len(), versions);
        let dot = run(&["lineage", "--dot", "--model", model]);
        assert_eq!(
            dot.matches(" -> n").count(),
            j["edges"].as_array().expect("edges").len(),
            "{model}: one DOT edge per JSON edge"
        );
    }
    let text = run(&["lineage", "--model", "fraud-detector"]);
    // Planted incident 2 is visible in the tree, and only it.
    assert_eq!(text.matches("NOT APPROVED BEFORE").count(), 1, "{text}");
    let impact: Value =
        serde_json::from_str(&run(&["impact", "--json", "--dataset", "customers-pii@1"]))
            .expect("json");
    assert!(
        impact["downstream"]
            .as_array()
            .expect("downstream")
            .iter()
            .any(|e| e["type"] == "model_version"
                && e["id"] == "fraud-detector"
                && e["version"] == "1")
    );
}

// ---- real exports (../shared/realdata; skipped when absent) ----

fn realdata(sub: &str) -> Option<PathBuf> {
    crate::common::shared_path(&format!("realdata/{sub}"))
}

fn run_json(path: &Path, cache: &Path, args: &[&str]) -> Value {
    let out = Command::cargo_bin("auditlens")
        .expect("binary")
        .args(args)
        .arg(path)
        .arg("--json")
        .arg("--index-dir")
        .arg(cache)
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("json")
}

#[test]
fn realdata_mlflow_chain_dataset_run_model_version() {
    let Some(dir) = realdata("mlflow-export-import") else {
        return;
    };
    let tmp = tempfile::tempdir().expect("tempdir");
    let j = run_json(
        &dir,
        tmp.path(),
        &[
            "lineage",
            "--model",
            "andre_catalog.ml_models2.sklearn_wine_best",
        ],
    );
    let v = &j["versions"][0];
    assert_eq!(v["version"], "15");
    assert_eq!(v["run_id"], "6222162b4c7f47c2820a7e5b520f65a9");
    assert!(v["trained_at"].is_string(), "dated by its run: {v}");
    let up = v["upstream"].as_array().expect("upstream");
    assert!(up.contains(
        &json!({"type": "run", "id": "6222162b4c7f47c2820a7e5b520f65a9", "version": null})
    ));
    assert!(up.iter().any(|n| {
        n["type"] == "dataset"
            && n["id"]
                .as_str()
                .is_some_and(|s| s.contains("winequality_white"))
    }));
}

#[test]
fn realdata_openlineage_datasets_flow_through_runs() {
    let Some(dir) = realdata("openlineage") else {
        return;
    };
    let tmp = tempfile::tempdir().expect("tempdir");
    let j = run_json(
        &dir,
        tmp.path(),
        &["impact", "--dataset", "file//tmp/cll_test/cll_source1"],
    );
    let down = j["downstream"].as_array().expect("downstream");
    assert!(down.iter().any(|e| e["type"] == "run"), "{j}");
    assert!(
        down.iter()
            .any(|e| e["type"] == "dataset" && e["id"] == "file//tmp/cll_test/tbl1"),
        "{j}"
    );
    let list = run_json(&dir, tmp.path(), &["lineage", "--list"]);
    assert!(list["models"].is_array());
}

// ---- arbitrary input ----

mod arbitrary {
    use super::*;
    use proptest::prelude::*;

    fn arb_ref() -> impl Strategy<Value = Value> {
        (
            prop::sample::select(vec![
                "dataset",
                "feature_set",
                "run",
                "model_version",
                "source",
                "x",
            ]),
            0u8..6,
            prop::option::of(0u8..3),
        )
            .prop_map(|(k, id, v)| {
                let id = if k == "model_version" {
                    format!("m{}", id % 2)
                } else {
                    format!("n{id}")
                };
                r(k, &id, v.map(|v| v.to_string()).as_deref())
            })
    }

    fn arb_event() -> impl Strategy<Value = Value> {
        (
            prop::sample::select(vec![
                "data.transform",
                "model.train.complete",
                "model.train.fail",
                "model.register",
                "model.approve",
                "model.reject",
                "model.deploy",
                "inference.predict",
                "model.evaluate",
                "model.tune",
            ]),
            prop::collection::vec(arb_ref(), 0..3),
            prop::collection::vec(arb_ref(), 0..3),
            prop::option::of(0u8..4),
            prop::option::of(0u8..4),
            prop::option::of((0u8..2, prop::option::of(0u8..3))),
        )
            .prop_map(|(action, ins, outs, run, parent, model)| {
                let mut v = json!({"action": action, "ts": "2026-03-02T00:00:00Z",
                    "inputs": ins, "outputs": outs, "environment": "production",
                    "resource": {"type": "endpoint", "id": "ep"}});
                if let Some(run) = run {
                    v["run_id"] = json!(format!("r{run}"));
                }
                if let Some(p) = parent {
                    v["parent_run_id"] = json!(format!("r{p}"));
                }
                if let Some((m, ver)) = model {
                    v["model"] = match ver {
                        Some(ver) => json!({"id": format!("m{m}"), "version": ver.to_string()}),
                        None => json!({"id": format!("m{m}")}),
                    };
                }
                v
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn any_events_give_a_graph_whose_queries_end(events in prop::collection::vec(arb_event(), 0..60)) {
            let mut b = GraphBuilder::new();
            for (i, e) in events.iter().enumerate() {
                let line = e.to_string();
                for d in decode_record("p.jsonl", i as u64 + 1, line.as_bytes(), &GenericMapping::shared_builtin()).expect("decodes") {
                    b.observe(&d.event);
                }
            }
            let g = b.finish();
            let back = Graph::from_bytes(&g.to_bytes()).expect("round trip");
            prop_assert_eq!(back.nodes(), g.nodes());
            for m in g.models() {
                let t = g.model_tree(&m.id).expect("listed model has a tree");
                prop_assert_eq!(t.versions.len(), m.versions.len());
                for v in &t.versions {
                    // Every node appears at most once in a flat list.
                    let up: BTreeSet<_> = v.upstream.iter().collect();
                    prop_assert_eq!(up.len(), v.upstream.len());
                }
                let _ = auditlens::lineage::model_text(&t);
                let _ = auditlens::lineage::dot(&t);
            }
            for (id, _) in g.datasets() {
                let i = g.impact(&id, None).expect("known dataset");
                let _ = auditlens::lineage::impact_text(&i);
            }
        }
    }
}

#[test]
fn lineage_lists_the_alerts_citing_each_version() {
    // Regression: `ModelTree::attach_alerts` was never called, so `lineage` (text and --json)
    // never showed which alerts cite a model version.
    let tmp = tempfile::tempdir().expect("tempdir");
    let sample = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("sample-data/pristine");
    let run = |json: bool| {
        let mut c = Command::cargo_bin("auditlens").expect("binary");
        c.args(["lineage", "--model", "fraud-detector"])
            .arg(&sample)
            .arg("--index-dir")
            .arg(tmp.path())
            .env("NO_COLOR", "1");
        if json {
            c.arg("--json");
        }
        let out = c.output().expect("runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf-8")
    };
    let text = run(false);
    let v4 = &text[text.find("  version 4").expect("version 4")..];
    let at = v4.find("    alerts:").expect("alerts of version 4");
    let mut lines = v4[at..].lines().skip(1);
    assert_eq!(
        lines.next(),
        Some(
            "      [error] 2026-03-11T15:00:00Z prod-deploy-unapproved#1: Production deployment without approval"
        )
    );
    let evidence = lines.next().expect("evidence line");
    assert!(
        evidence.starts_with("        evidence: 1 event(s) of this version: ")
            && evidence.ends_with("streams/registry.jsonl:40"),
        "{evidence}"
    );
    assert_eq!(text.matches("    alerts:").count(), 1, "{text}");

    let v: Value = serde_json::from_str(&run(true)).expect("json");
    let versions = v["versions"].as_array().expect("versions");
    for ver in &versions[..3] {
        assert_eq!(ver["alerts"], json!([]), "{}", ver["version"]);
    }
    let a = &versions[3]["alerts"][0];
    assert_eq!(versions[3]["version"], "4");
    assert_eq!(a["id"], "prod-deploy-unapproved#1");
    assert_eq!(a["rule"], "prod-deploy-unapproved");
    assert_eq!(a["severity"], "error");
    assert_eq!(a["ts"], "2026-03-11T15:00:00Z");
    assert_eq!(a["message"], "Production deployment without approval");
    assert_eq!(a["count"], 1);
    assert_eq!(a["evidence"][0]["line"], 40);
    assert!(
        a["evidence"][0]["path"]
            .as_str()
            .is_some_and(|p| p.ends_with("streams/registry.jsonl")),
        "{a}"
    );
    assert!(a.get("ords").is_none(), "{a}");
}
