//! Tests of `crate::functions`: the TOML file, command functions (`sh`, `cat`) and URL functions against a tiny
//! HTTP server on 127.0.0.1.

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use serde_json::{Value, json};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

use crate::functions::{Functions, Invocation, STDERR_TAIL_BYTES, function_error};
use crate::{Caller, TaskError};

const CALLER: Caller<'static> = Caller { execution_arn: "arn:aws:states:us-east-1:123456789012:execution:m:e", state: "S", role_arn: None, trace: None };

fn functions(text: &str) -> Functions {
    Functions::from_toml(text).unwrap_or_else(|err| panic!("{err}"))
}

/// One function `f` running `sh -c script`.
fn sh(script: &str) -> Functions {
    functions(&format!(
        "[functions.f]\ncommand = [\"sh\", \"-c\", {}]\n",
        toml_string(script)
    ))
}

fn toml_string(text: &str) -> String {
    Value::String(text.to_owned()).to_string()
}

#[track_caller]
fn check_config_error(text: &str, expected: &str) {
    let err = Functions::from_toml(text).expect_err("invalid functions file");
    assert_eq!(err.to_string(), expected);
}

/// The outcome of calling `f` with `body`, request ids erased.
fn call(functions: &Functions, body: &str) -> Result<Value, TaskError> {
    functions
        .call("f", body, CALLER)
        .map(|invocation| invocation.result)
        .map_err(erase_request_id)
}

fn erase_request_id(mut error: TaskError) -> TaskError {
    if let Some(cause) = &mut error.cause {
        // A service error's `Request ID: <id>;`, an exit error's `RequestId: <id> Error`.
        for (label, end) in [("Request ID: ", ';'), ("RequestId: ", ' ')] {
            if let Some(at) = cause.find(label) {
                let end = cause[at + label.len()..].find(end).map_or(cause.len(), |end| at + label.len() + end);
                cause.replace_range(at + label.len()..end, "<id>");
            }
        }
    }
    error
}

