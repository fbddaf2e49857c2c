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
use super::aws::model_package;
use super::fields::scalar_string;
use super::sagemaker::job_lineage;
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
pub fn detect(obj: &Map<String, Value>) -> bool {
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
pub fn is_lookup(obj: &Map<String, Value>) -> bool {
    obj.get("CloudTrailEvent").is_some_and(Value::is_string)
}

/// Maps a `lookup-events` result: the inner record, with the outer fields in
/// `details.lookup`.
pub fn map_lookup(mut obj: Map<String, Value>, origin: Origin) -> Result<AuditEvent, String> {
    let Some(Value::String(inner)) = obj.remove("CloudTrailEvent") else {
        return Err("the CloudTrailEvent field is not a string".to_owned());
    };
    let value = parse_strict(inner.as_bytes())
        .map_err(|e| format!("the CloudTrailEvent field is not valid JSON: {e}"))?;
    let Value::Object(record) = value else {
        return Err("the CloudTrailEvent field does not hold a JSON object".to_owned());
    };
    let mut ev = map(record, origin);
    insert_detail(&mut ev, "lookup", Value::Object(obj));
    Ok(ev)
}

/// The service part of an event source (`sagemaker.amazonaws.com` -> `sagemaker`).
pub fn service_of(event_source: &str) -> String {
    let s = event_source.trim().to_ascii_lowercase();
    s.strip_suffix(".amazonaws.com").unwrap_or(&s).to_owned()
}

/// The event-model action for an AWS API call: the vocabulary where the meaning matches,
/// else `aws.<service>.<eventname in lower case>`.
pub fn aws_action(service: Option<&str>, name: Option<&str>, req: Option<&Value>) -> String {
    let svc = service.map(service_of).unwrap_or_default();
    let n = name.unwrap_or_default().trim().to_ascii_lowercase();
    if let Some(a) = vocabulary_action(&svc, &n, req) {
        return a.to_owned();
    }
    let svc = if svc.is_empty() { "unknown" } else { &svc };
    if n.is_empty() {
        format!("aws.{svc}")
    } else {
        format!("aws.{svc}.{}", super::adapt::action_segment(&n))
    }
}

// A lookup table: one arm per group of calls, clearer than splitting it.
#[allow(clippy::too_many_lines)]
fn vocabulary_action(svc: &str, n: &str, req: Option<&Value>) -> Option<&'static str> {
    let r = |path: &[&str]| req.and_then(|v| str_at(v, path));
    Some(match (svc, n) {
        ("sagemaker", "createtrainingjob") | ("bedrock", "createmodelcustomizationjob") => {
            "model.train.start"
        }
        ("sagemaker", "createhyperparametertuningjob") => "model.tune",
        ("sagemaker", "createmodel" | "createmodelpackage" | "createmodelpackagegroup") => {
            "model.register"
        }
        ("sagemaker", "updatemodelpackage") => {
            match r(&["modelApprovalStatus"])?.to_ascii_lowercase().as_str() {
                "approved" => "model.approve",
                "rejected" => "model.reject",
                _ => return None,
            }
        }
        ("sagemaker", "createendpoint" | "updateendpoint")
        | ("bedrock", "createprovisionedmodelthroughput") => "model.deploy",
        (
            "sagemaker",
            "createendpointconfig" | "deleteendpointconfig" | "updateendpointweightsandcapacities",
        ) => "deploy.config.change",
        ("sagemaker", "deleteendpoint" | "deletemodel")
        | ("bedrock", "deleteprovisionedmodelthroughput") => "model.decommission",
        (
            "sagemaker" | "runtime.sagemaker",
            "invokeendpoint" | "invokeendpointasync" | "invokeendpointwithresponsestream",
        )
        | ("sagemaker", "createtransformjob")
        | (
            "bedrock" | "bedrock-runtime",
            "invokemodel" | "invokemodelwithresponsestream" | "converse" | "conversestream",
        ) => "inference.predict",
        ("sagemaker", "createprocessingjob") => "data.transform",
        ("sagemaker", "createfeaturegroup") => "feature.create",
        ("sagemaker", "createexperiment") => "experiment.create",
        ("sagemaker", "updateexperiment" | "deleteexperiment" | "createtrial") => {
            "experiment.modify"
        }
        ("secretsmanager", "getsecretvalue" | "batchgetsecretvalue") => "secret.read",
        ("ssm", "getparameter" | "getparameters" | "getparametersbypath")
            if r(&["withDecryption"]).as_deref() == Some("true") =>
        {
            "secret.read"
        }
        (
            "cloudtrail",
            "stoplogging"
            | "startlogging"
            | "deletetrail"
            | "updatetrail"
            | "createtrail"
            | "puteventselectors"
            | "putinsightselectors",
        )
        | (
            "config",
            "stopconfigurationrecorder"
            | "deleteconfigurationrecorder"
            | "deletedeliverychannel"
            | "putconfigurationrecorder"
            | "putdeliverychannel",
        )
        | ("logs", "deleteloggroup" | "deletelogstream" | "putretentionpolicy")
        | (
            "bedrock",
            "putmodelinvocationloggingconfiguration" | "deletemodelinvocationloggingconfiguration",
        ) => "audit.config.change",
        ("cloudtrail", "lookupevents") => "audit.log.access",
        (
            "signin",
            "consolelogin"
            | "externalidpdirectorylogin"
            | "switchrole"
            | "credentialchallenge"
            | "userauthentication",
        )
        | ("sso", "authenticate" | "createtoken")
        | (
            "sts",
            "assumerole"
            | "assumerolewithsaml"
            | "assumerolewithwebidentity"
            | "getfederationtoken"
            | "getsessiontoken",
        ) => "auth.login",
        ("signin", "consolelogout" | "logout") => "auth.logout",
        ("s3", "getobject") => "data.access",
        ("s3", "putobject" | "copyobject" | "completemultipartupload") => "data.store",
        ("s3", "deleteobject" | "deleteobjects" | "deletebucket") => "data.delete",
        (
            "iam",
            "attachuserpolicy"
            | "attachrolepolicy"
            | "attachgrouppolicy"
            | "putuserpolicy"
            | "putrolepolicy"
            | "putgrouppolicy"
            | "addusertogroup"
            | "createaccesskey"
            | "createloginprofile"
            | "updateassumerolepolicy",
        ) => "access.grant",
        (
            "iam",
            "detachuserpolicy"
            | "detachrolepolicy"
            | "detachgrouppolicy"
            | "deleteuserpolicy"
            | "deleterolepolicy"
            | "deletegrouppolicy"
            | "removeuserfromgroup"
            | "deleteaccesskey"
            | "deleteloginprofile",
        ) => "access.revoke",
        _ => return None,
    })
}

/// The actor of a `userIdentity` object: `arn`, else the session issuer's ARN, `userName`,
/// `invokedBy`, `principalId`, the Identity Center user, the account.
pub fn actor_of(ui: &Value) -> Actor {
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
pub fn outcome_of(
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
    ev.actor.ip = take_str_ci(&mut obj, "sourceIPAddress");
    let code = get_ci(&obj, "errorCode").and_then(scalar_string);
    let error_message = get_ci(&obj, "errorMessage").and_then(scalar_string);
    ev.outcome = if name.is_none() && event_source.is_none() {
        Outcome::Unknown
    } else {
        outcome_of(code.as_deref(), error_message.as_deref(), resp.as_ref())
    };
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
    if let Some(s) = event_source {
        insert_detail(&mut ev, "event_source", Value::String(s));
    }
    if let Some(n) = name {
        insert_detail(&mut ev, "event_name", Value::String(n));
    }
    finish(&mut ev);
    ev
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
