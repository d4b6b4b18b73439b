//! `fetch`: HTTP requests through `wasi:http/outgoing-handler`.
//!
//! The plugin holds no authority of its own: the host checks every request
//! against the network grants it was given (scheme, host, port, path
//! prefix, method), connects only to addresses the grant allows, injects
//! secrets into named headers, and bounds sizes and time. A refusal comes
//! back as a `wasi:http` error code, which this plugin reports as
//! `failed("<code>: ...")`, e.g. `http-request-denied`.
//!
//! Tools:
//! - `fetch`: `{url, method?, body?, headers?, follow_redirects?}` →
//!   `{status, headers, body, redirects}`; a redirect is followed only when
//!   asked, as a new request the host checks again;
//! - `fetch_many`: `{urls}` → `{results: [{url, status} | {url, error}]}`,
//!   all requests in flight at once (the host bounds how many).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use wasip2::http::outgoing_handler;
use wasip2::http::types::{
    ErrorCode, Fields, FutureIncomingResponse, IncomingBody, Method, OutgoingBody, OutgoingRequest,
    Scheme,
};
use wasip2::io::streams::StreamError;
use yoi_plugin_sdk::{Plugin, ToolError, Tools, export_plugin};

/// Largest body this plugin reads back (the host bounds it too).
const MAX_BODY: usize = 16 * 1024 * 1024;

#[derive(Deserialize)]
struct FetchIn {
    url: String,
    #[serde(default)]
    method: Option<String>,
    #[serde(default)]
    body: Option<String>,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    #[serde(default)]
    follow_redirects: u8,
}

#[derive(Serialize)]
struct FetchOut {
    status: u16,
    headers: BTreeMap<String, String>,
    body: String,
    redirects: Vec<String>,
}

#[derive(Deserialize)]
struct ManyIn {
    urls: Vec<String>,
}

#[derive(Serialize)]
struct ManyOut {
    results: Vec<BTreeMap<String, serde_json::Value>>,
}

/// A failure as `code: message`, the code being the `wasi:http` error code
/// in kebab case (or `invalid-url`, `http-body`).
fn failed(code: &str, message: &str) -> ToolError {
    ToolError::failed(format!("{code}: {message}"))
}

fn error_code(e: &ErrorCode) -> String {
    // `ErrorCode`'s Debug is the variant, e.g. `ErrorCode::HttpRequestDenied`.
    let debug = format!("{e:?}");
    let name = debug.split(['(', ' ', '{']).next().unwrap_or_default();
    let name = name.rsplit("::").next().unwrap_or_default();
    let mut code = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            code.push('-');
        }
        code.push(c.to_ascii_lowercase());
    }
    code
}

fn http_failed(e: &ErrorCode) -> ToolError {
    failed(&error_code(e), "the request failed")
}

struct Target<'a> {
    scheme: Scheme,
    authority: &'a str,
    path: &'a str,
}

fn split_url(url: &str) -> Result<Target<'_>, ToolError> {
    let invalid = || failed("invalid-url", "expected http(s)://host[:port]/path");
    let (scheme, rest) = url.split_once("://").ok_or_else(invalid)?;
    let scheme = match scheme {
        "https" => Scheme::Https,
        "http" => Scheme::Http,
        _ => return Err(invalid()),
    };
    let (authority, path) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, "/"),
    };
    if authority.is_empty() {
        return Err(invalid());
    }
    Ok(Target {
        scheme,
        authority,
        path,
    })
}

/// Starts one request; the response is awaited separately.
fn start(
    url: &str,
    method: &str,
    headers: &BTreeMap<String, String>,
    body: Option<&str>,
) -> Result<FutureIncomingResponse, ToolError> {
    let target = split_url(url)?;
    let fields = Fields::new();
    for (name, value) in headers {
        fields
            .append(name, value.as_bytes())
            .map_err(|e| failed("header-refused", &format!("{name}: {e:?}")))?;
    }
    let request = OutgoingRequest::new(fields);
    let method = match method {
        "GET" => Method::Get,
        "HEAD" => Method::Head,
        "POST" => Method::Post,
        "PUT" => Method::Put,
        "PATCH" => Method::Patch,
        "DELETE" => Method::Delete,
        other => Method::Other(other.to_owned()),
    };
    let invalid = |_| failed("invalid-url", "the URL was refused");
    request.set_method(&method).map_err(|()| invalid(()))?;
    request.set_scheme(Some(&target.scheme)).map_err(invalid)?;
    request
        .set_authority(Some(target.authority))
        .map_err(invalid)?;
    request
        .set_path_with_query(Some(target.path))
        .map_err(invalid)?;
    let outgoing = request
        .body()
        .map_err(|()| failed("http-body", "no body"))?;
    let future = outgoing_handler::handle(request, None).map_err(|e| http_failed(&e))?;
    // A refused request fails the body writes too; the response future
    // then carries the reason, so write errors only end the writing.
    if let Ok(stream) = outgoing.write() {
        for chunk in body.unwrap_or_default().as_bytes().chunks(4096) {
            if stream.blocking_write_and_flush(chunk).is_err() {
                break;
            }
        }
    }
    let _ = OutgoingBody::finish(outgoing, None);
    Ok(future)
}

