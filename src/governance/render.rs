//! Plain text (for terminals) and Markdown renderings of a report. Every string that may
//! come from log content is escaped: control characters in both, Markdown syntax too.

use std::fmt::Write as _;

use chrono::{DateTime, SecondsFormat, Utc};

use super::evidence::EvidenceRef;
use super::report::{ComplianceReport, Status};
use crate::model::escape_control;

/// Evidence lines shown per finding in text and Markdown (JSON lists them all).
const SHOWN: usize = 5;

fn stamp(t: Option<DateTime<Utc>>) -> String {
    t.map_or_else(
        || "-".to_owned(),
        |t| t.to_rfc3339_opts(SecondsFormat::Secs, true),
    )
}

fn mark(s: Status) -> &'static str {
    match s {
        Status::Met => "MET",
        Status::Gap => "GAP",
        Status::NotEvidenced => "NOT EVIDENCED",
    }
}

fn evidence_line(e: &EvidenceRef) -> String {
    let at = match (&e.stream, e.seq) {
        (Some(s), Some(q)) => format!(" {s} #{q}"),
        _ => String::new(),
    };
    let sha = e
        .record_sha256
        .as_deref()
        .map_or_else(|| "not in the inputs".to_owned(), |h| format!("sha256 {h}"));
    format!("{}:{}{at} {} {sha}", e.path, e.line, stamp(e.ts))
}

/// The report as plain text.
pub(crate) fn to_text(r: &ComplianceReport) -> String {
    let t = |s: &str| escape_control(s).into_owned();
    let mut o = String::new();
    let _ = writeln!(o, "{} report: {}", t(&r.standard), t(&r.title));
    let _ = writeln!(
        o,
        "period: {} .. {} ({} days)   generated {}   overall: {}",
        stamp(r.period.from),
        stamp(r.period.to),
        r.period.days,
        stamp(Some(r.generated_at)),
        mark(r.status())
    );
    for i in &r.inputs {
        let _ = writeln!(o, "input: {}  sha256 {}", t(&i.label()), i.digest);
    }
    let _ = writeln!(
        o,
        "integrity: {} ({} finding(s))",
        t(&r.integrity.verdict),
        r.integrity.findings.len()
    );
    for c in &r.controls {
        let _ = writeln!(o, "\n[{}] {} {}", mark(c.status), t(&c.id), t(&c.title));
        for k in &c.checks {
            let _ = writeln!(o, "  [{}] {}: {}", mark(k.status), t(&k.id), t(&k.title));
            let _ = writeln!(o, "      {}", t(&k.summary));
            for f in &k.findings {
                let _ = writeln!(o, "    - [{}] {}", f.status, t(&f.summary));
                for e in f.evidence.iter().take(SHOWN) {
                    let _ = writeln!(o, "        {}", t(&evidence_line(e)));
                }
                if f.count > SHOWN.min(f.evidence.len()) as u64 {
                    let _ = writeln!(
                        o,
                        "        ... {} record(s) in all (--format json lists up to {})",
                        f.count,
                        super::MAX_EVIDENCE
                    );
                }
            }
        }
    }
    if !r.case_file.is_empty() {
        let _ = writeln!(
            o,
            "\nCase file: {} event(s) marked or commented by the auditor",
            r.case_file.len()
        );
        for n in &r.case_file {
            let _ = writeln!(o, "  - {}{}", case_flag(n), t(&n.summary));
            if let Some(c) = &n.comment {
                let _ = writeln!(o, "      comment: {}", t(c));
            }
            let _ = writeln!(o, "      {}", t(&evidence_line(&n.evidence)));
        }
    }
    let gaps = r
        .findings()
        .filter(|(_, _, f)| f.status == Status::Gap)
        .count();
    let _ = writeln!(
        o,
        "\n{} control(s): {} met, {} with gaps, {} not evidenced; {gaps} gap finding(s)",
        r.controls.len(),
        r.controls
            .iter()
            .filter(|c| c.status == Status::Met)
            .count(),
        r.controls
            .iter()
            .filter(|c| c.status == Status::Gap)
            .count(),
        r.controls
            .iter()
            .filter(|c| c.status == Status::NotEvidenced)
            .count()
    );
    o
}

/// Escapes text for Markdown: control characters, and the characters Markdown reads as
/// syntax (so log content can neither format nor link).
pub(crate) fn md_escape(s: &str) -> String {
    let s = escape_control(s);
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if matches!(
            c,
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '#' | '!' | '(' | ')' | '~'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The report as Markdown.
pub(crate) fn to_markdown(r: &ComplianceReport) -> String {
    let m = |s: &str| md_escape(s);
    let mut o = String::new();
    let _ = writeln!(o, "# {} report: {}\n", m(&r.standard), m(&r.title));
    let _ = writeln!(
        o,
        "- Period: {} .. {} ({} days)\n- Generated: {} by {}\n- Overall: **{}**\n- Integrity: **{}** ({} finding(s))\n",
        stamp(r.period.from),
        stamp(r.period.to),
        r.period.days,
        stamp(Some(r.generated_at)),
        m(&r.generator),
        r.status(),
        m(&r.integrity.verdict),
        r.integrity.findings.len()
    );
    let _ = writeln!(o, "| input | sha256 |\n|---|---|");
    for i in &r.inputs {
        let _ = writeln!(o, "| {} | `{}` |", m(&i.label()), i.digest);
    }
    let _ = writeln!(o, "\n| control | status | title |\n|---|---|---|");
    for c in &r.controls {
        let _ = writeln!(o, "| {} | {} | {} |", m(&c.id), c.status, m(&c.title));
    }
    for c in &r.controls {
        let _ = writeln!(o, "\n## {} {}: {}\n", m(&c.id), m(&c.title), c.status);
        if !c.text.is_empty() {
            let _ = writeln!(o, "> {}\n", m(&c.text));
        }
        for k in &c.checks {
            let _ = writeln!(o, "### {} ({}): {}\n", m(&k.title), m(&k.id), k.status);
            let _ = writeln!(o, "{}\n", m(&k.summary));
            for f in &k.findings {
                let _ = writeln!(o, "- **{}** {}", f.status, m(&f.summary));
                for e in f.evidence.iter().take(SHOWN) {
                    let _ = writeln!(o, "  - {}", m(&evidence_line(e)));
                }
                if f.count > SHOWN.min(f.evidence.len()) as u64 {
                    let _ = writeln!(o, "  - {} record(s) in all", f.count);
                }
            }
            if !k.findings.is_empty() {
                o.push('\n');
            }
        }
    }
    if !r.case_file.is_empty() {
        let _ = writeln!(
            o,
            "\n## Case file\n\n{} event(s) marked or commented by the auditor.\n",
            r.case_file.len()
        );
        for n in &r.case_file {
            let _ = writeln!(o, "- {}{}", case_flag(n), m(&n.summary));
            if let Some(c) = &n.comment {
                let _ = writeln!(o, "  - comment: {}", m(c));
            }
            let _ = writeln!(o, "  - {}", m(&evidence_line(&n.evidence)));
        }
    }
    o
}

/// `[marked] ` before a marked case-file event.
pub(crate) fn case_flag(n: &super::CaseNote) -> &'static str {
    if n.marked { "[marked] " } else { "" }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_and_control_characters_from_logs_are_escaped() {
        assert_eq!(md_escape("a*b_[x](y)"), "a\\*b\\_\\[x\\]\\(y\\)");
        let e = md_escape("bell\x07 esc\x1b[31m");
        assert!(!e.contains('\x07') && !e.contains('\x1b'), "{e}");
    }
}
