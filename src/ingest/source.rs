//! Input sources: folders, `.tar` / `.tar.gz` archives, gzip files and single files, each
//! turned into a sequence of members read as streams. Nothing is extracted to disk, links
//! are never followed, and no archive member may reach outside the bundle.

use std::fs::{self, File};
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use flate2::read::MultiGzDecoder;

use super::error::{ErrorKind, IngestError};

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Receives each member of an input: its display path and a buffered reader.
pub trait MemberVisitor {
    /// Reads one member.
    fn member(&mut self, display: &str, reader: &mut dyn BufRead);
    /// A problem with an input or member (unsafe path, unreadable archive...).
    fn problem(&mut self, error: IngestError);
}

/// Sees the raw bytes of every input file a load reads, as they are read (the content
/// digest of the inputs is hashed from the same read as the records).
pub trait FileTap: Send + Sync {
    /// A file is opened for loading: what should see its bytes, if anything.
    fn open(&self, path: &Path) -> Option<Box<dyn FileReadObserver>>;

    /// The load reads the file at `path` as a tar archive: what should see the archive's
    /// bytes (gunzipped) as the load's archive reader takes them, up to where it stops.
    fn open_archive(&self, path: &Path) -> Option<Box<dyn FileReadObserver>> {
        let _ = path;
        None
    }
}

/// Sees the raw bytes of one input file, in order from its first byte.
pub trait FileReadObserver: Send {
    /// The next bytes read.
    fn bytes(&mut self, bytes: &[u8]);
    /// The file was read to its end (not called when the read stopped before it).
    fn end(self: Box<Self>);
}

/// Shows every file to two taps (the content digest's and the verifier's).
pub struct BothTaps(pub Arc<dyn FileTap>, pub Arc<dyn FileTap>);

impl FileTap for BothTaps {
    fn open(&self, path: &Path) -> Option<Box<dyn FileReadObserver>> {
        both(self.0.open(path), self.1.open(path))
    }

    fn open_archive(&self, path: &Path) -> Option<Box<dyn FileReadObserver>> {
        both(self.0.open_archive(path), self.1.open_archive(path))
    }
}

fn both(
    a: Option<Box<dyn FileReadObserver>>,
    b: Option<Box<dyn FileReadObserver>>,
) -> Option<Box<dyn FileReadObserver>> {
    match (a, b) {
        (Some(a), Some(b)) => Some(Box::new(Both(a, b))),
        (a, b) => a.or(b),
    }
}

/// Shows what a reader gives to an observer, as it is read (an archive's bytes after
/// gunzip, to [`FileTap::open_archive`]); `end` once the reader gave its end.
struct Observed<R: Read> {
    inner: R,
    observer: Option<Box<dyn FileReadObserver>>,
}

impl<R: Read> Read for Observed<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n > 0 {
            if let Some(o) = self.observer.as_mut() {
                o.bytes(&buf[..n]);
            }
        } else if !buf.is_empty()
            && let Some(o) = self.observer.take()
        {
            o.end();
        }
        Ok(n)
    }
}

struct Both(Box<dyn FileReadObserver>, Box<dyn FileReadObserver>);

impl FileReadObserver for Both {
    fn bytes(&mut self, bytes: &[u8]) {
        self.0.bytes(bytes);
        self.1.bytes(bytes);
    }

    fn end(self: Box<Self>) {
        let Both(a, b) = *self;
        a.end();
        b.end();
    }
}

/// Longest tail of a file read after the load stopped reading it (an archive's padding
/// after its end marker), so that its tap sees the whole file.
const MAX_TAIL_BYTES: u64 = 8 << 20;

/// Counts the raw bytes read from disk, for progress, and shows them to a [`FileTap`].
#[derive(Clone, Default)]
pub struct ByteCounter {
    bytes: Arc<AtomicU64>,
    tap: Option<Arc<dyn FileTap>>,
}

impl ByteCounter {
    /// A counter whose files are also shown to `tap`.
    pub(crate) fn with_tap(tap: Option<Arc<dyn FileTap>>) -> Self {
        Self {
            bytes: Arc::default(),
            tap,
        }
    }

    /// Bytes read so far.
    pub fn get(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }
}

struct Counting<R: Read> {
    inner: R,
    counter: ByteCounter,
    /// The file's tap, until the file's end was seen.
    observer: Option<Box<dyn FileReadObserver>>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.counter.bytes.fetch_add(n as u64, Ordering::Relaxed);
        if let Some(o) = self.observer.as_mut() {
            if n > 0 {
                o.bytes(&buf[..n]);
            } else if !buf.is_empty()
                && let Some(o) = self.observer.take()
            {
                o.end();
            }
        }
        Ok(n)
    }
}

