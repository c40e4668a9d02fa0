//! One running execution: a task that owns the engine's `Execution`, folds each message into it, commits the step,
//! and only then performs the step's commands and answers the callers whose messages it folded.
//!
//! Messages that queue up while a step commits are folded together and committed in one `append`, so a busy
//! execution costs one durable write per batch, and the store's group commit joins many executions' batches. An API
//! call that changes the execution (SendTask*, StopExecution, UpdateMapRun, an activity task taken) sends its message
//! with an `Ack` and answers only once that ack says the step is committed.
//!
//! Folding is bounded: each fold takes at most `SLICE_STEPS` steps and about `SLICE_BYTES` of event payloads before it
//! pauses (the rest follows as `Trigger::Resume`, committed as its own step), so an execution holds a bounded part of
//! its history in memory; its events go to the store step by step. An execution whose definition has JSONata folds on
//! a blocking thread, where a slow expression cannot stall the server's async workers, and its evaluations are cut
//! off by the service's watchdog after `Config::max_evaluation_ms` (recorded in the step's `FoldNote`, so a replay
//! gives the same history). A stop (StopExecution, shutdown) interrupts a running evaluation: that fold is thrown
//! away and the execution rebuilt from what is committed.
//!
//! Every fold runs under a panic guard: a bug in the engine fails this execution (`Trigger::Fail`, numbered after
//! the last event of the steps before it) and the server goes on.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;

use asl::Failure;
use engine::{Command, ExecutionInfo, FoldNote, HistoryEvent, MapRunInfo, Status, TaskId, TaskRequest, TimerId, Trigger};
use store::{Append, ChildStep, Ending, Event, Execution, Store};

use crate::integration::{Integration, Kind, Routes};
use crate::resources::Resources;
use crate::service::callbacks::Closed;
use crate::service::{Error, Inner, Service, WaitingTask, children, now};

/// Most steps one fold takes before it pauses.
pub(crate) const SLICE_STEPS: usize = 5_000;
/// About how many bytes of event payloads one fold emits before it pauses.
pub(crate) const SLICE_BYTES: usize = 4 << 20;
/// Most messages folded into one batch.
const MAX_BATCH: usize = 256;

/// Told once what a message changed is committed (or why it is not). A message another node posted to the inbox
/// (`inbox`) is answered in the transaction of the step that commits it.
#[derive(Debug)]
pub(crate) struct Ack {
    sender: oneshot::Sender<Result<(), Error>>,
    pub(crate) inbox: Option<i64>,
}

impl Ack {
    /// An ack, for the inbox message `inbox` if it answers one, and where its answer arrives.
    pub(crate) fn channel(inbox: Option<i64>) -> (Ack, oneshot::Receiver<Result<(), Error>>) {
        let (sender, receiver) = oneshot::channel();
        (Ack { sender, inbox }, receiver)
    }

    pub(crate) fn send(self, result: Result<(), Error>) -> Result<(), Result<(), Error>> {
        self.sender.send(result)
    }
}

/// What an execution's task hears from the outside.
#[derive(Debug)]
pub(crate) enum Message {
    Task(TaskId, Result<Value, Failure>),
    /// SendTaskSuccess or SendTaskFailure with a task's token.
    Callback(TaskId, Result<Value, Failure>, Ack),
    /// A callback task's request was made (it waits for its token), or could not be made (the task fails).
    Submitted(TaskId, Result<Value, Failure>),
    /// An activity worker took the task.
    Started(TaskId, String, Ack),
    Heartbeat(TaskId, Ack),
    Timer(TimerId),
    Stop { error: Option<String>, cause: Option<String>, ack: Ack },
    /// UpdateMapRun: committed as a step like any other message.
    UpdateMapRun {
        map_run_arn: String,
        max_concurrency: Option<u64>,
        tolerated_failure_count: Option<u64>,
        tolerated_failure_percentage: Option<f64>,
        ack: Ack,
    },
    /// A read of the execution: answered without a step, once the messages before it are committed.
    Inspect(Read),
    /// The service shuts down: the actor commits what it folded before this and ends.
    Shutdown,
}

/// What a `Message::Inspect` reads, and where the answer goes.
#[derive(Debug)]
pub(crate) enum Read {
    /// The distributed Map runs (`Service::describe_map_run`).
    MapRuns(oneshot::Sender<Vec<MapRunInfo>>),
    /// The tasks whose tokens are out (`Service::waiting_tasks`).
    Waiting(oneshot::Sender<Vec<WaitingTask>>),
}

/// A task that completes through its token, as the actor keeps it.
pub(crate) struct TokenTask {
    pub(crate) token: String,
    pub(crate) state_name: String,
    pub(crate) resource: String,
    pub(crate) scheduled_event: Option<u64>,
    /// The token is out: the callback's request was made (`TaskSubmitted`) or a worker took the activity task
    /// (`TaskStarted`). Before that, only a mock or Baton itself has it.
    pub(crate) out: bool,
}

