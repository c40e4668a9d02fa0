//! Warm local functions: long-lived processes that speak the Lambda Runtime API, as AWS's runtime interface clients
//! (`awslambdaric`, `aws-lambda-ric`, the Rust `lambda_runtime`, a custom `bootstrap`) speak it inside Lambda.
//!
//! Each function has a pool of at most `Spec::instances` processes, started lazily: an invocation goes to an idle
//! process, else starts a new one while the pool has room, else waits in the pool's queue (first come, first served).
//! Every process gets its own listener on 127.0.0.1 (an ephemeral port, in `AWS_LAMBDA_RUNTIME_API`), so Baton knows
//! which process asks for the next invocation and which invocation a dying process had. The process polls
//! `GET /2018-06-01/runtime/invocation/next` and answers through `POST …/invocation/{id}/response` or `…/error`; a
//! failed start is `POST …/init/error`.
//!
//! What the caller sees, as Lambda reports it:
//! - a response: the invocation's result (empty = `null`, not JSON = `Runtime.MarshalError`, over 6 MB =
//!   `Function.ResponseSizeTooLarge`);
//! - an error or an init error: the error is the body's `errorType` (else the `Lambda-Runtime-Function-Error-Type`
//!   header), the cause is the body;
//! - a process that exits with an invocation: `Runtime.ExitError`, and the next invocation starts a new process;
//! - no answer within `timeout` of handing the invocation over (a fresh process's start counts, as on Lambda when
//!   init runs in the invoke): `Lambda.Unknown`, `Task timed out after … seconds`, as for a command; the process is
//!   killed and the next invocation starts a new one.
//!
//! The last two carry the last `STDERR_TAIL_BYTES` of the process's output since the invocation began as `stderr`,
//! as a command's failures do. Every line a process writes on stdout or stderr is logged as an `info` event with
//! the function and the execution and state of the invocation it is running (empty when idle).
//!
//! Threads, per process: one waits for its exit, two read its output, one accepts connections, one serves each
//! connection. Everything a pool knows is under one mutex; callers and long polls wait on condition variables of it.

mod http;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::io::{BufReader, Read};
use std::net::{Ipv4Addr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value};

use super::{
    Invocation, Log, STDERR_GRACE, Tail, describe, error_fields, error_payload, function_error,
    parse_error_object, service_cause,
};
use crate::{Caller, TaskError, ids};

/// The largest response or error a function may return: Lambda's synchronous payload limit, 6 MB.
pub(crate) const MAX_RESPONSE_BYTES: usize = 6_291_556;

/// The largest request head Baton reads; an error's X-Ray header may be up to 1 MiB (awslambdaric's limit).
const MAX_HEAD_BYTES: usize = 1_100_000;

/// How often a process is checked for having exited (a kill is noticed at once).
const EXIT_POLL: Duration = Duration::from_millis(20);

/// The path every Runtime API route starts with.
const PREFIX: &str = "/2018-06-01/runtime/";

/// How a warm function runs: its entry in the functions file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Spec {
    /// The program that speaks the Runtime API.
    pub(crate) program: String,
    /// Its arguments; `handler` follows them.
    pub(crate) args: Vec<String>,
    /// The handler: the last argument (as a container image's CMD follows its ENTRYPOINT) and `_HANDLER`.
    pub(crate) handler: Option<String>,
    /// Variables added to the environment (after Lambda's, which they may override).
    pub(crate) env: BTreeMap<String, String>,
    pub(crate) cwd: Option<PathBuf>,
    /// How long an invocation may run once handed to a process.
    pub(crate) timeout: Duration,
    /// The most processes kept warm; each runs one invocation at a time.
    pub(crate) instances: usize,
}

/// A warm function. Dropping it (the last clone of its `Functions` entry) stops its processes.
#[derive(Debug)]
pub(crate) struct Warm {
    pool: Arc<Pool>,
}

impl Warm {
    /// A function with no process yet: the first invocation starts one.
    pub(crate) fn new(name: &str, spec: Spec) -> Warm {
        Warm { pool: Arc::new(Pool { name: name.to_owned(), spec, state: Mutex::new(State::default()) }) }
    }

