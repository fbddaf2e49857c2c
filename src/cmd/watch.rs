//! `auditlens watch`: follows growing JSON-lines files like `tail -F` (a file replaced
//! under its name is read to its end and then followed anew; a file that shrank is read
//! again from its start), decodes each new line, and evaluates the rules incrementally,
//! printing every alert the moment it fires. Stops on Ctrl-C (SIGINT) or SIGTERM.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

use super::Outcome;
use super::alerts::write_alert_text;
use crate::alerts::{Evaluator, Input, RuleKind};
use crate::cli::WatchArgs;
use crate::index::match_batch;
use crate::ingest::{GenericMapping, decode_record};
use crate::model::{AuditEvent, escape_control, safe_json};
use crate::session::Session;
use crate::session::alerts::{check_queries, load_rules};

/// Most bytes read from one file per poll (the rest waits for the next poll).
const READ_CHUNK: u64 = 8 << 20;

/// One followed file.
struct Follower {
    path: PathBuf,
    display: String,
    file: Option<File>,
    id: Option<(u64, u64)>,
    offset: u64,
    line: u64,
    partial: Vec<u8>,
    skipping: bool,
    missing_noted: bool,
    /// The generic mapping of the settings.
    mapping: Arc<GenericMapping>,
}

#[cfg(unix)]
#[allow(clippy::unnecessary_wraps)]
fn file_id(m: &std::fs::Metadata) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    Some((m.dev(), m.ino()))
}

#[cfg(not(unix))]
fn file_id(_: &std::fs::Metadata) -> Option<(u64, u64)> {
    None
}

/// Decoded events waiting for evaluation, with their original text.
type Batch = Vec<(AuditEvent, String)>;

impl Follower {
    fn new(path: PathBuf, mapping: Arc<GenericMapping>) -> Self {
        Self {
            mapping,
            display: path.display().to_string(),
            path,
            file: None,
            id: None,
            offset: 0,
            line: 0,
            partial: Vec::new(),
            skipping: false,
            missing_noted: false,
        }
    }

    /// Opens the file; from its end (counting its lines) unless `from_start`.
    fn open(&mut self, from_start: bool, err: &mut dyn Write) -> Result<bool> {
        let Ok(mut f) = File::open(&self.path) else {
            return Ok(false);
        };
        let meta = f.metadata()?;
        self.id = file_id(&meta);
        self.offset = 0;
        self.line = 0;
        self.partial.clear();
        self.skipping = false;
        if !from_start {
            let mut buf = vec![0u8; 1 << 16];
            loop {
                let n = f.read(&mut buf)?;
                if n == 0 {
                    break;
                }
                let chunk = &buf[..n];
                self.line += chunk.iter().filter(|&&b| b == b'\n').count() as u64;
                self.offset += n as u64;
                if let Some(i) = chunk.iter().rposition(|&b| b == b'\n') {
                    self.partial.clear();
                    self.partial.extend_from_slice(&chunk[i + 1..]);
                } else {
                    self.partial.extend_from_slice(chunk);
                }
            }
            // Only complete lines were counted; a partial last line is completed later.
        }
        if self.missing_noted {
            writeln!(err, "note: {} appeared", escape_control(&self.display))?;
            self.missing_noted = false;
        }
        self.file = Some(f);
        Ok(true)
    }