impl TokenTask {
    fn of(request: &TaskRequest, token: String, out: bool) -> TokenTask {
        TokenTask {
            token,
            state_name: request.state_name.clone(),
            resource: request.resource.clone(),
            scheduled_event: request.scheduled_event.map(u64::from),
            out,
        }
    }
}

/// The handle the service keeps for a running execution.
#[derive(Clone)]
pub(crate) struct Live {
    pub(crate) sender: mpsc::UnboundedSender<Message>,
    /// Becomes `Some` with the final record when the execution ends.
    pub(crate) done: watch::Receiver<Option<store::Execution>>,
    /// Its JSONata evaluations, for the watchdog and for stops.
    pub(crate) watch: Arc<asl::Watch>,
    /// The epoch of the claim it runs under, on a shared store.
    pub(crate) lease_epoch: Option<u64>,
}

/// A task of a rebuilt execution that must not be invoked again: it waits for its token, or its `.sync` job was
/// submitted (`submitted` holds the start's answer, which names the job to watch).
pub(crate) struct Awaiting {
    pub(crate) request: TaskRequest,
    pub(crate) submitted: Option<Value>,
}

pub(crate) struct Actor {
    /// The events of the steps not committed yet, for the observers (`observe`).
    pub(crate) observed: Vec<HistoryEvent>,
    pub(crate) inner: Arc<Inner>,
    pub(crate) execution: engine::Execution,
    pub(crate) record: store::Execution,
    pub(crate) durable: bool,
    pub(crate) resources: Arc<Resources>,
    pub(crate) invocations: HashMap<String, u32>,
    pub(crate) sender: mpsc::UnboundedSender<Message>,
    pub(crate) receiver: mpsc::UnboundedReceiver<Message>,
    pub(crate) done: watch::Sender<Option<store::Execution>>,
    /// The timers armed: the task that fires each (none for a timer due at once, whose message is queued already), and
    /// when it is due on the execution's clock.
    pub(crate) timers: HashMap<TimerId, (Option<JoinHandle<()>>, i64)>,
    /// Set when the engine panicked on this execution: it has been failed and serves nothing more.
    pub(crate) broken: bool,
    /// The tokens of the tasks waiting for them.
    pub(crate) task_tokens: HashMap<TaskId, TokenTask>,
    /// The `.sync` jobs being watched: a message on the sender stops the job (its task was cancelled).
    pub(crate) jobs: HashMap<TaskId, oneshot::Sender<()>>,
    /// The integration of each Task resource of the machine.
    pub(crate) routes: Routes,
    /// The digest of the events so far (`digest`), committed or folded in the batch being built.
    pub(crate) digest: u64,
    /// Fold on a blocking thread: the definition has JSONata, whose evaluation may take long.
    pub(crate) offload: bool,
    /// How far the execution's clock is ahead of the wall clock, in milliseconds (`Config::virtual_time`).
    pub(crate) offset: i64,
    /// The claim this node holds the execution under, on a shared store: every step is written under it, and one
    /// that is refused (another node claimed the execution) ends this actor without effects.
    pub(crate) lease: Option<store::Lease>,
    /// The wake time the store holds for the execution: it is parked there (`park`), though live here until it leaves.
    pub(crate) parked: Option<i64>,
}

/// What folding a batch of messages gave.
#[derive(Default)]
struct Folded {
    steps: Vec<(Append, Vec<Command>)>,
    /// The callers to tell once the steps are committed.
    acks: Vec<Ack>,
    readers: Vec<Read>,
    /// A stop interrupted a fold: it and the messages after it (`rest`) were not folded; the engine must be rebuilt.
    interrupted: Option<Interrupted>,
    /// The service shuts down: end once the steps are committed.
    shutdown: bool,
}

struct Interrupted {
    /// The ack of the message whose fold was thrown away.
    voided: Option<Ack>,
    rest: Vec<Message>,
}

