//! `OpenLineage` `RunEvent`s (JSON lines or pretty-printed): a job's run with its input and
//! output datasets. `eventType` gives the action and outcome; datasets become lineage edges.
//!
//! Actions: `pipeline.run.<start|running|complete|fail|abort|other>`, or
//! `model.train.<...>` when the job is clearly training: its name, or its `jobType` facet,
//! contains `train` (case-insensitive).

use serde_json::{Map, Value};

use super::adapt::{art, finish, insert_detail, items, set_details, set_first_time, str_at};
use super::fields::scalar_string;
use crate::model::{Actor, AuditEvent, Category, Origin, Outcome, Resource, Severity};

/// Whether an object is an `OpenLineage` run event: `eventType`, a `run` and a `job`.
pub fn detect(obj: &Map<String, Value>) -> bool {
    obj.get("eventType").is_some_and(Value::is_string)
        && obj.get("run").is_some_and(Value::is_object)
        && obj.get("job").is_some_and(Value::is_object)
}

fn dataset_refs(v: Option<&Value>) -> Vec<crate::model::ArtifactRef> {
    items(v)
        .into_iter()
        .filter_map(|d| {
            let name = str_at(d, &["name"])?;
            let id = match str_at(d, &["namespace"]) {
                Some(ns) => format!("{ns}/{name}"),
                None => name,
            };
            let version = str_at(d, &["facets", "version", "datasetVersion"]);
            Some(art("dataset", id, version))
        })
        .collect()
}

/// The first owner of the ownership facet, else the producer (as a service).
fn actor_of(obj: &Map<String, Value>, job: &Value) -> Actor {
    let producer = obj.get("producer").and_then(scalar_string);
    let owner = items(
        job.get("facets")
            .and_then(|f| f.get("ownership"))
            .and_then(|o| o.get("owners")),
    )
    .into_iter()
    .find_map(|o| str_at(o, &["name"]));
    match (owner, &producer) {
        (Some(o), _) => Actor {
            id: Some(o),
            kind: Some("user".to_owned()),
            ..Actor::default()
        },
        (None, Some(p)) => Actor {
            id: Some(p.clone()),
            kind: Some("service".to_owned()),
            ..Actor::default()
        },
        (None, None) => Actor::default(),
    }
}

