//! `MLflow` export trees written by `mlflow-export-import`: each JSON file is one document with
//! `system` (the export) and `mlflow` (the object). Experiments give `experiment.create`;
//! runs give `run.start` and `run.finish` (params, metrics, tags, dataset inputs parsed from
//! the JSON inside their strings); registered models give `model.register` plus one
//! `model.version.create` per listed version; versions give `model.version.create`. Lineage:
//! dataset -> run -> logged model artifact -> model version. Index files (`experiments.json`,
//! `models.json`, `manifest.json`) give one `data.export` event.

use serde_json::{Map, Value};

use super::adapt::{
    art, embedded_json, finish, insert_detail, items, push_unique, set_first_time, str_at,
};
use super::fields::scalar_string;
use crate::model::{Actor, ArtifactRef, AuditEvent, ModelRef, Origin, Outcome, Resource};

const OBJECTS: [&str; 6] = [
    "experiment",
    "info",
    "registered_model",
    "model_version",
    "experiments",
    "models",
];

/// Whether an object is an mlflow-export-import document.
pub(crate) fn detect(obj: &Map<String, Value>) -> bool {
    is_legacy(obj)
        || obj
            .get("mlflow")
            .and_then(Value::as_object)
            .is_some_and(|m| {
                obj.get("system").is_some_and(Value::is_object)
                    || OBJECTS.iter().any(|k| m.contains_key(*k))
            })
}

/// Maps one export document to its events (at least one).
pub fn map(mut obj: Map<String, Value>, origin: &Origin) -> Vec<AuditEvent> {
    if is_legacy(&obj) {
        // Older exports: the objects at the top, the export described by `export_info`.
        let system = obj.remove("export_info").unwrap_or(Value::Null);
        let mut wrapped = Map::new();
        wrapped.insert("system".to_owned(), system);
        wrapped.insert("mlflow".to_owned(), Value::Object(obj));
        obj = wrapped;
    }
    let system = obj.remove("system").unwrap_or(Value::Null);
    let Some(Value::Object(mut mlflow)) = obj.remove("mlflow") else {
        return vec![export_event(origin, &system, Value::Null, obj)];
    };
    let exporter = str_at(&system, &["user"]);
    let mut out = if let Some(exp) = mlflow.remove("experiment") {
        vec![experiment(origin, exp, mlflow, exporter.as_deref())]
    } else if mlflow
        .get("info")
        .is_some_and(|i| i.get("run_id").is_some() || i.get("run_uuid").is_some())
    {
        run(origin, &mlflow)
    } else if let Some(rm) = mlflow.remove("registered_model") {
        registered_model(origin, rm)
    } else if let Some(mv) = mlflow.remove("model_version") {
        vec![version(origin, &mv)]
    } else {
        vec![export_event(
            origin,
            &system,
            Value::Object(mlflow),
            obj.clone(),
        )]
    };
    for ev in &mut out {
        if ev.action != "data.export" {
            insert_detail(ev, "export", system.clone());
            if !obj.is_empty() {
                insert_detail(ev, "export_info", Value::Object(obj.clone()));
            }
        }
        ev.source = Some("mlflow".to_owned());
        finish(ev);
    }
    out
}

/// Older mlflow-export-import layouts (no `mlflow` wrapper): a run (`info` with a run id and
/// an experiment id) or a registered model at the top level.
fn is_legacy(obj: &Map<String, Value>) -> bool {
    if obj.contains_key("mlflow") {
        return false;
    }
    let run = obj.get("info").is_some_and(|i| {
        (i.get("run_id").is_some() || i.get("run_uuid").is_some())
            && i.get("experiment_id").is_some()
    });
    let model = obj
        .get("registered_model")
        .is_some_and(|m| m.get("name").is_some());
    run || model
}

fn user(id: Option<String>) -> Actor {
    Actor {
        kind: id.as_ref().map(|_| "user".to_owned()),
        id,
        ..Actor::default()
    }
}