impl Actor {
    /// Opens the tokens of tasks that wait for them, performs `commands` (from the start, or from recovery), then
    /// serves messages until the execution ends.
    pub(crate) async fn run(mut self, commands: Vec<Command>, awaiting: Vec<Awaiting>) {
        for Awaiting { request, submitted } in awaiting {
            match (request.token.clone(), submitted) {
                (Some(token), _) => {
                    self.inner.callbacks.open(&token, &self.record.arn, request.task);
                    self.task_tokens.insert(request.task, TokenTask::of(&request, token, true));
                }
                // A `.sync` job submitted before a restart: watch it again rather than start another.
                (None, Some(started)) => {
                    let integration = self.routes.get(&request.resource);
                    if integration.kind() == Kind::Job {
                        self.run_job(integration, request, Some(started));
                    } else {
                        tracing::warn!(execution_arn = %self.record.arn, resource = %request.resource, "a submitted task Baton cannot watch");
                    }
                }
                (None, None) => {}
            }
        }
        self.perform(commands);
        self.skip_ahead();
        let mut actor = self;
        let mut pending: Vec<Message> = Vec::new();
        loop {
            if !matches!(actor.execution.status(), Status::Running) || actor.broken {
                actor.finish();
                return;
            }
            if pending.is_empty() && !actor.execution.has_work() {
                if actor.park().await {
                    return;
                }
                match actor.receiver.recv().await {
                    Some(message) => pending.push(message),
                    None => return,
                }
            }
            while pending.len() < MAX_BATCH {
                match actor.receiver.try_recv() {
                    Ok(message) => pending.push(message),
                    Err(_) => break,
                }
            }
            let batch = std::mem::take(&mut pending);
            let folded;
            (actor, folded) = match actor.fold_batch(batch).await {
                Some(done) => done,
                None => return,
            };
            let Folded { mut steps, acks, readers, interrupted, shutdown } = folded;
            if interrupted.is_none() {
                actor.mark_park(&mut steps);
            }
            if !actor.commit(steps, acks).await {
                return;
            }
            actor.answer(readers);
            if shutdown {
                actor.stop_timers();
                return;
            }
            if let Some(Interrupted { voided, rest }) = interrupted {
                if let Some(ack) = voided {
                    let _ = ack.send(Err(Error::TaskDoesNotExist("the execution is stopping".to_owned())));
                }
                if actor.inner.shutting_down() {
                    return;
                }
                if !actor.reload().await {
                    return;
                }
                pending = rest;
            }
        }
    }

    /// Folds `batch`, on a blocking thread when the definition has JSONata. `None` if that thread died.
    async fn fold_batch(mut self, batch: Vec<Message>) -> Option<(Actor, Folded)> {
        if !self.offload {
            let folded = self.fold_all(batch);
            return Some((self, folded));
        }
        let arn = self.record.arn.clone();
        let inner = self.inner.clone();
        match tokio::task::spawn_blocking(move || {
            let folded = self.fold_all(batch);
            (self, folded)
        })
        .await
        {
            Ok(done) => Some(done),
            Err(error) => {
                // Not a panic of the engine (those are caught per fold): the execution stays as last committed and
                // is adopted again.
                tracing::error!(execution_arn = %arn, %error, "the fold of an execution failed; it resumes from its last step");
                inner.forget(&arn);
                inner.note_orphan();
                None
            }
        }
    }

    /// Folds the messages of one batch, and a `Resume` first if the last fold paused.
    fn fold_all(&mut self, batch: Vec<Message>) -> Folded {
        let mut folded = Folded::default();
        let mut batch = batch.into_iter();
        if self.execution.has_work() {
            self.apply(Trigger::Resume { now: self.clock() }, &mut folded.steps);
            if self.execution.guard().watch().interrupted() {
                folded.interrupted = Some(Interrupted { voided: None, rest: batch.collect() });
                return folded;
            }
        }
        while let Some(message) = batch.next() {
            if self.broken || !matches!(self.execution.status(), Status::Running) {
                // Ended: what is left is answered once the ending is committed.
                self.fold_after_end(message, &mut folded);
                continue;
            }
            if matches!(message, Message::Shutdown) {
                folded.shutdown = true;
                break;
            }
            let ack = self.fold(message, &mut folded);
            if self.execution.guard().watch().interrupted() {
                // A stop cut that fold short: it was not kept, and the engine is rebuilt before going on.
                folded.interrupted = Some(Interrupted { voided: ack, rest: batch.collect() });
                return folded;
            }
            folded.acks.extend(ack);
        }
        folded
    }

    /// A message for an execution that has ended within this batch.
    fn fold_after_end(&mut self, message: Message, folded: &mut Folded) {
        match message {
            Message::Inspect(reader) => folded.readers.push(reader),
            Message::Callback(_, _, ack)
            | Message::Started(_, _, ack)
            | Message::Heartbeat(_, ack)
            | Message::Stop { ack, .. }
            | Message::UpdateMapRun { ack, .. } => folded.acks.push(ack),
            Message::Task(..) | Message::Submitted(..) | Message::Timer(_) | Message::Shutdown => {}
        }
    }

    /// Applies one message and records the step it makes; returns its ack, to answer once that step is committed.
    fn fold(&mut self, message: Message, folded: &mut Folded) -> Option<Ack> {
        let now = self.clock();
        let steps = &mut folded.steps;
        let (trigger, ack) = match message {
            Message::Task(task, outcome) => (self.completed(task, outcome, now), None),
            Message::Callback(task, outcome, ack) => {
                self.close_token(task);
                (Trigger::TaskCallback { task, outcome, now }, Some(ack))
            }
            Message::Submitted(task, Ok(output)) => {
                self.token_out(task);
                (Trigger::TaskSubmitted { task, output, now }, None)
            }
            // The request failed: the task fails, whatever its token brought meanwhile.
            Message::Submitted(task, Err(failure)) => (self.completed(task, Err(failure), now), None),
            Message::Timer(timer) => {
                self.timers.remove(&timer);
                (Trigger::TimerFired { timer, now }, None)
            }
            Message::Stop { error, cause, ack } => {
                let trigger = Trigger::Stop { error, cause, now };
                self.apply(trigger, steps);
                // Evaluations may run again: the stop they were held for is folded.
                self.execution.guard().watch().resume();
                return Some(ack);
            }
            Message::Started(task, worker, ack) => {
                self.token_out(task);
                (Trigger::TaskStarted { task, worker, now }, Some(ack))
            }
            Message::Heartbeat(task, ack) => (Trigger::TaskHeartbeat { task, now }, Some(ack)),
            Message::UpdateMapRun { map_run_arn, max_concurrency, tolerated_failure_count, tolerated_failure_percentage, ack } => {
                let trigger = Trigger::UpdateMapRun { map_run_arn, max_concurrency, tolerated_failure_count, tolerated_failure_percentage, now };
                (trigger, Some(ack))
            }
            Message::Inspect(reader) => {
                folded.readers.push(reader);
                return None;
            }
            Message::Shutdown => return None,
        };
        self.apply(trigger, steps);
        ack
    }

