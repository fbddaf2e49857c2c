//! Masking: pure functions that hide secrets and personal data in events and records.
//!
//! Detectors (all in linear time, `regex` crate): e-mail addresses, AWS access key ids and
//! secret keys, bearer tokens, JWTs, passwords in URLs, `password=`-style pairs, payment
//! card numbers (Luhn-checked), phone numbers. On top of those, JSON keys that name a secret
//! (`password`, `token`, ...) and the fields a policy or role names are masked whole, and a
//! role may hide fields altogether. Ordinary ids, hashes, UUIDs, versions, timestamps and IP
//! addresses are left alone unless a policy names the field.

use std::borrow::Cow;
use std::path::Path;

use regex::{Captures, Regex};
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::model::AuditEvent;

/// What replaces a value masked whole.
pub const MASK: &str = "***";

/// The embedded default policy.
pub const DEFAULT_POLICY: &str = include_str!("../../assets/masking.json");
/// The embedded roles.
pub const DEFAULT_ROLES: &str = include_str!("../../assets/roles.json");

/// Names of the built-in detectors.
pub const PATTERNS: &[&str] = &[
    "email",
    "aws_access_key_id",
    "aws_secret_key",
    "bearer",
    "jwt",
    "url_password",
    "secret_pair",
    "card",
    "phone",
];

/// A masking policy as written in `masking.json`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Policy {
    /// Built-in detectors to apply.
    #[serde(default)]
    pub patterns: Option<Vec<String>>,
    /// JSON keys whose values are always masked (case-insensitive).
    #[serde(default)]
    pub secret_keys: Vec<String>,
    /// Fields masked whole.
    #[serde(default)]
    pub fields: Vec<String>,
    /// Extra regular expressions, matches masked whole.
    #[serde(default)]
    pub extra_patterns: Vec<ExtraPattern>,
}

/// A user-defined pattern.
#[derive(Debug, Clone, Deserialize)]
pub struct ExtraPattern {
    /// Its name (for error messages).
    pub name: String,
    /// The regular expression (`regex` crate syntax).
    pub regex: String,
}

/// One role of `roles.json`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Role {
    /// What the role is for.
    #[serde(default)]
    pub description: String,
    /// Fields masked whole for this role.
    #[serde(default)]
    pub mask_fields: Vec<String>,
    /// Fields removed for this role.
    #[serde(default)]
    pub hide_fields: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct Roles {
    roles: std::collections::BTreeMap<String, Role>,
}

/// The roles defined in `roles.json` (embedded, extended by
/// `$XDG_CONFIG_HOME/auditlens/roles.json`).
pub fn load_roles(
    config_dir: Option<&Path>,
) -> Result<std::collections::BTreeMap<String, Role>, String> {
    let mut roles = serde_json::from_str::<Roles>(DEFAULT_ROLES)
        .map_err(|e| format!("embedded roles.json: {e}"))?
        .roles;
    if let Some(p) = config_dir
        .map(|d| d.join("roles.json"))
        .filter(|p| p.exists())
    {
        let text =
            std::fs::read_to_string(&p).map_err(|e| format!("reading {}: {e}", p.display()))?;
        let user =
            serde_json::from_str::<Roles>(&text).map_err(|e| format!("{}: {e}", p.display()))?;
        roles.extend(user.roles);
    }
    Ok(roles)
}

/// The default policy merged with the user's file in `config_dir` (when present).
pub fn load_policy(config_dir: Option<&Path>) -> Result<Policy, String> {
    let mut policy: Policy =
        serde_json::from_str(DEFAULT_POLICY).map_err(|e| format!("embedded masking.json: {e}"))?;
    if let Some(p) = config_dir
        .map(|d| d.join("masking.json"))
        .filter(|p| p.exists())
    {
        let text =
            std::fs::read_to_string(&p).map_err(|e| format!("reading {}: {e}", p.display()))?;
        let user: Policy =
            serde_json::from_str(&text).map_err(|e| format!("{}: {e}", p.display()))?;
        if user.patterns.is_some() {
            policy.patterns = user.patterns;
        }
        policy.secret_keys.extend(user.secret_keys);
        policy.fields.extend(user.fields);
        policy.extra_patterns.extend(user.extra_patterns);
    }
    Ok(policy)
}

struct Detector {
    name: &'static str,
    re: Regex,
}

/// Masks events, records and text according to a policy and an optional role.
pub struct Masker {
    enabled: bool,
    detectors: Vec<Detector>,
    extra: Vec<Regex>,
    secret_keys: Vec<String>,
    mask_fields: Vec<String>,
    hide_fields: Vec<String>,
}

