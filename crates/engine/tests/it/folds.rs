//! How one fold goes and how it is replayed: events taken as they come, folds paused by their size, evaluations cut
//! off from outside, callbacks that beat their task's request, and the runtime's `Fail`.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};

use engine::{Command, EventDetails, Execution, FoldNote, HistoryEvent, Limits, Status, TaskId, Trigger};

use crate::driver::{EPOCH_MS, info};

fn machine(definition: Value) -> Arc<asl::model::StateMachine> {
    Arc::new(asl::parse::parse_value(&definition).expect("a valid definition"))
}

fn wire(events: &[HistoryEvent]) -> Vec<String> {
    events.iter().map(|event| event.to_json().to_string()).collect()
}

/// A Pass loop carrying a large payload until the history limit: folds paused by size hold little of it at a time,
/// and replaying the recorded folds, whatever the slice bounds then, writes the same history.
#[test]
fn a_fold_pauses_by_the_size_of_its_events_and_replays_exactly() {
    let machine = machine(json!({"StartAt": "A", "States": {
        "A": {"Type": "Pass", "Next": "B"},
        "B": {"Type": "Pass", "Next": "A"}}}));
    let limits = Limits { max_history_events: 400, ..Limits::default() };
    let payload = json!({"blob": "x".repeat(20_000)});
    let mut execution = Execution::new(machine.clone(), info(), limits.clone());
    execution.set_slice_bytes(200_000);
    let mut recorded = Vec::new();
    let mut events = Vec::new();
    let mut trigger = Trigger::Start { input: payload.clone(), now: EPOCH_MS };
    for now in EPOCH_MS.. {
        let stored = trigger.to_json();
        execution.apply(trigger);
        let taken = execution.take_events();
        let bytes: usize = taken.iter().map(|event| event.details.payload_len()).sum();
        assert!(bytes < 200_000 + 40_000, "one fold held {bytes} bytes of payloads");
        assert!(execution.history().is_empty());
        events.extend(taken);
        recorded.push((stored, execution.fold_note()));
        if !execution.has_work() {
            break;
        }
        trigger = Trigger::Resume { now: now + 1 };
    }
    assert!(recorded.len() > 20, "{} folds", recorded.len());
    assert!(matches!(execution.status(), Status::Failed(_)));
    assert_eq!(execution.event_count(), 400);
    assert_eq!(events.len(), 400);

    let mut replayed = Execution::new(machine, info(), limits);
    replayed.set_slice(3);
    for (stored, note) in recorded {
        let trigger = Trigger::from_json(&stored).expect("a trigger");
        replayed.replay(trigger, note);
    }
    assert_eq!(wire(replayed.history()), wire(&events));
}

/// A non-terminating expression is cut off by a watcher on another thread; the fold notes the cut-off, and a replay
/// with the note fails the same evaluation at once instead of running it.
#[test]
fn an_evaluation_cut_off_is_noted_and_replayed_without_running() {
    let machine = machine(json!({"QueryLanguage": "JSONata", "StartAt": "Loop", "States": {
        "Loop": {"Type": "Pass", "Output": "{% ($f := function($n){ $f($n + 1) }; $f(0)) %}", "End": true}}}));
    let run = |note: Option<FoldNote>| {
        let mut execution = Execution::new(machine.clone(), info(), Limits::default());
        let watch = execution.guard().watch();
        let watcher = std::thread::spawn(move || {
            // Cut off whatever runs for more than 50 ms; report whether anything ran that long.
            for _ in 0..200 {
                if let Some(generation) = watch.running() {
                    std::thread::sleep(Duration::from_millis(50));
                    if watch.running() == Some(generation) {
                        watch.expire(generation);
                        return true;
                    }
                }
                std::thread::sleep(Duration::from_millis(5));
            }
            false
        });
        let trigger = Trigger::Start { input: json!({}), now: EPOCH_MS };
        match note {
            Some(note) => execution.replay(trigger, note),
            None => execution.apply(trigger),
        };
        let note = execution.fold_note();
        (execution, note, watcher.join().expect("the watcher ends"))
    };
    let (first, note, watched) = run(None);
    assert!(watched, "the evaluation ran until cut off");
    assert_eq!(note.cutoffs, vec![1]);
    let Status::Failed(details) = first.status() else { panic!("{:?}", first.status()) };
    assert_eq!(details.error.as_deref(), Some("States.QueryEvaluationError"));
    assert!(details.cause.as_deref().is_some_and(|cause| cause.contains("exceeded its time limit")), "{details:?}");

    let (again, again_note, watched) = run(Some(note.clone()));
    assert!(!watched, "the replay did not run the evaluation");
    assert_eq!(again_note, note);
    assert_eq!(wire(again.history()), wire(first.history()));
}

