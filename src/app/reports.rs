//! The integrity, lineage and alerts panes: computed once the index is complete, on the
//! indexer thread (never the UI thread), from the session layer the `verify`, `lineage` and
//! `alerts` commands use too (the integrity pane reuses the verification of the build). Every row that points at events carries the query that shows them.

use crate::model::fields;
use std::path::{Path, PathBuf};

use crate::store::{Filter, Jump, Store};
use std::fmt::Write as _;

use crate::integrity::{Finding, Report, TrustStore, Verdict, Verification};
use crate::lineage::TreeLineKind;
use crate::model::{Severity, escape_control};
use crate::session::AlertsCiting;
use crate::session::alerts::{evaluate, load_rules};

use super::state::{PaneReport, ReportRow, RowTarget};

/// The three report panes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reports {
    /// Verify report per sealed input.
    pub integrity: Option<PaneReport>,
    /// Lineage trees of every model.
    pub lineage: Option<PaneReport>,
    /// Alerts, most severe first.
    pub alerts: Option<PaneReport>,
    /// When each alert fired (ms) and its severity: timeline markers.
    pub alert_marks: Vec<(i64, Severity)>,
    /// Every alert's evidence events as one query (ordinals), for `e` / `E`.
    pub alert_evidence: Vec<u64>,
}

fn row(text: impl AsRef<str>, level: Severity, jump: Option<Jump>) -> ReportRow {
    ReportRow {
        text: escape_control(text.as_ref()).into_owned(),
        level,
        jump,
        target: RowTarget::None,
    }
}

/// The integrity pane of `paths` checked against `trust` (verifies them now).
pub fn integrity_report(paths: &[PathBuf], trust: Option<&TrustStore>) -> PaneReport {
    integrity_pane(&Verification::new(paths, trust.cloned()))
}

/// The integrity pane: the verify report of each sealed input, by file and stream, from the
/// session's shared verification (verified now only if the index build did not already).
pub(crate) fn integrity_pane(verification: &Verification) -> PaneReport {
    let mut rows = Vec::new();
    let mut verdicts = Vec::new();
    let trust = verification.trust();
    for check in verification.results() {
        let input = &check.input;
        let Some(result) = &check.result else {
            rows.push(row(
                format!(
                    "{}: no seal (not an auditlens bundle): nothing to verify",
                    input.display()
                ),
                Severity::Notice,
                None,
            ));
            continue;
        };
        let report = match result {
            Ok(r) => r,
            Err(e) => {
                rows.push(row(
                    format!("{}: could not verify: {e}", input.display()),
                    Severity::Error,
                    None,
                ));
                verdicts.push(Verdict::Error);
                continue;
            }
        };
        verdicts.push(report.verdict);
        let level = match report.verdict {
            Verdict::Verified => Severity::Info,
            Verdict::Unverified => Severity::Warning,
            Verdict::Tampered | Verdict::Error => Severity::Critical,
        };
        let counts: Vec<String> = report
            .counts
            .iter()
            .filter(|(_, n)| **n > 0)
            .map(|(k, n)| format!("{n} {k}"))
            .collect();
        rows.push(row(
            format!(
                "{} {}  signature {}{}  records: {}",
                report.verdict.as_str().to_uppercase(),
                input.display(),
                report.signature.status,
                report
                    .signature
                    .signer
                    .as_ref()
                    .map(|s| format!(" ({s})"))
                    .unwrap_or_default(),
                if counts.is_empty() {
                    "none".to_owned()
                } else {
                    counts.join(", ")
                }
            ),
            level,
            None,
        ));
        if report.verdict != Verdict::Verified && trust.is_none() {
            rows.push(row(
                "  no trust store: give --trust FILE (or $AUDITLENS_TRUST) to authenticate signatures",
                Severity::Warning,
                None,
            ));
        }
        rows.extend(report.findings.iter().map(|f| finding_row(report, f)));
    }
    let heading = match verdicts.as_slice() {
        [] => "integrity: no sealed bundle among the inputs".to_owned(),
        [one] => format!("integrity: {}", one.as_str()),
        // A folder of exports: how many bundles gave each verdict, worst first.
        many => {
            let order = [
                Verdict::Error,
                Verdict::Tampered,
                Verdict::Unverified,
                Verdict::Verified,
            ];
            let tally: Vec<String> = order
                .iter()
                .filter_map(|v| {
                    let n = many.iter().filter(|x| *x == v).count();
                    (n > 0).then(|| format!("{n} {}", v.as_str()))
                })
                .collect();
            format!("integrity: {} bundles: {}", many.len(), tally.join(", "))
        }
    };
    PaneReport { heading, rows }
}

