//! The `wasi:http` send hook: how one guest request leaves the host.
//!
//! In order, for every `outgoing-handler.handle`:
//!
//! 1. admission: at most [`HttpBounds::max_in_flight`] requests of one call
//!    are open at once (`connection-limit-reached`);
//! 2. the grant check ([`NetGrants::check`]): scheme, host, port, path
//!    prefix, method (`HTTP-request-denied`);
//! 3. request bounds: header count, body size;
//! 4. secret injection into the grant's named headers (marked sensitive;
//!    the guest cannot read a request back once sent);
//! 5. the host resolves the name itself, keeps only addresses the grant
//!    allows ([`NetGrant::allows_address`]) and connects to one of those
//!    exact addresses: DNS rebinding between check and connect is
//!    impossible (`destination-IP-prohibited` when none is left);
//! 6. TLS with rustls and the webpki roots for `https`;
//! 7. the response: header count bounded, body bounded
//!    (`HTTP-response-body-size`), and every wait — resolve, connect,
//!    response head, each body frame, the connection driver — ends at the
//!    call's deadline or on its cancellation ([`CallControl`]).
//!
//! A refused request's body is drained (bounded, until the deadline) before
//! the refusal arrives, so a guest still writing it sees an ordinary
//! error, not a closed stream.
//!
//! Redirects are never followed here: a 3xx goes back to the guest, and a
//! guest that follows it makes a new request, checked again from step 1.
//! Each refusal is traced with its stable [`NetDenied`] code (never with
//! the query string, a header value or a secret).

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll, ready};
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderName, HeaderValue};
use http_body_util::BodyExt;
use hyper::body::{Body, Frame, Incoming, SizeHint};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use wasmtime_wasi_http::io::TokioIo;
use wasmtime_wasi_http::{Error, RequestOptions, WasiBody, WasiHttpHooks};

use super::grant::{
    InjectFormat, NetDenied, NetGrant, NetGrants, RequestHost, RequestTarget, Scheme,
};
use crate::deadline::CallControl;
use crate::error::ErrorCode;
use crate::limits::HttpBounds;

/// The per-call `wasi:http` hooks: this call's grants, deadline and bounds.
pub(crate) struct HttpHooks {
    grants: Arc<NetGrants>,
    control: CallControl,
    bounds: HttpBounds,
    in_flight: Arc<AtomicUsize>,
}

type SendResult = Result<
    (
        http::Response<WasiBody>,
        Box<dyn Future<Output = Result<(), Error>> + Send>,
    ),
    Error,
>;

