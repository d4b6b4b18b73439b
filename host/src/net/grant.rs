//! Network grants: the only source of network authority a plugin has.
//!
//! A [`NetGrantSpec`] is plain data (a CLI flag, later a policy entry): a
//! URL prefix, methods, whether special addresses are allowed, and secret
//! injections. [`NetGrantSpec::open`] validates it and resolves its secrets
//! into a [`NetGrant`]. [`NetGrants::check`] is the one request rule.
//!
//! The URL prefix is `scheme://host[:port][/path-prefix]`:
//! - scheme `https`, or `http` (plain HTTP only where a grant names it);
//! - host: a lowercase DNS name (exact), `*.domain` (any name strictly
//!   below `domain`), an IPv4 literal, or a bracketed IPv6 literal;
//! - port: the scheme's default when absent; a request must use exactly it;
//! - path prefix: `/` when absent; matched at a segment boundary (`/v1`
//!   covers `/v1` and `/v1/x`, not `/v1x`).
//!
//! A request path is refused (`path-not-granted`) when it holds dot
//! segments, percent-encoded dots, slashes or backslashes, or a backslash:
//! servers normalise these differently, so a prefix could be escaped.
//!
//! CLI form: `URL[,methods=GET+POST][,private][,inject=HEADER:FORMAT:SECRET]`
//! with FORMAT `bearer` (`Bearer <value>`), `basic` (the value is
//! `user:password`, base64-encoded) or `raw`.

use std::collections::BTreeSet;
use std::fmt;
use std::net::IpAddr;

use crate::error::ErrorCode;
use crate::secrets::{SecretError, SecretName, SecretSources, SecretValue};

/// Methods a grant allows when it names none.
pub const DEFAULT_METHODS: [&str; 2] = ["GET", "HEAD"];

/// Why a network grant spec is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NetGrantError {
    /// The URL prefix does not follow the grammar.
    #[error("invalid network grant: {0}")]
    Invalid(&'static str),
    /// A secret named by an injection is refused.
    #[error("network grant: {0}")]
    Secret(#[from] SecretError),
}

impl ErrorCode for NetGrantError {
    fn code(&self) -> &'static str {
        match self {
            NetGrantError::Invalid(_) => "invalid-net-grant",
            NetGrantError::Secret(e) => e.code(),
        }
    }
}

/// Why a request is refused by the grants. Every variant has a stable code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NetDenied {
    /// No grant names the host.
    #[error("no network grant names this host")]
    Host,
    /// A grant names the host, not with this scheme.
    #[error("the scheme is not granted for this host")]
    Scheme,
    /// A grant names host and scheme, not this port.
    #[error("the port is not granted for this host")]
    Port,
    /// The path is outside every matching grant's prefix, or not canonical.
    #[error("the path is not granted for this host")]
    Path,
    /// The method is not granted.
    #[error("the method is not granted for this URL")]
    Method,
    /// The host resolved only to special addresses the grant does not name.
    #[error("the host resolves only to addresses that need an explicit grant")]
    PrivateAddress,
}

impl ErrorCode for NetDenied {
    fn code(&self) -> &'static str {
        match self {
            NetDenied::Host => "host-not-granted",
            NetDenied::Scheme => "scheme-not-granted",
            NetDenied::Port => "port-not-granted",
            NetDenied::Path => "path-not-granted",
            NetDenied::Method => "method-not-granted",
            NetDenied::PrivateAddress => "private-address",
        }
    }
}

/// How an injected secret is written into its header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InjectFormat {
    /// `Bearer <value>`.
    Bearer,
    /// `Basic base64(<value>)`, the value being `user:password`.
    Basic,
    /// The value as it is.
    Raw,
}

/// A secret injection as plain data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InjectSpec {
    /// Header name (lowercased).
    pub header: String,
    /// The format.
    pub format: InjectFormat,
    /// The secret's name.
    pub secret: String,
}

/// A network grant as plain data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetGrantSpec {
    /// `scheme://host[:port][/path-prefix]`.
    pub url: String,
    /// Allowed methods (uppercase); empty means [`DEFAULT_METHODS`].
    pub methods: Vec<String>,
    /// Whether special addresses (`net::address`) may be reached through
    /// this grant's host name.
    pub private: bool,
    /// Secrets the host injects into every request this grant allows.
    pub inject: Vec<InjectSpec>,
}