impl<R: Read> Drop for Counting<R> {
    /// A load that stopped before the file's end (an archive reader stops at its end
    /// marker) leaves a tail: show it to the tap when it is short, so the tap sees the
    /// whole file from this one read; a long one (a cancelled load) is left unread.
    fn drop(&mut self) {
        let Some(mut o) = self.observer.take() else {
            return;
        };
        let mut buf = vec![0u8; 64 * 1024];
        let mut tail = 0u64;
        while tail <= MAX_TAIL_BYTES {
            match self.inner.read(&mut buf) {
                Ok(0) => {
                    o.end();
                    return;
                }
                Ok(n) => {
                    tail += n as u64;
                    o.bytes(&buf[..n]);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => return,
            }
        }
    }
}

/// Files of a native bundle that are not record streams.
fn is_bundle_metadata(rel: &str) -> bool {
    rel == "manifest.json" || rel == "manifest.sig" || rel.starts_with("files/")
}

/// What a path named on the command line is. Links named there are the user's choice and
/// are followed; inside folders they never are.
pub(crate) fn input_kind(p: &Path) -> io::Result<InputKind> {
    let meta =
        fs::metadata(p).map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", p.display())))?;
    let ft = meta.file_type();
    if ft.is_dir() {
        Ok(InputKind::Folder)
    } else if ft.is_file() {
        Ok(InputKind::File(meta.len()))
    } else {
        Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "{}: not a regular file or folder ({}): refused",
                p.display(),
                special_kind(ft)
            ),
        ))
    }
}

/// A top-level input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    /// A folder (or a link to one).
    Folder,
    /// A regular file (or a link to one), with its size.
    File(u64),
}

/// Names a file type that is neither a regular file nor a folder.
fn special_kind(ft: fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt as _;
        if ft.is_fifo() {
            return "a FIFO";
        }
        if ft.is_char_device() {
            return "a character device";
        }
        if ft.is_block_device() {
            return "a block device";
        }
        if ft.is_socket() {
            return "a socket";
        }
    }
    if ft.is_symlink() {
        "a symbolic link"
    } else {
        "a special file"
    }
}

/// One entry found under the inputs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputEntry {
    /// Its path.
    pub path: PathBuf,
    /// Its size when it is a regular file, `None` for what is not loaded (a link or special
    /// file inside a folder, a folder that cannot be listed): the load reports those.
    pub len: Option<u64>,
}

/// Everything under the inputs, in the order it is loaded: regular files with their sizes
/// (for progress and cache keys), and the entries that are not loaded but reported. Inputs
/// that do not exist, or that are neither a regular file nor a folder, are an error (the
/// caller stops with exit code 2).
pub(crate) fn input_listing(paths: &[PathBuf]) -> io::Result<Vec<InputEntry>> {
    let mut out = Vec::new();
    for p in paths {
        match input_kind(p)? {
            InputKind::Folder => walk(p, &mut out),
            InputKind::File(len) => out.push(InputEntry {
                path: p.clone(),
                len: Some(len),
            }),
        }
    }
    Ok(out)
}

/// The regular files of the inputs with their sizes ([`input_listing`] without the rest).
pub(crate) fn input_files(paths: &[PathBuf]) -> io::Result<Vec<(PathBuf, u64)>> {
    Ok(input_listing(paths)?
        .into_iter()
        .filter_map(|e| Some((e.path, e.len?)))
        .collect())
}

fn walk(dir: &Path, out: &mut Vec<InputEntry>) {
    let Ok(rd) = fs::read_dir(dir) else {
        out.push(InputEntry {
            path: dir.to_path_buf(),
            len: None,
        });
        return;
    };
    let mut entries: Vec<_> = rd.filter_map(Result::ok).collect();
    entries.sort_by_key(std::fs::DirEntry::file_name);
    for e in entries {
        let ft = e.file_type().ok();
        if ft.is_some_and(|t| t.is_dir()) {
            walk(&e.path(), out);
            continue;
        }
        let len = ft
            .filter(fs::FileType::is_file)
            .and_then(|_| e.metadata().ok())
            .map(|m| m.len());
        out.push(InputEntry {
            path: e.path(),
            len,
        });
    }
}

