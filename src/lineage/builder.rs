//! `GraphBuilder`: folds events one by one into the lineage graph. Per event it costs a few
//! hash look-ups by borrowed strings; it allocates only for things never seen before, so
//! its memory is the graph's (distinct nodes, edges and per-version aggregates).

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::graph::Graph;
use super::node::{
    Approval, Deployment, Edge, Evaluation, MAX_HISTORY, Node, NodeKey, PredictionCount, RefSite,
    RunInfo, RunStatus, VersionInfo, kind, latest_decision,
};
use crate::model::{AuditEvent, Category, Outcome};

/// Version slots of one `(type, id)`.
#[derive(Default)]
struct Slots {
    none: Option<u32>,
    some: HashMap<String, u32>,
}

/// Values attached to some nodes, found by node index without hashing.
struct Dense<V> {
    slot: Vec<u32>,
    items: Vec<(u32, V)>,
}

impl<V> Default for Dense<V> {
    fn default() -> Self {
        Self {
            slot: Vec::new(),
            items: Vec::new(),
        }
    }
}

impl<V> Dense<V> {
    fn position(&self, node: u32) -> Option<usize> {
        self.slot
            .get(node as usize)
            .copied()
            .filter(|&s| s != u32::MAX)
            .map(|s| s as usize)
    }

    fn contains(&self, node: u32) -> bool {
        self.position(node).is_some()
    }

    fn get_mut(&mut self, node: u32) -> Option<&mut V> {
        let p = self.position(node)?;
        Some(&mut self.items[p].1)
    }

    fn get_or_insert_with(&mut self, node: u32, make: impl FnOnce() -> V) -> &mut V {
        let p = self.position(node).unwrap_or_else(|| {
            if self.slot.len() <= node as usize {
                self.slot.resize(node as usize + 1, u32::MAX);
            }
            self.slot[node as usize] = self.items.len() as u32;
            self.items.push((node, make()));
            self.items.len() - 1
        });
        &mut self.items[p].1
    }

    fn values(&self) -> impl Iterator<Item = &V> {
        self.items.iter().map(|(_, v)| v)
    }

    fn into_values(self) -> impl Iterator<Item = V> {
        self.items.into_iter().map(|(_, v)| v)
    }
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
        self.runs.get_or_insert_with(r, || RunInfo {
            id: id.clone(),
            status: RunStatus::Running,
            parent: None,
            models: Vec::new(),
            model_source: None,
            training: false,
            produced: Vec::new(),
            started_at: None,
            ended_at: None,
            failure: None,
        })
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

    /// Evaluations, approvals, deployments and predictions of one model version.
    #[allow(clippy::too_many_lines)]
    fn version_event(&mut self, m: u32, e: &AuditEvent, ok: bool, ctx: &Ctx<'_>, outs: &[u32]) {
        let by = || e.actor.id.clone();
        let outcome = || e.outcome.as_str().to_owned();
        match e.category {
            Category::Evaluation => {
                let metrics = match e.details.get("metrics") {
                    Some(Value::Object(o)) => o.clone(),
                    _ => serde_json::Map::new(),
                };
                let threshold = e.details.get("threshold").cloned();
                let vi = self.version_info(m);
                if vi.evaluations.len() < MAX_HISTORY {
                    vi.evaluations.push(Evaluation {
                        ts: ctx.ts,
                        action: e.action.clone(),
                        outcome: outcome(),
                        run_id: e.run_id.clone(),
                        metrics,
                        threshold,
                    });
                } else {
                    vi.omitted += 1;
                }
            }
            Category::Registry if verb(&e.action) == "approve" || verb(&e.action) == "reject" => {
                let approved = verb(&e.action) == "approve" && ok;
                let vi = self.version_info(m);
                if vi.approvals.len() < MAX_HISTORY {
                    vi.approvals.push(Approval {
                        ts: ctx.ts,
                        approved,
                        by: by(),
                        action: e.action.clone(),
                        outcome: outcome(),
                    });
                } else {
                    vi.omitted += 1;
                }
            }
            Category::Deployment => {
                let target = outs
                    .iter()
                    .map(|&o| &self.nodes[o as usize].key)
                    .find(|k| k.kind == kind::DEPLOYMENT || k.kind == kind::ENDPOINT)
                    .map(|k| k.id.clone())
                    .or_else(|| e.resource.id.clone());
                let vi = self.version_info(m);
                let approved_before =
                    latest_decision(&vi.approvals, ctx.ts).is_some_and(|a| a.approved);
                if vi.deployments.len() < MAX_HISTORY {
                    vi.deployments.push(Deployment {
                        ts: ctx.ts,
                        action: e.action.clone(),
                        environment: e.environment.clone(),
                        target,
                        by: by(),
                        outcome: outcome(),
                        approved_before,
                    });
                } else {
                    vi.omitted += 1;
                }
            }
            Category::Inference => self.prediction(m, e, ctx),
            _ => {}
        }
    }