    /// The trigger that completes `task`, closing its token.
    fn completed(&mut self, task: TaskId, outcome: Result<Value, Failure>, now: i64) -> Trigger {
        self.close_token(task);
        self.jobs.remove(&task);
        Trigger::TaskCompleted { task, outcome, now }
    }

    fn close_token(&mut self, task: TaskId) {
        if let Some(waiting) = self.task_tokens.remove(&task) {
            self.inner.callbacks.close(&waiting.token, Closed::Completed);
        }
    }

    /// The token of `task` is out: its request was made, or a worker took it.
    fn token_out(&mut self, task: TaskId) {
        if let Some(waiting) = self.task_tokens.get_mut(&task) {
            waiting.out = true;
        }
    }

    /// Applies one trigger to the engine, under the panic guard, and records the step it makes (unless a stop
    /// interrupted it, which leaves the engine to be rebuilt).
    fn apply(&mut self, trigger: Trigger, steps: &mut Vec<(Append, Vec<Command>)>) {
        let before = self.execution.event_count();
        let mut stored = trigger.to_json_text();
        let applied = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.execution.apply(trigger)));
        match applied {
            Ok(commands) => {
                if self.execution.guard().watch().interrupted() {
                    return;
                }
                self.execution.fold_note().write_text(&mut stored);
                let events = self.execution.take_events();
                let append = step(&self.record.arn, stored, &events, &mut self.execution, &mut self.digest);
                self.observed.extend(events);
                steps.push((append, commands));
            }
            Err(panic) => {
                // A bug in the engine: fail this execution, keep serving the others.
                let message = panic_message(&panic);
                tracing::error!(execution_arn = %self.record.arn, panic = %message, "the engine panicked; the execution fails");
                let cause = format!("Baton internal error: {message}");
                let (append, event) = fail_step(&self.record.arn, before, self.clock(), &cause, &mut self.digest);
                self.observed.push(event);
                steps.push((append, Vec::new()));
                self.broken = true;
            }
        }
    }

    /// Commits the steps (durably, or into the Express store), then performs their commands and answers their acks.
    /// `false` if they could not be committed: the execution is abandoned, as it was after its last committed step.
    async fn commit(&mut self, steps: Vec<(Append, Vec<Command>)>, acks: Vec<Ack>) -> bool {
        if steps.is_empty() {
            for ack in acks {
                let _ = ack.send(Ok(()));
            }
            return true;
        }
        let mut commands = Vec::new();
        let mut appends = Vec::with_capacity(steps.len());
        for (append, step_commands) in steps {
            appends.push(append);
            commands.extend(step_commands);
        }
        let ended = appends.iter().rev().find_map(|append| append.ending.clone());
        let parked = appends.last().and_then(|append| append.park);
        if self.durable {
            for append in &mut appends {
                append.lease.clone_from(&self.lease);
            }
            if self.lease.is_some() {
                self.route(&mut appends, &commands, &acks);
            }
            if let Some(outbox) = &self.inner.outbox {
                for append in appends.iter_mut().filter(|append| append.ending.is_some()) {
                    outbox.stage(&self.record, append, false);
                }
            }
            let started = std::time::Instant::now();
            let appended = self.inner.store.append(appends).await;
            self.inner.metrics.committed_in(started.elapsed().as_secs_f64());
            if let Err(error) = appended {
                if let store::Error::Fenced(_) = error {
                    // Another node holds the execution now (this one's lease ran out): it runs it from what is
                    // committed, and this actor ends without effects.
                    tracing::info!(execution_arn = %self.record.arn, "the execution was taken over by another node");
                    for ack in acks {
                        let _ = ack.send(Err(Error::Internal("the execution was taken over by another node; try again".to_owned())));
                    }
                    self.abandon();
                    return false;
                }
                // The steps are not durable, so their effects must not happen and nobody is told they happened. The
                // execution stays RUNNING in the store and is adopted again once the store takes writes.
                tracing::error!(execution_arn = %self.record.arn, %error, "cannot commit a step; the execution waits for the store");
                for ack in acks {
                    let _ = ack.send(Err(Error::Internal(format!("cannot commit the change: {error}"))));
                }
                self.abandon();
                self.inner.note_orphan();
                return false;
            }
            self.parked = parked;
        } else {
            self.inner.express.record_steps(&self.record.arn, appends);
        }
        if let Some(ending) = ended {
            self.record.end(ending);
        }
        let events = std::mem::take(&mut self.observed);
        super::observe::committed(&self.inner, &super::observe::Committed { execution: &self.record, events: &events });
        self.perform(commands);
        self.skip_ahead();
        for ack in acks {
            let _ = ack.send(Ok(()));
        }
        true
    }

    /// On a shared store: what the steps leave for the other nodes (`routing`), and the inbox messages they answer,
    /// all on the last step, since all commit together.
    fn route(&self, appends: &mut [Append], commands: &[Command], acks: &[Ack]) {
        let Some(last) = appends.last_mut() else { return };
        last.routing = routing(&self.routes, self.resources.mocks.is_some(), commands);
        last.routing.answered.extend(acks.iter().filter_map(|ack| ack.inbox));
    }

    /// After an interrupted fold: the engine as the committed steps leave it.
    async fn reload(&mut self) -> bool {
        let service = Service { inner: self.inner.clone(), account: None };
        let rebuilt = match self.inner.store.recovered(&self.record.arn).await {
            Ok(Some(recovered)) if self.durable => service.rebuild_blocking(&self.record, recovered.triggers, false).await,
            Ok(_) => Err(Error::Internal("an interrupted Express execution cannot be rebuilt".to_owned())),
            Err(error) => Err(Error::Internal(error.to_string())),
        };
        match rebuilt {
            Ok(rebuilt) => {
                // Its timers and tasks are the ones this actor already has: the thrown-away fold changed nothing. The
                // stop itself is still to come, so evaluations stay held until it is folded.
                let watch = self.execution.guard().watch();
                self.execution = rebuilt.execution;
                self.execution.guard_mut().adopt(watch);
                self.execution.guard().watch().clear_interrupted();
                self.digest = rebuilt.digest;
                true
            }
            Err(error) => {
                tracing::error!(execution_arn = %self.record.arn, %error, "cannot rebuild an interrupted execution");
                self.abandon();
                self.inner.note_orphan();
                false
            }
        }
    }

    /// Answers reads (`Message::Inspect`) with the committed state.
    fn answer(&self, readers: Vec<Read>) {
        for reader in readers {
            self.read(reader);
        }
    }

    /// Answers one read with the execution as it is now.
    pub(crate) fn read(&self, reader: Read) {
        match reader {
            Read::MapRuns(answer) => {
                let _ = answer.send(self.execution.map_runs().to_vec());
            }
            Read::Waiting(answer) => {
                // An execution that ended (in the batch just committed) waits for nothing.
                let running = matches!(self.execution.status(), Status::Running) && !self.broken;
                let mut waiting: Vec<WaitingTask> = self
                    .task_tokens
                    .values()
                    .filter(|task| running && task.out)
                    .map(|task| WaitingTask {
                        token: task.token.clone(),
                        state_name: task.state_name.clone(),
                        resource: task.resource.clone(),
                        scheduled_event: task.scheduled_event,
                        activity: self.routes.get(&task.resource).kind() == Kind::Activity,
                    })
                    .collect();
                waiting.sort_by(|a, b| (a.scheduled_event, &a.token).cmp(&(b.scheduled_event, &b.token)));
                let _ = answer.send(waiting);
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
                    if let Some(outcome) = self.resources.mocked(&request.state_name, n) {
                        // The receiver lives as long as this actor; a failed send means it already ended.
                        let _ = sender.send(Message::Task(request.task, outcome));
                        continue;
                    }
                    let integration = self.routes.get(&request.resource);
                    let trace = self.trace(&request);
                    match integration.kind() {
                        Kind::Child => {
                            let service = Service { inner: self.inner.clone(), account: None };
                            let parent = self.record.arn.clone();
                            tokio::spawn(async move {
                                let outcome = children::run(&service, &parent, &request, trace).await;
                                let _ = sender.send(Message::Task(request.task, outcome));
                            });
                        }
                        Kind::Job => self.run_job(integration, request, None),
                        Kind::Request | Kind::Activity | Kind::Unknown => {
                            let call = integration.invoke(self.resources.clone(), self.record.arn.clone(), request.clone(), trace);
                            tokio::spawn(async move {
                                let _ = sender.send(Message::Task(request.task, call.await));
                            });
                        }
                    }
                }
                Command::StartTimer { timer, at } => {
                    let wait = u64::try_from(at.saturating_sub(self.clock())).unwrap_or(0);
                    if wait == 0 {
                        // Due already (a `Wait 0`, a retry without delay): it fires now, behind the messages queued,
                        // without a task and a sleep of its own.
                        let _ = self.sender.send(Message::Timer(timer));
                        self.timers.insert(timer, (None, at));
                        continue;
                    }
                    let sender = self.sender.clone();
                    let handle = tokio::spawn(async move {
                        tokio::time::sleep(Duration::from_millis(wait)).await;
                        let _ = sender.send(Message::Timer(timer));
                    });
                    self.timers.insert(timer, (Some(handle), at));
                }
                Command::CancelTimer { timer } => {
                    if let Some((Some(handle), _)) = self.timers.remove(&timer) {
                        handle.abort();
                    }
                }
                // A cancelled task's answer is ignored by the engine; local functions cannot be interrupted. A
                // cancelled token can no longer complete its task.
                Command::CancelTask { task } => {
                    if let Some(waiting) = self.task_tokens.remove(&task) {
                        self.inner.callbacks.close(&waiting.token, Closed::TimedOut);
                    }
                    if let Some(stop) = self.jobs.remove(&task) {
                        let _ = stop.send(());
                    }
                }
            }
        }
    }

    /// Runs a `.sync` task: starts its job (unless `started` holds the answer of a start made before a restart), has
    /// the submission recorded (`TaskSubmitted`, committed with the job's id), then watches the job until it ends
    /// or the task is cancelled, which stops the job. An actor that goes away (the service shuts down) leaves the job
    /// running, for the next start of Baton to watch.
    fn run_job(&mut self, integration: Arc<dyn Integration>, request: TaskRequest, started: Option<Value>) {
        let (stop, stopped) = oneshot::channel::<()>();
        self.jobs.insert(request.task, stop);
        let (resources, arn, sender) = (self.resources.clone(), self.record.arn.clone(), self.sender.clone());
        let trace = self.trace(&request);
        tokio::spawn(async move {
            let started = match started {
                Some(started) => started,
                None => match integration.invoke(resources.clone(), arn.clone(), request.clone(), trace).await {
                    Ok(started) => {
                        let _ = sender.send(Message::Submitted(request.task, Ok(started.clone())));
                        started
                    }
                    Err(failure) => {
                        let _ = sender.send(Message::Task(request.task, Err(failure)));
                        return;
                    }
                },
            };
            tokio::select! {
                outcome = integration.wait(resources.clone(), arn.clone(), request.clone(), started.clone(), trace) => {
                    let _ = sender.send(Message::Task(request.task, outcome));
                }
                stop = stopped => {
                    if stop.is_ok() {
                        integration.stop(resources, arn, request, started, trace).await;
                    }
                }
            }
        });
    }

    /// Starts a task that reports through a token (a callback or an activity task). Returns the request when it is
    /// answered the ordinary way (by a mock), `None` when it now waits for its token.
    fn callback(&mut self, request: TaskRequest, invocation: u32) -> Option<TaskRequest> {
        let Some(token) = request.token.clone() else { return Some(request) };
        self.inner.callbacks.open(&token, &self.record.arn, request.task);
        self.task_tokens.insert(request.task, TokenTask::of(&request, token.clone(), false));
        if self.mocked(&request, invocation) {
            return Some(request);
        }
        self.submit(request, token);
        None
    }

    /// Whether the mock test case answers this invocation of the task's state.
    fn mocked(&self, request: &TaskRequest, invocation: u32) -> bool {
        self.resources.mocked(&request.state_name, invocation).is_some()
    }

    /// Makes a callback task's request, or queues an activity task for a worker.
    pub(crate) fn submit(&mut self, request: TaskRequest, token: String) {
        let sender = self.sender.clone();
        let integration = self.routes.get(&request.resource);
        let trace = self.trace(&request);
        match integration.kind() {
            // On a shared store the step queued it in the database (`route`), for workers polling any node.
            Kind::Activity if self.lease.is_some() => {}
            Kind::Activity => self.inner.activities.enqueue(&request.resource, token, request.parameters.to_string(), &self.record.arn),
            Kind::Child => {
                let service = Service { inner: self.inner.clone(), account: None };
                let parent = self.record.arn.clone();
                tokio::spawn(async move {
                    let _ = sender.send(Message::Submitted(request.task, children::run(&service, &parent, &request, trace).await));
                });
            }
            Kind::Request | Kind::Job => {
                let call = integration.invoke(self.resources.clone(), self.record.arn.clone(), request.clone(), trace);
                tokio::spawn(async move {
                    let _ = sender.send(Message::Submitted(request.task, call.await));
                });
            }
            // Baton cannot make the request, so the token is the whole interface (it appears in the TaskScheduled
            // event); the task waits for SendTaskSuccess or SendTaskFailure.
            Kind::Unknown => {
                let _ = sender.send(Message::Submitted(request.task, Ok(Value::Object(serde_json::Map::new()))));
            }
        }
    }

    /// The trace a task's request continues (`traces::task_trace`): none unless traces are on or the execution was
    /// started with a trace header.
    fn trace(&self, request: &TaskRequest) -> Option<integrations::Trace> {
        super::traces::task_trace(self.inner.traces.as_ref(), &self.record, request.scheduled_event.map(u64::from))
    }

    /// The execution ended: publish its final record and forget it.
    fn finish(&mut self) {
        self.abandon();
        let _ = self.done.send(Some(self.record.clone()));
    }

    /// The execution's clock: the wall clock, and on virtual time what the execution skipped ahead.
    pub(crate) fn clock(&self) -> i64 {
        now().saturating_add(self.offset)
    }

    /// On virtual time, when the execution waits only on its timers (no task, callback, activity or job, no work
    /// left over), its clock skips ahead to the first one, which fires now. Timers due at once fire in the order the
    /// engine asked for them.
    fn skip_ahead(&mut self) {
        if !self.inner.config.virtual_time || self.broken || !matches!(self.execution.status(), Status::Running) {
            return;
        }
        if self.execution.has_work() || self.execution.pending_tasks().next().is_some() {
            return;
        }
        let Some((&timer, (handle, at))) = self.timers.iter().min_by_key(|&(timer, (_, at))| (*at, *timer)) else { return };
        if handle.is_none() {
            // Due at once: its message is queued already.
            return;
        }
        let at = *at;
        if let Some((Some(handle), _)) = self.timers.remove(&timer) {
            handle.abort();
        }
        self.offset = self.offset.max(at.saturating_sub(now()));
        let _ = self.sender.send(Message::Timer(timer));
    }

    pub(crate) fn stop_timers(&mut self) {
        for handle in self.timers.drain().filter_map(|(_, (handle, _))| handle) {
            handle.abort();
        }
    }

    /// Stops the timers and drops the execution from the live set.
    fn abandon(&mut self) {
        self.stop_timers();
        for (_, waiting) in self.task_tokens.drain() {
            self.inner.callbacks.close(&waiting.token, Closed::Ended);
        }
        self.inner.forget(&self.record.arn);
    }
}

