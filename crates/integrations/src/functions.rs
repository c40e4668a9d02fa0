//! Local functions: a TOML file of `[functions.NAME]` entries, each a command, a warm process speaking the Lambda
//! Runtime API, or a Lambda-compatible URL.
//!
//! ```toml
//! [functions.greet]                      # a command: payload JSON on stdin, result JSON on stdout
//! command = ["python3", "greet.py"]
//! env = { GREETING = "hello" }           # optional, added to the inherited environment
//! cwd = "handlers"                       # optional
//! timeout_seconds = 10                   # optional, default 900 (Lambda's maximum)
//!
//! [functions.price]                      # warm processes polling the Lambda Runtime API (`runtime_api`)
//! runtime = ["python3", "-m", "awslambdaric"]
//! handler = "app.handler"                # optional: the last argument and `_HANDLER`
//! instances = 2                          # optional, default 1: processes kept warm, one invocation each
//! env = { … }, cwd = "…", timeout_seconds = 30   # optional, as for a command
//!
//! [functions.resize]                     # an endpoint speaking the Lambda Invoke API (SAM local, RIE, LocalStack)
//! url = "http://127.0.0.1:3001"          # POST {url}/2015-03-31/functions/resize/invocations
//! timeout_seconds = 30                   # optional, default none
//! ```
//!
//! A `Functions` value is a handle: its clones share the functions and their warm processes, and `replace` (a
//! reloaded file) changes them for every clone at once.
//!
//! This module plays the Lambda service: it runs a function and reports what Lambda's Invoke API would, turned into
//! a task result or a `TaskError` the way Step Functions surfaces Lambda errors (error = the function's `errorType`,
//! `Lambda.Unknown` when it has none, cause = the error payload JSON). It knows nothing of ARNs or of the
//! `lambda:invoke` result envelope; that is `crate::lambda`.
//!
//! Command protocol: the request body on stdin, the result JSON on stdout (empty stdout = `null`). A failure is a
//! non-zero exit (its `{"errorType", "errorMessage"}` stdout object, else `Runtime.ExitError`), a zero exit whose
//! stdout is a `{"errorType", "errorMessage"}` object, a timeout (`Lambda.Unknown`, as Lambda reports its timeouts),
//! or stdout that is not JSON (`Runtime.MarshalError`).
//!
//! Stderr is the function's log, as a Lambda function's is its CloudWatch log: each line becomes an `info` event
//! with the execution ARN, the state and the function name as fields. A failure that Baton detects (an exit error,
//! a timeout, stdout that is not JSON) also carries the last `STDERR_TAIL_BYTES` of stderr in its cause, as a
//! `stderr` member beside AWS's `errorMessage` and `errorType`; AWS puts no log text in a Lambda failure's cause
//! (`{"errorMessage": "RequestId: … Error: Runtime exited with error: exit status 1", "errorType":
//! "Runtime.ExitError"}`), and returns the last 4 KB of the log only to an Invoke with `LogType: Tail`. An error
//! object the function wrote itself is its cause exactly, as on AWS, so a Catch sees what it would see there.

mod runtime_api;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStderr, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{Map, Value};

use crate::egress::{self, Policy};
use crate::{Caller, Error, TaskError, TaskOutcome, ids};

/// The default command timeout: Lambda's maximum function timeout.
pub const DEFAULT_COMMAND_TIMEOUT: Duration = Duration::from_secs(900);

/// How much of a failed command's stderr its cause carries: the last 4 KiB, as much of its log as Lambda returns
/// to an Invoke with `LogType: Tail`.
pub const STDERR_TAIL_BYTES: usize = 4096;

/// The longest stderr line logged as one event; a longer line is logged in pieces.
const LOG_LINE_BYTES: u64 = 16 * 1024;

/// How long a timed-out command's stderr reader may take to log what the command wrote before it was killed.
const STDERR_GRACE: Duration = Duration::from_millis(100);

/// The default number of warm processes of a Runtime API function.
pub const DEFAULT_INSTANCES: usize = 1;

/// The most warm processes one Runtime API function may keep.
pub const MAX_INSTANCES: usize = 64;

/// The functions a user configured. Clones share the functions and the processes of warm ones; `replace` changes
/// them for every clone.
#[derive(Debug, Clone, Default)]
pub struct Functions {
    /// The table in force; an invocation takes a snapshot, so a reload never waits for one.
    table: Arc<Mutex<Arc<Table>>>,
}

