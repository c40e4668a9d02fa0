//! One execution of a state machine: its running threads (frames), the triggers it takes, the commands it gives.
//!
//! A frame is one thread of execution: the top-level workflow, a Parallel branch, or a Map iteration. Frames wait in
//! a run queue; `run` advances each until it blocks on the outside world (a task, a timer) or on child frames. All
//! changes happen inside `apply`, one trigger at a time, and every observable change is a history event.

use std::cell::Cell;
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use serde_json::{Map as Object, Value, json};

use asl::model::{
    Count, MapMode, PathOrNull, Percentage, ResultPath, Seconds, State, StateId, StateKind, StateMachine, Text,
    Transition, WaitUntil, WorkflowId,
};
use asl::template::Template;
use asl::{Env, Failure, NoVariables, errors};

use crate::history::{ErrorDetails, EventDetails, HistoryEvent, TaskScheduled};
use crate::resource::ResourceKind;
use crate::time::format_timestamp;

/// Identifies a task invocation the engine asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TaskId(pub u64);

/// Identifies a timer the engine asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TimerId(pub u64);

/// Who an execution is, as the Context object and history show it.
#[derive(Debug, Clone)]
pub struct ExecutionInfo {
    pub execution_arn: String,
    pub name: String,
    pub state_machine_arn: String,
    pub state_machine_name: String,
    pub role_arn: String,
    pub region: String,
    /// An Express execution: no redrives, so its Context object has no `RedriveCount`.
    pub express: bool,
}

/// Service limits; AWS's values by default, raisable by the user.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Largest state input, output or task result, in bytes of JSON.
    pub max_payload_bytes: usize,
    /// Concurrency of an inline Map whose MaxConcurrency is 0 (unbounded): AWS runs about 40 at a time.
    pub inline_map_concurrency: usize,
    /// Concurrency of a distributed Map whose MaxConcurrency is 0.
    pub distributed_map_concurrency: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits { max_payload_bytes: 262_144, inline_map_concurrency: 40, distributed_map_concurrency: 1000 }
    }
}

/// Something that happened to the execution. `now` is milliseconds since the epoch.
#[derive(Debug, Clone)]
pub enum Trigger {
    Start { input: Value, now: i64 },
    TaskCompleted { task: TaskId, outcome: Result<Value, Failure>, now: i64 },
    TimerFired { timer: TimerId, now: i64 },
    Stop { error: Option<String>, cause: Option<String>, now: i64 },
    /// Continue work left over when the previous trigger ran out of its step slice.
    Resume { now: i64 },
}

/// Something the runtime must do for the execution.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    InvokeTask(TaskRequest),
    /// Answer with `Trigger::TimerFired` at `at` (milliseconds since the epoch).
    StartTimer { timer: TimerId, at: i64 },
    CancelTimer { timer: TimerId },
    /// The task's answer is no longer wanted (its state was aborted or timed out).
    CancelTask { task: TaskId },
}

/// A task to invoke: answer with `Trigger::TaskCompleted`.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskRequest {
    pub task: TaskId,
    pub state_name: String,
    pub resource: String,
    /// The effective parameters (after InputPath and Parameters).
    pub parameters: Value,
    pub timeout_seconds: Option<u64>,
    pub heartbeat_seconds: Option<u64>,
}

/// Where an execution is.
#[derive(Debug, Clone, PartialEq)]
pub enum Status {
    NotStarted,
    Running,
    Succeeded { output: Value },
    Failed(ErrorDetails),
    TimedOut(ErrorDetails),
    Aborted(ErrorDetails),
}

/// An execution: the machine, the history so far, and the threads still running.
pub struct Execution {
    machine: Arc<StateMachine>,
    info: ExecutionInfo,
    limits: Limits,
    input: Value,
    start_time: i64,
    now: i64,
    history: Vec<HistoryEvent>,
    frames: Vec<Option<Frame>>,
    free: Vec<usize>,
    queue: VecDeque<usize>,
    tasks: HashMap<TaskId, usize>,
    timers: HashMap<TimerId, TimerPurpose>,
    next_handle: u64,
    commands: Vec<Command>,
    status: Status,
    rng: Cell<u64>,
    map_runs: u64,
    slice: usize,
}

/// One thread of execution.
struct Frame {
    workflow: WorkflowId,
    state: StateId,
    parent: Parent,
    /// The raw input of the current state.
    input: Value,
    entered_event: u64,
    entered_time: i64,
    last_event: u64,
    /// False inside distributed Map iterations, which AWS runs as child executions with their own histories.
    record: bool,
    /// Attempts made per retrier of the current state.
    attempts: Vec<u32>,
    retry_count: u32,
    phase: Phase,
}

enum Parent {
    Root,
    Branch { frame: usize, index: usize },
    Iteration { frame: usize, index: usize },
}

enum Phase {
    /// The state has not been entered yet.
    Enter,
    /// Entered; its work runs next (again, after a retry's backoff).
    Run,
    Task { task: TaskId, timeout: Option<TimerId>, kind: ResourceKind },
    Wait { timer: TimerId, effective: Value },
    Backoff { timer: TimerId },
    Parallel(Box<Fanout>),
    Map(Box<MapRun>),
}

struct Fanout {
    children: Vec<Option<usize>>,
    results: Vec<Value>,
    remaining: usize,
    failure: Option<ErrorDetails>,
}

struct MapRun {
    items: Vec<Value>,
    effective: Value,
    next: usize,
    running: Vec<usize>,
    results: Vec<Value>,
    done: usize,
    failed: usize,
    concurrency: usize,
    tolerated_count: Option<u64>,
    tolerated_percentage: Option<f64>,
    distributed: bool,
    failure: Option<ErrorDetails>,
}

#[derive(Clone, Copy)]
enum TimerPurpose {
    Execution,
    Wait(usize),
    Backoff(usize),
    TaskTimeout(usize, TaskId),
}

/// What advancing a frame led to.
enum Flow {
    /// The frame moved on and can run again now.
    Continue,
    /// The frame waits for something outside it, or it is gone.
    Stop,
}

type Outcome = Result<Value, ErrorDetails>;

