//! `auditlens push`: a bundle's events into a Quickwit index (see `remote::push`).

use std::io::{IsTerminal, Write};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use serde_json::json;

use super::{Outcome, open_index, report_skipped};
use crate::cli::PushArgs;
use crate::model::escape_control;
use crate::remote::{self, PushOptions, PushProgress, Target};
use crate::session::Session;

/// AI Act Art. 19: logs kept at least six months.
const ART19_DAYS: u64 = 180;

pub(super) fn run(
    a: &PushArgs,
    session: &Session,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<Outcome> {
    let settings = session.settings();
    let target = Target::parse(&a.to, a.index.as_deref()).map_err(|e| anyhow::anyhow!("{e}"))?;
    let retention = match &a.retention {
        Some(r) => {
            let (period, days) = remote::parse_retention(r)?;
            if days < ART19_DAYS {
                writeln!(
                    err,
                    "warning: a retention of {period} is shorter than six months (AI Act Art. 19 asks deployers to keep logs at least six months)"
                )?;
            }
            Some(period)
        }
        None => None,
    };
    if a.mask && settings.unmask {
        bail!("--mask and --unmask contradict each other");
    }
    let opened = open_index(session, &a.paths, err)?;
    let inputs: Vec<String> = a.paths.iter().map(|p| p.display().to_string()).collect();
    super::access_log::record(
        settings,
        crate::privacy::TrailEntry {
            command: "push".into(),
            bundle: Some(opened.digest().to_owned()),
            inputs: inputs.clone(),
            filters: json!({"remote": target.base, "index": target.index, "mask": a.mask,
                "retention": retention}),
            export: Some(format!("quickwit {}", target.display())),
            ..crate::privacy::TrailEntry::default()
        },
    )?;
    report_skipped(&opened, err)?;
    let local = opened.store().context("opening the index reader")?;
    let client = remote::Client::new(&target.base, remote::store_timeout());
    // What `report --remote` cites: the inputs' digests and the verify verdict now.
    let attested = json!({
        "inputs": crate::session::report::input_digests(&a.paths)?,
        "integrity": crate::session::report::integrity(opened.integrity())?,
    });
    let opts = PushOptions {
        retention,
        mask: a.mask.then(|| settings.masker.clone()),
        batch: a.batch,
        max_batches: a.max_batches,
        inputs,
        attested,
    };
    let tty = std::io::stderr().is_terminal();
    let started = Instant::now();
    let mut progress = |p: PushProgress| {
        let secs = started.elapsed().as_secs_f64().max(0.001);
        let line = format!(
            "pushing: {}/{} events  {:.0} events/s  {} rejected",
            p.done,
            p.total,
            p.done as f64 / secs,
            p.rejected
        );
        if tty {
            eprint!("\r\x1b[2K{line}");
        } else {
            eprintln!("{line}");
        }
    };
    let report = remote::push(
        &client,
        &target,
        &local,
        opened.digest(),
        &opts,
        &mut progress,
    )
    .with_context(|| format!("pushing to {}", target.display()))?;
    if tty {
        eprint!("\r\x1b[2K");
    }
    print_report(
        a,
        &target,
        &report,
        started.elapsed().as_secs_f64(),
        out,
        err,
    )
}

fn print_report(
    a: &PushArgs,
    target: &Target,
    report: &remote::PushReport,
    secs: f64,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<Outcome> {
    let dest = escape_control(&target.display()).into_owned();
    if report.already {
        writeln!(
            out,
            "bundle {} is already in {dest} ({} events): nothing pushed",
            report.digest, report.total
        )?;
        return Ok(Outcome::Ok);
    }
    if report.created {
        writeln!(out, "created index {dest}")?;
    }
    if let Some(from) = report.resumed_from {
        writeln!(
            out,
            "resumed an interrupted push at event {from} of {}",
            report.total
        )?;
    }
    let secs = secs.max(0.001);
    writeln!(
        out,
        "pushed {} of {} events to {dest} ({} rejected) in {secs:.1} s, {:.0} events/s",
        report.pushed,
        report.total,
        report.rejected,
        report.pushed as f64 / secs
    )?;
    if !report.complete {
        writeln!(
            out,
            "stopped after {} batch(es): run the same push again to continue",
            a.max_batches.unwrap_or_default()
        )?;
    }
    if report.rejected > 0 {
        writeln!(err, "rejected documents, by reason:")?;
        for (reason, n) in &report.reasons {
            writeln!(err, "  {n}: {}", escape_control(reason))?;
        }
        return Ok(Outcome::Problems);
    }
    Ok(Outcome::Ok)
}
