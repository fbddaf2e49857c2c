//! Amazon Bedrock model invocation logs (`"schemaType": "ModelInvocationLog"`, as delivered to
//! `CloudWatch` Logs or S3): one model call each, with the caller's ARN, the model, the
//! operation, token counts and, for a failed call, an `errorCode`.
//!
//! Every record is `inference.predict` on `model.id`; the outcome comes from `errorCode`
//! (`AccessDenied*` is a denial, any other code a failure, none a success).

use serde_json::{Map, Value};

use super::adapt::{art, finish, get_ci, insert_detail, push_unique, set_details, set_first_time};
use super::adapt::{str_at, take_ci, take_str_ci};
use super::fields::scalar_string;
use crate::model::{Actor, AuditEvent, ModelRef, Origin, Outcome, Resource};

/// Whether an object is a Bedrock model invocation log record.
pub(crate) fn detect(obj: &Map<String, Value>) -> bool {
    get_ci(obj, "schemaType")
        .and_then(Value::as_str)
        .is_some_and(|s| s.eq_ignore_ascii_case("ModelInvocationLog"))
}

/// The model id of a `modelId` (a foundation model ARN becomes its bare id).
fn model_id(raw: &str) -> String {
    raw.rsplit_once(":foundation-model/")
        .map_or(raw, |(_, id)| id)
        .to_owned()
}

/// Maps one invocation record.
pub fn map(mut obj: Map<String, Value>, origin: Origin) -> AuditEvent {
    let mut ev = AuditEvent::new(origin, "inference.predict");
    let time = take_ci(&mut obj, "timestamp");
    set_first_time(&mut ev, &[time.as_ref()]);
    let identity = take_ci(&mut obj, "identity").unwrap_or(Value::Null);
    let arn = str_at(&identity, &["arn"]).or_else(|| scalar_string(&identity));
    ev.actor = Actor {
        kind: arn.as_ref().map(|_| "user".to_owned()),
        id: arn,
        ..Actor::default()
    };
    let operation = take_str_ci(&mut obj, "operation");
    let raw_model = take_str_ci(&mut obj, "modelId");
    if let Some(raw) = &raw_model {
        let id = model_id(raw);
        ev.model = Some(ModelRef {
            id: id.clone(),
            version: None,
        });
        ev.resource = Resource {
            kind: Some("model".to_owned()),
            id: Some(id.clone()),
            name: Some(id.clone()),
            ..Resource::default()
        };
        push_unique(&mut ev.inputs, art("model", id, None));
    }
    let error_code = take_str_ci(&mut obj, "errorCode");
    let error_message = get_ci(&obj, "errorMessage").and_then(scalar_string);
    ev.outcome = match error_code.as_deref().map(str::to_ascii_lowercase) {
        Some(c) if c.contains("accessdenied") || c.contains("unauthorized") => Outcome::Denied,
        Some(_) => Outcome::Failure,
        None if error_message.is_some() => Outcome::Failure,
        None => Outcome::Success,
    };
    ev.correlation_id = take_str_ci(&mut obj, "requestId");
    ev.source = Some("bedrock".to_owned());
    let tokens = |side: &str, key: &str| {
        obj.get(side)
            .and_then(|v| str_at(v, &[key]))
            .and_then(|s| s.parse::<u64>().ok())
    };
    let input_tokens = tokens("input", "inputTokenCount");
    let output_tokens = tokens("output", "outputTokenCount");
    ev.message = Some(format!(
        "bedrock {} {} by {}{}",
        operation.as_deref().unwrap_or("invocation"),
        ev.model.as_ref().map_or("(no model)", |m| m.id.as_str()),
        ev.actor.id.as_deref().unwrap_or("unknown principal"),
        error_code
            .as_deref()
            .map(|c| format!(": {c}"))
            .unwrap_or_default()
    ));
    set_details(&mut ev, obj);
    insert_detail(&mut ev, "identity", identity);
    if let Some(op) = operation {
        insert_detail(&mut ev, "operation", Value::String(op));
    }
    if let Some(raw) = raw_model.filter(|r| r.starts_with("arn:")) {
        insert_detail(&mut ev, "model_arn", Value::String(raw));
    }
    if let Some(n) = input_tokens {
        insert_detail(&mut ev, "input_tokens", Value::from(n));
    }
    if let Some(n) = output_tokens {
        insert_detail(&mut ev, "output_tokens", Value::from(n));
    }
    if let Some(c) = error_code {
        insert_detail(&mut ev, "error_code", Value::String(c));
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

    fn bedrock(v: Value) -> AuditEvent {
        let Value::Object(m) = v else { panic!() };
        assert!(detect(&m));
        map(m, origin("b.json", 1, Format::Bedrock))
    }

    #[test]
    fn invocations_name_the_caller_the_model_and_the_tokens() {
        let ev = bedrock(
            json!({"schemaType": "ModelInvocationLog", "schemaVersion": "1.0",
            "timestamp": "2024-03-01T12:00:00Z", "accountId": "123456789012", "region": "us-east-1",
            "requestId": "req-1", "operation": "Converse",
            "modelId": "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku",
            "identity": {"arn": "arn:aws:sts::123456789012:assumed-role/App/s"},
            "input": {"inputContentType": "application/json", "inputTokenCount": 12},
            "output": {"outputContentType": "application/json", "outputTokenCount": "34"}}),
        );
        assert_eq!(ev.action, "inference.predict");
        assert_eq!(ev.category, Category::Inference);
        assert_eq!(ev.model.as_ref().unwrap().id, "anthropic.claude-3-haiku");
        assert_eq!(
            ev.actor.id.as_deref(),
            Some("arn:aws:sts::123456789012:assumed-role/App/s")
        );
        assert_eq!(ev.outcome, Outcome::Success);
        assert_eq!(ev.correlation_id.as_deref(), Some("req-1"));
        assert_eq!(ev.details["input_tokens"], 12);
        assert_eq!(ev.details["output_tokens"], 34);
        assert_eq!(ev.details["operation"], "Converse");
        assert!(ev.ts.is_some());
    }

    #[test]
    fn error_codes_give_the_outcome_and_odd_types_do_not_panic() {
        let ev = bedrock(json!({"schemaType": "ModelInvocationLog", "modelId": "m",
            "errorCode": "AccessDeniedException", "identity": null}));
        assert_eq!(ev.outcome, Outcome::Denied);
        assert_eq!(ev.actor.id, None);
        let ev = bedrock(json!({"schemaType": "ModelInvocationLog", "modelId": 7,
            "errorCode": "ThrottlingException", "identity": "arn:aws:iam::1:user/u",
            "input": [1, 2], "output": "x", "timestamp": 1_709_294_400_000_u64}));
        assert_eq!(ev.outcome, Outcome::Failure);
        assert_eq!(ev.model.unwrap().id, "7");
        assert_eq!(ev.actor.id.as_deref(), Some("arn:aws:iam::1:user/u"));
        assert!(ev.ts.is_some());
    }
}
