//! The headless commands, end to end through the real binary.

use predicates::prelude::*;
use serde_json::Value;

use crate::common::{auditlens, generic_lines, gzip, realdata, write};

fn stats_json(home: &std::path::Path, paths: &[&std::path::Path], extra: &[&str]) -> Value {
    let mut cmd = auditlens(home);
    cmd.arg("stats").arg("--json").args(extra);
    for p in paths {
        cmd.arg(p);
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "stats failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn error_at<'a>(v: &'a Value, file_suffix: &str, line: Option<u64>) -> &'a Value {
    v["errors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["path"].as_str().unwrap().ends_with(file_suffix) && e["line"].as_u64() == line)
        .unwrap_or_else(|| panic!("no error for {file_suffix}:{line:?} in {:#}", v["errors"]))
}

#[test]
fn every_bad_input_is_reported_with_file_and_line_and_the_rest_loads() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("in");
    let mut mixed = generic_lines(3).into_bytes();
    mixed.extend_from_slice(b"{\"time\": \"2024-01-02T00:00:00Z\", \"msg\": \"unterminated\n");
    mixed.extend_from_slice(b"[1, 2, 3]\n");
    mixed.extend_from_slice(b"{\"msg\": \"bad \xff\xfe utf8\"}\n");
    mixed.extend_from_slice(b"{\"msg\": \"dup\", \"msg\": \"again\"}\n");
    mixed.extend_from_slice(b"{\"time\": \"2024-01-03T00:00:00Z\", \"msg\": \"still loads\"}\n");
    write(&dir, "mixed.jsonl", &mixed);
    let big = gzip(generic_lines(2000).as_bytes());
    write(&dir, "truncated.jsonl.gz", &big[..big.len() / 2]);
    write(&dir, "empty.json", b"");
    let long = format!(
        "{}{{\"msg\": \"{}\"}}\n{}",
        generic_lines(1),
        "x".repeat(500),
        generic_lines(1)
    );
    write(&dir, "long.jsonl", long.as_bytes());
    write(&dir, "binary.bin", b"\x00\x01\x02\x03binary\x00");

    let v = stats_json(home.path(), &[&dir], &["--max-line-bytes", "200"]);
    // mixed: 3 good + 1 after the bad ones; long: 2 good.
    let truncated_events = v["files"]
        .as_object()
        .unwrap()
        .iter()
        .find(|(k, _)| k.ends_with("truncated.jsonl.gz"))
        .map(|(_, n)| n.as_u64().unwrap())
        .unwrap();
    assert!(
        truncated_events > 100 && truncated_events < 2000,
        "truncated gzip keeps what came before: {truncated_events}"
    );
    assert_eq!(v["events"].as_u64().unwrap(), 4 + 2 + truncated_events);
    assert!(
        error_at(&v, "mixed.jsonl", Some(4))["reason"]
            .as_str()
            .unwrap()
            .contains("invalid JSON")
    );
    assert!(
        error_at(&v, "mixed.jsonl", Some(5))["reason"]
            .as_str()
            .unwrap()
            .contains("not an event")
    );
    assert!(
        error_at(&v, "mixed.jsonl", Some(6))["reason"]
            .as_str()
            .unwrap()
            .contains("UTF-8")
    );
    assert!(
        error_at(&v, "mixed.jsonl", Some(7))["reason"]
            .as_str()
            .unwrap()
            .contains("duplicate key")
    );
    assert!(
        error_at(&v, "long.jsonl", Some(2))["reason"]
            .as_str()
            .unwrap()
            .contains("limit")
    );
    assert!(
        error_at(&v, "empty.json", None)["reason"]
            .as_str()
            .unwrap()
            .contains("empty")
    );
    assert!(
        error_at(&v, "binary.bin", Some(1))["reason"]
            .as_str()
            .unwrap()
            .contains("binary")
    );
    let trunc = v["errors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["path"].as_str().unwrap().ends_with("truncated.jsonl.gz"))
        .unwrap();
    assert!(
        trunc["reason"].as_str().unwrap().contains("truncated"),
        "{trunc}"
    );
    assert_eq!(
        v["skipped"].as_u64().unwrap(),
        5,
        "4 bad lines in mixed.jsonl + 1 over-long line"
    );
}

#[test]
fn missing_or_unreadable_inputs_exit_2_with_a_clear_message() {
    let home = tempfile::tempdir().unwrap();
    auditlens(home.path())
        .args(["stats", "/definitely/not/here.jsonl"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "cannot read /definitely/not/here.jsonl",
        ));
    auditlens(home.path())
        .args(["search", "/nope", "*"])
        .assert()
        .code(2);
}

#[cfg(unix)]
#[test]
fn a_fifo_or_device_named_on_the_command_line_is_refused_not_read() {
    // Reading /dev/zero never ends and opening a FIFO blocks until a writer comes: both
    // used to hang. They are refused before anything opens them.
    let home = tempfile::tempdir().unwrap();
    let fifo = home.path().join("pipe");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    for (input, what) in [
        (fifo.as_path(), "a FIFO"),
        (std::path::Path::new("/dev/zero"), "a character device"),
    ] {
        for cmd in ["stats", "search", "alerts"] {
            let mut c = auditlens(home.path());
            c.arg(cmd).arg(input);
            if cmd == "search" {
                c.arg("*");
            }
            c.timeout(std::time::Duration::from_secs(20))
                .assert()
                .code(2)
                .stderr(predicate::str::contains(what))
                .stderr(predicate::str::contains("refused"));
        }
    }
}

#[cfg(unix)]
#[test]
fn a_link_to_a_folder_named_on_the_command_line_is_followed() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("real");
    write(&dir, "a.jsonl", generic_lines(5).as_bytes());
    let link = home.path().join("link");
    std::os::unix::fs::symlink(&dir, &link).unwrap();
    let v = stats_json(home.path(), &[&link], &[]);
    assert_eq!(v["events"], 5, "{v:#}");
    // Inside a folder, links stay refused.
    std::os::unix::fs::symlink(dir.join("a.jsonl"), dir.join("b.jsonl")).unwrap();
    let v = stats_json(home.path(), &[&link], &[]);
    assert_eq!(v["events"], 5);
    assert!(
        error_at(&v, "b.jsonl", None)["reason"]
            .as_str()
            .unwrap()
            .contains("not followed")
    );
}

/// Whether this process runs as root (file modes do not stop root).
fn running_as_root() -> bool {
    std::fs::read_to_string("/proc/self/status").is_ok_and(|s| {
        s.lines()
            .find(|l| l.starts_with("Uid:"))
            .and_then(|l| l.split_whitespace().nth(1))
            == Some("0")
    })
}

#[cfg(unix)]
#[test]
fn an_unreadable_file_or_folder_inside_a_bundle_is_one_problem_and_the_rest_loads() {
    use std::os::unix::fs::PermissionsExt as _;
    // As root, modes do not stop reads: run the binary as an ordinary user (nobody) then.
    let as_root = running_as_root();
    if as_root
        && !std::process::Command::new("setpriv")
            .arg("--help")
            .output()
            .is_ok_and(|o| o.status.success())
    {
        crate::common::skip_note("running as root and setpriv is not available to drop privileges");
        return;
    }
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    std::fs::set_permissions(h, std::fs::Permissions::from_mode(0o777)).unwrap();
    let b = h.join("b");
    write(&b, "ok.jsonl", generic_lines(7).as_bytes());
    write(&b, "sub/more.jsonl", generic_lines(3).as_bytes());
    write(&b, "locked/hidden.jsonl", generic_lines(4).as_bytes());
    write(&b, "secret.jsonl", generic_lines(2).as_bytes());
    for d in [&b, &b.join("sub")] {
        std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    for f in [b.join("ok.jsonl"), b.join("sub/more.jsonl")] {
        std::fs::set_permissions(f, std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    std::fs::set_permissions(b.join("locked"), std::fs::Permissions::from_mode(0o000)).unwrap();
    std::fs::set_permissions(
        b.join("secret.jsonl"),
        std::fs::Permissions::from_mode(0o000),
    )
    .unwrap();
    let bin = assert_cmd::cargo::cargo_bin("auditlens");
    let mut cmd = if as_root {
        let mut c = std::process::Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(&bin);
        c
    } else {
        std::process::Command::new(&bin)
    };
    let run = h.join("run");
    std::fs::create_dir(&run).unwrap();
    std::fs::set_permissions(&run, std::fs::Permissions::from_mode(0o777)).unwrap();
    let out = cmd
        .env("HOME", &run)
        .env("XDG_CACHE_HOME", run.join("cache"))
        .env("XDG_CONFIG_HOME", run.join("config"))
        .env("XDG_DATA_HOME", run.join("data"))
        .args(["stats", "--json"])
        .arg(&b)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "stats failed: {stderr}");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["events"], 10, "the readable files load: {v:#}");
    let locked = error_at(&v, "/locked", None)["reason"].as_str().unwrap();
    assert!(locked.contains("cannot list this folder"), "{locked}");
    let secret = error_at(&v, "/secret.jsonl", None)["reason"]
        .as_str()
        .unwrap();
    assert!(secret.contains("cannot open"), "{secret}");
    std::fs::set_permissions(b.join("locked"), std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn search_orders_filters_counts_and_prints_json_and_csv() {
    let home = tempfile::tempdir().unwrap();
    let f = write(home.path(), "events.jsonl", generic_lines(100).as_bytes());
    let f = f.to_str().unwrap();
    let out = auditlens(home.path())
        .args(["search", f, "*", "--limit", "3", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let lines: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["message"], "call number 99", "newest first");
    assert_eq!(
        lines[0]["record"]["details"]["n"], 99,
        "original record included"
    );
    assert_eq!(lines[0]["origin"]["line"], 100);
    let out = auditlens(home.path())
        .args(["search", f, "*", "--limit", "2", "--oldest-first", "--json"])
        .output()
        .unwrap();
    let first: Value = serde_json::from_str(
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .next()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(first["message"], "call number 0");
    // Keyword fields are exact; --from inclusive, --to exclusive.
    auditlens(home.path())
        .args(["search", f, "severity:error", "--count"])
        .assert()
        .success()
        .stdout("10\n");
    auditlens(home.path())
        .args(["search", f, "actor.id:user1", "--count"])
        .assert()
        .success()
        .stdout("33\n");
    auditlens(home.path())
        .args(["search", f, "actor.id:USER1", "--count"])
        .assert()
        .success()
        .stdout("0\n");
    auditlens(home.path())
        .args([
            "search",
            f,
            "*",
            "--count",
            "--from",
            "2024-01-01T00:10:00Z",
            "--to",
            "2024-01-01T00:20:00Z",
        ])
        .assert()
        .success()
        .stdout("10\n");
    auditlens(home.path())
        .args(["search", f, "details.n:42", "--count"])
        .assert()
        .success()
        .stdout("1\n");
    auditlens(home.path())
        .args(["search", f, "\"call number 42\"", "--count"])
        .assert()
        .success()
        .stdout("1\n");
    auditlens(home.path())
        .args([
            "search",
            f,
            "severity:error AND NOT actor.id:user0",
            "--count",
        ])
        .assert()
        .success()
        .stdout("6\n");
    auditlens(home.path())
        .args([
            "search",
            f,
            "ts:[2024-01-01T01:00:00Z TO 2024-01-01T02:00:00Z}",
            "--count",
        ])
        .assert()
        .success()
        .stdout("40\n");
    let out = auditlens(home.path())
        .args(["search", f, "severity:error", "--csv", "--limit", "2"])
        .output()
        .unwrap();
    let csv = String::from_utf8(out.stdout).unwrap();
    assert!(csv.starts_with("ts,severity,category,action,"));
    assert_eq!(csv.lines().count(), 3);
}

#[test]
fn query_errors_point_at_the_bad_token() {
    let home = tempfile::tempdir().unwrap();
    let f = write(home.path(), "events.jsonl", generic_lines(5).as_bytes());
    auditlens(home.path())
        .args(["search", f.to_str().unwrap(), "actr.id:bob AND x"])
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("unknown field `actr.id`")
                .and(predicate::str::contains("\n  ^^^^^^^")),
        );
    auditlens(home.path())
        .args(["search", f.to_str().unwrap(), "(a OR"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("syntax error"));
    auditlens(home.path())
        .args(["search", f.to_str().unwrap(), "*", "--from", "last tuesday"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--from"));
}

#[test]
fn control_characters_in_logs_never_reach_the_terminal() {
    let home = tempfile::tempdir().unwrap();
    let f = write(
        home.path(),
        "evil.jsonl",
        b"{\"time\":\"2024-01-01T00:00:00Z\",\"user\":\"mallory\\u001b[2J\",\"msg\":\"hello\\u001b]0;pwned\\u0007 \\u009b31m\"}\n",
    );
    let out = auditlens(home.path())
        .args(["search", f.to_str().unwrap(), "*"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        !text.contains('\u{1b}') && !text.contains('\u{7}') && !text.contains('\u{9b}'),
        "{text:?}"
    );
    assert!(text.contains("\\x1b[2J"));
    let out = auditlens(home.path())
        .args(["search", f.to_str().unwrap(), "*", "--csv"])
        .output()
        .unwrap();
    assert!(!String::from_utf8(out.stdout).unwrap().contains('\u{1b}'));
}

#[test]
fn archives_and_folders_load_without_extracting_and_refuse_escaping_members() {
    let home = tempfile::tempdir().unwrap();
    let mut builder = tar::Builder::new(Vec::new());
    let add = |b: &mut tar::Builder<Vec<u8>>, name: &str, data: &[u8]| {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_entry_type(tar::EntryType::Regular);
        // Write the raw name so that `..` members can be built.
        h.as_gnu_mut().unwrap().name[..name.len()].copy_from_slice(name.as_bytes());
        h.set_cksum();
        b.append(&h, data).unwrap();
    };
    add(&mut builder, "logs/a.jsonl", generic_lines(5).as_bytes());
    add(
        &mut builder,
        "logs/b.jsonl.gz",
        &gzip(generic_lines(7).as_bytes()),
    );
    add(&mut builder, "../escape.jsonl", generic_lines(2).as_bytes());
    let mut link = tar::Header::new_gnu();
    link.set_entry_type(tar::EntryType::Symlink);
    link.set_size(0);
    builder
        .append_link(&mut link, "logs/link.jsonl", "/etc/passwd")
        .unwrap();
    let tar_bytes = builder.into_inner().unwrap();
    let t = write(home.path(), "bundle.tar", &tar_bytes);
    let tgz = write(home.path(), "bundle.tgz", &gzip(&tar_bytes));
    for p in [&t, &tgz] {
        let v = stats_json(home.path(), &[p], &[]);
        assert_eq!(v["events"], 12, "{v:#}");
        let reasons: Vec<&str> = v["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["reason"].as_str().unwrap())
            .collect();
        assert!(
            reasons
                .iter()
                .any(|r| r.contains("absolute or contains `..`")),
            "{reasons:?}"
        );
        assert!(reasons.iter().any(|r| r.contains("link")), "{reasons:?}");
    }
    assert!(!home.path().join("escape.jsonl").exists());
    // Several inputs at once: a folder, a tarball and a single file.
    let folder = home.path().join("folder");
    write(&folder, "x.jsonl", generic_lines(4).as_bytes());
    write(
        &folder,
        "sub/y.json",
        format!("[{}]", generic_lines(3).trim_end().replace('\n', ",")).as_bytes(),
    );
    let v = stats_json(home.path(), &[&folder, &t], &[]);
    assert_eq!(v["events"], 4 + 3 + 12);
}

#[test]
fn the_cache_is_reused_rebuilt_when_damaged_and_keyed_by_content() {
    let home = tempfile::tempdir().unwrap();
    let f = write(home.path(), "events.jsonl", generic_lines(50).as_bytes());
    let first = stats_json(home.path(), &[&f], &[]);
    assert_eq!(first["index"]["reused"], false);
    let again = stats_json(home.path(), &[&f], &[]);
    assert_eq!(again["index"]["reused"], true);
    assert_eq!(again["events"], 50);
    // Damage the cached index: it is rebuilt, with a note.
    let dir = std::path::PathBuf::from(again["index"]["dir"].as_str().unwrap());
    std::fs::write(dir.join("meta.json"), b"{ not json").unwrap();
    let out = auditlens(home.path())
        .args(["stats", "--json", f.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("rebuilding"));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["index"]["reused"], false);
    assert_eq!(v["events"], 50);
    // Delete segment files behind its back: rebuilt too.
    for e in std::fs::read_dir(dir.join("index")).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "idx") {
            std::fs::remove_file(p).unwrap();
        }
    }
    let v = stats_json(home.path(), &[&f], &[]);
    assert_eq!(v["events"], 50);
    // Changed content: a new key, a new index.
    write(home.path(), "events.jsonl", generic_lines(51).as_bytes());
    let v = stats_json(home.path(), &[&f], &[]);
    assert_eq!(v["events"], 51);
    assert_eq!(v["index"]["reused"], false);
    assert_ne!(v["index"]["digest"], first["index"]["digest"]);
    // --reindex forces a build; --index-dir moves the cache.
    let elsewhere = home.path().join("elsewhere");
    let v = stats_json(
        home.path(),
        &[&f],
        &["--index-dir", elsewhere.to_str().unwrap(), "--reindex"],
    );
    assert!(
        v["index"]["dir"]
            .as_str()
            .unwrap()
            .starts_with(elsewhere.to_str().unwrap())
    );
    // An outdated schema version in the meta file means a rebuild.
    let dir = std::path::PathBuf::from(v["index"]["dir"].as_str().unwrap());
    let mut meta: Value =
        serde_json::from_slice(&std::fs::read(dir.join("meta.json")).unwrap()).unwrap();
    meta["schema_version"] = Value::from(0);
    std::fs::write(dir.join("meta.json"), meta.to_string()).unwrap();
    let v = stats_json(
        home.path(),
        &[&f],
        &["--index-dir", elsewhere.to_str().unwrap()],
    );
    assert_eq!(v["index"]["reused"], false);
}

#[test]
fn panther_json_lines_load_and_search() {
    let Some(real) = realdata() else { return };
    let home = tempfile::tempdir().unwrap();
    let ct = real.join("panther/aws_cloudtrail.jsonl");
    let k8s = real.join("panther/kubernetes.jsonl");
    let v = stats_json(home.path(), &[&ct, &k8s], &[]);
    let events = v["events"].as_u64().unwrap();
    let skipped = v["skipped"].as_u64().unwrap();
    let lines = |p: &std::path::Path| {
        std::fs::read_to_string(p)
            .unwrap()
            .lines()
            .filter(|l| !l.trim().is_empty())
            .count() as u64
    };
    assert_eq!(
        events + skipped,
        lines(&ct) + lines(&k8s),
        "every line is an event or a reported skip"
    );
    assert!(events > 600);
    auditlens(home.path())
        .arg("search")
        .arg(&ct)
        .arg("AssumeRole")
        .arg("--count")
        .assert()
        .success()
        .stdout(predicate::str::is_match("^[1-9][0-9]*\n$").unwrap());
}

#[test]
fn stats_problems_lists_every_loading_problem_by_file_and_exits_1() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("in");
    // 150 bad lines in one file, two in another: the second file's problems are listed
    // although the first file has more than the per-file bound.
    let mut big = generic_lines(2);
    for _ in 0..150 {
        big.push_str("{not json\n");
    }
    write(&dir, "big.jsonl", big.as_bytes());
    let mut small = generic_lines(1).into_bytes();
    small.extend_from_slice(b"[1, 2]\n{\"msg\": \"bad \xff utf8\"}\n");
    write(&dir, "small.jsonl", &small);
    let out = auditlens(home.path())
        .args(["stats", "--problems"])
        .arg(&dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "problems found: exit 1");
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.starts_with("152 problem(s) in 2 file(s), 152 record(s) skipped"),
        "{text}"
    );
    assert!(text.contains("big.jsonl: 150 problem(s)"), "{text}");
    assert!(text.contains("big.jsonl:3: malformed: "), "{text}");
    assert!(
        text.contains("... and 50 more in this file (only counted)"),
        "{text}"
    );
    assert!(text.contains("small.jsonl: 2 problem(s)"), "{text}");
    assert!(text.contains("small.jsonl:3: invalid_utf8: "), "{text}");
    let out = auditlens(home.path())
        .args(["stats", "--problems", "--json"])
        .arg(&dir)
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["problems_total"], 152);
    let files = v["files"].as_array().unwrap();
    assert_eq!(files.len(), 2);
    let big = files
        .iter()
        .find(|f| f["path"].as_str().unwrap().ends_with("big.jsonl"))
        .unwrap();
    assert_eq!(big["total"], 150);
    assert_eq!(big["kept"].as_array().unwrap().len(), 100);
    assert_eq!(big["kept"][0]["line"], 3);
    assert_eq!(big["kept"][0]["kind"], "malformed");
    // A clean input: no problem, exit 0.
    let clean = write(home.path(), "clean.jsonl", generic_lines(2).as_bytes());
    let out = auditlens(home.path())
        .args(["stats", "--problems"])
        .arg(&clean)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("0 problem(s) in 0 file(s)"));
}
