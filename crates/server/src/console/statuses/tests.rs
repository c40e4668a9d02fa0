//! Unit tests of `states`: recorded histories (from `baton run --history`, in `crates/server/test_data/console/`),
//! whole or cut short to look like a running execution, each state's outcome written out as text.

use serde_json::{Value, json};

use runtime::service::{MapRunCounts, MapRunInfo, MapRunStatus};

use crate::console::statuses::{Items, Visit, fold, fold_with, states};
use graph::{Status, Tally};

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
/// `Each` maps over 3 items that succeed, then over 5 with MaxConcurrency 2, the fourth failing (caught).
const MAP_IN_A_LOOP: &str = include_str!("../../../test_data/console/map_in_a_loop.json");
/// `Outer` maps over `[[1, 2], [3]]`; `Inner`, inside it, over each of those.
const MAP_IN_A_MAP: &str = include_str!("../../../test_data/console/map_in_a_map.json");
/// `Spread`, a distributed Map over 4 items, tolerating the one that fails.
const DISTRIBUTED_MAP: &str = include_str!("../../../test_data/console/distributed_map.json");

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

/// `name: note` per state with items, one a line, for the first `events` events of the recording.
#[track_caller]
fn check_items(text: &str, events: usize, expected: &str) {
    let (graph, history) = recorded(text);
    let runs = states(&graph, &history[..events.min(history.len())]);
    let actual: String = runs
        .iter()
        .filter_map(|(name, run)| Some(format!("{name}: {}\n", run.items.as_ref()?.note())))
        .collect();
    assert_eq!(actual.trim(), expected.trim(), "\n{actual}");
}

#[test]
fn a_map_counts_the_items_of_its_latest_visit() {
    // Before the Map starts its items, and as it runs them two at a time.
    check_items(MAP_IN_A_LOOP, 4, "");
    check_items(MAP_IN_A_LOOP, 7, "Each: 3 items · 2 running · 1 pending");
    check_items(MAP_IN_A_LOOP, 12, "Each: 3 items · 1 succeeded · 1 running · 1 pending");
    check_items(MAP_IN_A_LOOP, 25, "Each: 3 items · 3 succeeded");
    // Entered again in the loop: the new visit has not started its items yet.
    check_items(MAP_IN_A_LOOP, 30, "");
    check_items(MAP_IN_A_LOOP, 45, "Each: 5 items · 2 succeeded · 2 running · 1 pending");
    // The fourth item fails the Map: the fifth never starts.
    check_items(MAP_IN_A_LOOP, usize::MAX, "Each: 5 items · 3 succeeded · 1 failed · 1 not started");

    let (graph, history) = recorded(MAP_IN_A_LOOP);
    let each = states(&graph, &history)["Each"].clone();
    assert_eq!(each.status, graph::Status::Caught);
    assert_eq!(each.entered, 2);
    assert_eq!(
        each.items.as_ref().map(Items::to_json),
        Some(json!({"total": 5, "pending": 1, "running": 0, "succeeded": 3, "failed": 1, "aborted": 0, "mapRun": null}))
    );
    assert_eq!(states(&graph, &history)["Check"].items, None, "only a Map has items");
}

#[test]
fn iterations_running_when_the_execution_stops_were_aborted() {
    let (graph, mut history) = recorded(MAP_IN_A_LOOP);
    history.truncate(45);
    history.push(json!({"id": 46, "previousEventId": 45, "type": "ExecutionAborted"}));
    let runs = states(&graph, &history);
    assert_eq!(runs["Each"].items.as_ref().map(Items::note).as_deref(), Some("5 items · 2 succeeded · 2 aborted · 1 not started"));
}

#[test]
fn a_map_inside_a_map_counts_each_visits_own_iterations() {
    // Inner's first visit (event 6) starts 2 items, its second (event 10, the latest) 1.
    check_items(MAP_IN_A_MAP, 9, "Inner: 2 items · 2 running\nOuter: 2 items · 2 running");
    check_items(MAP_IN_A_MAP, 12, "Inner: 1 item · 1 running\nOuter: 2 items · 2 running");
    // The first visit's iterations end: neither the latest visit nor Outer counts them.
    check_items(MAP_IN_A_MAP, 18, "Inner: 1 item · 1 running\nOuter: 2 items · 2 running");
    check_items(MAP_IN_A_MAP, 24, "Inner: 1 item · 1 succeeded\nOuter: 2 items · 1 succeeded · 1 running");
    check_items(MAP_IN_A_MAP, usize::MAX, "Inner: 1 item · 1 succeeded\nOuter: 2 items · 2 succeeded");
}

