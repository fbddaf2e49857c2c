//! Ed25519 keys, key ids, signing key files and the local trust store (spec section 5).

use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use chrono::{DateTime, Utc};
use ed25519_dalek::Signer as _;
use serde::{Deserialize, Serialize};

use super::IntegrityError;
use super::digest::sha256;

/// `key_id` = hex of the first 8 bytes of SHA-256(the 32-byte public key).
pub fn key_id(public_key: &[u8; 32]) -> String {
    sha256(public_key).to_string()[..16].to_owned()
}

/// An Ed25519 public key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VerifyingKey(pub(crate) ed25519_dalek::VerifyingKey);

impl VerifyingKey {
    /// Parses a public key, refusing invalid and small-order (weak) keys.
    pub fn from_bytes(bytes: &[u8; 32]) -> Option<Self> {
        let k = ed25519_dalek::VerifyingKey::from_bytes(bytes).ok()?;
        if k.is_weak() {
            return None;
        }
        Some(Self(k))
    }

    /// The 32 bytes.
    pub fn to_bytes(&self) -> [u8; 32] {
        self.0.to_bytes()
    }

    /// The key id.
    pub fn key_id(&self) -> String {
        key_id(&self.to_bytes())
    }

    /// Base64 of the 32 bytes (as in the trust store).
    pub fn to_base64(&self) -> String {
        B64.encode(self.to_bytes())
    }

    /// Strict verification (no malleable signatures, no small-order components).
    pub(crate) fn verify_strict(&self, msg: &[u8], sig: &[u8; 64]) -> bool {
        let sig = ed25519_dalek::Signature::from_bytes(sig);
        self.0.verify_strict(msg, &sig).is_ok()
    }
}

/// An Ed25519 signing key.
#[derive(Clone)]
pub struct SigningKey(ed25519_dalek::SigningKey);

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SigningKey({})", self.key_id())
    }
}

/// On-disk form of a signing key (written by `auditlens keygen`).
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyFile {
    alg: String,
    key_id: String,
    name: String,
    public_key: String,
    seed: String,
}

impl SigningKey {
    /// The key of a 32-byte seed (the sample uses a fixed demo seed).
    pub fn from_seed(seed: [u8; 32]) -> Self {
        Self(ed25519_dalek::SigningKey::from_bytes(&seed))
    }

    /// A new key from OS randomness.
    pub fn generate() -> Result<Self, IntegrityError> {
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed)
            .map_err(|e| IntegrityError::Argument(format!("no OS randomness: {e}")))?;
        Ok(Self::from_seed(seed))
    }

    /// The public half.
    pub fn verifying_key(&self) -> VerifyingKey {
        VerifyingKey(self.0.verifying_key())
    }

    /// The key id of the public half.
    pub fn key_id(&self) -> String {
        self.verifying_key().key_id()
    }

    /// Signs `msg`.
    pub fn sign(&self, msg: &[u8]) -> [u8; 64] {
        self.0.sign(msg).to_bytes()
    }

    /// The key file text (JSON; keep it secret).
    pub(crate) fn to_file_json(&self, name: &str) -> String {
        let f = KeyFile {
            alg: "ed25519".to_owned(),
            key_id: self.key_id(),
            name: name.to_owned(),
            public_key: self.verifying_key().to_base64(),
            seed: B64.encode(self.0.to_bytes()),
        };
        let mut s = serde_json::to_string_pretty(&f).unwrap_or_default();
        s.push('\n');
        s
    }

    /// Reads a key file written by [`SigningKey::to_file_json`].
    pub(crate) fn read_file(path: &Path) -> Result<Self, IntegrityError> {
        let bytes = std::fs::read(path).map_err(|e| IntegrityError::io(path, e))?;
        let f: KeyFile = serde_json::from_slice(&bytes)
            .map_err(|e| IntegrityError::invalid(path, Some(e.line() as u64), e.to_string()))?;
        if f.alg != "ed25519" {
            return Err(IntegrityError::invalid(path, None, "alg is not ed25519"));
        }
        let seed: [u8; 32] = B64
            .decode(f.seed.as_bytes())
            .ok()
            .and_then(|v| v.try_into().ok())
            .ok_or_else(|| IntegrityError::invalid(path, None, "seed is not 32 bytes of base64"))?;
        let key = Self::from_seed(seed);
        if key.key_id() != f.key_id {
            return Err(IntegrityError::invalid(
                path,
                None,
                "key_id does not match the key",
            ));
        }
        Ok(key)
    }
}

/// One trusted key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrustEntry {
    /// 16 hex digits.
    pub key_id: String,
    /// Base64 of the 32-byte public key.
    pub public_key: String,
    /// Who signs with it.
    pub name: String,
    /// Signatures of manifests created before this do not count.
    pub not_before: DateTime<Utc>,
    /// Signatures of manifests created after this do not count.
    pub not_after: Option<DateTime<Utc>>,
    /// Revoked from this time on.
    pub revoked_at: Option<DateTime<Utc>>,
}