/// Tags as a map, from `{k: v}` or `[{key, value}]`.
fn tag_map(v: Option<&Value>) -> Map<String, Value> {
    match v {
        Some(Value::Object(m)) => m.clone(),
        Some(Value::Array(list)) => list
            .iter()
            .filter_map(|t| {
                Some((
                    str_at(t, &["key"])?,
                    t.get("value").cloned().unwrap_or(Value::Null),
                ))
            })
            .collect(),
        _ => Map::new(),
    }
}

fn export_event(
    origin: &Origin,
    system: &Value,
    mlflow: Value,
    info: Map<String, Value>,
) -> AuditEvent {
    let mut ev = AuditEvent::new(origin.clone(), "data.export");
    set_first_time(
        &mut ev,
        &[system.get("export_time"), system.get("_export_time")],
    );
    ev.actor = user(str_at(system, &["user"]));
    ev.outcome = Outcome::Success;
    let script = str_at(system, &["script"]);
    ev.message = Some(format!(
        "MLflow export by {} ({})",
        ev.actor.id.as_deref().unwrap_or("unknown user"),
        script.as_deref().unwrap_or("mlflow-export-import")
    ));
    ev.resource = Resource {
        kind: Some("export".to_owned()),
        id: str_at(system, &["mlflow_tracking_uri"]),
        name: script,
        ..Resource::default()
    };
    ev.source = Some("mlflow".to_owned());
    insert_detail(&mut ev, "export", system.clone());
    if !info.is_empty() {
        insert_detail(&mut ev, "export_info", Value::Object(info));
    }
    insert_detail(&mut ev, "mlflow", mlflow);
    ev
}

fn experiment(
    origin: &Origin,
    exp: Value,
    rest: Map<String, Value>,
    exporter: Option<&str>,
) -> AuditEvent {
    let mut ev = AuditEvent::new(origin.clone(), "experiment.create");
    set_first_time(
        &mut ev,
        &[exp.get("creation_time"), exp.get("_creation_time")],
    );
    let tags = tag_map(exp.get("tags"));
    let owner = tags
        .get("mlflow.ownerEmail")
        .or_else(|| tags.get("mlflow.user"))
        .and_then(scalar_string)
        .or_else(|| exporter.map(str::to_owned));
    ev.actor = user(owner);
    ev.outcome = Outcome::Success;
    let name = str_at(&exp, &["name"]);
    ev.resource = Resource {
        kind: Some("experiment".to_owned()),
        id: str_at(&exp, &["experiment_id"]),
        name: name.clone(),
        ..Resource::default()
    };
    ev.message = Some(format!(
        "MLflow experiment {}",
        name.as_deref().unwrap_or("(unnamed)")
    ));
    insert_detail(&mut ev, "experiment", exp);
    for (k, v) in rest {
        insert_detail(&mut ev, &k, v);
    }
    ev
}

fn datasets(mlflow: &Map<String, Value>) -> (Vec<ArtifactRef>, Vec<Value>) {
    let mut refs = Vec::new();
    let mut parsed = Vec::new();
    let list = mlflow
        .get("inputs")
        .or_else(|| mlflow.get("dataset_inputs"));
    let list = match list {
        Some(Value::Object(m)) => items(m.get("dataset_inputs")),
        other => items(other),
    };
    for input in list {
        let Some(ds) = input.get("dataset") else {
            continue;
        };
        let source = ds
            .get("source")
            .and_then(embedded_json)
            .unwrap_or(Value::Null);
        let id = ["delta_table_name", "table_name", "uri", "url", "path"]
            .iter()
            .find_map(|k| str_at(&source, &[k]))
            .or_else(|| str_at(ds, &["name"]))
            .or_else(|| str_at(ds, &["digest"]));
        let version = str_at(&source, &["delta_table_version"]).or_else(|| str_at(ds, &["digest"]));
        if let Some(id) = id {
            push_unique(&mut refs, art("dataset", id, version));
        }
        let mut d = ds.as_object().cloned().unwrap_or_default();
        for key in ["source", "schema", "profile"] {
            if let Some(v) = d.get(key).and_then(embedded_json) {
                d.insert(key.to_owned(), v);
            }
        }
        let tags = tag_map(input.get("tags"));
        if !tags.is_empty() {
            d.insert("tags".to_owned(), Value::Object(tags));
        }
        parsed.push(Value::Object(d));
    }
    (refs, parsed)
}

