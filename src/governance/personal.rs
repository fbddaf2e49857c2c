//! Personal data: reads and exports of records tagged personal, counted by actor and role;
//! those by an actor holding none of the roles allowed (and not of an allowed actor type)
//! are gaps. Fed the matches of the caller's query, oldest first. Memory: per actor.

use crate::model::fields;
use std::collections::BTreeMap;

use super::catalog::{CheckKind, Params};
use super::evidence::EvidenceRef;
use super::report::{CheckResult, Finding, Status};
use crate::model::AuditEvent;

/// Actions that read or export data.
pub const READ_ACTIONS: &[&str] = &[
    "data.access",
    "data.read",
    "data.export",
    "data.download",
    "data.query",
    "data.copy",
];

#[derive(Debug, Default)]
struct Outside {
    evidence: Vec<EvidenceRef>,
    count: u64,
    datasets: Vec<String>,
}

/// The personal-data check.
#[derive(Debug)]
pub struct PersonalDataCheck {
    tag: String,
    roles: Vec<String>,
    types: Vec<String>,
    by_actor: BTreeMap<(String, String), u64>,
    outside: BTreeMap<(String, String, String), Outside>,
    events: u64,
}

impl PersonalDataCheck {
    /// A check with the catalog's tag and allowed roles.
    pub fn new(params: &Params) -> Self {
        Self {
            tag: params.personal_tag.clone(),
            roles: params.allowed_roles.clone(),
            types: params.allowed_actor_types.clone(),
            by_actor: BTreeMap::new(),
            outside: BTreeMap::new(),
            events: 0,
        }
    }

    /// The query selecting the events this check takes.
    pub fn query(&self) -> String {
        let actions: Vec<String> = READ_ACTIONS
            .iter()
            .map(|a| format!("{}:{a}", fields::ACTION))
            .collect();
        format!(
            "{}:{} AND ({})",
            fields::RESOURCE_TAGS,
            super::evidence::quote(&self.tag),
            actions.join(" OR ")
        )
    }

    /// Takes one matching event (events that do not match are ignored).
    pub fn push(&mut self, ord: Option<u64>, ev: &AuditEvent) {
        if !ev.resource.tags.iter().any(|t| t == &self.tag)
            || !READ_ACTIONS.contains(&ev.action.as_str())
        {
            return;
        }
        self.events += 1;
        let actor = ev
            .actor
            .id
            .clone()
            .unwrap_or_else(|| "unknown actor".to_owned());
        let roles = if ev.actor.roles.is_empty() {
            "no role".to_owned()
        } else {
            ev.actor.roles.join("+")
        };
        *self
            .by_actor
            .entry((actor.clone(), roles.clone()))
            .or_default() += 1;
        let allowed = ev.actor.roles.iter().any(|r| self.roles.contains(r))
            || ev
                .actor
                .kind
                .as_ref()
                .is_some_and(|k| self.types.contains(k));
        if allowed || ev.outcome.as_str() == "denied" {
            return;
        }
        let o = self
            .outside
            .entry((actor, roles, ev.action.clone()))
            .or_default();
        o.count += 1;
        if o.evidence.len() < super::MAX_EVIDENCE {
            o.evidence.push(EvidenceRef::of(ev, ord));
        }
        let ds = match (&ev.resource.id, &ev.resource.version) {
            (Some(id), Some(v)) => format!("{id}@{v}"),
            (Some(id), None) => id.clone(),
            _ => "an unnamed resource".to_owned(),
        };
        if o.datasets.len() < 5 && !o.datasets.contains(&ds) {
            o.datasets.push(ds);
        }
    }

    /// The result.
    pub fn finish(self) -> CheckResult {
        let mut findings = Vec::new();
        for ((actor, roles, action), o) in self.outside {
            let mut f = Finding::new(
                "personal_data_outside_roles",
                Status::Gap,
                format!(
                    "{actor} (roles: {roles}) did {action} on data tagged {} ({}) {} time(s); allowed roles: {}",
                    self.tag,
                    o.datasets.join(", "),
                    o.count,
                    self.roles.join(", ")
                ),
                o.evidence,
            );
            f.count = o.count;
            findings.push(f);
        }
        let by: Vec<String> = self
            .by_actor
            .iter()
            .map(|((a, r), n)| format!("{a} ({r}): {n}"))
            .collect();
        let summary = if self.events == 0 {
            format!(
                "no read or export of data tagged {} in the export",
                self.tag
            )
        } else {
            format!(
                "{} read(s) and export(s) of data tagged {} by actor and role: {}",
                self.events,
                self.tag,
                by.join("; ")
            )
        };
        let mut r = CheckResult::from_findings(CheckKind::PersonalData, summary, findings);
        if self.events == 0 {
            r.status = Status::NotEvidenced;
        }
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::governance::testutil::ev;

    fn read(actor: &str, roles: &[&str], kind: &str, action: &str, tags: &[&str]) -> AuditEvent {
        let mut e = ev("2026-03-02T10:00:00Z", "platform", action, 7);
        e.actor.id = Some(actor.to_owned());
        e.actor.kind = Some(kind.to_owned());
        e.actor.roles = roles.iter().map(|r| (*r).to_owned()).collect();
        e.resource.id = Some("customers-pii".to_owned());
        e.resource.tags = tags.iter().map(|r| (*r).to_owned()).collect();
        e
    }

    #[test]
    fn reads_outside_the_allowed_roles_are_gaps_and_the_rest_are_counted() {
        let mut c = PersonalDataCheck::new(&Params::default());
        c.push(
            Some(1),
            &read("frank", &["data-engineer"], "user", "data.access", &["pii"]),
        );
        c.push(
            Some(2),
            &read("svc", &["service"], "service", "data.access", &["pii"]),
        );
        c.push(
            Some(3),
            &read("bob", &["data-scientist"], "user", "data.access", &[]),
        );
        let r = PersonalDataCheck::finish(std::mem::replace(
            &mut c,
            PersonalDataCheck::new(&Params::default()),
        ));
        assert_eq!(r.status, Status::Met);
        assert!(
            r.summary.contains("frank (data-engineer): 1"),
            "{}",
            r.summary
        );
        assert!(!r.summary.contains("bob"));

        c.push(
            Some(4),
            &read("dave", &["analyst"], "user", "data.export", &["pii"]),
        );
        let r = c.finish();
        assert_eq!(r.status, Status::Gap);
        assert_eq!(r.findings.len(), 1);
        assert!(
            r.findings[0]
                .summary
                .starts_with("dave (roles: analyst) did data.export")
        );
        assert_eq!(r.findings[0].evidence[0].ord, Some(4));
    }

    #[test]
    fn no_personal_data_is_not_evidenced() {
        let r = PersonalDataCheck::new(&Params::default()).finish();
        assert_eq!(r.status, Status::NotEvidenced);
    }
}
