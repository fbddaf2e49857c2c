//! Per-model trees and impact sets: owned views of the graph for one question, ready to
//! print, serialise (`lineage --json`, `impact --json`) or show in the TUI.

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::graph::{Graph, version_order};
use super::node::{
    Approval, Deployment, Evaluation, Node, NodeKey, PredictionCount, RefSite, RunInfo, RunStatus,
    VersionInfo, kind,
};

/// An alert citing a model version: one of its evidence events names the version (filled
/// through [`AlertCitations`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AlertRef {
    /// Alert id: the rule id and the alert's number among that rule's alerts in time order
    /// (`unapproved-deploy#2`), as `auditlens alerts` lists them.
    pub id: String,
    /// Rule that raised it.
    pub rule: String,
    /// Severity, lower case.
    pub severity: String,
    /// When (its first evidence event).
    pub ts: Option<DateTime<Utc>>,
    /// Summary (the rule's title).
    pub message: String,
    /// Evidence events of the alert that name this version.
    pub count: u64,
    /// Where they are (display path and line), oldest first.
    pub evidence: Vec<RefSite>,
    /// Their ordinals in the index (the explorer jumps to them).
    #[serde(skip)]
    pub ords: Vec<u64>,
}

/// Whatever knows the alerts answers which cite a model version (the session, from the
/// alerts it computed).
pub trait AlertCitations {
    /// Alerts citing `model` at `version`.
    fn alerts_for(&self, model: &str, version: &str) -> Vec<AlertRef>;
}

/// One line of an indented tree (preorder): a node at a depth, the action of the edge
/// linking it to its parent line, and whether it was already expanded higher up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TreeNode {
    /// The node.
    #[serde(flatten)]
    pub key: NodeKey,
    /// Depth below the version (1 = direct neighbour).
    pub depth: usize,
    /// Action of the linking edge.
    pub action: String,
    /// Shown before in this tree: not expanded again.
    pub repeat: bool,
    /// Absent from the export.
    pub dangling: bool,
    /// Environment (deployments, endpoints).
    pub environment: Option<String>,
}

/// A downstream node with its environment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DownNode {
    /// The node.
    #[serde(flatten)]
    pub key: NodeKey,
    /// Environment (deployments and endpoints).
    pub environment: Option<String>,
}

/// One version of a model with everything around it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VersionTree {
    /// Version.
    pub version: String,
    /// The run that produced it (`None`: "no run").
    pub run_id: Option<String>,
    /// When it was trained.
    pub trained_at: Option<DateTime<Utc>>,
    /// Latest approval decision approved it.
    pub approved: bool,
    /// Everything upstream, nearest first.
    pub upstream: Vec<NodeKey>,
    /// Everything downstream, nearest first.
    pub downstream: Vec<DownNode>,
    /// Status of the producing run (`unknown` when it is not in the export).
    pub run_status: Option<RunStatus>,
    /// Evaluations and validations with their metrics.
    pub evaluations: Vec<Evaluation>,
    /// Approval decisions.
    pub approvals: Vec<Approval>,
    /// Deployment events by environment.
    pub deployments: Vec<Deployment>,
    /// Prediction counts per endpoint.
    pub predictions: Vec<PredictionCount>,
    /// Events naming this version.
    pub events: u64,
    /// History entries not kept (beyond the per-list cap).
    pub omitted: u64,
    /// Child runs of the producing run (tuning trials, steps).
    pub child_runs: Vec<RunInfo>,
    /// Alerts citing this version (see [`ModelTree::attach_alerts`]).
    pub alerts: Vec<AlertRef>,
    /// Upstream as an indented tree.
    #[serde(skip)]
    pub upstream_tree: Vec<TreeNode>,
    /// Downstream as an indented tree.
    #[serde(skip)]
    pub downstream_tree: Vec<TreeNode>,
}

/// An edge of a tree, with its ends as keys.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TreeEdge {
    /// Input.
    pub from: NodeKey,
    /// Output.
    pub to: NodeKey,
    /// Action.
    pub action: String,
    /// Run.
    pub run_id: Option<String>,
    /// Earliest time.
    pub ts: Option<DateTime<Utc>>,
    /// Events giving this edge.
    pub count: u64,
}

/// A node in a tree's node list.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TreeNodeInfo {
    /// The node.
    #[serde(flatten)]
    pub key: NodeKey,
    /// Absent from the export.
    pub dangling: bool,
    /// Events describing it.
    pub events: u64,
    /// First and last time seen.
    pub first_ts: Option<DateTime<Utc>>,
    /// Last time seen.
    pub last_ts: Option<DateTime<Utc>>,
    /// Environment.
    pub environment: Option<String>,
}

