//! Tampered copies of a pristine sealed bundle, each with what `verify` must report: the
//! sample data's tampered variants and the tests' fixtures. Written for small bundles (a
//! stream file is edited in memory).

use std::path::Path;

use serde_json::{Value, json};

use super::digest::{Digest32, record_hash};
use super::manifest::Manifest;
use super::report::{Finding, Report, Verdict};
use super::{IntegrityError, jcs};

/// A finding `verify` must report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expect {
    /// Code.
    pub code: &'static str,
    /// First seq (when the finding has one).
    pub seq: Option<u64>,
    /// Last seq.
    pub seq_end: Option<u64>,
}

/// One tampered variant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tampering {
    /// Folder name under the output.
    pub name: &'static str,
    /// What was done.
    pub description: String,
    /// The verdict verify must give (with the pristine bundle's trust store).
    pub verdict: Verdict,
    /// Findings that must be present.
    pub expect: Vec<Expect>,
}

/// How a report differs from what a tampered variant must give.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Mismatch {
    /// Another verdict.
    #[error("{name}: verdict {got} instead of {want}")]
    Verdict {
        /// The variant.
        name: &'static str,
        /// The report's verdict.
        got: Verdict,
        /// The verdict it must give.
        want: Verdict,
    },
    /// An expected finding is missing.
    #[error("{name}: no finding {expect:?} in {findings:?}")]
    Finding {
        /// The variant.
        name: &'static str,
        /// The finding looked for.
        expect: Expect,
        /// The report's findings.
        findings: Vec<Finding>,
    },
}

impl Tampering {
    /// Checks a report against the expectations.
    pub fn check(&self, r: &Report) -> Result<(), Mismatch> {
        if r.verdict != self.verdict {
            return Err(Mismatch::Verdict {
                name: self.name,
                got: r.verdict,
                want: self.verdict,
            });
        }
        for e in &self.expect {
            let hit = r.findings.iter().any(|f| {
                f.code == e.code
                    && (e.seq.is_none() || f.seq == e.seq)
                    && (e.seq_end.is_none() || f.seq_end == e.seq_end)
            });
            if !hit {
                return Err(Mismatch::Finding {
                    name: self.name,
                    expect: e.clone(),
                    findings: r.findings.clone(),
                });
            }
        }
        Ok(())
    }
}

const REC_AT: usize = 81; // `{"hash":"` + 64 hex + `","rec":`

fn split(line: &str) -> Option<(&str, &str)> {
    if line.len() < REC_AT + 2 || !line.is_char_boundary(REC_AT) {
        return None;
    }
    Some((&line[9..73], &line[REC_AT..line.len() - 1]))
}

fn envelope(hash: &Digest32, rec: &str) -> String {
    format!("{{\"hash\":\"{hash}\",\"rec\":{rec}}}")
}

/// `rec` with its message replaced, in canonical form.
fn altered(rec: &str, message: &str, prev: Option<&Digest32>) -> Result<String, IntegrityError> {
    let mut v: Value = serde_json::from_str(rec)
        .map_err(|e| IntegrityError::Argument(format!("not a record: {e}")))?;
    v["message"] = json!(message);
    if let Some(p) = prev {
        v["prev"] = json!(p.to_string());
    }
    jcs::to_string(&v)
}

fn copy_dir(from: &Path, to: &Path) -> Result<(), IntegrityError> {
    std::fs::create_dir_all(to).map_err(|e| IntegrityError::io(to, e))?;
    for e in std::fs::read_dir(from).map_err(|e| IntegrityError::io(from, e))? {
        let e = e.map_err(|e| IntegrityError::io(from, e))?;
        let ft = e
            .file_type()
            .map_err(|err| IntegrityError::io(e.path(), err))?;
        let dest = to.join(e.file_name());
        if ft.is_dir() {
            copy_dir(&e.path(), &dest)?;
        } else if ft.is_file() {
            std::fs::copy(e.path(), &dest).map_err(|err| IntegrityError::io(&dest, err))?;
        }
    }
    Ok(())
}

