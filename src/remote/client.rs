//! `Client`: blocking JSON over HTTP to one Quickwit server, with timeouts. Every error
//! names the URL and carries Quickwit's own message (its `{"message": ...}` body).

use std::time::Duration;

use serde_json::Value;

use crate::model::escape_control;
use crate::store::{QueryError, StoreError};

/// Largest response read (a page of large records).
const MAX_RESPONSE_BYTES: u64 = 512 << 20;

/// A Quickwit REST client.
#[derive(Clone)]
pub struct Client {
    agent: ureq::Agent,
    base: String,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

/// How a failed request is reported: a refused query or an unavailable server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Refusal {
    /// A 400 is the query's fault.
    Query,
    /// Any failure means the server cannot answer.
    Unavailable,
}

impl Client {
    /// A client of the server at `base` (`http://host:port`), giving up on a request after
    /// `timeout` (connecting included).
    pub fn new(base: &str, timeout: Duration) -> Self {
        let config = ureq::Agent::config_builder()
            .timeout_global(Some(timeout))
            .timeout_connect(Some(timeout.min(Duration::from_secs(10))))
            .http_status_as_error(false)
            .build();
        Self {
            agent: config.into(),
            base: base.trim_end_matches('/').to_owned(),
        }
    }

    /// The server's base URL.
    pub fn base(&self) -> &str {
        &self.base
    }

    fn url(&self, path: &str) -> String {
        format!("{}/api/v1/{}", self.base, path.trim_start_matches('/'))
    }

    /// `GET path`: `Ok(None)` on 404.
    pub fn get(&self, path: &str) -> Result<Option<Value>, StoreError> {
        let url = self.url(path);
        let resp = self.agent.get(&url).call();
        match self.answer(&url, resp, Refusal::Unavailable) {
            Err(Failure::NotFound(_)) => Ok(None),
            other => other.map(Some).map_err(Failure::into_store),
        }
    }

    /// `DELETE path`: `Ok(false)` on 404 (nothing to delete).
    pub(super) fn delete(&self, path: &str) -> Result<bool, StoreError> {
        let url = self.url(path);
        let resp = self.agent.delete(&url).call();
        match self.answer(&url, resp, Refusal::Unavailable) {
            Err(Failure::NotFound(_)) => Ok(false),
            other => other.map(|_| true).map_err(Failure::into_store),
        }
    }

    /// `POST path` with a JSON body.
    pub(super) fn post_json(
        &self,
        path: &str,
        body: &Value,
        refusal: Refusal,
    ) -> Result<Value, StoreError> {
        let url = self.url(path);
        let resp = self
            .agent
            .post(&url)
            .header("content-type", "application/json")
            .send(body.to_string());
        self.answer(&url, resp, refusal)
            .map_err(Failure::into_store)
    }

    /// `POST path` with an NDJSON body (ingest).
    pub(super) fn post_ndjson(&self, path: &str, body: Vec<u8>) -> Result<Value, StoreError> {
        let url = self.url(path);
        let resp = self
            .agent
            .post(&url)
            .header("content-type", "application/x-ndjson")
            .send(body);
        self.answer(&url, resp, Refusal::Unavailable)
            .map_err(Failure::into_store)
    }

    fn answer(
        &self,
        url: &str,
        resp: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
        refusal: Refusal,
    ) -> Result<Value, Failure> {
        let mut resp = resp.map_err(|e| {
            Failure::Unavailable(format!(
                "Quickwit at {} did not answer: {}",
                self.base,
                describe(&e)
            ))
        })?;
        let status = resp.status().as_u16();
        let text = resp
            .body_mut()
            .with_config()
            .limit(MAX_RESPONSE_BYTES)
            .read_to_string()
            .map_err(|e| {
                Failure::Unavailable(format!("reading the answer of {url}: {}", describe(&e)))
            })?;
        let value: Option<Value> = serde_json::from_str(&text).ok();
        if (200..300).contains(&status) {
            return value.ok_or_else(|| {
                Failure::Unavailable(format!(
                    "{url} answered {status} with a body that is not JSON"
                ))
            });
        }
        let message = value
            .as_ref()
            .and_then(|v| v.get("message"))
            .and_then(Value::as_str)
            .map_or_else(|| text.chars().take(300).collect(), str::to_owned);
        let message = escape_control(&message).into_owned();
        Err(match (status, refusal) {
            (404, _) => Failure::NotFound(format!("{url}: {status}: {message}")),
            (400, Refusal::Query) => Failure::Query(message),
            _ => Failure::Unavailable(format!("{url} answered {status}: {message}")),
        })
    }
}

/// A failed request, before it becomes a [`StoreError`].
enum Failure {
    NotFound(String),
    Query(String),
    Unavailable(String),
}

impl Failure {
    fn into_store(self) -> StoreError {
        match self {
            Self::Query(m) => StoreError::Query(QueryError {
                message: format!("Quickwit refused the query: {m}"),
                span: None,
            }),
            Self::NotFound(m) | Self::Unavailable(m) => StoreError::Unavailable(m),
        }
    }
}

fn describe(e: &ureq::Error) -> String {
    match e {
        ureq::Error::Timeout(_) => format!("timed out ({e})"),
        ureq::Error::ConnectionFailed | ureq::Error::HostNotFound => {
            format!("{e} (is the server running?)")
        }
        ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::ConnectionRefused => {
            "connection refused (is the server running?)".to_owned()
        }
        other => other.to_string(),
    }
}
