//! Reading a bundle as it stands, folder or `.tar` / `.tar.gz`, member by member as streams:
//! nothing is extracted, links are never followed, unsafe members are only reported.

use std::fs::{self, File};
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use flate2::read::MultiGzDecoder;

use super::IntegrityError;
use crate::ingest::{copy_display, safe_member_path};

/// Largest manifest.json / manifest.sig read.
const MAX_META_BYTES: u64 = 64 << 20;

/// A member of the bundle other than manifest.json and manifest.sig.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// Bundle-relative path, normalised (for an unsafe member: its path as stored; for a
    /// member outside the bundle's top folder: its whole archive path).
    pub rel: String,
    /// Why it is unsafe (link, special file, absolute path, `..`), or `None` when regular.
    pub unsafe_reason: Option<String>,
    /// Which occurrence of `rel` this is, in archive order: 1 for the first. An archive can
    /// hold several members whose normalised paths are equal (`FILE_DUPLICATE`).
    pub copy: u32,
    /// A tar member that lies outside the folder holding the manifest: never a bundle file.
    pub outside_root: bool,
}

impl Member {
    fn regular(rel: String) -> Self {
        Self {
            rel,
            unsafe_reason: None,
            copy: 1,
            outside_root: false,
        }
    }

    fn refused(rel: String, reason: &str) -> Self {
        Self {
            rel,
            unsafe_reason: Some(reason.to_owned()),
            copy: 1,
            outside_root: false,
        }
    }
}

#[derive(Debug, Clone)]
enum Kind {
    Folder,
    Tar { gz: bool },
}

/// Called with each member read: its bundle path, copy number and reader.
pub(crate) type MemberFn<'a> = dyn FnMut(&str, u32, &mut dyn BufRead) -> io::Result<()> + 'a;

/// Called with the root (`""` or `"top/"`) and the bytes of the first manifest a streaming
/// open meets.
pub(crate) type ManifestFn<'a> = dyn FnMut(&str, &[u8]) + 'a;

/// What a streaming open of a tar read as it listed ([`BundleSource::open_streaming`]).
#[derive(Debug, Clone)]
pub(crate) struct Streamed {
    /// False when the members were read under a root the bundle turned out not to have (a
    /// top-level manifest after a nested one): nothing read while listing counts then.
    pub(crate) valid: bool,
    /// The members met before the manifest (bundle path, copy), not read while listing.
    pub(crate) early: Vec<(String, u32)>,
}

/// An opened bundle: its metadata files and member list.
#[derive(Debug, Clone)]
pub struct BundleSource {
    path: PathBuf,
    kind: Kind,
    /// Prefix of every member inside a tar (`""` or `"top/"`).
    root: String,
    /// manifest.json bytes, when present.
    pub manifest: Option<Vec<u8>>,
    /// manifest.sig bytes, when present.
    pub sig: Option<Vec<u8>>,
    /// How many members are named manifest.json and manifest.sig at the bundle root (more
    /// than one is `FILE_DUPLICATE`: then nothing is authenticated).
    pub meta_copies: (u32, u32),
    /// Every other member, sorted by path then copy.
    pub members: Vec<Member>,
}

fn read_limited(r: impl Read, what: &Path) -> Result<Vec<u8>, IntegrityError> {
    let mut out = Vec::new();
    r.take(MAX_META_BYTES)
        .read_to_end(&mut out)
        .map_err(|e| IntegrityError::io(what, e))?;
    Ok(out)
}

impl BundleSource {
    /// Opens a bundle folder or archive.
    pub fn open(path: &Path) -> Result<Self, IntegrityError> {
        let meta = fs::metadata(path).map_err(|e| IntegrityError::io(path, e))?;
        if meta.is_dir() {
            Self::open_folder(path)
        } else {
            Self::open_tar(path)
        }
    }

