//! Index benchmark (issue: foundation): generate N events of the sample story, index them end
//! to end (parse + index + commit), reopen the cached index, and time term, boolean, range and
//! full-text queries (top 100 and count). Prints figures; asserts nothing about time.
//!
//! `cargo bench --bench index` (N = 1,000,000), or `AUDITLENS_BENCH_EVENTS=200000 cargo bench ...`.
//! Knobs for experiments: `AUDITLENS_BENCH_THREADS`, `AUDITLENS_BENCH_WRITER_MB`,
//! `AUDITLENS_BENCH_PARSE_ONLY=1` (loading alone, into a counting sink),
//! `AUDITLENS_BENCH_INPUT=FILE` (index this JSON-lines file instead of generating one; it is
//! kept), `AUDITLENS_BENCH_BUILD_ONLY=1` (stop after the build).

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use auditlens::index::{BuildOptions, SearchRequest, SearchService, open_or_build};
use auditlens::sample::Story;

fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn status_kib(key: &str) -> Option<u64> {
    std::fs::read_to_string("/proc/self/status")
        .ok()?
        .lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// Samples the anonymous (heap) resident memory every 20 ms and keeps the peak: unlike
/// `VmHWM` it leaves out the index files tantivy maps, which the kernel can drop at will.
struct AnonPeak {
    peak: std::sync::Arc<std::sync::atomic::AtomicU64>,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl AnonPeak {
    fn start() -> Self {
        use std::sync::atomic::Ordering;
        let peak = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (p, s) = (peak.clone(), stop.clone());
        std::thread::spawn(move || {
            while !s.load(Ordering::Relaxed) {
                if let Some(k) = status_kib("RssAnon:") {
                    p.fetch_max(k, Ordering::Relaxed);
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        });
        Self { peak, stop }
    }

    fn mib(&self) -> f64 {
        self.peak.load(std::sync::atomic::Ordering::Relaxed) as f64 / 1024.0
    }
}

impl Drop for AnonPeak {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
    }
}

/// CPU seconds (user + system) this process has used so far, from `/proc/self/stat`.
fn cpu_secs() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which is in parentheses and may hold spaces).
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        f.get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(f64::NAN)
    };
    // utime and stime are fields 14 and 15 of the whole line: 12 and 13 after the name.
    (ticks(11) + ticks(12)) / 100.0
}

