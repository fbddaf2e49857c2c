//! Azure logs: Activity Log records (diagnostic export, the Insights API's `{value,
//! localizedValue}` shape and Log Analytics' `AzureActivity` columns), resource logs in the
//! common schema (Azure ML, Azure `OpenAI` and AI Foundry `Audit` and `RequestResponse`...),
//! and Entra ID sign-in and audit records (wrapped as resource logs or as Microsoft Graph
//! returns them). `properties` may be an object or a JSON string. AKS `kube-audit` records
//! are Kubernetes events (see the Kubernetes adapter).
//!
//! actor = `caller`, else the `identity.claims` UPN or name, else the app or object id,
//! else Entra's `userPrincipalName` / `initiatedBy`; ip = `callerIpAddress`; action from
//! `operationName` (Azure ML and a few well-known operations map to the vocabulary, see
//! [`super::azureml`]; else `azure.<provider>.<type>.<verb>` in lower case); outcome from
//! `resultType` / `status` / `result` / the HTTP code in `resultSignature` (an accepted or
//! started request counts as a success).

use serde_json::{Map, Value};

use super::adapt::{
    action_segment, embedded_json, finish, get_ci, insert_detail, set_details, set_first_time,
    str_at,
};
use super::azureml::{self, outcome_of_result};
use super::fields::scalar_string;
use crate::model::{Actor, AuditEvent, Category, Origin, Outcome, Resource, Severity};

/// A field by name (any case); `{value: ...}` objects give their value.
fn text(obj: &Map<String, Value>, keys: &[&str]) -> Option<String> {
    keys.iter().find_map(|k| {
        let v = get_ci(obj, k)?;
        scalar_string(v).or_else(|| v.get("value").and_then(scalar_string))
    })
}

fn is_graph_sign_in(obj: &Map<String, Value>) -> bool {
    get_ci(obj, "createdDateTime").is_some()
        && get_ci(obj, "userPrincipalName").is_some()
        && (get_ci(obj, "appDisplayName").is_some() || get_ci(obj, "status").is_some())
}

fn is_graph_audit(obj: &Map<String, Value>) -> bool {
    get_ci(obj, "activityDisplayName").is_some() && get_ci(obj, "initiatedBy").is_some()
}

/// Whether an object is an Azure log record.
pub(crate) fn detect(obj: &Map<String, Value>) -> bool {
    if is_graph_sign_in(obj) || is_graph_audit(obj) {
        return true;
    }
    let op = get_ci(obj, "operationName").or_else(|| get_ci(obj, "OperationNameValue"));
    op.is_some()
        && [
            "resourceId",
            "_ResourceId",
            "category",
            "correlationId",
            "callerIpAddress",
        ]
        .iter()
        .any(|k| get_ci(obj, k).is_some())
}

/// The `properties` object (parsed when it is a JSON string).
fn properties(obj: &Map<String, Value>) -> Map<String, Value> {
    match get_ci(obj, "properties").and_then(embedded_json) {
        Some(Value::Object(m)) => m,
        _ => Map::new(),
    }
}

const CLAIM_NAMES: [&str; 8] = [
    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn",
    "upn",
    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name",
    "unique_name",
    "name",
    "appid",
    "http://schemas.microsoft.com/identity/claims/objectidentifier",
    "oid",
];

