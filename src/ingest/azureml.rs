//! Azure Machine Learning onto the ML lifecycle: ARM operations of
//! `Microsoft.MachineLearningServices` (deployments, model versions, jobs, data), the
//! `AmlComputeJobEvent` and `AmlRunStatusChangedEvent` resource logs and the online
//! endpoint traffic log; with the model, version, endpoint, deployment and run ids taken
//! from the resource id, the request body and the log's properties.

use serde_json::{Map, Value};

use super::adapt::{art, embedded_json, environment_from_tags, get_ci, push_unique, str_at};
use super::fields::scalar_string;
use crate::model::{AuditEvent, ModelRef, Outcome, Resource};

const PROVIDER: &str = "microsoft.machinelearningservices/";

fn prop(props: &Map<String, Value>, keys: &[&str]) -> Option<String> {
    keys.iter()
        .find_map(|k| get_ci(props, k).and_then(scalar_string))
}

/// The training action of a run or job status.
fn run_status_action(status: &str) -> &'static str {
    match status.to_ascii_lowercase().as_str() {
        "completed" | "succeeded" | "jobsucceeded" | "finished" => "model.train.complete",
        "failed" | "jobfailed" | "canceled" | "cancelled" | "jobcanceled" => "model.train.fail",
        "running" | "jobrunning" | "finalizing" => "model.train.running",
        _ => "model.train.start",
    }
}

/// The lifecycle action of an Azure ML operation or resource log, when it has one.
pub fn action(op: &str, category: &str, props: &Map<String, Value>) -> Option<String> {
    match category {
        "amlcomputejobevent" => {
            let t = prop(props, &["EventType", "ExecutionState"]).unwrap_or_default();
            return Some(run_status_action(&t).to_owned());
        }
        "amlrunstatuschangedevent" => {
            let s = prop(props, &["Status", "RunStatus"]).unwrap_or_default();
            return Some(run_status_action(&s).to_owned());
        }
        "amlonlineendpointtrafficlog" => return Some("inference.predict".to_owned()),
        _ => {}
    }
    let l = op.to_ascii_lowercase();
    let rest = l.strip_prefix(PROVIDER)?;
    let ends = |s: &str| rest.ends_with(s);
    Some(
        if (ends("endpoints/deployments/write"))
            || ends("services/aks/write")
            || ends("services/aci/write")
        {
            "model.deploy"
        } else if ends("endpoints/deployments/delete") || ends("services/delete") {
            "model.decommission"
        } else if ends("onlineendpoints/write")
            || ends("batchendpoints/write")
            || ends("onlineendpoints/delete")
            || ends("batchendpoints/delete")
        {
            "deploy.config.change"
        } else if ends("/score/action") {
            "inference.predict"
        } else if ends("models/versions/write") || ends("models/write") {
            "model.register"
        } else if ends("/jobs/write")
            || ends("runs/submit/action")
            || ends("experiments/runs/write")
        {
            "model.train.start"
        } else if ends("/jobs/cancel/action") {
            "model.train.fail"
        } else if ends("data/versions/write")
            || ends("datasets/versions/write")
            || ends("datasets/registered/write")
            || ends("datastores/write")
        {
            "data.store"
        } else if ends("data/versions/read") || ends("datasets/versions/read") {
            "data.access"
        } else if ends("computes/write") || ends("computes/delete") {
            "infra.change"
        } else if ends("/listkeys/action") || ends("/listsecrets/action") {
            "secret.read"
        } else {
            return None;
        }
        .to_owned(),
    )
}

/// The value after `/<collection>/` in a resource id (any case).
fn after<'a>(id: &'a str, collection: &str) -> Option<&'a str> {
    let lower = id.to_ascii_lowercase();
    let marker = format!("/{collection}/");
    let at = lower.find(&marker)? + marker.len();
    let rest = &id[at..];
    let end = rest.find('/').unwrap_or(rest.len());
    (end > 0).then(|| &rest[..end])
}

