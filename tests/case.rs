//! The auditor's desk in the explorer: the case file (marks and comments kept per bundle
//! across sessions, the Case pane, the access trail), `:export` with the CLI's safeguards,
//! `:report` with the case file, the Compliance pane, and live follow (`F`), driven through
//! `update` with the real effect runner, and end to end in tmux.

#![allow(
    clippy::unwrap_used,
    clippy::too_many_lines,
    clippy::many_single_char_names
)]

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use auditlens::app::{
    Action, AppState, Desk, Effect, EffectRunner, LiveAlert, Mode, Pane, SyncRunner, update,
};
use auditlens::model::Severity;
use auditlens::session::case::Recorder;
use auditlens::session::{Opened, Session};
use auditlens::store::Store as _;

use super::common::repo_root;

fn settings(cache: &Path) -> auditlens::settings::Settings {
    let mut load = super::common::load_args(
        cache.to_owned(),
        Some(repo_root().join("sample-data/trust.json")),
    );
    load.threads = Some(1);
    load.no_trail = false;
    auditlens::settings::Settings::from_args(&load).unwrap()
}

/// The sample bundle opened through a session (its own index cache under `home`).
struct Open {
    opened: Opened,
    paths: Vec<PathBuf>,
    settings: auditlens::settings::Settings,
}

fn open(paths: Vec<PathBuf>, home: &Path) -> Open {
    let settings = settings(&home.join("idx"));
    let opened = Session::new(settings.clone())
        .open(&paths, &mut |_| {}, &mut |_| {})
        .unwrap();
    Open {
        opened,
        paths,
        settings,
    }
}

fn pristine() -> PathBuf {
    repo_root().join("sample-data/pristine")
}

fn runner(o: &Open, data: &Path) -> SyncRunner {
    let mut r = SyncRunner::new(Arc::new(o.opened.store().unwrap()));
    r.desk = Desk {
        recorder: Some(Recorder::in_dir(data)),
        settings: Some(o.settings.clone()),
        paths: o.paths.clone(),
        ..Desk::default()
    };
    r
}

/// Applies actions, running every effect with `runner` (results applied in order).
fn settle(s: &mut AppState, runner: &mut SyncRunner, actions: Vec<Action>) -> Vec<Effect> {
    let mut all = Vec::new();
    let mut queue: std::collections::VecDeque<Action> = actions.into();
    while let Some(a) = queue.pop_front() {
        for e in update(s, a) {
            queue.extend(runner.run(e.clone()));
            all.push(e);
        }
    }
    all
}

fn ready(o: &Open, runner: &mut SyncRunner) -> AppState {
    let mut s = AppState::new("sample", (120, 40));
    let events = o.opened.summary().events;
    settle(
        &mut s,
        runner,
        vec![
            Action::IndexOpened {
                complete: true,
                pending: false,
            },
            Action::IndexDone {
                events,
                errors: 0,
                skipped: 0,
                reused: true,
                problems: vec![],
            },
            Action::BundleDigest(o.opened.digest().to_owned()),
        ],
    );
    s
}

fn command(line: &str) -> Vec<Action> {
    let mut v = vec![Action::FocusCommand];
    v.extend(line.chars().map(Action::InsertChar));
    v.push(Action::Submit);
    v
}

fn status(s: &AppState) -> String {
    s.status
        .as_ref()
        .map(|m| m.text.clone())
        .unwrap_or_default()
}

fn trail(data: &Path) -> Vec<serde_json::Value> {
    let mut out = Vec::new();
    for f in std::fs::read_dir(data.join("access")).unwrap() {
        let p = f.unwrap().path();
        if p.extension().is_some_and(|e| e == "jsonl") {
            for l in std::fs::read_to_string(&p).unwrap().lines() {
                let v: serde_json::Value = serde_json::from_str(l).unwrap();
                out.push(v["rec"].clone());
            }
        }
    }
    out
}

