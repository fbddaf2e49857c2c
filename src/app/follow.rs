//! Live follow (`F`): a thread that follows the growing inputs the way `auditlens watch`
//! does (`ingest::follow`: appends, rotation, truncation), adds each new event to the open
//! index (`index::Appender`, a commit per batch), evaluates the alert rules incrementally
//! (`session::live`) and reports each batch as [`Action::FollowUpdate`]. The explorer
//! reloads its reader, so the results and the timeline extend.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::action::{Action, LiveAlert};
use super::msg::{Msg, WorkerMsg};
use crate::index::OpenedIndex;
use crate::ingest::follow::{Batch, FollowNote, Follower};
use crate::model::AuditEvent;
use crate::privacy::Masker;
use crate::session::live::LiveRules;

/// How often the inputs are looked at.
const POLL: Duration = Duration::from_millis(200);

/// Where the completed index is put for following (filled when the build is done).
pub type OpenedSlot = Arc<Mutex<Option<OpenedLocal>>>;

/// The completed local index and the one verification of its inputs (the open's).
#[derive(Clone)]
pub struct OpenedLocal {
    /// The index and its cache entry.
    pub index: OpenedIndex,
    /// The inputs' verification, computed once by the open.
    pub verification: Arc<crate::integrity::Verification>,
}

/// The follow thread, while it runs.
#[derive(Debug, Default)]
pub struct FollowControl {
    stop: Mutex<Option<Arc<AtomicBool>>>,
}

/// Plain-text files under `paths` that can grow (JSON lines); archives and compressed
/// files cannot be followed.
fn followable(paths: &[PathBuf]) -> Vec<PathBuf> {
    let Ok(entries) = crate::ingest::input_listing(paths) else {
        return Vec::new();
    };
    entries
        .into_iter()
        .map(|e| e.path)
        .filter(|p| {
            let name = p.to_string_lossy().to_ascii_lowercase();
            [".jsonl", ".ndjson", ".json", ".log"]
                .iter()
                .any(|ext| name.ends_with(ext))
        })
        .collect()
}

impl FollowControl {
    /// Starts following (`on`) or stops. Returns what to tell the user now.
    pub fn set(
        &self,
        on: bool,
        opened: &OpenedSlot,
        paths: &[PathBuf],
        max_line: usize,
        masker: Arc<Masker>,
        out: Sender<Msg>,
    ) -> Vec<Action> {
        let Ok(mut slot) = self.stop.lock() else {
            return vec![Action::FollowStopped(
                "follow: internal lock poisoned".into(),
            )];
        };
        if let Some(stop) = slot.take() {
            stop.store(true, Ordering::Relaxed);
        }
        if !on {
            return vec![];
        }
        let Some(index) = opened.lock().ok().and_then(|o| o.clone()).map(|o| o.index) else {
            return vec![Action::FollowStopped(
                "nothing to follow: a remote index, or the inputs are still loading".into(),
            )];
        };
        let files = followable(paths);
        if files.is_empty() {
            return vec![Action::FollowStopped(
                "nothing to follow: no JSON-lines file among the inputs (archives cannot grow)"
                    .into(),
            )];
        }
        let stop = Arc::new(AtomicBool::new(false));
        *slot = Some(Arc::clone(&stop));
        let started = std::thread::Builder::new()
            .name("auditlens-follow".to_owned())
            .spawn(move || follow(&index, files, max_line, &masker, &stop, &out));
        match started {
            // The thread says "following" once its files are open.
            Ok(_) => vec![],
            Err(e) => vec![Action::FollowStopped(format!("follow: {e}"))],
        }
    }
}

fn send(out: &Sender<Msg>, a: Action) -> bool {
    out.send(Msg::Worker(WorkerMsg::Action(a))).is_ok()
}

fn note_text(n: FollowNote) -> String {
    match n {
        FollowNote::Note(t) => t,
        FollowNote::Warning(t) => format!("warning: {t}"),
    }
}

