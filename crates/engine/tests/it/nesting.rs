//! Task results nested deeper than `engine::MAX_NESTING_DEPTH` fail their task, and their stored trigger stays
//! readable and replays the same.

use std::sync::Arc;

use serde_json::{Value, json};

use engine::{Command, Execution, Limits, MAX_NESTING_DEPTH, Status, TaskId, Trigger};

use crate::driver::{self, EPOCH_MS};

fn nested(levels: usize) -> Value {
    (0..levels).fold(json!("leaf"), |inner, _| json!([inner]))
}

/// A one-Task machine, started; returns the execution and the task it waits for.
fn started() -> (Execution, TaskId) {
    let definition = json!({"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:f", "End": true}}});
    let machine = Arc::new(asl::parse::parse_value(&definition).expect("a valid definition"));
    let mut execution = Execution::new(machine, driver::info(), Limits::default());
    let commands = execution.apply(Trigger::Start { input: json!({}), now: EPOCH_MS });
    let task = commands.iter().find_map(|command| match command {
        Command::InvokeTask(request) => Some(request.task),
        _ => None,
    });
    (execution, task.expect("the task is invoked"))
}

/// Answers the task with `result`; returns the execution and the trigger as stored.
fn answered(result: Value) -> (Execution, String) {
    let (mut execution, task) = started();
    let trigger = Trigger::TaskCompleted { task, outcome: Ok(result), now: EPOCH_MS + 1 };
    let stored = trigger.to_json().to_string();
    execution.apply(trigger);
    (execution, stored)
}

fn wire(execution: &Execution) -> Vec<Value> {
    execution.history().iter().map(engine::HistoryEvent::to_json).collect()
}

#[test]
fn a_result_at_the_limit_succeeds() {
    let (execution, stored) = answered(nested(MAX_NESTING_DEPTH));
    assert!(matches!(execution.status(), Status::Succeeded { .. }), "{:?}", execution.status());
    assert!(serde_json::from_str::<Value>(&stored).is_ok());
}

#[test]
fn a_result_nested_deeper_fails_its_task_and_is_stored_as_that_failure() {
    let (execution, stored) = answered(nested(MAX_NESTING_DEPTH + 1));
    let Status::Failed(error) = execution.status() else { panic!("{:?}", execution.status()) };
    assert_eq!(error.error.as_deref(), Some("States.Runtime"));
    assert_eq!(error.cause.as_deref(), Some("The task returned a result nested deeper than the maximum of 126 levels."));
    // The stored trigger parses (serde_json stops at 128 levels) and folds into the same history.
    let value: Value = serde_json::from_str(&stored).expect("a readable trigger");
    let (mut replayed, _) = started();
    replayed.apply(Trigger::from_json(&value).expect("a trigger"));
    assert_eq!(wire(&replayed), wire(&execution));
}