impl Execution {
    /// A new execution that has not started.
    pub fn new(machine: Arc<StateMachine>, info: ExecutionInfo, limits: Limits) -> Execution {
        let seed = info.execution_arn.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3));
        Execution {
            machine,
            info,
            limits,
            input: Value::Null,
            start_time: 0,
            now: 0,
            history: Vec::new(),
            frames: Vec::new(),
            free: Vec::new(),
            queue: VecDeque::new(),
            tasks: HashMap::new(),
            timers: HashMap::new(),
            next_handle: 1,
            commands: Vec::new(),
            status: Status::NotStarted,
            rng: Cell::new(seed),
            map_runs: 0,
            slice: usize::MAX,
        }
    }

    /// The history so far.
    pub fn history(&self) -> &[HistoryEvent] {
        &self.history
    }

    /// Where the execution is.
    pub fn status(&self) -> &Status {
        &self.status
    }

    /// Who the execution is.
    pub fn info(&self) -> &ExecutionInfo {
        &self.info
    }

    /// Bounds how many steps one `apply` takes before returning, so a caller can show progress during long runs of
    /// states that need nothing from outside (a Map over many Pass items). Work left over is picked up by
    /// `Trigger::Resume`; `has_work` says whether there is any.
    pub fn set_slice(&mut self, steps: usize) {
        self.slice = steps.max(1);
    }

    /// Whether runnable work is left over from the last `apply`.
    pub fn has_work(&self) -> bool {
        self.status == Status::Running && !self.queue.is_empty()
    }

    /// Folds one trigger into the execution and returns what the runtime must do next. Triggers for tasks or timers
    /// the execution no longer waits for are ignored.
    pub fn apply(&mut self, trigger: Trigger) -> Vec<Command> {
        match trigger {
            Trigger::Start { input, now } => {
                self.now = now;
                if self.status == Status::NotStarted {
                    self.start(input);
                }
            }
            Trigger::TaskCompleted { task, outcome, now } => {
                self.now = now;
                if self.status == Status::Running {
                    self.task_completed(task, outcome);
                }
            }
            Trigger::TimerFired { timer, now } => {
                self.now = now;
                if self.status == Status::Running {
                    self.timer_fired(timer);
                }
            }
            Trigger::Resume { now } => self.now = now,
            Trigger::Stop { error, cause, now } => {
                self.now = now;
                if self.status == Status::Running {
                    self.abort_all();
                    let details = ErrorDetails { error, cause };
                    self.emit_execution(EventDetails::ExecutionAborted(details.clone()));
                    self.status = Status::Aborted(details);
                }
            }
        }
        self.run();
        std::mem::take(&mut self.commands)
    }

    fn start(&mut self, input: Value) {
        self.start_time = self.now;
        self.status = Status::Running;
        let text = input.to_string();
        self.input = input.clone();
        self.emit_execution(EventDetails::ExecutionStarted {
            input: text,
            role_arn: self.info.role_arn.clone(),
            state_machine_arn: self.info.state_machine_arn.clone(),
        });
        if let Some(timeout) = self.machine.timeout_seconds {
            let timer = self.timer(TimerPurpose::Execution);
            self.commands.push(Command::StartTimer { timer, at: self.now.saturating_add(seconds_ms(timeout)) });
        }
        let top = WorkflowId(0);
        let start_at = self.machine.top().start_at;
        let last = self.history.len() as u64;
        let frame = self.spawn(top, start_at, Parent::Root, input, last, true);
        self.queue.push_back(frame);
    }

    fn run(&mut self) {
        let mut budget = self.slice;
        while budget > 0 {
            let Some(frame) = self.queue.pop_front() else { break };
            while self.status == Status::Running {
                budget = budget.saturating_sub(1);
                match self.advance(frame) {
                    Flow::Continue if budget == 0 => {
                        self.queue.push_front(frame);
                        break;
                    }
                    Flow::Continue => {}
                    Flow::Stop => break,
                }
            }
        }
    }

    /// Advances one frame by one step.
    fn advance(&mut self, fid: usize) -> Flow {
        let Some(frame) = self.frames.get(fid).and_then(Option::as_ref) else { return Flow::Stop };
        match &frame.phase {
            Phase::Enter => self.enter(fid),
            Phase::Run => self.run_state(fid),
            Phase::Parallel(fanout) => {
                if fanout.failure.is_some() || fanout.remaining == 0 {
                    self.parallel_settled(fid)
                } else {
                    Flow::Stop
                }
            }
            Phase::Map(_) => self.map_step(fid),
            Phase::Task { .. } | Phase::Wait { .. } | Phase::Backoff { .. } => Flow::Stop,
        }
    }

    fn enter(&mut self, fid: usize) -> Flow {
        let machine = self.machine.clone();
        let frame = self.frame_mut(fid);
        let state = machine.workflow(frame.workflow).state(frame.state);
        let input = frame.input.to_string();
        let id = self.emit(fid, EventDetails::StateEntered { state_type: state.kind.type_name(), name: state.name.clone(), input });
        let now = self.now;
        let frame = self.frame_mut(fid);
        frame.entered_event = id;
        frame.entered_time = now;
        frame.attempts.clear();
        frame.retry_count = 0;
        frame.phase = Phase::Run;
        Flow::Continue
    }

    fn run_state(&mut self, fid: usize) -> Flow {
        let machine = self.machine.clone();
        let frame = self.frame(fid);
        let state = machine.workflow(frame.workflow).state(frame.state);
        let effective = match self.input_path(frame, state) {
            Ok(effective) => effective,
            Err(failure) => return self.fail_state(fid, failure),
        };
        match &state.kind {
            StateKind::Pass(pass) => {
                let result = match (&pass.result, &pass.parameters) {
                    (Some(result), _) => Ok(result.clone()),
                    (None, Some(parameters)) => self.template(frame, state, parameters, &effective, None),
                    (None, None) => Ok(effective),
                };
                let output = result.and_then(|result| self.result_pipeline(frame, state, None, &pass.result_path, result));
                self.finish_state(fid, output, pass.transition)
            }
            StateKind::Task(task) => self.schedule_task(fid, state, task, effective),
            StateKind::Choice(choice) => {
                let mut next = None;
                for branch in &choice.choices {
                    let matched = self.with_env(frame, state, &effective, None, |env| branch.rule.evaluate(env));
                    match matched {
                        Ok(true) => {
                            next = Some(branch.next);
                            break;
                        }
                        Ok(false) => {}
                        Err(failure) => return self.fail_state(fid, self.prefixed(frame, state, failure)),
                    }
                }
                let Some(next) = next.or(choice.default) else {
                    let failure = Failure::new(errors::NO_CHOICE_MATCHED, self.prefix_text(frame, state, "No choice rule matched"));
                    return self.fail_state(fid, failure);
                };
                let output = self.output_path(frame, state, effective);
                self.finish_state(fid, output, Transition::Next(next))
            }
            StateKind::Wait(wait) => match self.wait_deadline(frame, state, &wait.until, &effective) {
                Ok(at) => {
                    let timer = self.timer(TimerPurpose::Wait(fid));
                    self.commands.push(Command::StartTimer { timer, at });
                    self.frame_mut(fid).phase = Phase::Wait { timer, effective };
                    Flow::Stop
                }
                Err(failure) => self.fail_state(fid, failure),
            },
            StateKind::Succeed => {
                let output = self.output_path(frame, state, effective);
                self.finish_state(fid, output, Transition::End)
            }
            StateKind::Fail(fail) => {
                let error = self.fail_text(frame, state, fail.error.as_ref(), "ErrorPath", &effective);
                let cause = self.fail_text(frame, state, fail.cause.as_ref(), "CausePath", &effective);
                match (error, cause) {
                    (Ok(error), Ok(cause)) => {
                        self.end_frame(fid, Err(ErrorDetails { error, cause }));
                        Flow::Stop
                    }
                    (Err(failure), _) | (_, Err(failure)) => {
                        self.end_frame(fid, Err(details(failure)));
                        Flow::Stop
                    }
                }
            }
            StateKind::Parallel(parallel) => {
                let input = match &parallel.parameters {
                    Some(parameters) => self.template(frame, state, parameters, &effective, None),
                    None => Ok(effective),
                };
                let input = match input {
                    Ok(input) => input,
                    Err(failure) => return self.fail_state(fid, failure),
                };
                let started = self.emit(fid, EventDetails::ParallelStateStarted);
                let record = self.frame(fid).record;
                let mut children = Vec::with_capacity(parallel.branches.len());
                for (index, branch) in parallel.branches.iter().enumerate() {
                    let start = machine.workflow(*branch).start_at;
                    let child = self.spawn(*branch, start, Parent::Branch { frame: fid, index }, input.clone(), started, record);
                    children.push(Some(child));
                    self.queue.push_back(child);
                }
                let count = children.len();
                self.frame_mut(fid).phase = Phase::Parallel(Box::new(Fanout {
                    children,
                    results: vec![Value::Null; count],
                    remaining: count,
                    failure: None,
                }));
                Flow::Continue
            }
            StateKind::Map(map) => self.start_map(fid, state, map, effective),
        }
    }

    fn schedule_task(&mut self, fid: usize, state: &State, task: &asl::model::Task, effective: Value) -> Flow {
        let frame = self.frame(fid);
        let parameters = match &task.parameters {
            Some(parameters) => self.template(frame, state, parameters, &effective, None),
            None => Ok(effective),
        };
        let parameters = match parameters {
            Ok(parameters) => parameters,
            Err(failure) => return self.fail_state(fid, failure),
        };
        let timeout = match self.seconds(frame, state, task.timeout.as_ref(), &parameters) {
            Ok(timeout) => timeout,
            Err(failure) => return self.fail_state(fid, failure),
        };
        let heartbeat = match self.seconds(frame, state, task.heartbeat.as_ref(), &parameters) {
            Ok(heartbeat) => heartbeat,
            Err(failure) => return self.fail_state(fid, failure),
        };
        let kind = ResourceKind::of(&task.resource);
        let text = parameters.to_string();
        match &kind {
            ResourceKind::LambdaFunction => {
                self.emit(
                    fid,
                    EventDetails::LambdaFunctionScheduled {
                        resource: task.resource.clone(),
                        input: text,
                        timeout_in_seconds: timeout,
                    },
                );
                self.emit(fid, EventDetails::LambdaFunctionStarted);
            }
            ResourceKind::Service { resource_type, resource } => {
                self.emit(
                    fid,
                    EventDetails::TaskScheduled(TaskScheduled {
                        resource_type: resource_type.clone(),
                        resource: resource.clone(),
                        region: self.info.region.clone(),
                        parameters: text,
                        timeout_in_seconds: timeout,
                        heartbeat_in_seconds: heartbeat,
                    }),
                );
                self.emit(fid, EventDetails::TaskStarted { resource_type: resource_type.clone(), resource: resource.clone() });
            }
            ResourceKind::Activity => {
                self.emit(
                    fid,
                    EventDetails::TaskScheduled(TaskScheduled {
                        resource_type: "activity".to_owned(),
                        resource: task.resource.clone(),
                        region: self.info.region.clone(),
                        parameters: text,
                        timeout_in_seconds: timeout,
                        heartbeat_in_seconds: heartbeat,
                    }),
                );
            }
        }
        let id = TaskId(self.handle());
        self.tasks.insert(id, fid);
        self.commands.push(Command::InvokeTask(TaskRequest {
            task: id,
            state_name: state.name.clone(),
            resource: task.resource.clone(),
            parameters,
            timeout_seconds: timeout,
            heartbeat_seconds: heartbeat,
        }));
        let timeout_timer = timeout.map(|seconds| {
            let timer = self.timer(TimerPurpose::TaskTimeout(fid, id));
            self.commands.push(Command::StartTimer { timer, at: self.now.saturating_add(seconds_ms(seconds)) });
            timer
        });
        self.frame_mut(fid).phase = Phase::Task { task: id, timeout: timeout_timer, kind };
        Flow::Stop
    }

    fn task_completed(&mut self, task: TaskId, outcome: Result<Value, Failure>) {
        let Some(fid) = self.tasks.remove(&task) else { return };
        let Some(frame) = self.frames.get_mut(fid).and_then(Option::as_mut) else { return };
        let Phase::Task { timeout, kind, .. } = std::mem::replace(&mut frame.phase, Phase::Run) else { return };
        let (workflow, state_id) = (frame.workflow, frame.state);
        if let Some(timer) = timeout {
            self.cancel_timer(timer);
        }
        let machine = self.machine.clone();
        let state = machine.workflow(workflow).state(state_id);
        let StateKind::Task(spec) = &state.kind else { return };
        let flow = match outcome {
            Ok(result) => {
                let text = result.to_string();
                if text.len() > self.limits.max_payload_bytes {
                    // AWS records an oversized result as the task's failure, naming the function ARN for a Lambda
                    // resource and the service (`lambda` for `lambda:invoke`) for an integration.
                    let who = match &kind {
                        ResourceKind::LambdaFunction => spec.resource.as_str(),
                        ResourceKind::Service { resource_type, .. } => resource_type.as_str(),
                        ResourceKind::Activity => state.name.as_str(),
                    };
                    let failure = data_limit_exceeded(who);
                    self.emit(fid, failed_event(&kind, &failure));
                    self.fail_state(fid, failure)
                } else {
                    self.emit(fid, succeeded_event(&kind, text));
                    let frame = self.frame(fid);
                    let output = self.result_pipeline(frame, state, spec.result_selector.as_ref(), &spec.result_path, result);
                    self.finish_state(fid, output, spec.transition)
                }
            }
            Err(failure) => {
                self.emit(fid, failed_event(&kind, &failure));
                self.fail_state(fid, failure)
            }
        };
        if matches!(flow, Flow::Continue) {
            self.queue.push_back(fid);
        }
    }

    fn timer_fired(&mut self, timer: TimerId) {
        let Some(purpose) = self.timers.remove(&timer) else { return };
        match purpose {
            TimerPurpose::Execution => {
                self.abort_all();
                let details = ErrorDetails { error: Some(errors::TIMEOUT.to_owned()), cause: None };
                self.emit_execution(EventDetails::ExecutionTimedOut(details.clone()));
                self.status = Status::TimedOut(details);
            }
            TimerPurpose::Wait(fid) => {
                let Some(frame) = self.frames.get_mut(fid).and_then(Option::as_mut) else { return };
                let Phase::Wait { effective, .. } = std::mem::replace(&mut frame.phase, Phase::Run) else { return };
                let machine = self.machine.clone();
                let frame = self.frame(fid);
                let state = machine.workflow(frame.workflow).state(frame.state);
                let StateKind::Wait(wait) = &state.kind else { return };
                let output = self.output_path(frame, state, effective);
                if let Flow::Continue = self.finish_state(fid, output, wait.transition) {
                    self.queue.push_back(fid);
                }
            }
            TimerPurpose::Backoff(fid) => {
                if let Some(frame) = self.frames.get_mut(fid).and_then(Option::as_mut) {
                    frame.phase = Phase::Run;
                    self.queue.push_back(fid);
                }
            }
            TimerPurpose::TaskTimeout(fid, task) => {
                if self.tasks.remove(&task).is_none() {
                    return;
                }
                self.commands.push(Command::CancelTask { task });
                let Some(frame) = self.frames.get_mut(fid).and_then(Option::as_mut) else { return };
                let Phase::Task { kind, .. } = std::mem::replace(&mut frame.phase, Phase::Run) else { return };
                let failure = Failure { error: errors::TIMEOUT.to_owned(), cause: None };
                self.emit(fid, failed_event(&kind, &failure));
                if let Flow::Continue = self.fail_state(fid, failure) {
                    self.queue.push_back(fid);
                }
            }
        }
    }

    // ---- Parallel and Map -------------------------------------------------------------------------------------

    fn parallel_settled(&mut self, fid: usize) -> Flow {
        let machine = self.machine.clone();
        let frame = self.frame_mut(fid);
        let Phase::Parallel(fanout) = std::mem::replace(&mut frame.phase, Phase::Run) else { return Flow::Stop };
        let state = machine.workflow(frame.workflow).state(frame.state);
        let StateKind::Parallel(parallel) = &state.kind else { return Flow::Stop };
        if let Some(failure) = fanout.failure {
            for child in fanout.children.into_iter().flatten() {
                self.abort_frame(child);
            }
            let failure = failure_of(failure);
            if !self.will_retry(fid, &failure) {
                self.emit(fid, EventDetails::ParallelStateFailed);
            }
            return self.fail_state(fid, failure);
        }
        let frame = self.frame(fid);
        let output = self.result_pipeline(frame, state, parallel.result_selector.as_ref(), &parallel.result_path, Value::Array(fanout.results));
        self.finish_state(fid, output, parallel.transition)
    }

    fn start_map(&mut self, fid: usize, state: &State, map: &asl::model::Map, effective: Value) -> Flow {
        let frame = self.frame(fid);
        let items = match &map.items_path {
            Some(path) => self.with_env(frame, state, &effective, None, |env| path.select(env)).map_err(|message| {
                self.prefixed(frame, state, Failure::runtime(format!("Invalid path '{}' : {message}", path.as_str())))
            }),
            None => Ok(effective.clone()),
        };
        let items = match items {
            Ok(Value::Array(items)) => items,
            Ok(other) => {
                let failure = Failure::new(
                    errors::RUNTIME,
                    self.prefix_text(frame, state, &format!("Map state input must be an array but was: {other}")),
                );
                return self.fail_state(fid, failure);
            }
            Err(failure) => return self.fail_state(fid, failure),
        };
        let distributed = map.mode == MapMode::Distributed;
        // AWS resolves MaxConcurrency before the Map starts, and the tolerated failure thresholds after.
        let concurrency = match self.map_concurrency(frame, state, map, &effective) {
            Ok(concurrency) => concurrency,
            Err(failure) => return self.fail_state(fid, failure),
        };
        self.emit(fid, EventDetails::MapStateStarted { length: items.len() });
        let frame = self.frame(fid);
        let (tolerated_count, tolerated_percentage) = match self.map_tolerance(frame, state, map, &effective) {
            Ok(tolerance) => tolerance,
            Err(failure) => return self.fail_state(fid, failure),
        };
        let items = match &map.item_batcher {
            Some(batcher) if distributed => match self.batch(frame, state, batcher, items, &effective) {
                Ok(items) => items,
                Err(failure) => return self.fail_state(fid, failure),
            },
            _ => items,
        };
        if distributed {
            if map.item_reader.is_some() {
                let failure = Failure::new(
                    errors::ITEM_READER_FAILED,
                    self.prefix_text(frame, state, "ItemReader needs S3, which Baton does not provide; pass the items in the input instead"),
                );
                return self.fail_state(fid, failure);
            }
            self.map_runs += 1;
            let label = map.label.clone().unwrap_or_else(|| state.name.clone());
            let map_run_arn = format!(
                "{}/{}:{}",
                self.info.state_machine_arn.replacen(":stateMachine:", ":mapRun:", 1),
                label,
                self.map_runs
            );
            self.emit(fid, EventDetails::MapRunStarted { map_run_arn });
        }
        let default = if distributed { self.limits.distributed_map_concurrency } else { self.limits.inline_map_concurrency };
        let concurrency = match concurrency {
            0 => default,
            n => n.min(default.max(n)),
        };
        let count = items.len();
        self.frame_mut(fid).phase = Phase::Map(Box::new(MapRun {
            items,
            effective,
            next: 0,
            running: Vec::new(),
            results: vec![Value::Null; count],
            done: 0,
            failed: 0,
            concurrency,
            tolerated_count,
            tolerated_percentage,
            distributed,
            failure: None,
        }));
        Flow::Continue
    }

    /// Starts iterations up to the concurrency limit, and settles the Map when every item is done or it failed.
    fn map_step(&mut self, fid: usize) -> Flow {
        let machine = self.machine.clone();
        let (workflow, state_id) = {
            let frame = self.frame(fid);
            (frame.workflow, frame.state)
        };
        let state = machine.workflow(workflow).state(state_id);
        let StateKind::Map(map) = &state.kind else { return Flow::Stop };
        loop {
            let (index, item, distributed, effective) = {
                let Phase::Map(run) = &mut self.frame_mut(fid).phase else { return Flow::Stop };
                if run.failure.is_some() || run.done == run.items.len() {
                    return self.map_settled(fid);
                }
                if run.running.len() >= run.concurrency || run.next >= run.items.len() {
                    return Flow::Stop;
                }
                let index = run.next;
                run.next += 1;
                let item = std::mem::take(run.items.get_mut(index).expect("invariant: index below items.len()"));
                (index, item, run.distributed, std::mem::take(&mut run.effective))
            };
            let frame = self.frame(fid);
            let input = match &map.item_selector {
                Some(selector) => {
                    let extra = json!({"Index": index, "Value": item});
                    self.template(frame, state, selector, &effective, Some(extra))
                }
                None => Ok(item),
            };
            let record = frame.record && !distributed;
            let Phase::Map(run) = &mut self.frame_mut(fid).phase else { return Flow::Stop };
            run.effective = effective;
            let input = match input {
                Ok(input) => input,
                Err(failure) => {
                    run.failure = Some(details(failure));
                    return self.map_settled(fid);
                }
            };
            let started = if record {
                self.emit(fid, EventDetails::MapIterationStarted { name: state.name.clone(), index })
            } else {
                self.frame(fid).last_event
            };
            let start = machine.workflow(map.processor).start_at;
            let child = self.spawn(map.processor, start, Parent::Iteration { frame: fid, index }, input, started, record);
            self.queue.push_back(child);
            if let Phase::Map(run) = &mut self.frame_mut(fid).phase {
                run.running.push(child);
            }
        }
    }

    fn map_settled(&mut self, fid: usize) -> Flow {
        let machine = self.machine.clone();
        let frame = self.frame_mut(fid);
        let Phase::Map(run) = std::mem::replace(&mut frame.phase, Phase::Run) else { return Flow::Stop };
        let state = machine.workflow(frame.workflow).state(frame.state);
        let StateKind::Map(map) = &state.kind else { return Flow::Stop };
        if let Some(failure) = run.failure {
            for child in run.running {
                self.abort_frame(child);
            }
            if run.distributed {
                self.emit(fid, EventDetails::MapRunFailed(failure.clone()));
            }
            let failure = failure_of(failure);
            if !self.will_retry(fid, &failure) {
                self.emit(fid, EventDetails::MapStateFailed);
            }
            return self.fail_state(fid, failure);
        }
        if run.distributed {
            self.emit(fid, EventDetails::MapRunSucceeded);
        }
        self.emit(fid, EventDetails::MapStateSucceeded);
        let frame = self.frame(fid);
        let output = self.result_pipeline(frame, state, map.result_selector.as_ref(), &map.result_path, Value::Array(run.results));
        self.finish_state(fid, output, map.transition)
    }

    /// MaxConcurrency, resolved against the effective input.
    fn map_concurrency(&self, frame: &Frame, state: &State, map: &asl::model::Map, effective: &Value) -> Result<usize, Failure> {
        let concurrency = match &map.max_concurrency {
            Some(count) => self.map_count(frame, state, count, "MaxConcurrency", effective)?,
            None => 0,
        };
        Ok(usize::try_from(concurrency).unwrap_or(usize::MAX))
    }

    /// The tolerated failure count and percentage, resolved against the effective input.
    fn map_tolerance(
        &self,
        frame: &Frame,
        state: &State,
        map: &asl::model::Map,
        effective: &Value,
    ) -> Result<(Option<u64>, Option<f64>), Failure> {
        let runtime = |message: String| Failure::runtime(self.prefix_text(frame, state, &message));
        let tolerated_count = match &map.tolerated_failure_count {
            Some(count) => Some(self.map_count(frame, state, count, "ToleratedFailureCount", effective)?),
            None => None,
        };
        let tolerated_percentage = match &map.tolerated_failure_percentage {
            Some(Percentage::Literal(p)) => Some(*p),
            Some(Percentage::Path(path)) => {
                let value = self
                    .with_env(frame, state, effective, None, |env| path.select(env))
                    .map_err(|message| runtime(format!("Invalid path '{}' : {message}", path.as_str())))?;
                match value.as_f64() {
                    Some(p) if (0.0..=100.0).contains(&p) => Some(p),
                    Some(_) => return Err(runtime("ToleratedFailurePercentage must be between 0 and 100.".to_owned())),
                    None => {
                        return Err(runtime(format!(
                            "The ToleratedFailurePercentagePath field refers to value \"{}\" which is not a valid float: {}",
                            display_plain(&value),
                            path.as_str()
                        )));
                    }
                }
            }
            None => None,
        };
        Ok((tolerated_count, tolerated_percentage))
    }

    /// A Map's whole-number setting, literal or from a path, with AWS's error texts.
    fn map_count(&self, frame: &Frame, state: &State, count: &Count, field: &str, effective: &Value) -> Result<u64, Failure> {
        let runtime = |message: String| Failure::runtime(self.prefix_text(frame, state, &message));
        match count {
            Count::Literal(n) => Ok(*n),
            Count::Path(path) => {
                let value = self
                    .with_env(frame, state, effective, None, |env| path.select(env))
                    .map_err(|message| runtime(format!("Invalid path '{}' : {message}", path.as_str())))?;
                match value.as_i64() {
                    Some(n) if n < 0 => Err(runtime(format!("{field} cannot be negative."))),
                    Some(n) => Ok(n.unsigned_abs()),
                    None => Err(runtime(format!(
                        "The {field}Path field refers to value \"{}\" which is not a valid integer: {}",
                        display_plain(&value),
                        path.as_str()
                    ))),
                }
            }
        }
    }

    /// Groups items into batches as ItemBatcher says: `{"Items": […], "BatchInput": …}`.
    fn batch(
        &self,
        frame: &Frame,
        state: &State,
        batcher: &asl::model::ItemBatcher,
        items: Vec<Value>,
        effective: &Value,
    ) -> Result<Vec<Value>, Failure> {
        let resolve = |count: &Option<Count>| -> Result<Option<u64>, Failure> {
            match count {
                None => Ok(None),
                Some(Count::Literal(n)) => Ok(Some(*n)),
                Some(Count::Path(path)) => {
                    let value = self.with_env(frame, state, effective, None, |env| path.select(env)).map_err(|message| {
                        Failure::runtime(self.prefix_text(frame, state, &format!("Invalid path '{}' : {message}", path.as_str())))
                    })?;
                    Ok(value.as_u64())
                }
            }
        };
        let max_items = resolve(&batcher.max_items_per_batch)?.filter(|n| *n > 0).unwrap_or(u64::MAX);
        let max_bytes = resolve(&batcher.max_input_bytes_per_batch)?.filter(|n| *n > 0).unwrap_or(262_144);
        let batch_input = match &batcher.batch_input {
            Some(template) => Some(self.template(frame, state, template, effective, None)?),
            None => None,
        };
        let mut batches = Vec::new();
        let mut current: Vec<Value> = Vec::new();
        let mut bytes = 0_u64;
        for item in items {
            let size = item.to_string().len() as u64;
            if !current.is_empty() && (current.len() as u64 >= max_items || bytes + size > max_bytes) {
                batches.push(batch_value(std::mem::take(&mut current), batch_input.as_ref()));
                bytes = 0;
            }
            bytes += size;
            current.push(item);
        }
        if !current.is_empty() {
            batches.push(batch_value(current, batch_input.as_ref()));
        }
        Ok(batches)
    }

    // ---- Completing and failing states ------------------------------------------------------------------------

    /// Completes the current state with `output` (or fails it) and follows `transition`.
    fn finish_state(&mut self, fid: usize, output: Result<Value, Failure>, transition: Transition) -> Flow {
        let output = match output {
            Ok(output) => output,
            Err(failure) => return self.fail_state(fid, failure),
        };
        let machine = self.machine.clone();
        let frame = self.frame(fid);
        let state = machine.workflow(frame.workflow).state(frame.state);
        let text = output.to_string();
        if text.len() > self.limits.max_payload_bytes {
            return self.fail_state(fid, data_limit_exceeded(&state.name));
        }
        if !matches!(state.kind, StateKind::Fail(_)) {
            self.emit(fid, EventDetails::StateExited { state_type: state.kind.type_name(), name: state.name.clone(), output: text });
        }
        match transition {
            Transition::Next(next) => {
                let frame = self.frame_mut(fid);
                frame.state = next;
                frame.input = output;
                frame.phase = Phase::Enter;
                Flow::Continue
            }
            Transition::End => {
                self.end_frame(fid, Ok(output));
                Flow::Stop
            }
        }
    }

    /// Whether `fail_state` would retry this failure (AWS writes `…StateFailed` only for a failure that stays).
    fn will_retry(&self, fid: usize, failure: &Failure) -> bool {
        let frame = self.frame(fid);
        let state = self.machine.workflow(frame.workflow).state(frame.state);
        let retriers = match &state.kind {
            StateKind::Task(s) => &s.retry,
            StateKind::Parallel(s) => &s.retry,
            StateKind::Map(s) => &s.retry,
            _ => return false,
        };
        retriers.iter().enumerate().find(|(_, r)| r.error_equals.iter().any(|e| failure.matches(e))).is_some_and(
            |(index, retrier)| frame.attempts.get(index).copied().unwrap_or(0) < retrier.max_attempts,
        )
    }

    /// Handles a failure of the current state: retry, catch, or fail the frame.
    fn fail_state(&mut self, fid: usize, failure: Failure) -> Flow {
        let machine = self.machine.clone();
        let frame = self.frame(fid);
        let state = machine.workflow(frame.workflow).state(frame.state);
        let (retriers, catchers) = match &state.kind {
            StateKind::Task(s) => (&s.retry, &s.catch),
            StateKind::Parallel(s) => (&s.retry, &s.catch),
            StateKind::Map(s) => (&s.retry, &s.catch),
            _ => {
                self.end_frame(fid, Err(details(failure)));
                return Flow::Stop;
            }
        };
        if let Some((index, retrier)) =
            retriers.iter().enumerate().find(|(_, r)| r.error_equals.iter().any(|e| failure.matches(e)))
        {
            let frame = self.frame_mut(fid);
            if frame.attempts.len() < retriers.len() {
                frame.attempts.resize(retriers.len(), 0);
            }
            let attempts = frame.attempts.get_mut(index).expect("invariant: resized to the retrier count");
            if *attempts < retrier.max_attempts {
                *attempts += 1;
                let attempt = *attempts;
                frame.retry_count += 1;
                let mut delay = retrier.delay_ms(attempt);
                if retrier.jitter == asl::model::Jitter::Full {
                    delay = next_random(&self.rng) % delay.saturating_add(1);
                }
                let timer = self.timer(TimerPurpose::Backoff(fid));
                self.commands.push(Command::StartTimer { timer, at: self.now.saturating_add(i64::try_from(delay).unwrap_or(i64::MAX)) });
                self.frame_mut(fid).phase = Phase::Backoff { timer };
                return Flow::Stop;
            }
        }
        if let Some(catcher) = catchers.iter().find(|c| c.error_equals.iter().any(|e| failure.matches(e))) {
            // AWS's error output always has a Cause: an error without one (a timeout) gets "".
            let mut error_output = Object::new();
            error_output.insert("Error".into(), failure.error.clone().into());
            error_output.insert("Cause".into(), failure.cause.clone().unwrap_or_default().into());
            let frame = self.frame(fid);
            let output = self.apply_result_path(frame, state, &catcher.result_path, Value::Object(error_output));
            return match output {
                // A catcher's output that is itself too large fails the state for good: catching it again would
                // produce the same output forever.
                Ok(output) if output.to_string().len() > self.limits.max_payload_bytes => {
                    self.end_frame(fid, Err(details(data_limit_exceeded(&state.name))));
                    Flow::Stop
                }
                Ok(output) => self.finish_state(fid, Ok(output), Transition::Next(catcher.next)),
                Err(failure) => {
                    self.end_frame(fid, Err(details(failure)));
                    Flow::Stop
                }
            };
        }
        self.end_frame(fid, Err(details(failure)));
        Flow::Stop
    }

    /// Ends a frame: the execution finishes, or the parent Parallel/Map learns the result.
    fn end_frame(&mut self, fid: usize, outcome: Outcome) {
        let Some(frame) = self.frames.get_mut(fid).and_then(Option::take) else { return };
        self.free.push(fid);
        match frame.parent {
            Parent::Root => match outcome {
                Ok(output) => {
                    self.emit_execution(EventDetails::ExecutionSucceeded { output: output.to_string() });
                    self.status = Status::Succeeded { output };
                    self.cancel_all_timers();
                }
                Err(error) => {
                    self.emit_execution(EventDetails::ExecutionFailed(error.clone()));
                    self.status = Status::Failed(error);
                    self.abort_all();
                }
            },
            Parent::Branch { frame: parent, index } => {
                let Some(Phase::Parallel(fanout)) = self.frames.get_mut(parent).and_then(Option::as_mut).map(|f| &mut f.phase)
                else {
                    return;
                };
                if let Some(slot) = fanout.children.get_mut(index) {
                    *slot = None;
                }
                match outcome {
                    Ok(output) => {
                        if let Some(slot) = fanout.results.get_mut(index) {
                            *slot = output;
                        }
                        fanout.remaining -= 1;
                    }
                    Err(error) => {
                        if fanout.failure.is_none() {
                            fanout.failure = Some(error);
                        }
                    }
                }
                self.sync_parent_event(parent, frame.last_event);
                self.queue.push_back(parent);
            }
            Parent::Iteration { frame: parent, index } => {
                let Some(parent_frame) = self.frames.get_mut(parent).and_then(Option::as_mut) else { return };
                let Phase::Map(run) = &mut parent_frame.phase else { return };
                run.running.retain(|child| *child != fid);
                let record = parent_frame.record && !run.distributed;
                let name = {
                    let machine = self.machine.clone();
                    let parent_frame = self.frame(parent);
                    machine.workflow(parent_frame.workflow).state(parent_frame.state).name.clone()
                };
                self.sync_parent_event(parent, frame.last_event);
                let Some(Phase::Map(run)) = self.frames.get_mut(parent).and_then(Option::as_mut).map(|f| &mut f.phase) else {
                    return;
                };
                run.done += 1;
                match outcome {
                    Ok(output) => {
                        if let Some(slot) = run.results.get_mut(index) {
                            *slot = output;
                        }
                        if record {
                            self.emit(parent, EventDetails::MapIterationSucceeded { name, index });
                        }
                    }
                    Err(error) => {
                        run.failed += 1;
                        let total = run.items.len();
                        let tolerated = tolerates(run.failed, total, run.tolerated_count, run.tolerated_percentage);
                        if let Some(slot) = run.results.get_mut(index) {
                            *slot = error_output(&error);
                        }
                        if !tolerated && run.failure.is_none() {
                            run.failure = Some(if run.distributed {
                                ErrorDetails {
                                    error: Some(errors::EXCEED_TOLERATED_FAILURE_THRESHOLD.to_owned()),
                                    cause: Some("The specified tolerated failure threshold was exceeded".to_owned()),
                                }
                            } else {
                                error
                            });
                        }
                        if record {
                            self.emit(parent, EventDetails::MapIterationFailed { name, index });
                        }
                    }
                }
                self.queue.push_back(parent);
            }
        }
    }

    /// A child's last event becomes the parent's previous event, so the parent's thread continues after it.
    fn sync_parent_event(&mut self, parent: usize, last_event: u64) {
        if let Some(parent) = self.frames.get_mut(parent).and_then(Option::as_mut)
            && parent.record
        {
            parent.last_event = parent.last_event.max(last_event);
        }
    }

    /// Stops a frame and everything under it, cancelling what it waits for.
    fn abort_frame(&mut self, fid: usize) {
        let Some(frame) = self.frames.get_mut(fid).and_then(Option::take) else { return };
        self.free.push(fid);
        match frame.phase {
            Phase::Task { task, timeout, .. } => {
                self.tasks.remove(&task);
                self.commands.push(Command::CancelTask { task });
                if let Some(timer) = timeout {
                    self.cancel_timer(timer);
                }
            }
            Phase::Wait { timer, .. } | Phase::Backoff { timer } => self.cancel_timer(timer),
            Phase::Parallel(fanout) => {
                for child in fanout.children.into_iter().flatten() {
                    self.abort_frame(child);
                }
            }
            Phase::Map(run) => {
                for child in run.running {
                    self.abort_frame(child);
                }
            }
            Phase::Enter | Phase::Run => {}
        }
    }

    fn abort_all(&mut self) {
        for fid in 0..self.frames.len() {
            if matches!(self.frames.get(fid), Some(Some(frame)) if matches!(frame.parent, Parent::Root)) {
                self.abort_frame(fid);
            }
        }
        self.queue.clear();
        self.cancel_all_timers();
    }

    fn cancel_all_timers(&mut self) {
        let mut timers: Vec<TimerId> = self.timers.keys().copied().collect();
        timers.sort();
        for timer in timers {
            self.cancel_timer(timer);
        }
    }

    fn cancel_timer(&mut self, timer: TimerId) {
        if self.timers.remove(&timer).is_some() {
            self.commands.push(Command::CancelTimer { timer });
        }
    }

    // ---- Input and output processing --------------------------------------------------------------------------

    fn input_path(&self, frame: &Frame, state: &State) -> Result<Value, Failure> {
        match &state.input_path {
            None => Ok(frame.input.clone()),
            Some(PathOrNull::Null) => Ok(Value::Object(Object::new())),
            Some(PathOrNull::Path(path)) => self
                .with_env(frame, state, &frame.input, None, |env| path.select(env))
                .map_err(|message| self.prefixed(frame, state, Failure::runtime(format!("Invalid path '{}' : {message}", path.as_str())))),
        }
    }

    fn output_path(&self, frame: &Frame, state: &State, output: Value) -> Result<Value, Failure> {
        match &state.output_path {
            None => Ok(output),
            Some(PathOrNull::Null) => Ok(Value::Object(Object::new())),
            Some(PathOrNull::Path(path)) => self
                .with_env(frame, state, &output, None, |env| path.select(env))
                .map_err(|message| self.prefixed(frame, state, Failure::runtime(format!("Invalid path '{}' : {message}", path.as_str())))),
        }
    }

    /// ResultSelector, ResultPath and OutputPath applied to a result.
    fn result_pipeline(
        &self,
        frame: &Frame,
        state: &State,
        selector: Option<&Template>,
        result_path: &ResultPath,
        result: Value,
    ) -> Result<Value, Failure> {
        let result = match selector {
            Some(selector) => self.template(frame, state, selector, &result, None)?,
            None => result,
        };
        let merged = self.apply_result_path(frame, state, result_path, result)?;
        self.output_path(frame, state, merged)
    }

    fn apply_result_path(&self, frame: &Frame, state: &State, result_path: &ResultPath, result: Value) -> Result<Value, Failure> {
        match result_path {
            ResultPath::Replace => Ok(result),
            ResultPath::Discard => Ok(frame.input.clone()),
            ResultPath::At(path) => path.write(frame.input.clone(), result).map_err(|message| {
                let failure = Failure::new(errors::RESULT_PATH_MATCH_FAILURE, format!("Invalid path '{}' : {message}", path.as_str()));
                self.prefixed(frame, state, failure)
            }),
        }
    }

    fn template(&self, frame: &Frame, state: &State, template: &Template, input: &Value, map_item: Option<Value>) -> Result<Value, Failure> {
        self.with_env(frame, state, input, map_item, |env| template.evaluate(env))
            .map_err(|failure| self.prefixed(frame, state, failure))
    }

    fn seconds(&self, frame: &Frame, state: &State, seconds: Option<&Seconds>, input: &Value) -> Result<Option<u64>, Failure> {
        let _ = input;
        match seconds {
            None => Ok(None),
            Some(Seconds::Literal(n)) => Ok(Some(*n)),
            Some(Seconds::Path(path)) => {
                let value = self
                    .with_env(frame, state, &frame.input, None, |env| path.select(env))
                    .map_err(|message| self.prefixed(frame, state, Failure::runtime(format!("Invalid path '{}' : {message}", path.as_str()))))?;
                match value.as_u64() {
                    Some(n) if n > 0 => Ok(Some(n)),
                    _ => Err(self.prefixed(
                        frame,
                        state,
                        Failure::runtime(format!("The value at {} must be a positive integer, but was: {value}", path.as_str())),
                    )),
                }
            }
        }
    }

    fn wait_deadline(&self, frame: &Frame, state: &State, until: &WaitUntil, effective: &Value) -> Result<i64, Failure> {
        let runtime = |message: String| Failure::runtime(self.prefix_text(frame, state, &message));
        match until {
            WaitUntil::Seconds(seconds) => Ok(self.now.saturating_add(seconds_ms(*seconds))),
            WaitUntil::Timestamp(at) => Ok(*at),
            WaitUntil::SecondsPath(path) => {
                let value = self
                    .with_env(frame, state, effective, None, |env| path.select(env))
                    .map_err(|_| runtime(format!("The SecondsPath parameter does not reference an input value: {}", path.as_str())))?;
                match &value {
                    Value::Number(n) => match n.as_i64() {
                        Some(seconds) if seconds < 0 => Err(runtime(format!(
                            "The SecondsPath parameter references a negative value: {} == {value}",
                            path.as_str()
                        ))),
                        Some(seconds) => Ok(self.now.saturating_add(seconds.saturating_mul(1000))),
                        None => Err(runtime(format!(
                            "The SecondsPath parameter cannot be parsed as a long value: {} == {value}",
                            path.as_str()
                        ))),
                    },
                    _ => Err(runtime(format!(
                        "The SecondsPath parameter cannot be parsed as a long value: {} == {}",
                        path.as_str(),
                        display_plain(&value)
                    ))),
                }
            }
            WaitUntil::TimestampPath(path) => {
                let value = self
                    .with_env(frame, state, effective, None, |env| path.select(env))
                    .map_err(|_| runtime(format!("The TimestampPath parameter does not reference an input value: {}", path.as_str())))?;
                value.as_str().and_then(asl::parse::parse_timestamp).ok_or_else(|| {
                    runtime(format!(
                        "The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time format string: {} == {}",
                        path.as_str(),
                        display_plain(&value)
                    ))
                })
            }
        }
    }

    fn fail_text(&self, frame: &Frame, state: &State, text: Option<&Text>, field: &str, input: &Value) -> Result<Option<String>, Failure> {
        match text {
            None => Ok(None),
            Some(Text::Literal(text)) => Ok(Some(text.clone())),
            Some(Text::Path(path)) => {
                let value = self.with_env(frame, state, input, None, |env| path.select(env)).map_err(|_| {
                    self.prefixed(
                        frame,
                        state,
                        Failure::runtime(format!(
                            "The JSONPath '{}' specified for the field '{field}' could not be found in the input '{input}'",
                            path.as_str()
                        )),
                    )
                })?;
                Ok(Some(display_plain(&value)))
            }
            Some(Text::Intrinsic(call)) => {
                let value = self.with_env(frame, state, input, None, |env| call.evaluate(env)).map_err(|f| self.prefixed(frame, state, f))?;
                Ok(Some(display_plain(&value)))
            }
        }
    }

    /// Runs `f` with the evaluation environment of `state`: `input` as `$`, the Context object as `$$` (built only if
    /// the state mentions it), with `map_item` as `$$.Map.Item` when given.
    fn with_env<R>(&self, frame: &Frame, state: &State, input: &Value, map_item: Option<Value>, f: impl FnOnce(&Env) -> R) -> R {
        let context = if state.uses_context { self.context(frame, state, map_item) } else { Value::Null };
        let random = || next_random(&self.rng);
        let env = Env { input, context: &context, vars: &NoVariables, random: &random };
        f(&env)
    }

    fn context(&self, frame: &Frame, state: &State, map_item: Option<Value>) -> Value {
        let mut state_object = Object::new();
        state_object.insert("EnteredTime".into(), format_timestamp(frame.entered_time).into());
        state_object.insert("Name".into(), state.name.clone().into());
        if matches!(state.kind, StateKind::Task(_) | StateKind::Parallel(_) | StateKind::Map(_)) {
            state_object.insert("RetryCount".into(), frame.retry_count.into());
        }
        let mut context = Object::new();
        let mut execution = json!({
            "Id": self.info.execution_arn,
            "Input": self.input,
            "Name": self.info.name,
            "RoleArn": self.info.role_arn,
            "StartTime": format_timestamp(self.start_time),
        });
        if !self.info.express {
            execution["RedriveCount"] = 0.into();
        }
        context.insert("Execution".into(), execution);
        context.insert("State".into(), Value::Object(state_object));
        context.insert("StateMachine".into(), json!({"Id": self.info.state_machine_arn, "Name": self.info.state_machine_name}));
        if let Some(item) = map_item {
            context.insert("Map".into(), json!({"Item": item}));
        }
        Value::Object(context)
    }

    /// Adds AWS's "An error occurred while executing the state …" preface to an evaluation failure.
    fn prefixed(&self, frame: &Frame, state: &State, failure: Failure) -> Failure {
        let cause = failure.cause.as_deref().unwrap_or("");
        Failure { cause: Some(self.prefix_text(frame, state, cause)), error: failure.error }
    }

    fn prefix_text(&self, frame: &Frame, state: &State, message: &str) -> String {
        format!(
            "An error occurred while executing the state '{}' (entered at the event id #{}). {message}",
            state.name, frame.entered_event
        )
    }

    // ---- Bookkeeping ------------------------------------------------------------------------------------------

    fn spawn(&mut self, workflow: WorkflowId, state: StateId, parent: Parent, input: Value, last_event: u64, record: bool) -> usize {
        let frame = Frame {
            workflow,
            state,
            parent,
            input,
            entered_event: 0,
            entered_time: self.now,
            last_event,
            record,
            attempts: Vec::new(),
            retry_count: 0,
            phase: Phase::Enter,
        };
        match self.free.pop() {
            Some(fid) => {
                if let Some(slot) = self.frames.get_mut(fid) {
                    *slot = Some(frame);
                }
                fid
            }
            None => {
                self.frames.push(Some(frame));
                self.frames.len() - 1
            }
        }
    }

    fn frame(&self, fid: usize) -> &Frame {
        self.frames.get(fid).and_then(Option::as_ref).expect("invariant: frames in the queue or waiting are alive")
    }

    fn frame_mut(&mut self, fid: usize) -> &mut Frame {
        self.frames.get_mut(fid).and_then(Option::as_mut).expect("invariant: frames in the queue or waiting are alive")
    }

    fn handle(&mut self) -> u64 {
        let handle = self.next_handle;
        self.next_handle += 1;
        handle
    }

    fn timer(&mut self, purpose: TimerPurpose) -> TimerId {
        let timer = TimerId(self.handle());
        self.timers.insert(timer, purpose);
        timer
    }

    /// Appends an event in frame `fid`'s thread; returns its id. Frames that do not record (distributed Map
    /// iterations) return their last event id unchanged.
    fn emit(&mut self, fid: usize, details: EventDetails) -> u64 {
        let Some(frame) = self.frames.get_mut(fid).and_then(Option::as_mut) else { return 0 };
        if !frame.record {
            return frame.last_event;
        }
        let id = self.history.len() as u64 + 1;
        self.history.push(HistoryEvent { id, previous_event_id: frame.last_event, timestamp: self.now, details });
        frame.last_event = id;
        id
    }

    fn emit_execution(&mut self, details: EventDetails) {
        let id = self.history.len() as u64 + 1;
        let previous = self.history.len() as u64;
        self.history.push(HistoryEvent { id, previous_event_id: previous, timestamp: self.now, details });
    }
}

