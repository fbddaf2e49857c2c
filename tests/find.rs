//! The explorer's find-in-view, context view, count prefixes, time ranges, report panes
//! while they are computed, and the Log pane (issue 16 items 1, 4, 7 and 11): `update`
//! logic over a real index, snapshots, and an end-to-end run in tmux.

#![allow(clippy::unwrap_used, clippy::format_push_string)]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use auditlens::app::reports::{Reports, compute_each};
use auditlens::app::{Action, AppState, LoadProblem, Mode, Pane, update};
use auditlens::index::{BareIndex, CommitPolicy, LocalStore};
use auditlens::ingest::{IngestOptions, IngestProgress, ingest};
use auditlens::ui::{Keymap, Theme, UiViews};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use crate::ui::{draw, fixture, ready_state, screen_text, service, settle, tmux, typed};

/// `:cmd` typed and submitted.
fn command(cmd: &str) -> Vec<Action> {
    let mut v = vec![Action::FocusCommand];
    v.extend(typed(cmd));
    v.push(Action::Submit);
    v
}

/// The screen's text with borders dropped and every run of blanks made one space, so that
/// wrapped sentences read whole.
fn flat(s: &AppState, w: u16, h: u16) -> String {
    let text = screen_text(draw(s, w, h).backend().buffer());
    text.replace(['\u{2502}', '\u{2503}', '\n'], " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn key_of(s: &AppState) -> (i64, u64) {
    let h = s.selected_hit().unwrap();
    (h.event.ts.unwrap().timestamp_millis(), h.ord)
}

/// 600 events a minute apart; every 50th is by `needle-user`, so most matches lie beyond
/// the first fetched window.
fn big_store() -> (tempfile::TempDir, LocalStore) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.jsonl");
    let mut out = String::new();
    for i in 0..600u32 {
        let actor = if i % 50 == 7 { "needle-user" } else { "hay" };
        out.push_str(&format!(
            r#"{{"ts":"2026-03-10T{:02}:{:02}:00Z","action":"api.call","actor":"{actor}","severity":"info","outcome":"success","message":"event {i}"}}"#,
            i / 60,
            i % 60
        ));
        out.push('\n');
    }
    std::fs::write(&path, out).unwrap();
    let mem = BareIndex::new();
    let mut indexer = mem.indexer(15_000_000, 1, CommitPolicy::AT_END).unwrap();
    ingest(&[path], IngestOptions::default(), &mut indexer, |_| {});
    indexer.finish().unwrap();
    (dir, mem.store().unwrap())
}

// ---------------------------------------------------------------- item 4: find

