//! DescribeMapRun, ListMapRuns and UpdateMapRun: errors, a finished distributed Map's run, and a redriven one.

use std::time::Duration;

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::{Api, api};

const EXECUTION: &str = "arn:aws:states:us-east-1:123456789012:execution:none:e1";
const MAP_RUN: &str = "arn:aws:states:us-east-1:123456789012:mapRun:none/Each:e1-1";

#[tokio::test]
async fn unknown_map_runs_and_executions() {
    let api = api().await;
    let map_run = json!({"mapRunArn": MAP_RUN}).to_string();
    api.call("DescribeMapRun", &map_run).await.assert_error("ResourceNotFound");
    let update = json!({"mapRunArn": MAP_RUN, "maxConcurrency": 3}).to_string();
    api.call("UpdateMapRun", &update).await.assert_error("ResourceNotFound");
    // Not an ARN Baton made: no execution can be read from it.
    let foreign = json!({"mapRunArn": "arn:aws:states:us-east-1:123456789012:mapRun:m/x:y"}).to_string();
    api.call("DescribeMapRun", &foreign).await.assert_error("ResourceNotFound");
    let listed = api.call("ListMapRuns", &json!({"executionArn": EXECUTION}).to_string()).await;
    listed.assert_error("ExecutionDoesNotExist");
}

