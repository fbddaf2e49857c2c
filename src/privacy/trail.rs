//! The access trail: who looked at which bundle, when, and how. One hash-chained stream per
//! OS user in `$XDG_DATA_HOME/auditlens/access/<user>.jsonl`, each line in the sealed record
//! form of `spec/bundle-format.md` section 2 (`{"hash":..,"rec":..}`, `seq`, `prev`, JCS).
//!
//! The user is the process's real uid, named from `/etc/passwd` (else `uid-N`), never the
//! environment: `USER=alice auditlens ...` still writes the caller's own trail.
//!
//! Appends hold an exclusive advisory lock (flock) on the stream file, so two auditlens
//! processes never interleave lines or fork the chain. `<user>.head` remembers the last seq
//! and hash, so a trail cut short is noticed. A `--no-trail` run is a chained entry too, with
//! `details.untracked` and only who, when and which command (no query, inputs or bundle), so
//! removing it breaks the chain like removing any other entry. (Earlier versions kept those
//! runs in an unchained `<user>.skipped` note; a leftover one still goes into the next entry.)

use std::fmt::Write as _;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use chrono::{SecondsFormat, Utc};
use fs4::fs_std::FileExt;
use serde::Serialize;
use serde_json::{Value, json};

use crate::integrity::{genesis_prev, jcs, record_hash};

/// What one look at the logs was.
#[derive(Debug, Clone, Default, Serialize)]
pub struct TrailEntry {
    /// The command: `search`, `stats`, `verify`, `export`, `tui`, `lineage`, `alerts`, ...
    pub command: String,
    /// Content digest of the bundles read (hex SHA-256), when known.
    pub bundle: Option<String>,
    /// The inputs as given.
    pub inputs: Vec<String>,
    /// The query, when there is one.
    pub query: Option<String>,
    /// Filters and options (from, to, limit, format, ...).
    pub filters: Value,
    /// Where an export was written.
    pub export: Option<String>,
    /// Originals shown (`--unmask`).
    pub unmask: bool,
    /// The role view used (`--role`).
    pub role: Option<String>,
    /// A `--no-trail` run: only the command, `unmask` and `role` are recorded.
    pub untracked: bool,
}

