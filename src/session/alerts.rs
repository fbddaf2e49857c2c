//! Alerts over an opened index: every rule's query runs through the index (matches only,
//! oldest first, fetched page by page) and the pure evaluator turns that stream into
//! alerts. The `alerts` command and the explorer's Alerts pane both call [`evaluate`].
//!
//! Allowed imports: `alerts`, `store` (the backend seam), `model`, std, chrono.

use std::path::{Path, PathBuf};

use crate::alerts::{Alert, Evaluator, Input, RuleError, RuleKind, RuleSet};
use crate::model::{AuditEvent, escape_control};
use crate::store::{Hit, Scan, Selection, Store, StoreError};

/// Why the rules could not be loaded or evaluated.
#[derive(Debug, thiserror::Error)]
pub enum RulesError {
    /// The rules file could not be read.
    #[error("reading the rules file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// A rule definition is wrong.
    #[error(transparent)]
    Rule(#[from] RuleError),
    /// A rule's query is not valid in the query language.
    #[error("rule `{}`: bad `{which}` {:?}: {}", escape_control(.rule), escape_control(.query), escape_control(.message))]
    Query {
        /// The rule id.
        rule: String,
        /// `query` or `without`.
        which: &'static str,
        /// The query text.
        query: String,
        /// What the parser said.
        message: String,
    },
    /// The store failed while scanning.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Alerts of a rule set over an index, plus notes on what some rules could not use.
#[derive(Debug, Clone, Default)]
pub struct Evaluation {
    /// Alerts ordered by first time, then rule id.
    pub alerts: Vec<Alert>,
    /// Notes such as events without a time that a windowed rule could not place.
    pub notes: Vec<String>,
}

/// Loads the default rules, extended by the rules file when given.
pub(crate) fn load_rules(path: Option<&Path>) -> Result<RuleSet, RulesError> {
    match path {
        None => Ok(RuleSet::defaults()?),
        Some(p) => {
            let text = std::fs::read_to_string(p).map_err(|source| RulesError::Read {
                path: p.to_owned(),
                source,
            })?;
            Ok(RuleSet::load(Some((&text, &p.display().to_string())))?)
        }
    }
}

/// Checks every rule's queries against the query language.
pub(crate) fn check_queries(store: &dyn Store, rules: &RuleSet) -> Result<(), RulesError> {
    for r in &rules.rules {
        let mut queries = vec![("query", r.query.as_str())];
        if let RuleKind::Absence { without, .. } = &r.kind {
            queries.push(("without", without.as_str()));
        }
        for (which, q) in queries {
            store.check_query(q).map_err(|e| RulesError::Query {
                rule: r.id.clone(),
                which,
                query: q.to_owned(),
                message: e.message,
            })?;
        }
    }
    Ok(())
}

type Item = (u64, AuditEvent);

fn sort_key(item: &Item, input: Input) -> (i64, u8, u64) {
    let ts = item.1.ts.map_or(i64::MIN, |t| t.timestamp_millis());
    // At the same instant the earlier-required event counts as earlier.
    let rank = u8::from(input == Input::Primary);
    (ts, rank, item.0)
}

/// Page size of a rule's scan: memory holds one page per scan.
const PAGE: usize = 4096;

/// Every match of one query, oldest first, one keyset page at a time.
struct Matches<'a> {
    pages: Scan<'a>,
    page: std::vec::IntoIter<Hit>,
    head: Option<Item>,
}

impl<'a> Matches<'a> {
    fn new(store: &'a dyn Store, query: &str) -> Result<Self, RulesError> {
        let sel = Selection {
            query: query.to_owned(),
            ..Selection::default()
        };
        let mut m = Self {
            pages: Scan::new(store, sel, PAGE),
            page: Vec::new().into_iter(),
            head: None,
        };
        m.advance()?;
        Ok(m)
    }

    fn peek(&self) -> Option<&Item> {
        self.head.as_ref()
    }

    /// Takes the head and reads the next one.
    fn take(&mut self) -> Result<Option<Item>, RulesError> {
        let item = self.head.take();
        self.advance()?;
        Ok(item)
    }

    fn advance(&mut self) -> Result<(), RulesError> {
        loop {
            if let Some(h) = self.page.next() {
                self.head = Some((h.ord, h.event));
                return Ok(());
            }
            match self.pages.next() {
                None => return Ok(()),
                Some(p) => self.page = p?.into_iter(),
            }
        }
    }
}

/// Evaluates every rule over the index: each rule's query (and an absence rule's
/// `without` query) is scanned oldest first and merged in time order into the rule's
/// evaluator. Memory: one page of matches per scan plus the rules' windows.
pub fn evaluate(store: &dyn Store, rules: &RuleSet) -> Result<Evaluation, RulesError> {
    check_queries(store, rules)?;
    let mut out = Evaluation::default();
    let start = store
        .time_span(&Selection::default())?
        .and_then(|(first, _)| chrono::DateTime::from_timestamp_millis(first));
    for rule in &rules.rules {
        let mut eval = Evaluator::new(rule);
        if let Some(t) = start {
            eval.set_start(t);
        }
        let mut primary = Some(Matches::new(store, &rule.query)?);
        let mut prior = match &rule.kind {
            RuleKind::Absence { without, .. } => Some(Matches::new(store, without)?),
            _ => None,
        };
        loop {
            let head = |m: &Option<Matches<'_>>, input| {
                m.as_ref()
                    .and_then(Matches::peek)
                    .map(|i| sort_key(i, input))
            };
            let a = head(&primary, Input::Primary);
            let b = head(&prior, Input::Prior);
            let (input, scan) = match (a, b) {
                (None, None) => break,
                (None, Some(_)) => (Input::Prior, &mut prior),
                (Some(a), Some(b)) if b <= a => (Input::Prior, &mut prior),
                _ => (Input::Primary, &mut primary),
            };
            if let Some(m) = scan.as_mut()
                && let Some((ord, ev)) = m.take()?
            {
                eval.push(input, &ev, Some(ord));
            }
        }
        if eval.untimed() > 0 {
            out.notes.push(format!(
                "rule `{}`: {} matching event(s) without a time could not be placed in its window",
                rule.id,
                eval.untimed()
            ));
        }
        if eval.unkeyed() > 0 {
            out.notes.push(format!(
                "rule `{}`: {} matching event(s) lack the fields it groups by and were not counted",
                rule.id,
                eval.unkeyed()
            ));
        }
        out.alerts.extend(eval.finish());
    }
    out.alerts
        .sort_by(|a, b| (a.first_ts, &a.rule).cmp(&(b.first_ts, &b.rule)));
    Ok(out)
}
