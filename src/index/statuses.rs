//! The integrity status column: one byte per ingest ordinal, beside the index rather than in
//! its documents, so that the statuses can be written (or rewritten) once the
//! verification's verdict is known, without touching a segment.
//!
//! On disk it is the file [`FILE`] in the index folder, written whole and atomically (a
//! temporary file renamed over it): a header (magic, entry count, a checksum of the entries)
//! then the entries. The cache's file stamps cover it like the index's own files, and every
//! load checks its header and checksum: a damaged or cut file is damage (the cached index is
//! rebuilt), never statuses read wrong. An index in RAM (tests, benches) keeps it in memory.
//!
//! Allowed imports: `model` (the statuses), std.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use super::IndexError;
use crate::model::RecordStatus;

/// The status file's name in the index folder.
pub(crate) const FILE: &str = "integrity.status";
/// Its magic and format version.
const MAGIC: &[u8; 8] = b"ALSTAT1\n";
/// Magic, count, checksum.
const HEADER: usize = 8 + 8 + 8;

/// Not a record of a sealed bundle: no status.
pub(crate) const NONE: u8 = 0;
/// The verification's verdict is not known yet.
pub(crate) const PENDING: u8 = 1;
/// Codes at or above this are a [`RecordStatus`] (`code - FIRST_STATUS`).
const FIRST_STATUS: u8 = 2;
/// Every code in use is below this.
pub(crate) const CODES: usize = FIRST_STATUS as usize + RecordStatus::ALL.len();

/// The label shown for [`PENDING`] (and matched by `integrity:pending`).
pub(crate) const PENDING_LABEL: &str = "pending";

/// The code of a record status.
pub(crate) fn code(status: RecordStatus) -> u8 {
    FIRST_STATUS + status as u8
}

/// The code of an event's integrity label as the load attached it: none, `pending`, or a
/// status; any other text is `unverified` (a label that is not a status proves nothing).
pub(crate) fn code_of_label(label: Option<&str>) -> u8 {
    match label {
        None => NONE,
        Some(PENDING_LABEL) => PENDING,
        Some(s) => code(RecordStatus::from_lower(s).unwrap_or(RecordStatus::Unverified)),
    }
}

/// The label of a code: `None` for [`NONE`] (and for codes no writer makes).
pub(crate) fn label(code: u8) -> Option<&'static str> {
    match code {
        NONE => None,
        PENDING => Some(PENDING_LABEL),
        c => RecordStatus::from_u8(c - FIRST_STATUS).map(RecordStatus::lower),
    }
}

/// Every label a query may name, with its code.
pub(crate) fn labels() -> impl Iterator<Item = (u8, &'static str)> {
    (PENDING..u8::try_from(CODES).unwrap_or(u8::MAX)).filter_map(|c| Some((c, label(c)?)))
}

/// The statuses of an index, by ordinal (a snapshot: cheap to clone).
#[derive(Clone, Debug, Default)]
pub(crate) struct StatusColumn {
    codes: Arc<[u8]>,
}

impl StatusColumn {
    /// The column holding `codes` (index = ordinal).
    pub(crate) fn new(codes: Vec<u8>) -> Self {
        Self {
            codes: codes.into(),
        }
    }

    /// The code of ordinal `ord` ([`NONE`] past the end).
    pub(crate) fn get(&self, ord: u64) -> u8 {
        usize::try_from(ord)
            .ok()
            .and_then(|i| self.codes.get(i))
            .copied()
            .unwrap_or(NONE)
    }

    /// Ordinals it holds.
    pub(crate) fn len(&self) -> u64 {
        self.codes.len() as u64
    }

    /// The codes (index = ordinal).
    pub(crate) fn codes(&self) -> &[u8] {
        &self.codes
    }
}

/// Where an index keeps its status column.
#[derive(Clone, Debug)]
pub(crate) enum StatusHome {
    /// The file [`FILE`] in this index folder.
    Dir(PathBuf),
    /// In memory (an index in RAM), shared by its writer and its readers.
    Ram(Arc<RwLock<StatusColumn>>),
}

impl StatusHome {
    /// The home of an index kept in memory.
    pub(crate) fn ram() -> Self {
        Self::Ram(Arc::default())
    }

    /// The home of the index in folder `dir`.
    pub(crate) fn dir(dir: &Path) -> Self {
        Self::Dir(dir.to_owned())
    }

    /// Replaces the column with `codes`, atomically: readers see the old one or the new.
    pub(crate) fn write(&self, codes: &[u8]) -> Result<(), IndexError> {
        match self {
            Self::Ram(col) => {
                let mut slot = col
                    .write()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                *slot = StatusColumn::new(codes.to_vec());
                Ok(())
            }
            Self::Dir(dir) => {
                let path = dir.join(FILE);
                let tmp = dir.join(format!(".{FILE}.tmp{}", std::process::id()));
                let io = |e| IndexError::Io {
                    context: format!("writing {}", path.display()),
                    source: e,
                };
                std::fs::write(&tmp, encode(codes)).map_err(io)?;
                std::fs::rename(&tmp, &path).map_err(|e| {
                    let _ = std::fs::remove_file(&tmp);
                    io(e)
                })
            }
        }
    }

