//! The explorer's main loop and terminal lifecycle: one inbound channel (`Msg`), an input
//! thread polling every 50 ms, the indexer thread, the search worker; render once per batch
//! of messages and only when something changed. The terminal is restored on every exit
//! path: return, error, panic (ratatui's hook), SIGTERM / SIGHUP / SIGINT.

use std::io::Write as _;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result};
use base64::Engine as _;
use crossterm::event::{self, Event, KeyEventKind, MouseEventKind};
use ratatui::Terminal;
use ratatui::backend::Backend;

use super::action::Action;
use super::effect::Effect;
use super::msg::{Msg, WorkerMsg};
use super::state::AppState;
use super::update::update;
use super::worker::{EffectRunner, ThreadRunner};
use crate::index::LiveEvent;
use crate::model::escape_control;
use crate::session::Session;
use crate::store::Store;
use crate::ui::{Keymap, Theme, UiSettings, UiViews};

/// Loop tick: input poll and debounce resolution.
const TICK: Duration = Duration::from_millis(50);

/// An interactive session.
pub struct RunOptions {
    /// Inputs.
    pub paths: Vec<PathBuf>,
    /// The session that opens them (settings, masker, trust store).
    pub session: Session,
    /// Keymap, theme, zone and mouse.
    pub ui: UiSettings,
    /// A store to explore instead of indexing `paths` (`--remote`).
    pub remote: Option<Arc<dyn Store>>,
}

/// Restores the terminal when dropped (error returns, normal exit).
struct TerminalGuard {
    mouse: bool,
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        if self.mouse {
            let _ = crossterm::execute!(std::io::stdout(), event::DisableMouseCapture);
        }
        ratatui::restore();
    }
}

/// The pane (and result position) under a mouse click.
fn clicked(state: &AppState, views: &UiViews, col: u16, row: u16) -> Option<Action> {
    let full = ratatui::layout::Rect::new(0, 0, state.size.0, state.size.1);
    let areas = crate::ui::areas(full, state);
    let pos = ratatui::layout::Position::new(col, row);
    let (pane, area) = areas.panes.iter().find(|(_, a)| a.contains(pos))?;
    let mut at = None;
    if *pane == crate::app::Pane::Results && row >= area.y + 2 && row + 1 < area.bottom() {
        let line = u64::from(row - area.y - 2);
        at = Some(views.table_base + views.table.offset() as u64 + line);
    }
    Some(Action::Click(*pane, at))
}

/// Turns a terminal event into actions through the keymap.
fn input_actions(state: &AppState, views: &UiViews, keymap: &Keymap, ev: &Event) -> Vec<Action> {
    match ev {
        Event::Key(k) if k.kind == KeyEventKind::Press => {
            keymap.action_for(state.mode, k).into_iter().collect()
        }
        Event::Resize(w, h) => vec![Action::Resize(*w, *h)],
        Event::Mouse(m) => match m.kind {
            MouseEventKind::ScrollDown => vec![Action::Scroll(3)],
            MouseEventKind::ScrollUp => vec![Action::Scroll(-3)],
            MouseEventKind::Down(event::MouseButton::Left) => {
                clicked(state, views, m.column, m.row).into_iter().collect()
            }
            _ => vec![],
        },
        _ => vec![],
    }
}

