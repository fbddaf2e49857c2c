//! Renderings of trees and impact sets: indented plain text (control characters of log
//! content escaped) and Graphviz DOT (labels escaped).

use std::collections::HashMap;
use std::fmt::Write as _;

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::Value;

use super::node::{NodeKey, RunStatus, kind};
use super::tree::{AlertRef, Impact, ModelTree, TreeNode};
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

/// What a line of a model's text tree stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TreeLineKind {
    /// The model's heading (`model ID: N version(s)`).
    Model,
    /// A version's heading (`  version V`).
    Version,
    /// A node of an upstream or downstream tree (`<- dataset d@1  [action]`).
    Node(NodeKey),
    /// An alert citing the version above it, by its id (its line and its evidence line).
    Alert(String),
    /// Anything else: a detail of the version above it, or of the model.
    Detail,
}

/// One line of [`model_lines`]: its text (control characters escaped, no line break), what
/// it stands for, the version section it is in, and whether it reports something wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeLine {
    /// The text.
    pub text: String,
    /// What the line stands for.
    pub kind: TreeLineKind,
    /// The version of the last version heading at or above the line (`None` above the
    /// first); lines after the versions (runs without a version, dangling references,
    /// cycles) keep the last one.
    pub version: Option<String>,
    /// A cycle report, or a production deployment without an approval before it.
    pub warning: bool,
}

/// Collects the lines of one model's tree.
struct Lines {
    lines: Vec<TreeLine>,
    version: Option<String>,
}

impl Lines {
    fn push(&mut self, text: String, kind: TreeLineKind, warning: bool) {
        self.lines.push(TreeLine {
            text,
            kind,
            version: self.version.clone(),
            warning,
        });
    }

    fn detail(&mut self, text: impl Into<String>) {
        self.push(text.into(), TreeLineKind::Detail, false);
    }
}

fn tree_lines(out: &mut Lines, lines: &[TreeNode], arrow: &str, indent: usize) {
    for l in lines {
        let pad = "  ".repeat(indent + l.depth - 1);
        let mut o = format!("{pad}{arrow} {}", key_text(&l.key));
        if let Some(env) = &l.environment {
            let _ = write!(o, " ({})", esc(env));
        }
        let _ = write!(o, "  [{}]", esc(&l.action));
        if l.dangling {
            o.push_str("  DANGLING: not in the export");
        }
        if l.repeat {
            o.push_str("  (shown above)");
        }
        out.push(o, TreeLineKind::Node(l.key.clone()), false);
    }
}

/// Evidence lines shown per alert in a text tree.
const ALERT_EVIDENCE: usize = 3;

/// `        evidence: 2 event(s) of this version: a.jsonl:3, a.jsonl:9`
fn alert_evidence_text(a: &AlertRef) -> String {
    let sites: Vec<String> = a
        .evidence
        .iter()
        .take(ALERT_EVIDENCE)
        .map(|e| format!("{}:{}", esc(&e.path), e.line))
        .collect();
    let more = a.count.saturating_sub(sites.len() as u64);
    let mut o = format!(
        "        evidence: {} event(s) of this version: {}",
        a.count,
        sites.join(", ")
    );
    if more > 0 {
        let _ = write!(o, " and {more} more");
    }
    o
}

/// The indented text tree `lineage` prints: [`model_lines`], one per line.
pub fn model_text(t: &ModelTree) -> String {
    let mut o = String::new();
    for l in model_lines(t) {
        o.push_str(&l.text);
        o.push('\n');
    }
    o
}

