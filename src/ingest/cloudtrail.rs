//! AWS `CloudTrail` records: delivery files (`{"Records":[...]}`, split by the reader), one
//! record per line, `lookup-events` output (the record inside the `CloudTrailEvent` string)
//! and `EventBridge` "AWS API Call via `CloudTrail`" events. Field names are matched ignoring
//! case (some exports lower-case them).

use std::fmt::Write as _;

use serde_json::{Map, Value};

use super::adapt::{
    art, environment_from_tags, finish, get_ci, insert_detail, items, path_ci, push_unique,
    set_details, set_first_time, str_at, take_ci, take_str_ci,
};
use super::aws::{aws_action, job_lineage, model_package, service_of};
use super::error::{MapError, Nested};
use super::fields::scalar_string;
use super::strict_json::parse_strict;
use crate::model::{Actor, AuditEvent, ModelRef, Origin, Outcome, Resource};

const MARKERS: [&str; 11] = [
    "eventversion",
    "eventsource",
    "eventname",
    "useridentity",
    "awsregion",
    "recipientaccountid",
    "requestparameters",
    "responseelements",
    "eventid",
    "errorcode",
    "sourceipaddress",
];

/// Whether an object looks like a `CloudTrail` record: at least two of its usual fields,
/// one of them `eventVersion`, `eventSource`, `eventName` or `userIdentity`.
pub(crate) fn detect(obj: &Map<String, Value>) -> bool {
    let mut n = 0;
    let mut core = false;
    // Runs on every record no earlier adapter claimed: compare without allocating.
    for k in obj.keys() {
        if let Some(m) = MARKERS.iter().find(|m| k.eq_ignore_ascii_case(m)) {
            n += 1;
            core |= matches!(
                *m,
                "eventversion" | "eventsource" | "eventname" | "useridentity"
            );
        }
    }
    core && n >= 2
}

/// Whether an object is a `lookup-events` result (the record is a JSON string inside it).
pub(crate) fn is_lookup(obj: &Map<String, Value>) -> bool {
    obj.get("CloudTrailEvent").is_some_and(Value::is_string)
}

/// Maps a `lookup-events` result: the inner record, with the outer fields in
/// `details.lookup`.
pub(crate) fn map_lookup(
    mut obj: Map<String, Value>,
    origin: Origin,
) -> Result<AuditEvent, MapError> {
    let wrong = |problem| MapError::Nested {
        field: "the CloudTrailEvent field",
        problem,
    };
    let Some(Value::String(inner)) = obj.remove("CloudTrailEvent") else {
        return Err(wrong(Nested::String));
    };
    let value = parse_strict(inner.as_bytes()).map_err(|e| wrong(Nested::Json(e.to_string())))?;
    let Value::Object(record) = value else {
        return Err(wrong(Nested::Object));
    };
    let mut ev = map(record, origin);
    insert_detail(&mut ev, "lookup", Value::Object(obj));
    Ok(ev)
}

/// The actor of a `userIdentity` object: `arn`, else the session issuer's ARN, `userName`,
/// `invokedBy`, `principalId`, the Identity Center user, the account.
pub(crate) fn actor_of(ui: &Value) -> Actor {
    let kind = str_at(ui, &["type"]);
    let issuer_arn = str_at(ui, &["sessionContext", "sessionIssuer", "arn"]);
    let id = str_at(ui, &["arn"])
        .or_else(|| issuer_arn.clone())
        .or_else(|| str_at(ui, &["userName"]))
        .or_else(|| str_at(ui, &["invokedBy"]))
        .or_else(|| str_at(ui, &["principalId"]))
        .or_else(|| str_at(ui, &["onBehalfOf", "userId"]))
        .or_else(|| str_at(ui, &["accountId"]));
    let mut roles = Vec::new();
    if let Some(role) = str_at(ui, &["sessionContext", "sessionIssuer", "userName"]).or(issuer_arn)
        && Some(&role) != id.as_ref()
    {
        roles.push(role);
    }
    let service = kind
        .as_deref()
        .is_some_and(|k| k.eq_ignore_ascii_case("AWSService"));
    Actor {
        kind: id
            .as_ref()
            .map(|_| if service { "service" } else { "user" }.to_owned()),
        id,
        roles,
        ip: None,
        session: str_at(ui, &["accessKeyId"]),
    }
}

