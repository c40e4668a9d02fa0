//! One execution of a state machine: its running threads (frames), the triggers it takes, the commands it gives.
//!
//! A frame is one thread of execution: the top-level workflow, a Parallel branch, or a Map iteration. Frames wait in
//! a run queue; `run` advances each until it blocks on the outside world (a task, a timer) or on child frames. All
//! changes happen inside `apply`, one trigger at a time, and every observable change is a history event.

use std::cell::Cell;
use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use serde_json::{Map as Object, Value};

use asl::model::{Condition, QueryLanguage, ResultPath, State, StateId, StateKind, StateMachine, Transition, WorkflowId};
use asl::{Failure, errors};

use crate::history::{ErrorDetails, EventDetails, HistoryEvent, TaskScheduled, json_text};
use crate::map_run::{MapRunInfo, MapRunStatus};

mod children;
mod dataflow;
mod fanout;
mod items;
mod reader;
mod redrive;
mod writer;

use crate::nesting::{MAX_NESTING_DEPTH, nesting_depth};
use crate::variables::Scope;
use children::{ChildRun, Record};
pub use children::ChildEvent;
use dataflow::{Conclusion, Concluded, input_as_result};
use redrive::{Kept, Slot, StoppedAt};
use crate::resource::ResourceKind;

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
    /// The version it runs and the alias it was started through, if any, for its `ExecutionStarted` event.
    pub version_arn: Option<String>,
    pub alias_arn: Option<String>,
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
    /// Most history events an execution may have; AWS fails a Standard execution that reaches 25,000. 0 is no limit.
    pub max_history_events: usize,
    /// Longest an Express execution may run, in seconds: AWS times it out after five minutes, whatever its
    /// `TimeoutSeconds`. 0 is no limit.
    pub max_express_seconds: u64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_payload_bytes: 262_144,
            inline_map_concurrency: 40,
            distributed_map_concurrency: 1000,
            max_history_events: 25_000,
            max_express_seconds: 300,
        }
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
    /// A callback task's request (`.waitForTaskToken`) was made and answered `output`; the task now waits for its
    /// token to come back with `TaskCompleted`.
    TaskSubmitted { task: TaskId, output: Value, now: i64 },
    /// An activity worker took the task.
    TaskStarted { task: TaskId, worker: String, now: i64 },
    /// The task's token sent a heartbeat.
    TaskHeartbeat { task: TaskId, now: i64 },
    /// A callback task's token came back (SendTaskSuccess or SendTaskFailure). If the task's request has not returned
    /// yet (no `TaskSubmitted`), the outcome waits for it, so the history shows the submission first, as AWS's does;
    /// otherwise it is `TaskCompleted`. The first outcome counts.
    TaskCallback { task: TaskId, outcome: Result<Value, Failure>, now: i64 },
    /// The runtime cannot go on with the execution (a bug in Baton, or a stored history it cannot resume): it fails
    /// at once with only an `ExecutionFailed` event, wherever it was, and cannot be redriven.
    Fail { error: String, cause: String, now: i64 },
    /// Run a failed, timed-out or aborted execution again from the state where it stopped (RedriveExecution); in a
    /// Parallel or Map, only the branches and iterations that had not succeeded run again, and a distributed Map
    /// redrives its Map Run.
    Redrive { now: i64 },
    /// Change a running distributed Map run's limits (UpdateMapRun); what is `None` stays. Ignored for a Map run that
    /// is not running.
    UpdateMapRun {
        map_run_arn: String,
        max_concurrency: Option<u64>,
        tolerated_failure_count: Option<u64>,
        tolerated_failure_percentage: Option<f64>,
        now: i64,
    },
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
    /// The task token of a callback (`.waitForTaskToken`) or activity task, which completes it.
    pub token: Option<String>,
    /// The role the task assumes (`Credentials.RoleArn`), if any.
    pub role_arn: Option<String>,
    /// The id of the event that scheduled it (`TaskScheduled`, `ActivityScheduled` or `LambdaFunctionScheduled`) in
    /// this execution's history; `None` for a task without one (a Map's `ItemReader` and `ResultWriter` calls) or
    /// whose events go to a distributed Map's child execution. The runtime names the task's trace span after it.
    /// (Event ids start at 1; `NonZeroU64` keeps `Command` small.)
    pub scheduled_event: Option<std::num::NonZeroU64>,
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

/// How one fold went, where replaying it could not work it out again: how many steps it took before it paused
/// (`Execution::set_slice` bounds that, and the bounds may differ in a later run), and which of its JSONata
/// evaluations the runtime cut off (a time limit measured on a clock). Stored with the trigger; see `FoldNote::write`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FoldNote {
    pub paused_after: Option<usize>,
    pub cutoffs: Vec<u64>,
}

/// An execution: the machine, the history so far, and the threads still running.
pub struct Execution {
    machine: Arc<StateMachine>,
    info: ExecutionInfo,
    limits: Limits,
    input: Value,
    start_time: i64,
    now: i64,
    /// The events not yet taken (`take_events`); all of them if nobody takes them.
    history: Vec<HistoryEvent>,
    /// How many events the execution has, taken or not: the last one's id.
    event_count: u64,
    last_event_time: i64,
    /// Payload bytes of the events this fold emitted, for `slice_bytes`.
    fold_bytes: usize,
    slice_bytes: usize,
    paused_after: Option<usize>,
    guard: asl::Guard,
    frames: Vec<Option<Frame>>,
    free: Vec<usize>,
    queue: VecDeque<usize>,
    tasks: HashMap<TaskId, usize>,
    timers: HashMap<TimerId, TimerPurpose>,
    next_handle: u64,
    commands: Vec<Command>,
    status: Status,
    rng: Cell<u64>,
    /// The distributed Map runs started, in order.
    map_runs: Vec<MapRunInfo>,
    /// The workflow variables the top-level workflow starts with (TestState gives some).
    initial_vars: Arc<Scope>,
    slice: usize,
    /// Where the top-level workflow stopped, if it failed, timed out or was aborted there, and, through the Parallel
    /// or Map it stopped in, where each of their branches and iterations stopped: a redrive starts again here.
    stopped_at: Option<StoppedAt>,
    redrive_count: u32,
    redrive_time: Option<i64>,
    /// Whether distributed Map iterations write child histories (`keep_child_histories`).
    keep_children: bool,
    /// The child executions of each Map Run, by its index in `map_runs`.
    child_runs: Vec<ChildRun>,
    /// The child executions' events not taken yet.
    child_events: Vec<ChildEvent>,
}

/// One thread of execution.
struct Frame {
    workflow: WorkflowId,
    state: StateId,
    parent: Parent,
    /// The raw input of the current state.
    input: Value,
    /// `input` as JSON text, when the state before wrote it as its output and the state has not been entered yet.
    input_text: Option<String>,
    entered_event: u64,
    entered_time: i64,
    last_event: u64,
    /// Which history its events go to: a distributed Map's iterations are child executions with their own.
    record: Record,
    /// Attempts made per retrier of the current state.
    attempts: Vec<u32>,
    retry_count: u32,
    /// The workflow variables this thread sees.
    vars: Arc<Scope>,
    /// The token of the task being scheduled, for `$$.Task.Token`.
    task_token: Option<String>,
    /// Set only in a redrive, on a frame that continues in a Parallel or Map state: what became of each branch or
    /// iteration before (and of a distributed Map's Map Run). The state takes it when it starts them; it is `None`
    /// everywhere else.
    redrive: Option<Box<Kept>>,
    phase: Phase,
}