    /// One prediction (or explanation): counted per model version and endpoint; the
    /// endpoint node and edge are remembered in the count's slot, so repeated predictions
    /// cost no hash look-up of the endpoint.
    fn prediction(&mut self, m: u32, e: &AuditEvent, ctx: &Ctx<'_>) {
        let endpoint = e.resource.id.as_deref().filter(|id| !id.is_empty());
        let vi = self.version_info(m);
        let slot_i = vi
            .predictions
            .iter()
            .position(|p| p.endpoint.as_deref() == endpoint)
            .unwrap_or_else(|| {
                vi.predictions.push(PredictionCount {
                    endpoint: endpoint.map(str::to_owned),
                    environment: None,
                    count: 0,
                    first_ts: None,
                    last_ts: None,
                    cached: None,
                });
                vi.predictions.len() - 1
            });
        let slot = &mut vi.predictions[slot_i];
        slot.count += 1;
        slot.first_ts = min_ts(slot.first_ts, ctx.ts);
        slot.last_ts = max_ts(slot.last_ts, ctx.ts);
        set_if_changed(&mut slot.environment, e.environment.as_deref());
        let cached = slot.cached;
        let Some(ep) = endpoint else { return };
        let ep_kind = e
            .resource
            .kind
            .as_deref()
            .filter(|k| !k.is_empty())
            .unwrap_or(kind::ENDPOINT);
        let (ep_node, edge) = match cached {
            Some((cached_node, edge))
                if self.nodes[cached_node as usize].key.kind == ep_kind
                    && self.edges[edge as usize].action == e.action =>
            {
                let ed = &mut self.edges[edge as usize];
                ed.count += 1;
                ed.ts = min_ts(ed.ts, ctx.ts);
                (cached_node, edge)
            }
            _ => {
                let node = self.node(ep_kind, ep, None, ctx);
                self.edge(m, node, &e.action, None, ctx);
                let action = self.actions[e.action.as_str()];
                (node, self.edge_index[&(m, node, action, NO_RUN)])
            }
        };
        self.touch(ep_node, ctx, true);
        set_if_changed(
            &mut self.nodes[ep_node as usize].environment,
            e.environment.as_deref(),
        );
        if let Some(vi) = self.versions.get_mut(m) {
            vi.predictions[slot_i].cached = Some((ep_node, edge));
        }
    }

