//! Case files: reading the setup out of one, rendering a run as its `expected` section, and writing a case back in
//! the one canonical layout that blessing (`UPDATE_EXPECT=1`) produces.
//!
//! The history snapshot has one compact JSON line per event: the `GetExecutionHistory` wire form with `timestamp`
//! replaced by `t`, the seconds since the execution started (so retry and wait timing is visible), and with
//! `inputDetails`/`outputDetails` left out while they say `{"truncated": false}`. It is not a wire format.

use serde_json::{Map as Object, Value, json};

use asl::Failure;
use engine::{ErrorDetails, HistoryEvent, Limits, MapRunCounts, MapRunInfo, MapRunStatus, Status};

use crate::driver::{EPOCH_MS, Scripted, Setup, Stop, Update};

/// The setup a case file describes.
pub(crate) fn setup(case: &Value) -> Setup {
    let script = match case.get("script") {
        Some(Value::Array(items)) => items.iter().map(scripted).collect(),
        None => Vec::new(),
        Some(other) => panic!("\"script\" must be an array, not {other}"),
    };
    let stop = case.get("stop").map(|stop| Stop {
        after_ms: seconds_ms(stop.get("after").expect("\"stop\" needs \"after\" (seconds)")),
        error: stop.get("error").and_then(Value::as_str).map(str::to_owned),
        cause: stop.get("cause").and_then(Value::as_str).map(str::to_owned),
    });
    let mut limits = Limits::default();
    if let Some(events) = case.pointer("/limits/max_history_events").and_then(Value::as_u64) {
        limits.max_history_events = usize::try_from(events).expect("max_history_events fits usize");
    }
    if let Some(bytes) = case.pointer("/limits/max_payload_bytes").and_then(Value::as_u64) {
        limits.max_payload_bytes = usize::try_from(bytes).expect("max_payload_bytes fits usize");
    }
    let updates = match case.get("update_map_run") {
        Some(Value::Array(items)) => items.iter().map(update).collect(),
        None => Vec::new(),
        Some(other) => panic!("\"update_map_run\" must be an array, not {other}"),
    };
    Setup {
        updates,
        input: case.get("input").cloned().unwrap_or_else(|| json!({})),
        script,
        stop,
        redrives: case.get("redrives").and_then(Value::as_u64).map_or(0, |n| u32::try_from(n).unwrap_or(0)),
        limits,
    }
}

fn scripted(item: &Value) -> Scripted {
    let answer = if let Some(value) = item.get("return") {
        Some(Ok(value.clone()))
    } else if let Some(thrown) = item.get("throw") {
        let error = thrown
            .get("error")
            .and_then(Value::as_str)
            .expect("\"throw\" needs a string \"error\"");
        let cause = thrown.get("cause").and_then(Value::as_str).map(str::to_owned);
        Some(Err(Failure {
            error: error.to_owned(),
            cause,
        }))
    } else if item.get("hang") == Some(&Value::Bool(true)) {
        None
    } else {
        panic!(
            "a script item is {{\"return\": v}}, {{\"throw\": {{\"error\", \"cause\"}}}} or {{\"hang\": true}}, not {item}"
        )
    };
    Scripted {
        state: item.get("state").and_then(Value::as_str).map(str::to_owned),
        answer,
        after_ms: item.get("after").map(seconds_ms).unwrap_or(0),
    }
}

/// `{"after": seconds, "mapRunArn", "maxConcurrency"?, "toleratedFailureCount"?, "toleratedFailurePercentage"?}`.
fn update(item: &Value) -> Update {
    Update {
        after_ms: seconds_ms(item.get("after").expect("an update needs \"after\" (seconds)")),
        map_run_arn: item
            .get("mapRunArn")
            .and_then(Value::as_str)
            .expect("an update needs a string \"mapRunArn\"")
            .to_owned(),
        max_concurrency: item.get("maxConcurrency").and_then(Value::as_u64),
        tolerated_failure_count: item.get("toleratedFailureCount").and_then(Value::as_u64),
        tolerated_failure_percentage: item.get("toleratedFailurePercentage").and_then(Value::as_f64),
    }
}

fn seconds_ms(seconds: &Value) -> i64 {
    let seconds = seconds.as_f64().expect("seconds are a number");
    (seconds * 1000.0).round() as i64
}

/// The `expected` section for an execution's status, history and (when it has any) distributed Map runs.
pub(crate) fn expected(status: &Status, history: &[HistoryEvent], map_runs: &[MapRunInfo]) -> Value {
    let mut object = Object::new();
    let error = |object: &mut Object<String, Value>, name: &str, e: &ErrorDetails| {
        object.insert("status".into(), name.into());
        object.insert("error".into(), e.error.clone().into());
        object.insert("cause".into(), e.cause.clone().into());
    };
    match status {
        Status::Succeeded { output } => {
            object.insert("status".into(), "SUCCEEDED".into());
            object.insert("output".into(), output.clone());
        }
        Status::Failed(e) => error(&mut object, "FAILED", e),
        Status::TimedOut(e) => error(&mut object, "TIMED_OUT", e),
        Status::Aborted(e) => error(&mut object, "ABORTED", e),
        Status::Running => {
            object.insert("status".into(), "RUNNING".into());
        }
        Status::NotStarted => {
            object.insert("status".into(), "NOT_STARTED".into());
        }
    }
    object.insert("history".into(), Value::Array(history.iter().map(event).collect()));
    if !map_runs.is_empty() {
        object.insert("map_runs".into(), Value::Array(map_runs.iter().map(map_run).collect()));
    }
    Value::Object(object)
}

