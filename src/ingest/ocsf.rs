//! OCSF events, by `class_uid`: Authentication (3002) as `auth.login` / `auth.logout`,
//! Account Change (3001), API Activity (6003, AWS calls mapped like `CloudTrail`), findings
//! (class 2xxx) as `security.alert`, and any other class as `ocsf.<class>.<activity>`.
//! `time` is read by magnitude (seconds, milliseconds or microseconds).

use serde_json::{Map, Value};

use super::adapt::{
    action_segment, finish, insert_detail, items, set_details, set_first_time, str_at,
};
use super::aws::{aws_action, service_of};
use super::fields::scalar_string;
use crate::model::{Actor, AuditEvent, Category, Origin, Outcome, Resource, Severity};

/// Whether an object is an OCSF event: a numeric `class_uid` and OCSF metadata.
pub(crate) fn detect(obj: &Map<String, Value>) -> bool {
    obj.get("class_uid").is_some_and(Value::is_u64)
        && (obj.get("metadata").is_some_and(Value::is_object)
            || obj.contains_key("category_uid")
            || obj.contains_key("type_uid"))
}

fn action_for(class: u64, obj: &Map<String, Value>) -> (String, Option<Category>) {
    let activity_id = obj.get("activity_id").and_then(Value::as_u64);
    let activity = obj
        .get("activity_name")
        .and_then(scalar_string)
        .unwrap_or_else(|| "unknown".to_owned());
    let operation = obj.get("api").and_then(|a| str_at(a, &["operation"]));
    let service = obj.get("api").and_then(|a| str_at(a, &["service", "name"]));
    match class {
        3002 => {
            let logoff = activity_id == Some(2) || activity.eq_ignore_ascii_case("logoff");
            let a = if logoff { "auth.logout" } else { "auth.login" };
            (a.to_owned(), None)
        }
        3001 => match activity_id {
            Some(7) => ("access.grant".to_owned(), None),
            Some(8) => ("access.revoke".to_owned(), None),
            _ => (
                format!("account.{}", action_segment(&activity)),
                Some(Category::Access),
            ),
        },
        2000..=2999 => ("security.alert".to_owned(), None),
        _ if operation.is_some() => {
            let aws = service
                .as_deref()
                .is_some_and(|s| s.ends_with(".amazonaws.com"));
            if aws {
                (
                    aws_action(service.as_deref(), operation.as_deref(), None),
                    None,
                )
            } else {
                (
                    format!(
                        "api.{}",
                        action_segment(operation.as_deref().unwrap_or_default())
                    ),
                    Some(Category::Access),
                )
            }
        }
        _ => {
            let class_name = obj
                .get("class_name")
                .and_then(scalar_string)
                .unwrap_or_else(|| class.to_string());
            (
                format!(
                    "ocsf.{}.{}",
                    action_segment(&class_name),
                    action_segment(&activity)
                ),
                None,
            )
        }
    }
}

fn severity_of(id: Option<u64>) -> Severity {
    match id {
        Some(2) => Severity::Notice,
        Some(3) => Severity::Warning,
        Some(4) => Severity::Error,
        Some(5 | 6) => Severity::Critical,
        _ => Severity::Info,
    }
}

/// Denied when the API error or status detail says so, else from `status_id` / `status`.
fn outcome_of(obj: &Map<String, Value>) -> Outcome {
    let status_id = obj.get("status_id").and_then(Value::as_u64);
    let status = obj.get("status").and_then(scalar_string);
    let error = obj
        .get("api")
        .and_then(|a| str_at(a, &["response", "error"]));
    let detail = obj.get("status_detail").and_then(scalar_string);
    let denied = [&error, &detail].iter().any(|s| {
        s.as_deref().is_some_and(|s| {
            let l = s.to_ascii_lowercase();
            l.contains("accessdenied") || l.contains("unauthorized") || l.contains("forbidden")
        })
    });
    match (
        status_id,
        status.as_deref().map(str::to_ascii_lowercase).as_deref(),
    ) {
        _ if denied => Outcome::Denied,
        (Some(1), _) | (None, Some("success")) => Outcome::Success,
        (Some(2), _) | (None, Some("failure")) => Outcome::Failure,
        _ => Outcome::Unknown,
    }
}

