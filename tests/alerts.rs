//! Alerts: every rule kind on hand-made events (windows, edges, grouping), the sample
//! story (its six planted incidents and nothing else), and `watch` on growing files.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use auditlens::alerts::{Alert, Evaluator, Input, RuleSet};
use auditlens::model::{AuditEvent, Format, ModelRef, Origin, Outcome};
use auditlens::sample::Story;
use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use serde_json::{Value, json};

use super::common::auditlens;

/// Writes the sample story (`events`, `seed`) as native streams `dir/streams/<s>.jsonl`
/// (unsealed: a dummy hash; alerts do not need the seal). Returns the folder.
pub fn write_story(dir: &Path, events: u64, seed: u64) -> PathBuf {
    let root = dir.join("story");
    std::fs::create_dir_all(root.join("streams")).unwrap();
    let mut files: BTreeMap<&'static str, (std::io::BufWriter<std::fs::File>, u64)> =
        BTreeMap::new();
    for e in Story::new(events, seed) {
        let (w, seq) = files.entry(e.stream).or_insert_with(|| {
            let f =
                std::fs::File::create(root.join(format!("streams/{}.jsonl", e.stream))).unwrap();
            (std::io::BufWriter::new(f), 0)
        });
        let mut rec = e.rec.clone();
        rec.insert("stream".into(), json!(e.stream));
        rec.insert("seq".into(), json!(*seq));
        *seq += 1;
        let line = json!({"hash": "0".repeat(64), "rec": rec});
        writeln!(w, "{line}").unwrap();
    }
    for (_, (mut w, _)) in files {
        w.flush().unwrap();
    }
    root
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 9, 2, 0, 0).single().unwrap()
}

fn ev(i: u64, secs: i64, action: &str) -> AuditEvent {
    let origin = Origin {
        path: "t.jsonl".into(),
        line: i + 1,
        format: Format::Generic,
        stream: Some("s".into()),
        seq: Some(i),
        hash: None,
        part: 0,
    };
    let mut e = AuditEvent::new(origin, action);
    e.ts = Some(t0() + TimeDelta::seconds(secs));
    e
}

fn one_rule(rule: &Value) -> RuleSet {
    let text = json!({"replace_defaults": true, "rules": [rule]}).to_string();
    RuleSet::load(Some((&text, "test.json"))).unwrap()
}

/// Runs a single rule over events already in time order (all primary).
fn run(rule: &Value, events: &[AuditEvent]) -> Vec<Alert> {
    run_inputs(
        rule,
        &events
            .iter()
            .map(|e| (Input::Primary, e.clone()))
            .collect::<Vec<_>>(),
    )
}

fn run_inputs(rule: &Value, events: &[(Input, AuditEvent)]) -> Vec<Alert> {
    let set = one_rule(rule);
    let mut ev = Evaluator::new(&set.rules[0]);
    for (i, (input, e)) in events.iter().enumerate() {
        ev.push(*input, e, Some(i as u64));
    }
    ev.finish()
}

fn seqs(a: &Alert) -> Vec<u64> {
    a.evidence.iter().map(|e| e.seq.unwrap()).collect()
}

fn threshold_rule(count: u64, window: &str, group: &Value) -> Value {
    json!({"id": "t", "title": "T", "severity": "warning", "why": "w", "kind": "threshold",
           "query": "*", "count": count, "window": window, "group_by_any": group})
}

fn login(i: u64, secs: i64, actor: &str, ip: &str) -> AuditEvent {
    let mut e = ev(i, secs, "auth.login");
    e.actor.id = Some(actor.into());
    e.actor.ip = Some(ip.into());
    e.outcome = Outcome::Failure;
    e
}

#[test]
fn threshold_window_edge_is_inclusive() {
    let rule = threshold_rule(3, "60s", &json!(["actor.id"]));
    // Three events exactly 60 s from first to last: inside the window.
    let inside = [
        login(0, 0, "a", "1"),
        login(1, 30, "a", "1"),
        login(2, 60, "a", "1"),
    ];
    let alerts = run(&rule, &inside);
    assert_eq!(alerts.len(), 1);
    assert_eq!(seqs(&alerts[0]), [0, 1, 2]);
    assert_eq!(alerts[0].key, "actor.id=a");
    // One millisecond more: outside.
    let mut late = login(2, 60, "a", "1");
    late.ts = Some(t0() + TimeDelta::milliseconds(60_001));
    let outside = [login(0, 0, "a", "1"), login(1, 30, "a", "1"), late];
    assert!(run(&rule, &outside).is_empty());
}

#[test]
fn threshold_groups_by_key_and_merges_alternative_groupings() {
    let rule = threshold_rule(3, "10m", &json!(["actor.id"]));
    // Two actors, two events each: no group reaches three.
    let mixed = [
        login(0, 0, "a", "1"),
        login(1, 1, "b", "1"),
        login(2, 2, "a", "1"),
        login(3, 3, "b", "1"),
    ];
    assert!(run(&rule, &mixed).is_empty());
    // Grouped by address instead, the same four events are one burst from address 1.
    let by_ip = threshold_rule(3, "10m", &json!(["actor.ip"]));
    let alerts = run(&by_ip, &mixed);
    assert_eq!(alerts.len(), 1);
    assert_eq!(seqs(&alerts[0]), [0, 1, 2, 3], "the episode keeps growing");
    // By actor or by address: one alert, not two, when both see the same burst.
    let either = threshold_rule(3, "10m", &json!(["actor.id", "actor.ip"]));
    let burst: Vec<AuditEvent> = (0..5).map(|i| login(i, i as i64, "a", "1")).collect();
    let alerts = run(&either, &burst);
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    assert_eq!(seqs(&alerts[0]), [0, 1, 2, 3, 4]);
    assert_eq!(alerts[0].count, 5);
    assert_eq!(alerts[0].key, "actor.id=a, actor.ip=1");
    // Events without the grouping field are not counted together.
    let anonymous: Vec<AuditEvent> = (0..5).map(|i| ev(i, i as i64, "auth.login")).collect();
    assert!(run(&rule, &anonymous).is_empty());
}

