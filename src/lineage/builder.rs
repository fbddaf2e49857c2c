//! `GraphBuilder`: folds events one by one into the lineage graph. Per event it costs a few
//! hash look-ups by borrowed strings; it allocates only for things never seen before, so
//! its memory is the graph's (distinct nodes, edges and per-version aggregates).
//!
//! The per-event fold is here; `versions.rs` records a model version's evaluations,
//! approvals, deployments and predictions, `finish.rs` completes the graph (unknown runs,
//! runs linked to models), and `dense.rs` is the node-indexed map they share.

mod dense;
mod finish;
mod versions;

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};

use super::node::{Edge, Node, NodeKey, RefSite, RunInfo, RunStatus, VersionInfo, kind};
use crate::model::{AuditEvent, Category, Outcome};
use dense::Dense;

/// Version slots of one `(type, id)`.
#[derive(Default)]
struct Slots {
    none: Option<u32>,
    some: HashMap<String, u32>,
}

/// Node types found by scanning before the type map is used.
const FEW_KINDS: usize = 12;

/// Sentinel for "no run" in edge keys.
const NO_RUN: u32 = u32::MAX;

/// Builds a [`Graph`] from a stream of events.
#[derive(Default)]
pub struct GraphBuilder {
    nodes: Vec<Node>,
    /// Node look-up: type (few, scanned), then id, then version.
    lookup: Vec<(String, HashMap<String, Slots>)>,
    /// Position in `lookup` of every type (for inputs with more than [`FEW_KINDS`]).
    kind_index: HashMap<String, usize>,
    edges: Vec<Edge>,
    edge_index: HashMap<(u32, u32, u32, u32), u32>,
    actions: HashMap<String, u32>,
    versions: Dense<VersionInfo>,
    runs: Dense<RunInfo>,
    /// `(type, id)` of event resources of lineage types, matched against nodes at the end.
    described: HashMap<String, HashSet<String>>,
    events: u64,
}

/// Times and place of the event being folded.
struct Ctx<'a> {
    ts: Option<DateTime<Utc>>,
    path: &'a str,
    line: u64,
}

fn is_lineage_kind(k: &str) -> bool {
    matches!(
        k,
        kind::DATASET
            | kind::FEATURE_SET
            | kind::RUN
            | kind::MODEL_VERSION
            | kind::DEPLOYMENT
            | kind::ENDPOINT
    )
}

/// The last dotted part of an action (`model.train.fail` -> `fail`).
fn verb(action: &str) -> &str {
    action.rsplit('.').next().unwrap_or(action)
}

