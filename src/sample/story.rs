//! The sample story: fourteen days of an ML platform (data, features, training, evaluation,
//! registry, deployment, inference, monitoring, access, system, audit) with five planted
//! incidents. Events come out in time order, one day at a time, so a million-event story
//! needs no more memory than a day of it.

// The story is a script: long, flat lists of events read best as they are.
#![allow(clippy::too_many_lines)]

use chrono::{DateTime, Duration, TimeZone, Utc};
use serde_json::{Map, Value, json};

use super::rng::Rng;

/// Days the story lasts.
pub const DAYS: i64 = 14;

/// One event of the story before sealing: its stream and its event-model fields.
#[derive(Debug, Clone, PartialEq)]
pub struct StoryEvent {
    /// Event time.
    pub ts: DateTime<Utc>,
    /// Stream id (`platform`, `pipeline`, `registry`, `serving`).
    pub stream: &'static str,
    /// Event-model fields, `ts` included.
    pub rec: Map<String, Value>,
}

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 0, 0, 0)
        .single()
        .expect("invariant: valid constant date")
}

fn at(day: i64, h: i64, m: i64, s: i64, ms: i64) -> DateTime<Utc> {
    start()
        + Duration::days(day)
        + Duration::hours(h)
        + Duration::minutes(m)
        + Duration::seconds(s)
        + Duration::milliseconds(ms)
}

fn ts_text(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

struct User {
    id: &'static str,
    roles: &'static [&'static str],
    ip: &'static str,
}

const USERS: &[User] = &[
    User {
        id: "alice",
        roles: &["ml-engineer"],
        ip: "10.20.1.11",
    },
    User {
        id: "bob",
        roles: &["data-scientist"],
        ip: "10.20.1.12",
    },
    User {
        id: "carol",
        roles: &["ml-lead", "approver"],
        ip: "10.20.1.13",
    },
    User {
        id: "dave",
        roles: &["analyst"],
        ip: "10.20.2.14",
    },
    User {
        id: "erin",
        roles: &["sre", "admin"],
        ip: "10.20.3.15",
    },
    User {
        id: "frank",
        roles: &["data-engineer"],
        ip: "10.20.2.16",
    },
];

fn user(id: &str) -> &'static User {
    USERS
        .iter()
        .find(|u| u.id == id)
        .expect("invariant: story users are constants")
}

fn user_actor(id: &str) -> Value {
    let u = user(id);
    json!({"id": u.id, "type": "user", "roles": u.roles, "ip": u.ip, "session": format!("sess-{}", u.id)})
}

fn service_actor(id: &str) -> Value {
    let ip = match id {
        "svc-pipeline" => "10.0.1.5",
        "svc-serving" => "10.0.2.5",
        _ => "10.0.3.5",
    };
    json!({"id": id, "type": "service", "roles": ["service"], "ip": ip})
}

fn actor(id: &str) -> Value {
    if id.starts_with("svc-") {
        service_actor(id)
    } else {
        user_actor(id)
    }
}

fn art(kind: &str, id: &str, version: Option<&str>) -> Value {
    match version {
        Some(v) => json!({"type": kind, "id": id, "version": v}),
        None => json!({"type": kind, "id": id}),
    }
}

/// Builds one event.
struct E {
    ts: DateTime<Utc>,
    stream: &'static str,
    rec: Map<String, Value>,
}

impl E {
    fn new(
        ts: DateTime<Utc>,
        stream: &'static str,
        action: &str,
        who: &str,
        message: impl Into<String>,
    ) -> Self {
        let mut rec = Map::new();
        rec.insert("ts".into(), Value::String(ts_text(ts)));
        rec.insert("action".into(), Value::String(action.into()));
        rec.insert("actor".into(), actor(who));
        rec.insert("outcome".into(), Value::String("success".into()));
        rec.insert("severity".into(), Value::String("info".into()));
        rec.insert("source".into(), Value::String(source_for(stream).into()));
        rec.insert("environment".into(), Value::String("production".into()));
        rec.insert("message".into(), Value::String(message.into()));
        Self { ts, stream, rec }
    }
    fn set(mut self, k: &str, v: Value) -> Self {
        self.rec.insert(k.into(), v);
        self
    }
    fn model(self, id: &str, v: &str) -> Self {
        self.set("model", json!({"id": id, "version": v}))
    }
    fn done(self) -> StoryEvent {
        StoryEvent {
            ts: self.ts,
            stream: self.stream,
            rec: self.rec,
        }
    }
}