/// Handles one message: returns the actions it yields.
fn msg_actions(
    msg: Msg,
    state: &AppState,
    views: &UiViews,
    keymap: &Keymap,
    on_store: &mut dyn FnMut(Arc<dyn Store>),
) -> Vec<Action> {
    match msg {
        Msg::Input(ev) => input_actions(state, views, keymap, &ev),
        Msg::Worker(WorkerMsg::Action(a)) => vec![a],
        Msg::Worker(WorkerMsg::Live(ev)) => match ev {
            LiveEvent::Opened {
                store,
                complete,
                pending,
            } => {
                on_store(Arc::new(store));
                vec![Action::IndexOpened { complete, pending }]
            }
            LiveEvent::Progress(p) => vec![Action::IndexProgress(p)],
            LiveEvent::Committed { docs } => vec![Action::Committed { docs }],
            LiveEvent::Notice(text) => vec![Action::Notice(text)],
            LiveEvent::Done(opened) => {
                let s = &opened.summary;
                let problems = s
                    .errors
                    .iter()
                    .take(5)
                    .map(|e| {
                        let line = e.line.map(|l| format!(":{l}")).unwrap_or_default();
                        escape_control(&format!("{}{line}: {}", e.path, e.reason)).into_owned()
                    })
                    .collect();
                let every = s
                    .errors
                    .iter()
                    .map(|e| super::LoadProblem {
                        path: escape_control(&e.path).into_owned(),
                        line: e.line,
                        reason: escape_control(&e.reason).into_owned(),
                    })
                    .collect();
                let action = Action::IndexDone {
                    events: s.events,
                    errors: s.errors_total,
                    skipped: s.skipped,
                    reused: opened.reused,
                    problems,
                };
                let digest = Action::BundleDigest(opened.digest.clone());
                if !opened.reused {
                    match opened.store() {
                        Ok(store) => on_store(Arc::new(store)),
                        Err(e) => {
                            return vec![
                                action,
                                Action::LoadProblems(every),
                                Action::WorkerFailed(format!("opening the index: {e}")),
                            ];
                        }
                    }
                }
                vec![action, Action::LoadProblems(every), digest]
            }
        },
    }
}

/// The loop, generic over the backend: takes input and worker results from `rx`, applies
/// them, runs effects, renders when something changed. Returns when `Quit` is applied, when
/// `stop` is raised (signals), or when every sender is gone.
#[allow(clippy::too_many_arguments)]
pub fn run_loop<B: Backend>(
    terminal: &mut Terminal<B>,
    state: &mut AppState,
    views: &mut UiViews,
    rx: &Receiver<Msg>,
    runner: &mut dyn EffectRunner,
    keymap: &Keymap,
    theme: &Theme,
    stop: &AtomicBool,
    on_store: &mut dyn FnMut(Arc<dyn Store>),
    copy: &mut dyn FnMut(&str),
) -> Result<()>
where
    B::Error: Send + Sync + 'static,
{
    terminal
        .draw(|f| crate::ui::render(f, state, views, theme, keymap))
        .context("drawing the screen")?;
    loop {
        if stop.load(Ordering::Relaxed) {
            return Ok(());
        }
        // Wake up in time for a pending debounced search.
        let wait = state.debounce.map_or(TICK, |d| {
            d.saturating_duration_since(Instant::now()).min(TICK)
        });
        let first = match rx.recv_timeout(wait) {
            Ok(m) => Some(m),
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => None,
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => return Ok(()),
        };
        let mut changed = false;
        let mut pending = first;
        while let Some(msg) = pending.take().or_else(|| rx.try_recv().ok()) {
            let actions = msg_actions(msg, state, views, keymap, on_store);
            changed |= !actions.is_empty();
            if apply(state, actions, runner, copy) {
                return Ok(());
            }
        }
        let before = state.debounce;
        let shown = state.status.is_some();
        let tick = update(state, Action::Tick(Instant::now()));
        changed |= !tick.is_empty() || before != state.debounce;
        // An expired status message goes; a report pane being computed counts the seconds.
        changed |= shown != state.status.is_some() || counting(state);
        let queue: Vec<Action> = tick
            .into_iter()
            .flat_map(|e| run_effect(e, runner, copy))
            .collect();
        if apply(state, queue, runner, copy) {
            return Ok(());
        }
        if state.quit {
            return Ok(());
        }
        if changed {
            terminal
                .draw(|f| crate::ui::render(f, state, views, theme, keymap))
                .context("drawing the screen")?;
        }
    }
}

/// Whether a report pane on screen shows a computation's elapsed time (redrawn each tick).
fn counting(state: &AppState) -> bool {
    use super::state::{Pane, Phase};
    state.progress.phase == Phase::Ready
        && matches!(state.focus, Pane::Integrity | Pane::Lineage | Pane::Alerts)
        && state.report_of(state.focus).is_none()
}

