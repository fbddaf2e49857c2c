//! The report as one self-contained HTML file: no network, no script, inline CSS, an
//! inline SVG timeline (events per day, findings on it), the lineage of each deployment
//! with a finding, and every evidence record as the caller masked it. Every string is
//! HTML-escaped, control characters included.

use std::fmt::Write as _;

use chrono::{DateTime, SecondsFormat, Utc};

use super::report::{ComplianceReport, Status};
use crate::model::escape_control;

/// Escapes for HTML text and attribute values (control characters shown as escapes).
pub(crate) fn html_escape(s: &str) -> String {
    let s = escape_control(s);
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn stamp(t: Option<DateTime<Utc>>) -> String {
    t.map_or_else(
        || "-".to_owned(),
        |t| t.to_rfc3339_opts(SecondsFormat::Secs, true),
    )
}

fn class(s: Status) -> &'static str {
    match s {
        Status::Met => "met",
        Status::Gap => "gap",
        Status::NotEvidenced => "ne",
    }
}

const CSS: &str = "body{font-family:system-ui,sans-serif;margin:2em;color:#1b1b1b;background:#fff;max-width:72em}\
h1{font-size:1.5em}h2{font-size:1.2em;border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:1.6em}\
h3{font-size:1em;margin:1em 0 .3em}table{border-collapse:collapse;margin:.5em 0}\
td,th{border:1px solid #ccc;padding:.2em .5em;text-align:left;vertical-align:top}\
.st{display:inline-block;padding:0 .4em;border-radius:3px;font-weight:bold;font-size:.85em}\
.met{background:#d7f0d7;color:#114411}.gap{background:#f7d4d4;color:#6b0f0f}.ne{background:#eee2c0;color:#4d3b00}\
pre{background:#f5f5f5;padding:.5em;overflow-x:auto;font-size:.8em;white-space:pre-wrap;word-break:break-all}\
.ev{font-family:monospace;font-size:.85em}.sum{color:#444}svg{background:#fafafa;border:1px solid #ddd}";

// Chart geometry reads best with the usual short names (w, h, x, y).
#[allow(clippy::many_single_char_names)]
fn timeline(r: &ComplianceReport) -> String {
    let (w, h, pad) = (900.0_f64, 180.0_f64, 30.0_f64);
    let (Some(from), Some(to)) = (r.period.from, r.period.to) else {
        return "<p>No timed event: no timeline.</p>".to_owned();
    };
    let span = (to - from).num_milliseconds().max(1) as f64;
    let x = |t: DateTime<Utc>| {
        pad + (w - 2.0 * pad) * ((t - from).num_milliseconds() as f64 / span).clamp(0.0, 1.0)
    };
    let max = r.timeline.iter().map(|(_, n)| *n).max().unwrap_or(1).max(1) as f64;
    let mut s = String::new();
    let _ = write!(
        s,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" role=\"img\" aria-label=\"events per day and findings\">"
    );
    let day_w = (w - 2.0 * pad) * 86_400_000.0 / span;
    for (day, n) in &r.timeline {
        let bh = (h - 70.0) * (*n as f64) / max;
        let _ = write!(
            s,
            "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{bh:.1}\" fill=\"#9db8d9\"><title>{}: {n} events</title></rect>",
            x(*day),
            h - 30.0 - bh,
            (day_w - 1.0).max(1.0),
            html_escape(&day.format("%Y-%m-%d").to_string())
        );
    }
    let _ = write!(
        s,
        "<line x1=\"{pad}\" y1=\"{y}\" x2=\"{x2}\" y2=\"{y}\" stroke=\"#555\"/>",
        y = h - 30.0,
        x2 = w - pad
    );
    let _ = write!(
        s,
        "<text x=\"{pad}\" y=\"{}\" font-size=\"11\">{}</text><text x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=\"end\">{}</text>",
        h - 12.0,
        html_escape(&stamp(Some(from))),
        w - pad,
        h - 12.0,
        html_escape(&stamp(Some(to)))
    );
    let mut n = 0;
    for (c, _, f) in r.findings() {
        let Some(t) = f.evidence.iter().find_map(|e| e.ts) else {
            continue;
        };
        let colour = match f.status {
            Status::Gap => "#c62828",
            Status::NotEvidenced => "#b58900",
            Status::Met => "#2e7d32",
        };
        let y = 18.0 + f64::from(n % 4) * 10.0;
        n += 1;
        let _ = write!(
            s,
            "<circle cx=\"{:.1}\" cy=\"{y}\" r=\"4\" fill=\"{colour}\"><title>{} {}: {}</title></circle>",
            x(t),
            html_escape(&c.id),
            html_escape(&stamp(Some(t))),
            html_escape(&f.summary)
        );
    }
    s.push_str("</svg>");
    s
}

