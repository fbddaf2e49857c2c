//! Kubernetes audit events (`audit.k8s.io` v1 and v1beta1, JSON lines or an `EventList`
//! split by the reader; older exports have no `apiVersion`), and the same events wrapped by
//! Azure Monitor (`"category": "kube-audit"`, the event as JSON inside `properties.log`).
//! One operation's stages share an `auditID`, kept as the correlation id.

use std::fmt::Write as _;

use serde_json::{Map, Value};

use super::adapt::{
    art, finish, insert_detail, items, push_unique, set_details, set_first_time, str_at,
};
use super::error::{MapError, Nested};
use super::fields::scalar_string;
use super::strict_json::parse_strict;
use crate::model::{Actor, AuditEvent, ModelRef, Origin, Outcome, Resource};

/// Fields of an audit event, one of which a record marked `"kind": "Event"` must have.
const MARKERS: [&str; 6] = [
    "verb",
    "objectRef",
    "auditID",
    "stage",
    "requestURI",
    "user",
];

/// Whether an object is a Kubernetes audit event (or an Azure `kube-audit` wrapper, or a
/// GKE Cloud Audit Logs record of the `k8s.io` service).
pub(crate) fn detect(obj: &Map<String, Value>) -> bool {
    if azure_inner(obj).is_some() || is_gke(obj) {
        return true;
    }
    let api = obj
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if api.starts_with("audit.k8s.io/") {
        return true;
    }
    let marked = obj.get("kind").and_then(Value::as_str) == Some("Event") && api.is_empty();
    // Items of an `EventList` carry no `kind` of their own.
    let unmarked = !obj.contains_key("kind")
        && obj.contains_key("auditID")
        && obj.contains_key("stage")
        && (obj.contains_key("verb") || obj.contains_key("requestURI"));
    unmarked || (marked && MARKERS.iter().any(|k| obj.contains_key(*k)))
}

fn azure_inner(obj: &Map<String, Value>) -> Option<&str> {
    if obj.get("category").and_then(Value::as_str) != Some("kube-audit") {
        return None;
    }
    obj.get("properties")?.get("log")?.as_str()
}

/// Maps one audit event (unwrapping an Azure `kube-audit` record first).
pub fn map(mut obj: Map<String, Value>, origin: Origin) -> Result<AuditEvent, MapError> {
    if let Some(log) = azure_inner(&obj) {
        let wrong = |problem| MapError::Nested {
            field: "kube-audit record: properties.log",
            problem,
        };
        let inner = parse_strict(log.as_bytes()).map_err(|e| wrong(Nested::Json(e.to_string())))?;
        let Value::Object(inner) = inner else {
            return Err(wrong(Nested::Object));
        };
        if let Some(Value::Object(props)) = obj.get_mut("properties") {
            props.remove("log");
        }
        let mut ev = map_event(inner, origin);
        insert_detail(&mut ev, "wrapper", Value::Object(obj));
        return Ok(ev);
    }
    if is_gke(&obj) {
        let audit = gke_to_audit(&obj);
        let mut ev = map_event(audit, origin);
        let verb = ev.details.get("verb").cloned().unwrap_or(Value::Null);
        set_details(&mut ev, obj);
        insert_detail(&mut ev, "verb", verb);
        return Ok(ev);
    }
    Ok(map_event(obj, origin))
}

fn is_gke(obj: &Map<String, Value>) -> bool {
    obj.get("protoPayload")
        .and_then(|p| p.get("serviceName"))
        .and_then(Value::as_str)
        == Some("k8s.io")
}

