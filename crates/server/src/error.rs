//! `ApiError`, the one error type of the HTTP boundary, and how it becomes a response.
//!
//! Client errors are HTTP 400 with `{"__type": "<Code>", "message": "…"}` (a bare code: SDKs keep what follows a
//! `#`, so it reads the same as AWS's qualified one). Every Step Functions error is a 400, `ConflictException` and
//! `ResourceNotFound` included: botocore's model gives no error a status of its own, and AWS's API reference lists
//! "HTTP Status Code: 400" for both (its 409 is a sentence of ConflictException's description, not its status). A body over `BODY_LIMIT` is HTTP 413. A failure of Baton itself
//! is HTTP 500 `InternalFailure` with a fixed message: its detail goes to stderr, never to the client. Access errors
//! (`auth`: no signature, an unknown key, a wrong signature, a read-only key, another account's resource) are HTTP 403.

#[cfg(test)]
mod tests;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use runtime::service;

/// The `Content-Type` of every API response.
pub(crate) const AMZ_JSON: &str = "application/x-amz-json-1.0";

/// Why a request failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum ApiError {
    /// An AWS client error (HTTP 400); `code` is the `__type`.
    #[error("{code}: {message}")]
    Client { code: &'static str, message: String },
    /// An access error (HTTP 403): the caller is not known, its signature does not hold, or it may not do this.
    #[error("{code}: {message}")]
    Denied { code: &'static str, message: String },
    /// The request body is larger than the server accepts (HTTP 413).
    #[error("request body is larger than {limit} bytes")]
    TooLarge { limit: usize },
    /// A failure of Baton itself (HTTP 500). The detail is logged, not sent.
    #[error("internal failure: {0}")]
    Internal(String),
}

impl ApiError {
    /// `ValidationException`: the request breaks a constraint of the model.
    pub(crate) fn validation(message: impl Into<String>) -> ApiError {
        ApiError::Client {
            code: "ValidationException",
            message: message.into(),
        }
    }

    /// `SerializationException`: the body is not JSON, or a member has the wrong type.
    pub(crate) fn serialization(message: impl Into<String>) -> ApiError {
        ApiError::Client {
            code: "SerializationException",
            message: message.into(),
        }
    }

    /// `UnknownOperationException`: the `X-Amz-Target` names no action Baton serves.
    pub(crate) fn unknown_operation(message: impl Into<String>) -> ApiError {
        ApiError::Client {
            code: "UnknownOperationException",
            message: message.into(),
        }
    }

    /// The HTTP status and the wire body of this error.
    pub(crate) fn to_wire(&self) -> (StatusCode, api::ErrorBody) {
        match self {
            ApiError::Client { code, message } => (
                StatusCode::BAD_REQUEST,
                api::ErrorBody {
                    code: (*code).to_owned(),
                    message: message.clone(),
                },
            ),
            ApiError::Denied { code, message } => (
                StatusCode::FORBIDDEN,
                api::ErrorBody {
                    code: (*code).to_owned(),
                    message: message.clone(),
                },
            ),
            ApiError::TooLarge { .. } => (
                StatusCode::PAYLOAD_TOO_LARGE,
                api::ErrorBody {
                    code: "RequestEntityTooLargeException".to_owned(),
                    message: self.to_string(),
                },
            ),
            ApiError::Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                api::ErrorBody {
                    code: "InternalFailure".to_owned(),
                    message: "The request processing has failed because of an unknown error, exception or failure."
                        .to_owned(),
                },
            ),
        }
    }
}

impl From<service::Error> for ApiError {
    fn from(error: service::Error) -> ApiError {
        match error {
            service::Error::Internal(detail) => ApiError::Internal(detail),
            other => ApiError::Client {
                code: other.code(),
                message: other.to_string(),
            },
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::Internal(detail) = &self {
            tracing::error!(%detail, "internal failure");
        }
        let (status, body) = self.to_wire();
        // Serializing two strings cannot fail; the fallback keeps this path free of panics all the same.
        let json = serde_json::to_vec(&body).unwrap_or_else(|_| b"{\"__type\":\"InternalFailure\"}".to_vec());
        let mut response = (status, json).into_response();
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(AMZ_JSON));
        response
    }
}
