//! Record extraction from one member stream: JSON lines are read one bounded line at a
//! time; a pretty-printed document (or a JSON array) is read whole, up to a limit, and split
//! by the tolerant scanner. Every problem is reported with the member path and line.

use std::io::{self, BufRead, Read};

use super::error::{ErrorKind, IngestError};
use super::scan::{ENVELOPE_KEYS, Found, ScanProblem, scan_document, value_end};

/// Limits that keep hostile input from exhausting memory.
#[derive(Debug, Clone, Copy)]
pub struct ReadLimits {
    /// Longest accepted line, in bytes.
    pub max_line_bytes: usize,
    /// Largest document read whole (pretty-printed JSON or a top-level array).
    pub max_document_bytes: usize,
}

impl Default for ReadLimits {
    fn default() -> Self {
        Self {
            max_line_bytes: 16 << 20,
            max_document_bytes: 512 << 20,
        }
    }
}

/// Receives the records of a member (raw bytes, untouched) and its problems.
pub trait RecordSink {
    /// One record: its 1-based starting line and its exact bytes.
    fn record(&mut self, path: &str, line: u64, bytes: &[u8]);
    /// A problem; the member keeps loading after it where it can.
    fn problem(&mut self, error: IngestError);
}

enum LineRead {
    Eof,
    Line,
    TooLong(usize),
}

