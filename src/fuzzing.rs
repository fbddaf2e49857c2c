//! Entry points for the cargo-fuzz targets in `fuzz/`: each takes the fuzzer's bytes, runs
//! one loading, verifying, searching or masking path on them and asserts the invariants that
//! are cheap to check (no panic, outputs bounded, statuses bound to bytes, no e-mail left
//! unmasked). Hidden from the documentation: this is not an API, only a way to reach the
//! internal functions without making them public.
//!
//! Allowed imports: every module of the crate, std, `serde_json`, flate2, tar.

use std::cell::RefCell;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::index::{CommitPolicy, IndexError, SearchRequest, SearchService};
use crate::ingest::{
    self, EventSink, Found, GenericMapping, IngestError, IngestOptions, ReadLimits, RecordSink,
    Span, decode_record, redecode,
};
use crate::integrity::{self, TrustStore, VerifyOptions};
use crate::model::{AuditEvent, safe_json};
use crate::privacy::Masker;

/// Counts what a member reader hands out and checks that every record is a bounded slice.
struct CheckedRecords {
    input_len: usize,
    limits: ReadLimits,
    records: u64,
}

impl RecordSink for CheckedRecords {
    fn record(&mut self, path: &str, line: u64, bytes: &[u8]) {
        assert!(line >= 1, "record lines are 1-based");
        let bound = self
            .limits
            .max_line_bytes
            .max(self.limits.max_document_bytes);
        assert!(bytes.len() <= bound, "a record is larger than the limits");
        assert!(
            bytes.len() <= self.input_len,
            "a record is larger than its input"
        );
        self.records += 1;
        decode_checked(path, line, bytes);
    }

    fn problem(&mut self, error: IngestError) {
        assert!(!error.reason.is_empty(), "a problem says what is wrong");
    }
}

/// The JSON-lines reader (with the document fallback) over one member.
pub fn json_lines(data: &[u8]) {
    let limits = ReadLimits {
        max_line_bytes: 4096,
        max_document_bytes: 1 << 16,
    };
    let mut sink = CheckedRecords {
        input_len: data.len(),
        limits,
        records: 0,
    };
    let n = ingest::read_records("fuzz.jsonl", &mut io::Cursor::new(data), limits, &mut sink);
    assert_eq!(
        n, sink.records,
        "the count returned is the count handed out"
    );
    assert!(n <= data.len() as u64 + 1, "more records than bytes");
}

/// The tolerant document scanner: spans in order, inside the buffer, never overlapping.
pub fn scan_document(data: &[u8]) {
    let lines = memchr::memchr_iter(b'\n', data).count() as u64 + 1;
    let mut last_end = 0usize;
    let mut found = 0u64;
    ingest::scan_document(data, 1, &mut |f| {
        found += 1;
        match f {
            Found::Record(Span { start, end, line }) => {
                assert!(
                    // An empty value (`[,]`) is an empty record: the decoder reports it.
                    start <= end && end <= data.len(),
                    "span {start}..{end} out of bounds"
                );
                assert!(
                    start >= last_end,
                    "span {start}..{end} overlaps the previous one"
                );
                assert!((1..=lines).contains(&line), "record line {line} of {lines}");
                last_end = end;
            }
            Found::Problem(p) => {
                assert!(
                    (1..=lines).contains(&p.line),
                    "problem line {} of {lines}",
                    p.line
                );
            }
        }
    });
    assert!(
        found <= 2 * data.len() as u64 + 2,
        "{found} findings for {} bytes",
        data.len()
    );
}

/// Format detection and every adapter: one record decoded, each event decoded again from
/// its stored record text to the same event, and its JSON output free of raw controls.
pub fn decode(data: &[u8]) {
    decode_checked("fuzz.json", 1, data);
}

fn decode_checked(path: &str, line: u64, bytes: &[u8]) {
    let mapping = GenericMapping::shared_builtin();
    let Ok(events) = decode_record(path, line, bytes, &mapping) else {
        return;
    };
    for d in events {
        let ev = &d.event;
        let again = redecode(
            ev.origin.format,
            path,
            line,
            ev.origin.part,
            ev.origin.hash.as_deref(),
            d.raw,
            &mapping,
        );
        assert_eq!(again.as_ref(), Ok(ev), "decoding again gives another event");
        assert_safe_json(ev);
    }
}

/// JSON outputs carry no raw DEL, C1 controls, bidi controls or line separators.
fn assert_safe_json(ev: &AuditEvent) {
    let Ok(text) = safe_json::to_string(ev) else {
        return;
    };
    let unsafe_char = |c: char| {
        c < ' '
            || ('\u{7f}'..='\u{9f}').contains(&c)
            || ('\u{202a}'..='\u{202e}').contains(&c)
            || ('\u{2066}'..='\u{2069}').contains(&c)
            || c == '\u{2028}'
            || c == '\u{2029}'
    };
    assert!(
        !text.chars().any(unsafe_char),
        "raw control in JSON output: {text:?}"
    );
}

