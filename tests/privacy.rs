//! Masking, role views, the access trail and export, end to end.

use std::path::{Path, PathBuf};

use auditlens::privacy::{Masker, luhn};
use serde_json::Value;

use crate::common::{auditlens, repo_root, write};

/// Secrets planted in a small generic bundle, with the masked form each must take.
const SECRETS: &[(&str, &str)] = &[
    ("mary@example.org", "m***@example.org"),
    ("AKIAIOSFODNN7EXAMPLE", "AKIA************MPLE"),
    ("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "wJal****"),
    ("hunter2", "\"***\""),
    ("s3cretpw", "https://bob:***@db.example.com"),
    ("4111 1111 1111 1111", "************1111"),
    ("abcdefghijklmnopq", "Bearer ***"),
    (
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJl",
        "eyJ***",
    ),
    ("123-45-6789", "\"ssn\":\"***\""),
];

fn bundle(dir: &Path) -> PathBuf {
    let lines = [
        r#"{"time":"2024-01-01T00:00:00Z","user":"mary@example.org","action":"auth.login","level":"info","msg":"login by mary@example.org with key AKIAIOSFODNN7EXAMPLE","details":{"ssn":"123-45-6789","password":"hunter2","url":"https://bob:s3cretpw@db.example.com/x","card":"4111 1111 1111 1111","run":"550e8400-e29b-41d4-a716-446655440000","prediction_input":{"age":41}}}"#,
        r#"{"time":"2024-01-01T00:01:00Z","user":"svc-deploy","action":"model.deploy","level":"warning","msg":"=HYPERLINK(\"x\") Authorization: Bearer abcdefghijklmnopq","details":{"version":"1.2.3","ip":"10.0.0.1","sha":"da39a3ee5e6b4b0d3255bfef95601890afd80709"}}"#,
        r#"{"time":"2024-01-01T00:02:00Z","user":"carol","action":"model.predict","level":"info","msg":"session eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJl used; aws secret wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY","details":{"prediction_input":{"income":52000}}}"#,
    ];
    write(dir, "secrets.jsonl", (lines.join("\n") + "\n").as_bytes())
}

/// The trail's user: the real uid's name (`USER`, set to `tester` below, does not count).
fn me() -> String {
    auditlens::privacy::trail::os_user()
}

/// The trail file of [`me`] under `home`.
fn trail_file(home: &Path) -> PathBuf {
    let name = auditlens::privacy::trail::safe_name(&me());
    home.join(format!("data/auditlens/access/{name}.jsonl"))
}

fn run(home: &Path, args: &[&str]) -> (i32, String, String) {
    let out = auditlens(home)
        .env("USER", "tester")
        .env("LOGNAME", "tester")
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn ok(home: &Path, args: &[&str]) -> String {
    let (code, out, err) = run(home, args);
    assert_eq!(code, 0, "{args:?} failed: {err}");
    out
}

fn assert_masked(what: &str, text: &str) {
    assert_masked_but(what, text, &[]);
}

/// [`assert_masked`] for every secret but the identities in `shown`.
fn assert_masked_but(what: &str, text: &str, shown: &[&str]) {
    for (secret, masked) in SECRETS {
        if shown.contains(secret) {
            continue;
        }
        assert!(!text.contains(secret), "{what}: {secret} leaked:\n{text}");
        if *secret == "123-45-6789" && !text.contains("ssn") {
            continue;
        }
        assert!(text.contains(masked), "{what}: no {masked}:\n{text}");
    }
}

fn trail(home: &Path) -> Vec<Value> {
    ok(home, &["access-log", "--json"])
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn each_pattern_masks_positives_and_leaves_negatives() {
    let m = Masker::default_policy();
    let cases: &[(&str, &str)] = &[
        ("to jo.doe+x@mail.example.com", "to j***@mail.example.com"),
        ("id AKIAIOSFODNN7EXAMPLE.", "id AKIA************MPLE."),
        ("ASIAY34FZKBOKMUTVV7A", "ASIA************VV7A"),
        (
            "Authorization: Bearer abc.def-ghi_jkl",
            "Authorization: Bearer ***",
        ),
        ("x eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.abc", "x eyJ***"),
        ("redis://:pa55@cache:6379", "redis://:pa55@cache:6379"),
        ("mysql://root:toor@db/x", "mysql://root:***@db/x"),
        ("secret: abc123 token=xyz", "secret: *** token=***"),
        ("api_key=\"k-123\"", "api_key=\"***\""),
        ("card 5555-5555-5555-4444 ok", "card ************4444 ok"),
        ("call +44 20 7946 0958", "call +** ** **** **58"),
        ("call (415) 555-0123", "call (***) ***-**23"),
    ];
    for (input, want) in cases {
        assert_eq!(m.mask_text(input), *want, "{input}");
    }
    let negatives = [
        "run 550e8400-e29b-41d4-a716-446655440000",
        "sha256 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "commit da39a3ee5e6b4b0d3255bfef95601890afd80709",
        "version 1.2.3-rc.1 of model fraud@2.0.1",
        "at 2024-05-01T12:00:00.123Z from 10.1.2.3 and 2001:db8::1",
        "order 4111111111111112 (fails Luhn)",
        "epoch 1714564800000 ms",
        "max_tokens=256 tokens=12",
        "arn:aws:iam::123456789012:role/Deploy",
        "i-0abcd1234efgh5678 sg-12345678",
    ];
    for n in negatives {
        assert_eq!(m.mask_text(n), n, "{n}");
    }
    assert!(luhn("4111111111111111"));
    assert!(!luhn("4111111111111112"));
    let mut v = serde_json::json!({"Password": "x", "nested": {"client_secret": 5, "token_count": 3}, "cc": 5_555_555_555_554_444_u64});
    m.mask_value("", &mut v);
    assert_eq!(v["Password"], "***");
    assert_eq!(v["nested"]["client_secret"], "***");
    assert_eq!(v["nested"]["token_count"], 3);
    assert_eq!(v["cc"], "************4444");
}

#[test]
fn search_output_is_masked_in_text_csv_and_json_and_the_index_keeps_originals() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path();
    let b = bundle(home);
    let b = b.to_str().unwrap();
    let text = ok(home, &["search", b, "*"]);
    for (secret, _) in SECRETS {
        assert!(!text.contains(secret), "text: {secret} leaked:\n{text}");
    }
    assert!(text.contains("m***@example.org"));
    let csv = ok(home, &["search", b, "*", "--csv"]);
    assert!(csv.contains("'=HYPERLINK"), "{csv}");
    for (secret, _) in SECRETS {
        assert!(!csv.contains(secret), "csv: {secret} leaked:\n{csv}");
    }
    let json = ok(home, &["search", b, "*", "--json"]);
    assert_masked("json", &json);
    // Ordinary values survive.
    assert!(json.contains("550e8400-e29b-41d4-a716-446655440000"));
    assert!(json.contains("da39a3ee5e6b4b0d3255bfef95601890afd80709"));
    assert!(json.contains("10.0.0.1"));
    // The index still finds the record by its original secret.
    assert_eq!(ok(home, &["search", b, "hunter2", "--count"]).trim(), "1");
    let hit = ok(home, &["search", b, "hunter2", "--json"]);
    assert!(!hit.contains("hunter2"));
    // --unmask shows the originals.
    let raw = ok(home, &["search", b, "*", "--json", "--unmask"]);
    for (secret, _) in SECRETS {
        assert!(raw.contains(secret), "unmasked: no {secret}");
    }
}

#[test]
fn roles_select_views_and_user_policy_extends_fields() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path();
    let b = bundle(home);
    let b = b.to_str().unwrap();
    let sre = ok(home, &["search", b, "*", "--json", "--role", "sre"]);
    assert!(!sre.contains("prediction_input"), "{sre}");
    assert!(
        !sre.contains("svc-deploy") && !sre.contains("carol"),
        "{sre}"
    );
    assert!(!sre.contains("hunter2"));
    let auditor = ok(home, &["search", b, "*", "--json", "--role", "auditor"]);
    assert!(auditor.contains("prediction_input") && auditor.contains("svc-deploy"));
    // The auditor sees who did it (mary's e-mail is her actor id), and no secret.
    assert!(auditor.contains("mary@example.org"), "{auditor}");
    assert_masked_but("auditor", &auditor, &["mary@example.org"]);
    let (code, _, err) = run(home, &["search", b, "*", "--role", "nobody"]);
    assert_eq!(code, 2);
    assert!(err.contains("unknown role"), "{err}");
    write(
        home,
        "config/auditlens/masking.json",
        br#"{"fields": ["details.run"]}"#,
    );
    let custom = ok(home, &["search", b, "*", "--json"]);
    assert!(
        !custom.contains("550e8400-e29b-41d4-a716-446655440000"),
        "{custom}"
    );
}

#[test]
fn export_is_masked_with_a_checksum_and_round_trips() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path();
    let b = bundle(home);
    let b = b.to_str().unwrap();
    for fmt in ["jsonl", "csv", "ocsf"] {
        let out = home.join(format!("out.{fmt}"));
        let o = out.to_str().unwrap();
        ok(home, &["export", b, "*", "--format", fmt, "--out", o]);
        let body = std::fs::read_to_string(&out).unwrap();
        for (secret, _) in SECRETS {
            assert!(!body.contains(secret), "{fmt}: {secret} leaked:\n{body}");
        }
        let side = std::fs::read_to_string(home.join(format!("out.{fmt}.sha256"))).unwrap();
        let want = auditlens::integrity::sha256(body.as_bytes()).to_hex();
        assert_eq!(side, format!("{want}  out.{fmt}\n"));
        // Refuses to overwrite without --force.
        let (code, _, _) = run(home, &["export", b, "*", "--format", fmt, "--out", o]);
        assert_eq!(code, 2);
    }
    let csv = std::fs::read_to_string(home.join("out.csv")).unwrap();
    assert!(csv.contains("'=HYPERLINK"), "{csv}");
    let ocsf: Vec<Value> = std::fs::read_to_string(home.join("out.ocsf"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(ocsf.len(), 3);
    assert_eq!(ocsf[0]["class_uid"], 3002);
    assert_eq!(ocsf[1]["class_uid"], 6003);
    assert_eq!(ocsf[1]["type_uid"], 600_301);
    assert_eq!(ocsf[1]["severity_id"], 3);

    // Round trip: an unmasked jsonl export loads back as the same events.
    let rt = home.join("rt.jsonl");
    ok(
        home,
        &["export", b, "*", "--unmask", "--out", rt.to_str().unwrap()],
    );
    let strip = |s: String| -> Vec<Value> {
        s.lines()
            .map(|l| {
                let mut v: Value = serde_json::from_str(l).unwrap();
                let m = v.as_object_mut().unwrap();
                for k in ["origin", "ord", "record", "integrity"] {
                    m.remove(k);
                }
                v
            })
            .collect()
    };
    let a = strip(ok(
        home,
        &["search", b, "*", "--json", "--unmask", "--oldest-first"],
    ));
    let c = strip(ok(
        home,
        &[
            "search",
            rt.to_str().unwrap(),
            "*",
            "--json",
            "--unmask",
            "--oldest-first",
        ],
    ));
    assert_eq!(a.len(), 3);
    assert_eq!(a, c);
}

#[test]
fn every_look_is_in_the_trail_and_the_trail_verifies() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path();
    let b = bundle(home);
    let b = b.to_str().unwrap();
    let pristine = repo_root().join("sample-data/pristine");
    let trust = repo_root().join("sample-data/trust.json");
    ok(
        home,
        &[
            "search",
            b,
            "model.deploy",
            "--from",
            "2024-01-01T00:00:00Z",
        ],
    );
    ok(home, &["stats", b, "--unmask"]);
    let _ = run(
        home,
        &[
            "verify",
            pristine.to_str().unwrap(),
            "--trust",
            trust.to_str().unwrap(),
        ],
    );
    let out = home.join("x.jsonl");
    ok(
        home,
        &[
            "export",
            b,
            "*",
            "--role",
            "sre",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    let t = trail(home);
    let actions: Vec<&str> = t.iter().map(|r| r["action"].as_str().unwrap()).collect();
    assert_eq!(
        actions,
        [
            "access.search",
            "access.stats",
            "access.verify",
            "access.export"
        ]
    );
    for (i, r) in t.iter().enumerate() {
        assert_eq!(r["seq"], i as u64);
        assert_eq!(r["actor"]["id"], me().as_str());
        assert_eq!(
            r["stream"],
            format!("access/{}", auditlens::privacy::trail::safe_name(&me()))
        );
        assert_eq!(r["details"]["bundle"].as_str().unwrap().len(), 64);
    }
    assert_eq!(t[0]["details"]["query"], "model.deploy");
    assert_eq!(t[0]["details"]["filters"]["from"], "2024-01-01T00:00:00Z");
    assert_eq!(t[0]["details"]["unmask"], false);
    assert_eq!(t[1]["details"]["unmask"], true);
    assert_eq!(t[3]["details"]["role"], "sre");
    assert!(
        t[3]["details"]["export"]
            .as_str()
            .unwrap()
            .ends_with("x.jsonl")
    );
    let v = ok(home, &["access-log", "--verify"]);
    assert!(v.contains("4 entries, chain OK"), "{v}");
    // The trail uses the sealed record format: the integrity module's hashing agrees.
    let file = trail_file(home);
    for line in std::fs::read_to_string(&file).unwrap().lines() {
        let rec = &line[line.find(",\"rec\":").unwrap() + 7..line.len() - 1];
        let hash = &line[9..73];
        assert_eq!(
            auditlens::integrity::record_hash(rec.as_bytes()).to_hex(),
            hash
        );
    }
}

#[test]
fn verify_fails_on_an_edited_or_truncated_trail() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path();
    let b = bundle(home);
    let b = b.to_str().unwrap();
    for q in ["a", "b", "c"] {
        ok(home, &["search", b, q]);
    }
    let file = trail_file(home);
    let stem = file.file_stem().unwrap().to_str().unwrap();
    let original = std::fs::read_to_string(&file).unwrap();
    // Edited: the second entry's query.
    std::fs::write(
        &file,
        original.replacen("\"query\":\"b\"", "\"query\":\"z\"", 1),
    )
    .unwrap();
    let (code, out, _) = run(home, &["access-log", "--verify"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains(&format!("{stem}.jsonl:2: MODIFIED")), "{out}");
    // Truncated: the last line removed.
    let mut lines: Vec<&str> = original.lines().collect();
    lines.pop();
    std::fs::write(&file, lines.join("\n") + "\n").unwrap();
    let (code, out, _) = run(home, &["access-log", "--verify"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains(&format!("{stem}.jsonl:3: TRUNCATED")), "{out}");
    // Cut mid-line.
    std::fs::write(&file, &original[..original.len() - 10]).unwrap();
    let (code, out, _) = run(home, &["access-log", "--verify"]);
    assert_eq!(code, 1);
    assert!(out.contains(&format!("{stem}.jsonl:3:")), "{out}");
    // A damaged trail is not extended.
    let (code, _, err) = run(home, &["search", b, "*"]);
    assert_eq!(code, 2, "{err}");
    // A deleted middle line.
    std::fs::write(
        &file,
        format!("{}\n{}\n", lines[0], original.lines().nth(2).unwrap()),
    )
    .unwrap();
    let (code, out, _) = run(home, &["access-log", "--verify"]);
    assert_eq!(code, 1);
    assert!(
        out.contains(&format!("{stem}.jsonl:2: seq 2 where 1")),
        "{out}"
    );
}

#[test]
fn unwritable_trail_is_an_error_even_with_no_trail() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path();
    let b = bundle(home);
    let b = b.to_str().unwrap();
    // XDG_DATA_HOME is a file: the trail cannot be written.
    let blocker = write(home, "blocker", b"not a folder");
    for extra in [&[][..], &["--no-trail"][..]] {
        let out = auditlens(home)
            .env("XDG_DATA_HOME", &blocker)
            .args(["search", b, "*"])
            .args(extra)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{extra:?}");
        assert!(String::from_utf8_lossy(&out.stderr).contains("access trail"));
        assert!(out.stdout.is_empty(), "nothing shown unrecorded");
    }
}

#[test]
fn no_trail_run_is_a_chained_entry_so_deleting_it_breaks_the_chain() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path();
    let b = bundle(home);
    let b = b.to_str().unwrap();
    ok(home, &["stats", b]);
    ok(home, &["search", b, "hunter2", "--no-trail", "--unmask"]);
    ok(home, &["stats", b]);
    // No side file: the run is in the chain itself.
    let dir = home.join("data/auditlens/access");
    let files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(!files.iter().any(|f| f.ends_with(".skipped")), "{files:?}");
    let t = trail(home);
    assert_eq!(t.len(), 3);
    let u = &t[1];
    assert_eq!(u["action"], "access.search");
    assert_eq!(u["actor"]["id"], me().as_str());
    assert!(u["ts"].as_str().is_some_and(|ts| ts.starts_with("20")));
    assert_eq!(u["details"]["untracked"], true);
    assert_eq!(u["details"]["unmask"], true);
    // Who, when and which command; not what it asked or read.
    let line = serde_json::to_string(u).unwrap();
    assert!(
        !line.contains("hunter2") && !line.contains("secrets.jsonl"),
        "{line}"
    );
    for k in ["query", "inputs", "bundle", "filters", "export"] {
        assert!(u["details"].get(k).is_none(), "{k} recorded: {line}");
    }
    let text = ok(home, &["access-log"]);
    assert!(
        text.contains("access.search") && text.contains("--no-trail"),
        "{text}"
    );
    assert!(ok(home, &["access-log", "--verify"]).contains("3 entries, chain OK"));
    // Deleting the untracked run's line is seen like any other deletion.
    let file = trail_file(home);
    let original = std::fs::read_to_string(&file).unwrap();
    let kept: Vec<&str> = original
        .lines()
        .filter(|l| !l.contains("\"untracked\":true"))
        .collect();
    assert_eq!(kept.len(), 2);
    std::fs::write(&file, kept.join("\n") + "\n").unwrap();
    let (code, out, _) = run(home, &["access-log", "--verify"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("seq 2 where 1"), "{out}");
}

#[test]
fn the_trail_user_is_the_real_uid_not_the_user_variable() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path();
    let b = bundle(home);
    let b = b.to_str().unwrap();
    let fake = if me() == "alice" { "mallory" } else { "alice" };
    let out = auditlens(home)
        .env("USER", fake)
        .env("LOGNAME", fake)
        .args(["stats", b])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    // The name the system gives the real uid, as `id -un` prints it.
    if let Ok(id) = std::process::Command::new("id").arg("-un").output()
        && id.status.success()
    {
        assert_eq!(me(), String::from_utf8_lossy(&id.stdout).trim());
    }
    let dir = home.join("data/auditlens/access");
    assert!(!dir.join(format!("{fake}.jsonl")).exists());
    assert!(trail_file(home).exists());
    let t = trail(home);
    assert_eq!(t[0]["actor"]["id"], me().as_str());
    // Names come from /etc/passwd lines; unknown uids are `uid-N`.
    let passwd = "# comment\nroot:x:0:0:root:/root:/bin/sh\nbad line\nalice:x:1000:1000::/home/alice:/bin/sh\n";
    assert_eq!(
        auditlens::privacy::trail::user_for_uid(1000, passwd).as_deref(),
        Some("alice")
    );
    assert_eq!(auditlens::privacy::trail::user_for_uid(7, passwd), None);
}

#[test]
fn access_log_lists_a_trail_whose_bundle_text_is_not_ascii_without_panicking() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path();
    // A damaged (hand-written) entry: its bundle cut at 12 bytes would split a character.
    let rec = r#"{"seq":0,"stream":"access/x","ts":"2024-01-01T00:00:00Z","action":"access.search","actor":{"id":"x"},"message":"m","details":{"bundle":"aéééééééééé"}}"#;
    let dir = home.join("trail");
    write(
        &dir,
        "x.jsonl",
        format!("{{\"hash\":\"{}\",\"rec\":{rec}}}\n", "0".repeat(64)).as_bytes(),
    );
    let (code, out, err) = run(home, &["access-log", "--dir", dir.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("aéééééééééé".chars().take(12).collect::<String>().as_str()),
        "{out}"
    );
}

#[test]
fn concurrent_appends_keep_one_chain() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path();
    let pristine = repo_root().join("sample-data/pristine");
    let bin = assert_cmd::cargo::cargo_bin("auditlens");
    let children: Vec<_> = (0..8)
        .map(|_| {
            std::process::Command::new(&bin)
                .env("XDG_CACHE_HOME", home.join("cache"))
                .env("XDG_CONFIG_HOME", home.join("config"))
                .env("XDG_DATA_HOME", home.join("data"))
                .args(["verify", "--allow-unsigned", "--json"])
                .arg(&pristine)
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut c in children {
        c.wait().unwrap();
    }
    let v = ok(home, &["access-log", "--verify"]);
    assert!(v.contains("8 entries, chain OK"), "{v}");
    let seqs: Vec<u64> = trail(home)
        .iter()
        .map(|r| r["seq"].as_u64().unwrap())
        .collect();
    assert_eq!(seqs, (0..8).collect::<Vec<_>>());
}

/// Runs `search FILE * --json [--role ROLE]` and returns the output.
fn search_json(home: &Path, file: &Path, role: Option<&str>) -> String {
    let mut args = vec![
        "search",
        file.to_str().unwrap(),
        "*",
        "--json",
        "--limit",
        "5000",
    ];
    if let Some(r) = role {
        args.extend(["--role", r]);
    }
    ok(home, &args)
}

#[test]
fn auditors_see_kubernetes_actors_while_secrets_stay_masked() {
    // Issue 16 item 12: `--role auditor` showed `u***@company.com` for both
    // user@company.com and another u... user, so they could not be told apart.
    let Some(k8s) = crate::common::shared_path("realdata/panther/kubernetes.jsonl") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path();
    // The real export, plus one of its records carrying planted secrets (written to the
    // temporary folder only).
    let text = std::fs::read_to_string(&k8s).unwrap();
    let line = text
        .lines()
        .find(|l| l.contains("\"username\": \"user@company.com\""))
        .expect("the export has user@company.com");
    let mut rec: Value = serde_json::from_str(line).unwrap();
    rec["requestObject"] = serde_json::json!({"kind": "Secret", "data": {"password": "hunter2-k8s"},
        "metadata": {"annotations": {"note": "Authorization: Bearer abcdefghijk12345 for user@example.com"}}});
    let mut planted = text.clone();
    if !planted.ends_with('\n') {
        planted.push('\n');
    }
    planted.push_str(&rec.to_string());
    planted.push('\n');
    let file = write(home, "k8s.jsonl", planted.as_bytes());
    let users = [
        "user@company.com",
        "john.doe@company.com",
        "admin@example.com",
        "user@example.com",
    ];
    let default = search_json(home, &file, None);
    for u in users {
        assert!(!default.contains(u), "default view: {u} in clear");
    }
    assert!(default.contains("u***@company.com") && default.contains("j***@company.com"));
    let auditor = search_json(home, &file, Some("auditor"));
    for u in users {
        assert!(auditor.contains(u), "auditor: no {u}");
    }
    // Two actors sharing an initial are told apart; secrets are not shown.
    assert!(!auditor.contains("u***@company.com"), "{auditor}");
    for secret in ["hunter2-k8s", "abcdefghijk12345"] {
        assert!(!auditor.contains(secret), "auditor: {secret} leaked");
    }
    // An e-mail that is nobody's actor id stays masked; user@example.com is an actor of
    // other records, so only the annotation's own mention tells: it must not be shown in
    // the planted record's masked record text.
    let planted_out: Vec<&str> = auditor
        .lines()
        .filter(|l| l.contains("hunter2") || l.contains("Bearer ***"))
        .collect();
    assert!(
        !planted_out.is_empty(),
        "the planted record is in the output"
    );
    for l in planted_out {
        assert!(
            l.contains("u***@example.com") && !l.contains("for user@example.com"),
            "{l}"
        );
    }
    // The sre role still masks actors whole.
    let sre = search_json(home, &file, Some("sre"));
    for u in users {
        assert!(!sre.contains(u), "sre: {u} in clear");
    }
}

#[test]
fn on_the_sample_the_auditor_sees_actors_and_the_sre_does_not() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path();
    let pristine = repo_root().join("sample-data/pristine");
    let p = pristine.to_str().unwrap();
    let q = ["search", p, "action:audit.config.change", "--json"];
    let auditor = ok(home, &[&q[..], &["--role", "auditor"]].concat());
    assert!(auditor.contains("\"erin\""), "{auditor}");
    let sre = ok(home, &[&q[..], &["--role", "sre"]].concat());
    assert!(!sre.contains("\"erin\"") && sre.contains("***"), "{sre}");
}

#[test]
fn no_email_key_or_token_from_realdata_reaches_search_output() {
    let Some(real) = crate::common::realdata() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path();
    let leak = regex::Regex::new(
        r"[A-Za-z0-9._%+-]{2,}@[A-Za-z0-9-]+\.[a-z]{2,}|\b(AKIA|ASIA)[A-Z0-9]{12,}|eyJ[A-Za-z0-9_-]{10,}\.",
    )
    .unwrap();
    let mut seen = 0;
    for entry in std::fs::read_dir(&real).unwrap() {
        let p = entry.unwrap().path();
        if !p.is_dir() {
            continue;
        }
        let ps = p.to_str().unwrap();
        for extra in [&["--json"][..], &["--csv"][..], &[][..]] {
            let mut args = vec!["search", ps, "*", "--limit", "5000"];
            args.extend_from_slice(extra);
            let (_, out, _) = run(home, &args);
            seen += out.len();
            let found: Vec<&str> = leak.find_iter(&out).map(|m| m.as_str()).take(5).collect();
            assert!(found.is_empty(), "{ps} {extra:?}: leaked {found:?}");
        }
    }
    assert!(
        seen > 10_000,
        "realdata produced too little output to mean anything"
    );
}

/// Secrets that hide from plain detectors: in JSON keys, under secret-named keys of any type
/// and depth, and behind percent-encoding. None of these strings may appear in any output.
const HIDDEN_SECRETS: &[&str] = &[
    "john.doe",
    "IOSFODNN7EXA",
    "tok-live-1111",
    "cs-2222",
    "pk-3333",
    "44445555",
    "dg-6666",
    "envpw-7777",
    "top-8888",
    "jane.roe",
    "kate.moss",
    "lee.park",
];

/// Masked forms that must appear, and ordinary values that must survive, in the record.
const HIDDEN_MASKED: &[&str] = &[
    "j***@example.com",
    "AKIA************MPLE",
    "j***%40example.com",
    "k***%2540example.org",
    "550e8400-e29b-41d4-a716-446655440000",
    "da39a3ee5e6b4b0d3255bfef95601890afd80709",
    "10.0.0.1",
    "1.2.3",
    "2024-05-01T12:00:00Z",
];

fn hidden_secrets_bundle(dir: &Path) -> PathBuf {
    let line = serde_json::json!({
        "time": "2024-01-01T00:00:00Z", "user": "svc-web", "action": "api.call", "level": "info",
        "msg": "callback https://app.example/cb?u=jane.roe%40example.com&x=1 then kate.moss%2540example.org and LEE.PARK%40EXAMPLE.NET",
        "user_password": "top-8888",
        "details": {
            "john.doe@example.com": 1,
            "AKIAIOSFODNN7EXAMPLE": {"n": 2},
            "api_token": "tok-live-1111",
            "creds": {"clientSecret": {"v": "cs-2222"}, "private_key": ["pk-3333"]},
            "Password": 44_445_555,
            "headers": {"Authorization": "Digest dg-6666"},
            "env": [{"name": "DB_PASSWORD", "value": "envpw-7777"}],
            "run": "550e8400-e29b-41d4-a716-446655440000",
            "sha": "da39a3ee5e6b4b0d3255bfef95601890afd80709",
            "ip": "10.0.0.1", "version": "1.2.3", "at": "2024-05-01T12:00:00Z",
            "token_count": 3,
        }
    });
    write(dir, "hidden.jsonl", format!("{line}\n").as_bytes())
}

/// Runs `export BUNDLE * --format FMT` into a new file under `home` and returns its text.
fn export(home: &Path, bundle: &str, fmt: &str) -> String {
    let out = home.join(format!("export-{}.{fmt}", std::process::id()));
    let _ = std::fs::remove_file(&out);
    let o = out.to_str().unwrap();
    ok(home, &["export", bundle, "*", "--format", fmt, "--out", o]);
    std::fs::read_to_string(&out).unwrap()
}

fn assert_no_hidden_secret(what: &str, text: &str) {
    for s in HIDDEN_SECRETS {
        assert!(!text.contains(s), "{what}: {s} leaked:\n{text}");
    }
}

#[test]
fn secrets_in_keys_under_secret_named_keys_and_percent_encoded_are_masked_in_search_and_exports() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path();
    let b = hidden_secrets_bundle(home);
    let b = b.to_str().unwrap();
    let json = ok(home, &["search", b, "*", "--json"]);
    assert_no_hidden_secret("search --json", &json);
    for m in HIDDEN_MASKED {
        assert!(json.contains(m), "search --json: no {m}:\n{json}");
    }
    let hit: Value = serde_json::from_str(json.trim()).unwrap();
    assert_eq!(hit["record"]["details"]["token_count"], 3);
    assert_eq!(hit["details"]["creds"]["clientSecret"], "***");
    for fmt in ["jsonl", "ocsf"] {
        let body = export(home, b, fmt);
        assert_no_hidden_secret(fmt, &body);
        assert!(body.contains("j***@example.com"), "{fmt}: {body}");
        assert!(
            body.contains("550e8400-e29b-41d4-a716-446655440000"),
            "{fmt}"
        );
    }
    // Text output too.
    assert_no_hidden_secret("search", &ok(home, &["search", b, "*"]));
    // --unmask still shows them.
    let raw = ok(home, &["search", b, "*", "--json", "--unmask"]);
    assert!(raw.contains("john.doe@example.com") && raw.contains("tok-live-1111"));
}

#[test]
fn the_explorer_detail_pane_and_copy_mask_secrets_in_keys_and_encodings() {
    use auditlens::app::{Action, AppState, Effect, execute, update};
    use auditlens::index::{BareIndex, CommitPolicy};
    use auditlens::ingest::{IngestOptions, ingest};
    use auditlens::ui::{Keymap, Theme, UiViews};

    let tmp = tempfile::tempdir().unwrap();
    let path = hidden_secrets_bundle(tmp.path());
    let mem = BareIndex::new();
    let mut indexer = mem.indexer(15_000_000, 1, CommitPolicy::AT_END).unwrap();
    ingest(&[path], IngestOptions::default(), &mut indexer, |_| {});
    indexer.finish().unwrap();
    let svc = mem.store().unwrap();
    // The explorer's masker, as `auditlens open` sets it up.
    let masker = auditlens::privacy::masker_for(None, false, None).unwrap();
    let mut copied = Vec::new();
    let mut settle = |s: &mut AppState, actions: Vec<Action>| {
        let mut queue: std::collections::VecDeque<Action> = actions.into();
        while let Some(a) = queue.pop_front() {
            for e in update(s, a) {
                match e {
                    Effect::Run(job) => queue.push_back(execute(&svc, job, Some(&masker))),
                    Effect::Copy(text) => copied.push(text),
                    _ => {}
                }
            }
        }
    };
    let mut s = AppState::new("hidden.jsonl", (220, 120));
    settle(
        &mut s,
        vec![
            Action::IndexOpened {
                complete: true,
                pending: false,
            },
            Action::IndexDone {
                events: svc.service().num_docs(),
                errors: 0,
                skipped: 0,
                reused: true,
                problems: vec![],
            },
        ],
    );
    settle(&mut s, vec![Action::OpenDetail]);
    let mut term = ratatui::Terminal::new(ratatui::backend::TestBackend::new(220, 120)).unwrap();
    term.draw(|f| {
        auditlens::ui::render(
            f,
            &s,
            &mut UiViews::default(),
            &Theme::builtin("dark", false).unwrap(),
            &Keymap::builtin(),
        );
    })
    .unwrap();
    let buf = term.backend().buffer();
    let mut screen = String::new();
    for y in 0..buf.area.height {
        for x in 0..buf.area.width {
            screen.push_str(buf[(x, y)].symbol());
        }
        screen.push('\n');
    }
    assert!(screen.contains("Original record"), "{screen}");
    assert!(screen.contains("j***@example.com"), "{screen}");
    assert!(screen.contains("token_count"), "{screen}");
    assert_no_hidden_secret("detail pane", &screen);
    settle(&mut s, vec![Action::Copy]);
    assert_eq!(copied.len(), 1);
    assert!(copied[0].contains("AKIA************MPLE"), "{}", copied[0]);
    assert_no_hidden_secret("copy", &copied[0]);
}

/// Characters a terminal acts on or that hide text: DEL, C1 (U+009B is a CSI), bidi
/// overrides and isolates, the line separator.
const HOSTILE_CHARS: &str = "\u{9b}31m\u{85}\u{7f}\u{202e}\u{2066}\u{2069}\u{2028}";

fn assert_safe_json(what: &str, text: &str, pretty: bool) {
    let raw: Vec<char> = text
        .chars()
        .filter(|c| {
            matches!(c, '\u{7f}'..='\u{9f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{2028}' | '\u{2029}')
        })
        .collect();
    assert!(raw.is_empty(), "{what}: raw {raw:?} in:\n{text}");
    assert!(
        text.contains("\\u009b"),
        "{what}: no escaped CSI in:\n{text}"
    );
    let docs: Vec<Value> = if pretty {
        vec![serde_json::from_str(text).unwrap_or_else(|e| panic!("{what}: {e}\n{text}"))]
    } else {
        text.lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{what}: {e}\n{l}")))
            .collect()
    };
    // Parsed back, the values hold the characters again.
    assert!(
        docs.iter().any(|d| d.to_string().contains('\u{9b}')),
        "{what}: the values lost their characters"
    );
}

#[test]
fn json_outputs_escape_c1_controls_bidi_controls_and_del() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path();
    let h = HOSTILE_CHARS;
    let mut lines = String::new();
    for i in 0..6 {
        let l = serde_json::json!({
            "time": format!("2024-01-01T00:0{i}:00Z"), "user": format!("eve{h}"),
            "action": "auth.login", "outcome": "failure", "level": "warning",
            "msg": format!("denied{h}"), "details": {format!("k{h}"): format!("v{h}")},
        });
        lines.push_str(&l.to_string());
        lines.push('\n');
    }
    let l = serde_json::json!({
        "time": "2024-01-01T01:00:00Z", "user": "bob", "action": "model.deploy",
        "model": {"id": format!("m{h}"), "version": "1"},
    });
    lines.push_str(&l.to_string());
    lines.push('\n');
    let b = write(home, &format!("hostile{h}.jsonl"), lines.as_bytes());
    let b = b.to_str().unwrap();

    let search = ok(home, &["search", b, "*", "--json", "--oldest-first"]);
    assert_safe_json("search --json", &search, false);
    let first: Value = serde_json::from_str(search.lines().next().unwrap()).unwrap();
    assert_eq!(first["record"]["msg"], format!("denied{h}"));
    for fmt in ["jsonl", "ocsf"] {
        assert_safe_json(fmt, &export(home, b, fmt), false);
    }
    assert_safe_json("stats --json", &ok(home, &["stats", b, "--json"]), true);
    assert_safe_json(
        "lineage --json",
        &ok(home, &["lineage", b, "--list", "--json"]),
        true,
    );
    let (code, alerts, err) = run(home, &["alerts", b, "--json"]);
    assert_eq!(code, 1, "{err}");
    assert_safe_json("alerts --json", &alerts, true);
    let (_, verify, _) = run(home, &["verify", &format!("{b}.missing"), "--json"]);
    assert_safe_json("verify --json", &verify, false);
    // The query is recorded in the trail as typed, and shown escaped.
    let _ = run(home, &["search", b, &format!("\"denied{h}\"")]);
    assert_safe_json(
        "access-log --json",
        &ok(home, &["access-log", "--json"]),
        false,
    );
}