    /// The finished graph.
    pub fn finish(mut self) -> Graph {
        for n in &mut self.nodes {
            if n.events == 0
                && self
                    .described
                    .get(&n.key.kind)
                    .is_some_and(|ids| ids.contains(&n.key.id))
            {
                n.events = 1;
            }
        }
        // Runs only referenced (never carrying events of their own) are listed too, as unknown.
        for (i, n) in self.nodes.iter().enumerate() {
            if n.key.kind == kind::RUN && !self.runs.contains(i as u32) {
                self.runs.get_or_insert_with(i as u32, || RunInfo {
                    id: n.key.id.clone(),
                    status: RunStatus::Unknown,
                    parent: None,
                    models: Vec::new(),
                    model_source: None,
                    training: false,
                    produced: Vec::new(),
                    started_at: None,
                    ended_at: None,
                    failure: None,
                });
            }
        }
        let mut runs: Vec<RunInfo> = self.runs.into_values().collect();
        runs.sort_by(|a, b| a.id.cmp(&b.id));
        link_runs_to_models(&mut runs, &self.nodes);
        for v in self.versions.values() {
            let Some(rid) = &v.run_id else { continue };
            if let Ok(i) = runs.binary_search_by(|r| r.id.as_str().cmp(rid)) {
                runs[i].produced.push((v.model.clone(), v.version.clone()));
            }
        }
        for r in &mut runs {
            r.produced.sort_by(|a, b| {
                a.0.cmp(&b.0)
                    .then_with(|| super::graph::version_order(&a.1, &b.1))
            });
        }
        let mut versions: Vec<VersionInfo> = self.versions.into_values().collect();
        for p in versions.iter_mut().flat_map(|v| v.predictions.iter_mut()) {
            p.cached = None;
        }
        versions.sort_by(|a, b| {
            a.model
                .cmp(&b.model)
                .then_with(|| super::graph::version_order(&a.version, &b.version))
        });
        Graph::from_parts(self.nodes, self.edges, versions, runs, self.events)
    }
}

/// Most models for which runs without a model are matched by name (beyond, they are not).
const MAX_NAME_MATCH_MODELS: usize = 1000;

/// Whether `hay` holds `needle` as a whole token (bounded by the ends or by `-`, `_`, `/`,
/// `:` or `.`).
fn has_token(hay: &str, needle: &str) -> bool {
    let sep = |c: Option<char>| c.is_none_or(|c| matches!(c, '-' | '_' | '/' | ':' | '.'));
    hay.match_indices(needle).any(|(i, _)| {
        sep(hay[..i].chars().next_back()) && sep(hay[i + needle.len()..].chars().next())
    })
}

/// Gives each run that names no model one: its parent's (transitively), else the longest
/// known model id its run id is named after (`run-<model>-<n>`). Sorted `runs` in, same out.
fn link_runs_to_models(runs: &mut [RunInfo], nodes: &[Node]) {
    for r in runs.iter_mut() {
        if !r.models.is_empty() {
            r.model_source = Some("event".to_owned());
        }
    }
    // Parents, followed up to the depth of the run forest (a cycle of parents ends too).
    for _ in 0..runs.len().min(64) {
        let mut changed = false;
        for i in 0..runs.len() {
            if !runs[i].models.is_empty() {
                continue;
            }
            let Some(p) = runs[i].parent.clone() else {
                continue;
            };
            if let Ok(pi) = runs.binary_search_by(|r| r.id.as_str().cmp(&p))
                && !runs[pi].models.is_empty()
            {
                let inherited = runs[pi].models.clone();
                runs[i].models = inherited;
                runs[i].model_source = Some("parent".to_owned());
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    let mut known: Vec<&str> = nodes
        .iter()
        .filter(|n| n.key.kind == kind::MODEL_VERSION)
        .map(|n| n.key.id.as_str())
        .chain(
            runs.iter()
                .flat_map(|r| r.models.iter().map(String::as_str)),
        )
        .collect();
    known.sort_unstable();
    known.dedup();
    if known.len() > MAX_NAME_MATCH_MODELS {
        return;
    }
    let by_name: Vec<Option<String>> = runs
        .iter()
        .map(|r| {
            if !r.models.is_empty() {
                return None;
            }
            known
                .iter()
                .filter(|m| !m.is_empty() && has_token(&r.id, m))
                .max_by_key(|m| m.len())
                .map(|m| (*m).to_owned())
        })
        .collect();
    for (r, m) in runs.iter_mut().zip(by_name) {
        if let Some(m) = m {
            r.models = vec![m];
            r.model_source = Some("name".to_owned());
        }
    }
}
