//! ValidateStateMachineDefinition over the wire: results, diagnostics, paging by `maxResults`, and shapes.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::{Api, api};

const PASS: &str = r#"{"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}"#;
const DANGLING: &str = r#"{"StartAt": "P", "States": {"P": {"Type": "Pass", "Next": "Nowhere"}}}"#;

async fn validate(api: &Api, body: Value) -> Value {
    let reply = api.call("ValidateStateMachineDefinition", &body.to_string()).await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    assert_eq!(reply.content_type, "application/x-amz-json-1.0");
    reply.body
}

#[tokio::test]
async fn a_valid_definition_is_ok() {
    let api = api().await;
    let ok = json!({"result": "OK", "diagnostics": [], "truncated": false});
    assert_eq!(validate(&api, json!({"definition": PASS})).await, ok);
    let yaml = "StartAt: P\nStates:\n  P:\n    Type: Pass\n    End: true\n";
    let body = json!({"definition": yaml, "type": "EXPRESS", "severity": "WARNING", "maxResults": 0});
    assert_eq!(validate(&api, body).await, ok);
}

#[tokio::test]
async fn a_missing_transition_target_fails_with_its_location() {
    let api = api().await;
    let body = validate(&api, json!({"definition": DANGLING})).await;
    assert_eq!(body["result"], json!("FAIL"));
    assert_eq!(body["truncated"], json!(false));
    let diagnostics = body["diagnostics"].as_array().unwrap();
    assert_eq!(diagnostics.len(), 1, "{body}");
    let d = &diagnostics[0];
    assert_eq!(d["severity"], json!("ERROR"));
    assert_eq!(d["code"], json!("MISSING_TRANSITION_TARGET"));
    assert_eq!(d["location"], json!("/States/P/Next"));
    assert!(d["message"].as_str().unwrap().contains("Nowhere"), "{d}");
    let keys: Vec<&String> = d.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["severity", "code", "message", "location"]);
}

#[tokio::test]
async fn schema_and_syntax_problems_have_aws_codes() {
    let api = api().await;
    let body = validate(
        &api,
        json!({"definition": r#"{"StartAt": "P", "States": {"P": {"Type": "Pass"}}}"#}),
    )
    .await;
    assert_eq!(body["result"], json!("FAIL"));
    assert_eq!(body["diagnostics"][0]["code"], json!("SCHEMA_VALIDATION_FAILED"));
    assert_eq!(body["diagnostics"][0]["location"], json!("/States/P"));

    let body = validate(&api, json!({"definition": "{\"StartAt\": "})).await;
    assert_eq!(body["result"], json!("FAIL"));
    let d = &body["diagnostics"][0];
    assert_eq!(d["code"], json!("INVALID_JSON_DESCRIPTION"));
    assert_eq!(d.get("location"), None, "{d}");
    assert!(d["message"].as_str().unwrap().contains("line 1"), "{d}");

    let body = validate(&api, json!({"definition": " \n"})).await;
    assert_eq!(body["diagnostics"][0]["code"], json!("MISSING_DESCRIPTION"));
}

#[tokio::test]
async fn max_results_truncates() {
    let api = api().await;
    let states: Vec<String> = (0..5)
        .map(|i| format!(r#""S{i}": {{"Type": "Pass", "Next": "X{i}"}}"#))
        .collect();
    let definition = format!(r#"{{"StartAt": "S0", "States": {{{}}}}}"#, states.join(","));
    // Five missing targets (the states they leave unreached are not reported again).
    let all = validate(&api, json!({"definition": definition})).await;
    assert_eq!(all["diagnostics"].as_array().map(Vec::len), Some(5), "{all}");
    assert_eq!(all["truncated"], json!(false));
    let two = validate(&api, json!({"definition": definition, "maxResults": 2})).await;
    assert_eq!(two["result"], json!("FAIL"));
    assert_eq!(two["diagnostics"].as_array().map(Vec::len), Some(2));
    assert_eq!(two["truncated"], json!(true));
    assert_eq!(two["diagnostics"][0], all["diagnostics"][0]);
}

#[tokio::test]
async fn shapes_are_checked() {
    let api = api().await;
    let cases = [
        (
            json!({"definition": PASS, "maxResults": 101}),
            "1 validation error detected: Value '101' at 'maxResults' failed to satisfy constraint: Member must \
             have value less than or equal to 100",
        ),
        (
            json!({"definition": PASS, "severity": "INFO"}),
            "1 validation error detected: Value 'INFO' at 'severity' failed to satisfy constraint: Member must \
             satisfy enum value set: [ERROR, WARNING]",
        ),
        (
            json!({"definition": PASS, "type": "FAST"}),
            "1 validation error detected: Value 'FAST' at 'type' failed to satisfy constraint: Member must \
             satisfy enum value set: [STANDARD, EXPRESS]",
        ),
        (
            json!({"definition": ""}),
            "1 validation error detected: Value at 'definition' failed to satisfy constraint: Member must have \
             length greater than or equal to 1",
        ),
        (
            json!({"type": "STANDARD"}),
            "1 validation error detected: Value null at 'definition' failed to satisfy constraint: Member must \
             not be null",
        ),
    ];
    for (body, message) in cases {
        let reply = api.call("ValidateStateMachineDefinition", &body.to_string()).await;
        reply.assert_error("ValidationException");
        assert_eq!(reply.message(), message, "{body}");
    }
}
