//! Carrying out effects: the search worker thread (latest request of each kind wins), the
//! export thread, and a synchronous runner for tests.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender};

use anyhow::Context as _;

use super::action::Action;
use super::effect::{Effect, Job, LocateTarget};
use super::msg::{Msg, WorkerMsg};
use super::update::problem_query;
use crate::index::{Hit, SearchRequest, SearchService, SortOrder};
use crate::privacy::Masker;

/// Something that carries out effects (except `Quit`, handled by the loop).
pub trait EffectRunner {
    /// Starts the work (results come back as `Msg::Worker` on the loop's channel), or does
    /// it at once and returns the resulting actions.
    fn run(&mut self, effect: Effect) -> Vec<Action>;
}

/// Masks hits on their way into the explorer: the table, the detail view, copies and
/// exports only ever see masked events and records (no masker: unmasked, as in tests).
fn mask_with(masker: Option<&Masker>, hits: &mut [Hit]) {
    if let Some(m) = masker {
        for h in hits {
            h.raw = m.mask_record(&h.event, &h.raw);
            h.event = m.mask_event(&h.event);
        }
    }
}

/// Runs one job, masking the hits it returns with `masker` (none: unmasked).
pub fn execute(svc: &SearchService, job: Job, masker: Option<&Masker>) -> Action {
    match job {
        Job::Page {
            generation,
            request,
        } => Action::PageDone {
            generation,
            offset: request.offset as u64,
            result: page(svc, &request)
                .map(|mut p| {
                    mask_with(masker, &mut p.hits);
                    p
                })
                .map_err(|e| match e {
                    crate::index::IndexError::Query(q) => q,
                    crate::index::IndexError::Corrupt(why) => crate::index::QueryError {
                        message: format!(
                            "the index is damaged ({why}): quit and start again to rebuild it"
                        ),
                        span: None,
                    },
                    other => crate::index::QueryError {
                        message: other.to_string(),
                        span: None,
                    },
                }),
        },
        Job::Histogram {
            generation,
            request,
            view,
            buckets,
        } => Action::HistogramDone {
            generation,
            result: svc
                .histogram(&request, view, buckets)
                .map_err(|e| e.to_string()),
        },
        Job::Related {
            generation,
            ord,
            query,
        } => {
            let req = SearchRequest {
                query: query.clone(),
                limit: 20,
                ..SearchRequest::default()
            };
            match svc.search(&req).map(|mut p| {
                mask_with(masker, &mut p.hits);
                p
            }) {
                Ok(p) => Action::RelatedDone {
                    generation,
                    ord,
                    query,
                    total: p.total,
                    hits: p.hits,
                },
                Err(e) => Action::WorkerFailed(format!("related events: {e}")),
            }
        }
        Job::Locate {
            generation,
            request,
            target,
        } => match locate(svc, &request, &target) {
            Ok((position, what)) => Action::Located {
                generation,
                position,
                what,
            },
            Err(e) => Action::WorkerFailed(format!("locate: {e}")),
        },
    }
}

/// Offsets from which a page is fetched from the other end when that is closer.
const DEEP: usize = 1_000;

/// One page of the newest-first list. Deep pages in the older half are read from the other
/// end (oldest first, then reversed): the cost of a sorted page grows with its offset.
fn page(
    svc: &SearchService,
    req: &SearchRequest,
) -> Result<crate::index::Page, crate::index::IndexError> {
    if req.offset < DEEP || req.order != SortOrder::NewestFirst {
        return svc.search(req);
    }
    let total = svc.count(req)? as usize;
    let end = (req.offset + req.limit).min(total);
    if req.offset >= total || total - end >= req.offset {
        return svc.search(req);
    }
    let mut r = req.clone();
    r.order = SortOrder::OldestFirst;
    r.offset = total - end;
    r.limit = end - req.offset;
    let mut p = svc.search(&r)?;
    p.hits.reverse();
    Ok(p)
}

fn key(hit: &Hit) -> (i64, u64) {
    (
        hit.event.ts.map_or(i64::MIN, |t| t.timestamp_millis()),
        hit.ord,
    )
}

