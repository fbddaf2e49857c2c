//! Classifying every line of one stream file (spec section 7): authentication backwards
//! from the signed head and checkpoints, the Merkle root as fast path and as repair, and
//! the gaps. Per-line state is a few fixed-size entries; lines themselves are not kept.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::digest::{Digest32, record_hash};
use super::envelope::parse_line;
use super::manifest::StreamInfo;
use super::merkle::MerkleBuilder;
use super::report::{Finding, RecordStatus};

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
    malformed: HashMap<u32, String>,
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
        let parsed = bytes.map_or_else(
            || Err("line longer than the line limit: not read".to_owned()),
            parse_line,
        );
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

    #[allow(clippy::too_many_lines)]
    fn slow_path(&mut self, auth_line: &mut [u32], out: &mut Vec<Finding>) {
        let info = self.info;
        let n = self.status.len();
        let first = info.first_seq;
        let records = info.records as usize;
        // Exact replays: the same hash as an earlier line.
        let mut by_hash: Vec<u32> = (0..n as u32)
            .filter(|&i| self.status[i as usize] == CANDIDATE)
            .collect();
        by_hash.sort_unstable_by(|&a, &b| {
            self.hashes[a as usize]
                .cmp(&self.hashes[b as usize])
                .then(a.cmp(&b))
        });
        let mut run_first = 0u32;
        for (j, w) in by_hash.windows(2).enumerate() {
            if j == 0 || self.hashes[w[0] as usize] != self.hashes[by_hash[j - 1] as usize] {
                run_first = w[0];
            }
            if self.hashes[w[0] as usize] == self.hashes[w[1] as usize] {
                self.status[w[1] as usize] = RecordStatus::Duplicate as u8;
                self.dup_of.insert(w[1], run_first);
            }
        }
        drop(by_hash);
        // Outside the signed range.
        let last = self.last_seq();
        for i in 0..n {
            if self.status[i] != CANDIDATE {
                continue;
            }
            let s = self.seqs[i];
            if s < first {
                self.status[i] = RecordStatus::Inserted as u8;
            } else if last.is_none_or(|l| s > l) {
                self.status[i] = RecordStatus::AppendedUnsigned as u8;
            }
        }
        // Candidates by slot (counting sort).
        let mut start = vec![0u32; records + 1];
        for i in 0..n {
            if self.status[i] == CANDIDATE {
                start[(self.seqs[i] - first) as usize + 1] += 1;
            }
        }
        for k in 0..records {
            start[k + 1] += start[k];
        }
        let mut fill = start.clone();
        let mut by_slot = vec![0u32; start[records] as usize];
        for i in 0..n {
            if self.status[i] == CANDIDATE {
                let k = (self.seqs[i] - first) as usize;
                by_slot[fill[k] as usize] = i as u32;
                fill[k] += 1;
            }
        }
        drop(fill);
        let slot = |k: usize| &by_slot[start[k] as usize..start[k + 1] as usize];
        // Signed anchors.
        let mut known: Vec<Option<Digest32>> = vec![None; records];
        if records > 0 {
            known[records - 1] = Some(info.head);
        }
        for cp in &info.checkpoints {
            if cp.seq < first || cp.seq - first >= records as u64 {
                out.push(
                    Finding::new(
                        "SIGNED_CHAIN_ANOMALY",
                        Some(&self.path),
                        "a signed checkpoint lies outside the signed seq range",
                    )
                    .seqs(cp.seq, cp.seq),
                );
                continue;
            }
            let k = (cp.seq - first) as usize;
            if known[k].is_some_and(|h| h != cp.hash) {
                out.push(
                    Finding::new(
                        "SIGNED_CHAIN_ANOMALY",
                        Some(&self.path),
                        "the signed head and a checkpoint disagree",
                    )
                    .seqs(cp.seq, cp.seq),
                );
                continue;
            }
            known[k] = Some(cp.hash);
        }
        let anchors: Vec<usize> = (0..records).filter(|&k| known[k].is_some()).collect();
        // Backwards from the anchors along `prev`.
        for k in (0..records).rev() {
            let Some(want) = known[k] else { continue };
            let Some(&line) = slot(k).iter().find(|&&i| self.hashes[i as usize] == want) else {
                continue;
            };
            auth_line[k] = line;
            let p = self.prevs[line as usize];
            if k == 0 {
                if p != info.first_prev {
                    out.push(
                        Finding::new(
                            "SIGNED_CHAIN_ANOMALY",
                            Some(&self.path),
                            "the first signed record's prev is not the signed first_prev",
                        )
                        .seqs(first, first),
                    );
                }
            } else if let Some(h) = known[k - 1] {
                if h != p {
                    out.push(
                        Finding::new(
                            "SIGNED_CHAIN_ANOMALY",
                            Some(&self.path),
                            "a signed record's prev disagrees with a signed checkpoint",
                        )
                        .seqs(first + k as u64, first + k as u64),
                    );
                }
            } else {
                known[k - 1] = Some(p);
            }
        }
        for &k in &anchors {
            if auth_line[k] == NONE {
                let what = if k + 1 == records {
                    "head"
                } else {
                    "checkpoint"
                };
                out.push(
                    Finding::new(
                        "SIGNED_ANCHOR_NOT_FOUND",
                        Some(&self.path),
                        format!("no line holds the signed {what} hash"),
                    )
                    .seqs(first + k as u64, first + k as u64),
                );
            }
        }
        // Merkle repair: fill the unknown slots with their (chain-consistent) candidates and
        // accept them when the signed root comes out.
        if known.iter().any(Option::is_none) {
            let mut guess = vec![NONE; records];
            let mut possible = true;
            let mut next_prev: Option<Digest32> = None;
            for k in (0..records).rev() {
                if known[k].is_some() {
                    next_prev = (auth_line[k] != NONE).then(|| self.prevs[auth_line[k] as usize]);
                    continue;
                }
                let cands = slot(k);
                let pick = next_prev
                    .and_then(|p| cands.iter().find(|&&i| self.hashes[i as usize] == p))
                    .or_else(|| (cands.len() == 1).then(|| &cands[0]));
                let Some(&i) = pick else {
                    possible = false;
                    break;
                };
                guess[k] = i;
                next_prev = Some(self.prevs[i as usize]);
            }
            if possible {
                let mut m = MerkleBuilder::new();
                for k in 0..records {
                    m.push(known[k].unwrap_or_else(|| self.hashes[guess[k] as usize]));
                }
                if m.root() == info.merkle_root {
                    for k in 0..records {
                        if known[k].is_none() {
                            auth_line[k] = guess[k];
                            known[k] = Some(self.hashes[guess[k] as usize]);
                        }
                    }
                }
            }
        }
        // Every remaining candidate.
        for k in 0..records {
            for &i in slot(k) {
                let i = i as usize;
                self.status[i] = if auth_line[k] == i as u32 {
                    RecordStatus::Verified as u8
                } else if auth_line[k] != NONE {
                    RecordStatus::Inserted as u8
                } else if known[k].is_some() {
                    RecordStatus::Replaced as u8
                } else {
                    RecordStatus::Unverified as u8
                };
            }
        }
        self.mark_reordered();
    }

    /// Authenticated lines out of seq order. A line is in place when it belongs to every
    /// longest increasing subsequence of the authenticated seqs; every other line moved.
    /// Swapping two distant lines thus flags exactly those two (their neighbours stay in
    /// place); swapping two neighbours flags both, as either could be the one that moved.
    fn mark_reordered(&mut self) {
        let lines: Vec<u32> = (0..self.status.len() as u32)
            .filter(|&i| self.status[i as usize] == RecordStatus::Verified as u8)
            .collect();
        let seqs: Vec<u64> = lines.iter().map(|&l| self.seqs[l as usize]).collect();
        for (j, moved) in moved_in_order(&seqs).into_iter().enumerate() {
            if moved {
                self.status[lines[j] as usize] = RecordStatus::Reordered as u8;
            }
        }
    }

    fn gaps(&self, out: &mut Vec<Finding>) {
        let info = self.info;
        let records = info.records as usize;
        if records == 0 {
            return;
        }
        let first = info.first_seq;
        // First line of each present slot.
        let mut present = vec![NONE; records];
        for (i, (&s, &st)) in self.seqs.iter().zip(&self.status).enumerate() {
            if st == RecordStatus::Malformed as u8 || st == RecordStatus::ForeignStream as u8 {
                continue;
            }
            if s >= first && s - first < records as u64 {
                let k = (s - first) as usize;
                if present[k] == NONE {
                    present[k] = i as u32;
                }
            }
        }
        let mut slot = 0;
        while slot < records {
            if present[slot] != NONE {
                slot += 1;
                continue;
            }
            let run_start = slot;
            while slot < records && present[slot] == NONE {
                slot += 1;
            }
            let (s, e) = (first + run_start as u64, first + slot as u64 - 1);
            if slot < records {
                let next = u64::from(present[slot]) + 1;
                let mut f = Finding::new(
                    "DELETED",
                    Some(&self.path),
                    format!("{} signed record(s) missing before line {next}", e - s + 1),
                )
                .seqs(s, e);
                f.line = Some(next);
                out.push(f);
            } else {
                out.push(
                    Finding::new(
                        "TRUNCATED",
                        Some(&self.path),
                        format!("{} signed record(s) missing at the end", e - s + 1),
                    )
                    .seqs(s, e),
                );
            }
        }
    }

    fn verified_ranges(&self, auth_line: &[u32]) -> Vec<(u64, u64)> {
        let mut out: Vec<(u64, u64)> = Vec::new();
        if !self.signed {
            return out;
        }
        for (k, &l) in auth_line.iter().enumerate() {
            if l == NONE || self.status[l as usize] != RecordStatus::Verified as u8 {
                continue;
            }
            let s = self.info.first_seq + k as u64;
            match out.last_mut() {
                Some((_, e)) if *e + 1 == s => *e = s,
                _ => out.push((s, s)),
            }
        }
        out
    }

    fn detail(&self, i: usize, st: RecordStatus, auth_line: &[u32]) -> String {
        let seq = self.seqs[i];
        let k = seq.checked_sub(self.info.first_seq).map(|k| k as usize);
        match st {
            RecordStatus::Verified => "verified".to_owned(),
            RecordStatus::Modified => "the record's bytes do not match its stored hash".to_owned(),
            RecordStatus::Replaced => {
                "consistent record, but not the signed record for its seq".to_owned()
            }
            RecordStatus::Inserted => match k.and_then(|k| auth_line.get(k)) {
                Some(&l) if l != NONE => format!(
                    "inserted record, seq {seq} already verified at line {}",
                    l + 1
                ),
                _ => format!(
                    "inserted record, seq {seq} lies before first_seq {}",
                    self.info.first_seq
                ),
            },
            RecordStatus::Duplicate => {
                let orig = self.dup_of.get(&(i as u32)).copied().unwrap_or(i as u32);
                format!("exact replay of line {}", orig + 1)
            }
            RecordStatus::Reordered => format!("seq {seq} is out of seq order in the file"),
            RecordStatus::AppendedUnsigned => format!(
                "seq {seq} comes after the signed last_seq {}",
                self.info.last_seq
            ),
            RecordStatus::ForeignStream => format!(
                "record of stream {:?} in the file of stream {:?}",
                self.foreign.get(&(i as u32)).map_or("?", String::as_str),
                self.info.id
            ),
            RecordStatus::Malformed => self
                .malformed
                .get(&(i as u32))
                .cloned()
                .unwrap_or_else(|| "malformed".to_owned()),
            RecordStatus::Unverified => {
                if self.signed {
                    "not reachable from any signed anchor".to_owned()
                } else {
                    "no trusted signature: self-consistency only".to_owned()
                }
            }
        }
    }

    fn record_findings(&self, auth_line: &[u32]) -> Vec<Finding> {
        let mut out: Vec<Finding> = Vec::new();
        let mut prev: Option<(usize, RecordStatus)> = None;
        for (i, &b) in self.status.iter().enumerate() {
            let Some(st) = RecordStatus::from_u8(b) else {
                continue;
            };
            if st == RecordStatus::Verified {
                prev = None;
                continue;
            }
            let line = i as u64 + 1;
            let seq = (st != RecordStatus::Malformed).then_some(self.seqs[i]);
            let mergeable = matches!(
                st,
                RecordStatus::Unverified
                    | RecordStatus::Modified
                    | RecordStatus::Malformed
                    | RecordStatus::AppendedUnsigned
                    | RecordStatus::Replaced
            );
            if let (Some((pi, pst)), Some(last)) = (prev, out.last_mut())
                && mergeable
                && pst == st
                && pi + 1 == i
                && match (last.seq_end, seq) {
                    (Some(e), Some(s)) => e + 1 == s,
                    (None, None) => true,
                    _ => false,
                }
            {
                last.line_end = Some(line);
                last.seq_end = seq;
                prev = Some((i, st));
                continue;
            }
            let mut f = Finding::new(st.code(), Some(&self.path), self.detail(i, st, auth_line))
                .lines(line, line);
            if let Some(s) = seq {
                f = f.seqs(s, s);
            }
            out.push(f);
            prev = Some((i, st));
        }
        out
    }
}

