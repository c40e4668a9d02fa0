//! Execution logs as Step Functions writes them to CloudWatch Logs (`loggingConfiguration`), written as JSON lines to
//! where `baton serve --execution-log` says (`Config::execution_log`: a file, or stdout).
//!
//! A machine's `loggingConfiguration` selects which history events are logged: `ALL` every one, `ERROR` the failures,
//! `FATAL` the execution's own failure, `OFF` none (`Level::selects`, after AWS's table "Log levels",
//! step-functions/latest/dg/cloudwatch-log-level.html). Each selected event is one record, in the shape CloudWatch
//! Logs receives from Step Functions (checked against records AWS wrote, as LocalStack's AWS-validated snapshots
//! and published `sam logs` output show them):
//!
//! ```json
//! {"id": "2", "type": "FailStateEntered", "details": {"input": "{}", "inputDetails": {"truncated": false}, "name": "Fail"},
//!  "previous_event_id": "0", "event_timestamp": "1717698224123", "execution_arn": "arn:aws:states:…:execution:m:e",
//!  "redrive_count": "0"}
//! ```
//!
//! Every number is a string; `event_timestamp` is in milliseconds since the epoch; `details` is the event's
//! `…EventDetails` member of GetExecutionHistory (input and output as JSON text, `inputDetails`/`outputDetails` with
//! `truncated`, true when the escaped text passed CloudWatch Logs' 248 KB and was cut), `{}` for an event without
//! details. With `includeExecutionData: false` the details lose `input`, `inputDetails`, `output` and
//! `outputDetails` and keep the rest (a name, an error and its cause, a role ARN), so an `ExecutionSucceeded` reads
//! `"details": {}`. An Express execution's records are the same, with its `…:express:…` ARN.
//!
//! Where AWS's table is silent (it predates Map Runs and JSONata, and lists no activity events), `ERROR` also takes
//! `MapRunFailed`, `MapRunAborted`, `ActivityFailed`, `ActivityTimedOut` and `EvaluationFailed`: failures all.
//!
//! Which configuration an execution logs by: its state machine's current one, whichever version or alias started
//! it (AWS keeps a configuration per version; Baton's versions do not keep one yet), as an UpdateStateMachine of
//! the configuration reaches running executions. The service knows each machine's configuration by its ARN
//! (`ExecutionLog::configure` on create and update); a machine it has not seen since it started (executions it
//! resumed) is read once from the store, its batches held meanwhile so that the records keep their order.
//!
//! Cost: without `--execution-log` there is no `ExecutionLog` and `observe` is never called. With it, a committed
//! batch of a machine at `OFF` costs a map lookup; otherwise the selected events are cloned and handed to a
//! writer thread over a bounded channel, never waited for: the thread renders and writes them, and flushes once the
//! channel is empty, so a reader of the file sees each batch promptly. Like CloudWatch Logs delivery, this is best
//! effort: when the writer falls that far behind, batches are dropped and a warning says how many.
//!
//! Unless `--no-execution-log-to-cloudwatch`, the records of a configuration that names a log group are also sent
//! there, as Step Functions sends them, through the AWS integration layer (`cloudwatch`); not under `--offline`.

mod cloudwatch;

use std::collections::HashMap;
use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex, OnceLock, Weak};

use engine::{EventDetails, HistoryEvent};
use serde_json::{Value, json};
use store::Store;

use super::observe::Committed;
use super::{Error, Inner, lock};

/// How many batches may wait for the writer before new ones are dropped.
const QUEUE: usize = 4096;

/// CloudWatch Logs takes an escaped input or output up to 248 KB; Step Functions cuts a longer one.
const MAX_ESCAPED_DATA: usize = 248 * 1024;

/// `loggingConfiguration.level`: which history events are logged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Level {
    All,
    Error,
    Fatal,
    Off,
}

impl Level {
    fn parse(text: &str) -> Option<Level> {
        match text {
            "ALL" => Some(Level::All),
            "ERROR" => Some(Level::Error),
            "FATAL" => Some(Level::Fatal),
            "OFF" => Some(Level::Off),
            _ => None,
        }
    }

