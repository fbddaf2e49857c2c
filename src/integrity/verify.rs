//! Verifying bundles (spec sections 5 to 8): manifest, signature against the local trust
//! store, file inventory, every record line, and the export chain across bundles.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{self, BufRead};
use std::path::Path;

use base64::Engine as _;
use sha2::{Digest, Sha256};

use super::digest::{Digest32, sha256};
use super::keys::TrustStore;
use super::manifest::Manifest;
use super::report::{FileResult, Finding, RecordStatus, Report, SignatureReport, StreamResult};
use super::source::BundleSource;
use super::stream_check::StreamCheck;
use super::writer::valid_stream_id;
use super::{FORMAT, IntegrityError, SIGNING_CONTEXT};

/// How to verify.
#[derive(Clone, Copy)]
pub struct VerifyOptions<'a> {
    /// The local trust store (`None`: nothing is trusted).
    pub trust: Option<&'a TrustStore>,
    /// Also report records not in canonical form (`NON_CANONICAL`).
    pub strict: bool,
    /// Longest record line read; longer lines are `MALFORMED`.
    pub max_line_bytes: usize,
    /// Called with the number of record lines read so far, every 65,536 lines.
    pub progress: Option<&'a dyn Fn(u64)>,
}

impl Default for VerifyOptions<'_> {
    fn default() -> Self {
        Self {
            trust: None,
            strict: false,
            max_line_bytes: 16 << 20,
            progress: None,
        }
    }
}

/// Reads `r` line by line, hashing every byte; calls `f(line, terminated)` per line (an
/// over-long line is passed as `None`). Returns (bytes, sha256).
pub(crate) fn scan_lines(
    r: &mut dyn BufRead,
    max_line: usize,
    f: &mut dyn FnMut(Option<&[u8]>, bool),
) -> io::Result<(u64, Digest32)> {
    let mut sha = Sha256::new();
    let mut total = 0u64;
    let mut buf: Vec<u8> = Vec::new();
    let mut too_long = false;
    loop {
        let avail = r.fill_buf()?;
        if avail.is_empty() {
            if too_long {
                f(None, false);
            } else if !buf.is_empty() {
                f(Some(&buf), false);
            }
            break;
        }
        if let Some(pos) = memchr::memchr(b'\n', avail) {
            sha.update(&avail[..=pos]);
            total += pos as u64 + 1;
            if too_long || buf.len() + pos > max_line {
                f(None, true);
            } else if buf.is_empty() {
                f(Some(&avail[..pos]), true);
            } else {
                buf.extend_from_slice(&avail[..pos]);
                f(Some(&buf), true);
            }
            buf.clear();
            too_long = false;
            r.consume(pos + 1);
        } else {
            let len = avail.len();
            sha.update(avail);
            total += len as u64;
            if !too_long {
                if buf.len() + len > max_line {
                    too_long = true;
                    buf.clear();
                } else {
                    buf.extend_from_slice(avail);
                }
            }
            r.consume(len);
        }
    }
    Ok((total, Digest32(sha.finalize().into())))
}

