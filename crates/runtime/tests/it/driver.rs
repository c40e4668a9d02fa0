//! A bounded, deterministic driver for `engine::Execution`, and the checks every finished execution must pass.
//!
//! `runtime::run` drives an execution until it ends, which is forever for a machine that loops without waiting
//! (`Choice` → `Pass` → `Choice` …). This driver instead applies at most `max_applies` triggers, each bounded by
//! `Execution::set_slice`, and then stops the execution with `Trigger::Stop`: any machine, cycles included, ends.
//! Task answers come from a list of outcomes, virtual time jumps to the next timer, and a list of booleans decides
//! the order of events the engine cannot predict (a task's answer versus a timer) and when to replay a stale trigger.

use std::sync::Arc;

use serde_json::Value;

use asl::Failure;
use asl::model::StateMachine;
use engine::{Command, EventDetails, Execution, ExecutionInfo, Limits, Status, TaskId, Trigger};

use crate::definition::Outcome;

/// The start time of driven executions: 2023-11-14T22:13:20Z.
const T0: i64 = 1_700_000_000_000;

/// How to drive one execution.
pub(crate) struct Script<'a> {
    pub(crate) limits: Limits,
    /// Steps per `apply` (`Execution::set_slice`).
    pub(crate) slice: usize,
    pub(crate) max_applies: usize,
    /// Answers to tasks, in the order they are asked for, cycled.
    pub(crate) outcomes: &'a [Outcome],
    /// Coin flips, cycled: which of a task answer and a timer comes first; whether to replay a stale trigger.
    pub(crate) coins: &'a [bool],
}

/// What driving did.
pub(crate) struct Driven {
    pub(crate) execution: Execution,
    /// Every trigger applied, in order, for replay.
    pub(crate) triggers: Vec<Trigger>,
    /// The execution waited for nothing that could happen (no task, no timer, no work) while still running.
    pub(crate) stuck: bool,
}

/// The identity of driven and run executions.
pub(crate) fn info(express: bool) -> ExecutionInfo {
    ExecutionInfo {
        execution_arn: "arn:aws:states:us-east-1:123456789012:execution:Fuzz:run".to_owned(),
        name: "run".to_owned(),
        state_machine_arn: "arn:aws:states:us-east-1:123456789012:stateMachine:Fuzz".to_owned(),
        state_machine_name: "Fuzz".to_owned(),
        role_arn: "arn:aws:iam::123456789012:role/baton".to_owned(),
        region: "us-east-1".to_owned(),
        express,
        version_arn: None,
        alias_arn: None,
    }
}