/// Visits every member of every input, in a stable order.
pub(crate) fn visit_inputs(paths: &[PathBuf], counter: &ByteCounter, v: &mut dyn MemberVisitor) {
    for p in paths {
        let display = p.display().to_string();
        match input_kind(p) {
            Ok(InputKind::Folder) => visit_dir(p, p, counter, v),
            Ok(InputKind::File(_)) => visit_file(p, &display, counter, v),
            Err(e) => v.problem(IngestError::file(
                &display,
                None,
                ErrorKind::Io,
                e.to_string(),
            )),
        }
    }
}

fn is_bundle_folder(dir: &Path) -> bool {
    fs::read(dir.join("manifest.json")).is_ok_and(|b| is_bundle_manifest(&b))
}

fn visit_dir(root: &Path, dir: &Path, counter: &ByteCounter, v: &mut dyn MemberVisitor) {
    let is_bundle = is_bundle_folder(root);
    let mut entries =
        match fs::read_dir(dir).and_then(std::iter::Iterator::collect::<Result<Vec<_>, _>>) {
            Ok(e) => e,
            Err(e) => {
                v.problem(IngestError::file(
                    &dir.display().to_string(),
                    None,
                    ErrorKind::Io,
                    format!("cannot list this folder: {e}; nothing in it is loaded"),
                ));
                return;
            }
        };
    entries.sort_by_key(std::fs::DirEntry::file_name);
    for e in entries {
        let path = e.path();
        let display = path.display().to_string();
        let rel = path
            .strip_prefix(root)
            .map(|r| r.to_string_lossy().replace('\\', "/"))
            .unwrap_or_default();
        match e.file_type() {
            // A bundle folder inside a folder of exports is its own root: its manifest and
            // signature are metadata, not records.
            Ok(ft) if ft.is_dir() && !is_bundle && is_bundle_folder(&path) => {
                visit_dir(&path, &path, counter, v);
            }
            Ok(ft) if ft.is_dir() => visit_dir(root, &path, counter, v),
            Ok(ft) if ft.is_file() => {
                if !(is_bundle && is_bundle_metadata(&rel)) {
                    visit_file(&path, &display, counter, v);
                }
            }
            Ok(ft) => {
                let what = special_kind(ft);
                v.problem(IngestError::file(
                    &display,
                    None,
                    ErrorKind::Unsafe,
                    format!("{what}: not followed, not loaded"),
                ));
            }
            Err(err) => v.problem(IngestError::file(
                &display,
                None,
                ErrorKind::Io,
                err.to_string(),
            )),
        }
    }
}

/// Opens a file as a stream (gunzipped when it is gzip) and reads its first 512 bytes.
fn open_stream(path: &Path, counter: &ByteCounter) -> io::Result<(Vec<u8>, Box<dyn Read>)> {
    {
        let file = File::open(path)?;
        let counting = Counting {
            inner: file,
            counter: counter.clone(),
            observer: counter.tap.as_ref().and_then(|t| t.open(path)),
        };
        let mut raw = BufReader::with_capacity(256 * 1024, counting);
        let gz = raw.fill_buf()?.starts_with(&GZIP_MAGIC);
        let mut inner: Box<dyn Read> = if gz {
            Box::new(MultiGzDecoder::new(raw))
        } else {
            Box::new(raw)
        };
        let head = read_head(&mut inner, 512)?;
        Ok((head, inner))
    }
}

fn visit_file(path: &Path, display: &str, counter: &ByteCounter, v: &mut dyn MemberVisitor) {
    let (head, rest) = match open_stream(path, counter) {
        Ok(r) => r,
        Err(e)
            if e.kind() == io::ErrorKind::NotFound
                || e.kind() == io::ErrorKind::PermissionDenied =>
        {
            v.problem(IngestError::file(
                display,
                None,
                ErrorKind::Io,
                format!("cannot open: {e}"),
            ));
            return;
        }
        Err(e) => {
            v.problem(IngestError::file(
                display,
                Some(1),
                ErrorKind::Truncated,
                format!("unreadable stream: {e}"),
            ));
            return;
        }
    };
    let is_tar = is_tar_head(&head);
    let reader = io::Cursor::new(head).chain(rest);
    if is_tar {
        // Member order is the archive writer's choice: find the bundle manifest first (a
        // listing pass, not counted as progress), so that its metadata is never loaded.
        let root = open_stream(path, &ByteCounter::default())
            .ok()
            .and_then(|(h, r)| tar_bundle_root(io::Cursor::new(h).chain(r)));
        let observer = counter.tap.as_ref().and_then(|t| t.open_archive(path));
        let reader = Observed {
            inner: reader,
            observer,
        };
        visit_tar(display, reader, root, v);
    } else {
        v.member(display, &mut BufReader::with_capacity(256 * 1024, reader));
    }
}