fn parse_manifest(bytes: &[u8]) -> Result<Manifest, (&'static str, String)> {
    let value = crate::ingest::parse_strict(bytes)
        .map_err(|e| ("MANIFEST_MALFORMED", format!("manifest.json: {e}")))?;
    match value.get("format").and_then(|f| f.as_str()) {
        Some(FORMAT) => {}
        Some(other) => {
            return Err((
                "UNSUPPORTED_FORMAT",
                format!("format {other:?} (this verifier reads {FORMAT})"),
            ));
        }
        None => return Err(("MANIFEST_MALFORMED", "no `format` string".to_owned())),
    }
    let m: Manifest = serde_json::from_value(value)
        .map_err(|e| ("MANIFEST_MALFORMED", format!("manifest.json: {e}")))?;
    let bad = |s: String| Err(("MANIFEST_MALFORMED", s));
    if m.created_at_time().is_none() || !m.created_at.ends_with('Z') {
        return bad(format!("created_at {:?} is not RFC 3339 UTC", m.created_at));
    }
    for w in m.files.windows(2) {
        if w[0].path >= w[1].path {
            return bad(format!(
                "files are not sorted by path without duplicates ({:?}, {:?})",
                w[0].path, w[1].path
            ));
        }
    }
    let mut ids = HashSet::new();
    for f in &m.files {
        match (f.kind.as_str(), &f.stream) {
            ("blob", None) => {}
            ("records", Some(s)) => {
                if !valid_stream_id(&s.id) || !ids.insert(s.id.clone()) {
                    return bad(format!(
                        "{}: invalid or repeated stream id {:?}",
                        f.path, s.id
                    ));
                }
                let limit = super::jcs::MAX_SAFE_INTEGER;
                let in_range = s.first_seq <= limit
                    && s.records <= limit
                    && (-1..=limit as i64).contains(&s.last_seq);
                if !in_range || s.last_seq + 1 - s.first_seq as i64 != s.records as i64 {
                    return bad(format!(
                        "{}: records, first_seq and last_seq disagree",
                        f.path
                    ));
                }
            }
            _ => {
                return bad(format!(
                    "{}: kind {:?} without matching fields",
                    f.path, f.kind
                ));
            }
        }
    }
    Ok(m)
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct SigFile {
    alg: String,
    key_id: String,
    sig: String,
}

fn check_signature(
    manifest: &Manifest,
    manifest_bytes: &[u8],
    sig: Option<&[u8]>,
    trust: Option<&TrustStore>,
) -> (SignatureReport, String) {
    let rep = |status, key_id: Option<&str>, signer: Option<&str>| SignatureReport {
        status,
        key_id: key_id.map(str::to_owned),
        signer: signer.map(str::to_owned),
    };
    let Some(sig) = sig else {
        return (
            rep("SIGNATURE_ABSENT", None, None),
            "no manifest.sig: the bundle is unsigned".to_owned(),
        );
    };
    let parsed = crate::ingest::parse_strict(sig)
        .ok()
        .and_then(|v| serde_json::from_value::<SigFile>(v).ok());
    let Some(sf) = parsed else {
        return (
            rep("SIGNATURE_MALFORMED", None, None),
            "manifest.sig is not {\"alg\",\"key_id\",\"sig\"}".to_owned(),
        );
    };
    let sig_bytes: Option<[u8; 64]> = base64::engine::general_purpose::STANDARD
        .decode(sf.sig.as_bytes())
        .ok()
        .and_then(|v| v.try_into().ok());
    let id_ok = sf.key_id.len() == 16
        && sf
            .key_id
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    let (Some(sig_bytes), true, true) = (sig_bytes, id_ok, sf.alg == "ed25519") else {
        return (
            rep(
                "SIGNATURE_MALFORMED",
                id_ok.then_some(sf.key_id.as_str()),
                None,
            ),
            "manifest.sig: alg must be ed25519, key_id 16 hex digits, sig 64 bytes of base64"
                .to_owned(),
        );
    };
    let kid = sf.key_id.as_str();
    let Some(store) = trust else {
        return (
            rep("KEY_UNKNOWN", Some(kid), None),
            format!("no trust store: key {kid} is not trusted"),
        );
    };
    let entries: Vec<_> = store
        .find(kid)
        .filter_map(|e| e.verifying_key().map(|k| (e, k)))
        .collect();
    if entries.is_empty() {
        return (
            rep("KEY_UNKNOWN", Some(kid), None),
            format!("key {kid} is not in the trust store"),
        );
    }
    let mut msg = Vec::with_capacity(SIGNING_CONTEXT.len() + manifest_bytes.len());
    msg.extend_from_slice(SIGNING_CONTEXT);
    msg.extend_from_slice(manifest_bytes);
    let good: Vec<_> = entries
        .iter()
        .filter(|(_, k)| k.verify_strict(&msg, &sig_bytes))
        .collect();
    let Some((first, _)) = good.first() else {
        return (
            rep("SIGNATURE_INVALID", Some(kid), None),
            format!("the signature by key {kid} does not match manifest.json"),
        );
    };
    let created = manifest.created_at_time();
    if let Some((e, _)) = good
        .iter()
        .find(|(e, _)| created.is_some_and(|t| e.valid_at(t)))
    {
        return (
            rep("SIGNATURE_OK", Some(kid), Some(&e.name)),
            format!("signed by {} (key {kid})", e.name),
        );
    }
    (
        rep("KEY_NOT_VALID", Some(kid), Some(&first.name)),
        format!(
            "key {kid} ({}) was not valid at created_at {} (revoked or outside its validity)",
            first.name, manifest.created_at
        ),
    )
}

/// A stream file being checked: its check, each line's SHA-256, and whether it was read.
type Check<'m> = (StreamCheck<'m>, Vec<Digest32>, bool);