/// What a step whose commands are `commands` leaves for the other nodes of a shared store: the tokens of the tasks
/// it invokes, and their activity tasks (queued in the database rather than in a server's memory), unless mocks
/// answer the execution's tasks.
pub(crate) fn routing(routes: &Routes, mocked: bool, commands: &[Command]) -> store::Routing {
    let mut routing = store::Routing::default();
    for command in commands {
        let Command::InvokeTask(request) = command else { continue };
        let Some(token) = &request.token else { continue };
        routing.tokens.push(store::TokenRow { token: token.clone(), task: request.task.0 });
        if !mocked && routes.get(&request.resource).kind() == Kind::Activity {
            routing.activity_tasks.push(store::ActivityTaskRow {
                activity_arn: request.resource.clone(),
                token: token.clone(),
                input: request.parameters.to_string(),
            });
        }
    }
    routing
}

/// The text of a panic's payload.
pub(crate) fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> String {
    match (panic.downcast_ref::<&str>(), panic.downcast_ref::<String>()) {
        (Some(text), _) => (*text).to_owned(),
        (_, Some(text)) => text.clone(),
        _ => "a panic".to_owned(),
    }
}

/// The `Append` for `events`, the events one fold of `execution` emitted, with the events its child executions
/// emitted (taken from it); `digest` moves past the parent's events.
pub(crate) fn step(arn: &str, trigger: String, events: &[HistoryEvent], execution: &mut engine::Execution, digest: &mut u64) -> Append {
    let events: Vec<Event> = events.iter().map(|event| Event { id: event.id, json: event.to_json_text() }).collect();
    *digest = advance_digest(*digest, &events);
    let children = child_steps(execution.take_child_events(), execution.info());
    Append { execution_arn: arn.to_owned(), trigger, events, ending: ending(execution), digest: *digest, children, lease: None, routing: store::Routing::default(), park: None, outbox: Vec::new() }
}

