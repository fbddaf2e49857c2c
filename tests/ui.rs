//! The explorer: `update` logic (actions in, state and effects out), headless runs of the
//! real loop on `TestBackend` with snapshots of each pane and the whole screen, colours
//! read from buffer cells, and an end-to-end run of the real binary in tmux.

#![allow(clippy::unwrap_used, clippy::format_push_string)]

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::mpsc::channel;
use std::time::{Duration, Instant};

use auditlens::app::{
    Action, AppState, Column, Effect, Job, Mode, Msg, Pane, PaneReport, ReportRow, RowTarget,
    SyncRunner, WorkerMsg, execute, run_loop, update,
};
use auditlens::index::{BareIndex, CommitPolicy, LocalStore, Page, QueryError};
use auditlens::ingest::{IngestOptions, ingest};
use auditlens::lineage::TreeLineKind;
use auditlens::model::Severity;
use auditlens::ui::{Keymap, Theme, UiViews};
use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;

/// A small bundle as generic JSON lines: a day of platform activity with a failed-login
/// burst, an unapproved deploy, a training failure, and hostile text.
pub(crate) fn fixture_lines() -> String {
    let mut out = String::new();
    let actors = ["alice", "bob", "carol", "svc-pipeline"];
    let actions = [
        "api.call",
        "data.access",
        "model.evaluate",
        "inference.predict",
    ];
    for i in 0..48u32 {
        let h = i / 2;
        let m = (i % 2) * 30;
        out.push_str(&format!(
            r#"{{"ts":"2026-03-09T{h:02}:{m:02}:00Z","action":"{}","actor":"{}","severity":"info","outcome":"success","correlation_id":"req-{}","message":"routine {i}"}}"#,
            actions[i as usize % 4],
            actors[i as usize % 4],
            i / 3
        ));
        out.push('\n');
    }
    for k in 0..6 {
        out.push_str(&format!(
            r#"{{"ts":"2026-03-09T02:1{k}:00Z","action":"auth.login","actor":"alice","ip":"203.0.113.77","severity":"warning","outcome":"failure","message":"bad password"}}"#
        ));
        out.push('\n');
    }
    out.push_str(r#"{"ts":"2026-03-09T11:05:00Z","action":"model.train.fail","actor":"svc-pipeline","severity":"error","outcome":"failure","run_id":"run-fraud-7","message":"out of memory"}"#);
    out.push('\n');
    out.push_str(r#"{"ts":"2026-03-09T10:00:00Z","action":"model.train.start","actor":"svc-pipeline","severity":"info","outcome":"success","run_id":"run-fraud-7"}"#);
    out.push('\n');
    out.push_str(r#"{"ts":"2026-03-09T16:40:00Z","action":"model.deploy","actor":"bob","severity":"notice","outcome":"success","environment":"production","message":"deploy fraud-detector 4"}"#);
    out.push('\n');
    out.push_str("{\"ts\":\"2026-03-09T18:00:00Z\",\"action\":\"api.call\",\"actor\":\"mallory\\u001b[31m\",\"severity\":\"critical\",\"outcome\":\"denied\",\"message\":\"evil \\u001b]52;c;AAAA\\u0007 text\"}\n");
    out.push_str("this line is not json\n");
    out
}

pub(crate) struct Fixture {
    pub(crate) path: PathBuf,
}

/// The fixture at a fixed path (it appears in the detail view, hence in snapshots);
/// written atomically so that parallel tests can share it.
pub(crate) fn fixture() -> Fixture {
    let dir = std::env::temp_dir().join("auditlens-ui-fixture");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("events.jsonl");
    let tmp = dir.join(format!(
        ".events-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    std::fs::write(&tmp, fixture_lines()).unwrap();
    std::fs::rename(&tmp, &path).unwrap();
    Fixture { path }
}

pub(crate) fn service(path: &Path) -> LocalStore {
    let mem = BareIndex::new();
    let mut indexer = mem.indexer(15_000_000, 1, CommitPolicy::AT_END).unwrap();
    let summary = ingest(
        &[path.to_owned()],
        IngestOptions::default(),
        &mut indexer,
        |_| {},
    );
    assert!(summary.events > 50, "{summary:?}");
    indexer.finish().unwrap();
    mem.store().unwrap()
}

/// Applies actions, running every effect synchronously (like `SyncRunner`).
pub(crate) fn settle(state: &mut AppState, svc: &LocalStore, actions: Vec<Action>) -> Vec<Effect> {
    let mut all = Vec::new();
    let mut queue: std::collections::VecDeque<Action> = actions.into();
    while let Some(a) = queue.pop_front() {
        for e in update(state, a) {
            if let Effect::Run(job) = &e {
                queue.push_back(execute(svc, job.clone(), None));
            }
            all.push(e);
        }
    }
    all
}

pub(crate) fn ready_state(svc: &LocalStore, size: (u16, u16)) -> AppState {
    let mut s = AppState::new("events.jsonl", size);
    settle(
        &mut s,
        svc,
        vec![
            Action::IndexOpened {
                complete: true,
                pending: false,
            },
            Action::IndexDone {
                events: svc.service().num_docs(),
                errors: 1,
                skipped: 1,
                reused: true,
                problems: vec!["events.jsonl:58: not JSON".to_owned()],
            },
        ],
    );
    s
}

pub(crate) fn theme() -> Theme {
    Theme::builtin("dark", false).unwrap()
}

pub(crate) fn draw(state: &AppState, w: u16, h: u16) -> Terminal<TestBackend> {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    let mut views = UiViews::default();
    t.draw(|f| auditlens::ui::render(f, state, &mut views, &theme(), &Keymap::builtin()))
        .unwrap();
    t
}

pub(crate) fn screen_text(buf: &Buffer) -> String {
    let mut s = String::new();
    for y in 0..buf.area.height {
        for x in 0..buf.area.width {
            s.push_str(buf[(x, y)].symbol());
        }
        s.push('\n');
    }
    s
}

/// A lineage pane row: its text and what it stands for in `model`'s tree.
fn lineage_row(text: &str, model: &str, version: Option<&str>, line: TreeLineKind) -> ReportRow {
    ReportRow {
        text: text.into(),
        level: Severity::Info,
        jump: None,
        target: RowTarget::Lineage {
            model: model.into(),
            version: version.map(str::to_owned),
            line,
        },
    }
}

fn page_jobs(fx: &[Effect]) -> Vec<(u64, usize, String)> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::Run(Job::Page {
                generation,
                request,
            }) => Some((*generation, request.offset, request.query.clone())),
            _ => None,
        })
        .collect()
}

// ---------------------------------------------------------------- update logic

#[test]
fn typing_a_query_emits_one_search_with_a_higher_generation_after_the_debounce() {
    let fx = fixture();
    let svc = service(&fx.path);
    let mut s = ready_state(&svc, (120, 40));
    let gen0 = s.search_gen;
    let t0 = Instant::now();
    update(&mut s, Action::Tick(t0));
    update(&mut s, Action::FocusSearch);
    assert_eq!(s.mode, Mode::Search);
    // Long after the last search, the first keystroke searches at once.
    update(&mut s, Action::Tick(t0 + Duration::from_secs(5)));
    let first = update(&mut s, Action::InsertChar('a'));
    let p1 = page_jobs(&first);
    assert_eq!(p1.len(), 1, "{first:?}");
    assert!(p1[0].0 > gen0);
    assert_eq!(p1[0].2, "a");
    // Fast typing right after: coalesced, nothing yet.
    let mut fx_all = Vec::new();
    for c in "lice".chars() {
        fx_all.extend(update(&mut s, Action::InsertChar(c)));
    }
    assert!(fx_all.is_empty(), "no search while typing fast: {fx_all:?}");
    assert!(update(&mut s, Action::Tick(t0 + Duration::from_millis(5010))).is_empty());
    // The quiet spell ends: one search with the whole text and a higher generation.
    let fx = update(&mut s, Action::Tick(t0 + Duration::from_millis(5500)));
    let pages = page_jobs(&fx);
    assert_eq!(pages.len(), 1, "{fx:?}");
    assert!(pages[0].0 > p1[0].0);
    assert_eq!(pages[0].2, "alice");
    assert!(
        fx.iter()
            .any(|e| matches!(e, Effect::Run(Job::Histogram { .. }))),
        "the timeline follows the query"
    );
    // Nothing more until the next keystroke.
    assert!(update(&mut s, Action::Tick(t0 + Duration::from_millis(5900))).is_empty());
}

#[test]
fn stale_results_are_ignored_and_the_newest_search_wins() {
    let fx = fixture();
    let svc = service(&fx.path);
    let mut s = ready_state(&svc, (120, 40));
    let total_all = s.total;
    let first = update(&mut s, Action::SetQuery("alice".into()));
    let second = update(&mut s, Action::SetQuery("bob".into()));
    let (g1, g2) = (page_jobs(&first)[0].0, page_jobs(&second)[0].0);
    assert!(g2 > g1);
    // The answer to the older request arrives late: dropped.
    let stale = Action::PageDone {
        generation: g1,
        offset: 0,
        result: Ok(Page {
            total: 999,
            hits: vec![],
        }),
    };
    update(&mut s, stale);
    assert_eq!(
        s.total, total_all,
        "a stale page must not replace the results"
    );
    let Effect::Run(job) = &second[0] else {
        panic!("{second:?}")
    };
    update(&mut s, execute(&svc, job.clone(), None));
    assert!(s.total > 0 && s.total < total_all);
    assert!(
        s.window
            .hits
            .iter()
            .all(|h| h.event.actor.id.as_deref() == Some("bob"))
    );
    assert_eq!(s.shown_query, "bob");
}

#[test]
fn a_query_error_is_shown_and_the_previous_results_stay() {
    let fx = fixture();
    let svc = service(&fx.path);
    let mut s = ready_state(&svc, (120, 40));
    settle(&mut s, &svc, vec![Action::SetQuery("alice".into())]);
    let before = (s.total, s.window.clone());
    settle(&mut s, &svc, vec![Action::SetQuery("nosuchfield:x".into())]);
    let err = s.query_error.clone().expect("error kept");
    // The timeline still matches the results on screen.
    let h = s.histogram.clone().unwrap();
    assert_eq!(h.total() + h.untimed, s.total);
    assert!(err.message.contains("nosuchfield"), "{err:?}");
    assert_eq!((s.total, s.window.clone()), before);
    // Paging after the error still uses the query that worked.
    let fx = update(&mut s, Action::Bottom);
    assert!(page_jobs(&fx).iter().all(|p| p.2 == "alice"));
    // Fixing the query clears the error.
    settle(&mut s, &svc, vec![Action::SetQuery("bob".into())]);
    assert!(s.query_error.is_none());
    let _ = QueryError {
        message: String::new(),
        span: None,
    };
}

#[test]
fn results_are_virtualised_only_the_window_around_the_selection_is_fetched() {
    let mut s = AppState::new("x", (80, 24));
    s.index_ready = true;
    s.total = 1_000_000;
    s.search_gen = 5;
    // A window of 256 at offset 0 is loaded (no hits needed for this logic).
    s.window.offset = 0;
    s.window.hits = Vec::new();
    // Going to the end fetches a window around the last event, not the whole list.
    let fx = update(&mut s, Action::Bottom);
    let pages = page_jobs(&fx);
    assert_eq!(pages.len(), 1);
    assert_eq!(s.selected, 999_999);
    let offset = pages[0].1 as u64;
    assert!(offset <= 999_999 && offset + 256 >= 1_000_000, "{offset}");
    let Effect::Run(Job::Page { request, .. }) = &fx[0] else {
        panic!()
    };
    assert_eq!(request.limit, 256);
    // The same move again does not queue the same fetch twice.
    assert!(page_jobs(&update(&mut s, Action::Bottom)).is_empty());
}

#[test]
fn moving_inside_the_window_fetches_nothing_and_enter_opens_detail_with_related_events() {
    let fx = fixture();
    let svc = service(&fx.path);
    let mut s = ready_state(&svc, (80, 24));
    assert!(page_jobs(&update(&mut s, Action::MoveDown)).is_empty());
    assert_eq!(s.selected, 1);
    settle(
        &mut s,
        &svc,
        vec![Action::SetQuery("run_id:run-fraud-7".into())],
    );
    assert_eq!(s.total, 2);
    let fx = settle(&mut s, &svc, vec![Action::OpenDetail]);
    assert_eq!(s.focus, Pane::Detail);
    assert!(
        fx.iter()
            .any(|e| matches!(e, Effect::Run(Job::Related { .. })))
    );
    let rel = s.related.as_ref().expect("related events");
    assert_eq!(rel.total, 2);
    assert!(rel.query.contains("run_id:\"run-fraud-7\""));
    // In the detail view j scrolls the text, it does not move the selection.
    update(&mut s, Action::MoveDown);
    assert_eq!(
        (s.selected, s.detail_scroll),
        (0, auditlens::app::Scroll::Top(1))
    );
    update(&mut s, Action::Back);
    assert_eq!(s.focus, Pane::Results);
}

#[test]
fn commands_set_filters_zone_goto_and_export() {
    let fx = fixture();
    let svc = service(&fx.path);
    let mut s = ready_state(&svc, (120, 40));
    let all = s.total;
    let run = |s: &mut AppState, line: &str| {
        let mut acts = vec![Action::FocusCommand];
        acts.extend(line.chars().map(Action::InsertChar));
        acts.push(Action::Submit);
        settle(s, &svc, acts)
    };
    run(&mut s, "from 2026-03-09T12:00:00Z");
    assert!(s.from.is_some());
    assert!(s.total < all);
    assert!(
        s.window
            .hits
            .iter()
            .all(|h| h.event.ts.unwrap() >= s.from.unwrap())
    );
    run(&mut s, "from -");
    assert_eq!(s.total, all);
    run(&mut s, "tz local");
    assert_eq!(s.tz, auditlens::app::Tz::Local);
    run(&mut s, "goto 2026-03-09T02:12:30Z");
    let hit = s.selected_hit().unwrap();
    assert!(
        hit.event
            .ts
            .unwrap()
            .to_rfc3339()
            .starts_with("2026-03-09T02:12:00")
    );
    run(&mut s, "bogus");
    assert!(s.status.as_ref().unwrap().error);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.jsonl");
    settle(&mut s, &svc, vec![Action::SetQuery("alice".into())]);
    let fx = run(&mut s, &format!("export {}", out.display()));
    let Some(export @ Effect::Export { .. }) =
        fx.into_iter().find(|e| matches!(e, Effect::Export { .. }))
    else {
        panic!("no export effect")
    };
    let Effect::Export { path, .. } = &export else {
        unreachable!()
    };
    let path = path.clone();
    let mut runner = SyncRunner::new(std::sync::Arc::new(service(&fixture().path)));
    let acts = auditlens::app::EffectRunner::run(&mut runner, export);
    assert!(matches!(&acts[0], Action::Exported(Ok((_, n))) if *n == s.total));
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(text.lines().count() as u64, s.total);
    for l in text.lines() {
        let v: serde_json::Value = serde_json::from_str(l).unwrap();
        assert_eq!(v["actor"]["id"], "alice");
    }
}

#[test]
fn problems_and_marks_are_found_in_both_directions() {
    let fx = fixture();
    let svc = service(&fx.path);
    let mut s = ready_state(&svc, (120, 40));
    // Newest first: the critical api.call (18:00) is a problem, then the train failure.
    settle(&mut s, &svc, vec![Action::NextProblem]);
    assert_eq!(s.selected_hit().unwrap().event.action, "api.call");
    assert_eq!(s.selected_hit().unwrap().event.severity, Severity::Critical);
    settle(&mut s, &svc, vec![Action::NextProblem]);
    assert_eq!(s.selected_hit().unwrap().event.action, "model.train.fail");
    settle(&mut s, &svc, vec![Action::PrevProblem]);
    assert_eq!(s.selected_hit().unwrap().event.severity, Severity::Critical);
    // Marks.
    settle(&mut s, &svc, vec![Action::Mark, Action::Top]);
    assert_eq!(s.selected, 0);
    settle(&mut s, &svc, vec![Action::NextMark]);
    assert_eq!(s.selected_hit().unwrap().event.severity, Severity::Critical);
    settle(&mut s, &svc, vec![Action::Mark]);
    assert!(s.marks.is_empty());
}

#[test]
fn commits_reload_and_refresh_and_quit_asks_to_stop() {
    let mut s = AppState::new("x", (80, 24));
    s.index_ready = true;
    let fx = update(&mut s, Action::Committed { docs: 10 });
    assert_eq!(fx[0], Effect::ReloadReader);
    assert_eq!(page_jobs(&fx).len(), 1);
    assert_eq!(s.progress.visible, 10);
    assert_eq!(update(&mut s, Action::Quit), vec![Effect::Quit]);
}

#[test]
fn timeline_zoom_and_range_selection_filter_everything() {
    let fx = fixture();
    let svc = service(&fx.path);
    let mut s = ready_state(&svc, (120, 40));
    let all = s.total;
    let h = s.histogram.clone().expect("histogram");
    let timed: u64 = h.total();
    assert_eq!(timed + h.untimed, all, "buckets sum to the count");
    settle(&mut s, &svc, vec![Action::NextPane, Action::NextPane]);
    assert_eq!(s.focus, Pane::Timeline);
    settle(&mut s, &svc, vec![Action::ZoomIn]);
    assert!(s.timeline.view.is_some());
    let zoomed = s.histogram.clone().unwrap();
    assert!(zoomed.bucket_ms <= h.bucket_ms);
    settle(
        &mut s,
        &svc,
        // The zoom is centred on the first bucket: its right half holds data (a range
        // before the data's start is refused).
        vec![
            Action::Bottom,
            Action::SelectRange,
            Action::Left,
            Action::Left,
            Action::SelectRange,
        ],
    );
    assert!(s.from.is_some() && s.to.is_some());
    assert!(s.total < all && s.total > 0);
    let (from, to) = (s.from.unwrap(), s.to.unwrap());
    assert!(s.window.hits.iter().all(|h| {
        let t = h.event.ts.unwrap();
        t >= from && t < to
    }));
    settle(&mut s, &svc, vec![Action::ClearRange]);
    assert_eq!(s.total, all);
    assert!(s.timeline.view.is_none());
}

// ---------------------------------------------------------------- rendering

fn snapshot_state(svc: &LocalStore, size: (u16, u16), actions: Vec<Action>) -> AppState {
    let mut s = ready_state(svc, size);
    settle(&mut s, svc, actions);
    s
}

#[test]
fn snapshots_whole_screen_80x24_and_120x40() {
    let fx = fixture();
    let svc = service(&fx.path);
    for (w, h) in [(80u16, 24u16), (120, 40)] {
        let s = snapshot_state(&svc, (w, h), vec![Action::MoveDown, Action::MoveDown]);
        let t = draw(&s, w, h);
        insta::assert_snapshot!(format!("screen_{w}x{h}"), t.backend());
    }
}

#[test]
fn snapshots_of_each_pane() {
    let fx = fixture();
    let svc = service(&fx.path);
    let cases: Vec<(&str, Vec<Action>)> = vec![
        ("results", vec![]),
        (
            "detail",
            vec![
                Action::SetQuery("run_id:run-fraud-7".into()),
                Action::OpenDetail,
            ],
        ),
        ("timeline", vec![Action::NextPane, Action::NextPane]),
        ("integrity", vec![Action::PrevPane; 6]),
        ("lineage", vec![Action::PrevPane; 5]),
        ("alerts", vec![Action::PrevPane; 4]),
        ("help", vec![Action::Help]),
        (
            "query_error",
            vec![
                Action::SetQuery("alice".into()),
                Action::SetQuery("actor.id:(".into()),
            ],
        ),
        ("command_line", {
            let mut v = vec![Action::FocusCommand];
            v.extend("from 2026-03-09".chars().map(Action::InsertChar));
            v
        }),
    ];
    for (name, actions) in cases {
        for (w, h) in [(80u16, 24u16), (120, 40)] {
            let s = snapshot_state(&svc, (w, h), actions.clone());
            let t = draw(&s, w, h);
            insta::assert_snapshot!(format!("pane_{name}_{w}x{h}"), t.backend());
        }
    }
}

#[test]
fn report_panes_show_what_they_are_given() {
    let fx = fixture();
    let svc = service(&fx.path);
    let mut s = snapshot_state(&svc, (80, 24), vec![Action::PrevPane; 6]);
    assert_eq!(s.focus, Pane::Integrity);
    let text = screen_text(draw(&s, 80, 24).backend().buffer());
    assert!(text.contains("integrity: computing"), "{text}");
    s.integrity = Some(PaneReport {
        heading: "tampered".into(),
        rows: vec![ReportRow {
            text: "platform.jsonl:7 MODIFIED seq 7".into(),
            level: Severity::Error,
            jump: Some(auditlens::store::Jump {
                label: "alice".into(),
                filter: auditlens::store::Filter::Ords(vec![1]),
            }),
            target: RowTarget::None,
        }],
    });
    let text = screen_text(draw(&s, 80, 24).backend().buffer());
    assert!(
        text.contains("MODIFIED seq 7") && !text.contains("computing"),
        "{text}"
    );
    settle(&mut s, &svc, vec![Action::OpenDetail]);
    assert_eq!(s.focus, Pane::Results);
    assert_eq!(s.jump.as_ref().map(|j| j.label.as_str()), Some("alice"));
    assert_eq!(s.total, 1);
    assert_eq!(s.selected_hit().map(|h| h.ord), Some(1));
}

#[test]
fn colours_come_from_the_theme_and_no_color_drops_them() {
    let fx = fixture();
    let svc = service(&fx.path);
    let s = snapshot_state(&svc, (120, 40), vec![]);
    let t = draw(&s, 120, 40);
    let buf = t.backend().buffer();
    let theme = theme();
    // The critical event is the newest: its severity cell uses the critical style.
    let (mut found, mut warn) = (false, false);
    for y in 0..buf.area.height {
        let row: String = (0..buf.area.width).map(|x| buf[(x, y)].symbol()).collect();
        if let Some(i) = row.find("CRIT") {
            let x = row[..i].chars().count() as u16;
            assert_eq!(
                buf[(x, y)].fg,
                theme.severity(Severity::Critical).fg.unwrap()
            );
            assert_eq!(
                buf[(x, y)].bg,
                theme.severity(Severity::Critical).bg.unwrap()
            );
            found = true;
        }
        if let Some(i) = row.find("NOTE") {
            let x = row[..i].chars().count() as u16;
            assert_eq!(buf[(x, y)].fg, theme.severity(Severity::Notice).fg.unwrap());
            warn = true;
        }
    }
    assert!(found && warn);
    // NO_COLOR: not a single coloured cell.
    let plain = Theme::builtin("dark", true).unwrap();
    let mut term = Terminal::new(TestBackend::new(120, 40)).unwrap();
    let mut views = UiViews::default();
    term.draw(|f| auditlens::ui::render(f, &s, &mut views, &plain, &Keymap::builtin()))
        .unwrap();
    let b = term.backend().buffer();
    for c in &b.content {
        assert_eq!(c.fg, ratatui::style::Color::Reset);
        assert_eq!(c.bg, ratatui::style::Color::Reset);
    }
}

#[test]
fn hostile_text_is_escaped_never_sent_to_the_terminal() {
    let fx = fixture();
    let svc = service(&fx.path);
    let s = snapshot_state(
        &svc,
        (120, 40),
        vec![
            Action::SetQuery("severity:critical".into()),
            Action::OpenDetail,
        ],
    );
    let t = draw(&s, 120, 40);
    let buf = t.backend().buffer();
    for c in &buf.content {
        assert!(
            !c.symbol().chars().any(char::is_control),
            "raw control character in {:?}",
            c.symbol()
        );
    }
    let text = screen_text(buf);
    assert!(text.contains("mallory\\x1b[31m"), "{text}");
}

#[test]
fn the_real_loop_runs_headless_search_move_detail_quit() {
    let fx = fixture();
    let svc = service(&fx.path);
    let (tx, rx) = channel::<Msg>();
    let key = |c: KeyCode| Msg::Input(Event::Key(KeyEvent::new(c, KeyModifiers::NONE)));
    tx.send(Msg::Worker(WorkerMsg::Action(Action::IndexOpened {
        complete: true,
        pending: false,
    })))
    .unwrap();
    tx.send(Msg::Worker(WorkerMsg::Action(Action::IndexDone {
        events: 58,
        errors: 1,
        skipped: 1,
        reused: true,
        problems: vec![],
    })))
    .unwrap();
    tx.send(key(KeyCode::Char('/'))).unwrap();
    for c in "auth.login".chars() {
        tx.send(key(KeyCode::Char(c))).unwrap();
    }
    tx.send(key(KeyCode::Enter)).unwrap();
    tx.send(key(KeyCode::Char('j'))).unwrap();
    tx.send(key(KeyCode::Char('j'))).unwrap();
    tx.send(key(KeyCode::Enter)).unwrap();
    tx.send(key(KeyCode::Char('y'))).unwrap();
    drop(tx);
    let mut term = Terminal::new(TestBackend::new(100, 30)).unwrap();
    let mut state = AppState::new("events.jsonl", (100, 30));
    let mut views = UiViews::default();
    let mut runner = SyncRunner::new(std::sync::Arc::new(svc));
    let stop = AtomicBool::new(false);
    let mut copied = Vec::new();
    run_loop(
        &mut term,
        &mut state,
        &mut views,
        &rx,
        &mut runner,
        &Keymap::builtin(),
        &theme(),
        &stop,
        &mut |_| {},
        &mut |t: &str| copied.push(t.to_owned()),
    )
    .unwrap();
    assert_eq!(state.total, 6);
    assert_eq!(state.selected, 2);
    assert_eq!(state.focus, Pane::Detail);
    assert_eq!(copied.len(), 1);
    assert!(copied[0].contains("auth.login"));
    insta::assert_snapshot!("headless_search_move_detail", term.backend());
}

// ---------------------------------------------------------------- the real binary in tmux

pub(crate) fn tmux(args: &[&str]) -> String {
    let out = std::process::Command::new("tmux")
        .args(args)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn wait_for(session: &str, needle: &str) -> String {
    let mut last = String::new();
    for _ in 0..100 {
        last = tmux(&["capture-pane", "-p", "-t", session]);
        if last.contains(needle) {
            return last;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("`{needle}` never appeared; screen:\n{last}");
}

#[test]
fn end_to_end_in_tmux_search_move_detail_quit() {
    if std::process::Command::new("tmux")
        .arg("-V")
        .output()
        .is_err()
    {
        crate::common::skip_note("tmux is not installed");
        return;
    }
    let fx = fixture();
    let home = tempfile::tempdir().unwrap();
    let session = format!("auditlens-e2e-{}", std::process::id());
    let done = home.path().join("done");
    let cmd = format!(
        "XDG_CACHE_HOME={cache} XDG_CONFIG_HOME={cache} {bin} {input}; echo $? > {done}; sleep 5",
        cache = home.path().display(),
        bin = env!("CARGO_BIN_EXE_auditlens"),
        input = fx.path.display(),
        done = done.display(),
    );
    tmux(&["-L", &session, "kill-server"]);
    let s = session.as_str();
    let t = |args: &[&str]| {
        let mut v = vec!["-L", s];
        v.extend_from_slice(args);
        tmux(&v)
    };
    t(&["new-session", "-d", "-s", s, "-x", "80", "-y", "24", &cmd]);
    let wait = |needle: &str| {
        let mut last = String::new();
        // Up to 30 s: a loaded CI machine can be slow to draw; this bounds a hang, it
        // does not time the program.
        for _ in 0..300 {
            last = t(&["capture-pane", "-p", "-t", s]);
            if last.contains(needle) {
                return last;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        t(&["kill-server"]);
        panic!("`{needle}` never appeared; screen:\n{last}");
    };
    let first = wait("of 58 events");
    assert!(first.contains("Results"), "{first}");
    t(&["send-keys", "-t", s, "/"]);
    t(&["send-keys", "-t", s, "-l", "outcome:failure"]);
    t(&["send-keys", "-t", s, "Enter"]);
    let results = wait("7 of 58 events");
    assert!(results.contains("auth.login"), "{results}");
    // An unfinished query: Enter keeps the bar open with the error, Esc restores.
    t(&["send-keys", "-t", s, "/"]);
    t(&["send-keys", "-t", s, "-l", " AND ("]);
    t(&["send-keys", "-t", s, "Enter"]);
    let refused = wait("\u{2717} ");
    assert!(refused.contains("outcome:failure AND ("), "{refused}");
    t(&["send-keys", "-t", s, "Escape"]);
    let mut restored = String::new();
    for _ in 0..300 {
        restored = t(&["capture-pane", "-p", "-t", s]);
        if !restored.contains("AND (") {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(
        !restored.contains("AND (") && restored.contains("7 of 58 events"),
        "{restored}"
    );
    t(&["send-keys", "-t", s, "j"]);
    wait("2/7");
    t(&["send-keys", "-t", s, "Enter"]);
    let detail = wait("Original record");
    assert!(detail.contains("integrity"), "{detail}");
    // G goes to the end of the detail view.
    t(&["send-keys", "-t", s, "G"]);
    wait("Related events");
    t(&["send-keys", "-t", s, "q"]);
    let mut code = None;
    for _ in 0..300 {
        if let Ok(c) = std::fs::read_to_string(&done) {
            code = Some(c.trim().to_owned());
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let after = t(&["capture-pane", "-p", "-t", s]);
    t(&["kill-server"]);
    assert_eq!(code.as_deref(), Some("0"), "exit code; screen:\n{after}");
    assert!(
        !after.contains("Original record"),
        "the screen was restored:\n{after}"
    );
    // The applied query is in the saved history.
    let saved = std::fs::read_to_string(home.path().join("auditlens/explorer.json")).unwrap();
    assert!(saved.contains("outcome:failure"), "{saved}");
    let _ = wait_for;
}

// ---------------------------------------------------------------- live builds

fn live_events(input: &Path, cache: &Path) -> Vec<String> {
    let (tx, rx) = channel();
    let mut opts = auditlens::index::BuildOptions {
        index_dir: Some(cache.to_owned()),
        threads: 1,
        ..auditlens::index::BuildOptions::default()
    };
    let cancel = std::sync::Arc::new(AtomicBool::new(false));
    auditlens::index::build_live(&[input.to_owned()], &mut opts, &cancel, move |ev| {
        let _ = tx.send(ev);
    })
    .unwrap();
    rx.into_iter()
        .map(|ev| match ev {
            // The index may have moved by now (the build is over): only the flag.
            auditlens::index::LiveEvent::Opened { complete, .. } => {
                format!("opened complete={complete}")
            }
            auditlens::index::LiveEvent::Progress(_) => "progress".to_owned(),
            auditlens::index::LiveEvent::Committed { docs } => format!("committed {docs}"),
            auditlens::index::LiveEvent::Notice(n) => format!("notice {n}"),
            auditlens::index::LiveEvent::Done(o) => {
                let n = o.service().unwrap().num_docs();
                format!(
                    "done reused={} events={} docs={n}",
                    o.reused, o.summary.events
                )
            }
        })
        .filter(|s| s != "progress")
        .collect()
}

#[test]
fn the_explorer_reopens_an_index_a_command_built() {
    // Regression: the commands and the explorer had two build paths, and only the live one
    // remembered the inputs' fingerprint, so the explorer rebuilt what `search` had just
    // built. One build path: both reuse each other's cache entries.
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("events.jsonl");
    std::fs::write(&input, fixture_lines()).unwrap();
    let cache = dir.path().join("cache");
    let mut opts = auditlens::index::BuildOptions {
        index_dir: Some(cache.clone()),
        threads: 1,
        ..auditlens::index::BuildOptions::default()
    };
    let built = auditlens::index::open_or_build(
        std::slice::from_ref(&input),
        &mut opts,
        &mut |_| {},
        &mut |_| {},
    )
    .unwrap();
    assert!(!built.reused);
    assert_eq!(
        live_events(&input, &cache),
        vec![
            "opened complete=true".to_owned(),
            "done reused=true events=58 docs=58".to_owned()
        ]
    );
}

#[test]
fn live_builds_commit_as_they_go_and_reopen_from_the_cache_without_rehashing() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("events.jsonl");
    // Enough events for the early commit (2,000) and the final one.
    let mut text = String::new();
    for _ in 0..50 {
        text.push_str(&fixture_lines());
    }
    std::fs::write(&input, text).unwrap();
    let cache = dir.path().join("cache");
    let first = live_events(&input, &cache);
    assert_eq!(first[0], "opened complete=false", "{first:?}");
    assert!(first.contains(&"committed 2000".to_owned()), "{first:?}");
    assert_eq!(
        first.last().unwrap(),
        "done reused=false events=2900 docs=2900"
    );
    // Regression: the final commit was announced too, and the explorer then reloaded a
    // reader whose folder the build had just moved into the cache ("Failed to acquire
    // Lockfile" in the status line on every first open). `Done` hands over the index.
    assert!(
        !first.contains(&"committed 2900".to_owned()),
        "the final commit must not be announced: {first:?}"
    );
    // Reopen: complete at once, from the cache.
    let again = live_events(&input, &cache);
    assert_eq!(
        again,
        vec![
            "opened complete=true".to_owned(),
            "done reused=true events=2900 docs=2900".to_owned()
        ]
    );
    // A new modification time: the fingerprint changed, so it is built again (hashing a
    // large bundle before showing anything would cost more than rebuilding live), then
    // reopens from the cache.
    let f = std::fs::File::options().append(true).open(&input).unwrap();
    f.set_modified(std::time::SystemTime::now() + Duration::from_secs(5))
        .unwrap();
    drop(f);
    let touched = live_events(&input, &cache);
    assert_eq!(
        touched.last().unwrap(),
        "done reused=false events=2900 docs=2900",
        "{touched:?}"
    );
    assert_eq!(live_events(&input, &cache).len(), 2);
    // Changed content: built anew.
    std::fs::write(&input, fixture_lines()).unwrap();
    let changed = live_events(&input, &cache);
    assert_eq!(
        changed.last().unwrap(),
        "done reused=false events=58 docs=58"
    );
    // No temporary build folders are left behind.
    let leftovers: Vec<_> = std::fs::read_dir(&cache)
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.starts_with(".build-") || name.starts_with(".live-")
        })
        .collect();
    assert!(leftovers.is_empty());
}

#[test]
fn the_explorer_rebuilds_a_damaged_cached_index_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("events.jsonl");
    std::fs::write(&input, fixture_lines()).unwrap();
    let cache = dir.path().join("cache");
    assert_eq!(
        live_events(&input, &cache).last().unwrap(),
        "done reused=false events=58 docs=58"
    );
    // Flip bytes in every posting list of the cached index.
    let mut todo = vec![cache.clone()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                todo.push(p);
            } else if p.extension().is_some_and(|x| x == "idx") {
                let mut b = std::fs::read(&p).unwrap();
                let mid = b.len() / 2;
                b[mid] ^= 0xff;
                std::fs::write(&p, b).unwrap();
            }
        }
    }
    let rebuilt = live_events(&input, &cache);
    assert!(
        rebuilt[0].starts_with("notice rebuilding the cached index at ")
            && rebuilt[0].contains(" (damaged index: "),
        "{rebuilt:?}"
    );
    assert_eq!(
        rebuilt.last().unwrap(),
        "done reused=false events=58 docs=58"
    );
    // The notice reaches the status line, not as an error.
    let mut s = AppState::new("events.jsonl", (80, 24));
    update(
        &mut s,
        Action::Notice(rebuilt[0]["notice ".len()..].to_owned()),
    );
    let status = s.status.as_ref().unwrap();
    assert!(status.text.starts_with("rebuilding the cached index"));
    assert!(!status.error);
    // Then the rebuilt cache is reused, quietly.
    assert_eq!(
        live_events(&input, &cache),
        vec![
            "opened complete=true".to_owned(),
            "done reused=true events=58 docs=58".to_owned()
        ]
    );
}

#[test]
fn a_click_focuses_the_pane_and_selects_the_clicked_row() {
    let fx = fixture();
    let svc = service(&fx.path);
    let mut s = ready_state(&svc, (120, 40));
    settle(&mut s, &svc, vec![Action::Click(Pane::Timeline, None)]);
    assert_eq!(s.focus, Pane::Timeline);
    settle(&mut s, &svc, vec![Action::Click(Pane::Results, Some(5))]);
    assert_eq!((s.focus, s.selected), (Pane::Results, 5));
    // Below the last event: focus only.
    settle(
        &mut s,
        &svc,
        vec![Action::Click(Pane::Results, Some(10_000))],
    );
    assert_eq!(s.selected, 5);
}

#[test]
fn deep_pages_read_from_the_other_end_equal_the_sorted_list() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("events.jsonl");
    let mut text = String::new();
    for _ in 0..50 {
        text.push_str(&fixture_lines());
    }
    std::fs::write(&input, text).unwrap();
    let svc = service(&input);
    let total = svc.service().num_docs() as usize;
    let all = svc
        .service()
        .search(&auditlens::index::SearchRequest {
            limit: total,
            ..Default::default()
        })
        .unwrap();
    for (offset, limit) in [(0, 256), (1200, 256), (2000, 256), (2800, 256), (2899, 10)] {
        let request = auditlens::index::SearchRequest {
            limit,
            offset,
            ..Default::default()
        };
        let Action::PageDone { result, .. } = execute(
            &svc,
            Job::Page {
                generation: 1,
                request,
            },
            None,
        ) else {
            panic!()
        };
        let page = result.unwrap();
        assert_eq!(page.total as usize, total);
        let got: Vec<u64> = page.hits.iter().map(|h| h.ord).collect();
        let want: Vec<u64> = all.hits[offset..(offset + limit).min(total)]
            .iter()
            .map(|h| h.ord)
            .collect();
        assert_eq!(got, want, "offset {offset}");
    }
}

#[test]
fn alert_markers_on_the_timeline_and_e_visits_alert_evidence() {
    use auditlens::app::reports::Reports;
    use auditlens::index::{SearchRequest, SortOrder};
    let fx = fixture();
    let svc = service(&fx.path);
    let mut s = ready_state(&svc, (120, 40));
    let h = s.histogram.clone().unwrap();
    let before = screen_text(draw(&s, 120, 40).backend().buffer());
    assert!(!before.contains('\u{25bc}'));
    // The oldest ordinary event: not an error, critical or integrity problem by itself.
    let ordinary = svc
        .service()
        .search(&SearchRequest {
            query: "severity:info".into(),
            limit: 1,
            order: SortOrder::OldestFirst,
            ..SearchRequest::default()
        })
        .unwrap()
        .hits[0]
        .clone();
    let reports = Reports {
        alerts: Some(PaneReport {
            heading: "alerts: 1".into(),
            rows: vec![],
        }),
        alert_marks: vec![(h.start_ms, Severity::Critical)],
        alert_evidence: vec![ordinary.ord],
        ..Reports::default()
    };
    settle(&mut s, &svc, vec![Action::ReportsReady(Box::new(reports))]);
    let text = screen_text(draw(&s, 120, 40).backend().buffer());
    assert!(text.contains('\u{25bc}'), "{text}");
    let mut seen = Vec::new();
    for _ in 0..12 {
        settle(&mut s, &svc, vec![Action::NextProblem]);
        if let Some(hit) = s.selected_hit() {
            seen.push(hit.ord);
        }
    }
    assert!(
        seen.contains(&ordinary.ord),
        "e should reach the alert's evidence: {seen:?}"
    );
}

#[test]
fn show_lineage_focuses_the_selected_events_model_version() {
    use auditlens::app::reports::Reports;
    let fx = fixture();
    let svc = service(&fx.path);
    let mut s = ready_state(&svc, (120, 40));
    // The selected event names a model (the fixture's events do not: give it one).
    let i = usize::try_from(s.selected - s.window.offset).unwrap();
    s.window.hits[i].event.model = Some(auditlens::model::ModelRef {
        id: "fraud-detector".into(),
        version: Some("4".into()),
    });
    let model = s
        .selected_hit()
        .and_then(|h| h.event.model.clone())
        .unwrap();
    let version = model.version.clone().unwrap_or_default();
    let lineage = PaneReport {
        heading: "lineage: 2 model(s)".into(),
        rows: vec![
            lineage_row(
                "model other: 1 version(s)",
                "other",
                None,
                TreeLineKind::Model,
            ),
            lineage_row("  version 1", "other", Some("1"), TreeLineKind::Version),
            lineage_row(
                &format!("model {}: 2 version(s)", model.id),
                &model.id,
                None,
                TreeLineKind::Model,
            ),
            lineage_row(
                "  version zzz",
                &model.id,
                Some("zzz"),
                TreeLineKind::Version,
            ),
            lineage_row(
                &format!("  version {version}"),
                &model.id,
                Some(&version),
                TreeLineKind::Version,
            ),
        ],
    };
    settle(
        &mut s,
        &svc,
        vec![Action::ReportsReady(Box::new(Reports {
            lineage: Some(lineage),
            ..Reports::default()
        }))],
    );
    settle(&mut s, &svc, vec![Action::ShowLineage]);
    assert_eq!(s.focus, Pane::Lineage);
    assert_eq!(s.report_cursor, 4);
    // An event without a model leaves the focus where it was.
    s.window.hits[i].event.model = None;
    settle(&mut s, &svc, vec![Action::NextPane]);
    let before = s.focus;
    settle(&mut s, &svc, vec![Action::ShowLineage]);
    assert_eq!(s.focus, before);
}

#[test]
fn lineage_trees_collapse_and_expand_per_model() {
    use auditlens::app::reports::Reports;
    let fx = fixture();
    let svc = service(&fx.path);
    let mut s = ready_state(&svc, (120, 40));
    let d = TreeLineKind::Node(auditlens::lineage::NodeKey::new("dataset", "d", Some("1")));
    let lineage = PaneReport {
        heading: "lineage: 2 model(s)".into(),
        rows: vec![
            lineage_row(
                "model alpha: 1 version(s)",
                "alpha",
                None,
                TreeLineKind::Model,
            ),
            lineage_row("  version 1", "alpha", Some("1"), TreeLineKind::Version),
            lineage_row(
                "    <- dataset d@1  [feature.create]",
                "alpha",
                Some("1"),
                d,
            ),
            lineage_row(
                "model beta: 1 version(s)",
                "beta",
                None,
                TreeLineKind::Model,
            ),
            lineage_row("  version 7", "beta", Some("7"), TreeLineKind::Version),
        ],
    };
    settle(
        &mut s,
        &svc,
        vec![Action::ReportsReady(Box::new(Reports {
            lineage: Some(lineage),
            ..Reports::default()
        }))],
    );
    while s.focus != Pane::Lineage {
        settle(&mut s, &svc, vec![Action::NextPane]);
    }
    s.report_cursor = 2;
    settle(&mut s, &svc, vec![Action::ToggleCollapse]);
    let shown: Vec<String> = s
        .lineage
        .as_ref()
        .unwrap()
        .rows
        .iter()
        .map(|r| r.text.clone())
        .collect();
    assert_eq!(shown.len(), 3, "{shown:?}");
    assert!(
        shown[0].starts_with("model alpha:") && shown[0].contains("collapsed"),
        "{shown:?}"
    );
    assert_eq!(s.report_cursor, 0);
    let text = screen_text(draw(&s, 120, 40).backend().buffer());
    assert!(!text.contains("dataset d@1"), "{text}");
    settle(&mut s, &svc, vec![Action::ToggleCollapse]);
    assert_eq!(s.lineage.as_ref().unwrap().rows.len(), 5);
    // Collapsed again, then L on an event of that model expands it.
    settle(&mut s, &svc, vec![Action::ToggleCollapse]);
    settle(&mut s, &svc, vec![Action::NextPane]);
    let i = usize::try_from(s.selected - s.window.offset).unwrap();
    s.window.hits[i].event.model = Some(auditlens::model::ModelRef {
        id: "alpha".into(),
        version: Some("1".into()),
    });
    settle(&mut s, &svc, vec![Action::ShowLineage]);
    assert_eq!(s.lineage.as_ref().unwrap().rows.len(), 5);
    assert_eq!(s.report_cursor, 1);
}

#[test]
fn the_explorer_only_ever_receives_masked_events_and_records() {
    use auditlens::app::execute;
    use auditlens::index::SearchRequest;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("secrets.jsonl");
    std::fs::write(
        &path,
        "{\"time\":\"2026-03-09T10:00:00Z\",\"user\":\"mallory@example.org\",\"action\":\"api.call\",\"msg\":\"used key AKIAIOSFODNN7EXAMPLE\"}\n",
    )
    .unwrap();
    let mem = BareIndex::new();
    let mut indexer = mem.indexer(15_000_000, 1, CommitPolicy::AT_END).unwrap();
    ingest(
        std::slice::from_ref(&path),
        IngestOptions::default(),
        &mut indexer,
        |_| {},
    );
    indexer.finish().unwrap();
    let svc = mem.store().unwrap();
    let job = || Job::Page {
        generation: 1,
        request: SearchRequest {
            query: "*".into(),
            limit: 10,
            ..SearchRequest::default()
        },
    };
    let masker = auditlens::privacy::masker_for(None, false, None).unwrap();
    let Action::PageDone {
        result: Ok(page), ..
    } = execute(&svc, job(), Some(&masker))
    else {
        panic!("a page")
    };
    let hit = &page.hits[0];
    let shown = format!(
        "{} {} {}",
        hit.raw,
        hit.event.actor.id.clone().unwrap_or_default(),
        hit.event.message.clone().unwrap_or_default()
    );
    assert!(
        !shown.contains("mallory@example.org") && !shown.contains("AKIAIOSFODNN7EXAMPLE"),
        "{shown}"
    );
    assert!(shown.contains("m***@example.org"), "{shown}");
    // Without a policy (--unmask) the originals come through.
    let Action::PageDone {
        result: Ok(page), ..
    } = execute(&svc, job(), None)
    else {
        panic!("a page")
    };
    assert!(page.hits[0].raw.contains("mallory@example.org"));
}

#[test]
fn lineage_rows_that_read_like_a_heading_are_not_taken_for_one() {
    // Rows are found by what they stand for, not by their text: a detail of alpha's tree
    // whose text starts like a model heading (log content can say anything) is alpha's.
    use auditlens::app::reports::Reports;
    let fx = fixture();
    let svc = service(&fx.path);
    let mut s = ready_state(&svc, (120, 40));
    let lineage = PaneReport {
        heading: "lineage: 2 model(s)".into(),
        rows: vec![
            lineage_row(
                "model alpha: 1 version(s)",
                "alpha",
                None,
                TreeLineKind::Model,
            ),
            lineage_row("  version 1", "alpha", Some("1"), TreeLineKind::Version),
            lineage_row(
                "model beta: 9 version(s)",
                "alpha",
                Some("1"),
                TreeLineKind::Detail,
            ),
            lineage_row("  version 7", "alpha", Some("1"), TreeLineKind::Detail),
            lineage_row(
                "model beta: 1 version(s)",
                "beta",
                None,
                TreeLineKind::Model,
            ),
            lineage_row("  version 2", "beta", Some("2"), TreeLineKind::Version),
        ],
    };
    settle(
        &mut s,
        &svc,
        vec![Action::ReportsReady(Box::new(Reports {
            lineage: Some(lineage),
            ..Reports::default()
        }))],
    );
    while s.focus != Pane::Lineage {
        settle(&mut s, &svc, vec![Action::NextPane]);
    }
    s.report_cursor = 3;
    settle(&mut s, &svc, vec![Action::ToggleCollapse]);
    let shown: Vec<&str> = s
        .lineage
        .as_ref()
        .unwrap()
        .rows
        .iter()
        .map(|r| r.text.as_str())
        .collect();
    assert_eq!(shown.len(), 3, "alpha collapses, not beta: {shown:?}");
    assert!(shown[0].starts_with("model alpha:") && shown[0].contains("collapsed"));
    assert_eq!(s.report_cursor, 0);
    // L on an event of beta version 2 lands on beta's version row, not on alpha's detail.
    settle(&mut s, &svc, vec![Action::ToggleCollapse, Action::NextPane]);
    let i = usize::try_from(s.selected - s.window.offset).unwrap();
    s.window.hits[i].event.model = Some(auditlens::model::ModelRef {
        id: "beta".into(),
        version: Some("7".into()),
    });
    settle(&mut s, &svc, vec![Action::ShowLineage]);
    assert_eq!(s.report_cursor, 4, "beta has no version 7: its heading");
}

// ---------------------------------------------------------------- issue 16: bar, columns, panes

pub(crate) fn typed(text: &str) -> Vec<Action> {
    text.chars().map(Action::InsertChar).collect()
}

/// The text of the rows of `buf` between `top` and `bottom` (exclusive).
fn rows_text(buf: &Buffer, top: u16, bottom: u16) -> Vec<String> {
    (top..bottom)
        .map(|y| (0..buf.area.width).map(|x| buf[(x, y)].symbol()).collect())
        .collect()
}

#[test]
fn the_query_bar_applies_only_accepted_queries_and_esc_restores_the_previous_one() {
    let fx = fixture();
    let svc = service(&fx.path);
    let mut s = ready_state(&svc, (120, 40));
    settle(
        &mut s,
        &svc,
        [
            vec![Action::FocusSearch],
            typed("alice"),
            vec![Action::Submit],
        ]
        .concat(),
    );
    assert_eq!((s.mode, s.query.as_str()), (Mode::Normal, "alice"));
    let alice = s.total;
    // Typing an unfinished query: the bar shows the error, the applied query stays.
    settle(
        &mut s,
        &svc,
        [vec![Action::FocusSearch], typed(" AND (")].concat(),
    );
    assert!(s.query_error.is_some());
    assert_eq!(s.query, "alice");
    // Enter on the refused query keeps the bar open: the next keys still type.
    settle(&mut s, &svc, vec![Action::Submit, Action::InsertChar('q')]);
    assert_eq!(s.mode, Mode::Search);
    assert_eq!(s.input.text(), "alice AND (q");
    assert_eq!(s.query, "alice");
    // Esc puts back the query that was applied before.
    settle(&mut s, &svc, vec![Action::Leave]);
    assert_eq!((s.mode, s.query.as_str()), (Mode::Normal, "alice"));
    assert_eq!((s.shown_query.as_str(), s.total), ("alice", alice));
    assert!(s.query_error.is_none());
    let text = screen_text(draw(&s, 120, 40).backend().buffer());
    assert!(
        text.contains(" / alice ") && !text.contains("AND ("),
        "{text}"
    );
    // A line editor: Home, Ctrl-W, cursor moves, Ctrl-U kills before the cursor.
    settle(
        &mut s,
        &svc,
        [
            vec![Action::FocusSearch, Action::LineStart],
            typed("actor.id:"),
            vec![Action::LineEnd],
            typed(" OR bob"),
            vec![Action::DeleteWord],
            typed("carol"),
        ]
        .concat(),
    );
    assert_eq!(s.input.text(), "actor.id:alice OR carol");
    settle(
        &mut s,
        &svc,
        [
            vec![Action::CursorLeft; 6],
            vec![Action::ClearInput, Action::DeleteForward],
            vec![
                Action::CursorRight,
                Action::Backspace,
                Action::InsertChar('c'),
            ],
        ]
        .concat(),
    );
    assert_eq!(s.input.text(), "carol");
    // A good query is applied by Enter once the index accepted it.
    settle(&mut s, &svc, vec![Action::Submit]);
    assert_eq!((s.mode, s.query.as_str()), (Mode::Normal, "carol"));
    assert!(
        s.window
            .hits
            .iter()
            .all(|h| h.event.actor.id.as_deref() == Some("carol"))
    );
    assert_eq!(s.history, vec!["alice".to_owned(), "carol".to_owned()]);
}

#[test]
fn the_history_walks_with_up_and_down_and_applied_queries_are_saved() {
    let fx = fixture();
    let svc = service(&fx.path);
    let mut s = ready_state(&svc, (120, 40));
    let dir = tempfile::tempdir().unwrap();
    s.prefs_dir = Some(dir.path().to_owned());
    s.history = vec!["alice".into(), "bob".into()];
    settle(
        &mut s,
        &svc,
        [vec![Action::FocusSearch], typed("car")].concat(),
    );
    settle(&mut s, &svc, vec![Action::HistoryPrev]);
    assert_eq!(s.input.text(), "bob");
    settle(&mut s, &svc, vec![Action::HistoryPrev, Action::HistoryPrev]);
    assert_eq!(s.input.text(), "alice");
    settle(&mut s, &svc, vec![Action::HistoryNext]);
    assert_eq!(s.input.text(), "bob");
    settle(&mut s, &svc, vec![Action::HistoryNext]);
    assert_eq!(
        s.input.text(),
        "car",
        "past the newest entry, the typed text returns"
    );
    let fx = settle(&mut s, &svc, [typed("ol"), vec![Action::Submit]].concat());
    let saved = fx
        .iter()
        .find_map(|e| match e {
            Effect::SavePrefs { dir: d, prefs } => Some((d.clone(), prefs.clone())),
            _ => None,
        })
        .expect("the history is saved");
    assert_eq!(saved.0.as_path(), dir.path());
    assert_eq!(saved.1.history, vec!["alice", "bob", "carol"]);
    // Written and read back as the next session would.
    saved.1.save(&saved.0).unwrap();
    assert_eq!(
        auditlens::app::Prefs::load(dir.path()).history,
        saved.1.history
    );
}

#[test]
fn tab_completes_field_names_and_known_values() {
    let fx = fixture();
    let svc = service(&fx.path);
    let mut s = ready_state(&svc, (120, 40));
    settle(
        &mut s,
        &svc,
        [
            vec![Action::FocusSearch],
            typed("sever"),
            vec![Action::Complete],
        ]
        .concat(),
    );
    assert_eq!(s.input.text(), "severity:");
    settle(&mut s, &svc, [typed("cr"), vec![Action::Complete]].concat());
    assert_eq!(s.input.text(), "severity:critical ");
    // Values seen in the results; ambiguous: Tab cycles, the choices are listed.
    settle(
        &mut s,
        &svc,
        [
            vec![Action::ClearInput],
            typed("actor.id:"),
            vec![Action::Complete],
        ]
        .concat(),
    );
    assert_eq!(s.input.text(), "actor.id:alice");
    let status = s.status.clone().unwrap().text;
    assert!(
        status.contains("actor.id:bob") && status.contains("actor.id:svc-pipeline"),
        "{status}"
    );
    assert!(
        !status.contains("mallory"),
        "values with control characters are not offered"
    );
    settle(&mut s, &svc, vec![Action::Complete]);
    assert_eq!(s.input.text(), "actor.id:bob");
    // Typing ends the cycle; a single candidate is completed whole.
    settle(&mut s, &svc, vec![Action::Backspace, Action::Complete]);
    assert_eq!(s.input.text(), "actor.id:bob ");
    settle(
        &mut s,
        &svc,
        [typed(" zz"), vec![Action::Complete]].concat(),
    );
    assert_eq!(s.status.clone().unwrap().text, "no completion");
}

#[test]
fn result_columns_fit_their_content_and_columns_chooses_them() {
    let fx = fixture();
    let svc = service(&fx.path);
    let mut s = ready_state(&svc, (120, 40));
    let text = screen_text(draw(&s, 120, 40).backend().buffer());
    // Sized by content: whole actor and action values, no `svc-pipel…`.
    assert!(text.contains("svc-pipeline    inference.predict"), "{text}");
    let header = |s: &AppState| {
        let t = draw(s, 120, 40);
        rows_text(t.backend().buffer(), 10, 11).remove(0)
    };
    settle(
        &mut s,
        &svc,
        [
            vec![Action::FocusCommand],
            typed("columns time,env,actor"),
            vec![Action::Submit],
        ]
        .concat(),
    );
    let chosen = Some(vec![Column::Time, Column::Env, Column::Actor]);
    assert_eq!(s.columns, chosen);
    let h = header(&s);
    assert!(
        h.contains("env") && h.contains("actor") && !h.contains("action"),
        "{h}"
    );
    settle(
        &mut s,
        &svc,
        [
            vec![Action::FocusCommand],
            typed("columns time,colour"),
            vec![Action::Submit],
        ]
        .concat(),
    );
    let st = s.status.clone().unwrap();
    assert!(st.error && st.text.contains("colour"), "{st:?}");
    assert_eq!(s.columns, chosen);
    // Sideways: the time stays, the first other column goes.
    settle(&mut s, &svc, vec![Action::Right]);
    let h = header(&s);
    assert!(
        h.contains("time (UTC)") && !h.contains("env") && h.contains("actor"),
        "{h}"
    );
    settle(
        &mut s,
        &svc,
        [
            vec![Action::FocusCommand],
            typed("columns auto"),
            vec![Action::Submit],
        ]
        .concat(),
    );
    assert_eq!(s.columns, None);
}

#[test]
fn oldest_first_shows_the_whole_list_reversed_and_keys_follow_the_screen() {
    let fx = fixture();
    let svc = service(&fx.path);
    let mut s = ready_state(&svc, (120, 40));
    let newest = s.window.get(0).unwrap().event.ts;
    settle(&mut s, &svc, vec![Action::ToggleOrder, Action::Top]);
    assert!(s.oldest_first);
    assert_eq!(
        s.selected,
        s.total - 1,
        "the top of the table is the oldest event"
    );
    let text = screen_text(draw(&s, 120, 40).backend().buffer());
    assert!(text.contains("oldest first"), "the header says so: {text}");
    let rows = rows_text(draw(&s, 120, 40).backend().buffer(), 11, 13);
    assert!(rows[0].contains("2026-03-09 00:00:00Z"), "{rows:?}");
    settle(&mut s, &svc, vec![Action::MoveDown]);
    assert_eq!(s.selected, s.total - 2);
    settle(&mut s, &svc, vec![Action::Bottom]);
    assert_eq!(s.selected, 0);
    assert_eq!(s.selected_hit().unwrap().event.ts, newest);
    settle(
        &mut s,
        &svc,
        [
            vec![Action::FocusCommand],
            typed("sort newest"),
            vec![Action::Submit],
        ]
        .concat(),
    );
    assert!(!s.oldest_first);
}

#[test]
fn report_rows_wrap_or_are_cut_with_an_ellipsis_never_silently() {
    let fx = fixture();
    let svc = service(&fx.path);
    let mut s = snapshot_state(&svc, (80, 24), vec![Action::PrevPane; 6]);
    let long = "records: 3000 in 4 streams, signature valid, deployment of fraud-detector 4 NOT APPROVED BEFORE";
    s.integrity = Some(PaneReport {
        heading: "verified: every record of every stream checks out against the signed manifest (3000 records)".into(),
        rows: vec![ReportRow {
            text: long.into(),
            level: Severity::Error,
            jump: None,
            target: RowTarget::None,
        }],
    });
    let text = screen_text(draw(&s, 80, 24).backend().buffer());
    assert!(text.contains("(3000 records)"), "{text}");
    assert!(
        text.contains("records: 3000") && text.contains("NOT APPROVED BEFORE"),
        "{text}"
    );
    // Cut instead: the edge says so, and sideways scrolling shows the rest.
    settle(&mut s, &svc, vec![Action::ToggleWrap]);
    let t = draw(&s, 80, 24);
    let row = rows_text(t.backend().buffer(), 0, 24)
        .into_iter()
        .find(|r| r.contains("records: 3000"))
        .unwrap();
    assert!(row.contains('\u{2026}') && !row.contains("BEFORE"), "{row}");
    settle(&mut s, &svc, vec![Action::Right; 4]);
    let text = screen_text(draw(&s, 80, 24).backend().buffer());
    assert!(
        text.contains("BEFORE") && text.contains('\u{2026}'),
        "{text}"
    );
}

#[test]
fn g_and_end_reach_the_end_of_detail_and_help_never_blank_space() {
    let fx = fixture();
    let svc = service(&fx.path);
    let mut s = snapshot_state(
        &svc,
        (80, 24),
        vec![
            Action::SetQuery("run_id:run-fraud-7".into()),
            Action::OpenDetail,
            Action::Bottom,
        ],
    );
    assert_eq!(s.focus, Pane::Detail);
    let rows = rows_text(draw(&s, 80, 24).backend().buffer(), 3, 22);
    // The content's last line sits on the pane's last row: no blank space below it.
    assert!(
        !rows.last().unwrap().trim_matches(['┃', ' ']).is_empty(),
        "no blank row at the end: {rows:#?}"
    );
    assert!(rows.last().unwrap().contains("model.train"), "{rows:#?}");
    // Further down stays at the end; up moves at once.
    settle(&mut s, &svc, vec![Action::MoveDown; 5]);
    let again = rows_text(draw(&s, 80, 24).backend().buffer(), 3, 22);
    assert_eq!(again, rows);
    settle(&mut s, &svc, vec![Action::MoveUp]);
    assert_ne!(rows_text(draw(&s, 80, 24).backend().buffer(), 3, 22), rows);
    settle(&mut s, &svc, vec![Action::Top]);
    let top = rows_text(draw(&s, 80, 24).backend().buffer(), 3, 4);
    assert!(top[0].contains("time"), "{top:?}");
    // Help: G shows its last line.
    settle(&mut s, &svc, vec![Action::Help, Action::Bottom]);
    let text = screen_text(draw(&s, 80, 24).backend().buffer());
    assert!(text.contains(":q ") && text.contains("quit"), "{text}");
    assert!(!text.contains("Moving around"), "{text}");
}

#[test]
fn a_report_jump_shows_its_events_under_a_label_and_backspace_returns() {
    use auditlens::store::{Filter, Jump};
    let fx = fixture();
    let svc = service(&fx.path);
    let mut s = ready_state(&svc, (120, 40));
    settle(&mut s, &svc, vec![Action::SetQuery("alice".into())]);
    settle(&mut s, &svc, vec![Action::MoveDown, Action::MoveDown]);
    let before = s.selected_hit().map(|h| h.ord).unwrap();
    let alice_total = s.total;
    // Two of bob's events, named by ordinal, as alert evidence is.
    let bob = svc
        .service()
        .search(&auditlens::index::SearchRequest {
            query: "bob".into(),
            limit: 2,
            ..Default::default()
        })
        .unwrap();
    let ords: Vec<u64> = bob.hits.iter().map(|h| h.ord).collect();
    s.alerts = Some(PaneReport {
        heading: "alerts: 1".into(),
        rows: vec![ReportRow {
            text: "[warning] something bob did".into(),
            level: Severity::Warning,
            jump: Some(Jump {
                label: "evidence of: something bob did".into(),
                filter: Filter::Ords(ords.clone()),
            }),
            target: RowTarget::None,
        }],
    });
    s.focus = Pane::Alerts;
    s.report_cursor = 0;
    settle(&mut s, &svc, vec![Action::OpenDetail]);
    assert_eq!(s.focus, Pane::Results);
    assert_eq!(s.total, 2);
    assert!(s.query.is_empty(), "the query gives way to the jump");
    let mut shown: Vec<u64> = s.window.hits.iter().map(|h| h.ord).collect();
    shown.sort_unstable();
    let mut want = ords.clone();
    want.sort_unstable();
    assert_eq!(shown, want);
    let text = screen_text(draw(&s, 120, 40).backend().buffer());
    assert!(text.contains("[evidence of: something bob did]"), "{text}");
    assert!(!text.contains("ord:"), "no hand-built query shows: {text}");
    // Back: the query, the pane and the selected event return.
    settle(&mut s, &svc, vec![Action::JumpBack]);
    assert_eq!(s.query, "alice");
    assert!(s.jump.is_none());
    assert_eq!(s.focus, Pane::Alerts);
    assert_eq!(s.total, alice_total);
    assert_eq!(s.selected_hit().map(|h| h.ord), Some(before));
    assert_eq!(
        s.status.as_ref().map(|st| st.text.as_str()),
        Some("back where you were")
    );
    // Nothing left to go back to: said, not silent.
    settle(&mut s, &svc, vec![Action::JumpBack]);
    assert!(
        s.status
            .as_ref()
            .is_some_and(|st| st.text.contains("no jump")),
        "{:?}",
        s.status
    );
}

#[test]
fn the_facets_pane_counts_a_field_and_enter_narrows_the_query_to_a_value() {
    let fx = fixture();
    let svc = service(&fx.path);
    let mut s = ready_state(&svc, (120, 40));
    settle(
        &mut s,
        &svc,
        [
            vec![Action::FocusCommand],
            typed("facets actor.id"),
            vec![Action::Submit],
        ]
        .concat(),
    );
    assert_eq!(s.focus, Pane::Facets);
    let report = s.facets.clone().expect("facets counted");
    assert!(
        report.heading.starts_with("actor.id: "),
        "{}",
        report.heading
    );
    let count = |q: &str| {
        svc.service()
            .count(&auditlens::index::SearchRequest {
                query: q.into(),
                ..Default::default()
            })
            .unwrap()
    };
    // Every listed value carries the number of matching events that have it.
    let alice = report
        .rows
        .iter()
        .position(|r| r.text.ends_with("  alice"))
        .expect("a row for alice");
    let n: u64 = report.rows[alice]
        .text
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(n, count("actor.id:alice"));
    let text = screen_text(draw(&s, 120, 40).backend().buffer());
    assert!(text.contains("Facets") && text.contains("alice"), "{text}");
    // Enter on it: the query, in the bar, narrowed to that value.
    s.report_cursor = alice;
    settle(&mut s, &svc, vec![Action::OpenDetail]);
    assert_eq!(s.query, "actor.id:\"alice\"");
    assert_eq!(s.focus, Pane::Results);
    assert_eq!(s.total, n);
    // A new search while the pane is shown counts again, within it.
    settle(&mut s, &svc, vec![Action::NextPane; 6]);
    assert_eq!(s.focus, Pane::Facets);
    let narrowed = s.facets.clone().unwrap();
    assert!(
        narrowed.rows[0].text.ends_with("  alice") && narrowed.rows.len() == 1,
        "{:?}",
        narrowed.rows
    );
}

#[test]
fn a_jump_puts_its_target_in_the_middle_of_the_table_not_on_the_edge() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("events.jsonl");
    let mut text = String::new();
    for _ in 0..20 {
        text.push_str(&fixture_lines());
    }
    std::fs::write(&input, text).unwrap();
    let svc = service(&input);
    let mut s = ready_state(&svc, (120, 40));
    let mut t = Terminal::new(TestBackend::new(120, 40)).unwrap();
    let mut views = UiViews::default();
    let mut frame = |s: &AppState, views: &mut UiViews| {
        t.draw(|f| auditlens::ui::render(f, s, views, &theme(), &Keymap::builtin()))
            .unwrap();
    };
    frame(&s, &mut views);
    assert_eq!(views.table_base, 0);
    // Mark a deep event, go back to the top, then jump to the mark.
    settle(&mut s, &svc, vec![Action::PageDown; 20]);
    frame(&s, &mut views);
    let deep = s.selected;
    assert!(deep > 300, "{deep}");
    settle(&mut s, &svc, vec![Action::Mark, Action::Top]);
    frame(&s, &mut views);
    assert_eq!(views.table_base, 0);
    settle(&mut s, &svc, vec![Action::MoveDown, Action::NextMark]);
    assert_eq!(s.selected, deep, "{:?}", s.status);
    frame(&s, &mut views);
    let rows_above = deep - views.table_base;
    // The results pane is about 25 rows high here: the target sits near its middle, with
    // the events just newer above it and just older below it.
    assert!(
        (8..=16).contains(&rows_above),
        "{rows_above} rows above the target"
    );
    // Moving on from there scrolls as usual, one row at a time.
    let base = views.table_base;
    settle(&mut s, &svc, vec![Action::MoveDown]);
    frame(&s, &mut views);
    assert_eq!(views.table_base, base);
}

/// The end of the fixture's live build (58 events).
fn index_done_58() -> Action {
    Action::IndexDone {
        events: 58,
        errors: 0,
        skipped: 0,
        reused: false,
        problems: vec![],
    }
}

/// Whether the status line (at 120x30) says the integrity statuses are pending.
fn says_statuses_pending(s: &AppState) -> bool {
    screen_text(draw(s, 120, 30).backend().buffer()).contains("integrity pending")
}

#[test]
fn while_indexing_pending_statuses_are_said_in_the_status_line_until_the_index_is_complete() {
    use auditlens::store::{Selection, Store as _};
    let f = fixture();
    let svc = service(&f.path);
    let mut s = ready_state(&svc, (120, 30));
    let mut page = svc
        .page(
            &Selection::default(),
            &auditlens::store::PageRequest {
                limit: 10,
                ..Default::default()
            },
        )
        .unwrap();
    assert!(!page.hits.is_empty());
    for h in &mut page.hits {
        h.event.integrity = Some("pending".to_owned());
    }
    let pending_page = |s: &AppState| Action::PageDone {
        generation: s.search_gen,
        offset: 0,
        result: Ok(page.clone()),
    };
    let says = says_statuses_pending;
    // Complete: pending rows (there are none then) say nothing.
    let a = pending_page(&s);
    update(&mut s, a);
    assert!(!s.statuses_pending && !says(&s));
    // Indexing: they do, until the index is complete.
    s.progress.phase = auditlens::app::Phase::Indexing;
    let a = pending_page(&s);
    update(&mut s, a);
    assert_eq!(
        s.window
            .hits
            .first()
            .and_then(|h| h.event.integrity.clone()),
        Some("pending".to_owned())
    );
    assert!(s.statuses_pending);
    assert!(
        says(&s),
        "{}",
        screen_text(draw(&s, 120, 30).backend().buffer())
    );
    update(&mut s, index_done_58());
    assert!(!s.statuses_pending && !says(&s));
}

#[test]
fn a_live_build_of_sealed_inputs_says_its_statuses_are_pending_before_any_page() {
    // A query run while the verdict is unknown may match nothing (`integrity:modified`):
    // the status line must say the statuses are pending from the moment the index opens.
    let f = fixture();
    let svc = service(&f.path);
    let mut s = ready_state(&svc, (120, 30));
    let says = says_statuses_pending;
    s.progress.phase = auditlens::app::Phase::Opening;
    update(
        &mut s,
        Action::IndexOpened {
            complete: false,
            pending: true,
        },
    );
    assert!(s.statuses_pending);
    assert!(
        says(&s),
        "{}",
        screen_text(draw(&s, 120, 30).backend().buffer())
    );
    update(&mut s, index_done_58());
    assert!(!s.statuses_pending && !says(&s));
    // Inputs without a verdict to wait for say nothing.
    update(
        &mut s,
        Action::IndexOpened {
            complete: false,
            pending: false,
        },
    );
    assert!(!s.statuses_pending && !says(&s));
}
