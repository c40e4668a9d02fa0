//! Tests of `crate::functions::runtime_api`: its HTTP reader and writer on bytes, and warm functions driven by a fake
//! runtime client in Rust (a `sleep` process stands for the runtime; the test speaks the Runtime API in its place)
//! and by real processes (`sh`).

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Cursor, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

use super::Warm;
use super::http::{ReadError, Request, read_request, write_response};
use crate::functions::{Function, Functions, Invocation};
use crate::{Caller, TaskError};

fn read(text: &[u8]) -> (Result<Request, ReadError>, Vec<u8>) {
    let mut reader = Cursor::new(text.to_vec());
    let mut written = Vec::new();
    let request = read_request(&mut reader, &mut written, 1024, 64);
    (request, written)
}

#[test]
fn a_get_without_body_is_kept_alive() {
    let (request, written) = read(b"GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: x\r\n\r\n");
    let request = request.expect("request");
    assert_eq!(request.method, "GET");
    assert_eq!(request.path, "/2018-06-01/runtime/invocation/next");
    assert_eq!(request.header("host"), Some("x"));
    assert_eq!(request.body.as_deref(), Some(&b""[..]));
    assert!(!request.close);
    assert!(written.is_empty());
}

#[test]
fn bodies_by_length_and_in_chunks() {
    let (request, _) = read(b"POST /p HTTP/1.1\r\nContent-Length: 4\r\n\r\n{\"a\"}");
    assert_eq!(request.expect("request").body.as_deref(), Some(&b"{\"a\""[..]));
    let chunked = b"POST /p HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\n{\"a\r\n2\r\n\":\r\n1\r\n1\r\n1\r\n}\r\n0\r\nTrailer: t\r\n\r\n";
    assert_eq!(read(chunked).0.expect("request").body.as_deref(), Some(&b"{\"a\":1}"[..]));
}

#[test]
fn continue_is_sent_when_expected() {
    let (request, written) = read(b"POST /p HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n{}");
    assert_eq!(request.expect("request").body.as_deref(), Some(&b"{}"[..]));
    assert_eq!(written, b"HTTP/1.1 100 Continue\r\n\r\n");
}

#[test]
fn a_body_over_the_limit_is_not_read() {
    let (request, written) = read(b"POST /p HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 65\r\n\r\n");
    assert_eq!(request.expect("request").body, None);
    assert!(written.is_empty(), "no 100 Continue for a body that will be refused");
    let chunked = b"POST /p HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n41\r\n";
    assert_eq!(read(chunked).0.expect("request").body, None);
    let mut over = b"POST /p HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n20\r\n".to_vec();
    over.extend_from_slice(&[b'x'; 32]);
    over.extend_from_slice(b"\r\n21\r\n");
    assert_eq!(read(&over).0.expect("request").body, None);
}