#[test]
fn marks_and_comments_are_a_case_file_kept_per_bundle_across_sessions_and_in_the_trail() {
    let home = tempfile::tempdir().unwrap();
    let data = home.path().join("data");
    let o = open(vec![pristine()], home.path());
    let mut r = runner(&o, &data);
    let mut s = ready(&o, &mut r);
    assert!(s.total > 100);
    settle(&mut s, &mut r, vec![Action::MoveDown, Action::MoveDown]);
    let first = s.selected_hit().unwrap().ord;
    let fx = settle(&mut s, &mut r, vec![Action::Mark]);
    assert!(fx.iter().any(|e| matches!(e, Effect::SaveCase { .. })));
    assert_eq!(s.marks.len(), 1);
    // `a` opens the command line for the comment; Enter saves it.
    settle(
        &mut s,
        &mut r,
        vec![Action::MoveDown, Action::MoveDown, Action::Annotate],
    );
    let second = s.selected_hit().unwrap().ord;
    assert_eq!(s.mode, Mode::Command);
    assert_eq!(s.command.text(), "comment ");
    let mut typing: Vec<Action> = "deployed without approval"
        .chars()
        .map(Action::InsertChar)
        .collect();
    typing.push(Action::Submit);
    settle(&mut s, &mut r, typing);
    assert_eq!(s.mode, Mode::Normal);
    assert_eq!(s.case.file.entries.len(), 2);
    assert_eq!(s.marks.len(), 1, "a comment alone does not mark");
    // The Case pane lists both; Enter on the comment shows its event under a label.
    settle(&mut s, &mut r, vec![Action::ShowCase]);
    assert_eq!(s.focus, Pane::Case);
    let pane = s.report_of(Pane::Case).unwrap().clone();
    assert_eq!(pane.rows.len(), 2);
    assert!(
        pane.heading.contains("1 marked, 1 commented"),
        "{}",
        pane.heading
    );
    let at = pane
        .rows
        .iter()
        .position(|r| r.text.contains("deployed without approval"))
        .unwrap();
    let mut moves = vec![Action::Top];
    moves.extend(std::iter::repeat_n(Action::MoveDown, at));
    moves.push(Action::OpenDetail);
    settle(&mut s, &mut r, moves);
    assert_eq!(
        s.jump.as_ref().unwrap().label,
        "case file: deployed without approval"
    );
    assert_eq!(s.total, 1);
    assert_eq!(s.selected_hit().unwrap().ord, second);
    settle(&mut s, &mut r, vec![Action::JumpBack]);
    assert!(s.jump.is_none());
    assert_eq!(s.focus, Pane::Case);
    // `m` in the Case pane acts on its row: unmark the first, then mark it again.
    let row_of_first = s
        .case
        .file
        .entries
        .iter()
        .position(|e| e.ord == first)
        .unwrap();
    let mut moves = vec![Action::Top];
    moves.extend(std::iter::repeat_n(Action::MoveDown, row_of_first));
    moves.push(Action::Mark);
    settle(&mut s, &mut r, moves);
    assert!(s.marks.is_empty());
    assert_eq!(
        s.case.file.entries.len(),
        1,
        "unmarked and uncommented: gone"
    );
    settle(&mut s, &mut r, vec![Action::Back, Action::Top]);
    settle(
        &mut s,
        &mut r,
        vec![Action::MoveDown, Action::MoveDown, Action::Mark],
    );
    assert_eq!(s.selected_hit().unwrap().ord, first);

    // A new session of the same bundle finds the case file again.
    let mut r2 = runner(&o, &data);
    let again = ready(&o, &mut r2);
    assert_eq!(again.case.file, s.case.file);
    assert_eq!(again.marks, s.marks);
    assert!(
        status(&again).contains("2 event(s) from earlier sessions"),
        "{}",
        status(&again)
    );
    // Another bundle has its own (empty) case file.
    let other = open(
        vec![repo_root().join("sample-data/tampered/modified-record.tar.gz")],
        home.path(),
    );
    let mut r3 = runner(&other, &data);
    assert!(ready(&other, &mut r3).case.file.entries.is_empty());

    // Every change is in the access trail, with the bundle's digest.
    let cases: Vec<serde_json::Value> = trail(&data)
        .into_iter()
        .filter(|e| e["action"] == "access.case")
        .collect();
    let kinds: Vec<&str> = cases
        .iter()
        .filter_map(|e| e["details"]["filters"]["change"]["kind"].as_str())
        .collect();
    assert_eq!(kinds, ["mark", "comment", "unmark", "mark"], "{cases:?}");
    assert!(
        cases
            .iter()
            .all(|e| e["details"]["bundle"] == o.opened.digest())
    );
}

