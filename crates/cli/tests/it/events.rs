//! Status-change events (`baton serve --events-url`): a small webhook receiver on 127.0.0.1 records what the server
//! POSTs, and the tests check EventBridge's shape of each event, their order per execution, and that none is lost
//! across `kill -9` and restarts, nor while the receiver is down.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_sdk_sfn::types::{ExecutionStatus, StateMachineType};
use serde_json::{Value, json};

use crate::serve::{Server, create, data_dir, finished, start};

/// What a receiver got: each request's `Content-Type` and body, in order.
type Received = Arc<Mutex<Vec<(Option<String>, Value)>>>;

/// A webhook receiver: answers every POST with 200 and keeps its body (and its `Content-Type`), until dropped.
struct Receiver {
    port: u16,
    received: Received,
    stop: Arc<AtomicBool>,
}

impl Receiver {
    /// Listens on 127.0.0.1:`port` (0 for any free port).
    fn start(port: u16) -> Receiver {
        let listener = TcpListener::bind(("127.0.0.1", port)).expect("bind the receiver");
        listener.set_nonblocking(true).expect("nonblocking listener");
        let port = listener.local_addr().expect("receiver address").port();
        let receiver = Receiver { port, received: Arc::default(), stop: Arc::default() };
        let (received, stop) = (receiver.received.clone(), receiver.stop.clone());
        std::thread::spawn(move || {
            while !stop.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        let received = received.clone();
                        std::thread::spawn(move || serve(stream, &received));
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(10)),
                }
            }
        });
        receiver
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}/events", self.port)
    }

    /// Every event received so far, in order of arrival.
    fn events(&self) -> Vec<Value> {
        self.received.lock().expect("receiver lock").iter().map(|(_, body)| body.clone()).collect()
    }

    /// Waits until the events received, told apart by their `id`, number `count`, and returns every event received
    /// (repeated deliveries included).
    fn wait_for(&self, count: usize, timeout: Duration) -> Vec<Value> {
        let deadline = Instant::now() + timeout;
        loop {
            let events = self.events();
            let distinct: BTreeSet<&str> = events.iter().filter_map(|e| e["id"].as_str()).collect();
            if distinct.len() >= count {
                return events;
            }
            assert!(Instant::now() < deadline, "{} of {count} events received within {timeout:?}: {events:#?}", distinct.len());
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

/// Serves one connection: HTTP/1.1 requests one after the other (the server's client keeps connections open).
fn serve(stream: TcpStream, received: &Mutex<Vec<(Option<String>, Value)>>) {
    let _ = stream.set_nonblocking(false);
    let Ok(mut writer) = stream.try_clone() else { return };
    let mut reader = BufReader::new(stream);
    while let Some(request) = crate::received::next(&mut reader) {
        let content_type = request.header("content-type").map(str::to_owned);
        let body: Value = serde_json::from_slice(&request.body).unwrap_or_else(|e| json!({"unparsable": e.to_string()}));
        received.lock().expect("receiver lock").push((content_type, body));
        if writer.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n").is_err() {
            return;
        }
    }
}

/// A port nobody listens on (now).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("address").port()
}

/// The events of each execution (by ARN), each delivery counted once (by `id`), in the order they first arrived.
fn by_execution(events: &[Value]) -> BTreeMap<String, Vec<Value>> {
    let mut seen = BTreeSet::new();
    let mut executions: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for event in events {
        let id = event["id"].as_str().expect("an id").to_owned();
        if seen.insert(id) {
            let arn = event["detail"]["executionArn"].as_str().expect("an execution ARN").to_owned();
            executions.entry(arn).or_default().push(event.clone());
        }
    }
    executions
}

/// The statuses of `events`, in order.
fn statuses(events: &[Value]) -> Vec<&str> {
    events.iter().map(|e| e["detail"]["status"].as_str().expect("a status")).collect()
}

/// Whether `time` is ISO 8601 in UTC to the second (`2019-02-26T19:42:21Z`).
fn iso_seconds(time: &str) -> bool {
    let digits = |range: std::ops::Range<usize>| time.get(range).is_some_and(|part| part.bytes().all(|b| b.is_ascii_digit()));
    time.len() == 20
        && digits(0..4)
        && digits(5..7)
        && digits(8..10)
        && digits(11..13)
        && digits(14..16)
        && digits(17..19)
        && time.get(4..5) == Some("-")
        && time.get(10..11) == Some("T")
        && time.ends_with('Z')
}

