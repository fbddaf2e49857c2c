//! `auditlens lineage` and `auditlens impact`, and the index-build observer that builds the
//! lineage graph while indexing and saves it beside the cached index.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde_json::json;

use super::{Outcome, open_index, report_skipped};
use crate::cli::{ImpactArgs, LineageArgs};
use crate::index::OpenedIndex;
use crate::ingest::{EventObserver, EventSink, ingest};
use crate::lineage::{GRAPH_FILE, Graph, GraphBuilder, dot, impact_text, model_text};
use crate::model::{AuditEvent, escape_control, safe_json};
use crate::settings::Settings;

/// Builds the lineage graph during an index build; `finish` writes it to
/// `<cache dir>/lineage.json`, which [`load_graph`] reads back.
#[derive(Default)]
pub struct LineageObserver {
    builder: GraphBuilder,
}

impl EventObserver for LineageObserver {
    fn observe(&mut self, event: &AuditEvent) {
        self.builder.observe(event);
    }

    fn finish(&mut self, dir: &Path) -> std::io::Result<()> {
        let graph = std::mem::take(&mut self.builder).finish();
        std::fs::write(dir.join(GRAPH_FILE), graph.to_bytes())
    }
}

struct Fold<'a>(&'a mut GraphBuilder);

impl EventSink for Fold<'_> {
    fn event(&mut self, event: AuditEvent, _raw: &str) -> bool {
        self.0.observe(&event);
        true
    }
}

/// The lineage graph of an opened index: read from its cache folder, or (for an index
/// cached before lineage existed, or a damaged file) built again from the inputs and saved.
pub fn load_graph(
    opened: &OpenedIndex,
    paths: &[PathBuf],
    settings: &Settings,
    err: &mut dyn Write,
) -> Result<Graph> {
    let file = opened.dir.join(GRAPH_FILE);
    let why = match std::fs::read(&file) {
        Ok(bytes) => match Graph::from_bytes(&bytes) {
            Ok(g) => return Ok(g),
            Err(e) => e.to_string(),
        },
        Err(e) => e.to_string(),
    };
    writeln!(
        err,
        "note: building the lineage graph ({}: {})",
        escape_control(&file.display().to_string()),
        escape_control(&why)
    )?;
    let mut builder = GraphBuilder::new();
    ingest(
        paths,
        settings.ingest_options(),
        &mut Fold(&mut builder),
        |_| {},
    );
    let graph = builder.finish();
    if let Err(e) = std::fs::write(&file, graph.to_bytes()) {
        writeln!(
            err,
            "note: could not save the lineage graph: {}",
            escape_control(&e.to_string())
        )?;
    }
    Ok(graph)
}

fn open_graph(paths: &[PathBuf], settings: &Settings, err: &mut dyn Write) -> Result<Graph> {
    let opened = open_index(paths, settings, err)?;
    super::access_log::record_open(
        settings,
        "lineage",
        paths,
        Some(opened.digest.clone()),
        None,
        serde_json::Value::Null,
    )?;
    report_skipped(&opened, err)?;
    load_graph(&opened, paths, settings, err)
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
    settings: &Settings,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<Outcome> {
    let masker = settings.masker.clone();
    let mut masking_out = super::access_log::MaskingWriter::new(out, masker);
    let out: &mut dyn Write = &mut masking_out;
    let g = open_graph(&a.paths, settings, err)?;
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
    let Some(tree) = g.model_tree_for(model, a.version.as_deref()) else {
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
    settings: &Settings,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<Outcome> {
    let masker = settings.masker.clone();
    let mut masking_out = super::access_log::MaskingWriter::new(out, masker);
    let out: &mut dyn Write = &mut masking_out;
    let g = open_graph(&a.paths, settings, err)?;
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