/// Position of the event (`ts`, `ord`) in the newest-first list of `req`: events in later
/// milliseconds come first, then ties by ordinal.
fn position_of(svc: &SearchService, req: &SearchRequest, ts: i64, ord: u64) -> anyhow::Result<u64> {
    let newer = if ts == i64::MAX {
        0
    } else if ts == i64::MIN {
        // Untimed events sort last; count every timed match.
        let mut r = req.clone();
        r.from = Some(
            r.from
                .unwrap_or(chrono::DateTime::<chrono::Utc>::MIN_UTC)
                .max(chrono::DateTime::<chrono::Utc>::MIN_UTC),
        );
        svc.count(&r)?
    } else {
        let mut r = req.clone();
        let after = chrono::DateTime::from_timestamp_millis(ts + 1).context("time out of range")?;
        r.from = Some(r.from.map_or(after, |f| f.max(after)));
        if r.to.is_some_and(|t| t <= after) {
            0
        } else {
            svc.count(&r)?
        }
    };
    let mut r = req.clone();
    r.offset = newer as usize;
    r.limit = 512;
    let page = svc.search(&r)?;
    let i = page.hits.iter().position(|h| h.ord == ord).unwrap_or(0);
    Ok(newer + i as u64)
}

fn locate(
    svc: &SearchService,
    req: &SearchRequest,
    target: &LocateTarget,
) -> anyhow::Result<(Option<u64>, String)> {
    match *target {
        LocateTarget::Time(ms) => {
            let pos = position_of(svc, req, ms, u64::MAX)?;
            let total = svc.count(req)?;
            Ok((
                (pos < total).then_some(pos),
                "event at that time".to_owned(),
            ))
        }
        LocateTarget::Event(ts, ord) => {
            Ok((Some(position_of(svc, req, ts, ord)?), "mark".to_owned()))
        }
        LocateTarget::Problem {
            down,
            from,
            ref extra,
        } => {
            let current = req.query.trim();
            let problems = match extra {
                Some(x) => format!("{} OR {x}", problem_query()),
                None => problem_query(),
            };
            let query = if current.is_empty() || current == "*" {
                problems
            } else {
                format!("({current}) AND ({problems})")
            };
            let mut r = SearchRequest {
                query,
                limit: 1,
                ..req.clone()
            };
            let (ts, _) = from;
            if down {
                if ts != i64::MAX {
                    let before = chrono::DateTime::from_timestamp_millis(ts).context("time")?;
                    r.to = Some(r.to.map_or(before, |t| t.min(before)));
                }
            } else {
                let after = chrono::DateTime::from_timestamp_millis(ts.saturating_add(1))
                    .context("time")?;
                r.from = Some(r.from.map_or(after, |f| f.max(after)));
                r.order = SortOrder::OldestFirst;
            }
            if r.from.zip(r.to).is_some_and(|(f, t)| f >= t) {
                return Ok((None, "problem".to_owned()));
            }
            let page = svc.search(&r)?;
            match page.hits.first() {
                Some(h) => {
                    let (t, o) = key(h);
                    let what = format!(
                        "problem: {} {}",
                        h.event.severity.as_str(),
                        crate::model::escape_control(&h.event.action)
                    );
                    Ok((Some(position_of(svc, req, t, o)?), what))
                }
                None => Ok((None, "problem".to_owned())),
            }
        }
    }
}

/// Writes every match of `req` as JSON lines (the normalised event, masked with `masker`)
/// to `path`.
pub fn export(
    svc: &SearchService,
    req: &SearchRequest,
    path: &Path,
    masker: Option<&Masker>,
) -> anyhow::Result<u64> {
    let file =
        std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?;
    let mut out = std::io::BufWriter::new(file);
    let mut r = req.clone();
    r.limit = 1000;
    r.offset = 0;
    let mut n = 0u64;
    loop {
        let mut page = svc.search(&r)?;
        if page.hits.is_empty() {
            break;
        }
        mask_with(masker, &mut page.hits);
        for h in &page.hits {
            crate::model::safe_json::write_line(&mut out, &h.event)?;
            n += 1;
        }
        r.offset += page.hits.len();
        if r.offset as u64 >= page.total {
            break;
        }
    }
    out.flush()?;
    Ok(n)
}

/// Commands for the search worker thread.
pub enum SearchCmd {
    /// Search this index from now on.
    SetIndex(Box<crate::index::SearchService>),
    /// Reload the reader.
    Reload,
    /// A job (latest of each kind wins).
    Job(Job),
    /// Export.
    Export(std::path::PathBuf, SearchRequest),
}

/// Carries effects out on the search worker thread.
pub struct ThreadRunner {
    tx: Sender<SearchCmd>,
}

impl ThreadRunner {
    /// Starts the worker thread; results go to `out`, masked with `masker`.
    pub fn start(out: Sender<Msg>, masker: Arc<Masker>) -> (Self, std::thread::JoinHandle<()>) {
        let (tx, rx) = std::sync::mpsc::channel();
        let handle = std::thread::Builder::new()
            .name("auditlens-search".to_owned())
            .spawn(move || search_worker(&rx, &out, &masker))
            .expect("invariant: spawning a thread succeeds");
        (Self { tx }, handle)
    }

