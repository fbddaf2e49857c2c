//! Decoding on several threads. The reading thread cuts the records of a member into
//! batches; worker threads decode them (JSON, adapter, integrity status); the reading thread
//! applies the decoded batches back in input order. So the sink, the summary and every
//! ordinal see exactly the sequence a single-threaded load gives, however the workers are
//! scheduled. The number of batches in flight is bounded, so memory stays bounded by the
//! batch size, not by the input.

use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::mpsc::{Receiver, Sender, SyncSender, sync_channel};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use super::StatusLookup;
use super::decode::decode_record;
use super::error::{ErrorKind, IngestError};
use super::generic::GenericMapping;
use crate::model::AuditEvent;

/// Records in a batch before it is sent.
const BATCH_RECORDS: usize = 512;
/// Record bytes in a batch before it is sent.
const BATCH_BYTES: usize = 1 << 20;

/// What the reader saw, in input order.
enum Item {
    /// A record: its line and where its bytes are in the batch.
    Record { line: u64, bytes: Range<usize> },
    /// A problem reported while reading (kept in place so the error list keeps its order).
    Problem(IngestError),
}

/// The records of one member, on their way to a worker.
struct Batch {
    seq: u64,
    path: Arc<str>,
    bytes: Vec<u8>,
    items: Vec<Item>,
}

/// The original record text of an event.
enum RawText {
    /// A range of the batch's bytes (always: a decoded event borrows its record).
    Range(Range<usize>),
    /// A copy, should an adapter ever hand out text from elsewhere.
    Owned(String),
}

/// What one item became.
enum Outcome {
    Events(Vec<(AuditEvent, RawText)>),
    Error(IngestError),
}

/// A decoded batch, back from a worker.
pub(super) struct Done {
    seq: u64,
    bytes: Vec<u8>,
    outcomes: Vec<Outcome>,
}

/// One applied result, handed to the pipeline in input order.
// Moved straight into the sink, once per event: boxing the event would allocate per event.
#[allow(clippy::large_enum_variant)]
pub(super) enum Applied<'a> {
    /// A decoded event and its record text.
    Event(AuditEvent, &'a str),
    /// An error (a record that did not decode, or a reading problem).
    Error(IngestError),
    /// The end of one record's events (for progress reports).
    RecordEnd,
}

/// The worker threads and the batches in flight.
pub(super) struct Pool {
    jobs: Option<SyncSender<Batch>>,
    done: Receiver<Done>,
    workers: Vec<JoinHandle<()>>,
    current: Batch,
    next_seq: u64,
    next_apply: u64,
    waiting: BTreeMap<u64, Done>,
    in_flight: usize,
    window: usize,
    spare: Vec<Vec<u8>>,
    /// What the workers decode with, kept to decode here should every worker be gone.
    status: Option<Arc<dyn StatusLookup>>,
    mapping: Arc<GenericMapping>,
}

impl Pool {
    /// Starts `workers` decoding threads (at least one). `None` when no thread could start:
    /// the load then decodes on the calling thread.
    pub(super) fn start(
        workers: usize,
        status: Option<&Arc<dyn StatusLookup>>,
        mapping: &Arc<GenericMapping>,
    ) -> Option<Self> {
        let workers = workers.max(1);
        let window = workers * 2 + 2;
        let (jobs, rx) = sync_channel::<Batch>(window);
        let rx = Arc::new(Mutex::new(rx));
        let (done_tx, done) = std::sync::mpsc::channel();
        let mut handles = Vec::with_capacity(workers);
        for i in 0..workers {
            let rx = Arc::clone(&rx);
            let tx = done_tx.clone();
            let status = status.cloned();
            let mapping = Arc::clone(mapping);
            let spawned = std::thread::Builder::new()
                .name(format!("auditlens-decode-{i}"))
                .spawn(move || work(&rx, &tx, status.as_deref(), &mapping));
            match spawned {
                Ok(h) => handles.push(h),
                Err(_) if handles.is_empty() => return None,
                Err(_) => break,
            }
        }
        Some(Self {
            jobs: Some(jobs),
            done,
            workers: handles,
            current: Batch {
                seq: 0,
                path: Arc::from(""),
                bytes: Vec::new(),
                items: Vec::new(),
            },
            next_seq: 0,
            next_apply: 0,
            waiting: BTreeMap::new(),
            in_flight: 0,
            window,
            spare: Vec::new(),
            status: status.cloned(),
            mapping: Arc::clone(mapping),
        })
    }

