//! Unit tests of TestState's definition handling: finding the state, its targets, and the wrapper machine.

use serde_json::json;

use super::{find_state, state_of, targets, wrap};
use crate::service::Error;

#[test]
fn targets_are_next_default_choices_and_catchers() {
    let state = json!({
        "Type": "Choice",
        "Choices": [{"Variable": "$.a", "IsPresent": true, "Next": "A"}, {"Variable": "$.b", "IsPresent": true, "Next": "A"}],
        "Default": "D",
    });
    assert_eq!(targets(&state), ["D", "A"]);
    let task = json!({"Type": "Task", "Resource": "r", "Next": "N", "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "C"}]});
    assert_eq!(targets(&task), ["N", "C"]);
}

#[test]
fn the_wrapper_has_a_succeed_state_per_target() {
    let wrapped = wrap("T", &json!({"Type": "Pass", "Next": "N"}), Some("JSONata"));
    assert_eq!(
        wrapped,
        json!({"QueryLanguage": "JSONata", "StartAt": "T", "States": {"T": {"Type": "Pass", "Next": "N"}, "N": {"Type": "Succeed"}}})
    );
    assert!(asl::parse::parse_value(&wrapped).is_ok());
}

#[test]
fn a_single_state_avoids_its_targets_names() {
    let (name, _, language) = state_of(r#"{"Type": "Pass", "Next": "TestState"}"#, None).expect("a state");
    assert_eq!((name.as_str(), language), ("TestState-1", None));
}

#[test]
fn named_states_are_found_in_branches_too() {
    let machine = json!({"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": true, "Branches": [
        {"StartAt": "Inner", "States": {"Inner": {"Type": "Pass", "End": true}}}
    ]}}});
    assert_eq!(find_state(&machine, "Inner"), Some(&json!({"Type": "Pass", "End": true})));
    let text = machine.to_string();
    assert!(matches!(state_of(&text, Some("Nope")), Err(Error::ValidationException(_))));
    assert!(matches!(state_of(&text, None), Err(Error::InvalidDefinition(_))));
    assert!(matches!(state_of("{", None), Err(Error::InvalidDefinition(_))));
}