#[test]
fn threshold_episode_ends_after_a_quiet_window_and_can_fire_again() {
    let rule = threshold_rule(2, "60s", &json!(["actor.id"]));
    let evs = [
        login(0, 0, "a", "1"),
        login(1, 10, "a", "1"),
        login(2, 70, "a", "1"), // within 60 s of the last evidence: same alert
        login(3, 200, "a", "1"), // quiet gap: a new episode starts...
        login(4, 300, "a", "1"), // ...but 100 s later is too far for a pair
        login(5, 330, "a", "1"),
    ];
    let alerts = run(&rule, &evs);
    assert_eq!(alerts.len(), 2, "{alerts:#?}");
    assert_eq!(seqs(&alerts[0]), [0, 1, 2]);
    assert_eq!(seqs(&alerts[1]), [4, 5]);
    assert_eq!(alerts[1].first_ts, Some(t0() + TimeDelta::seconds(300)));
    assert_eq!(alerts[1].last_ts, Some(t0() + TimeDelta::seconds(330)));
}

fn deploy(
    i: u64,
    secs: i64,
    input: Input,
    action: &str,
    model: &str,
    version: &str,
) -> (Input, AuditEvent) {
    let mut e = ev(i, secs, action);
    e.model = Some(ModelRef {
        id: model.into(),
        version: Some(version.into()),
    });
    (input, e)
}

#[test]
fn absence_needs_an_earlier_event_of_the_same_key_within_the_window() {
    use Input::{Primary, Prior};
    let rule = json!({"id": "a", "title": "A", "severity": "error", "why": "w", "kind": "absence",
        "query": "action:model.deploy", "without": "action:model.approve",
        "key": ["model.id", "model.version"], "window": "1h"});
    let evs = [
        deploy(0, 0, Prior, "model.approve", "m", "1"),
        deploy(1, 3600, Primary, "model.deploy", "m", "1"), // exactly 1 h later: approved
        deploy(2, 3600, Primary, "model.deploy", "m", "2"), // version 2 never approved
        deploy(3, 3601, Primary, "model.deploy", "n", "1"), // another model
        deploy(4, 7201, Primary, "model.deploy", "m", "1"), // approval now too old
        deploy(5, 7300, Prior, "model.approve", "m", "3"),
        deploy(6, 7300, Primary, "model.deploy", "m", "3"), // same instant: approved
    ];
    let alerts = run_inputs(&rule, &evs);
    let got: Vec<(u64, &str)> = alerts
        .iter()
        .map(|a| (seqs(a)[0], a.key.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            (2, "model.id=m, model.version=2"),
            (3, "model.id=n, model.version=1"),
            (4, "model.id=m, model.version=1"),
        ]
    );
    // Without a window any earlier approval counts.
    let mut open = rule.clone();
    open.as_object_mut().unwrap().remove("window");
    let alerts = run_inputs(&open, &evs);
    assert_eq!(alerts.len(), 2);
}

#[test]
fn numeric_compares_with_a_constant_or_another_field() {
    let drift = |i: u64, score: Value, threshold: Value| {
        let mut e = ev(i, i as i64, "monitor.drift");
        e.details = json!({"drift_score": score, "threshold": threshold});
        e
    };
    let evs = [
        drift(0, json!(0.05), json!(0.1)),
        drift(1, json!(0.47), json!(0.1)),
        drift(2, json!(0.1), json!(0.1)),     // equal: not above
        drift(3, json!("0.3"), json!("0.2")), // numbers as strings
        drift(4, json!("n/a"), json!(0.1)),   // not a number: ignored
    ];
    let rule = json!({"id": "n", "title": "N", "severity": "warning", "why": "w", "kind": "numeric",
        "query": "*", "field": "details.drift_score", "op": "gt", "than_field": "details.threshold"});
    let alerts = run(&rule, &evs);
    assert_eq!(
        alerts.iter().map(|a| seqs(a)[0]).collect::<Vec<_>>(),
        [1, 3]
    );
    assert!(
        alerts[0].detail.contains("0.47 > details.threshold = 0.1"),
        "{}",
        alerts[0].detail
    );
    let rule = json!({"id": "n", "title": "N", "severity": "warning", "why": "w", "kind": "numeric",
        "query": "*", "field": "details.drift_score", "op": "gte", "value": 0.1});
    let alerts = run(&rule, &evs);
    assert_eq!(
        alerts.iter().map(|a| seqs(a)[0]).collect::<Vec<_>>(),
        [1, 2, 3]
    );
}

