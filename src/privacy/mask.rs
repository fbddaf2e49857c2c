//! Masking: the [`Masker`], pure functions that hide secrets and personal data in events
//! and records, built from a policy (`policy.rs`) and the detectors (`detect.rs`).
//!
//! Detectors (all in linear time, `regex` crate): e-mail addresses (also with the `@` and
//! dots percent-encoded, double-encoded or written as entities), AWS access key ids and
//! secret keys, bearer tokens, JWTs, passwords in URLs, `password=`-style pairs, payment
//! card numbers (Luhn-checked), phone numbers. Text holding `%XX` escapes is also decoded
//! (up to three times, for double encoding) and checked again, so no detector is beaten by
//! percent-encoding. Detectors run on JSON keys as well as values. On top of those, the
//! value under a key that names a secret (see [`key_names_secret`]: `api_token`,
//! `clientSecret`, `X-Api-Key`...), whatever its type, and the fields a policy or role names
//! are masked whole, and a role may hide fields altogether. Ordinary ids, hashes, UUIDs,
//! versions, timestamps and IP addresses are left alone unless a policy names the field.

use std::borrow::Cow;
use std::collections::HashMap;

use regex::Regex;
use serde_json::{Map, Value};

use super::detect::{
    Detector, MASK, PATTERNS, apply, detector_regex, is_card, key_names_secret, mask_card,
    percent_decode, squash,
};
use super::error::PrivacyError;
use super::policy::{DEFAULT_POLICY, Policy, Role};
use crate::model::AuditEvent;

/// Masks events, records and text according to a policy and an optional role.
pub struct Masker {
    enabled: bool,
    detectors: Vec<Detector>,
    extra: Vec<Regex>,
    secret_keys: Vec<String>,
    mask_fields: Vec<String>,
    hide_fields: Vec<String>,
    /// The role sees identities: e-mail addresses and phone numbers that are an actor stay.
    show_identities: bool,
    /// Record fields that hold an identity (besides the event's `actor.id`).
    identity_fields: Vec<String>,
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
            .field("show_identities", &self.show_identities)
            .finish_non_exhaustive()
    }
}