/// Who: `caller`, the identity's claims, Entra's principal fields, the object id.
fn actor_of(obj: &Map<String, Value>, props: &Map<String, Value>) -> Actor {
    let identity = get_ci(obj, "identity").map(|v| embedded_json(v).unwrap_or_else(|| v.clone()));
    let claims = identity
        .as_ref()
        .and_then(|i| i.get("claims"))
        .or_else(|| get_ci(obj, "claims"));
    let claim = |k: &str| claims.and_then(|c| str_at(c, &[k]));
    let initiated = get_ci(obj, "initiatedBy").or_else(|| get_ci(props, "initiatedBy"));
    let by = |path: &[&str]| initiated.and_then(|i| str_at(i, path));
    let user = text(obj, &["caller"])
        .or_else(|| CLAIM_NAMES[..5].iter().find_map(|k| claim(k)))
        .or_else(|| text(props, &["userPrincipalName"]))
        .or_else(|| text(obj, &["userPrincipalName"]))
        .or_else(|| by(&["user", "userPrincipalName"]))
        .or_else(|| identity.as_ref().and_then(scalar_string))
        .or_else(|| identity.as_ref().and_then(|i| str_at(i, &["email"])));
    let service = || {
        CLAIM_NAMES[5..]
            .iter()
            .find_map(|k| claim(k))
            .or_else(|| by(&["app", "servicePrincipalName"]))
            .or_else(|| by(&["app", "displayName"]))
            .or_else(|| text(props, &["servicePrincipalName", "servicePrincipalId"]))
            .or_else(|| {
                identity
                    .as_ref()
                    .and_then(|i| str_at(i, &["authorization", "evidence", "principalId"]))
            })
            .or_else(|| text(props, &["objectId", "appId"]))
            .or_else(|| text(obj, &["appId"]))
    };
    let (id, kind) = match user {
        Some(u) => (Some(u), "user"),
        None => (service(), "service"),
    };
    let principal_type = identity
        .as_ref()
        .and_then(|i| str_at(i, &["authorization", "evidence", "principalType"]));
    let kind = match principal_type.as_deref() {
        Some("ServicePrincipal" | "MSI") => "service",
        _ => kind,
    };
    let role = identity
        .as_ref()
        .and_then(|i| str_at(i, &["authorization", "evidence", "role"]));
    Actor {
        kind: id.as_ref().map(|_| kind.to_owned()),
        id,
        roles: role.into_iter().collect(),
        ip: text(obj, &["callerIpAddress", "CallerIPAddress", "ipAddress"])
            .or_else(|| text(props, &["ipAddress", "callerIpAddress"]))
            .or_else(|| get_ci(obj, "httpRequest").and_then(|h| str_at(h, &["clientIpAddress"]))),
        session: None,
    }
}

fn outcome_of(obj: &Map<String, Value>, props: &Map<String, Value>) -> Outcome {
    let error_code = get_ci(props, "status")
        .and_then(|s| s.get("errorCode"))
        .or_else(|| get_ci(obj, "status").and_then(|s| s.get("errorCode")))
        .and_then(scalar_string);
    let candidates = [
        error_code,
        text(obj, &["resultType", "ActivityStatusValue", "status"]),
        text(props, &["result", "status", "ResponseCode"]),
        text(obj, &["result", "resultSignature"]),
    ];
    let mut out = Outcome::Unknown;
    for c in candidates.into_iter().flatten() {
        if let Some(o) = outcome_of_result(&c) {
            out = o;
            break;
        }
    }
    // A failure whose sub-status is an authorization refusal is a denial.
    let signature = text(obj, &["resultSignature", "resultDescription"]).unwrap_or_default();
    if out == Outcome::Failure && outcome_of_result(&signature) == Some(Outcome::Denied) {
        out = Outcome::Denied;
    }
    out
}

/// The provider type and name of a resource id (`.../providers/Microsoft.X/y/NAME`).
fn resource_of(id: &str) -> Resource {
    let lower = id.to_ascii_lowercase();
    let kind = lower.rfind("/providers/").map(|at| {
        let parts: Vec<&str> = lower[at + 11..].split('/').collect();
        let mut t = parts.first().copied().unwrap_or_default().to_owned();
        for p in parts.iter().skip(1).step_by(2) {
            t.push('/');
            t.push_str(p);
        }
        t
    });
    Resource {
        kind,
        id: Some(id.to_owned()),
        name: id.rsplit('/').find(|s| !s.is_empty()).map(str::to_owned),
        version: None,
        tags: Vec::new(),
    }
}

/// The action of an Entra directory audit activity.
fn entra_audit_action(activity: &str) -> String {
    let l = activity.to_ascii_lowercase();
    if l.starts_with("add member to role")
        || l.starts_with("add app role assignment")
        || l.starts_with("add eligible member")
        || l.contains("consent to application")
    {
        "access.grant".to_owned()
    } else if l.starts_with("remove member from role")
        || l.starts_with("remove app role assignment")
        || l.starts_with("remove eligible member")
    {
        "access.revoke".to_owned()
    } else {
        format!("azure.entra.{}", action_segment(activity))
    }
}