    /// Reads what was appended, noticing rotation and truncation. Returns true when
    /// more is waiting (the read stopped at its chunk limit).
    fn poll(
        &mut self,
        from_start: bool,
        max_line: usize,
        batch: &mut Batch,
        err: &mut dyn Write,
    ) -> Result<bool> {
        let meta = std::fs::metadata(&self.path);
        if self.file.is_none() {
            if meta.is_err() {
                if !self.missing_noted {
                    writeln!(
                        err,
                        "note: waiting for {} to appear",
                        escape_control(&self.display)
                    )?;
                    self.missing_noted = true;
                }
                return Ok(false);
            }
            if !self.open(from_start, err)? {
                return Ok(false);
            }
        }
        match meta {
            Ok(m) if file_id(&m) != self.id => {
                // Rotated: finish the old file, then follow the new one from its start.
                while self.read_new(max_line, batch, err)? {}
                self.finish_partial(batch, err)?;
                writeln!(
                    err,
                    "note: {} was replaced; following the new file",
                    escape_control(&self.display)
                )?;
                self.file = None;
                self.open(true, err)?;
            }
            Ok(m) if m.len() < self.offset => {
                writeln!(
                    err,
                    "note: {} was truncated; reading it again from the start",
                    escape_control(&self.display)
                )?;
                self.offset = 0;
                self.line = 0;
                self.partial.clear();
                self.skipping = false;
            }
            Ok(_) => {}
            Err(_) => {
                // Removed or renamed away: read what the old file still holds; the
                // name is followed again when it reappears.
                return self.read_new(max_line, batch, err);
            }
        }
        self.read_new(max_line, batch, err)
    }

    fn read_new(
        &mut self,
        max_line: usize,
        batch: &mut Batch,
        err: &mut dyn Write,
    ) -> Result<bool> {
        let Some(f) = self.file.as_mut() else {
            return Ok(false);
        };
        f.seek(SeekFrom::Start(self.offset))?;
        let mut buf = Vec::new();
        f.take(READ_CHUNK).read_to_end(&mut buf)?;
        let more = buf.len() as u64 == READ_CHUNK;
        self.offset += buf.len() as u64;
        let mut rest = buf.as_slice();
        while let Some(i) = rest.iter().position(|&b| b == b'\n') {
            let (head, tail) = rest.split_at(i);
            rest = &tail[1..];
            self.line += 1;
            if self.skipping {
                self.skipping = false;
                self.partial.clear();
                continue;
            }
            self.partial.extend_from_slice(head);
            let record = std::mem::take(&mut self.partial);
            self.decode(&record, batch, err)?;
        }
        if !self.skipping {
            self.partial.extend_from_slice(rest);
            if self.partial.len() > max_line {
                writeln!(
                    err,
                    "warning: {}:{}: line longer than {max_line} bytes; skipped",
                    escape_control(&self.display),
                    self.line + 1
                )?;
                self.partial.clear();
                self.skipping = true;
            }
        }
        Ok(more)
    }

    /// A last line without a newline in a file that was replaced still counts.
    fn finish_partial(&mut self, batch: &mut Batch, err: &mut dyn Write) -> Result<()> {
        if !self.partial.is_empty() && !self.skipping {
            self.line += 1;
            let record = std::mem::take(&mut self.partial);
            self.decode(&record, batch, err)?;
        }
        Ok(())
    }

    fn decode(&self, record: &[u8], batch: &mut Batch, err: &mut dyn Write) -> Result<()> {
        let record = record.strip_suffix(b"\r").unwrap_or(record);
        if record.iter().all(u8::is_ascii_whitespace) {
            return Ok(());
        }
        match decode_record(&self.display, self.line, record, &self.mapping) {
            Ok(events) => {
                for d in events {
                    batch.push((d.event, d.raw.to_owned()));
                }
            }
            Err(e) => writeln!(err, "warning: {}", escape_control(&e.to_string()))?,
        }
        Ok(())
    }
}

/// The rules' evaluators, fed batch by batch.
struct Live {
    evaluators: Vec<Evaluator>,
    queries: Vec<String>,
    fired: u64,
    started: bool,
}

