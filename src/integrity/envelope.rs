//! Parsing one record line without building a JSON tree: the envelope with the exact bytes
//! of `rec`, the required fields, and a duplicate-key check at every depth.

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

use super::digest::Digest32;
use super::jcs::MAX_SAFE_INTEGER;
use super::writer::valid_record_ts;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Envelope<'a> {
    #[serde(borrow)]
    hash: Cow<'a, str>,
    #[serde(borrow)]
    rec: &'a RawValue,
}

/// The fields of a record line the verifier needs.
#[derive(Debug, Clone)]
pub struct Parsed<'a> {
    /// The stored hash.
    pub hash: Digest32,
    /// The exact bytes of `rec`.
    pub rec: &'a str,
    /// `rec.stream`.
    pub stream: String,
    /// `rec.seq`.
    pub seq: u64,
    /// `rec.prev`.
    pub prev: Digest32,
    /// `rec.ts`, parsed.
    pub ts: chrono::DateTime<chrono::Utc>,
}

/// Why a line of a sealed stream is not a record (the detail of its `MALFORMED` finding).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum Malformed {
    /// Over the verifier's line limit: not read at all.
    #[error("line longer than the line limit: not read")]
    TooLong,
    /// A UTF-8 byte-order mark first.
    #[error("line starts with a byte-order mark")]
    ByteOrderMark,
    /// A CRLF line ending.
    #[error("line ends with CR (CRLF line ending)")]
    CarriageReturn,
    /// Nothing between two LFs.
    #[error("empty line")]
    Empty,
    /// Not UTF-8 from this byte on.
    #[error("invalid UTF-8 at byte {0}")]
    Utf8(usize),
    /// Not `{"hash": ..., "rec": {...}}` (the parser's reason).
    #[error("not a record envelope: {0}")]
    Envelope(String),
    /// `hash` that is not a digest.
    #[error("`hash` is not 64 lower-case hex digits")]
    Hash,
    /// `rec` that is not a record object (the parser's reason).
    #[error("`rec`: {0}")]
    Rec(String),
    /// A `rec` field that is missing or wrong; the text says which and how.
    #[error("`rec.{field}` {problem}")]
    Field {
        /// The field.
        field: &'static str,
        /// What is wrong with it.
        problem: &'static str,
    },
}

/// Parses a line (without its LF). Errors are reasons for a `MALFORMED` finding.
pub(crate) fn parse_line(bytes: &[u8]) -> Result<Parsed<'_>, Malformed> {
    let field = |field, problem| Malformed::Field { field, problem };
    if bytes.starts_with(&[0xef, 0xbb, 0xbf]) {
        return Err(Malformed::ByteOrderMark);
    }
    if bytes.ends_with(b"\r") {
        return Err(Malformed::CarriageReturn);
    }
    if bytes.is_empty() {
        return Err(Malformed::Empty);
    }
    let text = std::str::from_utf8(bytes).map_err(|e| Malformed::Utf8(e.valid_up_to()))?;
    let (hash, rec) = if let Some(parts) = split_canonical(text) {
        parts
    } else {
        let env: Envelope<'_> =
            serde_json::from_str(text).map_err(|e| Malformed::Envelope(e.to_string()))?;
        let hash = Digest32::from_hex(&env.hash).ok_or(Malformed::Hash)?;
        (hash, env.rec.get())
    };
    let fields: RecFields = serde_json::from_str(rec).map_err(|e| Malformed::Rec(e.to_string()))?;
    if fields.v != Some(1) {
        return Err(field("v", "is missing or not 1"));
    }
    let stream = fields.stream.ok_or(field("stream", "is missing"))?;
    let seq = fields.seq.ok_or(field("seq", "is missing"))?;
    if seq > MAX_SAFE_INTEGER {
        return Err(field("seq", "is 2^53 or more"));
    }
    let prev = fields
        .prev
        .as_deref()
        .and_then(Digest32::from_hex)
        .ok_or(field("prev", "is missing or not 64 lower-case hex digits"))?;
    let ts = fields
        .ts
        .as_deref()
        .and_then(valid_record_ts)
        .ok_or(field("ts", "is missing or not RFC 3339 UTC ending in Z"))?;
    if fields.action.as_deref().is_none_or(str::is_empty) {
        return Err(field("action", "is missing or empty"));
    }
    Ok(Parsed {
        hash,
        rec,
        stream: stream.into_owned(),
        seq,
        prev,
        ts,
    })
}

/// The envelope as writers lay it out, `{"hash":"<64 hex>","rec":<object>}`, split without
/// a JSON pass (the `rec` object is fully parsed afterwards, which also proves that nothing
/// follows it). Any other layout goes through the general parser.
fn split_canonical(text: &str) -> Option<(Digest32, &str)> {
    const HEAD: &str = "{\"hash\":\"";
    const MID: &str = "\",\"rec\":";
    let rest = text.strip_prefix(HEAD)?;
    let hex = rest.get(..64)?;
    let rec = rest.get(64..)?.strip_prefix(MID)?.strip_suffix('}')?;
    if !rec.starts_with('{') || !rec.ends_with('}') {
        return None;
    }
    Some((Digest32::from_hex(hex)?, rec))
}

#[derive(Default)]
struct RecFields<'a> {
    v: Option<u64>,
    stream: Option<Cow<'a, str>>,
    seq: Option<u64>,
    ts: Option<Cow<'a, str>>,
    prev: Option<Cow<'a, str>>,
    action: Option<Cow<'a, str>>,
}

impl<'de> Deserialize<'de> for RecFields<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(RecVisitor)
    }
}

struct RecVisitor;

