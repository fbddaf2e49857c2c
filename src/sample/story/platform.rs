//! Data ingestion, feature engineering, and the training runs that fail.

// The story is a script: long, flat lists of events read best as they are.
#![allow(clippy::too_many_lines)]

#[allow(clippy::wildcard_imports)]
use super::*;

pub(super) fn data_and_features(out: &mut Vec<StoryEvent>) {
    for day in [0, 4, 8] {
        let v = (day / 4 + 1).to_string();
        let prev = (day / 4).to_string();
        out.push(
            E::new(
                at(day, 1, 0, 4, 120),
                "pipeline",
                "data.ingest",
                "svc-pipeline",
                format!("ingested transactions-raw v{v} from s3://acme-raw/transactions"),
            )
            .set(
                "resource",
                json!({"type": "dataset", "id": "transactions-raw", "version": v}),
            )
            .set(
                "inputs",
                json!([art("source", "s3://acme-raw/transactions", None)]),
            )
            .set(
                "outputs",
                json!([art("dataset", "transactions-raw", Some(&v))]),
            )
            .set("run_id", json!(format!("ingest-transactions-{v}")))
            .set(
                "details",
                json!({"rows": 1_250_000 + day * 31_000, "bytes": 412_000_000 + day * 9_000_000}),
            )
            .done(),
        );
        out.push(
            E::new(at(day, 1, 40, 10, 5), "pipeline", "data.ingest", "svc-pipeline", format!("ingested customers-pii v{v} from s3://acme-raw/customers"))
                .set("resource", json!({"type": "dataset", "id": "customers-pii", "version": v, "tags": ["pii"]}))
                .set("inputs", json!([art("source", "s3://acme-raw/customers", None)]))
                .set("outputs", json!([art("dataset", "customers-pii", Some(&v))]))
                .set("run_id", json!(format!("ingest-customers-{v}")))
                .set("details", json!({"rows": 84_000 + day * 500, "contains": ["email", "phone", "date_of_birth"]}))
                .done(),
        );
        out.push(
            E::new(
                at(day, 2, 15, 0, 300),
                "pipeline",
                "data.transform",
                "svc-pipeline",
                format!("cleaned transactions v{v}: dropped duplicates and test cards"),
            )
            .set(
                "resource",
                json!({"type": "dataset", "id": "transactions-clean", "version": v}),
            )
            .set(
                "inputs",
                json!([art("dataset", "transactions-raw", Some(&v))]),
            )
            .set(
                "outputs",
                json!([art("dataset", "transactions-clean", Some(&v))]),
            )
            .set("run_id", json!(format!("clean-transactions-{v}")))
            .set(
                "details",
                json!({"dropped_rows": 1200 + day * 10, "previous_version": prev}),
            )
            .done(),
        );
        out.push(
            E::new(
                at(day, 2, 50, 30, 0),
                "pipeline",
                "data.transform",
                "frank",
                format!("pseudonymised customers-pii v{v} into customers-clean v{v}"),
            )
            .set(
                "resource",
                json!({"type": "dataset", "id": "customers-pii", "version": v, "tags": ["pii"]}),
            )
            .set("inputs", json!([art("dataset", "customers-pii", Some(&v))]))
            .set(
                "outputs",
                json!([art("dataset", "customers-clean", Some(&v))]),
            )
            .set("run_id", json!(format!("pseudonymise-customers-{v}")))
            .set(
                "details",
                json!({"method": "salted-hash", "columns": ["email", "phone"]}),
            )
            .done(),
        );
        out.push(
            E::new(
                at(day, 3, 5, 0, 0),
                "pipeline",
                "data.store",
                "svc-pipeline",
                format!("stored transactions-clean v{v} in the feature lake"),
            )
            .set(
                "resource",
                json!({"type": "dataset", "id": "transactions-clean", "version": v}),
            )
            .set(
                "inputs",
                json!([art("dataset", "transactions-clean", Some(&v))]),
            )
            .set(
                "outputs",
                json!([art(
                    "location",
                    "s3://acme-lake/transactions-clean",
                    Some(&v)
                )]),
            )
            .done(),
        );
        for (fs, inputs) in [
            (
                "fraud-features",
                vec![
                    art("dataset", "transactions-clean", Some(&v)),
                    art("dataset", "customers-clean", Some(&v)),
                ],
            ),
            (
                "churn-features",
                vec![art("dataset", "customers-clean", Some(&v))],
            ),
            (
                "credit-features",
                vec![
                    art("dataset", "transactions-clean", Some(&v)),
                    art("dataset", "customers-clean", Some(&v)),
                ],
            ),
        ] {
            out.push(
                E::new(
                    at(day, 4, 0, 0, 0) + Duration::minutes(inputs.len() as i64 * 7),
                    "pipeline",
                    "feature.create",
                    "svc-pipeline",
                    format!("built feature set {fs} v{v}"),
                )
                .set(
                    "resource",
                    json!({"type": "feature_set", "id": fs, "version": v}),
                )
                .set("inputs", Value::Array(inputs))
                .set("outputs", json!([art("feature_set", fs, Some(&v))]))
                .set("run_id", json!(format!("features-{fs}-{v}")))
                .set("details", json!({"features": 40 + v.len() * 3}))
                .done(),
            );
        }
    }
}

pub(super) fn failures(out: &mut Vec<StoryEvent>) {
    for (day, m, run, why) in [
        (
            5,
            "churn-predictor",
            "run-churn-predictor-2a",
            "CUDA out of memory on gpu-node-2",
        ),
        (
            12,
            "credit-scorer",
            "run-credit-scorer-3",
            "feature credit_utilisation missing in credit-features v3",
        ),
    ] {
        out.push(
            E::new(
                at(day, 7, 0, 0, 0),
                "pipeline",
                "model.train.start",
                "bob",
                format!("training {m} (run {run})"),
            )
            .set("resource", json!({"type": "run", "id": run}))
            .set("run_id", json!(run))
            .set(
                "inputs",
                json!([art(
                    "feature_set",
                    if m == "credit-scorer" {
                        "credit-features"
                    } else {
                        "churn-features"
                    },
                    Some(&features_version(day))
                )]),
            )
            .set(
                "details",
                json!({"hyperparameters": {"learning_rate": 0.1, "max_depth": 10}}),
            )
            .done(),
        );
        out.push(
            E::new(
                at(day, 7, 48, 0, 0),
                "pipeline",
                "model.train.fail",
                "bob",
                format!("run {run} failed: {why}"),
            )
            .set("resource", json!({"type": "run", "id": run}))
            .set("run_id", json!(run))
            .set("outcome", json!("failure"))
            .set("severity", json!("error"))
            .set("details", json!({"error": why, "exit_code": 137}))
            .done(),
        );
    }
}