#[test]
fn rate_fires_on_a_bucket_far_above_its_baseline() {
    let rule = json!({"id": "r", "title": "R", "severity": "warning", "why": "w", "kind": "rate",
        "query": "*", "bucket": "1h", "baseline": 6, "z": 3.0, "min_count": 4});
    // Six hours of 2 events each, then an hour with 9.
    let mut evs = Vec::new();
    let mut i = 0;
    for h in 0..6 {
        for k in 0..2 {
            evs.push(ev(i, h * 3600 + k * 60, "x"));
            i += 1;
        }
    }
    for k in 0..9 {
        evs.push(ev(i, 6 * 3600 + k * 60, "x"));
        i += 1;
    }
    let alerts = run(&rule, &evs);
    assert_eq!(alerts.len(), 1, "{alerts:#?}");
    // Median 2, MAD 0 (scale 1): z reaches 3 at the fifth event of the hour; the alert
    // then holds every event of that hour.
    assert_eq!(alerts[0].count, 9);
    assert_eq!(seqs(&alerts[0]), (12..21).collect::<Vec<_>>());
    // The same hour is not anomalous when the baseline is as busy.
    let steady: Vec<AuditEvent> = (0..63)
        .map(|k| ev(k, (k as i64 / 9) * 3600 + (k as i64 % 9) * 60, "x"))
        .collect();
    assert!(run(&rule, &steady).is_empty());
    // A first burst after a quiet start is judged when the evaluator knows the start.
    let burst: Vec<AuditEvent> = (0..5).map(|k| ev(k, 3 * 3600 + k as i64, "x")).collect();
    let set = one_rule(&rule);
    let mut e = Evaluator::new(&set.rules[0]);
    e.set_start(t0());
    for x in &burst {
        e.push(Input::Primary, x, None);
    }
    let alerts = e.finish();
    assert_eq!(alerts.len(), 1);
    assert!(
        alerts[0].detail.contains("trailing 3 buckets: median 0"),
        "{}",
        alerts[0].detail
    );
    // Without it, the first bucket has no baseline and is not judged.
    assert!(run(&rule, &burst).is_empty());
    // Below min_count nothing fires, whatever the z-score.
    let few: Vec<AuditEvent> = (0..3).map(|k| ev(k, k as i64, "x")).collect();
    assert!(run(&rule, &few).is_empty());
}

#[test]
fn role_policy_allows_listed_roles_and_actor_types() {
    let access = |i: u64, actor: &str, kind: &str, roles: &[&str], tags: &[&str]| {
        let mut e = ev(i, i as i64, "data.export");
        e.actor.id = Some(actor.into());
        e.actor.kind = Some(kind.into());
        e.actor.roles = roles.iter().map(|s| (*s).to_owned()).collect();
        e.resource.id = Some("customers-pii".into());
        e.resource.tags = tags.iter().map(|s| (*s).to_owned()).collect();
        e
    };
    let evs = [
        access(0, "frank", "user", &["data-engineer"], &["pii"]),
        access(1, "svc", "service", &[], &["PII"]),
        access(2, "dave", "user", &["analyst"], &["pii"]),
        access(3, "dave", "user", &["analyst"], &["public"]),
        access(4, "nobody", "user", &[], &["pii"]),
    ];
    let rule = json!({"id": "p", "title": "P", "severity": "error", "why": "w", "kind": "role_policy",
        "query": "*", "tag": "pii", "allow_roles": ["data-engineer"], "allow_actor_types": ["service"]});
    let alerts = run(&rule, &evs);
    assert_eq!(
        alerts.iter().map(|a| seqs(a)[0]).collect::<Vec<_>>(),
        [2, 4]
    );
    assert_eq!(alerts[0].key, "actor.id=dave");
    assert!(alerts[0].detail.contains("roles: analyst"));
}

#[test]
fn match_alerts_per_event_or_merges_within_a_window() {
    let evs: Vec<AuditEvent> = [0, 10, 100, 5000]
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let mut e = ev(i as u64, *s, "x");
            e.integrity = Some("modified".into());
            e
        })
        .collect();
    let rule = json!({"id": "m", "title": "M", "severity": "critical", "why": "w", "kind": "match", "query": "*"});
    assert_eq!(run(&rule, &evs).len(), 4);
    let merged = json!({"id": "m", "title": "M", "severity": "critical", "why": "w", "kind": "match",
        "query": "*", "group_by": "stream", "merge_within": "100s"});
    let alerts = run(&merged, &evs);
    assert_eq!(
        alerts.iter().map(seqs).collect::<Vec<_>>(),
        [vec![0, 1, 2], vec![3]]
    );
}

// ---- through the index and the command line ----

fn alerts_json(home: &Path, args: &[&str]) -> (i32, Value) {
    let out = auditlens(home)
        .arg("alerts")
        .args(args)
        .arg("--json")
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let v: Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{e}: {text} {}", String::from_utf8_lossy(&out.stderr)));
    (out.status.code().unwrap(), v)
}

fn evidence_of(a: &Value) -> Vec<(String, u64)> {
    a["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["stream"].as_str().unwrap().to_owned(),
                e["seq"].as_u64().unwrap(),
            )
        })
        .collect()
}

/// The record at `stream`/`seq` of a story folder, as JSON.
fn record(root: &Path, stream: &str, seq: u64) -> Value {
    let text = std::fs::read_to_string(root.join(format!("streams/{stream}.jsonl"))).unwrap();
    let line = text.lines().nth(seq as usize).unwrap();
    serde_json::from_str::<Value>(line).unwrap()["rec"].clone()
}

