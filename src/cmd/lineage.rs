//! `auditlens lineage` and `auditlens impact`.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use serde_json::json;

use super::{Outcome, open_index, report_skipped};
use crate::cli::{ImpactArgs, LineageArgs};
use crate::lineage::{Graph, dot, impact_text, model_text};
use crate::model::{escape_control, safe_json};
use crate::session::alerts::{evaluate, load_rules};
use crate::session::{AlertsCiting, Opened, Session};
use crate::settings::Settings;
use crate::store::Store;

/// The lineage graph of an opened index (see [`crate::session::load_graph`]), with its
/// notes on `err`.
pub(crate) fn load_graph(
    opened: &Opened,
    settings: &Settings,
    err: &mut dyn Write,
) -> Result<Graph> {
    let mut notes = Vec::new();
    let graph = opened.lineage(settings.ingest_options(), &mut |n| notes.push(n));
    for n in notes {
        writeln!(err, "note: {}", escape_control(&n))?;
    }
    Ok(graph)
}

/// The alerts of the default rules over `store`, for the versions they cite; when they
/// cannot be evaluated, a note on `err` and none.
fn alerts_citing(store: &dyn Store, err: &mut dyn Write) -> Result<AlertsCiting> {
    let evaluated = load_rules(None).and_then(|rules| evaluate(store, &rules));
    Ok(match evaluated {
        Ok(e) => AlertsCiting::new(&e.alerts),
        Err(e) => {
            writeln!(
                err,
                "note: the alerts citing each version are not shown: {}",
                escape_control(&e.to_string())
            )?;
            AlertsCiting::default()
        }
    })
}

/// The graph of the inputs (or of a remote store) and, when `with_alerts`, the alerts that
/// cite its model versions.
fn open_graph(
    paths: &[PathBuf],
    remote: Option<&str>,
    command: &str,
    session: &Session,
    with_alerts: bool,
    err: &mut dyn Write,
) -> Result<(Graph, AlertsCiting)> {
    let settings = session.settings();
    if let Some(url) = remote {
        let store = super::remote_store(url, session.settings())?;
        super::access_log::record(
            settings,
            super::remote_entry(command, &store, None, serde_json::Value::Null),
        )?;
        let graph = crate::session::graph_from_store(&store)
            .map_err(|e| anyhow::anyhow!("{e}"))
            .with_context(|| format!("reading the events of {url}"))?;
        let alerts = if with_alerts {
            alerts_citing(&store, err)?
        } else {
            AlertsCiting::default()
        };
        return Ok((graph, alerts));
    }
    let opened = open_index(session, paths, err)?;
    super::access_log::record_open(
        settings,
        command,
        paths,
        Some(opened.digest().to_owned()),
        None,
        serde_json::Value::Null,
    )?;
    report_skipped(&opened, err)?;
    let graph = load_graph(&opened, settings, err)?;
    let alerts = if with_alerts {
        let store = opened.store().context("opening the index")?;
        alerts_citing(&store, err)?
    } else {
        AlertsCiting::default()
    };
    Ok((graph, alerts))
}

fn known_models(g: &Graph) -> String {
    let models = g.models();
    if models.is_empty() {
        return "no model is named by any event".to_owned();
    }
    let list = models
        .iter()
        .map(|m| m.id.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    format!("known models: {list}")
}

pub(super) fn run_lineage(
    a: &LineageArgs,
    session: &Session,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<Outcome> {
    let settings = session.settings();
    let masker = settings.masker.clone();
    let mut masking_out = super::access_log::MaskingWriter::new(out, masker);
    let out: &mut dyn Write = &mut masking_out;
    // Only a model's tree shows alerts: `--list` does not evaluate the rules.
    let (g, alerts) = open_graph(
        &a.paths,
        a.remote.as_deref(),
        "lineage",
        session,
        !a.list,
        err,
    )?;
    if a.list {
        let models = g.models();
        if a.json {
            writeln!(
                out,
                "{}",
                safe_json::to_string_pretty(&json!({ "models": models }))?
            )?;
        } else if models.is_empty() {
            writeln!(out, "no model is named by any event")?;
        } else {
            for m in &models {
                let mut line = format!(
                    "{}: {}",
                    m.id,
                    if m.versions.is_empty() {
                        "no version".to_owned()
                    } else {
                        format!("versions {}", m.versions.join(", "))
                    }
                );
                if !m.runs_without_version.is_empty() {
                    line = format!(
                        "{line}; runs without a version: {}",
                        m.runs_without_version.join(", ")
                    );
                }
                writeln!(out, "{}", escape_control(&line))?;
            }
        }
        return Ok(Outcome::Ok);
    }
    let model = a
        .model
        .as_deref()
        .context("--model ID is required (or --list)")?;
    let Some(mut tree) = g.model_tree_for(model, a.version.as_deref()) else {
        if let (Some(v), Some(m)) = (&a.version, g.models().iter().find(|m| m.id == model)) {
            bail!(
                "model {:?} has no version {:?}; its versions: {}",
                model,
                v,
                if m.versions.is_empty() {
                    "none".to_owned()
                } else {
                    m.versions.join(", ")
                }
            );
        }
        bail!("unknown model {:?}; {}", model, known_models(&g));
    };
    alerts.attach(&mut tree);
    if a.json {
        // Serialised from the struct so keys keep their documented order.
        writeln!(out, "{}", safe_json::to_string_pretty(&tree)?)?;
    } else if a.dot {
        write!(out, "{}", dot(&tree))?;
    } else {
        write!(out, "{}", model_text(&tree))?;
    }
    Ok(Outcome::Ok)
}

pub(super) fn run_impact(
    a: &ImpactArgs,
    session: &Session,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<Outcome> {
    let settings = session.settings();
    let masker = settings.masker.clone();
    let mut masking_out = super::access_log::MaskingWriter::new(out, masker);
    let out: &mut dyn Write = &mut masking_out;
    let (g, _) = open_graph(&a.paths, a.remote.as_deref(), "impact", session, false, err)?;
    // The whole argument as an id first (ids may hold '@'), then ID@VERSION.
    let impact = g.impact(&a.dataset, None).or_else(|| {
        let (id, v) = a.dataset.rsplit_once('@')?;
        g.impact(id, Some(v))
    });
    let Some(impact) = impact else {
        let known = g.datasets();
        let list = known
            .iter()
            .map(|(id, vs)| {
                let vs: Vec<&str> = vs.iter().filter_map(Option::as_deref).collect();
                if vs.is_empty() {
                    id.clone()
                } else {
                    format!("{id} ({})", vs.join(", "))
                }
            })
            .collect::<Vec<_>>();
        bail!(
            "unknown dataset {:?}; {}",
            a.dataset,
            if list.is_empty() {
                "no dataset is named by any event".to_owned()
            } else {
                format!("known datasets: {}", list.join("; "))
            }
        );
    };
    if a.json {
        writeln!(out, "{}", safe_json::to_string_pretty(&impact)?)?;
    } else {
        write!(out, "{}", impact_text(&impact))?;
    }
    Ok(Outcome::Ok)
}
