//! Following growing JSON-lines files like `tail -F`, shared by `auditlens watch` and the
//! explorer's live follow (`F`): a file replaced under its name is read to its end and then
//! followed anew; a file that shrank is read again from its start; a file that is missing
//! is waited for. Each complete new line is decoded into events; what happened to the
//! files is reported as [`FollowNote`]s (never written to a terminal from here).

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::PathBuf;

use super::decode_record;
use crate::model::AuditEvent;

/// Most bytes read from one file per poll (the rest waits for the next poll).
const READ_CHUNK: u64 = 8 << 20;

/// Decoded events waiting for their consumer, with their original text.
pub type Batch = Vec<(AuditEvent, String)>;

/// Something a follower noticed (text not yet escaped for a terminal).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FollowNote {
    /// Informational (a file appeared, was replaced, was truncated).
    Note(String),
    /// A line that could not be used.
    Warning(String),
}

/// One followed file.
#[derive(Debug)]
pub struct Follower {
    path: PathBuf,
    display: String,
    file: Option<File>,
    id: Option<(u64, u64)>,
    offset: u64,
    line: u64,
    partial: Vec<u8>,
    skipping: bool,
    missing_noted: bool,
    /// The generic mapping of the settings (records are decoded as the load decodes them).
    mapping: std::sync::Arc<super::GenericMapping>,
}

#[cfg(unix)]
#[allow(clippy::unnecessary_wraps)]
fn file_id(m: &std::fs::Metadata) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    Some((m.dev(), m.ino()))
}

#[cfg(not(unix))]
fn file_id(_: &std::fs::Metadata) -> Option<(u64, u64)> {
    None
}

impl Follower {
    /// A follower of `path`, shown in events and notes as `display`.
    pub fn new(
        path: PathBuf,
        display: String,
        mapping: std::sync::Arc<super::GenericMapping>,
    ) -> Self {
        Self {
            mapping,
            display,
            path,
            file: None,
            id: None,
            offset: 0,
            line: 0,
            partial: Vec::new(),
            skipping: false,
            missing_noted: false,
        }
    }

    /// The followed path.
    pub fn path(&self) -> &std::path::Path {
        &self.path
    }

    /// Opens the file; from its end (counting its lines) unless `from_start`. Returns
    /// false when it does not exist (yet).
    pub fn open(&mut self, from_start: bool, notes: &mut Vec<FollowNote>) -> std::io::Result<bool> {
        let Ok(mut f) = File::open(&self.path) else {
            return Ok(false);
        };
        let meta = f.metadata()?;
        self.id = file_id(&meta);
        self.offset = 0;
        self.line = 0;
        self.partial.clear();
        self.skipping = false;
        if !from_start {
            let mut buf = vec![0u8; 1 << 16];
            loop {
                let n = f.read(&mut buf)?;
                if n == 0 {
                    break;
                }
                let chunk = &buf[..n];
                self.line += chunk.iter().filter(|&&b| b == b'\n').count() as u64;
                self.offset += n as u64;
                if let Some(i) = chunk.iter().rposition(|&b| b == b'\n') {
                    self.partial.clear();
                    self.partial.extend_from_slice(&chunk[i + 1..]);
                } else {
                    self.partial.extend_from_slice(chunk);
                }
            }
            // Only complete lines were counted; a partial last line is completed later.
        }
        if self.missing_noted {
            notes.push(FollowNote::Note(format!("{} appeared", self.display)));
            self.missing_noted = false;
        }
        self.file = Some(f);
        Ok(true)
    }

    /// Reads what was appended, noticing rotation and truncation. Returns true when more
    /// is waiting (the read stopped at its chunk limit).
    pub fn poll(
        &mut self,
        from_start: bool,
        max_line: usize,
        batch: &mut Batch,
        notes: &mut Vec<FollowNote>,
    ) -> std::io::Result<bool> {
        let meta = std::fs::metadata(&self.path);
        if self.file.is_none() {
            if meta.is_err() {
                if !self.missing_noted {
                    notes.push(FollowNote::Note(format!(
                        "waiting for {} to appear",
                        self.display
                    )));
                    self.missing_noted = true;
                }
                return Ok(false);
            }
            if !self.open(from_start, notes)? {
                return Ok(false);
            }
        }
        match meta {
            Ok(m) if file_id(&m) != self.id => {
                // Rotated: finish the old file, then follow the new one from its start.
                while self.read_new(max_line, batch, notes)? {}
                self.finish_partial(batch, notes);
                notes.push(FollowNote::Note(format!(
                    "{} was replaced; following the new file",
                    self.display
                )));
                self.file = None;
                self.open(true, notes)?;
            }
            Ok(m) if m.len() < self.offset => {
                notes.push(FollowNote::Note(format!(
                    "{} was truncated; reading it again from the start",
                    self.display
                )));
                self.offset = 0;
                self.line = 0;
                self.partial.clear();
                self.skipping = false;
            }
            Ok(_) => {}
            Err(_) => {
                // Removed or renamed away: read what the old file still holds; the name
                // is followed again when it reappears.
                return self.read_new(max_line, batch, notes);
            }
        }
        self.read_new(max_line, batch, notes)
    }

