//! A distributed Map's Map Run through a redrive, step by step: the counters the snapshots show only at the end.

use std::sync::Arc;

use serde_json::json;

use engine::{Command, EventDetails, MapRunCounts, MapRunStatus, Status, Trigger};

use crate::driver::{self, EPOCH_MS};
use crate::snapshot;

/// Five items, three at a time: items 0 and 1 hang, item 2 fails, which fails the Map Run (ToleratedFailureCount 0)
/// and aborts items 0 and 1; items 3 and 4 never start. UpdateMapRun had lowered the run's concurrency to 1 before,
/// so the redrive restarts item 0 only: items 1 and 2 wait for their redrive (`pending_redrive`), 3 and 4 to start.
#[test]
fn a_redriven_map_run_counts_its_unsuccessful_items_as_pending_redrive() {
    let case = json!({
        "definition": {"StartAt": "Each", "States": {"Each": {
            "Type": "Map", "MaxConcurrency": 3, "ToleratedFailureCount": 0,
            "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                "StartAt": "Work", "States": {"Work": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:w", "End": true}}},
            "End": true}}},
        "input": ["a", "b", "c", "d", "e"],
        "script": [
            {"state": "Work", "hang": true},
            {"state": "Work", "hang": true},
            {"state": "Work", "throw": {"error": "Flaky"}, "after": 2}
        ],
        "update_map_run": [{"after": 1, "mapRunArn": "arn:aws:states:us-east-1:123456789012:mapRun:Machine/Each:exec-1-1", "maxConcurrency": 1}]
    });
    let machine = Arc::new(asl::parse::parse_value(&case["definition"]).expect("a valid definition"));
    let mut run = driver::drive(&machine, &snapshot::setup(&case), None);
    assert!(matches!(run.execution.status(), Status::Failed(_)), "{:?}", run.execution.status());
    let failed = run.execution.map_runs()[0].clone();
    assert_eq!(failed.status, MapRunStatus::Failed);
    assert_eq!(failed.max_concurrency, 1);
    let counts = MapRunCounts { pending: 2, running: 0, succeeded: 0, failed: 1, aborted: 2, total: 5, pending_redrive: 0, failures_not_redrivable: 0, results_written: 0 };
    assert_eq!(failed.items, counts);
    assert_eq!((failed.redrive_count, failed.redrive_date), (0, None));

    let now = EPOCH_MS + 5_000;
    let commands = run.execution.apply(Trigger::Redrive { now });
    let invoked = commands.iter().filter(|command| matches!(command, Command::InvokeTask(_))).count();
    assert_eq!(invoked, 1, "the Map Run keeps the concurrency UpdateMapRun gave it: {commands:?}");
    let redriven = &run.execution.map_runs()[0];
    assert_eq!(run.execution.map_runs().len(), 1, "no new Map Run");
    assert_eq!(redriven.arn, failed.arn);
    assert_eq!((redriven.status, redriven.stop), (MapRunStatus::Running, None));
    assert_eq!((redriven.redrive_count, redriven.redrive_date), (1, Some(now)));
    let counts = MapRunCounts { pending: 4, running: 1, succeeded: 0, failed: 0, aborted: 0, total: 5, pending_redrive: 2, failures_not_redrivable: 0, results_written: 0 };
    assert_eq!(redriven.items, counts);
    assert_eq!(redriven.executions, counts);
    let last = run.execution.history().last().map(|event| &event.details);
    let expected = EventDetails::MapRunRedriven { map_run_arn: failed.arn.clone(), redrive_count: 1 };
    assert_eq!(last, Some(&expected));
}