/// How ingest and the verifier name copy `copy` of the archive member shown as `shown`: the
/// first copy keeps its name, later ones get ` (copy N)`, so that every copy of a path an
/// archive holds more than once (`FILE_DUPLICATE`) has an identity of its own.
pub(crate) fn copy_display(shown: String, copy: u32) -> String {
    if copy <= 1 {
        shown
    } else {
        format!("{shown} (copy {copy})")
    }
}

/// Whether a tar entry of this type is structure (a folder, or a header extension such as
/// a long name) rather than a member with content.
pub(crate) fn is_tar_structure(kind: tar::EntryType) -> bool {
    kind.is_dir()
        || matches!(
            kind,
            tar::EntryType::XGlobalHeader
                | tar::EntryType::XHeader
                | tar::EntryType::GNULongName
                | tar::EntryType::GNULongLink
        )
}

/// Whether the first bytes of a (gunzipped) stream are a tar header.
fn is_tar_head(head: &[u8]) -> bool {
    head.get(257..262) == Some(b"ustar".as_slice())
}

/// Whether the file at `path` is a tar archive, gzipped or not, judged by its content (its
/// name does not matter); `false` when it cannot be read.
pub(crate) fn is_tar_archive(path: &Path) -> bool {
    path.is_file()
        && open_stream(path, &ByteCounter::default()).is_ok_and(|(head, _)| is_tar_head(&head))
}

/// Reads up to `n` bytes (fewer at the end of the stream).
fn read_head(r: &mut dyn Read, n: usize) -> io::Result<Vec<u8>> {
    let mut head = Vec::with_capacity(n);
    r.take(n as u64).read_to_end(&mut head)?;
    Ok(head)
}

/// Whether the file at `path` is a tar / tar.gz archive holding an auditlens bundle manifest
/// (read up to that manifest: the first member in the archives auditlens writes).
pub(crate) fn is_bundle_archive(path: &Path) -> bool {
    path.is_file()
        && open_stream(path, &ByteCounter::default()).is_ok_and(|(head, rest)| {
            is_tar_head(&head) && tar_bundle_root(io::Cursor::new(head).chain(rest)).is_some()
        })
}

/// Whether `bytes` are an auditlens bundle manifest (as opposed to any other
/// `manifest.json`, such as an `MLflow` export's).
pub(crate) fn is_bundle_manifest(bytes: &[u8]) -> bool {
    serde_json::from_slice::<serde_json::Value>(bytes)
        .ok()
        .and_then(|v| {
            v.get("format")
                .and_then(|f| f.as_str())
                .map(|f| f.starts_with("auditlens-bundle/"))
        })
        .unwrap_or(false)
}

