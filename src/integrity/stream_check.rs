//! Classifying every line of one stream file (spec section 7): reading the lines and the
//! Merkle fast path here; authentication backwards from the signed head and checkpoints
//! and the Merkle repair in `authenticate`, seq order in `order`, the gaps and findings in
//! `findings`. Per-line state is a few fixed-size entries; lines themselves are not kept.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::digest::{Digest32, record_hash};
use super::envelope::{Malformed, parse_line};
use super::manifest::StreamInfo;
use super::merkle::MerkleBuilder;
use super::report::{Finding, RecordStatus};

mod authenticate;
mod findings;
mod order;

/// Still to be decided (internal).
const CANDIDATE: u8 = 255;
const NONE: u32 = u32::MAX;
/// Signed records analysed slot by slot even when the file has far fewer lines.
const MAX_SLOTS: u64 = 1 << 24;

/// Checks one stream file, line by line.
pub struct StreamCheck<'a> {
    info: &'a StreamInfo,
    path: String,
    signed: bool,
    strict: bool,
    seqs: Vec<u64>,
    hashes: Vec<Digest32>,
    prevs: Vec<Digest32>,
    status: Vec<u8>,
    malformed: HashMap<u32, Malformed>,
    foreign: HashMap<u32, String>,
    dup_of: HashMap<u32, u32>,
    merkle: MerkleBuilder,
    happy: bool,
    chain_ok: bool,
    last_ts: Option<DateTime<Utc>>,
    unterminated: bool,
    /// Warnings found while reading (time regressions, non-canonical records).
    pub findings: Vec<Finding>,
}

/// What a stream check produces.
pub struct StreamOutcome {
    /// Status of each line.
    pub statuses: Vec<u8>,
    /// Findings: stream level, then records (in line order).
    pub findings: Vec<Finding>,
    /// Verified seq ranges.
    pub verified: Vec<(u64, u64)>,
}

impl<'a> StreamCheck<'a> {
    /// A check of the file `path` against its manifest entry. `signed` when the manifest's
    /// signature is trusted.
    pub fn new(info: &'a StreamInfo, path: &str, signed: bool, strict: bool) -> Self {
        Self {
            info,
            path: path.to_owned(),
            signed,
            strict,
            seqs: Vec::new(),
            hashes: Vec::new(),
            prevs: Vec::new(),
            status: Vec::new(),
            malformed: HashMap::new(),
            foreign: HashMap::new(),
            dup_of: HashMap::new(),
            merkle: MerkleBuilder::new(),
            happy: true,
            chain_ok: true,
            last_ts: None,
            unterminated: false,
            findings: Vec::new(),
        }
    }

    fn last_seq(&self) -> Option<u64> {
        u64::try_from(self.info.last_seq).ok()
    }

    /// One line (without its LF; `None` when over the line limit); `terminated` is false
    /// for a last line with no LF.
    pub fn line(&mut self, bytes: Option<&[u8]>, terminated: bool) {
        let idx = self.status.len();
        let line_no = idx as u64 + 1;
        if !terminated {
            self.unterminated = true;
        }
        let parsed = bytes.map_or(Err(Malformed::TooLong), parse_line);
        let (seq, hash, prev, st) = match parsed {
            Err(reason) => {
                self.malformed.insert(idx as u32, reason);
                (
                    u64::MAX,
                    Digest32::default(),
                    Digest32::default(),
                    RecordStatus::Malformed as u8,
                )
            }
            Ok(p) => {
                let computed = record_hash(p.rec.as_bytes());
                let st = if computed != p.hash {
                    RecordStatus::Modified as u8
                } else if p.stream != self.info.id {
                    self.foreign.insert(idx as u32, p.stream.clone());
                    RecordStatus::ForeignStream as u8
                } else {
                    if let Some(last) = self.last_ts
                        && p.ts < last
                    {
                        self.findings.push(
                            Finding::new(
                                "TIME_REGRESSION",
                                Some(&self.path),
                                format!(
                                    "ts {} is earlier than the line before",
                                    p.ts.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
                                ),
                            )
                            .lines(line_no, line_no)
                            .seqs(p.seq, p.seq),
                        );
                    }
                    self.last_ts = Some(p.ts);
                    CANDIDATE
                };
                if self.strict && st != RecordStatus::Malformed as u8 {
                    let canonical = crate::ingest::parse_strict(p.rec.as_bytes())
                        .ok()
                        .and_then(|v| super::jcs::to_string(&v).ok());
                    if canonical.as_deref() != Some(p.rec) {
                        self.findings.push(
                            Finding::new(
                                "NON_CANONICAL",
                                Some(&self.path),
                                "`rec` is not in RFC 8785 canonical form",
                            )
                            .lines(line_no, line_no)
                            .seqs(p.seq, p.seq),
                        );
                    }
                }
                (p.seq, computed, p.prev, st)
            }
        };
        // Fast path bookkeeping: the file is exactly the signed list, in order.
        let expect_seq = self.info.first_seq + idx as u64;
        let expect_prev = if idx == 0 {
            self.info.first_prev
        } else {
            self.hashes[idx - 1]
        };
        if st != CANDIDATE || seq != expect_seq || (idx as u64) >= self.info.records {
            self.happy = false;
        }
        if self.happy {
            self.merkle.push(hash);
            if prev != expect_prev {
                self.chain_ok = false;
            }
        }
        self.seqs.push(seq);
        self.hashes.push(hash);
        self.prevs.push(prev);
        self.status.push(st);
    }

