//! `auditlens keygen`: an Ed25519 signing key and the matching trust-store entry.

use std::io::Write;

use anyhow::{Context, Result, bail};
use chrono::{SubsecRound, Utc};

use super::Outcome;
use crate::cli::KeygenArgs;
use crate::integrity::{SigningKey, TrustEntry, TrustStore};
use crate::model::escape_control;

/// Runs `keygen`.
pub fn run(a: &KeygenArgs, out: &mut dyn Write) -> Result<Outcome> {
    let key_path = a.out.join("signing-key.json");
    let trust_path = a.out.join("trust.json");
    for p in [&key_path, &trust_path] {
        if p.exists() {
            bail!("{} exists: not overwritten", p.display());
        }
    }
    std::fs::create_dir_all(&a.out).with_context(|| format!("creating {}", a.out.display()))?;
    let key = SigningKey::generate()?;
    write_secret(&key_path, key.to_file_json(&a.name).as_bytes())
        .with_context(|| format!("writing {}", key_path.display()))?;
    let store = TrustStore {
        keys: vec![TrustEntry::new(
            &key.verifying_key(),
            &a.name,
            Utc::now().trunc_subsecs(0),
        )],
    };
    store.write(&trust_path)?;
    writeln!(
        out,
        "key {} ({}): secret key in {} (keep it away from the log source), trust-store entry in {} \
         (copy it to the verifiers' $XDG_CONFIG_HOME/auditlens/trust.json)",
        key.key_id(),
        escape_control(&a.name),
        key_path.display(),
        trust_path.display()
    )?;
    Ok(Outcome::Ok)
}

#[cfg(unix)]
fn write_secret(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(bytes)
}

#[cfg(not(unix))]
fn write_secret(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::write(path, bytes)
}
