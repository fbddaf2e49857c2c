//! Governance reports: control catalogs (EU AI Act, ISO/IEC 42001, SOC 2, GDPR, NIST AI RMF)
//! whose controls are lists of checks over the events, each check a pure evaluator that
//! turns what the caller feeds it (oldest first, from the index) into a status (`met`,
//! `gap`, `not_evidenced`) and findings citing their evidence (path, line, stream, seq,
//! record SHA-256). The caller (`cmd::report`) runs the queries; memory here is bounded by
//! the streams, models, actors and capped evidence lists, never by the bundle.
//!
//! Allowed imports: `model`, `store` (query quoting), `alerts` (alert results), `lineage`
//! (graph lookups), `integrity`
//! (keys, canonical JSON, SHA-256 for sealing), std, serde,
//! `serde_json`, chrono, sha2, base64. Never tantivy or ratatui.

mod catalog;
mod checks;
mod continuity;
mod deployments;
mod evidence;
mod html;
mod monitoring;
mod personal;
mod render;
mod report;
mod seal;
#[cfg(test)]
mod testutil;

pub use catalog::{
    CATALOGS, Catalog, CatalogError, CheckDef, CheckKind, ControlDef, Params, STAGES,
};
pub use checks::{Coverage, StageCoverage};
pub(crate) use checks::{alerts_check, integrity_check, lifecycle_check, retention_check};
pub use continuity::{ContinuityCheck, DayCount};
pub use deployments::{DeploymentsCheck, LineageLookup};
pub(crate) use evidence::quote;
pub use evidence::{EvidenceRef, MAX_EVIDENCE};
pub(crate) use html::to_html;
pub use monitoring::MonitoringCheck;
pub use personal::PersonalDataCheck;
pub(crate) use render::{to_markdown, to_text};
pub(crate) use report::evaluate_controls;
pub use report::{
    CaseNote, CheckResult, ComplianceReport, ControlResult, Finding, InputDigest, IntegrityFinding,
    IntegritySummary, LineageView, Period, Status,
};
pub use seal::{ReportSeal, SEAL_FORMAT, SealError};
pub(crate) use seal::{seal_path, sign_report, verify_seal};