impl std::fmt::Debug for Masker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Masker")
            .field("enabled", &self.enabled)
            .field(
                "detectors",
                &self.detectors.iter().map(|d| d.name).collect::<Vec<_>>(),
            )
            .field("mask_fields", &self.mask_fields)
            .field("hide_fields", &self.hide_fields)
            .finish_non_exhaustive()
    }
}

fn detector_regex(name: &str) -> Option<&'static str> {
    Some(match name {
        "email" => {
            r"\b([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,})\b"
        }
        "aws_access_key_id" => {
            r"\b((?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA|ABIA|ACCA)[A-Z0-9]{12,24})\b"
        }
        "aws_secret_key" => r"(?:^|[^A-Za-z0-9/+=])([A-Za-z0-9/+]{40})(?:$|[^A-Za-z0-9/+=])",
        "bearer" => {
            r"(?i)\b(bearer|authorization:\s*basic|authorization:\s*token)(\s+)([A-Za-z0-9._~+/-]{8,}=*)"
        }
        "jwt" => r"\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*",
        "url_password" => r"\b([A-Za-z][A-Za-z0-9+.-]*://[^/\s:@]+:)([^@\s/]+)@",
        "secret_pair" => {
            r#"(?i)\b(password|passwd|pwd|secret|token|api[_-]?key|access[_-]?token|client[_-]?secret|private[_-]?key|aws_secret_access_key)(["']?\s*[=:]\s*["']?)([^\s"'&,;]+)"#
        }
        "card" => r"\b(?:\d[ -]?){12,18}\d\b",
        "phone" => {
            r"(?:\+\d{1,3}[ .-]?(?:\(\d{1,4}\)[ .-]?)?\d{1,4}(?:[ .-]?\d{2,4}){1,4}\b|\(\d{3}\)\s?\d{3}[ .-]\d{4}\b|\b\d{3}-\d{3}-\d{4}\b)"
        }
        _ => return None,
    })
}