/// A StopExecution-like stop makes the running evaluation fail, and says that the fold was interrupted.
#[test]
fn a_stop_interrupts_the_fold() {
    let machine = machine(json!({"QueryLanguage": "JSONata", "StartAt": "Loop", "States": {
        "Loop": {"Type": "Pass", "Output": "{% ($f := function($n){ $f($n + 1) }; $f(0)) %}", "End": true}}}));
    let mut execution = Execution::new(machine, info(), Limits::default());
    let watch = execution.guard().watch();
    let stopper = std::thread::spawn({
        let watch = watch.clone();
        move || {
            while watch.running().is_none() {
                std::thread::sleep(Duration::from_millis(2));
            }
            watch.stop();
        }
    });
    execution.apply(Trigger::Start { input: json!({}), now: EPOCH_MS });
    stopper.join().expect("the stopper ends");
    assert!(watch.interrupted());
    assert!(execution.fold_note().cutoffs.is_empty(), "a stop is not a recorded cut-off");
}

fn callback_machine() -> Arc<asl::model::StateMachine> {
    machine(json!({"StartAt": "Ask", "States": {"Ask": {
        "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
        "Parameters": {"FunctionName": "f", "Payload": {"token.$": "$$.Task.Token"}}, "End": true}}}))
}

fn invoked(commands: &[Command]) -> TaskId {
    commands
        .iter()
        .find_map(|command| match command {
            Command::InvokeTask(request) => Some(request.task),
            _ => None,
        })
        .expect("a task is invoked")
}

fn types(execution: &Execution) -> Vec<String> {
    execution.history().iter().map(|event| event.details.event_type()).collect()
}

#[test]
fn a_callback_that_beats_its_request_waits_for_task_submitted() {
    let mut execution = Execution::new(callback_machine(), info(), Limits::default());
    let task = invoked(&execution.apply(Trigger::Start { input: json!({}), now: EPOCH_MS }));
    execution.apply(Trigger::TaskCallback { task, outcome: Ok(json!({"answer": 1})), now: EPOCH_MS + 1 });
    // The second answer loses to the first.
    execution.apply(Trigger::TaskCallback { task, outcome: Ok(json!({"answer": 2})), now: EPOCH_MS + 2 });
    assert_eq!(execution.status(), &Status::Running);
    execution.apply(Trigger::TaskSubmitted { task, output: json!({"StatusCode": 200}), now: EPOCH_MS + 3 });
    assert_eq!(execution.status(), &Status::Succeeded { output: json!({"answer": 1}) });
    let types = types(&execution);
    let submitted = types.iter().position(|t| t == "TaskSubmitted").expect("submitted");
    let succeeded = types.iter().position(|t| t == "TaskSucceeded").expect("succeeded");
    assert!(submitted < succeeded, "{types:?}");
}

#[test]
fn a_callback_after_its_request_completes_the_task() {
    let mut execution = Execution::new(callback_machine(), info(), Limits::default());
    let task = invoked(&execution.apply(Trigger::Start { input: json!({}), now: EPOCH_MS }));
    execution.apply(Trigger::TaskSubmitted { task, output: json!({}), now: EPOCH_MS + 1 });
    assert_eq!(execution.status(), &Status::Running);
    let failure = asl::Failure { error: "Nope".into(), cause: Some("no".into()) };
    execution.apply(Trigger::TaskCallback { task, outcome: Err(failure), now: EPOCH_MS + 2 });
    assert!(matches!(execution.status(), Status::Failed(details) if details.error.as_deref() == Some("Nope")));
}

#[test]
fn fail_ends_the_execution_with_one_event_and_no_redrive() {
    let mut execution = Execution::new(callback_machine(), info(), Limits::default());
    execution.apply(Trigger::Start { input: json!({}), now: EPOCH_MS });
    let before = execution.event_count();
    let cause = "Baton cannot resume this execution".to_owned();
    execution.apply(Trigger::Fail { error: "States.Runtime".into(), cause: cause.clone(), now: EPOCH_MS + 9 });
    assert_eq!(execution.event_count(), before + 1);
    let last = execution.history().last().expect("an event");
    assert_eq!((last.id, last.previous_event_id, last.timestamp), (before + 1, before, EPOCH_MS + 9));
    assert!(matches!(&last.details, EventDetails::ExecutionFailed(d) if d.cause.as_deref() == Some(cause.as_str())));
    assert!(!execution.redrivable());
    assert!(!execution.has_work());
}
