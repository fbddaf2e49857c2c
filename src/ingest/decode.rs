//! Turning one record's bytes into events: UTF-8 and JSON checks, then the adapter chosen by
//! the record's content (never by the file name).

use serde_json::Value;

use serde_json::Map;

use super::adapt::{insert_detail, origin};
use super::error::{ErrorKind, IngestError, MapError};
use super::generic::{GenericMapping, map_object};
use super::strict_json::parse_strict;
use super::{
    azure, bedrock, cloudtrail, databricks, gcp, kubernetes, mlflow, native, ocsf, openlineage,
    sagemaker,
};
use crate::model::{AuditEvent, Format};

/// One decoded event with the original record text it came from.
pub struct Decoded<'a> {
    /// The event.
    pub event: AuditEvent,
    /// The original record (for a native envelope, the exact `rec` bytes).
    pub raw: &'a str,
}

/// Decodes the record at `path:line`; a record no specific adapter claims is mapped with
/// `mapping` (the generic adapter's candidate names).
pub fn decode_record<'a>(
    path: &str,
    line: u64,
    bytes: &'a [u8],
    mapping: &GenericMapping,
) -> Result<Vec<Decoded<'a>>, IngestError> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        IngestError::record(
            path,
            line,
            ErrorKind::InvalidUtf8,
            format!("invalid UTF-8 at byte {} of the record", e.valid_up_to()),
        )
    })?;
    let unmapped = |e: MapError| IngestError::mapping(path, line, &e);
    if text.starts_with("{\"hash\"") {
        let rec = native::decode(text, path, line).map_err(unmapped)?;
        return Ok(vec![Decoded {
            event: rec.event,
            raw: rec.rec_raw,
        }]);
    }
    let value = parse_strict(bytes).map_err(|e| json_error(path, line, &e))?;
    if native::is_envelope(&value) {
        let rec = native::decode(text, path, line).map_err(unmapped)?;
        return Ok(vec![Decoded {
            event: rec.event,
            raw: rec.rec_raw,
        }]);
    }
    match value {
        Value::Object(obj) => {
            let events = map_by_content(obj, path, line, mapping).map_err(unmapped)?;
            Ok(events
                .into_iter()
                .enumerate()
                .map(|(part, mut event)| {
                    event.origin.part = u32::try_from(part).unwrap_or(u32::MAX);
                    Decoded { event, raw: text }
                })
                .collect())
        }
        other => Err(IngestError::record(
            path,
            line,
            ErrorKind::Unsupported,
            format!(
                "a JSON {} is not an event (expected an object)",
                kind_name(&other)
            ),
        )),
    }
}

/// The event an index holds for a record: decoded again from the original record text, as
/// loading decoded it (decoding depends on nothing but the record, its place, the generic
/// `mapping` the load used and, for a native record, the envelope's hash). `raw` is what
/// [`Decoded::raw`] was. An error names the record's path and line.
pub fn redecode(
    format: Format,
    path: &str,
    line: u64,
    part: u32,
    hash: Option<&str>,
    raw: &str,
    mapping: &GenericMapping,
) -> Result<AuditEvent, IngestError> {
    if format == Format::Native {
        return native::decode_rec(raw, hash, path, line)
            .map_err(|e| IngestError::mapping(path, line, &e));
    }
    let events = decode_record(path, line, raw.as_bytes(), mapping)?;
    events
        .into_iter()
        .map(|d| d.event)
        .find(|e| e.origin.part == part && e.origin.format == format)
        .ok_or_else(|| {
            IngestError::record(
                path,
                line,
                ErrorKind::Unsupported,
                format!("the record no longer gives a {format} event #{part}"),
            )
        })
}

