//! Tests of the conversions: the service's records and results rendered as the wire JSON AWS sends.

use serde_json::{Value, json};

use runtime::service::{self, Activity, Execution, Kind, Page, PageRequest, StateMachine, Status};

use crate::convert::{self, IncludedData, StatusFilter};

const T0: i64 = 1_700_000_000_123;

fn machine() -> StateMachine {
    StateMachine {
        arn: "arn:aws:states:us-east-1:123456789012:stateMachine:m".to_owned(),
        name: "m".to_owned(),
        kind: Kind::Standard,
        definition: r#"{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}"#.to_owned(),
        role_arn: "arn:aws:iam::123456789012:role/r".to_owned(),
        logging_configuration: None,
        tracing_configuration: None,
        description: None,
        revision_id: "rev-1".to_owned(),
        created: T0,
        updated: T0 + 5_000,
        tags: Vec::new(),
        encryption_configuration: None,
    }
}

fn execution(status: Status) -> Execution {
    Execution {
        arn: "arn:aws:states:us-east-1:123456789012:execution:m:e".to_owned(),
        name: "e".to_owned(),
        state_machine_arn: "arn:aws:states:us-east-1:123456789012:stateMachine:m".to_owned(),
        definition: "{}".to_owned(),
        role_arn: "arn:aws:iam::123456789012:role/r".to_owned(),
        kind: Kind::Express,
        input: r#"{"a":1}"#.to_owned(),
        trace_header: None,
        status,
        start: T0,
        stop: (status != Status::Running).then_some(T0 + 250),
        output: (status == Status::Succeeded).then(|| r#"{"b":2}"#.to_owned()),
        error: (status == Status::Failed).then(|| "States.TaskFailed".to_owned()),
        cause: (status == Status::Failed).then(|| "boom".to_owned()),
        version_arn: None,
        alias_arn: None,
        redrive_count: 0,
        redrive_date: None,
        engine_version: 0,
        map_run_arn: None,
    }
}

#[track_caller]
fn check(actual: impl serde::Serialize, expect: Value) {
    assert_eq!(serde_json::to_value(actual).unwrap(), expect);
}

#[test]
fn timestamps_are_epoch_seconds_with_a_fraction() {
    assert_eq!(convert::seconds(T0), 1_700_000_000.123);
    assert_eq!(convert::seconds(0), 0.0);
    assert_eq!(serde_json::to_string(&convert::seconds(T0)).unwrap(), "1700000000.123");
}

#[test]
fn describe_state_machine() {
    check(
        convert::described_state_machine(machine()),
        json!({
            "stateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:m",
            "name": "m",
            "status": "ACTIVE",
            "definition": r#"{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}"#,
            "roleArn": "arn:aws:iam::123456789012:role/r",
            "type": "STANDARD",
            "creationDate": 1_700_000_000.123,
            "loggingConfiguration": {"level": "OFF", "includeExecutionData": false},
            "tracingConfiguration": {"enabled": false},
            "revisionId": "rev-1",
            "encryptionConfiguration": {"type": "AWS_OWNED_KEY"},
        }),
    );
}

#[test]
fn encryption_configurations_are_described_as_kept() {
    let input = api::CreateStateMachineInput {
        encryption_configuration: Some(api::EncryptionConfiguration {
            kind: Some("CUSTOMER_MANAGED_KMS_KEY".to_owned()),
            kms_key_id: Some("alias/mine".to_owned()),
            kms_data_key_reuse_period_seconds: Some(120),
        }),
        ..Default::default()
    };
    let request = convert::create_request(input).unwrap();
    let encryption = request.encryption.expect("an encryption configuration");
    assert_eq!(encryption.kind, service::EncryptionType::CustomerManagedKmsKey);
    // The service keeps it as this text (`service::encryption`).
    let kept = r#"{"type":"CUSTOMER_MANAGED_KMS_KEY","kmsKeyId":"alias/mine","kmsDataKeyReusePeriodSeconds":120}"#;
    let stored = StateMachine { encryption_configuration: Some(kept.to_owned()), ..machine() };
    let described = serde_json::to_value(convert::described_state_machine(stored)).unwrap();
    let expected = json!({"type": "CUSTOMER_MANAGED_KMS_KEY", "kmsKeyId": "alias/mine", "kmsDataKeyReusePeriodSeconds": 120});
    assert_eq!(described["encryptionConfiguration"], expected);
    let activity = Activity {
        arn: "arn:aws:states:us-east-1:123456789012:activity:a".to_owned(),
        name: "a".to_owned(),
        created: T0,
        tags: Vec::new(),
        encryption_configuration: Some(kept.to_owned()),
    };
    check(
        convert::described_activity(activity.clone()),
        json!({"activityArn": activity.arn, "name": "a", "creationDate": 1_700_000_000.123, "encryptionConfiguration": expected}),
    );
    let plain = Activity { encryption_configuration: None, ..activity };
    let described = serde_json::to_value(convert::described_activity(plain)).unwrap();
    assert_eq!(described["encryptionConfiguration"], json!({"type": "AWS_OWNED_KEY"}));
}

#[test]
fn configurations_round_trip_through_the_service_text() {
    let input = api::CreateStateMachineInput {
        name: "m".to_owned(),
        definition: "{}".to_owned(),
        role_arn: "r".to_owned(),
        kind: Some("EXPRESS".to_owned()),
        logging_configuration: Some(api::LoggingConfiguration {
            level: Some("ALL".to_owned()),
            include_execution_data: Some(true),
            destinations: Some(vec![api::LogDestination {
                cloud_watch_logs_log_group: Some(api::CloudWatchLogsLogGroup {
                    log_group_arn: Some("arn:aws:logs:us-east-1:123456789012:log-group:g:*".to_owned()),
                }),
            }]),
        }),
        tracing_configuration: Some(api::TracingConfiguration { enabled: Some(true) }),
        tags: Some(vec![api::Tag {
            key: Some("k".to_owned()),
            value: Some("v".to_owned()),
        }]),
        ..Default::default()
    };
    let request = convert::create_request(input).unwrap();
    assert_eq!(request.kind, Some(Kind::Express));
    assert_eq!(request.tags, vec![("k".to_owned(), "v".to_owned())]);
    let stored = StateMachine {
        kind: Kind::Express,
        logging_configuration: request.logging_configuration,
        tracing_configuration: request.tracing_configuration,
        ..machine()
    };
    let described = serde_json::to_value(convert::described_state_machine(stored)).unwrap();
    assert_eq!(described["type"], json!("EXPRESS"));
    assert_eq!(
        described["loggingConfiguration"],
        json!({"level": "ALL", "includeExecutionData": true,
               "destinations": [{"cloudWatchLogsLogGroup": {"logGroupArn": "arn:aws:logs:us-east-1:123456789012:log-group:g:*"}}]})
    );
    assert_eq!(described["tracingConfiguration"], json!({"enabled": true}));
}

#[test]
fn unreadable_configuration_text_reads_as_the_default() {
    let stored = StateMachine {
        logging_configuration: Some("not json".to_owned()),
        ..machine()
    };
    let described = serde_json::to_value(convert::described_state_machine(stored)).unwrap();
    assert_eq!(
        described["loggingConfiguration"],
        json!({"level": "OFF", "includeExecutionData": false})
    );
}

#[test]
fn create_and_update_outputs() {
    check(
        convert::created(&machine(), None),
        json!({"stateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:m", "creationDate": 1_700_000_000.123}),
    );
    check(
        convert::created(&machine(), Some("arn:aws:states:us-east-1:123456789012:stateMachine:m:1".to_owned())),
        json!({
            "stateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:m", "creationDate": 1_700_000_000.123,
            "stateMachineVersionArn": "arn:aws:states:us-east-1:123456789012:stateMachine:m:1"
        }),
    );
    check(
        convert::updated(&machine(), Some("v".to_owned())),
        json!({"updateDate": 1_700_000_005.123, "revisionId": "rev-1", "stateMachineVersionArn": "v"}),
    );
    check(
        convert::updated(&StateMachine {
            revision_id: String::new(),
            ..machine()
        }, None),
        json!({"updateDate": 1_700_000_005.123}),
    );
}

#[test]
fn update_request_keeps_what_changes() {
    let request = convert::update_request(api::UpdateStateMachineInput {
        state_machine_arn: "arn".to_owned(),
        role_arn: Some("r2".to_owned()),
        ..Default::default()
    })
    .unwrap();
    assert_eq!(request.arn, "arn");
    assert_eq!(request.role_arn.as_deref(), Some("r2"));
    assert_eq!(
        (
            request.definition,
            request.logging_configuration,
            request.tracing_configuration
        ),
        (None, None, None)
    );
}

#[test]
fn list_state_machines() {
    let page = Page {
        items: vec![machine()],
        next_token: Some("t".to_owned()),
    };
    check(
        convert::state_machines(page),
        json!({
            "stateMachines": [{
                "stateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:m",
                "name": "m",
                "type": "STANDARD",
                "creationDate": 1_700_000_000.123,
            }],
            "nextToken": "t",
        }),
    );
    check(
        convert::state_machines(Page {
            items: Vec::new(),
            next_token: None,
        }),
        json!({"stateMachines": []}),
    );
}

#[test]
fn describe_state_machine_for_execution() {
    check(
        convert::described_state_machine_for_execution(runtime::service::ExecutionMachine { machine: machine(), map_run_arn: None, label: None }),
        json!({
            "stateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:m",
            "name": "m",
            "definition": r#"{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}"#,
            "roleArn": "arn:aws:iam::123456789012:role/r",
            "updateDate": 1_700_000_005.123,
            "loggingConfiguration": {"level": "OFF", "includeExecutionData": false},
            "tracingConfiguration": {"enabled": false},
            "revisionId": "rev-1",
            "encryptionConfiguration": {"type": "AWS_OWNED_KEY"},
        }),
    );
}

#[test]
fn describe_a_succeeded_execution() {
    check(
        convert::described_execution(execution(Status::Succeeded), IncludedData::All),
        json!({
            "executionArn": "arn:aws:states:us-east-1:123456789012:execution:m:e",
            "stateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:m",
            "name": "e",
            "redriveCount": 0,
            "redriveStatus": "NOT_REDRIVABLE",
            "status": "SUCCEEDED",
            "startDate": 1_700_000_000.123,
            "stopDate": 1_700_000_000.373,
            "input": r#"{"a":1}"#,
            "inputDetails": {"included": true},
            "output": r#"{"b":2}"#,
            "outputDetails": {"included": true},
        }),
    );
}

#[test]
fn describe_a_running_execution_has_no_stop_or_output() {
    check(
        convert::described_execution(
            Execution {
                trace_header: Some("Root=1".to_owned()),
                ..execution(Status::Running)
            },
            IncludedData::All,
        ),
        json!({
            "executionArn": "arn:aws:states:us-east-1:123456789012:execution:m:e",
            "stateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:m",
            "name": "e",
            "redriveCount": 0,
            "redriveStatus": "NOT_REDRIVABLE",
            "status": "RUNNING",
            "startDate": 1_700_000_000.123,
            "input": r#"{"a":1}"#,
            "inputDetails": {"included": true},
            "traceHeader": "Root=1",
        }),
    );
}

#[test]
fn describe_a_failed_execution_metadata_only() {
    check(
        convert::described_execution(execution(Status::Failed), IncludedData::MetadataOnly),
        json!({
            "executionArn": "arn:aws:states:us-east-1:123456789012:execution:m:e",
            "stateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:m",
            "name": "e",
            "redriveCount": 0,
            "redriveStatus": "NOT_REDRIVABLE",
            "status": "FAILED",
            "startDate": 1_700_000_000.123,
            "stopDate": 1_700_000_000.373,
            "error": "States.TaskFailed",
            "cause": "boom",
        }),
    );
}

#[test]
fn statuses() {
    let all = [
        Status::Running,
        Status::Succeeded,
        Status::Failed,
        Status::TimedOut,
        Status::Aborted,
    ];
    let wire: Vec<Value> = all
        .iter()
        .map(|s| serde_json::to_value(convert::status_to_wire(*s)).unwrap())
        .collect();
    assert_eq!(
        wire,
        ["RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"].map(|s| json!(s))
    );
    for (status, name) in all
        .iter()
        .zip(["RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"])
    {
        assert_eq!(convert::status_filter(Some(name)), Ok(StatusFilter::Only(*status)));
    }
    assert_eq!(convert::status_filter(None), Ok(StatusFilter::Any));
    assert_eq!(
        convert::status_filter(Some("PENDING_REDRIVE")),
        Ok(StatusFilter::PendingRedrive)
    );
    assert!(convert::status_filter(Some("running")).is_err());
}

#[test]
fn list_executions() {
    let page = Page {
        items: vec![execution(Status::Succeeded), execution(Status::Running)],
        next_token: None,
    };
    check(
        convert::executions(page.clone(), StatusFilter::Any),
        json!({"executions": [
            {
                "executionArn": "arn:aws:states:us-east-1:123456789012:execution:m:e",
                "stateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:m",
                "name": "e",
                "redriveCount": 0,
                "status": "SUCCEEDED",
                "startDate": 1_700_000_000.123,
                "stopDate": 1_700_000_000.373,
            },
            {
                "executionArn": "arn:aws:states:us-east-1:123456789012:execution:m:e",
                "stateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:m",
                "name": "e",
                "redriveCount": 0,
                "status": "RUNNING",
                "startDate": 1_700_000_000.123,
            },
        ]}),
    );
    check(
        convert::executions(page, StatusFilter::PendingRedrive),
        json!({"executions": []}),
    );
}

#[test]
fn start_sync_execution() {
    check(
        convert::sync_execution(execution(Status::Succeeded), IncludedData::All),
        json!({
            "executionArn": "arn:aws:states:us-east-1:123456789012:execution:m:e",
            "stateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:m",
            "name": "e",
            "startDate": 1_700_000_000.123,
            "stopDate": 1_700_000_000.373,
            "status": "SUCCEEDED",
            "input": r#"{"a":1}"#,
            "inputDetails": {"included": true},
            "output": r#"{"b":2}"#,
            "outputDetails": {"included": true},
            "billingDetails": {"billedMemoryUsedInMB": 64, "billedDurationInMilliseconds": 300},
        }),
    );
    let aborted = serde_json::to_value(convert::sync_execution(execution(Status::Aborted), IncludedData::All)).unwrap();
    assert_eq!(aborted["status"], json!("FAILED"));
    let timed_out =
        serde_json::to_value(convert::sync_execution(execution(Status::TimedOut), IncludedData::All)).unwrap();
    assert_eq!(timed_out["status"], json!("TIMED_OUT"));
}

#[test]
fn billing_rounds_up_to_100_ms() {
    let billed = |elapsed: i64| {
        let execution = Execution {
            stop: Some(T0 + elapsed),
            ..execution(Status::Succeeded)
        };
        convert::billing(&execution).billed_duration_in_milliseconds
    };
    assert_eq!(
        [billed(0), billed(1), billed(100), billed(101)],
        [Some(100), Some(100), Some(100), Some(200)]
    );
}

#[test]
fn start_requests_and_started() {
    let request = convert::start_request(api::StartExecutionInput {
        state_machine_arn: "arn#Case".to_owned(),
        name: Some("e".to_owned()),
        input: Some("{}".to_owned()),
        trace_header: None,
    });
    assert_eq!(request.state_machine_arn, "arn#Case");
    assert_eq!(
        (request.name.as_deref(), request.input.as_deref()),
        (Some("e"), Some("{}"))
    );
    check(
        convert::started(service::Started {
            execution_arn: "x".to_owned(),
            start_date: T0,
        }),
        json!({"executionArn": "x", "startDate": 1_700_000_000.123}),
    );
}

#[test]
fn page_requests() {
    assert_eq!(
        convert::page_request(None, None),
        PageRequest {
            token: None,
            limit: 100
        }
    );
    assert_eq!(
        convert::page_request(Some(0), Some("t".to_owned())),
        PageRequest {
            token: Some("t".to_owned()),
            limit: 100
        }
    );
    assert_eq!(
        convert::page_request(Some(7), None),
        PageRequest { token: None, limit: 7 }
    );
}

#[test]
fn kinds() {
    assert_eq!(convert::kind_from_wire(None), Ok(None));
    assert_eq!(convert::kind_from_wire(Some("STANDARD")), Ok(Some(Kind::Standard)));
    assert_eq!(convert::kind_from_wire(Some("EXPRESS")), Ok(Some(Kind::Express)));
    assert!(convert::kind_from_wire(Some("Express")).is_err());
}
