//! The governance report of opened inputs, shared by `auditlens report` and the explorer's
//! `:report`: the checks run over the index through the same scans `alerts` uses (each
//! query's matches oldest first, page by page), the verify verdict of sealed inputs, the
//! lineage graph and the alert rules; evidence records are filled in from the index
//! (SHA-256 of the original, masked text). The explorer's case file joins it as a section.

use crate::model::fields;
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use anyhow::{Context, Result, anyhow};
use chrono::{DateTime, Utc};

use crate::governance::{
    CaseNote, Catalog, CheckKind, CheckResult, ComplianceReport, ContinuityCheck, Coverage,
    DeploymentsCheck, EvidenceRef, InputDigest, IntegrityFinding, IntegritySummary, LineageLookup,
    MonitoringCheck, Params, Period, PersonalDataCheck, STAGES, StageCoverage, alerts_check,
    evaluate_controls, integrity_check, lifecycle_check, quote, retention_check,
};
use crate::index::content_digest;
use crate::integrity::{Verdict, Verification, check_export_chain, is_error_code};
use crate::lineage::{Graph, kind};
use crate::model::AuditEvent;
use crate::privacy::Masker;
use crate::store::{Hit, PageRequest, Scan, Selection, SortOrder, Store};

/// Evidence lines cited per integrity finding.
const INTEGRITY_LINES: u64 = 20;

type Window = (Option<DateTime<Utc>>, Option<DateTime<Utc>>);

fn in_window(ev: &AuditEvent, w: Window) -> bool {
    match ev.ts {
        None => w.0.is_none() && w.1.is_none(),
        Some(t) => w.0.is_none_or(|f| t >= f) && w.1.is_none_or(|to| t < to),
    }
}

/// Feeds every match of `query` inside the window to `f`, oldest first.
fn scan(
    service: &dyn Store,
    query: &str,
    w: Window,
    mut f: impl FnMut(Option<u64>, &AuditEvent),
) -> Result<()> {
    let sel = Selection {
        query: query.to_owned(),
        ..Selection::default()
    };
    for page in Scan::new(service, sel, 4096) {
        for h in page.with_context(|| format!("query {query:?}"))? {
            if in_window(&h.event, w) {
                f(Some(h.ord), &h.event);
            }
        }
    }
    Ok(())
}

/// The number of matches of `query` in the window and the oldest.
fn first_match(service: &dyn Store, query: &str, w: Window) -> Result<(u64, Option<Hit>)> {
    let sel = Selection {
        query: query.to_owned(),
        from: w.0,
        to: w.1,
        filter: None,
    };
    let oldest = PageRequest {
        limit: 1,
        offset: 0,
        order: SortOrder::OldestFirst,
    };
    let page = service
        .page(&sel, &oldest)
        .with_context(|| format!("query {query:?}"))?;
    Ok((page.total, page.hits.into_iter().next()))
}

fn stage_of(service: &dyn Store, query: &str, w: Window) -> Result<StageCoverage> {
    let (n, hit) = first_match(service, query, w)?;
    Ok(match hit {
        Some(h) if n > 0 => StageCoverage::Events(n, EvidenceRef::of(&h.event, Some(h.ord))),
        _ => StageCoverage::None,
    })
}

