//! Databricks audit logs, in the three shapes they are exported in: the delivered JSON
//! (`serviceName`, `actionName`, `userIdentity.email`, `requestParams`, `response.statusCode`,
//! epoch-millisecond `timestamp`), rows of the `system.access.audit` table as JSON
//! (`service_name`, `action_name`, `user_identity.email`, `event_time`...), and Azure
//! Databricks diagnostic logs (the same fields inside `properties`, `identity` a JSON
//! string). Detected before `CloudTrail`, whose `userIdentity` and `sourceIPAddress` they share.
//!
//! Model Registry and Unity Catalog model actions, serving endpoints, experiments, logins
//! and secrets map onto the vocabulary; everything else is `databricks.<service>.<action>`.

use serde_json::{Map, Value};

use super::adapt::{
    action_segment, art, embedded_json, environment_from_tags, finish, get_ci, insert_detail,
    push_unique, set_details, set_first_time, str_at,
};
use super::fields::scalar_string;
use crate::model::{Actor, AuditEvent, ModelRef, Origin, Outcome, Resource};

/// The first present field among spellings (delivered `camelCase`, table `snake_case`).
fn field<'a>(obj: &'a Map<String, Value>, names: &[&str]) -> Option<&'a Value> {
    names
        .iter()
        .find_map(|n| get_ci(obj, n))
        .filter(|v| !v.is_null())
}

fn text(obj: &Map<String, Value>, names: &[&str]) -> Option<String> {
    field(obj, names).and_then(scalar_string)
}

fn has_names(obj: &Map<String, Value>) -> bool {
    text(obj, &["serviceName", "service_name"]).is_some()
        && text(obj, &["actionName", "action_name"]).is_some()
}

/// The Azure diagnostic shape: the audit fields inside `properties`.
fn azure_properties(obj: &Map<String, Value>) -> Option<Map<String, Value>> {
    match get_ci(obj, "properties").and_then(embedded_json) {
        Some(Value::Object(p)) if has_names(&p) => Some(p),
        _ => None,
    }
}

/// Whether an object is a Databricks audit record.
pub(crate) fn detect(obj: &Map<String, Value>) -> bool {
    has_names(obj) || azure_properties(obj).is_some()
}

/// The lifecycle action of a service's action, when it has one.
fn vocabulary(service: &str, action: &str) -> Option<&'static str> {
    let s = service.to_ascii_lowercase();
    let a = action.to_ascii_lowercase();
    let model_service = s.contains("modelregistry") || s == "unitycatalog" || s == "mlflow";
    let serving = s.contains("serving") || s.contains("inference");
    Some(match a.as_str() {
        "createmodelversion" | "createregisteredmodel" | "finalizemodelversion"
            if model_service =>
        {
            "model.register"
        }
        "transitionmodelversionstage"
        | "transitionmodelversionstagedatabricks"
        | "setregisteredmodelalias"
            if model_service =>
        {
            "model.promote"
        }
        "approvetransitionrequest" if model_service => "model.approve",
        "rejecttransitionrequest" if model_service => "model.reject",
        _ if serving
            && (a.starts_with("create") || a.starts_with("update"))
            && a.contains("endpoint") =>
        {
            "model.deploy"
        }
        _ if serving && a.starts_with("delete") && a.contains("endpoint") => "model.decommission",
        _ if serving && (a.starts_with("query") || a == "invoke" || a == "predict") => {
            "inference.predict"
        }
        "createmlflowexperiment" | "createexperiment" => "experiment.create",
        "deletemlflowexperiment"
        | "renamemlflowexperiment"
        | "restoremlflowexperiment"
        | "updateexperiment" => "experiment.modify",
        "createrun" if s.contains("mlflow") => "model.train.start",
        "login"
        | "tokenlogin"
        | "samllogin"
        | "oidcbrowserlogin"
        | "aadbrowserlogin"
        | "aadtokenlogin"
        | "jwtlogin"
        | "mfalogin"
        | "passwordverifyauthentication"
        | "certlogin" => "auth.login",
        "logout" => "auth.logout",
        "getsecret" if s == "secrets" => "secret.read",
        "addprincipaltogroup" | "grantpermission" | "changeworkspaceacl" => "access.grant",
        "removeprincipalfromgroup" | "revokepermission" => "access.revoke",
        _ => return None,
    })
}