impl Live {
    /// Evaluates one batch; writes every alert that fires.
    fn evaluate(&mut self, batch: &mut Batch, json: bool, out: &mut dyn Write) -> Result<()> {
        if batch.is_empty() {
            return Ok(());
        }
        batch.sort_by_key(|(ev, _)| ev.ts);
        if !self.started
            && let Some(t) = batch.iter().find_map(|(e, _)| e.ts)
        {
            // Rate baselines start with the first event seen, not the first match.
            for e in &mut self.evaluators {
                e.set_start(t);
            }
            self.started = true;
        }
        let refs: Vec<(&AuditEvent, &str)> = batch.iter().map(|(e, r)| (e, r.as_str())).collect();
        let queries: Vec<&str> = self.queries.iter().map(String::as_str).collect();
        let matches = match_batch(&refs, &queries).context("matching the new events")?;
        let mut q = 0;
        for eval in &mut self.evaluators {
            let mut items: Vec<(usize, Input)> =
                matches[q].iter().map(|&i| (i, Input::Primary)).collect();
            q += 1;
            if matches!(eval.rule().kind, RuleKind::Absence { .. }) {
                items.extend(matches[q].iter().map(|&i| (i, Input::Prior)));
                q += 1;
            }
            items.sort_by_key(|&(i, input)| (batch[i].0.ts, input == Input::Primary, i));
            for (i, input) in items {
                for slot in eval.push(input, &batch[i].0, None) {
                    let alert = eval.alert(slot);
                    self.fired += 1;
                    if json {
                        safe_json::write_line(out, alert)?;
                    } else {
                        write_alert_text(out, alert)?;
                        writeln!(out)?;
                    }
                    out.flush()?;
                }
            }
        }
        batch.clear();
        Ok(())
    }
}

pub(super) fn run(
    a: &WatchArgs,
    session: &Session,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<Outcome> {
    let settings = session.settings();
    let rules = load_rules(a.rules.as_deref())?;
    // Check every query once, on an empty batch, before following anything.
    let mut queries = Vec::new();
    for r in &rules.rules {
        queries.push(r.query.clone());
        if let RuleKind::Absence { without, .. } = &r.kind {
            queries.push(without.clone());
        }
    }
    {
        check_queries(&crate::index::empty_store()?, &rules)?;
    }
    let mut live = Live {
        evaluators: rules.rules.iter().map(Evaluator::new).collect(),
        queries,
        fired: 0,
        started: false,
    };
    let stop = Arc::new(AtomicBool::new(false));
    let mut hooks = Vec::new();
    #[cfg(unix)]
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        hooks.push(
            signal_hook::flag::register(sig, Arc::clone(&stop))
                .context("installing the Ctrl-C handler")?,
        );
    }
    for p in &a.files {
        if p.is_dir() {
            anyhow::bail!(
                "{} is a folder; watch follows JSON-lines files (use `alerts` for bundles)",
                p.display()
            );
        }
    }
    let from_start = a.from_start || a.once;
    let mut files: Vec<Follower> = a
        .files
        .iter()
        .map(|p| Follower::new(p.clone(), Arc::clone(&settings.mapping)))
        .collect();
    for f in &mut files {
        f.open(from_start, err)
            .with_context(|| format!("reading {}", f.path.display()))?;
    }
    writeln!(
        err,
        "watching {} file(s) with {} rules; Ctrl-C stops",
        files.len(),
        rules.rules.len()
    )?;
    let started = Instant::now();
    let deadline = a
        .exit_after
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map(Duration::from_secs_f64);
    let poll = Duration::from_millis(a.poll_ms.clamp(10, 10_000));
    let mut batch = Batch::new();
    let mut events = 0u64;
    loop {
        let mut more = false;
        for f in &mut files {
            more |= f
                .poll(true, settings.limits.max_line_bytes, &mut batch, err)
                .with_context(|| format!("reading {}", f.path.display()))?;
        }
        events += batch.len() as u64;
        live.evaluate(&mut batch, a.json, out)?;
        if a.once
            || stop.load(Ordering::Relaxed)
            || deadline.is_some_and(|d| started.elapsed() >= d)
        {
            break;
        }
        if !more {
            std::thread::sleep(poll);
        }
    }
    for h in hooks {
        signal_hook::low_level::unregister(h);
    }
    out.flush()?;
    writeln!(
        err,
        "watch stopped: {events} event(s) read, {} alert(s)",
        live.fired
    )?;
    Ok(if live.fired == 0 {
        Outcome::Ok
    } else {
        Outcome::Problems
    })
}