#[test]
fn marks_made_before_the_digest_is_known_join_the_saved_case_file() {
    let home = tempfile::tempdir().unwrap();
    let data = home.path().join("data");
    let o = open(vec![pristine()], home.path());
    let mut r = runner(&o, &data);
    let mut s = AppState::new("sample", (120, 40));
    settle(
        &mut s,
        &mut r,
        vec![Action::IndexOpened {
            complete: true,
            pending: false,
        }],
    );
    settle(&mut s, &mut r, vec![Action::MoveDown, Action::Mark]);
    assert_eq!(s.marks.len(), 1);
    let fx = settle(
        &mut s,
        &mut r,
        vec![Action::BundleDigest(o.opened.digest().to_owned())],
    );
    assert!(fx.iter().any(|e| matches!(e, Effect::SaveCase { .. })));
    let saved = Recorder::in_dir(&data).load(o.opened.digest()).unwrap();
    assert_eq!(saved.entries.len(), 1);
}

#[test]
fn explorer_export_has_the_cli_safeguards_sidecar_no_overwrite_tilde_and_trail() {
    let home = tempfile::tempdir().unwrap();
    let data = home.path().join("data");
    let o = open(vec![pristine()], home.path());
    let mut r = runner(&o, &data);
    let mut s = ready(&o, &mut r);
    settle(
        &mut s,
        &mut r,
        vec![Action::SetQuery("action:model.deploy".into())],
    );
    let n = s.total;
    assert!(n > 0);
    let out = home.path().join("deploys.jsonl");
    settle(
        &mut s,
        &mut r,
        command(&format!("export {}", out.display())),
    );
    assert!(
        status(&s).starts_with(&format!("exported {n} events")),
        "{}",
        status(&s)
    );
    let text = std::fs::read(&out).unwrap();
    assert_eq!(text.iter().filter(|b| **b == b'\n').count() as u64, n);
    // The CLI's record format: the event model without origin and integrity.
    let first: serde_json::Value =
        serde_json::from_str(std::str::from_utf8(&text).unwrap().lines().next().unwrap()).unwrap();
    assert_eq!(first["action"], "model.deploy");
    assert!(first.get("origin").is_none());
    let side = std::fs::read_to_string(home.path().join("deploys.jsonl.sha256")).unwrap();
    assert_eq!(
        side,
        format!(
            "{}  deploys.jsonl\n",
            auditlens::integrity::sha256(&text).to_hex()
        )
    );
    // Never over an existing file, unless `:export!`.
    settle(&mut s, &mut r, vec![Action::SetQuery("*".into())]);
    settle(
        &mut s,
        &mut r,
        command(&format!("export {}", out.display())),
    );
    assert!(s.status.as_ref().unwrap().error);
    assert!(
        status(&s).contains("the file exists (:export! FILE replaces it)"),
        "{}",
        status(&s)
    );
    assert_eq!(std::fs::read(&out).unwrap(), text);
    settle(
        &mut s,
        &mut r,
        command(&format!("export! {}", out.display())),
    );
    assert!(status(&s).starts_with(&format!("exported {} events", s.total)));
    // `:export marked FILE`: exactly the marked events, whatever the query.
    settle(
        &mut s,
        &mut r,
        vec![
            Action::MoveDown,
            Action::Mark,
            Action::MoveDown,
            Action::MoveDown,
            Action::Mark,
        ],
    );
    settle(
        &mut s,
        &mut r,
        vec![Action::SetQuery("action:nothing-like-this".into())],
    );
    let marked = home.path().join("marked.jsonl");
    settle(
        &mut s,
        &mut r,
        command(&format!("export marked {}", marked.display())),
    );
    assert!(
        status(&s).starts_with("exported 2 events"),
        "{}",
        status(&s)
    );
    assert!(home.path().join("marked.jsonl.sha256").exists());
    // `~` is the home folder (the effect, not written: HOME is the tester's).
    let fx = update(&mut s, Action::FocusCommand);
    assert!(fx.is_empty());
    for c in "export ~/x.jsonl".chars() {
        update(&mut s, Action::InsertChar(c));
    }
    let fx = update(&mut s, Action::Submit);
    let home_dir = PathBuf::from(std::env::var_os("HOME").unwrap());
    assert!(
        fx.iter()
            .any(|e| matches!(e, Effect::Export { path, .. } if *path == home_dir.join("x.jsonl"))),
        "{fx:?}"
    );
    // Each export is in the trail with its query, time range and absolute path.
    let exports: Vec<serde_json::Value> = trail(&data)
        .into_iter()
        .filter(|e| e["action"] == "access.export")
        .collect();
    assert_eq!(
        exports.len(),
        3,
        "the refused one wrote nothing: {exports:?}"
    );
    let d = &exports[0]["details"];
    assert_eq!(d["query"], "action:model.deploy");
    assert_eq!(d["export"], out.display().to_string());
    assert_eq!(d["bundle"], o.opened.digest());
    assert!(d["filters"].get("from").is_some() && d["filters"].get("to").is_some());
    assert_eq!(exports[2]["details"]["filters"]["events"], "marked");
}

