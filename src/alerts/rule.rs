//! Rule definitions: the JSON rules file, checked and turned into typed [`Rule`]s.
//!
//! A rules file is `{"replace_defaults": false, "disable": ["id", ...], "rules": [...]}`
//! (every key optional). Each rule has `id`, `title`, `severity`, `why`, `kind`, `query`
//! and the fields of its kind; unknown keys are refused, so a typo never silently
//! disables a rule.

use std::collections::HashSet;

use chrono::TimeDelta;
use serde::Deserialize;
use serde_json::Value;

use super::field::is_known_field;
use crate::model::Severity;

/// The default rules (embedded `assets/rules.json`).
pub const DEFAULT_RULES: &str = include_str!("../../assets/rules.json");

/// A rules file or rule that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{context}: {problem}")]
pub struct RuleError {
    /// Where: the file, and the rule id or position.
    pub context: String,
    /// What is wrong.
    pub problem: RuleProblem,
}

impl RuleError {
    fn new(context: impl Into<String>, problem: RuleProblem) -> Self {
        Self {
            context: context.into(),
            problem,
        }
    }
}

/// What is wrong with a rules file or one of its rules.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleProblem {
    /// Not the JSON of a rules file.
    #[error("not a rules file (line {line}): {reason}")]
    NotARulesFile {
        /// Line of the file.
        line: usize,
        /// What the parser found.
        reason: String,
    },
    /// `disable` names a rule that does not exist.
    #[error("`disable` names `{0}`, which is not a known rule")]
    UnknownDisabled(String),
    /// A rule that is not the JSON shape of a rule (unknown key, wrong type).
    #[error("{0}")]
    Shape(String),
    /// Two rules of one file share an id.
    #[error("the id is used twice in this file")]
    DuplicateId,
    /// An empty or spaced id.
    #[error("`id` must be a non-empty word without spaces")]
    BadId,
    /// An unknown severity.
    #[error("`severity` is `{0}`; use debug, info, notice, warning, error or critical")]
    UnknownSeverity(String),
    /// An empty query.
    #[error("`query` is empty (use `*` for every event)")]
    EmptyQuery,
    /// Both grouping keys.
    #[error("give `group_by` or `group_by_any`, not both")]
    BothGroupBy,
    /// A list or text that must not be empty is.
    #[error("`{0}` is empty")]
    Empty(&'static str),
    /// A field list names something that is not a field.
    #[error(
        "`{key}` names `{field}`, which is not a field (use e.g. actor.id, actor.ip, model.id, model.version, details.<path>)"
    )]
    NotAField {
        /// The rule key.
        key: &'static str,
        /// The name given.
        field: String,
    },
    /// A duration that does not parse or is not positive.
    #[error("`{key}` is `{value}`; write a positive number with ms, s, m, h or d (e.g. 10m)")]
    BadDuration {
        /// The rule key.
        key: &'static str,
        /// The text given.
        value: String,
    },
    /// A key the rule's kind needs is missing.
    #[error("{} {kind} rule needs {what}", if kind.starts_with('a') { "an" } else { "a" })]
    Needs {
        /// The kind of rule.
        kind: &'static str,
        /// What it needs.
        what: &'static str,
    },
    /// A numeric rule's field outside `details`.
    #[error("`{key}` is `{value}`; it must be details.<path>")]
    NotDetails {
        /// The rule key.
        key: &'static str,
        /// The name given.
        value: String,
    },
    /// An unknown comparison.
    #[error("`op` is `{0}`; use gt, gte, lt or lte")]
    UnknownOp(String),
    /// A threshold of zero events.
    #[error("`count` must be at least 1")]
    ZeroCount,
    /// A rate rule's baseline out of range.
    #[error("`baseline` must be between 1 and 100000 buckets")]
    BaselineRange,
    /// A rate rule's z that is not a positive number.
    #[error("`z` must be a positive number")]
    BadZ,
    /// An unknown kind.
    #[error("`kind` is `{0}`; use match, threshold, absence, numeric, rate or role_policy")]
    UnknownKind(String),
    /// A key given that the rule's kind does not take.
    #[error("`{key}` does not apply to a {kind} rule")]
    NotApplicable {
        /// The key.
        key: &'static str,
        /// The kind of rule.
        kind: &'static str,
    },
}

/// How a numeric rule compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareOp {
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `<`
    Lt,
    /// `<=`
    Le,
}