/// Maps one run event.
pub fn map(mut obj: Map<String, Value>, origin: Origin) -> AuditEvent {
    let event_type = obj
        .remove("eventType")
        .as_ref()
        .and_then(scalar_string)
        .unwrap_or_default()
        .to_ascii_uppercase();
    let mut run = obj.remove("run").unwrap_or(Value::Null);
    let mut job = obj.remove("job").unwrap_or(Value::Null);
    let job_ns = str_at(&job, &["namespace"]);
    let job_name = str_at(&job, &["name"]);
    let training = job_name
        .iter()
        .chain(str_at(&job, &["facets", "jobType", "jobType"]).iter())
        .any(|s| s.to_ascii_lowercase().contains("train"));
    let verb = match event_type.as_str() {
        "START" => "start",
        "RUNNING" => "running",
        "COMPLETE" => "complete",
        "FAIL" => "fail",
        "ABORT" => "abort",
        _ => "other",
    };
    let action = if training {
        let v = match verb {
            "abort" => "fail",
            other => other,
        };
        format!("model.train.{v}")
    } else {
        format!("pipeline.run.{verb}")
    };
    let mut ev = AuditEvent::new(origin, action);
    ev.category = if training {
        Category::Training
    } else {
        Category::Data
    };
    let time = obj.remove("eventTime");
    set_first_time(&mut ev, &[time.as_ref()]);
    ev.outcome = match verb {
        "start" | "running" | "complete" => Outcome::Success,
        "fail" | "abort" => Outcome::Failure,
        _ => Outcome::Unknown,
    };
    if verb == "fail" {
        ev.severity = Severity::Error;
    }
    ev.run_id = str_at(&run, &["runId"]);
    ev.correlation_id.clone_from(&ev.run_id);
    ev.parent_run_id = str_at(&run, &["facets", "parent", "run", "runId"]);
    let id = match (&job_ns, &job_name) {
        (Some(ns), Some(n)) => Some(format!("{ns}/{n}")),
        (None, Some(n)) => Some(n.clone()),
        _ => None,
    };
    ev.resource = Resource {
        kind: Some("pipeline".to_owned()),
        id,
        name: job_name.clone(),
        ..Resource::default()
    };
    ev.inputs = dataset_refs(obj.get("inputs"));
    ev.outputs = dataset_refs(obj.get("outputs"));

    ev.actor = actor_of(&obj, &job);
    ev.source = str_at(&run, &["facets", "processing_engine", "name"])
        .or_else(|| str_at(&job, &["facets", "jobType", "integration"]))
        .map(|s| s.to_ascii_lowercase())
        .or_else(|| Some("openlineage".to_owned()));
    let error = str_at(&run, &["facets", "errorMessage", "message"]);
    let mut msg = format!(
        "{event_type} {}",
        ev.resource.id.as_deref().unwrap_or("(unnamed job)")
    );
    if let Some(e) = &error {
        msg.push_str(": ");
        msg.push_str(e);
    }
    ev.message = Some(msg);

    set_details(&mut ev, obj);
    insert_detail(&mut ev, "event_type", Value::String(event_type));
    if let Some(f) = run.get_mut("facets").map(Value::take) {
        insert_detail(&mut ev, "run_facets", f);
    }
    if let Some(f) = job.get_mut("facets").map(Value::take) {
        insert_detail(&mut ev, "job_facets", f);
    }
    finish(&mut ev);
    ev
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::adapt::origin;
    use crate::model::Format;
    use serde_json::json;

    fn ol(v: Value) -> AuditEvent {
        let Value::Object(m) = v else { panic!() };
        assert!(detect(&m));
        map(m, origin("o.jsonl", 1, Format::Openlineage))
    }

    #[test]
    fn run_with_parent_and_lineage() {
        let ev = ol(
            json!({"eventType": "COMPLETE", "eventTime": "2024-11-26T13:05:29.606867+00:00",
            "producer": "https://github.com/apache/airflow",
            "run": {"runId": "r-1", "facets": {"parent": {"run": {"runId": "p-1"}, "job": {"name": "BQ"}},
                "processing_engine": {"name": "Airflow"}}},
            "job": {"namespace": "airflow", "name": "BQ.upload",
                "facets": {"ownership": {"owners": [{"name": "team-a"}]}}},
            "inputs": [{"namespace": "gs://b", "name": "a.csv"}],
            "outputs": [{"namespace": "bigquery", "name": "p.t.u", "facets": {"version": {"datasetVersion": "7"}}}]}),
        );
        assert_eq!(ev.action, "pipeline.run.complete");
        assert_eq!(ev.category, Category::Data);
        assert_eq!(ev.outcome, Outcome::Success);
        assert_eq!(ev.run_id.as_deref(), Some("r-1"));
        assert_eq!(ev.parent_run_id.as_deref(), Some("p-1"));
        assert_eq!(ev.resource.id.as_deref(), Some("airflow/BQ.upload"));
        assert_eq!(ev.inputs, vec![art("dataset", "gs://b/a.csv", None)]);
        assert_eq!(
            ev.outputs,
            vec![art("dataset", "bigquery/p.t.u", Some("7".into()))]
        );
        assert_eq!(ev.actor.id.as_deref(), Some("team-a"));
        assert_eq!(ev.source.as_deref(), Some("airflow"));
        assert_eq!(
            ev.details["run_facets"]["processing_engine"]["name"],
            "Airflow"
        );
    }

    #[test]
    fn failures_and_training_jobs() {
        let ev = ol(json!({"eventType": "FAIL", "run": {"runId": "r",
            "facets": {"errorMessage": {"message": "syntax error"}}},
            "job": {"namespace": "dbt", "name": "model.orders"}}));
        assert_eq!(ev.action, "pipeline.run.fail");
        assert_eq!(ev.outcome, Outcome::Failure);
        assert_eq!(ev.severity, Severity::Error);
        assert!(ev.message.unwrap().contains("syntax error"));
        assert_eq!(ev.actor, Actor::default());
        let ev = ol(json!({"eventType": "start", "producer": "p", "run": {},
            "job": {"name": "train_churn_model"}}));
        assert_eq!(ev.action, "model.train.start");
        assert_eq!(ev.category, Category::Training);
        assert_eq!(ev.actor.kind.as_deref(), Some("service"));
    }
}