#[test]
fn find_marks_matches_without_filtering_and_n_walks_them_past_the_window_with_a_wrap() {
    let (_dir, svc) = big_store();
    let mut s = ready_state(&svc, (120, 40));
    assert_eq!(s.total, 600);
    settle(&mut s, &svc, vec![Action::FindPrompt]);
    assert_eq!(s.mode, Mode::Command);
    assert_eq!(s.command.text(), "find ");
    let mut keys = typed("needle-user");
    keys.push(Action::Submit);
    settle(&mut s, &svc, keys);
    assert_eq!(s.total, 600, "a find does not filter");
    let f = s.find.clone().unwrap();
    assert_eq!(f.total, Some(12));
    // The first match from the top is selected, and known as a match.
    let first = s.selected;
    assert_eq!(
        s.selected_hit().unwrap().event.actor.id.as_deref(),
        Some("needle-user")
    );
    assert!(f.matches(s.selected_hit().unwrap().ord));
    // n visits every match in list order, beyond the first window of 256, then wraps.
    let mut seen = vec![s.selected];
    for _ in 0..11 {
        settle(&mut s, &svc, vec![Action::NextFind]);
        assert_eq!(
            s.selected_hit().unwrap().event.actor.id.as_deref(),
            Some("needle-user")
        );
        seen.push(s.selected);
    }
    assert!(seen.windows(2).all(|w| w[0] < w[1]), "{seen:?}");
    assert!(*seen.last().unwrap() > 256, "{seen:?}");
    assert!(s.status.as_ref().unwrap().text.contains("match 12 of 12"));
    settle(&mut s, &svc, vec![Action::NextFind]);
    assert_eq!(s.selected, first);
    assert!(
        s.status
            .as_ref()
            .unwrap()
            .text
            .contains("wrapped to the top"),
        "{:?}",
        s.status
    );
    // N goes back across the wrap.
    settle(&mut s, &svc, vec![Action::PrevFind]);
    assert_eq!(s.selected, *seen.last().unwrap());
    assert!(
        s.status
            .as_ref()
            .unwrap()
            .text
            .contains("wrapped to the bottom")
    );
    settle(&mut s, &svc, vec![Action::PrevFind]);
    assert_eq!(s.selected, seen[10]);
    // The window there was looked up: its matches are known.
    let f = s.find.clone().unwrap();
    assert!(f.matches(s.selected_hit().unwrap().ord));
    // A count walks that many matches: 3n from the 11th is the 2nd (a wrap), 4N back is the
    // 10th (another), 16n goes round once more to the 2nd.
    let says = |s: &AppState, t: &str| s.status.as_ref().is_some_and(|m| m.text.contains(t));
    settle(&mut s, &svc, vec![Action::Count(3), Action::NextFind]);
    assert_eq!(s.selected, seen[1]);
    assert!(says(&s, "wrapped to the top"), "{:?}", s.status);
    settle(&mut s, &svc, vec![Action::Count(4), Action::PrevFind]);
    assert_eq!(s.selected, seen[9]);
    assert!(says(&s, "wrapped to the bottom"), "{:?}", s.status);
    let keys = vec![Action::Count(1), Action::Count(6), Action::NextFind];
    settle(&mut s, &svc, keys);
    assert_eq!(s.selected, seen[1]);
    assert!(says(&s, "match 2 of 12"), "{:?}", s.status);
    // Esc in the results clears the find.
    settle(&mut s, &svc, vec![Action::Back]);
    assert!(s.find.is_none());
    settle(&mut s, &svc, vec![Action::NextFind]);
    assert!(s.status.as_ref().unwrap().text.contains("no find"));
}

#[test]
fn find_matches_are_highlighted_in_the_table_and_the_detail_view() {
    let fx = fixture();
    let svc = service(&fx.path);
    let mut s = ready_state(&svc, (120, 40));
    settle(&mut s, &svc, command("find train"));
    assert_eq!(s.find.as_ref().unwrap().total, Some(2));
    assert!(s.selected_hit().unwrap().event.action.contains("train"));
    let t = draw(&s, 120, 40);
    let buf = t.backend().buffer();
    let text = screen_text(buf);
    assert!(text.contains("find: 2 match(es)"), "{text}");
    assert!(text.contains("find train (2)"), "{text}");
    // The matching rows carry the marker; the word itself is drawn in the match style.
    assert_eq!(text.matches('\u{203a}').count(), 2, "{text}");
    let hl = Theme::builtin("dark", false).unwrap().match_highlight();
    let highlighted: String = (0..buf.area.height)
        .flat_map(|y| (0..buf.area.width).map(move |x| (x, y)))
        .filter(|&(x, y)| buf[(x, y)].bg == hl.bg.unwrap())
        .map(|(x, y)| buf[(x, y)].symbol().to_owned())
        .collect();
    assert!(highlighted.contains("train"), "{highlighted}");
    // The detail view highlights it too.
    settle(&mut s, &svc, vec![Action::OpenDetail]);
    let t = draw(&s, 120, 40);
    let buf = t.backend().buffer();
    let in_detail = (0..buf.area.height)
        .flat_map(|y| (0..buf.area.width).map(move |x| (x, y)))
        .filter(|&(x, y)| buf[(x, y)].bg == hl.bg.unwrap())
        .count();
    assert!(in_detail >= 10, "{in_detail}");
    insta::assert_snapshot!("find_highlight_120x40", t.backend());
    // A refused find query says so and ends the find.
    settle(&mut s, &svc, command("find actor.id:("));
    assert!(s.find.is_none());
    assert!(s.status.as_ref().unwrap().error);
}

