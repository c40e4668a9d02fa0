//! awsJson 1.0 and 1.1: DynamoDB, SQS (1.0, answering errors with its former awsQuery codes), CloudTrail (1.1).

use serde_json::json;

use crate::protocol::tests::{body_json, failure, header, keys, output, request};

#[test]
fn dynamodb_put_item_is_a_post_with_the_target_and_the_item() {
    let input = json!({
        "TableName": "Music",
        "Item": {
            "Artist": {"S": "No One You Know"},
            "SongTitle": {"S": "Call Me Today"},
            "Year": {"N": "2015"},
            "Tags": {"SS": ["pop", "indie"]},
            "Cover": {"B": "dGVzdA=="},
            "Live": {"BOOL": false},
            "Extra": {"NULL": true},
            "Tracks": {"L": [{"M": {"N": {"N": "1"}}}]}
        },
        "ConditionExpression": "attribute_not_exists(Artist)",
        "ReturnConsumedCapacity": "TOTAL"
    });
    let request = request("dynamodb", "putItem", input.clone());
    assert_eq!(request.method, "POST");
    assert_eq!(request.path_and_query, "/");
    assert_eq!(request.host_prefix, None);
    assert_eq!(header(&request, "Content-Type"), Some("application/x-amz-json-1.0"));
    assert_eq!(header(&request, "X-Amz-Target"), Some("DynamoDB_20120810.PutItem"));
    assert_eq!(body_json(&request), input);
    // The model's order, not the parameters'.
    assert_eq!(keys(&body_json(&request)), ["TableName", "Item", "ReturnConsumedCapacity", "ConditionExpression"]);
}

#[test]
fn dynamodb_get_item_output_is_the_body_with_pascal_case_members() {
    let body = r#"{"ConsumedCapacity":{"CapacityUnits":0.5,"TableName":"Music"},
        "Item":{"AlbumTitle":{"S":"Songs About Life"},"Awards":{"N":"10"},"Artist":{"S":"Acme Band"}}}"#;
    let output = output("dynamodb", "getItem", &[], body);
    assert_eq!(
        output,
        json!({
            "Item": {"AlbumTitle": {"S": "Songs About Life"}, "Awards": {"N": "10"}, "Artist": {"S": "Acme Band"}},
            "ConsumedCapacity": {"TableName": "Music", "CapacityUnits": 0.5}
        })
    );
    assert_eq!(keys(&output), ["Item", "ConsumedCapacity"]);
}

