//! A Map's ItemReader reading a manifest and then its files, call after call: the calls the engine asks for (which
//! object, with which parameters, and none past `MaxItems`), the items it makes of the answers (gzip and base64
//! included), and the failures that name the file and line.

use std::sync::Arc;

use base64::Engine as _;
use serde_json::{Value, json};

use asl::Failure;
use engine::{Command, Execution, Limits, Status, Trigger};

use crate::driver::{EPOCH_MS, info};

/// A distributed Map over `reader` whose iterations pass their item through.
fn machine(reader: Value, max_items: Option<u64>) -> Arc<asl::model::StateMachine> {
    let mut reader = reader;
    if let Some(max) = max_items {
        reader["ReaderConfig"]["MaxItems"] = json!(max);
    }
    let definition = json!({"StartAt": "Read", "States": {"Read": {"Type": "Map", "End": true, "ItemReader": reader,
        "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}, "StartAt": "P",
            "States": {"P": {"Type": "Pass", "End": true}}}}}});
    Arc::new(asl::parse::parse_value(&definition).expect("a valid definition"))
}

/// Runs the machine, answering each call by `answer` from its S3 action and parameters: the action and parameters of
/// every call, in order, and how the execution ended.
fn run_actions(machine: Arc<asl::model::StateMachine>, answer: impl Fn(&str, &Value) -> Result<Value, Failure>) -> (Vec<(String, Value)>, Status) {
    let mut execution = Execution::new(machine, info(), Limits::default());
    let mut calls = Vec::new();
    let mut pending = execution.apply(Trigger::Start { input: json!({}), now: EPOCH_MS });
    while let Some(command) = pending.pop() {
        if let Command::InvokeTask(request) = command {
            assert_eq!(request.state_name, "Read");
            let action = request.resource.strip_prefix("arn:aws:states:::s3:").expect("an S3 call").to_owned();
            let outcome = answer(&action, &request.parameters);
            calls.push((action, request.parameters));
            pending.extend(execution.apply(Trigger::TaskCompleted { task: request.task, outcome, now: EPOCH_MS }));
        }
    }
    (calls, execution.status().clone())
}

/// `run_actions` for a reader whose calls are all `getObject`: the parameters of every call.
fn run(machine: Arc<asl::model::StateMachine>, answer: impl Fn(&Value) -> Result<Value, Failure>) -> (Vec<Value>, Status) {
    let (calls, status) = run_actions(machine, |action, parameters| {
        assert_eq!(action, "getObject");
        answer(parameters)
    });
    (calls.into_iter().map(|(_, parameters)| parameters).collect(), status)
}

/// `text` as a gzip file: one member, deflated by `miniz_oxide`, with its CRC-32 and length.
fn gzip(text: &str) -> Vec<u8> {
    let crc = !text.bytes().fold(!0_u32, |mut crc, byte| {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { 0xedb8_8320 ^ (crc >> 1) } else { crc >> 1 };
        }
        crc
    });
    let mut file = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3];
    file.extend(miniz_oxide::deflate::compress_to_vec(text.as_bytes(), 6));
    file.extend_from_slice(&crc.to_le_bytes());
    file.extend_from_slice(&u32::try_from(text.len()).expect("a small file").to_le_bytes());
    file
}

/// An answer as the ItemReader's `s3:getObject` gives a binary object: base64, marked.
fn binary(bytes: &[u8]) -> Value {
    json!({"Body": base64::engine::general_purpose::STANDARD.encode(bytes), "BatonBodyEncoding": "base64"})
}

fn no_such_key(parameters: &Value) -> Result<Value, Failure> {
    Err(Failure::new("S3.NoSuchKeyException", format!("The specified key does not exist. (Key: {})", parameters["Key"])))
}

fn output(status: &Status) -> &Value {
    match status {
        Status::Succeeded { output } => output,
        other => panic!("the execution did not succeed: {other:?}"),
    }
}

fn failure(status: &Status) -> (String, String) {
    match status {
        Status::Failed(details) => (details.error.clone().unwrap_or_default(), details.cause.clone().unwrap_or_default()),
        other => panic!("the execution did not fail: {other:?}"),
    }
}

