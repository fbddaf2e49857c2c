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
    /// Explore a Quickwit index instead of local bundles: `URL[/INDEX]` (see `push`).
    #[arg(long, value_name = "URL[/INDEX]", conflicts_with = "paths")]
    pub remote: Option<String>,
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
    /// Explore a Quickwit index instead of local bundles: `URL[/INDEX]` (see `push`).
    #[arg(long, value_name = "URL[/INDEX]", conflicts_with = "paths")]
    pub remote: Option<String>,
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
    /// Hash the inputs again instead of trusting their fingerprint (paths, sizes, times),
    /// rebuilding when their content differs from the cached index's, and check every byte
    /// of the cached index before reusing it.
    #[arg(long, global = true)]
    pub verify_cache: bool,
    /// Longest accepted input line in bytes; longer lines are reported and skipped.
    #[arg(long, global = true, value_name = "BYTES", default_value_t = 16 << 20)]
    pub max_line_bytes: usize,
    /// Largest pretty-printed JSON document loaded whole, in bytes.
    #[arg(long, global = true, value_name = "BYTES", default_value_t = 512 << 20)]
    pub max_document_bytes: usize,
    /// Trust store for signature checks [default: `$AUDITLENS_TRUST`, else
    /// `$XDG_CONFIG_HOME/auditlens/trust.json`]; keys inside a bundle are never trusted.
    #[arg(long, global = true, value_name = "FILE")]
    pub trust: Option<PathBuf>,
    /// Index writer memory budget in MB (at least 15 per thread).
    #[arg(long, global = true, value_name = "MB", default_value_t = crate::index::DEFAULT_WRITER_MB)]
    pub writer_mb: usize,
    /// Threads that build an index (decoding and indexing) [default: the cores, at most 8].
    #[arg(long, global = true, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=256))]
    pub threads: Option<u16>,
    /// Show secrets and personal data as they are (masked by default); recorded in the
    /// access trail.
    #[arg(long, global = true)]
    pub unmask: bool,
    /// View the logs as this role (a policy in roles.json: sre, auditor, analyst, ...);
    /// recorded in the access trail.
    #[arg(long, global = true, value_name = "NAME")]
    pub role: Option<String>,
    /// Record only that the command ran (who, when, which command) in the access trail, not
    /// its query, inputs or bundle.
    #[arg(long, global = true)]
    pub no_trail: bool,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Open the interactive explorer (the default when no subcommand is given).
    Open(OpenArgs),
    /// Search events: newest first, one line each (or JSON lines, or CSV).
    ///
    /// QUERY uses the query language: bare words search the message and the values of the
    /// original record (not its field names); `field:value` matches a keyword field exactly (action, category, severity,
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
    /// Verify sealed bundles against the local trust store: every record line gets one
    /// status (VERIFIED, MODIFIED, DELETED gaps, ...); exit 0 verified, 1 tampered or
    /// unverified, 2 error.
    Verify(VerifyArgs),
    /// Generate an Ed25519 signing key and its trust-store entry.
    Keygen(KeygenArgs),
    /// Seal exports auditlens can read into a signed native bundle.
    Seal(SealArgs),
    /// Lineage of a model: each version with the run that produced it, everything upstream
    /// (feature sets, datasets, sources), evaluations, approvals, and everything downstream
    /// (deployments, endpoints, prediction counts). `--list` lists models and versions.
    Lineage(LineageArgs),
    /// Impact of a dataset: every feature set, run, model version, deployment and endpoint
    /// downstream of it (all its versions, or ID@VERSION).
    Impact(ImpactArgs),
    /// Evaluate alert rules over bundles and list each alert with the events behind it.
    ///
    /// Exit status: 0 no alert, 1 alerts found, 2 error. The default rules are
    /// embedded; `--rules FILE` adds to them, replaces them or disables some (see README).
    Alerts(AlertsArgs),
    /// Follow growing JSON-lines files (like `tail -F`, through rotation and truncation)
    /// and print each alert the moment it fires. Stop with Ctrl-C.
    Watch(WatchArgs),
    /// Export matching events for a SIEM (JSON lines, CSV or OCSF), masked unless
    /// --unmask, with a sha256sum sidecar FILE.sha256.
    Export(ExportArgs),
    /// Push bundles into a Quickwit index (created when missing): every event with its
    /// integrity status, origin, bundle digest and lineage keys. Pushing the same bundle
    /// again does nothing; an interrupted push resumes where it stopped. Exit 1 when the
    /// server rejected documents (listed with their reasons).
    Push(PushArgs),
    /// Show the access trail (who looked at which bundle, when, how) and verify its chain.
    AccessLog(AccessLogArgs),
    /// Compliance report against a standard's controls (eu-ai-act, iso42001, soc2, gdpr,
    /// nist-ai-rmf): each control's checks with status met, gap or not evidenced and the
    /// evidence of every finding. Exit 1 when a control has a gap.
    Report(ReportArgs),
    /// Check a signed report: its seal FILE.sig (signature by a trusted key, the report's
    /// digest) and that the inputs it names still have those digests.
    VerifyReport(VerifyReportArgs),
}

