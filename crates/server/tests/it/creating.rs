//! What CreateStateMachine, UpdateStateMachine and CreateActivity check before they create anything: the number of
//! tags and the role ARN.

use serde_json::{Value, json};

use crate::api;

const ROLE: &str = "arn:aws:iam::123456789012:role/r";
const DEFINITION: &str = r#"{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}"#;

fn tags(n: usize) -> Value {
    (0..n).map(|i| json!({"key": format!("k{i}"), "value": "v"})).collect()
}

#[tokio::test]
async fn at_most_fifty_tags_on_create() {
    let api = api().await;
    let create = |name: &str, tags: Value| json!({"name": name, "definition": DEFINITION, "roleArn": ROLE, "tags": tags});
    let message = api.error("CreateStateMachine", create("Many", tags(51)), "TooManyTags").await;
    assert!(message.contains("number of tags"), "{message}");
    api.error("CreateActivity", json!({"name": "many", "tags": tags(51)}), "TooManyTags").await;
    assert_eq!(api.ok("ListStateMachines", json!({})).await, json!({"stateMachines": []}));
    assert_eq!(api.ok("ListActivities", json!({})).await, json!({"activities": []}));

    // Fifty is the limit; a key given twice counts once (the last value wins), as TagResource counts.
    let arn = api.ok("CreateStateMachine", create("Fifty", tags(50))).await["stateMachineArn"].clone();
    assert_eq!(api.ok("ListTagsForResource", json!({"resourceArn": arn})).await["tags"].as_array().map(Vec::len), Some(50));
    let mut repeated = tags(50);
    repeated.as_array_mut().unwrap().push(json!({"key": "k0", "value": "again"}));
    let arn = api.ok("CreateActivity", json!({"name": "repeated", "tags": repeated})).await["activityArn"].clone();
    let listed = api.ok("ListTagsForResource", json!({"resourceArn": arn})).await;
    assert_eq!(listed["tags"].as_array().map(Vec::len), Some(50));
    assert_eq!(listed["tags"][0], json!({"key": "k0", "value": "again"}));
}

#[tokio::test]
async fn the_role_arn_must_be_an_iam_role() {
    let api = api().await;
    for bad in ["r", "arn:aws:iam::aws:policy/AWSBatchFullAccess", "arn:aws:iam::123456789012:user/me", "arn:aws:iam::123456789012:role/"] {
        let create = json!({"name": "M", "definition": DEFINITION, "roleArn": bad});
        let message = api.error("CreateStateMachine", create, "InvalidArn").await;
        assert_eq!(message, format!("Invalid Role Arn: '{bad}'"));
    }
    let create = json!({"name": "M", "definition": DEFINITION, "roleArn": "arn:aws:iam::123456789012:role/service-role/x"});
    let arn = api.ok("CreateStateMachine", create).await["stateMachineArn"].clone();
    api.error("UpdateStateMachine", json!({"stateMachineArn": arn, "roleArn": "nope"}), "InvalidArn").await;
    let described = api.ok("DescribeStateMachine", json!({"stateMachineArn": arn})).await;
    assert_eq!(described["roleArn"], "arn:aws:iam::123456789012:role/service-role/x");
}