/// What reading the listed members gave: each stream's check, each file's result, and the
/// findings about later copies.
#[derive(Default)]
struct MemberReads<'m> {
    checks: HashMap<(String, u32), Check<'m>>,
    file_results: HashMap<String, &'static str>,
    findings: Vec<Finding>,
    lines_read: u64,
}

impl<'m> MemberReads<'m> {
    /// Reads copy `copy` of the listed member `rel` once: hashes it, and checks its records
    /// (the stream's check takes the signature's trust later, see `set_signed`).
    #[allow(clippy::too_many_arguments)]
    fn member(
        &mut self,
        entry: &'m super::manifest::FileEntry,
        rel: &str,
        copy: u32,
        r: &mut dyn BufRead,
        max_line: usize,
        strict: bool,
        progress: Option<&dyn Fn(u64)>,
    ) -> io::Result<()> {
        let mut check = entry
            .stream
            .as_ref()
            .map(|s| StreamCheck::new(s, rel, true, strict));
        let mut line_hashes = Vec::new();
        let lines_read = &mut self.lines_read;
        let (bytes, digest) = scan_lines(r, max_line, &mut |line, terminated| {
            if let Some(c) = check.as_mut() {
                c.line(line, terminated);
                line_hashes.push(line.map_or_else(Digest32::default, sha256));
                *lines_read += 1;
                if lines_read.is_multiple_of(1 << 16)
                    && let Some(p) = progress
                {
                    p(*lines_read);
                }
            }
        })?;
        let ok = bytes == entry.bytes && digest == entry.sha256;
        if copy == 1 {
            self.file_results
                .insert(rel.to_owned(), if ok { "FILE_OK" } else { "FILE_MODIFIED" });
        } else if !ok {
            self.findings.push(Finding::new(
                "FILE_MODIFIED",
                Some(rel),
                format!("copy {copy}: size or SHA-256 differs from the manifest"),
            ));
        }
        if let Some(c) = check {
            self.checks
                .insert((rel.to_owned(), copy), (c, line_hashes, true));
        }
        Ok(())
    }

    /// Takes in what an earlier read of other members gave.
    fn absorb(&mut self, other: Self) {
        self.checks.extend(other.checks);
        self.file_results.extend(other.file_results);
        self.findings.extend(other.findings);
    }
}

/// Verifies one bundle (folder, `.tar` or `.tar.gz`). Errors only when it cannot be read at
/// all; every integrity problem is a finding in the report.
pub fn verify_bundle(path: &Path, opts: &VerifyOptions<'_>) -> Result<Report, IntegrityError> {
    verify_from(path, None, opts)?.ok_or_else(|| {
        IntegrityError::invalid(
            path,
            None,
            "invariant: a bundle read from its file is verified",
        )
    })
}

/// Largest total size of the members a tar holds before its manifest that a verification
/// from the load's read keeps in memory (a sealed bundle's `files/` artefacts).
const MAX_EARLY_BYTES: u64 = 16 << 20;

#[cfg(test)]
static EARLY_BUDGETS: std::sync::Mutex<Vec<(std::path::PathBuf, u64)>> =
    std::sync::Mutex::new(Vec::new());

/// Tests: the early budget of the verification of `path` (to exercise a bundle whose
/// members before the manifest do not fit).
#[cfg(test)]
pub(crate) fn set_early_budget(path: &Path, bytes: u64) {
    EARLY_BUDGETS
        .lock()
        .unwrap()
        .push((path.to_path_buf(), bytes));
}

