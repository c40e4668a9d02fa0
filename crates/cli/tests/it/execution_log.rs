//! `baton serve --execution-log FILE`: each machine's `loggingConfiguration` decides which history events of its
//! executions are written, one JSON line each in the record shape CloudWatch Logs receives from Step Functions.

use std::path::Path;
use std::time::{Duration, Instant};

use aws_sdk_sfn::types::{CloudWatchLogsLogGroup, HistoryEvent, LogDestination, LogLevel, LoggingConfiguration, StateMachineType};
use serde_json::{Value, json};

use crate::aws_services::Moto;
use crate::serve::{Server, create_logged, data_dir, finished, history, start};

const ROLE: &str = "arn:aws:iam::123456789012:role/baton";
const GROUP: &str = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/vendedlogs/states/baton:*";

fn logging(level: LogLevel, include_data: bool) -> LoggingConfiguration {
    let group = CloudWatchLogsLogGroup::builder().log_group_arn(GROUP).build();
    LoggingConfiguration::builder()
        .level(level)
        .include_execution_data(include_data)
        .destinations(LogDestination::builder().cloud_watch_logs_log_group(group).build())
        .build()
}

/// The records of the log so far: its complete lines (the writer may be half-way through one, as a reader tailing
/// a log sees it).
fn records(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let complete = text.rfind('\n').map_or("", |end| &text[..end]);
    complete.lines().map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("not a JSON line ({e}): {line}"))).collect()
}

/// The records of one execution.
fn of(records: &[Value], execution: &str) -> Vec<Value> {
    records.iter().filter(|record| record["execution_arn"] == execution).cloned().collect()
}

