//! [`RemoteRuntime`]: the [`Runtime`] API over REST, so a backend can use
//! a networked runtime exactly like an embedded one.
//!
//! - Every path segment (bundle id, worker id, tool name) is
//!   percent-encoded ([`SEGMENT`]: everything but ASCII letters, digits and
//!   `-._~`), and so is the digest in the query string: an id such as
//!   `bundle/1?x` reaches the runtime as exactly that id, never as another
//!   route or query. The segments `""`, `.` and `..` cannot be carried by a
//!   URL path (they are normalised away), so they are refused with
//!   `bad-request` before anything is sent.
//! - An error answer maps back to the very [`RuntimeError`] the runtime
//!   returned (same code, same message), so embedded and remote runtimes
//!   give identical results. Anything else that goes wrong is `transport`,
//!   with a message naming at most the runtime's origin (scheme, host,
//!   port): the URL may not carry credentials, and the token is never part
//!   of a message or of `Debug` output.
//! - This build has no TLS, so the client only talks plain `http://` to
//!   loopback addresses (the bearer token would otherwise cross the network
//!   in clear); proxies from the environment are ignored for the same
//!   reason. Response bodies are read up to [`MAX_RESPONSE_BYTES`].

use std::fmt;
use std::net::IpAddr;
use std::time::Duration;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use reqwest::header::{self, HeaderValue};
use reqwest::{Method, StatusCode, Url};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::wire::{BundleList, ErrorEnvelope, StoreResult, WorkerList};
use crate::bundle::{Availability, BundleSummary, ConfigBundle, StoreOutcome};
use crate::workers::api::{
    CreateWorkerRequest, InvokeOutcome, InvokeRequest, Runtime, RuntimeError, RuntimeErrorCode,
    WorkerInfo,
};

/// Bytes percent-encoded in a path segment or query value: everything but
/// the RFC 3986 unreserved characters (`A-Z a-z 0-9 - . _ ~`). This covers
/// `/ ? # % & = +`, spaces and all non-ASCII bytes.
pub const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Largest response body read from a runtime, in bytes.
pub const MAX_RESPONSE_BYTES: usize = 16 * 1024 * 1024;

/// Default whole-request timeout (tool calls included).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(300);

/// Connect timeout.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// A runtime reached over REST. Cheap to clone (the HTTP connection pool
/// is shared).
#[derive(Clone)]
pub struct RemoteRuntime {
    http: reqwest::Client,
    /// The base URL without a trailing `/` (a path prefix is allowed).
    base: String,
    /// `scheme://host:port`, the only part of the URL a message names.
    origin: String,
    authorization: HeaderValue,
}

impl fmt::Debug for RemoteRuntime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RemoteRuntime")
            .field("base", &self.base)
            .field("token", &"<redacted>")
            .finish()
    }
}

fn bad_request(message: &str) -> RuntimeError {
    RuntimeError::new(RuntimeErrorCode::BadRequest, message)
}