    pub(crate) fn spec(&self) -> &Spec {
        &self.pool.spec
    }

    /// Invokes the function with request body `body` (JSON text) as `arn` (the qualified ARN it was called by), under
    /// Lambda request id `request_id`. Blocks until a process answers, fails or times out.
    pub(crate) fn invoke(&self, arn: &str, body: &str, request_id: String, caller: Caller<'_>) -> Result<Invocation, TaskError> {
        // An unqualified call invokes `$LATEST`, but the runtime sees the ARN it was called by.
        let arn = arn.strip_suffix(":$LATEST").unwrap_or(arn);
        self.pool.invoke(arn, body, request_id, caller)
    }

    /// Kills every process now; invocations in flight or queued fail.
    pub(crate) fn stop(&self) {
        self.pool.stop();
    }

    /// How many invocations wait for a process (for tests).
    #[cfg(test)]
    pub(crate) fn queued(&self) -> usize {
        self.pool.lock().queue.len()
    }

    /// The ids of the processes running now, oldest first (for tests).
    #[cfg(test)]
    pub(crate) fn pids(&self) -> Vec<u32> {
        self.pool.lock().instances.iter().map(|instance| instance.pid).collect()
    }
}

impl Drop for Warm {
    fn drop(&mut self) {
        self.pool.stop();
    }
}

/// One function's processes and invocations.
struct Pool {
    name: String,
    spec: Spec,
    state: Mutex<State>,
}

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pool").field("name", &self.name).field("spec", &self.spec).finish_non_exhaustive()
    }
}

#[derive(Default)]
struct State {
    /// Set by `stop`: nothing starts any more.
    stopped: bool,
    /// The processes started and not yet reaped, oldest first.
    instances: Vec<Instance>,
    /// Invocations waiting for a process.
    queue: VecDeque<Arc<Job>>,
    /// Finished invocations, by job key, until their callers take them.
    outcomes: HashMap<u64, Result<Invocation, TaskError>>,
    /// The last job key and instance id given out.
    last_key: u64,
    last_id: u64,
}

/// One invocation.
struct Job {
    /// Unique in its pool.
    key: u64,
    request_id: String,
    /// The ARN the function was invoked by.
    arn: String,
    body: String,
    execution_arn: String,
    state: String,
    /// The X-Ray form of the trace the invocation continues (`Lambda-Runtime-Trace-Id`), if any.
    trace: Option<String>,
    /// Notified (under the pool's mutex) when the job is handed to a process or finished.
    done: Condvar,
}

/// One process.
struct Instance {
    id: u64,
    pid: u32,
    /// The invocation handed to it, if any.
    current: Option<Current>,
    /// Killed, or told to stop: it takes no more invocations.
    exiting: bool,
    /// Notified when `current` is handed over or the instance goes away; a `next` long poll waits on it.
    wake: Arc<Condvar>,
    child: Arc<Mutex<Child>>,
    output: Arc<Mutex<Output>>,
    listener: Arc<Listener>,
}

/// The invocation a process has.
struct Current {
    job: Arc<Job>,
    /// When it was handed over: its timeout counts from here.
    since: Instant,
    /// Whether the process has received it (through `next`).
    taken: bool,
}

/// What a process wrote lately, and for whom it is working (its lines are logged under that invocation).
#[derive(Default)]
struct Output {
    tail: Tail,
    execution_arn: String,
    state: String,
}

/// A process's listener and open connections, stopped and closed when the process is gone.
struct Listener {
    addr: SocketAddr,
    stopped: AtomicBool,
    /// The connections being served, by a number of their own.
    connections: Mutex<(u64, HashMap<u64, TcpStream>)>,
}

impl Listener {
    fn stop(&self) {
        self.stopped.store(true, Ordering::SeqCst);
        // Wakes the accepting thread, which then sees `stopped`.
        drop(TcpStream::connect_timeout(&self.addr, Duration::from_secs(1)));
        // Ends the threads serving connections that something else than the dead process may hold.
        let connections = std::mem::take(&mut self.connections.lock().unwrap_or_else(PoisonError::into_inner).1);
        for stream in connections.values() {
            drop(stream.shutdown(Shutdown::Both));
        }
    }

