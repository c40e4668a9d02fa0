//! Tests of `ApiError` responses: status, content type, the `{"__type", "message"}` body, and no leaked internals.

use axum::body::to_bytes;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use serde_json::{Value, json};

use runtime::service;

use crate::error::ApiError;

#[track_caller]
fn check(error: ApiError, status: StatusCode, body: Value) {
    let response = error.into_response();
    assert_eq!(response.status(), status);
    assert_eq!(response.headers()[header::CONTENT_TYPE], "application/x-amz-json-1.0");
    let bytes = block_on(to_bytes(response.into_body(), usize::MAX)).unwrap();
    assert_eq!(serde_json::from_slice::<Value>(&bytes).unwrap(), body);
}

/// Polls a future that never waits (a fully buffered body) to completion.
fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(future)
}

#[test]
fn client_errors_are_400_with_type_and_message() {
    check(
        ApiError::validation("1 validation error detected: x"),
        StatusCode::BAD_REQUEST,
        json!({"__type": "ValidationException", "message": "1 validation error detected: x"}),
    );
}

#[test]
fn service_errors_keep_their_code_and_message() {
    let error = service::Error::StateMachineDoesNotExist("State Machine Does Not Exist: 'arn'".to_owned());
    check(
        ApiError::from(error),
        StatusCode::BAD_REQUEST,
        json!({"__type": "StateMachineDoesNotExist", "message": "State Machine Does Not Exist: 'arn'"}),
    );
    let error = service::Error::InvalidExecutionInput("Invalid State Machine Execution Input".to_owned());
    assert_eq!(ApiError::from(error).to_wire().1.code, "InvalidExecutionInput");
}

#[test]
fn internal_errors_are_500_and_leak_nothing() {
    let error = ApiError::from(service::Error::Internal(
        "database is locked at /secret/path".to_owned(),
    ));
    assert_eq!(
        error,
        ApiError::Internal("database is locked at /secret/path".to_owned())
    );
    check(
        error,
        StatusCode::INTERNAL_SERVER_ERROR,
        json!({
            "__type": "InternalFailure",
            "message": "The request processing has failed because of an unknown error, exception or failure.",
        }),
    );
}

#[test]
fn too_large_is_413() {
    check(
        ApiError::TooLarge { limit: 10 },
        StatusCode::PAYLOAD_TOO_LARGE,
        json!({"__type": "RequestEntityTooLargeException", "message": "request body is larger than 10 bytes"}),
    );
}
