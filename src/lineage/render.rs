//! Renderings of trees and impact sets: indented plain text (control characters of log
//! content escaped) and Graphviz DOT (labels escaped).

use std::collections::HashMap;
use std::fmt::Write as _;

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::Value;

use super::node::{NodeKey, RunStatus, kind};
use super::tree::{Impact, ModelTree, TreeNode};
use crate::model::escape_control;

fn ts(t: Option<DateTime<Utc>>) -> String {
    t.map_or_else(
        || "unknown time".to_owned(),
        |t| t.to_rfc3339_opts(SecondsFormat::Secs, true),
    )
}

fn esc(s: &str) -> String {
    escape_control(s).into_owned()
}

fn key_text(k: &NodeKey) -> String {
    esc(&k.to_string())
}

fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => esc(s),
        other => esc(&other.to_string()),
    }
}

/// `production`, `prod`, `prod-eu`...: where an unapproved deployment is an incident.
fn is_production(env: &str) -> bool {
    env.to_ascii_lowercase().starts_with("prod")
}

fn tree_lines(out: &mut String, lines: &[TreeNode], arrow: &str, indent: usize) {
    for l in lines {
        let pad = "  ".repeat(indent + l.depth - 1);
        let _ = write!(out, "{pad}{arrow} {}", key_text(&l.key));
        if let Some(env) = &l.environment {
            let _ = write!(out, " ({})", esc(env));
        }
        let _ = write!(out, "  [{}]", esc(&l.action));
        if l.dangling {
            out.push_str("  DANGLING: not in the export");
        }
        if l.repeat {
            out.push_str("  (shown above)");
        }
        out.push('\n');
    }
}