#[test]
fn close_and_http_1_0() {
    assert!(read(b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n").0.expect("request").close);
    assert!(read(b"GET / HTTP/1.0\r\n\r\n").0.expect("request").close);
    assert!(!read(b"GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n").0.expect("request").close);
}

#[test]
fn malformed_and_closed_requests() {
    assert_eq!(read(b"").0.err(), Some(ReadError::Closed));
    assert_eq!(read(b"GET / HTTP/1.1\r\nHost").0.err(), Some(ReadError::Closed));
    assert_eq!(read(b"POST / HTTP/1.1\r\nContent-Length: 9\r\n\r\n{}").0.err(), Some(ReadError::Closed));
    for bad in [
        &b"GET /\r\n\r\n"[..],
        b"GET / HTTP/2\r\n\r\n",
        b"GET / HTTP/1.1\r\nno colon\r\n\r\n",
        b"POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
        b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nab\r\n",
    ] {
        assert!(matches!(read(bad).0, Err(ReadError::Malformed(_))), "{}", String::from_utf8_lossy(bad));
    }
    let long = format!("GET /{} HTTP/1.1\r\n\r\n", "x".repeat(2000));
    assert_eq!(read(long.as_bytes()).0.err(), Some(ReadError::Malformed("the request head is too large".to_owned())));
}

#[test]
fn responses_carry_length_headers_and_close() {
    let mut out = Vec::new();
    write_response(&mut out, 202, &[("X-A", "1".to_owned())], "{}", true).expect("write");
    assert_eq!(
        String::from_utf8_lossy(&out),
        "HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\nX-A: 1\r\nConnection: close\r\nContent-Length: 2\r\n\r\n{}"
    );
}

// Warm functions. The fake runtime is `sh`, which records its Runtime API address (and its environment and `$0`) in
// a folder under its pid, then becomes `sleep`: the test finds the address there and speaks the API in its place.

/// The script of the fake runtime; `DIR` is in its environment.
const FAKE: &str = r#"env > "$DIR/$$.env"; printf '%s\n' "$0" > "$DIR/$$.arg"; printf '%s\n' "$AWS_LAMBDA_RUNTIME_API" > "$DIR/$$.tmp"; mv "$DIR/$$.tmp" "$DIR/$$"; echo starting; echo on stderr >&2; exec sleep 600"#;

/// How long a test waits for something that should happen at once.
const PATIENCE: Duration = Duration::from_secs(20);

/// Warm function `f` run by the fake runtime, with `extra` TOML lines; and the folder where its processes show up.
fn fake(extra: &str) -> (Functions, Fake) {
    let dir = temp_dir();
    let text = format!(
        "[functions.f]\nruntime = [\"sh\", \"-c\", {}]\nenv = {{ DIR = {} }}\n{extra}",
        toml_string(FAKE),
        toml_string(&dir.display().to_string())
    );
    (functions(&text), Fake { dir, seen: BTreeSet::new() })
}

fn functions(text: &str) -> Functions {
    Functions::from_toml(text).unwrap_or_else(|err| panic!("{err}"))
}

fn toml_string(text: &str) -> String {
    Value::String(text.to_owned()).to_string()
}

fn temp_dir() -> PathBuf {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("baton-runtime-api-{}-{n}", std::process::id()));
    drop(std::fs::remove_dir_all(&dir));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

struct Fake {
    dir: PathBuf,
    seen: BTreeSet<u32>,
}

impl Fake {
    /// The next process that starts: waits for its address.
    #[track_caller]
    fn next_process(&mut self) -> Process {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let entries = std::fs::read_dir(&self.dir).expect("read the folder");
            let pids: BTreeSet<u32> =
                entries.flatten().filter_map(|entry| entry.file_name().to_str().and_then(|name| name.parse().ok())).collect();
            if let Some(pid) = pids.difference(&self.seen).next().copied() {
                self.seen.insert(pid);
                let addr = std::fs::read_to_string(self.dir.join(pid.to_string())).expect("address");
                let env = std::fs::read_to_string(self.dir.join(format!("{pid}.env"))).expect("environment");
                let arg = std::fs::read_to_string(self.dir.join(format!("{pid}.arg"))).expect("$0");
                return Process { pid, client: Client::connect(addr.trim()), addr: addr.trim().to_owned(), env, arg };
            }
            assert!(Instant::now() < deadline, "no new process started");
            thread::sleep(Duration::from_millis(10));
        }
    }

    /// No process started since the last `next_process`.
    #[track_caller]
    fn assert_no_new_process(&self) {
        thread::sleep(Duration::from_millis(300));
        let entries = std::fs::read_dir(&self.dir).expect("read the folder");
        let pids: BTreeSet<u32> =
            entries.flatten().filter_map(|entry| entry.file_name().to_str().and_then(|name| name.parse().ok())).collect();
        assert_eq!(pids, self.seen, "a process started");
    }
}

/// A process of the fake runtime, and a connection to its Runtime API.
struct Process {
    pid: u32,
    addr: String,
    env: String,
    arg: String,
    client: Client,
}

impl Process {
    fn next(&mut self) -> Reply {
        self.client.send("GET", "/2018-06-01/runtime/invocation/next", &[], "")
    }

    fn respond(&mut self, request_id: &str, body: &str) -> Reply {
        self.client.send("POST", &format!("/2018-06-01/runtime/invocation/{request_id}/response"), &[], body)
    }

    fn fail(&mut self, request_id: &str, error_type: &str, body: &str) -> Reply {
        let path = format!("/2018-06-01/runtime/invocation/{request_id}/error");
        self.client.send("POST", &path, &[("Lambda-Runtime-Function-Error-Type", error_type)], body)
    }

    fn env(&self, name: &str) -> Option<&str> {
        self.env.lines().find_map(|line| line.strip_prefix(name)?.strip_prefix('='))
    }
}

/// `tail` (what a process wrote on stdout and stderr, in either order) has exactly these `lines`, sorted.
#[track_caller]
fn assert_lines(tail: &Value, lines: &[&str]) {
    let mut got: Vec<&str> = tail.as_str().unwrap_or_default().lines().collect();
    got.sort_unstable();
    assert_eq!(got, lines, "what the process wrote since the invocation began");
}

/// Whether process `pid` is gone (reaped).
fn gone(pid: u32) -> bool {
    let deadline = Instant::now() + PATIENCE;
    while Instant::now() < deadline {
        if !std::path::Path::new(&format!("/proc/{pid}")).exists() {
            return true;
        }
        thread::sleep(Duration::from_millis(10));
    }
    false
}

/// A keep-alive HTTP/1.1 connection.
struct Client {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

#[derive(Debug)]
struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(key, _)| key.eq_ignore_ascii_case(name)).map(|(_, value)| value.as_str())
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|err| panic!("{err}: {}", self.body))
    }
}