fn source_for(stream: &str) -> &'static str {
    match stream {
        "pipeline" => "airflow",
        "registry" => "mlflow",
        "serving" => "kserve",
        _ => "platform-gateway",
    }
}

/// A model version's lifecycle in the script.
struct Version {
    model: &'static str,
    number: &'static str,
    train_day: i64,
    features: &'static str,
    /// Day of approval (None: never approved), `Some(-1)` for a rejection.
    approve_day: Option<i64>,
    /// Day of production deployment.
    prod_day: Option<i64>,
    /// Run id override (a run never exported).
    legacy_run: Option<&'static str>,
}

const VERSIONS: &[Version] = &[
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
];

/// The production version of `model` serving at `t`, if any.
fn prod_version(model: &str, t: DateTime<Utc>) -> Option<&'static str> {
    VERSIONS
        .iter()
        .filter(|v| v.model == model)
        .filter_map(|v| v.prod_day.map(|d| (at(d, 15, 0, 0, 0), v.number)))
        .filter(|(when, _)| *when <= t)
        .max_by_key(|(when, _)| *when)
        .map(|(_, v)| v)
}

const MODELS: &[&str] = &["fraud-detector", "churn-predictor", "credit-scorer"];

/// Every scripted and fixed-rate event of the story (a bounded, small set).
fn script(rng: &mut Rng) -> Vec<StoryEvent> {
    let mut out = Vec::new();
    data_and_features(&mut out);
    for v in VERSIONS {
        lifecycle(&mut out, v, rng);
    }
    failures(&mut out);
    operations(&mut out);
    incidents(&mut out);
    routine(&mut out, rng);
    out
}

