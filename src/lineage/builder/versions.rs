//! What one event says of a model version: evaluations, approvals, deployments (with
//! whether an approval came first) and prediction counts per endpoint.

use serde_json::Value;

use super::{Ctx, GraphBuilder, NO_RUN, max_ts, min_ts, set_if_changed, verb};
use crate::lineage::node::{
    Approval, Deployment, Evaluation, MAX_HISTORY, PredictionCount, kind, latest_decision,
};
use crate::model::{AuditEvent, Category};

impl GraphBuilder {
    /// Evaluations, approvals, deployments and predictions of one model version.
    #[allow(clippy::too_many_lines)]
    pub(super) fn version_event(
        &mut self,
        m: u32,
        e: &AuditEvent,
        ok: bool,
        ctx: &Ctx<'_>,
        outs: &[u32],
    ) {
        let by = || e.actor.id.clone();
        let outcome = || e.outcome.as_str().to_owned();
        match e.category {
            Category::Evaluation => {
                let metrics = match e.details.get("metrics") {
                    Some(Value::Object(o)) => o.clone(),
                    _ => serde_json::Map::new(),
                };
                let threshold = e.details.get("threshold").cloned();
                let vi = self.version_info(m);
                if vi.evaluations.len() < MAX_HISTORY {
                    vi.evaluations.push(Evaluation {
                        ts: ctx.ts,
                        action: e.action.clone(),
                        outcome: outcome(),
                        run_id: e.run_id.clone(),
                        metrics,
                        threshold,
                    });
                } else {
                    vi.omitted += 1;
                }
            }
            Category::Registry if verb(&e.action) == "approve" || verb(&e.action) == "reject" => {
                let approved = verb(&e.action) == "approve" && ok;
                let vi = self.version_info(m);
                if vi.approvals.len() < MAX_HISTORY {
                    vi.approvals.push(Approval {
                        ts: ctx.ts,
                        approved,
                        by: by(),
                        action: e.action.clone(),
                        outcome: outcome(),
                    });
                } else {
                    vi.omitted += 1;
                }
            }
            Category::Deployment => {
                let target = outs
                    .iter()
                    .map(|&o| &self.nodes[o as usize].key)
                    .find(|k| k.kind == kind::DEPLOYMENT || k.kind == kind::ENDPOINT)
                    .map(|k| k.id.clone())
                    .or_else(|| e.resource.id.clone());
                let vi = self.version_info(m);
                let approved_before =
                    latest_decision(&vi.approvals, ctx.ts).is_some_and(|a| a.approved);
                if vi.deployments.len() < MAX_HISTORY {
                    vi.deployments.push(Deployment {
                        ts: ctx.ts,
                        action: e.action.clone(),
                        environment: e.environment.clone(),
                        target,
                        by: by(),
                        outcome: outcome(),
                        approved_before,
                    });
                } else {
                    vi.omitted += 1;
                }
            }
            Category::Inference => self.prediction(m, e, ctx),
            _ => {}
        }
    }

    /// One prediction (or explanation): counted per model version and endpoint; the
    /// endpoint node and edge are remembered in the count's slot, so repeated predictions
    /// cost no hash look-up of the endpoint.
    fn prediction(&mut self, m: u32, e: &AuditEvent, ctx: &Ctx<'_>) {
        let endpoint = e.resource.id.as_deref().filter(|id| !id.is_empty());
        let vi = self.version_info(m);
        let slot_i = vi
            .predictions
            .iter()
            .position(|p| p.endpoint.as_deref() == endpoint)
            .unwrap_or_else(|| {
                vi.predictions.push(PredictionCount {
                    endpoint: endpoint.map(str::to_owned),
                    environment: None,
                    count: 0,
                    first_ts: None,
                    last_ts: None,
                    cached: None,
                });
                vi.predictions.len() - 1
            });
        let slot = &mut vi.predictions[slot_i];
        slot.count += 1;
        slot.first_ts = min_ts(slot.first_ts, ctx.ts);
        slot.last_ts = max_ts(slot.last_ts, ctx.ts);
        set_if_changed(&mut slot.environment, e.environment.as_deref());
        let cached = slot.cached;
        let Some(ep) = endpoint else { return };
        let ep_kind = e
            .resource
            .kind
            .as_deref()
            .filter(|k| !k.is_empty())
            .unwrap_or(kind::ENDPOINT);
        let (ep_node, edge) = match cached {
            Some((cached_node, edge))
                if self.nodes[cached_node as usize].key.kind == ep_kind
                    && self.edges[edge as usize].action == e.action =>
            {
                let ed = &mut self.edges[edge as usize];
                ed.count += 1;
                ed.ts = min_ts(ed.ts, ctx.ts);
                (cached_node, edge)
            }
            _ => {
                let node = self.node(ep_kind, ep, None, ctx);
                self.edge(m, node, &e.action, None, ctx);
                let action = self.actions[e.action.as_str()];
                (node, self.edge_index[&(m, node, action, NO_RUN)])
            }
        };
        self.touch(ep_node, ctx, true);
        set_if_changed(
            &mut self.nodes[ep_node as usize].environment,
            e.environment.as_deref(),
        );
        if let Some(vi) = self.versions.get_mut(m) {
            vi.predictions[slot_i].cached = Some((ep_node, edge));
        }
    }
}
