//! The lineage graph of a session: built by an observer during the index build and saved
//! beside the cached index, read back (or built again from the inputs) when asked for.
//!
//! The session also says which of its alerts cite each model version ([`AlertsCiting`]).
//!
//! Allowed imports: `alerts` (the alert type), `ingest` (observer and sink traits),
//! `lineage`, `model`, `store`, std.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::alerts::Alert;
use crate::ingest::{EventObserver, EventSink, IngestOptions, ingest};
use crate::lineage::{AlertCitations, AlertRef, GRAPH_FILE, Graph, GraphBuilder, ModelTree};
use crate::model::AuditEvent;

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

/// The lineage graph saved in the cache folder `dir`, or (for an index cached before
/// lineage existed, or a damaged file) built again from `inputs` and saved. `note` hears
/// what happened (plain text, not yet escaped).
pub(crate) fn load_graph(
    dir: &Path,
    inputs: &[PathBuf],
    opts: IngestOptions,
    note: &mut dyn FnMut(String),
) -> Graph {
    let file = dir.join(GRAPH_FILE);
    let why = match std::fs::read(&file) {
        Ok(bytes) => match Graph::from_bytes(&bytes) {
            Ok(g) => return g,
            Err(e) => e.to_string(),
        },
        Err(e) => e.to_string(),
    };
    note(format!(
        "building the lineage graph ({}: {why})",
        file.display()
    ));
    let mut builder = GraphBuilder::new();
    ingest(inputs, opts, &mut Fold(&mut builder), |_| {});
    let graph = builder.finish();
    if let Err(e) = std::fs::write(&file, graph.to_bytes()) {
        note(format!("could not save the lineage graph: {e}"));
    }
    graph
}

/// The lineage graph of the events in `store`, built from one keyset scan (a remote store
/// has no graph file beside it). Memory: one page plus the graph.
pub fn graph_from_store(
    store: &dyn crate::store::Store,
) -> Result<Graph, crate::store::StoreError> {
    let mut builder = GraphBuilder::default();
    let all = crate::store::Selection::default();
    for page in crate::store::Scan::new(store, all, 4096) {
        for h in page? {
            builder.observe(&h.event);
        }
    }
    Ok(builder.finish())
}

/// Which alerts cite each model version: an alert cites a version when one of its evidence
/// events names that model and version. Built once from a session's alerts, for the
/// `lineage` command and the explorer's Lineage pane alike.
#[derive(Debug, Default)]
pub struct AlertsCiting {
    by_version: HashMap<(String, String), Vec<AlertRef>>,
}

impl AlertsCiting {
    /// Indexes `alerts` (in any order) by the model versions their evidence names. Alert ids
    /// number each rule's alerts in time order (`rule#1`, `rule#2`, ...).
    pub fn new(alerts: &[Alert]) -> Self {
        let mut order: Vec<&Alert> = alerts.iter().collect();
        order.sort_by(|a, b| (a.first_ts, &a.rule, &a.key).cmp(&(b.first_ts, &b.rule, &b.key)));
        let mut per_rule: HashMap<&str, u64> = HashMap::new();
        let mut by_version: HashMap<(String, String), Vec<AlertRef>> = HashMap::new();
        for a in order {
            let n = per_rule.entry(a.rule.as_str()).or_insert(0);
            *n += 1;
            let id = format!("{}#{n}", a.rule);
            let mut cited: Vec<((String, String), AlertRef)> = Vec::new();
            for e in &a.evidence {
                let Some(m) = &e.model else { continue };
                let Some(version) = &m.version else { continue };
                let key = (m.id.clone(), version.clone());
                let at = if let Some(i) = cited.iter().position(|(k, _)| *k == key) {
                    i
                } else {
                    cited.push((
                        key,
                        AlertRef {
                            id: id.clone(),
                            rule: a.rule.clone(),
                            severity: a.severity.to_string(),
                            ts: a.first_ts,
                            message: a.title.clone(),
                            count: 0,
                            evidence: Vec::new(),
                            ords: Vec::new(),
                        },
                    ));
                    cited.len() - 1
                };
                let r = &mut cited[at].1;
                r.count += 1;
                r.evidence.push(crate::lineage::RefSite {
                    path: e.path.clone(),
                    line: e.line,
                });
                r.ords.extend(e.ord);
            }
            for (key, r) in cited {
                by_version.entry(key).or_default().push(r);
            }
        }
        Self { by_version }
    }

    /// Fills the `alerts` of each version of `tree`.
    pub fn attach(&self, tree: &mut ModelTree) {
        tree.attach_alerts(self);
    }
}

impl AlertCitations for AlertsCiting {
    fn alerts_for(&self, model: &str, version: &str) -> Vec<AlertRef> {
        self.by_version
            .get(&(model.to_owned(), version.to_owned()))
            .cloned()
            .unwrap_or_default()
    }
}
