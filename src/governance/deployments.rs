//! Deployments: every production deployment preceded by an approval of that exact model
//! version, and every deployed version with a complete lineage (datasets at their versions
//! -> run -> model version). Fed the approvals, then the deployments (oldest first).
//! Memory: per version.

use crate::model::fields;
use std::collections::BTreeMap;
use std::fmt::Write as _;

use chrono::{DateTime, Utc};

use super::catalog::{CheckKind, Params};
use super::evidence::EvidenceRef;
use super::report::{CheckResult, Finding, LineageView, Status};
use crate::lineage::{Graph, kind};
use crate::model::AuditEvent;

/// Deployments kept; more are counted.
const MAX_DEPLOYS: usize = 5000;

/// What the deployments check needs of the lineage.
pub trait LineageLookup {
    /// Why the lineage of `model` at `version` is incomplete, or `None` when it is complete.
    fn gap(&self, model: &str, version: &str) -> Option<String>;
    /// The lineage of a version, for display.
    fn view(&self, model: &str, version: &str) -> Option<LineageView>;
}

fn node_text(k: &crate::lineage::NodeKey) -> String {
    match &k.version {
        Some(v) => format!("{} {}@{v}", k.kind, k.id),
        None => format!("{} {}", k.kind, k.id),
    }
}

/// Why the lineage of a version in `graph` is incomplete (no producing run, a run not in
/// the export, no dataset upstream, a dataset without a version).
pub(crate) fn lineage_gap(graph: &Graph, model: &str, version: &str) -> Option<String> {
    let Some(tree) = graph.model_tree_for(model, Some(version)) else {
        return Some("the version is not in the lineage graph".to_owned());
    };
    let Some(v) = tree.versions.iter().find(|v| v.version == version) else {
        return Some("the version is not in the lineage graph".to_owned());
    };
    let dangling = |k: &crate::lineage::NodeKey| tree.dangling.iter().any(|d| &d.key == k);
    let Some(run) = &v.run_id else {
        return Some("no run produced it".to_owned());
    };
    if let Some(r) = v
        .upstream
        .iter()
        .find(|k| k.kind == kind::RUN && &k.id == run)
        && dangling(r)
    {
        return Some(format!("its run {run} is not in the export"));
    }
    let datasets: Vec<_> = v
        .upstream
        .iter()
        .filter(|k| k.kind == kind::DATASET)
        .collect();
    if datasets.is_empty() {
        return Some(format!("no dataset upstream of its run {run}"));
    }
    if let Some(d) = datasets.iter().find(|k| k.version.is_none()) {
        return Some(format!("dataset {} has no version", d.id));
    }
    None
}

impl LineageLookup for Graph {
    fn gap(&self, model: &str, version: &str) -> Option<String> {
        lineage_gap(self, model, version)
    }

    fn view(&self, model: &str, version: &str) -> Option<LineageView> {
        let tree = self.model_tree_for(model, Some(version))?;
        let v = tree.versions.iter().find(|v| v.version == version)?;
        let mark = |k: &crate::lineage::NodeKey| {
            let dangling = tree.dangling.iter().any(|d| &d.key == k);
            let t = node_text(k);
            if dangling {
                format!("{t} (not in the export)")
            } else {
                t
            }
        };
        Some(LineageView {
            model: model.to_owned(),
            version: version.to_owned(),
            upstream: v.upstream.iter().take(40).map(mark).collect(),
            downstream: v
                .downstream
                .iter()
                .take(20)
                .map(|d| match &d.environment {
                    Some(e) => format!("{} ({e})", node_text(&d.key)),
                    None => node_text(&d.key),
                })
                .collect(),
        })
    }
}

#[derive(Debug)]
struct Deploy {
    model: String,
    version: String,
    ts: Option<DateTime<Utc>>,
    by: String,
    evidence: EvidenceRef,
}

