//! `AwsJson<T>`, the one JSON extractor (and responder) of the API.
//!
//! Extracting reads the body as AWS JSON 1.0 and answers the way AWS does: a body that is not a JSON object is a
//! `SerializationException`; a required member that is absent or `null` is a `ValidationException`; a member of the
//! wrong type is a `SerializationException`; then the request's `Shape` constraints apply. An empty body means `{}`.
//! Unknown members are ignored, as AWS ignores them.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::Value;

use crate::error::{AMZ_JSON, ApiError};
use crate::limits::BODY_LIMIT;
use crate::shape::{Shape, Violations};

/// A request or response body in AWS JSON 1.0.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct AwsJson<T>(pub(crate) T);

impl<T: Shape, S: Send + Sync> FromRequest<S> for AwsJson<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        // The body is read before the Content-Type is judged: a request refused with its body unread would close the
        // connection, which SDKs reuse.
        let content_type = check_content_type(request.headers());
        let body = Bytes::from_request(request, state).await.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::TooLarge { limit: BODY_LIMIT }
            } else {
                ApiError::serialization(format!("cannot read the request body: {}", rejection.body_text()))
            }
        })?;
        content_type?;
        parse(&body).map(AwsJson)
    }
}

impl<T: Serialize> IntoResponse for AwsJson<T> {
    fn into_response(self) -> Response {
        match serde_json::to_vec(&self.0) {
            Ok(json) => {
                let mut response = json.into_response();
                response
                    .headers_mut()
                    .insert(header::CONTENT_TYPE, HeaderValue::from_static(AMZ_JSON));
                response
            }
            Err(error) => ApiError::Internal(format!("cannot serialize a response: {error}")).into_response(),
        }
    }
}

/// Parses and validates a request body.
pub(crate) fn parse<T: Shape>(body: &[u8]) -> Result<T, ApiError> {
    let value = if body.trim_ascii().is_empty() {
        Value::Object(serde_json::Map::new())
    } else {
        serde_json::from_slice::<Value>(body).map_err(|error| ApiError::serialization(error.to_string()))?
    };
    let Value::Object(members) = &value else {
        return Err(ApiError::serialization("the request body must be a JSON object"));
    };
    let mut violations = Violations::default();
    for member in T::REQUIRED {
        if members.get(*member).is_none_or(Value::is_null) {
            violations.null(member);
        }
    }
    violations.finish()?;
    let request = serde_json::from_value::<T>(value).map_err(|error| ApiError::serialization(error.to_string()))?;
    request.validate()?;
    Ok(request)
}

/// Accepts an absent `Content-Type`, `application/x-amz-json-1.0` (what SDKs send), `application/x-amz-json-1.1`
/// and `application/json`, with or without parameters.
fn check_content_type(headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(value) = headers.get(header::CONTENT_TYPE) else {
        return Ok(());
    };
    let text = value.to_str().unwrap_or_default();
    let media_type = text.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    match media_type.as_str() {
        "application/x-amz-json-1.0" | "application/x-amz-json-1.1" | "application/json" => Ok(()),
        _ => Err(ApiError::serialization(format!(
            "unsupported Content-Type '{text}': send application/x-amz-json-1.0 with a JSON body"
        ))),
    }
}