/// Per model and stage, what the events show: stages with a model id by `model.id`, data
/// and features through the datasets and feature sets upstream of the model's versions,
/// access platform-wide (access events rarely name a model).
fn coverage(service: &dyn Store, graph: &Graph, params: &Params, w: Window) -> Result<Coverage> {
    let mut cov = Coverage::default();
    let access = stage_of(service, &format!("{}:access", fields::CATEGORY), w)?;
    for m in graph.models() {
        let id = quote(&m.id);
        let (prod, _) = first_match(
            service,
            &format!(
                "{}:{id} AND {}:model.deploy AND {}:{}",
                fields::MODEL_ID,
                fields::ACTION,
                fields::ENVIRONMENT,
                quote(&params.production)
            ),
            w,
        )?;
        let mut upstream: BTreeMap<String, Vec<String>> = BTreeMap::new();
        if let Some(tree) = graph.model_tree(&m.id) {
            for v in &tree.versions {
                for k in &v.upstream {
                    let list = upstream.entry(k.kind.clone()).or_default();
                    if list.len() < 50 && !list.contains(&k.id) {
                        list.push(k.id.clone());
                    }
                }
            }
        }
        let mut stages = BTreeMap::new();
        for (stage, category) in STAGES {
            if !params.stages.iter().any(|s| s == stage) {
                continue;
            }
            let c = match *stage {
                "access" => access.clone(),
                "data" | "features" => {
                    let k = if *stage == "data" {
                        kind::DATASET
                    } else {
                        kind::FEATURE_SET
                    };
                    match upstream.get(k) {
                        None => StageCoverage::None,
                        Some(ids) => {
                            let any: Vec<String> = ids
                                .iter()
                                .map(|i| {
                                    let q = quote(i);
                                    format!(
                                        "{}:{q} OR {}:{q} OR {}:{q}",
                                        fields::INPUTS_ID,
                                        fields::OUTPUTS_ID,
                                        fields::RESOURCE_ID
                                    )
                                })
                                .collect();
                            stage_of(
                                service,
                                &format!(
                                    "{}:{category} AND ({})",
                                    fields::CATEGORY,
                                    any.join(" OR ")
                                ),
                                w,
                            )?
                        }
                    }
                }
                "deployment" | "inference" | "monitoring" if prod == 0 => {
                    StageCoverage::NotRequired
                }
                _ => stage_of(
                    service,
                    &format!(
                        "{}:{category} AND {}:{id}",
                        fields::CATEGORY,
                        fields::MODEL_ID
                    ),
                    w,
                )?,
            };
            stages.insert((*stage).to_owned(), c);
        }
        cov.models.insert(m.id.clone(), stages);
    }
    Ok(cov)
}

/// Each input and its content digest now.
pub(crate) fn input_digests(paths: &[PathBuf]) -> Result<Vec<InputDigest>> {
    paths
        .iter()
        .map(|p| {
            Ok(InputDigest {
                path: p.display().to_string(),
                digest: content_digest(std::slice::from_ref(p))
                    .with_context(|| format!("hashing {}", p.display()))?,
                remote: None,
            })
        })
        .collect()
}

/// The verify verdict of every sealed input, with its error findings located: taken from
/// the session's one [`Verification`] of the inputs (already run when the open built the
/// index; never run a second time).
pub fn integrity(verification: &Verification) -> Result<IntegritySummary> {
    let mut reports = Vec::new();
    let mut sealed = Vec::new();
    for check in verification.results() {
        let Some(result) = &check.result else {
            continue;
        };
        let r = result
            .as_ref()
            .map_err(|e| anyhow!("verifying {}: {e}", check.input.display()))?;
        reports.push(r.clone());
        sealed.push(check.input.clone());
    }
    check_export_chain(&mut reports);
    // The worst verdict stands for all: an error over tampering over unverified.
    let rank = |v: Verdict| match v {
        Verdict::Verified => 0,
        Verdict::Unverified => 1,
        Verdict::Tampered => 2,
        Verdict::Error => 3,
    };
    let worst = reports.iter().map(|r| r.verdict).max_by_key(|v| rank(*v));
    let mut out = IntegritySummary {
        verdict: worst.map_or("not_sealed", Verdict::as_str).to_owned(),
        bundles: BTreeMap::new(),
        findings: Vec::new(),
    };
    for (p, r) in sealed.iter().zip(&reports) {
        let name = p.display().to_string();
        out.bundles
            .insert(name.clone(), r.verdict.as_str().to_owned());
        for f in &r.findings {
            let file = f.path.as_ref().map(|rel| {
                if p.is_dir() {
                    p.join(rel).display().to_string()
                } else {
                    format!("{name}!{rel}")
                }
            });
            let stream = f.path.as_ref().and_then(|rel| {
                let base = rel.rsplit('/').next()?;
                base.strip_suffix(".jsonl").map(str::to_owned)
            });
            let mut evidence = Vec::new();
            if let (Some(file), Some(first)) = (&file, f.line) {
                let last = f.line_end.unwrap_or(first).min(first + INTEGRITY_LINES - 1);
                for (i, line) in (first..=last).enumerate() {
                    evidence.push(EvidenceRef {
                        path: file.clone(),
                        line,
                        stream: stream.clone(),
                        seq: f.seq.map(|s| s + i as u64).filter(|_| f.code != "DELETED"),
                        record_sha256: None,
                        ts: None,
                        ord: None,
                        record: None,
                    });
                }
            }
            out.findings.push(IntegrityFinding {
                bundle: name.clone(),
                code: f.code.to_owned(),
                tampering: is_error_code(f.code),
                detail: match &f.path {
                    Some(rel) => format!("{rel}: {}", f.detail),
                    None => f.detail.clone(),
                },
                seq: f.seq,
                seq_end: f.seq_end,
                evidence,
            });
        }
    }
    Ok(out)
}

