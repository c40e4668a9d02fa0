//! Tests of `crate::mock`: range selection, exhaustion, and every validation problem.

use serde_json::{Value, json};

use crate::TaskError;
use crate::mock::{Exhausted, Lookup, MockConfig, MockedResponse, Problem, TestCase};

/// A config with one state machine `M`, test case `T`, state `S` mocked by `responses`.
fn config(responses: Value) -> Value {
    json!({
        "StateMachines": { "M": { "TestCases": { "T": { "S": "R" } } } },
        "MockedResponses": { "R": responses }
    })
}

/// What state `S` gets on invocations `0..n`, rendered one line each.
#[track_caller]
fn check_lookups(responses: Value, n: u32, expected: &[&str]) {
    let config = MockConfig::from_value(&config(responses)).expect("valid config");
    let case = config.test_case("M", "T").expect("test case M/T");
    let actual: Vec<String> = (0..n).map(|i| render(&case.lookup("S", i))).collect();
    assert_eq!(actual, expected);
}

fn render(lookup: &Lookup) -> String {
    match lookup {
        Lookup::Unmocked => "unmocked".to_owned(),
        Lookup::Outcome(Ok(value)) => format!("return {value}"),
        Lookup::Outcome(Err(TaskError { error, cause })) => format!("throw {error} {cause:?}"),
        Lookup::Exhausted(e) => format!(
            "exhausted {} {} {}/{}",
            e.state, e.mocked_response, e.invocation, e.covered
        ),
    }
}

/// The problems `value` has, rendered `pointer: message`.
#[track_caller]
fn check_problems(value: Value, expected: &[&str]) {
    let problems = MockConfig::check(&value).expect_err("invalid config");
    let actual: Vec<String> = problems.iter().map(Problem::to_string).collect();
    assert_eq!(actual, expected);
}

#[test]
fn single_entry() {
    check_lookups(
        json!({"0": {"Return": {"a": 1}}}),
        2,
        &["return {\"a\":1}", "exhausted S R 1/1"],
    );
}

#[test]
fn ranges_cover_retries() {
    check_lookups(
        json!({
            "0": {"Throw": {"Error": "Lambda.ServiceException", "Cause": "boom"}},
            "1-2": {"Throw": {"Error": "Lambda.TimeoutException", "Cause": "slow"}},
            "3": {"Return": "done"}
        }),
        5,
        &[
            "throw Lambda.ServiceException Some(\"boom\")",
            "throw Lambda.TimeoutException Some(\"slow\")",
            "throw Lambda.TimeoutException Some(\"slow\")",
            "return \"done\"",
            "exhausted S R 4/4",
        ],
    );
}

#[test]
fn keys_in_any_order() {
    check_lookups(
        json!({"2-3": {"Return": 2}, "0": {"Return": 0}, "1": {"Return": 1}}),
        5,
        &["return 0", "return 1", "return 2", "return 2", "exhausted S R 4/4"],
    );
}

#[test]
fn cause_may_be_null_or_absent() {
    check_lookups(
        json!({"0": {"Throw": {"Error": "States.Timeout", "Cause": null}}, "1": {"Throw": {"Error": "E"}}}),
        2,
        &["throw States.Timeout None", "throw E None"],
    );
}

#[test]
fn return_is_raw_and_any_json() {
    check_lookups(
        json!({"0": {"Return": null}, "1": {"Return": [1, "x"]}, "2": {"Return": {"Payload": {"k": true}}}}),
        3,
        &["return null", "return [1,\"x\"]", "return {\"Payload\":{\"k\":true}}"],
    );
}

#[test]
fn unmocked_states_and_unknown_cases() {
    let config = MockConfig::from_value(&config(json!({"0": {"Return": 1}}))).expect("valid config");
    let case = config.test_case("M", "T").expect("test case M/T");
    assert_eq!(case.lookup("Other", 0), Lookup::Unmocked);
    assert_eq!(case.response("Other", 0), None);
    assert_eq!(case.response("S", 0), Some(Ok(json!(1))));
    assert_eq!(case.response("S", 1), None);
    assert!(case.is_mocked("S") && !case.is_mocked("Other"));
    assert!(config.test_case("M", "Nope").is_none());
    assert!(config.test_case("Nope", "T").is_none());
    assert_eq!(config.state_machines().collect::<Vec<_>>(), ["M"]);
    assert_eq!(config.test_cases("M").collect::<Vec<_>>(), ["T"]);
    assert_eq!(config.test_cases("Nope").count(), 0);
}

