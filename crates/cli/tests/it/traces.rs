//! OpenTelemetry traces of `baton serve`: an OTLP/HTTP receiver in the test (on 127.0.0.1, decoding protobuf with
//! `opentelemetry-proto` and JSON as the OTLP specification writes it) gets one trace per execution, with the
//! execution's span, a span per state under it and a span per task call under its state; the endpoint an HTTP Task
//! calls gets the trace's `traceparent`, naming the task's span, and so does an AWS call (Lambda's Invoke API, with
//! `X-Amzn-Trace-Id` too); a `traceHeader` given to StartExecution sets the
//! trace; and an execution resumed after a `kill -9` continues its trace, with the state it waited in ending once,
//! with the start it had before the restart.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use aws_sdk_sfn::types::{ExecutionStatus, StateMachineType};
use prost::Message as _;
use serde_json::{Value, json};

use crate::received::Request;
use crate::serve::{Server, create, data_dir, finished, history, start};

/// Serves HTTP/1.1 on a free loopback port, a thread per connection (kept alive), answering every request with
/// `status`, `content_type` and `body`, and handing each request to the returned receiver.
fn listen(status: &'static str, content_type: &'static str, body: &'static str) -> (String, mpsc::Receiver<Request>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a test server");
    let address = listener.local_addr().expect("its address").to_string();
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { return };
            let sender = sender.clone();
            std::thread::spawn(move || serve_connection(stream, &sender, status, content_type, body));
        }
    });
    (address, receiver)
}

fn serve_connection(stream: TcpStream, sender: &mpsc::Sender<Request>, status: &str, content_type: &str, body: &str) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
    let Ok(mut writer) = stream.try_clone() else { return };
    let mut reader = BufReader::new(stream);
    while let Some(request) = crate::received::next(&mut reader) {
        let _ = sender.send(request);
        let answer = format!("HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n{body}", body.len());
        if writer.write_all(answer.as_bytes()).is_err() {
            return;
        }
    }
}

