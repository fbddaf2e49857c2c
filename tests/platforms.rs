//! Lineage and the default alert rules on the lifecycle events of Vertex AI, Azure ML and
//! Databricks (records built from the platforms' documented shapes and the real exports in
//! `../shared/realdata`): a registered version deployed to production without approval is
//! an alert, with its approval it is not, and the deployment shows in the model's lineage.

use std::path::Path;

use serde_json::{Value, json};

fn run(cmd: &str, file: &Path, extra: &[&str]) -> String {
    let home = tempfile::tempdir().unwrap();
    let out = assert_cmd::Command::cargo_bin("auditlens")
        .unwrap()
        .env("XDG_CACHE_HOME", home.path().join("cache"))
        .env("XDG_CONFIG_HOME", home.path().join("config"))
        .arg(cmd)
        .args(extra)
        .arg(file)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn write(dir: &Path, name: &str, records: &[Value]) -> std::path::PathBuf {
    let p = dir.join(name);
    let text: String = records.iter().map(|r| format!("{r}\n")).collect();
    std::fs::write(&p, text).unwrap();
    p
}

/// Checks the alert without and with an approval, and the lineage of the model.
fn lifecycle(register: Value, deploy: Value, approve: Value, model: &str, version: &str, ep: &str) {
    let dir = tempfile::tempdir().unwrap();
    let key = format!("model.id={model}, model.version={version}");
    let unapproved = write(dir.path(), "a.jsonl", &[register.clone(), deploy.clone()]);
    let alerts = run("alerts", &unapproved, &[]);
    assert!(alerts.contains("prod-deploy-unapproved"), "{alerts}");
    assert!(alerts.contains(&key), "{alerts}");
    let lineage = run("lineage", &unapproved, &["--model", model]);
    assert!(lineage.contains(&format!("version {version}")), "{lineage}");
    assert!(lineage.contains(&format!("-> endpoint {ep}")), "{lineage}");
    let approved = write(dir.path(), "b.jsonl", &[register, approve, deploy]);
    let alerts = run("alerts", &approved, &[]);
    assert!(!alerts.contains("prod-deploy-unapproved"), "{alerts}");
}

#[test]
fn databricks_registry_and_serving() {
    let base = |action: &str, ts: u64, params: Value| {
        json!({"version": "2.0", "auditLevel": "WORKSPACE_LEVEL", "timestamp": ts,
            "workspaceId": 1, "serviceName": if action.contains("Serving") { "serving" } else { "mlflowModelRegistry" },
            "actionName": action, "userIdentity": {"email": "ana@example.com"},
            "sourceIPAddress": "10.0.0.5", "requestId": format!("r-{ts}"),
            "requestParams": params, "response": {"statusCode": 200}})
    };
    lifecycle(
        base(
            "createModelVersion",
            1_714_550_400_000,
            json!({"name": "churn", "version": "4", "run_id": "run-1"}),
        ),
        base(
            "createServingEndpoint",
            1_714_554_000_000,
            json!({"name": "churn-ep",
            "config": "{\"served_entities\":[{\"entity_name\":\"churn\",\"entity_version\":\"4\"}]}",
            "tags": "[{\"key\":\"env\",\"value\":\"production\"}]"}),
        ),
        base(
            "approveTransitionRequest",
            1_714_552_000_000,
            json!({"name": "churn", "version": "4", "stage": "Production"}),
        ),
        "churn",
        "4",
        "churn-ep",
    );
}

#[test]
fn azure_ml_model_versions_and_online_deployments() {
    let ws = "/subscriptions/s/resourceGroups/g/providers/Microsoft.MachineLearningServices/workspaces/w";
    let rec = |op: &str, rid: String, time: &str, body: Value| {
        json!({"time": time, "resourceId": rid, "operationName": op, "category": "Administrative",
            "resultType": "Succeeded", "level": "Informational", "callerIpAddress": "203.0.113.5",
            "correlationId": time, "caller": "ana@contoso.com",
            "properties": {"requestbody": body.to_string()}})
    };
    lifecycle(
        rec(
            "Microsoft.MachineLearningServices/workspaces/models/versions/write",
            format!("{ws}/models/fraud/versions/2"),
            "2024-05-01T08:00:00Z",
            json!({}),
        ),
        rec(
            "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/deployments/write",
            format!("{ws}/onlineEndpoints/fraud-ep/deployments/blue"),
            "2024-05-01T10:00:00Z",
            json!({"tags": {"environment": "production"}, "properties": {"model": "azureml:fraud:2"}}),
        ),
        // Azure ML has no approval operation: an approval recorded by the team's own tool.
        json!({"ts": "2024-05-01T09:00:00Z", "action": "model.approve", "outcome": "success",
            "actor": "lead@contoso.com", "model": {"id": "fraud", "version": "2"}}),
        "fraud",
        "2",
        "fraud-ep",
    );
}

#[test]
fn vertex_ai_upload_and_deploy() {
    let model = "projects/p/locations/us-central1/models/77";
    let entry = |method: &str, time: &str, resource: &str, request: Value, response: Value| {
        json!({"protoPayload": {"@type": "type.googleapis.com/google.cloud.audit.AuditLog",
            "serviceName": "aiplatform.googleapis.com",
            "methodName": format!("google.cloud.aiplatform.v1.{method}"),
            "authenticationInfo": {"principalEmail": "ana@example.com"},
            "requestMetadata": {"callerIp": "203.0.113.9"}, "resourceName": resource,
            "request": request, "response": response, "status": {}},
            "insertId": time, "timestamp": time, "severity": "NOTICE",
            "resource": {"type": "audited_resource", "labels": {"project_id": "p"}}})
    };
    lifecycle(
        entry(
            "ModelService.UploadModel",
            "2024-05-01T08:00:00Z",
            "projects/p/locations/us-central1",
            json!({"parent": "projects/p/locations/us-central1", "modelId": "77"}),
            json!({"model": model, "modelVersionId": "3"}),
        ),
        entry(
            "EndpointService.DeployModel",
            "2024-05-01T10:00:00Z",
            "projects/p/locations/us-central1/endpoints/9",
            json!({"endpoint": "projects/p/locations/us-central1/endpoints/9",
                "deployedModel": {"model": format!("{model}@3"), "labels": {"env": "production"}}}),
            json!({}),
        ),
        json!({"ts": "2024-05-01T09:00:00Z", "action": "model.approve", "outcome": "success",
            "actor": "lead@example.com", "model": {"id": model, "version": "3"}}),
        model,
        "3",
        "projects/p/locations/us-central1/endpoints/9",
    );
}

#[test]
fn a_user_generic_mapping_is_applied_by_the_commands_and_keys_the_cache() {
    // An in-house log whose actor sits under a key no built-in candidate names.
    let home = tempfile::tempdir().unwrap();
    let file = home.path().join("inhouse.jsonl");
    std::fs::write(
        &file,
        "{\"ts\":\"2026-01-02T03:04:05Z\",\"operator_handle\":\"zed\",\"action\":\"job.run\"}\n",
    )
    .unwrap();
    let count = || {
        let out = crate::common::auditlens(home.path())
            .args(["search", "--no-trail"])
            .arg(&file)
            .args(["actor.id:zed", "--count"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    };
    assert_eq!(count(), "0", "no built-in candidate names operator_handle");
    let config = home.path().join("config/auditlens");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::write(
        config.join("generic.json"),
        r#"{"actor": ["operator_handle"]}"#,
    )
    .unwrap();
    // The cached index of the same bytes must not be reused under another mapping.
    assert_eq!(count(), "1", "the user's candidate maps the actor");
    // A hit is decoded again from its stored record with the same mapping (it travels with
    // the index, not in process-wide state), so the event shown has the mapped actor.
    let out = crate::common::auditlens(home.path())
        .args(["search", "--no-trail"])
        .arg(&file)
        .args(["actor.id:zed", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    let hit: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    assert_eq!(hit["actor"]["id"], "zed", "{text}");
}
