//! TestState over the wire: each state type once, mocks, retry and catch outcomes, inspection data, and refusals.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::{Api, api};

const ROLE: &str = "arn:aws:iam::123456789012:role/test";

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
        "mock": {"result": r#"{"Item": {"v": 1}}"#, "fieldValidationMode": "NONE"},
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
    api.call("TestState", &body.to_string()).await.assert_error("InvalidDefinition");
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
    let reply = api.call("TestState", &json!({"definition": task, "roleArn": ROLE}).to_string()).await;
    reply.assert_error("ValidationException");
    assert!(reply.message().contains("give a mock"), "{reply:?}");
}

/// The refusal TestState answers `body` with: its `__type` and message.
async fn refusal(api: &Api, body: Value) -> (String, String) {
    let reply = api.call("TestState", &body.to_string()).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{reply:?}");
    (reply.body["__type"].as_str().unwrap_or_default().to_owned(), reply.message().to_owned())
}

#[tokio::test]
async fn mocked_results_are_checked_against_the_api_shape() {
    let api = api().await;
    let task = definition(json!({"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:sfn:startExecution", "End": true}));
    let with = |result: Value, mode: Option<&str>| {
        let mut mock = json!({"result": result.to_string()});
        if let Some(mode) = mode {
            mock["fieldValidationMode"] = json!(mode);
        }
        json!({"definition": task, "mock": mock})
    };
    // STRICT (the default) needs the required members.
    let (kind, message) = refusal(&api, with(json!({"ExecutionArn": "arn"}), None)).await;
    assert_eq!((kind.as_str(), message.as_str()), ("ValidationException", "Mock result schema validation error: Required field 'StartDate' is missing"));
    let whole = json!({"ExecutionArn": "arn", "StartDate": "2026-12-03T00:00:00Z"});
    assert_eq!(test_state(&api, with(whole, Some("STRICT"))).await["status"], json!("SUCCEEDED"));
    // PRESENT checks only the members given, and ignores unknown ones.
    assert_eq!(test_state(&api, with(json!({"executionArn": 1}), Some("PRESENT"))).await["status"], json!("SUCCEEDED"));
    let (_, message) = refusal(&api, with(json!({"StartDate": true}), Some("PRESENT"))).await;
    assert_eq!(message, "Mock result schema validation error: Field 'StartDate' must be a string");
    // NONE checks nothing.
    assert_eq!(test_state(&api, with(json!({"StartDate": true}), Some("NONE"))).await["status"], json!("SUCCEEDED"));
    // An optimized integration's decoded blob (Lambda's Payload) is JSON.
    let lambda = definition(json!({"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true}));
    let mock = json!({"result": json!({"Payload": {"ok": true}, "StatusCode": 200}).to_string()});
    assert_eq!(test_state(&api, json!({"definition": lambda, "mock": mock})).await["status"], json!("SUCCEEDED"));
    let mock = json!({"result": json!({"StatusCode": "200"}).to_string(), "fieldValidationMode": "PRESENT"});
    let (_, message) = refusal(&api, json!({"definition": lambda, "mock": mock})).await;
    assert_eq!(message, "Mock result schema validation error: Field 'StatusCode' must be a number");
    let mock = json!({"result": "{}", "fieldValidationMode": "LAX"});
    let (kind, _) = refusal(&api, json!({"definition": lambda, "mock": mock})).await;
    assert_eq!(kind, "ValidationException");
}

#[tokio::test]
async fn combinations_aws_refuses() {
    let api = api().await;
    let pass = definition(json!({"Type": "Pass", "End": true}));
    let task = definition(json!({"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage", "End": true}));
    let map = definition(json!({"Type": "Map", "End": true,
        "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Pass", "End": true}}}}));
    let cases = [
        (json!({"definition": pass, "mock": {"result": "{}"}}), "State type 'Pass' is not supported when a mock is specified"),
        (json!({"definition": task}), "RoleArn must be specified when testing a Task state"),
        (json!({"definition": task, "mock": {"result": "{"}}), "Mocked result must be valid JSON"),
        (json!({"definition": task, "mock": {"result": "{}", "fieldValidationMode": "NONE"}, "revealSecrets": true}),
            "TestState does not support RevealSecrets when a mock is specified."),
        (json!({"definition": task, "mock": {"result": "{}", "errorOutput": {"error": "E"}}}),
            "A test mock should have only one of the following fields: [result, errorOutput]."),
        (json!({"definition": map, "mock": {"result": "{}"}}), "Mocked result must be an array."),
        (json!({"definition": pass, "stateConfiguration": {"mapIterationFailureCount": 1}}),
            "stateConfiguration.mapIterationFailureCount can only be given to test a Map state"),
        (json!({"definition": map, "mock": {"result": "[]"}, "stateConfiguration": {"mapItemReaderData": "[]"}}),
            "stateConfiguration.mapItemReaderData can only be given for a Map state with an ItemReader"),
        (json!({"definition": map, "mock": {"result": "[]"}, "stateConfiguration": {"errorCausedByState": "I"}}),
            "stateConfiguration.errorCausedByState can only be given with a mocked error (mock.errorOutput) for a Map or Parallel state"),
        (json!({"definition": map, "mock": {"errorOutput": {"error": "E"}}, "stateConfiguration": {"errorCausedByState": "Nope"}}),
            "stateConfiguration.errorCausedByState names no state inside 'TestState': 'Nope'"),
    ];
    for (body, expected) in cases {
        let (kind, message) = refusal(&api, body.clone()).await;
        assert_eq!((kind.as_str(), message.as_str()), ("ValidationException", expected), "{body}");
    }
    let (kind, message) = refusal(&api, json!({"definition": map})).await;
    assert_eq!(kind, "InvalidDefinition");
    assert!(message.starts_with("TestState API does not support Map or Parallel states."), "{message}");
    // A ResultWriter's Map returns an object: where the results were written.
    let writer = definition(json!({"Type": "Map", "End": true,
        "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
            "StartAt": "I", "States": {"I": {"Type": "Pass", "End": true}}},
        "ResultWriter": {"Resource": "arn:aws:states:::s3:putObject", "Parameters": {"Bucket": "b", "Prefix": "p"}}}));
    let (_, message) = refusal(&api, json!({"definition": writer, "mock": {"result": "[]"}})).await;
    assert_eq!(message, "Mocked result must be a JSON object.");
}