/// The deployments check.
#[derive(Debug)]
pub struct DeploymentsCheck {
    production: String,
    approvals: BTreeMap<(String, String), (DateTime<Utc>, EvidenceRef)>,
    deploys: Vec<Deploy>,
    more: u64,
}

impl DeploymentsCheck {
    /// A check with the catalog's production environment.
    pub fn new(params: &Params) -> Self {
        Self {
            production: params.production.clone(),
            approvals: BTreeMap::new(),
            deploys: Vec::new(),
            more: 0,
        }
    }

    /// The query selecting approvals.
    pub(crate) fn approval_query() -> String {
        format!(
            "{}:model.approve AND {}",
            fields::ACTION,
            Self::not_failed()
        )
    }

    /// `NOT outcome:failure AND NOT outcome:denied`.
    fn not_failed() -> String {
        format!("NOT {o}:failure AND NOT {o}:denied", o = fields::OUTCOME)
    }

    /// The query selecting production deployments.
    pub(crate) fn deploy_query(&self) -> String {
        format!(
            "{}:model.deploy AND {}:{} AND {}",
            fields::ACTION,
            fields::ENVIRONMENT,
            super::evidence::quote(&self.production),
            Self::not_failed()
        )
    }

    /// Takes one approval.
    pub(crate) fn push_approval(&mut self, ord: Option<u64>, ev: &AuditEvent) {
        let (Some(m), Some(ts)) = (&ev.model, ev.ts) else {
            return;
        };
        let Some(v) = &m.version else { return };
        if ev.action != "model.approve" || matches!(ev.outcome.as_str(), "failure" | "denied") {
            return;
        }
        self.approvals
            .entry((m.id.clone(), v.clone()))
            .or_insert_with(|| (ts, EvidenceRef::of(ev, ord)));
    }

    /// Takes one production deployment.
    pub(crate) fn push_deploy(&mut self, ord: Option<u64>, ev: &AuditEvent) {
        if ev.action != "model.deploy" || ev.environment.as_deref() != Some(&self.production) {
            return;
        }
        let Some(m) = &ev.model else { return };
        if self.deploys.len() >= MAX_DEPLOYS {
            self.more += 1;
            return;
        }
        self.deploys.push(Deploy {
            model: m.id.clone(),
            version: m.version.clone().unwrap_or_default(),
            ts: ev.ts,
            by: ev
                .actor
                .id
                .clone()
                .unwrap_or_else(|| "unknown actor".to_owned()),
            evidence: EvidenceRef::of(ev, ord),
        });
    }

