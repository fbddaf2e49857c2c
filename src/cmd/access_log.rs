//! `auditlens access-log`, and the one place commands record their look at a bundle.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result};
use serde_json::{Value, json};

use super::Outcome;
use crate::cli::AccessLogArgs;
use crate::model::{escape_control, safe_json};
use crate::privacy::Masker;
use crate::privacy::trail::{self, TrailEntry};
use crate::settings::Settings;

/// Records one look at the logs in the access trail (filling in `--unmask` and `--role`).
/// With `--no-trail` the entry records only who ran which command and when, not the query,
/// inputs or bundle. A trail that cannot be written is an error: nothing is shown
/// unrecorded.
pub fn record(settings: &Settings, entry: TrailEntry) -> Result<()> {
    crate::session::record(settings, entry).context(
        "writing the access trail (--no-trail still records that the command ran, without its query and inputs)",
    )
}

/// The trail entry of `auditlens verify`.
pub(super) fn record_verify(bundles: &[PathBuf], settings: &Settings) -> Result<()> {
    let digest = crate::index::content_digest(bundles).ok();
    record(
        settings,
        TrailEntry {
            command: "verify".into(),
            bundle: digest,
            inputs: bundles.iter().map(|p| p.display().to_string()).collect(),
            filters: Value::Null,
            ..TrailEntry::default()
        },
    )
}

pub(super) fn run(a: &AccessLogArgs, out: &mut dyn Write) -> Result<Outcome> {
    let dir = match &a.dir {
        Some(d) => d.clone(),
        None => trail::trail_dir()?,
    };
    let streams = trail::streams(&dir)?;
    let mut broken = false;
    for s in &streams {
        let mut print = |line: u64, rec: &Value| -> std::io::Result<()> {
            if a.json {
                let mut v = rec.clone();
                if let Value::Object(m) = &mut v {
                    m.insert("line".into(), json!(line));
                }
                safe_json::write_line(out, &v)
            } else {
                let d = &rec["details"];
                let text = format!(
                    "{}  {:<5} {:<12} {:<20} {}  {}{}",
                    rec["ts"].as_str().unwrap_or("-"),
                    rec["seq"],
                    rec["actor"]["id"].as_str().unwrap_or("-"),
                    rec["action"].as_str().unwrap_or("-"),
                    d["bundle"]
                        .as_str()
                        .map_or_else(|| "-".to_owned(), |b| b.chars().take(12).collect()),
                    rec["message"].as_str().unwrap_or(""),
                    if d["untracked"] == true {
                        "  (untracked)".to_owned()
                    } else if d["no_trail_runs"].is_array() {
                        format!(
                            "  (after {} run(s) with --no-trail)",
                            d["no_trail_runs"].as_array().map_or(0, Vec::len)
                        )
                    } else {
                        String::new()
                    }
                );
                writeln!(out, "{}", escape_control(&text))
            }
        };
        let mut io_result = Ok(());
        let check = trail::read_stream(s, &mut |line, rec| {
            if !a.verify && io_result.is_ok() {
                io_result = print(line, rec);
            }
        })?;
        io_result?;
        if a.verify {
            if a.json {
                safe_json::write_line(out, &check)?;
            } else if check.problems.is_empty() {
                writeln!(out, "{}: {} entries, chain OK", check.path, check.entries)?;
            } else {
                writeln!(out, "{}: {} entries, BROKEN", check.path, check.entries)?;
            }
        }
        if !check.problems.is_empty() {
            broken = true;
            if !a.json || !a.verify {
                for p in &check.problems {
                    writeln!(
                        out,
                        "{}:{}: {}",
                        check.path,
                        p.line,
                        escape_control(&p.reason)
                    )?;
                }
            }
        }
    }
    if streams.is_empty() && !a.json {
        writeln!(out, "no access trail in {}", dir.display())?;
    }
    Ok(if broken && a.verify {
        Outcome::Problems
    } else {
        Outcome::Ok
    })
}

/// A writer that masks each complete line before passing it on (commands whose output
/// quotes log content: lineage, impact, alerts).
pub struct MaskingWriter<'a> {
    inner: &'a mut dyn std::io::Write,
    masker: Arc<Masker>,
    pending: Vec<u8>,
}

impl<'a> MaskingWriter<'a> {
    /// Wraps `inner`.
    pub fn new(inner: &'a mut dyn std::io::Write, masker: Arc<Masker>) -> Self {
        Self {
            inner,
            masker,
            pending: Vec::new(),
        }
    }

    fn emit(&mut self, line: &[u8]) -> std::io::Result<()> {
        let text = String::from_utf8_lossy(line);
        self.inner
            .write_all(self.masker.mask_text(&text).as_bytes())
    }
}

impl std::io::Write for MaskingWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.pending.extend_from_slice(buf);
        while let Some(i) = self.pending.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = self.pending.drain(..=i).collect();
            self.emit(&line)?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if !self.pending.is_empty() {
            let rest = std::mem::take(&mut self.pending);
            self.emit(&rest)?;
        }
        self.inner.flush()
    }
}

impl Drop for MaskingWriter<'_> {
    fn drop(&mut self) {
        let _ = std::io::Write::flush(self);
    }
}

/// Records a trail entry for a command that opened an index over `paths`.
pub(crate) fn record_open(
    settings: &Settings,
    command: &str,
    paths: &[PathBuf],
    digest: Option<String>,
    query: Option<String>,
    filters: Value,
) -> Result<()> {
    record(
        settings,
        TrailEntry {
            command: command.into(),
            bundle: digest,
            inputs: paths.iter().map(|p| p.display().to_string()).collect(),
            query,
            filters,
            ..TrailEntry::default()
        },
    )
}
