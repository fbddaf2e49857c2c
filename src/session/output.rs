//! Files the front ends write for someone else (exports, reports), with one set of
//! safeguards shared by `auditlens export` / `report` and the explorer's `:export` /
//! `:report`: `~` expanded, an existing file never replaced unless asked, the bytes written
//! under a temporary name and renamed when complete (a reader never sees half a file), and
//! a `sha256sum` sidecar `FILE.sha256`.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::model::{AuditEvent, safe_json};
use crate::privacy::Masker;
use crate::store::{Scan, Selection, Store, StoreError};

/// Events fetched per page while exporting.
const PAGE: usize = 2000;

/// What was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    /// The file.
    pub path: PathBuf,
    /// Its checksum file.
    pub sidecar: PathBuf,
    /// Bytes written.
    pub bytes: u64,
    /// SHA-256 of the file (hex).
    pub sha256: String,
}

/// `~` and `~/...` made absolute with `$HOME` (a shell would; the explorer's command line
/// is no shell). Anything else is returned as given.
pub(crate) fn expand_home(arg: &str) -> PathBuf {
    let home = std::env::var_os("HOME").filter(|h| !h.is_empty());
    match (arg, home) {
        ("~", Some(h)) => PathBuf::from(h),
        (a, Some(h)) if a.starts_with("~/") => PathBuf::from(h).join(&a[2..]),
        (a, _) => PathBuf::from(a),
    }
}

/// The path as an absolute one (for the access trail), else as given.
pub fn absolute(p: &Path) -> PathBuf {
    std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf())
}

/// True when writing `path` would replace a file that exists and `force` was not given.
pub fn refuses(path: &Path, force: bool) -> bool {
    !force && path.symlink_metadata().is_ok()
}

/// `FILE.sha256`.
pub(crate) fn sidecar(out: &Path) -> PathBuf {
    let mut name = out
        .file_name()
        .map(std::ffi::OsStr::to_os_string)
        .unwrap_or_default();
    name.push(".sha256");
    out.with_file_name(name)
}

fn tmp_path(out: &Path) -> PathBuf {
    let mut name = out
        .file_name()
        .map(std::ffi::OsStr::to_os_string)
        .unwrap_or_default();
    name.push(format!(".partial-{}", std::process::id()));
    out.with_file_name(name)
}