#[tokio::test]
async fn arns_of_other_resources_are_invalid() {
    let api = api().await;
    let reply = api.call("DescribeMapRun", &json!({"mapRunArn": EXECUTION}).to_string()).await;
    reply.assert_error("InvalidArn");
    assert_eq!(reply.message(), "Invalid Arn: 'Resource type not valid in this context: execution'");
    api.call("DescribeMapRun", r#"{"mapRunArn": "nope"}"#).await.assert_error("InvalidArn");
    api.call("ListMapRuns", &json!({"executionArn": MAP_RUN}).to_string()).await.assert_error("InvalidArn");
}

#[tokio::test]
async fn update_limits_are_checked() {
    let api = api().await;
    for (body, problem) in [
        (json!({"mapRunArn": MAP_RUN, "maxConcurrency": -1}), "at 'maxConcurrency'"),
        (json!({"mapRunArn": MAP_RUN, "toleratedFailureCount": -2}), "at 'toleratedFailureCount'"),
        (json!({"mapRunArn": MAP_RUN, "toleratedFailurePercentage": 100.5}), "at 'toleratedFailurePercentage'"),
    ] {
        let reply = api.call("UpdateMapRun", &body.to_string()).await;
        reply.assert_error("ValidationException");
        assert!(reply.message().contains(problem), "{reply:?}");
    }
    let reply = api.call("ListMapRuns", &json!({"executionArn": EXECUTION, "maxResults": 1001}).to_string()).await;
    reply.assert_error("ValidationException");
}

#[tokio::test]
async fn a_finished_distributed_map_has_a_succeeded_map_run() {
    let api = api().await;
    let definition = json!({
        "StartAt": "Each",
        "States": {"Each": {
            "Type": "Map",
            "Label": "Items",
            "ToleratedFailurePercentage": 10,
            "ItemProcessor": {
                "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                "StartAt": "P",
                "States": {"P": {"Type": "Pass", "End": true}}
            },
            "End": true
        }}
    });
    let create = json!({"name": "fan", "definition": definition.to_string(), "roleArn": "arn:aws:iam::123456789012:role/r"});
    let reply = api.call("CreateStateMachine", &create.to_string()).await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    let start = json!({"stateMachineArn": reply.body["stateMachineArn"], "name": "e1", "input": "[1, 2, 3, 4, 5]"});
    let reply = api.call("StartExecution", &start.to_string()).await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    let execution = reply.body["executionArn"].as_str().unwrap().to_owned();
    finished(&api, &execution).await;

    let listed = api.call("ListMapRuns", &json!({"executionArn": execution}).to_string()).await;
    assert_eq!(listed.status, StatusCode::OK, "{listed:?}");
    let runs = listed.body["mapRuns"].as_array().unwrap();
    assert_eq!(runs.len(), 1, "{listed:?}");
    let arn = "arn:aws:states:us-east-1:123456789012:mapRun:fan/Items:e1-1";
    assert_eq!(runs[0]["mapRunArn"], json!(arn));
    assert_eq!(runs[0]["executionArn"], json!(execution));
    assert_eq!(runs[0]["stateMachineArn"], json!("arn:aws:states:us-east-1:123456789012:stateMachine:fan"));
    assert!(runs[0]["stopDate"].is_number(), "{listed:?}");

    let described = api.call("DescribeMapRun", &json!({"mapRunArn": arn}).to_string()).await;
    assert_eq!(described.status, StatusCode::OK, "{described:?}");
    let body = &described.body;
    assert_eq!(body["status"], json!("SUCCEEDED"));
    assert_eq!(body["executionArn"], json!(execution));
    assert_eq!(body["maxConcurrency"], json!(0));
    assert_eq!(body["toleratedFailurePercentage"], json!(10.0));
    assert_eq!(body["toleratedFailureCount"], json!(0));
    let counts = json!({"pending": 0, "running": 0, "succeeded": 5, "failed": 0, "timedOut": 0, "aborted": 0,
        "total": 5, "resultsWritten": 0, "failuresNotRedrivable": 0, "pendingRedrive": 0});
    assert_eq!(body["itemCounts"], counts);
    assert_eq!(body["executionCounts"], counts);

    let update = json!({"mapRunArn": arn, "maxConcurrency": 2}).to_string();
    let reply = api.call("UpdateMapRun", &update).await;
    reply.assert_error("ValidationException");
    assert!(reply.message().contains("CANNOT_UPDATE_COMPLETED_MAP_RUN"), "{reply:?}");

    let paged = api.call("ListMapRuns", &json!({"executionArn": execution, "maxResults": 1}).to_string()).await;
    assert_eq!(paged.body["mapRuns"].as_array().map(Vec::len), Some(1), "{paged:?}");
    assert!(paged.body.get("nextToken").is_none(), "{paged:?}");
}

/// RedriveExecution of an execution whose distributed Map failed redrives its Map Run: the same ARN runs again, only
/// the unsuccessful items run (item 1 fails while `$$.Execution.RedriveCount` is 0), and DescribeMapRun shows the
/// redrive and the counts.
#[tokio::test]
async fn a_redrive_redrives_the_failed_map_run() {
    let api = api().await;
    let definition = json!({
        "StartAt": "Each",
        "States": {"Each": {
            "Type": "Map",
            "Label": "Items",
            "MaxConcurrency": 1,
            "ToleratedFailureCount": 0,
            "ItemProcessor": {
                "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                "StartAt": "Pick",
                "States": {
                    "Pick": {"Type": "Choice", "Choices": [{"Variable": "$.v", "NumericEquals": 2, "Next": "Flaky"}], "Default": "Fine"},
                    // Index -1 (fails) before the redrive, 0 after.
                    "Flaky": {"Type": "Pass", "Parameters": {
                        "v.$": "$.v", "got.$": "States.ArrayGetItem($.list, States.MathAdd($$.Execution.RedriveCount, -1))"}, "End": true},
                    "Fine": {"Type": "Pass", "Parameters": {"v.$": "$.v"}, "End": true}
                }
            },
            "End": true
        }}
    });
    let create = json!({"name": "redriven", "definition": definition.to_string(), "roleArn": "arn:aws:iam::123456789012:role/r"});
    let reply = api.call("CreateStateMachine", &create.to_string()).await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    let items: Vec<Value> = (1..=5).map(|v| json!({"v": v, "list": ["x"]})).collect();
    let start = json!({"stateMachineArn": reply.body["stateMachineArn"], "name": "e1", "input": Value::from(items).to_string()});
    let reply = api.call("StartExecution", &start.to_string()).await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    let execution = reply.body["executionArn"].as_str().unwrap().to_owned();
    assert_eq!(finished(&api, &execution).await["status"], json!("FAILED"));

    let arn = "arn:aws:states:us-east-1:123456789012:mapRun:redriven/Items:e1-1";
    let describe = json!({"mapRunArn": arn}).to_string();
    let failed = api.call("DescribeMapRun", &describe).await;
    assert_eq!(failed.status, StatusCode::OK, "{failed:?}");
    assert_eq!(failed.body["status"], json!("FAILED"));
    assert_eq!(failed.body["redriveCount"], json!(0));
    assert!(failed.body.get("redriveDate").is_none(), "{failed:?}");
    let counts = json!({"pending": 3, "running": 0, "succeeded": 1, "failed": 1, "timedOut": 0, "aborted": 0,
        "total": 5, "resultsWritten": 0, "failuresNotRedrivable": 0, "pendingRedrive": 0});
    assert_eq!(failed.body["itemCounts"], counts);

    let reply = api.call("RedriveExecution", &json!({"executionArn": execution}).to_string()).await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    let done = finished(&api, &execution).await;
    assert_eq!(done["status"], json!("SUCCEEDED"), "{done:?}");
    let output: Value = serde_json::from_str(done["output"].as_str().unwrap()).unwrap();
    assert_eq!(output, json!([{"v": 1}, {"v": 2, "got": "x"}, {"v": 3}, {"v": 4}, {"v": 5}]));

    let redriven = api.call("DescribeMapRun", &describe).await;
    assert_eq!(redriven.status, StatusCode::OK, "{redriven:?}");
    let body = &redriven.body;
    assert_eq!(body["status"], json!("SUCCEEDED"));
    assert_eq!(body["redriveCount"], json!(1));
    let redrive_date = body["redriveDate"].as_f64().expect("redriveDate");
    assert!(redrive_date >= body["startDate"].as_f64().unwrap() && redrive_date <= body["stopDate"].as_f64().unwrap(), "{body}");
    let counts = json!({"pending": 0, "running": 0, "succeeded": 5, "failed": 0, "timedOut": 0, "aborted": 0,
        "total": 5, "resultsWritten": 0, "failuresNotRedrivable": 0, "pendingRedrive": 0});
    assert_eq!(body["itemCounts"], counts);
    assert_eq!(body["executionCounts"], counts);
    let listed = api.call("ListMapRuns", &json!({"executionArn": execution}).to_string()).await;
    assert_eq!(listed.body["mapRuns"].as_array().map(Vec::len), Some(1), "no second Map Run: {listed:?}");

    let history = api.call("GetExecutionHistory", &json!({"executionArn": execution}).to_string()).await;
    let events = history.body["events"].as_array().expect("events");
    let types: Vec<&str> = events.iter().filter_map(|event| event["type"].as_str()).collect();
    assert_eq!(types.iter().filter(|t| **t == "MapRunStarted").count(), 1, "{types:?}");
    let redriven = events.iter().find(|event| event["type"] == "MapRunRedriven").expect("a MapRunRedriven event");
    assert_eq!(redriven["mapRunRedrivenEventDetails"], json!({"mapRunArn": arn, "redriveCount": 1}));
}

/// Waits for the execution to end.
async fn finished(api: &Api, execution: &str) -> Value {
    for _ in 0..200 {
        let described = api.call("DescribeExecution", &json!({"executionArn": execution}).to_string()).await;
        if described.body["status"] != json!("RUNNING") {
            return described.body;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("{execution} did not end");
}