/// One finding of a verify report, located, with the query that shows its records.
fn finding_row(report: &Report, f: &Finding) -> ReportRow {
    let level = f.severity();
    let range = |a: Option<u64>, b: Option<u64>| match (a, b) {
        (Some(a), Some(b)) if a != b => Some((a, b)),
        (Some(a), _) => Some((a, a)),
        _ => None,
    };
    let lines = range(f.line, f.line_end);
    let seqs = range(f.seq, f.seq_end);
    let mut loc = String::new();
    if let Some(p) = &f.path {
        loc.push_str(p);
    }
    if let Some((a, b)) = lines {
        let _ = if a == b {
            write!(loc, " line {a}")
        } else {
            write!(loc, " lines {a}..{b}")
        };
    }
    if let Some((a, b)) = seqs {
        let _ = if a == b {
            write!(loc, " seq {a}")
        } else {
            write!(loc, " seq {a}..{b}")
        };
    }
    // The stream file as ingest names it (verify knows: inside an archive with a top
    // folder that is `archive!top/streams/...`).
    let shown = f.path.as_ref().and_then(|rel| {
        report
            .streams
            .iter()
            .find(|s| s.path == *rel)
            .map(|s| s.display.as_str())
    });
    let jump = shown.and_then(|shown| {
        let path = shown.to_owned();
        let filter = match (lines, seqs) {
            (Some((from, to)), _) => Filter::Lines { path, from, to },
            // A gap has no lines of its own: show its neighbours.
            (None, Some((a, b))) => Filter::Seqs {
                path,
                from: a.saturating_sub(1),
                to: b.saturating_add(1),
            },
            (None, None) => return None,
        };
        Some(Jump {
            label: format!("{} at {}", f.code, loc.trim()),
            filter,
        })
    });
    row(format!("  {:<24} {loc}  {}", f.code, f.detail), level, jump)
}

/// The alerts pane: every alert of the default (or user) rules, most severe first, with the
/// timeline markers and the evidence query.
pub fn alerts_report(store: &dyn Store, rules: Option<&Path>) -> PaneReport {
    alerts_with_marks(store, rules).0
}

/// The alerts pane, its timeline marks, every evidence ordinal, and which alerts cite each
/// model version (for the lineage pane).
type AlertsPane = (PaneReport, Vec<(i64, Severity)>, Vec<u64>, AlertsCiting);

fn alerts_with_marks(store: &dyn Store, rules: Option<&Path>) -> AlertsPane {
    let result = load_rules(rules).and_then(|r| evaluate(store, &r));
    let mut eval = match result {
        Ok(e) => e,
        Err(e) => {
            let report = PaneReport {
                heading: "alerts: could not evaluate the rules".to_owned(),
                rows: vec![row(e.to_string(), Severity::Error, None)],
            };
            return (report, Vec::new(), Vec::new(), AlertsCiting::default());
        }
    };
    let citing = AlertsCiting::new(&eval.alerts);
    eval.alerts
        .sort_by(crate::alerts::Alert::by_severity_then_time);
    let mut rows = Vec::new();
    for a in &eval.alerts {
        let when = a.first_ts.map_or_else(
            || "-".to_owned(),
            |t| t.format("%Y-%m-%d %H:%M:%SZ").to_string(),
        );
        let ords: Vec<u64> = a.evidence.iter().filter_map(|e| e.ord).collect();
        let jump = (!ords.is_empty()).then(|| Jump {
            label: format!("evidence of: {}", a.title),
            filter: Filter::Ords(ords),
        });
        rows.push(row(
            format!(
                "[{}] {when}  {}  {}  ({} event(s))",
                a.severity, a.title, a.key, a.count
            ),
            a.severity,
            jump.clone(),
        ));
        rows.push(row(format!("      {}", a.detail), Severity::Info, jump));
    }
    for n in &eval.notes {
        rows.push(row(format!("note: {n}"), Severity::Notice, None));
    }
    let heading = match eval.alerts.len() {
        0 => "alerts: none".to_owned(),
        n => format!("alerts: {n} (Enter shows the evidence)"),
    };
    let marks = eval
        .alerts
        .iter()
        .filter_map(|a| a.first_ts.map(|t| (t.timestamp_millis(), a.severity)))
        .collect();
    let mut ords: Vec<u64> = eval
        .alerts
        .iter()
        .flat_map(|a| a.evidence.iter().filter_map(|e| e.ord))
        .collect();
    ords.sort_unstable();
    ords.dedup();
    (PaneReport { heading, rows }, marks, ords, citing)
}