impl CompareOp {
    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "gt" | ">" => Self::Gt,
            "gte" | "ge" | ">=" => Self::Ge,
            "lt" | "<" => Self::Lt,
            "lte" | "le" | "<=" => Self::Le,
            _ => return None,
        })
    }

    /// The operator as written in alert details.
    pub fn symbol(self) -> &'static str {
        match self {
            Self::Gt => ">",
            Self::Ge => ">=",
            Self::Lt => "<",
            Self::Le => "<=",
        }
    }

    /// `a op b`.
    pub fn holds(self, a: f64, b: f64) -> bool {
        match self {
            Self::Gt => a > b,
            Self::Ge => a >= b,
            Self::Lt => a < b,
            Self::Le => a <= b,
        }
    }
}

/// What a numeric rule compares its field with.
#[derive(Debug, Clone, PartialEq)]
pub enum Threshold {
    /// A constant.
    Value(f64),
    /// Another `details.*` field of the same event.
    Field(String),
}

/// The kinds of rule and their parameters.
#[derive(Debug, Clone, PartialEq)]
pub enum RuleKind {
    /// Every matching event is an alert (events of one key close in time are merged into
    /// one alert when `merge` is set).
    Match,
    /// At least `count` matching events of one key within `window`.
    Threshold {
        /// Events needed.
        count: usize,
        /// Longest span from the first to the last of them (inclusive).
        window: TimeDelta,
    },
    /// A matching event with no earlier event of the `without` query of the same key
    /// within `window` (any time earlier when `None`).
    Absence {
        /// The query of the event that must come first.
        without: String,
        /// Fields that must be equal in both events.
        key: Vec<String>,
        /// How much earlier it may be.
        window: Option<TimeDelta>,
    },
    /// A `details.*` number compared with a constant or another field.
    Numeric {
        /// `details.<path>`.
        field: String,
        /// Comparison.
        op: CompareOp,
        /// Right-hand side.
        than: Threshold,
    },
    /// The count of matching events per time bucket far above its trailing baseline
    /// (robust z-score from the median and the median absolute deviation).
    Rate {
        /// Bucket length.
        bucket: TimeDelta,
        /// Trailing buckets in the baseline.
        baseline: usize,
        /// Robust z-score at or above which a bucket is anomalous.
        z: f64,
        /// Fewest events in a bucket for an alert.
        min_count: u64,
    },
    /// A matching event on a resource tagged `tag` by an actor holding none of the
    /// allowed roles (and not of an allowed actor type).
    RolePolicy {
        /// Resource tag, compared case-insensitively.
        tag: String,
        /// Roles allowed.
        allow_roles: Vec<String>,
        /// Actor types allowed whatever their roles (e.g. `service`).
        allow_actor_types: Vec<String>,
    },
}

impl RuleKind {
    /// The kind's name in the rules file.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Match => "match",
            Self::Threshold { .. } => "threshold",
            Self::Absence { .. } => "absence",
            Self::Numeric { .. } => "numeric",
            Self::Rate { .. } => "rate",
            Self::RolePolicy { .. } => "role_policy",
        }
    }
}

/// One checked rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    /// Stable identifier (`failed-logins`).
    pub id: String,
    /// One-line title.
    pub title: String,
    /// Severity of its alerts.
    pub severity: Severity,
    /// Why it matters, in a sentence.
    pub why: String,
    /// Query (query language) selecting the events the rule looks at.
    pub query: String,
    /// Grouping: alternative keys, each a list of fields. Empty: one group for all.
    /// With several alternatives, events are counted per each and overlapping alerts
    /// are merged into one.
    pub group_by: Vec<Vec<String>>,
    /// For per-event kinds: merge events of the same key at most this far apart into one
    /// alert.
    pub merge: Option<TimeDelta>,
    /// Kind and parameters.
    pub kind: RuleKind,
}

/// Rules to evaluate.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RuleSet {
    /// In file order (defaults first).
    pub rules: Vec<Rule>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    replace_defaults: bool,
    #[serde(default)]
    disable: Vec<String>,
    #[serde(default)]
    rules: Vec<Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    id: String,
    title: String,
    severity: String,
    #[serde(default)]
    why: String,
    kind: String,
    query: String,
    group_by: Option<StrOrList>,
    group_by_any: Option<Vec<StrOrList>>,
    window: Option<String>,
    merge_within: Option<String>,
    count: Option<usize>,
    without: Option<String>,
    key: Option<StrOrList>,
    field: Option<String>,
    op: Option<String>,
    value: Option<f64>,
    than_field: Option<String>,
    bucket: Option<String>,
    baseline: Option<usize>,
    z: Option<f64>,
    min_count: Option<u64>,
    tag: Option<String>,
    allow_roles: Option<Vec<String>>,
    allow_actor_types: Option<Vec<String>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
