//! `baton serve` on PostgreSQL (`--database-url`): the real binary against a throwaway cluster that the tests start
//! themselves (`pgtest`; skipped with a note where PostgreSQL is not installed), driven by the AWS SDK for Rust.

use std::time::{Duration, Instant};

use aws_sdk_sfn::types::{ExecutionStatus, StateMachineType};
use serde_json::{Value, json};

use crate::serve::{Server, all_succeed, create, data_dir, finished, history, list, start, types};

/// The history of an execution of `waiting_machine` (and of the Pass-Wait-Pass machine of `serve`'s tests).
pub(crate) const WAITED: [&str; 8] = [
    "ExecutionStarted",
    "PassStateEntered",
    "PassStateExited",
    "WaitStateEntered",
    "WaitStateExited",
    "PassStateEntered",
    "PassStateExited",
    "ExecutionSucceeded",
];

/// A definition that passes, waits `seconds`, and ends with `{"i": <its input's i>, "done": true}`.
fn waiting(seconds: u64) -> Value {
    json!({"StartAt": "A", "States": {
        "A": {"Type": "Pass", "Next": "W"},
        "W": {"Type": "Wait", "Seconds": seconds, "Next": "B"},
        "B": {"Type": "Pass", "Parameters": {"i.$": "$.i", "done": true}, "End": true}
    }})
}

/// A Standard machine of `waiting(seconds)`.
async fn waiting_machine(client: &aws_sdk_sfn::Client, name: &str, seconds: u64) -> String {
    create(client, name, &waiting(seconds), StateMachineType::Standard).await
}

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
    let machine = waiting_machine(&client, "Parked", 3).await;
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
    all_succeed(&client, &machine, EXECUTIONS, Duration::from_secs(60)).await;
    for (i, arn) in arns.iter().enumerate() {
        let described = client.describe_execution().execution_arn(arn).send().await.expect("describe_execution");
        let output: Value = serde_json::from_str(described.output.as_deref().expect("output")).expect("json");
        assert_eq!(output, json!({"i": i, "done": true}), "{arn}");
        let events = history(&client, arn, 3).await;
        assert_eq!(types(arn, &events).len(), 8, "{arn}");
    }
}

/// What each kind of execution of `three_nodes_share_the_work_and_survive_a_killed_node` runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Work {
    Wait,
    Activity,
    Callback,
    Map,
}

const WORKS: [Work; 4] = [Work::Wait, Work::Activity, Work::Callback, Work::Map];

impl Work {
    fn definition(self, activity: &str) -> Value {
        match self {
            Work::Wait => waiting(4),
            Work::Activity => json!({"StartAt": "Work", "States": {
                "Work": {"Type": "Task", "Resource": activity, "TimeoutSeconds": 120, "End": true}}}),
            Work::Callback => json!({"StartAt": "Ask", "States": {
                "Ask": {"Type": "Task", "Resource": "arn:aws:states:::nosuch:ask.waitForTaskToken",
                    "Parameters": {"token.$": "$$.Task.Token", "i.$": "$.i"}, "End": true}}}),
            Work::Map => json!({"StartAt": "Each", "States": {
                "Each": {"Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 2, "Label": "Each",
                    "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                        "StartAt": "Nap", "States": {"Nap": {"Type": "Wait", "Seconds": 1, "End": true}}},
                    "End": true}}}),
        }
    }

    fn input(self, i: usize) -> Value {
        match self {
            Work::Map => json!({"i": i, "items": [i, i + 1, i + 2]}),
            _ => json!({"i": i}),
        }
    }

    /// The output the execution ends with, as on one node.
    fn output(self, i: usize) -> Value {
        match self {
            Work::Wait => json!({"i": i, "done": true}),
            Work::Activity => json!({"worked": {"i": i}}),
            Work::Callback => json!({"answered": i}),
            Work::Map => json!([i, i + 1, i + 2]),
        }
    }

