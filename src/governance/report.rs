//! `ComplianceReport`: the report's data (the JSON schema README documents), and the
//! assembly of control results from check results.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::catalog::{Catalog, CheckKind};
use super::evidence::EvidenceRef;

/// A check's or a control's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// The events show the control is met.
    Met,
    /// The events show something the control forbids, or miss something it requires.
    Gap,
    /// The events can neither show it met nor show a gap.
    NotEvidenced,
}

impl Status {
    /// As written in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Met => "met",
            Self::Gap => "gap",
            Self::NotEvidenced => "not_evidenced",
        }
    }

    /// The worse of two statuses (gap, then not evidenced, then met).
    #[must_use]
    pub(crate) fn worst(self, other: Self) -> Self {
        let rank = |s: Self| match s {
            Self::Met => 0,
            Self::NotEvidenced => 1,
            Self::Gap => 2,
        };
        if rank(other) > rank(self) {
            other
        } else {
            self
        }
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One finding: what was seen, and the records showing it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// What was found, in one line.
    pub summary: String,
    /// Whether this finding is a gap (`gap`), something not evidenced, or a met
    /// requirement worth citing (a breach that was followed up).
    pub status: Status,
    /// Machine-readable kind (`unapproved_deployment`, `logging_disabled`, ...).
    pub kind: String,
    /// The records, oldest first (at most [`super::MAX_EVIDENCE`]).
    pub evidence: Vec<EvidenceRef>,
    /// Records behind the finding, including those not listed.
    pub count: u64,
}

impl Finding {
    /// A finding with its evidence (capped; `count` keeps the full number).
    pub fn new(kind: &str, status: Status, summary: String, evidence: Vec<EvidenceRef>) -> Self {
        let count = evidence.len() as u64;
        let mut evidence = evidence;
        evidence.truncate(super::MAX_EVIDENCE);
        Self {
            summary,
            status,
            kind: kind.to_owned(),
            evidence,
            count,
        }
    }
}

/// The result of one check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckResult {
    /// Check id (`logging-continuity`).
    pub id: String,
    /// Title.
    pub title: String,
    /// Status: the worst of its findings', or as the check decides.
    pub status: Status,
    /// What the check looked at, in a sentence or two.
    pub summary: String,
    /// Findings.
    pub findings: Vec<Finding>,
}

impl CheckResult {
    /// A result whose status is the worst of its findings' (met when there are none).
    pub(crate) fn from_findings(kind: CheckKind, summary: String, findings: Vec<Finding>) -> Self {
        let status = findings.iter().fold(Status::Met, |s, f| s.worst(f.status));
        Self {
            id: kind.id().to_owned(),
            title: kind.title().to_owned(),
            status,
            summary,
            findings,
        }
    }
}

/// The result of one control.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ControlResult {
    /// Control id.
    pub id: String,
    /// Title.
    pub title: String,
    /// What the standard asks.
    pub text: String,
    /// The worst of its checks' statuses.
    pub status: Status,
    /// Its checks.
    pub checks: Vec<CheckResult>,
}

/// The period a report covers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Period {
    /// Start (the first event, or `--from`).
    pub from: Option<DateTime<Utc>>,
    /// End (the last event, or `--to`).
    pub to: Option<DateTime<Utc>>,
    /// Length in days (two decimals).
    pub days: f64,
}

impl Period {
    /// The period between two times.
    pub fn between(from: Option<DateTime<Utc>>, to: Option<DateTime<Utc>>) -> Self {
        let days = match (from, to) {
            (Some(a), Some(b)) if b > a => {
                let d = (b - a).num_milliseconds() as f64 / 86_400_000.0;
                (d * 100.0).round() / 100.0
            }
            _ => 0.0,
        };
        Self { from, to, days }
    }
}

/// An input and the digest it had when the report was made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputDigest {
    /// The path as given.
    pub path: String,
    /// Hex SHA-256 over the input's files (names, sizes and bytes).
    pub digest: String,
    /// Where its events were read from when not from the path: the Quickwit index
    /// (`URL/INDEX`) it was pushed to, the digest being the one recorded at push.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote: Option<String>,
}

impl InputDigest {
    /// The path, and the index it was read from when remote.
    pub fn label(&self) -> String {
        match &self.remote {
            Some(r) => format!("{} (pushed to {r})", self.path),
            None => self.path.clone(),
        }
    }
}

/// One verify finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntegrityFinding {
    /// The bundle.
    pub bundle: String,
    /// Verify code (`MODIFIED`, `DELETED`, ...).
    pub code: String,
    /// Whether the code is evidence of tampering (else it only weakens the evidence, e.g.
    /// an unsigned bundle or a time going backwards).
    pub tampering: bool,
    /// Explanation.
    pub detail: String,
    /// First seq of the run, when known.
    pub seq: Option<u64>,
    /// Last seq of the run.
    pub seq_end: Option<u64>,
    /// The records concerned that are in the inputs (or their place, without a digest).
    pub evidence: Vec<EvidenceRef>,
}

/// The verify verdict over every input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntegritySummary {
    /// `verified`, `tampered`, `unverified`, `error`, or `not_sealed` when no input is a
    /// sealed bundle; the worst over the inputs.
    pub verdict: String,
    /// Verdict per sealed input.
    pub bundles: BTreeMap<String, String>,
    /// Every verify finding.
    pub findings: Vec<IntegrityFinding>,
}