    /// The result, and the versions with a finding (for their lineage).
    pub fn finish(self, lineage: &dyn LineageLookup) -> (CheckResult, Vec<(String, String)>) {
        let mut findings = Vec::new();
        let mut flagged: Vec<(String, String)> = Vec::new();
        let n = self.deploys.len();
        for d in &self.deploys {
            let at = d.ts.map_or_else(
                || "unknown time".to_owned(),
                |t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            );
            let key = (d.model.clone(), d.version.clone());
            let approved = self
                .approvals
                .get(&key)
                .filter(|(t, _)| d.ts.is_some_and(|dt| *t <= dt));
            if d.version.is_empty() {
                findings.push(Finding::new(
                    "unapproved_deployment",
                    Status::Gap,
                    format!(
                        "{} was deployed to {} at {at} by {} without naming a version",
                        d.model, self.production, d.by
                    ),
                    vec![d.evidence.clone()],
                ));
            } else if approved.is_none() {
                findings.push(Finding::new(
                    "unapproved_deployment",
                    Status::Gap,
                    format!(
                        "{} v{} was deployed to {} at {at} by {} with no earlier approval of that version",
                        d.model, d.version, self.production, d.by
                    ),
                    vec![d.evidence.clone()],
                ));
                if !flagged.contains(&key) {
                    flagged.push(key.clone());
                }
            }
            if d.version.is_empty() {
                continue;
            }
            if let Some(why) = lineage.gap(&d.model, &d.version) {
                findings.push(Finding::new(
                    "lineage_incomplete",
                    Status::Gap,
                    format!(
                        "{} v{} is deployed to {} but its lineage is incomplete: {why}",
                        d.model, d.version, self.production
                    ),
                    vec![d.evidence.clone()],
                ));
                if !flagged.contains(&key) {
                    flagged.push(key);
                }
            }
        }
        let mut summary = format!(
            "{n} deployment(s) to {}; {} approved version(s)",
            self.production,
            self.approvals.len()
        );
        if self.more > 0 {
            let _ = write!(summary, "; {} more deployments not evaluated", self.more);
        }
        let mut r = CheckResult::from_findings(CheckKind::Deployments, summary, findings);
        if n == 0 {
            r.status = Status::NotEvidenced;
        }
        (r, flagged)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::governance::testutil::ev;
    use crate::model::ModelRef;

    struct Complete(Option<&'static str>);
    impl LineageLookup for Complete {
        fn gap(&self, _: &str, _: &str) -> Option<String> {
            self.0.map(str::to_owned)
        }
        fn view(&self, _: &str, _: &str) -> Option<LineageView> {
            None
        }
    }

    fn with_model(mut e: AuditEvent, v: &str) -> AuditEvent {
        e.model = Some(ModelRef {
            id: "fraud".into(),
            version: Some(v.into()),
        });
        e
    }

    fn deploy(ts: &str, v: &str) -> AuditEvent {
        let mut e = with_model(ev(ts, "registry", "model.deploy", 5), v);
        e.environment = Some("production".into());
        e
    }

    #[test]
    fn a_deployment_needs_an_earlier_approval_of_that_exact_version() {
        let p = Params::default();
        let mut c = DeploymentsCheck::new(&p);
        c.push_approval(
            Some(1),
            &with_model(
                ev("2026-03-02T10:00:00Z", "registry", "model.approve", 1),
                "3",
            ),
        );
        c.push_approval(
            Some(2),
            &with_model(
                ev("2026-03-05T10:00:00Z", "registry", "model.approve", 2),
                "5",
            ),
        );
        c.push_deploy(Some(3), &deploy("2026-03-03T10:00:00Z", "3"));
        c.push_deploy(Some(4), &deploy("2026-03-04T10:00:00Z", "4"));
        c.push_deploy(Some(5), &deploy("2026-03-04T11:00:00Z", "5"));
        let (r, flagged) = c.finish(&Complete(None));
        assert_eq!(r.status, Status::Gap);
        let kinds: Vec<_> = r
            .findings
            .iter()
            .map(|f| (f.kind.as_str(), f.evidence[0].ord))
            .collect();
        assert_eq!(
            kinds,
            vec![
                ("unapproved_deployment", Some(4)),
                ("unapproved_deployment", Some(5))
            ]
        );
        assert_eq!(flagged.len(), 2);
    }

    #[test]
    fn an_incomplete_lineage_is_a_gap() {
        let mut c = DeploymentsCheck::new(&Params::default());
        c.push_approval(
            Some(1),
            &with_model(
                ev("2026-03-02T10:00:00Z", "registry", "model.approve", 1),
                "3",
            ),
        );
        c.push_deploy(Some(3), &deploy("2026-03-03T10:00:00Z", "3"));
        let (r, _) = c.finish(&Complete(Some("its run r1 is not in the export")));
        assert_eq!(r.findings.len(), 1);
        assert_eq!(r.findings[0].kind, "lineage_incomplete");
        let (r, _) = {
            let mut c = DeploymentsCheck::new(&Params::default());
            c.push_approval(
                Some(1),
                &with_model(
                    ev("2026-03-02T10:00:00Z", "registry", "model.approve", 1),
                    "3",
                ),
            );
            c.push_deploy(Some(3), &deploy("2026-03-03T10:00:00Z", "3"));
            c.finish(&Complete(None))
        };
        assert_eq!(r.status, Status::Met);
    }
}
