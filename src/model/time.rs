//! Timestamp normalisation: every shape seen in real exports becomes a UTC instant plus a
//! quality flag (zone-less times are taken as UTC and flagged).

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use serde_json::Value;

use super::TsQuality;

/// The zone times are displayed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Tz {
    /// UTC (default).
    #[default]
    Utc,
    /// The machine's local zone.
    Local,
}

impl Tz {
    /// Reads a zone name (`utc`, `z`, `local`; any case).
    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().as_str() {
            "utc" | "z" => Some(Self::Utc),
            "local" => Some(Self::Local),
            _ => None,
        }
    }
}

/// The result of reading a timestamp.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeParse {
    /// The instant, in UTC.
    pub ts: DateTime<Utc>,
    /// `Exact` for zoned or epoch inputs, `Zoneless` when UTC was assumed.
    pub quality: TsQuality,
}

/// Epoch numbers are read by magnitude: seconds below 1e11 (up to year 5138), then
/// milliseconds, microseconds and nanoseconds.
fn from_epoch_f64(n: f64) -> Option<DateTime<Utc>> {
    if !n.is_finite() || n < 0.0 {
        return None;
    }
    let per_second = if n < 1e11 {
        1.0
    } else if n < 1e14 {
        1e3
    } else if n < 1e17 {
        1e6
    } else {
        1e9
    };
    let secs_f = n / per_second;
    let secs = secs_f.floor();
    if secs > 9.0e9 {
        return None;
    }
    // Round the fraction to the microsecond: doubles carry no more precision at this scale.
    let micros = (((secs_f - secs) * 1e6).round() as u32).min(999_999);
    Utc.timestamp_opt(secs as i64, micros * 1000).single()
}

fn from_epoch_i128(n: i128) -> Option<DateTime<Utc>> {
    if n < 0 {
        return None;
    }
    let nanos = if n < 100_000_000_000 {
        n.checked_mul(1_000_000_000)?
    } else if n < 100_000_000_000_000 {
        n.checked_mul(1_000_000)?
    } else if n < 100_000_000_000_000_000 {
        n.checked_mul(1_000)?
    } else {
        n
    };
    let nanos = i64::try_from(nanos).ok()?;
    Some(Utc.timestamp_nanos(nanos))
}

/// Parses a JSON value holding a time: a string in any supported shape, or an epoch number.
pub(crate) fn parse_time_value(v: &Value) -> Option<TimeParse> {
    match v {
        Value::String(s) => parse_time_str(s),
        Value::Number(n) => {
            let ts = if let Some(i) = n.as_u64() {
                from_epoch_i128(i128::from(i))
            } else {
                n.as_f64().and_then(from_epoch_f64)
            }?;
            Some(TimeParse {
                ts,
                quality: TsQuality::Exact,
            })
        }
        _ => None,
    }
}

/// Parses a time string: RFC 3339 (any offset, 0 to 9 fraction digits, `T` or space, `z`),
/// zone-less date-times (assumed UTC, flagged), bare dates, or epoch numbers as strings.
pub(crate) fn parse_time_str(s: &str) -> Option<TimeParse> {
    let s = s.trim();
    if s.is_empty() || s.len() > 64 {
        return None;
    }
    let exact = |ts| {
        Some(TimeParse {
            ts,
            quality: TsQuality::Exact,
        })
    };
    if s.bytes().all(|b| b.is_ascii_digit()) {
        return exact(from_epoch_i128(s.parse::<i128>().ok()?)?);
    }
    if s.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && s.bytes().filter(|&b| b == b'.').count() == 1
    {
        return exact(from_epoch_f64(s.parse::<f64>().ok()?)?);
    }
    if let Ok(dt) = DateTime::parse_from_rfc3339(s) {
        return exact(dt.with_timezone(&Utc));
    }
    // Space instead of `T`, lower-case `t`/`z`, or a `+0000` offset without a colon.
    let normalised: String = s
        .char_indices()
        .map(|(i, c)| match c {
            ' ' | 't' if i == 10 => 'T',
            'z' => 'Z',
            other => other,
        })
        .collect();
    if let Ok(dt) = DateTime::parse_from_rfc3339(&normalised) {
        return exact(dt.with_timezone(&Utc));
    }
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.f%z",
        "%Y-%m-%dT%H:%M:%S%z",
        "%Y-%m-%dT%H:%M%z",
    ] {
        if let Ok(dt) = DateTime::parse_from_str(&normalised, fmt) {
            return exact(dt.with_timezone(&Utc));
        }
    }
    let zoneless = |naive: NaiveDateTime| {
        Some(TimeParse {
            ts: Utc.from_utc_datetime(&naive),
            quality: TsQuality::Zoneless,
        })
    };
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
        "%Y/%m/%d %H:%M:%S",
    ] {
        if let Ok(naive) = NaiveDateTime::parse_from_str(&normalised, fmt) {
            return zoneless(naive);
        }
    }
    if let Ok(date) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return zoneless(date.and_hms_opt(0, 0, 0)?);
    }
    None
}