impl TrustEntry {
    /// An entry for `key`, valid from `not_before` on.
    pub fn new(key: &VerifyingKey, name: &str, not_before: DateTime<Utc>) -> Self {
        Self {
            key_id: key.key_id(),
            public_key: key.to_base64(),
            name: name.to_owned(),
            not_before,
            not_after: None,
            revoked_at: None,
        }
    }

    /// The public key, when it decodes, is not weak and hashes to `key_id`.
    pub fn verifying_key(&self) -> Option<VerifyingKey> {
        let bytes: [u8; 32] = B64
            .decode(self.public_key.as_bytes())
            .ok()?
            .try_into()
            .ok()?;
        let k = VerifyingKey::from_bytes(&bytes)?;
        (k.key_id() == self.key_id).then_some(k)
    }

    /// Whether a manifest created at `t` lies in the key's validity.
    pub(crate) fn valid_at(&self, t: DateTime<Utc>) -> bool {
        t >= self.not_before
            && self.not_after.is_none_or(|na| t <= na)
            && self.revoked_at.is_none_or(|r| t < r)
    }
}

/// The local trust store: `{"keys":[...]}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrustStore {
    /// Trusted keys.
    pub keys: Vec<TrustEntry>,
}

impl TrustStore {
    /// Reads a trust store (duplicate JSON keys are refused).
    pub fn read(path: &Path) -> Result<Self, IntegrityError> {
        let bytes = std::fs::read(path).map_err(|e| IntegrityError::io(path, e))?;
        Self::parse(path, &bytes)
    }

    /// Parses the bytes of a trust store read from `path` (named in errors).
    pub fn parse(path: &Path, bytes: &[u8]) -> Result<Self, IntegrityError> {
        let v = crate::ingest::parse_strict(bytes)
            .map_err(|e| IntegrityError::invalid(path, Some(e.line() as u64), e.to_string()))?;
        serde_json::from_value(v).map_err(|e| IntegrityError::invalid(path, None, e.to_string()))
    }

    /// The trust store text.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s
    }

    /// Writes the trust store.
    pub fn write(&self, path: &Path) -> Result<(), IntegrityError> {
        std::fs::write(path, self.to_json()).map_err(|e| IntegrityError::io(path, e))
    }

    /// The entries with this key id.
    pub fn find<'a>(&'a self, key_id: &'a str) -> impl Iterator<Item = &'a TrustEntry> + 'a {
        self.keys.iter().filter(move |k| k.key_id == key_id)
    }
}

/// The default trust store: `$XDG_CONFIG_HOME/auditlens/trust.json`, else
/// `~/.config/auditlens/trust.json`.
pub(crate) fn default_trust_path() -> Option<PathBuf> {
    if let Some(x) = std::env::var_os("XDG_CONFIG_HOME").filter(|x| !x.is_empty()) {
        return Some(PathBuf::from(x).join("auditlens/trust.json"));
    }
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(|h| PathBuf::from(h).join(".config/auditlens/trust.json"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_verify_and_key_id() {
        let k = SigningKey::from_seed([7; 32]);
        let vk = k.verifying_key();
        let sig = k.sign(b"hello");
        assert!(vk.verify_strict(b"hello", &sig));
        assert!(!vk.verify_strict(b"hellO", &sig));
        assert_eq!(k.key_id().len(), 16);
        assert_eq!(k.key_id(), sha256(&vk.to_bytes()).to_string()[..16]);
    }

    #[test]
    fn weak_keys_are_refused() {
        // The identity point (small order).
        let mut id = [0u8; 32];
        id[0] = 1;
        assert!(VerifyingKey::from_bytes(&id).is_none());
    }

    #[test]
    fn key_file_and_trust_store_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let k = SigningKey::generate().unwrap();
        let p = dir.path().join("k.json");
        std::fs::write(&p, k.to_file_json("ops")).unwrap();
        assert_eq!(SigningKey::read_file(&p).unwrap().key_id(), k.key_id());
        let t0 = "2024-01-01T00:00:00Z".parse().unwrap();
        let store = TrustStore {
            keys: vec![TrustEntry::new(&k.verifying_key(), "ops", t0)],
        };
        let tp = dir.path().join("trust.json");
        store.write(&tp).unwrap();
        let back = TrustStore::read(&tp).unwrap();
        assert_eq!(back, store);
        let text = std::fs::read_to_string(&tp).unwrap();
        assert!(text.contains("\"not_after\": null"), "{text}");
        assert!(back.keys[0].verifying_key().is_some());
        assert!(back.keys[0].valid_at(t0));
        assert!(!back.keys[0].valid_at("2023-12-31T23:59:59Z".parse().unwrap()));
    }
}
