//! Running one execution in process, to completion.

use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::sync::mpsc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::Value;

use asl::Failure;
use asl::model::StateMachine;
use engine::{Command, EventDetails, Execution, ExecutionInfo, Limits, Status, TaskId, TimerId, Trigger};

use crate::integration::{Kind, Routes};
use crate::overrun::{self, Seen};
use crate::resources::Resources;

/// How time passes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clock {
    /// Waits really wait.
    Real,
    /// Whenever the execution only waits for timers, the clock jumps to the next one.
    Virtual,
}

/// How to run.
pub struct Options<'a> {
    pub clock: Clock,
    pub limits: Limits,
    pub resources: Arc<Resources>,
    /// Called now and then during the run with what happened so far.
    pub progress: Option<&'a mut dyn FnMut(&Progress)>,
    /// Keep the whole history in the returned execution (`Execution::history`), and its distributed Maps' child
    /// executions' histories (`Execution::take_child_events`); otherwise events are dropped as they come, and a long
    /// run holds a bounded part of them.
    pub keep_history: bool,
    /// How long one JSONata evaluation may run before it fails with `States.QueryEvaluationError`, in
    /// milliseconds; 0 for no limit.
    pub max_evaluation_ms: u64,
}

/// Folds take at most this many steps, so progress shows during long runs of states that need nothing outside.
const SLICE_STEPS: usize = 50_000;
/// About how many bytes of event payloads one fold may emit when the history is not kept.
const SLICE_BYTES: usize = 16 << 20;

/// Counts shown while a long run goes on, and the state it is in.
#[derive(Debug, Clone, Default)]
pub struct Progress {
    pub states_entered: u64,
    pub map_iterations_done: u64,
    pub events: u64,
    /// The state entered last (of the execution or of a Map iteration or Parallel branch in it).
    pub state: Option<String>,
    /// How many times the task of `state` failed or timed out since it was entered: more than 0 while it retries.
    pub failures: u32,
}

/// Runs `machine` on `input` until the execution ends, and returns it (status, and history if kept).
pub fn run(machine: Arc<StateMachine>, info: ExecutionInfo, input: Value, mut options: Options<'_>) -> Execution {
    let mut execution = Execution::new(machine, info, options.limits.clone());
    if options.progress.is_some() || !options.keep_history {
        execution.set_slice(SLICE_STEPS);
    }
    if options.keep_history {
        execution.keep_child_histories(true);
    } else {
        execution.set_slice_bytes(SLICE_BYTES);
    }
    let watchdog = (options.max_evaluation_ms > 0 && execution.uses_jsonata())
        .then(|| Watchdog::start(execution.guard().watch(), Duration::from_millis(options.max_evaluation_ms)));
    let routes = Routes::of(execution.machine());
    let mut driver = Driver::new(options.clock, options.resources.clone(), execution.info().execution_arn.clone(), routes);
    let mut commands = execution.apply(Trigger::Start { input, now: driver.now() });
    let mut progress = Progress::default();
    let mut seen = 0;
    loop {
        driver.perform(commands);
        let from = seen;
        count(&execution, &mut seen, &mut progress);
        if let Some(report) = options.progress.as_mut() {
            track(&execution, from, &mut progress);
            report(&progress);
        }
        if !options.keep_history {
            drop(execution.take_events());
            seen = 0;
        }
        if !matches!(execution.status(), Status::Running) {
            break;
        }
        let trigger = if execution.has_work() { Trigger::Resume { now: driver.now() } } else { driver.next_trigger() };
        commands = execution.apply(trigger);
    }
    drop(watchdog);
    execution
}

fn count(execution: &Execution, seen: &mut usize, progress: &mut Progress) {
    let history = execution.history();
    for event in history.get(*seen..).unwrap_or_default() {
        match event.details {
            EventDetails::StateEntered { .. } => progress.states_entered += 1,
            EventDetails::MapIterationSucceeded { .. } | EventDetails::MapIterationFailed { .. } => {
                progress.map_iterations_done += 1;
            }
            _ => {}
        }
    }
    *seen = history.len();
    progress.events = execution.event_count();
}