#[test]
fn sample_story_raises_exactly_the_six_planted_incidents() {
    let dir = tempfile::tempdir().unwrap();
    let root = write_story(dir.path(), 3000, 7);
    let (code, v) = alerts_json(dir.path(), &[root.to_str().unwrap()]);
    assert_eq!(code, 1, "alerts found: exit 1");
    let alerts = v["alerts"].as_array().unwrap();
    let rules: Vec<&str> = alerts.iter().map(|a| a["rule"].as_str().unwrap()).collect();
    assert_eq!(
        rules,
        [
            "failed-logins",
            "prod-deploy-unapproved",
            "pii-access-outside-roles",
            "drift-above-threshold",
            "audit-config-changed",
            "inference-error-spike"
        ],
        "{v:#}"
    );
    for a in alerts {
        for k in [
            "rule", "title", "severity", "first_ts", "last_ts", "key", "evidence",
        ] {
            assert!(a.get(k).is_some(), "{k} missing in {a}");
        }
        for e in a["evidence"].as_array().unwrap() {
            let path = e["path"].as_str().unwrap();
            assert!(
                path.contains("streams") && path.contains(".jsonl"),
                "{path}"
            );
            assert!(e["line"].as_u64().unwrap() >= 1);
        }
    }
    // 1. The fourteen failed logins of alice from 203.0.113.77, and only those.
    let logins = evidence_of(&alerts[0]);
    assert_eq!(logins.len(), 14);
    for (s, q) in &logins {
        let r = record(&root, s, *q);
        assert_eq!(r["action"], "auth.login");
        assert_eq!(r["outcome"], "failure");
        assert_eq!(r["actor"]["ip"], "203.0.113.77");
    }
    assert_eq!(alerts[0]["key"], "actor.id=alice, actor.ip=203.0.113.77");
    assert_eq!(alerts[0]["severity"], "warning");
    // 2. bob's unapproved production deployment of fraud-detector 4.
    let ev2 = evidence_of(&alerts[1]);
    assert_eq!(ev2.len(), 1);
    let r = record(&root, &ev2[0].0, ev2[0].1);
    assert_eq!(
        (r["action"].as_str(), r["actor"]["id"].as_str()),
        (Some("model.deploy"), Some("bob"))
    );
    assert_eq!(r["model"], json!({"id": "fraud-detector", "version": "4"}));
    assert_eq!(r["environment"], "production");
    assert_eq!(alerts[1]["key"], "model.id=fraud-detector, model.version=4");
    // 3. dave's export of customers-pii.
    let ev3 = evidence_of(&alerts[2]);
    let r = record(&root, &ev3[0].0, ev3[0].1);
    assert_eq!(ev3.len(), 1);
    assert_eq!(
        (r["action"].as_str(), r["actor"]["id"].as_str()),
        (Some("data.export"), Some("dave"))
    );
    // 4. The drift of churn-predictor 3.
    let ev4 = evidence_of(&alerts[3]);
    let r = record(&root, &ev4[0].0, ev4[0].1);
    assert_eq!(ev4.len(), 1);
    assert_eq!(r["details"]["drift_score"], 0.47);
    assert_eq!(r["model"], json!({"id": "churn-predictor", "version": "3"}));
    // 5. erin switching audit logging off.
    let ev5 = evidence_of(&alerts[4]);
    let r = record(&root, &ev5[0].0, ev5[0].1);
    assert_eq!(ev5.len(), 1);
    assert_eq!(
        (r["action"].as_str(), r["actor"]["id"].as_str()),
        (Some("audit.config.change"), Some("erin"))
    );
    assert_eq!(r["details"]["new"], "disabled");
    // 6. The 40 timed-out predictions of churn-predictor 4, and only those.
    let ev6 = evidence_of(&alerts[5]);
    assert_eq!(ev6.len(), 40);
    for (s, q) in &ev6 {
        let r = record(&root, s, *q);
        assert_eq!(r["action"], "inference.predict");
        assert_eq!(r["outcome"], "failure");
        assert_eq!(r["model"], json!({"id": "churn-predictor", "version": "4"}));
    }
    assert_eq!(
        alerts[5]["key"],
        "model.id=churn-predictor, model.version=4"
    );
    assert_eq!(alerts[5]["severity"], "error");
}

/// A native stream `dir/<name>/streams/serving.jsonl` of predictions (seconds after t0,
/// model version, outcome), with a dummy hash like [`write_story`]; returns the folder.
fn predictions(dir: &Path, name: &str, events: &[(i64, &str, &str)]) -> PathBuf {
    let root = dir.join(name);
    std::fs::create_dir_all(root.join("streams")).unwrap();
    let mut text = String::new();
    for (seq, (secs, version, outcome)) in events.iter().enumerate() {
        let ts =
            (t0() + TimeDelta::seconds(*secs)).to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let rec = json!({"stream": "serving", "seq": seq, "ts": ts, "action": "inference.predict",
            "actor": {"id": "svc-serving", "type": "service"}, "outcome": outcome,
            "model": {"id": "m", "version": version}, "message": "scored a request"});
        text.push_str(&json!({"hash": "0".repeat(64), "rec": rec}).to_string());
        text.push('\n');
    }
    std::fs::write(root.join("streams/serving.jsonl"), text).unwrap();
    root
}