    /// A handle that hands new indexes to the worker.
    pub fn handle(&self) -> IndexHandle {
        IndexHandle {
            tx: self.tx.clone(),
        }
    }
}

/// Hands new indexes to the search worker.
pub struct IndexHandle {
    tx: Sender<SearchCmd>,
}

impl IndexHandle {
    /// Search `svc` from now on.
    pub fn set_index(&self, svc: SearchService) {
        let _ = self.tx.send(SearchCmd::SetIndex(Box::new(svc)));
    }
}

impl EffectRunner for ThreadRunner {
    fn run(&mut self, effect: Effect) -> Vec<Action> {
        let cmd = match effect {
            Effect::Run(job) => SearchCmd::Job(job),
            Effect::ReloadReader => SearchCmd::Reload,
            Effect::Export { path, request } => SearchCmd::Export(path, request),
            Effect::Copy(_) | Effect::Quit | Effect::SavePrefs { .. } => return vec![],
        };
        if self.tx.send(cmd).is_err() {
            return vec![Action::WorkerFailed("the search worker stopped".to_owned())];
        }
        vec![]
    }
}

fn slot(job: &Job) -> usize {
    match job {
        Job::Page { .. } => 0,
        Job::Locate { .. } => 1,
        Job::Related { .. } => 2,
        Job::Histogram { .. } => 3,
    }
}

fn search_worker(rx: &Receiver<SearchCmd>, out: &Sender<Msg>, masker: &Arc<Masker>) {
    let mut svc: Option<SearchService> = None;
    while let Ok(first) = rx.recv() {
        let mut jobs: [Option<Job>; 4] = [None, None, None, None];
        let mut reload = false;
        let mut exports = Vec::new();
        let mut pending = Some(first);
        while let Some(cmd) = pending.take().or_else(|| rx.try_recv().ok()) {
            match cmd {
                SearchCmd::SetIndex(s) => {
                    svc = Some(*s);
                    reload = false;
                }
                SearchCmd::Reload => reload = true,
                SearchCmd::Job(j) => {
                    let i = slot(&j);
                    jobs[i] = Some(j);
                }
                SearchCmd::Export(p, r) => exports.push((p, r)),
            }
        }
        let Some(s) = &svc else {
            continue;
        };
        if reload && let Err(e) = s.reload() {
            let _ = out.send(Msg::Worker(WorkerMsg::Action(Action::WorkerFailed(
                format!("reloading the index: {e}"),
            ))));
        }
        for job in jobs.into_iter().flatten() {
            let action = execute(s, job, Some(masker));
            if out.send(Msg::Worker(WorkerMsg::Action(action))).is_err() {
                return;
            }
        }
        for (path, req) in exports {
            let index = s.index().clone();
            let out = out.clone();
            let masker = Arc::clone(masker);
            let _ = std::thread::Builder::new()
                .name("auditlens-export".to_owned())
                .spawn(move || {
                    let r = SearchService::new(index)
                        .map_err(anyhow::Error::from)
                        .and_then(|svc| export(&svc, &req, &path, Some(&masker)))
                        .map(|n| (path, n))
                        .map_err(|e| format!("{e:#}"));
                    let _ = out.send(Msg::Worker(WorkerMsg::Action(Action::Exported(r))));
                });
        }
    }
}

/// Runs jobs inline (tests, headless runs): results are returned at once.
pub struct SyncRunner {
    /// The service.
    pub svc: SearchService,
    /// Copies requested (OSC 52 payloads).
    pub copied: Vec<String>,
    /// What results are masked with (none: unmasked).
    pub masker: Option<Arc<Masker>>,
}

impl SyncRunner {
    /// A runner over `svc`, unmasked.
    pub fn new(svc: SearchService) -> Self {
        Self {
            svc,
            copied: Vec::new(),
            masker: None,
        }
    }
}

impl EffectRunner for SyncRunner {
    fn run(&mut self, effect: Effect) -> Vec<Action> {
        match effect {
            Effect::Run(job) => vec![execute(&self.svc, job, self.masker.as_deref())],
            Effect::ReloadReader => {
                let _ = self.svc.reload();
                vec![]
            }
            Effect::Export { path, request } => vec![Action::Exported(
                export(&self.svc, &request, &path, self.masker.as_deref())
                    .map(|n| (path, n))
                    .map_err(|e| format!("{e:#}")),
            )],
            Effect::Copy(text) => {
                self.copied.push(text);
                vec![]
            }
            Effect::Quit | Effect::SavePrefs { .. } => vec![],
        }
    }
}
