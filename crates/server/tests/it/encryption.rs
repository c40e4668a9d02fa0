//! `encryptionConfiguration` of state machines and activities: checked, kept, described, and part of what makes a
//! repeated create the same request.

use serde_json::json;

use crate::api;

const ROLE: &str = "arn:aws:iam::123456789012:role/r";
const DEFINITION: &str = r#"{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}"#;

#[tokio::test]
async fn a_state_machine_keeps_its_encryption_configuration() {
    let api = api().await;
    let cmk = json!({"type": "CUSTOMER_MANAGED_KMS_KEY", "kmsKeyId": "alias/baton", "kmsDataKeyReusePeriodSeconds": 120});
    let create = json!({"name": "Secret", "definition": DEFINITION, "roleArn": ROLE, "encryptionConfiguration": cmk});
    let arn = api.ok("CreateStateMachine", create.clone()).await["stateMachineArn"].clone();
    let described = api.ok("DescribeStateMachine", json!({"stateMachineArn": arn})).await;
    assert_eq!(described["encryptionConfiguration"], cmk);
    // The same request again is idempotent; another key is another request.
    assert_eq!(api.ok("CreateStateMachine", create.clone()).await["stateMachineArn"], arn);
    let mut other = create.clone();
    other["encryptionConfiguration"]["kmsKeyId"] = json!("alias/other");
    api.error("CreateStateMachine", other, "StateMachineAlreadyExists").await;

    // An update of the configuration alone is an update; AWS's own key reads back as it.
    let update = json!({"stateMachineArn": arn, "encryptionConfiguration": {"type": "AWS_OWNED_KEY"}});
    let updated = api.ok("UpdateStateMachine", update).await;
    assert_ne!(updated["revisionId"], described["revisionId"]);
    let described = api.ok("DescribeStateMachine", json!({"stateMachineArn": arn})).await;
    assert_eq!(described["encryptionConfiguration"], json!({"type": "AWS_OWNED_KEY"}));
    let plain = json!({"name": "Plain", "definition": DEFINITION, "roleArn": ROLE});
    let plain = api.ok("CreateStateMachine", plain).await["stateMachineArn"].clone();
    let described = api.ok("DescribeStateMachine", json!({"stateMachineArn": plain})).await;
    assert_eq!(described["encryptionConfiguration"], json!({"type": "AWS_OWNED_KEY"}));
}

#[tokio::test]
async fn bad_encryption_configurations_are_refused() {
    let api = api().await;
    let create = |encryption| json!({"name": "Bad", "definition": DEFINITION, "roleArn": ROLE, "encryptionConfiguration": encryption});
    for (encryption, code) in [
        (json!({"type": "CUSTOMER_MANAGED_KMS_KEY"}), "InvalidEncryptionConfiguration"),
        (json!({"type": "AWS_OWNED_KEY", "kmsKeyId": "k"}), "InvalidEncryptionConfiguration"),
        (json!({"type": "AWS_OWNED_KEY", "kmsDataKeyReusePeriodSeconds": 300}), "InvalidEncryptionConfiguration"),
        (json!({"type": "CUSTOMER_MANAGED_KMS_KEY", "kmsKeyId": "k", "kmsDataKeyReusePeriodSeconds": 59}), "ValidationException"),
        (json!({"type": "CUSTOMER_MANAGED_KMS_KEY", "kmsKeyId": "k", "kmsDataKeyReusePeriodSeconds": 901}), "ValidationException"),
        (json!({"type": "SOMEONE_ELSES_KEY"}), "ValidationException"),
        (json!({"kmsKeyId": "k"}), "ValidationException"),
    ] {
        let message = api.error("CreateStateMachine", create(encryption.clone()), code).await;
        assert!(message.contains("ncryption"), "{encryption}: {message}");
        api.error("CreateActivity", json!({"name": "bad", "encryptionConfiguration": encryption}), code).await;
    }
    // Nothing was created.
    assert_eq!(api.ok("ListStateMachines", json!({})).await, json!({"stateMachines": []}));
    assert_eq!(api.ok("ListActivities", json!({})).await, json!({"activities": []}));
}

#[tokio::test]
async fn an_activity_keeps_its_encryption_configuration() {
    let api = api().await;
    let cmk = json!({"type": "CUSTOMER_MANAGED_KMS_KEY", "kmsKeyId": "arn:aws:kms:us-east-1:123456789012:key/k"});
    let created = api.ok("CreateActivity", json!({"name": "work", "encryptionConfiguration": cmk})).await;
    let arn = created["activityArn"].clone();
    let described = api.ok("DescribeActivity", json!({"activityArn": arn})).await;
    assert_eq!(described["encryptionConfiguration"], cmk);
    // The same name and settings again is the same activity (its tags do not count); other settings are refused.
    let again = api.ok("CreateActivity", json!({"name": "work", "encryptionConfiguration": cmk, "tags": [{"key": "k"}]})).await;
    assert_eq!(again, created);
    let message = api.error("CreateActivity", json!({"name": "work"}), "ActivityAlreadyExists").await;
    assert!(message.contains("activity:work"), "{message}");
    // An activity created without one uses AWS's key, and saying so is the same request.
    let plain = api.ok("CreateActivity", json!({"name": "plain"})).await;
    let described = api.ok("DescribeActivity", json!({"activityArn": plain["activityArn"]})).await;
    assert_eq!(described["encryptionConfiguration"], json!({"type": "AWS_OWNED_KEY"}));
    let same = json!({"name": "plain", "encryptionConfiguration": {"type": "AWS_OWNED_KEY"}});
    assert_eq!(api.ok("CreateActivity", same).await, plain);
}
