//! The on-disk index cache under hostile conditions (issue 12): folders left by killed
//! builds, and cached indexes damaged on disk.

use std::path::{Path, PathBuf};

use crate::common::{auditlens, generic_lines, write};

/// `$XDG_CACHE_HOME/auditlens` of [`auditlens`].
fn cache_root(home: &Path) -> PathBuf {
    home.join("cache").join("auditlens")
}

/// A pid no process can have: above the kernel's `pid_max` (and Linux's 2^22 ceiling).
fn impossible_pid() -> u64 {
    let pid_max = std::fs::read_to_string("/proc/sys/kernel/pid_max")
        .ok()
        .and_then(|s| s.trim().parse::<u64>().ok())
        .unwrap_or(0);
    pid_max.max(1 << 22) + 1
}

#[cfg(unix)]
#[test]
fn build_folders_of_killed_processes_are_removed_at_start() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let root = cache_root(h);
    let dead = impossible_pid();
    let me = std::process::id();
    let stale = root.join(format!(".build-0123456789abcdef-{dead}-17"));
    let stale_live = root.join(format!(".live-0123456789abcdef-{dead}-18"));
    let running = root.join(format!(".build-0123456789abcdef-{me}-19"));
    for d in [&stale, &stale_live, &running] {
        write(&d.join("index"), "meta.json", b"{}");
    }
    // A link under a build folder's name is not a build folder: neither it nor what it
    // points at is touched.
    let outside = h.join("outside");
    write(&outside, "keep.txt", b"keep");
    let link = root.join(format!(".build-0123456789abcdef-{dead}-20"));
    std::os::unix::fs::symlink(&outside, &link).unwrap();
    let input = write(h, "in.jsonl", generic_lines(20).as_bytes());
    auditlens(h)
        .args(["search", "--count"])
        .arg(&input)
        .arg("*")
        .assert()
        .success()
        .stdout("20\n");
    assert!(!stale.exists(), "the killed build's folder is left");
    assert!(
        !stale_live.exists(),
        "the killed explorer build's folder is left"
    );
    assert!(
        running.join("index/meta.json").exists(),
        "a live process's folder was removed"
    );
    assert!(link.symlink_metadata().is_ok());
    assert!(outside.join("keep.txt").exists());
    // The same at the start of a run that reuses its cached index.
    write(&stale.join("index"), "meta.json", b"{}");
    auditlens(h)
        .args(["search", "--count"])
        .arg(&input)
        .arg("*")
        .assert()
        .success()
        .stdout("20\n");
    assert!(!stale.exists());
    assert!(running.exists());
}

/// Every file under `dir` whose name ends with `.ext`.
fn files_with(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                todo.push(p);
            } else if p.extension().is_some_and(|x| x == ext) {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// Inverts 16 bytes a third of the way into the file.
fn flip_bytes(p: &Path) {
    let mut bytes = std::fs::read(p).unwrap();
    let at = bytes.len() / 3;
    let end = (at + 16).min(bytes.len());
    for b in &mut bytes[at..end] {
        *b ^= 0xff;
    }
    std::fs::write(p, bytes).unwrap();
}

/// A way of damaging a file.
type Damage = fn(&Path);

/// Cuts the file to half its length.
fn truncate_half(p: &Path) {
    let len = std::fs::metadata(p).unwrap().len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(p)
        .unwrap()
        .set_len(len / 2)
        .unwrap();
}

/// `auditlens search ARGS... INPUT QUERY`: (exit code, stdout, stderr).
fn search(home: &Path, args: &[&str], input: &Path, query: &str) -> (i32, String, String) {
    let out = auditlens(home)
        .arg("search")
        .args(args)
        .arg(input)
        .arg(query)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_damaged_cached_index_is_rebuilt_and_answers_the_query() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let input = write(h, "in.jsonl", generic_lines(1200).as_bytes());
    // A term query (postings, positions) and a page of hits (the document store).
    let queries = ["number AND 17", "*"];
    let expected: Vec<String> = queries
        .iter()
        .map(|q| {
            let (code, out, err) = search(h, &["--count"], &input, q);
            assert_eq!(code, 0, "{err}");
            out
        })
        .collect();
    assert_eq!(expected[1], "1200\n");
    assert_ne!(expected[0], "0\n");
    let page = |home: &Path| search(home, &["--json", "--limit", "5"], &input, "number");
    let (_, first_page, _) = page(h);
    assert_eq!(first_page.lines().count(), 5);
    let damages: [(&str, Damage); 4] = [
        ("idx", flip_bytes),
        ("fast", flip_bytes),
        ("store", truncate_half),
        ("pos", flip_bytes),
    ];
    for (ext, damage) in damages {
        let files = files_with(&cache_root(h), ext);
        assert!(!files.is_empty(), "no .{ext} file in the cache");
        for f in &files {
            damage(f);
        }
        // The next run notices, rebuilds and answers right...
        for (i, q) in queries.iter().enumerate() {
            let (code, out, err) = search(h, &["--count"], &input, q);
            assert_eq!(code, 0, "after damaging .{ext}, {q:?}: {err}");
            assert_eq!(out, expected[i], "after damaging .{ext}, {q:?}: {err}");
            if i == 0 {
                assert!(
                    err.contains("damaged") && err.contains("rebuil"),
                    "after damaging .{ext}: no note of the rebuild in {err:?}"
                );
            } else {
                // ...and the run after it reuses the rebuilt cache, quietly.
                assert_eq!(err, "", "after damaging .{ext}");
            }
        }
        let (code, out, err) = page(h);
        assert_eq!((code, err.as_str()), (0, ""));
        assert_eq!(out, first_page, "after damaging .{ext}");
    }
}

#[test]
fn damage_found_while_paging_rebuilds_too() {
    // Counting reads no stored document: damage in the document store shows only when a
    // page of hits is read.
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let input = write(h, "in.jsonl", generic_lines(1200).as_bytes());
    let page = || search(h, &["--json", "--limit", "3"], &input, "*");
    let (code, first_page, err) = page();
    assert_eq!(code, 0, "{err}");
    for f in files_with(&cache_root(h), "store") {
        flip_bytes(&f);
    }
    let (code, out, err) = page();
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, first_page);
    assert!(err.contains("rebuil"), "{err:?}");
    let (code, out, err) = page();
    assert_eq!((code, out, err), (0, first_page, String::new()));
}

