//! Masking policy and roles: the embedded `masking.json` and `roles.json`, extended by the
//! user's files in the config folder.

use std::path::Path;

use serde::Deserialize;

use super::error::PrivacyError;

/// The embedded default policy.
pub const DEFAULT_POLICY: &str = include_str!("../../assets/masking.json");
/// The embedded roles.
pub const DEFAULT_ROLES: &str = include_str!("../../assets/roles.json");

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
    /// Record fields that hold an identity (who acted), besides the event's `actor.id`: a
    /// role with `show_identities` sees the e-mail address or phone number they hold.
    #[serde(default)]
    pub identity_fields: Vec<String>,
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
    /// Identities in clear: an e-mail address or phone number that is the actor (or sits in
    /// a policy `identity_fields` field) is shown; secrets and other personal data stay
    /// masked.
    #[serde(default)]
    pub show_identities: bool,
}

#[derive(Debug, Deserialize)]
struct Roles {
    roles: std::collections::BTreeMap<String, Role>,
}

/// The roles defined in `roles.json` (embedded, extended by
/// `$XDG_CONFIG_HOME/auditlens/roles.json`).
pub(crate) fn load_roles(
    config_dir: Option<&Path>,
) -> Result<std::collections::BTreeMap<String, Role>, PrivacyError> {
    let mut roles = serde_json::from_str::<Roles>(DEFAULT_ROLES)
        .map_err(|source| PrivacyError::Embedded {
            file: "roles.json",
            source,
        })?
        .roles;
    if let Some(p) = config_dir
        .map(|d| d.join("roles.json"))
        .filter(|p| p.exists())
    {
        let text = std::fs::read_to_string(&p).map_err(|source| PrivacyError::Read {
            path: p.clone(),
            source,
        })?;
        let user = serde_json::from_str::<Roles>(&text)
            .map_err(|source| PrivacyError::Parse { path: p, source })?;
        roles.extend(user.roles);
    }
    Ok(roles)
}

/// The default policy merged with the user's file in `config_dir` (when present).
pub(crate) fn load_policy(config_dir: Option<&Path>) -> Result<Policy, PrivacyError> {
    let mut policy: Policy =
        serde_json::from_str(DEFAULT_POLICY).map_err(|source| PrivacyError::Embedded {
            file: "masking.json",
            source,
        })?;
    if let Some(p) = config_dir
        .map(|d| d.join("masking.json"))
        .filter(|p| p.exists())
    {
        let text = std::fs::read_to_string(&p).map_err(|source| PrivacyError::Read {
            path: p.clone(),
            source,
        })?;
        let user: Policy = serde_json::from_str(&text)
            .map_err(|source| PrivacyError::Parse { path: p, source })?;
        if user.patterns.is_some() {
            policy.patterns = user.patterns;
        }
        policy.secret_keys.extend(user.secret_keys);
        policy.fields.extend(user.fields);
        policy.extra_patterns.extend(user.extra_patterns);
        policy.identity_fields.extend(user.identity_fields);
    }
    Ok(policy)
}