/// `auditlens report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Bundles or files.
    #[arg(required_unless_present = "remote", conflicts_with = "remote")]
    pub paths: Vec<PathBuf>,
    /// Report on a Quickwit index instead: `URL[/INDEX]` (see `push`); the integrity section
    /// is what each push recorded (verdict, findings, input digests) and the pushed statuses.
    #[arg(long, value_name = "URL[/INDEX]")]
    pub remote: Option<String>,
    /// The standard: eu-ai-act, iso42001, soc2, gdpr, nist-ai-rmf, or a catalog in
    /// $`XDG_CONFIG_HOME/auditlens/controls/NAME.json`.
    #[arg(long, value_name = "NAME")]
    pub standard: String,
    /// Only events at or after this time (RFC 3339).
    #[arg(long, value_name = "TS")]
    pub from: Option<String>,
    /// Only events before this time (RFC 3339, exclusive).
    #[arg(long, value_name = "TS")]
    pub to: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    pub format: ReportFormat,
    /// Write the report to FILE instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Sign the report with this key file (from `auditlens keygen`): writes FILE.sig.
    #[arg(long, value_name = "KEY", requires = "out")]
    pub sign: Option<PathBuf>,
    /// Replace an existing FILE (and, with --sign, FILE.sig); without it an existing one is
    /// refused before anything is computed or recorded.
    #[arg(long, requires = "out")]
    pub force: bool,
}

/// Report formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    /// Plain text for the terminal.
    Text,
    /// JSON (schema in README).
    Json,
    /// Markdown.
    Md,
    /// One self-contained HTML file (no network, no script).
    Html,
}

/// `auditlens verify-report`.
#[derive(Debug, Args)]
pub struct VerifyReportArgs {
    /// The report file (its seal is FILE.sig).
    pub file: PathBuf,
}

/// Which events a command works on: inputs, query and time window (`search`, `export`).
#[derive(Debug, Args)]
pub struct Selection {
    /// Bundles or files, followed by the QUERY (the last argument; `*` for everything).
    /// With --remote, only the QUERY.
    #[arg(value_name = "PATH... QUERY", required_unless_present_any = ["remote", "query"], num_args = 1..)]
    pub args: Vec<String>,
    /// Search a Quickwit index instead of local bundles: `URL[/INDEX]` (see `push`).
    #[arg(long, value_name = "URL[/INDEX]")]
    pub remote: Option<String>,
    /// The query, given as an option (then every positional argument is a path).
    #[arg(short, long)]
    pub query: Option<String>,
    /// Only events at or after this time (RFC 3339).
    #[arg(long, value_name = "TS")]
    pub from: Option<String>,
    /// Only events before this time (RFC 3339, exclusive).
    #[arg(long, value_name = "TS")]
    pub to: Option<String>,
}

/// `auditlens export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Inputs, query and time window.
    #[command(flatten)]
    pub select: Selection,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ExportFormat::Jsonl)]
    pub format: ExportFormat,
    /// The file to write (its checksum goes to FILE.sha256).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Replace an existing FILE.
    #[arg(long)]
    pub force: bool,
}

