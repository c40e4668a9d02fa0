//! ListExecutions' filters and GetExecutionHistory without execution data, on executions that ran.

use serde_json::{Value, json};

use crate::{Api, api};

const ROLE: &str = "arn:aws:iam::123456789012:role/r";

async fn start(api: &Api, machine: &Value, name: &str) -> Value {
    let started = api.ok("StartExecution", json!({"stateMachineArn": machine, "name": name, "input": "{\"a\":1}"})).await;
    api.finished(&started["executionArn"]).await;
    started["executionArn"].clone()
}

async fn names(api: &Api, request: Value) -> Vec<String> {
    let listed = api.ok("ListExecutions", request).await;
    listed["executions"].as_array().into_iter().flatten().map(|e| e["name"].as_str().unwrap_or("").to_owned()).collect()
}

#[tokio::test]
async fn list_executions_applies_the_redrive_filter() {
    let api = api().await;
    let definition = json!({"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "E"}}}).to_string();
    let machine = api.ok("CreateStateMachine", json!({"name": "M", "definition": definition, "roleArn": ROLE})).await;
    let machine = machine["stateMachineArn"].clone();
    let redriven = start(&api, &machine, "redriven").await;
    start(&api, &machine, "never").await;
    api.ok("RedriveExecution", json!({"executionArn": redriven})).await;
    api.finished(&redriven).await;

    let list = |filter: Option<&str>| {
        let mut request = json!({"stateMachineArn": machine});
        if let Some(filter) = filter {
            request["redriveFilter"] = json!(filter);
        }
        request
    };
    assert_eq!(names(&api, list(Some("REDRIVEN"))).await, ["redriven"]);
    assert_eq!(names(&api, list(Some("NOT_REDRIVEN"))).await, ["never"]);
    assert_eq!(names(&api, list(None)).await, ["never", "redriven"]);
    let mut both = list(Some("REDRIVEN"));
    both["statusFilter"] = json!("SUCCEEDED");
    assert_eq!(names(&api, both).await, Vec::<String>::new());
    api.error("ListExecutions", list(Some("SOMETIMES")), "ValidationException").await;
}

#[tokio::test]
async fn history_without_execution_data_has_the_models_details() {
    let api = api().await;
    let definition = json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}).to_string();
    let machine = api.ok("CreateStateMachine", json!({"name": "M", "definition": definition, "roleArn": ROLE})).await;
    let arn = start(&api, &machine["stateMachineArn"], "e").await;
    let full = api.ok("GetExecutionHistory", json!({"executionArn": arn})).await;
    let bare = api.ok("GetExecutionHistory", json!({"executionArn": arn, "includeExecutionData": false})).await;
    let details = |history: &Value| -> Vec<Value> {
        history["events"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|event| event.as_object()?.iter().find(|(key, _)| key.ends_with("EventDetails")).map(|(_, v)| v.clone()))
            .collect()
    };
    let (full, bare) = (details(&full), details(&bare));
    assert_eq!(full.len(), 4, "{full:?}");
    assert_eq!(
        bare,
        [
            json!({"inputDetails": {"truncated": false}, "roleArn": ROLE}),
            json!({"name": "P", "inputDetails": {"truncated": false}}),
            json!({"name": "P", "outputDetails": {"truncated": false}}),
            json!({"outputDetails": {"truncated": false}}),
        ]
    );
    assert_eq!(full[1], json!({"name": "P", "input": "{\"a\":1}", "inputDetails": {"truncated": false}}));
}

fn nested(levels: usize) -> String {
    format!("{}{}", "[".repeat(levels), "]".repeat(levels))
}

/// One nesting limit (`runtime::MAX_NESTING_DEPTH`, 126 levels) for execution inputs, task outputs and TestState
/// inputs, the same the engine holds state outputs to; a deeper input gets a clear error, not the JSON parser's.
#[tokio::test]
async fn inputs_and_task_outputs_nest_at_most_as_deep_as_the_engine_allows() {
    let api = api().await;
    let definition = json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}).to_string();
    let machine = api.ok("CreateStateMachine", json!({"name": "M", "definition": definition, "roleArn": ROLE})).await;
    let machine = machine["stateMachineArn"].clone();
    let limit = runtime::MAX_NESTING_DEPTH;
    assert_eq!(limit, 126);
    for levels in [limit + 1, 128, 1000] {
        let start = json!({"stateMachineArn": machine, "input": nested(levels)});
        let message = api.error("StartExecution", start, "InvalidExecutionInput").await;
        assert!(message.contains(&format!("nested {levels} levels deep, more than the maximum of 126 levels")), "{message}");
        let output = json!({"taskToken": "t", "output": nested(levels)});
        api.error("SendTaskSuccess", output, "InvalidOutput").await;
        let state = json!({"Type": "Pass", "End": true}).to_string();
        let test = json!({"definition": state, "roleArn": ROLE, "input": nested(levels)});
        api.error("TestState", test, "InvalidExecutionInput").await;
    }
    let started = api.ok("StartExecution", json!({"stateMachineArn": machine, "input": nested(limit)})).await;
    let described = api.finished(&started["executionArn"]).await;
    assert_eq!((&described["status"], &described["output"]), (&json!("SUCCEEDED"), &json!(nested(limit))));
}

/// A task's `parameters` stay in its `TaskScheduled` event without execution data: the model requires them, and
/// `includeExecutionData` is about inputs and outputs. (Found by the request fuzzer's check of answers against the
/// model.)
#[tokio::test]
async fn history_without_execution_data_keeps_a_tasks_parameters() {
    let api = api().await;
    let definition = json!({"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage",
        "Parameters": {"QueueUrl": "q", "MessageBody.$": "$"}, "End": true}}})
    .to_string();
    let machine = api.ok("CreateStateMachine", json!({"name": "M", "definition": definition, "roleArn": ROLE})).await;
    let arn = start(&api, &machine["stateMachineArn"], "e").await;
    let bare = api.ok("GetExecutionHistory", json!({"executionArn": arn, "includeExecutionData": false})).await;
    let scheduled = bare["events"].as_array().into_iter().flatten().find(|event| event["type"] == "TaskScheduled");
    let details = &scheduled.expect("a TaskScheduled event")["taskScheduledEventDetails"];
    assert_eq!(details["parameters"], json!(r#"{"QueueUrl":"q","MessageBody":{"a":1}}"#), "{details}");
    assert_eq!(details.get("parametersDetails"), None);
}