    /// Queues one record of `path`; may apply finished batches through `apply`.
    pub(super) fn record(
        &mut self,
        path: &str,
        line: u64,
        bytes: &[u8],
        apply: &mut dyn FnMut(Applied<'_>) -> bool,
    ) {
        if *self.current.path != *path {
            self.flush(apply);
            self.current.path = Arc::from(path);
        }
        let start = self.current.bytes.len();
        self.current.bytes.extend_from_slice(bytes);
        self.current.items.push(Item::Record {
            line,
            bytes: start..self.current.bytes.len(),
        });
        if self.current.items.len() >= BATCH_RECORDS || self.current.bytes.len() >= BATCH_BYTES {
            self.flush(apply);
        }
    }

    /// Queues a reading problem in its place among the records.
    pub(super) fn problem(&mut self, error: IngestError) {
        self.current.items.push(Item::Problem(error));
    }

    /// Sends the current batch to the workers, first applying finished batches when the
    /// window is full.
    pub(super) fn flush(&mut self, apply: &mut dyn FnMut(Applied<'_>) -> bool) {
        if self.current.items.is_empty() {
            return;
        }
        while self.in_flight >= self.window {
            if !self.receive_one(apply) {
                break;
            }
        }
        let bytes = self.spare.pop().unwrap_or_default();
        let next = Batch {
            seq: self.next_seq + 1,
            path: Arc::clone(&self.current.path),
            bytes,
            items: Vec::with_capacity(BATCH_RECORDS),
        };
        let mut batch = std::mem::replace(&mut self.current, next);
        batch.seq = self.next_seq;
        self.next_seq += 1;
        let sent = self.jobs.as_ref().map(|j| j.send(batch));
        match sent {
            Some(Ok(())) => self.in_flight += 1,
            // Every worker is gone (they only end when the queue closes): decode here.
            Some(Err(e)) => {
                let done = decode_batch(e.0, self.status.as_deref(), &self.mapping);
                self.waiting.insert(done.seq, done);
                self.apply_ready(apply);
            }
            None => {}
        }
        self.apply_ready(apply);
    }

    /// Sends what is left and applies every batch still in flight.
    pub(super) fn finish(&mut self, apply: &mut dyn FnMut(Applied<'_>) -> bool) {
        self.flush(apply);
        while self.next_apply < self.next_seq {
            if !self.receive_one(apply) {
                break;
            }
        }
        self.jobs = None;
        for w in self.workers.drain(..) {
            let _ = w.join();
        }
    }

    /// Waits for one decoded batch and applies whatever is next in order.
    fn receive_one(&mut self, apply: &mut dyn FnMut(Applied<'_>) -> bool) -> bool {
        match self.done.recv() {
            Ok(done) => {
                self.in_flight = self.in_flight.saturating_sub(1);
                self.waiting.insert(done.seq, done);
                self.apply_ready(apply);
                true
            }
            Err(_) => false,
        }
    }

    fn apply_ready(&mut self, apply: &mut dyn FnMut(Applied<'_>) -> bool) {
        while let Some(done) = self.waiting.remove(&self.next_apply) {
            self.next_apply += 1;
            let Done {
                mut bytes,
                outcomes,
                ..
            } = done;
            apply_batch(&bytes, outcomes, apply);
            bytes.clear();
            if self.spare.len() < self.window {
                self.spare.push(bytes);
            }
        }
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        self.jobs = None;
        // Unblock workers waiting to hand in a result nobody will apply.
        while self.done.try_recv().is_ok() {}
        for w in self.workers.drain(..) {
            let _ = w.join();
        }
    }
}

/// Hands a decoded batch's outcomes to `apply`, in order; stops when `apply` says so.
fn apply_batch(bytes: &[u8], outcomes: Vec<Outcome>, apply: &mut dyn FnMut(Applied<'_>) -> bool) {
    for outcome in outcomes {
        match outcome {
            Outcome::Events(events) => {
                for (event, raw) in events {
                    let owned;
                    let text = match raw {
                        RawText::Range(r) => bytes
                            .get(r)
                            .and_then(|b| std::str::from_utf8(b).ok())
                            .unwrap_or_default(),
                        RawText::Owned(s) => {
                            owned = s;
                            owned.as_str()
                        }
                    };
                    if !apply(Applied::Event(event, text)) {
                        return;
                    }
                }
                if !apply(Applied::RecordEnd) {
                    return;
                }
            }
            Outcome::Error(e) => {
                if !apply(Applied::Error(e)) {
                    return;
                }
            }
        }
    }
}

fn work(
    jobs: &Mutex<Receiver<Batch>>,
    done: &Sender<Done>,
    status: Option<&dyn StatusLookup>,
    mapping: &GenericMapping,
) {
    loop {
        let batch = match jobs.lock() {
            Ok(rx) => rx.recv(),
            Err(_) => return,
        };
        let Ok(batch) = batch else {
            return;
        };
        if done.send(decode_batch(batch, status, mapping)).is_err() {
            return;
        }
    }
}

/// Decodes every record of a batch. A panic while decoding (a bug, never input) costs the
/// batch's records as errors instead of stopping the load or leaving it waiting.
fn decode_batch(batch: Batch, status: Option<&dyn StatusLookup>, mapping: &GenericMapping) -> Done {
    let Batch {
        seq,
        path,
        bytes,
        items,
    } = batch;
    let mut outcomes = Vec::with_capacity(items.len());
    for item in items {
        match item {
            Item::Problem(e) => outcomes.push(Outcome::Error(e)),
            Item::Record { line, bytes: range } => {
                let record = bytes.get(range.clone()).unwrap_or_default();
                let decoded = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    decode_one(&path, line, record, range.start, status, mapping)
                }));
                outcomes.push(decoded.unwrap_or_else(|_| {
                    Outcome::Error(IngestError::record(
                        &path,
                        line,
                        ErrorKind::Malformed,
                        "internal error while decoding this record".to_owned(),
                    ))
                }));
            }
        }
    }
    Done {
        seq,
        bytes,
        outcomes,
    }
}

/// Decodes one record whose bytes start at `offset` in its batch.
fn decode_one(
    path: &str,
    line: u64,
    record: &[u8],
    offset: usize,
    status: Option<&dyn StatusLookup>,
    mapping: &GenericMapping,
) -> Outcome {
    match decode_record(path, line, record, mapping) {
        Ok(events) => {
            let status = status.and_then(|lookup| lookup.status(path, line, record));
            let base = record.as_ptr() as usize;
            let events = events
                .into_iter()
                .map(|mut d| {
                    d.event.integrity.clone_from(&status);
                    let at = (d.raw.as_ptr() as usize).wrapping_sub(base);
                    let raw = if at <= record.len() && d.raw.len() <= record.len() - at {
                        RawText::Range(offset + at..offset + at + d.raw.len())
                    } else {
                        RawText::Owned(d.raw.to_owned())
                    };
                    (d.event, raw)
                })
                .collect();
            Outcome::Events(events)
        }
        Err(e) => Outcome::Error(e),
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::super::{EventSink, IngestOptions, ingest};
    use crate::model::AuditEvent;

    #[derive(Default)]
    struct Collect(Vec<(AuditEvent, String)>);

    impl EventSink for Collect {
        fn event(&mut self, event: AuditEvent, raw: &str) -> bool {
            self.0.push((event, raw.to_owned()));
            true
        }
    }

    /// Stops after `0` events.
    struct StopAfter(usize, usize);

    impl EventSink for StopAfter {
        fn event(&mut self, _: AuditEvent, _: &str) -> bool {
            self.1 += 1;
            self.1 < self.0
        }
    }

    fn write_inputs(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
        let mut paths = Vec::new();
        for f in 0..3 {
            let p = dir.join(format!("f{f}.jsonl"));
            let mut out = std::fs::File::create(&p).unwrap();
            for i in 0..1500 {
                match i % 97 {
                    // A broken record, a scalar line and a line that is too long: errors
                    // in their places among the events.
                    3 => writeln!(out, "{{\"ts\": \"2024-01-01T00:00:00Z\", \"action\": ").unwrap(),
                    5 => writeln!(out, "42").unwrap(),
                    7 => writeln!(out, "{{\"msg\": \"{}\"}}", "x".repeat(5000)).unwrap(),
                    _ => writeln!(
                        out,
                        "{{\"ts\":\"2024-01-01T00:{:02}:{:02}Z\",\"action\":\"a.{i}\",\"user\":\"u{f}\",\"msg\":\"m {i}\",\"details\":{{\"n\":{i}}}}}",
                        i / 60 % 60,
                        i % 60
                    )
                    .unwrap(),
                }
            }
            paths.push(p);
        }
        paths
    }

    fn options(threads: usize) -> IngestOptions {
        let mut o = IngestOptions {
            threads,
            ..IngestOptions::default()
        };
        o.limits.max_line_bytes = 4096;
        o
    }

    #[test]
    fn parallel_decoding_gives_the_events_and_errors_of_a_serial_load_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let paths = write_inputs(dir.path());
        let mut serial = Collect::default();
        let want = ingest(&paths, options(1), &mut serial, |_| {});
        assert!(want.errors_total >= 3 * 3 * 15, "{}", want.errors_total);
        assert_eq!(serial.0.len() as u64, want.events);
        for threads in [2, 3, 8] {
            let mut parallel = Collect::default();
            let got = ingest(&paths, options(threads), &mut parallel, |_| {});
            assert_eq!(got, want, "summary with {threads} threads");
            assert!(parallel.0 == serial.0, "events with {threads} threads");
        }
    }

    #[test]
    fn a_sink_that_stops_stops_a_parallel_load() {
        let dir = tempfile::tempdir().unwrap();
        let paths = write_inputs(dir.path());
        let mut sink = StopAfter(700, 0);
        let got = ingest(&paths, options(3), &mut sink, |_| {});
        assert_eq!(sink.1, 700);
        assert_eq!(got.events, 700);
    }
}