enum StrOrList {
    One(String),
    Many(Vec<String>),
}

impl StrOrList {
    fn into_vec(self) -> Vec<String> {
        match self {
            Self::One(s) => vec![s],
            Self::Many(v) => v,
        }
    }
}

/// Parses a duration such as `90s`, `10m`, `2h`, `30d` or `500ms`.
pub(crate) fn parse_duration(s: &str) -> Option<TimeDelta> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit())?;
    let (num, unit) = s.split_at(split);
    let n: i64 = num.parse().ok()?;
    let d = match unit.trim() {
        "ms" => TimeDelta::try_milliseconds(n),
        "s" => TimeDelta::try_seconds(n),
        "m" => TimeDelta::try_minutes(n),
        "h" => TimeDelta::try_hours(n),
        "d" => TimeDelta::try_days(n),
        _ => None,
    }?;
    (d > TimeDelta::zero()).then_some(d)
}

impl RuleSet {
    /// The default rules.
    pub fn defaults() -> Result<Self, RuleError> {
        Self::default().extended(DEFAULT_RULES, "default rules (assets/rules.json)")
    }

    /// The defaults, extended (or replaced) by the user file's text when given.
    pub fn load(user: Option<(&str, &str)>) -> Result<Self, RuleError> {
        let defaults = Self::defaults()?;
        match user {
            None => Ok(defaults),
            Some((text, name)) => defaults.extended(text, name),
        }
    }

    /// These rules extended by a rules file: its `replace_defaults` drops every rule so
    /// far, `disable` drops the named ones, and a rule with an id already present
    /// replaces it.
    pub fn extended(mut self, text: &str, name: &str) -> Result<Self, RuleError> {
        let raw: RawFile = serde_json::from_str(text).map_err(|e| {
            RuleError::new(
                name,
                RuleProblem::NotARulesFile {
                    line: e.line(),
                    reason: e.to_string(),
                },
            )
        })?;
        if raw.replace_defaults {
            self.rules.clear();
        }
        for id in &raw.disable {
            let before = self.rules.len();
            self.rules.retain(|r| &r.id != id);
            if self.rules.len() == before {
                return Err(RuleError::new(
                    name,
                    RuleProblem::UnknownDisabled(id.clone()),
                ));
            }
        }
        let mut seen = HashSet::new();
        for (i, v) in raw.rules.into_iter().enumerate() {
            let label = v
                .get("id")
                .and_then(Value::as_str)
                .map_or_else(|| format!("rule #{}", i + 1), |id| format!("rule `{id}`"));
            let ctx = format!("{name}, {label}");
            let r: RawRule = serde_json::from_value(v)
                .map_err(|e| RuleError::new(&ctx, RuleProblem::Shape(e.to_string())))?;
            let rule = check(r).map_err(|m| RuleError::new(&ctx, m))?;
            if !seen.insert(rule.id.clone()) {
                return Err(RuleError::new(&ctx, RuleProblem::DuplicateId));
            }
            if let Some(slot) = self.rules.iter_mut().find(|x| x.id == rule.id) {
                *slot = rule;
            } else {
                self.rules.push(rule);
            }
        }
        Ok(self)
    }

    /// The rule with this id.
    pub fn get(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.id == id)
    }
}

fn fields(list: Vec<String>, what: &'static str) -> Result<Vec<String>, RuleProblem> {
    if list.is_empty() {
        return Err(RuleProblem::Empty(what));
    }
    for f in &list {
        if !is_known_field(f) {
            return Err(RuleProblem::NotAField {
                key: what,
                field: f.clone(),
            });
        }
    }
    Ok(list)
}

fn duration(s: Option<&String>, what: &'static str) -> Result<Option<TimeDelta>, RuleProblem> {
    s.map(|s| {
        parse_duration(s).ok_or_else(|| RuleProblem::BadDuration {
            key: what,
            value: s.clone(),
        })
    })
    .transpose()
}

/// A numeric rule's parameters.
fn parse_numeric(r: &RawRule) -> Result<(RuleKind, &'static [&'static str]), RuleProblem> {
    let needs = |what| RuleProblem::Needs {
        kind: "numeric",
        what,
    };
    let field = r.field.clone().ok_or(needs("`field`"))?;
    if !field.starts_with("details.") || !is_known_field(&field) {
        return Err(RuleProblem::NotDetails {
            key: "field",
            value: field,
        });
    }
    let op = r.op.as_deref().ok_or(needs("`op`"))?;
    let op = CompareOp::parse(op).ok_or_else(|| RuleProblem::UnknownOp(op.to_owned()))?;
    let than = match (r.value, r.than_field.clone()) {
        (Some(v), None) if v.is_finite() => Threshold::Value(v),
        (None, Some(f)) if f.starts_with("details.") && is_known_field(&f) => Threshold::Field(f),
        (None, Some(f)) => {
            return Err(RuleProblem::NotDetails {
                key: "than_field",
                value: f,
            });
        }
        _ => return Err(needs("either `value` or `than_field`")),
    };
    Ok((
        RuleKind::Numeric { field, op, than },
        &[
            "field",
            "op",
            "value",
            "than_field",
            "group_by",
            "merge_within",
        ],
    ))
}

