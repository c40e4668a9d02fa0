//! Unit tests of `states`: recorded histories (from `baton run --history`, in `crates/server/test_data/console/`),
//! whole or cut short to look like a running execution, each state's outcome written out as text.

use serde_json::Value;

use crate::console::statuses::states;

/// A recorded execution: `{"definition": …, "history": [...]}`.
fn recorded(text: &str) -> (graph::Graph, Vec<Value>) {
    let file: Value = serde_json::from_str(text).expect("test data is JSON");
    let machine = asl::parse(&file["definition"].to_string()).expect("test data holds a valid definition");
    let history = file["history"].as_array().cloned().expect("test data holds a history");
    (graph::build(&machine), history)
}

/// `name status attempts` per state, one a line, for the first `events` events of the recording.
#[track_caller]
fn check(text: &str, events: usize, expected: &str) {
    let (graph, history) = recorded(text);
    let runs = states(&graph, &history[..events.min(history.len())]);
    let actual: String = runs
        .iter()
        .map(|(name, run)| format!("{name} {} {}\n", run.status.as_str(), run.attempts))
        .collect();
    assert_eq!(actual.trim(), expected.trim(), "\n{actual}");
}

const CHOICE_PARALLEL_CATCH: &str = include_str!("../../../test_data/console/choice_parallel_catch.json");
const MAP_AND_UNCAUGHT_FAILURE: &str = include_str!("../../../test_data/console/map_and_uncaught_failure.json");

#[test]
fn choice_parallel_catch_and_an_unvisited_branch() {
    // Right fails twice (one retry) and its Catch goes to Recovered; Boom fails Explode, whose Catch goes to Done.
    check(
        CHOICE_PARALLEL_CATCH,
        usize::MAX,
        "
Boom failed 0
Check succeeded 0
Done succeeded 0
Explode caught 0
Fan succeeded 0
Left succeeded 0
Never not-run 0
Recovered succeeded 0
Right caught 2
Skipped not-run 0
",
    );
}

#[test]
fn a_task_waiting_to_retry_is_running_and_so_is_its_parallel() {
    // Cut after the first TaskFailed (event 11): Right waits for its retry.
    check(
        CHOICE_PARALLEL_CATCH,
        11,
        "
Boom not-run 0
Check succeeded 0
Done not-run 0
Explode not-run 0
Fan running 0
Left succeeded 0
Never not-run 0
Recovered not-run 0
Right running 1
Skipped not-run 0
",
    );
}

#[test]
fn a_fail_state_inside_a_parallel_is_failed_while_the_catcher_runs() {
    // Cut after Done is entered (event 24).
    check(
        CHOICE_PARALLEL_CATCH,
        24,
        "
Boom failed 0
Check succeeded 0
Done running 0
Explode caught 0
Fan succeeded 0
Left succeeded 0
Never not-run 0
Recovered succeeded 0
Right caught 2
Skipped not-run 0
",
    );
}

#[test]
fn map_iterations_and_an_uncaught_failure_in_a_parallel() {
    check(
        MAP_AND_UNCAUGHT_FAILURE,
        usize::MAX,
        "
After not-run 0
Both failed 0
Call failed 1
Double succeeded 0
Each succeeded 0
Fine succeeded 0
Prepare succeeded 0
",
    );
}

#[test]
fn error_cause_input_output_and_variables_are_the_last_visits() {
    let (graph, history) = recorded(CHOICE_PARALLEL_CATCH);
    let runs = states(&graph, &history);
    let right = &runs["Right"];
    assert_eq!(right.error.as_deref(), Some("States.TaskFailed"));
    assert!(right.cause.as_deref().is_some_and(|cause| cause.contains("sqs:sendMessage")), "{right:?}");
    assert_eq!(right.input.as_deref(), Some(r#"{"go":true}"#));
    assert_eq!(right.entered, 1);
    let left = &runs["Left"];
    assert_eq!(left.assigned_variables, Some(serde_json::json!({"side": "\"left\""})));
    assert_eq!(left.output.as_deref(), Some(r#"{"go":true}"#));
    assert_eq!(runs["Skipped"].entered, 0);
}

#[test]
fn execution_failure_marks_the_open_states_failed_and_a_redrive_forgets_it() {
    let (graph, mut history) = recorded(MAP_AND_UNCAUGHT_FAILURE);
    let runs = states(&graph, &history);
    assert_eq!(runs["Both"].error.as_deref(), Some("States.TaskFailed"));
    // A redrive enters Both again (event ids continue), and it is running, not failed.
    history.push(serde_json::json!({"id": 26, "previousEventId": 25, "type": "ExecutionRedriven"}));
    history.push(serde_json::json!({"id": 27, "previousEventId": 26, "type": "ParallelStateEntered",
        "stateEnteredEventDetails": {"name": "Both", "input": "{}"}}));
    let runs = states(&graph, &history);
    assert_eq!(runs["Both"].status, graph::Status::Running);
    assert_eq!(runs["Call"].status, graph::Status::NotRun);
}