/// The lines of a model's text tree, each with what it stands for (the explorer's lineage
/// pane shows these and finds its rows by them, never by their text).
#[allow(clippy::too_many_lines)]
pub(crate) fn model_lines(t: &ModelTree) -> Vec<TreeLine> {
    let mut o = Lines {
        lines: Vec::new(),
        version: None,
    };
    o.push(
        format!("model {}: {} version(s)", esc(&t.model), t.versions.len()),
        TreeLineKind::Model,
        false,
    );
    for v in &t.versions {
        o.version = Some(v.version.clone());
        o.push(
            format!("  version {}", esc(&v.version)),
            TreeLineKind::Version,
            false,
        );
        match &v.run_id {
            Some(r) => {
                let status = v.run_status.map_or("unknown", RunStatus::as_str);
                o.detail(format!(
                    "    run: {} ({status}), trained {}",
                    esc(r),
                    ts(v.trained_at)
                ));
            }
            None if v.trained_at.is_some() => {
                o.detail(format!("    run: no run, produced {}", ts(v.trained_at)));
            }
            None => o.detail("    run: no run"),
        }
        o.detail(format!(
            "    approved: {}",
            if v.approved { "yes" } else { "no" }
        ));
        o.detail("    upstream:");
        if v.upstream_tree.is_empty() {
            o.detail("      (nothing)");
        }
        tree_lines(&mut o, &v.upstream_tree, "<-", 3);
        if !v.evaluations.is_empty() {
            o.detail("    evaluations:");
            for e in &v.evaluations {
                let metrics = e
                    .metrics
                    .iter()
                    .map(|(k, m)| format!("{}={}", esc(k), value_text(m)))
                    .collect::<Vec<_>>()
                    .join(" ");
                let mut l = format!("      {} {} {}", ts(e.ts), esc(&e.action), esc(&e.outcome));
                if !metrics.is_empty() {
                    let _ = write!(l, "  {metrics}");
                }
                if let Some(th) = &e.threshold {
                    let _ = write!(l, "  threshold={}", value_text(th));
                }
                o.detail(l);
            }
        }
        o.detail("    approvals:");
        if v.approvals.is_empty() {
            o.detail("      (none)");
        }
        for a in &v.approvals {
            o.detail(format!(
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
            ));
        }
        if !v.deployments.is_empty() {
            o.detail("    deployments:");
            for d in &v.deployments {
                let unapproved = d.action.rsplit('.').next() == Some("deploy")
                    && !d.approved_before
                    && d.environment.as_deref().is_some_and(is_production);
                o.push(
                    format!(
                        "      {} {} {} -> {} by {} ({}){}",
                        ts(d.ts),
                        esc(&d.action),
                        esc(d.environment.as_deref().unwrap_or("no environment")),
                        esc(d.target.as_deref().unwrap_or("?")),
                        esc(d.by.as_deref().unwrap_or("unknown")),
                        esc(&d.outcome),
                        if unapproved {
                            "  NOT APPROVED BEFORE"
                        } else {
                            ""
                        }
                    ),
                    TreeLineKind::Detail,
                    unapproved,
                );
            }
        }
        if !v.child_runs.is_empty() {
            o.detail("    child runs:");
            for r in &v.child_runs {
                o.detail(format!(
                    "      run {} ({}), {} .. {}",
                    esc(&r.id),
                    r.status.as_str(),
                    ts(r.started_at),
                    ts(r.ended_at)
                ));
            }
        }
        o.detail("    downstream:");
        if v.downstream_tree.is_empty() {
            o.detail("      (nothing)");
        }
        tree_lines(&mut o, &v.downstream_tree, "->", 3);
        if !v.predictions.is_empty() {
            o.detail("    predictions:");
            for p in &v.predictions {
                o.detail(format!(
                    "      {}{}: {} ({} .. {})",
                    esc(p.endpoint.as_deref().unwrap_or("no endpoint")),
                    p.environment
                        .as_deref()
                        .map(|e| format!(" ({})", esc(e)))
                        .unwrap_or_default(),
                    p.count,
                    ts(p.first_ts),
                    ts(p.last_ts)
                ));
            }
        }
        if !v.alerts.is_empty() {
            o.detail("    alerts:");
            for a in &v.alerts {
                let kind = TreeLineKind::Alert(a.id.clone());
                let text = format!(
                    "      [{}] {} {}: {}",
                    esc(&a.severity),
                    ts(a.ts),
                    esc(&a.id),
                    esc(&a.message)
                );
                o.push(text, kind.clone(), false);
                o.push(alert_evidence_text(a), kind, false);
            }
        }
        if v.omitted > 0 {
            o.detail(format!("    ({} more history entries not kept)", v.omitted));
        }
    }
    if !t.runs_without_version.is_empty() {
        o.detail("  runs without a version:");
        for r in &t.runs_without_version {
            let mut l = format!(
                "    run {} ({}), {} .. {}",
                esc(&r.id),
                r.status.as_str(),
                ts(r.started_at),
                ts(r.ended_at)
            );
            if let Some(f) = &r.failure {
                let _ = write!(l, ": {}", esc(f));
            }
            o.detail(l);
        }
    }
    if !t.dangling.is_empty() {
        o.detail("  dangling references (not in the export):");
        for d in &t.dangling {
            let mut l = format!("    {}", key_text(&d.key));
            if let Some(s) = &d.first_seen {
                let _ = write!(l, "  first referenced at {}:{}", esc(&s.path), s.line);
            }
            o.detail(l);
        }
    }
    for (i, l) in cycle_lines(&t.cycles).into_iter().enumerate() {
        // The heading says what is wrong; the cycles below it are its detail.
        o.push(l, TreeLineKind::Detail, i == 0);
    }
    o.lines
}

/// The cycle report: a heading, then one line per cycle (nothing without cycles).
fn cycle_lines(cycles: &[Vec<NodeKey>]) -> Vec<String> {
    if cycles.is_empty() {
        return Vec::new();
    }
    let mut lines = vec!["  CYCLES in the lineage (bad input):".to_owned()];
    for c in cycles {
        lines.push(format!(
            "    {}",
            c.iter().map(key_text).collect::<Vec<_>>().join(" <-> ")
        ));
    }
    lines
}

fn cycles_text(o: &mut String, cycles: &[Vec<NodeKey>]) {
    for l in cycle_lines(cycles) {
        o.push_str(&l);
        o.push('\n');
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