    /// Its history's event types, as on one node.
    fn events(self) -> &'static [&'static str] {
        match self {
            Work::Wait => &WAITED,
            Work::Activity => &[
                "ExecutionStarted",
                "TaskStateEntered",
                "ActivityScheduled",
                "ActivityStarted",
                "ActivitySucceeded",
                "TaskStateExited",
                "ExecutionSucceeded",
            ],
            Work::Callback => &[
                "ExecutionStarted",
                "TaskStateEntered",
                "TaskScheduled",
                "TaskStarted",
                "TaskSubmitted",
                "TaskSucceeded",
                "TaskStateExited",
                "ExecutionSucceeded",
            ],
            Work::Map => &[
                "ExecutionStarted",
                "MapStateEntered",
                "MapStateStarted",
                "MapRunStarted",
                "MapRunSucceeded",
                "MapStateSucceeded",
                "MapStateExited",
                "ExecutionSucceeded",
            ],
        }
    }
}

/// The acceptance of several nodes: three servers on one database take 300 executions started round-robin (Waits,
/// activity tasks taken and answered through other nodes than their holder's, callbacks answered through another
/// node, distributed Maps); one server is killed with SIGKILL while they run. Every execution ends as it would on
/// one server, its history numbered 1..n without a duplicate event, soon after the killed server's lease runs out.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_nodes_share_the_work_and_survive_a_killed_node() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

    const EXECUTIONS: usize = 300;
    const LEASE_SECONDS: u64 = 2;
    let Some(url) = pgtest::database() else { return };
    let dirs: Vec<_> = (0..3).map(|_| data_dir()).collect();
    let lease = LEASE_SECONDS.to_string();
    let mut nodes: Vec<Server> =
        dirs.iter().map(|dir| Server::start_with(dir.path(), &["--database-url", &url, "--lease-seconds", &lease])).collect();
    let clients: Arc<Vec<aws_sdk_sfn::Client>> = Arc::new(nodes.iter().map(Server::client).collect());
    // After the kill, only the first two nodes answer.
    let alive = Arc::new(AtomicUsize::new(3));
    let client = |k: usize, alive: &AtomicUsize| clients[k % alive.load(Ordering::SeqCst)].clone();

    let activity = clients[0].create_activity().name("work").send().await.expect("create activity").activity_arn().to_owned();
    let mut machines = Vec::new();
    for work in WORKS {
        let name = format!("{work:?}");
        machines.push(create(&clients[0], &name, &work.definition(&activity), StateMachineType::Standard).await);
    }

    // Workers: take tasks on one node, answer them through the next.
    let done = Arc::new(AtomicBool::new(false));
    let mut workers = Vec::new();
    for w in 0..4 {
        let (clients, alive, done) = (clients.clone(), alive.clone(), done.clone());
        let activity = activity.clone();
        workers.push(tokio::spawn(async move {
            let mut k = w;
            while !done.load(Ordering::SeqCst) {
                k += 1;
                let n = alive.load(Ordering::SeqCst);
                let polled = clients[k % n].get_activity_task().activity_arn(&activity).worker_name(format!("w{w}")).send().await;
                let Ok(task) = polled else { continue };
                let Some(token) = task.task_token() else { continue };
                let input: Value = serde_json::from_str(task.input().unwrap_or("{}")).expect("json input");
                let output = json!({"worked": input}).to_string();
                // Through another node than the one polled; a node killed meanwhile is skipped.
                for attempt in 1..=n {
                    let answered = clients[(k + attempt) % n].send_task_success().task_token(token).output(&output).send().await;
                    if answered.is_ok() {
                        break;
                    }
                }
            }
        }));
    }

    let mut started = Vec::with_capacity(EXECUTIONS);
    for i in 0..EXECUTIONS {
        let work = WORKS[i % WORKS.len()];
        let arn = start(&client(i, &alive), &machines[i % WORKS.len()], &format!("e{i}"), &work.input(i)).await;
        started.push((i, work, arn));
    }

    // Callbacks: each token, read from the history, is sent back through another node.
    let callbacks: Vec<(usize, String)> =
        started.iter().filter(|(_, work, _)| *work == Work::Callback).map(|(i, _, arn)| (*i, arn.clone())).collect();
    let answering = {
        let (clients, alive) = (clients.clone(), alive.clone());
        tokio::spawn(async move {
            for (i, arn) in callbacks {
                let deadline = Instant::now() + Duration::from_secs(60);
                let mut last_error = String::new();
                'answer: loop {
                    assert!(Instant::now() < deadline, "{arn} not answered; last error: {last_error}");
                    let n = alive.load(Ordering::SeqCst);
                    let reader = &clients[i % n];
                    let Ok(page) = reader.get_execution_history().execution_arn(&arn).send().await else { continue };
                    let scheduled = page.events.iter().find_map(|e| e.task_scheduled_event_details());
                    let Some(details) = scheduled else {
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        continue;
                    };
                    let parameters: Value = serde_json::from_str(details.parameters()).expect("json parameters");
                    let token = parameters["token"].as_str().expect("token").to_owned();
                    for attempt in 1..=n {
                        let answer = json!({"answered": i}).to_string();
                        let sent = clients[(i + attempt) % n].send_task_success().task_token(&token).output(answer).send().await;
                        match sent.map_err(aws_sdk_sfn::error::SdkError::into_service_error) {
                            Ok(_) => break 'answer,
                            // Used already: an earlier attempt was committed though its answer was lost (the SDK
                            // retried); the execution's output below shows which answer won.
                            Err(error) if error.is_invalid_token() => break 'answer,
                            Err(error) => last_error = format!("{error:?}"),
                        }
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        })
    };

    // Kill the third node while the executions run, holding some.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut held_by_killed = 0;
    for (_, _, arn) in started.iter().filter(|(i, _, _)| i % 3 == 2) {
        let described = clients[0].describe_execution().execution_arn(arn).send().await.expect("describe_execution");
        held_by_killed += usize::from(described.status == ExecutionStatus::Running);
    }
    assert!(held_by_killed > 0, "no execution runs on the node about to be killed");
    alive.store(2, Ordering::SeqCst);
    nodes[2].kill();
    let killed = Instant::now();

    answering.await.expect("the callbacks were answered");
    let deadline = killed + Duration::from_secs(LEASE_SECONDS + 10);
    for (i, work, arn) in &started {
        let described = finished(&clients[i % 2], arn, deadline.saturating_duration_since(Instant::now())).await;
        assert_eq!(described.status, ExecutionStatus::Succeeded, "{arn}: {:?} {:?}", described.error, described.cause);
        let output: Value = serde_json::from_str(described.output.as_deref().expect("output")).expect("json");
        assert_eq!(output, work.output(*i), "{arn}");
        let events = history(&clients[i % 2], arn, 1000).await;
        assert_eq!(types(arn, &events), work.events(), "{arn}");
    }
    done.store(true, Ordering::SeqCst);
    for worker in workers {
        worker.abort();
    }
    let (all, _) = list(&clients[0], &machines[0], None, 1000).await;
    assert_eq!(all.len(), EXECUTIONS / WORKS.len(), "no execution duplicated");

    // `baton nodes` shows the two survivors alive and the killed one lapsed, holding nothing now.
    let listed = baton_nodes(&url);
    assert_eq!(listed.len(), 3, "{listed:?}");
    let alive: Vec<bool> = listed.iter().map(|node| node["alive"] == true).collect();
    assert_eq!(alive.iter().filter(|a| **a).count(), 2, "{listed:?}");
    assert!(listed.iter().all(|node| node["executions"] == 0), "everything ended: {listed:?}");
}

/// `baton nodes --json` on the database `url`.
fn baton_nodes(url: &str) -> Vec<Value> {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_baton"))
        .args(["nodes", "--json", "--database-url", url])
        .output()
        .expect("run baton nodes");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("utf-8").lines().map(|line| serde_json::from_str(line).expect("json")).collect()
}

/// A node that shuts down cleanly (SIGTERM) hands its executions over at once: the other finishes them long before
/// the lease (10 s, the default) would have run out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_that_stops_hands_its_executions_over_at_once() {
    const EXECUTIONS: usize = 10;
    let Some(url) = pgtest::database() else { return };
    let (dir_a, dir_b) = (data_dir(), data_dir());
    let a = Server::start_with(dir_a.path(), &["--database-url", &url]);
    let mut b = Server::start_with(dir_b.path(), &["--database-url", &url]);
    let machine = create(
        &b.client(),
        "HandedOver",
        &json!({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 1, "End": true}}}),
        StateMachineType::Standard,
    )
    .await;
    let mut arns = Vec::new();
    for i in 0..EXECUTIONS {
        arns.push(start(&b.client(), &machine, &format!("h{i}"), &json!({"i": i})).await);
    }
    let held: u64 = baton_nodes(&url).iter().filter_map(|node| node["executions"].as_u64()).sum();
    assert_eq!(held, EXECUTIONS as u64, "held before the stop");
    assert!(b.terminate(Duration::from_secs(10)), "the node stops on SIGTERM");
    let stopped = Instant::now();
    let client = a.client();
    for arn in &arns {
        let described = finished(&client, arn, Duration::from_secs(6).saturating_sub(stopped.elapsed())).await;
        assert_eq!(described.status, ExecutionStatus::Succeeded, "{arn}");
    }
}

