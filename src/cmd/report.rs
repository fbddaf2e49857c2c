//! `auditlens report` and `auditlens verify-report`: the governance checks run over the
//! index through the same scans `alerts` uses (each query's matches oldest first, page by
//! page), the verify verdict of sealed inputs, the lineage graph and the alert rules; the
//! report is rendered, masked on the way out, optionally sealed, and recorded in the access
//! trail.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result, anyhow, bail};
use chrono::{DateTime, Utc};
use serde_json::json;

mod remote;

use super::{Outcome, open_index, report_skipped};
use crate::cli::{ReportArgs, ReportFormat, VerifyReportArgs};
use crate::governance::{
    Catalog, CheckKind, CheckResult, ComplianceReport, ContinuityCheck, Coverage, DeploymentsCheck,
    EvidenceRef, InputDigest, IntegrityFinding, IntegritySummary, LineageLookup, MonitoringCheck,
    Params, Period, PersonalDataCheck, STAGES, StageCoverage, alerts_check, evaluate_controls,
    integrity_check, lifecycle_check, quote, retention_check,
};
use crate::index::content_digest;
use crate::integrity::{Verdict, Verification, check_export_chain, is_error_code};
use crate::lineage::{Graph, kind};
use crate::model::{AuditEvent, escape_control, safe_json};
use crate::privacy::Masker;
use crate::session::Session;
use crate::settings::Settings;
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
    let access = stage_of(service, "category:access", w)?;
    for m in graph.models() {
        let id = quote(&m.id);
        let (prod, _) = first_match(
            service,
            &format!(
                "model.id:{id} AND action:model.deploy AND environment:{}",
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
                                    format!("inputs.id:{q} OR outputs.id:{q} OR resource.id:{q}")
                                })
                                .collect();
                            stage_of(
                                service,
                                &format!("category:{category} AND ({})", any.join(" OR ")),
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
                    &format!("category:{category} AND model.id:{id}"),
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
pub(super) fn input_digests(paths: &[PathBuf]) -> Result<Vec<InputDigest>> {
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
pub(super) fn integrity(verification: &Verification) -> Result<IntegritySummary> {
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
        scan(service, DeploymentsCheck::approval_query(), w, |o, e| {
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
        scan(service, MonitoringCheck::observation_query(), w, |o, e| {
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
    })
}

/// Renders a report in a format.
pub fn render(r: &ComplianceReport, format: ReportFormat) -> Result<Vec<u8>> {
    Ok(match format {
        ReportFormat::Text => crate::governance::to_text(r).into_bytes(),
        ReportFormat::Md => crate::governance::to_markdown(r).into_bytes(),
        ReportFormat::Html => crate::governance::to_html(r).into_bytes(),
        ReportFormat::Json => {
            let mut v = Vec::new();
            safe_json::to_writer_pretty(&mut v, r)?;
            v.push(b'\n');
            v
        }
    })
}

pub(super) fn run(
    a: &ReportArgs,
    session: &Session,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<Outcome> {
    let settings = session.settings();
    let catalog =
        Catalog::load(&a.standard, settings.config_dir.as_deref()).map_err(|e| anyhow!(e))?;
    let w = super::search::time_window(a.from.as_deref(), a.to.as_deref())?;
    let key = a
        .sign
        .as_ref()
        .map(|k| {
            crate::integrity::SigningKey::read_file(k)
                .with_context(|| format!("reading the signing key {}", k.display()))
        })
        .transpose()?;
    let masker = settings.masker.clone();
    let filters = json!({"standard": a.standard, "from": a.from, "to": a.to,
        "format": format!("{:?}", a.format).to_lowercase(),
        "out": a.out.as_ref().map(|p| p.display().to_string()), "signed": a.sign.is_some()});
    let report = if let Some(url) = &a.remote {
        let store = super::remote_store(url, settings)?;
        super::access_log::record(
            settings,
            super::remote_entry("report", &store, None, filters),
        )?;
        let graph = crate::session::graph_from_store(&store)
            .map_err(|e| anyhow!("{e}"))
            .context("building the lineage graph from the remote index")?;
        let sealed = remote::attested(&store)?;
        build_report(&catalog, &store, &graph, sealed, w, &masker, Utc::now())?
    } else {
        let opened = open_index(session, &a.paths, err)?;
        super::access_log::record_open(
            settings,
            "report",
            &a.paths,
            Some(opened.digest().to_owned()),
            None,
            filters,
        )?;
        report_skipped(&opened, err)?;
        let graph = super::lineage::load_graph(&opened, settings, err)?;
        let service = opened.store().context("opening the index")?;
        let sealed = (integrity(opened.integrity())?, input_digests(&a.paths)?);
        build_report(&catalog, &service, &graph, sealed, w, &masker, Utc::now())?
    };
    let text = render(&report, a.format)?;
    let mut bytes = Vec::with_capacity(text.len());
    {
        let mut mw = super::access_log::MaskingWriter::new(&mut bytes, masker);
        mw.write_all(&text)?;
        mw.flush()?;
    }
    match &a.out {
        None => out.write_all(&bytes)?,
        Some(file) => {
            std::fs::write(file, &bytes).with_context(|| format!("writing {}", file.display()))?;
            writeln!(
                err,
                "wrote the {} report to {} ({})",
                escape_control(&report.standard),
                file.display(),
                report.status()
            )?;
            if let Some(key) = &key {
                let seal = crate::governance::sign_report(
                    key,
                    &bytes,
                    &report.standard,
                    &report.inputs,
                    &report.integrity.verdict,
                    Utc::now(),
                )
                .map_err(|e| anyhow!(e))?;
                let sp = crate::governance::seal_path(file);
                std::fs::write(&sp, seal).with_context(|| format!("writing {}", sp.display()))?;
                writeln!(err, "signed: {} (key {})", sp.display(), key.key_id())?;
            }
        }
    }
    Ok(if report.status() == crate::governance::Status::Gap {
        Outcome::Problems
    } else {
        Outcome::Ok
    })
}

/// `auditlens verify-report`: the seal's signature and the report's digest, then each
/// input the seal names against its digest now. Exit 0 when all hold, 1 otherwise.
pub(super) fn run_verify(
    a: &VerifyReportArgs,
    settings: &Settings,
    out: &mut dyn Write,
) -> Result<Outcome> {
    let bytes = std::fs::read(&a.file).with_context(|| format!("reading {}", a.file.display()))?;
    let sp = crate::governance::seal_path(&a.file);
    let Ok(seal_text) = std::fs::read_to_string(&sp) else {
        bail!(
            "no seal {}: the report is not signed (auditlens report --sign KEY --out FILE)",
            sp.display()
        );
    };
    let seal =
        match crate::governance::verify_seal(&bytes, &seal_text, settings.trust.store.as_ref()) {
            Ok((seal, signer)) => {
                writeln!(
                    out,
                    "signature: valid (key {}, {}), report sha256 matches",
                    seal.key_id,
                    escape_control(&signer)
                )?;
                seal
            }
            Err(e) => {
                writeln!(out, "signature: FAILED: {}", escape_control(&e.to_string()))?;
                return Ok(Outcome::Problems);
            }
        };
    let paths: Vec<PathBuf> = seal.inputs.iter().map(|i| PathBuf::from(&i.path)).collect();
    super::access_log::record_open(
        settings,
        "verify-report",
        &paths,
        None,
        None,
        json!({"report": a.file.display().to_string()}),
    )?;
    let mut ok = true;
    for (i, p) in seal.inputs.iter().zip(&paths) {
        let now = if p.exists() {
            content_digest(std::slice::from_ref(p)).ok()
        } else {
            None
        };
        match now {
            Some(d) if d == i.digest => {
                writeln!(
                    out,
                    "input {}: unchanged (sha256 {d})",
                    escape_control(&i.path)
                )?;
            }
            Some(d) => {
                ok = false;
                writeln!(
                    out,
                    "input {}: CHANGED (sha256 {d}, the report names {})",
                    escape_control(&i.path),
                    i.digest
                )?;
            }
            None => {
                ok = false;
                writeln!(
                    out,
                    "input {}: MISSING or unreadable",
                    escape_control(&i.path)
                )?;
            }
        }
    }
    writeln!(
        out,
        "{}: {} report, integrity verdict {}, signed {}",
        if ok { "ok" } else { "FAILED" },
        escape_control(&seal.standard),
        escape_control(&seal.integrity_verdict),
        seal.created_at
    )?;
    Ok(if ok { Outcome::Ok } else { Outcome::Problems })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_takes_the_verification_of_its_open_and_verifies_nothing_again() {
        // Regression: `report` verified every sealed input itself, after the open had
        // verified them for the index statuses.
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let pristine = root.join("sample-data/pristine");
        let home = tempfile::tempdir().unwrap();
        let load = crate::cli::LoadArgs {
            index_dir: Some(home.path().join("idx")),
            reindex: false,
            max_line_bytes: 1 << 20,
            max_document_bytes: 1 << 30,
            writer_mb: 50,
            threads: None,
            trust: Some(root.join("sample-data/trust.json")),
            unmask: false,
            role: None,
            no_trail: true,
        };
        let session = Session::new(Settings::from_args(&load).unwrap());
        let opened = session
            .open(std::slice::from_ref(&pristine), &mut |_| {}, &mut |_| {})
            .unwrap();
        assert_eq!(
            opened.integrity().runs(),
            1,
            "the build verified the bundle"
        );
        let catalog = Catalog::load("eu-ai-act", None).unwrap();
        let report = build_report(
            &catalog,
            &opened.store().unwrap(),
            &Graph::default(),
            (
                integrity(opened.integrity()).unwrap(),
                input_digests(std::slice::from_ref(&pristine)).unwrap(),
            ),
            (None, None),
            &Masker::disabled(),
            Utc::now(),
        )
        .unwrap();
        assert_eq!(opened.integrity().runs(), 1, "the report reused it");
        assert_eq!(report.integrity.verdict, "verified");
        assert_eq!(
            report
                .integrity
                .bundles
                .get(&pristine.display().to_string()),
            Some(&"verified".to_owned())
        );
    }
}
