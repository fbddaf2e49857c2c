//! Sealed bundles: every status and finding code of spec/bundle-format.md, on folders and
//! tarballs, through the library and the binary.

#![allow(clippy::many_single_char_names)]

use std::path::{Path, PathBuf};

use auditlens::integrity::tamper::write_tampered;
use auditlens::integrity::{
    BundleWriter, RecordStatus, Report, SigningKey, TrustEntry, TrustStore, Verdict, VerifyOptions,
    check_export_chain, jcs, merkle, record_hash, sign_manifest, verify_bundle,
};
use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use crate::common::auditlens;

const SEED: [u8; 32] = [42; 32];

fn t(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn rec(i: u64) -> Map<String, Value> {
    let Value::Object(m) = json!({
        "ts": format!("2024-03-01T{:02}:{:02}:{:02}Z", i / 3600 % 24, i / 60 % 60, i % 60),
        "action": "model.deploy",
        "actor": {"id": format!("user{}", i % 7), "type": "user"},
        "message": format!("event {i}"),
        "details": {"n": i, "score": 0.5},
    }) else {
        unreachable!()
    };
    m
}

fn key() -> SigningKey {
    SigningKey::from_seed(SEED)
}

fn trust() -> TrustStore {
    TrustStore {
        keys: vec![TrustEntry::new(
            &key().verifying_key(),
            "test signer",
            t("2024-01-01T00:00:00Z"),
        )],
    }
}

/// A signed bundle with the given streams and record counts.
fn bundle(dir: &Path, name: &str, streams: &[(&str, u64)], signer: Option<&SigningKey>) -> PathBuf {
    let out = dir.join(name);
    let mut w =
        BundleWriter::create(&out, name, 0, t("2024-03-02T00:00:00Z"), "test", "1").unwrap();
    for (s, n) in streams {
        for i in 0..*n {
            w.append(s, rec(i)).unwrap();
        }
    }
    w.add_file("eval.json", br#"{"auc":0.91}"#).unwrap();
    w.finish(signer).unwrap();
    out
}

fn verify(p: &Path) -> Report {
    verify_with(p, Some(&trust()))
}

fn verify_with(p: &Path, store: Option<&TrustStore>) -> Report {
    let opts = VerifyOptions {
        trust: store,
        ..VerifyOptions::default()
    };
    let r = verify_bundle(p, &opts).unwrap();
    let lines: u64 = r.streams.iter().map(|s| s.lines).sum();
    assert_eq!(r.lines(), lines, "counts add up to the line count");
    r
}

fn lines_of(p: &Path) -> Vec<String> {
    std::fs::read_to_string(p)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

fn write_lines(p: &Path, lines: &[String]) {
    let mut s = lines.join("\n");
    s.push('\n');
    std::fs::write(p, s).unwrap();
}

fn has(r: &Report, code: &str, seq: Option<u64>) -> bool {
    r.findings
        .iter()
        .any(|f| f.code == code && (seq.is_none() || f.seq == seq))
}

fn count(r: &Report, code: &str) -> u64 {
    r.counts.get(code).copied().unwrap_or(0)
}

fn rec_of(line: &str) -> &str {
    &line[81..line.len() - 1]
}

/// Re-seals a bundle folder after its stream files were edited: recomputes every stream
/// entry from the lines as they are (stored hashes as leaves) and signs with `key`.
fn reseal(dir: &Path, key: &SigningKey) {
    let mpath = dir.join("manifest.json");
    let mut m: Value = serde_json::from_slice(&std::fs::read(&mpath).unwrap()).unwrap();
    for f in m["files"].as_array_mut().unwrap() {
        let bytes = std::fs::read(dir.join(f["path"].as_str().unwrap())).unwrap();
        f["bytes"] = json!(bytes.len());
        f["sha256"] = json!(auditlens::integrity::sha256(&bytes).to_string());
        if f["kind"] == "records" {
            let text = String::from_utf8(bytes).unwrap();
            let hashes: Vec<_> = text
                .lines()
                .map(|l| l[9..73].parse::<auditlens::integrity::Digest32>().unwrap())
                .collect();
            let s = &mut f["stream"];
            s["head"] = json!(hashes.last().unwrap().to_string());
            s["merkle_root"] = json!(merkle::root(hashes.iter().copied()).to_string());
            let first = s["first_seq"].as_u64().unwrap();
            s["records"] = json!(hashes.len());
            s["last_seq"] = json!(first + hashes.len() as u64 - 1);
            s["checkpoints"] = json!(
                hashes
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| (i + 1) % 1024 == 0)
                    .map(|(i, h)| json!({"seq": first + i as u64, "hash": h.to_string()}))
                    .collect::<Vec<_>>()
            );
        }
    }
    let text = jcs::to_string(&m).unwrap();
    std::fs::write(&mpath, &text).unwrap();
    std::fs::write(
        dir.join("manifest.sig"),
        sign_manifest(key, text.as_bytes()),
    )
    .unwrap();
}

#[test]
fn pristine_signed_bundle_is_all_verified() {
    let d = tempfile::tempdir().unwrap();
    let b = bundle(
        d.path(),
        "b",
        &[("registry", 2500), ("serving", 30)],
        Some(&key()),
    );
    let r = verify(&b);
    assert_eq!(r.verdict, Verdict::Verified, "{:?}", r.findings);
    assert_eq!(r.signature.status, "SIGNATURE_OK");
    assert_eq!(r.signature.signer.as_deref(), Some("test signer"));
    assert_eq!(count(&r, "VERIFIED"), 2530);
    assert!(r.findings.is_empty(), "{:?}", r.findings);
    assert!(r.files.iter().all(|f| f.code == "FILE_OK"));
    assert_eq!(r.files.len(), 3);
    assert_eq!(r.streams[0].verified, vec![(0, 2499)]);
}

#[test]
fn unsigned_or_untrusted_is_never_verified() {
    let d = tempfile::tempdir().unwrap();
    let b = bundle(d.path(), "b", &[("s", 50)], None);
    let r = verify(&b);
    assert_eq!(r.signature.status, "SIGNATURE_ABSENT");
    assert_eq!(r.verdict, Verdict::Unverified);
    assert_eq!(count(&r, "UNVERIFIED"), 50);
    assert_eq!(count(&r, "VERIFIED"), 0);
    // Signed, but no trust store at all / a store without the key.
    let b2 = bundle(d.path(), "b2", &[("s", 50)], Some(&key()));
    let r = verify_with(&b2, None);
    assert_eq!(r.signature.status, "KEY_UNKNOWN");
    assert_eq!(r.verdict, Verdict::Unverified);
    let r = verify_with(&b2, Some(&TrustStore::default()));
    assert_eq!(r.signature.status, "KEY_UNKNOWN");
    assert_eq!(count(&r, "VERIFIED"), 0);
    // An unsigned bundle that is not even self-consistent is tampered.
    let p = b.join("streams/s.jsonl");
    let mut l = lines_of(&p);
    l.remove(20);
    write_lines(&p, &l);
    let r = verify(&b);
    assert_eq!(r.verdict, Verdict::Tampered);
    assert!(has(&r, "DELETED", Some(20)));
}

#[test]
fn resigned_by_an_unknown_key() {
    let d = tempfile::tempdir().unwrap();
    let b = bundle(d.path(), "b", &[("s", 20)], Some(&key()));
    let p = b.join("streams/s.jsonl");
    let mut l = lines_of(&p);
    l.pop();
    write_lines(&p, &l);
    let other = SigningKey::from_seed([9; 32]);
    reseal(&b, &other);
    let r = verify(&b);
    assert_eq!(r.signature.status, "KEY_UNKNOWN");
    assert_eq!(r.signature.key_id, Some(other.key_id()));
    assert_eq!(r.verdict, Verdict::Unverified);
    assert_eq!(count(&r, "VERIFIED"), 0);
}

#[test]
fn key_outside_its_validity_window() {
    let d = tempfile::tempdir().unwrap();
    let b = bundle(d.path(), "b", &[("s", 10)], Some(&key()));
    let mut late = trust();
    late.keys[0].not_before = t("2024-06-01T00:00:00Z");
    let r = verify_with(&b, Some(&late));
    assert_eq!(r.signature.status, "KEY_NOT_VALID");
    assert_eq!(r.verdict, Verdict::Unverified);
    let mut expired = trust();
    expired.keys[0].not_after = Some(t("2024-03-01T00:00:00Z"));
    assert_eq!(
        verify_with(&b, Some(&expired)).signature.status,
        "KEY_NOT_VALID"
    );
    let mut revoked = trust();
    revoked.keys[0].revoked_at = Some(t("2024-03-01T12:00:00Z"));
    assert_eq!(
        verify_with(&b, Some(&revoked)).signature.status,
        "KEY_NOT_VALID"
    );
    // A store entry whose public key does not hash to its key id does not count.
    let mut wrong = trust();
    wrong.keys[0].public_key = SigningKey::from_seed([3; 32]).verifying_key().to_base64();
    assert_eq!(
        verify_with(&b, Some(&wrong)).signature.status,
        "KEY_UNKNOWN"
    );
}

#[test]
fn manifest_rebuilt_with_the_old_signature() {
    let d = tempfile::tempdir().unwrap();
    let b = bundle(d.path(), "b", &[("s", 30)], Some(&key()));
    let sig = std::fs::read(b.join("manifest.sig")).unwrap();
    let p = b.join("streams/s.jsonl");
    let mut l = lines_of(&p);
    l.truncate(20);
    write_lines(&p, &l);
    reseal(&b, &SigningKey::from_seed([5; 32]));
    std::fs::write(b.join("manifest.sig"), sig).unwrap();
    let r = verify(&b);
    assert_eq!(r.signature.status, "SIGNATURE_INVALID");
    assert_eq!(r.verdict, Verdict::Tampered);
    assert_eq!(count(&r, "VERIFIED"), 0);
}

#[test]
fn malformed_signature_and_manifest() {
    let d = tempfile::tempdir().unwrap();
    let b = bundle(d.path(), "b", &[("s", 5)], Some(&key()));
    std::fs::write(
        b.join("manifest.sig"),
        r#"{"alg":"rsa","key_id":"x","sig":"!"}"#,
    )
    .unwrap();
    let r = verify(&b);
    assert_eq!(r.signature.status, "SIGNATURE_MALFORMED");
    assert_eq!(r.verdict, Verdict::Tampered);

    let m = std::fs::read_to_string(b.join("manifest.json")).unwrap();
    std::fs::write(
        b.join("manifest.json"),
        m.replacen('{', r#"{"export_seq":0,"#, 1),
    )
    .unwrap();
    let r = verify(&b);
    assert!(has(&r, "MANIFEST_MALFORMED", None), "{:?}", r.findings);
    assert_eq!(r.verdict, Verdict::Error);

    std::fs::write(
        b.join("manifest.json"),
        m.replace("auditlens-bundle/v1", "auditlens-bundle/v9"),
    )
    .unwrap();
    let r = verify(&b);
    assert!(has(&r, "UNSUPPORTED_FORMAT", None));
    assert_eq!(r.verdict, Verdict::Error);

    std::fs::remove_file(b.join("manifest.json")).unwrap();
    let r = verify(&b);
    assert!(has(&r, "MANIFEST_MISSING", None));
    assert_eq!(r.verdict, Verdict::Error);
}

#[test]
fn tampered_variants_report_what_they_must() {
    let d = tempfile::tempdir().unwrap();
    let b = bundle(
        d.path(),
        "pristine",
        &[("registry", 3000), ("serving", 40)],
        Some(&key()),
    );
    let variants = write_tampered(&b, &d.path().join("tampered")).unwrap();
    assert_eq!(variants.len(), 7);
    for v in &variants {
        let r = verify(&d.path().join("tampered").join(v.name));
        v.check(&r).unwrap();
    }
    let get = |name: &str| verify(&d.path().join("tampered").join(name));
    // A modified record: only it is lost; the rest is repaired through the Merkle root.
    let r = get("modified-record");
    assert_eq!(count(&r, "MODIFIED"), 1);
    assert_eq!(count(&r, "VERIFIED"), 3039);
    // A rewritten chain: everything up to the first checkpoint stays verified, nothing
    // after it is.
    let r = get("rewritten-chain");
    assert_eq!(r.streams[0].verified, vec![(0, 1023)]);
    assert!(has(&r, "REPLACED", Some(2047)), "{:?}", r.findings);
    assert!(has(&r, "UNVERIFIED", Some(1024)));
    // Deleted run: records between the gap and the checkpoint below cannot be reached.
    let r = get("deleted-run");
    assert!(count(&r, "UNVERIFIED") > 0);
    assert_eq!(count(&r, "VERIFIED") + count(&r, "UNVERIFIED"), 3030);
    let r = get("swapped-records");
    assert_eq!(count(&r, "REORDERED"), 2);
    let r = get("replayed-record");
    assert_eq!(count(&r, "DUPLICATE"), 1);
    assert_eq!(count(&r, "VERIFIED"), 3040);
    let r = get("appended-records");
    assert_eq!(count(&r, "APPENDED_UNSIGNED"), 3);
    assert!(has(&r, "FILE_MODIFIED", None));
}

#[test]
fn inserted_record_with_a_duplicate_seq() {
    let d = tempfile::tempdir().unwrap();
    let b = bundle(d.path(), "b", &[("s", 100)], Some(&key()));
    let p = b.join("streams/s.jsonl");
    let mut l = lines_of(&p);
    // A consistent forgery of seq 10 (same prev), placed after the genuine one.
    let mut v: Value = serde_json::from_str(rec_of(&l[10])).unwrap();
    v["message"] = json!("forged");
    let body = jcs::to_string(&v).unwrap();
    let forged = format!(
        r#"{{"hash":"{}","rec":{body}}}"#,
        record_hash(body.as_bytes())
    );
    l.insert(11, forged);
    write_lines(&p, &l);
    let r = verify(&b);
    assert_eq!(count(&r, "INSERTED"), 1);
    assert_eq!(count(&r, "VERIFIED"), 100);
    let f = r.findings.iter().find(|f| f.code == "INSERTED").unwrap();
    assert_eq!((f.line, f.seq), (Some(12), Some(10)));
    assert!(
        f.detail.contains("already verified at line 11"),
        "{}",
        f.detail
    );
}

#[test]
fn replaced_record_with_recomputed_hash() {
    let d = tempfile::tempdir().unwrap();
    let b = bundle(d.path(), "b", &[("s", 100)], Some(&key()));
    let p = b.join("streams/s.jsonl");
    let mut l = lines_of(&p);
    let mut v: Value = serde_json::from_str(rec_of(&l[30])).unwrap();
    v["message"] = json!("forged");
    let body = jcs::to_string(&v).unwrap();
    l[30] = format!(
        r#"{{"hash":"{}","rec":{body}}}"#,
        record_hash(body.as_bytes())
    );
    write_lines(&p, &l);
    let r = verify(&b);
    assert_eq!(count(&r, "REPLACED"), 1);
    assert!(has(&r, "REPLACED", Some(30)));
    assert_eq!(count(&r, "VERIFIED"), 99, "{:?}", r.findings);
}

#[test]
fn record_from_another_stream() {
    let d = tempfile::tempdir().unwrap();
    let b = bundle(d.path(), "b", &[("a", 20), ("b", 20)], Some(&key()));
    let other = lines_of(&b.join("streams/b.jsonl"));
    let p = b.join("streams/a.jsonl");
    let mut l = lines_of(&p);
    l.insert(5, other[5].clone());
    write_lines(&p, &l);
    let r = verify(&b);
    assert_eq!(count(&r, "FOREIGN_STREAM"), 1);
    let f = r
        .findings
        .iter()
        .find(|f| f.code == "FOREIGN_STREAM")
        .unwrap();
    assert_eq!(f.line, Some(6));
    assert_eq!(count(&r, "VERIFIED"), 40);
}

#[test]
fn inserted_before_first_seq_and_export_chain() {
    let d = tempfile::tempdir().unwrap();
    // Export 0 of chain "e" (the chain is per bundle id).
    let b1 = d.path().join("e1");
    let mut w = BundleWriter::create(&b1, "e", 0, t("2024-03-02T00:00:00Z"), "test", "1").unwrap();
    for i in 0..30 {
        w.append("s", rec(i)).unwrap();
    }
    w.finish(Some(&key())).unwrap();
    let mk = |name: &str, prev: Option<&Path>, seq: u64| {
        let out = d.path().join(name);
        let mut w =
            BundleWriter::create(&out, "e", seq, t("2024-03-03T00:00:00Z"), "t", "1").unwrap();
        if let Some(p) = prev {
            w.continue_from(p).unwrap();
        }
        for i in 0..10 {
            w.append("s", rec(100 + i)).unwrap();
        }
        w.finish(Some(&key())).unwrap();
        out
    };
    let b2 = mk("e2", Some(&b1), 1);
    let b3 = mk("e3", Some(&b2), 2);
    // A clean chain.
    let mut rs = vec![verify(&b1), verify(&b2), verify(&b3)];
    check_export_chain(&mut rs);
    for r in &rs {
        assert_eq!(
            r.verdict,
            Verdict::Verified,
            "{}: {:?}",
            r.bundle,
            r.findings
        );
    }
    assert_eq!(
        rs[1].manifest.as_ref().unwrap().files[0]
            .stream
            .as_ref()
            .unwrap()
            .first_seq,
        30
    );
    // Export 2 left out.
    let mut rs = vec![verify(&b1), verify(&b3)];
    check_export_chain(&mut rs);
    assert!(has(&rs[1], "EXPORT_MISSING", None));
    assert_eq!(rs[1].verdict, Verdict::Tampered);
    // An export that restarts the stream instead of continuing it.
    let b2x = mk("e2x", None, 1);
    let mut rs = vec![verify(&b1), verify(&b2x)];
    check_export_chain(&mut rs);
    assert!(has(&rs[1], "EXPORT_GAP", None), "{:?}", rs[1].findings);
    // The previous manifest is not the one referenced.
    let m = b1.join("manifest.json");
    let text = std::fs::read_to_string(&m).unwrap();
    std::fs::write(
        &m,
        text.replace(
            "\"producer\":{\"name\":\"test\"",
            "\"producer\":{\"name\":\"tesT\"",
        ),
    )
    .unwrap();
    let mut rs = vec![verify(&b1), verify(&b2)];
    check_export_chain(&mut rs);
    assert!(
        has(&rs[1], "PREV_EXPORT_MISMATCH", None),
        "{:?}",
        rs[1].findings
    );
    // A record of the previous export slipped into this one: before first_seq.
    let prev_line = lines_of(&b1.join("streams/s.jsonl"))[3].clone();
    let p = b2.join("streams/s.jsonl");
    let mut l = lines_of(&p);
    l.insert(0, prev_line);
    write_lines(&p, &l);
    let r = verify(&b2);
    assert!(has(&r, "INSERTED", Some(3)), "{:?}", r.findings);
    assert!(
        r.findings
            .iter()
            .any(|f| f.detail.contains("before first_seq 30"))
    );
}

/// One export of chain `id`: `n` records of stream `training` (the same name in every chain).
fn chain_export(dir: &Path, id: &str, seq: u64, prev: Option<&Path>, n: u64) -> PathBuf {
    let out = dir.join(format!("{id}-{seq}-{n}"));
    let mut w = BundleWriter::create(&out, id, seq, t("2024-03-03T00:00:00Z"), "t", "1").unwrap();
    if let Some(p) = prev {
        w.continue_from(p).unwrap();
    }
    for i in 0..n {
        w.append("training", rec(1000 * seq + i)).unwrap();
    }
    w.finish(Some(&key())).unwrap();
    out
}

fn chain_findings(bundles: &[&Path]) -> Vec<Report> {
    let mut rs: Vec<Report> = bundles.iter().map(|b| verify(b)).collect();
    check_export_chain(&mut rs);
    rs
}

fn chain_codes(r: &Report) -> Vec<&'static str> {
    r.findings
        .iter()
        .filter(|f| f.code.starts_with("EXPORT_") || f.code == "PREV_EXPORT_MISMATCH")
        .map(|f| f.code)
        .collect()
}

#[test]
fn export_chains_are_per_bundle_id() {
    // Regression: the chain state was kept per stream name across every bundle given, so two
    // platforms' exports that both hold a `training` stream were checked as one chain (a false
    // EXPORT_GAP on the second platform's export 0, a false EXPORT_MISSING on a window that
    // starts later, and gaps judged against the other platform's seqs).
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    let a0 = chain_export(dir, "plat-a", 0, None, 12);
    let a1 = chain_export(dir, "plat-a", 1, Some(&a0), 8);
    let a2 = chain_export(dir, "plat-a", 2, Some(&a1), 5);
    let b0 = chain_export(dir, "plat-b", 0, None, 10);
    let b1 = chain_export(dir, "plat-b", 1, Some(&b0), 6);
    // A real gap in chain b: export 2 names export 1 (its manifest digest) but its stream
    // starts three records later than export 1 ends (seqs 16 to 18 were never exported). It is
    // written after a longer export 1 and its prev_export re-pointed and re-signed.
    let b1_long = chain_export(dir, "plat-b", 1, Some(&b0), 9);
    let b2 = chain_export(dir, "plat-b", 2, Some(&b1_long), 4);
    let digest =
        |b: &Path| auditlens::integrity::sha256(&std::fs::read(b.join("manifest.json")).unwrap());
    let text = std::fs::read_to_string(b2.join("manifest.json"))
        .unwrap()
        .replace(&digest(&b1_long).to_string(), &digest(&b1).to_string());
    std::fs::write(b2.join("manifest.json"), &text).unwrap();
    std::fs::write(
        b2.join("manifest.sig"),
        sign_manifest(&key(), text.as_bytes()),
    )
    .unwrap();
    // Export 1 of chain a also found as a .tar.gz copy: the same export twice.
    let a1_tar = dir.join("a1.tar.gz");
    std::fs::write(&a1_tar, tar_of(&a1, "a1", true)).unwrap();

    // The two chains interleaved, plus the copy: only b's export 2 has a problem.
    let rs = chain_findings(&[&a0, &b0, &a1, &b1, &a1_tar, &a2, &b2]);
    for r in &rs[..6] {
        assert_eq!(
            r.verdict,
            Verdict::Verified,
            "{}: {:?}",
            r.bundle,
            r.findings
        );
    }
    assert_eq!(
        chain_codes(&rs[6]),
        vec!["EXPORT_GAP"],
        "{:?}",
        rs[6].findings
    );
    let gap = rs[6]
        .findings
        .iter()
        .find(|f| f.code == "EXPORT_GAP")
        .unwrap();
    assert_eq!((gap.seq, gap.seq_end), (Some(16), Some(19)), "{gap:?}");
    assert_eq!(rs[6].verdict, Verdict::Tampered);

    // A window of exports that starts later than export 0 is not a missing export...
    let rs = chain_findings(&[&b0, &b1, &a2]);
    assert!(rs.iter().all(|r| r.verdict == Verdict::Verified), "{rs:?}");
    // ...but a hole in the middle of one chain is, and only there.
    let rs = chain_findings(&[&a0, &b0, &b1, &a2]);
    assert_eq!(
        chain_codes(&rs[3]),
        vec!["EXPORT_MISSING"],
        "{:?}",
        rs[3].findings
    );
    assert!(
        rs[..3].iter().all(|r| r.verdict == Verdict::Verified),
        "{rs:?}"
    );

    // Export 1 of chain b given twice with different manifests: the chain forks. Export 2
    // continues the first (its prev_export digest), so the other copy is the gap.
    let rs = chain_findings(&[&b0, &b1, &b1_long, &b2]);
    assert!(chain_codes(&rs[1]).is_empty(), "{:?}", rs[1].findings);
    assert_eq!(
        chain_codes(&rs[2]),
        vec!["EXPORT_GAP"],
        "{:?}",
        rs[2].findings
    );
    assert!(
        rs[2].findings[0].detail.contains("forks"),
        "{:?}",
        rs[2].findings
    );

    // Export 2 naming export 0 of its own chain skips export 1.
    let a2_skip = chain_export(&dir.join("skip"), "plat-a", 2, Some(&a0), 5);
    let rs = chain_findings(&[&a0, &a2_skip]);
    assert_eq!(
        chain_codes(&rs[1]),
        vec!["EXPORT_GAP"],
        "{:?}",
        rs[1].findings
    );
    assert!(
        rs[1].findings[0].detail.contains("not export 1"),
        "{:?}",
        rs[1].findings
    );
}

#[test]
fn malformed_lines_duplicate_keys_cut_crlf_bom() {
    let d = tempfile::tempdir().unwrap();
    let b = bundle(d.path(), "b", &[("s", 40)], Some(&key()));
    let p = b.join("streams/s.jsonl");
    let orig = lines_of(&p);
    let mut l = orig.clone();
    // Duplicate key inside rec, with a correct hash over the new bytes.
    let body = rec_of(&l[3]).replacen('{', r#"{"action":"data.delete","#, 1);
    l[3] = format!(
        r#"{{"hash":"{}","rec":{body}}}"#,
        record_hash(body.as_bytes())
    );
    l[5].push('\r');
    l[7] = format!("\u{feff}{}", l[7]);
    write_lines(&p, &l);
    // The last line cut in the middle.
    let mut bytes = std::fs::read(&p).unwrap();
    bytes.truncate(bytes.len() - 60);
    std::fs::write(&p, &bytes).unwrap();
    let r = verify(&b);
    assert_eq!(count(&r, "MALFORMED"), 4, "{:?}", r.findings);
    let lines: Vec<u64> = r
        .findings
        .iter()
        .filter(|f| f.code == "MALFORMED")
        .map(|f| f.line.unwrap())
        .collect();
    assert_eq!(lines, vec![4, 6, 8, 40]);
    assert!(
        r.findings
            .iter()
            .any(|f| f.code == "MALFORMED" && f.detail.contains("duplicate"))
    );
    assert!(has(&r, "LAST_LINE_UNTERMINATED", None));
    assert!(has(&r, "SIGNED_ANCHOR_NOT_FOUND", Some(39)));
    assert_eq!(r.verdict, Verdict::Tampered);
    assert_eq!(r.lines(), 40);
}

#[test]
fn file_inventory_codes() {
    let d = tempfile::tempdir().unwrap();
    let b = bundle(d.path(), "b", &[("a", 10), ("b", 10)], Some(&key()));
    std::fs::write(b.join("files/eval.json"), b"{}").unwrap();
    std::fs::write(b.join("streams/extra.jsonl"), b"").unwrap();
    std::fs::remove_file(b.join("streams/b.jsonl")).unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink("/etc/passwd", b.join("files/link")).unwrap();
    let r = verify(&b);
    let code = |p: &str| r.files.iter().find(|f| f.path == p).map(|f| f.code);
    assert_eq!(code("files/eval.json"), Some("FILE_MODIFIED"));
    assert_eq!(code("streams/extra.jsonl"), Some("FILE_UNLISTED"));
    assert_eq!(code("streams/b.jsonl"), Some("FILE_MISSING"));
    assert_eq!(code("streams/a.jsonl"), Some("FILE_OK"));
    #[cfg(unix)]
    assert_eq!(code("files/link"), Some("FILE_UNSAFE"));
    assert!(has(&r, "TRUNCATED", Some(0)));
    assert_eq!(r.verdict, Verdict::Tampered);
    assert_eq!(count(&r, "VERIFIED"), 10);
}

fn tar_of(dir: &Path, top: &str, gz: bool) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    b.append_dir_all(top, dir).unwrap();
    let bytes = b.into_inner().unwrap();
    if gz {
        crate::common::gzip(&bytes)
    } else {
        bytes
    }
}

#[test]
fn tarballs_verify_as_they_stand() {
    let d = tempfile::tempdir().unwrap();
    let b = bundle(d.path(), "b", &[("s", 1500)], Some(&key()));
    for (name, gz) in [("b.tar", false), ("b.tar.gz", true)] {
        let p = d.path().join(name);
        std::fs::write(&p, tar_of(&b, "bundle", gz)).unwrap();
        let r = verify(&p);
        assert_eq!(r.verdict, Verdict::Verified, "{name}: {:?}", r.findings);
        assert_eq!(
            r.streams[0].display,
            format!("{}!bundle/streams/s.jsonl", p.display())
        );
    }
    // Modified inside the archive.
    let p = b.join("streams/s.jsonl");
    let mut l = lines_of(&p);
    l.remove(1400);
    write_lines(&p, &l);
    let tp = d.path().join("t.tar.gz");
    std::fs::write(&tp, tar_of(&b, ".", true)).unwrap();
    let r = verify(&tp);
    assert!(has(&r, "DELETED", Some(1400)), "{:?}", r.findings);
}

#[test]
fn path_traversal_tar_is_file_unsafe_and_writes_nothing() {
    let d = tempfile::tempdir().unwrap();
    let b = bundle(d.path(), "b", &[("s", 5)], Some(&key()));
    let mut builder = tar::Builder::new(Vec::new());
    builder.append_dir_all(".", &b).unwrap();
    let evil = b"owned\n";
    for name in ["../escape.txt", "/tmp/auditlens-abs.txt"] {
        let mut h = tar::Header::new_gnu();
        h.set_size(evil.len() as u64);
        h.set_mode(0o644);
        h.set_entry_type(tar::EntryType::Regular);
        // Write the raw name, bypassing the builder's own path checks.
        let gnu = h.as_gnu_mut().unwrap();
        gnu.name[..name.len()].copy_from_slice(name.as_bytes());
        h.set_cksum();
        builder.append(&h, &evil[..]).unwrap();
    }
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(tar::EntryType::Symlink);
    h.set_size(0);
    builder
        .append_link(&mut h, "streams/link.jsonl", "/etc/passwd")
        .unwrap();
    let p = d.path().join("evil.tar");
    std::fs::write(&p, builder.into_inner().unwrap()).unwrap();
    let r = verify(&p);
    let unsafe_paths: Vec<&str> = r
        .findings
        .iter()
        .filter(|f| f.code == "FILE_UNSAFE")
        .map(|f| f.path.as_deref().unwrap())
        .collect();
    assert_eq!(unsafe_paths.len(), 3, "{:?}", r.findings);
    assert!(unsafe_paths.iter().any(|p| p.contains("..")));
    assert!(unsafe_paths.iter().any(|p| p.contains("link")));
    assert_eq!(r.verdict, Verdict::Tampered);
    assert_eq!(count(&r, "VERIFIED"), 5);
    assert!(!d.path().join("escape.txt").exists());
    assert!(!Path::new("/tmp/auditlens-abs.txt").exists());
}

#[test]
fn time_regression_and_signed_chain_anomaly_are_warnings() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("b");
    let mut w = BundleWriter::create(&out, "b", 0, t("2024-03-02T00:00:00Z"), "t", "1").unwrap();
    for i in [5, 6, 2, 7] {
        w.append("s", rec(i)).unwrap();
    }
    w.finish(Some(&key())).unwrap();
    let r = verify(&out);
    assert!(has(&r, "TIME_REGRESSION", Some(2)));
    assert_eq!(r.verdict, Verdict::Verified);
    // The producer itself signed a record whose prev is wrong.
    let p = out.join("streams/s.jsonl");
    let mut l = lines_of(&p);
    let mut v: Value = serde_json::from_str(rec_of(&l[3])).unwrap();
    v["prev"] = json!("0".repeat(64));
    let body = jcs::to_string(&v).unwrap();
    l[3] = format!(
        r#"{{"hash":"{}","rec":{body}}}"#,
        record_hash(body.as_bytes())
    );
    write_lines(&p, &l);
    reseal(&out, &key());
    let r = verify(&out);
    assert!(has(&r, "SIGNED_CHAIN_ANOMALY", None), "{:?}", r.findings);
    assert_eq!(r.verdict, Verdict::Verified);
    assert_eq!(count(&r, "VERIFIED"), 4);
}

#[test]
fn strict_mode_reports_non_canonical_records() {
    let d = tempfile::tempdir().unwrap();
    let b = bundle(d.path(), "b", &[("s", 5)], Some(&key()));
    let p = b.join("streams/s.jsonl");
    let mut l = lines_of(&p);
    let body = rec_of(&l[4]).replacen(',', " , ", 1);
    l[4] = format!(
        r#"{{"hash":"{}","rec":{body}}}"#,
        record_hash(body.as_bytes())
    );
    write_lines(&p, &l);
    reseal(&b, &key());
    let store = trust();
    let opts = VerifyOptions {
        trust: Some(&store),
        strict: true,
        ..VerifyOptions::default()
    };
    let r = verify_bundle(&b, &opts).unwrap();
    assert!(has(&r, "NON_CANONICAL", Some(4)), "{:?}", r.findings);
    assert_eq!(count(&r, "VERIFIED"), 5);
    assert!(!has(&verify(&b), "NON_CANONICAL", None));
}

#[test]
fn json_report_shape() {
    let d = tempfile::tempdir().unwrap();
    let b = bundle(d.path(), "b", &[("s", 50)], Some(&key()));
    let p = b.join("streams/s.jsonl");
    let mut l = lines_of(&p);
    l.drain(10..15);
    write_lines(&p, &l);
    let v: Value = serde_json::from_str(&verify(&b).to_json()).unwrap();
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys.len(), 5, "{keys:?}");
    for k in ["bundle", "verdict", "signature", "counts", "findings"] {
        assert!(v.get(k).is_some(), "{k}");
    }
    assert_eq!(v["verdict"], "tampered");
    assert_eq!(v["signature"]["status"], "SIGNATURE_OK");
    assert_eq!(
        v["counts"].as_object().unwrap().len(),
        RecordStatus::ALL.len()
    );
    let del = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "DELETED")
        .unwrap();
    assert_eq!(
        (del["seq"].as_u64(), del["seq_end"].as_u64()),
        (Some(10), Some(14))
    );
    for f in v["findings"].as_array().unwrap() {
        for k in [
            "code", "path", "line", "line_end", "seq", "seq_end", "detail",
        ] {
            assert!(f.get(k).is_some(), "{k} in {f}");
        }
    }
}

