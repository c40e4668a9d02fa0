//! Tests of the validation messages and of request parsing (`extract::parse`) against AWS's wording.

use serde_json::json;

use crate::error::ApiError;
use crate::extract::parse;
use crate::shape::{Length, Violations};

/// Parses `body` as `T` and renders the outcome: `ok` or `<code>: <message>`.
#[track_caller]
fn check<T: crate::shape::Shape>(body: &str, expect: &str) {
    let rendered = match parse::<T>(body.as_bytes()) {
        Ok(_) => "ok".to_owned(),
        Err(error) => error.to_string(),
    };
    assert_eq!(rendered, expect);
}

#[test]
fn no_violations_is_ok() {
    assert_eq!(Violations::default().finish(), Ok(()));
}

#[test]
fn one_violation() {
    let mut v = Violations::default();
    v.null("stateMachineArn");
    assert_eq!(
        v.finish(),
        Err(ApiError::validation(
            "1 validation error detected: Value null at 'stateMachineArn' failed to satisfy constraint: \
             Member must not be null"
        ))
    );
}

#[test]
fn several_violations_are_counted_and_joined() {
    let mut v = Violations::default();
    v.length("name", Some(""), 1, 80, Length::Chars);
    v.range("maxResults", Some(1001), 0, 1000);
    v.one_of("type", Some("FAST"), &["STANDARD", "EXPRESS"]);
    assert_eq!(
        v.finish(),
        Err(ApiError::validation(
            "3 validation errors detected: \
             Value '' at 'name' failed to satisfy constraint: Member must have length greater than or equal to 1; \
             Value '1001' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 1000; \
             Value 'FAST' at 'type' failed to satisfy constraint: Member must satisfy enum value set: [STANDARD, EXPRESS]"
        ))
    );
}

#[test]
fn sensitive_values_are_not_quoted() {
    let mut v = Violations::default();
    v.length("input", Some("12345"), 0, 4, Length::SensitiveBytes);
    v.length("definition", Some(""), 1, 4, Length::SensitiveChars);
    assert_eq!(
        v.finish(),
        Err(ApiError::validation(
            "2 validation errors detected: \
             Value at 'input' failed to satisfy constraint: Member must have length less than or equal to 4; \
             Value at 'definition' failed to satisfy constraint: Member must have length greater than or equal to 1"
        ))
    );
}

#[test]
fn lengths_count_utf16_units_or_bytes() {
    let mut v = Violations::default();
    // Four characters, four UTF-16 units, eight bytes.
    v.length("name", Some("éééé"), 1, 4, Length::Chars);
    assert_eq!(v.finish(), Ok(()));
    let mut v = Violations::default();
    v.length("input", Some("éééé"), 0, 4, Length::SensitiveBytes);
    assert!(v.finish().is_err());
    let mut v = Violations::default();
    // One emoji is two UTF-16 units, as Java counts it.
    v.length("name", Some("😀"), 1, 1, Length::Chars);
    assert!(v.finish().is_err());
}

#[test]
fn absent_members_are_ignored() {
    let mut v = Violations::default();
    v.length("name", None, 1, 80, Length::Chars);
    v.range("maxResults", None, 0, 1000);
    v.one_of("type", None, &["STANDARD"]);
    assert_eq!(v.finish(), Ok(()));
}

#[test]
fn empty_body_is_an_empty_object() {
    check::<api::ListStateMachinesInput>("", "ok");
    check::<api::ListStateMachinesInput>("  \n", "ok");
    check::<api::ListStateMachinesInput>("{}", "ok");
}

#[test]
fn malformed_json_is_a_serialization_exception() {
    check::<api::ListStateMachinesInput>(
        "{",
        "SerializationException: EOF while parsing an object at line 1 column 1",
    );
    check::<api::ListStateMachinesInput>("nope", "SerializationException: expected ident at line 1 column 2");
}

#[test]
fn a_body_that_is_not_an_object_is_a_serialization_exception() {
    for body in ["[]", "1", "\"x\"", "null", "true"] {
        check::<api::ListStateMachinesInput>(body, "SerializationException: the request body must be a JSON object");
    }
}

#[test]
fn missing_and_null_required_members_are_validation_exceptions() {
    let null = |member: &str| format!("Value null at '{member}' failed to satisfy constraint: Member must not be null");
    check::<api::DescribeStateMachineInput>(
        "{}",
        &format!(
            "ValidationException: 1 validation error detected: {}",
            null("stateMachineArn")
        ),
    );
    check::<api::DescribeStateMachineInput>(
        r#"{"stateMachineArn": null}"#,
        &format!(
            "ValidationException: 1 validation error detected: {}",
            null("stateMachineArn")
        ),
    );
    check::<api::CreateStateMachineInput>(
        r#"{"definition": "{}"}"#,
        &format!(
            "ValidationException: 2 validation errors detected: {}; {}",
            null("name"),
            null("roleArn")
        ),
    );
}