/// Fencing: a node paused (SIGSTOP) past its lease loses its executions to the other, which finishes them; resumed
/// (SIGCONT), its overdue timers fire and their steps are refused, so it writes nothing for them and every history
/// stays whole.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paused_node_writes_nothing_for_the_executions_it_lost() {
    const EXECUTIONS: usize = 20;
    let Some(url) = pgtest::database() else { return };
    let (dir_a, dir_b) = (data_dir(), data_dir());
    let a = node(&url, &dir_a);
    let b = node(&url, &dir_b);
    let machine = waiting_machine(&b.client(), "Paused", 2).await;
    let mut arns = Vec::new();
    for i in 0..EXECUTIONS {
        arns.push(start(&b.client(), &machine, &format!("p{i}"), &json!({"i": i})).await);
    }
    let signal = |name: &str| {
        let sent = std::process::Command::new("kill").args([name, &b.pid().to_string()]).status().expect("run kill");
        assert!(sent.success(), "kill {name}");
    };
    signal("-STOP");
    // Past the lease (1 s) and the Wait: the other node takes the executions over and finishes them.
    tokio::time::sleep(Duration::from_millis(3500)).await;
    signal("-CONT");
    let client = a.client();
    for (i, arn) in arns.iter().enumerate() {
        let described = finished(&client, arn, Duration::from_secs(30)).await;
        let output: Value = serde_json::from_str(described.output.as_deref().expect("output")).expect("json");
        assert_eq!(output, json!({"i": i, "done": true}), "{arn}");
    }
    // The resumed node had its chance to write (its timers were overdue), and wrote nothing.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    for arn in &arns {
        let events = history(&client, arn, 100).await;
        assert_eq!(types(arn, &events), WAITED, "{arn}");
    }
}