    /// Decides every line.
    pub fn finish(mut self) -> StreamOutcome {
        let n = self.status.len();
        let info = self.info;
        let mut stream_findings = Vec::new();
        if self.unterminated {
            stream_findings.push(
                Finding::new(
                    "LAST_LINE_UNTERMINATED",
                    Some(&self.path),
                    "the last line has no LF: the file was cut or appended to",
                )
                .lines(n as u64, n as u64),
            );
        }
        let records = info.records;
        // Per-slot state is sized by the signed record count; a manifest claiming far more
        // records than the file has lines is not analysed slot by slot (bounded memory).
        if records > (4 * n as u64 + 1024).max(MAX_SLOTS) {
            for s in &mut self.status {
                if *s == CANDIDATE {
                    *s = RecordStatus::Unverified as u8;
                }
            }
            stream_findings.push(
                Finding::new(
                    "TRUNCATED",
                    Some(&self.path),
                    format!(
                        "the manifest signs {records} records, the file holds {n} lines: too few to locate the gaps"
                    ),
                )
                .seqs(info.first_seq, info.first_seq + records - 1),
            );
            let mut findings = stream_findings;
            findings.append(&mut self.findings);
            findings.extend(self.record_findings(&[]));
            return StreamOutcome {
                statuses: self.status,
                findings,
                verified: Vec::new(),
            };
        }
        let fast = self.happy
            && n as u64 == records
            && self.merkle.root() == info.merkle_root
            && (records == 0 || self.hashes[n - 1] == info.head);
        let mut auth_line: Vec<u32> = vec![NONE; records as usize];
        if fast {
            for (i, s) in self.status.iter_mut().enumerate() {
                *s = RecordStatus::Verified as u8;
                auth_line[i] = i as u32;
            }
            if !self.chain_ok {
                stream_findings.push(Finding::new(
                    "SIGNED_CHAIN_ANOMALY",
                    Some(&self.path),
                    "the signed records break the prev chain",
                ));
            }
            for cp in &info.checkpoints {
                let ok = cp.seq >= info.first_seq
                    && usize::try_from(cp.seq - info.first_seq)
                        .ok()
                        .and_then(|i| self.hashes.get(i))
                        == Some(&cp.hash);
                if !ok {
                    stream_findings.push(
                        Finding::new(
                            "SIGNED_CHAIN_ANOMALY",
                            Some(&self.path),
                            "a signed checkpoint disagrees with the signed Merkle root",
                        )
                        .seqs(cp.seq, cp.seq),
                    );
                }
            }
        } else {
            self.slow_path(&mut auth_line, &mut stream_findings);
        }
        if !self.signed {
            for s in &mut self.status {
                if *s == RecordStatus::Verified as u8 {
                    *s = RecordStatus::Unverified as u8;
                }
            }
        }
        self.gaps(&mut stream_findings);
        let verified = self.verified_ranges(&auth_line);
        let mut findings = stream_findings;
        findings.append(&mut self.findings);
        findings.extend(self.record_findings(&auth_line));
        StreamOutcome {
            statuses: self.status,
            findings,
            verified,
        }
    }
}
