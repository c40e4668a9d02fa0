//! The web console in a real browser: headless Chromium renders an execution page of `baton serve`, and the DOM
//! it builds (the graph fetched as JSON and inserted by the page's script) carries each state's status.
//!
//! The machine has a Choice with an unvisited branch, a Parallel whose Task fails twice (one retry) and is caught,
//! and a Parallel whose Fail state is caught by the Parallel's Catch. A screenshot of the page is saved to
//! `$CARGO_TARGET_TMPDIR/console-execution.png`, with the
//! Task state `Right` selected to show its details. Skipped with a note when `/usr/bin/chromium` does not exist; CI
//! installs it, so it runs there.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::serve::{Server, data_dir};

const CHROMIUM: &str = "/usr/bin/chromium";
const ROLE: &str = "arn:aws:iam::123456789012:role/baton";

/// `POST /` with `X-Amz-Target: AWSStepFunctions.<action>`.
fn call(addr: &str, action: &str, body: &Value) -> Value {
    let mut response = ureq::post(format!("http://{addr}/"))
        .header("X-Amz-Target", format!("AWSStepFunctions.{action}"))
        .header("Content-Type", "application/x-amz-json-1.0")
        .send(body.to_string())
        .unwrap_or_else(|error| panic!("{action}: {error}"));
    let text = response.body_mut().read_to_string().expect("a body");
    serde_json::from_str(&text).expect("a JSON reply")
}

/// An ARN as one path segment, as the console's links write it (`encodeURIComponent`).
fn encode(arn: &str) -> String {
    arn.replace(':', "%3A").replace('/', "%2F")
}

/// Runs headless Chromium on `url` with `extra` arguments; kills it after two minutes.
fn chromium(profile: &Path, url: &str, extra: &[&str]) -> Output {
    let mut child = Command::new(CHROMIUM)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--virtual-time-budget=5000",
            "--window-size=1500,1100",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .arg(url)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start chromium");
    let deadline = Instant::now() + Duration::from_secs(120);
    while matches!(child.try_wait(), Ok(None)) {
        if Instant::now() > deadline {
            let _ = child.kill();
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().expect("chromium's output")
}

/// `data-state` → `data-status` of every state element in `dom`.
fn statuses(dom: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for piece in dom.split(r#"<g data-state=""#).skip(1) {
        let Some((name, rest)) = piece.split_once('"') else { continue };
        let Some(status) = rest.strip_prefix(r#" data-status=""#).and_then(|rest| rest.split_once('"')) else { continue };
        out.insert(name.to_owned(), status.0.to_owned());
    }
    out
}

#[test]
fn the_execution_page_colours_every_state_in_chromium() {
    if !Path::new(CHROMIUM).exists() {
        eprintln!("note: {CHROMIUM} not found; skipping the headless browser test of the console");
        return;
    }
    let dir = data_dir();
    let server = Server::start(dir.path());
    let addr = server.addr.as_str();

    let definition = json!({
        "StartAt": "Check",
        "States": {
            "Check": {"Type": "Choice", "Choices": [{"Variable": "$.go", "BooleanEquals": true, "Next": "Fan"}], "Default": "Skipped"},
            "Skipped": {"Type": "Pass", "End": true},
            "Fan": {"Type": "Parallel", "Next": "Explode", "Branches": [
                {"StartAt": "Left", "States": {"Left": {"Type": "Pass", "Assign": {"side": "left"}, "End": true}}},
                {"StartAt": "Right", "States": {
                    "Right": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage",
                        "Parameters": {"QueueUrl": "q", "MessageBody": "m"},
                        "Retry": [{"ErrorEquals": ["States.ALL"], "MaxAttempts": 1, "IntervalSeconds": 1}],
                        "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Recovered"}], "End": true},
                    "Recovered": {"Type": "Pass", "End": true}
                }}
            ]},
            "Explode": {"Type": "Parallel", "Next": "Never",
                "Branches": [{"StartAt": "Boom", "States": {"Boom": {"Type": "Fail", "Error": "Boom", "Cause": "on purpose"}}}],
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Done"}]},
            "Never": {"Type": "Pass", "End": true},
            "Done": {"Type": "Succeed"}
        }
    });
    let created = call(addr, "CreateStateMachine", &json!({"name": "Console", "definition": definition.to_string(), "roleArn": ROLE}));
    let machine = created["stateMachineArn"].as_str().expect("a state machine ARN").to_owned();
    let started = call(addr, "StartExecution", &json!({"stateMachineArn": machine, "name": "seen", "input": r#"{"go":true}"#}));
    let execution = started["executionArn"].as_str().expect("an execution ARN").to_owned();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let described = call(addr, "DescribeExecution", &json!({"executionArn": execution}));
        if described["status"] != "RUNNING" {
            assert_eq!(described["status"], "SUCCEEDED", "{described}");
            break;
        }
        assert!(Instant::now() < deadline, "the execution did not finish: {described}");
        std::thread::sleep(Duration::from_millis(50));
    }

    let url = format!("http://{addr}/console/executions/{}", encode(&execution));
    let profile = tempfile::tempdir().expect("a profile directory");
    let output = chromium(profile.path(), &url, &["--dump-dom"]);
    let dom = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "chromium failed: {}\n{dom}", String::from_utf8_lossy(&output.stderr));
    let expected: BTreeMap<String, String> = [
        ("Boom", "failed"),
        ("Check", "succeeded"),
        ("Done", "succeeded"),
        ("Explode", "caught"),
        ("Fan", "succeeded"),
        ("Left", "succeeded"),
        ("Never", "not-run"),
        ("Recovered", "succeeded"),
        ("Right", "caught"),
        ("Skipped", "not-run"),
    ]
    .into_iter()
    .map(|(name, status)| (name.to_owned(), status.to_owned()))
    .collect();
    assert_eq!(statuses(&dom), expected, "{dom}");
    // The page's own parts rendered too: the status badge, the buttons, the event table.
    assert!(dom.contains(r#"<span class="status SUCCEEDED">SUCCEEDED</span>"#), "{dom}");
    assert!(dom.contains(r#"id="redrive""#) && dom.contains(r#"id="stop" disabled"#), "{dom}");
    assert!(dom.contains("<td>ExecutionSucceeded</td>"), "{dom}");

    let screenshot = Path::new(env!("CARGO_TARGET_TMPDIR")).join("console-execution.png");
    let _ = std::fs::remove_file(&screenshot);
    // With Right selected (as a click would), its details show: two attempts, the error it was caught with.
    let selected = format!("{url}#state=Right");
    let output = chromium(profile.path(), &selected, &["--dump-dom"]);
    let dom = String::from_utf8_lossy(&output.stdout);
    let details = dom.split(r#"id="state-details""#).nth(1).expect("the state details panel");
    assert!(details.contains("<dt>Attempts</dt><dd>2 (1 retry)</dd>"), "{details}");
    assert!(details.contains("<dt>Error</dt><dd>States.TaskFailed</dd>"), "{details}");
    assert!(details.contains("<dt>Status</dt><dd>caught</dd>"), "{details}");
    assert!(dom.contains(r#"<g data-state="Right" data-status="caught" class="state task selected">"#), "{dom}");

    let shot = chromium(profile.path(), &selected, &[&format!("--screenshot={}", screenshot.display())]);
    assert!(shot.status.success(), "chromium screenshot failed: {}", String::from_utf8_lossy(&shot.stderr));
    let png = std::fs::read(&screenshot).expect("a screenshot file");
    assert!(png.starts_with(b"\x89PNG"), "not a PNG");
    eprintln!("console screenshot: {}", screenshot.display());
    drop(server);
}