/// A time with its zone: `2026-03-09 02:10:33Z` or `2026-03-09 03:10:33+0100`.
pub(crate) fn format_ts(ts: Option<DateTime<Utc>>, tz: Tz) -> String {
    match (ts, tz) {
        (None, _) => "(no time)".to_owned(),
        (Some(t), Tz::Utc) => t.format("%Y-%m-%d %H:%M:%SZ").to_string(),
        (Some(t), Tz::Local) => t
            .with_timezone(&chrono::Local)
            .format("%Y-%m-%d %H:%M:%S%z")
            .to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn rfc3339_with_every_fraction_width_and_offsets() {
        let cases = [
            ("2024-03-01T12:00:00Z", "2024-03-01T12:00:00Z"),
            ("2024-03-01T12:00:00.5Z", "2024-03-01T12:00:00.500Z"),
            ("2024-03-01T12:00:00.123Z", "2024-03-01T12:00:00.123Z"),
            ("2024-03-01T12:00:00.123456Z", "2024-03-01T12:00:00.123456Z"),
            (
                "2024-03-01T12:00:00.123456789Z",
                "2024-03-01T12:00:00.123456789Z",
            ),
            ("2024-03-01T14:00:00+02:00", "2024-03-01T12:00:00Z"),
            ("2024-03-01T07:00:00.25-05:00", "2024-03-01T12:00:00.250Z"),
            ("2024-03-01 12:00:00Z", "2024-03-01T12:00:00Z"),
            ("2024-03-01t12:00:00z", "2024-03-01T12:00:00Z"),
            ("2024-03-01T13:00:00+0100", "2024-03-01T12:00:00Z"),
        ];
        for (input, want) in cases {
            let got = parse_time_str(input).unwrap_or_else(|| panic!("{input}"));
            assert_eq!(got.ts, utc(want), "{input}");
            assert_eq!(got.quality, TsQuality::Exact, "{input}");
        }
    }

    #[test]
    fn zoneless_times_are_utc_and_flagged() {
        for input in [
            "2024-03-01 12:00:00",
            "2024-03-01T12:00:00",
            "2024-03-01T12:00:00.75",
        ] {
            let got = parse_time_str(input).unwrap();
            assert_eq!(got.quality, TsQuality::Zoneless, "{input}");
            assert_eq!(
                got.ts.timestamp(),
                utc("2024-03-01T12:00:00Z").timestamp(),
                "{input}"
            );
        }
        assert_eq!(
            parse_time_str("2024-03-01").unwrap().quality,
            TsQuality::Zoneless
        );
    }

    #[test]
    fn epoch_seconds_millis_micros_nanos_as_numbers_and_strings() {
        let want = utc("2024-03-01T12:00:00Z");
        for v in [
            json!(1_709_294_400),
            json!(1_709_294_400_000_u64),
            json!(1_709_294_400_000_000_u64),
            json!(1_709_294_400_000_000_000_u64),
            json!("1709294400"),
            json!("1709294400000"),
            json!("1709294400000000"),
            json!(1_709_294_400.0),
        ] {
            let got = parse_time_value(&v).unwrap_or_else(|| panic!("{v}"));
            assert_eq!(got.ts, want, "{v}");
            assert_eq!(got.quality, TsQuality::Exact);
        }
        let frac = parse_time_value(&json!(1_709_294_400.25)).unwrap();
        assert_eq!(frac.ts.timestamp_subsec_millis(), 250);
        assert_eq!(
            parse_time_value(&json!("1709294400.5"))
                .unwrap()
                .ts
                .timestamp_subsec_millis(),
            500
        );
    }

    #[test]
    fn garbage_is_rejected_without_panicking() {
        for v in [
            json!(null),
            json!(true),
            json!(-5),
            json!(""),
            json!("yesterday"),
            json!("2024-13-45T99:00:00Z"),
            json!(f64::MAX),
            json!("99999999999999999999999999999999999999"),
            json!({"a": 1}),
        ] {
            assert!(parse_time_value(&v).is_none(), "{v}");
        }
    }
}