#[test]
fn a_distributed_map_has_its_map_run_and_takes_its_counts_from_it() {
    check_items(DISTRIBUTED_MAP, 4, "Spread: 4 items · Map Run running");
    check_items(DISTRIBUTED_MAP, usize::MAX, "Spread: 4 items · Map Run succeeded");

    let (graph, history) = recorded(DISTRIBUTED_MAP);
    let mut items = states(&graph, &history)["Spread"].items.clone().expect("a Map has items");
    let arn = "arn:aws:states:us-east-1:123456789012:mapRun:distributed/Spread:18ea3e22-cb82-239f-1";
    assert_eq!(items.map_run_lacking_counts(), Some(arn));
    assert_eq!(
        items.to_json(),
        json!({"total": 4, "pending": null, "running": null, "succeeded": null, "failed": null, "aborted": null,
            "mapRun": {"arn": arn, "status": "SUCCEEDED"}})
    );
    let counts = MapRunCounts { pending: 0, running: 0, succeeded: 3, failed: 1, aborted: 0, total: 4, ..MapRunCounts::default() };
    let info = MapRunInfo {
        arn: arn.to_owned(),
        state_name: "Spread".to_owned(),
        status: MapRunStatus::Succeeded,
        start: 0,
        stop: Some(1),
        max_concurrency: 0,
        tolerated_failure_count: 1,
        tolerated_failure_percentage: 0.0,
        items: counts,
        executions: counts,
        redrive_count: 0,
        redrive_date: None,
    };
    items.with_map_run(&info);
    assert_eq!(items.map_run_lacking_counts(), None);
    assert_eq!(items.note(), "4 items · 3 succeeded · 1 failed");
    assert_eq!(items.to_json()["failed"], 1);
    assert_eq!(items.to_json()["mapRun"]["status"], "SUCCEEDED");
}

/// The path compression in `owner` changes nothing: every recorded history here and every engine golden history
/// (`crates/engine/test_data`), cut at every event, folds to the same answer with and without it, and each state's
/// `entered` is its count of `…StateEntered` events. The timeline is the same reading: one visit per
/// `…StateEntered`, each state's tally counting its visits by how they ended, and its status the most telling of
/// them (before any redrive, which forgets failures).
#[test]
fn path_compression_gives_the_same_answer_on_every_recorded_history() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut histories = 0;
    for dir in [root.join("test_data/console"), root.join("../engine/test_data/executions")] {
        for entry in std::fs::read_dir(&dir).expect("recorded histories").flatten() {
            let text = std::fs::read_to_string(entry.path()).expect("a recorded history");
            let case: Value = serde_json::from_str(&text).expect("JSON");
            let Some(history) = case["history"].as_array().or(case["expected"]["history"].as_array()) else { continue };
            let Ok(machine) = asl::parse(&case["definition"].to_string()) else { continue };
            let graph = graph::build(&machine);
            histories += 1;
            for end in 0..=history.len() {
                let events = &history[..end];
                let folded = fold_with(&graph, events, usize::MAX, true);
                assert_eq!(folded, fold_with(&graph, events, usize::MAX, false), "{} cut at {end}", entry.path().display());
                assert_eq!(folded.visits.len(), folded.visit_count);
                let redriven = events.iter().any(|e| e["type"] == "ExecutionRedriven");
                let fast = &folded.states;
                for (name, run) in fast {
                    let visits: Vec<&Visit> = folded.visits.iter().filter(|visit| &visit.name == name).collect();
                    let mut tally = Tally::default();
                    for visit in &visits {
                        tally.add(visit.status);
                        assert_eq!(visit.end.is_none(), visit.status == Status::Running, "{visit:?}");
                        assert!(visit.end.is_none_or(|end| end >= visit.start), "{visit:?}");
                    }
                    if !redriven {
                        assert_eq!(run.tally, tally, "{name} in {} cut at {end}", entry.path().display());
                        let telling = [Status::Running, Status::Failed, Status::Caught, Status::Succeeded]
                            .into_iter()
                            .find(|status| visits.iter().any(|visit| visit.status == *status))
                            .unwrap_or(Status::NotRun);
                        assert_eq!(run.status, telling, "{name} in {} cut at {end}", entry.path().display());
                    }
                    let entered = events
                        .iter()
                        .filter(|e| e["type"].as_str().is_some_and(|t| t.ends_with("StateEntered")))
                        .filter(|e| e["stateEnteredEventDetails"]["name"].as_str() == Some(name.as_str()))
                        .count();
                    assert_eq!(run.entered as usize, entered, "{name} in {} cut at {end}", entry.path().display());
                }
            }
        }
    }
    assert!(histories > 50, "only {histories} histories were read");
}

