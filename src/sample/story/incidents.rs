//! The six planted incidents (sample-data/README.md lists them).

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
    inference_errors(out);
}

/// Predictions of the churn-predictor v4 spike that time out.
pub(super) const SPIKE_ERRORS: i64 = 40;

/// Incident 6, the SRE's, on day 13 (2026-03-15): the serving request timeout of
/// churn-predictor-production is lowered from 500 to 50 ms at 14:30, churn-predictor v4
/// (approved) is deployed at 15:00, and its slow predictions time out: 40 failed
/// predictions from 15:02 to 15:53, all on v4, until the timeout is restored at 16:05.
fn inference_errors(out: &mut Vec<StoryEvent>) {
    let timeout = |t: DateTime<Utc>, old: u64, new: u64, why: &str| {
        E::new(
            t,
            "serving",
            "deploy.config.change",
            "erin",
            format!("churn-predictor-production request timeout {old} ms -> {new} ms ({why})"),
        )
        .model("churn-predictor", if new == 50 { "3" } else { "4" })
        .set(
            "resource",
            json!({"type": "deployment", "id": "churn-predictor-production"}),
        )
        .set(
            "details",
            json!({"setting": "request_timeout_ms", "old": old, "new": new, "ticket": "OPS-311"}),
        )
        .done()
    };
    out.push(timeout(at(13, 14, 30, 0, 0), 500, 50, "shed slow requests"));
    for i in 0..SPIKE_ERRORS {
        let corr = format!("req-e{:07x}", i + 1);
        let latency = 50 + (i * 37) % 400;
        out.push(
            E::new(
                at(13, 15, 2, 0, 0) + Duration::seconds(i * 78),
                "serving",
                "inference.predict",
                "svc-serving",
                format!("churn-predictor v4 request {corr} failed: timed out after 50 ms"),
            )
            .model("churn-predictor", "4")
            .set("outcome", json!("failure"))
            .set("severity", json!("error"))
            .set(
                "resource",
                json!({"type": "endpoint", "id": "churn-predictor-prod-endpoint"}),
            )
            .set("correlation_id", json!(corr))
            .set(
                "details",
                json!({"error": "DeadlineExceeded", "timeout_ms": 50, "latency_ms": latency, "http_status": 504}),
            )
            .done(),
        );
    }
    out.push(timeout(
        at(13, 16, 5, 0, 0),
        50,
        500,
        "rolled back: v4 predictions timing out",
    ));
}
