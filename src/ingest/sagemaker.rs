//! Amazon `SageMaker` `EventBridge` state-change events (`"source": "aws.sagemaker"`, with a
//! `detail-type`): training, tuning, transform and processing jobs, endpoints, model
//! packages, pipelines, feature groups and model cards. Also the `SageMaker` lineage shared
//! with the `CloudTrail` adapter (job S3 inputs and outputs, model data).

use std::fmt::Write as _;

use serde_json::{Map, Value};

use super::adapt::{
    action_segment, art, environment_from_tags, finish, insert_detail, path_ci, push_unique,
    set_details, set_first_time, str_at,
};
use super::aws::{job_lineage, model_package};
use crate::model::{Actor, AuditEvent, Category, ModelRef, Origin, Outcome, Resource, Severity};

/// Whether an object is a `SageMaker` `EventBridge` event (`source` may be a string or a list).
pub(crate) fn detect(obj: &Map<String, Value>) -> bool {
    let sagemaker = match obj.get("source") {
        Some(Value::String(s)) => s == "aws.sagemaker",
        Some(Value::Array(a)) => a.iter().any(|s| s.as_str() == Some("aws.sagemaker")),
        _ => false,
    };
    sagemaker && obj.get("detail-type").is_some_and(Value::is_string)
}

fn job_outcome(status: Option<&str>) -> Outcome {
    match status.map(str::to_ascii_lowercase).as_deref() {
        Some("completed" | "succeeded" | "inservice" | "in_service" | "active" | "created") => {
            Outcome::Success
        }
        Some(
            "failed" | "createfailed" | "deletefailed" | "updatefailed" | "stopped"
            | "outofservice",
        ) => Outcome::Failure,
        _ => Outcome::Unknown,
    }
}

/// Maps one `SageMaker` `EventBridge` event.
pub fn map(mut obj: Map<String, Value>, origin: Origin) -> AuditEvent {
    let detail_type = obj
        .remove("detail-type")
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    let detail = obj.remove("detail").unwrap_or(Value::Null);
    let d = |k: &str| str_at(&detail, &[k]);
    let kind = detail_type
        .trim()
        .strip_prefix("SageMaker ")
        .unwrap_or(&detail_type)
        .to_owned();
    let mut ev = AuditEvent::new(origin, "unknown");
    let time = obj.remove("time");
    set_first_time(&mut ev, &[time.as_ref()]);
    ev.correlation_id = obj.get("id").and_then(Value::as_str).map(str::to_owned);
    ev.source = Some("sagemaker".to_owned());
    ev.actor = Actor {
        id: Some("aws.sagemaker".to_owned()),
        kind: Some("service".to_owned()),
        ..Actor::default()
    };
    let (status, action, category) = by_kind(&kind, &detail, &mut ev);
    ev.action = action;
    ev.category = category.unwrap_or_else(|| Category::for_action(&ev.action));
    ev.outcome = job_outcome(status.as_deref());
    if ev.outcome == Outcome::Failure {
        ev.severity = Severity::Warning;
    }
    job_lineage(&detail, &mut ev);
    if let Some(env) = path_ci(&detail, &["Tags"]).and_then(environment_from_tags) {
        ev.environment = Some(env);
    }
    let mut msg = format!("SageMaker {kind}");
    if let Some(id) = &ev.resource.id {
        let _ = write!(msg, ": {id}");
    }
    if let Some(s) = &status {
        let _ = write!(msg, " is {s}");
    }
    if let Some(reason) = d("FailureReason") {
        let _ = write!(msg, " ({reason})");
    }
    ev.message = Some(msg);
    set_details(&mut ev, obj);
    insert_detail(&mut ev, "detail_type", Value::String(detail_type));
    if let Some(s) = status {
        insert_detail(&mut ev, "status", Value::String(s));
    }
    insert_detail(&mut ev, "detail", detail);
    finish(&mut ev);
    ev
}

