//! One read of a sealed tar for a cold, non-live build: the verifier reads the bytes the
//! load reads (a [`FileTap`] feeds the archive, as the load's archive reader takes it after
//! gunzip, through a bounded channel to a verifier thread), and
//! the load labels each record provisionally: `verified` when its member is a record stream
//! of the manifest the verifier has read, no status otherwise (a member the manifest does
//! not list as a stream, or no manifest met before the record: the lookup waits for the
//! verifier's manifest until the verifier has read every byte sent so far, never longer).
//! At the end the labels are proven or refused: per display path, the count and a keyed
//! multiset hash of what was labelled `verified` (line number, SHA-256 of the bytes) must
//! equal the same over the lines the verifier's report gives `verified`, and a path left
//! without a status must have no stream in the report. Then every label is what
//! [`super::VerifiedStatuses`] gives the same record (spec section 7: a status belongs to
//! the verified line's bytes); else (tampered, untrusted, anything unexpected), the build
//! loads again with `VerifiedStatuses` over the report already made. The report goes into
//! the shared [`Verification`], so nothing verifies the bundle again.
//!
//! Why a keyed hash: the sums are compared, not the labels one by one, so the hash must not
//! let crafted records collide. Each element is SHA-256(key ‖ line ‖ sha256(bytes)) with a
//! secret key drawn per build, summed mod 2^256; without the key, no one can aim a
//! multiset of records at another one's sum.