fn latest_metrics(metrics: Option<&Value>) -> Map<String, Value> {
    let mut out = Map::new();
    if let Some(Value::Object(m)) = metrics {
        for (name, hist) in m {
            let last = match hist {
                Value::Array(points) => points
                    .iter()
                    .max_by_key(|p| {
                        (
                            p.get("step").and_then(Value::as_i64).unwrap_or(0),
                            p.get("timestamp").and_then(Value::as_i64).unwrap_or(0),
                        )
                    })
                    .and_then(|p| p.get("value").cloned()),
                Value::Number(_) => Some(hist.clone()),
                _ => None,
            };
            if let Some(v) = last {
                out.insert(name.clone(), v);
            }
        }
    }
    out
}

fn run(origin: &Origin, mlflow: &Map<String, Value>) -> Vec<AuditEvent> {
    let info = mlflow.get("info").cloned().unwrap_or(Value::Null);
    let run_id = str_at(&info, &["run_id"]).or_else(|| str_at(&info, &["run_uuid"]));
    let tags = tag_map(mlflow.get("tags"));
    let tag = |k: &str| tags.get(k).and_then(scalar_string);
    let actor = user(str_at(&info, &["user_id"]).or_else(|| tag("mlflow.user")));
    let run_name = str_at(&info, &["run_name"]).or_else(|| tag("mlflow.runName"));
    let resource = Resource {
        kind: Some("run".to_owned()),
        id: run_id.clone(),
        name: run_name.clone(),
        ..Resource::default()
    };
    let (inputs, parsed_inputs) = datasets(mlflow);
    let run_ref: Vec<ArtifactRef> = run_id.iter().map(|r| art("run", r.clone(), None)).collect();
    let base = |action: &str| {
        let mut ev = AuditEvent::new(origin.clone(), action);
        ev.actor = actor.clone();
        ev.resource = resource.clone();
        ev.run_id.clone_from(&run_id);
        ev.correlation_id.clone_from(&run_id);
        ev.parent_run_id = tag("mlflow.parentRunId");
        ev.outputs.clone_from(&run_ref);
        insert_detail(
            &mut ev,
            "experiment_id",
            info.get("experiment_id").cloned().unwrap_or(Value::Null),
        );
        ev
    };
    let label = run_name
        .or_else(|| run_id.clone())
        .unwrap_or_else(|| "(unnamed)".to_owned());
    let mut start = base("run.start");
    set_first_time(
        &mut start,
        &[info.get("start_time"), info.get("_start_time")],
    );
    start.outcome = Outcome::Success;
    start.inputs = inputs;
    start.message = Some(format!("MLflow run {label} started"));
    insert_detail(
        &mut start,
        "params",
        mlflow.get("params").cloned().unwrap_or(Value::Null),
    );
    insert_detail(&mut start, "tags", Value::Object(tags.clone()));
    if !parsed_inputs.is_empty() {
        insert_detail(&mut start, "datasets", Value::Array(parsed_inputs));
    }
    let status = str_at(&info, &["status"])
        .unwrap_or_default()
        .to_ascii_uppercase();
    let ended = info.get("end_time").is_some_and(|v| !v.is_null());
    if !ended && !matches!(status.as_str(), "FINISHED" | "FAILED" | "KILLED") {
        return vec![start];
    }
    let mut fin = base("run.finish");
    set_first_time(&mut fin, &[info.get("end_time"), info.get("_end_time")]);
    fin.outcome = match status.as_str() {
        "FINISHED" => Outcome::Success,
        "FAILED" | "KILLED" => Outcome::Failure,
        _ => Outcome::Unknown,
    };
    if let (Some(uri), Some(Value::Array(history))) = (
        str_at(&info, &["artifact_uri"]),
        tags.get("mlflow.log-model.history").and_then(embedded_json),
    ) {
        for m in &history {
            if let Some(path) = str_at(m, &["artifact_path"]) {
                push_unique(
                    &mut fin.outputs,
                    art("artifact", format!("{uri}/{path}"), None),
                );
            }
        }
    }
    fin.message = Some(format!(
        "MLflow run {label} {}",
        status.to_ascii_lowercase()
    ));
    insert_detail(&mut fin, "status", Value::String(status));
    insert_detail(
        &mut fin,
        "metrics",
        Value::Object(latest_metrics(mlflow.get("metrics"))),
    );
    vec![start, fin]
}

