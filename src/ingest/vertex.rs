//! Vertex AI (`aiplatform.googleapis.com`) audit entries onto the ML lifecycle: the action of
//! each service method, and the model, version, endpoint, dataset and job ids that lineage
//! and the alert rules follow. Ids are the full resource paths
//! (`projects/p/locations/l/models/123`); a version is the `@N` suffix or `modelVersionId`.

use serde_json::Value;

use super::adapt::{art, environment_from_tags, path_ci, push_unique, str_at};
use crate::model::{AuditEvent, ModelRef, Resource};

/// The lifecycle action of a Vertex AI method (`interface`, `method`), when it has one.
pub fn action(iface: Option<&str>, method: &str) -> Option<&'static str> {
    let i = iface.unwrap_or_default().to_ascii_lowercase();
    let m = method.to_ascii_lowercase();
    Some(match (i.as_str(), m.as_str()) {
        ("endpointservice", "deploymodel") => "model.deploy",
        ("endpointservice", "undeploymodel") => "model.decommission",
        (
            "endpointservice",
            "createendpoint" | "updateendpoint" | "deleteendpoint" | "mutatedeployedmodel",
        ) => "deploy.config.change",
        ("modelservice", "uploadmodel" | "copymodel") => "model.register",
        ("modelservice", "mergeversionaliases") => "model.promote",
        ("modelservice", "importmodelevaluation" | "batchimportmodelevaluationslices") => {
            "model.evaluate"
        }
        ("jobservice", "createcustomjob") | ("pipelineservice", "createtrainingpipeline") => {
            "model.train.start"
        }
        ("jobservice", "createhyperparametertuningjob" | "createnasjob") => "model.tune",
        ("jobservice", "createmodeldeploymentmonitoringjob") => "monitor.metric",
        ("pipelineservice", "createpipelinejob") => "pipeline.run.start",
        ("jobservice", "createbatchpredictionjob")
        | (
            "predictionservice" | "llmbidiservice" | "llmutilityservice" | "",
            "predict"
            | "rawpredict"
            | "streamrawpredict"
            | "directpredict"
            | "directrawpredict"
            | "serverstreamingpredict"
            | "streamingpredict"
            | "generatecontent"
            | "streamgeneratecontent"
            | "bidigeneratecontent"
            | "chatcompletions",
        ) => "inference.predict",
        ("predictionservice", "explain") => "inference.explain",
        ("datasetservice", "createdataset" | "createdatasetversion") => "data.store",
        ("datasetservice", "importdata") => "data.ingest",
        ("datasetservice", "exportdata") => "data.export",
        ("datasetservice", "updatedataset") => "data.modify",
        ("datasetservice", "deletedataset" | "deletedatasetversion") => "data.delete",
        (
            "datasetservice",
            "getdataset" | "listdatasets" | "listdataitems" | "searchdataitems" | "listannotations"
            | "getannotationspec",
        ) => "data.access",
        (
            "featurestoreservice" | "featureregistryservice",
            "createfeature" | "batchcreatefeatures" | "createfeaturegroup" | "createentitytype",
        ) => "feature.create",
        (
            "featurestoreonlineservingservice" | "featureonlinestoreservice",
            "readfeaturevalues" | "streamingreadfeaturevalues" | "fetchfeaturevalues",
        ) => "feature.select",
        _ => return None,
    })
}

/// Splits `.../models/123@4` into the model path and its version.
fn model_ref(path: &str, version: Option<String>) -> ModelRef {
    match path.split_once('@') {
        Some((id, v)) if !v.is_empty() => ModelRef {
            id: id.to_owned(),
            version: version.or_else(|| Some(v.to_owned())),
        },
        _ => ModelRef {
            id: path.to_owned(),
            version,
        },
    }
}

/// The part of a resource path up to and including `<collection>/<id>`.
fn path_to(path: &str, collection: &str) -> Option<String> {
    let hay = format!("/{path}");
    let marker = format!("/{collection}/");
    let start = hay.find(&marker)? + marker.len();
    let rest = &hay[start..];
    let id_len = rest.find('/').unwrap_or(rest.len());
    (id_len > 0).then(|| hay[1..start + id_len].to_owned())
}

fn set_resource(ev: &mut AuditEvent, kind: &str, id: &str, version: Option<String>) {
    ev.resource = Resource {
        kind: Some(kind.to_owned()),
        id: Some(id.to_owned()),
        name: id.rsplit('/').next().map(str::to_owned),
        version,
        tags: std::mem::take(&mut ev.resource.tags),
    };
}