#[test]
fn marks_walk_with_quote_keys_and_n_is_the_find() {
    let k = Keymap::builtin();
    let key = |c: char| KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE);
    assert_eq!(k.lookup(Mode::Normal, "'"), Some("next_mark"));
    assert_eq!(k.lookup(Mode::Normal, "\""), Some("prev_mark"));
    assert_eq!(k.lookup(Mode::Normal, "n"), Some("next_find"));
    assert_eq!(k.lookup(Mode::Normal, "N"), Some("prev_find"));
    assert_eq!(k.lookup(Mode::Normal, "*"), Some("find"));
    assert_eq!(k.lookup(Mode::Normal, "C"), Some("context"));
    assert_eq!(k.lookup(Mode::Normal, "s"), Some("toggle_log_scale"));
    for d in 0..10u8 {
        let c = char::from(b'0' + d);
        assert_eq!(
            auditlens::ui::Keymap::builtin().lookup(Mode::Normal, &c.to_string()),
            Some("count")
        );
        let _ = key(c);
    }
    // In the search bar a digit is text, not a count.
    let help = auditlens::ui::ACTIONS
        .iter()
        .find(|a| a.name == "count")
        .unwrap();
    assert!(help.help.contains("5j"));
}

#[test]
fn context_shows_the_neighbours_in_the_input_whatever_the_filter_and_backspace_returns() {
    let fx = fixture();
    let svc = service(&fx.path);
    let mut s = ready_state(&svc, (120, 40));
    settle(
        &mut s,
        &svc,
        vec![Action::SetQuery("outcome:failure".into())],
    );
    let filtered = s.total;
    // The third failed login (02:12), then its context of 2 on each side.
    settle(
        &mut s,
        &svc,
        vec![Action::MoveDown, Action::MoveDown, Action::MoveDown],
    );
    let picked = key_of(&s);
    let picked_action = s.selected_hit().unwrap().event.action.clone();
    settle(&mut s, &svc, vec![Action::Count(2), Action::Context]);
    assert_eq!(s.total, 5, "2 before, the event, 2 after");
    assert_eq!(key_of(&s), picked, "the event stays selected");
    let j = s.jump.clone().unwrap();
    assert!(
        j.label.starts_with("context: 5 event(s) around "),
        "{}",
        j.label
    );
    assert!(j.label.contains(&picked_action));
    // Neighbours in time, whatever the filter: the routine 02:00 and 02:30 events are in.
    let times: Vec<String> = s
        .window
        .hits
        .iter()
        .map(|h| h.event.ts.unwrap().format("%H:%M").to_string())
        .collect();
    assert_eq!(times, ["02:15", "02:14", "02:13", "02:12", "02:11"]);
    settle(&mut s, &svc, vec![Action::JumpBack]);
    assert_eq!(s.query, "outcome:failure");
    assert_eq!(s.total, filtered);
    assert_eq!(key_of(&s), picked);
    // C alone: 5 each side, the routine events around the burst included.
    settle(&mut s, &svc, vec![Action::Context]);
    assert_eq!(s.total, 11);
    let outcomes: Vec<String> = s
        .window
        .hits
        .iter()
        .map(|h| h.event.outcome.as_str().to_owned())
        .collect();
    assert!(outcomes.iter().any(|o| o == "success"), "{outcomes:?}");
    settle(&mut s, &svc, vec![Action::JumpBack]);
    settle(&mut s, &svc, command("context 1"));
    assert_eq!(s.total, 3);
}

