//! `auditlens alerts`: the session evaluates the rules over the index
//! ([`crate::session::alerts`]); this prints the alerts.

use std::io::Write;

use anyhow::Result;
use chrono::{DateTime, SecondsFormat, Utc};

use super::{Outcome, open_index, report_skipped};
use crate::alerts::Alert;
use crate::cli::AlertsArgs;
use crate::model::{Severity, escape_control, safe_json};
use crate::session::Session;
use crate::session::alerts::load_rules;

/// Evidence lines printed per alert in text output.
const TEXT_EVIDENCE: usize = 20;

fn stamp(t: Option<DateTime<Utc>>) -> String {
    t.map_or_else(
        || "unknown time".to_owned(),
        |t| t.to_rfc3339_opts(SecondsFormat::Millis, true),
    )
}

/// Writes one alert as readable text (every log-derived string escaped).
pub(crate) fn write_alert_text(out: &mut dyn Write, a: &Alert) -> std::io::Result<()> {
    writeln!(
        out,
        "[{}] {}: {}",
        a.severity,
        escape_control(&a.rule),
        escape_control(&a.title)
    )?;
    let key = if a.key.is_empty() {
        String::new()
    } else {
        format!("   key: {}", escape_control(&a.key))
    };
    writeln!(
        out,
        "  when: {} .. {}{key}",
        stamp(a.first_ts),
        stamp(a.last_ts)
    )?;
    writeln!(out, "  what: {}", escape_control(&a.detail))?;
    if !a.why.is_empty() {
        writeln!(out, "  why:  {}", escape_control(&a.why))?;
    }
    writeln!(out, "  evidence ({} event(s)):", a.count)?;
    for e in a.evidence.iter().take(TEXT_EVIDENCE) {
        let id = match (&e.stream, e.seq) {
            (Some(s), Some(q)) => format!("{} #{q}  ", escape_control(s)),
            (Some(s), None) => format!("{}  ", escape_control(s)),
            (None, Some(q)) => format!("#{q}  "),
            (None, None) => String::new(),
        };
        writeln!(
            out,
            "    {}  {id}{}:{}",
            stamp(e.ts),
            escape_control(&e.path),
            e.line
        )?;
    }
    let shown = a.evidence.len().min(TEXT_EVIDENCE) as u64;
    if a.count > shown {
        writeln!(
            out,
            "    ... and {} more (--json lists up to 1000)",
            a.count - shown
        )?;
    }
    Ok(())
}

/// One line counting alerts by severity.
pub(crate) fn summary_line(alerts: &[Alert], rules: usize) -> String {
    if alerts.is_empty() {
        return format!("no alerts ({rules} rules)");
    }
    let by: Vec<String> = Severity::ALL
        .iter()
        .rev()
        .filter_map(|s| {
            let n = alerts.iter().filter(|a| a.severity == *s).count();
            (n > 0).then(|| format!("{n} {s}"))
        })
        .collect();
    format!(
        "{} alert(s) ({}) from {rules} rules",
        alerts.len(),
        by.join(", ")
    )
}

pub(super) fn run(
    a: &AlertsArgs,
    session: &Session,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<Outcome> {
    let settings = session.settings();
    let rules = load_rules(a.rules.as_deref())?;
    let masker = settings.masker.clone();
    let filters = serde_json::json!({"rules": a.rules.as_ref().map(|p| p.display().to_string())});
    if let Some(url) = &a.remote {
        let store = super::remote_store(url, session.settings())?;
        super::access_log::record(
            settings,
            super::remote_entry("alerts", &store, None, filters),
        )?;
        let eval = crate::session::alerts::evaluate(&store, &rules)?;
        let mut masking_out = super::access_log::MaskingWriter::new(out, masker);
        return print(a, &rules, &eval, &mut masking_out, err);
    }
    let opened = open_index(session, &a.paths, err)?;
    super::access_log::record_open(
        settings,
        "alerts",
        &a.paths,
        Some(opened.digest().to_owned()),
        None,
        filters,
    )?;
    let mut masking_out = super::access_log::MaskingWriter::new(out, masker);
    report_skipped(&opened, err)?;
    let eval = opened.alerts(&rules)?;
    print(a, &rules, &eval, &mut masking_out, err)
}

/// Prints the alerts (and the evaluation's notes on stderr); problems found exit 1.
fn print(
    a: &AlertsArgs,
    rules: &crate::alerts::RuleSet,
    eval: &crate::session::alerts::Evaluation,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<Outcome> {
    for n in &eval.notes {
        writeln!(err, "note: {}", escape_control(n))?;
    }
    if a.json {
        #[derive(serde::Serialize)]
        struct Report<'a> {
            alerts: &'a [Alert],
        }
        safe_json::to_writer_pretty(
            &mut *out,
            &Report {
                alerts: &eval.alerts,
            },
        )?;
        writeln!(out)?;
    } else {
        for alert in &eval.alerts {
            write_alert_text(out, alert)?;
            writeln!(out)?;
        }
        writeln!(out, "{}", summary_line(&eval.alerts, rules.rules.len()))?;
    }
    Ok(if eval.alerts.is_empty() {
        Outcome::Ok
    } else {
        Outcome::Problems
    })
}
