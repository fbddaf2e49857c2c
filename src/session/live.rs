//! Alert rules evaluated incrementally over events as they arrive (`auditlens watch`, the
//! explorer's live follow): each batch is matched against the rules' queries in RAM and fed
//! to the rules' evaluators, which remember their windows between batches.

use crate::alerts::{Alert, Evaluator, Input, RuleKind, RuleSet};
use crate::index::{IndexError, match_batch};
use crate::model::AuditEvent;

/// The rules' evaluators, fed batch by batch.
pub struct LiveRules {
    evaluators: Vec<Evaluator>,
    queries: Vec<String>,
    started: bool,
    /// Alerts raised so far.
    pub fired: u64,
}

impl LiveRules {
    /// Evaluators of every rule of `rules`, with nothing seen yet.
    pub fn new(rules: &RuleSet) -> Self {
        let mut queries = Vec::new();
        for r in &rules.rules {
            queries.push(r.query.clone());
            if let RuleKind::Absence { without, .. } = &r.kind {
                queries.push(without.clone());
            }
        }
        Self {
            evaluators: rules.rules.iter().map(Evaluator::new).collect(),
            queries,
            started: false,
            fired: 0,
        }
    }

    /// Evaluates one batch of new events (event, original text, ordinal in the index when
    /// it has one), in time order; returns the alerts that fired on it.
    pub fn evaluate(
        &mut self,
        batch: &[(&AuditEvent, &str, Option<u64>)],
    ) -> Result<Vec<Alert>, IndexError> {
        if batch.is_empty() {
            return Ok(Vec::new());
        }
        if !self.started
            && let Some(t) = batch.iter().find_map(|(e, _, _)| e.ts)
        {
            // Rate baselines start with the first event seen, not the first match.
            for e in &mut self.evaluators {
                e.set_start(t);
            }
            self.started = true;
        }
        let refs: Vec<(&AuditEvent, &str)> = batch.iter().map(|(e, r, _)| (*e, *r)).collect();
        let queries: Vec<&str> = self.queries.iter().map(String::as_str).collect();
        let matches = match_batch(&refs, &queries)?;
        let mut fired = Vec::new();
        let mut q = 0;
        for eval in &mut self.evaluators {
            let mut items: Vec<(usize, Input)> =
                matches[q].iter().map(|&i| (i, Input::Primary)).collect();
            q += 1;
            if matches!(eval.rule().kind, RuleKind::Absence { .. }) {
                items.extend(matches[q].iter().map(|&i| (i, Input::Prior)));
                q += 1;
            }
            items.sort_by_key(|&(i, input)| (batch[i].0.ts, input == Input::Primary, i));
            for (i, input) in items {
                for slot in eval.push(input, batch[i].0, batch[i].2) {
                    fired.push(eval.alert(slot).clone());
                }
            }
        }
        self.fired += fired.len() as u64;
        Ok(fired)
    }
}