impl HttpHooks {
    pub(crate) fn new(grants: Arc<NetGrants>, control: CallControl, bounds: HttpBounds) -> Self {
        HttpHooks {
            grants,
            control,
            bounds,
            in_flight: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// Steps 1–4, synchronously; the rest is the returned future. On a
    /// refusal the request's body comes back with the error, so the guest's
    /// writes can be drained (see [`refused`]).
    fn prepare(
        &mut self,
        request: http::Request<WasiBody>,
    ) -> Result<impl Future<Output = SendResult> + Send + 'static, (Error, WasiBody)> {
        let (mut parts, body) = request.into_parts();
        let checked = self.check(&mut parts);
        let (grant, slot, host, port) = match checked {
            Ok(checked) => checked,
            Err(e) => return Err((e, body)),
        };
        let max_body = self.bounds.max_request_body_bytes;
        let body = http_body_util::Limited::new(body, max_body)
            .map_err(move |_| Error::HttpRequestBodySize(Some(max_body as u64)))
            .boxed_unsync();
        let request = http::Request::from_parts(parts, body);
        let (control, bounds) = (self.control.clone(), self.bounds.clone());
        Ok(async move {
            let deadline = control.deadline();
            let work = send(request, host, port, grant, bounds, control.clone(), slot);
            tokio::select! {
                result = work => result,
                () = control.sleep_until(deadline) => Err(Error::ConnectionTimeout),
            }
        })
    }

    /// Admission, the grant check, header bounds, injection and the
    /// origin-form URI, on the request head.
    fn check(
        &mut self,
        parts: &mut http::request::Parts,
    ) -> Result<(NetGrant, InFlight, RequestHost, u16), Error> {
        let slot = InFlight::acquire(&self.in_flight, self.bounds.max_in_flight)
            .ok_or(Error::ConnectionLimitReached)?;
        let uri = parts.uri.clone();
        let scheme = uri
            .scheme_str()
            .and_then(Scheme::parse)
            .ok_or(Error::HttpRequestUriInvalid)?;
        let host = uri
            .host()
            .and_then(RequestHost::parse)
            .ok_or(Error::HttpRequestUriInvalid)?;
        let port = uri.port_u16().unwrap_or(scheme.default_port());
        let target = RequestTarget {
            method: parts.method.as_str(),
            scheme,
            host: &host,
            port,
            path: uri.path(),
        };
        let grant = self.grants.check(&target).map_err(refuse)?.clone();
        if parts.headers.len() > self.bounds.max_headers {
            return Err(Error::HttpRequestHeaderSectionSize(None));
        }
        for injection in &grant.inject {
            let value = match injection.format {
                InjectFormat::Bearer => format!("Bearer {}", injection.value.expose()),
                InjectFormat::Raw => injection.value.expose().to_owned(),
                InjectFormat::Basic => {
                    use base64::Engine as _;
                    let encoded =
                        base64::engine::general_purpose::STANDARD.encode(injection.value.expose());
                    format!("Basic {encoded}")
                }
            };
            let name = HeaderName::from_bytes(injection.header.as_bytes())
                .map_err(|_| Error::InternalError(None))?;
            let mut value =
                HeaderValue::from_str(&value).map_err(|_| Error::InternalError(None))?;
            value.set_sensitive(true);
            parts.headers.insert(name, value);
        }
        // Origin form on the wire; `Host` was set by wasmtime-wasi-http from
        // the checked authority (guests cannot set it).
        let path_and_query = uri.path_and_query().map_or("/", |p| p.as_str()).to_owned();
        parts.uri = http::Uri::builder()
            .path_and_query(path_and_query)
            .build()
            .map_err(|_| Error::HttpRequestUriInvalid)?;
        Ok((grant, slot, host, port))
    }
}

/// A refused request: the guest may still be writing its body (engines
/// such as componentize-js write it from a task after `handle`, and treat
/// a closed body stream as fatal), so the body is read and discarded —
/// at most the request body bound, at most until the call's deadline —
/// and only then does the refusal arrive on the response future. Nothing
/// of it leaves the host.
async fn refused(
    error: Error,
    mut body: WasiBody,
    bounds: HttpBounds,
    control: CallControl,
) -> SendResult {
    let drain = async {
        let mut seen = 0usize;
        while let Some(Ok(frame)) = body.frame().await {
            seen += frame.data_ref().map_or(0, Bytes::len);
            if seen > bounds.max_request_body_bytes {
                break;
            }
        }
    };
    tokio::select! {
        () = drain => {}
        () = control.sleep_until(control.deadline()) => {}
    }
    Err(error)
}

impl WasiHttpHooks for HttpHooks {
    fn send_request(
        &mut self,
        request: http::Request<WasiBody>,
        _options: Option<RequestOptions>,
        _fut: Box<dyn Future<Output = Result<(), Error>> + Send>,
    ) -> Box<dyn Future<Output = SendResult> + Send> {
        match self.prepare(request) {
            Ok(future) => Box::new(future),
            Err((error, body)) => Box::new(refused(
                error,
                body,
                self.bounds.clone(),
                self.control.clone(),
            )),
        }
    }
}

fn refuse(denied: NetDenied) -> Error {
    tracing::warn!(target: "yoi_plugin_host::net", code = denied.code(), "outgoing request refused");
    crate::metrics::record_net_denial(denied.code());
    match denied {
        NetDenied::PrivateAddress => Error::DestinationIpProhibited,
        _ => Error::HttpRequestDenied,
    }
}

/// One open request of a call; released when its response body is dropped
/// (or the request fails).
struct InFlight(Arc<AtomicUsize>);

impl InFlight {
    fn acquire(count: &Arc<AtomicUsize>, max: usize) -> Option<InFlight> {
        count
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < max).then_some(n + 1)
            })
            .ok()
            .map(|_| InFlight(count.clone()))
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

trait Stream: AsyncRead + AsyncWrite + Send + Sync + Unpin + 'static {}
impl<T: AsyncRead + AsyncWrite + Send + Sync + Unpin + 'static> Stream for T {}