/// Writes tampered copies of the bundle folder `pristine` under `out` (one folder per
/// variant: `modified-record`, `deleted-run`, `truncated-tail`, `rewritten-chain`,
/// `appended-records`, `swapped-records`, `replayed-record`), editing its largest stream,
/// and returns what `verify` must report for each.
#[allow(clippy::too_many_lines, clippy::many_single_char_names)]
pub fn write_tampered(pristine: &Path, out: &Path) -> Result<Vec<Tampering>, IntegrityError> {
    let mpath = pristine.join("manifest.json");
    let bytes = std::fs::read(&mpath).map_err(|e| IntegrityError::io(&mpath, e))?;
    let m: Manifest = serde_json::from_slice(&bytes)
        .map_err(|e| IntegrityError::invalid(&mpath, None, e.to_string()))?;
    let (entry, info) = m
        .streams()
        .max_by_key(|(_, s)| s.records)
        .ok_or_else(|| IntegrityError::invalid(&mpath, None, "no stream"))?;
    let n = info.records as usize;
    if n < 40 {
        return Err(IntegrityError::Argument(format!(
            "the largest stream has {n} records: at least 40 are needed"
        )));
    }
    let first = info.first_seq;
    let rel = entry.path.clone();
    let spath = pristine.join(&rel);
    let text = std::fs::read_to_string(&spath).map_err(|e| IntegrityError::io(&spath, e))?;
    let lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let seq = |i: usize| first + i as u64;
    let ex = |code, a: Option<u64>, b: Option<u64>| Expect {
        code,
        seq: a,
        seq_end: b,
    };
    let mut out_list = Vec::new();
    let mut emit = |name: &'static str,
                    description: String,
                    verdict: Verdict,
                    expect: Vec<Expect>,
                    lines: &[String]|
     -> Result<(), IntegrityError> {
        let dir = out.join(name);
        copy_dir(pristine, &dir)?;
        let mut body = lines.join("\n");
        body.push('\n');
        let p = dir.join(&rel);
        std::fs::write(&p, body).map_err(|e| IntegrityError::io(&p, e))?;
        out_list.push(Tampering {
            name,
            description,
            verdict,
            expect,
        });
        Ok(())
    };
    // A record edited in place, its stored hash kept.
    let k = n / 2;
    let mut l = lines.clone();
    let (h, rec) = split(&l[k]).ok_or_else(|| IntegrityError::Argument("bad line".into()))?;
    l[k] = format!(
        "{{\"hash\":\"{h}\",\"rec\":{}}}",
        altered(rec, "nothing to see here", None)?
    );
    emit(
        "modified-record",
        format!(
            "{rel}: line {} (seq {}) edited, stored hash kept",
            k + 1,
            seq(k)
        ),
        Verdict::Tampered,
        vec![
            ex("FILE_MODIFIED", None, None),
            ex("MODIFIED", Some(seq(k)), Some(seq(k))),
        ],
        &l,
    )?;
    // A run of records deleted.
    let (a, run) = (n / 3, 10.min(n / 4));
    let mut l = lines.clone();
    l.drain(a..a + run);
    emit(
        "deleted-run",
        format!("{rel}: seq {}..{} deleted", seq(a), seq(a + run - 1)),
        Verdict::Tampered,
        vec![ex("DELETED", Some(seq(a)), Some(seq(a + run - 1)))],
        &l,
    )?;
    // The tail cut off.
    let t = 25.min(n / 4);
    let l = lines[..n - t].to_vec();
    emit(
        "truncated-tail",
        format!(
            "{rel}: the last {t} records (seq {}..{}) removed",
            seq(n - t),
            seq(n - 1)
        ),
        Verdict::Tampered,
        vec![
            ex("TRUNCATED", Some(seq(n - t)), Some(seq(n - 1))),
            ex(
                "SIGNED_ANCHOR_NOT_FOUND",
                Some(seq(n - 1)),
                Some(seq(n - 1)),
            ),
        ],
        &l,
    )?;
    // A consistent chain rewritten after the first checkpoint (or from the middle).
    let r = if n > 1024 + 10 { 1024 + 5 } else { n / 2 };
    let mut l = lines.clone();
    let mut prev: Option<Digest32> = None;
    for line in l.iter_mut().skip(r) {
        let (_, rec) = split(line).ok_or_else(|| IntegrityError::Argument("bad line".into()))?;
        let new_rec = altered(rec, "rewritten", prev.as_ref())?;
        let h = record_hash(new_rec.as_bytes());
        *line = envelope(&h, &new_rec);
        prev = Some(h);
    }
    emit(
        "rewritten-chain",
        format!(
            "{rel}: seq {}..{} rewritten with recomputed hashes and prev links",
            seq(r),
            seq(n - 1)
        ),
        Verdict::Tampered,
        vec![
            ex(
                "SIGNED_ANCHOR_NOT_FOUND",
                Some(seq(n - 1)),
                Some(seq(n - 1)),
            ),
            ex("REPLACED", Some(seq(n - 1)), None),
        ],
        &l,
    )?;
    // Records appended after signing, chained correctly.
    let mut l = lines.clone();
    let (_, last_rec) =
        split(&lines[n - 1]).ok_or_else(|| IntegrityError::Argument("bad line".into()))?;
    let mut prev = record_hash(last_rec.as_bytes());
    let mut base: Value =
        serde_json::from_str(last_rec).map_err(|e| IntegrityError::Argument(e.to_string()))?;
    for j in 0..3 {
        base["seq"] = json!(seq(n) + j);
        base["prev"] = json!(prev.to_string());
        base["message"] = json!("appended after signing");
        let rec = jcs::to_string(&base)?;
        prev = record_hash(rec.as_bytes());
        l.push(envelope(&prev, &rec));
    }
    emit(
        "appended-records",
        format!("{rel}: 3 chained records appended after signing"),
        Verdict::Tampered,
        vec![ex("APPENDED_UNSIGNED", Some(seq(n)), Some(seq(n) + 2))],
        &l,
    )?;
    // Two records swapped.
    let s = n / 4;
    let mut l = lines.clone();
    l.swap(s, s + 1);
    emit(
        "swapped-records",
        format!("{rel}: lines {} and {} swapped", s + 1, s + 2),
        Verdict::Tampered,
        vec![
            ex("REORDERED", Some(seq(s + 1)), None),
            ex("REORDERED", Some(seq(s)), None),
        ],
        &l,
    )?;
    // An exact replay.
    let mut l = lines.clone();
    l.insert(10, lines[4].clone());
    emit(
        "replayed-record",
        format!("{rel}: line 5 (seq {}) replayed after line 10", seq(4)),
        Verdict::Tampered,
        vec![ex("DUPLICATE", Some(seq(4)), None)],
        &l,
    )?;
    Ok(out_list)
}