/// The outcome of a record: from `errorCode` (`AccessDenied*`, `UnauthorizedOperation`,
/// `*Forbidden*` are denials), else a `Failure` console response, else success.
pub(crate) fn outcome_of(
    error_code: Option<&str>,
    error_message: Option<&str>,
    resp: Option<&Value>,
) -> Outcome {
    if let Some(code) = error_code {
        let c = code.to_ascii_lowercase();
        return if c.contains("accessdenied")
            || c.contains("unauthorized")
            || c.contains("forbidden")
        {
            Outcome::Denied
        } else {
            Outcome::Failure
        };
    }
    let console = resp
        .and_then(Value::as_object)
        .into_iter()
        .flat_map(|m| m.values())
        .filter_map(Value::as_str)
        .any(|s| s.eq_ignore_ascii_case("failure"));
    if console || error_message.is_some() {
        Outcome::Failure
    } else {
        Outcome::Success
    }
}

/// Maps one `CloudTrail` record.
pub fn map(mut obj: Map<String, Value>, origin: Origin) -> AuditEvent {
    let name = take_str_ci(&mut obj, "eventName");
    let event_source = take_str_ci(&mut obj, "eventSource");
    let service = event_source.as_deref().map(service_of);
    let req = get_ci(&obj, "requestParameters")
        .filter(|v| !v.is_null())
        .cloned();
    let resp = get_ci(&obj, "responseElements")
        .filter(|v| !v.is_null())
        .cloned();
    let action = aws_action(event_source.as_deref(), name.as_deref(), req.as_ref());
    let mut ev = AuditEvent::new(origin, action);

    let time = take_ci(&mut obj, "eventTime");
    // Panther's copy of the event time, for records whose own is missing.
    let parsed = obj.get("p_event_time").cloned();
    set_first_time(&mut ev, &[time.as_ref(), parsed.as_ref()]);
    if let Some(ui) = get_ci(&obj, "userIdentity") {
        ev.actor = actor_of(ui);
    }
    let source_address = take_str_ci(&mut obj, "sourceIPAddress");
    let mut source_service = None;
    match source_address {
        Some(s) if is_service_address(&s) => {
            // The call came from an AWS service, not from a network address.
            if ev.actor.id.is_none() {
                ev.actor.id = Some(s.clone());
            }
            if ev.actor.kind.is_none() || ev.actor.id.as_deref() == Some(s.as_str()) {
                ev.actor.kind = Some("service".to_owned());
            }
            source_service = Some(s);
        }
        other => ev.actor.ip = other,
    }
    let code = get_ci(&obj, "errorCode").and_then(scalar_string);
    let error_message = get_ci(&obj, "errorMessage").and_then(scalar_string);
    ev.outcome = if name.is_none() && event_source.is_none() {
        Outcome::Unknown
    } else {
        outcome_of(code.as_deref(), error_message.as_deref(), resp.as_ref())
    };
    if service.as_deref() == Some("sts") {
        // Credentials for someone already signed in (not a login): still an access matter.
        ev.category = crate::model::Category::Access;
    }
    ev.correlation_id = take_str_ci(&mut obj, "requestID");
    ev.source = Some(service.clone().unwrap_or_else(|| "cloudtrail".to_owned()));
    targets(
        &mut ev,
        service.as_deref().unwrap_or_default(),
        req.as_ref(),
        resp.as_ref(),
    );
    if ev.resource.id.is_none() {
        resource_from_list(&mut ev, get_ci(&obj, "resources"));
    }
    ev.message = Some(message(
        &ev,
        name.as_deref(),
        service.as_deref(),
        code.as_deref(),
        error_message.as_deref(),
    ));
    set_details(&mut ev, obj);
    if let Some(s) = source_service {
        insert_detail(&mut ev, "source_service", Value::String(s));
    }
    if let Some(s) = event_source {
        insert_detail(&mut ev, "event_source", Value::String(s));
    }
    if let Some(n) = name {
        insert_detail(&mut ev, "event_name", Value::String(n));
    }
    finish(&mut ev);
    ev
}