/// The report as a self-contained HTML document.
// The document is written top to bottom; splitting it would scatter its structure.
#[allow(clippy::too_many_lines, clippy::many_single_char_names)]
pub(crate) fn to_html(r: &ComplianceReport) -> String {
    let e = |s: &str| html_escape(s);
    let mut o = String::new();
    let _ = write!(
        o,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">\
<title>{} report</title><style>{CSS}</style></head><body>\n",
        e(&r.standard)
    );
    let _ = write!(
        o,
        "<h1>{} report: {}</h1>\n<p>Period {} .. {} ({} days). Generated {} by {}. Overall <span class=\"st {}\">{}</span>. \
Integrity verdict <strong>{}</strong> ({} finding(s)).</p>\n",
        e(&r.standard),
        e(&r.title),
        e(&stamp(r.period.from)),
        e(&stamp(r.period.to)),
        r.period.days,
        e(&stamp(Some(r.generated_at))),
        e(&r.generator),
        class(r.status()),
        r.status(),
        e(&r.integrity.verdict),
        r.integrity.findings.len()
    );
    o.push_str("<table><tr><th>input</th><th>sha256</th></tr>");
    for i in &r.inputs {
        let _ = write!(
            o,
            "<tr><td>{}</td><td class=\"ev\">{}</td></tr>",
            e(&i.label()),
            e(&i.digest)
        );
    }
    o.push_str("</table>\n<h2>Timeline</h2>\n");
    o.push_str(&timeline(r));
    o.push_str(
        "\n<h2>Controls</h2>\n<table><tr><th>control</th><th>status</th><th>title</th></tr>",
    );
    for c in &r.controls {
        let _ = write!(
            o,
            "<tr><td>{}</td><td><span class=\"st {}\">{}</span></td><td>{}</td></tr>",
            e(&c.id),
            class(c.status),
            c.status,
            e(&c.title)
        );
    }
    o.push_str("</table>\n");
    for c in &r.controls {
        let _ = write!(
            o,
            "<h2>{} {} <span class=\"st {}\">{}</span></h2>\n<p class=\"sum\">{}</p>\n",
            e(&c.id),
            e(&c.title),
            class(c.status),
            c.status,
            e(&c.text)
        );
        for k in &c.checks {
            let _ = write!(
                o,
                "<h3>{} <span class=\"st {}\">{}</span></h3>\n<p class=\"sum\">{}</p>\n",
                e(&k.title),
                class(k.status),
                k.status,
                e(&k.summary)
            );
            if k.findings.is_empty() {
                continue;
            }
            o.push_str("<ul>");
            for f in &k.findings {
                let _ = write!(
                    o,
                    "<li><span class=\"st {}\">{}</span> {}",
                    class(f.status),
                    f.status,
                    e(&f.summary)
                );
                for ev in f.evidence.iter().take(5) {
                    let at = match (&ev.stream, ev.seq) {
                        (Some(s), Some(q)) => format!(" {s} #{q}"),
                        _ => String::new(),
                    };
                    let _ = write!(
                        o,
                        "<div class=\"ev\">{}:{}{} {} sha256 {}</div>",
                        e(&ev.path),
                        ev.line,
                        e(&at),
                        e(&stamp(ev.ts)),
                        e(ev.record_sha256.as_deref().unwrap_or("(not in the inputs)"))
                    );
                    if let Some(rec) = &ev.record {
                        let _ = write!(o, "<pre>{}</pre>", e(rec));
                    }
                }
                if f.count > f.evidence.len().min(5) as u64 {
                    let _ = write!(o, "<div class=\"sum\">{} record(s) in all</div>", f.count);
                }
                o.push_str("</li>");
            }
            o.push_str("</ul>\n");
        }
    }
    if !r.lineage.is_empty() {
        o.push_str("<h2>Lineage of deployments with a finding</h2>\n");
        for l in &r.lineage {
            let _ = write!(
                o,
                "<h3>{} v{}</h3><table><tr><th>upstream</th><th>downstream</th></tr><tr><td>",
                e(&l.model),
                e(&l.version)
            );
            for u in &l.upstream {
                let _ = write!(o, "<div>&larr; {}</div>", e(u));
            }
            if l.upstream.is_empty() {
                o.push_str("<div>(nothing upstream)</div>");
            }
            o.push_str("</td><td>");
            for d in &l.downstream {
                let _ = write!(o, "<div>&rarr; {}</div>", e(d));
            }
            o.push_str("</td></tr></table>\n");
        }
    }
    if !r.case_file.is_empty() {
        let _ = write!(
            o,
            "<h2>Case file</h2>\n<p class=\"sum\">{} event(s) marked or commented by the auditor.</p>\n<ul>",
            r.case_file.len()
        );
        for n in &r.case_file {
            let ev = &n.evidence;
            let _ = write!(
                o,
                "<li>{}{}<div class=\"ev\">{}:{} {} sha256 {}</div>",
                e(super::render::case_flag(n)),
                e(&n.summary),
                e(&ev.path),
                ev.line,
                e(&stamp(ev.ts)),
                e(ev.record_sha256.as_deref().unwrap_or("(not in the inputs)"))
            );
            if let Some(c) = &n.comment {
                let _ = write!(o, "<p>comment: {}</p>", e(c));
            }
            if let Some(rec) = &ev.record {
                let _ = write!(o, "<pre>{}</pre>", e(rec));
            }
            o.push_str("</li>");
        }
        o.push_str("</ul>\n");
    }
    o.push_str("</body></html>\n");
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_escapes_markup_and_controls() {
        assert_eq!(
            html_escape("<script>&\"'"),
            "&lt;script&gt;&amp;&quot;&#39;"
        );
        assert!(!html_escape("a\x1bb").contains('\x1b'));
    }
}
