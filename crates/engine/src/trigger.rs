//! The durable form of a `Trigger`: what the runtime stores for every step, and re-folds on recovery.
//!
//! A stable format: `{"v": 1, "type": "Start" | "TaskCompleted" | "TaskCallback" | "TimerFired" | "Stop" | "Fail" |
//! "Resume" | "TaskSubmitted" | "TaskStarted" | "TaskHeartbeat" | "Redrive" | "UpdateMapRun", "now": ms, …}`.
//! UpdateMapRun carries `mapRunArn` and `maxConcurrency`, `toleratedFailureCount`, `toleratedFailurePercentage`,
//! each `null` when unchanged. A stored trigger may also carry its `FoldNote`: `"steps"` (the steps its fold took
//! before it paused) and `"cutoffs"` (the JSONata evaluations cut off), both absent when there is nothing to note.
//! Later versions must keep reading version 1.

use serde_json::{Map as Object, Value, json};

use asl::Failure;

use crate::execution::{FoldNote, TaskId, TimerId, Trigger};
use crate::history::Text;

/// The version written by `to_json`.
const VERSION: u64 = 1;

impl Trigger {
    /// The trigger as stored.
    pub fn to_json(&self) -> Value {
        match self {
            Trigger::Start { input, now } => json!({"v": VERSION, "type": "Start", "now": now, "input": input}),
            Trigger::TaskCompleted { task, outcome, now } => outcome_json("TaskCompleted", *task, outcome, *now),
            Trigger::TaskCallback { task, outcome, now } => outcome_json("TaskCallback", *task, outcome, *now),
            Trigger::Fail { error, cause, now } => {
                json!({"v": VERSION, "type": "Fail", "now": now, "error": error, "cause": cause})
            }
            Trigger::TimerFired { timer, now } => json!({"v": VERSION, "type": "TimerFired", "now": now, "timer": timer.0}),
            Trigger::Stop { error, cause, now } => {
                json!({"v": VERSION, "type": "Stop", "now": now, "error": error, "cause": cause})
            }
            Trigger::Resume { now } => json!({"v": VERSION, "type": "Resume", "now": now}),
            Trigger::TaskSubmitted { task, output, now } => {
                json!({"v": VERSION, "type": "TaskSubmitted", "now": now, "task": task.0, "output": output})
            }
            Trigger::TaskStarted { task, worker, now } => {
                json!({"v": VERSION, "type": "TaskStarted", "now": now, "task": task.0, "worker": worker})
            }
            Trigger::TaskHeartbeat { task, now } => json!({"v": VERSION, "type": "TaskHeartbeat", "now": now, "task": task.0}),
            Trigger::Redrive { now } => json!({"v": VERSION, "type": "Redrive", "now": now}),
            Trigger::UpdateMapRun { map_run_arn, max_concurrency, tolerated_failure_count, tolerated_failure_percentage, now } => {
                json!({
                    "v": VERSION,
                    "type": "UpdateMapRun",
                    "now": now,
                    "mapRunArn": map_run_arn,
                    "maxConcurrency": max_concurrency,
                    "toleratedFailureCount": tolerated_failure_count,
                    "toleratedFailurePercentage": tolerated_failure_percentage,
                })
            }
        }
    }

