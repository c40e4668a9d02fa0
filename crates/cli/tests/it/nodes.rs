//! `baton serve` on PostgreSQL (`--database-url`): the real binary against a throwaway cluster that the tests start
//! themselves (`pgtest`; skipped with a note where PostgreSQL is not installed), driven by the AWS SDK for Rust.

use std::time::{Duration, Instant};

use aws_sdk_sfn::types::{ExecutionStatus, StateMachineType};
use serde_json::{Value, json};

use crate::serve::{Server, create, data_dir, history, list, start, types};

/// A server on the database `url` with a lease of one second, and its own (unused) data directory, so that nothing
/// it keeps could be on disk.
fn node(url: &str, dir: &tempfile::TempDir) -> Server {
    Server::start_with(dir.path(), &["--database-url", url, "--lease-seconds", "1"])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn executions_on_postgres_survive_kill_9_and_a_restart_elsewhere() {
    const EXECUTIONS: usize = 40;
    let Some(url) = pgtest::database() else { return };
    let first_dir = data_dir();
    let mut server = node(&url, &first_dir);
    let client = server.client();
    let machine = create(
        &client,
        "Parked",
        &json!({"StartAt": "A", "States": {
            "A": {"Type": "Pass", "Next": "W"},
            "W": {"Type": "Wait", "Seconds": 3, "Next": "B"},
            "B": {"Type": "Pass", "Parameters": {"i.$": "$.i", "done": true}, "End": true}
        }}),
        StateMachineType::Standard,
    )
    .await;
    let mut arns = Vec::new();
    for i in 0..EXECUTIONS {
        arns.push(start(&client, &machine, &format!("parked-{i}"), &json!({"i": i})).await);
    }
    server.kill();
    assert!(std::fs::read_dir(first_dir.path()).map_or(true, |mut entries| entries.next().is_none()), "nothing on disk");

    // Another server, another directory: everything is in the database. It takes the executions over once the
    // killed server's lease has run out.
    let other_dir = data_dir();
    let server = node(&url, &other_dir);
    let client = server.client();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (succeeded, _) = list(&client, &machine, Some(ExecutionStatus::Succeeded), 1000).await;
        if succeeded.len() == EXECUTIONS {
            break;
        }
        assert!(Instant::now() < deadline, "only {} of {EXECUTIONS} succeeded", succeeded.len());
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    for (i, arn) in arns.iter().enumerate() {
        let described = client.describe_execution().execution_arn(arn).send().await.expect("describe_execution");
        let output: Value = serde_json::from_str(described.output.as_deref().expect("output")).expect("json");
        assert_eq!(output, json!({"i": i, "done": true}), "{arn}");
        let events = history(&client, arn, 3).await;
        assert_eq!(types(arn, &events).len(), 8, "{arn}");
    }
}