/// A JSON syntax error, placed at its own line in the file (a pretty-printed record spans
/// several lines) and naming the line where the record starts.
fn json_error(path: &str, line: u64, e: &serde_json::Error) -> IngestError {
    let text = e.to_string();
    let reason = text
        .rsplit_once(" at line ")
        .map_or(text.as_str(), |(r, _)| r);
    if e.line() <= 1 {
        return IngestError::record(
            path,
            line,
            ErrorKind::Malformed,
            format!("invalid JSON: {reason} at column {}", e.column()),
        );
    }
    let at = line.saturating_add(e.line() as u64 - 1);
    IngestError::record(
        path,
        at,
        ErrorKind::Malformed,
        format!(
            "invalid JSON: {reason} at column {} (in the record starting at line {line})",
            e.column()
        ),
    )
}

/// Picks the adapter from the record's content (never the file name) and maps it; the
/// generic adapter is the fallback.
fn map_by_content(
    mut obj: Map<String, Value>,
    path: &str,
    line: u64,
    mapping: &GenericMapping,
) -> Result<Vec<AuditEvent>, MapError> {
    let o = |format| origin(path, line, format);
    if cloudtrail::is_lookup(&obj) {
        return cloudtrail::map_lookup(obj, o(Format::Cloudtrail)).map(|e| vec![e]);
    }
    // Before CloudTrail and Azure: Databricks records share userIdentity and
    // sourceIPAddress with the one and the diagnostic-log shape with the other.
    if databricks::detect(&obj) {
        return Ok(vec![databricks::map(obj, o(Format::Databricks))]);
    }
    if bedrock::detect(&obj) {
        return Ok(vec![bedrock::map(obj, o(Format::Bedrock))]);
    }
    if sagemaker::detect(&obj) {
        return Ok(vec![sagemaker::map(obj, o(Format::Sagemaker))]);
    }
    if obj.get("detail-type").and_then(Value::as_str) == Some("AWS API Call via CloudTrail")
        && obj.get("detail").is_some_and(Value::is_object)
        && let Some(Value::Object(detail)) = obj.remove("detail")
    {
        let mut ev = cloudtrail::map(detail, o(Format::Cloudtrail));
        insert_detail(&mut ev, "eventbridge", Value::Object(obj));
        return Ok(vec![ev]);
    }
    if openlineage::detect(&obj) {
        return Ok(vec![openlineage::map(obj, o(Format::Openlineage))]);
    }
    if ocsf::detect(&obj) {
        return Ok(vec![ocsf::map(obj, o(Format::Ocsf))]);
    }
    if mlflow::detect(&obj) {
        return Ok(mlflow::map(obj, &o(Format::Mlflow)));
    }
    if kubernetes::detect(&obj) {
        return kubernetes::map(obj, o(Format::Kubernetes)).map(|e| vec![e]);
    }
    if azure::detect(&obj) {
        return Ok(vec![azure::map(obj, o(Format::Azure))]);
    }
    if gcp::detect(&obj) {
        return Ok(vec![gcp::map(obj, o(Format::Gcp))]);
    }
    if cloudtrail::detect(&obj) {
        return Ok(vec![cloudtrail::map(obj, o(Format::Cloudtrail))]);
    }
    Ok(vec![map_object(obj, o(Format::Generic), mapping)])
}