#[test]
fn cli_keygen_seal_verify_and_exit_codes() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    auditlens(h)
        .args(["keygen", "--out"])
        .arg(h.join("keys"))
        .assert()
        .success();
    let trust = h.join("keys/trust.json");
    let input = crate::common::write(h, "in.jsonl", crate::common::generic_lines(120).as_bytes());
    let b1 = h.join("b1");
    auditlens(h)
        .arg("seal")
        .arg(&input)
        .arg("--out")
        .arg(&b1)
        .arg("--key")
        .arg(h.join("keys/signing-key.json"))
        .args(["--stream", "ops"])
        .assert()
        .success();
    let out = auditlens(h)
        .args(["verify", "--json", "--trust"])
        .arg(&trust)
        .arg(&b1)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["counts"]["VERIFIED"], 120);
    // The original record is kept whole.
    let first = lines_of(&b1.join("streams/ops.jsonl"))[0].clone();
    assert!(
        first.contains(r#""original":{"action":"api.call""#),
        "{first}"
    );
    // A second export continuing the chain.
    let b2 = h.join("b2");
    auditlens(h)
        .arg("seal")
        .arg(&input)
        .arg("--out")
        .arg(&b2)
        .arg("--key")
        .arg(h.join("keys/signing-key.json"))
        .args(["--stream", "ops", "--prev"])
        .arg(&b1)
        .assert()
        .success();
    auditlens(h)
        .args(["verify", "--trust"])
        .arg(&trust)
        .arg(&b1)
        .arg(&b2)
        .assert()
        .success()
        .stdout(predicates::str::starts_with("VERIFIED: "));
    // Without a trust store: unverified, exit 1; 0 with --allow-unsigned.
    auditlens(h)
        .arg("verify")
        .arg(&b1)
        .assert()
        .code(1)
        .stdout(predicates::str::contains("limits:"));
    auditlens(h)
        .args(["verify", "--allow-unsigned"])
        .arg(&b1)
        .assert()
        .code(0);
    // Tampered: exit 1, the location named.
    let p = b1.join("streams/ops.jsonl");
    let mut l = lines_of(&p);
    l.remove(50);
    write_lines(&p, &l);
    auditlens(h)
        .args(["verify", "--trust"])
        .arg(&trust)
        .arg(&b1)
        .assert()
        .code(1)
        .stdout(predicates::str::starts_with("TAMPERED: "))
        .stdout(predicates::str::contains(
            "DELETED: streams/ops.jsonl line 51 (seq 50)",
        ));
    // Not a bundle: exit 2.
    auditlens(h)
        .args(["verify", "--trust"])
        .arg(&trust)
        .arg(h.join("keys"))
        .assert()
        .code(2);
}

