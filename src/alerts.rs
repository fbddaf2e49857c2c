//! Alert rules and their pure evaluation. Rules are read from JSON (the defaults embedded
//! from `assets/rules.json`, extended or replaced by a user file); each rule selects events
//! with a query of the query language (run by the caller, e.g. through the index, oldest
//! first) and an [`Evaluator`] turns that ordered stream into [`Alert`]s, each with the
//! exact events behind it. Memory is bounded by the rules' windows, never by the bundle.
//!
//! Allowed imports: `model`, std, serde, `serde_json`, chrono. Never tantivy or ratatui.

mod alert;
mod eval;
mod field;
mod rule;

pub use alert::{Alert, Evidence, MAX_EVIDENCE};
pub use eval::{Evaluator, Input};
pub(crate) use field::field_value;
pub use rule::{CompareOp, DEFAULT_RULES, Rule, RuleError, RuleKind, RuleSet, Threshold};