#[test]
fn huge_invocation_numbers() {
    check_lookups(json!({"0-4294967295": {"Return": 1}}), 1, &["return 1"]);
    let config = MockConfig::from_value(&config(json!({"0-4294967295": {"Return": 1}}))).expect("valid config");
    let case = config.test_case("M", "T").expect("test case M/T");
    assert_eq!(case.response("S", u32::MAX), Some(Ok(json!(1))));
}

#[test]
fn exhausted_is_a_runtime_error() {
    let exhausted = Exhausted {
        state: "S".into(),
        mocked_response: "R".into(),
        invocation: 3,
        covered: 3,
    };
    assert_eq!(
        exhausted.task_error(),
        TaskError::new(
            "States.Runtime",
            "no mocked response for invocation 3 of state 'S': mocked response 'R' covers invocations 0-2"
        )
    );
}

#[test]
fn documented_example_loads() {
    // The example of AWS's `sfn-local-mock-cfg-file` page.
    let text = r#"{
      "StateMachines": { "LambdaSQSIntegration": { "TestCases": {
        "HappyPath": { "LambdaState": "MockedLambdaSuccess", "SQSState": "MockedSQSSuccess" },
        "RetryPath": { "LambdaState": "MockedLambdaRetry", "SQSState": "MockedSQSSuccess" },
        "HybridPath": { "LambdaState": "MockedLambdaSuccess" } } } },
      "MockedResponses": {
        "MockedLambdaSuccess": { "0": { "Return": { "StatusCode": 200, "Payload": { "StatusCode": 200, "body": "Hello from Lambda!" } } } },
        "LambdaMockedResourceNotReady": { "0": { "Throw": { "Error": "Lambda.ResourceNotReadyException", "Cause": "Lambda resource is not ready." } } },
        "MockedSQSSuccess": { "0": { "Return": { "MD5OfMessageBody": "3bcb6e8e-7h85-4375-b0bc-1a59812c6e51", "MessageId": "3bcb6e8e-8b51-4375-b0bc-1a59812c6e51" } } },
        "MockedLambdaRetry": {
          "0": { "Throw": { "Error": "Lambda.ResourceNotReadyException", "Cause": "Lambda resource is not ready." } },
          "1-2": { "Throw": { "Error": "Lambda.TimeoutException", "Cause": "Lambda timed out." } },
          "3": { "Return": { "StatusCode": 200, "Payload": { "StatusCode": 200, "body": "Hello from Lambda!" } } } } } }"#;
    let config = MockConfig::load_str(text).expect("valid config");
    let retry = config
        .test_case("LambdaSQSIntegration", "RetryPath")
        .expect("RetryPath");
    let errors: Vec<Option<String>> = (0..4)
        .map(|i| match retry.response("LambdaState", i) {
            Some(Err(error)) => Some(error.error),
            _ => None,
        })
        .collect();
    assert_eq!(
        errors,
        [
            Some("Lambda.ResourceNotReadyException".to_owned()),
            Some("Lambda.TimeoutException".to_owned()),
            Some("Lambda.TimeoutException".to_owned()),
            None
        ]
    );
    assert_eq!(
        retry
            .response("LambdaState", 3)
            .and_then(Result::ok)
            .map(|v| v["StatusCode"].clone()),
        Some(json!(200))
    );
    let hybrid = config
        .test_case("LambdaSQSIntegration", "HybridPath")
        .expect("HybridPath");
    assert_eq!(hybrid.lookup("SQSState", 0), Lookup::Unmocked);
}

