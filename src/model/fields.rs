//! The event fields as the query language names them, each with its kind: the one table
//! that the index schema, the remote mapping, the alert rules' field reader, the
//! explorer's completion and the help texts take their names from.

/// How a field is searched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    /// Exact terms (`actor.id:alice`), one per value.
    Keyword,
    /// Full text: words and phrases.
    Text,
    /// A number: exact values and ranges.
    Number,
    /// A time: RFC 3339 ranges.
    Time,
    /// A JSON object searched by path (`details.<path>`).
    Json,
}

/// One field of the query language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldDef {
    /// Its query name.
    pub name: &'static str,
    /// How it is searched.
    pub kind: FieldKind,
    /// What it holds (help texts).
    pub about: &'static str,
    /// Several values per event (one term each); a field reader joins them with commas.
    pub many: bool,
    /// Its values form a closed vocabulary (an enum of the model), offered as they are;
    /// open-ended values are learned from the results seen.
    pub closed: bool,
}

/// The event time.
pub const TS: &str = "ts";
/// Native sequence number.
pub const SEQ: &str = "seq";
/// 1-based line of the record in its file.
pub const LINE: &str = "line";
/// Free text of the summary.
pub const MESSAGE: &str = "message";
/// The original record (its values, not its field names).
pub const RAW: &str = "raw";
/// `details.<path>`.
pub const DETAILS: &str = "details";

/// Dotted verb.
pub const ACTION: &str = "action";
/// Lifecycle category.
pub const CATEGORY: &str = "category";
/// Severity.
pub const SEVERITY: &str = "severity";
/// Outcome.
pub const OUTCOME: &str = "outcome";
/// Who acted.
pub const ACTOR_ID: &str = "actor.id";
/// Actor kind.
pub const ACTOR_TYPE: &str = "actor.type";
/// Actor address.
pub const ACTOR_IP: &str = "actor.ip";
/// Actor roles (several).
pub const ACTOR_ROLES: &str = "actor.roles";
/// Actor session.
pub const ACTOR_SESSION: &str = "actor.session";
/// Resource kind.
pub const RESOURCE_TYPE: &str = "resource.type";
/// Resource id.
pub const RESOURCE_ID: &str = "resource.id";
/// Resource name.
pub const RESOURCE_NAME: &str = "resource.name";
/// Resource version.
pub const RESOURCE_VERSION: &str = "resource.version";
/// Resource tags (several).
pub const RESOURCE_TAGS: &str = "resource.tags";
/// Model id.
pub const MODEL_ID: &str = "model.id";
/// Model version.
pub const MODEL_VERSION: &str = "model.version";
/// Lineage inputs (several).
pub const INPUTS_ID: &str = "inputs.id";
/// Lineage outputs (several).
pub const OUTPUTS_ID: &str = "outputs.id";
/// Run.
pub const RUN_ID: &str = "run_id";
/// Enclosing run.
pub const PARENT_RUN_ID: &str = "parent_run_id";
/// Request or trace id.
pub const CORRELATION_ID: &str = "correlation_id";
/// Deployment environment.
pub const ENVIRONMENT: &str = "environment";
/// Producing system.
pub const SOURCE: &str = "source";
/// Native stream.
pub const STREAM: &str = "stream";
/// Input format.
pub const FORMAT: &str = "format";
/// File read from.
pub const PATH: &str = "path";
/// How good the event time is.
pub const TS_QUALITY: &str = "ts_quality";
/// Integrity status of the record.
pub const INTEGRITY: &str = "integrity";

const fn field(name: &'static str, kind: FieldKind, about: &'static str) -> FieldDef {
    FieldDef {
        name,
        kind,
        about,
        many: false,
        closed: false,
    }
}

const fn keyword(name: &'static str, about: &'static str) -> FieldDef {
    field(name, FieldKind::Keyword, about)
}

const fn keywords(name: &'static str, about: &'static str) -> FieldDef {
    FieldDef {
        many: true,
        ..keyword(name, about)
    }
}

const fn vocabulary(name: &'static str, about: &'static str) -> FieldDef {
    FieldDef {
        closed: true,
        ..keyword(name, about)
    }
}

/// The fields of the query language that are not keywords.
pub const SCALARS: &[FieldDef] = &[
    field(TS, FieldKind::Time, "event time (RFC 3339 ranges)"),
    field(SEQ, FieldKind::Number, "native sequence number"),
    field(LINE, FieldKind::Number, "line in its file"),
    field(MESSAGE, FieldKind::Text, "summary text"),
    field(RAW, FieldKind::Text, "the values of the original record"),
    field(
        DETAILS,
        FieldKind::Json,
        "details.<path>: the adapter's details",
    ),
];