impl<'de> Visitor<'de> for RecVisitor {
    type Value = RecFields<'de>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a record object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RecFields<'de>, A::Error> {
        let mut out = RecFields::default();
        let mut keys = Keys::default();
        while let Some(key) = map.next_key_seed(KeySeed)? {
            keys.insert::<A::Error>(&key)?;
            match key.as_ref() {
                "v" => out.v = Some(map.next_value()?),
                "seq" => out.seq = Some(map.next_value()?),
                "stream" => out.stream = Some(map.next_value_seed(StrSeed)?),
                "ts" => out.ts = Some(map.next_value_seed(StrSeed)?),
                "prev" => out.prev = Some(map.next_value_seed(StrSeed)?),
                "action" => out.action = Some(map.next_value_seed(StrSeed)?),
                _ => map.next_value_seed(NoDuplicates)?,
            }
        }
        Ok(out)
    }
}

/// Keys seen in one object: a short list, a set when it grows.
#[derive(Default)]
struct Keys<'de> {
    few: Vec<Cow<'de, str>>,
    many: Option<HashSet<Cow<'de, str>>>,
}

impl<'de> Keys<'de> {
    #[allow(clippy::ptr_arg)]
    fn insert<E: de::Error>(&mut self, k: &Cow<'de, str>) -> Result<(), E> {
        let dup = if let Some(set) = &mut self.many {
            !set.insert(k.clone())
        } else if self.few.iter().any(|x| x == k) {
            true
        } else {
            self.few.push(k.clone());
            if self.few.len() > 24 {
                self.many = Some(self.few.drain(..).collect());
            }
            false
        };
        if dup {
            return Err(E::custom(format_args!("duplicate key `{k}`")));
        }
        Ok(())
    }
}

struct KeySeed;

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Cow<'de, str>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Cow<'de, str>, D::Error> {
        d.deserialize_str(StrVisitor)
    }
}

struct StrSeed;

impl<'de> DeserializeSeed<'de> for StrSeed {
    type Value = Cow<'de, str>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Cow<'de, str>, D::Error> {
        d.deserialize_str(StrVisitor)
    }
}

struct StrVisitor;

impl<'de> Visitor<'de> for StrVisitor {
    type Value = Cow<'de, str>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Cow<'de, str>, E> {
        Ok(Cow::Borrowed(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Cow<'de, str>, E> {
        Ok(Cow::Owned(v.to_owned()))
    }
}

/// Walks any value, refusing duplicate keys in its objects.
struct NoDuplicates;

impl<'de> DeserializeSeed<'de> for NoDuplicates {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(NoDupVisitor)
    }
}

struct NoDupVisitor;

impl<'de> Visitor<'de> for NoDupVisitor {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_none<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(NoDuplicates)?.is_some() {}
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut keys = Keys::default();
        while let Some(k) = map.next_key_seed(KeySeed)? {
            keys.insert::<A::Error>(&k)?;
            map.next_value_seed(NoDuplicates)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: &str = "1111111111111111111111111111111111111111111111111111111111111111";

    fn line(rec: &str) -> String {
        format!(r#"{{"hash":"{P}","rec":{rec}}}"#)
    }

    #[test]
    fn parses_required_fields_and_keeps_rec_bytes() {
        let rec = format!(
            r#"{{"action":"a.b","prev":"{P}","seq":3,"stream":"s","ts":"2024-01-01T00:00:00Z","v":1, "x":{{"y":[1,{{"z":2}}]}}}}"#
        );
        let l = line(&rec);
        let p = parse_line(l.as_bytes()).unwrap();
        assert_eq!(p.rec, rec);
        assert_eq!(p.seq, 3);
        assert_eq!(p.stream, "s");
    }

    #[test]
    fn malformed_lines() {
        let good = format!(
            r#"{{"action":"a","prev":"{P}","seq":3,"stream":"s","ts":"2024-01-01T00:00:00Z","v":1}}"#
        );
        assert!(parse_line(line(&good).as_bytes()).is_ok());
        let mut crlf = line(&good).into_bytes();
        crlf.push(b'\r');
        assert_eq!(parse_line(&crlf).unwrap_err(), Malformed::CarriageReturn);
        let mut bom = vec![0xef, 0xbb, 0xbf];
        bom.extend_from_slice(line(&good).as_bytes());
        assert_eq!(parse_line(&bom).unwrap_err(), Malformed::ByteOrderMark);
        let dup_top = good.replace("\"v\":1", "\"v\":1,\"seq\":3");
        assert!(
            parse_line(line(&dup_top).as_bytes())
                .unwrap_err()
                .to_string()
                .contains("duplicate")
        );
        let dup_deep = good.replace("\"v\":1", "\"v\":1,\"d\":[{\"k\":1,\"k\":2}]");
        assert!(
            parse_line(line(&dup_deep).as_bytes())
                .unwrap_err()
                .to_string()
                .contains("duplicate")
        );
        let dup_env = format!(r#"{{"hash":"{P}","hash":"{P}","rec":{good}}}"#);
        assert!(parse_line(dup_env.as_bytes()).is_err());
        assert_eq!(
            parse_line(line(&good.replace("\"v\":1", "\"v\":2")).as_bytes())
                .unwrap_err()
                .to_string(),
            "`rec.v` is missing or not 1"
        );
        assert!(parse_line(line(&good.replace(",\"seq\":3", "")).as_bytes()).is_err());
        let cut = line(&good);
        assert!(parse_line(&cut.as_bytes()[..cut.len() / 2]).is_err());
        assert!(parse_line(b"").is_err());
        assert!(parse_line(&[0xff, 0xfe]).is_err());
    }
}
