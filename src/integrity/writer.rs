//! `BundleWriter`: writes a sealed bundle folder (records in JCS form, hash chains,
//! checkpoints, Merkle roots, manifest and signature). Deterministic: the same calls give
//! the same bytes (the caller supplies `created_at`; nothing here reads the clock).

use std::collections::BTreeMap;
use std::fmt;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use base64::Engine as _;
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use super::digest::{Digest32, genesis_prev, record_hash, sha256};
use super::keys::SigningKey;
use super::manifest::{Checkpoint, FileEntry, Manifest, PrevExport, Producer, StreamInfo};
use super::merkle::MerkleBuilder;
use super::{CHECKPOINT_EVERY, FORMAT, IntegrityError, SIGNING_CONTEXT, jcs};

/// Whether `id` is a valid stream id: `[A-Za-z0-9._/-]{1,256}`.
pub(crate) fn valid_stream_id(id: &str) -> bool {
    (1..=256).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'/' | b'-'))
}

/// The bundle-relative file of a stream: `streams/<id>.jsonl`, with `/` written as `%2F` so
/// that every stream is one file directly under `streams/` (`%` is not allowed in ids, so
/// the mapping is one-to-one).
pub(crate) fn stream_file_name(id: &str) -> String {
    format!("streams/{}.jsonl", id.replace('/', "%2F"))
}

/// Whether `ts` is an RFC 3339 UTC time ending in `Z` with at most 9 fractional digits.
pub(crate) fn valid_record_ts(ts: &str) -> Option<DateTime<Utc>> {
    let body = ts.strip_suffix('Z')?;
    if let Some((_, frac)) = body.split_once('.')
        && (frac.is_empty() || frac.len() > 9 || !frac.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    if body.len() < 19 || body.as_bytes().get(10) != Some(&b'T') {
        return None;
    }
    DateTime::parse_from_rfc3339(ts)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

struct StreamState {
    rel: String,
    file: BufWriter<File>,
    sha: Sha256,
    bytes: u64,
    first_seq: u64,
    first_prev: Digest32,
    next_seq: u64,
    prev: Digest32,
    merkle: MerkleBuilder,
    checkpoints: Vec<Checkpoint>,
    ts_min: Option<(DateTime<Utc>, String)>,
    ts_max: Option<(DateTime<Utc>, String)>,
}

/// What a finished bundle holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundleSummary {
    /// The bundle folder.
    pub path: PathBuf,
    /// Streams written.
    pub streams: usize,
    /// Records written.
    pub records: u64,
    /// Artefacts under `files/`.
    pub blobs: usize,
    /// SHA-256 of manifest.json.
    pub manifest_sha256: Digest32,
    /// The signing key's id, when signed.
    pub key_id: Option<String>,
}

impl fmt::Display for BundleSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "wrote {}: {} record(s) in {} stream(s), {} artefact(s), manifest sha256 {}, {}",
            self.path.display(),
            self.records,
            self.streams,
            self.blobs,
            self.manifest_sha256,
            self.key_id
                .as_ref()
                .map_or_else(|| "unsigned".to_owned(), |k| format!("signed by key {k}"))
        )
    }
}

/// Writes one sealed bundle folder.
pub struct BundleWriter {
    out: PathBuf,
    bundle_id: String,
    export_seq: u64,
    created_at: String,
    producer: Producer,
    prev_export: Option<PrevExport>,
    /// Where each stream continues from (from a previous export): (next seq, prev hash).
    continued: BTreeMap<String, (u64, Digest32)>,
    streams: BTreeMap<String, StreamState>,
    blobs: BTreeMap<String, (u64, Digest32)>,
}

impl BundleWriter {
    /// Starts a bundle folder at `out` (created; error if it exists and is not empty).
    pub fn create(
        out: &Path,
        bundle_id: &str,
        export_seq: u64,
        created_at: DateTime<Utc>,
        producer_name: &str,
        producer_version: &str,
    ) -> Result<Self, IntegrityError> {
        if out.exists() {
            let mut rd = std::fs::read_dir(out).map_err(|e| IntegrityError::io(out, e))?;
            if rd.next().is_some() {
                return Err(IntegrityError::NotEmpty(out.to_path_buf()));
            }
        }
        let streams_dir = out.join("streams");
        std::fs::create_dir_all(&streams_dir).map_err(|e| IntegrityError::io(&streams_dir, e))?;
        Ok(Self {
            out: out.to_path_buf(),
            bundle_id: bundle_id.to_owned(),
            export_seq,
            created_at: created_at.to_rfc3339_opts(SecondsFormat::AutoSi, true),
            producer: Producer {
                name: producer_name.to_owned(),
                version: producer_version.to_owned(),
            },
            prev_export: None,
            continued: BTreeMap::new(),
            streams: BTreeMap::new(),
            blobs: BTreeMap::new(),
        })
    }

