//! Carrying out effects: the search worker thread (latest request of each kind wins), the
//! desk threads (exports, reports), and a synchronous runner for tests.

use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender};

use anyhow::Context as _;

mod explore;

use super::action::Action;
use super::desk::{Desk, ExportJob, ReportJob};
use super::effect::{Effect, Job, LocateTarget};
use super::msg::{Msg, WorkerMsg};
use super::update::problem_query;
use crate::privacy::Masker;
use crate::store::{
    Filter, Hit, Page, PageRequest, QueryError, SearchRequest, Selection, SortOrder, Store,
    StoreError,
};

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

/// What a failed store answer says in the explorer.
fn store_message(e: StoreError) -> QueryError {
    match e {
        StoreError::Query(q) => q,
        StoreError::Damaged(why) => QueryError {
            message: format!("the index is damaged ({why}): quit and start again to rebuild it"),
            span: None,
        },
        StoreError::Unavailable(why) => QueryError {
            message: why,
            span: None,
        },
    }
}

/// Runs one job, masking the hits it returns with `masker` (none: unmasked).
#[allow(clippy::too_many_lines)]
pub fn execute(store: &dyn Store, job: Job, masker: Option<&Masker>) -> Action {
    match job {
        Job::Page {
            generation,
            request,
        } => Action::PageDone {
            generation,
            offset: request.offset as u64,
            result: page(store, &request)
                .map(|mut p| {
                    mask_with(masker, &mut p.hits);
                    p
                })
                .map_err(store_message),
        },
        Job::Histogram {
            generation,
            request,
            view,
            buckets,
        } => Action::HistogramDone {
            generation,
            result: store.histogram(&request.selection(), view, buckets),
        },
        Job::Related {
            generation,
            ord,
            query,
        } => {
            let sel = Selection {
                query: query.clone(),
                ..Selection::default()
            };
            let req = PageRequest {
                limit: 20,
                ..PageRequest::default()
            };
            match store.page(&sel, &req).map(|mut p| {
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
        Job::Facets {
            generation,
            request,
            field,
        } => Action::FacetsDone {
            generation,
            result: store
                .terms(&request.selection(), &field, FACET_VALUES)
                .map(|mut f| {
                    if let Some(m) = masker {
                        mask_facets(m, &mut f);
                    }
                    f
                }),
        },
        Job::FindMatches {
            generation,
            request,
            first,
            last,
            len,
        } => Action::FindDone {
            generation,
            result: explore::find_matches(store, &request, first, last, len)
                .map_err(|e| store_message(e).message),
        },
        Job::Context {
            generation,
            key,
            path,
            what,
            n,
        } => Action::ContextDone {
            generation,
            key,
            result: explore::context(store, key, &path, n)
                .map(|ords| {
                    let label = format!(
                        "context: {} event(s) around {} in {}",
                        ords.len(),
                        crate::model::escape_control(&what),
                        crate::model::escape_control(&path)
                    );
                    (ords, label)
                })
                .map_err(|e| store_message(e).message),
        },
        Job::Span { generation } => match explore::span(store) {
            Ok(span) => Action::SpanDone { generation, span },
            Err(e) => Action::WorkerFailed(format!("time span: {e}")),
        },
        Job::Locate {
            generation,
            request,
            target,
        } => match locate(store, &request, &target) {
            Ok((position, what)) => Action::Located {
                generation,
                position,
                what,
            },
            Err(e) => Action::WorkerFailed(format!("locate: {e}")),
        },
    }
}

/// Values the Facets pane lists.
const FACET_VALUES: usize = 50;

/// Facet values are log content: masked like the fields they come from (an actor id, an
/// e-mail in a resource name), so the pane shows nothing the table would hide.
fn mask_facets(m: &Masker, f: &mut crate::store::Facets) {
    for (value, _) in &mut f.values {
        let mut v = serde_json::Value::String(std::mem::take(value));
        m.mask_value(&f.field, &mut v);
        *value = match v {
            serde_json::Value::String(s) => s,
            other => other.to_string(),
        };
    }
}

/// Offsets from which a page is fetched from the other end when that is closer.
const DEEP: usize = 1_000;

/// One page of the newest-first list. Deep pages in the older half are read from the other
/// end (oldest first, then reversed): the cost of a sorted page grows with its offset.
fn page(store: &dyn Store, req: &SearchRequest) -> Result<Page, StoreError> {
    let sel = req.selection();
    if req.offset < DEEP || req.order != SortOrder::NewestFirst {
        return store.page(&sel, &req.page_request());
    }
    let total = usize::try_from(store.count(&sel)?).unwrap_or(usize::MAX);
    let end = (req.offset + req.limit).min(total);
    if req.offset >= total || total - end >= req.offset {
        return store.page(&sel, &req.page_request());
    }
    let from_oldest = PageRequest {
        order: SortOrder::OldestFirst,
        offset: total - end,
        limit: end - req.offset,
    };
    let mut p = store.page(&sel, &from_oldest)?;
    p.hits.reverse();
    Ok(p)
}

fn key(hit: &Hit) -> (i64, u64) {
    (
        hit.event.ts.map_or(i64::MIN, |t| t.timestamp_millis()),
        hit.ord,
    )
}

fn locate(
    store: &dyn Store,
    req: &SearchRequest,
    target: &LocateTarget,
) -> anyhow::Result<(Option<u64>, String)> {
    let sel = req.selection();
    match *target {
        LocateTarget::Time(ms) => {
            let pos = store.position(&sel, ms, u64::MAX)?;
            let total = store.count(&sel)?;
            Ok((
                (pos < total).then_some(pos),
                "event at that time".to_owned(),
            ))
        }
        LocateTarget::Keep(ts, ord) => {
            let pos = store.position(&sel, ts, ord)?;
            let total = store.count(&sel)?;
            Ok(((total > 0).then(|| pos.min(total - 1)), String::new()))
        }
        LocateTarget::Return(ts, ord) => Ok((
            Some(store.position(&sel, ts, ord)?),
            "back where you were".to_owned(),
        )),
        LocateTarget::Event(ts, ord) => {
            Ok((Some(store.position(&sel, ts, ord)?), "mark".to_owned()))
        }
        LocateTarget::Find {
            down,
            from,
            ref find,
            step,
        } => Ok(explore::locate_find(store, req, from, find, (down, step))?),
        LocateTarget::Problem {
            down,
            from,
            ref evidence,
        } => {
            // The nearest of two candidates: the next problem event of the current search,
            // and the next of the alerts' evidence events in it.
            let current = req.query.trim();
            let problems = if current.is_empty() || current == "*" {
                problem_query()
            } else {
                format!("({current}) AND ({})", problem_query())
            };
            let mut candidates = vec![Selection {
                query: problems,
                ..sel.clone()
            }];
            if !evidence.is_empty() {
                let ords = Filter::Ords(evidence.clone());
                candidates.push(Selection {
                    filter: Some(match sel.filter.clone() {
                        Some(f) => f.and(ords),
                        None => ords,
                    }),
                    ..sel.clone()
                });
            }
            let mut best: Option<Hit> = None;
            for c in candidates {
                if let Some(h) = next_after(store, c, from, down)? {
                    let closer = best.as_ref().is_none_or(|b| {
                        if down {
                            key(&h) > key(b)
                        } else {
                            key(&h) < key(b)
                        }
                    });
                    if closer {
                        best = Some(h);
                    }
                }
            }
            match best {
                Some(h) => {
                    let (t, o) = key(&h);
                    let what = format!(
                        "problem: {} {}",
                        h.event.severity.as_str(),
                        crate::model::escape_control(&h.event.action)
                    );
                    Ok((Some(store.position(&sel, t, o)?), what))
                }
                None => Ok((None, "problem".to_owned())),
            }
        }
    }
}

/// The first match of `sel` after the event keyed `from` in the newest-first list
/// (`down`: older) or before it (newer). Events in the same millisecond as `from` are
/// passed over, as they always were.
fn next_after(
    store: &dyn Store,
    mut sel: Selection,
    from: (i64, u64),
    down: bool,
) -> anyhow::Result<Option<Hit>> {
    let (ts, _) = from;
    let order = if down {
        if ts != i64::MAX {
            let before = chrono::DateTime::from_timestamp_millis(ts).context("time")?;
            sel.to = Some(sel.to.map_or(before, |t| t.min(before)));
        }
        SortOrder::NewestFirst
    } else {
        let after =
            chrono::DateTime::from_timestamp_millis(ts.saturating_add(1)).context("time")?;
        sel.from = Some(sel.from.map_or(after, |f| f.max(after)));
        SortOrder::OldestFirst
    };
    if sel.from.zip(sel.to).is_some_and(|(f, t)| f >= t) {
        return Ok(None);
    }
    let one = PageRequest {
        offset: 0,
        limit: 1,
        order,
    };
    Ok(store.page(&sel, &one)?.hits.into_iter().next())
}

/// Commands for the search worker thread.
pub enum SearchCmd {
    /// Search this store from now on.
    SetStore(Arc<dyn Store>),
    /// Reload the reader.
    Reload,
    /// A job (latest of each kind wins).
    Job(Job),
    /// Slow work on its own thread (exports, reports, the compliance pane).
    Desk(Effect),
}

/// Carries effects out on the search worker thread.
pub struct ThreadRunner {
    tx: Sender<SearchCmd>,
}

impl ThreadRunner {
    /// Starts the worker thread; results go to `out`, masked with `masker`; the case
    /// file, exports and reports go through `desk`.
    pub fn start(
        out: Sender<Msg>,
        masker: Arc<Masker>,
        desk: Desk,
    ) -> (Self, std::thread::JoinHandle<()>) {
        let (tx, rx) = std::sync::mpsc::channel();
        let desk = Arc::new(desk);
        let handle = std::thread::Builder::new()
            .name("auditlens-search".to_owned())
            .spawn(move || search_worker(&rx, &out, &masker, &desk))
            .expect("invariant: spawning a thread succeeds");
        (Self { tx }, handle)
    }

    /// A handle that hands new stores to the worker.
    pub(crate) fn handle(&self) -> StoreHandle {
        StoreHandle {
            tx: self.tx.clone(),
        }
    }
}

/// Hands new stores to the search worker.
pub struct StoreHandle {
    tx: Sender<SearchCmd>,
}

impl StoreHandle {
    /// Search `store` from now on.
    pub(crate) fn set_store(&self, store: Arc<dyn Store>) {
        let _ = self.tx.send(SearchCmd::SetStore(store));
    }
}

impl EffectRunner for ThreadRunner {
    fn run(&mut self, effect: Effect) -> Vec<Action> {
        let cmd = match effect {
            Effect::Run(job) => SearchCmd::Job(job),
            Effect::ReloadReader => SearchCmd::Reload,
            e @ (Effect::Export { .. }
            | Effect::LoadCase(_)
            | Effect::SaveCase { .. }
            | Effect::Report { .. }
            | Effect::Compliance(_)
            | Effect::Follow(_)) => SearchCmd::Desk(e),
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
        Job::Facets { .. } => 4,
        Job::FindMatches { .. } => 5,
        Job::Context { .. } => 6,
        Job::Span { .. } => 7,
    }
}

/// Kinds of job, each with its own latest-wins slot.
const SLOTS: usize = 8;

fn search_worker(
    rx: &Receiver<SearchCmd>,
    out: &Sender<Msg>,
    masker: &Arc<Masker>,
    desk: &Arc<Desk>,
) {
    let mut store: Option<Arc<dyn Store>> = None;
    while let Ok(first) = rx.recv() {
        let mut jobs: [Option<Job>; SLOTS] = std::array::from_fn(|_| None);
        let mut reload = false;
        let mut slow = Vec::new();
        let mut pending = Some(first);
        while let Some(cmd) = pending.take().or_else(|| rx.try_recv().ok()) {
            match cmd {
                SearchCmd::SetStore(s) => {
                    store = Some(s);
                    reload = false;
                }
                SearchCmd::Reload => reload = true,
                SearchCmd::Job(j) => {
                    let i = slot(&j);
                    jobs[i] = Some(j);
                }
                SearchCmd::Desk(e) => slow.push(e),
            }
        }
        let Some(s) = &store else {
            continue;
        };
        if reload && let Err(e) = s.refresh() {
            let _ = out.send(Msg::Worker(WorkerMsg::Action(Action::WorkerFailed(
                format!("reloading the index: {e}"),
            ))));
        }
        for job in jobs.into_iter().flatten() {
            let action = execute(s.as_ref(), job, Some(masker));
            if out.send(Msg::Worker(WorkerMsg::Action(action))).is_err() {
                return;
            }
        }
        for effect in slow {
            if let Effect::Follow(on) = effect {
                for a in desk.follow(on, Arc::clone(masker), out.clone()) {
                    let _ = out.send(Msg::Worker(WorkerMsg::Action(a)));
                }
                continue;
            }
            // Case-file saves stay in order: done here, they are small.
            if matches!(effect, Effect::SaveCase { .. } | Effect::LoadCase(_)) {
                for a in run_desk(desk, s.as_ref(), effect, masker) {
                    let _ = out.send(Msg::Worker(WorkerMsg::Action(a)));
                }
                continue;
            }
            let store = Arc::clone(s);
            let out = out.clone();
            let masker = Arc::clone(masker);
            let desk = Arc::clone(desk);
            let _ = std::thread::Builder::new()
                .name("auditlens-desk".to_owned())
                .spawn(move || {
                    for a in run_desk(&desk, store.as_ref(), effect, &masker) {
                        let _ = out.send(Msg::Worker(WorkerMsg::Action(a)));
                    }
                });
        }
    }
}

/// Carries out a desk effect (case file, export, report, compliance); other effects
/// yield nothing here.
pub(crate) fn run_desk(
    desk: &Desk,
    store: &dyn Store,
    effect: Effect,
    masker: &Masker,
) -> Vec<Action> {
    match effect {
        Effect::Export {
            path,
            request,
            force,
            what,
            digest,
        } => vec![Action::Exported(desk.export(
            store,
            ExportJob {
                path: &path,
                request: &request,
                force,
                what,
                digest: digest.as_deref(),
            },
            masker,
        ))],
        Effect::LoadCase(digest) => vec![desk.load_case(&digest)],
        Effect::SaveCase { file, change } => desk.save_case(&file, &change),
        Effect::Report {
            standard,
            path,
            force,
            case,
            digest,
        } => vec![Action::ReportWritten(desk.write_report(
            store,
            ReportJob {
                standard: &standard,
                path: &path,
                force,
                case: &case,
                digest: digest.as_deref(),
            },
            masker,
        ))],
        Effect::Compliance(standard) => vec![desk.compliance(store, &standard, masker)],
        // Following needs the loop's channel: the thread runner starts it.
        Effect::Follow(_) => vec![Action::FollowStopped(
            "following needs the interactive explorer".into(),
        )],
        Effect::Run(_)
        | Effect::ReloadReader
        | Effect::Copy(_)
        | Effect::SavePrefs { .. }
        | Effect::Quit => vec![],
    }
}

/// Runs jobs inline (tests, headless runs): results are returned at once.
pub struct SyncRunner {
    /// The store.
    pub store: Arc<dyn Store>,
    /// Copies requested (OSC 52 payloads).
    pub copied: Vec<String>,
    /// What results are masked with (none: unmasked).
    pub masker: Option<Arc<Masker>>,
    /// The case file, exports and reports.
    pub desk: Desk,
}

impl SyncRunner {
    /// A runner over `store`, unmasked.
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self {
            store,
            copied: Vec::new(),
            masker: None,
            desk: Desk::default(),
        }
    }
}

impl EffectRunner for SyncRunner {
    fn run(&mut self, effect: Effect) -> Vec<Action> {
        match effect {
            Effect::Run(job) => vec![execute(self.store.as_ref(), job, self.masker.as_deref())],
            Effect::ReloadReader => {
                let _ = self.store.refresh();
                vec![]
            }
            e @ (Effect::Export { .. }
            | Effect::LoadCase(_)
            | Effect::SaveCase { .. }
            | Effect::Report { .. }
            | Effect::Compliance(_)
            | Effect::Follow(_)) => {
                let masker = self
                    .masker
                    .clone()
                    .unwrap_or_else(|| Arc::new(Masker::disabled()));
                run_desk(&self.desk, self.store.as_ref(), e, &masker)
            }
            Effect::Copy(text) => {
                self.copied.push(text);
                vec![]
            }
            Effect::Quit | Effect::SavePrefs { .. } => vec![],
        }
    }
}