    /// Keeps a handle on a new connection, to close it in `stop`; `None` once stopped.
    fn open(&self, stream: &TcpStream) -> Option<u64> {
        let mut connections = self.connections.lock().unwrap_or_else(PoisonError::into_inner);
        if self.stopped.load(Ordering::SeqCst) {
            return None;
        }
        let handle = stream.try_clone().ok()?;
        connections.0 += 1;
        let number = connections.0;
        connections.1.insert(number, handle);
        Some(number)
    }

    fn close(&self, number: u64) {
        self.connections.lock().unwrap_or_else(PoisonError::into_inner).1.remove(&number);
    }
}

/// An answer of the Runtime API: status, extra headers, JSON body; `None` closes the connection unanswered.
type Answer = Option<(u16, Vec<(&'static str, String)>, String)>;

impl Pool {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn invoke(self: &Arc<Pool>, arn: &str, body: &str, request_id: String, caller: Caller<'_>) -> Result<Invocation, TaskError> {
        let mut state = self.lock();
        state.last_key += 1;
        let job = Arc::new(Job {
            key: state.last_key,
            request_id,
            arn: arn.to_owned(),
            body: body.to_owned(),
            execution_arn: caller.execution_arn.to_owned(),
            state: caller.state.to_owned(),
            trace: caller.trace.map(|trace| trace.xray()),
            done: Condvar::new(),
        });
        if state.stopped {
            return Err(stopped_error(&job));
        }
        state.queue.push_back(job.clone());
        self.pump(&mut state);
        loop {
            if let Some(outcome) = state.outcomes.remove(&job.key) {
                return outcome;
            }
            let since = state.instances.iter().find_map(|instance| {
                instance.current.as_ref().filter(|current| current.job.key == job.key).map(|current| current.since)
            });
            if let Some(since) = since {
                let deadline = since + self.spec.timeout;
                let now = Instant::now();
                if now >= deadline {
                    return Err(self.time_out(&mut state, &job));
                }
                state = job.done.wait_timeout(state, deadline - now).unwrap_or_else(PoisonError::into_inner).0;
            } else if state.queue.iter().any(|queued| queued.key == job.key) {
                state = job.done.wait(state).unwrap_or_else(PoisonError::into_inner);
            } else {
                // Neither queued, nor handed over, nor finished: only `stop` drops a job like that.
                return Err(stopped_error(&job));
            }
        }
    }

    /// Hands queued invocations to idle processes, starting new ones while the pool has room (and is not stopped).
    fn pump(self: &Arc<Pool>, state: &mut State) {
        if state.stopped {
            return;
        }
        while let Some(job) = state.queue.front().cloned() {
            if let Some(instance) = state.instances.iter_mut().find(|i| i.current.is_none() && !i.exiting) {
                state.queue.pop_front();
                instance.hand_over(job);
            } else if state.instances.iter().filter(|i| !i.exiting).count() < self.spec.instances {
                state.queue.pop_front();
                state.last_id += 1;
                let id = state.last_id;
                match self.start(id, &job) {
                    Ok(instance) => state.instances.push(instance),
                    Err(error) => {
                        state.outcomes.insert(job.key, Err(error));
                        job.done.notify_all();
                    }
                }
            } else {
                return;
            }
        }
    }

    /// Fails `job`, which ran out of time, and kills its process.
    fn time_out(self: &Arc<Pool>, state: &mut State, job: &Job) -> TaskError {
        let mut payload = Map::new();
        let message = format!("{} Task timed out after {:.2} seconds", job.request_id, self.spec.timeout.as_secs_f64());
        payload.insert("errorMessage".to_owned(), Value::String(message));
        if let Some(instance) = state.instances.iter_mut().find(|i| i.current.as_ref().is_some_and(|c| c.job.key == job.key)) {
            instance.current = None;
            instance.kill();
            with_output(&mut payload, &instance.output);
        }
        self.pump(state);
        TaskError::new("Lambda.Unknown", Value::Object(payload).to_string())
    }

    /// Kills every process and fails every invocation; nothing starts afterwards.
    fn stop(&self) {
        let mut state = self.lock();
        state.stopped = true;
        for job in std::mem::take(&mut state.queue) {
            let error = stopped_error(&job);
            state.outcomes.insert(job.key, Err(error));
            job.done.notify_all();
        }
        for instance in &mut state.instances {
            instance.kill();
        }
    }

    /// Starts process `id` for `job` (whose ARN gives the region), with its listener and threads, and hands `job` to
    /// it.
    fn start(self: &Arc<Pool>, id: u64, job: &Arc<Job>) -> Result<Instance, TaskError> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).and_then(|l| Ok((l.local_addr()?, l)));
        let (addr, listener) = listener.map_err(|err| {
            let message = format!("cannot listen on 127.0.0.1 for the Runtime API: {err}");
            TaskError::new("Lambda.ServiceException", service_cause(&message, 500, "ServiceException", &job.request_id))
        })?;
        let mut command = self.command(addr, &job.arn);
        let mut child = command.spawn().map_err(|err| {
            let message = format!("cannot start `{}`: {err}", self.spec.program);
            function_error(&error_payload("Runtime.InvalidEntrypoint", &message, None))
        })?;
        let pid = child.id();
        tracing::debug!(function = %self.name, pid, "started a Runtime API process");
        let output = Output { tail: Tail::default(), execution_arn: job.execution_arn.clone(), state: job.state.clone() };
        let output = Arc::new(Mutex::new(output));
        let dispatch = tracing::dispatcher::get_default(Clone::clone);
        let mut relays = Vec::new();
        if let Some(pipe) = child.stdout.take() {
            relays.push(self.relay(pipe, output.clone(), dispatch.clone()));
        }
        if let Some(pipe) = child.stderr.take() {
            relays.push(self.relay(pipe, output.clone(), dispatch));
        }
        let child = Arc::new(Mutex::new(child));
        let listener_state =
            Arc::new(Listener { addr, stopped: AtomicBool::new(false), connections: Mutex::new((0, HashMap::new())) });
        let wake = Arc::new(Condvar::new());
        {
            let (pool, child) = (self.clone(), child.clone());
            thread::spawn(move || pool.watch(id, &child, relays));
        }
        {
            let (pool, stop) = (self.clone(), listener_state.clone());
            thread::spawn(move || pool.accept(id, &listener, &stop));
        }
        job.done.notify_all();
        let current = Some(Current { job: job.clone(), since: Instant::now(), taken: false });
        Ok(Instance { id, pid, current, exiting: false, wake, child, output, listener: listener_state })
    }

    /// The command line and environment of a process: Lambda's variables, then the user's, then the API address.
    fn command(&self, addr: SocketAddr, arn: &str) -> Command {
        let spec = &self.spec;
        let mut command = Command::new(&spec.program);
        command.args(&spec.args);
        let region = arn.split(':').nth(3).filter(|region| !region.is_empty()).unwrap_or("us-east-1");
        let stream = ids::request_id().replace('-', "");
        let root = spec.cwd.clone().or_else(|| std::env::current_dir().ok()).unwrap_or_default();
        command
            .env("AWS_LAMBDA_FUNCTION_NAME", &self.name)
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
            .env("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand")
            .env("AWS_LAMBDA_LOG_GROUP_NAME", format!("/aws/lambda/{}", self.name))
            .env("AWS_LAMBDA_LOG_STREAM_NAME", format!("[$LATEST]{stream}"))
            .env("AWS_REGION", region)
            .env("AWS_DEFAULT_REGION", region)
            .env("LAMBDA_TASK_ROOT", root);
        if let Some(handler) = &spec.handler {
            command.arg(handler).env("_HANDLER", handler);
        }
        command.envs(&spec.env).env("AWS_LAMBDA_RUNTIME_API", addr.to_string());
        if let Some(cwd) = &spec.cwd {
            command.current_dir(cwd);
        }
        command.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
        command
    }

    /// Reads a process's stdout or stderr line by line: each line is logged and kept in the output's tail. The thread
    /// logs to `dispatch`, the subscriber of the invocation that started the process.
    fn relay(
        &self,
        pipe: impl Read + Send + 'static,
        output: Arc<Mutex<Output>>,
        dispatch: tracing::Dispatch,
    ) -> thread::JoinHandle<()> {
        let function = self.name.clone();
        super::relay_lines(pipe, dispatch, move |line| {
            let log = {
                let mut output = output.lock().unwrap_or_else(PoisonError::into_inner);
                output.tail.push(line);
                Log { execution_arn: output.execution_arn.clone(), state: output.state.clone(), function: function.clone() }
            };
            log.line(line);
        })
    }

    /// Waits for process `id` to exit (or to be killed), then fails the invocation it had and lets the queue move on.
    fn watch(self: &Arc<Pool>, id: u64, child: &Mutex<Child>, relays: Vec<thread::JoinHandle<()>>) {
        let status = loop {
            match child.lock().unwrap_or_else(PoisonError::into_inner).try_wait() {
                Ok(Some(status)) => break Some(status),
                Ok(None) => {}
                Err(_) => break None,
            }
            thread::sleep(EXIT_POLL);
        };
        // A moment for the last lines the process wrote to reach the tail.
        let deadline = Instant::now() + STDERR_GRACE;
        while relays.iter().any(|relay| !relay.is_finished()) && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(5));
        }
        let mut state = self.lock();
        let Some(at) = state.instances.iter().position(|instance| instance.id == id) else { return };
        let instance = state.instances.remove(at);
        instance.wake.notify_all();
        let status_text = status.map_or_else(|| "unknown".to_owned(), describe);
        tracing::debug!(function = %self.name, pid = instance.pid, status = %status_text, "a Runtime API process exited");
        if let Some(current) = instance.current {
            let job = current.job;
            let reason = match status {
                Some(status) if status.success() => "Runtime exited without providing a reason".to_owned(),
                Some(status) => format!("Runtime exited with error: {}", describe(status)),
                None => "Runtime exited: its status cannot be read".to_owned(),
            };
            let mut payload = Map::new();
            let message = format!("RequestId: {} Error: {reason}", job.request_id);
            payload.insert("errorMessage".to_owned(), Value::String(message));
            payload.insert("errorType".to_owned(), Value::String("Runtime.ExitError".to_owned()));
            with_output(&mut payload, &instance.output);
            state.outcomes.insert(job.key, Err(function_error(&Value::Object(payload).to_string())));
            job.done.notify_all();
        }
        self.pump(&mut state);
        drop(state);
        instance.listener.stop();
    }

    /// Accepts the connections of process `id` until its listener is stopped.
    fn accept(self: &Arc<Pool>, id: u64, listener: &TcpListener, stop: &Arc<Listener>) {
        for stream in listener.incoming() {
            if stop.stopped.load(Ordering::SeqCst) {
                return;
            }
            match stream {
                Ok(stream) => {
                    let Some(number) = stop.open(&stream) else { return };
                    let (pool, stop) = (self.clone(), stop.clone());
                    thread::spawn(move || {
                        pool.serve(id, stream);
                        stop.close(number);
                    });
                }
                // Out of file descriptors, say: wait rather than spin.
                Err(_) => thread::sleep(Duration::from_millis(50)),
            }
        }
    }

    /// Serves one connection of process `id`, request after request.
    fn serve(self: &Arc<Pool>, id: u64, stream: TcpStream) {
        drop(stream.set_nodelay(true));
        let Ok(read_half) = stream.try_clone() else { return };
        let mut reader = BufReader::new(read_half);
        let mut writer = stream;
        loop {
            let request = match http::read_request(&mut reader, &mut writer, MAX_HEAD_BYTES, MAX_RESPONSE_BYTES) {
                Ok(request) => request,
                Err(http::ReadError::Closed) => return,
                Err(http::ReadError::Malformed(message)) => {
                    let body = api_error("InvalidRequest", &message);
                    drop(http::write_response(&mut writer, 400, &[], &body, true));
                    return;
                }
            };
            let Some((status, headers, body)) = self.route(id, &request) else { return };
            let close = request.close || request.body.is_none();
            if http::write_response(&mut writer, status, &headers, &body, close).is_err() || close {
                return;
            }
        }
    }

    /// Answers one request of process `id`.
    fn route(self: &Arc<Pool>, id: u64, request: &http::Request) -> Answer {
        let path = request.path.split('?').next().unwrap_or_default();
        let Some(route) = path.strip_prefix(PREFIX) else {
            return Some((404, Vec::new(), api_error("UnknownEndpoint", &format!("no such endpoint: {path}"))));
        };
        let error_type = request.header("Lambda-Runtime-Function-Error-Type");
        let segments: Vec<&str> = route.split('/').collect();
        let method = request.method.as_str();
        match (method, segments.as_slice()) {
            ("GET", ["invocation", "next"]) => self.next(id),
            ("POST", ["invocation", request_id, "response"]) => self.finish(id, request_id, request.body.as_deref(), None),
            ("POST", ["invocation", request_id, "error"]) => {
                self.finish(id, request_id, request.body.as_deref(), Some(error_type.unwrap_or_default()))
            }
            ("POST", ["init", "error"]) => self.init_error(id, request.body.as_deref(), error_type.unwrap_or_default()),
            (_, ["invocation", "next"] | ["invocation", _, "response" | "error"] | ["init", "error"]) => {
                Some((405, Vec::new(), api_error("MethodNotAllowed", &format!("{method} is not allowed on {path}"))))
            }
            _ => Some((404, Vec::new(), api_error("UnknownEndpoint", &format!("no such endpoint: {path}")))),
        }
    }

    /// `GET …/invocation/next`: waits until process `id` has an invocation, and hands it over.
    fn next(&self, id: u64) -> Answer {
        let mut state = self.lock();
        loop {
            let instance = state.instances.iter_mut().find(|instance| instance.id == id)?;
            if instance.exiting {
                return None;
            }
            if let Some(current) = instance.current.as_mut().filter(|current| !current.taken) {
                current.taken = true;
                let job = &current.job;
                let left = (current.since + self.spec.timeout).saturating_duration_since(Instant::now());
                let now = SystemTime::now();
                let deadline = (now + left).duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis());
                let headers = vec![
                    ("Lambda-Runtime-Aws-Request-Id", job.request_id.clone()),
                    ("Lambda-Runtime-Deadline-Ms", deadline.to_string()),
                    ("Lambda-Runtime-Invoked-Function-Arn", job.arn.clone()),
                    ("Lambda-Runtime-Trace-Id", job.trace.clone().unwrap_or_else(|| ids::trace_id(now))),
                ];
                return Some((200, headers, job.body.clone()));
            }
            let wake = instance.wake.clone();
            state = wake.wait(state).unwrap_or_else(PoisonError::into_inner);
        }
    }

    /// `POST …/invocation/{id}/response` (`error_type` is `None`) or `…/error`: the invocation's outcome.
    fn finish(self: &Arc<Pool>, id: u64, request_id: &str, body: Option<&[u8]>, error_type: Option<&str>) -> Answer {
        let mut state = self.lock();
        let instance = state.instances.iter_mut().find(|instance| instance.id == id)?;
        let mine = instance.current.as_ref().is_some_and(|c| c.taken && c.job.request_id == request_id);
        if !mine {
            let message = format!("Invalid request ID: {request_id} is not the invocation this runtime is running");
            return Some((400, Vec::new(), api_error("InvalidRequestID", &message)));
        }
        let current = instance.current.take()?;
        let job = current.job;
        let (outcome, answer) = match (body, error_type) {
            (None, _) => {
                let message = format!("Response payload size exceeded maximum allowed payload size ({MAX_RESPONSE_BYTES} bytes).");
                let error = function_error(&error_payload("Function.ResponseSizeTooLarge", &message, Some(&job.request_id)));
                (Err(error), (413, Vec::new(), api_error("RequestEntityTooLarge", &message)))
            }
            (Some(body), None) => (response(body, &job.request_id), accepted()),
            (Some(body), Some(error_type)) => (Err(posted_error(body, error_type)), accepted()),
        };
        state.outcomes.insert(job.key, outcome);
        job.done.notify_all();
        self.pump(&mut state);
        Some(answer)
    }

    /// `POST …/init/error`: the process could not start its handler. The invocation it was started for fails with
    /// the error, and the process is killed (the next invocation starts a new one).
    fn init_error(self: &Arc<Pool>, id: u64, body: Option<&[u8]>, error_type: &str) -> Answer {
        let mut state = self.lock();
        let instance = state.instances.iter_mut().find(|instance| instance.id == id)?;
        let error = match body {
            Some(body) => posted_error(body, error_type),
            None => function_error(&error_payload("Runtime.Unknown", "the init error is too large", None)),
        };
        instance.kill();
        if let Some(current) = instance.current.take() {
            state.outcomes.insert(current.job.key, Err(error));
            current.job.done.notify_all();
        }
        self.pump(&mut state);
        Some(accepted())
    }
}

