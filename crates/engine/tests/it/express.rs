//! An Express execution times out after AWS's five minutes, whatever its `TimeoutSeconds` (`Limits::max_express_seconds`).

use std::sync::Arc;

use serde_json::json;

use engine::{Command, Execution, ExecutionInfo, Limits, Status, Trigger};

use crate::driver::{self, EPOCH_MS};

/// The execution timer a machine with `TimeoutSeconds` (if any) arms when it starts, in ms after the start.
fn execution_timeout(timeout_seconds: Option<u64>, express: bool) -> Option<i64> {
    let mut definition = json!({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 3600, "End": true}}});
    if let Some(seconds) = timeout_seconds {
        definition["TimeoutSeconds"] = json!(seconds);
    }
    let machine = Arc::new(asl::parse::parse_value(&definition).expect("a valid definition"));
    let info = ExecutionInfo { express, ..driver::info() };
    let mut execution = Execution::new(machine, info, Limits::default());
    let commands = execution.apply(Trigger::Start { input: json!({}), now: EPOCH_MS });
    let timers: Vec<i64> = commands
        .iter()
        .filter_map(|command| match command {
            Command::StartTimer { at, .. } => Some(at - EPOCH_MS),
            _ => None,
        })
        .collect();
    // The Wait's timer is the one at an hour; any other is the execution's.
    timers.into_iter().find(|at| *at != 3_600_000)
}

#[test]
fn express_executions_end_after_five_minutes() {
    assert_eq!(execution_timeout(None, true), Some(300_000));
    assert_eq!(execution_timeout(Some(7200), true), Some(300_000));
    assert_eq!(execution_timeout(Some(60), true), Some(60_000));
    assert_eq!(execution_timeout(None, false), None);
    assert_eq!(execution_timeout(Some(7200), false), Some(7_200_000));
}

#[test]
fn an_express_execution_past_five_minutes_times_out() {
    let definition = json!({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 3600, "End": true}}});
    let machine = Arc::new(asl::parse::parse_value(&definition).expect("a valid definition"));
    let info = ExecutionInfo { express: true, ..driver::info() };
    let mut execution = Execution::new(machine, info, Limits::default());
    let commands = execution.apply(Trigger::Start { input: json!({}), now: EPOCH_MS });
    let timer = commands.iter().find_map(|command| match command {
        Command::StartTimer { timer, at } if *at == EPOCH_MS + 300_000 => Some(*timer),
        _ => None,
    });
    execution.apply(Trigger::TimerFired { timer: timer.expect("the five-minute timer"), now: EPOCH_MS + 300_000 });
    let Status::TimedOut(error) = execution.status() else { panic!("{:?}", execution.status()) };
    assert_eq!(error.error.as_deref(), Some("States.Timeout"));
    let last = execution.history().last().map(|event| event.details.event_type());
    assert_eq!(last.as_deref(), Some("ExecutionTimedOut"));
}

#[test]
fn zero_is_no_limit() {
    let definition = json!({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 3600, "End": true}}});
    let machine = Arc::new(asl::parse::parse_value(&definition).expect("a valid definition"));
    let info = ExecutionInfo { express: true, ..driver::info() };
    let limits = Limits { max_express_seconds: 0, ..Limits::default() };
    let mut execution = Execution::new(machine, info, limits);
    let commands = execution.apply(Trigger::Start { input: json!({}), now: EPOCH_MS });
    let timers = commands.iter().filter(|command| matches!(command, Command::StartTimer { .. })).count();
    assert_eq!(timers, 1, "only the Wait's: {commands:?}");
}
