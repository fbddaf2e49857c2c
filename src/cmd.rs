//! Carrying out the commands: opening indexes with progress, printing results. Every
//! command writes to the `Write` it is given, so tests call them without a terminal.
//!
//! Allowed imports: every library module; anyhow at this edge.

mod access_log;
pub mod alerts;
mod export;
mod keygen;
mod lineage;
mod open;
mod seal;
mod search;
mod stats;
mod verify;
mod watch;

pub use lineage::{LineageObserver, load_graph};

use std::fmt::Write as _;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result, bail};

use crate::cli::{Cli, Command, LoadArgs};
use crate::index::{BuildOptions, OpenedIndex, open_or_build};
use crate::ingest::{IngestOptions, IngestProgress, ReadLimits};
use crate::model::escape_control;

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
    match cli.command {
        Some(Command::Search(a)) => search::run(&a, &cli.load, out, err),
        Some(Command::Stats(a)) => stats::run(&a, &cli.load, out, err),
        Some(Command::Lineage(a)) => lineage::run_lineage(&a, &cli.load, out, err),
        Some(Command::Impact(a)) => lineage::run_impact(&a, &cli.load, out, err),
        Some(Command::Alerts(a)) => alerts::run(&a, &cli.load, out, err),
        Some(Command::Watch(a)) => watch::run(&a, &cli.load, out, err),
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
            access_log::record_verify(&a.bundles, &cli.load)?;
            verify::run(&a, cli.load.trust.as_ref(), out, err)
        }
        Some(Command::Export(a)) => export::run(&a, &cli.load, out, err),
        Some(Command::AccessLog(a)) => access_log::run(&a, out),
        Some(Command::Keygen(a)) => keygen::run(&a, out),
        Some(Command::Seal(a)) => seal::run(&a, &cli.load, out, err),
        Some(Command::Open(a)) => open::run(a.paths, &cli.load, &cli.ui),
        None => open::run(cli.paths, &cli.load, &cli.ui),
    }
}

/// Build options for `paths`: the load arguments, the integrity statuses of sealed inputs
/// checked against the trust store, and that trust store in the cache key (a different
/// store gives different statuses, so a different index).
pub fn prepare_build(paths: &[PathBuf], load: &LoadArgs) -> Result<crate::index::BuildOptions> {
    let mut opts = build_options(load);
    let (trust, trust_bytes) = index_trust(load)?;
    opts.ingest.status = crate::integrity::status_lookup_with(paths, trust);
    opts.key_extra = trust_bytes;
    // The generic mapping decides what an index holds: it keys the cache too.
    let mapping = crate::config::generic_mapping(crate::config::config_dir().as_deref())?;
    let mapping = crate::ingest::set_generic_mapping(mapping);
    opts.key_extra.extend_from_slice(b"\0generic-mapping\0");
    opts.key_extra.extend_from_slice(mapping.key().as_bytes());
    Ok(opts)
}

/// The trust store behind the integrity statuses of an index: `--trust FILE` (must be
/// readable), else `$AUDITLENS_TRUST`, else the default location (absent: nothing trusted).
/// Also returns its bytes, which key the cache.
pub fn index_trust(load: &LoadArgs) -> Result<(Option<crate::integrity::TrustStore>, Vec<u8>)> {
    let read = |p: &std::path::Path| -> Result<(Option<crate::integrity::TrustStore>, Vec<u8>)> {
        let bytes =
            std::fs::read(p).with_context(|| format!("reading the trust store {}", p.display()))?;
        let store = crate::integrity::TrustStore::read(p)
            .with_context(|| format!("reading the trust store {}", p.display()))?;
        Ok((Some(store), bytes))
    };
    if let Some(p) = &load.trust {
        return read(p);
    }
    let implicit = std::env::var_os(crate::integrity::TRUST_ENV)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(crate::integrity::default_trust_path);
    match implicit {
        Some(p) if p.exists() => read(&p),
        _ => Ok((None, Vec::new())),
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

/// Checks that every input named on the command line exists, is a folder or a regular file
/// (links there are followed; FIFOs, devices and sockets are refused, never opened) and, for
/// a file, can be opened: exit 2 otherwise. What cannot be read inside a folder is not an
/// error here: the load reports it, naming its path, and loads the rest.
pub fn check_inputs(paths: &[PathBuf]) -> Result<()> {
    if paths.is_empty() {
        bail!("no input given");
    }
    for p in paths {
        let kind = crate::ingest::input_kind(p).map_err(|e| anyhow::anyhow!("cannot read {e}"))?;
        if kind != crate::ingest::InputKind::Folder {
            std::fs::File::open(p).with_context(|| format!("cannot open {}", p.display()))?;
        }
    }
    Ok(())
}

/// Build options from the shared load arguments.
pub fn build_options(load: &LoadArgs) -> BuildOptions {
    BuildOptions {
        index_dir: load.index_dir.clone(),
        reindex: load.reindex,
        ingest: IngestOptions {
            limits: ReadLimits {
                max_line_bytes: load.max_line_bytes,
                max_document_bytes: load.max_document_bytes,
            },
            status: None,
        },
        writer_budget: load.writer_mb.saturating_mul(1_000_000),
        observers: vec![Box::new(lineage::LineageObserver::default())],
        ..BuildOptions::default()
    }
}

/// Opens (or builds) the index of `paths`, showing progress on stderr when it is a terminal.
pub fn open_index(paths: &[PathBuf], load: &LoadArgs, err: &mut dyn Write) -> Result<OpenedIndex> {
    check_inputs(paths)?;
    let mut opts = prepare_build(paths, load)?;
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
    let opened = open_or_build(paths, &mut opts, &mut progress, &mut |n| notes.push(n))
        .with_context(|| format!("opening the index of {}", display_paths(paths)))?;
    if shown {
        eprint!("\r\x1b[2K");
    }
    for n in notes {
        writeln!(err, "note: {}", escape_control(&n))?;
    }
    Ok(opened)
}

/// Prints a short account of what could not be loaded, so nothing is skipped silently.
pub fn report_skipped(opened: &OpenedIndex, err: &mut dyn Write) -> Result<()> {
    let s = &opened.summary;
    let header = format!(
        "warning: {} problem(s) while loading, {} record(s) skipped:",
        s.errors_total, s.skipped
    );
    write_problems(s, &header, 5, err)
}

/// Lists the first `max` loading problems of `summary` on `err` under `header` (nothing
/// when there are none), with a count of the rest.
pub fn write_problems(
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
            "  ... and {} more (auditlens stats --json lists them)",
            s.errors_total - max as u64
        )?;
    }
    Ok(())
}

fn display_paths(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}