type Table = BTreeMap<String, Function>;

/// What one successful invocation returned, with what the `lambda:invoke` envelope needs to describe it.
#[derive(Debug, Clone, PartialEq)]
pub struct Invocation {
    /// The function's result.
    pub result: Value,
    /// The length in bytes of the response body that carried `result` (the `Content-Length` Lambda reports).
    pub body_len: usize,
    /// The Lambda request id of this invocation.
    pub request_id: String,
}

#[derive(Debug, Clone)]
enum Function {
    Command(CommandFunction),
    Url(UrlFunction),
    /// Its processes stop when the last clone is dropped (after a reload, once its invocations in flight end).
    Warm(Arc<runtime_api::Warm>),
}

#[derive(Debug, Clone)]
struct CommandFunction {
    program: String,
    args: Vec<String>,
    env: BTreeMap<String, String>,
    cwd: Option<PathBuf>,
    timeout: Duration,
}

#[derive(Debug, Clone)]
struct UrlFunction {
    /// Invariant: starts with `http://`, no trailing `/`.
    url: String,
    timeout: Option<Duration>,
}

impl Functions {
    /// Parses the TOML text of a functions file; a relative `cwd` stays relative to the process's directory.
    pub fn from_toml(text: &str) -> Result<Functions, Error> {
        parse(text, None)
    }