/// Fills in each evidence record's SHA-256 (and masked text) from the index: by ordinal,
/// else by path and line.
/// What the index holds of one evidence record: digest, masked text, time, seq.
type Found = Option<(String, String, Option<DateTime<Utc>>, Option<u64>)>;

struct Enricher<'a> {
    service: &'a dyn Store,
    masker: &'a Masker,
    cache: HashMap<(String, u64), Found>,
}

impl Enricher<'_> {
    fn fill(&mut self, e: &mut EvidenceRef) -> Result<()> {
        let key = (e.path.clone(), e.line);
        if !self.cache.contains_key(&key) {
            let hit = match e.ord {
                Some(ord) => self.service.fetch(ord).context("reading evidence")?,
                None => first_match(self.service, &e.search_query(), (None, None))?.1,
            };
            let v = hit.map(|h| {
                let sha = crate::integrity::sha256(h.raw.as_bytes()).to_hex();
                let masked = self.masker.mask_record(&h.event, &h.raw);
                (sha, masked, h.event.ts, h.event.origin.seq)
            });
            self.cache.insert(key.clone(), v);
        }
        if let Some(Some((sha, rec, ts, seq))) = self.cache.get(&key) {
            e.record_sha256 = Some(sha.clone());
            e.record = Some(rec.clone());
            e.ts = e.ts.or(*ts);
            e.seq = e.seq.or(*seq);
        }
        Ok(())
    }
}

/// Builds the report of `catalog` over an index.
// One straight sequence of checks reads best whole.
#[allow(
    clippy::too_many_arguments,
    clippy::too_many_lines,
    clippy::many_single_char_names
)]
pub(crate) fn build_report(
    catalog: &Catalog,
    service: &dyn Store,
    graph: &Graph,
    (mut integrity, inputs): (IntegritySummary, Vec<InputDigest>),
    w: Window,
    masker: &Masker,
    now: DateTime<Utc>,
) -> Result<ComplianceReport> {
    let p = &catalog.params;
    let kinds = catalog.kinds();
    let mut results: BTreeMap<CheckKind, CheckResult> = BTreeMap::new();

    let mut continuity = ContinuityCheck::new(p);
    scan(service, "*", w, |o, e| continuity.push(o, e))?;
    let (first, last) = continuity.span();
    let (first, last) = (first.cloned(), last.cloned());
    let period = Period::between(
        first.as_ref().and_then(|e| e.ts),
        last.as_ref().and_then(|e| e.ts),
    );
    let timeline = continuity.days();
    results.insert(CheckKind::Continuity, continuity.finish());
    results.insert(
        CheckKind::Retention,
        retention_check(p, &period, first.as_ref(), last.as_ref()),
    );

    if kinds.contains(&CheckKind::Lifecycle) {
        let cov = coverage(service, graph, p, w)?;
        results.insert(CheckKind::Lifecycle, lifecycle_check(p, &cov));
    }
    let mut flagged = Vec::new();
    if kinds.contains(&CheckKind::Deployments) {
        let mut d = DeploymentsCheck::new(p);
        scan(service, &DeploymentsCheck::approval_query(), w, |o, e| {
            d.push_approval(o, e);
        })?;
        scan(service, &d.deploy_query(), w, |o, e| d.push_deploy(o, e))?;
        let (r, f) = d.finish(graph);
        flagged = f;
        results.insert(CheckKind::Deployments, r);
    }
    if kinds.contains(&CheckKind::PersonalData) {
        let mut c = PersonalDataCheck::new(p);
        let q = c.query();
        scan(service, &q, w, |o, e| c.push(o, e))?;
        results.insert(CheckKind::PersonalData, c.finish());
    }
    if kinds.contains(&CheckKind::Monitoring) {
        let mut c = MonitoringCheck::new(p);
        scan(service, &MonitoringCheck::observation_query(), w, |o, e| {
            c.push_observation(o, e);
        })?;
        scan(service, &MonitoringCheck::follow_up_query(), w, |o, e| {
            c.push_follow_up(o, e);
        })?;
        results.insert(CheckKind::Monitoring, c.finish());
    }
    if kinds.contains(&CheckKind::Alerts) {
        let rules = crate::session::alerts::load_rules(None)?;
        let mut eval = crate::session::alerts::evaluate(service, &rules)?;
        eval.alerts.retain(|a| match a.first_ts {
            Some(t) => w.0.is_none_or(|f| t >= f) && w.1.is_none_or(|to| t < to),
            None => true,
        });
        results.insert(
            CheckKind::Alerts,
            alerts_check(&eval.alerts, rules.rules.len()),
        );
    }

    let mut enricher = Enricher {
        service,
        masker,
        cache: HashMap::new(),
    };
    for f in &mut integrity.findings {
        for e in &mut f.evidence {
            enricher.fill(e)?;
        }
    }
    results.insert(CheckKind::Integrity, integrity_check(&integrity));
    for r in results.values_mut() {
        for f in &mut r.findings {
            for e in &mut f.evidence {
                enricher.fill(e)?;
            }
        }
    }
    Ok(ComplianceReport {
        standard: catalog.id.clone(),
        title: catalog.title.clone(),
        generated_at: now,
        generator: format!("auditlens {}", env!("CARGO_PKG_VERSION")),
        period,
        inputs,
        integrity,
        controls: evaluate_controls(catalog, &results),
        lineage: flagged
            .iter()
            .filter_map(|(m, v)| graph.view(m, v))
            .collect(),
        timeline,
        case_file: Vec::new(),
    })
}

