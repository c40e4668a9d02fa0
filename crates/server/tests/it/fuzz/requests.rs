//! The request fuzzer: a valid request of every action the router serves, naming real resources (state machines,
//! executions, a version, an alias, an activity, a Map Run), mutated and sent through the router; then the server
//! must still be whole.
//!
//! Every answer must be AWS's shape: HTTP 200 with its action's output shape (`shapes`), 400 with exactly `__type`
//! and `message`, 413 for a body over the limit, or 500 only as AWS's own `InternalFailure`; no request may panic
//! its handler or take more than `HANG` to answer. Now and then a machine of a mutated definition is created and
//! started, so that odd machines run inside the server and later cases read their histories. After the run the
//! server is stopped and opened again on its data directory (recovering every running execution); then the
//! execution started before the run still reads as it was, a new execution runs to its end, and no execution failed
//! with a Baton internal error (a panic in the engine).

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::http::{Request, StatusCode, header};
use serde_json::{Value, json};
use tower::ServiceExt;

use runtime::service::{Config, Service};

use crate::fuzz::mutate::{self, mutate};
use crate::fuzz::{Budget, Rng, definitions, shapes};

/// How long an answer may take before the request counts as hung.
const HANG: Duration = Duration::from_secs(20);
const ROLE: &str = "arn:aws:iam::123456789012:role/fuzz";
const STATES: &str = "arn:aws:states:us-east-1:123456789012";

/// The resources the seeds name.
struct World {
    machine: String,
    /// A machine whose executions wait an hour: they are running when the server stops, and are recovered.
    waiter: String,
    express: String,
    done: String,
    waiting: String,
    failed: String,
    mapped: String,
    map_run: String,
    version: String,
    alias: String,
    activity: String,
}