    /// Reads a functions file; a relative `cwd` is relative to the file's directory, which is also the default `cwd`.
    pub fn read(path: &Path) -> Result<Functions, Error> {
        let text = std::fs::read_to_string(path)
            .map_err(|err| Error::Functions(format!("cannot read {}: {err}", path.display())))?;
        let dir = path
            .parent()
            .filter(|dir| !dir.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        parse(&text, Some(dir)).map_err(|err| match err {
            Error::Functions(message) => Error::Functions(format!("{}: {message}", path.display())),
            other => other,
        })
    }

    /// Whether a function of this name is configured.
    pub fn contains(&self, name: &str) -> bool {
        self.snapshot().contains_key(name)
    }

    /// The configured function names, sorted.
    pub fn names(&self) -> Vec<String> {
        self.snapshot().keys().cloned().collect()
    }

    /// Puts the functions of `new` (a reloaded file) in force for this handle and every clone of it. A warm function
    /// whose entry is unchanged keeps its processes; the processes of a changed or removed one stop as soon as the
    /// invocations they are running end (new invocations go to the new entry).
    pub fn replace(&self, new: Functions) {
        let incoming = new.snapshot();
        let mut table = self.table.lock().unwrap_or_else(PoisonError::into_inner);
        let merged: Table = incoming
            .iter()
            .map(|(name, function)| {
                let kept = match (table.get(name), function) {
                    (Some(Function::Warm(old)), Function::Warm(new)) if old.spec() == new.spec() => {
                        Function::Warm(old.clone())
                    }
                    _ => function.clone(),
                };
                (name.clone(), kept)
            })
            .collect();
        *table = Arc::new(merged);
    }

    /// Stops every warm function's processes now (an invocation in flight fails) and removes all functions; for a
    /// server that is shutting down.
    pub fn stop(&self) {
        let old = std::mem::take(&mut *self.table.lock().unwrap_or_else(PoisonError::into_inner));
        for function in old.values() {
            if let Function::Warm(warm) = function {
                warm.stop();
            }
        }
    }

    /// The table in force now.
    fn snapshot(&self) -> Arc<Table> {
        self.table.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// Invokes function `name` with `payload` for `caller`; the result is the function's JSON result or its error as
    /// AWS surfaces a Lambda function error.
    pub fn invoke(&self, name: &str, payload: &Value, caller: Caller<'_>) -> TaskOutcome {
        self.call(name, &payload.to_string(), caller)
            .map(|invocation| invocation.result)
    }

    /// Invokes function `name` with request body `body` (JSON text; empty means `{}`, as in Lambda) for `caller`,
    /// reporting the invocation's details. An unknown name fails with `Lambda.ResourceNotFoundException`, naming the
    /// function by its ARN in the default region and account (`crate::lambda` names it as the state did). A function
    /// given as a URL is called under an open egress policy; tasks call through `crate::lambda`, which applies the
    /// policy its options give.
    pub fn call(&self, name: &str, body: &str, caller: Caller<'_>) -> Result<Invocation, TaskError> {
        self.call_as(
            name,
            &format!("arn:aws:lambda:us-east-1:123456789012:function:{name}:$LATEST"),
            body,
            &Policy::default(),
            caller,
        )
    }

    /// `call`, with the qualified ARN that Lambda's errors name the function by, and the policy that decides which
    /// hosts a function given as a URL may be called at.
    pub(crate) fn call_as(
        &self,
        name: &str,
        arn: &str,
        body: &str,
        egress: &Policy,
        caller: Caller<'_>,
    ) -> Result<Invocation, TaskError> {
        let request_id = ids::request_id();
        let table = self.snapshot();
        let Some(function) = table.get(name) else {
            return Err(not_found(arn, &request_id));
        };
        let body = if body.trim().is_empty() { "{}" } else { body };
        if let Err(err) = serde_json::from_str::<Value>(body) {
            return Err(TaskError::new(
                "Lambda.InvalidRequestContentException",
                service_cause(
                    &format!("Could not parse request body into json: Could not parse payload into json: {err}"),
                    400,
                    "InvalidRequestContentException",
                    &request_id,
                ),
            ));
        }
        match function {
            Function::Command(command) => run_command(name, command, body, request_id, caller),
            Function::Url(url) => call_url(name, url, arn, body, request_id, egress, caller),
            Function::Warm(warm) => warm.invoke(arn, body, request_id, caller),
        }
    }
}

/// `Lambda.ResourceNotFoundException` for the function with qualified ARN `arn`, with the cause AWS gives.
pub fn not_found(arn: &str, request_id: &str) -> TaskError {
    TaskError::new(
        "Lambda.ResourceNotFoundException",
        service_cause(
            &format!("Function not found: {arn}"),
            404,
            "ResourceNotFoundException",
            request_id,
        ),
    )
}

/// The task failure for a Lambda function error whose payload is `body`: the error is the payload's `errorType`
/// (`Lambda.Unknown` when it has none, as for Lambda's timeouts), the cause is the payload itself.
pub fn function_error(body: &str) -> TaskError {
    let value: Option<Value> = serde_json::from_str(body).ok();
    let error = value
        .as_ref()
        .and_then(|value| value.get("errorType"))
        .and_then(Value::as_str)
        .filter(|error| !error.is_empty())
        .unwrap_or("Lambda.Unknown");
    TaskError::new(error, body)
}

/// The cause text of a Lambda service (not function) error, in the AWS SDK for Java's format that Step Functions
/// shows.
fn service_cause(message: &str, status: u16, code: &str, request_id: &str) -> String {
    format!(
        "{message} (Service: AWSLambda; Status Code: {status}; Error Code: {code}; Request ID: {request_id}; Proxy: null)"
    )
}

fn parse(text: &str, base: Option<&Path>) -> Result<Functions, Error> {
    let table: toml::Table = toml::from_str(text).map_err(|err| Error::Functions(err.to_string().trim().to_owned()))?;
    let mut problems = Vec::new();
    for key in table.keys().filter(|key| key.as_str() != "functions") {
        problems.push(format!(
            "unknown top-level key `{key}`; expected `[functions.NAME]` tables"
        ));
    }
    let mut functions = BTreeMap::new();
    match table.get("functions") {
        None => {}
        Some(toml::Value::Table(entries)) => {
            for (name, value) in entries {
                if let Some(function) = check_function(name, value, base, &mut problems) {
                    functions.insert(name.clone(), function);
                }
            }
        }
        Some(other) => problems.push(format!("`functions` must be a table, found {}", other.type_str())),
    }
    if problems.is_empty() {
        Ok(Functions { table: Arc::new(Mutex::new(Arc::new(functions))) })
    } else {
        Err(Error::Functions(problems.join("; ")))
    }
}

fn check_function(
    name: &str,
    value: &toml::Value,
    base: Option<&Path>,
    problems: &mut Vec<String>,
) -> Option<Function> {
    let at = format!("functions.{name}");
    let before = problems.len();
    if name.is_empty()
        || name.len() > 64
        || !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        problems.push(format!(
            "`{at}`: invalid function name `{name}`; Lambda names are 1-64 letters, digits, - or _"
        ));
    }
    let Some(fields) = value.as_table() else {
        problems.push(format!("`{at}` must be a table, found {}", value.type_str()));
        return None;
    };
    let kinds: Vec<&str> = ["command", "runtime", "url"].into_iter().filter(|kind| fields.contains_key(*kind)).collect();
    let known: &[&str] = match kinds.as_slice() {
        ["command"] => &["command", "env", "cwd", "timeout_seconds"],
        ["runtime"] => &["runtime", "handler", "instances", "env", "cwd", "timeout_seconds"],
        ["url"] => &["url", "timeout_seconds"],
        [] => {
            problems.push(format!(
                "`{at}` needs `command = [\"prog\", \"arg\", …]`, `runtime = [\"prog\", \"arg\", …]` or `url = \"http://…\"`"
            ));
            return None;
        }
        several => {
            let given: Vec<String> = several.iter().map(|kind| format!("`{kind}`")).collect();
            problems.push(format!(
                "`{at}` has {}; give exactly one of `command`, `runtime` and `url`",
                given.join(" and ")
            ));
            return None;
        }
    };
    for key in fields.keys().filter(|key| !known.contains(&key.as_str())) {
        let expected: Vec<String> = known.iter().map(|k| format!("`{k}`")).collect();
        problems.push(format!("`{at}`: unknown key `{key}`; expected {}", expected.join(", ")));
    }
    let timeout = match fields.get("timeout_seconds") {
        None => None,
        Some(toml::Value::Integer(seconds)) if *seconds > 0 => u64::try_from(*seconds).ok().map(Duration::from_secs),
        Some(other) => {
            problems.push(format!(
                "`{at}.timeout_seconds` must be a positive integer, found {other}"
            ));
            None
        }
    };
    let function = if let Some(url) = fields.get("url") {
        check_url(&at, url, problems).map(|url| Function::Url(UrlFunction { url, timeout }))
    } else if fields.contains_key("runtime") {
        let handler = check_handler(&at, fields, problems);
        let instances = check_instances(&at, fields, problems);
        check_command(&at, "runtime", fields, base, problems).map(|command| {
            let spec = runtime_api::Spec {
                program: command.program,
                args: command.args,
                handler,
                env: command.env,
                cwd: command.cwd,
                timeout: timeout.unwrap_or(DEFAULT_COMMAND_TIMEOUT),
                instances,
            };
            Function::Warm(Arc::new(runtime_api::Warm::new(name, spec)))
        })
    } else {
        check_command(&at, "command", fields, base, problems).map(|mut command| {
            command.timeout = timeout.unwrap_or(DEFAULT_COMMAND_TIMEOUT);
            Function::Command(command)
        })
    };
    if problems.len() == before { function } else { None }
}

/// The optional `handler` of a Runtime API function: a non-empty string.
fn check_handler(at: &str, fields: &toml::Table, problems: &mut Vec<String>) -> Option<String> {
    match fields.get("handler") {
        None => None,
        Some(toml::Value::String(handler)) if !handler.trim().is_empty() => Some(handler.clone()),
        Some(toml::Value::String(_)) => {
            problems.push(format!("`{at}.handler` is empty"));
            None
        }
        Some(other) => {
            problems.push(format!("`{at}.handler` must be a string, found {}", other.type_str()));
            None
        }
    }
}

/// The optional `instances` of a Runtime API function: 1 to `MAX_INSTANCES`.
fn check_instances(at: &str, fields: &toml::Table, problems: &mut Vec<String>) -> usize {
    match fields.get("instances") {
        None => DEFAULT_INSTANCES,
        Some(toml::Value::Integer(count)) if (1..=MAX_INSTANCES as i64).contains(count) => {
            usize::try_from(*count).unwrap_or(DEFAULT_INSTANCES)
        }
        Some(other) => {
            problems.push(format!(
                "`{at}.instances` must be an integer from 1 to {MAX_INSTANCES}, found {other}"
            ));
            DEFAULT_INSTANCES
        }
    }
}

fn check_url(at: &str, value: &toml::Value, problems: &mut Vec<String>) -> Option<String> {
    let Some(url) = value.as_str() else {
        problems.push(format!("`{at}.url` must be a string, found {}", value.type_str()));
        return None;
    };
    let Some(rest) = url.strip_prefix("http://").or_else(|| url.strip_prefix("https://")) else {
        problems.push(format!("`{at}.url`: `{url}` is not an http:// or https:// URL"));
        return None;
    };
    if rest.is_empty() || rest.starts_with('/') || rest.contains(['?', '#']) || rest.contains(char::is_whitespace) {
        problems.push(format!("`{at}.url`: `{url}` must be `http[s]://HOST[:PORT][/PATH]`"));
        return None;
    }
    Some(url.trim_end_matches('/').to_owned())
}

/// The program and its arguments under `key` (`command` or `runtime`), with `env` and `cwd`.
fn check_command(
    at: &str,
    key: &str,
    fields: &toml::Table,
    base: Option<&Path>,
    problems: &mut Vec<String>,
) -> Option<CommandFunction> {
    let argv: Vec<String> = match fields.get(key) {
        Some(toml::Value::Array(items)) => {
            let strings: Vec<String> = items
                .iter()
                .filter_map(|item| item.as_str().map(str::to_owned))
                .collect();
            if strings.len() != items.len() {
                problems.push(format!("`{at}.{key}` must be an array of strings"));
            }
            strings
        }
        Some(other) => {
            problems.push(format!(
                "`{at}.{key}` must be an array of strings, found {}",
                other.type_str()
            ));
            Vec::new()
        }
        None => Vec::new(),
    };
    let Some((program, args)) = argv.split_first() else {
        problems.push(format!(
            "`{at}.{key}` must name a program: `{key} = [\"prog\", \"arg\", …]`"
        ));
        return None;
    };
    if program.is_empty() {
        problems.push(format!("`{at}.{key}`: the program name is empty"));
    }
    let mut env = BTreeMap::new();
    match fields.get("env") {
        None => {}
        Some(toml::Value::Table(vars)) => {
            for (key, value) in vars {
                match value.as_str() {
                    Some(value) if !key.is_empty() && !key.contains(['=', '\0']) => {
                        env.insert(key.clone(), value.to_owned());
                    }
                    Some(_) => problems.push(format!("`{at}.env`: invalid variable name `{key}`")),
                    None => problems.push(format!("`{at}.env.{key}` must be a string, found {}", value.type_str())),
                }
            }
        }
        Some(other) => problems.push(format!(
            "`{at}.env` must be a table of strings, found {}",
            other.type_str()
        )),
    }
    let cwd = match fields.get("cwd") {
        None => base.map(Path::to_path_buf),
        Some(toml::Value::String(cwd)) => Some(base.map_or_else(|| PathBuf::from(cwd), |base| base.join(cwd))),
        Some(other) => {
            problems.push(format!("`{at}.cwd` must be a string, found {}", other.type_str()));
            None
        }
    };
    Some(CommandFunction {
        program: program.clone(),
        args: args.to_vec(),
        env,
        cwd,
        timeout: DEFAULT_COMMAND_TIMEOUT,
    })
}

fn run_command(
    name: &str,
    function: &CommandFunction,
    body: &str,
    request_id: String,
    caller: Caller<'_>,
) -> Result<Invocation, TaskError> {
    let mut command = Command::new(&function.program);
    command
        .args(&function.args)
        .envs(&function.env)
        .env("AWS_LAMBDA_FUNCTION_NAME", name)
        .env("AWS_REQUEST_ID", &request_id)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(cwd) = &function.cwd {
        command.current_dir(cwd);
    }
    // The trace the invocation continues: W3C's environment carrier, and the variable Lambda's X-Ray SDKs read.
    if let Some(trace) = caller.trace {
        command.env("TRACEPARENT", trace.traceparent()).env("_X_AMZN_TRACE_ID", trace.xray());
    }
    let mut child = match command.spawn() {
        Ok(child) => child,
        Err(err) => {
            let message = format!("cannot start `{}`: {err}", function.program);
            return Err(function_error(&error_payload(
                "Runtime.InvalidEntrypoint",
                &message,
                None,
            )));
        }
    };
    // Feed stdin and drain stdout/stderr on their own threads so that no pipe buffer can deadlock the child.
    let stdin = child.stdin.take().map(|mut stdin| {
        let body = body.to_owned();
        // A child that exits without reading its input closes the pipe; that is not an error of ours.
        thread::spawn(move || drop(stdin.write_all(body.as_bytes())))
    });
    let stdout = child.stdout.take().map(drain);
    let tail = Arc::new(Mutex::new(Tail::default()));
    let log = Log { execution_arn: caller.execution_arn.to_owned(), state: caller.state.to_owned(), function: name.to_owned() };
    let stderr = child.stderr.take().map(|pipe| relay(pipe, log, tail.clone()));
    let Some(status) = wait(&mut child, function.timeout) else {
        // The readers may block on grandchildren that still hold the pipes; they are left to finish on their own,
        // after a moment for stderr to catch up with what the command wrote before it was killed.
        let deadline = Instant::now() + STDERR_GRACE;
        while stderr.as_ref().is_some_and(|reader| !reader.is_finished()) && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(5));
        }
        let message = format!(
            "{request_id} Task timed out after {:.2} seconds",
            function.timeout.as_secs_f64()
        );
        let mut payload = Map::new();
        payload.insert("errorMessage".to_owned(), Value::String(message));
        with_stderr(&mut payload, &tail);
        return Err(TaskError::new("Lambda.Unknown", Value::Object(payload).to_string()));
    };
    if let Some(stdin) = stdin {
        drop(stdin.join());
    }
    let stdout = stdout.and_then(|reader| reader.join().ok()).unwrap_or_default();
    if let Some(stderr) = stderr {
        drop(stderr.join());
    }
    let stdout = String::from_utf8_lossy(&stdout);
    let stdout = stdout.trim();
    if !status.success() {
        if let Some(error) = parse_error_object(stdout, false) {
            return Err(function_error(&error));
        }
        // AWS's payload for a runtime that exits: no stackTrace (Lambda's own error, not the function's).
        let mut payload = Map::new();
        let message = format!("RequestId: {request_id} Error: Runtime exited with error: {}", describe(status));
        payload.insert("errorMessage".to_owned(), Value::String(message));
        payload.insert("errorType".to_owned(), Value::String("Runtime.ExitError".to_owned()));
        with_stderr(&mut payload, &tail);
        return Err(function_error(&Value::Object(payload).to_string()));
    }
    if stdout.is_empty() {
        return Ok(Invocation {
            result: Value::Null,
            body_len: "null".len(),
            request_id,
        });
    }
    if let Some(error) = parse_error_object(stdout, true) {
        return Err(function_error(&error));
    }
    match serde_json::from_str(stdout) {
        Ok(result) => Ok(Invocation {
            result,
            body_len: stdout.len(),
            request_id,
        }),
        Err(err) => {
            let message = format!("Unable to marshal response: stdout is not JSON: {err}");
            let mut payload = error_fields("Runtime.MarshalError", &message, None);
            with_stderr(&mut payload, &tail);
            Err(function_error(&Value::Object(payload).to_string()))
        }
    }
}