/// The report's case-file section: each entry with its evidence record (SHA-256 of the
/// original and the masked text, from the index).
pub(crate) fn case_notes(
    case: &super::case::CaseFile,
    service: &dyn Store,
    masker: &Masker,
) -> Result<Vec<CaseNote>> {
    let mut enricher = Enricher {
        service,
        masker,
        cache: HashMap::new(),
    };
    let mut notes = Vec::with_capacity(case.entries.len());
    for c in &case.entries {
        let mut evidence = EvidenceRef {
            path: c.path.clone(),
            line: c.line,
            stream: c.stream.clone(),
            seq: c.seq,
            record_sha256: None,
            ts: DateTime::from_timestamp_millis(c.ts_ms).filter(|_| c.ts_ms != i64::MIN),
            ord: Some(c.ord),
            record: None,
        };
        enricher.fill(&mut evidence)?;
        notes.push(CaseNote {
            summary: c.summary.clone(),
            marked: c.marked,
            comment: c.comment.clone(),
            evidence,
        });
    }
    Ok(notes)
}

/// How a report is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportFormat {
    /// Plain text.
    Text,
    /// JSON (schema in README).
    Json,
    /// Markdown.
    Md,
    /// One self-contained HTML file.
    Html,
}

impl ReportFormat {
    /// The format a file name asks for: `.html`/`.htm`, `.md`, `.json`, else text.
    pub(crate) fn for_path(p: &std::path::Path) -> Self {
        match p
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase())
            .as_deref()
        {
            Some("html" | "htm") => Self::Html,
            Some("md" | "markdown") => Self::Md,
            Some("json") => Self::Json,
            _ => Self::Text,
        }
    }
}

/// The report in `format`, every line masked with `masker` (log content the report
/// quotes is shown as the table shows it).
pub fn render(r: &ComplianceReport, format: ReportFormat, masker: &Masker) -> Result<Vec<u8>> {
    let text = match format {
        ReportFormat::Text => crate::governance::to_text(r),
        ReportFormat::Md => crate::governance::to_markdown(r),
        ReportFormat::Html => crate::governance::to_html(r),
        ReportFormat::Json => {
            let mut v = Vec::new();
            crate::model::safe_json::to_writer_pretty(&mut v, r)?;
            v.push(b'\n');
            String::from_utf8_lossy(&v).into_owned()
        }
    };
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        out.push_str(&masker.mask_text(line));
    }
    Ok(out.into_bytes())
}
