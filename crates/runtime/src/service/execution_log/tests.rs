//! Level selection, configuration checks and the record shape, per family of events.

use engine::{ErrorDetails, EventDetails, HistoryEvent, TaskScheduled};
use serde_json::{Value, json};

use super::{Level, Logging, MAX_ESCAPED_DATA, check, record};
use crate::service::Error;

const ARN: &str = "arn:aws:states:us-east-1:123456789012:execution:m:e";

fn error(name: &str) -> ErrorDetails {
    ErrorDetails { error: Some(name.to_owned()), cause: Some(format!("{name} happened")) }
}

fn event(id: u64, details: EventDetails) -> HistoryEvent {
    HistoryEvent { id, previous_event_id: id - 1, timestamp: 1_717_698_224_000 + id as i64, details }
}

fn parsed(line: &str) -> Value {
    serde_json::from_str(line).expect("a record is JSON")
}

/// One event of each family AWS's table names, with the levels that log it.
fn families() -> Vec<(EventDetails, &'static [Level])> {
    use Level::{All, Error, Fatal};
    let state = |state_type| EventDetails::StateEntered { state_type, name: "S".into(), input: "{}".into() };
    let task = || ("lambda".to_owned(), "invoke".to_owned());
    vec![
        (EventDetails::ExecutionStarted { input: "{}".into(), role_arn: "r".into(), state_machine_arn: "m".into(), version_arn: None, alias_arn: None }, &[All]),
        (EventDetails::ExecutionSucceeded { output: "{}".into() }, &[All]),
        (EventDetails::ExecutionFailed(error("E")), &[All, Error, Fatal]),
        (EventDetails::ExecutionAborted(ErrorDetails::default()), &[All, Error, Fatal]),
        (EventDetails::ExecutionTimedOut(error("States.Timeout")), &[All, Error, Fatal]),
        (EventDetails::ExecutionRedriven { redrive_count: 1 }, &[All]),
        (state("Pass"), &[All]),
        (state("Task"), &[All]),
        (state("Choice"), &[All]),
        (state("Fail"), &[All, Error]),
        (EventDetails::StateExited { state_type: "Pass", name: "S".into(), output: "{}".into(), assigned: None }, &[All]),
        (EventDetails::StateAborted { state_type: "Wait", name: "S".into() }, &[All, Error]),
        (EventDetails::TaskStarted { resource_type: task().0, resource: task().1 }, &[All]),
        (EventDetails::TaskSucceeded { resource_type: task().0, resource: task().1, output: "{}".into() }, &[All]),
        (EventDetails::TaskFailed { resource_type: task().0, resource: task().1, error: error("E") }, &[All, Error]),
        (EventDetails::TaskTimedOut { resource_type: task().0, resource: task().1, error: error("States.Timeout") }, &[All, Error]),
        (EventDetails::LambdaFunctionSucceeded { output: "{}".into() }, &[All]),
        (EventDetails::LambdaFunctionFailed(error("E")), &[All, Error]),
        (EventDetails::LambdaFunctionTimedOut(error("E")), &[All, Error]),
        (EventDetails::ActivityFailed(error("E")), &[All, Error]),
        (EventDetails::ParallelStateStarted, &[All]),
        (EventDetails::ParallelStateFailed, &[All, Error]),
        (EventDetails::ParallelStateAborted, &[All, Error]),
        (EventDetails::MapStateSucceeded, &[All]),
        (EventDetails::MapStateFailed, &[All, Error]),
        (EventDetails::MapStateAborted, &[All, Error]),
        (EventDetails::MapIterationStarted { name: "M".into(), index: 0 }, &[All]),
        (EventDetails::MapIterationFailed { name: "M".into(), index: 0 }, &[All, Error]),
        (EventDetails::MapIterationAborted { name: "M".into(), index: 0 }, &[All, Error]),
        (EventDetails::MapRunFailed(error("E")), &[All, Error]),
        (EventDetails::MapRunSucceeded, &[All]),
        (EventDetails::EvaluationFailed { error: error("States.QueryEvaluationError"), location: None, state: "S".into() }, &[All, Error]),
    ]
}