/// Where a command's stderr lines are logged: the execution and state that invoked it, and the function's name.
struct Log {
    execution_arn: String,
    state: String,
    function: String,
}

impl Log {
    /// Logs one line of stderr (its line break removed); a blank line is not logged.
    fn line(&self, bytes: &[u8]) {
        let text = String::from_utf8_lossy(bytes);
        let text = text.trim_end_matches(['\n', '\r']);
        if !text.trim().is_empty() {
            tracing::info!(
                execution_arn = %self.execution_arn,
                state = %self.state,
                function = %self.function,
                "{text}"
            );
        }
    }
}

/// The last `STDERR_TAIL_BYTES` (at least) of a command's stderr.
#[derive(Debug, Default)]
struct Tail(Vec<u8>);

impl Tail {
    fn push(&mut self, bytes: &[u8]) {
        self.0.extend_from_slice(bytes);
        if self.0.len() > 2 * STDERR_TAIL_BYTES {
            let cut = self.0.len() - STDERR_TAIL_BYTES;
            self.0.drain(..cut);
        }
    }

    /// The last `STDERR_TAIL_BYTES` as text, from a character boundary, without surrounding white space.
    fn text(&self) -> String {
        let start = self.0.len().saturating_sub(STDERR_TAIL_BYTES);
        let bytes = self.0.get(start..).unwrap_or_default();
        // A UTF-8 continuation byte (0b10xx_xxxx) cannot start a character: skip the rest of a cut one.
        let first = bytes.iter().take(3).take_while(|&&b| b & 0xc0 == 0x80).count();
        String::from_utf8_lossy(bytes.get(first..).unwrap_or_default()).trim().to_owned()
    }
}

