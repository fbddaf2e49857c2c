//! Carrying out the commands: opening indexes with progress, printing results. Every
//! command writes to the `Write` it is given, so tests call them without a terminal.
//!
//! Allowed imports: every library module; anyhow at this edge.

mod open;
mod search;
mod stats;

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result, bail};

use crate::cli::{Cli, Command, LoadArgs};
use crate::index::{BuildOptions, OpenedIndex, open_or_build};
use crate::ingest::{IngestOptions, IngestProgress, ReadLimits, input_files};
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
        Some(Command::Sample(a)) => {
            let report = crate::sample::write_sample(&a.out, a.events, a.seed)
                .with_context(|| format!("writing the sample bundle to {}", a.out.display()))?;
            writeln!(out, "{report}")?;
            Ok(Outcome::Ok)
        }
        Some(Command::Open(a)) => open::run(a.paths, &cli.load, &cli.ui),
        None => open::run(cli.paths, &cli.load, &cli.ui),
    }
}

/// Checks that every input exists and is readable (exit 2 otherwise).
pub fn check_inputs(paths: &[PathBuf]) -> Result<()> {
    if paths.is_empty() {
        bail!("no input given");
    }
    for p in paths {
        std::fs::metadata(p).with_context(|| format!("cannot read {}", p.display()))?;
    }
    let files = input_files(paths).context("listing the inputs")?;
    for (f, _) in &files {
        std::fs::File::open(f).with_context(|| format!("cannot open {}", f.display()))?;
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
        ..BuildOptions::default()
    }
}

/// Opens (or builds) the index of `paths`, showing progress on stderr when it is a terminal.
pub fn open_index(paths: &[PathBuf], load: &LoadArgs, err: &mut dyn Write) -> Result<OpenedIndex> {
    check_inputs(paths)?;
    let mut opts = build_options(load);
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
    if s.errors_total == 0 {
        return Ok(());
    }
    writeln!(
        err,
        "warning: {} problem(s) while loading, {} record(s) skipped:",
        s.errors_total, s.skipped
    )?;
    for e in s.errors.iter().take(5) {
        let line = e.line.map(|l| format!(":{l}")).unwrap_or_default();
        writeln!(
            err,
            "  {}{line}: {}",
            escape_control(&e.path),
            escape_control(&e.reason)
        )?;
    }
    if s.errors_total > 5 {
        writeln!(
            err,
            "  ... and {} more (auditlens stats --json lists them)",
            s.errors_total - 5
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