/// Carries out one effect; returns the actions it produced at once (synchronous runners),
/// or `[Quit]` for `Effect::Quit`.
fn run_effect(
    effect: Effect,
    runner: &mut dyn EffectRunner,
    copy: &mut dyn FnMut(&str),
) -> Vec<Action> {
    match effect {
        Effect::Quit => vec![Action::Quit],
        Effect::Copy(text) => {
            copy(&text);
            vec![]
        }
        // Small and rare (Enter on a new query, `:columns`): written inline.
        Effect::SavePrefs { dir, prefs } => match prefs.save(&dir) {
            Ok(()) => vec![],
            Err(e) => vec![Action::Notice(format!(
                "could not save the query history: {e}"
            ))],
        },
        other => runner.run(other),
    }
}

/// Applies actions in order, running their effects; actions produced synchronously are
/// applied before the next one. Returns true when the explorer must exit.
fn apply(
    state: &mut AppState,
    actions: Vec<Action>,
    runner: &mut dyn EffectRunner,
    copy: &mut dyn FnMut(&str),
) -> bool {
    let mut queue: std::collections::VecDeque<Action> = actions.into();
    while let Some(a) = queue.pop_front() {
        if a == Action::Quit && state.quit {
            return true;
        }
        let effects = update(state, a);
        for e in effects {
            if e == Effect::Quit {
                return true;
            }
            queue.extend(run_effect(e, runner, copy));
        }
        if state.quit {
            return true;
        }
    }
    false
}

/// OSC 52: asks the terminal (also over SSH) to put `text` on the clipboard.
fn osc52(text: &str) {
    let mut out = std::io::stdout();
    let _ = write!(
        out,
        "\x1b]52;c;{}\x07",
        base64::engine::general_purpose::STANDARD.encode(text.as_bytes())
    );
    let _ = out.flush();
}

/// Starts the indexer thread: the session's live open, then the report panes once it is
/// complete (the integrity pane from the verification the build already made).
fn spawn_indexer(
    paths: Vec<PathBuf>,
    session: Session,
    cancel: Arc<AtomicBool>,
    tx: std::sync::mpsc::Sender<Msg>,
    done: super::follow::OpenedSlot,
) -> Result<std::thread::JoinHandle<()>> {
    std::thread::Builder::new()
        .name("auditlens-index".to_owned())
        .spawn(move || {
            let report = {
                let tx = tx.clone();
                move |ev: LiveEvent| {
                    let _ = tx.send(Msg::Worker(WorkerMsg::Live(ev)));
                }
            };
            // Leave a core to the interface.
            let opened = match session.open_live(&paths, 2, &cancel, report) {
                Ok(o) => o,
                Err(e) => {
                    let _ = tx.send(Msg::Worker(WorkerMsg::Action(Action::WorkerFailed(
                        format!("indexing failed: {e}"),
                    ))));
                    return;
                }
            };
            if let Some(opened) = opened
                && !cancel.load(std::sync::atomic::Ordering::Relaxed)
            {
                if let Ok(mut slot) = done.lock() {
                    *slot = Some(super::follow::OpenedLocal {
                        index: opened.index().clone(),
                        verification: Arc::clone(opened.integrity()),
                    });
                }
                let send = |r: super::reports::Reports| {
                    let _ = tx.send(Msg::Worker(WorkerMsg::Action(Action::ReportsReady(
                        Box::new(r),
                    ))));
                };
                match opened.store() {
                    Ok(store) => {
                        // A bug in a report must not leave the panes "computing" forever.
                        let computed = guarded(|| {
                            super::reports::compute_each(
                                opened.integrity(),
                                &store,
                                opened.dir(),
                                send,
                            );
                        });
                        if let Err(why) = computed {
                            send(super::reports::unavailable(&format!(
                                "computing the reports failed (internal error: {why}); \
                                 searching and the timeline still work"
                            )));
                        }
                    }
                    Err(e) => send(super::reports::unavailable(&format!(
                        "opening the index: {e}"
                    ))),
                }
            }
        })
        .context("starting the indexer")
}

/// Runs `f`, turning a panic into its message.
fn guarded(f: impl FnOnce()) -> Result<(), String> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).map_err(|payload| {
        payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic".to_owned())
    })
}

/// Panics of worker threads, kept to be said once the terminal is restored.
type WorkerPanics = Arc<std::sync::Mutex<Vec<String>>>;

