//! Model versions and their life: training, evaluation, approval, registry and deployment.

// The story is a script: long, flat lists of events read best as they are.
#![allow(clippy::too_many_lines)]

#[allow(clippy::wildcard_imports)]
use super::*;

/// A model version's lifecycle in the script.
pub(super) struct Version {
    pub(super) model: &'static str,
    pub(super) number: &'static str,
    pub(super) train_day: i64,
    pub(super) features: &'static str,
    /// Day of approval (None: never approved), `Some(-1)` for a rejection.
    pub(super) approve_day: Option<i64>,
    /// Day of production deployment.
    pub(super) prod_day: Option<i64>,
    /// Run id override (a run never exported).
    pub(super) legacy_run: Option<&'static str>,
}

pub(super) const VERSIONS: &[Version] = &[
    Version {
        model: "fraud-detector",
        number: "1",
        train_day: 0,
        features: "fraud-features",
        approve_day: Some(1),
        prod_day: Some(1),
        legacy_run: None,
    },
    Version {
        model: "churn-predictor",
        number: "1",
        train_day: 1,
        features: "churn-features",
        approve_day: Some(2),
        prod_day: Some(2),
        legacy_run: None,
    },
    Version {
        model: "credit-scorer",
        number: "1",
        train_day: 2,
        features: "credit-features",
        approve_day: Some(3),
        prod_day: None,
        legacy_run: Some("run-credit-scorer-legacy"),
    },
    Version {
        model: "fraud-detector",
        number: "2",
        train_day: 3,
        features: "fraud-features",
        approve_day: Some(4),
        prod_day: Some(4),
        legacy_run: None,
    },
    Version {
        model: "churn-predictor",
        number: "2",
        train_day: 5,
        features: "churn-features",
        approve_day: Some(6),
        prod_day: Some(6),
        legacy_run: None,
    },
    Version {
        model: "fraud-detector",
        number: "3",
        train_day: 6,
        features: "fraud-features",
        approve_day: Some(7),
        prod_day: Some(7),
        legacy_run: None,
    },
    Version {
        model: "churn-predictor",
        number: "3",
        train_day: 8,
        features: "churn-features",
        approve_day: Some(9),
        prod_day: Some(9),
        legacy_run: None,
    },
    Version {
        model: "credit-scorer",
        number: "2",
        train_day: 9,
        features: "credit-features",
        approve_day: Some(-1),
        prod_day: None,
        legacy_run: None,
    },
    // Planted incident 2: version 4 reaches production on day 9 (2026-03-11) with no approval.
    Version {
        model: "fraud-detector",
        number: "4",
        train_day: 8,
        features: "fraud-features",
        approve_day: None,
        prod_day: Some(9),
        legacy_run: None,
    },
    // The retraining the drift of day 11 asked for: approved and deployed on day 13, when
    // its inference errors spike (the SRE's incident, `incidents.rs`).
    Version {
        model: "churn-predictor",
        number: "4",
        train_day: 12,
        features: "churn-features",
        approve_day: Some(13),
        prod_day: Some(13),
        legacy_run: None,
    },
];

/// The production version of `model` serving at `t`, if any.
pub(super) fn prod_version(model: &str, t: DateTime<Utc>) -> Option<&'static str> {
    VERSIONS
        .iter()
        .filter(|v| v.model == model)
        .filter_map(|v| v.prod_day.map(|d| (at(d, 15, 0, 0, 0), v.number)))
        .filter(|(when, _)| *when <= t)
        .max_by_key(|(when, _)| *when)
        .map(|(_, v)| v)
}

pub(super) const MODELS: &[&str] = &["fraud-detector", "churn-predictor", "credit-scorer"];

/// The feature-set version in use on `day`.
pub(super) fn features_version(day: i64) -> String {
    (day.min(8) / 4 + 1).to_string()
}