/// `States.DataLimitExceeded` for a result or output of `who` over the payload limit.
fn data_limit_exceeded(who: &str) -> Failure {
    Failure::new(
        errors::DATA_LIMIT_EXCEEDED,
        format!("The state/task '{who}' returned a result with a size exceeding the maximum number of bytes service limit."),
    )
}

fn succeeded_event(kind: &ResourceKind, output: String) -> EventDetails {
    match kind {
        ResourceKind::LambdaFunction => EventDetails::LambdaFunctionSucceeded { output },
        ResourceKind::Service { resource_type, resource } => {
            EventDetails::TaskSucceeded { resource_type: resource_type.clone(), resource: resource.clone(), output }
        }
        ResourceKind::Activity => {
            EventDetails::TaskSucceeded { resource_type: "activity".to_owned(), resource: String::new(), output }
        }
    }
}

fn failed_event(kind: &ResourceKind, failure: &Failure) -> EventDetails {
    let error = ErrorDetails { error: Some(failure.error.clone()), cause: failure.cause.clone() };
    let timed_out = failure.error == errors::TIMEOUT;
    match kind {
        ResourceKind::LambdaFunction if timed_out => EventDetails::LambdaFunctionTimedOut(error),
        ResourceKind::LambdaFunction => EventDetails::LambdaFunctionFailed(error),
        ResourceKind::Service { resource_type, resource } if timed_out => {
            EventDetails::TaskTimedOut { resource_type: resource_type.clone(), resource: resource.clone(), error }
        }
        ResourceKind::Service { resource_type, resource } => {
            EventDetails::TaskFailed { resource_type: resource_type.clone(), resource: resource.clone(), error }
        }
        ResourceKind::Activity => EventDetails::TaskFailed { resource_type: "activity".to_owned(), resource: String::new(), error },
    }
}