use std::collections::{HashMap, HashSet};
use std::io::{self, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::thread::JoinHandle;
use std::time::Duration;

use sha2::{Digest, Sha256};

use super::IntegrityError;
use super::digest::{Digest32, sha256};
use super::report::{RecordStatus, Report};
use super::status::{InputCheck, Verification};
use super::verify::{VerifyOptions, verify_bundle_reader};
use crate::ingest::{FileReadObserver, FileTap, ProvisionalStatuses, StatusLookup};

/// Chunks of the archive in flight to the verifier (each up to the load's 256 KiB reads):
/// the memory the channel holds stays under 4 MiB whatever the bundle's size. When the
/// verifier is slower, the load waits.
const CHANNEL_CHUNKS: usize = 16;

/// Longest wait of a record's label for the verifier's manifest (a safety net: the wait
/// ends as soon as the verifier has read every byte sent; a record labelled without the
/// manifest gets no status, and the end check decides).
const MANIFEST_WAIT: Duration = Duration::from_secs(20);

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

/// The one-read verification of a cold, non-live build of `verification`'s inputs, when
/// they are a single sealed tar (see [`Verification::one_read_input`]), else `None`.
pub(crate) fn one_read(verification: &Arc<Verification>) -> Option<Arc<dyn ProvisionalStatuses>> {
    let input = verification.one_read_input()?.clone();
    Some(Arc::new(OnePass::new(Arc::clone(verification), input)))
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
        let feedback = Arc::new(Feedback::default());
        let heard = Arc::clone(&feedback);
        let shown = format!("{}!", self.input.display());
        let thread = std::thread::Builder::new()
            .name("auditlens-verify".to_owned())
            .spawn(move || {
                let opts = VerifyOptions {
                    trust: verification.trust(),
                    ..VerifyOptions::default()
                };
                let fed = Fed::new(rx, Arc::clone(&heard));
                let raw = BufReader::with_capacity(256 * 1024, fed);
                let out = verify_bundle_reader(&input, Box::new(raw), &opts, &mut |root, m| {
                    let streams = m.map(|m| {
                        m.streams()
                            .map(|(f, _)| format!("{shown}{root}{}", f.path))
                            .collect()
                    });
                    heard.know(Known::Manifest(streams.unwrap_or_default()));
                });
                heard.know(Known::NoManifest);
                out
            })
            .ok()?;
        let tap = Arc::new(VerifierTap {
            input: self.input.clone(),
            sender: Mutex::new(Some(tx)),
            feedback: Arc::clone(&feedback),
        });
        let labels = Arc::new(Labels {
            key,
            prefix: format!("{}!", self.input.display()),
            sums: Mutex::new(HashMap::new()),
            unlabelled: Mutex::new(HashSet::new()),
            refused: AtomicBool::new(false),
            feedback,
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

/// What the verifier thread has learnt that decides a provisional label.
enum Known {
    /// The record streams of the first manifest read, by display path (none when it cannot
    /// be parsed).
    Manifest(HashSet<String>),
    /// The verification ended without meeting a manifest.
    NoManifest,
}

/// Where the verifier thread stands, for the lookups that wait for its manifest.
#[derive(Default)]
struct Feedback {
    known: OnceLock<Known>,
    /// Chunks sent to the verifier (counted once each send has returned).
    sent: AtomicU64,
    state: Mutex<FedState>,
    changed: Condvar,
}

#[derive(Default)]
struct FedState {
    /// Chunks the verifier has received.
    received: u64,
    /// The verifier is waiting for the next chunk: it has used every byte received.
    waiting: bool,
}

impl Feedback {
    fn know(&self, k: Known) {
        let _ = self.known.set(k);
        let _guard = self.state.lock();
        self.changed.notify_all();
    }

    fn waiting(&self, waiting: bool, received: bool) {
        if let Ok(mut st) = self.state.lock() {
            st.waiting = waiting;
            st.received += u64::from(received);
        }
        self.changed.notify_all();
    }

    /// The verifier's manifest, waiting for it while the verifier still has bytes of the
    /// load's read before it (the record being labelled was read before the lookup, so a
    /// manifest before it in the archive is among them). `None`: no manifest before the
    /// record, or not known in time.
    fn manifest(&self) -> Option<&Known> {
        if let Some(k) = self.known.get() {
            return Some(k);
        }
        let sent = self.sent.load(Ordering::SeqCst);
        let mut st = self.state.lock().ok()?;
        let deadline = std::time::Instant::now() + MANIFEST_WAIT;
        loop {
            if let Some(k) = self.known.get() {
                return Some(k);
            }
            if st.waiting && st.received >= sent {
                return None;
            }
            let left = deadline.checked_duration_since(std::time::Instant::now())?;
            st = self.changed.wait_timeout(st, left).ok()?.0;
        }
    }
}

/// Hands the load's read of the bundle to the verifier thread.
struct VerifierTap {
    input: PathBuf,
    /// Taken by the first open of the bundle: the verifier reads that one read.
    sender: Mutex<Option<SyncSender<Chunk>>>,
    feedback: Arc<Feedback>,
}

impl FileTap for VerifierTap {
    /// The file's raw bytes are the content digest's: the verifier takes the archive
    /// after gunzip, so that it is not gunzipped twice.
    fn open(&self, _: &Path) -> Option<Box<dyn FileReadObserver>> {
        None
    }

    fn open_archive(&self, path: &Path) -> Option<Box<dyn FileReadObserver>> {
        if path != self.input {
            return None;
        }
        let tx = self.sender.lock().ok()?.take()?;
        Some(Box::new(Feed {
            tx,
            feedback: Arc::clone(&self.feedback),
        }))
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
    feedback: Arc<Feedback>,
}

impl FileReadObserver for Feed {
    fn bytes(&mut self, bytes: &[u8]) {
        if self.tx.send(Chunk::Bytes(bytes.to_vec())).is_ok() {
            self.feedback.sent.fetch_add(1, Ordering::SeqCst);
        }
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
    feedback: Arc<Feedback>,
}

impl Fed {
    fn new(rx: Receiver<Chunk>, feedback: Arc<Feedback>) -> Self {
        Self {
            rx,
            buf: Vec::new(),
            pos: 0,
            done: false,
            feedback,
        }
    }
}

impl Read for Fed {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while self.pos >= self.buf.len() {
            if self.done || out.is_empty() {
                return Ok(0);
            }
            self.feedback.waiting(true, false);
            let got = self.rx.recv();
            self.feedback
                .waiting(false, matches!(got, Ok(Chunk::Bytes(_))));
            match got {
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

/// The provisional labels given during the load: the `verified` ones summed per display
/// path, and the paths of the records left without a status.
struct Labels {
    key: [u8; 32],
    /// `<bundle>!`: every record of the bundle is shown under it.
    prefix: String,
    sums: Mutex<HashMap<String, Sum>>,
    unlabelled: Mutex<HashSet<String>>,
    /// A record that could not be labelled (not in the bundle): the build loads again.
    refused: AtomicBool,
    feedback: Arc<Feedback>,
}

impl Labels {
    /// True when, for every labelled path, the report has exactly one stream shown under
    /// it, and what was labelled there is, as a multiset, the (line, bytes hash) of the
    /// lines that stream gives `verified`.
    fn proven_by(&self, report: &Report) -> bool {
        if self.refused.load(Ordering::Relaxed) {
            return false;
        }
        let (Ok(sums), Ok(unlabelled)) = (self.sums.lock(), self.unlabelled.lock()) else {
            return false;
        };
        // No status is what the ordinary lookup gives a path no stream is shown under.
        if unlabelled
            .iter()
            .any(|p| report.streams.iter().any(|s| s.display == *p))
        {
            return false;
        }
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
        if !path.starts_with(&self.prefix) {
            self.refused.store(true, Ordering::Relaxed);
            return None;
        }
        let stream =
            matches!(self.feedback.manifest(), Some(Known::Manifest(s)) if s.contains(path));
        if !stream {
            let noted = self.unlabelled.lock().is_ok_and(|mut u| {
                if !u.contains(path) {
                    u.insert(path.to_owned());
                }
                true
            });
            if !noted {
                self.refused.store(true, Ordering::Relaxed);
            }
            return None;
        }
        let hash = sha256(bytes);
        let added = self.sums.lock().is_ok_and(|mut sums| {
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
        let err = Fed::new(rx, Arc::default())
            .read_to_end(&mut out)
            .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
        let (tx, rx) = sync_channel(4);
        tx.send(Chunk::Bytes(b"abc".to_vec())).unwrap();
        tx.send(Chunk::End).unwrap();
        let mut out = Vec::new();
        Fed::new(rx, Arc::default()).read_to_end(&mut out).unwrap();
        assert_eq!(out, b"abc");
    }
}