fn temp_dir() -> PathBuf {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("baton-functions-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

#[test]
fn empty_file_has_no_functions() {
    let functions = functions("");
    assert!(functions.names().is_empty());
    assert!(!functions.contains("f"));
}

#[test]
fn names_and_contains() {
    let functions = functions(
        "[functions.b]\ncommand = [\"cat\"]\n[functions.a-1_x]\nurl = \"http://127.0.0.1:9/\"\ntimeout_seconds = 2\n",
    );
    assert_eq!(functions.names(), ["a-1_x", "b"]);
    assert!(functions.contains("b") && !functions.contains("c"));
}

#[test]
fn config_errors() {
    check_config_error(
        "functions = [",
        "invalid functions file: TOML parse error at line 1, column 14\n  |\n1 | functions = [\n  |              ^\nunclosed array, expected `]`",
    );
    check_config_error(
        "functions = 1",
        "invalid functions file: `functions` must be a table, found integer",
    );
    check_config_error(
        "other = 1",
        "invalid functions file: unknown top-level key `other`; expected `[functions.NAME]` tables",
    );
    check_config_error(
        "[functions]\nf = 1",
        "invalid functions file: `functions.f` must be a table, found integer",
    );
    check_config_error(
        "[functions.f]\n",
        "invalid functions file: `functions.f` needs `command = [\"prog\", \"arg\", …]`, `runtime = [\"prog\", \"arg\", …]` \
         or `url = \"http://…\"`",
    );
    check_config_error(
        "[functions.f]\ncommand = [\"cat\"]\nurl = \"http://x\"",
        "invalid functions file: `functions.f` has `command` and `url`; give exactly one of `command`, `runtime` and `url`",
    );
    check_config_error(
        "[functions.f]\ncommand = [\"cat\"]\nruntime = [\"cat\"]\nurl = \"http://x\"",
        "invalid functions file: `functions.f` has `command` and `runtime` and `url`; give exactly one of `command`, \
         `runtime` and `url`",
    );
}

#[test]
fn config_errors_in_runtimes() {
    check_config_error(
        "[functions.f]\nruntime = []",
        "invalid functions file: `functions.f.runtime` must name a program: `runtime = [\"prog\", \"arg\", …]`",
    );
    check_config_error(
        "[functions.f]\nruntime = \"python3\"\nhandler = 1\ninstances = 0",
        "invalid functions file: `functions.f.handler` must be a string, found integer; \
         `functions.f.instances` must be an integer from 1 to 64, found 0; \
         `functions.f.runtime` must be an array of strings, found string; \
         `functions.f.runtime` must name a program: `runtime = [\"prog\", \"arg\", …]`",
    );
    check_config_error(
        "[functions.f]\nruntime = [\"python3\"]\nhandler = \" \"\ninstances = 65\ncommand_ = 1",
        "invalid functions file: `functions.f`: unknown key `command_`; expected `runtime`, `handler`, `instances`, \
         `env`, `cwd`, `timeout_seconds`; `functions.f.handler` is empty; \
         `functions.f.instances` must be an integer from 1 to 64, found 65",
    );
    check_config_error(
        "[functions.f]\ncommand = [\"cat\"]\ninstances = 2",
        "invalid functions file: `functions.f`: unknown key `instances`; expected `command`, `env`, `cwd`, `timeout_seconds`",
    );
}

#[test]
fn a_runtime_entry_is_a_warm_function() {
    let functions = functions(
        "[functions.w]\nruntime = [\"python3\", \"-m\", \"awslambdaric\"]\nhandler = \"app.handler\"\ninstances = 3\n\
         env = { A = \"1\" }\ncwd = \"h\"\ntimeout_seconds = 5\n[functions.d]\nruntime = [\"./bootstrap\"]\n",
    );
    assert_eq!(functions.names(), ["d", "w"]);
    let spec = |name: &str| match functions.snapshot().get(name) {
        Some(super::Function::Warm(warm)) => warm.spec().clone(),
        other => panic!("{name} is not warm: {other:?}"),
    };
    let w = spec("w");
    assert_eq!((w.program.as_str(), w.args.as_slice()), ("python3", &["-m".to_owned(), "awslambdaric".to_owned()][..]));
    assert_eq!(w.handler.as_deref(), Some("app.handler"));
    assert_eq!((w.instances, w.timeout), (3, Duration::from_secs(5)));
    assert_eq!(w.env.get("A").map(String::as_str), Some("1"));
    assert_eq!(w.cwd, Some(PathBuf::from("h")));
    let d = spec("d");
    assert_eq!((d.handler, d.instances, d.timeout), (None, 1, Duration::from_secs(900)));
}

#[test]
fn config_errors_in_commands() {
    check_config_error(
        "[functions.f]\ncommand = []",
        "invalid functions file: `functions.f.command` must name a program: `command = [\"prog\", \"arg\", …]`",
    );
    check_config_error(
        "[functions.f]\ncommand = \"cat\"",
        "invalid functions file: `functions.f.command` must be an array of strings, found string; `functions.f.command` must name a program: `command = [\"prog\", \"arg\", …]`",
    );
    check_config_error(
        "[functions.f]\ncommand = [\"cat\", 1]",
        "invalid functions file: `functions.f.command` must be an array of strings",
    );
    check_config_error(
        "[functions.f]\ncommand = [\"\"]",
        "invalid functions file: `functions.f.command`: the program name is empty",
    );
    check_config_error(
        "[functions.f]\ncommand = [\"cat\"]\nenv = { A = 1, \"B=C\" = \"x\" }\ncwd = 3\ntimeout_seconds = 0\nurl_ = 1",
        "invalid functions file: `functions.f`: unknown key `url_`; expected `command`, `env`, `cwd`, `timeout_seconds`; \
         `functions.f.timeout_seconds` must be a positive integer, found 0; \
         `functions.f.env.A` must be a string, found integer; \
         `functions.f.env`: invalid variable name `B=C`; \
         `functions.f.cwd` must be a string, found integer",
    );
    check_config_error(
        "[functions.f]\ncommand = [\"cat\"]\nenv = []",
        "invalid functions file: `functions.f.env` must be a table of strings, found array",
    );
    check_config_error(
        "[functions.f]\ncommand = [\"cat\"]\ntimeout_seconds = 1.5",
        "invalid functions file: `functions.f.timeout_seconds` must be a positive integer, found 1.5",
    );
}

#[test]
fn config_errors_in_urls_and_names() {
    check_config_error(
        "[functions.f]\nurl = 1",
        "invalid functions file: `functions.f.url` must be a string, found integer",
    );
    check_config_error(
        "[functions.f]\nurl = \"https://\"",
        "invalid functions file: `functions.f.url`: `https://` must be `http[s]://HOST[:PORT][/PATH]`",
    );
    check_config_error(
        "[functions.f]\nurl = \"ftp://x\"",
        "invalid functions file: `functions.f.url`: `ftp://x` is not an http:// or https:// URL",
    );
    check_config_error(
        "[functions.f]\nurl = \"http://\"",
        "invalid functions file: `functions.f.url`: `http://` must be `http[s]://HOST[:PORT][/PATH]`",
    );
    check_config_error(
        "[functions.f]\nurl = \"http://x?a=1\"",
        "invalid functions file: `functions.f.url`: `http://x?a=1` must be `http[s]://HOST[:PORT][/PATH]`",
    );
    check_config_error(
        "[functions.f]\nurl = \"http://x\"\nenv = {}",
        "invalid functions file: `functions.f`: unknown key `env`; expected `url`, `timeout_seconds`",
    );
    check_config_error(
        "[functions.\"a b\"]\ncommand = [\"cat\"]\n[functions.\"\"]\ncommand = [\"cat\"]",
        "invalid functions file: `functions.`: invalid function name ``; Lambda names are 1-64 letters, digits, - or _; \
         `functions.a b`: invalid function name `a b`; Lambda names are 1-64 letters, digits, - or _",
    );
    check_config_error(
        &format!("[functions.{}]\ncommand = [\"cat\"]", "x".repeat(65)),
        &format!(
            "invalid functions file: `functions.{0}`: invalid function name `{0}`; Lambda names are 1-64 letters, digits, - or _",
            "x".repeat(65)
        ),
    );
}

#[test]
fn read_reports_missing_files() {
    let err = Functions::read(&temp_dir().join("missing.toml")).expect_err("missing file");
    assert!(
        err.to_string().starts_with("invalid functions file: cannot read "),
        "{err}"
    );
}

#[test]
fn command_echoes_with_cat() {
    let functions = functions("[functions.f]\ncommand = [\"cat\"]");
    assert_eq!(
        functions.invoke("f", &json!({"a": [1, "x"]}), CALLER),
        Ok(json!({"a": [1, "x"]}))
    );
    assert_eq!(functions.invoke("f", &json!("s"), CALLER), Ok(json!("s")));
    assert_eq!(call(&functions, "  "), Ok(json!({})));
    let invocation = functions.call("f", "{\"a\": 1}\n", CALLER).expect("success");
    assert_eq!(
        (invocation.result, invocation.body_len),
        (json!({"a": 1}), "{\"a\": 1}".len())
    );
    assert_eq!(invocation.request_id.len(), 36);
}

#[test]
fn command_with_large_payload_does_not_deadlock() {
    let big = json!({"data": "x".repeat(1 << 20)});
    assert_eq!(
        functions("[functions.f]\ncommand = [\"cat\"]").invoke("f", &big, CALLER),
        Ok(big)
    );
}

#[test]
fn command_without_output_returns_null() {
    let invocation = sh("cat >/dev/null").call("f", "{}", CALLER).expect("success");
    assert_eq!((invocation.result, invocation.body_len), (Value::Null, 4));
}

#[test]
fn command_env_and_cwd() {
    let dir = temp_dir();
    let text = format!(
        "[functions.f]\ncommand = [\"sh\", \"-c\", {}]\nenv = {{ GREETING = \"hi\" }}\ncwd = {}\n",
        toml_string(
            r#"printf '{"greeting":"%s","dir":"%s","name":"%s","id":%d}' "$GREETING" "$(pwd -P)" "$AWS_LAMBDA_FUNCTION_NAME" "${#AWS_REQUEST_ID}""#
        ),
        toml_string(&dir.display().to_string()),
    );
    let dir = dir.canonicalize().expect("canonical temp dir");
    assert_eq!(
        call(&functions(&text), "{}"),
        Ok(json!({"greeting": "hi", "dir": dir.display().to_string(), "name": "f", "id": 36}))
    );
}

#[test]
fn script_file_next_to_the_functions_file() {
    let dir = temp_dir();
    std::fs::write(
        dir.join("handler.sh"),
        "input=$(cat)\nprintf '{\"got\": %s, \"n\": %s}' \"$input\" \"$N\"\n",
    )
    .expect("write script");
    std::fs::write(
        dir.join("functions.toml"),
        "[functions.f]\ncommand = [\"sh\", \"handler.sh\"]\nenv = { N = \"7\" }\n",
    )
    .expect("write functions file");
    let functions = Functions::read(&dir.join("functions.toml")).expect("valid file");
    assert_eq!(
        functions.invoke("f", &json!([1, 2]), CALLER),
        Ok(json!({"got": [1, 2], "n": 7}))
    );
}

#[test]
fn command_failures() {
    let error = |error: &str, cause: Value| Err(TaskError::new(error, cause.to_string()));
    // AWS's payload for a runtime that exits, and Baton's `stderr` tail beside it.
    assert_eq!(
        call(&sh("echo starting >&2; echo oops >&2; exit 1"), "{}"),
        error(
            "Runtime.ExitError",
            json!({
                "errorMessage": "RequestId: <id> Error: Runtime exited with error: exit status 1",
                "errorType": "Runtime.ExitError",
                "stderr": "starting\noops"
            })
        )
    );
    assert_eq!(
        call(&sh("exit 3"), "{}"),
        error(
            "Runtime.ExitError",
            json!({"errorMessage": "RequestId: <id> Error: Runtime exited with error: exit status 3", "errorType": "Runtime.ExitError"})
        )
    );
    assert_eq!(
        call(&sh("kill -9 $$"), "{}"),
        error(
            "Runtime.ExitError",
            json!({"errorMessage": "RequestId: <id> Error: Runtime exited with error: signal: 9", "errorType": "Runtime.ExitError"})
        )
    );
    // A non-zero exit with an error object on stdout: its errorType, fields in AWS's order, extras kept.
    assert_eq!(
        call(
            &sh(r#"echo '{"extra": 1, "errorType": "ValueError", "errorMessage": "bad"}'; echo ignored >&2; exit 1"#),
            "{}"
        ),
        error(
            "ValueError",
            json!({"errorMessage": "bad", "errorType": "ValueError", "stackTrace": [], "extra": 1})
        )
    );
    // A zero exit with an error object is a failure too; requestId and stackTrace are kept.
    assert_eq!(
        call(
            &sh(
                r#"echo '{"stackTrace": ["at x"], "requestId": "r", "errorMessage": "m", "errorType": "CustomError"}'"#
            ),
            "{}"
        ),
        error(
            "CustomError",
            json!({"errorMessage": "m", "errorType": "CustomError", "requestId": "r", "stackTrace": ["at x"]})
        )
    );
    // An object with errorType but no errorMessage is an ordinary result after a zero exit.
    assert_eq!(
        call(&sh(r#"echo '{"errorType": "x"}'"#), "{}"),
        Ok(json!({"errorType": "x"}))
    );
}

#[test]
fn command_output_that_is_not_json() {
    let result = call(&sh("echo about to print >&2; echo not json"), "{}").expect_err("marshal error");
    assert_eq!(result.error, "Runtime.MarshalError");
    let cause: Value = serde_json::from_str(result.cause.as_deref().unwrap_or_default()).expect("JSON cause");
    assert_eq!(cause["errorType"], "Runtime.MarshalError");
    assert_eq!(cause["stderr"], "about to print");
    assert!(
        cause["errorMessage"]
            .as_str()
            .is_some_and(|m| m.starts_with("Unable to marshal response: stdout is not JSON"))
    );
}

#[test]
fn command_timeout_is_lambda_unknown() {
    let functions = functions("[functions.f]\ncommand = [\"sleep\", \"5\"]\ntimeout_seconds = 1");
    let error = functions.invoke("f", &json!({}), CALLER).expect_err("timeout");
    assert_eq!(error.error, "Lambda.Unknown");
    let cause: Value = serde_json::from_str(error.cause.as_deref().unwrap_or_default()).expect("JSON cause");
    let message = cause["errorMessage"].as_str().unwrap_or_default();
    assert!(message.ends_with(" Task timed out after 1.00 seconds"), "{message}");
    assert_eq!(cause.as_object().map(|fields| fields.len()), Some(1));
}

#[test]
fn command_timeout_carries_the_stderr_so_far() {
    let script = toml_string("echo waiting for a lock >&2; sleep 5");
    let functions = functions(&format!("[functions.f]\ncommand = [\"sh\", \"-c\", {script}]\ntimeout_seconds = 1"));
    let error = functions.invoke("f", &json!({}), CALLER).expect_err("timeout");
    assert_eq!(error.error, "Lambda.Unknown");
    let cause: Value = serde_json::from_str(error.cause.as_deref().unwrap_or_default()).expect("JSON cause");
    assert_eq!(cause["stderr"], "waiting for a lock");
}

#[test]
fn failure_cause_holds_the_last_4_kib_of_stderr() {
    // 3,000 two-byte characters and a line break: the last 4,096 bytes start inside a character, which is skipped.
    let error = call(&sh("printf 'first line\\n' >&2; printf '%3000s\\n' '' | sed 's/ /é/g' >&2; exit 1"), "{}")
        .expect_err("exit error");
    let cause: Value = serde_json::from_str(error.cause.as_deref().unwrap_or_default()).expect("JSON cause");
    let tail = cause["stderr"].as_str().unwrap_or_default();
    assert_eq!(tail, "é".repeat(2047), "{} bytes", tail.len());
    assert!(tail.len() <= STDERR_TAIL_BYTES);
}

#[test]
fn an_error_object_is_the_cause_as_written_without_stderr() {
    let error = call(&sh(r#"echo 'Traceback: boom' >&2; echo '{"errorType": "Boom", "errorMessage": "m"}'; exit 1"#), "{}");
    assert_eq!(
        error,
        Err(TaskError::new("Boom", json!({"errorMessage": "m", "errorType": "Boom", "stackTrace": []}).to_string()))
    );
}

/// The events a test's thread (and the threads it starts with the dispatcher) emitted: each event's fields, its
/// level as `level`.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<BTreeMap<String, String>>>>);

struct Fields<'a>(&'a mut BTreeMap<String, String>);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
}

impl Subscriber for Capture {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }
    fn record(&self, _: &Id, _: &Record<'_>) {}
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        let mut fields = BTreeMap::from([("level".to_owned(), event.metadata().level().to_string())]);
        event.record(&mut Fields(&mut fields));
        self.0.lock().expect("no panic while holding the lock").push(fields);
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

/// The fields of the events logged while `f` runs.
pub(super) fn logged(f: impl FnOnce()) -> Vec<BTreeMap<String, String>> {
    let capture = Capture::default();
    tracing::subscriber::with_default(capture.clone(), f);
    capture.0.lock().map(|events| events.clone()).expect("no panic while holding the lock")
}

#[test]
fn stderr_lines_are_logged_with_the_execution_and_state() {
    let events = logged(|| {
        let result = sh("echo one >&2; echo >&2; printf 'two\\r\\n' >&2; echo '{}'").call("f", "{}", CALLER);
        assert!(result.is_ok(), "{result:?}");
    });
    let expected = |message: &str| {
        BTreeMap::from([
            ("execution_arn", CALLER.execution_arn),
            ("function", "f"),
            ("level", "INFO"),
            ("message", message),
            ("state", "S"),
        ].map(|(k, v)| (k.to_owned(), v.to_owned())))
    };
    // The blank line is not logged; the line break (and a carriage return before it) is not part of a message.
    assert_eq!(events, [expected("one"), expected("two")]);
}

#[test]
fn command_that_cannot_start() {
    let error = call(
        &functions("[functions.f]\ncommand = [\"/nonexistent/baton-handler\"]"),
        "{}",
    )
    .expect_err("no program");
    assert_eq!(error.error, "Runtime.InvalidEntrypoint");
    assert!(
        error
            .cause
            .is_some_and(|cause| cause.contains("cannot start `/nonexistent/baton-handler`"))
    );
}

#[test]
fn request_body_must_be_json() {
    let error = call(&functions("[functions.f]\ncommand = [\"cat\"]"), "{nope").expect_err("bad body");
    assert_eq!(
        error,
        TaskError::new(
            "Lambda.InvalidRequestContentException",
            "Could not parse request body into json: Could not parse payload into json: key must be a string at line 1 \
             column 2 (Service: AWSLambda; Status Code: 400; Error Code: InvalidRequestContentException; Request ID: <id>; \
             Proxy: null)"
        )
    );
}

#[test]
fn unknown_function() {
    let error = functions("")
        .call("nope", "{}", CALLER)
        .map_err(erase_request_id)
        .expect_err("not found");
    assert_eq!(
        error,
        TaskError::new(
            "Lambda.ResourceNotFoundException",
            "Function not found: arn:aws:lambda:us-east-1:123456789012:function:nope:$LATEST (Service: AWSLambda; \
             Status Code: 404; Error Code: ResourceNotFoundException; Request ID: <id>; Proxy: null)"
        )
    );
}

#[test]
fn function_errors_use_error_type_or_unknown() {
    let body = r#"{"errorMessage": "x", "errorType": "Oops"}"#;
    assert_eq!(function_error(body), TaskError::new("Oops", body));
    assert_eq!(function_error(r#"{"errorMessage": "x"}"#).error, "Lambda.Unknown");
    assert_eq!(function_error(r#"{"errorType": ""}"#).error, "Lambda.Unknown");
    assert_eq!(function_error("not json").error, "Lambda.Unknown");
}

/// What the test server saw of one request.
#[derive(Debug)]
struct Request {
    line: String,
    headers: Vec<String>,
    body: String,
}

/// Serves each of `responses` (raw HTTP, without the blank line and body) to one connection, with `bodies`.
fn serve(responses: Vec<(&'static str, &'static str)>) -> (String, thread::JoinHandle<Vec<Request>>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    let handle = thread::spawn(move || {
        let mut requests = Vec::new();
        for (head, body) in responses {
            let (mut stream, _) = listener.accept().expect("accept");
            let mut bytes = Vec::new();
            let mut buffer = [0u8; 4096];
            let request = loop {
                let n = stream.read(&mut buffer).expect("read");
                bytes.extend_from_slice(&buffer[..n]);
                let text = String::from_utf8_lossy(&bytes).into_owned();
                if let Some(end) = text.find("\r\n\r\n") {
                    let head: Vec<String> = text[..end].split("\r\n").map(str::to_owned).collect();
                    let length = head
                        .iter()
                        .find_map(|h| {
                            h.to_ascii_lowercase()
                                .strip_prefix("content-length: ")
                                .map(str::to_owned)
                        })
                        .and_then(|n| n.parse::<usize>().ok())
                        .unwrap_or(0);
                    if bytes.len() >= end + 4 + length || n == 0 {
                        let body = text[end + 4..].to_owned();
                        break Request {
                            line: head[0].clone(),
                            headers: head[1..].to_vec(),
                            body,
                        };
                    }
                }
            };
            requests.push(request);
            let response = format!(
                "{head}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            stream.write_all(response.as_bytes()).expect("write");
        }
        requests
    });
    (url, handle)
}

fn url_function(url: &str) -> Functions {
    functions(&format!("[functions.f]\nurl = \"{url}\"\n"))
}

#[test]
fn url_success() {
    let (url, server) = serve(vec![("HTTP/1.1 200 OK\r\nx-amzn-RequestId: req-1", "{\"ok\": true}")]);
    let invocation = url_function(&url).call("f", "{\"in\": 1}", CALLER).expect("success");
    assert_eq!(
        invocation,
        Invocation {
            result: json!({"ok": true}),
            body_len: 12,
            request_id: "req-1".into()
        }
    );
    let requests = server.join().expect("server");
    assert_eq!(requests[0].line, "POST /2015-03-31/functions/f/invocations HTTP/1.1");
    assert_eq!(requests[0].body, "{\"in\": 1}");
    assert!(
        requests[0]
            .headers
            .iter()
            .any(|h| h.eq_ignore_ascii_case("content-type: application/json"))
    );
}

#[test]
fn url_with_path_and_empty_response() {
    let (url, server) = serve(vec![("HTTP/1.1 200 OK", "")]);
    assert_eq!(call(&url_function(&format!("{url}/lambda/")), "{}"), Ok(Value::Null));
    assert_eq!(
        server.join().expect("server")[0].line,
        "POST /lambda/2015-03-31/functions/f/invocations HTTP/1.1"
    );
}

#[test]
fn url_function_errors() {
    let raised = r#"{"errorMessage":"bad","errorType":"ValueError","requestId":"r","stackTrace":[]}"#;
    let timed_out = r#"{"errorMessage":"2024-01-01T00:00:00.000Z r Task timed out after 3.00 seconds"}"#;
    let (url, server) = serve(vec![
        ("HTTP/1.1 200 OK\r\nX-Amz-Function-Error: Unhandled", raised),
        ("HTTP/1.1 200 OK\r\nX-Amz-Function-Error: Unhandled", timed_out),
    ]);
    let functions = url_function(&url);
    assert_eq!(call(&functions, "{}"), Err(TaskError::new("ValueError", raised)));
    assert_eq!(call(&functions, "{}"), Err(TaskError::new("Lambda.Unknown", timed_out)));
    server.join().expect("server");
}

#[test]
fn url_service_errors() {
    let (url, server) = serve(vec![
        (
            "HTTP/1.1 404 Not Found\r\nX-Amzn-ErrorType: ResourceNotFoundException:http://internal.amazon.com/\r\nx-amzn-RequestId: r-2",
            r#"{"Type":"User","Message":"Function not found: arn:aws:lambda:us-east-1:000000000000:function:f"}"#,
        ),
        ("HTTP/1.1 404 Not Found", ""),
        (
            "HTTP/1.1 429 Too Many Requests",
            r#"{"__type": "TooManyRequestsException", "message": "Rate exceeded"}"#,
        ),
        ("HTTP/1.1 500 Internal Server Error", ""),
        ("HTTP/1.1 400 Bad Request", "plain text"),
    ]);
    let functions = url_function(&url);
    let expected = |error: &str, cause: &str| Err(TaskError::new(error, cause));
    assert_eq!(
        functions.call("f", "{}", CALLER).map(|_| ()).map_err(|e| e.cause.unwrap_or_default()),
        Err("Function not found: arn:aws:lambda:us-east-1:000000000000:function:f (Service: AWSLambda; Status Code: 404; \
             Error Code: ResourceNotFoundException; Request ID: r-2; Proxy: null)"
            .to_owned())
    );
    assert_eq!(
        call(&functions, "{}"),
        expected(
            "Lambda.ResourceNotFoundException",
            "Function not found: arn:aws:lambda:us-east-1:123456789012:function:f:$LATEST (Service: AWSLambda; \
             Status Code: 404; Error Code: ResourceNotFoundException; Request ID: <id>; Proxy: null)"
        )
    );
    assert_eq!(
        call(&functions, "{}"),
        expected(
            "Lambda.TooManyRequestsException",
            "Rate exceeded (Service: AWSLambda; Status Code: 429; Error Code: TooManyRequestsException; Request ID: <id>; Proxy: null)"
        )
    );
    assert_eq!(
        call(&functions, "{}"),
        expected(
            "Lambda.ServiceException",
            "HTTP status 500 (Service: AWSLambda; Status Code: 500; Error Code: ServiceException; Request ID: <id>; Proxy: null)"
        )
    );
    assert_eq!(
        call(&functions, "{}"),
        expected(
            "Lambda.AWSLambdaException",
            "plain text (Service: AWSLambda; Status Code: 400; Error Code: AWSLambdaException; Request ID: <id>; Proxy: null)"
        )
    );
    server.join().expect("server");
}

#[test]
fn url_response_that_is_not_json() {
    let (url, server) = serve(vec![("HTTP/1.1 200 OK", "hello")]);
    assert_eq!(
        call(&url_function(&url), "{}").map_err(|e| e.error),
        Err("Runtime.MarshalError".to_owned())
    );
    server.join().expect("server");
}

#[test]
fn url_unreachable() {
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let error = call(&url_function(&format!("http://127.0.0.1:{port}")), "{}").expect_err("refused");
    assert_eq!(error.error, "Lambda.SdkClientException");
    assert!(
        error
            .cause
            .is_some_and(|c| c.starts_with("Unable to execute HTTP request: "))
    );
}

#[test]
fn url_timeout() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    // Accepts and never answers; the thread ends with the test process.
    thread::spawn(move || {
        let connection = listener.accept();
        thread::sleep(Duration::from_secs(10));
        drop(connection);
    });
    let functions = functions(&format!("[functions.f]\nurl = \"{url}\"\ntimeout_seconds = 1\n"));
    let error = call(&functions, "{}").expect_err("timeout");
    assert_eq!(error.error, "Lambda.SdkClientException");
    assert!(error.cause.is_some_and(|c| c.contains("timeout")));
}

/// A function given as a URL is called under the egress policy of the task's options, and a refusal fails the task
/// as an unreachable endpoint does (`Lambda.SdkClientException`), without connecting.
#[test]
fn url_functions_follow_the_egress_policy() {
    use crate::egress::{Entry, Policy};
    use crate::lambda::{Options, invoke_with};
    let resource = "arn:aws:lambda:us-east-1:123456789012:function:f";
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    let restricted = Options { egress: Policy::restricted(Vec::new(), Vec::new()), ..Options::default() };
    let error = invoke_with(&url_function(&url), resource, &json!({}), &restricted, CALLER).expect_err("refused");
    assert_eq!(
        error,
        TaskError::new(
            "Lambda.SdkClientException",
            format!(
                "Unable to execute HTTP request: the request to '{url}/2015-03-31/functions/f/invocations' was \
                 refused: 127.0.0.1 is a loopback address, which this server does not call (--http-allow 127.0.0.1 \
                 opens it)"
            )
        )
    );
    listener.set_nonblocking(true).expect("non-blocking");
    assert!(listener.accept().is_err(), "a refused call must not connect");
    // Reopened, the same call reaches the endpoint.
    let (url, server) = serve(vec![("HTTP/1.1 200 OK", "{\"ok\": true}")]);
    let allow = vec![Entry::parse("127.0.0.1").expect("entry")];
    let reopened = Options { egress: Policy::restricted(allow, Vec::new()), ..Options::default() };
    let result = invoke_with(&url_function(&url), resource, &json!({}), &reopened, CALLER);
    assert_eq!(result, Ok(json!({"ok": true})));
    assert_eq!(server.join().expect("server")[0].line, "POST /2015-03-31/functions/f/invocations HTTP/1.1");
}

/// A traced invocation passes the trace on: a Lambda Invoke endpoint gets `traceparent` and `X-Amzn-Trace-Id`, a
/// command gets `TRACEPARENT` and `_X_AMZN_TRACE_ID` in its environment; untraced, neither.
#[test]
fn a_traced_invocation_passes_the_trace_on() {
    let trace = crate::Trace { trace_id: [0xab; 16], span_id: [0x01; 8], sampled: true };
    let traced = Caller { trace: Some(trace), ..CALLER };
    let (url, server) = serve(vec![("HTTP/1.1 200 OK", "{}")]);
    url_function(&url).call("f", "{}", traced).expect("success");
    let headers = server.join().expect("server").remove(0).headers;
    let header = |name: &str| headers.iter().find_map(|h| h.split_once(": ").filter(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.to_owned()));
    assert_eq!(header("traceparent"), Some(trace.traceparent()));
    assert_eq!(header("x-amzn-trace-id"), Some(trace.xray()));
    let script = r#"printf '{"traceparent":"%s","xray":"%s"}' "$TRACEPARENT" "$_X_AMZN_TRACE_ID""#;
    let seen = sh(script).call("f", "{}", traced).expect("success").result;
    assert_eq!(seen, json!({"traceparent": trace.traceparent(), "xray": trace.xray()}));
    assert_eq!(call(&sh(script), "{}"), Ok(json!({"traceparent": "", "xray": ""})));
}