/// Export formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    /// One JSON object per line: the event in the auditlens event model, re-loadable by auditlens.
    Jsonl,
    /// CSV with a header row; cells starting with = + - @ get a leading '.
    Csv,
    /// OCSF 1.x JSON lines: API Activity (6003), Authentication (3002), else Base Event (0).
    Ocsf,
}

/// `auditlens push`.
#[derive(Debug, Args)]
pub struct PushArgs {
    /// Bundles or files.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// The Quickwit server: `URL[/INDEX]` (e.g. `http://127.0.0.1:7280/audit`).
    #[arg(long, value_name = "URL")]
    pub to: String,
    /// The index [default: the URL's last path segment, else `auditlens`].
    #[arg(long, value_name = "NAME")]
    pub index: Option<String>,
    /// Retention of a new index (180d, 26w, 1y): Quickwit deletes older events. AI Act
    /// Art. 19 asks for at least six months.
    #[arg(long, value_name = "PERIOD")]
    pub retention: Option<String>,
    /// Push masked records (the store never holds the personal data auditlens masks).
    #[arg(long)]
    pub mask: bool,
    /// Events per batch.
    #[arg(long, value_name = "N", default_value_t = 5000)]
    pub batch: usize,
    /// Stop after N batches; the next push of the same bundle continues from there.
    #[arg(long, value_name = "N")]
    pub max_batches: Option<usize>,
}

/// `auditlens access-log`.
#[derive(Debug, Args)]
pub struct AccessLogArgs {
    /// One JSON object per entry.
    #[arg(long)]
    pub json: bool,
    /// Verify the hash chain of every stream; exit 1 naming the line when it is broken.
    #[arg(long)]
    pub verify: bool,
    /// Trail folder [default: $`XDG_DATA_HOME/auditlens/access`].
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

/// `auditlens search`.
#[derive(Debug, Args)]
pub struct SearchArgs {
    /// Inputs, query and time window.
    #[command(flatten)]
    pub select: Selection,
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
    #[arg(required_unless_present = "remote")]
    pub paths: Vec<PathBuf>,
    /// Summarise a Quickwit index instead of local bundles: `URL[/INDEX]`.
    #[arg(long, value_name = "URL[/INDEX]", conflicts_with = "paths")]
    pub remote: Option<String>,
    /// JSON output.
    #[arg(long)]
    pub json: bool,
    /// List every loading problem instead (file, line, kind, reason), by file: the first
    /// 100 of each file and a count of the rest. Exit 1 when there are any.
    #[arg(long)]
    pub problems: bool,
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
    /// Also write a trust store holding the demo key to this file.
    #[arg(long, value_name = "FILE")]
    pub trust_out: Option<PathBuf>,
    /// Also write the demo private key (for trying `seal`) to this file.
    #[arg(long, value_name = "FILE")]
    pub key_out: Option<PathBuf>,
    /// Leave the bundle unsigned.
    #[arg(long)]
    pub unsigned: bool,
    /// Also write tampered copies of the bundle under this folder (one bundle per kind of
    /// tampering) with EXPECTED.md, the verify report each must produce.
    #[arg(long, value_name = "DIR")]
    pub tampered_out: Option<PathBuf>,
}

/// `auditlens verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Sealed bundles: folders, .tar or .tar.gz (several: their export chain is checked too).
    #[arg(required = true, value_name = "BUNDLE")]
    pub bundles: Vec<PathBuf>,
    /// Exit 0 when nothing is wrong but the bundle is unsigned or its key is not trusted.
    #[arg(long)]
    pub allow_unsigned: bool,
    /// Print the report as one JSON object per bundle.
    #[arg(long)]
    pub json: bool,
    /// Also report records that are not in RFC 8785 canonical form (`NON_CANONICAL`).
    #[arg(long)]
    pub strict: bool,
}

/// `auditlens keygen`.
#[derive(Debug, Args)]
pub struct KeygenArgs {
    /// Folder for signing-key.json (secret) and trust.json (its trust-store entry).
    #[arg(long)]
    pub out: PathBuf,
    /// Signer name recorded in the trust store.
    #[arg(long, default_value = "auditlens")]
    pub name: String,
}

