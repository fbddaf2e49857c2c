//! Carrying out the commands: opening indexes with progress, printing results. Every
//! command writes to the `Write` it is given, so tests call them without a terminal.
//!
//! Allowed imports: `cli`, `settings`, `session` (every command opens its inputs through
//! it), the domain modules for printing (`model`, `store`, `index`, `ingest`, `integrity`,
//! `lineage`, `alerts`, `governance`, `privacy`, `remote`, `sample`), `app` and `ui`'s
//! settings (to start the explorer); anyhow at this edge.

mod access_log;
mod alerts;
mod export;
mod keygen;
mod lineage;
mod open;
mod push;
mod report;
mod seal;
mod search;
mod stats;
mod verify;
mod watch;

use std::fmt::Write as _;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result};

use crate::cli::{Cli, Command};
use crate::ingest::IngestProgress;
use crate::model::escape_control;
use crate::session::{Opened, Session};
use crate::settings::Settings;

/// How a command ended, as a process exit code: 0 success, 1 problems found
/// (tampering, alerts), 2 errors (`main` maps `Err` to 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Exit 0.
    Ok,
    /// Exit 1: the command ran and found problems.
    Problems,
}

impl Outcome {
    /// The exit code.
    pub fn code(self) -> u8 {
        match self {
            Self::Ok => 0,
            Self::Problems => 1,
        }
    }
}

/// Runs a parsed command line, writing results to `out` and notes to `err`.
pub fn run(cli: Cli, out: &mut dyn Write, err: &mut dyn Write) -> Result<Outcome> {
    // The flags, the environment and the configuration files, read once (not for the
    // commands that read no logs).
    let settings = || Settings::from_args(&cli.load);
    let session = || settings().map(Session::new);
    match cli.command {
        Some(Command::Search(a)) => search::run(&a, &session()?, out, err),
        Some(Command::Stats(a)) => stats::run(&a, &session()?, out, err),
        Some(Command::Lineage(a)) => lineage::run_lineage(&a, &session()?, out, err),
        Some(Command::Impact(a)) => lineage::run_impact(&a, &session()?, out, err),
        Some(Command::Alerts(a)) => alerts::run(&a, &session()?, out, err),
        Some(Command::Watch(a)) => watch::run(&a, &session()?, out, err),
        Some(Command::Sample(a)) => {
            let report = crate::sample::write_sample(&a.out, a.events, a.seed, a.unsigned)
                .with_context(|| format!("writing the sample bundle to {}", a.out.display()))?;
            writeln!(out, "{report}")?;
            if let Some(t) = &a.trust_out {
                crate::sample::demo_trust_store()
                    .write(t)
                    .with_context(|| format!("writing {}", t.display()))?;
                writeln!(out, "wrote the demo trust store to {}", t.display())?;
            }
            if let Some(dir) = &a.tampered_out {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("creating {}", dir.display()))?;
                let work = tempfile_dir(dir)?;
                let variants = crate::integrity::tamper::write_tampered(&a.out, &work)
                    .with_context(|| format!("writing tampered copies under {}", dir.display()))?;
                for t in &variants {
                    let target = dir.join(format!("{}.tar.gz", t.name));
                    crate::sample::pack_tar_gz(&work.join(t.name), &target)
                        .with_context(|| format!("writing {}", target.display()))?;
                }
                std::fs::remove_dir_all(&work)
                    .with_context(|| format!("removing {}", work.display()))?;
                let mut doc = String::from(
                    "# Tampered copies of the sample bundle\n\nWritten by `auditlens sample --tampered-out`. \
                     Each `.tar.gz` is the pristine bundle with one kind of tampering; `auditlens verify \
                     --trust sample-data/trust.json <variant>.tar.gz` must give the verdict and findings below.\n",
                );
                for t in &variants {
                    let _ = write!(
                        doc,
                        "\n## {}\n\n{}\n\nverdict: `{}`\n\n",
                        t.name, t.description, t.verdict
                    );
                    for e in &t.expect {
                        let range = match (e.seq, e.seq_end) {
                            (Some(a), Some(b)) if a != b => format!(" at seq {a}..{b}"),
                            (Some(a), _) => format!(" at seq {a}"),
                            _ => String::new(),
                        };
                        let _ = writeln!(doc, "- `{}`{range}", e.code);
                    }
                }
                std::fs::write(dir.join("EXPECTED.md"), doc)
                    .with_context(|| format!("writing {}", dir.display()))?;
                writeln!(
                    out,
                    "wrote {} tampered copies under {}",
                    variants.len(),
                    dir.display()
                )?;
            }
            if let Some(k) = &a.key_out {
                std::fs::write(
                    k,
                    crate::sample::demo_key().to_file_json("auditlens demo key (sample data only)"),
                )
                .with_context(|| format!("writing {}", k.display()))?;
                writeln!(
                    out,
                    "wrote the demo private key to {} (demo only: its seed is public)",
                    k.display()
                )?;
            }
            Ok(Outcome::Ok)
        }
        Some(Command::Verify(a)) => {
            let settings = settings()?;
            access_log::record_verify(&a.bundles, &settings)?;
            verify::run(&a, &settings.trust, out, err)
        }
        Some(Command::Export(a)) => export::run(&a, &session()?, out, err),
        Some(Command::Push(a)) => push::run(&a, &session()?, out, err),
        Some(Command::AccessLog(a)) => access_log::run(&a, out),
        Some(Command::Report(a)) => report::run(&a, &session()?, out, err),
        Some(Command::VerifyReport(a)) => report::run_verify(&a, &settings()?, out),
        Some(Command::Keygen(a)) => keygen::run(&a, out),
        Some(Command::Seal(a)) => seal::run(&a, &session()?, out, err),
        Some(Command::Open(a)) => open::run(a.paths, a.remote.as_deref(), &session()?, &cli.ui),
        None => open::run(cli.paths, cli.remote.as_deref(), &session()?, &cli.ui),
    }
}