#[test]
fn corpus_shape_loads() {
    // The conformance corpus adds `format` and `notes` at the top level; they are ignored.
    let value = json!({
        "format": "stepfunctions-local-mock-config",
        "StateMachines": { "m": { "TestCases": { "Recorded": { "Start": "Mock_Start" } } } },
        "MockedResponses": { "Mock_Start": { "0": { "Throw": { "Error": "States.Timeout", "Cause": null } } } },
        "notes": ["Start: Cause re-serialised from parsed JSON (spacing may differ)"]
    });
    let config = MockConfig::from_value(&value).expect("valid config");
    let case = config.test_case("m", "Recorded").expect("test case");
    assert_eq!(
        case.response("Start", 0),
        Some(Err(TaskError {
            error: "States.Timeout".into(),
            cause: None
        }))
    );
}

#[test]
fn load_str_rejects_non_json() {
    let err = MockConfig::load_str("{ nope").expect_err("not JSON");
    assert_eq!(
        err.to_string(),
        "invalid mock config: not JSON: key must be a string at line 1 column 3"
    );
}

#[test]
fn error_lists_every_problem() {
    let err = MockConfig::from_value(&json!({"StateMachines": [], "MockedResponses": 1})).expect_err("invalid");
    assert_eq!(
        err.to_string(),
        "invalid mock config: /MockedResponses: expected an object, found a number; \
         /StateMachines: expected an object, found an array"
    );
}

#[test]
fn problems_at_the_top() {
    check_problems(json!([]), &["/: expected an object, found an array"]);
    check_problems(
        json!({}),
        &[
            "/: missing required field \"MockedResponses\"",
            "/: missing required field \"StateMachines\"",
        ],
    );
    check_problems(
        json!({"StateMachines": null, "MockedResponses": "x"}),
        &[
            "/MockedResponses: expected an object, found a string",
            "/StateMachines: expected an object, found null",
        ],
    );
}

#[test]
fn problems_in_state_machines() {
    check_problems(
        json!({
            "StateMachines": {
                "A": 1,
                "B": {},
                "C": {"TestCases": [], "Extra": 1},
                "D": {"TestCases": {"T1": "x", "T2": {"S1": 3, "S2": "Missing", "S3": "R"}}},
                "a/b~c": {"TestCases": {"T": {"S": "Nope"}}}
            },
            "MockedResponses": {"R": {"0": {"Return": 1}}}
        }),
        &[
            "/StateMachines/A: expected an object, found a number",
            "/StateMachines/B: missing required field \"TestCases\"",
            "/StateMachines/C/Extra: unknown field \"Extra\"; expected \"TestCases\"",
            "/StateMachines/C/TestCases: expected an object, found an array",
            "/StateMachines/D/TestCases/T1: expected an object, found a string",
            "/StateMachines/D/TestCases/T2/S1: expected the name of a mocked response, found a number",
            "/StateMachines/D/TestCases/T2/S2: state 'S2' uses mocked response 'Missing', which MockedResponses lacks",
            "/StateMachines/a~1b~0c/TestCases/T/S: state 'S' uses mocked response 'Nope', which MockedResponses lacks",
        ],
    );
}

#[test]
fn problems_in_keys() {
    let bad_key = |key: &str| {
        format!(
            "/MockedResponses/R/{key}: invalid invocation key \"{key}\": expected a number (\"0\") or an inclusive range (\"1-3\")"
        )
    };
    check_problems(
        config(json!({
            "x": {"Return": 1}, "-1": {"Return": 1}, "1-": {"Return": 1}, "1-2-3": {"Return": 1},
            " 1": {"Return": 1}, "+1": {"Return": 1}, "": {"Return": 1}, "3-2": {"Return": 1},
            "99999999999": {"Return": 1}
        })),
        &[
            bad_key("x"),
            bad_key("-1"),
            bad_key("1-"),
            bad_key("1-2-3"),
            bad_key(" 1"),
            bad_key("+1"),
            bad_key(""),
            "/MockedResponses/R/3-2: invalid invocation key \"3-2\": the range ends before it starts".to_owned(),
            "/MockedResponses/R/99999999999: invalid invocation key \"99999999999\": 99999999999 is too large"
                .to_owned(),
        ]
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>(),
    );
}