#[tokio::test]
async fn a_map_shows_its_items_and_iteration_inputs() {
    let api = api().await;
    let map = json!({
        "Type": "Map",
        "InputPath": "$.order",
        "ItemsPath": "$.lines",
        "ItemSelector": {"sku.$": "$$.Map.Item.Value.sku", "index.$": "$$.Map.Item.Index", "customer.$": "$.customer"},
        "MaxConcurrency": 2,
        "ItemProcessor": {"StartAt": "Price", "States": {"Price": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true}}},
        "ResultSelector": {"count.$": "States.ArrayLength($)"},
        "ResultPath": "$.priced",
        "Next": "Ship",
    });
    let body = json!({
        "definition": definition(map),
        "input": json!({"order": {"customer": "c1", "lines": [{"sku": "a"}, {"sku": "b"}]}}).to_string(),
        "inspectionLevel": "DEBUG",
        "mock": {"result": "[10, 20]"},
    });
    let reply = test_state(&api, body).await;
    assert_eq!(reply["status"], json!("SUCCEEDED"), "{reply}");
    assert_eq!(reply["nextState"], json!("Ship"));
    let order = r#"{"customer":"c1","lines":[{"sku":"a"},{"sku":"b"}]}"#;
    assert_eq!(
        reply["inspectionData"],
        json!({
            "input": json!({"order": serde_json::from_str::<Value>(order).unwrap()}).to_string(),
            "afterInputPath": order,
            "afterItemsPath": r#"[{"sku":"a"},{"sku":"b"}]"#,
            "afterItemSelector": r#"[{"sku":"a","index":0,"customer":"c1"},{"sku":"b","index":1,"customer":"c1"}]"#,
            "maxConcurrency": 2,
            "result": "[10,20]",
            "afterResultSelector": r#"{"count":2}"#,
            // ResultPath writes into the raw input, not the one InputPath selected.
            "afterResultPath": json!({"order": serde_json::from_str::<Value>(order).unwrap(), "priced": {"count": 2}}).to_string(),
        })
    );
    // An ItemsPath that selects no array fails the Map before its iterations, as on AWS.
    let body = json!({
        "definition": definition(json!({"Type": "Map", "ItemsPath": "$.nope", "End": true,
            "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Pass", "End": true}}}})),
        "input": "{}",
        "mock": {"result": "[]"},
    });
    let reply = test_state(&api, body).await;
    assert_eq!((reply["status"].as_str(), reply["error"].as_str()), (Some("FAILED"), Some("States.Runtime")), "{reply}");
}