/// A redriven distributed Map runs its Map Run again under the same ARN: after `MapRunRedriven` the console reads
/// the run's counts from it again (running, then succeeded), and the Map is drawn as it ended this time.
#[test]
fn a_redriven_map_run_is_the_maps_run_again() {
    let text = include_str!("../../../../engine/test_data/executions/redrive_distributed_map_reruns_only_unsuccessful_items.json");
    let case: Value = serde_json::from_str(text).expect("JSON");
    let machine = asl::parse(&case["definition"].to_string()).expect("a valid definition");
    let graph = graph::build(&machine);
    let history = case["expected"]["history"].as_array().expect("a history");
    let arn = "arn:aws:states:us-east-1:123456789012:mapRun:Machine/Each:exec-1-1";
    let at = |events: usize| states(&graph, &history[..events])["Each"].clone();

    let failed = at(7);
    assert_eq!(failed.status, graph::Status::Failed);
    assert_eq!(failed.items.as_ref().map(Items::to_json).map(|j| j["mapRun"].clone()), Some(json!({"arn": arn, "status": "FAILED"})));
    let redriven = at(11);
    assert_eq!(redriven.status, graph::Status::Running);
    let items = redriven.items.expect("the redriven visit's items");
    assert_eq!(items.map_run_lacking_counts(), Some(arn), "its counts come from the Map Run, as when it started");
    let done = at(history.len());
    assert_eq!(done.status, graph::Status::Succeeded);
    assert_eq!(done.items.as_ref().map(Items::to_json).map(|j| j["mapRun"].clone()), Some(json!({"arn": arn, "status": "SUCCEEDED"})));
}

/// A history event: `id`, `previous`, `type`, `timestamp` (seconds) and, when `details` is an object, its details
/// under the key its type uses.
fn event(id: u64, previous: u64, kind: &str, time: f64, details: Value) -> Value {
    let mut event = json!({"id": id, "previousEventId": previous, "type": kind, "timestamp": time});
    if details.is_object() {
        let key = if kind.ends_with("StateEntered") {
            "stateEnteredEventDetails"
        } else if kind.ends_with("StateExited") {
            "stateExitedEventDetails"
        } else {
            "details"
        };
        // Only the name of the key's suffix matters to the fold (`…EventDetails`).
        let key = if key == "details" { format!("{}EventDetails", lower_first(kind)) } else { key.to_owned() };
        event[key] = details;
    }
    event
}

fn lower_first(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map(|first| first.to_ascii_lowercase().to_string() + chars.as_str()).unwrap_or_default()
}

/// `name status start end` per visit, one a line, times relative to 100 s.
fn visit_lines(visits: &[Visit]) -> String {
    let time = |t: f64| format!("{}", t - 100.0);
    visits
        .iter()
        .map(|v| format!("{} {} {} {}\n", v.name, v.status.as_str(), time(v.start), v.end.map_or("-".to_owned(), time)))
        .collect()
}