#[test]
fn clearing_a_filter_keeps_the_selected_event_selected_and_mid_view() {
    let fx = fixture();
    let svc = service(&fx.path);
    let mut s = ready_state(&svc, (120, 40));
    let all = s.total;
    settle(
        &mut s,
        &svc,
        vec![Action::SetQuery("outcome:failure".into())],
    );
    settle(&mut s, &svc, vec![Action::MoveDown, Action::MoveDown]);
    let picked = key_of(&s);
    let centered = s.center_request;
    let mut keys = vec![Action::FocusSearch, Action::ClearInput];
    keys.push(Action::Submit);
    settle(&mut s, &svc, keys);
    assert_eq!(s.query, "");
    assert_eq!(s.total, all);
    assert_eq!(key_of(&s), picked);
    assert!(s.selected > 10, "not the top: {}", s.selected);
    assert!(s.center_request > centered, "the table centres it");
    // So do a time range, x and :clear.
    settle(&mut s, &svc, command("from 2026-03-09T01:00:00Z"));
    settle(&mut s, &svc, vec![Action::ClearRange]);
    assert_eq!(key_of(&s), picked);
    settle(&mut s, &svc, command("clear"));
    assert_eq!(key_of(&s), picked);
}

// ---------------------------------------------------------------- item 7: time ranges

#[test]
fn count_prefixes_move_that_far_and_other_keys_drop_them() {
    let fx = fixture();
    let svc = service(&fx.path);
    let mut s = ready_state(&svc, (120, 40));
    settle(&mut s, &svc, vec![Action::Count(5), Action::MoveDown]);
    assert_eq!(s.selected, 5);
    assert!(s.count.is_none());
    settle(
        &mut s,
        &svc,
        vec![Action::Count(1), Action::Count(0), Action::MoveDown],
    );
    assert_eq!(s.selected, 15);
    settle(&mut s, &svc, vec![Action::Count(3), Action::MoveUp]);
    assert_eq!(s.selected, 12);
    settle(&mut s, &svc, vec![Action::Count(3), Action::Bottom]);
    assert_eq!(s.selected, 2, "3G: the third event");
    settle(
        &mut s,
        &svc,
        vec![Action::Count(4), Action::Mark, Action::MoveDown],
    );
    assert_eq!(s.selected, 3, "a count is dropped by another key");
    // While a count is typed the status line shows it.
    settle(&mut s, &svc, vec![Action::Count(7)]);
    let t = draw(&s, 120, 40);
    assert!(screen_text(t.backend().buffer()).contains("count 7"));
    settle(&mut s, &svc, vec![Action::Back]);
    // In the timeline: buckets.
    settle(&mut s, &svc, vec![Action::NextPane, Action::NextPane]);
    assert_eq!(s.focus, Pane::Timeline);
    settle(
        &mut s,
        &svc,
        vec![
            Action::Top,
            Action::Count(1),
            Action::Count(0),
            Action::Right,
        ],
    );
    assert_eq!(s.timeline.cursor, 10);
    settle(&mut s, &svc, vec![Action::Count(4), Action::Left]);
    assert_eq!(s.timeline.cursor, 6);
    settle(&mut s, &svc, vec![Action::Count(2), Action::MoveDown]);
    assert_eq!(s.timeline.cursor, 8);
}

