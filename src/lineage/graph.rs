//! `Graph`: the finished lineage graph with adjacency, traversals (cycle-safe), cycle
//! detection, the model list, and the query that selects a node's events.

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::fmt;

use serde::{Deserialize, Serialize};

use super::node::{Edge, Node, NodeKey, RunInfo, VersionInfo, kind};
use crate::store::Filter;

/// File name of the persisted graph inside an index cache folder.
pub const GRAPH_FILE: &str = "lineage.json";

/// Version of the persisted layout and of what it means: bump it whenever the builder
/// derives something differently, so graphs saved by older builds are rebuilt.
const FORMAT: u32 = 3;

/// A persisted graph that cannot be read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraphError(pub String);

impl fmt::Display for GraphError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "lineage graph: {}", self.0)
    }
}

impl std::error::Error for GraphError {}

/// A cycle: nodes of one strongly connected component (or one node with an edge to itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cycle {
    /// Node indexes, sorted.
    pub nodes: Vec<u32>,
}

/// A model and its versions, for `lineage --list`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ModelSummary {
    /// Model id.
    pub id: String,
    /// Versions, in version order.
    pub versions: Vec<String>,
    /// Runs of this model that produced no version (failed or unfinished).
    pub runs_without_version: Vec<String>,
}

#[derive(Serialize)]
struct StoredRef<'a> {
    format: u32,
    events: u64,
    nodes: &'a [Node],
    edges: &'a [Edge],
    versions: &'a [VersionInfo],
    runs: &'a [RunInfo],
}

#[derive(Deserialize)]
struct Stored {
    format: u32,
    events: u64,
    nodes: Vec<Node>,
    edges: Vec<Edge>,
    versions: Vec<VersionInfo>,
    runs: Vec<RunInfo>,
}

/// The lineage graph.
#[derive(Debug, Clone)]
pub struct Graph {
    nodes: Vec<Node>,
    edges: Vec<Edge>,
    versions: Vec<VersionInfo>,
    runs: Vec<RunInfo>,
    events: u64,
    index: HashMap<NodeKey, u32>,
    out_adj: Vec<Vec<u32>>,
    in_adj: Vec<Vec<u32>>,
    cycles: Vec<Cycle>,
}

/// Orders versions numerically when both are numbers, else as text.
pub(crate) fn version_order(a: &str, b: &str) -> Ordering {
    match (a.parse::<u64>(), b.parse::<u64>()) {
        (Ok(x), Ok(y)) => x.cmp(&y).then_with(|| a.cmp(b)),
        (Ok(_), Err(_)) => Ordering::Less,
        (Err(_), Ok(_)) => Ordering::Greater,
        (Err(_), Err(_)) => a.cmp(b),
    }
}

impl Default for Graph {
    fn default() -> Self {
        Self::from_parts(Vec::new(), Vec::new(), Vec::new(), Vec::new(), 0)
    }
}

impl Graph {
    /// Assembles a graph (edges naming missing nodes are dropped: only a damaged file has them).
    pub(crate) fn from_parts(
        nodes: Vec<Node>,
        mut edges: Vec<Edge>,
        versions: Vec<VersionInfo>,
        runs: Vec<RunInfo>,
        events: u64,
    ) -> Self {
        let n = nodes.len();
        edges.retain(|e| (e.from as usize) < n && (e.to as usize) < n);
        let mut out_adj = vec![Vec::new(); n];
        let mut in_adj = vec![Vec::new(); n];
        for (i, e) in edges.iter().enumerate() {
            out_adj[e.from as usize].push(i as u32);
            in_adj[e.to as usize].push(i as u32);
        }
        let index = nodes
            .iter()
            .enumerate()
            .map(|(i, n)| (n.key.clone(), i as u32))
            .collect();
        let mut g = Self {
            nodes,
            edges,
            versions,
            runs,
            events,
            index,
            out_adj,
            in_adj,
            cycles: Vec::new(),
        };
        g.cycles = g.find_cycles();
        g
    }