    fn open_folder(path: &Path) -> Result<Self, IntegrityError> {
        let mut members = Vec::new();
        let mut manifest = None;
        let mut sig = None;
        walk(path, path, &mut members)?;
        members.retain(|m| {
            if m.unsafe_reason.is_some() {
                return true;
            }
            let slot = match m.rel.as_str() {
                "manifest.json" => &mut manifest,
                "manifest.sig" => &mut sig,
                _ => return true,
            };
            *slot = Some(path.join(&m.rel));
            false
        });
        let read = |p: Option<PathBuf>| -> Result<Option<Vec<u8>>, IntegrityError> {
            p.map(|p| {
                let f = File::open(&p).map_err(|e| IntegrityError::io(&p, e))?;
                read_limited(f, &p)
            })
            .transpose()
        };
        members.sort_by(|a, b| a.rel.cmp(&b.rel));
        let meta_copies = (u32::from(manifest.is_some()), u32::from(sig.is_some()));
        Ok(Self {
            path: path.to_path_buf(),
            kind: Kind::Folder,
            root: String::new(),
            manifest: read(manifest)?,
            sig: read(sig)?,
            meta_copies,
            members,
        })
    }

    fn open_reader(&self) -> Result<Box<dyn Read>, IntegrityError> {
        let f = File::open(&self.path).map_err(|e| IntegrityError::io(&self.path, e))?;
        let raw = BufReader::with_capacity(256 * 1024, f);
        Ok(match self.kind {
            Kind::Tar { gz: true } => Box::new(MultiGzDecoder::new(raw)),
            _ => Box::new(raw),
        })
    }

    fn open_tar(path: &Path) -> Result<Self, IntegrityError> {
        Ok(Self::open_tar_with(path, None)?.0)
    }

    /// [`BundleSource::open_streaming`] over the bytes of the tar at `path` as `raw` gives
    /// them (the load's own read of the file, see `integrity::onepass`): nothing is opened.
    /// The members met before the manifest are kept in memory, up to `early_budget` bytes
    /// in all, and read as soon as it is met; those beyond it are left in
    /// [`Streamed::early`].
    pub(crate) fn open_streaming_reader(
        path: &Path,
        raw: Box<dyn BufRead>,
        early_budget: u64,
        on_manifest: &mut ManifestFn<'_>,
        on_member: &mut MemberFn<'_>,
    ) -> Result<(Self, Option<Streamed>), IntegrityError> {
        Self::open_tar_from(path, raw, Some((on_manifest, on_member)), early_budget)
    }

    /// Opens a bundle and, for a tar, reads the members after its manifest as it lists them
    /// ([`Streaming`]): one read of the archive instead of a listing then a reading pass.
    pub(crate) fn open_streaming(
        path: &Path,
        on_manifest: &mut ManifestFn<'_>,
        on_member: &mut MemberFn<'_>,
    ) -> Result<(Self, Option<Streamed>), IntegrityError> {
        let meta = fs::metadata(path).map_err(|e| IntegrityError::io(path, e))?;
        if meta.is_dir() {
            return Ok((Self::open_folder(path)?, None));
        }
        Self::open_tar_with(path, Some((on_manifest, on_member)))
    }

    fn open_tar_with(
        path: &Path,
        streaming: Option<(&mut ManifestFn<'_>, &mut MemberFn<'_>)>,
    ) -> Result<(Self, Option<Streamed>), IntegrityError> {
        let f = File::open(path).map_err(|e| IntegrityError::io(path, e))?;
        #[cfg(test)]
        tests::count_open(path);
        let raw = BufReader::with_capacity(256 * 1024, f);
        Self::open_tar_from(path, Box::new(raw), streaming, 0)
    }