#[test]
fn relative_ranges_count_back_from_the_data_clamp_to_it_and_always_show_in_the_status_line() {
    let fx = fixture();
    let svc = service(&fx.path);
    let mut s = ready_state(&svc, (120, 40));
    assert!(s.data_span.is_some(), "asked for when the index opened");
    // The data's latest event is at 23:30.
    settle(&mut s, &svc, command("last 2h"));
    let from = s.from.unwrap().to_rfc3339();
    assert_eq!(from, "2026-03-09T21:30:00+00:00");
    assert_eq!(s.total, 5, "21:30, 22:00, 22:30, 23:00, 23:30");
    let t = draw(&s, 120, 40);
    let text = screen_text(t.backend().buffer());
    assert!(
        text.contains("time 2026-03-09 21:30:00Z \u{2192} 23:30:00Z"),
        "{text}"
    );
    insta::assert_snapshot!("status_time_range_80x24", draw(&s, 80, 24).backend());
    // From a week back: clamped to the data's start, and said.
    settle(&mut s, &svc, command("from -7d"));
    assert!(
        s.status
            .as_ref()
            .unwrap()
            .text
            .contains("clamped to the data")
    );
    assert_eq!(s.from.unwrap().to_rfc3339(), "2026-03-09T00:00:00+00:00");
    // A range with no data is refused; the range stays.
    let before = (s.from, s.to);
    settle(&mut s, &svc, command("from 2031-01-01"));
    assert!(s.status.as_ref().unwrap().error);
    assert_eq!((s.from, s.to), before);
    settle(&mut s, &svc, command("last soon"));
    assert!(s.status.as_ref().unwrap().error);
    settle(&mut s, &svc, command("last 30m"));
    assert_eq!(s.total, 2, "23:00 and 23:30");
    // Local time in the status line follows :tz.
    settle(&mut s, &svc, command("tz local"));
    let t = draw(&s, 120, 40);
    assert!(screen_text(t.backend().buffer()).contains("time 2026-03-"));
}

#[test]
fn timeline_ranges_need_two_ends_g_keeps_a_pending_range_and_messages_do_not_go_stale() {
    let fx = fixture();
    let svc = service(&fx.path);
    let mut s = ready_state(&svc, (120, 40));
    let all = s.total;
    settle(&mut s, &svc, vec![Action::NextPane, Action::NextPane]);
    settle(&mut s, &svc, vec![Action::Top, Action::SelectRange]);
    assert!(s.status.as_ref().unwrap().text.contains("other end"));
    // G moves the cursor to the end of the timeline; the range being selected stays.
    settle(&mut s, &svc, vec![Action::Bottom]);
    assert_eq!(s.timeline.anchor, Some(0));
    let n = s.histogram.as_ref().unwrap().counts.len();
    assert_eq!(s.timeline.cursor, n - 1);
    settle(&mut s, &svc, vec![Action::Top]);
    // v then Enter on the same bucket: not applied silently.
    settle(&mut s, &svc, vec![Action::OpenDetail]);
    assert!(s.from.is_none());
    assert!(s.status.as_ref().unwrap().text.contains("one bucket"));
    settle(&mut s, &svc, vec![Action::OpenDetail]);
    assert!(s.from.is_some(), "asked for twice: applied");
    assert!(s.total < all);
    let msg = s.status.as_ref().unwrap().text.clone();
    assert!(msg.starts_with("time range "), "{msg}");
    assert!(!msg.contains("other end"));
    settle(&mut s, &svc, vec![Action::ClearRange]);
    // Esc cancels a range and says so.
    settle(&mut s, &svc, vec![Action::SelectRange, Action::Back]);
    assert!(s.timeline.anchor.is_none());
    assert!(s.status.as_ref().unwrap().text.contains("cancelled"));
    // Panning stops at the data's ends.
    settle(&mut s, &svc, vec![Action::ZoomIn, Action::Top]);
    for _ in 0..40 {
        settle(&mut s, &svc, vec![Action::Left]);
    }
    let h = s.histogram.as_ref().unwrap();
    let (start, _) = s.data_span.unwrap();
    assert!(h.end_ms() > start, "some data stays in view");
    assert!(
        s.status
            .as_ref()
            .unwrap()
            .text
            .contains("the data starts here")
    );
}