/// The indented text tree `lineage` prints.
#[allow(clippy::too_many_lines)]
pub fn model_text(t: &ModelTree) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "model {}: {} version(s)",
        esc(&t.model),
        t.versions.len()
    );
    for v in &t.versions {
        let _ = writeln!(o, "  version {}", esc(&v.version));
        match &v.run_id {
            Some(r) => {
                let status = v.run_status.map_or("unknown", RunStatus::as_str);
                let _ = writeln!(
                    o,
                    "    run: {} ({status}), trained {}",
                    esc(r),
                    ts(v.trained_at)
                );
            }
            None if v.trained_at.is_some() => {
                let _ = writeln!(o, "    run: no run, produced {}", ts(v.trained_at));
            }
            None => o.push_str("    run: no run\n"),
        }
        let _ = writeln!(o, "    approved: {}", if v.approved { "yes" } else { "no" });
        o.push_str("    upstream:\n");
        if v.upstream_tree.is_empty() {
            o.push_str("      (nothing)\n");
        }
        tree_lines(&mut o, &v.upstream_tree, "<-", 3);
        if !v.evaluations.is_empty() {
            o.push_str("    evaluations:\n");
            for e in &v.evaluations {
                let metrics = e
                    .metrics
                    .iter()
                    .map(|(k, m)| format!("{}={}", esc(k), value_text(m)))
                    .collect::<Vec<_>>()
                    .join(" ");
                let _ = write!(
                    o,
                    "      {} {} {}",
                    ts(e.ts),
                    esc(&e.action),
                    esc(&e.outcome)
                );
                if !metrics.is_empty() {
                    let _ = write!(o, "  {metrics}");
                }
                if let Some(th) = &e.threshold {
                    let _ = write!(o, "  threshold={}", value_text(th));
                }
                o.push('\n');
            }
        }
        o.push_str("    approvals:\n");
        if v.approvals.is_empty() {
            o.push_str("      (none)\n");
        }
        for a in &v.approvals {
            let _ = writeln!(
                o,
                "      {} {} by {} ({}, {})",
                ts(a.ts),
                if a.approved {
                    "approved"
                } else {
                    "NOT approved"
                },
                esc(a.by.as_deref().unwrap_or("unknown")),
                esc(&a.action),
                esc(&a.outcome)
            );
        }
        if !v.deployments.is_empty() {
            o.push_str("    deployments:\n");
            for d in &v.deployments {
                let _ = writeln!(
                    o,
                    "      {} {} {} -> {} by {} ({}){}",
                    ts(d.ts),
                    esc(&d.action),
                    esc(d.environment.as_deref().unwrap_or("no environment")),
                    esc(d.target.as_deref().unwrap_or("?")),
                    esc(d.by.as_deref().unwrap_or("unknown")),
                    esc(&d.outcome),
                    if d.action.rsplit('.').next() == Some("deploy")
                        && !d.approved_before
                        && d.environment.as_deref().is_some_and(is_production)
                    {
                        "  NOT APPROVED BEFORE"
                    } else {
                        ""
                    }
                );
            }
        }
        if !v.child_runs.is_empty() {
            o.push_str("    child runs:\n");
            for r in &v.child_runs {
                let _ = writeln!(
                    o,
                    "      run {} ({}), {} .. {}",
                    esc(&r.id),
                    r.status.as_str(),
                    ts(r.started_at),
                    ts(r.ended_at)
                );
            }
        }
        o.push_str("    downstream:\n");
        if v.downstream_tree.is_empty() {
            o.push_str("      (nothing)\n");
        }
        tree_lines(&mut o, &v.downstream_tree, "->", 3);
        if !v.predictions.is_empty() {
            o.push_str("    predictions:\n");
            for p in &v.predictions {
                let _ = writeln!(
                    o,
                    "      {}{}: {} ({} .. {})",
                    esc(p.endpoint.as_deref().unwrap_or("no endpoint")),
                    p.environment
                        .as_deref()
                        .map(|e| format!(" ({})", esc(e)))
                        .unwrap_or_default(),
                    p.count,
                    ts(p.first_ts),
                    ts(p.last_ts)
                );
            }
        }
        if !v.alerts.is_empty() {
            o.push_str("    alerts:\n");
            for a in &v.alerts {
                let _ = writeln!(
                    o,
                    "      {} {} {} {}",
                    ts(a.ts),
                    esc(&a.severity),
                    esc(&a.rule),
                    esc(&a.message)
                );
            }
        }
        if v.omitted > 0 {
            let _ = writeln!(o, "    ({} more history entries not kept)", v.omitted);
        }
    }
    if !t.runs_without_version.is_empty() {
        o.push_str("  runs without a version:\n");
        for r in &t.runs_without_version {
            let _ = write!(
                o,
                "    run {} ({}), {} .. {}",
                esc(&r.id),
                r.status.as_str(),
                ts(r.started_at),
                ts(r.ended_at)
            );
            if let Some(f) = &r.failure {
                let _ = write!(o, ": {}", esc(f));
            }
            o.push('\n');
        }
    }
    if !t.dangling.is_empty() {
        o.push_str("  dangling references (not in the export):\n");
        for d in &t.dangling {
            let _ = write!(o, "    {}", key_text(&d.key));
            if let Some(s) = &d.first_seen {
                let _ = write!(o, "  first referenced at {}:{}", esc(&s.path), s.line);
            }
            o.push('\n');
        }
    }
    cycles_text(&mut o, &t.cycles);
    o
}

fn cycles_text(o: &mut String, cycles: &[Vec<NodeKey>]) {
    if cycles.is_empty() {
        return;
    }
    o.push_str("  CYCLES in the lineage (bad input):\n");
    for c in cycles {
        let _ = writeln!(
            o,
            "    {}",
            c.iter().map(key_text).collect::<Vec<_>>().join(" <-> ")
        );
    }
}