/// Adds the stderr tail to a failure's payload as `stderr`, if the command wrote any.
fn with_stderr(payload: &mut Map<String, Value>, tail: &Mutex<Tail>) {
    let text = tail.lock().unwrap_or_else(PoisonError::into_inner).text();
    if !text.is_empty() {
        payload.insert("stderr".to_owned(), Value::String(text));
    }
}

/// Reads a command's stderr line by line on its own thread: each line is logged and kept in `tail`. The thread logs
/// to the subscriber of the thread that started it.
fn relay(pipe: ChildStderr, log: Log, tail: Arc<Mutex<Tail>>) -> thread::JoinHandle<()> {
    let dispatch = tracing::dispatcher::get_default(Clone::clone);
    relay_lines(pipe, dispatch, move |line| {
        tail.lock().unwrap_or_else(PoisonError::into_inner).push(line);
        log.line(line);
    })
}

/// Reads `pipe` on its own thread, in lines of at most `LOG_LINE_BYTES` (a longer line comes in pieces), handing
/// each to `each` under the subscriber `dispatch`, until the pipe closes.
fn relay_lines(pipe: impl Read + Send + 'static, dispatch: tracing::Dispatch, mut each: impl FnMut(&[u8]) + Send + 'static) -> thread::JoinHandle<()> {
    thread::spawn(move || {
        tracing::dispatcher::with_default(&dispatch, || {
            let mut reader = BufReader::new(pipe);
            let mut line = Vec::new();
            loop {
                line.clear();
                match (&mut reader).take(LOG_LINE_BYTES).read_until(b'\n', &mut line) {
                    Ok(0) | Err(_) => return,
                    Ok(_) => each(&line),
                }
            }
        });
    })
}