/// A scratch folder of this process, emptied for each input.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("auditlens-fuzz-{}", std::process::id()));
    let p = dir.join(name);
    let _ = std::fs::remove_dir_all(&p);
    let _ = std::fs::remove_file(&p);
    let _ = std::fs::create_dir_all(&dir);
    p
}

/// How a fuzz input becomes a bundle: the first byte picks the container, the rest is split
/// on `\0\0` into members, each `name\ncontent`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Container {
    Plain,
    Gzip,
    Tar,
    TarGz,
}

fn container(data: &[u8]) -> (Container, &[u8]) {
    match data.split_first() {
        None => (Container::Plain, data),
        Some((b, rest)) => (
            match b % 4 {
                0 => Container::Plain,
                1 => Container::Gzip,
                2 => Container::Tar,
                _ => Container::TarGz,
            },
            rest,
        ),
    }
}

fn members(data: &[u8]) -> Vec<(&[u8], &[u8])> {
    let mut out = Vec::new();
    let mut rest = data;
    while !rest.is_empty() {
        let end = memchr::memmem::find(rest, b"\0\0").unwrap_or(rest.len());
        let part = &rest[..end];
        rest = rest.get(end + 2..).unwrap_or_default();
        let (name, content) = match memchr::memchr(b'\n', part) {
            Some(i) => (&part[..i], &part[i + 1..]),
            None => (part, &b""[..]),
        };
        out.push((name, content));
    }
    out
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let _ = enc.write_all(data);
    enc.finish().unwrap_or_default()
}

/// A tar archive of the members, names written as they are (`..`, `/abs`, long names): a
/// name ending in `/` is a folder, one starting with `->` a symbolic link.
fn tar_of(data: &[u8]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (name, content) in members(data) {
        let mut h = tar::Header::new_gnu();
        let (kind, name) = if let Some(n) = name.strip_prefix(b"->") {
            (tar::EntryType::Symlink, n)
        } else if name.ends_with(b"/") {
            (tar::EntryType::Directory, name)
        } else {
            (tar::EntryType::Regular, name)
        };
        let field = &mut h.as_old_mut().name;
        let n = name.len().min(field.len());
        field[..n].copy_from_slice(&name[..n]);
        h.set_entry_type(kind);
        h.set_mode(0o644);
        let body: &[u8] = if kind == tar::EntryType::Regular {
            content
        } else {
            &[]
        };
        h.set_size(body.len() as u64);
        h.set_cksum();
        let _ = b.append(&h, body);
    }
    b.into_inner().unwrap_or_default()
}

/// Writes the fuzz input as a bundle on disk: a folder of members (unsafe names skipped), a
/// gzip file, a tar or a tar.gz.
fn write_container(data: &[u8], name: &str) -> Option<PathBuf> {
    let (kind, rest) = container(data);
    let path = scratch(name);
    let bytes = match kind {
        Container::Plain => {
            std::fs::create_dir_all(&path).ok()?;
            for (name, content) in members(rest) {
                let rel = std::str::from_utf8(name).ok()?;
                let Some(rel) = ingest::safe_member_path(Path::new(rel)) else {
                    continue;
                };
                let file = path.join(rel);
                if let Some(parent) = file.parent() {
                    let _ = std::fs::create_dir_all(parent);
                }
                let _ = std::fs::write(file, content);
            }
            return Some(path);
        }
        Container::Gzip => gzip(rest),
        Container::Tar => tar_of(rest),
        Container::TarGz => gzip(&tar_of(rest)),
    };
    std::fs::write(&path, bytes).ok()?;
    Some(path)
}

/// Counts loaded events and checks each against its stored record.
#[derive(Default)]
struct CheckedEvents {
    events: u64,
    verified: u64,
}

impl EventSink for CheckedEvents {
    fn event(&mut self, event: AuditEvent, raw: &str) -> bool {
        self.events += 1;
        if event.integrity.as_deref() == Some("verified") {
            self.verified += 1;
            // A status belongs to bytes: a verified event's record hashes to its stored hash.
            let hash = integrity::record_hash(raw.as_bytes()).to_hex();
            assert_eq!(
                event.origin.hash.as_deref(),
                Some(hash.as_str()),
                "verified bytes"
            );
        }
        true
    }
}

/// Tar and gzip sources (and plain files): the whole loading pipeline over one input.
pub fn sources(data: &[u8]) {
    let (kind, rest) = container(data);
    let path = if kind == Container::Plain {
        let p = scratch("input");
        if std::fs::write(&p, rest).is_err() {
            return;
        }
        p
    } else {
        match write_container(data, "input") {
            Some(p) => p,
            None => return,
        }
    };
    let mut sink = CheckedEvents::default();
    let summary = ingest::ingest(&[path], IngestOptions::default(), &mut sink, |_| {});
    assert_eq!(
        summary.events, sink.events,
        "the summary counts what was loaded"
    );
}

fn trust() -> Option<TrustStore> {
    serde_json::from_str(include_str!("../sample-data/trust.json")).ok()
}