    fn read_new(
        &mut self,
        max_line: usize,
        batch: &mut Batch,
        notes: &mut Vec<FollowNote>,
    ) -> std::io::Result<bool> {
        let Some(f) = self.file.as_mut() else {
            return Ok(false);
        };
        f.seek(SeekFrom::Start(self.offset))?;
        let mut buf = Vec::new();
        f.take(READ_CHUNK).read_to_end(&mut buf)?;
        let more = buf.len() as u64 == READ_CHUNK;
        self.offset += buf.len() as u64;
        let mut rest = buf.as_slice();
        while let Some(i) = rest.iter().position(|&b| b == b'\n') {
            let (head, tail) = rest.split_at(i);
            rest = &tail[1..];
            self.line += 1;
            if self.skipping {
                self.skipping = false;
                self.partial.clear();
                continue;
            }
            self.partial.extend_from_slice(head);
            let record = std::mem::take(&mut self.partial);
            self.decode(&record, batch, notes);
        }
        if !self.skipping {
            self.partial.extend_from_slice(rest);
            if self.partial.len() > max_line {
                notes.push(FollowNote::Warning(format!(
                    "{}:{}: line longer than {max_line} bytes; skipped",
                    self.display,
                    self.line + 1
                )));
                self.partial.clear();
                self.skipping = true;
            }
        }
        Ok(more)
    }

    /// A last line without a newline in a file that was replaced still counts.
    fn finish_partial(&mut self, batch: &mut Batch, notes: &mut Vec<FollowNote>) {
        if !self.partial.is_empty() && !self.skipping {
            self.line += 1;
            let record = std::mem::take(&mut self.partial);
            self.decode(&record, batch, notes);
        }
    }

    fn decode(&self, record: &[u8], batch: &mut Batch, notes: &mut Vec<FollowNote>) {
        let record = record.strip_suffix(b"\r").unwrap_or(record);
        if record.iter().all(u8::is_ascii_whitespace) {
            return;
        }
        match decode_record(&self.display, self.line, record, &self.mapping) {
            Ok(events) => {
                for d in events {
                    batch.push((d.event, d.raw.to_owned()));
                }
            }
            Err(e) => notes.push(FollowNote::Warning(e.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write as _;

    fn line(n: u64) -> String {
        format!(
            "{{\"ts\":\"2026-03-09T02:00:{n:02}Z\",\"action\":\"a{n}\",\"actor\":{{\"id\":\"u\"}}}}\n"
        )
    }

    #[test]
    fn appended_lines_are_read_once_and_truncation_and_rotation_are_noticed() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f.jsonl");
        std::fs::write(&p, line(1)).unwrap();
        let mut f = Follower::new(
            p.clone(),
            "f.jsonl".into(),
            super::super::GenericMapping::shared_builtin(),
        );
        let (mut batch, mut notes) = (Batch::new(), Vec::new());
        assert!(f.open(false, &mut notes).unwrap());
        f.poll(true, 1 << 20, &mut batch, &mut notes).unwrap();
        assert!(batch.is_empty(), "the existing line is not read again");
        let mut w = std::fs::OpenOptions::new().append(true).open(&p).unwrap();
        w.write_all(line(2).as_bytes()).unwrap();
        w.write_all(b"{\"ts\":\"2026-03-09T02:00:03Z\",").unwrap();
        f.poll(true, 1 << 20, &mut batch, &mut notes).unwrap();
        assert_eq!(batch.len(), 1);
        assert_eq!(batch[0].0.action, "a2");
        assert_eq!(batch[0].0.origin.line, 2);
        w.write_all(b"\"action\":\"a3\"}\n").unwrap();
        f.poll(true, 1 << 20, &mut batch, &mut notes).unwrap();
        assert_eq!(batch.len(), 2, "a line completed later is read whole");
        std::fs::write(&p, line(4)).unwrap();
        f.poll(true, 1 << 20, &mut batch, &mut notes).unwrap();
        assert!(
            notes
                .iter()
                .any(|n| matches!(n, FollowNote::Note(t) if t.contains("truncated"))),
            "{notes:?}"
        );
        assert_eq!(batch.last().unwrap().0.action, "a4");
        let moved = dir.path().join("f.jsonl.1");
        std::fs::rename(&p, &moved).unwrap();
        std::fs::write(&p, line(5)).unwrap();
        f.poll(true, 1 << 20, &mut batch, &mut notes).unwrap();
        assert!(
            notes
                .iter()
                .any(|n| matches!(n, FollowNote::Note(t) if t.contains("replaced")))
        );
        assert_eq!(batch.last().unwrap().0.action, "a5");
    }
}