/// A Parallel whose second branch's Task fails after 3 s while the first branch waits: the Parallel fails (at 4 s),
/// its Catch goes to `Later`, which waits until 20 s. The failed Task's visit ends where it failed, the waiting
/// sibling's where the Parallel gave it up, and the Parallel is caught on the graph and on the timeline alike.
#[test]
fn a_failed_parallel_branch_ends_where_it_failed_and_the_caught_parallel_is_caught_everywhere() {
    let definition = json!({"StartAt": "Fan", "States": {
        "Fan": {"Type": "Parallel", "Branches": [
            {"StartAt": "Slow", "States": {"Slow": {"Type": "Wait", "Seconds": 60, "End": true}}},
            {"StartAt": "Work", "States": {"Work": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true}}}],
            "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Later"}], "End": true},
        "Later": {"Type": "Wait", "Seconds": 16, "End": true}}});
    let graph = graph::build(&asl::parse(&definition.to_string()).expect("a valid definition"));
    let named = |name: &str| json!({"name": name, "input": "{}"});
    let history = [
        event(1, 0, "ExecutionStarted", 100.0, Value::Null),
        event(2, 1, "ParallelStateEntered", 100.0, named("Fan")),
        event(3, 2, "ParallelStateStarted", 100.0, Value::Null),
        event(4, 3, "WaitStateEntered", 100.0, named("Slow")),
        event(5, 3, "TaskStateEntered", 100.0, named("Work")),
        event(6, 5, "TaskScheduled", 100.0, Value::Null),
        event(7, 6, "TaskStarted", 100.5, Value::Null),
        event(8, 7, "TaskFailed", 103.0, json!({"error": "Boom", "cause": "no"})),
        event(9, 8, "ParallelStateFailed", 104.0, json!({"error": "Boom", "cause": "no"})),
        event(10, 9, "ParallelStateExited", 104.0, json!({"name": "Fan", "output": "{}"})),
        event(11, 10, "WaitStateEntered", 104.0, named("Later")),
        event(12, 11, "WaitStateExited", 120.0, json!({"name": "Later", "output": "{}"})),
        event(13, 12, "ExecutionSucceeded", 120.0, Value::Null),
    ];
    let folded = fold(&graph, &history, 10);
    assert_eq!(
        visit_lines(&folded.visits),
        "Fan caught 0 4\nSlow failed 0 4\nWork failed 0 3\nLater succeeded 4 20\n",
        "{:?}",
        folded.visits
    );
    let statuses: Vec<(&str, &str)> = folded.states.iter().map(|(name, run)| (name.as_str(), run.status.as_str())).collect();
    assert_eq!(statuses, [("Fan", "caught"), ("Later", "succeeded"), ("Slow", "failed"), ("Work", "failed")]);

    // While Later waits, it runs with no end.
    let folded = fold(&graph, &history[..11], 10);
    assert_eq!(visit_lines(&folded.visits), "Fan caught 0 4\nSlow failed 0 4\nWork failed 0 3\nLater running 4 -\n");
    // Only the first rows are listed; all are counted.
    let folded = fold(&graph, &history, 2);
    assert_eq!((folded.visits.len(), folded.visit_count), (2, 4));
    assert_eq!(folded.visits[0].to_json(), json!({"name": "Fan", "start": 100.0, "end": 104.0, "status": "caught"}));
}

/// A Fail state inside a Parallel fails where it is entered; when the execution fails with it, the Parallel's bar
/// ends where the Parallel failed, not where the execution did.
#[test]
fn a_fail_state_ends_where_it_was_entered() {
    let definition = json!({"StartAt": "Fan", "States": {
        "Fan": {"Type": "Parallel", "Branches": [
            {"StartAt": "Boom", "States": {"Boom": {"Type": "Fail", "Error": "Boom"}}}], "End": true}}});
    let graph = graph::build(&asl::parse(&definition.to_string()).expect("a valid definition"));
    let history = [
        event(1, 0, "ExecutionStarted", 100.0, Value::Null),
        event(2, 1, "ParallelStateEntered", 100.0, json!({"name": "Fan"})),
        event(3, 2, "ParallelStateStarted", 100.0, Value::Null),
        event(4, 3, "FailStateEntered", 101.0, json!({"name": "Boom"})),
        event(5, 4, "ParallelStateFailed", 102.0, json!({"error": "Boom"})),
        event(6, 5, "ExecutionFailed", 107.0, json!({"error": "Boom"})),
    ];
    let folded = fold(&graph, &history, 10);
    assert_eq!(visit_lines(&folded.visits), "Fan failed 0 2\nBoom failed 1 1\n");
}

/// `MAP_PARTLY_FAILING`: `Each` maps over `[1, 2, 3, 4]` one at a time; `Work` fails on 3, which fails the Map (4 never
/// starts), and the Map's Catch goes to `Caught`. `Work` succeeded in two iterations and failed in one: its tally
/// says so, and its status is the most telling (failed).
const MAP_PARTLY_FAILING: &str = include_str!("../../../test_data/console/map_partly_failing.json");

#[test]
fn a_state_inside_a_map_counts_how_its_iterations_ended() {
    let (graph, history) = recorded(MAP_PARTLY_FAILING);
    let runs = states(&graph, &history);
    let work = &runs["Work"];
    assert_eq!(work.status, Status::Failed);
    assert_eq!(work.tally, Tally { succeeded: 2, failed: 1, ..Tally::default() });
    assert!(work.tally.mixed());
    assert_eq!(work.tally.note(), "2 succeeded · 1 failed");
    assert_eq!(runs["Each"].status, Status::Caught);
    assert_eq!(runs["Each"].tally, Tally { caught: 1, ..Tally::default() });
    assert!(!runs["Each"].tally.mixed());
    assert_eq!(runs["Each"].items.as_ref().map(Items::note).as_deref(), Some("4 items · 2 succeeded · 1 failed · 1 not started"));
    // The timeline lists its visits as they went.
    let folded = fold(&graph, &history, usize::MAX);
    let work: Vec<&str> = folded.visits.iter().filter(|v| v.name == "Work").map(|v| v.status.as_str()).collect();
    assert_eq!(work, ["succeeded", "succeeded", "failed"]);
}