/// Whether an event's date (milliseconds since the epoch) is `date`, which the API gives in fractional seconds (so
/// within a millisecond).
fn same_time(millis: &Value, date: &aws_sdk_sfn::primitives::DateTime) -> bool {
    let expected = date.to_millis().expect("a date in range");
    millis.as_i64().is_some_and(|millis| (millis - expected).abs() <= 1)
}

/// Executions that succeed and fail: the receiver gets RUNNING, then SUCCEEDED or FAILED, for each, in the shape of
/// EventBridge's "Step Functions Execution Status Change" event, every field AWS sends (null where AWS sends null);
/// a redrive sends RUNNING and the new ending again, counted; an Express execution sends nothing, as on AWS.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn executions_send_status_change_events_in_eventbridges_shape() {
    let receiver = Receiver::start(0);
    let dir = data_dir();
    let marker = dir.path().join("called-once");
    let functions = dir.path().join("functions.toml");
    let script = format!(
        "if [ -f {m} ]; then echo '{{\"fixed\": true}}'; else touch {m}; echo '{{\"errorType\": \"Flaky\", \"errorMessage\": \"first call\"}}'; exit 1; fi",
        m = marker.display()
    );
    std::fs::write(&functions, format!("[functions.flaky]\ncommand = [\"sh\", \"-c\", {script:?}]\n")).expect("write functions");
    let server = Server::start_with(
        &dir.path().join("data"),
        &["--events-url", &receiver.url(), "--functions", functions.to_str().expect("utf-8 path")],
    );
    let client = server.client();
    let express = create(&client, "Quick", &json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}), StateMachineType::Express).await;
    let quick = start(&client, &express, "express-1", &json!({})).await;
    let ok = create(&client, "Ok", &json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": {"done": true}, "End": true}}}), StateMachineType::Standard).await;
    let bad = create(&client, "Bad", &json!({"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Broken", "Cause": "on purpose"}}}), StateMachineType::Standard).await;
    let flaky = create(
        &client,
        "Flaky",
        &json!({"StartAt": "Call", "States": {"Call": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": "flaky", "Payload.$": "$"}, "OutputPath": "$.Payload", "End": true}}}),
        StateMachineType::Standard,
    )
    .await;
    let mut expected: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for i in 0..3 {
        let arn = start(&client, &ok, &format!("ok-{i}"), &json!({"i": i})).await;
        expected.insert(arn, vec!["RUNNING", "SUCCEEDED"]);
    }
    for i in 0..2 {
        let arn = start(&client, &bad, &format!("bad-{i}"), &json!({"i": i})).await;
        expected.insert(arn, vec!["RUNNING", "FAILED"]);
    }
    let redriven = start(&client, &flaky, "flaky", &json!({"in": 1})).await;
    expected.insert(redriven.clone(), vec!["RUNNING", "FAILED", "RUNNING", "SUCCEEDED"]);
    assert_eq!(finished(&client, &redriven, Duration::from_secs(20)).await.status(), &ExecutionStatus::Failed);
    client.redrive_execution().execution_arn(&redriven).send().await.expect("redrive");
    assert_eq!(finished(&client, &redriven, Duration::from_secs(20)).await.status(), &ExecutionStatus::Succeeded);

    let events = receiver.wait_for(5 * 2 + 4, Duration::from_secs(20));
    // Nothing more comes: no Express events, no second delivery.
    std::thread::sleep(Duration::from_millis(800));
    let events_now = receiver.events();
    assert_eq!(events_now.len(), events.len(), "{events_now:#?}");
    assert!(events.iter().all(|e| e["detail"]["executionArn"] != quick.as_str()), "an Express execution sends no events");
    let types: Vec<Option<String>> = receiver.received.lock().expect("receiver lock").iter().map(|(t, _)| t.clone()).collect();
    assert!(types.iter().all(|t| t.as_deref() == Some("application/json")), "{types:?}");

    let executions = by_execution(&events);
    let got: BTreeMap<String, Vec<&str>> = executions.iter().map(|(arn, events)| (arn.clone(), statuses(events))).collect();
    assert_eq!(got, expected);
    let ids: BTreeSet<&str> = events.iter().filter_map(|e| e["id"].as_str()).collect();
    assert_eq!(ids.len(), events.len(), "every event its own id");

    for (arn, events) in &executions {
        let described = client.describe_execution().execution_arn(arn).send().await.expect("describe_execution");
        let name = arn.rsplit(':').next().expect("a name");
        for (index, event) in events.iter().enumerate() {
            let keys: Vec<&str> = event.as_object().expect("an object").keys().map(String::as_str).collect();
            assert_eq!(keys, ["version", "id", "detail-type", "source", "account", "time", "region", "resources", "detail"]);
            assert_eq!(event["version"], "0");
            assert_eq!(event["detail-type"], "Step Functions Execution Status Change");
            assert_eq!(event["source"], "aws.states");
            assert_eq!((&event["account"], &event["region"]), (&json!("123456789012"), &json!("us-east-1")));
            assert_eq!(event["resources"], json!([arn]));
            let id = event["id"].as_str().expect("an id");
            assert!(id.len() == 36 && id.split('-').map(str::len).eq([8, 4, 4, 4, 12]), "{id}");
            let time = event["time"].as_str().expect("a time");
            assert!(iso_seconds(time), "{time}");

            let detail = &event["detail"];
            let keys: BTreeSet<&str> = detail.as_object().expect("an object").keys().map(String::as_str).collect();
            let all: BTreeSet<&str> = [
                "executionArn", "stateMachineArn", "name", "status", "startDate", "stopDate", "input", "inputDetails", "output",
                "outputDetails", "redriveCount", "redriveDate", "redriveStatus", "redriveStatusReason", "error", "cause",
            ]
            .into();
            assert_eq!(keys, all, "every field AWS sends, null ones too");
            assert_eq!(detail["stateMachineArn"], described.state_machine_arn());
            assert_eq!(detail["name"], name);
            assert!(same_time(&detail["startDate"], described.start_date()), "{detail:#}");
            assert_eq!(detail["input"], described.input().expect("an input"));
            assert_eq!(detail["inputDetails"], json!({"included": true}));
            let status = detail["status"].as_str().expect("a status");
            // The redriven execution's last two events are its redrive's.
            let redrives = i32::from(*arn == redriven && index >= 2);
            assert_eq!(detail["redriveCount"], redrives, "{event:#}");
            match status {
                "RUNNING" => {
                    assert_eq!((&detail["stopDate"], &detail["output"], &detail["outputDetails"]), (&Value::Null, &Value::Null, &Value::Null));
                    assert_eq!((&detail["error"], &detail["cause"]), (&Value::Null, &Value::Null));
                    assert_eq!(detail["redriveStatus"], "NOT_REDRIVABLE");
                    assert_eq!(detail["redriveStatusReason"], "Execution is RUNNING and cannot be redriven");
                }
                "SUCCEEDED" => {
                    assert!(same_time(&detail["stopDate"], described.stop_date().expect("a stop date")), "{detail:#}");
                    assert_eq!(detail["output"], described.output().expect("an output"));
                    assert_eq!(detail["outputDetails"], json!({"included": true}));
                    assert_eq!((&detail["error"], &detail["cause"]), (&Value::Null, &Value::Null));
                    assert_eq!(detail["redriveStatus"], "NOT_REDRIVABLE");
                    assert_eq!(detail["redriveStatusReason"], "Execution is SUCCEEDED and cannot be redriven");
                }
                "FAILED" => {
                    assert!(detail["stopDate"].as_i64() >= detail["startDate"].as_i64(), "{detail:#}");
                    assert_eq!((&detail["output"], &detail["outputDetails"]), (&Value::Null, &Value::Null));
                    if *arn == redriven {
                        assert_eq!(detail["error"], "Flaky");
                    } else {
                        assert_eq!((&detail["error"], &detail["cause"]), (&json!("Broken"), &json!("on purpose")));
                        assert!(same_time(&detail["stopDate"], described.stop_date().expect("a stop date")), "{detail:#}");
                    }
                    assert_eq!((&detail["redriveStatus"], &detail["redriveStatusReason"]), (&json!("REDRIVABLE"), &Value::Null));
                }
                other => panic!("unexpected status {other}"),
            }
            if redrives == 1 {
                assert!(same_time(&detail["redriveDate"], described.redrive_date().expect("a redrive date")), "{detail:#}");
            } else {
                assert_eq!(detail["redriveDate"], Value::Null);
            }
        }
    }
}

/// A restart during an execution: the receiver saw RUNNING, the server is killed (SIGKILL) while the executions
/// wait, and once it runs again on the same data directory the receiver gets SUCCEEDED for each. A RUNNING the server
/// had sent but not yet recorded as delivered may come again, with the same id.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn events_survive_kill_9_during_an_execution() {
    const EXECUTIONS: usize = 5;
    let receiver = Receiver::start(0);
    let dir = data_dir();
    let args = ["--events-url", &receiver.url()];
    let mut server = Server::start_with(dir.path(), &args);
    let client = server.client();
    let machine = create(
        &client,
        "Waits",
        &json!({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 3, "Next": "P"}, "P": {"Type": "Pass", "End": true}}}),
        StateMachineType::Standard,
    )
    .await;
    let mut arns = BTreeSet::new();
    for i in 0..EXECUTIONS {
        arns.insert(start(&client, &machine, &format!("w-{i}"), &json!({"i": i})).await);
    }
    let running = receiver.wait_for(EXECUTIONS, Duration::from_secs(10));
    assert!(running.iter().all(|e| e["detail"]["status"] == "RUNNING"), "{running:#?}");
    server.kill();

    let server = Server::start_with(dir.path(), &args);
    let client = server.client();
    for arn in &arns {
        assert_eq!(finished(&client, arn, Duration::from_secs(20)).await.status(), &ExecutionStatus::Succeeded);
    }
    let events = receiver.wait_for(EXECUTIONS * 2, Duration::from_secs(20));
    let executions = by_execution(&events);
    assert_eq!(executions.keys().cloned().collect::<BTreeSet<_>>(), arns);
    for (arn, events) in &executions {
        assert_eq!(statuses(events), ["RUNNING", "SUCCEEDED"], "{arn}");
    }
    // A repeated delivery is the same event.
    let mut first: BTreeMap<&str, &Value> = BTreeMap::new();
    for event in &events {
        let id = event["id"].as_str().expect("an id");
        assert_eq!(*first.entry(id).or_insert(event), event, "a repeated delivery of {id} differs");
    }
}

