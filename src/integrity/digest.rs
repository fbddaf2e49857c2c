//! `Digest32`: a SHA-256 value, shown and parsed as 64 lower-case hex digits.

use std::fmt;
use std::str::FromStr;

use sha2::{Digest, Sha256};

/// A 32-byte SHA-256 digest.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Digest32(pub [u8; 32]);

impl Digest32 {
    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Parses exactly 64 lower-case hex digits.
    pub(crate) fn from_hex(s: &str) -> Option<Self> {
        let b = s.as_bytes();
        if b.len() != 64 {
            return None;
        }
        let mut out = [0u8; 32];
        for (i, pair) in b.chunks_exact(2).enumerate() {
            out[i] = (nibble(pair[0])? << 4) | nibble(pair[1])?;
        }
        Some(Self(out))
    }

    /// Lower-case hex.
    pub fn to_hex(&self) -> String {
        self.to_string()
    }
}

fn nibble(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    }
}

impl fmt::Display for Digest32 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut s = [0u8; 64];
        for (i, b) in self.0.iter().enumerate() {
            s[2 * i] = HEX[usize::from(b >> 4)];
            s[2 * i + 1] = HEX[usize::from(b & 15)];
        }
        f.write_str(std::str::from_utf8(&s).map_err(|_| fmt::Error)?)
    }
}

impl fmt::Debug for Digest32 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Digest32({self})")
    }
}

/// Text that is not a digest (64 lower-case hex digits); it holds the text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not 64 lower-case hex digits: {0:?}")]
pub struct DigestParseError(pub String);

impl FromStr for Digest32 {
    type Err = DigestParseError;
    fn from_str(s: &str) -> Result<Self, DigestParseError> {
        Self::from_hex(s).ok_or_else(|| DigestParseError(s.to_owned()))
    }
}

impl serde::Serialize for Digest32 {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Digest32 {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Self::from_hex(&s).ok_or_else(|| serde::de::Error::custom("expected 64 lower-case hex"))
    }
}

/// SHA-256 of `bytes`.
pub fn sha256(bytes: &[u8]) -> Digest32 {
    Digest32(Sha256::digest(bytes).into())
}

/// The record hash: `SHA-256(0x00 || rec bytes)` (the RFC 6962 leaf hash).
pub fn record_hash(rec: &[u8]) -> Digest32 {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(rec);
    Digest32(h.finalize().into())
}

/// `prev` of seq 0: `SHA-256("auditlens/v1 genesis\n" || stream)`.
pub(crate) fn genesis_prev(stream: &str) -> Digest32 {
    let mut h = Sha256::new();
    h.update(b"auditlens/v1 genesis\n");
    h.update(stream.as_bytes());
    Digest32(h.finalize().into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trip_and_rejects() {
        let d = sha256(b"");
        assert_eq!(
            d.to_string(),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(Digest32::from_hex(&d.to_string()), Some(d));
        assert_eq!(Digest32::from_hex(&d.to_string().to_uppercase()), None);
        assert_eq!(Digest32::from_hex("abc"), None);
        assert_eq!(
            "abc".parse::<Digest32>(),
            Err(DigestParseError("abc".into()))
        );
        assert_eq!(d.to_string().parse::<Digest32>(), Ok(d));
        assert_eq!(Digest32::from_hex(&"g".repeat(64)), None);
    }

    #[test]
    fn record_hash_is_the_rfc6962_leaf_hash() {
        // RFC 6962 leaf hash of the empty leaf.
        assert_eq!(
            record_hash(b"").to_string(),
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
        );
    }

    #[test]
    fn genesis_is_domain_separated_per_stream() {
        let mut h = Sha256::new();
        h.update(b"auditlens/v1 genesis\nregistry");
        assert_eq!(genesis_prev("registry").0, <[u8; 32]>::from(h.finalize()));
        assert_ne!(genesis_prev("a"), genesis_prev("b"));
    }
}