/// The audit-event shape of a GKE record: `methodName` `io.k8s.<group>.<version>.<resource>
/// [.<subresource>].<verb>`, `resourceName` `<group>/<version>/namespaces/<ns>/<resource>/
/// <name>`, the principal, caller IP and authorization result.
fn gke_to_audit(obj: &Map<String, Value>) -> Map<String, Value> {
    let p = obj.get("protoPayload").cloned().unwrap_or(Value::Null);
    let method = str_at(&p, &["methodName"]).unwrap_or_default();
    let segs: Vec<&str> = method
        .strip_prefix("io.k8s.")
        .unwrap_or(&method)
        .split('.')
        .collect();
    let mut audit = Map::new();
    let verb = segs.last().copied().unwrap_or("unknown");
    audit.insert("verb".to_owned(), Value::String(verb.to_owned()));
    let version_at = segs.iter().position(|s| {
        // By bytes: a segment may hold any character (`v\u{feff}1`), and a str index off a
        // character boundary panics.
        s.starts_with('v') && s.as_bytes().get(1).is_some_and(u8::is_ascii_digit)
    });
    let mut object_ref = Map::new();
    if let Some(i) = version_at
        && i + 2 < segs.len()
    {
        object_ref.insert("apiGroup".to_owned(), Value::String(segs[..i].join(".")));
        object_ref.insert("resource".to_owned(), Value::String(segs[i + 1].to_owned()));
        if i + 3 < segs.len() {
            let sub = segs[i + 2..segs.len() - 1].join(".");
            object_ref.insert("subresource".to_owned(), Value::String(sub));
        }
        let name = str_at(&p, &["resourceName"]).unwrap_or_default();
        let parts: Vec<&str> = name.split('/').collect();
        if let Some(n) = parts.iter().position(|s| *s == "namespaces")
            && let Some(ns) = parts.get(n + 1)
        {
            object_ref.insert("namespace".to_owned(), Value::String((*ns).to_owned()));
        }
        if let Some(r) = parts.iter().position(|s| *s == segs[i + 1])
            && let Some(n) = parts.get(r + 1)
        {
            object_ref.insert("name".to_owned(), Value::String((*n).to_owned()));
        }
    } else if let Some(name) = str_at(&p, &["resourceName"]) {
        audit.insert("requestURI".to_owned(), Value::String(name));
    }
    if !object_ref.is_empty() {
        audit.insert("objectRef".to_owned(), Value::Object(object_ref));
    }
    if let Some(u) = str_at(&p, &["authenticationInfo", "principalEmail"]) {
        audit.insert("user".to_owned(), serde_json::json!({ "username": u }));
    }
    if let Some(ip) = str_at(&p, &["requestMetadata", "callerIP"]) {
        audit.insert("sourceIPs".to_owned(), serde_json::json!([ip]));
    }
    let denied = items(p.get("authorizationInfo"))
        .iter()
        .any(|a| a.get("granted") == Some(&Value::Bool(false)));
    let code = match p
        .get("status")
        .and_then(|s| s.get("code"))
        .and_then(Value::as_u64)
    {
        _ if denied => Some(403),
        Some(7 | 16) => Some(403),
        Some(0) => Some(200),
        Some(_) => Some(500),
        None if p.get("status").is_some() || !items(p.get("authorizationInfo")).is_empty() => {
            Some(200)
        }
        None => None,
    };
    if let Some(c) = code {
        audit.insert(
            "responseStatus".to_owned(),
            serde_json::json!({ "code": c }),
        );
    }
    for k in ["timestamp", "receiveTimestamp"] {
        if let Some(t) = obj.get(k) {
            audit.insert("stageTimestamp".to_owned(), t.clone());
            break;
        }
    }
    if let Some(id) = obj
        .get("insertId")
        .or_else(|| obj.get("operation").and_then(|o| o.get("id")))
    {
        audit.insert("auditID".to_owned(), id.clone());
    }
    audit
}

fn is_service(user: &str) -> bool {
    [
        "system:serviceaccount:",
        "system:node:",
        "system:kube-",
        "eks:",
    ]
    .iter()
    .any(|p| user.starts_with(p))
}

/// The actor of the `user` object: its name, groups as roles, service accounts, nodes and
/// controllers as services.
fn actor_of(user: Option<&Value>) -> Actor {
    let Some(user) = user else {
        return Actor::default();
    };
    let Some(username) = str_at(user, &["username"]) else {
        return Actor::default();
    };
    let kind = if is_service(&username) {
        "service"
    } else {
        "user"
    };
    Actor {
        kind: Some(kind.to_owned()),
        id: Some(username),
        roles: user
            .get("groups")
            .and_then(Value::as_array)
            .map(|g| g.iter().filter_map(scalar_string).collect())
            .unwrap_or_default(),
        ip: None,
        session: None,
    }
}