fn is_loopback(url: &Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    let bare = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

fn http_client(timeout: Duration) -> Result<reqwest::Client, RuntimeError> {
    reqwest::Client::builder()
        .no_proxy()
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(timeout)
        .build()
        .map_err(|_| {
            RuntimeError::new(RuntimeErrorCode::Transport, "cannot set up the HTTP client")
        })
}

impl RemoteRuntime {
    /// A client of the runtime at `base_url` (e.g. `http://127.0.0.1:8787`,
    /// optionally with a path prefix) presenting `token` as a bearer token.
    ///
    /// Refused with `bad-request`: an empty token or one not valid in a
    /// header, an unparsable URL, a scheme other than `http`, credentials,
    /// a query or a fragment in the URL, a host that is not loopback.
    pub fn new(base_url: &str, token: &str) -> Result<RemoteRuntime, RuntimeError> {
        let token = token.trim();
        if token.is_empty() {
            return Err(bad_request("the bearer token is empty"));
        }
        // The URL is never echoed: it might carry credentials.
        let url =
            Url::parse(base_url).map_err(|_| bad_request("the runtime URL is not a valid URL"))?;
        if url.scheme() != "http" {
            return Err(bad_request(
                "only http:// runtime URLs are supported (this build has no TLS)",
            ));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(bad_request(
                "the runtime URL must not carry credentials; pass the bearer token separately",
            ));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(bad_request(
                "the runtime URL must not have a query or a fragment",
            ));
        }
        if !is_loopback(&url) {
            return Err(bad_request(
                "plain http is only used to loopback addresses (127.0.0.0/8, ::1, localhost)",
            ));
        }
        let mut authorization =
            HeaderValue::from_str(&format!("Bearer {token}")).map_err(|_| {
                bad_request("the bearer token contains characters not allowed in a header")
            })?;
        authorization.set_sensitive(true);
        let origin = url.origin().ascii_serialization();
        let base = url.as_str().trim_end_matches('/').to_owned();
        Ok(RemoteRuntime {
            http: http_client(DEFAULT_TIMEOUT)?,
            base,
            origin,
            authorization,
        })
    }

    /// The same client with another whole-request timeout.
    pub fn with_timeout(mut self, timeout: Duration) -> Result<RemoteRuntime, RuntimeError> {
        self.http = http_client(timeout)?;
        Ok(self)
    }

    fn transport(&self, what: &str) -> RuntimeError {
        RuntimeError::new(
            RuntimeErrorCode::Transport,
            format!("remote runtime at {}: {what}", self.origin),
        )
    }

    fn transport_failure(&self, e: &reqwest::Error) -> RuntimeError {
        let what = if e.is_timeout() {
            "the request timed out"
        } else if e.is_connect() {
            "cannot connect"
        } else if e.is_body() || e.is_decode() {
            "the response could not be read"
        } else {
            "the request failed"
        };
        self.transport(what)
    }

    /// Sends one request; returns the (bounded) body of a success, or the
    /// runtime's error.
    async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<Vec<u8>>,
    ) -> Result<Vec<u8>, RuntimeError> {
        let url = format!("{}{path}", self.base);
        let mut request = self
            .http
            .request(method, url)
            .header(header::AUTHORIZATION, self.authorization.clone())
            .header(header::ACCEPT, "application/json");
        if let Some(body) = body {
            request = request
                .header(header::CONTENT_TYPE, "application/json")
                .body(body);
        }
        let mut response = request
            .send()
            .await
            .map_err(|e| self.transport_failure(&e))?;
        let status = response.status();
        let mut bytes = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| self.transport_failure(&e))?
        {
            if bytes.len() + chunk.len() > MAX_RESPONSE_BYTES {
                return Err(self.transport("the response is larger than the client's limit"));
            }
            bytes.extend_from_slice(&chunk);
        }
        if status.is_success() {
            Ok(bytes)
        } else {
            Err(self.error_from(status, &bytes))
        }
    }

    /// The runtime's error from an error answer, exactly as it was sent.
    fn error_from(&self, status: StatusCode, body: &[u8]) -> RuntimeError {
        let Ok(envelope) = serde_json::from_slice::<ErrorEnvelope>(body) else {
            return self.transport(&format!("HTTP {} without an error body", status.as_u16()));
        };
        let code = serde_json::Value::String(envelope.error.code);
        match serde_json::from_value::<RuntimeErrorCode>(code) {
            Ok(code) => RuntimeError::new(code, envelope.error.message),
            Err(_) => self.transport(&format!(
                "HTTP {} with an unknown error code",
                status.as_u16()
            )),
        }
    }

    /// Sends a request and decodes the JSON answer.
    async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<Vec<u8>>,
    ) -> Result<T, RuntimeError> {
        let bytes = self.send(method, path, body).await?;
        serde_json::from_slice(&bytes)
            .map_err(|_| self.transport("the answer is not the JSON this client expects"))
    }
}

/// A request body as JSON bytes.
fn json_body(value: &impl Serialize) -> Result<Option<Vec<u8>>, RuntimeError> {
    serde_json::to_vec(value)
        .map(Some)
        .map_err(|_| bad_request("the request could not be encoded as JSON"))
}

/// One path segment, percent-encoded; `""`, `.` and `..` are refused
/// (URL parsers normalise them away, so they cannot reach the runtime).
pub fn path_segment(segment: &str) -> Result<String, RuntimeError> {
    if matches!(segment, "" | "." | "..") {
        return Err(bad_request(
            "an id or tool name cannot be empty, '.' or '..' (not addressable in a URL path)",
        ));
    }
    Ok(utf8_percent_encode(segment, SEGMENT).to_string())
}

/// The request path (and query) of a bundle availability check:
/// `/v1/config-bundles/<id>/availability?digest=<digest>`, both encoded.
pub fn bundle_availability_path(id: &str, digest: &str) -> Result<String, RuntimeError> {
    Ok(format!(
        "/v1/config-bundles/{}/availability?digest={}",
        path_segment(id)?,
        utf8_percent_encode(digest, SEGMENT)
    ))
}

/// The path of one worker: `/v1/workers/<id>`.
pub fn worker_path(id: &str) -> Result<String, RuntimeError> {
    Ok(format!("/v1/workers/{}", path_segment(id)?))
}

/// The path of a tool invocation: `/v1/workers/<id>/tools/<tool>/invoke`.
pub fn invoke_path(worker: &str, tool: &str) -> Result<String, RuntimeError> {
    Ok(format!(
        "{}/tools/{}/invoke",
        worker_path(worker)?,
        path_segment(tool)?
    ))
}

#[async_trait::async_trait]
impl Runtime for RemoteRuntime {
    async fn store_bundle(&self, bundle: ConfigBundle) -> Result<StoreOutcome, RuntimeError> {
        let result: StoreResult = self
            .call(Method::POST, "/v1/config-bundles", json_body(&bundle)?)
            .await?;
        Ok(result.outcome)
    }

