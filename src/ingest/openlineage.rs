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

/// Whether an object is an `OpenLineage` event: a `RunEvent` (`eventType`, a `run` and a
/// `job`; `eventType` is optional in the spec, then `eventTime` and `producer` or an
/// `OpenLineage` `schemaURL` vouch for it), a `JobEvent` (a `job`, no `run`) or a
/// `DatasetEvent` (a `dataset`), both with `eventTime` and `producer` or `schemaURL`.
pub(crate) fn detect(obj: &Map<String, Value>) -> bool {
    let is_obj = |k: &str| obj.get(k).is_some_and(Value::is_object);
    let schema = obj
        .get("schemaURL")
        .and_then(Value::as_str)
        .is_some_and(|u| u.to_ascii_lowercase().contains("openlineage"));
    let vouched = schema
        || (obj.contains_key("eventTime") && obj.get("producer").is_some_and(Value::is_string));
    if is_obj("run") && is_obj("job") {
        return obj.get("eventType").is_some_and(Value::is_string) || vouched;
    }
    vouched && (is_obj("job") || is_obj("dataset"))
}

/// Maps a `JobEvent` (a job's definition with its datasets) or a `DatasetEvent` (a
/// dataset's metadata changed).
fn map_static(mut obj: Map<String, Value>, origin: Origin) -> AuditEvent {
    let dataset = obj.remove("dataset");
    let mut job = obj.remove("job").unwrap_or(Value::Null);
    let action = if dataset.is_some() {
        "data.modify"
    } else {
        "pipeline.job.change"
    };
    let mut ev = AuditEvent::new(origin, action);
    let time = obj.remove("eventTime");
    set_first_time(&mut ev, &[time.as_ref()]);
    ev.outcome = Outcome::Success;
    ev.actor = actor_of(&obj, &job);
    ev.source = Some("openlineage".to_owned());
    if let Some(d) = &dataset {
        let r = dataset_refs(Some(d));
        if let Some(a) = r.first() {
            ev.resource = Resource {
                kind: Some("dataset".to_owned()),
                id: Some(a.id.clone()),
                name: str_at(d, &["name"]),
                version: a.version.clone(),
                ..Resource::default()
            };
        }
    } else {
        let ns = str_at(&job, &["namespace"]);
        let name = str_at(&job, &["name"]);
        ev.resource = Resource {
            kind: Some("pipeline".to_owned()),
            id: match (&ns, &name) {
                (Some(ns), Some(n)) => Some(format!("{ns}/{n}")),
                (None, Some(n)) => Some(n.clone()),
                _ => None,
            },
            name,
            ..Resource::default()
        };
        ev.inputs = dataset_refs(obj.get("inputs"));
        ev.outputs = dataset_refs(obj.get("outputs"));
    }
    ev.message = Some(format!(
        "{} {}",
        if dataset.is_some() {
            "DatasetEvent"
        } else {
            "JobEvent"
        },
        ev.resource.id.as_deref().unwrap_or("(unnamed)")
    ));
    set_details(&mut ev, obj);
    if let Some(f) = job.get_mut("facets").map(Value::take) {
        insert_detail(&mut ev, "job_facets", f);
    }
    if let Some(d) = dataset {
        insert_detail(&mut ev, "dataset", d);
    }
    finish(&mut ev);
    ev
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

/// Maps one event.
pub fn map(mut obj: Map<String, Value>, origin: Origin) -> AuditEvent {
    if !obj.get("run").is_some_and(Value::is_object) {
        return map_static(obj, origin);
    }
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

    #[test]
    fn job_and_dataset_events_and_run_events_without_a_type() {
        let schema = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/";
        let ev = ol(json!({"eventTime": "2024-01-01T00:00:00Z", "producer": "p",
            "schemaURL": format!("{schema}JobEvent"), "job": {"namespace": "ns", "name": "etl"},
            "inputs": [{"namespace": "s3://b", "name": "in"}], "outputs": [{"namespace": "s3://b", "name": "out"}]}));
        assert_eq!(ev.action, "pipeline.job.change");
        assert_eq!(ev.resource.id.as_deref(), Some("ns/etl"));
        assert_eq!(ev.inputs[0].id, "s3://b/in");
        assert!(ev.ts.is_some());
        let ev = ol(json!({"eventTime": "2024-01-01T00:00:00Z", "producer": "p",
            "schemaURL": format!("{schema}DatasetEvent"), "dataset": {"namespace": "pg", "name": "t"}}));
        assert_eq!(ev.action, "data.modify");
        assert_eq!(ev.resource.id.as_deref(), Some("pg/t"));
        let ev = ol(json!({"eventTime": "2024-01-01T00:00:00Z", "producer": "p",
            "run": {"runId": "r"}, "job": {"namespace": "ns", "name": "etl"}}));
        assert_eq!(ev.action, "pipeline.run.other");
        assert_eq!(ev.run_id.as_deref(), Some("r"));
        let Value::Object(plain) = json!({"job": {"name": "x"}, "eventTime": 1}) else {
            panic!()
        };
        assert!(!detect(&plain));
    }

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