/// What a new frame starts with.
struct Spawn {
    workflow: WorkflowId,
    state: StateId,
    parent: Parent,
    input: Value,
    /// The event its thread continues from.
    last_event: u64,
    record: Record,
    vars: Arc<Scope>,
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
    Task {
        task: TaskId,
        timeout: Option<TimerId>,
        heartbeat: Option<(TimerId, u64)>,
        kind: ResourceKind,
        /// A callback task whose request has not returned: its token's answer waits in `early` until it does.
        submitting: bool,
        early: Option<Box<Result<Value, Failure>>>,
    },
    Wait { timer: TimerId, effective: Value },
    Backoff { timer: TimerId },
    Parallel(Box<Fanout>),
    Map(Box<MapRun>),
    /// A Map waits for its `ItemReader`'s call.
    Reading(Box<reader::Reading>),
    /// A Map waits for its `ResultWriter`'s call.
    Writing(Box<writer::Writing>),
}

struct Fanout {
    children: Vec<Option<usize>>,
    results: Vec<Value>,
    remaining: usize,
    failure: Option<ErrorDetails>,
    /// Where the branches that failed stopped, by branch index, for a redrive.
    stopped: Vec<(usize, StoppedAt)>,
}

struct MapRun {
    items: items::MapItems,
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
    /// A distributed Map's record in `Execution::map_runs`.
    record: Option<usize>,
    /// Iterations started whose frames have not run yet (see `fanout::START_AT_ONCE`).
    burst: usize,
    /// Where the iterations that failed stopped, by item index, for a redrive.
    stopped: Vec<(usize, StoppedAt)>,
    /// In a redrive, what becomes of each item (see `Slot`); empty otherwise. An iteration's slot is taken when its
    /// turn comes; the outputs of the kept ones are in `results` from the start.
    plan: Vec<Slot>,
}

impl MapRun {
    fn weight(&self, index: usize) -> u64 {
        self.items.weight(index)
    }
}

#[derive(Clone, Copy)]
enum TimerPurpose {
    Execution,
    Wait(usize),
    Backoff(usize),
    TaskTimeout(usize, TaskId),
    Heartbeat(usize, TaskId),
}