/// Drives `machine` on `input` as `script` says, until it ends or the trigger budget runs out.
pub(crate) fn drive(machine: Arc<StateMachine>, input: Value, script: &Script<'_>) -> Driven {
    let mut execution = Execution::new(machine, info(false), script.limits.clone());
    execution.set_slice(script.slice);
    let mut now = T0;
    let mut tasks: Vec<TaskId> = Vec::new();
    let mut timers: Vec<(i64, engine::TimerId)> = Vec::new();
    let mut spent: Vec<Trigger> = Vec::new();
    let mut answered = 0usize;
    let mut coins = Coins {
        coins: script.coins,
        flips: 0,
    };
    let mut stuck = false;
    let start = Trigger::Start { input, now };
    let mut commands = execution.apply(start.clone());
    let mut triggers = vec![start];
    loop {
        for command in std::mem::take(&mut commands) {
            match command {
                Command::InvokeTask(request) => tasks.push(request.task),
                Command::StartTimer { timer, at } => timers.push((at, timer)),
                Command::CancelTimer { timer } => timers.retain(|(_, t)| *t != timer),
                Command::CancelTask { task } => tasks.retain(|t| *t != task),
            }
        }
        if !matches!(execution.status(), Status::Running) {
            break;
        }
        let trigger = if triggers.len() >= script.max_applies {
            Trigger::Stop {
                error: Some("Fuzz.Budget".to_owned()),
                cause: None,
                now,
            }
        } else if execution.has_work() {
            Trigger::Resume { now }
        } else if !spent.is_empty() && coins.flip() && coins.flip() {
            // A duplicate task answer or timer: the engine must ignore it.
            let stale = spent
                .get(coins.flips % spent.len())
                .cloned()
                .unwrap_or(Trigger::Resume { now });
            let before = execution.history().len();
            let commands = execution.apply(stale.clone());
            triggers.push(stale);
            assert!(
                commands.is_empty() && execution.history().len() == before,
                "a stale trigger changed the execution"
            );
            continue;
        } else {
            timers.sort();
            let take_task = !tasks.is_empty() && (timers.is_empty() || coins.flip() || coins.flip());
            if take_task {
                let task = tasks.remove(0);
                let outcome = match script.outcomes.get(answered % script.outcomes.len().max(1)) {
                    Some(Outcome::Return(value)) => Ok(value.clone()),
                    Some(Outcome::Throw { error, cause }) => Err(Failure {
                        error: error.clone(),
                        cause: cause.clone(),
                    }),
                    None => Ok(Value::Null),
                };
                answered += 1;
                Trigger::TaskCompleted { task, outcome, now }
            } else if !timers.is_empty() {
                let (at, timer) = timers.remove(0);
                now = now.max(at);
                Trigger::TimerFired { timer, now }
            } else {
                stuck = true;
                Trigger::Stop {
                    error: Some("Fuzz.Stuck".to_owned()),
                    cause: None,
                    now,
                }
            }
        };
        if matches!(trigger, Trigger::TaskCompleted { .. } | Trigger::TimerFired { .. }) {
            spent.push(trigger.clone());
        }
        commands = execution.apply(trigger.clone());
        triggers.push(trigger);
    }
    Driven {
        execution,
        triggers,
        stuck,
    }
}

/// The script's coin flips, cycled.
struct Coins<'a> {
    coins: &'a [bool],
    flips: usize,
}

impl Coins<'_> {
    fn flip(&mut self) -> bool {
        self.flips += 1;
        self.coins
            .get(self.flips % self.coins.len().max(1))
            .copied()
            .unwrap_or(false)
    }
}

/// Folds `triggers` into a fresh execution, as a recovering runtime would.
pub(crate) fn replay(machine: Arc<StateMachine>, limits: Limits, slice: usize, triggers: &[Trigger]) -> Execution {
    let mut execution = Execution::new(machine, info(false), limits);
    execution.set_slice(slice);
    for trigger in triggers {
        execution.apply(trigger.clone());
    }
    execution
}

/// Checks what every ended execution must satisfy: it ended, its history ids are `1..=n` without gaps, every event
/// follows an earlier one, it starts with `ExecutionStarted` and ends with exactly one terminal event.
pub(crate) fn check_ended(execution: &Execution) -> Result<(), String> {
    let status = execution.status();
    if matches!(status, Status::Running | Status::NotStarted) {
        return Err(format!("the execution did not end: {status:?}"));
    }
    let history = execution.history();
    for (index, event) in history.iter().enumerate() {
        if event.id != index as u64 + 1 {
            return Err(format!("event #{index} has id {}", event.id));
        }
        if event.previous_event_id >= event.id {
            return Err(format!("event {} follows event {}", event.id, event.previous_event_id));
        }
    }
    if !matches!(
        history.first().map(|e| &e.details),
        Some(EventDetails::ExecutionStarted { .. })
    ) {
        return Err("the history does not start with ExecutionStarted".to_owned());
    }
    let terminal = |details: &EventDetails| {
        matches!(
            details,
            EventDetails::ExecutionSucceeded { .. }
                | EventDetails::ExecutionFailed(_)
                | EventDetails::ExecutionTimedOut(_)
                | EventDetails::ExecutionAborted(_)
        )
    };
    let terminals = history.iter().filter(|e| terminal(&e.details)).count();
    if terminals != 1 || !history.last().is_some_and(|e| terminal(&e.details)) {
        return Err(format!(
            "the history has {terminals} terminal events, and the last event is {:?}",
            history.last()
        ));
    }
    Ok(())
}
