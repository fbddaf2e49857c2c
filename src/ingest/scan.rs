//! A tolerant structural scanner for whole JSON documents: it finds where each record starts
//! and ends (matching brackets and strings only), so that one broken record is reported with
//! its line and its neighbours still load.

/// A record found in a document: its byte span and the 1-based line where it starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    /// Start offset (inclusive).
    pub start: usize,
    /// End offset (exclusive).
    pub end: usize,
    /// 1-based line of `start`.
    pub line: u64,
}

/// A structural problem, with the 1-based line where it was seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanProblem {
    /// Line of the problem.
    pub line: u64,
    /// What is wrong.
    pub reason: String,
    /// Whether content was lost (a record skipped), as opposed to a structural flaw the
    /// records around it survived (a trailing comma, a brace recovered from).
    pub lost: bool,
}

/// Keys whose array value is treated as a list of records (`CloudTrail`, Kubernetes lists...).
pub(super) const ENVELOPE_KEYS: [&str; 2] = ["Records", "items"];

/// Counts lines incrementally for monotonically increasing offsets.
struct LineCounter<'a> {
    buf: &'a [u8],
    pos: usize,
    line: u64,
}

impl LineCounter<'_> {
    fn line_at(&mut self, offset: usize) -> u64 {
        let offset = offset.min(self.buf.len());
        if offset < self.pos {
            self.pos = 0;
            self.line = 1;
        }
        self.line += self.buf[self.pos..offset]
            .iter()
            .filter(|&&b| b == b'\n')
            .count() as u64;
        self.pos = offset;
        self.line
    }
}

fn skip_ws(buf: &[u8], mut pos: usize) -> usize {
    while pos < buf.len() && matches!(buf[pos], b' ' | b'\t' | b'\r' | b'\n') {
        pos += 1;
    }
    pos
}

