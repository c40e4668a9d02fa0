//! TagResource, UntagResource and ListTagsForResource over the wire: AWS's semantics, errors and shapes.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::{Api, api};

const MISSING: &str = "arn:aws:states:us-east-1:123456789012:stateMachine:none";

/// Creates a state machine `name` with `tags`; returns its ARN.
async fn machine(api: &Api, name: &str, tags: Value) -> String {
    let definition = r#"{"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}"#;
    let create = json!({
        "name": name, "definition": definition, "roleArn": "arn:aws:iam::123456789012:role/r", "tags": tags
    });
    let reply = api.call("CreateStateMachine", &create.to_string()).await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    reply.body["stateMachineArn"].as_str().expect("stateMachineArn").to_owned()
}

async fn tags(api: &Api, arn: &str) -> Value {
    let reply = api
        .call("ListTagsForResource", &json!({"resourceArn": arn}).to_string())
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    reply.body
}

#[tokio::test]
async fn tagging_sets_replaces_and_removes() {
    let api = api().await;
    let arn = machine(&api, "tagged", json!([{"key": "team", "value": "a"}])).await;
    assert_eq!(tags(&api, &arn).await, json!({"tags": [{"key": "team", "value": "a"}]}));

    let tag = json!({"resourceArn": arn, "tags": [
        {"key": "env", "value": "dev"}, {"key": "team", "value": "b"}, {"key": "empty", "value": ""}
    ]});
    let reply = api.call("TagResource", &tag.to_string()).await;
    assert_eq!((reply.status, &reply.body), (StatusCode::OK, &json!({})), "{reply:?}");
    assert_eq!(
        tags(&api, &arn).await,
        json!({"tags": [
            {"key": "team", "value": "b"}, {"key": "env", "value": "dev"}, {"key": "empty", "value": ""}
        ]})
    );

    // Removing a key that is not there is fine.
    let untag = json!({"resourceArn": arn, "tagKeys": ["team", "absent"]});
    let reply = api.call("UntagResource", &untag.to_string()).await;
    assert_eq!((reply.status, &reply.body), (StatusCode::OK, &json!({})), "{reply:?}");
    let untag = json!({"resourceArn": arn, "tagKeys": []});
    assert_eq!(
        api.call("UntagResource", &untag.to_string()).await.status,
        StatusCode::OK
    );
    assert_eq!(
        tags(&api, &arn).await,
        json!({"tags": [{"key": "env", "value": "dev"}, {"key": "empty", "value": ""}]})
    );

    // Tags survive an update of the machine.
    let update = json!({"stateMachineArn": arn, "roleArn": "arn:aws:iam::123456789012:role/other"});
    assert_eq!(
        api.call("UpdateStateMachine", &update.to_string()).await.status,
        StatusCode::OK
    );
    assert_eq!(tags(&api, &arn).await["tags"].as_array().map(Vec::len), Some(2));
}

#[tokio::test]
async fn at_most_fifty_tags() {
    let api = api().await;
    let arn = machine(&api, "full", json!([{"key": "k0", "value": "v"}])).await;
    let many = |range: std::ops::Range<usize>| -> Vec<Value> {
        range.map(|i| json!({"key": format!("k{i}"), "value": "v"})).collect()
    };
    // k0 is replaced, not added: 50 in all.
    let tag = json!({"resourceArn": arn, "tags": many(0..50)});
    assert_eq!(api.call("TagResource", &tag.to_string()).await.status, StatusCode::OK);
    let tag = json!({"resourceArn": arn, "tags": many(49..51)});
    let reply = api.call("TagResource", &tag.to_string()).await;
    reply.assert_error("TooManyTags");
    assert!(reply.message().contains("exceeded the number of tags"), "{reply:?}");
    // A refused request changes nothing.
    let listed = tags(&api, &arn).await;
    assert_eq!(listed["tags"].as_array().map(Vec::len), Some(50));
    assert_eq!(listed["tags"][49], json!({"key": "k49", "value": "v"}));
}

#[tokio::test]
async fn unknown_resources_are_resource_not_found() {
    let api = api().await;
    let activity = "arn:aws:states:us-east-1:123456789012:activity:none";
    let deleted = machine(&api, "gone", json!([])).await;
    let reply = api
        .call("DeleteStateMachine", &json!({"stateMachineArn": deleted}).to_string())
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    for arn in [MISSING, activity, deleted.as_str()] {
        let cases = [
            (
                "TagResource",
                json!({"resourceArn": arn, "tags": [{"key": "k", "value": "v"}]}),
            ),
            ("UntagResource", json!({"resourceArn": arn, "tagKeys": ["k"]})),
            ("ListTagsForResource", json!({"resourceArn": arn})),
        ];
        for (action, body) in cases {
            let reply = api.call(action, &body.to_string()).await;
            reply.assert_error("ResourceNotFound");
            assert_eq!(reply.message(), format!("Resource not found: '{arn}'"), "{action}");
        }
    }
}

