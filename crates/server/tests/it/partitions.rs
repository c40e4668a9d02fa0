//! ARNs name the partition of the server's region, in the API and in the Context object.

use serde_json::{Value, json};

use crate::api_in;

/// A Pass state that returns the Context object's ARNs, then a distributed Map (whose Map Run ARN names the
/// execution's partition too).
fn definition() -> String {
    json!({"StartAt": "Context", "States": {
        "Context": {"Type": "Pass", "Parameters": {
            "execution.$": "$$.Execution.Id", "machine.$": "$$.StateMachine.Id", "role.$": "$$.Execution.RoleArn"
        }, "ResultPath": "$.context", "Next": "Each"},
        "Each": {"Type": "Map", "ItemsPath": "$.items", "ItemProcessor": {
            "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
            "StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}
        }, "ResultPath": null, "End": true}
    }})
    .to_string()
}

#[tokio::test]
async fn arns_name_the_regions_partition() {
    for (region, partition) in [("cn-north-1", "aws-cn"), ("us-gov-west-1", "aws-us-gov"), ("eu-west-1", "aws")] {
        let api = api_in(region).await;
        let states = format!("arn:{partition}:states:{region}:123456789012");
        let role = format!("arn:{partition}:iam::123456789012:role/r");
        let definition = definition();
        let created = api.ok("CreateStateMachine", json!({"name": "M", "definition": definition, "roleArn": role})).await;
        assert_eq!(created["stateMachineArn"], json!(format!("{states}:stateMachine:M")), "{region}");
        let activity = api.ok("CreateActivity", json!({"name": "A"})).await;
        assert_eq!(activity["activityArn"], json!(format!("{states}:activity:A")));

        let input = json!({"items": [1]}).to_string();
        let started = api
            .ok("StartExecution", json!({"stateMachineArn": created["stateMachineArn"], "name": "e", "input": input}))
            .await;
        assert_eq!(started["executionArn"], json!(format!("{states}:execution:M:e")));
        let described = api.finished(&started["executionArn"]).await;
        assert_eq!(described["status"], "SUCCEEDED", "{described}");
        let output: Value = serde_json::from_str(described["output"].as_str().unwrap()).unwrap();
        assert_eq!(
            output["context"],
            json!({"execution": format!("{states}:execution:M:e"), "machine": format!("{states}:stateMachine:M"), "role": role})
        );
        let runs = api.ok("ListMapRuns", json!({"executionArn": started["executionArn"]})).await;
        let run = runs["mapRuns"][0]["mapRunArn"].as_str().unwrap_or_default().to_owned();
        assert!(run.starts_with(&format!("{states}:mapRun:M/Each:")), "{runs}");
    }
}
