//! A fake runtime for one execution: a virtual clock, a script that answers task invocations in order, and an
//! agenda of pending task answers and timers fired in time order.
//!
//! It is not the real runtime: nothing runs concurrently and no time passes except by jumping to the next thing on
//! the agenda, so every run of a case is the same run.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Arc;

use serde_json::Value;

use asl::Failure;
use asl::model::StateMachine;
use engine::{Command, Execution, ExecutionInfo, Limits, Status, TaskId, TimerId, Trigger};

/// When every case starts: 2023-11-14T22:13:20Z.
pub(crate) const EPOCH_MS: i64 = 1_700_000_000_000;

/// More triggers than any case needs; reaching it means the execution loops.
const MAX_TRIGGERS: usize = 10_000;

/// What a case file asks of the fake runtime, besides the definition.
pub(crate) struct Setup {
    pub(crate) input: Value,
    pub(crate) script: Vec<Scripted>,
    pub(crate) stop: Option<Stop>,
    /// How many times to redrive the execution when it fails, times out or is aborted.
    pub(crate) redrives: u32,
    pub(crate) limits: Limits,
    /// UpdateMapRun calls, each at its time.
    pub(crate) updates: Vec<Update>,
}

/// An UpdateMapRun at `after_ms` past the start.
pub(crate) struct Update {
    pub(crate) after_ms: i64,
    pub(crate) map_run_arn: String,
    pub(crate) max_concurrency: Option<u64>,
    pub(crate) tolerated_failure_count: Option<u64>,
    pub(crate) tolerated_failure_percentage: Option<f64>,
}

/// The answer to one task invocation: `{"return": v}`, `{"throw": {"error", "cause"}}` or `{"hang": true}` (never
/// answers, so a timeout or a stop must end it), with `"after": seconds` of virtual latency and an optional
/// `"state"` that the invocation must come from.
pub(crate) struct Scripted {
    pub(crate) state: Option<String>,
    pub(crate) answer: Option<Result<Value, Failure>>,
    pub(crate) after_ms: i64,
}

/// A `StopExecution` at `after_ms` past the start.
pub(crate) struct Stop {
    pub(crate) after_ms: i64,
    pub(crate) error: Option<String>,
    pub(crate) cause: Option<String>,
}

/// A finished (or stuck) run: the execution and every trigger and command that passed between it and the runtime.
pub(crate) struct Run {
    pub(crate) execution: Execution,
    pub(crate) triggers: Vec<Trigger>,
    pub(crate) commands: Vec<Vec<Command>>,
}

/// Something on the agenda. The derived order ranks task answers before a stop before an update before timers at
/// the same instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Task,
    Stop,
    Update,
    Timer,
}

type Key = (i64, Kind, u64);

enum Pending {
    Task(TaskId, Result<Value, Failure>),
    Stop(Option<String>, Option<String>),
    /// An UpdateMapRun: the map run ARN, max concurrency, tolerated count and percentage.
    Update(String, Option<u64>, Option<u64>, Option<f64>),
    Timer(TimerId),
}

struct Driver {
    execution: Execution,
    script: VecDeque<Scripted>,
    agenda: BTreeMap<Key, Pending>,
    tasks: HashMap<TaskId, Key>,
    timers: HashMap<TimerId, Key>,
    seq: u64,
    now: i64,
    triggers: Vec<Trigger>,
    commands: Vec<Vec<Command>>,
}

/// The execution identity every case runs under.
pub(crate) fn info() -> ExecutionInfo {
    ExecutionInfo {
        execution_arn: "arn:aws:states:us-east-1:123456789012:execution:Machine:exec-1".to_owned(),
        name: "exec-1".to_owned(),
        state_machine_arn: "arn:aws:states:us-east-1:123456789012:stateMachine:Machine".to_owned(),
        state_machine_name: "Machine".to_owned(),
        role_arn: "arn:aws:iam::123456789012:role/baton".to_owned(),
        region: "us-east-1".to_owned(),
        express: false,
        version_arn: None,
        alias_arn: None,
    }
}

