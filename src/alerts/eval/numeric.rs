//! `numeric` rules: a `details.*` number compared with a constant or another field.

use super::{Evaluator, describe};
use crate::alerts::field::details_number;
use crate::alerts::rule::{RuleKind, Threshold};
use crate::model::AuditEvent;
use crate::model::fields;

impl Evaluator {
    pub(super) fn push_numeric(
        &mut self,
        ev: &AuditEvent,
        ord: Option<u64>,
        id: u64,
    ) -> Vec<usize> {
        let RuleKind::Numeric { field, op, than } = &self.rule.kind else {
            return Vec::new();
        };
        let Some(a) = details_number(ev, field) else {
            return Vec::new();
        };
        let (b, rhs) = match than {
            Threshold::Value(v) => (*v, format!("{v}")),
            Threshold::Field(f) => match details_number(ev, f) {
                Some(b) => (b, format!("{f} = {b}")),
                None => return Vec::new(),
            },
        };
        if !op.holds(a, b) {
            return Vec::new();
        }
        let detail = format!("{field} = {a} {} {rhs}", op.symbol());
        let key = describe(ev, &[fields::MODEL_ID, fields::MODEL_VERSION]);
        self.per_event(ev, ord, id, detail, key)
    }
}