/// A dangling node and where it was first referenced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DanglingRef {
    /// The node.
    #[serde(flatten)]
    pub key: NodeKey,
    /// First referencing record.
    pub first_seen: Option<RefSite>,
    /// Why it is dangling.
    pub reason: String,
}

/// A model's tree: each version with its upstream and downstream, the nodes and edges
/// involved, dangling references, runs that produced no version, and cycles.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelTree {
    /// Model id.
    pub model: String,
    /// Versions in version order.
    pub versions: Vec<VersionTree>,
    /// Every node of the tree, sorted.
    pub nodes: Vec<TreeNodeInfo>,
    /// Every edge between them.
    pub edges: Vec<TreeEdge>,
    /// Dangling nodes among them.
    pub dangling: Vec<DanglingRef>,
    /// Runs of this model that produced no version (failed, unfinished).
    pub runs_without_version: Vec<RunInfo>,
    /// Cycles touching the tree (bad input), each as its nodes.
    pub cycles: Vec<Vec<NodeKey>>,
}

impl ModelTree {
    /// Fills each version's `alerts` from the alerts module.
    pub fn attach_alerts(&mut self, src: &dyn AlertCitations) {
        for v in &mut self.versions {
            v.alerts = src.alerts_for(&self.model, &v.version);
        }
    }

    /// The tree as the JSON value `lineage --json` prints.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or_default()
    }
}

/// One node downstream of an impact query.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImpactEntry {
    /// The node.
    #[serde(flatten)]
    pub key: NodeKey,
    /// Environment (deployments, endpoints).
    pub environment: Option<String>,
    /// Steps from the dataset.
    pub distance: usize,
    /// Absent from the export.
    pub dangling: bool,
    /// For model versions: approved.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approved: Option<bool>,
    /// Direct predecessors within the impact set (or the dataset itself).
    pub via: Vec<NodeKey>,
}

/// What a dataset (all its versions, or one) affects downstream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Impact {
    /// Dataset id.
    pub dataset: String,
    /// Version asked for.
    pub version: Option<String>,
    /// Dataset nodes matched.
    pub matched: Vec<NodeKey>,
    /// Everything downstream, nearest first.
    pub downstream: Vec<ImpactEntry>,
    /// Cycles touching the impact set.
    pub cycles: Vec<Vec<NodeKey>>,
}

impl Impact {
    /// Entries of one type.
    pub fn of_kind<'a>(&'a self, k: &'a str) -> impl Iterator<Item = &'a ImpactEntry> + 'a {
        self.downstream.iter().filter(move |e| e.key.kind == k)
    }
}

fn kind_rank(k: &str) -> u8 {
    match k {
        kind::RUN => 0,
        kind::MODEL_VERSION => 1,
        kind::FEATURE_SET => 2,
        kind::DATASET => 3,
        kind::SOURCE => 4,
        kind::DEPLOYMENT => 5,
        kind::ENDPOINT => 6,
        _ => 7,
    }
}

impl Graph {
    fn key(&self, i: u32) -> NodeKey {
        self.nodes()[i as usize].key.clone()
    }

    fn sort_key(&self, i: u32) -> (u8, &NodeKey) {
        let k = &self.nodes()[i as usize].key;
        (kind_rank(&k.kind), k)
    }

    /// Neighbours of `n` (against the edges when `up`), one entry per node with the first
    /// edge's action; when a run is among them, nodes that also feed (or follow) that run
    /// are left to appear under it.
    fn children(&self, n: u32, up: bool) -> Vec<(u32, String)> {
        // One entry per neighbour, labelled with its earliest edge's action.
        let mut out: Vec<(u32, String)> = Vec::new();
        let mut edges: Vec<_> = if up {
            self.in_edges(n)
                .map(|e| (e.from, e.ts, &e.action))
                .collect()
        } else {
            self.out_edges(n).map(|e| (e.to, e.ts, &e.action)).collect()
        };
        // Unknown times last.
        edges.sort_by_key(|&(m, ts, _)| (m, ts.is_none(), ts));
        for (m, _, a) in edges {
            if m != n && out.last().is_none_or(|(x, _)| *x != m) {
                out.push((m, a.clone()));
            }
        }
        let runs: Vec<u32> = out
            .iter()
            .map(|(m, _)| *m)
            .filter(|&m| self.nodes()[m as usize].key.kind == kind::RUN)
            .collect();
        if !runs.is_empty() {
            let via_run: HashSet<u32> = runs
                .iter()
                .flat_map(|&r| {
                    let v: Vec<u32> = if up {
                        self.in_edges(r).map(|e| e.from).collect()
                    } else {
                        self.out_edges(r).map(|e| e.to).collect()
                    };
                    v
                })
                .collect();
            out.retain(|(m, _)| runs.contains(m) || !via_run.contains(m));
        }
        out.sort_by(|a, b| self.sort_key(a.0).cmp(&self.sort_key(b.0)));
        out
    }