    /// Whether an event with `details` is logged at this level (AWS's table, and the module's note on what it
    /// leaves out).
    pub(crate) fn selects(self, details: &EventDetails) -> bool {
        let fatal = matches!(
            details,
            EventDetails::ExecutionFailed(_) | EventDetails::ExecutionAborted(_) | EventDetails::ExecutionTimedOut(_)
        );
        match self {
            Level::All => true,
            Level::Off => false,
            Level::Fatal => fatal,
            Level::Error => {
                fatal
                    || matches!(
                        details,
                        EventDetails::StateEntered { state_type: "Fail", .. }
                            // TaskStateAborted, WaitStateAborted (Map and Parallel have their own events).
                            | EventDetails::StateAborted { .. }
                            | EventDetails::TaskFailed { .. }
                            | EventDetails::TaskTimedOut { .. }
                            | EventDetails::LambdaFunctionFailed(_)
                            | EventDetails::LambdaFunctionTimedOut(_)
                            | EventDetails::ActivityFailed(_)
                            | EventDetails::ActivityTimedOut(_)
                            | EventDetails::ParallelStateFailed
                            | EventDetails::ParallelStateAborted
                            | EventDetails::MapStateFailed
                            | EventDetails::MapStateAborted
                            | EventDetails::MapIterationFailed { .. }
                            | EventDetails::MapIterationAborted { .. }
                            | EventDetails::MapRunFailed(_)
                            | EventDetails::MapRunAborted
                            | EventDetails::EvaluationFailed { .. }
                    )
            }
        }
    }
}

/// A machine's `loggingConfiguration`, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Logging {
    pub(crate) level: Level,
    /// `includeExecutionData`: false (the default) leaves inputs and outputs out of the records.
    pub(crate) include_data: bool,
    /// The one destination's `logGroupArn` (ending in `:*`), when there is one.
    pub(crate) log_group_arn: Option<String>,
}

impl Logging {
    /// The configuration as a machine without one has it.
    pub(crate) const OFF: Logging = Logging { level: Level::Off, include_data: false, log_group_arn: None };

    /// Reads a configuration as the API keeps it (JSON text with the API's member names), checking what AWS checks
    /// when a machine is created or updated with it: a level of the four, and exactly one destination, a log group
    /// ARN with the `:*` qualifier, unless the level is `OFF` (messages as AWS words them).
    pub(crate) fn parse(text: &str) -> Result<Logging, Error> {
        let invalid = |problem: &str| Error::InvalidLoggingConfiguration(format!("Invalid Logging Configuration: {problem}"));
        let value: Value = serde_json::from_str(text).map_err(|_| invalid("not a JSON object."))?;
        if !value.is_object() {
            return Err(invalid("not a JSON object."));
        }
        let level = match value.get("level") {
            None | Some(Value::Null) => Level::Off,
            Some(level) => level.as_str().and_then(Level::parse).ok_or_else(|| invalid("Unknown log level."))?,
        };
        let include_data = value.get("includeExecutionData").and_then(Value::as_bool).unwrap_or(false);
        let destinations = value.get("destinations").and_then(Value::as_array).map_or(&[][..], Vec::as_slice);
        let one_destination = "Must specify exactly one Log Destination.";
        if destinations.len() > 1 {
            return Err(invalid(one_destination));
        }
        let log_group_arn = destinations
            .first()
            .and_then(|destination| destination.pointer("/cloudWatchLogsLogGroup/logGroupArn"))
            .and_then(Value::as_str)
            .map(str::to_owned);
        if level != Level::Off {
            match &log_group_arn {
                None => return Err(invalid(one_destination)),
                Some(arn) if !arn.ends_with(":*") => return Err(invalid("Log Group ARN must be provided with '*' qualifier.")),
                Some(_) => {}
            }
        }
        Ok(Logging { level, include_data, log_group_arn })
    }

    /// The configuration of a machine from the text it keeps; one that does not read (kept before Baton checked
    /// configurations) logs nothing.
    pub(crate) fn of(text: Option<&str>) -> Logging {
        text.and_then(|text| Logging::parse(text).ok()).unwrap_or(Logging::OFF)
    }
}

/// Checks the `loggingConfiguration` of a CreateStateMachine or UpdateStateMachine (`Logging::parse`).
pub(crate) fn check(text: Option<&str>) -> Result<(), Error> {
    text.map_or(Ok(()), |text| Logging::parse(text).map(drop))
}

