//! The heavy end-to-end tests of `baton serve`: the real binary on a free 127.0.0.1 port with a temporary data
//! directory, driven by the real AWS SDK for Rust (`aws-sdk-sfn`) and by boto3.
//!
//! They cover the acceptance list of the server: the whole lifecycle, every error code a client meets first, paging,
//! StopExecution, StartSyncExecution on an Express machine, DescribeStateMachineForExecution, malformed requests that
//! must not hurt the server, and crash recovery: executions parked in a Wait, and activities with the tasks waiting on
//! them, survive `kill -9` and a restart.
//! Everything quicker and finer-grained is tested without sockets in `crates/server` (`Router::oneshot`).
//!
//! Every server is held by a `Server` guard that kills the process on drop, so a failing test leaves no child behind.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use aws_sdk_sfn::Client;
use aws_sdk_sfn::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_sfn::types::{ExecutionStatus, HistoryEvent, StateMachineType};
use serde_json::{Value, json};

const ROLE: &str = "arn:aws:iam::123456789012:role/baton";

/// A running `baton serve`, killed (SIGKILL) when dropped.
pub(crate) struct Server {
    child: Child,
    /// `127.0.0.1:<port>`.
    pub(crate) addr: String,
    /// How many executions it said it resumed on start-up.
    pub(crate) resumed: usize,
    /// Every line it printed on stderr so far.
    log: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl Server {
    /// Starts `baton serve` on a free port over `data_dir` and waits until it serves.
    pub(crate) fn start(data_dir: &Path) -> Server {
        Server::start_with(data_dir, &[])
    }

    /// `start` with more `baton serve` arguments.
    pub(crate) fn start_with(data_dir: &Path, extra: &[&str]) -> Server {
        Server::start_env(data_dir, extra, &[])
    }

    /// `start_with`, with more environment variables for the server.
    pub(crate) fn start_env(data_dir: &Path, extra: &[&str], env: &[(&str, &str)]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_baton"))
            .args(["serve", "--bind", "127.0.0.1:0", "--data-dir"])
            .arg(data_dir)
            .args(extra)
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start baton serve");
        let stderr = child.stderr.take().expect("piped stderr");
        let mut server = Server { child, addr: String::new(), resumed: 0, log: Default::default() };
        let (sender, receiver) = mpsc::channel();
        let log = server.log.clone();
        // Forwards the server's stderr to the test's (shown when a test fails), keeps it, and reports its serving
        // line.
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if let Some(serving) = serving_line(&line) {
                    let _ = sender.send(serving);
                }
                eprintln!("[baton serve] {line}");
                log.lock().expect("log lock").push(line);
            }
        });
        let (addr, resumed) = receiver.recv_timeout(Duration::from_secs(120)).expect("baton serve did not start serving");
        server.addr = addr;
        server.resumed = resumed;
        server
    }

    /// Kills the process with SIGKILL, as a crash would, and reaps it.
    pub(crate) fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// The process id.
    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends SIGTERM and waits up to `timeout` for the process to exit; whether it did.
    pub(crate) fn terminate(&mut self, timeout: Duration) -> bool {
        let _ = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if !self.alive() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }

    /// The most resident memory the process has used so far, in KiB (Linux's `VmHWM`).
    pub(crate) fn peak_resident_kib(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
        line.split_whitespace().nth(1)?.parse().ok()
    }

    /// Waits up to `timeout` for a line of the server's stderr that contains `text`, and returns it.
    pub(crate) fn logged(&self, text: &str, timeout: Duration) -> Option<String> {
        let deadline = Instant::now() + timeout;
        loop {
            let found = self.log.lock().expect("log lock").iter().find(|line| line.contains(text)).cloned();
            if found.is_some() || Instant::now() >= deadline {
                return found;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Whether the process is still running.
    pub(crate) fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    pub(crate) fn client(&self) -> Client {
        let conf = aws_sdk_sfn::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new("AKIDLOCAL", "secret", None, None, "static"))
            .endpoint_url(format!("http://{}", self.addr))
            .build();
        Client::from_conf(conf)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// `(address, resumed)` from `baton: serving … on http://ADDR (data in …, N executions resumed)` (or `https://`).
fn serving_line(line: &str) -> Option<(String, usize)> {
    // With `--log-format json` the notice is the message of a JSON line.
    let message = serde_json::from_str::<Value>(line).ok().and_then(|line| line["fields"]["message"].as_str().map(str::to_owned));
    let line = message.map_or_else(|| line.to_owned(), |message| format!("baton: {message}"));
    let rest = line.strip_prefix("baton: serving")?;
    let addr = rest.split_once("://")?.1.split_whitespace().next()?.to_owned();
    let resumed = rest.rsplit_once(", ")?.1.split_whitespace().next()?.parse().ok()?;
    Some((addr, resumed))
}

pub(crate) fn data_dir() -> tempfile::TempDir {
    tempfile::Builder::new().prefix("baton-e2e-").tempdir().expect("temp dir")
}

pub(crate) async fn create(client: &Client, name: &str, definition: &Value, kind: StateMachineType) -> String {
    create_logged(client, name, definition, kind, None).await
}

/// `create`, with a `loggingConfiguration`.
pub(crate) async fn create_logged(
    client: &Client,
    name: &str,
    definition: &Value,
    kind: StateMachineType,
    logging: Option<aws_sdk_sfn::types::LoggingConfiguration>,
) -> String {
    client
        .create_state_machine()
        .name(name)
        .definition(definition.to_string())
        .role_arn(ROLE)
        .r#type(kind)
        .set_logging_configuration(logging)
        .send()
        .await
        .expect("create_state_machine")
        .state_machine_arn
}

pub(crate) async fn start(client: &Client, machine: &str, name: &str, input: &Value) -> String {
    client
        .start_execution()
        .state_machine_arn(machine)
        .name(name)
        .input(input.to_string())
        .send()
        .await
        .expect("start_execution")
        .execution_arn
}

/// Polls until the execution has ended; returns its final status.
pub(crate) async fn finished(client: &Client, arn: &str, timeout: Duration) -> aws_sdk_sfn::operation::describe_execution::DescribeExecutionOutput {
    let deadline = Instant::now() + timeout;
    loop {
        let described = client.describe_execution().execution_arn(arn).send().await.expect("describe_execution");
        if described.status != ExecutionStatus::Running {
            return described;
        }
        assert!(Instant::now() < deadline, "{arn} still RUNNING after {timeout:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The whole history, following `nextToken`, in pages of `page` events.
pub(crate) async fn history(client: &Client, arn: &str, page: i32) -> Vec<HistoryEvent> {
    let mut events = Vec::new();
    let mut token = None;
    loop {
        let out = client
            .get_execution_history()
            .execution_arn(arn)
            .max_results(page)
            .set_next_token(token)
            .send()
            .await
            .expect("get_execution_history");
        events.extend(out.events);
        token = out.next_token;
        if token.is_none() {
            return events;
        }
    }
}

/// Checks ids `1..=n` in order and returns the event types.
#[track_caller]
pub(crate) fn types(arn: &str, events: &[HistoryEvent]) -> Vec<String> {
    let ids: Vec<i64> = events.iter().map(|e| e.id).collect();
    let expected: Vec<i64> = (1..=i64::try_from(events.len()).expect("small")).collect();
    assert_eq!(ids, expected, "history ids of {arn}");
    events.iter().map(|e| e.r#type.as_str().to_owned()).collect()
}

/// Waits until `count` executions of `machine` have succeeded, for at most `within`.
pub(crate) async fn all_succeed(client: &Client, machine: &str, count: usize, within: Duration) {
    let deadline = Instant::now() + within;
    loop {
        let (succeeded, _) = list(client, machine, Some(ExecutionStatus::Succeeded), 1000).await;
        if succeeded.len() == count {
            return;
        }
        assert!(Instant::now() < deadline, "only {} of {count} executions of {machine} succeeded", succeeded.len());
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Every execution of `machine` (optionally with one status), following `nextToken`, in pages of `page`.
pub(crate) async fn list(client: &Client, machine: &str, status: Option<ExecutionStatus>, page: i32) -> (Vec<String>, usize) {
    let mut arns = Vec::new();
    let mut pages = 0;
    let mut token = None;
    loop {
        let out = client
            .list_executions()
            .state_machine_arn(machine)
            .set_status_filter(status.clone())
            .max_results(page)
            .set_next_token(token)
            .send()
            .await
            .expect("list_executions");
        pages += 1;
        assert!(out.executions.len() <= usize::try_from(page).expect("positive"), "a page holds at most maxResults");
        arns.extend(out.executions.into_iter().map(|e| e.execution_arn));
        token = out.next_token;
        if token.is_none() {
            return (arns, pages);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sdk_lifecycle_errors_paging_stop_and_sync_express() {
    let dir = data_dir();
    let mut server = Server::start(dir.path());
    let client = server.client();

    // Create, describe, list.
    let definition = json!({"StartAt": "A", "States": {
        "A": {"Type": "Pass", "Parameters": {"doubled.$": "States.MathAdd($.n, $.n)"}, "Next": "W"},
        "W": {"Type": "Wait", "Seconds": 0, "End": true}
    }});
    let machine = create(&client, "Doubler", &definition, StateMachineType::Standard).await;
    assert_eq!(machine, "arn:aws:states:us-east-1:123456789012:stateMachine:Doubler");
    let described = client.describe_state_machine().state_machine_arn(&machine).send().await.expect("describe");
    assert_eq!(described.name, "Doubler");
    assert_eq!(serde_json::from_str::<Value>(&described.definition).expect("json"), definition);
    let machines = client.list_state_machines().send().await.expect("list_state_machines");
    assert!(machines.state_machines.iter().any(|m| m.state_machine_arn == machine));

    // One execution to its end, with its history.
    let arn = start(&client, &machine, "first", &json!({"n": 21})).await;
    let ended = finished(&client, &arn, Duration::from_secs(30)).await;
    assert_eq!(ended.status, ExecutionStatus::Succeeded);
    assert_eq!(serde_json::from_str::<Value>(ended.output.as_deref().expect("output")).expect("json"), json!({"doubled": 42}));
    let events = history(&client, &arn, 2).await;
    assert_eq!(
        types(&arn, &events),
        [
            "ExecutionStarted",
            "PassStateEntered",
            "PassStateExited",
            "WaitStateEntered",
            "WaitStateExited",
            "ExecutionSucceeded"
        ]
    );
    let for_execution =
        client.describe_state_machine_for_execution().execution_arn(&arn).send().await.expect("describe_state_machine_for_execution");
    assert_eq!(for_execution.state_machine_arn, machine);
    assert_eq!(serde_json::from_str::<Value>(&for_execution.definition).expect("json"), definition);

    // Every error code a first-time user meets.
    let invalid = client
        .create_state_machine()
        .name("Broken")
        .definition(r#"{"StartAt": "Nope", "States": {"A": {"Type": "Pass", "End": true}}}"#)
        .role_arn(ROLE)
        .send()
        .await
        .expect_err("an invalid definition");
    assert!(invalid.as_service_error().is_some_and(|e| e.is_invalid_definition()), "{invalid:?}");
    let not_json = client
        .create_state_machine()
        .name("NotJson")
        .definition("{")
        .role_arn(ROLE)
        .send()
        .await
        .expect_err("a definition that is not JSON");
    assert!(not_json.as_service_error().is_some_and(|e| e.is_invalid_definition()), "{not_json:?}");
    let unknown_machine = client
        .start_execution()
        .state_machine_arn("arn:aws:states:us-east-1:123456789012:stateMachine:Nobody")
        .send()
        .await
        .expect_err("an unknown state machine");
    assert!(unknown_machine.as_service_error().is_some_and(|e| e.is_state_machine_does_not_exist()), "{unknown_machine:?}");
    let unknown_describe = client
        .describe_state_machine()
        .state_machine_arn("arn:aws:states:us-east-1:123456789012:stateMachine:Nobody")
        .send()
        .await
        .expect_err("an unknown state machine");
    assert!(unknown_describe.as_service_error().is_some_and(|e| e.is_state_machine_does_not_exist()), "{unknown_describe:?}");
    let unknown_execution = client
        .describe_execution()
        .execution_arn("arn:aws:states:us-east-1:123456789012:execution:Doubler:nobody")
        .send()
        .await
        .expect_err("an unknown execution");
    assert!(unknown_execution.as_service_error().is_some_and(|e| e.is_execution_does_not_exist()), "{unknown_execution:?}");
    let unknown_history = client
        .get_execution_history()
        .execution_arn("arn:aws:states:us-east-1:123456789012:execution:Doubler:nobody")
        .send()
        .await
        .expect_err("an unknown execution");
    assert!(unknown_history.as_service_error().is_some_and(|e| e.is_execution_does_not_exist()), "{unknown_history:?}");
    let bad_input = client
        .start_execution()
        .state_machine_arn(&machine)
        .input("{not json")
        .send()
        .await
        .expect_err("malformed input");
    assert!(bad_input.as_service_error().is_some_and(|e| e.is_invalid_execution_input()), "{bad_input:?}");
    let bad_arn = client.describe_execution().execution_arn("not-an-arn").send().await.expect_err("a malformed ARN");
    assert!(bad_arn.as_service_error().is_some_and(|e| e.is_invalid_arn()), "{bad_arn:?}");

    // Paging: 7 executions in pages of 2, each listed once; the first one's history is readable while others run.
    let mut started = BTreeSet::from([arn.clone()]);
    for i in 0..6 {
        started.insert(start(&client, &machine, &format!("paged-{i}"), &json!({"n": i})).await);
    }
    assert_eq!(history(&client, &arn, 100).await.len(), 6, "a finished history reads the same while others run");
    for execution in &started {
        finished(&client, execution, Duration::from_secs(30)).await;
    }
    let (listed, pages) = list(&client, &machine, None, 2).await;
    assert_eq!(pages, 4);
    assert_eq!(listed.len(), 7, "no execution listed twice: {listed:?}");
    assert_eq!(listed.into_iter().collect::<BTreeSet<_>>(), started);
    let (succeeded, _) = list(&client, &machine, Some(ExecutionStatus::Succeeded), 100).await;
    assert_eq!(succeeded.len(), 7);

    // StopExecution aborts a waiting execution.
    let sleeper = create(
        &client,
        "Sleeper",
        &json!({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 3600, "End": true}}}),
        StateMachineType::Standard,
    )
    .await;
    let sleeping = start(&client, &sleeper, "sleeping", &json!({})).await;
    let (running, _) = list(&client, &sleeper, Some(ExecutionStatus::Running), 10).await;
    assert_eq!(running, std::slice::from_ref(&sleeping));
    client.stop_execution().execution_arn(&sleeping).error("Halt").cause("by the test").send().await.expect("stop_execution");
    let stopped = client.describe_execution().execution_arn(&sleeping).send().await.expect("describe_execution");
    assert_eq!(stopped.status, ExecutionStatus::Aborted);
    let stopped_types = types(&sleeping, &history(&client, &sleeping, 100).await);
    assert_eq!(stopped_types, ["ExecutionStarted", "WaitStateEntered", "ExecutionAborted"]);
    let sync_on_standard = client
        .start_sync_execution()
        .state_machine_arn(&sleeper)
        .customize()
        .mutate_request(strip_sync_prefix)
        .send()
        .await
        .expect_err("StartSyncExecution on a STANDARD machine");
    assert!(sync_on_standard.as_service_error().is_some_and(|e| e.is_state_machine_type_not_supported()), "{sync_on_standard:?}");

    // StartSyncExecution on an Express machine returns the output.
    let express = create(
        &client,
        "Quick",
        &json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "Parameters": {"greeting.$": "States.Format('hello {}', $.who)"}, "End": true}}}),
        StateMachineType::Express,
    )
    .await;
    let sync = client
        .start_sync_execution()
        .state_machine_arn(&express)
        .input(json!({"who": "baton"}).to_string())
        .customize()
        .mutate_request(strip_sync_prefix)
        .send()
        .await
        .expect("start_sync_execution");
    assert_eq!(sync.status, aws_sdk_sfn::types::SyncExecutionStatus::Succeeded);
    assert_eq!(serde_json::from_str::<Value>(sync.output.as_deref().expect("output")).expect("json"), json!({"greeting": "hello baton"}));

    // Delete, then the machine is gone.
    client.delete_state_machine().state_machine_arn(&express).send().await.expect("delete_state_machine");
    let gone = client.describe_state_machine().state_machine_arn(&express).send().await.expect_err("deleted");
    assert!(gone.as_service_error().is_some_and(|e| e.is_state_machine_does_not_exist()), "{gone:?}");

    assert!(server.alive());
}

/// The SDK sends StartSyncExecution and TestState to `sync-<host>` (the model's host prefix), which does not resolve
/// for `127.0.0.1`. The Rust SDK has no switch like botocore's `inject_host_prefix=False`, so the test puts the host back.
fn strip_sync_prefix(request: &mut aws_sdk_sfn::config::http::HttpRequest) {
    let uri = request.uri().replacen("://sync-", "://", 1);
    request.set_uri(uri).expect("a valid URI");
}

/// Raw HTTP that no SDK would send: the server answers each with a client error and keeps serving, its data intact.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_requests_do_not_hurt_the_server() {
    let dir = data_dir();
    let mut server = Server::start(dir.path());
    let client = server.client();
    let machine = create(
        &client,
        "Survivor",
        &json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}),
        StateMachineType::Standard,
    )
    .await;
    let done = start(&client, &machine, "before", &json!({"keep": true})).await;
    finished(&client, &done, Duration::from_secs(30)).await;

    let deep_json = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let deep_jsonata = format!("{{% {}1{} %}}", "(".repeat(50_000), ")".repeat(50_000));
    let deep_jsonpath = format!("$.{}", vec!["a"; 50_000].join("."));
    let deep_intrinsic = format!("{}1{}", "States.MathAdd(".repeat(20_000), ", 1)".repeat(20_000));
    let definition = |state: Value| json!({"StartAt": "P", "States": {"P": state}}).to_string();
    let requests: Vec<(&str, String)> = vec![
        ("StartExecution", String::new()),
        ("StartExecution", "not json".to_owned()),
        ("StartExecution", "\u{0}\u{1}\u{2}".to_owned()),
        ("StartExecution", "[]".to_owned()),
        ("StartExecution", json!({"stateMachineArn": 42}).to_string()),
        ("StartExecution", json!({"stateMachineArn": machine, "input": "[".repeat(100_000)}).to_string()),
        ("StartExecution", json!({"stateMachineArn": machine, "input": deep_json}).to_string()),
        ("StartExecution", json!({"stateMachineArn": machine, "name": "x".repeat(10_000)}).to_string()),
        ("StartExecution", json!({"stateMachineArn": format!("{machine}#NoSuchCase")}).to_string()),
        ("DescribeExecution", json!({"executionArn": "arn:aws:states:::::::::::::::"}).to_string()),
        ("GetExecutionHistory", json!({"executionArn": done, "nextToken": "garbage", "maxResults": -1}).to_string()),
        ("GetExecutionHistory", json!({"executionArn": done, "nextToken": "99999999999999999999999"}).to_string()),
        ("ListExecutions", json!({"stateMachineArn": machine, "maxResults": 1_000_000_000_000_i64}).to_string()),
        ("ListExecutions", json!({"stateMachineArn": machine, "statusFilter": "SLEEPING"}).to_string()),
        ("CreateStateMachine", json!({"name": "Deep", "roleArn": ROLE, "definition": deep_json}).to_string()),
        (
            "CreateStateMachine",
            json!({"name": "DeepJsonata", "roleArn": ROLE, "definition": definition(json!({"Type": "Pass", "QueryLanguage": "JSONata", "Output": deep_jsonata, "End": true}))}).to_string(),
        ),
        (
            "CreateStateMachine",
            json!({"name": "DeepPath", "roleArn": ROLE, "definition": definition(json!({"Type": "Pass", "InputPath": deep_jsonpath, "End": true}))}).to_string(),
        ),
        (
            "CreateStateMachine",
            json!({"name": "DeepIntrinsic", "roleArn": ROLE, "definition": definition(json!({"Type": "Pass", "Parameters": {"x.$": deep_intrinsic}, "End": true}))}).to_string(),
        ),
        ("NoSuchAction", "{}".to_owned()),
    ];
    let addr = server.addr.clone();
    let answers = tokio::task::spawn_blocking(move || {
        let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
        requests
            .into_iter()
            .map(|(action, body)| {
                let response = agent
                    .post(format!("http://{addr}/"))
                    .header("Content-Type", "application/x-amz-json-1.0")
                    .header("X-Amz-Target", format!("AWSStepFunctions.{action}"))
                    .send(body.as_bytes());
                (action, response.map(|r| r.status().as_u16()).map_err(|e| e.to_string()))
            })
            .collect::<Vec<_>>()
    })
    .await
    .expect("requests");
    for (action, answer) in &answers {
        // Some of these are valid requests that Baton may accept (a deep but legal definition); none may crash it.
        assert!(matches!(answer, Ok(200 | 400 | 413)), "{action}: {answer:?}");
    }
    assert!(server.alive(), "the server died: {answers:?}");
    let described = client.describe_execution().execution_arn(&done).send().await.expect("the old execution is still there");
    assert_eq!(described.status, ExecutionStatus::Succeeded);
    assert_eq!(types(&done, &history(&client, &done, 100).await).len(), 4);
    let after = start(&client, &machine, "after", &json!({})).await;
    assert_eq!(finished(&client, &after, Duration::from_secs(30)).await.status, ExecutionStatus::Succeeded);
}

/// 200 executions parked in a Wait (out of memory, `--park-after-ms`) survive SIGKILL and a restart: each ends
/// SUCCEEDED exactly once, with its full history (ids 1..n, no duplicates) and its own output.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn executions_waiting_survive_kill_9_and_restart() {
    const EXECUTIONS: usize = 200;
    const WAIT_SECONDS: u64 = 6;
    let dir = data_dir();
    let mut server = Server::start(dir.path());
    let client = server.client();
    let machine = create(
        &client,
        "Parked",
        &json!({"StartAt": "A", "States": {
            "A": {"Type": "Pass", "Next": "W"},
            "W": {"Type": "Wait", "Seconds": WAIT_SECONDS, "Next": "B"},
            "B": {"Type": "Pass", "Parameters": {"i.$": "$.i", "done": true}, "End": true}
        }}),
        StateMachineType::Standard,
    )
    .await;
    let begun = Instant::now();
    let mut starts = tokio::task::JoinSet::new();
    for i in 0..EXECUTIONS {
        let client = client.clone();
        let machine = machine.clone();
        starts.spawn(async move { (i, start(&client, &machine, &format!("parked-{i}"), &json!({"i": i})).await) });
    }
    let mut arns = vec![String::new(); EXECUTIONS];
    while let Some(joined) = starts.join_next().await {
        let (i, arn) = joined.expect("start task");
        arns[i] = arn;
    }
    let (running, _) = list(&client, &machine, Some(ExecutionStatus::Running), 1000).await;
    assert!(
        begun.elapsed() < Duration::from_secs(WAIT_SECONDS),
        "starting {EXECUTIONS} executions took {:?}: too slow for the test to mean anything",
        begun.elapsed()
    );
    assert_eq!(running.len(), EXECUTIONS, "all parked in the Wait before the crash");

    server.kill();
    let server = Server::start(dir.path());
    // Each parked by its first step (its timer more than `--park-after-ms` ahead): start-up reads none of them, and
    // the wake-up loop brings each back in time for its timer.
    assert_eq!(server.resumed, 0, "parked executions are not read at start-up");
    let client = server.client();

    all_succeed(&client, &machine, EXECUTIONS, Duration::from_secs(120)).await;
    let (all, _) = list(&client, &machine, None, 1000).await;
    assert_eq!(all.len(), EXECUTIONS, "no execution duplicated");
    for (i, arn) in arns.iter().enumerate() {
        let described = client.describe_execution().execution_arn(arn).send().await.expect("describe_execution");
        assert_eq!(described.status, ExecutionStatus::Succeeded, "{arn}");
        let output: Value = serde_json::from_str(described.output.as_deref().expect("output")).expect("json");
        assert_eq!(output, json!({"i": i, "done": true}), "{arn}");
        let events = history(&client, arn, 1000).await;
        assert_eq!(types(arn, &events), crate::nodes::WAITED, "{arn}");
    }
}

/// The acceptance scenario with boto3 (`tests/boto3/scenario.py`), when Python has boto3; skipped with a note if not.
/// CI installs boto3, so it runs there.
#[test]
fn boto3_scenario() {
    run_boto3("scenario.py");
}

/// The rest of the API with boto3 (`tests/boto3/rest_of_api.py`): activities with heartbeats, SendTaskFailure through
/// a handed-off token, redrive, an HTTP Task, `.sync:2`, aliases, tags, ValidateStateMachineDefinition, TestState and
/// the AWS CLI. Skipped with a note without boto3, as `boto3_scenario`.
#[test]
fn boto3_rest_of_api() {
    run_boto3("rest_of_api.py");
}

/// `baton serve --credentials` with boto3 and the AWS CLI (`tests/boto3/signed.py`): keys of two accounts and a
/// read-only key; AWS's errors for a wrong secret, an unknown key, no signature and a stale timestamp; accounts kept
/// apart; SIGHUP reloads the keys. Skipped with a note without boto3, as `boto3_scenario`.
#[test]
fn boto3_signed_requests() {
    run_boto3("signed.py");
}

/// Runs `tests/boto3/<script>` against this build's `baton` with a fresh data directory; it must exit 0.
fn run_boto3(script: &str) {
    let has_boto3 = Command::new("python3").args(["-c", "import boto3"]).output().is_ok_and(|o| o.status.success());
    if !has_boto3 {
        eprintln!("note: skipping the boto3 {script}: `python3 -c 'import boto3'` failed (pip install boto3==1.43.11)");
        return;
    }
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/boto3").join(script);
    let dir = data_dir();
    let status = Command::new("python3")
        .arg(&path)
        .arg("--baton")
        .arg(env!("CARGO_BIN_EXE_baton"))
        .arg("--data-dir")
        .arg(dir.path())
        .status()
        .expect("run python3");
    assert!(status.success(), "the boto3 {script} failed: {status}");
}

/// Activities and task tokens: a worker with heartbeats completes a task; a missed heartbeat times a task out; a
/// token handed to a local function fails its task through SendTaskFailure; used and timed-out tokens are refused.
#[tokio::test(flavor = "multi_thread")]
async fn activities_heartbeats_and_callback_tokens() {
    let dir = data_dir();
    let token_file = dir.path().join("handed-off.json");
    let functions = dir.path().join("functions.toml");
    let script = format!("cat > {}; echo '{{}}'", token_file.display());
    std::fs::write(&functions, format!("[functions.hand_off]\ncommand = [\"sh\", \"-c\", {script:?}]\n")).expect("write functions");
    let server = Server::start_with(&dir.path().join("data"), &["--functions", functions.to_str().expect("utf-8 path")]);
    let client = server.client();

    // A worker takes the task, sends a heartbeat, and completes it.
    let activity = client.create_activity().name("work").send().await.expect("create activity").activity_arn().to_owned();
    let definition = json!({"StartAt": "Work", "States": {"Work": {"Type": "Task", "Resource": activity,
        "HeartbeatSeconds": 5, "TimeoutSeconds": 60, "End": true}}});
    let machine = create(&client, "activity", &definition, StateMachineType::Standard).await;
    let arn = start(&client, &machine, "worked", &json!({"job": 7})).await;
    let task = client.get_activity_task().activity_arn(&activity).worker_name("w1").send().await.expect("get task");
    let token = task.task_token().expect("a task").to_owned();
    assert_eq!(serde_json::from_str::<Value>(task.input().expect("input")).expect("json"), json!({"job": 7}));
    client.send_task_heartbeat().task_token(&token).send().await.expect("heartbeat");
    client.send_task_success().task_token(&token).output(r#"{"done":true}"#).send().await.expect("success");
    let done = finished(&client, &arn, Duration::from_secs(10)).await;
    assert_eq!(done.status(), &ExecutionStatus::Succeeded);
    assert_eq!(done.output(), Some(r#"{"done":true}"#));
    let events = history(&client, &arn, 100).await;
    assert_eq!(
        types(&arn, &events),
        ["ExecutionStarted", "TaskStateEntered", "ActivityScheduled", "ActivityStarted", "ActivitySucceeded", "TaskStateExited", "ExecutionSucceeded"]
    );
    let reused = client.send_task_success().task_token(&token).output("{}").send().await;
    assert!(reused.expect_err("a used token").into_service_error().is_invalid_token());

    // A worker takes the task and goes silent: the heartbeat timeout fails it, and its token is refused after.
    let definition = json!({"StartAt": "Work", "States": {"Work": {"Type": "Task", "Resource": activity,
        "HeartbeatSeconds": 1, "End": true}}});
    let machine = create(&client, "silent", &definition, StateMachineType::Standard).await;
    let arn = start(&client, &machine, "silent", &json!({})).await;
    let task = client.get_activity_task().activity_arn(&activity).send().await.expect("get task");
    let token = task.task_token().expect("a task").to_owned();
    let done = finished(&client, &arn, Duration::from_secs(10)).await;
    assert_eq!(done.status(), &ExecutionStatus::Failed);
    assert_eq!(done.error(), Some("States.HeartbeatTimeout"));
    let late = client.send_task_success().task_token(&token).output("{}").send().await;
    assert!(late.expect_err("a timed-out token").into_service_error().is_task_timed_out());

    // A callback task hands its token to a local function; the token comes back through SendTaskFailure.
    let definition = json!({"StartAt": "HandOff", "States": {"HandOff": {"Type": "Task",
        "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
        "Parameters": {"FunctionName": "hand_off", "Payload": {"token.$": "$$.Task.Token"}}, "End": true}}});
    let machine = create(&client, "callback", &definition, StateMachineType::Standard).await;
    let arn = start(&client, &machine, "handed", &json!({})).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let handed = loop {
        if let Ok(text) = std::fs::read_to_string(&token_file)
            && let Ok(value) = serde_json::from_str::<Value>(&text)
        {
            break value;
        }
        assert!(std::time::Instant::now() < deadline, "the function never got the token");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let token = handed["token"].as_str().expect("token in the payload").to_owned();
    client.send_task_failure().task_token(&token).error("Handoff.Rejected").cause("no").send().await.expect("failure");
    let done = finished(&client, &arn, Duration::from_secs(10)).await;
    assert_eq!(done.status(), &ExecutionStatus::Failed);
    assert_eq!((done.error(), done.cause()), (Some("Handoff.Rejected"), Some("no")));
    let events = history(&client, &arn, 100).await;
    assert!(types(&arn, &events).contains(&"TaskSubmitted".to_owned()), "{:?}", types(&arn, &events));
    let unknown = client.send_task_heartbeat().task_token("0123456789abcdef").send().await;
    assert!(unknown.expect_err("an unknown token").into_service_error().is_task_does_not_exist());

    // An ordinary request-response task through the same local function.
    let definition = json!({"StartAt": "Call", "States": {"Call": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"FunctionName": "hand_off", "Payload": {"plain": true}}, "ResultSelector": {"status.$": "$.StatusCode"}, "End": true}}});
    let machine = create(&client, "plain", &definition, StateMachineType::Standard).await;
    let arn = start(&client, &machine, "plain", &json!({})).await;
    let done = finished(&client, &arn, Duration::from_secs(10)).await;
    assert_eq!(done.status(), &ExecutionStatus::Succeeded, "{:?}", done.cause());
    assert_eq!(done.output(), Some(r#"{"status":200}"#));
}

/// Child executions: `.sync:2` hands the child's output back as JSON, `.sync` as text, a failing child fails the
/// parent's task with States.TaskFailed, and a plain start returns at once.
#[tokio::test(flavor = "multi_thread")]
async fn child_executions_sync_and_sync2() {
    let dir = data_dir();
    let server = Server::start(&dir.path().join("data"));
    let client = server.client();
    let child = json!({"StartAt": "Check", "States": {
        "Check": {"Type": "Choice", "Choices": [{"Variable": "$.fail", "IsPresent": true, "Next": "Boom"}], "Default": "Done"},
        "Done": {"Type": "Pass", "Parameters": {"child": true, "got.$": "$.n"}, "End": true},
        "Boom": {"Type": "Fail", "Error": "Child.Boom", "Cause": "asked to fail"}}});
    let child_arn = create(&client, "child", &child, StateMachineType::Standard).await;
    let parent = json!({"StartAt": "Sync2", "States": {
        "Sync2": {"Type": "Task", "Resource": "arn:aws:states:::states:startExecution.sync:2",
            "Parameters": {"StateMachineArn": child_arn, "Input": {"n": 1, "AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID.$": "$$.Execution.Id"}},
            "ResultSelector": {"output.$": "$.Output", "status.$": "$.Status"}, "ResultPath": "$.sync2", "Next": "Sync"},
        "Sync": {"Type": "Task", "Resource": "arn:aws:states:::states:startExecution.sync",
            "Parameters": {"StateMachineArn": child_arn, "Input": {"n": 2}},
            "ResultSelector": {"output.$": "$.Output"}, "ResultPath": "$.sync", "Next": "Start"},
        "Start": {"Type": "Task", "Resource": "arn:aws:states:::states:startExecution",
            "Parameters": {"StateMachineArn": child_arn, "Input": {"n": 3}},
            "ResultSelector": {"started.$": "States.ArrayLength(States.StringSplit($.ExecutionArn, ':'))"}, "ResultPath": "$.start", "Next": "Failing"},
        "Failing": {"Type": "Task", "Resource": "arn:aws:states:::states:startExecution.sync:2",
            "Parameters": {"StateMachineArn": child_arn, "Input": {"fail": true}},
            "Catch": [{"ErrorEquals": ["States.TaskFailed"], "ResultPath": "$.caught", "Next": "End"}], "Next": "End"},
        "End": {"Type": "Pass", "End": true}}});
    let parent_arn = create(&client, "parent", &parent, StateMachineType::Standard).await;
    let arn = start(&client, &parent_arn, "p1", &json!({})).await;
    let done = finished(&client, &arn, Duration::from_secs(20)).await;
    assert_eq!(done.status(), &ExecutionStatus::Succeeded, "{:?}", done.cause());
    let output: Value = serde_json::from_str(done.output().expect("output")).expect("json");
    assert_eq!(output["sync2"], json!({"output": {"child": true, "got": 1}, "status": "SUCCEEDED"}));
    assert_eq!(output["sync"], json!({"output": "{\"child\":true,\"got\":2}"}));
    assert_eq!(output["start"], json!({"started": 8}));
    assert_eq!(output["caught"]["Error"], "States.TaskFailed");
    let cause: Value = serde_json::from_str(output["caught"]["Cause"].as_str().expect("cause")).expect("cause is JSON");
    assert_eq!((cause["Status"].as_str(), cause["Error"].as_str()), (Some("FAILED"), Some("Child.Boom")));
    let children = client.list_executions().state_machine_arn(&child_arn).send().await.expect("list children");
    assert_eq!(children.executions().len(), 4);
}

/// RedriveExecution: an execution whose local function failed is redriven from the failed state and succeeds; a
/// succeeded execution cannot be redriven.
#[tokio::test(flavor = "multi_thread")]
async fn a_failed_execution_is_redriven_and_succeeds() {
    let dir = data_dir();
    let marker = dir.path().join("called-once");
    let functions = dir.path().join("functions.toml");
    let script = format!(
        "if [ -f {m} ]; then echo '{{\"fixed\": true}}'; else touch {m}; echo '{{\"errorType\": \"Flaky\", \"errorMessage\": \"first call\"}}'; exit 1; fi",
        m = marker.display()
    );
    std::fs::write(&functions, format!("[functions.flaky]\ncommand = [\"sh\", \"-c\", {script:?}]\n")).expect("write functions");
    let server = Server::start_with(&dir.path().join("data"), &["--functions", functions.to_str().expect("utf-8 path")]);
    let client = server.client();
    let definition = json!({"StartAt": "Prepare", "States": {
        "Prepare": {"Type": "Pass", "Result": {"step": "prepared"}, "ResultPath": "$.prep", "Next": "Call"},
        "Call": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName": "flaky", "Payload.$": "$"},
            "ResultSelector": {"payload.$": "$.Payload", "redrives.$": "$$.Execution.RedriveCount"}, "ResultPath": "$.call", "End": true}}});
    let machine = create(&client, "flaky", &definition, StateMachineType::Standard).await;
    let arn = start(&client, &machine, "first", &json!({"in": 1})).await;
    let failed = finished(&client, &arn, Duration::from_secs(10)).await;
    assert_eq!((failed.status(), failed.error()), (&ExecutionStatus::Failed, Some("Flaky")));
    client.redrive_execution().execution_arn(&arn).send().await.expect("redrive");
    let done = finished(&client, &arn, Duration::from_secs(10)).await;
    assert_eq!(done.status(), &ExecutionStatus::Succeeded, "{:?}", done.cause());
    let output: Value = serde_json::from_str(done.output().expect("output")).expect("json");
    assert_eq!(output, json!({"in": 1, "prep": {"step": "prepared"}, "call": {"payload": {"fixed": true}, "redrives": 1}}));
    assert_eq!(done.redrive_count(), Some(1));
    assert!(done.redrive_date().is_some());
    let events = history(&client, &arn, 100).await;
    let kinds = types(&arn, &events);
    assert_eq!(kinds.iter().filter(|t| *t == "PassStateEntered").count(), 1, "the Pass state is not run again: {kinds:?}");
    assert!(kinds.contains(&"ExecutionRedriven".to_owned()), "{kinds:?}");
    let again = client.redrive_execution().execution_arn(&arn).send().await;
    assert!(again.expect_err("a succeeded execution").into_service_error().is_execution_not_redrivable());
}

/// Versions and aliases through the SDK: an alias routes all executions to a published version, which keeps running
/// its own definition after the machine is updated; the execution reports the version and alias ARNs, in
/// DescribeExecution and in its `ExecutionStarted` event.
#[tokio::test(flavor = "multi_thread")]
async fn an_alias_runs_its_published_version() {
    use aws_sdk_sfn::types::RoutingConfigurationListItem;

    let dir = data_dir();
    let server = Server::start(&dir.path().join("data"));
    let client = server.client();
    let pass = |result: &str| json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": result, "End": true}}});
    let created = client
        .create_state_machine()
        .name("versioned")
        .definition(pass("v1").to_string())
        .role_arn(ROLE)
        .publish(true)
        .version_description("the first")
        .send()
        .await
        .expect("create_state_machine with publish");
    let machine = created.state_machine_arn().to_owned();
    let version = created.state_machine_version_arn().expect("a version ARN").to_owned();
    assert_eq!(version, format!("{machine}:1"));
    let route = RoutingConfigurationListItem::builder()
        .state_machine_version_arn(&version)
        .weight(100)
        .build()
        .expect("a route");
    let alias = client
        .create_state_machine_alias()
        .name("live")
        .routing_configuration(route)
        .send()
        .await
        .expect("create_state_machine_alias")
        .state_machine_alias_arn()
        .to_owned();
    assert_eq!(alias, format!("{machine}:live"));

    client
        .update_state_machine()
        .state_machine_arn(&machine)
        .definition(pass("v2").to_string())
        .send()
        .await
        .expect("update_state_machine");
    let arn = start(&client, &alias, "through-alias", &json!({})).await;
    let done = finished(&client, &arn, Duration::from_secs(10)).await;
    assert_eq!(done.status(), &ExecutionStatus::Succeeded, "{:?}", done.cause());
    assert_eq!(done.output(), Some("\"v1\""), "the version's definition, not the updated machine's");
    assert_eq!(done.state_machine_arn(), machine);
    assert_eq!(done.state_machine_version_arn(), Some(version.as_str()));
    assert_eq!(done.state_machine_alias_arn(), Some(alias.as_str()));
    let events = history(&client, &arn, 100).await;
    let started = events.first().and_then(|e| e.execution_started_event_details()).expect("ExecutionStarted details");
    assert_eq!(started.state_machine_version_arn(), Some(version.as_str()));
    assert_eq!(started.state_machine_alias_arn(), Some(alias.as_str()));

    let described = client.describe_state_machine().state_machine_arn(&version).send().await.expect("describe version");
    assert_eq!((described.definition(), described.description()), (pass("v1").to_string().as_str(), Some("the first")));
    let aliases = client.list_state_machine_aliases().state_machine_arn(&machine).send().await.expect("list aliases");
    assert_eq!(aliases.state_machine_aliases().len(), 1);
    let versions = client.list_state_machine_versions().state_machine_arn(&machine).send().await.expect("list versions");
    assert_eq!(versions.state_machine_versions().len(), 1);
    let refused = client.delete_state_machine_version().state_machine_version_arn(&version).send().await;
    assert!(refused.expect_err("routed by an alias").into_service_error().is_conflict_exception());
}

/// TestState through the SDK (sent to `sync-<host>`): a Task answered by a local function, then by mocks that a
/// retrier and a catcher handle, with inspection data.
#[tokio::test(flavor = "multi_thread")]
async fn test_state_runs_one_state() {
    use aws_sdk_sfn::types::{InspectionLevel, MockErrorOutput, MockInput, TestExecutionStatus, TestStateConfiguration};

    let dir = data_dir();
    let functions = dir.path().join("functions.toml");
    std::fs::write(&functions, "[functions.echo]\ncommand = [\"cat\"]\n").expect("write functions");
    let server = Server::start_with(&dir.path().join("data"), &["--functions", functions.to_str().expect("utf-8 path")]);
    let client = server.client();
    let task = json!({
        "Type": "Task",
        "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"FunctionName": "echo", "Payload.$": "$"},
        "ResultSelector": {"echoed.$": "$.Payload"},
        "Retry": [{"ErrorEquals": ["Busy"], "IntervalSeconds": 3, "BackoffRate": 2, "MaxAttempts": 3}],
        "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Recover"}],
        "Next": "Done",
    })
    .to_string();

    let called = client
        .test_state()
        .definition(&task)
        .role_arn(ROLE)
        .input(json!({"n": 1}).to_string())
        .inspection_level(InspectionLevel::Debug)
        .customize()
        .mutate_request(strip_sync_prefix)
        .send()
        .await
        .expect("test_state with a local function");
    assert_eq!(called.status(), Some(&TestExecutionStatus::Succeeded), "{called:?}");
    assert_eq!(called.next_state(), Some("Done"));
    let output: Value = serde_json::from_str(called.output().expect("output")).expect("json");
    assert_eq!(output, json!({"echoed": {"n": 1}}));
    let inspection = called.inspection_data().expect("inspection data at DEBUG");
    assert_eq!(inspection.after_parameters(), Some(r#"{"FunctionName":"echo","Payload":{"n":1}}"#));

    let busy = MockInput::builder()
        .error_output(MockErrorOutput::builder().error("Busy").cause("later").build())
        .build();
    let retriable = client
        .test_state()
        .definition(&task)
        .input("{}")
        .mock(busy.clone())
        .state_configuration(TestStateConfiguration::builder().retrier_retry_count(2).build())
        .customize()
        .mutate_request(strip_sync_prefix)
        .send()
        .await
        .expect("test_state with a mocked error");
    assert_eq!(retriable.status(), Some(&TestExecutionStatus::Retriable), "{retriable:?}");
    let details = retriable.inspection_data().and_then(|i| i.error_details()).expect("error details");
    assert_eq!((details.retry_index(), details.retry_backoff_interval_seconds()), (Some(0), Some(12)));

    let caught = client
        .test_state()
        .definition(&task)
        .input("{}")
        .mock(busy)
        .state_configuration(TestStateConfiguration::builder().retrier_retry_count(3).build())
        .customize()
        .mutate_request(strip_sync_prefix)
        .send()
        .await
        .expect("test_state with retries exhausted");
    assert_eq!(caught.status(), Some(&TestExecutionStatus::CaughtError), "{caught:?}");
    assert_eq!(caught.next_state(), Some("Recover"));
    let output: Value = serde_json::from_str(caught.output().expect("output")).expect("json");
    assert_eq!(output, json!({"error": {"Error": "Busy", "Cause": "later"}}));

    let invalid = client
        .test_state()
        .definition(r#"{"Type": "Pass"}"#)
        .customize()
        .mutate_request(strip_sync_prefix)
        .send()
        .await
        .expect_err("a state without Next or End");
    assert!(invalid.as_service_error().is_some_and(|e| e.is_invalid_definition()), "{invalid:?}");
}

/// TestState's November 2025 fields through the SDK: a mock checked against the API's shape (`fieldValidationMode`),
/// a Map whose items come from `mapItemReaderData` with its inspection data, `mapIterationFailureCount`, and the
/// refusals of `revealSecrets` with a mock and of a Map without one.
#[tokio::test(flavor = "multi_thread")]
async fn test_state_checks_mocks_and_shows_a_maps_items() {
    use aws_sdk_sfn::types::{InspectionLevel, MockInput, MockResponseValidationMode, TestExecutionStatus, TestStateConfiguration};

    let dir = data_dir();
    let server = Server::start(&dir.path().join("data"));
    let client = server.client();
    let task = json!({"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage", "End": true}).to_string();
    let wrong = MockInput::builder().result(r#"{"MessageId": 7}"#).field_validation_mode(MockResponseValidationMode::Present).build();
    let refused = client
        .test_state()
        .definition(&task)
        .mock(wrong.clone())
        .customize()
        .mutate_request(strip_sync_prefix)
        .send()
        .await
        .expect_err("a mocked MessageId that is not a string");
    let error = refused.as_service_error().expect("a service error");
    assert!(error.is_validation_exception(), "{refused:?}");
    assert_eq!(error.meta().message(), Some("Mock result schema validation error: Field 'MessageId' must be a string"));
    let unchecked = MockInput::builder().result(r#"{"MessageId": 7}"#).field_validation_mode(MockResponseValidationMode::None).build();
    let passed = client
        .test_state()
        .definition(&task)
        .mock(unchecked.clone())
        .customize()
        .mutate_request(strip_sync_prefix)
        .send()
        .await
        .expect("no field validation");
    assert_eq!(passed.status(), Some(&TestExecutionStatus::Succeeded));
    let revealing = client
        .test_state()
        .definition(&task)
        .mock(unchecked)
        .reveal_secrets(true)
        .customize()
        .mutate_request(strip_sync_prefix)
        .send()
        .await
        .expect_err("revealSecrets with a mock");
    assert!(revealing.as_service_error().is_some_and(|e| e.is_validation_exception()), "{revealing:?}");

    let map = json!({
        "Type": "Map",
        "ItemReader": {"Resource": "arn:aws:states:::s3:getObject", "ReaderConfig": {"InputType": "JSONL"},
            "Parameters": {"Bucket": "b", "Key": "items.jsonl"}},
        "ItemSelector": {"n.$": "$$.Map.Item.Value.n"},
        "ToleratedFailurePercentage": 50,
        "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"},
            "StartAt": "Work", "States": {"Work": {"Type": "Pass", "End": true}}},
        "End": true,
    })
    .to_string();
    let test_map = |failed: i32| {
        client
            .test_state()
            .definition(&map)
            .input("{}")
            .inspection_level(InspectionLevel::Debug)
            .mock(MockInput::builder().result("[1, 2]").build())
            .state_configuration(
                TestStateConfiguration::builder()
                    .map_item_reader_data("{\"n\": 1, \"x\": 0}\n{\"n\": 2}\n")
                    .map_iteration_failure_count(failed)
                    .build(),
            )
            .customize()
            .mutate_request(strip_sync_prefix)
            .send()
    };
    let tested = test_map(1).await.expect("a Map with one failed iteration of two");
    assert_eq!(tested.status(), Some(&TestExecutionStatus::Succeeded), "{tested:?}");
    let inspection = tested.inspection_data().expect("inspection data");
    assert_eq!(inspection.after_items_path(), Some(r#"[{"n":1,"x":0},{"n":2}]"#));
    assert_eq!(inspection.after_item_selector(), Some(r#"[{"n":1},{"n":2}]"#));
    assert_eq!(inspection.tolerated_failure_percentage(), Some(50.0));
    let exceeded = test_map(2).await.expect("a Map with both iterations failed");
    assert_eq!(exceeded.status(), Some(&TestExecutionStatus::Failed), "{exceeded:?}");
    assert_eq!(exceeded.error(), Some("States.ExceedToleratedFailureThreshold"));

    let unmocked = client
        .test_state()
        .definition(&map)
        .customize()
        .mutate_request(strip_sync_prefix)
        .send()
        .await
        .expect_err("a Map without a mock");
    assert!(unmocked.as_service_error().is_some_and(|e| e.is_invalid_definition()), "{unmocked:?}");
}

/// Activities are durable: one created before a `kill -9` is still described and listed after the restart, with its
/// tags, and its worker gets the task of the recovered execution that waits on it and completes that execution.
#[tokio::test(flavor = "multi_thread")]
async fn activities_survive_kill_9_and_restart() {
    use aws_sdk_sfn::types::Tag;

    let dir = data_dir();
    let data = dir.path().join("data");
    let mut server = Server::start(&data);
    let client = server.client();
    let created = client
        .create_activity()
        .name("durable-work")
        .tags(Tag::builder().key("team").value("ops").build())
        .send()
        .await
        .expect("create activity");
    let activity = created.activity_arn().to_owned();
    let definition = json!({"StartAt": "Work", "States": {"Work": {"Type": "Task", "Resource": activity,
        "TimeoutSeconds": 300, "End": true}}});
    let machine = create(&client, "durable-activity", &definition, StateMachineType::Standard).await;
    let arn = start(&client, &machine, "waits", &json!({"job": 42})).await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while !types(&arn, &history(&client, &arn, 100).await).contains(&"ActivityScheduled".to_owned()) {
        assert!(Instant::now() < deadline, "the activity task was never scheduled");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    server.kill();
    let server = Server::start(&data);
    assert_eq!(server.resumed, 1, "the execution waiting on the activity resumed");
    let client = server.client();

    let described = client.describe_activity().activity_arn(&activity).send().await.expect("describe activity after restart");
    assert_eq!(described.name(), "durable-work");
    assert_eq!(described.creation_date(), created.creation_date(), "the creation date is kept");
    let listed = client.list_activities().send().await.expect("list activities after restart");
    let arns: Vec<&str> = listed.activities().iter().map(|a| a.activity_arn()).collect();
    assert_eq!(arns, [activity.as_str()]);
    let tags = client.list_tags_for_resource().resource_arn(&activity).send().await.expect("list tags");
    let tags: Vec<(Option<&str>, Option<&str>)> = tags.tags().iter().map(|t| (t.key(), t.value())).collect();
    assert_eq!(tags, [(Some("team"), Some("ops"))]);
    let again = client.create_activity().name("durable-work").send().await.expect("create again");
    assert_eq!(again.activity_arn(), activity, "CreateActivity is idempotent across the restart");

    let task = client.get_activity_task().activity_arn(&activity).worker_name("after-restart").send().await.expect("get task");
    let token = task.task_token().expect("the recovered execution's task").to_owned();
    assert_eq!(serde_json::from_str::<Value>(task.input().expect("input")).expect("json"), json!({"job": 42}));
    client.send_task_success().task_token(&token).output(r#"{"worked":true}"#).send().await.expect("success");
    let done = finished(&client, &arn, Duration::from_secs(10)).await;
    assert_eq!(done.status(), &ExecutionStatus::Succeeded, "{:?}", done.cause());
    assert_eq!(done.output(), Some(r#"{"worked":true}"#));
    let kinds = types(&arn, &history(&client, &arn, 100).await);
    assert_eq!(kinds.last().map(String::as_str), Some("ExecutionSucceeded"), "{kinds:?}");
    assert!(kinds.contains(&"ActivityStarted".to_owned()), "{kinds:?}");
}

/// Map Runs through the SDK: a distributed Map over 20 items that each wait 1 s, one at a time, is found by
/// ListMapRuns and shows its counters move; UpdateMapRun raises its concurrency to 20 and the rest finish together.
/// After the end (and after a `kill -9` and restart, which rebuilds the run from its triggers) DescribeMapRun shows
/// SUCCEEDED with the raised limit, and a finished run cannot be updated.
#[tokio::test(flavor = "multi_thread")]
async fn update_map_run_raises_a_distributed_maps_concurrency() {
    use aws_sdk_sfn::types::MapRunStatus;

    let dir = data_dir();
    let mut server = Server::start(dir.path());
    let client = server.client();
    let definition = json!({"StartAt": "Each", "States": {"Each": {
        "Type": "Map", "MaxConcurrency": 1, "Label": "Slow",
        "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
            "StartAt": "Sleep", "States": {"Sleep": {"Type": "Wait", "Seconds": 1, "End": true}}},
        "End": true}}});
    let machine = create(&client, "slow-map", &definition, StateMachineType::Standard).await;
    let items: Vec<u32> = (1..=20).collect();
    let arn = start(&client, &machine, "run", &json!(items)).await;
    let started = Instant::now();

    let listed = client.list_map_runs().execution_arn(&arn).send().await.expect("list_map_runs");
    assert_eq!(listed.map_runs().len(), 1, "{listed:?}");
    let map_run = listed.map_runs()[0].map_run_arn().to_owned();
    assert_eq!(map_run, "arn:aws:states:us-east-1:123456789012:mapRun:slow-map/Slow:run-1");
    assert_eq!(listed.map_runs()[0].execution_arn(), arn);

    let first = client.describe_map_run().map_run_arn(&map_run).send().await.expect("describe_map_run");
    assert_eq!(first.status(), &MapRunStatus::Running);
    assert_eq!(first.max_concurrency(), 1);
    let counts = first.item_counts().expect("itemCounts");
    assert_eq!((counts.total(), counts.running()), (20, 1), "{counts:?}");
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let moving = client.describe_map_run().map_run_arn(&map_run).send().await.expect("describe_map_run");
    let counts = moving.item_counts().expect("itemCounts");
    assert!(counts.succeeded() >= 2 && counts.running() == 1, "{counts:?}");

    client.update_map_run().map_run_arn(&map_run).max_concurrency(20).send().await.expect("update_map_run");
    let raised = client.describe_map_run().map_run_arn(&map_run).send().await.expect("describe_map_run");
    assert_eq!(raised.max_concurrency(), 20);
    let counts = raised.item_counts().expect("itemCounts");
    assert_eq!(counts.pending(), 0, "every item runs at once: {counts:?}");
    assert!(counts.running() > 1, "{counts:?}");

    let done = finished(&client, &arn, Duration::from_secs(10)).await;
    assert_eq!(done.status(), &ExecutionStatus::Succeeded, "{:?}", done.cause());
    assert!(started.elapsed() < Duration::from_secs(10), "the raised concurrency did not help: {:?}", started.elapsed());

    let check = |described: aws_sdk_sfn::operation::describe_map_run::DescribeMapRunOutput| {
        assert_eq!(described.status(), &MapRunStatus::Succeeded);
        assert_eq!(described.max_concurrency(), 20);
        assert!(described.stop_date().is_some());
        let counts = described.item_counts().expect("itemCounts");
        assert_eq!((counts.total(), counts.succeeded(), counts.running()), (20, 20, 0), "{counts:?}");
    };
    check(client.describe_map_run().map_run_arn(&map_run).send().await.expect("describe_map_run"));
    let again = client.update_map_run().map_run_arn(&map_run).max_concurrency(2).send().await;
    let error = again.expect_err("a finished Map Run").into_service_error();
    assert!(error.is_validation_exception(), "{error:?}");

    server.kill();
    let server = Server::start(dir.path());
    let client = server.client();
    check(client.describe_map_run().map_run_arn(&map_run).send().await.expect("describe_map_run after restart"));
    let unknown = client.describe_map_run().map_run_arn(format!("{}9", map_run)).send().await;
    assert!(unknown.expect_err("no such Map Run").into_service_error().is_resource_not_found(), "an unknown Map Run");
}

/// RedriveExecution of an execution whose distributed Map failed (a local function fails once, on item 2) redrives its
/// Map Run: the same ARN runs again (`MapRunRedriven`), only the items that had not succeeded call the function again,
/// the output has every item in order, and DescribeMapRun shows `redriveCount` 1 and a `redriveDate`, also after a
/// `kill -9` and restart (which rebuilds the run from its triggers).
#[tokio::test(flavor = "multi_thread")]
async fn a_redrive_redrives_a_distributed_maps_map_run() {
    use aws_sdk_sfn::types::MapRunStatus;

    let dir = data_dir();
    let (marker, calls) = (dir.path().join("failed-once"), dir.path().join("calls"));
    let functions = dir.path().join("functions.toml");
    let script = format!(
        "read -r item; echo \"$item\" >> {calls}; if [ \"$item\" = 2 ] && [ ! -f {m} ]; then touch {m}; echo '{{\"errorType\": \"Flaky\", \"errorMessage\": \"item 2\"}}'; exit 1; fi; echo \"{{\\\"item\\\": $item}}\"",
        calls = calls.display(),
        m = marker.display()
    );
    std::fs::write(&functions, format!("[functions.flaky]\ncommand = [\"sh\", \"-c\", {script:?}]\n")).expect("write functions");
    let data = dir.path().join("data");
    let mut server = Server::start_with(&data, &["--functions", functions.to_str().expect("utf-8 path")]);
    let client = server.client();
    let definition = json!({"StartAt": "Each", "States": {"Each": {
        "Type": "Map", "MaxConcurrency": 1, "ToleratedFailureCount": 0, "Label": "Items",
        "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
            "StartAt": "Call", "States": {"Call": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": "flaky", "Payload.$": "$"}, "OutputPath": "$.Payload", "End": true}}},
        "End": true}}});
    let machine = create(&client, "flaky-map", &definition, StateMachineType::Standard).await;
    let arn = start(&client, &machine, "run", &json!([1, 2, 3, 4, 5])).await;
    let failed = finished(&client, &arn, Duration::from_secs(10)).await;
    assert_eq!((failed.status(), failed.error()), (&ExecutionStatus::Failed, Some("States.ExceedToleratedFailureThreshold")));
    let map_run = "arn:aws:states:us-east-1:123456789012:mapRun:flaky-map/Items:run-1";
    let before = client.describe_map_run().map_run_arn(map_run).send().await.expect("describe_map_run");
    assert_eq!((before.status(), before.redrive_count(), before.redrive_date()), (&MapRunStatus::Failed, Some(0), None));
    let counts = before.item_counts().expect("itemCounts");
    assert_eq!((counts.succeeded(), counts.failed(), counts.pending()), (1, 1, 3), "{counts:?}");
    // Each item ran as a child execution of the Map Run, with its own history; the parent's has none of theirs.
    let children = client.list_executions().map_run_arn(map_run).send().await.expect("list_executions(mapRunArn)");
    let statuses: Vec<&ExecutionStatus> = children.executions().iter().map(|child| child.status()).collect();
    assert_eq!(statuses, [&ExecutionStatus::Failed, &ExecutionStatus::Succeeded], "newest first: {children:?}");
    let failed_child = children.executions()[0].execution_arn().to_owned();
    assert!(failed_child.starts_with("arn:aws:states:us-east-1:123456789012:execution:flaky-map/Items:"), "{failed_child}");
    assert_eq!(children.executions()[0].map_run_arn(), Some(map_run));
    assert_eq!(children.executions()[0].state_machine_arn(), "arn:aws:states:us-east-1:123456789012:stateMachine:flaky-map/Items");
    let only_failed = client.list_executions().map_run_arn(map_run).status_filter(ExecutionStatus::Failed).send().await;
    assert_eq!(only_failed.expect("filtered").executions().len(), 1);
    let paged = client.list_executions().map_run_arn(map_run).max_results(1).send().await.expect("a page");
    assert_eq!((paged.executions().len(), paged.next_token().is_some()), (1, true));
    let child = client.describe_execution().execution_arn(&failed_child).send().await.expect("describe the child");
    assert_eq!((child.status(), child.error(), child.map_run_arn()), (&ExecutionStatus::Failed, Some("Flaky"), Some(map_run)));
    assert_eq!(child.input(), Some("2"));
    assert_eq!(child.redrive_status(), Some(&aws_sdk_sfn::types::ExecutionRedriveStatus::RedrivableByMapRun));
    let child_kinds = types(&failed_child, &history(&client, &failed_child, 100).await);
    assert_eq!(child_kinds.first().map(String::as_str), Some("ExecutionStarted"), "{child_kinds:?}");
    assert_eq!(child_kinds.last().map(String::as_str), Some("ExecutionFailed"), "{child_kinds:?}");
    assert!(child_kinds.contains(&"TaskFailed".to_owned()), "{child_kinds:?}");
    let parent_kinds = types(&arn, &history(&client, &arn, 100).await);
    assert!(!parent_kinds.iter().any(|kind| kind.starts_with("Task")), "{parent_kinds:?}");
    let machine = client.describe_state_machine_for_execution().execution_arn(&failed_child).send().await.expect("its machine");
    assert_eq!((machine.map_run_arn(), machine.label()), (Some(map_run), Some("Items")));
    let processor: Value = serde_json::from_str(machine.definition()).expect("a definition");
    assert_eq!((processor["StartAt"].as_str(), processor.get("ProcessorConfig")), (Some("Call"), None), "{processor}");
    let own = client.redrive_execution().execution_arn(&failed_child).send().await;
    assert!(own.expect_err("a child is redriven with its parent").into_service_error().is_execution_not_redrivable());
    let unknown = client.list_executions().map_run_arn(format!("{map_run}9")).send().await;
    assert!(unknown.expect_err("no such Map Run").into_service_error().is_resource_not_found());

    client.redrive_execution().execution_arn(&arn).send().await.expect("redrive");
    let done = finished(&client, &arn, Duration::from_secs(20)).await;
    assert_eq!(done.status(), &ExecutionStatus::Succeeded, "{:?}", done.cause());
    let output: Value = serde_json::from_str(done.output().expect("output")).expect("json");
    assert_eq!(output, json!([{"item": 1}, {"item": 2}, {"item": 3}, {"item": 4}, {"item": 5}]));
    let called = std::fs::read_to_string(&calls).expect("calls");
    assert_eq!(called.lines().collect::<Vec<_>>(), ["1", "2", "2", "3", "4", "5"], "item 1 is not run again");

    let listed = client.list_map_runs().execution_arn(&arn).send().await.expect("list_map_runs");
    assert_eq!(listed.map_runs().len(), 1, "the same Map Run, not a new one: {listed:?}");
    let events = history(&client, &arn, 100).await;
    let kinds = types(&arn, &events);
    assert_eq!(kinds.iter().filter(|t| *t == "MapRunStarted").count(), 1, "{kinds:?}");
    let redriven = events.iter().find_map(HistoryEvent::map_run_redriven_event_details).expect("a MapRunRedriven event");
    assert_eq!((redriven.map_run_arn(), redriven.redrive_count()), (Some(map_run), Some(1)));

    let check = |described: aws_sdk_sfn::operation::describe_map_run::DescribeMapRunOutput| {
        assert_eq!(described.status(), &MapRunStatus::Succeeded);
        assert_eq!(described.redrive_count(), Some(1));
        let redrive_date = described.redrive_date().expect("redriveDate");
        assert!(described.start_date() <= redrive_date, "{described:?}");
        let counts = described.item_counts().expect("itemCounts");
        assert_eq!((counts.total(), counts.succeeded(), counts.failed(), counts.pending_redrive()), (5, 5, 0, Some(0)), "{counts:?}");
    };
    check(client.describe_map_run().map_run_arn(map_run).send().await.expect("describe_map_run"));
    // The redrive ran the failed child again under its ARN, after `ExecutionRedriven`, and started the rest.
    let child = client.describe_execution().execution_arn(&failed_child).send().await.expect("describe the child");
    assert_eq!((child.status(), child.redrive_count()), (&ExecutionStatus::Succeeded, Some(1)));
    let child_kinds = types(&failed_child, &history(&client, &failed_child, 100).await);
    assert!(child_kinds.contains(&"ExecutionRedriven".to_owned()), "{child_kinds:?}");
    assert_eq!(child_kinds.last().map(String::as_str), Some("ExecutionSucceeded"), "{child_kinds:?}");
    server.kill();
    let server = Server::start_with(&data, &["--functions", functions.to_str().expect("utf-8 path")]);
    let client = server.client();
    check(client.describe_map_run().map_run_arn(map_run).send().await.expect("describe_map_run after restart"));
    let children = client.list_executions().map_run_arn(map_run).send().await.expect("list_executions after restart");
    let statuses: Vec<&ExecutionStatus> = children.executions().iter().map(|child| child.status()).collect();
    assert_eq!(statuses, [&ExecutionStatus::Succeeded; 5], "{children:?}");
}

/// A `.waitForTaskToken` HTTP task makes its request (carrying the token) and then waits for SendTaskSuccess. Here the
/// endpoint answers through SendTaskSuccess before it answers the request, the race a fast endpoint wins: the history
/// still reads TaskSubmitted, then TaskSucceeded.
#[tokio::test(flavor = "multi_thread")]
async fn an_http_callback_task_sends_its_token_and_waits() {
    use std::io::{Read, Write};
    let dir = data_dir();
    let server = Server::start(&dir.path().join("data"));
    let client = server.client();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind endpoint");
    let endpoint = format!("http://{}/hooks", listener.local_addr().expect("endpoint address"));
    let (sender, receiver) = mpsc::channel::<String>();
    let (respond, respond_now) = mpsc::channel::<()>();
    std::thread::spawn(move || {
        let Ok((mut stream, _)) = listener.accept() else { return };
        let mut request = Vec::new();
        let mut buffer = [0u8; 4096];
        // Read the headers, then as many body bytes as Content-Length says.
        while let Ok(n) = stream.read(&mut buffer) {
            if n == 0 {
                break;
            }
            request.extend_from_slice(&buffer[..n]);
            let text = String::from_utf8_lossy(&request).to_string();
            if let Some((head, body)) = text.split_once("\r\n\r\n") {
                let length = head
                    .lines()
                    .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().parse::<usize>().unwrap_or(0)))
                    .unwrap_or(0);
                if body.len() >= length {
                    let _ = sender.send(body.to_owned());
                    break;
                }
            }
        }
        let _ = respond_now.recv_timeout(Duration::from_secs(10));
        let _ = stream.write_all(b"HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\nContent-Length: 15\r\n\r\n{\"queued\":true}");
    });
    let definition = json!({"StartAt": "Notify", "States": {"Notify": {"Type": "Task",
        "Resource": "arn:aws:states:::http:invoke.waitForTaskToken",
        "Parameters": {"ApiEndpoint": endpoint, "Method": "POST", "RequestBody": {"token.$": "$$.Task.Token"},
            "Authentication": {"ConnectionArn": "arn:aws:events:us-east-1:123456789012:connection/hook/1"}}, "End": true}}});
    let machine = create(&client, "hook", &definition, StateMachineType::Standard).await;
    let arn = start(&client, &machine, "hooked", &json!({})).await;
    let body = tokio::task::spawn_blocking(move || receiver.recv_timeout(Duration::from_secs(10)))
        .await
        .expect("join")
        .expect("the endpoint got the request");
    let token = serde_json::from_str::<Value>(&body).expect("json body")["token"].as_str().expect("token").to_owned();
    client.send_task_success().task_token(&token).output(r#"{"approved":true}"#).send().await.expect("success");
    let early = client.describe_execution().execution_arn(&arn).send().await.expect("describe");
    assert_eq!(early.status(), &ExecutionStatus::Running, "the task waits for its request to return");
    respond.send(()).expect("the endpoint is waiting");
    let done = finished(&client, &arn, Duration::from_secs(10)).await;
    assert_eq!(done.status(), &ExecutionStatus::Succeeded, "{:?}", done.cause());
    assert_eq!(done.output(), Some(r#"{"approved":true}"#));
    let events = history(&client, &arn, 100).await;
    let types = types(&arn, &events);
    let at = |name: &str| types.iter().position(|t| t == name).unwrap_or_else(|| panic!("no {name} in {types:?}"));
    assert!(at("TaskSubmitted") < at("TaskSucceeded"), "{types:?}");
    let submitted = events.iter().find(|e| e.r#type().as_str() == "TaskSubmitted").expect("TaskSubmitted");
    let output = submitted.task_submitted_event_details().and_then(|d| d.output()).unwrap_or_default();
    assert!(output.contains("queued"), "the endpoint's response is the submitted output: {output}");
}

/// `baton serve --virtual-time`: an execution that waits only on time skips ahead on its own clock. An hour's Wait
/// and a Retry's 10-minute interval pass at once, and the history's timestamps say they passed; an execution waiting
/// on an activity worker does not skip while it waits, and skips its Wait once the worker answered.
#[tokio::test(flavor = "multi_thread")]
async fn virtual_time_skips_ahead_when_an_execution_waits_only_on_time() {
    let dir = data_dir();
    let functions = dir.path().join("functions.toml");
    let marker = dir.path().join("failed-once");
    let script = format!(
        "if [ ! -f {m} ]; then touch {m}; echo '{{\"errorType\": \"Flaky\", \"errorMessage\": \"once\"}}'; exit 1; fi; echo '{{\"ok\": true}}'",
        m = marker.display()
    );
    std::fs::write(&functions, format!("[functions.flaky]\ncommand = [\"sh\", \"-c\", {script:?}]\n")).expect("write functions");
    let server = Server::start_with(&dir.path().join("data"), &["--virtual-time", "--functions", functions.to_str().expect("utf-8 path")]);
    let client = server.client();
    let definition = json!({"StartAt": "Hour", "States": {
        "Hour": {"Type": "Wait", "Seconds": 3600, "Next": "Call"},
        "Call": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName": "flaky"},
            "Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 600, "MaxAttempts": 2}], "OutputPath": "$.Payload", "End": true}}});
    let machine = create(&client, "patient", &definition, StateMachineType::Standard).await;
    let begun = Instant::now();
    let arn = start(&client, &machine, "run", &json!({})).await;
    let done = finished(&client, &arn, Duration::from_secs(20)).await;
    assert_eq!(done.status(), &ExecutionStatus::Succeeded, "{:?}", done.cause());
    assert!(begun.elapsed() < Duration::from_secs(15), "it waited on the wall clock: {:?}", begun.elapsed());
    let events = history(&client, &arn, 100).await;
    let (first, last) = (events.first().expect("events").timestamp(), events.last().expect("events").timestamp());
    let elapsed = last.secs() - first.secs();
    assert!((4200..4300).contains(&elapsed), "an hour and ten minutes passed on the execution's clock: {elapsed} s");

    // An activity task: no skipping while the worker has it; the Wait after it is skipped once it answered.
    let activity = client.create_activity().name("slow-worker").send().await.expect("activity").activity_arn().to_owned();
    let definition = json!({"StartAt": "Work", "States": {
        "Work": {"Type": "Task", "Resource": activity, "TimeoutSeconds": 30, "Next": "Day"},
        "Day": {"Type": "Wait", "Seconds": 86400, "End": true}}});
    let machine = create(&client, "worker-then-wait", &definition, StateMachineType::Standard).await;
    let arn = start(&client, &machine, "run", &json!({})).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let waiting = client.describe_execution().execution_arn(&arn).send().await.expect("describe");
    assert_eq!(waiting.status(), &ExecutionStatus::Running, "the task's 30 s timeout was not skipped while the worker may answer");
    let task = client.get_activity_task().activity_arn(&activity).worker_name("w").send().await.expect("get task");
    client.send_task_success().task_token(task.task_token().expect("a token")).output("{}").send().await.expect("success");
    let done = finished(&client, &arn, Duration::from_secs(10)).await;
    assert_eq!(done.status(), &ExecutionStatus::Succeeded, "{:?}", done.cause());
}

/// `POST /baton/admin/reset` with `baton serve --admin` forgets everything between tests: a running execution stops,
/// the state machines, activities and executions are gone, and the server goes on (the same names can be created
/// again). Without `--admin` the call is refused with 403 and nothing changes.
#[tokio::test(flavor = "multi_thread")]
async fn the_admin_reset_forgets_everything_and_the_server_goes_on() {
    let reset = |addr: &str| {
        let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
        let mut response = agent.post(&format!("http://{addr}/baton/admin/reset")).send_empty().expect("the reset call");
        (response.status().as_u16(), response.body_mut().read_to_string().unwrap_or_default())
    };
    let dir = data_dir();
    let closed = Server::start(&dir.path().join("closed"));
    let (status, body) = tokio::task::spawn_blocking({
        let addr = closed.addr.clone();
        move || reset(&addr)
    })
    .await
    .expect("the call");
    assert_eq!(status, 403, "{body}");
    drop(closed);

    let server = Server::start_with(&dir.path().join("data"), &["--admin"]);
    let client = server.client();
    let definition = json!({"StartAt": "Hour", "States": {"Hour": {"Type": "Wait", "Seconds": 3600, "End": true}}});
    let machine = create(&client, "waits", &definition, StateMachineType::Standard).await;
    let arn = start(&client, &machine, "run", &json!({})).await;
    client.create_activity().name("work").send().await.expect("activity");
    let addr = server.addr.clone();
    let (status, body) = tokio::task::spawn_blocking(move || reset(&addr)).await.expect("the call");
    assert_eq!((status, body.as_str()), (200, "{}"));
    let machines = client.list_state_machines().send().await.expect("list");
    assert!(machines.state_machines().is_empty(), "{machines:?}");
    let gone = client.describe_execution().execution_arn(&arn).send().await;
    assert!(gone.expect_err("no execution").into_service_error().is_execution_does_not_exist());
    assert!(client.list_activities().send().await.expect("list").activities().is_empty());
    let machine = create(&client, "waits", &json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}), StateMachineType::Standard).await;
    let arn = start(&client, &machine, "run", &json!({"again": true})).await;
    let done = finished(&client, &arn, Duration::from_secs(10)).await;
    assert_eq!(done.status(), &ExecutionStatus::Succeeded);
}

/// With `--log-format json` every line `baton serve` writes is a JSON object: its own notices (where it listens) as
/// info events of target `baton`, and whatever the library crates log.
#[tokio::test(flavor = "multi_thread")]
async fn serve_writes_only_json_lines_with_log_format_json() {
    let dir = data_dir();
    let mut server = Server::start_with(dir.path(), &["--log-format", "json"]);
    let client = server.client();
    let definition = json!({"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}});
    let machine = create(&client, "quiet", &definition, StateMachineType::Standard).await;
    let arn = start(&client, &machine, "one", &json!({})).await;
    finished(&client, &arn, Duration::from_secs(30)).await;
    assert!(server.terminate(Duration::from_secs(20)), "the server stops on SIGTERM");
    std::thread::sleep(Duration::from_millis(200));
    let lines = server.log.lock().expect("log lock").clone();
    assert!(lines.len() >= 3, "the serving, console and stopped notices at least: {lines:?}");
    for line in &lines {
        let parsed: Value = serde_json::from_str(line).unwrap_or_else(|error| panic!("not JSON ({error}): {line}"));
        assert!(parsed["level"].is_string() && parsed["timestamp"].is_string(), "{line}");
    }
    let messages: Vec<&str> = lines.iter().filter_map(|line| line.split("\"message\":\"").nth(1)).collect();
    assert!(messages.iter().any(|message| message.starts_with("serving the Step Functions API on http://")), "{lines:?}");
    assert!(messages.iter().any(|message| message.starts_with("the console is on http://")), "{lines:?}");
    assert!(messages.iter().any(|message| message.starts_with("stopped")), "{lines:?}");
}