    #[allow(clippy::too_many_lines)]
    fn open_tar_from(
        path: &Path,
        mut raw: Box<dyn BufRead>,
        mut streaming: Option<(&mut ManifestFn<'_>, &mut MemberFn<'_>)>,
        early_budget: u64,
    ) -> Result<(Self, Option<Streamed>), IntegrityError> {
        let gz = raw
            .fill_buf()
            .map_err(|e| IntegrityError::io(path, e))?
            .starts_with(&[0x1f, 0x8b]);
        let mut src = Self {
            path: path.to_path_buf(),
            kind: Kind::Tar { gz },
            root: String::new(),
            manifest: None,
            sig: None,
            meta_copies: (0, 0),
            members: Vec::new(),
        };
        let reader: Box<dyn Read> = if gz {
            Box::new(MultiGzDecoder::new(raw))
        } else {
            Box::new(raw)
        };
        let mut raw_members = Vec::new();
        let mut metas: Vec<(String, Vec<u8>)> = Vec::new();
        // Streaming: the root under which members are read as they come (set by the first
        // manifest met), each path's copies so far, and the members met before it.
        let mut stream_root: Option<String> = None;
        let mut seen: std::collections::HashMap<String, u32> = std::collections::HashMap::new();
        let mut early: Vec<(String, u32)> = Vec::new();
        // The early members kept in memory (path, copy, bytes), and what is left to keep.
        let mut kept: Vec<(String, u32, Vec<u8>)> = Vec::new();
        let mut budget = Some(early_budget).filter(|&b| b > 0);
        let mut archive = tar::Archive::new(reader);
        let entries = archive
            .entries()
            .map_err(|e| IntegrityError::invalid(path, None, format!("not a tar archive: {e}")))?;
        for entry in entries {
            let mut entry = entry.map_err(|e| {
                IntegrityError::invalid(path, None, format!("tar archive is corrupt: {e}"))
            })?;
            let Some(m) = classify(&entry) else { continue };
            if m.unsafe_reason.is_none()
                && (m.rel.ends_with("manifest.json") || m.rel.ends_with("manifest.sig"))
                && m.rel.matches('/').count() <= 1
            {
                let bytes = read_limited(&mut entry, path)?;
                if let Some((on_manifest, on_member)) = streaming.as_mut() {
                    if stream_root.is_none()
                        && (m.rel == "manifest.json" || m.rel.ends_with("/manifest.json"))
                    {
                        let root = m.rel.trim_end_matches("manifest.json").to_owned();
                        on_manifest(&root, &bytes);
                        // The kept early members, read now as `read_members` would read
                        // them (inside the root, not its manifest or signature).
                        for (full, copy, body) in kept.drain(..) {
                            match full.strip_prefix(root.as_str()) {
                                Some("manifest.json" | "manifest.sig") | None => {}
                                Some(rel) => on_member(rel, copy, &mut io::Cursor::new(&body))
                                    .map_err(|e| IntegrityError::io(path, e))?,
                            }
                        }
                        stream_root = Some(root);
                    }
                    // A file named like metadata elsewhere (`x/manifest.json` in a bundle at
                    // the archive's root) is a member like any other.
                    let mut r = io::Cursor::new(bytes.as_slice());
                    if let Some((rel, copy)) =
                        stream_member(&m.rel, stream_root.as_deref(), &mut seen)
                    {
                        on_member(rel, copy, &mut r).map_err(|e| IntegrityError::io(path, e))?;
                    } else if stream_root.is_none() {
                        let copy = note_early(&m.rel, &mut seen, &mut early);
                        keep_early(&mut budget, &mut early, &mut kept, &bytes, copy);
                    }
                }
                metas.push((m.rel.clone(), bytes));
            } else if m.unsafe_reason.is_none()
                && let Some((_, on_member)) = streaming.as_mut()
            {
                if stream_root.is_none() {
                    let copy = note_early(&m.rel, &mut seen, &mut early);
                    if let Some(left) = budget {
                        let mut body = Vec::new();
                        (&mut entry)
                            .take(left + 1)
                            .read_to_end(&mut body)
                            .map_err(|e| IntegrityError::io(path, e))?;
                        keep_early(&mut budget, &mut early, &mut kept, &body, copy);
                    }
                } else if let Some((rel, copy)) =
                    stream_member(&m.rel, stream_root.as_deref(), &mut seen)
                {
                    let shown = format!("{}!{}", path.display(), m.rel);
                    let mut r = BufReader::with_capacity(256 * 1024, &mut entry);
                    on_member(rel, copy, &mut r).map_err(|e| IntegrityError::io(shown, e))?;
                }
            }
            raw_members.push(m);
        }
        if metas.iter().any(|(p, _)| p == "manifest.json") {
            src.root = String::new();
        } else if let Some((p, _)) = metas.iter().find(|(p, _)| p.ends_with("/manifest.json")) {
            p.trim_end_matches("manifest.json")
                .clone_into(&mut src.root);
        }
        // The first manifest.json / manifest.sig at the root is read; further copies make
        // the bundle FILE_DUPLICATE (which one is genuine cannot be told).
        let manifest_rel = format!("{}manifest.json", src.root);
        let sig_rel = format!("{}manifest.sig", src.root);
        for (p, bytes) in metas {
            if p == manifest_rel {
                src.meta_copies.0 += 1;
                src.manifest.get_or_insert(bytes);
            } else if p == sig_rel {
                src.meta_copies.1 += 1;
                src.sig.get_or_insert(bytes);
            }
        }
        let root = src.root.clone();
        let mut seen: std::collections::HashMap<(String, bool), u32> =
            std::collections::HashMap::new();
        src.members = raw_members
            .into_iter()
            .filter_map(|mut m| {
                if m.unsafe_reason.is_none() {
                    match m.rel.strip_prefix(root.as_str()) {
                        Some("manifest.json" | "manifest.sig") => return None,
                        Some(rest) => m.rel = rest.to_owned(),
                        None => m.outside_root = true,
                    }
                    let n = seen.entry((m.rel.clone(), m.outside_root)).or_insert(0);
                    *n += 1;
                    m.copy = *n;
                }
                Some(m)
            })
            .collect();
        src.members
            .sort_by(|a, b| a.rel.cmp(&b.rel).then(a.copy.cmp(&b.copy)));
        let streamed = streaming.map(|_| Streamed {
            // The members were read under the root the bundle really has: the first
            // manifest met was the one that counts.
            valid: stream_root.as_deref() == Some(src.root.as_str()),
            early: early
                .into_iter()
                .filter_map(|(rel, copy)| Some((rel.strip_prefix(root.as_str())?.to_owned(), copy)))
                .collect(),
        });
        Ok((src, streamed))
    }