/// The record CloudWatch Logs would receive for `event` of the execution `execution_arn` (see the module's note),
/// as one line of JSON without its line end.
pub(crate) fn record(execution_arn: &str, redrive_count: u32, include_data: bool, event: &HistoryEvent) -> String {
    let mut wire = event.to_json();
    let details = wire
        .as_object_mut()
        .and_then(|object| {
            let key = object.keys().find(|key| key.ends_with("EventDetails")).cloned()?;
            object.remove(&key)
        })
        .unwrap_or_else(|| json!({}));
    let mut details = match details {
        Value::Object(details) => details,
        _ => serde_json::Map::new(),
    };
    for (data, about) in [("input", "inputDetails"), ("output", "outputDetails")] {
        if !include_data {
            details.remove(data);
            details.remove(about);
            continue;
        }
        if let Some(Value::String(text)) = details.get_mut(data)
            && cut(text)
        {
            details.insert(about.to_owned(), json!({"truncated": true}));
        }
    }
    json!({
        "id": event.id.to_string(),
        "type": event.details.event_type(),
        "details": details,
        "previous_event_id": event.previous_event_id.to_string(),
        "event_timestamp": event.timestamp.to_string(),
        "execution_arn": execution_arn,
        "redrive_count": redrive_count.to_string(),
    })
    .to_string()
}

/// Cuts `text` so that its escaped form (as a JSON string, without the quotes) fits `MAX_ESCAPED_DATA`; whether it
/// was cut.
fn cut(text: &mut String) -> bool {
    // An escaped character takes at most six bytes (`\u001f`): a short text always fits.
    if text.len() <= MAX_ESCAPED_DATA / 6 {
        return false;
    }
    let mut escaped = 0;
    for (at, c) in text.char_indices() {
        escaped += match c {
            '"' | '\\' | '\n' | '\r' | '\t' | '\u{8}' | '\u{c}' => 2,
            c if (c as u32) < 0x20 => 6,
            c => c.len_utf8(),
        };
        if escaped > MAX_ESCAPED_DATA {
            text.truncate(at);
            return true;
        }
    }
    false
}

/// Where execution log records go (`baton serve --execution-log`, and CloudWatch Logs unless `--offline` or
/// `--no-execution-log-to-cloudwatch`): a writer the
/// binary opened (a file in append mode, or stdout), and whether records are also sent to the CloudWatch Logs group
/// each configuration names (`cloudwatch`). Cheap to clone; services opened with clones share the writer.
#[derive(Clone, Default)]
pub struct ExecutionLogSink {
    writer: Option<Arc<Mutex<Box<dyn Write + Send>>>>,
    cloudwatch: bool,
}

impl ExecutionLogSink {
    /// Records written to `writer`.
    pub fn new(writer: impl Write + Send + 'static) -> ExecutionLogSink {
        ExecutionLogSink { writer: Some(Arc::new(Mutex::new(Box::new(writer)))), cloudwatch: false }
    }

    /// Records sent to CloudWatch Logs too (or only, for a sink without a writer: `ExecutionLogSink::default()`).
    pub fn to_cloudwatch(self) -> ExecutionLogSink {
        ExecutionLogSink { cloudwatch: true, ..self }
    }
}

impl std::fmt::Debug for ExecutionLogSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExecutionLogSink").field("writer", &self.writer.is_some()).field("cloudwatch", &self.cloudwatch).finish()
    }
}

/// One committed batch's events to log (already selected when its configuration was known).
struct Batch {
    machine_arn: String,
    execution_arn: String,
    redrive_count: u32,
    events: Vec<HistoryEvent>,
}

/// What the service knows of a machine's configuration.
enum Known {
    Configured(Arc<Logging>),
    /// Being read from the store; the batches committed meanwhile, all their events, in order.
    LookingUp(Vec<Batch>),
}

enum Message {
    Batch(Arc<Logging>, Batch),
    /// Answered once everything sent before it is written and flushed.
    Flush(tokio::sync::oneshot::Sender<()>),
}

/// The execution log of a service: the configurations it knows and the channel to its writer thread.
pub(crate) struct ExecutionLog {
    sender: SyncSender<Message>,
    machines: Mutex<HashMap<String, Known>>,
    dropped: Arc<AtomicU64>,
    /// The service, to read the configuration of a machine not known yet (set once the service exists).
    inner: OnceLock<Weak<Inner>>,
    runtime: tokio::runtime::Handle,
}