/// Notes which state the events from `from` on entered last and how often its task failed since (only when progress
/// is shown: it copies the name, so runs without progress do not call it).
fn track(execution: &Execution, from: usize, progress: &mut Progress) {
    for event in execution.history().get(from..).unwrap_or_default() {
        match &event.details {
            EventDetails::StateEntered { name, .. } => {
                progress.state = Some(name.clone());
                progress.failures = 0;
            }
            EventDetails::TaskFailed { .. }
            | EventDetails::TaskTimedOut { .. }
            | EventDetails::ActivityFailed(_)
            | EventDetails::ActivityTimedOut(_)
            | EventDetails::LambdaFunctionFailed(_)
            | EventDetails::LambdaFunctionTimedOut(_) => progress.failures += 1,
            _ => {}
        }
    }
}

/// Cuts off the execution's JSONata evaluations that run for longer than a limit, from a thread of its own.
struct Watchdog {
    done: Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Watchdog {
    fn start(watch: Arc<asl::Watch>, limit: Duration) -> Watchdog {
        let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let thread = std::thread::Builder::new()
            .name("baton-watchdog".to_owned())
            .spawn({
                let done = done.clone();
                move || {
                    let mut seen = Seen::default();
                    while !done.load(std::sync::atomic::Ordering::SeqCst) {
                        std::thread::sleep(overrun::tick(limit));
                        seen.check(&watch, std::time::Instant::now(), limit);
                    }
                }
            })
            .ok();
        Watchdog { done, thread }
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        self.done.store(true, std::sync::atomic::Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Performs commands and produces the next trigger.
struct Driver {
    clock: Clock,
    /// Milliseconds the virtual clock is ahead of the wall clock.
    skipped: i64,
    resources: Arc<Resources>,
    /// The integration of each Task resource of the machine.
    routes: Routes,
    /// The execution's ARN, which local functions log under.
    execution_arn: Arc<str>,
    timers: BTreeSet<(i64, TimerId)>,
    timer_at: HashMap<TimerId, i64>,
    ready: VecDeque<(TaskId, Result<Value, Failure>)>,
    cancelled: HashSet<TaskId>,
    invocations: HashMap<String, u32>,
    in_flight: usize,
    sender: mpsc::Sender<(TaskId, Result<Value, Failure>)>,
    receiver: mpsc::Receiver<(TaskId, Result<Value, Failure>)>,
}

impl Driver {
    fn new(clock: Clock, resources: Arc<Resources>, execution_arn: String, routes: Routes) -> Driver {
        let (sender, receiver) = mpsc::channel();
        Driver {
            clock,
            skipped: 0,
            resources,
            routes,
            execution_arn: Arc::from(execution_arn),
            timers: BTreeSet::new(),
            timer_at: HashMap::new(),
            ready: VecDeque::new(),
            cancelled: HashSet::new(),
            invocations: HashMap::new(),
            in_flight: 0,
            sender,
            receiver,
        }
    }

    fn now(&self) -> i64 {
        wall_clock().saturating_add(self.skipped)
    }

    fn perform(&mut self, commands: Vec<Command>) {
        for command in commands {
            match command {
                Command::InvokeTask(request) => {
                    let invocation = self.invocations.entry(request.state_name.clone()).or_insert(0);
                    let n = *invocation;
                    *invocation += 1;
                    // A task that reports through a token needs `baton serve` to take SendTaskSuccess; in process
                    // only a mock can answer it.
                    let mocked = self.resources.mocks.as_ref().is_some_and(|m| m.response(&request.state_name, n).is_some());
                    if request.token.is_some() && !mocked {
                        let failure = Failure::new(
                            asl::errors::TASK_FAILED,
                            format!(
                                "the task of state '{}' ({}) waits for a task token, which only `baton serve` can take \
                                 (SendTaskSuccess, activity workers); give it a mocked response to run it here",
                                request.state_name, request.resource
                            ),
                        );
                        self.ready.push_back((request.task, Err(failure)));
                        continue;
                    }
                    if let Some(outcome) = self.resources.mocked(&request.state_name, n) {
                        self.ready.push_back((request.task, outcome));
                        continue;
                    }
                    let runtime = match calls() {
                        Ok(runtime) => runtime,
                        Err(error) => {
                            let failure = Failure::new(asl::errors::TASK_FAILED, format!("Baton cannot make the task's call: {error}"));
                            self.ready.push_back((request.task, Err(failure)));
                            continue;
                        }
                    };
                    self.in_flight += 1;
                    let integration = self.routes.get(&request.resource);
                    let (resources, arn, sender) = (self.resources.clone(), self.execution_arn.to_string(), self.sender.clone());
                    runtime.spawn(async move {
                        let task = request.task;
                        let outcome = match integration.kind() {
                            // In process nothing is recorded between the job's start and its end.
                            Kind::Job => match integration.invoke(resources.clone(), arn.clone(), request.clone(), None).await {
                                Ok(started) => integration.wait(resources, arn, request, started, None).await,
                                Err(failure) => Err(failure),
                            },
                            _ => integration.invoke(resources, arn, request, None).await,
                        };
                        // The receiver lives as long as the run; a send can only fail after it ended.
                        let _ = sender.send((task, outcome));
                    });
                }
                Command::StartTimer { timer, at } => {
                    self.timers.insert((at, timer));
                    self.timer_at.insert(timer, at);
                }
                Command::CancelTimer { timer } => {
                    if let Some(at) = self.timer_at.remove(&timer) {
                        self.timers.remove(&(at, timer));
                    }
                }
                Command::CancelTask { task } => {
                    self.cancelled.insert(task);
                }
            }
        }
    }

    /// Waits for the next thing to happen: a task result or the earliest timer.
    fn next_trigger(&mut self) -> Trigger {
        loop {
            if let Some((task, outcome)) = self.ready.pop_front() {
                if self.cancelled.remove(&task) {
                    continue;
                }
                return Trigger::TaskCompleted { task, outcome, now: self.now() };
            }
            let next_timer = self.timers.first().copied();
            if self.in_flight > 0 {
                let received = match next_timer {
                    Some((at, _)) => {
                        let wait = u64::try_from(at.saturating_sub(self.now())).unwrap_or(0);
                        self.receiver.recv_timeout(Duration::from_millis(wait)).ok()
                    }
                    None => self.receiver.recv().ok(),
                };
                if let Some((task, outcome)) = received {
                    self.in_flight -= 1;
                    self.ready.push_back((task, outcome));
                    continue;
                }
            }
            let Some((at, timer)) = next_timer else {
                // Nothing can happen any more; the engine never leaves an execution like this, so end it.
                return Trigger::Stop {
                    error: Some("Baton.Stuck".to_owned()),
                    cause: Some("the execution waits for nothing that can happen".to_owned()),
                    now: self.now(),
                };
            };
            let now = self.now();
            if at > now {
                match self.clock {
                    Clock::Virtual if self.in_flight == 0 => self.skipped = self.skipped.saturating_add(at - now),
                    _ => std::thread::sleep(Duration::from_millis(u64::try_from(at - now).unwrap_or(0))),
                }
            }
            if self.now() < at {
                continue;
            }
            self.timers.remove(&(at, timer));
            self.timer_at.remove(&timer);
            return Trigger::TimerFired { timer, now: self.now().max(at) };
        }
    }
}

/// The runtime in-process runs make their tasks' calls on (local functions on its blocking threads, AWS calls on its
/// one worker), started at the first call and shared by every run of the process, so connections are reused.
fn calls() -> Result<&'static tokio::runtime::Runtime, String> {
    static CALLS: std::sync::OnceLock<Result<tokio::runtime::Runtime, String>> = std::sync::OnceLock::new();
    CALLS
        .get_or_init(|| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .thread_name("baton-calls")
                .enable_all()
                .build()
                .map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(Clone::clone)
}

fn wall_clock() -> i64 {
    let since = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    i64::try_from(since.as_millis()).unwrap_or(i64::MAX)
}