/// A model reference from `azureml:name:version`, `azureml://.../models/name/versions/v` or
/// an ARM id `.../models/name/versions/v`.
fn model_ref(s: &str) -> Option<ModelRef> {
    if let Some(name) = after(s, "models") {
        return Some(ModelRef {
            id: name.to_owned(),
            version: after(s, "versions").map(str::to_owned),
        });
    }
    let short = s.strip_prefix("azureml:")?;
    let mut parts = short.splitn(2, ':');
    let id = parts.next().filter(|p| !p.is_empty())?.to_owned();
    Some(ModelRef {
        id,
        version: parts.next().map(str::to_owned),
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

/// The run of a training event (job or run id), its parent and its data.
fn training(ev: &mut AuditEvent, rid: &str, props: &Map<String, Value>, spec: &Value) {
    let a = ev.action.clone();
    let run = after(rid, "jobs")
        .map(str::to_owned)
        .or_else(|| prop(props, &["RunId", "JobName", "JobId"]));
    if let Some(r) = run {
        ev.run_id = Some(r.clone());
        set_resource(ev, "run", &r, None);
        if a == "model.train.start" {
            push_unique(&mut ev.outputs, art("run", r, None));
        }
    }
    ev.parent_run_id = prop(props, &["ParentRunId"]).or_else(|| str_at(spec, &["parentJobName"]));
    for (side, list) in [("inputs", true), ("outputs", false)] {
        if let Some(Value::Object(m)) = spec.get(side) {
            for v in m.values() {
                if let Some(u) = str_at(v, &["uri"]).or_else(|| str_at(v, &["path"])) {
                    let target = if list {
                        &mut ev.inputs
                    } else {
                        &mut ev.outputs
                    };
                    push_unique(target, art("dataset", u, None));
                }
            }
        }
    }
}

/// Fills in the model, version, endpoint, run and lineage of an Azure ML event.
pub(crate) fn targets(ev: &mut AuditEvent, op: &str, props: &Map<String, Value>) {
    let rid = ev.resource.id.clone().unwrap_or_default();
    let is_ml = op.to_ascii_lowercase().starts_with(PROVIDER)
        || rid
            .to_ascii_lowercase()
            .contains("/microsoft.machinelearningservices/");
    if !is_ml && !ev.action.starts_with("model.train") {
        if ev.action == "inference.predict" {
            // Azure OpenAI / AI Foundry: the deployment and model of the request.
            let deployment = prop(props, &["modelDeploymentName", "DeploymentName"]);
            if let Some(m) = prop(props, &["modelName"]) {
                ev.model = Some(ModelRef {
                    id: m,
                    version: prop(props, &["modelVersion"]),
                });
            }
            if let Some(d) = deployment {
                let v = ev.model.as_ref().and_then(|m| m.version.clone());
                set_resource(ev, "deployment", &d, v);
            }
        }
        return;
    }
    let body = get_ci(props, "requestbody")
        .and_then(embedded_json)
        .unwrap_or(Value::Null);
    let spec = body.get("properties").unwrap_or(&Value::Null);
    if let Some(env) = body.get("tags").and_then(environment_from_tags) {
        ev.environment = Some(env);
    }
    let endpoint = after(&rid, "onlineendpoints")
        .or_else(|| after(&rid, "batchendpoints"))
        .map(str::to_owned)
        .or_else(|| prop(props, &["EndpointName"]));
    let deployment = after(&rid, "deployments")
        .map(str::to_owned)
        .or_else(|| prop(props, &["DeploymentName"]));
    let model = str_at(spec, &["model"])
        .and_then(|m| model_ref(&m))
        .or_else(|| model_ref(&rid).filter(|_| after(&rid, "models").is_some()))
        .or_else(|| {
            prop(props, &["ModelName"]).map(|id| ModelRef {
                id,
                version: prop(props, &["ModelVersion"]),
            })
        });
    let action = ev.action.clone();
    match action.as_str() {
        "model.deploy" | "model.decommission" | "deploy.config.change" => {
            if let Some(e) = &endpoint {
                let v = model.as_ref().and_then(|m| m.version.clone());
                set_resource(ev, "endpoint", e, v);
            }
            if let Some(d) = deployment.filter(|_| endpoint.is_some()) {
                ev.correlation_id.get_or_insert(d);
            }
        }
        "model.register" => {
            if let Some(m) = &model {
                set_resource(ev, "model_version", &m.id, m.version.clone());
                push_unique(
                    &mut ev.outputs,
                    art("model_version", m.id.clone(), m.version.clone()),
                );
            }
        }
        "inference.predict" => {
            if let Some(e) = &endpoint {
                set_resource(ev, "endpoint", e, None);
            }
        }
        a if a.starts_with("model.train") => training(ev, &rid, props, spec),
        _ => {}
    }
    if let Some(m) = model {
        ev.model = Some(m);
    }
    if let Some(o) = prop(props, &["ResponseCode", "ModelStatusCode"])
        .filter(|_| ev.action == "inference.predict")
        .and_then(|s| outcome_of_result(&s))
    {
        ev.outcome = o;
    }
}

/// The outcome of an Azure result word, number or HTTP status (Entra sign-in error
/// codes among them); the Activity Log and resource-log mapping in `azure.rs` uses it too.
pub(crate) fn outcome_of_result(s: &str) -> Option<Outcome> {
    let l = s.trim().trim_end_matches('.').to_ascii_lowercase();
    if let Ok(n) = l.parse::<u32>() {
        return Some(match n {
            0 | 200..=399 => Outcome::Success,
            401 | 403 | 50053 | 53003 | 530_032 => Outcome::Denied,
            _ => Outcome::Failure,
        });
    }
    if l.contains("forbidden") || l.contains("unauthorized") || l.contains("denied") {
        return Some(Outcome::Denied);
    }
    Some(match l.as_str() {
        "succeeded" | "success" | "resolved" | "updated" | "active" | "completed" | "ok"
        | "start" | "started" | "accepted" | "in progress" | "inprogress" | "created" => {
            Outcome::Success
        }
        "failed" | "failure" | "fail" | "error" | "canceled" | "cancelled" | "timeout" => {
            Outcome::Failure
        }
        _ => return Outcome::parse(&l),
    })
}
