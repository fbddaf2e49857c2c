//! The checks that need no event stream: lifecycle coverage (from per-model stage counts the
//! caller queries), retention (from the period), integrity (from verify) and alerts (from
//! the alert rules' results).

use std::collections::BTreeMap;

use super::catalog::{CheckKind, Params, STAGES};
use super::evidence::EvidenceRef;
use super::report::{CheckResult, Finding, IntegritySummary, Period, Status};
use crate::alerts::Alert;

/// What the events show of one stage of one model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StageCoverage {
    /// Events of the stage concern the model: how many, and the first.
    Events(u64, EvidenceRef),
    /// No event of the stage concerns the model.
    None,
    /// The stage is not required of this model (it was never in production).
    NotRequired,
}

/// Per model, per stage name, what the events show; plus platform-wide stages (events
/// that name no model, such as access).
#[derive(Debug, Clone, Default)]
pub struct Coverage {
    /// Model id -> stage -> coverage.
    pub models: BTreeMap<String, BTreeMap<String, StageCoverage>>,
}

/// The lifecycle coverage check: a required stage with no event is not evidenced.
pub(crate) fn lifecycle_check(params: &Params, cov: &Coverage) -> CheckResult {
    let mut findings = Vec::new();
    let mut lines = Vec::new();
    for (model, stages) in &cov.models {
        let mut have = Vec::new();
        let mut missing = Vec::new();
        for (stage, _) in STAGES {
            if !params.stages.iter().any(|s| s == stage) {
                continue;
            }
            match stages.get(*stage) {
                Some(StageCoverage::Events(n, _)) => have.push(format!("{stage} {n}")),
                Some(StageCoverage::NotRequired) => {}
                Some(StageCoverage::None) | None => missing.push(*stage),
            }
        }
        lines.push(format!("{model}: {}", have.join(", ")));
        if !missing.is_empty() {
            findings.push(Finding::new(
                "stage_not_evidenced",
                Status::NotEvidenced,
                format!(
                    "{model}: no event of stage(s) {} concerns the model",
                    missing.join(", ")
                ),
                Vec::new(),
            ));
        }
    }
    let summary = if cov.models.is_empty() {
        "no event names a model".to_owned()
    } else {
        format!(
            "events per stage and model (deployment, inference and monitoring are required of models deployed to {} only): {}",
            params.production,
            lines.join("; ")
        )
    };
    let mut r = CheckResult::from_findings(CheckKind::Lifecycle, summary, findings);
    if cov.models.is_empty() {
        r.status = Status::NotEvidenced;
    }
    r
}

/// The retention check: the period covered against the days required. `first` and `last`
/// are the oldest and newest events.
pub(crate) fn retention_check(
    params: &Params,
    period: &Period,
    first: Option<&EvidenceRef>,
    last: Option<&EvidenceRef>,
) -> CheckResult {
    let required = f64::from(params.retention_days);
    let span = match (&period.from, &period.to) {
        (Some(a), Some(b)) => format!(
            "{} .. {}",
            a.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            b.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        ),
        _ => "no timed event".to_owned(),
    };
    let evidence: Vec<EvidenceRef> = first.into_iter().chain(last).cloned().collect();
    let summary = format!(
        "the export covers {} day(s) ({span}); {} days (about {} months) are required",
        period.days,
        params.retention_days,
        (required / 30.4).round()
    );
    let findings = if period.from.is_none() {
        vec![Finding::new(
            "retention_not_evidenced",
            Status::NotEvidenced,
            "no event has a time: the period covered cannot be shown".to_owned(),
            Vec::new(),
        )]
    } else if period.days < required {
        vec![Finding::new(
            "retention_short",
            Status::Gap,
            format!(
                "the logs cover {} day(s) ({span}), less than the {} days required",
                period.days, params.retention_days
            ),
            evidence,
        )]
    } else {
        Vec::new()
    };
    CheckResult::from_findings(CheckKind::Retention, summary, findings)
}

/// The integrity check: the verify verdict, and each finding as a gap.
pub(crate) fn integrity_check(summary: &IntegritySummary) -> CheckResult {
    let findings: Vec<Finding> = summary
        .findings
        .iter()
        .map(|f| {
            let at = match (f.seq, f.seq_end) {
                (Some(a), Some(b)) if a != b => format!(" at seq {a}..{b}"),
                (Some(a), _) => format!(" at seq {a}"),
                _ => String::new(),
            };
            Finding::new(
                &format!("integrity:{}", f.code),
                if f.tampering {
                    Status::Gap
                } else {
                    Status::NotEvidenced
                },
                format!("{}: {}{at}: {}", f.bundle, f.code, f.detail),
                f.evidence.clone(),
            )
        })
        .collect();
    let by: Vec<String> = summary
        .bundles
        .iter()
        .map(|(b, v)| format!("{b}: {v}"))
        .collect();
    let text = if by.is_empty() {
        "no input is a sealed bundle: nothing to verify".to_owned()
    } else {
        format!("verify verdict {} ({})", summary.verdict, by.join("; "))
    };
    let mut r = CheckResult::from_findings(CheckKind::Integrity, text, findings);
    if r.status == Status::Met && summary.verdict != "verified" {
        r.status = Status::NotEvidenced;
    }
    r
}

