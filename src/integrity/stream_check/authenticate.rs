//! The slow path of a stream check: exact replays, seqs outside the signed range, then
//! authentication backwards from the signed anchors along `prev`, and the Merkle root as
//! repair for the slots no anchor reaches.

use super::super::digest::Digest32;
use super::super::merkle::MerkleBuilder;
use super::super::report::{Finding, RecordStatus};
use super::{CANDIDATE, NONE, StreamCheck};

impl StreamCheck<'_> {
    #[allow(clippy::too_many_lines)]
    pub(super) fn slow_path(&mut self, auth_line: &mut [u32], out: &mut Vec<Finding>) {
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
}
