//! Privacy: masking of secrets and personal data in what auditlens shows and exports, role
//! views, and the access trail (who looked at which bundle, when, how).
//!
//! Allowed imports: `model`, `integrity` (JCS, record hashes), std, serde, `serde_json`,
//! chrono, regex, fs4, rustix (the real uid). The index keeps originals; masking applies on
//! the way out.
//!
//! Front ends call [`masker_for`] once (with the configuration folder, `--unmask` and `--role`), then
//! [`Masker::mask_event`] / [`Masker::mask_record`] / [`Masker::mask_text`] on everything
//! they show, and [`trail::record`] once per look at a bundle.

mod detect;
mod error;
pub mod mask;
mod policy;
pub mod trail;

use std::path::Path;

pub use detect::{MASK, luhn};
pub use error::PrivacyError;
pub use mask::Masker;
pub use policy::{Policy, Role};
pub(crate) use policy::{load_policy, load_roles};
pub use trail::{TrailEntry, TrailError};

/// The masker for a view: nothing masked with `unmask`, else the policy (embedded defaults
/// plus the user's `masking.json` in `config_dir`) with the named role's fields on top.
pub fn masker_for(
    config_dir: Option<&Path>,
    unmask: bool,
    role: Option<&str>,
) -> Result<Masker, PrivacyError> {
    let dir = config_dir;
    let role = match role {
        None => None,
        Some(name) => {
            let roles = load_roles(dir)?;
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
    let policy = load_policy(dir)?;
    Masker::new(&policy, role.as_ref())
}