/// Whether a `sourceIPAddress` names an AWS service (`lambda.amazonaws.com`, `AWS Internal`)
/// rather than a network address (a host name other than a service's stays an address).
fn is_service_address(s: &str) -> bool {
    let l = s.trim().to_ascii_lowercase();
    l == "aws internal"
        || (l.parse::<std::net::IpAddr>().is_err()
            && (l.ends_with(".amazonaws.com") || l.ends_with(".amazonaws.com.cn")))
}

fn message(
    ev: &AuditEvent,
    name: Option<&str>,
    service: Option<&str>,
    code: Option<&str>,
    error_message: Option<&str>,
) -> String {
    let mut m = format!(
        "{} {} by {}",
        service.unwrap_or("aws"),
        name.unwrap_or("(no event name)"),
        ev.actor.id.as_deref().unwrap_or("unknown principal")
    );
    if let Some(id) = &ev.resource.id {
        let _ = write!(m, " on {id}");
    }
    if let Some(c) = code {
        let _ = write!(m, ": {c}");
    }
    if let Some(e) = error_message {
        let _ = write!(m, " ({e})");
    }
    m
}

fn set_resource(ev: &mut AuditEvent, kind: &str, id: String, version: Option<String>) {
    ev.resource = Resource {
        kind: Some(kind.to_owned()),
        name: Some(id.clone()),
        id: Some(id),
        version,
        tags: Vec::new(),
    };
}

/// Models, resources, runs and lineage from the request (and response) of ML-relevant calls.
fn targets(ev: &mut AuditEvent, svc: &str, req: Option<&Value>, resp: Option<&Value>) {
    let Some(req) = req else { return };
    let r = |path: &[&str]| str_at(req, path);
    if let Some(env) = path_ci(req, &["tags"]).and_then(environment_from_tags) {
        ev.environment = Some(env);
    }
    if let Some(job) = r(&["trainingJobName"])
        .or_else(|| r(&["hyperParameterTuningJobName"]))
        .or_else(|| r(&["transformJobName"]))
        .or_else(|| r(&["processingJobName"]))
        .or_else(|| r(&["jobName"]))
    {
        ev.run_id = Some(job.clone());
        set_resource(ev, "run", job.clone(), None);
        if ev.action.starts_with("model.train") || ev.action == "model.tune" {
            push_unique(&mut ev.outputs, art("run", job, None));
        }
    }
    if let Some(m) = r(&["modelName"]) {
        ev.model = Some(ModelRef {
            id: m.clone(),
            version: None,
        });
        set_resource(ev, "model", m.clone(), None);
        if ev.action == "model.register" {
            push_unique(&mut ev.outputs, art("model", m, None));
        }
    }
    let package = r(&["modelPackageArn"])
        .or_else(|| r(&["modelPackageName"]))
        .or_else(|| resp.and_then(|v| str_at(v, &["modelPackageArn"])))
        .and_then(|a| model_package(&a))
        .or_else(|| r(&["modelPackageGroupName"]).map(|id| ModelRef { id, version: None }));
    if let Some(p) = package {
        set_resource(ev, "model_version", p.id.clone(), p.version.clone());
        if ev.action == "model.register" && p.version.is_some() {
            push_unique(
                &mut ev.outputs,
                art("model_version", p.id.clone(), p.version.clone()),
            );
        }
        ev.model = Some(p);
    }
    if svc.starts_with("bedrock")
        && let Some(m) = r(&["modelId"])
            .or_else(|| r(&["modelIdentifier"]))
            .or_else(|| r(&["baseModelIdentifier"]))
    {
        ev.model = Some(ModelRef {
            id: m.clone(),
            version: None,
        });
        if ev.resource.id.is_none() {
            set_resource(ev, "model", m, None);
        }
        if let Some(custom) = r(&["customModelName"]) {
            push_unique(&mut ev.outputs, art("model", custom, None));
        }
    }
    if let Some(e) = r(&["endpointName"]) {
        set_resource(ev, "endpoint", e, None);
    } else if let Some(c) = r(&["endpointConfigName"]) {
        set_resource(ev, "endpoint_config", c, None);
    }
    if let Some(s) = r(&["secretId"]) {
        set_resource(ev, "secret", s, None);
    }
    if let Some(b) = r(&["bucketName"]) {
        let id = match r(&["key"]) {
            Some(k) => format!("s3://{b}/{k}"),
            None => format!("s3://{b}"),
        };
        set_resource(ev, "dataset", id, None);
    }
    job_lineage(req, ev);
}