/// The text `impact` prints: matched dataset nodes, then everything downstream by type.
pub fn impact_text(i: &Impact) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "dataset {}{}: {} node(s) downstream",
        esc(&i.dataset),
        i.version
            .as_deref()
            .map(|v| format!("@{}", esc(v)))
            .unwrap_or_default(),
        i.downstream.len()
    );
    let _ = writeln!(
        o,
        "  matched: {}",
        i.matched
            .iter()
            .map(key_text)
            .collect::<Vec<_>>()
            .join(", ")
    );
    let groups = [
        (kind::DATASET, "datasets"),
        (kind::FEATURE_SET, "feature sets"),
        (kind::RUN, "runs"),
        (kind::MODEL_VERSION, "model versions"),
        (kind::DEPLOYMENT, "deployments"),
        (kind::ENDPOINT, "endpoints"),
    ];
    for (k, title) in groups {
        let entries: Vec<_> = i.of_kind(k).collect();
        if entries.is_empty() {
            continue;
        }
        let _ = writeln!(o, "  {title} ({}):", entries.len());
        for e in entries {
            entry_line(&mut o, e);
        }
    }
    let others: Vec<_> = i
        .downstream
        .iter()
        .filter(|e| !groups.iter().any(|(k, _)| *k == e.key.kind))
        .collect();
    if !others.is_empty() {
        let _ = writeln!(o, "  other ({}):", others.len());
        for e in others {
            entry_line(&mut o, e);
        }
    }
    cycles_text(&mut o, &i.cycles);
    o
}

fn entry_line(o: &mut String, e: &super::tree::ImpactEntry) {
    let _ = write!(o, "    {}", key_text(&e.key));
    if let Some(env) = &e.environment {
        let _ = write!(o, " ({})", esc(env));
    }
    if let Some(a) = e.approved {
        o.push_str(if a { "  approved" } else { "  NOT approved" });
    }
    if e.dangling {
        o.push_str("  DANGLING");
    }
    if !e.via.is_empty() {
        let _ = write!(
            o,
            "  via {}",
            e.via.iter().map(key_text).collect::<Vec<_>>().join(", ")
        );
    }
    o.push('\n');
}

/// A DOT string literal: control characters shown escaped, `\` and `"` escaped.
fn dot_str(s: &str) -> String {
    let mut out = String::from("\"");
    for c in escape_control(s).chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

fn dot_label(k: &NodeKey, extra: Option<&str>) -> String {
    let mut lines = vec![k.kind.clone(), k.id.clone()];
    if let Some(v) = &k.version {
        lines.push(format!("v{v}"));
    }
    if let Some(e) = extra {
        lines.push(e.to_owned());
    }
    // Escape each line, then join with DOT's own line break.
    let parts: Vec<String> = lines
        .iter()
        .map(|l| {
            let q = dot_str(l);
            q[1..q.len() - 1].to_owned()
        })
        .collect();
    format!("\"{}\"", parts.join("\\n"))
}

/// Graphviz DOT of a model tree: nodes shaped by type, dangling nodes dashed, cycles red.
pub fn dot(t: &ModelTree) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "digraph lineage {{");
    let _ = writeln!(o, "  label={};", dot_str(&format!("model {}", t.model)));
    o.push_str("  rankdir=LR;\n  node [fontname=\"Helvetica\", fontsize=10];\n");
    let in_cycle: Vec<&NodeKey> = t.cycles.iter().flatten().collect();
    let mut ids: HashMap<&NodeKey, usize> = HashMap::new();
    for (i, n) in t.nodes.iter().enumerate() {
        ids.insert(&n.key, i);
        let shape = match n.key.kind.as_str() {
            kind::SOURCE => "cylinder",
            kind::DATASET => "folder",
            kind::FEATURE_SET => "component",
            kind::RUN => "ellipse",
            kind::MODEL_VERSION => "box3d",
            kind::DEPLOYMENT => "house",
            kind::ENDPOINT => "doublecircle",
            _ => "box",
        };
        let mut attrs = vec![
            format!("label={}", dot_label(&n.key, n.environment.as_deref())),
            format!("shape={shape}"),
        ];
        if n.dangling {
            attrs.push("style=dashed".into());
        }
        if in_cycle.contains(&&n.key) {
            attrs.push("color=red".into());
        }
        let _ = writeln!(o, "  n{i} [{}];", attrs.join(", "));
    }
    for e in &t.edges {
        let (Some(a), Some(b)) = (ids.get(&e.from), ids.get(&e.to)) else {
            continue;
        };
        let _ = writeln!(o, "  n{a} -> n{b} [label={}];", dot_str(&e.action));
    }
    o.push_str("}\n");
    o
}