/// What one step writes of the child executions whose events it took: a child's `ExecutionStarted` creates its
/// record, `ExecutionRedriven` sets it running again, and its last event ends it.
fn child_steps(events: Vec<engine::ChildEvent>, parent: &ExecutionInfo) -> Vec<ChildStep> {
    let mut steps: Vec<ChildStep> = Vec::new();
    for child in events {
        let index = match steps.iter().rposition(|step| *step.execution_arn == *child.execution_arn) {
            Some(index) => index,
            None => {
                steps.push(ChildStep {
                    execution_arn: child.execution_arn.to_string(),
                    created: None,
                    events: Vec::new(),
                    ending: None,
                    redriven: None,
                });
                steps.len() - 1
            }
        };
        let step = steps.get_mut(index).expect("invariant: index was just found or pushed");
        let event = &child.event;
        let stop = event.timestamp;
        let ended = |status, output, error: Option<&engine::ErrorDetails>| Ending {
            status,
            stop,
            output,
            error: error.and_then(|e| e.error.clone()),
            cause: error.and_then(|e| e.cause.clone()),
        };
        match &event.details {
            engine::EventDetails::ExecutionStarted { input, role_arn, .. } => {
                let name = child.execution_arn.rsplit_once(':').map_or("", |(_, name)| name).to_owned();
                step.created = Some(Execution {
                    arn: child.execution_arn.to_string(),
                    name,
                    state_machine_arn: child.state_machine_arn.to_string(),
                    definition: String::new(),
                    role_arn: if role_arn.is_empty() { parent.role_arn.clone() } else { role_arn.clone() },
                    kind: store::Kind::Standard,
                    input: input.clone(),
                    trace_header: None,
                    status: store::Status::Running,
                    start: event.timestamp,
                    stop: None,
                    output: None,
                    error: None,
                    cause: None,
                    version_arn: None,
                    alias_arn: None,
                    redrive_count: 0,
                    redrive_date: None,
                    engine_version: engine::REPLAY_VERSION,
                    map_run_arn: Some(child.map_run_arn.to_string()),
                });
            }
            engine::EventDetails::ExecutionRedriven { .. } => step.redriven = Some(event.timestamp),
            engine::EventDetails::ExecutionSucceeded { output } => {
                step.ending = Some(ended(store::Status::Succeeded, Some(output.clone()), None));
            }
            engine::EventDetails::ExecutionFailed(error) => step.ending = Some(ended(store::Status::Failed, None, Some(error))),
            engine::EventDetails::ExecutionTimedOut(error) => step.ending = Some(ended(store::Status::TimedOut, None, Some(error))),
            engine::EventDetails::ExecutionAborted(error) => step.ending = Some(ended(store::Status::Aborted, None, Some(error))),
            _ => {}
        }
        step.events.push(Event { id: event.id, json: event.to_json_text() });
    }
    steps
}