/// For distinct `seqs` in file order: true for each one outside some longest strictly
/// increasing subsequence (O(n log n), patience sorting from both ends).
fn moved_in_order(seqs: &[u64]) -> Vec<bool> {
    let n = seqs.len();
    // ending[j]: length of the longest increasing run of seqs ending at j.
    let mut ending = vec![0u32; n];
    let mut tails: Vec<u64> = Vec::new();
    for (j, &s) in seqs.iter().enumerate() {
        let pos = tails.partition_point(|&t| t < s);
        if pos == tails.len() {
            tails.push(s);
        } else {
            tails[pos] = s;
        }
        ending[j] = pos as u32 + 1;
    }
    let longest = tails.len() as u32;
    // starting[j]: length of the longest increasing run of seqs starting at j.
    let mut starting = vec![0u32; n];
    let mut heads: Vec<u64> = Vec::new();
    for (j, &s) in seqs.iter().enumerate().rev() {
        let pos = heads.partition_point(|&h| h > s);
        if pos == heads.len() {
            heads.push(s);
        } else {
            heads[pos] = s;
        }
        starting[j] = pos as u32 + 1;
    }
    // On some longest run when both halves add up; on every one when no other line on a
    // longest run takes the same place in it.
    let on_some = |j: usize| ending[j] + starting[j] - 1 == longest;
    let mut at_place = vec![0u32; longest as usize + 1];
    for j in (0..n).filter(|&j| on_some(j)) {
        at_place[ending[j] as usize] += 1;
    }
    (0..n)
        .map(|j| !on_some(j) || at_place[ending[j] as usize] != 1)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::moved_in_order;

    fn moved(seqs: &[u64]) -> Vec<u64> {
        seqs.iter()
            .zip(moved_in_order(seqs))
            .filter_map(|(&s, m)| m.then_some(s))
            .collect()
    }

    #[test]
    fn a_distant_swap_moves_only_the_two_swapped_seqs() {
        let mut seqs: Vec<u64> = (1..=1200).collect();
        seqs.swap(299, 899);
        assert_eq!(moved(&seqs), vec![900, 300]);
    }

    #[test]
    fn a_swap_of_neighbours_moves_both() {
        assert_eq!(moved(&[1, 2, 4, 3, 5]), vec![4, 3]);
    }

    #[test]
    fn in_order_and_short_inputs_move_nothing() {
        assert!(moved(&[]).is_empty());
        assert!(moved(&[7]).is_empty());
        assert!(moved(&[1, 5, 9]).is_empty());
    }

    #[test]
    fn a_block_moved_ahead_is_what_moved() {
        // 20..=24 moved before 10..=19: the shorter run is the one out of place.
        let seqs: Vec<u64> = (1..10).chain(20..25).chain(10..20).chain(25..30).collect();
        assert_eq!(moved(&seqs), (20..25).collect::<Vec<_>>());
    }

    #[test]
    fn a_reversed_pair_of_three_moves_all_that_could_have_moved() {
        // 3 2 1: any one of them is a longest run, so all three are out of order.
        assert_eq!(moved(&[3, 2, 1]), vec![3, 2, 1]);
    }
}