/// Reads one line (without its `\n`) into `buf`, never holding more than `limit` bytes.
fn read_line_bounded(r: &mut dyn BufRead, buf: &mut Vec<u8>, limit: usize) -> io::Result<LineRead> {
    buf.clear();
    let mut total = 0usize;
    let mut saw_any = false;
    loop {
        let chunk = match r.fill_buf() {
            Ok(c) => c,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if chunk.is_empty() {
            return Ok(if !saw_any {
                LineRead::Eof
            } else if total > limit {
                LineRead::TooLong(total)
            } else {
                LineRead::Line
            });
        }
        saw_any = true;
        let (take, done) = match chunk.iter().position(|&b| b == b'\n') {
            Some(i) => (i, true),
            None => (chunk.len(), false),
        };
        if total + take <= limit {
            buf.extend_from_slice(&chunk[..take]);
        } else {
            buf.clear();
        }
        total += take;
        r.consume(if done { take + 1 } else { take });
        if done {
            return Ok(if total > limit {
                LineRead::TooLong(total)
            } else {
                LineRead::Line
            });
        }
    }
}

fn trim_ascii_ws(b: &[u8]) -> &[u8] {
    let start = b
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(b.len());
    let end = b
        .iter()
        .rposition(|c| !c.is_ascii_whitespace())
        .map_or(start, |i| i + 1);
    &b[start..end]
}

fn io_problem(path: &str, line: u64, e: &io::Error) -> IngestError {
    let (kind, reason) = match e.kind() {
        io::ErrorKind::UnexpectedEof => (
            ErrorKind::Truncated,
            "the compressed stream ends early (truncated file)".to_owned(),
        ),
        io::ErrorKind::InvalidData | io::ErrorKind::InvalidInput => (
            ErrorKind::Truncated,
            format!("corrupt compressed data: {e}"),
        ),
        _ => (ErrorKind::Io, format!("read error: {e}")),
    };
    IngestError::file(
        path,
        Some(line),
        kind,
        format!("{reason}; records before line {line} were kept"),
    )
}

/// Leading lines that cannot start a JSON value after which a file counts as not JSON text.
const NOT_JSON_LINES: usize = 3;

/// Reads every record of one member. Returns the number of records handed to the sink.
pub(crate) fn read_records(
    path: &str,
    r: &mut dyn BufRead,
    limits: ReadLimits,
    sink: &mut dyn RecordSink,
) -> u64 {
    read_lines(path, r, limits, sink, Start::File)
}

/// Where [`read_lines`] starts.
#[derive(Clone, Copy)]
enum Start {
    /// At the start of a file: a byte-order mark, binary content or a document may follow.
    File,
    /// After the broken first line (read as a record already) of a JSON-lines file.
    AfterLine(u64),
}

fn read_lines(
    path: &str,
    r: &mut dyn BufRead,
    limits: ReadLimits,
    sink: &mut dyn RecordSink,
    start: Start,
) -> u64 {
    let mut buf = Vec::with_capacity(4096);
    let (mut line_no, mut records, mut first, mut saw_content) = match start {
        Start::File => (0u64, 0u64, true, false),
        Start::AfterLine(line) => (line, 1, false, true),
    };
    let mut held: Vec<u64> = Vec::new();
    loop {
        let read = match read_line_bounded(r, &mut buf, limits.max_line_bytes) {
            Ok(read) => read,
            Err(e) => {
                sink.problem(io_problem(path, line_no + 1, &e));
                return records;
            }
        };
        match read {
            LineRead::Eof => break,
            LineRead::TooLong(n) => {
                line_no += 1;
                first = false;
                saw_content = true;
                sink.problem(IngestError::record(
                    path,
                    line_no,
                    ErrorKind::LineTooLong,
                    format!(
                        "line of {n} bytes exceeds the {} byte limit (--max-line-bytes)",
                        limits.max_line_bytes
                    ),
                ));
                continue;
            }
            LineRead::Line => line_no += 1,
        }
        let mut line: &[u8] = &buf;
        if first && line.starts_with(b"\xef\xbb\xbf") {
            line = &line[3..];
        }
        let trimmed = trim_ascii_ws(line);
        if trimmed.is_empty() {
            continue;
        }
        saw_content = true;
        if first {
            first = false;
            if trimmed.contains(&0) {
                sink.problem(IngestError::file(
                    path,
                    Some(line_no),
                    ErrorKind::Binary,
                    "binary content, not JSON text: file skipped",
                ));
                return records;
            }
            let complete = value_end(trimmed, 0) == Some(trimmed.len());
            if !complete && matches!(trimmed[0], b'{' | b'[') {
                let start = line.len() - line.trim_ascii_start().len();
                let mut doc = line[start..].to_vec();
                doc.push(b'\n');
                return records + read_document(path, r, doc, line_no, limits, sink);
            }
        }
        // A file whose first lines are not JSON at all (a README in a folder) is one
        // problem, not one per line: lines that are not JSON values are held back until a
        // record appears; three of them before any record mean the file is not JSON text.
        // A scalar (`1`, `"str"`, `null`) is JSON: it is handed on, and fails as a record.
        if records == 0 && !matches!(trimmed[0], b'{' | b'[') && !is_json_scalar(trimmed) {
            held.push(line_no);
            if held.len() >= NOT_JSON_LINES {
                sink.problem(IngestError::file(
                    path,
                    Some(held[0]),
                    ErrorKind::Unsupported,
                    format!("not JSON text: lines {} to {line_no} do not start a JSON value; file skipped", held[0]),
                ));
                return records;
            }
            continue;
        }
        report_held(path, &mut held, sink);
        records += split_line(path, line_no, trimmed, sink);
    }
    report_held(path, &mut held, sink);
    if !saw_content {
        sink.problem(IngestError::file(
            path,
            None,
            ErrorKind::Empty,
            "empty file: no records",
        ));
    }
    records
}

/// Whether a line (not starting with `{` or `[`) is a whole JSON value: a scalar.
fn is_json_scalar(trimmed: &[u8]) -> bool {
    matches!(trimmed[0], b'"' | b'-' | b'0'..=b'9' | b't' | b'f' | b'n')
        && serde_json::from_slice::<serde::de::IgnoredAny>(trimmed).is_ok()
}

/// A line may hold one record, an array of records, or an envelope (`{"Records":[...]}`).
fn split_line(path: &str, line_no: u64, trimmed: &[u8], sink: &mut dyn RecordSink) -> u64 {
    let maybe_many = trimmed[0] == b'['
        || (!trimmed.starts_with(b"{\"hash\"")
            && ENVELOPE_KEYS
                .iter()
                .any(|k| has_quoted(trimmed, k.as_bytes())));
    if !maybe_many {
        sink.record(path, line_no, trimmed);
        return 1;
    }
    scan_records(path, trimmed, line_no, sink)
}

/// Reports the held-back leading lines that do not start a JSON value, one error each.
fn report_held(path: &str, held: &mut Vec<u64>, sink: &mut dyn RecordSink) {
    for l in held.drain(..) {
        sink.problem(IngestError::record(
            path,
            l,
            ErrorKind::Malformed,
            "not JSON: expected `{` or `[`",
        ));
    }
}

fn scan_problem(path: &str, p: &ScanProblem) -> IngestError {
    if p.lost {
        IngestError::record(path, p.line, ErrorKind::Malformed, p.reason)
    } else {
        IngestError::file(path, Some(p.line), ErrorKind::Malformed, p.reason)
    }
}

/// Whether `hay` holds `"word"` (a cheap pre-check before scanning a line as a document).
fn has_quoted(hay: &[u8], word: &[u8]) -> bool {
    memchr::memmem::find_iter(hay, word)
        .any(|i| i > 0 && hay[i - 1] == b'"' && hay.get(i + word.len()) == Some(&b'"'))
}

fn read_document(
    path: &str,
    r: &mut dyn BufRead,
    mut doc: Vec<u8>,
    first_line: u64,
    limits: ReadLimits,
    sink: &mut dyn RecordSink,
) -> u64 {
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        match r.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => {
                // (Held whole at most the limit and one chunk.)
                doc.extend_from_slice(&chunk[..n]);
                if doc.len() > limits.max_document_bytes {
                    if let Some(rest) = lines_after_a_broken_first_line(&doc) {
                        // JSON lines after all: go on line by line from the bytes held.
                        let mut more = (&doc[rest..]).chain(r);
                        return as_lines(path, &doc[..rest], first_line, &mut more, limits, sink);
                    }
                    sink.problem(IngestError::file(
                        path,
                        Some(first_line),
                        ErrorKind::TooLarge,
                        format!(
                            "a JSON document over {} bytes cannot be loaded whole (--max-document-bytes); convert it to JSON lines",
                            limits.max_document_bytes
                        ),
                    ));
                    return 0;
                }
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => {
                let line = first_line + doc.iter().filter(|&&b| b == b'\n').count() as u64;
                sink.problem(io_problem(path, line, &e));
                break;
            }
        }
    }
    if let Some(rest) = lines_after_a_broken_first_line(&doc) {
        return as_lines(
            path,
            &doc[..rest],
            first_line,
            &mut &doc[rest..],
            limits,
            sink,
        );
    }
    scan_records(path, &doc, first_line, sink)
}