/// The status, action and (when the action's own is not right) category of each kind of
/// state change.
// One short arm per kind of state change: clearer as a table than split up.
#[allow(clippy::too_many_lines)]
fn by_kind(
    kind: &str,
    detail: &Value,
    ev: &mut AuditEvent,
) -> (Option<String>, String, Option<Category>) {
    let d = |k: &str| str_at(detail, &[k]);
    let status;
    let (action, category): (String, Option<Category>) = match kind {
        "Training Job State Change" => {
            status = d("TrainingJobStatus");
            let job = d("TrainingJobName");
            set_run(ev, job.as_deref());
            let verb = match job_outcome(status.as_deref()) {
                Outcome::Success => "complete",
                Outcome::Failure => "fail",
                Outcome::Unknown | Outcome::Denied => "start",
            };
            (format!("model.train.{verb}"), None)
        }
        "HyperParameter Tuning Job State Change" => {
            status = d("HyperParameterTuningJobStatus");
            set_run(ev, d("HyperParameterTuningJobName").as_deref());
            ("model.tune".to_owned(), None)
        }
        "Transform Job State Change" => {
            status = d("TransformJobStatus");
            ev.run_id = d("TransformJobName");
            set_resource(ev, "run", d("TransformJobName"), None);
            if let Some(m) = d("ModelName") {
                ev.model = Some(ModelRef {
                    id: m,
                    version: None,
                });
            }
            ("inference.predict".to_owned(), None)
        }
        "Processing Job State Change" => {
            status = d("ProcessingJobStatus");
            ev.run_id = d("ProcessingJobName");
            set_resource(ev, "run", d("ProcessingJobName"), None);
            ("data.transform".to_owned(), None)
        }
        "Endpoint State Change" => {
            status = d("EndpointStatus");
            set_resource(ev, "endpoint", d("EndpointName"), None);
            let s = status.as_deref().unwrap_or_default().to_ascii_lowercase();
            let action = match s.as_str() {
                "deleting" => "model.decommission",
                "rollingback" | "rolling_back" => "model.rollback",
                _ => "model.deploy",
            };
            (action.to_owned(), None)
        }
        "Model Package State Change" => {
            status = d("ModelPackageStatus");
            model_package_event(ev, detail)
        }
        "Model Building Pipeline Execution Status Change"
        | "Model Building Pipeline Execution Step Status Change" => {
            status = d("currentPipelineExecutionStatus").or_else(|| d("currentStepStatus"));
            pipeline_event(ev, detail, status.as_deref())
        }
        "Feature Group State Change" => {
            status = d("FeatureGroupStatus");
            set_resource(ev, "feature_set", d("FeatureGroupName"), None);
            if let Some(u) = str_at(detail, &["OfflineStoreConfig", "S3StorageConfig", "S3Uri"]) {
                push_unique(&mut ev.outputs, art("dataset", u, None));
            }
            if let Some(g) = d("FeatureGroupName") {
                push_unique(&mut ev.outputs, art("feature_set", g, None));
            }
            let deleting = status
                .as_deref()
                .is_some_and(|s| s.to_ascii_lowercase().starts_with("delet"));
            let action = if deleting {
                "data.delete"
            } else {
                "feature.create"
            };
            (action.to_owned(), None)
        }
        "Model Card State Change" => {
            status = d("ModelCardStatus");
            set_resource(ev, "model_card", d("ModelCardName"), d("ModelCardVersion"));
            if let Some(m) = d("ModelId") {
                ev.model = Some(ModelRef {
                    id: m,
                    version: None,
                });
            }
            if let Some(user) = str_at(detail, &["LastModifiedBy", "UserProfileName"]) {
                ev.actor = Actor {
                    id: Some(user),
                    kind: Some("user".to_owned()),
                    ..Actor::default()
                };
            }
            ("model.card.change".to_owned(), Some(Category::Registry))
        }
        other => {
            status = detail
                .as_object()
                .and_then(|m| m.iter().find(|(k, _)| k.ends_with("Status")))
                .and_then(|(_, v)| v.as_str().map(str::to_owned));
            (format!("aws.sagemaker.{}", action_segment(other)), None)
        }
    };
    (status, action, category)
}