fn min_ts(a: Option<DateTime<Utc>>, b: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

fn max_ts(a: Option<DateTime<Utc>>, b: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

fn set_if_changed(slot: &mut Option<String>, value: Option<&str>) {
    if let Some(v) = value
        && slot.as_deref() != Some(v)
    {
        *slot = Some(v.to_owned());
    }
}

impl GraphBuilder {
    /// An empty builder.
    pub fn new() -> Self {
        Self::default()
    }

    /// Events folded so far.
    pub fn events(&self) -> u64 {
        self.events
    }

    /// Distinct nodes so far.
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// The node index of a key, created when new.
    fn node(&mut self, k: &str, id: &str, version: Option<&str>, ctx: &Ctx<'_>) -> u32 {
        // The usual handful of types are scanned; odd inputs with many types use a map.
        let scanned = self.lookup.iter().take(FEW_KINDS).position(|(x, _)| x == k);
        let pos = if let Some(p) = scanned.or_else(|| self.kind_index.get(k).copied()) {
            p
        } else {
            self.lookup.push((k.to_owned(), HashMap::new()));
            self.kind_index.insert(k.to_owned(), self.lookup.len() - 1);
            self.lookup.len() - 1
        };
        let by_id = &mut self.lookup[pos].1;
        let slots = match by_id.get_mut(id) {
            Some(s) => s,
            None => by_id.entry(id.to_owned()).or_default(),
        };
        let found = match version {
            None => slots.none,
            Some(v) => slots.some.get(v).copied(),
        };
        if let Some(i) = found {
            return i;
        }
        let i = u32::try_from(self.nodes.len()).unwrap_or(u32::MAX - 1);
        match version {
            None => slots.none = Some(i),
            Some(v) => {
                slots.some.insert(v.to_owned(), i);
            }
        }
        self.nodes.push(Node {
            key: NodeKey::new(k, id, version),
            events: 0,
            refs: 0,
            first_ts: ctx.ts,
            last_ts: ctx.ts,
            environment: None,
            first_seen: Some(RefSite {
                path: ctx.path.to_owned(),
                line: ctx.line,
            }),
        });
        i
    }

    fn touch(&mut self, i: u32, ctx: &Ctx<'_>, described: bool) {
        let n = &mut self.nodes[i as usize];
        if described {
            n.events += 1;
        } else {
            n.refs += 1;
        }
        n.first_ts = min_ts(n.first_ts, ctx.ts);
        n.last_ts = max_ts(n.last_ts, ctx.ts);
    }

    fn action_id(&mut self, action: &str) -> u32 {
        if let Some(&a) = self.actions.get(action) {
            return a;
        }
        let a = self.actions.len() as u32;
        self.actions.insert(action.to_owned(), a);
        a
    }

    fn edge(&mut self, from: u32, to: u32, action: &str, run: Option<(u32, &str)>, ctx: &Ctx<'_>) {
        let a = self.action_id(action);
        let key = (from, to, a, run.map_or(NO_RUN, |(i, _)| i));
        if let Some(&e) = self.edge_index.get(&key) {
            let e = &mut self.edges[e as usize];
            e.count += 1;
            e.ts = min_ts(e.ts, ctx.ts);
            return;
        }
        self.edge_index.insert(key, self.edges.len() as u32);
        self.edges.push(Edge {
            from,
            to,
            action: action.to_owned(),
            run_id: run.map(|(_, r)| r.to_owned()),
            ts: ctx.ts,
            count: 1,
        });
    }

    fn version_info(&mut self, mv: u32) -> &mut VersionInfo {
        let key = &self.nodes[mv as usize].key;
        self.versions.get_or_insert_with(mv, || {
            VersionInfo::new(&key.id, key.version.as_deref().unwrap_or_default())
        })
    }

    fn run_info(&mut self, r: u32) -> &mut RunInfo {
        let id = &self.nodes[r as usize].key.id;
        self.runs
            .get_or_insert_with(r, || RunInfo::new(id.clone(), RunStatus::Running))
    }

    /// Folds one event into the graph.
    #[allow(clippy::too_many_lines)]
    pub fn observe(&mut self, e: &AuditEvent) {
        self.events += 1;
        let ctx = Ctx {
            ts: e.ts,
            path: &e.origin.path,
            line: e.origin.line,
        };
        let ok = e.outcome != Outcome::Failure && e.outcome != Outcome::Denied;

        // The run and its parent.
        let run = e
            .run_id
            .as_deref()
            .filter(|r| !r.is_empty())
            .map(|r| (self.node(kind::RUN, r, None, &ctx), r));
        // An event listing its own run among its inputs cites the run (a registration of
        // what the run produced) rather than being one of the run's own events.
        let cites_run = e
            .run_id
            .as_deref()
            .is_some_and(|r| e.inputs.iter().any(|a| a.kind == kind::RUN && a.id == r));
        if let Some((r, _)) = run
            && cites_run
        {
            self.touch(r, &ctx, false);
        } else if let Some((r, _)) = run {
            self.touch(r, &ctx, true);
            let failed = verb(&e.action) == "fail" || e.outcome == Outcome::Failure;
            let completed = verb(&e.action) == "complete" || verb(&e.action) == "finish";
            let model_id = e.model.as_ref().map(|m| m.id.as_str());
            let info = self.run_info(r);
            info.training |= e.category == Category::Training;
            info.started_at = min_ts(info.started_at, ctx.ts);
            info.ended_at = max_ts(info.ended_at, ctx.ts);
            if failed {
                info.status = RunStatus::Failed;
                if info.failure.is_none() {
                    info.failure = Some(e.message.clone().unwrap_or_else(|| e.action.clone()));
                }
            } else if completed && info.status == RunStatus::Running {
                info.status = RunStatus::Completed;
            }
            if let Some(m) = model_id.filter(|m| !m.is_empty())
                && !info.models.iter().any(|x| x == m)
            {
                info.models.push(m.to_owned());
            }
        }
        if let (Some((r, rid)), Some(p)) = (
            run,
            e.parent_run_id
                .as_deref()
                .filter(|p| !p.is_empty() && Some(*p) != e.run_id.as_deref()),
        ) {
            let pi = self.node(kind::RUN, p, None, &ctx);
            self.touch(pi, &ctx, false);
            set_if_changed(&mut self.run_info(r).parent, Some(p));
            self.edge(pi, r, &e.action, Some((r, rid)), &ctx);
        }

        // The model version the event concerns.
        let mv = e.model.as_ref().and_then(|m| {
            let v = m.version.as_deref().filter(|v| !v.is_empty())?;
            (!m.id.is_empty()).then_some((m.id.as_str(), v))
        });
        let mv = mv.map(|(id, v)| (self.node(kind::MODEL_VERSION, id, Some(v), &ctx), id, v));
        if let Some((m, _, _)) = mv {
            self.touch(m, &ctx, true);
            self.version_info(m).events += 1;
        }

        // Inputs and outputs.
        let mut ins: Vec<u32> = Vec::with_capacity(e.inputs.len());
        for a in &e.inputs {
            if a.id.is_empty() {
                continue;
            }
            let i = self.node(&a.kind, &a.id, a.version.as_deref(), &ctx);
            if run.is_none_or(|(r, _)| r != i) {
                self.touch(i, &ctx, false);
            }
            ins.push(i);
        }
        let mut outs: Vec<u32> = Vec::with_capacity(e.outputs.len());
        for a in &e.outputs {
            if a.id.is_empty() {
                continue;
            }
            let o = self.node(&a.kind, &a.id, a.version.as_deref(), &ctx);
            self.touch(o, &ctx, true);
            outs.push(o);
        }
        let resource = e
            .resource
            .id
            .as_deref()
            .filter(|id| !id.is_empty())
            .zip(e.resource.kind.as_deref().filter(|k| is_lineage_kind(k)));
        // Datasets and feature sets may be referenced as inputs and only described by
        // events acting on them (an access): remember those. Other kinds are described by
        // their own fields (run id, model, outputs).
        if let Some((id, k)) = resource
            && (k == kind::DATASET || k == kind::FEATURE_SET)
            && !self.described.get(k).is_some_and(|ids| ids.contains(id))
        {
            self.described
                .entry(k.to_owned())
                .or_default()
                .insert(id.to_owned());
        }
        // A deployment event without outputs deploys into its resource.
        if outs.is_empty()
            && e.category == Category::Deployment
            && let Some((id, k)) = resource
            && (k == kind::DEPLOYMENT || k == kind::ENDPOINT)
        {
            let o = self.node(k, id, e.resource.version.as_deref(), &ctx);
            self.touch(o, &ctx, true);
            outs.push(o);
        }
        // The model version is an implicit input of what the event produced (a deployment).
        if let Some((m, _, _)) = mv
            && !outs.is_empty()
            && !outs.contains(&m)
            && !ins.contains(&m)
        {
            ins.push(m);
        }

        for &i in &ins {
            for &o in &outs {
                self.edge(i, o, &e.action, run, &ctx);
            }
        }
        // The run as a hub: inputs -> run -> outputs (unless the event already lists the
        // run among its inputs or outputs, whose direct edges are these).
        if let Some((r, _)) = run {
            if !outs.contains(&r) {
                for &i in &ins {
                    if i != r {
                        self.edge(i, r, &e.action, run, &ctx);
                    }
                }
            }
            if !ins.contains(&r) {
                for &o in &outs {
                    if o != r {
                        self.edge(r, o, &e.action, run, &ctx);
                    }
                }
            }
        }
        if matches!(e.category, Category::Deployment | Category::Inference) {
            for &o in &outs {
                set_if_changed(
                    &mut self.nodes[o as usize].environment,
                    e.environment.as_deref(),
                );
            }
        }

        // Versions produced by this event: who produced them.
        for &o in &outs {
            if self.nodes[o as usize].key.kind != kind::MODEL_VERSION {
                continue;
            }
            let input_run = ins.iter().find_map(|&i| {
                let k = &self.nodes[i as usize].key;
                (k.kind == kind::RUN).then(|| k.id.clone())
            });
            // Ranks: 0 training event of a run, 1 (below) training event naming the version
            // without outputs, 2 other event of a run, 3 event citing a run, 4 training event
            // without a run, 5 anything else.
            let training = e.category == Category::Training;
            let (rank, rid) = match (run, input_run) {
                (Some((_, r)), _) if training => (0, Some(r.to_owned())),
                (Some((_, r)), _) => (2, Some(r.to_owned())),
                (None, Some(c)) => (3, Some(c)),
                (None, None) if training => (4, None),
                (None, None) => (5, None),
            };
            let trained = if training { ctx.ts } else { None };
            let model = self.nodes[o as usize].key.id.clone();
            if let Some((r, _)) = run
                && !cites_run
            {
                let info = self.run_info(r);
                if !info.models.contains(&model) {
                    info.models.push(model);
                }
            }
            let vi = self.version_info(o);
            if rank < vi.producer_rank {
                vi.producer_rank = rank;
                vi.run_id = rid;
                vi.trained_at = trained;
            } else if rank == vi.producer_rank {
                vi.trained_at = min_ts(vi.trained_at, trained);
            }
        }
        // A completed training event naming its version but without outputs.
        if let (Some((m, _, _)), Some((_, r))) = (mv, run)
            && e.category == Category::Training
            && outs.is_empty()
            && verb(&e.action) != "start"
            && verb(&e.action) != "fail"
        {
            let vi = self.version_info(m);
            if vi.producer_rank > 1 {
                vi.producer_rank = 1;
                vi.run_id = Some(r.to_owned());
                vi.trained_at = ctx.ts;
            }
        }

        let Some((m, _, _)) = mv else {
            return;
        };
        self.version_event(m, e, ok, &ctx, &outs);
    }
}
