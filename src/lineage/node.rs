//! Graph vocabulary: node keys, nodes, edges and the per-version aggregates kept beside them.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The node types auditlens gives a meaning to (any other `type` string is kept as is).
pub mod kind {
    /// An external origin (`s3://...`): a root, never dangling.
    pub const SOURCE: &str = "source";
    /// A dataset.
    pub const DATASET: &str = "dataset";
    /// A feature set.
    pub const FEATURE_SET: &str = "feature_set";
    /// A training, pipeline or job run (`run_id`).
    pub const RUN: &str = "run";
    /// A model version (`model {id, version}`).
    pub const MODEL_VERSION: &str = "model_version";
    /// A deployment (`<model>-<env>`).
    pub const DEPLOYMENT: &str = "deployment";
    /// A serving endpoint.
    pub const ENDPOINT: &str = "endpoint";
}

/// Most entries kept per history list of one model version (evaluations, approvals,
/// deployments); beyond it entries are counted in [`VersionInfo::omitted`].
pub const MAX_HISTORY: usize = 1000;

/// A node's identity: `{type, id, version}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct NodeKey {
    /// `dataset`, `run`, `model_version`, ...
    #[serde(rename = "type")]
    pub kind: String,
    /// Identifier.
    pub id: String,
    /// Version, when versioned.
    #[serde(default)]
    pub version: Option<String>,
}

impl NodeKey {
    /// A key.
    pub fn new(kind: &str, id: &str, version: Option<&str>) -> Self {
        Self {
            kind: kind.to_owned(),
            id: id.to_owned(),
            version: version.map(str::to_owned),
        }
    }
}

impl fmt::Display for NodeKey {
    /// `type id@version` (or `type id`): raw, escape before printing to a terminal.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.kind, self.id)?;
        if let Some(v) = &self.version {
            write!(f, "@{v}")?;
        }
        Ok(())
    }
}

/// Where something was first seen: display path and 1-based line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefSite {
    /// Display path.
    pub path: String,
    /// Line.
    pub line: u64,
}

/// One node and what the events said about it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Node {
    /// Identity.
    pub key: NodeKey,
    /// Events describing it: producing it (an output), acting on it (its `resource` or
    /// `model`), or belonging to it (a run's `run_id`).
    pub events: u64,
    /// Times other events referenced it (as an input or a parent run).
    pub refs: u64,
    /// Earliest event time seen for it.
    pub first_ts: Option<DateTime<Utc>>,
    /// Latest event time seen for it.
    pub last_ts: Option<DateTime<Utc>>,
    /// Environment of the latest event deploying or serving it.
    #[serde(default)]
    pub environment: Option<String>,
    /// The first event that mentioned it.
    pub first_seen: Option<RefSite>,
}

impl Node {
    /// Referenced by events but described by none: something absent from the export (a
    /// run never exported, a dataset produced elsewhere). Sources are roots by nature and
    /// never dangling.
    pub(crate) fn is_dangling(&self) -> bool {
        self.events == 0 && self.key.kind != kind::SOURCE
    }
}

/// An edge from an input to an output of an event (or run to output, input to run,
/// parent run to child run), deduplicated on (from, to, action, `run_id`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Edge {
    /// Node index of the input.
    pub from: u32,
    /// Node index of the output.
    pub to: u32,
    /// Action of the (first) event.
    pub action: String,
    /// Run of the event.
    pub run_id: Option<String>,
    /// Earliest time of the events that gave this edge.
    pub ts: Option<DateTime<Utc>>,
    /// How many events gave this edge.
    pub count: u64,
}

/// An evaluation or validation of a model version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    /// When.
    pub ts: Option<DateTime<Utc>>,
    /// `model.evaluate`, `model.validate`.
    pub action: String,
    /// Outcome.
    pub outcome: String,
    /// Run it belonged to.
    pub run_id: Option<String>,
    /// `details.metrics` (numbers by name).
    pub metrics: Map<String, Value>,
    /// `details.threshold`, when given.
    pub threshold: Option<Value>,
}

/// An approval decision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Approval {
    /// When.
    pub ts: Option<DateTime<Utc>>,
    /// True for a successful `model.approve`, false for a rejection (or a failed approval).
    pub approved: bool,
    /// Who (`actor.id`).
    pub by: Option<String>,
    /// The action.
    pub action: String,
    /// Outcome.
    pub outcome: String,
}

/// A deployment-category event of a model version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Deployment {
    /// When.
    pub ts: Option<DateTime<Utc>>,
    /// `model.deploy`, `model.rollback`, `model.decommission`, `model.promote`, ...
    pub action: String,
    /// Target environment.
    pub environment: Option<String>,
    /// Deployment node id (output or resource).
    pub target: Option<String>,
    /// Who.
    pub by: Option<String>,
    /// Outcome.
    pub outcome: String,
    /// Whether a successful approval of this version preceded it (in time).
    pub approved_before: bool,
}