#[test]
fn index_carries_integrity_statuses() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let b = bundle(h, "b", &[("s", 60)], Some(&key()));
    let p = b.join("streams/s.jsonl");
    let mut l = lines_of(&p);
    l[7] = l[7].replace("event 7", "event 8");
    write_lines(&p, &l);
    let trust_path = h.join("trust.json");
    trust().write(&trust_path).unwrap();
    assert_eq!(search_count(h, &trust_path, &b, "integrity:modified"), "1");
    assert_eq!(search_count(h, &trust_path, &b, "integrity:verified"), "59");
}

/// `auditlens search --count` over `input` with the trust store `trust` (given by the
/// environment, as an auditor's shell would).
fn search_count(home: &Path, trust: &Path, input: &Path, query: &str) -> String {
    let out = auditlens(home)
        .env("AUDITLENS_TRUST", trust)
        .args(["search", "--count"])
        .arg(input)
        .arg(query)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

#[test]
fn swapping_two_distant_lines_reorders_only_those_two_records() {
    // Issue 12: swapping lines 300 and 900 flagged four records REORDERED, the two moved
    // ones and lines 301 and 899, which are in place.
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let b = bundle(h, "b", &[("s", 1200)], Some(&key()));
    let p = b.join("streams/s.jsonl");
    let mut l = lines_of(&p);
    l.swap(299, 899);
    write_lines(&p, &l);
    let trust_path = h.join("trust.json");
    trust().write(&trust_path).unwrap();
    let out = auditlens(h)
        .args(["verify", "--json", "--trust"])
        .arg(&trust_path)
        .arg(&b)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let reordered: Vec<(u64, u64)> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "REORDERED")
        .map(|f| (f["line"].as_u64().unwrap(), f["seq"].as_u64().unwrap()))
        .collect();
    // Line 300 holds seq 899 (seqs start at 0), line 900 holds seq 299.
    assert_eq!(reordered, vec![(300, 899), (900, 299)], "{v}");
    assert_eq!(v["counts"]["REORDERED"], 2);
    // The rest is verified, as the spec says of authenticated records in seq order.
    assert_eq!(v["counts"]["VERIFIED"], 1198);
    for (code, n) in v["counts"].as_object().unwrap() {
        if code != "REORDERED" && code != "VERIFIED" {
            assert_eq!(n, 0, "{code}: {}", v["counts"]);
        }
    }
}
#[test]
fn an_archived_bundle_is_recognised_by_content_not_by_name() {
    // A sealed tar.gz under a name that says nothing: the index still carries the statuses
    // that `verify` (which reads by content) reports.
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let renamed = h.join("export-2026-03.bundle");
    std::fs::copy(
        repo.join("sample-data/tampered/modified-record.tar.gz"),
        &renamed,
    )
    .unwrap();
    let trust = repo.join("sample-data/trust.json");
    assert_eq!(search_count(h, &trust, &renamed, "integrity:modified"), "1");
    assert_eq!(
        search_count(h, &trust, &renamed, "integrity:verified"),
        "2999"
    );
}