impl ExecutionLog {
    /// Starts the writer thread on `sink` (and the sender to CloudWatch Logs through `aws`, when the sink asks for
    /// it). Called inside the service's async runtime.
    pub(crate) fn start(sink: &ExecutionLogSink, aws: &integrations::aws::Aws) -> Result<ExecutionLog, Error> {
        let runtime = tokio::runtime::Handle::try_current()
            .map_err(|error| Error::Internal(format!("the execution log needs the async runtime: {error}")))?;
        let cloud = match sink.cloudwatch {
            true if aws.offline() => {
                tracing::warn!("--offline: execution log records are not sent to CloudWatch Logs");
                None
            }
            true => {
                let started = jiff::Timestamp::from_millisecond(super::now()).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
                let node = super::names::uuid();
                let started = format!("{}/{}", started.strftime("%Y-%m-%d-%H-%M"), node.get(..8).unwrap_or("00000000"));
                Some(cloudwatch::start(&runtime, aws.clone(), &started))
            }
            false => None,
        };
        let (sender, receiver) = std::sync::mpsc::sync_channel(QUEUE);
        let dropped = Arc::new(AtomicU64::new(0));
        let writer = sink.writer.clone();
        let counter = dropped.clone();
        std::thread::Builder::new()
            .name("baton-execution-log".to_owned())
            .spawn(move || write_loop(&receiver, writer.as_deref(), cloud.as_ref(), &counter))
            .map_err(|error| Error::Internal(format!("cannot start the execution log's writer: {error}")))?;
        Ok(ExecutionLog { sender, machines: Mutex::new(HashMap::new()), dropped, inner: OnceLock::new(), runtime })
    }

    /// Lets the log read configurations from the service's store.
    pub(crate) fn attach(&self, inner: Weak<Inner>) {
        let _ = self.inner.set(inner);
    }

    /// The machine `arn` now has the configuration kept as `text` (created, updated, or read to start an execution):
    /// the batches held while it was being read go out with it.
    pub(crate) fn configure(&self, arn: &str, text: Option<&str>) {
        self.known(arn, Arc::new(Logging::of(text)), true);
    }

    /// The machine `arn`, about to start an execution, keeps `text`: known from now on unless it was already.
    pub(crate) fn meet(&self, arn: &str, text: Option<&str>) {
        if matches!(lock(&self.machines).get(arn), Some(Known::Configured(_))) {
            return;
        }
        self.known(arn, Arc::new(Logging::of(text)), false);
    }

    /// Records `logging` as `arn`'s configuration (unless one is known and `replace` is false), and sends the
    /// batches held for it, in order, under the lock, so that no later batch overtakes them.
    fn known(&self, arn: &str, logging: Arc<Logging>, replace: bool) {
        let mut machines = lock(&self.machines);
        let held = match machines.get_mut(arn) {
            Some(Known::Configured(_)) if !replace => return,
            Some(Known::LookingUp(held)) => std::mem::take(held),
            _ => Vec::new(),
        };
        machines.insert(arn.to_owned(), Known::Configured(logging.clone()));
        for mut batch in held {
            batch.events.retain(|event| logging.level.selects(&event.details));
            self.send(&logging, batch);
        }
    }

    /// Hands a committed batch to the writer: its selected events, or, while its machine's configuration is being
    /// read, all of them to hold.
    pub(crate) fn observe(&self, committed: &Committed<'_>) {
        let execution = committed.execution;
        let batch = |events: Vec<HistoryEvent>| Batch {
            machine_arn: execution.state_machine_arn.clone(),
            execution_arn: execution.arn.clone(),
            redrive_count: execution.redrive_count,
            events,
        };
        let mut machines = lock(&self.machines);
        match machines.get_mut(&execution.state_machine_arn) {
            Some(Known::Configured(logging)) => {
                if logging.level == Level::Off {
                    return;
                }
                let events: Vec<HistoryEvent> =
                    committed.events.iter().filter(|event| logging.level.selects(&event.details)).cloned().collect();
                let logging = logging.clone();
                drop(machines);
                self.send(&logging, batch(events));
            }
            Some(Known::LookingUp(held)) => held.push(batch(committed.events.to_vec())),
            None => {
                let arn = execution.state_machine_arn.clone();
                machines.insert(arn.clone(), Known::LookingUp(vec![batch(committed.events.to_vec())]));
                drop(machines);
                self.look_up(arn);
            }
        }
    }

