//! Task resources that Baton can call: mocked responses (Step Functions Local mock files), local functions and HTTP
//! endpoints (the HTTP Task, with local stand-ins for its EventBridge connections).
//!
//! Speaks plain JSON values and `TaskError`s; knows nothing of the engine or of ASL semantics beyond the shapes of the
//! AWS integrations it emulates. This crate does I/O (runs commands, makes HTTP requests) and is called by `runtime`.
//! Which hosts the HTTP requests that definitions direct may reach is `egress`'s policy.

pub mod aws;
pub mod connections;
pub mod egress;
pub mod functions;
pub mod http;
mod ids;
pub mod lambda;
pub mod mock;

/// How strictly TestState checks a mocked result (`aws::check_mock`).
pub use sdk::protocol::mock::Strictness;

/// Who invokes a task: the execution and its state. A local function's stderr is logged under their names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caller<'a> {
    /// The execution's ARN.
    pub execution_arn: &'a str,
    /// The name of the Task state.
    pub state: &'a str,
    /// The role the task assumes (`Credentials.RoleArn`): AWS calls are made with its credentials.
    pub role_arn: Option<&'a str>,
    /// The trace the task's request continues, when there is one: it goes with the request as W3C `traceparent`
    /// (and, to AWS and Lambda, as X-Ray's `X-Amzn-Trace-Id`).
    pub trace: Option<Trace>,
}

/// A position in a distributed trace (W3C Trace Context): the trace, and the span a request is made from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Trace {
    /// The 128-bit trace id (never all zero).
    pub trace_id: [u8; 16],
    /// The 64-bit id of the calling span (never all zero).
    pub span_id: [u8; 8],
    /// Whether the trace is recorded (`traceparent`'s flag 01, X-Ray's `Sampled=1`).
    pub sampled: bool,
}

impl Trace {
    /// The W3C `traceparent` header: `00-<trace id>-<span id>-<flags>`.
    pub fn traceparent(&self) -> String {
        format!("00-{}-{}-{}", hex(&self.trace_id), hex(&self.span_id), if self.sampled { "01" } else { "00" })
    }

    /// X-Ray's `X-Amzn-Trace-Id`, the same position: `Root=1-<first 8 hex digits>-<other 24>;Parent=<span>;Sampled=<0|1>`.
    pub fn xray(&self) -> String {
        let trace = hex(&self.trace_id);
        let (time, rest) = trace.split_at(8);
        format!("Root=1-{time}-{rest};Parent={};Sampled={}", hex(&self.span_id), u8::from(self.sampled))
    }

    /// Adds `traceparent` (and with `xray` also `X-Amzn-Trace-Id`) to `headers`, unless they hold one already
    /// (names compared without case): a header the definition gave wins.
    pub fn add_to(&self, headers: &mut Vec<(String, String)>, xray: bool) {
        let has = |headers: &[(String, String)], name: &str| headers.iter().any(|(own, _)| own.eq_ignore_ascii_case(name));
        if !has(headers, "traceparent") {
            headers.push(("traceparent".to_owned(), self.traceparent()));
        }
        if xray && !has(headers, "x-amzn-trace-id") {
            headers.push(("X-Amzn-Trace-Id".to_owned(), self.xray()));
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut text, byte| {
        let _ = write!(text, "{byte:02x}");
        text
    })
}

/// A task failure as the task resource reports it: the error name and cause AWS would put in `TaskFailed`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskError {
    /// The error name, e.g. `Lambda.ResourceNotFoundException` or a function's `errorType`.
    pub error: String,
    /// The cause text; `None` when the task reports none (AWS records it as absent or null).
    pub cause: Option<String>,
}

impl TaskError {
    /// A task error with a cause.
    pub fn new(error: impl Into<String>, cause: impl Into<String>) -> TaskError {
        TaskError {
            error: error.into(),
            cause: Some(cause.into()),
        }
    }
}

/// What a task invocation produced: its raw result, or a failure.
pub type TaskOutcome = Result<serde_json::Value, TaskError>;

/// Problems with configuration files (mock configs, function files): infrastructure errors, not task failures.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A mock config is not JSON or does not validate; the message lists every problem.
    #[error("invalid mock config: {0}")]
    MockConfig(String),
    /// A functions file cannot be read, is not TOML or does not validate; the message lists every problem.
    #[error("invalid functions file: {0}")]
    Functions(String),
    /// A connections file cannot be read, is not TOML or does not validate; the message lists every problem.
    #[error("invalid connections file: {0}")]
    Connections(String),
    /// An `--http-allow` or `--http-deny` entry is not a host name, an IP address or a network.
    #[error("invalid host entry '{entry}': {reason}")]
    HostEntry {
        /// The entry as given.
        entry: String,
        /// What is wrong with it.
        reason: String,
    },
}