/// Each iteration of a distributed Map is a child execution with its own history, when the runtime keeps them: the
/// parent's history has none of the iterations' events, each child's starts with `ExecutionStarted` (the child's
/// state machine, the item as input) and ends with its outcome, and a redrive runs only the failed child again, under
/// the same ARN, after `ExecutionRedriven`.
#[test]
fn distributed_map_iterations_are_child_executions_with_their_own_histories() {
    let definition = json!({"StartAt": "Each", "States": {"Each": {
        "Type": "Map", "Label": "Rows",
        "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
            "StartAt": "Two?", "States": {
                "Two?": {"Type": "Choice", "Choices": [{"Variable": "$", "NumericEquals": 2, "Next": "Fail"}], "Default": "Done"},
                "Fail": {"Type": "Fail", "Error": "Two", "Cause": "two is not welcome"},
                "Done": {"Type": "Pass", "End": true}}},
        "End": true}}});
    let machine = Arc::new(asl::parse::parse_value(&definition).expect("a valid definition"));
    let mut execution = engine::Execution::new(machine, driver::info(), engine::Limits::default());
    execution.keep_child_histories(true);
    execution.apply(Trigger::Start { input: json!([1, 2, 3]), now: EPOCH_MS });
    assert!(matches!(execution.status(), Status::Failed(_)), "{:?}", execution.status());
    let parent_types: Vec<String> = execution.history().iter().map(|event| event.details.event_type()).collect();
    assert!(!parent_types.iter().any(|t| t.starts_with("Pass") || t.starts_with("Choice") || t.starts_with("Fail")), "{parent_types:?}");

    let events = execution.take_child_events();
    let map_run = execution.map_runs()[0].arn.clone();
    let mut children: Vec<Arc<str>> = Vec::new();
    for event in &events {
        if !children.contains(&event.execution_arn) {
            children.push(event.execution_arn.clone());
        }
        assert_eq!(&*event.map_run_arn, map_run);
        assert_eq!(&*event.state_machine_arn, "arn:aws:states:us-east-1:123456789012:stateMachine:Machine/Rows");
        assert!(event.execution_arn.starts_with("arn:aws:states:us-east-1:123456789012:execution:Machine/Rows:"));
    }
    assert_eq!(children.len(), 3);
    let history = |arn: &Arc<str>| -> Vec<(u64, u64, String)> {
        events
            .iter()
            .filter(|event| &event.execution_arn == arn)
            .map(|event| (event.event.id, event.event.previous_event_id, event.event.details.event_type()))
            .collect()
    };
    let succeeded = vec![
        (1, 0, "ExecutionStarted".to_owned()),
        (2, 1, "ChoiceStateEntered".to_owned()),
        (3, 2, "ChoiceStateExited".to_owned()),
        (4, 3, "PassStateEntered".to_owned()),
        (5, 4, "PassStateExited".to_owned()),
        (6, 5, "ExecutionSucceeded".to_owned()),
    ];
    assert_eq!(history(&children[0]), succeeded);
    let failed = vec![
        (1, 0, "ExecutionStarted".to_owned()),
        (2, 1, "ChoiceStateEntered".to_owned()),
        (3, 2, "ChoiceStateExited".to_owned()),
        (4, 3, "FailStateEntered".to_owned()),
        (5, 4, "ExecutionFailed".to_owned()),
    ];
    assert_eq!(history(&children[1]), failed);
    let started = &events[0].event.details;
    let EventDetails::ExecutionStarted { input, state_machine_arn, .. } = started else { panic!("{started:?}") };
    assert_eq!((input.as_str(), state_machine_arn.as_str()), ("1", "arn:aws:states:us-east-1:123456789012:stateMachine:Machine/Rows"));
    let ended = events.iter().rfind(|event| event.execution_arn == children[1]).map(|event| &event.event.details);
    let expected = engine::ErrorDetails { error: Some("Two".to_owned()), cause: Some("two is not welcome".to_owned()) };
    assert_eq!(ended, Some(&EventDetails::ExecutionFailed(expected)));

    execution.apply(Trigger::Redrive { now: EPOCH_MS + 1_000 });
    let again = execution.take_child_events();
    assert!(again.iter().all(|event| event.execution_arn == children[1]), "only the failed child runs again");
    let types: Vec<(u64, String)> = again.iter().map(|event| (event.event.id, event.event.details.event_type())).collect();
    assert_eq!(types.first(), Some(&(6, "ExecutionRedriven".to_owned())));
    assert_eq!(types, vec![(6, "ExecutionRedriven".to_owned()), (7, "FailStateEntered".to_owned()), (8, "ExecutionFailed".to_owned())], "it goes on from the state where it failed");
}