/// The request parameters (an object; values that hold JSON are parsed on use).
fn params(obj: &Map<String, Value>) -> Map<String, Value> {
    match field(obj, &["requestParams", "request_params"]).and_then(embedded_json) {
        Some(Value::Object(m)) => m,
        _ => Map::new(),
    }
}

fn param(p: &Map<String, Value>, names: &[&str]) -> Option<String> {
    names
        .iter()
        .find_map(|n| get_ci(p, n).and_then(scalar_string))
}

/// The outcome of `response.statusCode` / `status_code` and `errorMessage`.
fn outcome_of(response: Option<&Value>) -> Outcome {
    let Some(r) = response.map(|v| embedded_json(v).unwrap_or_else(|| v.clone())) else {
        return Outcome::Unknown;
    };
    let code = str_at(&r, &["statusCode"]).or_else(|| str_at(&r, &["status_code"]));
    let error = str_at(&r, &["errorMessage"]).or_else(|| str_at(&r, &["error_message"]));
    match code.and_then(|c| c.parse::<u32>().ok()) {
        Some(401 | 403) => Outcome::Denied,
        Some(200..=399) if error.is_none() => Outcome::Success,
        Some(_) => Outcome::Failure,
        None if error.is_some() => Outcome::Failure,
        None => Outcome::Unknown,
    }
}

/// The served model of a serving endpoint request (`config.served_entities[0]` or
/// `served_models[0]`, possibly as JSON inside strings).
fn served_model(p: &Map<String, Value>) -> Option<ModelRef> {
    let config = get_ci(p, "config").and_then(embedded_json);
    let lists = [
        config
            .as_ref()
            .and_then(|c| c.get("served_entities").cloned()),
        config
            .as_ref()
            .and_then(|c| c.get("served_models").cloned()),
        get_ci(p, "served_entities").and_then(embedded_json),
        get_ci(p, "served_models").and_then(embedded_json),
    ];
    lists.into_iter().flatten().find_map(|l| {
        let first = super::adapt::items(Some(&l)).first().copied()?.clone();
        let id = str_at(&first, &["entity_name"]).or_else(|| str_at(&first, &["model_name"]))?;
        let version =
            str_at(&first, &["entity_version"]).or_else(|| str_at(&first, &["model_version"]));
        Some(ModelRef { id, version })
    })
}

fn set_resource(ev: &mut AuditEvent, kind: &str, id: &str, version: Option<String>) {
    ev.resource = Resource {
        kind: Some(kind.to_owned()),
        id: Some(id.to_owned()),
        name: Some(id.to_owned()),
        version,
        tags: Vec::new(),
    };
}