fn registered_model(origin: &Origin, rm: Value) -> Vec<AuditEvent> {
    let name = str_at(&rm, &["name"]);
    let mut ev = AuditEvent::new(origin.clone(), "model.register");
    set_first_time(
        &mut ev,
        &[rm.get("creation_timestamp"), rm.get("_creation_timestamp")],
    );
    ev.actor = user(str_at(&rm, &["user_id"]));
    ev.outcome = Outcome::Success;
    ev.model = name.clone().map(|id| ModelRef { id, version: None });
    ev.resource = Resource {
        kind: Some("model".to_owned()),
        id: name.clone(),
        name: name.clone(),
        ..Resource::default()
    };
    ev.message = Some(format!(
        "MLflow registered model {}",
        name.as_deref().unwrap_or("(unnamed)")
    ));
    let mut out = Vec::new();
    for v in items(rm.get("latest_versions")) {
        out.push(version(origin, v));
    }
    insert_detail(&mut ev, "registered_model", rm);
    out.insert(0, ev);
    out
}

fn version(origin: &Origin, mv: &Value) -> AuditEvent {
    let name = str_at(mv, &["name"]);
    let ver = str_at(mv, &["version"]);
    let mut ev = AuditEvent::new(origin.clone(), "model.version.create");
    set_first_time(
        &mut ev,
        &[mv.get("creation_timestamp"), mv.get("_creation_timestamp")],
    );
    ev.actor = user(str_at(mv, &["user_id"]));
    ev.outcome = match str_at(mv, &["status"])
        .unwrap_or_default()
        .to_ascii_uppercase()
        .as_str()
    {
        "READY" => Outcome::Success,
        "FAILED_REGISTRATION" => Outcome::Failure,
        _ => Outcome::Unknown,
    };
    ev.run_id = str_at(mv, &["run_id"]);
    if let Some(r) = &ev.run_id {
        ev.inputs.push(art("run", r.clone(), None));
    }
    // The `source` (the run's logged model) stays in details: as an input of an event with
    // a run id it would read as an input of the run.
    if let Some(n) = &name {
        ev.model = Some(ModelRef {
            id: n.clone(),
            version: ver.clone(),
        });
        ev.outputs
            .push(art("model_version", n.clone(), ver.clone()));
        ev.resource = Resource {
            kind: Some("model_version".to_owned()),
            id: Some(n.clone()),
            name: Some(n.clone()),
            version: ver.clone(),
            tags: Vec::new(),
        };
    }
    ev.environment = str_at(mv, &["current_stage"]).filter(|s| !s.eq_ignore_ascii_case("none"));
    ev.message = Some(format!(
        "MLflow model version {} {}",
        name.as_deref().unwrap_or("(unnamed)"),
        ver.as_deref().unwrap_or("?")
    ));
    insert_detail(&mut ev, "model_version", mv.clone());
    ev
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::adapt::origin;
    use crate::model::Format;
    use serde_json::json;

    fn ml(v: Value) -> Vec<AuditEvent> {
        let Value::Object(m) = v else { panic!() };
        assert!(detect(&m));
        map(m, &origin("run.json", 1, Format::Mlflow))
    }

    #[test]
    fn run_gives_start_and_finish_with_datasets_and_metrics() {
        let evs = ml(json!({"system": {"user": "exporter"}, "mlflow": {
            "info": {"run_id": "r1", "experiment_id": "e", "user_id": "", "status": "FINISHED",
                "start_time": 1_717_552_430_207_u64, "end_time": 1_717_552_437_312_u64, "artifact_uri": "dbfs:/a"},
            "params": {"max_depth": "1"},
            "metrics": {"r2": [{"value": 0.1, "step": 0, "timestamp": 1}, {"value": 0.2, "step": 1, "timestamp": 2}]},
            "tags": {"mlflow.user": "andre", "mlflow.log-model.history": "[{\"artifact_path\": \"model\"}]"},
            "inputs": [{"dataset": {"name": "wine", "digest": "d",
                "source": "{\"delta_table_name\": \"cat.db.wine\", \"delta_table_version\": 1}"},
                "tags": [{"key": "mlflow.data.context", "value": "training"}]}]}}));
        assert_eq!(evs.len(), 2);
        let (s, f) = (&evs[0], &evs[1]);
        assert_eq!(s.action, "run.start");
        assert_eq!(s.actor.id.as_deref(), Some("andre"));
        assert_eq!(
            s.inputs,
            vec![art("dataset", "cat.db.wine", Some("1".into()))]
        );
        assert_eq!(s.outputs, vec![art("run", "r1", None)]);
        assert_eq!(s.details["params"]["max_depth"], "1");
        assert_eq!(s.details["datasets"][0]["source"]["delta_table_version"], 1);
        assert_eq!(f.action, "run.finish");
        assert_eq!(f.outcome, Outcome::Success);
        assert_eq!(f.details["metrics"]["r2"], 0.2);
        assert!(f.outputs.contains(&art("artifact", "dbfs:/a/model", None)));
        assert_eq!(f.ts.unwrap().timestamp_millis(), 1_717_552_437_312);
    }

    #[test]
    fn versions_link_runs_and_registered_models_list_versions() {
        let evs = ml(
            json!({"system": {}, "mlflow": {"model_version": {"name": "m", "version": "15",
            "run_id": "r1", "source": "dbfs:/a/model", "status": "READY", "current_stage": null}}}),
        );
        assert_eq!(evs.len(), 1);
        let v = &evs[0];
        assert_eq!(v.action, "model.version.create");
        assert_eq!(v.inputs, vec![art("run", "r1", None)]);
        assert_eq!(v.details["model_version"]["source"], "dbfs:/a/model");
        assert_eq!(
            v.outputs,
            vec![art("model_version", "m", Some("15".into()))]
        );
        assert_eq!(v.model.as_ref().unwrap().version.as_deref(), Some("15"));
        let evs = ml(
            json!({"system": {}, "mlflow": {"registered_model": {"name": "m",
            "latest_versions": [{"name": "m", "version": "1", "current_stage": "Production"}]}}}),
        );
        assert_eq!(
            evs.iter().map(|e| e.action.as_str()).collect::<Vec<_>>(),
            ["model.register", "model.version.create"]
        );
        assert_eq!(evs[1].environment.as_deref(), Some("Production"));
    }

    #[test]
    fn legacy_layouts_without_the_mlflow_wrapper() {
        let evs = ml(
            json!({"export_info": {"export_time": "2022-01-01 00:00:00"},
            "info": {"run_id": "r0", "experiment_id": "1", "status": "FINISHED",
                "start_time": 1, "end_time": 2}, "params": {"alpha": "0.5"}}),
        );
        assert_eq!(evs.len(), 2);
        assert_eq!(evs[0].details["params"]["alpha"], "0.5");
        let evs = ml(json!({"registered_model": {"name": "m", "latest_versions": []}}));
        assert_eq!(evs[0].action, "model.register");
    }

    #[test]
    fn index_files_are_exports_and_odd_shapes_do_not_panic() {
        let evs = ml(
            json!({"system": {"user": "andre", "export_time": 1_672_601_766, "script": "export_models.py"},
            "info": {"x": 1}, "mlflow": {}}),
        );
        assert_eq!(evs.len(), 1);
        assert_eq!(evs[0].action, "data.export");
        assert_eq!(evs[0].actor.id.as_deref(), Some("andre"));
        assert_eq!(evs[0].ts.unwrap().timestamp(), 1_672_601_766);
        let evs = ml(json!({"mlflow": {"info": {"run_id": null}, "inputs": "x"}}));
        assert_eq!(evs.len(), 1);
        let evs = ml(
            json!({"mlflow": {"info": {"run_id": 5, "status": "RUNNING"}, "metrics": [1], "tags": [3]}}),
        );
        assert_eq!(evs.len(), 1);
        assert_eq!(evs[0].run_id.as_deref(), Some("5"));
    }
}