fn map_event(mut obj: Map<String, Value>, origin: Origin) -> AuditEvent {
    let verb = obj
        .remove("verb")
        .as_ref()
        .and_then(scalar_string)
        .map(|v| v.to_ascii_lowercase());
    let object_ref = obj.get("objectRef").cloned().unwrap_or(Value::Null);
    let r = |k: &str| str_at(&object_ref, &[k]);
    let resource = r("resource").map(|s| s.to_ascii_lowercase());
    let sub = r("subresource");
    let namespace = r("namespace");
    let name = r("name");
    let api_group = r("apiGroup").unwrap_or_default();
    let v = verb.as_deref().unwrap_or("unknown");

    let isvc = resource.as_deref() == Some("inferenceservices") || api_group == "serving.kserve.io";
    let action = action_for(v, resource.as_deref(), sub.as_deref(), isvc);
    let mut ev = AuditEvent::new(origin, action);

    let stage_ts = obj.remove("stageTimestamp");
    let received = obj.get("requestReceivedTimestamp").cloned();
    let ts = obj.get("timestamp").cloned();
    // Panther's copy of the event time, for records whose own is missing.
    let parsed = obj.get("p_event_time").cloned();
    let times = [
        stage_ts.as_ref(),
        received.as_ref(),
        ts.as_ref(),
        parsed.as_ref(),
    ];
    set_first_time(&mut ev, &times);

    ev.actor = actor_of(obj.get("user"));
    ev.actor.ip = obj
        .get("sourceIPs")
        .and_then(|ips| ips.get(0))
        .and_then(scalar_string);

    let id = match (&namespace, &name) {
        (Some(ns), Some(n)) => Some(format!("{ns}/{n}")),
        (None, Some(n)) => Some(n.clone()),
        _ => None,
    };
    if resource.is_some() || id.is_some() {
        ev.resource = Resource {
            kind: resource.clone(),
            id: id.clone(),
            name: name.clone(),
            version: r("resourceVersion"),
            tags: Vec::new(),
        };
    } else if let Some(uri) = obj.get("requestURI").and_then(scalar_string) {
        ev.resource = Resource {
            kind: Some("url".to_owned()),
            id: Some(uri),
            ..Resource::default()
        };
    }
    if isvc && ev.category == crate::model::Category::Deployment {
        kserve(&mut ev, &obj, id, name, namespace.clone());
    }

    let code = obj
        .get("responseStatus")
        .and_then(|s| s.get("code"))
        .and_then(Value::as_u64);
    ev.outcome = outcome_of(&obj, code);
    ev.correlation_id = obj.get("auditID").and_then(scalar_string);
    ev.source = Some("kubernetes".to_owned());
    let status_message = obj
        .get("responseStatus")
        .and_then(|s| s.get("message"))
        .and_then(scalar_string);
    let msg = message(
        &ev,
        v,
        resource.as_deref(),
        sub.as_deref(),
        code,
        status_message,
    );
    ev.message = Some(msg);
    set_details(&mut ev, obj);
    if let Some(vb) = verb {
        insert_detail(&mut ev, "verb", Value::String(vb));
    }
    finish(&mut ev);
    ev
}

/// `k8s.<verb>.<resource>[.<subresource>]`, or the vocabulary for secrets reads, RBAC
/// bindings and `KServe` inference services.
fn action_for(v: &str, resource: Option<&str>, sub: Option<&str>, isvc: bool) -> String {
    let mut action = match resource {
        Some(res) => {
            let mut a = format!("k8s.{v}.{res}");
            if let Some(s) = &sub {
                a.push('.');
                a.push_str(&s.to_ascii_lowercase());
            }
            a
        }
        None => format!("k8s.{v}"),
    };
    let writes = matches!(v, "create" | "update" | "patch");
    match (resource, sub) {
        (Some("secrets"), None) if matches!(v, "get" | "list" | "watch") => {
            "secret.read".clone_into(&mut action);
        }
        (Some("rolebindings" | "clusterrolebindings"), None) if writes => {
            "access.grant".clone_into(&mut action);
        }
        (Some("rolebindings" | "clusterrolebindings"), None) if v == "delete" => {
            "access.revoke".clone_into(&mut action);
        }
        (Some(_), None) if isvc && writes => "model.deploy".clone_into(&mut action),
        (Some(_), None) if isvc && matches!(v, "delete" | "deletecollection") => {
            "model.decommission".clone_into(&mut action);
        }
        _ => {}
    }
    action
}

/// Denied when the authorizer said `forbid` or the answer is 401/403; failed on other
/// errors; successful on any other response code or an `allow` decision.
fn outcome_of(obj: &Map<String, Value>, code: Option<u64>) -> Outcome {
    let decision = obj
        .get("annotations")
        .and_then(|a| a.get("authorization.k8s.io/decision"))
        .and_then(Value::as_str)
        .map(str::to_ascii_lowercase);
    match (decision.as_deref(), code) {
        (Some("forbid" | "deny"), _) | (_, Some(401 | 403)) => Outcome::Denied,
        (_, Some(c)) if c >= 400 => Outcome::Failure,
        (_, Some(_)) | (Some("allow"), None) => Outcome::Success,
        _ => Outcome::Unknown,
    }
}

