//! Sealed bundles (`spec/bundle-format.md`): canonical JSON, record hashes and hash chains,
//! Merkle roots, Ed25519 signatures and trust stores, the bundle writer and the verifier.
//!
//! Allowed imports: `model`, `ingest` (strict JSON, member paths), std, serde, `serde_json`,
//! chrono, sha2, ed25519-dalek, base64, getrandom, flate2, tar. Integrity breaks are data in a
//! [`Report`], never errors: [`IntegrityError`] is for what stops a run (I/O, bad arguments).

mod digest;
mod envelope;
mod error;
mod export_chain;
pub mod jcs;
mod keys;
mod manifest;
pub mod merkle;
mod onepass;
pub(crate) use onepass::one_read;
mod report;
mod source;
mod status;
mod stream_check;
pub mod tamper;
mod verify;
mod writer;

pub(crate) use digest::genesis_prev;
pub use digest::{Digest32, record_hash, sha256};
pub(crate) use envelope::parse_line;
pub use error::IntegrityError;
pub use export_chain::check_export_chain;
pub(crate) use keys::default_trust_path;
pub use keys::{SigningKey, TrustEntry, TrustStore, VerifyingKey, key_id};
pub use manifest::{Checkpoint, FileEntry, Manifest, PrevExport, Producer, StreamInfo};
pub(crate) use report::is_error_code;
pub use report::{
    FileResult, Finding, RecordStatus, Report, SignatureReport, StreamResult, Verdict,
};
pub use source::{BundleSource, Member};
pub use status::{InputCheck, TRUST_ENV, Verification, VerifiedStatuses, status_lookup_with};
pub(crate) use status::{status_lookup, verification_units};
pub use verify::{VerifyOptions, verify_bundle};
pub(crate) use writer::valid_stream_id;
pub use writer::{BundleSummary, BundleWriter, sign_manifest};

pub use digest::DigestParseError;
#[cfg(test)]
pub(crate) use source::tests::opens_of as source_opens;
#[cfg(test)]
pub(crate) use verify::set_early_budget;

/// The manifest's `format` value.
pub const FORMAT: &str = "auditlens-bundle/v1";
/// Records between checkpoints.
pub const CHECKPOINT_EVERY: u64 = 1024;
/// Prefix of the signed message: the signature covers this followed by manifest.json.
pub const SIGNING_CONTEXT: &[u8] = b"auditlens-bundle/v1 manifest\n";
