//! Finishing the graph: nodes described by other events, runs only referenced, runs linked
//! to the models they trained (by event, parent or name), and the sorted parts.

use super::GraphBuilder;
use crate::lineage::graph::{Graph, version_order};
use crate::lineage::node::{Node, RunInfo, RunStatus, VersionInfo, kind};

impl GraphBuilder {
    /// The finished graph.
    pub fn finish(mut self) -> Graph {
        for n in &mut self.nodes {
            if n.events == 0
                && self
                    .described
                    .get(&n.key.kind)
                    .is_some_and(|ids| ids.contains(&n.key.id))
            {
                n.events = 1;
            }
        }
        // Runs only referenced (never carrying events of their own) are listed too, as unknown.
        for (i, n) in self.nodes.iter().enumerate() {
            if n.key.kind == kind::RUN && !self.runs.contains(i as u32) {
                self.runs.get_or_insert_with(i as u32, || {
                    RunInfo::new(n.key.id.clone(), RunStatus::Unknown)
                });
            }
        }
        let mut runs: Vec<RunInfo> = self.runs.into_values().collect();
        runs.sort_by(|a, b| a.id.cmp(&b.id));
        link_runs_to_models(&mut runs, &self.nodes);
        for v in self.versions.values() {
            let Some(rid) = &v.run_id else { continue };
            if let Ok(i) = runs.binary_search_by(|r| r.id.as_str().cmp(rid)) {
                runs[i].produced.push((v.model.clone(), v.version.clone()));
            }
        }
        for r in &mut runs {
            r.produced
                .sort_by(|a, b| a.0.cmp(&b.0).then_with(|| version_order(&a.1, &b.1)));
        }
        let mut versions: Vec<VersionInfo> = self.versions.into_values().collect();
        for p in versions.iter_mut().flat_map(|v| v.predictions.iter_mut()) {
            p.cached = None;
        }
        versions.sort_by(|a, b| {
            a.model
                .cmp(&b.model)
                .then_with(|| version_order(&a.version, &b.version))
        });
        Graph::from_parts(self.nodes, self.edges, versions, runs, self.events)
    }
}

/// Most models for which runs without a model are matched by name (beyond, they are not).
const MAX_NAME_MATCH_MODELS: usize = 1000;

/// Whether `hay` holds `needle` as a whole token (bounded by the ends or by `-`, `_`, `/`,
/// `:` or `.`).
fn has_token(hay: &str, needle: &str) -> bool {
    let sep = |c: Option<char>| c.is_none_or(|c| matches!(c, '-' | '_' | '/' | ':' | '.'));
    hay.match_indices(needle).any(|(i, _)| {
        sep(hay[..i].chars().next_back()) && sep(hay[i + needle.len()..].chars().next())
    })
}

/// Gives each run that names no model one: its parent's (transitively), else the longest
/// known model id its run id is named after (`run-<model>-<n>`). Sorted `runs` in, same out.
fn link_runs_to_models(runs: &mut [RunInfo], nodes: &[Node]) {
    for r in runs.iter_mut() {
        if !r.models.is_empty() {
            r.model_source = Some("event".to_owned());
        }
    }
    // Parents, followed up to the depth of the run forest (a cycle of parents ends too).
    for _ in 0..runs.len().min(64) {
        let mut changed = false;
        for i in 0..runs.len() {
            if !runs[i].models.is_empty() {
                continue;
            }
            let Some(p) = runs[i].parent.clone() else {
                continue;
            };
            if let Ok(pi) = runs.binary_search_by(|r| r.id.as_str().cmp(&p))
                && !runs[pi].models.is_empty()
            {
                let inherited = runs[pi].models.clone();
                runs[i].models = inherited;
                runs[i].model_source = Some("parent".to_owned());
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    let mut known: Vec<&str> = nodes
        .iter()
        .filter(|n| n.key.kind == kind::MODEL_VERSION)
        .map(|n| n.key.id.as_str())
        .chain(
            runs.iter()
                .flat_map(|r| r.models.iter().map(String::as_str)),
        )
        .collect();
    known.sort_unstable();
    known.dedup();
    if known.len() > MAX_NAME_MATCH_MODELS {
        return;
    }
    let by_name: Vec<Option<String>> = runs
        .iter()
        .map(|r| {
            if !r.models.is_empty() {
                return None;
            }
            known
                .iter()
                .filter(|m| !m.is_empty() && has_token(&r.id, m))
                .max_by_key(|m| m.len())
                .map(|m| (*m).to_owned())
        })
        .collect();
    for (r, m) in runs.iter_mut().zip(by_name) {
        if let Some(m) = m {
            r.models = vec![m];
            r.model_source = Some("name".to_owned());
        }
    }
}