/// A receiver that is down at first: executions end while nobody listens at the URL, the server is killed and started
/// again with the receiver still down, more executions end; once the receiver listens it gets every event, RUNNING
/// then SUCCEEDED for each execution.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_receiver_that_is_down_at_first_gets_every_event_later() {
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}/events");
    let dir = data_dir();
    let args = ["--events-url", &url, "--events-max-backoff-ms", "500"];
    let mut server = Server::start_with(dir.path(), &args);
    let client = server.client();
    let machine = create(&client, "Quick", &json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}), StateMachineType::Standard).await;
    let mut arns = BTreeSet::new();
    for i in 0..3 {
        let arn = start(&client, &machine, &format!("before-{i}"), &json!({"i": i})).await;
        assert_eq!(finished(&client, &arn, Duration::from_secs(10)).await.status(), &ExecutionStatus::Succeeded);
        arns.insert(arn);
    }
    assert!(server.logged("cannot deliver status-change events", Duration::from_secs(10)).is_some(), "the server tried");
    server.kill();

    let server = Server::start_with(dir.path(), &args);
    let client = server.client();
    for i in 0..3 {
        let arn = start(&client, &machine, &format!("after-{i}"), &json!({"i": i})).await;
        assert_eq!(finished(&client, &arn, Duration::from_secs(10)).await.status(), &ExecutionStatus::Succeeded);
        arns.insert(arn);
    }
    assert!(server.logged("cannot deliver status-change events", Duration::from_secs(10)).is_some(), "the server tried again");
    std::thread::sleep(Duration::from_secs(1));

    let receiver = Receiver::start(port);
    let events = receiver.wait_for(arns.len() * 2, Duration::from_secs(20));
    let executions = by_execution(&events);
    assert_eq!(executions.keys().cloned().collect::<BTreeSet<_>>(), arns);
    for (arn, events) in &executions {
        assert_eq!(statuses(events), ["RUNNING", "SUCCEEDED"], "{arn}");
    }
}

