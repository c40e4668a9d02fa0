//! One running execution: a task that owns the engine's `Execution`, folds each message into it, commits the step,
//! and only then performs the step's commands.
//!
//! Messages that queue up while a step commits are folded together and committed in one `append`, so a busy
//! execution costs one durable write per batch, and the store's group commit joins many executions' batches.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;

use asl::Failure;
use engine::{Command, MapRunInfo, Status, TaskId, TaskRequest, TimerId, Trigger};
use store::{Append, Ending, Event, Store};

use crate::resources::{Answer, Resources};
use crate::service::callbacks::Closed;
use crate::service::{Inner, Service, children, now};

/// What an execution's task hears from the outside.
#[derive(Debug)]
pub(crate) enum Message {
    Task(TaskId, Result<Value, Failure>),
    /// SendTaskSuccess or SendTaskFailure with a task's token.
    Callback(TaskId, Result<Value, Failure>),
    /// A callback task's request was made (it waits for its token), or could not be made (the task fails).
    Submitted(TaskId, Result<Value, Failure>),
    /// An activity worker took the task.
    Started(TaskId, String),
    Heartbeat(TaskId),
    Timer(TimerId),
    Stop { error: Option<String>, cause: Option<String> },
    /// UpdateMapRun: committed as a step like any other message.
    UpdateMapRun { map_run_arn: String, max_concurrency: Option<u64>, tolerated_failure_count: Option<u64>, tolerated_failure_percentage: Option<f64> },
    /// A read of the execution's Map runs: answered without a step, once the messages before it are committed.
    Inspect(oneshot::Sender<Vec<MapRunInfo>>),
}

/// The handle the service keeps for a running execution.
#[derive(Clone)]
pub(crate) struct Live {
    pub(crate) sender: mpsc::UnboundedSender<Message>,
    /// Becomes `Some` with the final record when the execution ends.
    pub(crate) done: watch::Receiver<Option<store::Execution>>,
}

pub(crate) struct Actor {
    pub(crate) inner: Arc<Inner>,
    pub(crate) execution: engine::Execution,
    pub(crate) record: store::Execution,
    pub(crate) durable: bool,
    pub(crate) resources: Arc<Resources>,
    pub(crate) invocations: HashMap<String, u32>,
    pub(crate) sender: mpsc::UnboundedSender<Message>,
    pub(crate) receiver: mpsc::UnboundedReceiver<Message>,
    pub(crate) done: watch::Sender<Option<store::Execution>>,
    pub(crate) timers: HashMap<TimerId, JoinHandle<()>>,
    /// Set when the engine panicked on this execution: it has been failed and serves nothing more.
    pub(crate) broken: bool,
    /// The tokens of the tasks waiting for them.
    pub(crate) task_tokens: HashMap<TaskId, String>,
    /// Callback tasks whose request is being made, with the callback that arrived before the request returned (the
    /// endpoint may answer through SendTaskSuccess first): it is applied after TaskSubmitted, as AWS records it.
    pub(crate) submitting: HashMap<TaskId, Option<Result<Value, Failure>>>,
}

impl Actor {
    /// Performs `commands` (from the start, or from recovery), then serves messages until the execution ends.
    pub(crate) async fn run(mut self, commands: Vec<Command>) {
        self.perform(commands);
        if !matches!(self.execution.status(), Status::Running) {
            self.finish();
            return;
        }
        while let Some(message) = self.receiver.recv().await {
            let mut steps = Vec::new();
            let mut readers = Vec::new();
            self.fold(message, &mut steps, &mut readers);
            while !self.broken && matches!(self.execution.status(), Status::Running) {
                match self.receiver.try_recv() {
                    Ok(message) => self.fold(message, &mut steps, &mut readers),
                    Err(_) => break,
                }
            }
            if steps.is_empty() {
                self.answer(readers);
                continue;
            }
            let commands: Vec<Command> = steps.iter_mut().flat_map(|(_, commands)| std::mem::take(commands)).collect();
            let appends: Vec<Append> = steps.into_iter().map(|(append, _)| append).collect();
            if self.durable {
                if let Err(error) = self.inner.store.append(appends).await {
                    // The step is not durable, so its effects must not happen. The execution stays RUNNING in the
                    // store and resumes from its last committed step when the server restarts.
                    tracing::error!(execution_arn = %self.record.arn, %error, "cannot commit a step; the execution pauses until a restart resumes it from its last committed step");
                    self.abandon();
                    return;
                }
            } else {
                self.inner.express.record_steps(&self.record.arn, appends);
            }
            self.perform(commands);
            self.answer(readers);
            if self.broken || !matches!(self.execution.status(), Status::Running) {
                self.finish();
                return;
            }
        }
    }