/// The alerts check: each alert a gap, citing its events.
pub(crate) fn alerts_check(alerts: &[Alert], rules: usize) -> CheckResult {
    let findings = alerts
        .iter()
        .map(|a| {
            let mut f = Finding::new(
                &format!("alert:{}", a.rule),
                Status::Gap,
                format!("[{}] {}: {}", a.severity, a.title, a.detail),
                a.evidence
                    .iter()
                    .map(|e| EvidenceRef {
                        path: e.path.clone(),
                        line: e.line,
                        stream: e.stream.clone(),
                        seq: e.seq,
                        record_sha256: None,
                        ts: e.ts,
                        ord: e.ord,
                        record: None,
                    })
                    .collect(),
            );
            f.count = a.count;
            f
        })
        .collect();
    CheckResult::from_findings(
        CheckKind::Alerts,
        format!("{} alert(s) from {rules} rule(s)", alerts.len()),
        findings,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::governance::report::IntegrityFinding;

    #[test]
    fn fourteen_days_against_six_months_is_a_retention_gap() {
        let p = Params::default();
        let period = Period::between(
            "2026-03-02T00:00:00Z".parse().ok(),
            "2026-03-16T00:00:00Z".parse().ok(),
        );
        let r = retention_check(&p, &period, None, None);
        assert_eq!(r.status, Status::Gap);
        assert!(
            r.findings[0].summary.contains("14 day(s)"),
            "{}",
            r.findings[0].summary
        );
        assert!(r.findings[0].summary.contains("183 days"));
        let long = Period::between(
            "2025-03-02T00:00:00Z".parse().ok(),
            "2026-03-16T00:00:00Z".parse().ok(),
        );
        assert_eq!(retention_check(&p, &long, None, None).status, Status::Met);
        let none = Period::between(None, None);
        assert_eq!(
            retention_check(&p, &none, None, None).status,
            Status::NotEvidenced
        );
    }

    #[test]
    fn a_required_stage_without_events_is_not_evidenced() {
        let p = Params::default();
        let e = EvidenceRef::of(
            &crate::governance::testutil::ev("2026-03-02T00:00:00Z", "s", "x", 1),
            None,
        );
        let mut cov = Coverage::default();
        let mut stages = BTreeMap::new();
        for (s, _) in STAGES {
            stages.insert((*s).to_owned(), StageCoverage::Events(2, e.clone()));
        }
        cov.models.insert("m".into(), stages.clone());
        assert_eq!(lifecycle_check(&p, &cov).status, Status::Met);
        stages.insert("inference".into(), StageCoverage::NotRequired);
        cov.models.insert("m".into(), stages.clone());
        assert_eq!(lifecycle_check(&p, &cov).status, Status::Met);
        stages.insert("evaluation".into(), StageCoverage::None);
        cov.models.insert("m".into(), stages);
        let r = lifecycle_check(&p, &cov);
        assert_eq!(r.status, Status::NotEvidenced);
        assert!(r.findings[0].summary.contains("evaluation"));
    }

    #[test]
    fn integrity_findings_are_gaps_and_an_unsigned_bundle_is_not_evidenced() {
        let mut s = IntegritySummary {
            verdict: "tampered".into(),
            bundles: BTreeMap::from([("b".to_owned(), "tampered".to_owned())]),
            findings: vec![IntegrityFinding {
                bundle: "b".into(),
                code: "MODIFIED".into(),
                tampering: true,
                detail: "edited".into(),
                seq: Some(952),
                seq_end: Some(952),
                evidence: Vec::new(),
            }],
        };
        let r = integrity_check(&s);
        assert_eq!(r.status, Status::Gap);
        assert!(r.findings[0].summary.contains("MODIFIED at seq 952"));
        s.findings.clear();
        s.verdict = "unverified".into();
        assert_eq!(integrity_check(&s).status, Status::NotEvidenced);
        s.verdict = "verified".into();
        assert_eq!(integrity_check(&s).status, Status::Met);
    }
}
