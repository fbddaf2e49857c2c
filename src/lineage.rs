//! Lineage: the provenance graph built from events' `inputs`, `outputs`, `run_id`,
//! `parent_run_id` and `model`, with per-model-version aggregates (producing run,
//! evaluations, approvals, deployments, prediction counts), per-model trees, impact
//! queries, cycle reports and renderings (text tree, Graphviz).
//!
//! Pure: allowed imports are `crate::model`, `crate::store` (its plain `Filter` values), std,
//! serde, `serde_json` and chrono. Never
//! tantivy or ratatui. Memory is bounded by the graph (distinct nodes and edges plus
//! capped per-version histories), never by the number of events.

mod builder;
mod graph;
mod node;
mod render;
mod tree;

pub use builder::GraphBuilder;
pub use graph::{Cycle, GRAPH_FILE, Graph, GraphError, ModelSummary};
pub use node::{
    Approval, Deployment, Edge, Evaluation, MAX_HISTORY, Node, NodeKey, PredictionCount, RefSite,
    RunInfo, RunStatus, VersionInfo, kind,
};
pub(crate) use render::model_lines;
pub use render::{TreeLine, TreeLineKind, dot, impact_text, model_text};
pub use tree::{AlertCitations, AlertRef, Impact, ImpactEntry, ModelTree, TreeNode, VersionTree};
