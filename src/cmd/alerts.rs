//! `auditlens alerts`: every rule's query runs through the index (matches only, oldest
//! first, fetched page by page) and the pure evaluator turns that stream into alerts.
//! [`evaluate_index`] is the entry point the explorer uses too.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result, anyhow};
use chrono::{DateTime, SecondsFormat, Utc};

use super::{Outcome, open_index, report_skipped};
use crate::alerts::{Alert, Evaluator, Input, RuleKind, RuleSet};
use crate::cli::AlertsArgs;
use crate::index::{MatchScan, SearchService};
use crate::model::{AuditEvent, Severity, escape_control, safe_json};
use crate::settings::Settings;

/// Evidence lines printed per alert in text output.
const TEXT_EVIDENCE: usize = 20;

/// Alerts of a rule set over an index, plus notes on what some rules could not use.
#[derive(Debug, Clone, Default)]
pub struct Evaluation {
    /// Alerts ordered by first time, then rule id.
    pub alerts: Vec<Alert>,
    /// Notes such as events without a time that a windowed rule could not place.
    pub notes: Vec<String>,
}

/// Loads the default rules, extended by the rules file when given.
pub fn load_rules(path: Option<&Path>) -> Result<RuleSet> {
    match path {
        None => RuleSet::defaults().map_err(|e| anyhow!(e)),
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .with_context(|| format!("reading the rules file {}", p.display()))?;
            RuleSet::load(Some((&text, &p.display().to_string()))).map_err(|e| anyhow!(e))
        }
    }
}

/// Checks every rule's queries against the query language.
pub fn check_queries(service: &SearchService, rules: &RuleSet) -> Result<()> {
    for r in &rules.rules {
        let mut queries = vec![("query", r.query.as_str())];
        if let RuleKind::Absence { without, .. } = &r.kind {
            queries.push(("without", without.as_str()));
        }
        for (name, q) in queries {
            service.parse(q).map_err(|e| {
                anyhow!(
                    "rule `{}`: bad `{name}` {:?}: {}",
                    escape_control(&r.id),
                    escape_control(q),
                    escape_control(&e.message)
                )
            })?;
        }
    }
    Ok(())
}

type Item = (u64, AuditEvent);

fn sort_key(item: &Item, input: Input) -> (i64, u8, u64) {
    let ts = item.1.ts.map_or(i64::MIN, |t| t.timestamp_millis());
    // At the same instant the earlier-required event counts as earlier.
    let rank = u8::from(input == Input::Primary);
    (ts, rank, item.0)
}

fn next_item(scan: &mut Option<std::iter::Peekable<MatchScan>>) -> Result<Option<&Item>> {
    let Some(s) = scan else { return Ok(None) };
    match s.peek() {
        None => Ok(None),
        Some(Err(_)) => match s.next() {
            Some(Err(e)) => Err(e.into()),
            _ => Ok(None),
        },
        Some(Ok(_)) => Ok(s.peek().and_then(|r| r.as_ref().ok())),
    }
}

/// Evaluates every rule over the index: each rule's query (and an absence rule's
/// `without` query) is scanned oldest first and merged in time order into the rule's
/// evaluator. Memory: one page of matches per scan plus the rules' windows.
pub fn evaluate_index(service: &SearchService, rules: &RuleSet) -> Result<Evaluation> {
    check_queries(service, rules)?;
    let mut out = Evaluation::default();
    let start = service.first_time()?;
    for rule in &rules.rules {
        let mut eval = Evaluator::new(rule);
        if let Some(t) = start {
            eval.set_start(t);
        }
        let mut primary = Some(service.scan(&rule.query)?.peekable());
        let mut prior = match &rule.kind {
            RuleKind::Absence { without, .. } => Some(service.scan(without)?.peekable()),
            _ => None,
        };
        loop {
            let a = next_item(&mut primary)?.map(|i| sort_key(i, Input::Primary));
            let b = next_item(&mut prior)?.map(|i| sort_key(i, Input::Prior));
            let (input, scan) = match (a, b) {
                (None, None) => break,
                (None, Some(_)) => (Input::Prior, &mut prior),
                (Some(a), Some(b)) if b <= a => (Input::Prior, &mut prior),
                _ => (Input::Primary, &mut primary),
            };
            if let Some(Ok((ord, ev))) = scan.as_mut().and_then(Iterator::next) {
                eval.push(input, &ev, Some(ord));
            }
        }
        if eval.untimed() > 0 {
            out.notes.push(format!(
                "rule `{}`: {} matching event(s) without a time could not be placed in its window",
                rule.id,
                eval.untimed()
            ));
        }
        if eval.unkeyed() > 0 {
            out.notes.push(format!(
                "rule `{}`: {} matching event(s) lack the fields it groups by and were not counted",
                rule.id,
                eval.unkeyed()
            ));
        }
        out.alerts.extend(eval.finish());
    }
    out.alerts
        .sort_by(|a, b| (a.first_ts, &a.rule).cmp(&(b.first_ts, &b.rule)));
    Ok(out)
}

fn stamp(t: Option<DateTime<Utc>>) -> String {
    t.map_or_else(
        || "unknown time".to_owned(),
        |t| t.to_rfc3339_opts(SecondsFormat::Millis, true),
    )
}

/// Writes one alert as readable text (every log-derived string escaped).
pub fn write_alert_text(out: &mut dyn Write, a: &Alert) -> std::io::Result<()> {
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
pub fn summary_line(alerts: &[Alert], rules: usize) -> String {
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
    settings: &Settings,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<Outcome> {
    let rules = load_rules(a.rules.as_deref())?;
    let masker = settings.masker.clone();
    let opened = open_index(&a.paths, settings, err)?;
    super::access_log::record_open(
        settings,
        "alerts",
        &a.paths,
        Some(opened.digest.clone()),
        None,
        serde_json::json!({"rules": a.rules.as_ref().map(|p| p.display().to_string())}),
    )?;
    let mut masking_out = super::access_log::MaskingWriter::new(out, masker);
    let out: &mut dyn Write = &mut masking_out;
    report_skipped(&opened, err)?;
    let service = SearchService::new(opened.index).context("opening the index")?;
    let eval = evaluate_index(&service, &rules)?;
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