    /// Preorder indented tree from `root`, each node expanded once.
    fn tree_from(&self, root: u32, up: bool, seen: &mut HashSet<u32>) -> Vec<TreeNode> {
        let mut lines = Vec::new();
        seen.insert(root);
        let mut stack: Vec<(u32, usize, String)> = self
            .children(root, up)
            .into_iter()
            .rev()
            .map(|(m, a)| (m, 1, a))
            .collect();
        while let Some((n, depth, action)) = stack.pop() {
            let node = &self.nodes()[n as usize];
            let repeat = !seen.insert(n);
            lines.push(TreeNode {
                key: node.key.clone(),
                depth,
                action,
                repeat,
                dangling: node.is_dangling(),
                environment: node.environment.clone(),
            });
            if !repeat {
                for (m, a) in self.children(n, up).into_iter().rev() {
                    stack.push((m, depth + 1, a));
                }
            }
        }
        lines
    }

    fn cycles_touching(&self, set: &HashSet<u32>) -> Vec<Vec<NodeKey>> {
        self.cycles()
            .iter()
            .filter(|c| c.nodes.iter().any(|n| set.contains(n)))
            .map(|c| c.nodes.iter().map(|&n| self.key(n)).collect())
            .collect()
    }

    /// The tree of every version of `model_id`; `None` when no event names that model.
    pub fn model_tree(&self, model_id: &str) -> Option<ModelTree> {
        self.model_tree_for(model_id, None)
    }

    /// The tree of `model_id`, limited to one version when given (`None` when the model,
    /// or that version, is unknown).
    #[allow(clippy::too_many_lines)]
    pub(crate) fn model_tree_for(
        &self,
        model_id: &str,
        version: Option<&str>,
    ) -> Option<ModelTree> {
        let summary = self.models().into_iter().find(|m| m.id == model_id)?;
        let mut versions = summary.versions.clone();
        if let Some(v) = version {
            if !versions.iter().any(|x| x == v) {
                return None;
            }
            versions = vec![v.to_owned()];
        }
        let mut set: HashSet<u32> = HashSet::new();
        let mut trees = Vec::new();
        for v in &versions {
            let Some(mv) = self.find(&NodeKey::new(kind::MODEL_VERSION, model_id, Some(v))) else {
                continue;
            };
            set.insert(mv);
            let up = self.reach(&[mv], true);
            let down = self.reach(&[mv], false);
            set.extend(up.iter().copied());
            set.extend(down.iter().copied());
            let info = self
                .version(model_id, v)
                .cloned()
                .unwrap_or_else(|| VersionInfo::new(model_id, v));
            let run = info.run_id.as_deref().and_then(|r| self.run(r));
            let run_status = info
                .run_id
                .as_ref()
                .map(|_| run.map_or(RunStatus::Unknown, |r| r.status));
            // No training event dated it (a registry export): the producing run's end.
            let trained_at = info.trained_at.or_else(|| {
                run.filter(|r| r.status == RunStatus::Completed)
                    .and_then(|r| r.ended_at)
            });
            trees.push(VersionTree {
                version: v.clone(),
                run_id: info.run_id.clone(),
                trained_at,
                approved: info.approved(),
                upstream: up.iter().map(|&n| self.key(n)).collect(),
                downstream: down
                    .iter()
                    .map(|&n| DownNode {
                        key: self.key(n),
                        environment: self.nodes()[n as usize].environment.clone(),
                    })
                    .collect(),
                run_status,
                evaluations: info.evaluations,
                approvals: info.approvals,
                deployments: info.deployments,
                predictions: info.predictions,
                events: info.events,
                omitted: info.omitted,
                child_runs: info
                    .run_id
                    .as_deref()
                    .map(|r| self.child_runs(r).into_iter().cloned().collect())
                    .unwrap_or_default(),
                alerts: Vec::new(),
                upstream_tree: self.tree_from(mv, true, &mut HashSet::new()),
                downstream_tree: self.tree_from(mv, false, &mut HashSet::new()),
            });
        }
        let runs_without_version: Vec<RunInfo> = if version.is_some() {
            Vec::new()
        } else {
            summary
                .runs_without_version
                .iter()
                .filter_map(|r| self.run(r).cloned())
                .collect()
        };
        for r in &runs_without_version {
            if let Some(rn) = self.find(&NodeKey::new(kind::RUN, &r.id, None)) {
                set.insert(rn);
                set.extend(self.reach(&[rn], true));
            }
        }
        let mut ids: Vec<u32> = set.iter().copied().collect();
        ids.sort_by(|&a, &b| {
            self.nodes()[a as usize]
                .key
                .cmp(&self.nodes()[b as usize].key)
        });
        let nodes = ids
            .iter()
            .map(|&i| {
                let n = &self.nodes()[i as usize];
                TreeNodeInfo {
                    key: n.key.clone(),
                    dangling: n.is_dangling(),
                    events: n.events,
                    first_ts: n.first_ts,
                    last_ts: n.last_ts,
                    environment: n.environment.clone(),
                }
            })
            .collect();
        let mut edges: Vec<TreeEdge> = self
            .edges()
            .iter()
            .filter(|e| set.contains(&e.from) && set.contains(&e.to))
            .map(|e| TreeEdge {
                from: self.key(e.from),
                to: self.key(e.to),
                action: e.action.clone(),
                run_id: e.run_id.clone(),
                ts: e.ts,
                count: e.count,
            })
            .collect();
        edges.sort_by(|a, b| {
            (&a.from, &a.to, &a.action, &a.run_id).cmp(&(&b.from, &b.to, &b.action, &b.run_id))
        });
        let dangling = ids
            .iter()
            .map(|&i| &self.nodes()[i as usize])
            .filter(|n| n.is_dangling())
            .map(dangling_ref)
            .collect();
        Some(ModelTree {
            model: model_id.to_owned(),
            versions: trees,
            nodes,
            edges,
            dangling,
            runs_without_version,
            cycles: self.cycles_touching(&set),
        })
    }