/// The lineage pane: every model's tree, from the graph saved beside the index (without
/// the alerts citing each version: [`compute`] adds those).
pub fn lineage_report(dir: &Path) -> PaneReport {
    match read_graph(dir) {
        Ok(g) => lineage_pane(&g, &AlertsCiting::default()),
        Err(e) => lineage_unavailable(&e),
    }
}

fn read_graph(dir: &Path) -> Result<crate::lineage::Graph, String> {
    std::fs::read(dir.join(crate::lineage::GRAPH_FILE))
        .map_err(|e| e.to_string())
        .and_then(|b| crate::lineage::Graph::from_bytes(&b).map_err(|e| e.to_string()))
        .map_err(|e| format!("the lineage graph could not be read: {e}"))
}

fn lineage_unavailable(why: &str) -> PaneReport {
    PaneReport {
        heading: "lineage: not available".to_owned(),
        rows: vec![row(why, Severity::Warning, None)],
    }
}

/// The lineage pane of `graph`: every model's tree, each version with the alerts citing it.
pub(crate) fn lineage_pane(graph: &crate::lineage::Graph, citing: &AlertsCiting) -> PaneReport {
    let models = graph.models();
    let mut rows = Vec::new();
    for m in &models {
        let Some(mut tree) = graph.model_tree(&m.id) else {
            continue;
        };
        citing.attach(&mut tree);
        let model_jump = Some(Jump {
            label: format!("events of model {}", m.id),
            filter: Filter::Model {
                id: m.id.clone(),
                version: None,
            },
        });
        for line in crate::lineage::model_lines(&tree) {
            let jump = match &line.kind {
                TreeLineKind::Model => model_jump.clone(),
                // A node of the tree: its own events (dataset, run, deployment...).
                TreeLineKind::Node(key) => Some(Jump {
                    label: format!("events of {} {}", key.kind, key.id),
                    filter: graph.events_filter_for(key),
                }),
                // An alert citing the version: the evidence events that name it.
                TreeLineKind::Alert(id) => tree
                    .versions
                    .iter()
                    .filter(|v| Some(&v.version) == line.version.as_ref())
                    .flat_map(|v| &v.alerts)
                    .find(|a| &a.id == id && !a.ords.is_empty())
                    .map(|a| Jump {
                        label: format!(
                            "evidence of alert {id} for model {} version {}",
                            m.id,
                            line.version.as_deref().unwrap_or_default()
                        ),
                        filter: Filter::Ords(a.ords.clone()),
                    }),
                TreeLineKind::Version | TreeLineKind::Detail => {
                    line.version.as_ref().map(|v| Jump {
                        label: format!("events of model {} version {v}", m.id),
                        filter: Filter::Model {
                            id: m.id.clone(),
                            version: Some(v.clone()),
                        },
                    })
                }
            };
            let level = if line.warning {
                Severity::Warning
            } else {
                Severity::Info
            };
            rows.push(ReportRow {
                target: RowTarget::Lineage {
                    model: m.id.clone(),
                    version: line.version,
                    line: line.kind,
                },
                ..row(line.text, level, jump)
            });
        }
        rows.push(row("", Severity::Info, None));
    }
    let heading = if models.is_empty() {
        "lineage: no model in these events".to_owned()
    } else {
        format!(
            "lineage: {} model(s) (Enter shows a version's events)",
            models.len()
        )
    };
    PaneReport { heading, rows }
}