/// Most worker panics kept.
const MAX_WORKER_PANICS: usize = 8;

/// Wraps the panic hook ratatui installed (restore the terminal, then report): a panic on
/// the main thread still restores the terminal first; a worker's panic (caught where it can
/// be, as a failed search or report) must neither restore the terminal under the running
/// interface nor print over it, so it is kept and said after the exit.
fn install_panic_hook() -> WorkerPanics {
    let kept: WorkerPanics = Arc::default();
    let restore_and_report = std::panic::take_hook();
    let slot = Arc::clone(&kept);
    std::panic::set_hook(Box::new(move |info| {
        let thread = std::thread::current();
        if thread.name() == Some("main") {
            restore_and_report(info);
            return;
        }
        if let Ok(mut v) = slot.lock()
            && v.len() < MAX_WORKER_PANICS
        {
            v.push(format!("{}: {info}", thread.name().unwrap_or("worker")));
        }
    }));
    kept
}

/// Starts the thread that announces a remote store as a complete index and computes its
/// report panes (alerts, lineage, the integrity statuses as pushed).
fn spawn_remote(
    store: Arc<dyn Store>,
    tx: std::sync::mpsc::Sender<Msg>,
) -> Result<std::thread::JoinHandle<()>> {
    std::thread::Builder::new()
        .name("auditlens-remote".to_owned())
        .spawn(move || {
            let send = |a: Action| tx.send(Msg::Worker(WorkerMsg::Action(a))).is_ok();
            let events = match store.count(&crate::store::Selection::default()) {
                Ok(n) => n,
                Err(e) => {
                    send(Action::WorkerFailed(format!("{}: {e}", store.describe())));
                    0
                }
            };
            let opened = send(Action::IndexOpened {
                complete: true,
                pending: false,
            }) && send(Action::IndexDone {
                events,
                errors: 0,
                skipped: 0,
                reused: true,
                problems: vec![],
            });
            if opened {
                let reports = super::reports::compute_remote(store.as_ref());
                send(Action::ReportsReady(Box::new(reports)));
            }
        })
        .context("starting the remote reader")
}

/// Runs the interactive explorer on the real terminal until the user quits.
pub fn run(opts: RunOptions) -> Result<()> {
    let RunOptions {
        paths,
        session,
        ui,
        remote,
    } = opts;
    let UiSettings {
        keymap,
        theme,
        mouse,
        tz,
        prefs,
        prefs_dir,
    } = ui;
    let masker = Arc::clone(&session.settings().masker);
    let stop = Arc::new(AtomicBool::new(false));
    for sig in [
        signal_hook::consts::SIGTERM,
        signal_hook::consts::SIGHUP,
        signal_hook::consts::SIGINT,
    ] {
        signal_hook::flag::register(sig, Arc::clone(&stop))
            .context("installing signal handlers")?;
    }
    let mut terminal = ratatui::try_init().context("setting up the terminal")?;
    let guard = TerminalGuard { mouse };
    let worker_panics = install_panic_hook();
    if mouse {
        crossterm::execute!(std::io::stdout(), event::EnableMouseCapture)
            .context("enabling the mouse")?;
    }
    let size = terminal.size().context("reading the terminal size")?;
    let bundle = match &remote {
        Some(store) => store.describe(),
        None => paths
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(", "),
    };
    let mut state = AppState::new(
        escape_control(&bundle).into_owned(),
        (size.width, size.height),
    );
    state.tz = tz;
    state.history = prefs.history;
    state.columns = prefs.columns;
    state.prefs_dir = prefs_dir;
    // The message log shows clock times: one reading of the clock, here at the edge.
    state.messages.origin = Some((Instant::now(), chrono::Utc::now()));
    let mut views = UiViews::default();

    let (tx, rx) = channel::<Msg>();
    let cancel = Arc::new(AtomicBool::new(false));
    let input = spawn_input(tx.clone(), Arc::clone(&cancel));
    let desk = desk_for(&session, &paths, &mut state);
    let opened_slot = Arc::clone(&desk.opened);
    let (mut runner, search) = ThreadRunner::start(tx.clone(), masker, desk);
    let indexer = match remote {
        None => spawn_indexer(paths, session, Arc::clone(&cancel), tx.clone(), opened_slot)?,
        Some(store) => {
            runner.handle().set_store(Arc::clone(&store));
            spawn_remote(store, tx.clone())?
        }
    };
    drop(tx);
    let handle = runner.handle();
    let mut on_store = |store: Arc<dyn Store>| handle.set_store(store);
    let result = run_loop(
        &mut terminal,
        &mut state,
        &mut views,
        &rx,
        &mut runner,
        &keymap,
        &theme,
        &stop,
        &mut on_store,
        &mut osc52,
    );
    drop(handle);
    cancel.store(true, Ordering::Relaxed);
    drop(runner);
    drop(rx);
    // The input thread is not joined: once the terminal is gone (SIGHUP), crossterm's poll
    // may never return, and the thread ends with the process anyway.
    drop(input);
    // Restore the terminal first: the user gets their shell back at once.
    drop(guard);
    let problems = wind_down(indexer, search);
    if let Ok(panics) = worker_panics.lock() {
        for p in panics.iter() {
            eprintln!("auditlens: a worker thread panicked: {}", escape_control(p));
        }
    }
    result?;
    if !problems.is_empty() {
        anyhow::bail!("worker thread(s) panicked: {}", problems.join(", "));
    }
    Ok(())
}