impl NetGrantSpec {
    /// Parses the CLI form (see the module documentation).
    pub fn parse_cli(text: &str) -> Result<NetGrantSpec, NetGrantError> {
        let mut parts = text.split(',');
        let url = parts.next().unwrap_or_default().to_owned();
        let mut spec = NetGrantSpec {
            url,
            methods: Vec::new(),
            private: false,
            inject: Vec::new(),
        };
        for part in parts {
            if part == "private" {
                spec.private = true;
            } else if let Some(methods) = part.strip_prefix("methods=") {
                spec.methods = methods.split('+').map(str::to_owned).collect();
            } else if let Some(inject) = part.strip_prefix("inject=") {
                let mut fields = inject.splitn(3, ':');
                let (Some(header), Some(format), Some(secret)) =
                    (fields.next(), fields.next(), fields.next())
                else {
                    return Err(NetGrantError::Invalid(
                        "inject is HEADER:bearer|basic|raw:SECRET",
                    ));
                };
                let format = match format {
                    "bearer" => InjectFormat::Bearer,
                    "basic" => InjectFormat::Basic,
                    "raw" => InjectFormat::Raw,
                    _ => {
                        return Err(NetGrantError::Invalid(
                            "inject format is bearer, basic or raw",
                        ));
                    }
                };
                spec.inject.push(InjectSpec {
                    header: header.to_ascii_lowercase(),
                    format,
                    secret: secret.to_owned(),
                });
            } else {
                return Err(NetGrantError::Invalid(
                    "options are methods=A+B, private, inject=HEADER:FORMAT:SECRET",
                ));
            }
        }
        Ok(spec)
    }

    /// Validates the spec and resolves its secrets through `secrets`.
    pub fn open(&self, secrets: &SecretSources) -> Result<NetGrant, NetGrantError> {
        let (scheme, rest) = self.url.split_once("://").ok_or(NetGrantError::Invalid(
            "the URL starts with https:// or http://",
        ))?;
        let scheme = match scheme {
            "https" => Scheme::Https,
            "http" => Scheme::Http,
            _ => return Err(NetGrantError::Invalid("the scheme is https or http")),
        };
        let (authority, path) = match rest.find('/') {
            Some(i) => rest.split_at(i),
            None => (rest, "/"),
        };
        let (host, port) = split_authority(authority).ok_or(NetGrantError::Invalid(
            "the host is a DNS name, *.domain or an IP literal, with an optional port",
        ))?;
        let host = HostPattern::parse(host).ok_or(NetGrantError::Invalid(
            "the host is a lowercase DNS name, *.domain or an IP literal",
        ))?;
        if !canonical_path(path) || path.contains(['?', '#']) {
            return Err(NetGrantError::Invalid(
                "the path prefix is canonical: no dot segments, escapes, query or fragment",
            ));
        }
        let methods: BTreeSet<String> = if self.methods.is_empty() {
            DEFAULT_METHODS.iter().map(|m| (*m).to_owned()).collect()
        } else {
            self.methods.iter().cloned().collect()
        };
        if methods
            .iter()
            .any(|m| m.is_empty() || m.len() > 16 || !m.bytes().all(|b| b.is_ascii_uppercase()))
        {
            return Err(NetGrantError::Invalid(
                "methods are uppercase tokens, e.g. GET+POST",
            ));
        }
        let mut inject = Vec::new();
        for i in &self.inject {
            if !injectable_header(&i.header) {
                return Err(NetGrantError::Invalid(
                    "an injected header is a plain header name (not host, content-length, ...)",
                ));
            }
            let name = SecretName::parse(&i.secret)?;
            let value = secrets.resolve(&name)?;
            inject.push(Injection {
                header: i.header.clone(),
                format: i.format,
                secret: name,
                value,
            });
        }
        Ok(NetGrant {
            scheme,
            port: port.unwrap_or(scheme.default_port()),
            host,
            path: path.to_owned(),
            methods,
            private: self.private,
            inject,
        })
    }
}

/// Headers the host never writes a secret into.
const FORBIDDEN_INJECT: [&str; 8] = [
    "host",
    "content-length",
    "transfer-encoding",
    "connection",
    "upgrade",
    "te",
    "trailer",
    "keep-alive",
];

/// Whether a secret may be injected into header `name` (lowercase): a
/// plain token of `[a-z0-9-]`, at most 64, not a hop-by-hop or framing
/// header.
pub fn injectable_header(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !FORBIDDEN_INJECT.contains(&name)
}

fn split_authority(authority: &str) -> Option<(&str, Option<u16>)> {
    let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
        let end = rest.find(']')?;
        let after = &rest[end + 1..];
        let port = match after {
            "" => None,
            p => Some(p.strip_prefix(':')?),
        };
        (&authority[..end + 2], port)
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    let port = match port {
        None => None,
        Some(p) if !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()) => {
            Some(p.parse::<u16>().ok().filter(|p| *p != 0)?)
        }
        Some(_) => return None,
    };
    Some((host, port))
}