/// The panes of a remote store: the integrity statuses as pushed (verified on the pushing
/// side against its trust store; the bundle files are not here to verify again), the
/// lineage graph built from one keyset scan of the store, and the alerts.
pub(crate) fn compute_remote(store: &dyn Store) -> Reports {
    let (alerts, alert_marks, alert_evidence, citing) = alerts_with_marks(store, None);
    let lineage = match crate::session::graph_from_store(store) {
        Ok(g) => lineage_pane(&g, &citing),
        Err(e) => lineage_unavailable(&format!(
            "reading the events from {}: {e}",
            store.describe()
        )),
    };
    Reports {
        integrity: Some(pushed_integrity(store)),
        lineage: Some(lineage),
        alerts: Some(alerts),
        alert_marks,
        alert_evidence,
    }
}

/// Record statuses as they were pushed, counted by the store.
fn pushed_integrity(store: &dyn Store) -> PaneReport {
    let all = crate::store::Selection::default();
    match store.terms(&all, fields::INTEGRITY, 32) {
        Err(e) => PaneReport {
            heading: "integrity: not available".to_owned(),
            rows: vec![row(e.to_string(), Severity::Error, None)],
        },
        Ok(f) => {
            let problems: u64 = f
                .values
                .iter()
                .filter(|(v, _)| v != "verified")
                .map(|(_, n)| n)
                .sum();
            let heading = if problems > 0 {
                format!("integrity (as pushed): {problems} record(s) not verified")
            } else if f.values.is_empty() {
                "integrity (as pushed): no sealed records".to_owned()
            } else {
                "integrity (as pushed): every sealed record verified".to_owned()
            };
            let mut rows = vec![row(
                format!(
                    "statuses were verified when the bundle was pushed; {} hold them",
                    store.describe()
                ),
                Severity::Info,
                None,
            )];
            for (status, n) in &f.values {
                let level = if status == "verified" {
                    Severity::Info
                } else {
                    Severity::Error
                };
                rows.push(row(
                    format!(
                        "  {status:<12} {n} record(s)   (search: {}:{status})",
                        fields::INTEGRITY
                    ),
                    level,
                    None,
                ));
            }
            if f.missing > 0 {
                rows.push(row(
                    format!("  {:<12} {} record(s) without a seal", "none", f.missing),
                    Severity::Info,
                    None,
                ));
            }
            PaneReport { heading, rows }
        }
    }
}

/// The panes when the index cannot be read: each says why.
pub(crate) fn unavailable(why: &str) -> Reports {
    let pane = |what: &str| PaneReport {
        heading: format!("{what}: not available"),
        rows: vec![row(escape_control(why), Severity::Error, None)],
    };
    Reports {
        integrity: Some(pane("integrity")),
        lineage: Some(pane("lineage")),
        alerts: Some(pane("alerts")),
        ..Reports::default()
    }
}

/// All three panes of an index in the cache folder `dir`, the integrity pane from the
/// session's shared verification.
pub fn compute(verification: &Verification, store: &dyn Store, dir: &Path) -> Reports {
    let mut all = Reports::default();
    compute_each(verification, store, dir, |part| all.merge(part));
    all
}

/// The three panes one at a time, each handed to `send` as soon as it is ready (integrity
/// first, then lineage, then alerts together with the lineage again, now listing the alerts
/// that cite each version), so a pane shows its content while the next is still being
/// computed.
pub fn compute_each(
    verification: &Verification,
    store: &dyn Store,
    dir: &Path,
    mut send: impl FnMut(Reports),
) {
    send(Reports {
        integrity: Some(integrity_pane(verification)),
        ..Reports::default()
    });
    let graph = read_graph(dir);
    send(Reports {
        lineage: Some(match &graph {
            Ok(g) => lineage_pane(g, &AlertsCiting::default()),
            Err(e) => lineage_unavailable(e),
        }),
        ..Reports::default()
    });
    let (alerts, alert_marks, alert_evidence, citing) = alerts_with_marks(store, None);
    send(Reports {
        alerts: Some(alerts),
        alert_marks,
        alert_evidence,
        // The lineage again, now with the alerts citing each version.
        lineage: graph.ok().map(|g| lineage_pane(&g, &citing)),
        ..Reports::default()
    });
}

impl Reports {
    /// Takes the panes `part` has (the others stay).
    fn merge(&mut self, part: Reports) {
        if part.integrity.is_some() {
            self.integrity = part.integrity;
        }
        if part.lineage.is_some() {
            self.lineage = part.lineage;
        }
        if part.alerts.is_some() {
            self.alerts = part.alerts;
            self.alert_marks = part.alert_marks;
            self.alert_evidence = part.alert_evidence;
        }
    }
}