#[test]
fn a_query_syntax_error_is_a_query_error_and_keeps_the_cache() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let input = write(h, "in.jsonl", generic_lines(50).as_bytes());
    let (code, out, _) = search(h, &["--count"], &input, "*");
    assert_eq!((code, out.as_str()), (0, "50\n"));
    let (code, _, err) = search(h, &["--count"], &input, "number AND (17");
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("query error"), "{err}");
    assert!(!err.contains("rebuil"), "{err}");
    // The cache is still the one built first: reused without a note.
    let (code, out, err) = search(h, &["--count"], &input, "*");
    assert_eq!((code, out.as_str(), err.as_str()), (0, "50\n", ""));
}

/// The memo files that map input fingerprints to content digests.
fn memos(home: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(cache_root(home).join("fingerprints"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    out.sort();
    out
}

#[test]
fn verify_cache_hashes_the_inputs_again_and_rebuilds_when_their_content_differs() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let a = write(h, "a.jsonl", generic_lines(30).as_bytes());
    let b = write(h, "b.jsonl", generic_lines(70).as_bytes());
    let (code, out, err) = search(h, &["--count"], &a, "*");
    assert_eq!((code, out.as_str()), (0, "30\n"), "{err}");
    let before = memos(h);
    let (code, out, err) = search(h, &["--count"], &b, "*");
    assert_eq!((code, out.as_str()), (0, "70\n"), "{err}");
    let new: Vec<PathBuf> = memos(h)
        .into_iter()
        .filter(|m| !before.contains(m))
        .collect();
    assert_eq!(new.len(), 1);
    // A fingerprint that no longer tells the truth (what a clock set back, or a file system
    // that keeps no change times, could give): b's fingerprint now names a's content.
    std::fs::copy(&before[0], &new[0]).unwrap();
    let (_, out, _) = search(h, &["--count"], &b, "*");
    assert_eq!(out, "30\n", "a cached open trusts the fingerprint");
    let (code, out, err) = search(h, &["--count", "--verify-cache"], &b, "*");
    assert_eq!((code, out.as_str()), (0, "70\n"), "{err}");
    assert!(err.contains("content changed"), "{err:?}");
    // The memo is right again: a plain open answers from b's index, quietly.
    let (code, out, err) = search(h, &["--count"], &b, "*");
    assert_eq!((code, out.as_str(), err.as_str()), (0, "70\n", ""));
    // Verifying an intact cache reuses it and says nothing.
    let (code, out, err) = search(h, &["--count", "--verify-cache"], &a, "*");
    assert_eq!((code, out.as_str(), err.as_str()), (0, "30\n", ""));
}