/// Stopping the parent aborts the children still running.
#[test]
fn stopping_the_parent_aborts_its_running_children() {
    let definition = json!({"StartAt": "Each", "States": {"Each": {
        "Type": "Map",
        "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
            "StartAt": "Sleep", "States": {"Sleep": {"Type": "Wait", "Seconds": 60, "End": true}}},
        "End": true}}});
    let machine = Arc::new(asl::parse::parse_value(&definition).expect("a valid definition"));
    let mut execution = engine::Execution::new(machine, driver::info(), engine::Limits::default());
    execution.keep_child_histories(true);
    execution.apply(Trigger::Start { input: json!(["a", "b"]), now: EPOCH_MS });
    execution.apply(Trigger::Stop { error: None, cause: None, now: EPOCH_MS + 10 });
    let events = execution.take_child_events();
    let aborted: Vec<&Arc<str>> =
        events.iter().filter(|event| event.event.details.event_type() == "ExecutionAborted").map(|event| &event.execution_arn).collect();
    assert_eq!(aborted.len(), 2, "{events:?}");
    assert_ne!(aborted[0], aborted[1]);
}

/// Without `keep_child_histories`, iterations record nothing anywhere.
#[test]
fn child_histories_are_kept_only_when_asked() {
    let definition = json!({"StartAt": "Each", "States": {"Each": {
        "Type": "Map",
        "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
            "StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": true}}},
        "End": true}}});
    let machine = Arc::new(asl::parse::parse_value(&definition).expect("a valid definition"));
    let mut execution = engine::Execution::new(machine, driver::info(), engine::Limits::default());
    execution.apply(Trigger::Start { input: json!(["a", "b"]), now: EPOCH_MS });
    assert!(matches!(execution.status(), Status::Succeeded { .. }));
    assert!(execution.take_child_events().is_empty());
}

