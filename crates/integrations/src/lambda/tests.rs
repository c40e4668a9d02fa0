//! Tests of `crate::lambda`: resource recognition, function names from every ARN form, and AWS's result and error
//! shapes for both resource forms (against `sh`/`cat` command functions).

use serde_json::{Value, json};

use crate::functions::Functions;
use crate::{Caller, TaskError};
use crate::lambda::{
    FunctionRef, Options, ResponseMeta, function_name, function_ref, invoke, invoke_with, is_lambda,
    is_wait_for_task_token, service_result,
};

const INVOKE: &str = "arn:aws:states:::lambda:invoke";
const DIRECT: &str = "arn:aws:lambda:eu-west-1:111111111111:function:f";
const CALLER: Caller<'static> = Caller { execution_arn: "arn:aws:states:us-east-1:123456789012:execution:m:e", state: "S", role_arn: None, trace: None };

#[test]
fn lambda_resources() {
    let cases = [
        ("arn:aws:lambda:us-east-1:123456789012:function:f", true),
        ("arn:aws:lambda:us-east-1:123456789012:function:f:prod", true),
        ("arn:aws-cn:lambda:cn-north-1:123456789012:function:f", true),
        ("arn:aws:states:::lambda:invoke", true),
        ("arn:aws:states:::lambda:invoke.waitForTaskToken", true),
        ("arn:aws-us-gov:states:::lambda:invoke", true),
        ("arn:aws:states:::lambda:invoke.sync", false),
        ("arn:aws:states:::lambda:invokeX", false),
        ("arn:aws:states:us-east-1::lambda:invoke", false),
        ("arn:aws:lambda:us-east-1:123456789012:function:", false),
        ("arn:aws:lambda:us-east-1:123456789012:function:f:1:2", false),
        ("arn:aws:lambda:us-east-1:123456789012:layer:l:1", false),
        ("arn:aws:lambda:us-east-1:123456789012", false),
        ("arn:aws:states:::sqs:sendMessage", false),
        ("arn:aws:states:us-east-1:123456789012:activity:a", false),
        ("f", false),
        ("", false),
    ];
    let actual: Vec<(&str, bool)> = cases
        .iter()
        .map(|(resource, _)| (*resource, is_lambda(resource)))
        .collect();
    assert_eq!(actual, cases);
    assert!(is_wait_for_task_token(
        "arn:aws:states:::lambda:invoke.waitForTaskToken"
    ));
    assert!(
        !is_wait_for_task_token(INVOKE) && !is_wait_for_task_token("arn:aws:states:::sqs:sendMessage.waitForTaskToken")
    );
}

#[test]
fn names_from_every_form() {
    let name = |resource: &str, parameters: Value| function_name(resource, &parameters);
    let some = |name: &str| Some(name.to_owned());
    assert_eq!(
        name(
            "arn:aws:lambda:us-east-1:1:function:direct",
            json!({"FunctionName": "other"})
        ),
        some("direct")
    );
    assert_eq!(
        name("arn:aws:lambda:us-east-1:1:function:direct:7", json!(null)),
        some("direct")
    );
    assert_eq!(name(INVOKE, json!({"FunctionName": "f"})), some("f"));
    assert_eq!(name(INVOKE, json!({"FunctionName": "f:prod"})), some("f"));
    assert_eq!(
        name(INVOKE, json!({"FunctionName": "123456789012:function:f"})),
        some("f")
    );
    assert_eq!(
        name(INVOKE, json!({"FunctionName": "123456789012:function:f:$LATEST"})),
        some("f")
    );
    assert_eq!(
        name(
            INVOKE,
            json!({"FunctionName": "arn:aws:lambda:us-east-1:123456789012:function:f"})
        ),
        some("f")
    );
    assert_eq!(
        name(
            INVOKE,
            json!({"FunctionName": "arn:aws:lambda:us-east-1:123456789012:function:f:3"})
        ),
        some("f")
    );
    assert_eq!(
        name(
            "arn:aws:states:::lambda:invoke.waitForTaskToken",
            json!({"FunctionName": "f"})
        ),
        some("f")
    );
    assert_eq!(name(INVOKE, json!({})), None);
    assert_eq!(name(INVOKE, json!({"FunctionName": 3})), None);
    assert_eq!(name(INVOKE, json!({"FunctionName": ""})), None);
    assert_eq!(name(INVOKE, json!({"FunctionName": "a:b:c"})), None);
    assert_eq!(name(INVOKE, json!({"FunctionName": "arn:aws:s3:::bucket"})), None);
    assert_eq!(name(INVOKE, json!("f")), None);
    assert_eq!(
        name("arn:aws:states:::sqs:sendMessage", json!({"FunctionName": "f"})),
        None
    );
}