/// `auditlens seal`.
#[derive(Debug, Args)]
pub struct SealArgs {
    /// Exports to seal: anything auditlens reads (folders, .tar, .tar.gz, .jsonl, .json, .gz).
    #[arg(required = true, value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,
    /// The bundle folder to write (must be absent or empty).
    #[arg(long)]
    pub out: PathBuf,
    /// Signing key file from `auditlens keygen` (without it the bundle is unsigned).
    #[arg(long, value_name = "FILE")]
    pub key: Option<PathBuf>,
    /// Put every record in this stream [default: the record's own stream, else `sealed`].
    #[arg(long, value_name = "ID")]
    pub stream: Option<String>,
    /// A previous bundle whose chain this export continues.
    #[arg(long, value_name = "BUNDLE")]
    pub prev: Option<PathBuf>,
    /// Bundle id [default: the previous bundle's, else the output folder name].
    #[arg(long)]
    pub bundle_id: Option<String>,
}

/// `auditlens lineage`.
#[derive(Debug, Args)]
pub struct LineageArgs {
    /// Bundles or files.
    #[arg(required_unless_present = "remote", conflicts_with = "remote")]
    pub paths: Vec<PathBuf>,
    /// Build the graph from a Quickwit index instead: `URL[/INDEX]` (see `push`).
    #[arg(long, value_name = "URL[/INDEX]")]
    pub remote: Option<String>,
    /// The model id.
    #[arg(long, required_unless_present = "list", conflicts_with = "list")]
    pub model: Option<String>,
    /// Only this version of the model.
    #[arg(long, requires = "model")]
    pub version: Option<String>,
    /// List the models and their versions.
    #[arg(long)]
    pub list: bool,
    /// JSON output.
    #[arg(long, conflicts_with = "dot")]
    pub json: bool,
    /// Graphviz DOT output.
    #[arg(long, conflicts_with = "list")]
    pub dot: bool,
}

/// `auditlens impact`.
#[derive(Debug, Args)]
pub struct ImpactArgs {
    /// Bundles or files.
    #[arg(required_unless_present = "remote", conflicts_with = "remote")]
    pub paths: Vec<PathBuf>,
    /// Build the graph from a Quickwit index instead: `URL[/INDEX]` (see `push`).
    #[arg(long, value_name = "URL[/INDEX]")]
    pub remote: Option<String>,
    /// The dataset: ID (every version) or ID@VERSION.
    #[arg(long, value_name = "ID[@VERSION]")]
    pub dataset: String,
    /// JSON output.
    #[arg(long)]
    pub json: bool,
}

/// `auditlens alerts`.
#[derive(Debug, Args)]
pub struct AlertsArgs {
    /// Bundles or files.
    #[arg(required_unless_present = "remote", conflicts_with = "remote")]
    pub paths: Vec<PathBuf>,
    /// Evaluate the rules over a Quickwit index instead: `URL[/INDEX]` (see `push`).
    #[arg(long, value_name = "URL[/INDEX]")]
    pub remote: Option<String>,
    /// A rules file extending (or replacing) the default rules.
    #[arg(long, value_name = "FILE")]
    pub rules: Option<PathBuf>,
    /// JSON output: `{"alerts": [...]}`.
    #[arg(long)]
    pub json: bool,
}

/// `auditlens watch`.
#[derive(Debug, Args)]
pub struct WatchArgs {
    /// JSON-lines files to follow (they may not exist yet).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// A rules file extending (or replacing) the default rules.
    #[arg(long, value_name = "FILE")]
    pub rules: Option<PathBuf>,
    /// Print each alert as one JSON object per line.
    #[arg(long)]
    pub json: bool,
    /// Read the files from their beginning instead of only what is appended.
    #[arg(long)]
    pub from_start: bool,
    /// Stop after this many seconds (tests).
    #[arg(long, hide = true, value_name = "SECONDS")]
    pub exit_after: Option<f64>,
    /// Read what the files hold now (from the start), evaluate, and stop (tests).
    #[arg(long, hide = true)]
    pub once: bool,
    /// Poll interval in milliseconds.
    #[arg(long, hide = true, default_value_t = 200)]
    pub poll_ms: u64,
}
