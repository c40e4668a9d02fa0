//! `baton watch`: an execution's events printed live from `baton serve` until it ends, the exit code saying how.

use std::process::{Command, Stdio};

use aws_sdk_sfn::types::StateMachineType;
use serde_json::json;

use crate::serve::{Server, create, data_dir, start};

/// Runs `baton watch arn` against the server at `addr` with no AWS configuration at all; its stdout and exit code.
fn watch(addr: &str, arn: &str) -> (String, Option<i32>) {
    let home = data_dir();
    let output = Command::new(env!("CARGO_BIN_EXE_baton"))
        .args(["watch", arn, "--interval-ms", "100", "--endpoint-url"])
        .arg(format!("http://{addr}"))
        .env("HOME", home.path())
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env_remove("AWS_PROFILE")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .stdin(Stdio::null())
        .output()
        .expect("run baton watch");
    (String::from_utf8_lossy(&output.stdout).into_owned(), output.status.code())
}

/// `watch`, off the async workers (the server's client shares them).
async fn watched(server: &Server, arn: &str) -> (String, Option<i32>) {
    let (addr, arn) = (server.addr.clone(), arn.to_owned());
    tokio::task::spawn_blocking(move || watch(&addr, &arn)).await.expect("the watch ran")
}

/// Started before its Wait ends, the watch prints the events as they come, each with its state, the failure's error
/// and cause, and stops at the end: 1 for a failure, 0 for a success.
#[tokio::test(flavor = "multi_thread")]
async fn watch_prints_the_events_until_the_end() {
    let dir = data_dir();
    let server = Server::start(dir.path());
    let client = server.client();
    let failing = json!({"StartAt": "Pause", "States": {
        "Pause": {"Type": "Wait", "Seconds": 1, "Next": "Stop"},
        "Stop": {"Type": "Fail", "Error": "Order.Rejected", "Cause": "out of stock"}}});
    let machine = create(&client, "watched", &failing, StateMachineType::Standard).await;
    let arn = start(&client, &machine, "first", &json!({})).await;
    let (printed, code) = watched(&server, &arn).await;
    let lines: Vec<Vec<&str>> = printed.lines().map(|line| line.trim_start().split("  ").map(str::trim).collect()).collect();
    let kinds: Vec<&str> = lines.iter().map(|fields| fields.get(2).copied().unwrap_or_default()).collect();
    assert_eq!(kinds, ["ExecutionStarted", "WaitStateEntered", "WaitStateExited", "FailStateEntered", "ExecutionFailed"], "{printed}");
    assert_eq!(lines[1].get(3), Some(&"Pause"), "{printed}");
    assert_eq!(lines[4].get(3), Some(&"Order.Rejected: out of stock"), "{printed}");
    assert_eq!(code, Some(1));

    let passing = json!({"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": true}}});
    let machine = create(&client, "passing", &passing, StateMachineType::Standard).await;
    let arn = start(&client, &machine, "second", &json!({})).await;
    let (printed, code) = watched(&server, &arn).await;
    assert!(printed.trim_end().ends_with("ExecutionSucceeded"), "{printed}");
    assert_eq!(code, Some(0));
}