/// The keyword fields (exact match), in the index's order.
pub const KEYWORDS: &[FieldDef] = &[
    keyword(ACTION, "dotted verb, e.g. model.deploy"),
    vocabulary(
        CATEGORY,
        "data, feature, training, evaluation, registry, deployment, inference, monitoring, access, security, system, other",
    ),
    vocabulary(SEVERITY, "debug, info, notice, warning, error, critical"),
    vocabulary(OUTCOME, "success, failure, denied, unknown"),
    keyword(ACTOR_ID, "who: user name, ARN, service account"),
    keyword(ACTOR_TYPE, "user, service, system"),
    keyword(ACTOR_IP, "source address or host name"),
    keywords(ACTOR_ROLES, "roles or groups (one term each)"),
    keyword(ACTOR_SESSION, "session id"),
    keyword(RESOURCE_TYPE, "dataset, model_version, deployment, ..."),
    keyword(RESOURCE_ID, "resource identifier"),
    keyword(RESOURCE_NAME, "resource display name"),
    keyword(RESOURCE_VERSION, "resource version"),
    keywords(RESOURCE_TAGS, "tags such as pii (one term each)"),
    keyword(MODEL_ID, "model concerned"),
    keyword(MODEL_VERSION, "model version concerned"),
    keywords(INPUTS_ID, "lineage inputs (ids)"),
    keywords(OUTPUTS_ID, "lineage outputs (ids)"),
    keyword(RUN_ID, "training / pipeline / job run"),
    keyword(PARENT_RUN_ID, "enclosing run"),
    keyword(CORRELATION_ID, "request or trace id"),
    keyword(ENVIRONMENT, "dev, staging, production, ..."),
    keyword(SOURCE, "producing system"),
    keyword(STREAM, "stream id (native bundles)"),
    vocabulary(FORMAT, "input format: native, generic, cloudtrail, ..."),
    keyword(PATH, "file the event was read from"),
    vocabulary(TS_QUALITY, "exact, zoneless, missing, invalid"),
    vocabulary(
        INTEGRITY,
        "record status: verified, modified, unverified, ...",
    ),
];

/// Every field of the query language: the scalars, then the keywords.
pub fn fields() -> impl Iterator<Item = &'static FieldDef> {
    SCALARS.iter().chain(KEYWORDS)
}

/// The keyword field named `name`.
pub(crate) fn keyword_def(name: &str) -> Option<&'static FieldDef> {
    KEYWORDS.iter().find(|f| f.name == name)
}

/// Every name a query may use, for help texts and error messages.
pub(crate) fn query_field_names() -> Vec<&'static str> {
    fields()
        .map(|f| {
            if f.kind == FieldKind::Json {
                "details.<path>"
            } else {
                f.name
            }
        })
        .collect()
}

/// The position of keyword field `name` among the keyword fields; usable in constants, so
/// that the indexer resolves names once, at compile time, not about twenty times per event.
///
/// # Panics
/// When `name` is not a keyword field (names are constants of this crate).
pub const fn keyword_index(name: &str) -> usize {
    let mut i = 0;
    while i < KEYWORDS.len() {
        if same_bytes(KEYWORDS[i].name.as_bytes(), name.as_bytes()) {
            return i;
        }
        i += 1;
    }
    panic!("invariant: keyword names are constants");
}

const fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_kinds_follow_the_tables() {
        let all: Vec<&FieldDef> = fields().collect();
        for (i, f) in all.iter().enumerate() {
            assert!(
                all[..i].iter().all(|g| g.name != f.name),
                "{} twice",
                f.name
            );
        }
        assert!(SCALARS.iter().all(|f| f.kind != FieldKind::Keyword));
        assert!(KEYWORDS.iter().all(|f| f.kind == FieldKind::Keyword));
        for (k, f) in KEYWORDS.iter().enumerate() {
            assert_eq!(keyword_index(f.name), k);
        }
        assert!(keyword_def(ACTOR_ROLES).is_some_and(|f| f.many));
        assert!(keyword_def(SEVERITY).is_some_and(|f| f.closed));
        assert!(keyword_def(MESSAGE).is_none() && keyword_def("nosuch").is_none());
        assert!(query_field_names().contains(&"details.<path>"));
    }
}