    /// Answers reads (`Message::Inspect`) with the committed state.
    fn answer(&self, readers: Vec<oneshot::Sender<Vec<MapRunInfo>>>) {
        for reader in readers {
            let _ = reader.send(self.execution.map_runs().to_vec());
        }
    }

    /// The step that records an internal error: `ExecutionFailed` after the events already stored.
    fn internal_failure(&mut self, trigger: String, message: &str) -> Append {
        let id = self.execution.history().len() as u64 + 1;
        let stop = now();
        let cause = format!("Baton internal error: {message}");
        let event = serde_json::json!({
            "timestamp": stop as f64 / 1000.0,
            "type": "ExecutionFailed",
            "id": id,
            "previousEventId": id - 1,
            "executionFailedEventDetails": {"error": asl::errors::RUNTIME, "cause": cause},
        });
        let ending = Ending {
            status: store::Status::Failed,
            stop,
            output: None,
            error: Some(asl::errors::RUNTIME.to_owned()),
            cause: Some(cause),
        };
        self.record.status = store::Status::Failed;
        self.record.stop = Some(stop);
        self.record.error = ending.error.clone();
        self.record.cause = ending.cause.clone();
        Append {
            execution_arn: self.record.arn.clone(),
            trigger,
            events: vec![Event { id, json: event.to_string() }],
            ending: Some(ending),
        }
    }

    /// Applies one message and records the step it makes; a read waits in `readers` for the steps to commit.
    fn fold(&mut self, message: Message, steps: &mut Vec<(Append, Vec<Command>)>, readers: &mut Vec<oneshot::Sender<Vec<MapRunInfo>>>) {
        let now = now();
        let trigger = match message {
            Message::Task(task, outcome) => self.completed(task, outcome, now),
            Message::Callback(task, outcome) => {
                if let Some(held) = self.submitting.get_mut(&task) {
                    // The first callback wins, as it would once the request had returned.
                    held.get_or_insert(outcome);
                    return;
                }
                self.completed(task, outcome, now)
            }
            Message::Submitted(task, Ok(output)) => {
                if let Some(Some(outcome)) = self.submitting.remove(&task) {
                    self.apply(Trigger::TaskSubmitted { task, output, now }, steps);
                    if self.broken {
                        return;
                    }
                    self.completed(task, outcome, now)
                } else {
                    Trigger::TaskSubmitted { task, output, now }
                }
            }
            Message::Submitted(task, Err(failure)) => {
                // The request failed: the task fails, whatever its token brought meanwhile.
                self.submitting.remove(&task);
                self.completed(task, Err(failure), now)
            }
            Message::Timer(timer) => {
                self.timers.remove(&timer);
                Trigger::TimerFired { timer, now }
            }
            Message::Stop { error, cause } => Trigger::Stop { error, cause, now },
            Message::Started(task, worker) => Trigger::TaskStarted { task, worker, now },
            Message::Heartbeat(task) => Trigger::TaskHeartbeat { task, now },
            Message::UpdateMapRun { map_run_arn, max_concurrency, tolerated_failure_count, tolerated_failure_percentage } => {
                Trigger::UpdateMapRun { map_run_arn, max_concurrency, tolerated_failure_count, tolerated_failure_percentage, now }
            }
            Message::Inspect(reader) => {
                readers.push(reader);
                return;
            }
        };
        self.apply(trigger, steps);
    }