/// Errors writing or reading the trail.
#[derive(Debug, thiserror::Error)]
pub enum TrailError {
    /// File-system trouble (full disk, permissions).
    #[error("access trail {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The trail is damaged (the append refuses to extend it).
    #[error("access trail {path} line {line}: {reason}")]
    Damaged {
        /// The file.
        path: String,
        /// 1-based line.
        line: u64,
        /// What is wrong.
        reason: String,
    },
    /// No place for the trail.
    #[error("no place for the access trail: set XDG_DATA_HOME or HOME")]
    NoHome,
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> TrailError + '_ {
    move |source| TrailError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// `$XDG_DATA_HOME/auditlens/access`, else `~/.local/share/auditlens/access`.
pub(crate) fn trail_dir() -> Result<PathBuf, TrailError> {
    if let Some(d) = std::env::var_os("XDG_DATA_HOME").filter(|v| !v.is_empty()) {
        return Ok(PathBuf::from(d).join("auditlens").join("access"));
    }
    std::env::var_os("HOME")
        .filter(|v| !v.is_empty())
        .map(|h| {
            PathBuf::from(h)
                .join(".local/share")
                .join("auditlens")
                .join("access")
        })
        .ok_or(TrailError::NoHome)
}

/// The real uid of this process (`getuid`), on Unix.
pub fn real_uid() -> Option<u32> {
    #[cfg(unix)]
    {
        Some(rustix::process::getuid().as_raw())
    }
    #[cfg(not(unix))]
    {
        None
    }
}

/// The name `passwd` (the text of `/etc/passwd`) gives `uid`: the first well-formed line
/// `name:password:uid:...` with that uid.
pub fn user_for_uid(uid: u32, passwd: &str) -> Option<String> {
    passwd.lines().find_map(|line| {
        if line.starts_with('#') {
            return None;
        }
        let mut f = line.split(':');
        let name = f.next().filter(|n| !n.is_empty())?;
        let _password = f.next()?;
        (f.next()?.parse::<u32>().ok()? == uid).then(|| name.to_owned())
    })
}

/// The OS user: the name of the process's real uid in `/etc/passwd`, else `uid-N`. Never
/// `$USER` or `$LOGNAME`, which anyone can set.
pub fn os_user() -> String {
    let Some(uid) = real_uid() else {
        return "unknown".to_owned();
    };
    std::fs::read_to_string("/etc/passwd")
        .ok()
        .and_then(|p| user_for_uid(uid, &p))
        .unwrap_or_else(|| format!("uid-{uid}"))
}

/// The host name (`/proc/sys/kernel/hostname`, `/etc/hostname`, `$HOSTNAME`).
pub(crate) fn host_name() -> String {
    for p in ["/proc/sys/kernel/hostname", "/etc/hostname"] {
        if let Ok(s) = std::fs::read_to_string(p) {
            let s = s.trim();
            if !s.is_empty() {
                return s.to_owned();
            }
        }
    }
    std::env::var("HOSTNAME").unwrap_or_else(|_| "unknown".to_owned())
}

/// A user name as a file and stream name: `[A-Za-z0-9._-]`, others become `_`.
pub fn safe_name(user: &str) -> String {
    let s: String = user
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .take(200)
        .collect();
    if s.is_empty() || s.starts_with('.') {
        format!("u{s}")
    } else {
        s
    }
}

/// The stream file of the current user in `dir`.
pub(crate) fn stream_path(dir: &Path) -> PathBuf {
    dir.join(format!("{}.jsonl", safe_name(&os_user())))
}

fn stream_id(file: &Path) -> String {
    let stem = file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    format!("access/{stem}")
}

/// Appends an entry for the current user to the trail in [`trail_dir`].
pub fn record(entry: &TrailEntry) -> Result<u64, TrailError> {
    let dir = trail_dir()?;
    append(&dir, entry)
}

/// The entry of a `--no-trail` run of `entry`: who ran which command, when, and whether
/// unmasked or in a role view; not what it read or asked.
pub fn untracked(entry: &TrailEntry) -> TrailEntry {
    TrailEntry {
        command: entry.command.clone(),
        unmask: entry.unmask,
        role: entry.role.clone(),
        untracked: true,
        ..TrailEntry::default()
    }
}

/// The last complete line of `f` (None when empty); fails when the file does not end in LF.
fn last_line(f: &mut File, path: &Path) -> Result<Option<Vec<u8>>, TrailError> {
    let len = f.seek(SeekFrom::End(0)).map_err(io_err(path))?;
    if len == 0 {
        return Ok(None);
    }
    let mut window = 4096u64;
    loop {
        let start = len.saturating_sub(window);
        f.seek(SeekFrom::Start(start)).map_err(io_err(path))?;
        let mut buf = Vec::new();
        Read::by_ref(f)
            .take(len - start)
            .read_to_end(&mut buf)
            .map_err(io_err(path))?;
        if buf.last() != Some(&b'\n') {
            return Err(TrailError::Damaged {
                path: path.display().to_string(),
                line: 0,
                reason: "the last line is not terminated (cut short?); run `auditlens access-log --verify`".into(),
            });
        }
        let body = &buf[..buf.len() - 1];
        if let Some(i) = body.iter().rposition(|&b| b == b'\n') {
            return Ok(Some(body[i + 1..].to_vec()));
        }
        if start == 0 {
            return Ok(Some(body.to_vec()));
        }
        window = window.saturating_mul(4);
    }
}

/// Splits a trail line into (hash, rec bytes).
fn split_line(line: &[u8]) -> Option<(&str, &[u8])> {
    const PRE: &[u8] = b"{\"hash\":\"";
    const MID: &[u8] = b"\",\"rec\":";
    let rest = line.strip_prefix(PRE)?;
    if rest.len() < 64 + MID.len() + 1 {
        return None;
    }
    let hash = std::str::from_utf8(&rest[..64]).ok()?;
    let rest = rest[64..].strip_prefix(MID)?;
    let rec = rest.strip_suffix(b"}")?;
    Some((hash, rec))
}

/// Appends `entry` to the current user's stream in `dir`; returns its seq.
pub fn append(dir: &Path, entry: &TrailEntry) -> Result<u64, TrailError> {
    std::fs::create_dir_all(dir).map_err(io_err(dir))?;
    let path = stream_path(dir);
    let mut f = OpenOptions::new()
        .create(true)
        .read(true)
        .append(true)
        .open(&path)
        .map_err(io_err(&path))?;
    f.lock_exclusive().map_err(io_err(&path))?;
    let stream = stream_id(&path);
    let (seq, prev) = match last_line(&mut f, &path)? {
        None => (0, genesis_prev(&stream).to_hex()),
        Some(line) => {
            let damaged = |reason: &str| TrailError::Damaged {
                path: path.display().to_string(),
                line: 0,
                reason: format!("{reason}; run `auditlens access-log --verify`"),
            };
            let (hash, rec) = split_line(&line).ok_or_else(|| damaged("last line malformed"))?;
            let rec: Value =
                serde_json::from_slice(rec).map_err(|_| damaged("last record malformed"))?;
            let seq = rec["seq"]
                .as_u64()
                .ok_or_else(|| damaged("last record has no seq"))?;
            (seq + 1, hash.to_owned())
        }
    };
    let skipped_path = path.with_extension("skipped");
    let skipped: Vec<Value> = std::fs::read_to_string(&skipped_path)
        .map(|s| {
            s.lines()
                .filter_map(|l| serde_json::from_str(l).ok())
                .collect()
        })
        .unwrap_or_default();
    let user = os_user();
    let mut details = if entry.untracked {
        json!({
            "host": host_name(),
            "untracked": true,
            "unmask": entry.unmask,
            "role": entry.role,
            "pid": std::process::id(),
        })
    } else {
        json!({
            "host": host_name(),
            "bundle": entry.bundle,
            "inputs": entry.inputs,
            "query": entry.query,
            "filters": entry.filters,
            "export": entry.export,
            "unmask": entry.unmask,
            "role": entry.role,
            "pid": std::process::id(),
        })
    };
    let had_skipped = !skipped.is_empty();
    if had_skipped {
        details["no_trail_runs"] = Value::Array(skipped);
    }
    let rec = json!({
        "v": 1,
        "stream": stream,
        "seq": seq,
        "ts": Utc::now().to_rfc3339_opts(SecondsFormat::Nanos, true),
        "prev": prev,
        "action": format!("access.{}", entry.command),
        "category": "access",
        "actor": {"id": user, "type": "user"},
        "message": summary_line(entry),
        "details": details,
    });
    let rec_text = jcs::to_string(&rec).map_err(|e| TrailError::Damaged {
        path: path.display().to_string(),
        line: seq + 1,
        reason: format!("cannot encode the entry: {e}"),
    })?;
    let hash = record_hash(rec_text.as_bytes()).to_hex();
    let line = format!("{{\"hash\":\"{hash}\",\"rec\":{rec_text}}}\n");
    f.write_all(line.as_bytes()).map_err(io_err(&path))?;
    f.sync_data().map_err(io_err(&path))?;
    let head = path.with_extension("head");
    let tmp = path.with_extension("head.tmp");
    std::fs::write(&tmp, format!("{{\"seq\":{seq},\"hash\":\"{hash}\"}}\n"))
        .and_then(|()| std::fs::rename(&tmp, &head))
        .map_err(io_err(&head))?;
    if had_skipped {
        let _ = std::fs::remove_file(&skipped_path);
    }
    drop(f);
    Ok(seq)
}

fn summary_line(e: &TrailEntry) -> String {
    let mut s = e.command.clone();
    if e.untracked {
        s.push_str(" --no-trail (what it read and asked is not recorded)");
    }
    if let Some(q) = &e.query {
        let _ = write!(s, " query={q:?}");
    }
    if let Some(x) = &e.export {
        let _ = write!(s, " export={x}");
    }
    if e.unmask {
        s.push_str(" UNMASKED");
    }
    if let Some(r) = &e.role {
        let _ = write!(s, " role={r}");
    }
    s
}

/// One problem found by [`verify`].
#[derive(Debug, Clone, Serialize)]
pub struct TrailProblem {
    /// 1-based line.
    pub line: u64,
    /// What is wrong.
    pub reason: String,
}

/// Result of verifying one stream.
#[derive(Debug, Clone, Serialize)]
pub struct TrailCheck {
    /// The file.
    pub path: String,
    /// Lines read.
    pub entries: u64,
    /// Problems; empty when the chain holds.
    pub problems: Vec<TrailProblem>,
}

/// Reads a trail stream; calls `f(line, rec)` for every well-formed line, and checks the
/// chain (hash, seq, prev, termination, the head file).
pub(crate) fn read_stream(
    path: &Path,
    f: &mut dyn FnMut(u64, &Value),
) -> Result<TrailCheck, TrailError> {
    let file = File::open(path).map_err(io_err(path))?;
    let mut r = BufReader::new(file);
    let stream = stream_id(path);
    let mut expect_prev = genesis_prev(&stream).to_hex();
    let mut expect_seq = 0u64;
    let mut problems = Vec::new();
    let mut n = 0u64;
    let head_path = path.with_extension("head");
    let head: Option<Result<(u64, String), ()>> =
        std::fs::read_to_string(&head_path).ok().map(|text| {
            let h: Value = serde_json::from_str(&text).map_err(|_| ())?;
            Ok((
                h["seq"].as_u64().ok_or(())?,
                h["hash"].as_str().ok_or(())?.to_owned(),
            ))
        });
    let head_seq = head.as_ref().and_then(|h| h.as_ref().ok()).map(|h| h.0);
    let mut head_hash_seen: Option<String> = None;
    let mut buf = Vec::new();
    loop {
        buf.clear();
        let got = r.read_until(b'\n', &mut buf).map_err(io_err(path))?;
        if got == 0 {
            break;
        }
        n += 1;
        let mut prob = |reason: String| problems.push(TrailProblem { line: n, reason });
        if buf.last() == Some(&b'\n') {
            buf.pop();
        } else {
            prob("last line is not terminated: the trail was cut short".into());
        }
        let Some((hash, rec_bytes)) = split_line(&buf) else {
            prob("not a sealed record line".into());
            continue;
        };
        if record_hash(rec_bytes).to_hex() != hash {
            prob("MODIFIED: the record does not match its hash".into());
        }
        let rec: Value = match serde_json::from_slice(rec_bytes) {
            Ok(v) => v,
            Err(e) => {
                prob(format!("MALFORMED: {e}"));
                continue;
            }
        };
        match rec["seq"].as_u64() {
            Some(s) if s == expect_seq => {}
            Some(s) => prob(format!(
                "seq {s} where {expect_seq} was expected (lines deleted or inserted)"
            )),
            None => prob("no seq".into()),
        }
        if rec["prev"].as_str() != Some(expect_prev.as_str()) {
            prob("prev does not chain to the line before".into());
        }
        if rec["stream"].as_str() != Some(stream.as_str()) {
            prob(format!("stream is not {stream}"));
        }
        if rec["seq"].as_u64().is_some() && rec["seq"].as_u64() == head_seq {
            head_hash_seen = Some(hash.to_owned());
        }
        hash.clone_into(&mut expect_prev);
        expect_seq = rec["seq"].as_u64().unwrap_or(expect_seq) + 1;
        f(n, &rec);
    }
    match &head {
        Some(Ok((hseq, hhash))) => {
            // The head may lag by an entry after a crash between the two writes; it may
            // never be ahead of the trail or disagree with the line it names.
            let last = expect_seq.checked_sub(1);
            let ok = last.is_some_and(|l| *hseq <= l)
                && head_hash_seen.as_deref() == Some(hhash.as_str());
            if !ok {
                problems.push(TrailProblem {
                    line: n + 1,
                    reason: format!(
                        "TRUNCATED or rewritten: the head file records seq {hseq} ({}...) but the trail ends at seq {}",
                        &hhash[..hhash.len().min(12)],
                        last.map_or_else(|| "-".into(), |l| l.to_string())
                    ),
                });
            }
        }
        Some(Err(())) => problems.push(TrailProblem {
            line: n + 1,
            reason: format!("{} is malformed", head_path.display()),
        }),
        None if n > 0 => problems.push(TrailProblem {
            line: n + 1,
            reason: format!("{} is missing", head_path.display()),
        }),
        None => {}
    }
    Ok(TrailCheck {
        path: path.display().to_string(),
        entries: n,
        problems,
    })
}

/// Every stream file in `dir`, sorted.
pub fn streams(dir: &Path) -> Result<Vec<PathBuf>, TrailError> {
    if !dir.exists() {
        return Ok(Vec::new());
    }
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(io_err(dir))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .collect();
    v.sort();
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn append_and_verify_and_detect_edit() {
        let d = tempfile::tempdir().unwrap();
        for i in 0..3 {
            let e = TrailEntry {
                command: "search".into(),
                query: Some(format!("q{i}")),
                ..TrailEntry::default()
            };
            assert_eq!(append(d.path(), &e).unwrap(), i);
        }
        let p = stream_path(d.path());
        let c = read_stream(&p, &mut |_, _| {}).unwrap();
        assert_eq!(c.entries, 3);
        assert!(c.problems.is_empty(), "{:?}", c.problems);
        // A head one entry behind (a crash between the two writes) is not an alarm.
        let head = p.with_extension("head");
        let head_text = std::fs::read_to_string(&head).unwrap();
        let lines: Vec<String> = std::fs::read_to_string(&p)
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect();
        let h1 = &lines[1][9..73];
        std::fs::write(&head, format!("{{\"seq\":1,\"hash\":\"{h1}\"}}\n")).unwrap();
        assert!(read_stream(&p, &mut |_, _| {}).unwrap().problems.is_empty());
        // One that names a hash the trail does not have is.
        std::fs::write(
            &head,
            format!("{{\"seq\":1,\"hash\":\"{}\"}}\n", "0".repeat(64)),
        )
        .unwrap();
        assert_eq!(read_stream(&p, &mut |_, _| {}).unwrap().problems.len(), 1);
        std::fs::write(&head, head_text).unwrap();
        let text = std::fs::read_to_string(&p).unwrap();
        std::fs::write(&p, text.replacen("\"q1\"", "\"qX\"", 1)).unwrap();
        let c = read_stream(&p, &mut |_, _| {}).unwrap();
        assert_eq!(c.problems[0].line, 2);
    }
}