    /// Reads the configuration of the machine `arn` from the store, then sends what was held for it. A machine that
    /// is gone logs nothing; a store that does not answer drops what was held, and the next batch asks again.
    fn look_up(&self, arn: String) {
        let Some(inner) = self.inner.get().cloned() else { return };
        self.runtime.spawn(async move {
            let Some(inner) = inner.upgrade() else { return };
            let Some(log) = &inner.execution_log else { return };
            match inner.store.state_machine(&arn).await {
                Ok(machine) => {
                    let text = machine.and_then(|machine| machine.logging_configuration);
                    log.known(&arn, Arc::new(Logging::of(text.as_deref())), false);
                }
                Err(error) => {
                    let held = lock(&log.machines).remove(&arn);
                    let lost = match held {
                        Some(Known::LookingUp(held)) => held.len(),
                        _ => 0,
                    };
                    tracing::warn!(state_machine_arn = %arn, %error, batches = lost, "cannot read the state machine's logging configuration: its execution log records are lost");
                }
            }
        });
    }

    fn send(&self, logging: &Arc<Logging>, batch: Batch) {
        if batch.events.is_empty() {
            return;
        }
        match self.sender.try_send(Message::Batch(logging.clone(), batch)) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => {
                self.dropped.fetch_add(1, Ordering::Relaxed);
            }
            Err(TrySendError::Disconnected(_)) => {}
        }
    }

    /// Waits (at most `timeout`) until everything handed to the writer so far is written and flushed.
    pub(crate) async fn flush(&self, timeout: std::time::Duration) {
        let (done, written) = tokio::sync::oneshot::channel();
        // A full queue has no room for the request; the writer flushes once it empties anyway.
        if self.sender.try_send(Message::Flush(done)).is_ok() {
            let _ = tokio::time::timeout(timeout, written).await;
        }
    }
}

/// The writer thread: renders each batch's records, writes what arrived together in one go, flushes, hands the
/// records of configurations with a log group to the CloudWatch Logs sender (`cloud`, when sending), and says when
/// batches were dropped. Ends when the service's log is dropped.
fn write_loop(
    receiver: &Receiver<Message>,
    writer: Option<&Mutex<Box<dyn Write + Send>>>,
    cloud: Option<&tokio::sync::mpsc::Sender<Vec<cloudwatch::Delivery>>>,
    dropped: &AtomicU64,
) {
    let mut text = Vec::new();
    while let Ok(first) = receiver.recv() {
        let mut flushed = Vec::new();
        let mut deliveries = Vec::new();
        let mut next = Some(first);
        while let Some(message) = next {
            match message {
                Message::Batch(logging, batch) => {
                    let group = logging.log_group_arn.as_ref().filter(|_| cloud.is_some());
                    for event in &batch.events {
                        let line = record(&batch.execution_arn, batch.redrive_count, logging.include_data, event);
                        if writer.is_some() {
                            text.extend_from_slice(line.as_bytes());
                            text.push(b'\n');
                        }
                        if let Some(group) = group {
                            deliveries.push(cloudwatch::Delivery {
                                group_arn: group.clone(),
                                machine_arn: batch.machine_arn.clone(),
                                timestamp: event.timestamp,
                                message: line,
                            });
                        }
                    }
                }
                Message::Flush(done) => flushed.push(done),
            }
            next = receiver.try_recv().ok();
        }
        if let Some(writer) = writer {
            let mut out = lock(writer);
            if let Err(error) = out.write_all(&text).and_then(|()| out.flush()) {
                tracing::warn!(%error, "cannot write the execution log");
            }
        }
        text.clear();
        if let Some(cloud) = cloud
            && !deliveries.is_empty()
            && cloud.try_send(deliveries).is_err()
        {
            dropped.fetch_add(1, Ordering::Relaxed);
        }
        for done in flushed {
            let _ = done.send(());
        }
        let lost = dropped.swap(0, Ordering::Relaxed);
        if lost > 0 {
            tracing::warn!(batches = lost, "the execution log's writer fell behind: batches of records were dropped");
        }
    }
}

#[cfg(test)]
mod tests;
