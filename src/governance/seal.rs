//! Sealing a report: a sidecar `FILE.sig` naming the report's SHA-256, the inputs and their
//! digests, and the verify verdict, signed with an Ed25519 key in the format `keygen`
//! writes. The signature covers [`SIGNING_CONTEXT`] followed by the RFC 8785 canonical form
//! of the seal without its `signature` member.

use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::report::InputDigest;
use crate::integrity::{SigningKey, TrustStore, jcs, sha256};

/// The seal's `format` value.
pub const SEAL_FORMAT: &str = "auditlens-report-seal/v1";
/// Prefix of the signed message.
pub const SIGNING_CONTEXT: &[u8] = b"auditlens-report/v1 seal\n";

/// A report's seal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportSeal {
    /// [`SEAL_FORMAT`].
    pub format: String,
    /// The standard reported on.
    pub standard: String,
    /// Hex SHA-256 of the report file's bytes.
    pub report_sha256: String,
    /// The inputs and their digests when the report was made.
    pub inputs: Vec<SealInput>,
    /// The verify verdict over the inputs.
    pub integrity_verdict: String,
    /// When it was signed.
    pub created_at: DateTime<Utc>,
    /// The signing key's id.
    pub key_id: String,
    /// Base64 of the Ed25519 signature.
    #[serde(default)]
    pub signature: String,
}

/// An input named by a seal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SealInput {
    /// Path as given.
    pub path: String,
    /// Digest.
    pub digest: String,
}

/// `FILE.sig`.
pub(crate) fn seal_path(report: &Path) -> PathBuf {
    let mut name = report.as_os_str().to_owned();
    name.push(".sig");
    PathBuf::from(name)
}