/// The follow loop: until `stop`, or the explorer goes away.
fn follow(
    index: &OpenedIndex,
    files: Vec<PathBuf>,
    max_line: usize,
    masker: &Masker,
    stop: &AtomicBool,
    out: &Sender<Msg>,
) {
    let fail = |e: String| {
        send(out, Action::FollowStopped(e));
    };
    let mut writer = match index.appender() {
        Ok(a) => a,
        Err(e) => return fail(format!("follow: cannot add to the index: {e}")),
    };
    let mut live = match crate::session::alerts::load_rules(None) {
        Ok(rules) => LiveRules::new(&rules),
        Err(e) => return fail(format!("follow: alert rules: {e}")),
    };
    // The files are opened at their ends before the "following" notice: a line written
    // after the user sees it is always one the follow reads (opening counts a file's lines,
    // so it is done here, not on the search worker that started the follow).
    let mut notes = Vec::new();
    let mut followers: Vec<Follower> = files
        .into_iter()
        .map(|p| {
            let shown = p.display().to_string();
            let mut f = Follower::new(p, shown, Arc::clone(&index.mapping));
            if let Err(e) = f.open(false, &mut notes) {
                notes.push(FollowNote::Warning(format!("{}: {e}", f.path().display())));
            }
            f
        })
        .collect();
    send(
        out,
        Action::Notice(format!(
            "following {} file(s): new events appear as they are written (F stops)",
            followers.len()
        )),
    );
    let mut batch = Batch::new();
    while !stop.load(Ordering::Relaxed) {
        let mut more = false;
        for f in &mut followers {
            match f.poll(true, max_line, &mut batch, &mut notes) {
                Ok(m) => more |= m,
                Err(e) => notes.push(FollowNote::Warning(format!("{}: {e}", shown(f.path())))),
            }
        }
        if !batch.is_empty() || !notes.is_empty() {
            let update = match index_batch(&mut writer, &mut live, &mut batch, masker) {
                Ok((appended, alerts)) => Action::FollowUpdate {
                    appended,
                    alerts,
                    notes: notes.drain(..).map(note_text).collect(),
                },
                Err(e) => return fail(format!("follow stopped: {e}")),
            };
            if !send(out, update) {
                return;
            }
        }
        if !more {
            std::thread::sleep(POLL);
        }
    }
}

fn shown(p: &Path) -> String {
    p.display().to_string()
}

/// Indexes a batch in time order, commits, and evaluates the rules over it (with the
/// new events' ordinals, so alerts can point at them). Alerts come back masked.
fn index_batch(
    appender: &mut crate::index::Appender,
    live: &mut LiveRules,
    batch: &mut Batch,
    masker: &Masker,
) -> Result<(u64, Vec<LiveAlert>), String> {
    if batch.is_empty() {
        return Ok((0, Vec::new()));
    }
    batch.sort_by_key(|(ev, _)| ev.ts);
    let mut ords = Vec::with_capacity(batch.len());
    for (ev, raw) in batch.iter() {
        ords.push(appender.add(ev, raw).map_err(|e| e.to_string())?);
    }
    appender.commit().map_err(|e| e.to_string())?;
    let refs: Vec<(&AuditEvent, &str, Option<u64>)> = batch
        .iter()
        .zip(&ords)
        .map(|((e, r), o)| (e, r.as_str(), Some(*o)))
        .collect();
    let alerts = live.evaluate(&refs).map_err(|e| e.to_string())?;
    let n = batch.len() as u64;
    batch.clear();
    Ok((
        n,
        alerts
            .into_iter()
            .map(|a| LiveAlert {
                title: masker.mask_text(&a.title).into_owned(),
                detail: masker.mask_text(&a.detail).into_owned(),
                severity: a.severity,
                at_ms: a.last_ts.or(a.first_ts).map(|t| t.timestamp_millis()),
                evidence: a.evidence.iter().filter_map(|e| e.ord).collect(),
            })
            .collect(),
    ))
}