/// Waits until the log holds a record of `execution` of type `kind`.
fn wait_for(path: &Path, execution: &str, kind: &str) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let all = records(path);
        if of(&all, execution).iter().any(|record| record["type"] == kind) {
            return all;
        }
        assert!(Instant::now() < deadline, "no {kind} of {execution} in the log: {all:#?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// `record` is AWS's shape for `event` of `execution`: its fields in order, numbers as strings, and the details of
/// the history event (without input and output unless `include_data`).
#[track_caller]
fn same_event(record: &Value, event: &HistoryEvent, execution: &str, include_data: bool) {
    let fields: Vec<&str> = record.as_object().expect("an object").keys().map(String::as_str).collect();
    assert_eq!(fields, ["id", "type", "details", "previous_event_id", "event_timestamp", "execution_arn", "redrive_count"]);
    assert_eq!(record["id"], event.id.to_string());
    assert_eq!(record["type"], event.r#type.as_str());
    assert_eq!(record["previous_event_id"], event.previous_event_id.to_string());
    // The wire's timestamp is in seconds with a fraction, which the SDK reads a hair under the millisecond.
    let millis = event.timestamp.secs() * 1000 + i64::from((event.timestamp.subsec_nanos() + 500_000) / 1_000_000);
    assert_eq!(record["event_timestamp"], millis.to_string());
    assert_eq!(record["execution_arn"], execution);
    assert_eq!(record["redrive_count"], "0");
    let details = record["details"].as_object().expect("details");
    for data in ["input", "inputDetails", "output", "outputDetails"] {
        if !include_data {
            assert!(!details.contains_key(data), "{data} in {record}");
        }
    }
}

fn choice() -> Value {
    json!({"StartAt": "Check", "States": {
        "Check": {"Type": "Choice", "Choices": [{"Variable": "$.ok", "BooleanEquals": true, "Next": "Done"}], "Default": "Bad"},
        "Done": {"Type": "Succeed"},
        "Bad": {"Type": "Fail", "Error": "Order.Rejected", "Cause": "not ok"}}})
}

/// With level ERROR only the failure events are logged, in AWS's record shape; ALL without execution data logs every
/// event without inputs and outputs; OFF logs nothing until an update turns it on; an Express execution is logged.
#[tokio::test(flavor = "multi_thread")]
async fn the_logging_configuration_selects_what_is_written() {
    let dir = data_dir();
    let log = dir.path().join("executions.log");
    let args = ["--execution-log", log.to_str().expect("utf-8 path"), "--no-execution-log-to-cloudwatch"];
    let server = Server::start_with(&dir.path().join("data"), &args);
    let client = server.client();

    // What AWS refuses.
    let refused = client
        .create_state_machine()
        .name("nowhere")
        .definition(choice().to_string())
        .role_arn(ROLE)
        .logging_configuration(LoggingConfiguration::builder().level(LogLevel::All).build())
        .send()
        .await
        .expect_err("a level without a destination");
    assert_eq!(refused.as_service_error().and_then(|e| e.meta().code()), Some("InvalidLoggingConfiguration"), "{refused:?}");
    let bare = CloudWatchLogsLogGroup::builder().log_group_arn(GROUP.trim_end_matches(":*")).build();
    let refused = client
        .create_state_machine()
        .name("nowhere")
        .definition(choice().to_string())
        .role_arn(ROLE)
        .logging_configuration(
            LoggingConfiguration::builder()
                .level(LogLevel::Error)
                .destinations(LogDestination::builder().cloud_watch_logs_log_group(bare).build())
                .build(),
        )
        .send()
        .await
        .expect_err("a log group ARN without :*");
    assert_eq!(refused.as_service_error().and_then(|e| e.meta().code()), Some("InvalidLoggingConfiguration"), "{refused:?}");

    let errors = create_logged(&client, "errors", &choice(), StateMachineType::Standard, Some(logging(LogLevel::Error, true))).await;
    let everything = create_logged(&client, "everything", &choice(), StateMachineType::Standard, Some(logging(LogLevel::All, false))).await;
    let silent = create_logged(&client, "silent", &choice(), StateMachineType::Standard, None).await;
    let express = create_logged(&client, "quick", &choice(), StateMachineType::Express, Some(logging(LogLevel::All, true))).await;

    let mut runs = Vec::new();
    for machine in [&errors, &everything, &silent] {
        for ok in [false, true] {
            let name = if ok { "good" } else { "bad" };
            let arn = start(&client, machine, name, &json!({"ok": ok})).await;
            finished(&client, &arn, Duration::from_secs(30)).await;
            runs.push((machine.clone(), ok, arn));
        }
    }
    let quick = start(&client, &express, "quick", &json!({"ok": true})).await;
    let all = wait_for(&log, &quick, "ExecutionSucceeded");

    for (machine, ok, arn) in &runs {
        let events = history(&client, arn, 100).await;
        let logged = of(&all, arn);
        if machine == &errors {
            if *ok {
                assert_eq!(logged, Vec::<Value>::new(), "a success logs nothing at ERROR");
                continue;
            }
            let kinds: Vec<&str> = logged.iter().filter_map(|record| record["type"].as_str()).collect();
            assert_eq!(kinds, ["FailStateEntered", "ExecutionFailed"]);
            for record in &logged {
                let id: i64 = record["id"].as_str().and_then(|id| id.parse().ok()).expect("an id");
                let event = events.iter().find(|event| event.id == id).expect("the logged event is in the history");
                same_event(record, event, arn, true);
            }
            assert_eq!(logged[0]["details"], json!({"name": "Bad", "input": "{\"ok\":false}", "inputDetails": {"truncated": false}}));
            assert_eq!(logged[1]["details"], json!({"error": "Order.Rejected", "cause": "not ok"}));
        } else if machine == &everything {
            assert_eq!(logged.len(), events.len(), "every event of {arn}: {logged:#?}");
            for (record, event) in logged.iter().zip(&events) {
                same_event(record, event, arn, false);
            }
            assert_eq!(logged[0]["details"], json!({"roleArn": ROLE}));
        } else {
            assert_eq!(logged, Vec::<Value>::new(), "OFF logs nothing");
        }
    }
    let quick_records = of(&all, &quick);
    assert!(quick.contains(":express:quick:"), "{quick}");
    let kinds: Vec<&str> = quick_records.iter().filter_map(|record| record["type"].as_str()).collect();
    assert_eq!(kinds, ["ExecutionStarted", "ChoiceStateEntered", "ChoiceStateExited", "SucceedStateEntered", "SucceedStateExited", "ExecutionSucceeded"]);
    assert_eq!(quick_records[0]["details"]["input"], "{\"ok\":true}");
    assert_eq!(quick_records[0]["id"], "1");

    // An update reaches the next execution: FATAL logs the execution's failure only.
    client
        .update_state_machine()
        .state_machine_arn(&silent)
        .logging_configuration(logging(LogLevel::Fatal, false))
        .send()
        .await
        .expect("update_state_machine");
    let later = start(&client, &silent, "later", &json!({"ok": false})).await;
    let all = wait_for(&log, &later, "ExecutionFailed");
    let kinds: Vec<Value> = of(&all, &later).iter().map(|record| record["type"].clone()).collect();
    assert_eq!(kinds, ["ExecutionFailed"]);
}

/// An execution resumed after a crash logs by its machine's configuration, which the restarted server has not seen
/// until then (it reads it from the store).
#[tokio::test(flavor = "multi_thread")]
async fn a_resumed_execution_is_logged_by_its_machines_configuration() {
    let dir = data_dir();
    let data = dir.path().join("data");
    let log = dir.path().join("executions.log");
    let args = ["--execution-log", log.to_str().expect("utf-8 path"), "--park-after-ms", "0", "--no-execution-log-to-cloudwatch"];
    let mut server = Server::start_with(&data, &args);
    let client = server.client();
    let definition = json!({"StartAt": "Pause", "States": {
        "Pause": {"Type": "Wait", "Seconds": 2, "Next": "Bad"},
        "Bad": {"Type": "Fail", "Error": "Late"}}});
    let machine = create_logged(&client, "late", &definition, StateMachineType::Standard, Some(logging(LogLevel::Error, false))).await;
    let arn = start(&client, &machine, "late", &json!({})).await;
    server.kill();

    let server = Server::start_with(&data, &args);
    assert_eq!(server.resumed, 1);
    let client = server.client();
    finished(&client, &arn, Duration::from_secs(30)).await;
    let all = wait_for(&log, &arn, "ExecutionFailed");
    let events = history(&client, &arn, 100).await;
    let logged = of(&all, &arn);
    let kinds: Vec<&str> = logged.iter().filter_map(|record| record["type"].as_str()).collect();
    assert_eq!(kinds, ["FailStateEntered", "ExecutionFailed"]);
    for record in &logged {
        let id: i64 = record["id"].as_str().and_then(|id| id.parse().ok()).expect("an id");
        let event = events.iter().find(|event| event.id == id).expect("the logged event is in the history");
        same_event(record, event, &arn, false);
    }
}

/// By default the records also go to the log group the configuration names (moto's
/// CloudWatch Logs), in a stream named as Step Functions names its streams, the same records as the file's.
#[test]
fn records_go_to_the_configurations_log_group_too() {
    let Some(moto) = Moto::start() else { return };
    let group = "/aws/vendedlogs/states/baton";
    if moto.boto3(&format!("client('logs').create_log_group(logGroupName='{group}')\nprint('{{}}')")).is_none() {
        return;
    }
    let dir = data_dir();
    let log = dir.path().join("executions.log");
    let (server, _data) = moto.serve(&["--execution-log", log.to_str().expect("utf-8 path")]);
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    let arn = runtime.block_on(async {
        let client = server.client();
        let machine = create_logged(&client, "errors", &choice(), StateMachineType::Standard, Some(logging(LogLevel::Error, true))).await;
        let arn = start(&client, &machine, "bad", &json!({"ok": false})).await;
        finished(&client, &arn, Duration::from_secs(30)).await;
        arn
    });
    let written = of(&wait_for(&log, &arn, "ExecutionFailed"), &arn);
    assert_eq!(written.len(), 2);

    let read = format!(
        "logs = client('logs')\n\
         streams = logs.describe_log_streams(logGroupName='{group}')['logStreams']\n\
         print(json.dumps([[s['logStreamName'], [e['message'] for e in logs.get_log_events(logGroupName='{group}', \
         logStreamName=s['logStreamName'], startFromHead=True)['events']]] for s in streams]))"
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    let (stream, messages) = loop {
        let streams = moto.boto3(&read).expect("boto3");
        let found = streams.as_array().and_then(|streams| streams.iter().find(|s| s[1].as_array().is_some_and(|m| m.len() == 2)));
        if let Some(found) = found {
            break (found[0].as_str().expect("a name").to_owned(), found[1].clone());
        }
        assert!(Instant::now() < deadline, "no records in the log group: {streams}");
        std::thread::sleep(Duration::from_millis(200));
    };
    // states/<machine>/<YYYY-MM-DD-HH-MM>/<8 hex digits>
    let parts: Vec<&str> = stream.split('/').collect();
    assert_eq!(parts.len(), 4, "{stream}");
    assert_eq!(&parts[..2], ["states", "errors"]);
    assert_eq!(parts[2].len(), 16, "{stream}");
    assert!(parts[3].len() == 8 && parts[3].chars().all(|c| c.is_ascii_hexdigit()), "{stream}");
    let sent: Vec<Value> = messages
        .as_array()
        .expect("messages")
        .iter()
        .map(|m| serde_json::from_str(m.as_str().expect("a message")).expect("a JSON record"))
        .collect();
    assert_eq!(sent, written);
}
