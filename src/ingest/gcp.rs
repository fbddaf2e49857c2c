//! Google Cloud Audit Logs: a `LogEntry` whose `protoPayload` is an `AuditLog` (as exported
//! by Logging sinks, `gcloud logging read --format=json` or Pub/Sub; the `BigQuery` export's
//! `protopayload_auditlog` too). GKE entries (`k8s.io`) go to the Kubernetes adapter.
//!
//! actor = `authenticationInfo.principalEmail`, else `principalSubject`, else the last
//! principal of `serviceAccountDelegationInfo`; ip = `requestMetadata.callerIp`; action =
//! the Vertex AI lifecycle vocabulary ([`super::vertex`]) or a few well-known calls, else
//! `gcp.<service>.<interface>.<method>` in lower case; outcome from `status.code` (absent or
//! 0: success; 7 `PERMISSION_DENIED` and 16 `UNAUTHENTICATED`: denied; others: failure; an
//! `authorizationInfo` entry with `granted: false` is a denial too).

use std::fmt::Write as _;

use serde_json::{Map, Value};

use super::adapt::{
    action_segment, finish, get_ci, insert_detail, items, set_details, set_first_time, str_at,
    take_ci,
};
use super::fields::scalar_string;
use super::vertex;
use crate::model::{Actor, AuditEvent, Origin, Outcome, Resource, Severity};

/// The `@type` of an audit log payload.
const AUDIT_LOG_TYPE: &str = "google.cloud.audit.AuditLog";

fn payload(obj: &Map<String, Value>) -> Option<&Value> {
    get_ci(obj, "protoPayload")
        .or_else(|| get_ci(obj, "protopayload_auditlog"))
        .filter(|p| p.is_object())
}

/// Whether an object is a Cloud Audit Logs entry (not a GKE one: those are Kubernetes
/// events).
pub(crate) fn detect(obj: &Map<String, Value>) -> bool {
    let Some(p) = payload(obj) else {
        return false;
    };
    let typed = str_at(p, &["@type"]).is_some_and(|t| t.ends_with(AUDIT_LOG_TYPE));
    let shaped = str_at(p, &["serviceName"]).is_some() && str_at(p, &["methodName"]).is_some();
    (typed || shaped) && str_at(p, &["serviceName"]).as_deref() != Some("k8s.io")
}

/// The outcome of a `google.rpc.Status` code (as a number or a numeric string).
pub(crate) fn outcome_of_code(code: Option<i64>) -> Outcome {
    match code {
        None | Some(0) => Outcome::Success,
        Some(7 | 16) => Outcome::Denied,
        Some(_) => Outcome::Failure,
    }
}

fn status_code(p: &Value) -> Option<i64> {
    let c = p.get("status")?.get("code")?;
    c.as_i64()
        .or_else(|| c.as_str().and_then(|s| s.trim().parse().ok()))
        .or_else(|| {
            // A status name instead of its number.
            let name = c.as_str()?.trim().to_ascii_uppercase();
            Some(match name.as_str() {
                "OK" => 0,
                "PERMISSION_DENIED" => 7,
                "UNAUTHENTICATED" => 16,
                _ => 2,
            })
        })
}

/// Who made the call: `principalEmail`, else `principalSubject`, else the delegation chain's
/// last principal. Service accounts and workload identities are services.
fn actor_of(p: &Value) -> Actor {
    let auth = p.get("authenticationInfo").unwrap_or(&Value::Null);
    let chain: Vec<String> = items(auth.get("serviceAccountDelegationInfo"))
        .into_iter()
        .filter_map(|d| {
            str_at(d, &["firstPartyPrincipal", "principalEmail"])
                .or_else(|| str_at(d, &["principalSubject"]))
                .or_else(|| str_at(d, &["thirdPartyPrincipal", "thirdPartyClaims", "sub"]))
        })
        .collect();
    let id = str_at(auth, &["principalEmail"])
        .or_else(|| str_at(auth, &["principalSubject"]))
        .or_else(|| chain.last().cloned());
    let service = id.as_deref().is_some_and(|i| {
        i.ends_with(".gserviceaccount.com")
            || i.starts_with("serviceAccount:")
            || i.starts_with("principal://")
            || i.starts_with("principalSet://")
    });
    Actor {
        kind: id
            .as_ref()
            .map(|_| if service { "service" } else { "user" }.to_owned()),
        id,
        roles: Vec::new(),
        ip: str_at(p, &["requestMetadata", "callerIp"]),
        session: None,
    }
}