fn set_run(ev: &mut AuditEvent, job: Option<&str>) {
    if let Some(j) = job {
        ev.run_id = Some(j.to_owned());
        set_resource(ev, "run", Some(j.to_owned()), None);
        push_unique(&mut ev.outputs, art("run", j, None));
    }
}

fn set_resource(ev: &mut AuditEvent, kind: &str, id: Option<String>, version: Option<String>) {
    if let Some(id) = id {
        ev.resource = Resource {
            kind: Some(kind.to_owned()),
            name: Some(id.clone()),
            id: Some(id),
            version,
            tags: Vec::new(),
        };
    }
}

fn model_package_event(ev: &mut AuditEvent, detail: &Value) -> (String, Option<Category>) {
    let d = |k: &str| str_at(detail, &[k]);
    let model = d("ModelPackageArn")
        .and_then(|a| model_package(&a))
        .map(|mut m| {
            if m.version.is_none() {
                m.version = d("ModelPackageVersion");
            }
            m
        })
        .or_else(|| {
            d("ModelPackageGroupName").map(|id| ModelRef {
                id,
                version: d("ModelPackageVersion"),
            })
        });
    if let Some(m) = &model {
        set_resource(ev, "model_version", Some(m.id.clone()), m.version.clone());
        push_unique(
            &mut ev.outputs,
            art("model_version", m.id.clone(), m.version.clone()),
        );
    }
    ev.model = model;
    // The pipeline execution that produced the package is an input (not the event's run:
    // the model data it reads was an output of that run).
    if let Some(exec) = str_at(detail, &["MetadataProperties", "GeneratedBy"]) {
        push_unique(&mut ev.inputs, art("run", exec, None));
    }
    let action = match d("ModelApprovalStatus")
        .map(|s| s.to_ascii_lowercase())
        .as_deref()
    {
        Some("approved") => "model.approve",
        Some("rejected") => "model.reject",
        _ => "model.register",
    };
    (action.to_owned(), None)
}