    /// Continues the chain of a previous export (section 6): each of its streams goes on at
    /// `last_seq + 1` from its head, and `prev_export` names its manifest. Call before any
    /// `append`.
    pub fn continue_from(&mut self, prev_bundle: &Path) -> Result<(), IntegrityError> {
        if !self.streams.is_empty() {
            return Err(IntegrityError::Argument(
                "continue_from must come before the first append".to_owned(),
            ));
        }
        let mpath = prev_bundle.join("manifest.json");
        let bytes = std::fs::read(&mpath).map_err(|e| IntegrityError::io(&mpath, e))?;
        let value = crate::ingest::parse_strict(&bytes)
            .map_err(|e| IntegrityError::invalid(&mpath, Some(e.line() as u64), e.to_string()))?;
        let m: Manifest = serde_json::from_value(value)
            .map_err(|e| IntegrityError::invalid(&mpath, None, e.to_string()))?;
        if m.format != FORMAT {
            return Err(IntegrityError::invalid(
                &mpath,
                None,
                format!("unsupported format {:?}", m.format),
            ));
        }
        self.prev_export = Some(PrevExport {
            bundle_id: m.bundle_id.clone(),
            export_seq: m.export_seq,
            manifest_sha256: sha256(&bytes),
        });
        self.continued.clear();
        for (_, s) in m.streams() {
            let next = u64::try_from(s.last_seq + 1).unwrap_or(0);
            self.continued.insert(s.id.clone(), (next, s.head));
        }
        Ok(())
    }

    fn open_stream(&mut self, stream: &str) -> Result<&mut StreamState, IntegrityError> {
        if !self.streams.contains_key(stream) {
            if !valid_stream_id(stream) {
                return Err(IntegrityError::BadStreamId(stream.to_owned()));
            }
            let rel = stream_file_name(stream);
            let path = self.out.join(&rel);
            let file = File::create(&path).map_err(|e| IntegrityError::io(&path, e))?;
            let (first_seq, first_prev) = self
                .continued
                .get(stream)
                .copied()
                .unwrap_or_else(|| (0, genesis_prev(stream)));
            self.streams.insert(
                stream.to_owned(),
                StreamState {
                    rel,
                    file: BufWriter::with_capacity(256 * 1024, file),
                    sha: Sha256::new(),
                    bytes: 0,
                    first_seq,
                    first_prev,
                    next_seq: first_seq,
                    prev: first_prev,
                    merkle: MerkleBuilder::new(),
                    checkpoints: Vec::new(),
                    ts_min: None,
                    ts_max: None,
                },
            );
        }
        self.streams
            .get_mut(stream)
            .ok_or_else(|| IntegrityError::Argument(format!("stream {stream} vanished")))
    }

    /// Appends one record to `stream`. `rec` holds the event-model fields including `ts`
    /// and `action`; the writer sets `v`, `stream`, `seq` and `prev`, serialises it in JCS
    /// form, hashes it and writes `{"hash":..,"rec":..}\n`.
    pub fn append(
        &mut self,
        stream: &str,
        mut rec: Map<String, Value>,
    ) -> Result<(), IntegrityError> {
        let out = self.out.clone();
        let st = self.open_stream(stream)?;
        let seq = st.next_seq;
        let bad = |reason: String| IntegrityError::BadRecord {
            stream: stream.to_owned(),
            seq,
            reason,
        };
        let ts_text = rec
            .get("ts")
            .and_then(Value::as_str)
            .ok_or_else(|| bad("`ts` is missing or not a string".to_owned()))?
            .to_owned();
        let ts = valid_record_ts(&ts_text).ok_or_else(|| {
            bad(format!(
                "`ts` {ts_text:?} is not RFC 3339 UTC ending in Z with at most 9 fractional digits"
            ))
        })?;
        if rec
            .get("action")
            .and_then(Value::as_str)
            .is_none_or(str::is_empty)
        {
            return Err(bad("`action` is missing or empty".to_owned()));
        }
        if seq > jcs::MAX_SAFE_INTEGER {
            return Err(bad("seq reached 2^53".to_owned()));
        }
        rec.insert("v".to_owned(), json!(1));
        rec.insert("stream".to_owned(), json!(stream));
        rec.insert("seq".to_owned(), json!(seq));
        rec.insert("prev".to_owned(), json!(st.prev.to_string()));
        let body = jcs::object_to_string(&rec).map_err(|e| bad(e.to_string()))?;
        let hash = record_hash(body.as_bytes());
        let mut line = String::with_capacity(body.len() + 84);
        line.push_str("{\"hash\":\"");
        line.push_str(&hash.to_string());
        line.push_str("\",\"rec\":");
        line.push_str(&body);
        line.push_str("}\n");
        st.file
            .write_all(line.as_bytes())
            .map_err(|e| IntegrityError::io(out.join(&st.rel), e))?;
        st.sha.update(line.as_bytes());
        st.bytes += line.len() as u64;
        st.merkle.push(hash);
        if (seq - st.first_seq + 1).is_multiple_of(CHECKPOINT_EVERY) {
            st.checkpoints.push(Checkpoint { seq, hash });
        }
        if st.ts_min.as_ref().is_none_or(|(t, _)| ts < *t) {
            st.ts_min = Some((ts, ts_text.clone()));
        }
        if st.ts_max.as_ref().is_none_or(|(t, _)| ts > *t) {
            st.ts_max = Some((ts, ts_text));
        }
        st.prev = hash;
        st.next_seq = seq + 1;
        Ok(())
    }

