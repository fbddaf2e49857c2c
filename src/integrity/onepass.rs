//! One read of a sealed tar for a cold, non-live build: the verifier reads the bytes the
//! load reads (a [`FileTap`] feeds them through a bounded channel to a verifier thread), and
//! the load labels each record `verified` provisionally. At the end the labels are proven
//! or refused: per display path, the count and a keyed multiset hash of what was labelled
//! (line number, SHA-256 of the bytes) must equal the same over the lines the verifier's
//! report gives `verified`. Equal, every label is what [`super::VerifiedStatuses`] gives
//! the same record (spec section 7: a status belongs to the verified line's bytes); not
//! equal (tampered, untrusted, anything unexpected), the build loads again with
//! `VerifiedStatuses` over the report already made. The report goes into the shared
//! [`Verification`], so nothing verifies the bundle again.
//!
//! Why a keyed hash: the sums are compared, not the labels one by one, so the hash must not
//! let crafted records collide. Each element is SHA-256(key ‖ line ‖ sha256(bytes)) with a
//! secret key drawn per build, summed mod 2^256; without the key, no one can aim a
//! multiset of records at another one's sum.

use std::collections::HashMap;
use std::io::{self, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use sha2::{Digest, Sha256};

use super::IntegrityError;
use super::digest::{Digest32, sha256};
use super::report::{RecordStatus, Report};
use super::status::{InputCheck, Verification};
use super::verify::{VerifyOptions, verify_bundle_reader};
use crate::ingest::{FileReadObserver, FileTap, ProvisionalStatuses, StatusLookup};

/// Chunks of the file in flight to the verifier (each up to the load's 256 KiB reads): the
/// memory the channel holds stays under 4 MiB whatever the bundle's size. When the
/// verifier is slower, the load waits.
const CHANNEL_CHUNKS: usize = 16;

/// What the verifier thread gives: the report, or `None` when the one read was not enough.
type Outcome = Result<Option<Report>, IntegrityError>;

/// The one-read verification of the one sealed tar a build loads.
pub(crate) struct OnePass {
    verification: Arc<Verification>,
    input: PathBuf,
    run: Mutex<Option<Run>>,
}

/// A started verification.
struct Run {
    tap: Arc<VerifierTap>,
    labels: Arc<Labels>,
    thread: JoinHandle<Outcome>,
}

impl OnePass {
    /// The one-read verification of `input`, whose report goes into `verification`.
    pub(crate) fn new(verification: Arc<Verification>, input: PathBuf) -> Self {
        Self {
            verification,
            input,
            run: Mutex::new(None),
        }
    }
}

impl ProvisionalStatuses for OnePass {
    fn begin(&self) -> Option<(Arc<dyn FileTap>, Arc<dyn StatusLookup>)> {
        let mut key = [0u8; 32];
        getrandom::fill(&mut key).ok()?;
        let mut run = self.run.lock().ok()?;
        if run.is_some() {
            return None;
        }
        let (tx, rx) = sync_channel(CHANNEL_CHUNKS);
        let verification = Arc::clone(&self.verification);
        let input = self.input.clone();
        let thread = std::thread::Builder::new()
            .name("auditlens-verify".to_owned())
            .spawn(move || {
                let opts = VerifyOptions {
                    trust: verification.trust(),
                    ..VerifyOptions::default()
                };
                let raw = BufReader::with_capacity(256 * 1024, Fed::new(rx));
                verify_bundle_reader(&input, Box::new(raw), &opts)
            })
            .ok()?;
        let tap = Arc::new(VerifierTap {
            input: self.input.clone(),
            sender: Mutex::new(Some(tx)),
        });
        let labels = Arc::new(Labels {
            key,
            prefix: format!("{}!", self.input.display()),
            sums: Mutex::new(HashMap::new()),
            refused: AtomicBool::new(false),
        });
        *run = Some(Run {
            tap: Arc::clone(&tap),
            labels: Arc::clone(&labels),
            thread,
        });
        Some((tap, labels))
    }

    fn confirm(&self) -> bool {
        let Some(run) = self.run.lock().ok().and_then(|mut r| r.take()) else {
            return false;
        };
        // A file the load never opened: end the verifier's feed, so that it returns.
        drop(run.tap.sender.lock().ok().and_then(|mut s| s.take()));
        let Ok(Ok(Some(report))) = run.thread.join() else {
            // Not verified from this read (it was not enough, or failed): the fallback
            // verifies from the file, once.
            self.verification.note_one_read(false);
            return false;
        };
        let proven = run.labels.proven_by(&report);
        let kept = self.verification.provide(vec![InputCheck {
            input: self.input.clone(),
            result: Some(Ok(report)),
        }]);
        let confirmed = proven && kept;
        self.verification.note_one_read(confirmed);
        confirmed
    }
}

/// Hands the load's read of the bundle to the verifier thread.
struct VerifierTap {
    input: PathBuf,
    /// Taken by the first open of the bundle: the verifier reads that one read.
    sender: Mutex<Option<SyncSender<Chunk>>>,
}

impl FileTap for VerifierTap {
    fn open(&self, path: &Path) -> Option<Box<dyn FileReadObserver>> {
        if path != self.input {
            return None;
        }
        let tx = self.sender.lock().ok()?.take()?;
        Some(Box::new(Feed { tx }))
    }
}

enum Chunk {
    Bytes(Vec<u8>),
    End,
}

/// Sends the bytes the load reads to the verifier (waiting while the channel is full). A
/// verifier that has finished (the archive's end marker) has dropped its end: sends fail
/// at once and are ignored.
struct Feed {
    tx: SyncSender<Chunk>,
}

impl FileReadObserver for Feed {
    fn bytes(&mut self, bytes: &[u8]) {
        let _ = self.tx.send(Chunk::Bytes(bytes.to_vec()));
    }

    fn end(self: Box<Self>) {
        let _ = self.tx.send(Chunk::End);
    }
}

/// The verifier's reader: the chunks the load read, in order. A feed that stops before the
/// file's end (a load that stopped reading) is an error, never a silent end of file.
struct Fed {
    rx: Receiver<Chunk>,
    buf: Vec<u8>,
    pos: usize,
    done: bool,
}

impl Fed {
    fn new(rx: Receiver<Chunk>) -> Self {
        Self {
            rx,
            buf: Vec::new(),
            pos: 0,
            done: false,
        }
    }
}

impl Read for Fed {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while self.pos >= self.buf.len() {
            if self.done || out.is_empty() {
                return Ok(0);
            }
            match self.rx.recv() {
                Ok(Chunk::Bytes(b)) => {
                    self.buf = b;
                    self.pos = 0;
                }
                Ok(Chunk::End) => self.done = true,
                Err(_) => {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "the load stopped reading the file before its end",
                    ));
                }
            }
        }
        let n = out.len().min(self.buf.len() - self.pos);
        out[..n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// A count and a keyed multiset hash (sum mod 2^256 of the elements' PRF values).
#[derive(Default, Clone, Copy, PartialEq, Eq, Debug)]
struct Sum {
    count: u64,
    limbs: [u64; 4],
}

impl Sum {
    fn add(&mut self, key: &[u8; 32], line: u64, hash: &Digest32) {
        let mut h = Sha256::new();
        h.update(key);
        h.update(line.to_le_bytes());
        h.update(hash.0);
        let d: [u8; 32] = h.finalize().into();
        let mut carry = false;
        for (i, limb) in self.limbs.iter_mut().enumerate() {
            let mut part = [0u8; 8];
            part.copy_from_slice(&d[i * 8..i * 8 + 8]);
            let (s1, c1) = limb.overflowing_add(u64::from_le_bytes(part));
            let (s2, c2) = s1.overflowing_add(u64::from(carry));
            *limb = s2;
            carry = c1 || c2;
        }
        self.count += 1;
    }
}

/// The provisional labels given during the load, summed per display path.
struct Labels {
    key: [u8; 32],
    /// `<bundle>!`: every record of the bundle is shown under it.
    prefix: String,
    sums: Mutex<HashMap<String, Sum>>,
    /// A record that could not be labelled (not in the bundle): the build loads again.
    refused: AtomicBool,
}

impl Labels {
    /// True when, for every labelled path, the report has exactly one stream shown under
    /// it, and what was labelled there is, as a multiset, the (line, bytes hash) of the
    /// lines that stream gives `verified`.
    fn proven_by(&self, report: &Report) -> bool {
        if self.refused.load(Ordering::Relaxed) {
            return false;
        }
        let Ok(sums) = self.sums.lock() else {
            return false;
        };
        sums.iter().all(|(path, labelled)| {
            let mut shown = report.streams.iter().filter(|s| s.display == *path);
            let (Some(s), None) = (shown.next(), shown.next()) else {
                return false;
            };
            let mut verified = Sum::default();
            for (i, (&st, hash)) in s.statuses.iter().zip(&s.line_hashes).enumerate() {
                if RecordStatus::from_u8(st) == Some(RecordStatus::Verified) {
                    verified.add(&self.key, i as u64 + 1, hash);
                }
            }
            verified == *labelled
        })
    }
}

impl StatusLookup for Labels {
    fn status(&self, path: &str, line: u64, bytes: &[u8]) -> Option<String> {
        let hash = sha256(bytes);
        let added = path.starts_with(&self.prefix)
            && self.sums.lock().is_ok_and(|mut sums| {
                if let Some(sum) = sums.get_mut(path) {
                    sum.add(&self.key, line, &hash);
                } else {
                    let mut sum = Sum::default();
                    sum.add(&self.key, line, &hash);
                    sums.insert(path.to_owned(), sum);
                }
                true
            });
        if !added {
            self.refused.store(true, Ordering::Relaxed);
            return None;
        }
        Some(RecordStatus::Verified.lower().to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_multiset_hash_ignores_order_and_sees_every_element() {
        let key = [7u8; 32];
        let (ha, hb) = (sha256(b"a"), sha256(b"b"));
        let sum = |key: &[u8; 32], items: &[(u64, &Digest32)]| {
            let mut out = Sum::default();
            for (line, hash) in items {
                out.add(key, *line, hash);
            }
            out
        };
        let base = sum(&key, &[(1, &ha), (2, &hb)]);
        assert_eq!(base, sum(&key, &[(2, &hb), (1, &ha)]));
        // Other line numbers, or one element more: another sum.
        assert_ne!(base, sum(&key, &[(2, &ha), (1, &hb)]));
        assert_ne!(base, sum(&key, &[(1, &ha), (2, &hb), (3, &ha)]));
        // Another key: another sum for the same elements.
        assert_ne!(base.limbs, sum(&[8u8; 32], &[(1, &ha), (2, &hb)]).limbs);
    }

    #[test]
    fn a_feed_that_stops_before_its_end_is_an_error_not_an_end_of_file() {
        let (tx, rx) = sync_channel(4);
        tx.send(Chunk::Bytes(b"abc".to_vec())).unwrap();
        drop(tx);
        let mut out = Vec::new();
        let err = Fed::new(rx).read_to_end(&mut out).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
        let (tx, rx) = sync_channel(4);
        tx.send(Chunk::Bytes(b"abc".to_vec())).unwrap();
        tx.send(Chunk::End).unwrap();
        let mut out = Vec::new();
        Fed::new(rx).read_to_end(&mut out).unwrap();
        assert_eq!(out, b"abc");
    }
}