fn pipeline_event(
    ev: &mut AuditEvent,
    detail: &Value,
    status: Option<&str>,
) -> (String, Option<Category>) {
    let d = |k: &str| str_at(detail, &[k]);
    ev.run_id = d("pipelineExecutionArn");
    let pipeline = d("pipelineArn");
    let name = pipeline
        .as_deref()
        .and_then(|a| a.split_once(":pipeline/"))
        .map(|(_, n)| n.to_owned())
        .or_else(|| pipeline.clone());
    if let Some(n) = name {
        ev.resource = Resource {
            kind: Some("pipeline".to_owned()),
            id: pipeline,
            name: Some(n),
            ..Resource::default()
        };
    }
    let verb = match status.map(str::to_ascii_lowercase).as_deref() {
        Some("executing" | "starting") => "start",
        Some("succeeded" | "completed") => "complete",
        Some("failed") => "fail",
        Some("stopped" | "stopping") => "abort",
        _ => "change",
    };
    let step = d("stepName").is_some();
    let action = if step {
        format!("pipeline.step.{verb}")
    } else {
        format!("pipeline.run.{verb}")
    };
    if step
        && let Some(job) = detail
            .get("metadata")
            .and_then(Value::as_object)
            .and_then(|m| m.values().find_map(|j| str_at(j, &["arn"])))
    {
        push_unique(&mut ev.outputs, art("run", job, None));
    }
    (action, Some(Category::Training))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::adapt::origin;
    use crate::model::Format;
    use serde_json::json;

    fn sm(v: Value) -> AuditEvent {
        let Value::Object(m) = v else { panic!() };
        assert!(detect(&m));
        map(m, origin("e.jsonl", 1, Format::Sagemaker))
    }

    #[test]
    fn training_job_completion_with_lineage() {
        let ev = sm(
            json!({"id": "e-1", "detail-type": "SageMaker Training Job State Change",
            "source": "aws.sagemaker", "time": "2018-10-06T12:26:13Z",
            "detail": {"TrainingJobName": "kmeans-1", "TrainingJobStatus": "Completed",
                "InputDataConfig": [{"ChannelName": "Train", "DataSource": {"S3DataSource": {"S3Uri": "s3://d/train"}}}],
                "OutputDataConfig": {"S3OutputPath": "s3://d/out"}, "Tags": {"env": "prod"}}}),
        );
        assert_eq!(ev.action, "model.train.complete");
        assert_eq!(ev.outcome, Outcome::Success);
        assert_eq!(ev.run_id.as_deref(), Some("kmeans-1"));
        assert_eq!(ev.inputs, vec![art("dataset", "s3://d/train", None)]);
        assert!(ev.outputs.contains(&art("artifact", "s3://d/out", None)));
        assert_eq!(ev.environment.as_deref(), Some("prod"));
        assert_eq!(ev.correlation_id.as_deref(), Some("e-1"));
        assert_eq!(ev.details["detail"]["TrainingJobStatus"], "Completed");
    }

    #[test]
    fn model_package_rejection_with_source_list_and_epoch_time() {
        let ev = sm(
            json!({"detail-type": "SageMaker Model Package State Change",
            "source": ["aws.sagemaker"], "time": "1583831889050",
            "detail": {"ModelPackageGroupName": "g", "ModelPackageVersion": 2,
                "ModelPackageArn": "arn:aws:sagemaker:us-east-2:1:model-package/g/2",
                "ModelPackageStatus": "Completed", "ModelApprovalStatus": "Rejected",
                "InferenceSpecification": {"Containers": [{"ModelDataUrl": "s3://m/model.tar.gz"}]}}}),
        );
        assert_eq!(ev.action, "model.reject");
        let m = ev.model.as_ref().unwrap();
        assert_eq!((m.id.as_str(), m.version.as_deref()), ("g", Some("2")));
        assert_eq!(
            ev.inputs,
            vec![art("artifact", "s3://m/model.tar.gz", None)]
        );
        assert_eq!(ev.ts.unwrap().timestamp_millis(), 1_583_831_889_050);
    }

    #[test]
    fn endpoints_pipelines_and_unknown_kinds() {
        let ev = sm(
            json!({"detail-type": "SageMaker Endpoint State Change", "source": "aws.sagemaker",
            "detail": {"EndpointName": "ep", "EndpointStatus": "FAILED"}}),
        );
        assert_eq!(ev.action, "model.deploy");
        assert_eq!(ev.outcome, Outcome::Failure);
        assert_eq!(ev.resource.kind.as_deref(), Some("endpoint"));
        let ev = sm(
            json!({"detail-type": "SageMaker Model Building Pipeline Execution Status Change",
            "source": "aws.sagemaker", "detail": {"currentPipelineExecutionStatus": "Failed",
            "pipelineArn": "arn:aws:sagemaker:r:1:pipeline/p", "pipelineExecutionArn": "arn:x/execution/e"}}),
        );
        assert_eq!(ev.action, "pipeline.run.fail");
        assert_eq!(ev.category, Category::Training);
        assert_eq!(ev.run_id.as_deref(), Some("arn:x/execution/e"));
        let ev = sm(
            json!({"detail-type": "SageMaker Image State Change", "source": "aws.sagemaker",
            "detail": {"ImageStatus": "Creating"}}),
        );
        assert_eq!(ev.action, "aws.sagemaker.image_state_change");
        let ev = sm(
            json!({"detail-type": "SageMaker Training Job State Change", "source": "aws.sagemaker",
            "detail": null}),
        );
        assert_eq!(ev.action, "model.train.start");
    }
}