/// Two servers on one PostgreSQL database deliver one outbox: with the receiver down at first, the executions both ran
/// end, then the receiver listens and gets every event once (each server claims what it sends), in order per
/// execution.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn servers_sharing_postgres_send_each_event_once() {
    const EXECUTIONS: usize = 20;
    let Some(url) = pgtest::database() else { return };
    let port = free_port();
    let receiver_url = format!("http://127.0.0.1:{port}/events");
    let args = ["--database-url", &url, "--events-url", &receiver_url, "--events-max-backoff-ms", "300"];
    let (first_dir, second_dir) = (data_dir(), data_dir());
    let servers = [Server::start_with(first_dir.path(), &args), Server::start_with(second_dir.path(), &args)];
    let clients = [servers[0].client(), servers[1].client()];
    let machine = create(&clients[0], "Shared", &json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}), StateMachineType::Standard).await;
    let mut arns = BTreeSet::new();
    for i in 0..EXECUTIONS {
        let client = &clients[i % 2];
        let arn = start(client, &machine, &format!("shared-{i}"), &json!({"i": i})).await;
        assert_eq!(finished(client, &arn, Duration::from_secs(10)).await.status(), &ExecutionStatus::Succeeded);
        arns.insert(arn);
    }
    for server in &servers {
        assert!(server.logged("cannot deliver status-change events", Duration::from_secs(10)).is_some(), "each server tried");
    }

    let receiver = Receiver::start(port);
    let events = receiver.wait_for(EXECUTIONS * 2, Duration::from_secs(30));
    std::thread::sleep(Duration::from_secs(1));
    let events_now = receiver.events();
    assert_eq!(events_now.len(), EXECUTIONS * 2, "each event delivered once: {events_now:#?}");
    let executions = by_execution(&events);
    assert_eq!(executions.keys().cloned().collect::<BTreeSet<_>>(), arns);
    for (arn, events) in &executions {
        assert_eq!(statuses(events), ["RUNNING", "SUCCEEDED"], "{arn}");
    }
}