impl Instance {
    /// Gives `job` to this idle process and wakes its long poll (and the caller, whose timeout starts now).
    fn hand_over(&mut self, job: Arc<Job>) {
        {
            let mut output = self.output.lock().unwrap_or_else(PoisonError::into_inner);
            output.tail = Tail::default();
            output.execution_arn.clone_from(&job.execution_arn);
            output.state.clone_from(&job.state);
        }
        job.done.notify_all();
        self.current = Some(Current { job, since: Instant::now(), taken: false });
        self.wake.notify_all();
    }

    /// Kills the process; its watcher reaps it and removes the instance.
    fn kill(&mut self) {
        self.exiting = true;
        drop(self.child.lock().unwrap_or_else(PoisonError::into_inner).kill());
        self.wake.notify_all();
    }
}

/// The failure of an invocation that a stopped function (Baton shutting down) will never run.
fn stopped_error(job: &Job) -> TaskError {
    let message = "the function was stopped before it could run the invocation";
    TaskError::new("Lambda.ServiceException", service_cause(message, 500, "ServiceException", &job.request_id))
}

/// Adds what the process wrote since the invocation began to a failure's payload as `stderr`.
fn with_output(payload: &mut Map<String, Value>, output: &Mutex<Output>) {
    let text = output.lock().unwrap_or_else(PoisonError::into_inner).tail.text();
    if !text.is_empty() {
        payload.insert("stderr".to_owned(), Value::String(text));
    }
}