/// The step that fails an execution whose last event is `last` (a panic, or a history that cannot be resumed): a
/// `Trigger::Fail` and the one `ExecutionFailed` event the engine writes for it, which it returns with the step.
pub(crate) fn fail_step(arn: &str, last: u64, now: i64, cause: &str, digest: &mut u64) -> (Append, HistoryEvent) {
    let error = asl::errors::RUNTIME.to_owned();
    let trigger = Trigger::Fail { error: error.clone(), cause: cause.to_owned(), now };
    let details = engine::ErrorDetails { error: Some(error.clone()), cause: Some(cause.to_owned()) };
    let event = HistoryEvent { id: last + 1, previous_event_id: last, timestamp: now, details: engine::EventDetails::ExecutionFailed(details) };
    let events = vec![Event { id: event.id, json: event.to_json_text() }];
    *digest = advance_digest(*digest, &events);
    let ending = Ending { status: store::Status::Failed, stop: now, output: None, error: Some(error), cause: Some(cause.to_owned()) };
    let (trigger, children) = (trigger.to_json_text(), Vec::new());
    let append = Append { execution_arn: arn.to_owned(), trigger, events, ending: Some(ending), digest: *digest, children, lease: None, routing: store::Routing::default(), park: None, outbox: Vec::new() };
    (append, event)
}