fn early_budget(path: &Path) -> u64 {
    #[cfg(test)]
    if let Some((_, b)) = EARLY_BUDGETS
        .lock()
        .unwrap()
        .iter()
        .find(|(p, _)| p == path)
    {
        return *b;
    }
    let _ = path;
    MAX_EARLY_BYTES
}

/// [`verify_bundle`] of the tar at `path` from the bytes `raw` gives (the load's own read of
/// the file): the same checks, sharing the code, without opening the file. `None` when that
/// one read is not enough (the members before the manifest exceed [`MAX_EARLY_BYTES`], or
/// the first manifest met is not the bundle's): then verify from the file.
/// `seen` hears the root and manifest of the archive as soon as its first manifest is read
/// (`None` when that manifest cannot be parsed).
pub(crate) fn verify_bundle_reader(
    path: &Path,
    raw: Box<dyn BufRead>,
    opts: &VerifyOptions<'_>,
    seen: &mut dyn FnMut(&str, Option<&Manifest>),
) -> Result<Option<Report>, IntegrityError> {
    verify_from(path, Some((raw, seen)), opts)
}

/// A tar's bytes from a reader, and who hears its first manifest.
type FromReader<'a> = (Box<dyn BufRead>, &'a mut dyn FnMut(&str, Option<&Manifest>));