    /// How many regular members share each bundle path, for the paths held more than once.
    pub(crate) fn duplicates(&self) -> std::collections::BTreeMap<&str, u32> {
        let mut out = std::collections::BTreeMap::new();
        for m in &self.members {
            if m.unsafe_reason.is_none() && !m.outside_root && m.copy > 1 {
                out.insert(m.rel.as_str(), m.copy);
            }
        }
        out
    }

    /// How ingest names copy `copy` of the member at `rel`.
    pub fn display(&self, rel: &str, copy: u32) -> String {
        let shown = match self.kind {
            Kind::Folder => self.path.join(rel).display().to_string(),
            Kind::Tar { .. } => format!("{}!{}{rel}", self.path.display(), self.root),
        };
        copy_display(shown, copy)
    }

    /// Streams every regular member for which `want(rel)` holds, in archive (or path) order,
    /// with its copy number (1 unless the archive holds the path more than once).
    /// With `until_manifest`, a tar is read only up to its manifest (the members a
    /// streaming open met before it).
    pub(crate) fn read_members(
        &self,
        want: &dyn Fn(&str, u32) -> bool,
        until_manifest: bool,
        f: &mut MemberFn<'_>,
    ) -> Result<(), IntegrityError> {
        match self.kind {
            Kind::Folder => {
                for m in &self.members {
                    if m.unsafe_reason.is_some() || !want(&m.rel, 1) {
                        continue;
                    }
                    let p = self.path.join(&m.rel);
                    let file = File::open(&p).map_err(|e| IntegrityError::io(&p, e))?;
                    let mut r = BufReader::with_capacity(256 * 1024, file);
                    f(&m.rel, 1, &mut r).map_err(|e| IntegrityError::io(&p, e))?;
                }
            }
            Kind::Tar { .. } => {
                let mut archive = tar::Archive::new(self.open_reader()?);
                let entries = archive
                    .entries()
                    .map_err(|e| IntegrityError::io(&self.path, e))?;
                let mut seen: std::collections::HashMap<String, u32> =
                    std::collections::HashMap::new();
                for entry in entries {
                    let entry = entry.map_err(|e| IntegrityError::io(&self.path, e))?;
                    let Some(m) = classify(&entry) else { continue };
                    if m.unsafe_reason.is_some() {
                        continue;
                    }
                    let Some(rel) = m.rel.strip_prefix(self.root.as_str()) else {
                        continue;
                    };
                    if rel == "manifest.json" && until_manifest {
                        break;
                    }
                    if rel == "manifest.json" || rel == "manifest.sig" {
                        continue;
                    }
                    let copy = {
                        let n = seen.entry(rel.to_owned()).or_insert(0);
                        *n += 1;
                        *n
                    };
                    if !want(rel, copy) {
                        continue;
                    }
                    let mut r = BufReader::with_capacity(256 * 1024, entry);
                    let shown = format!("{}!{}", self.path.display(), m.rel);
                    f(rel, copy, &mut r).map_err(|e| IntegrityError::io(shown, e))?;
                }
            }
        }
        Ok(())
    }
}

