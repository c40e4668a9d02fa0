//! `GET /metrics`: the counters of `baton serve`, read with Prometheus's own parser (the `prometheus_client` Python
//! package's OpenMetrics parser; CI installs it, and the test is skipped with a note where Python lacks it).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::Duration;

use aws_sdk_sfn::types::StateMachineType;
use serde_json::{Value, json};

use crate::serve::{Server, create, data_dir, finished, start};

/// Prints each sample of the OpenMetrics text on stdin as `name labels-as-JSON value`, one per line.
const PARSE: &str = "
import json, sys
from prometheus_client.openmetrics.parser import text_string_to_metric_families
for family in text_string_to_metric_families(sys.stdin.read()):
    for sample in family.samples:
        print(json.dumps([sample.name, sample.labels, sample.value]))
";

fn has_parser() -> bool {
    Command::new("python3").args(["-c", "import prometheus_client.openmetrics.parser"]).output().is_ok_and(|o| o.status.success())
}

/// The samples of `text`, as Prometheus's parser reads them (it fails the test on text that does not parse).
fn parse(text: &str) -> Vec<(String, Value, f64)> {
    let mut child = Command::new("python3")
        .args(["-c", PARSE])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run python3");
    child.stdin.take().expect("stdin").write_all(text.as_bytes()).expect("write the metrics");
    let output = child.wait_with_output().expect("the parser ran");
    assert!(output.status.success(), "the metrics do not parse: {}\n{text}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| serde_json::from_str::<(String, Value, f64)>(line).expect("a sample"))
        .collect()
}

fn get(addr: &str, path: &str) -> String {
    let mut stream = TcpStream::connect(addr).expect("connect");
    write!(stream, "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").expect("send");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("read");
    answer
}

/// After 5 executions of one machine (3 succeed, 2 fail), its counters say 5, 3 and 2; another machine's are apart;
/// the API requests are counted by action and status.
#[tokio::test(flavor = "multi_thread")]
async fn metrics_count_executions_by_machine() {
    if !has_parser() {
        eprintln!("note: skipping the metrics test: Python lacks prometheus_client (pip install prometheus_client==0.21.1)");
        return;
    }
    let dir = data_dir();
    let server = Server::start(dir.path());
    let client = server.client();
    let definition = json!({"StartAt": "Check", "States": {
        "Check": {"Type": "Choice", "Choices": [{"Variable": "$.ok", "BooleanEquals": true, "Next": "Done"}], "Default": "Bad"},
        "Done": {"Type": "Succeed"},
        "Bad": {"Type": "Fail", "Error": "Order.Rejected"}}});
    let machine = create(&client, "orders", &definition, StateMachineType::Standard).await;
    let other = create(&client, "other", &definition, StateMachineType::Standard).await;
    let mut arns = Vec::new();
    for (index, ok) in [true, false, true, false, true].into_iter().enumerate() {
        arns.push(start(&client, &machine, &format!("run-{index}"), &json!({"ok": ok})).await);
    }
    arns.push(start(&client, &other, "elsewhere", &json!({"ok": true})).await);
    for arn in &arns {
        finished(&client, arn, Duration::from_secs(30)).await;
    }

    let answer = get(&server.addr, "/metrics");
    let (head, body) = answer.split_once("\r\n\r\n").expect("a response");
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(head.to_ascii_lowercase().contains("content-type: application/openmetrics-text"), "{head}");
    let samples = parse(body);
    let value = |name: &str, machine: &str| {
        samples
            .iter()
            .find(|(sample, labels, _)| sample == name && labels["state_machine"] == machine)
            .map(|(_, _, value)| *value)
    };
    assert_eq!(value("baton_executions_started_total", "orders"), Some(5.0), "{body}");
    assert_eq!(value("baton_executions_succeeded_total", "orders"), Some(3.0), "{body}");
    assert_eq!(value("baton_executions_failed_total", "orders"), Some(2.0), "{body}");
    assert_eq!(value("baton_execution_duration_seconds_count", "orders"), Some(5.0), "{body}");
    // Choice, then Succeed or Fail: two states entered per execution.
    assert_eq!(value("baton_state_transitions_total", "orders"), Some(10.0), "{body}");
    assert_eq!(value("baton_executions_started_total", "other"), Some(1.0), "{body}");
    assert_eq!(value("baton_executions_failed_total", "other"), None, "{body}");
    let requests = |action: &str, status: &str| {
        samples
            .iter()
            .find(|(sample, labels, _)| sample == "baton_http_requests_total" && labels["action"] == action && labels["status"] == status)
            .map(|(_, _, value)| *value)
    };
    assert_eq!(requests("StartExecution", "200"), Some(6.0), "{body}");
    assert_eq!(requests("CreateStateMachine", "200"), Some(2.0), "{body}");
}

/// The activity family's counters, times and queue depth, the parked executions, the store's writer and the API's
/// request times: each moves as the executions do.
#[tokio::test(flavor = "multi_thread")]
async fn metrics_follow_tasks_queues_and_parked_executions() {
    if !has_parser() {
        eprintln!("note: skipping the metrics test: Python lacks prometheus_client (pip install prometheus_client==0.21.1)");
        return;
    }
    let dir = data_dir();
    let server = Server::start_with(dir.path(), &["--park-after-ms", "1000"]);
    let client = server.client();
    let activity = client.create_activity().name("approve").send().await.expect("create activity").activity_arn().to_owned();
    let definition = json!({"StartAt": "Approve", "States": {"Approve": {"Type": "Task", "Resource": activity, "End": true}}});
    let machine = create(&client, "approvals", &definition, StateMachineType::Standard).await;
    let sleeper = json!({"StartAt": "Sleep", "States": {"Sleep": {"Type": "Wait", "Seconds": 3600, "End": true}}});
    let sleeper = create(&client, "sleeper", &sleeper, StateMachineType::Standard).await;
    let waiting = start(&client, &machine, "waits", &json!({})).await;
    start(&client, &sleeper, "sleeps", &json!({})).await;

    let scrape = || {
        let answer = get(&server.addr, "/metrics");
        let (_, body) = answer.split_once("\r\n\r\n").expect("a response");
        (parse(body), body.to_owned())
    };
    let value = |samples: &[(String, Value, f64)], name: &str, label: Option<(&str, &str)>| {
        samples
            .iter()
            .find(|(sample, labels, _)| sample == name && label.is_none_or(|(key, value)| labels[key] == value))
            .map(|(_, _, value)| *value)
    };
    let by_activity = Some(("activity_arn", activity.as_str()));
    // The task waits for a worker; the sleeper is parked once its first step is committed.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let (samples, body) = loop {
        let (samples, body) = scrape();
        if value(&samples, "baton_executions_parked", None) == Some(1.0) || std::time::Instant::now() > deadline {
            break (samples, body);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(value(&samples, "baton_executions_parked", None), Some(1.0), "{body}");
    assert_eq!(value(&samples, "baton_activity_tasks_waiting", by_activity), Some(1.0), "{body}");
    assert_eq!(value(&samples, "baton_activities_scheduled_total", by_activity), Some(1.0), "{body}");
    assert_eq!(value(&samples, "baton_activities_started_total", by_activity), None, "{body}");
    assert!(value(&samples, "baton_store_transactions_total", None).is_some_and(|n| n >= 1.0), "{body}");
    assert!(value(&samples, "baton_store_writes_total", None).is_some_and(|n| n >= 2.0), "{body}");
    assert!(value(&samples, "baton_store_commit_seconds_count", None).is_some_and(|n| n >= 2.0), "{body}");
    let starts = Some(("action", "StartExecution"));
    assert_eq!(value(&samples, "baton_http_request_duration_seconds_count", starts), Some(2.0), "{body}");

    let task = client.get_activity_task().activity_arn(&activity).worker_name("w").send().await.expect("get task");
    let token = task.task_token().expect("a task").to_owned();
    tokio::time::sleep(Duration::from_millis(300)).await;
    client.send_task_success().task_token(token).output(r#"{"approved": true}"#).send().await.expect("SendTaskSuccess");
    finished(&client, &waiting, Duration::from_secs(30)).await;

    let (samples, body) = scrape();
    assert_eq!(value(&samples, "baton_activity_tasks_waiting", by_activity), None, "{body}");
    assert_eq!(value(&samples, "baton_activities_started_total", by_activity), Some(1.0), "{body}");
    assert_eq!(value(&samples, "baton_activities_succeeded_total", by_activity), Some(1.0), "{body}");
    assert_eq!(value(&samples, "baton_activity_time_seconds_count", by_activity), Some(1.0), "{body}");
    // The worker held the task for at least the 300 ms slept before answering.
    assert!(value(&samples, "baton_activity_run_time_seconds_sum", by_activity).is_some_and(|s| s >= 0.3), "{body}");
    assert_eq!(value(&samples, "baton_executions_succeeded_total", Some(("state_machine", "approvals"))), Some(1.0), "{body}");
}

/// With `--credentials`, `/metrics` answers only a key marked `metrics = true`, with its secret in HTTP Basic or
/// Bearer authorization (a scraper cannot sign): 401 asking for it without, 403 for another key or a wrong secret.
#[test]
fn metrics_behind_credentials_answer_only_the_scrapers_key() {
    use base64::Engine;
    let dir = data_dir();
    let credentials = dir.path().join("keys.toml");
    std::fs::write(
        &credentials,
        "[[keys]]\naccess_key_id = \"AKIAUSER\"\nsecret_access_key = \"user-secret\"\naccount_id = \"111122223333\"\n\n\
         [[keys]]\naccess_key_id = \"AKIASCRAPER\"\nsecret_access_key = \"scraper-secret\"\naccount_id = \"111122223333\"\n\
         metrics = true\n",
    )
    .expect("write the credentials");
    let data = dir.path().join("data");
    let server = Server::start_with(&data, &["--credentials", credentials.to_str().expect("utf-8 path")]);
    let scrape = |authorization: Option<String>| {
        let mut stream = TcpStream::connect(&server.addr).expect("connect");
        let header = authorization.map(|value| format!("Authorization: {value}\r\n")).unwrap_or_default();
        write!(stream, "GET /metrics HTTP/1.1\r\nHost: {}\r\n{header}Connection: close\r\n\r\n", server.addr).expect("send");
        let mut answer = String::new();
        stream.read_to_string(&mut answer).expect("read");
        answer
    };
    let basic = |pair: &str| Some(format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(pair)));
    let anonymous = scrape(None);
    assert!(anonymous.starts_with("HTTP/1.1 401"), "{anonymous}");
    assert!(anonymous.to_ascii_lowercase().contains("www-authenticate: basic"), "{anonymous}");
    for refused in [basic("AKIAUSER:user-secret"), basic("AKIASCRAPER:wrong"), Some("Bearer AKIAUSER:user-secret".to_owned())] {
        let answer = scrape(refused.clone());
        assert!(answer.starts_with("HTTP/1.1 403"), "{refused:?}: {answer}");
    }
    for allowed in [basic("AKIASCRAPER:scraper-secret"), Some("Bearer AKIASCRAPER:scraper-secret".to_owned())] {
        let answer = scrape(allowed.clone());
        assert!(answer.starts_with("HTTP/1.1 200"), "{allowed:?}: {answer}");
        assert!(answer.contains("baton_executions_running"), "{answer}");
    }
}