#[allow(clippy::too_many_lines)]
fn verify_from(
    path: &Path,
    raw: Option<FromReader<'_>>,
    opts: &VerifyOptions<'_>,
) -> Result<Option<Report>, IntegrityError> {
    let mut report = Report::new(&path.display().to_string());
    let max_line = opts.max_line_bytes;
    let strict = opts.strict;
    let progress = opts.progress;
    let one_read = raw.is_some();
    // A tar is read once: the members after its manifest are checked as the archive is
    // listed, against the manifest met first (whether it is the bundle's is known at the
    // end; when it is not, what was read then is dropped and read again below).
    let early_manifest: std::cell::OnceCell<(Digest32, Option<Manifest>)> =
        std::cell::OnceCell::new();
    let mut read = MemberReads::default();
    let (raw, mut seen) = match raw {
        Some((r, seen)) => (Some(r), Some(seen)),
        None => (None, None),
    };
    let mut on_manifest = |root: &str, bytes: &[u8]| {
        let parsed = parse_manifest(bytes).ok();
        if let Some(seen) = seen.as_mut() {
            seen(root, parsed.as_ref());
        }
        let _ = early_manifest.set((sha256(bytes), parsed));
    };
    let mut on_member = |rel: &str, copy: u32, r: &mut dyn BufRead| {
        let Some((_, Some(m))) = early_manifest.get() else {
            return Ok(());
        };
        let Ok(i) = m.files.binary_search_by(|f| f.path.as_str().cmp(rel)) else {
            return Ok(());
        };
        read.member(&m.files[i], rel, copy, r, max_line, strict, progress)
    };
    let (src, streamed) = match raw {
        None => BundleSource::open_streaming(path, &mut on_manifest, &mut on_member)?,
        Some(raw) => BundleSource::open_streaming_reader(
            path,
            raw,
            early_budget(path),
            &mut on_manifest,
            &mut on_member,
        )?,
    };
    let mut file_findings = Vec::new();
    let mut unsafe_paths = HashSet::new();
    for m in &src.members {
        if let Some(reason) = &m.unsafe_reason {
            unsafe_paths.insert(m.rel.clone());
            file_findings.push(Finding::new(
                "FILE_UNSAFE",
                Some(&m.rel),
                format!("{reason}: not read"),
            ));
            report.files.push(FileResult {
                path: m.rel.clone(),
                code: "FILE_UNSAFE",
            });
        }
    }
    let Some(manifest_bytes) = src.manifest.as_deref() else {
        report.findings.push(Finding::new(
            "MANIFEST_MISSING",
            Some("manifest.json"),
            "no manifest.json: not a sealed bundle, nothing can be checked",
        ));
        report.findings.extend(file_findings);
        return Ok(Some(report));
    };
    let manifest = match parse_manifest(manifest_bytes) {
        Ok(m) => m,
        Err((code, detail)) => {
            report
                .findings
                .push(Finding::new(code, Some("manifest.json"), detail));
            report.findings.extend(file_findings);
            return Ok(Some(report));
        }
    };
    let (sig_report, sig_detail) =
        check_signature(&manifest, manifest_bytes, src.sig.as_deref(), opts.trust);
    let signed = sig_report.status == "SIGNATURE_OK";
    if !signed {
        report.findings.push(Finding::new(
            sig_report.status,
            Some("manifest.sig"),
            sig_detail,
        ));
    }
    report.signature = sig_report;
    // Two members with one normalised path: which copy is genuine cannot be told, so no
    // record of any copy is authenticated (spec section 7, FILE_DUPLICATE). Two manifests
    // or signatures: nothing in the bundle is.
    let duplicates = src.duplicates();
    let (manifests, sigs) = src.meta_copies;
    for (name, copies) in [("manifest.json", manifests), ("manifest.sig", sigs)] {
        if copies > 1 {
            file_findings.push(Finding::new(
                "FILE_DUPLICATE",
                Some(name),
                format!("the archive holds {copies} members named {name}: no record is verified"),
            ));
            report.files.push(FileResult {
                path: name.to_owned(),
                code: "FILE_DUPLICATE",
            });
        }
    }
    let anchors_trusted = signed && manifests <= 1 && sigs <= 1;
    for (rel, copies) in &duplicates {
        file_findings.push(Finding::new(
            "FILE_DUPLICATE",
            Some(rel),
            format!(
                "the archive holds {copies} members with this path (after normalisation): \
                 no record of any copy is verified"
            ),
        ));
    }
    // Inventory.
    let listed: BTreeMap<&str, &super::manifest::FileEntry> = manifest
        .files
        .iter()
        .map(|f| (f.path.as_str(), f))
        .collect();
    for m in &src.members {
        if m.unsafe_reason.is_some() || m.copy > 1 {
            continue;
        }
        if m.outside_root || !listed.contains_key(m.rel.as_str()) {
            let detail = if m.outside_root {
                "outside the folder that holds the manifest: not part of the bundle"
            } else {
                "present in the bundle but not in the manifest"
            };
            file_findings.push(Finding::new("FILE_UNLISTED", Some(&m.rel), detail));
            report.files.push(FileResult {
                path: m.rel.clone(),
                code: "FILE_UNLISTED",
            });
        }
    }
    let present: HashSet<&str> = src
        .members
        .iter()
        .filter(|m| m.unsafe_reason.is_none() && !m.outside_root)
        .map(|m| m.rel.as_str())
        .collect();
    for p in listed.keys() {
        let safe = crate::ingest::safe_member_path(Path::new(p)).as_deref() == Some(*p);
        if !safe && !unsafe_paths.contains(*p) {
            file_findings.push(Finding::new(
                "FILE_UNSAFE",
                Some(p),
                "the manifest lists a path that is absolute or climbs with `..`",
            ));
            report.files.push(FileResult {
                path: (*p).to_owned(),
                code: "FILE_UNSAFE",
            });
        } else if !present.contains(p) && !unsafe_paths.contains(*p) {
            file_findings.push(Finding::new(
                "FILE_MISSING",
                Some(p),
                "listed in the manifest but absent",
            ));
            report.files.push(FileResult {
                path: (*p).to_owned(),
                code: "FILE_MISSING",
            });
        }
    }
    // Read every listed file once: hash it, and check its records. Each line's SHA-256 is
    // kept, so that a status is only ever given to those exact bytes.
    let mut stream_findings = Vec::new();
    let trusted = |rel: &str| anchors_trusted && !duplicates.contains_key(rel);
    let manifest_sha = sha256(manifest_bytes);
    let streamed =
        streamed.filter(|s| s.valid && early_manifest.get().map(|(d, _)| *d) == Some(manifest_sha));
    let mut fresh = MemberReads {
        lines_read: read.lines_read,
        ..MemberReads::default()
    };
    {
        // Streamed: only the members met before the manifest are left, at the archive's
        // start. Else every listed member.
        let early: HashSet<(&str, u32)> = streamed
            .iter()
            .flat_map(|s| s.early.iter().map(|(r, c)| (r.as_str(), *c)))
            .collect();
        let want = |rel: &str, copy: u32| {
            listed.contains_key(rel) && (streamed.is_none() || early.contains(&(rel, copy)))
        };
        let mut on_member = |rel: &str, copy: u32, r: &mut dyn BufRead| -> io::Result<()> {
            let Some(entry) = listed.get(rel) else {
                return Ok(());
            };
            fresh.member(entry, rel, copy, r, max_line, strict, progress)
        };
        if streamed.is_none() || !early.is_empty() {
            if one_read {
                return Ok(None);
            }
            src.read_members(&want, streamed.is_some(), &mut on_member)?;
        }
    }
    if streamed.is_some() {
        fresh.absorb(read);
    }
    let MemberReads {
        mut checks,
        file_results,
        findings: copy_findings,
        ..
    } = fresh;
    file_findings.extend(copy_findings);
    for ((rel, _), (check, _, _)) in &mut checks {
        check.set_signed(trusted(rel));
    }
    for (p, e) in &listed {
        if let Some(code) = file_results.get(*p) {
            if *code == "FILE_MODIFIED" {
                let detail = if duplicates.contains_key(p) {
                    "copy 1: size or SHA-256 differs from the manifest"
                } else {
                    "size or SHA-256 differs from the manifest"
                };
                file_findings.push(Finding::new("FILE_MODIFIED", Some(p), detail));
            }
            report.files.push(FileResult {
                path: (*p).to_owned(),
                code: if duplicates.contains_key(p) {
                    "FILE_DUPLICATE"
                } else {
                    code
                },
            });
        }
        let key = ((*p).to_owned(), 1);
        if let Some(s) = &e.stream
            && !checks.contains_key(&key)
        {
            checks.insert(
                key,
                (
                    StreamCheck::new(s, p, trusted(p), strict),
                    Vec::new(),
                    false,
                ),
            );
        }
    }
    report.files.sort_by(|a, b| a.path.cmp(&b.path));
    let mut record_findings = Vec::new();
    let mut names: Vec<(String, u32)> = checks.keys().cloned().collect();
    names.sort();
    for key in names {
        let Some((check, line_hashes, _)) = checks.remove(&key) else {
            continue;
        };
        let (name, copy) = key;
        let id = listed
            .get(name.as_str())
            .and_then(|e| e.stream.as_ref())
            .map(|s| s.id.clone())
            .unwrap_or_default();
        let outcome = check.finish();
        for &b in &outcome.statuses {
            if let Some(st) = RecordStatus::from_u8(b) {
                *report.counts.entry(st.code()).or_default() += 1;
            }
        }
        let copies = duplicates.get(name.as_str()).copied();
        for mut f in outcome.findings {
            if let Some(n) = copies {
                f.detail = if f.code == "UNVERIFIED" {
                    format!(
                        "copy {copy} of {n}: not authenticated, the archive holds this file {n} times"
                    )
                } else {
                    format!("copy {copy} of {n}: {}", f.detail)
                };
            } else if !anchors_trusted && signed && f.code == "UNVERIFIED" {
                "not authenticated: the archive holds more than one manifest"
                    .clone_into(&mut f.detail);
            }
            if RecordStatus::ALL.iter().any(|s| s.code() == f.code) {
                record_findings.push(f);
            } else {
                stream_findings.push(f);
            }
        }
        report.streams.push(StreamResult {
            display: src.display(&name, copy),
            path: name,
            copy,
            id,
            verified: outcome.verified,
            lines: outcome.statuses.len() as u64,
            statuses: outcome.statuses,
            line_hashes,
        });
    }
    report.findings.extend(file_findings);
    report.findings.extend(stream_findings);
    report.findings.extend(record_findings);
    report.manifest_sha256 = Some(sha256(manifest_bytes));
    report.manifest = Some(manifest);
    report.settle();
    Ok(Some(report))
}