pub(super) fn lifecycle(out: &mut Vec<StoryEvent>, v: &Version, rng: &mut Rng) {
    let (m, ver, d) = (v.model, v.number, v.train_day);
    let trainer = if m == "churn-predictor" {
        "alice"
    } else {
        "bob"
    };
    let run = v
        .legacy_run
        .map_or_else(|| format!("run-{m}-{ver}"), str::to_owned);
    let fv = features_version(d);
    let mv = art("model_version", m, Some(ver));
    if v.legacy_run.is_none() {
        out.push(
            E::new(
                at(d, 9, 5, 12, 40),
                "pipeline",
                "feature.select",
                trainer,
                format!("selected features of {} v{fv} for {m}", v.features),
            )
            .set(
                "resource",
                json!({"type": "feature_set", "id": v.features, "version": fv}),
            )
            .set("inputs", json!([art("feature_set", v.features, Some(&fv))]))
            .set("run_id", json!(run))
            .set(
                "details",
                json!({"selected": 24, "method": "mutual-information"}),
            )
            .done(),
        );
        let lr = 0.05 + (rng.below(5) as f64) / 100.0;
        out.push(
            E::new(at(d, 9, 30, 0, 0), "pipeline", "model.train.start", trainer, format!("training {m} (run {run})"))
                .set("resource", json!({"type": "run", "id": run}))
                .set("run_id", json!(run))
                .set("inputs", json!([art("feature_set", v.features, Some(&fv))]))
                .set("details", json!({"hyperparameters": {"learning_rate": lr, "max_depth": 6, "n_estimators": 400}, "framework": "xgboost", "gpus": 2}))
                .done(),
        );
        if m == "credit-scorer" && ver == "2" {
            for (i, depth) in [(0, 4), (1, 8)] {
                out.push(
                    E::new(at(d, 10, 10 + i * 20, 0, 0), "pipeline", "model.tune", trainer, format!("tuning trial {} of {m}", i + 1))
                        .set("resource", json!({"type": "run", "id": format!("{run}-trial-{}", i + 1)}))
                        .set("run_id", json!(format!("{run}-trial-{}", i + 1)))
                        .set("parent_run_id", json!(run))
                        .set("details", json!({"hyperparameters": {"max_depth": depth}, "metrics": {"auc": 0.80 + f64::from(depth as u8) / 100.0}}))
                        .done(),
                );
            }
        }
        let auc = 0.86 + (rng.below(8) as f64) / 100.0;
        out.push(
            E::new(
                at(d, 12, 45, 3, 9),
                "pipeline",
                "model.train.complete",
                trainer,
                format!("run {run} produced {m} v{ver}"),
            )
            .set("resource", json!({"type": "run", "id": run}))
            .set("run_id", json!(run))
            .set("inputs", json!([art("feature_set", v.features, Some(&fv))]))
            .set("outputs", json!([mv]))
            .set("model", json!({"id": m, "version": ver}))
            .set(
                "details",
                json!({"metrics": {"auc": auc, "logloss": 0.21}, "duration_s": 11_583}),
            )
            .done(),
        );
        let passed = !(m == "credit-scorer" && ver == "2");
        let eval_auc = if passed { auc - 0.01 } else { 0.79 };
        out.push(
            E::new(at(d, 13, 20, 0, 0), "pipeline", "model.evaluate", trainer, format!("evaluated {m} v{ver}: auc {eval_auc:.3}"))
                .model(m, ver)
                .set("run_id", json!(format!("eval-{m}-{ver}")))
                .set("inputs", json!([mv, art("dataset", "transactions-clean", Some(&fv))]))
                .set("details", json!({"metrics": {"auc": eval_auc, "precision": 0.81, "recall": 0.77}, "threshold": {"auc": 0.85}, "passed": passed}))
                .done(),
        );
        out.push(
            E::new(
                at(d, 13, 40, 0, 0),
                "pipeline",
                "model.validate",
                "svc-pipeline",
                format!("validation checks for {m} v{ver}"),
            )
            .model(m, ver)
            .set("run_id", json!(format!("eval-{m}-{ver}")))
            .set(
                "details",
                json!({"checks": ["schema", "bias", "latency"], "passed": passed}),
            )
            .done(),
        );
    }
    out.push(
        E::new(
            at(d, 14, 0, 0, 0),
            "registry",
            "model.register",
            trainer,
            format!("registered {m} v{ver}"),
        )
        .model(m, ver)
        .set(
            "resource",
            json!({"type": "model_version", "id": m, "version": ver}),
        )
        .set("run_id", json!(run))
        .set("inputs", json!([art("run", &run, None)]))
        .set("outputs", json!([mv]))
        .done(),
    );
    match v.approve_day {
        Some(-1) => out.push(
            E::new(
                at(d + 1, 11, 0, 0, 0),
                "registry",
                "model.reject",
                "carol",
                format!("rejected {m} v{ver}: auc below threshold"),
            )
            .model(m, ver)
            .set(
                "resource",
                json!({"type": "model_version", "id": m, "version": ver}),
            )
            .set(
                "details",
                json!({"ticket": format!("CHG-{}", 1000 + d), "reason": "evaluation failed"}),
            )
            .done(),
        ),
        Some(day) => {
            out.push(
                E::new(at(day, 11, 0, 0, 0), "registry", "model.approve", "carol", format!("approved {m} v{ver} for production"))
                    .model(m, ver)
                    .set("resource", json!({"type": "model_version", "id": m, "version": ver}))
                    .set("details", json!({"ticket": format!("CHG-{}", 1000 + day), "comment": "metrics and bias checks reviewed"}))
                    .done(),
            );
            out.push(
                E::new(
                    at(day, 11, 30, 0, 0),
                    "registry",
                    "model.promote",
                    "carol",
                    format!("promoted {m} v{ver} to stage Production"),
                )
                .model(m, ver)
                .set(
                    "resource",
                    json!({"type": "model_version", "id": m, "version": ver}),
                )
                .set(
                    "details",
                    json!({"from_stage": "Staging", "to_stage": "Production"}),
                )
                .done(),
            );
        }
        None => {}
    }
    if v.approve_day != Some(-1) {
        out.push(deploy(at(d + 1, 10, 0, 0, 0), m, ver, "staging", trainer));
    }
    if let Some(day) = v.prod_day {
        let who = if v.approve_day.is_none() {
            "bob"
        } else {
            "erin"
        };
        let mut e = deploy(at(day, 15, 0, 0, 0), m, ver, "production", who);
        if v.approve_day.is_none() {
            e.rec.insert(
                "message".into(),
                json!(format!(
                    "deployed {m} v{ver} to production (change ticket: none)"
                )),
            );
        }
        out.push(e);
    }
}

pub(super) fn deploy(ts: DateTime<Utc>, m: &str, ver: &str, env: &str, who: &str) -> StoryEvent {
    let dep = format!("{m}-{env}");
    E::new(ts, "registry", "model.deploy", who, format!("deployed {m} v{ver} to {env}"))
        .model(m, ver)
        .set("environment", json!(env))
        .set("resource", json!({"type": "deployment", "id": dep}))
        .set("inputs", json!([art("model_version", m, Some(ver))]))
        .set("outputs", json!([art("deployment", &dep, None), art("endpoint", &format!("{m}-{}-endpoint", if env == "production" { "prod" } else { "staging" }), None)]))
        .set("details", json!({"replicas": if env == "production" { 3 } else { 1 }, "image": format!("registry.acme.io/{m}:{ver}")}))
        .done()
}