#[test]
fn dynamodb_timestamps_are_epoch_seconds_on_the_wire_and_iso_8601_in_output() {
    let request = request(
        "dynamodb",
        "exportTableToPointInTime",
        json!({"TableArn": "arn:aws:dynamodb:us-east-1:123456789012:table/Music", "S3Bucket": "b", "ExportTime": "2026-12-02T10:00:00Z"}),
    );
    assert_eq!(body_json(&request)["ExportTime"], json!(1_796_205_600));
    let request = crate::protocol::tests::request(
        "dynamodb",
        "exportTableToPointInTime",
        json!({"TableArn": "t", "S3Bucket": "b", "ExportTime": 1_796_205_600.25}),
    );
    assert_eq!(body_json(&request)["ExportTime"], json!(1_796_205_600.25));
    let output = output("dynamodb", "describeTable", &[], r#"{"Table":{"TableName":"Music","CreationDateTime":1.796205600123E9}}"#);
    assert_eq!(output, json!({"Table": {"TableName": "Music", "CreationDateTime": "2026-12-02T10:00:00.123Z"}}));
}

#[test]
fn dynamodb_fills_an_absent_idempotency_token_and_keeps_a_given_one() {
    let items = json!([{"ConditionCheck": {"TableName": "t", "Key": {"id": {"S": "1"}}, "ConditionExpression": "attribute_exists(id)"}}]);
    let filled = request("dynamodb", "transactWriteItems", json!({"TransactItems": items}));
    assert_eq!(body_json(&filled)["ClientRequestToken"], "token-0001");
    let given = request("dynamodb", "transactWriteItems", json!({"TransactItems": items, "ClientRequestToken": "mine"}));
    assert_eq!(body_json(&given)["ClientRequestToken"], "mine");
}

#[test]
fn dynamodb_modelled_error_keeps_its_name() {
    let body = r#"{"__type":"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException","message":"The conditional request failed"}"#;
    let (error, name, cause) = failure("dynamodb", "putItem", 400, &[("x-amzn-RequestId", "REQ1")], body);
    assert_eq!(error.code, "ConditionalCheckFailedException");
    assert_eq!(name, "DynamoDb.ConditionalCheckFailedException");
    assert_eq!(cause, "The conditional request failed (Service: DynamoDb, Status Code: 400, Request ID: REQ1)");
}

#[test]
fn dynamodb_unmodelled_error_is_the_service_exception() {
    let body = r#"{"__type":"com.amazon.coral.service#UnrecognizedClientException","message":"The security token included in the request is invalid."}"#;
    let (error, name, cause) = failure("dynamodb", "getItem", 400, &[("x-amzn-RequestId", "REQ2")], body);
    assert_eq!(error.code, "UnrecognizedClientException");
    assert_eq!(error.shape, None);
    assert_eq!(name, "DynamoDb.DynamoDbException");
    assert_eq!(cause, "The security token included in the request is invalid. (Service: DynamoDb, Status Code: 400, Request ID: REQ2)");
}

#[test]
fn dynamodb_error_without_body_takes_its_code_from_the_status() {
    let (error, name, cause) = failure("dynamodb", "getItem", 503, &[], "");
    assert_eq!(error.code, "ServiceUnavailable");
    assert_eq!(name, "DynamoDb.DynamoDbException");
    assert_eq!(cause, "null (Service: DynamoDb, Status Code: 503, Request ID: null)");
}

#[test]
fn sqs_send_message_speaks_json_1_0() {
    let input = json!({
        "QueueUrl": "https://sqs.us-east-1.amazonaws.com/123456789012/MyQueue",
        "MessageBody": "hello",
        "DelaySeconds": 5,
        "MessageAttributes": {"City": {"DataType": "String", "StringValue": "Any City"}}
    });
    let request = request("sqs", "sendMessage", input.clone());
    assert_eq!(header(&request, "X-Amz-Target"), Some("AmazonSQS.SendMessage"));
    assert_eq!(header(&request, "Content-Type"), Some("application/x-amz-json-1.0"));
    assert_eq!(body_json(&request), input);
    let output = output(
        "sqs",
        "sendMessage",
        &[],
        r#"{"MD5OfMessageAttributes":"c48838208d2b4e14e3ca0093a8443f09","MD5OfMessageBody":"5d41402abc4b2a76b9719d911017c592","MessageId":"219f8380-5770-4cc2-8c3e-5c715e145f5e"}"#,
    );
    assert_eq!(
        output,
        json!({
            "MD5OfMessageBody": "5d41402abc4b2a76b9719d911017c592",
            "MD5OfMessageAttributes": "c48838208d2b4e14e3ca0093a8443f09",
            "MessageId": "219f8380-5770-4cc2-8c3e-5c715e145f5e"
        })
    );
}

#[test]
fn sqs_query_compatible_error_code_comes_from_its_header_and_the_name_from_the_model() {
    let headers = [("x-amzn-query-error", "AWS.SimpleQueueService.NonExistentQueue;Sender"), ("x-amzn-RequestId", "R")];
    let body = r#"{"__type":"com.amazonaws.sqs#QueueDoesNotExist","message":"The specified queue does not exist."}"#;
    let (error, name, cause) = failure("sqs", "sendMessage", 400, &headers, body);
    assert_eq!(error.code, "AWS.SimpleQueueService.NonExistentQueue");
    assert_eq!(error.shape.as_deref(), Some("QueueDoesNotExist"));
    assert_eq!(name, "Sqs.QueueDoesNotExistException");
    assert_eq!(cause, "The specified queue does not exist. (Service: Sqs, Status Code: 400, Request ID: R)");
}

#[test]
fn cloudtrail_speaks_json_1_1_and_takes_equals_as_equals_value() {
    let input = json!({
        "TrailName": "t",
        "AdvancedEventSelectors": [{"FieldSelectors": [{"Field": "eventCategory", "EqualsValue": ["Data"]}]}]
    });
    let request = request("cloudtrail", "putEventSelectors", input);
    assert_eq!(header(&request, "Content-Type"), Some("application/x-amz-json-1.1"));
    assert_eq!(
        header(&request, "X-Amz-Target"),
        Some("com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.PutEventSelectors")
    );
    assert_eq!(body_json(&request)["AdvancedEventSelectors"][0]["FieldSelectors"][0], json!({"Field": "eventCategory", "Equals": ["Data"]}));
    let output = output(
        "cloudtrail",
        "putEventSelectors",
        &[],
        r#"{"TrailARN":"arn","AdvancedEventSelectors":[{"FieldSelectors":[{"Field":"eventCategory","Equals":["Data"]}]}]}"#,
    );
    assert_eq!(output["AdvancedEventSelectors"][0]["FieldSelectors"][0], json!({"Field": "eventCategory", "EqualsValue": ["Data"]}));
}

#[test]
fn unreadable_json_is_a_client_error() {
    let (error, name, cause) = failure_of_ok_status("dynamodb", "getItem", "<html>");
    assert_eq!(error.code, "SdkClientException");
    assert_eq!(name, "DynamoDb.SdkClientException");
    assert!(cause.starts_with("Unable to parse the response as JSON"), "{cause}");
}

/// A 200 response that cannot be read.
fn failure_of_ok_status(service_name: &str, action: &str, body: &str) -> (crate::protocol::ServiceError, String, String) {
    failure(service_name, action, 200, &[], body)
}

#[test]
fn step_functions_start_execution_takes_camel_case_members_in_pascal_case() {
    let input = json!({"StateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:Hello", "Input": "{\"a\":1}", "Name": "run-1"});
    let request = request("sfn", "startExecution", input);
    assert_eq!(header(&request, "X-Amz-Target"), Some("AWSStepFunctions.StartExecution"));
    assert_eq!(
        body_json(&request),
        json!({"stateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:Hello", "name": "run-1", "input": "{\"a\":1}"})
    );
    let output = output("sfn", "startExecution", &[], r#"{"executionArn":"arn:aws:states:us-east-1:123456789012:execution:Hello:run-1","startDate":1.796205600E9}"#);
    assert_eq!(
        output,
        json!({"ExecutionArn": "arn:aws:states:us-east-1:123456789012:execution:Hello:run-1", "StartDate": "2026-12-02T10:00:00Z"})
    );
}

#[test]
fn athena_start_query_execution_gets_the_token_in_json_1_1() {
    let request = request("athena", "startQueryExecution", json!({"QueryString": "SELECT 1", "WorkGroup": "primary"}));
    assert_eq!(header(&request, "X-Amz-Target"), Some("AmazonAthena.StartQueryExecution"));
    assert_eq!(body_json(&request), json!({"QueryString": "SELECT 1", "ClientRequestToken": "token-0001", "WorkGroup": "primary"}));
}