    /// Adds an artefact under `files/` (hashed only). `rel_path` is relative to `files/`
    /// (a leading `files/` is accepted too).
    pub fn add_file(&mut self, rel_path: &str, bytes: &[u8]) -> Result<(), IntegrityError> {
        let inner = rel_path.strip_prefix("files/").unwrap_or(rel_path);
        let ok = !inner.is_empty()
            && !inner.contains('\\')
            && inner
                .split('/')
                .all(|c| !c.is_empty() && c != "." && c != "..");
        if !ok {
            return Err(IntegrityError::Argument(format!(
                "artefact path {rel_path:?} must be relative, `/`-separated, without `..`"
            )));
        }
        let rel = format!("files/{inner}");
        let path = self.out.join(&rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| IntegrityError::io(parent, e))?;
        }
        std::fs::write(&path, bytes).map_err(|e| IntegrityError::io(&path, e))?;
        self.blobs.insert(rel, (bytes.len() as u64, sha256(bytes)));
        Ok(())
    }

    /// Writes manifest.json (JCS) and, given a key, manifest.sig.
    pub fn finish(mut self, key: Option<&SigningKey>) -> Result<BundleSummary, IntegrityError> {
        // Streams continued from the previous export with no new record still carry their
        // position forward (an empty file whose entry has records 0).
        let pending: Vec<String> = self
            .continued
            .keys()
            .filter(|k| !self.streams.contains_key(*k))
            .cloned()
            .collect();
        for id in pending {
            self.open_stream(&id)?;
        }
        let mut files = Vec::new();
        let mut records = 0;
        for (id, mut st) in std::mem::take(&mut self.streams) {
            let path = self.out.join(&st.rel);
            st.file.flush().map_err(|e| IntegrityError::io(&path, e))?;
            let n = st.next_seq - st.first_seq;
            records += n;
            files.push(FileEntry {
                path: st.rel.clone(),
                kind: "records".to_owned(),
                bytes: st.bytes,
                sha256: Digest32(st.sha.finalize().into()),
                stream: Some(StreamInfo {
                    id,
                    records: n,
                    first_seq: st.first_seq,
                    last_seq: st.next_seq as i64 - 1,
                    first_prev: st.first_prev,
                    head: st.prev,
                    merkle_root: st.merkle.root(),
                    ts_min: st.ts_min.map(|(_, s)| s),
                    ts_max: st.ts_max.map(|(_, s)| s),
                    checkpoints: st.checkpoints,
                }),
            });
        }
        let blobs = self.blobs.len();
        for (rel, (bytes, sha)) in std::mem::take(&mut self.blobs) {
            files.push(FileEntry {
                path: rel,
                kind: "blob".to_owned(),
                bytes,
                sha256: sha,
                stream: None,
            });
        }
        files.sort_by(|a, b| a.path.cmp(&b.path));
        let streams = files.iter().filter(|f| f.stream.is_some()).count();
        let manifest = Manifest {
            format: FORMAT.to_owned(),
            bundle_id: self.bundle_id,
            export_seq: self.export_seq,
            created_at: self.created_at,
            producer: self.producer,
            prev_export: self.prev_export,
            files,
        };
        let value = serde_json::to_value(&manifest)
            .map_err(|e| IntegrityError::Canonical(e.to_string()))?;
        let text = jcs::to_string(&value)?;
        let mpath = self.out.join("manifest.json");
        std::fs::write(&mpath, text.as_bytes()).map_err(|e| IntegrityError::io(&mpath, e))?;
        let key_id = if let Some(k) = key {
            let sig = sign_manifest(k, text.as_bytes());
            let spath = self.out.join("manifest.sig");
            std::fs::write(&spath, sig).map_err(|e| IntegrityError::io(&spath, e))?;
            Some(k.key_id())
        } else {
            None
        };
        Ok(BundleSummary {
            path: self.out,
            streams,
            records,
            blobs,
            manifest_sha256: sha256(text.as_bytes()),
            key_id,
        })
    }
}