/// Waits for `child` up to `timeout`; on timeout kills it and returns `None`.
fn wait(child: &mut Child, timeout: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + timeout;
    let mut pause = Duration::from_millis(1);
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Some(status),
            Ok(None) if Instant::now() < deadline => {
                thread::sleep(pause.min(deadline.saturating_duration_since(Instant::now())));
                pause = (pause * 2).min(Duration::from_millis(50));
            }
            // Timed out, or the child cannot be waited on: either way it must not outlive the invocation.
            Ok(None) | Err(_) => {
                drop(child.kill());
                drop(child.wait());
                return None;
            }
        }
    }
}

fn drain(mut pipe: impl Read + Send + 'static) -> thread::JoinHandle<Vec<u8>> {
    thread::spawn(move || {
        let mut bytes = Vec::new();
        drop(pipe.read_to_end(&mut bytes));
        bytes
    })
}

fn describe(status: ExitStatus) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(signal) = status.signal() {
            return format!("signal: {signal}");
        }
    }
    match status.code() {
        Some(code) => format!("exit status {code}"),
        None => status.to_string(),
    }
}

/// If `text` is a Lambda error object, its payload in AWS's field order: `errorMessage`, `errorType`, `requestId`,
/// `stackTrace`, then any other fields. `strict` (for a zero exit) also requires a string `errorMessage`.
fn parse_error_object(text: &str, strict: bool) -> Option<String> {
    let Ok(Value::Object(fields)) = serde_json::from_str::<Value>(text) else {
        return None;
    };
    let error_type = fields.get("errorType").and_then(Value::as_str)?;
    let message = fields.get("errorMessage");
    if strict && !message.is_some_and(Value::is_string) {
        return None;
    }
    let message = match message {
        Some(Value::String(message)) => message.clone(),
        Some(other) => other.to_string(),
        None => String::new(),
    };
    let mut payload = Map::new();
    payload.insert("errorMessage".to_owned(), Value::String(message));
    payload.insert("errorType".to_owned(), Value::String(error_type.to_owned()));
    if let Some(request_id) = fields.get("requestId") {
        payload.insert("requestId".to_owned(), request_id.clone());
    }
    payload.insert(
        "stackTrace".to_owned(),
        fields.get("stackTrace").cloned().unwrap_or(Value::Array(Vec::new())),
    );
    for (key, value) in &fields {
        if !payload.contains_key(key) {
            payload.insert(key.clone(), value.clone());
        }
    }
    Some(Value::Object(payload).to_string())
}