fn kind_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::{
        azure, bedrock, cloudtrail, databricks, gcp, kubernetes, mlflow, ocsf, openlineage,
        sagemaker,
    };
    use proptest::prelude::*;
    use serde_json::json;

    fn decode(v: &Value) -> Result<Vec<AuditEvent>, IngestError> {
        let text = v.to_string();
        decode_record(
            "f.json",
            1,
            text.as_bytes(),
            &GenericMapping::shared_builtin(),
        )
        .map(|d| d.into_iter().map(|d| d.event).collect())
    }

    fn one(v: &Value) -> AuditEvent {
        let mut evs = decode(v).unwrap();
        assert_eq!(evs.len(), 1);
        evs.remove(0)
    }

    #[test]
    fn formats_are_detected_by_content() {
        let cases = [
            (
                json!({"eventVersion": "1.08", "eventName": "X", "eventSource": "s3.amazonaws.com"}),
                Format::Cloudtrail,
            ),
            (
                json!({"CloudTrailEvent": "{\"eventName\":\"X\",\"eventSource\":\"s3.amazonaws.com\"}"}),
                Format::Cloudtrail,
            ),
            (
                json!({"detail-type": "AWS API Call via CloudTrail", "source": "aws.s3",
                "detail": {"eventName": "GetObject", "eventSource": "s3.amazonaws.com"}}),
                Format::Cloudtrail,
            ),
            (
                json!({"source": "aws.sagemaker", "detail-type": "SageMaker Endpoint State Change", "detail": {}}),
                Format::Sagemaker,
            ),
            (
                json!({"kind": "Event", "verb": "get", "objectRef": {"resource": "pods"}}),
                Format::Kubernetes,
            ),
            (
                json!({"eventType": "START", "run": {"runId": "r"}, "job": {"name": "j"}}),
                Format::Openlineage,
            ),
            (
                json!({"class_uid": 3002, "metadata": {"version": "1.1.0"}}),
                Format::Ocsf,
            ),
            (
                json!({"system": {}, "mlflow": {"experiments": []}}),
                Format::Mlflow,
            ),
            (
                json!({"time": "2024-01-01T00:00:00Z", "action": "model.deploy"}),
                Format::Generic,
            ),
            (json!({"kind": 0}), Format::Generic),
            // Databricks records carry userIdentity and sourceIPAddress: never CloudTrail.
            (
                json!({"serviceName": "mlflowModelRegistry", "actionName": "createModelVersion",
                "userIdentity": {"email": "a@b.c"}, "sourceIPAddress": "10.0.0.1",
                "timestamp": 1_700_000_000_000_u64, "requestParams": {}}),
                Format::Databricks,
            ),
            (
                json!({"schemaType": "ModelInvocationLog", "modelId": "m", "identity": {"arn": "a"}}),
                Format::Bedrock,
            ),
            (
                json!({"protoPayload": {"@type": "type.googleapis.com/google.cloud.audit.AuditLog",
                "serviceName": "aiplatform.googleapis.com", "methodName": "x"}}),
                Format::Gcp,
            ),
            (
                json!({"operationName": "Microsoft.Storage/storageAccounts/write", "resourceId": "/s"}),
                Format::Azure,
            ),
            (
                json!({"category": "kube-audit", "operationName": "x",
                "properties": {"log": "{\"kind\":\"Event\",\"verb\":\"get\"}"}}),
                Format::Kubernetes,
            ),
        ];
        for (v, want) in cases {
            assert_eq!(one(&v).origin.format, want, "{v}");
        }
        let ev = one(
            &json!({"detail-type": "AWS API Call via CloudTrail", "source": "aws.s3",
            "detail": {"eventName": "GetObject", "eventSource": "s3.amazonaws.com"}}),
        );
        assert_eq!(ev.action, "data.access");
        assert_eq!(ev.details["eventbridge"]["source"], "aws.s3");
    }

    #[test]
    fn several_events_per_record_share_the_raw_text() {
        let text = json!({"system": {}, "mlflow": {"info": {"run_id": "r", "status": "FAILED",
            "start_time": 1, "end_time": 2}}})
        .to_string();
        let d = decode_record(
            "run.json",
            4,
            text.as_bytes(),
            &GenericMapping::shared_builtin(),
        )
        .unwrap();
        assert_eq!(d.len(), 2);
        assert!(d.iter().all(|d| d.raw == text && d.event.origin.line == 4));
        assert_eq!(d[1].event.outcome, crate::model::Outcome::Failure);
    }

    #[test]
    fn broken_json_inside_strings_is_a_clear_error() {
        let e = decode(&json!({"CloudTrailEvent": "{\"eventName\": "})).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Unsupported);
        assert!(e.reason.contains("CloudTrailEvent"), "{}", e.reason);
        assert_eq!((e.path.as_str(), e.line), ("f.json", Some(1)));
    }

    #[test]
    fn syntax_errors_point_at_their_own_line() {
        let e = decode_record(
            "x.ocsf",
            10,
            b"{\n  \"a\": 1,\n  \"b\": 2,\n}",
            &GenericMapping::shared_builtin(),
        )
        .err()
        .unwrap();
        assert_eq!(e.line, Some(13));
        assert!(e.reason.contains("trailing comma"), "{}", e.reason);
        assert!(e.reason.contains("line 10"), "{}", e.reason);
        let e = decode_record(
            "x.jsonl",
            3,
            b"{\"a\":1,}",
            &GenericMapping::shared_builtin(),
        )
        .err()
        .unwrap();
        assert_eq!(e.line, Some(3));
    }

    #[test]
    fn huge_fields_and_deep_nesting_do_not_break_anything() {
        let big = "x".repeat(200_000);
        let ev = one(
            &json!({"eventName": "PutObject", "eventSource": "s3.amazonaws.com",
            "requestParameters": {"bucketName": "b", "key": big}}),
        );
        assert_eq!(ev.action, "data.store");
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert!(
            decode_record(
                "d.json",
                1,
                deep.as_bytes(),
                &GenericMapping::shared_builtin()
            )
            .is_err()
        );
    }

    const KEYS: &[&str] = &[
        "authenticationInfo",
        "principalEmail",
        "principalSubject",
        "labels",
        "severity",
        "operationName",
        "caller",
        "identity",
        "claims",
        "resultType",
        "resourceId",
        "callerIpAddress",
        "level",
        "actionName",
        "requestParams",
        "response",
        "statusCode",
        "workspaceId",
        "auditLevel",
        "event_time",
        "user_identity",
        "email",
        "service_name",
        "action_name",
        "schemaType",
        "eventVersion",
        "eventSource",
        "eventName",
        "eventname",
        "userIdentity",
        "requestParameters",
        "responseElements",
        "errorCode",
        "errorMessage",
        "sessionContext",
        "sessionIssuer",
        "arn",
        "type",
        "userName",
        "invokedBy",
        "modelName",
        "modelPackageArn",
        "modelApprovalStatus",
        "inputDataConfig",
        "dataSource",
        "s3DataSource",
        "s3Uri",
        "outputDataConfig",
        "s3OutputPath",
        "primaryContainer",
        "modelDataUrl",
        "containers",
        "modelId",
        "tags",
        "key",
        "value",
        "resources",
        "ARN",
        "CloudTrailEvent",
        "source",
        "detail-type",
        "detail",
        "TrainingJobStatus",
        "TrainingJobName",
        "EndpointStatus",
        "ModelPackageArn",
        "MetadataProperties",
        "GeneratedBy",
        "pipelineArn",
        "stepName",
        "metadata",
        "kind",
        "apiVersion",
        "verb",
        "objectRef",
        "user",
        "username",
        "groups",
        "resource",
        "subresource",
        "namespace",
        "name",
        "responseStatus",
        "code",
        "annotations",
        "authorization.k8s.io/decision",
        "sourceIPs",
        "stageTimestamp",
        "requestObject",
        "spec",
        "predictor",
        "storageUri",
        "protoPayload",
        "serviceName",
        "methodName",
        "resourceName",
        "authorizationInfo",
        "granted",
        "status",
        "category",
        "properties",
        "log",
        "eventType",
        "eventTime",
        "run",
        "job",
        "runId",
        "facets",
        "parent",
        "errorMessage",
        "message",
        "ownership",
        "owners",
        "inputs",
        "outputs",
        "producer",
        "class_uid",
        "activity_id",
        "activity_name",
        "actor",
        "uid",
        "time",
        "status_id",
        "severity_id",
        "api",
        "operation",
        "service",
        "src_endpoint",
        "ip",
        "mlflow",
        "system",
        "info",
        "experiment",
        "run_id",
        "registered_model",
        "model_version",
        "latest_versions",
        "version",
        "params",
        "metrics",
        "step",
        "timestamp",
        "dataset",
        "end_time",
        "start_time",
        "artifact_uri",
        "mlflow.log-model.history",
        "artifact_path",
        "hash",
        "rec",
    ];
    const STRINGS: &[&str] = &[
        "",
        "aws.sagemaker",
        "k8s.io",
        "kube-audit",
        "Event",
        "audit.k8s.io/v1",
        "START",
        "FAIL",
        "COMPLETE",
        "sagemaker.amazonaws.com",
        "bedrock.amazonaws.com",
        "CreateModel",
        "UpdateModelPackage",
        "Approved",
        "AccessDenied",
        "CreateTrainingJob",
        "{\"a\":1}",
        "[1,2]",
        "[{\"artifact_path\":\"m\"}]",
        "{",
        "SageMaker Training Job State Change",
        "SageMaker Model Package State Change",
        "SageMaker Model Building Pipeline Execution Step Status Change",
        "AWS API Call via CloudTrail",
        "io.k8s.core.v1.pods.exec.create",
        "io.k8s.v1",
        "arn:aws:sagemaker:r:1:model-package/g/3",
        "model-package/",
        "2024-01-01T00:00:00Z",
        "1700000000000",
        "inferenceservices",
        "secrets",
        "serving.kserve.io",
        "forbid",
        "FINISHED",
        "READY",
        "namespaces",
        "\u{1b}[31m",
        "é\u{0}",
    ];

    fn arb_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            (-1e20f64..1e20).prop_map(Value::from),
            prop::sample::select(STRINGS).prop_map(|s| Value::String(s.to_owned())),
            ".{0,12}".prop_map(Value::String),
        ];
        leaf.prop_recursive(5, 96, 8, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
                prop::collection::btree_map(
                    prop::sample::select(KEYS).prop_map(str::to_owned),
                    inner,
                    0..8,
                )
                .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    fn arb_object() -> impl Strategy<Value = Map<String, Value>> {
        prop::collection::btree_map(
            prop::sample::select(KEYS).prop_map(str::to_owned),
            arb_value(),
            0..12,
        )
        .prop_map(|m| m.into_iter().collect())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// Random JSON never panics the dispatcher, and every event has an action.
        #[test]
        fn decode_never_panics(v in arb_value()) {
            if let Ok(events) = decode(&v) {
                for ev in events {
                    prop_assert!(!ev.action.is_empty());
                    prop_assert_eq!(ev.origin.line, 1);
                }
            }
        }

        /// Every adapter survives any object, whatever detection would have said.
        #[test]
        fn every_adapter_survives_any_object(obj in arb_object()) {
            let o = |f| origin("f.json", 1, f);
            let _ = cloudtrail::map(obj.clone(), o(Format::Cloudtrail));
            let _ = cloudtrail::map_lookup(obj.clone(), o(Format::Cloudtrail));
            let _ = sagemaker::map(obj.clone(), o(Format::Sagemaker));
            let _ = kubernetes::map(obj.clone(), o(Format::Kubernetes));
            let _ = openlineage::map(obj.clone(), o(Format::Openlineage));
            let _ = ocsf::map(obj.clone(), o(Format::Ocsf));
            let _ = gcp::map(obj.clone(), o(Format::Gcp));
            let _ = azure::map(obj.clone(), o(Format::Azure));
            let _ = databricks::map(obj.clone(), o(Format::Databricks));
            let _ = bedrock::map(obj.clone(), o(Format::Bedrock));
            prop_assert!(!mlflow::map(obj.clone(), &o(Format::Mlflow)).is_empty());
            let _ = decode(&Value::Object(obj));
        }
    }
}