/// The kind and its parameters, and which optional keys the kind takes.
fn parse_kind(
    r: &RawRule,
    window: Option<TimeDelta>,
) -> Result<(RuleKind, &'static [&'static str]), RuleProblem> {
    let needs = |kind, what| RuleProblem::Needs { kind, what };
    Ok(match r.kind.as_str() {
        "match" => (RuleKind::Match, &["group_by", "merge_within"]),
        "threshold" => {
            let count = r.count.ok_or(needs("threshold", "`count`"))?;
            if count == 0 {
                return Err(RuleProblem::ZeroCount);
            }
            let window = window.ok_or(needs("threshold", "`window` (e.g. 10m)"))?;
            (
                RuleKind::Threshold { count, window },
                &["group_by", "group_by_any", "count", "window"],
            )
        }
        "absence" => {
            let without = r.without.clone().ok_or(needs("absence", "`without`"))?;
            if without.trim().is_empty() {
                return Err(RuleProblem::Empty("without"));
            }
            let key = fields(
                r.key.clone().ok_or(needs("absence", "`key`"))?.into_vec(),
                "key",
            )?;
            (
                RuleKind::Absence {
                    without,
                    key,
                    window,
                },
                &["without", "key", "window", "merge_within", "group_by"],
            )
        }
        "numeric" => parse_numeric(r)?,
        "rate" => {
            let bucket = duration(r.bucket.as_ref(), "bucket")?
                .ok_or(needs("rate", "`bucket` (e.g. 1h)"))?;
            let baseline = r.baseline.unwrap_or(24);
            if !(1..=100_000).contains(&baseline) {
                return Err(RuleProblem::BaselineRange);
            }
            let z = r.z.unwrap_or(3.5);
            if !z.is_finite() || z <= 0.0 {
                return Err(RuleProblem::BadZ);
            }
            (
                RuleKind::Rate {
                    bucket,
                    baseline,
                    z,
                    min_count: r.min_count.unwrap_or(5).max(1),
                },
                &["bucket", "baseline", "z", "min_count"],
            )
        }
        "role_policy" => {
            let tag = r.tag.clone().ok_or(needs("role_policy", "`tag`"))?;
            let allow_roles = r.allow_roles.clone().unwrap_or_default();
            let allow_actor_types = r.allow_actor_types.clone().unwrap_or_default();
            (
                RuleKind::RolePolicy {
                    tag,
                    allow_roles,
                    allow_actor_types,
                },
                &[
                    "tag",
                    "allow_roles",
                    "allow_actor_types",
                    "group_by",
                    "merge_within",
                ],
            )
        }
        other => {
            return Err(RuleProblem::UnknownKind(other.to_owned()));
        }
    })
}