#[tokio::test]
async fn malformed_arns_are_invalid_arn() {
    let api = api().await;
    let cases = [
        ("not-an-arn", "Invalid Arn: 'not-an-arn'"),
        (
            "arn:aws:states:us-east-1:123456789012:execution:m:e",
            "Invalid Arn: 'Resource type not valid in this context: execution'",
        ),
        (
            "arn:aws:states:us-east-1:123456789012:stateMachine:m:1",
            "Invalid Arn: 'arn:aws:states:us-east-1:123456789012:stateMachine:m:1'",
        ),
    ];
    for (arn, message) in cases {
        let reply = api
            .call("ListTagsForResource", &json!({"resourceArn": arn}).to_string())
            .await;
        reply.assert_error("InvalidArn");
        assert_eq!(reply.message(), message);
        let tag = json!({"resourceArn": arn, "tags": []});
        api.call("TagResource", &tag.to_string())
            .await
            .assert_error("InvalidArn");
    }
}

#[tokio::test]
async fn shapes_are_checked() {
    let api = api().await;
    let long_key = "k".repeat(129);
    let cases = [
        (
            "TagResource",
            json!({"resourceArn": MISSING}),
            "1 validation error detected: Value null at 'tags' failed to satisfy constraint: Member must not be null"
                .to_owned(),
        ),
        (
            "TagResource",
            json!({"resourceArn": MISSING, "tags": [{"key": long_key, "value": "v"}]}),
            format!(
                "1 validation error detected: Value '{long_key}' at 'tags.1.member.key' failed to satisfy \
                 constraint: Member must have length less than or equal to 128"
            ),
        ),
        (
            "TagResource",
            json!({"resourceArn": MISSING, "tags": [{"key": "ok"}, {"key": "", "value": "v".repeat(257)}]}),
            format!(
                "2 validation errors detected: Value '' at 'tags.2.member.key' failed to satisfy constraint: \
                 Member must have length greater than or equal to 1; Value '{}' at 'tags.2.member.value' failed \
                 to satisfy constraint: Member must have length less than or equal to 256",
                "v".repeat(257)
            ),
        ),
        (
            "TagResource",
            json!({"resourceArn": MISSING, "tags": [{"value": "v"}]}),
            "1 validation error detected: Value null at 'tags.1.member.key' failed to satisfy constraint: Member \
             must not be null"
                .to_owned(),
        ),
        (
            "UntagResource",
            json!({"resourceArn": MISSING, "tagKeys": [""]}),
            "1 validation error detected: Value '' at 'tagKeys.1.member' failed to satisfy constraint: Member \
             must have length greater than or equal to 1"
                .to_owned(),
        ),
        (
            "UntagResource",
            json!({"resourceArn": MISSING}),
            "1 validation error detected: Value null at 'tagKeys' failed to satisfy constraint: Member must not be \
             null"
                .to_owned(),
        ),
        (
            "ListTagsForResource",
            json!({"resourceArn": ""}),
            "1 validation error detected: Value '' at 'resourceArn' failed to satisfy constraint: Member must have \
             length greater than or equal to 1"
                .to_owned(),
        ),
    ];
    for (action, body, message) in cases {
        let reply = api.call(action, &body.to_string()).await;
        reply.assert_error("ValidationException");
        assert_eq!(reply.message(), message, "{action} {body}");
    }
    let wrong = json!({"resourceArn": MISSING, "tags": {"key": "k"}});
    api.call("TagResource", &wrong.to_string())
        .await
        .assert_error("SerializationException");
}

/// Activities carry tags like state machines: given at creation, set, removed; a repeated CreateActivity keeps them.
#[tokio::test]
async fn activities_are_tagged() {
    let api = api().await;
    let create = json!({"name": "worker", "tags": [{"key": "team", "value": "a"}]});
    let reply = api.call("CreateActivity", &create.to_string()).await;
    assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
    let arn = reply.body["activityArn"].as_str().expect("activityArn").to_owned();
    assert_eq!(tags(&api, &arn).await, json!({"tags": [{"key": "team", "value": "a"}]}));

    let tag = json!({"resourceArn": arn, "tags": [{"key": "env", "value": "dev"}, {"key": "team", "value": "b"}]});
    assert_eq!(api.call("TagResource", &tag.to_string()).await.status, StatusCode::OK);
    let again = json!({"name": "worker", "tags": [{"key": "other", "value": "x"}]});
    let reply = api.call("CreateActivity", &again.to_string()).await;
    assert_eq!(reply.body["activityArn"].as_str(), Some(arn.as_str()), "{reply:?}");
    assert_eq!(
        tags(&api, &arn).await,
        json!({"tags": [{"key": "team", "value": "b"}, {"key": "env", "value": "dev"}]})
    );
    let untag = json!({"resourceArn": arn, "tagKeys": ["team"]});
    assert_eq!(api.call("UntagResource", &untag.to_string()).await.status, StatusCode::OK);
    assert_eq!(tags(&api, &arn).await, json!({"tags": [{"key": "env", "value": "dev"}]}));

    let delete = json!({"activityArn": arn});
    assert_eq!(api.call("DeleteActivity", &delete.to_string()).await.status, StatusCode::OK);
    let reply = api.call("ListTagsForResource", &json!({"resourceArn": arn}).to_string()).await;
    assert_eq!((reply.status, reply.body["__type"].as_str()), (StatusCode::BAD_REQUEST, Some("ResourceNotFound")), "{reply:?}");
}