    /// Dataset ids (with their versions) known to the graph.
    pub fn datasets(&self) -> BTreeMap<String, Vec<Option<String>>> {
        let mut m: BTreeMap<String, Vec<Option<String>>> = BTreeMap::new();
        for n in self.nodes() {
            if n.key.kind == kind::DATASET {
                m.entry(n.key.id.clone())
                    .or_default()
                    .push(n.key.version.clone());
            }
        }
        for v in m.values_mut() {
            v.sort_by(|a, b| match (a, b) {
                (Some(a), Some(b)) => version_order(a, b),
                (a, b) => a.cmp(b),
            });
        }
        m
    }

    /// Everything downstream of dataset `id` (one version, or all of them); `None` when no
    /// such dataset node exists.
    pub fn impact(&self, id: &str, version: Option<&str>) -> Option<Impact> {
        let mut start: Vec<u32> = (0..self.nodes().len() as u32)
            .filter(|&i| {
                let k = &self.nodes()[i as usize].key;
                k.kind == kind::DATASET
                    && k.id == id
                    && version.is_none_or(|v| k.version.as_deref() == Some(v))
            })
            .collect();
        if start.is_empty() {
            return None;
        }
        start.sort_by(|&a, &b| self.sort_key(a).cmp(&self.sort_key(b)));
        // Breadth-first with distances.
        let mut dist: BTreeMap<u32, usize> = start.iter().map(|&s| (s, 0)).collect();
        let mut frontier = start.clone();
        let mut order = Vec::new();
        let mut d = 0;
        while !frontier.is_empty() {
            d += 1;
            let mut next = Vec::new();
            for &n in &frontier {
                for e in self.out_edges(n) {
                    if let std::collections::btree_map::Entry::Vacant(v) = dist.entry(e.to) {
                        v.insert(d);
                        next.push(e.to);
                        order.push(e.to);
                    }
                }
            }
            frontier = next;
        }
        let set: HashSet<u32> = dist.keys().copied().collect();
        let downstream = order
            .iter()
            .map(|&n| {
                let node = &self.nodes()[n as usize];
                let mut via: Vec<NodeKey> = self
                    .in_edges(n)
                    .filter(|e| set.contains(&e.from) && e.from != n)
                    .map(|e| self.key(e.from))
                    .collect();
                via.sort();
                via.dedup();
                let approved = (node.key.kind == kind::MODEL_VERSION).then(|| {
                    self.version(
                        &node.key.id,
                        node.key.version.as_deref().unwrap_or_default(),
                    )
                    .is_some_and(VersionInfo::approved)
                });
                ImpactEntry {
                    key: node.key.clone(),
                    environment: node.environment.clone(),
                    distance: dist.get(&n).copied().unwrap_or_default(),
                    dangling: node.is_dangling(),
                    approved,
                    via,
                }
            })
            .collect();
        Some(Impact {
            dataset: id.to_owned(),
            version: version.map(str::to_owned),
            matched: start.iter().map(|&s| self.key(s)).collect(),
            downstream,
            cycles: self.cycles_touching(&set),
        })
    }
}

fn dangling_ref(n: &Node) -> DanglingRef {
    let reason = if n.key.kind == kind::RUN {
        "run referenced but no event of it is in the export"
    } else {
        "referenced but never produced or described by an event in the export"
    };
    DanglingRef {
        key: n.key.clone(),
        first_seen: n.first_seen.clone(),
        reason: reason.to_owned(),
    }
}