/// Steps 5–7.
async fn send(
    request: http::Request<WasiBody>,
    host: RequestHost,
    port: u16,
    grant: NetGrant,
    bounds: HttpBounds,
    control: CallControl,
    slot: InFlight,
) -> SendResult {
    let addresses: Vec<SocketAddr> = match &host {
        RequestHost::Ip(ip) => vec![SocketAddr::new(*ip, port)],
        RequestHost::Name(name) => tokio::net::lookup_host((name.as_str(), port))
            .await
            .map_err(|_| Error::DnsError {
                rcode: Some("name does not resolve".into()),
                info_code: None,
            })?
            .collect(),
    };
    let allowed: Vec<SocketAddr> = addresses
        .into_iter()
        .filter(|a| grant.allows_address(a.ip()))
        .collect();
    if allowed.is_empty() {
        return Err(refuse(NetDenied::PrivateAddress));
    }
    let tcp = connect(&allowed, bounds.connect_timeout).await?;
    let _ = tcp.set_nodelay(true);
    let stream: Box<dyn Stream> = match grant.scheme {
        Scheme::Http => Box::new(tcp),
        Scheme::Https => {
            let name = match &host {
                RequestHost::Ip(ip) => rustls::pki_types::ServerName::from(*ip),
                RequestHost::Name(n) => rustls::pki_types::ServerName::try_from(n.clone())
                    .map_err(|_| Error::HttpRequestUriInvalid)?,
            };
            let tls = tokio_rustls::TlsConnector::from(tls_config())
                .connect(name, tcp)
                .await
                .map_err(tls_error)?;
            Box::new(tls)
        }
    };
    let (mut sender, mut conn) = hyper::client::conn::http1::Builder::new()
        .max_headers(bounds.max_headers)
        .handshake(TokioIo::new(stream))
        .await?;
    // Wait for the response head while driving the connection.
    let response = {
        let mut send = std::pin::pin!(sender.send_request(request));
        let mut conn_done = false;
        std::future::poll_fn(|cx| {
            if let Poll::Ready(r) = send.as_mut().poll(cx) {
                return Poll::Ready(r.map_err(Error::from));
            }
            if !conn_done && let Poll::Ready(r) = Pin::new(&mut conn).poll(cx) {
                conn_done = true;
                if let Err(e) = r {
                    return Poll::Ready(Err(Error::from(e)));
                }
                return send.as_mut().poll(cx).map_err(Error::from);
            }
            Poll::Pending
        })
        .await?
    };
    if response.headers().len() > bounds.max_headers {
        return Err(Error::HttpResponseHeaderSectionSize(None));
    }
    // A declared length above the bound fails before any byte is read, with
    // a code the guest sees on the response future.
    let declared = response
        .headers()
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|n| n > bounds.max_response_body_bytes as u64) {
        return Err(body_too_large(bounds.max_response_body_bytes as u64));
    }
    let body_control = control.clone();
    let response = response.map(|incoming| {
        BoundedBody {
            incoming,
            remaining: bounds.max_response_body_bytes as u64,
            max: bounds.max_response_body_bytes as u64,
            deadline: Box::pin(
                async move { body_control.sleep_until(body_control.deadline()).await },
            ),
            _slot: slot,
        }
        .boxed_unsync()
    });
    let driver = async move {
        tokio::select! {
            r = conn => r.map_err(Error::from),
            () = control.sleep_until(control.deadline()) => Err(Error::HttpResponseTimeout),
        }
    };
    Ok((response, Box::new(driver)))
}

/// The response body is above its bound. Traced, because a failure in the
/// middle of a body reaches a `wasi:http` 0.2 guest as a stream error
/// without its code (wasmtime-wasi-http 48 stores the body error in a form
/// `http-error-code` cannot downcast).
fn body_too_large(max: u64) -> Error {
    tracing::warn!(target: "yoi_plugin_host::net", code = "http-response-body-size", max, "response body above its bound");
    Error::HttpResponseBodySize(Some(max))
}

/// A certificate the webpki roots do not vouch for (or that names another
/// host) is `TLS-certificate-error`; every other TLS failure is
/// `TLS-protocol-error`.
fn tls_error(e: std::io::Error) -> Error {
    let invalid_certificate = e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        .is_some_and(|inner| matches!(inner, rustls::Error::InvalidCertificate(_)));
    if invalid_certificate {
        Error::TlsCertificateError
    } else {
        Error::Tls(e)
    }
}

async fn connect(addresses: &[SocketAddr], timeout: Duration) -> Result<TcpStream, Error> {
    let mut last = Error::ConnectionRefused;
    for address in addresses {
        match tokio::time::timeout(timeout, TcpStream::connect(address)).await {
            Ok(Ok(stream)) => return Ok(stream),
            Ok(Err(e)) => last = Error::Connect(e),
            Err(_) => last = Error::ConnectionTimeout,
        }
    }
    Err(last)
}

/// One rustls client configuration (ring, webpki roots) for the process.
fn tls_config() -> Arc<rustls::ClientConfig> {
    static CONFIG: OnceLock<Arc<rustls::ClientConfig>> = OnceLock::new();
    CONFIG
        .get_or_init(|| {
            let roots = rustls::RootCertStore {
                roots: webpki_roots::TLS_SERVER_ROOTS.into(),
            };
            let provider = Arc::new(rustls::crypto::ring::default_provider());
            let config = rustls::ClientConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .expect("ring supports the default protocol versions")
                .with_root_certificates(roots)
                .with_no_client_auth();
            Arc::new(config)
        })
        .clone()
}

/// A response body with a size bound, ending at the call's deadline.
struct BoundedBody {
    incoming: Incoming,
    remaining: u64,
    max: u64,
    deadline: Pin<Box<dyn Future<Output = ()> + Send>>,
    _slot: InFlight,
}

impl Body for BoundedBody {
    type Data = Bytes;
    type Error = Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Error>>> {
        if self.deadline.as_mut().poll(cx).is_ready() {
            return Poll::Ready(Some(Err(Error::HttpResponseTimeout)));
        }
        let frame = ready!(Pin::new(&mut self.incoming).poll_frame(cx));
        Poll::Ready(match frame {
            None => None,
            Some(Err(e)) => Some(Err(Error::from(e))),
            Some(Ok(frame)) => {
                let len = frame.data_ref().map_or(0, |d| d.len() as u64);
                if len > self.remaining {
                    self.remaining = 0;
                    Some(Err(body_too_large(self.max)))
                } else {
                    self.remaining -= len;
                    Some(Ok(frame))
                }
            }
        })
    }

    fn is_end_stream(&self) -> bool {
        self.incoming.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.incoming.size_hint()
    }
}
