//! `role_policy` rules: an action on a tagged resource by an actor without an allowed role
//! or actor type.

use super::{Evaluator, describe};
use crate::alerts::rule::RuleKind;
use crate::model::AuditEvent;
use crate::model::fields;

impl Evaluator {
    pub(super) fn push_role(&mut self, ev: &AuditEvent, ord: Option<u64>, id: u64) -> Vec<usize> {
        let RuleKind::RolePolicy {
            tag,
            allow_roles,
            allow_actor_types,
        } = &self.rule.kind
        else {
            return Vec::new();
        };
        let tagged = ev.resource.tags.iter().any(|t| t.eq_ignore_ascii_case(tag));
        let allowed_role = ev
            .actor
            .roles
            .iter()
            .any(|r| allow_roles.iter().any(|a| a.eq_ignore_ascii_case(r)));
        let allowed_type = ev
            .actor
            .kind
            .as_deref()
            .is_some_and(|k| allow_actor_types.iter().any(|a| a.eq_ignore_ascii_case(k)));
        if !tagged || allowed_role || allowed_type {
            return Vec::new();
        }
        let roles = if ev.actor.roles.is_empty() {
            "none".to_owned()
        } else {
            ev.actor.roles.join(", ")
        };
        let detail = format!(
            "{} by {} (roles: {roles}) on {} tagged {tag}; allowed roles: {}",
            ev.action,
            ev.actor.id.as_deref().unwrap_or("an unknown actor"),
            ev.resource.id.as_deref().unwrap_or("a resource"),
            allow_roles.join(", ")
        );
        let key = describe(ev, &[fields::ACTOR_ID]);
        self.per_event(ev, ord, id, detail, key)
    }
}