#[test]
fn the_log_scale_and_no_color_glyphs_tell_severities_apart() {
    let fx = fixture();
    let svc = service(&fx.path);
    let mut s = ready_state(&svc, (120, 40));
    settle(
        &mut s,
        &svc,
        vec![Action::NextPane, Action::NextPane, Action::Maximise],
    );
    let linear = screen_text(draw(&s, 120, 40).backend().buffer());
    settle(&mut s, &svc, vec![Action::ToggleLogScale]);
    assert!(s.log_scale);
    let log = screen_text(draw(&s, 120, 40).backend().buffer());
    assert!(log.contains("log scale"));
    let full = |t: &str| t.matches('\u{2588}').count();
    assert!(
        full(&log) > full(&linear),
        "small buckets grow on a log scale"
    );
    insta::assert_snapshot!("timeline_log_scale_120x40", draw(&s, 120, 40).backend());
    // NO_COLOR: a legend and a glyph per severity.
    let plain = Theme::builtin("dark", true).unwrap();
    let mut t = Terminal::new(TestBackend::new(120, 40)).unwrap();
    t.draw(|f| auditlens::ui::render(f, &s, &mut UiViews::default(), &plain, &Keymap::builtin()))
        .unwrap();
    let text = screen_text(t.backend().buffer());
    assert!(
        text.contains("\u{2588} crit \u{2593} err \u{2592} warn \u{2591} info"),
        "{text}"
    );
    assert!(text.matches('\u{2591}').count() > 3, "{text}");
    assert!(text.matches('\u{2592}').count() > 3, "{text}");
}

// ---------------------------------------------------------------- item 1: report panes

#[test]
#[allow(clippy::too_many_lines)]
fn report_panes_say_what_is_being_computed_and_how_far_then_show_the_report() {
    let t0 = Instant::now();
    let mut s = AppState::new("sample-data/pristine", (100, 30));
    s.focus = Pane::Integrity;
    update(&mut s, Action::Tick(t0));
    update(
        &mut s,
        Action::IndexProgress(IngestProgress {
            files_done: 1,
            events: 1200,
            errors: 0,
            bytes_read: 512 * 1024,
            bytes_total: 2 * 1024 * 1024,
        }),
    );
    let text = flat(&s, 100, 30);
    assert!(text.contains("integrity: computing"), "{text}");
    assert!(text.contains("1200 events"), "{text}");
    assert!(text.contains("25% of 2.0 MB"), "{text}");
    assert!(!text.contains("not available in this build"));
    insta::assert_snapshot!(
        "pane_integrity_computing_100x30",
        draw(&s, 100, 30).backend()
    );
    // The build is done: the panes count the seconds.
    update(
        &mut s,
        Action::IndexDone {
            events: 1500,
            errors: 0,
            skipped: 0,
            reused: false,
            problems: vec![],
        },
    );
    update(&mut s, Action::Tick(t0 + Duration::from_millis(1500)));
    s.focus = Pane::Lineage;
    let text = flat(&s, 100, 30);
    assert!(
        text.contains("lineage: computing: building the model lineage graph"),
        "{text}"
    );
    assert!(text.contains("over 1500 events, 1.5 s so far"), "{text}");
    // The real reports, computed one pane at a time, integrity first.
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let home = tempfile::tempdir().unwrap();
    let load = super::common::load_args(
        home.path().join("idx"),
        Some(root.join("sample-data/trust.json")),
    );
    let session =
        auditlens::session::Session::new(auditlens::settings::Settings::from_args(&load).unwrap());
    // Relative, so that the path in the snapshot is the same in every checkout.
    let pristine = PathBuf::from("sample-data/pristine");
    let opened = session
        .open(std::slice::from_ref(&pristine), &mut |_| {}, &mut |_| {})
        .unwrap();
    let mut parts: Vec<Reports> = Vec::new();
    compute_each(
        opened.integrity(),
        &opened.store().unwrap(),
        opened.dir(),
        |r| {
            parts.push(r);
        },
    );
    assert_eq!(parts.len(), 3);
    assert!(parts[0].integrity.is_some() && parts[0].lineage.is_none());
    assert!(parts[1].lineage.is_some() && parts[1].alerts.is_none());
    assert!(parts[2].alerts.is_some() && !parts[2].alert_marks.is_empty());
    let mut parts = parts.into_iter();
    update(
        &mut s,
        Action::ReportsReady(Box::new(parts.next().unwrap())),
    );
    s.focus = Pane::Integrity;
    let text = flat(&s, 100, 30);
    assert!(text.contains("integrity: verified"), "{text}");
    insta::assert_snapshot!(
        "pane_integrity_computed_100x30",
        draw(&s, 100, 30).backend()
    );
    // Lineage is still being computed while integrity shows.
    s.focus = Pane::Lineage;
    assert!(flat(&s, 100, 30).contains("computing"));
    for p in parts {
        update(&mut s, Action::ReportsReady(Box::new(p)));
    }
    s.focus = Pane::Alerts;
    let text = flat(&s, 100, 30);
    assert!(!text.contains("computing"), "{text}");
    insta::assert_snapshot!("pane_alerts_computed_100x30", draw(&s, 100, 30).backend());
    // A failed build: the panes say they were not computed, and why.
    let mut f = AppState::new("x", (100, 30));
    f.focus = Pane::Alerts;
    update(
        &mut f,
        Action::WorkerFailed("indexing failed: disk full".into()),
    );
    let text = flat(&f, 100, 30);
    assert!(text.contains("alerts: not computed"), "{text}");
    assert!(text.contains("disk full"), "{text}");
}

