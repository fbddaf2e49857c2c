//! Control catalogs: a standard's controls, each a list of checks, with the parameters the
//! checks use. Five are embedded from `assets/controls/*.json`; a file
//! `<config>/controls/NAME.json` adds a standard or replaces the shipped one.

use std::path::Path;

use serde::Deserialize;

/// The shipped catalogs: (command-line name, JSON text).
pub const CATALOGS: &[(&str, &str)] = &[
    (
        "eu-ai-act",
        include_str!("../../assets/controls/eu-ai-act.json"),
    ),
    (
        "iso42001",
        include_str!("../../assets/controls/iso42001.json"),
    ),
    ("soc2", include_str!("../../assets/controls/soc2.json")),
    ("gdpr", include_str!("../../assets/controls/gdpr.json")),
    (
        "nist-ai-rmf",
        include_str!("../../assets/controls/nist-ai-rmf.json"),
    ),
];

/// The lifecycle stages, in order, with the event category each maps to.
pub const STAGES: &[(&str, &str)] = &[
    ("data", "data"),
    ("features", "feature"),
    ("training", "training"),
    ("evaluation", "evaluation"),
    ("registry", "registry"),
    ("deployment", "deployment"),
    ("inference", "inference"),
    ("monitoring", "monitoring"),
    ("access", "access"),
];

/// What a check looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckKind {
    /// Which lifecycle stages have events, per model.
    Lifecycle,
    /// Gaps per stream; periods with audit logging disabled.
    Continuity,
    /// The period the export covers against the period required.
    Retention,
    /// Production deployments approved first, with a complete lineage.
    Deployments,
    /// Reads and exports of personal data by actor and role.
    PersonalData,
    /// Monitoring breaches and what followed them.
    Monitoring,
    /// The verify verdict and its findings.
    Integrity,
    /// What the alert rules raised.
    Alerts,
}

impl CheckKind {
    /// Every kind, in report order.
    pub const ALL: [Self; 8] = [
        Self::Lifecycle,
        Self::Continuity,
        Self::Retention,
        Self::Deployments,
        Self::PersonalData,
        Self::Monitoring,
        Self::Integrity,
        Self::Alerts,
    ];

    /// The check id in reports.
    pub fn id(self) -> &'static str {
        match self {
            Self::Lifecycle => "lifecycle-coverage",
            Self::Continuity => "logging-continuity",
            Self::Retention => "retention",
            Self::Deployments => "deployments",
            Self::PersonalData => "personal-data",
            Self::Monitoring => "monitoring-follow-up",
            Self::Integrity => "integrity",
            Self::Alerts => "alerts",
        }
    }

    /// The default title.
    pub fn title(self) -> &'static str {
        match self {
            Self::Lifecycle => "Every lifecycle stage of every model has events",
            Self::Continuity => "Logging is continuous and was never switched off",
            Self::Retention => "The logs cover the period required",
            Self::Deployments => {
                "Production deployments were approved first and have a complete lineage"
            }
            Self::PersonalData => "Personal data is read and exported only by the roles allowed",
            Self::Monitoring => "Monitoring breaches were followed up in time",
            Self::Integrity => "The logs pass integrity verification",
            Self::Alerts => "Alerts raised by the rules, with their evidence",
        }
    }
}

/// One check of a control.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckDef {
    /// Which check.
    pub check: CheckKind,
    /// Title shown instead of the default.
    #[serde(default)]
    pub title: Option<String>,
    /// Alerts only: the rule ids that bear on the control (empty: every rule).
    #[serde(default)]
    pub rules: Vec<String>,
}

/// One control of a standard.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ControlDef {
    /// Control id as the standard numbers it (`Art. 12`, `A.6.2.8`, `CC7.2`).
    pub id: String,
    /// Short title.
    pub title: String,
    /// What the standard asks, in a sentence.
    #[serde(default)]
    pub text: String,
    /// The checks evidencing it.
    pub checks: Vec<CheckDef>,
}

/// Parameters of the checks.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    /// Days of logs required (six months: 183).
    pub retention_days: u32,
    /// A silence in a stream longer than this many hours is a gap...
    pub gap_hours: f64,
    /// ...when it is also longer than this many times the stream's average interval (so
    /// a batch stream is judged by its own rhythm).
    pub gap_factor: f64,
    /// Hours within which a monitoring breach must be followed up.
    pub followup_hours: f64,
    /// Error rate above which a `monitor.metric` is a breach.
    pub error_rate_max: f64,
    /// The tag marking personal data.
    pub personal_tag: String,
    /// Roles allowed to read or export personal data.
    pub allowed_roles: Vec<String>,
    /// Actor types allowed to (services).
    pub allowed_actor_types: Vec<String>,
    /// The environment that counts as production.
    pub production: String,
    /// The lifecycle stages required (names of [`STAGES`]).
    pub stages: Vec<String>,
}

impl Default for Params {
    fn default() -> Self {
        Self {
            retention_days: 183,
            gap_hours: 6.0,
            gap_factor: 20.0,
            followup_hours: 24.0,
            error_rate_max: 0.05,
            personal_tag: "pii".to_owned(),
            allowed_roles: ["data-engineer", "data-steward", "privacy-officer", "dpo"]
                .map(str::to_owned)
                .to_vec(),
            allowed_actor_types: vec!["service".to_owned()],
            production: "production".to_owned(),
            stages: STAGES.iter().map(|(s, _)| (*s).to_owned()).collect(),
        }
    }
}