fn check(r: RawRule) -> Result<Rule, RuleProblem> {
    if r.id.trim().is_empty() || r.id.chars().any(char::is_whitespace) {
        return Err(RuleProblem::BadId);
    }
    let severity = Severity::parse(&r.severity)
        .ok_or_else(|| RuleProblem::UnknownSeverity(r.severity.clone()))?;
    if r.query.trim().is_empty() {
        return Err(RuleProblem::EmptyQuery);
    }
    let mut group_by = Vec::new();
    match (r.group_by.clone(), r.group_by_any.clone()) {
        (Some(_), Some(_)) => return Err(RuleProblem::BothGroupBy),
        (Some(g), None) => group_by.push(fields(g.into_vec(), "group_by")?),
        (None, Some(list)) => {
            if list.is_empty() {
                return Err(RuleProblem::Empty("group_by_any"));
            }
            for g in list {
                group_by.push(fields(g.into_vec(), "group_by_any")?);
            }
        }
        (None, None) => {}
    }
    let window = duration(r.window.as_ref(), "window")?;
    let merge = duration(r.merge_within.as_ref(), "merge_within")?;
    // Which optional keys each kind takes; anything else given is refused.
    let (kind, allowed) = parse_kind(&r, window)?;
    let given: [(&'static str, bool); 18] = [
        ("group_by", r.group_by.is_some()),
        ("group_by_any", r.group_by_any.is_some()),
        ("window", r.window.is_some()),
        ("merge_within", r.merge_within.is_some()),
        ("count", r.count.is_some()),
        ("without", r.without.is_some()),
        ("key", r.key.is_some()),
        ("field", r.field.is_some()),
        ("op", r.op.is_some()),
        ("value", r.value.is_some()),
        ("than_field", r.than_field.is_some()),
        ("bucket", r.bucket.is_some()),
        ("baseline", r.baseline.is_some()),
        ("z", r.z.is_some()),
        ("min_count", r.min_count.is_some()),
        ("tag", r.tag.is_some()),
        ("allow_roles", r.allow_roles.is_some()),
        ("allow_actor_types", r.allow_actor_types.is_some()),
    ];
    if let Some((k, _)) = given.iter().find(|(k, g)| *g && !allowed.contains(k)) {
        return Err(RuleProblem::NotApplicable {
            key: k,
            kind: kind.name(),
        });
    }
    Ok(Rule {
        id: r.id,
        title: r.title,
        severity,
        why: r.why,
        query: r.query,
        group_by,
        merge,
        kind,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_parse_and_cover_every_kind() {
        let set = RuleSet::defaults().expect("defaults parse");
        let kinds: HashSet<&str> = set.rules.iter().map(|r| r.kind.name()).collect();
        for k in [
            "match",
            "threshold",
            "absence",
            "numeric",
            "rate",
            "role_policy",
        ] {
            assert!(kinds.contains(k), "no default rule of kind {k}");
        }
        assert!(
            set.rules
                .iter()
                .all(|r| !r.why.is_empty() && !r.title.is_empty())
        );
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("10m"), Some(TimeDelta::minutes(10)));
        assert_eq!(parse_duration("500ms"), Some(TimeDelta::milliseconds(500)));
        assert_eq!(parse_duration("30d"), Some(TimeDelta::days(30)));
        assert_eq!(parse_duration("0s"), None);
        assert_eq!(parse_duration("m"), None);
        assert_eq!(parse_duration("10 parsecs"), None);
    }

    #[test]
    fn user_file_extends_replaces_and_disables() {
        let user = r#"{"disable": ["secret-read-by-human"], "rules": [
            {"id": "x", "title": "X", "severity": "info", "why": "w", "kind": "match", "query": "action:x"}]}"#;
        let set = RuleSet::load(Some((user, "u.json"))).expect("loads");
        assert!(set.get("secret-read-by-human").is_none());
        assert!(set.get("failed-logins").is_some());
        assert!(set.get("x").is_some());
        let only = r#"{"replace_defaults": true, "rules": [
            {"id": "x", "title": "X", "severity": "info", "kind": "match", "query": "*"}]}"#;
        let set = RuleSet::load(Some((only, "u.json"))).expect("loads");
        assert_eq!(set.rules.len(), 1);
    }

    #[test]
    fn bad_rules_are_refused_with_their_id() {
        let bad = |rule: &str| {
            RuleSet::default()
                .extended(&format!(r#"{{"rules": [{rule}]}}"#), "u.json")
                .expect_err("refused")
                .to_string()
        };
        let e = bad(
            r#"{"id": "t", "title": "T", "severity": "info", "kind": "threshold", "query": "*", "count": 3}"#,
        );
        assert!(e.contains("rule `t`") && e.contains("window"), "{e}");
        let e =
            bad(r#"{"id": "t", "title": "T", "severity": "loud", "kind": "match", "query": "*"}"#);
        assert!(e.contains("severity"), "{e}");
        let e = bad(
            r#"{"id": "t", "title": "T", "severity": "info", "kind": "match", "query": "*", "count": 2}"#,
        );
        assert!(e.contains("`count` does not apply"), "{e}");
        let e = bad(
            r#"{"id": "t", "title": "T", "severity": "info", "kind": "match", "query": "*", "grop_by": "actor.id"}"#,
        );
        assert!(e.contains("grop_by"), "{e}");
        let e = bad(
            r#"{"id": "t", "title": "T", "severity": "info", "kind": "threshold", "query": "*", "count": 2, "window": "1m", "group_by": "actor.nope"}"#,
        );
        assert!(e.contains("actor.nope"), "{e}");
        let e = RuleSet::default()
            .extended(r#"{"disable": ["nope"]}"#, "u.json")
            .expect_err("refused")
            .to_string();
        assert!(e.contains("nope"), "{e}");
    }
}