#[test]
fn default_rules_catch_an_inference_error_spike_per_model_version() {
    let dir = tempfile::tempdir().unwrap();
    // Version 2 fails 12 times in 11.5 minutes among successes of version 1: one alert on
    // version 2 whose evidence is exactly the failures.
    let mixed: Vec<(i64, &str, &str)> = (0..24)
        .map(|i| {
            if i % 2 == 0 {
                (i * 30, "1", "success")
            } else {
                (i * 30, "2", "failure")
            }
        })
        .collect();
    let root = predictions(dir.path(), "mixed", &mixed);
    let (code, v) = alerts_json(dir.path(), &[root.to_str().unwrap()]);
    assert_eq!(code, 1, "{v:#}");
    let alerts = v["alerts"].as_array().unwrap();
    assert_eq!(alerts.len(), 1, "{v:#}");
    assert_eq!(alerts[0]["rule"], "inference-error-spike");
    assert_eq!(alerts[0]["key"], "model.id=m, model.version=2");
    let seqs: Vec<u64> = evidence_of(&alerts[0]).iter().map(|(_, q)| *q).collect();
    assert_eq!(seqs, (0..12).map(|i| 2 * i + 1).collect::<Vec<u64>>());
    // The same twelve failures spread over two versions reach neither version's threshold.
    let spread: Vec<(i64, &str, &str)> = (0..12)
        .map(|i| (i * 60, if i % 2 == 0 { "1" } else { "2" }, "failure"))
        .collect();
    let root = predictions(dir.path(), "spread", &spread);
    let (code, v) = alerts_json(dir.path(), &[root.to_str().unwrap()]);
    assert_eq!(code, 0, "{v:#}");
}

#[test]
fn alerts_text_output_and_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let root = write_story(dir.path(), 3000, 7);
    let out = auditlens(dir.path())
        .arg("alerts")
        .arg(&root)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("[warning] failed-logins: Repeated failed logins"),
        "{text}"
    );
    assert!(text.contains("evidence (14 event(s))"), "{text}");
    assert!(
        text.contains("6 alert(s) (4 error, 2 warning) from 11 rules"),
        "{text}"
    );
    // Disabling the six rules that fire leaves a clean bill: exit 0.
    let rules = dir.path().join("quiet.json");
    std::fs::write(
        &rules,
        r#"{"disable": ["failed-logins", "prod-deploy-unapproved",
        "pii-access-outside-roles", "drift-above-threshold", "audit-config-changed",
        "inference-error-spike"]}"#,
    )
    .unwrap();
    let out = auditlens(dir.path())
        .arg("alerts")
        .arg(&root)
        .arg("--rules")
        .arg(&rules)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("no alerts (5 rules)"));
    // A bad query names its rule; exit 2.
    std::fs::write(
        &rules,
        r#"{"rules": [{"id": "broken", "title": "B", "severity": "info",
        "kind": "match", "query": "nosuchfield:x"}]}"#,
    )
    .unwrap();
    let out = auditlens(dir.path())
        .arg("alerts")
        .arg(&root)
        .arg("--rules")
        .arg(&rules)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("rule `broken`") && err.contains("nosuchfield"),
        "{err}"
    );
}

#[test]
fn alert_text_escapes_control_characters_from_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let line = json!({"time": "2024-01-01T00:00:00Z", "action": "secret.read",
        "actor": {"id": "evil\u{1b}[2Jeve", "type": "user"}, "resource": {"id": "s\u{7}"}});
    let f = dir.path().join("log.jsonl");
    std::fs::write(&f, format!("{line}\n")).unwrap();
    let out = auditlens(dir.path())
        .arg("alerts")
        .arg(&f)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("secret-read-by-human"), "{text}");
    assert!(
        !text.contains('\u{1b}') && !text.contains('\u{7}'),
        "{text:?}"
    );
    assert!(text.contains("evil\\x1b[2Jeve"), "{text}");
}

#[test]
fn integrity_failures_are_critical_alerts_for_error_level_statuses_only() {
    let set = RuleSet::defaults().unwrap();
    let rule = set.get("integrity-failure").unwrap().clone();
    let statuses = [
        "verified",
        "modified",
        "unverified",
        "replaced",
        "inserted",
        "duplicate",
        "reordered",
        "foreign_stream",
        "malformed",
        "appended_unsigned",
    ];
    let events: Vec<AuditEvent> = statuses
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let mut e = ev(i as u64, i as i64, "data.access");
            e.integrity = Some((*s).to_owned());
            e
        })
        .collect();
    let refs: Vec<(&AuditEvent, &str)> = events.iter().map(|e| (e, "{}")).collect();
    let hits = auditlens::index::match_batch(&refs, &[rule.query.as_str()]).unwrap();
    assert_eq!(hits[0], [1, 3, 4, 5, 6, 7, 8, 9]);
    let mut eval = Evaluator::new(&rule);
    for &i in &hits[0] {
        eval.push(Input::Primary, &events[i], None);
    }
    let alerts = eval.finish();
    assert_eq!(alerts.len(), 1, "one stream, close in time: one alert");
    assert_eq!(alerts[0].severity.as_str(), "critical");
    assert_eq!(alerts[0].count, 8);
    assert_eq!(alerts[0].key, "stream=s");
}