/// Hashes everything written through it.
struct HashingWriter<W: Write> {
    inner: W,
    sha: Sha256,
    bytes: u64,
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.sha.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Writes `out` with what `fill` writes: refused when it exists and `force` is false, else
/// through a temporary file renamed into place, then its `sha256sum` sidecar. A failed
/// `fill` leaves nothing behind (an existing file stays as it was).
pub(crate) fn write_file<T>(
    out: &Path,
    force: bool,
    fill: impl FnOnce(&mut dyn Write) -> Result<T>,
) -> Result<(T, Written)> {
    if refuses(out, force) {
        bail!("{} exists", out.display());
    }
    if out.file_name().is_none() {
        bail!("{} names no file", out.display());
    }
    let tmp = tmp_path(out);
    let created = File::create(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
    let mut w = HashingWriter {
        inner: BufWriter::new(created),
        sha: Sha256::new(),
        bytes: 0,
    };
    let value = match fill(&mut w).and_then(|v| w.flush().map(|()| v).map_err(Into::into)) {
        Ok(v) => v,
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
    };
    let HashingWriter { inner, sha, bytes } = w;
    let done = inner
        .into_inner()
        .map_err(std::io::IntoInnerError::into_error)
        .and_then(|f| f.sync_all());
    if let Err(e) = done {
        let _ = std::fs::remove_file(&tmp);
        return Err(e).with_context(|| format!("writing {}", tmp.display()));
    }
    if let Err(e) = std::fs::rename(&tmp, out) {
        let _ = std::fs::remove_file(&tmp);
        return Err(e).with_context(|| format!("renaming {} to {}", tmp.display(), out.display()));
    }
    let sha256 = crate::integrity::Digest32(sha.finalize().into()).to_hex();
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let side = sidecar(out);
    std::fs::write(&side, format!("{sha256}  {name}\n"))
        .with_context(|| format!("writing {}", side.display()))?;
    Ok((
        value,
        Written {
            path: out.to_path_buf(),
            sidecar: side,
            bytes,
            sha256,
        },
    ))
}

/// The event as an event-model record (`event-model.md`), which auditlens reads back as the
/// same event. Its source location and integrity status are not part of the event model and
/// are left out (the OCSF export keeps them under `unmapped`).
pub(crate) fn event_record(ev: &AuditEvent) -> Value {
    let mut v = serde_json::to_value(ev).unwrap_or(Value::Null);
    if let Value::Object(m) = &mut v {
        m.remove("ts_quality");
        m.remove("integrity");
        m.remove("origin");
        if m.get("details").is_some_and(Value::is_null) {
            m.remove("details");
        }
    }
    v
}

/// The JSON-lines export encoder: one event-model record per line.
pub(crate) fn jsonl_line(ev: &AuditEvent, w: &mut dyn Write) -> Result<()> {
    safe_json::write_line(w, &event_record(ev))?;
    Ok(())
}

/// Writes every match of `sel`, oldest first, one keyset page at a time (the same cost at
/// any depth), each event masked with `masker` and then encoded by `encode`. Returns the
/// number of events written. A refused query names where it went wrong.
pub fn write_events(
    store: &dyn Store,
    sel: &Selection,
    masker: &Masker,
    w: &mut dyn Write,
    encode: &mut dyn FnMut(&AuditEvent, &mut dyn Write) -> Result<()>,
) -> Result<u64> {
    let mut written = 0u64;
    for page in Scan::new(store, sel.clone(), PAGE) {
        let hits = match page {
            Ok(p) => p,
            Err(StoreError::Query(qe)) => {
                let mut msg = format!("query error: {qe}");
                if let Some(p) = qe.pointer(&sel.query) {
                    msg.push('\n');
                    msg.push_str(&p);
                }
                bail!(msg);
            }
            Err(e) => return Err(e).context("searching"),
        };
        for h in &hits {
            encode(&masker.mask_event(&h.event), w)?;
            written += 1;
        }
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_existing_file_is_refused_unless_forced_and_the_sidecar_names_the_digest() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("a.jsonl");
        let ((), w) = write_file(&out, false, |w| Ok(w.write_all(b"one\n")?)).unwrap();
        assert_eq!(std::fs::read(&out).unwrap(), b"one\n");
        let side = std::fs::read_to_string(&w.sidecar).unwrap();
        assert_eq!(
            side,
            format!("{}  a.jsonl\n", crate::integrity::sha256(b"one\n").to_hex())
        );
        let e = write_file(&out, false, |w| Ok(w.write_all(b"two\n")?)).unwrap_err();
        assert!(e.to_string().contains("exists"), "{e}");
        assert_eq!(std::fs::read(&out).unwrap(), b"one\n");
        write_file(&out, true, |w| Ok(w.write_all(b"two\n")?)).unwrap();
        assert_eq!(std::fs::read(&out).unwrap(), b"two\n");
        // A failed fill leaves the old file and no temporary file.
        let e = write_file(&out, true, |_| -> Result<()> { bail!("boom") }).unwrap_err();
        assert_eq!(e.to_string(), "boom");
        assert_eq!(std::fs::read(&out).unwrap(), b"two\n");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
    }

    #[test]
    fn tilde_is_the_home_folder() {
        let home = std::env::var_os("HOME").map(PathBuf::from);
        if let Some(h) = home.filter(|h| !h.as_os_str().is_empty()) {
            assert_eq!(expand_home("~/x/y.jsonl"), h.join("x/y.jsonl"));
            assert_eq!(expand_home("~"), h);
        }
        assert_eq!(expand_home("~bob/x"), PathBuf::from("~bob/x"));
        assert_eq!(expand_home("rel/x"), PathBuf::from("rel/x"));
    }
}