/// A span as the receiver decoded it: ids in hex, attributes as text.
#[derive(Debug, Clone)]
struct Span {
    trace_id: String,
    span_id: String,
    parent: String,
    name: String,
    start_nanos: u64,
    attributes: BTreeMap<String, String>,
    error: bool,
    service: String,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// The spans of an OTLP/HTTP protobuf request body.
fn decode_protobuf(body: &[u8]) -> Vec<Span> {
    use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
    use opentelemetry_proto::tonic::common::v1::any_value::Value as Any;
    let text = |value: &Option<opentelemetry_proto::tonic::common::v1::AnyValue>| match value.as_ref().and_then(|v| v.value.as_ref()) {
        Some(Any::StringValue(text)) => text.clone(),
        Some(Any::IntValue(number)) => number.to_string(),
        Some(Any::BoolValue(flag)) => flag.to_string(),
        other => format!("{other:?}"),
    };
    let request = ExportTraceServiceRequest::decode(body).expect("an OTLP protobuf ExportTraceServiceRequest");
    let mut spans = Vec::new();
    for resource in &request.resource_spans {
        let service = resource
            .resource
            .as_ref()
            .and_then(|r| r.attributes.iter().find(|kv| kv.key == "service.name"))
            .map(|kv| text(&kv.value))
            .unwrap_or_default();
        for scope in &resource.scope_spans {
            for span in &scope.spans {
                spans.push(Span {
                    trace_id: hex(&span.trace_id),
                    span_id: hex(&span.span_id),
                    parent: hex(&span.parent_span_id),
                    name: span.name.clone(),
                    start_nanos: span.start_time_unix_nano,
                    attributes: span.attributes.iter().map(|kv| (kv.key.clone(), text(&kv.value))).collect(),
                    // STATUS_CODE_ERROR
                    error: span.status.as_ref().is_some_and(|status| status.code == 2),
                    service: service.clone(),
                });
            }
        }
    }
    spans
}

/// The spans of an OTLP/HTTP JSON request body, read as the specification's JSON mapping (hex ids, camelCase).
fn decode_json(body: &[u8]) -> Vec<Span> {
    let request: Value = serde_json::from_slice(body).expect("an OTLP JSON ExportTraceServiceRequest");
    let text = |value: &Value| -> String {
        let any = &value["value"];
        match (any.get("stringValue"), any.get("intValue")) {
            (Some(Value::String(text)), _) => text.clone(),
            (_, Some(Value::String(number))) => number.clone(),
            (_, Some(number)) => number.to_string(),
            _ => any.to_string(),
        }
    };
    let array = |value: &Value| value.as_array().cloned().unwrap_or_default();
    let mut spans = Vec::new();
    for resource in array(&request["resourceSpans"]) {
        let service =
            array(&resource["resource"]["attributes"]).iter().find(|kv| kv["key"] == "service.name").map(&text).unwrap_or_default();
        for scope in array(&resource["scopeSpans"]) {
            for span in array(&scope["spans"]) {
                let start = match &span["startTimeUnixNano"] {
                    Value::String(text) => text.parse().expect("nanoseconds"),
                    other => other.as_u64().expect("nanoseconds"),
                };
                spans.push(Span {
                    trace_id: span["traceId"].as_str().expect("a hex traceId").to_owned(),
                    span_id: span["spanId"].as_str().expect("a hex spanId").to_owned(),
                    parent: span["parentSpanId"].as_str().unwrap_or_default().to_owned(),
                    name: span["name"].as_str().unwrap_or_default().to_owned(),
                    start_nanos: start,
                    attributes: array(&span["attributes"]).iter().map(|kv| (kv["key"].as_str().unwrap_or_default().to_owned(), text(kv))).collect(),
                    error: span["status"]["code"] == 2 || span["status"]["code"] == "STATUS_CODE_ERROR",
                    service: service.clone(),
                });
            }
        }
    }
    spans
}

/// Collects spans from the receiver until `done` says it has what it waits for (at most 30 s).
fn collect(receiver: &mpsc::Receiver<Request>, spans: &mut Vec<Span>, done: impl Fn(&[Span]) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !done(spans) {
        let left = deadline.saturating_duration_since(Instant::now());
        assert!(!left.is_zero(), "the receiver did not get the spans it waited for; it has {:#?}", spans.iter().map(|s| &s.name).collect::<Vec<_>>());
        let Ok(request) = receiver.recv_timeout(left) else { continue };
        assert_eq!(request.path, "/v1/traces", "spans go to the traces path");
        let content_type = request.header("content-type").unwrap_or_default().to_owned();
        match content_type.as_str() {
            "application/x-protobuf" => spans.extend(decode_protobuf(&request.body)),
            "application/json" => spans.extend(decode_json(&request.body)),
            other => panic!("an OTLP request of type {other:?}"),
        }
    }
}

fn executions<'a>(spans: &'a [Span], machine: &str) -> Vec<&'a Span> {
    spans.iter().filter(|span| span.name == machine && span.attributes.contains_key("baton.execution.arn")).collect()
}