/// Whether a path is canonical: starts with `/`, has no dot segments, no
/// backslash, and no percent-encoded `.`, `/` or `\`.
pub(crate) fn canonical_path(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    path.starts_with('/')
        && !path.contains('\\')
        && !["%2e", "%2f", "%5c", "%00"]
            .iter()
            .any(|e| lower.contains(e))
        && !path.split('/').any(|seg| seg == "." || seg == "..")
}

/// `http` or `https`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// Plain HTTP (only where a grant names it).
    Http,
    /// HTTPS (rustls, webpki roots).
    Https,
}

impl Scheme {
    /// The scheme's default port.
    pub fn default_port(self) -> u16 {
        match self {
            Scheme::Http => 80,
            Scheme::Https => 443,
        }
    }

    /// Parses `http` / `https`.
    pub fn parse(text: &str) -> Option<Scheme> {
        match text {
            "http" => Some(Scheme::Http),
            "https" => Some(Scheme::Https),
            _ => None,
        }
    }
}

/// The host part of a grant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostPattern {
    /// Exactly this DNS name.
    Exact(String),
    /// Any name strictly below this domain (`*.example.com`).
    Below(String),
    /// Exactly this IP address; naming it is the explicit grant.
    Ip(IpAddr),
}

impl HostPattern {
    fn parse(text: &str) -> Option<HostPattern> {
        if let Some(v6) = text.strip_prefix('[').and_then(|t| t.strip_suffix(']')) {
            return v6.parse().ok().map(HostPattern::Ip);
        }
        if let Ok(ip) = text.parse::<std::net::Ipv4Addr>() {
            return Some(HostPattern::Ip(IpAddr::V4(ip)));
        }
        match text.strip_prefix("*.") {
            Some(domain) => dns_name(domain).then(|| HostPattern::Below(domain.to_owned())),
            None => dns_name(text).then(|| HostPattern::Exact(text.to_owned())),
        }
    }

    fn matches(&self, host: &RequestHost) -> bool {
        match (self, host) {
            (HostPattern::Exact(name), RequestHost::Name(h)) => name == h,
            (HostPattern::Below(domain), RequestHost::Name(h)) => h
                .strip_suffix(domain.as_str())
                .is_some_and(|sub| sub.len() > 1 && sub.ends_with('.')),
            (HostPattern::Ip(ip), RequestHost::Ip(h)) => ip == h,
            _ => false,
        }
    }
}

/// A lowercase DNS name: labels of `[a-z0-9-]`, 1–63 long, not starting
/// or ending with `-`, at most 253 in all, not all-numeric at the end.
fn dns_name(name: &str) -> bool {
    name.len() <= 253
        && name.split('.').all(|l| {
            (1..=63).contains(&l.len())
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        })
        && !name
            .rsplit('.')
            .next()
            .is_some_and(|tld| tld.bytes().all(|b| b.is_ascii_digit()))
}

/// The host of a request, as the check sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestHost {
    /// A DNS name (lowercased, without a trailing dot).
    Name(String),
    /// An IP literal.
    Ip(IpAddr),
}

impl RequestHost {
    /// Parses a request URI's host (`[v6]`, IPv4, or a DNS name).
    pub fn parse(host: &str) -> Option<RequestHost> {
        if let Some(v6) = host.strip_prefix('[').and_then(|t| t.strip_suffix(']')) {
            return v6.parse().ok().map(RequestHost::Ip);
        }
        if let Ok(ip) = host.parse::<std::net::Ipv4Addr>() {
            return Some(RequestHost::Ip(IpAddr::V4(ip)));
        }
        let name = host.strip_suffix('.').unwrap_or(host).to_ascii_lowercase();
        dns_name(&name).then_some(RequestHost::Name(name))
    }
}

/// A secret injection with its value resolved.
#[derive(Clone)]
pub struct Injection {
    /// Header name (lowercase).
    pub header: String,
    /// The format.
    pub format: InjectFormat,
    /// The secret's name (shown; the value never is).
    pub secret: SecretName,
    #[cfg_attr(not(feature = "http"), allow(dead_code))]
    pub(crate) value: SecretValue,
}

impl fmt::Debug for Injection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} <- secret:{} ({:?})",
            self.header, self.secret, self.format
        )
    }
}