    /// Serialises the graph (to persist beside an index).
    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(&StoredRef {
            format: FORMAT,
            events: self.events,
            nodes: &self.nodes,
            edges: &self.edges,
            versions: &self.versions,
            runs: &self.runs,
        })
        .unwrap_or_default()
    }

    /// Reads back what [`Graph::to_bytes`] wrote.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, GraphError> {
        let s: Stored = serde_json::from_slice(bytes).map_err(|e| GraphError(e.to_string()))?;
        if s.format != FORMAT {
            return Err(GraphError(format!(
                "written in layout {}, expected {FORMAT}",
                s.format
            )));
        }
        Ok(Self::from_parts(
            s.nodes, s.edges, s.versions, s.runs, s.events,
        ))
    }

    /// Events the graph was built from.
    pub fn events(&self) -> u64 {
        self.events
    }

    /// Every node; a node's index is its position.
    pub fn nodes(&self) -> &[Node] {
        &self.nodes
    }

    /// Every edge.
    pub fn edges(&self) -> &[Edge] {
        &self.edges
    }

    /// The node at an index.
    pub fn node(&self, i: u32) -> Option<&Node> {
        self.nodes.get(i as usize)
    }

    /// The index of a node.
    pub fn find(&self, key: &NodeKey) -> Option<u32> {
        self.index.get(key).copied()
    }

    /// Edges leaving a node.
    pub(crate) fn out_edges(&self, i: u32) -> impl Iterator<Item = &Edge> {
        self.out_adj
            .get(i as usize)
            .into_iter()
            .flatten()
            .map(|&e| &self.edges[e as usize])
    }

    /// Edges entering a node.
    pub(crate) fn in_edges(&self, i: u32) -> impl Iterator<Item = &Edge> {
        self.in_adj
            .get(i as usize)
            .into_iter()
            .flatten()
            .map(|&e| &self.edges[e as usize])
    }

    /// Per-version aggregates, sorted by model then version.
    pub fn versions(&self) -> &[VersionInfo] {
        &self.versions
    }

    /// The aggregates of one model version.
    pub fn version(&self, model: &str, version: &str) -> Option<&VersionInfo> {
        self.versions
            .iter()
            .find(|v| v.model == model && v.version == version)
    }

    /// Every run, sorted by id (runs only referenced have status unknown).
    pub fn runs(&self) -> &[RunInfo] {
        &self.runs
    }

    /// One run.
    pub fn run(&self, id: &str) -> Option<&RunInfo> {
        self.runs
            .binary_search_by(|r| r.id.as_str().cmp(id))
            .ok()
            .map(|i| &self.runs[i])
    }

    /// Dangling nodes (referenced, never described by an event), in node order.
    pub fn dangling(&self) -> Vec<u32> {
        (0..self.nodes.len() as u32)
            .filter(|&i| self.nodes[i as usize].is_dangling())
            .collect()
    }

    /// Cycles found in the graph (bad input): reported, never followed forever.
    pub fn cycles(&self) -> &[Cycle] {
        &self.cycles
    }

    /// Models with their versions and their runs that produced no version.
    pub fn models(&self) -> Vec<ModelSummary> {
        let mut m: BTreeMap<&str, ModelSummary> = BTreeMap::new();
        for n in &self.nodes {
            if n.key.kind == kind::MODEL_VERSION {
                let s = m.entry(n.key.id.as_str()).or_insert_with(|| ModelSummary {
                    id: n.key.id.clone(),
                    versions: Vec::new(),
                    runs_without_version: Vec::new(),
                });
                if let Some(v) = &n.key.version {
                    s.versions.push(v.clone());
                }
            }
        }
        for r in &self.runs {
            for model in &r.models {
                let s = m.entry(model.as_str()).or_insert_with(|| ModelSummary {
                    id: model.clone(),
                    versions: Vec::new(),
                    runs_without_version: Vec::new(),
                });
                if r.training
                    && !r.produced.iter().any(|(pm, _)| pm == model)
                    && !self.parent_produced(r, model)
                {
                    s.runs_without_version.push(r.id.clone());
                }
            }
        }
        m.into_values()
            .map(|mut s| {
                s.versions.sort_by(|a, b| version_order(a, b));
                s.versions.dedup();
                s
            })
            .collect()
    }

    /// Whether an enclosing run of `r` produced a version of `model` (then `r` is one of
    /// its child runs, a tuning trial say, shown under that version).
    fn parent_produced(&self, r: &RunInfo, model: &str) -> bool {
        let mut cur = r.parent.as_deref();
        for _ in 0..64 {
            let Some(p) = cur.and_then(|p| self.run(p)) else {
                return false;
            };
            if p.produced.iter().any(|(m, _)| m == model) {
                return true;
            }
            cur = p.parent.as_deref();
        }
        false
    }

    /// Runs whose parent is `run_id`.
    pub fn child_runs(&self, run_id: &str) -> Vec<&RunInfo> {
        self.runs
            .iter()
            .filter(|r| r.parent.as_deref() == Some(run_id))
            .collect()
    }

    /// Every node reachable against the edges (`up`) or along them, in breadth-first order,
    /// without `start` itself. Each node is visited once, so cycles end.
    pub fn reach(&self, start: &[u32], up: bool) -> Vec<u32> {
        let mut seen = vec![false; self.nodes.len()];
        let mut queue: VecDeque<u32> = VecDeque::new();
        for &s in start {
            if let Some(x) = seen.get_mut(s as usize) {
                *x = true;
                queue.push_back(s);
            }
        }
        let mut out = Vec::new();
        while let Some(n) = queue.pop_front() {
            let adj = if up { &self.in_adj } else { &self.out_adj };
            for &e in &adj[n as usize] {
                let e = &self.edges[e as usize];
                let next = if up { e.from } else { e.to };
                if !seen[next as usize] {
                    seen[next as usize] = true;
                    out.push(next);
                    queue.push_back(next);
                }
            }
        }
        out
    }

    /// The events of a node, as a filter every store can answer.
    pub fn events_filter_for(&self, key: &NodeKey) -> Filter {
        match key.kind.as_str() {
            kind::MODEL_VERSION => Filter::Model {
                id: key.id.clone(),
                version: key.version.clone(),
            },
            kind::RUN => Filter::Run(key.id.clone()),
            _ => Filter::Resource(key.id.clone()),
        }
    }

    /// Strongly connected components with more than one node, and self-loops (iterative
    /// Tarjan: no recursion, so deep graphs cannot overflow the stack).
    fn find_cycles(&self) -> Vec<Cycle> {
        let n = self.nodes.len();
        let mut index = vec![u32::MAX; n];
        let mut low = vec![0u32; n];
        let mut on_stack = vec![false; n];
        let mut stack: Vec<u32> = Vec::new();
        let mut next = 0u32;
        let mut cycles = Vec::new();
        // Frames: (node, position in its out-edge list).
        let mut call: Vec<(u32, usize)> = Vec::new();
        for root in 0..n as u32 {
            if index[root as usize] != u32::MAX {
                continue;
            }
            call.push((root, 0));
            index[root as usize] = next;
            low[root as usize] = next;
            next += 1;
            stack.push(root);
            on_stack[root as usize] = true;
            while let Some(&mut (v, ref mut pos)) = call.last_mut() {
                let adj = &self.out_adj[v as usize];
                if *pos < adj.len() {
                    let w = self.edges[adj[*pos] as usize].to;
                    *pos += 1;
                    if index[w as usize] == u32::MAX {
                        index[w as usize] = next;
                        low[w as usize] = next;
                        next += 1;
                        stack.push(w);
                        on_stack[w as usize] = true;
                        call.push((w, 0));
                    } else if on_stack[w as usize] {
                        low[v as usize] = low[v as usize].min(index[w as usize]);
                    }
                    continue;
                }
                call.pop();
                if let Some(&(parent, _)) = call.last() {
                    low[parent as usize] = low[parent as usize].min(low[v as usize]);
                }
                if low[v as usize] == index[v as usize] {
                    let mut comp = Vec::new();
                    while let Some(w) = stack.pop() {
                        on_stack[w as usize] = false;
                        comp.push(w);
                        if w == v {
                            break;
                        }
                    }
                    let self_loop = comp.len() == 1
                        && self.out_adj[v as usize]
                            .iter()
                            .any(|&e| self.edges[e as usize].to == v);
                    if comp.len() > 1 || self_loop {
                        comp.sort_unstable();
                        cycles.push(Cycle { nodes: comp });
                    }
                }
            }
        }
        cycles.sort_by(|a, b| a.nodes.cmp(&b.nodes));
        cycles
    }
}