fn reset_peak_rss() {
    // Linux: writing 5 resets the peak resident set size of this process.
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn write_jsonl(path: &Path, n: u64) -> u64 {
    let mut w = BufWriter::new(std::fs::File::create(path).expect("create bench input"));
    let mut bytes = 0u64;
    for e in Story::new(n, 42) {
        let line = serde_json::to_string(&e.rec).expect("serialise");
        bytes += line.len() as u64 + 1;
        writeln!(w, "{line}").expect("write");
    }
    w.flush().expect("flush");
    bytes
}

fn median(mut xs: Vec<Duration>) -> Duration {
    xs.sort();
    xs[xs.len() / 2]
}

fn time_query(s: &SearchService, name: &str, req: &SearchRequest) {
    let mut top = Vec::new();
    let mut count = Vec::new();
    let mut total = 0;
    for _ in 0..21 {
        let t = Instant::now();
        total = s.search(req).expect("search").total;
        top.push(t.elapsed());
        let t = Instant::now();
        s.count(req).expect("count");
        count.push(t.elapsed());
    }
    println!(
        "  {name:<34} {total:>9} hits   top-100 {:>8.2} ms   count {:>8.2} ms",
        median(top).as_secs_f64() * 1e3,
        median(count).as_secs_f64() * 1e3
    );
}

#[allow(clippy::too_many_lines)]
fn main() {
    let n: u64 = std::env::var("AUDITLENS_BENCH_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir().expect("tempdir");
    let given = std::env::var_os("AUDITLENS_BENCH_INPUT").map(PathBuf::from);
    let input: PathBuf = given
        .clone()
        .unwrap_or_else(|| dir.path().join("story.jsonl"));
    // Generate the input in a child process: the generator's day-sized buffers would
    // otherwise stay resident in this process and blur the memory figures below.
    if let Some(path) = std::env::var_os("AUDITLENS_BENCH_GENERATE_TO") {
        write_jsonl(Path::new(&path), n);
        return;
    }
    let t = Instant::now();
    if given.is_none() || !input.exists() {
        let status = std::process::Command::new(std::env::current_exe().expect("bench executable"))
            .env("AUDITLENS_BENCH_GENERATE_TO", &input)
            .status()
            .expect("run the generator");
        assert!(status.success(), "the generator failed");
    }
    let bytes = std::fs::metadata(&input).expect("generated input").len();
    println!(
        "input: {} ({:.0} MiB of JSON lines), ready in {:.1} s",
        input.display(),
        bytes as f64 / 1_048_576.0,
        t.elapsed().as_secs_f64()
    );

    if std::env::var_os("AUDITLENS_BENCH_PARSE_ONLY").is_some() {
        // Loading alone (sources, reader, adapters), into a sink that only counts: what the
        // pipeline costs and holds before tantivy.
        struct Count(u64);
        impl auditlens::ingest::EventSink for Count {
            fn event(&mut self, _e: auditlens::model::AuditEvent, _raw: &str) -> bool {
                self.0 += 1;
                true
            }
        }
        let anon = AnonPeak::start();
        let t = Instant::now();
        let mut sink = Count(0);
        let summary = auditlens::ingest::ingest(
            std::slice::from_ref(&input),
            auditlens::ingest::IngestOptions::default(),
            &mut sink,
            |_| {},
        );
        let secs = t.elapsed().as_secs_f64();
        println!(
            "parse only: {} events in {secs:.2} s, {:.0} events/s, heap peak {:.0} MiB",
            summary.events,
            summary.events as f64 / secs,
            anon.mib()
        );
        return;
    }
    reset_peak_rss();
    let anon = AnonPeak::start();
    let knob = |name: &str| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse::<usize>().ok())
    };
    let defaults = BuildOptions::default();
    let mut opts = BuildOptions {
        index_dir: Some(dir.path().join("cache")),
        writer_budget: knob("AUDITLENS_BENCH_WRITER_MB")
            .map_or(defaults.writer_budget, |mb| mb * 1_000_000),
        threads: knob("AUDITLENS_BENCH_THREADS").unwrap_or(defaults.threads),
        ..defaults
    };
    println!(
        "writer: {} MB, {} indexing threads",
        opts.writer_budget / 1_000_000,
        opts.threads
    );
    let cpu = cpu_secs();
    let t = Instant::now();
    let opened = open_or_build(
        std::slice::from_ref(&input),
        &mut opts,
        &mut |_| {},
        &mut |_| {},
    )
    .expect("build");
    let secs = t.elapsed().as_secs_f64();
    let cpu = cpu_secs() - cpu;
    println!(
        "index build (parse + index + commit): {:.2} s, {:.0} events/s, {:.0} MiB/s, CPU {cpu:.2} s, peak RSS {:.0} MiB (of which heap {:.0} MiB; the rest is mapped index files)",
        secs,
        opened.summary.events as f64 / secs,
        bytes as f64 / 1_048_576.0 / secs,
        peak_rss_mib(),
        anon.mib()
    );
    drop(opened);
    if std::env::var_os("AUDITLENS_BENCH_BUILD_ONLY").is_some() {
        return;
    }

    let t = Instant::now();
    let opened = open_or_build(
        std::slice::from_ref(&input),
        &mut opts,
        &mut |_| {},
        &mut |_| {},
    )
    .expect("reopen");
    assert!(opened.reused);
    let digest_and_open = t.elapsed();
    let t = Instant::now();
    let s = opened.service().expect("reader");
    println!(
        "reopen cached index: {:.3} s (content digest + open), reader {:.3} s",
        digest_and_open.as_secs_f64(),
        t.elapsed().as_secs_f64()
    );

    println!(
        "queries over {} events in {} segments (median of 21):",
        s.num_docs(),
        s.segments()
    );
    let q = |query: &str| SearchRequest {
        query: query.into(),
        limit: 100,
        ..SearchRequest::default()
    };
    time_query(&s, "all (*)", &q("*"));
    time_query(&s, "term actor.id:alice", &q("actor.id:alice"));
    time_query(
        &s,
        "term action:inference.predict",
        &q("action:inference.predict"),
    );
    time_query(
        &s,
        "boolean login AND failure",
        &q("action:auth.login AND outcome:failure"),
    );
    time_query(
        &s,
        "boolean deploy AND production",
        &q("action:model.deploy AND environment:production"),
    );
    time_query(
        &s,
        "range ts (one day)",
        &q("ts:[2026-03-09T00:00:00Z TO 2026-03-10T00:00:00Z}"),
    );
    let windowed = SearchRequest {
        from: chrono::DateTime::parse_from_rfc3339("2026-03-05T00:00:00Z")
            .ok()
            .map(|t| t.to_utc()),
        to: chrono::DateTime::parse_from_rfc3339("2026-03-06T00:00:00Z")
            .ok()
            .map(|t| t.to_utc()),
        ..q("action:api.call")
    };
    time_query(&s, "term + --from/--to window", &windowed);
    time_query(&s, "full text: drift", &q("drift"));
    time_query(
        &s,
        "full text phrase \"bad password\"",
        &q("\"bad password\""),
    );
    time_query(
        &s,
        "details.drift_score:[0.2 TO 1]",
        &q("details.drift_score:[0.2 TO 1]"),
    );
    // The evidence query of an alert: up to 200 ordinals spread over the whole index.
    let n_docs = s.num_docs();
    let evidence: Vec<String> = (0..200u64)
        .map(|i| format!("ord:{}", i * (n_docs / 200).max(1)))
        .collect();
    time_query(
        &s,
        "alert evidence (200 ord: terms)",
        &q(&evidence.join(" OR ")),
    );
    println!("peak RSS overall: {:.0} MiB", peak_rss_mib());
}
