//! Warm local functions end to end: Python handlers (`def handler(event, context)`, unchanged) run by AWS's runtime
//! interface client `awslambdaric` through Baton's Lambda Runtime API, under `baton run` and `baton serve` (SIGHUP
//! reloads the functions file). Skipped with a note when `python3 -c 'import awslambdaric'` fails; CI installs it.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use aws_sdk_sfn::types::{ExecutionStatus, StateMachineType};
use serde_json::{Value, json};

use crate::serve::{Server, create, data_dir, finished, start};

/// Whether awslambdaric is there; prints a note for `test` when it is not.
fn has_awslambdaric(test: &str) -> bool {
    let found = Command::new("python3").args(["-c", "import awslambdaric"]).output().is_ok_and(|o| o.status.success());
    if !found {
        eprintln!("note: skipping {test}: `python3 -c 'import awslambdaric'` failed (pip install awslambdaric==4.2.2)");
    }
    found
}

/// A Lambda handler as it runs on AWS, untouched: it prices an order line, and raises for an unknown SKU.
const PRICE: &str = r#"import os

PRICES = {"pen": 150, "ink": 899, "pad": 325}


class UnknownSku(Exception):
    pass


def handler(event, context):
    print("pricing", event["sku"])
    if event["sku"] not in PRICES:
        raise UnknownSku(f"no price for {event['sku']}")
    return {
        "amount": PRICES[event["sku"]] * event["quantity"],
        "function": context.function_name,
        "request_id": context.aws_request_id,
        "time_left": context.get_remaining_time_in_millis() > 0,
        "pid": os.getpid(),
    }
"#;

/// A handler that reports its `VERSION` variable and its process.
const VERSION: &str = r#"import os


def handler(event, context):
    return {"version": os.environ["VERSION"], "pid": os.getpid()}
"#;

/// A `[functions.NAME]` entry running `module.handler` through awslambdaric.
fn entry(name: &str, module: &str, extra: &str) -> String {
    format!("[functions.{name}]\nruntime = [\"python3\", \"-m\", \"awslambdaric\"]\nhandler = \"{module}.handler\"\n{extra}")
}

/// A Task, a raise caught by a Catch (with Lambda's error name and cause), and a Map of six concurrent invocations
/// over two warm instances.
#[test]
fn a_python_handler_runs_unchanged_through_the_runtime_api() {
    if !has_awslambdaric("a_python_handler_runs_unchanged_through_the_runtime_api") {
        return;
    }
    let dir = tempfile::Builder::new().prefix("baton-warm-").tempdir().expect("temp dir");
    std::fs::write(dir.path().join("app.py"), PRICE).expect("write the handler");
    let functions = dir.path().join("functions.toml");
    std::fs::write(&functions, entry("price", "app", "instances = 2\ntimeout_seconds = 30\n")).expect("write functions");
    let definition = json!({"StartAt": "Price", "States": {
        "Price": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:price",
            "Parameters": {"sku": "pen", "quantity": 2}, "ResultPath": "$.priced", "Next": "Unknown"},
        "Unknown": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": "price", "Payload": {"sku": "gold", "quantity": 1}},
            "Catch": [{"ErrorEquals": ["UnknownSku"], "ResultPath": "$.error", "Next": "Lines"}], "End": true},
        "Lines": {"Type": "Map", "ItemsPath": "$.lines", "MaxConcurrency": 0, "ResultPath": "$.lines",
            "ItemProcessor": {"StartAt": "Line", "States": {
                "Line": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:price", "End": true}}},
            "End": true}}});
    let machine = dir.path().join("order.asl.json");
    std::fs::write(&machine, definition.to_string()).expect("write the definition");
    let lines: Vec<Value> = ["pen", "ink", "pad", "pen", "ink", "pad"]
        .iter()
        .enumerate()
        .map(|(n, sku)| json!({"sku": sku, "quantity": n + 1}))
        .collect();
    let input = json!({"lines": lines}).to_string();
    let output = Command::new(env!("CARGO_BIN_EXE_baton"))
        .args(["run", &machine.display().to_string(), "--json", "--input", &input])
        .args(["--functions", &functions.display().to_string()])
        .env("BATON_LOG", "info")
        .output()
        .expect("run baton");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let result: Value = serde_json::from_slice(&output.stdout).expect("JSON result");
    assert_eq!(result["status"], "SUCCEEDED", "{result}\n{stderr}");
    let out = &result["output"];

    let priced = &out["priced"];
    assert_eq!((priced["amount"].clone(), priced["function"].clone(), priced["time_left"].clone()), (json!(300), json!("price"), json!(true)));
    assert_eq!(priced["request_id"].as_str().map(str::len), Some(36), "{priced}");

    // The exception, as Lambda reports an unhandled Python exception: its class, and the error document as cause.
    assert_eq!(out["error"]["Error"], "UnknownSku", "{out}");
    let cause: Value = serde_json::from_str(out["error"]["Cause"].as_str().expect("a cause")).expect("JSON cause");
    let keys: Vec<&str> = cause.as_object().expect("an object").keys().map(String::as_str).collect();
    assert_eq!(keys, ["errorMessage", "errorType", "requestId", "stackTrace"], "{cause}");
    assert_eq!((cause["errorMessage"].clone(), cause["errorType"].clone()), (json!("no price for gold"), json!("UnknownSku")));
    assert_eq!(cause["requestId"].as_str().map(str::len), Some(36));
    let trace = cause["stackTrace"].as_array().expect("a stack trace");
    assert!(trace.iter().any(|frame| frame.as_str().is_some_and(|f| f.contains("app.py") && f.contains("in handler"))), "{cause}");

    let amounts: Vec<&Value> = out["lines"].as_array().expect("Map results").iter().map(|line| &line["amount"]).collect();
    assert_eq!(amounts, [&json!(150), &json!(1798), &json!(975), &json!(600), &json!(4495), &json!(1950)]);
    let mut pids: Vec<i64> = out["lines"].as_array().expect("Map results").iter().filter_map(|line| line["pid"].as_i64()).collect();
    pids.push(priced["pid"].as_i64().expect("a pid"));
    pids.sort_unstable();
    pids.dedup();
    assert_eq!(pids.len(), 2, "eight invocations, two warm processes: {pids:?}");

    // The handler's prints are Baton's log lines, under the execution, state and function.
    let logged = stderr.lines().find(|line| line.contains(": pricing gold ")).expect("the handler's print is logged");
    assert!(logged.contains(" state=Unknown function=price"), "{logged}");
    for pid in pids {
        assert!(gone(pid), "process {pid} outlived `baton run`");
    }
}