/// A Lambda error payload for an error Baton itself detected.
fn error_payload(error_type: &str, message: &str, request_id: Option<&str>) -> String {
    Value::Object(error_fields(error_type, message, request_id)).to_string()
}

/// The members of `error_payload`, for a caller that adds more.
fn error_fields(error_type: &str, message: &str, request_id: Option<&str>) -> Map<String, Value> {
    let mut payload = Map::new();
    payload.insert("errorMessage".to_owned(), Value::String(message.to_owned()));
    payload.insert("errorType".to_owned(), Value::String(error_type.to_owned()));
    if let Some(request_id) = request_id {
        payload.insert("requestId".to_owned(), Value::String(request_id.to_owned()));
    }
    payload.insert("stackTrace".to_owned(), Value::Array(Vec::new()));
    payload
}

fn call_url(
    name: &str,
    function: &UrlFunction,
    arn: &str,
    body: &str,
    request_id: String,
    egress: &Policy,
    caller: Caller<'_>,
) -> Result<Invocation, TaskError> {
    let config = ureq::Agent::config_builder().http_status_as_error(false).timeout_global(function.timeout);
    let agent = egress.agent(config);
    let url = format!("{}/2015-03-31/functions/{name}/invocations", function.url);
    let mut request = agent
        .post(&url)
        .header("Content-Type", "application/json")
        .header("X-Amz-Invocation-Type", "RequestResponse");
    if let Some(trace) = caller.trace {
        request = request.header("traceparent", trace.traceparent()).header("X-Amzn-Trace-Id", trace.xray());
    }
    let sent = request.send(body);
    let mut response = match sent {
        Ok(response) => response,
        Err(err) => {
            let message = match egress::refusal(&err) {
                Some(refusal) => format!("the request to '{url}' was refused: {refusal}"),
                None => err.to_string(),
            };
            return Err(TaskError::new(
                "Lambda.SdkClientException",
                format!("Unable to execute HTTP request: {message}"),
            ));
        }
    };
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned)
    };
    let request_id = header("x-amzn-RequestId").unwrap_or(request_id);
    let function_error_header = header("X-Amz-Function-Error");
    let error_type_header = header("X-Amzn-ErrorType");
    let status = response.status().as_u16();
    let text = match response.body_mut().read_to_string() {
        Ok(text) => text,
        Err(err) => {
            return Err(TaskError::new(
                "Lambda.SdkClientException",
                format!("Unable to read HTTP response: {err}"),
            ));
        }
    };
    if !(200..300).contains(&status) {
        return Err(service_error(
            status,
            error_type_header.as_deref(),
            &text,
            arn,
            &request_id,
        ));
    }
    if function_error_header.is_some() {
        return Err(function_error(&text));
    }
    if text.trim().is_empty() {
        return Ok(Invocation {
            result: Value::Null,
            body_len: text.len(),
            request_id,
        });
    }
    match serde_json::from_str(&text) {
        Ok(result) => Ok(Invocation {
            result,
            body_len: text.len(),
            request_id,
        }),
        Err(err) => {
            let message = format!("Unable to marshal response: the response body is not JSON: {err}");
            Err(function_error(&error_payload(
                "Runtime.MarshalError",
                &message,
                Some(&request_id),
            )))
        }
    }
}

