//! `baton serve` under faults: crashes (`kill -9`) at the worst moments, stored executions that cannot be resumed,
//! JSONata that never ends, histories too large to hold, a full disk, a second server on the same directory.
//!
//! Each test drives the real binary (`serve::Server`) and checks a promise of the server: what the API acknowledged is
//! committed, a replay gives the recorded values, one bad execution does not stop the others, evaluation never
//! blocks the API, one execution's memory is bounded, callbacks are not sent again, the store recovers when the disk
//! has room again.

use std::path::Path;
use std::time::{Duration, Instant};

use aws_sdk_sfn::types::{ExecutionStatus, HistoryEventType, StateMachineType};
use serde_json::{Value, json};

use crate::serve::{Server, create, data_dir, finished, history, start, types};

/// Waits until the execution's history has an event of `kind`.
async fn reached(client: &aws_sdk_sfn::Client, arn: &str, kind: &str, timeout: Duration) {
    let deadline = Instant::now() + timeout;
    while !types(arn, &history(client, arn, 1000).await).iter().any(|t| t == kind) {
        assert!(Instant::now() < deadline, "{arn} never reached {kind}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn count(kinds: &[String], kind: &str) -> usize {
    kinds.iter().filter(|k| *k == kind).count()
}

/// The database of a data directory, opened from outside the server.
fn database(data: &Path) -> rusqlite::Connection {
    let db = rusqlite::Connection::open(data.join("baton.sqlite3")).expect("open the database");
    db.busy_timeout(Duration::from_secs(10)).expect("busy timeout");
    db
}

/// SendTaskSuccess answers only once the result is committed: while the database's write lock is held from outside,
/// no answer comes; once it is released the answer comes, and a `kill -9` right after loses nothing. After the
/// restart the execution succeeds with that output and the activity is not scheduled again.
#[tokio::test(flavor = "multi_thread")]
async fn send_task_success_answers_once_committed_and_survives_kill_9() {
    let dir = data_dir();
    let data = dir.path().join("data");
    let mut server = Server::start(&data);
    let client = server.client();
    let activity = client.create_activity().name("approve").send().await.expect("create activity").activity_arn().to_owned();
    let definition = json!({"StartAt": "Work", "States": {"Work": {"Type": "Task", "Resource": activity, "End": true}}});
    let machine = create(&client, "acknowledged", &definition, StateMachineType::Standard).await;
    let arn = start(&client, &machine, "one", &json!({"n": 1})).await;
    let task = client.get_activity_task().activity_arn(&activity).worker_name("w").send().await.expect("get task");
    let token = task.task_token().expect("a task").to_owned();

    let db = database(&data);
    db.execute_batch("BEGIN IMMEDIATE").expect("hold the write lock");
    let answered = tokio::spawn({
        let client = client.clone();
        async move { client.send_task_success().task_token(token).output(r#"{"approved":true}"#).send().await }
    });
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(!answered.is_finished(), "SendTaskSuccess answered before its result could be committed");
    db.execute_batch("ROLLBACK").expect("release the write lock");
    answered.await.expect("the call ends").expect("SendTaskSuccess answers once committed");
    server.kill();

    let server = Server::start(&data);
    let client = server.client();
    let done = finished(&client, &arn, Duration::from_secs(10)).await;
    assert_eq!(done.status(), &ExecutionStatus::Succeeded, "{:?}", done.cause());
    assert_eq!(done.output(), Some(r#"{"approved":true}"#));
    let kinds = types(&arn, &history(&client, &arn, 100).await);
    assert_eq!((count(&kinds, "ActivityScheduled"), count(&kinds, "ActivityStarted")), (1, 1), "{kinds:?}");
}

/// `$shuffle`, `$toMillis` with a picture and `$uuid` are evaluated before a Wait; a `kill -9` during the Wait and the
/// restart's replay give the execution the same values as its recorded history.
#[tokio::test(flavor = "multi_thread")]
async fn values_drawn_before_a_crash_are_the_recorded_ones_after_it() {
    let dir = data_dir();
    let data = dir.path().join("data");
    let mut server = Server::start(&data);
    let client = server.client();
    let definition = json!({"QueryLanguage": "JSONata", "StartAt": "Draw", "States": {
        "Draw": {"Type": "Pass", "Next": "Hold",
            "Output": "{% {'order': $shuffle([1..30]), 'at': $toMillis('10:30', '[H01]:[m01]'), 'id': $uuid()} %}"},
        "Hold": {"Type": "Wait", "Seconds": 3, "Next": "Done"},
        "Done": {"Type": "Pass", "End": true}}});
    let machine = create(&client, "drawn", &definition, StateMachineType::Standard).await;
    let arn = start(&client, &machine, "one", &json!({})).await;
    reached(&client, &arn, "WaitStateEntered", Duration::from_secs(10)).await;
    server.kill();

    let server = Server::start(&data);
    assert_eq!(server.resumed, 1);
    let client = server.client();
    let done = finished(&client, &arn, Duration::from_secs(15)).await;
    assert_eq!(done.status(), &ExecutionStatus::Succeeded, "{:?}", done.cause());
    let events = history(&client, &arn, 100).await;
    let drawn = events
        .iter()
        .find(|e| e.r#type == HistoryEventType::PassStateExited)
        .and_then(|e| e.state_exited_event_details())
        .and_then(|d| d.output())
        .expect("Draw's output in the history");
    let drawn: Value = serde_json::from_str(drawn).expect("JSON");
    let output: Value = serde_json::from_str(done.output().expect("an output")).expect("JSON");
    assert_eq!(output, drawn);
    assert_ne!(drawn["order"], json!((1..=30).collect::<Vec<u32>>()), "shuffled");
}

/// A store holding executions that cannot be rebuilt (an unreadable trigger, a definition this Baton rejects, a stored
/// history the replay does not give) starts, fails each of them with `States.Runtime` and a cause that says why,
/// and serves the others.
#[tokio::test(flavor = "multi_thread")]
async fn executions_that_cannot_be_rebuilt_fail_and_the_rest_resume() {
    let dir = data_dir();
    let data = dir.path().join("data");
    // Kept in memory (not parked), so that start-up rebuilds them.
    let in_memory = ["--park-after-ms", "0"];
    let mut server = Server::start_with(&data, &in_memory);
    let client = server.client();
    let definition = json!({"StartAt": "Park", "States": {"Park": {"Type": "Wait", "Seconds": 86400, "End": true}}});
    let machine = create(&client, "parked", &definition, StateMachineType::Standard).await;
    let names = ["good", "bad-trigger", "bad-definition", "divergent"];
    let mut arns = Vec::new();
    for name in names {
        let arn = start(&client, &machine, name, &json!({"name": name})).await;
        reached(&client, &arn, "WaitStateEntered", Duration::from_secs(10)).await;
        arns.push(arn);
    }
    server.kill();

    let db = database(&data);
    let seq = |name: &str| -> i64 {
        db.query_row("SELECT seq FROM executions WHERE name = ?1", [name], |row| row.get(0)).expect("stored")
    };
    db.execute("UPDATE triggers SET json = 'not a trigger' WHERE execution = ?1 AND seq = 1", [seq("bad-trigger")])
        .expect("damage a trigger");
    db.execute(
        r#"UPDATE executions SET definition = '{"StartAt": "Nowhere", "States": {}}' WHERE seq = ?1"#,
        [seq("bad-definition")],
    )
    .expect("damage a definition");
    db.execute("UPDATE triggers SET json = json_set(json, '$.now', 1000) WHERE execution = ?1 AND seq = 1", [seq("divergent")])
        .expect("change a trigger");
    drop(db);

    let server = Server::start_with(&data, &in_memory);
    assert_eq!(server.resumed, 1, "only the good execution resumed");
    let client = server.client();
    let causes = [None, Some("stored step 1 is unreadable"), Some("Invalid State Machine Definition"), Some("with other contents")];
    for ((name, arn), cause) in names.iter().zip(&arns).zip(causes) {
        let described = client.describe_execution().execution_arn(arn).send().await.expect("describe");
        let Some(cause) = cause else {
            assert_eq!(described.status(), &ExecutionStatus::Running, "{name}");
            continue;
        };
        assert_eq!(described.status(), &ExecutionStatus::Failed, "{name}");
        assert_eq!(described.error(), Some("States.Runtime"), "{name}");
        let text = described.cause().unwrap_or_default();
        assert!(text.contains("Baton cannot resume this execution") && text.contains(cause), "{name}: {text}");
        // The failure follows the stored events, numbered without a gap.
        let kinds = types(arn, &history(&client, arn, 100).await);
        assert_eq!(kinds.last().map(String::as_str), Some("ExecutionFailed"), "{name}: {kinds:?}");
        assert_eq!(count(&kinds, "WaitStateEntered"), 1, "{name}: {kinds:?}");
    }
    let stopped = client.stop_execution().execution_arn(&arns[0]).send().await;
    assert!(stopped.is_ok(), "{stopped:?}");
    let good = client.describe_execution().execution_arn(&arns[0]).send().await.expect("describe");
    assert_eq!(good.status(), &ExecutionStatus::Aborted);
}

/// A JSONata machine whose `Spin` state never ends evaluating, after a Wait of `wait` seconds (none: it starts with
/// it, so its first step spins).
fn spin(wait: Option<u64>) -> Value {
    let spin = json!({"Type": "Pass", "Output": "{% ($f := function($n){ $f($n + 1) }; $f(0)) %}", "End": true});
    match wait {
        Some(seconds) => json!({"QueryLanguage": "JSONata", "StartAt": "Hold", "States": {
            "Hold": {"Type": "Wait", "Seconds": seconds, "Next": "Spin"}, "Spin": spin}}),
        None => json!({"QueryLanguage": "JSONata", "StartAt": "Spin", "States": {"Spin": spin}}),
    }
}

/// Answers an API call within `limit`, or fails the test.
async fn answers_within(client: &aws_sdk_sfn::Client, limit: Duration) {
    let asked = Instant::now();
    client.list_state_machines().send().await.expect("ListStateMachines");
    assert!(asked.elapsed() < limit, "the API took {:?}", asked.elapsed());
}

/// Two executions whose JSONata never ends fail within the configured limit while the API keeps answering; one caught
/// evaluating by a `kill -9` does not hold up the restart, which serves at once, and fails within the limit again.
#[tokio::test(flavor = "multi_thread")]
async fn a_jsonata_that_never_ends_fails_within_the_limit() {
    let dir = data_dir();
    let data = dir.path().join("data");
    let mut server = Server::start_with(&data, &["--max-evaluation-ms", "1500"]);
    let client = server.client();
    let later = create(&client, "spin", &spin(Some(0)), StateMachineType::Standard).await;
    let now = create(&client, "spin-now", &spin(None), StateMachineType::Standard).await;
    let started = Instant::now();
    let arns = [start(&client, &later, "one", &json!({})).await, start(&client, &now, "two", &json!({})).await];
    while started.elapsed() < Duration::from_millis(1200) {
        answers_within(&client, Duration::from_millis(500)).await;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for arn in &arns {
        let done = finished(&client, arn, Duration::from_secs(10)).await;
        assert_eq!(done.status(), &ExecutionStatus::Failed);
        assert_eq!(done.error(), Some("States.QueryEvaluationError"));
        assert!(done.cause().unwrap_or_default().contains("exceeded its time limit"), "{:?}", done.cause());
        let kinds = types(arn, &history(&client, arn, 100).await);
        assert!(kinds.contains(&"EvaluationFailed".to_owned()), "{kinds:?}");
    }
    assert!(started.elapsed() < Duration::from_secs(8), "took {:?}", started.elapsed());

    // Caught evaluating by a crash: the timer of its committed Wait fires again at once after the restart.
    let slow = create(&client, "spin-later", &spin(Some(1)), StateMachineType::Standard).await;
    let arn = start(&client, &slow, "crash", &json!({})).await;
    reached(&client, &arn, "WaitStateEntered", Duration::from_secs(10)).await;
    // The Wait ends after a second, and the step that follows evaluates until cut off: kill it meanwhile.
    tokio::time::sleep(Duration::from_millis(1300)).await;
    server.kill();
    let restarted = Instant::now();
    let server = Server::start_with(&data, &["--max-evaluation-ms", "1500"]);
    assert!(restarted.elapsed() < Duration::from_secs(5), "the restart took {:?}", restarted.elapsed());
    let client = server.client();
    answers_within(&client, Duration::from_millis(500)).await;
    let done = finished(&client, &arn, Duration::from_secs(10)).await;
    assert_eq!(done.error(), Some("States.QueryEvaluationError"));
}

/// Stops do not wait for an evaluation: StopExecution cuts a never-ending one short and the execution is aborted
/// without a trace of it, and SIGTERM stops a server whose evaluations never end.
#[tokio::test(flavor = "multi_thread")]
async fn stop_and_sigterm_cut_evaluations_short() {
    let dir = data_dir();
    let mut server = Server::start_with(dir.path(), &["--max-evaluation-ms", "600000"]);
    let client = server.client();
    let machine = create(&client, "spin", &spin(Some(0)), StateMachineType::Standard).await;
    let arn = start(&client, &machine, "stopped", &json!({})).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let asked = Instant::now();
    client.stop_execution().execution_arn(&arn).cause("enough").send().await.expect("stop");
    assert!(asked.elapsed() < Duration::from_secs(3), "StopExecution took {:?}", asked.elapsed());
    let described = client.describe_execution().execution_arn(&arn).send().await.expect("describe");
    assert_eq!(described.status(), &ExecutionStatus::Aborted);
    let kinds = types(&arn, &history(&client, &arn, 100).await);
    assert_eq!(kinds.last().map(String::as_str), Some("ExecutionAborted"), "{kinds:?}");
    assert!(!kinds.iter().any(|kind| kind.contains("Evaluation") || kind == "PassStateExited"), "{kinds:?}");

    // Two spin from their first step (StartExecution must answer meanwhile), two after a Wait.
    let now = create(&client, "spin-now", &spin(None), StateMachineType::Standard).await;
    for (machine, name) in [(&now, "a"), (&now, "b"), (&machine, "c"), (&machine, "d")] {
        let asked = Instant::now();
        start(&client, machine, name, &json!({})).await;
        assert!(asked.elapsed() < Duration::from_secs(2), "StartExecution took {:?}", asked.elapsed());
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    answers_within(&client, Duration::from_millis(500)).await;
    assert!(server.terminate(Duration::from_secs(5)), "SIGTERM did not stop the server");
}

/// A Pass loop carrying a 200 KB payload fails at the history limit, with the server's memory bounded: its events
/// go to the store as they come instead of piling up in one step. The limit is 1,000 events (200 MB of history, a
/// debug build writes it in about half a minute); before the events were streamed the server peaked at about twice
/// the history's size (2 GB for 5,000 events), now at under 100 MB whatever the limit (93 MB for 5,000 in a release
/// build, see README).
#[tokio::test(flavor = "multi_thread")]
async fn a_large_payload_loop_fails_at_the_history_limit_in_bounded_memory() {
    let dir = data_dir();
    let server = Server::start_with(dir.path(), &["--max-history-events", "1000"]);
    let client = server.client();
    let definition = json!({"StartAt": "A", "States": {
        "A": {"Type": "Pass", "Next": "B"},
        "B": {"Type": "Pass", "Next": "A"}}});
    let machine = create(&client, "loop", &definition, StateMachineType::Standard).await;
    let arn = start(&client, &machine, "heavy", &json!({"blob": "x".repeat(200_000)})).await;
    let done = finished(&client, &arn, Duration::from_secs(180)).await;
    assert_eq!(done.status(), &ExecutionStatus::Failed);
    assert_eq!(done.error(), Some("States.Runtime"));
    assert!(done.cause().unwrap_or_default().contains("maximum number of history events"), "{:?}", done.cause());
    let peak = server.peak_resident_kib().expect("the server's memory");
    assert!(peak < 256 * 1024, "the server used {} MiB", peak / 1024);
    let last = client.get_execution_history().execution_arn(&arn).reverse_order(true).max_results(1).send().await;
    assert_eq!(last.expect("history").events().first().map(|e| e.id), Some(1000));
}

/// A `.waitForTaskToken` task whose request was made is not made again by restarts (one after `kill -9`, one after
/// SIGTERM): the function runs once, and its token still completes the task.
#[tokio::test(flavor = "multi_thread")]
async fn a_callback_request_is_made_once_across_restarts() {
    let dir = data_dir();
    let data = dir.path().join("data");
    let calls = dir.path().join("calls.txt");
    let script = dir.path().join("ask.py");
    std::fs::write(
        &script,
        format!(
            "import json, sys\npayload = json.load(sys.stdin)\nopen({:?}, 'a').write(payload['token'] + '\\n')\nprint('{{}}')\n",
            calls.display().to_string()
        ),
    )
    .expect("write the function");
    let functions = dir.path().join("functions.toml");
    std::fs::write(&functions, format!("[functions.ask]\ncommand = [\"python3\", {:?}]\n", script.display().to_string()))
        .expect("write the functions file");
    let functions = functions.display().to_string();
    let extra = ["--functions", functions.as_str()];

    let mut server = Server::start_with(&data, &extra);
    let client = server.client();
    let definition = json!({"StartAt": "Ask", "States": {"Ask": {
        "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
        "Parameters": {"FunctionName": "ask", "Payload": {"token.$": "$$.Task.Token"}}, "End": true}}});
    let machine = create(&client, "ask", &definition, StateMachineType::Standard).await;
    let arn = start(&client, &machine, "once", &json!({})).await;
    reached(&client, &arn, "TaskSubmitted", Duration::from_secs(20)).await;
    server.kill();
    let mut server = Server::start_with(&data, &extra);
    assert_eq!(server.resumed, 1);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(server.terminate(Duration::from_secs(10)), "SIGTERM did not stop the server");
    let server = Server::start_with(&data, &extra);
    assert_eq!(server.resumed, 1);
    tokio::time::sleep(Duration::from_millis(1000)).await;

    let lines = std::fs::read_to_string(&calls).expect("the function ran");
    let tokens: Vec<&str> = lines.lines().collect();
    assert_eq!(tokens.len(), 1, "the function ran {} times", tokens.len());
    let client = server.client();
    client.send_task_success().task_token(tokens[0]).output(r#"{"ok":1}"#).send().await.expect("the token works");
    let done = finished(&client, &arn, Duration::from_secs(10)).await;
    assert_eq!(done.output(), Some(r#"{"ok":1}"#));
    let kinds = types(&arn, &history(&client, &arn, 100).await);
    assert_eq!(count(&kinds, "TaskSubmitted"), 1, "{kinds:?}");
}

/// A parent waiting on a `.sync` child survives a crash: after the restart it finds its child running, not ended.
#[tokio::test(flavor = "multi_thread")]
async fn a_sync_parent_waits_for_its_child_across_a_crash() {
    let dir = data_dir();
    let data = dir.path().join("data");
    let mut server = Server::start(&data);
    let client = server.client();
    let child = json!({"StartAt": "Slow", "States": {
        "Slow": {"Type": "Wait", "Seconds": 3, "Next": "Say"},
        "Say": {"Type": "Pass", "Result": {"from": "child"}, "End": true}}});
    let child = create(&client, "child", &child, StateMachineType::Standard).await;
    let parent = json!({"StartAt": "Call", "States": {"Call": {
        "Type": "Task", "Resource": "arn:aws:states:::states:startExecution.sync:2",
        "Parameters": {"StateMachineArn": child, "Input": {}}, "OutputPath": "$.Output", "End": true}}});
    let parent = create(&client, "parent", &parent, StateMachineType::Standard).await;
    let arn = start(&client, &parent, "p", &json!({})).await;
    reached(&client, &arn, "TaskStarted", Duration::from_secs(10)).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    server.kill();

    let server = Server::start(&data);
    assert_eq!(server.resumed, 2);
    let client = server.client();
    let done = finished(&client, &arn, Duration::from_secs(20)).await;
    assert_eq!(done.status(), &ExecutionStatus::Succeeded, "{:?}", done.cause());
    assert_eq!(serde_json::from_str::<Value>(done.output().unwrap_or("null")).expect("JSON"), json!({"from": "child"}));
}

/// One server per data directory: a second one refuses to start and says why; the first goes on.
#[tokio::test(flavor = "multi_thread")]
async fn a_second_server_on_the_same_directory_refuses_to_start() {
    let dir = data_dir();
    let mut first = Server::start(dir.path());
    let second = std::process::Command::new(env!("CARGO_BIN_EXE_baton"))
        .args(["serve", "--bind", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path())
        .output()
        .expect("run a second baton serve");
    assert!(!second.status.success());
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(stderr.contains("in use by another Baton") && stderr.contains(&first.pid().to_string()), "{stderr}");
    assert!(first.alive());
    first.client().list_state_machines().send().await.expect("the first server serves");
}

/// `baton backup` copies a running server's database, WAL included; a server on the copy has the executions.
#[tokio::test(flavor = "multi_thread")]
async fn a_backup_of_a_running_server_restores() {
    let dir = data_dir();
    let data = dir.path().join("data");
    let server = Server::start(&data);
    let client = server.client();
    let definition = json!({"StartAt": "Park", "States": {"Park": {"Type": "Wait", "Seconds": 86400, "End": true}}});
    let machine = create(&client, "kept", &definition, StateMachineType::Standard).await;
    let arn = start(&client, &machine, "one", &json!({"n": 1})).await;
    reached(&client, &arn, "WaitStateEntered", Duration::from_secs(10)).await;
    let copy = dir.path().join("copy");
    let backup = std::process::Command::new(env!("CARGO_BIN_EXE_baton"))
        .arg("backup")
        .arg(&copy)
        .arg("--data-dir")
        .arg(&data)
        .output()
        .expect("run baton backup");
    assert!(backup.status.success(), "{}", String::from_utf8_lossy(&backup.stderr));
    drop(server);
    let restored = Server::start(&copy);
    assert_eq!(restored.resumed, 0, "parked in its day-long Wait: start-up does not read it");
    let described = restored.client().describe_execution().execution_arn(&arn).send().await.expect("in the copy");
    assert_eq!(described.status(), &ExecutionStatus::Running);
}

/// Closed executions past `--retention` are deleted with their history; running ones stay.
#[tokio::test(flavor = "multi_thread")]
async fn retention_deletes_old_closed_executions() {
    let dir = data_dir();
    let server = Server::start_with(dir.path(), &["--retention", "1s"]);
    let client = server.client();
    let quick = json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}});
    let quick = create(&client, "quick", &quick, StateMachineType::Standard).await;
    let old = start(&client, &quick, "old", &json!({})).await;
    finished(&client, &old, Duration::from_secs(10)).await;
    let parked = json!({"StartAt": "Park", "States": {"Park": {"Type": "Wait", "Seconds": 86400, "End": true}}});
    let parked = create(&client, "parked", &parked, StateMachineType::Standard).await;
    let running = start(&client, &parked, "running", &json!({})).await;
    drop(server);
    tokio::time::sleep(Duration::from_millis(1500)).await;

    // Retention runs at start-up (and every hour).
    let server = Server::start_with(dir.path(), &["--retention", "1s"]);
    let client = server.client();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match client.describe_execution().execution_arn(&old).send().await {
            Err(error) if format!("{error:?}").contains("ExecutionDoesNotExist") => break,
            other => assert!(Instant::now() < deadline, "still there: {other:?}"),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let kept = client.describe_execution().execution_arn(&running).send().await.expect("the running one stays");
    assert_eq!(kept.status(), &ExecutionStatus::Running);
}

/// Writes refused for a full disk do not stop the store: parked executions whose timers fire meanwhile wait, and all
/// of them finish once there is room again. The data directory is a small tmpfs (needs root and `mount`; skipped
/// with a note where that is not possible).
#[tokio::test(flavor = "multi_thread")]
async fn a_full_disk_is_survived_once_there_is_room() {
    let dir = data_dir();
    let data = dir.path().join("data");
    std::fs::create_dir(&data).expect("data dir");
    let mounted = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=6m", "tmpfs"])
        .arg(&data)
        .status()
        .is_ok_and(|status| status.success());
    if !mounted {
        eprintln!("note: cannot mount a small tmpfs here (needs root); skipping the full-disk test");
        return;
    }
    struct Unmount<'a>(&'a Path);
    impl Drop for Unmount<'_> {
        fn drop(&mut self) {
            let _ = std::process::Command::new("umount").arg("-l").arg(self.0).status();
        }
    }
    let _unmount = Unmount(&data);

    let server = Server::start(&data);
    let client = server.client();
    let definition = json!({"StartAt": "Nap", "States": {
        "Nap": {"Type": "Wait", "Seconds": 2, "Next": "Done"},
        "Done": {"Type": "Pass", "End": true}}});
    let machine = create(&client, "nap", &definition, StateMachineType::Standard).await;
    let blob = "y".repeat(100_000);
    let mut started = Vec::new();
    let mut refused = None;
    for n in 0..200 {
        match client.start_execution().state_machine_arn(&machine).name(format!("e{n}")).input(json!({"blob": blob}).to_string()).send().await {
            Ok(out) => started.push(out.execution_arn),
            Err(error) => {
                refused = Some(format!("{error:?}"));
                break;
            }
        }
    }
    let refused = refused.expect("the disk filled up");
    assert!(refused.contains("InternalFailure") || refused.contains("full"), "{refused}");
    assert!(!started.is_empty());
    // Their timers fire while the disk is full: those steps cannot commit.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let remounted = std::process::Command::new("mount")
        .args(["-o", "remount,size=200m"])
        .arg(&data)
        .status()
        .is_ok_and(|status| status.success());
    assert!(remounted, "remount with room");
    for arn in &started {
        let done = finished(&client, arn, Duration::from_secs(30)).await;
        assert_eq!(done.status(), &ExecutionStatus::Succeeded, "{arn}: {:?}", done.cause());
    }
    let more = client.start_execution().state_machine_arn(&machine).name("after").input("{}").send().await;
    let after = more.expect("writes work again").execution_arn;
    assert_eq!(finished(&client, &after, Duration::from_secs(10)).await.status(), &ExecutionStatus::Succeeded);
}