    /// The column as last written: empty when none was written yet; an error
    /// ([`IndexError::Corrupt`]) when the file is damaged.
    pub(crate) fn read(&self) -> Result<StatusColumn, IndexError> {
        match self {
            Self::Ram(col) => Ok(col
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .clone()),
            Self::Dir(dir) => match std::fs::read(dir.join(FILE)) {
                Ok(bytes) => decode(&bytes).map(StatusColumn::new),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(StatusColumn::default()),
                Err(e) => Err(IndexError::Io {
                    context: format!("reading {}", dir.join(FILE).display()),
                    source: e,
                }),
            },
        }
    }

    /// The column of a complete index of `docs` events (ordinals `0..docs`): it must hold
    /// exactly that many entries, else the index is damaged.
    pub(crate) fn read_complete(&self, docs: u64) -> Result<StatusColumn, IndexError> {
        let col = self.read()?;
        if col.len() != docs {
            return Err(IndexError::Corrupt(format!(
                "{FILE} holds {} statuses for {docs} events",
                col.len()
            )));
        }
        Ok(col)
    }
}

/// A 64-bit checksum of `bytes` (damage detection, not authentication: the cache's file
/// stamps and the fingerprint stand for the content).
fn checksum(bytes: &[u8]) -> u64 {
    const K: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut h: u64 = 0xCBF2_9CE4_8422_2325 ^ (bytes.len() as u64);
    let mut chunks = bytes.chunks_exact(8);
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        h = (h ^ u64::from_le_bytes(w)).wrapping_mul(K).rotate_left(29);
    }
    for &b in chunks.remainder() {
        h = (h ^ u64::from(b)).wrapping_mul(K).rotate_left(29);
    }
    h ^ (h >> 31)
}

fn encode(codes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER + codes.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&(codes.len() as u64).to_le_bytes());
    out.extend_from_slice(&checksum(codes).to_le_bytes());
    out.extend_from_slice(codes);
    out
}

fn decode(bytes: &[u8]) -> Result<Vec<u8>, IndexError> {
    let bad = |why: &str| IndexError::Corrupt(format!("{FILE}: {why}"));
    if bytes.len() < HEADER || &bytes[..8] != MAGIC {
        return Err(bad("not a status file (or cut short)"));
    }
    let word = |at: usize| {
        let mut w = [0u8; 8];
        w.copy_from_slice(&bytes[at..at + 8]);
        u64::from_le_bytes(w)
    };
    let (count, sum) = (word(8), word(16));
    let codes = &bytes[HEADER..];
    if codes.len() as u64 != count {
        return Err(bad("its length is not the one it was written with"));
    }
    if checksum(codes) != sum {
        return Err(bad("checksum mismatch"));
    }
    if codes.iter().any(|&c| usize::from(c) >= CODES) {
        return Err(bad("unknown status code"));
    }
    Ok(codes.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_label_reads_back_to_its_code_and_unknown_text_is_unverified() {
        assert_eq!(code_of_label(None), NONE);
        assert_eq!(label(NONE), None);
        for (c, l) in labels() {
            assert_eq!(code_of_label(Some(l)), c);
        }
        assert_eq!(labels().count(), CODES - 1);
        assert_eq!(label(code_of_label(Some("VERIFIED"))), Some("unverified"));
        assert_eq!(label(code_of_label(Some("pending"))), Some("pending"));
    }

    #[test]
    fn a_written_column_reads_back_and_damage_is_detected() {
        let dir = tempfile::tempdir().unwrap();
        let home = StatusHome::dir(dir.path());
        assert_eq!(home.read().unwrap().len(), 0);
        let codes: Vec<u8> = (0..1000u32).map(|i| (i % 12) as u8).collect();
        home.write(&codes).unwrap();
        assert_eq!(home.read_complete(1000).unwrap().codes(), &codes[..]);
        assert!(matches!(
            home.read_complete(999),
            Err(IndexError::Corrupt(_))
        ));
        let path = dir.path().join(FILE);
        let good = std::fs::read(&path).unwrap();
        // A flipped status byte, a cut file, a flipped header byte.
        let mut flipped = good.clone();
        flipped[HEADER + 500] ^= 1;
        let cut = good[..good.len() - 1].to_vec();
        let mut header = good.clone();
        header[9] ^= 1;
        for bad in [flipped, cut, header, Vec::new()] {
            std::fs::write(&path, &bad).unwrap();
            assert!(
                matches!(home.read(), Err(IndexError::Corrupt(_))),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn a_column_in_ram_is_shared_by_its_clones() {
        let home = StatusHome::ram();
        let other = home.clone();
        home.write(&[2, 3]).unwrap();
        assert_eq!(other.read().unwrap().get(1), 3);
        assert_eq!(other.read().unwrap().get(7), NONE);
    }
}
