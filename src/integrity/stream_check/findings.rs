//! What a stream check reports: the gaps (`DELETED`, `TRUNCATED`), the verified seq
//! ranges, and one finding per non-verified record (runs of one status merged).

use super::super::report::{Finding, RecordStatus};
use super::{NONE, StreamCheck};

impl StreamCheck<'_> {
    pub(super) fn gaps(&self, out: &mut Vec<Finding>) {
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

    pub(super) fn verified_ranges(&self, auth_line: &[u32]) -> Vec<(u64, u64)> {
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

    pub(super) fn detail(&self, i: usize, st: RecordStatus, auth_line: &[u32]) -> String {
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
                .map_or_else(|| "malformed".to_owned(), ToString::to_string),
            RecordStatus::Unverified => {
                if self.signed {
                    "not reachable from any signed anchor".to_owned()
                } else {
                    "no trusted signature: self-consistency only".to_owned()
                }
            }
        }
    }

    pub(super) fn record_findings(&self, auth_line: &[u32]) -> Vec<Finding> {
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