/// A ResultWriter to S3 writes, once the Map Run ends, `SUCCEEDED_0.json` and `FAILED_0.json` (each child's record:
/// ARN, input and output as JSON text, status, dates) and then `manifest.json` under `<Prefix>/<Map Run id>/`, one
/// putObject each; the Map's result names the manifest.
#[test]
fn a_result_writer_writes_the_children_records_and_a_manifest() {
    let definition = json!({"StartAt": "Each", "States": {"Each": {
        "Type": "Map", "Label": "Rows", "ToleratedFailurePercentage": 50,
        "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
            "StartAt": "Two?", "States": {
                "Two?": {"Type": "Choice", "Choices": [{"Variable": "$", "NumericEquals": 2, "Next": "Fail"}], "Default": "Done"},
                "Fail": {"Type": "Fail", "Error": "Two", "Cause": "two is not welcome"},
                "Done": {"Type": "Pass", "Parameters": {"twice.$": "States.MathAdd($, $)"}, "End": true}}},
        "ResultWriter": {"Resource": "arn:aws:states:::s3:putObject", "Parameters": {"Bucket": "out", "Prefix.$": "$$.Execution.Name"}},
        "End": true}}});
    let machine = Arc::new(asl::parse::parse_value(&definition).expect("a valid definition"));
    let mut execution = engine::Execution::new(machine, driver::info(), engine::Limits::default());
    let mut commands = execution.apply(Trigger::Start { input: json!([1, 2, 3]), now: EPOCH_MS });
    let mut written = Vec::new();
    while let Some(Command::InvokeTask(request)) = commands.pop() {
        assert_eq!(request.resource, "arn:aws:states:::s3:putObject");
        assert_eq!(request.parameters["Bucket"], "out");
        written.push((request.parameters["Key"].as_str().expect("a key").to_owned(), request.parameters["Body"].clone()));
        commands = execution.apply(Trigger::TaskCompleted { task: request.task, outcome: Ok(json!({"ETag": "\"e\""})), now: EPOCH_MS + 5 });
    }
    let keys: Vec<&str> = written.iter().map(|(key, _)| key.as_str()).collect();
    assert_eq!(keys, ["exec-1/exec-1-1/FAILED_0.json", "exec-1/exec-1-1/SUCCEEDED_0.json", "exec-1/exec-1-1/manifest.json"]);
    let body = |n: usize| -> serde_json::Value { serde_json::from_str(written[n].1.as_str().expect("a text body")).expect("JSON") };
    let succeeded = body(1);
    assert_eq!(succeeded.as_array().map(Vec::len), Some(2));
    let first = &succeeded[0];
    assert_eq!((first["Input"].as_str(), first["Output"].as_str(), first["Status"].as_str()), (Some("1"), Some("{\"twice\":2}"), Some("SUCCEEDED")));
    assert!(first["ExecutionArn"].as_str().is_some_and(|arn| arn.starts_with("arn:aws:states:us-east-1:123456789012:execution:Machine/Rows:")));
    assert_eq!(first["StateMachineArn"], "arn:aws:states:us-east-1:123456789012:stateMachine:Machine/Rows");
    assert_eq!(first["StartDate"], "2023-11-14T22:13:20.000Z");
    assert_eq!(first["RedriveStatus"], "NOT_REDRIVABLE");
    let failed = &body(0)[0];
    assert_eq!((failed["Error"].as_str(), failed["Cause"].as_str(), failed["Status"].as_str()), (Some("Two"), Some("two is not welcome"), Some("FAILED")));
    assert!(failed.get("Output").is_none());
    let manifest = body(2);
    assert_eq!(manifest["DestinationBucket"], "out");
    assert_eq!(manifest["MapRunArn"], "arn:aws:states:us-east-1:123456789012:mapRun:Machine/Rows:exec-1-1");
    let size = written[1].1.as_str().map_or(0, str::len);
    assert_eq!(manifest["ResultFiles"]["SUCCEEDED"], json!([{"Key": "exec-1/exec-1-1/SUCCEEDED_0.json", "Size": size}]));
    assert_eq!(manifest["ResultFiles"]["PENDING"], json!([]));
    let counts = execution.map_runs()[0].items;
    assert_eq!((counts.total, counts.results_written), (3, 3), "DescribeMapRun's resultsWritten");
    let Status::Succeeded { output } = execution.status() else { panic!("{:?}", execution.status()) };
    assert_eq!(output, &json!({
        "MapRunArn": "arn:aws:states:us-east-1:123456789012:mapRun:Machine/Rows:exec-1-1",
        "ResultWriterDetails": {"Bucket": "out", "Key": "exec-1/exec-1-1/manifest.json"}}));
}