/// A tar member path is safe when it is relative and never climbs with `..`.
pub(crate) fn safe_member_path(p: &Path) -> Option<String> {
    let mut parts = Vec::new();
    for c in p.components() {
        match c {
            Component::Normal(s) => parts.push(s.to_str()?.to_owned()),
            Component::CurDir => {}
            Component::ParentDir | Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    if parts.is_empty() {
        None
    } else {
        Some(parts.join("/"))
    }
}

/// The folder prefix (`""` or `"top/"`) of an auditlens bundle manifest in a tar, if any.
fn tar_bundle_root(reader: impl Read) -> Option<String> {
    let mut archive = tar::Archive::new(reader);
    for entry in archive.entries().ok()? {
        let mut entry = entry.ok()?;
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let Some(rel) = entry.path().ok().and_then(|p| safe_member_path(&p)) else {
            continue;
        };
        let top = match rel.split_once('/') {
            None if rel == "manifest.json" => String::new(),
            Some((top, "manifest.json")) => format!("{top}/"),
            _ => continue,
        };
        let mut bytes = Vec::new();
        if (&mut entry).take(64 << 20).read_to_end(&mut bytes).is_ok() && is_bundle_manifest(&bytes)
        {
            return Some(top);
        }
    }
    None
}

/// The name of this member of the archive `display`: `archive!rel`, with ` (copy N)` when the
/// archive has held `rel` before (each copy is loaded under its own name, and reported).
fn member_copy_name(
    display: &str,
    rel: &str,
    copies: &mut std::collections::HashMap<String, u32>,
    v: &mut dyn MemberVisitor,
) -> String {
    let n = copies.entry(rel.to_owned()).or_insert(0);
    *n += 1;
    let shown = copy_display(format!("{display}!{rel}"), *n);
    if *n > 1 {
        v.problem(IngestError::file(
            &shown,
            None,
            ErrorKind::Unsafe,
            format!(
                "the archive holds `{rel}` more than once: this copy is loaded under its own \
                 name, and no record of any copy is verified"
            ),
        ));
    }
    shown
}

fn visit_tar(
    display: &str,
    reader: impl Read,
    known_root: Option<String>,
    v: &mut dyn MemberVisitor,
) {
    let mut archive = tar::Archive::new(reader);
    let entries = match archive.entries() {
        Ok(e) => e,
        Err(e) => {
            v.problem(IngestError::file(
                display,
                None,
                ErrorKind::Truncated,
                format!("unreadable tar archive: {e}"),
            ));
            return;
        }
    };
    // Members are read in archive order. When a bundle manifest is met (at the root or
    // under one top-level folder), its signature and `files/` artefacts are not records.
    let mut bundle_root: Option<String> = known_root;
    // How often each normalised path has been met: every copy is loaded, under a name of
    // its own, and reported.
    let mut copies: std::collections::HashMap<String, u32> = std::collections::HashMap::new();
    for entry in entries {
        let mut entry = match entry {
            Ok(e) => e,
            Err(e) => {
                v.problem(IngestError::file(
                    display,
                    None,
                    ErrorKind::Truncated,
                    format!("tar archive ends early or is corrupt: {e}"),
                ));
                return;
            }
        };
        let raw_path = entry
            .path()
            .map(std::borrow::Cow::into_owned)
            .unwrap_or_default();
        let shown = format!("{display}!{}", raw_path.display());
        let kind = entry.header().entry_type();
        if is_tar_structure(kind) {
            continue;
        }
        if !kind.is_file() {
            v.problem(IngestError::file(
                &shown,
                None,
                ErrorKind::Unsafe,
                "link or special member: not followed, not loaded",
            ));
            continue;
        }
        let Some(rel) = safe_member_path(&raw_path) else {
            v.problem(IngestError::file(
                &shown,
                None,
                ErrorKind::Unsafe,
                "member path is absolute or contains `..`: not loaded",
            ));
            continue;
        };
        let shown = member_copy_name(display, &rel, &mut copies, v);
        let (top, name) = match rel.split_once('/') {
            Some((top, rest)) if !rest.contains('/') => (format!("{top}/"), rest),
            _ => (String::new(), rel.as_str()),
        };
        if name == "manifest.json" && (top.is_empty() || !rel[top.len()..].contains('/')) {
            let mut bytes = Vec::new();
            if (&mut entry).take(64 << 20).read_to_end(&mut bytes).is_ok()
                && is_bundle_manifest(&bytes)
            {
                bundle_root = Some(top);
                continue;
            }
            v.member(&shown, &mut io::Cursor::new(bytes));
            continue;
        }
        if let Some(root) = &bundle_root
            && let Some(in_bundle) = rel.strip_prefix(root.as_str())
            && is_bundle_metadata(in_bundle)
        {
            continue;
        }
        let mut inner = BufReader::with_capacity(256 * 1024, &mut entry);
        let gz = matches!(inner.fill_buf(), Ok(b) if b.starts_with(&GZIP_MAGIC));
        if gz {
            let mut dec = BufReader::with_capacity(256 * 1024, MultiGzDecoder::new(inner));
            v.member(&shown, &mut dec);
        } else {
            v.member(&shown, &mut inner);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn member_paths_never_escape() {
        assert_eq!(
            safe_member_path(Path::new("streams/a.jsonl")).as_deref(),
            Some("streams/a.jsonl")
        );
        assert_eq!(safe_member_path(Path::new("./b/c")).as_deref(), Some("b/c"));
        assert_eq!(safe_member_path(Path::new("../etc/passwd")), None);
        assert_eq!(safe_member_path(Path::new("a/../../x")), None);
        assert_eq!(safe_member_path(Path::new("/etc/passwd")), None);
        assert_eq!(safe_member_path(Path::new("")), None);
    }

    #[test]
    fn bundle_metadata_is_not_loaded_as_records() {
        assert!(is_bundle_metadata("manifest.json"));
        assert!(is_bundle_metadata("files/card.json"));
        assert!(!is_bundle_metadata("streams/a.jsonl"));
        assert!(is_bundle_manifest(
            br#"{"format":"auditlens-bundle/v1","files":[]}"#
        ));
        assert!(!is_bundle_manifest(br#"{"info":{"mlflow_version":"2.0"}}"#));
        assert!(!is_bundle_manifest(b"not json"));
    }
}