const MANIFEST: &str = r#"{"sourceBucket": "photos", "destinationBucket": "arn:aws:s3:::inventories", "version": "2016-11-30",
    "fileFormat": "CSV", "fileSchema": "Bucket, Key, Size, LastModifiedDate",
    "files": [{"key": "photos/all/data/one.csv.gz", "size": 60, "MD5checksum": "x"},
              {"key": "photos/all/data/two.csv.gz", "size": 60, "MD5checksum": "y"}]}"#;

fn inventory(config: Value) -> Value {
    json!({"Resource": "arn:aws:states:::s3:getObject", "ReaderConfig": config,
        "Parameters": {"Bucket": "manifests", "Key": "photos/all/2024-01-01T00-00Z/manifest.json", "ExpectedBucketOwner": "111122223333"}})
}

fn inventory_files(parameters: &Value) -> Result<Value, Failure> {
    match parameters["Key"].as_str() {
        Some("photos/all/2024-01-01T00-00Z/manifest.json") => Ok(json!({"Body": MANIFEST})),
        Some("photos/all/data/one.csv.gz") => Ok(binary(&gzip("\"photos\",\"a.jpg\",\"10\",\"2024-01-01T00:00:00.000Z\"\n\"photos\",\"b.jpg\",\"20\",\"2024-01-01T00:00:01.000Z\"\n"))),
        Some("photos/all/data/two.csv.gz") => Ok(binary(&gzip("\"photos\",\"c.jpg\",\"30\",\"2024-01-01T00:00:02.000Z\"\n"))),
        _ => no_such_key(parameters),
    }
}

#[test]
fn an_s3_inventory_is_read_file_after_file() {
    for config in [json!({"InputType": "MANIFEST"}), json!({"ManifestType": "S3_INVENTORY"})] {
        let (calls, status) = run(machine(inventory(config), None), inventory_files);
        let data = |key: &str| json!({"Bucket": "inventories", "Key": key, "ExpectedBucketOwner": "111122223333"});
        assert_eq!(
            calls,
            [
                json!({"Bucket": "manifests", "Key": "photos/all/2024-01-01T00-00Z/manifest.json", "ExpectedBucketOwner": "111122223333"}),
                data("photos/all/data/one.csv.gz"),
                data("photos/all/data/two.csv.gz"),
            ]
        );
        let item = |key: &str, size: &str, at: &str| json!({"Bucket": "photos", "Key": key, "Size": size, "LastModifiedDate": at});
        assert_eq!(
            output(&status),
            &json!([
                item("a.jpg", "10", "2024-01-01T00:00:00.000Z"),
                item("b.jpg", "20", "2024-01-01T00:00:01.000Z"),
                item("c.jpg", "30", "2024-01-01T00:00:02.000Z")
            ])
        );
    }
}

#[test]
fn max_items_stops_before_the_files_past_it() {
    for max in [1, 2] {
        let (calls, status) = run(machine(inventory(json!({"InputType": "MANIFEST"})), Some(max)), inventory_files);
        assert_eq!(calls.len(), 2, "the second file is not asked for: {calls:?}");
        assert_eq!(output(&status).as_array().map(Vec::len), Some(usize::try_from(max).expect("small")));
    }
    let (calls, status) = run(machine(inventory(json!({"InputType": "MANIFEST"})), Some(3)), inventory_files);
    assert_eq!((calls.len(), output(&status).as_array().map(Vec::len)), (3, Some(3)));
}