/// A WriterConfig alone shapes the Map's result: FLATTEN spreads outputs that are arrays, COMPACT keeps the outputs;
/// a putObject that fails fails the Map with States.ResultWriterFailed.
#[test]
fn writer_config_shapes_the_result_and_a_failed_write_fails_the_map() {
    let map = |writer: serde_json::Value| json!({"StartAt": "Each", "States": {"Each": {
        "Type": "Map",
        "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
            "StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": true}}},
        "ResultWriter": writer,
        "End": true}}});
    let run = |definition: serde_json::Value| {
        let machine = Arc::new(asl::parse::parse_value(&definition).expect("a valid definition"));
        let mut execution = engine::Execution::new(machine, driver::info(), engine::Limits::default());
        let commands = execution.apply(Trigger::Start { input: json!([[1, 2], 3, [4]]), now: EPOCH_MS });
        (execution, commands)
    };
    let (flat, _) = run(map(json!({"WriterConfig": {"Transformation": "FLATTEN", "OutputType": "JSON"}})));
    assert_eq!(flat.status(), &Status::Succeeded { output: json!([1, 2, 3, 4]) });
    let (compact, _) = run(map(json!({"WriterConfig": {"Transformation": "COMPACT"}})));
    assert_eq!(compact.status(), &Status::Succeeded { output: json!([[1, 2], 3, [4]]) });

    let (mut failing, commands) =
        run(map(json!({"Resource": "arn:aws:states:::s3:putObject", "Parameters": {"Bucket": "nope", "Prefix": "p"}})));
    let Some(Command::InvokeTask(request)) = commands.first() else { panic!("{commands:?}") };
    let failure = asl::Failure::new("S3.NoSuchBucketException", "The specified bucket does not exist");
    failing.apply(Trigger::TaskCompleted { task: request.task, outcome: Err(failure), now: EPOCH_MS + 1 });
    let Status::Failed(error) = failing.status() else { panic!("{:?}", failing.status()) };
    assert_eq!(error.error.as_deref(), Some("States.ResultWriterFailed"));
    assert!(error.cause.as_deref().is_some_and(|cause| cause.contains("S3.NoSuchBucketException")), "{error:?}");
}

/// A CSV or JSON Lines object is read in `Range` parts: the second part carries on the row the first ended in, and an
/// empty object (S3 answers a range of it with 416 InvalidRange) has no items.
#[test]
fn an_object_is_read_in_ranges_and_an_empty_one_has_no_items() {
    let definition = |input_type: &str| json!({"StartAt": "Each", "States": {"Each": {
        "Type": "Map",
        "ItemReader": {"Resource": "arn:aws:states:::s3:getObject", "ReaderConfig": {"InputType": input_type},
            "Parameters": {"Bucket": "b", "Key": "k"}},
        "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
            "StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": true}}},
        "End": true}}});
    let start = |input_type: &str| {
        let machine = Arc::new(asl::parse::parse_value(&definition(input_type)).expect("a valid definition"));
        let mut execution = engine::Execution::new(machine, driver::info(), engine::Limits::default());
        let commands = execution.apply(Trigger::Start { input: json!({}), now: EPOCH_MS });
        (execution, commands)
    };
    let request = |commands: &[Command]| match commands {
        [Command::InvokeTask(request)] => request.clone(),
        other => panic!("one call, not {other:?}"),
    };

    let (mut lines, commands) = start("JSONL");
    let first = request(&commands);
    assert_eq!(first.parameters["Range"], "bytes=0-8388607");
    let answer = json!({"Body": "{\"n\":1}\n{\"n\"", "ContentRange": "bytes 0-11/23"});
    let commands = lines.apply(Trigger::TaskCompleted { task: first.task, outcome: Ok(answer), now: EPOCH_MS + 1 });
    let second = request(&commands);
    assert_eq!(second.parameters["Range"], "bytes=12-8388619");
    let answer = json!({"Body": ":2}\n{\"n\":3}", "ContentRange": "bytes 12-22/23"});
    lines.apply(Trigger::TaskCompleted { task: second.task, outcome: Ok(answer), now: EPOCH_MS + 2 });
    assert_eq!(lines.status(), &Status::Succeeded { output: json!([{"n": 1}, {"n": 2}, {"n": 3}]) });

    let (mut empty, commands) = start("JSONL");
    let failure = asl::Failure::new("S3.InvalidRangeException", "The requested range is not satisfiable");
    empty.apply(Trigger::TaskCompleted { task: request(&commands).task, outcome: Err(failure), now: EPOCH_MS + 1 });
    assert_eq!(empty.status(), &Status::Succeeded { output: json!([]) });
}
