//! The lineage graph of a session: built by an observer during the index build and saved
//! beside the cached index, read back (or built again from the inputs) when asked for.
//!
//! Allowed imports: `ingest` (observer and sink traits), `lineage`, `model`, `store`, std.

use std::path::{Path, PathBuf};

use crate::ingest::{EventObserver, EventSink, IngestOptions, ingest};
use crate::lineage::{GRAPH_FILE, Graph, GraphBuilder};
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
