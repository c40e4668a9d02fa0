//! The service in process, on a temporary data directory: a bug in the engine (a state named `BatonPanic…`, which the
//! engine's `failpoints` feature turns into a panic) fails the execution it hit, wherever it hit it (the first step,
//! a later step, a redrive), with a history numbered without a gap, and every other execution goes on.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};

use runtime::service::{Config, CreateStateMachine, Execution, HistoryRequest, Service, StartExecution, Status};

/// The service's configuration on `dir` (shared with `park`).
pub(crate) fn config(dir: &std::path::Path) -> Config {
    Config {
        region: "us-east-1".to_owned(),
        account_id: "123456789012".to_owned(),
        data_dir: dir.to_owned(),
        database_url: None,
        lease_ms: 10_000,
        address: String::new(),
        limits: engine::Limits::default(),
        resources: Arc::new(runtime::Resources::default()),
        mock_config: None,
        express_retention_seconds: 60,
        max_evaluation_ms: runtime::DEFAULT_MAX_EVALUATION_MS,
        retention_ms: None,
        virtual_time: false,
        admin: false,
        park_after_ms: runtime::DEFAULT_PARK_AFTER_MS,
        execution_log: None,
        events: runtime::service::Events::default(),
        traces: None,
    }
}

async fn service(dir: &std::path::Path) -> Service {
    Service::open(config(dir)).await.expect("the service opens")
}

/// Creates a Standard machine of `definition` (shared with `park`).
pub(crate) async fn machine(service: &Service, name: &str, definition: Value) -> String {
    let request = CreateStateMachine {
        name: name.to_owned(),
        definition: definition.to_string(),
        role_arn: "arn:aws:iam::123456789012:role/r".to_owned(),
        ..CreateStateMachine::default()
    };
    service.create_state_machine(request).await.expect("created").arn
}

async fn start(service: &Service, machine: &str, name: &str) -> String {
    let request = StartExecution { state_machine_arn: machine.to_owned(), name: Some(name.to_owned()), ..StartExecution::default() };
    service.start_execution(request).await.expect("started").execution_arn
}

async fn ended(service: &Service, arn: &str) -> Execution {
    for _ in 0..200 {
        let execution = service.describe_execution(arn).await.expect("described");
        if execution.status != Status::Running {
            return execution;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("{arn} did not end");
}

/// The event types, after checking that the ids run 1, 2, 3… and each event follows one before it.
async fn types(service: &Service, arn: &str) -> Vec<String> {
    let request = HistoryRequest { execution_arn: arn.to_owned(), include_data: true, ..HistoryRequest::default() };
    let events = service.get_execution_history(request).await.expect("history").items;
    for (n, event) in (1..).zip(&events) {
        assert_eq!(event["id"], json!(n), "{arn}: {events:?}");
        assert!(event["previousEventId"].as_u64().is_some_and(|previous| previous < n), "{arn}: {event}");
    }
    events.iter().map(|event| event["type"].as_str().unwrap_or_default().to_owned()).collect()
}

#[track_caller]
fn assert_internal(execution: &Execution) {
    assert_eq!(execution.status, Status::Failed);
    assert_eq!(execution.error.as_deref(), Some("States.Runtime"));
    let cause = execution.cause.as_deref().unwrap_or_default();
    assert!(cause.starts_with("Baton internal error: failpoint: entering BatonPanic"), "{cause}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panic_fails_the_execution_it_hit_and_nothing_else() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let service = service(dir.path()).await;

    // In the first step, inside StartExecution.
    let first = machine(&service, "first", json!({"StartAt": "BatonPanicAtOnce", "States": {
        "BatonPanicAtOnce": {"Type": "Pass", "End": true}}}))
    .await;
    let arn = start(&service, &first, "one").await;
    assert_internal(&ended(&service, &arn).await);
    assert_eq!(types(&service, &arn).await, ["ExecutionFailed"]);

    // In a later step, after a Wait, in the execution's actor, beside an execution that goes on.
    let later = machine(&service, "later", json!({"StartAt": "Nap", "States": {
        "Nap": {"Type": "Wait", "Seconds": 1, "Next": "BatonPanicLater"},
        "BatonPanicLater": {"Type": "Pass", "End": true}}}))
    .await;
    let fine = machine(&service, "fine", json!({"StartAt": "Nap", "States": {
        "Nap": {"Type": "Wait", "Seconds": 1, "Next": "Done"},
        "Done": {"Type": "Pass", "End": true}}}))
    .await;
    let hit = start(&service, &later, "hit").await;
    let spared = start(&service, &fine, "spared").await;
    assert_internal(&ended(&service, &hit).await);
    assert_eq!(types(&service, &hit).await, ["ExecutionStarted", "WaitStateEntered", "ExecutionFailed"]);
    assert_eq!(ended(&service, &spared).await.status, Status::Succeeded);

    // A failed execution redriven into the same bug fails again, and cannot be redriven from the panic.
    let redriven = service.redrive_execution(&hit).await;
    assert!(redriven.is_err(), "a failure after a panic is not redrivable: {redriven:?}");

    // The service still serves, and a restart (which re-folds nothing of these) is clean.
    service.shutdown().await;
    drop(service);
    let service = service_after_restart(dir.path()).await;
    assert!(service.quarantined().is_empty());
    assert_internal(&service.describe_execution(&hit).await.expect("kept"));
}

async fn service_after_restart(dir: &std::path::Path) -> Service {
    // The previous service's store closes once its last task has let go of it.
    for _ in 0..100 {
        match Service::open(config(dir)).await {
            Ok(service) => return service,
            Err(error) if error.to_string().contains("in use") => tokio::time::sleep(Duration::from_millis(50)).await,
            Err(error) => panic!("{error}"),
        }
    }
    panic!("the previous service never let go of its data directory");
}