/// A member met before the streaming root is known: its copy number, kept to read it later.
fn note_early(
    full: &str,
    seen: &mut std::collections::HashMap<String, u32>,
    early: &mut Vec<(String, u32)>,
) -> u32 {
    let n = seen.entry(full.to_owned()).or_insert(0);
    *n += 1;
    early.push((full.to_owned(), *n));
    *n
}

/// Keeps the bytes of the early member just noted (the last of `early`) in memory while the
/// budget lasts: it is then read when the manifest is met instead of by a second read of
/// the archive. Past the budget nothing more is kept, and the rest stays in `early`.
fn keep_early(
    budget: &mut Option<u64>,
    early: &mut Vec<(String, u32)>,
    kept: &mut Vec<(String, u32, Vec<u8>)>,
    body: &[u8],
    copy: u32,
) {
    let Some(left) = *budget else { return };
    let len = body.len() as u64;
    if len > left {
        *budget = None;
        return;
    }
    *budget = Some(left - len);
    if let Some((full, _)) = early.pop() {
        kept.push((full, copy, body.to_vec()));
    }
}

/// Where a member met after the streaming root is known stands: its bundle path and copy
/// number when it is read like [`BundleSource::read_members`] reads it (inside the root,
/// not the root's own manifest or signature), else `None`.
fn stream_member<'p>(
    full: &'p str,
    root: Option<&str>,
    seen: &mut std::collections::HashMap<String, u32>,
) -> Option<(&'p str, u32)> {
    let rel = full.strip_prefix(root?)?;
    if rel == "manifest.json" || rel == "manifest.sig" {
        return None;
    }
    let n = seen.entry(full.to_owned()).or_insert(0);
    *n += 1;
    Some((rel, *n))
}

fn classify<R: Read>(entry: &tar::Entry<'_, R>) -> Option<Member> {
    let kind = entry.header().entry_type();
    if crate::ingest::is_tar_structure(kind) {
        return None;
    }
    let raw = entry.path().map(std::borrow::Cow::into_owned).ok()?;
    let shown = raw.to_string_lossy().into_owned();
    if !kind.is_file() {
        return Some(Member::refused(shown, "link or special member"));
    }
    Some(match safe_member_path(&raw) {
        Some(rel) => Member::regular(rel),
        None => Member::refused(shown, "absolute path or `..` in the member path"),
    })
}

