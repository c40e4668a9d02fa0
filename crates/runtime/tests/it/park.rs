//! Parking, through the service in process on temporary data directories: an execution that waits only for a timer
//! further ahead than `Config::park_after_ms` leaves memory (`running_count` drops to 0 while it stays RUNNING), and
//! comes back in time for the timer, or for a StopExecution, or after a restart, with the history an execution kept
//! in memory writes (compared without timestamps against a service that never parks).

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use runtime::service::{Config, Execution, HistoryRequest, Service, StartExecution, Status};

fn config(dir: &Path, park_after_ms: u64, resources: runtime::Resources) -> Config {
    Config { resources: Arc::new(resources), park_after_ms, ..crate::service::config(dir) }
}

/// Opens a service, waiting for a previous one on the same directory to let go of it.
async fn open(config: Config) -> Service {
    for _ in 0..100 {
        match Service::open(config.clone()).await {
            Ok(service) => return service,
            Err(error) if error.to_string().contains("in use") => tokio::time::sleep(Duration::from_millis(50)).await,
            Err(error) => panic!("{error}"),
        }
    }
    panic!("the previous service never let go of its data directory");
}

async fn machine(service: &Service, name: &str, definition: &Value) -> String {
    crate::service::machine(service, name, definition.clone()).await
}