/// A Map run as a snapshot line: times in seconds since the start, as events have them.
fn map_run(run: &MapRunInfo) -> Value {
    let t = |ms: i64| json!((ms - EPOCH_MS) as f64 / 1000.0);
    let counts = |c: &MapRunCounts| {
        json!({"pending": c.pending, "running": c.running, "succeeded": c.succeeded, "failed": c.failed,
               "aborted": c.aborted, "total": c.total, "pendingRedrive": c.pending_redrive,
               "failuresNotRedrivable": c.failures_not_redrivable})
    };
    let status = match run.status {
        MapRunStatus::Running => "RUNNING",
        MapRunStatus::Succeeded => "SUCCEEDED",
        MapRunStatus::Failed => "FAILED",
        MapRunStatus::Aborted => "ABORTED",
    };
    json!({
        "arn": run.arn,
        "state": run.state_name,
        "status": status,
        "start": t(run.start),
        "stop": run.stop.map(t),
        "maxConcurrency": run.max_concurrency,
        "toleratedFailureCount": run.tolerated_failure_count,
        "toleratedFailurePercentage": run.tolerated_failure_percentage,
        "items": counts(&run.items),
        "executions": counts(&run.executions),
        "redriveCount": run.redrive_count,
        "redriveDate": run.redrive_date.map(t),
    })
}

/// One event as a snapshot line (see the module header).
fn event(event: &HistoryEvent) -> Value {
    let Value::Object(wire) = event.to_json() else {
        panic!("an event's wire form is an object")
    };
    let mut line = Object::new();
    let elapsed = event.timestamp - EPOCH_MS;
    let t = if elapsed % 1000 == 0 {
        json!(elapsed / 1000)
    } else {
        json!(elapsed as f64 / 1000.0)
    };
    for (key, value) in wire {
        match key.as_str() {
            "timestamp" => {}
            "previousEventId" => {
                line.insert(key, value);
                line.insert("t".into(), t.clone());
            }
            _ => {
                line.insert(key, without_untruncated(value));
            }
        }
    }
    // The wire form puts `type` before `id`; ids first read better down a column.
    let mut ordered = Object::new();
    for key in ["id", "previousEventId", "t", "type"] {
        if let Some(value) = line.remove(key) {
            ordered.insert(key.into(), value);
        }
    }
    ordered.extend(line);
    Value::Object(ordered)
}

fn without_untruncated(details: Value) -> Value {
    let Value::Object(mut object) = details else {
        return details;
    };
    for key in ["inputDetails", "outputDetails"] {
        if object.get(key) == Some(&json!({"truncated": false})) {
            object.remove(key);
        }
    }
    Value::Object(object)
}

/// A case file's text in the canonical layout: pretty JSON, except that script items and history events take one
/// line each.
pub(crate) fn render_case(case: &Value) -> String {
    let Value::Object(fields) = case else {
        panic!("a case file holds a JSON object")
    };
    let mut out = String::from("{\n");
    let count = fields.len();
    for (i, (key, value)) in fields.iter().enumerate() {
        out.push_str(&format!("  {}: ", Value::from(key.as_str())));
        match (key.as_str(), value) {
            ("script", Value::Array(items)) => out.push_str(&lines(items, "  ")),
            ("expected", Value::Object(expected)) => {
                out.push_str("{\n");
                let n = expected.len();
                for (j, (k, v)) in expected.iter().enumerate() {
                    out.push_str(&format!("    {}: ", Value::from(k.as_str())));
                    match (k.as_str(), v) {
                        ("history" | "map_runs", Value::Array(events)) => out.push_str(&lines(events, "    ")),
                        _ => out.push_str(&compact(v)),
                    }
                    out.push_str(if j + 1 < n { ",\n" } else { "\n" });
                }
                out.push_str("  }");
            }
            _ => out.push_str(&indent(&pretty(value), "  ")),
        }
        out.push_str(if i + 1 < count { ",\n" } else { "\n" });
    }
    out.push_str("}\n");
    out
}

fn lines(items: &[Value], indentation: &str) -> String {
    if items.is_empty() {
        return "[]".to_owned();
    }
    let body: Vec<String> = items
        .iter()
        .map(|item| format!("{indentation}  {}", compact(item)))
        .collect();
    format!("[\n{}\n{indentation}]", body.join(",\n"))
}

fn compact(value: &Value) -> String {
    serde_json::to_string(value).expect("JSON values serialize")
}

fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).expect("JSON values serialize")
}

fn indent(text: &str, indentation: &str) -> String {
    text.replace('\n', &format!("\n{indentation}"))
}