    async fn ready(&self) -> Result<(), RuntimeError> {
        let _: serde_json::Value = self.call(Method::GET, "/readyz", None).await?;
        Ok(())
    }

    async fn list_bundles(&self) -> Result<Vec<BundleSummary>, RuntimeError> {
        let list: BundleList = self.call(Method::GET, "/v1/config-bundles", None).await?;
        Ok(list.bundles)
    }

    async fn bundle_availability(
        &self,
        id: &str,
        digest: &str,
    ) -> Result<Availability, RuntimeError> {
        let path = bundle_availability_path(id, digest)?;
        self.call(Method::GET, &path, None).await
    }

    async fn create_worker(
        &self,
        request: CreateWorkerRequest,
    ) -> Result<WorkerInfo, RuntimeError> {
        self.call(Method::POST, "/v1/workers", json_body(&request)?)
            .await
    }

    async fn list_workers(&self) -> Result<Vec<WorkerInfo>, RuntimeError> {
        let list: WorkerList = self.call(Method::GET, "/v1/workers", None).await?;
        Ok(list.workers)
    }

    async fn get_worker(&self, id: &str) -> Result<WorkerInfo, RuntimeError> {
        let path = worker_path(id)?;
        self.call(Method::GET, &path, None).await
    }

    async fn delete_worker(&self, id: &str) -> Result<(), RuntimeError> {
        let path = worker_path(id)?;
        self.send(Method::DELETE, &path, None).await?;
        Ok(())
    }

    async fn invoke(
        &self,
        worker: &str,
        tool: &str,
        request: InvokeRequest,
    ) -> Result<InvokeOutcome, RuntimeError> {
        let path = invoke_path(worker, tool)?;
        self.call(Method::POST, &path, json_body(&request)?).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIGEST: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    #[test]
    fn segments_are_percent_encoded() {
        assert_eq!(
            bundle_availability_path("bundle/1?x", DIGEST).unwrap(),
            format!("/v1/config-bundles/bundle%2F1%3Fx/availability?digest={DIGEST}")
        );
        assert_eq!(
            path_segment("a b#c%d&e=f+g").unwrap(),
            "a%20b%23c%25d%26e%3Df%2Bg"
        );
        assert_eq!(path_segment("team-a_1.x~y").unwrap(), "team-a_1.x~y");
        assert_eq!(path_segment("é").unwrap(), "%C3%A9");
        assert_eq!(
            invoke_path("w/1", "to?ol").unwrap(),
            "/v1/workers/w%2F1/tools/to%3Fol/invoke"
        );
        assert_eq!(
            bundle_availability_path("b", "d&x=1#f").unwrap(),
            "/v1/config-bundles/b/availability?digest=d%26x%3D1%23f"
        );
        for bad in ["", ".", ".."] {
            assert_eq!(
                path_segment(bad).unwrap_err().code,
                RuntimeErrorCode::BadRequest
            );
        }
    }

    #[test]
    fn refuses_urls_that_are_unsafe_for_a_bearer_token() {
        let code = |url: &str| RemoteRuntime::new(url, "t").map(|_| ()).unwrap_err().code;
        assert_eq!(code("https://127.0.0.1:1"), RuntimeErrorCode::BadRequest);
        assert_eq!(code("http://10.0.0.1:8787"), RuntimeErrorCode::BadRequest);
        assert_eq!(code("http://example.com"), RuntimeErrorCode::BadRequest);
        assert_eq!(code("not a url"), RuntimeErrorCode::BadRequest);
        assert_eq!(
            code("http://127.0.0.1:1/?q=1"),
            RuntimeErrorCode::BadRequest
        );
        let with_creds = RemoteRuntime::new("http://user:hunter2@127.0.0.1:1", "t").unwrap_err();
        assert!(!with_creds.message.contains("hunter2"));
        assert!(RemoteRuntime::new("http://127.0.0.1:1", " ").is_err());
        assert!(RemoteRuntime::new("http://127.0.0.1:1", "a\nb").is_err());
        assert!(RemoteRuntime::new("http://127.0.0.1:1/prefix/", "t").is_ok());
        assert!(RemoteRuntime::new("http://[::1]:1", "t").is_ok());
        assert!(RemoteRuntime::new("http://localhost:1", "t").is_ok());
    }

    #[test]
    fn debug_never_prints_the_token() {
        let remote = RemoteRuntime::new("http://127.0.0.1:1", "very-secret-value").unwrap();
        assert!(!format!("{remote:?}").contains("very-secret-value"));
    }

    #[tokio::test]
    async fn a_transport_failure_names_no_credentials_and_no_token() {
        // Port 1 on loopback: nothing listens there.
        let remote = RemoteRuntime::new("http://127.0.0.1:1", "very-secret-value").unwrap();
        let e = remote.list_bundles().await.unwrap_err();
        assert_eq!(e.code, RuntimeErrorCode::Transport);
        assert!(!e.message.contains("very-secret-value"), "{}", e.message);
        assert!(e.message.contains("127.0.0.1:1"), "{}", e.message);
    }
}
