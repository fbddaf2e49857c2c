//! Command-line interface (clap derive). Parsing only: each command is carried out by
//! `cmd`, which the tests call without a terminal.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// auditlens: explore, search and verify machine-learning audit-log bundles.
///
/// With no subcommand, opens the interactive explorer on the given bundles.
#[derive(Debug, Parser)]
#[command(name = "auditlens", version, about, long_about = None, args_conflicts_with_subcommands = true)]
pub struct Cli {
    /// Subcommand; none opens the interactive explorer.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Bundles to open in the explorer (folders, .tar, .tar.gz, .jsonl, .json, .gz).
    pub paths: Vec<PathBuf>,
    /// Index and loading options.
    #[command(flatten)]
    pub load: LoadArgs,
    /// Explorer display options.
    #[command(flatten)]
    pub ui: UiArgs,
}

/// Options of the interactive explorer.
#[derive(Debug, Clone, Default, Args)]
pub struct UiArgs {
    /// Time zone for displayed times: utc (default) or local.
    #[arg(long, global = true, value_name = "ZONE", value_parser = ["utc", "local"])]
    pub tz: Option<String>,
    /// Turn mouse support on (click and wheel; off by default so the terminal's own
    /// selection and copy keep working).
    #[arg(long, global = true)]
    pub mouse: bool,
    /// Colour theme: dark (default) or light. `NO_COLOR` turns colours off.
    #[arg(long, global = true, value_name = "NAME", value_parser = ["dark", "light"])]
    pub theme: Option<String>,
}

/// `auditlens open`.
#[derive(Debug, Args)]
pub struct OpenArgs {
    /// Bundles or files; none opens the shipped sample (sample-data/pristine).
    pub paths: Vec<PathBuf>,
}

/// Options shared by every command that loads bundles.
#[derive(Debug, Clone, Args)]
pub struct LoadArgs {
    /// Where cached indexes live [default: $`XDG_CACHE_HOME/auditlens`].
    #[arg(long, global = true, value_name = "DIR")]
    pub index_dir: Option<PathBuf>,
    /// Ignore any cached index and index the inputs again.
    #[arg(long, global = true)]
    pub reindex: bool,
    /// Longest accepted input line in bytes; longer lines are reported and skipped.
    #[arg(long, global = true, value_name = "BYTES", default_value_t = 16 << 20)]
    pub max_line_bytes: usize,
    /// Largest pretty-printed JSON document loaded whole, in bytes.
    #[arg(long, global = true, value_name = "BYTES", default_value_t = 512 << 20)]
    pub max_document_bytes: usize,
    /// Index writer memory budget in MB (at least 15 per thread).
    #[arg(long, global = true, value_name = "MB", default_value_t = 100)]
    pub writer_mb: usize,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Open the interactive explorer (the default when no subcommand is given).
    Open(OpenArgs),
    /// Search events: newest first, one line each (or JSON lines, or CSV).
    ///
    /// QUERY uses the query language: bare words search the message and the original
    /// record; `field:value` matches a keyword field exactly (action, category, severity,
    /// outcome, actor.id, actor.type, actor.ip, resource.type, resource.id, model.id,
    /// model.version, `run_id`, `correlation_id`, environment, source, stream, ...);
    /// `details.<path>:value` searches inside details; AND, OR, NOT, "phrases",
    /// ranges like `ts:[2024-01-01T00:00:00Z TO 2024-02-01T00:00:00Z]`; `*` matches all.
    Search(SearchArgs),
    /// Summarise bundles: events, skipped lines and errors, time range, counts by
    /// category, severity, outcome, stream and format.
    Stats(StatsArgs),
    /// Write a deterministic sample bundle: a realistic ML-platform story with planted
    /// incidents, as hash-chained native streams with a manifest.
    Sample(SampleArgs),
}

/// `auditlens search`.
#[derive(Debug, Args)]
pub struct SearchArgs {
    /// Bundles or files to search, followed by the QUERY (the last argument).
    #[arg(value_name = "PATH... QUERY", required = true, num_args = 1..)]
    pub args: Vec<String>,
    /// The query, given as an option (then every positional argument is a path).
    #[arg(short, long)]
    pub query: Option<String>,
    /// Only events at or after this time (RFC 3339).
    #[arg(long, value_name = "TS")]
    pub from: Option<String>,
    /// Only events before this time (RFC 3339, exclusive).
    #[arg(long, value_name = "TS")]
    pub to: Option<String>,
    /// How many events to print.
    #[arg(long, default_value_t = 100)]
    pub limit: usize,
    /// Events to skip before printing.
    #[arg(long, default_value_t = 0)]
    pub offset: usize,
    /// Oldest events first.
    #[arg(long)]
    pub oldest_first: bool,
    /// Print only the number of matches.
    #[arg(long, conflicts_with_all = ["json", "csv"])]
    pub count: bool,
    /// One JSON object per event: its fields, source location and original record.
    #[arg(long, conflicts_with = "csv")]
    pub json: bool,
    /// CSV with a header row.
    #[arg(long)]
    pub csv: bool,
}

/// `auditlens stats`.
#[derive(Debug, Args)]
pub struct StatsArgs {
    /// Bundles or files.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// JSON output.
    #[arg(long)]
    pub json: bool,
}

/// `auditlens sample`.
#[derive(Debug, Args)]
pub struct SampleArgs {
    /// Output folder (created; must be empty or absent).
    #[arg(long)]
    pub out: PathBuf,
    /// Approximate number of events.
    #[arg(long, default_value_t = 3000)]
    pub events: u64,
    /// Random seed: the same seed gives the same bytes.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
}
