//! Checking Step Functions' parameters: names folded to the model's, unknown fields, wrong types, required members,
//! ranges, and the depth guard.

use serde_json::{Value, json};

use crate::model::Protocol;
use crate::protocol::build;
use crate::protocol::tests::{TOKEN, body_json, input_error, request, service};

#[test]
fn unknown_field_is_named_with_the_valid_ones() {
    let message = input_error("dynamodb", "putItem", json!({"TableName": "t", "Item": {}, "Foo": 1}));
    assert_eq!(
        message,
        "the field 'Foo' is not supported by Step Functions (valid fields: TableName, Item, Expected, ReturnValues, \
         ReturnConsumedCapacity, ReturnItemCollectionMetrics, ConditionalOperator, ConditionExpression, \
         ExpressionAttributeNames, ExpressionAttributeValues, ReturnValuesOnConditionCheckFailure)"
    );
}

#[test]
fn unknown_nested_field_is_named_by_its_path() {
    let message = input_error("dynamodb", "putItem", json!({"TableName": "t", "Item": {"id": {"X": "1"}}}));
    assert_eq!(
        message,
        "the field 'Item.id.X' is not supported by Step Functions (valid fields at 'Item.id': S, N, B, SS, NS, BS, M, L, NULL, BOOL)"
    );
}

#[test]
fn wrong_type_names_the_parameter_and_both_types() {
    let message = input_error("dynamodb", "putItem", json!({"TableName": "t", "Item": {"n": {"N": 5}}}));
    assert_eq!(message, "the value of 'Item.n.N' must be a string, not a number");
    let message = input_error("dynamodb", "putItem", json!({"TableName": "t", "Item": []}));
    assert_eq!(message, "the value of 'Item' must be an object, not an array");
    let message = input_error("ec2", "describeInstances", json!({"Filters": [{"Name": "x", "Values": "y"}]}));
    assert_eq!(message, "the value of 'Filters[0].Values' must be an array, not a string");
    let message = input_error("sqs", "sendMessage", json!({"QueueUrl": "q", "MessageBody": "m", "DelaySeconds": "5"}));
    assert_eq!(message, "the value of 'DelaySeconds' must be an integer, not a string");
}

#[test]
fn required_member_absent_is_refused() {
    assert_eq!(input_error("dynamodb", "putItem", json!({"Item": {}})), "the field 'TableName' is required");
    assert_eq!(input_error("dynamodb", "putItem", json!({"TableName": null, "Item": {}})), "the field 'TableName' is required");
    assert_eq!(
        input_error("sns", "publish", json!({"Message": "m", "MessageAttributes": {"a": {"StringValue": "v"}}})),
        "the field 'MessageAttributes.a.DataType' is required"
    );
}

#[test]
fn integers_are_whole_and_in_range() {
    let message = input_error("sqs", "sendMessage", json!({"QueueUrl": "q", "MessageBody": "m", "DelaySeconds": 1.5}));
    assert_eq!(message, "the value of 'DelaySeconds' must be an integer from -2147483648 to 2147483647, not 1.5");
    let message = input_error("sqs", "sendMessage", json!({"QueueUrl": "q", "MessageBody": "m", "DelaySeconds": 4_294_967_296_i64}));
    assert_eq!(message, "the value of 'DelaySeconds' must be an integer from -2147483648 to 2147483647, not 4294967296");
    let whole = request("sqs", "sendMessage", json!({"QueueUrl": "q", "MessageBody": "m", "DelaySeconds": 5.0}));
    assert_eq!(body_json(&whole)["DelaySeconds"], json!(5));
}

#[test]
fn timestamps_and_blobs_must_parse() {
    let message = input_error("dynamodb", "exportTableToPointInTime", json!({"TableArn": "t", "S3Bucket": "b", "ExportTime": "yesterday"}));
    assert_eq!(
        message,
        "the value of 'ExportTime' must be a timestamp (an ISO 8601 string such as 2026-12-02T10:00:00Z, or seconds since the epoch), not a string"
    );
    let message = input_error("dynamodb", "putItem", json!({"TableName": "t", "Item": {"b": {"B": "not base64!"}}}));
    assert_eq!(message, "the value of 'Item.b.B' must be base64-encoded binary data");
}

#[test]
fn a_member_given_twice_in_two_spellings_is_refused() {
    let message = input_error("apigateway", "getRestApi", json!({"RestApiId": "a", "restApiId": "b"}));
    assert_eq!(message, "the field 'RestApiId' is given twice");
}

#[test]
fn parameters_must_be_an_object() {
    assert_eq!(input_error("dynamodb", "listTables", json!([1])), "the parameters must be an object, not an array");
    let request = request("dynamodb", "listTables", Value::Null);
    assert_eq!(body_json(&request), json!({}));
}

#[test]
fn an_operation_without_input_takes_no_parameters() {
    let request = request("acm", "getAccountConfiguration", json!({}));
    assert_eq!(body_json(&request), json!({}));
    assert_eq!(
        input_error("acm", "getAccountConfiguration", json!({"A": 1})),
        "the field 'A' is not supported: GetAccountConfiguration takes no parameters"
    );
}

#[test]
fn nesting_deeper_than_the_limit_is_refused_without_overflowing() {
    let mut value = json!({"S": "leaf"});
    for _ in 0..200 {
        value = json!({"M": {"k": value}});
    }
    let message = input_error("dynamodb", "putItem", json!({"TableName": "t", "Item": {"k": value}}));
    assert!(message.ends_with("is nested more than 64 levels deep"), "{message}");
}

#[test]
fn a_service_speaking_only_cbor_is_refused() {
    // Every service of AWS's list also speaks a protocol Baton does; a model offering only CBOR is made here.
    let mut translate = service("translate");
    translate.model.metadata.protocol = Protocol::RpcV2Cbor;
    translate.model.metadata.protocols = vec![Protocol::RpcV2Cbor];
    let operation = translate.model.operation("translateText").expect("the operation exists").clone();
    let message = build(&translate, &operation, &json!({}), TOKEN).expect_err("refused").message;
    assert!(message.starts_with("the service 'translate' speaks only protocols Baton does not"), "{message}");
}

#[test]
fn an_object_given_for_a_string_or_blob_is_sent_as_its_json_text() {
    let queue = "https://sqs.us-east-1.amazonaws.com/123456789012/q";
    let sent = request("sqs", "sendMessage", json!({"QueueUrl": queue, "MessageBody": {"order": [1, 2]}}));
    assert_eq!(body_json(&sent)["MessageBody"], json!("{\"order\":[1,2]}"));
    let started = request("sfn", "startExecution", json!({"StateMachineArn": "arn:aws:states:us-east-1:1:stateMachine:m", "Input": {"k": "v"}}));
    assert_eq!(body_json(&started)["input"], json!("{\"k\":\"v\"}"));
    let message = input_error("sqs", "sendMessage", json!({"QueueUrl": queue, "MessageBody": 7}));
    assert!(message.contains("'MessageBody' must be a string, not a number"), "{message}");
}