/// The envelope parser on every line, then the bundle verifier (manifest, signature,
/// streams) and a load with the statuses it found.
pub fn bundle(data: &[u8]) {
    for line in data.split(|&b| b == b'\n') {
        let _ = integrity::parse_line(line);
    }
    let Some(path) = write_container(data, "bundle") else {
        return;
    };
    let store = trust();
    let opts = VerifyOptions {
        trust: store.as_ref(),
        max_line_bytes: 1 << 16,
        ..VerifyOptions::default()
    };
    if let Ok(report) = integrity::verify_bundle(&path, &opts) {
        let verified = report.counts.get("VERIFIED").copied().unwrap_or(0);
        if report.signature.status != "SIGNATURE_OK" {
            assert_eq!(verified, 0, "records verified without a trusted signature");
        }
        let _ = report.to_json();
    }
    let status = integrity::status_lookup_with(std::slice::from_ref(&path), store);
    let options = IngestOptions {
        status,
        ..IngestOptions::default()
    };
    let mut sink = CheckedEvents::default();
    ingest::ingest(&[path], options, &mut sink, |_| {});
}

/// A small index to run queries against, built once per fuzzing process.
fn search_service() -> Option<SearchService> {
    let mem = crate::index::BareIndex::new();
    let mut indexer = mem.indexer(15_000_000, 1, CommitPolicy::AT_END).ok()?;
    let lines = [
        r#"{"time":"2024-01-01T00:00:00Z","user":"alice","action":"model.deploy","msg":"deployed fraud-v2","seq":3}"#,
        r#"{"time":"2024-01-02T10:00:00Z","user":"bob","action":"dataset.read","msg":"read a\\b c","severity":"high"}"#,
        r#"{"msg":"no time at all","outcome":"failure"}"#,
    ];
    let mapping = GenericMapping::shared_builtin();
    for (i, l) in lines.iter().enumerate() {
        for d in decode_record("q.jsonl", i as u64 + 1, l.as_bytes(), &mapping).ok()? {
            indexer.add(&d.event, d.raw).ok()?;
        }
    }
    indexer.finish().ok()?;
    mem.service().ok()
}

thread_local! {
    static SEARCH: RefCell<Option<SearchService>> = RefCell::new(search_service());
    static MASKER: Masker = Masker::default_policy();
}

/// The query parser and builder, then a search: a refused query is an error with a span
/// inside the query, never a panic.
pub fn query(data: &[u8]) {
    let Ok(q) = std::str::from_utf8(data) else {
        return;
    };
    SEARCH.with_borrow(|s| {
        let Some(s) = s else { return };
        let req = SearchRequest {
            query: q.to_owned(),
            limit: 5,
            ..SearchRequest::default()
        };
        match s.search(&req) {
            Ok(page) => {
                assert!(page.hits.len() <= 5, "more hits than asked for");
                assert!(page.total <= s.num_docs(), "more matches than documents");
            }
            Err(IndexError::Query(e)) => {
                // The caret may sit just past the end ("expected a value here").
                if let Some((start, len)) = e.span {
                    assert!(
                        start <= q.len() && len <= q.len().max(1),
                        "span past the query"
                    );
                }
                let _ = e.pointer(q);
            }
            Err(e) => panic!("a query gave an error that is not a query error: {e}"),
        }
    });
}

const EMAIL: &str = "jane.roe@example.com";
const AWS_KEY: &str = "AKIAIOSFODNN7EXAMPLE";

/// The masker on text, on JSON values and on records: a planted e-mail and access key are
/// never left in clear, whatever surrounds them.
pub fn mask(data: &[u8]) {
    let s = String::from_utf8_lossy(data);
    MASKER.with(|m| {
        let _ = m.mask_text(&s);
        let planted = format!("{s} {EMAIL} {AWS_KEY} {s}");
        let out = m.mask_text(&planted);
        // The planted copies are masked; e-mail copies the fuzzer glued to other text (such
        // as `jane.roe@example.com672601`, whose domain may really end in digits) are not
        // counted against it. An access key is masked wherever it stands, glued or not.
        let kept = |needle: &str| out.matches(needle).count() > 2 * s.matches(needle).count();
        assert!(!kept(EMAIL), "e-mail left in clear: {out:?}");
        assert!(!out.contains(AWS_KEY), "access key left in clear: {out:?}");
        if let Ok(mut v) = serde_json::from_slice::<serde_json::Value>(data) {
            m.mask_value("", &mut v);
            let mut obj = serde_json::Map::new();
            obj.insert(EMAIL.to_owned(), v);
            obj.insert(
                "contact".to_owned(),
                serde_json::Value::String(EMAIL.to_owned()),
            );
            obj.insert(AWS_KEY.to_owned(), serde_json::Value::from(1));
            let mut v = serde_json::Value::Object(obj);
            m.mask_value("", &mut v);
            let text = v.to_string();
            assert!(!text.contains(EMAIL), "e-mail left in a JSON value: {text}");
            assert!(
                !text.contains(AWS_KEY),
                "access key left in a JSON key: {text}"
            );
        }
        if let Ok(events) = decode_record("m.jsonl", 1, data, &GenericMapping::shared_builtin()) {
            for d in events {
                let _ = m.mask_event(&d.event);
                let _ = m.mask_record(&d.event, d.raw);
            }
        }
    });
}