/// A request to send: the action, the headers' deviations and the body.
struct Case {
    action: String,
    content_type: Option<&'static str>,
    target: bool,
    body: Vec<u8>,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mutated_requests_get_aws_answers_and_leave_the_server_whole() {
    let budget = Budget::from_env(1500);
    let dir = tempfile::tempdir().expect("a temporary directory");
    let service = fuzz_service(&dir).await;
    let router = server::router(service.clone());
    let world = world(&router).await;
    let before = call(&router, "DescribeExecution", json!({"executionArn": world.done})).await;
    let seeds = seeds(&world);
    let mut rng = Rng::new(budget.seed);
    let mut internal = Vec::new();
    // Executions the run started, whose histories (of mutated definitions) later cases read, stop and redrive.
    let mut started: Vec<String> = Vec::new();
    for n in 0..budget.cases {
        // Now and then a machine of a mutated definition, started on a (maybe mutated) input: the engine runs odd
        // machines inside the server, and later cases read their histories.
        if rng.one_in(15) {
            let (definition, input) = definitions::mutant(&mut rng);
            if !definition.contains("startExecution") && !definition.contains("http:invoke") {
                let create = json!({"name": format!("Mutant{n}"), "definition": definition, "roleArn": ROLE,
                    "type": if rng.one_in(4) { "EXPRESS" } else { "STANDARD" }});
                let (status, body) = send(&router, &valid("CreateStateMachine", &create), "a mutant").await;
                let machine: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                if status == StatusCode::OK {
                    let start = json!({"stateMachineArn": machine["stateMachineArn"], "input": input.to_string()});
                    let (status, body) = send(&router, &valid("StartExecution", &start), "a mutant's start").await;
                    check("StartExecution", status, &body, &format!("the start of Mutant{n}: {start}"));
                    let answer: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                    started.extend(answer["executionArn"].as_str().map(str::to_owned));
                }
            }
        }
        let case = case(&mut rng, &seeds, &started);
        let what = format!(
            "case {n} of seed {} ({}): {}",
            budget.seed,
            case.action,
            String::from_utf8_lossy(&case.body[..case.body.len().min(600)])
        );
        let (status, body) = send(&router, &case, &what).await;
        check(&case.action, status, &body, &what);
        if status == StatusCode::OK && case.action == "StartExecution" {
            let answer: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            started.extend(answer["executionArn"].as_str().map(str::to_owned));
        }
        if status == StatusCode::INTERNAL_SERVER_ERROR {
            internal.push(what);
        }
    }
    for what in &internal {
        eprintln!("fuzz: InternalFailure for {what}");
    }

    // The server is whole, and so is what it stored: stopped and opened again on its data directory (every running
    // execution recovered from its stored triggers), the old execution reads as before, a new one runs, and no
    // execution failed with a Baton internal error (the runtime's answer to a panic in the engine).
    service.shutdown().await;
    drop((router, service));
    let router = server::router(reopened(&dir).await);
    let after = call(&router, "DescribeExecution", json!({"executionArn": world.done})).await;
    assert_eq!(after, before, "the execution started before fuzzing changed");
    let definition = json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": "ok", "End": true}}}).to_string();
    let create = json!({"name": "AfterFuzz", "definition": definition, "roleArn": ROLE});
    let machine = call(&router, "CreateStateMachine", create).await["stateMachineArn"].clone();
    let started = call(&router, "StartExecution", json!({"stateMachineArn": machine})).await;
    let ended = finished(&router, &started["executionArn"]).await;
    assert_eq!((&ended["status"], &ended["output"]), (&json!("SUCCEEDED"), &json!("\"ok\"")));
    let failures = internal_errors(&router).await;
    assert!(failures.is_empty(), "executions failed with a Baton internal error: {failures:?}");
}

/// The service opened again on `dir` once the one before has let go of it: its executions' tasks end soon after
/// `shutdown`, and the data directory stays locked until the last one has.
async fn reopened(dir: &tempfile::TempDir) -> Service {
    for _ in 0..200 {
        match Service::open(fuzz_config(dir)).await {
            Ok(service) => return service,
            Err(error) if error.to_string().contains("in use by another Baton") => {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(error) => panic!("the service does not open again: {error}"),
        }
    }
    panic!("the data directory stayed locked after shutdown");
}

/// A service whose executions end early (a short history limit), so that runaway definitions do not outlive the run.
async fn fuzz_service(dir: &tempfile::TempDir) -> Service {
    Service::open(fuzz_config(dir)).await.expect("the service opens")
}

fn fuzz_config(dir: &tempfile::TempDir) -> Config {
    Config {
        region: "us-east-1".to_owned(),
        account_id: "123456789012".to_owned(),
        data_dir: dir.path().to_owned(),
        database_url: None,
        lease_ms: 10_000,
        address: String::new(),
        limits: engine::Limits { max_history_events: 200, ..engine::Limits::default() },
        resources: Arc::new(runtime::Resources::default()),
        mock_config: None,
        express_retention_seconds: 300,
        // A runaway JSONata expression of a mutated definition is cut off soon.
        max_evaluation_ms: 2_000,
        retention_ms: None,
        virtual_time: false,
        admin: false,
        park_after_ms: runtime::DEFAULT_PARK_AFTER_MS,
        execution_log: None,
        events: runtime::service::Events::default(),
        traces: None,
    }
}

/// Creates the resources the seeds name.
async fn world(router: &Router) -> World {
    let create = |name: &str, definition: Value, kind: &str| {
        json!({"name": name, "definition": definition.to_string(), "roleArn": ROLE, "type": kind, "publish": true})
    };
    let pass = json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "Next": "C"}, "C": {"Type": "Choice",
        "Choices": [{"Variable": "$.fail", "IsPresent": true, "Next": "F"}], "Default": "S"},
        "F": {"Type": "Fail", "Error": "Fuzz"}, "S": {"Type": "Succeed"}}});
    let wait = json!({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 3600, "End": true}}});
    let map = json!({"StartAt": "M", "States": {"M": {"Type": "Map", "ItemProcessor": {
        "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
        "StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}, "End": true}}});
    let machine = call(router, "CreateStateMachine", create("Fuzz", pass.clone(), "STANDARD")).await;
    let version = machine["stateMachineVersionArn"].as_str().unwrap_or_default().to_owned();
    let machine = machine["stateMachineArn"].as_str().unwrap_or_default().to_owned();
    let express = call(router, "CreateStateMachine", create("FuzzExpress", pass, "EXPRESS")).await;
    let waiting_machine = call(router, "CreateStateMachine", create("FuzzWait", wait, "STANDARD")).await;
    let map_machine = call(router, "CreateStateMachine", create("FuzzMap", map, "STANDARD")).await;
    let start = |machine: &Value, name: &str, input: Value| {
        json!({"stateMachineArn": machine, "name": name, "input": input.to_string()})
    };
    let done = call(router, "StartExecution", start(&json!(machine), "done", json!({"a": 1}))).await["executionArn"].clone();
    let failed =
        call(router, "StartExecution", start(&json!(machine), "failed", json!({"fail": true}))).await["executionArn"].clone();
    let waiting =
        call(router, "StartExecution", start(&waiting_machine["stateMachineArn"], "waiting", json!({}))).await["executionArn"].clone();
    let mapped =
        call(router, "StartExecution", start(&map_machine["stateMachineArn"], "mapped", json!([1, 2]))).await["executionArn"].clone();
    for arn in [&done, &failed, &mapped] {
        finished(router, arn).await;
    }
    let runs = call(router, "ListMapRuns", json!({"executionArn": mapped})).await;
    let routing = json!([{"stateMachineVersionArn": version, "weight": 100}]);
    let alias = call(router, "CreateStateMachineAlias", json!({"name": "live", "routingConfiguration": routing})).await;
    let activity = call(router, "CreateActivity", json!({"name": "FuzzActivity"})).await;
    let text = |value: &Value| value.as_str().unwrap_or_default().to_owned();
    World {
        machine,
        waiter: text(&waiting_machine["stateMachineArn"]),
        express: text(&express["stateMachineArn"]),
        done: text(&done),
        waiting: text(&waiting),
        failed: text(&failed),
        mapped: text(&mapped),
        map_run: text(&runs["mapRuns"][0]["mapRunArn"]),
        version,
        alias: text(&alias["stateMachineAliasArn"]),
        activity: text(&activity["activityArn"]),
    }
}

/// A valid request of every action the router serves. Seeds that delete or long-poll name resources nobody needs
/// (GetActivityTask of an activity with tasks would wait its 60 seconds).
fn seeds(w: &World) -> Vec<(&'static str, Value)> {
    let pass = json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "Parameters": {"x.$": "$.a", "id.$": "$$.Execution.Id"}, "End": true}}}).to_string();
    let jsonata = json!({"QueryLanguage": "JSONata", "StartAt": "P", "States": {"P": {"Type": "Pass",
        "Output": "{% $states.input.a * 2 %}", "Assign": {"v": "{% $states.input %}"}, "End": true}}}).to_string();
    let state = json!({"Type": "Pass", "Parameters": {"y.$": "$.x"}, "ResultPath": "$.r"}).to_string();
    let tags = json!([{"key": "team", "value": "fuzz"}]);
    let routing = json!([{"stateMachineVersionArn": w.version, "weight": 100}]);
    vec![
        ("CreateStateMachine", json!({"name": "FuzzNew", "definition": pass, "roleArn": ROLE, "type": "STANDARD",
            "loggingConfiguration": {"level": "OFF", "includeExecutionData": false}, "tracingConfiguration": {"enabled": false},
            "tags": tags, "publish": true, "versionDescription": "v", "encryptionConfiguration": {"type": "AWS_OWNED_KEY"}})),
        ("CreateStateMachine", json!({"name": "FuzzJsonata", "definition": jsonata, "roleArn": ROLE, "type": "EXPRESS"})),
        ("DescribeStateMachine", json!({"stateMachineArn": w.machine, "includedData": "ALL_DATA"})),
        ("DescribeStateMachine", json!({"stateMachineArn": w.version})),
        ("UpdateStateMachine", json!({"stateMachineArn": w.machine, "definition": pass, "roleArn": ROLE, "publish": true,
            "versionDescription": "again", "tracingConfiguration": {"enabled": true}})),
        ("DeleteStateMachine", json!({"stateMachineArn": format!("{STATES}:stateMachine:FuzzDoomed")})),
        ("ListStateMachines", json!({"maxResults": 2})),
        ("DescribeStateMachineForExecution", json!({"executionArn": w.done, "includedData": "METADATA_ONLY"})),
        ("StartExecution", json!({"stateMachineArn": w.machine, "input": "{\"a\": [1, {\"b\": null}]}", "traceHeader": "Root=1"})),
        ("StartExecution", json!({"stateMachineArn": w.alias, "input": "{}"})),
        ("StartExecution", json!({"stateMachineArn": w.waiter, "input": "{\"wait\": [\"here\"]}"})),
        ("StartSyncExecution", json!({"stateMachineArn": w.express, "input": "{\"a\": 1}", "includedData": "ALL_DATA"})),
        ("StopExecution", json!({"executionArn": w.waiting, "error": "Fuzz", "cause": "stopped"})),
        ("DescribeExecution", json!({"executionArn": w.done, "includedData": "ALL_DATA"})),
        ("ListExecutions", json!({"stateMachineArn": w.machine, "statusFilter": "SUCCEEDED", "maxResults": 1,
            "redriveFilter": "NOT_REDRIVEN"})),
        ("GetExecutionHistory", json!({"executionArn": w.done, "maxResults": 2, "reverseOrder": true,
            "includeExecutionData": false})),
        ("GetExecutionHistory", json!({"executionArn": w.done, "maxResults": 1000})),
        ("TagResource", json!({"resourceArn": w.machine, "tags": tags})),
        ("UntagResource", json!({"resourceArn": w.activity, "tagKeys": ["team"]})),
        ("ListTagsForResource", json!({"resourceArn": w.activity})),
        ("ValidateStateMachineDefinition", json!({"definition": jsonata, "type": "STANDARD", "severity": "ERROR", "maxResults": 5})),
        ("TestState", json!({"definition": state, "roleArn": ROLE, "input": "{\"x\": 1}", "inspectionLevel": "DEBUG",
            "variables": "{\"v\": 1}"})),
        ("TestState", json!({"definition": pass, "roleArn": ROLE, "stateName": "P", "input": "{\"a\": 1}",
            "context": "{\"Execution\": {\"Name\": \"e\"}}", "mock": {"result": "{}"}})),
        ("SendTaskSuccess", json!({"taskToken": "fuzz-token", "output": "{\"ok\": true}"})),
        ("SendTaskFailure", json!({"taskToken": "fuzz-token", "error": "E", "cause": "C"})),
        ("SendTaskHeartbeat", json!({"taskToken": "fuzz-token"})),
        ("CreateActivity", json!({"name": "FuzzActivity2", "tags": tags,
            "encryptionConfiguration": {"type": "CUSTOMER_MANAGED_KMS_KEY", "kmsKeyId": "k", "kmsDataKeyReusePeriodSeconds": 300}})),
        ("DescribeActivity", json!({"activityArn": w.activity})),
        ("DeleteActivity", json!({"activityArn": format!("{STATES}:activity:FuzzDoomed")})),
        ("ListActivities", json!({"maxResults": 1})),
        ("GetActivityTask", json!({"activityArn": format!("{STATES}:activity:FuzzNone"), "workerName": "w"})),
        ("PublishStateMachineVersion", json!({"stateMachineArn": w.machine, "description": "d"})),
        ("ListStateMachineVersions", json!({"stateMachineArn": w.machine, "maxResults": 1})),
        ("DeleteStateMachineVersion", json!({"stateMachineVersionArn": format!("{}:999", w.machine)})),
        ("CreateStateMachineAlias", json!({"name": "fuzz", "description": "d", "routingConfiguration": routing})),
        ("DescribeStateMachineAlias", json!({"stateMachineAliasArn": w.alias})),
        ("UpdateStateMachineAlias", json!({"stateMachineAliasArn": w.alias, "description": "d2", "routingConfiguration": routing})),
        ("DeleteStateMachineAlias", json!({"stateMachineAliasArn": format!("{}:doomed", w.machine)})),
        ("ListStateMachineAliases", json!({"stateMachineArn": w.machine, "maxResults": 1})),
        ("RedriveExecution", json!({"executionArn": w.failed, "clientToken": "t"})),
        ("DescribeMapRun", json!({"mapRunArn": w.map_run})),
        ("ListMapRuns", json!({"executionArn": w.mapped, "maxResults": 1})),
        ("UpdateMapRun", json!({"mapRunArn": w.map_run, "maxConcurrency": 2, "toleratedFailurePercentage": 10.5,
            "toleratedFailureCount": 1})),
    ]
}