/// A `LogSeverity` by name or number (`DEFAULT` 0 ... `EMERGENCY` 800).
fn severity_of(s: &str) -> Option<Severity> {
    match s.trim().parse::<u32>() {
        Ok(n) => Some(match n {
            100..=199 => Severity::Debug,
            0..=99 | 200..=299 => Severity::Info,
            300..=399 => Severity::Notice,
            400..=499 => Severity::Warning,
            500..=599 => Severity::Error,
            _ => Severity::Critical,
        }),
        Err(_) => Severity::parse(s),
    }
}

/// The short name of a service (`aiplatform.googleapis.com` -> `aiplatform`).
fn service_short(service: &str) -> String {
    let s = service.trim().to_ascii_lowercase();
    s.strip_suffix(".googleapis.com").unwrap_or(&s).to_owned()
}

/// The interface and method of a `methodName`, without package, version and service parts
/// (`google.cloud.aiplatform.v1.EndpointService.DeployModel` -> `EndpointService`,
/// `DeployModel`; `beta.compute.instances.insert` -> `instances`, `insert`).
pub(crate) fn method_parts<'a>(method: &'a str, service: &str) -> (Option<&'a str>, &'a str) {
    let is_version = |s: &str| {
        let l = s.to_ascii_lowercase();
        l == "beta" || l == "alpha" || l == "internal" || l == "ga" || {
            let mut b = l.bytes();
            b.next() == Some(b'v') && b.next().is_some_and(|c| c.is_ascii_digit())
        }
    };
    let kept: Vec<&str> = method
        .split('.')
        .filter(|s| {
            !s.is_empty()
                && *s != "google"
                && *s != "cloud"
                && !is_version(s)
                && !s.eq_ignore_ascii_case(service)
        })
        .collect();
    match kept.as_slice() {
        [] => (None, method),
        [m] => (None, m),
        [.., i, m] => (Some(i), m),
    }
}

/// Well-known calls of other services, in the event-model vocabulary.
fn known_action(svc: &str, method: &str) -> Option<&'static str> {
    let m = method.to_ascii_lowercase();
    let last = m.rsplit('.').next().unwrap_or_default();
    Some(match svc {
        "storage" if m.ends_with("objects.get") => "data.access",
        "storage" if m.ends_with("objects.create") || m.ends_with("objects.update") => "data.store",
        "storage" if m.ends_with("objects.delete") => "data.delete",
        "secretmanager" if last == "accesssecretversion" => "secret.read",
        "logging"
            if matches!(
                last,
                "createsink" | "updatesink" | "deletesink" | "updatecmeksettings" | "deletelog"
            ) =>
        {
            "audit.config.change"
        }
        "logging" if last == "listlogentries" => "audit.log.access",
        _ if last == "setiampolicy" => "access.grant",
        _ => return None,
    })
}

/// The action of a call: Vertex AI lifecycle, a well-known call, else
/// `gcp.<service>.<interface>.<method>`.
fn action_of(svc: &str, iface: Option<&str>, name: &str, method: &str) -> String {
    let vertex_action = (svc == "aiplatform")
        .then(|| vertex::action(iface, name))
        .flatten();
    if let Some(a) = vertex_action.or_else(|| known_action(svc, method)) {
        return a.to_owned();
    }
    let mut a = format!("gcp.{}", action_segment(svc));
    if let Some(i) = iface {
        let _ = write!(a, ".{}", action_segment(i));
    }
    if !name.is_empty() {
        let _ = write!(a, ".{}", action_segment(name));
    }
    a
}

fn message(ev: &AuditEvent, service: &str, method: &str, p: &Value) -> String {
    let mut m = format!(
        "{} {} by {}",
        if service.is_empty() { "gcp" } else { service },
        if method.is_empty() {
            "(no method)"
        } else {
            method
        },
        ev.actor.id.as_deref().unwrap_or("unknown principal")
    );
    if let Some(r) = &ev.resource.id {
        let _ = write!(m, " on {r}");
    }
    if let Some(s) = p.get("status").and_then(|s| str_at(s, &["message"])) {
        let _ = write!(m, ": {s}");
    }
    m
}