/// A failure as history details. An empty error name is how `failure_of` carries "no error" (a Fail state without
/// `Error`) through retry and catch matching, and it turns back into none here.
fn details(failure: Failure) -> ErrorDetails {
    ErrorDetails { error: (!failure.error.is_empty()).then_some(failure.error), cause: failure.cause }
}

fn failure_of(details: ErrorDetails) -> Failure {
    Failure { error: details.error.unwrap_or_default(), cause: details.cause }
}

fn error_output(error: &ErrorDetails) -> Value {
    let mut object = Object::new();
    if let Some(e) = &error.error {
        object.insert("Error".into(), e.clone().into());
    }
    if let Some(c) = &error.cause {
        object.insert("Cause".into(), c.clone().into());
    }
    Value::Object(object)
}

fn batch_value(items: Vec<Value>, batch_input: Option<&Value>) -> Value {
    let mut object = Object::new();
    if let Some(input) = batch_input {
        object.insert("BatchInput".into(), input.clone());
    }
    object.insert("Items".into(), Value::Array(items));
    Value::Object(object)
}

/// Whether `failed` failures among `total` items stay within the tolerated thresholds (none set: zero tolerated).
fn tolerates(failed: usize, total: usize, count: Option<u64>, percentage: Option<f64>) -> bool {
    let by_count = count.is_some_and(|c| failed as u64 <= c);
    let by_percentage = percentage.is_some_and(|p| total > 0 && (failed as f64) * 100.0 / (total as f64) <= p);
    by_count || by_percentage
}

/// A string value as itself, anything else as JSON.
fn display_plain(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn seconds_ms(seconds: u64) -> i64 {
    i64::try_from(seconds.saturating_mul(1000)).unwrap_or(i64::MAX)
}

/// SplitMix64: a small, well-distributed generator; the engine's only source of "randomness".
fn next_random(state: &Cell<u64>) -> u64 {
    let next = state.get().wrapping_add(0x9e37_79b9_7f4a_7c15);
    state.set(next);
    let mut z = next;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}
