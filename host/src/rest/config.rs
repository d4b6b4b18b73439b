//! The REST server's configuration: the bearer token and the request body
//! cap.

use std::fmt;
use std::time::Duration;

use super::DEFAULT_MAX_BODY_BYTES;

/// How the REST server runs: the bearer token callers must present and the
/// request body cap. `Debug` never prints the token.
///
/// `Default` has an empty token (fill it in: `ServerConfig { token, ..Default::default() }`)
/// and the default body cap.
#[derive(Clone)]
pub struct ServerConfig {
    /// The bearer token (`Authorization: Bearer <token>`). Must not be
    /// empty: an empty token authorizes nobody, and [`super::serve()`]
    /// refuses to start with one.
    pub token: String,
    /// Largest request body accepted, in bytes; larger bodies get 413.
    pub max_body_bytes: usize,
    /// Connection handling bounds.
    pub connections: ConnectionLimits,
}

/// What a client can hold on the server: every one is bounded, so slow or
/// idle clients cannot starve the service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// Connections served at once; further ones wait in the listen backlog
    /// until a slot frees.
    pub max_connections: usize,
    /// Time a client has to send a request's headers, counted from when
    /// the server is ready for them: it also closes a keep-alive
    /// connection idle between requests.
    pub header_timeout: Duration,
    /// Longest life of one connection, whatever it does (a client that
    /// never reads its responses cannot hold a slot forever).
    pub max_lifetime: Duration,
    /// Time one request may take, body and handler included; longer is 408
    /// `request-timeout`. Above the longest tool call
    /// ([`crate::limits::MAX_CALL_TIMEOUT`]).
    pub request_timeout: Duration,
    /// After the shutdown signal: how long requests in flight may finish
    /// before their connections are dropped.
    pub shutdown_grace: Duration,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        ConnectionLimits {
            max_connections: 256,
            header_timeout: Duration::from_secs(10),
            max_lifetime: Duration::from_secs(3600),
            request_timeout: crate::limits::MAX_CALL_TIMEOUT + Duration::from_secs(30),
            shutdown_grace: Duration::from_secs(10),
        }
    }
}

/// Why a [`ServerConfig`] cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ServerConfigError {
    /// The token is empty (or only whitespace).
    #[error("the bearer token is empty; refusing to serve without authentication")]
    EmptyToken,
    /// The body cap is zero.
    #[error("the request body cap must be at least 1 byte")]
    ZeroBodyCap,
}

impl crate::error::ErrorCode for ServerConfigError {
    fn code(&self) -> &'static str {
        match self {
            ServerConfigError::EmptyToken => "empty-token",
            ServerConfigError::ZeroBodyCap => "invalid-config",
        }
    }
}

impl ServerConfig {
    /// A configuration with `token` and the default body cap
    /// ([`DEFAULT_MAX_BODY_BYTES`]); refuses an empty token.
    pub fn new(token: impl Into<String>) -> Result<ServerConfig, ServerConfigError> {
        let config = ServerConfig {
            token: token.into(),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            connections: ConnectionLimits::default(),
        };
        config.validate()?;
        Ok(config)
    }

    /// The same configuration with another body cap.
    pub fn with_max_body_bytes(mut self, max: usize) -> ServerConfig {
        self.max_body_bytes = max;
        self
    }

    /// Checks that the token is not empty and the body cap not zero.
    pub fn validate(&self) -> Result<(), ServerConfigError> {
        if self.token.trim().is_empty() {
            return Err(ServerConfigError::EmptyToken);
        }
        if self.max_body_bytes == 0 {
            return Err(ServerConfigError::ZeroBodyCap);
        }
        Ok(())
    }
}

impl fmt::Debug for ServerConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerConfig")
            .field("token", &"<redacted>")
            .field("max_body_bytes", &self.max_body_bytes)
            .finish()
    }
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            token: String::new(),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            connections: ConnectionLimits::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_an_empty_token_and_a_zero_cap() {
        assert_eq!(
            ServerConfig::new("").unwrap_err(),
            ServerConfigError::EmptyToken
        );
        assert_eq!(
            ServerConfig::new(" \n").unwrap_err(),
            ServerConfigError::EmptyToken
        );
        assert_eq!(
            ServerConfig::default().validate().unwrap_err(),
            ServerConfigError::EmptyToken
        );
        let zero = ServerConfig::new("t").unwrap().with_max_body_bytes(0);
        assert_eq!(zero.validate().unwrap_err(), ServerConfigError::ZeroBodyCap);
    }

    #[test]
    fn debug_never_prints_the_token() {
        let config = ServerConfig::new("very-secret-value").unwrap();
        assert!(!format!("{config:?}").contains("very-secret-value"));
    }
}