/// Finds the end (exclusive) of the JSON value starting at `pos`, or `None` when the
/// document ends first. Only strings and brackets are tracked.
pub fn value_end(buf: &[u8], pos: usize) -> Option<usize> {
    let first = *buf.get(pos)?;
    match first {
        b'"' => string_end(buf, pos),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut i = pos;
            while i < buf.len() {
                match buf[i] {
                    b'"' => {
                        i = string_end(buf, i)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth = depth.saturating_sub(1);
                        if depth == 0 {
                            return Some(i + 1);
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
            None
        }
        _ => {
            let mut i = pos;
            while i < buf.len()
                && !matches!(buf[i], b',' | b']' | b'}' | b' ' | b'\t' | b'\r' | b'\n')
            {
                i += 1;
            }
            Some(i)
        }
    }
}

fn string_end(buf: &[u8], pos: usize) -> Option<usize> {
    let mut i = pos + 1;
    while i < buf.len() {
        match buf[i] {
            b'\\' => i += 2,
            b'"' => return Some(i + 1),
            _ => i += 1,
        }
    }
    None
}

/// Scans a whole document: a top-level array of records, an envelope object
/// (`{"Records":[...]}`, `{"items":[...]}`), one object, or several concatenated values.
/// Returns the records' spans and the structural problems found.
pub fn scan_document(buf: &[u8], first_line: u64) -> (Vec<Span>, Vec<ScanProblem>) {
    let mut out = Scan {
        buf,
        lines: LineCounter {
            buf,
            pos: 0,
            line: first_line,
        },
        spans: Vec::new(),
        problems: Vec::new(),
    };
    let mut pos = skip_ws(buf, 0);
    while pos < buf.len() {
        match buf[pos] {
            b'[' if !array_of_objects(buf, pos) => {
                // A list of scalars is one (unloadable) record, not one error per element.
                let end = value_end(buf, pos).unwrap_or(buf.len());
                out.record(pos, end);
                pos = end;
            }
            b'[' => pos = out.array(pos),
            b'{' => {
                let Some(end) = value_end(buf, pos) else {
                    out.flaw(pos, "unterminated JSON object (a brace is missing or the file ends inside it): records recovered by indentation");
                    out.recover_by_indentation(pos);
                    return out.finish();
                };
                match out.envelope_array(pos, end) {
                    Some(array_start) => {
                        out.array(array_start);
                    }
                    None => out.record(pos, end),
                }
                pos = end;
            }
            b',' => {
                out.flaw(pos, "unexpected `,` between top-level values");
                pos += 1;
            }
            _ => {
                out.problem(pos, "not JSON: expected `{` or `[`");
                // Resynchronise at the next line that starts a value.
                pos = next_line_start(buf, pos);
            }
        }
        pos = skip_ws(buf, pos);
    }
    out.finish()
}

/// Whether the array at `pos` is empty or starts with an object.
fn array_of_objects(buf: &[u8], pos: usize) -> bool {
    matches!(buf.get(skip_ws(buf, pos + 1)), Some(b'{' | b']') | None)
}

fn trim(b: &[u8]) -> &[u8] {
    let s = b
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(b.len());
    let e = b
        .iter()
        .rposition(|c| !c.is_ascii_whitespace())
        .map_or(s, |i| i + 1);
    &b[s..e]
}

fn next_line_start(buf: &[u8], pos: usize) -> usize {
    buf[pos..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(buf.len(), |i| pos + i + 1)
}

struct Scan<'a> {
    buf: &'a [u8],
    lines: LineCounter<'a>,
    spans: Vec<Span>,
    problems: Vec<ScanProblem>,
}

impl Scan<'_> {
    fn finish(self) -> (Vec<Span>, Vec<ScanProblem>) {
        (self.spans, self.problems)
    }

    fn problem(&mut self, pos: usize, reason: &str) {
        let line = self.lines.line_at(pos);
        self.problems.push(ScanProblem {
            line,
            reason: reason.to_owned(),
            lost: true,
        });
    }

    /// A structural flaw that costs no record.
    fn flaw(&mut self, pos: usize, reason: &str) {
        let line = self.lines.line_at(pos);
        self.problems.push(ScanProblem {
            line,
            reason: reason.to_owned(),
            lost: false,
        });
    }

    fn record(&mut self, start: usize, end: usize) {
        let line = self.lines.line_at(start);
        self.spans.push(Span { start, end, line });
    }

    /// Iterates the elements of the array starting at `pos`; returns the offset after it.
    fn array(&mut self, pos: usize) -> usize {
        let buf = self.buf;
        let mut i = pos + 1;
        loop {
            i = skip_ws(buf, i);
            match buf.get(i) {
                None => {
                    self.problem(i, "unterminated JSON array (the file ends inside it)");
                    return i;
                }
                Some(b']') => return i + 1,
                Some(b',') => {
                    self.flaw(i, "unexpected `,` in array (empty element)");
                    i += 1;
                    continue;
                }
                Some(_) => {}
            }
            let Some(end) = value_end(buf, i) else {
                self.problem(i, "unterminated JSON value (the file ends inside it)");
                return buf.len();
            };
            self.record(i, end);
            i = skip_ws(buf, end);
            match buf.get(i) {
                Some(b',') => {
                    let after = skip_ws(buf, i + 1);
                    if buf.get(after) == Some(&b']') {
                        self.flaw(i, "trailing comma before `]`");
                    }
                    i += 1;
                }
                Some(b']') => return i + 1,
                None => {
                    self.problem(i, "unterminated JSON array (the file ends inside it)");
                    return i;
                }
                Some(_) => {
                    self.problem(i, "expected `,` or `]` after an array element");
                }
            }
        }
    }

    /// Recovery for a pretty-printed document whose brackets do not balance (a brace missing
    /// inside one record swallows the rest): records are the lines holding a lone `{` at the
    /// indentation of the first one after `from`, each closed by the next `}` line at the same
    /// indentation. Each candidate is then parsed on its own, so the broken record is reported
    /// at its line and its neighbours still load.
    fn recover_by_indentation(&mut self, from: usize) {
        let buf = self.buf;
        let mut lines = Vec::new();
        let mut start = 0;
        for (i, &b) in buf.iter().enumerate() {
            if b == b'\n' {
                lines.push((start, i));
                start = i + 1;
            }
        }
        lines.push((start, buf.len()));
        let indent = |(a, b): (usize, usize)| {
            buf[a..b]
                .iter()
                .take_while(|c| **c == b' ' || **c == b'\t')
                .count()
        };
        let trimmed = |(a, b): (usize, usize)| trim(&buf[a..b]);
        // Skip the line of `from` itself (the outer object).
        let first = lines
            .iter()
            .position(|&(a, b)| a <= from && from <= b)
            .map_or(0, |i| i + 1);
        let Some(k) = lines[first..]
            .iter()
            .position(|&l| trimmed(l) == b"{")
            .map(|i| i + first)
        else {
            return;
        };
        let level = indent(lines[k]);
        let starts: Vec<usize> = (k..lines.len())
            .filter(|&i| indent(lines[i]) == level && trimmed(lines[i]) == b"{")
            .collect();
        for (n, &i) in starts.iter().enumerate() {
            let stop = starts.get(n + 1).copied().unwrap_or(lines.len());
            let close = (i + 1..stop)
                .rev()
                .find(|&j| indent(lines[j]) == level && matches!(trimmed(lines[j]), b"}" | b"},"));
            let begin = lines[i].0 + level;
            let end = match close {
                Some(j) => lines[j].0 + level + 1,
                None => lines[stop - 1].1,
            };
            self.record(begin, end);
        }
    }

    /// When the object at `start..end` holds an envelope key with an array of objects,
    /// returns the offset of that array.
    fn envelope_array(&self, start: usize, end: usize) -> Option<usize> {
        let buf = &self.buf[..end];
        let mut i = skip_ws(buf, start + 1);
        loop {
            if buf.get(i) != Some(&b'"') {
                return None;
            }
            let key_end = string_end(buf, i)?;
            let key = std::str::from_utf8(&buf[i + 1..key_end - 1]).ok()?;
            i = skip_ws(buf, key_end);
            if buf.get(i) != Some(&b':') {
                return None;
            }
            i = skip_ws(buf, i + 1);
            let value_start = i;
            let value_stop = value_end(buf, i)?;
            if ENVELOPE_KEYS.contains(&key) && buf.get(value_start) == Some(&b'[') {
                let first = skip_ws(buf, value_start + 1);
                if matches!(buf.get(first), Some(b'{' | b']')) {
                    return Some(value_start);
                }
            }
            i = skip_ws(buf, value_stop);
            match buf.get(i) {
                Some(b',') => i = skip_ws(buf, i + 1),
                _ => return None,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts<'a>(buf: &'a str, spans: &[Span]) -> Vec<(&'a str, u64)> {
        spans
            .iter()
            .map(|s| (&buf[s.start..s.end], s.line))
            .collect()
    }

    #[test]
    fn top_level_array_with_lines() {
        let doc = "[\n  {\"a\": 1},\n  {\"b\": \"}]\"}\n]\n";
        let (spans, problems) = scan_document(doc.as_bytes(), 1);
        assert!(problems.is_empty());
        assert_eq!(
            texts(doc, &spans),
            vec![("{\"a\": 1}", 2), ("{\"b\": \"}]\"}", 3)]
        );
    }

    #[test]
    fn envelope_objects_expand_to_their_records() {
        let doc = "{\"Records\": [\n{\"x\":1},\n{\"y\":2}\n]}";
        let (spans, problems) = scan_document(doc.as_bytes(), 1);
        assert!(problems.is_empty());
        assert_eq!(texts(doc, &spans), vec![("{\"x\":1}", 2), ("{\"y\":2}", 3)]);
        let k8s = r#"{"kind":"EventList","items":[{"a":1}]}"#;
        assert_eq!(scan_document(k8s.as_bytes(), 7).0.len(), 1);
        assert_eq!(scan_document(k8s.as_bytes(), 7).0[0].line, 7);
    }

    #[test]
    fn single_and_concatenated_objects() {
        let doc = "{\n \"a\": {\"b\": [1, 2]}\n}\n{\"c\": 3}\n";
        let (spans, problems) = scan_document(doc.as_bytes(), 1);
        assert!(problems.is_empty());
        assert_eq!(spans.len(), 2);
        assert_eq!(spans[1].line, 4);
    }

    #[test]
    fn a_missing_brace_costs_one_record_not_the_file() {
        let doc = "{\n  \"Records\": [\n    {\n      \"a\": {\n        \"x\": 1\n      ,\n      \"b\": 2\n    },\n    {\n      \"c\": 3\n    }\n  ]\n}\n";
        let (spans, problems) = scan_document(doc.as_bytes(), 1);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(spans.len(), 2);
        assert_eq!(spans[0].line, 3);
        assert_eq!(spans[1].line, 9);
        assert_eq!(
            &doc[spans[1].start..spans[1].end],
            "{\n      \"c\": 3\n    }"
        );
    }

    #[test]
    fn arrays_of_scalars_are_one_record() {
        let (spans, problems) = scan_document(b"[1, 2, 3]", 1);
        assert!(problems.is_empty());
        assert_eq!(spans.len(), 1);
    }

    #[test]
    fn trailing_comma_is_reported_and_records_survive() {
        let doc = "[\n{\"a\":1},\n{\"b\":2},\n]";
        let (spans, problems) = scan_document(doc.as_bytes(), 1);
        assert_eq!(spans.len(), 2);
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].line, 3);
    }

    #[test]
    fn truncated_documents_report_instead_of_panicking() {
        for doc in [
            "[{\"a\":1}, {\"b\":",
            "{\"a\": \"unterminated",
            "[",
            "{",
            "\"",
            "[{},,{}]",
            "x y z",
        ] {
            let (_spans, problems) = scan_document(doc.as_bytes(), 1);
            assert!(!problems.is_empty(), "{doc}");
        }
    }
}
