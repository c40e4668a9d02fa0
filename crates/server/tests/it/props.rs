//! Nothing panics: random targets and bodies always get a well-formed response.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use proptest::prelude::*;
use proptest::test_runner::TestRunner;
use serde_json::{Map, Value};

use crate::{Api, api};

/// Member names the actions know, so that random objects often reach the handlers' checks.
const MEMBERS: &[&str] = &[
    "stateMachineArn",
    "executionArn",
    "name",
    "definition",
    "roleArn",
    "type",
    "input",
    "traceHeader",
    "maxResults",
    "nextToken",
    "statusFilter",
    "reverseOrder",
    "includeExecutionData",
    "includedData",
    "loggingConfiguration",
    "tracingConfiguration",
    "encryptionConfiguration",
    "tags",
    "publish",
    "error",
    "cause",
    "mapRunArn",
    "level",
    "destinations",
    "enabled",
    "key",
    "value",
];

fn member() -> impl Strategy<Value = String> {
    prop_oneof![4 => proptest::sample::select(MEMBERS).prop_map(str::to_owned), 1 => ".{0,12}"]
}

fn json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        (-2000i64..2000).prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        ".{0,20}".prop_map(Value::from),
        Just(Value::from("arn:aws:states:us-east-1:123456789012:stateMachine:m")),
        Just(Value::from("{\"a\": 1}")),
        proptest::sample::select(&["STANDARD", "EXPRESS", "RUNNING", "ALL_DATA", "OFF", "ALL"][..])
            .prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::vec((member(), inner), 0..6)
                .prop_map(|members| Value::Object(members.into_iter().collect::<Map<String, Value>>())),
        ]
    })
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        3 => json().prop_map(|value| value.to_string().into_bytes()),
        1 => proptest::collection::vec(any::<u8>(), 0..64),
        1 => ".{0,64}".prop_map(String::into_bytes),
    ]
}

fn target() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        6 => proptest::sample::select(&::api::ACTIONS[..]).prop_map(|action| Some(format!("AWSStepFunctions.{action}"))),
        1 => ".{0,30}".prop_map(Some),
        1 => Just(None),
    ]
}

fn content_type() -> impl Strategy<Value = Option<&'static str>> {
    proptest::sample::select(
        &[
            Some("application/x-amz-json-1.0"),
            Some("application/json"),
            Some("text/plain"),
            None,
        ][..],
    )
}

#[test]
fn nothing_panics() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let api: Arc<Api> = Arc::new(runtime.block_on(api()));
    let mut runner = TestRunner::new(crate::props::config(256));
    runner
        .run(&(target(), content_type(), body()), |(target, content_type, body)| {
            let mut request = Request::post("/");
            if let Some(target) = &target {
                request = request.header("x-amz-target", target.as_bytes());
            }
            if let Some(content_type) = content_type {
                request = request.header(header::CONTENT_TYPE, content_type);
            }
            let Ok(request) = request.body(Body::from(body)) else {
                return Ok(());
            };
            let reply = runtime.block_on(api.send(request));
            prop_assert!(
                [
                    StatusCode::OK,
                    StatusCode::BAD_REQUEST,
                    StatusCode::INTERNAL_SERVER_ERROR
                ]
                .contains(&reply.status),
                "{reply:?}"
            );
            prop_assert_eq!(&reply.content_type, "application/x-amz-json-1.0");
            if reply.status != StatusCode::OK {
                prop_assert!(!reply.code().is_empty(), "{:?}", reply);
                prop_assert!(reply.body["message"].is_string(), "{:?}", reply);
            }
            Ok(())
        })
        .unwrap();
}

/// `default_cases` cases unless `PROPTEST_CASES` says otherwise, and no regression files in the source tree.
fn config(default_cases: u32) -> proptest::test_runner::Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(default_cases);
    proptest::test_runner::Config {
        cases,
        failure_persistence: None,
        ..proptest::test_runner::Config::default()
    }
}
