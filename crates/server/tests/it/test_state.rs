//! TestState over the wire: each state type once, mocks, retry and catch outcomes, inspection data, and refusals.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::{Api, api};

async fn test_state(api: &Api, body: Value) -> Value {
    let reply = api.call("TestState", &body.to_string()).await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    reply.body
}

fn definition(state: Value) -> String {
    state.to_string()
}

#[tokio::test]
async fn pass_reports_output_and_next_state() {
    let api = api().await;
    let pass = json!({"Type": "Pass", "Result": {"x": 1}, "ResultPath": "$.r", "Next": "After"});
    let body = json!({"definition": definition(pass), "input": r#"{"a": 1}"#});
    let reply = test_state(&api, body.clone()).await;
    assert_eq!(
        reply,
        json!({"output": r#"{"a":1,"r":{"x":1}}"#, "nextState": "After", "status": "SUCCEEDED"})
    );
    let mut debug = body;
    debug["inspectionLevel"] = json!("DEBUG");
    let reply = test_state(&api, debug).await;
    assert_eq!(
        reply["inspectionData"],
        json!({
            "input": r#"{"a":1}"#,
            "afterInputPath": r#"{"a":1}"#,
            "afterParameters": r#"{"a":1}"#,
            "result": r#"{"x":1}"#,
            "afterResultPath": r#"{"a":1,"r":{"x":1}}"#,
        })
    );
}

#[tokio::test]
async fn an_ending_state_has_no_next_state() {
    let api = api().await;
    let reply = test_state(&api, json!({"definition": r#"{"Type": "Succeed"}"#, "input": "[1]"})).await;
    assert_eq!(reply, json!({"output": "[1]", "status": "SUCCEEDED"}));
}

#[tokio::test]
async fn choice_reports_the_chosen_next_state() {
    let api = api().await;
    let choice = json!({
        "Type": "Choice",
        "Choices": [{"Variable": "$.n", "NumericGreaterThan": 10, "Next": "Big"}],
        "Default": "Small",
    });
    for (input, next) in [(r#"{"n": 11}"#, "Big"), (r#"{"n": 1}"#, "Small")] {
        let reply = test_state(&api, json!({"definition": definition(choice.clone()), "input": input})).await;
        assert_eq!(reply["status"], json!("SUCCEEDED"));
        assert_eq!(reply["nextState"], json!(next), "{reply}");
    }
    // No rule matches and there is no Default: the state fails.
    let strict = json!({"Type": "Choice", "Choices": [{"Variable": "$.n", "IsPresent": true, "Next": "Big"}]});
    let reply = test_state(&api, json!({"definition": definition(strict), "input": "{}"})).await;
    assert_eq!(reply["status"], json!("FAILED"));
    assert_eq!(reply["error"], json!("States.NoChoiceMatched"));
}

#[tokio::test]
async fn a_named_state_of_a_whole_machine_is_tested() {
    let api = api().await;
    let machine = json!({"StartAt": "A", "States": {
        "A": {"Type": "Pass", "Next": "B"},
        "B": {"Type": "Pass", "Parameters": {"b.$": "$.a"}, "Next": "C"},
        "C": {"Type": "Succeed"},
    }});
    let body = json!({"definition": machine.to_string(), "stateName": "B", "input": r#"{"a": 5}"#});
    let reply = test_state(&api, body).await;
    assert_eq!(reply, json!({"output": r#"{"b":5}"#, "nextState": "C", "status": "SUCCEEDED"}));
    let body = json!({"definition": machine.to_string(), "stateName": "Z"});
    api.call("TestState", &body.to_string()).await.assert_error("ValidationException");
}

#[tokio::test]
async fn a_task_answered_by_a_mock_result() {
    let api = api().await;
    let task = json!({
        "Type": "Task",
        "Resource": "arn:aws:states:::dynamodb:getItem",
        "Parameters": {"Key.$": "$.id"},
        "ResultSelector": {"item.$": "$.Item"},
        "ResultPath": "$.found",
        "Next": "Use",
    });
    let body = json!({
        "definition": definition(task),
        "input": r#"{"id": "k"}"#,
        "inspectionLevel": "DEBUG",
        "mock": {"result": r#"{"Item": {"v": 1}}"#},
    });
    let reply = test_state(&api, body).await;
    assert_eq!(
        reply,
        json!({
            "output": r#"{"id":"k","found":{"item":{"v":1}}}"#,
            "nextState": "Use",
            "status": "SUCCEEDED",
            "inspectionData": {
                "input": r#"{"id":"k"}"#,
                "afterInputPath": r#"{"id":"k"}"#,
                "afterParameters": r#"{"Key":"k"}"#,
                "result": r#"{"Item":{"v":1}}"#,
                "afterResultSelector": r#"{"item":{"v":1}}"#,
                "afterResultPath": r#"{"id":"k","found":{"item":{"v":1}}}"#,
            },
        })
    );
}

/// A task with a retrier for `Busy` (interval 2 s, backoff 3, at most 2 attempts) and a catcher for everything.
fn guarded_task() -> String {
    definition(json!({
        "Type": "Task",
        "Resource": "arn:aws:states:::lambda:invoke",
        "Retry": [
            {"ErrorEquals": ["Other"], "MaxAttempts": 5},
            {"ErrorEquals": ["Busy"], "IntervalSeconds": 2, "BackoffRate": 3, "MaxAttempts": 2},
        ],
        "Catch": [
            {"ErrorEquals": ["Nope"], "Next": "Never"},
            {"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Recover"},
        ],
        "Next": "Done",
    }))
}

#[tokio::test]
async fn a_mocked_error_a_retrier_takes_is_retriable_with_its_backoff() {
    let api = api().await;
    let mut body = json!({
        "definition": guarded_task(),
        "input": r#"{"a": 1}"#,
        "mock": {"errorOutput": {"error": "Busy", "cause": "try later"}},
    });
    let reply = test_state(&api, body.clone()).await;
    assert_eq!(
        reply,
        json!({
            "error": "Busy",
            "cause": "try later",
            "status": "RETRIABLE",
            "inspectionData": {"errorDetails": {"retryIndex": 1, "retryBackoffIntervalSeconds": 2}},
        })
    );
    // One attempt made: the second waits 2 × 3 seconds.
    body["stateConfiguration"] = json!({"retrierRetryCount": 1});
    let reply = test_state(&api, body.clone()).await;
    assert_eq!(reply["status"], json!("RETRIABLE"));
    assert_eq!(reply["inspectionData"]["errorDetails"], json!({"retryIndex": 1, "retryBackoffIntervalSeconds": 6}));
    // Both attempts made: the catcher takes it.
    body["stateConfiguration"] = json!({"retrierRetryCount": 2});
    let reply = test_state(&api, body).await;
    assert_eq!(reply["status"], json!("CAUGHT_ERROR"), "{reply}");
    assert_eq!(reply["nextState"], json!("Recover"));
    assert_eq!(reply["inspectionData"]["errorDetails"], json!({"catchIndex": 1}));
}

#[tokio::test]
async fn a_mocked_error_a_catcher_takes_is_caught() {
    let api = api().await;
    let body = json!({
        "definition": guarded_task(),
        "input": r#"{"a": 1}"#,
        "mock": {"errorOutput": {"error": "Boom", "cause": "it broke"}},
    });
    let reply = test_state(&api, body).await;
    assert_eq!(
        reply,
        json!({
            "output": r#"{"a":1,"error":{"Error":"Boom","Cause":"it broke"}}"#,
            "error": "Boom",
            "cause": "it broke",
            "nextState": "Recover",
            "status": "CAUGHT_ERROR",
            "inspectionData": {"errorDetails": {"catchIndex": 1}},
        })
    );
}

#[tokio::test]
async fn an_unhandled_failure_fails() {
    let api = api().await;
    let task = json!({"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage", "End": true});
    let body = json!({"definition": definition(task), "mock": {"errorOutput": {"error": "Boom"}}});
    assert_eq!(test_state(&api, body).await, json!({"error": "Boom", "status": "FAILED"}));
}

#[tokio::test]
async fn fail_reports_its_error_and_cause() {
    let api = api().await;
    let fail = json!({"Type": "Fail", "Error": "Custom", "Cause": "because"});
    let reply = test_state(&api, json!({"definition": definition(fail)})).await;
    assert_eq!(reply, json!({"error": "Custom", "cause": "because", "status": "FAILED"}));
}

#[tokio::test]
async fn jsonata_states_see_input_variables_and_assign() {
    let api = api().await;
    let pass = json!({
        "Type": "Pass",
        "QueryLanguage": "JSONata",
        "Output": "{% {'sum': $states.input.a + $base} %}",
        "Assign": {"seen": "{% $states.input.a %}"},
        "Next": "After",
    });
    let body = json!({
        "definition": definition(pass),
        "input": r#"{"a": 2}"#,
        "variables": r#"{"base": 40}"#,
        "inspectionLevel": "DEBUG",
    });
    let reply = test_state(&api, body).await;
    assert_eq!(reply["output"], json!(r#"{"sum":42}"#), "{reply}");
    assert_eq!(reply["nextState"], json!("After"));
    let variables: Value = serde_json::from_str(reply["inspectionData"]["variables"].as_str().unwrap()).unwrap();
    assert_eq!(variables, json!({"base": 40, "seen": 2}));

    let task = json!({
        "Type": "Task",
        "QueryLanguage": "JSONata",
        "Resource": "arn:aws:states:::lambda:invoke",
        "Arguments": {"Payload": "{% $states.input %}"},
        "Output": "{% $states.result.Payload %}",
        "End": true,
    });
    let body = json!({
        "definition": definition(task),
        "input": r#"{"a": 2}"#,
        "inspectionLevel": "DEBUG",
        "mock": {"result": r#"{"Payload": "done"}"#},
    });
    let reply = test_state(&api, body).await;
    assert_eq!(reply["output"], json!(r#""done""#), "{reply}");
    assert_eq!(
        reply["inspectionData"],
        json!({"input": r#"{"a":2}"#, "afterArguments": r#"{"Payload":{"a":2}}"#, "result": r#"{"Payload":"done"}"#})
    );
}

#[tokio::test]
async fn wait_completes_at_once() {
    let api = api().await;
    let wait = json!({"Type": "Wait", "Seconds": 3600, "Next": "Later"});
    let reply = test_state(&api, json!({"definition": definition(wait), "input": "{}"})).await;
    assert_eq!(reply, json!({"output": "{}", "nextState": "Later", "status": "SUCCEEDED"}));
}

#[tokio::test]
async fn mocked_parallel_and_map_states_take_the_mock_as_their_result() {
    let api = api().await;
    let parallel = json!({
        "Type": "Parallel",
        "Branches": [{"StartAt": "X", "States": {"X": {"Type": "Pass", "End": true}}}],
        "ResultPath": "$.branches",
        "Next": "After",
    });
    let body = json!({"definition": definition(parallel.clone()), "input": "{}", "mock": {"result": "[1]"}});
    let reply = test_state(&api, body).await;
    assert_eq!(reply, json!({"output": r#"{"branches":[1]}"#, "nextState": "After", "status": "SUCCEEDED"}));
    // Without a mock, AWS refuses a Parallel state.
    let body = json!({"definition": definition(parallel), "input": "{}"});
    api.call("TestState", &body.to_string()).await.assert_error("ValidationException");
}

#[tokio::test]
async fn invalid_definitions_and_requests_are_refused() {
    let api = api().await;
    for bad in [r#"{"Type": "Pass"}"#, r#"{"Type": "Nope", "End": true}"#, "{", r#"{"StartAt": "A"}"#] {
        api.call("TestState", &json!({"definition": bad}).to_string()).await.assert_error("InvalidDefinition");
    }
    let pass = r#"{"Type": "Pass", "End": true}"#;
    api.call("TestState", &json!({"definition": pass, "input": "{"}).to_string())
        .await
        .assert_error("InvalidExecutionInput");
    let reply = api.call("TestState", &json!({"definition": pass, "inspectionLevel": "LOUD"}).to_string()).await;
    reply.assert_error("ValidationException");
    assert!(reply.message().contains("[INFO, DEBUG, TRACE]"), "{reply:?}");
    api.call("TestState", &json!({"definition": pass, "mock": {"result": "1"}}).to_string())
        .await
        .assert_error("ValidationException");
    api.call("TestState", &json!({}).to_string()).await.assert_error("ValidationException");
    let both = json!({"result": "1", "errorOutput": {"error": "E"}});
    let task = r#"{"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage", "End": true}"#;
    api.call("TestState", &json!({"definition": task, "mock": both}).to_string())
        .await
        .assert_error("ValidationException");
    // Without a mock, a resource Baton cannot call is refused rather than run.
    let reply = api.call("TestState", &json!({"definition": task}).to_string()).await;
    reply.assert_error("ValidationException");
    assert!(reply.message().contains("give a mock"), "{reply:?}");
}
