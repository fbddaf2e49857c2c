//! Day-to-day operations: serving, monitoring, access reviews and the platform's own changes.

// The story is a script: long, flat lists of events read best as they are.
#![allow(clippy::too_many_lines)]

#[allow(clippy::wildcard_imports)]
use super::*;

pub(super) fn operations(out: &mut Vec<StoryEvent>) {
    let sys = |day, h, action: &str, who: &str, msg: &str, sev: &str, host: &str| {
        E::new(at(day, h, 0, 0, 0), "platform", action, who, msg)
            .set("severity", json!(sev))
            .set("resource", json!({"type": "host", "id": host}))
            .done()
    };
    out.push(sys(
        0,
        0,
        "system.start",
        "svc-monitor",
        "platform services started",
        "notice",
        "ml-platform",
    ));
    out.push(sys(
        5,
        22,
        "system.patch",
        "erin",
        "applied kernel security patch to gpu nodes",
        "notice",
        "gpu-node-1",
    ));
    out.push(sys(
        6,
        3,
        "system.hardware.fail",
        "svc-monitor",
        "GPU ECC errors: gpu-node-3 taken out of service",
        "error",
        "gpu-node-3",
    ));
    out.push(sys(
        6,
        9,
        "infra.change",
        "erin",
        "replaced gpu-node-3 with gpu-node-4",
        "notice",
        "gpu-node-4",
    ));
    out.push(sys(
        10,
        23,
        "system.stop",
        "erin",
        "scheduled maintenance: serving cluster drained",
        "notice",
        "serving-cluster",
    ));
    out.push(sys(
        10,
        23,
        "system.start",
        "erin",
        "serving cluster back after maintenance",
        "notice",
        "serving-cluster",
    ));
    out.push(
        E::new(
            at(0, 8, 30, 0, 0),
            "platform",
            "experiment.create",
            "bob",
            "created experiment fraud-detection",
        )
        .set(
            "resource",
            json!({"type": "experiment", "id": "fraud-detection"}),
        )
        .done(),
    );
    out.push(
        E::new(
            at(0, 8, 45, 0, 0),
            "platform",
            "experiment.create",
            "alice",
            "created experiment churn",
        )
        .set("resource", json!({"type": "experiment", "id": "churn"}))
        .done(),
    );
    out.push(
        E::new(
            at(6, 16, 0, 0, 0),
            "platform",
            "experiment.modify",
            "bob",
            "changed the primary metric of fraud-detection to auc",
        )
        .set(
            "resource",
            json!({"type": "experiment", "id": "fraud-detection"}),
        )
        .set(
            "details",
            json!({"field": "primary_metric", "old": "logloss", "new": "auc"}),
        )
        .done(),
    );
    out.push(
        E::new(
            at(2, 10, 0, 0, 0),
            "platform",
            "access.grant",
            "carol",
            "granted alice the deployer role on staging",
        )
        .set(
            "resource",
            json!({"type": "role", "id": "deployer-staging"}),
        )
        .set(
            "details",
            json!({"grantee": "alice", "role": "deployer-staging"}),
        )
        .done(),
    );
    out.push(
        E::new(
            at(12, 10, 0, 0, 0),
            "platform",
            "access.revoke",
            "carol",
            "revoked alice's deployer role on staging",
        )
        .set(
            "resource",
            json!({"type": "role", "id": "deployer-staging"}),
        )
        .set(
            "details",
            json!({"grantee": "alice", "role": "deployer-staging"}),
        )
        .done(),
    );
    out.push(
        E::new(
            at(4, 14, 0, 0, 0),
            "registry",
            "deploy.config.change",
            "erin",
            "raised fraud-detector-production replicas from 3 to 5",
        )
        .model("fraud-detector", "2")
        .set(
            "resource",
            json!({"type": "deployment", "id": "fraud-detector-production"}),
        )
        .set(
            "details",
            json!({"setting": "replicas", "old": 3, "new": 5}),
        )
        .done(),
    );
    out.push(
        E::new(
            at(7, 9, 0, 0, 0),
            "registry",
            "model.decommission",
            "erin",
            "decommissioned fraud-detector-staging v1",
        )
        .model("fraud-detector", "1")
        .set("environment", json!("staging"))
        .set(
            "resource",
            json!({"type": "deployment", "id": "fraud-detector-staging"}),
        )
        .done(),
    );
    out.push(
        E::new(
            at(9, 16, 10, 0, 0),
            "registry",
            "model.rollback",
            "erin",
            "rolled churn-predictor-staging back to v2 after a smoke-test failure",
        )
        .model("churn-predictor", "2")
        .set("environment", json!("staging"))
        .set(
            "resource",
            json!({"type": "deployment", "id": "churn-predictor-staging"}),
        )
        .done(),
    );
    out.push(
        E::new(
            at(10, 14, 0, 0, 0),
            "platform",
            "audit.log.access",
            "erin",
            "exported last week's audit log for the quarterly access review",
        )
        .set("resource", json!({"type": "log", "id": "audit-log"}))
        .set(
            "details",
            json!({"range": ["2026-03-02", "2026-03-09"], "ticket": "AUD-77"}),
        )
        .done(),
    );
    out.push(
        E::new(
            at(11, 16, 30, 0, 0),
            "serving",
            "model.retrain.trigger",
            "svc-monitor",
            "drift on churn-predictor v3: retraining requested",
        )
        .model("churn-predictor", "3")
        .set("details", json!({"reason": "drift", "drift_score": 0.47}))
        .done(),
    );
    // Scattered access denials: one every few days, never a burst.
    for (day, who, path) in [
        (1, "dave", "/api/models/fraud-detector/versions"),
        (4, "frank", "/api/deployments"),
        (8, "bob", "/api/secrets"),
        (12, "dave", "/api/registry/approve"),
    ] {
        out.push(
            E::new(
                at(day, 13, 12, 0, 0),
                "platform",
                "api.call",
                who,
                format!("POST {path} denied"),
            )
            .set("outcome", json!("denied"))
            .set("severity", json!("notice"))
            .set("resource", json!({"type": "api", "id": path}))
            .set("details", json!({"method": "POST", "status": 403}))
            .done(),
        );
    }
}
