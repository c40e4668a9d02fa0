//! `build` and `parse` never panic: on arbitrary JSON parameters (built from the members' own names, so that they
//! reach deep into the shapes), on arbitrary response bytes, and for every operation of every embedded model.

use proptest::prelude::*;
use serde_json::{Map, Value};

use crate::protocol::tests::{TOKEN, owned, service};
use crate::protocol::{Response, build, parse};

/// The operations the properties drive, one or two per protocol.
const OPERATIONS: &[(&str, &str)] = &[
    ("dynamodb", "PutItem"),
    ("sqs", "SendMessage"),
    ("lambda", "Invoke"),
    ("apigateway", "UpdateRestApi"),
    ("s3", "PutObject"),
    ("s3", "ListObjectsV2"),
    ("s3", "DeleteObjects"),
    ("sns", "Publish"),
    ("sts", "AssumeRole"),
    ("ec2", "DescribeInstances"),
];

/// Keys the generated objects use: member names of the operations above, and some strangers.
const KEYS: &[&str] = &[
    "TableName", "Item", "S", "N", "B", "M", "L", "SS", "NULL", "BOOL", "Bucket", "Key", "Body", "Metadata", "Delete",
    "Objects", "Quiet", "Filters", "Name", "Values", "InstanceIds", "MessageAttributes", "DataType", "StringValue",
    "BinaryValue", "QueueUrl", "MessageBody", "DelaySeconds", "FunctionName", "Payload", "RestApiId", "PatchOperations",
    "Op", "RoleArn", "RoleSessionName", "Tags", "Value", "Expires", "MaxKeys", "x", "",
];

/// Arbitrary JSON, with object keys drawn from `KEYS`.
fn json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        ".{0,12}".prop_map(Value::String),
        Just(Value::String("2026-12-02T10:00:00Z".to_owned())),
        Just(Value::String("dGVzdA==".to_owned())),
    ];
    leaf.prop_recursive(6, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((prop::sample::select(KEYS), inner), 0..6)
                .prop_map(|entries| Value::Object(entries.into_iter().map(|(k, v)| (k.to_owned(), v)).collect::<Map<_, _>>())),
        ]
    })
}

proptest! {
    #[test]
    fn build_never_panics(which in 0..OPERATIONS.len(), input in json()) {
        let (name, action) = OPERATIONS[which];
        let service = service(name);
        let operation = service.model.operation(action).expect("operation");
        let _ = build(&service, operation, &input, TOKEN);
    }

    #[test]
    fn parse_never_panics(which in 0..OPERATIONS.len(), status in prop_oneof![Just(200u16), Just(404u16), 0u16..600], body in prop::collection::vec(any::<u8>(), 0..256)) {
        let (name, action) = OPERATIONS[which];
        let service = service(name);
        let operation = service.model.operation(action).expect("operation");
        let headers = owned(&[("x-amzn-ErrorType", "X:y"), ("Content-Length", "abc"), ("x-amz-meta-", "")]);
        let _ = parse(&service, operation, &Response { status, headers: &headers, body: &body });
    }

    #[test]
    fn parse_never_panics_on_xml_like_bodies(which in 0..OPERATIONS.len(), status in prop_oneof![Just(200u16), Just(400u16)], body in "(<[A-Za-z]{1,6}( a=\"[^\"]{0,4}\")?>|</[A-Za-z]{1,6}>|<[A-Za-z]{1,3}/>|&amp;|&#x41;|&bad;|[a-z0-9 ]{0,5}){0,24}") {
        let (name, action) = OPERATIONS[which];
        let service = service(name);
        let operation = service.model.operation(action).expect("operation");
        let _ = parse(&service, operation, &Response { status, headers: &[], body: body.as_bytes() });
    }
}

/// Every operation of every model builds from empty parameters (or says why not) and parses empty, JSON, XML and
/// error responses without panicking.
#[test]
fn every_operation_of_every_model_builds_and_parses() {
    let bodies: [&[u8]; 4] = [b"", b"{}", b"<R><A>1</A></R>", b"<Error><Code>C</Code></Error>"];
    for name in crate::service_names() {
        let service = service(name);
        for operation in service.model.operations.values() {
            let _ = build(&service, operation, &Value::Object(Map::new()), TOKEN);
            for status in [200, 400] {
                for body in bodies {
                    let _ = parse(&service, operation, &Response { status, headers: &[], body });
                }
            }
        }
    }
}
