//! The explorer's live build shows its rows before the verification's verdict is known:
//! each record of a sealed input is labelled `pending` while it is indexed (the
//! verification runs beside the load), and once both have ended the status column is
//! written again from the verdict, record by record, from the bytes the index holds.
//!
//! The proof that a `verified` label belongs to the bytes indexed is the verification's
//! own: the [`StatusLookup`] gives a line's status only when the hash it is asked about
//! is the hash of the line the verifier read. That hash is taken by the load from the very
//! bytes it decoded into the event (the `pending:` label carries it to the writer, which
//! keeps it by ordinal in a ledger file), so a record whose indexed bytes differ from the
//! verified ones is never `verified`. (The stored `raw` is not the line's bytes for a
//! native record: its `hash` is kept apart.)

use std::os::unix::fs::FileExt as _;
use std::path::Path;
use std::sync::Arc;

use tantivy::schema::Value as _;
use tantivy::{DocAddress, Index, TantivyDocument};

use super::IndexError;
use super::statuses::{self, StatusHome};
use crate::ingest::StatusLookup;

/// The ledger's file name in the build folder (removed once the verdict is written).
pub(super) const LEDGER: &str = "verdict.ledger";

/// Labels every record `pending`, with the hash of its bytes (a live build's load, before
/// the verdict).
pub(super) struct Pending;

impl StatusLookup for Pending {
    fn status(&self, _: &str, _: u64, bytes: &[u8]) -> Option<String> {
        use sha2::{Digest, Sha256};
        Some(statuses::pending_label(&Sha256::digest(bytes).into()))
    }
}

/// Starts the verification behind `lookup` on its own thread, so that it runs while the
/// load indexes (the lookup verifies on its first call, once).
pub(super) fn start(lookup: &Arc<dyn StatusLookup>) {
    let lookup = Arc::clone(lookup);
    let spawned = std::thread::Builder::new()
        .name("auditlens-verify".to_owned())
        .spawn(move || {
            let _ = lookup.status("", 0, b"");
        });
    // Without a thread, the verdict pass below verifies on its first lookup.
    drop(spawned);
}

/// Rewrites the status column of the complete index in the build folder `tmp` (nothing
/// without a `lookup`): every `pending`
/// record gets the status `lookup` gives its stored bytes (waiting for the verification
/// when it is still running). Memory: the column (a byte per event) and one document.
pub(super) fn write_verdict(
    tmp: &Path,
    lookup: Option<&dyn StatusLookup>,
) -> Result<(), IndexError> {
    let Some(lookup) = lookup else {
        return Ok(());
    };
    let ledger = tmp.join(LEDGER);
    write_from(&tmp.join("index"), &ledger, lookup)?;
    let _ = std::fs::remove_file(ledger);
    Ok(())
}

fn write_from(
    index_dir: &Path,
    ledger: &Path,
    lookup: &dyn StatusLookup,
) -> Result<(), IndexError> {
    let ledger_file = std::fs::File::open(ledger).map_err(|e| IndexError::Io {
        context: format!("reading {}", ledger.display()),
        source: e,
    })?;
    let index = Index::open_in_dir(index_dir)?;
    let fields = super::fields_of(&index)?;
    let reader: tantivy::IndexReader = index
        .reader_builder()
        .reload_policy(tantivy::ReloadPolicy::Manual)
        .try_into()?;
    let searcher = reader.searcher();
    let home = StatusHome::dir(index_dir);
    let mut codes = home.read_complete(searcher.num_docs())?.codes().to_vec();
    if !codes.contains(&statuses::PENDING) {
        return Ok(());
    }
    let path = fields.keyword("path");
    for (seg, reader) in searcher.segment_readers().iter().enumerate() {
        let seg = u32::try_from(seg).unwrap_or(u32::MAX);
        for doc in 0..reader.max_doc() {
            if reader.is_deleted(doc) {
                continue;
            }
            let d: TantivyDocument = searcher.doc(DocAddress::new(seg, doc))?;
            let Some(ord) = d.get_first(fields.ord).and_then(|v| v.as_u64()) else {
                continue;
            };
            let Some(slot) = usize::try_from(ord).ok().and_then(|i| codes.get_mut(i)) else {
                continue;
            };
            if *slot != statuses::PENDING {
                continue;
            }
            let str_of = |f| d.get_first(f).and_then(|v| v.as_str());
            let line = d.get_first(fields.line).and_then(|v| v.as_u64());
            let mut hash = [0u8; 32];
            // A record whose hash is missing from the ledger gets no proof: `unverified`.
            let status = match ledger_file.read_exact_at(&mut hash, ord.saturating_mul(32)) {
                Ok(()) if hash != [0; 32] => lookup.status_of_hash(
                    str_of(path).unwrap_or_default(),
                    line.unwrap_or_default(),
                    &hash,
                ),
                _ => Some(crate::model::RecordStatus::Unverified.lower().to_owned()),
            };
            *slot = statuses::code_of_label(status.as_deref());
        }
    }
    // A record that no document names stays pending nowhere: nothing shows it.
    for c in &mut codes {
        if *c == statuses::PENDING {
            *c = statuses::NONE;
        }
    }
    home.write(&codes)
}
