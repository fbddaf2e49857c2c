//! `auditlens verify`: the report of spec section 8, as text or JSON.

use std::fmt::Write as _;
use std::io::{IsTerminal, Write};

use anyhow::{Result, bail};

use super::Outcome;
use crate::cli::VerifyArgs;
use crate::integrity::{
    Report, Verdict, VerifyOptions, check_export_chain, default_trust_path, is_error_code,
    verification_units, verify_bundle,
};
use crate::model::{escape_control, safe_json};
use crate::settings::Trust;

/// The limits of spec section 9, in one line.
pub const LIMITS: &str = "limits: without a trusted signature this shows only that the bundle is \
self-consistent (anyone can write a consistent bundle); events never exported are invisible; \
whoever holds the signing key can rewrite and re-sign; rollback to an older export or deletion \
of the newest exports shows only against a later export; ts is the producer's claim, order rests \
on seq.";

/// Runs `verify` against the trust store of the settings (`--trust`, `$AUDITLENS_TRUST`,
/// else the default location).
pub fn run(
    a: &VerifyArgs,
    trust: &Trust,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<Outcome> {
    let trust = trust.store.as_ref();
    if trust.is_none() {
        writeln!(
            err,
            "note: no trust store (use --trust FILE or {}): no signature can be trusted",
            default_trust_path().map_or_else(
                || "$XDG_CONFIG_HOME/auditlens/trust.json".to_owned(),
                |p| p.display().to_string()
            )
        )?;
    }
    let tty = std::io::stderr().is_terminal();
    let started = std::time::Instant::now();
    let show = |lines: u64| {
        let secs = started.elapsed().as_secs_f64().max(0.001);
        eprint!(
            "\r\x1b[2Kverifying: {lines} records  {:.0} records/s",
            lines as f64 / secs
        );
    };
    let opts = VerifyOptions {
        trust,
        strict: a.strict,
        progress: if tty { Some(&show) } else { None },
        ..VerifyOptions::default()
    };
    let mut reports = Vec::new();
    let mut failures = Vec::new();
    // A folder of bundles (not itself a bundle) is verified bundle by bundle.
    for b in &verification_units(&a.bundles) {
        let result = verify_bundle(b, &opts);
        if tty {
            eprint!("\r\x1b[2K");
        }
        match result {
            Ok(r) => reports.push(r),
            Err(e) => {
                let mut r = Report::new(&b.display().to_string());
                r.findings.push(crate::integrity::Finding::new(
                    "MANIFEST_MISSING",
                    None,
                    format!("cannot read the bundle: {e}"),
                ));
                failures.push(format!("{e}"));
                reports.push(r);
            }
        }
    }
    check_export_chain(&mut reports);
    for r in &reports {
        if a.json {
            safe_json::write_line(out, r)?;
        } else {
            write_text(r, out)?;
        }
    }
    if reports.iter().any(|r| r.verdict == Verdict::Error) {
        let why = if failures.is_empty() {
            "a bundle could not be verified (no usable manifest)".to_owned()
        } else {
            failures.join("; ")
        };
        bail!("{}", escape_control(&why));
    }
    let problems = reports.iter().any(|r| {
        r.verdict == Verdict::Tampered || (r.verdict == Verdict::Unverified && !a.allow_unsigned)
    });
    Ok(if problems {
        Outcome::Problems
    } else {
        Outcome::Ok
    })
}

fn location(f: &crate::integrity::Finding) -> String {
    let mut s = f
        .path
        .as_deref()
        .map(escape_control)
        .unwrap_or_default()
        .into_owned();
    match (f.line, f.line_end) {
        (Some(a), Some(b)) if a != b => {
            let _ = write!(s, " lines {a}..{b}");
        }
        (Some(a), _) => {
            let _ = write!(s, " line {a}");
        }
        _ => {}
    }
    match (f.seq, f.seq_end) {
        (Some(a), Some(b)) if a != b => {
            let _ = write!(s, " (seq {a}..{b})");
        }
        (Some(a), _) => {
            let _ = write!(s, " (seq {a})");
        }
        _ => {}
    }
    s
}

/// The readable report: verdict first, then signature, files, streams and every problem.
pub(crate) fn write_text(r: &Report, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(
        out,
        "{}: {}",
        r.verdict.as_str().to_uppercase(),
        escape_control(&r.bundle)
    )?;
    let sig = &r.signature;
    writeln!(
        out,
        "signature: {}{}{}",
        sig.status,
        sig.key_id
            .as_deref()
            .map(|k| format!(", key {}", escape_control(k)))
            .unwrap_or_default(),
        sig.signer
            .as_deref()
            .map(|s| format!(", signer {}", escape_control(s)))
            .unwrap_or_default()
    )?;
    let counts: Vec<String> = r
        .counts
        .iter()
        .filter(|(_, n)| **n > 0)
        .map(|(k, n)| format!("{n} {k}"))
        .collect();
    writeln!(
        out,
        "records: {} line(s){}{}",
        r.lines(),
        if counts.is_empty() { "" } else { ": " },
        counts.join(", ")
    )?;
    if sig.status != "SIGNATURE_OK" && r.verdict != Verdict::Error {
        writeln!(out, "{LIMITS}")?;
    }
    if !r.files.is_empty() {
        writeln!(out, "files:")?;
        for f in &r.files {
            writeln!(out, "  {:<14} {}", f.code, escape_control(&f.path))?;
        }
    }
    if !r.streams.is_empty() {
        writeln!(out, "streams:")?;
        for s in &r.streams {
            let ranges: Vec<String> = s
                .verified
                .iter()
                .map(|(a, b)| {
                    if a == b {
                        format!("{a}")
                    } else {
                        format!("{a}..{b}")
                    }
                })
                .collect();
            let copy = if s.copy > 1 {
                format!(", copy {}", s.copy)
            } else {
                String::new()
            };
            writeln!(
                out,
                "  {} ({}{copy}): {} line(s), verified seq {}",
                escape_control(&s.id),
                escape_control(&s.path),
                s.lines,
                if ranges.is_empty() {
                    "none".to_owned()
                } else {
                    ranges.join(", ")
                }
            )?;
        }
    }
    let problems: Vec<_> = r.findings.iter().collect();
    if !problems.is_empty() {
        writeln!(out, "findings:")?;
        for f in problems {
            let level = if is_error_code(f.code) {
                ""
            } else if matches!(
                f.code,
                "TIME_REGRESSION" | "SIGNED_CHAIN_ANOMALY" | "NON_CANONICAL"
            ) {
                " (warning)"
            } else {
                " (not authenticated)"
            };
            writeln!(
                out,
                "  {}{level}: {}: {}",
                f.code,
                location(f),
                escape_control(&f.detail)
            )?;
        }
    }
    writeln!(out)?;
    Ok(())
}