/// Reads a JSON-lines file whose broken first line is `first`: that line is handed on as a
/// record (it fails, at its line), then the lines of `more`.
fn as_lines(
    path: &str,
    first: &[u8],
    first_line: u64,
    more: &mut dyn BufRead,
    limits: ReadLimits,
    sink: &mut dyn RecordSink,
) -> u64 {
    sink.record(path, first_line, trim_ascii_ws(first));
    read_lines(path, more, limits, sink, Start::AfterLine(first_line))
}

/// A JSON-lines file whose first record is broken (cut short, a bracket missing or of the
/// wrong kind) reads at first like the start of a document that never ends. When that
/// document indeed never ends and its second line is a whole object, it is JSON lines:
/// returns the offset of its second line.
fn lines_after_a_broken_first_line(doc: &[u8]) -> Option<usize> {
    if value_end(doc, 0).is_some() {
        return None;
    }
    let rest = memchr::memchr(b'\n', doc)? + 1;
    let second = doc[rest..]
        .split(|&b| b == b'\n')
        .map(trim_ascii_ws)
        .find(|l| !l.is_empty())?;
    (second[0] == b'{' && value_end(second, 0) == Some(second.len())).then_some(rest)
}

/// Scans a document (or a line holding several records) and hands its records and problems
/// to the sink as they are found. Returns the number of records.
fn scan_records(path: &str, doc: &[u8], first_line: u64, sink: &mut dyn RecordSink) -> u64 {
    let mut records = 0u64;
    scan_document(doc, first_line, &mut |found| match found {
        Found::Record(s) => {
            sink.record(path, s.line, &doc[s.start..s.end]);
            records += 1;
        }
        Found::Problem(p) => sink.problem(scan_problem(path, &p)),
    });
    records
}