/// The lineage of a deployed version that has a finding (for the HTML report).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LineageView {
    /// Model id.
    pub model: String,
    /// Version.
    pub version: String,
    /// Upstream, nearest first: `kind id@version`, with a mark for what is not in the export.
    pub upstream: Vec<String>,
    /// Downstream (deployments, endpoints).
    pub downstream: Vec<String>,
}

/// A whole report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ComplianceReport {
    /// Standard name (`eu-ai-act`).
    pub standard: String,
    /// Its full title.
    pub title: String,
    /// When the report was made.
    pub generated_at: DateTime<Utc>,
    /// auditlens version.
    pub generator: String,
    /// Period covered.
    pub period: Period,
    /// Inputs and their digests.
    pub inputs: Vec<InputDigest>,
    /// Verify verdict and findings.
    pub integrity: IntegritySummary,
    /// Controls.
    pub controls: Vec<ControlResult>,
    /// Lineage of deployed versions with a finding.
    pub lineage: Vec<LineageView>,
    /// Events per day (for the timeline chart): (day start, events).
    pub timeline: Vec<(DateTime<Utc>, u64)>,
    /// The auditor's case file (marked and commented events, from the explorer).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub case_file: Vec<CaseNote>,
}

/// One event of the auditor's case file, as the report cites it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CaseNote {
    /// What the event is (action, actor), masked as shown.
    pub summary: String,
    /// Marked by the auditor.
    pub marked: bool,
    /// The auditor's comment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// The record.
    pub evidence: EvidenceRef,
}

impl ComplianceReport {
    /// The worst control status.
    pub fn status(&self) -> Status {
        self.controls
            .iter()
            .fold(Status::Met, |s, c| s.worst(c.status))
    }

    /// Every finding, with the control and check it belongs to.
    pub fn findings(&self) -> impl Iterator<Item = (&ControlResult, &CheckResult, &Finding)> {
        self.controls.iter().flat_map(|c| {
            c.checks
                .iter()
                .flat_map(move |k| k.findings.iter().map(move |f| (c, k, f)))
        })
    }
}

/// The controls of `catalog`, each with the results of its checks (taken from `results`;
/// a check the caller did not run is `not_evidenced`).
pub(crate) fn evaluate_controls(
    catalog: &Catalog,
    results: &BTreeMap<CheckKind, CheckResult>,
) -> Vec<ControlResult> {
    catalog
        .controls
        .iter()
        .map(|c| {
            let checks: Vec<CheckResult> = c
                .checks
                .iter()
                .map(|d| {
                    let mut r = results
                        .get(&d.check)
                        .cloned()
                        .unwrap_or_else(|| CheckResult {
                            id: d.check.id().to_owned(),
                            title: d.check.title().to_owned(),
                            status: Status::NotEvidenced,
                            summary: "not run".to_owned(),
                            findings: Vec::new(),
                        });
                    if d.check == CheckKind::Alerts && !d.rules.is_empty() {
                        r.findings.retain(|f| {
                            d.rules
                                .iter()
                                .any(|id| f.kind.strip_prefix("alert:") == Some(id.as_str()))
                        });
                        r.status = r
                            .findings
                            .iter()
                            .fold(Status::Met, |s, f| s.worst(f.status));
                    }
                    if let Some(t) = &d.title {
                        r.title.clone_from(t);
                    }
                    r
                })
                .collect();
            let status = checks.iter().fold(Status::Met, |s, k| s.worst(k.status));
            ControlResult {
                id: c.id.clone(),
                title: c.title.clone(),
                text: c.text.clone(),
                status,
                checks,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_control_is_as_bad_as_its_worst_check_and_a_missing_check_is_not_evidenced() {
        let cat = Catalog::parse(
            r#"{"id":"t","title":"t","controls":[
                {"id":"A","title":"a","checks":[{"check":"retention"},{"check":"integrity"}]},
                {"id":"B","title":"b","checks":[{"check":"retention","title":"kept"}]}]}"#,
            "t",
        )
        .unwrap();
        let mut results = BTreeMap::new();
        results.insert(
            CheckKind::Retention,
            CheckResult::from_findings(CheckKind::Retention, String::new(), Vec::new()),
        );
        let c = evaluate_controls(&cat, &results);
        assert_eq!(c[0].status, Status::NotEvidenced);
        assert_eq!(c[1].status, Status::Met);
        assert_eq!(c[1].checks[0].title, "kept");
        results.insert(
            CheckKind::Integrity,
            CheckResult::from_findings(
                CheckKind::Integrity,
                String::new(),
                vec![Finding::new("x", Status::Gap, "bad".into(), Vec::new())],
            ),
        );
        assert_eq!(evaluate_controls(&cat, &results)[0].status, Status::Gap);
    }

    #[test]
    fn period_days_are_rounded() {
        let a = "2026-03-02T00:00:00Z".parse().ok();
        let b = "2026-03-16T00:00:00Z".parse().ok();
        assert!((Period::between(a, b).days - 14.0).abs() < 1e-9);
        assert!(Period::between(b, a).days.abs() < 1e-9);
    }
}