/// `baton serve` keeps a function warm across executions; SIGHUP reloads the functions file: a changed function
/// restarts, a file that does not load changes nothing, a removed function stops (and its name is left to AWS
/// Lambda). SIGTERM stops the processes.
#[tokio::test(flavor = "multi_thread")]
async fn sighup_reloads_the_functions_file() {
    if !has_awslambdaric("sighup_reloads_the_functions_file") {
        return;
    }
    let dir = data_dir();
    std::fs::write(dir.path().join("version.py"), VERSION).expect("write the handler");
    let functions = dir.path().join("functions.toml");
    let write = |text: &str| std::fs::write(&functions, text).expect("write functions");
    write(&entry("version", "version", "env = { VERSION = \"1\" }\n"));
    // Offline: a function removed from the file would otherwise be invoked on AWS Lambda.
    let mut server =
        Server::start_with(&dir.path().join("data"), &["--offline", "--functions", functions.to_str().expect("utf-8 path")]);
    let client = server.client();
    let definition = json!({"StartAt": "Call", "States": {
        "Call": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:version", "End": true}}});
    let machine = create(&client, "versioned", &definition, StateMachineType::Standard).await;
    let mut runs = 0;
    let mut run = async || {
        runs += 1;
        let arn = start(&client, &machine, &format!("run-{runs}"), &json!({})).await;
        let done = finished(&client, &arn, Duration::from_secs(60)).await;
        if done.status() == &ExecutionStatus::Succeeded {
            Ok(serde_json::from_str::<Value>(done.output().expect("output")).expect("JSON output"))
        } else {
            Err(done.error().unwrap_or_default().to_owned())
        }
    };
    let first = run().await.expect("succeeded");
    assert_eq!(first["version"], "1");
    let second = run().await.expect("succeeded");
    assert_eq!(second["pid"], first["pid"], "the same warm process serves the next execution");

    let hangup = |pid: u32| {
        let status = Command::new("kill").args(["-HUP", &pid.to_string()]).status().expect("kill -HUP");
        assert!(status.success());
    };
    write(&entry("version", "version", "env = { VERSION = \"2\" }\n"));
    hangup(server.pid());
    let deadline = Instant::now() + Duration::from_secs(30);
    let changed = loop {
        let output = run().await.expect("succeeded");
        if output["version"] == "2" {
            break output;
        }
        assert!(Instant::now() < deadline, "SIGHUP did not reload the functions file");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_ne!(changed["pid"], first["pid"]);
    assert!(gone(first["pid"].as_i64().expect("a pid")), "the changed function's old process stops");

    write("[functions.version\nruntime = 1");
    hangup(server.pid());
    tokio::time::sleep(Duration::from_millis(500)).await;
    let kept = run().await.expect("the old functions stay");
    assert_eq!((kept["version"].clone(), kept["pid"].clone()), (json!("2"), changed["pid"].clone()));

    write(&entry("other", "version", ""));
    hangup(server.pid());
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match run().await {
            // No local function of that name any more: the task would call AWS Lambda, which --offline refuses.
            Err(error) => {
                assert_eq!(error, "States.TaskFailed");
                break;
            }
            Ok(_) => assert!(Instant::now() < deadline, "SIGHUP did not remove the function"),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(gone(changed["pid"].as_i64().expect("a pid")), "the removed function's process stops");

    write(&entry("version", "version", "env = { VERSION = \"3\" }\n"));
    hangup(server.pid());
    let deadline = Instant::now() + Duration::from_secs(30);
    let last = loop {
        if let Ok(output) = run().await {
            break output;
        }
        assert!(Instant::now() < deadline, "SIGHUP did not add the function");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(last["version"], "3");
    assert!(server.terminate(Duration::from_secs(20)), "baton serve stops on SIGTERM");
    assert!(gone(last["pid"].as_i64().expect("a pid")), "the processes stop with the server");
}

/// Whether process `pid` is gone within a few seconds.
fn gone(pid: i64) -> bool {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if !Path::new(&format!("/proc/{pid}")).exists() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}
