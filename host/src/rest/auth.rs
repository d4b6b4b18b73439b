//! Bearer-token authentication.
//!
//! The token is kept only as its SHA-256 digest; a presented token is
//! hashed and the two digests are compared with [`subtle`] in constant
//! time, so the comparison leaks neither a matching prefix nor the token's
//! length. A missing header, another scheme and a wrong token all get the
//! same 401 answer: a caller learns nothing about why.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::error::ApiError;
use crate::workers::api::RuntimeErrorCode;

/// The expected token, as a digest; `None` when the configured token is
/// empty, in which case nothing is authorized.
#[derive(Clone)]
pub(crate) struct TokenCheck(Option<Arc<[u8; 32]>>);

impl TokenCheck {
    /// The check for `token` (surrounding whitespace is not part of it,
    /// as in a presented credential).
    pub(crate) fn new(token: &str) -> TokenCheck {
        let token = token.trim();
        if token.is_empty() {
            return TokenCheck(None);
        }
        TokenCheck(Some(Arc::new(Sha256::digest(token.as_bytes()).into())))
    }

    /// Whether the `Authorization` header value presents the token.
    fn accepts(&self, authorization: Option<&[u8]>) -> bool {
        let Some(expected) = &self.0 else {
            return false;
        };
        let presented = authorization.and_then(bearer_token).unwrap_or_default();
        let digest: [u8; 32] = Sha256::digest(presented).into();
        // Hash even when nothing was presented, so every path costs the same.
        let matches: bool = digest.ct_eq(expected.as_ref()).into();
        matches && !presented.is_empty()
    }
}

/// The token of a `Bearer` credential (scheme case-insensitive).
fn bearer_token(value: &[u8]) -> Option<&[u8]> {
    const SCHEME: &[u8] = b"bearer ";
    let (scheme, rest) = value.split_at_checked(SCHEME.len())?;
    if !scheme.eq_ignore_ascii_case(SCHEME) {
        return None;
    }
    Some(rest.trim_ascii())
}

/// The 401 answer, identical for every reason.
fn unauthorized() -> Response {
    ApiError::new(
        RuntimeErrorCode::Unauthorized,
        "missing or invalid credentials",
    )
    .into_response()
}

/// Middleware: lets the request through only with the right bearer token.
pub(crate) async fn require_token(
    State(check): State<TokenCheck>,
    request: Request,
    next: Next,
) -> Response {
    let presented = request
        .headers()
        .get(header::AUTHORIZATION)
        .map(|v| v.as_bytes());
    if check.accepts(presented) {
        next.run(request).await
    } else {
        unauthorized()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_only_the_exact_bearer_token() {
        let check = TokenCheck::new("s3cret-token");
        assert!(check.accepts(Some(b"Bearer s3cret-token")));
        assert!(check.accepts(Some(b"bearer s3cret-token")));
        assert!(!check.accepts(None));
        assert!(!check.accepts(Some(b"Bearer s3cret-toke")));
        assert!(!check.accepts(Some(b"Bearer s3cret-token2")));
        assert!(!check.accepts(Some(b"Basic s3cret-token")));
        assert!(!check.accepts(Some(b"s3cret-token")));
        assert!(!check.accepts(Some(b"Bearer ")));
    }

    #[test]
    fn an_empty_token_authorizes_nobody() {
        let check = TokenCheck::new("  ");
        assert!(!check.accepts(Some(b"Bearer   ")));
        assert!(!check.accepts(Some(b"Bearer ")));
        assert!(!check.accepts(None));
    }
}
