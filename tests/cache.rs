//! The on-disk index cache under hostile conditions (issue 12): folders left by killed
//! builds.

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