#[test]
fn each_level_selects_the_events_of_awss_table() {
    for (details, levels) in families() {
        for level in [Level::All, Level::Error, Level::Fatal, Level::Off] {
            assert_eq!(level.selects(&details), levels.contains(&level), "{level:?} and {}", details.event_type());
        }
    }
}

#[test]
fn a_record_has_awss_fields_in_order_with_numbers_as_strings() {
    let failed = HistoryEvent { id: 3, previous_event_id: 2, timestamp: 1_592_353_233_476, details: EventDetails::ExecutionFailed(error("SomeFailure")) };
    let line = record(ARN, 2, true, &failed);
    assert_eq!(
        line,
        r#"{"id":"3","type":"ExecutionFailed","details":{"error":"SomeFailure","cause":"SomeFailure happened"},"previous_event_id":"2","event_timestamp":"1592353233476","execution_arn":"arn:aws:states:us-east-1:123456789012:execution:m:e","redrive_count":"2"}"#
    );
    assert!(!line.contains('\n'));
}

#[test]
fn details_are_the_histories_event_details_with_data_only_when_included() {
    let started = event(1, EventDetails::ExecutionStarted {
        input: r#"{"a":1}"#.into(),
        role_arn: "arn:aws:iam::123456789012:role/r".into(),
        state_machine_arn: "m".into(),
        version_arn: None,
        alias_arn: None,
    });
    let with = parsed(&record(ARN, 0, true, &started));
    assert_eq!(with["details"], json!({"input": "{\"a\":1}", "inputDetails": {"truncated": false}, "roleArn": "arn:aws:iam::123456789012:role/r"}));
    let without = parsed(&record(ARN, 0, false, &started));
    assert_eq!(without["details"], json!({"roleArn": "arn:aws:iam::123456789012:role/r"}));

    let entered = event(2, EventDetails::StateEntered { state_type: "Fail", name: "Boom".into(), input: "{}".into() });
    assert_eq!(parsed(&record(ARN, 0, true, &entered))["details"], json!({"name": "Boom", "input": "{}", "inputDetails": {"truncated": false}}));
    assert_eq!(parsed(&record(ARN, 0, false, &entered))["details"], json!({"name": "Boom"}));
    assert_eq!(parsed(&record(ARN, 0, false, &entered))["type"], "FailStateEntered");

    // What AWS writes for a success without data: the details, emptied.
    let succeeded = event(4, EventDetails::ExecutionSucceeded { output: "{}".into() });
    assert_eq!(parsed(&record(ARN, 0, false, &succeeded))["details"], json!({}));
    assert_eq!(parsed(&record(ARN, 0, true, &succeeded))["details"], json!({"output": "{}", "outputDetails": {"truncated": false}}));

    // Errors and causes are not execution data.
    let task = event(5, EventDetails::TaskFailed { resource_type: "lambda".into(), resource: "invoke".into(), error: error("E") });
    assert_eq!(
        parsed(&record(ARN, 0, false, &task))["details"],
        json!({"error": "E", "cause": "E happened", "resourceType": "lambda", "resource": "invoke"})
    );
    let scheduled = event(6, EventDetails::TaskScheduled(TaskScheduled {
        resource_type: "lambda".into(),
        resource: "invoke".into(),
        region: "us-east-1".into(),
        parameters: "{}".into(),
        timeout_in_seconds: None,
        heartbeat_in_seconds: None,
        role_arn: None,
    }));
    assert_eq!(parsed(&record(ARN, 0, false, &scheduled))["details"]["parameters"], "{}");

    // An event without details has empty ones.
    let parallel = event(7, EventDetails::ParallelStateStarted);
    let line = parsed(&record(ARN, 0, true, &parallel));
    assert_eq!(line["details"], json!({}));
    assert_eq!(line["type"], "ParallelStateStarted");
}