#[test]
fn report_writes_the_governance_report_with_the_case_file_and_compliance_jumps_to_evidence() {
    let home = tempfile::tempdir().unwrap();
    let data = home.path().join("data");
    let o = open(vec![pristine()], home.path());
    let mut r = runner(&o, &data);
    let mut s = ready(&o, &mut r);
    settle(
        &mut s,
        &mut r,
        vec![Action::SetQuery("action:model.deploy".into())],
    );
    settle(&mut s, &mut r, vec![Action::Mark, Action::Annotate]);
    let mut typing: Vec<Action> = "who approved this?"
        .chars()
        .map(Action::InsertChar)
        .collect();
    typing.push(Action::Submit);
    settle(&mut s, &mut r, typing);
    let md = home.path().join("case.md");
    settle(
        &mut s,
        &mut r,
        command(&format!("report eu-ai-act {}", md.display())),
    );
    assert!(
        status(&s).starts_with("wrote the eu-ai-act report"),
        "{}",
        status(&s)
    );
    assert!(
        status(&s).contains("1 case-file event(s)"),
        "{}",
        status(&s)
    );
    let text = std::fs::read_to_string(&md).unwrap();
    assert!(text.contains("## Case file"), "{text}");
    assert!(text.contains("who approved this?"), "{text}");
    assert!(
        text.contains("Art. 12") || text.contains("Art.12"),
        "{text}"
    );
    assert!(home.path().join("case.md.sha256").exists());
    // Same safeguards as export.
    settle(
        &mut s,
        &mut r,
        command(&format!("report eu-ai-act {}", md.display())),
    );
    assert!(status(&s).contains("exists"), "{}", status(&s));
    // JSON by extension, the case file as its own section with the record's digest.
    let json = home.path().join("case.json");
    settle(
        &mut s,
        &mut r,
        command(&format!("report soc2 {}", json.display())),
    );
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(v["standard"], "soc2");
    let note = &v["case_file"][0];
    assert_eq!(note["comment"], "who approved this?");
    assert_eq!(
        note["evidence"]["record_sha256"].as_str().unwrap().len(),
        64
    );
    let reports: Vec<serde_json::Value> = trail(&data)
        .into_iter()
        .filter(|e| e["action"] == "access.report")
        .collect();
    assert_eq!(reports.len(), 2);
    assert_eq!(reports[0]["details"]["filters"]["standard"], "eu-ai-act");

    // The Compliance pane: controls and status; Enter on a finding shows its evidence.
    settle(&mut s, &mut r, command("compliance eu-ai-act"));
    assert_eq!(s.focus, Pane::Compliance);
    let pane = s.report_of(Pane::Compliance).unwrap().clone();
    assert!(pane.heading.starts_with("eu-ai-act: "), "{}", pane.heading);
    assert!(pane.rows.iter().any(|r| r.text.starts_with("[gap]")));
    let at = pane
        .rows
        .iter()
        .position(|r| r.jump.is_some() && r.text.contains("without"))
        .or_else(|| pane.rows.iter().position(|r| r.jump.is_some()))
        .unwrap();
    let mut moves = vec![Action::Top];
    moves.extend(std::iter::repeat_n(Action::MoveDown, at));
    moves.push(Action::OpenDetail);
    settle(&mut s, &mut r, moves);
    let label = s.jump.as_ref().unwrap().label.clone();
    assert!(label.starts_with("evidence of: "), "{label}");
    assert!(s.total > 0);
    settle(&mut s, &mut r, vec![Action::JumpBack]);
    assert_eq!(s.focus, Pane::Compliance);
    // An unknown standard says so in the pane.
    settle(&mut s, &mut r, command("compliance no-such-law"));
    let pane = s.report_of(Pane::Compliance).unwrap();
    assert!(
        pane.heading.contains("could not be checked"),
        "{}",
        pane.heading
    );
}

