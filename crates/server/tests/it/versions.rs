//! Versions and aliases over the wire: publishing (with `publish` on Create/UpdateStateMachine), describing a version,
//! aliases and their routing, starting executions through them, and AWS's errors.

use std::time::Duration;

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::{Api, api};

const ROLE: &str = "arn:aws:iam::123456789012:role/r";

fn pass(result: &str) -> String {
    json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": result, "End": true}}}).to_string()
}

/// Calls `action` and expects HTTP 200; returns the body.
async fn ok(api: &Api, action: &str, body: Value) -> Value {
    let reply = api.call(action, &body.to_string()).await;
    assert_eq!(reply.status, StatusCode::OK, "{action}: {reply:?}");
    reply.body
}

/// Calls `action` and expects the error `code`; returns its message.
async fn error(api: &Api, action: &str, body: Value, code: &str) -> String {
    let reply = api.call(action, &body.to_string()).await;
    reply.assert_error(code);
    reply.message().to_owned()
}

/// Waits for the execution to end and returns DescribeExecution.
async fn finished(api: &Api, arn: &str) -> Value {
    for _ in 0..200 {
        let described = ok(api, "DescribeExecution", json!({"executionArn": arn})).await;
        if described["status"] != "RUNNING" {
            return described;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("{arn} did not finish");
}

#[tokio::test]
async fn publish_list_describe_and_delete_versions() {
    let api = api().await;
    let created = ok(
        &api,
        "CreateStateMachine",
        json!({"name": "v", "definition": pass("one"), "roleArn": ROLE, "publish": true, "versionDescription": "first"}),
    )
    .await;
    let machine = created["stateMachineArn"].as_str().unwrap().to_owned();
    let v1 = format!("{machine}:1");
    assert_eq!(created["stateMachineVersionArn"], json!(v1));

    // Publishing the same revision again is idempotent.
    let published = ok(&api, "PublishStateMachineVersion", json!({"stateMachineArn": machine})).await;
    assert_eq!(published["stateMachineVersionArn"], json!(v1));
    assert!(published["creationDate"].is_f64());

    let updated = ok(
        &api,
        "UpdateStateMachine",
        json!({"stateMachineArn": machine, "definition": pass("two"), "publish": true, "versionDescription": "second"}),
    )
    .await;
    let v2 = format!("{machine}:2");
    assert_eq!(updated["stateMachineVersionArn"], json!(v2));
    let revision = updated["revisionId"].as_str().unwrap().to_owned();

    // A version reads as its snapshot; the machine reads as it is now.
    let described = ok(&api, "DescribeStateMachine", json!({"stateMachineArn": v1})).await;
    assert_eq!(described["stateMachineArn"], json!(v1));
    assert_eq!(described["definition"], json!(pass("one")));
    assert_eq!(described["description"], "first");
    let described = ok(&api, "DescribeStateMachine", json!({"stateMachineArn": v2})).await;
    assert_eq!((&described["revisionId"], &described["description"]), (&json!(revision), &json!("second")));

    // A stale revision id is a conflict.
    ok(&api, "UpdateStateMachine", json!({"stateMachineArn": machine, "definition": pass("three")})).await;
    let message = error(
        &api,
        "PublishStateMachineVersion",
        json!({"stateMachineArn": machine, "revisionId": revision}),
        "ConflictException",
    )
    .await;
    assert!(message.starts_with(&format!("Failed to publish the State Machine version for revision {revision}.")));

    let listed = ok(&api, "ListStateMachineVersions", json!({"stateMachineArn": machine, "maxResults": 1})).await;
    assert_eq!(listed["stateMachineVersions"][0]["stateMachineVersionArn"], json!(v2));
    let token = listed["nextToken"].as_str().unwrap();
    let listed = ok(&api, "ListStateMachineVersions", json!({"stateMachineArn": machine, "nextToken": token})).await;
    assert_eq!(listed["stateMachineVersions"][0]["stateMachineVersionArn"], json!(v1));
    assert_eq!(listed.get("nextToken"), None);

    // Deleting is idempotent, and a deleted version no longer describes.
    assert_eq!(ok(&api, "DeleteStateMachineVersion", json!({"stateMachineVersionArn": v2})).await, json!({}));
    ok(&api, "DeleteStateMachineVersion", json!({"stateMachineVersionArn": v2})).await;
    let message = error(&api, "DescribeStateMachine", json!({"stateMachineArn": v2}), "StateMachineDoesNotExist").await;
    assert_eq!(message, format!("State Machine Does Not Exist: '{v2}'"));
    // Numbers are not reused.
    let published = ok(&api, "PublishStateMachineVersion", json!({"stateMachineArn": machine})).await;
    assert_eq!(published["stateMachineVersionArn"], json!(format!("{machine}:3")));

    error(&api, "DeleteStateMachineVersion", json!({"stateMachineVersionArn": machine}), "InvalidArn").await;
    let missing = "arn:aws:states:us-east-1:123456789012:stateMachine:none";
    error(&api, "PublishStateMachineVersion", json!({"stateMachineArn": missing}), "StateMachineDoesNotExist").await;
}

/// UpdateStateMachine with `publish` publishes a new version even when nothing else changed, with the new
/// description; without `publish`, an update that changes nothing keeps the revision.
#[tokio::test]
async fn an_unchanged_update_with_publish_publishes_a_new_version() {
    let api = api().await;
    let create = json!({"name": "same", "definition": pass("one"), "roleArn": ROLE, "publish": true, "versionDescription": "first"});
    let machine = ok(&api, "CreateStateMachine", create).await["stateMachineArn"].as_str().unwrap().to_owned();
    let before = ok(&api, "DescribeStateMachine", json!({"stateMachineArn": machine})).await["revisionId"].clone();
    let unchanged = ok(&api, "UpdateStateMachine", json!({"stateMachineArn": machine, "definition": pass("one")})).await;
    assert_eq!((&unchanged["revisionId"], unchanged.get("stateMachineVersionArn")), (&before, None));

    let update = json!({"stateMachineArn": machine, "definition": pass("one"), "publish": true, "versionDescription": "again"});
    let updated = ok(&api, "UpdateStateMachine", update).await;
    let v2 = format!("{machine}:2");
    assert_eq!(updated["stateMachineVersionArn"], json!(v2));
    let described = ok(&api, "DescribeStateMachine", json!({"stateMachineArn": v2})).await;
    assert_eq!((&described["description"], &described["definition"]), (&json!("again"), &json!(pass("one"))));
    let described = ok(&api, "DescribeStateMachine", json!({"stateMachineArn": format!("{machine}:1")})).await;
    assert_eq!(described["description"], "first");
    let listed = ok(&api, "ListStateMachineVersions", json!({"stateMachineArn": machine})).await;
    assert_eq!(listed["stateMachineVersions"].as_array().map(Vec::len), Some(2));
}

#[tokio::test]
async fn aliases_route_executions_to_versions() {
    let api = api().await;
    let created = ok(
        &api,
        "CreateStateMachine",
        json!({"name": "a", "definition": pass("one"), "roleArn": ROLE, "publish": true}),
    )
    .await;
    let machine = created["stateMachineArn"].as_str().unwrap().to_owned();
    let v1 = format!("{machine}:1");
    let routing = json!([{"stateMachineVersionArn": v1, "weight": 100}]);
    let alias = ok(
        &api,
        "CreateStateMachineAlias",
        json!({"name": "live", "description": "d", "routingConfiguration": routing}),
    )
    .await;
    let alias_arn = format!("{machine}:live");
    assert_eq!(alias["stateMachineAliasArn"], json!(alias_arn));
    // The same request again is idempotent; a different one conflicts.
    ok(&api, "CreateStateMachineAlias", json!({"name": "live", "description": "d", "routingConfiguration": routing}))
        .await;
    let message = error(
        &api,
        "CreateStateMachineAlias",
        json!({"name": "live", "routingConfiguration": routing}),
        "ConflictException",
    )
    .await;
    assert!(message.contains("an alias with the same name and a different routing configuration"), "{message}");

    // The machine changes after the alias was made; an execution through it runs version 1.
    ok(&api, "UpdateStateMachine", json!({"stateMachineArn": machine, "definition": pass("two")})).await;
    let started = ok(&api, "StartExecution", json!({"stateMachineArn": alias_arn, "name": "e1"})).await;
    let execution = started["executionArn"].as_str().unwrap().to_owned();
    assert!(execution.ends_with(":execution:a:e1"), "{execution}");
    let described = finished(&api, &execution).await;
    assert_eq!(described["output"], "\"one\"");
    assert_eq!(described["stateMachineArn"], json!(machine));
    assert_eq!(described["stateMachineVersionArn"], json!(v1));
    assert_eq!(described["stateMachineAliasArn"], json!(alias_arn));
    let history = ok(&api, "GetExecutionHistory", json!({"executionArn": execution})).await;
    let details = &history["events"][0]["executionStartedEventDetails"];
    assert_eq!((&details["stateMachineVersionArn"], &details["stateMachineAliasArn"]), (&json!(v1), &json!(alias_arn)));
    // Through the version: no alias. Through the machine: neither, and the current definition.
    let started = ok(&api, "StartExecution", json!({"stateMachineArn": v1})).await;
    let described = finished(&api, started["executionArn"].as_str().unwrap()).await;
    assert_eq!((&described["stateMachineVersionArn"], described.get("stateMachineAliasArn")), (&json!(v1), None));
    let started = ok(&api, "StartExecution", json!({"stateMachineArn": machine})).await;
    let described = finished(&api, started["executionArn"].as_str().unwrap()).await;
    assert_eq!(described["output"], "\"two\"");
    assert_eq!((described.get("stateMachineVersionArn"), described.get("stateMachineAliasArn")), (None, None));
    let listed = ok(&api, "ListExecutions", json!({"stateMachineArn": machine})).await;
    assert_eq!(listed["executions"][2]["stateMachineAliasArn"], json!(alias_arn));

    // A routed version cannot be deleted.
    let message =
        error(&api, "DeleteStateMachineVersion", json!({"stateMachineVersionArn": v1}), "ConflictException").await;
    assert_eq!(
        message,
        "Version to be deleted must not be referenced by an alias. Current list of aliases referencing this version: [live]"
    );

    // Update, describe, list, delete.
    let v2 = ok(&api, "PublishStateMachineVersion", json!({"stateMachineArn": machine})).await["stateMachineVersionArn"]
        .clone();
    let routing = json!([{"stateMachineVersionArn": v1, "weight": 50}, {"stateMachineVersionArn": v2, "weight": 50}]);
    let updated =
        ok(&api, "UpdateStateMachineAlias", json!({"stateMachineAliasArn": alias_arn, "routingConfiguration": routing}))
            .await;
    assert!(updated["updateDate"].is_f64());
    let described = ok(&api, "DescribeStateMachineAlias", json!({"stateMachineAliasArn": alias_arn})).await;
    assert_eq!((&described["name"], &described["description"]), (&json!("live"), &json!("d")));
    assert_eq!(described["routingConfiguration"], routing);
    let listed = ok(&api, "ListStateMachineAliases", json!({"stateMachineArn": machine})).await;
    assert_eq!(listed["stateMachineAliases"][0]["stateMachineAliasArn"], json!(alias_arn));
    assert_eq!(ok(&api, "DeleteStateMachineAlias", json!({"stateMachineAliasArn": alias_arn})).await, json!({}));
    ok(&api, "DeleteStateMachineAlias", json!({"stateMachineAliasArn": alias_arn})).await;
    let message = error(
        &api,
        "UpdateStateMachineAlias",
        json!({"stateMachineAliasArn": alias_arn, "description": "x"}),
        "ResourceNotFound",
    )
    .await;
    assert_eq!(message, "Request references a resource that does not exist.");
    error(&api, "DescribeStateMachineAlias", json!({"stateMachineAliasArn": alias_arn}), "ResourceNotFound").await;
    error(&api, "StartExecution", json!({"stateMachineArn": alias_arn}), "StateMachineDoesNotExist").await;
    ok(&api, "DeleteStateMachineVersion", json!({"stateMachineVersionArn": v1})).await;
}

#[tokio::test]
async fn bad_routing_is_a_validation_error() {
    let api = api().await;
    let created =
        ok(&api, "CreateStateMachine", json!({"name": "r", "definition": pass("x"), "roleArn": ROLE, "publish": true}))
            .await;
    let machine = created["stateMachineArn"].as_str().unwrap().to_owned();
    let v1 = format!("{machine}:1");
    let route = |arn: &str, weight: i64| json!({"stateMachineVersionArn": arn, "weight": weight});
    let cases = [
        (json!([route(&v1, 70), route(&format!("{machine}:2"), 29)]), "Sum of routing configuration weights must equal 100. Received: [70, 29]".to_owned()),
        (json!([route(&machine, 100)]), format!("Routing configuration must contain state machine version ARNs. Received: [{machine}]")),
        (json!([route(&v1, 101)]), "1 validation error detected: Value '101' at 'routingConfiguration.1.member.weight' failed to satisfy constraint: Member must have value less than or equal to 100".to_owned()),
        (json!([route(&v1, 50), route(&v1, 25), route(&v1, 25)]), "1 validation error detected: Value at 'routingConfiguration' failed to satisfy constraint: Member must have length less than or equal to 2".to_owned()),
    ];
    for (routing, expected) in cases {
        let body = json!({"name": "bad", "routingConfiguration": routing});
        assert_eq!(error(&api, "CreateStateMachineAlias", body, "ValidationException").await, expected);
    }
    let body = json!({"name": "123", "routingConfiguration": [route(&v1, 100)]});
    let message = error(&api, "CreateStateMachineAlias", body, "ValidationException").await;
    assert!(message.contains("Member must satisfy regular expression pattern"), "{message}");
    // A version that does not exist.
    let body = json!({"name": "ok", "routingConfiguration": [route(&format!("{machine}:9"), 100)]});
    error(&api, "CreateStateMachineAlias", body, "ResourceNotFound").await;
}
