//! `AuditEvent`: one event of the event model, whatever format it was read from.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Category, Format, Outcome, Severity, TsQuality};

/// Who did it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Actor {
    /// User name, ARN, service account...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// `user`, `service` or `system`.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Roles or groups held at the time.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<String>,
    /// Source address (may be a host name in real exports).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
    /// Session identifier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<String>,
}

/// What it was done to.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Resource {
    /// `dataset`, `model_version`, `deployment`, ...
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Stable identifier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Version, when versioned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Tags such as `pii`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
}

/// A model (and version) an event concerns.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelRef {
    /// Model identifier.
    pub id: String,
    /// Model version, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

/// A lineage reference: something an activity read or produced.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ArtifactRef {
    /// `dataset`, `feature_set`, `run`, `model_version`, ...
    #[serde(rename = "type")]
    pub kind: String,
    /// Identifier.
    pub id: String,
    /// Version, when versioned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

/// Where an event came from: enough to find its bytes again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Origin {
    /// Display path: the input path, plus `!member` inside an archive.
    pub path: String,
    /// 1-based line where the record starts.
    pub line: u64,
    /// The format adapter that read it.
    pub format: Format,
    /// Stream id (native bundles, or the adapter's notion of a stream).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream: Option<String>,
    /// Sequence number within the stream (native bundles).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seq: Option<u64>,
    /// The stored record hash of a native envelope.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hash: Option<String>,
    /// Which event of its record this is, from 0 (a few formats make several events of one
    /// record, e.g. a run of an `MLflow` export with its metrics).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub part: u32,
}

#[allow(clippy::trivially_copy_pass_by_ref)] // serde's skip_serializing_if passes a reference
fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// One audit event, normalised onto the event model. Unknown fields stay in `details`
/// and in the original record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEvent {
    /// Event time in UTC; `None` when the record had no usable time.
    pub ts: Option<DateTime<Utc>>,
    /// How the time was obtained.
    pub ts_quality: TsQuality,
    /// Dotted lower-case verb (`model.deploy`).
    pub action: String,
    /// Category of the action.
    pub category: Category,
    /// Severity.
    pub severity: Severity,
    /// Outcome.
    pub outcome: Outcome,
    /// Who.
    #[serde(default)]
    pub actor: Actor,
    /// What.
    #[serde(default)]
    pub resource: Resource,
    /// Model concerned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<ModelRef>,
    /// Lineage inputs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub inputs: Vec<ArtifactRef>,
    /// Lineage outputs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub outputs: Vec<ArtifactRef>,
    /// Training, pipeline or job run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_id: Option<String>,
    /// Enclosing run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_run_id: Option<String>,
    /// Request or trace id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correlation_id: Option<String>,
    /// `dev`, `staging`, `production`, ...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
    /// Producing system.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Human-readable summary.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Free-form details (hyperparameters, metrics, unknown fields...).
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub details: Value,
    /// Where it came from.
    pub origin: Origin,
    /// Integrity status of the record, lower case (`verified`, `modified`, `unverified`...),
    /// when its bundle was checked; `None` for inputs without a seal.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub integrity: Option<String>,
}

impl AuditEvent {
    /// An event with only its origin and action known; adapters fill in the rest.
    pub fn new(origin: Origin, action: impl Into<String>) -> Self {
        let action = action.into();
        Self {
            ts: None,
            ts_quality: TsQuality::Missing,
            category: Category::for_action(&action),
            action,
            severity: Severity::Info,
            outcome: Outcome::Unknown,
            actor: Actor::default(),
            resource: Resource::default(),
            model: None,
            inputs: Vec::new(),
            outputs: Vec::new(),
            run_id: None,
            parent_run_id: None,
            correlation_id: None,
            environment: None,
            source: None,
            message: None,
            details: Value::Null,
            origin,
            integrity: None,
        }
    }
}