#[cfg(test)]
mod tests {
    use super::*;

    use proptest::prelude::*;

    #[derive(Default)]
    struct Collect {
        records: Vec<(u64, String)>,
        problems: Vec<IngestError>,
        /// Bytes of all records handed out.
        record_bytes: usize,
        /// Most records plus problems expected: a reader that loops or repeats fails here
        /// at once instead of growing without bound.
        cap: usize,
    }
    impl Collect {
        fn check(&self) {
            assert!(
                self.records.len() + self.problems.len() <= self.cap,
                "over {} findings: {:?} {:?}",
                self.cap,
                &self.records[..self.records.len().min(5)],
                &self.problems[..self.problems.len().min(5)]
            );
        }
    }
    impl RecordSink for Collect {
        fn record(&mut self, _path: &str, line: u64, bytes: &[u8]) {
            self.records
                .push((line, String::from_utf8_lossy(bytes).into_owned()));
            self.record_bytes += bytes.len();
            self.check();
        }
        fn problem(&mut self, error: IngestError) {
            self.problems.push(error);
            self.check();
        }
    }

    /// Reads `input`, expecting at most two findings per input byte (plus a few).
    fn read(input: &[u8], limits: ReadLimits) -> Collect {
        let mut c = Collect {
            cap: 2 * input.len() + 4,
            ..Collect::default()
        };
        read_records("f.json", &mut io::Cursor::new(input), limits, &mut c);
        assert!(
            c.record_bytes <= input.len(),
            "records repeat bytes of {:?}: {:?}",
            String::from_utf8_lossy(input),
            c.records
        );
        c
    }

    const GOOD: &str = r#"{"time":"2024-01-01T00:00:00Z","user":"u","action":"a"}"#;

    /// Issue 12: these tiny documents made the reader allocate until the machine ran out.
    #[test]
    fn tiny_broken_documents_end_with_a_reported_problem_and_the_rest_loads() {
        for hostile in [
            r#"[{"a"]}]"#,
            "[{]}",
            r#"{"Records":[{]}}"#,
            r#"{"Records":[{""""}}}"#,
        ] {
            let c = read(hostile.as_bytes(), ReadLimits::default());
            assert!(
                c.records.len() + c.problems.len() <= 3,
                "{hostile}: {:?} {:?}",
                c.records,
                c.problems
            );
            assert!(!c.records.is_empty() || !c.problems.is_empty(), "{hostile}");
            for at in 0..3 {
                let mut lines = [GOOD; 3];
                lines[at] = hostile;
                let text = lines.join("\n");
                let c = read(text.as_bytes(), ReadLimits::default());
                let good: Vec<u64> = c
                    .records
                    .iter()
                    .filter(|r| r.1 == GOOD)
                    .map(|r| r.0)
                    .collect();
                let want: Vec<u64> = (1..=3).filter(|&l| l != at as u64 + 1).collect();
                assert_eq!(good, want, "{text}: {:?}", c.problems);
                assert!(
                    c.problems.iter().all(|p| p.line == Some(at as u64 + 1)),
                    "{text}: {:?}",
                    c.problems
                );
            }
        }
    }

    /// A JSON-lines file whose first line is cut short read as one endless document: every
    /// record after it was lost.
    #[test]
    fn a_broken_first_line_of_json_lines_costs_only_that_line() {
        for first in [
            r#"{"time": "2024-01-01T00:00:00Z", "user"#,
            "[{",
            "{\"a\": [",
        ] {
            let text = format!("{first}\n{GOOD}\n\n{GOOD}\n");
            let c = read(text.as_bytes(), ReadLimits::default());
            assert_eq!(
                c.records,
                vec![(1, first.to_owned()), (2, GOOD.into()), (4, GOOD.into())],
                "{first}"
            );
            assert!(c.problems.is_empty(), "{:?}", c.problems);
        }
        // A document that ends is still a document, even with a whole record on line 2.
        let c = read(b"{\"Records\":[\n{\"a\":1}\n]}\n", ReadLimits::default());
        assert_eq!(c.records, vec![(2, "{\"a\":1}".into())]);
    }

