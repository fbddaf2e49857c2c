//! A tolerant structural scanner for whole JSON documents: it finds where each record starts
//! and ends (matching brackets and strings only), so that one broken record is reported with
//! its line and its neighbours still load.
//!
//! Whatever the bytes, a scan is one forward pass: every step moves past at least one byte,
//! nothing is scanned more than a fixed number of times, nothing recurses, and what is found
//! is handed out as it is found (so memory does not grow with the number of records or
//! problems).

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
    pub reason: &'static str,
    /// Whether content was lost (a record skipped), as opposed to a structural flaw the
    /// records around it survived (a trailing comma, a brace recovered from).
    pub lost: bool,
}

/// What a scan finds, in document order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    /// A record's span.
    Record(Span),
    /// A structural problem.
    Problem(ScanProblem),
}

/// Keys whose array value is treated as a list of records (`CloudTrail`, Kubernetes lists...).
pub(super) const ENVELOPE_KEYS: [&str; 2] = ["Records", "items"];

/// Counts lines incrementally: the cost of a query is the distance from the previous one.
struct LineCounter<'a> {
    buf: &'a [u8],
    pos: usize,
    line: u64,
}

impl LineCounter<'_> {
    fn line_at(&mut self, offset: usize) -> u64 {
        let offset = offset.min(self.buf.len());
        let newlines = |s: &[u8]| memchr::memchr_iter(b'\n', s).count() as u64;
        if offset >= self.pos {
            self.line += newlines(&self.buf[self.pos..offset]);
        } else {
            self.line -= newlines(&self.buf[offset..self.pos]);
        }
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

/// Skips a run of `byte`, with any whitespace between.
fn skip_run(buf: &[u8], mut pos: usize, byte: u8) -> usize {
    while pos < buf.len() && (buf[pos] == byte || matches!(buf[pos], b' ' | b'\t' | b'\r' | b'\n'))
    {
        pos += 1;
    }
    pos
}

/// The kinds of the brackets open around the scan position, one bit each (`true` for `{`):
/// deep nesting costs a bit per level, and nothing recurses.
#[derive(Default)]
struct Openers {
    /// The first 64 levels.
    low: u64,
    /// Levels past 64, 64 to a word.
    high: Vec<u64>,
    depth: usize,
}

impl Openers {
    fn push(&mut self, brace: bool) {
        let (word, bit) = (self.depth / 64, self.depth % 64);
        if word > self.high.len() {
            self.high.push(0);
        }
        let w = if word == 0 {
            &mut self.low
        } else {
            &mut self.high[word - 1]
        };
        if brace {
            *w |= 1 << bit;
        } else {
            *w &= !(1 << bit);
        }
        self.depth += 1;
    }

    /// Whether the innermost open bracket is a `{` (`None` when none is open).
    fn top(&self) -> Option<bool> {
        let d = self.depth.checked_sub(1)?;
        let w = if d < 64 {
            self.low
        } else {
            self.high[d / 64 - 1]
        };
        Some(w >> (d % 64) & 1 == 1)
    }

    fn pop(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }
}

/// Finds the end (exclusive) of the JSON value starting at `pos`, or `None` when the
/// document ends first. Only strings and brackets are tracked; a closing bracket of the
/// wrong kind (the `]` of `{"a"]}`) is passed over, so a broken record keeps the boundaries
/// of its neighbours (the parser then reports it). A value that starts with `,`, `]`, `}` or
/// whitespace is empty (`Some(pos)`).
pub(crate) fn value_end(buf: &[u8], pos: usize) -> Option<usize> {
    let first = *buf.get(pos)?;
    match first {
        b'"' => string_end(buf, pos),
        b'{' | b'[' => {
            let mut open = Openers::default();
            let mut i = pos;
            while i < buf.len() {
                match buf[i] {
                    b'"' => {
                        i = string_end(buf, i)?;
                        continue;
                    }
                    b'{' => open.push(true),
                    b'[' => open.push(false),
                    c @ (b'}' | b']') if open.top() == Some(c == b'}') => {
                        open.pop();
                        if open.depth == 0 {
                            return Some(i + 1);
                        }
                    }
                    // Anything else, a closer of the wrong kind included, is passed over.
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
/// Hands each record's span and each structural problem to `found`, in document order.
pub fn scan_document(buf: &[u8], first_line: u64, found: &mut dyn FnMut(Found)) {
    let mut out = Scan {
        buf,
        lines: LineCounter {
            buf,
            pos: 0,
            line: first_line,
        },
        found,
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
            b'[' => pos = out.array(pos, buf.len()).unwrap_or(buf.len()),
            b'{' => {
                let Some(end) = value_end(buf, pos) else {
                    out.unterminated_object(pos);
                    return;
                };
                match out.envelope_array(pos, end) {
                    // The array is read within its envelope, never past it.
                    Some(array_start) => {
                        out.array(array_start, end);
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
    memchr::memchr(b'\n', &buf[pos..]).map_or(buf.len(), |i| pos + i + 1)
}

/// The lines of `buf` from the line starting at `start`, as `(start, end)` without their
/// `\n`.
fn lines_from(buf: &[u8], start: usize) -> impl Iterator<Item = (usize, usize)> + '_ {
    let mut a = start;
    std::iter::from_fn(move || {
        if a >= buf.len() {
            return None;
        }
        let b = memchr::memchr(b'\n', &buf[a..]).map_or(buf.len(), |i| a + i);
        let line = (a, b);
        a = b + 1;
        Some(line)
    })
}

struct Scan<'a, 'f> {
    buf: &'a [u8],
    lines: LineCounter<'a>,
    found: &'f mut dyn FnMut(Found),
}

impl Scan<'_, '_> {
    fn report(&mut self, pos: usize, reason: &'static str, lost: bool) {
        // A problem at the end of the document is on its last non-blank line.
        let pos = if pos >= self.buf.len() {
            self.buf.trim_ascii_end().len().saturating_sub(1)
        } else {
            pos
        };
        let line = self.lines.line_at(pos);
        (self.found)(Found::Problem(ScanProblem { line, reason, lost }));
    }

    /// A problem that cost content.
    fn problem(&mut self, pos: usize, reason: &'static str) {
        self.report(pos, reason, true);
    }

    /// A structural flaw that costs no record.
    fn flaw(&mut self, pos: usize, reason: &'static str) {
        self.report(pos, reason, false);
    }

    fn record(&mut self, start: usize, end: usize) {
        // A record cut short by the end of the document ends at its last non-blank byte.
        let end = start + self.buf[start..end].trim_ascii_end().len();
        let line = self.lines.line_at(start);
        (self.found)(Found::Record(Span { start, end, line }));
    }

    /// Iterates the elements of the array starting at `pos`, reading no further than
    /// `limit`; returns the offset after its `]`, or `None` when it ends first. Every turn
    /// of the loop moves past at least one byte and reports at most one thing.
    fn array(&mut self, pos: usize, limit: usize) -> Option<usize> {
        let buf = &self.buf[..limit];
        let mut i = pos + 1;
        let mut after_element = false;
        loop {
            i = skip_ws(buf, i);
            let Some(&b) = buf.get(i) else {
                // Every element was handed out: what is missing is the `]`.
                self.flaw(
                    i,
                    "unterminated JSON array (its document ends before the `]`)",
                );
                return None;
            };
            match b {
                b']' => return Some(i + 1),
                b',' if after_element => {
                    if buf.get(skip_ws(buf, i + 1)) == Some(&b']') {
                        self.flaw(i, "trailing comma before `]`");
                    }
                    after_element = false;
                    i += 1;
                }
                b',' => {
                    self.flaw(i, "unexpected `,` in array (empty element)");
                    i = skip_run(buf, i, b',');
                }
                b'}' => {
                    // A brace that closes nothing: an element broken near its start.
                    self.flaw(i, "unexpected `}` in array (it closes nothing)");
                    i = skip_run(buf, i, b'}');
                }
                _ => {
                    if after_element {
                        self.flaw(i, "expected `,` or `]` after an array element");
                    }
                    let Some(end) = value_end(buf, i) else {
                        self.problem(i, "unterminated JSON value (the document ends inside it)");
                        return None;
                    };
                    // `end > i`: the byte at `i` is neither whitespace nor `,`, `]`, `}`.
                    self.record(i, end);
                    after_element = true;
                    i = end;
                }
            }
        }
    }

    /// A top-level object at `pos` that never closes: its records are recovered by
    /// indentation, or else (a compact envelope cut short) read from its envelope's array up
    /// to where it breaks.
    fn unterminated_object(&mut self, pos: usize) {
        const REASON: &str =
            "unterminated JSON object (a brace is missing or the file ends inside it)";
        let after = next_line_start(self.buf, pos);
        if let Some(first) =
            lines_from(self.buf, after).find(|&(a, b)| trim(&self.buf[a..b]) == b"{")
        {
            self.flaw(pos, "unterminated JSON object (a brace is missing or the file ends inside it): records recovered by indentation");
            self.recover_by_indentation(first.0);
            return;
        }
        let len = self.buf.len();
        if let Some(array_start) = self.envelope_array(pos, len) {
            // An array that ends too has its own report.
            if self.array(array_start, len).is_some() {
                self.flaw(pos, REASON);
            }
        } else {
            self.problem(pos, REASON);
        }
    }

    /// Recovery for a pretty-printed document whose brackets do not balance (a brace missing
    /// inside one record swallows the rest): records are the lines holding a lone `{` at the
    /// indentation of the first one, the line starting at `first`, each closed by the last
    /// `}` line at the same indentation before the next one. Each candidate is then parsed on
    /// its own, so the broken record is reported at its line and its neighbours still load.
    /// One pass over the lines, holding only the current candidate.
    fn recover_by_indentation(&mut self, first: usize) {
        let buf = self.buf;
        let indent = |line: &[u8]| {
            line.iter()
                .take_while(|c| **c == b' ' || **c == b'\t')
                .count()
        };
        let mut level: Option<usize> = None;
        // The open candidate: its start, and the end of its last closing line.
        let mut open: Option<(usize, Option<usize>)> = None;
        let mut prev_line_end = 0;
        for (a, b) in lines_from(buf, first) {
            let line = &buf[a..b];
            let t = trim(line);
            if t == b"{" || t == b"}" || t == b"}," {
                let ind = indent(line);
                if t == b"{" && level.is_none_or(|l| l == ind) {
                    level = Some(ind);
                    if let Some((start, close)) = open.take() {
                        self.record(start, close.unwrap_or(prev_line_end));
                    }
                    open = Some((a + ind, None));
                } else if t != b"{"
                    && level == Some(ind)
                    && let Some((_, close)) = &mut open
                {
                    *close = Some(a + ind + 1);
                }
            }
            prev_line_end = b;
        }
        if let Some((start, close)) = open {
            self.record(start, close.unwrap_or(buf.len()));
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
            let key = &buf[i + 1..key_end - 1];
            i = skip_ws(buf, key_end);
            if buf.get(i) != Some(&b':') {
                return None;
            }
            i = skip_ws(buf, i + 1);
            let value_start = i;
            if ENVELOPE_KEYS.iter().any(|k| k.as_bytes() == key)
                && buf.get(value_start) == Some(&b'[')
                && matches!(buf.get(skip_ws(buf, value_start + 1)), Some(b'{' | b']'))
            {
                return Some(value_start);
            }
            let value_stop = value_end(buf, i)?;
            // `value_stop > i` unless the value is empty (`"k":,`): the `,` below moves on.
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

    /// Collects a scan; the scan itself is checked to report no more than one thing per
    /// byte (so it cannot loop or grow without bound).
    fn scan(buf: &[u8], first_line: u64) -> (Vec<Span>, Vec<ScanProblem>) {
        let mut spans = Vec::new();
        let mut problems = Vec::new();
        scan_document(buf, first_line, &mut |f| {
            match f {
                Found::Record(s) => spans.push(s),
                Found::Problem(p) => problems.push(p),
            }
            assert!(
                spans.len() + problems.len() <= buf.len() + 1,
                "more findings than bytes in {:?}",
                String::from_utf8_lossy(buf)
            );
        });
        (spans, problems)
    }

    fn texts<'a>(buf: &'a str, spans: &[Span]) -> Vec<(&'a str, u64)> {
        spans
            .iter()
            .map(|s| (&buf[s.start..s.end], s.line))
            .collect()
    }

    #[test]
    fn top_level_array_with_lines() {
        let doc = "[\n  {\"a\": 1},\n  {\"b\": \"}]\"}\n]\n";
        let (spans, problems) = scan(doc.as_bytes(), 1);
        assert!(problems.is_empty());
        assert_eq!(
            texts(doc, &spans),
            vec![("{\"a\": 1}", 2), ("{\"b\": \"}]\"}", 3)]
        );
    }

    #[test]
    fn envelope_objects_expand_to_their_records() {
        let doc = "{\"Records\": [\n{\"x\":1},\n{\"y\":2}\n]}";
        let (spans, problems) = scan(doc.as_bytes(), 1);
        assert!(problems.is_empty());
        assert_eq!(texts(doc, &spans), vec![("{\"x\":1}", 2), ("{\"y\":2}", 3)]);
        let k8s = r#"{"kind":"EventList","items":[{"a":1}]}"#;
        assert_eq!(scan(k8s.as_bytes(), 7).0.len(), 1);
        assert_eq!(scan(k8s.as_bytes(), 7).0[0].line, 7);
    }

    #[test]
    fn single_and_concatenated_objects() {
        let doc = "{\n \"a\": {\"b\": [1, 2]}\n}\n{\"c\": 3}\n";
        let (spans, problems) = scan(doc.as_bytes(), 1);
        assert!(problems.is_empty());
        assert_eq!(spans.len(), 2);
        assert_eq!(spans[1].line, 4);
    }

    #[test]
    fn a_missing_brace_costs_one_record_not_the_file() {
        let doc = "{\n  \"Records\": [\n    {\n      \"a\": {\n        \"x\": 1\n      ,\n      \"b\": 2\n    },\n    {\n      \"c\": 3\n    }\n  ]\n}\n";
        let (spans, problems) = scan(doc.as_bytes(), 1);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(!problems[0].lost);
        assert_eq!(spans.len(), 2);
        assert_eq!(spans[0].line, 3);
        assert_eq!(spans[1].line, 9);
        assert_eq!(
            &doc[spans[1].start..spans[1].end],
            "{\n      \"c\": 3\n    }"
        );
    }

    /// Findings come in document order: the flaw of the outer object before the records
    /// recovered inside it.
    #[test]
    fn recovery_reports_the_outer_flaw_first() {
        let doc =
            "{\n  \"Records\": [\n    {\n      \"a\": {\n    },\n    {\n      \"c\": 3\n    }\n";
        let mut order = Vec::new();
        scan_document(doc.as_bytes(), 1, &mut |f| {
            order.push(match f {
                Found::Record(s) => format!("record {}", s.line),
                Found::Problem(p) => format!("problem {}", p.line),
            });
        });
        assert_eq!(order, ["problem 1", "record 3", "record 6"]);
    }

    #[test]
    fn an_unterminated_object_with_nothing_to_recover_is_a_loss() {
        let (spans, problems) = scan(b"{\"a\": [1, 2", 1);
        assert!(spans.is_empty());
        assert_eq!(problems.len(), 1);
        assert!(problems[0].lost);
    }

    #[test]
    fn a_compact_envelope_cut_short_keeps_the_records_before_the_cut() {
        let doc = r#"{"Records":[{"a":1},{"b":2},{"c":"#;
        let (spans, problems) = scan(doc.as_bytes(), 1);
        assert_eq!(
            texts(doc, &spans),
            vec![(r#"{"a":1}"#, 1), (r#"{"b":2}"#, 1)]
        );
        assert_eq!(
            problems.iter().filter(|p| p.lost).count(),
            1,
            "{problems:?}"
        );
    }

    #[test]
    fn arrays_of_scalars_are_one_record() {
        let (spans, problems) = scan(b"[1, 2, 3]", 1);
        assert!(problems.is_empty());
        assert_eq!(spans.len(), 1);
    }

    #[test]
    fn trailing_comma_is_reported_and_records_survive() {
        let doc = "[\n{\"a\":1},\n{\"b\":2},\n]";
        let (spans, problems) = scan(doc.as_bytes(), 1);
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
            let (_spans, problems) = scan(doc.as_bytes(), 1);
            assert!(!problems.is_empty(), "{doc}");
        }
    }

    /// Issue 12: an array element broken right after its object opens made the array loop
    /// record an empty element and report the same byte forever.
    #[test]
    fn a_broken_element_after_an_object_opens_ends_the_scan() {
        for (doc, records) in [
            (r#"[{"a"]}]"#, vec![r#"{"a"]}"#]),
            ("[{]}", vec!["{]}"]),
            (r#"{"Records":[{]}}"#, vec!["{]}"]),
            (r#"{"Records":[{""""}}}"#, vec![r#"{""""}"#]),
            ("[}]", vec!["[}]"]),
            ("[{]}}]", vec!["{]}"]),
            (r#"[{"a":1},}}},{"b":2}]"#, vec![r#"{"a":1}"#, r#"{"b":2}"#]),
        ] {
            let (spans, problems) = scan(doc.as_bytes(), 1);
            let got: Vec<&str> = texts(doc, &spans).into_iter().map(|t| t.0).collect();
            assert_eq!(got, records, "{doc}: {problems:?}");
            assert!(problems.len() <= 2, "{doc}: {problems:?}");
        }
    }

    #[test]
    fn a_broken_element_costs_only_itself() {
        let doc = "{\"Records\":[\n{\"a\":1},\n{\"b\"]},\n{\"c\":3}\n]}";
        let (spans, problems) = scan(doc.as_bytes(), 1);
        assert_eq!(
            texts(doc, &spans),
            vec![("{\"a\":1}", 2), ("{\"b\"]}", 3), ("{\"c\":3}", 4)]
        );
        assert!(problems.is_empty(), "{problems:?}");
    }

    #[test]
    fn value_end_matches_bracket_kinds_at_any_depth() {
        let n = 50_000;
        let deep = format!("{}{}", "[{".repeat(n), "}]".repeat(n));
        assert_eq!(value_end(deep.as_bytes(), 0), Some(deep.len()));
        // A closer of the wrong kind at the bottom is passed over.
        let stray = format!("{}]{}", "[{".repeat(n), "}]".repeat(n));
        assert_eq!(value_end(stray.as_bytes(), 0), Some(stray.len()));
        let short = format!("{}{}", "[{".repeat(n), "}]".repeat(n - 1));
        assert_eq!(value_end(short.as_bytes(), 0), None);
    }

    /// An envelope's array is read within its envelope and each record is found once (a
    /// scan that ran on past the envelope found records twice, and took quadratic time).
    #[test]
    fn an_envelope_array_stops_at_its_envelope() {
        let one = "{\"Records\":[{\"a\"]},}]}\n{\"x\":1}\n";
        let (spans, problems) = scan(one.as_bytes(), 1);
        assert_eq!(
            texts(one, &spans),
            vec![("{\"a\"]}", 1), ("{\"x\":1}", 2)],
            "{problems:?}"
        );
        let many = one.repeat(2_000);
        let (spans, problems) = scan(many.as_bytes(), 1);
        assert_eq!(spans.len(), 4_000);
        assert_eq!(problems.len(), 2_000);
        assert_eq!(spans[3_999].line, 4_000);
    }

    #[test]
    fn runs_of_stray_commas_and_braces_are_one_problem_each() {
        let doc = format!(
            "[{{\"a\":1}},{}{}{{\"b\":2}}]",
            ",".repeat(1000),
            "}".repeat(1000)
        );
        let (spans, problems) = scan(doc.as_bytes(), 1);
        assert_eq!(spans.len(), 2);
        assert_eq!(problems.len(), 2, "{problems:?}");
    }

    #[test]
    fn deep_nesting_is_one_record_or_one_problem_without_recursion() {
        for open in ["[", "{", "[{", "{\"Records\":[{\"a\":"] {
            let doc = format!("{open}{}", "[".repeat(100_000));
            let (spans, problems) = scan(doc.as_bytes(), 1);
            assert!(spans.len() + problems.len() <= 2, "{open}");
            assert!(spans.len() + problems.len() >= 1, "{open}");
        }
        let balanced = format!("[{}{}]", "[".repeat(100_000), "]".repeat(100_000));
        assert_eq!(scan(balanced.as_bytes(), 1).0.len(), 1);
    }

    #[test]
    fn lines_are_counted_right_when_a_report_looks_back() {
        let doc = "{\n  {\n\"a\": 1\n  }\n  {\n\"b\": 2\n  }\n";
        let (spans, problems) = scan(doc.as_bytes(), 10);
        assert_eq!(
            spans.iter().map(|s| s.line).collect::<Vec<_>>(),
            vec![11, 14]
        );
        assert_eq!(problems[0].line, 10);
    }
}