mod property {
    use std::collections::HashMap;

    use proptest::prelude::*;

    use super::*;

    #[derive(Debug, Clone)]
    enum Edit {
        /// Change a record's bytes, keep its stored hash.
        Modify(usize),
        /// Change a record and recompute its hash (a consistent replacement).
        Replace(usize),
        /// Remove a line.
        Delete(usize),
        /// A consistent forged record with the seq of an existing one, put elsewhere.
        Insert(usize, usize),
        /// Move a line elsewhere.
        Move(usize, usize),
        /// Copy a line elsewhere (exact replay).
        Replay(usize, usize),
    }

    fn edit() -> impl Strategy<Value = Edit> {
        let i = 0usize..10_000;
        prop_oneof![
            i.clone().prop_map(Edit::Modify),
            i.clone().prop_map(Edit::Replace),
            i.clone().prop_map(Edit::Delete),
            (i.clone(), i.clone()).prop_map(|(a, b)| Edit::Insert(a, b)),
            (i.clone(), i.clone()).prop_map(|(a, b)| Edit::Move(a, b)),
            (i.clone(), i).prop_map(|(a, b)| Edit::Replay(a, b)),
        ]
    }

    fn forge(line: &str, note: &str) -> String {
        let mut v: Value = serde_json::from_str(rec_of(line)).unwrap();
        v["message"] = json!(note);
        let body = jcs::to_string(&v).unwrap();
        format!(
            r#"{{"hash":"{}","rec":{body}}}"#,
            record_hash(body.as_bytes())
        )
    }