// ---------------------------------------------------------------- item 11: the log

#[test]
fn the_log_lists_load_problems_sanitised_and_enter_shows_the_events_around_the_line() {
    let fx = fixture();
    let svc = service(&fx.path);
    let mut s = ready_state(&svc, (120, 40));
    let path = fx.path.display().to_string();
    settle(
        &mut s,
        &svc,
        vec![Action::LoadProblems(vec![LoadProblem {
            path: path.clone(),
            line: Some(59),
            reason: "not JSON \u{1b}[31mred".into(),
        }])],
    );
    settle(&mut s, &svc, command("errors"));
    assert_eq!(s.focus, Pane::Log);
    assert_eq!(s.report_cursor, 1);
    let row = &s.log.rows[1];
    assert!(
        row.text.contains(&format!("{path}:59: not JSON")),
        "{}",
        row.text
    );
    assert!(!row.text.contains('\u{1b}'));
    let text = screen_text(draw(&s, 120, 40).backend().buffer());
    assert!(
        text.contains("load problems: 1 (1 records skipped)"),
        "{text}"
    );
    // Enter: the events of the lines around it (54..=64; 59 itself did not load).
    settle(&mut s, &svc, vec![Action::OpenDetail]);
    assert_eq!(s.focus, Pane::Results);
    assert_eq!(s.total, 5);
    assert!(s.jump.as_ref().unwrap().label.contains("around line 59"));
    settle(&mut s, &svc, vec![Action::JumpBack]);
    assert_eq!(s.focus, Pane::Log);
}

#[test]
fn status_messages_expire_and_the_message_log_keeps_them_all_with_times() {
    let fx = fixture();
    let svc = service(&fx.path);
    let mut s = ready_state(&svc, (120, 40));
    let t0 = Instant::now();
    settle(&mut s, &svc, vec![Action::Tick(t0), Action::ToggleOrder]);
    assert!(s.status.is_some());
    settle(
        &mut s,
        &svc,
        vec![Action::Tick(t0 + Duration::from_secs(4))],
    );
    assert!(s.status.is_some(), "still shown after 4 s");
    settle(
        &mut s,
        &svc,
        vec![Action::Tick(t0 + Duration::from_secs(6))],
    );
    assert!(s.status.is_none(), "gone after 5 s");
    // Errors stay longer.
    settle(&mut s, &svc, command("tz mars"));
    assert!(s.status.as_ref().unwrap().error);
    settle(
        &mut s,
        &svc,
        vec![Action::Tick(t0 + Duration::from_secs(12))],
    );
    assert!(s.status.is_some());
    settle(
        &mut s,
        &svc,
        vec![Action::Tick(t0 + Duration::from_secs(30))],
    );
    assert!(s.status.is_none());
    // Every message is in the log, newest last, with when it was shown.
    settle(&mut s, &svc, command("messages"));
    assert_eq!(s.focus, Pane::Log);
    let texts: Vec<&str> = s.log.rows.iter().map(|r| r.text.as_str()).collect();
    let order = texts
        .iter()
        .position(|t| t.contains("oldest first"))
        .unwrap();
    let tz = texts
        .iter()
        .position(|t| t.contains(":tz takes utc"))
        .unwrap();
    assert!(order < tz);
    assert!(
        texts[order].trim_start().starts_with("+0.0s"),
        "{}",
        texts[order]
    );
    assert!(texts[tz].trim_start().starts_with("+6.0s"), "{}", texts[tz]);
    assert_eq!(s.report_cursor, s.log.rows.len() - 1);
    insta::assert_snapshot!("pane_log_80x24", draw(&s, 80, 24).backend());
}