/// The action of an operation name (and its category).
fn action_of(op: &str, category: &str, props: &Map<String, Value>) -> String {
    let cat = category.to_ascii_lowercase();
    if cat.contains("signin") {
        return "auth.login".to_owned();
    }
    if let Some(a) = azureml::action(op, &cat, props) {
        return a;
    }
    let l = op.to_ascii_lowercase();
    let known = if l.ends_with("/listkeys/action")
        || l.ends_with("/listsecrets/action")
        || l == "listkey"
        || l == "listkeys"
        || l.ends_with("/regeneratekey/action")
    {
        Some("secret.read")
    } else if l.starts_with("microsoft.insights/diagnosticsettings/")
        || l.starts_with("microsoft.insights/logprofiles/")
    {
        Some("audit.config.change")
    } else if l == "microsoft.authorization/roleassignments/write" {
        Some("access.grant")
    } else if l == "microsoft.authorization/roleassignments/delete" {
        Some("access.revoke")
    } else if openai_inference(&l) {
        Some("inference.predict")
    } else {
        None
    };
    if let Some(k) = known {
        return k.to_owned();
    }
    let rest = l.strip_prefix("microsoft.").unwrap_or(&l);
    let segs: Vec<String> = rest
        .split(['/', '.'])
        .filter(|s| !s.is_empty())
        .map(action_segment)
        .collect();
    if segs.is_empty() {
        "azure.unknown".to_owned()
    } else {
        format!("azure.{}", segs.join("."))
    }
}

/// Azure `OpenAI` / AI Foundry request operations that run a model.
fn openai_inference(op: &str) -> bool {
    let op = op.replace('_', "").to_ascii_lowercase();
    [
        "chatcompletionscreate",
        "completionscreate",
        "embeddingscreate",
        "imagegenerationscreate",
        "audiotranscriptionscreate",
        "audiospeechcreate",
        "responsescreate",
        "audiotranslationscreate",
    ]
    .contains(&op.as_str())
}

