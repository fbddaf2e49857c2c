//! Masking throughput: `Masker::mask_event` and `Masker::mask_record` on typical records, with
//! and without secrets in them. Prints events/s and MB/s; run with `cargo bench --bench masking`.

use std::hint::black_box;
use std::time::Instant;

use auditlens::ingest::{GenericMapping, decode_record};
use auditlens::privacy::Masker;
use serde_json::json;

fn main() {
    let clean = json!({"time": "2024-03-01T12:00:00Z", "user": "svc-train", "action": "model.train.start",
        "level": "info", "msg": "training run 550e8400-e29b-41d4-a716-446655440000 started on 10.0.0.12",
        "details": {"run_id": "run-20240301-0001", "model": "fraud-detector", "version": "3.1.0",
            "dataset": "s3://bucket/train/part-0001.parquet", "sha256": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            "params": {"lr": 0.001, "epochs": 20, "max_tokens": 512}}})
    .to_string();
    let dirty = json!({"time": "2024-03-01T12:00:00Z", "user": "mary@example.org", "action": "api.call",
        "level": "info", "msg": "login by mary@example.org key AKIAIOSFODNN7EXAMPLE Authorization: Bearer abcdefghijklmnop",
        "details": {"password": "hunter2", "url": "https://bob:pw@db.example.com/x", "card": "4111 1111 1111 1111",
            "phone": "+44 20 7946 0958", "note": "secret=abc token=def"}})
    .to_string();
    let masker = Masker::default_policy();
    for (name, rec) in [("clean", &clean), ("with secrets", &dirty)] {
        let decoded = decode_record(
            "bench.jsonl",
            1,
            rec.as_bytes(),
            &GenericMapping::shared_builtin(),
        )
        .expect("decodes");
        let ev = &decoded[0].event;
        let n = 20_000u32;
        let start = Instant::now();
        for _ in 0..n {
            black_box(masker.mask_event(black_box(ev)));
            black_box(masker.mask_record(black_box(ev), black_box(rec)));
        }
        let secs = start.elapsed().as_secs_f64();
        println!(
            "mask_event + mask_record, {name:<13} {:>9.0} events/s  {:>6.1} MB/s of records",
            f64::from(n) / secs,
            f64::from(n) * rec.len() as f64 / secs / 1e6
        );
    }
}