/// A seed, mutated: most often its JSON a few times, sometimes its bytes, its Content-Type or its target.
fn case(rng: &mut Rng, seeds: &[(&'static str, Value)], started: &[String]) -> Case {
    let (action, seed) = rng.pick(seeds);
    let mut body = seed.clone();
    if body.get("executionArn").is_some() && !started.is_empty() && rng.one_in(2) {
        body["executionArn"] = json!(rng.pick(started));
    }
    // A definition (and input) from the definition fuzzer's mutants, so that odd but valid machines are stored and
    // run by the server. Not one that starts child executions (they could start themselves without end) or calls
    // HTTP endpoints.
    if matches!(*action, "CreateStateMachine" | "UpdateStateMachine" | "ValidateStateMachineDefinition" | "StartExecution")
        && rng.one_in(2)
    {
        let (definition, input) = definitions::mutant(rng);
        if !definition.contains("startExecution") && !definition.contains("http:invoke") {
            if *action == "StartExecution" {
                body["input"] = json!(input.to_string());
            } else {
                body["definition"] = json!(definition);
            }
        }
    }
    // One case in ten stays valid, so that valid requests also run between broken ones.
    let mutations = if rng.one_in(10) { 0 } else { 1 + rng.below(3) };
    for _ in 0..mutations {
        mutate(rng, &mut body);
    }
    let mut bytes = body.to_string().into_bytes();
    if rng.one_in(8) {
        mutate::mutate_bytes(rng, &mut bytes);
    }
    // Rarely a body just past the server's limit (trailing blanks: still JSON), which must get HTTP 413.
    if rng.one_in(500) {
        bytes.resize(server::BODY_LIMIT + 1, b' ');
    }
    let mut action = (*action).to_owned();
    if rng.one_in(30) {
        let mut text = action.clone();
        mutate::mutate_text(rng, &mut text);
        action = text;
    }
    let content_type = match rng.below(25) {
        0 => None,
        1 => Some("text/plain"),
        2 => Some("application/json; charset=utf-8"),
        _ => Some("application/x-amz-json-1.0"),
    };
    Case { action, content_type, target: !rng.one_in(40), body: bytes }
}

/// Sends a case through the router in a task of its own, so that a panic is seen as one; returns the status and body.
async fn send(router: &Router, case: &Case, what: &str) -> (StatusCode, Vec<u8>) {
    let mut request = Request::post("/");
    if let Some(content_type) = case.content_type {
        request = request.header(header::CONTENT_TYPE, content_type);
    }
    if case.target {
        // A target with bytes a header cannot hold is sent without one.
        let target = format!("AWSStepFunctions.{}", case.action);
        if axum::http::HeaderValue::from_str(&target).is_ok() {
            request = request.header("x-amz-target", target);
        }
    }
    let request = request.body(Body::from(case.body.clone())).expect("a request");
    let router = router.clone();
    let answered = tokio::spawn(async move {
        let response = router.oneshot(request).await.expect("the router is infallible");
        let status = response.status();
        let body = to_bytes(response.into_body(), usize::MAX).await.expect("a body");
        (status, body.to_vec())
    });
    match tokio::time::timeout(HANG, answered).await {
        Ok(Ok(answer)) => answer,
        Ok(Err(error)) if error.is_panic() => panic!("the handler panicked on {what}"),
        Ok(Err(error)) => panic!("the request task failed ({error}) on {what}"),
        Err(_) => panic!("no answer within {HANG:?} to {what}"),
    }
}

/// The answer must have one of AWS's shapes: for a success, its action's output shape.
fn check(action: &str, status: StatusCode, body: &[u8], what: &str) {
    let json: Value = serde_json::from_slice(body)
        .unwrap_or_else(|_| panic!("HTTP {status} with a body that is not JSON ({}) for {what}", String::from_utf8_lossy(body)));
    let object = json.as_object().unwrap_or_else(|| panic!("HTTP {status} with {json} for {what}"));
    match status {
        StatusCode::OK => {
            let problems = shapes::problems(action, &json);
            assert!(problems.is_empty(), "the answer is not {action}'s output shape: {problems:?} for {what}");
        }
        StatusCode::BAD_REQUEST | StatusCode::PAYLOAD_TOO_LARGE | StatusCode::INTERNAL_SERVER_ERROR => {
            let keys: Vec<&str> = object.keys().map(String::as_str).collect();
            assert_eq!(keys, ["__type", "message"], "HTTP {status} with {json} for {what}");
            let code = json["__type"].as_str().unwrap_or_default();
            assert!(!code.is_empty() && json["message"].is_string(), "HTTP {status} with {json} for {what}");
            if status == StatusCode::INTERNAL_SERVER_ERROR {
                assert_eq!(code, "InternalFailure", "a 5xx other than InternalFailure for {what}");
            }
        }
        other => panic!("HTTP {other} with {json} for {what}"),
    }
}

/// A well-formed request of `action` with `body`.
fn valid(action: &str, body: &Value) -> Case {
    Case {
        action: action.to_owned(),
        content_type: Some("application/x-amz-json-1.0"),
        target: true,
        body: body.to_string().into_bytes(),
    }
}

/// Calls an action that must succeed; returns its body.
async fn call(router: &Router, action: &str, body: Value) -> Value {
    let (status, answer) = send(router, &valid(action, &body), action).await;
    check(action, status, &answer, action);
    let answer: Value = serde_json::from_slice(&answer).unwrap_or(Value::Null);
    assert_eq!(status, StatusCode::OK, "{action} {body}: {answer}");
    answer
}

async fn finished(router: &Router, arn: &Value) -> Value {
    for _ in 0..1000 {
        let described = call(router, "DescribeExecution", json!({"executionArn": arn})).await;
        if described["status"] != "RUNNING" {
            return described;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("{arn} did not finish");
}

/// Every execution of every state machine that failed with a Baton internal error (the runtime's answer to a panic).
async fn internal_errors(router: &Router) -> Vec<String> {
    let mut found = Vec::new();
    let mut machines = Vec::new();
    let mut token = Value::Null;
    loop {
        let page = call(router, "ListStateMachines", json!({"maxResults": 1000, "nextToken": token})).await;
        machines.extend(page["stateMachines"].as_array().into_iter().flatten().filter(|m| m["type"] == "STANDARD").cloned());
        token = page["nextToken"].clone();
        if token.is_null() {
            break;
        }
    }
    for machine in machines {
        let failed = json!({"stateMachineArn": machine["stateMachineArn"], "statusFilter": "FAILED", "maxResults": 1000});
        let listed = call(router, "ListExecutions", failed).await;
        for execution in listed["executions"].as_array().into_iter().flatten() {
            let described = call(router, "DescribeExecution", json!({"executionArn": execution["executionArn"]})).await;
            if described["cause"].as_str().is_some_and(|cause| cause.contains("Baton internal error")) {
                found.push(described.to_string());
            }
        }
    }
    found
}
