//! Benchmark: seal a 1,000,000-record signed bundle with `BundleWriter`, verify it (the
//! Merkle fast path), then verify it again with one record modified (backwards walk and
//! Merkle repair). Prints records/s and peak RSS (`VmHWM`). Run:
//! `cargo bench --bench verify` (optionally `-- RECORDS`).

use std::time::Instant;

use auditlens::integrity::{
    BundleWriter, SigningKey, TrustEntry, TrustStore, VerifyOptions, verify_bundle,
};
use serde_json::{Map, Value, json};

fn rec(i: u64) -> Map<String, Value> {
    let Value::Object(m) = json!({
        "ts": format!("2024-03-01T{:02}:{:02}:{:02}.{:03}Z", i / 3_600_000 % 24, i / 60_000 % 60, i / 1000 % 60, i % 1000),
        "action": "inference.predict",
        "category": "inference",
        "severity": "info",
        "outcome": "success",
        "actor": {"id": format!("svc-{}", i % 17), "type": "service"},
        "resource": {"type": "endpoint", "id": "fraud-scorer-prod"},
        "model": {"id": "fraud-scorer", "version": "7"},
        "correlation_id": format!("req-{i:012}"),
        "environment": "production",
        "message": format!("prediction {i} served"),
        "details": {"latency_ms": i % 250, "score": 0.125, "features": 42},
    }) else {
        unreachable!()
    };
    m
}

fn peak_rss_kib() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    s.lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// CPU time of this thread in seconds (`/proc/thread-self/schedstat`): the machine may be
/// shared, so records per CPU-second is the per-core figure.
fn cpu_secs() -> f64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<u64>().ok())
        .map_or(f64::NAN, |ns| ns as f64 / 1e9)
}

fn reset_peak() {
    // Linux: writing 5 resets the peak RSS counter.
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn main() {
    let n: u64 = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("bundle");
    let key = SigningKey::from_seed([7; 32]);
    let created = "2024-03-02T00:00:00Z".parse().expect("time");
    let started = Instant::now();
    let mut w = BundleWriter::create(&out, "bench", 0, created, "bench", "1").expect("create");
    for i in 0..n {
        w.append("predictions", rec(i)).expect("append");
    }
    let summary = w.finish(Some(&key)).expect("finish");
    let secs = started.elapsed().as_secs_f64();
    let bytes = std::fs::metadata(out.join("streams/predictions.jsonl")).map_or(0, |m| m.len());
    println!(
        "seal:   {n} records, {:.1} MB in {secs:.2} s = {:.0} records/s",
        bytes as f64 / 1e6,
        n as f64 / secs
    );
    let _ = summary;
    let trust = TrustStore {
        keys: vec![TrustEntry::new(&key.verifying_key(), "bench", created)],
    };
    let opts = VerifyOptions {
        trust: Some(&trust),
        ..VerifyOptions::default()
    };
    for pass in [
        "pristine (Merkle fast path)",
        "one record modified (walk + repair)",
    ] {
        if pass.starts_with("one") {
            // Flip one byte of a record in the middle (same length, stored hash kept).
            let p = out.join("streams/predictions.jsonl");
            let mut b = std::fs::read(&p).expect("read");
            let mid = b.len() / 2;
            let at = mid
                + b[mid..]
                    .windows(10)
                    .position(|w| w == b"prediction")
                    .expect("pos");
            b[at] = b'P';
            std::fs::write(&p, b).expect("write");
        }
        reset_peak();
        let started = Instant::now();
        let cpu0 = cpu_secs();
        let r = verify_bundle(&out, &opts).expect("verify");
        let secs = started.elapsed().as_secs_f64();
        let cpu = cpu_secs() - cpu0;
        println!(
            "verify: {pass}: {} lines, verdict {}, {secs:.2} s wall = {:.0} records/s; {cpu:.2} s CPU = {:.0} records/s per core ({:.0} MB/s), peak RSS {} MiB",
            r.lines(),
            r.verdict,
            r.lines() as f64 / secs,
            r.lines() as f64 / cpu,
            bytes as f64 / 1e6 / cpu,
            peak_rss_kib().map_or_else(|| "?".to_owned(), |k| (k / 1024).to_string())
        );
    }
}