#[test]
fn references_and_their_arns() {
    let options = Options::default();
    let arn = |resource: &str, parameters: Value| function_ref(resource, &parameters).map(|f| f.arn(&options));
    let some = |arn: &str| Some(arn.to_owned());
    assert_eq!(
        arn(DIRECT, json!({})),
        some("arn:aws:lambda:eu-west-1:111111111111:function:f:$LATEST")
    );
    assert_eq!(
        arn(INVOKE, json!({"FunctionName": "f"})),
        some("arn:aws:lambda:us-east-1:123456789012:function:f:$LATEST")
    );
    assert_eq!(
        arn(INVOKE, json!({"FunctionName": "f", "Qualifier": "live"})),
        some("arn:aws:lambda:us-east-1:123456789012:function:f:live")
    );
    assert_eq!(
        arn(INVOKE, json!({"FunctionName": "f:1", "Qualifier": "live"})),
        some("arn:aws:lambda:us-east-1:123456789012:function:f:1")
    );
    assert_eq!(
        arn(INVOKE, json!({"FunctionName": "222222222222:function:f"})),
        some("arn:aws:lambda:us-east-1:222222222222:function:f:$LATEST")
    );
    assert_eq!(
        arn(
            INVOKE,
            json!({"FunctionName": "arn:aws-cn:lambda:cn-north-1:333333333333:function:f:alias"})
        ),
        some("arn:aws-cn:lambda:cn-north-1:333333333333:function:f:alias")
    );
    assert_eq!(
        FunctionRef::parse("f:2"),
        Some(FunctionRef {
            name: "f".into(),
            qualifier: Some("2".into()),
            partition: None,
            region: None,
            account: None
        })
    );
}

#[test]
fn service_result_has_aws_shape() {
    let meta = ResponseMeta {
        request_id: "req".into(),
        content_length: 23,
        date: "Tue, 14 May 2024 10:00:00 GMT".into(),
        trace_id: "Root=1-x".into(),
    };
    let result = service_result(json!({"status": "completed"}), &meta);
    // Key order matters: AWS's output is compared as text by some users.
    assert_eq!(
        result.to_string(),
        json!({
            "ExecutedVersion": "$LATEST",
            "Payload": {"status": "completed"},
            "SdkHttpMetadata": {
                "AllHttpHeaders": {
                    "X-Amz-Executed-Version": ["$LATEST"],
                    "x-amzn-Remapped-Content-Length": ["0"],
                    "Connection": ["keep-alive"],
                    "x-amzn-RequestId": ["req"],
                    "Content-Length": ["23"],
                    "Date": ["Tue, 14 May 2024 10:00:00 GMT"],
                    "X-Amzn-Trace-Id": ["Root=1-x"],
                    "Content-Type": ["application/json"]
                },
                "HttpHeaders": {
                    "Connection": "keep-alive",
                    "Content-Length": "23",
                    "Content-Type": "application/json",
                    "Date": "Tue, 14 May 2024 10:00:00 GMT",
                    "X-Amz-Executed-Version": "$LATEST",
                    "x-amzn-Remapped-Content-Length": "0",
                    "x-amzn-RequestId": "req",
                    "X-Amzn-Trace-Id": "Root=1-x"
                },
                "HttpStatusCode": 200
            },
            "SdkResponseMetadata": {"RequestId": "req"},
            "StatusCode": 200
        })
        .to_string()
    );
}

/// Function `f` echoes its payload; `raise` fails as a Python Lambda does.
fn functions() -> Functions {
    let raise =
        r#"echo '{"errorMessage": "Some exception was raised.", "errorType": "Exception", "stackTrace": []}'; exit 1"#;
    Functions::from_toml(&format!(
        "[functions.f]\ncommand = [\"cat\"]\n[functions.raise]\ncommand = [\"sh\", \"-c\", {}]\n",
        Value::String(raise.to_owned())
    ))
    .unwrap_or_else(|err| panic!("{err}"))
}

/// `lambda:invoke` with `parameters`: the payload and Content-Length of the result, or the error.
fn invoke_service(parameters: Value) -> Result<(Value, Value), TaskError> {
    let result = invoke(&functions(), INVOKE, &parameters, CALLER)?;
    let headers = &result["SdkHttpMetadata"]["HttpHeaders"];
    assert_eq!(result["StatusCode"], 200);
    assert_eq!(result["SdkResponseMetadata"]["RequestId"], headers["x-amzn-RequestId"]);
    assert_eq!(result["SdkHttpMetadata"]["AllHttpHeaders"]["Date"][0], headers["Date"]);
    assert!(headers["Date"].as_str().is_some_and(|date| date.ends_with(" GMT")));
    Ok((result["Payload"].clone(), headers["Content-Length"].clone()))
}

#[test]
fn direct_function_result_is_as_is() {
    assert_eq!(
        invoke(&functions(), DIRECT, &json!({"FunctionName": "x", "Payload": 1}), CALLER),
        Ok(json!({"FunctionName": "x", "Payload": 1}))
    );
    assert_eq!(invoke(&functions(), DIRECT, &json!("text"), CALLER), Ok(json!("text")));
    assert_eq!(invoke(&functions(), DIRECT, &json!(null), CALLER), Ok(json!(null)));
}

