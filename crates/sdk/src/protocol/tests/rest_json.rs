//! restJson: Lambda's `Invoke` (URI label, query, headers, blob payload, status code) and API Gateway's `GetRestApi`
//! (camelCase members given in PascalCase).

use serde_json::json;

use crate::protocol::tests::{body, failure, header, keys, output, request};

#[test]
fn lambda_invoke_binds_the_uri_headers_query_and_payload() {
    let input = json!({
        "FunctionName": "arn:aws:lambda:us-west-2:123456789012:function:my-function",
        "InvocationType": "RequestResponse",
        "LogType": "Tail",
        "Qualifier": "prod",
        "Payload": {"key": "value"}
    });
    let request = request("lambda", "invoke", input);
    assert_eq!(request.method, "POST");
    assert_eq!(
        request.path_and_query,
        "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-west-2%3A123456789012%3Afunction%3Amy-function/invocations?Qualifier=prod"
    );
    assert_eq!(header(&request, "X-Amz-Invocation-Type"), Some("RequestResponse"));
    assert_eq!(header(&request, "X-Amz-Log-Type"), Some("Tail"));
    assert_eq!(body(&request), r#"{"key":"value"}"#);
}

#[test]
fn lambda_invoke_payload_given_as_a_string_is_sent_as_is() {
    let request = request("lambda", "invoke", json!({"FunctionName": "f", "Payload": "{\"a\": 1}"}));
    assert_eq!(request.path_and_query, "/2015-03-31/functions/f/invocations");
    assert_eq!(body(&request), "{\"a\": 1}");
    let empty = crate::protocol::tests::request("lambda", "invoke", json!({"FunctionName": "f"}));
    assert!(empty.body.is_empty());
}

#[test]
fn lambda_invoke_output_has_the_status_headers_and_the_payload_as_text() {
    let headers = [("X-Amz-Executed-Version", "$LATEST"), ("Content-Type", "application/json"), ("X-Amz-Function-Error", "Unhandled")];
    let output = output("lambda", "invoke", &headers, r#"{"statusCode":200,"body":"hi"}"#);
    assert_eq!(
        output,
        json!({
            "StatusCode": 200,
            "FunctionError": "Unhandled",
            "Payload": "{\"statusCode\":200,\"body\":\"hi\"}",
            "ExecutedVersion": "$LATEST"
        })
    );
    assert_eq!(keys(&output), ["StatusCode", "FunctionError", "Payload", "ExecutedVersion"]);
}

#[test]
fn lambda_error_code_comes_from_the_error_type_header() {
    let headers = [
        ("x-amzn-ErrorType", "ResourceNotFoundException:http://internal.amazon.com/coral/com.amazonaws.awslambda/"),
        ("x-amzn-RequestId", "8c4d5f9e"),
    ];
    let body = r#"{"Type":"User","Message":"Function not found: arn:aws:lambda:us-west-2:123456789012:function:nope"}"#;
    let (error, name, cause) = failure("lambda", "invoke", 404, &headers, body);
    assert_eq!(error.code, "ResourceNotFoundException");
    assert_eq!(name, "Lambda.ResourceNotFoundException");
    assert_eq!(
        cause,
        "Function not found: arn:aws:lambda:us-west-2:123456789012:function:nope (Service: Lambda, Status Code: 404, Request ID: 8c4d5f9e)"
    );
}

#[test]
fn api_gateway_get_rest_api_takes_rest_api_id_in_pascal_case() {
    let request = request("apigateway", "getRestApi", json!({"RestApiId": "a1b2c3"}));
    assert_eq!(request.method, "GET");
    assert_eq!(request.path_and_query, "/restapis/a1b2c3");
    assert!(request.body.is_empty());
    assert_eq!(header(&request, "Content-Type"), None);
    // The model's own spelling is taken too.
    let camel = crate::protocol::tests::request("apigateway", "getRestApi", json!({"restApiId": "a1b2c3"}));
    assert_eq!(camel.path_and_query, "/restapis/a1b2c3");
}

#[test]
fn api_gateway_output_members_are_pascal_case_in_the_model_order() {
    let body = r#"{"apiKeySource":"HEADER","createdDate":1700000000,"disableExecuteApiEndpoint":false,
        "endpointConfiguration":{"types":["REGIONAL"]},"id":"a1b2c3","name":"PetStore","tags":{"env":"prod"},"warnings":[]}"#;
    let output = output("apigateway", "getRestApi", &[], body);
    assert_eq!(
        output,
        json!({
            "Id": "a1b2c3",
            "Name": "PetStore",
            "CreatedDate": "2023-11-14T22:13:20Z",
            "Warnings": [],
            "ApiKeySource": "HEADER",
            "EndpointConfiguration": {"Types": ["REGIONAL"]},
            "Tags": {"env": "prod"},
            "DisableExecuteApiEndpoint": false
        })
    );
    assert_eq!(
        keys(&output),
        ["Id", "Name", "CreatedDate", "Warnings", "ApiKeySource", "EndpointConfiguration", "Tags", "DisableExecuteApiEndpoint"]
    );
}

#[test]
fn api_gateway_body_members_are_a_json_object() {
    let input = json!({"RestApiId": "a1b2c3", "PatchOperations": [{"Op": "replace", "Path": "/name", "Value": "Pets"}]});
    let request = request("apigateway", "updateRestApi", input);
    assert_eq!(request.method, "PATCH");
    assert_eq!(request.path_and_query, "/restapis/a1b2c3");
    assert_eq!(header(&request, "Content-Type"), Some("application/json"));
    assert_eq!(body(&request), r#"{"patchOperations":[{"op":"replace","path":"/name","value":"Pets"}]}"#);
}

#[test]
fn api_gateway_not_found() {
    let headers = [("x-amzn-ErrorType", "NotFoundException"), ("x-amzn-RequestId", "r-1")];
    let (error, name, cause) = failure("apigateway", "getRestApi", 404, &headers, r#"{"message":"Invalid API identifier specified 123456789012:a1b2c3"}"#);
    assert_eq!(error.shape.as_deref(), Some("NotFoundException"));
    assert_eq!(name, "ApiGateway.NotFoundException");
    assert_eq!(cause, "Invalid API identifier specified 123456789012:a1b2c3 (Service: ApiGateway, Status Code: 404, Request ID: r-1)");
}

#[test]
fn structure_payload_is_the_body_and_an_absent_one_is_an_empty_object() {
    let input = json!({"AccountId": "-", "VaultName": "examplevault", "JobParameters": {"Type": "inventory-retrieval", "Format": "JSON"}});
    let request = request("glacier", "initiateJob", input);
    assert_eq!(request.path_and_query, "/-/vaults/examplevault/jobs");
    assert_eq!(body(&request), r#"{"Format":"JSON","Type":"inventory-retrieval"}"#);
    let absent = crate::protocol::tests::request("glacier", "initiateJob", json!({"AccountId": "-", "VaultName": "examplevault"}));
    assert_eq!(body(&absent), "{}");
    assert_eq!(header(&absent, "Content-Type"), Some("application/json"));
}