struct Response {
    status: u16,
    headers: BTreeMap<String, String>,
    body: Vec<u8>,
}

fn finish(future: FutureIncomingResponse, read_body: bool) -> Result<Response, ToolError> {
    future.subscribe().block();
    let response = future
        .get()
        .ok_or_else(|| failed("internal-error", "no response"))?
        .map_err(|()| failed("internal-error", "response taken twice"))?
        .map_err(|e| http_failed(&e))?;
    let status = response.status();
    let mut headers = BTreeMap::new();
    for (name, value) in response.headers().entries() {
        headers.insert(name, String::from_utf8_lossy(&value).into_owned());
    }
    let mut body = Vec::new();
    if read_body {
        let incoming = response
            .consume()
            .map_err(|()| failed("http-body", "no body"))?;
        let mut failure = None;
        {
            let stream = incoming
                .stream()
                .map_err(|()| failed("http-body", "no stream"))?;
            loop {
                match stream.blocking_read(64 * 1024) {
                    Ok(chunk) => {
                        if body.len() + chunk.len() > MAX_BODY {
                            return Err(failed("http-response-body-size", "the body is too large"));
                        }
                        body.extend_from_slice(&chunk);
                    }
                    Err(StreamError::Closed) => break,
                    Err(StreamError::LastOperationFailed(e)) => {
                        failure = Some(wasip2::http::types::http_error_code(&e));
                        break;
                    }
                }
            }
        }
        // The body's final status (and the host's error code, if the
        // stream failed) comes with the trailers.
        let trailers = IncomingBody::finish(incoming);
        trailers.subscribe().block();
        let status = trailers.get();
        if let Some(failure) = failure {
            let code = failure.or(match status {
                Some(Ok(Err(code))) => Some(code),
                _ => None,
            });
            return Err(match code {
                Some(code) => http_failed(&code),
                None => failed("http-body", "reading the body failed"),
            });
        }
    }
    Ok(Response {
        status,
        headers,
        body,
    })
}

fn fetch(input: FetchIn) -> Result<FetchOut, ToolError> {
    let mut method = input.method.unwrap_or_else(|| "GET".to_owned());
    let mut url = input.url;
    let mut body = input.body;
    let mut redirects = Vec::new();
    loop {
        let future = start(&url, &method, &input.headers, body.as_deref())?;
        let response = finish(future, method != "HEAD")?;
        let location = response.headers.get("location").cloned();
        match location {
            Some(next)
                if (300..400).contains(&response.status)
                    && redirects.len() < usize::from(input.follow_redirects) =>
            {
                url = if next.starts_with('/') {
                    let t = split_url(&url)?;
                    let scheme = if matches!(t.scheme, Scheme::Https) {
                        "https"
                    } else {
                        "http"
                    };
                    format!("{scheme}://{}{next}", t.authority)
                } else {
                    next
                };
                redirects.push(url.clone());
                if response.status == 303 {
                    method = "GET".to_owned();
                    body = None;
                }
            }
            _ => {
                return Ok(FetchOut {
                    status: response.status,
                    headers: response.headers,
                    body: String::from_utf8_lossy(&response.body).into_owned(),
                    redirects,
                });
            }
        }
    }
}

fn fetch_many(input: ManyIn) -> Result<ManyOut, ToolError> {
    let none = BTreeMap::new();
    let started: Vec<_> = input
        .urls
        .iter()
        .map(|url| (url, start(url, "GET", &none, None)))
        .collect();
    let results = started
        .into_iter()
        .map(|(url, future)| {
            let mut entry = BTreeMap::new();
            entry.insert("url".to_owned(), serde_json::Value::from(url.as_str()));
            match future.and_then(|f| finish(f, true)) {
                Ok(r) => entry.insert("status".to_owned(), r.status.into()),
                Err(e) => entry.insert("error".to_owned(), e.message().into()),
            };
            entry
        })
        .collect();
    Ok(ManyOut { results })
}

struct Fetch;

impl Plugin for Fetch {
    fn tools() -> Tools {
        Tools::new()
            .tool("fetch", fetch)
            .tool("fetch_many", fetch_many)
    }
}

export_plugin!(Fetch, tools = ["fetch", "fetch_many"]);