fn message(
    ev: &AuditEvent,
    verb: &str,
    resource: Option<&str>,
    sub: Option<&str>,
    code: Option<u64>,
    status_message: Option<String>,
) -> String {
    let mut msg = format!(
        "{} {} {}",
        ev.actor.id.as_deref().unwrap_or("unknown user"),
        verb,
        resource.unwrap_or("(no resource)")
    );
    if let Some(s) = sub {
        let _ = write!(msg, "/{s}");
    }
    if let Some(i) = &ev.resource.id {
        let _ = write!(msg, " {i}");
    }
    if let Some(c) = code {
        let _ = write!(msg, " -> {c}");
    }
    if let Some(m) = status_message {
        let _ = write!(msg, ": {m}");
    }
    msg
}

/// A `KServe` `InferenceService` change is a deployment: the service is the deployment, its
/// namespace the environment, the model storage URI an input.
fn kserve(
    ev: &mut AuditEvent,
    obj: &Map<String, Value>,
    id: Option<String>,
    name: Option<String>,
    namespace: Option<String>,
) {
    ev.resource.kind = Some("deployment".to_owned());
    ev.environment = namespace;
    if let Some(n) = name {
        ev.model = Some(ModelRef {
            id: n,
            version: None,
        });
    }
    let predictor = obj
        .get("requestObject")
        .and_then(|o| o.get("spec"))
        .and_then(|s| s.get("predictor"));
    if let Some(Value::Object(p)) = predictor {
        for (_, framework) in p {
            if let Some(uri) = str_at(framework, &["storageUri"]) {
                push_unique(&mut ev.inputs, art("artifact", uri, None));
            }
        }
    }
    if let Some(id) = id {
        push_unique(&mut ev.outputs, art("deployment", id, None));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::adapt::origin;
    use crate::model::{Category, Format, Severity};
    use serde_json::json;

    fn k8s(v: Value) -> AuditEvent {
        let Value::Object(m) = v else { panic!() };
        assert!(detect(&m));
        map(m, origin("k.jsonl", 1, Format::Kubernetes)).unwrap()
    }

    #[test]
    fn audit_event_fields() {
        let ev = k8s(
            json!({"kind": "Event", "apiVersion": "audit.k8s.io/v1", "auditID": "a-1",
            "stage": "ResponseComplete", "verb": "create",
            "user": {"username": "admin", "groups": ["system:masters"]},
            "impersonatedUser": {"username": "bob"},
            "sourceIPs": ["10.0.0.1", "10.0.0.2"],
            "objectRef": {"resource": "pods", "namespace": "default", "name": "nginx", "subresource": "exec"},
            "responseStatus": {"code": 101},
            "requestReceivedTimestamp": "2018-10-26T13:42:46.764713Z",
            "stageTimestamp": "2018-10-26T13:42:46.808261Z"}),
        );
        assert_eq!(ev.actor.id.as_deref(), Some("admin"));
        assert_eq!(ev.actor.roles, vec!["system:masters"]);
        assert_eq!(ev.actor.ip.as_deref(), Some("10.0.0.1"));
        assert_eq!(ev.action, "k8s.create.pods.exec");
        assert_eq!(ev.resource.id.as_deref(), Some("default/nginx"));
        assert_eq!(ev.correlation_id.as_deref(), Some("a-1"));
        assert_eq!(ev.outcome, Outcome::Success);
        assert_eq!(ev.ts.unwrap().timestamp_subsec_micros(), 808_261);
        assert_eq!(ev.details["stage"], "ResponseComplete");
        assert_eq!(ev.details["impersonatedUser"]["username"], "bob");
    }

    #[test]
    fn secrets_denials_and_kserve() {
        let ev = k8s(json!({"kind": "Event", "verb": "get",
            "user": {"username": "system:serviceaccount:ns:sa"},
            "objectRef": {"resource": "secrets", "namespace": "prod", "name": "db"},
            "responseStatus": {"code": 403, "message": "Forbidden"}}));
        assert_eq!(ev.action, "secret.read");
        assert_eq!(ev.outcome, Outcome::Denied);
        assert_eq!(ev.severity, Severity::Warning);
        assert_eq!(ev.actor.kind.as_deref(), Some("service"));
        let ev = k8s(
            json!({"kind": "Event", "apiVersion": "audit.k8s.io/v1beta1", "verb": "patch",
            "objectRef": {"resource": "inferenceservices", "apiGroup": "serving.kserve.io",
                "namespace": "production", "name": "churn"},
            "annotations": {"authorization.k8s.io/decision": "allow"},
            "requestObject": {"spec": {"predictor": {"sklearn": {"storageUri": "gs://m/churn/v3"}}}}}),
        );
        assert_eq!(ev.action, "model.deploy");
        assert_eq!(ev.category, Category::Deployment);
        assert_eq!(ev.resource.kind.as_deref(), Some("deployment"));
        assert_eq!(ev.environment.as_deref(), Some("production"));
        assert_eq!(ev.inputs, vec![art("artifact", "gs://m/churn/v3", None)]);
        assert_eq!(ev.outcome, Outcome::Success);
        let ev = k8s(
            json!({"kind": "Event", "verb": "delete", "annotations": {"authorization.k8s.io/decision": "forbid"},
            "objectRef": {"resource": "inferenceservices", "namespace": "p", "name": "c"}}),
        );
        assert_eq!(ev.action, "model.decommission");
        assert_eq!(ev.outcome, Outcome::Denied);
    }

    #[test]
    fn gke_records_map_like_audit_events() {
        let ev = k8s(json!({"protoPayload": {"serviceName": "k8s.io",
            "methodName": "io.k8s.core.v1.pods.exec.create",
            "resourceName": "core/v1/namespaces/prod/pods/db/exec",
            "authenticationInfo": {"principalEmail": "u@x.com"},
            "requestMetadata": {"callerIP": "1.2.3.4"},
            "authorizationInfo": [{"granted": true}]}, "timestamp": "2024-02-16 11:48:22.742"}));
        assert_eq!(ev.action, "k8s.create.pods.exec");
        assert_eq!(ev.resource.id.as_deref(), Some("prod/db"));
        assert_eq!(ev.actor.id.as_deref(), Some("u@x.com"));
        assert_eq!(ev.actor.ip.as_deref(), Some("1.2.3.4"));
        assert_eq!(ev.outcome, Outcome::Success);
        assert!(ev.ts.is_some());
        assert_eq!(ev.details["protoPayload"]["serviceName"], "k8s.io");
        let ev = k8s(json!({"protoPayload": {"serviceName": "k8s.io",
            "methodName": "io.k8s.core.v1.secrets.get", "resourceName": "core/v1/namespaces/p/secrets/t",
            "status": {"code": 7}, "authorizationInfo": [{"granted": false}]}}));
        assert_eq!(ev.action, "secret.read");
        assert_eq!(ev.outcome, Outcome::Denied);
        let ev = k8s(
            json!({"protoPayload": {"serviceName": "k8s.io", "methodName": "io.k8s.readyz",
            "status": {}}}),
        );
        assert_eq!(ev.action, "k8s.readyz");
        // A segment whose second character is not one byte (found by fuzzing: it panicked
        // slicing the string off a character boundary) is not a version.
        let ev = k8s(json!({"protoPayload": {"serviceName": "k8s.io",
            "methodName": "io.k8s.admissionregistration.v\u{feff}1.hooks.create",
            "resourceName": "admissionregistration.k8s.io/v1/hooks/x"}}));
        assert_eq!(ev.action, "k8s.create");
    }

    #[test]
    fn azure_wrapper_and_odd_records() {
        let inner = json!({"kind": "Event", "apiVersion": "audit.k8s.io/v1", "verb": "list",
            "user": {"username": "u"}, "objectRef": {"resource": "pods"}, "responseStatus": {"code": 200}});
        let ev = k8s(json!({"category": "kube-audit", "operationName": "op",
            "properties": {"log": inner.to_string()}}));
        assert_eq!(ev.action, "k8s.list.pods");
        assert_eq!(ev.details["wrapper"]["operationName"], "op");
        let Value::Object(bad) = json!({"category": "kube-audit", "properties": {"log": "{oops"}})
        else {
            panic!()
        };
        assert!(map(bad, origin("k", 1, Format::Kubernetes)).is_err());
        let Value::Object(odd) = json!({"kind": 0}) else {
            panic!()
        };
        assert!(!detect(&odd));
        let ev = k8s(
            json!({"apiVersion": "audit.k8s.io/v1", "kind": "Event", "user": null, "objectRef": null}),
        );
        assert_eq!(ev.action, "k8s.unknown");
        assert_eq!(ev.outcome, Outcome::Unknown);
    }
}