/// True when the digits pass the Luhn check.
pub fn luhn(digits: &str) -> bool {
    let mut sum = 0u32;
    let mut double = false;
    for c in digits.chars().rev() {
        let Some(mut d) = c.to_digit(10) else {
            return false;
        };
        if double {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
        double = !double;
    }
    sum.is_multiple_of(10)
}

fn is_card(digits: &str) -> bool {
    (13..=19).contains(&digits.len())
        && luhn(digits)
        && matches!(digits.as_bytes()[0], b'2'..=b'6')
        && digits.bytes().any(|b| b != digits.as_bytes()[0])
}

fn star(n: usize) -> String {
    "*".repeat(n)
}

/// A 40-character token looks like an AWS secret key (mixed case and digits, not hex).
fn looks_like_secret_key(s: &str) -> bool {
    let upper = s.bytes().any(|b| b.is_ascii_uppercase());
    let lower = s.bytes().any(|b| b.is_ascii_lowercase());
    let digit = s.bytes().any(|b| b.is_ascii_digit());
    let hex = s.bytes().all(|b| b.is_ascii_hexdigit());
    upper && lower && digit && !hex
}

fn path_matches(path: &str, field: &str) -> bool {
    path == field
        || (path.len() > field.len()
            && path.ends_with(field)
            && path.as_bytes()[path.len() - field.len() - 1] == b'.')
}

impl Masker {
    /// A masker that changes nothing (`--unmask`).
    pub fn disabled() -> Self {
        Self {
            enabled: false,
            detectors: Vec::new(),
            extra: Vec::new(),
            secret_keys: Vec::new(),
            mask_fields: Vec::new(),
            hide_fields: Vec::new(),
        }
    }

    /// A masker that only removes the fields `role` hides (`--unmask --role NAME`).
    pub fn hiding_only(role: &Role) -> Self {
        Self {
            enabled: !role.hide_fields.is_empty(),
            hide_fields: role.hide_fields.clone(),
            ..Self::disabled()
        }
    }

    /// A masker for `policy`, with `role`'s fields on top.
    pub fn new(policy: &Policy, role: Option<&Role>) -> Result<Self, String> {
        let names: Vec<String> = policy
            .patterns
            .clone()
            .unwrap_or_else(|| PATTERNS.iter().map(|s| (*s).to_owned()).collect());
        let mut detectors = Vec::new();
        // Order matters: URLs and pairs before e-mails, bearer before JWT, keys before cards.
        for name in PATTERNS {
            if names.iter().any(|n| n == name) {
                let src =
                    detector_regex(name).expect("invariant: every PATTERNS entry has a regex");
                let re = Regex::new(src).map_err(|e| format!("pattern {name}: {e}"))?;
                detectors.push(Detector { name, re });
            }
        }
        for n in &names {
            if !PATTERNS.contains(&n.as_str()) {
                return Err(format!(
                    "masking policy: unknown pattern {n:?} (known: {})",
                    PATTERNS.join(", ")
                ));
            }
        }
        detectors.sort_by_key(|d| match d.name {
            "url_password" => 0,
            "secret_pair" => 1,
            "bearer" => 2,
            "jwt" => 3,
            "aws_access_key_id" => 4,
            "aws_secret_key" => 5,
            "email" => 6,
            "card" => 7,
            _ => 8,
        });
        let extra = policy
            .extra_patterns
            .iter()
            .map(|p| Regex::new(&p.regex).map_err(|e| format!("pattern {}: {e}", p.name)))
            .collect::<Result<Vec<_>, _>>()?;
        let mut mask_fields = policy.fields.clone();
        let mut hide_fields = Vec::new();
        if let Some(r) = role {
            mask_fields.extend(r.mask_fields.iter().cloned());
            hide_fields.extend(r.hide_fields.iter().cloned());
        }
        Ok(Self {
            enabled: true,
            detectors,
            extra,
            secret_keys: policy
                .secret_keys
                .iter()
                .map(|k| k.to_ascii_lowercase())
                .collect(),
            mask_fields,
            hide_fields,
        })
    }

    /// The default policy (embedded, no user file, no role).
    pub fn default_policy() -> Self {
        let policy: Policy =
            serde_json::from_str(DEFAULT_POLICY).expect("invariant: embedded policy parses");
        Self::new(&policy, None).expect("invariant: embedded policy compiles")
    }

    /// False for `--unmask`.
    pub fn is_enabled(&self) -> bool {
        self.enabled
    }

    /// Masks every detected secret in free text.
    pub fn mask_text<'a>(&self, s: &'a str) -> Cow<'a, str> {
        if !self.enabled || s.len() < 5 {
            return Cow::Borrowed(s);
        }
        let mut cur: Cow<'a, str> = Cow::Borrowed(s);
        for d in &self.detectors {
            let next = apply(d, &cur);
            if let Cow::Owned(o) = next {
                cur = Cow::Owned(o);
            }
        }
        for re in &self.extra {
            if re.is_match(&cur) {
                cur = Cow::Owned(re.replace_all(&cur, MASK).into_owned());
            }
        }
        cur
    }

    fn is_secret_key(&self, key: &str) -> bool {
        let k = key.to_ascii_lowercase();
        self.secret_keys.contains(&k)
    }

    fn masks_field(&self, path: &str) -> bool {
        self.mask_fields.iter().any(|f| path_matches(path, f))
    }

    fn hides_field(&self, path: &str) -> bool {
        self.hide_fields.iter().any(|f| path_matches(path, f))
    }

    /// Masks a JSON value in place; `path` is its dotted location (empty at the root).
    pub fn mask_value(&self, path: &str, v: &mut Value) {
        if !self.enabled {
            return;
        }
        if !path.is_empty() && self.masks_field(path) {
            if !v.is_null() {
                *v = Value::String(MASK.to_owned());
            }
            return;
        }
        match v {
            Value::String(s) => {
                if let Cow::Owned(m) = self.mask_text(s) {
                    *s = m;
                }
            }
            Value::Number(n) => {
                let digits = n.to_string();
                if digits.bytes().all(|b| b.is_ascii_digit()) && is_card(&digits) {
                    *v = Value::String(mask_card(&digits));
                }
            }
            Value::Array(items) => {
                for item in items {
                    self.mask_value(path, item);
                }
            }
            Value::Object(map) => self.mask_object(path, map),
            Value::Bool(_) | Value::Null => {}
        }
    }

    fn mask_object(&self, path: &str, map: &mut Map<String, Value>) {
        let mut hidden = Vec::new();
        for (k, val) in map.iter_mut() {
            let child = if path.is_empty() {
                k.clone()
            } else {
                format!("{path}.{k}")
            };
            if self.hides_field(&child) {
                hidden.push(k.clone());
                continue;
            }
            if self.is_secret_key(k) && !val.is_null() && !val.is_object() && !val.is_array() {
                *val = Value::String(MASK.to_owned());
                continue;
            }
            self.mask_value(&child, val);
        }
        for k in hidden {
            map.remove(&k);
        }
    }

    fn mask_opt(&self, path: &str, v: &mut Option<String>) {
        if let Some(s) = v {
            if self.masks_field(path) {
                MASK.clone_into(s);
            } else if let Cow::Owned(m) = self.mask_text(s) {
                *s = m;
            }
        }
    }

    fn mask_str(&self, path: &str, s: &mut String) {
        if self.masks_field(path) {
            MASK.clone_into(s);
        } else if let Cow::Owned(m) = self.mask_text(s) {
            *s = m;
        }
    }

    /// A masked copy of an event (its origin, times and enums are left as they are).
    pub fn mask_event(&self, ev: &AuditEvent) -> AuditEvent {
        let mut e = ev.clone();
        if !self.enabled {
            return e;
        }
        self.mask_str("action", &mut e.action);
        self.mask_opt("actor.id", &mut e.actor.id);
        self.mask_opt("actor.type", &mut e.actor.kind);
        self.mask_opt("actor.ip", &mut e.actor.ip);
        self.mask_opt("actor.session", &mut e.actor.session);
        for r in &mut e.actor.roles {
            self.mask_str("actor.roles", r);
        }
        self.mask_opt("resource.type", &mut e.resource.kind);
        self.mask_opt("resource.id", &mut e.resource.id);
        self.mask_opt("resource.name", &mut e.resource.name);
        self.mask_opt("resource.version", &mut e.resource.version);
        for t in &mut e.resource.tags {
            self.mask_str("resource.tags", t);
        }
        if let Some(m) = &mut e.model {
            self.mask_str("model.id", &mut m.id);
            self.mask_opt("model.version", &mut m.version);
        }
        for a in &mut e.inputs {
            self.mask_str("inputs.id", &mut a.id);
        }
        for a in &mut e.outputs {
            self.mask_str("outputs.id", &mut a.id);
        }
        self.mask_opt("run_id", &mut e.run_id);
        self.mask_opt("parent_run_id", &mut e.parent_run_id);
        self.mask_opt("correlation_id", &mut e.correlation_id);
        self.mask_opt("environment", &mut e.environment);
        self.mask_opt("source", &mut e.source);
        self.mask_opt("message", &mut e.message);
        if self.hides_field("details") {
            e.details = Value::Null;
        } else {
            self.mask_value("details", &mut e.details);
        }
        e
    }

    /// Masks the original record of `ev`: parsed as JSON when it is JSON (paths are matched
    /// by suffix, so `details.ssn` also masks `rec.details.ssn`), else as text; and also
    /// every string in it equal to the original value of an event field this policy or role
    /// masks whole (formats name their fields differently: `actor.id` may be `user` or
    /// `userIdentity.arn`).
    pub fn mask_record<'a>(&self, ev: &'a AuditEvent, raw: &str) -> String {
        if !self.enabled {
            return raw.to_owned();
        }
        let mut values: Vec<&str> = Vec::new();
        let mut take = |path: &str, v: Option<&'a String>| {
            if let Some(v) = v
                && !v.is_empty()
                && self.masks_field(path)
            {
                values.push(v.as_str());
            }
        };
        take("actor.id", ev.actor.id.as_ref());
        take("actor.ip", ev.actor.ip.as_ref());
        take("actor.session", ev.actor.session.as_ref());
        take("resource.id", ev.resource.id.as_ref());
        take("resource.name", ev.resource.name.as_ref());
        take("run_id", ev.run_id.as_ref());
        take("correlation_id", ev.correlation_id.as_ref());
        take("environment", ev.environment.as_ref());
        take("source", ev.source.as_ref());
        take("message", ev.message.as_ref());
        take("model.id", ev.model.as_ref().map(|m| &m.id));
        if let Ok(mut v) = serde_json::from_str::<Value>(raw) {
            if !values.is_empty() {
                replace_values(&mut v, &values);
            }
            self.mask_value("", &mut v);
            v.to_string()
        } else {
            let mut t = raw.to_owned();
            for val in values {
                t = t.replace(val, MASK);
            }
            self.mask_text(&t).into_owned()
        }
    }
}