/// The job (as the run) of a training or pipeline creation, its dataset and output folder.
fn training_targets(ev: &mut AuditEvent, req: &Value, resp: &Value, name: &str) {
    let r = |path: &[&str]| str_at(req, path);
    let s = |path: &[&str]| str_at(resp, path);
    let job = s(&["name"])
        .or_else(|| {
            [
                "customJobs",
                "trainingPipelines",
                "hyperparameterTuningJobs",
                "pipelineJobs",
            ]
            .iter()
            .find_map(|c| path_to(name, c))
        })
        .or_else(|| r(&["customJob", "displayName"]))
        .or_else(|| r(&["trainingPipeline", "displayName"]))
        .or_else(|| r(&["pipelineJob", "displayName"]));
    if let Some(j) = job {
        ev.run_id = Some(j.clone());
        set_resource(ev, "run", &j, None);
        push_unique(&mut ev.outputs, art("run", j, None));
    }
    let parent = r(&["parent"]).unwrap_or_default();
    if let Some(d) = r(&["trainingPipeline", "inputDataConfig", "datasetId"]) {
        let id = if d.contains('/') || parent.is_empty() {
            d
        } else {
            format!("{parent}/datasets/{d}")
        };
        push_unique(&mut ev.inputs, art("dataset", id, None));
    }
    for path in [
        &[
            "customJob",
            "jobSpec",
            "baseOutputDirectory",
            "outputUriPrefix",
        ][..],
        &[
            "trainingPipeline",
            "trainingTaskInputs",
            "baseOutputDirectory",
            "outputUriPrefix",
        ],
    ] {
        if let Some(u) = r(path) {
            push_unique(&mut ev.outputs, art("artifact", u, None));
        }
    }
}

/// Fills in model, version, endpoint, run, dataset and lineage from the request, response
/// and resource name of a Vertex AI entry.
pub(crate) fn targets(ev: &mut AuditEvent, payload: &Value, resource_name: Option<&str>) {
    let req = payload.get("request").unwrap_or(&Value::Null);
    let resp = payload.get("response").unwrap_or(&Value::Null);
    let r = |path: &[&str]| str_at(req, path);
    let s = |path: &[&str]| str_at(resp, path);
    let name = resource_name.unwrap_or_default();
    let endpoint = r(&["endpoint"])
        .filter(|e| e.contains("endpoints/"))
        .or_else(|| path_to(name, "endpoints"));
    let version_id = s(&["modelVersionId"]).or_else(|| r(&["modelVersionId"]));
    let model_path = r(&["deployedModel", "model"])
        .or_else(|| r(&["parentModel"]))
        .or_else(|| {
            let parent = r(&["parent"])?;
            r(&["modelId"]).map(|id| format!("{parent}/models/{id}"))
        })
        .or_else(|| s(&["model"]).filter(|m| m.contains("models/")))
        .or_else(|| r(&["model"]).filter(|m| m.contains("models/")))
        .or_else(|| r(&["name"]).and_then(|n| path_to(&n, "models")))
        .or_else(|| path_to(name, "models"));
    let model = model_path.map(|m| model_ref(&m, version_id));
    if let Some(labels) = path_ci(req, &["deployedModel", "labels"])
        .or_else(|| path_ci(req, &["endpoint", "labels"]))
        .or_else(|| path_ci(req, &["model", "labels"]))
        .or_else(|| path_ci(req, &["labels"]))
        .and_then(environment_from_tags)
    {
        ev.environment = Some(labels);
    }
    match ev.action.as_str() {
        "model.deploy" | "model.decommission" | "deploy.config.change" => {
            if let Some(e) = &endpoint {
                let v = model.as_ref().and_then(|m| m.version.clone());
                set_resource(ev, "endpoint", e, v);
            }
        }
        "model.register" | "model.promote" | "model.evaluate" => {
            if let Some(m) = &model {
                set_resource(ev, "model_version", &m.id, m.version.clone());
                if ev.action == "model.register" {
                    push_unique(
                        &mut ev.outputs,
                        art("model_version", m.id.clone(), m.version.clone()),
                    );
                }
            }
        }
        "model.train.start" | "model.tune" | "pipeline.run.start" => {
            training_targets(ev, req, resp, name);
        }
        a if a.starts_with("data.") => {
            if let Some(d) = path_to(name, "datasets").or_else(|| r(&["name"])) {
                set_resource(ev, "dataset", &d, None);
            }
        }
        a if a.starts_with("inference.") => {
            if let Some(e) = &endpoint {
                let v = model.as_ref().and_then(|m| m.version.clone());
                set_resource(ev, "endpoint", e, v);
            } else if let Some(m) = &model {
                set_resource(ev, "model", &m.id, m.version.clone());
            }
            if let Some(m) = &model {
                push_unique(&mut ev.inputs, art("model", m.id.clone(), None));
            }
        }
        _ => {}
    }
    if model.is_some() {
        ev.model = model;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_versions() {
        assert_eq!(
            path_to("projects/p/locations/l/endpoints/42/x", "endpoints").as_deref(),
            Some("projects/p/locations/l/endpoints/42")
        );
        assert_eq!(
            path_to("endpoints/42", "endpoints").as_deref(),
            Some("endpoints/42")
        );
        assert_eq!(path_to("projects/p/endpoints/", "endpoints"), None);
        let m = model_ref("projects/p/models/7@3", None);
        assert_eq!(
            (m.id.as_str(), m.version.as_deref()),
            ("projects/p/models/7", Some("3"))
        );
        assert_eq!(
            action(Some("EndpointService"), "DeployModel"),
            Some("model.deploy")
        );
        assert_eq!(action(Some("PredictionService"), "CountTokens"), None);
    }
}
