//! Benchmark: every default alert rule over 1,000,000 sample-story events.
//!
//! The events are generated (`auditlens::sample::Story`), written as native records,
//! decoded and indexed into a temporary on-disk index; then a fresh process opens that
//! index and times `evaluate_index` with the default rules, so its peak RSS (`VmHWM`)
//! is the evaluation's alone. Target: under 5 s.
//!
//! `cargo bench --bench alerts` (`ALERTS_BENCH_EVENTS` changes the size).

#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::time::Instant;

use auditlens::alerts::RuleSet;
use auditlens::index::{BareIndex, CommitPolicy};
use auditlens::ingest::{GenericMapping, decode_record};
use auditlens::sample::Story;
use auditlens::session::alerts::evaluate as evaluate_index;

/// A `/proc/self/status` figure such as `VmHWM` (peak RSS) or `RssAnon`.
fn status(key: &str) -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(key) && l[key.len()..].starts_with(':'))
                .map(|l| l[key.len() + 1..].trim().to_owned())
        })
        .unwrap_or_else(|| "unknown".to_owned())
}

fn evaluate(dir: &str) {
    let service = BareIndex::open_in_dir(Path::new(dir))
        .unwrap()
        .store()
        .unwrap();
    let rules = RuleSet::defaults().unwrap();
    let started = Instant::now();
    let eval = evaluate_index(&service, &rules).unwrap();
    let secs = started.elapsed().as_secs_f64();
    let mut by_rule = std::collections::BTreeMap::new();
    for a in &eval.alerts {
        *by_rule.entry(a.rule.clone()).or_insert(0u64) += 1;
    }
    println!(
        "alerts: {} default rules over {} events: {secs:.2} s (target < 5 s), {} alert(s) {by_rule:?}",
        rules.rules.len(),
        service.service().num_docs(),
        eval.alerts.len()
    );
    println!(
        "alerts: evaluation process peak RSS (VmHWM): {}; now RssAnon {} (heap), RssFile {} (mapped index files)",
        status("VmHWM"),
        status("RssAnon"),
        status("RssFile")
    );
}

fn main() {
    if let Ok(dir) = std::env::var("ALERTS_BENCH_INDEX") {
        evaluate(&dir);
        return;
    }
    let n: u64 = std::env::var("ALERTS_BENCH_EVENTS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let tmp = tempfile::tempdir().unwrap();
    let mem = BareIndex::create_in_dir(tmp.path()).unwrap();
    let mut indexer = mem.indexer(400_000_000, 2, CommitPolicy::AT_END).unwrap();
    let started = Instant::now();
    let mut seqs = std::collections::HashMap::new();
    let mut line = String::new();
    for e in Story::new(n, 7) {
        let seq = seqs.entry(e.stream).or_insert(0u64);
        let mut rec = e.rec;
        rec.insert("stream".into(), e.stream.into());
        rec.insert("seq".into(), (*seq).into());
        *seq += 1;
        line.clear();
        line.push_str("{\"hash\":\"");
        line.push_str(&"0".repeat(64));
        line.push_str("\",\"rec\":");
        line.push_str(&serde_json::Value::Object(rec).to_string());
        line.push('}');
        let path = format!("streams/{}.jsonl", e.stream);
        for d in decode_record(
            &path,
            *seq,
            line.as_bytes(),
            &GenericMapping::shared_builtin(),
        )
        .unwrap()
        {
            indexer.add(&d.event, d.raw).unwrap();
        }
    }
    let docs = indexer.finish().unwrap();
    println!(
        "alerts: indexed {docs} generated events in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let status = std::process::Command::new(std::env::current_exe().unwrap())
        .env("ALERTS_BENCH_INDEX", tmp.path())
        .status()
        .unwrap();
    assert!(status.success());
}