/// `--events-bus`: the events go to an EventBridge bus (moto's) through events:PutEvents, with AWS's `detail-type`
/// and `detail` and Baton's source; a rule on the bus that matches them sends them to an SQS queue, where they are
/// read: RUNNING, then SUCCEEDED, of the execution.
#[test]
fn events_go_to_an_eventbridge_bus() {
    let Some(moto) = crate::aws_services::Moto::start() else { return };
    let setup = "events = client('events')\n\
                 sqs = client('sqs')\n\
                 events.create_event_bus(Name='orders-bus')\n\
                 queue = sqs.create_queue(QueueName='status-changes')['QueueUrl']\n\
                 arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=['QueueArn'])['Attributes']['QueueArn']\n\
                 events.put_rule(Name='changes', EventBusName='orders-bus', EventPattern=json.dumps(\
                 {'source': ['baton.states'], 'detail-type': ['Step Functions Execution Status Change']}))\n\
                 events.put_targets(Rule='changes', EventBusName='orders-bus', Targets=[{'Id': 'queue', 'Arn': arn}])\n\
                 print(json.dumps(queue))";
    let Some(queue) = moto.boto3(setup) else { return };
    let queue = queue.as_str().expect("a queue URL").to_owned();
    let (server, _data) = moto.serve(&["--events-bus", "orders-bus"]);
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    let arn = runtime.block_on(async {
        let client = server.client();
        let definition = json!({"StartAt": "Done", "States": {"Done": {"Type": "Pass", "Result": {"shipped": true}, "End": true}}});
        let machine = create(&client, "bus", &definition, StateMachineType::Standard).await;
        let arn = start(&client, &machine, "one", &json!({"order": 7})).await;
        finished(&client, &arn, Duration::from_secs(30)).await;
        arn
    });
    let read = format!(
        "sqs = client('sqs')\n\
         got = sqs.receive_message(QueueUrl='{queue}', MaxNumberOfMessages=10, WaitTimeSeconds=1).get('Messages', [])\n\
         for m in got: sqs.delete_message(QueueUrl='{queue}', ReceiptHandle=m['ReceiptHandle'])\n\
         print(json.dumps([json.loads(m['Body']) for m in got]))"
    );
    let mut received: Vec<Value> = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while received.len() < 2 {
        assert!(Instant::now() < deadline, "the queue got {received:?}");
        received.extend(moto.boto3(&read).expect("boto3").as_array().cloned().unwrap_or_default());
    }
    received.sort_by_key(|event| event["detail"]["status"] != "RUNNING");
    let statuses: Vec<&str> = received.iter().map(|event| event["detail"]["status"].as_str().unwrap_or_default()).collect();
    assert_eq!(statuses, ["RUNNING", "SUCCEEDED"], "{received:?}");
    for event in &received {
        assert_eq!(event["source"], "baton.states", "{event}");
        assert_eq!(event["detail-type"], "Step Functions Execution Status Change", "{event}");
        assert_eq!(event["resources"], json!([arn]), "{event}");
        assert_eq!(event["detail"]["executionArn"], arn.as_str(), "{event}");
        assert_eq!(event["detail"]["input"], r#"{"order":7}"#, "{event}");
    }
    assert_eq!(received[1]["detail"]["output"], r#"{"shipped":true}"#);
}