fn replace_values(v: &mut Value, values: &[&str]) {
    match v {
        Value::String(s) if values.contains(&s.as_str()) => MASK.clone_into(s),
        Value::Array(items) => items.iter_mut().for_each(|i| replace_values(i, values)),
        Value::Object(m) => m.values_mut().for_each(|i| replace_values(i, values)),
        _ => {}
    }
}

fn mask_card(digits: &str) -> String {
    let keep = &digits[digits.len() - 4..];
    format!("{}{keep}", star(digits.len() - 4))
}

fn apply<'a>(d: &Detector, s: &'a str) -> Cow<'a, str> {
    if !d.re.is_match(s) {
        return Cow::Borrowed(s);
    }
    let out = match d.name {
        "email" => {
            d.re.replace_all(s, |c: &Captures| format!("{}***@{}", &c[1], &c[2]))
        }
        "aws_access_key_id" => d.re.replace_all(s, |c: &Captures| {
            let k = &c[1];
            format!("{}{}{}", &k[..4], star(k.len() - 8), &k[k.len() - 4..])
        }),
        "aws_secret_key" => d.re.replace_all(s, |c: &Captures| {
            let whole = &c[0];
            let key = c.get(1).expect("invariant: group 1 always matches");
            if !looks_like_secret_key(key.as_str()) {
                return whole.to_owned();
            }
            let start = key.start() - c.get(0).map_or(0, |m| m.start());
            let end = start + key.len();
            format!(
                "{}{}{}{}",
                &whole[..start],
                &key.as_str()[..4],
                star(36),
                &whole[end..]
            )
        }),
        "bearer" => {
            d.re.replace_all(s, |c: &Captures| format!("{}{}{MASK}", &c[1], &c[2]))
        }
        "jwt" => d.re.replace_all(s, format!("eyJ{MASK}").as_str()),
        "url_password" => {
            d.re.replace_all(s, |c: &Captures| format!("{}{MASK}@", &c[1]))
        }
        "secret_pair" => d.re.replace_all(s, |c: &Captures| {
            let start = c.get(0).map_or(0, |m| m.start());
            // `secret:name` with no space is an identifier (an ARN's `:secret:MyDb`), not a pair.
            let bare_colon = c[2].trim_matches(|ch| ch == '"' || ch == '\'') == ":"
                && !c[2].contains(['"', '\'']);
            if c[3].starts_with(MASK) || bare_colon || s[..start].ends_with(':') {
                c[0].to_owned()
            } else {
                format!("{}{}{MASK}", &c[1], &c[2])
            }
        }),
        "card" => d.re.replace_all(s, |c: &Captures| {
            let digits: String = c[0].chars().filter(char::is_ascii_digit).collect();
            if is_card(&digits) {
                mask_card(&digits)
            } else {
                c[0].to_owned()
            }
        }),
        "phone" => d.re.replace_all(s, |c: &Captures| {
            let m = &c[0];
            let total = m.chars().filter(char::is_ascii_digit).count();
            if !(7..=15).contains(&total) {
                return m.to_owned();
            }
            let mut seen = 0;
            m.chars()
                .map(|ch| {
                    if ch.is_ascii_digit() {
                        seen += 1;
                        if seen > total - 2 { ch } else { '*' }
                    } else {
                        ch
                    }
                })
                .collect()
        }),
        _ => Cow::Borrowed(s),
    };
    match out {
        Cow::Owned(o) if o != s => Cow::Owned(o),
        _ => Cow::Borrowed(s),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m() -> Masker {
        Masker::default_policy()
    }

    #[test]
    fn emails() {
        assert_eq!(
            m().mask_text("mail mary@example.org now"),
            "mail m***@example.org now"
        );
        assert_eq!(m().mask_text("no at sign here"), "no at sign here");
        assert_eq!(m().mask_text("pkg@1.2.3"), "pkg@1.2.3");
    }

    #[test]
    fn aws_keys() {
        assert_eq!(
            m().mask_text("key AKIAIOSFODNN7EXAMPLE"),
            "key AKIA************MPLE"
        );
        let t = m().mask_text("secret wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY end");
        assert_eq!(t, format!("secret wJal{} end", "*".repeat(36)));
        // A SHA-1 is not a secret key.
        let sha = "da39a3ee5e6b4b0d3255bfef95601890afd80709";
        assert_eq!(m().mask_text(sha), sha);
    }

    #[test]
    fn cards_luhn() {
        assert_eq!(
            m().mask_text("card 4111 1111 1111 1111"),
            "card ************1111"
        );
        assert_eq!(m().mask_text("n 4111111111111112"), "n 4111111111111112");
        let mut v = serde_json::json!({"n": 4_111_111_111_111_111_u64});
        m().mask_value("", &mut v);
        assert_eq!(v["n"], "************1111");
    }

    #[test]
    fn tokens_and_passwords() {
        let t = m().mask_text("Authorization: Bearer abcdefghijkl.mnop");
        assert_eq!(t, "Authorization: Bearer ***");
        let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig_nature-x";
        assert_eq!(m().mask_text(&format!("t {jwt}")), "t eyJ***");
        assert_eq!(
            m().mask_text("postgres://admin:hunter2@db:5432/x"),
            "postgres://admin:***@db:5432/x"
        );
        assert_eq!(
            m().mask_text("password=hunter2 user=x"),
            "password=*** user=x"
        );
        assert_eq!(m().mask_text("max_tokens=100"), "max_tokens=100");
        let arn = "arn:aws:secretsmanager:us-east-2:123456789012:secret:prod-db-AbCdEf";
        assert_eq!(m().mask_text(arn), arn);
        assert_eq!(m().mask_text("secret: abc123"), "secret: ***");
        assert_eq!(m().mask_text(r#"{"token":"abc"}"#), r#"{"token":"***"}"#);
        assert_eq!(
            m().mask_text("create serviceaccounts/token coredns-sa -> 201"),
            "create serviceaccounts/token coredns-sa -> 201"
        );
        assert_eq!(
            m().mask_text("basic authentication enabled"),
            "basic authentication enabled"
        );
        assert_eq!(
            m().mask_text("Authorization: Basic dXNlcjpwYXNzd29yZA=="),
            "Authorization: Basic ***"
        );
    }

    #[test]
    fn leaves_ordinary_values() {
        for s in [
            "550e8400-e29b-41d4-a716-446655440000",
            "2024-05-01T12:00:00.123Z",
            "10.0.0.12",
            "v1.2.3",
            "run-20240501-0001",
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            "model fraud-detector@3.1.0",
        ] {
            assert_eq!(m().mask_text(s), s, "{s}");
        }
    }

    #[test]
    fn events_fields_roles_and_hidden_details() {
        let mut ev = AuditEvent::new(
            crate::model::Origin {
                path: "t.jsonl".into(),
                line: 1,
                format: crate::model::Format::Generic,
                stream: None,
                seq: None,
                hash: None,
                part: 0,
            },
            "api.call",
        );
        ev.actor.id = Some("mary@example.org".into());
        ev.actor.ip = Some("10.0.0.1".into());
        ev.message = Some("pwd=x".into());
        ev.resource.id = Some("s3://u:pw@bucket/x".into());
        ev.details = serde_json::json!({"ssn": "123-45-6789", "prediction_input": {"age": 41}, "v": "1.2.3"});
        let e = m().mask_event(&ev);
        assert_eq!(e.actor.id.as_deref(), Some("m***@example.org"));
        assert_eq!(e.actor.ip.as_deref(), Some("10.0.0.1"));
        assert_eq!(e.message.as_deref(), Some("pwd=***"));
        assert_eq!(e.resource.id.as_deref(), Some("s3://u:***@bucket/x"));
        assert_eq!(e.details["ssn"], "***");
        assert_eq!(e.details["v"], "1.2.3");
        let sre = Role {
            mask_fields: vec!["actor.ip".into()],
            hide_fields: vec!["details.prediction_input".into()],
            ..Role::default()
        };
        let policy: Policy = serde_json::from_str(DEFAULT_POLICY).unwrap();
        let r = Masker::new(&policy, Some(&sre)).unwrap();
        let e = r.mask_event(&ev);
        assert_eq!(e.actor.ip.as_deref(), Some(MASK));
        assert!(e.details.get("prediction_input").is_none());
        let raw = r#"{"rec":{"actor":{"ip":"10.0.0.1"},"details":{"prediction_input":1}}}"#;
        assert_eq!(
            r.mask_record(&ev, raw),
            r#"{"rec":{"actor":{"ip":"***"},"details":{}}}"#
        );
        let h = Masker::hiding_only(&sre).mask_event(&ev);
        assert_eq!(h.actor.id.as_deref(), Some("mary@example.org"));
        assert!(h.details.get("prediction_input").is_none());
        assert_eq!(Masker::disabled().mask_event(&ev), ev);
    }

    #[test]
    fn phones() {
        assert_eq!(
            m().mask_text("call +1 415 555 0123"),
            "call +* *** *** **23"
        );
        assert_eq!(m().mask_text("call 415-555-0123"), "call ***-***-**23");
    }
}