impl Client {
    fn connect(addr: &str) -> Client {
        let stream = TcpStream::connect(addr).expect("connect");
        stream.set_read_timeout(Some(Duration::from_secs(60))).expect("timeout");
        Client { reader: BufReader::new(stream.try_clone().expect("clone")), writer: stream }
    }

    fn send(&mut self, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> Reply {
        let mut request = format!("{method} {path} HTTP/1.1\r\nHost: runtime\r\nContent-Length: {}\r\n", body.len());
        for (name, value) in headers {
            request.push_str(&format!("{name}: {value}\r\n"));
        }
        request.push_str("\r\n");
        request.push_str(body);
        self.send_raw(request.as_bytes())
    }

    fn send_raw(&mut self, bytes: &[u8]) -> Reply {
        self.writer.write_all(bytes).expect("write");
        self.read_reply().expect("a reply")
    }

    /// A response, or `None` when the server closed the connection.
    fn read_reply(&mut self) -> Option<Reply> {
        let mut line = String::new();
        if self.reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let status = line.split(' ').nth(1).and_then(|code| code.parse().ok()).expect("a status line");
        let mut headers = Vec::new();
        loop {
            let mut line = String::new();
            self.reader.read_line(&mut line).expect("a header");
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            let (name, value) = line.split_once(':').expect("name: value");
            headers.push((name.to_owned(), value.trim().to_owned()));
        }
        let reply = Reply { status, headers, body: String::new() };
        let length: usize = reply.header("Content-Length").and_then(|n| n.parse().ok()).expect("a length");
        let mut body = vec![0; length];
        self.reader.read_exact(&mut body).expect("the body");
        Some(Reply { body: String::from_utf8(body).expect("utf-8"), ..reply })
    }
}

const CALLER: Caller<'static> = Caller { execution_arn: "arn:aws:states:us-east-1:123456789012:execution:m:e", state: "S", role_arn: None, trace: None };

/// Invokes `f` with `body` on another thread.
fn invoke(functions: &Functions, body: &str) -> thread::JoinHandle<Result<Invocation, TaskError>> {
    let (functions, body) = (functions.clone(), body.to_owned());
    thread::spawn(move || functions.call("f", &body, CALLER))
}

#[track_caller]
fn outcome(handle: thread::JoinHandle<Result<Invocation, TaskError>>) -> Result<Invocation, TaskError> {
    handle.join().expect("the invoking thread")
}

/// The warm pool of function `name`.
fn warm(functions: &Functions, name: &str) -> Arc<Warm> {
    match functions.snapshot().get(name) {
        Some(Function::Warm(warm)) => warm.clone(),
        other => panic!("{name} is not warm: {other:?}"),
    }
}

#[test]
fn next_hands_over_the_invocation_and_the_response_is_its_result() {
    let (functions, mut fake) = fake("timeout_seconds = 30\n");
    let before = SystemTime::now();
    let first = invoke(&functions, r#"{"n": 1}"#);
    let mut process = fake.next_process();
    let next = process.next();
    assert_eq!(next.status, 200, "{next:?}");
    assert_eq!(next.json(), json!({"n": 1}));
    assert_eq!(next.header("Content-Type"), Some("application/json"));
    assert_eq!(next.header("Lambda-Runtime-Invoked-Function-Arn"), Some("arn:aws:lambda:us-east-1:123456789012:function:f"));
    assert!(next.header("Lambda-Runtime-Trace-Id").is_some_and(|trace| trace.starts_with("Root=1-")), "{next:?}");
    let deadline: u128 = next.header("Lambda-Runtime-Deadline-Ms").and_then(|ms| ms.parse().ok()).expect("a deadline");
    let since = |t: SystemTime| t.duration_since(UNIX_EPOCH).expect("after 1970").as_millis();
    assert!((since(before) + 29_000..=since(SystemTime::now()) + 30_000).contains(&deadline), "{deadline}");
    let request_id = next.header("Lambda-Runtime-Aws-Request-Id").expect("a request id").to_owned();
    let accepted = process.respond(&request_id, r#"{"ok": true}"#);
    assert_eq!((accepted.status, accepted.json()), (202, json!({"status": "OK"})));
    let invocation = outcome(first).expect("a result");
    assert_eq!(invocation, Invocation { result: json!({"ok": true}), body_len: 12, request_id });

    // Warm: the same process takes the next invocation, on the same connection.
    let second = invoke(&functions, "");
    let next = process.next();
    assert_eq!(next.json(), json!({}), "an empty body is {{}}, as in Lambda");
    let request_id = next.header("Lambda-Runtime-Aws-Request-Id").expect("a request id").to_owned();
    assert_eq!(process.respond(&request_id, "").status, 202);
    assert_eq!(outcome(second).map(|invocation| invocation.result), Ok(Value::Null), "an empty response is null");
    fake.assert_no_new_process();
    assert_eq!(warm(&functions, "f").pids(), [process.pid]);
}

#[test]
fn the_process_gets_lambdas_environment_and_the_handler() {
    let mut fake = Fake { dir: temp_dir(), seen: BTreeSet::new() };
    let text = format!(
        "[functions.f]\nruntime = [\"sh\", \"-c\", {}]\nhandler = \"app.handler\"\n\
         env = {{ DIR = {}, AWS_LAMBDA_FUNCTION_MEMORY_SIZE = \"512\", AWS_LAMBDA_RUNTIME_API = \"nowhere\" }}\n",
        toml_string(FAKE),
        toml_string(&fake.dir.display().to_string())
    );
    let functions = functions(&text);
    let arn = "arn:aws:lambda:eu-west-1:111122223333:function:f:live";
    let invocation = {
        let functions = functions.clone();
        thread::spawn(move || functions.call_as("f", arn, "{}", &crate::egress::Policy::default(), CALLER))
    };
    let mut process = fake.next_process();
    assert_eq!(process.arg.trim(), "app.handler", "the handler is the last argument");
    for (name, value) in [
        ("_HANDLER", "app.handler"),
        ("AWS_LAMBDA_FUNCTION_NAME", "f"),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST"),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "512"),
        ("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand"),
        ("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/f"),
        ("AWS_REGION", "eu-west-1"),
        ("AWS_DEFAULT_REGION", "eu-west-1"),
        ("AWS_LAMBDA_RUNTIME_API", process.addr.as_str()),
    ] {
        assert_eq!(process.env(name), Some(value), "{name}");
    }
    assert!(process.env("AWS_LAMBDA_LOG_STREAM_NAME").is_some_and(|name| name.starts_with("[$LATEST]")));
    assert!(process.env("LAMBDA_TASK_ROOT").is_some_and(|root| !root.is_empty()));
    let next = process.next();
    assert_eq!(next.header("Lambda-Runtime-Invoked-Function-Arn"), Some(arn), "a qualified ARN stays qualified");
    let request_id = next.header("Lambda-Runtime-Aws-Request-Id").expect("a request id").to_owned();
    process.respond(&request_id, "1");
    assert_eq!(outcome(invocation).map(|invocation| invocation.result), Ok(json!(1)));
}

#[test]
fn an_error_fails_the_invocation_as_lambda_reports_it() {
    let (functions, mut fake) = fake("");
    let first = invoke(&functions, "{}");
    let mut process = fake.next_process();
    let request_id = process.next().header("Lambda-Runtime-Aws-Request-Id").expect("a request id").to_owned();
    let wrong = process.respond("not-the-id", "{}");
    assert_eq!(wrong.status, 400);
    assert_eq!(wrong.json()["errorType"], "InvalidRequestID");
    // As awslambdaric posts a Python exception.
    let body = json!({
        "errorMessage": "no price for ink",
        "errorType": "UnknownSku",
        "requestId": request_id,
        "stackTrace": ["  File \"/app/app.py\", line 3, in handler\n    raise UnknownSku(...)\n"],
    });
    assert_eq!(process.fail(&request_id, "UnknownSku", &body.to_string()).status, 202);
    assert_eq!(outcome(first), Err(TaskError::new("UnknownSku", body.to_string())));

    // A body without `errorType` takes the header's; one that is not JSON becomes the message.
    let second = invoke(&functions, "{}");
    let request_id = process.next().header("Lambda-Runtime-Aws-Request-Id").expect("a request id").to_owned();
    process.fail(&request_id, "Runtime.Custom", r#"{"errorMessage": "m"}"#);
    let expected = json!({"errorMessage": "m", "errorType": "Runtime.Custom", "stackTrace": []});
    assert_eq!(outcome(second), Err(TaskError::new("Runtime.Custom", expected.to_string())));
    let third = invoke(&functions, "{}");
    let request_id = process.next().header("Lambda-Runtime-Aws-Request-Id").expect("a request id").to_owned();
    process.fail(&request_id, "Oops", "plain text");
    let expected = json!({"errorMessage": "plain text", "errorType": "Oops", "stackTrace": []});
    assert_eq!(outcome(third), Err(TaskError::new("Oops", expected.to_string())));
    // A response that is not JSON, as a command's stdout.
    let fourth = invoke(&functions, "{}");
    let request_id = process.next().header("Lambda-Runtime-Aws-Request-Id").expect("a request id").to_owned();
    process.respond(&request_id, "not json");
    assert_eq!(outcome(fourth).map_err(|error| error.error), Err("Runtime.MarshalError".to_owned()));
    fake.assert_no_new_process();
}

#[test]
fn a_timeout_kills_the_process_and_the_next_invocation_starts_another() {
    let (functions, mut fake) = fake("timeout_seconds = 1\n");
    let started = Instant::now();
    let first = invoke(&functions, "{}");
    let mut process = fake.next_process();
    let request_id = process.next().header("Lambda-Runtime-Aws-Request-Id").expect("a request id").to_owned();
    let error = outcome(first).expect_err("a timeout");
    assert!(started.elapsed() >= Duration::from_secs(1) && started.elapsed() < Duration::from_secs(10));
    assert_eq!(error.error, "Lambda.Unknown");
    let cause: Value = serde_json::from_str(error.cause.as_deref().unwrap_or_default()).expect("JSON cause");
    assert_eq!(cause["errorMessage"], format!("{request_id} Task timed out after 1.00 seconds"));
    assert_lines(&cause["stderr"], &["on stderr", "starting"]);
    assert!(gone(process.pid), "the process is killed");
    // Too late: the invocation is over.
    assert!(process.client.read_reply().is_none(), "the long poll's connection is closed");

    let second = invoke(&functions, "{}");
    let mut process = fake.next_process();
    let request_id = process.next().header("Lambda-Runtime-Aws-Request-Id").expect("a request id").to_owned();
    process.respond(&request_id, "2");
    assert_eq!(outcome(second).map(|invocation| invocation.result), Ok(json!(2)));
}

#[test]
fn a_process_that_dies_fails_its_invocation_with_an_exit_error() {
    let (functions, mut fake) = fake("");
    let first = invoke(&functions, "{}");
    let mut process = fake.next_process();
    let request_id = process.next().header("Lambda-Runtime-Aws-Request-Id").expect("a request id").to_owned();
    let killed = std::process::Command::new("kill").args(["-TERM", &process.pid.to_string()]).status().expect("kill");
    assert!(killed.success());
    let error = outcome(first).expect_err("an exit error");
    assert_eq!(error.error, "Runtime.ExitError");
    let cause: Value = serde_json::from_str(error.cause.as_deref().unwrap_or_default()).expect("JSON cause");
    assert_lines(&cause["stderr"], &["on stderr", "starting"]);
    assert_eq!(
        cause,
        json!({
            "errorMessage": format!("RequestId: {request_id} Error: Runtime exited with error: signal: 15"),
            "errorType": "Runtime.ExitError",
            "stderr": cause["stderr"],
        })
    );
    // The next invocation starts a new process.
    let second = invoke(&functions, "{}");
    let mut process = fake.next_process();
    let request_id = process.next().header("Lambda-Runtime-Aws-Request-Id").expect("a request id").to_owned();
    process.respond(&request_id, "3");
    assert_eq!(outcome(second).map(|invocation| invocation.result), Ok(json!(3)));
}

#[test]
fn an_init_error_fails_the_invocation_and_the_process_is_replaced() {
    let (functions, mut fake) = fake("");
    let first = invoke(&functions, "{}");
    let mut process = fake.next_process();
    let body = json!({
        "errorMessage": "Unable to import module 'app': No module named 'app'",
        "errorType": "Runtime.ImportModuleError",
        "requestId": "",
        "stackTrace": [],
    });
    let path = "/2018-06-01/runtime/init/error";
    let reply = process.client.send("POST", path, &[("Lambda-Runtime-Function-Error-Type", "Runtime.ImportModuleError")], &body.to_string());
    assert_eq!(reply.status, 202);
    assert_eq!(outcome(first), Err(TaskError::new("Runtime.ImportModuleError", body.to_string())));
    assert!(gone(process.pid));
    let second = invoke(&functions, "{}");
    let mut process = fake.next_process();
    let request_id = process.next().header("Lambda-Runtime-Aws-Request-Id").expect("a request id").to_owned();
    process.respond(&request_id, "4");
    assert_eq!(outcome(second).map(|invocation| invocation.result), Ok(json!(4)));
}

#[test]
fn invocations_wait_for_a_busy_instance_in_order() {
    let (functions, mut fake) = fake("");
    let first = invoke(&functions, "1");
    let mut process = fake.next_process();
    let next = process.next();
    assert_eq!(next.body, "1");
    let pool = warm(&functions, "f");
    let waiting: Vec<_> = (2..=3)
        .map(|n| {
            let handle = invoke(&functions, &n.to_string());
            // Queued in this order.
            let deadline = Instant::now() + PATIENCE;
            while pool.queued() < n - 1 {
                assert!(Instant::now() < deadline, "invocation {n} is not queued");
                thread::sleep(Duration::from_millis(5));
            }
            handle
        })
        .collect();
    fake.assert_no_new_process();
    let mut request_id = next.header("Lambda-Runtime-Aws-Request-Id").expect("a request id").to_owned();
    for (n, expected) in ["2", "3"].iter().enumerate() {
        process.respond(&request_id, &format!("{}", n + 10));
        let next = process.next();
        assert_eq!(next.body, *expected, "first come, first served");
        request_id = next.header("Lambda-Runtime-Aws-Request-Id").expect("a request id").to_owned();
    }
    process.respond(&request_id, "12");
    assert_eq!(outcome(first).map(|invocation| invocation.result), Ok(json!(10)));
    let results: Vec<_> = waiting.into_iter().map(|handle| outcome(handle).map(|invocation| invocation.result)).collect();
    assert_eq!(results, [Ok(json!(11)), Ok(json!(12))]);
}

#[test]
fn instances_run_invocations_at_once() {
    let (functions, mut fake) = fake("instances = 2\n");
    let first = invoke(&functions, "1");
    let mut one = fake.next_process();
    let second = invoke(&functions, "2");
    let mut two = fake.next_process();
    let (a, b) = (one.next(), two.next());
    let mut bodies = [a.body.clone(), b.body.clone()];
    bodies.sort();
    assert_eq!(bodies, ["1", "2"]);
    for (process, next) in [(&mut one, &a), (&mut two, &b)] {
        let request_id = next.header("Lambda-Runtime-Aws-Request-Id").expect("a request id");
        process.respond(request_id, &format!("{}0", next.body));
    }
    assert_eq!(outcome(first).map(|invocation| invocation.result), Ok(json!(10)));
    assert_eq!(outcome(second).map(|invocation| invocation.result), Ok(json!(20)));
    assert_eq!(warm(&functions, "f").pids().len(), 2);
    // A third invocation goes to an idle instance: no third process.
    let third = invoke(&functions, "3");
    fake.assert_no_new_process();
    functions.stop();
    assert!(outcome(third).is_err(), "stopped");
}

#[test]
fn the_runtime_api_refuses_what_it_does_not_serve() {
    let (functions, mut fake) = fake("");
    let _pending = invoke(&functions, "{}");
    let mut process = fake.next_process();
    let reply = process.client.send("GET", "/2018-06-01/runtime/unknown", &[], "");
    assert_eq!((reply.status, reply.json()["errorType"].clone()), (404, json!("UnknownEndpoint")));
    let reply = process.client.send("POST", "/2018-06-01/runtime/invocation/next", &[], "");
    assert_eq!((reply.status, reply.json()["errorType"].clone()), (405, json!("MethodNotAllowed")));
    let reply = process.client.send("GET", "/other", &[], "");
    assert_eq!(reply.status, 404);
    // Over Lambda's 6 MB: refused before it is read, and the invocation fails.
    let request_id = process.next().header("Lambda-Runtime-Aws-Request-Id").expect("a request id").to_owned();
    let head = format!("POST /2018-06-01/runtime/invocation/{request_id}/response HTTP/1.1\r\nContent-Length: 7000000\r\n\r\n");
    let reply = process.client.send_raw(head.as_bytes());
    assert_eq!((reply.status, reply.json()["errorType"].clone()), (413, json!("RequestEntityTooLarge")));
    assert_eq!(reply.header("Connection"), Some("close"));
    let error = outcome(_pending).expect_err("too large");
    assert_eq!(error.error, "Function.ResponseSizeTooLarge");
    // Not HTTP: 400, and the connection is closed.
    let mut client = Client::connect(&process.addr);
    let reply = client.send_raw(b"HELLO\r\n\r\n");
    assert_eq!(reply.status, 400);
    assert!(client.read_reply().is_none());
}

#[test]
fn a_runtime_that_cannot_start_or_exits_at_once_fails_the_invocation() {
    let missing = functions("[functions.f]\nruntime = [\"/nonexistent/baton-runtime\"]\n");
    let error = outcome(invoke(&missing, "{}")).expect_err("cannot start");
    assert_eq!(error.error, "Runtime.InvalidEntrypoint");
    assert!(error.cause.is_some_and(|cause| cause.contains("cannot start `/nonexistent/baton-runtime`")));

    let broken = functions("[functions.f]\nruntime = [\"sh\", \"-c\", \"echo cannot import app >&2; exit 3\"]\n");
    let error = outcome(invoke(&broken, "{}")).expect_err("exits");
    let cause: Value = serde_json::from_str(error.cause.as_deref().unwrap_or_default()).expect("JSON cause");
    assert_eq!(error.error, "Runtime.ExitError");
    assert!(cause["errorMessage"].as_str().is_some_and(|m| m.ends_with("Error: Runtime exited with error: exit status 3")), "{cause}");
    assert_eq!(cause["stderr"], "cannot import app");
    let quiet = functions("[functions.f]\nruntime = [\"true\"]\n");
    let error = outcome(invoke(&quiet, "{}")).expect_err("exits");
    assert!(error.cause.is_some_and(|cause| cause.contains("Runtime exited without providing a reason")));
}

#[test]
fn output_lines_are_logged_under_the_invocation() {
    let (functions, mut fake) = fake("");
    let events = super::super::tests::logged(|| {
        let pending = invoke_logged(&functions);
        let mut process = fake.next_process();
        let request_id = process.next().header("Lambda-Runtime-Aws-Request-Id").expect("a request id").to_owned();
        process.respond(&request_id, "{}");
        assert!(outcome(pending).is_ok());
    });
    let lines: Vec<_> = events
        .iter()
        .filter(|event| event.get("level").map(String::as_str) == Some("INFO"))
        .map(|event| {
            let field = |name: &str| event.get(name).cloned().unwrap_or_default();
            (field("message"), field("function"), field("execution_arn"), field("state"))
        })
        .collect();
    let line = |message: &str| (message.to_owned(), "f".to_owned(), CALLER.execution_arn.to_owned(), "S".to_owned());
    let mut expected = vec![line("starting"), line("on stderr")];
    let mut lines = lines;
    lines.sort();
    expected.sort();
    assert_eq!(lines, expected);
}

/// `invoke` on a thread that logs to the test thread's subscriber.
fn invoke_logged(functions: &Functions) -> thread::JoinHandle<Result<Invocation, TaskError>> {
    let functions = functions.clone();
    let dispatch = tracing::dispatcher::get_default(Clone::clone);
    thread::spawn(move || tracing::dispatcher::with_default(&dispatch, || functions.call("f", "{}", CALLER)))
}

#[test]
fn dropping_the_last_handle_stops_the_processes() {
    let (functions, mut fake) = fake("");
    let pending = invoke(&functions, "{}");
    let mut process = fake.next_process();
    let request_id = process.next().header("Lambda-Runtime-Aws-Request-Id").expect("a request id").to_owned();
    process.respond(&request_id, "{}");
    assert!(outcome(pending).is_ok());
    drop(functions);
    assert!(gone(process.pid));
}

#[test]
fn stop_fails_the_invocations_in_flight() {
    let (functions, mut fake) = fake("");
    let pending = invoke(&functions, "{}");
    let mut process = fake.next_process();
    process.next();
    functions.stop();
    assert_eq!(outcome(pending).map_err(|error| error.error), Err("Runtime.ExitError".to_owned()));
    assert!(gone(process.pid));
    assert!(functions.names().is_empty());
}

#[test]
fn replace_keeps_unchanged_warm_functions_and_stops_the_others() {
    let dir = temp_dir();
    let entry = |name: &str, marker: &str| {
        format!(
            "[functions.{name}]\nruntime = [\"sh\", \"-c\", {}]\nenv = {{ DIR = {}, MARK = \"{marker}\" }}\n",
            toml_string(FAKE),
            toml_string(&dir.display().to_string())
        )
    };
    let functions = functions(&format!("{}{}{}", entry("keep", "1"), entry("change", "1"), entry("drop", "1")));
    let mut fake = Fake { dir: dir.clone(), seen: BTreeSet::new() };
    let mut pids = BTreeMap::new();
    for name in ["keep", "change", "drop"] {
        let pending = {
            let functions = functions.clone();
            thread::spawn(move || functions.call(name, "{}", CALLER))
        };
        let mut process = fake.next_process();
        let request_id = process.next().header("Lambda-Runtime-Aws-Request-Id").expect("a request id").to_owned();
        process.respond(&request_id, "{}");
        assert!(pending.join().expect("thread").is_ok());
        pids.insert(name, process.pid);
    }
    let clone = functions.clone();
    clone.replace(self::functions(&format!("{}{}", entry("keep", "1"), entry("change", "2"))));
    assert_eq!(functions.names(), ["change", "keep"], "every clone sees the new file");
    assert_eq!(warm(&functions, "keep").pids(), [pids["keep"]]);
    assert!(warm(&functions, "change").pids().is_empty(), "started on its next invocation");
    assert!(gone(pids["change"]) && gone(pids["drop"]));
    assert!(!gone_now(pids["keep"]));
}

/// Whether process `pid` is gone now.
fn gone_now(pid: u32) -> bool {
    !std::path::Path::new(&format!("/proc/{pid}")).exists()
}
