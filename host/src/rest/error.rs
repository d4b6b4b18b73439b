//! How the server answers with an error: a [`RuntimeError`] rendered as the
//! JSON envelope, with the status of its code (or an explicit status for
//! the few answers that are not about a runtime call: 404 unknown route,
//! 405 wrong method, 503 not ready).

use axum::Json;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::wire::ErrorEnvelope;
use crate::workers::api::{RuntimeError, RuntimeErrorCode};

/// An error answer of the REST server.
#[derive(Debug)]
pub(crate) struct ApiError {
    status: StatusCode,
    error: RuntimeError,
}

impl ApiError {
    /// An error with the status of its code.
    pub(crate) fn new(code: RuntimeErrorCode, message: impl std::fmt::Display) -> Self {
        RuntimeError::new(code, message).into()
    }

    /// A `bad-request` error.
    pub(crate) fn bad_request(message: impl std::fmt::Display) -> Self {
        ApiError::new(RuntimeErrorCode::BadRequest, message)
    }

    /// The same error answered with another status.
    pub(crate) fn with_status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }
}

impl From<RuntimeError> for ApiError {
    fn from(error: RuntimeError) -> Self {
        let status = StatusCode::from_u16(error.code.http_status())
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        ApiError { status, error }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if self.status.is_server_error() {
            tracing::warn!(target: "yoi::rest", code = self.error.code.as_str(), message = %self.error.message, "request failed");
        }
        let mut response = (self.status, Json(ErrorEnvelope::from(&self.error))).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer"),
            );
        }
        response
    }
}