/// Inserts under `key`, or `key (2)`, `key (3)`... when masking made two keys equal: no
/// value is dropped. `next` remembers the next number per key, so many equal keys cost
/// linear time.
fn insert_unique(
    map: &mut Map<String, Value>,
    next: &mut HashMap<String, u64>,
    key: String,
    val: Value,
) {
    if !map.contains_key(&key) {
        map.insert(key, val);
        return;
    }
    let n = next.entry(key.clone()).or_insert(2);
    loop {
        let k = format!("{key} ({n})");
        *n += 1;
        if !map.contains_key(&k) {
            map.insert(k, val);
            return;
        }
    }
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
            show_identities: false,
            identity_fields: Vec::new(),
        }
    }

    /// A masker that only removes the fields `role` hides (`--unmask --role NAME`).
    pub(crate) fn hiding_only(role: &Role) -> Self {
        Self {
            enabled: !role.hide_fields.is_empty(),
            hide_fields: role.hide_fields.clone(),
            ..Self::disabled()
        }
    }

    /// A masker for `policy`, with `role`'s fields on top.
    pub fn new(policy: &Policy, role: Option<&Role>) -> Result<Self, PrivacyError> {
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
                let re = Regex::new(src).map_err(|source| PrivacyError::Pattern {
                    name: (*name).to_owned(),
                    source,
                })?;
                detectors.push(Detector { name, re });
            }
        }
        for n in &names {
            if !PATTERNS.contains(&n.as_str()) {
                return Err(PrivacyError::UnknownPattern {
                    name: n.clone(),
                    known: PATTERNS.join(", "),
                });
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
            .map(|p| {
                Regex::new(&p.regex).map_err(|source| PrivacyError::Pattern {
                    name: p.name.clone(),
                    source,
                })
            })
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
            secret_keys: policy.secret_keys.iter().map(|k| squash(k)).collect(),
            mask_fields,
            hide_fields,
            show_identities: role.is_some_and(|r| r.show_identities),
            identity_fields: policy.identity_fields.clone(),
        })
    }

    /// The default policy (embedded, no user file, no role).
    pub fn default_policy() -> Self {
        let policy: Policy =
            serde_json::from_str(DEFAULT_POLICY).expect("invariant: embedded policy parses");
        Self::new(&policy, None).expect("invariant: embedded policy compiles")
    }

    /// False for `--unmask`.
    pub(crate) fn is_enabled(&self) -> bool {
        self.enabled
    }

    /// Masks every detected secret in free text. Text with `%XX` escapes is also decoded
    /// (at most three times: `%2540` is `%40` is `@`) and checked again; when the decoded
    /// text holds a secret, the masked decoded text is returned.
    pub fn mask_text<'a>(&self, s: &'a str) -> Cow<'a, str> {
        self.mask_text_keeping(s, &[])
    }

    /// [`Masker::mask_text`], leaving e-mail addresses and phone numbers that are one of
    /// `keep` (identities the role may see); secrets are masked all the same.
    fn mask_text_keeping<'a>(&self, s: &'a str, keep: &[&str]) -> Cow<'a, str> {
        if !self.enabled || s.len() < 5 {
            return Cow::Borrowed(s);
        }
        let plain = self.mask_plain(s, keep);
        if !plain.contains('%') {
            return plain;
        }
        let mut decoded: Option<String> = None;
        for _ in 0..3 {
            match percent_decode(decoded.as_deref().unwrap_or(&plain)) {
                Some(d) => decoded = Some(d),
                None => break,
            }
        }
        if let Some(d) = decoded
            && let Cow::Owned(masked) = self.mask_plain(&d, keep)
        {
            return Cow::Owned(masked);
        }
        plain
    }

    fn mask_plain<'a>(&self, s: &'a str, keep: &[&str]) -> Cow<'a, str> {
        if s.len() < 5 {
            return Cow::Borrowed(s);
        }
        let mut cur: Cow<'a, str> = Cow::Borrowed(s);
        for d in &self.detectors {
            let next = apply(d, &cur, keep);
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
        key_names_secret(key, &self.secret_keys)
    }

    /// True for a name/value pair object whose name names a secret
    /// (`{"name": "DB_PASSWORD", "value": ".."}`, as in environment lists and headers).
    fn names_secret_pair(&self, map: &Map<String, Value>) -> bool {
        map.iter().any(|(k, v)| {
            matches!(squash(k).as_str(), "name" | "key")
                && v.as_str().is_some_and(|n| self.is_secret_key(n))
        })
    }

    fn masks_field(&self, path: &str) -> bool {
        self.mask_fields.iter().any(|f| path_matches(path, f))
    }

    fn hides_field(&self, path: &str) -> bool {
        self.hide_fields.iter().any(|f| path_matches(path, f))
    }

    /// True when this view shows the identity held at `path` (a role that sees identities,
    /// a policy identity field, and no mask on the field itself).
    fn shows_identity_at(&self, path: &str) -> bool {
        self.show_identities
            && !self.masks_field(path)
            && self.identity_fields.iter().any(|f| path_matches(path, f))
    }

    /// The identities of `ev` this view shows wherever they appear: its actor, unless a
    /// field mask hides it.
    fn identities_of<'a>(&self, ev: &'a AuditEvent) -> Vec<&'a str> {
        match &ev.actor.id {
            Some(id) if self.show_identities && !self.masks_field("actor.id") => vec![id],
            _ => Vec::new(),
        }
    }

    /// Masks a JSON value in place; `path` is its dotted location (empty at the root).
    pub fn mask_value(&self, path: &str, v: &mut Value) {
        self.mask_value_keeping(path, v, &[]);
    }

    fn mask_value_keeping(&self, path: &str, v: &mut Value, keep: &[&str]) {
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
                let own = self.shows_identity_at(path).then(|| s.clone());
                let masked = match &own {
                    Some(id) => {
                        let mut with_own = keep.to_vec();
                        with_own.push(id);
                        self.mask_text_keeping(s, &with_own).into_owned()
                    }
                    None => match self.mask_text_keeping(s, keep) {
                        Cow::Borrowed(_) => return,
                        Cow::Owned(m) => m,
                    },
                };
                *s = masked;
            }
            Value::Number(n) => {
                let digits = n.to_string();
                if digits.bytes().all(|b| b.is_ascii_digit()) && is_card(&digits) {
                    *v = Value::String(mask_card(&digits));
                }
            }
            Value::Array(items) => {
                for item in items {
                    self.mask_value_keeping(path, item, keep);
                }
            }
            Value::Object(map) => self.mask_object(path, map, keep),
            Value::Bool(_) | Value::Null => {}
        }
    }

    /// Masks an object: hidden fields go, values under secret-named keys (any type but
    /// null) and the `value` of a secret name/value pair become [`MASK`], other values are
    /// masked in depth, and the keys themselves are masked like text (a key may be an
    /// e-mail address or an access key id). Policy paths match the original keys.
    fn mask_object(&self, path: &str, map: &mut Map<String, Value>, keep: &[&str]) {
        let secret_pair = self.names_secret_pair(map);
        let mut next = HashMap::new();
        for (k, mut val) in std::mem::take(map) {
            let child = if path.is_empty() {
                k.clone()
            } else {
                format!("{path}.{k}")
            };
            if self.hides_field(&child) {
                continue;
            }
            if !val.is_null() && (self.is_secret_key(&k) || (secret_pair && squash(&k) == "value"))
            {
                val = Value::String(MASK.to_owned());
            } else {
                self.mask_value_keeping(&child, &mut val, keep);
            }
            let key = match self.mask_text_keeping(&k, keep) {
                Cow::Borrowed(_) => k,
                Cow::Owned(m) => m,
            };
            insert_unique(map, &mut next, key, val);
        }
    }

    fn mask_opt(&self, path: &str, v: &mut Option<String>, keep: &[&str]) {
        if let Some(s) = v {
            self.mask_str(path, s, keep);
        }
    }

    fn mask_str(&self, path: &str, s: &mut String, keep: &[&str]) {
        if self.masks_field(path) {
            MASK.clone_into(s);
        } else if let Cow::Owned(m) = self.mask_text_keeping(s, keep) {
            *s = m;
        }
    }

    /// A masked copy of an event (its origin, times and enums are left as they are).
    pub fn mask_event(&self, ev: &AuditEvent) -> AuditEvent {
        let mut e = ev.clone();
        if !self.enabled {
            return e;
        }
        let keep = self.identities_of(ev);
        let keep = keep.as_slice();
        self.mask_str("action", &mut e.action, keep);
        self.mask_opt("actor.id", &mut e.actor.id, keep);
        self.mask_opt("actor.type", &mut e.actor.kind, keep);
        self.mask_opt("actor.ip", &mut e.actor.ip, keep);
        self.mask_opt("actor.session", &mut e.actor.session, keep);
        for r in &mut e.actor.roles {
            self.mask_str("actor.roles", r, keep);
        }
        self.mask_opt("resource.type", &mut e.resource.kind, keep);
        self.mask_opt("resource.id", &mut e.resource.id, keep);
        self.mask_opt("resource.name", &mut e.resource.name, keep);
        self.mask_opt("resource.version", &mut e.resource.version, keep);
        for t in &mut e.resource.tags {
            self.mask_str("resource.tags", t, keep);
        }
        if let Some(m) = &mut e.model {
            self.mask_str("model.id", &mut m.id, keep);
            self.mask_opt("model.version", &mut m.version, keep);
        }
        for a in &mut e.inputs {
            self.mask_str("inputs.id", &mut a.id, keep);
        }
        for a in &mut e.outputs {
            self.mask_str("outputs.id", &mut a.id, keep);
        }
        self.mask_opt("run_id", &mut e.run_id, keep);
        self.mask_opt("parent_run_id", &mut e.parent_run_id, keep);
        self.mask_opt("correlation_id", &mut e.correlation_id, keep);
        self.mask_opt("environment", &mut e.environment, keep);
        self.mask_opt("source", &mut e.source, keep);
        self.mask_opt("message", &mut e.message, keep);
        if self.hides_field("details") {
            e.details = Value::Null;
        } else {
            self.mask_value_keeping("details", &mut e.details, keep);
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
        let keep = self.identities_of(ev);
        if let Ok(mut v) = serde_json::from_str::<Value>(raw) {
            if !values.is_empty() {
                replace_values(&mut v, &values);
            }
            self.mask_value_keeping("", &mut v, &keep);
            v.to_string()
        } else {
            let mut t = raw.to_owned();
            for val in values {
                t = t.replace(val, MASK);
            }
            self.mask_text_keeping(&t, &keep).into_owned()
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

#[cfg(test)]
mod tests {
    use super::*;

    fn m() -> Masker {
        Masker::default_policy()
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
    fn a_role_that_sees_identities_sees_actors_but_not_secrets() {
        let mut ev = AuditEvent::new(
            crate::model::Origin {
                path: "k.jsonl".into(),
                line: 1,
                format: crate::model::Format::Kubernetes,
                stream: None,
                seq: None,
                hash: None,
                part: 0,
            },
            "k8s.create",
        );
        ev.actor.id = Some("user@company.com".into());
        ev.message = Some("user@company.com created a pod for una@company.com, pwd=x".into());
        ev.details = serde_json::json!({"token": "t0k", "note": "Bearer abcdefgh12345678"});
        let raw = r#"{"user":{"username":"user@company.com"},"impersonatedUser":{"username":"uma@company.com"},"requestObject":{"owner":"una@company.com","password":"hunter2"}}"#;
        let policy: Policy = serde_json::from_str(DEFAULT_POLICY).unwrap();
        let sees = Role {
            show_identities: true,
            ..Role::default()
        };
        let m = Masker::new(&policy, Some(&sees)).unwrap();
        let e = m.mask_event(&ev);
        assert_eq!(e.actor.id.as_deref(), Some("user@company.com"));
        assert_eq!(
            e.message.as_deref(),
            Some("user@company.com created a pod for u***@company.com, pwd=***")
        );
        assert_eq!(e.details["token"], MASK);
        assert_eq!(e.details["note"], "Bearer ***");
        let rec: Value = serde_json::from_str(&m.mask_record(&ev, raw)).unwrap();
        assert_eq!(rec["user"]["username"], "user@company.com");
        // A policy identity field is an identity too; any other e-mail is personal data.
        assert_eq!(rec["impersonatedUser"]["username"], "uma@company.com");
        assert_eq!(rec["requestObject"]["owner"], "u***@company.com");
        assert_eq!(rec["requestObject"]["password"], MASK);
        // Without the flag (today's default and the other roles), identities are masked.
        for role in [None, Some(Role::default())] {
            let m = Masker::new(&policy, role.as_ref()).unwrap();
            assert_eq!(
                m.mask_event(&ev).actor.id.as_deref(),
                Some("u***@company.com")
            );
            assert!(!m.mask_record(&ev, raw).contains("user@company.com"));
        }
        // A field mask wins over seeing identities.
        let masked = Role {
            show_identities: true,
            mask_fields: vec!["actor.id".into()],
            ..Role::default()
        };
        let m = Masker::new(&policy, Some(&masked)).unwrap();
        assert_eq!(m.mask_event(&ev).actor.id.as_deref(), Some(MASK));
        assert!(!m.mask_record(&ev, raw).contains("user@company.com"));
    }

    #[test]
    fn secrets_in_json_keys_are_masked() {
        let mut v = serde_json::json!({
            "john.doe@example.com": 1,
            "AKIAIOSFODNN7EXAMPLE": {"n": 2},
            "550e8400-e29b-41d4-a716-446655440000": "uuid keys stay",
            "2024-05-01T12:00:00Z": "so do times",
        });
        m().mask_value("", &mut v);
        let text = v.to_string();
        assert!(
            !text.contains("john.doe") && !text.contains("IOSFODNN7EXA"),
            "{text}"
        );
        assert_eq!(v["j***@example.com"], 1);
        assert_eq!(v["AKIA************MPLE"]["n"], 2);
        assert_eq!(v["550e8400-e29b-41d4-a716-446655440000"], "uuid keys stay");
        assert_eq!(v["2024-05-01T12:00:00Z"], "so do times");
        // Two keys masked to the same text both stay.
        let mut v = serde_json::json!({"ann@example.com": 1, "amy@example.com": 2});
        m().mask_value("", &mut v);
        let obj = v.as_object().unwrap();
        assert_eq!(obj.len(), 2, "{v}");
        assert!(obj.contains_key("a***@example.com") && obj.contains_key("a***@example.com (2)"));
        // Many keys masked alike keep every value (and cost linear time).
        let mut many = serde_json::Map::new();
        for i in 0..5000 {
            many.insert(format!("a{i}@example.com"), Value::from(i));
        }
        many.insert("a***@example.com (3)".into(), Value::from(-1));
        let mut v = Value::Object(many);
        m().mask_value("", &mut v);
        let obj = v.as_object().unwrap();
        assert_eq!(obj.len(), 5001);
        assert!(obj.keys().all(|k| !k.contains("a1")), "{v}");
    }

    #[test]
    fn values_under_secret_named_keys_are_masked_whatever_their_type() {
        let mut v = serde_json::json!({
            "api_token": "t1", "clientSecret": {"v": "t2"}, "PRIVATE-KEY": ["t3"],
            "Password": 12345, "authorization": "Basic t4", "x.auth.token": true,
            "db_password": "t5", "deep": [{"inner": {"sessionToken": "t6"}}],
            "env": [{"name": "DB_PASSWORD", "value": "t7"}, {"name": "HOME", "value": "/root"}],
            "token_count": 3, "max_tokens": 512, "passwordLastUsed": "2024-01-01T00:00:00Z",
            "secretName": "prod/db", "nothing": null, "password": null,
        });
        m().mask_value("", &mut v);
        let text = v.to_string();
        for t in ["t1", "t2", "t3", "12345", "t4", "t5", "t6", "t7"] {
            assert!(!text.contains(&format!("\"{t}")), "{t} leaked: {text}");
        }
        assert_eq!(v["clientSecret"], MASK);
        assert_eq!(v["PRIVATE-KEY"], MASK);
        assert_eq!(v["Password"], MASK);
        assert_eq!(v["x.auth.token"], MASK);
        assert_eq!(v["deep"][0]["inner"]["sessionToken"], MASK);
        assert_eq!(v["env"][0]["value"], MASK);
        assert_eq!(v["env"][1]["value"], "/root");
        assert_eq!(v["token_count"], 3);
        assert_eq!(v["max_tokens"], 512);
        assert_eq!(v["passwordLastUsed"], "2024-01-01T00:00:00Z");
        assert_eq!(v["secretName"], "prod/db");
        assert!(v["password"].is_null());
        let keys: Vec<String> = vec!["token".into()];
        assert!(key_names_secret("X-Auth-Token", &keys));
        assert!(key_names_secret("apitoken", &keys));
        assert!(!key_names_secret("tokenizer", &keys));
    }

    #[test]
    fn policy_errors_are_typed_and_name_what_is_wrong() {
        let unknown = Policy {
            patterns: Some(vec!["email".into(), "emial".into()]),
            ..Policy::default()
        };
        let e = Masker::new(&unknown, None).unwrap_err();
        assert!(
            matches!(&e, PrivacyError::UnknownPattern { name, .. } if name == "emial"),
            "{e:?}"
        );
        assert!(e.to_string().contains("known: email, "), "{e}");
        let bad = Policy {
            extra_patterns: vec![crate::privacy::policy::ExtraPattern {
                name: "ticket".into(),
                regex: "(unclosed".into(),
            }],
            ..Policy::default()
        };
        let e = Masker::new(&bad, None).unwrap_err();
        assert!(
            matches!(&e, PrivacyError::Pattern { name, .. } if name == "ticket"),
            "{e:?}"
        );
        assert!(e.to_string().starts_with("pattern ticket: "), "{e}");
    }
}
