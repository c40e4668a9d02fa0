//! TestState's check of mocked results against output shapes: the cases AWS is known to refuse or accept.

use serde_json::{Value, json};

use crate::protocol::mock::{Blobs, Strictness, check_output};
use crate::protocol::tests::service;

#[track_caller]
fn check(service_name: &str, action: &str, value: Value, strictness: Strictness) -> Result<(), String> {
    let service = service(service_name);
    let operation = service.model.operation(action).expect("the operation exists");
    check_output(&service.model, operation, &value, strictness, Blobs::Text)
}

#[test]
fn strict_needs_the_required_members() {
    let missing = check("sfn", "startExecution", json!({"ExecutionArn": "arn"}), Strictness::Required);
    assert_eq!(missing, Err("Mock result schema validation error: Required field 'StartDate' is missing".to_owned()));
    assert_eq!(check("sfn", "startExecution", json!({}), Strictness::Present), Ok(()));
    let whole = json!({"ExecutionArn": "arn", "StartDate": "2026-12-03T10:00:00Z"});
    assert_eq!(check("sfn", "startExecution", whole, Strictness::Required), Ok(()));
}

#[test]
fn present_members_must_have_their_types() {
    let cases = [
        ("sfn", "startExecution", json!({"StartDate": true}), "Field 'StartDate' must be a string"),
        ("sfn", "startExecution", json!({"ExecutionArn": 1764103483}), "Field 'ExecutionArn' must be a string"),
        ("lambda", "invoke", json!({"StatusCode": "200"}), "Field 'StatusCode' must be a number"),
        ("dynamodb", "putItem", json!({"ConsumedCapacity": {"CapacityUnits": "123.45"}}), "Field 'CapacityUnits' must be a number"),
        ("s3", "getObject", json!({"ContentLength": "9000"}), "Field 'ContentLength' must be a number"),
        ("kms", "encrypt", json!({"CiphertextBlob": 123}), "Field 'CiphertextBlob' must be a string"),
        ("eventbridge", "putEvents", json!({"Entries": "no"}), "Field 'Entries' must be an array"),
        ("eventbridge", "putEvents", json!({"Entries": [{"EventId": "a"}, {"EventId": ["b"]}]}), "Field 'EventId' must be a string"),
    ];
    for (service, action, value, message) in cases {
        let problem = check(service, action, value.clone(), Strictness::Present);
        assert_eq!(problem, Err(format!("Mock result schema validation error: {message}")), "{service}:{action} {value}");
    }
}

#[test]
fn unknown_members_and_decoded_blobs_pass() {
    assert_eq!(check("eventbridge", "putEvents", json!({"random": "json"}), Strictness::Present), Ok(()));
    // `executionArn` is not how Step Functions spells the member: an unknown member, not a mistyped one.
    assert_eq!(check("sfn", "startExecution", json!({"executionArn": 1}), Strictness::Present), Ok(()));
    let lambda = service("lambda");
    let invoke = lambda.model.operation("invoke").expect("Invoke");
    let payload = json!({"Payload": {"ok": true}, "StatusCode": 200});
    assert_eq!(check_output(&lambda.model, invoke, &payload, Strictness::Required, Blobs::Decoded), Ok(()));
    assert!(check_output(&lambda.model, invoke, &payload, Strictness::Required, Blobs::Text).is_err());
    assert_eq!(
        check_output(&lambda.model, invoke, &json!([1]), Strictness::Present, Blobs::Decoded),
        Err("Mock result must be a valid JSON object, but got 'array' instead".to_owned())
    );
}