#[test]
fn alerts_raised_while_following_are_announced_and_join_the_alerts_pane() {
    let home = tempfile::tempdir().unwrap();
    let o = open(vec![pristine()], home.path());
    let mut r = runner(&o, &home.path().join("data"));
    let mut s = ready(&o, &mut r);
    let fx = update(&mut s, Action::Follow);
    assert_eq!(fx, vec![Effect::Follow(true)]);
    assert!(s.case.following);
    let visible = s.progress.visible;
    let fx = update(
        &mut s,
        Action::FollowUpdate {
            appended: 3,
            alerts: vec![LiveAlert {
                title: "Error rate spike".into(),
                detail: "5 errors in 5m".into(),
                severity: Severity::Critical,
                at_ms: Some(1_000),
                evidence: vec![1, 2],
            }],
            notes: vec!["x.jsonl was truncated; reading it again from the start".into()],
        },
    );
    assert!(fx.contains(&Effect::ReloadReader), "{fx:?}");
    assert_eq!(s.progress.visible, visible + 3);
    assert!(
        status(&s).contains("ALERT critical: Error rate spike"),
        "{}",
        status(&s)
    );
    assert!(status(&s).contains("truncated"));
    let alerts = s.alerts.as_ref().unwrap();
    assert!(
        alerts.rows[0]
            .text
            .starts_with("LIVE critical Error rate spike")
    );
    assert!(s.alert_marks.contains(&(1_000, Severity::Critical)));
    let fx = update(&mut s, Action::Follow);
    assert_eq!(fx, vec![Effect::Follow(false)]);
    assert!(status(&s).contains("stopped following (3 new event(s) indexed)"));
}

#[test]
fn events_appended_to_an_open_index_are_searchable_and_the_grown_input_is_rebuilt_next_time() {
    let home = tempfile::tempdir().unwrap();
    let input = home.path().join("live.jsonl");
    std::fs::write(&input, super::common::generic_lines(30)).unwrap();
    let o = open(vec![input.clone()], home.path());
    let store = o.opened.store().unwrap();
    let all = auditlens::store::Selection::default();
    assert_eq!(store.count(&all).unwrap(), 30);
    let mut app = o.opened.index().appender().unwrap();
    let raw = br#"{"time":"2024-01-02T00:00:00Z","user":"late","action":"late.arrival"}"#;
    let mapping = auditlens::ingest::GenericMapping::shared_builtin();
    let decoded =
        auditlens::ingest::decode_record(&input.display().to_string(), 31, raw, &mapping).unwrap();
    let ev = decoded[0].event.clone();
    let ord = app.add(&ev, std::str::from_utf8(raw).unwrap()).unwrap();
    assert_eq!(ord, 30);
    app.commit().unwrap();
    drop(app);
    store.refresh().unwrap();
    assert_eq!(store.count(&all).unwrap(), 31);
    // The cached entry no longer matches its inputs' content: a later open of the same
    // (unchanged) input rebuilds instead of reusing an index with an extra event.
    let again = open(vec![input], home.path());
    assert_eq!(again.opened.summary().events, 30);
    assert_eq!(again.opened.store().unwrap().count(&all).unwrap(), 30);
}