fn data_and_features(out: &mut Vec<StoryEvent>) {
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

/// The feature-set version in use on `day`.
fn features_version(day: i64) -> String {
    (day.min(8) / 4 + 1).to_string()
}

fn lifecycle(out: &mut Vec<StoryEvent>, v: &Version, rng: &mut Rng) {
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

fn deploy(ts: DateTime<Utc>, m: &str, ver: &str, env: &str, who: &str) -> StoryEvent {
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

fn failures(out: &mut Vec<StoryEvent>) {
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

fn operations(out: &mut Vec<StoryEvent>) {
    let sys = |day, h, action: &str, who: &str, msg: &str, sev: &str, host: &str| {
        E::new(at(day, h, 0, 0, 0), "platform", action, who, msg)
            .set("severity", json!(sev))
            .set("resource", json!({"type": "host", "id": host}))
            .done()
    };
    out.push(sys(
        0,
        0,
        "system.start",
        "svc-monitor",
        "platform services started",
        "notice",
        "ml-platform",
    ));
    out.push(sys(
        5,
        22,
        "system.patch",
        "erin",
        "applied kernel security patch to gpu nodes",
        "notice",
        "gpu-node-1",
    ));
    out.push(sys(
        6,
        3,
        "system.hardware.fail",
        "svc-monitor",
        "GPU ECC errors: gpu-node-3 taken out of service",
        "error",
        "gpu-node-3",
    ));
    out.push(sys(
        6,
        9,
        "infra.change",
        "erin",
        "replaced gpu-node-3 with gpu-node-4",
        "notice",
        "gpu-node-4",
    ));
    out.push(sys(
        10,
        23,
        "system.stop",
        "erin",
        "scheduled maintenance: serving cluster drained",
        "notice",
        "serving-cluster",
    ));
    out.push(sys(
        10,
        23,
        "system.start",
        "erin",
        "serving cluster back after maintenance",
        "notice",
        "serving-cluster",
    ));
    out.push(
        E::new(
            at(0, 8, 30, 0, 0),
            "platform",
            "experiment.create",
            "bob",
            "created experiment fraud-detection",
        )
        .set(
            "resource",
            json!({"type": "experiment", "id": "fraud-detection"}),
        )
        .done(),
    );
    out.push(
        E::new(
            at(0, 8, 45, 0, 0),
            "platform",
            "experiment.create",
            "alice",
            "created experiment churn",
        )
        .set("resource", json!({"type": "experiment", "id": "churn"}))
        .done(),
    );
    out.push(
        E::new(
            at(6, 16, 0, 0, 0),
            "platform",
            "experiment.modify",
            "bob",
            "changed the primary metric of fraud-detection to auc",
        )
        .set(
            "resource",
            json!({"type": "experiment", "id": "fraud-detection"}),
        )
        .set(
            "details",
            json!({"field": "primary_metric", "old": "logloss", "new": "auc"}),
        )
        .done(),
    );
    out.push(
        E::new(
            at(2, 10, 0, 0, 0),
            "platform",
            "access.grant",
            "carol",
            "granted alice the deployer role on staging",
        )
        .set(
            "resource",
            json!({"type": "role", "id": "deployer-staging"}),
        )
        .set(
            "details",
            json!({"grantee": "alice", "role": "deployer-staging"}),
        )
        .done(),
    );
    out.push(
        E::new(
            at(12, 10, 0, 0, 0),
            "platform",
            "access.revoke",
            "carol",
            "revoked alice's deployer role on staging",
        )
        .set(
            "resource",
            json!({"type": "role", "id": "deployer-staging"}),
        )
        .set(
            "details",
            json!({"grantee": "alice", "role": "deployer-staging"}),
        )
        .done(),
    );
    out.push(
        E::new(
            at(4, 14, 0, 0, 0),
            "registry",
            "deploy.config.change",
            "erin",
            "raised fraud-detector-production replicas from 3 to 5",
        )
        .model("fraud-detector", "2")
        .set(
            "resource",
            json!({"type": "deployment", "id": "fraud-detector-production"}),
        )
        .set(
            "details",
            json!({"setting": "replicas", "old": 3, "new": 5}),
        )
        .done(),
    );
    out.push(
        E::new(
            at(7, 9, 0, 0, 0),
            "registry",
            "model.decommission",
            "erin",
            "decommissioned fraud-detector-staging v1",
        )
        .model("fraud-detector", "1")
        .set("environment", json!("staging"))
        .set(
            "resource",
            json!({"type": "deployment", "id": "fraud-detector-staging"}),
        )
        .done(),
    );
    out.push(
        E::new(
            at(9, 16, 10, 0, 0),
            "registry",
            "model.rollback",
            "erin",
            "rolled churn-predictor-staging back to v2 after a smoke-test failure",
        )
        .model("churn-predictor", "2")
        .set("environment", json!("staging"))
        .set(
            "resource",
            json!({"type": "deployment", "id": "churn-predictor-staging"}),
        )
        .done(),
    );
    out.push(
        E::new(
            at(10, 14, 0, 0, 0),
            "platform",
            "audit.log.access",
            "erin",
            "exported last week's audit log for the quarterly access review",
        )
        .set("resource", json!({"type": "log", "id": "audit-log"}))
        .set(
            "details",
            json!({"range": ["2026-03-02", "2026-03-09"], "ticket": "AUD-77"}),
        )
        .done(),
    );
    out.push(
        E::new(
            at(11, 16, 30, 0, 0),
            "serving",
            "model.retrain.trigger",
            "svc-monitor",
            "drift on churn-predictor v3: retraining requested",
        )
        .model("churn-predictor", "3")
        .set("details", json!({"reason": "drift", "drift_score": 0.47}))
        .done(),
    );
    // Scattered access denials: one every few days, never a burst.
    for (day, who, path) in [
        (1, "dave", "/api/models/fraud-detector/versions"),
        (4, "frank", "/api/deployments"),
        (8, "bob", "/api/secrets"),
        (12, "dave", "/api/registry/approve"),
    ] {
        out.push(
            E::new(
                at(day, 13, 12, 0, 0),
                "platform",
                "api.call",
                who,
                format!("POST {path} denied"),
            )
            .set("outcome", json!("denied"))
            .set("severity", json!("notice"))
            .set("resource", json!({"type": "api", "id": path}))
            .set("details", json!({"method": "POST", "status": 403}))
            .done(),
        );
    }
}

fn incidents(out: &mut Vec<StoryEvent>) {
    // 1. A burst of failed logins on alice's account from one outside address.
    for i in 0..14 {
        out.push(
            E::new(at(7, 2, 10, i * 17, 250), "platform", "auth.login", "alice", "login failed: bad password")
                .set("actor", json!({"id": "alice", "type": "user", "roles": ["ml-engineer"], "ip": "203.0.113.77"}))
                .set("outcome", json!("failure"))
                .set("severity", json!("warning"))
                .set("details", json!({"method": "password", "user_agent": "python-requests/2.31"}))
                .done(),
        );
    }
    // 3. An analyst exports the PII-tagged customer dataset.
    out.push(
        E::new(
            at(10, 17, 42, 8, 0),
            "platform",
            "data.export",
            "dave",
            "exported customers-pii v3 to a CSV download",
        )
        .set(
            "resource",
            json!({"type": "dataset", "id": "customers-pii", "version": "3", "tags": ["pii"]}),
        )
        .set(
            "details",
            json!({"format": "csv", "rows": 88_000, "destination": "download"}),
        )
        .done(),
    );
    // 4. Drift far above its threshold.
    out.push(
        E::new(at(11, 16, 0, 0, 0), "serving", "monitor.drift", "svc-monitor", "churn-predictor v3: input drift 0.47 (threshold 0.10)")
            .model("churn-predictor", "3")
            .set("severity", json!("warning"))
            .set("resource", json!({"type": "endpoint", "id": "churn-predictor-prod-endpoint"}))
            .set("details", json!({"drift_score": 0.47, "threshold": 0.1, "feature": "tenure_months", "method": "psi"}))
            .done(),
    );
    // 5. Audit logging switched off.
    out.push(
        E::new(
            at(12, 23, 55, 0, 0),
            "platform",
            "audit.config.change",
            "erin",
            "audit logging disabled on the serving cluster",
        )
        .set("severity", json!("warning"))
        .set("resource", json!({"type": "log", "id": "audit-log"}))
        .set(
            "details",
            json!({"setting": "audit_logging", "old": "enabled", "new": "disabled"}),
        )
        .done(),
    );
}

/// Fixed-rate routine: logins, metrics, drift checks, secret reads by services.
fn routine(out: &mut Vec<StoryEvent>, rng: &mut Rng) {
    for day in 0..DAYS {
        for u in USERS {
            let h = 8 + rng.below(2) as i64;
            let m = rng.below(60) as i64;
            // A rare mistyped password (never on the incident day for alice).
            if rng.chance(0.08) && !(day == 7 && u.id == "alice") {
                out.push(
                    E::new(
                        at(day, h, m, 1, 0),
                        "platform",
                        "auth.login",
                        u.id,
                        "login failed: bad password",
                    )
                    .set("outcome", json!("failure"))
                    .set("severity", json!("notice"))
                    .set("details", json!({"method": "password"}))
                    .done(),
                );
            }
            out.push(
                E::new(
                    at(day, h, m, 30, 0),
                    "platform",
                    "auth.login",
                    u.id,
                    format!("{} logged in", u.id),
                )
                .set("details", json!({"method": "sso", "mfa": true}))
                .done(),
            );
            out.push(
                E::new(
                    at(day, 17 + rng.below(2) as i64, rng.below(60) as i64, 0, 0),
                    "platform",
                    "auth.logout",
                    u.id,
                    format!("{} logged out", u.id),
                )
                .done(),
            );
        }
        for svc in ["svc-pipeline", "svc-serving"] {
            out.push(
                E::new(
                    at(day, 0, 30, 0, 0),
                    "platform",
                    "secret.read",
                    svc,
                    format!("{svc} read its database credentials"),
                )
                .set(
                    "resource",
                    json!({"type": "secret", "id": format!("{svc}/db-credentials")}),
                )
                .done(),
            );
        }
        for m in MODELS {
            for hour in (0..24).step_by(6) {
                let t = at(day, hour, 5, 0, 0);
                let Some(v) = prod_version(m, t) else {
                    continue;
                };
                out.push(
                    E::new(t, "serving", "monitor.metric", "svc-monitor", format!("{m} v{v}: p95 latency and error rate"))
                        .model(m, v)
                        .set("resource", json!({"type": "endpoint", "id": format!("{m}-prod-endpoint")}))
                        .set("details", json!({"latency_p95_ms": 40 + rng.below(30), "error_rate": (rng.below(5) as f64) / 1000.0}))
                        .done(),
                );
            }
            let t = at(day, 16, 0, 0, 0);
            if let Some(v) = prod_version(m, t)
                && !(day == 11 && *m == "churn-predictor")
            {
                {
                    let score = 0.01 + (rng.below(40) as f64) / 1000.0;
                    out.push(
                        E::new(
                            t,
                            "serving",
                            "monitor.drift",
                            "svc-monitor",
                            format!("{m} v{v}: input drift {score:.3} (threshold 0.10)"),
                        )
                        .model(m, v)
                        .set(
                            "resource",
                            json!({"type": "endpoint", "id": format!("{m}-prod-endpoint")}),
                        )
                        .set(
                            "details",
                            json!({"drift_score": score, "threshold": 0.1, "method": "psi"}),
                        )
                        .done(),
                    );
                }
            }
        }
    }
}

/// Background traffic that scales with the requested size: predictions, explanations,
/// API calls and data access, spread over a day.
fn background(day: i64, n: u64, rng: &mut Rng, req: &mut u64) -> Vec<StoryEvent> {
    let mut out = Vec::with_capacity(n as usize);
    for _ in 0..n {
        let t = at(day, 0, 0, 0, 0) + Duration::milliseconds(rng.below(86_400_000) as i64);
        let roll = rng.below(100);
        *req += 1;
        let corr = format!("req-{:08x}", *req);
        if roll < 60 {
            let m = *rng.pick(MODELS);
            let Some(v) = prod_version(m, t) else {
                out.push(api_call(t, rng, &corr));
                continue;
            };
            let score = rng.unit();
            let explain = roll < 4;
            let action = if explain {
                "inference.explain"
            } else {
                "inference.predict"
            };
            let mut details = json!({"score": (score * 1000.0).round() / 1000.0, "prediction": score > 0.8, "latency_ms": 8 + rng.below(40)});
            if explain {
                details["explanation"] =
                    json!({"top_features": ["amount", "merchant_risk", "tenure_months"]});
            }
            out.push(
                E::new(
                    t,
                    "serving",
                    action,
                    "svc-serving",
                    format!("{m} v{v} scored request {corr}"),
                )
                .model(m, v)
                .set(
                    "resource",
                    json!({"type": "endpoint", "id": format!("{m}-prod-endpoint")}),
                )
                .set("correlation_id", json!(corr))
                .set("details", details)
                .done(),
            );
        } else if roll < 90 {
            out.push(api_call(t, rng, &corr));
        } else {
            let (who, ds, tags) = match rng.below(3) {
                0 => ("frank", "customers-pii", json!(["pii"])),
                1 => ("svc-pipeline", "customers-pii", json!(["pii"])),
                _ => (
                    *rng.pick(&["bob", "alice", "dave"]),
                    "transactions-clean",
                    json!([]),
                ),
            };
            out.push(
                E::new(t, "platform", "data.access", who, format!("{who} read {ds}"))
                    .set("resource", json!({"type": "dataset", "id": ds, "version": features_version(day), "tags": tags}))
                    .set("correlation_id", json!(corr))
                    .set("details", json!({"rows_read": 100 + rng.below(5000), "purpose": "analysis"}))
                    .done(),
            );
        }
    }
    out
}

fn api_call(t: DateTime<Utc>, rng: &mut Rng, corr: &str) -> StoryEvent {
    let who = rng.pick(&[
        "alice",
        "bob",
        "carol",
        "frank",
        "svc-pipeline",
        "svc-monitor",
    ]);
    let path = rng.pick(&[
        "/api/models",
        "/api/experiments/runs",
        "/api/datasets",
        "/api/deployments",
        "/api/metrics",
    ]);
    E::new(t, "platform", "api.call", who, format!("GET {path}"))
        .set("resource", json!({"type": "api", "id": path}))
        .set("correlation_id", json!(corr))
        .set(
            "details",
            json!({"method": "GET", "status": 200, "latency_ms": 5 + rng.below(80)}),
        )
        .done()
}

/// The whole story, in time order, generated a day at a time.
pub struct Story {
    rng: Rng,
    scripted: std::vec::IntoIter<StoryEvent>,
    pending: Option<StoryEvent>,
    per_day: Vec<u64>,
    day: i64,
    buffer: std::vec::IntoIter<StoryEvent>,
    requests: u64,
}

impl Story {
    /// A story of about `events` events (exactly, when `events` exceeds the scripted part).
    pub fn new(events: u64, seed: u64) -> Self {
        let mut rng = Rng::new(seed);
        let mut scripted = script(&mut rng);
        scripted.sort_by_key(|e| e.ts);
        let extra = events.saturating_sub(scripted.len() as u64);
        let days = DAYS as u64;
        let per_day = (0..days)
            .map(|d| extra / days + u64::from(d < extra % days))
            .collect();
        Self {
            rng,
            scripted: scripted.into_iter(),
            pending: None,
            per_day,
            day: 0,
            buffer: Vec::new().into_iter(),
            requests: 0,
        }
    }

    fn fill_day(&mut self) -> bool {
        if self.day >= DAYS {
            return false;
        }
        let end = at(self.day + 1, 0, 0, 0, 0);
        let mut day_events = background(
            self.day,
            self.per_day[self.day as usize],
            &mut self.rng,
            &mut self.requests,
        );
        loop {
            let next = self.pending.take().or_else(|| self.scripted.next());
            match next {
                Some(e) if e.ts < end || self.day == DAYS - 1 => day_events.push(e),
                Some(e) => {
                    self.pending = Some(e);
                    break;
                }
                None => break,
            }
        }
        day_events.sort_by_key(|e| e.ts);
        self.buffer = day_events.into_iter();
        self.day += 1;
        true
    }
}

impl Iterator for Story {
    type Item = StoryEvent;
    fn next(&mut self) -> Option<StoryEvent> {
        loop {
            if let Some(e) = self.buffer.next() {
                return Some(e);
            }
            if !self.fill_day() {
                return None;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_story_and_exact_size() {
        let a: Vec<_> = Story::new(3000, 7).collect();
        let b: Vec<_> = Story::new(3000, 7).collect();
        assert_eq!(a, b);
        assert_eq!(a.len(), 3000);
        assert!(a.windows(2).all(|w| w[0].ts <= w[1].ts), "time order");
        let c: Vec<_> = Story::new(3000, 8).collect();
        assert_ne!(a, c);
    }

    #[test]
    fn planted_incidents_are_present_once() {
        let events: Vec<_> = Story::new(3000, 7).collect();
        let action = |e: &StoryEvent| e.rec["action"].as_str().unwrap().to_owned();
        let burst = events
            .iter()
            .filter(|e| e.rec["actor"]["ip"] == "203.0.113.77")
            .count();
        assert_eq!(burst, 14);
        let unapproved = events
            .iter()
            .filter(|e| {
                action(e) == "model.approve"
                    && e.rec["model"]["id"] == "fraud-detector"
                    && e.rec["model"]["version"] == "4"
            })
            .count();
        assert_eq!(unapproved, 0);
        let prod4 = events
            .iter()
            .filter(|e| {
                action(e) == "model.deploy"
                    && e.rec["environment"] == "production"
                    && e.rec["model"]["version"] == "4"
            })
            .count();
        assert_eq!(prod4, 1);
        assert_eq!(
            events.iter().filter(|e| action(e) == "data.export").count(),
            1
        );
        assert_eq!(
            events
                .iter()
                .filter(|e| action(e) == "audit.config.change")
                .count(),
            1
        );
        let high_drift = events
            .iter()
            .filter(|e| {
                action(e) == "monitor.drift"
                    && e.rec["details"]["drift_score"].as_f64().unwrap()
                        > e.rec["details"]["threshold"].as_f64().unwrap()
            })
            .count();
        assert_eq!(high_drift, 1);
        // Every other production deployment has an earlier approval of the same version.
        for d in events
            .iter()
            .filter(|e| action(e) == "model.deploy" && e.rec["environment"] == "production")
        {
            let approved = events.iter().any(|a| {
                action(a) == "model.approve" && a.rec["model"] == d.rec["model"] && a.ts < d.ts
            });
            assert_eq!(
                approved,
                d.rec["model"]["version"] != "4" || d.rec["model"]["id"] != "fraud-detector",
                "{:?}",
                d.rec["model"]
            );
        }
        // No human reads secrets.
        assert!(
            events
                .iter()
                .filter(|e| action(e) == "secret.read")
                .all(|e| e.rec["actor"]["type"] == "service")
        );
    }

    #[test]
    fn large_stories_stream_in_order() {
        let mut n = 0u64;
        let mut last = None;
        for e in Story::new(50_000, 1) {
            if let Some(l) = last {
                assert!(e.ts >= l);
            }
            last = Some(e.ts);
            n += 1;
        }
        assert_eq!(n, 50_000);
    }
}