/// Parked executions across nodes: executions parked in a Wait on one node are taken over, still parked, when it is
/// killed, and wake on the other node when due; a StopExecution sent to one node stops a parked execution the other
/// holds (the holder wakes it for the stop).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parked_executions_are_taken_over_and_stopped_across_nodes() {
    const EXECUTIONS: usize = 10;
    let Some(url) = pgtest::database() else { return };
    let (dir_a, dir_b) = (data_dir(), data_dir());
    let parking = ["--database-url", url.as_str(), "--lease-seconds", "1", "--park-after-ms", "300"];
    let a = Server::start_with(dir_a.path(), &parking);
    let mut b = Server::start_with(dir_b.path(), &parking);
    let machine = waiting_machine(&b.client(), "ParkedAcross", 4).await;
    let mut arns = Vec::new();
    for i in 0..EXECUTIONS {
        arns.push(start(&b.client(), &machine, &format!("x{i}"), &json!({"i": i})).await);
    }
    // Held by b and parked; a stop through a, while b still holds it.
    let stopped = &arns[0];
    a.client().stop_execution().execution_arn(stopped).error("Enough").send().await.expect("stop through the other node");
    let described = a.client().describe_execution().execution_arn(stopped).send().await.expect("describe_execution");
    assert_eq!(described.status, ExecutionStatus::Aborted);
    b.kill();
    let client = a.client();
    for (i, arn) in arns.iter().enumerate().skip(1) {
        let described = finished(&client, arn, Duration::from_secs(20)).await;
        let output: Value = serde_json::from_str(described.output.as_deref().expect("output")).expect("json");
        assert_eq!(output, json!({"i": i, "done": true}), "{arn}");
        let events = history(&client, arn, 100).await;
        assert_eq!(types(arn, &events), WAITED, "{arn}");
    }
}