// ---- watch ----

struct Watch {
    child: Child,
    out: mpsc::Receiver<String>,
    err: mpsc::Receiver<String>,
}

fn lines_of(r: impl std::io::Read + Send + 'static) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(r).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

impl Watch {
    fn start(home: &Path, files: &[&Path]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_auditlens"))
            .env("XDG_CACHE_HOME", home.join("cache"))
            .arg("watch")
            .args(files)
            .args(["--json", "--poll-ms", "50", "--exit-after", "60"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let out = lines_of(child.stdout.take().unwrap());
        let err = lines_of(child.stderr.take().unwrap());
        let w = Self { child, out, err };
        w.wait_err("watching");
        w
    }

    fn wait_err(&self, needle: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.err.recv_timeout(left) {
                Ok(l) if l.contains(needle) => return l,
                Ok(_) => {}
                Err(_) => break,
            }
        }
        panic!("no `{needle}` on stderr");
    }

    /// The next alert printed, within 30 s.
    fn alert(&self) -> Value {
        let line = self
            .out
            .recv_timeout(Duration::from_secs(30))
            .expect("an alert within 30 s");
        serde_json::from_str(&line).unwrap()
    }

    fn no_alert_for(&self, d: Duration) {
        if let Ok(l) = self.out.recv_timeout(d) {
            panic!("unexpected output: {l}");
        }
    }

    /// Ctrl-C, then the exit code.
    fn interrupt(mut self) -> i32 {
        let pid = self.child.id().to_string();
        let ok = Command::new("kill").args(["-INT", &pid]).status().unwrap();
        assert!(ok.success());
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                self.wait_err("watch stopped");
                return s.code().expect("exited, not killed by the signal");
            }
            assert!(Instant::now() < deadline, "watch did not stop on SIGINT");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn failed_login(minute: u32, sec: u32, who: &str) -> String {
    format!(
        "{}\n",
        json!({"time": format!("2026-03-09T02:{minute:02}:{sec:02}Z"), "action": "auth.login",
               "outcome": "failure", "actor": {"id": who, "type": "user", "ip": "198.51.100.9"}})
    )
}

fn append(path: &Path, text: &str) {
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
        .unwrap();
    f.write_all(text.as_bytes()).unwrap();
}

#[test]
fn watch_alerts_on_events_appended_after_it_started() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("live.jsonl");
    // Earlier content is not re-read: four old failures do not count.
    std::fs::write(
        &log,
        (0..4)
            .map(|i| failed_login(0, i, "mallory"))
            .collect::<String>(),
    )
    .unwrap();
    let w = Watch::start(dir.path(), &[&log]);
    append(&log, &failed_login(1, 0, "mallory"));
    append(&log, &failed_login(1, 1, "mallory"));
    w.no_alert_for(Duration::from_millis(500));
    // A line written in two pieces is read once complete.
    append(&log, &failed_login(1, 2, "mallory"));
    append(&log, &failed_login(1, 3, "mallory"));
    let half = failed_login(1, 4, "mallory");
    append(&log, &half[..20]);
    w.no_alert_for(Duration::from_millis(400));
    append(&log, &half[20..]);
    let a = w.alert();
    assert_eq!(a["rule"], "failed-logins");
    assert_eq!(a["count"], 5);
    let lines: Vec<u64> = a["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["line"].as_u64().unwrap())
        .collect();
    assert_eq!(
        lines,
        [5, 6, 7, 8, 9],
        "line numbers count the lines before the start"
    );
    // Bad lines are reported and skipped; the watch goes on.
    append(&log, "{not json\n");
    w.wait_err("live.jsonl:10");
    append(
        &log,
        &format!(
            "{}\n",
            json!({"time": "2026-03-09T03:00:00Z", "action": "secret.read", "actor": {"id": "eve", "type": "user"}})
        ),
    );
    assert_eq!(w.alert()["rule"], "secret-read-by-human");
    assert_eq!(w.interrupt(), 1, "alerts fired: exit 1 after a clean stop");
}

#[test]
fn watch_survives_truncation_and_rotation() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("app.jsonl");
    let other = dir.path().join("later.jsonl");
    std::fs::write(&log, "").unwrap();
    let w = Watch::start(dir.path(), &[&log, &other]);
    w.wait_err("waiting for");
    append(
        &log,
        &(0..3)
            .map(|i| failed_login(5, i, "trudy"))
            .collect::<String>(),
    );
    w.no_alert_for(Duration::from_millis(300));
    // Truncated and rewritten shorter: read again from line 1.
    std::fs::write(&log, format!("{}\n", json!({"time": "2026-03-09T04:00:00Z", "action": "audit.config.change", "actor": {"id": "erin"}}))).unwrap();
    let a = w.alert();
    assert_eq!(a["rule"], "audit-config-changed");
    assert_eq!(a["evidence"][0]["line"], 1);
    w.wait_err("truncated");
    // Rotated: renamed away, a new file under the name.
    std::fs::rename(&log, dir.path().join("app.jsonl.1")).unwrap();
    std::fs::write(&log, format!("{}\n", json!({"time": "2026-03-09T05:00:00Z", "action": "secret.read", "actor": {"id": "eve", "type": "user"}}))).unwrap();
    let a = w.alert();
    assert_eq!(a["rule"], "secret-read-by-human");
    assert_eq!(a["evidence"][0]["line"], 1);
    // A file that appears after the start is read from its beginning.
    std::fs::write(&other, format!("{}\n", json!({"time": "2026-03-09T06:00:00Z", "action": "model.delete", "environment": "production", "actor": {"id": "bob"}}))).unwrap();
    assert_eq!(w.alert()["rule"], "prod-model-removed");
    assert_eq!(w.interrupt(), 1);
}

#[test]
fn watch_once_reads_the_whole_file_and_stops() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("all.jsonl");
    std::fs::write(
        &log,
        (0..6)
            .map(|i| failed_login(0, i, "mallory"))
            .collect::<String>(),
    )
    .unwrap();
    let out = auditlens(dir.path())
        .args(["watch", "--once"])
        .arg(&log)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("[warning] failed-logins"), "{text}");
    std::fs::write(&log, failed_login(0, 0, "mallory")).unwrap();
    let out = auditlens(dir.path())
        .args(["watch", "--once"])
        .arg(&log)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn other_story_seeds_raise_the_same_six_alerts_and_nothing_else() {
    for seed in [1, 2, 3] {
        let dir = tempfile::tempdir().unwrap();
        let root = write_story(dir.path(), 6000, seed);
        let (code, v) = alerts_json(dir.path(), &[root.to_str().unwrap()]);
        assert_eq!(code, 1);
        let rules: Vec<&str> = v["alerts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["rule"].as_str().unwrap())
            .collect();
        assert_eq!(rules.len(), 6, "seed {seed}: {v:#}");
    }
}

#[test]
fn evaluate_index_gives_ordinals_that_find_the_evidence_again() {
    let dir = tempfile::tempdir().unwrap();
    let root = write_story(dir.path(), 3000, 7);
    let load = super::common::load_args(dir.path().join("idx"), None);
    let session =
        auditlens::session::Session::new(auditlens::settings::Settings::from_args(&load).unwrap());
    let opened = session.open(&[root], &mut |_| {}, &mut |_| {}).unwrap();
    let service = opened.store().unwrap();
    let eval = opened.alerts(&RuleSet::defaults().unwrap()).unwrap();
    assert_eq!(eval.alerts.len(), 6);
    assert!(eval.notes.is_empty(), "{:?}", eval.notes);
    for a in &eval.alerts {
        for e in &a.evidence {
            let hit = service.service().get(e.ord.unwrap()).unwrap().unwrap();
            assert_eq!(
                (hit.event.origin.stream.as_ref(), hit.event.origin.seq),
                (e.stream.as_ref(), e.seq)
            );
            assert_eq!(hit.event.origin.line, e.line);
        }
    }
}

#[test]
fn rate_buckets_start_exactly_on_their_boundary() {
    let rule = json!({"id": "r", "title": "R", "severity": "warning", "why": "w", "kind": "rate",
        "query": "*", "bucket": "1h", "baseline": 4, "z": 3.0, "min_count": 4});
    let at_ms = |i: u64, ms: i64| {
        let mut e = ev(i, 0, "x");
        e.ts = Some(t0() + TimeDelta::milliseconds(ms));
        e
    };
    // One event in each of the first two hours, then four events: the first of them at
    // 02:59:59.999 (still the third hour), the other three at 03:00:00.000 and after.
    let evs = [
        at_ms(0, 0),
        at_ms(1, 3_600_000),
        at_ms(2, 3 * 3_600_000 - 1),
        at_ms(3, 3 * 3_600_000),
        at_ms(4, 3 * 3_600_000 + 1),
        at_ms(5, 3 * 3_600_000 + 2),
    ];
    assert!(run(&rule, &evs).is_empty(), "no hour holds four events");
    let mut evs = evs.to_vec();
    evs.push(at_ms(6, 4 * 3_600_000 - 1));
    let alerts = run(&rule, &evs);
    assert_eq!(alerts.len(), 1);
    assert_eq!(seqs(&alerts[0]), [3, 4, 5, 6]);
    assert_eq!(
        alerts[0].first_ts,
        Some(t0() + TimeDelta::hours(3)),
        "the bucket starts on the hour"
    );
}

#[test]
fn alerts_sort_for_display_by_severity_then_time() {
    let mut alerts = run(
        &json!({"id": "m", "title": "M", "severity": "info", "why": "w", "kind": "match", "query": "*"}),
        &[ev(0, 10, "x"), ev(1, 5, "x")],
    );
    let mut critical = alerts[0].clone();
    critical.severity = auditlens::model::Severity::Critical;
    critical.first_ts = Some(t0() + TimeDelta::days(1));
    alerts.push(critical);
    alerts.sort_by(Alert::by_severity_then_time);
    let order: Vec<(&str, u64)> = alerts
        .iter()
        .map(|a| (a.severity.as_str(), seqs(a)[0]))
        .collect();
    assert_eq!(order, [("critical", 0), ("info", 1), ("info", 0)]);
}

// ---- the sealed sample bundle of sample-data/ ----

fn sample_alerts(home: &Path, bundle: &str) -> Vec<Value> {
    let root = super::common::repo_root();
    let (_, v) = alerts_json(
        home,
        &[
            root.join(bundle).to_str().unwrap(),
            "--trust",
            root.join("sample-data/trust.json").to_str().unwrap(),
        ],
    );
    v["alerts"].as_array().unwrap().clone()
}

#[test]
fn sealed_sample_raises_the_six_planted_incidents_and_tampering_is_critical() {
    let dir = tempfile::tempdir().unwrap();
    let rules = |alerts: &[Value]| -> Vec<String> {
        alerts
            .iter()
            .map(|a| a["rule"].as_str().unwrap().to_owned())
            .collect()
    };
    let planted = [
        "failed-logins",
        "prod-deploy-unapproved",
        "pii-access-outside-roles",
        "drift-above-threshold",
        "audit-config-changed",
        "inference-error-spike",
    ];
    let pristine = sample_alerts(dir.path(), "sample-data/pristine");
    assert_eq!(rules(&pristine), planted);
    assert_eq!(evidence_of(&pristine[0]).len(), 14);
    // Each tampered copy adds one critical alert naming the tampered records.
    for (bundle, seqs) in [
        ("sample-data/tampered/modified-record.tar.gz", vec![936]),
        (
            "sample-data/tampered/swapped-records.tar.gz",
            vec![468, 469],
        ),
        (
            "sample-data/tampered/appended-records.tar.gz",
            vec![1872, 1873, 1874],
        ),
        ("sample-data/tampered/replayed-record.tar.gz", vec![4]),
    ] {
        let alerts = sample_alerts(dir.path(), bundle);
        let integrity: Vec<&Value> = alerts
            .iter()
            .filter(|a| a["rule"] == "integrity-failure")
            .collect();
        assert_eq!(integrity.len(), 1, "{bundle}: {alerts:#?}");
        assert_eq!(integrity[0]["severity"], "critical");
        let mut got: Vec<u64> = evidence_of(integrity[0]).iter().map(|(_, q)| *q).collect();
        got.sort_unstable();
        got.dedup();
        assert_eq!(got, seqs, "{bundle}");
        assert!(
            evidence_of(integrity[0])
                .iter()
                .all(|(s, _)| s == "platform")
        );
        let others: Vec<String> = rules(&alerts)
            .into_iter()
            .filter(|r| r != "integrity-failure")
            .collect();
        assert_eq!(others, planted, "{bundle}");
    }
}

#[test]
fn real_exports_raise_audit_trail_changes_and_human_secret_reads() {
    let Some(real) = super::common::realdata() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (code, v) = alerts_json(dir.path(), &[real.to_str().unwrap()]);
    assert_eq!(code, 1);
    let alerts = v["alerts"].as_array().unwrap();
    let details = |rule: &str| -> Vec<String> {
        alerts
            .iter()
            .filter(|a| a["rule"] == rule)
            .map(|a| a["detail"].as_str().unwrap().to_owned())
            .collect()
    };
    let audit = details("audit-config-changed");
    assert!(
        audit.iter().any(|d| d.contains("StopLogging")),
        "{audit:#?}"
    );
    assert!(
        audit.iter().any(|d| d.contains("DeleteTrail")),
        "{audit:#?}"
    );
    let secrets = details("secret-read-by-human");
    // Alert output is masked like every other output: the address shows as a***@example.com.
    assert!(
        secrets.iter().any(|d| d.contains("a***@example.com")),
        "{secrets:#?}"
    );
    assert!(
        !secrets.iter().any(|d| d.contains("attacker@example.com")),
        "{secrets:#?}"
    );
    // Every alert points at a readable line of a real file.
    for a in alerts {
        for e in a["evidence"].as_array().unwrap() {
            assert!(e["line"].as_u64().unwrap() >= 1);
            assert!(!e["path"].as_str().unwrap().is_empty());
        }
    }
}

/// The example of the README's rules-file section parses and behaves as it says.
#[test]
fn readme_rules_example_works() {
    let example = r#"{
  "disable": ["secret-read-by-human"],
  "rules": [
    {
      "id": "failed-logins",
      "title": "Repeated failed logins",
      "severity": "error",
      "why": "Password guessing.",
      "kind": "threshold",
      "query": "action:auth.login AND outcome:failure",
      "group_by_any": ["actor.id", "actor.ip"],
      "count": 3,
      "window": "5m"
    },
    {
      "id": "big-export",
      "title": "Large data export",
      "severity": "warning",
      "why": "Bulk exports leave the platform.",
      "kind": "numeric",
      "query": "action:data.export",
      "field": "details.rows",
      "op": "gt",
      "value": 50000
    }
  ]
}"#;
    let set = RuleSet::load(Some((example, "README example"))).unwrap();
    assert!(set.get("secret-read-by-human").is_none());
    assert_eq!(
        set.rules.len(),
        11,
        "10 defaults left, one replaced, one added"
    );
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules.json");
    std::fs::write(&rules, example).unwrap();
    let root = write_story(dir.path(), 3000, 7);
    let (_, v) = alerts_json(
        dir.path(),
        &[root.to_str().unwrap(), "--rules", rules.to_str().unwrap()],
    );
    let alerts = v["alerts"].as_array().unwrap();
    let of = |rule: &str| {
        alerts
            .iter()
            .filter(|a| a["rule"] == rule)
            .collect::<Vec<_>>()
    };
    assert_eq!(of("failed-logins")[0]["severity"], "error");
    let exports = of("big-export");
    assert_eq!(exports.len(), 1, "dave's 88,000-row export");
    assert!(
        exports[0]["detail"]
            .as_str()
            .unwrap()
            .contains("details.rows = 88000 > 50000")
    );
}
