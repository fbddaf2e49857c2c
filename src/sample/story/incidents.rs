//! The five planted incidents (sample-data/README.md lists them).

// The story is a script: long, flat lists of events read best as they are.
#![allow(clippy::too_many_lines)]

#[allow(clippy::wildcard_imports)]
use super::*;

pub(super) fn incidents(out: &mut Vec<StoryEvent>) {
    // 1. A burst of failed logins on alice's account from one outside address.
    for i in 0..14 {
        out.push(
            E::new(at(7, 2, 10, i * 17, 250), "platform", "auth.login", "alice", "login failed: bad password")
                .set("actor", json!({"id": "alice", "type": "user", "roles": ["ml-engineer"], "ip": "203.0.113.77"}))
                .set("outcome", json!("failure"))
                .set("severity", json!("warning"))
                .set("details", json!({"method": "password", "user_agent": "python-requests/2.31"}))
                .done(),
        );
    }
    // 3. An analyst exports the PII-tagged customer dataset.
    out.push(
        E::new(
            at(10, 17, 42, 8, 0),
            "platform",
            "data.export",
            "dave",
            "exported customers-pii v3 to a CSV download",
        )
        .set(
            "resource",
            json!({"type": "dataset", "id": "customers-pii", "version": "3", "tags": ["pii"]}),
        )
        .set(
            "details",
            json!({"format": "csv", "rows": 88_000, "destination": "download"}),
        )
        .done(),
    );
    // 4. Drift far above its threshold.
    out.push(
        E::new(at(11, 16, 0, 0, 0), "serving", "monitor.drift", "svc-monitor", "churn-predictor v3: input drift 0.47 (threshold 0.10)")
            .model("churn-predictor", "3")
            .set("severity", json!("warning"))
            .set("resource", json!({"type": "endpoint", "id": "churn-predictor-prod-endpoint"}))
            .set("details", json!({"drift_score": 0.47, "threshold": 0.1, "feature": "tenure_months", "method": "psi"}))
            .done(),
    );
    // 5. Audit logging switched off.
    out.push(
        E::new(
            at(12, 23, 55, 0, 0),
            "platform",
            "audit.config.change",
            "erin",
            "audit logging disabled on the serving cluster",
        )
        .set("severity", json!("warning"))
        .set("resource", json!({"type": "log", "id": "audit-log"}))
        .set(
            "details",
            json!({"setting": "audit_logging", "old": "enabled", "new": "disabled"}),
        )
        .done(),
    );
}