/// Why a report could not be sealed, or its seal does not hold.
#[derive(Debug, thiserror::Error)]
pub enum SealError {
    /// The seal could not be written or read as JSON.
    #[error("the seal is not valid: {0}")]
    Json(#[from] serde_json::Error),
    /// The seal's fields could not be put in canonical form.
    #[error("the seal cannot be canonicalised: {0}")]
    Canonical(String),
    /// Another seal format.
    #[error("the seal's format is not {SEAL_FORMAT}")]
    Format,
    /// The report's bytes are not those sealed.
    #[error("the report was changed: its sha256 is {actual}, the seal names {sealed}")]
    Changed {
        /// The report's digest now.
        actual: String,
        /// The digest the seal names.
        sealed: String,
    },
    /// The signature field is not a signature.
    #[error("the signature is not 64 bytes of base64")]
    BadSignature,
    /// Nothing to check the signature against.
    #[error("no trust store: the signature cannot be trusted (use --trust FILE)")]
    NoTrust,
    /// The signing key was not valid when the seal was made.
    #[error("key {key} ({name}) was not valid at {at}")]
    KeyNotValid {
        /// Key id.
        key: String,
        /// Its name in the trust store.
        name: String,
        /// When the seal says it was made.
        at: DateTime<Utc>,
    },
    /// The signature does not verify.
    #[error("the signature does not match (key {0}): the seal was changed")]
    Mismatch(String),
    /// The key is not trusted.
    #[error("key {0} is not in the trust store")]
    UnknownKey(String),
}

fn message(seal: &ReportSeal) -> Result<Vec<u8>, SealError> {
    let mut v = serde_json::to_value(seal)?;
    if let Some(m) = v.as_object_mut() {
        m.remove("signature");
    }
    let canon = jcs::to_string(&v).map_err(|e| SealError::Canonical(e.to_string()))?;
    let mut msg = SIGNING_CONTEXT.to_vec();
    msg.extend_from_slice(canon.as_bytes());
    Ok(msg)
}

/// Signs the report bytes: the seal's JSON text.
pub(crate) fn sign_report(
    key: &SigningKey,
    report: &[u8],
    standard: &str,
    inputs: &[InputDigest],
    verdict: &str,
    now: DateTime<Utc>,
) -> Result<String, SealError> {
    let mut seal = ReportSeal {
        format: SEAL_FORMAT.to_owned(),
        standard: standard.to_owned(),
        report_sha256: sha256(report).to_hex(),
        inputs: inputs
            .iter()
            .map(|i| SealInput {
                path: i.path.clone(),
                digest: i.digest.clone(),
            })
            .collect(),
        integrity_verdict: verdict.to_owned(),
        created_at: now,
        key_id: key.key_id(),
        signature: String::new(),
    };
    seal.signature = B64.encode(key.sign(&message(&seal)?));
    let mut s = serde_json::to_string_pretty(&seal)?;
    s.push('\n');
    Ok(s)
}

/// Checks a seal against the report bytes and the trust store: the report's digest, and a
/// signature by a trusted key valid when it was made. Returns the seal and the signer's name.
pub(crate) fn verify_seal(
    report: &[u8],
    seal_text: &str,
    trust: Option<&TrustStore>,
) -> Result<(ReportSeal, String), SealError> {
    let seal: ReportSeal = serde_json::from_str(seal_text)?;
    if seal.format != SEAL_FORMAT {
        return Err(SealError::Format);
    }
    let actual = sha256(report).to_hex();
    if actual != seal.report_sha256 {
        return Err(SealError::Changed {
            actual,
            sealed: seal.report_sha256,
        });
    }
    let sig: [u8; 64] = B64
        .decode(seal.signature.as_bytes())
        .ok()
        .and_then(|v| v.try_into().ok())
        .ok_or(SealError::BadSignature)?;
    let Some(trust) = trust else {
        return Err(SealError::NoTrust);
    };
    let msg = message(&seal)?;
    for entry in trust.find(&seal.key_id) {
        let Some(k) = entry.verifying_key() else {
            continue;
        };
        if k.verify_strict(&msg, &sig) {
            if !entry.valid_at(seal.created_at) {
                return Err(SealError::KeyNotValid {
                    key: seal.key_id.clone(),
                    name: entry.name.clone(),
                    at: seal.created_at,
                });
            }
            return Ok((seal.clone(), entry.name.clone()));
        }
        return Err(SealError::Mismatch(seal.key_id.clone()));
    }
    Err(SealError::UnknownKey(seal.key_id))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::integrity::TrustEntry;

    fn setup() -> (SigningKey, TrustStore, String) {
        let k = SigningKey::from_seed([9; 32]);
        let t = TrustStore {
            keys: vec![TrustEntry::new(
                &k.verifying_key(),
                "auditor",
                "2026-01-01T00:00:00Z".parse().unwrap(),
            )],
        };
        let inputs = vec![InputDigest {
            path: "b".into(),
            digest: "ab".repeat(32),
            remote: None,
        }];
        let now = "2026-06-01T00:00:00Z".parse().unwrap();
        let seal = sign_report(&k, b"report", "soc2", &inputs, "verified", now).unwrap();
        (k, t, seal)
    }

    #[test]
    fn a_signed_report_verifies_and_any_change_fails() {
        let (_, trust, seal) = setup();
        let (s, who) = verify_seal(b"report", &seal, Some(&trust)).unwrap();
        assert_eq!(who, "auditor");
        assert_eq!(s.inputs[0].path, "b");
        assert!(matches!(
            verify_seal(b"rePort", &seal, Some(&trust)),
            Err(SealError::Changed { .. })
        ));
        let forged = seal.replace("\"verified\"", "\"tampered\"");
        assert!(matches!(
            verify_seal(b"report", &forged, Some(&trust)),
            Err(SealError::Mismatch(_))
        ));
        assert!(matches!(
            verify_seal(b"report", &seal, None),
            Err(SealError::NoTrust)
        ));
        let other = TrustStore::default();
        let e = verify_seal(b"report", &seal, Some(&other)).unwrap_err();
        assert!(matches!(e, SealError::UnknownKey(_)), "{e}");
        assert!(e.to_string().contains("not in the trust store"));
    }
}