#[test]
fn data_past_cloudwatchs_limit_is_cut_and_says_so() {
    let long = "x".repeat(MAX_ESCAPED_DATA + 10);
    let entered = event(2, EventDetails::StateEntered { state_type: "Pass", name: "P".into(), input: format!("\"{long}\"") });
    let line = parsed(&record(ARN, 0, true, &entered));
    assert_eq!(line["details"]["inputDetails"], json!({"truncated": true}));
    let input = line["details"]["input"].as_str().expect("input");
    assert!(input.len() <= MAX_ESCAPED_DATA, "{}", input.len());
    assert!(input.len() > MAX_ESCAPED_DATA - 10);
    // Quotes escape to two bytes: the cut counts them so.
    let quoted = "\"".repeat(MAX_ESCAPED_DATA);
    let exited = event(3, EventDetails::StateExited { state_type: "Pass", name: "P".into(), output: quoted, assigned: None });
    let line = parsed(&record(ARN, 0, true, &exited));
    assert_eq!(line["details"]["outputDetails"], json!({"truncated": true}));
    assert_eq!(line["details"]["output"].as_str().map(str::len), Some(MAX_ESCAPED_DATA / 2));
    // Just under the limit is whole.
    let fits = event(4, EventDetails::ExecutionSucceeded { output: "y".repeat(MAX_ESCAPED_DATA) });
    assert_eq!(parsed(&record(ARN, 0, true, &fits))["details"]["outputDetails"], json!({"truncated": false}));
}

#[test]
fn configurations_are_checked_as_aws_checks_them() {
    let group = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/vendedlogs/states/m:*";
    let with = |level: &str, destinations: Value| json!({"level": level, "includeExecutionData": true, "destinations": destinations}).to_string();
    let one = json!([{"cloudWatchLogsLogGroup": {"logGroupArn": group}}]);
    assert_eq!(
        Logging::parse(&with("ERROR", one.clone())),
        Ok(Logging { level: Level::Error, include_data: true, log_group_arn: Some(group.to_owned()) })
    );
    let invalid = |text: &str| match Logging::parse(text) {
        Err(Error::InvalidLoggingConfiguration(message)) => message,
        other => panic!("{text}: {other:?}"),
    };
    assert_eq!(invalid(&with("ALL", json!([]))), "Invalid Logging Configuration: Must specify exactly one Log Destination.");
    assert_eq!(invalid(&json!({"level": "FATAL"}).to_string()), "Invalid Logging Configuration: Must specify exactly one Log Destination.");
    assert_eq!(
        invalid(&with("OFF", json!([one[0].clone(), one[0].clone()]))),
        "Invalid Logging Configuration: Must specify exactly one Log Destination."
    );
    let bare = json!([{"cloudWatchLogsLogGroup": {"logGroupArn": group.trim_end_matches(":*")}}]);
    assert_eq!(invalid(&with("ERROR", bare.clone())), "Invalid Logging Configuration: Log Group ARN must be provided with '*' qualifier.");
    assert!(invalid(&with("DEBUG", one)).contains("log level"));
    // OFF needs no destination, and does not look at one.
    assert_eq!(Logging::parse(&with("OFF", bare)).map(|l| l.level), Ok(Level::Off));
    assert_eq!(Logging::parse("{}"), Ok(Logging::OFF));
    assert_eq!(check(None), Ok(()));
    assert!(check(Some("[1]")).is_err());
    // What a machine kept before the checks, and does not read, logs nothing.
    assert_eq!(Logging::of(Some("not json")), Logging::OFF);
    assert_eq!(Logging::of(None), Logging::OFF);
}

#[test]
fn every_family_keeps_its_type_ids_and_history_details() {
    for (n, (details, _)) in families().into_iter().enumerate() {
        let event = event(n as u64 + 1, details);
        let wire = event.to_json();
        let expected = wire
            .as_object()
            .and_then(|object| object.iter().find(|(key, _)| key.ends_with("EventDetails")))
            .map_or_else(|| json!({}), |(_, details)| details.clone());
        let line = parsed(&record(ARN, 1, true, &event));
        assert_eq!(line["type"], wire["type"], "{line}");
        assert_eq!(line["details"], expected, "{line}");
        assert_eq!(line["id"], (n + 1).to_string());
        assert_eq!(line["previous_event_id"], n.to_string());
        assert_eq!(line["event_timestamp"], event.timestamp.to_string());
        assert_eq!(line["redrive_count"], "1");
        assert_eq!(line["execution_arn"], ARN);
    }
}
