//! `MessageLog`: every status message with when it was shown, for `:messages` (the
//! status line shows only the newest, and only for a few seconds). Bounded: the oldest
//! entries go first. Allowed imports: `chrono`, `model`.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

/// Entries kept.
pub const MAX_MESSAGES: usize = 500;
/// How long a message stays on the status line.
pub const STATUS_TTL: Duration = Duration::from_secs(5);
/// How long an error stays on the status line.
pub const ERROR_TTL: Duration = Duration::from_secs(15);

/// A problem loading an input (sanitised), for the Log pane.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadProblem {
    /// The input as events name it (`path`).
    pub path: String,
    /// 1-based line, when known.
    pub line: Option<u64>,
    /// What went wrong.
    pub reason: String,
}

/// One status message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEntry {
    /// When it was shown (the latest tick then; `None` before the first tick).
    pub at: Option<Instant>,
    /// Text (already safe to print).
    pub text: String,
    /// An error.
    pub error: bool,
}

/// The message log.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MessageLog {
    entries: VecDeque<LogEntry>,
    dropped: u64,
    /// A tick and the wall clock then (set by the runtime at start): entries are shown as
    /// clock times; without it, as time since the first entry.
    pub origin: Option<(Instant, DateTime<Utc>)>,
}

impl MessageLog {
    /// Records a message shown at `at`.
    pub fn push(&mut self, at: Option<Instant>, text: String, error: bool) {
        if self.entries.len() == MAX_MESSAGES {
            self.entries.pop_front();
            self.dropped += 1;
        }
        self.entries.push_back(LogEntry { at, text, error });
    }

    /// The entries, oldest first.
    pub fn entries(&self) -> impl DoubleEndedIterator<Item = &LogEntry> + ExactSizeIterator {
        self.entries.iter()
    }

    /// Entries dropped to stay within [`MAX_MESSAGES`].
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// The newest entry.
    pub fn last(&self) -> Option<&LogEntry> {
        self.entries.back()
    }

    /// Gives the newest entry a time when it was shown before the first tick.
    pub(crate) fn stamp_last(&mut self, now: Instant) {
        if let Some(e) = self.entries.back_mut()
            && e.at.is_none()
        {
            e.at = Some(now);
        }
    }

    /// Whether the newest entry has been on the status line long enough at `now`.
    pub(crate) fn last_expired(&self, now: Instant) -> bool {
        self.last()
            .and_then(|e| e.at.map(|at| (at, e.error)))
            .is_some_and(|(at, error)| {
                now.saturating_duration_since(at) >= if error { ERROR_TTL } else { STATUS_TTL }
            })
    }

    /// When `entry` was shown, for the log: a clock time (`HH:MM:SS` in `tz`) when the runtime
    /// gave the clock, else seconds since the first entry.
    pub fn when(&self, entry: &LogEntry, tz: crate::model::Tz) -> String {
        let Some(at) = entry.at else {
            return "--:--:--".to_owned();
        };
        if let Some((tick, wall)) = self.origin {
            let t = if at >= tick {
                chrono::Duration::from_std(at - tick).map(|d| wall + d)
            } else {
                chrono::Duration::from_std(tick - at).map(|d| wall - d)
            };
            if let Ok(t) = t {
                return match tz {
                    crate::model::Tz::Utc => t.format("%H:%M:%S").to_string(),
                    crate::model::Tz::Local => t
                        .with_timezone(&chrono::Local)
                        .format("%H:%M:%S")
                        .to_string(),
                };
            }
        }
        let first = self.entries.iter().find_map(|e| e.at).unwrap_or(at);
        format!("+{:.1}s", at.saturating_duration_since(first).as_secs_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_log_is_bounded_and_messages_expire() {
        let t0 = Instant::now();
        let mut log = MessageLog::default();
        for i in 0..MAX_MESSAGES + 3 {
            log.push(Some(t0), format!("m{i}"), false);
        }
        assert_eq!(log.entries().len(), MAX_MESSAGES);
        assert_eq!(log.dropped(), 3);
        assert_eq!(log.entries().next().unwrap().text, "m3");
        assert!(!log.last_expired(t0 + Duration::from_secs(4)));
        assert!(log.last_expired(t0 + STATUS_TTL));
        log.push(None, "bad".into(), true);
        assert!(
            !log.last_expired(t0 + Duration::from_secs(100)),
            "no time yet"
        );
        log.stamp_last(t0);
        assert!(!log.last_expired(t0 + STATUS_TTL));
        assert!(log.last_expired(t0 + ERROR_TTL));
        let wall = DateTime::parse_from_rfc3339("2026-12-07T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        log.origin = Some((t0, wall));
        let e = LogEntry {
            at: Some(t0 + Duration::from_secs(61)),
            text: String::new(),
            error: false,
        };
        assert_eq!(log.when(&e, crate::model::Tz::Utc), "10:01:01");
    }
}