/// The console's execution JSON (`/console/api/executions/{arn}`) from the server at `addr`.
fn console_execution(addr: &str, arn: &str) -> Value {
    let path = arn.replace(':', "%3A").replace('/', "%2F");
    let mut response = ureq::get(format!("http://{addr}/console/api/executions/{path}")).call().expect("the console's JSON");
    serde_json::from_str(&response.body_mut().read_to_string().expect("a body")).expect("JSON")
}

/// A callback waiting for its token is listed by the console of either node: the one that holds the execution asks
/// its actor, the other rebuilds it from its triggers; both list the same token, which completes the task through
/// either.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_nodes_list_a_waiting_callbacks_token() {
    let Some(url) = pgtest::database() else { return };
    let (dir_a, dir_b) = (data_dir(), data_dir());
    let a = node(&url, &dir_a);
    let b = node(&url, &dir_b);
    let definition = json!({"StartAt": "Ask", "States": {
        "Ask": {"Type": "Task", "Resource": "arn:aws:states:::nosuch:ask.waitForTaskToken", "Parameters": {"q": 1}, "End": true}}});
    let machine = create(&a.client(), "Asked", &definition, StateMachineType::Standard).await;
    let arn = start(&a.client(), &machine, "asked", &json!({})).await;
    let deadline = Instant::now() + Duration::from_secs(20);
    let (on_a, on_b) = loop {
        let on_a = console_execution(&a.addr, &arn)["waiting"].clone();
        let on_b = console_execution(&b.addr, &arn)["waiting"].clone();
        if on_a.as_array().is_some_and(|list| !list.is_empty()) && on_b.as_array().is_some_and(|list| !list.is_empty()) {
            break (on_a, on_b);
        }
        assert!(Instant::now() < deadline, "no token listed: {on_a} {on_b}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(on_a, on_b, "both nodes list the same waiting task");
    assert_eq!((on_a[0]["stateName"].as_str(), on_a[0]["activity"].as_bool()), (Some("Ask"), Some(false)), "{on_a}");
    let token = on_a[0]["token"].as_str().expect("a token");
    b.client().send_task_success().task_token(token).output(r#"{"answer":42}"#).send().await.expect("the token completes the task");
    let described = finished(&a.client(), &arn, Duration::from_secs(20)).await;
    assert_eq!((described.status, described.output.as_deref()), (ExecutionStatus::Succeeded, Some(r#"{"answer":42}"#)));
    assert_eq!(console_execution(&b.addr, &arn)["waiting"], json!([]), "nothing waits once it ended");
}