    /// The trigger as stored, as text: the bytes of `to_json`'s value (`tests` holds every kind to that). The triggers
    /// of most steps (a timer, a heartbeat, a start) are written without building that value, and a start's input is
    /// serialised where it lies instead of copied into it; the others are serialised from `to_json`.
    pub fn to_json_text(&self) -> String {
        let mut text = Text::with_capacity(64);
        let mut head = |kind: &str, now: i64| {
            text.raw(r#"{"v":"#);
            text.number(VERSION);
            text.raw(r#","type":""#);
            text.raw(kind);
            text.raw(r#"","now":"#);
            text.integer(now);
        };
        match self {
            Trigger::Start { input, now } => {
                head("Start", *now);
                text.raw(r#","input":"#);
                text.value(input);
            }
            Trigger::TimerFired { timer, now } => {
                head("TimerFired", *now);
                text.raw(r#","timer":"#);
                text.number(timer.0);
            }
            Trigger::TaskHeartbeat { task, now } => {
                head("TaskHeartbeat", *now);
                text.raw(r#","task":"#);
                text.number(task.0);
            }
            Trigger::Resume { now } => head("Resume", *now),
            Trigger::Redrive { now } => head("Redrive", *now),
            _ => return self.to_json().to_string(),
        }
        text.raw("}");
        text.into_string()
    }

    /// Reads a stored trigger; `None` if it is not one.
    pub fn from_json(value: &Value) -> Option<Trigger> {
        let now = value.get("now")?.as_i64()?;
        let text = |key: &str| value.get(key).and_then(Value::as_str).map(str::to_owned);
        match value.get("type")?.as_str()? {
            "Start" => Some(Trigger::Start { input: value.get("input")?.clone(), now }),
            kind @ ("TaskCompleted" | "TaskCallback") => {
                let task = TaskId(value.get("task")?.as_u64()?);
                let outcome = match value.get("result") {
                    Some(result) => Ok(result.clone()),
                    None => Err(Failure { error: text("error")?, cause: text("cause") }),
                };
                if kind == "TaskCallback" {
                    Some(Trigger::TaskCallback { task, outcome, now })
                } else {
                    Some(Trigger::TaskCompleted { task, outcome, now })
                }
            }
            "Fail" => Some(Trigger::Fail { error: text("error")?, cause: text("cause")?, now }),
            "TimerFired" => Some(Trigger::TimerFired { timer: TimerId(value.get("timer")?.as_u64()?), now }),
            "Stop" => Some(Trigger::Stop { error: text("error"), cause: text("cause"), now }),
            "Resume" => Some(Trigger::Resume { now }),
            "TaskSubmitted" => Some(Trigger::TaskSubmitted {
                task: TaskId(value.get("task")?.as_u64()?),
                output: value.get("output")?.clone(),
                now,
            }),
            "TaskStarted" => Some(Trigger::TaskStarted { task: TaskId(value.get("task")?.as_u64()?), worker: text("worker")?, now }),
            "TaskHeartbeat" => Some(Trigger::TaskHeartbeat { task: TaskId(value.get("task")?.as_u64()?), now }),
            "Redrive" => Some(Trigger::Redrive { now }),
            "UpdateMapRun" => Some(Trigger::UpdateMapRun {
                map_run_arn: text("mapRunArn")?,
                max_concurrency: value.get("maxConcurrency").and_then(Value::as_u64),
                tolerated_failure_count: value.get("toleratedFailureCount").and_then(Value::as_u64),
                tolerated_failure_percentage: value.get("toleratedFailurePercentage").and_then(Value::as_f64),
                now,
            }),
            _ => None,
        }
    }
}

/// A task's outcome as stored.
fn outcome_json(kind: &str, task: TaskId, outcome: &Result<Value, Failure>, now: i64) -> Value {
    let mut object = Object::new();
    object.insert("v".into(), VERSION.into());
    object.insert("type".into(), kind.into());
    object.insert("now".into(), now.into());
    object.insert("task".into(), task.0.into());
    // A result nested too deeply for the stored trigger to be read back is stored as the failure the engine makes of
    // it (`nesting::bounded`).
    let bounded = crate::nesting::bounded(outcome).map(Err);
    match bounded.as_ref().unwrap_or(outcome) {
        Ok(result) => {
            object.insert("result".into(), result.clone());
        }
        Err(failure) => {
            object.insert("error".into(), failure.error.clone().into());
            object.insert("cause".into(), failure.cause.clone().map_or(Value::Null, Value::String));
        }
    }
    Value::Object(object)
}

impl FoldNote {
    /// Adds the note to a stored trigger (`Trigger::to_json`); nothing when there is nothing to note.
    pub fn write(&self, trigger: &mut Value) {
        let Some(object) = trigger.as_object_mut() else { return };
        if let Some(steps) = self.paused_after {
            object.insert("steps".into(), steps.into());
        }
        if !self.cutoffs.is_empty() {
            object.insert("cutoffs".into(), self.cutoffs.clone().into());
        }
    }

    /// Adds the note to a stored trigger's text (`Trigger::to_json_text`), as `write` adds it to its value: the same
    /// members at the end of the object.
    pub fn write_text(&self, trigger: &mut String) {
        if (self.paused_after.is_none() && self.cutoffs.is_empty()) || !trigger.ends_with('}') {
            return;
        }
        trigger.pop();
        if let Some(steps) = self.paused_after {
            trigger.push_str(&format!(r#","steps":{steps}"#));
        }
        if !self.cutoffs.is_empty() {
            let cutoffs: Vec<String> = self.cutoffs.iter().map(u64::to_string).collect();
            trigger.push_str(&format!(r#","cutoffs":[{}]"#, cutoffs.join(",")));
        }
        trigger.push('}');
    }

    /// The note of a stored trigger; an empty one if it has none.
    pub fn read(trigger: &Value) -> FoldNote {
        let paused_after = trigger.get("steps").and_then(Value::as_u64).and_then(|steps| usize::try_from(steps).ok());
        let cutoffs = trigger
            .get("cutoffs")
            .and_then(Value::as_array)
            .map(|cutoffs| cutoffs.iter().filter_map(Value::as_u64).collect())
            .unwrap_or_default();
        FoldNote { paused_after, cutoffs }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use asl::Failure;

    use crate::execution::{FoldNote, TaskId, TimerId, Trigger};

    #[track_caller]
    fn round_trip(trigger: Trigger) {
        let stored = trigger.to_json();
        let back = Trigger::from_json(&stored).expect("reads back");
        assert_eq!(back.to_json(), stored);
        // The text is the value's bytes, with and without a note.
        for note in [FoldNote::default(), FoldNote { paused_after: Some(7), cutoffs: Vec::new() }, FoldNote { paused_after: None, cutoffs: vec![3] }, FoldNote { paused_after: Some(500), cutoffs: vec![2, 9] }] {
            let mut value = trigger.to_json();
            note.write(&mut value);
            let mut text = trigger.to_json_text();
            note.write_text(&mut text);
            assert_eq!(text, value.to_string(), "{note:?}");
        }
    }

    #[test]
    fn every_trigger_round_trips() {
        round_trip(Trigger::Start { input: json!({"a": [1, 2.5]}), now: 5 });
        round_trip(Trigger::Start { input: json!({"quote \" and \\ and \n": "ünï", "n": -1.5e300, "z": [null, true, {}]}), now: -5 });
        round_trip(Trigger::TimerFired { timer: TimerId(u64::MAX), now: i64::MIN });
        round_trip(Trigger::TaskHeartbeat { task: TaskId(0), now: i64::MAX });
        round_trip(Trigger::TaskCompleted { task: TaskId(3), outcome: Ok(json!(null)), now: 6 });
        round_trip(Trigger::TaskCompleted { task: TaskId(3), outcome: Err(Failure { error: "E".into(), cause: None }), now: 7 });
        round_trip(Trigger::TaskCallback { task: TaskId(4), outcome: Ok(json!({"a": 1})), now: 7 });
        round_trip(Trigger::TaskCallback { task: TaskId(4), outcome: Err(Failure { error: "E".into(), cause: Some("c".into()) }), now: 7 });
        round_trip(Trigger::Fail { error: "States.Runtime".into(), cause: "why".into(), now: 8 });
        round_trip(Trigger::TimerFired { timer: TimerId(9), now: 8 });
        round_trip(Trigger::Stop { error: Some("x".into()), cause: None, now: 9 });
        round_trip(Trigger::Resume { now: 10 });
        round_trip(Trigger::TaskSubmitted { task: TaskId(1), output: json!({"MessageId": "m"}), now: 11 });
        round_trip(Trigger::TaskStarted { task: TaskId(1), worker: "w".into(), now: 12 });
        round_trip(Trigger::TaskHeartbeat { task: TaskId(1), now: 13 });
        round_trip(Trigger::Redrive { now: 14 });
        let arn = "arn:aws:states:us-east-1:1:mapRun:M/Each:e-1".to_owned();
        round_trip(Trigger::UpdateMapRun {
            map_run_arn: arn.clone(),
            max_concurrency: Some(20),
            tolerated_failure_count: None,
            tolerated_failure_percentage: Some(12.5),
            now: 15,
        });
        let all_none = Trigger::UpdateMapRun {
            map_run_arn: arn,
            max_concurrency: None,
            tolerated_failure_count: Some(0),
            tolerated_failure_percentage: None,
            now: 16,
        };
        round_trip(all_none.clone());
        let back = Trigger::from_json(&all_none.to_json()).expect("reads back");
        assert!(matches!(
            back,
            Trigger::UpdateMapRun { max_concurrency: None, tolerated_failure_count: Some(0), tolerated_failure_percentage: None, .. }
        ));
    }

    #[test]
    fn fold_notes_ride_along_and_default_to_nothing() {
        let mut stored = Trigger::Resume { now: 1 }.to_json();
        assert_eq!(FoldNote::read(&stored), FoldNote::default());
        FoldNote::default().write(&mut stored);
        assert_eq!(stored, Trigger::Resume { now: 1 }.to_json());
        let note = FoldNote { paused_after: Some(500), cutoffs: vec![2, 9] };
        note.write(&mut stored);
        assert_eq!(FoldNote::read(&stored), note);
        assert!(Trigger::from_json(&stored).is_some());
    }

    #[test]
    fn rejects_what_is_not_a_trigger() {
        assert!(Trigger::from_json(&json!({"type": "Start"})).is_none());
        assert!(Trigger::from_json(&json!({"type": "Nope", "now": 1})).is_none());
    }
}