fn targets(ev: &mut AuditEvent, p: &Map<String, Value>) {
    let name = param(
        p,
        &["name", "full_name", "registered_model_name", "model_name"],
    );
    let version = param(p, &["version", "version_num", "model_version"]);
    let stage = param(p, &["stage", "to_stage", "alias"]);
    if let Some(env) = get_ci(p, "tags")
        .and_then(embedded_json)
        .as_ref()
        .and_then(environment_from_tags)
    {
        ev.environment = Some(env);
    }
    match ev.action.as_str() {
        "model.register" | "model.promote" | "model.approve" | "model.reject" => {
            if let Some(n) = name {
                set_resource(ev, "model_version", &n, version.clone());
                if ev.action == "model.register" && version.is_some() {
                    push_unique(
                        &mut ev.outputs,
                        art("model_version", n.clone(), version.clone()),
                    );
                }
                ev.model = Some(ModelRef { id: n, version });
                if let Some(s) = stage {
                    ev.environment.get_or_insert(s.to_ascii_lowercase());
                }
            }
            if let Some(run) = param(p, &["run_id"]) {
                ev.run_id = Some(run.clone());
                push_unique(&mut ev.inputs, art("run", run, None));
            }
        }
        "model.deploy" | "model.decommission" | "inference.predict" => {
            let endpoint = name.or_else(|| param(p, &["endpoint_name", "endpointName"]));
            ev.model = served_model(p);
            if let Some(e) = endpoint {
                let v = ev.model.as_ref().and_then(|m| m.version.clone());
                set_resource(ev, "endpoint", &e, v);
            }
        }
        "experiment.create" | "experiment.modify" => {
            if let Some(n) = name.or_else(|| param(p, &["experimentId", "experiment_id"])) {
                set_resource(ev, "experiment", &n, None);
            }
        }
        "model.train.start" => {
            if let Some(e) = param(p, &["experimentId", "experiment_id"]) {
                set_resource(ev, "experiment", &e, None);
            }
        }
        _ => {}
    }
}