/// Runs a case to its end. With `slice`, the execution takes at most that many steps per trigger and the driver
/// resumes it until it has no work left before anything else happens.
pub(crate) fn drive(machine: &Arc<StateMachine>, setup: &Setup, slice: Option<usize>) -> Run {
    let mut execution = Execution::new(machine.clone(), info(), setup.limits.clone());
    if let Some(steps) = slice {
        execution.set_slice(steps);
    }
    let mut driver = Driver {
        execution,
        script: setup
            .script
            .iter()
            .map(|s| Scripted {
                state: s.state.clone(),
                answer: s.answer.clone(),
                after_ms: s.after_ms,
            })
            .collect(),
        agenda: BTreeMap::new(),
        tasks: HashMap::new(),
        timers: HashMap::new(),
        seq: 0,
        now: EPOCH_MS,
        triggers: Vec::new(),
        commands: Vec::new(),
    };
    if let Some(stop) = &setup.stop {
        driver.schedule(
            EPOCH_MS + stop.after_ms,
            Kind::Stop,
            Pending::Stop(stop.error.clone(), stop.cause.clone()),
        );
    }
    for update in &setup.updates {
        driver.schedule(
            EPOCH_MS + update.after_ms,
            Kind::Update,
            Pending::Update(
                update.map_run_arn.clone(),
                update.max_concurrency,
                update.tolerated_failure_count,
                update.tolerated_failure_percentage,
            ),
        );
    }
    let mut redrives = setup.redrives;
    driver.apply(Trigger::Start {
        input: setup.input.clone(),
        now: EPOCH_MS,
    });
    loop {
        assert!(
            driver.triggers.len() < MAX_TRIGGERS,
            "the execution took {MAX_TRIGGERS} triggers without ending"
        );
        if driver.execution.has_work() {
            driver.apply(Trigger::Resume { now: driver.now });
            continue;
        }
        if *driver.execution.status() != Status::Running {
            if redrives > 0 && driver.execution.redrivable() {
                redrives -= 1;
                driver.apply(Trigger::Redrive { now: driver.now });
                continue;
            }
            break;
        }
        let Some(((at, _, _), pending)) = driver.agenda.pop_first() else {
            break;
        };
        driver.now = driver.now.max(at);
        let now = driver.now;
        let trigger = match pending {
            Pending::Task(task, outcome) => {
                driver.tasks.remove(&task);
                Trigger::TaskCompleted { task, outcome, now }
            }
            Pending::Timer(timer) => {
                driver.timers.remove(&timer);
                Trigger::TimerFired { timer, now }
            }
            Pending::Stop(error, cause) => Trigger::Stop { error, cause, now },
            Pending::Update(map_run_arn, max_concurrency, tolerated_failure_count, tolerated_failure_percentage) => {
                Trigger::UpdateMapRun {
                    map_run_arn,
                    max_concurrency,
                    tolerated_failure_count,
                    tolerated_failure_percentage,
                    now,
                }
            }
        };
        driver.apply(trigger);
    }
    let unused: Vec<String> = driver
        .script
        .iter()
        .map(|s| s.state.clone().unwrap_or_else(|| "?".to_owned()))
        .collect();
    assert!(
        unused.is_empty(),
        "the script has answers no task asked for (states: {unused:?})"
    );
    Run {
        execution: driver.execution,
        triggers: driver.triggers,
        commands: driver.commands,
    }
}

/// Folds recorded triggers into a fresh execution, as a runtime recovering from its log would.
pub(crate) fn replay(machine: &Arc<StateMachine>, setup: &Setup, triggers: &[Trigger]) -> Run {
    let mut execution = Execution::new(machine.clone(), info(), setup.limits.clone());
    let commands = triggers
        .iter()
        .map(|trigger| execution.apply(trigger.clone()))
        .collect();
    Run {
        execution,
        triggers: triggers.to_vec(),
        commands,
    }
}

impl Driver {
    fn apply(&mut self, trigger: Trigger) {
        self.triggers.push(trigger.clone());
        let commands = self.execution.apply(trigger);
        self.commands.push(commands.clone());
        for command in commands {
            self.perform(command);
        }
    }

    fn perform(&mut self, command: Command) {
        match command {
            Command::InvokeTask(request) => {
                let scripted = self.script.pop_front().unwrap_or_else(|| {
                    panic!(
                        "the script ran out: state '{}' invoked {} with {}",
                        request.state_name, request.resource, request.parameters
                    )
                });
                if let Some(state) = &scripted.state {
                    assert_eq!(
                        state, &request.state_name,
                        "the next scripted answer is for another state"
                    );
                }
                if let Some(outcome) = scripted.answer {
                    let key = self.schedule(
                        self.now + scripted.after_ms,
                        Kind::Task,
                        Pending::Task(request.task, outcome),
                    );
                    self.tasks.insert(request.task, key);
                }
            }
            Command::StartTimer { timer, at } => {
                let key = self.schedule(at, Kind::Timer, Pending::Timer(timer));
                self.timers.insert(timer, key);
            }
            Command::CancelTimer { timer } => {
                if let Some(key) = self.timers.remove(&timer) {
                    self.agenda.remove(&key);
                }
            }
            Command::CancelTask { task } => {
                if let Some(key) = self.tasks.remove(&task) {
                    self.agenda.remove(&key);
                }
            }
        }
    }

    fn schedule(&mut self, at: i64, kind: Kind, pending: Pending) -> Key {
        self.seq += 1;
        let key = (at, kind, self.seq);
        self.agenda.insert(key, pending);
        key
    }
}