/// The bytes of `manifest.sig` for `manifest` signed by `key`.
pub fn sign_manifest(key: &SigningKey, manifest: &[u8]) -> String {
    let mut msg = Vec::with_capacity(SIGNING_CONTEXT.len() + manifest.len());
    msg.extend_from_slice(SIGNING_CONTEXT);
    msg.extend_from_slice(manifest);
    let sig = key.sign(&msg);
    let v = json!({
        "alg": "ed25519",
        "key_id": key.key_id(),
        "sig": base64::engine::general_purpose::STANDARD.encode(sig),
    });
    jcs::to_string(&v).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(ts: &str, action: &str) -> Map<String, Value> {
        let Value::Object(m) = json!({"ts": ts, "action": action, "message": "hi"}) else {
            unreachable!()
        };
        m
    }

    #[test]
    fn stream_ids_and_files() {
        assert!(valid_stream_id("registry"));
        assert!(valid_stream_id("a/b.c_d-1"));
        assert!(!valid_stream_id(""));
        assert!(!valid_stream_id("a b"));
        assert!(!valid_stream_id(&"x".repeat(257)));
        assert_eq!(stream_file_name("a/b"), "streams/a%2Fb.jsonl");
    }

    #[test]
    fn record_times() {
        assert!(valid_record_ts("2024-01-01T00:00:00Z").is_some());
        assert!(valid_record_ts("2024-01-01T00:00:00.123456789Z").is_some());
        assert!(valid_record_ts("2024-01-01T00:00:00.1234567890Z").is_none());
        assert!(valid_record_ts("2024-01-01T00:00:00+00:00").is_none());
        assert!(valid_record_ts("2024-01-01 00:00:00Z").is_none());
    }

    #[test]
    fn writes_deterministic_chained_lines() {
        let t: DateTime<Utc> = "2024-05-01T00:00:00Z".parse().unwrap();
        let mut outs = Vec::new();
        for _ in 0..2 {
            let dir = tempfile::tempdir().unwrap();
            let out = dir.path().join("b");
            let mut w = BundleWriter::create(&out, "b1", 0, t, "test", "1").unwrap();
            for i in 0..3 {
                w.append("s", rec(&format!("2024-05-01T00:00:0{i}Z"), "model.deploy"))
                    .unwrap();
            }
            w.add_file("eval.json", b"{}").unwrap();
            let s = w.finish(Some(&SigningKey::from_seed([1; 32]))).unwrap();
            assert_eq!(s.records, 3);
            let lines = std::fs::read_to_string(out.join("streams/s.jsonl")).unwrap();
            let manifest = std::fs::read_to_string(out.join("manifest.json")).unwrap();
            let sig = std::fs::read_to_string(out.join("manifest.sig")).unwrap();
            outs.push((lines, manifest, sig));
        }
        assert_eq!(outs[0], outs[1]);
        let (lines, manifest, _) = &outs[0];
        let first: Value = serde_json::from_str(lines.lines().next().unwrap()).unwrap();
        assert_eq!(first["rec"]["prev"], genesis_prev("s").to_string());
        assert_eq!(first["rec"]["seq"], 0);
        let l0 = lines.lines().next().unwrap();
        let rec_raw = &l0[l0.find("\"rec\":").unwrap() + 6..l0.len() - 1];
        assert_eq!(first["hash"], record_hash(rec_raw.as_bytes()).to_string());
        assert!(manifest.starts_with(r#"{"bundle_id":"b1","created_at":"2024-05-01T00:00:00Z","export_seq":0,"files":[{"bytes":2,"kind":"blob","path":"files/eval.json""#), "{manifest}");
    }

    #[test]
    fn refuses_bad_records_and_non_empty_output() {
        let dir = tempfile::tempdir().unwrap();
        let t: DateTime<Utc> = "2024-05-01T00:00:00Z".parse().unwrap();
        let mut w = BundleWriter::create(&dir.path().join("b"), "b", 0, t, "t", "1").unwrap();
        assert!(
            w.append("bad id", rec("2024-05-01T00:00:00Z", "a"))
                .is_err()
        );
        assert!(w.append("s", rec("yesterday", "a")).is_err());
        let mut big = rec("2024-05-01T00:00:00Z", "a");
        big.insert("n".to_owned(), json!(1_u64 << 53));
        assert!(w.append("s", big).is_err());
        assert!(w.add_file("../x", b"").is_err());
        std::fs::write(dir.path().join("x"), b"1").unwrap();
        assert!(matches!(
            BundleWriter::create(dir.path(), "b", 0, t, "t", "1"),
            Err(IntegrityError::NotEmpty(_))
        ));
    }
}
