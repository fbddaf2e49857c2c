//! Shared test helpers.

use std::io::Write;
use std::path::{Path, PathBuf};

use assert_cmd::Command;

/// The `auditlens` binary with an isolated cache and config.
pub fn auditlens(home: &Path) -> Command {
    let mut cmd = Command::cargo_bin("auditlens").expect("binary builds");
    cmd.env("XDG_CACHE_HOME", home.join("cache"))
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_DATA_HOME", home.join("data"))
        .env("NO_COLOR", "1");
    cmd
}

/// Writes `bytes` to `dir/name` and returns the path.
pub fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(&p, bytes).unwrap();
    p
}

/// Gzip-compresses bytes.
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

/// The repository root (for sample-data and ../shared).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The folder that stands for `../shared` (specs, real exports, tools). CI has it beside the
/// repository; a user's fresh clone does not. `AUDITLENS_TEST_SHARED` points the tests elsewhere:
/// `.ci/run` sets it to a missing folder to prove that every test needing it skips visibly.
pub fn shared_dir() -> PathBuf {
    match std::env::var_os("AUDITLENS_TEST_SHARED") {
        Some(p) => PathBuf::from(p),
        None => repo_root().join("../shared"),
    }
}

/// `<shared>/realdata/<sub>` when present; otherwise `None` after saying, on stderr, that the
/// test is skipped and why.
pub fn shared_path(sub: &str) -> Option<PathBuf> {
    let p = shared_dir().join(sub);
    if p.exists() {
        Some(p)
    } else {
        skip_note(format_args!("{} is absent", p.display()));
        None
    }
}

/// Says that a test skips, and why, where a passing run shows it: straight to the process's
/// standard error, which the test harness does not capture (its capture takes `eprintln!`,
/// so those notes showed only with `--nocapture`).
pub fn skip_note(why: impl std::fmt::Display) {
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr(), "skipping: {why}");
}

/// `../shared/realdata`, when present.
pub fn realdata() -> Option<PathBuf> {
    shared_path("realdata")
}

/// JSON lines of simple generic events: `n` events one minute apart from 2024-01-01.
pub fn generic_lines(n: usize) -> String {
    (0..n)
        .map(|i| {
            format!(
                "{{\"time\":\"2024-01-01T{:02}:{:02}:00Z\",\"user\":\"user{}\",\"action\":\"api.call\",\"level\":\"{}\",\"msg\":\"call number {i}\",\"details\":{{\"n\":{i}}}}}\n",
                i / 60,
                i % 60,
                i % 3,
                if i % 10 == 0 { "error" } else { "info" }
            )
        })
        .collect()
}

/// An in-RAM index of `generic_lines(n)` plus an event tied with the first in time and one
/// without any time (ties and gaps), and the folder of its input.
pub fn small_index(n: usize) -> (auditlens::index::BareIndex, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let mut lines = generic_lines(n);
    lines.push_str(
        "{\"time\":\"2024-01-01T00:00:00Z\",\"msg\":\"tie\"}\n{\"msg\":\"no time at all\"}\n",
    );
    let f = write(dir.path(), "e.jsonl", lines.as_bytes());
    let mem = auditlens::index::BareIndex::new();
    let mut indexer = mem
        .indexer(15_000_000, 1, auditlens::index::CommitPolicy::AT_END)
        .unwrap();
    let summary = auditlens::ingest::ingest(
        &[f],
        auditlens::ingest::IngestOptions::default(),
        &mut indexer,
        |_| {},
    );
    assert_eq!(summary.events, n as u64 + 2);
    indexer.finish().unwrap();
    (mem, dir)
}

/// The load arguments of a test session: its own index folder, small limits, no access trail.
pub fn load_args(index_dir: PathBuf, trust: Option<PathBuf>) -> auditlens::cli::LoadArgs {
    auditlens::cli::LoadArgs {
        index_dir: Some(index_dir),
        reindex: false,
        verify_cache: false,
        max_line_bytes: 1 << 20,
        max_document_bytes: 1 << 30,
        writer_mb: 50,
        threads: None,
        trust,
        unmask: false,
        role: None,
        no_trail: true,
    }
}
