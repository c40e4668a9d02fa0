//! Definition validation tests: each definition and the diagnostics it must produce.

use serde_json::json;

use crate::parse::parse_value;

#[track_caller]
fn check_errors(definition: serde_json::Value, expected: &[&str]) {
    let diagnostics = match parse_value(&definition) {
        Ok(_) => Vec::new(),
        Err(diagnostics) => diagnostics.iter().map(|d| format!("{}: {}", d.pointer, d.code)).collect(),
    };
    assert_eq!(diagnostics, expected, "diagnostics differ");
}

#[test]
fn minimal_machine_is_valid() {
    check_errors(json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}}), &[]);
}

#[test]
fn every_problem_is_reported() {
    check_errors(
        json!({"StartAt": "Missing", "States": {
            "A": {"Type": "Pass", "Next": "Nowhere", "Bogus": 1},
            "B": {"Type": "Task", "End": true},
            "C": {"Type": "Wait", "Seconds": 1, "Timestamp": "2020-01-01T00:00:00Z", "End": true}
        }}),
        &[
            "/StartAt: MISSING_TRANSITION_TARGET",
            "/States/A/Bogus: SCHEMA_VALIDATION_FAILED",
            "/States/A/Next: MISSING_TRANSITION_TARGET",
            "/States/B: SCHEMA_VALIDATION_FAILED",
            "/States/C: SCHEMA_VALIDATION_FAILED",
        ],
    );
}

#[test]
fn unreachable_states_are_reported() {
    check_errors(
        json!({"StartAt": "A", "States": {"A": {"Type": "Succeed"}, "B": {"Type": "Pass", "End": true}}}),
        &["/States/B: UNREACHABLE_STATE"],
    );
}

#[test]
fn next_and_end_conflict() {
    check_errors(
        json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "A", "End": true}}}),
        &["/States/A: SCHEMA_VALIDATION_FAILED"],
    );
}

#[test]
fn states_all_must_be_last_and_alone() {
    check_errors(
        json!({"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": "arn:aws:states:::x", "End": true,
            "Retry": [{"ErrorEquals": ["States.ALL", "X"]}, {"ErrorEquals": ["States.ALL"]}, {"ErrorEquals": ["Y"]}]}}}),
        &["/States/A/Retry/0/ErrorEquals: SCHEMA_VALIDATION_FAILED", "/States/A/Retry/1/ErrorEquals: SCHEMA_VALIDATION_FAILED"],
    );
}

#[test]
fn nested_workflows_are_validated() {
    check_errors(
        json!({"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": true, "Branches": [
            {"StartAt": "X", "States": {"X": {"Type": "Pass", "Next": "Y"}}}
        ]}}}),
        &["/States/P/Branches/0/States/X/Next: MISSING_TRANSITION_TARGET"],
    );
}

#[test]
fn jsonata_is_recognised_but_not_supported_yet() {
    check_errors(
        json!({"QueryLanguage": "JSONata", "StartAt": "A", "States": {"A": {"Type": "Pass", "Output": "{% 1 %}", "End": true}}}),
        &["/QueryLanguage: UNSUPPORTED_FEATURE", "/States/A/Output: UNSUPPORTED_FEATURE"],
    );
}

#[test]
fn unknown_type() {
    check_errors(json!({"StartAt": "A", "States": {"A": {"Type": "Nope"}}}), &["/States/A/Type: SCHEMA_VALIDATION_FAILED"]);
}

#[test]
fn not_an_object() {
    check_errors(json!([1]), &[": SCHEMA_VALIDATION_FAILED"]);
}