/// Maps one OCSF event.
pub fn map(mut obj: Map<String, Value>, origin: Origin) -> AuditEvent {
    let class = obj
        .get("class_uid")
        .and_then(Value::as_u64)
        .unwrap_or_default();
    let (action, category) = action_for(class, &obj);
    let mut ev = AuditEvent::new(origin, action);
    if let Some(c) = category {
        ev.category = c;
    }
    let time = obj.remove("time");
    let time_dt = obj.get("time_dt").cloned();
    set_first_time(&mut ev, &[time.as_ref(), time_dt.as_ref()]);

    let actor = obj.remove("actor").unwrap_or(Value::Null);
    let u = |k: &str| str_at(&actor, &["user", k]);
    let invoked_by = str_at(&actor, &["invoked_by"]);
    let id = u("uid")
        .or_else(|| u("name"))
        .or_else(|| u("uid_alt"))
        .or_else(|| invoked_by.clone());
    let user_type = u("type").unwrap_or_default().to_ascii_lowercase();
    let service = user_type.contains("service")
        || (u("uid").is_none() && u("name").is_none() && invoked_by.is_some());
    ev.actor = Actor {
        kind: id
            .as_ref()
            .map(|_| if service { "service" } else { "user" }.to_owned()),
        id,
        roles: items(actor.get("user").and_then(|x| x.get("groups")))
            .into_iter()
            .filter_map(|g| str_at(g, &["name"]))
            .collect(),
        ip: obj
            .get("src_endpoint")
            .and_then(|s| str_at(s, &["ip"]).or_else(|| str_at(s, &["domain"]))),
        session: str_at(&actor, &["session", "uid"]).or_else(|| u("credential_uid")),
    };

    ev.outcome = outcome_of(&obj);
    ev.severity = severity_of(obj.get("severity_id").and_then(Value::as_u64));

    if let Some(r) = items(obj.get("resources")).first() {
        ev.resource = Resource {
            kind: str_at(r, &["type"]),
            id: str_at(r, &["uid"]).or_else(|| str_at(r, &["name"])),
            name: str_at(r, &["name"]),
            version: str_at(r, &["version"]),
            tags: Vec::new(),
        };
    }
    ev.correlation_id = obj
        .get("metadata")
        .and_then(|m| str_at(m, &["correlation_uid"]))
        .or_else(|| obj.get("api").and_then(|a| str_at(a, &["request", "uid"])));
    let api_service = obj.get("api").and_then(|a| str_at(a, &["service", "name"]));
    ev.source = api_service
        .as_deref()
        .filter(|s| s.ends_with(".amazonaws.com"))
        .map(service_of)
        .or_else(|| {
            obj.get("metadata")
                .and_then(|m| str_at(m, &["product", "name"]))
                .map(|s| s.to_ascii_lowercase())
        })
        .or_else(|| Some("ocsf".to_owned()));
    ev.message = obj
        .remove("message")
        .as_ref()
        .and_then(scalar_string)
        .or_else(|| {
            let type_name = obj
                .get("type_name")
                .and_then(scalar_string)
                .unwrap_or_default();
            let op = obj.get("api").and_then(|a| str_at(a, &["operation"]));
            Some(match op {
                Some(op) => format!("{type_name}: {op}"),
                None => type_name,
            })
        });
    set_details(&mut ev, obj);
    insert_detail(&mut ev, "actor", actor);
    finish(&mut ev);
    ev
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::adapt::origin;
    use crate::model::Format;
    use serde_json::json;

    fn oc(v: Value) -> AuditEvent {
        let Value::Object(m) = v else { panic!() };
        assert!(detect(&m));
        map(m, origin("x.ocsf", 1, Format::Ocsf))
    }

    #[test]
    fn authentication_event() {
        let ev = oc(
            json!({"activity_id": 1, "activity_name": "Logon", "class_uid": 3002,
            "actor": {"user": {"name": "anaya", "type": "IAMUser", "uid": "arn:aws:iam::1:user/anaya"}},
            "api": {"operation": "ConsoleLogin", "service": {"name": "signin.amazonaws.com"}, "request": {"uid": "r"}},
            "metadata": {"product": {"name": "CloudTrail"}}, "severity_id": 1,
            "src_endpoint": {"ip": "192.0.2.0"}, "status": "Success", "time": 1_699_633_474_000_u64}),
        );
        assert_eq!(ev.action, "auth.login");
        assert_eq!(ev.category, Category::Access);
        assert_eq!(ev.outcome, Outcome::Success);
        assert_eq!(ev.actor.id.as_deref(), Some("arn:aws:iam::1:user/anaya"));
        assert_eq!(ev.actor.ip.as_deref(), Some("192.0.2.0"));
        assert_eq!(ev.ts.unwrap().timestamp(), 1_699_633_474);
        assert_eq!(ev.correlation_id.as_deref(), Some("r"));
        assert_eq!(ev.source.as_deref(), Some("signin"));
    }

    #[test]
    fn api_activity_time_units_status_and_findings() {
        for t in [
            json!(1_695_334_972),
            json!(1_695_334_972_000_u64),
            json!(1_695_334_972_000_000_u64),
        ] {
            let ev = oc(
                json!({"class_uid": 6003, "type_uid": 600_302, "time": t, "status_id": 2,
                "api": {"operation": "DescribeX", "service": {"name": "ec2.amazonaws.com"}, "response": {"error": "AccessDenied"}},
                "severity_id": 3, "resources": [{"type": "bucket", "uid": "b1"}]}),
            );
            assert_eq!(ev.ts.unwrap().timestamp(), 1_695_334_972);
            assert_eq!(ev.action, "aws.ec2.describex");
            assert_eq!(ev.outcome, Outcome::Denied);
            assert_eq!(ev.severity, Severity::Warning);
            assert_eq!(ev.resource.id.as_deref(), Some("b1"));
        }
        let ev = oc(json!({"class_uid": 2004, "category_uid": 2, "severity_id": 5}));
        assert_eq!(ev.action, "security.alert");
        assert_eq!(ev.severity, Severity::Critical);
        let ev = oc(
            json!({"class_uid": 1001, "class_name": "File System Activity",
            "activity_name": "Read", "metadata": {}, "actor": null, "resources": null}),
        );
        assert_eq!(ev.action, "ocsf.file_system_activity.read");
        let ev = oc(json!({"class_uid": 3001, "activity_id": 7, "metadata": {}}));
        assert_eq!(ev.action, "access.grant");
    }
}