/// The Runtime API's error body: `{"errorMessage", "errorType"}`.
fn api_error(error_type: &str, message: &str) -> String {
    let mut body = Map::new();
    body.insert("errorMessage".to_owned(), Value::String(message.to_owned()));
    body.insert("errorType".to_owned(), Value::String(error_type.to_owned()));
    Value::Object(body).to_string()
}

/// `202 Accepted` with the body Lambda's Runtime API sends.
fn accepted() -> (u16, Vec<(&'static str, String)>, String) {
    (202, Vec::new(), r#"{"status":"OK"}"#.to_owned())
}

/// A posted response: its JSON (nothing means `null`), or `Runtime.MarshalError` as for a command's stdout.
fn response(body: &[u8], request_id: &str) -> Result<Invocation, TaskError> {
    let text = String::from_utf8_lossy(body);
    if text.trim().is_empty() {
        return Ok(Invocation { result: Value::Null, body_len: "null".len(), request_id: request_id.to_owned() });
    }
    match serde_json::from_str(&text) {
        Ok(result) => Ok(Invocation { result, body_len: body.len(), request_id: request_id.to_owned() }),
        Err(err) => {
            let message = format!("Unable to marshal response: the response is not JSON: {err}");
            Err(function_error(&Value::Object(error_fields("Runtime.MarshalError", &message, Some(request_id))).to_string()))
        }
    }
}

/// A posted error (invocation or init): the body is the cause, in AWS's field order, and its `errorType` names the
/// failure; a body without one takes the `Lambda-Runtime-Function-Error-Type` header's.
fn posted_error(body: &[u8], header: &str) -> TaskError {
    let text = String::from_utf8_lossy(body);
    if let Some(payload) = parse_error_object(&text, false) {
        return function_error(&payload);
    }
    if header.is_empty() {
        return function_error(text.trim());
    }
    let payload = match serde_json::from_str::<Value>(&text) {
        Ok(Value::Object(mut fields)) => {
            fields.insert("errorType".to_owned(), Value::String(header.to_owned()));
            parse_error_object(&Value::Object(fields).to_string(), false)
        }
        _ => None,
    };
    function_error(&payload.unwrap_or_else(|| error_payload(header, text.trim(), None)))
}