fn walk(root: &Path, dir: &Path, out: &mut Vec<Member>) -> Result<(), IntegrityError> {
    let rd = fs::read_dir(dir).map_err(|e| IntegrityError::io(dir, e))?;
    for e in rd {
        let e = e.map_err(|e| IntegrityError::io(dir, e))?;
        let path = e.path();
        let rel = path
            .strip_prefix(root)
            .map(|r| r.to_string_lossy().replace('\\', "/"))
            .unwrap_or_default();
        let ft = e
            .file_type()
            .map_err(|err| IntegrityError::io(&path, err))?;
        if ft.is_dir() {
            walk(root, &path, out)?;
        } else if ft.is_file() {
            out.push(Member::regular(rel));
        } else {
            let what = if ft.is_symlink() {
                "symbolic link"
            } else {
                "not a regular file"
            };
            out.push(Member::refused(rel, what));
        }
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    static OPENS: std::sync::Mutex<Vec<PathBuf>> = std::sync::Mutex::new(Vec::new());

    /// Notes an open of the archive at `path` by the verifier.
    pub(super) fn count_open(path: &Path) {
        OPENS.lock().unwrap().push(path.to_path_buf());
    }

    /// How many times the verifier opened the archive at `path` itself.
    pub(crate) fn opens_of(path: &Path) -> usize {
        OPENS.lock().unwrap().iter().filter(|p| *p == path).count()
    }

    #[test]
    fn a_sorted_sealed_tar_gz_is_read_once_its_streams_while_it_is_listed() {
        let dir = tempfile::tempdir().unwrap();
        let bundle = dir.path().join("b");
        crate::sample::write_sample(&bundle, 60, 7, false).unwrap();
        let tgz = dir.path().join("b.tar.gz");
        crate::sample::pack_tar_gz(&bundle, &tgz).unwrap();
        let mut manifests = 0;
        let mut read: Vec<(String, u32, usize)> = Vec::new();
        let (src, streamed) =
            BundleSource::open_streaming(&tgz, &mut |_, _| manifests += 1, &mut |rel, copy, r| {
                let mut bytes = Vec::new();
                r.read_to_end(&mut bytes)?;
                read.push((rel.to_owned(), copy, bytes.len()));
                Ok(())
            })
            .unwrap();
        let streamed = streamed.unwrap();
        assert!(streamed.valid);
        assert_eq!(manifests, 1);
        // The members sorted before the manifest (`files/`) are left for a short second
        // read of the archive's start; every stream was read, whole, during the listing.
        assert!(
            streamed
                .early
                .iter()
                .all(|(rel, _)| rel.starts_with("files/"))
        );
        let streams: Vec<&Member> = src
            .members
            .iter()
            .filter(|m| m.rel.starts_with("streams/"))
            .collect();
        assert!(!streams.is_empty());
        for m in streams {
            let len = std::fs::metadata(bundle.join(&m.rel)).unwrap().len() as usize;
            assert!(
                read.contains(&(m.rel.clone(), 1, len)),
                "{} not read while listing",
                m.rel
            );
        }
        // The same through read_members, up to the manifest only: just the early members.
        let mut again = Vec::new();
        src.read_members(&|_, _| true, true, &mut |rel, _, _| {
            again.push(rel.to_owned());
            Ok(())
        })
        .unwrap();
        let early: Vec<String> = streamed.early.iter().map(|(r, _)| r.clone()).collect();
        assert_eq!(again, early);
    }

    #[test]
    fn a_tar_whose_top_level_manifest_comes_after_a_nested_one_is_not_taken_as_streamed() {
        let dir = tempfile::tempdir().unwrap();
        let tar_path = dir.path().join("two.tar");
        let mut b = tar::Builder::new(std::fs::File::create(&tar_path).unwrap());
        for (name, body) in [
            ("sub/manifest.json", &b"{}"[..]),
            ("sub/streams/a.jsonl", b"x\n"),
            ("manifest.json", b"{}"),
        ] {
            let mut h = tar::Header::new_ustar();
            h.set_size(body.len() as u64);
            h.set_mode(0o644);
            h.set_entry_type(tar::EntryType::Regular);
            b.append_data(&mut h, name, body).unwrap();
        }
        b.finish().unwrap();
        drop(b);
        let (src, streamed) =
            BundleSource::open_streaming(&tar_path, &mut |_, _| {}, &mut |_, _, _| Ok(())).unwrap();
        assert_eq!(src.root, "");
        assert!(!streamed.unwrap().valid);
    }
}