/// Predictions of a model version at one endpoint (aggregated, never one per event).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PredictionCount {
    /// Endpoint (`resource.id`), when named.
    pub endpoint: Option<String>,
    /// Environment of the latest prediction.
    pub environment: Option<String>,
    /// Number of prediction events.
    pub count: u64,
    /// First prediction.
    pub first_ts: Option<DateTime<Utc>>,
    /// Last prediction.
    pub last_ts: Option<DateTime<Utc>>,
    /// While building: the endpoint node and edge of this slot.
    #[serde(skip)]
    pub(crate) cached: Option<(u32, u32)>,
}

/// Everything known about one model version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VersionInfo {
    /// Model id.
    pub model: String,
    /// Version.
    pub version: String,
    /// The run that produced it.
    pub run_id: Option<String>,
    /// When it was trained (the producing event's time).
    pub trained_at: Option<DateTime<Utc>>,
    /// How strongly `run_id` is established (lower is better; internal ranking).
    #[serde(default)]
    pub producer_rank: u8,
    /// Evaluations and validations, in event order.
    pub evaluations: Vec<Evaluation>,
    /// Approvals and rejections, in event order.
    pub approvals: Vec<Approval>,
    /// Deployments, rollbacks, decommissions, in event order.
    pub deployments: Vec<Deployment>,
    /// Prediction counts per endpoint.
    pub predictions: Vec<PredictionCount>,
    /// Events concerning this version.
    pub events: u64,
    /// History entries not kept because a list reached [`MAX_HISTORY`].
    pub omitted: u64,
}

impl VersionInfo {
    /// An empty record.
    pub fn new(model: &str, version: &str) -> Self {
        Self {
            model: model.to_owned(),
            version: version.to_owned(),
            run_id: None,
            trained_at: None,
            producer_rank: u8::MAX,
            evaluations: Vec::new(),
            approvals: Vec::new(),
            deployments: Vec::new(),
            predictions: Vec::new(),
            events: 0,
            omitted: 0,
        }
    }

    /// True when the latest (by time, then order) approval decision approved it.
    pub fn approved(&self) -> bool {
        latest_decision(&self.approvals, None).is_some_and(|a| a.approved)
    }

    /// Total predictions over every endpoint.
    pub fn prediction_total(&self) -> u64 {
        self.predictions.iter().map(|p| p.count).sum()
    }
}

/// The latest approval decision at or before `at` (all of them when `None`).
pub(crate) fn latest_decision(
    approvals: &[Approval],
    at: Option<DateTime<Utc>>,
) -> Option<&Approval> {
    let mut best: Option<&Approval> = None;
    for a in approvals {
        if let (Some(at), Some(ts)) = (at, a.ts)
            && ts > at
        {
            continue;
        }
        if best.is_none_or(|b| a.ts >= b.ts) {
            best = Some(a);
        }
    }
    best
}

/// How a run ended, as far as the events tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunStatus {
    /// Only a start (or other events) seen.
    Running,
    /// A completing event seen.
    Completed,
    /// A failing event seen (`*.fail`, or outcome failure).
    Failed,
    /// No event carries this run id: it is only referenced.
    Unknown,
}

impl RunStatus {
    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Completed => "completed",
            Self::Failed => "failed",
            Self::Unknown => "unknown",
        }
    }
}

/// What the events of one run (`run_id`) said.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunInfo {
    /// The run id.
    pub id: String,
    /// Status.
    pub status: RunStatus,
    /// Enclosing run.
    pub parent: Option<String>,
    /// Models this run worked on: named (`model.id`) by its events or outputs, else its
    /// parent run's, else a known model id its run id is named after (see `model_source`).
    pub models: Vec<String>,
    /// How `models` was found: `event`, `parent` or `name`.
    #[serde(default)]
    pub model_source: Option<String>,
    /// Whether it had training events (`model.train.*`, `model.tune`): a run of this kind
    /// that produced no version is listed under its model.
    #[serde(default)]
    pub training: bool,
    /// Model versions it produced (`model_id`, version).
    pub produced: Vec<(String, String)>,
    /// First event time.
    pub started_at: Option<DateTime<Utc>>,
    /// Last event time.
    pub ended_at: Option<DateTime<Utc>>,
    /// Message of the failing event, when failed.
    pub failure: Option<String>,
}

impl RunInfo {
    /// A run known only by its id and status: no parent, models, outputs or times yet.
    pub fn new(id: String, status: RunStatus) -> Self {
        Self {
            id,
            status,
            parent: None,
            models: Vec::new(),
            model_source: None,
            training: false,
            produced: Vec::new(),
            started_at: None,
            ended_at: None,
            failure: None,
        }
    }
}