#[test]
fn an_athena_manifest_reads_each_file_per_input_type() {
    let athena = |input_type: &str, extra: Value| {
        let mut config = json!({"ManifestType": "ATHENA_DATA", "InputType": input_type});
        for (key, value) in extra.as_object().into_iter().flatten() {
            config[key] = value.clone();
        }
        json!({"Resource": "arn:aws:states:::s3:getObject", "ReaderConfig": config,
            "Parameters": {"Bucket": "results", "Key": "unload/q1-manifest.csv", "VersionId": "v1"}})
    };
    let manifest = "s3://results/unload/q1_0\ns3://results/unload/q1_1.gz\n";
    let files = |rows: [&'static str; 2]| {
        move |parameters: &Value| match parameters["Key"].as_str() {
            Some("unload/q1-manifest.csv") => Ok(json!({"Body": manifest})),
            Some("unload/q1_0") => Ok(json!({"Body": rows[0]})),
            Some("unload/q1_1.gz") => Ok(binary(&gzip(rows[1]))),
            _ => no_such_key(parameters),
        }
    };
    let (calls, status) = run(machine(athena("JSONL", json!({})), None), files(["{\"id\": 1}\n{\"id\": 2}\n", "{\"id\": 3}\n"]));
    // The manifest's VersionId is its own: the files are read without it.
    assert_eq!(
        calls,
        [
            json!({"Bucket": "results", "Key": "unload/q1-manifest.csv", "VersionId": "v1"}),
            json!({"Bucket": "results", "Key": "unload/q1_0"}),
            json!({"Bucket": "results", "Key": "unload/q1_1.gz"})
        ]
    );
    assert_eq!(output(&status), &json!([{"id": 1}, {"id": 2}, {"id": 3}]));

    let given = json!({"CSVHeaderLocation": "GIVEN", "CSVHeaders": ["id", "name"]});
    let (_, status) = run(machine(athena("CSV", given), None), files(["1,ada\n2,bob\n", "3,\"cy, jr\"\n"]));
    assert_eq!(output(&status), &json!([{"id": "1", "name": "ada"}, {"id": "2", "name": "bob"}, {"id": "3", "name": "cy, jr"}]));

    let (calls, status) = run(machine(athena("PARQUET", json!({})), None), files(["PAR1", "PAR1"]));
    assert_eq!(calls.len(), 2);
    assert_eq!(
        failure(&status),
        (
            "States.ItemReaderFailed".to_owned(),
            "An error occurred while executing the state 'Read' (entered at the event id #2). s3://results/unload/q1_0: not a Parquet file: 4 bytes are too few".to_owned()
        )
    );
}

#[test]
fn failures_name_the_file_and_the_line() {
    let cause = |status: &Status| {
        let (error, cause) = failure(status);
        assert_eq!(error, "States.ItemReaderFailed");
        cause.trim_start_matches("An error occurred while executing the state 'Read' (entered at the event id #2). ").to_owned()
    };
    let reader = inventory(json!({"InputType": "MANIFEST"}));
    let (calls, status) = run(machine(reader.clone(), None), |parameters| match parameters["Key"].as_str() {
        Some("photos/all/data/one.csv.gz") => no_such_key(parameters),
        _ => inventory_files(parameters),
    });
    assert_eq!(calls.len(), 2);
    assert_eq!(
        cause(&status),
        "s3://inventories/photos/all/data/one.csv.gz: S3.NoSuchKeyException: The specified key does not exist. (Key: \"photos/all/data/one.csv.gz\")"
    );
    let (_, status) = run(machine(reader.clone(), None), |parameters| match parameters["Key"].as_str() {
        Some("photos/all/data/two.csv.gz") => Ok(json!({"Body": "\"photos\",\"d.jpg\n"})),
        _ => inventory_files(parameters),
    });
    assert_eq!(cause(&status), "s3://inventories/photos/all/data/two.csv.gz: line 1: the quoted field that starts there is not closed");
    let (_, status) = run(machine(reader.clone(), None), |parameters| match parameters["Key"].as_str() {
        Some("photos/all/data/one.csv.gz") => Ok(binary(&gzip("x")[..12])),
        _ => inventory_files(parameters),
    });
    assert_eq!(cause(&status), "s3://inventories/photos/all/data/one.csv.gz: the gzip data ends early");
    let (calls, status) = run(machine(reader, None), |_| Ok(json!({"Body": "{\"fileFormat\": \"Parquet\", \"fileSchema\": \"Bucket, Key\", \"files\": []}"})));
    assert_eq!(calls.len(), 1);
    assert_eq!(
        cause(&status),
        "s3://manifests/photos/all/2024-01-01T00-00Z/manifest.json: the S3 inventory's fileFormat is \"Parquet\"; Step Functions reads CSV inventories only"
    );

    let lines = json!({"Resource": "arn:aws:states:::s3:getObject", "ReaderConfig": {"ManifestType": "ATHENA_DATA", "InputType": "JSONL"},
        "Parameters": {"Bucket": "results", "Key": "m.csv"}});
    let (_, status) = run(machine(lines.clone(), None), |parameters| match parameters["Key"].as_str() {
        Some("m.csv") => Ok(json!({"Body": "s3://results/a\n"})),
        _ => Ok(json!({"Body": "{\"id\": 1}\n{\"id\": \n"})),
    });
    assert!(cause(&status).starts_with("s3://results/a: line 2 is not valid JSON: "), "{status:?}");
    let (_, status) = run(machine(lines, None), |_| Ok(json!({"Body": "results/a\n"})));
    assert_eq!(cause(&status), "s3://results/m.csv: line 1 of the Athena manifest is not the S3 URI of a file: results/a");

    // An empty manifest starts the Map over no items.
    let (_, status) = run(machine(inventory(json!({"InputType": "MANIFEST"})), None), |_| {
        Ok(json!({"Body": "{\"fileSchema\": \"Bucket, Key\", \"files\": []}"}))
    });
    assert_eq!(output(&status), &json!([]));
}