/// How a state's output was made of its frame's input, which the frame lent to it (`finish_lent`).
enum Lent<'p> {
    /// The output is the input.
    Whole,
    /// The result was written into the input at `path` (`asl::path::Path::write_in_place`), replacing `old`.
    At { path: &'p asl::path::Path, old: Option<Value> },
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
            event_count: 0,
            last_event_time: 0,
            fold_bytes: 0,
            slice_bytes: usize::MAX,
            paused_after: None,
            guard: asl::Guard::default(),
            frames: Vec::new(),
            free: Vec::new(),
            queue: VecDeque::new(),
            tasks: HashMap::new(),
            timers: HashMap::new(),
            next_handle: 1,
            commands: Vec::new(),
            status: Status::NotStarted,
            rng: Cell::new(seed),
            map_runs: Vec::new(),
            initial_vars: Arc::new(Scope::default()),
            slice: usize::MAX,
            stopped_at: None,
            redrive_count: 0,
            redrive_time: None,
            keep_children: false,
            child_runs: Vec::new(),
            child_events: Vec::new(),
        }
    }

    /// The events not taken yet by `take_events`: the whole history, for a caller that never takes them.
    pub fn history(&self) -> &[HistoryEvent] {
        &self.history
    }

    /// Hands over the events not taken yet, so that a long execution need not keep its history in memory.
    pub fn take_events(&mut self) -> Vec<HistoryEvent> {
        std::mem::take(&mut self.history)
    }

    /// How many events the execution has, taken or not (its last event's id).
    pub fn event_count(&self) -> u64 {
        self.event_count
    }

    /// The time of the last event, in milliseconds since the epoch (0 before any).
    pub fn last_event_time(&self) -> i64 {
        self.last_event_time
    }

    /// The bookkeeping of JSONata evaluations, whose `Watch` lets the runtime cut one off.
    pub fn guard(&self) -> &asl::Guard {
        &self.guard
    }

    /// The guard, to hand it another `Watch` (`asl::Guard::adopt`).
    pub fn guard_mut(&mut self) -> &mut asl::Guard {
        &mut self.guard
    }

    /// How the last `apply` went, for the record (see `FoldNote`).
    pub fn fold_note(&self) -> FoldNote {
        FoldNote { paused_after: self.paused_after, cutoffs: self.guard.take_cut() }
    }

    /// Folds a recorded trigger again exactly as it went: pausing after the same steps, the same evaluations cut off.
    pub fn replay(&mut self, trigger: Trigger, note: FoldNote) -> Vec<Command> {
        let bounds = (self.slice, self.slice_bytes);
        self.slice = note.paused_after.unwrap_or(usize::MAX).max(1);
        self.slice_bytes = usize::MAX;
        self.guard.begin_fold(note.cutoffs);
        let commands = self.fold(trigger);
        (self.slice, self.slice_bytes) = bounds;
        commands
    }

    /// Sets the workflow variables the execution starts with, as TestState's `variables` does. Before `Start` only.
    pub fn with_variables(mut self, variables: Object<String, Value>) -> Execution {
        let mut scope = Scope::default();
        scope.assign(variables);
        self.initial_vars = Arc::new(scope);
        self
    }

    /// Where the execution is.
    pub fn status(&self) -> &Status {
        &self.status
    }

    /// Who the execution is.
    pub fn info(&self) -> &ExecutionInfo {
        &self.info
    }

    /// The machine it runs.
    pub fn machine(&self) -> &Arc<StateMachine> {
        &self.machine
    }

    /// The tasks the execution waits for.
    pub fn pending_tasks(&self) -> impl Iterator<Item = TaskId> + '_ {
        self.tasks.keys().copied()
    }

    /// Whether any state of the machine is in JSONata, whose evaluation can take long.
    pub fn uses_jsonata(&self) -> bool {
        self.machine.uses_jsonata()
    }

    /// Bounds how many steps one `apply` takes before returning, so a caller can show progress during long runs of
    /// states that need nothing from outside (a Map over many Pass items). Work left over is picked up by
    /// `Trigger::Resume`; `has_work` says whether there is any.
    pub fn set_slice(&mut self, steps: usize) {
        self.slice = steps.max(1);
    }

    /// Also pauses an `apply` once the events it emitted carry about `bytes` of payloads, so that a caller that takes
    /// and stores the events after each `apply` holds a bounded amount of history in memory.
    pub fn set_slice_bytes(&mut self, bytes: usize) {
        self.slice_bytes = bytes.max(1);
    }

    /// Whether RedriveExecution can run this execution again: it failed, timed out or was aborted in a state of its
    /// top-level workflow (not by reaching the history limit).
    pub fn redrivable(&self) -> bool {
        matches!(self.status, Status::Failed(_) | Status::TimedOut(_) | Status::Aborted(_)) && self.stopped_at.is_some()
    }

    /// The distributed Map runs the execution started, in order.
    pub fn map_runs(&self) -> &[MapRunInfo] {
        &self.map_runs
    }

    /// How many times the execution was redriven.
    pub fn redrive_count(&self) -> u32 {
        self.redrive_count
    }

    /// Whether runnable work is left over from the last `apply`.
    pub fn has_work(&self) -> bool {
        self.status == Status::Running && !self.queue.is_empty()
    }

    /// Folds one trigger into the execution and returns what the runtime must do next. Triggers for tasks or timers
    /// the execution no longer waits for are ignored.
    pub fn apply(&mut self, trigger: Trigger) -> Vec<Command> {
        self.guard.begin_fold(Vec::new());
        self.fold(trigger)
    }

    fn fold(&mut self, trigger: Trigger) -> Vec<Command> {
        self.fold_bytes = 0;
        self.paused_after = None;
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
            Trigger::TaskSubmitted { task, output, now } => {
                self.now = now;
                if self.status == Status::Running {
                    self.task_submitted(task, output);
                }
            }
            Trigger::TaskStarted { task, worker, now } => {
                self.now = now;
                if self.status == Status::Running {
                    self.task_started(task, worker);
                }
            }
            Trigger::Redrive { now } => {
                self.now = now;
                if self.redrivable() {
                    self.redrive();
                }
            }
            Trigger::TaskCallback { task, outcome, now } => {
                self.now = now;
                if self.status == Status::Running {
                    self.task_callback(task, outcome);
                }
            }
            Trigger::Fail { error, cause, now } => {
                self.now = now;
                if self.status == Status::Running {
                    // Everything stops where it is (child executions are aborted); no redrive resumes it.
                    self.abort_all();
                    let details = ErrorDetails { error: Some(error), cause: Some(cause) };
                    self.emit_execution(EventDetails::ExecutionFailed(details.clone()));
                    self.status = Status::Failed(details);
                    self.not_redrivable();
                }
            }
            Trigger::TaskHeartbeat { task, now } => {
                self.now = now;
                if self.status == Status::Running {
                    self.task_heartbeat(task);
                }
            }
            Trigger::UpdateMapRun { map_run_arn, max_concurrency, tolerated_failure_count, tolerated_failure_percentage, now } => {
                self.now = now;
                if self.status == Status::Running {
                    self.update_map_run(&map_run_arn, max_concurrency, tolerated_failure_count, tolerated_failure_percentage);
                }
            }
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
        let text = json_text(&input);
        self.input = input.clone();
        self.emit_execution(EventDetails::ExecutionStarted {
            input: text,
            role_arn: self.info.role_arn.clone(),
            state_machine_arn: self.info.state_machine_arn.clone(),
            version_arn: self.info.version_arn.clone(),
            alias_arn: self.info.alias_arn.clone(),
        });
        let express_limit = (self.info.express && self.limits.max_express_seconds > 0).then_some(self.limits.max_express_seconds);
        let timeout = match (self.machine.timeout_seconds, express_limit) {
            (Some(timeout), Some(limit)) => Some(timeout.min(limit)),
            (timeout, limit) => timeout.or(limit),
        };
        if let Some(timeout) = timeout {
            let timer = self.timer(TimerPurpose::Execution);
            self.commands.push(Command::StartTimer { timer, at: self.now.saturating_add(seconds_ms(timeout)) });
        }
        let top = WorkflowId(0);
        let start_at = self.machine.top().start_at;
        let last = self.event_count;
        let vars = self.initial_vars.clone();
        let frame = self.spawn(Spawn { workflow: top, state: start_at, parent: Parent::Root, input, last_event: last, record: Record::Parent, vars });
        self.queue.push_back(frame);
    }

    fn run(&mut self) {
        let mut steps = 0;
        'slice: while steps < self.slice && self.fold_bytes < self.slice_bytes {
            let Some(frame) = self.queue.pop_front() else { break };
            while self.status == Status::Running {
                if self.history_full() {
                    self.fail_execution(ErrorDetails {
                        error: Some(errors::RUNTIME.to_owned()),
                        cause: Some(format!(
                            "The execution reached the maximum number of history events ({}).",
                            self.limits.max_history_events
                        )),
                    });
                    self.not_redrivable();
                    return;
                }
                steps += 1;
                match self.advance(frame) {
                    Flow::Continue if steps >= self.slice || self.fold_bytes >= self.slice_bytes => {
                        self.queue.push_front(frame);
                        break 'slice;
                    }
                    Flow::Continue => {}
                    Flow::Stop => break,
                }
            }
        }
        if self.has_work() {
            self.paused_after = Some(steps);
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
            Phase::Task { .. } | Phase::Wait { .. } | Phase::Backoff { .. } | Phase::Reading(_) | Phase::Writing(_) => Flow::Stop,
        }
    }

    fn enter(&mut self, fid: usize) -> Flow {
        let machine = self.machine.clone();
        let frame = self.frame_mut(fid);
        let state = machine.workflow(frame.workflow).state(frame.state);
        #[cfg(feature = "failpoints")]
        if state.name.starts_with("BatonPanic") {
            panic!("failpoint: entering {}", state.name);
        }
        // The state before wrote this input as its output already, unless the frame just started.
        let input = frame.input_text.take().unwrap_or_else(|| json_text(&frame.input));
        // An iteration runs: its Map may start more.
        if let Parent::Iteration { frame: map, .. } = frame.parent
            && let Some(Frame { phase: Phase::Map(run), .. }) = self.frames.get_mut(map).and_then(Option::as_mut)
        {
            run.burst = 0;
        }
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
        let effective = match self.effective_input(frame, state) {
            Ok(effective) => effective,
            Err(failure) => return self.fail_state(fid, failure),
        };
        let jsonata = state.query_language == QueryLanguage::Jsonata;
        match &state.kind {
            StateKind::Pass(pass) => {
                let passes_through = pass.result.is_none()
                    && pass.parameters.is_none()
                    && matches!(pass.result_path, ResultPath::Replace)
                    && state.input_path.is_none()
                    && state.output_path.is_none();
                if !jsonata && passes_through {
                    // The output is the input itself: the frame lends it instead of copying it, as a Choice does.
                    let assigned = match self.assigned(frame, state, state.assign.as_ref(), &frame.input) {
                        Ok(assigned) => assigned,
                        Err(failure) => return self.fail_state(fid, failure),
                    };
                    let output = std::mem::take(&mut self.frame_mut(fid).input);
                    return self.finish_lent(fid, output, None, assigned, pass.transition, Some(Lent::Whole));
                }
                let result = match (&pass.result, &pass.parameters) {
                    (Some(result), _) => Ok(result.clone()),
                    (None, Some(parameters)) => self.template(frame, state, parameters, &effective, None),
                    // A JSONata Pass state has neither, and no result.
                    (None, None) => Ok(input_as_result(effective, state.query_language)),
                };
                match result {
                    Ok(result) => {
                        let conclusion = Conclusion {
                            result,
                            has_result: !jsonata,
                            selector: None,
                            result_path: Some(&pass.result_path),
                            assign: state.assign.as_ref(),
                            output: state.output.as_ref(),
                        };
                        self.conclude_and_finish(fid, state, conclusion, pass.transition)
                    }
                    Err(failure) => self.fail_state(fid, failure),
                }
            }
            StateKind::Task(task) => self.schedule_task(fid, state, task, effective.into_owned()),
            StateKind::Choice(choice) => {
                let mut chosen = None;
                for branch in &choice.choices {
                    match self.condition(frame, state, &branch.condition, &effective) {
                        Ok(true) => {
                            chosen = Some(branch);
                            break;
                        }
                        Ok(false) => {}
                        Err(failure) => return self.fail_state(fid, failure),
                    }
                }
                let (next, assign, output) = match (chosen, choice.default) {
                    (Some(branch), _) => (
                        branch.next,
                        branch.assign.as_ref().or(state.assign.as_ref()),
                        branch.output.as_ref().or(state.output.as_ref()),
                    ),
                    (None, Some(default)) => (default, state.assign.as_ref(), state.output.as_ref()),
                    (None, None) => {
                        let failure = Failure::new(errors::NO_CHOICE_MATCHED, self.prefix_text(frame, state, "No choice rule matched"));
                        return self.fail_state(fid, failure);
                    }
                };
                if !jsonata && state.input_path.is_none() && state.output_path.is_none() {
                    // The output is the input itself: the frame lends it instead of copying it.
                    let assigned = match self.assigned(frame, state, assign, &frame.input) {
                        Ok(assigned) => assigned,
                        Err(failure) => return self.fail_state(fid, failure),
                    };
                    let output = std::mem::take(&mut self.frame_mut(fid).input);
                    return self.finish_lent(fid, output, None, assigned, Transition::Next(next), Some(Lent::Whole));
                }
                let result = input_as_result(effective, state.query_language);
                let conclusion = Conclusion { result, has_result: false, selector: None, result_path: None, assign, output };
                let concluded = self.conclude(frame, state, conclusion);
                self.finish_state(fid, concluded, Transition::Next(next))
            }
            StateKind::Wait(wait) => match self.wait_deadline(frame, state, &wait.until, &effective) {
                Ok(at) => {
                    let effective = effective.into_owned();
                    let timer = self.timer(TimerPurpose::Wait(fid));
                    self.commands.push(Command::StartTimer { timer, at });
                    self.frame_mut(fid).phase = Phase::Wait { timer, effective };
                    Flow::Stop
                }
                Err(failure) => self.fail_state(fid, failure),
            },
            StateKind::Succeed => {
                let conclusion = Conclusion {
                    result: input_as_result(effective, state.query_language),
                    has_result: false,
                    selector: None,
                    result_path: None,
                    assign: None,
                    output: state.output.as_ref(),
                };
                let concluded = self.conclude(frame, state, conclusion);
                self.finish_state(fid, concluded, Transition::End)
            }
            StateKind::Fail(fail) => {
                let error = self.fail_text(frame, state, fail.error.as_ref(), "ErrorPath", &effective);
                let cause = self.fail_text(frame, state, fail.cause.as_ref(), "CausePath", &effective);
                match (error, cause) {
                    (Ok(error), Ok(cause)) => {
                        self.end_frame(fid, Err(ErrorDetails { error, cause }));
                        Flow::Stop
                    }
                    (Err(failure), _) | (_, Err(failure)) => self.fail_state(fid, failure),
                }
            }
            StateKind::Parallel(parallel) => {
                let mut input = match self.arguments(frame, state, parallel.arguments.as_ref(), &effective, None, "Arguments") {
                    Ok(input) => input,
                    Err(failure) => return self.fail_state(fid, failure),
                };
                let started = self.emit(fid, EventDetails::ParallelStateStarted);
                let (record, scope) = {
                    let frame = self.frame(fid);
                    (frame.record.inherited(), frame.vars.clone())
                };
                // In a redrive, the branches that succeeded before keep their outputs and do not run again.
                let mut plan = self.take_plan(fid, parallel.branches.len()).map(|kept| kept.into_parts().0).unwrap_or_default();
                let count = parallel.branches.len();
                let mut children = Vec::with_capacity(count);
                let mut results = vec![Value::Null; count];
                let mut remaining = count;
                for (index, branch) in parallel.branches.iter().enumerate() {
                    let parent = Parent::Branch { frame: fid, index };
                    let child = match plan.get_mut(index).map(|slot| std::mem::replace(slot, Slot::NotStarted)) {
                        Some(Slot::Succeeded(output)) => {
                            if let Some(result) = results.get_mut(index) {
                                *result = output;
                            }
                            remaining -= 1;
                            children.push(None);
                            continue;
                        }
                        Some(Slot::Stopped(stopped)) => self.respawn(*branch, parent, stopped, started, record),
                        Some(Slot::NotStarted) | None => {
                            let start = machine.workflow(*branch).start_at;
                            let vars = Arc::new(Scope::inside(scope.clone()));
                            // The last branch takes the input itself.
                            let input = if index + 1 == count { std::mem::take(&mut input) } else { input.clone() };
                            let spawn = Spawn { workflow: *branch, state: start, parent, input, last_event: started, record, vars };
                            self.spawn(spawn)
                        }
                    };
                    children.push(Some(child));
                    self.queue.push_back(child);
                }
                self.frame_mut(fid).phase = Phase::Parallel(Box::new(Fanout {
                    children,
                    results,
                    remaining,
                    failure: None,
                    stopped: Vec::new(),
                }));
                Flow::Continue
            }
            StateKind::Map(map) => self.start_map(fid, state, map, effective.into_owned()),
        }
    }

    /// Evaluates a Choice rule against the effective input.
    fn condition(&self, frame: &Frame, state: &State, condition: &Condition, effective: &Value) -> Result<bool, Failure> {
        match condition {
            Condition::Rule(rule) => {
                self.with_env(frame, state, effective, None, |env| rule.evaluate(env)).map_err(|f| self.prefixed(frame, state, f))
            }
            Condition::Jsonata(expr) => {
                let states = self.states(frame, state, None, None, None);
                match self.jsonata_expr(frame, state, expr, &states, "Condition")? {
                    Value::Bool(b) => Ok(b),
                    other => {
                        let message = format!(
                            "The JSONata expression '{}' specified for the field 'Condition' returned an unexpected result type. Expected 'boolean', but was '{}' for value: {other}",
                            expr.as_str(),
                            dataflow::jsonata_type(&other)
                        );
                        Err(Failure::new(errors::QUERY_EVALUATION_ERROR, self.prefix_text(frame, state, &message)))
                    }
                }
            }
        }
    }

    fn schedule_task(&mut self, fid: usize, state: &State, task: &asl::model::Task, effective: Value) -> Flow {
        let kind = ResourceKind::of(&task.resource);
        // A callback or activity task gets a token, visible to its Parameters as `$$.Task.Token`.
        let token = (kind == ResourceKind::Activity || is_callback(&task.resource)).then(|| self.new_token());
        self.frame_mut(fid).task_token = token.clone();
        let frame = self.frame(fid);
        let parameters = match self.arguments(frame, state, task.arguments.as_ref(), &effective, None, "Arguments") {
            Ok(parameters) => parameters,
            Err(failure) => return self.fail_state(fid, failure),
        };
        let timeout = match self.seconds(frame, state, task.timeout.as_ref(), "TimeoutSeconds") {
            Ok(timeout) => timeout,
            Err(failure) => return self.fail_state(fid, failure),
        };
        let heartbeat = match self.seconds(frame, state, task.heartbeat.as_ref(), "HeartbeatSeconds") {
            Ok(heartbeat) => heartbeat,
            Err(failure) => return self.fail_state(fid, failure),
        };
        let role_arn = match self.role_arn(frame, state, task, &effective) {
            Ok(role_arn) => role_arn,
            Err(failure) => return self.fail_state(fid, failure),
        };
        let text = json_text(&parameters);
        let scheduled = match &kind {
            ResourceKind::LambdaFunction => {
                let scheduled = self.emit(
                    fid,
                    EventDetails::LambdaFunctionScheduled {
                        resource: task.resource.clone(),
                        input: text,
                        timeout_in_seconds: timeout,
                        role_arn: role_arn.clone(),
                    },
                );
                self.emit(fid, EventDetails::LambdaFunctionStarted);
                scheduled
            }
            ResourceKind::Service { resource_type, resource } => {
                let scheduled = self.emit(
                    fid,
                    EventDetails::TaskScheduled(TaskScheduled {
                        resource_type: resource_type.clone(),
                        resource: resource.clone(),
                        region: self.info.region.clone(),
                        parameters: text,
                        timeout_in_seconds: timeout,
                        heartbeat_in_seconds: heartbeat,
                        role_arn: role_arn.clone(),
                    }),
                );
                self.emit(fid, EventDetails::TaskStarted { resource_type: resource_type.clone(), resource: resource.clone() });
                scheduled
            }
            ResourceKind::Activity => self.emit(
                fid,
                EventDetails::ActivityScheduled {
                    resource: task.resource.clone(),
                    input: text,
                    timeout_in_seconds: timeout,
                    heartbeat_in_seconds: heartbeat,
                },
            ),
        };
        let scheduled_event = std::num::NonZeroU64::new(scheduled).filter(|_| matches!(self.frame(fid).record, Record::Parent));
        let id = TaskId(self.handle());
        self.tasks.insert(id, fid);
        self.commands.push(Command::InvokeTask(TaskRequest {
            task: id,
            state_name: state.name.clone(),
            resource: task.resource.clone(),
            parameters,
            timeout_seconds: timeout,
            heartbeat_seconds: heartbeat,
            token,
            role_arn,
            scheduled_event,
        }));
        let timeout_timer = timeout.map(|seconds| {
            let timer = self.timer(TimerPurpose::TaskTimeout(fid, id));
            self.commands.push(Command::StartTimer { timer, at: self.now.saturating_add(seconds_ms(seconds)) });
            timer
        });
        // Heartbeats are expected of tasks that report through a token; a plain request-response task has none.
        let heartbeat = heartbeat.filter(|_| self.frame(fid).task_token.is_some()).map(|seconds| (self.heartbeat_timer(fid, id, seconds), seconds));
        let frame = self.frame_mut(fid);
        frame.task_token = None;
        // A callback task's request is made (and answers TaskSubmitted) unless it is an activity's.
        let submitting = is_callback(&task.resource) && matches!(kind, ResourceKind::Service { .. });
        frame.phase = Phase::Task { task: id, timeout: timeout_timer, heartbeat, kind, submitting, early: None };
        Flow::Stop
    }

    /// The role a task assumes: its `Credentials`, evaluated, must hold `RoleArn` as a string.
    fn role_arn(&self, frame: &Frame, state: &State, task: &asl::model::Task, effective: &Value) -> Result<Option<String>, Failure> {
        let Some(credentials) = task.credentials.as_ref() else { return Ok(None) };
        let value = self.arguments(frame, state, Some(credentials), effective, None, "Credentials")?;
        match value.get("RoleArn") {
            Some(Value::String(role)) => Ok(Some(role.clone())),
            other => {
                let found = other.map_or_else(|| "nothing".to_owned(), Value::to_string);
                let message = format!("The field 'RoleArn' of 'Credentials' must be a string, but was {found}");
                Err(Failure::new(errors::RUNTIME, self.prefix_text(frame, state, &message)))
            }
        }
    }

    /// Arms the heartbeat timer of task `task` of frame `fid`.
    fn heartbeat_timer(&mut self, fid: usize, task: TaskId, seconds: u64) -> TimerId {
        let timer = self.timer(TimerPurpose::Heartbeat(fid, task));
        self.commands.push(Command::StartTimer { timer, at: self.now.saturating_add(seconds_ms(seconds)) });
        timer
    }

    /// A fresh task token, from the execution's deterministic generator.
    fn new_token(&self) -> String {
        format!("{:016x}{:016x}{:016x}", next_random(&self.rng), next_random(&self.rng), next_random(&self.rng))
    }

    /// A callback task's request was made: record it; the task goes on waiting for its token, unless the token came
    /// back first.
    fn task_submitted(&mut self, task: TaskId, output: Value) {
        let Some(&fid) = self.tasks.get(&task) else { return };
        let Some(Phase::Task { kind: ResourceKind::Service { resource_type, resource }, submitting, early, .. }) =
            self.frames.get_mut(fid).and_then(Option::as_mut).map(|f| &mut f.phase)
        else {
            return;
        };
        let details = EventDetails::TaskSubmitted {
            resource_type: resource_type.clone(),
            resource: resource.clone(),
            output: json_text(&output),
        };
        *submitting = false;
        let early = early.take();
        self.emit(fid, details);
        if let Some(outcome) = early {
            self.task_completed(task, *outcome);
        }
    }

    /// A callback task's token came back: it completes the task, or waits for the task's request to return.
    fn task_callback(&mut self, task: TaskId, outcome: Result<Value, Failure>) {
        let Some(&fid) = self.tasks.get(&task) else { return };
        if let Some(Phase::Task { submitting: true, early, .. }) = self.frames.get_mut(fid).and_then(Option::as_mut).map(|f| &mut f.phase) {
            early.get_or_insert_with(|| Box::new(outcome));
            return;
        }
        self.task_completed(task, outcome);
    }

    /// An activity worker took the task: record it, and restart the heartbeat clock.
    fn task_started(&mut self, task: TaskId, worker: String) {
        let Some(&fid) = self.tasks.get(&task) else { return };
        self.emit(fid, EventDetails::ActivityStarted { worker_name: worker });
        self.task_heartbeat(task);
    }

    /// A heartbeat: the heartbeat clock starts again.
    fn task_heartbeat(&mut self, task: TaskId) {
        let Some(&fid) = self.tasks.get(&task) else { return };
        let Some(Phase::Task { heartbeat: Some((timer, seconds)), .. }) = self.frames.get(fid).and_then(Option::as_ref).map(|f| &f.phase)
        else {
            return;
        };
        let (old, seconds) = (*timer, *seconds);
        self.cancel_timer(old);
        let new = self.heartbeat_timer(fid, task, seconds);
        if let Some(Phase::Task { heartbeat, .. }) = self.frames.get_mut(fid).and_then(Option::as_mut).map(|f| &mut f.phase) {
            *heartbeat = Some((new, seconds));
        }
    }

    fn task_completed(&mut self, task: TaskId, outcome: Result<Value, Failure>) {
        // A result nested too deeply is stored as this failure (`Trigger::to_json`), so it is one here too.
        let outcome = match crate::nesting::bounded(&outcome) {
            Some(failure) => Err(failure),
            None => outcome,
        };
        let Some(fid) = self.tasks.remove(&task) else { return };
        let Some(frame) = self.frames.get_mut(fid).and_then(Option::as_mut) else { return };
        if let Phase::Reading(_) = frame.phase {
            let Phase::Reading(reading) = std::mem::replace(&mut frame.phase, Phase::Run) else { return };
            if matches!(self.items_read(fid, *reading, outcome), Flow::Continue) {
                self.queue.push_back(fid);
            }
            return;
        }
        if let Phase::Writing(_) = frame.phase {
            let Phase::Writing(writing) = std::mem::replace(&mut frame.phase, Phase::Run) else { return };
            if matches!(self.results_written(fid, *writing, outcome), Flow::Continue) {
                self.queue.push_back(fid);
            }
            return;
        }
        let Phase::Task { timeout, heartbeat, kind, .. } = std::mem::replace(&mut frame.phase, Phase::Run) else { return };
        let (workflow, state_id) = (frame.workflow, frame.state);
        for timer in timeout.into_iter().chain(heartbeat.map(|(timer, _)| timer)) {
            self.cancel_timer(timer);
        }
        let machine = self.machine.clone();
        let state = machine.workflow(workflow).state(state_id);
        let StateKind::Task(spec) = &state.kind else { return };
        let flow = match outcome {
            Ok(result) => {
                let text = json_text(&result);
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
                    let conclusion = Conclusion {
                        result,
                        has_result: true,
                        selector: spec.result_selector.as_ref(),
                        result_path: Some(&spec.result_path),
                        assign: state.assign.as_ref(),
                        output: state.output.as_ref(),
                    };
                    self.conclude_and_finish(fid, state, conclusion, spec.transition)
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
                let conclusion = Conclusion {
                    result: effective,
                    has_result: false,
                    selector: None,
                    result_path: None,
                    assign: state.assign.as_ref(),
                    output: state.output.as_ref(),
                };
                let concluded = self.conclude(frame, state, conclusion);
                if let Flow::Continue = self.finish_state(fid, concluded, wait.transition) {
                    self.queue.push_back(fid);
                }
            }
            TimerPurpose::Backoff(fid) => {
                if let Some(frame) = self.frames.get_mut(fid).and_then(Option::as_mut) {
                    frame.phase = Phase::Run;
                    self.queue.push_back(fid);
                }
            }
            TimerPurpose::TaskTimeout(fid, task) | TimerPurpose::Heartbeat(fid, task) => {
                if self.tasks.remove(&task).is_none() {
                    return;
                }
                self.commands.push(Command::CancelTask { task });
                let Some(frame) = self.frames.get_mut(fid).and_then(Option::as_mut) else { return };
                let Phase::Task { kind, timeout, heartbeat, .. } = std::mem::replace(&mut frame.phase, Phase::Run) else { return };
                for other in timeout.into_iter().chain(heartbeat.map(|(timer, _)| timer)) {
                    self.cancel_timer(other);
                }
                let error = match purpose {
                    TimerPurpose::Heartbeat(..) => errors::HEARTBEAT_TIMEOUT,
                    _ => errors::TIMEOUT,
                };
                let failure = Failure { error: error.to_owned(), cause: None };
                self.emit(fid, failed_event(&kind, &failure));
                if let Flow::Continue = self.fail_state(fid, failure) {
                    self.queue.push_back(fid);
                }
            }
        }
    }

    // ---- Completing and failing states ------------------------------------------------------------------------

    /// Completes the current state with `output` (or fails it) and follows `transition`.
    fn finish_state(&mut self, fid: usize, concluded: Result<Concluded, Failure>, transition: Transition) -> Flow {
        match concluded {
            Ok((output, assigned)) => self.finish_lent(fid, output, None, assigned, transition, None),
            Err(failure) => self.fail_state(fid, failure),
        }
    }

    /// `conclude`, then `finish_state`. A JSONPath state that writes its result into its input (ResultPath `$.…`,
    /// no OutputPath) writes it into the frame's input itself rather than a copy: the frame lends the input, and
    /// takes it back if the state fails after all.
    fn conclude_and_finish(&mut self, fid: usize, state: &State, c: Conclusion<'_>, transition: Transition) -> Flow {
        let (result_path, path) = match (state.query_language, c.result_path, &state.output_path) {
            (QueryLanguage::JsonPath, Some(result_path @ ResultPath::At(path)), None) => (result_path, path),
            _ => {
                let concluded = self.conclude(self.frame(fid), state, c);
                return self.finish_state(fid, concluded, transition);
            }
        };
        let (selected, assigned) = match self.select_and_assign(self.frame(fid), state, c.result, c.selector, c.assign) {
            Ok(selected) => selected,
            Err(failure) => return self.fail_state(fid, failure),
        };
        let mut input = std::mem::take(&mut self.frame_mut(fid).input);
        match path.write_in_place(&mut input, selected) {
            Ok(old) => self.finish_lent(fid, input, None, assigned, transition, Some(Lent::At { path, old })),
            Err(selected) => {
                // The write may fail or add objects: it is made on a copy, as `conclude` does.
                self.frame_mut(fid).input = input;
                let frame = self.frame(fid);
                let merged = self.apply_result_path(frame, state, result_path, selected);
                let concluded = merged.and_then(|merged| Ok((self.output_path(frame, state, merged)?, assigned)));
                self.finish_state(fid, concluded, transition)
            }
        }
    }

    /// `finish_state` of a concluded state. `lent` says how `output` was made of the frame's input, if it was, so
    /// that a failure here gives the input back to the frame before the state fails.
    /// `text` is the output's JSON text, if the caller has it.
    fn finish_lent(
        &mut self,
        fid: usize,
        output: Value,
        text: Option<String>,
        assigned: Option<Object<String, Value>>,
        transition: Transition,
        lent: Option<Lent<'_>>,
    ) -> Flow {
        let machine = self.machine.clone();
        let frame = self.frame(fid);
        let state = machine.workflow(frame.workflow).state(frame.state);
        let text = text.unwrap_or_else(|| json_text(&output));
        if text.len() > self.limits.max_payload_bytes {
            return self.fail_lent(fid, data_limit_exceeded(&state.name), output, lent);
        }
        // Each state can nest its output only a little deeper than its input, so checking every output keeps every
        // value shallow enough for the recursive serializer, clone and drop (a loop of `{"x.$": "$"}` would
        // otherwise nest until the stack overflows).
        // (Nesting `n` levels takes at least `2n` bytes, so short texts need no scan.)
        if text.len() > 2 * MAX_NESTING_DEPTH && nesting_depth(&text) > MAX_NESTING_DEPTH {
            let cause = format!(
                "The state/task '{}' returned a result nested deeper than the maximum of {MAX_NESTING_DEPTH} levels.",
                state.name
            );
            return self.fail_lent(fid, Failure::runtime(cause), output, lent);
        }
        let assigned_text: Option<Vec<(String, String)>> =
            assigned.as_ref().map(|assigned| assigned.iter().map(|(k, v)| (k.clone(), json_text(v))).collect());
        // AWS allows up to 256 KiB of assigned data per state (the payload limit, raisable here).
        let assigned_bytes: usize = assigned_text.iter().flatten().map(|(k, v)| k.len() + v.len()).sum();
        if assigned_bytes > self.limits.max_payload_bytes {
            let cause = format!(
                "The state '{}' assigned variables with a size exceeding the maximum number of bytes service limit.",
                state.name
            );
            return self.fail_lent(fid, Failure::new(errors::DATA_LIMIT_EXCEEDED, cause), output, lent);
        }
        if let Some(assigned) = assigned {
            Arc::make_mut(&mut self.frame_mut(fid).vars).assign(assigned);
        }
        // The text is also the next state's input (its `StateEntered` reuses it), or the execution's output.
        let root = matches!(self.frame(fid).parent, Parent::Root);
        let reused = (matches!(transition, Transition::Next(_)) || root).then(|| text.clone());
        self.emit(
            fid,
            EventDetails::StateExited {
                state_type: state.kind.type_name(),
                name: state.name.clone(),
                output: text,
                assigned: assigned_text,
            },
        );
        match transition {
            Transition::Next(next) => {
                let frame = self.frame_mut(fid);
                frame.state = next;
                frame.input = output;
                frame.input_text = reused;
                frame.phase = Phase::Enter;
                Flow::Continue
            }
            Transition::End => {
                self.end_frame_with(fid, Ok(output), reused);
                Flow::Stop
            }
        }
    }

    /// Gives a lent input back to the frame (see `finish_lent`), then fails the state.
    fn fail_lent(&mut self, fid: usize, failure: Failure, output: Value, lent: Option<Lent<'_>>) -> Flow {
        self.give_back(fid, output, lent);
        self.fail_state(fid, failure)
    }

    /// Gives the frame back the input `output` was made of, as `lent` says (nothing when it was not lent).
    fn give_back(&mut self, fid: usize, output: Value, lent: Option<Lent<'_>>) {
        if let Some(lent) = lent {
            let mut input = output;
            if let Lent::At { path, old } = lent {
                path.unwrite(&mut input, old);
            }
            self.frame_mut(fid).input = input;
        }
    }

    /// Whether `failure` is a JSONata evaluation failure of this very state (not one handed up from a child), which
    /// AWS records in an `EvaluationFailed` event; if so, the field that failed when the engine's cause text names it
    /// ("… for the field 'Arguments/Payload' …", "The Timestamp field cannot be parsed …").
    fn evaluation_failure_location(&self, frame: &Frame, state: &State, failure: &Failure) -> Option<Option<String>> {
        if failure.error != errors::QUERY_EVALUATION_ERROR {
            return None;
        }
        let cause = failure.cause.as_deref()?;
        let own = self.prefix_text(frame, state, "");
        let rest = cause.strip_prefix(own.as_str())?;
        let quoted = rest.split_once("for the field '").and_then(|(_, after)| after.split_once('\''));
        let named = rest.strip_prefix("The ").and_then(|after| after.split_once(" field "));
        Some(quoted.or(named).map(|(field, _)| field.to_owned()))
    }

    /// Writes the `EvaluationFailed` event of a JSONata evaluation failure of this very state; says whether it did.
    fn record_evaluation_failure(&mut self, fid: usize, failure: &Failure) -> bool {
        let machine = self.machine.clone();
        let frame = self.frame(fid);
        let state = machine.workflow(frame.workflow).state(frame.state);
        let Some(location) = self.evaluation_failure_location(frame, state, failure) else { return false };
        let error = ErrorDetails { error: Some(failure.error.clone()), cause: failure.cause.clone() };
        self.emit(fid, EventDetails::EvaluationFailed { error, location, state: state.name.clone() });
        true
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
        self.fail_state_keeping(fid, failure, None)
    }

    /// `fail_state` for a Parallel or Map whose branches or iterations failed: `kept` says what became of each, and
    /// goes with the frame to a redrive if the failure stays. A retry runs every branch or iteration again.
    fn fail_state_keeping(&mut self, fid: usize, failure: Failure, kept: Option<Box<Kept>>) -> Flow {
        self.record_evaluation_failure(fid, &failure);
        self.retry_catch_or_fail(fid, failure, kept)
    }

    /// A Map that fails before it starts its iterations. After the `EvaluationFailed` of a JSONata evaluation failure
    /// AWS writes `MapStateFailed` (unless a retrier takes the failure), as its recorded histories show; after a
    /// JSONPath runtime failure (a bad MaxConcurrencyPath value) it writes nothing more.
    fn fail_unstarted_map(&mut self, fid: usize, failure: Failure) -> Flow {
        if self.record_evaluation_failure(fid, &failure) && !self.will_retry(fid, &failure) {
            self.emit(fid, EventDetails::MapStateFailed);
        }
        self.retry_catch_or_fail(fid, failure, None)
    }

    /// What follows a state's failure once its events are written: retry, catch, or fail the frame.
    fn retry_catch_or_fail(&mut self, fid: usize, failure: Failure, kept: Option<Box<Kept>>) -> Flow {
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
                // The retry runs every branch or iteration again (a distributed Map in a new Map Run).
                if let Some(kept) = &kept {
                    self.forsake(kept);
                }
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
            let mut object = Object::new();
            object.insert("Error".into(), failure.error.clone().into());
            object.insert("Cause".into(), failure.cause.clone().unwrap_or_default().into());
            let error_output = Value::Object(object);
            // A JSONPath catcher that writes the error into the state's input (ResultPath `$.…`) writes it into the
            // frame's input itself rather than a copy, as `conclude_and_finish` does with a result (`Lent`).
            let mut lent = None;
            let concluded = match (state.query_language, &catcher.result_path) {
                (QueryLanguage::JsonPath, ResultPath::At(path)) => {
                    self.assigned(self.frame(fid), state, catcher.assign.as_ref(), &error_output).and_then(|assigned| {
                        let mut input = std::mem::take(&mut self.frame_mut(fid).input);
                        match path.write_in_place(&mut input, error_output) {
                            Ok(old) => {
                                lent = Some(Lent::At { path, old });
                                Ok((input, assigned))
                            }
                            // The write may fail or add objects: it is made on a copy.
                            Err(error_output) => {
                                self.frame_mut(fid).input = input;
                                let merged = self.apply_result_path(self.frame(fid), state, &catcher.result_path, error_output)?;
                                Ok((merged, assigned))
                            }
                        }
                    })
                }
                _ => self.conclude_catch(self.frame(fid), state, catcher, error_output),
            };
            return match concluded {
                // A catcher's output that is itself too large fails the state for good: catching it again would
                // produce the same output forever.
                Ok((output, assigned)) => {
                    let text = json_text(&output);
                    if text.len() > self.limits.max_payload_bytes {
                        self.give_back(fid, output, lent);
                        self.fail_frame(fid, details(data_limit_exceeded(&state.name)), kept);
                        return Flow::Stop;
                    }
                    // A redrive's plan for a Parallel or Map that failed before starting its branches is moot now,
                    // and so is what became of the branches or iterations of the one that failed.
                    for kept in [self.frame_mut(fid).redrive.take(), kept].into_iter().flatten() {
                        self.forsake(&kept);
                    }
                    self.finish_lent(fid, output, Some(text), assigned, Transition::Next(catcher.next), lent)
                }
                Err(failure) => {
                    self.fail_frame(fid, details(failure), kept);
                    Flow::Stop
                }
            };
        }
        self.fail_frame(fid, details(failure), kept);
        Flow::Stop
    }

    /// Ends frame `fid` with a failure that stays. `kept`, the fate of its Parallel's branches or Map's iterations,
    /// stays with it for a redrive (`end_frame` records where the frame stopped).
    fn fail_frame(&mut self, fid: usize, error: ErrorDetails, kept: Option<Box<Kept>>) {
        if kept.is_some() {
            self.frame_mut(fid).redrive = kept;
        }
        self.end_frame(fid, Err(error));
    }

    /// Ends a frame: the execution finishes, or the parent Parallel/Map learns the result.
    fn end_frame(&mut self, fid: usize, outcome: Outcome) {
        self.end_frame_with(fid, outcome, None);
    }

    /// `end_frame`, with the output's JSON text if the caller has it.
    fn end_frame_with(&mut self, fid: usize, outcome: Outcome, text: Option<String>) {
        let Some(frame) = self.frames.get_mut(fid).and_then(Option::take) else { return };
        self.free.push(fid);
        let (last_event, frame_record) = (frame.last_event, frame.record);
        match frame.parent {
            Parent::Root => match outcome {
                Ok(output) => {
                    let text = text.unwrap_or_else(|| json_text(&output));
                    self.emit_execution(EventDetails::ExecutionSucceeded { output: text });
                    self.status = Status::Succeeded { output };
                    self.cancel_all_timers();
                }
                Err(error) => {
                    self.stopped_at = Some(StoppedAt::of(frame));
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
                        fanout.stopped.push((index, StoppedAt::of(frame)));
                    }
                }
                self.sync_parent_event(parent, frame_record, last_event);
                self.queue.push_back(parent);
            }
            Parent::Iteration { frame: parent, index } => {
                let Some(parent_frame) = self.frames.get_mut(parent).and_then(Option::as_mut) else { return };
                let Phase::Map(run) = &mut parent_frame.phase else { return };
                run.running.retain(|child| *child != fid);
                let record = !run.distributed;
                let name = {
                    let machine = self.machine.clone();
                    let parent_frame = self.frame(parent);
                    machine.workflow(parent_frame.workflow).state(parent_frame.state).name.clone()
                };
                self.sync_parent_event(parent, frame_record, last_event);
                self.end_child(frame_record, Some(&outcome));
                let Some(Phase::Map(run)) = self.frames.get_mut(parent).and_then(Option::as_mut).map(|f| &mut f.phase) else {
                    return;
                };
                run.done += 1;
                if let Some(record) = run.record.and_then(|i| self.map_runs.get_mut(i)) {
                    record.iteration_ended(run.weight(index), outcome.is_ok());
                }
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
                        run.stopped.push((index, StoppedAt::of(frame)));
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

    /// A child's last event becomes the parent's previous event, so the parent's thread continues after it (when
    /// both write the same history).
    fn sync_parent_event(&mut self, parent: usize, record: Record, last_event: u64) {
        if let Some(parent) = self.frames.get_mut(parent).and_then(Option::as_mut)
            && parent.record.same_history(record)
        {
            parent.last_event = parent.last_event.max(last_event);
        }
    }

    /// Stops a frame and everything under it, cancelling what it waits for. Returns where it stopped, with what
    /// became of the branches or iterations of the Parallel or Map it was in, for a redrive.
    fn abort_frame(&mut self, fid: usize) -> Option<StoppedAt> {
        let frame = self.frames.get_mut(fid).and_then(Option::take)?;
        self.free.push(fid);
        let kept = match frame.phase {
            Phase::Task { task, timeout, heartbeat, .. } => {
                self.tasks.remove(&task);
                self.commands.push(Command::CancelTask { task });
                for timer in timeout.into_iter().chain(heartbeat.map(|(timer, _)| timer)) {
                    self.cancel_timer(timer);
                }
                None
            }
            Phase::Wait { timer, .. } | Phase::Backoff { timer } => {
                self.cancel_timer(timer);
                None
            }
            Phase::Reading(reading) => {
                self.tasks.remove(&reading.task);
                self.commands.push(Command::CancelTask { task: reading.task });
                None
            }
            Phase::Writing(writing) => {
                self.tasks.remove(&writing.task);
                self.commands.push(Command::CancelTask { task: writing.task });
                None
            }
            Phase::Parallel(fanout) => Some(self.parallel_slots(*fanout)),
            Phase::Map(run) => {
                let now = self.now;
                if let Some(record) = run.record.and_then(|i| self.map_runs.get_mut(i)) {
                    record.ended(MapRunStatus::Aborted, now);
                }
                Some(self.map_slots(*run))
            }
            Phase::Enter | Phase::Run => None,
        };
        // A frame that had not yet started the branches of its Parallel or Map keeps the plan it was given.
        let redrive = kept.or(frame.redrive);
        // A distributed Map's iteration stopped: its child execution is aborted.
        self.end_child(frame.record, None);
        Some(StoppedAt::new(frame.state, frame.input, frame.vars, redrive))
    }

    fn abort_all(&mut self) {
        let root = self.frames.iter().position(|frame| matches!(frame, Some(frame) if matches!(frame.parent, Parent::Root)));
        if let Some(stopped) = root.and_then(|fid| self.abort_frame(fid)) {
            self.stopped_at = Some(stopped);
        }
        self.queue.clear();
        self.cancel_all_timers();
    }

    /// Whether the history has room for no more than the event that ends the execution.
    fn history_full(&self) -> bool {
        self.limits.max_history_events > 0 && self.event_count + 1 >= self.limits.max_history_events as u64
    }

    /// Ends the execution as failed, from wherever it is.
    fn fail_execution(&mut self, error: ErrorDetails) {
        self.abort_all();
        self.emit_execution(EventDetails::ExecutionFailed(error.clone()));
        self.status = Status::Failed(error);
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

    // ---- Bookkeeping ------------------------------------------------------------------------------------------

    fn spawn(&mut self, spawn: Spawn) -> usize {
        let frame = Frame {
            workflow: spawn.workflow,
            state: spawn.state,
            parent: spawn.parent,
            input: spawn.input,
            input_text: None,
            entered_event: 0,
            entered_time: self.now,
            last_event: spawn.last_event,
            record: spawn.record,
            attempts: Vec::new(),
            retry_count: 0,
            vars: spawn.vars,
            task_token: None,
            redrive: None,
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
        let previous = frame.last_event;
        let id = match frame.record {
            Record::Off => return previous,
            Record::Child { key, .. } => self.emit_child(key, previous, details),
            Record::Parent => {
                let id = self.event_count + 1;
                self.push_event(HistoryEvent { id, previous_event_id: previous, timestamp: self.now, details });
                id
            }
        };
        if let Some(frame) = self.frames.get_mut(fid).and_then(Option::as_mut) {
            frame.last_event = id;
        }
        id
    }

    fn emit_execution(&mut self, details: EventDetails) {
        let id = self.event_count + 1;
        self.push_event(HistoryEvent { id, previous_event_id: id - 1, timestamp: self.now, details });
    }

    fn push_event(&mut self, event: HistoryEvent) {
        self.event_count = event.id;
        self.last_event_time = event.timestamp;
        self.fold_bytes = self.fold_bytes.saturating_add(event.details.payload_len());
        self.history.push(event);
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
        ResourceKind::Activity => EventDetails::ActivitySucceeded { output },
    }
}

fn failed_event(kind: &ResourceKind, failure: &Failure) -> EventDetails {
    let error = ErrorDetails { error: Some(failure.error.clone()), cause: failure.cause.clone() };
    let timed_out = failure.error == errors::TIMEOUT || failure.error == errors::HEARTBEAT_TIMEOUT;
    match kind {
        ResourceKind::LambdaFunction if timed_out => EventDetails::LambdaFunctionTimedOut(error),
        ResourceKind::LambdaFunction => EventDetails::LambdaFunctionFailed(error),
        ResourceKind::Service { resource_type, resource } if timed_out => {
            EventDetails::TaskTimedOut { resource_type: resource_type.clone(), resource: resource.clone(), error }
        }
        ResourceKind::Service { resource_type, resource } => {
            EventDetails::TaskFailed { resource_type: resource_type.clone(), resource: resource.clone(), error }
        }
        ResourceKind::Activity if timed_out => EventDetails::ActivityTimedOut(error),
        ResourceKind::Activity => EventDetails::ActivityFailed(error),
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

/// Whether a resource waits for its task token to come back (`….waitForTaskToken`).
fn is_callback(resource: &str) -> bool {
    resource.ends_with(".waitForTaskToken")
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