async fn start(service: &Service, machine: &str, name: &str) -> String {
    let request = StartExecution {
        state_machine_arn: machine.to_owned(),
        name: Some(name.to_owned()),
        input: Some(r#"{"n": 1}"#.to_owned()),
        ..StartExecution::default()
    };
    service.start_execution(request).await.expect("started").execution_arn
}

async fn ended(service: &Service, arn: &str, within: Duration) -> Execution {
    let deadline = Instant::now() + within;
    loop {
        let execution = service.describe_execution(arn).await.expect("described");
        if execution.status != Status::Running {
            return execution;
        }
        assert!(Instant::now() < deadline, "{arn} did not end within {within:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Waits until nothing runs in memory, and checks that `arn` still runs (in the store).
async fn parked(service: &Service, arn: &str) {
    let deadline = Instant::now() + Duration::from_secs(2);
    while service.running_count() > 0 {
        assert!(Instant::now() < deadline, "{arn} was not parked");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(service.describe_execution(arn).await.expect("described").status, Status::Running);
}

/// The whole history, ids checked to run 1, 2, 3…
async fn history(service: &Service, arn: &str) -> Vec<Value> {
    let request = HistoryRequest { execution_arn: arn.to_owned(), include_data: true, ..HistoryRequest::default() };
    let events = service.get_execution_history(request).await.expect("history").items;
    for (n, event) in (1..).zip(&events) {
        assert_eq!(event["id"], json!(n), "{arn}: {events:?}");
    }
    events
}

/// The history without its timestamps: what two runs of one execution must agree on.
async fn timeless(service: &Service, arn: &str) -> Vec<Value> {
    let mut events = history(service, arn).await;
    for event in &mut events {
        if let Some(event) = event.as_object_mut() {
            event.remove("timestamp");
        }
    }
    events
}

fn millis(event: &Value) -> i64 {
    match &event["timestamp"] {
        Value::Number(n) => n.as_f64().map_or(0, |seconds| (seconds * 1000.0).round() as i64),
        other => panic!("a timestamp: {other}"),
    }
}

/// A Wait too short to park, then one long enough (parked by the actor after its step), then a Pass.
fn two_waits(seconds: u64) -> Value {
    json!({"StartAt": "Short", "States": {
        "Short": {"Type": "Wait", "Seconds": 0, "Next": "Long"},
        "Long": {"Type": "Wait", "Seconds": seconds, "Next": "Done"},
        "Done": {"Type": "Pass", "Result": {"woke": true}, "ResultPath": "$.done", "End": true}}})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_wait_parks_and_ends_as_in_memory() {
    let (parking, kept) = (tempfile::tempdir().expect("a directory"), tempfile::tempdir().expect("a directory"));
    let parking = open(config(parking.path(), 300, runtime::Resources::default())).await;
    let kept = open(config(kept.path(), 0, runtime::Resources::default())).await;
    let definition = two_waits(2);
    let (on_parking, on_kept) = (machine(&parking, "naps", &definition).await, machine(&kept, "naps", &definition).await);
    let arn = start(&parking, &on_parking, "nap").await;
    assert_eq!(start(&kept, &on_kept, "nap").await, arn);
    parked(&parking, &arn).await;
    assert_eq!(kept.running_count(), 1, "a service that does not park keeps it");

    let done = ended(&parking, &arn, Duration::from_secs(10)).await;
    assert_eq!((done.status, done.output.as_deref()), (Status::Succeeded, Some(r#"{"n":1,"done":{"woke":true}}"#)));
    assert_eq!(ended(&kept, &arn, Duration::from_secs(10)).await.status, Status::Succeeded);
    assert_eq!(timeless(&parking, &arn).await, timeless(&kept, &arn).await);
    // Woken in time for its timer, not early and not much later.
    let events = history(&parking, &arn).await;
    let entered = events.iter().find(|e| e["type"] == "WaitStateEntered" && e["stateEnteredEventDetails"]["name"] == "Long");
    let exited = events.iter().find(|e| e["type"] == "WaitStateExited" && e["stateExitedEventDetails"]["name"] == "Long");
    let slept = millis(exited.expect("exited")) - millis(entered.expect("entered"));
    assert!((2000..2600).contains(&slept), "slept {slept} ms");
    assert_eq!(parking.running_count(), 0);
}

/// Parked from its first step (StartExecution enters the Wait), then stopped: the stop wakes it and ends it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_parked_execution_stops() {
    let dir = tempfile::tempdir().expect("a directory");
    let service = open(config(dir.path(), 300, runtime::Resources::default())).await;
    let definition = json!({"StartAt": "Long", "States": {"Long": {"Type": "Wait", "Seconds": 3600, "End": true}}});
    let machine = machine(&service, "long", &definition).await;
    let arn = start(&service, &machine, "stopped").await;
    assert_eq!(service.running_count(), 0, "parked by its first step");
    parked(&service, &arn).await;
    service.stop_execution(&arn, Some("Bored".to_owned()), Some("no more".to_owned())).await.expect("stopped");
    let stopped = service.describe_execution(&arn).await.expect("described");
    assert_eq!((stopped.status, stopped.error.as_deref()), (Status::Aborted, Some("Bored")));
    let types: Vec<Value> = history(&service, &arn).await.iter().map(|e| e["type"].clone()).collect();
    assert_eq!(types, ["ExecutionStarted", "WaitStateEntered", "ExecutionAborted"]);
    assert_eq!(service.running_count(), 0);
    // Stopping it again answers with its stop date, as for any ended execution.
    assert_eq!(service.stop_execution(&arn, None, None).await, Ok(stopped.stop.expect("a stop date")));
}

/// A restart does not read parked executions; they come back when due, and end.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_parked_execution_ends_after_a_restart() {
    let dir = tempfile::tempdir().expect("a directory");
    let service = open(config(dir.path(), 300, runtime::Resources::default())).await;
    let machine = machine(&service, "naps", &two_waits(3)).await;
    let arn = start(&service, &machine, "nap").await;
    let stopped = start(&service, &machine, "to-stop").await;
    parked(&service, &arn).await;
    service.shutdown().await;
    drop(service);

    let service = open(config(dir.path(), 300, runtime::Resources::default())).await;
    assert_eq!(service.running_count(), 0, "start-up left the parked executions in the store");
    service.stop_execution(&stopped, None, None).await.expect("stopped after the restart");
    let done = ended(&service, &arn, Duration::from_secs(10)).await;
    assert_eq!(done.status, Status::Succeeded);
    let types: Vec<Value> = history(&service, &arn).await.iter().map(|e| e["type"].clone()).collect();
    assert_eq!(
        types,
        [
            "ExecutionStarted",
            "WaitStateEntered",
            "WaitStateExited",
            "WaitStateEntered",
            "WaitStateExited",
            "PassStateEntered",
            "PassStateExited",
            "ExecutionSucceeded"
        ]
    );
    assert_eq!(service.describe_execution(&stopped).await.expect("described").status, Status::Aborted);
}

/// A Task whose first call fails waits out its retry interval parked, then succeeds, as without parking.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_interval_parks() {
    let resources = |dir: &Path| {
        let marker = dir.join("called-once");
        let script = format!(
            "cat > /dev/null; if [ -f {m} ]; then echo '{{\"fixed\": true}}'; else touch {m}; \
             echo '{{\"errorType\": \"Flaky\", \"errorMessage\": \"first call\"}}'; exit 1; fi",
            m = marker.display()
        );
        let functions = integrations::functions::Functions::from_toml(&format!(
            "[functions.flaky]\ncommand = [\"sh\", \"-c\", {script:?}]\n"
        ))
        .expect("functions");
        runtime::Resources { functions, ..runtime::Resources::default() }
    };
    let definition = json!({"StartAt": "Call", "States": {
        "Call": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": "flaky", "Payload.$": "$"}, "ResultSelector": {"payload.$": "$.Payload"},
            "Retry": [{"ErrorEquals": ["Flaky"], "IntervalSeconds": 2, "MaxAttempts": 1}], "End": true}}});
    let (parking_dir, kept_dir) = (tempfile::tempdir().expect("a directory"), tempfile::tempdir().expect("a directory"));
    let parking = open(config(&parking_dir.path().join("data"), 300, resources(parking_dir.path()))).await;
    let kept = open(config(&kept_dir.path().join("data"), 0, resources(kept_dir.path()))).await;
    let arn = start(&parking, &machine(&parking, "flaky", &definition).await, "retried").await;
    start(&kept, &machine(&kept, "flaky", &definition).await, "retried").await;
    // The first call fails, then the execution waits out the interval parked.
    let deadline = Instant::now() + Duration::from_secs(5);
    while !history(&parking, &arn).await.iter().any(|e| e["type"] == "TaskFailed") {
        assert!(Instant::now() < deadline, "the first call did not fail: {:?}", history(&parking, &arn).await);
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    parked(&parking, &arn).await;
    let done = ended(&parking, &arn, Duration::from_secs(10)).await;
    assert_eq!((done.status, done.output.as_deref()), (Status::Succeeded, Some(r#"{"payload":{"fixed":true}}"#)));
    assert_eq!(ended(&kept, &arn, Duration::from_secs(10)).await.status, Status::Succeeded);
    // The same, but for the Lambda envelope's request ids and dates.
    let enveloped = |mut events: Vec<Value>| {
        for event in &mut events {
            if let Some(details) = event.get_mut("taskSucceededEventDetails").and_then(Value::as_object_mut) {
                details.remove("output");
            }
        }
        events
    };
    assert_eq!(enveloped(timeless(&parking, &arn).await), enveloped(timeless(&kept, &arn).await));
}

/// On virtual time nothing parks: the execution's clock skips the Wait instead.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn virtual_time_skips_rather_than_parks() {
    let dir = tempfile::tempdir().expect("a directory");
    let config = Config { virtual_time: true, ..config(dir.path(), 100, runtime::Resources::default()) };
    let service = open(config).await;
    let machine = machine(&service, "naps", &two_waits(86_400)).await;
    let arn = start(&service, &machine, "day").await;
    assert_eq!(ended(&service, &arn, Duration::from_secs(5)).await.status, Status::Succeeded);
}

/// A distributed Map whose items wait parks its execution; UpdateMapRun wakes it, is committed, and the raised
/// concurrency starts the other items (which park it again) before it ends.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn update_map_run_wakes_a_parked_execution() {
    let dir = tempfile::tempdir().expect("a directory");
    let service = open(config(dir.path(), 300, runtime::Resources::default())).await;
    let definition = json!({"StartAt": "Each", "States": {"Each": {
        "Type": "Map", "MaxConcurrency": 1, "Label": "Slow",
        "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
            "StartAt": "Sleep", "States": {"Sleep": {"Type": "Wait", "Seconds": 2, "End": true}}},
        "End": true}}});
    let machine = machine(&service, "slow-map", &definition).await;
    let request = StartExecution {
        state_machine_arn: machine,
        name: Some("run".to_owned()),
        input: Some("[1, 2, 3]".to_owned()),
        ..StartExecution::default()
    };
    let arn = service.start_execution(request).await.expect("started").execution_arn;
    parked(&service, &arn).await;
    let map_run = "arn:aws:states:us-east-1:123456789012:mapRun:slow-map/Slow:run-1";
    let before = service.describe_map_run(map_run).await.expect("read from the store while parked");
    assert_eq!((before.info.max_concurrency, before.info.items.running, before.info.items.pending), (1, 1, 2));

    let update = runtime::service::UpdateMapRun { map_run_arn: map_run.to_owned(), max_concurrency: Some(3), ..Default::default() };
    service.update_map_run(update).await.expect("updated");
    let raised = service.describe_map_run(map_run).await.expect("described");
    assert_eq!((raised.info.max_concurrency, raised.info.items.running, raised.info.items.pending), (3, 3, 0));
    parked(&service, &arn).await;
    assert_eq!(ended(&service, &arn, Duration::from_secs(10)).await.status, Status::Succeeded);
    let done = service.describe_map_run(map_run).await.expect("described");
    assert_eq!((done.info.max_concurrency, done.info.items.succeeded), (3, 3));
}