/// Maps one audit log entry.
pub fn map(mut obj: Map<String, Value>, origin: Origin) -> AuditEvent {
    let p = take_ci(&mut obj, "protoPayload")
        .or_else(|| take_ci(&mut obj, "protopayload_auditlog"))
        .unwrap_or(Value::Null);
    let service = str_at(&p, &["serviceName"]).unwrap_or_default();
    let method = str_at(&p, &["methodName"]).unwrap_or_default();
    let svc = service_short(&service);
    let (iface, name) = method_parts(&method, &svc);
    let action = action_of(&svc, iface, name, &method);
    let mut ev = AuditEvent::new(origin, action);
    let ts = take_ci(&mut obj, "timestamp");
    let received = take_ci(&mut obj, "receiveTimestamp");
    let requested = p
        .get("requestMetadata")
        .and_then(|m| m.get("requestAttributes"))
        .and_then(|a| a.get("time"))
        .cloned();
    set_first_time(
        &mut ev,
        &[ts.as_ref(), received.as_ref(), requested.as_ref()],
    );
    if let Some(s) = take_ci(&mut obj, "severity")
        .as_ref()
        .and_then(scalar_string)
    {
        match severity_of(&s) {
            Some(sev) => ev.severity = sev,
            None if s.eq_ignore_ascii_case("default") => {}
            None => insert_detail(&mut ev, "original_severity", Value::String(s)),
        }
    }
    ev.actor = actor_of(&p);
    let denied = items(p.get("authorizationInfo"))
        .iter()
        .any(|a| a.get("granted") == Some(&Value::Bool(false)));
    ev.outcome = if service.is_empty() && method.is_empty() {
        Outcome::Unknown
    } else if denied {
        Outcome::Denied
    } else {
        outcome_of_code(status_code(&p))
    };
    let entry_resource = obj.get("resource").cloned().unwrap_or(Value::Null);
    let resource_name = str_at(&p, &["resourceName"]);
    ev.resource = Resource {
        kind: str_at(&entry_resource, &["type"]),
        name: resource_name
            .as_deref()
            .and_then(|r| r.rsplit('/').next())
            .map(str::to_owned),
        id: resource_name.clone(),
        version: None,
        tags: match entry_resource.get("labels") {
            Some(Value::Object(l)) => l
                .iter()
                .filter_map(|(k, v)| scalar_string(v).map(|v| format!("{k}={v}")))
                .collect(),
            _ => Vec::new(),
        },
    };
    ev.correlation_id = obj
        .get("operation")
        .and_then(|o| str_at(o, &["id"]))
        .or_else(|| str_at(&Value::Object(obj.clone()), &["trace"]));
    ev.source = Some(if svc.is_empty() {
        "gcp".to_owned()
    } else {
        svc.clone()
    });
    if svc == "aiplatform" {
        vertex::targets(&mut ev, &p, resource_name.as_deref());
    }
    ev.message = Some(message(&ev, &service, &method, &p));
    set_details(&mut ev, obj);
    insert_detail(&mut ev, "protoPayload", p);
    if !service.is_empty() {
        insert_detail(&mut ev, "service", Value::String(service));
    }
    if !method.is_empty() {
        insert_detail(&mut ev, "method", Value::String(method));
    }
    finish(&mut ev);
    ev
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::adapt::origin;
    use crate::model::{Category, Format};
    use serde_json::json;

    fn gcp(v: Value) -> AuditEvent {
        let Value::Object(m) = v else { panic!() };
        assert!(detect(&m), "{m:?}");
        map(m, origin("g.json", 1, Format::Gcp))
    }

    fn entry(service: &str, method: &str, extra: Value) -> Value {
        let mut p = json!({"@type": "type.googleapis.com/google.cloud.audit.AuditLog",
            "serviceName": service, "methodName": method,
            "authenticationInfo": {"principalEmail": "ana@example.com"},
            "requestMetadata": {"callerIp": "203.0.113.9"},
            "resourceName": "projects/p/locations/us-central1/endpoints/42"});
        if let (Value::Object(p), Value::Object(e)) = (&mut p, extra) {
            p.extend(e);
        }
        json!({"protoPayload": p, "insertId": "i1", "timestamp": "2025-01-02T03:04:05.123456789Z",
            "severity": "NOTICE", "resource": {"type": "audited_resource",
            "labels": {"project_id": "p", "service": service}}})
    }

    #[test]
    fn principal_ip_time_severity_and_status() {
        let ev = gcp(entry(
            "compute.googleapis.com",
            "beta.compute.instances.aggregatedList",
            json!({"status": {"code": 7, "message": "PERMISSION_DENIED"}}),
        ));
        assert_eq!(ev.action, "gcp.compute.instances.aggregatedlist");
        assert_eq!(ev.actor.id.as_deref(), Some("ana@example.com"));
        assert_eq!(ev.actor.kind.as_deref(), Some("user"));
        assert_eq!(ev.actor.ip.as_deref(), Some("203.0.113.9"));
        assert_eq!(ev.outcome, Outcome::Denied);
        assert_eq!(ev.severity, Severity::Warning);
        assert!(ev.message.as_deref().unwrap().contains("PERMISSION_DENIED"));
        assert_eq!(
            ev.ts.unwrap().to_rfc3339(),
            "2025-01-02T03:04:05.123456789+00:00"
        );
        for (code, want) in [
            (json!({}), Outcome::Success),
            (json!({"code": 0}), Outcome::Success),
            (json!({"code": 16}), Outcome::Denied),
            (json!({"code": "7"}), Outcome::Denied),
            (json!({"code": 10}), Outcome::Failure),
            (json!({"code": "PERMISSION_DENIED"}), Outcome::Denied),
        ] {
            let ev = gcp(entry(
                "iam.googleapis.com",
                "google.iam.admin.v1.ListServiceAccounts",
                json!({"status": code}),
            ));
            assert_eq!(ev.outcome, want, "{code}");
            assert_eq!(ev.action, "gcp.iam.admin.listserviceaccounts");
        }
        let ev = gcp(entry(
            "storage.googleapis.com",
            "storage.objects.get",
            json!({"authorizationInfo": [{"granted": false}]}),
        ));
        assert_eq!(ev.action, "data.access");
        assert_eq!(ev.outcome, Outcome::Denied);
    }

    #[test]
    fn subjects_and_delegation_chains_name_the_actor() {
        let ev = gcp(entry(
            "iamcredentials.googleapis.com",
            "GenerateAccessToken",
            json!({"authenticationInfo": {"principalSubject": "principal://iam.googleapis.com/pool/x"}}),
        ));
        assert_eq!(
            ev.actor.id.as_deref(),
            Some("principal://iam.googleapis.com/pool/x")
        );
        assert_eq!(ev.actor.kind.as_deref(), Some("service"));
        let ev = gcp(entry(
            "bigquery.googleapis.com",
            "jobservice.insert",
            json!({"authenticationInfo": {"serviceAccountDelegationInfo": [
                {"firstPartyPrincipal": {"principalEmail": "a@p.iam.gserviceaccount.com"}},
                {"firstPartyPrincipal": {"principalEmail": "b@p.iam.gserviceaccount.com"}}]}}),
        ));
        assert_eq!(ev.actor.id.as_deref(), Some("b@p.iam.gserviceaccount.com"));
        assert_eq!(ev.actor.kind.as_deref(), Some("service"));
    }

    #[test]
    fn gke_entries_are_not_claimed_and_odd_types_do_not_panic() {
        let Value::Object(gke) = entry("k8s.io", "io.k8s.core.v1.pods.list", json!({})) else {
            panic!()
        };
        assert!(!detect(&gke));
        let ev = gcp(
            json!({"protoPayload": {"@type": "type.googleapis.com/google.cloud.audit.AuditLog",
            "serviceName": 3, "methodName": ["x"], "status": [1], "authenticationInfo": "me",
            "authorizationInfo": {"granted": "no"}, "resourceName": null}, "severity": 400,
            "timestamp": 1_700_000_000}),
        );
        assert_eq!(ev.category, Category::Other);
        assert!(ev.ts.is_some());
        assert_eq!(ev.actor.id, None);
    }
}
