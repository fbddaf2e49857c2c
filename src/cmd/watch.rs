//! `auditlens watch`: follows growing JSON-lines files like `tail -F` (a file replaced
//! under its name is read to its end and then followed anew; a file that shrank is read
//! again from its start), decodes each new line, and evaluates the rules incrementally,
//! printing every alert the moment it fires. Stops on Ctrl-C (SIGINT) or SIGTERM.

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

use super::Outcome;
use super::alerts::write_alert_text;
use crate::cli::WatchArgs;
use crate::ingest::follow::{Batch, FollowNote, Follower};
use crate::model::{AuditEvent, escape_control, safe_json};
use crate::session::Session;
use crate::session::alerts::{check_queries, load_rules};
use crate::session::live::LiveRules;

/// Prints what the followers noticed.
fn write_notes(notes: &mut Vec<FollowNote>, err: &mut dyn Write) -> Result<()> {
    for n in notes.drain(..) {
        match n {
            FollowNote::Note(t) => writeln!(err, "note: {}", escape_control(&t))?,
            FollowNote::Warning(t) => writeln!(err, "warning: {}", escape_control(&t))?,
        }
    }
    Ok(())
}

/// Evaluates one batch (put in time order); writes every alert that fires.
fn evaluate(
    live: &mut LiveRules,
    batch: &mut Batch,
    json: bool,
    out: &mut dyn Write,
) -> Result<()> {
    batch.sort_by_key(|(ev, _)| ev.ts);
    let refs: Vec<(&AuditEvent, &str, Option<u64>)> =
        batch.iter().map(|(e, r)| (e, r.as_str(), None)).collect();
    for alert in live.evaluate(&refs).context("matching the new events")? {
        if json {
            safe_json::write_line(out, &alert)?;
        } else {
            write_alert_text(out, &alert)?;
            writeln!(out)?;
        }
        out.flush()?;
    }
    batch.clear();
    Ok(())
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
    check_queries(&crate::index::empty_store()?, &rules)?;
    let mut live = LiveRules::new(&rules);
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
        .map(|p| {
            Follower::new(
                p.clone(),
                p.display().to_string(),
                Arc::clone(&settings.mapping),
            )
        })
        .collect();
    let mut notes = Vec::new();
    for f in &mut files {
        f.open(from_start, &mut notes)
            .with_context(|| format!("reading {}", f.path().display()))?;
    }
    write_notes(&mut notes, err)?;
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
                .poll(true, settings.limits.max_line_bytes, &mut batch, &mut notes)
                .with_context(|| format!("reading {}", f.path().display()))?;
        }
        write_notes(&mut notes, err)?;
        events += batch.len() as u64;
        evaluate(&mut live, &mut batch, a.json, out)?;
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