/// A non-2xx answer of the Lambda API: `Lambda.<ErrorCode>` with the AWS SDK's cause format.
fn service_error(status: u16, error_type: Option<&str>, text: &str, arn: &str, request_id: &str) -> TaskError {
    let body: Option<Value> = serde_json::from_str(text).ok();
    let field = |key: &str| {
        body.as_ref()
            .and_then(|body| body.get(key))
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    // `X-Amzn-ErrorType: ResourceNotFoundException:http://internal.amazon.com/…`, or `__type` in the body.
    let code = error_type
        .map(|code| code.split(':').next().unwrap_or(code).to_owned())
        .or_else(|| field("__type").map(|code| code.rsplit('#').next().unwrap_or(&code).to_owned()))
        .filter(|code| !code.is_empty())
        .unwrap_or_else(|| {
            match status {
                404 => "ResourceNotFoundException",
                429 => "TooManyRequestsException",
                500..=599 => "ServiceException",
                _ => "AWSLambdaException",
            }
            .to_owned()
        });
    let message = field("message")
        .or_else(|| field("Message"))
        .or_else(|| field("errorMessage"));
    let message = match message {
        Some(message) => message,
        None if code == "ResourceNotFoundException" => format!("Function not found: {arn}"),
        None if text.trim().is_empty() => format!("HTTP status {status}"),
        None => text.trim().to_owned(),
    };
    TaskError::new(
        format!("Lambda.{code}"),
        service_cause(&message, status, &code, request_id),
    )
}