    /// The trigger that completes `task`, closing its token.
    fn completed(&mut self, task: TaskId, outcome: Result<Value, Failure>, now: i64) -> Trigger {
        if let Some(token) = self.task_tokens.remove(&task) {
            self.inner.callbacks.close(&token, Closed::Completed);
        }
        Trigger::TaskCompleted { task, outcome, now }
    }

    /// Applies one trigger to the engine and records the step it makes.
    fn apply(&mut self, trigger: Trigger, steps: &mut Vec<(Append, Vec<Command>)>) {
        let before = self.execution.history().len();
        let stored = trigger.to_json().to_string();
        let applied = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.execution.apply(trigger)));
        match applied {
            Ok(commands) => {
                let append = step(&self.record.arn, stored, &self.execution, before);
                steps.push((append, commands));
            }
            Err(panic) => {
                // A bug in the engine: fail this execution, keep serving the others.
                let message = panic_message(&panic);
                tracing::error!(execution_arn = %self.record.arn, panic = %message, "internal error: a step panicked; the execution fails");
                steps.push((self.internal_failure(stored, &message), Vec::new()));
                self.broken = true;
            }
        }
    }

    fn perform(&mut self, commands: Vec<Command>) {
        for command in commands {
            match command {
                Command::InvokeTask(request) => {
                    let invocation = self.invocations.entry(request.state_name.clone()).or_insert(0);
                    let n = *invocation;
                    *invocation += 1;
                    let Some(request) = self.callback(request, n) else { continue };
                    let sender = self.sender.clone();
                    if children::is_start_execution(&request.resource) && !self.mocked(&request, n) {
                        let service = Service { inner: self.inner.clone() };
                        let parent = self.record.arn.clone();
                        tokio::spawn(async move {
                            let outcome = children::run(&service, &parent, &request).await;
                            let _ = sender.send(Message::Task(request.task, outcome));
                        });
                        continue;
                    }
                    match self.resources.answer(&request.state_name, &request.resource, n) {
                        Answer::Now(outcome) => {
                            // The receiver lives as long as this actor; a failed send means it already ended.
                            let _ = sender.send(Message::Task(request.task, outcome));
                        }
                        Answer::Function => {
                            let (resources, arn) = (self.resources.clone(), self.record.arn.clone());
                            tokio::task::spawn_blocking(move || {
                                let outcome = resources.invoke(&arn, &request);
                                let _ = sender.send(Message::Task(request.task, outcome));
                            });
                        }
                    }
                }
                Command::StartTimer { timer, at } => {
                    let sender = self.sender.clone();
                    let wait = Duration::from_millis(u64::try_from(at.saturating_sub(now())).unwrap_or(0));
                    let handle = tokio::spawn(async move {
                        tokio::time::sleep(wait).await;
                        let _ = sender.send(Message::Timer(timer));
                    });
                    self.timers.insert(timer, handle);
                }
                Command::CancelTimer { timer } => {
                    if let Some(handle) = self.timers.remove(&timer) {
                        handle.abort();
                    }
                }
                // A cancelled task's answer is ignored by the engine; local functions cannot be interrupted. A
                // cancelled token can no longer complete its task.
                Command::CancelTask { task } => {
                    if let Some(token) = self.task_tokens.remove(&task) {
                        self.inner.callbacks.close(&token, Closed::TimedOut);
                    }
                }
            }
        }
    }

    /// Starts a task that reports through a token (a callback or an activity task). Returns the request when it is
    /// answered the ordinary way (by a mock), `None` when it now waits for its token.
    fn callback(&mut self, request: TaskRequest, invocation: u32) -> Option<TaskRequest> {
        let Some(token) = request.token.clone() else { return Some(request) };
        self.inner.callbacks.open(&token, &self.record.arn, request.task);
        self.task_tokens.insert(request.task, token.clone());
        if self.mocked(&request, invocation) {
            return Some(request);
        }
        self.submit(request, token);
        None
    }

    /// Whether the mock test case answers this invocation of the task's state.
    fn mocked(&self, request: &TaskRequest, invocation: u32) -> bool {
        self.resources.mocks.as_ref().is_some_and(|m| m.response(&request.state_name, invocation).is_some())
    }

    /// Makes a callback task's request, or queues an activity task for a worker.
    pub(crate) fn submit(&mut self, request: TaskRequest, token: String) {
        let sender = self.sender.clone();
        if engine::ResourceKind::of(&request.resource) == engine::ResourceKind::Activity {
            self.inner.activities.enqueue(&request.resource, token, request.parameters.to_string());
            return;
        }
        if children::is_start_execution(&request.resource) {
            self.submitting.insert(request.task, None);
            let service = Service { inner: self.inner.clone() };
            let parent = self.record.arn.clone();
            tokio::spawn(async move {
                let _ = sender.send(Message::Submitted(request.task, children::run(&service, &parent, &request).await));
            });
            return;
        }
        if integrations::lambda::is_lambda(&request.resource) || integrations::http::is_http(&request.resource) {
            self.submitting.insert(request.task, None);
            let (resources, arn) = (self.resources.clone(), self.record.arn.clone());
            tokio::task::spawn_blocking(move || {
                let _ = sender.send(Message::Submitted(request.task, resources.invoke(&arn, &request)));
            });
            return;
        }
        // Any other service: Baton cannot make the request, so the token is the whole interface (it appears in the
        // TaskScheduled event); the task waits for SendTaskSuccess or SendTaskFailure.
        let _ = sender.send(Message::Submitted(request.task, Ok(Value::Object(serde_json::Map::new()))));
    }

    /// The execution ended: publish its final record and forget it.
    fn finish(&mut self) {
        if let Some(ending) = ending(&self.execution).filter(|_| !self.broken) {
            self.record.status = ending.status;
            self.record.stop = Some(ending.stop);
            self.record.output = ending.output;
            self.record.error = ending.error;
            self.record.cause = ending.cause;
        }
        self.abandon();
        let _ = self.done.send(Some(self.record.clone()));
    }

    /// Stops the timers and drops the execution from the live set.
    fn abandon(&mut self) {
        for (_, handle) in self.timers.drain() {
            handle.abort();
        }
        for (_, token) in self.task_tokens.drain() {
            self.inner.callbacks.close(&token, Closed::Ended);
        }
        self.inner.forget(&self.record.arn);
    }
}