// ---------------------------------------------------------------- the real binary in tmux

#[test]
fn end_to_end_in_tmux_find_context_count_range_and_the_log() {
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
    let session = format!("auditlens-find-{}", std::process::id());
    let cmd = format!(
        "XDG_CACHE_HOME={cache} XDG_CONFIG_HOME={cache} {bin} {input}; sleep 5",
        cache = home.path().display(),
        bin = env!("CARGO_BIN_EXE_auditlens"),
        input = fx.path.display(),
    );
    let s = session.as_str();
    let t = |args: &[&str]| {
        let mut v = vec!["-L", s];
        v.extend_from_slice(args);
        tmux(&v)
    };
    t(&["kill-server"]);
    t(&["new-session", "-d", "-s", s, "-x", "120", "-y", "40", &cmd]);
    let wait = |needle: &str| {
        // Generous: the tests run beside other builds on two cores.
        let mut last = String::new();
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(60) {
            last = t(&["capture-pane", "-p", "-t", s]);
            if last.contains(needle) {
                return last;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        t(&["kill-server"]);
        panic!("`{needle}` never appeared; screen:\n{last}");
    };
    wait("of 58 events");
    // Find: * opens :find, n walks the matches.
    t(&["send-keys", "-t", s, "*"]);
    wait(":find");
    t(&["send-keys", "-t", s, "-l", "train"]);
    t(&["send-keys", "-t", s, "Enter"]);
    wait("find: 2 match(es)");
    t(&["send-keys", "-t", s, "n"]);
    wait("match 2 of 2");
    t(&["send-keys", "-t", s, "n"]);
    wait("wrapped to the top");
    // Context of 2: five events, whatever the filter.
    t(&["send-keys", "-t", s, "2", "C"]);
    wait("context: 5 event(s) around");
    t(&["send-keys", "-t", s, "BSpace"]);
    wait("back where you were");
    // A count: 5j from the top.
    t(&["send-keys", "-t", s, "g", "5", "j"]);
    wait("6/58");
    // The applied range is in the status line as times.
    t(&["send-keys", "-t", s, ":"]);
    t(&["send-keys", "-t", s, "-l", "last 2h"]);
    t(&["send-keys", "-t", s, "Enter"]);
    wait("time 2026-03-09 21:30:00Z");
    // The log: the load problem of the bad line, and the messages.
    t(&["send-keys", "-t", s, ":"]);
    t(&["send-keys", "-t", s, "-l", "errors"]);
    t(&["send-keys", "-t", s, "Enter"]);
    let log = wait("load problems: 1");
    assert!(log.contains(":59:"), "{log}");
    t(&["send-keys", "-t", s, ":"]);
    t(&["send-keys", "-t", s, "-l", "messages"]);
    t(&["send-keys", "-t", s, "Enter"]);
    wait("messages:");
    t(&["send-keys", "-t", s, "q"]);
    t(&["kill-server"]);
}