#[test]
fn wrong_member_types_are_serialization_exceptions() {
    check::<api::DescribeStateMachineInput>(
        r#"{"stateMachineArn": 5}"#,
        "SerializationException: invalid type: integer `5`, expected a string",
    );
    check::<api::ListStateMachinesInput>(
        r#"{"maxResults": "10"}"#,
        "SerializationException: invalid type: string \"10\", expected i64",
    );
    check::<api::GetExecutionHistoryInput>(
        r#"{"executionArn": "a", "reverseOrder": "yes"}"#,
        "SerializationException: invalid type: string \"yes\", expected a boolean",
    );
    check::<api::CreateStateMachineInput>(
        r#"{"name": "n", "definition": "{}", "roleArn": "r", "tags": {"key": "k"}}"#,
        "SerializationException: invalid type: map, expected a sequence",
    );
}

#[test]
fn unknown_members_and_null_optional_members_are_ignored() {
    check::<api::DescribeStateMachineInput>(r#"{"stateMachineArn": "a", "bogus": [1], "includedData": null}"#, "ok");
}

#[test]
fn constraints_apply_after_deserialization() {
    check::<api::ListStateMachinesInput>(
        r#"{"maxResults": -1}"#,
        "ValidationException: 1 validation error detected: Value '-1' at 'maxResults' failed to satisfy constraint: \
         Member must have value greater than or equal to 0",
    );
    check::<api::ListStateMachinesInput>(r#"{"maxResults": 0}"#, "ok");
    check::<api::ListStateMachinesInput>(r#"{"maxResults": 1000}"#, "ok");
    check::<api::ListExecutionsInput>(
        r#"{"stateMachineArn": "a", "statusFilter": "DONE"}"#,
        "ValidationException: 1 validation error detected: Value 'DONE' at 'statusFilter' failed to satisfy \
         constraint: Member must satisfy enum value set: [RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED, PENDING_REDRIVE]",
    );
}

#[test]
fn names_are_one_to_eighty_characters() {
    let body = |name: &str| json!({"name": name, "definition": "{}", "roleArn": "r"}).to_string();
    check::<api::CreateStateMachineInput>(&body(&"n".repeat(80)), "ok");
    check::<api::CreateStateMachineInput>(
        &body(&"n".repeat(81)),
        &format!(
            "ValidationException: 1 validation error detected: Value '{}' at 'name' failed to satisfy constraint: \
             Member must have length less than or equal to 80",
            "n".repeat(81)
        ),
    );
    check::<api::CreateStateMachineInput>(
        &body(""),
        "ValidationException: 1 validation error detected: Value '' at 'name' failed to satisfy constraint: \
         Member must have length greater than or equal to 1",
    );
}

#[test]
fn arns_are_at_most_256_characters() {
    let arn = "a".repeat(257);
    check::<api::DescribeExecutionInput>(
        &json!({"executionArn": arn}).to_string(),
        &format!(
            "ValidationException: 1 validation error detected: Value '{arn}' at 'executionArn' failed to satisfy \
             constraint: Member must have length less than or equal to 256"
        ),
    );
}

#[test]
fn execution_input_must_be_json_of_at_most_256_kib() {
    let body = |input: &str| json!({"stateMachineArn": "a", "input": input}).to_string();
    check::<api::StartExecutionInput>(&body(r#"{"a": [1, 2]}"#), "ok");
    check::<api::StartExecutionInput>(&body("3"), "ok");
    check::<api::StartExecutionInput>(
        &body("{oops"),
        "InvalidExecutionInput: Invalid State Machine Execution Input: 'key must be a string at line 1 column 2'",
    );
    check::<api::StartSyncExecutionInput>(
        &body(""),
        "InvalidExecutionInput: Invalid State Machine Execution Input: 'EOF while parsing a value at line 1 column 0'",
    );
    let big = format!("\"{}\"", "x".repeat(262_143));
    check::<api::StartExecutionInput>(
        &body(&big),
        "ValidationException: 1 validation error detected: Value at 'input' failed to satisfy constraint: \
         Member must have length less than or equal to 262144",
    );
}

#[test]
fn update_needs_something_to_change() {
    check::<api::UpdateStateMachineInput>(
        r#"{"stateMachineArn": "a"}"#,
        "MissingRequiredParameter: Either the definition, the role ARN, the LoggingConfiguration, the \
         EncryptionConfiguration or the TracingConfiguration must be specified",
    );
    check::<api::UpdateStateMachineInput>(r#"{"stateMachineArn": "a", "roleArn": "r"}"#, "ok");
}

#[test]
fn publishing_versions_is_accepted() {
    check::<api::CreateStateMachineInput>(
        r#"{"name": "n", "definition": "{}", "roleArn": "r", "publish": true, "versionDescription": "v"}"#,
        "ok",
    );
    check::<api::CreateStateMachineInput>(
        r#"{"name": "n", "definition": "{}", "roleArn": "r", "publish": false}"#,
        "ok",
    );
}

#[test]
fn nested_members_are_named_by_their_path() {
    check::<api::CreateStateMachineInput>(
        r#"{"name": "n", "definition": "{}", "roleArn": "r", "type": "express",
            "loggingConfiguration": {"level": "DEBUG"}, "tags": [{"key": "", "value": "v"}]}"#,
        "ValidationException: 3 validation errors detected: \
         Value 'express' at 'type' failed to satisfy constraint: Member must satisfy enum value set: [STANDARD, EXPRESS]; \
         Value 'DEBUG' at 'loggingConfiguration.level' failed to satisfy constraint: Member must satisfy enum value set: [ALL, ERROR, FATAL, OFF]; \
         Value '' at 'tags.1.member.key' failed to satisfy constraint: Member must have length greater than or equal to 1",
    );
}