/// The digest of an execution's events after `events`, from the digest before them: FNV-1a over each event's wire
/// JSON, chained. Not cryptographic: it tells whether a replay wrote what was stored.
pub(crate) fn advance_digest(digest: u64, events: &[Event]) -> u64 {
    const PRIME: u64 = 0x100_0000_01b3;
    let mut hash = if digest == 0 { 0xcbf2_9ce4_8422_2325 } else { digest };
    for event in events {
        // A plain loop over the bytes, then the newline: the same hash as chaining the two, without the chained
        // iterator's test per byte.
        for &byte in event.json.as_bytes() {
            hash = (hash ^ u64::from(byte)).wrapping_mul(PRIME);
        }
        hash = (hash ^ u64::from(b'\n')).wrapping_mul(PRIME);
    }
    hash
}

/// Replays a stored trigger, noting what `FoldNote` it carries.
pub(crate) fn replay(execution: &mut engine::Execution, stored: &Value, trigger: Trigger) -> Vec<Command> {
    execution.replay(trigger, FoldNote::read(stored))
}

/// How the execution ended, if it did.
pub(crate) fn ending(execution: &engine::Execution) -> Option<Ending> {
    let stop = execution.last_event_time();
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

#[cfg(test)]
mod tests {
    use store::Event;

    use super::advance_digest;

    /// The digest is FNV-1a (64 bits) over each event's text and a newline, carried from step to step: stored
    /// digests are compared on recovery, so its values never change.
    #[test]
    fn the_digest_is_fnv_1a_over_the_events_and_their_newlines() {
        let event = |id: u64, json: &str| Event { id, json: json.to_owned() };
        let first = advance_digest(0, &[event(1, r#"{"id":1}"#)]);
        assert_eq!(first, 0xfd04_098d_9f85_c663);
        let both = advance_digest(first, &[event(2, r#"{"id":2,"s":"ü"}"#)]);
        assert_eq!(both, 0x5fee_b647_eef3_6fb8);
        assert_eq!(advance_digest(0, &[event(1, r#"{"id":1}"#), event(2, r#"{"id":2,"s":"ü"}"#)]), both);
    }
}