/// The desk of a session over `paths`: the case file and the explorer's exports and reports
/// are saved in the user's data folder and recorded in the access trail (a trail that
/// cannot be placed is said once, in the status line).
fn desk_for(session: &Session, paths: &[PathBuf], state: &mut AppState) -> super::desk::Desk {
    let recorder = match crate::session::case::Recorder::for_session(session.settings(), paths) {
        Ok(r) => Some(r),
        Err(e) => {
            state.status = Some(super::state::Status {
                text: escape_control(&format!("case file and exports unavailable: {e}"))
                    .into_owned(),
                error: true,
            });
            None
        }
    };
    super::desk::Desk {
        recorder,
        settings: Some(session.settings().clone()),
        paths: paths.to_vec(),
        ..super::desk::Desk::default()
    }
}

/// Joins the workers; the indexer only if it stops within 250 ms (it stops at the next
/// event, but the writer may take a moment; an interrupted build folder is swept on the
/// next start), the search worker only if it ends its current job within 3 s (a slow remote
/// request or a long scan must not hold the process after the user quit: exports are
/// written under a temporary name and renamed, so nothing half-written is left visible).
/// Returns the names of workers that panicked.
fn wind_down(
    indexer: std::thread::JoinHandle<()>,
    search: std::thread::JoinHandle<()>,
) -> Vec<&'static str> {
    let wait = |h: &std::thread::JoinHandle<()>, ms: u64| {
        let deadline = Instant::now() + Duration::from_millis(ms);
        while !h.is_finished() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        h.is_finished()
    };
    let mut workers = Vec::new();
    if wait(&search, 3000) {
        workers.push(("search", search));
    }
    if wait(&indexer, 250) {
        workers.push(("indexer", indexer));
    }
    workers
        .into_iter()
        .filter_map(|(name, h)| h.join().is_err().then_some(name))
        .collect()
}

fn spawn_input(tx: Sender<Msg>, cancel: Arc<AtomicBool>) -> std::thread::JoinHandle<()> {
    std::thread::Builder::new()
        .name("auditlens-input".to_owned())
        .spawn(move || {
            while !cancel.load(Ordering::Relaxed) {
                match event::poll(TICK) {
                    Ok(true) => match event::read() {
                        Ok(ev) => {
                            if tx.send(Msg::Input(ev)).is_err() {
                                return;
                            }
                        }
                        Err(_) => return,
                    },
                    Ok(false) => {}
                    Err(_) => return,
                }
            }
        })
        .expect("invariant: spawning a thread succeeds")
}

#[cfg(test)]
mod tests {
    use super::guarded;

    #[test]
    fn guarded_turns_a_panic_into_its_message() {
        assert_eq!(guarded(|| {}), Ok(()));
        assert_eq!(
            guarded(|| panic!("report {} broke", 3)),
            Err("report 3 broke".to_owned())
        );
        assert_eq!(guarded(|| panic!("static")), Err("static".to_owned()));
    }
}