    #[test]
    fn a_broken_first_line_of_json_lines_over_the_document_limit_costs_only_that_line() {
        let limits = ReadLimits {
            max_document_bytes: 200,
            ..ReadLimits::default()
        };
        let text = format!("{{\"a\": [\n{}", format!("{GOOD}\n").repeat(50));
        let c = read(text.as_bytes(), limits);
        assert!(c.problems.is_empty(), "{:?}", c.problems);
        assert_eq!(c.records.len(), 51);
        assert!(c.records[1..].iter().all(|r| r.1 == GOOD));
        assert_eq!(c.records[50].0, 51);
    }

    /// Issue 12: three scalar lines before the records made the whole file skipped as
    /// "not JSON text" (they are JSON): each is a line error and the records load.
    #[test]
    fn scalar_lines_before_records_are_line_errors_and_the_records_load() {
        let text = format!("1\n\"str\"\nnull\n{GOOD}\n{GOOD}\n");
        let c = read(text.as_bytes(), ReadLimits::default());
        assert!(c.problems.is_empty(), "{:?}", c.problems);
        let lines: Vec<u64> = c.records.iter().map(|r| r.0).collect();
        assert_eq!(lines, vec![1, 2, 3, 4, 5]);
        // Prose that merely starts like a scalar is still prose.
        let c = read(
            b"null and void\ntrue story\n-- notes\n",
            ReadLimits::default(),
        );
        assert!(c.records.is_empty());
        assert_eq!(c.problems.len(), 1);
        assert_eq!(c.problems[0].kind, ErrorKind::Unsupported);
    }

    #[test]
    fn deep_nesting_and_many_broken_elements_stay_linear() {
        let deep = format!("{GOOD}\n{}\n{GOOD}\n", "[".repeat(100_000));
        let c = read(deep.as_bytes(), ReadLimits::default());
        assert_eq!(c.records.iter().filter(|r| r.1 == GOOD).count(), 2);
        let deep_doc = format!("{{\"Records\":[{}", "{\"a\":[".repeat(50_000));
        let c = read(deep_doc.as_bytes(), ReadLimits::default());
        assert!(c.records.len() + c.problems.len() <= 2);
        let mut many = String::from("{\"Records\":[\n");
        for _ in 0..10_000 {
            many.push_str(GOOD);
            many.push_str(",\n{\"a\"]},\n{]},\n");
        }
        many.push_str(GOOD);
        many.push_str("\n]}\n");
        let c = read(many.as_bytes(), ReadLimits::default());
        assert_eq!(c.records.iter().filter(|r| r.1 == GOOD).count(), 10_001);
        assert_eq!(c.records.len(), 30_001);
    }

