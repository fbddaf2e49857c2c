//! The remote backend: a Quickwit cluster as auditlens's event store. `client` speaks its
//! REST API, `mapping` is the doc mapping of the event model and the documents pushed,
//! `convert` maps the query language onto Quickwit's, `store` is [`RemoteStore`] (the
//! [`Store`](crate::store::Store) over a Quickwit index), `push` sends a bundle, `pushed`
//! reads back what the pushes of an index recorded.
//!
//! Allowed imports: `store`, `model`, `ingest` (to decode stored records as loading does),
//! `index::schema` (the index's field names) and `index::nice_bucket_ms` (the same timeline
//! buckets), `querylang` (the query text layer),
//! `privacy` (masking pushed records), ureq, tantivy-query-grammar (the grammar crate, not
//! the engine), `serde_json`, chrono. Never tantivy itself.

mod client;
mod convert;
mod mapping;
mod push;
mod pushed;
mod store;

pub use client::Client;
pub use mapping::index_config;
pub(crate) use mapping::parse_retention;
pub use push::{PushOptions, PushProgress, PushReport, push};
pub use pushed::PushedBundle;
pub(crate) use pushed::{pushed_bundles, pushed_statuses};
pub use store::{RemoteStore, TIMEOUT, connect};

/// The request timeout: `AUDITLENS_REMOTE_TIMEOUT` seconds, else [`TIMEOUT`].
pub(crate) fn store_timeout() -> std::time::Duration {
    std::env::var("AUDITLENS_REMOTE_TIMEOUT")
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s > 0.0)
        .map_or(TIMEOUT, std::time::Duration::from_secs_f64)
}

use crate::store::StoreError;

/// The index used when a URL names none.
pub const DEFAULT_INDEX: &str = "auditlens";

/// A Quickwit server and one of its indexes, from `URL[/INDEX]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The server's base URL (scheme, host, port and any proxy prefix; no `/api/v1`).
    pub base: String,
    /// The index id.
    pub index: String,
}

impl Target {
    /// Parses `URL[/INDEX]`: the last path segment, when there is one, is the index (a
    /// trailing `/api/v1` is ignored). `index` given apart (`--index`) wins, and then the
    /// whole URL is the server.
    pub fn parse(url: &str, index: Option<&str>) -> Result<Self, StoreError> {
        let url = url.trim().trim_end_matches('/');
        let Some((scheme, rest)) = url.split_once("://") else {
            return Err(StoreError::Unavailable(format!(
                "{url:?} is not a URL: expected http://HOST:PORT[/INDEX]"
            )));
        };
        if !matches!(scheme, "http" | "https") || rest.is_empty() {
            return Err(StoreError::Unavailable(format!(
                "{url:?} is not an http or https URL: expected http://HOST:PORT[/INDEX]"
            )));
        }
        let rest = rest.strip_suffix("/api/v1").unwrap_or(rest);
        let (base, from_url) = match (index, rest.rsplit_once('/')) {
            (Some(_), _) | (None, None) => (format!("{scheme}://{rest}"), None),
            (None, Some((host, idx))) => (format!("{scheme}://{host}"), Some(idx)),
        };
        let index = index.or(from_url).unwrap_or(DEFAULT_INDEX).to_owned();
        check_index_id(&index)?;
        Ok(Self { base, index })
    }

    /// `URL/INDEX`, for messages and the access trail.
    pub fn display(&self) -> String {
        format!("{}/{}", self.base, self.index)
    }
}

/// Quickwit's rule for index ids: a letter, then 2 to 254 letters, digits, `-`, `_` or `.`.
fn check_index_id(id: &str) -> Result<(), StoreError> {
    let mut chars = id.chars();
    let ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && (3..=255).contains(&id.len())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        Err(StoreError::Unavailable(format!(
            "{:?} is not a Quickwit index id (a letter, then 2 to 254 letters, digits, '-', '_' or '.')",
            crate::model::escape_control(id)
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_names_the_server_and_maybe_the_index() {
        let t = Target::parse("http://127.0.0.1:7280", None).unwrap();
        assert_eq!(t.base, "http://127.0.0.1:7280");
        assert_eq!(t.index, DEFAULT_INDEX);
        let t = Target::parse("http://h:7280/audit-2024/", None).unwrap();
        assert_eq!(
            (t.base.as_str(), t.index.as_str()),
            ("http://h:7280", "audit-2024")
        );
        let t = Target::parse("https://gw/quickwit/logs", None).unwrap();
        assert_eq!(
            (t.base.as_str(), t.index.as_str()),
            ("https://gw/quickwit", "logs")
        );
        let t = Target::parse("http://h:7280/api/v1", Some("ix1")).unwrap();
        assert_eq!(
            (t.base.as_str(), t.index.as_str()),
            ("http://h:7280", "ix1")
        );
        assert!(Target::parse("h:7280", None).is_err());
        assert!(Target::parse("ftp://h/x", None).is_err());
        assert!(Target::parse("http://h/1x", None).is_err());
    }
}