/// Two executions of a machine with a Pass, an HTTP Task and a Choice: a trace each, the execution's span with a span
/// per state under it and the task's span under its state; the HTTP endpoint gets `traceparent` with the trace and
/// the task's span; the execution started with a `traceHeader` is in that trace, under the caller's span.
#[tokio::test(flavor = "multi_thread")]
async fn each_execution_is_a_trace_and_its_task_calls_carry_it() {
    let (collector, spans_in) = listen("200 OK", "application/x-protobuf", "");
    let (endpoint, calls) = listen("200 OK", "application/json", "{\"ok\":true}");
    let dir = data_dir();
    let otlp = format!("http://{collector}");
    let lambda = format!("http://{endpoint}");
    let env = [
        ("OTEL_BSP_SCHEDULE_DELAY", "100"),
        ("OTEL_SERVICE_NAME", "baton-test"),
        // The Lambda task calls AWS Lambda's Invoke API: here, the same test endpoint.
        ("AWS_ENDPOINT_URL_LAMBDA", lambda.as_str()),
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("AWS_REGION", "us-east-1"),
        ("AWS_CONFIG_FILE", "/dev/null"),
        ("AWS_SHARED_CREDENTIALS_FILE", "/dev/null"),
    ];
    let server = Server::start_env(dir.path(), &["--otlp-endpoint", &otlp], &env);
    assert!(server.logged("exporting traces to", Duration::from_secs(5)).is_some_and(|line| line.contains(&format!("{otlp}/v1/traces (http/protobuf)"))));
    let client = server.client();
    let definition = json!({"StartAt": "Prepare", "States": {
        "Prepare": {"Type": "Pass", "Result": {"order": 7}, "Next": "Call"},
        "Call": {"Type": "Task", "Resource": "arn:aws:states:::http:invoke", "Next": "Notify", "Parameters": {
            "ApiEndpoint": format!("http://{endpoint}/hook"), "Method": "POST", "RequestBody.$": "$",
            "Authentication": {"ConnectionArn": "arn:aws:events:us-east-1:123456789012:connection/hook/1"}}},
        "Notify": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName": "notify"},
            "ResultPath": null, "Next": "Check"},
        "Check": {"Type": "Choice", "Choices": [{"Variable": "$.StatusCode", "NumericEquals": 200, "Next": "Done"}], "Default": "Bad"},
        "Done": {"Type": "Succeed"},
        "Bad": {"Type": "Fail", "Error": "Hook.Failed"}}});
    let machine = create(&client, "traced", &definition, StateMachineType::Standard).await;
    let given_trace = "4bf92f3577b34da6a3ce929d0e0e4736";
    let given_parent = "00f067aa0ba902b7";
    let plain = start(&client, &machine, "plain", &json!({})).await;
    let headed = client
        .start_execution()
        .state_machine_arn(&machine)
        .name("headed")
        .input("{}")
        .trace_header(format!("00-{given_trace}-{given_parent}-01"))
        .send()
        .await
        .expect("start_execution with a trace header")
        .execution_arn;
    for arn in [&plain, &headed] {
        let done = finished(&client, arn, Duration::from_secs(30)).await;
        assert_eq!(done.status(), &ExecutionStatus::Succeeded, "{:?}", done.cause());
    }

    let collected = tokio::task::spawn_blocking(move || {
        let mut spans = Vec::new();
        collect(&spans_in, &mut spans, |spans| executions(spans, "traced").len() >= 2);
        spans
    })
    .await
    .expect("the receiver's thread");
    let executions = executions(&collected, "traced");
    assert_eq!(executions.len(), 2, "one execution span each");
    let traces: BTreeSet<&str> = collected.iter().map(|span| span.trace_id.as_str()).collect();
    assert_eq!(traces.len(), 2, "one trace per execution, every span in one of them");
    assert!(collected.iter().all(|span| span.service == "baton-test"), "OTEL_SERVICE_NAME names the service");
    let (calls, invocations): (Vec<Request>, Vec<Request>) = calls.try_iter().partition(|call| call.path == "/hook");
    assert_eq!(calls.len(), 2, "the HTTP Task's endpoint was called once per execution");
    assert_eq!(invocations.len(), 2, "Lambda was invoked once per execution");
    for arn in [&plain, &headed] {
        let execution = executions.iter().find(|span| span.attributes["baton.execution.arn"] == *arn).expect("the execution's span");
        let trace: Vec<&Span> = collected.iter().filter(|span| span.trace_id == execution.trace_id).collect();
        if arn == &headed {
            assert_eq!(execution.trace_id, given_trace, "traceHeader sets the trace");
            assert_eq!(execution.parent, given_parent, "the execution's span continues the caller's");
        } else {
            assert_ne!(execution.trace_id, given_trace);
            assert_eq!(execution.parent, "", "an execution started without a trace header is a root");
        }
        let mut states = Vec::new();
        for name in ["Prepare", "Call", "Notify", "Check", "Done"] {
            let found: Vec<&&Span> = trace.iter().filter(|span| span.name == name).collect();
            assert_eq!(found.len(), 1, "one span for state {name} of {arn}");
            assert_eq!(found[0].parent, execution.span_id, "{name} is under its execution's span");
            assert!(!found[0].error);
            states.push(*found[0]);
        }
        assert!(!trace.iter().any(|span| span.name == "Bad"), "no span for a state not entered");
        let task_of = |state: &Span, name: &str| -> String {
            let tasks: Vec<&&Span> = trace.iter().filter(|span| span.parent == state.span_id).collect();
            assert_eq!(tasks.len(), 1, "one task span under {}", state.name);
            assert_eq!(tasks[0].name, name);
            tasks[0].span_id.clone()
        };
        let (http_task, lambda_task) = (task_of(states[1], "http:invoke"), task_of(states[2], "lambda:invoke"));
        assert_eq!(trace.len(), 8, "execution, five states and two tasks: {:#?}", trace.iter().map(|s| &s.name).collect::<Vec<_>>());
        // The endpoint's request carries the trace, from the task's span.
        let traceparent = format!("00-{}-{http_task}-01", execution.trace_id);
        assert!(
            calls.iter().any(|call| call.header("traceparent") == Some(traceparent.as_str())),
            "the HTTP Task of {arn} sent traceparent {traceparent}; the endpoint got {:?}",
            calls.iter().map(|call| call.header("traceparent")).collect::<Vec<_>>()
        );
        // So does the AWS call, with X-Ray's header for the same position.
        let traceparent = format!("00-{}-{lambda_task}-01", execution.trace_id);
        let xray = format!("Root=1-{}-{};Parent={lambda_task};Sampled=1", &execution.trace_id[..8], &execution.trace_id[8..]);
        assert!(
            invocations.iter().any(|call| call.header("traceparent") == Some(traceparent.as_str()) && call.header("x-amzn-trace-id") == Some(xray.as_str())),
            "Lambda's Invoke of {arn} carried {traceparent} and {xray}; it got {:?}",
            invocations.iter().map(|call| (call.header("traceparent"), call.header("x-amzn-trace-id"))).collect::<Vec<_>>()
        );
    }
}