/// A distributed Map reading a CSV object in batches, tolerating one failed iteration, with a catcher.
fn distributed_map() -> String {
    definition(json!({
        "Type": "Map",
        "ItemReader": {
            "Resource": "arn:aws:states:::s3:getObject",
            "ReaderConfig": {"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW"},
            "Parameters": {"Bucket": "orders", "Key": "lines.csv"},
        },
        "ItemBatcher": {"MaxItemsPerBatch": 2},
        "ToleratedFailureCount": 1,
        "ItemProcessor": {
            "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
            "StartAt": "Work",
            "States": {"Work": {"Type": "Pass", "End": true}},
        },
        "Catch": [{"ErrorEquals": ["States.ExceedToleratedFailureThreshold"], "Next": "TooMany"}],
        "End": true,
    }))
}

#[tokio::test]
async fn a_distributed_map_reads_the_given_items_and_counts_failed_iterations() {
    let api = api().await;
    let body = |failed: u32| {
        json!({
            "definition": distributed_map(),
            "input": "{}",
            "inspectionLevel": "DEBUG",
            "mock": {"result": "[1, 2]"},
            "stateConfiguration": {"mapItemReaderData": "sku,qty\na,1\nb,2\nc,3\n", "mapIterationFailureCount": failed},
        })
    };
    let reply = test_state(&api, body(1)).await;
    assert_eq!(reply["status"], json!("SUCCEEDED"), "{reply}");
    let inspection = &reply["inspectionData"];
    assert_eq!(inspection["afterItemsPath"], json!(r#"[{"sku":"a","qty":"1"},{"sku":"b","qty":"2"},{"sku":"c","qty":"3"}]"#));
    assert_eq!(
        inspection["afterItemBatcher"],
        json!(r#"[{"Items":[{"sku":"a","qty":"1"},{"sku":"b","qty":"2"}]},{"Items":[{"sku":"c","qty":"3"}]}]"#)
    );
    assert_eq!((inspection["toleratedFailureCount"].as_i64(), inspection["maxConcurrency"].as_i64()), (Some(1), Some(0)));
    // Two of the two batches failed: more than the one tolerated.
    let reply = test_state(&api, body(2)).await;
    assert_eq!(reply["status"], json!("CAUGHT_ERROR"), "{reply}");
    assert_eq!(reply["error"], json!("States.ExceedToleratedFailureThreshold"));
    assert_eq!(reply["nextState"], json!("TooMany"));
    let (kind, message) = refusal(&api, body(3)).await;
    assert_eq!(kind, "ValidationException");
    assert_eq!(message, "mapIterationFailureCount (3) exceeds the number of the Map's iterations (2)");
    // Without the reader's data, the Map's iterations are unknown.
    let mut unread = body(1);
    unread["stateConfiguration"] = json!({"mapIterationFailureCount": 1});
    let (_, message) = refusal(&api, unread).await;
    assert!(message.starts_with("stateConfiguration.mapIterationFailureCount needs the Map's items"), "{message}");
}

#[tokio::test]
async fn a_parallel_states_mocked_error_may_name_the_state_it_came_from() {
    let api = api().await;
    let parallel = definition(json!({
        "Type": "Parallel",
        "Branches": [{"StartAt": "Charge", "States": {"Charge": {"Type": "Pass", "End": true}}}],
        "Catch": [{"ErrorEquals": ["Payment.Declined"], "ResultPath": "$.error", "Next": "Declined"}],
        "End": true,
    }));
    let body = json!({
        "definition": parallel,
        "input": "{}",
        "mock": {"errorOutput": {"error": "Payment.Declined", "cause": "card"}},
        "stateConfiguration": {"errorCausedByState": "Charge"},
    });
    let reply = test_state(&api, body).await;
    assert_eq!(reply["status"], json!("CAUGHT_ERROR"), "{reply}");
    assert_eq!(reply["output"], json!(r#"{"error":{"Error":"Payment.Declined","Cause":"card"}}"#));
}
