//! Privacy: masking of secrets and personal data in what auditlens shows and exports, role
//! views, and the access trail (who looked at which bundle, when, how).
//!
//! Allowed imports: `model`, `integrity` (JCS, record hashes), std, serde, `serde_json`,
//! chrono, regex, fs4, rustix (the real uid). The index keeps originals; masking applies on
//! the way out.
//!
//! Front ends call [`masker_for`] once (with `--unmask` and `--role`), then
//! [`Masker::mask_event`] / [`Masker::mask_record`] / [`Masker::mask_text`] on everything
//! they show, and [`trail::record`] once per look at a bundle.

mod detect;
mod error;
pub mod mask;
mod policy;
pub mod trail;

use std::path::PathBuf;

pub use detect::luhn;
pub use error::PrivacyError;
pub use mask::{MASK, Masker};
pub use policy::{Policy, Role, load_policy, load_roles};
pub use trail::{TrailEntry, TrailError};

/// `$XDG_CONFIG_HOME/auditlens`, else `~/.config/auditlens`.
pub fn config_dir() -> Option<PathBuf> {
    std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|v| !v.is_empty())
                .map(|h| PathBuf::from(h).join(".config"))
        })
        .map(|d| d.join("auditlens"))
}

/// The masker for a view: nothing masked with `unmask`, else the policy (embedded defaults
/// plus the user's `masking.json`) with the named role's fields on top.
pub fn masker_for(unmask: bool, role: Option<&str>) -> Result<Masker, PrivacyError> {
    let dir = config_dir();
    let role = match role {
        None => None,
        Some(name) => {
            let roles = load_roles(dir.as_deref())?;
            Some(
                roles
                    .get(name)
                    .cloned()
                    .ok_or_else(|| PrivacyError::UnknownRole {
                        name: name.to_owned(),
                        known: roles.keys().cloned().collect::<Vec<_>>().join(", "),
                    })?,
            )
        }
    };
    if unmask {
        // --unmask shows originals, but a role still removes the fields it hides.
        let mut m = Masker::disabled();
        if let Some(r) = &role {
            m = Masker::hiding_only(r);
        }
        return Ok(m);
    }
    let policy = load_policy(dir.as_deref())?;
    Masker::new(&policy, role.as_ref())
}