/// The text of a panic's payload.
fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> String {
    match (panic.downcast_ref::<&str>(), panic.downcast_ref::<String>()) {
        (Some(text), _) => (*text).to_owned(),
        (_, Some(text)) => text.clone(),
        _ => "a panic".to_owned(),
    }
}

/// The `Append` for the events `execution` added after the first `before`.
pub(crate) fn step(arn: &str, trigger: String, execution: &engine::Execution, before: usize) -> Append {
    let events = execution
        .history()
        .get(before..)
        .unwrap_or_default()
        .iter()
        .map(|event| Event { id: event.id, json: event.to_json().to_string() })
        .collect();
    Append { execution_arn: arn.to_owned(), trigger, events, ending: ending(execution) }
}

/// How the execution ended, if it did.
pub(crate) fn ending(execution: &engine::Execution) -> Option<Ending> {
    let stop = execution.history().last().map_or(0, |event| event.timestamp);
    let (status, output, details) = match execution.status() {
        Status::Succeeded { output } => (store::Status::Succeeded, Some(output.to_string()), None),
        Status::Failed(details) => (store::Status::Failed, None, Some(details)),
        Status::TimedOut(details) => (store::Status::TimedOut, None, Some(details)),
        Status::Aborted(details) => (store::Status::Aborted, None, Some(details)),
        Status::Running | Status::NotStarted => return None,
    };
    Some(Ending {
        status,
        stop,
        output,
        error: details.and_then(|d| d.error.clone()),
        cause: details.and_then(|d| d.cause.clone()),
    })
}