/// With the standard variables (a base endpoint, JSON): an execution killed while it waits in a state continues its
/// trace after the restart; the waiting state's span ends once, after the restart, with the start it had before.
#[tokio::test(flavor = "multi_thread")]
async fn a_restart_continues_the_trace_of_a_waiting_execution() {
    let (collector, spans_in) = listen("200 OK", "application/json", "{}");
    let dir = data_dir();
    let base = format!("http://{collector}");
    let env = [("OTEL_EXPORTER_OTLP_ENDPOINT", base.as_str()), ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json"), ("OTEL_BSP_SCHEDULE_DELAY", "100")];
    // Kept in memory while it waits (not parked), so that the restart resumes it.
    let mut server = Server::start_env(dir.path(), &["--park-after-ms", "0"], &env);
    let client = server.client();
    let definition = json!({"StartAt": "First", "States": {
        "First": {"Type": "Pass", "Next": "Pause"},
        "Pause": {"Type": "Wait", "Seconds": 4, "Next": "Last"},
        "Last": {"Type": "Pass", "End": true}}});
    let machine = create(&client, "restarted", &definition, StateMachineType::Standard).await;
    let arn = start(&client, &machine, "run", &json!({})).await;
    // The first state's span is exported before the crash.
    let (spans_in, mut spans) = tokio::task::spawn_blocking(move || {
        let mut spans = Vec::new();
        collect(&spans_in, &mut spans, |spans| spans.iter().any(|span| span.name == "First"));
        (spans_in, spans)
    })
    .await
    .expect("the receiver's thread");
    server.kill();
    let killed_ms = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("after the epoch").as_millis();
    let server = Server::start_env(dir.path(), &["--park-after-ms", "0"], &env);
    assert_eq!(server.resumed, 1, "the waiting execution is resumed");
    let client = server.client();
    let done = finished(&client, &arn, Duration::from_secs(30)).await;
    assert_eq!(done.status(), &ExecutionStatus::Succeeded);
    let events = history(&client, &arn, 100).await;
    let entered = events
        .iter()
        .find(|event| event.state_entered_event_details().is_some_and(|details| details.name() == "Pause"))
        .expect("Pause was entered");
    let entered_ms = entered.timestamp().secs() * 1000 + i64::from(entered.timestamp().subsec_nanos() / 1_000_000);
    let spans = tokio::task::spawn_blocking(move || {
        collect(&spans_in, &mut spans, |spans| !executions(spans, "restarted").is_empty());
        spans
    })
    .await
    .expect("the receiver's thread");
    let execution = executions(&spans, "restarted")[0];
    assert!(spans.iter().all(|span| span.trace_id == execution.trace_id), "one trace across the restart");
    for name in ["First", "Pause", "Last"] {
        let found: Vec<&Span> = spans.iter().filter(|span| span.name == name).collect();
        assert_eq!(found.len(), 1, "one span for {name}");
        assert_eq!(found[0].parent, execution.span_id, "{name} is under the execution's span");
    }
    let pause = spans.iter().find(|span| span.name == "Pause").expect("Pause");
    let pause_ms = i64::try_from(pause.start_nanos / 1_000_000).expect("ms");
    // The API's timestamps are seconds with a fraction, which may round the last millisecond.
    assert!((pause_ms - entered_ms).abs() <= 1, "the replay kept when Pause was entered: {pause_ms} ms, entered at {entered_ms} ms");
    assert!(u128::from(pause.start_nanos / 1_000_000) < killed_ms, "Pause's span starts before the restart");
}
