//! Build folders left behind: a build runs in `<root>/.build-<key>-<pid>-<n>` (a command)
//! or `<root>/.live-<key>-<pid>-<n>` (the explorer), renamed into place when complete. A
//! process killed midway (SIGKILL, power loss) leaves its folder; the next run removes the
//! folders whose process is gone, and never one whose process still lives.

use std::fs;
use std::path::Path;

/// Prefixes of the temporary build folders in a cache root.
const BUILD_PREFIXES: [&str; 2] = [".build-", ".live-"];

/// Removes the build folders in `root` whose process is gone. Anything else, a folder of a
/// live process (of any user), or a name that does not parse, is left alone.
pub(super) fn sweep_stale_builds(root: &Path) {
    let Ok(entries) = fs::read_dir(root) else {
        return;
    };
    for e in entries.flatten() {
        // A link or a file under such a name is not ours: leave it.
        if !e.file_type().is_ok_and(|t| t.is_dir()) {
            continue;
        }
        let name = e.file_name();
        let Some(pid) = name.to_str().and_then(build_owner) else {
            continue;
        };
        if pid != std::process::id() && process_is_gone(pid) {
            let _ = fs::remove_dir_all(e.path());
        }
    }
}

/// The pid in a build folder's name: `.build-<key>-<pid>-<n>`, `.live-<key>-<pid>-<n>`.
fn build_owner(name: &str) -> Option<u32> {
    let rest = BUILD_PREFIXES.iter().find_map(|p| name.strip_prefix(p))?;
    let mut parts = rest.split('-');
    let (_key, pid, _n) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || pid.is_empty() || !pid.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    pid.parse().ok()
}

/// True only when the system says no process has this pid (`kill(pid, 0)` fails with
/// `ESRCH`); a process of another user (`EPERM`) lives.
#[cfg(unix)]
fn process_is_gone(pid: u32) -> bool {
    // 0 and negative values name process groups, not a process.
    let Some(pid) = i32::try_from(pid)
        .ok()
        .filter(|&p| p > 0)
        .and_then(rustix::process::Pid::from_raw)
    else {
        return false;
    };
    rustix::process::test_kill_process(pid) == Err(rustix::io::Errno::SRCH)
}

/// Without a way to ask, every process is taken to live.
#[cfg(not(unix))]
fn process_is_gone(_pid: u32) -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn build_folder_names_give_their_pid() {
        assert_eq!(build_owner(".build-0123abcd-4242-99"), Some(4242));
        assert_eq!(build_owner(".live-0123abcd-7-0"), Some(7));
        for not_ours in [
            "0123abcd-s9",
            ".build-",
            ".build-key-x1-2",
            ".build-key--2",
            ".build-key-+4-2",
            ".build-key-4",
            ".build-key-4-2-extra",
            ".buildx-key-4-2",
            "fingerprints",
        ] {
            assert_eq!(build_owner(not_ours), None, "{not_ours}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn only_a_process_that_cannot_exist_is_gone() {
        assert!(!process_is_gone(std::process::id()));
        // pid 1 lives (and may belong to another user: EPERM is not gone).
        assert!(!process_is_gone(1));
        assert!(!process_is_gone(0));
        assert!(!process_is_gone(u32::MAX));
        // Linux never hands out pids at or above 2^22.
        assert!(process_is_gone(4_194_305));
    }
}
