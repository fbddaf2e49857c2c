//! Remote backend figures, in one run: push throughput into a real Quickwit server
//! (`../shared/tools/quickwit`, started here on a free port) and the latency of count,
//! top-100 and histogram there, next to the local index's on the same events.
//!
//! `cargo bench --bench remote` (1M events; `AUDITLENS_BENCH_EVENTS=N` for another size).

#![allow(clippy::unwrap_used)]

#[path = "../tests/support/quickwit.rs"]
mod quickwit;

use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use auditlens::remote::{self, PushOptions, RemoteStore, Target};
use auditlens::store::{PageRequest, Selection, SortOrder, Store};

fn events() -> usize {
    std::env::var("AUDITLENS_BENCH_EVENTS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000)
}

/// Generic JSON lines: `n` events a second apart, ten users, a tenth of them errors.
fn write_events(path: &std::path::Path, n: usize) {
    let mut w = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let start = chrono::DateTime::parse_from_rfc3339("2024-01-01T00:00:00Z").unwrap();
    for i in 0..n {
        let t = start + chrono::Duration::seconds(i as i64);
        writeln!(
            w,
            "{{\"time\":\"{}\",\"user\":\"user{}\",\"action\":\"api.{}\",\"level\":\"{}\",\"msg\":\"call number {i} from host{}\",\"details\":{{\"n\":{i}}}}}",
            t.to_rfc3339(),
            i % 10,
            ["get", "put", "delete", "list"][i % 4],
            if i % 10 == 0 { "error" } else { "info" },
            i % 97
        )
        .unwrap();
    }
}

/// Median wall time of `f` over five runs, in ms.
fn median_ms(f: &mut dyn FnMut()) -> f64 {
    let mut t: Vec<f64> = (0..5)
        .map(|_| {
            let s = Instant::now();
            f();
            s.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    t.sort_by(f64::total_cmp);
    t[2]
}

fn main() {
    let binary = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/tools/quickwit");
    if !binary.exists() {
        println!("skipping: {} is absent", binary.display());
        return;
    }
    let n = events();
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("events.jsonl");
    write_events(&input, n);
    let load = auditlens::cli::LoadArgs {
        index_dir: Some(dir.path().join("idx")),
        reindex: false,
        max_line_bytes: 1 << 20,
        max_document_bytes: 1 << 30,
        writer_mb: auditlens::index::DEFAULT_WRITER_MB,
        trust: None,
        unmask: false,
        role: None,
        no_trail: true,
        threads: None,
    };
    let session =
        auditlens::session::Session::new(auditlens::settings::Settings::from_args(&load).unwrap());
    let started = Instant::now();
    let opened = session
        .open(std::slice::from_ref(&input), &mut |_| {}, &mut |_| {})
        .unwrap();
    let local_build = started.elapsed().as_secs_f64();
    let local = opened.store().unwrap();
    assert_eq!(local.len(), n as u64);

    let server = quickwit::Server::start(&binary);
    let target = Target::parse(&server.base, Some("bench")).unwrap();
    let client = remote::Client::new(&target.base, Duration::from_secs(120));
    let opts = PushOptions {
        retention: Some("180 days".into()),
        mask: None,
        batch: 10_000,
        max_batches: None,
        inputs: Vec::new(),
        attested: serde_json::Value::Null,
    };
    let started = Instant::now();
    let report = remote::push(
        &client,
        &target,
        &local,
        opened.digest(),
        &opts,
        &mut |_| {},
    )
    .unwrap();
    let push_secs = started.elapsed().as_secs_f64();
    assert_eq!(report.pushed, n as u64);
    let store = RemoteStore::open(target, Duration::from_secs(120)).unwrap();
    let wait = Instant::now();
    while store.len() < n as u64 && wait.elapsed() < Duration::from_secs(300) {
        std::thread::sleep(Duration::from_millis(500));
    }
    assert_eq!(store.len(), n as u64);

    println!("events: {n}");
    println!(
        "local index build: {local_build:.1} s ({:.0} events/s)",
        n as f64 / local_build
    );
    println!(
        "push to Quickwit:  {push_secs:.1} s ({:.0} events/s, batches of {})",
        n as f64 / push_secs,
        opts.batch
    );
    latencies(&local, &store);
}

/// One probe: a name and what it runs on a store.
type Probe<'a> = (&'a str, Box<dyn Fn(&dyn Store)>);

/// The median latency of each probe on the local and the remote store.
fn latencies(local: &dyn Store, store: &dyn Store) {
    println!(
        "{:<34} {:>10} {:>10}",
        "query (median of 5)", "local ms", "remote ms"
    );
    let stores: [&dyn Store; 2] = [local, store];
    let top = PageRequest {
        offset: 0,
        limit: 100,
        order: SortOrder::NewestFirst,
    };
    let sel = |q: &str| Selection {
        query: q.to_owned(),
        ..Selection::default()
    };
    let probes: Vec<Probe> = vec![
        (
            "count *",
            Box::new(move |s| {
                std::hint::black_box(s.count(&sel("*")).unwrap());
            }),
        ),
        (
            "count severity:error",
            Box::new(move |s| {
                std::hint::black_box(s.count(&sel("severity:error")).unwrap());
            }),
        ),
        (
            "top-100 *",
            Box::new(move |s| {
                std::hint::black_box(s.page(&sel("*"), &top).unwrap());
            }),
        ),
        (
            "top-100 host42",
            Box::new(move |s| {
                std::hint::black_box(s.page(&sel("host42"), &top).unwrap());
            }),
        ),
        (
            "histogram * (60 buckets)",
            Box::new(move |s| {
                std::hint::black_box(s.histogram(&sel("*"), None, 60).unwrap());
            }),
        ),
        (
            "histogram actor.id:user3",
            Box::new(move |s| {
                std::hint::black_box(s.histogram(&sel("actor.id:user3"), None, 60).unwrap());
            }),
        ),
    ];
    for (name, probe) in &probes {
        let ms: Vec<f64> = stores
            .iter()
            .map(|s| median_ms(&mut || probe(*s)))
            .collect();
        println!("{name:<34} {:>10.1} {:>10.1}", ms[0], ms[1]);
    }
}