/// A fresh scratch folder inside `parent` (removed by the caller).
fn tempfile_dir(parent: &std::path::Path) -> Result<PathBuf> {
    let p = parent.join(format!(".work-{}", std::process::id()));
    if p.exists() {
        std::fs::remove_dir_all(&p).with_context(|| format!("clearing {}", p.display()))?;
    }
    std::fs::create_dir_all(&p).with_context(|| format!("creating {}", p.display()))?;
    Ok(p)
}

/// The Quickwit index at `URL[/INDEX]` as a store, with the error naming the URL. Its
/// hits are decoded again with the settings' generic mapping, as a push decoded them.
pub(crate) fn remote_store(url: &str, settings: &Settings) -> Result<crate::remote::RemoteStore> {
    let target = crate::remote::Target::parse(url, None).map_err(|e| anyhow::anyhow!("{e}"))?;
    crate::remote::RemoteStore::open(target, crate::remote::store_timeout())
        .map(|store| store.with_mapping(std::sync::Arc::clone(&settings.mapping)))
        .map_err(|e| anyhow::anyhow!("{e}"))
        .with_context(|| format!("opening the remote index {url}"))
}

/// The access-trail entry of a look at a remote index: its URL and index in the filters.
pub(crate) fn remote_entry(
    command: &str,
    store: &crate::remote::RemoteStore,
    query: Option<&str>,
    mut filters: serde_json::Value,
) -> crate::privacy::TrailEntry {
    if let serde_json::Value::Object(m) = &mut filters {
        m.insert("remote".into(), store.target().base.clone().into());
        m.insert("index".into(), store.target().index.clone().into());
    }
    crate::privacy::TrailEntry {
        command: command.into(),
        inputs: vec![store.target().display()],
        query: query.map(str::to_owned),
        filters,
        ..crate::privacy::TrailEntry::default()
    }
}

/// Opens (or builds) the index of `paths` through the session, showing progress on stderr
/// when it is a terminal.
pub(crate) fn open_index(
    session: &Session,
    paths: &[PathBuf],
    err: &mut dyn Write,
) -> Result<Opened> {
    let tty = std::io::stderr().is_terminal();
    let started = Instant::now();
    let mut shown = false;
    let mut progress = |p: IngestProgress| {
        if !tty {
            return;
        }
        let secs = started.elapsed().as_secs_f64().max(0.001);
        let pct = if p.bytes_total > 0 {
            (p.bytes_read as f64 * 100.0 / p.bytes_total as f64).min(100.0)
        } else {
            0.0
        };
        eprint!(
            "\r\x1b[2Kindexing: {pct:5.1}%  {} events  {:.0} events/s  {} errors",
            p.events,
            p.events as f64 / secs,
            p.errors
        );
        shown = true;
    };
    let mut notes = Vec::new();
    let opened = session.open(paths, &mut progress, &mut |n| notes.push(n))?;
    if shown {
        eprint!("\r\x1b[2K");
    }
    for n in notes {
        writeln!(err, "note: {}", escape_control(&n))?;
    }
    Ok(opened)
}

/// Builds the index of `paths` anew, in place of a cached one found damaged.
pub(crate) fn rebuild_index(
    session: &Session,
    paths: &[PathBuf],
    err: &mut dyn Write,
) -> Result<Opened> {
    let again = Session::new(Settings {
        reindex: true,
        ..session.settings().clone()
    });
    open_index(&again, paths, err)
}

/// Prints a short account of what could not be loaded, so nothing is skipped silently.
pub(crate) fn report_skipped(opened: &Opened, err: &mut dyn Write) -> Result<()> {
    let s = opened.summary();
    let header = format!(
        "warning: {} problem(s) while loading, {} record(s) skipped:",
        s.errors_total, s.skipped
    );
    write_problems(s, &header, 5, err)
}

/// Lists the first `max` loading problems of `summary` on `err` under `header` (nothing
/// when there are none), with a count of the rest.
pub(crate) fn write_problems(
    summary: &crate::ingest::IngestSummary,
    header: &str,
    max: usize,
    err: &mut dyn Write,
) -> Result<()> {
    let s = summary;
    if s.errors_total == 0 {
        return Ok(());
    }
    writeln!(err, "{header}")?;
    for e in s.errors.iter().take(max) {
        let line = e.line.map(|l| format!(":{l}")).unwrap_or_default();
        writeln!(
            err,
            "  {}{line}: {}",
            escape_control(&e.path),
            escape_control(&e.reason)
        )?;
    }
    if s.errors_total > max as u64 {
        writeln!(
            err,
            "  ... and {} more (auditlens stats --problems lists them)",
            s.errors_total - max as u64
        )?;
    }
    Ok(())
}
