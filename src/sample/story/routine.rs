//! Routine traffic: logins, reads, predictions and API calls filling every day.

// The story is a script: long, flat lists of events read best as they are.
#![allow(clippy::too_many_lines)]

#[allow(clippy::wildcard_imports)]
use super::*;

/// Fixed-rate routine: logins, metrics, drift checks, secret reads by services.
pub(super) fn routine(out: &mut Vec<StoryEvent>, rng: &mut Rng) {
    for day in 0..DAYS {
        for u in USERS {
            let h = 8 + rng.below(2) as i64;
            let m = rng.below(60) as i64;
            // A rare mistyped password (never on the incident day for alice).
            if rng.chance(0.08) && !(day == 7 && u.id == "alice") {
                out.push(
                    E::new(
                        at(day, h, m, 1, 0),
                        "platform",
                        "auth.login",
                        u.id,
                        "login failed: bad password",
                    )
                    .set("outcome", json!("failure"))
                    .set("severity", json!("notice"))
                    .set("details", json!({"method": "password"}))
                    .done(),
                );
            }
            out.push(
                E::new(
                    at(day, h, m, 30, 0),
                    "platform",
                    "auth.login",
                    u.id,
                    format!("{} logged in", u.id),
                )
                .set("details", json!({"method": "sso", "mfa": true}))
                .done(),
            );
            out.push(
                E::new(
                    at(day, 17 + rng.below(2) as i64, rng.below(60) as i64, 0, 0),
                    "platform",
                    "auth.logout",
                    u.id,
                    format!("{} logged out", u.id),
                )
                .done(),
            );
        }
        for svc in ["svc-pipeline", "svc-serving"] {
            out.push(
                E::new(
                    at(day, 0, 30, 0, 0),
                    "platform",
                    "secret.read",
                    svc,
                    format!("{svc} read its database credentials"),
                )
                .set(
                    "resource",
                    json!({"type": "secret", "id": format!("{svc}/db-credentials")}),
                )
                .done(),
            );
        }
        for m in MODELS {
            for hour in (0..24).step_by(6) {
                let t = at(day, hour, 5, 0, 0);
                let Some(v) = prod_version(m, t) else {
                    continue;
                };
                out.push(
                    E::new(t, "serving", "monitor.metric", "svc-monitor", format!("{m} v{v}: p95 latency and error rate"))
                        .model(m, v)
                        .set("resource", json!({"type": "endpoint", "id": format!("{m}-prod-endpoint")}))
                        .set("details", json!({"latency_p95_ms": 40 + rng.below(30), "error_rate": (rng.below(5) as f64) / 1000.0}))
                        .done(),
                );
            }
            let t = at(day, 16, 0, 0, 0);
            if let Some(v) = prod_version(m, t)
                && !(day == 11 && *m == "churn-predictor")
            {
                {
                    let score = 0.01 + (rng.below(40) as f64) / 1000.0;
                    out.push(
                        E::new(
                            t,
                            "serving",
                            "monitor.drift",
                            "svc-monitor",
                            format!("{m} v{v}: input drift {score:.3} (threshold 0.10)"),
                        )
                        .model(m, v)
                        .set(
                            "resource",
                            json!({"type": "endpoint", "id": format!("{m}-prod-endpoint")}),
                        )
                        .set(
                            "details",
                            json!({"drift_score": score, "threshold": 0.1, "method": "psi"}),
                        )
                        .done(),
                    );
                }
            }
        }
    }
}

/// Background traffic that scales with the requested size: predictions, explanations,
/// API calls and data access, spread over a day.
pub(super) fn background(day: i64, n: u64, rng: &mut Rng, req: &mut u64) -> Vec<StoryEvent> {
    let mut out = Vec::with_capacity(n as usize);
    for _ in 0..n {
        let t = at(day, 0, 0, 0, 0) + Duration::milliseconds(rng.below(86_400_000) as i64);
        let roll = rng.below(100);
        *req += 1;
        let corr = format!("req-{:08x}", *req);
        if roll < 60 {
            let m = *rng.pick(MODELS);
            let Some(v) = prod_version(m, t) else {
                out.push(api_call(t, rng, &corr));
                continue;
            };
            let score = rng.unit();
            let explain = roll < 4;
            let action = if explain {
                "inference.explain"
            } else {
                "inference.predict"
            };
            let mut details = json!({"score": (score * 1000.0).round() / 1000.0, "prediction": score > 0.8, "latency_ms": 8 + rng.below(40)});
            if explain {
                details["explanation"] =
                    json!({"top_features": ["amount", "merchant_risk", "tenure_months"]});
            }
            out.push(
                E::new(
                    t,
                    "serving",
                    action,
                    "svc-serving",
                    format!("{m} v{v} scored request {corr}"),
                )
                .model(m, v)
                .set(
                    "resource",
                    json!({"type": "endpoint", "id": format!("{m}-prod-endpoint")}),
                )
                .set("correlation_id", json!(corr))
                .set("details", details)
                .done(),
            );
        } else if roll < 90 {
            out.push(api_call(t, rng, &corr));
        } else {
            let (who, ds, tags) = match rng.below(3) {
                0 => ("frank", "customers-pii", json!(["pii"])),
                1 => ("svc-pipeline", "customers-pii", json!(["pii"])),
                _ => (
                    *rng.pick(&["bob", "alice", "dave"]),
                    "transactions-clean",
                    json!([]),
                ),
            };
            out.push(
                E::new(t, "platform", "data.access", who, format!("{who} read {ds}"))
                    .set("resource", json!({"type": "dataset", "id": ds, "version": features_version(day), "tags": tags}))
                    .set("correlation_id", json!(corr))
                    .set("details", json!({"rows_read": 100 + rng.below(5000), "purpose": "analysis"}))
                    .done(),
            );
        }
    }
    out
}

pub(super) fn api_call(t: DateTime<Utc>, rng: &mut Rng, corr: &str) -> StoryEvent {
    let who = rng.pick(&[
        "alice",
        "bob",
        "carol",
        "frank",
        "svc-pipeline",
        "svc-monitor",
    ]);
    let path = rng.pick(&[
        "/api/models",
        "/api/experiments/runs",
        "/api/datasets",
        "/api/deployments",
        "/api/metrics",
    ]);
    E::new(t, "platform", "api.call", who, format!("GET {path}"))
        .set("resource", json!({"type": "api", "id": path}))
        .set("correlation_id", json!(corr))
        .set(
            "details",
            json!({"method": "GET", "status": 200, "latency_ms": 5 + rng.below(80)}),
        )
        .done()
}