fn tmux(socket: &str, args: &[&str]) -> String {
    let mut v = vec!["-L", socket];
    v.extend_from_slice(args);
    let out = std::process::Command::new("tmux")
        .args(&v)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn wait(socket: &str, needle: &str) -> String {
    let mut last = String::new();
    for _ in 0..400 {
        last = tmux(socket, &["capture-pane", "-p", "-t", socket]);
        if last.contains(needle) {
            return last;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    tmux(socket, &["kill-server"]);
    panic!("`{needle}` never appeared; screen:\n{last}");
}

#[test]
fn end_to_end_in_tmux_case_file_export_report_and_follow() {
    if std::process::Command::new("tmux")
        .arg("-V")
        .output()
        .is_err()
    {
        crate::common::skip_note("tmux is not installed");
        return;
    }
    let home = tempfile::tempdir().unwrap();
    let input = home.path().join("grow.jsonl");
    std::fs::write(&input, super::common::generic_lines(40)).unwrap();
    let sock = format!("auditlens-case-{}", std::process::id());
    let h = home.path().display();
    let cmd = format!(
        "cd {h} && HOME={h} XDG_CACHE_HOME={h}/c XDG_CONFIG_HOME={h}/f XDG_DATA_HOME={h}/d {bin} {input}; sleep 5",
        bin = env!("CARGO_BIN_EXE_auditlens"),
        input = input.display(),
    );
    tmux(&sock, &["kill-server"]);
    tmux(
        &sock,
        &[
            "new-session",
            "-d",
            "-s",
            &sock,
            "-x",
            "120",
            "-y",
            "40",
            &cmd,
        ],
    );
    let keys = |k: &[&str]| {
        let mut v = vec!["send-keys", "-t", sock.as_str()];
        v.extend_from_slice(k);
        tmux(&sock, &v);
    };
    wait(&sock, "40 of 40 events");
    // Mark, comment, the Case pane.
    keys(&["j", "m"]);
    wait(&sock, "1 mark(s) in the case file");
    keys(&["a"]);
    wait(&sock, ":comment");
    keys(&["-l", "looks odd"]);
    keys(&["Enter"]);
    wait(&sock, "comment saved");
    keys(&["M"]);
    let case = wait(&sock, "looks odd");
    assert!(case.contains("case file: 1 event(s)"), "{case}");
    // Export with `~`, then refused over itself.
    keys(&[":"]);
    keys(&["-l", "export ~/out.jsonl"]);
    keys(&["Enter"]);
    wait(&sock, "exported 40 events");
    assert!(home.path().join("out.jsonl.sha256").exists());
    keys(&[":"]);
    keys(&["-l", "export ~/out.jsonl"]);
    keys(&["Enter"]);
    wait(&sock, "the file exists (:export! FILE replaces it)");
    // The report with the case file.
    keys(&[":"]);
    keys(&["-l", "report gdpr ~/gdpr.md"]);
    keys(&["Enter"]);
    wait(&sock, "wrote the gdpr report");
    let md = std::fs::read_to_string(home.path().join("gdpr.md")).unwrap();
    assert!(md.contains("looks odd"), "{md}");
    // Follow: lines appended to the file appear.
    keys(&["F"]);
    wait(&sock, "following 1 file(s)");
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&input)
        .unwrap();
    f.write_all(b"{\"time\":\"2024-01-01T01:00:00Z\",\"user\":\"late\",\"action\":\"late.arrival\",\"level\":\"info\",\"msg\":\"appended during the test\"}\n")
        .unwrap();
    drop(f);
    let grown = wait(&sock, "41 of 41 events");
    assert!(grown.contains("following +1"), "{grown}");
    assert!(grown.contains("late.arrival"), "{grown}");
    keys(&["F"]);
    wait(&sock, "stopped following");
    keys(&["q"]);
    tmux(&sock, &["kill-server"]);
    // The trail has the case change, the export and the report.
    let trail = std::fs::read_dir(home.path().join("d/auditlens/access"))
        .unwrap()
        .filter_map(|e| std::fs::read_to_string(e.unwrap().path()).ok())
        .collect::<String>();
    for c in [
        "\"action\":\"access.case\"",
        "\"action\":\"access.export\"",
        "\"action\":\"access.report\"",
    ] {
        assert!(trail.contains(c), "{c} missing from the trail");
    }
}