/// Maps one Azure record.
pub fn map(mut obj: Map<String, Value>, origin: Origin) -> AuditEvent {
    let props = properties(&obj);
    let graph_sign_in = is_graph_sign_in(&obj);
    let op = text(
        &obj,
        &["operationName", "OperationNameValue", "activityDisplayName"],
    )
    .or_else(|| text(&props, &["activityDisplayName", "operationName"]))
    .unwrap_or_default();
    let category = text(&obj, &["category", "CategoryValue", "Category"]).unwrap_or_default();
    let activity =
        text(&props, &["activityDisplayName"]).or_else(|| text(&obj, &["activityDisplayName"]));
    let action = if graph_sign_in {
        "auth.login".to_owned()
    } else if let Some(a) =
        activity.filter(|_| category.eq_ignore_ascii_case("AuditLogs") || is_graph_audit(&obj))
    {
        entra_audit_action(&a)
    } else {
        action_of(&op, &category, &props)
    };
    let mut ev = AuditEvent::new(origin, action);
    let times: Vec<Option<&Value>> = [
        "time",
        "eventTimestamp",
        "TimeGenerated",
        "createdDateTime",
        "activityDateTime",
        "timestamp",
    ]
    .iter()
    .map(|k| get_ci(&obj, k))
    .collect();
    set_first_time(&mut ev, &times);
    if let Some(l) = text(&obj, &["level", "Level"]) {
        match Severity::parse(&l) {
            Some(s) => ev.severity = s,
            None => insert_detail(&mut ev, "original_severity", Value::String(l)),
        }
    }
    ev.actor = actor_of(&obj, &props);
    ev.outcome = outcome_of(&obj, &props);
    if let Some(id) = text(&obj, &["resourceId", "_ResourceId", "ResourceId"]) {
        ev.resource = resource_of(&id);
    } else if let Some(first) = super::adapt::items(
        get_ci(&obj, "targetResources").or_else(|| get_ci(&props, "targetResources")),
    )
    .first()
    {
        ev.resource = Resource {
            kind: str_at(first, &["type"]),
            id: str_at(first, &["id"]).or_else(|| str_at(first, &["userPrincipalName"])),
            name: str_at(first, &["displayName"]),
            ..Resource::default()
        };
    }
    ev.correlation_id = text(&obj, &["correlationId", "CorrelationId"]);
    ev.source = Some(
        ev.resource
            .kind
            .as_deref()
            .and_then(|k| k.split('/').next())
            .map_or_else(
                || "azure".to_owned(),
                |p| p.strip_prefix("microsoft.").unwrap_or(p).to_owned(),
            ),
    );
    if ev.category == Category::Other && category.to_ascii_lowercase().contains("signin") {
        ev.category = Category::Access;
    }
    azureml::targets(&mut ev, &op, &props);
    ev.message = Some(format!(
        "azure {} by {}{}",
        if op.is_empty() { "(no operation)" } else { &op },
        ev.actor.id.as_deref().unwrap_or("unknown principal"),
        ev.resource
            .id
            .as_deref()
            .map(|r| format!(" on {r}"))
            .unwrap_or_default()
    ));
    if let Some(Value::String(_)) = get_ci(&obj, "properties") {
        // Kept parsed, so that its fields are searchable.
        obj.retain(|k, _| !k.eq_ignore_ascii_case("properties"));
        obj.insert("properties".to_owned(), Value::Object(props));
    }
    set_details(&mut ev, obj);
    if !op.is_empty() {
        insert_detail(&mut ev, "operation", Value::String(op));
    }
    finish(&mut ev);
    ev
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::adapt::origin;
    use crate::model::Format;
    use serde_json::json;

    fn az(v: Value) -> AuditEvent {
        let Value::Object(m) = v else { panic!() };
        assert!(detect(&m), "{m:?}");
        map(m, origin("a.json", 1, Format::Azure))
    }

    #[test]
    fn activity_log_caller_claims_result_and_level() {
        let ev = az(json!({"time": "2024-01-01T00:00:00Z", "resourceId":
            "/subscriptions/s/resourceGroups/g/providers/Microsoft.KeyVault/vaults/v",
            "operationName": "Microsoft.KeyVault/vaults/write", "category": "Administrative",
            "resultType": "Failed", "resultSignature": "Failed.Forbidden", "level": "Error",
            "callerIpAddress": "203.0.113.1", "correlationId": "c-1",
            "identity": {"claims": {"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn": "ana@contoso.com"}}}));
        assert_eq!(ev.action, "azure.keyvault.vaults.write");
        assert_eq!(ev.actor.id.as_deref(), Some("ana@contoso.com"));
        assert_eq!(ev.actor.kind.as_deref(), Some("user"));
        assert_eq!(ev.actor.ip.as_deref(), Some("203.0.113.1"));
        assert_eq!(ev.outcome, Outcome::Denied);
        assert_eq!(ev.severity, Severity::Error);
        assert_eq!(
            ev.resource.kind.as_deref(),
            Some("microsoft.keyvault/vaults")
        );
        assert_eq!(ev.correlation_id.as_deref(), Some("c-1"));
        // The Insights API shape: {value} objects, caller, status.
        let ev = az(
            json!({"eventTimestamp": "2024-01-01T00:00:00Z", "caller": "bob@contoso.com",
            "operationName": {"value": "Microsoft.Authorization/roleAssignments/write"},
            "status": {"value": "Succeeded"}, "category": {"value": "Administrative"},
            "resourceId": "/subscriptions/s"}),
        );
        assert_eq!(ev.action, "access.grant");
        assert_eq!(ev.outcome, Outcome::Success);
        assert_eq!(ev.actor.id.as_deref(), Some("bob@contoso.com"));
    }

    #[test]
    fn entra_sign_ins_and_audits() {
        let ev = az(
            json!({"time": "2024-01-01T00:00:00Z", "category": "SignInLogs",
            "operationName": "Sign-in activity", "resultType": "50126", "callerIpAddress": "198.51.100.7",
            "properties": {"userPrincipalName": "eve@contoso.com", "status": {"errorCode": 50126}}}),
        );
        assert_eq!(ev.action, "auth.login");
        assert_eq!(ev.outcome, Outcome::Failure);
        assert_eq!(ev.actor.id.as_deref(), Some("eve@contoso.com"));
        let ev = az(
            json!({"createdDateTime": "2024-01-01T00:00:00Z", "userPrincipalName": "eve@contoso.com",
            "appDisplayName": "Portal", "ipAddress": "198.51.100.7", "status": {"errorCode": 0}}),
        );
        assert_eq!(
            (ev.action.as_str(), ev.outcome),
            ("auth.login", Outcome::Success)
        );
        assert_eq!(ev.actor.ip.as_deref(), Some("198.51.100.7"));
        let ev = az(
            json!({"activityDateTime": "2024-01-01T00:00:00Z", "activityDisplayName": "Add member to role",
            "result": "success", "initiatedBy": {"app": {"displayName": "Automation"}},
            "targetResources": [{"type": "User", "id": "u-1", "userPrincipalName": "x@contoso.com"}]}),
        );
        assert_eq!(ev.action, "access.grant");
        assert_eq!(ev.actor.id.as_deref(), Some("Automation"));
        assert_eq!(ev.actor.kind.as_deref(), Some("service"));
        assert_eq!(ev.resource.id.as_deref(), Some("u-1"));
    }

    #[test]
    fn azure_ml_lifecycle_ids() {
        let ws = "/subscriptions/s/resourceGroups/g/providers/Microsoft.MachineLearningServices/workspaces/w";
        let ev = az(
            json!({"time": "2024-01-01T00:00:00Z", "caller": "ana@contoso.com",
            "resourceId": format!("{ws}/onlineEndpoints/churn-ep/deployments/blue"),
            "operationName": "Microsoft.MachineLearningServices/workspaces/onlineEndpoints/deployments/write",
            "resultType": "Succeeded", "category": "Administrative",
            "properties": {"requestbody": "{\"tags\":{\"env\":\"production\"},\"properties\":{\"model\":\"azureml:churn:3\"}}"}}),
        );
        assert_eq!(ev.action, "model.deploy");
        let m = ev.model.clone().unwrap();
        assert_eq!((m.id.as_str(), m.version.as_deref()), ("churn", Some("3")));
        assert_eq!(ev.resource.id.as_deref(), Some("churn-ep"));
        assert_eq!(ev.environment.as_deref(), Some("production"));
        let ev = az(
            json!({"time": "2024-01-01T00:00:00Z", "caller": "ana@contoso.com",
            "resourceId": format!("{ws}/models/churn/versions/3"), "resultType": "Succeeded",
            "operationName": "Microsoft.MachineLearningServices/workspaces/models/versions/write"}),
        );
        assert_eq!(ev.action, "model.register");
        assert_eq!(ev.outputs[0].version.as_deref(), Some("3"));
        let ev = az(
            json!({"time": "2024-01-01T00:00:00Z", "category": "AmlRunStatusChangedEvent",
            "operationName": "Microsoft.MachineLearningServices/workspaces/runs/statuschange",
            "resourceId": ws, "properties": "{\"RunId\":\"run-7\",\"Status\":\"Failed\",\"ParentRunId\":\"p-1\"}"}),
        );
        assert_eq!(ev.action, "model.train.fail");
        assert_eq!(ev.run_id.as_deref(), Some("run-7"));
        assert_eq!(ev.parent_run_id.as_deref(), Some("p-1"));
        assert_eq!(ev.details["properties"]["Status"], "Failed");
        let ev = az(
            json!({"time": "2024-01-01T00:00:00Z", "category": "AmlComputeJobEvent",
            "operationName": "Microsoft.MachineLearningServices/workspaces/computes/jobs/events",
            "resourceId": ws, "properties": {"EventType": "JobSubmitted", "JobName": "job-9"}}),
        );
        assert_eq!(ev.action, "model.train.start");
        assert_eq!(ev.run_id.as_deref(), Some("job-9"));
    }

    #[test]
    fn odd_types_do_not_panic() {
        let ev = az(
            json!({"operationName": 5, "category": ["x"], "properties": "{bad",
            "identity": 7, "resultType": null, "level": {"a": 1}, "resourceId": 3, "time": []}),
        );
        assert_eq!(ev.action, "azure.5");
        let ev = az(
            json!({"operationName": {"value": null}, "correlationId": "c",
            "properties": "[1,2]", "caller": ""}),
        );
        assert_eq!(ev.action, "azure.unknown");
    }
}