    fn apply(lines: &mut Vec<String>, e: &Edit, k: usize) {
        if lines.is_empty() {
            return;
        }
        let n = lines.len();
        match *e {
            Edit::Modify(i) => {
                let i = i % n;
                let l = &lines[i];
                let body = rec_of(l).replacen("\"message\":\"", "\"message\":\"x", 1);
                lines[i] = format!("{}{body}}}", &l[..81]);
            }
            Edit::Replace(i) => {
                let i = i % n;
                lines[i] = forge(&lines[i], &format!("replaced {k}"));
            }
            Edit::Delete(i) => {
                lines.remove(i % n);
            }
            Edit::Insert(i, at) => {
                let f = forge(&lines[i % n], &format!("inserted {k}"));
                lines.insert(at % (n + 1), f);
            }
            Edit::Move(i, at) => {
                let l = lines.remove(i % n);
                lines.insert(at % n, l);
            }
            Edit::Replay(i, at) => {
                let l = lines[i % n].clone();
                lines.insert(at % (n + 1), l);
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        #[test]
        fn edited_inserted_or_reordered_records_are_never_verified(
            sizes in proptest::collection::vec(1u64..60, 1..3),
            edits in proptest::collection::vec(edit(), 0..4),
            target in 0usize..3,
        ) {
            let d = tempfile::tempdir().unwrap();
            let names = ["a", "b", "c"];
            let streams: Vec<(&str, u64)> =
                sizes.iter().enumerate().map(|(i, n)| (names[i], *n)).collect();
            let b = bundle(d.path(), "b", &streams, Some(&key()));
            // The genuine line of every (stream, seq).
            let mut genuine: HashMap<String, String> = HashMap::new();
            for (s, _) in &streams {
                for l in lines_of(&b.join(format!("streams/{s}.jsonl"))) {
                    genuine.insert(l.clone(), (*s).to_owned());
                }
            }
            let (ts, _) = streams[target % streams.len()];
            let p = b.join(format!("streams/{ts}.jsonl"));
            let before = lines_of(&p);
            let mut l = before.clone();
            for (k, e) in edits.iter().enumerate() {
                apply(&mut l, e, k);
            }
            write_lines(&p, &l);
            let r = verify(&b);
            let total: u64 = streams.iter().map(|(s, _)| {
                lines_of(&b.join(format!("streams/{s}.jsonl"))).len() as u64
            }).sum();
            prop_assert_eq!(r.lines(), total);
            if l == before {
                prop_assert_eq!(r.verdict, Verdict::Verified);
                prop_assert_eq!(count(&r, "VERIFIED"), total);
            } else {
                prop_assert_ne!(r.verdict, Verdict::Verified);
            }
            for s in &r.streams {
                let file = lines_of(&b.join(&s.path));
                let mut last_seq: Option<u64> = None;
                for (i, st) in s.statuses.iter().enumerate() {
                    if *st != RecordStatus::Verified as u8 {
                        continue;
                    }
                    // Byte-identical to the genuine record of this stream...
                    prop_assert_eq!(genuine.get(&file[i]).map(String::as_str), Some(s.id.as_str()),
                        "line {} of {} verified but not genuine", i + 1, s.path);
                    // ...and verified records keep their seq order (no reordering, no replay).
                    let v: Value = serde_json::from_str(rec_of(&file[i])).unwrap();
                    let seq = v["seq"].as_u64().unwrap();
                    prop_assert!(last_seq.is_none_or(|x| x < seq),
                        "line {} of {} verified out of order", i + 1, s.path);
                    last_seq = Some(seq);
                }
            }
        }
    }
}

#[test]
fn absurd_record_counts_in_a_signed_manifest_do_not_exhaust_memory() {
    let d = tempfile::tempdir().unwrap();
    let b = bundle(d.path(), "b", &[("s", 10)], Some(&key()));
    let mpath = b.join("manifest.json");
    let mut m: Value = serde_json::from_slice(&std::fs::read(&mpath).unwrap()).unwrap();
    let s = m["files"][1]["stream"].as_object_mut().unwrap();
    s.insert("records".to_owned(), json!(1_000_000_000_000_u64));
    s.insert("last_seq".to_owned(), json!(999_999_999_999_u64));
    let text = jcs::to_string(&m).unwrap();
    std::fs::write(&mpath, &text).unwrap();
    std::fs::write(
        b.join("manifest.sig"),
        sign_manifest(&key(), text.as_bytes()),
    )
    .unwrap();
    let r = verify(&b);
    assert!(has(&r, "TRUNCATED", Some(0)), "{:?}", r.findings);
    assert_eq!(r.verdict, Verdict::Tampered);
    assert_eq!(count(&r, "VERIFIED"), 0);
    // Out of the JSON-safe range: the manifest itself is malformed.
    let s = m["files"][1]["stream"].as_object_mut().unwrap();
    s.insert("records".to_owned(), json!(u64::MAX));
    std::fs::write(&mpath, serde_json::to_string(&m).unwrap()).unwrap();
    assert!(has(&verify(&b), "MANIFEST_MALFORMED", None));
}

/// A tar whose members are `(raw name, bytes)` in this order, names written as given (no
/// normalisation by the archive writer), gzipped when `gz`.
fn raw_tar(members: &[(String, Vec<u8>)], gz: bool) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (name, data) in members {
        let mut h = tar::Header::new_ustar();
        let field = &mut h.as_ustar_mut().unwrap().name;
        field[..name.len()].copy_from_slice(name.as_bytes());
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_entry_type(tar::EntryType::Regular);
        h.set_cksum();
        b.append(&h, data.as_slice()).unwrap();
    }
    let bytes = b.into_inner().unwrap();
    if gz {
        crate::common::gzip(&bytes)
    } else {
        bytes
    }
}

/// The files of a bundle folder as tar members (bundle-relative names, sorted).
fn members_of(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for sub in ["", "streams/", "files/"] {
        let Ok(rd) = std::fs::read_dir(dir.join(sub)) else {
            continue;
        };
        for e in rd {
            let e = e.unwrap();
            if e.file_type().unwrap().is_file() {
                let name = format!("{sub}{}", e.file_name().to_string_lossy());
                out.push((name, std::fs::read(e.path()).unwrap()));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn a_forged_copy_of_a_tar_member_is_never_verified() {
    // The review's attack: the archive holds streams/s.jsonl twice, a forged copy first and
    // the genuine copy last. Neither copy may be VERIFIED, in verify or in the index.
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let b = bundle(h, "b", &[("s", 40), ("t", 30)], Some(&key()));
    let trust_path = h.join("trust.json");
    trust().write(&trust_path).unwrap();
    let genuine = members_of(&b);
    let stream = std::fs::read(b.join("streams/s.jsonl")).unwrap();
    let forged = String::from_utf8(stream.clone())
        .unwrap()
        .replacen("event 5", "event 6", 1)
        .into_bytes();
    // The same path spelled three ways: all one path after normalisation.
    for (i, spelling) in ["streams/s.jsonl", "./streams/s.jsonl", "streams//s.jsonl"]
        .iter()
        .enumerate()
    {
        for gz in [false, true] {
            let mut members = Vec::new();
            for (name, data) in &genuine {
                if name == "streams/s.jsonl" {
                    members.push(((*spelling).to_owned(), forged.clone()));
                }
                members.push((name.clone(), data.clone()));
            }
            let p = h.join(format!("forged-{i}-{gz}.tar"));
            std::fs::write(&p, raw_tar(&members, gz)).unwrap();
            let r = verify(&p);
            assert_eq!(r.verdict, Verdict::Tampered, "{spelling} gz={gz}");
            assert!(has(&r, "FILE_DUPLICATE", None), "{:?}", r.findings);
            for s in r.streams.iter().filter(|s| s.path == "streams/s.jsonl") {
                assert!(
                    s.statuses
                        .iter()
                        .all(|&b| b != RecordStatus::Verified as u8),
                    "copy {} of the duplicated stream has verified records",
                    s.copy
                );
            }
            assert_eq!(count(&r, "VERIFIED"), 30, "only stream t is verified");
            // The index: the other stream stays verified, no copy of s is.
            assert_eq!(search_count(h, &trust_path, &p, "integrity:verified"), "30");
            assert_eq!(search_count(h, &trust_path, &p, "stream:s"), "80");
            assert_eq!(
                search_count(h, &trust_path, &p, "stream:s AND integrity:verified"),
                "0"
            );
            let out = auditlens(h)
                .env("AUDITLENS_TRUST", &trust_path)
                .args(["verify"])
                .arg(&p)
                .output()
                .unwrap();
            assert_eq!(out.status.code(), Some(1));
            assert!(String::from_utf8_lossy(&out.stdout).contains("FILE_DUPLICATE"));
        }
    }
}

#[test]
fn a_second_manifest_in_an_archive_leaves_nothing_verified() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let b = bundle(h, "b", &[("s", 20)], Some(&key()));
    let mut members = members_of(&b);
    let manifest = std::fs::read(b.join("manifest.json")).unwrap();
    members.push(("./manifest.json".to_owned(), manifest));
    let p = h.join("two-manifests.tar");
    std::fs::write(&p, raw_tar(&members, false)).unwrap();
    let r = verify(&p);
    assert_eq!(r.verdict, Verdict::Tampered);
    assert!(
        r.findings
            .iter()
            .any(|f| f.code == "FILE_DUPLICATE" && f.path.as_deref() == Some("manifest.json"))
    );
    assert_eq!(count(&r, "VERIFIED"), 0);
}

#[test]
fn a_status_belongs_to_the_bytes_the_verifier_read() {
    // The lookup the index uses gives a line's status only to the bytes the verifier hashed
    // at that line: the same path and line with other bytes is unverified.
    use auditlens::ingest::StatusLookup as _;
    let d = tempfile::tempdir().unwrap();
    let b = bundle(d.path(), "b", &[("s", 5)], Some(&key()));
    let lookup = auditlens::integrity::VerifiedStatuses::new(std::sync::Arc::new(
        auditlens::integrity::Verification::new(std::slice::from_ref(&b), Some(trust())),
    ));
    let path = b.join("streams/s.jsonl").display().to_string();
    let lines = lines_of(&b.join("streams/s.jsonl"));
    assert_eq!(
        lookup.status(&path, 2, lines[1].as_bytes()).as_deref(),
        Some("verified")
    );
    let other = lines[1].replacen("event 1", "event 9", 1);
    assert_eq!(
        lookup.status(&path, 2, other.as_bytes()).as_deref(),
        Some("unverified")
    );
    // Another line's genuine bytes at this line: not this line's bytes either.
    assert_eq!(
        lookup.status(&path, 2, lines[2].as_bytes()).as_deref(),
        Some("unverified")
    );
    assert_eq!(
        lookup.status("elsewhere.jsonl", 2, lines[1].as_bytes()),
        None
    );
}

mod archive_property {
    //! For any sealed bundle and any archive made from it with members duplicated, renamed,
    //! reordered or altered, no event whose record bytes differ from an authenticated
    //! record is VERIFIED.
    use std::collections::HashSet;

    use auditlens::ingest::{EventSink, IngestOptions, ingest};
    use auditlens::model::AuditEvent;
    use proptest::prelude::*;

    use super::*;

    #[derive(Debug, Clone)]
    enum Op {
        /// Add a copy of member `m` (altered at line `l` when `alter`), before or after it.
        Duplicate {
            m: usize,
            l: usize,
            alter: bool,
            before: bool,
        },
        /// Respell member `m`'s name (`./x`, `a//b`) or move it elsewhere.
        Rename { m: usize, how: u8 },
        /// Swap two members.
        Swap(usize, usize),
        /// Change one byte of line `l` of member `m`.
        Alter { m: usize, l: usize, at: usize },
        /// Swap two lines of member `m`.
        SwapLines { m: usize, a: usize, b: usize },
    }

    fn op() -> impl Strategy<Value = Op> {
        let i = 0usize..1000;
        prop_oneof![
            (i.clone(), i.clone(), any::<bool>(), any::<bool>()).prop_map(
                |(m, l, alter, before)| Op::Duplicate {
                    m,
                    l,
                    alter,
                    before
                }
            ),
            (i.clone(), 0u8..4).prop_map(|(m, how)| Op::Rename { m, how }),
            (i.clone(), i.clone()).prop_map(|(a, b)| Op::Swap(a, b)),
            (i.clone(), i.clone(), i.clone()).prop_map(|(m, l, at)| Op::Alter { m, l, at }),
            (i.clone(), i.clone(), i).prop_map(|(m, a, b)| Op::SwapLines { m, a, b }),
        ]
    }

    fn alter_line(data: &[u8], l: usize, at: usize) -> Vec<u8> {
        let text = String::from_utf8_lossy(data).into_owned();
        let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
        if lines.is_empty() {
            return data.to_vec();
        }
        let n = lines.len();
        let line = &mut lines[l % n];
        // Change a digit or letter of the record (never the JSON structure).
        let bytes: Vec<usize> = line
            .char_indices()
            .filter(|(_, c)| c.is_ascii_alphanumeric())
            .map(|(i, _)| i)
            .collect();
        if let Some(&i) = bytes.get(at % bytes.len().max(1)) {
            let c = line.as_bytes()[i];
            let new = if c == b'0' { '1' } else { '0' };
            line.replace_range(i..=i, &new.to_string());
        }
        let mut out = lines.join("\n");
        out.push('\n');
        out.into_bytes()
    }

    fn apply(members: &mut Vec<(String, Vec<u8>)>, op: &Op) {
        let n = members.len();
        match *op {
            Op::Duplicate {
                m,
                l,
                alter,
                before,
            } => {
                let (name, data) = members[m % n].clone();
                let data = if alter { alter_line(&data, l, l) } else { data };
                let at = if before { m % n } else { m % n + 1 };
                members.insert(at, (name, data));
            }
            Op::Rename { m, how } => {
                let name = &mut members[m % n].0;
                *name = match how {
                    0 => format!("./{name}"),
                    1 => name.replacen('/', "//", 1),
                    2 => format!("other/{name}"),
                    _ => format!("{name}.bak"),
                };
            }
            Op::Swap(a, b) => members.swap(a % n, b % n),
            Op::Alter { m, l, at } => {
                let data = alter_line(&members[m % n].1, l, at);
                members[m % n].1 = data;
            }
            Op::SwapLines { m, a, b } => {
                let text = String::from_utf8_lossy(&members[m % n].1).into_owned();
                let mut lines: Vec<&str> = text.lines().collect();
                if !lines.is_empty() {
                    let k = lines.len();
                    lines.swap(a % k, b % k);
                    let mut out = lines.join("\n");
                    out.push('\n');
                    members[m % n].1 = out.into_bytes();
                }
            }
        }
    }

    #[derive(Default)]
    struct Collect(Vec<(String, Option<String>)>);

    impl EventSink for Collect {
        fn event(&mut self, event: AuditEvent, raw: &str) -> bool {
            self.0.push((raw.to_owned(), event.integrity));
            true
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(40))]

        #[test]
        fn archives_never_verify_bytes_the_verifier_did_not_authenticate(
            sizes in proptest::collection::vec(1u64..40, 1..3),
            ops in proptest::collection::vec(op(), 0..4),
            gz in any::<bool>(),
        ) {
            let d = tempfile::tempdir().unwrap();
            let names = ["a", "b", "c"];
            let streams: Vec<(&str, u64)> =
                sizes.iter().enumerate().map(|(i, n)| (names[i], *n)).collect();
            let b = bundle(d.path(), "b", &streams, Some(&key()));
            let mut authentic: HashSet<String> = HashSet::new();
            for (s, _) in &streams {
                for l in lines_of(&b.join(format!("streams/{s}.jsonl"))) {
                    authentic.insert(rec_of(&l).to_owned());
                }
            }
            let original = members_of(&b);
            let mut members = original.clone();
            for o in &ops {
                apply(&mut members, o);
            }
            let p = d.path().join("x.tar");
            std::fs::write(&p, raw_tar(&members, gz)).unwrap();
            let status = auditlens::integrity::status_lookup_with(
                std::slice::from_ref(&p),
                Some(trust()),
            );
            let mut sink = Collect::default();
            let opts = IngestOptions { status, ..IngestOptions::default() };
            ingest(std::slice::from_ref(&p), opts, &mut sink, |_| {});
            let mut verified = 0;
            for (raw, st) in &sink.0 {
                if st.as_deref() == Some("verified") {
                    verified += 1;
                    prop_assert!(authentic.contains(raw), "a forged record is verified: {raw}");
                }
            }
            if members == original {
                prop_assert_eq!(verified, sink.0.len(), "an untouched archive is all verified");
            }
        }
    }
}

#[test]
fn verify_honours_auditlens_trust_like_the_index() {
    // Regression: `verify` read only `--trust` and the default location, while the index
    // statuses honoured $AUDITLENS_TRUST, so the two disagreed on the same bundle.
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let b = bundle(h, "b", &[("s", 12)], Some(&key()));
    let trust_path = h.join("trust.json");
    trust().write(&trust_path).unwrap();
    auditlens(h)
        .arg("verify")
        .arg(&b)
        .assert()
        .code(1)
        .stdout(predicates::str::starts_with("UNVERIFIED: "));
    auditlens(h)
        .env("AUDITLENS_TRUST", &trust_path)
        .arg("verify")
        .arg(&b)
        .assert()
        .code(0)
        .stdout(predicates::str::starts_with("VERIFIED: "));
    assert_eq!(search_count(h, &trust_path, &b, "integrity:verified"), "12");
}

#[test]
fn a_folder_of_exports_is_verified_bundle_by_bundle() {
    // A folder that is not itself a bundle but holds a chain of exports (a folder bundle, a
    // .tar.gz, a tampered .tar.gz, a nested folder bundle) and a note: `verify` used to
    // report the folder as MANIFEST_MISSING and the index gave none of its records a status.
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let work = h.join("work");
    let exports = h.join("exports");
    let export = |dir: &Path, name: &str, seq: u64, prev: Option<&Path>, n: u64| {
        let out = dir.join(name);
        let mut w =
            BundleWriter::create(&out, "e", seq, t("2024-03-03T00:00:00Z"), "t", "1").unwrap();
        if let Some(p) = prev {
            w.continue_from(p).unwrap();
        }
        for i in 0..n {
            w.append("s", rec(100 * seq + i)).unwrap();
        }
        w.finish(Some(&key())).unwrap();
        out
    };
    let a = export(&exports, "a", 0, None, 12);
    let b = export(&work, "b", 1, Some(&a), 8);
    std::fs::write(exports.join("b.tar.gz"), tar_of(&b, "b", true)).unwrap();
    let c = export(&work, "c", 2, Some(&b), 5);
    let d = export(&exports.join("older"), "d", 3, Some(&c), 3);
    let stream = std::fs::read_dir(c.join("streams"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let mut lines = lines_of(&stream);
    lines[2] = lines[2].replacen("event 202", "event 999", 1);
    assert!(lines[2].contains("event 999"), "{}", lines[2]);
    write_lines(&stream, &lines);
    std::fs::write(exports.join("c.tar.gz"), tar_of(&c, "c", true)).unwrap();
    std::fs::write(exports.join("notes.txt"), "not a bundle\n").unwrap();
    let trust_path = h.join("trust.json");
    trust().write(&trust_path).unwrap();

    let out = auditlens(h)
        .env("AUDITLENS_TRUST", &trust_path)
        .arg("verify")
        .arg(&exports)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let verdicts: Vec<&str> = text
        .lines()
        .filter(|l| {
            ["VERIFIED: ", "TAMPERED: ", "ERROR: "]
                .iter()
                .any(|v| l.starts_with(v))
        })
        .collect();
    let shown = |p: &Path| p.display().to_string();
    assert_eq!(
        verdicts,
        vec![
            format!("VERIFIED: {}", shown(&a)),
            format!("VERIFIED: {}", shown(&exports.join("b.tar.gz"))),
            format!("TAMPERED: {}", shown(&exports.join("c.tar.gz"))),
            format!("VERIFIED: {}", shown(&d)),
        ],
        "{text}"
    );
    assert!(text.contains("MODIFIED"), "{text}");
    assert_eq!(out.status.code(), Some(1), "a tampered bundle is a problem");

    // The index takes every bundle's statuses; the nested bundle's metadata is not loaded.
    assert_eq!(
        search_count(h, &trust_path, &exports, "integrity:verified"),
        "27"
    );
    assert_eq!(
        search_count(h, &trust_path, &exports, "integrity:modified"),
        "1"
    );
    let stats = auditlens(h)
        .env("AUDITLENS_TRUST", &trust_path)
        .args(["stats", "--json"])
        .arg(&exports)
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&stats.stdout).unwrap();
    assert_eq!(v["integrity"]["verified"], 27, "{v}");
    let files = v["files"].to_string();
    assert!(
        !files.contains("manifest"),
        "bundle metadata loaded: {files}"
    );
}