/// Maps one audit record.
pub fn map(mut obj: Map<String, Value>, origin: Origin) -> AuditEvent {
    let wrapper = azure_properties(&obj).map(|p| std::mem::replace(&mut obj, p));
    let service = text(&obj, &["serviceName", "service_name"]).unwrap_or_default();
    let action_name = text(&obj, &["actionName", "action_name"]).unwrap_or_default();
    let action = vocabulary(&service, &action_name).map_or_else(
        || {
            format!(
                "databricks.{}.{}",
                action_segment(&service),
                action_segment(&action_name)
            )
        },
        str::to_owned,
    );
    let mut ev = AuditEvent::new(origin, action);
    let outer_time = wrapper.as_ref().and_then(|w| get_ci(w, "time")).cloned();
    let times = [
        field(&obj, &["timestamp"]).cloned(),
        field(&obj, &["event_time", "eventTime"]).cloned(),
        outer_time,
        field(&obj, &["date", "event_date"]).cloned(),
    ];
    set_first_time(
        &mut ev,
        &times.iter().map(Option::as_ref).collect::<Vec<_>>(),
    );
    let identity = field(&obj, &["userIdentity", "user_identity"])
        .cloned()
        .or_else(|| {
            wrapper
                .as_ref()
                .and_then(|w| get_ci(w, "identity"))
                .and_then(embedded_json)
        })
        .unwrap_or(Value::Null);
    let email = str_at(&identity, &["email"]);
    let subject =
        str_at(&identity, &["subjectName"]).or_else(|| str_at(&identity, &["subject_name"]));
    let run_by = field(&obj, &["identity_metadata"]).and_then(|m| str_at(m, &["run_by"]));
    let id = email.or(run_by).or(subject);
    ev.actor = Actor {
        kind: id
            .as_ref()
            .map(|i| if i.contains('@') { "user" } else { "service" }.to_owned()),
        id,
        ip: text(&obj, &["sourceIPAddress", "source_ip_address"]),
        session: text(&obj, &["sessionId", "session_id"]),
        ..Actor::default()
    };
    ev.outcome = outcome_of(field(&obj, &["response"]));
    ev.correlation_id = text(&obj, &["requestId", "request_id"]);
    ev.source = Some("databricks".to_owned());
    let p = params(&obj);
    targets(&mut ev, &p);
    ev.message = Some(format!(
        "databricks {service} {action_name} by {}",
        ev.actor.id.as_deref().unwrap_or("unknown principal")
    ));
    set_details(&mut ev, obj);
    if let Some(w) = wrapper {
        insert_detail(&mut ev, "wrapper", Value::Object(w));
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

    fn db(v: Value) -> AuditEvent {
        let Value::Object(m) = v else { panic!() };
        assert!(detect(&m), "{m:?}");
        map(m, origin("d.json", 1, Format::Databricks))
    }

    #[test]
    fn delivered_json_with_epoch_ms_and_status_codes() {
        let ev = db(json!({"version": "2.0", "auditLevel": "WORKSPACE_LEVEL",
            "timestamp": 1_700_000_000_123_u64, "workspaceId": 1234, "serviceName": "mlflowModelRegistry",
            "actionName": "createModelVersion", "sourceIPAddress": "10.0.0.5", "userAgent": "mlflow",
            "userIdentity": {"email": "ana@example.com"}, "requestId": "r-1",
            "requestParams": {"name": "churn", "version": "4", "run_id": "abc"},
            "response": {"statusCode": 200, "errorMessage": null}}));
        assert_eq!(ev.action, "model.register");
        assert_eq!(ev.ts.unwrap().timestamp_millis(), 1_700_000_000_123);
        assert_eq!(ev.actor.id.as_deref(), Some("ana@example.com"));
        assert_eq!(ev.actor.ip.as_deref(), Some("10.0.0.5"));
        assert_eq!(ev.outcome, Outcome::Success);
        assert_eq!(
            ev.outputs,
            vec![art("model_version", "churn", Some("4".into()))]
        );
        assert_eq!(ev.inputs, vec![art("run", "abc", None)]);
        let ev = db(
            json!({"serviceName": "accounts", "actionName": "login", "timestamp": 1,
            "userIdentity": {"email": "x@example.com"}, "response": {"statusCode": 401, "errorMessage": "bad"}}),
        );
        assert_eq!(
            (ev.action.as_str(), ev.outcome),
            ("auth.login", Outcome::Denied)
        );
    }

    #[test]
    fn system_table_rows_and_azure_diagnostics() {
        let ev = db(
            json!({"event_time": "2024-05-01T10:00:00.000Z", "service_name": "serving",
            "action_name": "createServingEndpoint", "source_ip_address": "10.1.1.1",
            "user_identity": {"email": "ana@example.com"}, "request_params": {"name": "churn-ep",
            "config": "{\"served_entities\":[{\"entity_name\":\"churn\",\"entity_version\":\"4\"}]}",
            "tags": "[{\"key\":\"env\",\"value\":\"production\"}]"},
            "response": {"status_code": 200}}),
        );
        assert_eq!(ev.action, "model.deploy");
        let m = ev.model.clone().unwrap();
        assert_eq!((m.id.as_str(), m.version.as_deref()), ("churn", Some("4")));
        assert_eq!(ev.resource.id.as_deref(), Some("churn-ep"));
        assert_eq!(ev.environment.as_deref(), Some("production"));
        let ev = db(
            json!({"time": "2024-05-01T10:00:00Z", "category": "modelRegistry",
            "operationName": "Microsoft.Databricks/modelRegistry/approveTransitionRequest",
            "identity": "{\"email\":\"lead@example.com\",\"subjectName\":null}",
            "properties": {"serviceName": "modelRegistry", "actionName": "approveTransitionRequest",
            "requestParams": "{\"name\":\"churn\",\"version\":\"4\",\"stage\":\"Production\"}",
            "response": "{\"statusCode\":200}", "sourceIPAddress": "10.0.0.9"}}),
        );
        assert_eq!(ev.action, "model.approve");
        assert_eq!(ev.actor.id.as_deref(), Some("lead@example.com"));
        assert_eq!(ev.outcome, Outcome::Success);
        assert_eq!(ev.environment.as_deref(), Some("production"));
        assert!(ev.ts.is_some());
    }

    #[test]
    fn odd_types_do_not_panic() {
        let ev = db(
            json!({"serviceName": "jobs", "actionName": 7, "timestamp": "x",
            "userIdentity": [1], "requestParams": "{", "response": 3}),
        );
        assert_eq!(ev.action, "databricks.jobs.7");
        assert_eq!(ev.actor.id, None);
    }
}