#[test]
fn service_payloads() {
    // As recorded against AWS: absent or null Payload sends `{}`; a string Payload is sent as is (its text is JSON).
    assert_eq!(
        invoke_service(json!({"FunctionName": "f"})),
        Ok((json!({}), json!("2")))
    );
    assert_eq!(
        invoke_service(json!({"FunctionName": "f", "Payload": null})),
        Ok((json!({}), json!("2")))
    );
    assert_eq!(
        invoke_service(json!({"FunctionName": "f", "Payload": "\"HelloWorld\""})),
        Ok((json!("HelloWorld"), json!("12")))
    );
    assert_eq!(
        invoke_service(json!({"FunctionName": "f", "Payload": "0.0"})),
        Ok((json!(0.0), json!("3")))
    );
    assert_eq!(
        invoke_service(json!({"FunctionName": "f", "Payload": "[]"})),
        Ok((json!([]), json!("2")))
    );
    assert_eq!(
        invoke_service(json!({"FunctionName": "f", "Payload": {"a": [1]}})),
        Ok((json!({"a": [1]}), json!("9")))
    );
    assert_eq!(
        invoke_service(
            json!({"FunctionName": "arn:aws:lambda:us-east-1:1:function:f:$LATEST", "Payload": true, "LogType": "Tail"})
        ),
        Ok((json!(true), json!("4")))
    );
}

#[test]
fn function_errors_are_the_same_for_both_forms() {
    let cause = r#"{"errorMessage":"Some exception was raised.","errorType":"Exception","stackTrace":[]}"#;
    let expected = Err(TaskError::new("Exception", cause));
    assert_eq!(
        invoke(&functions(), "arn:aws:lambda:us-east-1:1:function:raise", &json!({}), CALLER),
        expected
    );
    assert_eq!(
        invoke(&functions(), INVOKE, &json!({"FunctionName": "raise", "Payload": null}), CALLER),
        expected
    );
}

fn erase_request_id(error: TaskError) -> TaskError {
    let cause = error.cause.map(|cause| match cause.split_once("Request ID: ") {
        Some((before, after)) => format!(
            "{before}Request ID: <id>{}",
            &after[after.find(';').unwrap_or(after.len())..]
        ),
        None => cause,
    });
    TaskError {
        error: error.error,
        cause,
    }
}

#[test]
fn unknown_functions_are_named_by_arn() {
    let not_found = |arn: &str| {
        Err(TaskError::new(
            "Lambda.ResourceNotFoundException",
            format!(
                "Function not found: {arn} (Service: AWSLambda; Status Code: 404; Error Code: ResourceNotFoundException; \
                 Request ID: <id>; Proxy: null)"
            ),
        ))
    };
    let run = |resource: &str, parameters: Value| invoke(&functions(), resource, &parameters, CALLER).map_err(erase_request_id);
    assert_eq!(
        run(INVOKE, json!({"FunctionName": "no_such"})),
        not_found("arn:aws:lambda:us-east-1:123456789012:function:no_such:$LATEST")
    );
    assert_eq!(
        run(
            INVOKE,
            json!({"FunctionName": "arn:aws:lambda:eu-west-1:111111111111:function:no_such:prod"})
        ),
        not_found("arn:aws:lambda:eu-west-1:111111111111:function:no_such:prod")
    );
    assert_eq!(
        run("arn:aws:lambda:eu-west-1:111111111111:function:no_such", json!({})),
        not_found("arn:aws:lambda:eu-west-1:111111111111:function:no_such:$LATEST")
    );
    let options = Options {
        partition: "aws".into(),
        region: "ap-south-1".into(),
        account: "999999999999".into(),
        ..Options::default()
    };
    assert_eq!(
        invoke_with(&functions(), INVOKE, &json!({"FunctionName": "no_such"}), &options, CALLER).map_err(erase_request_id),
        not_found("arn:aws:lambda:ap-south-1:999999999999:function:no_such:$LATEST")
    );
}

#[test]
fn bad_service_parameters() {
    let run = |parameters: Value| invoke(&functions(), INVOKE, &parameters, CALLER).map_err(erase_request_id);
    assert_eq!(
        run(json!({})),
        Err(TaskError::new(
            "States.Runtime",
            "The field 'FunctionName' is required but was missing"
        ))
    );
    assert_eq!(
        run(json!({"FunctionName": 1})),
        Err(TaskError::new(
            "States.Runtime",
            "The field 'FunctionName' is not a valid function name or ARN: 1"
        ))
    );
    assert_eq!(
        run(json!([1])),
        Err(TaskError::new(
            "States.Runtime",
            "The parameters of 'arn:aws:states:::lambda:invoke' must be an object, found [1]"
        ))
    );
    assert_eq!(
        run(json!({"FunctionName": "f", "Payload": "not json"})).map_err(|e| e.error),
        Err("Lambda.InvalidRequestContentException".into())
    );
    assert_eq!(
        invoke(&functions(), "arn:aws:states:::sqs:sendMessage", &json!({}), CALLER),
        Err(TaskError::new(
            "States.Runtime",
            "'arn:aws:states:::sqs:sendMessage' is not a Lambda resource"
        ))
    );
}
