//! Lineage benchmark (`cargo bench --bench lineage`): builds the graph over generated events
//! (default 1,000,000; `LINEAGE_BENCH_EVENTS` overrides) and prints the build time against
//! plain parsing, the saved size and reload time, one model's tree query time (target under
//! 100 ms) and the peak RSS. With `LINEAGE_BENCH_INDEX=N`, also indexes N events into a
//! temporary cache with and without the lineage observer and prints both times.

use std::hint::black_box;
use std::io::Write as _;
use std::time::{Duration, Instant};

use auditlens::ingest::{GenericMapping, decode_record};
use auditlens::lineage::{Graph, GraphBuilder};

const MODELS: u64 = 40;
const VERSIONS: u64 = 25;

/// The `n`-th generated event as a JSON line (event-model fields, generic adapter).
fn event(n: u64, total: u64) -> String {
    // Lineage events of every model version are spread evenly; the rest are predictions
    // and platform noise, as in a real serving platform.
    let versions = MODELS * VERSIONS;
    let lineage_every = (total / (versions * 12)).max(1);
    let ts = format!(
        "2026-03-{:02}T{:02}:{:02}:{:02}Z",
        1 + (n * 28 / total.max(1)),
        (n / 3600) % 24,
        (n / 60) % 60,
        n % 60
    );
    if n.is_multiple_of(lineage_every) {
        let k = n / lineage_every;
        let step = k % 12;
        let mv = (k / 12) % versions;
        let (m, v) = (mv % MODELS, mv / MODELS + 1);
        let model = format!("model-{m}");
        let run = format!("run-{model}-{v}");
        let ds = format!("ds-{}", m % 10);
        return match step {
            0 => format!(
                r#"{{"ts":"{ts}","action":"data.ingest","outcome":"success","inputs":[{{"type":"source","id":"s3://raw/{ds}"}}],"outputs":[{{"type":"dataset","id":"{ds}-raw","version":"{v}"}}]}}"#
            ),
            1 => format!(
                r#"{{"ts":"{ts}","action":"data.transform","outcome":"success","inputs":[{{"type":"dataset","id":"{ds}-raw","version":"{v}"}}],"outputs":[{{"type":"dataset","id":"{ds}-clean","version":"{v}"}}]}}"#
            ),
            2 => format!(
                r#"{{"ts":"{ts}","action":"feature.create","outcome":"success","inputs":[{{"type":"dataset","id":"{ds}-clean","version":"{v}"}},{{"type":"dataset","id":"customers-clean","version":"1"}}],"outputs":[{{"type":"feature_set","id":"{model}-features","version":"{v}"}}]}}"#
            ),
            3 => format!(
                r#"{{"ts":"{ts}","action":"model.train.start","outcome":"success","run_id":"{run}","model":{{"id":"{model}"}},"inputs":[{{"type":"feature_set","id":"{model}-features","version":"{v}"}}]}}"#
            ),
            4 => format!(
                r#"{{"ts":"{ts}","action":"model.train.complete","outcome":"success","run_id":"{run}","model":{{"id":"{model}","version":"{v}"}},"inputs":[{{"type":"feature_set","id":"{model}-features","version":"{v}"}}],"outputs":[{{"type":"model_version","id":"{model}","version":"{v}"}}]}}"#
            ),
            5 => format!(
                r#"{{"ts":"{ts}","action":"model.register","outcome":"success","run_id":"{run}","model":{{"id":"{model}","version":"{v}"}},"inputs":[{{"type":"run","id":"{run}"}}],"outputs":[{{"type":"model_version","id":"{model}","version":"{v}"}}]}}"#
            ),
            6 | 7 => format!(
                r#"{{"ts":"{ts}","action":"model.evaluate","outcome":"success","run_id":"{run}","model":{{"id":"{model}","version":"{v}"}},"details":{{"metrics":{{"auc":0.91,"precision":0.8,"recall":0.7}},"threshold":0.85}}}}"#
            ),
            8 => format!(
                r#"{{"ts":"{ts}","action":"model.approve","outcome":"success","actor":{{"id":"carol"}},"model":{{"id":"{model}","version":"{v}"}}}}"#
            ),
            9 | 10 => {
                let env = if step == 9 { "staging" } else { "production" };
                format!(
                    r#"{{"ts":"{ts}","action":"model.deploy","outcome":"success","environment":"{env}","model":{{"id":"{model}","version":"{v}"}},"outputs":[{{"type":"deployment","id":"{model}-{env}"}}],"resource":{{"type":"deployment","id":"{model}-{env}"}}}}"#
                )
            }
            _ => format!(
                r#"{{"ts":"{ts}","action":"monitor.drift","outcome":"success","model":{{"id":"{model}","version":"{v}"}},"details":{{"drift_score":0.02,"threshold":0.1}}}}"#
            ),
        };
    }
    let m = n % MODELS;
    let v = (n / 7) % VERSIONS + 1;
    if n % 10 < 7 {
        format!(
            r#"{{"ts":"{ts}","action":"inference.predict","outcome":"success","actor":{{"id":"svc-serving","type":"service"}},"environment":"production","model":{{"id":"model-{m}","version":"{v}"}},"resource":{{"type":"endpoint","id":"model-{m}-prod-endpoint"}},"correlation_id":"req-{n}","details":{{"prediction":0.{}}}}}"#,
            n % 97
        )
    } else {
        format!(
            r#"{{"ts":"{ts}","action":"api.call","outcome":"success","actor":{{"id":"user-{}","type":"user","ip":"10.20.0.{}"}},"resource":{{"type":"endpoint","id":"/api/v1/items/{}"}},"message":"GET items"}}"#,
            n % 13,
            n % 250,
            n % 1000
        )
    }
}

fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

#[allow(clippy::too_many_lines)]
fn main() {
    let total: u64 = std::env::var("LINEAGE_BENCH_EVENTS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    println!("lineage bench: {total} generated events ({MODELS} models x {VERSIONS} versions)");
    let rss_start = peak_rss_mb();

    // Generation, parsing and graph building are timed apart, batch by batch, so that the
    // graph's cost is measured on exactly the events the parser produced.
    let mut generate = Duration::ZERO;
    let mut parse = Duration::ZERO;
    let mut build = Duration::ZERO;
    let mut builder = GraphBuilder::new();
    let mut batch_lines = Vec::with_capacity(4096);
    let mut batch = Vec::with_capacity(4096);
    let mut n = 0;
    while n < total {
        let t = Instant::now();
        batch_lines.clear();
        let end = (n + 4096).min(total);
        batch_lines.extend((n..end).map(|i| event(i, total)));
        generate += t.elapsed();
        let t = Instant::now();
        batch.clear();
        for (i, l) in batch_lines.iter().enumerate() {
            let decoded = decode_record(
                "bench.jsonl",
                n + i as u64 + 1,
                l.as_bytes(),
                &GenericMapping::shared_builtin(),
            )
            .expect("decodes");
            batch.extend(decoded.into_iter().map(|d| d.event));
        }
        parse += t.elapsed();
        let t = Instant::now();
        for e in &batch {
            builder.observe(e);
        }
        build += t.elapsed();
        n = end;
    }
    let t = Instant::now();
    let graph = builder.finish();
    let finish = t.elapsed();
    drop(batch);
    drop(batch_lines);
    println!(
        "graph: {} nodes, {} edges, {} model versions, {} runs, {} cycles",
        graph.nodes().len(),
        graph.edges().len(),
        graph.versions().len(),
        graph.runs().len(),
        graph.cycles().len()
    );
    println!("generate lines:      {:9.1} ms", ms(generate));
    println!("parse (decode):      {:9.1} ms", ms(parse));
    println!(
        "graph fold:          {:9.1} ms  (+{:.1}% over parsing)",
        ms(build),
        100.0 * build.as_secs_f64() / parse.as_secs_f64().max(1e-9)
    );
    println!("graph finish:        {:9.1} ms", ms(finish));
    let t = Instant::now();
    let bytes = graph.to_bytes();
    let save = t.elapsed();
    let t = Instant::now();
    let loaded = Graph::from_bytes(&bytes).expect("reads back");
    let load = t.elapsed();
    println!(
        "save: {:.1} ms, {:.1} KB; load (open): {:.1} ms",
        ms(save),
        bytes.len() as f64 / 1024.0,
        ms(load)
    );

    let mut times = Vec::new();
    let mut tree = None;
    for _ in 0..20 {
        let t = Instant::now();
        tree = black_box(loaded.model_tree("model-7"));
        times.push(t.elapsed());
    }
    times.sort();
    let tree = tree.expect("model-7 exists");
    println!(
        "tree query model-7: median {:.2} ms, max {:.2} ms ({} versions, {} nodes, {} edges; target < 100 ms)",
        ms(times[times.len() / 2]),
        ms(times[times.len() - 1]),
        tree.versions.len(),
        tree.nodes.len(),
        tree.edges.len()
    );
    let t = Instant::now();
    let json = serde_json::to_string(&tree.to_json()).expect("json");
    let text = auditlens::lineage::model_text(&tree);
    println!(
        "render json+text: {:.2} ms ({} + {} bytes)",
        ms(t.elapsed()),
        json.len(),
        text.len()
    );
    let t = Instant::now();
    let impact = black_box(loaded.impact("customers-clean", None)).expect("dataset");
    println!(
        "impact customers-clean: {:.2} ms ({} nodes downstream)",
        ms(t.elapsed()),
        impact.downstream.len()
    );
    println!(
        "peak RSS: {:.1} MB (at start {:.1} MB)",
        peak_rss_mb(),
        rss_start
    );

    if let Some(k) = std::env::var("LINEAGE_BENCH_INDEX")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
    {
        index_comparison(k);
    }
}

/// Indexes `k` events twice (no observer, lineage observer) and prints both build times.
fn index_comparison(k: u64) {
    use auditlens::index::{BuildOptions, open_or_build};
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("events.jsonl");
    {
        let mut f = std::io::BufWriter::new(std::fs::File::create(&file).expect("create"));
        for i in 0..k {
            writeln!(f, "{}", event(i, k)).expect("write");
        }
    }
    let paths = vec![file];
    let run = |with_lineage: bool| {
        let mut opts = BuildOptions {
            index_dir: Some(
                dir.path()
                    .join(if with_lineage { "with" } else { "without" }),
            ),
            reindex: true,
            ..BuildOptions::default()
        };
        if with_lineage {
            opts.observers
                .push(Box::new(auditlens::session::LineageObserver::default()));
        }
        let t = Instant::now();
        let opened = open_or_build(&paths, &mut opts, &mut |_| {}, &mut |_| {}).expect("index");
        (t.elapsed(), opened.summary.events)
    };
    // Alternate the two builds and keep each one's best time: the machine is shared.
    let mut without = Duration::MAX;
    let mut with = Duration::MAX;
    let mut events = 0;
    for _ in 0..3 {
        let (t, n) = run(false);
        without = without.min(t);
        events = n;
        with = with.min(run(true).0);
    }
    println!(
        "indexing {events} events (best of 3 each): {:.0} ms without lineage, {:.0} ms with (+{:.1}%)",
        ms(without),
        ms(with),
        100.0 * (with.as_secs_f64() / without.as_secs_f64() - 1.0)
    );
}
