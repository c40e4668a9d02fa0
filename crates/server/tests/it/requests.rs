//! Malformed requests get the error AWS gives, in AWS's shape.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::json;

use crate::api;

#[tokio::test]
async fn an_empty_body_is_an_empty_object() {
    let reply = api().await.call("ListStateMachines", "").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body, json!({"stateMachines": []}));
}

#[tokio::test]
async fn malformed_json_is_a_serialization_exception() {
    let api = api().await;
    for body in [
        "{",
        "{\"stateMachineArn\": }",
        "not json",
        "{\"a\": 1} trailing",
        "\u{0}",
    ] {
        api.call("DescribeStateMachine", body)
            .await
            .assert_error("SerializationException");
    }
}

#[tokio::test]
async fn non_utf8_bodies_are_serialization_exceptions() {
    let request = Request::post("/")
        .header("x-amz-target", "AWSStepFunctions.DescribeExecution")
        .body(Body::from(vec![b'{', 0xff, 0xfe, b'}']))
        .unwrap();
    api().await.send(request).await.assert_error("SerializationException");
}

#[tokio::test]
async fn a_body_that_is_not_an_object_is_a_serialization_exception() {
    let api = api().await;
    for body in ["[]", "42", "\"text\"", "null"] {
        let reply = api.call("ListExecutions", body).await;
        reply.assert_error("SerializationException");
        assert_eq!(reply.message(), "the request body must be a JSON object");
    }
}

#[tokio::test]
async fn wrong_member_types_are_serialization_exceptions() {
    let api = api().await;
    let cases = [
        ("DescribeStateMachine", json!({"stateMachineArn": 5})),
        ("DescribeStateMachine", json!({"stateMachineArn": ["a"]})),
        ("ListStateMachines", json!({"maxResults": "10"})),
        ("ListStateMachines", json!({"maxResults": 1.5})),
        ("ListStateMachines", json!({"nextToken": {}})),
        (
            "GetExecutionHistory",
            json!({"executionArn": "a", "reverseOrder": "true"}),
        ),
        ("StartExecution", json!({"stateMachineArn": "a", "input": {"a": 1}})),
        (
            "CreateStateMachine",
            json!({"name": "n", "definition": {"StartAt": "A"}, "roleArn": "r"}),
        ),
        (
            "CreateStateMachine",
            json!({"name": "n", "definition": "{}", "roleArn": "r", "tags": "k=v"}),
        ),
        (
            "CreateStateMachine",
            json!({"name": "n", "definition": "{}", "roleArn": "r", "tracingConfiguration": true}),
        ),
    ];
    for (action, body) in cases {
        let reply = api.call(action, &body.to_string()).await;
        reply.assert_error("SerializationException");
        assert!(
            reply.message().starts_with("invalid type"),
            "{action} {body}: {reply:?}"
        );
    }
}

