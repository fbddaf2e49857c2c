//! `auditlens report` and `auditlens verify-report`: the report of `session::report` (the
//! governance checks over the index, shared with the explorer's `:report`), rendered,
//! masked on the way out, optionally sealed, and recorded in the access trail.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result, anyhow, bail};
use chrono::Utc;
use serde_json::json;

mod remote;

use super::{Outcome, open_index, report_skipped};
use crate::cli::{ReportArgs, ReportFormat, VerifyReportArgs};
use crate::governance::Catalog;
use crate::index::content_digest;
use crate::model::escape_control;
use crate::session::{Session, report};
use crate::settings::Settings;

pub(super) fn run(
    a: &ReportArgs,
    session: &Session,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<Outcome> {
    let settings = session.settings();
    refuse_existing(a)?;
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
        report::build_report(&catalog, &store, &graph, sealed, w, &masker, Utc::now())?
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
        let sealed = (
            report::integrity(opened.integrity())?,
            report::input_digests(&a.paths)?,
        );
        report::build_report(&catalog, &service, &graph, sealed, w, &masker, Utc::now())?
    };
    let format = match a.format {
        ReportFormat::Text => report::ReportFormat::Text,
        ReportFormat::Json => report::ReportFormat::Json,
        ReportFormat::Md => report::ReportFormat::Md,
        ReportFormat::Html => report::ReportFormat::Html,
    };
    let bytes = report::render(&report, format, &masker)?;
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

/// Without `--force`, an existing `--out` file (or, with `--sign`, its seal) is refused: a
/// signed report replaced by accident is lost evidence. Checked before the report is built
/// or the access recorded, so a refused run changes nothing.
fn refuse_existing(a: &ReportArgs) -> Result<()> {
    let Some(file) = &a.out else {
        return Ok(());
    };
    let seal = a.sign.as_ref().map(|_| crate::governance::seal_path(file));
    for p in std::iter::once(file.clone()).chain(seal) {
        if crate::session::output::refuses(&p, a.force) {
            bail!(
                "{} exists (use --force to replace it)",
                escape_control(&p.display().to_string())
            );
        }
    }
    Ok(())
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
    use crate::lineage::Graph;
    use crate::privacy::Masker;
    use crate::session::report::{build_report, input_digests, integrity};

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
            verify_cache: false,
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
