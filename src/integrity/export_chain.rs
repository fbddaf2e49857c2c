//! The chain of exports across several bundles (spec section 6): `EXPORT_GAP`,
//! `EXPORT_MISSING` and `PREV_EXPORT_MISMATCH`.
//!
//! Allowed imports: the integrity module's own types, std.
//!
//! An export is named by its `(bundle_id, export_seq)`: one `bundle_id` is one chain (a
//! platform, a producer), `export_seq` counts its exports 0, 1, 2, ... Export n+1 names export
//! n in `prev_export` together with the SHA-256 of its manifest, and each stream continues
//! where it stood after the export it names. Bundles of different ids are never compared,
//! whatever their stream names: two platforms that both write a `training` stream are two
//! chains. What follows from the spec, and what this module reports on the later bundle:
//! - `prev_export` null on an export other than export 0: it continues nothing
//!   (`EXPORT_GAP`); its streams must then start at seq 0 from the genesis `prev`.
//! - `prev_export` naming an export of the same id other than n-1: exports are skipped or the
//!   chain loops (`EXPORT_GAP`).
//! - The named export is given with another manifest digest (`PREV_EXPORT_MISMATCH`), or is
//!   not given while an earlier export of the same chain is (`EXPORT_MISSING`). When no earlier
//!   export of the chain is given the window of exports simply starts there: nothing to report.
//! - A stream that does not start at the seq and `prev` where the named export (and those
//!   before it) left it (`EXPORT_GAP`, with the seq range in between); a stream new to the
//!   chain starts at seq 0 from the genesis `prev`.
//! - One `(bundle_id, export_seq)` given twice with the same manifest is one export found
//!   twice (a folder and its `.tar.gz`): nothing to report. Given with different manifests,
//!   the chain forks: each copy that no later export continues is an `EXPORT_GAP`.

use std::collections::{HashMap, HashSet};

use super::digest::{Digest32, genesis_prev};
use super::manifest::Manifest;
use super::report::{Finding, Report};

/// Where each stream of a chain stands after an export: stream id -> (next seq, head).
#[derive(Debug, Clone, Default)]
struct ChainState {
    streams: HashMap<String, (u64, Digest32)>,
    /// Whether every export before is known: a stream not listed then starts at genesis;
    /// otherwise (the window of exports starts later) its start cannot be checked.
    complete: bool,
}

/// How an export's `prev_export` resolves among the bundles given.
#[derive(Debug, Clone, Copy)]
enum Link {
    /// `prev_export` is null: the chain starts here.
    Start,
    /// The named export is the report at this index (same manifest digest).
    To(usize),
    /// The named export is given, but with another manifest (the first such report).
    Mismatch(usize),
    /// The named export is not given.
    Absent,
}

/// Checks the export chain across several bundles (spec section 6) and adds
/// `EXPORT_GAP`, `EXPORT_MISSING` and `PREV_EXPORT_MISMATCH` findings to the later bundle.
/// Chains are per `bundle_id`; the rules are in this module's documentation.
pub fn check_export_chain(reports: &mut [Report]) {
    let given: Vec<usize> = (0..reports.len())
        .filter(|&i| reports[i].manifest.is_some())
        .collect();
    if given.len() < 2 {
        return;
    }
    let mut by_key: HashMap<(&str, u64), Vec<usize>> = HashMap::new();
    for &i in &given {
        if let Some(m) = &reports[i].manifest {
            by_key
                .entry((m.bundle_id.as_str(), m.export_seq))
                .or_default()
                .push(i);
        }
    }
    // The lowest export_seq given per bundle id: whether an export's chain has earlier
    // exports among the bundles given.
    let mut lowest: HashMap<&str, u64> = HashMap::new();
    for &i in &given {
        if let Some(m) = &reports[i].manifest {
            let e = lowest.entry(m.bundle_id.as_str()).or_insert(m.export_seq);
            *e = (*e).min(m.export_seq);
        }
    }
    let mut links = vec![Link::Absent; reports.len()];
    for &i in &given {
        let Some(m) = &reports[i].manifest else {
            continue;
        };
        links[i] = match &m.prev_export {
            None => Link::Start,
            Some(p) => match by_key.get(&(p.bundle_id.as_str(), p.export_seq)) {
                None => Link::Absent,
                Some(candidates) => candidates
                    .iter()
                    .find(|&&j| reports[j].manifest_sha256 == Some(p.manifest_sha256))
                    .map_or(Link::Mismatch(candidates[0]), |&j| Link::To(j)),
            },
        };
    }
    let continued: HashSet<usize> = links
        .iter()
        .filter_map(|l| match l {
            Link::To(j) => Some(*j),
            _ => None,
        })
        .collect();
    let mut after: Vec<Option<ChainState>> = vec![None; reports.len()];
    let mut found: Vec<Vec<Finding>> = vec![Vec::new(); reports.len()];
    for &i in &given {
        let before = state_before(reports, &links, &mut after, i);
        let Some(m) = &reports[i].manifest else {
            continue;
        };
        let out = &mut found[i];
        // The same export given twice with different manifests: a fork.
        if let Some(same) = by_key.get(&(m.bundle_id.as_str(), m.export_seq))
            && same
                .iter()
                .any(|&j| reports[j].manifest_sha256 != reports[i].manifest_sha256)
            && !continued.contains(&i)
        {
            out.push(Finding::new(
                "EXPORT_GAP",
                Some("manifest.json"),
                format!(
                    "export {} of bundle {} is given {} times with different manifests: the chain forks here and no later export continues this one",
                    m.export_seq,
                    m.bundle_id,
                    same.len()
                ),
            ));
        }
        out.extend(prev_findings(reports, m, links[i], &lowest));
        out.extend(stream_findings(m, &before));
    }
    for (r, f) in reports.iter_mut().zip(found) {
        if f.is_empty() {
            continue;
        }
        r.findings.splice(0..0, f);
        r.settle();
    }
}