#[tokio::test]
async fn missing_required_members_are_validation_exceptions_in_aws_words() {
    let api = api().await;
    let reply = api.call("DescribeExecution", r#"{"includedData": "ALL_DATA"}"#).await;
    reply.assert_error("ValidationException");
    assert_eq!(
        reply.message(),
        "1 validation error detected: Value null at 'executionArn' failed to satisfy constraint: Member must not be null"
    );
    let reply = api.call("CreateStateMachine", r#"{"name": null}"#).await;
    reply.assert_error("ValidationException");
    assert_eq!(
        reply.message(),
        "3 validation errors detected: \
         Value null at 'name' failed to satisfy constraint: Member must not be null; \
         Value null at 'definition' failed to satisfy constraint: Member must not be null; \
         Value null at 'roleArn' failed to satisfy constraint: Member must not be null"
    );
}

#[tokio::test]
async fn constraint_violations_are_validation_exceptions() {
    let api = api().await;
    let arn = "arn:aws:states:us-east-1:123456789012:stateMachine:none";
    let cases = [
        (
            "ListStateMachines",
            json!({"maxResults": 1001}),
            "Value '1001' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 1000",
        ),
        (
            "ListExecutions",
            json!({"stateMachineArn": arn, "maxResults": -5}),
            "Value '-5' at 'maxResults' failed to satisfy constraint: Member must have value greater than or equal to 0",
        ),
        (
            "GetExecutionHistory",
            json!({"executionArn": ""}),
            "Value '' at 'executionArn' failed to satisfy constraint: Member must have length greater than or equal to 1",
        ),
        (
            "StartExecution",
            json!({"stateMachineArn": arn, "name": "x".repeat(81)}),
            "at 'name' failed to satisfy constraint: Member must have length less than or equal to 80",
        ),
        (
            "DescribeStateMachine",
            json!({"stateMachineArn": "a".repeat(257)}),
            "at 'stateMachineArn' failed to satisfy constraint: Member must have length less than or equal to 256",
        ),
        (
            "DescribeExecution",
            json!({"executionArn": "a", "includedData": "SOME"}),
            "Value 'SOME' at 'includedData' failed to satisfy constraint: Member must satisfy enum value set: [ALL_DATA, METADATA_ONLY]",
        ),
        (
            "CreateStateMachine",
            json!({"name": "n", "definition": "x".repeat(1_048_577), "roleArn": "r"}),
            "Value at 'definition' failed to satisfy constraint: Member must have length less than or equal to 1048576",
        ),
        (
            "StopExecution",
            json!({"executionArn": "a", "error": "e".repeat(257)}),
            "Value at 'error' failed to satisfy constraint: Member must have length less than or equal to 256",
        ),
    ];
    for (action, body, expected) in cases {
        let reply = api.call(action, &body.to_string()).await;
        reply.assert_error("ValidationException");
        assert!(
            reply.message().starts_with("1 validation error detected: "),
            "{reply:?}"
        );
        assert!(reply.message().ends_with(expected), "{action}: {}", reply.message());
    }
}

#[tokio::test]
async fn two_violations_in_one_message() {
    let reply = api()
        .await
        .call("GetExecutionHistory", r#"{"executionArn": "", "maxResults": 5000}"#)
        .await;
    reply.assert_error("ValidationException");
    assert!(
        reply
            .message()
            .starts_with("2 validation errors detected: Value '' at 'executionArn'"),
        "{reply:?}"
    );
}

#[tokio::test]
async fn execution_input_that_is_not_json_is_invalid_execution_input() {
    let api = api().await;
    let arn = "arn:aws:states:us-east-1:123456789012:stateMachine:none";
    for action in ["StartExecution", "StartSyncExecution"] {
        let reply = api
            .call(
                action,
                &json!({"stateMachineArn": arn, "input": "{not json"}).to_string(),
            )
            .await;
        reply.assert_error("InvalidExecutionInput");
        assert!(
            reply.message().starts_with("Invalid State Machine Execution Input: '"),
            "{reply:?}"
        );
    }
}

#[tokio::test]
async fn execution_input_over_256_kib_is_refused() {
    let input = format!("\"{}\"", "x".repeat(262_143));
    let body = json!({"stateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:none", "input": input});
    let reply = api().await.call("StartExecution", &body.to_string()).await;
    reply.assert_error("ValidationException");
    assert_eq!(
        reply.message(),
        "1 validation error detected: Value at 'input' failed to satisfy constraint: \
         Member must have length less than or equal to 262144"
    );
}

#[tokio::test]
async fn huge_bodies_are_refused_with_413() {
    let body = format!("{{\"stateMachineArn\": \"{}\"}}", "a".repeat(server::BODY_LIMIT));
    let request = Request::post("/")
        .header("x-amz-target", "AWSStepFunctions.DescribeStateMachine")
        .header(header::CONTENT_TYPE, "application/x-amz-json-1.0")
        .body(Body::from(body))
        .unwrap();
    let reply = api().await.send(request).await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(reply.code(), "RequestEntityTooLargeException");
    assert_eq!(
        reply.message(),
        format!("request body is larger than {} bytes", server::BODY_LIMIT)
    );
}

#[tokio::test]
async fn unknown_members_are_ignored() {
    let reply = api()
        .await
        .call(
            "ListStateMachines",
            r#"{"bogus": 1, "maxResults": null, "nextToken": null}"#,
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
}

#[tokio::test]
async fn a_version_description_needs_publish() {
    let body = json!({"name": "n", "definition": "{}", "roleArn": "r", "versionDescription": "v"});
    let reply = api().await.call("CreateStateMachine", &body.to_string()).await;
    reply.assert_error("ValidationException");
    assert_eq!(reply.message(), "Version description can only be set when publish is true");
}

#[tokio::test]
async fn map_runs_are_not_listed() {
    let api = api().await;
    let reply = api
        .call(
            "ListExecutions",
            r#"{"mapRunArn": "arn:aws:states:us-east-1:123456789012:mapRun:m/x:y"}"#,
        )
        .await;
    reply.assert_error("ResourceNotFound");
    let reply = api
        .call("ListExecutions", r#"{"stateMachineArn": "a", "mapRunArn": "b"}"#)
        .await;
    reply.assert_error("ValidationException");
}
