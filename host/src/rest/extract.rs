//! Request extractors whose rejections are the API's JSON errors instead of
//! axum's plain-text ones: a JSON body (413 over the cap, 400 when
//! malformed, with a bounded parser message), path parameters and the
//! query string (400).

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRef, FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use super::MAX_PARSE_ERROR_BYTES;
use super::error::ApiError;
use crate::diag::bound;
use crate::workers::api::RuntimeErrorCode;

/// The request body cap in force (the same number the server's
/// `DefaultBodyLimit` enforces), for the 413 message.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BodyLimit(pub(crate) usize);

/// A JSON request body, parsed into `T` (whose `deny_unknown_fields`
/// makes unknown fields a 400 too).
pub(crate) struct ApiJson<T>(pub(crate) T);

fn body_rejection(rejection: BytesRejection, limit: BodyLimit) -> ApiError {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::new(
            RuntimeErrorCode::PayloadTooLarge,
            format!(
                "the request body is larger than the limit of {} bytes",
                limit.0
            ),
        )
    } else {
        ApiError::bad_request("the request body could not be read")
    }
}

impl<S, T> FromRequest<S> for ApiJson<T>
where
    S: Send + Sync,
    BodyLimit: FromRef<S>,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let limit = BodyLimit::from_ref(state);
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|r| body_rejection(r, limit))?;
        serde_json::from_slice(&bytes).map(ApiJson).map_err(|e| {
            // serde_json may quote a piece of the body (an unknown variant,
            // a string of the wrong type): keep only a bounded excerpt.
            ApiError::bad_request(format!(
                "malformed request body: {}",
                bound(&e.to_string(), MAX_PARSE_ERROR_BYTES)
            ))
        })
    }
}

/// Path parameters, percent-decoded by axum (`bundle%2F1` is `bundle/1`).
pub(crate) struct ApiPath<T>(pub(crate) T);

impl<S, T> FromRequestParts<S> for ApiPath<T>
where
    S: Send + Sync,
    T: DeserializeOwned + Send,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(value)| ApiPath(value))
            .map_err(|_| {
                ApiError::bad_request("a path parameter is not valid percent-encoded UTF-8")
            })
    }
}

/// The query string, parsed into `T`.
pub(crate) struct ApiQuery<T>(pub(crate) T);

impl<S, T> FromRequestParts<S> for ApiQuery<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(value)| ApiQuery(value))
            .map_err(|r| {
                ApiError::bad_request(format!(
                    "invalid query string: {}",
                    bound(&r.body_text(), MAX_PARSE_ERROR_BYTES)
                ))
            })
    }
}
