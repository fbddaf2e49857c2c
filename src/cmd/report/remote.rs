//! `report --remote`: the report over a Quickwit index. The events, the lineage graph and
//! the alerts come from the index through the same scans as locally; the integrity section
//! is what each push attested (the verify verdict of its inputs with the findings, and the
//! inputs' digests at push), checked against the statuses its events were pushed with.

use std::collections::BTreeMap;

use anyhow::{Context, Result};
use serde::Deserialize;

use crate::governance::{InputDigest, IntegrityFinding, IntegritySummary};
use crate::integrity::is_error_code;
use crate::model::RecordStatus;
use crate::remote::{PushedBundle, RemoteStore};

/// What `push` records of a bundle in its marker (see `cmd::push`).
#[derive(Debug, Deserialize)]
struct Attested {
    inputs: Vec<InputDigest>,
    integrity: IntegritySummary,
}

/// Worse verdicts rank higher.
fn rank(v: &str) -> u8 {
    match v {
        "not_sealed" => 0,
        "verified" => 1,
        "unverified" => 2,
        "tampered" => 3,
        _ => 4,
    }
}

fn worst(into: &mut String, v: &str) {
    if rank(v) > rank(into) {
        v.clone_into(into);
    }
}

/// The events pushed with a status that is evidence of tampering, by status.
fn tampered_statuses(statuses: &[(String, u64)]) -> Vec<(String, u64)> {
    statuses
        .iter()
        .filter(|(s, _)| RecordStatus::from_lower(s).is_some_and(|st| is_error_code(st.code())))
        .cloned()
        .collect()
}

/// The verdict the pushed statuses alone give.
fn verdict_of(statuses: &[(String, u64)]) -> &'static str {
    if !tampered_statuses(statuses).is_empty() {
        "tampered"
    } else if statuses.iter().any(|(s, _)| s == "unverified") {
        "unverified"
    } else if statuses.iter().any(|(s, _)| s == "verified") {
        "verified"
    } else {
        "not_sealed"
    }
}

/// The integrity section and the inputs of a report over `store`: per pushed bundle, what
/// its push attested; a bundle whose events were pushed with tampering statuses its push
/// did not attest gets a `PUSHED_STATUS` finding; a bundle pushed without an attestation
/// (by an older auditlens) is judged by its pushed statuses alone.
pub(super) fn attested(store: &RemoteStore) -> Result<(IntegritySummary, Vec<InputDigest>)> {
    let at = store.target().display();
    let bundles = crate::remote::pushed_bundles(store)
        .map_err(|e| anyhow::anyhow!("{e}"))
        .with_context(|| format!("reading the push markers of {at}"))?;
    let mut summary = IntegritySummary {
        verdict: "not_sealed".to_owned(),
        bundles: BTreeMap::new(),
        findings: Vec::new(),
    };
    let mut inputs = Vec::new();
    for b in &bundles {
        let statuses = crate::remote::pushed_statuses(store, &b.digest)
            .map_err(|e| anyhow::anyhow!("{e}"))
            .with_context(|| format!("reading the pushed statuses of bundle {}", b.digest))?;
        let (name, attested_verdict) = if let Ok(a) = Attested::deserialize(&b.attested) {
            let verdict = a.integrity.verdict.clone();
            worst(&mut summary.verdict, &verdict);
            summary.bundles.extend(a.integrity.bundles);
            summary.findings.extend(a.integrity.findings);
            inputs.extend(a.inputs.into_iter().map(|mut i| {
                i.remote = Some(at.clone());
                i
            }));
            (bundle_name(b), verdict)
        } else {
            let name = bundle_name(b);
            inputs.push(InputDigest {
                path: name.clone(),
                digest: b.digest.clone(),
                remote: Some(at.clone()),
            });
            let v = verdict_of(&statuses);
            if v != "not_sealed" {
                worst(&mut summary.verdict, v);
                summary.bundles.insert(name.clone(), v.to_owned());
            }
            (name, v.to_owned())
        };
        let bad = tampered_statuses(&statuses);
        if !bad.is_empty() && rank(&attested_verdict) < rank("tampered") {
            worst(&mut summary.verdict, "tampered");
            let n: u64 = bad.iter().map(|(_, n)| n).sum();
            let by: Vec<String> = bad.iter().map(|(s, n)| format!("{s}: {n}")).collect();
            summary.findings.push(IntegrityFinding {
                bundle: name,
                code: "PUSHED_STATUS".to_owned(),
                tampering: true,
                detail: format!(
                    "{n} events of bundle {} are in {at} with a tampering status ({}), but its push attested the verdict {attested_verdict}",
                    b.digest,
                    by.join(", ")
                ),
                seq: None,
                seq_end: None,
                evidence: Vec::new(),
            });
        }
    }
    Ok((summary, inputs))
}

/// A bundle's name: its inputs as pushed, else its digest.
fn bundle_name(b: &PushedBundle) -> String {
    if b.inputs.is_empty() {
        format!("bundle {}", b.digest)
    } else {
        b.inputs.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pushed_statuses_give_a_verdict() {
        let s = |v: &[(&str, u64)]| -> Vec<(String, u64)> {
            v.iter().map(|(a, n)| ((*a).to_owned(), *n)).collect()
        };
        assert_eq!(verdict_of(&s(&[("verified", 9)])), "verified");
        assert_eq!(
            verdict_of(&s(&[("verified", 9), ("unverified", 1)])),
            "unverified"
        );
        assert_eq!(
            verdict_of(&s(&[("verified", 9), ("modified", 1)])),
            "tampered"
        );
        assert_eq!(verdict_of(&s(&[("", 9)])), "not_sealed");
        assert_eq!(
            tampered_statuses(&s(&[("modified", 2), ("verified", 1)])).len(),
            1
        );
    }
}