    /// Found by the punctuation proptest: a record cut short by the end of a one-line
    /// document held the newline the reader adds after the first line.
    #[test]
    fn a_record_cut_short_by_the_end_holds_only_its_own_bytes() {
        assert_eq!(
            read(b"[}{", ReadLimits::default()).records,
            vec![(1, "[}{".into())]
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2_000))]
        /// Any soup of JSON punctuation and letters ends, with output bounded by its size.
        #[test]
        fn any_punctuation_soup_ends_with_bounded_output(
            bytes in proptest::collection::vec(
                proptest::sample::select(b"[]{}\",:ab1 \n\\".to_vec()),
                0..80,
            ),
            envelope in any::<bool>(),
        ) {
            let mut input = bytes;
            if envelope {
                let mut doc = b"{\"Records\":[".to_vec();
                doc.extend_from_slice(&input);
                input = doc;
            }
            // `read` fails at once when the findings outgrow the input.
            let c = read(&input, ReadLimits::default());
            let lines = 1 + input.iter().filter(|&&b| b == b'\n').count() as u64;
            let soup = String::from_utf8_lossy(&input);
            prop_assert!(
                c.records.iter().all(|r| (1..=lines).contains(&r.0)),
                "{soup:?}: {:?}",
                c.records
            );
            prop_assert!(
                c.problems
                    .iter()
                    .all(|p| p.line.is_none_or(|l| (1..=lines).contains(&l))),
                "{soup:?}: {:?}",
                c.problems
            );
        }
    }

    #[test]
    fn json_lines_with_blank_lines_crlf_and_bom() {
        let c = read(
            b"\xef\xbb\xbf{\"a\":1}\r\n\n  {\"b\":2}  \n{\"c\":3}",
            ReadLimits::default(),
        );
        assert!(c.problems.is_empty(), "{:?}", c.problems);
        assert_eq!(
            c.records,
            vec![
                (1, "{\"a\":1}".into()),
                (3, "{\"b\":2}".into()),
                (4, "{\"c\":3}".into())
            ]
        );
    }

    #[test]
    fn pretty_printed_documents_and_arrays() {
        let c = read(
            b"[\n {\"a\":1},\n {\"b\":\n  2}\n]\n",
            ReadLimits::default(),
        );
        assert_eq!(c.records.len(), 2);
        assert_eq!(c.records[1].0, 3);
        let c = read(
            b"\n\n{\n \"Records\": [\n  {\"x\": 1}\n ]\n}\n",
            ReadLimits::default(),
        );
        assert_eq!(c.records, vec![(5, "{\"x\": 1}".into())]);
    }

    #[test]
    fn envelope_on_one_line_expands() {
        let c = read(
            b"{\"Records\":[{\"a\":1},{\"a\":2}]}\n{\"Records\":[]}\n",
            ReadLimits::default(),
        );
        assert_eq!(c.records.len(), 2);
        assert!(c.problems.is_empty());
    }

    #[test]
    fn over_long_lines_are_reported_and_skipped() {
        let limits = ReadLimits {
            max_line_bytes: 10,
            ..ReadLimits::default()
        };
        let c = read(
            b"{\"a\":1}\n{\"long\":\"xxxxxxxxxxxxxxxx\"}\n{\"b\":2}\n",
            limits,
        );
        assert_eq!(c.records.len(), 2);
        assert_eq!(c.problems.len(), 1);
        assert_eq!(c.problems[0].kind, ErrorKind::LineTooLong);
        assert_eq!(c.problems[0].line, Some(2));
    }

    #[test]
    fn text_files_are_one_problem_and_a_stray_header_line_costs_one_line() {
        let c = read(
            b"# Title\n\nSome prose.\nMore prose.\n| a | b |\n",
            ReadLimits::default(),
        );
        assert!(c.records.is_empty());
        assert_eq!(c.problems.len(), 1, "{:?}", c.problems);
        assert_eq!(c.problems[0].kind, ErrorKind::Unsupported);
        assert_eq!(c.problems[0].line, Some(1));
        assert!(!c.problems[0].skipped_record);
        let c = read(
            b"timestamp,msg\n{\"a\":1}\n{\"b\":2}\n",
            ReadLimits::default(),
        );
        assert_eq!(c.records.len(), 2);
        assert_eq!(c.problems.len(), 1);
        assert_eq!(c.problems[0].line, Some(1));
        assert!(c.problems[0].skipped_record);
    }

    #[test]
    fn empty_and_binary_files() {
        let c = read(b"", ReadLimits::default());
        assert_eq!(c.problems[0].kind, ErrorKind::Empty);
        let c = read(b"\n\n  \n", ReadLimits::default());
        assert_eq!(c.problems[0].kind, ErrorKind::Empty);
        let c = read(b"\x00\x01\x02binary", ReadLimits::default());
        assert_eq!(c.problems[0].kind, ErrorKind::Binary);
    }

    #[test]
    fn documents_over_the_limit_are_refused() {
        let limits = ReadLimits {
            max_document_bytes: 16,
            ..ReadLimits::default()
        };
        let c = read(b"[\n{\"a\":\"0123456789012345678901234567890\"}\n]", limits);
        assert!(c.records.is_empty());
        assert_eq!(c.problems[0].kind, ErrorKind::TooLarge);
    }
}