/// The chain state before export `i`: after the export it names (and those before that),
/// complete at a chain's start, unknown where the named export is not given.
fn state_before(
    reports: &[Report],
    links: &[Link],
    after: &mut [Option<ChainState>],
    i: usize,
) -> ChainState {
    // Walk back along the links to a known state or the chain's start, then forwards.
    let mut path = Vec::new();
    let mut seen = HashSet::from([i]);
    let mut at = i;
    let mut state = loop {
        match links[at] {
            Link::To(j) => {
                if let Some(s) = &after[j] {
                    break s.clone();
                }
                if !seen.insert(j) {
                    // A loop of links (impossible without a SHA-256 collision): unknown.
                    break ChainState::default();
                }
                path.push(j);
                at = j;
            }
            Link::Start => {
                break ChainState {
                    streams: HashMap::new(),
                    complete: true,
                };
            }
            Link::Mismatch(_) | Link::Absent => break ChainState::default(),
        }
    };
    // `path` holds the exports before `i`, newest first.
    for &j in path.iter().rev() {
        if let Some(m) = &reports[j].manifest {
            for (_, s) in m.streams() {
                state.streams.insert(
                    s.id.clone(),
                    (u64::try_from(s.last_seq + 1).unwrap_or(0), s.head),
                );
            }
        }
        after[j] = Some(state.clone());
    }
    state
}

/// What `prev_export` says against the bundles given.
fn prev_findings(
    reports: &[Report],
    m: &Manifest,
    link: Link,
    lowest: &HashMap<&str, u64>,
) -> Vec<Finding> {
    let mut out = Vec::new();
    match (&m.prev_export, link) {
        (None, _) if m.export_seq > 0 => out.push(Finding::new(
            "EXPORT_GAP",
            Some("manifest.json"),
            format!(
                "export {} of bundle {} does not continue any previous export (prev_export is null)",
                m.export_seq, m.bundle_id
            ),
        )),
        (Some(p), link) => {
            if p.bundle_id == m.bundle_id && p.export_seq.checked_add(1) != Some(m.export_seq)
            {
                out.push(Finding::new(
                    "EXPORT_GAP",
                    Some("manifest.json"),
                    format!(
                        "export {} of bundle {} names export {} as its previous export, not export {}",
                        m.export_seq,
                        m.bundle_id,
                        p.export_seq,
                        m.export_seq.wrapping_sub(1)
                    ),
                ));
            }
            match link {
                Link::Mismatch(j) => out.push(Finding::new(
                    "PREV_EXPORT_MISMATCH",
                    Some("manifest.json"),
                    format!(
                        "prev_export names {} export {} with manifest sha256 {}, but {} has another manifest",
                        p.bundle_id, p.export_seq, p.manifest_sha256, reports[j].bundle
                    ),
                )),
                Link::Absent
                    if [(p.bundle_id.as_str(), p.export_seq), (m.bundle_id.as_str(), m.export_seq)]
                        .iter()
                        .any(|(id, seq)| lowest.get(id).is_some_and(|low| low < seq)) =>
                {
                    out.push(Finding::new(
                        "EXPORT_MISSING",
                        Some("manifest.json"),
                        format!(
                            "the previous export ({} export {}) is not among the bundles given",
                            p.bundle_id, p.export_seq
                        ),
                    ));
                }
                Link::Absent | Link::To(_) | Link::Start => {}
            }
        }
        (None, _) => {}
    }
    out
}

/// Streams that do not continue where the chain left them.
fn stream_findings(m: &Manifest, before: &ChainState) -> Vec<Finding> {
    let mut out = Vec::new();
    // Streams continue where the named export left them.
    for (f, s) in m.streams() {
        let expected = before
            .streams
            .get(&s.id)
            .copied()
            .or_else(|| before.complete.then(|| (0, genesis_prev(&s.id))));
        if let Some((next, head)) = expected
            && (s.first_seq != next || s.first_prev != head)
        {
            out.push(
                Finding::new(
                    "EXPORT_GAP",
                    Some(&f.path),
                    format!(
                        "stream {} starts at seq {} from {}, the previous export ends before seq {next} at {head}",
                        s.id, s.first_seq, s.first_prev
                    ),
                )
                .seqs(next.min(s.first_seq), next.max(s.first_seq)),
            );
        }
    }
    out
}