/// `Transformation: LOAD_AND_FLATTEN`: each page of the listing, then each object on it (folders skipped), per
/// `InputType`; the next page after them; nothing past `MaxItems`.
#[test]
fn load_and_flatten_reads_each_listed_object_page_after_page() {
    let reader = json!({"Resource": "arn:aws:states:::s3:listObjectsV2",
        "ReaderConfig": {"InputType": "JSONL", "Transformation": "LOAD_AND_FLATTEN"},
        "Parameters": {"Bucket": "logs", "Prefix": "2024/"}});
    let listed = |keys: &[&str], token: Option<&str>| {
        let contents: Vec<Value> = keys.iter().map(|key| json!({"Key": key, "Size": 1, "ETag": "\"e\"", "StorageClass": "STANDARD"})).collect();
        match token {
            Some(token) => json!({"Contents": contents, "IsTruncated": true, "NextContinuationToken": token}),
            None => json!({"Contents": contents, "IsTruncated": false}),
        }
    };
    let answer = |action: &str, parameters: &Value| match (action, parameters.get("ContinuationToken").and_then(Value::as_str), parameters["Key"].as_str()) {
        ("listObjectsV2", None, _) => Ok(listed(&["2024/", "2024/01.jsonl", "2024/02.jsonl.gz"], Some("t2"))),
        ("listObjectsV2", Some("t2"), _) => Ok(listed(&["2024/03.jsonl"], None)),
        ("getObject", _, Some("2024/01.jsonl")) => Ok(json!({"Body": "{\"n\": 1}\n{\"n\": 2}\n"})),
        ("getObject", _, Some("2024/02.jsonl.gz")) => Ok(binary(&gzip("{\"n\": 3}\n"))),
        ("getObject", _, Some("2024/03.jsonl")) => Ok(json!({"Body": "{\"n\": 4}\n"})),
        _ => no_such_key(parameters),
    };
    let (calls, status) = run_actions(machine(reader.clone(), None), answer);
    let get = |key: &str| ("getObject".to_owned(), json!({"Bucket": "logs", "Key": key}));
    assert_eq!(
        calls,
        [
            ("listObjectsV2".to_owned(), json!({"Bucket": "logs", "Prefix": "2024/"})),
            get("2024/01.jsonl"),
            get("2024/02.jsonl.gz"),
            ("listObjectsV2".to_owned(), json!({"Bucket": "logs", "Prefix": "2024/", "ContinuationToken": "t2"})),
            get("2024/03.jsonl"),
        ]
    );
    assert_eq!(output(&status), &json!([{"n": 1}, {"n": 2}, {"n": 3}, {"n": 4}]));
    let (calls, status) = run_actions(machine(reader, Some(2)), answer);
    assert_eq!(calls.len(), 2, "neither the second object nor the next page is asked for: {calls:?}");
    assert_eq!(output(&status), &json!([{"n": 1}, {"n": 2}]));
}
