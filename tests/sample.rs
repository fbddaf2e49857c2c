//! The shipped sample data: regenerating it reproduces every byte, and every tampered copy
//! gives the report it must.

use std::path::{Path, PathBuf};

use auditlens::integrity::{TrustStore, Verdict, VerifyOptions, verify_bundle};

use crate::common::{auditlens, repo_root};

fn files_under(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p.strip_prefix(root).unwrap().to_path_buf());
            }
        }
    }
    out.sort();
    out
}

#[test]
fn regenerating_the_sample_reproduces_it_byte_for_byte() {
    let home = tempfile::tempdir().unwrap();
    let out = home.path().join("sample-data");
    auditlens(home.path())
        .arg("sample")
        .arg("--out")
        .arg(out.join("pristine"))
        .arg("--trust-out")
        .arg(out.join("trust.json"))
        .arg("--key-out")
        .arg(out.join("demo-key.json"))
        .arg("--tampered-out")
        .arg(out.join("tampered"))
        .assert()
        .success();
    let shipped = repo_root().join("sample-data");
    let mut want = files_under(&shipped);
    want.retain(|p| p != Path::new("README.md"));
    assert_eq!(files_under(&out), want, "same files");
    for rel in &want {
        let a = std::fs::read(shipped.join(rel)).unwrap();
        let b = std::fs::read(out.join(rel)).unwrap();
        assert!(
            a == b,
            "{} differs from a fresh `auditlens sample` (regenerate with the command in sample-data/README.md)",
            rel.display()
        );
    }
}

#[test]
fn the_pristine_sample_verifies_and_every_tampered_copy_is_caught() {
    let root = repo_root().join("sample-data");
    let trust = TrustStore::read(&root.join("trust.json")).unwrap();
    let opts = VerifyOptions {
        trust: Some(&trust),
        ..VerifyOptions::default()
    };
    let pristine = verify_bundle(&root.join("pristine"), &opts).unwrap();
    assert_eq!(pristine.verdict, Verdict::Verified);
    // The expectations come from the same tampering helper, run on a scratch copy.
    let scratch = tempfile::tempdir().unwrap();
    let variants =
        auditlens::integrity::tamper::write_tampered(&root.join("pristine"), scratch.path())
            .unwrap();
    assert!(variants.len() >= 4);
    for t in &variants {
        let shipped = root.join("tampered").join(format!("{}.tar.gz", t.name));
        let report = verify_bundle(&shipped, &opts).unwrap();
        t.check(&report)
            .unwrap_or_else(|e| panic!("{}: {e}", shipped.display()));
        assert_eq!(report.verdict, Verdict::Tampered);
    }
    // Without the trust store the pristine bundle is only self-consistent.
    let untrusted = verify_bundle(&root.join("pristine"), &VerifyOptions::default()).unwrap();
    assert_eq!(untrusted.verdict, Verdict::Unverified);
}

#[test]
fn bundle_metadata_in_a_tarball_is_never_loaded_whatever_the_member_order() {
    // The shipped tarballs list files/ before manifest.json.
    let home = tempfile::tempdir().unwrap();
    let tgz = repo_root().join("sample-data/tampered/modified-record.tar.gz");
    let out = auditlens(home.path())
        .arg("stats")
        .arg("--json")
        .arg(&tgz)
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["events"], 3000, "{v:#}");
    assert_eq!(v["formats"]["native"], 3000);
}