/// A validated network grant.
#[derive(Debug, Clone)]
pub struct NetGrant {
    /// The scheme.
    pub scheme: Scheme,
    /// The host pattern.
    pub host: HostPattern,
    /// The port.
    pub port: u16,
    /// The path prefix.
    pub path: String,
    /// Allowed methods.
    pub methods: BTreeSet<String>,
    /// Whether special addresses may be reached through a host name.
    pub private: bool,
    /// Secret injections.
    pub inject: Vec<Injection>,
}

/// `scheme://host:port/prefix methods` — never a secret.
impl fmt::Display for NetGrant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = match self.scheme {
            Scheme::Http => "http",
            Scheme::Https => "https",
        };
        let host = match &self.host {
            HostPattern::Exact(name) => name.clone(),
            HostPattern::Below(domain) => format!("*.{domain}"),
            HostPattern::Ip(IpAddr::V6(ip)) => format!("[{ip}]"),
            HostPattern::Ip(ip) => ip.to_string(),
        };
        let methods: Vec<&str> = self.methods.iter().map(String::as_str).collect();
        write!(
            f,
            "{scheme}://{host}:{}{} {}",
            self.port,
            self.path,
            methods.join(",")
        )?;
        if self.private {
            f.write_str(" private")?;
        }
        for i in &self.inject {
            write!(f, " {}<-secret:{}", i.header, i.secret)?;
        }
        Ok(())
    }
}

impl NetGrant {
    fn path_covers(&self, path: &str) -> bool {
        let prefix = self.path.trim_end_matches('/');
        prefix.is_empty()
            || path == prefix
            || path
                .strip_prefix(prefix)
                .is_some_and(|rest| rest.starts_with('/'))
    }

    /// Whether connecting to `ip` is allowed under this grant.
    pub fn allows_address(&self, ip: IpAddr) -> bool {
        self.private
            || matches!(self.host, HostPattern::Ip(named) if named == ip)
            || !super::address::is_special(ip)
    }
}

/// What a request asks for, as the check sees it.
#[derive(Debug, Clone)]
pub struct RequestTarget<'a> {
    /// The method (uppercase).
    pub method: &'a str,
    /// The scheme.
    pub scheme: Scheme,
    /// The host.
    pub host: &'a RequestHost,
    /// The port (the scheme's default when the URI has none).
    pub port: u16,
    /// The path, without the query.
    pub path: &'a str,
}

/// The network grants of one plugin. Empty: no network at all.
#[derive(Debug, Clone, Default)]
pub struct NetGrants {
    grants: Vec<NetGrant>,
}

impl NetGrants {
    /// Opens every spec (validation and secret resolution).
    pub fn open(
        specs: &[NetGrantSpec],
        secrets: &SecretSources,
    ) -> Result<NetGrants, NetGrantError> {
        let grants = specs
            .iter()
            .map(|s| s.open(secrets))
            .collect::<Result<_, _>>()?;
        Ok(NetGrants { grants })
    }

    /// Whether no network grant exists.
    pub fn is_empty(&self) -> bool {
        self.grants.is_empty()
    }

    /// The grants.
    pub fn iter(&self) -> impl Iterator<Item = &NetGrant> {
        self.grants.iter()
    }

    /// The one request rule: the first grant covering the request, or the
    /// most specific reason none does (host, then scheme, port, path,
    /// method).
    pub fn check(&self, target: &RequestTarget<'_>) -> Result<&NetGrant, NetDenied> {
        let mut denied = NetDenied::Host;
        let canonical = canonical_path(target.path);
        for grant in self.grants.iter().filter(|g| g.host.matches(target.host)) {
            let reason = if grant.scheme != target.scheme {
                NetDenied::Scheme
            } else if grant.port != target.port {
                NetDenied::Port
            } else if !canonical || !grant.path_covers(target.path) {
                NetDenied::Path
            } else if !grant.methods.contains(target.method) {
                NetDenied::Method
            } else {
                return Ok(grant);
            };
            denied = denied.max_specific(reason);
        }
        Err(denied)
    }
}

impl NetDenied {
    fn rank(self) -> u8 {
        match self {
            NetDenied::Host => 0,
            NetDenied::Scheme => 1,
            NetDenied::Port => 2,
            NetDenied::Path => 3,
            NetDenied::Method => 4,
            NetDenied::PrivateAddress => 5,
        }
    }

    fn max_specific(self, other: NetDenied) -> NetDenied {
        if other.rank() > self.rank() {
            other
        } else {
            self
        }
    }
}

#[cfg(test)]
#[path = "grant_tests.rs"]
mod tests;
