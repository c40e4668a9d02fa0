//! Unit tests of TestState's definition handling (finding the state, its targets, the wrapper machine), of what a
//! Map's ItemReader is answered with, of tolerated failures, and of the request TRACE shows an HTTP Task sending.

use serde_json::json;

use integrations::connections::Connections;

use super::{find_state, http_request, inside, map, read_answer, state_of, targets, wrap};
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

#[test]
fn error_caused_by_state_is_found_inside_branches_and_processors() {
    let parallel = json!({"Type": "Parallel", "Branches": [{"StartAt": "A", "States": {"A": {"Type": "Map",
        "ItemProcessor": {"StartAt": "Deep", "States": {"Deep": {"Type": "Pass", "End": true}}}, "End": true}}}]});
    assert!(inside(&parallel, "A") && inside(&parallel, "Deep"));
    assert!(!inside(&parallel, "Nope"));
}

#[test]
fn an_item_reader_reads_the_given_data() {
    let get = "arn:aws:states:::s3:getObject";
    assert_eq!(read_answer(get, "a,b\n1,2\n", &json!({})), Ok(json!({"Body": "a,b\n1,2\n", "ContentLength": 8})));
    // A ranged read gets the whole object, which says it is whole.
    let part = read_answer(get, "x\n", &json!({"Range": "bytes=0-8388607"})).expect("a part");
    assert_eq!(part["ContentRange"], json!("bytes 0-1/2"));
    assert_eq!(read_answer(get, "", &json!({})), Ok(json!({"ContentLength": 0})));
    let list = "arn:aws:states:::s3:listObjectsV2";
    assert_eq!(read_answer(list, r#"[{"Key": "a"}]"#, &json!({})), Ok(json!({"Contents": [{"Key": "a"}]})));
    assert!(read_answer(list, "nope", &json!({})).is_err());
}

#[test]
fn failed_iterations_exceed_the_thresholds_the_engine_applies() {
    assert!(!map::exceeds(0, 10, None, None));
    assert!(map::exceeds(1, 10, None, None));
    assert!(!map::exceeds(2, 10, Some(2), None));
    assert!(map::exceeds(3, 10, Some(2), None));
    assert!(!map::exceeds(3, 10, Some(2), Some(30.0)));
    assert!(map::exceeds(4, 10, Some(2), Some(30.0)));
}

#[test]
fn trace_shows_a_connections_secrets_only_when_revealed() {
    let connections = Connections::from_toml(
        "[connections.shop]\napi_key = { name = \"x-api-key\", value = \"secret\" }\nquery = { tenant = \"t1\" }",
    )
    .expect("connections");
    let parameters = json!({
        "ApiEndpoint": "https://example.com/orders",
        "Method": "POST",
        "Authentication": {"ConnectionArn": "arn:aws:events:us-east-1:123456789012:connection/shop/1"},
        "Headers": {"x-trace": "1"},
        "QueryParameters": {"page": "2"},
        "RequestBody": {"id": 7},
    });
    let hidden = http_request(&parameters, &Connections::default());
    assert_eq!(hidden.url.as_deref(), Some("https://example.com/orders?page=2"));
    assert_eq!(hidden.headers.as_deref(), Some(r#"{"x-trace":"1","Content-Type":"application/json"}"#));
    assert_eq!((hidden.method.as_deref(), hidden.body.as_deref()), (Some("POST"), Some(r#"{"id":7}"#)));
    let revealed = http_request(&parameters, &connections);
    assert_eq!(revealed.url.as_deref(), Some("https://example.com/orders?page=2&tenant=t1"));
    assert!(revealed.headers.as_deref().is_some_and(|h| h.contains(r#""x-api-key":"secret""#)), "{revealed:?}");
}