#[test]
fn problems_in_coverage() {
    check_problems(
        config(json!({})),
        &["/MockedResponses/R: mocked response 'R' has no entries; expected \"0\" at least"],
    );
    check_problems(
        config(json!({"1": {"Return": 1}})),
        &["/MockedResponses/R: mocked response 'R' has no entry for invocation(s) 0"],
    );
    check_problems(
        config(json!({"0": {"Return": 1}, "4-5": {"Return": 1}})),
        &["/MockedResponses/R: mocked response 'R' has no entry for invocation(s) 1-3"],
    );
    check_problems(
        config(json!({"0-3": {"Return": 1}, "2": {"Return": 1}, "3-4": {"Return": 1}})),
        &[
            "/MockedResponses/R/2: mocked response 'R': invocation 2 is covered twice (overlaps \"0-3\")",
            "/MockedResponses/R/3-4: mocked response 'R': invocation 3 is covered twice (overlaps \"0-3\")",
        ],
    );
    check_problems(
        config(json!({"0": {"Return": 1}, "00": {"Return": 1}})),
        &["/MockedResponses/R/00: mocked response 'R': invocation 0 is covered twice (overlaps \"0\")"],
    );
}

#[test]
fn problems_in_entries() {
    check_problems(
        config(json!({
            "0": 1,
            "1": {},
            "2": {"Return": 1, "Throw": {"Error": "E"}},
            "3": {"Returns": 1},
            "4": {"Throw": "E"},
            "5": {"Throw": {}},
            "6": {"Throw": {"Error": 1, "Cause": 2, "Extra": 3}}
        })),
        &[
            "/MockedResponses/R/0: expected an object, found a number",
            "/MockedResponses/R/1: expected exactly one of \"Return\" and \"Throw\", found neither",
            "/MockedResponses/R/2: expected exactly one of \"Return\" and \"Throw\", found both",
            "/MockedResponses/R/3/Returns: unknown field \"Returns\"; expected \"Return\" or \"Throw\"",
            "/MockedResponses/R/3: expected exactly one of \"Return\" and \"Throw\", found neither",
            "/MockedResponses/R/4/Throw: expected an object, found a string",
            "/MockedResponses/R/5/Throw: missing required field \"Error\"",
            "/MockedResponses/R/6/Throw/Extra: unknown field \"Extra\"; expected \"Error\" or \"Cause\"",
            "/MockedResponses/R/6/Throw/Error: \"Error\" must be a string, found a number",
            "/MockedResponses/R/6/Throw/Cause: \"Cause\" must be a string or null, found a number",
        ],
    );
    check_problems(
        json!({"StateMachines": {}, "MockedResponses": {"R": []}}),
        &["/MockedResponses/R: expected an object, found an array"],
    );
}

#[test]
fn inline_one_outcome_answers_every_invocation_and_a_list_each_in_turn() {
    let render_all = |value: Value| -> Vec<String> {
        let response = MockedResponse::inline("S", &value, "/mocks/S").expect("valid inline response");
        let case = TestCase::default().with("S", response);
        (0..3).map(|i| render(&case.lookup("S", i))).collect()
    };
    assert_eq!(render_all(json!({"Return": 1})), ["return 1", "return 1", "return 1"]);
    assert_eq!(
        render_all(json!([{"Throw": {"Error": "Busy", "Cause": "again"}}, {"Return": true}])),
        ["throw Busy Some(\"again\")", "return true", "exhausted S S 2/2"]
    );
}

#[test]
fn inline_reports_every_problem_under_its_pointer() {
    let problems = |value: Value| -> Vec<String> {
        MockedResponse::inline("S", &value, "/mocks/S").err().unwrap_or_default().iter().map(Problem::to_string).collect()
    };
    assert_eq!(problems(json!([])), ["/mocks/S: expected at least one response, found an empty array"]);
    assert_eq!(
        problems(json!([{"Retrun": 1}, {"Throw": {"Cause": "x"}}])),
        [
            "/mocks/S/0/Retrun: unknown field \"Retrun\"; expected \"Return\" or \"Throw\"",
            "/mocks/S/0: expected exactly one of \"Return\" and \"Throw\", found neither",
            "/mocks/S/1/Throw: missing required field \"Error\"",
        ]
    );
}