/// A standard's control catalog.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Catalog {
    /// Command-line name (`eu-ai-act`).
    pub id: String,
    /// Full name of the standard.
    pub title: String,
    /// Check parameters.
    #[serde(default)]
    pub params: Params,
    /// The controls.
    pub controls: Vec<ControlDef>,
}

fn names(list: &[(&str, &str)]) -> String {
    list.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
}

/// Why a control catalog could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    /// The user's catalog file could not be read.
    #[error("reading {}: {source}", .path.display())]
    Read {
        /// The file.
        path: std::path::PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// Not the JSON shape of a catalog.
    #[error("{origin}: {source}")]
    Syntax {
        /// The file.
        origin: String,
        /// What the parser found.
        source: serde_json::Error,
    },
    /// A catalog without controls.
    #[error("{0}: no controls")]
    NoControls(String),
    /// A lifecycle stage the checks do not know.
    #[error("{origin}: unknown stage {stage:?} (known: {})", names(STAGES))]
    UnknownStage {
        /// The file.
        origin: String,
        /// The stage named.
        stage: String,
    },
    /// Thresholds out of range.
    #[error("{0}: gap_hours must be positive and followup_hours not negative")]
    Params(String),
    /// No catalog of that name.
    #[error("unknown standard {:?} (known: {})", crate::model::escape_control(.0), names(CATALOGS))]
    UnknownStandard(String),
}

impl Catalog {
    /// Parses a catalog, checking its stages and that it has controls.
    pub fn parse(text: &str, origin: &str) -> Result<Self, CatalogError> {
        let origin = || origin.to_owned();
        let c: Self = serde_json::from_str(text).map_err(|source| CatalogError::Syntax {
            origin: origin(),
            source,
        })?;
        if c.controls.is_empty() {
            return Err(CatalogError::NoControls(origin()));
        }
        if let Some(s) = c
            .params
            .stages
            .iter()
            .find(|s| !STAGES.iter().any(|(n, _)| n == *s))
        {
            return Err(CatalogError::UnknownStage {
                origin: origin(),
                stage: s.clone(),
            });
        }
        if !(c.params.gap_hours > 0.0 && c.params.followup_hours >= 0.0) {
            return Err(CatalogError::Params(origin()));
        }
        Ok(c)
    }

    /// The catalog named `name`: `<config_dir>/controls/NAME.json` when it exists, else the
    /// shipped one.
    pub fn load(name: &str, config_dir: Option<&Path>) -> Result<Self, CatalogError> {
        let valid = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if valid && let Some(dir) = config_dir {
            let p = dir.join("controls").join(format!("{name}.json"));
            if p.exists() {
                let text = std::fs::read_to_string(&p).map_err(|source| CatalogError::Read {
                    path: p.clone(),
                    source,
                })?;
                return Self::parse(&text, &p.display().to_string());
            }
        }
        match CATALOGS.iter().find(|(n, _)| *n == name) {
            Some((n, text)) => Self::parse(text, &format!("assets/controls/{n}.json")),
            None => Err(CatalogError::UnknownStandard(name.to_owned())),
        }
    }

    /// The check kinds any control uses.
    pub fn kinds(&self) -> Vec<CheckKind> {
        CheckKind::ALL
            .into_iter()
            .filter(|k| {
                self.controls
                    .iter()
                    .any(|c| c.checks.iter().any(|d| d.check == *k))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shipped_catalog_parses_and_is_named_after_its_file() {
        for (name, text) in CATALOGS {
            let c = Catalog::parse(text, name).unwrap();
            assert_eq!(c.id, *name);
            assert!(c.kinds().contains(&CheckKind::Retention), "{name}");
            assert_eq!(c.params.retention_days, 183, "{name}");
        }
    }

    #[test]
    fn a_user_catalog_replaces_the_shipped_one_and_bad_ones_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("controls")).unwrap();
        std::fs::write(
            dir.path().join("controls/soc2.json"),
            r#"{"id":"soc2","title":"mine","controls":[{"id":"X","title":"x","checks":[{"check":"retention"}]}]}"#,
        )
        .unwrap();
        let c = Catalog::load("soc2", Some(dir.path())).unwrap();
        assert_eq!(c.title, "mine");
        assert_eq!(c.kinds(), vec![CheckKind::Retention]);
        assert!(Catalog::load("nope", Some(dir.path())).is_err());
        assert!(Catalog::load("../soc2", Some(dir.path())).is_err());
        let bad = r#"{"id":"x","title":"x","params":{"stages":["dreaming"]},"controls":[{"id":"X","title":"x","checks":[]}]}"#;
        assert!(
            matches!(Catalog::parse(bad, "bad"), Err(CatalogError::UnknownStage { stage, .. }) if stage == "dreaming")
        );
        assert!(Catalog::parse(r#"{"id":"x","title":"x","controls":[]}"#, "e").is_err());
    }
}
