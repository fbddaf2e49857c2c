//! Closed vocabularies of the event model (`spec/event-model.md`), parsed leniently at the
//! boundary and always written in their canonical lower-case spelling.

use serde::{Deserialize, Serialize};

macro_rules! vocabulary {
    ($(#[$doc:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "lowercase")]
        pub enum $name { $(#[doc = $text] $variant),+ }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The canonical spelling used in the index, the query language and JSON output.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

vocabulary!(
    /// What part of the ML platform an event concerns.
    Category {
        Data => "data", Feature => "feature", Training => "training",
        Evaluation => "evaluation", Registry => "registry", Deployment => "deployment",
        Inference => "inference", Monitoring => "monitoring", Access => "access",
        Security => "security", System => "system", Other => "other",
    }
);

vocabulary!(
    /// How important an event is, from `debug` to `critical`.
    Severity {
        Debug => "debug", Info => "info", Notice => "notice", Warning => "warning",
        Error => "error", Critical => "critical",
    }
);

vocabulary!(
    /// Whether the activity worked.
    Outcome { Success => "success", Failure => "failure", Denied => "denied", Unknown => "unknown" }
);

vocabulary!(
    /// The input format an event was read from (`stats` counts per format).
    Format {
        Native => "native", Generic => "generic", Cloudtrail => "cloudtrail",
        Sagemaker => "sagemaker", Kubernetes => "kubernetes", Openlineage => "openlineage",
        Ocsf => "ocsf", Mlflow => "mlflow", Bedrock => "bedrock", Gcp => "gcp",
        Azure => "azure", Databricks => "databricks",
    }
);

vocabulary!(
    /// How trustworthy the event's timestamp is.
    TsQuality {
        Exact => "exact", Zoneless => "zoneless", Missing => "missing", Invalid => "invalid",
    }
);

impl Category {
    /// Lenient parse: canonical names, case-insensitive; `None` for anything else.
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim().to_ascii_lowercase();
        Self::ALL.iter().copied().find(|c| c.as_str() == s)
    }

    /// The category an action of the vocabulary belongs to (by its dotted prefix).
    pub(crate) fn for_action(action: &str) -> Self {
        let head = action.split('.').next().unwrap_or_default();
        match head {
            "data" | "dataset" | "s3" => Self::Data,
            "feature" => Self::Feature,
            "inference" | "predict" => Self::Inference,
            "monitor" => Self::Monitoring,
            "auth" | "access" | "api" | "experiment" | "login" | "user" => Self::Access,
            "secret" | "audit" | "security" => Self::Security,
            "system" | "infra" => Self::System,
            "deploy" | "endpoint" => Self::Deployment,
            "run" | "training" => Self::Training,
            "model" => Self::for_model_action(action),
            _ => Self::Other,
        }
    }

    fn for_model_action(action: &str) -> Self {
        let rest = action.strip_prefix("model.").unwrap_or_default();
        let verb = rest.split('.').next().unwrap_or_default();
        match verb {
            "train" | "tune" => Self::Training,
            "evaluate" | "validate" => Self::Evaluation,
            "register" | "approve" | "reject" | "promote" | "version" => Self::Registry,
            "deploy" | "rollback" | "decommission" => Self::Deployment,
            "retrain" => Self::Monitoring,
            _ => Self::Other,
        }
    }
}

impl Severity {
    /// Lenient parse of the many spellings seen in logs (`WARN`, `err`, `fatal`, syslog numbers).
    pub fn parse(s: &str) -> Option<Self> {
        let lower = s.trim().to_ascii_lowercase();
        Some(match lower.as_str() {
            "debug" | "trace" | "verbose" | "7" => Self::Debug,
            "info" | "informational" | "information" | "6" | "low" => Self::Info,
            "notice" | "5" => Self::Notice,
            "warning" | "warn" | "4" | "medium" => Self::Warning,
            "error" | "err" | "3" | "high" => Self::Error,
            "critical" | "crit" | "fatal" | "alert" | "emergency" | "emerg" | "panic" | "2"
            | "1" | "0" => Self::Critical,
            _ => return None,
        })
    }
}

impl Outcome {
    /// Lenient parse (`ok`, `succeeded`, `FAILED`, `AccessDenied`, ...).
    pub fn parse(s: &str) -> Option<Self> {
        let lower = s.trim().to_ascii_lowercase();
        Some(match lower.as_str() {
            "success" | "succeeded" | "successful" | "ok" | "complete" | "completed" | "allow"
            | "allowed" | "pass" | "passed" | "true" => Self::Success,
            "failure" | "failed" | "fail" | "error" | "aborted" | "abort" | "false" => {
                Self::Failure
            }
            "denied" | "deny" | "forbidden" | "unauthorized" | "rejected" => Self::Denied,
            "unknown" | "" => Self::Unknown,
            other if other.starts_with("accessdenied") => Self::Denied,
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn categories_follow_the_action_vocabulary() {
        let cases = [
            ("data.ingest", Category::Data),
            ("feature.select", Category::Feature),
            ("model.train.start", Category::Training),
            ("model.tune", Category::Training),
            ("model.evaluate", Category::Evaluation),
            ("model.approve", Category::Registry),
            ("model.deploy", Category::Deployment),
            ("deploy.config.change", Category::Deployment),
            ("inference.predict", Category::Inference),
            ("monitor.drift", Category::Monitoring),
            ("model.retrain.trigger", Category::Monitoring),
            ("auth.login", Category::Access),
            ("experiment.create", Category::Access),
            ("audit.config.change", Category::Security),
            ("infra.change", Category::System),
            ("something.else", Category::Other),
        ];
        for (action, want) in cases {
            assert_eq!(Category::for_action(action), want, "{action}");
        }
    }

    #[test]
    fn lenient_spellings() {
        assert_eq!(Severity::parse("WARN"), Some(Severity::Warning));
        assert_eq!(Severity::parse("Fatal"), Some(Severity::Critical));
        assert_eq!(Severity::parse("bogus"), None);
        assert_eq!(
            Outcome::parse("AccessDeniedException"),
            Some(Outcome::Denied)
        );
        assert_eq!(Outcome::parse("COMPLETE"), Some(Outcome::Success));
        assert_eq!(Category::parse(" Training "), Some(Category::Training));
        assert_eq!(Category::parse("nope"), None);
    }
}
