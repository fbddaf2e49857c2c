//! Explorer benchmark (prints figures; not a pass/fail test).
//!
//! With a 1,000,000-event bundle (generated once into `target/bench-data/`):
//! - time to the first screen of events on a first open (live build) and on a cached open;
//! - keystroke-to-frame time including the query (p50 / p95), for typing, moving, paging
//!   and jumping to the end;
//! - peak RSS.
//!
//! Run with `cargo bench --bench tui` (release). `AUDITLENS_BENCH_EVENTS` changes the size.

#![allow(
    clippy::unwrap_used,
    clippy::cast_possible_truncation,
    clippy::too_many_lines
)]

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::sync::mpsc::channel;
use std::time::{Duration, Instant};

use auditlens::app::{Action, AppState, Effect, Job, execute, update};
use auditlens::index::{BuildOptions, LiveEvent, LocalStore, build_live};
use auditlens::store::Store as _;
use auditlens::ui::{Keymap, Theme, UiViews};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

const ACTORS: &[&str] = &[
    "alice",
    "bob",
    "carol",
    "dave",
    "erin",
    "frank",
    "svc-pipeline",
    "svc-serving",
    "svc-monitor",
];
const ACTIONS: &[&str] = &[
    "api.call",
    "auth.login",
    "data.access",
    "data.transform",
    "model.train.start",
    "model.train.complete",
    "model.evaluate",
    "model.deploy",
    "inference.predict",
    "monitor.metric",
];
const SEVERITIES: &[&str] = &["info", "info", "info", "info", "notice", "warning", "error"];
const WORDS: &[&str] = &[
    "request", "served", "latency", "batch", "feature", "drift", "check", "token", "refresh",
    "export", "snapshot", "quota", "retry", "cache", "warmup",
];

/// A deterministic generator (xorshift).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[(self.next() % xs.len() as u64) as usize]
    }
}

fn generate(path: &Path, n: u64) {
    if std::fs::metadata(path).is_ok_and(|m| m.len() > 0) {
        return;
    }
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let tmp = path.with_extension("tmp");
    let mut out = std::io::BufWriter::new(std::fs::File::create(&tmp).unwrap());
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let start = 1_772_409_600_000i64; // 2026-03-02T00:00:00Z
    let span = 30 * 86_400_000i64;
    for i in 0..n {
        let ts = start + (i as i64 * span / n as i64);
        let ts = chrono::DateTime::from_timestamp_millis(ts).unwrap();
        let outcome = if rng.next().is_multiple_of(50) {
            "failure"
        } else {
            "success"
        };
        writeln!(
            out,
            r#"{{"ts":"{}","action":"{}","actor":"{}","ip":"10.20.{}.{}","severity":"{}","outcome":"{}","correlation_id":"req-{}","run_id":"run-{}","message":"{} {} {}"}}"#,
            ts.format("%Y-%m-%dT%H:%M:%S%.3fZ"),
            rng.pick(ACTIONS),
            rng.pick(ACTORS),
            rng.next() % 256,
            rng.next() % 256,
            rng.pick(SEVERITIES),
            outcome,
            i / 4,
            i / 1000,
            rng.pick(WORDS),
            rng.pick(WORDS),
            rng.pick(WORDS),
        )
        .unwrap();
    }
    out.flush().unwrap();
    drop(out);
    std::fs::rename(tmp, path).unwrap();
}

fn render(
    term: &mut Terminal<TestBackend>,
    state: &AppState,
    views: &mut UiViews,
    theme: &Theme,
    keymap: &Keymap,
) {
    term.draw(|f| auditlens::ui::render(f, state, views, theme, keymap))
        .unwrap();
}

/// Applies an action and every effect it causes, synchronously.
fn settle(state: &mut AppState, svc: &LocalStore, action: Action) {
    let mut queue = std::collections::VecDeque::from([action]);
    while let Some(a) = queue.pop_front() {
        for e in update(state, a) {
            match e {
                Effect::Run(job) => queue.push_back(execute(svc, job, None)),
                Effect::ReloadReader => svc.refresh().unwrap(),
                _ => {}
            }
        }
    }
}