fn resource_from_list(ev: &mut AuditEvent, resources: Option<&Value>) {
    for item in items(resources) {
        let id = str_at(item, &["ARN"]).or_else(|| str_at(item, &["arn"]));
        if let Some(id) = id {
            ev.resource = Resource {
                kind: str_at(item, &["type"]).or_else(|| Some("aws".to_owned())),
                id: Some(id),
                ..Resource::default()
            };
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::adapt::origin;
    use crate::model::{Category, Format, Severity};
    use serde_json::json;

    fn ct(v: Value) -> AuditEvent {
        let Value::Object(m) = v else { panic!() };
        assert!(detect(&m));
        map(m, origin("t.json", 1, Format::Cloudtrail))
    }

    #[test]
    fn sagemaker_create_model_names_the_model_and_its_artifacts() {
        let ev = ct(json!({"eventVersion": "1.05",
            "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::1:user/intern", "userName": "intern", "accessKeyId": "AK"},
            "eventTime": "2018-01-02T15:23:46Z", "eventSource": "sagemaker.amazonaws.com",
            "eventName": "CreateModel", "sourceIPAddress": "127.0.0.1",
            "requestParameters": {"modelName": "ExampleModel",
                "primaryContainer": {"image": "img", "modelDataUrl": "s3://b/model.tar.gz"}},
            "requestID": "417b8dab-EXAMPLE", "eventID": "0f2b3e81-EXAMPLE"}));
        assert_eq!(ev.model.as_ref().unwrap().id, "ExampleModel");
        assert_eq!(ev.action, "model.register");
        assert_eq!(ev.category, Category::Registry);
        assert_eq!(ev.outcome, Outcome::Success);
        assert_eq!(ev.actor.id.as_deref(), Some("arn:aws:iam::1:user/intern"));
        assert_eq!(ev.actor.kind.as_deref(), Some("user"));
        assert_eq!(ev.actor.ip.as_deref(), Some("127.0.0.1"));
        assert_eq!(ev.correlation_id.as_deref(), Some("417b8dab-EXAMPLE"));
        assert_eq!(ev.source.as_deref(), Some("sagemaker"));
        assert_eq!(
            ev.inputs,
            vec![art("artifact", "s3://b/model.tar.gz", None)]
        );
        assert_eq!(ev.outputs, vec![art("model", "ExampleModel", None)]);
        assert_eq!(ev.details["event_name"], "CreateModel");
        assert_eq!(ev.details["event_source"], "sagemaker.amazonaws.com");
        assert_eq!(ev.details["eventID"], "0f2b3e81-EXAMPLE");
    }

    #[test]
    fn training_jobs_give_lineage_and_runs() {
        let ev = ct(
            json!({"eventSource": "sagemaker.amazonaws.com", "eventName": "CreateTrainingJob",
            "userIdentity": {"type": "AssumedRole", "arn": "arn:aws:sts::1:assumed-role/R/s",
                "sessionContext": {"sessionIssuer": {"arn": "arn:aws:iam::1:role/R", "userName": "R"}}},
            "requestParameters": {"trainingJobName": "job-1",
                "inputDataConfig": [{"dataSource": {"s3DataSource": {"s3Uri": "s3://d/train"}}}],
                "outputDataConfig": {"s3OutputPath": "s3://d/out"},
                "tags": [{"key": "Environment", "value": "staging"}]}}),
        );
        assert_eq!(ev.action, "model.train.start");
        assert_eq!(ev.run_id.as_deref(), Some("job-1"));
        assert_eq!(ev.inputs, vec![art("dataset", "s3://d/train", None)]);
        assert!(ev.outputs.contains(&art("artifact", "s3://d/out", None)));
        assert!(ev.outputs.contains(&art("run", "job-1", None)));
        assert_eq!(ev.actor.roles, vec!["R"]);
        assert_eq!(ev.environment.as_deref(), Some("staging"));
    }

    #[test]
    fn model_packages_give_group_and_version_and_approvals() {
        let ev = ct(
            json!({"eventSource": "sagemaker.amazonaws.com", "eventName": "UpdateModelPackage",
            "requestParameters": {"modelPackageArn": "arn:aws:sagemaker:us-east-1:1:model-package/churn/3",
                "modelApprovalStatus": "Approved"}}),
        );
        assert_eq!(ev.action, "model.approve");
        let m = ev.model.unwrap();
        assert_eq!((m.id.as_str(), m.version.as_deref()), ("churn", Some("3")));
        let ev = ct(
            json!({"eventSource": "sagemaker.amazonaws.com", "eventName": "CreateModelPackage",
            "requestParameters": {"modelPackageGroupName": "churn"},
            "responseElements": {"modelPackageArn": "arn:aws:sagemaker:us-east-1:1:model-package/churn/4"}}),
        );
        assert_eq!(ev.action, "model.register");
        assert_eq!(
            ev.outputs,
            vec![art("model_version", "churn", Some("4".into()))]
        );
    }

    #[test]
    fn errors_denials_and_identity_types() {
        let ev = ct(
            json!({"eventSource": "secretsmanager.amazonaws.com", "eventName": "GetSecretValue",
            "errorCode": "AccessDenied", "errorMessage": "no", "userIdentity": {"type": "AWSService", "invokedBy": "lambda.amazonaws.com"},
            "requestParameters": {"secretId": "db"}}),
        );
        assert_eq!(ev.action, "secret.read");
        assert_eq!(ev.outcome, Outcome::Denied);
        assert_eq!(ev.severity, Severity::Warning);
        assert_eq!(ev.actor.id.as_deref(), Some("lambda.amazonaws.com"));
        assert_eq!(ev.actor.kind.as_deref(), Some("service"));
        assert_eq!(ev.resource.kind.as_deref(), Some("secret"));
        for (code, want) in [
            ("Client.UnauthorizedOperation", Outcome::Denied),
            ("VpceAccessDenied", Outcome::Denied),
            ("Forbidden", Outcome::Denied),
            ("ThrottlingException", Outcome::Failure),
        ] {
            assert_eq!(outcome_of(Some(code), None, None), want, "{code}");
        }
        let ev = ct(
            json!({"eventSource": "signin.amazonaws.com", "eventName": "ConsoleLogin",
            "userIdentity": {"type": "Root", "userName": "root"}, "responseElements": {"ConsoleLogin": "Failure"}}),
        );
        assert_eq!(ev.action, "auth.login");
        assert_eq!(ev.outcome, Outcome::Failure);
        assert_eq!(ev.actor.id.as_deref(), Some("root"));
        let ev = ct(
            json!({"eventSource": "signin.amazonaws.com", "eventName": "CredentialChallenge",
            "userIdentity": {"type": "IdentityCenterUser", "onBehalfOf": {"userId": "u-1"}}}),
        );
        assert_eq!(ev.actor.id.as_deref(), Some("u-1"));
    }

    #[test]
    fn lower_case_keys_unknown_calls_and_lookup_events() {
        let ev = ct(
            json!({"eventname": "GetRecords", "eventsource": "dynamodb.amazonaws.com",
            "eventtime": "2023-01-10 21:04:02", "useridentity": {"arn": "arn:aws:test_arn"}}),
        );
        assert_eq!(ev.action, "aws.dynamodb.getrecords");
        assert_eq!(ev.actor.id.as_deref(), Some("arn:aws:test_arn"));
        assert!(ev.ts.is_some());
        let inner = json!({"eventSource": "bedrock.amazonaws.com", "eventName": "InvokeModel",
            "requestParameters": {"modelId": "anthropic.claude-v2"}, "eventTime": "2024-01-01T00:00:00Z"});
        let Value::Object(outer) = json!({"EventId": "e", "CloudTrailEvent": inner.to_string()})
        else {
            panic!()
        };
        assert!(is_lookup(&outer));
        let ev = map_lookup(outer, origin("l.json", 1, Format::Cloudtrail)).unwrap();
        assert_eq!(ev.action, "inference.predict");
        assert_eq!(ev.model.unwrap().id, "anthropic.claude-v2");
        assert_eq!(ev.details["lookup"]["EventId"], "e");
        let Value::Object(bad) = json!({"CloudTrailEvent": "{not json"}) else {
            panic!()
        };
        assert!(map_lookup(bad, origin("l.json", 1, Format::Cloudtrail)).is_err());
    }

    #[test]
    fn service_source_addresses_are_not_ips_and_assume_role_is_not_a_login() {
        let ev = ct(
            json!({"eventSource": "sts.amazonaws.com", "eventName": "AssumeRole",
            "userIdentity": {"type": "AWSService", "invokedBy": "lambda.amazonaws.com"},
            "sourceIPAddress": "lambda.amazonaws.com"}),
        );
        assert_eq!(ev.action, "aws.sts.assumerole");
        assert_eq!(ev.category, crate::model::Category::Access);
        assert_eq!(ev.actor.ip, None);
        assert_eq!(ev.actor.id.as_deref(), Some("lambda.amazonaws.com"));
        assert_eq!(ev.actor.kind.as_deref(), Some("service"));
        assert_eq!(ev.details["source_service"], "lambda.amazonaws.com");
        let ev = ct(
            json!({"eventSource": "s3.amazonaws.com", "eventName": "GetObject",
            "sourceIPAddress": "AWS Internal"}),
        );
        assert_eq!(ev.actor.ip, None);
        assert_eq!(ev.actor.kind.as_deref(), Some("service"));
        for ip in ["10.0.0.1", "2001:db8::1", "host.example.com"] {
            let ev = ct(
                json!({"eventSource": "s3.amazonaws.com", "eventName": "GetObject",
                "sourceIPAddress": ip}),
            );
            assert_eq!(ev.actor.ip.as_deref(), Some(ip));
        }
    }

    #[test]
    fn all_null_fields_do_not_panic() {
        let ev = ct(
            json!({"eventVersion": "1.1", "userIdentity": null, "eventTime": null,
            "eventSource": null, "eventName": null, "errorCode": null, "requestParameters": null,
            "resources": null}),
        );
        assert_eq!(ev.action, "aws.unknown");
        assert_eq!(ev.outcome, Outcome::Unknown);
        assert!(ev.ts.is_none());
    }
}