/// Opens `input` with a live build (or the cache) and returns the time until the first
/// frame showing events, and the service once the build is done.
fn open(input: &Path, cache: &Path, size: (u16, u16)) -> (Duration, Duration, LocalStore) {
    let started = Instant::now();
    let (tx, rx) = channel();
    let cancel = Arc::new(AtomicBool::new(false));
    let paths = vec![input.to_owned()];
    let cache = cache.to_owned();
    let builder = std::thread::spawn(move || {
        let mut opts = BuildOptions {
            index_dir: Some(cache),
            threads: 2,
            ..BuildOptions::default()
        };
        let tx2 = tx.clone();
        build_live(&paths, &mut opts, &cancel, move |ev| {
            let _ = tx2.send(ev);
        })
        .unwrap();
    });
    let theme = Theme::builtin("dark", false).unwrap();
    let keymap = Keymap::builtin();
    let mut term = Terminal::new(TestBackend::new(size.0, size.1)).unwrap();
    let mut views = UiViews::default();
    let mut state = AppState::new(input.display().to_string(), size);
    let mut svc: Option<LocalStore> = None;
    let mut first_screen = None;
    let mut done_at = None;
    for ev in rx {
        match ev {
            LiveEvent::Opened {
                store: s,
                complete,
                pending,
            } => {
                settle(&mut state, &s, Action::IndexOpened { complete, pending });
                svc = Some(s);
            }
            LiveEvent::Progress(p) => {
                if let Some(s) = &svc {
                    settle(&mut state, s, Action::IndexProgress(p));
                }
            }
            LiveEvent::Notice(_) => {}
            LiveEvent::Committed { docs } => {
                if let Some(s) = &svc {
                    settle(&mut state, s, Action::Committed { docs });
                }
            }
            LiveEvent::Done(opened) => {
                done_at = Some(started.elapsed());
                if !opened.reused {
                    let s = opened.store().unwrap();
                    settle(
                        &mut state,
                        &s,
                        Action::IndexDone {
                            events: opened.summary.events,
                            errors: opened.summary.errors_total,
                            skipped: opened.summary.skipped,
                            reused: false,
                            problems: vec![],
                        },
                    );
                    svc = Some(s);
                }
            }
        }
        render(&mut term, &state, &mut views, &theme, &keymap);
        if first_screen.is_none() && !state.window.hits.is_empty() {
            first_screen = Some(started.elapsed());
        }
    }
    builder.join().unwrap();
    (
        first_screen.unwrap_or_default(),
        done_at.unwrap_or_default(),
        svc.unwrap(),
    )
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn main() {
    let n: u64 = std::env::var("AUDITLENS_BENCH_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-data");
    let input = root.join(format!("events-{n}.jsonl"));
    let t = Instant::now();
    generate(&input, n);
    let bytes = std::fs::metadata(&input).unwrap().len();
    println!(
        "bundle: {n} events, {:.0} MiB ({:.1} s to generate or reuse)",
        bytes as f64 / 1_048_576.0,
        t.elapsed().as_secs_f64()
    );
    let cache = root.join(format!("cache-{n}"));
    let _ = std::fs::remove_dir_all(&cache);
    let size = (120, 40);

    let (first, done, _) = open(&input, &cache, size);
    println!(
        "first open:  first screen of events after {:.0} ms; index complete after {:.1} s",
        first.as_secs_f64() * 1000.0,
        done.as_secs_f64()
    );
    let (first_cached, _, svc) = open(&input, &cache, size);
    println!(
        "cached open: first screen of events after {:.0} ms",
        first_cached.as_secs_f64() * 1000.0
    );

    // Keystroke to frame, including the query.
    let theme = Theme::builtin("dark", false).unwrap();
    let keymap = Keymap::builtin();
    let mut term = Terminal::new(TestBackend::new(size.0, size.1)).unwrap();
    let mut views = UiViews::default();
    let mut state = AppState::new("bench", size);
    settle(
        &mut state,
        &svc,
        Action::IndexOpened {
            complete: true,
            pending: false,
        },
    );
    render(&mut term, &state, &mut views, &theme, &keymap);
    // Per keystroke, as in the threaded explorer: the frame is ready as soon as the rows on
    // screen are known. Scrolling inside the fetched window draws at once while the next
    // window is fetched in the background (its cost is in the second column); a new query
    // or a jump outside the window waits for its page. The second column adds the timeline
    // and every background job (the frame after all work for that key is done).
    let mut groups: Vec<(&str, Vec<Duration>, Vec<Duration>)> = Vec::new();
    let mut measure = |name: &'static str, actions: Vec<Action>, state: &mut AppState| {
        let (mut first, mut full) = (Vec::new(), Vec::new());
        for a in actions {
            let t = Instant::now();
            let mut background = Vec::new();
            let mut queue = std::collections::VecDeque::from([a]);
            while let Some(a) = queue.pop_front() {
                for e in update(state, a) {
                    if let Effect::Run(job) = e {
                        background.push(job);
                    }
                }
                let ready =
                    state.selected_hit().is_some() && state.requested_query == state.shown_query;
                if !ready {
                    // Wait for the page (and locate) answers, as the screen would.
                    let (now, later): (Vec<Job>, Vec<Job>) = background
                        .drain(..)
                        .partition(|j| matches!(j, Job::Page { .. } | Job::Locate { .. }));
                    background = later;
                    queue.extend(now.into_iter().map(|j| execute(&svc, j, None)));
                }
            }
            render(&mut term, state, &mut views, &theme, &keymap);
            first.push(t.elapsed());
            for job in background {
                settle(state, &svc, execute(&svc, job, None));
            }
            render(&mut term, state, &mut views, &theme, &keymap);
            full.push(t.elapsed());
        }
        groups.push((name, first, full));
    };
    let moves: Vec<Action> = (0..200).map(|_| Action::MoveDown).collect();
    measure("move down (j)", moves, &mut state);
    let pages: Vec<Action> = (0..100).map(|_| Action::PageDown).collect();
    measure("page down", pages, &mut state);
    measure(
        "G / g (jump to end and back)",
        (0..10)
            .flat_map(|_| [Action::Bottom, Action::Top])
            .collect(),
        &mut state,
    );
    let mut typing = Vec::new();
    for q in [
        "alice",
        "severity:error",
        "outcome:failure",
        "latency drift",
        "actor.id:bob AND action:model.deploy",
    ] {
        typing.push(Action::SetQuery(String::new()));
        for i in 1..=q.len() {
            if q.is_char_boundary(i) {
                typing.push(Action::SetQuery(q[..i].to_owned()));
            }
        }
    }
    measure("typing a query (one search per key)", typing, &mut state);
    settle(&mut state, &svc, Action::SetQuery(String::new()));
    settle(&mut state, &svc, Action::NextPane);
    settle(&mut state, &svc, Action::NextPane);
    measure(
        "timeline zoom in / out",
        (0..5)
            .flat_map(|_| [Action::ZoomIn, Action::ZoomOut])
            .collect(),
        &mut state,
    );
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let (mut all_first, mut all_full) = (Vec::new(), Vec::new());
    println!(
        "keystroke to frame, query included (frame with the rows on screen | after all work for the key, timeline included):"
    );
    for (name, mut first, mut full) in groups {
        all_first.extend(first.iter().copied());
        all_full.extend(full.iter().copied());
        first.sort();
        full.sort();
        println!(
            "  {name:<38} n={:<4} p50 {:>6.1} ms  p95 {:>6.1} ms | p50 {:>6.1} ms  p95 {:>6.1} ms",
            first.len(),
            ms(percentile(&first, 0.5)),
            ms(percentile(&first, 0.95)),
            ms(percentile(&full, 0.5)),
            ms(percentile(&full, 0.95)),
        );
    }
    all_first.sort();
    all_full.sort();
    println!(
        "  {:<38} n={:<4} p50 {:>6.1} ms  p95 {:>6.1} ms | p50 {:>6.1} ms  p95 {:>6.1} ms",
        "all keystrokes",
        all_first.len(),
        ms(percentile(&all_first, 0.5)),
        ms(percentile(&all_first, 0.95)),
        ms(percentile(&all_full, 0.5)),
        ms(percentile(&all_full, 0.95)),
    );
    println!("peak RSS: {:.0} MiB", peak_rss_mib());
}
